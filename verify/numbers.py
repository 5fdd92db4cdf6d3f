"""Exact conversion and validation of user-supplied numbers.

Every finite real number a user can hand us (int, float, ``fractions.Fraction``, sympy
Integer/Rational/Float, numpy scalars including ``np.longdouble``, python-flint ``fmpz``/``fmpq``,
mpmath ``mpf``) is a rational number; :func:`to_fraction` returns it *exactly* (a float becomes the
exact value of its binary representation, so ``0.1`` is ``3602879701896397/36028797018963968``; an
80-bit ``np.longdouble`` keeps all 64 bits of its significand). Booleans are refused (``True`` is not
a number here), complex numbers too (:class:`~verify.errors.NonRealError`).

User inputs (θ, x0, data: :func:`fraction_array`, :func:`input_fraction`) must also satisfy
``|x| ≤ 2**1000`` (:func:`check_magnitude`); :func:`to_fraction` itself is unbounded, for the toolkit's own
conversions (ball midpoints and radii can be tiny or huge).
"""

from __future__ import annotations

import math
import numbers
import re
from fractions import Fraction

import numpy as np

from .errors import InputError, NonFiniteError, NonRealError


def _is_flint(x, name: str) -> bool:
    return type(x).__module__.startswith("flint") and type(x).__name__ == name


