"""Positive vs random initialisation on digits, exact linear independence, exact Clopper–Pearson intervals and
the probabilistic corollary as SUPPORTED evidence (Chatterjee, arXiv:2203.16462; docs/theory/local_pl.md §3.3)."""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pytest
import sympy as sp

import verify as vf
from verify import datasets
from verify.errors import InputError
from verify.pl import initialisation as I

pytest.importorskip("sklearn")
X_ = sp.Symbol("x")
SQUARE = vf.Objective.from_sympy(X_**2, [X_])


def test_exact_rank_and_linear_independence():
    data = datasets.digits(n=5, seed=0)
    assert I.exact_rank(data) == 5 and I.linearly_independent(data)
    # a duplicated point, and a point that is a rational combination of two others: rank drops exactly
    X = [list(r) for r in data.X_exact[:3]]
    dup = X + [X[0]]
    comb = X + [[a / 3 + 2 * b for a, b in zip(X[0], X[1])]]
    assert I.exact_rank(dup) == 3 and not I.linearly_independent(dup)
    assert I.exact_rank(comb) == 3 and not I.linearly_independent(comb)
    # a perturbation of 2^-60 in one entry restores full rank (a float SVD would call it rank-deficient)
    comb[3][10] += F(1, 2**60)
    assert I.exact_rank(comb) == 4
    assert not I.linearly_independent([[1, 0], [0, 1], [1, 1]])  # n > d


def test_the_comparison_refuses_dependent_or_too_many_points():
    data = datasets.digits(n=3, seed=0)
    X = np.vstack([data.X_exact, data.X_exact[:1]])
    net = vf.MLP([64, 2, 2, 1], "tanh")
    with pytest.raises(InputError, match="not linearly independent"):
        I.compare_initialisations(vf.SquareLoss(net, vf.Dataset(X, [1, -1, 1, 1])), scale=2, eps=F(1, 10))
    small = vf.MLP([4, 2, 2, 1], "tanh")
    iris = datasets.iris(n=6)
    with pytest.raises(InputError, match="n ≤ d"):
        I.compare_initialisations(vf.SquareLoss(small, iris), scale=2, eps=F(1, 10))


def test_steps_to_loss_on_a_quadratic_and_divergence():
    run = I.steps_to_loss(SQUARE, [1], 1e-6, eta=0.25)  # x_k = 2^-k, L_k = 4^-k ≤ 1e-6 first at k = 10
    assert run["steps"] == 10 and run["final_loss"] == 4.0**-10
    assert I.steps_to_loss(SQUARE, [1], 1e-6)["steps"] == 1  # auto η = 1/λ_max = 1/2 jumps to 0
    bad = I.steps_to_loss(SQUARE, [1], 1e-6, eta=2)  # x ↦ −3x
    assert bad["steps"] is None and bad["diverged"]
    slow = I.steps_to_loss(SQUARE, [1], 1e-6, eta=0.25, max_steps=5)
    assert slow["steps"] is None and not slow["diverged"] and slow["final_loss"] == 4.0**-5
    assert I.steps_to_loss(SQUARE, [0], 1e-6)["steps"] == 0
    for kw in (dict(eps=0), dict(eps=float("nan")), dict(eps=1, eta=-1), dict(eps=1, max_steps=0)):
        with pytest.raises(InputError):
            I.steps_to_loss(SQUARE, [1], **kw)


def test_positive_vs_random_on_a_digits_subset_with_the_certified_criterion():
    data = datasets.digits(n=3, seed=1)
    net = vf.MLP([64, 2, 2, 1], "tanh")
    loss = vf.SquareLoss(net, data)
    c = I.compare_initialisations(loss, scale=1024, eps=1e-2, seeds=range(2), max_steps=400, r=F(1, 100), starts=0)
    assert c.rank == 3 and set(c.runs) == {"positive", "xavier", "he"}
    assert all(len(v) == 2 for v in c.runs.values())
    # the positive initialisation at output scale 1024 satisfies the criterion on B(θ0, 1/100), certified
    assert all(r["criterion"] == "PROVED" for r in c.runs["positive"])
    # and every initial point of the positive initialisation has L(θ0) = mean(y²) = 1 (output ≡ 0)
    assert all(r["initial_loss"] == 1.0 for r in c.runs["positive"])
    for k, runs in c.runs.items():
        done = [r["steps"] for r in runs if r["steps"] is not None]
        assert c.reached[k] == len(done) and (c.median_steps[k] is None) == (not done)
    assert "median steps" in c.table()
    with pytest.raises(InputError):
        I.compare_initialisations(loss, scale=2, eps=1e-2, kinds=("orthogonal",))


