"""Exact conversion and validation of user-supplied numbers.

Every finite real number a user can hand us (int, float, ``fractions.Fraction``, sympy
Integer/Rational/Float, numpy scalars, python-flint ``fmpz``/``fmpq``, mpmath ``mpf``) is a
rational number; :func:`to_fraction` returns it *exactly* (a float becomes the exact value of its
binary representation, so ``0.1`` is ``3602879701896397/36028797018963968``).
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np

from .errors import InputError, NonFiniteError


def _is_flint(x, name: str) -> bool:
    return type(x).__module__.startswith("flint") and type(x).__name__ == name


def to_fraction(x, *, what: str = "value") -> Fraction:
    """Return the exact rational value of ``x``; raise :class:`InputError` if it has none."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, bool):
        return Fraction(int(x))
    if isinstance(x, numbers.Integral):
        return Fraction(int(x))
    if isinstance(x, float | np.floating):
        xf = float(x)
        if not math.isfinite(xf):
            raise NonFiniteError(f"{what} is {xf!r}; every entry must be a finite number")
        return Fraction(xf)
    if _is_flint(x, "fmpq"):
        return Fraction(int(x.p), int(x.q))
    if _is_flint(x, "fmpz"):
        return Fraction(int(x))
    if _is_flint(x, "arb"):
        if not x.is_finite():
            raise NonFiniteError(f"{what} is a non-finite ball {x}")
        if not x.is_exact():
            raise InputError(f"{what} is a ball of positive radius {x}; pass its midpoint or use arith='ball'")
        man, exp = x.mid().man_exp()
        return Fraction(int(man)) * Fraction(2) ** int(exp)
    mod = type(x).__module__
    if mod.startswith("mpmath"):
        import mpmath

        if isinstance(x, mpmath.mpf):
            if not mpmath.isfinite(x):
                raise NonFiniteError(f"{what} is {x}; every entry must be a finite number")
            return mpf_to_fraction(x)
    if mod.startswith("sympy"):
        import sympy

        if isinstance(x, sympy.Rational):
            return Fraction(int(x.p), int(x.q))
        if isinstance(x, sympy.Float):
            if not x.is_finite:
                raise NonFiniteError(f"{what} is {x}; every entry must be a finite number")
            r = sympy.Rational(x)
            return Fraction(int(r.p), int(r.q))
        if getattr(x, "is_number", False):
            raise InputError(f"{what} = {x} is not a rational number; give a rational approximation "
                             "(e.g. sympy.Rational or a float) explicitly")
    raise InputError(f"{what} has unsupported type {type(x).__name__}; use int, float, Fraction, "
                     "sympy.Rational, numpy arrays or python-flint fmpq")


def mpf_signed_man_exp(x) -> tuple[int, int]:
    """(m, e) with x = m·2^e exactly, m signed. (mpmath's ``mpf.man_exp`` drops the sign.)"""
    sign, man, exp, _ = x._mpf_
    return (-int(man) if sign else int(man)), int(exp)


def mpf_to_fraction(x) -> Fraction:
    """The exact rational value of a finite mpmath ``mpf``."""
    m, e = mpf_signed_man_exp(x)
    return Fraction(m * 2**e) if e >= 0 else Fraction(m, 2**-e)


def fraction_array(values, *, what: str = "array") -> np.ndarray:
    """Exact object array of :class:`Fraction` with the shape of ``values``."""
    arr = np.asarray(values, dtype=object)
    out = np.empty(arr.shape, dtype=object)
    for idx, v in np.ndenumerate(arr):
        out[idx] = to_fraction(v, what=f"{what}{list(idx)}")
    return out


def check_finite_float_array(values, *, what: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise NonFiniteError(f"{what} has a non-finite entry at index {bad.tolist()}: {arr[tuple(bad)]!r}")
    return arr


def fraction_str(q: Fraction) -> str:
    return f"{q.numerator}/{q.denominator}" if q.denominator != 1 else str(q.numerator)


def parse_fraction_str(s: str, *, what: str = "value") -> Fraction:
    """Parse ``"p/q"`` or ``"p"`` (integers only; no expressions are evaluated)."""
    if not isinstance(s, str):
        raise InputError(f"{what}: expected a string 'p/q', got {type(s).__name__}")
    parts = s.strip().split("/")
    try:
        if len(parts) == 1:
            return Fraction(int(parts[0]))
        if len(parts) == 2:
            den = int(parts[1])
            if den == 0:
                raise ZeroDivisionError
            return Fraction(int(parts[0]), den)
    except (ValueError, ZeroDivisionError):
        pass
    raise InputError(f"{what}: {s!r} is not an exact rational of the form 'p/q'")
