"""Soundness of the stability checks (issue 11, items 1–4 and the stability robustness items).

Regression tests reproduce each reported false verdict; the hypothesis tests generate instances whose true
answer is known by construction (quadratics with chosen rational or quadratic-irrational spectra, step sizes
2/λ ± 10⁻ᵏ, SGD criteria at their exact threshold ± 10⁻ᵏ) and assert that a certified verdict is never wrong,
that the exact paths always decide, and that an INCONCLUSIVE of a ball path gives way to the right verdict when
the precision is raised.
"""

from __future__ import annotations

from fractions import Fraction as F

import flint
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import verify as vf
from verify import stability
from verify.arith.decide import bounds
from verify.errors import InputError, PrecisionError, ShapeError
from verify.result import Verdict

P, R, I = Verdict.PROVED, Verdict.REFUTED, Verdict.INCONCLUSIVE
x, y = sp.symbols("x y")
QUARTIC = vf.Objective.from_sympy((x**2 - 1) ** 2 / 4, [x])


def obj(expr, variables=None):
    return vf.Objective.from_sympy(expr, variables or [x])


def assert_scoped(res):
    """A certified verdict names what it covers (point or box, η, precision)."""
    if res.verdict == P:
        assert res.scope["what"] and res.scope.get("count", 1) >= 1
    if res.verdict in (P, R):
        assert res.scope, res.message


# ------------------------------------------------------------------------------------------ item 1
@pytest.mark.parametrize("float_point", [False, True])
def test_item1_maximum_is_refuted_not_proved(float_point):
    """−x² at 0, η = 1/10: G(θ) = 1.2θ, linearly unstable."""
    res = stability.gd(obj(-(x**2)), [0.0] if float_point else [0], F(1, 10))
    assert res.verdict == R and res.certificate["classification"] == "unstable"
    assert res.certificate["lambda_min"][1] < 0 and res.certificate["linearly_stable_nonstrict"] is False
    assert_scoped(res)


@pytest.mark.parametrize("float_point", [False, True])
def test_item1_saddle_is_refuted_not_proved(float_point):
    res = stability.gd(obj((x**2 - y**2) / 2, [x, y]), [0.0, 0.0] if float_point else [0, 0], F(1, 10))
    assert res.verdict == R and res.certificate["classification"] == "unstable"
    assert "saddle or a maximum" in res.certificate["is_minimum"]


def test_item1_non_critical_point_is_not_a_fixed_point():
    res = stability.gd(obj(x**2 + 5 * x), [3], F(1, 10))
    assert res.verdict == R and res.certificate["classification"] == "not a fixed point"
    assert res.certificate["critical_point"]["status"] == "not-critical" and res.margin == -11
    assert res.scope["points"] == [["3"]]


def test_item1_float_non_critical_point_refuted_over_a_box():
    res = stability.gd(obj(x**2 + 5 * x), [3.0], F(1, 10))
    assert res.verdict == R and res.certificate["classification"] == "not a fixed point"
    lo, hi = bounds(res.scope["search_box"][0])
    assert lo < 3 < hi  # no critical point anywhere in this box around θ*


def test_item1_float_point_verdict_speaks_of_the_certified_critical_point():
    """x² + 5x has its minimum at −5/2; the float −2.5000001 is not critical, the point near it is."""
    res = stability.gd(obj(x**2 + 5 * x), [-2.5000001], F(1, 10))
    assert res.verdict == P and res.certificate["critical_point"]["status"] == "box"
    X, K = res.scope["search_box"][0], res.scope["enclosure"][0]
    assert bounds(X)[0] <= F(-2.5000001) <= bounds(X)[1]
    assert bounds(K)[0] <= F(-5, 2) <= bounds(K)[1]
    # the spectrum was decided on the first rung of the precision ladder (float64 balls over the Krawczyk box)
    assert res.rung == "ball64" and res.arithmetic == "ball64" and res.scope["eta"] == F(1, 10)


def test_item1_rational_point_of_a_non_polynomial_objective():
    tanh = obj(sp.tanh(x) ** 2 + (x - y) ** 2, [x, y])
    assert stability.gd(tanh, [0, 0], F(1, 4)).verdict == P  # the ball gradient is exactly 0 at 0
    res = stability.gd(tanh, [F(1, 3), 0], F(1, 4))
    assert res.verdict == R and res.certificate["classification"] == "not a fixed point"


def test_hyperbolic_minimum_is_proved_by_a():
    q = obj((x**2 + 3 * y**2) / 2, [x, y])
    strict = stability.gd(q, [0, 0], F(1, 2))
    assert strict.verdict == P and strict.certificate["classification"] == "stable"
    assert strict.certificate["asymptotically_stable"] is True and strict.certificate["hyperbolic"] is True
    assert strict.certificate["proved_by"].startswith("(a)")
    assert_scoped(strict)


