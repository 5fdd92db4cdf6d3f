"""The certified-decision kernel: every comparison that leads to PROVED or REFUTED goes through here.

The rule (stated in ``docs/soundness.md``):

* a value taking part in a certified decision is an **exact rational** (``int``, ``Fraction``,
  python-flint ``fmpz``/``fmpq``, sympy ``Rational``), an **enclosure** (a python-flint ``arb`` ball, a float64
  ball of ``"ball64"`` (a 0-d :class:`~verify.arith.ball64.B64`),
  an exact real-root isolating interval, or an explicit rational interval ``(lo, hi)``), or an **exact
  algebraic number** (a sympy expression built from rationals, radicals and ``CRootOf``);
* it is turned into exact rational endpoints ``[lo, hi]`` (:func:`bounds`) and compared there —
  never with ``float()``, ``nsimplify``, a tolerance, or python-flint's global precision;
* floats and mpmath numbers are *refused* (:class:`~verify.errors.UncertifiedValueError`): a
  computed float is an approximation, not an enclosure. User inputs given as floats are exact
  binary rationals — convert them with :func:`verify.numbers.to_fraction` first, deliberately.

>>> from fractions import Fraction
>>> from flint import arb
>>> compare(arb(1) / 3, Fraction(1, 3))   # the ball contains 1/3: undecided
>>> compare(Fraction(1, 3), Fraction(1, 2))
-1
>>> certainly_lt(Fraction(1, 3), Fraction(1, 2))
True
>>> hull_max([(Fraction(0), Fraction(2)), (Fraction(1), Fraction(3))])
(Fraction(1, 1), Fraction(3, 1))
"""

from __future__ import annotations

import numbers
from fractions import Fraction
from typing import Any

from ..errors import InputError, UncertifiedValueError

Interval = tuple[Fraction, Fraction]

#: precision ladder (bits) used to separate an exact algebraic number from 0
ALGEBRAIC_PRECISIONS = (64, 128, 256, 512, 1024, 2048, 4096)


def _flint_name(x) -> str | None:
    t = type(x)
    return t.__name__ if t.__module__.startswith("flint") else None


def _rational_or_none(x) -> Fraction | None:
    if isinstance(x, Fraction):
        return x
    if isinstance(x, bool):
        return Fraction(int(x))
    if isinstance(x, numbers.Integral):
        return Fraction(int(x))
    name = _flint_name(x)
    if name == "fmpq":
        return Fraction(int(x.p), int(x.q))
    if name == "fmpz":
        return Fraction(int(x))
    if type(x).__module__.startswith("sympy"):
        import sympy as sp

        if isinstance(x, sp.Rational):
            return Fraction(int(x.p), int(x.q))
    return None


def _arb_bounds(x) -> Interval:
    from .ball import ball_bounds

    if not x.is_finite():
        raise UncertifiedValueError(f"the ball {x} is not finite: it encloses nothing useful")
    return ball_bounds(x)


def bounds(x: Any) -> Interval:
    """Exact rational endpoints ``(lo, hi)`` of a certified value (see the module docstring).

    Accepts exact rationals, ``arb`` balls, objects with exact ``lo``/``hi`` attributes (real-root
    isolating intervals), 2-tuples of exact rationals, and sympy algebraic numbers (enclosed by
    :func:`algebraic_bounds`). Raises :class:`UncertifiedValueError` for floats, mpmath numbers,
    non-finite balls and anything else.
    """
    q = _rational_or_none(x)
    if q is not None:
        return q, q
    if _flint_name(x) == "arb":
        return _arb_bounds(x)
    exact_bounds = getattr(type(x), "exact_bounds", None)
    if exact_bounds is not None:  # a float64 ball (verify.arith.ball64.B64), a scalar
        return exact_bounds(x)
    if isinstance(x, tuple) and len(x) == 2:
        lo, hi = _rational_or_none(x[0]), _rational_or_none(x[1])
        if lo is None or hi is None:
            lo, hi = bounds(x[0])[0], bounds(x[1])[1]
        if lo > hi:
            raise UncertifiedValueError(f"the interval [{lo}, {hi}] is empty (lo > hi)")
        return lo, hi
    lo, hi = getattr(x, "lo", None), getattr(x, "hi", None)
    if lo is not None and hi is not None and not isinstance(x, float):
        lo_q, hi_q = _rational_or_none(lo), _rational_or_none(hi)
        if lo_q is not None and hi_q is not None:
            return lo_q, hi_q
    if type(x).__module__.startswith("sympy"):
        return algebraic_bounds(x)
    raise UncertifiedValueError(
        f"a certified decision needs an exact rational, a ball or an exact algebraic number; got "
        f"{type(x).__name__} {x!r}. A float or mpmath value is an approximation, not an enclosure")


def compare(x, y) -> int | None:
    """Certified comparison: −1 if x < y, +1 if x > y, 0 if both are the same exact number, None if
    the enclosures overlap (undecided). Exact algebraic numbers are compared exactly (never None)."""
    if _is_algebraic(x) or _is_algebraic(y):

        return algebraic_sign(_as_sympy(x) - _as_sympy(y))
    xl, xh = bounds(x)
    yl, yh = bounds(y)
    if xh < yl:
        return -1
    if xl > yh:
        return 1
    if xl == xh == yl == yh:
        return 0
    return None


