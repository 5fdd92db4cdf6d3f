"""Adversarial soundness tests for the issue 14/15 code: kink crossings of validated flow tubes
(verify/convergence/kinks.py), SGD epoch maps and their stability per sampling scheme (verify/gdmap/epochs.py,
verify/gdmap/nonsingular.py, verify/stability/sampling.py), certified sharpness (verify/stability/sharpness.py),
criterion radii and Clopper–Pearson intervals (verify/pl/radii.py, verify/pl/initialisation.py) and the exact
data loaders (verify/datasets).

Every instance has a known answer by construction (closed-form piecewise flows, reflections whose products have
spectral radius exactly 1, quadratics with sharpness at 2/η ± 10⁻³⁰, exact binomial tails); a test fails on a
wrong PROVED/REFUTED, a non-enclosing ball or a builtin exception. Known bugs are ``xfail(strict=True)``."""

from __future__ import annotations

import csv
import gzip
import math
import os
from fractions import Fraction as F

import mpmath
import numpy as np
import pytest
import sympy as sp
from flint import arb, fmpq

import verify as vf
from verify import stability
from verify.arith.taylor import SeriesContext
from verify.convergence import flow_claims as fc
from verify.convergence import validated_flow
from verify.convergence.gd import gd
from verify.errors import VerifyError
from verify.gdmap import EpochMap, check_epoch_nonsingular
from verify.pl.initialisation import clopper_pearson, exact_rank, linearly_independent
from verify.pl.radii import criterion_radii
from verify.result import Verdict
from verify.stability.sharpness import certify_sharpness, sharpness_at

P, R, I = Verdict.PROVED, Verdict.REFUTED, Verdict.INCONCLUSIVE
W = sp.Symbol("w", real=True)
V_ = sp.Symbol("v", real=True)
EPS = F(1, 10**30)


def _a(q) -> arb:
    q = F(q)
    return arb(fmpq(q.numerator, q.denominator))


def _r(q) -> sp.Rational:
    q = F(q)
    return sp.Rational(q.numerator, q.denominator)


def _contains(tube, exact, n=40):
    """tube.at(t), every step's tube box and every step's end box overlap the exact solution (512-bit Arb)."""
    with SeriesContext(512, 1):
        ts = {tube.T_reached * k / n for k in range(n + 1)}
        for c in tube.crossings:
            ts |= {c.t_lo, c.t_hi, (c.t_lo + c.t_hi) / 2}
        for t in sorted(ts):
            box, ref = tube.at(t), exact(t)
            assert all(b.overlaps(r) for b, r in zip(box, ref)), (t, box, ref)
        for s in tube.steps:
            for t in (s.t0, s.t1, s.t0 + s.h / 3):
                ref = exact(t)
                assert all(b.overlaps(r) for b, r in zip(s.tube, ref)), (s.t0, t)
            ref = exact(s.t1)
            assert all(b.overlaps(r) for b, r in zip(s.end, ref)), ("end", s.t1)


# =============================================================================================== 1. kink crossings
def test_two_crossings_in_one_run_piecewise_linear():
    """L = |w| + |w + 1| + 3w from 1: w' = −5 until t = 1/5, −3 until w = −1 at t = 8/15, then −1."""
    obj = vf.Objective.from_sympy(sp.Abs(W) + sp.Abs(W + 1) + 3 * W, [W])
    tube = validated_flow(obj, [1], 3)
    assert tube.complete and len(tube.crossings) == 2
    (c1, c2) = tube.crossings
    assert c1.t_lo <= F(1, 5) <= c1.t_hi and c2.t_lo <= F(8, 15) <= c2.t_hi

    def exact(t):
        if t <= F(1, 5):
            return [_a(1 - 5 * t)]
        if t <= F(8, 15):
            return [_a(-3 * (t - F(1, 5)))]
        return [_a(-1 - (t - F(8, 15)))]
    _contains(tube, exact)
    with SeriesContext(128, 1):
        assert tube.final[0].contains(_a(F(-52, 15)))


