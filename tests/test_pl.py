"""Local PL inequalities (Chatterjee, arXiv:2203.16462): the ratio in every arithmetic, certified α
bounds on the closed-form cases, Chatterjee's criterion for gradient flow and GD, bad input."""

from __future__ import annotations

from fractions import Fraction as F

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, note, settings
from hypothesis import strategies as st

import verify as vf
from verify import pl
from verify.arith.ball import contains
from verify.errors import InputError, SizeLimitError

X_ = sp.Symbol("x")
SQUARE = vf.Objective.from_sympy(X_**2, [X_])
QUARTIC = vf.Objective.from_sympy((X_**2 - 1) ** 2 / 4, [X_])
SPURIOUS = vf.Objective.from_sympy((X_**2 - 1) ** 2 + F(3, 10) * (X_ - 1) ** 2, [X_])


def test_ratio_agrees_across_arithmetics_and_with_sympy():
    net = vf.MLP([2, 3, 1], "tanh")
    loss = vf.SquareLoss(net, vf.Dataset([[1, 0], [0, 1]], [1, -1]))
    th = [F(k, 7) for k in range(-4, 5)]
    ref = sp.Add(*[sp.diff(loss.symbolic(), s) ** 2 for s in loss.symbols]) / loss.symbolic()
    exact = ref.subs(dict(zip(loss.symbols, [sp.Rational(t.numerator, t.denominator) for t in th])))
    with mpmath.workprec(300):
        v = mpmath.mpf(sp.N(exact, 80))
        assert contains(pl.ratio(loss, th, "ball", 128), v)
        assert abs(pl.ratio(loss, th, "mp", 200) - v) < mpmath.mpf(10) ** -50
    assert abs(pl.ratio(loss, th) - float(v)) < 1e-10 * float(v)


def test_ratio_refuses_zero_and_negative_objectives():
    with pytest.raises(InputError, match="undefined"):
        pl.ratio(SQUARE, [0], "exact")
    with pytest.raises(InputError, match="non-negative"):
        pl.ratio(vf.Objective.from_sympy(X_**2 - 1, [X_]), [0], "ball")


def test_alpha_of_x_squared_is_four_on_every_ball():
    b = pl.alpha(SQUARE, [1], F(3, 2))
    assert b.lower == 4 and b.upper == 4 and b.tightness == 1.0


@settings(max_examples=10, deadline=None)
@given(st.fractions(F(1, 2), F(2), max_denominator=20), st.fractions(F(1, 20), F(1), max_denominator=20))
def test_alpha_of_the_quartic_matches_its_closed_form(x0, frac):
    """α(x0, r) = 4(|x0| − r)² for 0 < r < |x0| (docs/theory/local_pl.md §5.2)."""
    r = frac * (x0 - F(1, 20))
    b = pl.alpha(QUARTIC, [x0], r)
    exact = 4 * (x0 - r) ** 2
    note(f"x0={x0}, r={r}, bounds {b}")
    assert b.lower <= exact <= b.upper
    assert b.tightness > 0.999


def test_quadratic_ball_containing_the_minimum_has_alpha_two_lambda_min():
    """docs/theory/local_pl.md §5.6: ½xᵀΛx, Λ = diag(1, 4), ball around 0: α = 2λ_min = 2. As a sympy objective
    the ratio 2(x² + 16y²)/(x² + 4y²) has no finite enclosure on boxes around 0; the near-zero Hessian bound
    (zero certified at the exact point 0, constant Hessian: ε = 0) gives exactly 2 there, and the
    other boxes approach 2 from below; written as ½‖Ax‖² the NTK bound is exact."""
    x, y = sp.symbols("x y")
    b = pl.alpha(vf.Objective.from_sympy((x**2 + 4 * y**2) / 2, [x, y]), [F(1, 4), F(1, 8)], 1)
    assert b.lower <= 2 <= b.upper and b.upper - 2 < F(1, 10**6)
    assert b.lower > F(19, 10) and b.methods["bnb"]["near_zero"][0]["best"] == 2
    lsq = vf.SquareLoss(vf.MLP([2, 1], "identity"), vf.Dataset([[1, 0], [0, 2]], [0, 0]), normalization="half_sum")
    b = pl.alpha(lsq, [F(1, 4), F(1, 8)], 1)
    assert b.lower == 2 and b.upper - 2 < F(1, 10**6) and b.tightness > 0.999