def test_edge_is_inconclusive_not_proved():
    """λ_max = 2/η exactly: DG has the eigenvalue −1 (spectral radius 1), the linearisation does not decide."""
    q = obj((x**2 + 3 * y**2) / 2, [x, y])
    edge = stability.gd(q, [0, 0], F(2, 3))
    assert edge.verdict == I and edge.certificate["classification"] == "edge"
    assert edge.certificate["linearly_stable_nonstrict"] is True and edge.certificate["asymptotically_stable"] is None
    assert edge.certificate["edge_eigenvalue_multiplicity"] == 1 and edge.certificate["hyperbolic"] is False
    assert "non-hyperbolic" in edge.message and "spectral radius of DG = 1" in edge.message
    # even at a certified global minimum (x² at η = 1: G(x) = −x, neither converging nor diverging)
    for th in ([0], [0.0]):
        r = stability.gd(obj(x**2), th, 1)
        assert r.verdict == I and r.certificate["classification"] == "edge", r.message


# ------------------------------------------------------------------- adversary finding 02: non-hyperbolic points
@pytest.mark.parametrize("expr, variables, theta, eta, cls", [
    (-(x**4), [x], [0], F(1, 10), "neutral"),               # strict maximum: G(x) = x + 4ηx³
    (x**3, [x], [0], F(1, 10), "neutral"),                  # inflection
    (x**2 - y**4, [x, y], [0, 0], F(1, 10), "neutral"),     # saddle
    (-(x**4) - y**4, [x, y], [0, 0], F(1, 10), "neutral"),  # strict maximum
    (x**2 + x**4, [x], [0], 1, "edge"),                     # subcritical flip: G²(x) = x + 8x³ + O(x⁵)
    (x**2 - x**4, [x], [0], 1, "edge"),                     # supercritical: still not decided by DG
])
def test_finding02_non_hyperbolic_points_are_never_proved(expr, variables, theta, eta, cls):
    res = stability.gd(obj(expr, variables), theta, eta)
    assert res.verdict == I, res.message
    assert res.certificate["classification"] == cls and res.certificate["linearly_stable_nonstrict"] is True
    assert "non-hyperbolic" in res.message and "does not decide" in res.message


def test_finding02_zero_eigenvalues_at_a_certified_global_minimum_are_proved_by_b():
    flat = stability.gd(obj(x**2, [x, y]), [0, 0], F(1, 2))  # eigenvalues 2 and 0, L = x² ≥ 0, L(0) = 0
    assert flat.verdict == P and flat.certificate["classification"] == "neutral"
    assert flat.certificate["zero_eigenvalue_multiplicity"] == 1 and flat.certificate["proved_by"].startswith("(b)")
    assert flat.certificate["global_minimum"]["certified"] is True
    assert "non-strict: 1 zero eigenvalue" in flat.scope["what"] and flat.scope["zero_eigenvalues"] == 1
    assert flat.certificate["asymptotically_stable"] is None
    quartic = stability.gd(obj(x**2 + y**4, [x, y]), [0, 0], F(1, 10))
    assert quartic.verdict == P and quartic.certificate["zero_eigenvalue_multiplicity"] == 1
    # the same spectrum without the global-minimum certificate is not proved
    for expr in (x**2 - y**4, x**2 + y**3, x**2 + y**4 + 1):
        r = stability.gd(obj(expr, [x, y]), [0, 0], F(1, 10))
        assert r.verdict == I and r.certificate["classification"] == "neutral", (expr, r.message)
        assert r.certificate["global_minimum"]["certified"] is False
    # (b) allows [0, 2/η) only: a zero eigenvalue together with λ = 2/η stays INCONCLUSIVE, λ > 2/η is REFUTED
    assert stability.gd(obj(x**2, [x, y]), [0, 0], 1).verdict == I
    assert stability.gd(obj(x**2, [x, y]), [0, 0], F(3, 2)).verdict == R


def test_finding02_over_parameterised_regression_is_proved_by_b():
    """Wu–Ma–E: an interpolating minimum of an over-parameterised square loss (3 points in ℝ⁴): flat directions."""
    loss = vf.SquareLoss(vf.MLP([4, 1], "identity"),
                         vf.Dataset([[1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 1]], [1, 2, 3]))
    res = stability.gd(loss, [-1, 0, 2, 4], F(1, 2))
    assert res.verdict == P and res.certificate["zero_eigenvalue_multiplicity"] == 1
    assert "square loss" in res.certificate["global_minimum"]["reason"]


def test_finding02_ball_path_global_minimum():
    """Non-polynomial objective at an exact point: Arb enclosures. tanh(x)²: a certified zero eigenvalue ({0});
    tanh(x + y)²: the λ_min enclosure straddles 0, λ ≥ 0 follows from global minimality."""
    r = stability.gd(obj(sp.tanh(x) ** 2, [x, y]), [0, 0], F(1, 10))
    assert r.verdict == P and r.arithmetic in ("ball", "ball64")
    assert r.certificate["classification"] in ("neutral", "nonnegative")
    r = stability.gd(obj(sp.tanh(x + y) ** 2, [x, y]), [0, 0], F(1, 10))
    assert r.verdict == P and r.certificate["classification"] in ("neutral", "nonnegative"), r.message
    r = stability.gd(obj(sp.tanh(x + y) ** 2 - sp.tanh(y) ** 4, [x, y]), [0, 0], F(1, 10))
    assert r.verdict == I, r.message  # not structurally ≥ 0


