"""Soundness of the GD rate check (the conclusion of Chatterjee's local PL theorem for GD,
arXiv:2203.16462: θ_k ∈ B(x0, r) and L(θ_k) ≤ q^k L(θ_0)) and robustness of verify.convergence
(issue 11: item 10, the 6,000-step OverflowError, vacuous rates, scopes, IntegrationError, bad arguments).

The differential tests use quadratics L(θ) = Σ_i a_i θ_i² whose exact GD iterates are computed here in
rational arithmetic, so the true answer of every claim is known; the verdicts must never be the wrong
certified one, and INCONCLUSIVE near a threshold must give way to the right verdict at a higher precision.
"""

from __future__ import annotations

import math
from fractions import Fraction as F

import pytest
import sympy as sp
from flint import arb
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import verify as vf
from verify import convergence as cv
from verify.arith.ball import contains
from verify.convergence import flow
from verify.errors import InputError, IntegrationError, RegionBoundaryError

P, R, S, I = vf.Verdict.PROVED, vf.Verdict.REFUTED, vf.Verdict.SUPPORTED, vf.Verdict.INCONCLUSIVE
X, Y = sp.symbols("x y")
SQUARE = vf.Objective.from_sympy(X**2, [X])
QUARTIC = vf.Objective.from_sympy((X**2 - 1) ** 2 / 4, [X])
#: ¼(x² − 1)² on B(6/5, 3/5) with η = 2/25: α ≥ 36/25, β ≤ 218/25, q = 1 − αη(1 − βη/2) (Chatterjee's GD form)
Q_QUARTIC = 1 - F(36, 25) * F(2, 25) * (1 - F(218, 25) * F(2, 25) / 2)


# ================================================================= item 10: leaving the ball
@pytest.mark.parametrize("arith", ["float", "mp"])
def test_a_float_run_that_leaves_the_ball_is_refuted_not_supported(arith):
    """x², x0 = 1, η = 1/4: θ_1 = 1/2 is outside B(1, 1/10). The old check ignored the ball for float runs."""
    tr = cv.gd(SQUARE, [1], F(1, 4), 20, arith)
    res = cv.check_rate(tr, F(1, 4), [1], F(1, 10))
    assert res.verdict == R and res.arithmetic in ("ball64", "ball") and res.rung
    assert res.counterexample["step"] == 1 and res.counterexample["part"] == "ball"
    assert "outside the closed ball" in res.message


def test_a_late_exit_from_the_ball_is_found():
    """x² with η = 1/10 from 1: x_k = (4/5)^k, |x_k − 1| ≤ 1/2 until k = 3; x_4 = 0.4096 is outside."""
    tr = cv.gd(SQUARE, [1], F(1, 10), 30, "float")
    res = cv.check_rate(tr, F(16, 25) * (1 + F(1, 10**6)), [1], F(1, 2))
    assert res.verdict == R and res.counterexample["step"] == 4
    assert cv.check_rate(cv.gd(SQUARE, [1], F(1, 10), 3, "float"), F(16, 25) * (1 + F(1, 10**6)), [1],
                         F(1, 2)).verdict == S


def test_a_float_run_on_the_sphere_is_never_refuted():
    """θ_3 lies exactly on the sphere |x − 1| = 61/125 (inside the closed ball): exact PROVED, float never REFUTED."""
    r = 1 - F(4, 5) ** 3
    assert cv.check_rate(cv.gd(SQUARE, [1], F(1, 10), 3, "exact"), F(16, 25), [1], r).verdict == P
    res = cv.check_rate(cv.gd(SQUARE, [1], F(1, 10), 3, "float"), F(16, 25) * (1 + F(1, 10**6)), [1], r)
    assert res.verdict in (S, I)


def test_the_ball_recheck_starts_from_the_exact_start():
    """x0 = 1/10 is not a float: the certified re-check speaks of GD from 1/10 exactly."""
    tr = cv.gd(SQUARE, [F(1, 10)], F(1, 4), 5, "float")
    assert tr.start[0] == F(1, 10)
    res = cv.check_rate(tr, F(1, 4), [F(1, 10)], F(1, 100))
    assert res.verdict == R and res.counterexample["step"] == 1


