"""``"taylor"``: truncated power series in t with Arb-ball coefficients (python-flint's ``arb_series``), as an
arithmetic of the toolkit's protocol (:class:`verify.arith.base.Arithmetic`), so that the objectives' own gradient
code (the layer-wise backprop of :mod:`verify.models.layerwise`, the compiled sympy programs of
:mod:`verify.arith.compile`) runs unchanged on series: Taylor-mode automatic differentiation.

A number is a :class:`Jet` — one ``arb_series`` a_0 + a_1 t + … + a_{n−1} t^{n−1} + O(t^n). Every operation of
FLINT's series arithmetic (+, −, ×, ÷, exp, log, sin, …) returns, coefficient by coefficient, Arb enclosures of the
Taylor coefficients of the exact result for every choice of input coefficients inside their balls, truncated at the
smaller of the operands' orders n and the global ``flint.ctx.cap`` (Griewank & Walther, *Evaluating Derivatives*,
2nd ed., SIAM 2008, ch. 13, for the Taylor-mode recurrences; Johansson, "Arb: efficient arbitrary-precision
midpoint-radius interval arithmetic", IEEE Trans. Comput. 66 (2017), for the enclosures).

Pitfall (issue 14): ``arb_series`` truncates silently at the *global* ``flint.ctx.cap`` (default 10). A series of
order 20 pushed through an operation under cap 10 comes back of order 10, and its coefficients 10…19 read as 0: a
Taylor method fed with them returns a box that excludes the solution. Here

* :meth:`TaylorArithmetic.context` sets ``ctx.prec`` *and* ``ctx.cap`` for a block and restores both after
  (:class:`SeriesContext`);
* constants are series of order :data:`CONST_ORDER` (exact to every order), so only the variables' orders and the
  cap truncate;
* callers check the order of every result (:func:`series_order`): a result of lower order than its inputs means a
  truncation happened, and :func:`verify.convergence.validated_flow` raises :class:`~verify.errors.InternalError`
  instead of using it.

Piece selection. Comparisons of a Jet with a number compare its constant term a_0 with certainty (``x < b`` only if
every point of the ball a_0 is below b). A Taylor expansion of a piecewise function is valid only where the function
is analytic, so :meth:`TaylorArithmetic.side` raises :class:`~verify.errors.RegionBoundaryError` when a_0 may meet a
breakpoint (a straddling ball or an exact tie) — never the union of the pieces that ball arithmetic uses for values.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from flint import arb, arb_series, ctx, fmpq

from ..errors import ArithmeticNotSupportedError, InputError, RegionBoundaryError
from .base import Arithmetic

#: the order given to constants: they are exact to every order, so only variables and ctx.cap truncate
CONST_ORDER = 1 << 30
#: the largest series order (cap) this module sets
MAX_CAP = 4096


class SeriesContext:
    """Set ``flint.ctx.prec`` (bits) and ``flint.ctx.cap`` (series order) — and ``ctx.threads`` if given — for a
    block; restore them after, also when the block raises. Re-entrant (nested blocks restore what they found).
    (The thread count never changes a result's validity; one thread is faster for the small matrix products of the
    taped Taylor sweeps, see :mod:`verify.arith.relaxed`.)"""

    __slots__ = ("prec", "cap", "threads", "saved")

    def __init__(self, prec: int, cap: int, threads: int | None = None):
        self.prec, self.cap, self.threads = int(prec), int(cap), threads
        self.saved = None

    def __enter__(self):
        self.saved = (ctx.prec, ctx.cap, ctx.threads)
        if ctx.prec != self.prec:
            ctx.prec = self.prec
        if ctx.cap != self.cap:
            ctx.cap = self.cap
        if self.threads is not None and ctx.threads != self.threads:
            ctx.threads = self.threads
        return self

    def __exit__(self, *exc):
        prec, cap, threads = self.saved
        if ctx.prec != prec:
            ctx.prec = prec
        if ctx.cap != cap:
            ctx.cap = cap
        if ctx.threads != threads:
            ctx.threads = threads
        return False


def _coerce(other):
    """The operand of a series operation: the series of a Jet, an arb / int as it is (exact, or an enclosure),
    a Fraction as the ball of fmpq at the working precision; anything else is not ours."""
    t = type(other)
    if t is Jet:
        return other.s
    if t is arb or t is int:
        return other
    if t is Fraction:
        return arb(fmpq(other.numerator, other.denominator))
    if t is fmpq:
        return arb(other)
    return None


class CertainOrder:
    """Orderings of Taylor numbers by their constant terms, true only when certain: ``x < y`` iff the enclosure of
    the difference of constant terms (``self._diff(o)``, an ``arb``) lies below 0 (used by piece selection; the
    tape numbers of :mod:`verify.arith.relaxed` and the series here share it)."""

    __slots__ = ()

    def __lt__(self, o):
        return bool(self._diff(o).upper() < 0)

    def __le__(self, o):
        return bool(self._diff(o).upper() <= 0)

    def __gt__(self, o):
        return bool(self._diff(o).lower() > 0)

    def __ge__(self, o):
        return bool(self._diff(o).lower() >= 0)


class Jet(CertainOrder):
    """A truncated power series with Arb coefficients (wraps one ``arb_series``; immutable).

    The wrapper exists because numpy treats an ``arb_series`` as a sequence (it has ``len`` and indexing) and
    would unpack it into an extra array axis, and because piece selection needs comparisons (of the constant
    term, with certainty)."""

    __slots__ = ("s",)

    def __init__(self, s: arb_series):
        self.s = s

    # -- arithmetic --------------------------------------------------------------------------------
    def __add__(self, o):
        if type(o) is Jet:  # the common case first (one type test, no call)
            return Jet(self.s + o.s)
        v = _coerce(o)
        return NotImplemented if v is None else Jet(self.s + v)

    def __radd__(self, o):
        v = _coerce(o)
        return NotImplemented if v is None else Jet(v + self.s)

    def __sub__(self, o):
        if type(o) is Jet:  # the common case first (one type test, no call)
            return Jet(self.s - o.s)
        v = _coerce(o)
        return NotImplemented if v is None else Jet(self.s - v)

    def __rsub__(self, o):
        v = _coerce(o)
        return NotImplemented if v is None else Jet(v - self.s)

    def __mul__(self, o):
        if type(o) is Jet:  # the common case first (one type test, no call)
            return Jet(self.s * o.s)
        v = _coerce(o)
        return NotImplemented if v is None else Jet(self.s * v)

    def __rmul__(self, o):
        v = _coerce(o)
        return NotImplemented if v is None else Jet(v * self.s)

    def __truediv__(self, o):
        v = _coerce(o)
        return NotImplemented if v is None else Jet(self.s / v)

    def __rtruediv__(self, o):
        v = _coerce(o)
        if v is None:
            return NotImplemented
        if type(v) is not arb_series:
            v = arb_series([v], prec=CONST_ORDER)
        return Jet(v / self.s)

    def __neg__(self):
        return Jet(-self.s)

    def __pos__(self):
        return self

    def __pow__(self, n):
        if isinstance(n, bool) or not isinstance(n, int):
            return NotImplemented
        if n < 0:
            return 1 / self.__pow__(-n)
        return Jet(_power(self.s, n))

    # -- the constant term, compared with certainty ------------------------------------------------
    def const_term(self) -> arb:
        """The jet's value: its Taylor coefficient of order 0."""
        return self.s[0]

    def _diff(self, o) -> arb:
        v = _coerce(o)
        if v is None:
            raise InputError(f"cannot compare a series with a {type(o).__name__}")
        return self.s[0] - (v[0] if type(v) is arb_series else v)

    def __eq__(self, o):  # certainly equal constant terms (an exact zero difference)
        if _coerce(o) is None:
            return NotImplemented
        d = self._diff(o)
        return bool(d.is_exact() and d.is_zero())

    __hash__ = None

    def __bool__(self):
        raise ArithmeticNotSupportedError("the truth value of a power series is not defined; compare its constant "
                                          "term instead")

    # -- reading -------------------------------------------------------------------------------------
    @property
    def order(self) -> int:
        """n: the series is known up to t^{n−1}."""
        return self.s.prec

    def coeff(self, k: int) -> arb:
        """The Taylor coefficient of order k (an Arb ball)."""
        return self.s[k]

    def is_finite(self) -> bool:
        """Every coefficient of the jet is a finite ball."""
        return all(c.is_finite() for c in self.s.coeffs())

    def __repr__(self):
        return f"Jet({self.s})"


