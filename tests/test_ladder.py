"""The precision ladder (verify.arith.ladder) and the analyses that climb it: the cheapest rung decides when it
can, near-threshold inputs climb, and the verdict never depends on the rung."""

from fractions import Fraction as F

import numpy as np
import pytest
import sympy as sp
from flint import arb, fmpq
from hypothesis import given, settings
from hypothesis import strategies as st

import verify as vf
from verify import errors
from verify.arith import get_arith
from verify.arith.ladder import Rung, climb, point_in, rungs

B64A = get_arith("ball64")


def test_rungs_start_with_float64_balls_and_double_the_precision():
    assert [r.label for r in rungs()] == ["ball64", "ball@128", "ball@256", "ball@512"]
    assert [r.label for r in rungs(256, 1024, fast=False, exact=True)] == ["ball@256", "ball@512", "ball@1024",
                                                                          "exact"]
    with pytest.raises(errors.InputError):
        rungs(512, 256)
    with pytest.raises(errors.PrecisionError):
        rungs(max_prec=2**40)


def test_climb_stops_at_the_first_deciding_rung_and_records_every_attempt():
    seen = []

    def attempt(r):
        seen.append(r.label)
        if r.arith == "ball64":
            raise errors.RegionBoundaryError("a kink the float64 balls cannot separate")
        if r.prec == 128:
            return None  # enclosures too wide
        return "decided"

    run = climb(attempt, rungs())
    assert run.decided and run.value == "decided" and run.label == "ball@256"
    assert seen == ["ball64", "ball@128", "ball@256"]
    assert [a["outcome"].split(" ")[0] for a in run.attempts] == ["undecided", "undecided", "decided"]


def test_climb_lets_other_errors_through_and_reports_undecided_ladders():
    def bad(r):
        raise errors.ShapeError("not an undecided enclosure: a user error")

    with pytest.raises(errors.ShapeError):
        climb(bad, rungs())
    run = climb(lambda r: None, rungs(max_prec=128))
    assert not run.decided and run.value is None and run.label == "" and len(run.attempts) == 2


@settings(max_examples=60, deadline=None)
@given(st.fractions(), st.integers(-1070, 1000), st.integers(0, 6))
def test_point_in_encloses_rationals_and_arb_balls(q, e, rad_exp):
    x = q * F(2) ** e
    r = F(rad_exp, 7) * F(2) ** (e - 60)
    with_ball = arb(fmpq(x.numerator, x.denominator), fmpq(r.numerator, r.denominator))
    theta = np.array([x, with_ball, 0.1, F(1, 3)], dtype=object)
    try:
        b = point_in(Rung("ball64"), theta)
    except errors.NonFiniteError:
        assert abs(x) > F(2) ** 1000  # only numbers beyond the float64 range are refused
        return
    lo, hi = B64A.bounds(b)
    assert lo[0] <= x <= hi[0]
    blo, bhi = vf.arith.decide.bounds(with_ball)
    assert lo[1] <= blo and bhi <= hi[1]
    assert lo[2] == hi[2] == F(0.1)  # a float is its exact binary value, radius 0
    assert lo[3] <= F(1, 3) <= hi[3]


def test_point_in_leaves_other_rungs_alone_and_refuses_huge_numbers():
    th = np.array([F(1, 3)], dtype=object)
    assert point_in(Rung("ball", 128), th) is th
    with pytest.raises(errors.NonFiniteError):
        point_in(Rung("ball64"), np.array([F(2) ** 1100], dtype=object))


# ---------------------------------------------------------------------------------------- check_nonsingular
def _dead_loss():
    net = vf.MLP([2, 2, 1], "relu", bias=True)
    loss = vf.SquareLoss(net, vf.Dataset([[1, 2], [F(1, 3), -1], [2, 1]], [1, 0, F(1, 2)]))
    return loss, [-1, -1, -1, -1, -5, -5, 1, 1, F(1, 3)]


def test_nonsingular_near_an_exceptional_step_size_climbs_past_float64_balls():
    loss, dead = _dead_loss()
    easy = vf.gdmap.check_nonsingular(loss, F(1, 3), regions=[dead])
    assert easy.verdict == vf.Verdict.PROVED and easy.rung == "ball64" and easy.arithmetic == "ball64"
    at = vf.gdmap.check_nonsingular(loss, F(1, 2), regions=[dead])  # 1/2 is exceptional on this region
    assert at.verdict == vf.Verdict.REFUTED and at.rung == "exact"
    for eps in (F(1, 10**30), -F(1, 10**30)):
        near = vf.gdmap.check_nonsingular(loss, F(1, 2) + eps, regions=[dead])
        # float64 balls cannot separate det(I − ηH) from 0 here: Arb decides, the verdict is right
        assert near.verdict == vf.Verdict.PROVED and near.rung.startswith("ball@") and near.arithmetic == "ball"


