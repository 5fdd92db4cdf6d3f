"""Gradient-flow claims decided on a validated tube (:func:`verify.convergence.validated_flow`): PROVED or REFUTED
on the finite horizon [0, T] the tube covers, where the non-rigorous integrators of :mod:`verify.convergence.flow`
can only give SUPPORTED evidence.

The tube encloses the exact solution θ(t) of θ' = −∇L(θ), θ(0) = x0, for every t ∈ [0, T]: each step [t_j, t_{j+1}]
has a box (Arb balls) that contains θ(t) for every t of the step, and a box at its end. Every decision below
compares exact rational endpoints (:func:`verify.arith.decide.bounds`) of Arb enclosures evaluated over those boxes.
A tube that stopped early (a kink, a step-size or time limit) covers only [0, T_reached]: a claim about [0, T] is
then INCONCLUSIVE (its message says what holds on [0, T_reached]); a certified violation inside [0, T_reached] is
still REFUTED.

* :func:`flow_rate` — L(θ(t)) ≤ e^{−αt}·L(θ(0)) for every t ∈ [0, T] (the conclusion of Chatterjee's local PL
  theorem for gradient flow, arXiv:2203.16462, docs/theory/local_pl.md §1.2; claim 2 of arXiv:2509.23887,
  docs/theory/gradient_flow.md §3). Proof: with g(t) = e^{αt}L(θ(t)), g'(t) = e^{αt}(αL − ‖∇L‖²)(θ(t)), so
  g is non-increasing wherever ‖∇L‖² − αL ≥ 0; the check encloses ‖∇L‖² − αL over every tube box. REFUTED when
  a step-end box certifies L(θ(t_j)) > e^{−αt_j}L(θ(0)).
* :func:`flow_stays_in_ball` — ‖θ(t) − c‖₂ ≤ r for every t (the flow stays in the closed ball of Chatterjee's
  theorem); REFUTED when a step-end box lies certainly outside.
* :func:`flow_no_blowup` — claim 1 of arXiv:2509.23887: θ exists on [0, T] and ‖θ(t)‖ ≤ ‖θ(0)‖ + √(T·L(θ(0))).
* :func:`flow_avoids` — a continuous d(θ) ≥ 0 (e.g. the distance to a codimension-2 set such as {w_a = w_b},
  claim 4 of arXiv:2509.23887) stays above a certified δ > 0 on the whole path; REFUTED when d(θ(t)) is certainly
  0 at some t (exactly, at the exact start; or an enclosure {0}).
* :func:`gd_tracks_flow` — max_k ‖θ_k − θ(kη)‖ over kη ≤ T for the GD iterates θ_k (a shadowed ball run) and the
  flow, with a certified upper bound D and C = D/η (claim 3 of arXiv:2509.23887: D = O(η)).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from fractions import Fraction

import numpy as np
from flint import arb

from .. import validate
from ..arith import get_arith
from ..arith.decide import bounds
from ..errors import InputError, RegionBoundaryError, UncertifiedValueError
from ..numbers import fraction_array
from ..result import Quantity, Result, Verdict, make_scope
from . import kinks
from .validated_flow import FlowTube

__all__ = ["flow_rate", "flow_stays_in_ball", "flow_no_blowup", "flow_avoids", "gd_tracks_flow"]


def _check_tube(tube, obj=None) -> None:
    """A FlowTube whose steps tile [0, T_reached] without gaps, with T_reached = T when it says it is complete. (The
    claims trust the enclosures a tube holds — they come from :func:`validated_flow`; this check only catches a
    tube whose bookkeeping was edited, e.g. a horizon changed after the computation.)"""
    if not isinstance(tube, FlowTube):
        raise InputError(f"expected a FlowTube (from verify.convergence.validated_flow), got {type(tube).__name__}")
    t = Fraction(0)
    for j, s in enumerate(tube.steps):
        if s.t0 != t or not s.h > 0:
            raise InputError(f"the tube's step {j} starts at {s.t0} (expected {t}) with length {s.h}: the steps "
                             "must tile [0, T_reached]; was the tube edited?")
        t = s.t1
    if t != tube.T_reached or (tube.stopped is None and tube.T_reached != tube.T) or not 0 <= t <= tube.T:
        raise InputError(f"the tube's steps reach t = {t}, T_reached = {tube.T_reached}, T = {tube.T}, "
                         f"stopped = {tube.stopped!r}: inconsistent (was the tube edited?)")
    if obj is not None:
        from .gd import check_objective

        check_objective(obj)
        if obj.n_params != len(tube.x0):
            raise InputError(f"the objective has {obj.n_params} parameters, the tube {len(tube.x0)}")


def _scope(tube: FlowTube, what: str, **data):
    return make_scope(f"every t ∈ [0, {tube.T}] of the exact gradient-flow solution from x0 ({what}); validated "
                      f"Taylor tube of {len(tube.steps)} steps, order {tube.order}, Arb at {tube.prec} bits",
                      count=len(tube.steps), horizon=tube.T, prec=tube.prec, order=tube.order, **data)


def _incomplete(tube: FlowTube, claim: str, holds: str, t0: float) -> Result:
    return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic="ball", precision=tube.prec,
                  elapsed=time.perf_counter() - t0,
                  message=f"the validated tube stops at t = {tube.T_reached} < T = {tube.T} ({tube.stopped}); "
                          f"{holds} on [0, {tube.T_reached}] only")


def _flt(q: Fraction) -> float:
    """q as a float for display (margins, quantities), saturating at ±1e308 beyond the float range."""
    try:
        return float(q)  # not-a-decision: display only
    except OverflowError:
        return 1e308 if q > 0 else -1e308


def _fmt(q: Fraction) -> str:
    from .gd import _fmt as fmt

    return fmt(q)


def _boxes(tube: FlowTube) -> list:
    """[(t0, t1, tube box, end box)] per step; a tube with no step is the exact start on [0, 0]."""
    if not tube.steps:
        x = tube.at(Fraction(0))
        return [(Fraction(0), Fraction(0), x, x)]
    return [(s.t0, s.t1, s.tube, s.end) for s in tube.steps]


#: a step whose tube box does not decide is split in time into at most 2**SPLIT_DEPTH pieces (each enclosed by the
#: step's Taylor polynomial over the piece): the tube box holds the whole motion over the step, too wide where the
#: quantity is small and varies along the path
SPLIT_DEPTH = 6


def _sub_box(step, a: Fraction, b: Fraction, prec: int):
    """An enclosure of θ(t) for every t ∈ [a, b] ⊆ [t0, t1] of one step: the step's Taylor polynomial, Lagrange
    remainder and ρ inflation evaluated on a ball S ⊇ [a − t0, b − t0] (inclusion-monotone: a ball slightly
    larger than the interval gives a superset), intersected with the step's tube box."""
    from .validated_flow import _eval_step, _interval

    with get_arith("ball", prec).context():
        return _eval_step(step, _interval(a - step.t0, b - step.t0))