# ================================================================= item 2: long ball runs
def test_a_6000_step_ball_run_is_inconclusive_at_the_blowup_not_an_overflow_error():
    """The wrapping effect blows the enclosures up long before step 6000; the old check raised OverflowError."""
    tr = cv.gd(QUARTIC, [F(6, 5)], F(2, 25), 6000, "ball", form="naive")
    assert tr.steps < 6000 and tr.extra["stop_reason"] == "blowup"
    for res in (cv.check_rate(tr, Q_QUARTIC, [F(6, 5)], F(3, 5)), cv.check_rate(tr, F(99, 100))):
        assert res.verdict == I
        assert f"blew up at step {tr.extra['stop_step']}" in res.message and "wrapping effect" in res.message
        assert res.certificate["blowup_step"] == tr.extra["stop_step"]
        assert "form='shadow'" in res.message
    # the certified prefix is PROVED on its own
    short = cv.gd(QUARTIC, [F(6, 5)], F(2, 25), 300, "ball")
    assert cv.check_rate(short, Q_QUARTIC, [F(6, 5)], F(3, 5)).verdict == P


def test_the_mean_value_form_certifies_the_whole_6000_step_run():
    """With form='centered' the radii contract with the iterates (|1 − η f''| ≈ 0.84 near x* = 1): at 512 bits
    every one of the 6000 steps is certified; at 128 bits the bound q^k L0 falls below the resolution and the
    message asks for ≈ K·log2(1/q) bits."""
    tr = cv.gd(QUARTIC, [F(6, 5)], F(2, 25), 6000, "ball", 512, form="centered")
    assert tr.steps == 6000
    res = cv.check_rate(tr, Q_QUARTIC, [F(6, 5)], F(3, 5))
    assert res.verdict == P and res.scope["count"] == 6000 and res.scope["precision"] == 512
    low = cv.check_rate(cv.gd(QUARTIC, [F(6, 5)], F(2, 25), 3000, "ball", 128, form="centered"), Q_QUARTIC)
    assert low.verdict == I and "prec=" in low.message


def test_the_mean_value_form_encloses_the_exact_iterates():
    exact = cv.gd(QUARTIC, [F(6, 5)], F(2, 25), 7, "exact")
    ball = cv.gd(QUARTIC, [F(6, 5)], F(2, 25), 7, "ball", 64, form="centered")
    for e, b, le, lb in zip(exact.thetas, ball.thetas, exact.losses, ball.losses):
        assert contains(b[0], e[0]) and contains(lb, le)
    net = vf.MLP([2, 3, 1], "tanh")
    loss = vf.SquareLoss(net, vf.Dataset([[1, 0], [0, 1]], [1, -1]))
    th = [F(k, 7) for k in range(-4, 5)]
    hi = cv.gd(loss, th, F(1, 4), 30, "mp", 600)
    for form in ("naive", "centered"):
        b = cv.gd(loss, th, F(1, 4), 30, "ball", 128, form=form)
        assert all(contains(u, v) for u, v in zip(b.thetas[-1], hi.thetas[-1])) and contains(b.losses[-1],
                                                                                           hi.losses[-1])
    assert max(float(v.rad()) for v in cv.gd(loss, th, F(1, 4), 30, "ball", 128, form="centered").thetas[-1]) < \
        max(float(v.rad()) for v in cv.gd(loss, th, F(1, 4), 30, "ball", 128, form="naive").thetas[-1])


@pytest.mark.parametrize("kw", [dict(form="centred"), dict(form="centered", arith="float"),
                                dict(form="centered", arith="exact")])
def test_the_enclosure_form_is_validated(kw):
    with pytest.raises(InputError):
        cv.gd(SQUARE, [1], F(1, 4), 3, **kw)