# ------------------------------------------------------------------------- adversary finding 03: θ* as a ball
def test_finding03_ball_containing_a_critical_point_is_not_refuted():
    from flint import arb

    res = stability.gd(obj(x**2), [arb(1, 1)], F(1, 10))  # the ball [0, 2] ∋ 0
    assert res.verdict == P, res.message
    assert res.certificate["critical_point"]["in_user_ball"] is True
    assert "given ball" in res.claim and res.scope["given_ball"]


def test_finding03_refuted_only_on_the_whole_ball():
    from flint import arb

    res = stability.gd(obj(x**2), [arb(3, 1)], F(1, 10))  # [2, 4]: ∇L = 2x ≥ 4
    assert res.verdict == R and res.certificate["classification"] == "not a fixed point"
    lo, hi = bounds(res.scope["search_box"][0])
    assert lo <= 2 and hi >= 4 and res.margin < 0
    # a nonlinear gradient needs sub-boxes: x³ − 3x on [1.2, 3] (zero at √3 ≈ 1.73 inside: never REFUTED) and on
    # [1.8, 3] (no zero: REFUTED)
    cubic = obj(x**4 / 4 - 3 * x**2 / 2)
    r = stability.gd(cubic, [arb(F(21, 10).__float__(), 0.9)], F(1, 10))
    assert r.verdict != R, r.message
    r = stability.gd(cubic, [arb(2.4, 0.6)], F(1, 10))
    assert r.verdict == R, r.message
    # a ball in one coordinate only, a point in the other
    r = stability.gd(obj(x**2 + y**2, [x, y]), [arb(0.5, 0.6), 0.0], F(1, 10))
    assert r.verdict == P, r.message


def test_finding03_ball_missing_the_critical_point_is_refuted_with_the_point_named():
    """A tiny ball around a float approximation of 2^(1/3): the true critical point lies just outside it."""
    from flint import arb

    res = stability.gd(obj(x**4 / 4 - 2 * x), [arb(2 ** (1 / 3), 2.0**-200)], F(1, 10))
    assert res.verdict == R and res.certificate["classification"] == "not a fixed point", res.message
    assert "outside the ball" in res.message
    lo, hi = bounds(res.scope["search_box"][0])
    assert lo <= F(2 ** (1 / 3)) <= hi


def test_finding03_critical_point_straddling_the_ball_edge_is_not_decided():
    """Ball [1, q] with q a dyadic 2⁻²⁰⁰ above 2^(1/3): the zero is in the ball, its Krawczyk box K is not."""
    from verify.arith.decide import to_arb

    r, _exact = sp.integer_nthroot(2**601, 3)  # q = (⌊2^(1/3)·2²⁰⁰⌋ + 1)/2²⁰⁰
    q = F(int(r) + 1, 2**200)
    assert q**3 > 2 and (q - F(1, 2**200)) ** 3 <= 2
    res = stability.gd(obj(x**4 / 4 - 2 * x), [to_arb((F(1), q), 400)], F(1, 10))
    assert res.verdict != R, res.message
    if res.verdict == P:
        assert res.certificate["critical_point"]["unique_in_user_ball"] is True


def test_finding03_ball_with_several_critical_points_is_not_decided():
    """¼(x²−1)² on [−2, 2]: Newton from the centre finds the maximum 0, but the ball also holds the minima ±1."""
    from flint import arb

    q = obj((x**2 - 1) ** 2)
    res = stability.gd(q, [arb(0, 2)], F(1, 10))
    assert res.verdict == I and "may hold other critical points" in res.message
    assert res.certificate["classification"] == "unstable"  # true of the point in K, kept for information
    assert res.certificate["verdict_for_the_point_in_K"] == "REFUTED"
    # [0.7, 1.1] holds only the minimum 1: uniqueness by Krawczyk on a box around 1 and ∇L ≠ 0 on the rest
    res = stability.gd(q, [arb(0.9, 0.2)], F(1, 10))
    assert res.verdict == P and res.certificate["critical_point"]["unique_in_user_ball"] is True
    assert "unique critical point in the given ball" in res.claim
    lo, hi = res.certificate["lambda_max"]
    assert lo <= 8 <= hi and hi - lo < F(1, 10**10)  # a tight enclosure over the small Krawczyk box (float64 balls)


@settings(max_examples=25, deadline=None)
@given(st.fractions(-3, 3, max_denominator=8), st.fractions(F(1, 8), 3, max_denominator=8),
       st.fractions(-2, 2, max_denominator=4))
def test_finding03_ball_verdicts_never_wrong(mid, rad, zero):
    """L = (x − z)²: the ball [mid ± rad] contains a critical point iff |mid − z| ≤ rad; never REFUTED then."""
    from flint import arb

    from verify.arith.decide import to_arb

    ball = to_arb((mid - rad, mid + rad), 128)
    res = stability.gd(obj((x - sp.Rational(zero.numerator, zero.denominator)) ** 2), [ball], F(1, 10))
    lo, hi = bounds(ball)
    if lo <= zero <= hi:
        assert res.verdict != R, res.message
    if res.verdict == R:
        assert not lo <= zero <= hi
    assert isinstance(ball, arb)


