"""pl.criterion_radii: the certified set of radii where Chatterjee's criterion 4L(x0) < r²α(x0, r) holds
(arXiv:2203.16462; docs/theory/local_pl.md §1.2, §5.2), against closed forms, near the threshold, and bad input."""

from __future__ import annotations

import math
from fractions import Fraction as F

import pytest
import sympy as sp

import verify as vf
from verify import datasets
from verify.errors import InputError
from verify.pl.radii import criterion_radii

X_ = sp.Symbol("x")
SQUARE = vf.Objective.from_sympy(X_**2, [X_])
QUARTIC = vf.Objective.from_sympy((X_**2 - 1) ** 2 / 4, [X_])
SPURIOUS = vf.Objective.from_sympy((X_**2 - 1) ** 2 + F(3, 10) * (X_ - 1) ** 2, [X_])

# quartic at x0 = 6/5: the criterion holds exactly for r in (r−, r+), r± = 0.6 ± √0.14 (docs/theory/local_pl.md §5.2)
R_MINUS, R_PLUS = 0.6 - math.sqrt(0.14), 0.6 + math.sqrt(0.14)


def _inside(iv, lo, hi):
    return all(lo < a and b < hi for a, b in iv)


def test_quartic_set_lies_inside_the_true_interval_and_its_complement_is_refuted():
    R = criterion_radii(QUARTIC, [F(6, 5)], F(1, 10), 2, max_evals=20)
    assert R.result.verdict == vf.Verdict.PROVED and R.holds
    # the certified set is inside (r−, r+) (a float margin of 1e-9 below the exact endpoints' irrational values)
    assert _inside(R.holds, R_MINUS - 1e-9, R_PLUS + 1e-9)
    # the certified failures are outside the open interval
    assert all(b <= R_MINUS + 1e-9 or a >= R_PLUS - 1e-9 for a, b in R.fails)
    # and it is nearly all of it
    assert sum(float(b - a) for a, b in R.holds) > 0.9 * (R_PLUS - R_MINUS)
    assert R.contains(F(1, 2)) and not R.contains(F(1, 10))
    # the cells partition [r_min, r_max]
    cells = sorted(R.holds + R.fails + R.undecided)
    assert cells[0][0] == F(1, 10) and cells[-1][1] == 2
    assert all(a[1] == b[0] for a, b in zip(cells, cells[1:]))
    assert R.result.scope["intervals"] == R.holds and R.result.scope["count"] == len(R.holds)


def test_every_certified_radius_is_confirmed_by_the_single_radius_check():
    R = criterion_radii(QUARTIC, [F(6, 5)], F(1, 5), 1, grid=4, max_evals=10)
    for a, b in R.holds:
        for r in (a, (a + b) / 2, b):
            assert vf.pl.chatterjee(QUARTIC, [F(6, 5)], r).verdict == vf.Verdict.PROVED
    for a, b in R.fails:
        for r in (a, b):
            assert vf.pl.chatterjee(QUARTIC, [F(6, 5)], r).verdict == vf.Verdict.REFUTED


def test_sharp_threshold_of_x_squared_is_never_crossed():
    """x² at x0 = 1: α ≡ 4, so the criterion is 4 < 4r², i.e. r > 1 exactly; r = 1 fails with equality."""
    R = criterion_radii(SQUARE, [1], F(1, 2), 3, max_evals=30)
    assert R.result.verdict == vf.Verdict.PROVED
    assert all(a > 1 for a, _ in R.holds) and R.holds[-1][1] == 3
    assert all(b <= 1 for _, b in R.fails) and R.fails[0][0] == F(1, 2)
    assert R.undecided and all(a <= 1 <= b for a, b in R.undecided)  # the cell at the threshold stays undecided
    assert min(a for a, _ in R.holds) - 1 < F(1, 1000)  # the refinement zooms in on r = 1
    # near-threshold ranges entirely on one side
    assert criterion_radii(SQUARE, [1], F(999, 1000), 1, grid=2, max_evals=2).result.verdict == vf.Verdict.REFUTED
    near = criterion_radii(SQUARE, [1], F(1001, 1000), F(1002, 1000), grid=2, max_evals=2)
    assert near.holds == [(F(1001, 1000), F(1002, 1000))]


def test_a_criterion_failing_for_every_radius_is_refuted():
    R = criterion_radii(SPURIOUS, [F(-3, 2)], F(1, 4), 5, max_evals=8)
    assert R.result.verdict == vf.Verdict.REFUTED and not R.holds and not R.undecided
    assert R.fails == [(F(1, 4), 5)]


def test_zero_loss_at_x0_reads_alpha_positive():
    R = criterion_radii(SQUARE, [0], F(1, 2), 1, grid=2, max_evals=2)
    assert R.holds == [(F(1, 2), 1)] and R.L0 == (0, 0)


def test_digits_network_at_the_positive_initialisation():
    """docs/theory/local_pl.md §6 claim 9: a large output scale makes the criterion provable on small balls."""
    pytest.importorskip("sklearn")
    data = datasets.digits(n=4, seed=0)
    net = vf.MLP([64, 3, 3, 1], "tanh")
    loss = vf.SquareLoss(net, data)
    x0 = vf.init.positive(net, 1024)
    R = criterion_radii(loss, x0, F(1, 1000), F(1, 20), grid=3, max_evals=4)
    assert R.result.verdict == vf.Verdict.PROVED and R.holds[0][0] == F(1, 1000)
    # the right end of the certified set is certified on its own by the single-radius check
    assert vf.pl.chatterjee(loss, x0, R.holds[-1][1]).verdict == vf.Verdict.PROVED


@pytest.mark.parametrize("kw", [dict(r_min=0, r_max=1), dict(r_min=-1, r_max=1), dict(r_min=float("nan"), r_max=1),
                                dict(r_min=1, r_max=float("inf")), dict(r_min=1, r_max=1), dict(r_min=2, r_max=1),
                                dict(r_min=1, r_max=2, grid=1), dict(r_min=1, r_max=2, grid=5, max_evals=3),
                                dict(r_min=1, r_max=2, target=1)])
def test_bad_radii_and_budgets_are_refused(kw):
    with pytest.raises(InputError):
        criterion_radii(SQUARE, [1], **kw)


def test_negative_loss_is_refused():
    with pytest.raises(InputError, match="L ≥ 0"):
        criterion_radii(vf.Objective.from_sympy(X_**2 - 4, [X_]), [1], F(1, 2), 1)
