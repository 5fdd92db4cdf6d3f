"""Gradient flow θ' = −∇L(θ) at high precision and in float64, with the rate quantities of
``shared/theory/gradient_flow.md`` and ``local_pl.md`` §1.2.

* :func:`gradient_flow` — ``method="mp"``: mpmath's Taylor-series ODE solver (``mpmath.odefun``) at
  ``dps`` ≥ 30 digits, error estimated by re-solving at dps + 10; ``method="scipy"``: float64
  ``solve_ivp`` (DOP853, rtol 1e−12), error estimated against a run at rtol 1e−10 (the difference is
  reported as an estimate, not a bound). ``"auto"`` picks mp for p ≤ :data:`MP_AUTO_MAX_PARAMS`.
* :func:`observed_rate` — the slope of log L fitted on the linear phase, and the instantaneous PL
  ratio μ(t) = ‖∇L‖²/L = −d log L/dt along the path.
* :func:`ntk_lambda_min_path` — λ_min(J Jᵀ) along the path (square losses).
* :func:`no_blowup` — gradient_flow.md claim 1: ‖θ(t)‖ ≤ ‖θ(0)‖ + √(T·L(θ(0))), with the bound itself
  computed in Arb; the comparison with a numerical solution is evidence (SUPPORTED).
* :func:`gd_vs_gf` — ‖θ_k − θ(kη)‖ on a horizon for decreasing η (claim 3: O(η)).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import mpmath
import numpy as np

from ..arith import get_arith
from ..errors import InputError
from ..numbers import fraction_array, to_fraction
from ..result import Quantity, Result, Verdict

#: mpmath's Taylor solver evaluates ∇L at very high working precision: a 9-parameter tanh network
#: took ~60 s for T = 2, a scalar objective 0.2 s. "auto" uses it only up to this many parameters.
MP_AUTO_MAX_PARAMS = 3


@dataclass
class FlowSolution:
    """θ(t) at the sample times ``ts`` (float arrays), with losses and an error estimate."""

    objective: object
    ts: np.ndarray
    thetas: np.ndarray  # (len(ts), p)
    losses: np.ndarray
    method: str
    error_estimate: float
    extra: dict = field(default_factory=dict)


def _check_T(T) -> float:
    t = to_fraction(T, what="the horizon T")
    if t <= 0:
        raise InputError(f"the horizon T must be > 0, got {T!r}")
    return float(t)


def gradient_flow(objective, x0, T, *, method: str = "auto", dps: int = 30, n_points: int = 41,
                  rtol: float = 1e-12) -> FlowSolution:
    """Integrate θ' = −∇L(θ) from x0 on [0, T]; sample at ``n_points`` equally spaced times."""
    Tf = _check_T(T)
    x0q = fraction_array(x0, what="x0")
    p = objective.n_params
    if x0q.shape != (p,):
        raise InputError(f"x0 must have {p} entries, got shape {x0q.shape}")
    if method == "auto":
        method = "mp" if p <= MP_AUTO_MAX_PARAMS else "scipy"
    if method not in ("mp", "scipy"):
        raise InputError(f"method must be 'auto', 'mp' or 'scipy', got {method!r}")
    if dps < 30 and method == "mp":
        raise InputError("the high-precision integrator runs at ≥ 30 digits (dps ≥ 30)")
    ts = np.linspace(0.0, Tf, n_points)
    t0 = time.perf_counter()
    if method == "mp":
        sol_mp = _mp_solve(objective, x0q, ts, dps)
        ref_mp = _mp_solve(objective, x0q, ts, dps + 10)
        with mpmath.workdps(dps + 10):
            err = float(max(abs(u - v) for row_a, row_b in zip(sol_mp, ref_mp) for u, v in zip(row_a, row_b)))
        sol = np.array([[float(v) for v in row] for row in sol_mp])
    else:
        sol = _scipy_solve(objective, x0q, ts, rtol)
        ref = _scipy_solve(objective, x0q, ts, rtol * 100)
        err = float(np.max(np.abs(sol - ref)))
    losses = np.array([float(objective.value(th, "float")) for th in sol])
    return FlowSolution(objective, ts, sol, losses, method, err, {"time": time.perf_counter() - t0, "dps": dps})


def _mp_solve(objective, x0q, ts, dps):
    with mpmath.workdps(dps):
        y0 = [mpmath.mpf(v.numerator) / v.denominator for v in x0q]

        def rhs(t, y):
            # odefun raises the working precision (finite differences of Euler steps): follow it
            prec = mpmath.mp.prec
            g = objective.grad(np.array(list(y), dtype=object), get_arith("mp", prec), prec)
            return [-v for v in g]

        f = mpmath.odefun(rhs, 0, y0, tol=mpmath.mpf(10) ** (-dps), degree=None)
        return [list(f(mpmath.mpf(float(t)))) if t > 0 else list(y0) for t in ts]


#: right-hand-side evaluations allowed per float64 solve: a flow that reaches a ReLU kink and slides
#: along it (a Filippov sliding mode) makes DOP853 take ever smaller steps; stop with a clear error
MAX_RHS_EVALS = 200_000