def test_nonsingular_with_and_without_the_fast_rung_agree():
    rng = np.random.default_rng(3)
    net = vf.MLP([3, 4, 1], "tanh")
    loss = vf.SquareLoss(net, vf.Dataset(rng.normal(size=(4, 3)), rng.normal(size=4)))
    th = [F(int(v), 64) for v in rng.integers(-64, 64, size=net.n_params)]
    fast = vf.gdmap.check_nonsingular(loss, F(1, 5), regions=[th])
    slow = vf.gdmap.check_nonsingular(loss, F(1, 5), regions=[th], fast=False)
    assert fast.verdict == slow.verdict == vf.Verdict.PROVED
    assert fast.rung == "ball64" and slow.rung == "ball@128"
    assert fast.scope["regions"] == slow.scope["regions"]
    with pytest.raises(errors.InputError):
        vf.gdmap.check_nonsingular(loss, F(1, 5), regions=[th], fast="yes")


# ---------------------------------------------------------------------------------------- stability
@pytest.mark.parametrize("eps, verdict", [(0, vf.Verdict.INCONCLUSIVE), (F(1, 10**30), vf.Verdict.PROVED),
                                          (-F(1, 10**30), vf.Verdict.REFUTED)])
def test_stability_at_the_edge_of_stability_is_decided_by_arb_not_float64_balls(eps, verdict):
    """∇²L(0) = diag(5, 1) (tanh⁴ keeps the objective off the exact polynomial route): η = (2/5)(1 − ε) puts ηλ_max
    at the edge 2 exactly, 10⁻³⁰ inside it (stable) and 10⁻³⁰ beyond it (unstable). Float64 balls cannot separate
    ηλ_max from 2 there; a higher rung decides, correctly."""
    x, y = sp.symbols("x y")
    obj = vf.Objective.from_sympy((5 * x**2 + y**2 + sp.tanh(y) ** 4) / 2, [x, y])
    r = vf.stability.gd(obj, [0, 0], F(2, 5) * (1 - eps))
    assert r.verdict == verdict
    assert r.rung != "ball64"


def test_stability_far_from_the_edge_is_decided_by_float64_balls():
    x, y = sp.symbols("x y")
    obj = vf.Objective.from_sympy(sp.tanh(x) ** 2 + (x - y) ** 2, [x, y])
    r = vf.stability.gd(obj, [0, 0], F(1, 10))
    assert r.verdict == vf.Verdict.PROVED and r.rung == "ball64" and r.arithmetic == "ball64"
    back = vf.Result.from_json(r.to_json())
    assert back.rung == "ball64" and back.verdict == r.verdict


# ---------------------------------------------------------------------------------------- α
def test_ntk_bound_from_float64_balls_is_below_the_exact_value():
    A = [[2, 1, 0], [0, 1, 1]]  # AAᵀ = [[5, 1], [1, 2]]: α ≥ 2λ_min(AAᵀ) = 7 − √13
    loss = vf.SquareLoss(vf.MLP([3, 1], "identity"), vf.Dataset(A, [1, 2]), normalization="half_sum")
    lo = vf.pl.alpha_lower_ntk(loss, [0, 0, 0], 5)
    exact = 7 - sp.sqrt(13)
    assert lo > 0 and sp.Rational(lo.numerator, lo.denominator) <= exact
    assert float(exact) - float(lo) < 1e-12
    b = vf.pl.alpha(loss, [0, 0, 0], 5, methods=("ntk",))
    assert b.lower_method == "ntk (ball64)"


def test_point_in_covers_a_subnormal_arb_radius():
    """Regression (found by hypothesis): an Arb radius of ~4.9e-324 rounds to nearest in float64 and must still be
    covered."""
    x = F(3968473, 3) * F(2) ** -1042
    r = F(1, 7) * F(2) ** (-1042 - 60)
    ball = arb(fmpq(x.numerator, x.denominator), fmpq(r.numerator, r.denominator))
    b = point_in(Rung("ball64"), np.array([ball], dtype=object))
    lo, hi = B64A.bounds(b)
    blo, bhi = vf.arith.decide.bounds(ball)
    assert lo[0] <= blo and bhi <= hi[0]