def _lower_over_step(step, f, s0: Fraction, s1: Fraction, box, prec: int):
    """A certified lower bound ≥ 0 of f over the path on [s0, s1] (f: a box ↦ exact (lo, hi)), or None: first over
    the step's tube box, then over halves, quarters, … of the time interval (at most 2**SPLIT_DEPTH pieces)."""
    lo, _ = f(box)
    if lo >= 0 or s1 == s0:
        return lo if lo >= 0 else None
    pieces, worst = [(s0, s1)], None
    for _ in range(SPLIT_DEPTH):
        nxt = []
        for a, b in pieces:
            m = (a + b) / 2
            for u, v in ((a, m), (m, b)):
                lo, _ = f(_sub_box(step, u, v, prec))
                if lo < 0:
                    nxt.append((u, v))
                else:
                    worst = lo if worst is None else min(worst, lo)
        if not nxt:
            return worst
        pieces = nxt
    return None


def _value_at(obj, step, box, a, prec):
    """An enclosure of L over a box of the path: ``obj`` itself, or — over a box meeting a breakpoint, where a
    piecewise objective's ball evaluation may refuse — the analytic piece the step's end lies on (equal to L
    there, :func:`verify.convergence.kinks.end_objective`)."""
    try:
        return obj.value(box, a, prec)
    except RegionBoundaryError:
        if step is None:
            raise
        piece = kinks.end_objective(obj, step)
        if piece is obj:
            raise
        return piece.value(box, a, prec)


