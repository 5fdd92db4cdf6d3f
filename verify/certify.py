"""Turn computed values into verdicts, soundly.

:func:`zero_test` decides the claim "every entry of ``values`` is 0" from values computed in one
arithmetic:

* ``exact``: every entry is an exact rational, so the claim is PROVED (all zero) or REFUTED
  (an entry is a nonzero rational: a certificate);
* ``ball``: REFUTED if some enclosure excludes 0 (a certified counterexample); PROVED only if every
  ball is exactly the point 0; otherwise SUPPORTED — balls can bound |value| ≤ ε but never certify
  an equality — with ε stated;
* ``float``/``mp``: SUPPORTED or INCONCLUSIVE only (numerical evidence), never PROVED/REFUTED.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .result import Verdict


@dataclass
class ZeroTest:
    verdict: Verdict
    #: an upper bound on max |value| (exact value for ``exact``; a float for ``float``/``mp``)
    max_abs_upper: object
    #: for REFUTED: index of an entry certified nonzero and a certified lower bound on its |value|
    witness: tuple | None = None
    witness_lower: object = None
    message: str = ""


def _flat(values) -> list:
    arr = np.asarray(values, dtype=object)
    return list(arr.reshape(-1))


def zero_test(values, arith_name: str, tol: float = 0.0) -> ZeroTest:
    """Is every entry of ``values`` (an array of the arithmetic ``arith_name``) zero?

    ``tol`` only matters for ``float``/``mp``: |value| ≤ tol counts as numerical agreement.
    """
    flat = _flat(values)
    shape = np.shape(values)
    if arith_name == "exact":
        worst, widx = Fraction(0), None
        for i, v in enumerate(flat):
            q = Fraction(int(v.p), int(v.q)) if hasattr(v, "p") else Fraction(v)
            if abs(q) > worst:
                worst, widx = abs(q), i
        if widx is None:
            return ZeroTest(Verdict.PROVED, Fraction(0), message="every entry is exactly 0 (rational arithmetic)")
        return ZeroTest(Verdict.REFUTED, worst, np.unravel_index(widx, shape), worst,
                        message=f"an entry is the nonzero rational {worst}")
    if arith_name == "ball":
        from flint import arb

        best_lo, widx, ub = None, None, arb(0)
        all_point_zero = True
        for i, v in enumerate(flat):
            av = abs(v)
            if av.upper() > ub:
                ub = av.upper()
            if not (v.is_exact() and v.is_zero()):
                all_point_zero = False
            lo = av.lower()
            if lo > 0 and (best_lo is None or lo > best_lo):
                best_lo, widx = lo, i
        if widx is not None:
            return ZeroTest(Verdict.REFUTED, ub, np.unravel_index(widx, shape), best_lo,
                            message=f"an enclosure excludes 0: |value| ≥ {best_lo.str(6)}")
        if all_point_zero:
            return ZeroTest(Verdict.PROVED, ub, message="every enclosure is exactly the point 0")
        return ZeroTest(Verdict.SUPPORTED, ub,
                        message=f"every enclosure contains 0 and |value| ≤ {ub.str(3, radius=False)}; ball "
                                "arithmetic bounds an equality but cannot certify it (use exact arithmetic)")
    worst = max((abs(float(v)) for v in flat), default=0.0)
    if worst <= tol:
        return ZeroTest(Verdict.SUPPORTED, worst, message=f"numerically zero: max |value| = {worst:.3g} ≤ {tol:.3g}")
    return ZeroTest(Verdict.INCONCLUSIVE, worst,
                    message=f"max |value| = {worst:.3g} > tol {tol:.3g} in {arith_name} arithmetic; "
                            "re-run with arith='ball' or 'exact' to decide")
