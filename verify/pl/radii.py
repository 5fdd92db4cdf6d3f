"""The certified set of radii r for which Chatterjee's criterion 4L(x0) < r²·α(x0, r) holds
(arXiv:2203.16462; ``docs/theory/local_pl.md`` §1.2).

α(x0, r) = inf {‖∇L(θ)‖²/L(θ) : θ ∈ B(x0, r), L(θ) > 0} is **non-increasing** in r (a larger ball has a
smaller infimum) while r² increases, so r²α(x0, r) need not be monotone and the set of good radii need not be
an interval. Monotonicity turns bounds at finitely many radii into statements about whole intervals:

* **holds on [r1, r2]** (0 < r1 < r2): for r ∈ [r1, r2], r²α(x0, r) ≥ r1²·α(x0, r2) ≥ r1²·α_lo(r2), so
  4·L_hi(x0) < r1²·α_lo(r2) proves the criterion for every such r. A certified lower bound at a larger radius
  is also one at every smaller radius, so the lower bound used for a cell is max_{ρ ≥ r2} α_lo(ρ) over the
  evaluated radii ρ (the *monotone envelope*).
* **fails on [r1, r2]**: r²α(x0, r) ≤ r2²·α(x0, r1) ≤ r2²·α_up(r1) (α_up from a certified witness in
  B(x0, r1) ⊆ B(x0, r) with L > 0), so 4·L_lo(x0) ≥ r2²·α_up(r1) refutes the criterion on the whole cell
  (envelope: min_{ρ ≤ r1} α_up(ρ)).
* otherwise the cell is **undecided**; undecided cells are split (at a short rational near their geometric
  middle) while the budget of α evaluations lasts, the widest (in log r) first.

Every comparison is on exact rational endpoints (:mod:`verify.arith.decide`); α bounds come from
:func:`verify.pl.alpha.alpha` (any of its methods; pass ``methods=``, ``max_boxes=``, ``executor=`` … through).
The verdict is for the claim "the criterion holds for some r ∈ [r_min, r_max]": PROVED when the certified set
is non-empty (its scope lists the intervals — the criterion holds for **every** r in each); REFUTED when every
cell of [r_min, r_max] is certified to fail; INCONCLUSIVE otherwise. When L(x0) = 0 the criterion reads α > 0
(see :func:`verify.pl.criterion.chatterjee`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

from .. import validate
from ..arith.decide import decide
from ..errors import EnclosureError, InputError, RegionBoundaryError
from ..result import Quantity, Result, Verdict, make_scope
from .alpha import _check_ball, alpha, exact_objective
from .criterion import _loss_enclosure

#: default number of radii of the initial (geometric) grid, endpoints included
GRID = 6
#: default budget of α evaluations (initial grid + refinements)
MAX_EVALS = 16


@dataclass
class CriterionRadii:
    """The radii for which 4L(x0) < r²α(x0, r) is certified (``holds``), certified to fail (``fails``) or
    undecided, as lists of closed intervals (r1, r2) of exact rationals, sorted and merged; ``evaluations``
    maps each evaluated radius to its certified (α_lo, α_up) (None where no bound was obtained);
    ``L0`` = (lo, hi) encloses L(x0); ``result`` is the :class:`~verify.result.Result` summary."""

    holds: list
    fails: list
    undecided: list
    evaluations: dict
    L0: tuple
    result: Result
    notes: list = field(default_factory=list)

    def contains(self, r) -> bool:
        """True when r lies in a certified interval (the criterion is PROVED for this r)."""
        q = validate.positive_rational(r, "r")
        return any(a <= q <= b for a, b in self.holds)

    def __repr__(self):
        def fmt(iv):
            return "[" + ", ".join(f"[{float(a):.6g}, {float(b):.6g}]" for a, b in iv) + "]"
        return (f"CriterionRadii({self.result.verdict.value}: holds {fmt(self.holds)}, fails {fmt(self.fails)}, "
                f"undecided {fmt(self.undecided)})")


def _short_between(lo: Fraction, hi: Fraction) -> Fraction:
    """A short rational strictly between lo < hi, near their geometric mean when both are positive."""
    target = Fraction(math.sqrt(float(lo) * float(hi))) if lo > 0 and math.isfinite(float(lo) * float(hi)) else \
        (lo + hi) / 2
    if not lo < target < hi:
        target = (lo + hi) / 2
    width = hi - lo
    for den_bits in range(1, 200):
        den = 2**den_bits
        q = Fraction(round(target * den), den)
        if lo < q < hi and abs(q - target) <= width / 4:
            return q
    return (lo + hi) / 2


def _grid(r_min: Fraction, r_max: Fraction, k: int) -> list[Fraction]:
    pts = [r_min]
    for i in range(1, k - 1):
        lo = pts[-1]
        t = Fraction(math.exp(math.log(float(r_min)) + i / (k - 1) * (math.log(float(r_max)) - math.log(float(r_min)))))
        if lo < t < r_max:
            pts.append(_short_between(max(lo, t - (t - lo) / 8), min(r_max, t + (r_max - t) / 8)))
    pts.append(r_max)
    return sorted(set(pts))


def _merge(cells) -> list:
    out = []
    for a, b in sorted(cells):
        if out and out[-1][1] == a:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def criterion_radii(objective, x0, r_min, r_max, *, grid: int = GRID, max_evals: int = MAX_EVALS, prec: int = 128,
                    **alpha_kw) -> CriterionRadii:
    """The certified set of radii r ∈ [r_min, r_max] (0 < r_min < r_max, exact rationals) where Chatterjee's
    criterion 4L(x0) < r²α(x0, r) holds (module docstring). ``grid`` radii (geometric spacing) are evaluated
    first, then undecided cells are split until ``max_evals`` α evaluations are spent. ``alpha_kw`` go to
    :func:`verify.pl.alpha.alpha` (``methods``, ``max_boxes``, ``starts``, ``executor`` …).

    A radius where α cannot be bounded (an enclosure failure, a kink in the box) gives no bound: its
    neighbouring cells stay undecided unless a neighbouring radius decides them through monotonicity."""
    t0 = time.perf_counter()
    x0q, rmin = _check_ball(objective, x0, r_min)
    rmax = validate.positive_rational(r_max, "r_max")
    if not rmin < rmax:
        raise InputError(f"need 0 < r_min < r_max, got r_min = {r_min!r}, r_max = {r_max!r} (for one radius use "
                         "pl.chatterjee)")
    grid = validate.integer(grid, "grid", minimum=2, maximum=10_000)
    max_evals = validate.integer(max_evals, "max_evals", minimum=grid, maximum=100_000)
    prec = validate.precision(prec)
    if "target" in alpha_kw:
        raise InputError("criterion_radii chooses α's target per radius; do not pass target=")
    objective = exact_objective(objective)
    L_lo, L_hi, _ = _loss_enclosure(objective, x0q, prec)
    if L_hi < 0:
        raise InputError(f"L(x0) < 0 (enclosure [{float(L_lo):.6g}, {float(L_hi):.6g}]): the criterion needs L ≥ 0")
    L_lo = max(L_lo, Fraction(0))  # L ≥ 0 is assumed by the theorem (a lower enclosure below 0 is loose)
    evals: dict = {}
    notes: list = []

    def evaluate(r, left):
        # the lower bound at r serves the cell [left, r]: it must exceed 4L_hi/left² (branch-and-bound may stop
        # once it does); at r_min only the upper bound is used
        target = 4 * L_hi / (left * left) if left is not None else Fraction(0)
        try:
            b = alpha(objective, x0q, r, prec=prec, target=target, **alpha_kw)
            evals[r] = (b.lower, b.upper)
            if b.note:
                notes.append(f"r = {float(r):.4g}: {b.note}")
        except (EnclosureError, RegionBoundaryError) as exc:
            evals[r] = (None, None)
            notes.append(f"r = {float(r):.4g}: no α bound ({exc})")

    pts = _grid(rmin, rmax, grid)
    for i, r in enumerate(pts):
        evaluate(r, pts[i - 1] if i else None)

    def classify():
        rs = sorted(evals)
        lo_env, best = {}, None  # max over ρ ≥ r of α_lo(ρ)
        for r in reversed(rs):
            lo = evals[r][0]
            if lo is not None and (best is None or lo > best):
                best = lo
            lo_env[r] = best
        up_env, best = {}, None  # min over ρ ≤ r of α_up(ρ)
        for r in rs:
            up = evals[r][1]
            if up is not None and (best is None or up < best):
                best = up
            up_env[r] = best
        hold, fail, und = [], [], []
        for a, b in zip(rs, rs[1:]):
            lo, up = lo_env[b], up_env[a]
            if lo is not None and decide(4 * L_hi, "<", a * a * lo) is True:
                hold.append((a, b))
            elif up is not None and decide(4 * L_lo, ">=", b * b * up) is True:
                fail.append((a, b))
            else:
                und.append((a, b))
        return hold, fail, und

    hold, fail, und = classify()
    while und and len(evals) < max_evals:
        a, b = max(und, key=lambda c: math.log(float(c[1]) / float(c[0])) if c[0] > 0 else math.inf)
        m = _short_between(a, b)
        if m in evals:  # cannot split further at this resolution
            break
        evaluate(m, a)
        hold, fail, und = classify()

    hold, fail, und = _merge(hold), _merge(fail), _merge(und)
    elapsed = time.perf_counter() - t0
    claim = (f"Chatterjee's criterion 4L(x0) < r²α(x0, r) holds for some r ∈ [{float(rmin):.6g}, {float(rmax):.6g}] "
             "(and for every r of the certified set)")
    cert = {"holds": hold, "fails": fail, "undecided": und, "L0": [L_lo, L_hi],
            "alpha_at": {r: list(v) for r, v in sorted(evals.items())}, "evaluations": len(evals)}

    def txt(iv):
        return ", ".join(f"[{float(a):.6g}, {float(b):.6g}]" for a, b in iv) or "∅"

    if hold:
        verdict, margin = Verdict.PROVED, None
        msg = (f"the criterion holds for every r in {txt(hold)} (certified: 4L_hi(x0) < r1²·α_lo(x0, r2) on each "
               f"cell [r1, r2]); it fails on {txt(fail)}; undecided on {txt(und)}")
        scope = make_scope("every radius r in the listed closed intervals: gradient flow from x0 stays in B(x0, r) "
                           "and converges to a zero of L there (Chatterjee, arXiv:2203.16462)", count=len(hold),
                           intervals=hold, x0=list(x0q), precision=prec, evaluations=len(evals))
    elif not und and fail:
        verdict, margin = Verdict.REFUTED, None
        msg = (f"the criterion fails for every r in [{float(rmin):.4g}, {float(rmax):.4g}] (certified: "
               "4L_lo(x0) ≥ r2²·α_up(x0, r1) on each cell, α_up from a witness with L > 0 in B(x0, r1))")
        scope = make_scope("every radius r in [r_min, r_max]", count=len(fail), intervals=fail, precision=prec)
    else:
        verdict, margin, scope = Verdict.INCONCLUSIVE, None, {}
        msg = (f"no radius certified: fails on {txt(fail)}, undecided on {txt(und)} after {len(evals)} α "
               "evaluations; raise max_evals, max_boxes, or try another range" + (f" ({notes[-1]})" if notes else ""))
    res = Result(verdict, claim=claim, quantity=Quantity("L(x0)", None, (L_lo, L_hi)), margin=margin,
                 certificate=cert, arithmetic="ball", precision=prec, elapsed=elapsed, message=msg, scope=scope)
    return CriterionRadii(hold, fail, und, dict(sorted(evals.items())), (L_lo, L_hi), res, notes)


__all__ = ["criterion_radii", "CriterionRadii"]