def test_float_theta_within_rounding_of_a_degenerate_critical_point_is_not_refuted():
    """A double stands for any point within a few ulps: "no critical point near θ*" needs a box at least that big.
    x⁴ at 10⁻¹⁷ (critical point 0) and (xy − 1)² one ulp off the manifold of minima xy = 1 (singular Hessian:
    Krawczyk cannot certify): the old 2⁻⁶⁴ box excluded the critical points and REFUTED."""
    for expr, variables, theta in ((x**4, [x], [1e-17]), ((x * y - 1) ** 2, [x, y], [2.0, 0.5000000000000001])):
        res = stability.gd(obj(expr, variables), theta, F(1, 10))
        assert res.verdict == I, res.message
    res = stability.gd(obj(x**4), [1e-3], F(1, 10))  # far from it: still refuted over a box of radius ≥ 2⁻⁵⁰
    assert res.verdict == R and bounds(res.scope["search_box"][0])[1] - F(1e-3) >= F(1, 2**50)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.fractions(-2, 2, max_denominator=4), min_size=2, max_size=2),
       st.lists(st.fractions(-2, 2, max_denominator=4), min_size=2, max_size=2),
       st.lists(st.fractions(F(1, 8), 2, max_denominator=8), min_size=2, max_size=2),
       st.lists(st.sampled_from([-3, -1, 1, 3]), min_size=2, max_size=2), st.booleans())
def test_ball_verdicts_on_2d_quadratics_never_wrong(zero, mid, rad, lams, float_second):
    """L = ½Σ λ_i (θ_i − z_i)²: one critical point z, stable iff every λ_i ∈ (0, 2/η). θ* a ball (the second
    coordinate possibly a float point): REFUTED 'not a fixed point' only if z ∉ ball; PROVED only if stable and
    z ∈ ball; REFUTED 'unstable' only if unstable and z ∈ ball."""
    from verify.arith.decide import to_arb

    zs = [sp.Rational(v.numerator, v.denominator) for v in zero]
    objective = obj(sum(sp.Rational(lam, 2) * (v - c) ** 2 for lam, v, c in zip(lams, (x, y), zs)), [x, y])
    theta = [to_arb((mid[0] - rad[0], mid[0] + rad[0]), 128),
             float(mid[1]) if float_second else to_arb((mid[1] - rad[1], mid[1] + rad[1]), 128)]
    res = stability.gd(objective, theta, F(1, 10))
    ivs = [bounds(theta[0]), (mid[1], mid[1]) if float_second else bounds(theta[1])]
    inside = all(lo <= v <= hi for v, (lo, hi) in zip(zero, ivs))
    stable = all(0 < lam < 20 for lam in lams)
    if res.verdict == P:
        assert stable and (inside or float_second), res.message
    if res.verdict == R:
        if res.certificate["classification"] == "not a fixed point":
            assert not inside, res.message
        else:
            assert not stable and (inside or float_second), res.message
    if inside and not float_second:
        assert res.verdict == (P if stable else R), res.message  # z is the only critical point: always decided


def test_ball_with_a_float_coordinate():
    from flint import arb

    q = obj(x**2 + y**2 + sp.Symbol("z") ** 2 - x * y, [x, y, sp.Symbol("z")])
    res = stability.gd(q, [arb(0.1, 0.2), 0.0, arb(-0.1, 0.3)], F(1, 10))
    assert res.verdict == P and res.certificate["critical_point"]["unique_in_user_ball"] is True, res.message


# ------------------------------------------------------------------------ adversary finding 09b: underflow
def test_finding09b_tiny_hessian_entries_are_decided():
    big = sp.Integer(10) ** 200
    res = stability.gd(obj(x**2 / big - y**2 / big**2, [x, y]), [0.0, 0.0], 1)
    assert res.verdict == R and res.certificate["classification"] == "unstable", res.message
    assert "scaled" in res.certificate["critical_point"]["message"]
    res = stability.gd(obj(x**2 / big + y**2 / big**2, [x, y]), [0.0, 0.0], 1)
    assert res.verdict == P, res.message


def test_item1_boundary_and_degenerate_points_are_inconclusive():
    relu = vf.SquareLoss(vf.MLP([1, 1, 1], "relu"), vf.Dataset([[1]], [1]))
    assert stability.gd(relu, [0, 1], F(1, 10)).verdict == I  # on a kink: ∇L undefined
    assert stability.gd(relu, [0.0, 1.0], F(1, 10)).verdict == I
    assert stability.gd(obj(x**4), [0.0], F(1, 10)).verdict == I  # degenerate: Krawczyk cannot certify it


# ------------------------------------------------------------------------------------------ item 2
CLOSE = obj((1 + sp.Rational(1, 10**30) / 2) * x**2 + (1 + sp.Rational(1, 10**30)) * y**2, [x, y])
ETA_CLOSE = 1 / (1 + F(3, 4) * F(1, 10**30))


