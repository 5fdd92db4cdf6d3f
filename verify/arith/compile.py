"""Compile sympy expressions into straight-line programs for any arithmetic.

This is our ``lambdify``: the expressions are first reduced with ``sympy.cse`` (common
subexpression elimination), then each node becomes a Python closure that calls the arithmetic's
own operations (numpy ufuncs, mpmath, Arb, fmpq). No source text is generated and nothing is
``eval``-ed: the program is a tree of closures built from trusted sympy objects.

``Piecewise`` nodes select their branch by evaluating the conditions *with certainty* in the
arithmetic at hand; an undecidable condition (a ball straddling a branch boundary, or an exact
tie) raises :class:`RegionBoundaryError` naming the condition.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

import sympy as sp

from ..errors import ArithmeticNotSupportedError, InputError, RegionBoundaryError
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


class _Compiler:
    def __init__(self, arith: Arithmetic, variables: Sequence[sp.Symbol], ties_are_boundaries: bool = False):
        self.a = arith
        self.index = {v: i for i, v in enumerate(variables)}
        self.ties = ties_are_boundaries

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
            c = a.func(str(e))
            return lambda env: c
        if e.is_Add:
            parts = [self.node(t) for t in e.args]

            def add(env, parts=parts):
                s = parts[0](env)
                for p in parts[1:]:
                    s = s + p(env)
                return s

            return add
        if e.is_Mul:
            parts = [self.node(t) for t in e.args]

            def mul(env, parts=parts):
                s = parts[0](env)
                for p in parts[1:]:
                    s = s * p(env)
                return s

            return mul
        if e.is_Pow:
            base, ex = e.args
            b = self.node(base)
            if ex.is_Rational:
                q = _rational(ex)
                if q == Fraction(1, 2):
                    f = a.vectorize(a.func("sqrt"))
                    return lambda env: f(b(env))
                return lambda env: a.pow_rational(b(env), q)
            if base is sp.E:
                f = a.vectorize(a.func("exp"))
                x = self.node(ex)
                return lambda env: f(x(env))
            x = self.node(ex)
            fe, fl = a.vectorize(a.func("exp")), a.vectorize(a.func("log"))
            return lambda env: fe(x(env) * fl(b(env)))
        if isinstance(e, sp.Piecewise):
            return self.piecewise(e)
        if isinstance(e, sp.logic.boolalg.Boolean):
            return self.condition(e)  # a condition that CSE pulled out as a common subexpression
        if isinstance(e, NON_ANALYTIC):
            raise InputError(f"{type(e).__name__} is not analytic; rewrite it with Piecewise "
                             "(e.g. expr.rewrite(sympy.Piecewise))")
        fn = ANALYTIC_FUNCS.get(type(e))
        if fn is not None:
            f = a.vectorize(a.func(fn))
            x = self.node(e.args[0])
            return lambda env: f(x(env))
        raise InputError(f"cannot evaluate {type(e).__name__} ({e}); supported: + * ** and "
                         f"{', '.join(sorted(ANALYTIC_FUNCS.values()))}, Piecewise")

    def condition(self, c) -> Callable:
        """Closure returning True/False with certainty, or raising RegionBoundaryError."""
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
                s = a.side(g(env), zero)
                if s is None or (s == 0 and self.ties):
                    what = "straddles 0" if s is None else "is exactly 0"
                    raise RegionBoundaryError(
                        f"cannot decide the Piecewise condition {c} at this point in {a.name} arithmetic "
                        f"(the value of {c.lhs - c.rhs} {what}): the point may lie on a region "
                        "boundary, where derivatives need not exist; move it or raise the precision",
                        condition=str(c))
                if s == 0:
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
            raise InputError(f"no branch of {e} applies at this point")

        return pw


class Program:
    """Evaluate a list of sympy expressions, jointly CSE-reduced, in one arithmetic.

    ``program(values)`` returns one value per expression. Common subexpressions are computed
    lazily (on first use), so a subexpression under an unused Piecewise branch is never evaluated.
    """

    def __init__(self, exprs: Sequence[sp.Expr], variables: Sequence[sp.Symbol], arith: Arithmetic,
                 ties_are_boundaries: bool = False):
        self.arith = arith
        self.variables = list(variables)
        replacements, reduced = sp.cse(list(exprs), symbols=sp.numbered_symbols("_cse"), optimizations=None)
        allvars = self.variables + [s for s, _ in replacements]
        comp = _Compiler(arith, allvars, ties_are_boundaries)
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
        import numpy as np

        def ff(x):
            with np.errstate(over="ignore", invalid="ignore"):
                return f([x])

        return ff
    return arith.vectorize(lambda x: f([x]))


def check_evaluable(expr: sp.Expr) -> None:
    """Raise :class:`InputError` if ``expr`` contains a node the compiler cannot evaluate."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, NON_ANALYTIC):
            raise InputError(f"{type(node).__name__} is not analytic; rewrite with Piecewise")
        if isinstance(node, sp.Function) and not isinstance(node, sp.Piecewise) \
                and type(node) not in ANALYTIC_FUNCS:
            raise InputError(f"unsupported function {type(node).__name__} in {expr}; supported: "
                             f"{', '.join(sorted(ANALYTIC_FUNCS.values()))}")


__all__ = ["Program", "compile_scalar", "check_evaluable", "ANALYTIC_FUNCS", "NON_ANALYTIC",
           "ArithmeticNotSupportedError"]