def to_fraction(x, *, what: str = "value") -> Fraction:
    """Return the exact rational value of ``x``; raise :class:`InputError` if it has none."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, bool | np.bool_):
        raise InputError(f"{what} is the boolean {x!r}, not a number; pass 1 or 0 explicitly")
    if isinstance(x, numbers.Integral):
        return Fraction(int(x))
    if isinstance(x, float):
        if not math.isfinite(x):
            raise NonFiniteError(f"{what} is {x!r}; every entry must be a finite number")
        return Fraction(x)
    if isinstance(x, np.floating):
        # exactly, whatever the width: float(x) would round an np.longdouble to 53 bits
        if not np.isfinite(x):
            raise NonFiniteError(f"{what} is {x!r}; every entry must be a finite number")
        num, den = x.as_integer_ratio()
        return Fraction(int(num), int(den))
    if isinstance(x, complex | np.complexfloating):
        raise NonRealError(f"{what} is the complex number {x!r}; every entry must be real")
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
        if isinstance(x, mpmath.mpc):
            raise NonRealError(f"{what} is the complex number {x}; every entry must be real")
    if mod.startswith("sympy"):
        import sympy

        if isinstance(x, sympy.Rational):
            return Fraction(int(x.p), int(x.q))
        if isinstance(x, sympy.Float):
            if not x.is_finite:
                raise NonFiniteError(f"{what} is {x}; every entry must be a finite number")
            r = sympy.Rational(x)
            return Fraction(int(r.p), int(r.q))
        if getattr(x, "is_number", False) and x.is_extended_real is False:
            raise NonRealError(f"{what} = {x} is not a real number")
        if getattr(x, "is_number", False):
            raise InputError(f"{what} = {x} is not a rational number; give a rational approximation "
                             "(e.g. sympy.Rational or a float) explicitly")
    raise InputError(f"{what} has unsupported type {type(x).__name__}; use int, float, Fraction, "
                     "sympy.Rational, numpy arrays or python-flint fmpq")


def check_magnitude(q: Fraction, *, what: str = "value") -> Fraction:
    """``q`` itself if ``|q| ≤ 2**1000`` (:data:`verify.validate.MAX_MAGNITUDE`), else :class:`InputError`.

    User inputs (θ, x0, data, …) are bounded so that float screening, messages and plots never meet a
    number beyond the float64 range (an OverflowError deep inside a computation); exact and ball
    computations of the toolkit itself (iterates, ball midpoints and radii) are not bounded by this."""
    # |q| < 2**(bits(p) − bits(q) + 1): only a numerator ≥ 1000 bits longer than the denominator can exceed
    if q.numerator.bit_length() - q.denominator.bit_length() >= 1000:
        from .validate import MAX_MAGNITUDE

        if abs(q) > MAX_MAGNITUDE:
            bits = abs(q.numerator).bit_length() - q.denominator.bit_length()  # |q| ≥ 2**(bits − 1)
            raise InputError(f"{what} is about 2**{bits} (|{what}| > 2**1000, about 1e301): beyond the supported "
                             "magnitude. Rescale the problem: every user input must satisfy |x| ≤ 2**1000")
    return q


def input_fraction(x, *, what: str = "value") -> Fraction:
    """:func:`to_fraction` for a user input: also refuses ``|x| > 2**1000`` (see :func:`check_magnitude`)."""
    return check_magnitude(to_fraction(x, what=what), what=what)


def mpf_signed_man_exp(x) -> tuple[int, int]:
    """(m, e) with x = m·2^e exactly, m signed. (mpmath's ``mpf.man_exp`` drops the sign.)"""
    sign, man, exp, _ = x._mpf_
    return (-int(man) if sign else int(man)), int(exp)


def mpf_to_fraction(x) -> Fraction:
    """The exact rational value of a finite mpmath ``mpf``."""
    m, e = mpf_signed_man_exp(x)
    return Fraction(m * 2**e) if e >= 0 else Fraction(m, 2**-e)


def fraction_array(values, *, what: str = "array") -> np.ndarray:
    """Exact object array of :class:`Fraction` with the shape of ``values`` (user inputs: θ, x0, data …).

    A ragged nesting (rows of different lengths, a list where a number belongs) is a
    :class:`~verify.errors.ShapeError`, not a list silently stored as an entry; an entry of magnitude
    above 2**1000 is an :class:`InputError` (see :func:`check_magnitude`)."""
    from .errors import ShapeError

    if isinstance(values, str | bytes):
        raise InputError(f"{what} must be an array of numbers, got the string {values!r}")
    try:
        arr = np.asarray(values, dtype=object)
    except ValueError as exc:  # numpy refuses some inhomogeneous nestings outright
        raise ShapeError(f"{what} is ragged (its rows have different lengths): {exc}") from None
    out = np.empty(arr.shape, dtype=object)
    for idx, v in np.ndenumerate(arr):
        if isinstance(v, list | tuple | np.ndarray):
            raise ShapeError(f"{what} is ragged: the entry at {list(idx)} is a {type(v).__name__}, not a "
                             "number (rows of different lengths?); give a rectangular array")
        out[idx] = input_fraction(v, what=f"{what}{list(idx)}")
    return out


def shape_of(values, *, what: str = "array") -> tuple:
    """``np.shape(values)``, with a ragged nesting (``[[1], 1]``) reported as a
    :class:`~verify.errors.ShapeError` instead of numpy's ValueError."""
    from .errors import ShapeError

    if isinstance(values, str | bytes):
        raise InputError(f"{what} must be an array of numbers, got the string {values!r}")
    try:
        return np.shape(values)
    except ValueError as exc:  # numpy refuses ragged nestings
        raise ShapeError(f"{what} is ragged (its rows have different lengths, or a list stands where a number "
                         f"belongs): {exc}") from None


def check_finite_float_array(values, *, what: str) -> np.ndarray:
    """``values`` as a float64 array, refused with :class:`~verify.errors.NonFiniteError` (naming ``what`` and the
    first bad index) if an entry is NaN or ±inf — for float-only inputs such as initial points of a screening.

    >>> check_finite_float_array([1, 2.5], what="x0")
    array([1. , 2.5])
    """
    arr = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise NonFiniteError(f"{what} has a non-finite entry at index {bad.tolist()}: {arr[tuple(bad)]!r}")
    return arr


def fraction_str(q: Fraction) -> str:
    """The exact text ``"p/q"`` of a rational (``"p"`` for an integer), as the JSON files store it;
    :func:`parse_fraction_str` reads it back.

    >>> fraction_str(Fraction(-3, 4)), fraction_str(Fraction(6, 3))
    ('-3/4', '2')
    """
    return f"{q.numerator}/{q.denominator}" if q.denominator != 1 else str(q.numerator)


_FRACTION_STR = re.compile(r"\s*([+-]?[0-9]{1,4000})\s*(?:/\s*([0-9]{1,4000})\s*)?", re.ASCII)


def parse_fraction_str(s: str, *, what: str = "value") -> Fraction:
    """Parse ``"p/q"`` or ``"p"`` (ASCII integers only, q > 0; no expressions are evaluated)."""
    if not isinstance(s, str):
        raise InputError(f"{what}: expected a string 'p/q', got {type(s).__name__}")
    m = _FRACTION_STR.fullmatch(s)
    if m is None or (m.group(2) is not None and int(m.group(2)) == 0):
        raise InputError(f"{what}: {s!r} is not an exact rational of the form 'p/q'")
    return Fraction(int(m.group(1)), int(m.group(2)) if m.group(2) is not None else 1)


# ============================================================================ numbers inside a claim's prop
# A claim's ``prop(instance, arith, prec)`` meets several number types at once: the instance's exact data
# (``Fraction``), values the toolkit computed in the arithmetic (``float``, mpmath ``mpf``, python-flint ``fmpq`` in
# "exact", ``arb`` balls in "ball", ``B64`` float64 balls in "ball64") and constants the user writes. Python does
# not mix them: ``Fraction * fmpq`` and ``Fraction * arb`` raise TypeError. The helpers below convert explicitly
# (docs/claims.md states the whole contract).

def _arith(arith, prec):
    from .arith import get_arith
    from .arith.base import Arithmetic

    return arith if isinstance(arith, Arithmetic) else get_arith(arith, prec)


def as_fraction(x, *, what: str = "value") -> Fraction:
    """The exact rational value of an *exact* number: int, Fraction, float (its binary value), fmpq/fmpz, sympy
    Rational, an ``arb`` or ``B64`` ball of radius 0. A ball of positive radius is refused
    (:class:`InputError`): read an enclosure with :func:`enclosure` instead.

    >>> from flint import fmpq
    >>> as_fraction(fmpq(1, 3)) * Fraction(3, 2)
    Fraction(1, 2)
    """
    exact_bounds = getattr(type(x), "exact_bounds", None)
    if exact_bounds is not None and np.ndim(x) == 0:  # a float64 ball (B64 scalar)
        lo, hi = exact_bounds(x)
        if lo != hi:
            raise InputError(f"{what} is a float64 ball of positive radius [{lo}, {hi}]; read it with "
                             "vf.numbers.enclosure (exact endpoints) instead")
        return lo
    return to_fraction(x, what=what)


def enclosure(x) -> tuple:
    """Exact rational endpoints ``(lo, hi)`` of a certified number — a Fraction/int/fmpq (lo = hi), an ``arb``
    ball, a ``B64`` float64 ball — the one way to decide on a value in a certified arithmetic
    (:func:`verify.arith.decide.bounds`). A float or an mpmath number is an approximation, not an enclosure:
    :class:`~verify.errors.UncertifiedValueError`.

    >>> from flint import arb
    >>> lo, hi = enclosure(arb(1) / 3)
    >>> lo < Fraction(1, 3) < hi
    True
    """
    from .arith.decide import bounds

    if isinstance(x, np.ndarray) and x.ndim == 0:
        x = x[()]
    return bounds(x)


def to_arith(x, arith="float", prec: int | None = None):
    """``x`` (any number :func:`to_fraction` accepts, or a value already of the arithmetic's own type) as a
    number of the arithmetic ``arith`` (a name or an :class:`~verify.arith.base.Arithmetic`) at ``prec`` bits:

    ========  ==============================================================================
    float     the nearest float64
    mp        an mpmath ``mpf`` at ``prec`` bits (rounded to nearest)
    exact     a python-flint ``fmpq`` (exactly)
    ball      an Arb ``arb`` ball at ``prec`` bits that *contains* x (exact when x is a dyadic rational)
    ball64    a float64 ball (``B64``) that contains x
    ========  ==============================================================================

    Use it for the constants of a prop (``to_arith(Fraction(1, 10), arith, prec) * L``): the product is then
    computed in the arithmetic, with its guarantees (an enclosure in ``ball``/``ball64``, exact in ``exact``).

    >>> from fractions import Fraction
    >>> to_arith(Fraction(1, 3), "exact")
    1/3
    """
    a = _arith(arith, prec)
    if a._native(x):
        return x
    if getattr(a, "name", "") == "ball" and type(x).__name__ == "arb":
        return x
    return a.const(to_fraction(x, what="value"))


#: rank of the number types :func:`coerce` brings to a common type (the widest wins)
def _kind(x) -> int:
    if isinstance(x, bool | np.bool_):
        raise InputError(f"{x!r} is a boolean, not a number")
    if isinstance(x, Fraction | numbers.Integral):
        return 0
    if _is_flint(x, "fmpq") or _is_flint(x, "fmpz"):
        return 1
    if isinstance(x, float | np.floating):
        return 2
    if type(x).__module__.startswith("mpmath"):
        return 3
    if _is_flint(x, "arb"):
        return 4
    if type(x).__module__.startswith("sympy"):
        return 0
    raise InputError(f"cannot mix a {type(x).__name__} with other numbers (vf.numbers.coerce knows int, Fraction, "
                     "fmpq, float, mpmath mpf and arb; convert B64 balls with vf.numbers.enclosure)")


def coerce(*values, prec: int | None = None) -> tuple:
    """The numbers ``values`` converted to one common type, so that Python's operators mix them:

    * exact numbers only (int, Fraction, fmpq/fmpz, sympy Rational): all ``Fraction`` — exact;
    * with a float (and no ball or mpf): all floats — rounded to nearest, so the result is an approximation;
    * with an mpmath ``mpf``: all ``mpf`` at mpmath's working precision;
    * with an ``arb`` ball: all ``arb`` balls, each exact number enclosed at ``prec`` bits (default: the largest
      precision Arb can hold it exactly at, up to 1024 bits; a non-dyadic rational such as 1/3 becomes a tight
      enclosure) — the operations are then certified.

    >>> from fractions import Fraction
    >>> from flint import arb, fmpq
    >>> a, b = coerce(Fraction(1, 3), fmpq(3, 2))
    >>> a * b
    Fraction(1, 2)
    >>> x, y = coerce(Fraction(1, 3), arb(3))
    >>> (x * y).contains(1)
    True
    """
    if not values:
        return ()
    kind = max(_kind(v) for v in values)
    if kind <= 1:
        return tuple(to_fraction(v) for v in values)
    if kind == 2:
        return tuple(float(v) if _kind(v) == 2 else _fraction_to_float(to_fraction(v)) for v in values)
    if kind == 3:
        import mpmath

        out = []
        for v in values:
            if _kind(v) == 3:
                out.append(v)
            else:
                q = to_fraction(v)
                out.append(mpmath.mpf(q.numerator) / q.denominator)
        return tuple(out)
    from flint import arb

    from .arith.ball import _ArbPrec

    p = prec if prec is not None else 1024
    out = []
    with _ArbPrec(p):
        for v in values:
            if _kind(v) == 4:
                out.append(v)
            else:
                q = to_fraction(v)
                out.append(arb(q.numerator) / q.denominator)  # an enclosure of q at p bits
    return tuple(out)


def _fraction_to_float(q: Fraction) -> float:
    try:
        return float(q)
    except OverflowError:
        return math.inf if q > 0 else -math.inf


def _op(a, b, prec, f):
    import contextlib

    x, y = coerce(a, b, prec=prec)
    if _kind(x) == 4:
        from .arith.ball import _ArbPrec

        ctx = _ArbPrec(prec if prec is not None else 1024)
    else:
        ctx = contextlib.nullcontext()
    with ctx:
        return f(x, y)


def mul(a, b, *, prec: int | None = None):
    """``a * b`` after :func:`coerce` (``mul(Fraction(1, 3), arb(2))`` is an arb ball containing 2/3; ball
    operations run at ``prec`` bits, default 1024)."""
    return _op(a, b, prec, lambda x, y: x * y)


def add(a, b, *, prec: int | None = None):
    """``a + b`` after :func:`coerce`."""
    return _op(a, b, prec, lambda x, y: x + y)


def sub(a, b, *, prec: int | None = None):
    """``a − b`` after :func:`coerce`."""
    return _op(a, b, prec, lambda x, y: x - y)


def div(a, b, *, prec: int | None = None):
    """``a / b`` after :func:`coerce` (a ball containing 0 as divisor gives a non-finite ball, never a wrong one)."""
    def f(x, y):
        if _kind(y) != 4 and y == 0:
            raise InputError("division by an exact zero")
        return x / y

    return _op(a, b, prec, f)
