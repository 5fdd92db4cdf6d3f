"""Validation of user arguments, in one place.

Every public function validates its arguments here *before* any work starts, so that bad input
gives a :mod:`verify.errors` exception saying what to change — never a raw traceback, never a
silent coercion (``1.5`` is not an integer count; ``True`` is not a layer width).

>>> positive_int(3, "steps")
3
>>> positive_int(1.5, "steps")
Traceback (most recent call last):
...
verify.errors.InputError: steps must be a positive integer, got 1.5 (float)
>>> rational_interval((0, "1/2"), "eta_range")
(Fraction(0, 1), Fraction(1, 2))
"""

from __future__ import annotations

import math
import numbers
import os
from fractions import Fraction

import numpy as np

from .errors import InputError, NonFiniteError, PrecisionError
from .numbers import to_fraction

#: python-flint/FLINT abort the interpreter far above this (around 2**33 bits); we refuse earlier
MAX_PREC = 2**22
MIN_PREC = 16
#: magnitudes a user parameter may have: inside the float64 range, so that float screening, messages and
#: plots work; larger or tinier exact values are refused with a clear error instead of an OverflowError
MAX_MAGNITUDE = Fraction(2) ** 1000
MIN_POSITIVE = Fraction(1, 2**1000)


def _describe(x) -> str:
    return f"{x!r} ({type(x).__name__})"


#: the largest count (steps, samples, restarts …) any argument may have unless a function sets its own limit:
#: larger counts would run for days or allocate terabytes
MAX_COUNT = 10**9