def test_least_squares_ntk_bound_is_two_lambda_min_exactly():
    """f = ½‖Ax − b‖² as a linear network with half_sum normalisation: α ≥ 2λ_min(AAᵀ)
    (docs/theory/local_pl.md §5.3)."""
    A = [[2, 1, 0], [0, 1, 1]]  # AAᵀ = [[5, 1], [1, 2]]
    loss = vf.SquareLoss(vf.MLP([3, 1], "identity"), vf.Dataset(A, [1, 2]), normalization="half_sum")
    lam_min = (7 - np.sqrt(13)) / 2
    lo = pl.alpha_lower_ntk(loss, [0, 0, 0], 5)
    assert abs(float(lo) - 2 * lam_min) < 1e-12 and float(lo) <= 2 * lam_min + 1e-30
    b = pl.alpha(loss, [0, 0, 0], 5, methods=("ntk",))
    assert b.upper >= b.lower and b.lower_method in ("ntk (ball64)", "ntk (ball@128)")


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10**6))
def test_certified_lower_bound_holds_at_random_points_of_the_ball(seed):
    rng = np.random.default_rng(seed)
    net = vf.MLP([2, 2, 1], "tanh")
    X = [[1, F(1, 3)], [F(-1, 2), 1]]
    loss = vf.SquareLoss(net, vf.Dataset(X, [1, -1]))
    x0 = [F(int(k), 8) for k in rng.integers(-8, 9, size=net.n_params)]
    r = F(1, 8)
    b = pl.alpha(loss, x0, r, methods=("ntk", "schur"), starts=3)
    for _ in range(20):
        d = rng.standard_normal(net.n_params)
        pt = np.array([float(v) for v in x0]) + float(r) * rng.random() * d / np.linalg.norm(d)
        assert pl.ratio(loss, pt, "mp", 100) >= float(b.lower) * (1 - 1e-12)
    assert b.upper is None or b.lower <= b.upper


def test_bnb_refuses_high_dimension_and_names_the_alternative():
    loss = vf.SquareLoss(vf.MLP([3, 3, 1], "tanh"), vf.Dataset([[1, 0, 0]], [1]))
    with pytest.raises(SizeLimitError, match="ntk"):
        pl.alpha(loss, [F(1, 3)] * loss.n_params, F(1, 10), methods=("bnb",))
    logistic = vf.LogisticLoss(vf.MLP([3, 3, 1], "tanh"), vf.Dataset([[1, 0, 0]], [1]))
    with pytest.raises(SizeLimitError, match="no certified lower bound"):
        pl.alpha(logistic, [F(1, 3)] * logistic.n_params, F(1, 10))


# ------------------------------------------------------------------ the criterion
@pytest.mark.parametrize("r, expected", [("0.2", "REFUTED"), ("0.23", "PROVED"), ("0.5", "PROVED"),
                                         ("0.9", "PROVED"), ("0.97", "PROVED"), ("0.98", "REFUTED"),
                                         ("1.1", "REFUTED")])
def test_quartic_criterion_holds_exactly_on_its_r_interval(r, expected):
    """docs/theory/local_pl.md §5.2: at x0 = 1.2 the criterion holds iff r ∈ (0.2258, 0.9742)."""
    assert pl.chatterjee(QUARTIC, [F(6, 5)], F(r)).verdict.value == expected


def test_x_squared_criterion_is_sharp():
    assert pl.chatterjee(SQUARE, [1], F(101, 100)).verdict == vf.Verdict.PROVED
    edge = pl.chatterjee(SQUARE, [1], 1)  # 4·1 < 1·4 fails with equality: the constant 4 is sharp
    assert edge.verdict == vf.Verdict.REFUTED
    assert pl.chatterjee(SQUARE, [0], 1).verdict == vf.Verdict.PROVED  # L(x0) = 0 and α = 4 > 0


def test_negative_control_with_a_spurious_minimum_is_refuted_for_every_radius():
    for r in (F(1, 4), F(1, 2), 1, 2, 5):
        assert pl.chatterjee(SPURIOUS, [F(-3, 2)], r).verdict == vf.Verdict.REFUTED


def test_gd_criterion_reproduces_the_derived_constants():
    res = pl.chatterjee_gd(QUARTIC, [F(6, 5)], F(3, 5))
    c = res.certificate
    assert res.verdict == vf.Verdict.PROVED
    # the box radius is stored as a 30-bit magnitude (rounded up): β is exact to ~1e−8
    assert 8.72 <= float(c["beta_upper"]) < 8.72 + 1e-6 and abs(float(c["eta_max"]) - 0.0891947) < 1e-6
    q = pl.chatterjee_gd(QUARTIC, [F(6, 5)], F(3, 5), eta=F(9, 10) * c["eta_max"]).quantity.value
    assert abs(float(q) - 0.9249) < 1e-3
    assert pl.chatterjee_gd(QUARTIC, [F(6, 5)], F(3, 5), eta=F(1, 10)).verdict == vf.Verdict.INCONCLUSIVE


def test_output_scale_makes_the_criterion_provable():
    """docs/theory/local_pl.md §6 claim 9: with W1 = 0 and output weights λ, L(θ0) is fixed and the bound grows
    like λ²."""
    net = vf.MLP([3, 4, 4, 1], "tanh")
    loss = vf.SquareLoss(net, vf.Dataset([[1, 0, F(1, 2)], [0, 1, -1]], [1, -1]))
    assert pl.chatterjee(loss, vf.init.positive(net, 2), F(1, 10)).verdict == vf.Verdict.INCONCLUSIVE
    res = pl.chatterjee(loss, vf.init.positive(net, 16), F(1, 10))
    assert res.verdict == vf.Verdict.PROVED and res.certificate["alpha_lower_method"] == "first-layer Schur bound"


@pytest.mark.parametrize("r", [0, -1, float("nan")])
def test_bad_radius(r):
    with pytest.raises(InputError):
        pl.chatterjee(SQUARE, [1], r)


def test_negative_objective_is_an_error():
    with pytest.raises(InputError, match="L ≥ 0"):
        pl.chatterjee(vf.Objective.from_sympy(X_**2 - 4, [X_]), [1], 1)
