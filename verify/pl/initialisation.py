"""Positive versus random initialisation, and Chatterjee's probabilistic corollary (arXiv:2203.16462;
``docs/theory/local_pl.md`` §3.3 and §6 claims 7–12).

Chatterjee's results for deep networks start from a *positive* initialisation (first layer 0, middle layers
positive, output layer = λ; :func:`verify.init.positive`) on n ≤ d **linearly independent** inputs; his
corollary for random initialisations says the criterion 4L(x0) < r²α(x0, r) holds with high probability once
the output scale is large enough. This module measures both on real data:

* :func:`exact_rank`, :func:`linearly_independent` — the rank of the exact rational data matrix (fraction-free
  elimination in FLINT's ``fmpq_mat``): linear independence is *certified*, not estimated from a float SVD.
* :func:`steps_to_loss` — a float64 GD run from θ0 and the first step k with L(θ_k) ≤ ε (numerical
  evidence; η defaults to 1/λ_max(∇²L(θ0)) estimated in float64).
* :func:`compare_initialisations` — steps to ε for the positive initialisation and for Xavier/He at the same
  width over seeds, with the certified criterion at radius r for each initial point where asked
  (:func:`verify.pl.chatterjee`, PROVED/REFUTED/INCONCLUSIVE per point).
* :func:`criterion_probability` — the fraction of random initialisations (output layer × ``output_scale``)
  for which the criterion is **certified**, with an exact Clopper–Pearson interval (:func:`clopper_pearson`).
  Its verdict is **SUPPORTED** at best: a statistical statement about the sampling distribution, not a proof.
  Each certified point is a proof about that point; the interval bounds the probability of certification
  (hence from below the probability that the criterion holds), at the stated confidence level.

Items (seeds, initialisations) run through :func:`verify.parallel.pmap` (``executor=``: a process pool or a
dask executor); results do not depend on the executor.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .. import init as vinit
from .. import validate as V
from ..errors import InputError
from ..models.dataset import Dataset
from ..parallel import Shared, check_executor, pmap
from ..result import Quantity, Result, Verdict
from .criterion import chatterjee

KINDS = ("positive", "xavier", "he")
#: bits of the dyadic grid on which Clopper–Pearson endpoints are rounded outward
CP_BITS = 48


# ------------------------------------------------------------------------------------ linear independence
def exact_rank(X) -> int:
    """The rank of a rational matrix (a Dataset's ``X_exact``, or anything :class:`verify.Dataset` accepts as X),
    computed exactly (FLINT ``fmpq_mat.rank``)."""
    from flint import fmpq, fmpq_mat

    Xq = X.X_exact if isinstance(X, Dataset) else Dataset(X, [0] * len(X)).X_exact
    n, d = Xq.shape
    M = fmpq_mat(n, d, [fmpq(q.numerator, q.denominator) for q in Xq.ravel()])
    return int(M.rank())


def linearly_independent(data) -> bool:
    """True iff the n data points are linearly independent (certified: exact rank = n; needs n ≤ d)."""
    Xq = data.X_exact if isinstance(data, Dataset) else Dataset(data, [0] * len(data)).X_exact
    return Xq.shape[0] <= Xq.shape[1] and exact_rank(Xq) == Xq.shape[0]


def _require_independent(objective):
    data = getattr(objective, "data", None)
    if data is None:
        raise InputError("expected a network loss (vf.SquareLoss(net, data)): the comparison needs the data")
    n, d = data.n, data.d
    if n > d:
        raise InputError(f"Chatterjee's positive-initialisation setting needs n ≤ d linearly independent inputs; "
                         f"got n = {n} > d = {d}: use fewer points (e.g. datasets.digits(n=...))")
    rank = exact_rank(data)
    if rank < n:
        raise InputError(f"the {n} inputs are not linearly independent (exact rank {rank} < {n}; duplicated or "
                         "dependent points): choose another subset (another seed)")
    return rank


# ------------------------------------------------------------------------------------ initial points
def initial_point(net, kind: str, seed: int, output_scale=1) -> np.ndarray:
    """θ0 as exact rationals: ``positive`` — :func:`verify.init.positive` (output layer = output_scale);
    ``xavier``/``he`` — :func:`verify.init.xavier`/:func:`verify.init.he` with the output layer's weights
    multiplied by ``output_scale`` (the float64 draws are kept exactly as their binary values)."""
    V.one_of(kind, KINDS, "kind")
    seed = V.nonneg_int(seed, "seed")
    lam = V.positive_rational(output_scale, "output_scale")
    if kind == "positive":
        return vinit.positive(net, lam, seed=seed)
    th = (vinit.xavier if kind == "xavier" else vinit.he)(net, seed=seed)
    out = np.array([Fraction(float(v)) for v in th], dtype=object)
    last = max(b.layer for b in net.layout.blocks)
    for blk in net.layout.blocks:
        if blk.layer == last:
            out[blk.slice] = [v * lam for v in out[blk.slice]]
    return out


# ------------------------------------------------------------------------------------ float GD runs
def _auto_eta(objective, th: np.ndarray) -> float:
    H = np.asarray(objective.hessian(th, "float"), dtype=float)
    lam = float(np.max(np.linalg.eigvalsh((H + H.T) / 2))) if np.all(np.isfinite(H)) else math.inf
    return 1.0 / lam if math.isfinite(lam) and lam > 0 else 1.0


def steps_to_loss(objective, theta0, eps, *, eta="auto", max_steps: int = 10_000) -> dict:
    """Float64 GD θ_{k+1} = θ_k − η∇L(θ_k) from θ0; the first k with L(θ_k) ≤ ε (``steps``; None when not
    reached within ``max_steps`` or when the run diverges: a non-finite loss, or L > 10⁶·L(θ0)).
    ``eta="auto"``: η = 1/λ_max(∇²L(θ0)) (float64 eigenvalues; 1 when λ_max ≤ 0). Numerical evidence only."""
    eps_f = V.finite_float(eps, "eps")
    if eps_f <= 0:
        raise InputError(f"eps must be > 0, got {eps!r}")
    max_steps = V.positive_int(max_steps, "max_steps")
    th = np.array([float(v) for v in theta0], dtype=float)
    if th.shape != (objective.n_params,) or not np.all(np.isfinite(th)):
        raise InputError(f"theta0 must be {objective.n_params} finite numbers")
    eta_f = _auto_eta(objective, th) if isinstance(eta, str) and eta == "auto" else V.finite_float(eta, "eta")
    if eta_f <= 0:
        raise InputError(f"eta must be > 0 or 'auto', got {eta!r}")
    L0 = float(objective.value(th, "float"))
    k, diverged = 0, False
    while True:
        L, g = objective.value_and_grad(th, "float")
        L = float(L)
        if not math.isfinite(L) or L > 1e6 * max(L0, eps_f):
            diverged = True
            break
        if L <= eps_f or k == max_steps:
            break
        th = th - eta_f * np.asarray(g, dtype=float)
        k += 1
    reached = (not diverged) and math.isfinite(L) and L <= eps_f
    return {"steps": k if reached else None, "final_loss": L, "initial_loss": L0, "eta": eta_f,
            "diverged": diverged, "max_steps": max_steps}


def _run_item(shared, item):
    objective, eps, eta, max_steps, r, prec, alpha_kw = shared
    kind, seed, scale = item
    th = initial_point(objective.net, kind, seed, scale)
    out = {"kind": kind, "seed": seed, **steps_to_loss(objective, th, eps, eta=eta, max_steps=max_steps)}
    if r is not None:
        t0 = time.perf_counter()
        res = chatterjee(objective, th, r, prec=prec, **alpha_kw)
        out.update(criterion=res.verdict.value, criterion_time=time.perf_counter() - t0,
                   alpha_lower=res.certificate.get("alpha", [None])[0])
    return out


@dataclass
class InitComparison:
    """Per-kind runs (``runs[kind]`` a list of dicts: seed, steps, final_loss, eta, diverged, and ``criterion``
    — the verdict of Chatterjee's criterion at θ0 — when ``r`` was given); ``median_steps[kind]`` over the runs
    that reached ε (None if none did); ``reached[kind]`` how many did; ``rank`` the certified rank of X."""

    runs: dict
    median_steps: dict
    reached: dict
    rank: int
    settings: dict = field(default_factory=dict)

    def table(self) -> str:
        rows = [f"{'init':>9} {'reached':>8} {'median steps':>13} {'criterion PROVED':>17}"]
        for k, runs in self.runs.items():
            pr = sum(1 for x in runs if x.get("criterion") == "PROVED")
            crit = f"{pr}/{len(runs)}" if any("criterion" in x for x in runs) else "-"
            med = self.median_steps[k]
            rows.append(f"{k:>9} {self.reached[k]:>5}/{len(runs):<2} {('-' if med is None else f'{med:g}'):>13} "
                        f"{crit:>17}")
        return "\n".join(rows)


def compare_initialisations(objective, *, scale, eps, seeds=range(5), kinds=KINDS, eta="auto",
                            max_steps: int = 10_000, r=None, random_output_scale=1, prec: int = 128,
                            executor=None, **alpha_kw) -> InitComparison:
    """Steps to reach L ≤ ε from the positive initialisation (output scale ``scale``) and from Xavier/He (output
    layer × ``random_output_scale``, 1 = the standard draws) of the same network, for each seed; with ``r``,
    also Chatterjee's criterion at each θ0 (certified, :func:`verify.pl.chatterjee`). The data must be n ≤ d
    linearly independent points (certified by the exact rank; refused otherwise). GD runs are float64
    (numerical evidence); the criterion verdicts are certified per point."""
    rank = _require_independent(objective)
    V.positive_rational(scale, "scale")
    kinds = tuple(kinds)
    for k in kinds:
        V.one_of(k, KINDS, "kind")
    seeds = [V.nonneg_int(s, "seed") for s in seeds]
    if not seeds or not kinds:
        raise InputError("need at least one seed and one kind")
    rq = None if r is None else V.positive_rational(r, "r")
    executor = check_executor(executor)
    items = [(k, s, scale if k == "positive" else random_output_scale) for k in kinds for s in seeds]
    sh = Shared((objective, eps, eta, max_steps, rq, V.precision(prec), alpha_kw), "the objective",
                keep=(objective,))
    out = pmap(_run_item, items, shared=sh, executor=executor, what="initialisations")
    runs = {k: [o for o in out if o["kind"] == k] for k in kinds}
    med = {k: (statistics.median([o["steps"] for o in v if o["steps"] is not None])
               if any(o["steps"] is not None for o in v) else None) for k, v in runs.items()}
    reached = {k: sum(1 for o in v if o["steps"] is not None) for k, v in runs.items()}
    return InitComparison(runs, med, reached, rank, {"scale": scale, "eps": eps, "eta": eta, "max_steps": max_steps,
                                                      "r": rq, "random_output_scale": random_output_scale})


# ------------------------------------------------------------------------------------ Clopper–Pearson
def _tail_ge(k: int, n: int, m: int, D: int) -> int:
    """D^n · P(X ≥ k) for X ~ Bin(n, m/D), exactly (an integer)."""
    return sum(math.comb(n, j) * m**j * (D - m) ** (n - j) for j in range(k, n + 1))


def _tail_ge_ball(k: int, n: int, m: int, D: int, prec: int):
    """An Arb enclosure of P(X ≥ k) for X ~ Bin(n, p), p = m/D ∈ (0, 1) (exact dyadic), at ``prec`` bits: the terms
    C(n, j) p^j (1 − p)^(n−j) by the ratio recurrence t_{j+1} = t_j · (n − j)/(j + 1) · p/(1 − p), every
    operation enclosed (n terms instead of the exact sum's n big-integer products of ~n·bits bits each)."""
    from flint import arb, fmpz

    from ..arith.ball import _ArbPrec

    with _ArbPrec(prec):
        p = arb(fmpz(m)) / arb(fmpz(D))
        q = arb(fmpz(D - m)) / arb(fmpz(D))
        t = arb(fmpz(math.comb(n, k))) * p**k * q ** (n - k)
        ratio = p / q
        total = t
        for j in range(k, n):
            t = t * (n - j) / (j + 1) * ratio
            total += t
        return total


def _tail_cmp(k: int, n: int, m: int, D: int, c: Fraction) -> int:
    """The sign of P(X ≥ k | p = m/D) − c (−1, 0 or 1), decided from Arb enclosures at 128 then 512 bits (exact
    endpoints compared), and by the exact integer sum only when both are undecided (a tie, or a tail within the
    enclosures' width of c)."""
    from ..arith.decide import bounds

    if 0 < m < D:
        for prec in (128, 512):
            lo, hi = bounds(_tail_ge_ball(k, n, m, D, prec))
            if hi < c:
                return -1
            if lo > c:
                return 1
    lhs, rhs = _tail_ge(k, n, m, D) * c.denominator, c.numerator * D**n
    return (lhs > rhs) - (lhs < rhs)


def clopper_pearson(k: int, n: int, level=Fraction(95, 100), bits: int = CP_BITS) -> tuple[Fraction, Fraction]:
    """The exact (Clopper–Pearson 1934) two-sided interval for a binomial proportion after k successes in n
    trials at confidence ``level`` = 1 − a: p_lo solves P(X ≥ k | p_lo) = a/2 (0 when k = 0), p_hi solves
    P(X ≤ k | p_hi) = a/2 (1 when k = n). Both are found by bisection on the dyadic grid j/2^bits with the
    binomial tails summed in exact integer arithmetic, and rounded **outward** (p_lo down, p_hi up), so the
    interval contains the exact Clopper–Pearson interval and its coverage is at least ``level``."""
    n = V.positive_int(n, "n (trials)")
    k = V.integer(k, "k (successes)", minimum=0, maximum=n)
    lv = V.rational(level, "level")
    if not 0 < lv < 1:
        raise InputError(f"level must lie in (0, 1), got {level!r}")
    bits = V.integer(bits, "bits", minimum=8, maximum=256)
    a2 = (1 - lv) / 2
    D = 2**bits

    if k == 0:
        lo = Fraction(0)
    else:  # P(X ≥ k | p) increases in p: the largest m with P ≤ a/2 (then m/D ≤ p_lo)
        a_, b_ = 0, D  # P(0) = 0 ≤ a/2; P(D) = 1 > a/2
        while b_ - a_ > 1:
            mid = (a_ + b_) // 2
            if _tail_cmp(k, n, mid, D, a2) <= 0:
                a_ = mid
            else:
                b_ = mid
        lo = Fraction(a_, D)
    if k == n:
        hi = Fraction(1)
    else:  # P(X ≤ k | p) = 1 − P(X ≥ k+1 | p) decreases in p: the smallest m with P(X ≤ k) ≤ a/2,
        # i.e. P(X ≥ k+1 | p) ≥ 1 − a/2
        a_, b_ = 0, D  # at m = 0: P(X ≤ k) = 1 > a/2; at m = D: 0 ≤ a/2

        def le_ok(m):
            return _tail_cmp(k + 1, n, m, D, 1 - a2) >= 0

        while b_ - a_ > 1:
            mid = (a_ + b_) // 2
            if le_ok(mid):
                b_ = mid
            else:
                a_ = mid
        hi = Fraction(b_, D)
    return lo, hi


def _criterion_item(shared, seed):
    objective, kind, scale, r, prec, alpha_kw = shared
    th = initial_point(objective.net, kind, seed, scale)
    t0 = time.perf_counter()
    res = chatterjee(objective, th, r, prec=prec, **alpha_kw)
    return {"seed": seed, "verdict": res.verdict.value, "time": time.perf_counter() - t0,
            "alpha_lower": res.certificate.get("alpha", [None])[0]}


def criterion_probability(objective, r, *, output_scale, kind: str = "he", samples: int = 20, seed0: int = 0,
                          level=Fraction(95, 100), prec: int = 128, executor=None, **alpha_kw) -> Result:
    """The probabilistic corollary, measured: draw ``samples`` random initialisations (``kind`` ``"he"`` or
    ``"xavier"``, seeds seed0, seed0+1, …, output layer × ``output_scale``), certify Chatterjee's criterion at
    radius r at each (:func:`verify.pl.chatterjee`), and report the fraction k/N certified with the exact
    Clopper–Pearson interval at confidence ``level`` (:func:`clopper_pearson`).

    Verdict **SUPPORTED** (a statistical statement: with probability ≥ level over the draw of the seeds — seeds
    standing for independent draws — the probability p that a random initialisation is *certified* lies in the
    interval; p is a lower bound of the probability that the criterion holds). Each per-seed verdict in the
    certificate is a proof about that seed's point only. INCONCLUSIVE when N = 0 (refused) never arises."""
    V.one_of(kind, ("xavier", "he"), "kind")
    rq = V.positive_rational(r, "r")
    V.positive_rational(output_scale, "output_scale")
    samples = V.positive_int(samples, "samples", maximum=100_000)
    seed0 = V.nonneg_int(seed0, "seed0")
    prec = V.precision(prec)
    lv = V.rational(level, "level")
    if not 0 < lv < 1:
        raise InputError(f"level must lie in (0, 1), got {level!r}")
    if getattr(objective, "net", None) is None:
        raise InputError("expected a network loss (vf.SquareLoss(net, data))")
    executor = check_executor(executor)
    t0 = time.perf_counter()
    sh = Shared((objective, kind, output_scale, rq, prec, alpha_kw), "the objective", keep=(objective,))
    per = pmap(_criterion_item, list(range(seed0, seed0 + samples)), shared=sh, executor=executor, what="seeds")
    k = sum(1 for x in per if x["verdict"] == "PROVED")
    refuted = sum(1 for x in per if x["verdict"] == "REFUTED")
    lo, hi = clopper_pearson(k, samples, lv)
    frac = Fraction(k, samples)
    msg = (f"SUPPORTED (statistical evidence, not a proof): the criterion 4L(x0) < r²α(x0, r) at r = {float(rq):.6g} "
           f"was certified (PROVED) at {k} of {samples} {kind} initialisations with output scale "
           f"{float(V.rational(output_scale, 'output_scale')):.6g} ({refuted} REFUTED, {samples - k - refuted} "
           f"INCONCLUSIVE); Clopper–Pearson {float(lv):.4g}-interval for the probability of certification: "
           f"[{float(lo):.4f}, {float(hi):.4f}] (exact binomial tails, endpoints rounded outward)")
    return Result(Verdict.SUPPORTED, claim=(f"probability that a random {kind} initialisation (output × "
                                            f"{output_scale}) satisfies Chatterjee's criterion at r = {rq}"),
                  quantity=Quantity("fraction certified", frac, (lo, hi)),
                  certificate={"per_seed": per, "certified": k, "refuted": refuted, "samples": samples,
                               "clopper_pearson": [lo, hi], "level": lv, "kind": kind, "output_scale": output_scale,
                               "r": rq, "seeds": [seed0, seed0 + samples - 1]},
                  arithmetic="float", precision=prec, seed=seed0, elapsed=time.perf_counter() - t0, message=msg)


__all__ = ["exact_rank", "linearly_independent", "initial_point", "steps_to_loss", "compare_initialisations",
           "InitComparison", "clopper_pearson", "criterion_probability"]
