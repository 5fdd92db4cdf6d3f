"""Adversarial soundness tests for the validated dynamics of issue 14: shadowed GD runs
(verify.convergence.gd, form="shadow"), validated gradient-flow tubes (verify.convergence.validated_flow) and the
gradient-flow claims decided on them (verify.convergence.flow_claims).

Every check compares with an independent ground truth: exact rational GD iterates, closed-form flows evaluated by
mpmath at 50+ digits (x' = −Ax through mpmath.expm; the quartic x(t) = x0/√(x0² − (x0² − 1)e^{−2t}); the blow-up
x' = x³, x(t) = 1/√(1 − 2t); x' = −1/x, x(t) = √(1 − 2t); the piecewise-linear x' = −(sign x + 2)), or mpmath's
Taylor ODE solver at 40 digits. An Arb box "contains" a real value when the exact endpoints of the box
(verify.arith.decide.bounds) bracket an mpmath value whose own error (50 digits) is far below the box radius.
Verdicts near a threshold are only required to be *not wrong* (PROVED/REFUTED matching the truth, or
INCONCLUSIVE)."""

from __future__ import annotations

import copy
from fractions import Fraction as F

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from flint import arb

import verify as vf
from verify.arith import get_arith
from verify.arith.decide import bounds
from verify.convergence import check_rate, gd, validated_flow
from verify.convergence import flow_claims as fc
from verify.errors import InputError, VerifyError

P, R, I = vf.Verdict.PROVED, vf.Verdict.REFUTED, vf.Verdict.INCONCLUSIVE
x, y = sp.symbols("x y", real=True)
DPS = 50


def _mpf(q: F) -> mp.mpf:
    with mp.workdps(DPS):
        return mp.mpf(q.numerator) / q.denominator


def _holds(ball, value) -> bool:
    """The exact endpoints of an Arb (or ball64) enclosure bracket ``value`` (a Fraction, compared exactly, or an
    mpmath number at 50 digits)."""
    lo, hi = bounds(ball) if isinstance(ball, arb) else get_arith("ball64").bounds(ball)
    if isinstance(value, F):
        return lo <= value <= hi
    with mp.workdps(DPS):
        return _mpf(lo) <= value <= _mpf(hi)


def _times(tube, per_step: int = 40):
    """Step ends, starts and interior points of the first ``per_step`` steps, and T_reached."""
    out = {F(0), tube.T_reached}
    for s in tube.steps[:per_step]:
        out.update((s.t0, s.t1, s.t0 + s.h * F(2, 7)))
    return sorted(out)


def _tube_holds(tube, exact, per_step: int = 40) -> None:
    """tube.at(t) and every step's tube box contain the exact solution ``exact(t)`` (a list of mpmath values)."""
    for t in _times(tube, per_step):
        with mp.workdps(DPS):
            ref = exact(_mpf(t))
        assert all(_holds(b, r) for b, r in zip(tube.at(t), ref)), t
    for s in tube.steps[:per_step]:
        for t in (s.t0, s.t1, s.t0 + s.h / 2):
            with mp.workdps(DPS):
                ref = exact(_mpf(t))
            assert all(_holds(b, r) for b, r in zip(s.tube, ref)), (s.t0, t)


def _quartic(x0: F):
    def sol(t):
        with mp.workdps(DPS):
            a = _mpf(x0)
            return [a / mp.sqrt(a**2 - (a**2 - 1) * mp.e ** (-2 * t))]
    return sol


def _linear(A, x0):
    Am = mp.matrix([[_mpf(F(a)) for a in row] for row in A])
    xv = mp.matrix([_mpf(F(v)) for v in x0])

    def sol(t):
        with mp.workdps(DPS):
            v = mp.expm(-Am * t) * xv
            return [v[i] for i in range(len(x0))]
    return sol


QUARTIC = vf.Objective.from_sympy(sp.Rational(1, 4) * (x**2 - 1) ** 2, [x])


# ============================================================================ validated_flow: enclosures
@pytest.mark.parametrize("prec,order", [(32, None), (32, 60), (64, 150), (128, 3)])
@pytest.mark.parametrize("x0", [F(3, 2), F(-1, 3), F(1, 10**6), F(1)])
def test_low_precision_and_extreme_orders_enclose_the_quartic(prec, order, x0):
    """prec = 32 with order 60, prec = 64 with order 150, order 3 at 128 bits; starts near the unstable
    equilibrium 0, on the equilibrium 1, and on both sides: the closed form is inside every tube box."""
    tube = validated_flow(QUARTIC, [x0], 3, prec=prec, order=order, time_limit=3)
    assert tube.T_reached > 0
    _tube_holds(tube, _quartic(x0))


