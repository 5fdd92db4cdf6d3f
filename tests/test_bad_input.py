"""Bad input gets a clear verify.errors exception, never a wrong number (issue 2, Bad input)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from flint import arb

import verify as vf
from verify import errors
from verify.arith.ball import contains


@pytest.fixture
def loss():
    net = vf.MLP([2, 3, 1], "tanh")
    return vf.SquareLoss(net, vf.Dataset([[1, 2], [0, 1]], [1, 0]))


def test_theta_shape(loss):
    with pytest.raises(errors.ShapeError, match="9 parameters"):
        loss.value(np.zeros(8))
    with pytest.raises(errors.ShapeError):
        loss.grad(np.zeros((3, 3)))
    with pytest.raises(errors.ShapeError):
        loss.hvp(np.zeros(9), np.zeros(4))


def test_data_shapes():
    net = vf.MLP([2, 3, 1], "relu")
    with pytest.raises(errors.ShapeError, match="features"):
        vf.SquareLoss(net, vf.Dataset([[1, 2, 3]], [1]))
    with pytest.raises(errors.ShapeError, match="outputs"):
        vf.SquareLoss(net, vf.Dataset([[1, 2]], [[1, 2]]))
    with pytest.raises(errors.ShapeError, match="rows"):
        vf.Dataset([[1, 2], [3, 4]], [1])
    with pytest.raises(errors.ShapeError, match="empty"):
        vf.Dataset(np.zeros((0, 2)), np.zeros(0))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_entries(loss, bad):
    th = np.zeros(9)
    th[3] = bad
    for arith in ("float", "mp", "ball"):
        with pytest.raises(errors.NonFiniteError):
            loss.value(th, arith)
    with pytest.raises(errors.NonFiniteError):
        vf.Dataset([[1, bad]], [1])
    with pytest.raises(errors.NonFiniteError):
        vf.Dataset([[1, 2]], [bad])


def test_non_finite_ball(loss):
    th = [arb(0)] * 9
    th[0] = arb("nan")
    with pytest.raises(errors.NonFiniteError):
        loss.value(th, "ball")


@pytest.mark.parametrize("prec", [0, 8, 15, -3])
def test_precision_too_low(loss, prec):
    with pytest.raises(errors.PrecisionError, match="16"):
        loss.value(np.zeros(9), "mp", prec)
    with pytest.raises(errors.PrecisionError):
        vf.get_arith("ball", prec)


def test_unknown_arithmetic(loss):
    with pytest.raises(errors.UnknownArithmeticError, match="'float'"):
        loss.value(np.zeros(9), "interval")


def test_exact_needs_polynomial_pieces(loss):
    with pytest.raises(errors.ArithmeticNotSupportedError, match="ball"):
        loss.value([0] * 9, "exact")


def test_strings_are_never_parsed(loss):
    with pytest.raises(errors.InputError):
        loss.value(["1"] * 9)
    with pytest.raises(errors.InputError):
        vf.Dataset([["__import__('os')", 1]], [1])
    with pytest.raises(errors.InputError, match="strings are not"):
        vf.Objective.from_sympy("x**2", [sp.Symbol("x")])


def test_objective_variables_must_match():
    x, y, z = sp.symbols("x y z", real=True)
    with pytest.raises(errors.InputError, match="not among the variables"):
        vf.Objective.from_sympy(x * y + z, [x, y])
    with pytest.raises(errors.InputError, match="repeated"):
        vf.Objective.from_sympy(x * y, [x, x, y])
    obj = vf.Objective.from_sympy(x**2 + y**2, [x, y])
    with pytest.raises(errors.ShapeError):
        obj.value([1, 2, 3])


def test_hessian_too_large_is_refused_with_an_estimate(monkeypatch):
    net = vf.MLP([30, 40, 1], "tanh")  # p = 1240
    loss = vf.SquareLoss(net, vf.Dataset(np.eye(30)[:5], np.ones(5)))
    with pytest.raises(errors.SizeLimitError, match=r"GiB") as info:
        loss.hessian(np.zeros(net.n_params), "ball", max_bytes=10_000_000)
    assert "1240" in str(info.value)
    monkeypatch.setenv("VERIFY_MAX_BYTES", "1000000")
    with pytest.raises(errors.SizeLimitError):
        loss.jacobian(np.zeros(net.n_params), "mp")


def test_region_boundary_names_neuron_and_data_point():
    net = vf.MLP([2, 2, 1], "relu")
    loss = vf.SquareLoss(net, vf.Dataset([[1, 0], [0, 1]], [1, 2]))
    th = [0, 1, 1, -1, 1, 1]  # neuron 0 of layer 1 has pre-activation exactly 0 on data point 0
    for arith in ("exact", "ball"):  # certified paths only: float/mp use relu'(0) = 0 (test_soundness_models)
        with pytest.raises(errors.RegionBoundaryError) as info:
            loss.grad(th, arith)
        e = info.value
        assert (e.layer, e.neuron, e.data_point) == (1, 0, 0)
        assert "neuron 0" in str(e) and "data point 0" in str(e)
    # a box of parameters reaching over the boundary: the gradient is refused, the value enclosed
    box = [arb(0, 0.001), 1, 1, -1, 1, 1]
    with pytest.raises(errors.RegionBoundaryError):
        loss.grad(box, "ball")
    v = loss.value(box, "ball")
    assert contains(v, Fraction(1, 2))
    with pytest.raises(errors.RegionBoundaryError):
        loss.region(th)


def test_nothing_half_done_on_error(loss):
    # a failed call leaves the objective usable and unchanged
    with pytest.raises(errors.ShapeError):
        loss.value(np.zeros(5))
    assert loss.value(np.zeros(9)) == pytest.approx(0.5)


def test_mlp_arguments():
    with pytest.raises(errors.InputError):
        vf.MLP([3], "relu")
    with pytest.raises(errors.InputError):
        vf.MLP([2, 0, 1], "relu")
    with pytest.raises(errors.InputError, match="hidden layers"):
        vf.MLP([2, 3, 1], ["relu", "tanh"])


def test_logistic_labels_must_be_pm1():
    net = vf.MLP([2, 2, 1], "tanh")
    with pytest.raises(errors.InputError, match="±1|-1"):
        vf.LogisticLoss(net, vf.Dataset([[1, 2]], [0]))
