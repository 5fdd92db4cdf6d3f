"""Objectives: Objective.from_sympy (smooth and piecewise), square-loss normalisations, logistic loss,
regions and on_region, symbolic models (README.md, Models)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import verify as vf
from verify.arith.ball import contains
from verify.errors import RegionBoundaryError

from .strategies import rationals

x, y = sp.symbols("x y", real=True)


def _q(v):
    return Fraction(int(v.p), int(v.q))


@given(rationals(), rationals())
def test_from_sympy_polynomial_exact_and_numeric(a, b):
    expr = sp.Rational(1, 4) * (x**2 - 1) ** 2 + x * y**3 - 3 * y
    obj = vf.Objective.from_sympy(expr, [x, y])
    sub = {x: sp.Rational(a.numerator, a.denominator), y: sp.Rational(b.numerator, b.denominator)}
    assert _q(obj.value([a, b], "exact")) == _q(sp.Rational(expr.subs(sub)))
    g = [sp.diff(expr, v).subs(sub) for v in (x, y)]
    assert [_q(t) for t in obj.grad([a, b], "exact")] == [_q(sp.Rational(t)) for t in g]
    H = sp.hessian(expr, (x, y)).subs(sub)
    assert [_q(t) for t in obj.hessian([a, b], "exact").reshape(-1)] == [_q(sp.Rational(t)) for t in H]
    for arith in ("float", "mp", "ball"):
        Hn = obj.hessian([a, b], arith)
        for hv, he in zip(Hn.reshape(-1), H):
            if arith == "ball":
                assert contains(hv, _q(sp.Rational(he)))
            else:
                assert float(hv) == pytest.approx(float(he), rel=1e-12, abs=1e-12)
    v = [Fraction(1, 3), Fraction(-2, 5)]
    hv = obj.hvp([a, b], v, "exact")
    assert [_q(t) for t in hv] == [_q(sp.Rational(t)) for t in (H * sp.Matrix([sp.Rational(1, 3), sp.Rational(-2, 5)]))]


def test_from_sympy_transcendental_and_piecewise():
    obj = vf.Objective.from_sympy(sp.Abs(x - 1) * y**2 + sp.exp(x * y), [x, y])
    assert len(obj.pieces()) == 1
    assert obj.region([2, 1]) == (0,)
    assert sp.simplify(obj.on_region((0,)) - ((x - 1) * y**2 + sp.exp(x * y))) == 0
    assert obj.value([2, 1]) == pytest.approx(1 + np.exp(2))
    g = obj.grad([2, 1], "ball")
    assert float(g[0].mid()) == pytest.approx(1 + np.exp(2))  # ∂x = y² + y e^{xy}
    with pytest.raises(RegionBoundaryError, match="x >= 1|x - 1"):
        obj.grad([1, 1], "ball")
    with pytest.raises(vf.errors.ArithmeticNotSupportedError):
        obj.value([2, 1], "exact")


def test_square_loss_normalisations():
    net = vf.MLP([1, 1], "relu")  # linear model f(x) = w x
    data = vf.Dataset([[1], [2]], [1, 1])
    th = [Fraction(1, 2)]
    # residuals -1/2, 0 → sum of squares 1/4
    expected = {"mean": Fraction(1, 8), "half_mean": Fraction(1, 16), "sum": Fraction(1, 4),
                "half_sum": Fraction(1, 8)}
    for norm, val in expected.items():
        loss = vf.SquareLoss(net, data, normalization=norm)
        assert _q(loss.value(th, "exact")) == val
    with pytest.raises(vf.errors.InputError, match="normalization"):
        vf.SquareLoss(net, data, normalization="rms")


def test_logistic_loss_is_stable_and_certified():
    net = vf.MLP([1, 1], "relu")
    data = vf.Dataset([[1], [-1]], [1, 1])
    loss = vf.LogisticLoss(net, data)
    # L(w) = mean(log(1 + e^{-w}) + log(1 + e^{w}))
    w = 3.0
    expected = 0.5 * (np.log1p(np.exp(-w)) + np.log1p(np.exp(w)))
    assert loss.value([w]) == pytest.approx(expected, rel=1e-14)
    big = 800.0  # float exp overflows naively; the stable form does not
    assert np.isfinite(loss.value([big])) and loss.value([big]) == pytest.approx(big / 2, rel=1e-12)
    vb = loss.value([big], "ball")
    assert float(vb.rad()) < 1e-30 * big
    assert loss.value([big], "mp", 200) - vb.mid() < 1e-30


def test_region_and_on_region_relu():
    net = vf.MLP([2, 2, 1], "relu", bias=True)
    data = vf.Dataset([[1, 2], [3, -1]], [1, 0])
    loss = vf.SquareLoss(net, data)
    th = [Fraction(k, 5) - Fraction(7, 10) for k in range(9)]
    pattern = loss.region(th)
    E = loss.on_region(pattern)
    assert E.is_polynomial(*net.symbols)
    sub = {s: sp.Rational(t.numerator, t.denominator) for s, t in zip(net.symbols, th)}
    assert _q(sp.Rational(E.subs(sub))) == _q(loss.value(th, "exact"))
    # the same polynomial gives the gradient on the region
    g = [sp.diff(E, s).subs(sub) for s in net.symbols]
    assert [_q(t) for t in loss.grad(th, "exact")] == [_q(sp.Rational(t)) for t in g]


def test_symbolic_model_is_the_source_of_truth():
    net = vf.MLP([1, 2, 1], "tanh")
    (f,) = net.symbolic(x=[Fraction(1, 2)])
    th = [Fraction(1, 3), Fraction(-1, 2), Fraction(2), Fraction(1, 7)]
    val = f.subs({s: sp.Rational(t.numerator, t.denominator) for s, t in zip(net.symbols, th)})
    loss = vf.SquareLoss(net, vf.Dataset([[Fraction(1, 2)]], [0]))
    out = loss.outputs(th, "ball")[0, 0]
    from verify.numbers import to_fraction

    assert contains(out, to_fraction(sp.N(val, 60)))


@given(st.integers(1, 3), st.booleans())
def test_parameter_views_roundtrip(depth, bias):
    net = vf.MLP([2] + [3] * depth + [1], "relu", bias=bias)
    th = np.arange(net.n_params, dtype=float)
    views = net.views(th)
    assert np.array_equal(net.flatten(views), th)
    assert sum(v.size for v in views.values()) == net.n_params
    assert len(net.param_names) == net.n_params == len(net.symbols)
    assert net.homogeneity_degree == (None if bias else depth + 1)


def test_dataset_keeps_exact_rationals():
    d = vf.Dataset([[Fraction(1, 3), sp.Rational(2, 7)], [np.int64(3), 0.5]], np.array([1, 2]))
    assert d.X_exact[0, 0] == Fraction(1, 3) and d.X_exact[0, 1] == Fraction(2, 7)
    assert d.X_exact[1, 1] == Fraction(1, 2)
    assert d.y.shape == (2,) and d.Y_exact.shape == (2, 1)
    a = vf.get_arith("exact")
    X, _ = d.in_arith(a)
    assert _q(X[0, 0]) == Fraction(1, 3)