def test_a_non_finite_ball_inside_a_trajectory_is_inconclusive():
    tr = cv.gd(SQUARE, [1], F(1, 4), 4, "ball", form="naive")
    tr.losses[2] = arb("inf")
    res = cv.check_rate(tr, F(1, 4))
    assert res.verdict == I and "blew up at step 2" in res.message and "wrapping effect" in res.message
    tr = cv.gd(SQUARE, [1], F(1, 4), 4, "ball")  # shadowed (the default)
    tr.losses[2] = arb("inf")
    res = cv.check_rate(tr, F(1, 4))
    assert res.verdict == I and "not finite" in res.message and "step 2" in res.message


def test_a_6000_step_contracting_ball_run_is_proved_with_its_scope():
    tr = cv.gd(SQUARE, [1], F(1, 4), 6000, "ball")
    res = cv.check_rate(tr, F(1, 4), [1], 1)
    assert res.verdict == P and res.scope["count"] == 6000 and res.scope["horizon"] == 6000


def test_a_divergent_exact_run_does_not_overflow():
    """x² with η = 2: x_k = (−3)^k; the old gd converted L to float and raised OverflowError at L > 1e308."""
    tr = cv.gd(SQUARE, [1], 2, 400, "exact")
    assert tr.steps == 400
    res = cv.check_rate(tr, F(1, 2))
    assert res.verdict == R and res.counterexample["step"] == 1


# ================================================================= vacuous rates, empty scopes
@pytest.mark.parametrize("q", [1, F(3, 2), 0, F(-1, 2), float("nan"), float("inf"), "1/2", None])
def test_the_contraction_factor_must_be_in_the_open_unit_interval(q):
    tr = cv.gd(SQUARE, [1], F(1, 4), 5, "exact")
    with pytest.raises(InputError, match="q"):
        cv.check_rate(tr, q)
    if q == 1:
        with pytest.raises(InputError, match="0 < q < 1"):
            cv.check_rate(tr, q)


def test_a_rate_for_a_zero_step_size_is_refused():
    """At a zero of L (L(θ_0) = 0) a run with η = 0 'satisfies' every rate: the old check said PROVED."""
    tr = cv.gd(SQUARE, [0], F(1, 4), 5, "exact")
    tr.eta = F(0)
    with pytest.raises(InputError, match="η"):
        cv.check_rate(tr, F(1, 2))


@pytest.mark.parametrize("arith", ["exact", "ball", "float"])
def test_a_loss_that_goes_negative_is_not_linear_convergence(arith):
    """x² − 5 from 3: L(θ_k) ≤ q^k L(θ_0) holds because L turns negative, not because L → 0."""
    obj = vf.Objective.from_sympy(X**2 - 5, [X])
    res = cv.check_rate(cv.gd(obj, [3], F(1, 4), 5, arith), F(1, 2))
    assert res.verdict == I and "not nonnegative" in res.message
    with pytest.raises(InputError, match="nonnegative"):
        cv.check_rate(cv.gd(obj, [1], F(1, 4), 5, arith), F(1, 2))


@pytest.mark.parametrize("arith", ["exact", "ball", "float"])
def test_a_run_without_steps_is_inconclusive(arith):
    tr = cv.gd(SQUARE, [1], F(1, 4), 1, arith)
    tr.thetas, tr.losses = tr.thetas[:1], tr.losses[:1]
    assert cv.check_rate(tr, F(1, 4)).verdict == I


@pytest.mark.parametrize("arith,prec", [("exact", None), ("ball", 128), ("ball", 300)])
def test_proved_states_steps_horizon_precision_eta_q_r(arith, prec):
    tr = cv.gd(SQUARE, [1], F(1, 4), 10, arith, prec)
    res = cv.check_rate(tr, F(1, 4), [1], 1)
    assert res.verdict == P
    sc = res.scope
    assert sc["count"] == 10 and sc["horizon"] == 10 and sc["precision"] == prec
    assert sc["eta"] == F(1, 4) and sc["q"] == F(1, 4) and sc["r"] == 1 and "closed ball" in sc["what"]
    assert vf.Result.from_json(res.to_json()).scope["count"] == 10