def _power(s: arb_series, n: int) -> arb_series:
    out = None
    base = s
    while n:
        if n & 1:
            out = base if out is None else out * base
        n >>= 1
        if n:
            base = base * base
    return arb_series([arb(1)], prec=CONST_ORDER) if out is None else out


def _all_constant(a: np.ndarray) -> bool:
    for v in a.flat:
        if type(v) is not Jet or v.s.prec < CONST_ORDER:
            return False
    return True


def _const_left(a: np.ndarray, b: np.ndarray, cap: int) -> np.ndarray:
    """a @ b with ``a`` (m × k) constant Jets and ``b`` (k × n) Jets (see :meth:`TaylorArithmetic.matmul`)."""
    from flint import arb_mat

    m, k = a.shape
    n = b.shape[1]
    series = [v.s if type(v) is Jet else arb_series([v], prec=CONST_ORDER) for v in b.flat]
    orders = [min(s.prec, cap) for s in series]
    coeffs = [s.coeffs()[:o] for s, o in zip(series, orders)]
    length = max(1, max(map(len, coeffs)))
    col_order = [min(orders[j::n]) for j in range(n)]  # the order of column j's sums of products
    A0 = arb_mat(m, k, [v.s[0] for v in a.flat])
    zero = arb(0)
    prods = []
    for c in range(length):
        Bc = arb_mat(k, n, [cs[c] if c < len(cs) else zero for cs in coeffs])
        prods.append((A0 * Bc).entries())
    out = np.empty(m * n, dtype=object)
    for e, col in enumerate(zip(*prods)):
        o = col_order[e % n]
        out[e] = Jet(arb_series(list(col[:o]), prec=o))
    return out.reshape(m, n)


