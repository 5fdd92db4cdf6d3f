"""GD trajectories in any arithmetic and certified checks of linear-rate bounds
(``shared/theory/local_pl.md`` §2.2 and §6 claims 2–3).

:func:`gd` runs x_{k+1} = x_k − η∇L(x_k). In ``"ball"`` arithmetic (rational η and x0) every
iterate and loss is an enclosure of the exact GD iterate, so :func:`check_rate` can certify
L(x_k) ≤ q^k L(x0) and containment in B(x0, r) for every k. A float64 run is evidence only; near
its round-off floor a float trajectory "violates" any rate (local_pl.md §6 claim 2: least squares
floors near 6.5e−33 and breaks the bound at k ≈ 829): :func:`check_rate` stops at the floor and says
so, and a float violation above the floor is re-checked in ball arithmetic before it is reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..arith import get_arith
from ..arith.ball import ball_bounds
from ..errors import InputError
from ..gdmap.maps import _check_steps, check_eta
from ..numbers import fraction_array, to_fraction
from ..result import Quantity, Result, Verdict


@dataclass
class Trajectory:
    """GD iterates θ_0..θ_K and losses L(θ_k) in one arithmetic."""

    objective: object
    eta: Fraction
    thetas: list
    losses: list
    arith: str
    prec: int | None
    stopped: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return len(self.thetas) - 1

    def losses_float(self) -> np.ndarray:
        a = get_arith(self.arith, self.prec)
        return np.array([float(a.to_float(v)) for v in self.losses])

    def thetas_float(self) -> np.ndarray:
        a = get_arith(self.arith, self.prec)
        return np.array([a.to_float(t) for t in self.thetas], dtype=float)


def gd(objective, x0, eta, steps: int, arith: str = "float", prec: int | None = None,
       stop_below: float | None = None) -> Trajectory:
    """Run ``steps`` GD steps from x0 with step η in ``arith``.

    ``stop_below``: stop once L(θ_k) ≤ stop_below · L(θ_0) (e.g. a float run at its round-off floor).
    """
    q = check_eta(eta)
    steps = _check_steps(steps)
    a = get_arith(arith, prec)
    x0q = fraction_array(x0, what="x0")
    if x0q.shape != (objective.n_params,):
        raise InputError(f"x0 must have {objective.n_params} entries, got shape {x0q.shape}")
    with a.context():
        th = a.array(x0q, what="x0")
        eta_a = a.const(q)
    L, g = objective.value_and_grad(th, a, prec)
    thetas, losses = [th], [L]
    L0 = float(a.to_float(losses[0]))
    stopped = ""
    for k in range(steps):
        with a.context():
            th = th - eta_a * g  # G_η(θ_k) = θ_k − η∇L(θ_k)
        L, g = objective.value_and_grad(th, a, prec)
        thetas.append(th)
        losses.append(L)
        Lf = float(a.to_float(L))
        if not np.isfinite(Lf):
            stopped = f"loss not finite at step {k + 1}"
            break
        if stop_below is not None and Lf <= stop_below * L0:
            stopped = f"stopped at step {k + 1}: L ≤ {stop_below:g}·L(x0)"
            break
    return Trajectory(objective, q, thetas, losses, a.name, a.prec, stopped)


def _bounds(v, arith):
    """(lo, hi) exact rationals of a number of the arithmetic (floats: their exact value)."""
    if arith == "ball":
        return ball_bounds(v)
    if arith == "exact":
        q = Fraction(int(v.p), int(v.q))
        return q, q
    q = to_fraction(v)
    return q, q


def check_rate(traj: Trajectory, q, x0=None, r=None, *, floor: float = 1e-25, rel_tol: float = 1e-9) -> Result:
    """Check L(θ_k) ≤ q^k L(θ_0) for every k of the trajectory, and ‖θ_k − x0‖ ≤ r if r is given.

    Ball/exact trajectories give PROVED or REFUTED (certified, with the first violating k). Float /
    mp trajectories give SUPPORTED (relative tolerance ``rel_tol``), stop checking once
    L ≤ floor·L(θ_0) (the round-off floor), and a violation above the floor is recomputed in ball
    arithmetic before any verdict: REFUTED only if the ball run certifies it.
    """
    t0 = time.perf_counter()
    qq = to_fraction(q, what="q")
    if not 0 <= qq <= 1:
        raise InputError(f"the contraction factor q must be in [0, 1], got {q!r}")
    rq = None if r is None else to_fraction(r, what="r")
    if rq is not None and rq <= 0:
        raise InputError(f"r must be > 0, got {r!r}")
    x0q = fraction_array(x0 if x0 is not None else traj.thetas[0], what="x0") if (rq is not None) else None
    if x0q is not None and x0q.shape != (traj.objective.n_params,):
        raise InputError(f"x0 must have {traj.objective.n_params} entries, got shape {x0q.shape}")
    certified = traj.arith in ("ball", "exact")
    L0lo, L0hi = _bounds(traj.losses[0], traj.arith)
    claim = f"L(θ_k) ≤ q^k L(θ_0) with q = {qq}" + (f" and θ_k ∈ B(x0, {rq})" if rq is not None else "")
    worst = None  # smallest certified / observed slack ratio
    checked = 0
    undecided = []
    floor_at = None
    qk = Fraction(1)
    for k, (th, L) in enumerate(zip(traj.thetas, traj.losses)):
        lo, hi = _bounds(L, traj.arith)
        if not certified and k > 0 and float(hi) <= floor * float(L0hi):
            floor_at = k
            break
        bound_lo, bound_hi = qk * L0lo, qk * L0hi
        if k == 0:
            pass  # L_0 ≤ q⁰ L_0 holds trivially (the same number)
        elif certified:
            if hi <= bound_lo:
                pass
            elif lo > bound_hi:
                return _violation(traj, qq, k, (lo, hi), (bound_lo, bound_hi), claim, t0)
            else:
                undecided.append(k)
        else:
            if float(hi) > float(bound_hi) * (1 + rel_tol):
                return _escalate(traj, qq, k, x0q, rq, claim, t0)
        if rq is not None:
            d2 = _dist2_bounds(th, x0q, traj.arith)
            if certified and d2[0] > rq * rq:
                return Result(Verdict.REFUTED, claim=claim, arithmetic=traj.arith, precision=traj.prec,
                              counterexample={"step": k, "dist2_lower": d2[0]}, elapsed=time.perf_counter() - t0,
                              message=f"θ_{k} is certainly outside B(x0, r): ‖θ_k − x0‖² ≥ {float(d2[0]):.6g}")
            if d2[1] > rq * rq:
                undecided.append(k)
        if float(bound_hi) > 0:
            s = float(hi) / float(bound_hi)
            worst = s if worst is None else max(worst, s)
        checked += 1
        qk *= qq
    msg_floor = (f"; float64 reached its round-off floor (L ≤ {floor:g}·L0) at step {floor_at}: later steps are not "
                 "evidence either way (use arith='ball' for a certified check)") if floor_at is not None else ""
    if certified:
        if undecided:
            return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic=traj.arith, precision=traj.prec,
                          margin=None, certificate={"undecided_steps": undecided[:20]},
                          elapsed=time.perf_counter() - t0,
                          message=f"{len(undecided)} step(s) undecided at {traj.prec} bits (first {undecided[0]}): "
                                  "the enclosures overlap the bound; rerun gd(..., arith='ball', prec=2·prec)")
        return Result(Verdict.PROVED, claim=claim, quantity=Quantity("max L_k / (q^k L_0)", worst),
                      margin=None if worst is None else 1 - worst, arithmetic=traj.arith, precision=traj.prec,
                      certificate={"steps": checked}, elapsed=time.perf_counter() - t0,
                      message=f"certified at every one of the {checked} iterates")
    return Result(Verdict.SUPPORTED, claim=claim, quantity=Quantity("max L_k / (q^k L_0)", worst),
                  margin=None if worst is None else 1 - worst, arithmetic=traj.arith, precision=traj.prec,
                  certificate={"steps": checked, "floor_step": floor_at}, elapsed=time.perf_counter() - t0,
                  message=f"holds numerically at {checked} iterates (relative tolerance {rel_tol:g}){msg_floor}")


def _dist2_bounds(th, x0q, arith):
    if arith == "ball":
        lo = hi = Fraction(0)
        for v, c in zip(th, x0q):
            a, b = _bounds(v, "ball")
            a, b = a - c, b - c
            hi += max(a * a, b * b)
            lo += 0 if a <= 0 <= b else min(a * a, b * b)
        return lo, hi
    d = sum((_bounds(v, arith)[0] - c) ** 2 for v, c in zip(th, x0q))
    return d, d


def _violation(traj, qq, k, L, bound, claim, t0):
    return Result(Verdict.REFUTED, claim=claim, arithmetic=traj.arith, precision=traj.prec,
                  margin=bound[1] - L[0], counterexample={"step": k, "loss": list(L), "bound": list(bound)},
                  elapsed=time.perf_counter() - t0,
                  message=f"certified violation at step {k}: L(θ_k) ≥ {float(L[0]):.6g} > q^k L0 ≤ "
                          f"{float(bound[1]):.6g}")


def _escalate(traj, qq, k, x0q, rq, claim, t0):
    """A float violation above the floor: recompute the first k steps in ball arithmetic and decide there."""
    x0 = fraction_array(get_arith(traj.arith, traj.prec).to_float(traj.thetas[0]))  # the run's exact start
    ball = gd(traj.objective, x0, traj.eta, max(k, 1), "ball", 256)
    res = check_rate(ball, qq, x0q, rq)
    res.message = f"float run exceeded the bound at step {k}; re-checked in ball arithmetic (256 bits): " + res.message
    if res.verdict == Verdict.PROVED:
        res.verdict = Verdict.SUPPORTED  # the float run's later steps are not covered by the ball re-check
        res.arithmetic = "float"
        res.message += " — the float excursion was round-off"
    return res