def test_refuted_names_its_step():
    res = cv.check_rate(cv.gd(SQUARE, [1], F(1, 10), 5, "ball"), F(1, 2))
    assert res.verdict == R and res.scope["step"] == 1 and res.counterexample["part"] == "rate"


def test_inconclusive_near_the_threshold_gives_way_at_higher_precision():
    """q = (1 − 2η)² ± 10^−45 with η = 1/10 (not a dyadic: η is a ball): undecided at 128 bits, decided at 256."""
    for sign, want in ((1, P), (-1, R)):
        q = F(16, 25) + sign * F(1, 10**45)
        assert cv.check_rate(cv.gd(SQUARE, [1], F(1, 10), 8, "ball", 128), q, [1], 1).verdict == I
        assert cv.check_rate(cv.gd(SQUARE, [1], F(1, 10), 8, "ball", 256), q, [1], 1).verdict == want
        assert cv.check_rate(cv.gd(SQUARE, [1], F(1, 10), 8, "exact"), q, [1], 1).verdict == want


def test_the_rate_at_equality_is_proved_exactly_and_never_refuted_in_balls():
    q = F(16, 25)  # f(x_k) = q^k f(x0) exactly
    assert cv.check_rate(cv.gd(SQUARE, [1], F(1, 10), 12, "exact"), q).verdict == P
    assert cv.check_rate(cv.gd(SQUARE, [1], F(1, 10), 12, "ball", 512), q).verdict in (P, I)


def test_the_caller_global_precision_does_not_matter():
    from flint import ctx

    saved = ctx.prec
    try:
        verdicts = []
        for p in (20, 53, 4000):
            ctx.prec = p
            tr = cv.gd(SQUARE, [1], F(1, 10), 8, "ball", 256)
            verdicts.append(cv.check_rate(tr, F(16, 25) - F(1, 10**45), [1], 1).verdict)
    finally:
        ctx.prec = saved
    assert verdicts == [R, R, R]


# ================================================================= differential soundness
# L(θ) = θᵀAθ with A = [[a_1, c/2], [c/2, a_2]] positive definite (c = 0 in 1-D): ∇L = 2Aθ, and the exact GD
# iterates θ_{k+1} = (I − 2ηA)θ_k are computed here in rational arithmetic.
def _A(a, c):
    return [[a[0]]] if len(a) == 1 else [[a[0], c / 2], [c / 2, a[1]]]


def _loss(A, th):
    return sum(A[i][j] * th[i] * th[j] for i in range(len(th)) for j in range(len(th)))


def _exact_iterates(a, c, x0, eta, K):
    A, th, out = _A(a, c), list(x0), []
    for _ in range(K + 1):
        out.append(th)
        th = [th[i] - eta * 2 * sum(A[i][j] * th[j] for j in range(len(th))) for i in range(len(th))]
    return out


def _exact_path(a, c, x0, eta, K):
    """[(L(θ_k), ‖θ_k − x0‖²)] for k = 0..K, exactly."""
    A = _A(a, c)
    return [(_loss(A, th), sum((t - u) ** 2 for t, u in zip(th, x0))) for th in _exact_iterates(a, c, x0, eta, K)]


def _exact_truth(a, c, x0, eta, K, q, r):
    """(rate holds for k ≤ K, containment holds for k ≤ K), from the exact iterates."""
    path = _exact_path(a, c, x0, eta, K)
    L0 = path[0][0]
    rate_ok = all(Lk <= q**k * L0 for k, (Lk, _) in enumerate(path) if k > 0)
    ball_ok = r is None or all(d2 <= r * r for _, d2 in path)
    return rate_ok, ball_ok


rationals = st.fractions(min_value=F(1, 8), max_value=4, max_denominator=64)
OBJ_CACHE: dict = {}


def _objective(a, c):
    key = (tuple(a), c)
    if key not in OBJ_CACHE:
        syms = [X, Y][: len(a)]
        A = _A(a, c)
        expr = sum(sp.Rational(A[i][j].numerator, A[i][j].denominator) * syms[i] * syms[j]
                   for i in range(len(a)) for j in range(len(a)))
        OBJ_CACHE[key] = vf.Objective.from_sympy(expr, syms)
    return OBJ_CACHE[key]