def _exp_neg_bounds(alpha: Fraction, t: Fraction, prec: int) -> tuple[Fraction, Fraction]:
    """Exact endpoints of an Arb enclosure of e^{−αt}."""
    a = get_arith("ball", prec)
    with a.context():
        return bounds((-a.const(alpha * t)).exp())


def flow_rate(obj, tube: FlowTube, alpha) -> Result:
    """Decide L(θ(t)) ≤ e^{−αt}·L(θ(0)) for every t ∈ [0, T] on a validated tube (see the module docstring).

    PROVED when ‖∇L‖² − αL ≥ 0 is certified over every tube box (then e^{αt}L(θ(t)) is non-increasing); REFUTED
    when some step end certifies L(θ(t_j)) > e^{−αt_j}·L(θ(0)); INCONCLUSIVE otherwise (the enclosures overlap, a
    box meets a kink, or the tube stops before T). α must be a positive rational (α = 0 claims no decay)."""
    t0 = time.perf_counter()
    _check_tube(tube, obj)
    aq = validate.positive_rational(alpha, "the rate α")
    claim = (f"L(θ(t)) ≤ e^(−αt)·L(θ(0)) with α = {aq} for every t ∈ [0, {tube.T}] (gradient flow; Chatterjee, "
             "arXiv:2203.16462; arXiv:2509.23887 claim 2)")
    prec = tube.prec
    a = get_arith("ball", prec)
    L0_lo, L0_hi = bounds(obj.value(tube.x0, a, prec))
    worst = None  # the smallest certified lower bound of ‖∇L‖² − αL over a tube box
    undecided = None
    for j, (s0, s1, box, end) in enumerate(_boxes(tube)):
        # a certified violation at the step end: L(θ(t1)) > e^{−α t1} L(θ(0))
        step = tube.steps[j] if tube.steps else None
        Le_lo, _ = bounds(_value_at(obj, step, end, a, prec))
        _, e_hi = _exp_neg_bounds(aq, s1, prec)
        if Le_lo > e_hi * L0_hi:
            return Result(Verdict.REFUTED, claim=claim, arithmetic="ball", precision=prec,
                          margin=_flt(e_hi * L0_hi - Le_lo), elapsed=time.perf_counter() - t0,
                          counterexample={"t": s1, "loss_lower": Le_lo, "bound_upper": e_hi * L0_hi},
                          certificate={"method": tube.method, "step": j},
                          message=f"at t = {s1}: L(θ(t)) ≥ {_fmt(Le_lo)} > e^(−αt)·L(θ(0)) ≤ {_fmt(e_hi * L0_hi)} "
                                  "(Arb enclosures over the validated tube, exact endpoints)")
        if undecided is not None:
            continue
        def gap(f, b):
            L, g = f.value_and_grad(b, a, prec)
            with a.context():
                return bounds(a.sum(g * g) - a.const(aq) * L)

        try:
            if step is not None and step.crossing is not None:
                # a crossing window: the old piece over the old-side box, the new piece over the new-side box
                # (e^{αt}L(θ(t)) is absolutely continuous, with derivative e^{αt}(αL − ‖∇L_piece‖²) off t*)
                lows = [gap(f, b)[0] for b, f in kinks.path_parts(obj, step)]
                lo = min(lows) if all(v >= 0 for v in lows) else None
            else:
                piece = kinks.path_parts(obj, step)[0][1] if step is not None else obj

                def pl_gap(b, piece=piece):
                    try:
                        return gap(obj, b)
                    except RegionBoundaryError:
                        if piece is obj:
                            raise
                        return gap(piece, b)  # the path is in the step's region, where L = L_P

                lo = _lower_over_step(step, pl_gap, s0, s1 if step is not None else s0, box, prec)
        except (RegionBoundaryError, UncertifiedValueError) as exc:
            undecided = f"step {j} ([{s0}, {s1}]): {exc}"
            continue
        if lo is None:
            undecided = (f"step {j} ([{s0}, {s1}]): ‖∇L‖² − αL is not certified ≥ 0 over the path on the step "
                         f"(tube box split into up to {2 ** SPLIT_DEPTH} time pieces)")
            continue
        worst = lo if worst is None else min(worst, lo)
    if undecided is not None:
        return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic="ball", precision=prec,
                      elapsed=time.perf_counter() - t0,
                      message=f"not decided: {undecided}; a smaller α, a tighter tube (higher prec or order) or a "
                              "shorter horizon may decide it")
    if not tube.complete:
        return _incomplete(tube, claim, f"the rate α = {aq} is certified", t0)
    return Result(Verdict.PROVED, claim=claim, arithmetic="ball", precision=prec, margin=_flt(worst),
                  quantity=Quantity("min over the tube of ‖∇L‖² − αL (lower bound)", _flt(worst)),
                  scope=_scope(tube, "‖∇L‖² ≥ αL certified over every tube box", alpha=aq),
                  certificate={"method": tube.method, "L0": [L0_lo, L0_hi], "min_pl_gap_lower": worst},
                  elapsed=time.perf_counter() - t0,
                  message=f"‖∇L‖² − αL ≥ {_fmt(worst)} over all {len(tube.steps)} tube boxes, so e^(αt)L(θ(t)) is "
                          f"non-increasing on [0, {tube.T}]")