def _scipy_solve(objective, x0q, ts, rtol):
    from scipy.integrate import solve_ivp

    from ..errors import RegionBoundaryError

    y0 = np.array([float(v) for v in x0q])
    count = [0]

    def rhs(t, y):
        count[0] += 1
        if count[0] > MAX_RHS_EVALS:
            raise ArithmeticError(f"gradient flow stalled near t = {t:.6g}: {MAX_RHS_EVALS} evaluations (the path may "
                                  "slide along an activation-region boundary, where the flow is not smooth)")
        try:
            return -np.asarray(objective.grad(y, "float"), dtype=float)
        except RegionBoundaryError as exc:
            raise ArithmeticError(f"gradient flow reached an activation-region boundary at t ≈ {t:.6g}: {exc}") from exc

    res = solve_ivp(rhs, (0.0, float(ts[-1])), y0, method="DOP853", t_eval=ts, rtol=rtol, atol=rtol * 1e-2)
    if not res.success:
        raise ArithmeticError(f"solve_ivp failed: {res.message}")
    return res.y.T


def observed_rate(sol: FlowSolution, floor: float = 1e-24) -> dict:
    """Fit log L(t) ≈ a − c t on the linear phase (the second half of the samples above the floor) and
    return c, with μ(t) = ‖∇L‖²/L at the samples (the exact instantaneous rate of gradient flow)."""
    L = sol.losses
    ok = L > floor * L[0]
    idx = np.nonzero(ok)[0]
    if len(idx) < 4:
        raise InputError("too few samples above the floor to fit a rate; shorten T or add points")
    half = idx[len(idx) // 2:]
    slope = np.polyfit(sol.ts[half], np.log(L[half]), 1)[0]
    mu = []
    for th, Lv in zip(sol.thetas, L):
        g = np.asarray(sol.objective.grad(th, "float"), dtype=float)
        mu.append(float(g @ g) / Lv if Lv > 0 else math.inf)
    return {"rate": -float(slope), "mu": np.array(mu), "fit_times": (float(sol.ts[half[0]]), float(sol.ts[half[-1]])),
            "min_mu": float(np.min(mu))}


def ntk_lambda_min_path(sol: FlowSolution) -> np.ndarray:
    """λ_min(J Jᵀ) at each sample (float64)."""
    out = []
    for th in sol.thetas:
        J = np.asarray(sol.objective.jacobian(th, "float"), dtype=float)
        out.append(float(np.linalg.eigvalsh(J @ J.T).min()))
    return np.array(out)


def no_blowup(objective, sol: FlowSolution, prec: int = 128) -> Result:
    """gradient_flow.md claim 1: max_t ‖θ(t)‖ ≤ ‖θ(0)‖ + √(T·L(θ(0))) along the computed flow."""
    t0 = time.perf_counter()
    x0q = fraction_array(sol.thetas[0], what="θ(0)")
    a = get_arith("ball", prec)
    L0 = objective.value(x0q, a, prec)
    T = to_fraction(sol.ts[-1])
    with a.context():
        n0 = a.sum(a.array(x0q) * a.array(x0q)).sqrt()
        B = n0 + (a.const(T) * L0).sqrt()
        bound_lo = float(B.lower())
    norms = np.linalg.norm(sol.thetas, axis=1)
    worst = float(norms.max()) + sol.error_estimate
    ok = worst <= bound_lo
    return Result(Verdict.SUPPORTED if ok else Verdict.INCONCLUSIVE,
                  claim="‖θ(t)‖ ≤ ‖θ(0)‖ + √(T·L(θ(0))) on [0, T] (no finite-time blow-up)",
                  quantity=Quantity("max ‖θ(t)‖", worst), margin=bound_lo - worst, arithmetic="float",
                  certificate={"bound": [float(B.lower()), float(B.upper())], "error_estimate": sol.error_estimate,
                               "method": sol.method}, elapsed=time.perf_counter() - t0,
                  message=f"max ‖θ(t)‖ + error estimate = {worst:.6g} ≤ certified bound {bound_lo:.6g}" if ok else
                  f"max ‖θ(t)‖ = {worst:.6g} exceeds the bound {bound_lo:.6g}: check the integrator (error estimate "
                  f"{sol.error_estimate:.2g})")


def gd_vs_gf(objective, x0, T, etas, *, method: str = "scipy") -> dict:
    """For each η: max over k ≤ T/η of ‖θ_k − θ(kη)‖ (GD vs gradient flow) and that distance / η."""
    from .gd import gd

    Tf = _check_T(T)
    out = []
    for eta in etas:
        q = to_fraction(eta, what="η")
        K = int(Fraction(Tf) / q)
        traj = gd(objective, x0, q, K, "float")
        ts = np.array([float(k * q) for k in range(K + 1)])
        th = traj.thetas_float()
        sol = _scipy_solve(objective, fraction_array(x0), ts, 1e-12) if method == "scipy" else \
            np.array([[float(v) for v in row] for row in _mp_solve(objective, fraction_array(x0), ts, 30)])
        d = float(np.max(np.linalg.norm(th - sol, axis=1)))
        out.append({"eta": float(q), "max_distance": d, "distance_over_eta": d / float(q), "steps": K})
    return {"horizon": Tf, "runs": out}