@pytest.mark.parametrize("theta", [[0.0, 0.0], [0, 0]])
def test_item2_two_eigenvalues_rounding_to_the_same_double(theta):
    """λ = 2 + e and 2 + 2e (e = 10⁻³⁰), 2/η = 2 + 3e/2 between them: unstable (was PROVED for floats)."""
    res = stability.gd(CLOSE, theta, ETA_CLOSE)
    assert res.verdict == R and res.certificate["classification"] == "unstable"
    lo, hi = res.certificate["lambda_max"]
    assert lo <= 2 + 2 * F(1, 10**30) <= hi and lo > 2 / ETA_CLOSE


def test_item2_lambda_max_is_the_hull_not_the_top_ball():
    from flint import arb

    from verify.arith.ball import _ArbPrec
    from verify.stability.minima import _lam_max_min

    with _ArbPrec(128):
        a = arb(2) + arb(1) / 10**30  # two disjoint balls whose upper ends round to the same double
        b = arb(2) + arb(2) / 10**30
    assert float(a.upper()) == float(b.upper()) and bounds(a)[1] < bounds(b)[0]
    for order in ([b, a], [a, b]):
        (mlo, mhi, nlo, nhi), _ = _lam_max_min("ball", order)
        assert (mlo, mhi) == bounds(b) and (nlo, nhi) == bounds(a)


# ------------------------------------------------------------------------------------------ item 3
TINY = vf.SquareLoss(vf.MLP([1, 1], "identity"), vf.Dataset([[F(1, 10**10)]], [0]))


@pytest.mark.parametrize("global_prec", [20, 53, 128, 30000])
def test_item3_mean_square_radius_just_below_one(global_prec):
    """ρ = (1 − 2·10⁻²⁰)² < 1; was a false REFUTED/INCONCLUSIVE depending on flint.ctx.prec."""
    saved = flint.ctx.prec
    flint.ctx.prec = global_prec
    try:
        res = stability.sgd(TINY, [0], 1, batch_probabilities=[([0], 1)], lyapunov_steps=20, lyapunov_runs=2)
    finally:
        flint.ctx.prec = saved
    assert flint.ctx.prec == saved
    assert res.verdict == P
    lo, hi = res.certificate["radius"]
    assert lo <= (1 - 2 * F(1, 10**20)) ** 2 <= hi < 1
    assert_scoped(res)


def test_item3_radius_exactly_one_is_refuted():
    one = vf.SquareLoss(vf.MLP([1, 1], "identity"), vf.Dataset([[1]], [0]))  # H = 2, η = 1: C = −1
    res = stability.sgd(one, [0], 1, batch_probabilities=[([0], 1)], lyapunov_steps=20, lyapunov_runs=2)
    assert res.verdict == R and res.certificate["radius_equals_1"] is True


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 12), st.integers(1, 60), st.sampled_from([-1, 0, 1]))
def test_mean_square_one_sample_at_its_threshold(j, k, sgn):
    """One sample x = 10⁻ʲ, L = (w x)²: T = (1 − 2ηx²)², ρ < 1 ⇔ 0 < ηx² < 1; η = 10²ʲ(1 + sgn·10⁻ᵏ)."""
    xv = F(1, 10**j)
    eta = (1 + sgn * F(1, 10**k)) / (xv * xv)
    loss = vf.SquareLoss(vf.MLP([1, 1], "identity"), vf.Dataset([[xv]], [0]))
    res = stability.sgd(loss, [0], eta, batch_probabilities=[([0], 1)], lyapunov_steps=5, lyapunov_runs=2)
    truth = eta * xv * xv < 1
    assert res.verdict == (P if truth else R), res.message


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=2, max_size=2), st.lists(st.integers(-3, 3), min_size=2, max_size=2),
       st.fractions(F(1, 50), F(1, 2), max_denominator=50))
def test_mean_square_radius_agrees_with_numpy(x1, x2, eta):
    """Two samples in R², batches {0}, {1} with probability ½: ρ of Σ ½ A_B ⊗ A_B (numpy) vs the verdict."""
    X = [x1, x2]
    if np.linalg.matrix_rank(np.array(X, dtype=float)) < 2:
        return
    loss = vf.SquareLoss(vf.MLP([2, 1], "identity"), vf.Dataset(X, [0, 0]))
    res = stability.sgd(loss, [0, 0], eta, batch_probabilities=[([0], F(1, 2)), ([1], F(1, 2))],
                        lyapunov_steps=5, lyapunov_runs=2)
    A = [np.eye(2) - float(eta) * 2 * np.outer(v, v) for v in np.array(X, dtype=float)]
    rho = max(abs(np.linalg.eigvals(sum(np.kron(a, a) for a in A) / 2)))
    if abs(rho - 1) > 1e-9:
        assert res.verdict == (P if rho < 1 else R), (rho, res.message)
    lo, hi = res.certificate["radius"]
    assert float(lo) - 1e-12 <= rho <= float(hi) + 1e-12