def series_order(x) -> int:
    """The order n of a Jet (a constant, e.g. a gradient entry that does not depend on θ, has order
    :data:`CONST_ORDER`)."""
    return x.s.prec if type(x) is Jet else CONST_ORDER


def variable(coeffs, order: int) -> Jet:
    """The Jet c_0 + c_1 t + … + O(t^order) (``coeffs`` Arb balls; missing ones are 0)."""
    return Jet(arb_series(list(coeffs), prec=order))


# -- elementary functions on series (each an Arb-enclosing FLINT series routine or an exact identity) ----------
def _tanh(s):
    # tanh(s) = (1 − e)/(1 + e), e = exp(−2s) for a_0 ≥ 0 (and odd symmetry otherwise): e stays ≤ 1 at t = 0
    if s[0].upper() < 0:
        return -_tanh(-s)
    e = (s * (-2)).exp()
    return (1 - e) / (1 + e)


def _sinh(s):
    e = s.exp()
    return (e - 1 / e) / 2


def _cosh(s):
    e = s.exp()
    return (e + 1 / e) / 2


_FUNCS = {
    "exp": lambda s: s.exp(), "log": lambda s: s.log(), "sqrt": lambda s: s.sqrt(), "sin": lambda s: s.sin(),
    "cos": lambda s: s.cos(), "tan": lambda s: s.tan(), "atan": lambda s: s.atan(), "erf": lambda s: s.erf(),
    "tanh": _tanh, "sinh": _sinh, "cosh": _cosh, "log1p": lambda s: (1 + s).log(), "expm1": lambda s: s.exp() - 1,
}


