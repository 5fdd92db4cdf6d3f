"""``"mp"``: mpmath multiprecision floats at ``prec`` bits; the reference (not certified)."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np

from .base import Arithmetic

_NAMES = ("exp", "log", "tanh", "sinh", "cosh", "sin", "cos", "tan", "atan", "sqrt", "erf",
          "log1p", "expm1")


class MpArithmetic(Arithmetic):
    """``"mp"``: mpmath floating-point numbers at ``prec`` bits (default 128) in object arrays — the
    high-precision reference for float screening. Not certified: every operation rounds without an error bound, so
    verdicts in this arithmetic are at most SUPPORTED (docs/guide/arithmetics.md).

    >>> from fractions import Fraction
    >>> from verify.arith import get_arith
    >>> a = get_arith("mp", 64)
    >>> a.certified, a.key()
    (False, ('mp', 64))
    """

    name = "mp"
    certified = False
    #: working copies of a dense Hessian: as for ``ball`` (the same engines; mp's symmetric product shares no
    #: blocks), measured 1.14–1.21 × ``bytes_per_entry`` for a 2-layer MLP at p = 500 and 1,000
    #: (one hidden neuron: 2.24 at p = 701 — hence 2.5 in general)
    dense_copies = 2.5
    dense_copies_by_layers = {2: 1.25}

    @property
    def bytes_per_entry(self) -> int:
        """Bytes held per entry of an object array of ``mpf``: the 8-byte slot, the 64-byte ``mpf`` object, its
        ``_mpf_`` 4-tuple (80-byte block), the mantissa (a Python int of ⌈prec/30⌉ digits) and the exponent (an
        int beyond the small-int cache), and the bit count once it exceeds the cache (prec > 256): 232 bytes at 128
        bits (pymalloc rounds every block up to 16 bytes)."""
        mantissa = (24 + 4 * -(-self.prec // 30) + 15) // 16 * 16
        return 8 + 64 + 80 + mantissa + 32 + (32 if self.prec > 256 else 0)

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
        """x**q: integer exponents by multiplication, others by ``mpmath.power`` at this precision."""
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
