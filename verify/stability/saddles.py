"""GD escapes strict saddles (Lee et al. 2016/2019; ``shared/theory/gd_map.md`` §2, saddle avoidance).

At a strict saddle θ_s (∇L(θ_s) = 0, λ_min(∇²L(θ_s)) < 0) the centre-stable manifold is null when
G_η is non-singular, so GD from almost every start near θ_s leaves its neighbourhood.
:func:`saddle_escape` certifies the strict-saddle property (exact or Arb eigenvalues), then runs GD
from random starts in a small ball and reports the fraction that escaped a larger ball and the
escape times. The experiment itself is numerical evidence (SUPPORTED at best).
"""

from __future__ import annotations

import math
import time

import numpy as np

from ..errors import InputError
from ..gdmap.maps import GDMap, check_eta, eta_str
from ..numbers import to_fraction
from ..result import Quantity, Result, Verdict
from .minima import _gradient_bound, _lam_max_min, _rational_point, spectrum


def saddle_escape(objective, theta_saddle, eta, *, radius=1e-3, escape_radius=None, starts: int = 50,
                  max_steps: int = 10_000, seed: int = 0, prec: int = 128) -> Result:
    """Run GD (float64) from ``starts`` uniform points of the ball B(θ_s, radius); a run escapes
    when ‖θ_k − θ_s‖ > escape_radius (default 100·radius). SUPPORTED when the saddle is certified
    strict and every run escaped; INCONCLUSIVE otherwise, with the numbers."""
    t0 = time.perf_counter()
    q = check_eta(eta)
    r = float(to_fraction(radius, what="radius"))
    if r <= 0:
        raise InputError(f"radius must be > 0, got {radius!r}")
    R = 100 * r if escape_radius is None else float(to_fraction(escape_radius, what="escape_radius"))
    if R <= r:
        raise InputError("escape_radius must exceed radius")
    if starts < 1 or max_steps < 1:
        raise InputError("starts and max_steps must be ≥ 1")
    kind, eigs = spectrum(objective, theta_saddle, prec)
    (_, _, nlo, nhi), _ = _lam_max_min(kind, eigs)
    exact = kind == "exact"
    th_q = _rational_point(theta_saddle) if exact else theta_saddle
    gbound, gzero = _gradient_bound(objective, th_q, exact, prec)
    strict = nhi < 0
    critical = gzero if exact else gbound < 1e-20
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
    cert = {"strict_saddle_certified": strict, "critical_point": "exact" if gzero else f"|∇L| ≤ {gbound:.3g}",
            "lambda_min": [float(nlo), float(nhi)], "spectrum_method": kind, "fraction_escaped": frac,
            "escape_steps": {"min": min(escaped, default=None), "max": max(escaped, default=None),
                             "median": float(np.median(escaped)) if escaped else None},
            "expected_steps": (math.log(R / r) / math.log(1 - float(q) * float(nlo))) if nhi < 0 else None,
            "radius": r, "escape_radius": R, "starts": starts, "max_steps": max_steps, "seed": seed}
    claim = f"GD at η = {eta_str(q)} escapes the strict saddle from random starts"
    ok = strict and critical and frac == 1.0
    return Result(Verdict.SUPPORTED if ok else Verdict.INCONCLUSIVE, claim=claim,
                  quantity=Quantity("fraction escaped", frac), margin=frac, certificate=cert, arithmetic="float",
                  seed=seed, elapsed=time.perf_counter() - t0,
                  message=(f"strict saddle certified (λ_min ≤ {float(nhi):.6g} < 0); {len(escaped)}/{starts} runs "
                           f"escaped B(θ_s, {R:g}), median {cert['escape_steps']['median']} steps" if strict else
                           f"not a certified strict saddle (λ_min ∈ [{float(nlo):.3g}, {float(nhi):.3g}]); "
                           f"{len(escaped)}/{starts} runs escaped"))
