"""Adversarial review of the high-order a-priori enclosure of validated_flow (issue 14; commits 9e0ee7f … de2132a).

Under attack: (1) the high-order existence test of Nedialkov, Jackson & Pryce (Reliable Computing 7 (2001)
449–465): B = P([0, h]) padded, accepted when P([0, h]) + [0, h]^N·y_[N](B) ⊆ int B; (2) the step-size factor
κ learnt from the remainders, and the ≤ 1/32 stretch of a last step (heuristics that must never make an invalid box
acceptable); (3) :class:`verify.arith.relaxed.Sweeper` (common-subexpression merging, squares by symmetry, direct
matrix-product writes).

Ground truth is independent of the integrator: closed-form flows evaluated in Arb at 512 bits (the quartic
¼(x² − 1)², linear flows x' = −Ax through ``arb_mat.exp`` — saddles, indefinite and nearly defective A, stiff
e^{−1000t} —, the blow-ups x' = x³ and x' = 4x³, the oscillatory x' = sin(ωx) with tan(ωx/2) = tan(ωx0/2)e^{ωt}),
mpmath's Taylor ODE solver at 40 digits (a sigmoid network written in sympy), and the series-AD engine at 256 bits
for MLP losses. Every step's tube box is checked at several times of the step, and every step-end box at its end."""

from __future__ import annotations

import importlib
import random
from fractions import Fraction as F

import mpmath
import numpy as np
import pytest
import sympy as sp
from flint import arb, arb_mat, fmpq
from hypothesis import given, settings
from hypothesis import strategies as st

import verify as vf
from verify.arith import relaxed as R
from verify.arith.taylor import SeriesContext
from verify.convergence import flow_claims as fc
from verify.convergence import validated_flow

from .tape_cases import flow_coefficients

VF = importlib.import_module("verify.convergence.validated_flow")
P, REF, INC = vf.Verdict.PROVED, vf.Verdict.REFUTED, vf.Verdict.INCONCLUSIVE
X = sp.symbols("x")


def _a(q) -> arb:
    q = F(q)
    return arb(fmpq(q.numerator, q.denominator))


def _enc(b: arb, r: arb) -> bool:
    """The box entry b contains the reference enclosure r (512 bits); an exact b (a start point) must lie in r."""
    return b.contains(r) or (b.rad() == 0 and r.contains(b))


def _misses(tube, ref, nsub=3, maxsteps=40, seed=0) -> list:
    """Steps whose tube box misses ref(t) at t = t0 + i·h/nsub, or whose end box misses ref(t1); long tubes are
    sampled (first and last 10 steps and random ones in between)."""
    steps = list(enumerate(tube.steps))
    if len(steps) > maxsteps:
        rng = random.Random(seed)
        steps = steps[:10] + steps[-10:] + rng.sample(steps[10:-10], maxsteps - 20)
    out = []
    with SeriesContext(512, 1):
        for j, s in steps:
            for i in range(nsub + 1):
                t = s.t0 + s.h * F(i, nsub)
                if not all(_enc(b, v) for b, v in zip(s.tube, ref(t))):
                    out.append(("tube", j, t))
            if not all(_enc(b, v) for b, v in zip(s.end, ref(s.t1))):
                out.append(("end", j, s.t1))
            tm = s.t0 + s.h * F(2, 7)
            if not all(_enc(b, v) for b, v in zip(tube.at(tm), ref(tm))):
                out.append(("at", j, tm))
    return out


# --------------------------------------------------------------------------- closed forms
QUARTIC = vf.Objective.from_sympy((X**2 - 1) ** 2 / 4, [X])


def _quartic_ref(x0):
    x0 = F(x0)

    def ref(t):
        v = 1 / (1 + (1 / _a(x0) ** 2 - 1) * _a(-2 * F(t)).exp())
        return [v.sqrt() if x0 > 0 else -v.sqrt()]
    return ref


