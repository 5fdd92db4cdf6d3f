"""Compile sympy expressions into straight-line programs for any arithmetic.

This is our ``lambdify``: the expressions are first reduced with ``sympy.cse`` (common
subexpression elimination), then each node becomes a Python closure that calls the arithmetic's
own operations (numpy ufuncs, mpmath, Arb, fmpq). No source text is generated and nothing is
``eval``-ed: the program is a tree of closures built from trusted sympy objects.

``Piecewise`` nodes select their branch by evaluating the conditions in the arithmetic at hand:

* certified arithmetics (``ball``, ``exact``): *with certainty*; an undecidable condition (a ball
  straddling a branch boundary) raises :class:`RegionBoundaryError` naming the condition, and so does
  an exact tie when ``ties_are_boundaries`` (derivatives, which need not exist on a boundary);
* ``float``/``mp`` (never certified, never a certified-path error): the condition as written, also
  at a tie — ``x < 0`` is false and ``x <= 0`` true at x = 0 — i.e. a derivative on a boundary is
  the derivative of the branch the Piecewise itself selects there (first branch whose condition
  holds). A NaN condition value raises :class:`NonRealError`.

Domains. ``log u`` needs u > 0, ``u**q`` with q non-integer needs u ≥ 0 (u > 0 if q < 0), ``u**(-n)``
needs u ≠ 0, ``b**x`` (x not rational) needs b > 0. A value *certainly* outside its domain raises
:class:`NonRealError` in every arithmetic (never a NaN, a complex ``mpc``, an ``inf`` from 1/0 or a
builtin ``ZeroDivisionError``) — "certainly" as computed: in float/mp a rounded argument at the very
edge of the domain can be refused although the exact one lies inside (the message says so).
A ball only *possibly* outside (straddling 0) is left to Arb, whose
result is then non-finite; :class:`verify.models.objective.SympyObjective` refuses such results.
In ``exact``, a transcendental node first checks its domain (NonRealError) and then raises
:class:`ArithmeticNotSupportedError` — only when it is evaluated, so a transcendental branch that a
Piecewise does not select at θ does not prevent an exact evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

import numpy as np
import sympy as sp

from ..errors import (
    ArithmeticNotSupportedError,
    InputError,
    InternalError,
    NonRealError,
    NotAnalyticError,
    RegionBoundaryError,
)
from .base import Arithmetic

#: sympy functions we evaluate (all real-analytic where defined)
ANALYTIC_FUNCS = {
    sp.exp: "exp", sp.log: "log", sp.tanh: "tanh", sp.sinh: "sinh", sp.cosh: "cosh", sp.sin: "sin",
    sp.cos: "cos", sp.tan: "tan", sp.atan: "atan", sp.erf: "erf",
}
#: sympy nodes that are not analytic: they must be rewritten as Piecewise first
NON_ANALYTIC = (sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min, sp.floor, sp.ceiling, sp.DiracDelta,
                sp.re, sp.im, sp.arg, sp.frac, sp.Mod)


def _rational(e) -> Fraction:
    r = sp.Rational(e)
    return Fraction(int(r.p), int(r.q))


#: domain kinds: the condition the argument must satisfy, and how to say it
_DOMAINS = {"pos": "> 0", "nonneg": "≥ 0", "nonzero": "≠ 0"}


def _certainly_outside(a: Arithmetic, u, kind: str) -> bool:
    """Is ``u`` (a number, or in array mode an object array: any entry) certainly outside the domain ``kind``?
    Asked of the arithmetic (a ball: only when every point of it is outside).

    For an object array and an arithmetic that keeps the base rule (``bool(u <= 0)`` etc., i.e. the number
    type's own comparison: certain for ``arb``, exact for ``fmpq``), the comparison is made elementwise by
    numpy — the same comparison per entry, without a Python call per entry."""
    if isinstance(u, np.ndarray) and u.dtype == object and u.ndim:
        if type(a).certainly_outside is Arithmetic.certainly_outside:
            bad = (u <= 0) if kind == "pos" else (u < 0) if kind == "nonneg" else (u == 0)
            return bool(np.any(bad))
        return any(a.certainly_outside(v, kind) for v in u.flat)
    return a.certainly_outside(u, kind)


def _describe(u, kind) -> str:
    if np.ndim(u):
        u = np.asarray(u)
        bad = (u <= 0) if kind == "pos" else (u < 0) if kind == "nonneg" else (u == 0)
        return f"{u[bad].reshape(-1)[0]!r} (at least one entry)"
    return str(u)


class _Compiler:
    """sympy node → closure. In *array mode* (``array=True``; object-dtype arithmetics) every closure maps whole
    object arrays: one numpy call per node (numpy's object loops call the number type's own C methods), not one
    Python closure call per node and entry. The operations per entry are the same as in scalar mode, so the
    enclosures are the same; only expressions without Piecewise nodes or conditions compile in array mode."""

    def __init__(self, arith: Arithmetic, variables: Sequence[sp.Symbol], ties_are_boundaries: bool = False,
                 array: bool = False):
        self.a = arith
        self.index = {v: i for i, v in enumerate(variables)}
        self.ties = ties_are_boundaries
        self.array = array

    def node(self, e) -> Callable:
        a = self.a
        if e.is_Symbol:
            if e in self.index:
                i = self.index[e]
                return lambda env: env[i]
            raise InputError(f"symbol {e} is not among the variables {list(self.index)}")
        if e.is_Integer or e.is_Rational or e.is_Float:
            c = a.const(_rational(e))
            return lambda env: c
        if e is sp.pi or e is sp.E:
            try:
                c = a.func(str(e))
            except ArithmeticNotSupportedError as exc:  # exact: no rational value; raised when used
                err = str(exc)

                def irrational(env):
                    raise ArithmeticNotSupportedError(err)

                return irrational
            return lambda env: c
        if e.is_Add:
            if self.array:
                return self._add_array(e)
            parts = [self.node(t) for t in e.args]

            def add(env, parts=parts):
                s = parts[0](env)
                for p in parts[1:]:
                    s = s + p(env)
                return s

            return add
        if e.is_Mul:
            if self.array and len(e.args) == 2 and e.args[0] == -1:
                inner = self.node(e.args[1])
                return lambda env: -inner(env)  # exact in every arithmetic (one negation, no product by −1)
            parts = [self.node(t) for t in e.args]

            def mul(env, parts=parts):
                s = parts[0](env)
                for p in parts[1:]:
                    s = s * p(env)
                return s

            return mul
        if e.is_Pow:
            base, ex = e.args
            if base is sp.E:
                f = self.func("exp")
                x = self.node(ex)
                return lambda env: f(x(env))
            b = self.node(base)
            if ex.is_Rational:
                q = _rational(ex)
                pw = self.power(q)
                if q.denominator == 1:
                    if q < 0:
                        b = self.guarded(b, e, base, "nonzero")
                    return lambda env: pw(b(env))
                b = self.guarded(b, e, base, "nonneg" if q > 0 else "pos")
                if q == Fraction(1, 2):
                    f = self.func("sqrt")
                    return lambda env: f(b(env))
                return lambda env: pw(b(env))
            b = self.guarded(b, e, base, "pos")
            x = self.node(ex)
            fe, fl = self.func("exp"), self.func("log")
            return lambda env: fe(x(env) * fl(b(env)))
        if isinstance(e, sp.Piecewise | sp.logic.boolalg.Boolean) and self.array:
            raise InternalError(f"{e} selects a branch per entry: array mode cannot evaluate it (see compile_array)")
        if isinstance(e, sp.Piecewise):
            return self.piecewise(e)
        if isinstance(e, sp.logic.boolalg.Boolean):
            return self.condition(e)  # a condition that CSE pulled out as a common subexpression
        if isinstance(e, NON_ANALYTIC):
            raise NotAnalyticError(f"{type(e).__name__} is not analytic; rewrite it with Piecewise "
                                   "(e.g. expr.rewrite(sympy.Piecewise))")
        fn = ANALYTIC_FUNCS.get(type(e))
        if fn is not None:
            f = self.func(fn)
            x = self.node(e.args[0])
            if fn == "log":
                x = self.guarded(x, e, e.args[0], "pos")
            return lambda env: f(x(env))
        raise InputError(f"cannot evaluate {type(e).__name__} ({e}); supported: + * ** and "
                         f"{', '.join(sorted(ANALYTIC_FUNCS.values()))}, Piecewise")

    def _add_array(self, e) -> Callable:
        """A sum in array mode: the terms −t (sympy's Mul(−1, t)) are subtracted, so 1 − t² is one subtraction
        (not a negation and an addition); a − b and a + (−b) are the same enclosure (negation is exact)."""
        pos = [self.node(t) for t in e.args if not (t.is_Mul and t.args[0] == -1)]
        neg = [self.node(sp.Mul(*t.args[1:])) for t in e.args if t.is_Mul and t.args[0] == -1]
        if not pos:
            first = neg.pop(0)
            pos = [lambda env, first=first: -first(env)]

        def add(env):
            s = pos[0](env)
            for p in pos[1:]:
                s = s + p(env)
            for q in neg:
                s = s - q(env)
            return s

        return add

    def func(self, name: str) -> Callable:
        """The arithmetic's (vectorised) ``name``; in an arithmetic without it (``exact``), a function
        that raises :class:`ArithmeticNotSupportedError` when — and only when — it is called."""
        try:
            return self.a.vectorize(self.a.func(name))
        except ArithmeticNotSupportedError as exc:
            err = str(exc)

            def unsupported(x):
                raise ArithmeticNotSupportedError(err)

            return unsupported

    def power(self, q: Fraction) -> Callable:
        """x ↦ x**q (q rational) in the arithmetic; in array mode on a whole object array (the arithmetic's
        ``pow_rational_array`` when it has one, else its scalar ``pow_rational`` per entry)."""
        a = self.a
        if not self.array:
            return lambda x: a.pow_rational(x, q)
        whole = getattr(a, "pow_rational_array", None)
        if whole is not None:
            return lambda x: whole(x, q) if isinstance(x, np.ndarray) else a.pow_rational(x, q)
        each = np.frompyfunc(lambda v: a.pow_rational(v, q), 1, 1)
        return lambda x: each(x) if isinstance(x, np.ndarray) else a.pow_rational(x, q)

    def guarded(self, inner: Callable, node, arg, kind: str | None = None) -> Callable:
        """``inner`` followed by the domain check ``kind`` of ``node``'s argument ``arg`` (see module doc)."""
        if kind is None:
            return inner
        a = self.a

        def check(env):
            u = inner(env)
            if _certainly_outside(a, u, kind):
                how = ("" if a.certified else
                       " — computed with rounding: near the edge of the domain the exact value may lie inside it; "
                       "arith='ball' or 'exact' decides with certainty")
                raise NonRealError(
                    f"{node} is not real or not defined here: its argument {arg} must be {_DOMAINS[kind]} but is "
                    f"{_describe(u, kind)} at this point in {a.name} arithmetic{how}. The objective is not "
                    "real-valued (or has a pole) there; evaluate it where it is defined")
            return u

        return check

    def condition(self, c) -> Callable:
        """Closure returning True/False (with certainty in ball/exact; as written in float/mp, see the
        module doc), or raising RegionBoundaryError (certified arithmetics only)."""
        a = self.a
        if c is sp.true:
            return lambda env: True
        if c is sp.false:
            return lambda env: False
        if c.is_Symbol and c in self.index:  # a CSE symbol standing for a condition
            i = self.index[c]
            return lambda env: bool(env[i])
        if isinstance(c, sp.And | sp.Or):
            parts = [self.condition(t) for t in c.args]
            if isinstance(c, sp.And):
                return lambda env: all(p(env) for p in parts)
            return lambda env: any(p(env) for p in parts)
        if isinstance(c, sp.Not):
            inner = self.condition(c.args[0])
            return lambda env: not inner(env)
        if isinstance(c, (sp.StrictLessThan, sp.LessThan, sp.StrictGreaterThan, sp.GreaterThan)):
            g = self.node(c.lhs - c.rhs)
            strict = isinstance(c, (sp.StrictLessThan, sp.StrictGreaterThan))
            less = isinstance(c, (sp.StrictLessThan, sp.LessThan))
            zero = Fraction(0)

            def rel(env, g=g, c=c):
                v = g(env)
                if not a.certified and v != v:  # float/mp NaN: no branch can be chosen
                    raise NonRealError(f"the Piecewise condition {c} cannot be evaluated at this point in "
                                       f"{a.name} arithmetic: {c.lhs - c.rhs} is NaN (not real or not "
                                       "defined there, or float overflow); try arith='ball'")
                s = a.side(v, zero)
                if s is None or (s == 0 and self.ties and a.certified):
                    what = "straddles 0" if s is None else "is exactly 0"
                    raise RegionBoundaryError(
                        f"cannot decide the Piecewise condition {c} at this point in {a.name} arithmetic "
                        f"(the value of {c.lhs - c.rhs} {what}): the point may lie on a region "
                        "boundary, where derivatives need not exist; move it or raise the precision",
                        condition=str(c))
                if s == 0:  # exact tie; in float/mp also for derivatives: the relation as written
                    return not strict
                return (s < 0) == less

            return rel
        raise InputError(f"unsupported Piecewise condition {c!r}: use <, <=, >, >=, And, Or, Not")

    def piecewise(self, e) -> Callable:
        branches = [(self.node(expr), self.condition(cond)) for expr, cond in e.args]

        def pw(env):
            for val, cond in branches:
                if cond(env):
                    return val(env)
            raise NonRealError(f"no branch of {e} applies at this point: the expression is not defined there")

        return pw


class Program:
    """Evaluate a list of sympy expressions, jointly CSE-reduced, in one arithmetic.

    ``program(values)`` returns one value per expression. Common subexpressions are computed
    lazily (on first use), so a subexpression under an unused Piecewise branch is never evaluated.

    ``array=True`` (object-dtype arithmetics): the values are whole object arrays (of one shape) and every node
    is one numpy call over them (see :class:`_Compiler`); an output that does not depend on the variables comes
    back as a single number. Only for expressions without Piecewise nodes or conditions (see :func:`compile_array`).
    """

    def __init__(self, exprs: Sequence[sp.Expr], variables: Sequence[sp.Symbol], arith: Arithmetic,
                 ties_are_boundaries: bool = False, array: bool = False):
        self.arith = arith
        self.variables = list(variables)
        self.array = array
        replacements, reduced = sp.cse(list(exprs), symbols=sp.numbered_symbols("_cse"), optimizations=None)
        allvars = self.variables + [s for s, _ in replacements]
        comp = _Compiler(arith, allvars, ties_are_boundaries, array=array)
        nvar = len(self.variables)
        self._subs = [comp.node(r) for _, r in replacements]
        self._outs = [comp.node(r) for r in reduced]
        self._nvar = nvar

    def __call__(self, values) -> list:
        with self.arith.context():
            return self.run_in_context(values)

    def run_in_context(self, values) -> list:
        """Like calling the program, for a caller that has already entered the arithmetic's context."""
        env = _LazyEnv(list(values), self._subs, self._nvar)
        return [f(env) for f in self._outs]


class _LazyEnv:
    __slots__ = ("vals", "subs", "nvar", "cache")

    def __init__(self, vals, subs, nvar):
        self.vals, self.subs, self.nvar, self.cache = vals, subs, nvar, {}

    def __getitem__(self, i):
        if i < self.nvar:
            return self.vals[i]
        v = self.cache.get(i)
        if v is None:
            v = self.subs[i - self.nvar](self)
            self.cache[i] = v
        return v


def compile_scalar(expr: sp.Expr, var: sp.Symbol, arith: Arithmetic) -> Callable:
    """A function of one variable that works elementwise on arrays of ``arith``."""
    f = _Compiler(arith, [var]).node(expr)
    if arith.name == "float":

        def ff(x):
            with np.errstate(over="ignore", invalid="ignore"):
                return f([x])

        return ff
    return arith.vectorize(lambda x: f([x]))


def float_value(f: sp.Float) -> sp.Rational:
    """The exact rational value of a finite sympy ``Float``: its binary significand times a power of two.

    A ``Float`` of any precision (53 bits for ``Float(0.1)``, more for ``Float(x, 60)``) stores a number
    m·2^e exactly; this is that number (``Float(0.1)`` → 3602879701896397/36028797018963968), read off
    the mpmath tuple — not a decimal reading, no ``nsimplify``, no rounding."""
    if not f.is_finite:
        raise NonRealError(f"the constant {f} is not a finite real number")
    sign, man, exp, _ = f._mpf_
    q = sp.Integer(-int(man) if sign else int(man))
    return q * sp.Integer(2) ** int(exp) if exp >= 0 else q / sp.Integer(2) ** int(-exp)


def exact_floats(expr):
    """``expr`` with every sympy ``Float`` replaced by its exact binary value (:func:`float_value`).

    sympy computes with Floats in rounded arithmetic — ``diff(Float(0.1)*x**3, x)`` is ``0.3*x**2`` with
    0.3 rounded to 53 bits, which is not 3·0.1 — so derivatives of an expression holding Floats are not
    the derivatives of the function it denotes. With the Floats read as the exact binary numbers they are,
    the expression is rational-coefficient and every later derivative, substitution and evaluation is
    exact. Conditions of a ``Piecewise`` are converted too (``x < 0.1`` compares with the exact 0.1)."""
    if not isinstance(expr, sp.Basic):
        return expr
    floats = expr.atoms(sp.Float)
    if not floats:
        return expr
    return expr.xreplace({f: float_value(f) for f in floats})


#: the assumptions a symbol may carry: none (``Symbol(name)``) or ``real=True`` (and what it implies)
_PLAIN = sp.Symbol("_plain").assumptions0
_REAL = sp.Symbol("_real", real=True).assumptions0


def check_plain_symbols(symbols, what: str) -> None:
    """Refuse a symbol whose assumptions go beyond those of ``Symbol(name)`` or ``Symbol(name, real=True)``.

    sympy applies assumptions when an expression is built: with ``x = Symbol('x', positive=True)``,
    ``Abs(x) + x**2`` is stored as ``x**2 + x``, and with ``n`` integer ``sin(pi*n)`` is stored as 0. The
    stored expression is then a different function at the real points that violate the assumption, and
    evaluating it there would certify a function the user did not write. Every real point satisfies
    ``real=True``, so that assumption (and no assumption) is safe; anything else is refused."""
    for s in symbols:
        a = s.assumptions0
        if a != _PLAIN and a != _REAL:
            given = getattr(s, "_assumptions_orig", None) or a
            shown = ", ".join(f"{k}={v}" for k, v in sorted(given.items()))
            raise InputError(
                f"{what}: the symbol {s} carries the assumptions {shown}. sympy has already simplified the "
                "expression under them (e.g. Abs(x) → x for positive x, sin(pi*n) → 0 for integer n), so it would "
                "be a different function at points violating them. Use plain symbols (sympy.Symbol(name)) or "
                "real ones (sympy.Symbol(name, real=True))")


def check_evaluable(expr: sp.Expr) -> None:
    """Raise :class:`InputError` if ``expr`` contains a node the compiler cannot evaluate, and
    :class:`NonRealError` if it contains a non-real or non-finite constant (``I``, ``zoo``, ``nan``,
    ``oo``): such an expression is not a real-valued function anywhere it is used."""
    for node in sp.preorder_traversal(expr):
        if node.is_Atom and node.is_number and (node.is_extended_real is not True or node.is_infinite):
            raise NonRealError(f"the expression {expr} contains the constant {node}, which is not a finite real "
                               "number; an objective must be real-valued")
        if isinstance(node, NON_ANALYTIC):
            raise NotAnalyticError(f"{type(node).__name__} is not analytic; rewrite with Piecewise")
        if isinstance(node, sp.Function) and not isinstance(node, sp.Piecewise) \
                and type(node) not in ANALYTIC_FUNCS:
            raise InputError(f"unsupported function {type(node).__name__} in {expr}; supported: "
                             f"{', '.join(sorted(ANALYTIC_FUNCS.values()))}")


def compile_array(exprs: Sequence[sp.Expr], var: sp.Symbol, arith: Arithmetic) -> Callable | None:
    """The expressions ``exprs`` (CSE-shared) of one variable as a function of a 1-D object array of ``arith``
    (an object-dtype arithmetic), returning one array (or a single number, for a constant) per expression; None
    when they cannot be evaluated in array mode (a Piecewise or a condition in them)."""
    exprs = list(exprs)
    branching = (sp.Piecewise, sp.core.relational.Relational, sp.logic.boolalg.BooleanFunction,
                 sp.logic.boolalg.BooleanAtom)  # (a Symbol is a Boolean too: sympy's logic accepts symbols)
    if any(isinstance(e, sp.Basic) and (isinstance(e, branching) or e.atoms(*branching)) for e in exprs):
        return None
    prog = Program(exprs, [var], arith, array=True)
    return lambda x: prog.run_in_context([x])


__all__ = ["Program", "compile_scalar", "compile_array", "check_evaluable", "exact_floats", "float_value",
           "check_plain_symbols", "ANALYTIC_FUNCS", "NON_ANALYTIC", "ArithmeticNotSupportedError"]