def _box_distance_bounds(box, cq) -> tuple[Fraction, Fraction]:
    """Exact (lower, upper) bounds of the squared Euclidean distance from the point ``cq`` to the points of a box."""
    lo2 = hi2 = Fraction(0)
    for v, c in zip(box, cq):
        lo, hi = bounds(v)
        far = max(abs(lo - c), abs(hi - c))
        near = Fraction(0) if lo <= c <= hi else min(abs(lo - c), abs(hi - c))
        hi2 += far * far
        lo2 += near * near
    return lo2, hi2


def flow_stays_in_ball(tube: FlowTube, center, r) -> Result:
    """Decide ‖θ(t) − center‖₂ ≤ r for every t ∈ [0, T] (the closed ball). PROVED from the tube boxes' farthest
    corners; REFUTED when a step-end box is certainly outside (its nearest point farther than r)."""
    t0 = time.perf_counter()
    _check_tube(tube)
    cq = fraction_array(center, what="center")
    if cq.shape != tube.x0.shape:
        raise InputError(f"center must have {len(tube.x0)} entries, got shape {cq.shape}")
    rq = validate.positive_rational(r, "the radius r")
    claim = f"‖θ(t) − x0‖ ≤ {rq} for every t ∈ [0, {tube.T}] (gradient flow stays in the closed ball)"
    worst = Fraction(0)
    for _, s1, box, end in _boxes(tube):
        near2, _ = _box_distance_bounds(end, cq)
        if near2 > rq * rq:
            return Result(Verdict.REFUTED, claim=claim, arithmetic="ball", precision=tube.prec,
                          margin=-1.0, elapsed=time.perf_counter() - t0, counterexample={"t": s1},
                          message=f"at t = {s1} the enclosure of θ(t) lies outside the ball (squared distance ≥ "
                                  f"{_fmt(near2)} > r² = {_fmt(rq * rq)})")
        _, far2 = _box_distance_bounds(box, cq)
        worst = max(worst, far2)
    if worst > rq * rq:
        return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic="ball", precision=tube.prec,
                      elapsed=time.perf_counter() - t0,
                      message=f"a tube box reaches squared distance {_fmt(worst)} > r² = {_fmt(rq * rq)}: not decided")
    if not tube.complete:
        return _incomplete(tube, claim, "containment is certified", t0)
    return Result(Verdict.PROVED, claim=claim, arithmetic="ball", precision=tube.prec,
                  margin=_flt(rq * rq - worst), quantity=Quantity("max ‖θ(t) − x0‖² (upper bound)", _flt(worst)),
                  scope=_scope(tube, "containment of every tube box", r=rq), elapsed=time.perf_counter() - t0,
                  message=f"max ‖θ(t) − x0‖² ≤ {_fmt(worst)} ≤ r² = {_fmt(rq * rq)}")


