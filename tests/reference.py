"""Independent reference values from the exact sympy model (``loss.symbolic()``), for tests.

Derivatives are taken by sympy on the defining Piecewise expressions (valid off breakpoints), then
evaluated exactly at rational θ (``sympy.nsimplify`` never needed: θ are Fractions) and rounded to
``digits`` significant digits only at the end.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp


def rational(q: Fraction) -> sp.Rational:
    return sp.Rational(q.numerator, q.denominator)


class SympyReference:
    def __init__(self, objective, hessian: bool = True):
        self.objective, self.hessian = objective, hessian
        self.expr = objective.symbolic()
        self.syms = list(objective.symbols)
        self.grad_exprs = [sp.diff(self.expr, s) for s in self.syms]
        self.hess_exprs = None
        if hessian:
            self.hess_exprs = [[sp.diff(g, s) for s in self.syms] for g in self.grad_exprs]

    def _sub(self, theta):
        return {s: rational(Fraction(t)) for s, t in zip(self.syms, theta)}

    def exact(self, theta):
        sub = self._sub(theta)
        try:
            return self._at(self.expr, self.grad_exprs, self.hess_exprs, sub)
        except TypeError:
            # sympy's piecewise_fold can move a branch's expression (e.g. z^(3/2) of a negative
            # pre-activation) into a condition, which then compares a complex number. Fall back to
            # the analytic expression of θ's activation region (pieces from the same Piecewise).
            E = self.objective.on_region(self.objective.region(theta))
            g = [sp.diff(E, s) for s in self.syms]
            H = [[sp.diff(e, s) for s in self.syms] for e in g] if self.hessian else None
            return self._at(E, g, H, sub)

    @staticmethod
    def _at(v, g, H, sub):
        # xreplace substitutes every symbol in one bottom-up rebuild, so Piecewise conditions become
        # True/False at once (sequential .subs() made sympy collapse partially substituted nested
        # Piecewise expressions for minutes on 2-hidden-layer networks)
        return (v.xreplace(sub), [e.xreplace(sub) for e in g],
                None if H is None else [[e.xreplace(sub) for e in row] for row in H])

    def numeric(self, theta, digits: int = 60, exact=None):
        v, g, H = exact if exact is not None else self.exact(theta)
        f = lambda e: sp.N(e, digits)  # noqa: E731
        return f(v), [f(e) for e in g], None if H is None else [[f(e) for e in row] for row in H]


def floats(a) -> np.ndarray:
    return np.vectorize(float, otypes=[float])(np.asarray(a, dtype=object))
