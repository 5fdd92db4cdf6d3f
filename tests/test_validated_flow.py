"""verify.convergence.validated_flow: validated Taylor enclosures of gradient flow (issue 14, item 2).

Every enclosure is checked against an independent value: closed-form solutions evaluated in Arb at 512 bits
(linear flows x' = −Ax with exact matrix exponentials, the quartic ¼(x² − 1)²), and mpmath's Taylor ODE solver at
high precision for a non-polynomial objective and a tanh network. A box "contains" a reference only when the
reference's own (much narrower) enclosure lies inside it."""

from __future__ import annotations

import random
from fractions import Fraction as F

import mpmath
import numpy as np
import pytest
import sympy as sp
from flint import arb, ctx, fmpq
from hypothesis import given, settings
from hypothesis import strategies as st

import verify as vf
from verify.arith.ball import contains
from verify.arith.taylor import SeriesContext, TaylorArithmetic, variable
from verify.convergence import validated_flow
from verify.errors import (
    ArithmeticNotSupportedError,
    InputError,
    InternalError,
    NonFiniteError,
    PrecisionError,
    ShapeError,
)

X, Y = sp.symbols("x y")
QUARTIC = vf.Objective.from_sympy((X**2 - 1) ** 2 / 4, [X])


def _a(q) -> arb:
    q = F(q)
    return arb(fmpq(q.numerator, q.denominator))


def _exp(q) -> arb:
    return _a(q).exp()


def _quartic_exact(x0, t) -> arb:
    """x(t) of x' = −x(x² − 1): x² = 1/(1 + (1/x0² − 1)e^{−2t}), with the sign of x0 (x0 ≠ 0)."""
    x0 = F(x0)
    v = 1 / (1 + (1 / _a(x0) ** 2 - 1) * _exp(-2 * F(t)))
    return v.sqrt() if x0 > 0 else -v.sqrt()


def _encloses(b: arb, r: arb) -> bool:
    """The box entry b contains the reference r (an enclosure at 512 bits of the exact value). An exact b (the
    start point) cannot contain a ball; it must then lie in r, whose radius is ~1e−150."""
    return b.contains(r) or (b.rad() == 0 and r.contains(b))


def _inside(box, refs) -> bool:
    return all(_encloses(b, r) for b, r in zip(box, refs))


def _max_rad(box) -> float:
    return max(float(b.rad()) for b in box)


# --------------------------------------------------------------------------- closed-form solutions
def test_diagonal_linear_flow_contains_exact_exponentials():
    a = [F(1), F(3), F(-1, 2)]  # L = ½ Σ a_i x_i²: x_i(t) = x0_i e^{−a_i t} (one growing direction)
    L = sum(ai * v**2 for ai, v in zip(a, sp.symbols("u v w"))) / 2
    obj = vf.Objective.from_sympy(L, list(sp.symbols("u v w")))
    x0 = [F(1, 3), F(-2), F(5, 7)]
    T = F(3)
    tube = validated_flow(obj, x0, T)
    assert tube.complete and tube.T_reached == T
    rng = random.Random(1)
    times = [F(0), T, F(1, 3), *(F(rng.randrange(3000), 1000) for _ in range(10))]
    with SeriesContext(512, 1):
        for t in times:
            refs = [_a(x) * _exp(-ai * t) for x, ai in zip(x0, a)]
            assert _inside(tube.at(t), refs), t
    assert _max_rad(tube.final) < 1e-30


def test_coupled_linear_flow_with_known_eigenvectors():
    # L = ½ xᵀAx, A = [[2, 1], [1, 2]] = 3·uuᵀ + 1·vvᵀ, u = (1, 1)/√2, v = (1, −1)/√2
    obj = vf.Objective.from_sympy(X**2 + X * Y + Y**2, [X, Y])
    x0 = [F(3, 2), F(-1, 4)]
    tube = validated_flow(obj, x0, 2)
    s, d = (x0[0] + x0[1]) / 2, (x0[0] - x0[1]) / 2
    with SeriesContext(512, 1):
        for t in [F(0), F(1, 7), F(1, 2), F(3, 2), F(2)]:
            e1, e3 = _exp(-t), _exp(-3 * t)
            refs = [_a(s) * e3 + _a(d) * e1, _a(s) * e3 - _a(d) * e1]
            assert _inside(tube.at(t), refs), t