@pytest.mark.parametrize("A,x0,T,prec", [
    ([[1, 0], [0, -1]], [F(1, 3), F(1, 3)], 5, 32),             # a saddle: Λ > 1 direction, low precision
    ([[1, 2], [2, 1]], [F(1, 3), F(-2, 7)], 2, 64),             # indefinite, coupled
    ([[0, 0], [0, 0]], [F(1, 3), F(-2, 7)], 2, 128),            # zero Hessian: the flow is constant
    ([[-1]], [F(1, 3)], 10, 128),                              # pure expansion by e^{10}
    ([[F(1, 10**30)]], [F(1, 3)], 2, 128),                     # tiny scale
])
def test_linear_flows_with_indefinite_zero_and_expanding_hessians(A, x0, T, prec):
    xs = sp.Matrix([x, y][: len(x0)])
    L = sp.expand((xs.T * sp.Matrix([[sp.Rational(F(a).numerator, F(a).denominator) for a in r] for r in A]) * xs)[0]
                  / 2)
    obj = vf.Objective.from_sympy(L, list(xs))
    tube = validated_flow(obj, x0, T, prec=prec, time_limit=4)
    assert tube.complete
    _tube_holds(tube, _linear(A, x0))


def test_ill_conditioned_linear_flow_is_enclosed_where_it_gets():
    """Curvatures 10⁶ and 10⁻⁶: stiff; the tube may stop on the time limit, and is exact wherever it reached."""
    obj = vf.Objective.from_sympy((10**6 * x**2 + y**2 / 10**6) / 2, [x, y])
    tube = validated_flow(obj, [F(1, 3), F(1, 3)], F(1, 100), time_limit=2)
    assert tube.T_reached > 0
    _tube_holds(tube, _linear([[10**6, 0], [0, F(1, 10**6)]], [F(1, 3), F(1, 3)]), per_step=30)


def test_finite_time_blow_up_stops_before_the_singularity_and_decides_nothing_after():
    """L = −x⁴/4, x' = x³ from 1: x(t) = 1/√(1 − 2t) blows up at t = 1/2."""
    obj = vf.Objective.from_sympy(-(x**4) / 4, [x])
    tube = validated_flow(obj, [1], 1, time_limit=4)
    assert not tube.complete and tube.T_reached < F(1, 2)

    def sol(t):
        with mp.workdps(DPS):
            return [1 / mp.sqrt(1 - 2 * t)]
    _tube_holds(tube, sol, per_step=10**6)
    assert fc.flow_no_blowup(obj, tube).verdict == I  # L(θ(0)) < 0: the bound is not even defined
    assert fc.flow_stays_in_ball(tube, [1], 10**6).verdict != P  # the flow leaves every ball
    assert fc.flow_rate(obj, tube, F(1, 10)).verdict != P


def test_a_flow_that_leaves_the_domain_of_log_stops_before_it():
    """L = log x, x' = −1/x from 1: x(t) = √(1 − 2t) reaches the edge of the domain at t = 1/2."""
    obj = vf.Objective.from_sympy(sp.log(x), [x])
    tube = validated_flow(obj, [1], 2, time_limit=4)
    assert not tube.complete and tube.T_reached < F(1, 2)

    def sol(t):
        with mp.workdps(DPS):
            return [mp.sqrt(1 - 2 * t)]
    _tube_holds(tube, sol, per_step=10**6)
    assert fc.flow_stays_in_ball(tube, [1], 1).verdict == I


