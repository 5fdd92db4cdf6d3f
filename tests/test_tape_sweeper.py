"""The compiled tape sweep (verify.arith.relaxed.Sweeper) and the high-order a-priori enclosure of validated_flow.

The Sweeper merges common subexpressions, computes squares by symmetry and runs one closure per node; its
coefficients must enclose the exact Taylor coefficients — checked against the reference sweep (relaxed.sweep) at
400 bits, at points and at random points of boxes (the property the validated Taylor method relies on: a
coefficient over a box encloses the coefficient at every state in it). The high-order a-priori test must be
enough on its own (the first-order test disabled) and the first-order fallback still sound (the high-order test
disabled); both against closed-form solutions evaluated at 512 bits."""

from __future__ import annotations

import importlib
import random
from fractions import Fraction as F

import numpy as np
import pytest
import sympy as sp
from flint import arb, fmpq

import verify as vf
from verify.arith import relaxed as R
from verify.arith.taylor import SeriesContext
from verify.convergence import validated_flow

from .tape_cases import flow_coefficients

VF = importlib.import_module("verify.convergence.validated_flow")
X, Y = sp.symbols("x y")
ORDER = 9

EXPRS = {
    "elementary": sp.exp(X / 3) * sp.log(2 + Y**2) + sp.sqrt(3 + X**2) / (2 + sp.cos(Y)) + sp.atan(X * Y),
    "hyperbolic": sp.tanh(X - Y) ** 2 + sp.sinh(X / 2) * sp.cosh(Y / 3) + sp.erf(X / 2) + sp.tan(Y / 4),
    "repeated": (X * Y + Y * X) ** 2 + (1 - sp.tanh(X) ** 2) * (1 - sp.tanh(X) ** 2) + X / (1 + Y**2) + 1 / (2 + X),
    "powers": X**5 - 3 * X**3 * Y + Y**4 / 7 + (X + Y) ** 3,
}


def _a(q) -> arb:
    q = F(q)
    return arb(fmpq(q.numerator, q.denominator))


def _objectives():
    out = {k: (vf.Objective.from_sympy(e, [X, Y]), [F(1, 3), F(-2, 5)]) for k, e in EXPRS.items()}
    net = vf.MLP([2, 3, 2, 1], "tanh", bias=True)
    loss = vf.SquareLoss(net, vf.Dataset([[1, 0], [0, 1], [1, 1], [F(1, 2), -1]], [1, -1, 0, F(1, 3)]))
    out["tanh-mlp"] = (loss, [F((-1) ** k * (k % 5), 7) for k in range(loss.n_params)])
    return out


def _coefficients(obj, x, prec, compiled, order=ORDER):
    """Taylor coefficients of the gradient of obj along the flow through x (arb list): Sweeper or reference sweep."""
    return flow_coefficients(obj, x, prec, compiled, order)


@pytest.mark.parametrize("name", ["elementary", "hyperbolic", "repeated", "powers", "tanh-mlp"])
def test_sweeper_encloses_the_reference_coefficients_at_a_point(name):
    obj, x0 = _objectives()[name]
    with SeriesContext(400, 1):
        xr = [_a(q) for q in x0]
    ref, _ = _coefficients(obj, xr, 400, compiled=False)
    with SeriesContext(128, 1):
        x = [_a(q) for q in x0]
    new, _ = _coefficients(obj, x, 128, compiled=True)
    for k, (u, v) in enumerate(zip(new, ref)):
        for a, b in zip(u, v):
            assert a.is_finite() and a.contains(b), (name, k, a, b)
            assert a.rad() < 2.0**-80 * (1 + abs(b).upper() * 2**20), (name, k, a)  # a point: thin balls


@pytest.mark.parametrize("name", ["elementary", "hyperbolic", "repeated", "tanh-mlp"])
def test_sweeper_over_a_box_encloses_the_coefficients_of_its_points(name):
    obj, x0 = _objectives()[name]
    w = F(1, 50)
    with SeriesContext(128, 1):
        box = [_a(q) + arb(0, float(w)) for q in x0]
    new, _ = _coefficients(obj, box, 128, compiled=True)
    rng = random.Random(7)
    for _ in range(4):
        pt = [q + w * F(rng.randrange(-1000, 1001), 1000) * F(99, 100) for q in x0]
        with SeriesContext(400, 1):
            xr = [_a(q) for q in pt]
        ref, _ = _coefficients(obj, xr, 400, compiled=False)
        for k, (u, v) in enumerate(zip(new, ref)):
            for a, b in zip(u, v):
                assert a.contains(b), (name, k, a, b)


