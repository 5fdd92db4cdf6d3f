"""Validated enclosures of gradient flow θ' = f(θ) = −∇L(θ), θ(0) = x0, on a finite horizon [0, T].

:func:`validated_flow` returns a :class:`FlowTube`: time steps t_0 = 0 < t_1 < … (exact rationals), and per step a
box (Arb balls) that contains θ(t) for *every* t of the step and a box at its end; ``tube.at(t)`` encloses θ(t) at
any t ∈ [0, T_reached]. It is the standard validated Taylor method (Moore 1966; Lohner, "Enclosing the solutions of
ordinary initial and boundary value problems", 1987; Nedialkov, Jackson & Corliss, "Validated solutions of initial
value problems for ordinary differential equations", Appl. Math. Comput. 105 (1999) 21–68), with the wrapping
effect controlled by the logarithmic norm of the symmetric Jacobian −∇²L.

Method, one step [t_j, t_j + h] from an exact (dyadic) centre c_j and a radius ρ_j with θ(t_j) ∈ B̄₂(c_j, ρ_j):

1. **Taylor coefficients by automatic differentiation.** The point solution y (y(t_j) = c_j) has Taylor
   coefficients y_[0] = c_j, y_[k+1] = f(y)_[k]/(k + 1): the coefficient k of f(y(t)) depends only on
   y_[0..k]. The objective's own gradient code — the layer-wise backprop for MLPs, the compiled sympy program for
   ``from_sympy`` objectives — is run once on taped Taylor numbers (:mod:`verify.arith.relaxed`; matrix products
   are single tape nodes multiplied as ``arb_mat``), and the tape is swept once per order with the classical
   Taylor recurrences: Taylor-mode AD (Griewank & Walther, *Evaluating Derivatives*, 2008, ch. 13), O(N²) per
   operation (:class:`verify.arith.relaxed.Sweeper`: the tape compiled once per recording, common subexpressions
   merged, squares by symmetry). No Picard iteration. ``ad="series"`` computes the same coefficients by re-running
   the gradient on whole truncated ``arb_series`` (:mod:`verify.arith.taylor`) for each order — O(N³), kept as a
   cross-check.
2. **A-priori enclosure**, high-order test (Nedialkov, Jackson & Pryce, "An effective high-order interval method
   for validating existence and uniqueness of the solution of an IVP for an ODE", Reliable Computing 7 (2001)
   449–465): a box B with P([0, h]) + [0, h]^N·R ⊆ int B, where P(s) = Σ_{k<N} y_[k] s^k is the point solution's
   Taylor polynomial and R ⊇ y_[N](B) (step 3). Then y exists on [t_j, t_j + h] and stays in
   E = P([0, h]) + [0, h]^N·R: let t* be the sup of the t ≤ h with y([t_j, t_j + t]) ⊆ B (t* > 0 as
   y(t_j) = c_j ∈ int B); for s < t*, Taylor's theorem with the Lagrange remainder (step 3) puts y(t_j + s) in E, a
   compact subset of int B; so y cannot blow up before t* and reaches ∂B neither at t* nor just after it: t* = h.
   B is P([0, h]) padded by 32·tol (the remainder accepted is ≤ 10·tol), so the test costs nothing beyond R, which
   the step needs anyway. When it fails with a small remainder, the first-order test (Picard–Lindelöf) is tried: a
   box B with c_j + [0, h]·F(B) ⊆ int B, F(B) the Arb enclosure of f over B, found by ε-inflation (while y(s) ∈ B
   for s ≤ t, y(t) = c_j + ∫ f(y) ∈ c_j + (t − t_j)·hull F(B) ⊆ int B, so y cannot reach ∂B). The first-order box
   is wider and its test fails once h·(the interval Lipschitz constant of f over B) nears 1: on the tanh
   [4, 8, 6, 1] network it cut the steps the coefficients allow by 2–4×; the high-order test does not.
3. **Lagrange remainder.** Componentwise, y_i(t_j + s) = Σ_{k<N} y_[k],i s^k + s^N y_[N],i(y(τ_i)) with
   τ_i ∈ (t_j, t_j + s) (Taylor's theorem; y_[N] as a function of the state, since the field is autonomous), and
   y(τ_i) ∈ B. So with R = y_[N](B) computed by the same AD on series whose constant terms are the box B:
   y(t_j + s) ∈ Σ_{k<N} y_[k] s^k + s^N R for every s ∈ [0, h] (the tube: s = [0, h]; the step end: s = h);
   both intersected with B (two enclosures of one point: the intersection is one too).
4. **Wrapping control by the logarithmic norm.** For two solutions x, y in a convex set K,
   d/dt ½‖x − y‖² = −⟨x − y, H̄ (x − y)⟩ with H̄ = ∫₀¹ ∇²L(y + σ(x − y)) dσ, whose smallest eigenvalue is ≥ λ, a
   certified lower bound of λ_min(∇²L(ξ)) for all ξ ∈ K. Hence ‖x(t) − y(t)‖₂ ≤ e^{μ(t − t_j)}‖x(t_j) − y(t_j)‖₂
   with μ = −λ (Dahlquist's logarithmic norm; Söderlind, BIT 46 (2006) 631–652). Here K is the tube box of y
   inflated by r > ρ_j e^{μh}, λ comes from a Hessian enclosure over K (float64 balls, Arb as fallback) and
   :func:`verify.arith.linalg64.lambda_min_lower` (Weyl/Ostrowski, rigorous rounding). Continuity argument: the
   true solution x starts in B̄₂(c_j, ρ_j) ⊂ int K; as long as it stays in K the bound keeps it within
   e^{μh}ρ_j < r of y(t) ∈ tube, i.e. in int K, so it never leaves K on the step. Only the point solution is
   propagated by Taylor series (a thin initial value: its enclosure radius is the remainder plus rounding), and
   the initial uncertainty is carried as one Euclidean radius:
   ρ_{j+1} = e^{μh}ρ_j + ‖rad(Y_end)‖₂, c_{j+1} = mid(Y_end) (exact), Y_end the enclosure of y(t_j + h).
   For a convex region (λ ≥ 0) the radius contracts.
5. **Step size and order**: N = ``order`` (default ≈ prec/4.5, 28 at 128 bits); h from the decay of the point
   coefficients, h = κ·0.9 min_{k∈{N−1,N}} (tol/‖y_[k]‖_∞)^{1/k} rounded down to a 6-bit dyadic, shrunk while
   the a-priori test fails or the remainder exceeds 10·tol. κ ≤ 1 is learnt from the accepted steps' remainders
   (the remainder over the box is the point coefficient times a wrapping factor that varies slowly along the
   tube, 10^6–10^8 at order 28 on the tanh [4, 8, 6, 1] network): κ is set so that the next step's remainder is
   ≈ 3·tol. The step size is a heuristic choice; no decision about the enclosures depends on it (all of them are
   Arb inclusions, compared with certainty).

Soundness notes. Arb balls enclose every rounding; comparisons (``contains_interior``) are certain; radii are
carried as exact upper bounds (``arb.upper()``); nothing is decided on a float (floats only choose the step size).
The tape uses no ``arb_series``. The series engine does: python-flint's series routines truncate at the global
``flint.ctx.cap``, so every evaluation runs inside a context setting and restoring both ``ctx.prec`` and
``ctx.cap`` (:class:`verify.arith.taylor.SeriesContext`), and the order of every gradient series is checked (a
truncated one raises :class:`~verify.errors.InternalError`, never a wrong box).

Piecewise objectives (ReLU networks, ``Abs`` in sympy): the Taylor expansion needs an analytic field on the step.
The Taylor evaluation refuses a pre-activation (or Piecewise condition) whose constant term may meet a breakpoint,
at the centre and over B (:class:`~verify.errors.RegionBoundaryError`). With ``kinks="cross"`` (default) the
integrator then steps on the analytic piece L_P of the current activation region with region checks, and continues
across a *transversal* crossing with a certified crossing window (:mod:`verify.convergence.kinks`: both pieces'
fields certified to cross the breakpoint surface in the same direction, Filippov 1988; the window step's box holds
both sides; ``tube.crossings`` records each window). A certified sliding mode stops the tube with
``stop_kind="sliding"``; an undecided sign (tangential contact, boxes too wide) with ``stop_kind="kink"``; both are
valid on [0, T_reached]. ``kinks="stop"`` stops at the first breakpoint (the behaviour before crossings).

Supported objectives: ``Objective.from_sympy`` (every analytic sympy function the compiler knows; Piecewise
conditions decided on constant terms) and network losses (SquareLoss, LogisticLoss, CrossEntropyLoss) of MLPs and
of layer graphs that are Dense/Act chains, with any activation whose pieces the compiler evaluates. Other layer
graphs (convolutions, pooling, attention) raise :class:`~verify.errors.ArithmeticNotSupportedError`.
"""