@pytest.mark.parametrize("step", [F(1, 3), F(1, 6)])
def test_crossing_exactly_at_a_step_end(step):
    """|w| + 2w from 1 with fixed steps whose grid hits the crossing time 1/3 exactly."""
    obj = vf.Objective.from_sympy(sp.Abs(W) + 2 * W, [W])
    tube = validated_flow(obj, [1], 2, step=step)
    assert tube.stop_kind in (None, "kink")
    _contains(tube, lambda t: [_a(1 - 3 * t) if t <= F(1, 3) else _a(F(1, 3) - t)])
    if tube.complete:
        assert len(tube.crossings) == 1 and tube.crossings[0].t_lo <= F(1, 3) <= tube.crossings[0].t_hi


@pytest.mark.parametrize("expr", [sp.Abs(W) + 2 * W, sp.Abs(W) + W**2 / 2])
def test_starting_on_the_kink_never_certifies(expr):
    """x0 = 0 on the kink (crossing at once for |w| + 2w, sliding for |w| + w²/2): the tube may stop, never a
    wrong box, and no claim is PROVED on a tube that did not reach T."""
    obj = vf.Objective.from_sympy(expr, [W])
    tube = validated_flow(obj, [0], 1)
    if not tube.complete:
        assert tube.stop_kind in ("kink", "sliding")
        for res in (fc.flow_stays_in_ball(tube, [0], 2), fc.flow_no_blowup(obj, tube)):
            assert res.verdict != P
    else:  # only the crossing case may continue: w = −t
        assert expr == sp.Abs(W) + 2 * W
        _contains(tube, lambda t: [_a(-t)])


def test_crossing_followed_by_sliding():
    """L = |w| + 2w + 3|w + 1| from 1: w' = −6 to t = 1/6, −4 to w = −1 at t = 5/12, then both fields point into
    w = −1 (+2 below, −4 above): Filippov sliding, the tube stops there as 'sliding'."""
    obj = vf.Objective.from_sympy(sp.Abs(W) + 2 * W + 3 * sp.Abs(W + 1), [W])
    tube = validated_flow(obj, [1], 3)
    assert tube.stop_kind == "sliding" and len(tube.crossings) == 1
    assert tube.T_reached <= F(5, 12)
    assert tube.crossings[0].t_lo <= F(1, 6) <= tube.crossings[0].t_hi
    _contains(tube, lambda t: [_a(1 - 6 * t) if t <= F(1, 6) else _a(-4 * (t - F(1, 6)))])
    for res in (fc.flow_stays_in_ball(tube, [1], 5), fc.flow_no_blowup(obj, tube)):
        assert res.verdict == I


def test_near_tangential_old_side():
    """Normal speed 10⁻³⁰ on the old side and ½·10⁻³⁰ on the new: L = (ε/4)|w| + (3ε/4)w from w = ε/10, crossing
    at t = 1/10."""
    a, c = EPS / 4, 3 * EPS / 4
    obj = vf.Objective.from_sympy(_r(a) * sp.Abs(W) + _r(c) * W, [W])
    tube = validated_flow(obj, [EPS / 10], 1)
    _contains(tube, lambda t: [_a(EPS / 10 - EPS * t) if t <= F(1, 10) else _a(-(t - F(1, 10)) * EPS / 2)])
    if tube.complete:
        assert tube.crossings[0].t_lo <= F(1, 10) <= tube.crossings[0].t_hi


@pytest.mark.parametrize("dv", [F(0), EPS, F(1, 10**6)])
def test_two_breakpoints_crossed_at_nearly_the_same_time(dv):
    """|w| + |v| + 2w + 2v from (1, 1 + dv): w crosses at 1/3, v at (1 + dv)/3."""
    obj = vf.Objective.from_sympy(sp.Abs(W) + sp.Abs(V_) + 2 * W + 2 * V_, [W, V_])
    tube = validated_flow(obj, [1, 1 + dv], 1)

    def one(x0, t):
        ts = x0 / 3
        return _a(x0 - 3 * t) if t <= ts else _a(ts - t)
    _contains(tube, lambda t: [one(F(1), t), one(1 + dv, t)])
    assert tube.stop_kind in (None, "kink")