def _linear(Am, x0):
    """L = ½ xᵀAx (A symmetric rational): x(t) = e^{−At} x0 by arb_mat.exp at 512 bits."""
    n = len(x0)
    zs = sp.symbols(f"z0:{n}")
    L = sum(sp.Rational(Am[i][j]) * zs[i] * zs[j] for i in range(n) for j in range(n)) / 2
    obj = vf.Objective.from_sympy(L, list(zs))

    def ref(t):
        M = arb_mat([[_a(-F(Am[i][j]) * F(t)) for j in range(n)] for i in range(n)]).exp()
        v = M * arb_mat([[_a(q)] for q in x0])
        return [v[i, 0] for i in range(n)]
    return obj, ref


def _blowup(c, x0):
    """L = −c·x⁴: x' = 4c·x³, x(t) = x0/√(1 − 8c·x0²·t), singular at t* = 1/(8c·x0²)."""
    obj = vf.Objective.from_sympy(-sp.Rational(c) * X**4, [X])
    ts = 1 / (8 * F(c) * F(x0) ** 2)

    def ref(t):
        return [_a(x0) / (1 - _a(8 * F(c) * F(x0) ** 2 * F(t))).sqrt()]
    return obj, ref, ts


def _sine(w, x0):
    """L = cos(ωx)/ω: x' = sin(ωx), tan(ωx/2) = tan(ωx0/2)·e^{ωt} (x0 ∈ (−π/ω, π/ω))."""
    obj = vf.Objective.from_sympy(sp.cos(w * X) / w, [X])

    def ref(t):
        return [((_a(F(w) * F(x0)) / 2).tan() * _a(F(w) * F(t)).exp()).atan() * 2 / w]
    return obj, ref


@pytest.mark.parametrize("prec,order,tol", [(32, 2, None), (32, 3, F(1, 2)), (53, 4, None), (53, 6, F(1, 2**20)),
                                            (32, None, F(1, 4)), (128, 5, None)])
@pytest.mark.parametrize("x0", [F(3, 2), F(-1, 100)])
def test_quartic_low_precision_low_order_and_extreme_tol(prec, order, tol, x0):
    tube = validated_flow(QUARTIC, [x0], F(3, 2), prec=prec, order=order, tol=tol, time_limit=20)
    assert tube.T_reached > 0
    assert _misses(tube, _quartic_ref(x0)) == []


@pytest.mark.parametrize("x0", [F(10**6), F(-10**6), F(1, 10**300), 1e-300])
def test_quartic_huge_and_tiny_start(x0):
    # x0 = 1e6: x' = −x³ ≈ −10¹⁸ at the start (a fast, stiff transient); x0 = 1e−300: x ≈ x0·e^t stays tiny
    T = F(1, 1000) if abs(x0) > 1 else F(2)
    tube = validated_flow(QUARTIC, [x0], T, prec=64, time_limit=20)
    assert tube.T_reached > 0
    assert _misses(tube, _quartic_ref(F(x0))) == []


LINEAR = {
    "saddle": ([[1, 2], [2, -1]], [F(1, 2), F(1, 3)], F(2)),
    "nearly-defective": ([[1, F(1, 10**8)], [F(1, 10**8), 1]], [F(1), F(2)], F(2)),
    "indefinite-3": ([[0, 1, 0], [1, 0, 1], [0, 1, F(-1, 2)]], [F(1), F(0), F(-1)], F(2)),
    "stiff": ([[1000, 0], [0, F(1, 1000)]], [F(1), F(1)], F(1, 100)),
    "huge-x0": ([[1, 0], [0, 2]], [F(10**6), F(-10**6)], F(2)),
    "tiny-x0": ([[1, 0], [0, -2]], [F(1, 10**300), F(-3, 10**300)], F(2)),
}


@pytest.mark.parametrize("name", sorted(LINEAR))
@pytest.mark.parametrize("prec,order,tol", [(128, None, None), (53, None, None), (32, 4, None), (64, 8, F(1, 1000))])
def test_linear_flows_inside_every_box(name, prec, order, tol):
    Am, x0, T = LINEAR[name]
    obj, ref = _linear(Am, x0)
    tube = validated_flow(obj, x0, T, prec=prec, order=order, tol=tol, time_limit=3)
    assert tube.T_reached > 0
    assert _misses(tube, ref) == []


