"""Activations: flags and homogeneity degrees derived from the Piecewise definition; user-defined
activations; rejection of non-analytic pieces (README.md, Models;
``docs/theory/gd_map.md`` §1 for piecewise-analytic activations)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import verify as vf
from verify.errors import InputError, NotAnalyticError, UnknownActivationError
from verify.models.activation import Z

EXPECTED = {
    # spec: (analytic, polynomial_pieces, strictly_increasing, homogeneity degree, breakpoints)
    "relu": (False, True, False, 1, [0]),
    ("leaky_relu", "1/10"): (False, True, True, 1, [0]),
    "abs": (False, True, False, 1, [0]),
    "hardtanh": (False, True, False, None, [-1, 1]),
    "identity": (True, True, True, 1, []),
    ("power", 2): (True, True, False, 2, []),
    ("power", 3): (True, True, True, 3, []),
    ("relu_power", 2): (False, True, False, 2, [0]),
    ("relu_power", "3/2"): (False, False, False, sp.Rational(3, 2), [0]),
    "sigmoid": (True, False, True, None, []),
    "tanh": (True, False, True, None, []),
    "softplus": (True, False, True, None, []),
}


@pytest.mark.parametrize("spec", list(EXPECTED), ids=str)
def test_flags_and_degree(spec):
    act = vf.activations.get(spec)
    analytic, poly, incr, deg, bps = EXPECTED[spec]
    assert act.analytic is analytic
    assert act.polynomial_pieces is poly
    assert act.strictly_increasing is incr
    assert act.homogeneity_degree == deg
    assert [int(b) for b in act.breakpoints] == bps


def test_continuity_orders():
    assert vf.activations.relu().continuity == (0,)
    assert vf.activations.relu_power(2).continuity == (1,)
    assert vf.activations.relu_power(3).continuity == (2,)
    assert vf.activations.hardtanh().continuity == (0, 0)


def test_factories_and_names_resolve():
    assert vf.activations.get(vf.activations.tanh).name == "tanh"
    assert vf.activations.get("relu") is vf.activations.relu()
    assert vf.activations.get(("leaky_relu", "1/10")) is vf.activations.leaky_relu("1/10")
    with pytest.raises(UnknownActivationError, match="catalogue"):
        vf.activations.get("gelu")
    with pytest.raises(UnknownActivationError):
        vf.MLP([2, 3, 1], "swish")
    with pytest.raises(InputError):
        vf.activations.power(0)
    with pytest.raises(InputError):
        vf.activations.relu_power(-1)


def test_user_defined_piecewise():
    # a "shifted" leaky ReLU with a non-zero breakpoint: not homogeneous, strictly increasing
    pw = sp.Piecewise((Z / 4 - sp.Rational(1, 4), Z < 1), (Z - 1, True))
    act = vf.Activation.from_piecewise(pw, Z, "shifted")
    assert [b for b in act.breakpoints] == [1]
    assert act.continuity == (0,)
    assert act.homogeneity_degree is None
    jump = vf.Activation.from_piecewise(sp.Piecewise((Z / 4, Z < 1), (Z - 1, True)), Z, "jump")
    assert jump.continuity == (-1,)  # discontinuous at 1
    assert act.strictly_increasing is True
    # a smooth user activation written with a redundant piece is merged to one analytic piece
    smooth = vf.Activation.from_piecewise(sp.Piecewise((Z**2, Z < 0), (Z**2, True)), Z, "square")
    assert smooth.analytic and smooth.homogeneity_degree == 2
    # usable in a network, agreeing with its definition
    net = vf.MLP([1, 2, 1], act)
    loss = vf.SquareLoss(net, vf.Dataset([[2], [-3]], [1, 0]))
    th = [1, -1, 1, 1]
    exact = loss.value(th, "exact")
    assert float(exact) == pytest.approx(loss.value(th))


@pytest.mark.parametrize("bad", [sp.Abs(Z), sp.sign(Z), sp.Max(Z, 0), sp.floor(Z), sp.Heaviside(Z)], ids=str)
def test_non_analytic_pieces_are_rejected(bad):
    with pytest.raises(NotAnalyticError, match="not analytic|unsupported"):
        vf.Activation.from_piecewise(sp.Piecewise((bad, Z < 0), (Z, True)), Z, "bad")


def test_piece_with_foreign_symbol_is_rejected():
    a = sp.Symbol("a")
    with pytest.raises(InputError, match="depends on"):
        vf.Activation.from_piecewise(a * Z, Z, "param")


def test_strings_are_not_parsed():
    with pytest.raises((InputError, UnknownActivationError)):
        vf.Activation.from_piecewise("Piecewise((0, z < 0), (z, True))", Z, "text")


def test_values_at_breakpoints_follow_the_definition():
    act = vf.activations.hardtanh()
    f = vf.get_arith("float")
    (vals,) = act(np.array([-2.0, -1.0, 0.5, 1.0, 3.0]), f, order=0)
    assert vals.tolist() == [-1.0, -1.0, 0.5, 1.0, 1.0]