def test_leaky_relu_piece_with_exponential_solutions():
    """L = ½max(w, w/10)² + w/100 from 1: w = −1/100 + (101/100)e^{−t} to t* = ln 101, then w' = −(w/100 + 1/100):
    w = −1 + e^{−(t − t*)/100}."""
    obj = vf.Objective.from_sympy(sp.Max(W, W / 10) ** 2 / 2 + W / 100, [W])
    tube = validated_flow(obj, [1], 5)
    assert tube.complete and len(tube.crossings) == 1

    def exact(t):
        ts = arb(101).log()
        tq = _a(t)
        old = -arb(1) / 100 + arb(101) / 100 * (-tq).exp()
        new = -1 + (-(tq - ts) / 100).exp()
        if tq < ts:
            return [old]
        if tq > ts:
            return [new]
        return [old.union(new)]
    _contains(tube, exact)


def test_crossing_at_32_bits():
    obj = vf.Objective.from_sympy(sp.Abs(W) + 2 * W, [W])
    tube = validated_flow(obj, [1], 2, prec=32)
    _contains(tube, lambda t: [_a(1 - 3 * t) if t <= F(1, 3) else _a(F(1, 3) - t)])


def test_claims_whose_truth_changes_at_the_crossing():
    """|w| + 2w from 1 on [0, 2]: θ(2) = −5/3, max distance from 1 is 8/3 (reached at T). The flow crosses w = 0,
    so it does not avoid that set; GD with η = 1/10 lags the flow by exactly 2/15 after the crossing."""
    obj = vf.Objective.from_sympy(sp.Abs(W) + 2 * W, [W])
    tube = validated_flow(obj, [1], 2)
    assert tube.complete
    for r, bad in ((F(8, 3) - F(1, 10**12), P), (F(8, 3), R), (F(8, 3) + F(1, 10**12), R), (F(3), R)):
        assert fc.flow_stays_in_ball(tube, [1], r).verdict != bad
    assert fc.flow_stays_in_ball(tube, [1], F(8, 3) - F(1, 10**12)).verdict == R
    assert fc.flow_stays_in_ball(tube, [1], 3).verdict == P
    res = fc.flow_avoids(tube, lambda box: abs(box[0]), "the kink w = 0")
    assert res.verdict != P
    tr = fc.gd_tracks_flow(obj, tube, F(1, 10))
    if tr.verdict == P:
        assert tr.certificate["D_upper"] >= F(2, 15)


def test_flow_rate_across_a_crossing_against_the_closed_form():
    """L = ½(max(w, 0) − 1)² + ½(w + 2)² − ½ from 1 (tests/test_flow_kinks.py): on w < 0, L = ½(w+2)² and
    ‖∇L‖² = 2L, so no rate α > 2 can hold after the crossing; the rate 4 must not be PROVED."""
    obj = vf.Objective.from_sympy((sp.Max(W, 0) - 1) ** 2 / 2 + (W + 2) ** 2 / 2 - sp.Rational(1, 2), [W])
    tube = validated_flow(obj, [1], 2)
    assert fc.flow_rate(obj, tube, F(1, 4)).verdict == P
    for alpha in (F(2) + F(1, 10**6), F(4)):
        assert fc.flow_rate(obj, tube, alpha).verdict != P


# ======================================================================================= 2. SGD epochs and stability
def _reflections():
    """f(x) = w·x on x0 = (1, 0), x1 = (3/5, 4/5) with w* = (1, 2) interpolating: H_i = 2x_i x_iᵀ, so at η = 1 each
    factor I − 2x_i x_iᵀ is a reflection: the epoch product is a rotation (eigenvalues on the unit circle, ρ = 1
    exactly) and every mean-square operator has T(I) = I (ρ(T) = 1 exactly)."""
    loss = vf.SquareLoss(vf.MLP([2, 1], "relu"), vf.Dataset([[1, 0], [F(3, 5), F(4, 5)]], [1, F(11, 5)]))
    return loss, [F(1), F(2)]


@pytest.mark.parametrize("eta,want", [(F(1), I), (1 + EPS, R), (1 - EPS, P)])
def test_spectral_radius_exactly_one_and_1e30_off(eta, want):
    loss, ws = _reflections()
    res = [stability.epoch_stability(EpochMap(loss, [[0], [1]], eta), ws),
           stability.reshuffling_stability(loss, ws, eta, 1),
           stability.replacement_stability(loss, ws, eta, 1, sampling="multiset"),
           stability.replacement_stability(loss, ws, eta, 1, sampling="subset")]
    assert [r.verdict for r in res] == [want] * 4, [r.message for r in res]