@st.composite
def instances(draw):
    p = draw(st.integers(1, 2))
    a = [draw(rationals) for _ in range(p)]
    c = F(0) if p == 1 else draw(st.fractions(min_value=-4, max_value=4, max_denominator=16))
    assume(c * c < 4 * a[0] * a[-1])  # A positive definite: L > 0 away from 0
    x0 = [draw(st.fractions(min_value=-3, max_value=3, max_denominator=16).filter(lambda v: v != 0))
          for _ in range(p)]
    eta = draw(st.fractions(min_value=F(1, 64), max_value=F(1, 1), max_denominator=64))
    # a contracting step: every eigenvalue 2ηλ of 2ηA in (0, 2) (Gershgorin bound, exact)
    assume(all(2 * eta * (a[i] + abs(c) / 2 * (p - 1)) < 2 for i in range(p)))
    K = draw(st.integers(1, 6))
    path = _exact_path(a, c, x0, eta, K)
    L0 = path[0][0]
    j = draw(st.integers(1, 60))
    sgn = draw(st.sampled_from([-1, 0, 1]))
    kq = draw(st.integers(1, K))
    # q near the step-k threshold (L_k/L_0)^{1/k} (exact for k = 1; a rational approximation otherwise), ± 10^−j
    qk = path[kq][0] / L0
    q0 = qk if kq == 1 else F(round(float(qk) ** (1 / kq) * 10**15), 10**15)
    q = q0 + sgn * F(1, 10**j)
    assume(0 < q < 1)
    use_r = draw(st.booleans())
    r = None
    if use_r:
        kr = draw(st.integers(1, K))
        d2 = path[kr][1]
        rs = draw(st.sampled_from([-1, 0, 1]))
        jr = draw(st.integers(1, 60))
        # r near a distance along the path (exactly on it when d² is a square of a rational)
        r0 = F(math.isqrt(d2.numerator), math.isqrt(d2.denominator))
        r = (r0 if r0 * r0 == d2 else F(int(math.sqrt(float(d2)) * 10**6), 10**6)) + rs * F(1, 10**jr)
        assume(r > 0)
    return a, c, x0, eta, K, q, r


def _encloses(ball, value) -> bool:
    """An Arb or float64 ball holds the exact rational ``value`` (exact endpoints)."""
    from verify.arith.decide import bounds

    lo, hi = bounds(ball)
    return lo <= value <= hi


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(instances())
def test_differential_the_verdict_is_never_the_wrong_certified_one(inst):
    a, c, x0, eta, K, q, r = inst
    rate_ok, ball_ok = _exact_truth(a, c, x0, eta, K, q, r)
    truth = rate_ok and ball_ok
    obj = _objective(a, c)
    # exact arithmetic decides every instance, correctly
    ex = cv.check_rate(cv.gd(obj, x0, eta, K, "exact"), q, x0, r)
    assert ex.verdict == (P if truth else R), (ex.verdict, ex.message)
    # ball arithmetic (naive and mean-value enclosures): never the wrong certified verdict
    for arith, prec, form in (("ball", 64, "naive"), ("ball", 1024, "naive"), ("ball", 64, "centered"),
                              ("ball", 1024, "centered"), ("ball", 64, "shadow"), ("ball", 1024, "shadow"),
                              ("ball64", None, "shadow"), ("ball64", None, "naive")):
        tr = cv.gd(obj, x0, eta, K, arith, prec, form=form)
        b = cv.check_rate(tr, q, x0, r)
        assert b.verdict in ((P, I) if truth else (R, I)), (prec, form, b.verdict, b.message)
        assert all(_encloses(u, v) for k, th in enumerate(_exact_iterates(a, c, x0, eta, K)) for u, v in
                   zip(tr.thetas[k], th))
    # float / mp runs: REFUTED only if false (the ball re-check certifies it); never PROVED
    for arith in ("float", "mp"):
        f = cv.check_rate(cv.gd(obj, x0, eta, K, arith), q, x0, r)
        assert f.verdict != P
        if f.verdict == R:
            assert not truth, (arith, f.message)
        # item 10: a run whose exact iterates leave the ball by a clear margin is never SUPPORTED
        if r is not None and max(d2 for _, d2 in _exact_path(a, c, x0, eta, K)) > r * r * (1 + F(1, 10**6)):
            assert f.verdict != S, (arith, f.message)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(instances())
