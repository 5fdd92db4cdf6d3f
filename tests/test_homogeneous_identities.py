"""C1/C2 (``docs/theory/homogeneous_np.md`` §2.1, §6): Euler's identity and homogeneity, with negative
controls; the checks must be able to fail."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import verify as vf
from verify.errors import InputError, SizeLimitError
from verify.homogeneous import (
    check_euler_identity,
    check_homogeneity,
    euler_residuals,
    prove_homogeneity_symbolic,
)

from .strategies import rationals

HOMOGENEOUS = ["relu", ("leaky_relu", "1/10"), "abs", ("relu_power", 2), ("power", 2), "identity"]


@given(st.sampled_from(HOMOGENEOUS), st.integers(1, 2), st.data())
def test_euler_and_homogeneity_proved_exactly(spec, hidden_layers, data):
    net = vf.MLP([2] + [2] * hidden_layers + [1], spec)
    X = [[data.draw(rationals()) for _ in range(2)] for _ in range(2)]
    th = [data.draw(rationals()) for _ in range(net.n_params)]
    try:
        r = check_euler_identity(net, X, th, "exact")
    except vf.errors.RegionBoundaryError:
        return  # H is not differentiable there; Euler's identity does not apply
    assert r.verdict is vf.Verdict.PROVED
    c = data.draw(st.fractions(min_value=Fraction(1, 10), max_value=10))
    assert check_homogeneity(net, X, th, c, "exact").verdict is vf.Verdict.PROVED


def test_block_degrees_match_theory():
    net = vf.MLP([2, 3, 3, 1], ("relu_power", 2))
    assert net.block_degrees == [4, 2, 1] and net.homogeneity_degree == 7
    res = euler_residuals(net, [[1, 2]], [Fraction(k, 7) for k in range(net.n_params)], "exact")
    assert set(res["blocks"]) == {"W1", "W2", "W3"}
    assert all(v == 0 for blk in res["blocks"].values() for v in blk.reshape(-1))


def test_wrong_degree_is_refuted_with_a_counterexample():
    net = vf.MLP([2, 3, 1], "relu")
    th = [Fraction(k + 1, 7) for k in range(net.n_params)]  # all positive: every neuron active
    r = check_euler_identity(net, [[1, 2]], th, "ball", degree=3)
    assert r.verdict is vf.Verdict.REFUTED and r.counterexample["data_point"] == 0
    assert r.margin < 0 and r.scope["count"] == 1
    assert vf.Result.from_json(r.to_json()).verdict is vf.Verdict.REFUTED


def test_bias_negative_control():
    net = vf.MLP([2, 3, 1], "relu", bias=True)
    th = np.array([Fraction(k + 1, 7) for k in range(net.n_params)], dtype=object)
    with pytest.raises(InputError, match="biases"):
        check_euler_identity(net, [[1, 2]], th)
    assert check_homogeneity(net, [[1, 2]], th, 2, "exact", degree=2).verdict is vf.Verdict.REFUTED
    assert check_euler_identity(net, [[1, 2]], th, "ball", degree=2).verdict is vf.Verdict.REFUTED


def test_non_homogeneous_activation_is_named():
    with pytest.raises(InputError, match="tanh"):
        prove_homogeneity_symbolic(vf.MLP([2, 2, 1], "tanh"))


def test_ball_cannot_prove_an_equality_but_bounds_it():
    net = vf.MLP([2, 3, 1], ("relu_power", "3/2"))
    th = [Fraction(k + 1, 7) for k in range(net.n_params)]
    r = check_homogeneity(net, [[1, 2]], th, 2, "ball", 128)
    assert r.verdict is vf.Verdict.SUPPORTED
    assert float(r.quantity.enclosure[1]) < 1e-30
    with pytest.raises(vf.errors.ArithmeticNotSupportedError):
        check_homogeneity(net, [[1, 2]], th, 2, "exact")


def test_float_never_proves():
    net = vf.MLP([2, 3, 1], "relu")
    r = check_euler_identity(net, [[1, 2]], [0.5] * net.n_params, "float")
    assert r.verdict is vf.Verdict.SUPPORTED


def test_symbolic_proof_and_size_limit():
    r = prove_homogeneity_symbolic(vf.MLP([2, 2, 2, 1], "relu"))
    assert r.verdict is vf.Verdict.PROVED and r.arithmetic == "symbolic"
    assert r.quantity.value == 16
    with pytest.raises(SizeLimitError, match="patterns"):
        prove_homogeneity_symbolic(vf.MLP([2, 20, 1], "relu"), max_patterns=1000)
    with pytest.raises(InputError, match="> 0"):
        check_homogeneity(vf.MLP([2, 2, 1], "relu"), [[1, 2]], [1] * 6, -1, "exact")