def test_critical_for_the_full_loss_but_not_for_every_batch_is_never_stable_for_sgd():
    """Data (1, 1), (2, 3): the full-loss minimiser w = 7/5 is not a fixed point of either one-point batch map."""
    loss = vf.SquareLoss(vf.MLP([1, 1], "relu"), vf.Dataset([[1], [2]], [1, 3]))
    ws = [F(7, 5)]
    assert [F(str(g)) for g in loss.grad(ws, "exact")] == [0]
    for res in (stability.epoch_stability(EpochMap(loss, [[0], [1]], F(1, 10)), ws),
                stability.epoch_stability(EpochMap(loss, [[1], [0]], F(1, 10), schedule=[1, F(1, 2)]), ws),
                stability.epoch_stability(EpochMap(loss, [[0], [0], [1]], F(1, 10)), ws),
                stability.reshuffling_stability(loss, ws, F(1, 10), 1),
                stability.replacement_stability(loss, ws, F(1, 10), 1),
                stability.replacement_stability(loss, ws, F(1, 10), 1, sampling="multiset"),
                stability.replacement_stability(loss, ws, F(1, 10), 2, sampling="multiset")):
        assert res.verdict == R and "not a fixed point of SGD" in res.message
    # the full batch (every step sees all the data) is GD: stable at small η
    assert stability.epoch_stability(EpochMap(loss, [[0, 1]], F(1, 10)), ws).verdict == P
    assert stability.replacement_stability(loss, ws, F(1, 10), 2).verdict == P  # b = n subsets: c = 0


def test_epoch_nonsingular_at_and_1e30_from_an_exceptional_step():
    """Unit data vectors: H_i = 2x_i x_iᵀ has eigenvalue 2, so η = 1/2 is exceptional for both batches."""
    loss, _ = _reflections()
    E = EpochMap(loss, [[0], [1]], F(1, 10))
    th = [F(1, 3), F(2, 7)]
    assert check_epoch_nonsingular(E, [th], etas=[F(1, 2)]).verdict == R
    for eta in (F(1, 2) + EPS, F(1, 2) - EPS):
        assert check_epoch_nonsingular(E, [th], etas=[eta]).verdict == P
    for iv in ((F(1, 4), F(1, 2)), (F(1, 2), F(3, 4)), (F(1, 2) - EPS, F(1, 2) + EPS)):
        assert check_epoch_nonsingular(E, [th], eta_interval=iv, max_pieces=20).verdict != P
    # a schedule moves the exceptional base step: η_2 = 2η hits 1/2 at η = 1/4; a repeated batch too
    Es = EpochMap(loss, [[0], [1], [1]], F(1, 10), schedule=[1, 1, 2])
    assert check_epoch_nonsingular(Es, [th], etas=[F(1, 4)]).verdict == R
    assert check_epoch_nonsingular(Es, [th], etas=[F(1, 4) + EPS]).verdict == P


@pytest.mark.parametrize("bad", [
    lambda L: EpochMap(L, [[0, 0]], F(1, 10)),
    lambda L: EpochMap(L, [[]], F(1, 10)),
    lambda L: EpochMap(L, [[7]], F(1, 10)),
    lambda L: EpochMap(L, [[0], [1]], F(1, 10), schedule=[1, 0]),
    lambda L: EpochMap(L, [[0], [1]], float("nan")),
    lambda L: EpochMap.reshuffling(L, F(1, 10), 1, order=[0, 0]),
    lambda L: EpochMap.reshuffling(L, F(1, 10), 1, seed=-1),
    lambda L: EpochMap.with_replacement(L, F(1, 10), 1, 0),
    lambda L: stability.epoch_stability(EpochMap(L, [[0]], F(1, 10)), [0.5, 2.0]),
    lambda L: stability.epoch_stability(L, [F(1), F(2)]),
    lambda L: stability.reshuffling_stability(L, [F(1), F(2)], F(1, 10), 3),
    lambda L: stability.reshuffling_stability(L, [F(1), F(2)], F(1, 10), 1, schedule=[1]),
    lambda L: stability.replacement_stability(L, [F(1), F(2)], F(1, 10), 1, sampling=None),
    lambda L: check_epoch_nonsingular(EpochMap(L, [[0]], F(1, 10)), [[F(1), F(2)]], eta_interval=(1, 2, 3)),
    lambda L: check_epoch_nonsingular(EpochMap(L, [[0]], F(1, 10)), [[float("nan"), 0]]),
])
def test_bad_epoch_input_is_a_verify_error(bad):
    loss, _ = _reflections()
    with pytest.raises(VerifyError):
        bad(loss)


