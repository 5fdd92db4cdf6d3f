"""Activations defined once as a sympy ``Piecewise`` of analytic pieces.

An activation σ: R → R is given by rational breakpoints b_1 < … < b_m and analytic expressions
f_0, …, f_m, with σ = f_j on the open interval (b_j, b_{j+1}) (b_0 = −∞, b_{m+1} = +∞), and
σ(b_j) the value the Piecewise assigns there. Everything else is *derived* from this definition:

* per-piece derivatives f_j^(k) (symbolic, ``sympy.diff``), compiled for every arithmetic;
* ``continuity[j]``: the largest k with f_{j-1}^(i)(b_j) = f_j^(i)(b_j) for all i ≤ k
  (−1: σ is discontinuous at b_j); derivatives of order ≤ continuity[j] exist at b_j;
* flags: ``analytic`` (no breakpoint left after merging equal pieces), ``smooth`` (C^∞; for
  analytic pieces the same as analytic), ``polynomial_pieces``, ``strictly_increasing``
  (True/False, or None when sympy cannot decide);
* ``homogeneity_degree``: k such that σ(cz) = c^k σ(z) for every c > 0 and z ∈ R, *proved*
  symbolically piece by piece (breakpoints must then all be 0), else None.

Evaluation on a breakpoint b_j (see :meth:`Activation.__call__`):

* certified arithmetics (``exact``, and ``ball`` for a ball that contains b_j): the value and
  derivatives of order ≤ ``continuity[j]`` (both pieces agree there; a ball gets the union of the
  pieces it meets); a higher derivative does not exist, and a :class:`RegionBoundaryError` is raised;
* ``float`` and ``mp`` (never certified; never a certified-path error): the **left-piece convention**
  σ(b_j) = the Piecewise's own value there and σ^(k)(b_j) = f_{j}^(k)(b_j) for k ≥ 1, the
  derivative of the piece on the left of b_j (a one-sided derivative, from below). For the catalogue:
  relu′(0) = 0 (as ``torch.relu`` and ``jax.nn.relu``); leaky_relu(a)′(0) = a (as torch);
  abs′(0) = −1 (torch and jax use sign(0) = 0); hardtanh′(−1) = 0 and hardtanh′(1) = 1;
  relu_power(p)^(k)(0) = 0; identity, power, sigmoid, tanh and softplus have no breakpoint. The same
  rule applies to a user activation built with :meth:`Activation.from_piecewise`: at b_j, the
  derivatives of the piece valid just below b_j.

See Crăciun & Ghoshdastidar, arXiv:2510.24466 §1 (piecewise analytic activations) and
Kumar & Haupt, arXiv:2509.12154 §2.1 (positive homogeneity).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import sympy as sp

from ..arith import Arithmetic
from ..arith.compile import (
    ANALYTIC_FUNCS,
    NON_ANALYTIC,
    check_plain_symbols,
    compile_array,
    compile_scalar,
    exact_floats,
)
from ..errors import InputError, NotAnalyticError, RegionBoundaryError

Z = sp.Symbol("z", real=True)
_MAX_CONTINUITY_CHECK = 16


def boundary_hit(index, breakpoint, value, order, continuity) -> RegionBoundaryError:
    """The error for an entry whose pre-activation may equal a breakpoint where the requested derivative
    does not exist (certified arithmetics only). Besides RegionBoundaryError's attributes it carries
    ``index`` (the entry), ``order`` and ``continuity``; network code re-raises it naming the layer,
    neuron and data point."""
    err = RegionBoundaryError(
        f"the entry {tuple(int(i) for i in index)} ({value}) is on (or not separated from) the breakpoint "
        f"{breakpoint}, where derivatives of order {order} do not exist (the activation is C^{continuity} there)",
        breakpoint=breakpoint, enclosure=value)
    err.index, err.value, err.order, err.continuity = index, value, order, continuity
    return err


def _clip_to_piece(x, j, bps, arith):
    """A ball containing x ∩ [b_{j−1}, b_j] (piece j's closed interval; b_{−1} = −∞, b_m = +∞), for a ball x that
    meets it. Clipping at b uses ``nonnegative_part`` of x − b (or b − x), whose lower end is exactly 0, so a
    piece defined only on one side of a breakpoint 0 (z**(3/2)) never sees the other side."""
    if j > 0:
        b = arith.const(bps[j - 1])
        x = (x - b).nonnegative_part() + b
    if j < len(bps):
        b = arith.const(bps[j])
        x = b - (b - x).nonnegative_part()
    return x


def _check_analytic_piece(expr: sp.Expr, var: sp.Symbol, name: str, given=None) -> None:
    shown = expr if given is None else f"{given} (as {expr} once z is real)"
    for node in sp.preorder_traversal(expr):
        if isinstance(node, NON_ANALYTIC):
            raise NotAnalyticError(
                f"activation {name!r}: the piece {shown} contains {type(node).__name__}, which is not "
                "analytic; split it into more Piecewise pieces with explicit breakpoints instead")
        if isinstance(node, sp.Piecewise):
            raise NotAnalyticError(f"activation {name!r}: nested Piecewise in the piece {expr}; flatten it")
        if isinstance(node, sp.Function) and type(node) not in ANALYTIC_FUNCS:
            raise NotAnalyticError(
                f"activation {name!r}: unsupported function {type(node).__name__} in the piece {expr}; "
                f"supported: {', '.join(sorted(ANALYTIC_FUNCS.values()))}")
    extra = expr.free_symbols - {var}
    if extra:
        raise InputError(f"activation {name!r}: the piece {expr} depends on {sorted(map(str, extra))}, "
                         f"not only on {var}")


def _poly_strictly_increasing(p, lo, hi) -> bool:
    """A polynomial is strictly increasing on (lo, hi) iff p' ≥ 0 there and p' is not ≡ 0
    (then its zeros are isolated). Decided exactly from the real roots of p'."""
    d = sp.Poly(sp.diff(p, Z), Z)
    if d.is_zero:
        return False
    roots = sorted({r for r in d.real_roots() if (lo == -sp.oo or r > lo) and (hi == sp.oo or r < hi)})
    cuts = [lo, *roots, hi]
    for a, b in zip(cuts, cuts[1:]):
        x = _sample_point(None if a == -sp.oo else a, None if b == sp.oo else b)
        if d.eval(x) < 0:
            return False
    return True


def _sample_point(lo, hi):
    if lo is None and hi is None:
        return sp.Integer(0)
    if lo is None:
        return hi - 1
    if hi is None:
        return lo + 1
    return (lo + hi) / 2


@dataclass(frozen=True, eq=False)
class Activation:
    """A piecewise-analytic activation function. Build with :meth:`from_piecewise`."""

    name: str
    piecewise: sp.Expr
    breakpoints: tuple  # sympy Rationals, increasing
    pieces: tuple  # sympy expressions in Z, len = len(breakpoints) + 1
    at_breakpoints: tuple  # σ(b_j)
    continuity: tuple  # per breakpoint: int >= -1
    _compiled: dict = field(default_factory=dict, repr=False, compare=False)
    _derivs: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        parts = [self.piecewise, *self.pieces, *self.at_breakpoints, *self.breakpoints]
        if any(isinstance(p, sp.Basic) and p.has(sp.Float) for p in parts):
            raise InputError(f"activation {self.name!r}: sympy Floats in its definition; build it with "
                             "Activation.from_piecewise, which reads each Float as its exact binary value")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_piecewise(cls, expr, var: sp.Symbol | None = None, name: str | None = None) -> Activation:
        """Build an activation from a sympy expression in one real variable.

        ``expr`` is a ``Piecewise`` (or a single analytic expression). Conditions may be any
        relations in ``var`` with rational endpoints (``z < 0``, ``(z > -1) & (z < 1)``, ``True``).
        Pieces must be analytic: ``Abs``, ``sign``, ``Max``/``Min``, ``Heaviside`` … are rejected.
        A sympy ``Float`` (in a piece or a condition) means its exact binary value (``Float(0.1)`` is
        3602879701896397/2**55): Floats are replaced by these rationals before anything is derived, so the
        derivatives are exactly those of that function. ``var`` must be a plain ``Symbol(name)`` or
        ``Symbol(name, real=True)`` (sympy simplifies under other assumptions: with ``z`` positive,
        ``Piecewise((0, z < 0), (z, True))`` is already ``z``), and the expression may depend on no other
        symbol.
        """
        if not isinstance(expr, sp.Basic):
            raise InputError("Activation.from_piecewise expects a sympy expression, e.g. "
                             "sympy.Piecewise((0, z < 0), (z, True)); strings are not parsed")
        if var is not None and not isinstance(var, sp.Symbol):
            raise InputError(f"Activation.from_piecewise: var must be a sympy Symbol, got {var!r}")
        free = sorted(expr.free_symbols, key=str)
        if var is None:
            if len(free) != 1:
                raise InputError(f"activation expression must depend on exactly one symbol, got {free}")
            var = free[0]
        elif set(free) - {var}:
            raise InputError(f"activation {name or expr!s}: the expression depends on {free}, but it must depend on "
                             f"{var} only (in its pieces and its conditions)")
        check_plain_symbols([var, *free], "Activation.from_piecewise")
        name = name or str(expr)
        # a Float means its exact binary value, in pieces and in conditions (sympy differentiates Floats in
        # rounded arithmetic, so derivatives of 0.1·z³ would not be those of the function written)
        expr = exact_floats(expr)
        if isinstance(expr, sp.Piecewise):
            branches = list(expr.args)
        else:
            branches = [(expr, sp.true)]
        # the sets on which each branch applies (first matching branch wins)
        remaining = sp.S.Reals
        located = []
        for e, cond in branches:
            _check_analytic_piece(e, var, name)
            # and again after substituting the real variable z: sympy then rewrites e.g. sqrt(z**2)
            # (z not declared real) as Abs(z), which is not analytic
            _check_analytic_piece(e.subs(var, Z), Z, name, given=e)
            try:
                s = sp.S.Reals if cond is sp.true else cond.as_set()
            except Exception as exc:  # noqa: BLE001
                raise InputError(f"activation {name!r}: cannot interpret the condition {cond}: {exc}") from exc
            s = sp.Intersection(s, remaining)
            remaining = sp.Complement(remaining, s)
            located.append((e.subs(var, Z), s))
        if remaining != sp.S.EmptySet:
            raise InputError(f"activation {name!r}: the Piecewise does not cover {remaining}")
        # candidate breakpoints: every finite endpoint of every set
        pts = set()
        for _, s in located:
            for atom in ([s] if not isinstance(s, sp.Union) else s.args):
                if isinstance(atom, sp.Interval):
                    for end in (atom.start, atom.end):
                        if end.is_finite:
                            pts.add(end)
                elif isinstance(atom, sp.FiniteSet):
                    pts.update(atom.args)
        for p in pts:
            if not p.is_Rational:
                raise InputError(f"activation {name!r}: breakpoint {p} is not rational; use rational breakpoints")
        bps = sorted(pts)

        def which(x):
            for e, s in located:
                if s.contains(x) is sp.true:
                    return e
            raise InputError(f"activation {name!r}: no piece covers z = {x}")

        bounds = [None, *bps, None]
        pieces = [which(_sample_point(bounds[j], bounds[j + 1])) for j in range(len(bps) + 1)]
        at = [which(b) for b in bps]
        at_vals = [a.subs(Z, b) for a, b in zip(at, bps)]  # exact values (never nsimplify: it rounds)
        # merge adjacent pieces that are the same analytic function (no real breakpoint there)
        keep_b, keep_p, keep_at = [], [pieces[0]], []
        for b, val, nxt in zip(bps, at_vals, pieces[1:]):
            same = sp.simplify(keep_p[-1] - nxt) == 0 and sp.simplify(keep_p[-1].subs(Z, b) - val) == 0
            if same:
                continue
            keep_b.append(b)
            keep_p.append(nxt)
            keep_at.append(val)
        cont = [cls._continuity_order(keep_p[j], keep_p[j + 1], keep_b[j], keep_at[j]) for j in range(len(keep_b))]
        pw = sp.Piecewise(*[(p, Z < b) for p, b in zip(keep_p, keep_b)], (keep_p[-1], True)) \
            if keep_b else keep_p[0]
        return cls(name=name, piecewise=pw, breakpoints=tuple(keep_b), pieces=tuple(keep_p),
                   at_breakpoints=tuple(keep_at), continuity=tuple(cont))

    @staticmethod
    def _continuity_order(left, right, b, value) -> int:
        if sp.simplify(left.subs(Z, b) - value) != 0 or sp.simplify(right.subs(Z, b) - value) != 0:
            return -1
        k = 0
        dl, dr = left, right
        while k < _MAX_CONTINUITY_CHECK:
            dl, dr = sp.diff(dl, Z), sp.diff(dr, Z)
            if sp.simplify((dl - dr).subs(Z, b)) != 0:
                return k
            k += 1
        return k

    # ------------------------------------------------------------------ derived properties
    def derivative(self, k: int, j: int) -> sp.Expr:
        """The k-th derivative of piece j."""
        key = (k, j)
        if key not in self._derivs:
            self._derivs[key] = self.pieces[j] if k == 0 else sp.diff(self.derivative(k - 1, j), Z)
        return self._derivs[key]

    @property
    def analytic(self) -> bool:
        """σ is real-analytic on all of R."""
        return not self.breakpoints

    @property
    def smooth(self) -> bool:
        """σ is C^∞ (for analytic pieces: equivalent to ``analytic``)."""
        return self.analytic

    @property
    def smoothness(self) -> float:
        """Largest k such that σ is C^k on R (``math.inf`` if analytic, −1 if discontinuous)."""
        return min(self.continuity) if self.continuity else math.inf

    @property
    def polynomial_pieces(self) -> bool:
        """True when every piece is a polynomial in z (relu, leaky_relu, abs, hardtanh, power, relu_power with an
        integer p): networks of such activations are rational on each activation region, so ``"exact"``
        arithmetic can evaluate them."""
        return all(p.is_polynomial(Z) for p in self.pieces)

    @property
    def strictly_increasing(self) -> bool | None:
        """True/False when sympy decides it for every piece and the jumps, None when undecided."""
        from sympy.calculus.singularities import is_strictly_increasing

        bounds = [-sp.oo, *self.breakpoints, sp.oo]
        verdicts = []
        for j, p in enumerate(self.pieces):
            iv = sp.Interval.open(bounds[j], bounds[j + 1])
            if p.is_polynomial(Z):
                verdicts.append(_poly_strictly_increasing(p, bounds[j], bounds[j + 1]))
                continue
            try:
                verdicts.append(is_strictly_increasing(p, iv, Z))
            except Exception:  # noqa: BLE001
                verdicts.append(None)
        for j, b in enumerate(self.breakpoints):
            lim_l, lim_r = self.pieces[j].subs(Z, b), self.pieces[j + 1].subs(Z, b)
            v = self.at_breakpoints[j]
            if not (lim_l <= v <= lim_r):
                return False
        if any(v is False for v in verdicts):
            return False
        if all(v is True for v in verdicts):
            return True
        return None

    @property
    def homogeneity_degree(self):
        """k with σ(cz) = c^k σ(z) for all c > 0, z ∈ R, proved symbolically; else None.

        Requires every breakpoint to be 0 (cones are the only scale-invariant pieces) and every
        piece to satisfy f(c·z) − c^k f(z) ≡ 0 with one common k; at z = 0, σ(0) = c^k σ(0)
        forces σ(0) = 0 when k ≠ 0.
        """
        if "homog" in self._derivs:
            return self._derivs["homog"]
        self._derivs["homog"] = deg = self._prove_homogeneity()
        return deg

    def _prove_homogeneity(self):
        if any(b != 0 for b in self.breakpoints):
            return None
        c = sp.Symbol("c", positive=True)
        t = sp.Symbol("t", positive=True)
        signs = {0: (-1, 1)} if not self.breakpoints else {0: (-1,), 1: (1,)}
        degree = None
        for j, sgns in signs.items():
            for s in sgns:
                f = self.pieces[j].subs(Z, s * t)
                if sp.simplify(f) == 0:
                    continue
                ratio = sp.simplify(sp.powsimp(self.pieces[j].subs(Z, s * c * t) / f, force=True))
                if ratio.free_symbols - {c}:
                    return None
                k = sp.simplify(sp.expand_log(sp.log(ratio), force=True) / sp.log(c))
                if not k.is_number or not k.is_real:
                    return None
                if sp.simplify(self.pieces[j].subs(Z, s * c * t) - c**k * f) != 0:
                    return None
                if degree is not None and sp.simplify(degree - k) != 0:
                    return None
                degree = k
        if degree is None:
            return None  # σ ≡ 0 on R\{0}: homogeneous of every degree; we do not pick one
        at0 = self.at_breakpoints[0] if self.breakpoints else self.pieces[0].subs(Z, 0)
        if degree != 0 and sp.simplify(at0) != 0:
            return None
        return int(degree) if degree.is_Integer else degree

    # ------------------------------------------------------------------ evaluation
    def _fn(self, arith: Arithmetic, k: int, j: int):
        key = (arith.key(), k, j)
        f = self._compiled.get(key)
        if f is None:
            with arith.context():
                f = compile_scalar(self.derivative(k, j), Z, arith)
            self._compiled[key] = f
        return f

    def _piece_program(self, arith: Arithmetic, j: int, order: int):
        """f_j, f_j', …, f_j^(order) of piece j as one CSE-shared program on whole object arrays (tanh(z) is
        computed once for tanh and 1 − tanh(z)²; every node is one numpy call, see
        :func:`verify.arith.compile.compile_array`), or the arithmetic's own kernel for the piece if it has one
        (:meth:`~verify.arith.base.Arithmetic.piece_kernel`: Arb's tanh). None if the piece cannot be evaluated in
        array mode."""
        key = (arith.key(), "array", j, order)
        if key not in self._compiled:
            with arith.context():
                prog = arith.piece_kernel(self.pieces[j], Z, order)
                if prog is None:
                    prog = compile_array([self.derivative(k, j) for k in range(order + 1)], Z, arith)
                self._compiled[key] = prog
        return self._compiled[key]

    def _cuts(self, arith: Arithmetic):
        """The breakpoints as numbers of ``arith`` (enclosures in ``ball``), for the piece selection."""
        key = (arith.key(), "cuts")
        if key not in self._compiled:
            with arith.context():
                self._compiled[key] = [arith.const(Fraction(int(b.p), int(b.q))) for b in self.breakpoints]
        return self._compiled[key]

    def __call__(self, z, arith: Arithmetic, order: int = 0) -> list:
        """[σ(z), σ'(z), …, σ^(order)(z)] elementwise for an array ``z`` of ``arith``.

        Certified arithmetics: an entry that may equal a breakpoint b_j (exactly, or a ball containing
        it) is allowed only when ``order ≤ continuity[j]`` (then both pieces agree there, and a ball
        gets the union of both pieces' enclosures); otherwise a :class:`RegionBoundaryError` (see
        :func:`boundary_hit`) is raised and the caller names the neuron and data point.
        ``float``/``mp``: never raised; an entry equal to b_j gets σ(b_j) and the derivatives of the
        left piece (see the module docstring).
        """
        native = arith.array_native  # arrays of the arithmetic's own type (float64 balls): one call per array
        if not native:
            z = np.asarray(z)
        nb = len(self.breakpoints)
        with arith.context():
            if arith.dtype is object and not native:
                outs = self._eval_object(z, arith, order)
                if nb == 0 and z.ndim == 0:
                    return [o[()] for o in outs]  # a number in, numbers out (as the per-entry functions give)
                return outs
            if nb == 0:
                return [self._full(self._fn(arith, k, 0)(z), z, arith) for k in range(order + 1)]
            if arith.dtype is not object:
                return self._eval_float(z, order)
            return self._eval_array(z, arith, order)

    @staticmethod
    def _full(r, z, arith=None):
        """Broadcast a piece's result to z's shape (a constant derivative comes back as a scalar)."""
        if np.shape(r) == z.shape:
            return r
        if arith is not None and arith.array_native:
            return arith.broadcast(r, z.shape)
        out = np.empty(z.shape, dtype=z.dtype)
        out[...] = r if z.dtype != object else np.full(z.shape, r, dtype=object)
        return out

    def _eval_float(self, z, order):
        """Float: piece j on (b_{j−1}, b_j], i.e. an entry equal to b_j takes its *left* piece j (the
        one-sided convention); values on a breakpoint are the Piecewise's own value σ(b_j)."""
        from ..arith import get_arith

        fa = get_arith("float")
        bps = np.array([float(b) for b in self.breakpoints])
        idx = np.searchsorted(bps, z, side="left")  # b_{j-1} < z <= b_j  ->  j
        out = []
        for k in range(order + 1):
            r = np.zeros(z.shape)
            for j in range(len(bps) + 1):
                m = idx == j
                if m.any():
                    r[m] = self._fn(fa, k, j)(z[m])
            if k == 0:  # value at a breakpoint: the Piecewise's own value there
                for j, b in enumerate(bps):
                    hit = z == b
                    if hit.any():
                        r[hit] = float(self.at_breakpoints[j])
            out.append(r)
        return out

    def _eval_object(self, z, arith, order):
        """Object-array arithmetics (``ball``, ``exact``, ``mp``), piece by piece on whole arrays.

        Each entry is compared with every breakpoint b by the number type's own comparison (certain for balls:
        ``x < b`` only if every point of x is below every point of the enclosure of b). An entry certainly
        inside one open piece j is evaluated with the others of its piece by one array program of f_j and its
        derivatives (:meth:`_piece_program`: per entry the operations of the scalar programs, CSE-shared between
        the derivatives as in a joint scalar program; on random, wide and boundary inputs the enclosures equal the
        per-entry ones but for the last bits of a few derivatives of z**(3/2) pieces, where √z is shared). The
        rest — entries on, or balls meeting, a breakpoint, and NaN balls — go entry by entry
        through :meth:`_eval_entry` (boundary errors, unions of the pieces met, the left-piece convention of
        ``mp``), first, so that the first such entry in order raises."""
        flat = z.reshape(-1)
        N = flat.size
        outs = [np.empty(N, dtype=object) for _ in range(order + 1)]
        cuts = self._cuts(arith)
        if not cuts:
            self._fill_piece(outs, slice(None), flat, arith, 0, order)
            return [o.reshape(z.shape) for o in outs]
        piece = np.zeros(N, dtype=np.intp)
        clean = np.ones(N, dtype=bool)
        for c in cuts:
            above = np.asarray(flat > c, dtype=bool)
            others = np.flatnonzero(~above)  # only these can be below
            below = np.zeros(N, dtype=bool)
            if others.size:
                below[others] = np.asarray(flat[others] < c, dtype=bool)
            piece += above
            clean &= above | below
        rest = np.flatnonzero(~clean)
        if rest.size:
            bps = [Fraction(int(b.p), int(b.q)) for b in self.breakpoints]
            fns = [[self._fn(arith, k, j) for j in range(len(bps) + 1)] for k in range(order + 1)]
            for n in rest:
                vals = self._eval_entry(flat[n], int(n), z.shape, arith, order, bps, fns)
                for k in range(order + 1):
                    outs[k][n] = vals[k]
        for j in range(len(cuts) + 1):
            sel = clean & (piece == j)
            if sel.any():
                self._fill_piece(outs, sel, flat[sel], arith, j, order)
        return [o.reshape(z.shape) for o in outs]

    def _fill_piece(self, outs, sel, xs, arith, j, order):
        """outs[k][sel] = f_j^(k)(xs) for k ≤ order (xs: the 1-D array of entries selected by ``sel``, all
        inside piece j)."""
        prog = self._piece_program(arith, j, order)
        if prog is not None:
            vals = prog(xs)
        else:  # not expressible in array mode: the per-entry programs
            vals = [self._fn(arith, k, j)(xs) for k in range(order + 1)]
        for k in range(order + 1):
            v = vals[k]
            if isinstance(v, np.ndarray) and v.shape == xs.shape:
                if isinstance(sel, slice) and v is not xs:
                    outs[k] = v  # the whole array: no copy needed (a fresh array, not the input)
                else:
                    outs[k][sel] = v
            else:  # a constant (e.g. relu' = 1 on its right piece): one number for every entry
                full = np.empty(xs.shape, dtype=object)
                full.fill(v[()] if isinstance(v, np.ndarray) else v)
                outs[k][sel] = full

    def _eval_entry(self, x, n, shape, arith, order, bps, fns):
        """[σ^(k)(x)] for one entry x (flat index n in an array of ``shape``) that is not certainly inside one
        open piece: on a breakpoint, a ball meeting one, or a NaN ball."""
        j = 0
        straddle = None
        for jb, b in enumerate(bps):
            s = arith.side(x, b)
            if s is None or s == 0:
                straddle = jb
                break
            if s > 0:
                j = jb + 1
            else:
                break
        if straddle is None:
            return [fns[k][j](x) for k in range(order + 1)]
        jb = straddle
        if not arith.certified:  # mp: x equals b_jb exactly; the left-piece convention, never an error
            return [self._at_value(arith, jb, x), *(fns[k][jb](x) for k in range(1, order + 1))]
        if order > self.continuity[jb]:
            raise boundary_hit(np.unravel_index(n, shape), self.breakpoints[jb], x, order, self.continuity[jb])
        # a ball reaching over b_jb may reach further breakpoints too: take all pieces it meets
        last = jb
        while last + 1 < len(bps) and arith.side(x, bps[last + 1]) in (None, 0):
            if order > self.continuity[last + 1]:
                raise boundary_hit(np.unravel_index(n, shape), self.breakpoints[last + 1], x, order,
                                   self.continuity[last + 1])
            last += 1
        out = []
        for k in range(order + 1):
            if arith.balls:
                # each piece on the part of the ball where it applies (not on the whole ball: a piece such
                # as z**(3/2) is NaN on negative numbers, and hardtanh's pieces would be loose)
                v = fns[k][jb](_clip_to_piece(x, jb, bps, arith))
                for jj in range(jb + 1, last + 2):
                    v = arith.union(v, fns[k][jj](_clip_to_piece(x, jj, bps, arith)))
                out.append(v)
            else:  # exact: x equals b; order <= continuity, so the left piece is right
                out.append(fns[k][jb](x))
        return out

    def _eval_array(self, z, arith, order):
        """Certified evaluation on a whole array of an array-native arithmetic (float64 balls): each entry's
        pieces are decided by :meth:`sides` on exact endpoints; entries inside one open piece get that piece,
        entries meeting breakpoints b_j (order ≤ continuity there, else :func:`boundary_hit`) the union of every
        piece they meet, each evaluated on its own side of the breakpoints (as in ``ball``)."""
        bps = [Fraction(int(b.p), int(b.q)) for b in self.breakpoints]
        nb = len(bps)
        sides = [arith.sides(z, b) for b in bps]
        below = sum((s == 1).astype(int) for s in sides)  # breakpoints certainly below the entry
        above = sum((s == -1).astype(int) for s in sides)  # certainly above
        jlo, jhi = below, nb - above  # the entry meets pieces jlo..jhi
        straddle = jhi > jlo
        if straddle.any():
            for t in range(nb):  # breakpoint t is met by entries with jlo ≤ t < jhi
                hit = straddle & (jlo <= t) & (t < jhi)
                if hit.any() and order > self.continuity[t]:
                    first = tuple(int(i) for i in np.argwhere(hit)[0])
                    raise boundary_hit(first, self.breakpoints[t], z[first], order, self.continuity[t])
        outs = [arith.zeros(z.shape) for _ in range(order + 1)]
        filled = np.zeros(z.shape, dtype=bool)
        for j in range(nb + 1):
            sel = (jlo <= j) & (j <= jhi)
            if not sel.any():
                continue
            x = z[sel]
            strad = straddle[sel]
            if strad.any():
                x = arith.where(strad, _clip_to_piece(x, j, bps, arith), x)
            first = ~filled[sel]
            for k in range(order + 1):
                v = self._full(self._fn(arith, k, j)(x), x, arith)
                if not first.all():
                    v = arith.where(first, v, arith.union(outs[k][sel], v))
                outs[k][sel] = v
            filled[sel] = True
        return outs

    def _at_value(self, arith, j, x):
        """σ(b_j) (the Piecewise's own value at the breakpoint) in ``arith``."""
        key = (arith.key(), "at", j)
        f = self._compiled.get(key)
        if f is None:
            f = self._compiled[key] = compile_scalar(sp.sympify(self.at_breakpoints[j]), Z, arith)
        return f(x)

    # ------------------------------------------------------------------ sympy side
    def sympy(self, x: sp.Expr) -> sp.Expr:
        """σ(x) as a sympy expression (the defining Piecewise with z replaced by x)."""
        if not self.breakpoints:
            return self.pieces[0].subs(Z, x)
        args = []
        for j, b in enumerate(self.breakpoints):
            args.append((self.pieces[j].subs(Z, x), x < b))
            args.append((self.at_breakpoints[j], sp.Eq(x, b)))
        args.append((self.pieces[-1].subs(Z, x), True))
        return sp.Piecewise(*args)

    def piece_index(self, value) -> int | None:
        """Index of the open piece containing the exact rational ``value``; None on a breakpoint."""
        v = sp.Rational(value)
        j = 0
        for b in self.breakpoints:
            if v == b:
                return None
            if v > b:
                j += 1
        return j

    def __repr__(self):
        return f"Activation({self.name})"

    def describe(self) -> dict:
        """A JSON-ready summary: name, breakpoints and pieces (as text), continuity order at each breakpoint,
        ``analytic``, ``polynomial_pieces``, ``strictly_increasing`` and ``homogeneity_degree``.

        >>> from verify.models import activations
        >>> activations.relu().describe()["pieces"]
        ['0', 'z']
        """
        return {
            "name": self.name, "breakpoints": [str(b) for b in self.breakpoints],
            "pieces": [str(p) for p in self.pieces], "continuity": list(self.continuity),
            "analytic": self.analytic, "polynomial_pieces": self.polynomial_pieces,
            "strictly_increasing": self.strictly_increasing,
            "homogeneity_degree": None if self.homogeneity_degree is None else str(self.homogeneity_degree),
        }