def test_differential_high_precision_decides_away_from_the_threshold(inst):
    """With both margins nonzero (≥ 10^−60 relative to O(1) values, K ≤ 6 steps), 1024-bit balls decide."""
    a, c, x0, eta, K, q, r = inst
    path = _exact_path(a, c, x0, eta, K)
    L0 = path[0][0]
    assume(all(Lk != q**k * L0 for k, (Lk, _) in enumerate(path) if k > 0))
    assume(r is None or all(d2 != r * r for _, d2 in path))
    assume(all(abs(Lk - q**k * L0) > F(1, 10**150) * L0 for k, (Lk, _) in enumerate(path) if k > 0))
    assume(r is None or all(abs(d2 - r * r) > F(1, 10**150) for _, d2 in path))
    rate_ok, ball_ok = _exact_truth(a, c, x0, eta, K, q, r)
    for form in ("naive", "centered", "shadow"):
        b = cv.check_rate(cv.gd(_objective(a, c), x0, eta, K, "ball", 1024, form=form), q, x0, r)
        assert b.verdict == (P if rate_ok and ball_ok else R), (form, b.message)


# ================================================================= flow: IntegrationError
def test_a_stalled_scipy_integration_raises_integration_error(monkeypatch):
    monkeypatch.setattr(flow, "MAX_RHS_EVALS", 3)
    with pytest.raises(IntegrationError, match="stalled"):
        cv.gradient_flow(SQUARE, [1], 1, method="scipy")


@pytest.mark.parametrize("method", ["scipy", "mp"])
def test_a_region_boundary_on_the_path_raises_integration_error(method):
    obj = vf.Objective.from_sympy(X**2, [X])

    def grad(*args, **kw):
        raise RegionBoundaryError("a kink")

    obj.grad = grad
    with pytest.raises(IntegrationError, match="boundary"):
        cv.gradient_flow(obj, [1], 1, method=method)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["scipy", "mp"])
def test_a_finite_time_blowup_raises_integration_error(method):
    """L = −x⁴: x' = 4x³ blows up at t = 1/8. The mp integrator used to take ever smaller steps forever."""
    with pytest.raises(IntegrationError):
        cv.gradient_flow(vf.Objective.from_sympy(-X**4, [X]), [1], 1, method=method)


def test_no_builtin_arithmetic_error_is_raised_in_the_module():
    import importlib
    import inspect

    for name in ("verify.convergence.flow", "verify.convergence.gd"):
        src = inspect.getsource(importlib.import_module(name))
        assert "raise ArithmeticError" not in src and "raise OverflowError" not in src


# ================================================================= bad arguments
@pytest.mark.parametrize("kw", [dict(n_points=0), dict(n_points=1), dict(n_points=2.5), dict(n_points=True),
                                dict(n_points=10**9), dict(dps=True), dict(dps=29), dict(dps=30.5), dict(dps="30"),
                                dict(rtol=0),
                                dict(rtol=float("nan")), dict(rtol=1), dict(method="rk4"), dict(T=0), dict(T=-1),
                                dict(T=float("nan")), dict(T=float("inf")), dict(T=10**400), dict(T="1"),
                                dict(x0=[1, 2]), dict(x0=[float("nan")])])
def test_gradient_flow_bad_arguments(kw):
    args = {"x0": [1], "T": 1, **kw}
    x0, T = args.pop("x0"), args.pop("T")
    with pytest.raises(InputError):
        cv.gradient_flow(SQUARE, x0, T, **{k: v for k, v in args.items()})


