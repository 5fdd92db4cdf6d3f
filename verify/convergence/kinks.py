"""Certified transversal crossings of activation breakpoints for validated gradient-flow tubes.

:func:`verify.convergence.validated_flow` integrates θ' = F(θ) = −∇L(θ) with a Taylor method that needs an
analytic field on each step. For a piecewise objective (ReLU, |x|, leaky ReLU, hard-tanh networks; ``Abs``/``Max``
in sympy) the field is analytic only inside an *activation region* R_P = {θ : h_k(θ) > 0 for every k} (P the
activation pattern), where L coincides with one analytic expression L_P (``objective.on_region(P)``), defined on
all of R^p (a polynomial for ReLU-type networks). The switching functions h_k, one per (pre-activation, breakpoint)
pair, are oriented so that the piece's side is h_k > 0: h = z − b_{j−1} and h = b_j − z for an entry z (a
pre-activation of one neuron at one data point, a function of θ) on the piece (b_{j−1}, b_j) of its activation;
for a sympy ``Piecewise((A, c), (B, True))`` with a relational condition c: h = ±(lhs − rhs).

**Gradient flow across a kink** is understood in Filippov's sense (A. F. Filippov, *Differential Equations with
Discontinuous Righthand Sides*, Kluwer 1988, Ch. 2): on the surface S = {h_k = 0} between R_P and R_P' the field
is the convex hull co{F_P, F_P'} (for these piecewise-smooth L also Clarke's subdifferential −∂L). When both
fields cross S in the same direction — with ν = ∇h_k (pointing into R_P), ν·F_P < 0 and ν·F_P' < 0 near the
crossing point — the Filippov solution crosses S once, transversally, and is unique (Filippov 1988, Ch. 2 §10,
uniqueness on a discontinuity surface crossed by both fields); it is the solution of θ' = F_P up to the crossing
time t* and of θ' = F_P' after it. When F_P points into S and F_P' points back (ν·F_P < 0 < ν·F_P'), solutions
*slide* along S (Filippov's sliding mode, the convex combination tangent to S): the tube stops there. This is the
event-location step of validated ODE solvers for piecewise-smooth systems (CAPD: Kapela, Mrozek, Wilczak,
Zgliczyński, "CAPD::DynSys: a flexible C++ toolbox for rigorous numerical analysis of dynamical systems",
arXiv:2010.07097: rigorous crossings of Poincaré sections by validated Taylor enclosures).

**Piece mode.** At a kink the integrator switches to the analytic piece L_P of the current region (decided with
certainty on the current box): every step is an ordinary validated Taylor step of θ' = F_P(θ) (the module
docstring of :mod:`verify.convergence.validated_flow`), an enclosure of the P-flow φ_P from every point of the
current box, followed by a region check on its tube box: every h_k is enclosed over it (Arb, compiled from the
exact sympy expressions).

* h_k > 0 on the whole tube box for every k: φ_P stays in R_P on the step, where F_P = F, so φ_P is the solution
  (it is unique there: F is analytic on R_P). The step is kept.
* A *pending* h_k (a breakpoint just crossed: h_k(θ(t_j)) ≥ 0 is known at the step start, but the box still
  meets h_k = 0) needs a certified ∇h_k·F_P > 0 on the tube box: then h_k∘φ_P increases while φ_P is in the box
  (it is, on the whole step), so h_k stays > 0 after the crossing.
* Otherwise some h_k may vanish on the step: the **crossing** below, or a shorter step.

**Certified crossing window** (one switching function h = h_k at a time; h > 0 at the step start, strictly on the
start box). The step [t_j, t_j + H] is cut into M = 32 sub-intervals and h is enclosed over φ_P on each
(the step's Taylor polynomial, remainder and ρ inflation over the sub-interval). With a the start of the first
sub-interval where h > 0 is not certified and b the start of the first later one where h < 0 is certified:

1. h(φ_P(t)) > 0 on [t_j, a] (the sub-interval enclosures); every other switching function is certified > 0 on
   the sub-intervals before b (a pending one by its derivative, above).
2. Transversality on the old side: ∇h·F_P < 0 certified over the enclosure W of φ_P on [a, b]. So h∘φ_P is
   strictly decreasing there, with h(φ_P(a)) > 0 > h(φ_P(b)): exactly one zero t* ∈ (a, b).
3. Bisection of [a, b] on point enclosures of φ_P: a point s with h(φ_P(s)) > 0 certified lies before t*, one
   with h < 0 after it. This shrinks the window to [t_lo, t_hi] ∋ t*, about 2·radius/|dh/dt| wide.
4. X* = enclosure of φ_P over [t_lo, t_hi] ∋ θ(t*). The new piece P' (the entry moved to the neighbouring piece).
   An a-priori box B_new for θ' = F_P' from X* over a time w = t_hi − t_lo (Picard–Lindelöf:
   X* + [0, w]·F_P'(B_new) ⊆ int B_new), so the P'-solution ψ from θ(t*) stays in B_new on [t*, t_hi].
5. Transversality on the new side: ∇h·F_P' < 0 certified over B_new (the same sign as in 2), and every other
   switching function of P' certified > 0 on B_new (or pending with its derivative). Then h(ψ(t)) < 0 for
   t ∈ (t*, t_hi]: ψ is in R_P' and is the solution there. If instead ∇h·F_P' > 0 is certified over B_new (the
   new field points back into S), the flow slides: the tube stops (``stop_kind="sliding"``) at t_lo. An
   undecided sign (tangential or near-tangential, or boxes too wide at this precision) stops with
   ``stop_kind="kink"``.
6. Restart: θ(t_hi) = ψ(t*) + ∫_{t*}^{t_hi} F_P'(ψ) ds ∈ X* + [0, w]·F_P'(B_new) =: B' (the integral of a function
   with values in the box F_P'(B_new) over a time ≤ w), intersected with B_new. Stepping continues on P' from B'
   at t_hi, with −h pending (h(θ(t_hi)) < 0 but B' meets h = 0).

The tube keeps tiling [0, T_reached]: the P-step truncated to [t_j, t_lo] (a sub-interval of a valid step), then
the window step [t_lo, t_hi] whose box is X* ∪ B_new (θ(t) ∈ X* for t ≤ t*, ∈ B_new for t ≥ t*) and whose end box
is B'; ``tube.crossings`` records each window (:class:`Crossing`). Claims over a window step
(:mod:`verify.convergence.flow_claims`) evaluate L_P over X* and L_P' over B_new: L is continuous and on each side
of t* the solution is in the closure of one region, where L = L_P (resp. L_P') and θ' = −∇L_P (resp. −∇L_P').

Every decision is an Arb sign certified on exact endpoints (``arb`` comparisons are certain); floats only choose
step sizes. Supported: network losses whose activation sites are activations (no max pooling) and
``from_sympy`` objectives whose Piecewise nodes are two-branch ``Piecewise((A, lhs ⋚ rhs), (B, True))`` without
nested Piecewise (``Abs``, ``Max``, ``Min`` rewrite to these); other objectives stop at the kink as before. The
piece objectives are sympy expressions (``on_region``): meant for small networks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import sympy as sp
from flint import arb

from ..arith import get_arith
from ..errors import (
    ArithmeticNotSupportedError,
    EnclosureError,
    KinkRetry,
    NonRealError,
    RegionBoundaryError,
    StepRejected,
)

#: sub-intervals of a step on which a switching function is enclosed to find the coarse crossing window
SUBDIVISIONS = 32
#: bisection steps refining the crossing window (each side)
BISECTIONS = 160
#: shorter steps tried when a step's region check or crossing is undecided, before the tube stops
RETRIES = 8


@dataclass
class Crossing:
    """A certified transversal crossing of the breakpoint ``where`` at a time t* ∈ [t_lo, t_hi] (exact rationals):
    the flow leaves the region ``old`` (activation pattern) and enters ``new``. ``old_box`` encloses θ(t) for
    t ∈ [t_lo, t*] (old piece), ``new_box`` for t ∈ [t*, t_hi] (new piece); ``rate_old`` and ``rate_new`` enclose
    d/dt h(θ(t)) (h the switching function, positive on the old side) over them: both certified < 0."""

    where: str
    t_lo: Fraction
    t_hi: Fraction
    old: object
    new: object
    old_box: np.ndarray = field(repr=False)
    new_box: np.ndarray = field(repr=False)
    rate_old: arb = None
    rate_new: arb = None


@dataclass
class _Switch:
    """One switching function h (positive on the piece's side) of a pattern: ``key`` identifies the
    (entry, breakpoint) pair across patterns, ``expr`` is h in the objective's symbols, ``flip`` the pattern on
    the other side."""

    key: tuple
    name: str
    expr: sp.Expr
    flip: object


def _pkey(pattern):
    """A hashable key of a pattern (a tuple of int arrays for networks, a tuple of ints for sympy)."""
    if isinstance(pattern, tuple) and all(isinstance(v, int) for v in pattern):
        return ("sympy", pattern)
    return tuple((tuple(np.asarray(a).shape), tuple(int(v) for v in np.asarray(a).ravel())) for a in pattern)


class _Recorder:
    """Wraps a symbolic interpreter and records every activation input (site, activation, array of sympy
    pre-activations)."""

    def __init__(self, pattern):
        from ..models.nn.ops import SymbolicOps

        class Rec(SymbolicOps):
            def act(inner, x, sigma, k=0, site=None):  # noqa: N805 - closure over the recorder
                self.sites.append((site, sigma, x.copy()))
                return super().act(x, sigma, k, site)

            def window_max(inner, x, site=None, const_of=None):  # noqa: N805
                raise ArithmeticNotSupportedError("max pooling: its crossings are not supported")

        self.sites = []
        self.ops = Rec(pattern)


class Piece:
    """The analytic piece L_P of one pattern P: its objective, its switching functions and their compiled
    enclosures."""

    def __init__(self, owner: Pieces, pattern, switches: list, expr: sp.Expr):
        from ..arith.compile import Program
        from ..models.objective import Objective

        self.pattern, self.key, self.switches = pattern, _pkey(pattern), switches
        self.by_key = {s.key: i for i, s in enumerate(switches)}
        self.obj = Objective.from_sympy(expr, owner.symbols, name=f"{owner.name} on a region")
        self.owner = owner
        a = get_arith("ball", owner.prec)
        self.arith = a
        syms = owner.symbols
        self._values = Program([s.expr for s in switches], syms, a) if switches else None
        self._grads = None
        self.flow = None  # the _Flow of L_P, made on first use

    def values(self, box) -> list:
        """Arb enclosures of every h_k over the box."""
        if self._values is None:
            return []
        return self._values(list(box))

    def rates(self, box, idx) -> dict:
        """{k: an enclosure of ∇h_k·F_P over the box} for k in idx (F_P = −∇L_P over the box)."""
        if not idx:
            return {}
        if self._grads is None:
            from ..arith.compile import Program

            syms = self.owner.symbols
            self._grads = Program([sp.diff(s.expr, v) for s in self.switches for v in syms], syms, self.arith)
        G = self.obj.grad(np.array(list(box), dtype=object), "ball", self.owner.prec)
        D = self._grads(list(box))
        p = len(self.owner.symbols)
        out = {}
        with self.arith.context():
            for k in idx:
                acc = arb(0)
                for i in range(p):
                    acc -= D[k * p + i] * G[i]
                out[k] = acc
        return out


class Pieces:
    """The region machinery of one objective: the pattern of a box, the piece of a pattern (cached)."""

    def __init__(self, obj, prec: int, N: int, tol: Fraction, taped: bool):
        from ..models.objective import NetworkLoss, SympyObjective

        self.obj, self.prec, self.N, self.tol, self.taped = obj, prec, N, tol, taped
        self.name = getattr(obj, "name", type(obj).__name__)
        self.cache = {}
        if isinstance(obj, SympyObjective):
            self.kind = "sympy"
            self.symbols = list(obj.variables)
            self.nodes = obj.pieces()
            self.conds = []
            for node in self.nodes:
                args = node.args
                if len(args) != 2 or args[1].cond is not sp.true or any(
                        a.expr.has(sp.Piecewise) for a in args):
                    raise ArithmeticNotSupportedError(
                        f"only two-branch Piecewise((A, condition), (B, True)) nodes without nesting are continued "
                        f"across (got {node})")
                c = args[0].cond
                if isinstance(c, sp.GreaterThan | sp.StrictGreaterThan):
                    g = c.lhs - c.rhs
                elif isinstance(c, sp.LessThan | sp.StrictLessThan):
                    g = c.rhs - c.lhs
                else:
                    raise ArithmeticNotSupportedError(f"the Piecewise condition {c} is not one inequality")
                if g.has(sp.Piecewise):
                    raise ArithmeticNotSupportedError(f"the Piecewise condition {c} is itself piecewise")
                self.conds.append((g, c))
            from ..arith.compile import Program

            self._cond_prog = Program([g for g, _ in self.conds], self.symbols, get_arith("ball", prec))
        elif isinstance(obj, NetworkLoss):
            self.kind = "network"
            self.symbols = list(obj.symbols)
            if any(getattr(s, "kind", "act") != "act" for s in obj.net.sites):
                raise ArithmeticNotSupportedError("max-pooling sites: crossings are not supported")
        else:
            raise ArithmeticNotSupportedError(f"crossings of {type(obj).__name__} objectives are not supported")

    # -- the pattern of a box ------------------------------------------------------------------------------
    def pattern_at(self, box):
        """The activation pattern of every point of the box (certain), or RegionBoundaryError."""
        if self.kind == "network":
            pat = self.obj.region(np.array(list(box), dtype=object), self.prec)
            return tuple(np.asarray(p).copy() for p in pat)
        vals = self._cond_prog(list(box))
        out = []
        for (g, c), v in zip(self.conds, vals):
            if v > 0:
                out.append(0)
            elif v < 0:
                out.append(1)
            else:
                raise RegionBoundaryError(f"the Piecewise condition {c} is undecided over the box ({g} ∈ {v})",
                                          condition=c, enclosure=v)
        return tuple(out)

    # -- the piece of a pattern ----------------------------------------------------------------------------
    def piece(self, pattern) -> Piece:
        key = _pkey(pattern)
        got = self.cache.get(key)
        if got is None:
            got = self._build(pattern)
            self.cache[key] = got
        return got

    def _build(self, pattern) -> Piece:
        if self.kind == "sympy":
            sw = []
            for i, ((g, c), b) in enumerate(zip(self.conds, pattern)):
                flip = tuple(1 - v if j == i else v for j, v in enumerate(pattern))
                sw.append(_Switch(("node", i), f"the Piecewise condition {c}", g if b == 0 else -g, flip))
            return Piece(self, pattern, sw, self.obj.on_region(pattern))
        rec = _Recorder(pattern)
        outs = self.obj._symbolic_outputs(rec.ops)
        expr = self.obj.on_region(pattern)
        del outs
        sw = []
        for site, sigma, X in rec.sites:
            pat = np.asarray(pattern[site.index])
            bps = [sp.Rational(b) for b in sigma.breakpoints]
            for idx, z in np.ndenumerate(X):
                j = int(pat[idx])
                where = (f"layer {site.layer}, neuron {idx[-1] if len(idx) > 1 else 0}, data point {idx[0]} "
                         f"({site.label}, entry {tuple(int(i) for i in idx)})")
                for bi, sgn, nj in ((j - 1, 1, j - 1), (j, -1, j + 1)):
                    if 0 <= bi < len(bps):
                        new = tuple(np.asarray(p).copy() for p in pattern)
                        new[site.index][idx] = nj
                        sw.append(_Switch(("act", site.index, tuple(int(i) for i in idx), bi),
                                          f"{where}, breakpoint {bps[bi]}", sgn * (z - bps[bi]), new))
        return Piece(self, pattern, sw, expr)

    def flow(self, piece: Piece):
        """The integrator of θ' = −∇L_P (one per piece)."""
        if piece.flow is None:
            from .validated_flow import _Flow

            piece.flow = _Flow(piece.obj, self.prec, self.N, self.tol, taped=self.taped)
        return piece.flow


@dataclass
class Advance:
    """What one call of :meth:`PieceMode.advance` produced: steps (tiling from t), the next centre and radius, the
    crossings, or a stop (reason, kind)."""

    steps: list
    c: object = None
    rho: object = None
    crossings: list = field(default_factory=list)
    stop: tuple | None = None


def _show(q: Fraction) -> str:
    """A time for messages: exact when short, else its decimal value (the exact one is in ``tube.crossings``)."""
    return str(q) if q.denominator < 10**9 else f"{float(q):.17g}"  # not-a-decision: display only


def _box_of(c, rho) -> np.ndarray:
    """The box c ± ρ ⊇ the Euclidean ball B̄(c, ρ)."""
    return np.array([v + arb(0, rho) for v in c], dtype=object) if rho != 0 else np.array(list(c), dtype=object)


def _hull(a, b):
    return np.array([x.union(y) for x, y in zip(a, b)], dtype=object)


class PieceMode:
    """Stepping on one analytic piece with region checks and certified crossings (see the module docstring)."""

    def __init__(self, pieces: Pieces, pattern, pending: frozenset = frozenset()):
        self.pieces = pieces
        self.piece = pieces.piece(pattern)
        self.pending = frozenset(pending)
        self.clear_steps = 0  # consecutive steps with every switching function certified > 0 on the tube box

    @classmethod
    def enter(cls, pieces: Pieces, c, rho) -> PieceMode:
        """Piece mode from the box c ± ρ, which must lie in one region (else RegionBoundaryError)."""
        box = _box_of(c, rho)
        pattern = pieces.pattern_at(box)
        mode = cls(pieces, pattern)
        vals = mode.piece.values(box)
        for s, v in zip(mode.piece.switches, vals):
            if not v > 0:  # the pattern was decided on the box: this is a consistency check
                raise RegionBoundaryError(f"{s.name}: the switching function is not certified > 0 on the start box "
                                          f"({v})")
        return mode

    # -- one advance ---------------------------------------------------------------------------------------
    def advance(self, c, rho, t: Fraction, T: Fraction, hmin: Fraction, fixed) -> Advance:
        from .validated_flow import _dyadic_floor

        piece = self.piece
        fl = self.pieces.flow(piece)
        N = fl.N
        try:
            cs = fl.coefficients(c, N)
        except (EnclosureError, NonRealError) as exc:
            return Advance([], stop=(f"at t = {t} the Taylor coefficients of the piece cannot be enclosed: {exc}",
                                     "step_size"))
        guess = fl.step_guess(cs)
        h = T - t if guess is None else (_dyadic_floor(guess * fl.kappa) if guess > 0 else Fraction(0))
        if fixed is not None:
            h = fixed
        h = min(h, T - t)
        tries = 0
        last = None
        while h >= hmin and h > 0:
            h, parts, why = fl.try_step(c, rho, cs, h, hmin, fixed)
            if parts is None:
                reason, kind = why or ("no validated step on the piece", "step_size")
                return Advance([], stop=(f"no validated step from t = {t} with h ≥ {hmin} on the analytic piece: "
                                         f"{reason}", kind))
            step, c1, rho1 = fl.make_step(t, h, cs, parts, rho, pattern=piece.pattern)
            try:
                return self._check(step, c1, rho1, t)
            except KinkRetry as exc:
                last = exc
                tries += 1
                if tries > RETRIES:
                    break
                h = h / 2
            except (EnclosureError, NonRealError, StepRejected) as exc:
                last = KinkRetry(f"{exc}", "step_size")
                tries += 1
                if tries > RETRIES:
                    break
                h = h / 2
        why = last.reason if last is not None else f"no step above min_step = {hmin}"
        kind = last.kind if last is not None else "step_size"
        return Advance([], stop=(f"at t = {t}: {why}", kind))

    def _check(self, step, c1, rho1, t: Fraction) -> Advance:
        piece = self.piece
        sw = piece.switches
        vals = piece.values(step.tube)
        pend = [k for k, s in enumerate(sw) if s.key in self.pending]
        open_pend = [k for k in pend if not vals[k] > 0]
        rates = piece.rates(step.tube, open_pend)
        for k in open_pend:
            if not rates[k] > 0:
                raise KinkRetry(f"{sw[k].name}: just crossed, but the flow's motion away from the breakpoint "
                             f"(d/dt h ∈ {rates[k]}) is not certified over the step")
        fresh = [k for k, s in enumerate(sw) if s.key not in self.pending and not vals[k] > 0]
        if not fresh:
            return self._accept(step, c1, rho1, clear=not open_pend)
        return self._cross(step, fresh, t, c1, rho1)

    def _accept(self, step, c1, rho1, clear: bool) -> Advance:
        piece = self.piece
        if self.pending:
            ends = piece.values(step.end)
            self.pending = frozenset(s.key for s, v in zip(piece.switches, ends)
                                     if s.key in self.pending and not v > 0)
        self.clear_steps = self.clear_steps + 1 if clear and not self.pending else 0
        return Advance([step], c=c1, rho=rho1)

    def _truncate(self, step, s: Fraction):
        """The step restricted to [t0, t0 + s] (its polynomial, remainder and radius are valid there)."""
        from .validated_flow import FlowStep, _arbq, _eval_step, _interval

        tube = _eval_step(step, _interval(Fraction(0), s))
        end = _eval_step(step, _arbq(s))
        return FlowStep(t0=step.t0, h=s, coeffs=step.coeffs, remainder=step.remainder, tube=tube, end=end,
                        rho=step.rho, mu=step.mu, pattern=step.pattern)

    def _cross(self, step, fresh: list, t: Fraction, c1, rho1) -> Advance:
        from .validated_flow import (
            FlowStep,
            _arbq,
            _eval_step,
            _interval,
            _meet,
            _norm2_rad_upper,
        )
        from .validated_flow import _StepFailed as StepFailed

        piece, sw, pieces = self.piece, self.piece.switches, self.pieces
        H, M = step.h, SUBDIVISIONS
        cuts = [H * i / M for i in range(M + 1)]
        subs = [_eval_step(step, _interval(cuts[i], cuts[i + 1])) for i in range(M)]
        subvals = [piece.values(b) for b in subs]
        first = {}
        for k in fresh:
            first[k] = next((i for i in range(M) if not subvals[i][k] > 0), M)
        kstar = min(fresh, key=lambda k: first[k])
        istar = first[kstar]
        if istar == M:  # every sub-interval is inside the region: no crossing on this step
            return self._accept(step, c1, rho1, clear=False)
        if istar == 0:
            raise KinkRetry(f"{sw[kstar].name}: the breakpoint may be met at once; a shorter step is needed")
        j = next((i for i in range(istar, M) if subvals[i][kstar] < 0), None)
        others = [k for k in fresh if k != kstar and first[k] < (M if j is None else j)]
        if others or j is None:
            # another breakpoint may be met before this one is certainly crossed, or the flow approaches the
            # breakpoint without certainly crossing it on this step: keep the part of the step before it (the next
            # steps start closer; two crossings at once end in shorter and shorter steps, then a stop)
            st = self._truncate(step, cuts[istar])
            return self._accept(st, *self._next_of(st), clear=False)
        a, b = cuts[istar], cuts[j]
        where = sw[kstar].name
        # 2. transversality on the old side over the coarse window
        W = _eval_step(step, _interval(a, b))
        rate_old = piece.rates(W, [kstar])[kstar]
        if not rate_old < 0:
            pre = self._truncate(step, a)
            coarse = f"[{_show(t + a)}, {_show(t + b)}]"
            kind = "kink"
            return Advance([pre], stop=(
                f"at t ∈ {coarse} the solution may meet {where}, and the sign of d/dt h along the old "
                f"piece's field ({rate_old}) is not certified there (tangential or near-tangential contact, or "
                "boxes too wide at this precision): the crossing is not continued", kind))
        # 3. bisection on point enclosures
        lo, hi = a, b

        def hval(s):
            return piece.values(_eval_step(step, _arbq(s)))[kstar]

        und = None
        for _ in range(BISECTIONS):
            m = (lo + hi) / 2
            v = hval(m)
            if v > 0:
                lo = m
            elif v < 0:
                hi = m
            else:
                und = m
                break
        if und is not None:
            x = und
            for _ in range(BISECTIONS // 4):
                m = (lo + x) / 2
                v = hval(m)
                if v > 0:
                    lo = m
                else:
                    x = m
                    if v < 0:
                        hi = m
                        break
            y = und
            for _ in range(BISECTIONS // 4):
                if hi <= y:
                    break
                m = (y + hi) / 2
                v = hval(m)
                if v < 0:
                    hi = m
                else:
                    y = m
        pre = self._truncate(step, lo)
        span = f"[{_show(t + lo)}, {_show(t + hi)}]"
        Xs = _eval_step(step, _interval(lo, hi))
        w = hi - lo
        # 4. the new piece and its a-priori box from X* over [0, w]
        flip = sw[kstar].flip
        try:
            new = pieces.piece(flip)
        except ArithmeticNotSupportedError as exc:
            return Advance([pre], stop=(f"at t ∈ {span} the solution crosses {where}; the next piece "
                                        f"cannot be built: {exc}", "kink"))
        fl2 = pieces.flow(new)
        try:
            G0 = new.obj.grad(Xs, "ball", pieces.prec)
            a1 = np.array([-g for g in G0], dtype=object)
            Bn = fl2.apriori(Xs, w, a1)
        except (StepFailed, EnclosureError, NonRealError) as exc:
            return Advance([pre], stop=(f"at t ∈ {span} the solution crosses {where}, but no a-priori "
                                        f"enclosure on the new piece: {exc}", "kink"))
        # 5. the new side: the crossed switch (−h on the new piece) and every other switch of the new piece
        knew = new.by_key[sw[kstar].key]
        nvals = new.values(Bn)
        pend_new = [k for k, s in enumerate(new.switches) if s.key in self.pending and not nvals[k] > 0]
        nr = new.rates(Bn, [knew, *pend_new])
        rate_new = -nr[knew]  # d/dt h (old orientation) along the new field
        if rate_new > 0:
            return Advance([pre], stop=(
                f"at t ∈ {span} the solution reaches {where} and slides along it: the old piece's field "
                f"points into the breakpoint surface (d/dt h ∈ {rate_old} < 0) and the new piece's field points back "
                f"(d/dt h ∈ {rate_new} > 0), a Filippov sliding mode; the tube stops at "
                f"t = {_show(t + lo)}", "sliding"))
        if not rate_new < 0:
            return Advance([pre], stop=(
                f"at t ∈ {span} the solution reaches {where}; the sign of d/dt h along the new piece's "
                f"field ({rate_new}) is not certified (tangential, sliding or entering cannot be told apart at this "
                "precision): the crossing is not continued", "kink"))
        for k, s in enumerate(new.switches):
            if k == knew:
                continue
            if nvals[k] > 0:
                continue
            if k in pend_new and nr[k] > 0:
                continue
            return Advance([pre], stop=(f"at t ∈ {span} the solution crosses {where}, but {s.name} is "
                                        f"not certified on its side on the new piece's box ({nvals[k]}): two "
                                        "breakpoints at once are not continued", "kink"))
        # 6. restart box
        Gn = new.obj.grad(Bn, "ball", pieces.prec)
        S = _interval(Fraction(0), w)
        with get_arith("ball", pieces.prec).context():
            Bp = np.array([_meet(x - S * g, bn) for x, g, bn in zip(Xs, Gn, Bn)], dtype=object)
        box = _hull(Xs, Bn)
        p = len(box)
        win = FlowStep(t0=t + lo, h=w, coeffs=[box], remainder=np.array([arb(0)] * p, dtype=object), tube=box,
                       end=Bp, rho=arb(0), mu=None, pattern=None)
        rec = Crossing(where=where, t_lo=t + lo, t_hi=t + hi, old=piece.pattern, new=new.pattern, old_box=Xs,
                       new_box=Bn, rate_old=rate_old, rate_new=rate_new)
        win.crossing = rec
        c = np.array([arb(v.mid()) for v in Bp], dtype=object)
        rho = _norm2_rad_upper(Bp)
        # the P'-side switch of the crossed breakpoint is pending, with every old pending one still open on B'
        bvals = new.values(Bp)
        pending = {sw[kstar].key} | {s.key for s, v in zip(new.switches, bvals) if s.key in self.pending
                                      and not v > 0}
        self.piece, self.pending, self.clear_steps = new, frozenset(pending), 0
        return Advance([pre, win], c=c, rho=rho, crossings=[rec])

    @staticmethod
    def _next_of(step):
        from .validated_flow import _norm2_rad_upper

        c = np.array([arb(v.mid()) for v in step.end], dtype=object)
        return c, _norm2_rad_upper(step.end)


__all__ = ["Crossing", "Pieces", "PieceMode", "Piece"]


# ------------------------------------------------------------------------------------------- claims on tubes
_PIECE_OBJECTIVES: dict = {}


def piece_objective(obj, pattern):
    """L_P = ``obj.on_region(pattern)`` as an analytic objective (cached per objective and pattern). On the closure
    of the region R_P it equals L, and its gradient equals ∇L inside R_P."""
    from ..models.objective import Objective

    key = (id(obj), _pkey(pattern))
    got = _PIECE_OBJECTIVES.get(key)
    if got is not None and got[0] is obj:
        return got[1]
    syms = list(obj.variables) if hasattr(obj, "variables") else list(obj.symbols)
    piece = Objective.from_sympy(obj.on_region(pattern), syms, name=f"{getattr(obj, 'name', 'L')} on a region")
    if len(_PIECE_OBJECTIVES) > 256:
        _PIECE_OBJECTIVES.clear()
    _PIECE_OBJECTIVES[key] = (obj, piece)
    return piece


def path_parts(obj, step) -> list:
    """[(box, objective)] covering the solution on one tube step: every θ(t), t in the step, lies in one of the
    boxes, in the closure of a region on which the paired objective equals L (and its gradient equals θ' = −∇L for
    almost every such t). A crossing window gives its old-piece box with L_P and its new-piece box with L_P'; a
    step integrated on a piece gives its tube box with L_P; any other step its tube box with ``obj`` itself."""
    cr = getattr(step, "crossing", None)
    if cr is not None:
        return [(cr.old_box, piece_objective(obj, cr.old)), (cr.new_box, piece_objective(obj, cr.new))]
    if getattr(step, "pattern", None) is not None:
        return [(step.tube, piece_objective(obj, step.pattern))]
    return [(step.tube, obj)]


def end_objective(obj, step):
    """An objective equal to L at θ(t1) for the step's end (the new piece after a crossing, the step's piece, or
    ``obj``)."""
    cr = getattr(step, "crossing", None)
    if cr is not None:
        return piece_objective(obj, cr.new)
    if getattr(step, "pattern", None) is not None:
        return piece_objective(obj, step.pattern)
    return obj


__all__ += ["piece_objective", "path_parts", "end_objective"]