from __future__ import annotations

import bisect
import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from flint import arb, ctx, fmpq

from .. import validate
from ..arith.ball import int_power
from ..arith.relaxed import Recording, Sweeper, TapeArithmetic, TNode
from ..arith.relaxed import variable as tape_variable
from ..arith.taylor import SeriesContext, TaylorArithmetic, series_order, variable
from ..errors import (
    ArithmeticNotSupportedError,
    EnclosureError,
    InputError,
    InternalError,
    NonFiniteError,
    NonRealError,
    RegionBoundaryError,
    UncertifiedValueError,
)
from ..errors import StepRejected as _StepFailed
from ..numbers import fraction_array, to_fraction

#: the horizon's upper limit (a validated enclosure over a longer time is out of reach anyway)
MAX_HORIZON = Fraction(10**6)
#: precision range (bits) of validated_flow
MIN_FLOW_PREC, MAX_FLOW_PREC = 32, 4096
#: the Taylor order's range
MIN_ORDER, MAX_ORDER = 2, 200


def default_order(prec: int) -> int:
    """N ≈ prec/4.5 (28 at 128 bits, 14 at 64, 57 at 256), between 6 and 100: a Taylor method of order N reaches
    relative error 2^−prec with steps ~ 2^(−prec/N) times the radius of convergence, so N ∝ prec balances the cost
    per step (O(N²) per tape node) against the number of steps (Corliss & Chang, ACM TOMS 8 (1982) 114–144; Jorba &
    Zou, Exp. Math. 14 (2005) 99–117). Measured at 128 bits with the high-order a-priori enclosure (CPU): tanh [2, 3, 1]
    to T = 10, N = 21, 28, 36, 48: 2.7, 1.8, 1.65, 1.6 s (300, 133, 80, 52 steps); tanh [4, 8, 6, 1] (p = 101) to
    T = 1/4, N = 22, 28, 34: 8.7, 5.4, 5.5 s (25, 13, 9 steps) — flat beyond N ≈ 28: the remainder over the box,
    whose wrapping grows with N, limits the step, and the cost per step grows as N²."""
    return max(6, min(100, round(prec / 4.5)))


