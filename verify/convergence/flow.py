"""Gradient flow θ' = −∇L(θ) at high precision and in float64, with the rate quantities of the
gradient-flow paper (arXiv:2509.23887) and of Chatterjee's local PL theorem (arXiv:2203.16462).

Everything here is numerical evidence: the integrators are not validated, so no function of this
module returns PROVED or REFUTED. Integration failures raise
:class:`~verify.errors.IntegrationError`; bad arguments raise :class:`~verify.errors.InputError`
before any work.

* :func:`gradient_flow` — ``method="mp"``: mpmath's Taylor-series ODE solver (``mpmath.odefun``) at
  ``dps`` ≥ 30 digits, error estimated by re-solving at dps + 10; ``method="scipy"``: float64
  ``solve_ivp`` (DOP853, rtol 1e−12), error estimated against a run at rtol 1e−10 (the difference is
  reported as an estimate, not a bound). ``"auto"`` picks mp for p ≤ :data:`MP_AUTO_MAX_PARAMS`.
* :func:`observed_rate` — the slope of log L fitted on the linear phase, and the instantaneous PL
  ratio μ(t) = ‖∇L‖²/L = −d log L/dt along the path.
* :func:`ntk_lambda_min_path` — λ_min(J Jᵀ) along the path (square losses).
* :func:`no_blowup` — claim 1 of arXiv:2509.23887: ‖θ(t)‖ ≤ ‖θ(0)‖ + √(T·L(θ(0))), with the bound itself
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

from .. import validate
from ..arith import get_arith
from ..arith.decide import bounds
from ..errors import InputError, IntegrationError, RegionBoundaryError, UncertifiedValueError
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


#: the integrators sample times in float64: a horizon must be a positive float64 number
MAX_HORIZON = 1e12
#: sample times allowed per solve
MAX_SAMPLES = 100_000
#: GD steps allowed per run in :func:`gd_vs_gf` (T/η)
MAX_GD_STEPS = 10**6


def _check_T(T) -> tuple[Fraction, float]:
    """The horizon T as an exact positive rational and as a float64 (both required to be usable)."""
    t = validate.positive_rational(T, "the horizon T")
    tf = float(t) if t <= Fraction(MAX_HORIZON) else math.inf
    if not 0 < tf <= MAX_HORIZON:
        raise InputError(f"the horizon T must be in (0, {MAX_HORIZON:g}] and representable as a float64 number "
                         f"(the samples are float64 times), got {T!r}")
    return t, tf


def _check_x0(objective, x0) -> np.ndarray:
    from .gd import check_objective

    check_objective(objective)
    x0q = fraction_array(x0, what="x0")
    p = objective.n_params
    if x0q.shape != (p,):
        raise InputError(f"x0 must have {p} entries, got shape {x0q.shape}")
    return x0q


def gradient_flow(objective, x0, T, *, method: str = "auto", dps: int = 30, n_points: int = 41,
                  rtol: float = 1e-12) -> FlowSolution:
    """Integrate θ' = −∇L(θ) from x0 on [0, T]; sample at ``n_points`` ≥ 2 equally spaced times.

    ``method``: ``"mp"`` (``dps`` ≥ 30 digits), ``"scipy"`` (DOP853 at ``rtol`` ∈ (0, 1e−3]) or
    ``"auto"``. Raises :class:`~verify.errors.IntegrationError` when the integration fails (a
    non-finite state, a stalled solver, an activation-region boundary on the path).
    """
    _, Tf = _check_T(T)
    x0q = _check_x0(objective, x0)
    validate.one_of(method, ("auto", "mp", "scipy"), "method")
    n_points = validate.integer(n_points, "n_points (the number of sample times)", minimum=2, maximum=MAX_SAMPLES)
    dps = validate.integer(dps, "dps (decimal digits of the mp integrator)", minimum=30, maximum=10**5)
    rtol = validate.finite_float(rtol, "rtol")
    if not 0 < rtol <= 1e-3:
        raise InputError(f"rtol must be in (0, 1e-3] (the error estimate re-solves at 100·rtol), got {rtol!r}")
    p = objective.n_params
    if method == "auto":
        method = "mp" if p <= MP_AUTO_MAX_PARAMS else "scipy"
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
    if not np.all(np.isfinite(sol)):
        raise IntegrationError("the gradient-flow solution is not finite on [0, T] (overflow): the flow may blow "
                               "up; shorten the horizon T")
    losses = np.array([float(objective.value(th, "float")) for th in sol])
    if not np.all(np.isfinite(losses)):
        raise IntegrationError("the loss along the gradient-flow solution is not finite (overflow); shorten T")
    return FlowSolution(objective, ts, sol, losses, method, err, {"time": time.perf_counter() - t0, "dps": dps})


def _mp_solve(objective, x0q, ts, dps):
    try:
        return _mp_solve_raw(objective, x0q, ts, dps)
    except RegionBoundaryError as exc:
        raise IntegrationError(f"gradient flow reached an activation-region boundary (mp integrator): {exc}") from exc
    except (ArithmeticError, ValueError) as exc:  # mpmath's overflow / division / convergence failures
        if isinstance(exc, IntegrationError | InputError):
            raise
        raise IntegrationError(f"the mp integrator failed ({type(exc).__name__}: {exc}); the flow may blow up or "
                               "leave the domain of L; shorten T") from exc


def _mp_solve_raw(objective, x0q, ts, dps):
    with mpmath.workdps(dps):
        y0 = [mpmath.mpf(v.numerator) / v.denominator for v in x0q]
        # for L ≥ 0 the flow obeys ‖θ(t)‖ ≤ ‖θ(0)‖ + √(T·L(θ(0))) (arXiv:2509.23887, claim 1): far beyond that
        # bound it is blowing up (L unbounded below), and odefun would take ever smaller steps forever
        L0 = abs(float(objective.value(np.array(y0, dtype=object), get_arith("mp", mpmath.mp.prec), mpmath.mp.prec)))
        blowup = MP_BLOWUP * (math.hypot(*[float(v) for v in x0q]) + math.sqrt(float(ts[-1]) * L0) + 1)
        count = [0]

        def rhs(t, y):
            count[0] += 1
            if count[0] > MP_MAX_RHS_EVALS:
                raise IntegrationError(f"the mp integrator stalled near t = {mpmath.nstr(t, 6)}: {MP_MAX_RHS_EVALS} "
                                       "evaluations of ∇L (the flow may blow up or slide along a kink); shorten T")
            if any(abs(v) > blowup for v in y):
                raise IntegrationError(f"the gradient flow leaves the region |θ_i| ≤ {blowup:.3g} near t = "
                                       f"{mpmath.nstr(t, 6)} ({MP_BLOWUP:g} times the bound ‖θ(0)‖ + √(T·|L(θ(0))|), "
                                       "which holds whenever L ≥ 0): L is not nonnegative along the path and the flow "
                                       "may blow up in finite time; shorten T")
            # odefun raises the working precision (finite differences of Euler steps): follow it
            prec = mpmath.mp.prec
            g = objective.grad(np.array(list(y), dtype=object), get_arith("mp", prec), prec)
            return [-v for v in g]

        f = mpmath.odefun(rhs, 0, y0, tol=mpmath.mpf(10) ** (-dps), degree=None)
        return [list(f(mpmath.mpf(float(t)))) if t > 0 else list(y0) for t in ts]


#: the mp integrator stops with IntegrationError beyond this many ∇L evaluations (a normal solve takes
#: hundreds to a few thousand) or once a coordinate exceeds MP_BLOWUP times the no-blow-up bound
MP_MAX_RHS_EVALS = 20_000
MP_BLOWUP = 1e3


#: right-hand-side evaluations allowed per float64 solve: a flow that reaches a ReLU kink and slides
#: along it (a Filippov sliding mode) makes DOP853 take ever smaller steps; stop with a clear error
MAX_RHS_EVALS = 200_000


def _scipy_solve(objective, x0q, ts, rtol):
    from scipy.integrate import solve_ivp

    y0 = np.array([float(v) for v in x0q])
    count = [0]

    def rhs(t, y):
        count[0] += 1
        if count[0] > MAX_RHS_EVALS:
            raise IntegrationError(f"gradient flow stalled near t = {t:.6g}: {MAX_RHS_EVALS} evaluations (the path may "
                                  "slide along an activation-region boundary, where the flow is not smooth)")
        try:
            return -np.asarray(objective.grad(y, "float"), dtype=float)
        except RegionBoundaryError as exc:
            raise IntegrationError(f"gradient flow reached an activation-region boundary at t ≈ {t:.6g}: "
                                   f"{exc}") from exc

    try:
        with np.errstate(over="ignore", invalid="ignore"):
            res = solve_ivp(rhs, (0.0, float(ts[-1])), y0, method="DOP853", t_eval=ts, rtol=rtol, atol=rtol * 1e-2)
    except (ArithmeticError, ValueError) as exc:
        if isinstance(exc, IntegrationError | InputError):
            raise
        raise IntegrationError(f"solve_ivp failed ({type(exc).__name__}: {exc})") from exc
    if not res.success:
        raise IntegrationError(f"solve_ivp failed: {res.message}")
    if res.y.shape[1] != len(ts) or not np.all(np.isfinite(res.y)):
        raise IntegrationError("solve_ivp returned a non-finite or incomplete solution (the flow may blow up); "
                               "shorten T")
    return res.y.T


def observed_rate(sol: FlowSolution, floor: float = 1e-24) -> dict:
    """Fit log L(t) ≈ a − c t on the linear phase (the second half of the samples above the floor) and
    return c, with μ(t) = ‖∇L‖²/L at the samples (the exact instantaneous rate of gradient flow).
    Numerical (float64): the fitted rate is evidence, not a bound."""
    _check_solution(sol)
    floor = validate.finite_float(floor, "floor")
    if not 0 <= floor < 1:
        raise InputError(f"floor must be in [0, 1) (a fraction of L(θ(0))), got {floor!r}")
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
    _check_solution(sol)
    out = []
    for th in sol.thetas:
        J = np.asarray(sol.objective.jacobian(th, "float"), dtype=float)
        out.append(float(np.linalg.eigvalsh(J @ J.T).min()))
    return np.array(out)


def no_blowup(objective, sol: FlowSolution, prec: int = 128) -> Result:
    """Claim 1 of arXiv:2509.23887: max_t ‖θ(t)‖ ≤ ‖θ(0)‖ + √(T·L(θ(0))) along the computed
    flow. The bound is enclosed in Arb; the flow is numerical, so the verdict is SUPPORTED (the sampled
    norms plus the error estimate stay below the bound's certified lower end) or INCONCLUSIVE — never
    PROVED or REFUTED."""
    t0 = time.perf_counter()
    _check_solution(sol)
    prec = validate.precision(prec)
    x0q = fraction_array(sol.thetas[0], what="θ(0)")
    a = get_arith("ball", prec)
    L0 = objective.value(x0q, a, prec)
    T = to_fraction(sol.ts[-1])
    with a.context():
        n0 = a.sum(a.array(x0q) * a.array(x0q)).sqrt()
        B = n0 + (a.const(T) * L0).sqrt()
    claim = "‖θ(t)‖ ≤ ‖θ(0)‖ + √(T·L(θ(0))) on [0, T] (no finite-time blow-up)"
    try:
        B_lo, B_hi = bounds(B)  # exact rational endpoints of the Arb enclosure of the bound
    except UncertifiedValueError:
        return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic="float", elapsed=time.perf_counter() - t0,
                      message=f"the bound ‖θ(0)‖ + √(T·L(θ(0))) has no finite enclosure at {prec} bits ({B}); "
                              "is L(θ(0)) ≥ 0?")
    norms = np.linalg.norm(sol.thetas, axis=1)
    worst = float(norms.max()) + sol.error_estimate
    # numerical evidence: the computed norms (plus the integrator's error estimate, itself an estimate) against
    # the certified lower end of the bound, compared exactly
    ok = math.isfinite(worst) and Fraction(worst) <= B_lo
    from .gd import _fmt, _ratio

    margin = _ratio(B_lo - Fraction(worst), Fraction(1)) if math.isfinite(worst) else None
    return Result(Verdict.SUPPORTED if ok else Verdict.INCONCLUSIVE, claim=claim,
                  quantity=Quantity("max ‖θ(t)‖", worst if math.isfinite(worst) else None), margin=margin,
                  arithmetic="float", certificate={"bound": [_ratio(B_lo, Fraction(1)), _ratio(B_hi, Fraction(1))],
                                                   "error_estimate": sol.error_estimate, "method": sol.method},
                  elapsed=time.perf_counter() - t0,
                  message=f"max ‖θ(t)‖ + error estimate = {worst:.6g} ≤ certified bound {_fmt(B_lo)}" if ok else
                  f"max ‖θ(t)‖ = {worst:.6g} exceeds the bound {_fmt(B_lo)}: check the integrator (error estimate "
                  f"{sol.error_estimate:.2g})")


def _check_solution(sol) -> None:
    if not isinstance(sol, FlowSolution):
        raise InputError(f"expected a FlowSolution (from verify.convergence.gradient_flow), got {type(sol).__name__}")


def gd_vs_gf(objective, x0, T, etas, *, method: str = "scipy") -> dict:
    """For each η: max over k ≤ T/η of ‖θ_k − θ(kη)‖ (GD vs gradient flow) and that distance / η
    (claim 3 of arXiv:2509.23887: O(η) on a fixed horizon). Numerical evidence (float64)."""
    from .gd import gd

    Tq, Tf = _check_T(T)
    x0q = _check_x0(objective, x0)
    validate.one_of(method, ("scipy", "mp"), "method")
    if isinstance(etas, str | bytes) or not hasattr(etas, "__iter__"):
        raise InputError(f"etas must be a list of step sizes, got {etas!r}")
    qs = [validate.positive_rational(eta, "each step size η in etas") for eta in etas]
    if not qs:
        raise InputError("etas must contain at least one step size")
    for q in qs:
        K = int(Tq / q)
        if K < 1:
            raise InputError(f"the step size η = {q} exceeds the horizon T = {Tq}: no GD step fits in [0, T]")
        if K > MAX_GD_STEPS:
            raise InputError(f"T/η = {K} GD steps for η = {q} exceeds {MAX_GD_STEPS}; use a larger η or a shorter T")
    out = []
    for q in qs:
        K = int(Tq / q)
        traj = gd(objective, x0q, q, K, "float")
        if traj.steps < K:
            raise IntegrationError(f"GD with η = {q} stopped at step {traj.steps} of {K}: {traj.stopped}")
        ts = np.array([float(k * q) for k in range(K + 1)])
        th = traj.thetas_float
        sol = _scipy_solve(objective, x0q, ts, 1e-12) if method == "scipy" else \
            np.array([[float(v) for v in row] for row in _mp_solve(objective, x0q, ts, 30)])
        d = float(np.max(np.linalg.norm(th - sol, axis=1)))
        out.append({"eta": float(q), "max_distance": d, "distance_over_eta": d / float(q), "steps": K})
    return {"horizon": Tf, "runs": out}