# ------------------------------------------------------------------------------------------ item 4
LIN2 = vf.SquareLoss(vf.MLP([2, 1], "identity"), vf.Dataset([[1, 0], [1, 1]], [0, 0]))
ETA4 = F(5527864045000420607181652662537447529119, 10**40)  # just above 1 − 1/√5


def _wme_minus_one(eta: F) -> sp.Expr:
    """V − 1 for LIN2, B = 1, exactly: per-sample losses (w·x_i)², H_1 = 2e₁e₁ᵀ, H_2 = 2(1,1)ᵀ(1,1)."""
    Hs = [sp.Matrix(2, 2, [2, 0, 0, 0]), sp.Matrix(2, 2, [2, 2, 2, 2])]
    H = (Hs[0] + Hs[1]) / 2
    Sig = (Hs[0] ** 2 + Hs[1] ** 2) / 2 - H * H
    a = max(H.eigenvals(), key=lambda v: sp.N(v, 50))
    s2 = max(Sig.eigenvals(), key=lambda v: sp.N(v, 50))
    q = sp.Rational(eta.numerator, eta.denominator)
    return (1 - q * a) ** 2 + q**2 * s2 - 1


def test_item4_wu_ma_e_just_above_the_threshold_is_refuted():
    assert sp.N(_wme_minus_one(ETA4), 100) > 0
    res = stability.sgd(LIN2, [0, 0], ETA4, batch_size=1, lyapunov_steps=20, lyapunov_runs=2)
    assert res.verdict == R and res.certificate["value"][0] > 1
    below = stability.sgd(LIN2, [0, 0], ETA4 - F(1, 10**39), batch_size=1, lyapunov_steps=20, lyapunov_runs=2)
    assert below.verdict == P and below.certificate["value"][1] < 1
    assert_scoped(below)


def test_item4_scalar_condition_is_not_mean_square_stability():
    """At ETA4 the scalar V exceeds 1 but the exact mean-square operator has ρ(T) ≈ 0.95 < 1: the certificate says
    so (V is neither necessary nor sufficient in general)."""
    res = stability.sgd(LIN2, [0, 0], ETA4, batch_size=1, lyapunov_steps=20, lyapunov_runs=2)
    ms = res.certificate["mean_square"]
    assert ms["mean_square_asymptotically_stable"] is True and ms["sufficient_lambda_max_E_sq_le_1"] is False
    assert "neither necessary nor sufficient" in res.certificate["meaning"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=2, max_size=4), st.integers(1, 3), st.integers(1, 60),
       st.sampled_from([-1, 0, 1]))
def test_wu_ma_e_one_dimensional_exact_threshold(xs, B, k, sgn):
    """Scalar model: H_i = 2x_i², a = mean, s² = variance, V = (1 − ηa)² + η²c s² rational; threshold
    η* = 2a/(a² + c s²) exactly; η = η*(1 + sgn·10⁻ᵏ) must give the exact verdict (V ≤ 1 ⇔ η ≤ η*)."""
    n = len(xs)
    B = min(B, n)
    loss = vf.SquareLoss(vf.MLP([1, 1], "identity"), vf.Dataset([[v] for v in xs], [0] * n))
    h = [F(2 * v * v, 1) for v in xs]
    a = sum(h) / n
    s2 = sum(v * v for v in h) / n - a * a
    c = F(n - B, B * (n - 1))
    star = 2 * a / (a * a + c * s2)
    eta = star * (1 + sgn * F(1, 10**k))
    res = stability.sgd(loss, [0], eta, batch_size=B, lyapunov_steps=5, lyapunov_runs=2)
    V = (1 - eta * a) ** 2 + eta * eta * c * s2
    assert res.verdict == (P if V <= 1 else R), res.message


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 60), st.sampled_from([-1, 1]))
def test_wu_ma_e_irrational_threshold(k, sgn):
    """LIN2: the threshold 1 − 1/√5 is irrational; η = its 90-digit truncation ± 10⁻ᵏ."""
    thr = 1 - 1 / sp.sqrt(5)
    eta = F(str(sp.N(thr, 90))) + sgn * F(1, 10**k)
    truth = bool(sp.N(_wme_minus_one(eta), 150) <= 0)
    res = stability.sgd(LIN2, [0, 0], eta, batch_size=1, lyapunov_steps=5, lyapunov_runs=2)
    assert res.verdict == (P if truth else R), res.message


def test_sgd_needs_a_common_fixed_point():
    loss = vf.SquareLoss(vf.MLP([2, 1], "identity"), vf.Dataset([[1, 0], [0, 1]], [1, 1]))
    # w = (1, 1) interpolates: every per-sample gradient vanishes
    assert stability.sgd(loss, [1, 1], F(1, 4), batch_size=1, lyapunov_steps=5, lyapunov_runs=2).verdict == P
    # w = (1, 0) is not a minimum: not a fixed point of SGD
    res = stability.sgd(loss, [1, 0], F(1, 4), batch_size=1, lyapunov_steps=5, lyapunov_runs=2)
    assert res.verdict == R and "not a fixed point" in res.message
    res = stability.sgd(loss, [1, 0], F(1, 4), batch_probabilities=[([0], 1)], lyapunov_steps=5, lyapunov_runs=2)
    assert res.verdict == P  # batch {0} alone: w = (1, 0) is its fixed point


