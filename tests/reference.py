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
        self.expr = objective.symbolic()
        self.syms = list(objective.symbols)
        self.grad_exprs = [sp.diff(self.expr, s) for s in self.syms]
        self.hess_exprs = None
        if hessian:
            self.hess_exprs = [[sp.diff(g, s) for s in self.syms] for g in self.grad_exprs]

    def _sub(self, theta):
        return {s: rational(Fraction(t)) for s, t in zip(self.syms, theta)}

    def exact(self, theta):
        # xreplace substitutes every symbol in one bottom-up rebuild: Piecewise conditions become
        # True/False at once. (Sequential .subs() makes sympy collapse partially-substituted nested
        # Piecewise expressions, which took minutes on 2-hidden-layer networks.)
        sub = self._sub(theta)
        v = self.expr.xreplace(sub)
        g = [e.xreplace(sub) for e in self.grad_exprs]
        H = None if self.hess_exprs is None else [[e.xreplace(sub) for e in row] for row in self.hess_exprs]
        return v, g, H

    def numeric(self, theta, digits: int = 60, exact=None):
        v, g, H = exact if exact is not None else self.exact(theta)
        f = lambda e: sp.N(e, digits)  # noqa: E731
        return f(v), [f(e) for e in g], None if H is None else [[f(e) for e in row] for row in H]


def floats(a) -> np.ndarray:
    return np.vectorize(float, otypes=[float])(np.asarray(a, dtype=object))
