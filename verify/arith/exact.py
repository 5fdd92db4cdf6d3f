"""``"exact"``: python-flint ``fmpq`` rationals. Certified (no rounding at all).

Only rational operations exist: analytic functions such as ``tanh`` raise
:class:`ArithmeticNotSupportedError`, which tells the user to switch to ``"ball"``.
"""

from __future__ import annotations

from fractions import Fraction

from flint import fmpq, fmpq_mat

from ..errors import ArithmeticNotSupportedError
from .base import Arithmetic

_MATMUL_FLINT_MIN = 8  # below this inner size the object-array product is as fast


class ExactArithmetic(Arithmetic):
    """``"exact"``: python-flint ``fmpq`` rationals in object arrays. Certified with no rounding at all: a value is
    the exact result, so a decision made on it (PROVED / REFUTED) is exact. Only rational operations exist;
    ``tanh``, ``exp`` … raise :class:`~verify.errors.ArithmeticNotSupportedError` (use ``"ball"``). ``prec`` is
    ignored.

    >>> from verify.arith import get_arith
    >>> a = get_arith("exact")
    >>> a.sum(a.array([Fraction(1, 3), Fraction(1, 6)]))
    1/2
    """

    name = "exact"
    certified = True
    #: bytes held per entry of an object array of rationals: the 8-byte slot, the 32-byte ``fmpq`` object and, for
    #: a numerator or denominator beyond 62 bits, FLINT's mpz and its limbs. The size of exact rationals depends on
    #: the data and grows with depth; 320 bytes is what MLP Hessians on float data took (rationals of several
    #: hundred bits; measured peaks 211–341 bytes per entry), not a bound for every input
    bytes_per_entry = 320
    #: working copies of a dense Hessian (every entry a distinct rational, no mirrored sharing): the measured peaks
    #: of MLPs with 2–4 weight layers were at most 1.07 × 320 bytes per entry
    dense_copies = 1.25

    def __init__(self, prec=None):
        super().__init__(None)

    def const(self, q: Fraction):
        return fmpq(q.numerator, q.denominator)

    def _native(self, x):
        return type(x) is fmpq

    def func(self, name):
        raise ArithmeticNotSupportedError(
            f"{name} is not a rational function, so it has no exact value: use arith='ball' (certified "
            "enclosures) instead of 'exact'")

    def matmul(self, a, b):
        if min(a.shape[0], a.shape[1], b.shape[1]) < _MATMUL_FLINT_MIN:
            return a @ b
        import numpy as np

        m = fmpq_mat(a.tolist()) * fmpq_mat(b.tolist())
        return np.array(m.tolist(), dtype=object).reshape(a.shape[0], b.shape[1])

    def side(self, x, b):
        b = self.const(b)
        return -1 if x < b else (1 if x > b else 0)

    def to_float(self, a):
        import numpy as np

        conv = _to_float
        if np.ndim(a) == 0:
            return conv(a)
        return np.vectorize(conv, otypes=[float])(a) if a.size else np.zeros(a.shape)


def _to_float(v) -> float:
    """The float nearest to the rational v; ±inf beyond the float range (IEEE overflow), never an
    OverflowError (exact iterates of a diverging run can be arbitrarily large)."""
    try:
        return int(v.p) / int(v.q)
    except OverflowError:
        return float("inf") if v > 0 else float("-inf")