@pytest.mark.parametrize("c,x0,prec,order", [(F(1, 4), F(1), 128, None), (F(1), F(-3, 2), 128, None),
                                             (F(1), F(1, 1000), 128, None), (F(1, 4), F(1), 53, 10)])
def test_blowup_stops_before_the_singular_time(c, x0, prec, order):
    obj, ref, ts = _blowup(c, x0)
    tube = validated_flow(obj, [x0], 2 * ts, prec=prec, order=order, time_limit=15)
    assert not tube.complete and tube.T_reached < ts  # never a box past the blow-up
    assert _misses(tube, ref) == []


@pytest.mark.parametrize("w,x0", [(8, F(1, 10**6)), (8, F(-3, 10)), (3, F(1)), (20, F(1, 7))])
def test_oscillatory_potential(w, x0):
    # x' = sin(ωx): the coefficients change sign from one order to the next, and y_[N] changes sign inside the boxes
    obj, ref = _sine(w, x0)
    tube = validated_flow(obj, [x0], F(3, 2), prec=128, time_limit=15)
    assert tube.complete
    assert _misses(tube, ref, nsub=5) == []


# --------------------------------------------------------------------------- the a-priori test alone
@pytest.mark.parametrize("x0", [F(1, 2), F(-3, 2), F(1, 10**4)])
@pytest.mark.parametrize("N", [2, 3, 5, 12, 28])
def test_every_accepted_high_order_box_contains_the_solution_on_the_whole_step(x0, N):
    """taylor_apriori called directly with step sizes from far too large to tiny: whenever it accepts, the closed
    form at 13 times of [0, h] lies in its tube and in B, and at h in its end box (also where y_[N] changes sign
    inside B: x0 near the inflection points of the quartic's flow)."""
    fl = VF._Flow(QUARTIC, 128, N, F(1, 2**100))
    ref = _quartic_ref(x0)
    accepted = 0
    with SeriesContext(128, N + 2):
        c = np.array([_a(x0)], dtype=object)
        cs = fl.coefficients(c, N)
        for h in [F(4), F(1), F(1, 4), F(1, 16), F(1, 64), F(1, 256), F(1, 2**12), F(1, 2**20)]:
            try:
                B, tube, end, _ = fl.taylor_apriori(cs, h)
            except (VF.EnclosureError, VF.NonRealError):
                continue
            if tube is None:
                continue
            accepted += 1
            with SeriesContext(512, 1):
                for i in range(13):
                    r = ref(h * F(i, 12))[0]
                    assert tube[0].contains(r) and B[0].contains(r), (h, i)
                assert end[0].contains(ref(h)[0]), h
    assert accepted >= 1


def test_high_order_test_refuses_steps_across_the_blowup():
    """x' = 4x³ from 1 blows up at t* = 1/8: no h ≥ t* is ever accepted (the solution leaves every box)."""
    obj, _, ts = _blowup(1, F(1))
    for N in (2, 4, 12, 28):
        fl = VF._Flow(obj, 128, N, F(1, 2**100))
        with SeriesContext(128, N + 2):
            cs = fl.coefficients(np.array([arb(1)], dtype=object), N)
            for h in (ts, ts * F(33, 32), ts * 2, ts * 16):
                try:
                    _, tube, _, _ = fl.taylor_apriori(cs, h)
                except (VF.EnclosureError, VF.NonRealError):
                    continue
                assert tube is None, (N, h)


# --------------------------------------------------------------------------- the step-size heuristics
def _sabotage(monkeypatch, guess, learn_kappa):
    def step_guess(self, cs):
        self.last_guess = guess
        return guess

    def learn(self, h, rem):
        self.kappa = learn_kappa

    monkeypatch.setattr(VF._Flow, "step_guess", step_guess)
    monkeypatch.setattr(VF._Flow, "learn", learn)