def test_saddle_flow_grows_and_is_still_enclosed():
    """L = ½(x² − y²): y(t) = y0·e^{t} grows, μ = 1 > 0 in the wrapping control."""
    obj = vf.Objective.from_sympy((X**2 - Y**2) / 2, [X, Y])
    x0 = [F(1, 3), F(1, 10)]
    tube = validated_flow(obj, x0, 4)
    with SeriesContext(512, 1):
        for t in [F(1, 2), F(2), F(4)]:
            assert _inside(tube.at(t), [_a(x0[0]) * _exp(-t), _a(x0[1]) * _exp(t)])
    assert all(s.mu is None or s.mu >= 1 for s in tube.steps)  # μ ≥ −λ_min = 1


@pytest.mark.parametrize("x0", [F(1, 2), F(-3, 2), F(1, 100), F(5), F(-1, 3)])
def test_quartic_contains_closed_form_at_random_times(x0):
    T = F(6)
    tube = validated_flow(QUARTIC, [x0], T)
    assert tube.complete
    rng = random.Random(hash(x0) & 0xFFFF)
    times = [F(0), T, *(F(rng.randrange(6000), 1000) for _ in range(12)), *tube.times[1:6]]
    with SeriesContext(512, 1):
        for t in times:
            assert _encloses(tube.at(t)[0], _quartic_exact(x0, t)), t
    assert _max_rad(tube.final) < 1e-28


@settings(max_examples=12, deadline=None)
@given(st.fractions(min_value=-3, max_value=3, max_denominator=97).filter(lambda q: q != 0),
       st.fractions(min_value=F(1, 50), max_value=3, max_denominator=50),
       st.sampled_from([64, 128]))
def test_quartic_random_starts_and_horizons(x0, T, prec):
    tube = validated_flow(QUARTIC, [x0], T, prec=prec)
    assert tube.complete
    with SeriesContext(512, 1):
        for t in (T / 3, T):
            assert _encloses(tube.at(t)[0], _quartic_exact(x0, t)), (x0, t)