@dataclass
class FlowStep:
    """One step [t0, t0 + h]: the point solution y from the exact centre ``coeffs[0]`` is
    Σ_{k<N} coeffs[k] s^k + s^N·remainder (s = t − t0 ∈ [0, h]); the true solution is within the Euclidean
    distance rho·e^{mu·s} of it."""

    t0: Fraction
    h: Fraction
    coeffs: list  # N object arrays of arb: Taylor coefficients of y at t0 (coeffs[0] = the centre, exact)
    remainder: np.ndarray  # y_[N] over the a-priori enclosure: object array of arb
    tube: np.ndarray  # encloses θ(t) for every t in [t0, t0 + h]
    end: np.ndarray  # encloses θ(t0 + h)
    rho: arb  # exact upper bound: ‖θ(t0) − centre‖₂ ≤ rho
    mu: Fraction | None  # logarithmic-norm bound on the step (None when rho = 0)
    #: the activation pattern (region) whose analytic piece L_P the step's polynomial integrates (None: the objective
    #: itself); the solution stays in that region on the step (:mod:`verify.convergence.kinks`)
    pattern: object = None
    #: a :class:`verify.convergence.kinks.Crossing` for the window step of a certified transversal crossing (its box
    #: is the hull of the old-piece and new-piece enclosures; its "polynomial" is that constant box)
    crossing: object = None

    @property
    def t1(self) -> Fraction:
        """The step's end time t0 + h (exact)."""
        return self.t0 + self.h