def test_a_transversal_kink_crossing_is_enclosed_up_to_the_stop():
    """L = |x| + 2x, x' = −(sign x + 2) from 1: x = 1 − 3t reaches the kink at t = 1/3 transversally (both fields
    point to x < 0), then x = 1/3 − t. With kinks="stop" the tube stops at the kink and decides nothing past it;
    by default it crosses, and the piecewise solution lies in the tube on both sides."""
    obj = vf.Objective.from_sympy(sp.Abs(x) + 2 * x, [x])
    tube = validated_flow(obj, [1], 2, time_limit=4, kinks="stop")
    assert tube.stop_kind == "kink" and tube.T_reached <= F(1, 3)
    _tube_holds(tube, lambda t: [1 - 3 * t], per_step=10**6)
    assert fc.flow_stays_in_ball(tube, [1], 2).verdict == I  # true on [0, 2] but the tube does not reach 2
    crossed = validated_flow(obj, [1], 2, time_limit=4)
    assert crossed.complete and len(crossed.crossings) == 1
    _tube_holds(crossed, lambda t: [1 - 3 * t if 3 * t <= 1 else mp.mpf(1) / 3 - t], per_step=10**6)
    assert fc.flow_stays_in_ball(crossed, [1], 3).verdict == P  # |x(t) − 1| ≤ 8/3 on [0, 2]
    assert fc.flow_stays_in_ball(crossed, [1], 2).verdict == R  # x(2) = −5/3 is 8/3 from 1


def test_sliding_onto_a_kink_stops_cleanly():
    """L = |x − 1/3|: x = 1 − t until t = 2/3, then x stays on the kink (sliding / a non-smooth equilibrium)."""
    obj = vf.Objective.from_sympy(sp.Abs(x - sp.Rational(1, 3)), [x])
    tube = validated_flow(obj, [1], 2, time_limit=4)
    assert tube.stop_kind == "sliding" and tube.T_reached <= F(2, 3)
    _tube_holds(tube, lambda t: [1 - t], per_step=10**6)
    assert fc.flow_rate(obj, tube, F(1, 2)).verdict == I


@pytest.mark.parametrize("L", [2 * sp.atan(x) + x**2 / 2, x ** sp.Rational(3, 2), 1 / x**2, 1 / (1 + x**2)],
                         ids=["atan", "pow32", "inv_sq", "rational"])