def sign(x) -> int | None:
    """Certified sign of ``x``: −1, 0 (exactly zero), +1, or None (the enclosure contains 0)."""
    return compare(x, 0)


def certainly_lt(x, y) -> bool:
    return compare(x, y) == -1


def certainly_gt(x, y) -> bool:
    return compare(x, y) == 1


def certainly_le(x, y) -> bool:
    c = compare(x, y)
    if c is not None:
        return c <= 0
    return bounds(x)[1] <= bounds(y)[0]


def certainly_ge(x, y) -> bool:
    return certainly_le(y, x)


def decide(x, relation: str, y) -> bool | None:
    """Is ``x relation y`` (``relation`` in ``<, <=, >, >=, ==, !=``) certainly true (True), certainly false
    (False), or undecided by these enclosures (None)?"""
    if relation == "<":
        return True if certainly_lt(x, y) else (False if certainly_ge(x, y) else None)
    if relation == "<=":
        return True if certainly_le(x, y) else (False if certainly_gt(x, y) else None)
    if relation == ">":
        return decide(y, "<", x)
    if relation == ">=":
        return decide(y, "<=", x)
    if relation in ("==", "!="):
        c = compare(x, y)
        eq = None if c is None else (c == 0)
        if eq is None and (certainly_lt(x, y) or certainly_gt(x, y)):
            eq = False
        return eq if (relation == "==" or eq is None) else (not eq)
    raise InputError(f"unknown relation {relation!r}; use one of <, <=, >, >=, ==, !=")


def hull_max(values) -> Interval:
    """Enclosure of max(values) from their enclosures: [max of lower ends, max of upper ends].

    This is how λ_max is bounded from eigenvalue enclosures — never by picking "the top ball"."""
    bs = [bounds(v) for v in values]
    if not bs:
        raise UncertifiedValueError("the maximum of an empty collection has no enclosure")
    return max(b[0] for b in bs), max(b[1] for b in bs)


def hull_min(values) -> Interval:
    """Enclosure of min(values): [min of lower ends, min of upper ends]."""
    bs = [bounds(v) for v in values]
    if not bs:
        raise UncertifiedValueError("the minimum of an empty collection has no enclosure")
    return min(b[0] for b in bs), min(b[1] for b in bs)


def abs_bounds(x) -> Interval:
    """Enclosure of ``|x|``, the absolute value of the ball x."""
    lo, hi = bounds(x)
    if lo >= 0:
        return lo, hi
    if hi <= 0:
        return -hi, -lo
    return Fraction(0), max(-lo, hi)


def to_arb(x, prec: int = 128):
    """An ``arb`` ball enclosing the certified value ``x`` (exactly its rational hull, rounded outward)."""
    from flint import arb, fmpq

    from ..validate import precision
    from .ball import _ArbPrec

    prec = precision(prec)
    lo, hi = bounds(x)
    with _ArbPrec(prec):
        if lo == hi:
            return arb(fmpq(lo.numerator, lo.denominator))
        return arb(fmpq(lo.numerator, lo.denominator)).union(arb(fmpq(hi.numerator, hi.denominator)))


def rational_below(x, bits: int = 30) -> Fraction:
    """A short dyadic rational q with 0 < q < x (about ``bits`` significant bits), for an exact x > 0.

    Used to pick a step size certainly below a certified bound without ever rounding it to 0 (as
    ``limit_denominator`` does for tiny bounds).

    >>> rational_below(Fraction(1, 3)) < Fraction(1, 3), rational_below(Fraction(1, 10**40)) > 0
    (True, True)
    """
    from ..validate import integer

    bits = integer(bits, "bits", minimum=2, maximum=4096)
    lo, _ = bounds(x)
    if lo <= 0:
        raise UncertifiedValueError(f"rational_below needs a certified positive bound, got lower end {lo}")
    k = max(0, bits + 1 - (lo.numerator.bit_length() - lo.denominator.bit_length()))
    n = (lo.numerator * 2**k) // lo.denominator - 1
    while n <= 0:  # only for bits < 2; keep the loop bounded and the result positive
        k += 1
        n = (lo.numerator * 2**k) // lo.denominator - 1
    return Fraction(n, 2**k)


# ------------------------------------------------------------------------------ algebraic numbers
def _is_algebraic(x) -> bool:
    if not type(x).__module__.startswith("sympy"):
        return False
    import sympy as sp

    if isinstance(x, sp.Expr) and x.has(sp.Float):
        raise UncertifiedValueError(f"{x} contains a sympy Float: a rounded number, not an exact algebraic one")
    return isinstance(x, sp.Expr) and not isinstance(x, sp.Rational)


