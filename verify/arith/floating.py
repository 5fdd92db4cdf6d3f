"""``"float"``: numpy float64, fast screening. Never certified."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..errors import InputError
from ..numbers import check_finite_float_array
from .base import Arithmetic

_FUNCS = {
    "exp": np.exp, "log": np.log, "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "atan": np.arctan, "sqrt": np.sqrt,
    "log1p": np.log1p, "expm1": np.expm1,
}


class FloatArithmetic(Arithmetic):
    """``"float"``: IEEE binary64 numpy arrays, for fast screening. Never certified: values carry no error bound,
    so analyses run in this arithmetic report SUPPORTED or INCONCLUSIVE, never PROVED or REFUTED
    (docs/guide/arithmetics.md). ``prec`` is ignored.

    >>> from verify.arith import get_arith
    >>> a = get_arith("float")
    >>> a.certified, a.sum(a.array([0.5, 0.25]))
    (False, np.float64(0.75))
    """

    name = "float"
    certified = False
    dtype = float
    bytes_per_entry = 8
    #: measured peak of a dense Hessian over its 8-byte entries: ≤ 2.25 in general (the layer graph's CNNs 1.5–2.2),
    #: 1.15 / 1.5 for MLPs with 2 / 3 weight layers (:func:`verify.models.objective.check_dense_size`)
    dense_copies = 2.25  # one hidden neuron: 2.04 at p = 3,001
    dense_copies_by_layers = {2: 1.15, 3: 1.5}

    def __init__(self, prec=None):
        super().__init__(None)

    def const(self, q: Fraction):
        """The float nearest to q; :class:`InputError` if q is beyond the float range (a float conversion
        would overflow: use 'mp', 'ball' or 'exact')."""
        try:
            return np.float64(float(q))
        except OverflowError:
            raise InputError(f"the number {_short(q)} is beyond the float64 range (about 1.8e308): float "
                             "arithmetic cannot represent it; use arith='mp', 'ball' or 'exact', or rescale") from None

    def _native(self, x):
        return isinstance(x, float)  # also np.float64; a float cannot overflow a float conversion

    def array(self, values, what="array"):
        """A float64 array of ``values``; a numeric numpy array is taken as it is (after a finiteness check), other
        values are converted exactly and then rounded to nearest (:meth:`Arithmetic.array`)."""
        if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
            return check_finite_float_array(values, what=what)
        return super().array(values, what).astype(float)

    def from_fractions(self, arr):
        """The float64 array of the floats nearest to the rationals of ``arr`` (:meth:`const`)."""
        return np.vectorize(self.const, otypes=[float])(arr) if arr.size else np.zeros(arr.shape)

    def zeros(self, shape):
        """A float64 array of zeros of ``shape`` (``np.zeros``)."""
        return np.zeros(shape)

    def eye(self, n):
        """The n × n float64 identity matrix (``np.eye``)."""
        return np.eye(n)

    def matmul(self, a, b):
        return np.asarray(a, float) @ np.asarray(b, float)

    def sum(self, a, axis=None):
        """``np.sum(a, axis=axis)``: pairwise float64 summation, rounded (no error bound)."""
        return np.sum(a, axis=axis)

    def func(self, name):
        if name == "pi":
            return np.pi
        if name == "E":
            return np.e
        if name == "erf":
            from scipy.special import erf

            return erf
        try:
            return _FUNCS[name]
        except KeyError:
            return super().func(name)

    def vectorize(self, f):
        return f

    def pow_rational(self, x, q):
        """``np.power(x, q)``: an integer power for an integer ``q``, else x**float(q) (NaN for x < 0)."""
        return np.power(x, float(q)) if q.denominator != 1 else np.power(x, q.numerator)

    def side(self, x, b):
        x, b = float(x), float(b)
        return -1 if x < b else (1 if x > b else 0)

    def to_float(self, a):
        return np.asarray(a, dtype=float) if np.ndim(a) else float(a)

    def softmax_last(self, x):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def logsumexp_last(self, x):
        m = x.max(axis=-1)
        return m + np.log(np.exp(x - m[..., None]).sum(axis=-1))

    def certainly_outside(self, u, kind):
        u = np.asarray(u)
        if kind == "pos":
            return bool(np.any(u <= 0))
        if kind == "nonneg":
            return bool(np.any(u < 0))
        return bool(np.any(u == 0))


def _short(q: Fraction) -> str:
    """A huge rational, briefly (its exact decimal expansion can have thousands of digits)."""
    bits = abs(q.numerator).bit_length() - q.denominator.bit_length()
    return f"{'-' if q < 0 else ''}2**{bits} (about)" if abs(bits) > 64 else str(q)