@pytest.mark.parametrize("guess,kappa", [(1e6, 1.0), (3.0, 1.0), (0.9, 1e-3), (1e-9, 1.0)])
def test_bad_step_guesses_never_give_an_invalid_box(monkeypatch, guess, kappa):
    """The guess and κ only choose h: a guess far too large (the whole horizon, past a blow-up) or far too small must
    still give boxes containing the solution."""
    _sabotage(monkeypatch, guess, kappa)
    tube = validated_flow(QUARTIC, [F(-3, 2)], 2, prec=64, max_steps=300, time_limit=10)
    assert _misses(tube, _quartic_ref(F(-3, 2))) == []
    obj, ref, ts = _blowup(F(1, 4), F(1))
    tube = validated_flow(obj, [F(1)], 2 * ts, prec=64, max_steps=300, time_limit=10)
    assert tube.T_reached < ts
    assert _misses(tube, ref) == []


def test_learn_keeps_kappa_in_range_on_degenerate_remainders():
    fl = VF._Flow(QUARTIC, 64, 8, F(1, 2**40))
    for guess, h, rem in [(None, F(1), arb(1)), (0.0, F(1), arb(1)), (1.0, F(1), arb(0)), (1.0, F(1), arb("inf")),
                          (1.0, F(1, 2**60), arb(2) ** -300), (1e-300, F(1), arb(2) ** 300), (1.0, F(1), arb("nan"))]:
        fl.last_guess = guess
        fl.learn(h, rem)
        assert 1e-3 <= fl.kappa <= 1.0, (guess, h, rem, fl.kappa)


def test_stretched_last_step_is_still_checked():
    # T just past a step boundary: the last step is stretched by ≤ 1/32 (the remainder test still decides)
    for T in (F(1) + F(1, 1000), F(33, 32), F(65, 64)):
        tube = validated_flow(QUARTIC, [F(3, 2)], T, prec=53, order=6)
        assert tube.complete and tube.T_reached == T
        assert _misses(tube, _quartic_ref(F(3, 2))) == []


# --------------------------------------------------------------------------- the compiled sweep
U, V = sp.symbols("u v")
_CONSTS = [F(1), F(1, 3), F(1, 3) + F(1, 2**200), F(-2), F(1, 2), F(7, 5)]  # 1/3 and 1/3 + 2^−200: equal as floats


def _random_expr(rng: random.Random, depth: int):
    if depth == 0 or rng.random() < 0.15:
        return rng.choice([U, V, U, V, sp.Rational(rng.choice(_CONSTS))])
    op = rng.randrange(9)
    a = _random_expr(rng, depth - 1)
    if op == 0:
        return a + _random_expr(rng, depth - 1)
    if op == 1:
        return a * _random_expr(rng, depth - 1)
    if op == 2:
        return a - _random_expr(rng, depth - 1)
    if op == 3:
        return a / (2 + _random_expr(rng, depth - 1) ** 2)
    if op == 4:
        return sp.tanh(a) * (1 - sp.tanh(a) ** 2)  # the backprop pattern the CSE targets
    if op == 5:
        return a**2 + a * a + sp.Rational(rng.choice(_CONSTS)) * a
    if op == 6:
        return sp.sin(a) + sp.cos(a) * a
    if op == 7:
        return sp.exp(a / 4) - sp.Rational(rng.choice(_CONSTS)) / (3 + a**2)
    return sp.atan(a) + sp.sqrt(2 + a**2)


def _coefs(obj, x, prec, compiled, order):
    return flow_coefficients(obj, x, prec, compiled, order)[0]


@settings(max_examples=12, deadline=None, derandomize=True)
@given(st.integers(0, 10**6), st.sampled_from([32, 53, 128]))
def test_sweeper_encloses_the_reference_sweep_on_random_expressions(seed, prec):
    """Random expressions with repeated subexpressions, 1 − tanh² patterns, squares written two ways and constants
    equal as floats but not as rationals: the Sweeper's coefficients (over a box, at low precision) enclose the
    reference sweep's at 400 bits at points of the box."""
    rng = random.Random(seed)
    L = _random_expr(rng, 3) + _random_expr(rng, 3) + (U - V) ** 2 / 8
    obj = vf.Objective.from_sympy(L, [U, V])
    x0 = [F(rng.randrange(-40, 41), 50), F(rng.randrange(-40, 41), 50)]
    w = F(1, 64)
    with SeriesContext(prec, 1):
        box = [_a(q) + arb(0, float(w)) for q in x0]
    new = _coefs(obj, box, prec, compiled=True, order=7)
    for frac in (F(0), F(-1), F(1), F(1, 3)):
        pt = [q + w * frac for q in x0]
        with SeriesContext(400, 1):
            ref = _coefs(obj, [_a(q) for q in pt], 400, compiled=False, order=7)
        for k, (u, v) in enumerate(zip(new, ref)):
            for a, b in zip(u, v):
                assert a.contains(b), (seed, prec, k, a, b, L)