def test_common_subexpressions_are_merged_and_share_coefficients():
    obj, x0 = _objectives()["tanh-mlp"]
    with SeriesContext(128, 1):
        x = [_a(q) for q in x0]
    _, sw = _coefficients(obj, x, 128, compiled=True)
    assert sw.merged > 0  # the backprop's 1 − tanh² duplicates the tanh node's own 1 − u²
    A = R.TapeArithmetic(128)
    with SeriesContext(128, 1):
        u = R.variable(arb(1) / 3)
        with R.Recording() as rec:
            a = u * u + 1
            b = u * u + 1  # merged with a (exact constant 1, same operand)
            c = u * (1 + arb(1) / 3 - arb(1) / 3)  # an inexact constant: not merged with anything
            d = u * arb(1)
        sw = R.Sweeper(rec.tape)
        assert a.c is b.c and c.c is not d.c
        u.c.append(arb(1))
        sw(1)
        u.c.append(arb(0))
        sw(2)
        # (u² + 1) with u = 1/3 + s: 10/9 + 2s/3 + s²
        assert (a.coeff(1) * 3).contains(2) and a.coeff(2) == 1 and (a.coeff(0) * 9).contains(10)
    del A


def test_const_key_merges_exact_values_only():
    third = arb(1) / 3
    assert R._const_key(arb(3) / 4) == R._const_key(arb(F(3, 4).numerator) / 4)
    assert R._const_key(third) != R._const_key(arb(1) / 3)  # inexact: by identity
    assert R._const_key(third) == R._const_key(third)


def _quartic_misses(tube, x0):
    misses = 0
    with SeriesContext(512, 1):
        times = [s.t1 for s in tube.steps] + [s.t0 + s.h / 3 for s in tube.steps]
        for t in times:
            v = 1 / (1 + (1 / _a(x0) ** 2 - 1) * (_a(-2 * t)).exp())
            exact = v.sqrt() if x0 > 0 else -v.sqrt()
            if not tube.at(t)[0].contains(exact):
                misses += 1
    return misses


@pytest.mark.parametrize("x0", [F(1, 2), F(-3, 2), F(1, 100)])
def test_high_order_apriori_alone_encloses_the_closed_form(monkeypatch, x0):
    def refuse(self, c, h, a1):
        raise AssertionError("the first-order a-priori test was used")

    monkeypatch.setattr(VF._Flow, "apriori", refuse)
    obj = vf.Objective.from_sympy((X**2 - 1) ** 2 / 4, [X])
    tube = validated_flow(obj, [x0], 4)
    assert tube.complete
    assert _quartic_misses(tube, x0) == 0


def test_first_order_fallback_alone_encloses_the_closed_form(monkeypatch):
    orig = VF._Flow.taylor_apriori

    def fail(self, cs, h):
        B, _, _, R_ = orig(self, cs, h)
        return B, None, None, R_  # the high-order inclusion "fails": the first-order test decides

    monkeypatch.setattr(VF._Flow, "taylor_apriori", fail)
    obj = vf.Objective.from_sympy((X**2 - 1) ** 2 / 4, [X])
    tube = validated_flow(obj, [F(-3, 2)], 3)
    assert tube.complete
    assert _quartic_misses(tube, F(-3, 2)) == 0


def test_high_order_apriori_refuses_a_box_the_remainder_leaves():
    """A box B that does not contain P([0, h]) + [0, h]^N·R is never accepted: with a huge step the inclusion fails
    (or the coefficients over B are not finite), and the integrator shrinks h instead of using it."""
    obj = vf.Objective.from_sympy(-X**4, [X])  # x' = 4x³ blows up at t = 1/8 from x0 = 1
    fl = VF._Flow(obj, 128, 12, F(1, 2**100))
    with SeriesContext(128, 14):
        c = np.array([arb(1)], dtype=object)
        cs = fl.coefficients(c, 12)
        try:
            B, tube, end, R_ = fl.taylor_apriori(cs, F(1, 4))
        except (VF.EnclosureError, VF.NonRealError):
            return
        assert tube is None


@pytest.mark.parametrize("order", [2, 3, 4, 6])
def test_low_orders_complete_with_the_closed_form_inside(order):
    """Low orders (tol = 2^−6N): the step-size heuristic (κ learnt from the remainders) must not collapse the steps
    (an intermediate version guessed from y_[N−2] and took 10^5 steps at N = 3)."""
    obj = vf.Objective.from_sympy((X**2 - 1) ** 2 / 4, [X])
    tube = validated_flow(obj, [F(1, 2)], 1, order=order, max_steps=5000)
    assert tube.complete
    assert _quartic_misses(tube, F(1, 2)) == 0