def test_quartic_tubes_enclose_every_time_of_each_step():
    x0 = F(1, 2)
    tube = validated_flow(QUARTIC, [x0], 2)
    with SeriesContext(512, 1):
        for st in tube.steps[:: max(1, len(tube.steps) // 6)]:
            for frac in (F(0), F(1, 3), F(1, 2), F(1)):
                t = st.t0 + frac * st.h
                assert st.tube[0].contains(_quartic_exact(x0, t))
            assert st.end[0].contains(_quartic_exact(x0, st.t1))
        # a ball of times: the enclosure covers θ over the whole interval
        box = tube.at(arb(fmpq(3, 4), fmpq(1, 4)))[0]
        for t in (F(1, 2), F(3, 4), F(1)):
            assert box.contains(_quartic_exact(x0, t))
        hull = tube.hull()[0]
        assert hull.contains(_a(x0)) and hull.contains(_quartic_exact(x0, 2))


def test_loss_and_distance_along_the_tube():
    x0 = F(1, 2)
    tube = validated_flow(QUARTIC, [x0], 3)
    encl = tube.loss_enclosures(QUARTIC)
    assert len(encl) == len(tube.steps)
    with SeriesContext(512, 1):
        for t0, t1, L in encl[:: max(1, len(encl) // 8)]:
            for t in (t0, (t0 + t1) / 2, t1):
                x = _quartic_exact(x0, t)
                assert L.contains((x * x - 1) ** 2 / 4)
    # the flow moves monotonically from 1/2 towards 1: sup ‖x(t) − 1/2‖ = x(3) − 1/2 ≤ the bound, and the bound is
    # tight up to one step box
    r = tube.distance_upper([x0])
    with SeriesContext(512, 1):
        assert _a(r).lower() >= (_quartic_exact(x0, 3) - _a(x0)).upper()
    assert r < F(1, 2) + F(1, 10**6)
    with pytest.raises(InputError):
        tube.distance_upper([1, 2])
    with pytest.raises(InputError):
        tube.loss_enclosures(None)


@pytest.mark.parametrize("x0", [F(1), F(-1), F(0)])
def test_quartic_equilibria_stay_put(x0):
    """x0 = ±1 (minima) and 0 (a maximum): the flow is constant; the tube must contain the constant."""
    tube = validated_flow(QUARTIC, [x0], 3)
    assert tube.complete
    for t in (F(1), F(3)):
        assert tube.at(t)[0].contains(_a(x0))
    assert _max_rad(tube.final) < 1e-25


# --------------------------------------------------------------------------- mpmath references
def _mp_reference(grad, x0, times, dps=50):
    """mpmath.odefun (Taylor series, non-rigorous) at high precision: values at ``times``."""
    with mpmath.workdps(dps):
        sol = mpmath.odefun(lambda t, y: [-g for g in grad(y)], 0, [mpmath.mpf(q.numerator) / q.denominator
                                                                  for q in x0])
        return [[mpmath.mpf(v) for v in sol(mpmath.mpf(t.numerator) / t.denominator)] for t in times]


def test_scalar_nonpolynomial_objective_contains_mpmath_solution():
    L = sp.cos(X) + X**2 / 4 + sp.exp(-X) / 5
    obj = vf.Objective.from_sympy(L, [X])
    g = sp.lambdify(X, sp.diff(L, X), "mpmath")
    times = [F(1, 5), F(3, 5)]
    tube = validated_flow(obj, [F(-2, 3)], F(3, 5), prec=64)  # radius ~1e−17 ≫ mpmath's error at 32 digits
    refs = _mp_reference(lambda y: [g(y[0])], [F(-2, 3)], times, dps=32)
    for t, ref in zip(times, refs):
        assert contains(tube.at(t)[0], ref[0]), t


@pytest.mark.slow
def test_nonpolynomial_objective_contains_mpmath_solution():
    L = sp.cos(X) * sp.exp(Y / 2) + (X - Y) ** 2 / 4 + sp.log(1 + X**2) / 3
    obj = vf.Objective.from_sympy(L, [X, Y])
    gx, gy = [sp.lambdify((X, Y), sp.diff(L, v), "mpmath") for v in (X, Y)]
    x0 = [F(1, 2), F(-1, 3)]
    rng = random.Random(7)
    times = sorted(F(rng.randrange(1, 600), 1000) for _ in range(4))
    tube = validated_flow(obj, x0, F(3, 5))
    refs = _mp_reference(lambda y: [gx(*y), gy(*y)], x0, times, dps=40)
    for t, ref in zip(times, refs):
        box = tube.at(t)
        for b, r in zip(box, ref):
            assert contains(b, r), (t, b, r)
        assert _max_rad(box) < 1e-30


@pytest.mark.slow
def test_tanh_network_tube_contains_an_independent_high_precision_tube():
    """The taped tube at 64 bits contains the series-engine tube's midpoints at 256 bits (a different Taylor AD —
    whole arb_series instead of a tape — and 192 more bits), and the two overlap at every tested time. (mpmath's
    odefun on this network took more than 20 minutes under CI load: too slow for a reference.)"""
    net = vf.MLP([2, 3, 1], "tanh")
    loss = vf.SquareLoss(net, vf.Dataset([[1, 0], [0, 1], [1, 1]], [1, -1, 0]))
    th = [F(k, 7) for k in range(-4, 5)]
    times = [F(1, 16), F(1, 8), F(3, 16), F(1, 4)]
    tube = validated_flow(loss, th, F(1, 4), prec=64)
    ref = validated_flow(loss, th, F(1, 4), prec=256, ad="series")
    assert tube.complete and ref.complete and ref.max_radius < tube.max_radius
    for t in times:
        for b, r in zip(tube.at(t), ref.at(t)):
            assert b.overlaps(r) and b.contains(arb(r.mid())), (t, b, r)


# --------------------------------------------------------------------------- tightening
def test_radius_shrinks_with_order_at_a_fixed_step():
    radii = []
    for N in (6, 10, 16):
        tube = validated_flow(QUARTIC, [F(1, 2)], 2, order=N, step=F(1, 8))
        assert tube.complete
        with SeriesContext(512, 1):
            assert tube.final[0].contains(_quartic_exact(F(1, 2), 2))
        radii.append(_max_rad(tube.final))
    assert radii[0] > radii[1] > radii[2]


def test_radius_shrinks_with_precision():
    radii = []
    for prec in (64, 128, 256):
        tube = validated_flow(QUARTIC, [F(1, 2)], 2, prec=prec)
        with SeriesContext(512, 1):
            assert tube.final[0].contains(_quartic_exact(F(1, 2), 2))
        radii.append(_max_rad(tube.final))
    assert radii[0] > 1e6 * radii[1] and radii[1] > 1e6 * radii[2]


def test_radius_contracts_in_a_convex_region():
    """L = x²/2 from a non-dyadic start (ρ0 > 0): μ = −1 < 0, the initial uncertainty shrinks like e^{−t}."""
    obj = vf.Objective.from_sympy(X**2 / 2, [X])
    tube = validated_flow(obj, [F(1, 3)], 8, prec=64)
    assert tube.rho0 > 0
    assert all(s.mu is None or s.mu <= -1 + F(1, 2**40) for s in tube.steps)
    with SeriesContext(512, 1):
        assert tube.final[0].contains(_a(F(1, 3)) * _exp(-8))


# --------------------------------------------------------------------------- the ctx.cap pitfall
def test_global_cap_is_ignored_and_restored():
    saved = (ctx.cap, ctx.prec)
    try:
        ctx.cap, ctx.prec = 3, 30  # a tiny global cap would truncate every series to order 3
        tube = validated_flow(QUARTIC, [F(1, 2)], 1, order=20)
        assert (ctx.cap, ctx.prec) == (3, 30)  # restored
    finally:
        ctx.cap, ctx.prec = saved
    with SeriesContext(512, 1):
        assert tube.final[0].contains(_quartic_exact(F(1, 2), 1))
    assert _max_rad(tube.final) < 1e-30


def test_series_context_restores_after_an_error():
    saved = (ctx.cap, ctx.prec)
    with pytest.raises(ZeroDivisionError):
        with SeriesContext(200, 50):
            assert (ctx.cap, ctx.prec) == (50, 200)
            raise ZeroDivisionError
    assert (ctx.cap, ctx.prec) == saved


def test_truncated_series_are_detected_not_used(monkeypatch):
    """If the cap in force were below the series order (the probe's bug), the coefficients would read 0 beyond it;
    the order check raises instead of returning a box without the solution."""
    monkeypatch.setattr(TaylorArithmetic, "context", lambda self: SeriesContext(self.prec, 5))
    with pytest.raises(InternalError, match="truncated"):
        validated_flow(QUARTIC, [F(1, 2)], 1, order=12, ad="series")


def test_series_engine_under_a_tiny_global_cap_contains_the_solution():
    saved = ctx.cap
    try:
        ctx.cap = 2
        tube = validated_flow(QUARTIC, [F(1, 2)], 2, order=16, ad="series")
        assert ctx.cap == 2
    finally:
        ctx.cap = saved
    with SeriesContext(512, 1):
        for t in (F(1, 2), F(2)):
            assert _encloses(tube.at(t)[0], _quartic_exact(F(1, 2), t))


_MANY = (sp.cos(X) * sp.exp(Y / 2) + (X - Y) ** 2 / 4 + sp.log(1 + X**2) / 3 + sp.atan(X * Y) + sp.erf(Y)
         + sp.tanh(X + Y) + sp.sqrt(2 + X**2) + sp.sinh(X) * sp.cosh(Y) + sp.tan(X / 3) + 1 / (3 + Y**2)
         + sp.sin(X * Y) + (1 + X**2) ** sp.Rational(1, 3))


@pytest.mark.parametrize("case", ["sympy", "tanh", "logistic"])
@pytest.mark.parametrize("box", [False, True])
def test_tape_and_series_coefficients_agree(case, box):
    """The two AD engines compute enclosures of the same Taylor coefficients: they must overlap, to order 18, at a
    point and over a box of states (every elementary function of the compiler on the tape)."""
    from verify.convergence.validated_flow import _Flow

    if case == "sympy":
        obj, x0 = vf.Objective.from_sympy(_MANY, [X, Y]), [F(1, 2), F(-1, 3)]
    else:
        net = vf.MLP([2, 3, 1], "tanh", bias=True)
        data = vf.Dataset([[1, 0], [0, 1], [1, 1]], [1, -1, 1])
        obj = vf.SquareLoss(net, data) if case == "tanh" else vf.LogisticLoss(net, data)
        x0 = [F(k, 7) for k in range(-6, 7)]
    fl = _Flow(obj, 128, 18, F(1, 2**100))
    with SeriesContext(128, 20):
        x = [_a(q) for q in x0]
        x = [arb(v.mid(), 2.0**-12) if box else arb(v.mid()) for v in x]
        a, b = fl.coefficients(x, 18), fl.series_coefficients(x, 18)
    for ca, cb in zip(a, b):
        for u, v in zip(ca, cb):
            assert u.is_finite() and v.is_finite() and u.overlaps(v)


def test_constants_do_not_truncate_series():
    A = TaylorArithmetic(128, cap=40)
    with A.context():
        v = variable([arb(1), arb(2)], 30)
        w = A.const(F(1, 3)) * v + A.const(F(2)) + A.func("tanh")(v) * A.const(F(5))
        assert w.order == 30
        out = A.matmul(np.array([[A.const(F(1)), A.const(F(2))]], dtype=object), np.array([[v], [v]], dtype=object))
        assert out[0, 0].order == 30 and out[0, 0].coeff(1).contains(arb(6))


# --------------------------------------------------------------------------- kinks
def test_abs_objective_stops_before_the_kink():
    """L = (x − 2)²/2 + |x| from x0 = −1: x' = 3 − x for x < 0, x(t) = 3 − 4e^{−t} reaches the kink x = 0 at
    t* = ln(4/3) ≈ 0.2877 (a transversal crossing). The tube stops before t* with a reason, valid up to there."""
    xr = sp.Symbol("x", real=True)
    obj = vf.Objective.from_sympy((xr - 2) ** 2 / 2 + sp.Abs(xr), [xr])
    tube = validated_flow(obj, [F(-1)], 1, kinks="stop")
    assert not tube.complete and tube.stop_kind == "kink"
    assert "breakpoint" in tube.stopped or "Piecewise" in tube.stopped
    t_star = float(mpmath.log(mpmath.mpf(4) / 3))
    assert 0.9 * t_star < float(tube.T_reached) <= t_star
    with SeriesContext(512, 1):
        for t in (F(0), tube.T_reached / 2, tube.T_reached):
            assert _encloses(tube.at(t)[0], 3 - 4 * _exp(-t))
    with pytest.raises(InputError, match="T_reached"):
        tube.at(tube.T_reached + F(1, 10**6))


def test_relu_network_meeting_a_kink_stops_with_the_neuron_named():
    # z = w1·1 + b1 starts at 1/4 > 0; the output w2·relu(z) + b2 is pushed down to −1, driving z to 0
    net = vf.MLP([1, 1, 1], "relu", bias=True)
    loss = vf.SquareLoss(net, vf.Dataset([[1]], [-1]))
    th = [F(1, 8), F(1, 8), F(2), F(1, 2)]  # W1, b1, W2, b2
    tube = validated_flow(loss, th, 5)
    assert tube.stop_kind == "kink", tube.stopped
    assert "layer 1" in tube.stopped and "neuron 0" in tube.stopped
    assert 0 < tube.T_reached < 5
    box = tube.final
    z = box[0] + box[1]  # the pre-activation enclosure at T_reached: still on the positive side
    assert z.lower() > 0


def test_start_on_a_kink_gives_an_empty_tube_with_the_neuron_named():
    net = vf.MLP([1, 1, 1], "relu", bias=True)
    loss = vf.SquareLoss(net, vf.Dataset([[1]], [-1]))
    x0 = [F(1, 8), F(-1, 8), F(2), F(1, 2)]  # pre-activation exactly 0
    tube = validated_flow(loss, x0, 5)
    assert tube.T_reached == 0 and tube.stop_kind == "kink" and "layer 1, neuron 0" in tube.stopped
    assert not tube.steps and all(b.contains(_a(q)) for b, q in zip(tube.at(0), x0))
    assert all(b.contains(_a(q)) for b, q in zip(tube.final, x0))
    with pytest.raises(InputError):
        tube.at(F(1, 10))


def test_dead_relu_neuron_is_analytic_and_enclosed():
    """z = −1/4 < 0 stays negative (its gradient vanishes): the flow is analytic, W1 and b1 do not move."""
    net = vf.MLP([1, 1, 1], "relu", bias=True)
    loss = vf.SquareLoss(net, vf.Dataset([[1]], [-1]))
    x0 = [F(-1, 8), F(-1, 8), F(2), F(1, 2)]
    tube = validated_flow(loss, x0, 3)
    assert tube.complete
    # b2' = −2(b2 + 1): b2(t) = −1 + (3/2) e^{−2t}
    with SeriesContext(512, 1):
        box = tube.at(3)
        assert all(b.contains(_a(q)) for b, q in zip(box[:3], x0[:3]))
        assert box[3].contains(-1 + _a(F(3, 2)) * _exp(-6))


# --------------------------------------------------------------------------- blow-up and domain edges
def test_blow_up_stops_before_the_singularity():
    """L = −x⁴/4: x' = x³, x(t) = 1/√(1 − 2t) blows up at t = 1/2. The tube must stop before it, enclosing x."""
    obj = vf.Objective.from_sympy(-(X**4) / 4, [X])
    tube = validated_flow(obj, [1], 1, prec=64, min_step=F(1, 2**16))
    assert tube.stop_kind == "step_size" and "min_step" in tube.stopped
    assert F(2, 5) < tube.T_reached < F(1, 2)
    with SeriesContext(512, 1):
        for t in (tube.T_reached / 2, tube.T_reached):
            assert _encloses(tube.at(t)[0], 1 / (1 - 2 * _a(t)).sqrt())


def test_flow_to_the_edge_of_the_domain_stops_before_it():
    """L = log x: x' = −1/x, x(t)² = 1/4 − 2t reaches the edge x = 0 of the domain at t = 1/8."""
    obj = vf.Objective.from_sympy(sp.log(X), [X])
    tube = validated_flow(obj, [F(1, 2)], 1, prec=64, min_step=F(1, 2**16))
    assert not tube.complete and tube.T_reached < F(1, 8)
    with SeriesContext(512, 1):
        assert _encloses(tube.final[0], (_a(F(1, 4)) - 2 * _a(tube.T_reached)).sqrt())


def test_stiff_and_tiny_scales():
    obj = vf.Objective.from_sympy(10**4 * X**2 / 2, [X])  # x' = −10⁴x: explicit steps ~ 1e−4·const
    tube = validated_flow(obj, [1], F(1, 100), prec=64)
    assert tube.complete
    with SeriesContext(512, 1):
        assert _encloses(tube.final[0], _exp(-100))
    tiny = vf.Objective.from_sympy(X**2 / 2 / 10**12, [X])
    tube = validated_flow(tiny, [F(1, 3)], 100)
    with SeriesContext(512, 1):
        assert _encloses(tube.final[0], _a(F(1, 3)) * _exp(F(-100, 10**12)))
    assert _max_rad(tube.final) < 1e-35


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, err", [
    ({"T": 0}, InputError), ({"T": -1}, InputError), ({"T": float("nan")}, NonFiniteError),
    ({"T": float("inf")}, InputError), ({"T": 10**7}, InputError),
    ({"x0": [F(1), F(2)]}, InputError), ({"x0": [[F(1)]]}, InputError), ({"x0": [float("nan")]}, NonFiniteError),
    ({"x0": "1"}, InputError),
    ({"prec": 8}, InputError), ({"prec": 10**6}, InputError), ({"prec": 128.0}, InputError),
    ({"order": 1}, InputError), ({"order": 1000}, InputError), ({"order": 2.5}, InputError),
    ({"tol": 0}, InputError), ({"tol": 2}, InputError), ({"tol": float("nan")}, NonFiniteError),
    ({"step": -1}, InputError), ({"max_steps": 0}, InputError), ({"time_limit": -1.0}, InputError),
])
def test_bad_inputs_are_refused_before_work(kwargs, err):
    args = {"obj": QUARTIC, "x0": [F(1, 2)], "T": 1}
    args.update(kwargs)
    with pytest.raises(err):
        validated_flow(**args)


def test_unsupported_objectives_are_refused():
    with pytest.raises(InputError):
        validated_flow(lambda x: x, [1], 1)
    nn = vf.nn
    net = nn.Sequential(nn.Conv1d(1, 1, kernel=2, bias=False), nn.Act("tanh"), nn.Flatten(), nn.Dense(1, bias=False),
                        input_shape=(1, 3))
    loss = vf.SquareLoss(net, vf.Dataset([[1, 2, 3]], [1]))
    with pytest.raises(ArithmeticNotSupportedError, match="Dense/Act"):
        validated_flow(loss, [F(1, 2)] * net.n_params, 1)


def test_shape_errors_are_input_errors():
    assert issubclass(ShapeError, InputError) and issubclass(PrecisionError, InputError)