def flow_no_blowup(obj, tube: FlowTube) -> Result:
    """Claim 1 of arXiv:2509.23887 on [0, T]: the solution exists (the tube reaches T) and
    ‖θ(t)‖ ≤ ‖θ(0)‖ + √(T·L(θ(0))) for every t (the bound enclosed in Arb; its certified lower end is compared with
    the tube's certified upper bound of max ‖θ(t)‖)."""
    t0 = time.perf_counter()
    _check_tube(tube, obj)
    claim = f"θ(t) exists and ‖θ(t)‖ ≤ ‖θ(0)‖ + √(T·L(θ(0))) on [0, {tube.T}] (arXiv:2509.23887 claim 1)"
    prec = tube.prec
    a = get_arith("ball", prec)
    L0 = obj.value(tube.x0, a, prec)
    with a.context():
        x = a.array(tube.x0)
        B = a.sum(x * x).sqrt() + (a.const(tube.T) * L0).sqrt()
    try:
        B_lo, _ = bounds(B)
    except UncertifiedValueError:
        return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic="ball", precision=prec,
                      elapsed=time.perf_counter() - t0,
                      message=f"the bound has no finite enclosure ({B}); is L(θ(0)) < 0?")
    origin = [Fraction(0)] * len(tube.x0)
    worst2 = max(_box_distance_bounds(box, origin)[1] for _, _, box, _ in _boxes(tube))
    if worst2 > B_lo * B_lo:
        return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic="ball", precision=prec,
                      elapsed=time.perf_counter() - t0,
                      message=f"a tube box reaches ‖θ‖² ≤ {_fmt(worst2)}, above the bound² ≥ {_fmt(B_lo * B_lo)}: "
                              "not decided")
    if not tube.complete:
        return _incomplete(tube, claim, "existence and the bound are certified", t0)
    return Result(Verdict.PROVED, claim=claim, arithmetic="ball", precision=prec,
                  margin=_flt(B_lo * B_lo - worst2), quantity=Quantity("max ‖θ(t)‖² (upper bound)", _flt(worst2)),
                  scope=_scope(tube, "existence on [0, T] and the norm of every tube box"),
                  elapsed=time.perf_counter() - t0,
                  message=f"the solution exists on [0, {tube.T}] and max ‖θ(t)‖² ≤ {_fmt(worst2)} ≤ "
                          f"(‖θ(0)‖ + √(T·L(θ(0))))² ≥ {_fmt(B_lo * B_lo)}")