@pytest.mark.parametrize("kw", [dict(steps=1.5), dict(steps=0), dict(steps=True), dict(steps="3"), dict(prec=8),
                                dict(prec=2**40), dict(prec=True), dict(stop_below=float("nan")),
                                dict(stop_below=-1), dict(arith="double"), dict(eta=0), dict(eta=float("nan")),
                                dict(x0=[1, 2])])
def test_gd_bad_arguments(kw):
    args = {"x0": [1], "eta": F(1, 4), "steps": 3, **kw}
    with pytest.raises(InputError):
        cv.gd(SQUARE, args.pop("x0"), args.pop("eta"), args.pop("steps"), **args)


@pytest.mark.parametrize("kw", [dict(floor=float("nan")), dict(floor=-1), dict(floor=1), dict(rel_tol=float("nan")),
                                dict(rel_tol=-1), dict(r=0), dict(r=-1), dict(r=float("nan")), dict(x0=[1, 2], r=1)])
def test_check_rate_bad_arguments(kw):
    tr = cv.gd(SQUARE, [1], F(1, 4), 3, "float")
    with pytest.raises(InputError):
        cv.check_rate(tr, F(1, 4), **kw)
    with pytest.raises(InputError):
        cv.check_rate("not a trajectory", F(1, 4))


@pytest.mark.parametrize("etas,kw", [([], {}), ([0], {}), ([3], {}), ([F(1, 10**9)], {}), ("0.1", {}),
                                     ([F(1, 10)], {"method": "euler"}), ([float("nan")], {})])
def test_gd_vs_gf_bad_arguments(etas, kw):
    with pytest.raises(InputError):
        cv.gd_vs_gf(SQUARE, [1], 2, etas, **kw)


@pytest.mark.parametrize("bad", [lambda t: t, X**2, None, "x**2"])
def test_the_objective_must_be_an_objective(bad):
    with pytest.raises(InputError):
        cv.gd(bad, [1], F(1, 4), 3)
    with pytest.raises(InputError):
        cv.gradient_flow(bad, [1], 1)


def test_a_region_boundary_in_the_ball_recheck_is_inconclusive(monkeypatch):
    """The float run exceeds the bound; the ball re-check meets a kink: INCONCLUSIVE, not a traceback."""
    import importlib

    gdmod = importlib.import_module("verify.convergence.gd")  # the module (verify.convergence.gd is the function)

    tr = cv.gd(SQUARE, [1], F(1, 4), 5, "float")
    real_gd = gdmod.gd

    def gd_raising(obj, x0, eta, steps, arith="float", *a, **kw):
        if arith in ("ball", "ball64"):
            raise RegionBoundaryError("a kink on the path")
        return real_gd(obj, x0, eta, steps, arith, *a, **kw)

    monkeypatch.setattr(gdmod, "gd", gd_raising)
    res = cv.check_rate(tr, F(1, 8))
    assert res.verdict == I and "activation-region boundary" in res.message


def test_solution_consumers_refuse_other_objects():
    sol = cv.gradient_flow(SQUARE, [1], 1, method="scipy", n_points=5)
    for fn in (cv.observed_rate, cv.ntk_lambda_min_path):
        with pytest.raises(InputError):
            fn("not a solution")
    with pytest.raises(InputError):
        cv.no_blowup(SQUARE, sol, prec=True)
    with pytest.raises(InputError):
        cv.observed_rate(sol, floor=float("nan"))
    assert cv.no_blowup(SQUARE, sol).verdict == S


def test_bad_arguments_fail_before_any_work(monkeypatch):
    calls = []
    monkeypatch.setattr(flow, "_mp_solve", lambda *a, **k: calls.append(1))
    monkeypatch.setattr(flow, "_scipy_solve", lambda *a, **k: calls.append(1))
    for kw in (dict(n_points=0), dict(dps=True), dict(rtol=0)):
        with pytest.raises(InputError):
            cv.gradient_flow(SQUARE, [1], 1, **kw)
    assert calls == []
