"""Soundness of the local-PL verdicts (issue 11 items 8, 9, 11; Chatterjee, arXiv:2203.16462).

Regression tests for each item (they fail on the code before the fix), bad arguments, and a
differential suite: instances whose true answer is known by construction (quadratics with rational
and quadratic-irrational spectra, the quartic ¼(x² − 1)² at its exact r-thresholds ± 10⁻ᵏ, GD steps
at the exact η_max ± 10⁻ᵏ) must never get the wrong certified verdict; INCONCLUSIVE near a threshold
must give way to the right verdict at a higher precision.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager
from fractions import Fraction as F
from math import isqrt

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, note, settings
from hypothesis import strategies as st

import verify as vf
from verify import pl
from verify.arith.decide import algebraic_sign
from verify.errors import EnclosureError, InputError, VerifyError

P, R, I = vf.Verdict.PROVED, vf.Verdict.REFUTED, vf.Verdict.INCONCLUSIVE
x, y = sp.symbols("x y")
SQUARE = vf.Objective.from_sympy(x**2, [x])
QUARTIC = vf.Objective.from_sympy((x**2 - 1) ** 2 / 4, [x])
ELLIPSE = vf.Objective.from_sympy(x**2 + 4 * y**2, [x, y])


@contextmanager
def time_limit(seconds: int):
    """Fail (instead of hanging) if the block runs longer than ``seconds`` (the old step search looped)."""
    def handler(signum, frame):
        raise TimeoutError(f"did not finish within {seconds} s")

    old = signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _never_wrong(verdict, truth: bool, what=""):
    assert not (verdict == P and not truth), f"false PROVED {what}"
    assert not (verdict == R and truth), f"false REFUTED {what}"


def _proved_scope(res):
    assert res.scope.get("what") and res.scope.get("count", 0) >= 1
    assert res.scope["ball"]["r"] > 0 and res.scope["precision"] >= 16


# ------------------------------------------------------------------ item 8: GD step and rate
@pytest.mark.parametrize("coef", [sp.Float(1e8), sp.Integer(10**8)])
def test_gd_on_a_steep_quadratic_gives_a_positive_step_and_a_rate_below_one(coef):
    """η_max = 5·10⁻⁹ < 10⁻⁶: the old 10⁻⁶ grid rounded η to 0 and PROVED "linear convergence" with q = 1."""
    res = pl.chatterjee_gd(vf.Objective.from_sympy(coef * x**2, [x]), [1], 2)
    c = res.certificate
    assert res.verdict == P
    assert 0 < c["eta"] < c["eta_max"] <= F(5, 10**9)  # the true η_max = (2/β)(1 − 2√(L0/α)/r) = 5·10⁻⁹
    assert 0 <= c["q"] < 1 and res.quantity.value == c["q"]
    assert isinstance(c["eta"], F) and res.scope["eta"] == c["eta"]
    _proved_scope(res)


def test_gd_with_a_tiny_eta_max_terminates_and_stays_below_it():
    """x², x0 = 1 − 2⁻²⁰⁰, r = 1: η_max = 2⁻²⁰⁰ exactly; at 128 bits the old code's η_max bound was ≤ 0
    and its halving loop never ended."""
    with time_limit(120):
        res = pl.chatterjee_gd(SQUARE, [1 - F(1, 2**200)], 1)
    c = res.certificate
    assert res.verdict == P and 0 < c["eta"] < c["eta_max"] <= F(1, 2**200)
    assert c["q"] < 1 and c["sqrt_precision"] > 128  # the square root needed more bits than the default


def test_gd_eta_max_unresolved_at_low_precision_is_inconclusive_then_proved_at_high_precision():
    x0 = [1 - F(1, 2**20000)]
    with time_limit(300):
        low = pl.chatterjee_gd(SQUARE, x0, 1)
        assert low.verdict == I and "could not be certified positive" in low.message
        high = pl.chatterjee_gd(SQUARE, x0, 1, prec=2**15)
    assert high.verdict == P and 0 < high.certificate["eta"] < F(1, 2**20000)


@pytest.mark.parametrize("k", [3, 12, 40])
def test_gd_user_step_at_the_exact_eta_max_is_never_proved(k):
    """¼(x² − 1)², x0 = 6/5, r = 3/5: α = 36/25, β = 218/25, η_max = 175/1962 exactly (docs/theory/local_pl.md §5.2)."""
    eta_max = F(2) / F(218, 25) * (1 - 2 * F(11, 60) / F(3, 5))
    assert eta_max == F(175, 1962)
    for eta, truth in ((eta_max, False), (eta_max + F(1, 10**k), False), (eta_max - F(1, 10**k), True)):
        res = pl.chatterjee_gd(QUARTIC, [F(6, 5)], F(3, 5), eta=eta)
        _never_wrong(res.verdict, truth, f"η = η_max + ({eta - eta_max})")
        if res.verdict == P:
            assert res.certificate["q"] < 1


@pytest.mark.parametrize("eta", [0, -1, float("nan"), float("inf"), "1/10"])
def test_gd_bad_step_is_an_input_error(eta):
    with pytest.raises(InputError):
        pl.chatterjee_gd(QUARTIC, [F(6, 5)], F(3, 5), eta=eta)


# ------------------------------------------------------------------ item 9: L(x0) = 0
def test_zero_loss_at_a_degenerate_zero_is_not_proved():
    """x⁴ at 0: α = 0 (the ratio is 16x²), so 0 < r²α is false; the old code PROVED it "trivially"."""
    res = pl.chatterjee(vf.Objective.from_sympy(x**4, [x]), [0], 1)
    assert res.verdict == I
    assert "trivially" not in res.message and "needs α > 0" in res.message


def test_zero_of_a_sign_changing_objective_is_not_called_a_minimiser():
    """x³ at 0: L(0) = 0 but L < 0 on the ball; the old code called 0 a global minimiser."""
    res = pl.chatterjee(vf.Objective.from_sympy(x**3, [x]), [0], 1)
    assert res.verdict != P and "global minimiser" not in res.message
    assert "L ≥ 0" in res.message and "negative_point" in res.certificate


def test_zero_loss_with_a_positive_critical_point_in_the_ball_is_refuted():
    """¼(x² − 1)² at x0 = 1, r = 2: the ball contains 0 (L = 1/4, ∇L = 0), so α = 0 and 0 < r²α fails."""
    res = pl.chatterjee(QUARTIC, [1], 2)
    assert res.verdict == R and res.counterexample["ratio_upper"] == 0


def test_zero_loss_proved_only_with_alpha_positive_and_global_only_if_nonnegative_everywhere():
    res = pl.chatterjee(SQUARE, [0], 1)
    assert res.verdict == P and "global minimiser" in res.message and res.certificate["alpha"][0] > 0
    _proved_scope(res)
    # x²(1 − x) ≥ 0 on [−1/2, 1/2] but not for x > 1: a minimiser on the ball, not a global one
    local = pl.chatterjee(vf.Objective.from_sympy(x**2 * (1 - x), [x]), [0], F(1, 2))
    assert local.verdict == P and "not known" in local.message and "and, L being ≥ 0 everywhere" not in local.message
    assert "certified on the ball" in local.certificate["nonnegative"]
    gd = pl.chatterjee_gd(SQUARE, [0], 1)
    assert gd.verdict == P and gd.certificate["q"] == 0 and gd.certificate["eta"] > 0


def test_a_nonnegativity_failure_elsewhere_in_the_ball_blocks_proved():
    """A Piecewise objective, negative for x < 0: boxes where L ≤ 0 used to be dropped as "L ≡ 0"."""
    pw = vf.Objective.from_sympy(sp.Piecewise((x**2, x > 0), (-(x**2), True)), [x])
    assert pl.nonnegativity(pw) is None
    res = pl.chatterjee(pw, [F(1, 2)], 1)
    assert res.verdict != P


# ------------------------------------------------------------------ item 11: α near a zero of L
def test_alpha_near_a_nondegenerate_zero_is_the_hessian_bound():
    """x² + 4y², x0 = (0, 1), r = 3/2: α = 4; the old lower bound was 0 (the ratio does not cancel)."""
    b = pl.alpha(ELLIPSE, [0, 1], F(3, 2))
    assert b.lower == 4 <= b.upper
    assert "near-zero" in b.lower_method
    (z,) = b.methods["bnb"]["near_zero"]
    assert z["center"] == [0, 0] and z["radius"] == 0 and z["best"] == 4


def test_criterion_on_a_ball_containing_the_zero_is_proved_and_names_the_method():
    res = pl.chatterjee(ELLIPSE, [1, 0], F(3, 2))  # 4L(x0) = 4 < r²α = 9
    assert res.verdict == P and "near-zero Hessian bound" in res.certificate["alpha_lower_method"]
    _proved_scope(res)
    assert pl.chatterjee(ELLIPSE, [0, 1], F(3, 2)).verdict == R  # 4L(x0) = 16 > r²α = 9
    gd = pl.chatterjee_gd(ELLIPSE, [1, 0], F(3, 2))
    assert gd.verdict == P and 0 < gd.certificate["eta"] and gd.certificate["q"] < 1


def test_irrational_zero_certified_through_its_squared_terms():
    """(x² − 2)² + (y − x)²: zero at (√2, √2), no rational point; Krawczyk on (x² − 2, y − x)."""
    obj = vf.Objective.from_sympy((x**2 - 2) ** 2 + (y - x) ** 2, [x, y])
    res = pl.chatterjee(obj, [F(7, 5), F(7, 5)], F(1, 10))
    assert res.verdict == P
    (z,) = res.certificate["alpha_methods"]["bnb"]["near_zero"]
    assert "squared terms" in z["how"] and z["radius"] < F(1, 10**30)
    assert abs(float(z["center"][0]) - 2**0.5) < 1e-15


def test_zero_not_exactly_representable_is_found_through_the_residuals():
    c = F(1, 10**30)
    obj = vf.Objective.from_sympy((x - sp.Rational(1, 10**30)) ** 2 + 4 * y**2, [x, y])
    b = pl.alpha(obj, [c, 1], F(3, 2))
    assert b.lower == 4  # constant Hessian diag(2, 8): 2(a − ε)²/(a + ε) = 2·2 = 4 = α exactly


def test_no_near_zero_bound_without_a_certified_zero_of_L():
    """x² + 4y² + 10⁻⁴⁰ > 0: the critical point 0 has L = 10⁻⁴⁰ > 0, so α = 0 on a ball containing it
    (the ratio 4x²/(x² + 10⁻⁴⁰) → 0); a bound that assumed L(θ̂) = 0 would be false."""
    obj = vf.Objective.from_sympy(x**2 + 4 * y**2 + sp.Rational(1, 10**40), [x, y])
    nz, why = pl.near_zero_certificate(obj, [F(1, 10**3), F(-1, 10**3)], 1)
    assert nz is None and "could not be certified" in why
    b = pl.alpha(obj, [1, 0], F(3, 2))
    assert b.lower == 0 and "near-zero" not in b.lower_method
    assert pl.chatterjee(obj, [1, 0], F(3, 2)).verdict != P


def test_degenerate_zero_gets_no_hessian_bound_and_says_why():
    """x² + y⁴: the Hessian at 0 is singular and α = 0 (ratio 16y² on x = 0)."""
    obj = vf.Objective.from_sympy(x**2 + y**4, [x, y])
    res = pl.chatterjee(obj, [1, 0], F(3, 2))
    assert res.verdict != P
    assert res.certificate["alpha"][0] == 0 and res.certificate["alpha_note"]


def test_kinked_zero_is_sound():
    """A Piecewise zero at its kink: no C² expansion there; the bound stays sound (0 near the kink)."""
    pw = vf.Objective.from_sympy(sp.Piecewise((x**2, x > 0), (4 * x**2, True)), [x])
    b = pl.alpha(pw, [F(1, 2)], 1)
    assert b.lower is not None and b.lower <= 4 <= b.upper


def test_nearly_degenerate_spectrum_is_refuted_not_proved():
    """x² + 10⁻³⁰y² around 0: α = 2λ_min = 4·10⁻³⁰ exactly (lower bound: near-zero Hessian bound; upper:
    a witness along the flattest direction at the certified zero)."""
    obj = vf.Objective.from_sympy(x**2 + sp.Rational(1, 10**30) * y**2, [x, y])
    b = pl.alpha(obj, [F(1, 2), 0], 1)
    assert F(4, 10**30) * (1 - F(1, 10**20)) < b.lower <= F(4, 10**30) <= b.upper < F(5, 10**30)
    assert pl.chatterjee(obj, [F(1, 2), 0], 1).verdict == R
    assert pl.chatterjee_gd(obj, [F(1, 2), 0], 1).verdict == R


def test_identically_zero_objective():
    res = pl.chatterjee_gd(vf.Objective.from_sympy(x - x, [x]), [1], 1)
    assert res.verdict == P and res.certificate["q"] == 0 and "+∞" in res.message


def test_kinked_network_gives_a_verdict_not_a_traceback():
    loss = vf.SquareLoss(vf.MLP([1, 2, 1], "relu"), vf.Dataset([[1], [2]], [1, 2]))
    res = pl.chatterjee(loss, [F(1, 2), F(1, 3), 1, 1], F(1, 2), max_boxes=100, starts=2)
    assert res.verdict != P or res.scope["what"]


def test_internal_inconsistency_is_an_enclosure_error(monkeypatch):
    import sys

    mod = sys.modules["verify.pl.alpha"]  # (verify.pl.alpha is also the name of the function)
    monkeypatch.setattr(mod, "_upper_search", lambda *a, **k: (F(1), np.array([F(1)], dtype=object), 1.0, None))
    with pytest.raises(EnclosureError):
        pl.alpha(SQUARE, [1], F(3, 2))


# ------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize("kw", [{"r": 0}, {"r": -1}, {"r": float("nan")}, {"r": float("inf")}, {"r": "1"},
                                {"r": True}, {"max_boxes": 1.5}, {"max_boxes": 0}, {"max_boxes": True},
                                {"starts": -1}, {"starts": 2.5}, {"prec": 8}, {"prec": 2**30}, {"prec": 128.0},
                                {"rel_tol": float("nan")}, {"rel_tol": 1}, {"rel_tol": -0.1}, {"methods": ("foo",)},
                                {"methods": 3}, {"methods": ()}, {"target": float("nan")}, {"near_zero": "yes"},
                                {"x0": [1, 2]}, {"x0": [float("nan")]}])
def test_bad_arguments_are_input_errors(kw):
    args = {"x0": [1], "r": 1, **kw}
    x0, r = args.pop("x0"), args.pop("r")
    with pytest.raises(InputError):
        pl.alpha(SQUARE, x0, r, **args)


@pytest.mark.parametrize("kw", [{"prec": 4}, {"bounds": "x"}, {"max_boxes": 2.5}])
def test_bad_criterion_arguments_are_input_errors(kw):
    with pytest.raises(InputError):
        pl.chatterjee(SQUARE, [1], 2, **kw)


def test_bad_bnb_and_near_zero_arguments():
    with pytest.raises(InputError):
        pl.alpha_lower_bnb(SQUARE, [1], 1, max_boxes=1.5)
    with pytest.raises(InputError):
        pl.near_zero_certificate(SQUARE, [0, 0], 1)
    with pytest.raises(InputError):
        pl.near_zero_certificate(SQUARE, [0], 0)


# ------------------------------------------------------------------ differential soundness suite
def _quadratic(lams):
    xs = sp.symbols(f"t0:{len(lams)}")
    expr = sp.Add(*[sp.Rational(lam.numerator, lam.denominator) * v**2 for lam, v in zip(lams, xs)]) / 2
    return vf.Objective.from_sympy(expr, list(xs))


def _sqrt_approx(q: F, k: int, up: bool) -> F:
    """A rational within 10⁻ᵏ of √q, below or above it."""
    m = 10 ** (k + 2)
    s = isqrt(q.numerator * m * m // q.denominator)
    return F(s + (1 if up else 0), m)


rat = st.fractions(F(1, 4), F(4), max_denominator=8)
coord = st.fractions(F(-1), F(1), max_denominator=8)


def _check_quadratic(lams, x0, k, side):
    """½Σλᵢxᵢ² with |x0| < r: α = 2λ_min exactly (the ball contains a neighbourhood of the zero), so the
    criterion holds iff Σλᵢx0ᵢ² < r²λ_min. r² = T(1 ± 10⁻ᵏ) around the threshold T."""
    x0 = x0[: len(lams)]
    lmin = min(lams)
    T = sum(lam * v * v for lam, v in zip(lams, x0)) / lmin
    if T == 0:
        T = F(1, 4)
    r = _sqrt_approx(T * (1 + side * F(1, 10**k)), k + 2, up=side > 0)
    if r <= 0 or sum(v * v for v in x0) >= r * r:
        return
    truth = sum(lam * v * v for lam, v in zip(lams, x0)) < r * r * lmin
    obj = _quadratic(lams)
    res = pl.chatterjee(obj, x0, r, max_boxes=800)
    note(f"λ={lams}, x0={x0}, r={r}, truth={truth}, {res.verdict}: {res.message}")
    _never_wrong(res.verdict, truth)
    if res.verdict == P:
        _proved_scope(res)
    gd = pl.chatterjee_gd(obj, x0, r, max_boxes=800)
    _never_wrong(gd.verdict, truth, "(GD)")
    if gd.verdict == P:  # the step is below the true η_max (α = 2λ_min, β = λ_max) and q is an upper bound
        c = gd.certificate
        eta, beta, alpha_ = c["eta"], max(lams), 2 * lmin
        L0 = sum(lam * v * v for lam, v in zip(lams, x0)) / 2
        assert 0 < eta and 1 - beta * eta / 2 > 0 and 4 * L0 / (alpha_ * r * r) < (1 - beta * eta / 2) ** 2
        assert max(F(0), 1 - alpha_ * eta * (1 - beta * eta / 2)) <= c["q"] < 1


@settings(max_examples=12, deadline=None)
@given(st.lists(rat, min_size=1, max_size=2), st.lists(coord, min_size=2, max_size=2), st.integers(1, 60),
       st.sampled_from([-1, 1]))
def test_quadratics_with_rational_spectra_near_the_threshold(lams, x0, k, side):
    _check_quadratic(lams, x0, k, side)


@settings(max_examples=8, deadline=None)
@given(st.fractions(F(1, 2), F(3), max_denominator=6), st.fractions(F(-1), F(1), max_denominator=6),
       st.fractions(F(1, 2), F(3), max_denominator=6), st.lists(coord, min_size=2, max_size=2),
       st.fractions(F(1, 4), F(3), max_denominator=8))
def test_quadratics_with_quadratic_irrational_spectra(a, b, c, x0, r):
    """½θᵀAθ, A = [[a, b], [b, c]] ≻ 0 with irrational eigenvalues; |x0| < r: α = 2λ_min(A), the criterion
    holds iff x0ᵀAx0 < r²λ_min (decided exactly with sympy's algebraic numbers)."""
    if a * c - b * b <= 0 or sum(v * v for v in x0) >= r * r:
        return
    A = sp.Matrix([[a, b], [b, c]]).applyfunc(lambda q: sp.Rational(q.numerator, q.denominator))
    lmin = ((A[0, 0] + A[1, 1]) - sp.sqrt((A[0, 0] - A[1, 1]) ** 2 + 4 * A[0, 1] ** 2)) / 2
    v = sp.Matrix([sp.Rational(t.numerator, t.denominator) for t in x0])
    quad = (v.T * A * v)[0]
    diff = sp.Rational(r.numerator, r.denominator) ** 2 * lmin - quad
    truth = diff > 0 if diff.is_Rational else algebraic_sign(diff) > 0
    expr = (A[0, 0] * x**2 + 2 * A[0, 1] * x * y + A[1, 1] * y**2) / 2
    res = pl.chatterjee(vf.Objective.from_sympy(expr, [x, y]), x0, r, max_boxes=800)
    note(f"A={A}, x0={x0}, r={r}, truth={truth}, {res.verdict}: {res.message}")
    _never_wrong(res.verdict, truth)


def _quartic_radius(k: int, root_side: int, offset: int) -> F:
    """0.6 ± √0.14 (the ends of the interval where the criterion holds at x0 = 1.2) moved by ±10⁻ᵏ."""
    m = k + 8
    s = F(isqrt(14 * 10 ** (2 * m - 2)), 10**m)  # √0.14 − 10⁻ᵐ < s ≤ √0.14
    return F(3, 5) + root_side * s + offset * F(1, 10**k)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 60), st.sampled_from([-1, 1]), st.sampled_from([-1, 1]))