def integer(x, what: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``x`` as a Python int: ints and numpy integers only (not bool, not 2.0, not "3"); at most
    :data:`MAX_COUNT` in absolute value unless ``maximum`` says otherwise."""
    if isinstance(x, bool | np.bool_) or not isinstance(x, numbers.Integral):
        bound = "" if minimum is None else (" positive" if minimum == 1 else
                                            " non-negative" if minimum == 0 else f" ≥ {minimum}")
        raise InputError(f"{what} must be a{bound} integer, got {_describe(x)}")
    v = int(x)
    if minimum is not None and v < minimum:
        raise InputError(f"{what} must be ≥ {minimum}, got {v}")
    if maximum is not None and v > maximum:
        raise InputError(f"{what} must be ≤ {maximum}, got {v}")
    if maximum is None and abs(v) > MAX_COUNT:
        raise InputError(f"{what} = {v} is beyond the supported {MAX_COUNT}: such a run would take days or "
                         "terabytes; split it")
    return v


def positive_int(x, what: str, maximum: int | None = None) -> int:
    """``x`` as a Python int ≥ 1 (and ≤ ``maximum`` if given), else :class:`~verify.errors.InputError` naming
    ``what``; see :func:`integer` for what counts as an integer.

    >>> positive_int(np.int64(4), "width")
    4
    """
    return integer(x, what, minimum=1, maximum=maximum)


def nonneg_int(x, what: str, maximum: int | None = None) -> int:
    """``x`` as a Python int ≥ 0 (and ≤ ``maximum`` if given), else :class:`~verify.errors.InputError` naming
    ``what``; see :func:`integer` for what counts as an integer.

    >>> nonneg_int(0, "seed")
    0
    """
    return integer(x, what, minimum=0, maximum=maximum)


def rational(x, what: str) -> Fraction:
    """A finite real number, exactly (see :func:`verify.numbers.to_fraction`)."""
    if isinstance(x, str):
        raise InputError(f"{what} must be a number, got the string {x!r}")
    q = to_fraction(x, what=what)
    if abs(q) > MAX_MAGNITUDE:
        raise InputError(f"{what} = {_short(q)} is beyond the supported magnitude 2**1000 (about 1e301); rescale the "
                         "problem")
    return q


def _short(q: Fraction) -> str:
    s = str(q)
    return s if len(s) <= 40 else f"{s[:20]}…({len(s)} characters)"


def positive_rational(x, what: str) -> Fraction:
    """``x`` exactly as a :class:`~fractions.Fraction` with 2**-1000 ≤ x ≤ 2**1000 (:data:`MIN_POSITIVE`,
    :data:`MAX_MAGNITUDE`), else :class:`~verify.errors.InputError` naming ``what`` (a step size, a radius …).

    >>> positive_rational(0.5, "eta")
    Fraction(1, 2)
    """
    q = rational(x, what)
    if q <= 0:
        raise InputError(f"{what} must be > 0, got {_short(q)}")
    if q < MIN_POSITIVE:
        raise InputError(f"{what} = {_short(q)} is below the supported magnitude 2**-1000 (about 1e-301); rescale the "
                         "problem")
    return q


def nonneg_rational(x, what: str) -> Fraction:
    """``x`` exactly as a :class:`~fractions.Fraction` with 0 ≤ x ≤ 2**1000, else
    :class:`~verify.errors.InputError` naming ``what``.

    >>> nonneg_rational(0, "weight_decay")
    Fraction(0, 1)
    """
    q = rational(x, what)
    if q < 0:
        raise InputError(f"{what} must be ≥ 0, got {x!r}")
    return q


def rational_interval(pair, what: str, *, positive: bool = False) -> tuple[Fraction, Fraction]:
    """(lo, hi) with lo < hi, exactly two finite numbers (``(0, 1, 2)`` is refused)."""
    if isinstance(pair, str | bytes) or not hasattr(pair, "__len__") or len(pair) != 2:
        raise InputError(f"{what} must be a pair (lo, hi) of numbers, got {pair!r}")
    lo, hi = (to_fraction(v, what=what) if not isinstance(v, str) else _str_rational(v, what) for v in pair)
    if not lo < hi:
        raise InputError(f"{what} must satisfy lo < hi, got ({pair[0]!r}, {pair[1]!r})")
    if positive and lo < 0:
        raise InputError(f"{what} must lie in [0, ∞), got ({pair[0]!r}, {pair[1]!r})")
    return lo, hi


def _str_rational(s: str, what: str) -> Fraction:
    from .numbers import parse_fraction_str

    return parse_fraction_str(s, what=what)


def finite_float(x, what: str) -> float:
    """A finite float (for numerical-only parameters such as a float tolerance or a sampling scale)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise InputError(f"{what} must be a real number, got {_describe(x)}")
    try:
        v = float(x)
    except OverflowError:
        raise InputError(f"{what} = {_short(to_fraction(x, what=what))} is beyond the float range") from None
    if not math.isfinite(v):
        raise NonFiniteError(f"{what} must be finite, got {x!r}")
    return v


def precision(prec, what: str = "precision") -> int:
    """A working precision in bits, MIN_PREC ≤ prec ≤ MAX_PREC."""
    if isinstance(prec, bool) or not isinstance(prec, numbers.Integral):
        raise PrecisionError(f"{what} must be an integer number of bits in [{MIN_PREC}, {MAX_PREC}], "
                             f"got {_describe(prec)}")
    p = int(prec)
    if p < MIN_PREC or p > MAX_PREC:
        raise PrecisionError(f"{what} must be in [{MIN_PREC}, {MAX_PREC}] bits, got {p}"
                             + (" (FLINT aborts the interpreter at such sizes)" if p > MAX_PREC else ""))
    return p


def byte_limit(x, what: str = "max_bytes") -> int:
    """A positive memory limit in bytes (an int, not a string or float), up to 2**60 (an exabyte: a limit,
    not an allocation, so the count cap of :func:`integer` does not apply; 16 GiB = 2**34 must be accepted)."""
    return positive_int(x, what, maximum=2**60)


def env_int(name: str, default: int, *, minimum: int = 1) -> int:
    """An integer environment variable, or ``default`` when unset; a clear error when malformed."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        v = int(raw.strip())
    except ValueError:
        raise InputError(f"the environment variable {name} must be an integer ≥ {minimum}, got {raw!r}") from None
    if v < minimum:
        raise InputError(f"the environment variable {name} must be an integer ≥ {minimum}, got {raw!r}")
    return v


def boolean(x, what: str) -> bool:
    """``x`` must be True or False (not 0/1, not a string)."""
    if x is True or x is False:
        return x
    raise InputError(f"{what} must be True or False, got {_describe(x)}")


def one_of(x, choices, what: str):
    """``x`` itself if it is one of ``choices``, else :class:`~verify.errors.InputError` listing the choices.

    >>> one_of("ball", ("float", "ball"), "arith")
    'ball'
    """
    if x not in choices:
        raise InputError(f"{what} must be one of {', '.join(repr(c) for c in choices)}; got {x!r}")
    return x


__all__ = ["integer", "positive_int", "nonneg_int", "rational", "positive_rational", "nonneg_rational",
           "rational_interval", "finite_float", "precision", "byte_limit", "env_int", "one_of", "MAX_PREC",
           "MIN_PREC"]