def test_sweeper_never_merges_different_constants():
    with SeriesContext(53, 1):
        u = R.variable(arb(1) / 5)
        c1 = arb(fmpq(1, 3))
        c2 = arb(fmpq(2**200 + 3, 3 * 2**200))  # 1/3 + 2^−200: the same 53-bit midpoint, a different rational
        with R.Recording() as rec:
            a = u * c1
            b = u * c2
            d = u + arb(2**-60)  # exact dyadic constants that differ below float precision
            e = u + arb(2**-61)
            f = u * u
            g = u * u
        sw = R.Sweeper(rec.tape)
        assert a.c is not b.c and d.c is not e.c and f.c is g.c
    for k in range(1, 4):
        u.c.append(arb(1) if k == 1 else arb(0))
        sw(k)
    assert a.c[1].contains(c1) and b.c[1].contains(c2)


def test_two_sweepers_do_not_share_state_across_precisions():
    """A Sweeper is built per recording: the shared zero list and the compiled closures of one tape do not leak
    into another (same objective, two precisions, interleaved sweeps)."""
    obj = vf.SquareLoss(vf.MLP([2, 3, 1], "tanh", bias=True), vf.Dataset([[1, 0], [0, 1], [1, 1]], [1, -1, 0]))
    x0 = [F((-1) ** k * (k % 4), 5) for k in range(obj.n_params)]
    with SeriesContext(400, 1):
        ref = _coefs(obj, [_a(q) for q in x0], 400, compiled=False, order=8)
    for prec in (32, 128, 53):
        with SeriesContext(prec, 1):
            new = _coefs(obj, [_a(q) for q in x0], prec, compiled=True, order=8)
        for u, v in zip(new, ref):
            for a, b in zip(u, v):
                assert a.contains(b) or (a.rad() == 0 and b.contains(a))


# --------------------------------------------------------------------------- networks
def _nets():
    data = vf.Dataset([[1, 0], [0, 1], [1, 1]], [1, -1, 0])
    out = {}
    for act in ("tanh", "sigmoid"):
        loss = vf.SquareLoss(vf.MLP([2, 3, 1], act), data)
        out[act] = (loss, [F(k, 7) for k in range(-4, 5)])
    return out


@pytest.mark.parametrize("act", ["tanh", "sigmoid"])
@pytest.mark.parametrize("prec,order,tol", [(32, 4, None), (53, None, None), (64, 3, F(1, 2**20))])
def test_network_tubes_contain_a_256_bit_series_tube(act, prec, order, tol):
    loss, th = _nets()[act]
    T = F(1, 8)
    ref = validated_flow(loss, th, T, prec=256, ad="series")
    assert ref.complete
    tube = validated_flow(loss, th, T, prec=prec, order=order, tol=tol, time_limit=20)
    assert tube.T_reached > 0
    for s in tube.steps:
        for i in range(4):
            t = s.t0 + s.h * F(i, 3)
            r = ref.at(t)
            assert all(b.contains(arb(v.mid())) and b.overlaps(v) for b, v in zip(s.tube, r)), (t,)
        assert all(b.contains(arb(v.mid())) for b, v in zip(s.end, ref.at(s.t1)))


