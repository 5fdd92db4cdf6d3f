"""``"mp"``: mpmath multiprecision floats at ``prec`` bits; the reference (not certified)."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np

from .base import Arithmetic

_NAMES = ("exp", "log", "tanh", "sinh", "cosh", "sin", "cos", "tan", "atan", "sqrt", "erf",
          "log1p", "expm1")


class MpArithmetic(Arithmetic):
    name = "mp"
    certified = False
    bytes_per_entry = 120

    def __init__(self, prec=128):
        super().__init__(128 if prec is None else prec)

    def context(self):
        return mpmath.workprec(self.prec)

    def _native(self, x):
        return isinstance(x, mpmath.mpf)

    def const(self, q: Fraction):
        return mpmath.mpf(q.numerator) / q.denominator

    def func(self, name):
        if name == "pi":
            return +mpmath.pi
        if name == "E":
            return +mpmath.e
        if name in _NAMES:
            return getattr(mpmath, name)
        return super().func(name)

    def pow_rational(self, x, q):
        if q.denominator == 1:
            return super().pow_rational(x, q)
        return mpmath.power(x, self.const(q))

    def side(self, x, b):
        b = self.const(b)
        return -1 if x < b else (1 if x > b else 0)

    def certainly_outside(self, u, kind):
        if isinstance(u, mpmath.mpc):
            return True  # complex already (cannot happen for real inputs; kept as a guard)
        return super().certainly_outside(u, kind)

    def to_float(self, a):
        if np.ndim(a) == 0:
            return float(a)
        return np.vectorize(float, otypes=[float])(a) if a.size else np.zeros(a.shape)