def test_mean_square_claim_without_transverse_directions_is_not_proved():
    zero = vf.SquareLoss(vf.MLP([2, 1], "identity"), vf.Dataset([[0, 0]], [0]))
    res = stability.sgd(zero, [0, 0], 1, batch_probabilities=[([0], 1)], lyapunov_steps=5, lyapunov_runs=2)
    assert res.verdict == I


# --------------------------------------------------------------------- differential: GD on quadratics
def _cayley(vals, n):
    S = sp.zeros(n, n)
    it = iter(vals)
    for i in range(n):
        for j in range(i + 1, n):
            v = next(it)
            S[i, j], S[j, i] = v, -v
    return (sp.eye(n) - S) * (sp.eye(n) + S).inv()


def _quadratic(lams, skew, center):
    n = len(lams)
    Q = _cayley([sp.Rational(v.numerator, v.denominator) for v in skew], n)
    H = Q.T * sp.diag(*[sp.Rational(v.numerator, v.denominator) for v in lams]) * Q
    xs = sp.symbols(f"z0:{n}")
    d = sp.Matrix([xs[i] - sp.Rational(center[i].numerator, center[i].denominator) for i in range(n)])
    return vf.Objective.from_sympy(sp.expand((d.T * H * d)[0, 0] / 2), list(xs))


def _truth(lams, eta):
    top = max(lams)
    if min(lams) < 0 or eta * top > 2:
        return "unstable"
    if eta * top == 2:
        return "edge"
    return "neutral" if 0 in lams else "stable"


def _verdict(truth, objective):
    """stable → PROVED (a); neutral → PROVED (b) when L ≥ 0 is known structurally (L(0) = 0 by construction),
    else INCONCLUSIVE; edge → INCONCLUSIVE; unstable → REFUTED."""
    if truth == "neutral":
        return P if vf.pl.nonnegativity(objective) is not None else I
    return {"stable": P, "edge": I, "unstable": R}[truth]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.fractions(-2, 4, max_denominator=6), min_size=1, max_size=3),
       st.lists(st.fractions(-2, 2, max_denominator=5), min_size=3, max_size=3), st.integers(1, 60),
       st.sampled_from([-1, 0, 1]))
def test_gd_exact_quadratics_decided_exactly(lams, skew, k, sgn):
    """Exact θ* = 0 on a polynomial objective: the verdict is always decided and equals the truth."""
    n = len(lams)
    objective = _quadratic(lams, skew[: n * (n - 1) // 2], [F(0)] * n)
    top = max(lams)
    eta = 2 / top * (1 + sgn * F(1, 10**k)) if top > 0 else F(1, 3)
    res = stability.gd(objective, [0] * n, eta)
    truth = _truth(lams, eta)
    assert res.certificate["classification"] == truth, res.message
    assert res.verdict == _verdict(truth, objective), res.message
    assert_scoped(res)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.fractions(F(1, 4), 4, max_denominator=6), min_size=1, max_size=3),
       st.lists(st.fractions(-2, 2, max_denominator=5), min_size=3, max_size=3), st.integers(1, 60),
       st.sampled_from([-1, 1]), st.sampled_from([-1, 1]))
def test_gd_float_quadratics_never_wrong_and_give_way_to_precision(lams, skew, k, sgn, flip):
    """Float θ* (Krawczyk box): never a wrong certified verdict; an INCONCLUSIVE near 2/λ_max ± 10⁻ᵏ is decided
    correctly at 1024 bits (2⁻¹⁰²⁴ ≪ 10⁻⁶⁰)."""
    n = len(lams)
    lams = [flip * v for v in lams] if flip < 0 and n > 1 else lams  # some indefinite (saddles) too
    objective = _quadratic(lams, skew[: n * (n - 1) // 2], [F(0)] * n)
    top = max(lams)
    eta = 2 / top * (1 + sgn * F(1, 10**k)) if top > 0 else F(1, 3)
    truth = _truth(lams, eta)
    res = stability.gd(objective, [0.0] * n, eta)
    if res.verdict in (P, R):
        assert res.certificate["classification"] == truth, res.message
    else:
        hi = stability.gd(objective, [0.0] * n, eta, prec=1024)
        assert hi.verdict == _verdict(truth, objective), hi.message
        assert hi.certificate["classification"] == truth, hi.message


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 6), st.integers(-4, 4), st.integers(1, 6), st.integers(1, 60), st.sampled_from([-1, 1]),
       st.booleans())