def test_elementary_taylor_recurrences_against_mpmath_odefun(L):
    """The tape's Taylor recurrences (atan through its derivative, x^(3/2) through exp∘log, division) against
    mpmath's (non-rigorous, high-precision) Taylor solver at 40 digits, at a few step ends."""
    obj = vf.Objective.from_sympy(L, [x])
    tube = validated_flow(obj, [F(7, 10)], F(1, 2), time_limit=4)
    assert tube.complete
    fp = sp.lambdify(x, -sp.diff(L, x), "mpmath")
    with mp.workdps(40):
        sol = mp.odefun(lambda t, v: fp(v), 0, mp.mpf(7) / 10)
        for t in [s.t1 for s in tube.steps][:: max(1, len(tube.steps) // 4)] + [tube.T_reached]:
            assert _holds(tube.at(t)[0], sol(mp.mpf(t.numerator) / t.denominator)), t


def test_network_losses_tape_and_series_tubes_overlap_everywhere():
    """A softplus network with the logistic loss: the 64-bit taped tube and a 160-bit tube of whole arb_series are
    two enclosures of one solution: they must overlap at every sampled time."""
    X_ = [[1, 0], [0, 1], [1, 1]]
    loss = vf.LogisticLoss(vf.MLP([2, 2, 1], "softplus", bias=True), vf.Dataset(X_, [1, -1, 1]))
    x0 = [F((-1) ** i * (i + 1), 7) for i in range(loss.n_params)]
    a = validated_flow(loss, x0, F(1, 2), prec=64)
    b = validated_flow(loss, x0, F(1, 2), prec=160, order=30, ad="series", time_limit=30)
    assert a.complete and b.complete
    for t in (F(0), F(1, 7), F(1, 3), F(1, 2)):
        assert all(u.overlaps(v) for u, v in zip(a.at(t), b.at(t))), t


# ============================================================================ FlowTube.at
def test_at_step_boundaries_horizon_and_time_balls():
    A, x0 = [[1, 0], [0, 4]], [1, 1]
    obj = vf.Objective.from_sympy((x**2 + 4 * y**2) / 2, [x, y])
    tube = validated_flow(obj, x0, 1)
    sol = _linear(A, x0)
    for t in [s.t0 for s in tube.steps] + [F(1), 1, 1.0, -0.0]:
        tq = F(t)
        assert all(_holds(b, r) for b, r in zip(tube.at(t), sol(_mpf(tq)))), t
    # a time ball across several steps encloses θ at both of its ends
    tb = arb(0.5, 0.25)
    box = tube.at(tb)
    for t in (F(bounds(tb)[0]), F(bounds(tb)[1])):
        assert all(_holds(b, r) for b, r in zip(box, sol(_mpf(t))))
    for bad in (F(1) + F(1, 10**40), -F(1, 10**40), arb(0.5, 0.5), float("nan"), float("inf"), "1", None):
        with pytest.raises(InputError):
            tube.at(bad)


# ============================================================================ flow claims
@pytest.fixture(scope="module")
def linear11():
    """L = ½(x² + 4y²) from (1, 1): L(θ(t)) = ½(e^{−2t} + 4e^{−8t})."""
    obj = vf.Objective.from_sympy((x**2 + 4 * y**2) / 2, [x, y])
    return obj, validated_flow(obj, [1, 1], 1)


def test_rate_at_the_path_infimum_of_the_pl_ratio_is_never_refuted(linear11):
    """‖∇L‖²/L along the path is 2(e^{−2t} + 16e^{−8t})/(e^{−2t} + 4e^{−8t}), smallest at t = 1 (α* ≈ 2.0589).
    For α = α* ± 10⁻³⁰ the *claim* L(θ(t)) ≤ e^{−αt}L(θ(0)) still holds on [0, 1] (it is an integrated
    statement), so neither may be REFUTED; far above the true decay (α = 8) it is REFUTED."""
    obj, tube = linear11
    with mp.workdps(60):
        e2, e8 = mp.e ** -2, mp.e ** -8
        a_star = F(mp.nstr(2 * (e2 + 16 * e8) / (e2 + 4 * e8), 55))
    # the true claim threshold: L(θ(t)) ≤ e^{−αt}L0 ⟺ α ≤ −ln(L(t)/L0)/t for every t ∈ (0, 1]
    with mp.workdps(60):
        thr = min(-mp.log((mp.e ** (-2 * t) + 4 * mp.e ** (-8 * t)) / 5) / t
                  for t in mp.linspace(mp.mpf(1) / 1000, 1, 400))
    assert a_star < F(mp.nstr(thr, 50))
    for a in (a_star - F(1, 10**30), a_star + F(1, 10**30)):
        assert fc.flow_rate(obj, tube, a).verdict != R
    assert fc.flow_rate(obj, tube, F(19, 10)).verdict == P
    assert fc.flow_rate(obj, tube, 8).verdict == R


def test_avoidance_of_a_set_met_mid_path_is_never_proved(linear11):
    """θ(t) = (e^{−t}, e^{−4t}) meets {x = 2y} at t = ln 2/3 ≈ 0.231 (not at the start), and {x = y} only at t = 0."""
    _, tube = linear11
    assert fc.flow_avoids(tube, lambda b: abs(b[0] - 2 * b[1]), "x = 2y").verdict != P
    assert fc.flow_avoids(tube, lambda b: abs(b[0] - b[1]), "x = y").verdict == R
    assert fc.flow_avoids(tube, lambda b: abs(b[0] - 3 * b[1]), "x = 3y").verdict != P  # met at ln 3/3 < 1
    # {x = 30y} is met at t = ln 30/3 ≈ 1.134 > 1: avoided on [0, 1]
    assert fc.flow_avoids(tube, lambda b: abs(b[0] - 30 * b[1]), "x = 30y").verdict in (P, I)


@pytest.mark.parametrize("eta", [F(3, 10), F(1, 3), F(7, 10), F(1, 10)])
def test_gd_tracks_flow_bound_dominates_the_true_gap_when_eta_does_not_divide_T(linear11, eta):
    """GD θ_k = ((1 − η)^k, (1 − 4η)^k) exactly; the flow (e^{−kη}, e^{−4kη}): the certified D ≥ the true max gap."""
    obj, tube = linear11
    res = fc.gd_tracks_flow(obj, tube, eta)
    assert res.verdict == P
    K = int(F(1) / eta)
    assert res.certificate["steps"] == K
    with mp.workdps(DPS):
        e = _mpf(eta)
        gap = max(mp.sqrt(((1 - e) ** k - mp.e ** (-k * e)) ** 2 + ((1 - 4 * e) ** k - mp.e ** (-4 * k * e)) ** 2)
                  for k in range(K + 1))
        assert _mpf(res.certificate["D_upper"]) >= gap


def test_claims_of_a_consistent_copy_agree(linear11):
    obj, tube = linear11
    twin = copy.copy(tube)
    assert fc.flow_stays_in_ball(twin, [0, 0], F(3, 2)).verdict == fc.flow_stays_in_ball(tube, [0, 0], F(3, 2)).verdict


def test_a_tube_with_an_edited_horizon_is_not_trusted(linear11):
    """The claims check a tube's bookkeeping (steps tile [0, T_reached] = [0, T] when complete): a horizon edited
    after the computation is refused instead of PROVED for [0, 50]."""
    obj, tube = linear11
    forged = copy.copy(tube)
    forged.T = F(50)
    with pytest.raises(InputError):
        fc.flow_rate(obj, forged, F(19, 10))


def test_flow_claims_bad_arguments_are_verify_errors(linear11):
    obj, tube = linear11
    for call in (lambda: fc.flow_rate(obj, tube, float("nan")), lambda: fc.flow_rate(obj, "tube", 1),
                 lambda: fc.flow_avoids(tube, lambda b: 1.0, "f"), lambda: fc.flow_avoids(tube, 3, "f"),
                 lambda: fc.gd_tracks_flow(obj, tube, 2), lambda: fc.gd_tracks_flow(obj, tube, "a"),
                 lambda: fc.flow_stays_in_ball(tube, [float("inf"), 0], 1),
                 lambda: fc.flow_rate(vf.Objective.from_sympy(x**2, [x]), tube, 1)):
        with pytest.raises(VerifyError):
            call()


@pytest.mark.parametrize("args,kw", [([[F(1)], 1], {}), ([[1, 1], -1], {}), ([[1, 1], float("nan")], {}),
                                     ([[float("inf"), 1], 1], {}), ([[[1, 1]], 1], {}), ([["a", 1], 1], {}),
                                     ([[1, 1], 1], {"prec": True}), ([[1, 1], 1], {"tol": 2}),
                                     ([[1, 1], 1], {"min_step": -1}), ([[1, 1], 1], {"time_limit": float("nan")})])
def test_validated_flow_bad_arguments_are_input_errors(args, kw):
    obj = vf.Objective.from_sympy((x**2 + 4 * y**2) / 2, [x, y])
    with pytest.raises(InputError):
        validated_flow(obj, *args, **kw)


# ============================================================================ shadowed GD
def _fr(v) -> F:
    return F(int(v.p), int(v.q)) if hasattr(v, "p") else F(v)


def _gd_holds(obj, x0, eta, K, arith, prec=None):
    ex = gd(obj, x0, eta, K, "exact")
    tr = gd(obj, x0, eta, K, arith, prec)
    for k in range(tr.steps + 1):
        assert all(_holds(b, _fr(e)) for b, e in zip(tr.thetas[k], ex.thetas[k])), (arith, k)
        assert _holds(tr.losses[k], _fr(ex.losses[k])), (arith, k)
    return tr, ex


@pytest.mark.parametrize("arith,prec", [("ball", 128), ("ball", 64), ("ball64", None)])
@pytest.mark.parametrize("L,x0,eta,K", [
    ((x**2 - y**2) / 2, [F(1, 3), F(1, 7)], F(1, 2), 12),        # saddle: Λ = 3/2 > 1
    (x**2 / 2 + y**2, [F(1, 3), F(1, 7)], F(3, 2), 12),          # η > 2/λ_max: the y-part diverges
    (x**3, [F(0)], F(1, 3), 5),                                  # a zero Hessian at a stationary start
    (x**3 / 3 - x, [F(1, 10)], F(1, 2), 6),                      # curvature changes sign along the orbit
    ((x**2 + y**2) / 2 / 10**300, [F(1, 3), F(2, 3)], F(10**299), 8),   # tiny curvature, huge step
    (x**2 / 2, [F(10**300)], F(1, 3), 8),                        # huge iterates (Arb; ball64 overflows in L)
    (sp.Abs(x - sp.Rational(1, 3)) + x**2 / 8, [F(1)], F(1, 4), 6),     # iterates jump across a kink
], ids=["saddle", "expanding", "zero_hessian", "sign_change", "tiny_scale", "huge_scale", "abs_crossing"])
def test_shadowed_runs_enclose_exact_iterates(L, x0, eta, K, arith, prec):
    obj = vf.Objective.from_sympy(L, [x, y][: len(x0)])
    try:
        _gd_holds(obj, x0, eta, K, arith, prec)
    except VerifyError as exc:  # ball64 may refuse a value beyond the float range; never a builtin exception
        assert arith == "ball64", exc


@pytest.mark.parametrize("x0,K", [(F(1, 10**300), 60), (F(1, 2**1070), 8), (F(3, 2**1000), 20)])
def test_ball64_runs_into_the_subnormal_range_enclose_exact_iterates(x0, K):
    """½x² with η = 1/2 from 10⁻³⁰⁰ or a subnormal: L(θ_0) underflows in float64; the enclosures must still hold
    the exact (positive) values, and no rate may be refuted (L_k = 4^{−k}L_0 exactly)."""
    obj = vf.Objective.from_sympy(x**2 / 2, [x])
    tr, _ = _gd_holds(obj, [x0], F(1, 2), K, "ball64")
    assert tr.steps == K
    for q in (F(1, 4), F(1, 4) + F(1, 10**30)):
        assert check_rate(tr, q).verdict != R


def test_a_kink_landed_on_exactly_stops_the_run():
    """|x| from 1 with η = 1/2: θ_2 = 0 exactly, on the kink. The run keeps θ_0, θ_1; a rate decided on it speaks
    about that prefix only (its claim and scope say k = 0..1) and is true there (L_1 = L_0/2)."""
    obj = vf.Objective.from_sympy(sp.Abs(x), [x])
    for arith in ("ball", "ball64"):
        tr = gd(obj, [1], F(1, 2), 4, arith)
        assert tr.steps == 1 and tr.extra["stop_reason"] == "region_boundary"
        res = check_rate(tr, F(1, 2))
        assert res.verdict in (P, I)
        if res.verdict == P:
            assert "k = 0..1" in res.claim and res.scope["count"] == 1 and "stopped early" in res.message
        assert check_rate(tr, F(1, 2) - F(1, 10**30)).verdict in (R, I)  # L_1 = L_0/2 > q·L_0


@pytest.mark.parametrize("arith", ["ball", "ball64", "float", "mp"])
def test_check_rate_at_exact_equality_and_1e_30_either_side(arith):
    """x² with η = 1/4 from 1: θ_k = 2^{−k}, L_k = 4^{−k}L_0 exactly. q = 1/4 and q = 1/4 + 2^{−200} are true, q =
    1/4 − 2^{−200} false; from 1/3 with η = 1/3, L_k = 9^{−k}L_0 (q = 1/9 ∓ 10⁻³⁰). Exact truth decides what is
    wrong."""
    obj = vf.Objective.from_sympy(x**2, [x])
    prec = {"ball": 128, "mp": 53}.get(arith)
    for x0, eta, qt, K in ((1, F(1, 4), F(1, 4), 40), (F(1, 3), F(1, 3), F(1, 9), 100)):
        tr = gd(obj, [x0], eta, K, arith, prec)
        ex = gd(obj, [x0], eta, K, "exact")
        Ls = [_fr(v) for v in ex.losses]
        for d in (F(0), F(1, 2**200), -F(1, 2**200), F(1, 10**30), -F(1, 10**30)):
            q = qt + d
            truth = all(Ls[k] <= q**k * Ls[0] for k in range(K + 1))
            v = check_rate(tr, q).verdict
            assert not (v == P and not truth) and not (v == R and truth), (arith, x0, d, v)


def test_check_rate_two_rate_quadratic_near_the_finite_horizon_threshold():
    """½(x² + 3y²) with η = 1/4: L_k = (9/16)^k·a + (1/16)^k·b. A q slightly below 9/16 still holds for K = 150
    (the y-part decays faster), so PROVED is right there; the exact run is the judge."""
    obj = vf.Objective.from_sympy((x**2 + 3 * y**2) / 2, [x, y])
    ex = gd(obj, [F(1, 3), F(1, 5)], F(1, 4), 150, "exact")
    Ls = [_fr(v) for v in ex.losses]
    for arith in ("ball", "ball64"):
        tr = gd(obj, [F(1, 3), F(1, 5)], F(1, 4), 150, arith)
        for q in (F(9, 16) - F(1, 10**30), F(9, 16), F(1, 2), F(9, 16) * F(1, 2)):
            truth = all(Ls[k] <= q**k * Ls[0] for k in range(151))
            v = check_rate(tr, q).verdict
            assert not (v == P and not truth) and not (v == R and truth), (arith, q, v)


def test_a_tiny_start_on_a_flat_quartic_refutes_a_false_rate_correctly():
    """¼x⁴ from 10⁻⁸⁰ with η = 1/2: θ_1 = θ_0(1 − 10⁻¹⁶⁰/2), so L_1 ≈ L_0 ≈ 2.5·10⁻³²¹ (subnormal in float64):
    the rate q = 1/2 is false and a REFUTED is correct; q = 1 − 10⁻¹⁰⁰ is true (never refuted)."""
    obj = vf.Objective.from_sympy(x**4 / 4, [x])
    for arith in ("ball", "ball64"):
        tr, _ = _gd_holds(obj, [F(1, 10**80)], F(1, 2), 5, arith)
        assert check_rate(tr, F(1, 2)).verdict in (R, I)
        assert check_rate(tr, 1 - F(1, 10**100)).verdict != R


def test_shadow_and_naive_forms_agree_on_overlap():
    """Two enclosures of the same exact orbit (shadowed and naive) on a tanh network must overlap."""
    X_ = [[1, 0], [0, 1], [1, 1]]
    loss = vf.SquareLoss(vf.MLP([2, 3, 1], "tanh"), vf.Dataset(X_, [1, -1, F(1, 2)]))
    th = [F(k, 7) for k in range(-4, 5)]
    a = gd(loss, th, F(1, 5), 30, "ball", 128)
    b = gd(loss, th, F(1, 5), 30, "ball", 128, form="naive")
    c = gd(loss, th, F(1, 5), 30, "ball64")
    for k in range(31):
        assert all(u.overlaps(v) for u, v in zip(a.thetas[k], b.thetas[k])), k
        for u, v in zip(a.thetas[k], c.thetas[k]):
            lo, hi = get_arith("ball64").bounds(v)
            ulo, uhi = bounds(u)
            assert ulo <= hi and lo <= uhi, k
    assert np.isfinite(float(a.extra["radii"][-1][1]))


_ORBITS = [
    ("quartic_13_10", (x**2 - 1) ** 2 / 4, [F(1, 2)], F(13, 10)),   # chaotic-looking quartic orbit: Λ > 1 windows
    ("xy", (x * y - 1) ** 2 / 2 + (x - y) ** 2 / 8, [F(1, 5), F(2)], F(2, 3)),
    ("rosenbrock", (1 - x) ** 2 + 10 * (y - x**2) ** 2, [F(-1, 2), F(1, 2)], F(1, 25)),
    ("tanh", sp.tanh(x - y) ** 2 + (x + y) ** 2 / 4, [F(2), F(-1)], F(3, 2)),
]


@pytest.mark.parametrize("L,x0,eta,arith,prec", [
    pytest.param(L, x0, eta, a, p, id=f"{name}-{a}-{p}",
                 # 128 bits on the quartic: ρ reaches 10^148717 and exact endpoints that large are slow to compare
                 marks=[pytest.mark.slow] if (name, p) == ("quartic_13_10", 128) else [])
    for name, L, x0, eta in _ORBITS for a, p in (("ball", 128), ("ball", 512), ("ball64", None))])
def test_long_expanding_orbits_against_900_digit_mpmath(L, x0, eta, arith, prec):
    """150 steps of orbits whose error recursion expands (ρ reaches 10^148717 at 128 bits on the quartic, where the
    shadow stops): every stored iterate and loss encloses a 900-digit mpmath orbit (exact rationals would have
    3^150-digit denominators)."""
    vs = [x, y][: len(x0)]
    obj = vf.Objective.from_sympy(L, vs)
    tr = gd(obj, x0, eta, 150, arith, prec)
    g = [sp.lambdify(vs, sp.diff(L, v), "mpmath") for v in vs]
    Lf = sp.lambdify(vs, L, "mpmath")
    with mp.workdps(900):
        v = [mp.mpf(q.numerator) / q.denominator for q in x0]
        e = mp.mpf(eta.numerator) / eta.denominator
        for k in range(tr.steps + 1):
            lo_hi = [(get_arith("ball64").bounds(b) if arith == "ball64" else bounds(b)) for b in tr.thetas[k]]
            for (lo, hi), vi in zip(lo_hi, v):
                assert mp.mpf(lo.numerator) / lo.denominator <= vi <= mp.mpf(hi.numerator) / hi.denominator, k
            lo, hi = get_arith("ball64").bounds(tr.losses[k]) if arith == "ball64" else bounds(tr.losses[k])
            assert mp.mpf(lo.numerator) / lo.denominator <= Lf(*v) <= mp.mpf(hi.numerator) / hi.denominator, k
            gv = [gi(*v) for gi in g]
            v = [vi - e * gi for vi, gi in zip(v, gv)]


@pytest.mark.parametrize("kw", [dict(step=F(1, 3)), dict(step=2), dict(step=F(1, 3), order=2),
                                dict(step=F(1, 1000), order=2, prec=32), dict(tol=F(1, 2)), dict(min_step=F(2)),
                                dict(max_steps=1), dict(order=200, prec=32, tol=F(1, 2))])
def test_forced_steps_orders_and_tolerances_stay_sound(kw):
    """Fixed non-dyadic or too-large steps, order 2, tol = 1/2, a min_step above T, one step only: the quartic's
    closed form is inside every tube box and end box, and the claims decide nothing beyond T_reached."""
    x0 = F(3, 2)
    tube = validated_flow(QUARTIC, [x0], 2, **kw)
    _tube_holds(tube, _quartic(x0), per_step=300)
    if not tube.complete:
        assert fc.flow_stays_in_ball(tube, [x0], F(1, 2)).verdict == I


def test_loss_enclosures_hull_and_distance_upper_hold_the_exact_path():
    x0 = F(-1, 3)
    tube = validated_flow(QUARTIC, [x0], 3, prec=64)
    sol = _quartic(x0)
    for t0, t1, Lb in tube.loss_enclosures(QUARTIC):
        for t in (t0, t1, (t0 + t1) / 2):
            with mp.workdps(DPS):
                v = sol(_mpf(t))[0]
                assert _holds(Lb, (v**2 - 1) ** 2 / 4), t
    h = tube.hull()
    assert _holds(h[0], sol(_mpf(F(0)))[0]) and _holds(h[0], sol(_mpf(F(3)))[0])
    for c in (F(0), F(-1, 3), F(-1), F(5)):
        with mp.workdps(DPS):
            true = max(abs(sol(mp.mpf(k) / 100)[0] - _mpf(c)) for k in range(301))
            assert _mpf(tube.distance_upper([c])) >= true


def test_gd_tracks_flow_with_a_divergent_gd_run_returns_a_result():
    """The flow x' = −x³ from 2 is tame on [0, 7]; GD with η = 1 diverges doubly exponentially (2, −6, 210, …).
    The bound D is certified but astronomically large: a Result (PROVED with a huge C, or INCONCLUSIVE) is due."""
    obj = vf.Objective.from_sympy(x**4 / 4, [x])
    tube = validated_flow(obj, [2], 7)
    assert tube.complete
    res = fc.gd_tracks_flow(obj, tube, 1)
    assert res.verdict in (P, I)


def test_gd_tracks_flow_with_a_divergent_but_float_sized_gd_run_is_proved_with_a_huge_constant():
    """The same with T = 6 (θ_6 ≈ 1.26·10¹⁸⁸ still fits a float): PROVED with D ≥ |θ_6 − x(6)|."""
    obj = vf.Objective.from_sympy(x**4 / 4, [x])
    tube = validated_flow(obj, [2], 6)
    res = fc.gd_tracks_flow(obj, tube, 1)
    assert res.verdict == P
    theta = [F(2)]
    for _ in range(6):
        theta.append(theta[-1] - theta[-1] ** 3)
    assert res.certificate["D_upper"] >= abs(theta[6]) - 2  # |x(t)| ≤ 2 on the flow


def test_stays_in_a_huge_ball_returns_a_result():
    tube = validated_flow(QUARTIC, [F(3, 2)], 1)
    assert fc.flow_stays_in_ball(tube, [0], F(2) ** 520).verdict == P


def test_avoidance_with_a_huge_distance_returns_a_result():
    tube = validated_flow(QUARTIC, [F(3, 2)], 1)
    assert fc.flow_avoids(tube, lambda b: abs(b[0]) * (2**999) * (2**999), "x = 0").verdict == P
