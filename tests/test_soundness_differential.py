"""Differential soundness suite (docs/soundness.md §6).

Hypothesis generates instances whose true answer is known by construction and asserts that a
certified verdict is never the wrong one:

* quadratics ½(θ − c)ᵀ H (θ − c) with H = Qᵀ diag(λ) Q, Q a rational orthogonal matrix (Cayley
  transform of a rational skew matrix), λ chosen rationals, and 2 × 2 matrices with
  quadratic-irrational spectra; step sizes at 2/λ_max ± 10⁻ᵏ and 1/λ ± 10⁻ᵏ, k up to 60;
* the Wu–Ma–E SGD condition on linear models at its exact threshold ± 10⁻ᵏ (the truth decided by
  exact algebra in sympy on radicals);
* the mean-square operator of a one-sample linear model with a tiny input (ρ = (1 − 2ηx²)² < 1);
* local PL: α(x0, r) = 2λ_min for a positive-definite quadratic on a ball containing its minimiser,
  and Chatterjee's criterion at r² = 4L(x0)/α ± 10⁻ᵏ;
* piecewise objectives with several components per pattern;
* GD rates on x²: L_k = (1 − 2η)^{2k} L_0 exactly, q = (1 − 2η)² ± 10⁻ᵏ;
* the NCF of a two-layer linear network, whose maximum on the sphere is ‖Xᵀz‖/2.

INCONCLUSIVE is allowed near a threshold (and SUPPORTED where no certificate is claimed); a PROVED
or REFUTED must be right.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import verify as vf
from verify.arith.decide import bounds
from verify.result import Verdict

CERTIFIED = (Verdict.PROVED, Verdict.REFUTED)


def _q(v: Fraction) -> sp.Rational:
    return sp.Rational(v.numerator, v.denominator)


def _cayley(skew: list[Fraction], n: int) -> sp.Matrix:
    """A rational orthogonal matrix (I − S)(I + S)⁻¹ from a rational skew-symmetric S."""
    S = sp.zeros(n, n)
    it = iter(skew)
    for i in range(n):
        for j in range(i + 1, n):
            v = _q(next(it))
            S[i, j], S[j, i] = v, -v
    eye = sp.eye(n)
    return (eye - S) * (eye + S).inv()


def _quadratic(lams, skew, center):
    n = len(lams)
    Q = _cayley(skew, n)
    H = Q.T * sp.diag(*[_q(v) for v in lams]) * Q
    xs = sp.symbols(f"x0:{n}")
    d = sp.Matrix([xs[i] - _q(center[i]) for i in range(n)])
    expr = sp.expand((d.T * H * d)[0, 0] / 2)
    return vf.Objective.from_sympy(expr, list(xs)), H


rationals = st.fractions(min_value=-3, max_value=3, max_denominator=7)
pos_rationals = st.fractions(min_value=Fraction(1, 4), max_value=4, max_denominator=7)
ks = st.integers(1, 60)
signs = st.sampled_from([-1, 1])


def _assert_sound(res, truth: bool, what: str):
    """truth = the claim holds. A PROVED must be true, a REFUTED must be false."""
    if res.verdict == Verdict.PROVED:
        assert truth, f"false PROVED: {what}: {res.message}"
    if res.verdict == Verdict.REFUTED:
        assert not truth, f"false REFUTED: {what}: {res.message}"


# ------------------------------------------------------------------------------------ GD stability
@settings(max_examples=25)
@given(st.lists(st.fractions(min_value=-2, max_value=4, max_denominator=5), min_size=1, max_size=3),
       st.lists(rationals, min_size=3, max_size=3), ks, signs, st.booleans())
def test_gd_stability_never_wrong_on_quadratics(lams, skew, k, sgn, float_point):
    n = len(lams)
    obj, _ = _quadratic(lams, skew[: n * (n - 1) // 2], [0] * n)
    lam_max = max(lams)
    if lam_max <= 0:
        eta = Fraction(1, 3)
    else:
        eta = 2 / lam_max + sgn * Fraction(1, 10**k)
        if eta <= 0:
            eta = Fraction(1, 10**k)
    theta = [0.0] * n if float_point else [0] * n
    res = vf.stability.gd(obj, theta, eta)
    # linear stability of the fixed point 0: every Hessian eigenvalue in [0, 2/η]
    truth = min(lams) >= 0 and eta * lam_max <= 2
    strict = min(lams) >= 0 and eta * lam_max < 2  # asymptotic stability
    if res.verdict == Verdict.PROVED:
        assert truth, f"false PROVED stable: λ = {lams}, η = {eta}: {res.message}"
    if res.verdict == Verdict.REFUTED:
        assert not strict, f"false REFUTED: λ = {lams}, η = {eta}: {res.message}"


@settings(max_examples=15)
@given(st.fractions(min_value=-3, max_value=3, max_denominator=5).filter(lambda v: v != 0),
       st.lists(pos_rationals, min_size=1, max_size=2))
def test_gd_stability_never_proved_away_from_a_critical_point(shift, lams):
    n = len(lams)
    obj, _ = _quadratic(lams, [Fraction(1, 2)] * (n * (n - 1) // 2), [shift] + [0] * (n - 1))
    for theta in ([0] * n, [0.0] * n):
        res = vf.stability.gd(obj, theta, Fraction(1, 100))
        assert res.verdict != Verdict.PROVED, f"PROVED stable at a non-critical point: {res.message}"


@settings(max_examples=20)
@given(st.integers(1, 6), st.integers(-4, 4), st.integers(1, 6), ks, signs, st.booleans())
def test_gd_stability_quadratic_irrational_spectrum(a, b, c, k, sgn, float_point):
    """H = [[a, b], [b, c]], λ_max = (a+c)/2 + sqrt(((a−c)/2)² + b²) irrational in general."""
    x, y = sp.symbols("x y")
    obj = vf.Objective.from_sympy(sp.Rational(1, 2) * (a * x**2 + 2 * b * x * y + c * y**2), [x, y])
    lam_max = sp.Rational(a + c, 2) + sp.sqrt(sp.Rational((a - c) ** 2, 4) + b * b)
    lam_min = sp.Rational(a + c, 2) - sp.sqrt(sp.Rational((a - c) ** 2, 4) + b * b)
    approx = sp.Rational(2) / lam_max
    eta_c = Fraction(str(sp.N(approx, 80)))
    eta = eta_c + sgn * Fraction(1, 10**k)
    eta_s = _q(eta)
    prod = sp.simplify(eta_s * lam_max - 2)
    res = vf.stability.gd(obj, [0.0, 0.0] if float_point else [0, 0], eta)
    strict_truth = bool((lam_min >= 0) == sp.true) and bool(prod.is_negative)
    weak_truth = bool((lam_min >= 0) == sp.true) and not bool(prod.is_positive)
    if res.verdict == Verdict.PROVED:
        assert weak_truth, f"false PROVED: H = [[{a},{b}],[{b},{c}]], η = {eta}"
    if res.verdict == Verdict.REFUTED:
        assert not strict_truth, f"false REFUTED: H = [[{a},{b}],[{b},{c}]], η = {eta}"


def test_gd_stability_issue_item2_two_close_eigenvalues():
    x, y = sp.symbols("x y")
    e = sp.Rational(1, 10**30)
    obj = vf.Objective.from_sympy((1 + e / 2) * x**2 + (1 + e) * y**2, [x, y])
    eta = Fraction(1) / (1 + Fraction(3, 4) * Fraction(1, 10**30))
    for theta in ([0.0, 0.0], [0, 0]):
        res = vf.stability.gd(obj, theta, eta)
        # λ = 2 + e and 2 + 2e: η λ_max = (2 + 2e)/(1 + 3e/4) > 2: not stable
        assert res.verdict != Verdict.PROVED, res.message


# ------------------------------------------------------------------------------ non-singularity
@settings(max_examples=20)
@given(st.lists(pos_rationals, min_size=1, max_size=3), st.lists(rationals, min_size=3, max_size=3),
       st.integers(0, 2), st.sampled_from([None, 1, 5, 30, 60]), signs)
def test_nonsingular_quadratic_at_and_near_exceptional_steps(lams, skew, which, k, sgn):
    n = len(lams)
    obj, _ = _quadratic(lams, skew[: n * (n - 1) // 2], [0] * n)
    lam = lams[which % n]
    eta = 1 / lam if k is None else 1 / lam + sgn * Fraction(1, 10**k)
    if eta <= 0:
        return
    res = vf.gdmap.check_nonsingular(obj, eta, regions=[[0] * n])
    truth = all(1 - eta * v != 0 for v in lams)
    _assert_sound(res, truth, f"det(I − ηH) ≠ 0, λ = {lams}, η = {eta}")


def test_nonsingular_piecewise_components_issue_item5():
    x = sp.Symbol("x")
    expr = sp.Piecewise(((x + sp.sqrt(x**2)) ** 2 / 4, x**2 > 1), (x**2 / 2, True))
    obj = vf.Objective.from_sympy(expr, [x])
    res = vf.gdmap.check_nonsingular(obj, Fraction(1, 2), regions=[[-2], [2]])
    # on x > 1, L = x², G(x) = x − x = 0: singular
    assert res.verdict != Verdict.PROVED, res.message


@settings(max_examples=10)
@given(st.sampled_from([Fraction(1, 2), Fraction(1, 3), Fraction(1, 4)]), st.integers(2, 4))
def test_nonsingular_piecewise_several_components_per_pattern(eta, c):
    """L = c·x²/2 on |x| > 1 (two components, one pattern) and x²/2 inside; G singular on |x| > 1 iff η c = 1."""
    x = sp.Symbol("x")
    expr = sp.Piecewise((c * x**2 / 2 - (c - 1) / sp.Integer(2), x**2 > 1), (x**2 / 2, True))
    obj = vf.Objective.from_sympy(expr, [x])
    res = vf.gdmap.check_nonsingular(obj, eta, regions=[[-2], [2], [0]])
    truth = eta * c != 1 and eta != 1
    _assert_sound(res, truth, f"c = {c}, η = {eta}")


# ------------------------------------------------------------------------------------- SGD
def _linear_loss(X, theta_star):
    X = [[Fraction(v) for v in row] for row in X]
    y = [sum(a * b for a, b in zip(row, theta_star)) for row in X]
    d = len(X[0])
    return vf.SquareLoss(vf.MLP([d, 1], "identity"), vf.Dataset(X, [[v] for v in y]))


def _wu_ma_e_truth(loss, theta, eta: Fraction, B: int):
    """Exact (1 − ηa)² + η² (n−B)/(B(n−1)) s² − 1 as a sympy number (radicals), from exact per-sample Hessians."""
    n = loss.data.n
    Hs = [sp.Matrix(vf.gdmap.maps.batch_objective(loss, [i]).hessian(theta, "exact").tolist()).applyfunc(
        lambda v: sp.Rational(int(v.p), int(v.q))) for i in range(n)]
    H = sum(Hs, sp.zeros(*Hs[0].shape)) / n
    Sig = sum((M * M for M in Hs), sp.zeros(*Hs[0].shape)) / n - H * H
    a = max(H.eigenvals(), key=lambda v: sp.N(v, 60))
    s2 = max(Sig.eigenvals(), key=lambda v: sp.N(v, 60))
    c = sp.Rational(n - B, B * (n - 1)) if n > 1 else 0
    return (1 - _q(eta) * a) ** 2 + _q(eta) ** 2 * c * s2 - 1


def test_wu_ma_e_issue_item4():
    loss = _linear_loss([[1, 0], [1, 1]], [0, 0])
    eta = Fraction(5527864045000420607181652662537447529119, 10**40)
    res = vf.stability.sgd(loss, [0, 0], eta, batch_size=1)
    val = _wu_ma_e_truth(loss, [0, 0], eta, 1)
    assert sp.N(val, 80) > 0
    assert res.verdict != Verdict.PROVED, res.message


@settings(max_examples=12)
@given(st.sampled_from([[[1, 0], [1, 1]], [[1, 2], [0, 1]], [[2, 1], [1, 1], [0, 1]]]),
       st.sampled_from([1, 5, 20, 40, 60]), signs, st.booleans())
def test_wu_ma_e_at_threshold(X, k, sgn, exact_edge):
    loss = _linear_loss(X, [0, 0])
    n, B = len(X), 1
    # threshold: V(η) = 1 ⇔ η = 2a / (a² + c s²)
    Hs = [sp.Matrix(vf.gdmap.maps.batch_objective(loss, [i]).hessian([0, 0], "exact").tolist()).applyfunc(
        lambda v: sp.Rational(int(v.p), int(v.q))) for i in range(n)]
    H = sum(Hs, sp.zeros(2, 2)) / n
    Sig = sum((M * M for M in Hs), sp.zeros(2, 2)) / n - H * H
    a = max(H.eigenvals(), key=lambda v: sp.N(v, 60))
    s2 = max(Sig.eigenvals(), key=lambda v: sp.N(v, 60))
    c = sp.Rational(n - B, B * (n - 1))
    thr = sp.radsimp(sp.simplify(2 * a / (a**2 + c * s2)))  # exact radicals
    if exact_edge and thr.is_Rational:
        eta = Fraction(int(thr.p), int(thr.q))
    else:
        eta = Fraction(str(sp.N(thr, 90))) + sgn * Fraction(1, 10**k)
    val = _wu_ma_e_truth(loss, [0, 0], eta, B)
    holds = sp.N(val, 120) <= 0 if not (exact_edge and thr.is_Rational) else True
    res = vf.stability.sgd(loss, [0, 0], eta, batch_size=B)
    _assert_sound(res, bool(holds), f"Wu–Ma–E X = {X}, η = {eta}")


@pytest.mark.parametrize("prec", [53, 128, 30000])
def test_mean_square_operator_issue_item3(prec):
    import flint

    loss = vf.SquareLoss(vf.MLP([1, 1], "identity"), vf.Dataset([[Fraction(1, 10**10)]], [0]))
    saved = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        res = vf.stability.sgd(loss, [0], 1, batch_probabilities=[([0], 1)])
    finally:
        flint.ctx.prec = saved
    assert res.verdict != Verdict.REFUTED, res.message  # true ρ = (1 − 2·10⁻²⁰)² < 1


# ---------------------------------------------------------------------------------- local PL
@settings(max_examples=12)
@given(st.lists(pos_rationals, min_size=1, max_size=2), st.fractions(min_value=Fraction(1, 2), max_value=2,
                                                                     max_denominator=4))
def test_alpha_bounds_enclose_truth_on_quadratics(lams, r):
    """L = ½ Σ λ_i x_i²: ‖∇L‖²/L = 2 Σλ_i² x_i² / Σλ_i x_i² ∈ [2λ_min, 2λ_max]; a ball around 0 gives α = 2λ_min."""
    n = len(lams)
    xs = sp.symbols(f"x0:{n}")
    obj = vf.Objective.from_sympy(sum(_q(v) * xs[i] ** 2 for i, v in enumerate(lams)) / 2, list(xs))
    b = vf.pl.alpha(obj, [0] * n, r)
    truth = 2 * min(lams)
    if b.lower is not None:
        assert bounds(b.lower)[0] <= truth, f"certified lower bound {b.lower} > α = {truth}"
    if b.upper is not None:
        assert bounds(b.upper)[1] >= truth, f"certified upper bound {b.upper} < α = {truth}"


@settings(max_examples=12)
@given(pos_rationals, pos_rationals, st.sampled_from([1, 3, 10, 30, 60]), signs)
def test_chatterjee_criterion_near_threshold(l1, l2, k, sgn):
    """L = ½(l1 x² + l2 y²), x0 = (1, 1): α(x0, r) = 2 min(l1, l2) once 0 ∈ B(x0, r)."""
    x, y = sp.symbols("x y")
    obj = vf.Objective.from_sympy((_q(l1) * x**2 + _q(l2) * y**2) / 2, [x, y])
    L0 = (l1 + l2) / 2
    alpha = 2 * min(l1, l2)
    r2 = 4 * L0 / alpha + sgn * Fraction(1, 10**k)
    if r2 <= 2:  # keep 0 strictly inside the ball, where α is known exactly
        return
    r = Fraction(str(sp.N(sp.sqrt(_q(r2)), 100)))
    truth = 4 * L0 < r * r * alpha  # α(x0, r) is exactly 2 min(l1, l2) for any ball containing 0
    res = vf.pl.chatterjee(obj, [1, 1], r)
    _assert_sound(res, truth, f"4L(x0) < r²α, l = ({l1}, {l2}), r² ≈ {float(r * r)}")


# ---------------------------------------------------------------------------------- GD rates
@settings(max_examples=15)
@given(st.fractions(min_value=Fraction(1, 20), max_value=Fraction(9, 20), max_denominator=20),
       st.sampled_from([1, 5, 20, 40]), signs, st.sampled_from(["ball", "exact"]))
def test_check_rate_on_x_squared(eta, k, sgn, arith):
    x = sp.Symbol("x")
    obj = vf.Objective.from_sympy(x**2, [x])
    q_true = (1 - 2 * eta) ** 2
    q = q_true + sgn * Fraction(1, 10**k)
    if not 0 < q < 1:
        return
    traj = vf.convergence.gd(obj, [1], eta, 8, arith, 128 if arith == "ball" else None)
    res = vf.convergence.check_rate(traj, q)
    truth = q_true <= q
    _assert_sound(res, truth, f"L_k ≤ q^k L_0, η = {eta}, q = {q}")


def test_check_rate_float_run_leaving_the_ball_issue_item10():
    x = sp.Symbol("x")
    obj = vf.Objective.from_sympy(x**2, [x])
    for arith in ("float", "mp"):
        traj = vf.convergence.gd(obj, [1], Fraction(1, 4), 5, arith)
        res = vf.convergence.check_rate(traj, Fraction(1, 2), x0=[1], r=Fraction(1, 10))
        assert res.verdict not in (Verdict.PROVED, Verdict.SUPPORTED), res.message


# ------------------------------------------------------------------------------------- NCF
@settings(max_examples=6)
@given(st.sampled_from([((3, 5), (4, 5)), ((1, 1), (0, 1)), ((2, 3), (1, 2))]),
       st.tuples(st.integers(-3, 3), st.integers(-3, 3)).filter(lambda z: z != (0, 0)))
def test_max_ncf_linear_two_layer_never_exceeds_closed_form(rowspec, z):
    """Two-layer linear network with one hidden unit: N(w, a) = a·(zᵀXw) ≤ ‖Xᵀz‖/2 on |w|² + a² = 1."""
    (p, q), (r_, s) = rowspec
    X = [[Fraction(p, q), Fraction(r_, s)], [-Fraction(r_, s), Fraction(p, q)]]
    net = vf.MLP([2, 1, 1], "identity")
    Xtz = np.array([[float(v) for v in row] for row in X]).T @ np.array(z, dtype=float)
    vsq = sum((sum(X[i][j] * z[i] for i in range(2))) ** 2 for j in range(2))
    pts = vf.homogeneous.max_ncf(net, X, list(z), restarts=4)
    for kp in pts:
        enc = getattr(kp, "N_enclosure", None)
        if enc is None or not getattr(kp, "certified", True):
            continue
        lo = bounds(enc if not isinstance(enc, tuple) else enc)[0]
        # lo ≤ max N = sqrt(vsq)/2  ⇔  lo ≤ 0 or 4 lo² ≤ vsq
        assert lo <= 0 or 4 * lo * lo <= vsq, f"certified N ≥ {lo} exceeds the maximum √{vsq}/2 ({Xtz})"
