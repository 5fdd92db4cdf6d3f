"""GD escapes strict saddles (Lee et al., arXiv:1602.04915, and Math. Program. 2019; saddle avoidance).

At a strict saddle θ_s (∇L(θ_s) = 0, λ_min(∇²L(θ_s)) < 0) the centre-stable manifold is null when
G_η is non-singular, so GD from almost every start near θ_s leaves its neighbourhood.
:func:`saddle_escape` certifies the strict-saddle property — criticality exactly for an exact θ_s or by
the Krawczyk test for a float θ_s (:func:`verify.stability.certify_critical`), λ_min < 0 from exact or
Arb eigenvalue enclosures compared exactly — then runs GD from random starts in a small ball and
reports the fraction that escaped a larger ball and the escape times. The experiment itself is
numerical evidence (SUPPORTED at best).
"""

from __future__ import annotations

import math
import time

import numpy as np

from .. import validate
from ..arith.decide import bounds, compare
from ..errors import EnclosureError, InputError, RegionBoundaryError, SizeLimitError, UncertifiedValueError
from ..gdmap.maps import GDMap, check_eta, eta_str
from ..result import Quantity, Result, Verdict
from .minima import _check_point, _spectrum_at, certify_critical


def saddle_escape(objective, theta_saddle, eta, *, radius=1e-3, escape_radius=None, starts: int = 50,
                  max_steps: int = 10_000, seed: int = 0, prec: int = 128) -> Result:
    """Run GD (float64) from ``starts`` uniform points of the ball B(θ_s, radius); a run escapes
    when ‖θ_k − θ_s‖ > escape_radius (default 100·radius). SUPPORTED when the saddle is certified
    strict (certified critical point with a certified negative Hessian eigenvalue) and every run
    escaped; INCONCLUSIVE otherwise, with the numbers."""
    t0 = time.perf_counter()
    q = check_eta(eta)
    r_q = validate.positive_rational(radius, "radius")
    R_q = 100 * r_q if escape_radius is None else validate.positive_rational(escape_radius, "escape_radius")
    if R_q <= r_q:
        raise InputError(f"escape_radius must exceed radius ({radius!r}), got {escape_radius!r}")
    starts = validate.positive_int(starts, "starts")
    max_steps = validate.positive_int(max_steps, "max_steps")
    seed = validate.nonneg_int(seed, "seed")
    prec = validate.precision(prec)
    _check_point(objective, theta_saddle)
    r, R = float(r_q), float(R_q)
    cp = certify_critical(objective, theta_saddle, prec)
    nlo = nhi = None
    spec_note = ""
    if cp.critical:
        try:
            spec = _spectrum_at(objective, cp, q, prec)
            nlo, nhi = spec.lam_min
            spec_note = spec.method
        except (SizeLimitError, EnclosureError, ArithmeticError, RegionBoundaryError, UncertifiedValueError) as exc:
            spec_note = f"spectrum not certified: {exc}"
    strict = nhi is not None and compare((nlo, nhi), 0) == -1
    gmap = GDMap(objective, q)
    center = np.array([float(v) for v in np.asarray(theta_saddle, dtype=object)], dtype=float)
    rng = np.random.default_rng(seed)
    p = objective.n_params
    times = []
    for _ in range(starts):
        d = rng.standard_normal(p)
        d *= r * rng.random() ** (1 / p) / np.linalg.norm(d)
        th = center + d
        esc = None
        for k in range(1, max_steps + 1):
            th = gmap(th, "float")
            if not np.all(np.isfinite(th)):
                esc = k
                break
            if np.linalg.norm(th - center) > R:
                esc = k
                break
        times.append(esc)
    escaped = [t for t in times if t is not None]
    frac = len(escaped) / starts
    expected = None
    if strict:
        rate = 1 - q * nhi  # |1 − ηλ_min| ≥ 1 − ηλ_min^+ > 1
        expected = math.log(R / r) / math.log(float(rate)) if rate > 1 else None
    cert = {"strict_saddle_certified": strict, "critical_point": cp.to_dict(),
            "lambda_min": None if nhi is None else [nlo, nhi], "spectrum_method": spec_note, "fraction_escaped": frac,
            "escape_steps": {"min": min(escaped, default=None), "max": max(escaped, default=None),
                             "median": float(np.median(escaped)) if escaped else None},
            "expected_steps": expected, "radius": r, "escape_radius": R, "starts": starts, "max_steps": max_steps,
            "seed": seed}
    claim = f"GD at η = {eta_str(q)} escapes the strict saddle from random starts"
    ok = strict and frac == 1.0
    if strict:
        head = f"strict saddle certified ({cp.message}; λ_min ≤ {float(bounds(nhi)[1]):.6g} < 0)"
    elif not cp.critical:
        head = f"not a certified critical point ({cp.message})"
    elif nhi is None:
        head = f"not a certified strict saddle ({spec_note})"
    else:
        head = f"not a certified strict saddle (λ_min ∈ [{float(nlo):.3g}, {float(nhi):.3g}])"
    return Result(Verdict.SUPPORTED if ok else Verdict.INCONCLUSIVE, claim=claim,
                  quantity=Quantity("fraction escaped", frac), margin=frac, certificate=cert, arithmetic="float",
                  seed=seed, elapsed=time.perf_counter() - t0,
                  message=f"{head}; {len(escaped)}/{starts} runs escaped B(θ_s, {R:g}), median "
                          f"{cert['escape_steps']['median']} steps")