# ============================================================================================== 3. sharpness
def _quad(diag, off=None):
    xs = sp.symbols(f"x0:{len(diag)}")
    expr = sum(_r(a) * x**2 / 2 for a, x in zip(diag, xs))
    if off is not None:
        expr += _r(off) * xs[0] * xs[1]
    return vf.Objective.from_sympy(expr, list(xs))


@pytest.mark.parametrize("diag,reached,eos", [
    ([4, 4], P, P), ([4, 4 - EPS], P, P), ([4 + EPS, 4], P, R), ([4 - EPS], R, R), ([4, 4, 4], P, P)])
@pytest.mark.parametrize("arith", ["exact", "float", "ball"])
def test_sharpness_exactly_at_and_1e30_from_two_over_eta(diag, reached, eos, arith):
    L = _quad(diag)
    res = certify_sharpness(gd(L, [F(1, 3)] * len(diag), F(1, 2), 2, arith), every=1)
    top = max(F(d) for d in diag)
    assert all(c.lower <= top <= c.upper for c in res.checkpoints)
    assert res.reached(0).verdict == reached
    assert res.edge_of_stability(0).verdict == eos
    # equal sharpness at every step: never a certified increase
    assert res.increased(0, 1).verdict != P and res.progressive_sharpening().verdict != P


@pytest.mark.parametrize("delta", [F(1), F(1) - EPS, F(1) + EPS])
def test_sharpness_band_edges(delta):
    """λ_max = 3 at η = 1/2 (2/η = 4): 3 ≥ 4 − δ iff δ ≥ 1."""
    res = certify_sharpness(gd(_quad([3, 1]), [1, 1], F(1, 2), 1, "exact"), every=1)
    want = P if delta >= 1 else R
    assert res.reached(delta).verdict == want
    assert res.edge_of_stability(delta).verdict == want


def test_repeated_eigenvalue_split_by_1e30():
    """[[4, ε], [ε, 4]] has eigenvalues 4 ± ε: every enclosure holds 4 + ε."""
    L = _quad([4, 4], EPS)
    for c in (sharpness_at(L, [0, 0]), sharpness_at(L, [0, 0], fast=False, max_prec=512, rtol=0)):
        assert c.lower <= 4 + EPS <= c.upper


def test_sharpness_contains_the_300_bit_mpmath_eigenvalue():
    rng = np.random.default_rng(3)
    loss = vf.SquareLoss(vf.MLP([2, 3, 1], "tanh"), vf.Dataset(rng.normal(size=(4, 2)), rng.normal(size=4)))
    th = rng.normal(size=loss.n_params)
    c = sharpness_at(loss, th)
    with mpmath.workprec(300):
        H = loss.hessian(th, "mp", 300)
        ev = mpmath.eigsy(mpmath.matrix(H.tolist()), eigvals_only=True)
        top = max(ev[i] for i in range(len(ev)))
        lo = mpmath.mpf(c.lower.numerator) / c.lower.denominator
        hi = mpmath.mpf(c.upper.numerator) / c.upper.denominator
        slack = mpmath.mpf(2) ** -250
        assert lo - slack <= top <= hi + slack


def test_sharpness_on_a_relu_kink_is_uncertified_not_an_exception():
    loss = vf.SquareLoss(vf.MLP([2, 2, 1], "relu"), vf.Dataset([[1, 0], [0, 1]], [1, -1]))
    c = sharpness_at(loss, np.zeros(loss.n_params))
    assert c.lower is None and c.upper is None and "RegionBoundary" in c.note


# ====================================================================================== 4. radii and Clopper–Pearson
X_ = sp.Symbol("x")