def test_quartic_criterion_at_its_exact_thresholds(k, root_side, offset):
    r = _quartic_radius(k, root_side, offset)
    truth = (r - F(3, 5)) ** 2 < F(14, 100)
    res = pl.chatterjee(QUARTIC, [F(6, 5)], r)
    note(f"k={k}, r={r}, truth={truth}: {res.verdict}")
    _never_wrong(res.verdict, truth)
    if k <= 30:  # 128 bits resolve 10⁻³⁰
        assert res.verdict == (P if truth else R)


@pytest.mark.parametrize("k", [45, 60])
def test_quartic_threshold_inconclusive_gives_way_at_higher_precision(k):
    for root_side in (-1, 1):
        for offset in (-1, 1):
            r = _quartic_radius(k, root_side, offset)
            truth = (r - F(3, 5)) ** 2 < F(14, 100)
            low = pl.chatterjee(QUARTIC, [F(6, 5)], r)
            _never_wrong(low.verdict, truth)
            high = pl.chatterjee(QUARTIC, [F(6, 5)], r, prec=640)
            assert high.verdict == (P if truth else R)


@settings(max_examples=6, deadline=None)
@given(st.integers(1, 4), st.fractions(F(1, 4), F(2), max_denominator=4))
def test_zero_loss_at_degenerate_zeros_is_never_proved(m, r):
    """x^(2m) (m ≥ 2) at 0: α = 0; ¼(x² − 1)² at 1 with r ≥ 1: α = 0 (the ball contains 0)."""
    if m >= 2:
        res = pl.chatterjee(vf.Objective.from_sympy(x ** (2 * m), [x]), [0], r, max_boxes=500)
        assert res.verdict != P
    res = pl.chatterjee(QUARTIC, [1], 1 + r, max_boxes=500)
    assert res.verdict != P


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(st.lists(rat, min_size=2, max_size=2), st.lists(coord, min_size=2, max_size=2), st.integers(1, 60),
       st.sampled_from([-1, 1]))
def test_quadratics_near_threshold_many(lams, x0, k, side):
    _check_quadratic(lams, x0, k, side)


def test_every_error_is_a_verify_error():
    """No builtin ArithmeticError/ValueError leaks from the α code paths on bad input."""
    for bad in ({"r": "x"}, {"r": [1]}, {"r": 1j}):
        with pytest.raises(VerifyError):
            pl.alpha(SQUARE, [1], **bad)