class TaylorArithmetic(Arithmetic):
    """Truncated power series with Arb coefficients at ``prec`` bits, series orders up to ``cap``.

    Certified in the sense of the protocol: every coefficient is an enclosure. ``side`` and ``union`` refuse
    a breakpoint met by a constant term (:class:`~verify.errors.RegionBoundaryError`): see the module doc."""

    name = "taylor"
    certified = True
    dtype = object
    bytes_per_entry = 400

    def __init__(self, prec: int | None = None, cap: int = 32):
        super().__init__(prec)
        if self.prec is None:
            self.prec = 128
        if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= MAX_CAP:
            raise InputError(f"the series order cap must be an integer in [1, {MAX_CAP}], got {cap!r}")
        self.cap = cap
        self._consts: dict = {}

    def key(self):
        return (self.name, self.prec, self.cap)

    def __repr__(self):
        return f"<arithmetic taylor at {self.prec} bits, series order ≤ {self.cap}>"

    def context(self):
        return SeriesContext(self.prec, self.cap)

    def const(self, q: Fraction):
        c = self._consts.get(q)
        if c is None:
            with self.context():
                v = arb(q.numerator) if q.denominator == 1 else arb(fmpq(q.numerator, q.denominator))
                c = Jet(arb_series([v], prec=CONST_ORDER))
            self._consts[q] = c
        return c

    def _native(self, x) -> bool:
        return type(x) is Jet

    def from_input(self, x, what="value"):
        if type(x) is Jet:
            return x
        if type(x) is arb:
            if not x.is_finite():
                raise InputError(f"{what} is a non-finite ball {x}")
            return Jet(arb_series([x], prec=CONST_ORDER))
        return super().from_input(x, what)

    def func(self, name):
        if name == "pi":
            with self.context():
                return Jet(arb_series([arb.pi()], prec=CONST_ORDER))
        if name == "E":
            with self.context():
                return Jet(arb_series([arb(1).exp()], prec=CONST_ORDER))
        f = _FUNCS.get(name)
        if f is None:
            return super().func(name)

        def apply(x):
            if type(x) is not Jet:
                x = self.from_input(x)
            return Jet(f(x.s))

        return apply

    def pow_rational(self, x, q: Fraction):
        if type(x) is not Jet:
            x = self.from_input(x)
        if q.denominator == 1:
            n = q.numerator
            return Jet(_power(x.s, n)) if n >= 0 else 1 / Jet(_power(x.s, -n))
        # x**q = exp(q log x): the series exists where a_0 > 0 (a NaN coefficient otherwise, refused by callers)
        qa = arb(fmpq(q.numerator, q.denominator))
        return Jet((x.s.log() * qa).exp())

    def side(self, x, b: Fraction) -> int:
        d = (x.const_term() if type(x) is Jet else arb(x)) - arb(fmpq(b.numerator, b.denominator))
        if d.upper() < 0:
            return -1
        if d.lower() > 0:
            return 1
        raise RegionBoundaryError(
            f"the constant term {d + arb(fmpq(b.numerator, b.denominator))} of a power series is not separated from "
            f"the breakpoint {b}: a Taylor expansion is valid only where the function is analytic",
            breakpoint=b, enclosure=x)

    def union(self, a, b):
        raise RegionBoundaryError("a power series cannot take the union of two pieces of a piecewise function: "
                                  "the function is not analytic where they meet")

    def matmul(self, a, b):
        """a @ b for 2-D arrays of Jets. When one factor is constant (every entry of order :data:`CONST_ORDER`: the
        data matrix of a network), the product is taken coefficient by coefficient, C_k = A_0 · B_k (or A_k · B_0),
        with one ``arb_mat`` product per order k — the same sums of products as the series arithmetic, each an Arb
        enclosure — and entry (i, j) of the result gets the order of the series it would have had: the least order
        of the non-constant factors it sums over (and at most ``flint.ctx.cap``)."""
        if a.ndim == 2 and b.ndim == 2 and a.size and b.size:
            if _all_constant(a):
                return _const_left(a, b, ctx.cap)
            if _all_constant(b):
                return _const_left(b.T, a.T, ctx.cap).T
        return a @ b

    def bounds(self, x):
        raise ArithmeticNotSupportedError("a power series has no endpoints; read its coefficients (Jet.coeff)")

    def to_float(self, a):
        conv = lambda v: float(v.const_term().mid()) if type(v) is Jet else float(v)  # noqa: E731
        if np.ndim(a) == 0:
            return conv(a)
        return np.vectorize(conv, otypes=[float])(a) if a.size else np.zeros(a.shape)


__all__ = ["Jet", "TaylorArithmetic", "SeriesContext", "series_order", "variable", "CONST_ORDER"]