@pytest.mark.slow
def test_sigmoid_network_in_sympy_against_mpmath_odefun():
    w = sp.symbols("w0:4")
    sig = lambda z: 1 / (1 + sp.exp(-z))  # noqa: E731
    L = sum((w[2] * sig(w[0] * a) + w[3] * sig(w[1] * a) - b) ** 2 for a, b in [(1, 1), (-2, 0)]) / 2
    obj = vf.Objective.from_sympy(L, list(w))
    grads = [sp.lambdify(w, sp.diff(L, v), "mpmath") for v in w]
    x0 = [F(1, 2), F(-1, 3), F(1), F(-3, 4)]
    times = [F(1, 8), F(1, 4), F(3, 8)]
    with mpmath.workdps(40):
        sol = mpmath.odefun(lambda t, y: [-g(*y) for g in grads], 0, [mpmath.mpf(q.numerator) / q.denominator
                                                                      for q in x0])
        refs = {t: [arb(mpmath.nstr(v, 45), 1e-35) for v in sol(mpmath.mpf(t.numerator) / t.denominator)]
                for t in times}
    for prec, order in [(128, None), (53, None), (32, 3)]:
        tube = validated_flow(obj, x0, F(3, 8), prec=prec, order=order)
        assert tube.complete
        for t in times:
            assert all(b.overlaps(r) for b, r in zip(tube.at(t), refs[t])), (prec, t)


# --------------------------------------------------------------------------- flow claims on closed forms
def test_flow_rate_proved_only_when_true():
    """L = ½xᵀAx, A = [[2, 1], [1, 2]] (λ = 1, 3): along x(t) = e^{−At}x0 the loss decays at least like
    e^{−2λ_min t} and, from an eigenvector of λ_min, exactly so: α = 2λ_min + ε is false, α = 2λ_min − ε true."""
    Am = [[2, 1], [1, 2]]  # λ = 1, 3; eigenvector of 1: (1, −1)
    obj, _ = _linear(Am, [F(1), F(-1)])
    tube = validated_flow(obj, [1, -1], 1)
    assert tube.complete
    assert fc.flow_rate(obj, tube, 2 + F(1, 10**20)).verdict != P
    assert fc.flow_rate(obj, tube, F(19, 10)).verdict == P
    lo = validated_flow(obj, [1, -1], 1, prec=32, order=3)
    assert fc.flow_rate(obj, lo, 2 + F(1, 10**6)).verdict != P


@pytest.mark.parametrize("prec,order", [(128, None), (32, 3)])
def test_flow_stays_in_ball_proved_only_when_true(prec, order):
    # the quartic from 3/2 decreases to x(2) ≈ 1.00262: max |x(t) − 3/2| = 3/2 − x(2)
    tube = validated_flow(QUARTIC, [F(3, 2)], 2, prec=prec, order=order)
    with SeriesContext(512, 1):
        d = _a(F(3, 2)) - _quartic_ref(F(3, 2))(2)[0]
        lo, hi = F(d.lower().str(40, radius=False)) - F(1, 10**30), F(d.upper().str(40, radius=False)) + F(1, 10**30)
    assert fc.flow_stays_in_ball(tube, [F(3, 2)], lo - F(1, 10**12)).verdict != P
    assert fc.flow_stays_in_ball(tube, [F(3, 2)], hi + F(1, 100)).verdict == P
    # blow-up: x' = x³ from 1 on [0, 0.49]: x(0.49) = 1/√0.02 ≈ 7.07, so the ball of radius 6 around 1 is left
    obj, _, ts = _blowup(F(1, 4), F(1))
    t2 = validated_flow(obj, [1], F(49, 100), prec=prec, order=None if order is None else 6, time_limit=15)
    assert fc.flow_stays_in_ball(t2, [1], 6).verdict != P
    assert fc.flow_stays_in_ball(t2, [1], F(61, 10)).verdict == P or not t2.complete


# --------------------------------------------------------------------------- bugs (robustness, not soundness)
@pytest.mark.parametrize("kw", [dict(prec=64, order=3, step=1), dict(prec=128, order=6, tol=F(1, 2)),
                                dict(prec=128, order=12, tol=F(1, 1024)), dict(prec=128, step=F(2, 3))])
def test_blowup_with_a_wide_tube_stops_instead_of_raising(kw):
    """A blowing-up flow whose tube widens: the wrapping control fails the step (the inflation would be non-finite
    or astronomically wide) and the tube stops, valid up to where it stops — no NonFiniteError, no hang."""
    obj, ref, ts = _blowup(F(1, 4), F(1))
    tube = validated_flow(obj, [1], 1, time_limit=60, **kw)
    assert not tube.complete and tube.T_reached < ts
    assert _misses(tube, ref) == []