def test_gd_quadratic_irrational_spectrum(a, b, c, k, sgn, float_point):
    """H = [[a, b], [b, c]]: λ_max = (a+c)/2 + √(((a−c)/2)² + b²), η = 2/λ_max (80 digits) ± 10⁻ᵏ."""
    objective = obj(sp.Rational(1, 2) * (a * x**2 + 2 * b * x * y + c * y**2), [x, y])
    disc = sp.sqrt(sp.Rational((a - c) ** 2, 4) + b * b)
    lam_max, lam_min = sp.Rational(a + c, 2) + disc, sp.Rational(a + c, 2) - disc
    eta = F(str(sp.N(2 / lam_max, 80))) + sgn * F(1, 10**k)
    q = sp.Rational(eta.numerator, eta.denominator)
    if sp.N(lam_min, 50) < 0:
        truth = "unstable"
    elif lam_min == 0 and q * lam_max < 2:
        truth = "neutral"
    else:
        d = sp.N(q * lam_max - 2, 200)
        truth = "unstable" if d > 0 else "stable"  # never exactly 2: λ_max irrational or η·λ_max ≠ 2 by construction
        if lam_max.is_Rational and q * lam_max == 2:
            truth = "edge"
    res = stability.gd(objective, [0.0, 0.0] if float_point else [0, 0], eta)
    if not float_point:
        assert res.certificate["classification"] == truth, res.message
    if res.verdict in (P, R):
        assert res.certificate["classification"] == truth, res.message


@settings(max_examples=20, deadline=None)
@given(st.fractions(-3, 3, max_denominator=5).filter(lambda v: v != 0),
       st.lists(st.fractions(F(1, 4), 4, max_denominator=6), min_size=1, max_size=2), st.booleans())
def test_gd_never_proved_away_from_the_critical_point(shift, lams, float_point):
    n = len(lams)
    objective = _quadratic(lams, [F(1, 2)] * (n * (n - 1) // 2), [shift] + [F(0)] * (n - 1))
    res = stability.gd(objective, [0.0] * n if float_point else [0] * n, F(1, 100))
    assert res.verdict == R and res.certificate["classification"] == "not a fixed point"


# ------------------------------------------------------------------------------- robustness (item "bad input")
def test_bad_arguments_raise_verify_errors():
    q = obj((x**2 - 1) ** 2 / 4 + y**2 / 2, [x, y])
    with pytest.raises(InputError, match="starts"):
        stability.saddle_escape(q, [0, 0], F(1, 10), starts=1.5)
    with pytest.raises(InputError, match="batch_size"):
        stability.sgd(LIN2, [0, 0], F(1, 4), batch_size=1.5)
    with pytest.raises(InputError, match="batch_size"):
        stability.sgd(LIN2, [0, 0], F(1, 4), batch_size=True)
    for bad in (0, -1, "1/2", float("nan"), None):
        with pytest.raises(InputError):
            stability.gd(q, [0, 0], bad)
        with pytest.raises(InputError):
            vf.GDMap(q, bad)
    for bad in (8, 2**40, 128.0, "128"):
        with pytest.raises(PrecisionError):
            stability.gd(q, [0, 0], F(1, 2), prec=bad)
        with pytest.raises(PrecisionError):
            stability.find_periodic_orbit(QUARTIC, F(1, 2), 2, [1.05], prec=bad)
    with pytest.raises(ShapeError):
        stability.gd(q, [0], F(1, 2))
    with pytest.raises(InputError):
        stability.find_periodic_orbit(QUARTIC, F(1, 2), 1.5, [1.05])
    with pytest.raises(InputError):
        stability.sgd(LIN2, [0, 0], F(1, 4), batch_probabilities=[([F(1, 2)], 1)])
    with pytest.raises(InputError):
        stability.sgd(LIN2, [0, 0], F(1, 4), batch_size=1, lyapunov_runs=0)
    with pytest.raises(InputError):
        vf.GDMap(q, F(1, 2)).orbit([0, 0], -1)
    with pytest.raises(InputError):
        vf.GDMap(q, F(1, 2)).compose(1.0)


def test_compose_one_is_the_map_itself():
    G = vf.GDMap(QUARTIC, F(1, 2))
    G1 = G.compose(1)
    for th in ([F(3, 2)], [F(-1, 3)]):
        assert list(G1(th, "exact")) == list(G(th, "exact"))
        assert G1.jacobian(th, "exact").tolist() == G.jacobian(th, "exact").tolist()
    assert len(G.orbit([F(1, 2)], 0)) == 1


def test_period_one_orbit_is_a_fixed_point():
    res = stability.find_periodic_orbit(QUARTIC, F(1, 2), 1, [1.05])
    assert res.verdict == P and res.scope["period"] == 1 and res.scope["count"] == 1
    mid, rad = F(res.certificate["box"]["mid"][0]), F(res.certificate["box"]["radius"])
    assert mid - rad < 1 < mid + rad  # the fixed point θ = 1 of G
    assert res.certificate["stability"] == "stable"  # G'(1) = 1 − η·2 = 0


def test_saddle_escape_certifies_criticality():
    q = obj((x**2 - 1) ** 2 / 4 + y**2 / 2, [x, y])
    res = stability.saddle_escape(q, [F(1, 2), 0], F(1, 10), starts=3, max_steps=50)
    assert res.verdict == I and not res.certificate["strict_saddle_certified"]  # not a critical point
    res = stability.saddle_escape(q, [0.0, 0.0], F(1, 10), starts=5)
    assert res.verdict == Verdict.SUPPORTED and res.certificate["critical_point"]["status"] == "box"
