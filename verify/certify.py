"""Turn computed values into verdicts, soundly.

:func:`zero_test` decides the claim "every entry of ``values`` is 0" from values computed in one
arithmetic. Certified arithmetics (``arith.certified``: ``exact`` rationals, ``ball`` enclosures) are
decided by the certified-decision kernel :mod:`verify.arith.decide` on exact rational endpoints:

* PROVED if every entry is exactly the number 0 (an exact rational 0, or a ball of radius 0 at 0);
* REFUTED if some entry is certified nonzero (its enclosure excludes 0): a certificate, with the
  entry's index and a certified lower bound on its |value|;
* SUPPORTED otherwise — every enclosure contains 0 and |value| ≤ ε (ε stated): balls can bound an
  equality but never certify it; INCONCLUSIVE if an enclosure is not finite (no bound at all).

Uncertified arithmetics (``float``, ``mp``) give SUPPORTED (|value| ≤ ``tol`` everywhere) or
INCONCLUSIVE — numerical evidence, never PROVED/REFUTED.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .arith import get_arith
from .arith.decide import abs_bounds, bounds
from .errors import UncertifiedValueError
from .result import Verdict


@dataclass
class ZeroTest:
    verdict: Verdict
    #: an upper bound on max |value|: an exact rational for certified arithmetics (None if some
    #: enclosure is not finite), a float for ``float``/``mp``
    max_abs_upper: object
    #: for REFUTED: index of an entry certified nonzero and a certified lower bound on its |value|
    witness: tuple | None = None
    witness_lower: object = None
    message: str = ""


def _flat(values) -> list:
    arr = np.asarray(values, dtype=object)
    return list(arr.reshape(-1))


def zero_test(values, arith, tol: float = 0.0) -> ZeroTest:
    """Is every entry of ``values`` zero? ``arith`` is the arithmetic (object or name) they were computed in.

    ``tol`` only matters for uncertified arithmetics: |value| ≤ tol counts as numerical agreement.
    """
    a = get_arith(arith)
    flat = _flat(values)
    shape = np.shape(values)
    if a.certified:  # exact rationals or enclosures: decided on exact endpoints
        return _certified_zero_test(flat, shape)
    mags = [abs(float(v)) for v in flat]
    if not all(math.isfinite(m) for m in mags):
        return ZeroTest(Verdict.INCONCLUSIVE, math.inf, message=f"a value is not finite in {a.name} arithmetic")
    worst = max(mags, default=0.0)
    if worst <= tol:
        return ZeroTest(Verdict.SUPPORTED, worst, message=f"numerically zero: max |value| = {worst:.3g} ≤ {tol:.3g}")
    return ZeroTest(Verdict.INCONCLUSIVE, worst,
                    message=f"max |value| = {worst:.3g} > tol {tol:.3g} in {a.name} arithmetic; "
                            "re-run with arith='ball' or 'exact' to decide")


def _certified_zero_test(flat, shape) -> ZeroTest:
    if not flat:
        return ZeroTest(Verdict.INCONCLUSIVE, None, message="no values to test: a claim about nothing is not proved")
    worst_hi = Fraction(0)
    best_lo, widx = None, None
    all_zero, unbounded = True, False
    for i, v in enumerate(flat):
        try:
            lo, hi = bounds(v)
        except UncertifiedValueError:  # a non-finite ball: no information about this entry
            unbounded, all_zero = True, False
            continue
        alo, ahi = abs_bounds((lo, hi))
        worst_hi = max(worst_hi, ahi)
        if not (lo == 0 and hi == 0):
            all_zero = False
        if alo > 0 and (best_lo is None or alo > best_lo):
            best_lo, widx = alo, i
    if widx is not None:
        return ZeroTest(Verdict.REFUTED, None if unbounded else worst_hi, np.unravel_index(widx, shape), best_lo,
                        message=f"entry {widx} is certified nonzero: |value| ≥ {float(best_lo):.6g}")
    if all_zero:
        return ZeroTest(Verdict.PROVED, Fraction(0), message="every entry is exactly 0 (exact rational endpoints)")
    if unbounded:
        return ZeroTest(Verdict.INCONCLUSIVE, None,
                        message="an enclosure is not finite: no bound; raise the precision or use exact arithmetic")
    return ZeroTest(Verdict.SUPPORTED, worst_hi,
                    message=f"every enclosure contains 0 and |value| ≤ {float(worst_hi):.3g}; ball arithmetic bounds "
                            "an equality but cannot certify it (use exact arithmetic)")