def flow_avoids(tube: FlowTube, distance: Callable, what: str, prec: int | None = None) -> Result:
    """Decide that d(θ(t)) > 0 for every t ∈ [0, T], with a certified δ ≤ min_t d(θ(t)), where ``distance(box)``
    maps an object array of Arb balls to an Arb enclosure of d over the box (e.g. the distance to the set
    {w_a = w_b}: ‖w_a − w_b‖/√2). REFUTED when d is certainly 0 somewhere (an enclosure {0}: e.g. a start inside
    the set, taken exactly). ``what`` names the set in messages."""
    t0 = time.perf_counter()
    _check_tube(tube)
    if not callable(distance):
        raise InputError("distance must be a function of an object array of Arb balls")
    prec = tube.prec if prec is None else validate.precision(prec)
    claim = f"the gradient-flow path avoids {what} on [0, {tube.T}] (distance bounded away from 0)"
    a = get_arith("ball", prec)
    delta = None
    start = np.array([arb(0) + v for v in tube.at(Fraction(0))], dtype=object)
    for s0, s1, box, _ in [(Fraction(0), Fraction(0), start, start), *_boxes(tube)]:
        with a.context():
            d = distance(box)
        if not isinstance(d, arb):
            raise InputError(f"distance must return an Arb ball (flint.arb), got {type(d).__name__}")
        lo, hi = bounds(d)
        if hi <= 0:
            return Result(Verdict.REFUTED, claim=claim, arithmetic="ball", precision=prec, margin=-1.0,
                          counterexample={"t": s0}, elapsed=time.perf_counter() - t0,
                          message=f"the path meets {what}: the distance is certainly 0 for t ∈ [{s0}, {s1}]")
        delta = lo if delta is None else min(delta, lo)
    if delta <= 0:
        return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic="ball", precision=prec,
                      elapsed=time.perf_counter() - t0,
                      message=f"a tube box reaches {what} (distance lower bound {_fmt(delta)}): not decided")
    if not tube.complete:
        return _incomplete(tube, claim, f"a distance ≥ {_fmt(delta)} is certified", t0)
    return Result(Verdict.PROVED, claim=claim, arithmetic="ball", precision=prec, margin=_flt(delta),
                  quantity=Quantity(f"min distance to {what} (lower bound)", _flt(delta)),
                  scope=_scope(tube, f"distance to {what} over every tube box"), elapsed=time.perf_counter() - t0,
                  message=f"the distance to {what} stays ≥ {_fmt(delta)} on [0, {tube.T}]")


def gd_tracks_flow(obj, tube: FlowTube, eta, prec: int | None = None) -> Result:
    """Certified max_k ‖θ_k − θ(kη)‖₂ over kη ≤ T: GD from the tube's exact start with the exact step η (a shadowed
    ball run, :func:`verify.convergence.gd`) against the flow's enclosure at t = kη. PROVED states the bound D and
    C = D/η (claim 3 of arXiv:2509.23887 says D = O(η): compare C across step sizes)."""
    from .gd import gd

    t0 = time.perf_counter()
    _check_tube(tube, obj)
    q = validate.positive_rational(eta, "the step size η")
    prec = tube.prec if prec is None else validate.precision(prec)
    K = int(tube.T / q)
    if K < 1:
        raise InputError(f"η = {q} exceeds the horizon T = {tube.T}: no GD step to compare")
    claim = f"max over kη ≤ {tube.T} of ‖θ_k − θ(kη)‖ for GD with η = {q} (arXiv:2509.23887 claim 3)"
    if not tube.complete:
        return _incomplete(tube, claim, "the comparison", t0)
    run = gd(obj, tube.x0, q, K, "ball", prec)
    if run.steps < K:
        return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic="ball", precision=prec,
                      elapsed=time.perf_counter() - t0, message=f"the certified GD run stopped: {run.stopped}")
    worst = Fraction(0)
    for k in range(K + 1):
        flow = tube.at(k * q)
        diff2 = Fraction(0)
        for u, v in zip(run.thetas[k], flow):
            ulo, uhi = bounds(u)
            vlo, vhi = bounds(v)
            m = max(abs(uhi - vlo), abs(vhi - ulo))
            diff2 += m * m
        worst = max(worst, diff2)
    a = get_arith("ball", prec)
    with a.context():
        D_hi = bounds(a.const(worst).sqrt())[1]
    C = D_hi / q
    return Result(Verdict.PROVED, claim=claim, arithmetic="ball", precision=prec, margin=_flt(C),
                  quantity=Quantity("max_k ‖θ_k − θ(kη)‖ (upper bound)", _flt(D_hi)),
                  scope=_scope(tube, f"the {K + 1} times t = kη, GD iterates enclosed by a shadowed ball run", eta=q),
                  certificate={"D_upper": D_hi, "C_upper": C, "steps": K},
                  elapsed=time.perf_counter() - t0,
                  message=f"max_k ‖θ_k − θ(kη)‖ ≤ {_fmt(D_hi)} = C·η with C ≤ {_fmt(C)} (K = {K} steps)")