@dataclass
class FlowTube:
    """A validated enclosure of the gradient-flow solution on [0, T_reached] (see the module docstring).

    ``stopped`` is None when T_reached = T; otherwise it says why the enclosure stops there (``stop_kind``:
    ``"kink"``, ``"step_size"``, ``"max_steps"``, ``"time_limit"``)."""

    objective: str
    x0: np.ndarray  # exact rationals
    T: Fraction
    T_reached: Fraction
    steps: list
    order: int
    prec: int
    tol: Fraction
    method: str
    stopped: str | None = None
    stop_kind: str | None = None
    elapsed: float = 0.0
    checkpoints: list = field(default_factory=list)  # (t_j, max radius of the box at t_j as an exact Fraction)
    rho0: arb | None = None
    #: certified transversal crossings of activation breakpoints, in time order (:class:`kinks.Crossing`: where,
    #: t_lo, t_hi, the patterns on both sides, the certified signs of the normal components)
    crossings: list = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when the tube reaches the horizon T (T_reached = T); otherwise ``stopped`` says why it ends earlier."""
        return self.stopped is None

    @property
    def times(self) -> list:
        """t_0 = 0, t_1, …, t_n = T_reached (exact rationals)."""
        return [Fraction(0)] + [s.t1 for s in self.steps]

    @property
    def final(self) -> np.ndarray:
        """The enclosure of θ(T_reached)."""
        if not self.steps:
            return self.at(Fraction(0))
        return self.steps[-1].end

    @property
    def max_radius(self) -> Fraction:
        """The largest radius (exact upper bound) of the step-end boxes."""
        return max((r for _, r in self.checkpoints), default=Fraction(0))

    def hull(self) -> np.ndarray:
        """One box containing θ(t) for every t ∈ [0, T_reached]."""
        out = None
        for s in self.steps:
            out = s.tube.copy() if out is None else np.array([a.union(b) for a, b in zip(out, s.tube)], dtype=object)
        return self.at(Fraction(0)) if out is None else out

    def loss_enclosures(self, obj, prec: int | None = None) -> list:
        """[(t0, t1, L over the step's tube box)] for every step: an Arb ball containing L(θ(t)) for every t in
        [t0, t1] — the objective ``obj`` (the one the tube was computed for: the tube keeps no reference to it)
        evaluated in ball arithmetic over the box, at ``prec`` bits (default: the tube's)."""
        from ..convergence.gd import check_objective

        check_objective(obj)
        prec = self.prec if prec is None else validate.integer(prec, "prec", minimum=MIN_FLOW_PREC,
                                                               maximum=MAX_FLOW_PREC)
        from . import kinks

        out = []
        for s in self.steps:
            try:
                v = obj.value(s.tube, "ball", prec)
            except RegionBoundaryError:  # a box meeting a breakpoint: L on the pieces the path is on there
                v = None
                for box, f in kinks.path_parts(obj, s):
                    w = f.value(box, "ball", prec)
                    v = w if v is None else v.union(w)
            out.append((s.t0, s.t1, v))
        return out

    def distance_upper(self, center) -> Fraction:
        """An exact upper bound of sup_{t ∈ [0, T_reached]} ‖θ(t) − center‖₂ (``center`` exact rationals): the
        largest distance from ``center`` to a corner of the step boxes, rounded up."""
        cq = fraction_array(center, what="center")
        if cq.shape != self.x0.shape:
            raise InputError(f"center must have {len(self.x0)} entries, got shape {cq.shape}")
        boxes = [s.tube for s in self.steps] or [self.at(Fraction(0))]
        best = Fraction(0)
        for box in boxes:
            tot = Fraction(0)
            for v, c in zip(box, cq):
                lo, hi = to_fraction(v.lower()), to_fraction(v.upper())
                tot += max(abs(lo - c), abs(hi - c)) ** 2
            best = max(best, tot)
        with SeriesContext(self.prec, 1):
            r = _arbq(best).sqrt().upper()
        return to_fraction(r)

    def at(self, t) -> np.ndarray:
        """An enclosure (object array of Arb balls) of θ(t) for t ∈ [0, T_reached] (an exact rational, an int or a
        float read exactly; an ``arb`` ball inside the range encloses θ over it)."""
        if isinstance(t, arb):
            lo, hi = to_fraction(t.lower()), to_fraction(t.upper())
            tq = None
        else:
            tq = validate.rational(t, "t")
            lo = hi = tq
        if lo < 0 or hi > self.T_reached:
            raise InputError(f"t must lie in [0, T_reached] = [0, {self.T_reached}] (the enclosure stops there"
                             f"{': ' + self.stopped if self.stopped else ''}), got {t}")
        with SeriesContext(self.prec, 1):
            if not self.steps:  # T_reached = 0: the initial box
                return np.array([arb(fmpq(q.numerator, q.denominator)) for q in self.x0], dtype=object)
            if tq is None:  # a ball of times: the union over the steps it meets
                out = None
                for s in self.steps:
                    if s.t1 >= lo and s.t0 <= hi:
                        a = max(lo, s.t0) - s.t0
                        b = min(hi, s.t1) - s.t0
                        v = _eval_step(s, _interval(a, b))
                        out = v if out is None else np.array([x.union(y) for x, y in zip(out, v)], dtype=object)
                return out
            j = bisect.bisect_right([s.t0 for s in self.steps], tq) - 1
            s = self.steps[max(j, 0)]
            return _eval_step(s, _arbq(tq - s.t0))


def _arbq(q: Fraction) -> arb:
    return arb(q.numerator) if q.denominator == 1 else arb(fmpq(q.numerator, q.denominator))


def _interval(a: Fraction, b: Fraction) -> arb:
    """A ball containing [a, b] (a ≤ b)."""
    return _arbq(a).union(_arbq(b))


def _eval_step(s: FlowStep, S: arb) -> np.ndarray:
    """The enclosure of θ(t0 + σ) for every σ ∈ S ⊆ [0, h] (S a ball; Horner's scheme, Lagrange remainder,
    the ρ inflation), intersected with the step's tube."""
    N = len(s.coeffs)
    y = s.coeffs[N - 1]
    for k in range(N - 2, -1, -1):
        y = y * S + s.coeffs[k]
    y = y + s.remainder * int_power(S, N)
    if s.rho != 0:
        grow = _exp_upper(s.mu, S) if s.mu is not None else arb(1)
        r = (s.rho * grow).upper()
        y = np.array([v + arb(0, r) for v in y], dtype=object)
    out = np.empty(len(y), dtype=object)
    for i, (v, w) in enumerate(zip(y, s.tube)):
        out[i] = _meet(v, w)
    return out


def _exp_upper(mu: Fraction, S: arb) -> arb:
    """An upper bound of e^{μσ} over σ ∈ S (S ⊆ [0, h]): e^{μ·upper(S)} for μ ≥ 0, e^{μ·lower(S)} else."""
    end = S.upper() if mu >= 0 else S.lower()
    return (_arbq(mu) * end).exp().upper()


def _meet(a: arb, b: arb) -> arb:
    """The intersection of two enclosures of one value (both valid: so is the intersection)."""
    if b.contains(a):
        return a
    if a.contains(b):
        return b
    if not a.overlaps(b):  # two enclosures of the same value must overlap: a bug, never input
        raise InternalError(f"two enclosures of one value are disjoint: {a} and {b}")
    return a.intersection(b)


def _hull_vec(a, b):
    return np.array([x.union(y) for x, y in zip(a, b)], dtype=object)


def _max_rad(v) -> Fraction:
    return max((to_fraction(x.rad()) for x in v), default=Fraction(0))


def _norm2_rad_upper(v) -> arb:
    """An exact upper bound of ‖rad(v)‖₂."""
    s = arb(0)
    for x in v:
        r = x.rad()
        s += r * r
    return s.sqrt().upper()


def _mag(x: arb) -> float:
    """|x| rounded up to a float (heuristics only: the step-size choice; never a decision)."""
    return float(x.abs_upper().upper().mid())  # not-a-decision: chooses a step size only


def _check_supported(obj) -> None:
    from ..models.objective import NetworkLoss, SympyObjective
    from .gd import check_objective

    check_objective(obj)
    if isinstance(obj, SympyObjective):
        return
    if isinstance(obj, NetworkLoss):
        if obj.net.dense_chain() is None:
            raise ArithmeticNotSupportedError(
                "validated_flow evaluates the gradient on power series through the layer-wise MLP engine; this "
                "network is not a chain of Dense/Act layers (convolutions, pooling, attention …). Supported: "
                "verify.MLP and Dense/Act Sequentials, and Objective.from_sympy")
        return
    raise ArithmeticNotSupportedError(
        f"validated_flow supports Objective.from_sympy objectives and network losses of MLPs, not "
        f"{type(obj).__name__}")


class _Flow:
    """The integrator's state for one call (the objective, the series arithmetic, the settings)."""

    def __init__(self, obj, prec, N, tol, taped: bool = True):
        self.obj, self.prec, self.N, self.tol = obj, prec, N, tol
        self.taped = taped
        self.A = TaylorArithmetic(prec, cap=N + 2)
        self.T = TapeArithmetic(prec)
        self.p = obj.n_params
        self.tol_arb = _arbq(tol)
        self.log_tol = math.log(tol.numerator) - math.log(tol.denominator)
        self.lam_cache = None  # (box K⁺, λ ≤ λ_min(∇²L) over K⁺)
        self.margin = arb(2) ** -20
        self.kappa = 1.0  # step-size factor learnt from the remainders of past steps (heuristic, see learn)
        self.last_guess = None  # the last step_guess (heuristic)

    # -- Taylor coefficients -------------------------------------------------------------------------------
    def coefficients(self, x, upto: int) -> list:
        """[y_[0], …, y_[upto]] (object arrays of arb) of the solution through the point or box x (arb array),
        by y_[k+1] = f(y)_[k]/(k + 1): the gradient code is recorded once on taped Taylor numbers
        (:mod:`verify.arith.relaxed`) and the tape swept once per order."""
        if not self.taped:
            return self.series_coefficients(x, upto)
        A, p = self.T, self.p
        # one FLINT thread for the sweeps' small arb_mat products (2x faster than the pool on the shared machine;
        # switching ctx.threads costs milliseconds, so it is switched once per call, not per sweep)
        with A.context(), SeriesContext(self.prec, 1, threads=1):
            xs = np.empty(p, dtype=object)
            for i in range(p):
                xs[i] = tape_variable(x[i])
            with Recording() as rec:
                g = self.obj.grad(xs, arith=A)
            sweep = Sweeper(rec.tape)
            cs = [np.array(x, dtype=object)]
            for k in range(upto):
                nxt = np.empty(p, dtype=object)
                for i in range(p):
                    gi = g[i]
                    c = gi.coeff(k) if type(gi) is TNode else (arb(gi) if k == 0 else arb(0))
                    nxt[i] = _flow_coefficient(c, k)
                cs.append(nxt)
                if k + 1 < upto:
                    for v, val in zip(xs, nxt):
                        v.c.append(val)
                    sweep(k + 1)
        return cs

    def series_coefficients(self, x, upto: int) -> list:
        """The same coefficients by whole truncated series (:mod:`verify.arith.taylor`: the gradient evaluated on
        ``arb_series`` of order k + 1 for each k; O(N³)); kept as an independent cross-check of the tape."""
        A, p = self.A, self.p
        cs = [np.array(x, dtype=object)]
        for k in range(upto):
            with A.context():
                jets = np.empty(p, dtype=object)
                for i in range(p):
                    jets[i] = variable([cs[j][i] for j in range(k + 1)], k + 1)
            g = self.obj.grad(jets, arith=A)
            with A.context():
                nxt = np.empty(p, dtype=object)
                for i in range(p):
                    gi = g[i]
                    n = series_order(gi)
                    if n < k + 1:
                        raise InternalError(
                            f"a gradient series came back truncated at order {n} < {k + 1} (flint.ctx.cap = "
                            f"{ctx.cap}?): refusing to use it")
                    c = gi.coeff(k) if hasattr(gi, "coeff") else (arb(gi) if k == 0 else arb(0))
                    nxt[i] = _flow_coefficient(c, k)
            cs.append(nxt)
        return cs

    # -- step-size heuristic -------------------------------------------------------------------------------
    def step_guess(self, cs) -> float | None:
        """0.9·min_{k∈{N−1,N}} (tol/‖y_[k]‖)^{1/k}, or None when both coefficients vanish (an equilibrium); computed
        in logarithms (tol may be far below the float range). A heuristic: it decides nothing."""
        N = self.N
        best = None
        self.last_guess = None
        for k in (N - 1, N):
            m = max(_mag(v) for v in cs[k])
            if not math.isfinite(m):
                return 0.0
            if m > 0:
                e = (self.log_tol - math.log(m)) / k
                if e < 700:
                    hk = math.exp(e)
                    best = hk if best is None else min(best, hk)
        self.last_guess = None if best is None else 0.9 * best
        return self.last_guess

    # -- one step ------------------------------------------------------------------------------------------
    def apriori(self, c, h: Fraction, a1) -> np.ndarray:
        """A box B with c + [0, h]·F(B) ⊆ int B (see the module doc), or _StepFailed."""
        S = _interval(Fraction(0), h)
        tiny = arb(2) ** (-(self.prec - 12))
        B = np.empty(self.p, dtype=object)
        for i in range(self.p):
            seg = c[i].union(c[i] + _arbq(h) * a1[i])
            r = seg.rad() * 2 + tiny * (1 + abs(c[i]).upper()) + abs(a1[i]).upper() * _arbq(h) / 8
            B[i] = arb(seg.mid(), r.upper())
        for _ in range(8):
            G = self.obj.grad(B, "ball", self.prec)  # F(B) = −G
            new = np.array([c[i] - S * G[i] for i in range(self.p)], dtype=object)
            if not all(v.is_finite() for v in new):
                raise _StepFailed("the gradient's enclosure over the a-priori box is not finite")
            if all(B[i].contains_interior(new[i]) for i in range(self.p)):
                return new
            B = np.array([arb(u.mid(), (u.rad() * 2 + tiny).upper()) for u in _hull_vec(B, new)], dtype=object)
        raise _StepFailed("no a-priori enclosure (Picard–Lindelöf test) for this step size")

    def taylor_apriori(self, cs, h: Fraction):
        """The high-order a-priori enclosure (module doc, step 2): (B, tube, end, R) with B the polynomial's range
        P([0, h]) padded by 32·tol (+ 1/16 of its radius and a few ulps), R = y_[N](B), tube = P([0, h]) +
        [0, h]^N·R and end = P(h) + h^N·R; tube and end are None when P([0, h]) + [0, h]^N·R ⊄ int B (the test
        failed: the caller shrinks h, or tries the first-order test)."""
        N = self.N
        S = _interval(Fraction(0), h)
        H = _arbq(h)
        P = _horner(cs, S, N)
        pad = self.tol_arb * 32
        tiny = arb(2) ** (-(self.prec - 12))
        B = np.empty(self.p, dtype=object)
        for i, v in enumerate(P):
            B[i] = arb(v.mid(), (v.rad() * arb(17) / 16 + pad + tiny * (1 + abs(v).upper())).upper())
        R = self.coefficients(B, N)[N]
        tube = P + R * int_power(S, N)
        for u, b in zip(tube, B):
            if not b.contains_interior(u):
                return B, None, None, R
        end = _horner(cs, H, N) + R * int_power(H, N)
        end = np.array([_meet(u, v) for u, v in zip(end, tube)], dtype=object)
        return B, tube, end, R

    def taylor_boxes(self, cs, B, h: Fraction):
        """(tube, end, remainder) of the point solution with coefficients cs[0..N−1] and the box B ⊇ y([t_j, t_j+h])."""
        N = self.N
        S = _interval(Fraction(0), h)
        H = _arbq(h)
        R = self.coefficients(B, N)[N]
        tube = _horner(cs, S, N) + R * int_power(S, N)
        tube = np.array([_meet(u, v) for u, v in zip(tube, B)], dtype=object)
        end = _horner(cs, H, N) + R * int_power(H, N)
        end = np.array([_meet(u, v) for u, v in zip(end, tube)], dtype=object)
        return tube, end, R

    def try_step(self, c, rho, cs, h: Fraction, hmin: Fraction, fixed, raise_kink: bool = False):
        """One validated step from (c, rho) with the coefficients cs, trying h, then halving it (or shrinking it by
        the factor a too-wide remainder asks for) down to hmin: (h, parts, last) with parts = (B, ytube, yend, R,
        μ, e^{μh}, tube growth) or None, and last the last failure (reason, kind). A breakpoint met by the a-priori
        box is re-raised (RegionBoundaryError) when ``raise_kink`` (the caller continues on a fixed piece)."""
        N = self.N
        last = None
        while h >= hmin and h > 0:
            try:
                B, ytube, yend, R = self.taylor_apriori(cs, h)
                rem = _max_rad_arb(R * int_power(_arbq(h), N))
                if ytube is None and not (fixed is None and rem > self.tol_arb * 10 and h / 2 >= hmin):
                    # the high-order test failed with a small remainder: the first-order test at this h
                    B = self.apriori(c, h, cs[1])
                    ytube, yend, R = self.taylor_boxes(cs, B, h)
                    rem = _max_rad_arb(R * int_power(_arbq(h), N))
                if fixed is None and rem > self.tol_arb * 10 and h / 2 >= hmin:
                    # the remainder over the box is wider than at the centre (wrapping of the series AD over
                    # a box): shrink h by the factor it asks for, and remember it for the next steps
                    m = _mag(rem)
                    e = (math.log(3) + self.log_tol - math.log(m)) / N if 0 < m < math.inf else -1.0
                    shrink = min(0.9, math.exp(min(e, 0.0)))
                    self.kappa = max(1e-3, self.kappa * shrink)
                    raise _StepFailed(f"the remainder over the a-priori box exceeds 10·tol (h = {h})", shrink=shrink)
                if rho != 0:
                    mu, grow = self.log_norm(ytube, rho, h)
                    grow_tube = grow if mu >= 0 else arb(1)
                else:
                    mu, grow, grow_tube = None, arb(0), arb(0)
                if fixed is None:
                    self.learn(h, rem)
                return h, (B, ytube, yend, R, mu, grow, grow_tube), last
            except _StepFailed as exc:
                last = (exc.reason, exc.kind)
                if exc.shrink is not None:
                    h = _dyadic_floor(float(h) * exc.shrink)
                    continue
            except RegionBoundaryError as exc:
                if raise_kink:
                    raise
                last = (f"the tube meets a breakpoint of the objective: {exc}", "kink")
            except (EnclosureError, NonRealError) as exc:
                last = (f"no finite enclosure over the step: {exc}", "step_size")
            h = _halve(h)
        return h, None, last

    def learn(self, h: Fraction, rem: arb) -> None:
        """Step-size heuristic (decides nothing): the remainder over the box is q·h^N·‖y_[N](c)‖ with a factor q
        (the wrapping of the series AD over the box) that varies slowly along the tube; set kappa so that the next
        step's guess gives a remainder ≈ 3·tol: h·(3 tol/rem)^{1/N} over the guess of this step."""
        m = _mag(rem)
        if self.last_guess is None or not self.last_guess > 0 or not 0 < m < math.inf:
            self.kappa = min(1.0, self.kappa * 1.1)
            return
        ideal = float(h) * math.exp(min((math.log(3) + self.log_tol - math.log(m)) / self.N, 5.0))
        self.kappa = max(1e-3, min(1.0, ideal / self.last_guess))

    def make_step(self, t: Fraction, h: Fraction, cs, parts, rho, pattern=None):
        """(FlowStep, next centre, next radius) from try_step's parts (see the module doc, step 4)."""
        B, ytube, yend, R, mu, grow, grow_tube = parts
        r_tube = (rho * grow_tube).upper()
        r_end = (rho * grow).upper()
        xtube = np.array([v + arb(0, r_tube) for v in ytube], dtype=object) if rho != 0 else ytube
        xend = np.array([v + arb(0, r_end) for v in yend], dtype=object) if rho != 0 else yend
        st = FlowStep(t0=t, h=h, coeffs=cs[:self.N], remainder=R, tube=xtube, end=xend, rho=rho, mu=mu,
                      pattern=pattern)
        c = np.array([arb(v.mid()) for v in yend], dtype=object)
        return st, c, (r_end + _norm2_rad_upper(yend)).upper()

    def log_norm(self, tube, rho: arb, h: Fraction) -> tuple[Fraction, arb]:
        """(μ, e^{μh} upper) with μ ≥ −λ, λ ≤ λ_min(∇²L) over K = tube inflated by r > ρ e^{μh} (see the module
        doc); _StepFailed when no such r is found.

        The Hessian is enclosed over a box K⁺ ⊇ K a few tube widths larger, and the bound λ(K⁺) is reused by the
        next steps while their K stays inside K⁺ (λ_min over K ⊆ K⁺ is ≥ λ(K⁺): the reuse is sound; it trades a
        slightly larger μ for fewer Hessian enclosures)."""
        r = (rho * 2).upper()
        # an inflation beyond 2^64 × the tube's size (a blowing-up flow) decides nothing useful and its Hessian box
        # would overflow float64 balls or take exact rationals of astronomical exponents: a failed step instead
        limit = arb(2) ** 64 * (1 + max((abs(v.mid()) + v.rad()).upper() for v in tube))
        for _ in range(4):
            if not (r.is_finite() and r <= limit):
                raise _StepFailed("wrapping control: the inflated tube would be non-finite or astronomically wide "
                                  "(a flow that blows up?)")
            K = np.array([arb(v.mid(), (v.rad() + r).upper()) for v in tube], dtype=object)
            lam = self.cached_lambda(K)
            mu = Fraction(math.ceil(-lam * 2**64), 2**64)  # μ ≥ −λ, a short dyadic
            grow = (_arbq(mu) * _arbq(h)).exp().upper()
            if not grow.is_finite():
                raise _StepFailed("wrapping control: e^{μh} is not finite")
            if (rho * grow).upper() < r:
                return mu, grow
            r = (rho * grow * 2).upper()
        raise _StepFailed("wrapping control: no convex set K with e^{μh}ρ inside it")

    def cached_lambda(self, K) -> Fraction:
        if self.lam_cache is not None:
            big, lam = self.lam_cache
            if all(b.contains(k) for b, k in zip(big, K)):
                return lam
        big = np.array([arb(v.mid(), (v.rad() * 8 + abs(v).upper() * self.margin + self.margin).upper()) for v in K],
                       dtype=object)
        try:
            lam = self.lambda_lower(big)
        except (_StepFailed, RegionBoundaryError, EnclosureError):
            big, lam = K, self.lambda_lower(K)
        self.lam_cache = (big, lam)
        return lam

    def lambda_lower(self, K) -> Fraction:
        from ..arith.linalg64 import lambda_min_lower

        try:
            H = self.obj.hessian(K, "ball64")
            lam = lambda_min_lower(H)
        except (ArithmeticNotSupportedError, UncertifiedValueError, EnclosureError, NonFiniteError):
            lam = None  # e.g. a box beyond the float range: Arb below
        if lam is None:
            try:
                H = self.obj.hessian(K, "ball", self.prec)
                lam = lambda_min_lower(H)
            except (NonFiniteError, EnclosureError, UncertifiedValueError) as exc:
                raise _StepFailed(f"no certified lower bound of λ_min(∇²L) over the tube: {exc}") from None
        if lam is None:
            raise _StepFailed("no certified lower bound of λ_min(∇²L) over the tube")
        return lam


def _flow_coefficient(c: arb, k: int) -> arb:
    """y_[k+1] = f(y)_[k]/(k + 1) with f = −∇L, from the coefficient c = ∇L(y)_[k]; a non-finite one is refused."""
    v = -c / (k + 1)
    if not v.is_finite():
        raise EnclosureError(f"the Taylor coefficient {k + 1} of the flow is not finite over the box "
                             "(the gradient's enclosure reaches outside its domain or overflows)")
    return v


def _horner(cs, S, N):
    y = cs[N - 1]
    for k in range(N - 2, -1, -1):
        y = y * S + cs[k]
    return y


def _dyadic_floor(x: float) -> Fraction:
    """The largest m·2^e ≤ x with a 6-bit m (x > 0 finite): short exact step sizes that lose at most 1/32 of x
    (a 4-bit m lost up to 1/8, i.e. ≈ 3 % more steps)."""
    m, e = math.frexp(x)  # x = m·2^e, 0.5 ≤ m < 1
    q = math.floor(m * 64)
    return Fraction(q) * Fraction(2) ** (e - 6) if e >= 6 else Fraction(q, 2 ** (6 - e))


def validated_flow(obj, x0, T, prec: int = 128, order: int | None = None, tol=None, *, max_steps: int = 100_000,
                   min_step=None, time_limit: float | None = None, step=None, ad: str = "tape",
                   kinks: str = "cross") -> FlowTube:
    """A validated enclosure (a tube) of the gradient-flow solution θ' = −∇L(θ), θ(0) = x0, on [0, T].

    Parameters: ``obj`` an objective (``Objective.from_sympy`` or a network loss of an MLP), ``x0`` its p parameters
    (exact rationals; floats are read as their exact binary values), ``T`` > 0 the horizon (exact rational),
    ``prec`` Arb precision in bits (32 … 4096), ``order`` the Taylor order N (default :func:`default_order`),
    ``tol`` the local error target per step (default 2^−(prec−8), at least 2^−6N). ``max_steps``, ``min_step``
    (default T·2^−40) and ``time_limit`` (seconds, checked between steps) bound the work: when one is hit, or the
    tube meets a kink, the tube stops early and says so (``stopped``). ``step`` (an exact rational) fixes the step
    size instead of choosing it from the coefficients and ``tol`` (it is still halved where a step cannot be
    validated). ``kinks``: ``"cross"`` (default) continues across certified transversal crossings of activation
    breakpoints and stops on sliding (:mod:`verify.convergence.kinks`), ``"stop"`` stops at the first breakpoint.
    ``ad`` chooses how the Taylor coefficients are computed: ``"tape"`` (default: the gradient recorded
    once, then one sweep per order, :mod:`verify.arith.relaxed`) or ``"series"`` (the gradient re-evaluated on whole
    ``arb_series`` for each order, :mod:`verify.arith.taylor`); both give enclosures of the same coefficients.

    Method and soundness: the module docstring. Bad input raises :class:`~verify.errors.InputError` (or a
    subclass) and unsupported objectives :class:`~verify.errors.ArithmeticNotSupportedError`, before any work."""
    t_start = time.perf_counter()
    _check_supported(obj)
    p = obj.n_params
    x0q = fraction_array(x0, what="x0")
    if x0q.shape != (p,):
        raise InputError(f"x0 must be a flat vector of the objective's {p} parameters, got shape {x0q.shape}")
    Tq = validate.positive_rational(T, "the horizon T")
    if Tq > MAX_HORIZON:
        raise InputError(f"the horizon T must be at most {MAX_HORIZON}, got {T!r}")
    prec = validate.integer(prec, "prec (bits)", minimum=MIN_FLOW_PREC, maximum=MAX_FLOW_PREC)
    N = default_order(prec) if order is None else validate.integer(order, "order (Taylor order)",
                                                                     minimum=MIN_ORDER, maximum=MAX_ORDER)
    if tol is None:
        # 2^−(prec−8), but no smaller than 2^−6N, what an order-N method reaches with steps 2^−6 of the radius of
        # convergence (above ~600 bits with the default order 100: a smaller tol would only shrink the steps)
        tolq = Fraction(1, 2 ** (min(prec - 8, 6 * N)))
    else:
        tolq = validate.positive_rational(tol, "tol")
        if tolq >= 1 or tolq < Fraction(1, 2 ** (4 * prec)):
            raise InputError(f"tol must be in [2^-{4 * prec}, 1) (a local error per step), got {tol!r}")
    max_steps = validate.integer(max_steps, "max_steps", minimum=1)
    fixed = None if step is None else validate.positive_rational(step, "step")
    validate.one_of(ad, ("tape", "series"), "ad")
    validate.one_of(kinks, ("cross", "stop"), "kinks")
    hmin = Tq / 2**40 if min_step is None else validate.positive_rational(min_step, "min_step")
    if time_limit is not None:
        time_limit = validate.finite_float(time_limit, "time_limit")
        if time_limit <= 0:
            raise InputError(f"time_limit must be positive (seconds), got {time_limit!r}")

    fl = _Flow(obj, prec, N, tolq, taped=ad == "tape")
    method = (f"validated Taylor method of order {N} (Taylor-mode AD, {ad}), high-order a-priori "
              f"enclosure (first-order as fallback), Lagrange remainder, logarithmic-norm wrapping control; Arb at "
              f"{prec} bits")
    tube = FlowTube(objective=getattr(obj, "name", type(obj).__name__), x0=x0q, T=Tq, T_reached=Fraction(0),
                    steps=[], order=N, prec=prec, tol=tolq, method=method)
    pieces = None  # kinks.Pieces, built at the first kink (kinks="cross")
    mode = None  # kinks.PieceMode while stepping on a fixed analytic piece
    stay = 4  # piece-mode steps clear of every breakpoint before the objective itself is tried again
    with SeriesContext(prec, N + 2):
        x0b = [_arbq(q) for q in x0q]
        c = np.array([arb(v.mid()) for v in x0b], dtype=object)
        d = arb(0)
        for q, v in zip(x0q, c):
            e = _arbq(q - to_fraction(v.mid()))
            d += e * e
        rho = d.sqrt().upper()
        tube.rho0 = rho
        tube.checkpoints.append((Fraction(0), to_fraction(rho)))
        t = Fraction(0)
        stop = None

        def add(st):
            tube.steps.append(st)
            tube.T_reached = st.t1
            tube.checkpoints.append((st.t1, _max_rad(st.end)))

        def enter(exc):
            """Piece mode from (c, rho) after a kink; (mode, None) or (None, stop)."""
            nonlocal pieces
            named = _named_boundary(obj, c, prec, exc)
            why = f"at t = {t} the solution is (or may be) on a breakpoint of the objective: {named}"
            if kinks == "stop":
                return None, (why, "kink")
            from . import kinks as _kinks

            try:
                if pieces is None:
                    pieces = _kinks.Pieces(obj, prec, N, tolq, ad == "tape")
                return _kinks.PieceMode.enter(pieces, c, rho), None
            except RegionBoundaryError:
                return None, (why, "kink")
            except ArithmeticNotSupportedError as unsup:
                return None, (f"{why} (a crossing cannot be continued: {unsup})", "kink")

        while t < Tq:
            if len(tube.steps) >= max_steps:
                stop = (f"max_steps = {max_steps} steps reached at t = {t}", "max_steps")
                break
            if time_limit is not None and time.perf_counter() - t_start > time_limit:
                stop = (f"time_limit = {time_limit} s reached at t = {t}", "time_limit")
                break
            if mode is not None:
                out = mode.advance(c, rho, t, Tq, hmin, fixed)
                for st in out.steps:
                    add(st)
                tube.crossings.extend(out.crossings)
                if out.stop is not None:
                    stop = out.stop
                    break
                t, c, rho = tube.T_reached, out.c, out.rho
                if mode.clear_steps >= stay:
                    mode = None  # clear of every breakpoint: back to the objective itself
                continue
            try:
                cs = fl.coefficients(c, N)
            except RegionBoundaryError as exc:
                mode, stop = enter(exc)
                if stop is not None:
                    break
                stay = min(2 * stay, 1024)
                continue
            except (EnclosureError, NonRealError) as exc:
                stop = (f"at t = {t} the Taylor coefficients cannot be enclosed: {exc}", "step_size")
                break
            guess = fl.step_guess(cs)
            h = Tq - t if guess is None else (_dyadic_floor(guess * fl.kappa) if guess > 0 else Fraction(0))
            if fixed is not None:
                h = fixed
            elif 0 < Tq - t - h <= h / 32:
                h = Tq - t  # stretch by ≤ 1/32 instead of a sliver of a last step (the remainder check still decides)
            h = min(h, Tq - t)
            try:
                h, step, last = fl.try_step(c, rho, cs, h, hmin, fixed, raise_kink=kinks == "cross")
            except RegionBoundaryError as exc:
                mode, stop = enter(exc)
                if stop is not None:
                    break
                stay = min(2 * stay, 1024)
                continue
            if step is None:
                why, kind = last or (f"the step size the Taylor coefficients allow ({h}) is below min_step: they grow "
                                     "fast, i.e. the solution or the objective has a singularity close by (blow-up, "
                                     "the edge of the domain) or the flow is stiff", "step_size")
                stop = (f"no validated step from t = {t} with h ≥ {hmin}: {why}", kind)
                break
            st, c, rho = fl.make_step(t, h, cs, step, rho)
            add(st)
            t = tube.T_reached
    if stop is not None:
        tube.stopped, tube.stop_kind = stop
    tube.elapsed = time.perf_counter() - t_start
    return tube


def _named_boundary(obj, x, prec, exc):
    """The ball evaluation's RegionBoundaryError at x (it names the layer, neuron and data point, or the Piecewise
    condition), or ``exc`` when that evaluation does not raise one."""
    try:
        obj.grad(x, "ball", prec)
    except RegionBoundaryError as named:
        return named
    except Exception:  # noqa: BLE001 - only a better message is sought here
        return exc
    return exc


def _halve(h: Fraction) -> Fraction:
    return h / 2


def _max_rad_arb(v) -> arb:
    """max_i rad(v_i) (exact: radii are exact numbers)."""
    out = arb(0)
    for x in v:
        r = x.rad()
        if r > out:
            out = r
    return out


__all__ = ["validated_flow", "FlowTube", "FlowStep", "default_order"]