@pytest.mark.parametrize("c", [F(3, 7), F(1, 3)])
def test_radii_never_cross_an_exact_threshold(c):
    """L = x² + 4y² at (c, 0): the ball contains points with y = 0, where ‖∇L‖²/L = 4 is the infimum, so α ≡ 4 and
    the criterion 4c² < 4r² holds iff r > c."""
    L = vf.Objective.from_sympy(X_**2 + 4 * V_**2, [X_, V_])
    res = criterion_radii(L, [c, 0], c / 2, 2 * c, grid=3, max_evals=8)
    assert all(a > c for a, _ in res.holds)
    assert all(b <= c for _, b in res.fails)
    assert res.result.verdict in (P, I)


def test_radii_entirely_below_or_above_a_threshold():
    sq = vf.Objective.from_sympy(X_**2, [X_])
    assert criterion_radii(sq, [1], 1 + EPS, 1 + 2 * EPS, grid=2, max_evals=2).result.verdict == P
    below = criterion_radii(sq, [1], 1 - 2 * EPS, 1, grid=2, max_evals=3).result.verdict
    assert below in (R, I)  # r = 1 fails with equality


def _cp_exact(k, n, level, dps=60):
    """The exact Clopper–Pearson endpoints by 220 bisection steps on the regularised incomplete beta function."""
    def root(f):  # f increasing on [0, 1], f(0) < 0 < f(1)
        a, b = mpmath.mpf(0), mpmath.mpf(1)
        for _ in range(220):
            m = (a + b) / 2
            a, b = (m, b) if f(m) < 0 else (a, m)
        return (a + b) / 2

    with mpmath.workdps(dps):
        a = 1 - mpmath.mpf(level.numerator) / level.denominator
        lo = mpmath.mpf(0) if k == 0 else root(lambda p: mpmath.betainc(k, n - k + 1, 0, p, regularized=True) - a / 2)
        hi = mpmath.mpf(1) if k == n else root(
            lambda p: mpmath.betainc(k + 1, n - k, 0, p, regularized=True) - (1 - a / 2))
        return lo, hi


def _tail_ge(k, n, p: F) -> F:
    return sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1))


@pytest.mark.parametrize("k,n,level", [(0, 1, F(95, 100)), (1, 1, F(95, 100)), (0, 10, F(95, 100)),
                                       (10, 10, F(95, 100)), (3, 10, F(95, 100)), (1, 2, F(1, 10**6)),
                                       (7, 40, F(999999, 10**6)), (1, 3, F(1, 2))])
def test_clopper_pearson_is_outward_and_tight(k, n, level):
    lo, hi = clopper_pearson(k, n, level)
    a2 = (1 - level) / 2
    # the defining tail conditions hold exactly at the returned endpoints (coverage never understated)
    assert k == 0 or _tail_ge(k, n, lo) <= a2
    assert k == n or 1 - _tail_ge(k + 1, n, hi) <= a2
    if k == 0:
        assert lo == 0
    if k == n:
        assert hi == 1
    elo, ehi = _cp_exact(k, n, level)
    with mpmath.workdps(60):
        assert mpmath.mpf(lo.numerator) / lo.denominator <= elo
        assert mpmath.mpf(hi.numerator) / hi.denominator >= ehi
        assert elo - mpmath.mpf(lo.numerator) / lo.denominator <= mpmath.mpf(2) ** -47
        assert mpmath.mpf(hi.numerator) / hi.denominator - ehi <= mpmath.mpf(2) ** -47


def test_clopper_pearson_level_extremes_and_bad_input():
    assert clopper_pearson(1, 2, 1 - F(1, 10**40)) == (0, 1)
    lo, hi = clopper_pearson(1, 2, F(1, 10**40))
    assert lo < F(1, 2) < hi
    for bad in ((1, 0), (3, 2), (-1, 2), (True, 2), (1, 2, 0), (1, 2, 1), (1, 2, float("nan"))):
        with pytest.raises(VerifyError):
            clopper_pearson(*bad)


@pytest.mark.slow
def test_criterion_probability_is_never_proved():
    from verify.pl.initialisation import criterion_probability

    loss = vf.SquareLoss(vf.MLP([2, 2, 1], "relu"), vf.Dataset([[1, 0], [0, 1]], [1, -1]))
    r = criterion_probability(loss, F(1, 2), output_scale=1, samples=2)
    assert r.verdict == Verdict.SUPPORTED
    lo, hi = r.certificate["clopper_pearson"]
    assert lo <= r.quantity.value <= hi