def _as_sympy(x):
    import sympy as sp

    q = _rational_or_none(x)
    if q is not None:
        return sp.Rational(q.numerator, q.denominator)
    if _is_algebraic(x):
        return x
    lo, hi = bounds(x)
    if lo != hi:
        raise UncertifiedValueError("an enclosure of positive width cannot be compared exactly with an algebraic "
                                    "number; compare the enclosures instead")
    return sp.Rational(lo.numerator, lo.denominator)


def _rootof_interval(r, eps: Fraction) -> Interval:
    """Exact isolating interval of the real ``CRootOf`` ``r`` of width ≤ eps."""
    import sympy as sp

    if not r.is_real:
        raise UncertifiedValueError(f"{r} is not real")
    ivs = r.poly.intervals(eps=sp.Rational(eps.numerator, eps.denominator))
    # CRootOf numbers real roots first, in increasing order, counting multiplicity like intervals() does
    flat = []
    for (a, b), m in ivs:
        flat.extend([(a, b)] * int(m))
    a, b = flat[int(r.index)]
    return Fraction(int(a.p), int(a.q)), Fraction(int(b.p), int(b.q))


def _arb_eval(e, prec: int):
    """A rigorous ``arb`` enclosure of a real sympy algebraic expression (rationals, +, ×, integer and
    rational powers of positive bases, real CRootOf, pi, E). Raises UncertifiedValueError otherwise."""
    import sympy as sp
    from flint import arb, fmpq

    if isinstance(e, sp.Rational):
        return arb(fmpq(int(e.p), int(e.q)))
    if isinstance(e, sp.Add):
        out = arb(0)
        for a in e.args:
            out += _arb_eval(a, prec)
        return out
    if isinstance(e, sp.Mul):
        out = arb(1)
        for a in e.args:
            out *= _arb_eval(a, prec)
        return out
    if isinstance(e, sp.Pow):
        base, ex = e.args
        b = _arb_eval(base, prec)
        if isinstance(ex, sp.Integer):
            n = int(ex)
            from .ball import int_power

            return int_power(b, n) if n >= 0 else arb(1) / int_power(b, -n)
        if isinstance(ex, sp.Rational):
            if not b > 0:
                raise UncertifiedValueError(f"{e}: a rational power of a base not certified positive")
            return b ** fmpq(int(ex.p), int(ex.q))
    if isinstance(e, sp.CRootOf) or type(e).__name__ == "ComplexRootOf":
        lo, hi = _rootof_interval(e, Fraction(1, 2 ** (prec + 8)))
        return arb(fmpq(lo.numerator, lo.denominator)).union(arb(fmpq(hi.numerator, hi.denominator)))
    if e is sp.pi:
        return arb.pi()
    if e is sp.E:
        return arb(1).exp()
    raise UncertifiedValueError(f"cannot enclose {e} rigorously (unsupported form {type(e).__name__})")


def algebraic_bounds(e, prec: int = 128) -> Interval:
    """Exact rational endpoints of a rigorous enclosure of the real algebraic number ``e``."""
    from .ball import _ArbPrec

    with _ArbPrec(prec):
        return _arb_bounds(_arb_eval(e, prec))


def algebraic_sign(e) -> int:
    """The exact sign of a real algebraic number given as a sympy expression.

    If the minimal polynomial of ``e`` is x, ``e`` = 0. Otherwise ``e`` ≠ 0 and a rigorous Arb
    enclosure at rising precision separates it from 0. Raises :class:`UncertifiedValueError` if the
    form is unsupported or the precision ladder is exhausted (so the caller reports INCONCLUSIVE).
    """
    import sympy as sp

    try:
        e = sp.sympify(e, strict=True)
    except (sp.SympifyError, TypeError):
        raise UncertifiedValueError(f"{e!r} is not an exact algebraic number") from None
    if isinstance(e, sp.Rational):
        return int(e.p > 0) - int(e.p < 0)
    if not isinstance(e, sp.Expr) or e.has(sp.Float) or not e.is_number or e.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        raise UncertifiedValueError(f"{e} is not an exact real algebraic number (floats, infinities and symbols "
                                    "cannot be compared exactly)")
    # exact zero test first: refinement alone can never prove an equality
    z = sp.Dummy("z")
    try:
        mp = sp.minimal_polynomial(e, z)
    except (NotImplementedError, sp.polys.polyerrors.PolynomialError, sp.polys.polyerrors.NotAlgebraic,
            ValueError, TypeError) as exc:
        raise UncertifiedValueError(f"no exact minimal polynomial for {e}: {exc}") from None
    if sp.Poly(mp, z).as_expr() == z:
        return 0
    for prec in ALGEBRAIC_PRECISIONS:
        lo, hi = algebraic_bounds(e, prec)
        if lo > 0:
            return 1
        if hi < 0:
            return -1
    raise UncertifiedValueError(f"could not separate {e} from 0 at {ALGEBRAIC_PRECISIONS[-1]} bits")


__all__ = ["Interval", "bounds", "compare", "sign", "certainly_lt", "certainly_le", "certainly_gt", "certainly_ge",
           "decide", "hull_max", "hull_min", "abs_bounds", "to_arb", "rational_below",
           "algebraic_bounds", "algebraic_sign"]
