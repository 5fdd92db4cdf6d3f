"""Certified sharpness along GD runs (verify.stability.sharpness; Cohen et al., arXiv:2103.00065).

References: the Hessian in mpmath at 200 bits at the same stored iterate and mpmath's symmetric eigensolver; exact
sharpness on quadratics; the verdict logic against known true values."""

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import verify as vf
from verify.arith.ball64 import B64
from verify.convergence.gd import gd
from verify.errors import InputError, UncertifiedValueError
from verify.result import Verdict
from verify.stability.sharpness import (
    SharpnessCheckpoint,
    SharpnessResult,
    arb_to_b64,
    certify_sharpness,
    sharpness_at,
)


def _net(widths, act, n=5, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    net = vf.MLP(widths, act)
    X = rng.normal(size=(n, widths[0]))
    y = rng.normal(size=n)
    loss = vf.SquareLoss(net, vf.Dataset(X, y))
    return loss, rng.normal(size=net.n_params) * scale


def _mpf_fraction(x) -> Fraction:
    m, e = mpmath.mpf(x).man_exp
    return Fraction(int(m)) * Fraction(2) ** int(e)


def _mp_top(loss, theta, bits=200) -> Fraction:
    with mpmath.workprec(bits):
        H = loss.hessian(theta, "mp", bits)
        ev = mpmath.eigsy(mpmath.matrix(H.tolist()), eigvals_only=True)
        return _mpf_fraction(max(ev[i] for i in range(len(ev))))


def _quadratic(diag):
    xs = sp.symbols(f"x0:{len(diag)}")
    expr = sum(sp.Rational(Fraction(a).numerator, Fraction(a).denominator) * x**2 / 2 for a, x in zip(diag, xs))
    return vf.Objective.from_sympy(expr, list(xs))


# ------------------------------------------------------------------------------ enclosures vs mpmath references
@pytest.mark.parametrize("widths,act,eta", [([3, 4, 1], "tanh", 0.1), ([2, 3, 1], "relu", 0.05),
                                            ([2, 3, 2, 1], "tanh", 0.05)])
def test_enclosures_contain_mp_eigenvalue_on_float_runs(widths, act, eta):
    loss, th = _net(widths, act)
    traj = gd(loss, th, eta, 30, "float")
    res = certify_sharpness(traj, every=10)
    assert [c.step for c in res.checkpoints] == [0, 10, 20, 30]
    assert res.threshold == 2 / Fraction(eta)
    for c in res.checkpoints:
        assert c.certified and c.rung == "ball64"
        ref = _mp_top(loss, traj.thetas[c.step])
        assert c.lower <= ref <= c.upper
        assert c.upper - c.lower <= Fraction(1, 10**6) * max(1, abs(ref))
        assert c.loss == pytest.approx(float(traj.losses[c.step]))


def test_arb_rung_is_tighter_and_still_contains_the_reference():
    loss, th = _net([3, 4, 1], "tanh", seed=3)
    traj = gd(loss, th, 0.1, 5, "float")
    res = certify_sharpness(traj, at=[5], rtol=0, max_prec=128)
    c = res.checkpoints[0]
    assert c.rung == "ball@128" and [a["rung"] for a in c.ladder] == ["ball64", "ball@128"]
    ref = _mp_top(loss, traj.thetas[5], 400)
    assert c.lower <= ref <= c.upper
    assert c.upper - c.lower < Fraction(1, 10**30)
    # the Arb Hessian rounded to float64 balls (the route above ARB_EIG_MAX) is valid too
    res2 = certify_sharpness(traj, at=[5], rtol=0, max_prec=128, arb_eig_max=0)
    c2 = res2.checkpoints[0]
    assert c2.lower <= ref <= c2.upper


def test_ball_runs_speak_about_the_exact_iterates():
    loss, th = _net([3, 3, 1], "tanh", seed=2)
    th = np.array([Fraction(v).limit_denominator(1000) for v in th], dtype=object)
    eta = Fraction(1, 10)
    traj = gd(loss, th, eta, 6, "ball64")
    res = certify_sharpness(traj, every=3)
    assert "exact GD iterates" in res.iterates
    exact = gd(loss, th, eta, 6, "ball", 256)  # enclosures of the same exact iterates, much tighter
    for c in res.checkpoints:
        mid = np.array([float(v.mid()) for v in exact.thetas[c.step]])
        # the exact iterate is within 1e-60 of mid; the ball64 box is ~1e-15 wide: the reference at mid lies in the
        # enclosure unless λ_max moved by more than the enclosure's slack
        assert c.lower - Fraction(1, 10**12) <= _mp_top(loss, mid) <= c.upper + Fraction(1, 10**12)
        assert c.certified
    res_f = certify_sharpness(gd(loss, th, eta, 6, "float"), every=3)
    assert "stored float64 iterates" in res_f.iterates


# ------------------------------------------------------------------------------ quadratics: sharpness known exactly
ETA = Fraction(1, 10)  # 2/η = 20


@settings(max_examples=12)
@given(offset=st.sampled_from([0, 1, -1, 5, -5, 10**10, -(10**10)]),
       delta_num=st.sampled_from([0, 1, 2, 3, 10, 10**10]))
def test_near_threshold_verdicts_are_never_wrong(offset, delta_num):
    """λ_max = 2/η + offset·1e−30 exactly; δ = delta_num·1e−30: the band verdict must match the exact truth."""
    lam = 2 / ETA + Fraction(offset, 10**30)
    delta = Fraction(delta_num, 10**30)
    L = _quadratic([lam, Fraction(1)])
    traj = gd(L, [1, 1], ETA, 2, "float")
    res = certify_sharpness(traj)
    truth_band = abs(lam - 2 / ETA) <= delta
    r = res.edge_of_stability(delta, start=0)
    if r.verdict == Verdict.PROVED:
        assert truth_band and r.scope["checkpoints"] == [0, 1, 2]
    elif r.verdict == Verdict.REFUTED:
        assert not truth_band
    r = res.reached(delta)
    truth_reached = lam >= 2 / ETA - delta
    assert r.verdict in (Verdict.PROVED, Verdict.INCONCLUSIVE) if truth_reached else \
        r.verdict in (Verdict.REFUTED, Verdict.INCONCLUSIVE)
    # off the band edges by 1e-30 the Arb refinement (p = 2) decides
    if abs(abs(lam - 2 / ETA) - delta) >= Fraction(1, 10**30):
        assert res.edge_of_stability(delta, start=0).certified
    for c in res.checkpoints:
        assert c.lower <= lam <= c.upper


def test_quadratic_exact_sharpness_verdicts():
    L = _quadratic([Fraction(19), Fraction(3), Fraction(7)])
    res = certify_sharpness(gd(L, [1, 1, 1], ETA, 10, "float"), every=5)
    assert all(c.lower <= 19 <= c.upper for c in res.checkpoints)
    assert res.reached(1).verdict == Verdict.PROVED
    r = res.reached(Fraction(1, 2))
    assert r.verdict == Verdict.REFUTED and r.scope["checkpoints"] == [0, 5, 10]
    assert res.edge_of_stability(2, start=5).verdict == Verdict.PROVED
    r = res.edge_of_stability(Fraction(1, 2), start=5)
    assert r.verdict == Verdict.REFUTED and r.counterexample["side"] == "below"
    assert res.onset(2) == 0 and res.onset(Fraction(1, 2)) is None
    assert res.edge_of_stability(2, start=11).verdict == Verdict.INCONCLUSIVE  # no checkpoint that late
    # constant sharpness: never "increased"; the diagonal Hessian's enclosures are the point 19 here, so
    # "λ_10 ≤ λ_0" is certified and the claim refuted
    assert all(c.lower == c.upper == 19 for c in res.checkpoints)
    assert res.increased(0, -1).verdict == Verdict.REFUTED
    assert res.progressive_sharpening().verdict == Verdict.REFUTED


def test_exact_and_dyadic_hessians_give_point_enclosures_and_edge_cases():
    L = _quadratic([Fraction(20), Fraction(1)])  # λ_max = 2/η exactly
    res = certify_sharpness(gd(L, [1, 1], ETA, 2, "exact"))
    r = res.edge_of_stability(0, start=0)
    assert r.verdict in (Verdict.PROVED, Verdict.INCONCLUSIVE)  # true (closed band) — never REFUTED
    assert "exact GD iterates" in res.iterates


# ------------------------------------------------------------------------------ progressive sharpening (tanh)
def test_progressive_sharpening_on_a_tiny_tanh_network_is_detected_or_inconclusive():
    rng = np.random.default_rng(1)
    net = vf.MLP([2, 3, 1], "tanh")
    X = rng.normal(size=(4, 2))
    loss = vf.SquareLoss(net, vf.Dataset(X, np.array([1.5, -1.5, 1.5, -1.5])))
    traj = gd(loss, rng.normal(size=net.n_params) * 0.1, 0.05, 100, "float")
    res = certify_sharpness(traj, every=20)
    truth = {c.step: _mp_top(loss, traj.thetas[c.step]) for c in res.checkpoints}
    r = res.progressive_sharpening()
    assert r.verdict in (Verdict.PROVED, Verdict.INCONCLUSIVE)
    assert r.verdict == Verdict.PROVED  # the sharpness rises from ≈1.85 to ≈3.5: wide margins
    s0, sj = r.scope["checkpoints"]
    assert truth[sj] > truth[s0]
    for a, b in res.sharpening_steps():
        assert truth[b] > truth[a]
    n = len(res.checkpoints)
    for i in range(n):
        for j in range(i + 1, n):
            v = res.increased(i, j, refine=False).verdict
            si, sj = res.checkpoints[i].step, res.checkpoints[j].step
            if v == Verdict.PROVED:
                assert truth[sj] > truth[si]
            elif v == Verdict.REFUTED:
                assert truth[sj] <= truth[si]


# ------------------------------------------------------------------------------ verdict logic vs known values
@st.composite
def _hand_results(draw):
    eta = Fraction(1, draw(st.integers(1, 8)))
    n = draw(st.integers(1, 5))
    true = [2 / eta + Fraction(draw(st.integers(-40, 40)), 8) for _ in range(n)]
    cps = []
    for k, t in enumerate(true):
        if draw(st.integers(0, 9)) == 0:
            cps.append(SharpnessCheckpoint(10 * k, None, None))
            continue
        a, b = (Fraction(draw(st.integers(0, 24)), 8) for _ in range(2))
        cps.append(SharpnessCheckpoint(10 * k, t - a, t + b))
    delta = Fraction(draw(st.integers(0, 24)), 8)
    start = draw(st.integers(0, 10 * n))
    return SharpnessResult(eta, cps, "float", "hand-made"), true, delta, start


@given(_hand_results())
def test_verdicts_agree_with_the_true_values(case):
    res, true, delta, start = case
    thr = res.threshold
    steps = [c.step for c in res.checkpoints]
    r = res.edge_of_stability(delta, start, refine=False)
    band = [thr - delta <= t <= thr + delta for s, t in zip(steps, true) if s >= start]
    if r.verdict == Verdict.PROVED:
        assert band and all(band)
    if r.verdict == Verdict.REFUTED:
        assert not all(band)
    r = res.reached(delta, refine=False)
    if r.verdict == Verdict.PROVED:
        assert any(t >= thr - delta for t in true)
    if r.verdict == Verdict.REFUTED:
        assert all(t < thr - delta for t in true)
    if len(true) >= 2:
        r = res.increased(0, -1, refine=False)
        if r.verdict == Verdict.PROVED:
            assert true[-1] > true[0]
        if r.verdict == Verdict.REFUTED:
            assert true[-1] <= true[0]
        r = res.progressive_sharpening(refine=False)
        if r.verdict == Verdict.PROVED:
            assert any(t > true[0] for t in true[1:])
        if r.verdict == Verdict.REFUTED:
            assert all(t <= true[0] for t in true[1:])


# ------------------------------------------------------------------------------ adversarial inputs
def test_kink_iterate_is_uncertified_not_wrong():
    net = vf.MLP([1, 1, 1], "relu")
    loss = vf.SquareLoss(net, vf.Dataset(np.array([[1.0]]), np.array([1.0])))
    c = sharpness_at(loss, [0.0, 1.0])  # the pre-activation is exactly 0: no Hessian there
    assert not c.certified and "RegionBoundaryError" in c.note
    res = SharpnessResult(Fraction(1), [c], "float", "x")
    assert res.reached(0, refine=False).verdict == Verdict.INCONCLUSIVE
    assert res.edge_of_stability(100).verdict == Verdict.INCONCLUSIVE


def test_huge_hessians_climb_or_stay_uncertified():
    # beyond the float64 range: ball64 cannot hold the Hessian; Arb decides or nothing is claimed
    L = _quadratic([Fraction(10) ** 320, Fraction(1)])
    c = sharpness_at(L, [Fraction(0), Fraction(1)])
    if c.certified:
        assert c.lower <= Fraction(10) ** 320 <= c.upper and c.rung.startswith("ball@")
    # subnormal-scale curvature
    L = _quadratic([Fraction(1, 2**1060), Fraction(3, 2**1070)])
    c = sharpness_at(L, [Fraction(1), Fraction(1)])
    assert c.certified and c.lower <= Fraction(1, 2**1060) <= c.upper


def test_float_range_extremes_and_non_finite_iterates():
    loss, _ = _net([3, 3, 1], "tanh", seed=2)
    with pytest.raises(InputError):
        sharpness_at(loss, np.full(loss.n_params, np.nan))
    c = sharpness_at(loss, np.full(loss.n_params, 1e300))  # the float64-ball Hessian overflows: Arb takes over
    assert c.rung.startswith("ball@") and c.lower < 0 < c.upper  # valid (tanh saturates; huge second-order terms)
    res = SharpnessResult(Fraction(1, 10), [c], "float", "x")
    assert "e+" in res.table() and res.edge_of_stability(1).verdict == Verdict.INCONCLUSIVE
    c = sharpness_at(loss, np.full(loss.n_params, 1e-310))  # subnormal parameters
    ref = _mp_top(loss, np.full(loss.n_params, 1e-310))
    assert c.lower <= ref <= c.upper


def test_arb_to_b64_encloses_and_refuses_out_of_range():
    from flint import arb

    vals = [arb(1) / 3, arb(2) ** -1080 / 3, -arb(2) ** 1000 / 7, arb(0), arb("1e-300") / 3, arb(1, 2.0**-60)]
    B = arb_to_b64(np.array(vals, dtype=object))
    for v, m, r in zip(vals, B.mid, B.rad):
        lo, hi = Fraction(float(m)) - Fraction(float(r)), Fraction(float(m)) + Fraction(float(r))
        from verify.arith.ball import ball_bounds

        vlo, vhi = ball_bounds(v)
        assert lo <= vlo and vhi <= hi
    with pytest.raises(UncertifiedValueError):
        arb_to_b64(np.array([arb(2) ** 1100], dtype=object))
    with pytest.raises(UncertifiedValueError):
        arb_to_b64(np.array([arb(0, float("inf"))], dtype=object))


def test_bad_arguments_are_refused():
    L = _quadratic([Fraction(3), Fraction(1)])
    traj = gd(L, [1, 1], ETA, 4, "float")
    for kw in ({"every": 0}, {"at": [-1]}, {"at": [5]}, {"at": "3"}, {"at": []}, {"every": 2, "at": [1]},
               {"rtol": -1}, {"prec": 0}, {"prec": 256, "max_prec": 128}):
        with pytest.raises(InputError):
            certify_sharpness(traj, **kw)
    with pytest.raises(InputError):
        certify_sharpness([np.zeros(2)])
    res = certify_sharpness(traj)
    assert [c.step for c in res.checkpoints] == [0, 1, 2, 3, 4]
    with pytest.raises(InputError):
        res.edge_of_stability(-1)
    with pytest.raises(InputError):
        res.increased(2, 1)
    with pytest.raises(InputError):
        res.increased(0, 9)
    with pytest.raises(InputError):
        sharpness_at(L, [1, 2, 3])
    lo, hi = res.float_bounds()
    assert all(Fraction(a) <= c.lower and c.upper <= Fraction(b) for a, b, c in zip(lo, hi, res.checkpoints))


def test_b64_boxes_are_accepted_directly():
    L = _quadratic([Fraction(5), Fraction(1)])
    c = sharpness_at(L, B64(np.array([1.0, 2.0]), np.array([1e-3, 1e-3])))
    assert c.lower <= 5 <= c.upper