def test_exact_rank_sees_exact_dependence():
    assert exact_rank([[1, 2], [2, 4]]) == 1 and not linearly_independent([[1, 2], [2, 4]])
    assert exact_rank([[F(1, 3), 1], [1, 3]]) == 1
    # 0.1, 0.2, 0.3, 0.6000000000000001 as binary rationals are independent
    assert exact_rank([[0.1, 0.2], [0.3, 0.6000000000000001]]) == 2
    assert not linearly_independent([[1, 0], [0, 1], [1, 1]])  # n > d


# ============================================================================================== 5. data sets
def _csv_rows(fname):
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    path = os.path.join(list(spec.submodule_search_locations)[0], "datasets", "data", fname)
    opener = gzip.open if fname.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        rows = [r for r in csv.reader(fh) if r]
    return rows if fname.endswith(".gz") else rows[1:]


@pytest.mark.parametrize("name,fname", [("iris", "iris.csv"), ("wine", "wine_data.csv"),
                                        ("breast_cancer", "breast_cancer.csv"), ("digits", "digits.csv.gz")])
def test_every_value_is_the_csv_decimal(name, fname):
    pytest.importorskip("sklearn")
    from decimal import Decimal

    rows = _csv_rows(fname)
    loader = getattr(vf.datasets, name)
    D = loader(classes=None, encoding="index", n=40, seed=5, balance=False)
    div = 16 if name == "digits" else 1
    for r, i in enumerate(D.indices):
        want = [F(Decimal(s.strip())) / div for s in rows[i][:-1]]
        assert list(D.X_exact[r]) == want
        assert D.source_classes[r] == int(rows[i][-1])
        assert D.Y_exact[r] == list(D.classes).index(int(rows[i][-1]))


def test_balancing_seeds_and_one_vs_rest():
    pytest.importorskip("sklearn")
    D = vf.datasets.iris(classes=("setosa", 2, 1), n=10, encoding="index", seed=1)
    assert [D.class_counts[c] for c in (0, 2, 1)] == [4, 3, 3]
    assert len(set(D.indices)) == 10 and list(D.indices) == sorted(D.indices)
    again = vf.datasets.iris(classes=("setosa", 2, 1), n=10, encoding="index", seed=1)
    assert again.indices == D.indices
    assert vf.datasets.iris(classes=("setosa", 2, 1), n=10, encoding="index", seed=2).indices != D.indices
    O = vf.datasets.wine(one_vs_rest=1, n=9, seed=0)
    assert O.class_counts == {0: 2, 1: 5, 2: 2}
    assert all((y == 1) == (c == 1) for y, c in zip(O.Y_exact.ravel(), O.source_classes))
    T = vf.datasets.digits(classes=(3, 8), n=10, n_test=6, seed=0)
    assert not set(T.indices) & set(T.test.indices)
    assert T.test.class_counts == {3: 3, 8: 3}


@pytest.mark.parametrize("kw", [dict(classes=(0,)), dict(classes=(0, 0)), dict(classes=(0, 9)),
                                dict(classes="01"), dict(n=0), dict(n=10**6), dict(seed=-1), dict(scale=0),
                                dict(scale=float("nan")), dict(encoding="pm2"), dict(preprocessing="zscore"),
                                dict(classes=(0, 1, 2), encoding="pm1"), dict(one_vs_rest=5),
                                dict(classes=(0, 1), one_vs_rest=2), dict(n=None, n_test=150),
                                dict(classes=(0, 1), n=60, n_test=60)])
def test_bad_dataset_arguments_are_verify_errors(kw):
    pytest.importorskip("sklearn")
    with pytest.raises(VerifyError):
        vf.datasets.iris(**kw)


def test_digits_minmax_features_span_zero_to_scale():
    pytest.importorskip("sklearn")
    D = vf.datasets.digits(classes=None, encoding="index", preprocessing="minmax", scale=2, n=100)
    top = max(max(r) for r in D.X_exact)
    assert F(1, 8) < top <= 2  # the bug gives top = 2/16