def test_initial_points_are_exact_and_scaled():
    net = vf.MLP([4, 3, 3, 1], "tanh")
    base = I.initial_point(net, "he", 3)
    scaled = I.initial_point(net, "he", 3, F(7, 3))
    last = [b for b in net.layout.blocks if b.layer == max(b.layer for b in net.layout.blocks)][0]
    assert all(isinstance(v, F) for v in scaled)
    assert list(scaled[last.slice]) == [v * F(7, 3) for v in base[last.slice]]
    assert list(scaled[: last.slice.start]) == list(base[: last.slice.start])
    assert [float(v) for v in base] == list(vf.init.he(net, seed=3))
    with pytest.raises(InputError):
        I.initial_point(net, "he", 0, 0)


@pytest.mark.parametrize("k,n", [(0, 1), (1, 1), (0, 10), (3, 10), (10, 10), (17, 40), (1, 60)])
def test_clopper_pearson_is_outward_rounded_and_matches_scipy(k, n):
    from scipy.stats import beta

    lo, hi = I.clopper_pearson(k, n)
    ref_lo = 0.0 if k == 0 else beta.ppf(0.025, k, n - k + 1)
    ref_hi = 1.0 if k == n else beta.ppf(0.975, k + 1, n - k)
    assert abs(float(lo) - ref_lo) < 1e-9 and abs(float(hi) - ref_hi) < 1e-9
    # exact coverage conditions at the endpoints: P(X ≥ k | lo) ≤ 2.5 % and P(X ≤ k | hi) ≤ 2.5 %, and one grid
    # step inward they fail (the endpoints are the outward-rounded exact Clopper–Pearson bounds)

    def tail_ge(p, kk):
        return sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(kk, n + 1))

    step = F(1, 2**I.CP_BITS)
    a2 = F(1, 40)
    if k > 0:
        assert tail_ge(lo, k) <= a2 < tail_ge(lo + step, k)
    if k < n:
        assert 1 - tail_ge(hi, k + 1) <= a2 < 1 - tail_ge(hi - step, k + 1)


@pytest.mark.parametrize("args", [(-1, 5), (6, 5), (1, 0), (1.0, 5)])
def test_clopper_pearson_bad_counts(args):
    with pytest.raises(InputError):
        I.clopper_pearson(*args)


@pytest.mark.parametrize("level", [0, 1, F(3, 2), float("nan")])
def test_clopper_pearson_bad_level(level):
    with pytest.raises(InputError):
        I.clopper_pearson(1, 5, level)


def test_the_probabilistic_corollary_is_supported_evidence_never_proved():
    data = datasets.digits(n=3, seed=1)
    loss = vf.SquareLoss(vf.MLP([64, 2, 2, 1], "tanh"), data)
    res = I.criterion_probability(loss, F(1, 100), output_scale=16, samples=3, starts=0)
    assert res.verdict == vf.Verdict.SUPPORTED and not res.certified
    c = res.certificate
    assert c["samples"] == 3 and len(c["per_seed"]) == 3 and res.quantity.value == F(c["certified"], 3)
    assert tuple(c["clopper_pearson"]) == I.clopper_pearson(c["certified"], 3)
    assert "not a proof" in res.message
    with pytest.raises(InputError):
        I.criterion_probability(loss, F(1, 100), output_scale=16, kind="positive")
    with pytest.raises(InputError):
        I.criterion_probability(loss, 0, output_scale=16)


@pytest.mark.slow
def test_the_corollary_through_a_process_pool_gives_the_same_verdicts():
    from concurrent.futures import ProcessPoolExecutor

    data = datasets.digits(n=4, seed=2)
    loss = vf.SquareLoss(vf.MLP([64, 3, 3, 1], "tanh"), data)
    seq = I.criterion_probability(loss, F(1, 50), output_scale=4, samples=6, starts=0)
    with ProcessPoolExecutor(2) as ex:
        par = I.criterion_probability(loss, F(1, 50), output_scale=4, samples=6, starts=0, executor=ex)
    assert [x["verdict"] for x in seq.certificate["per_seed"]] == [x["verdict"] for x in par.certificate["per_seed"]]
    assert seq.quantity.enclosure == par.quantity.enclosure
