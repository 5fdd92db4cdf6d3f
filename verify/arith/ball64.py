"""``"ball64"``: vectorised float64 midpoint-radius balls with rigorous rounding-error bounds.

A value is a :class:`B64` array: two float64 arrays ``mid`` and ``rad`` (``rad ≥ 0``, possibly ``+inf``) such
that the true value of every entry lies in ``[mid − rad, mid + rad]`` — for every point of the input balls.
It is the first rung of the precision ladder (see ``docs/arithmetics.md``): certified like ``"ball"`` (Arb), at
a few times the cost of plain float64 because every operation is a few numpy/BLAS calls on whole arrays.

Error model (numpy offers no directed rounding; IEEE 754 binary64, round to nearest, gradual underflow —
the latter two are probed by :func:`verify.arith.libm.check_fp_environment`). With u = 2⁻⁵³, η = 2⁻¹⁰⁷⁴:

* (E1) one operation: |fl(a∘b) − a∘b| ≤ u·|fl(a∘b)| + η/2, and for + and − the η/2 is not needed (a sum
  that lands among the subnormals is exact);
* (E2) a sum or dot product of n terms in any order (pairwise, blocked BLAS, with or without FMA):
  |fl(Σ) − Σ| ≤ γₙ Σ|terms| + n·η/2 with γₙ = nu/(1 − nu) (Higham, *Accuracy and Stability of Numerical
  Algorithms*, 2nd ed., §3.1 and §3.5; the n·η/2 is the underflow of the n products);
* (E3) outward rounding without ``nextafter`` (which is ~15× slower than a multiplication): for a float t
  within one ulp of an exact value e (in particular t = fl(e)), ``_dn(t) = fl(t − fl(fl(2u|t|) + η)) ≤ e`` and
  ``_upx(t) = fl(t + fl(fl(2u|t|) + η)) ≥ e`` — the subtracted amount is at least the gap from t to its
  neighbour (≤ 2u|t| for normal t, η for subnormal t), so the exact difference is at most pred(t) ≤ e and,
  rounding being monotone, so is its rounding (Rump, Zimmermann, Boldo and Melquiond, "Computing predecessor
  and successor in rounding to nearest", BIT 49 (2009) 419–431, use the same construction);
* (E4) :func:`_up` turns a computed nonnegative bound into a rigorous one (see its docstring).

Every operation's radius is derived from these in its docstring. Matrix products follow Rump, "Fast and
parallel interval arithmetic", BIT 39 (1999) 534–554: midpoint fl(mA·mB), radius bounding
|mA|·rB + rA·(|mB| + rB) + γₙ|mA||mB| + n·η/2, one BLAS product for the radius when either factor is exact.
Elementary functions use the a-priori ulp bounds of :mod:`verify.arith.libm` (numpy's measured error, with a
margin; checked against mpmath by ``tests/test_libm_bounds.py``) at the endpoints of each ball, using
monotonicity.

Anything not finite gives an infinite radius, never a wrong finite ball: elementwise radius formulas contain
u·|mid| (so a non-finite midpoint makes the radius non-finite; sums and matrix products reduce their midpoints
too), and one reduction per result (``np.add.reduce(rad)``) detects that case; only then is the array scanned
entry by entry. Two kinds are kept apart: a finite midpoint
with an infinite radius is an *unbounded real* (bounded functions of it are still enclosed: tanh of it is
[−1, 1]); a non-finite midpoint (NaN: an overflow, inf·0, a point outside a function's domain, a ball meeting a
pole) is a *NaN mark*, which every later operation keeps (its endpoints are NaN), so that a quantity that may not
be a real number is never enclosed by a finite ball. Certified decisions read exact rational endpoints
(:meth:`Ball64Arithmetic.bounds`), so a non-finite ball is refused there
(:class:`~verify.errors.UncertifiedValueError`). The floating-point environment is checked when the arithmetic's
context is entered (:func:`check_float_environment`: numpy and BLAS round to nearest with gradual underflow).

>>> from fractions import Fraction
>>> from verify.arith import get_arith
>>> a = get_arith("ball64")
>>> x = a.const(Fraction(1, 3))
>>> lo, hi = a.bounds(x)
>>> lo <= Fraction(1, 3) <= hi and hi - lo < Fraction(1, 10**15)
True
"""

from __future__ import annotations

import contextlib
import math
from fractions import Fraction
from numbers import Integral

import numpy as np

from ..errors import ArithmeticNotSupportedError, InputError, NonFiniteError, ShapeError, UncertifiedValueError
from .base import Arithmetic

U = 2.0**-53
ETA = 2.0**-1074
INF = np.inf
_TWO_U = 2.0 * U
_MAX_EXACT_INT = 2**53

# ---------------------------------------------------------------------- quiet floating-point errors
# Overflow and invalid operations are expected (they become infinite radii); numpy's ``errstate`` costs ~1.2 µs
# per use, a noticeable share of an operation on small arrays, so the same setting is made directly through
# numpy's context variable when this numpy exposes it (numpy ≥ 2), else through ``errstate``.
try:  # pragma: no cover - depends on the numpy version
    from numpy._core._ufunc_config import _extobj_contextvar as _ERR_VAR
    from numpy._core._ufunc_config import _make_extobj

    _QUIET = _make_extobj(all="ignore")

    def _quiet_on():
        return _ERR_VAR.set(_QUIET)

    def _quiet_off(token):
        _ERR_VAR.reset(token)
except Exception:  # noqa: BLE001 - any other numpy: the public context manager
    def _quiet_on():
        e = np.errstate(all="ignore")
        e.__enter__()
        return e

    def _quiet_off(token):
        token.__exit__(None, None, None)


def _up(x, k: int):
    """A rigorous upper bound, ``fl(fl(x + kη)·(1 + 2(k+2)u))``, of the exact value S of an expression computed
    as the nonnegative float (array) ``x``.

    Valid when S is built from nonnegative floats by additions and multiplications in which no computed
    *product* is a factor of another product (factors are inputs or computed sums: the η/2 of an underflowing
    product is then never multiplied by a large number), and k is at least the number d of roundings on any
    path from an input to the result and at least the number p of products. A sum of N terms in any order has
    d ≤ N − 1; a dot product of length N (any order, FMA or not) has d ≤ N and p = N, so it counts N (counting
    2N, as some callers do, is conservative). Proof: by (E1), z ≤ (1 + u)fl(z) for a sum and
    z ≤ (1 + u)fl(z) + η/2 for a product, so by induction S ≤ (1 + u)^d (x + p·η/2); if every computed value is
    subnormal (sums exact, each product off by ≤ η/2, relative errors of factors ≤ u·2⁻¹⁰²² = η/2 each)
    S ≤ x + (p + d)η/2. The result is ≥ (x + kη)(1 + 2(k+2)u)/(1 + u)² ≥ (1 + u)^k (x + kη) when it is normal
    (k < 10¹³), and ≥ x + kη when it is subnormal (then x + kη was added exactly and the multiplication by a
    factor > 1 cannot round below it): an upper bound of S in both cases. Overflow gives +inf (still an upper
    bound)."""
    return (x + k * ETA) * (1.0 + 2.0 * (k + 2) * U)


def _up_inplace(x, k: int):
    """:func:`_up` on a float array that the caller owns (no temporaries); returns it."""
    if type(x) is not np.ndarray or x.ndim == 0:
        return _up(x, k)
    x += k * ETA
    x *= 1.0 + 2.0 * (k + 2) * U
    return x


def _gamma(n: int) -> float:
    """A float upper bound of γₙ = nu/(1 − nu); refuses absurd sizes (nu ≥ 1/100)."""
    if n * U >= 0.01:
        raise InputError(f"a sum of {n} terms is beyond the float64 ball arithmetic's error analysis")
    return (n * U / (1.0 - n * U)) * (1.0 + 1e-6)


def _down_f(x):
    """The float below (np.nextafter): a lower bound of any exact value that rounds to nearest to x."""
    return np.nextafter(x, -INF)


def _up_f(x):
    return np.nextafter(x, INF)


def _dn(t):
    """(E3): a float ≤ every exact value e within one ulp of the finite float (array) t; ±inf stays, +inf → NaN."""
    s = np.abs(t)
    s *= _TWO_U
    s += ETA
    return t - s


def _upx(t):
    """(E3): a float ≥ every exact value e within one ulp of the finite float (array) t; −inf → NaN."""
    s = np.abs(t)
    s *= _TWO_U
    s += ETA
    return t + s


def _arr(x):
    """An ndarray for a numpy scalar (0-d results of numpy operations are scalars, which have no item assignment)."""
    return x if type(x) is np.ndarray else np.asarray(x, dtype=float)


def _mk(m, r) -> B64:
    """A B64 from two float64 arrays of one shape, without checks (internal results)."""
    b = object.__new__(B64)
    b.mid = m if type(m) is np.ndarray else np.asarray(m, dtype=float)
    b.rad = r if type(r) is np.ndarray else np.asarray(r, dtype=float)
    return b


def _finish(m, r, check_mid: bool = False) -> B64:
    """The ball array (m, r), with +inf radii wherever the midpoint or the radius is not finite (NaN included).

    One reduction decides the common case: Σ r is finite iff every r is (a sum of finite floats may overflow to
    inf, which only sends us to the exact scan below; an inf or NaN term always makes the sum inf or NaN).
    Callers whose radius formula contains u·|m| get non-finite midpoints covered by this; the others pass
    ``check_mid``."""
    m, r = _arr(m), _arr(r)
    s = float(np.add.reduce(r, axis=None))
    if check_mid:
        s += 0.0 * float(np.add.reduce(m, axis=None))  # Python floats: inf·0 = NaN without a warning
    if math.isfinite(s):
        return _mk(m, r)
    ok = np.isfinite(m) & np.isfinite(r)
    if not ok.all():
        r = np.where(ok, r, INF)
    return _mk(m, r)


def _clean(m, r):
    """(m, r) with +inf radii where the midpoint or the radius is not finite (NaN radii too)."""
    b = _finish(m, r, check_mid=True)
    return b.mid, b.rad


def _from_interval(lo, hi):
    """The ball [mid ± rad] enclosing [lo, hi] (float arrays). An infinite end → midpoint 0 and an infinite radius
    (an unbounded real); a NaN end (a NaN mark: not real, undefined, unknown) or lo > hi (an empty interval: some
    bound was wrong) → midpoint NaN and an infinite radius, which stays NaN through every later operation.

    mid = fl(lo/2 + hi/2) is within u|mid| + η of (lo + hi)/2 (each halving of a subnormal is off by ≤ η/2),
    and (hi − lo)/2 ≤ d(1 + u) + η with d = fl(hi/2 − lo/2) (no overflow); so rad = _up(d + u|mid|, 6) ≥
    max(hi − mid, mid − lo) by (E4) (the η/2 terms add to ≤ 3η, kept by the 6η)."""
    lo, hi = _arr(lo), _arr(hi)
    tok = _quiet_on()
    try:
        lh, hh = lo * 0.5, hi * 0.5
        m = lh + hh
        d = hh - lh  # (hi − lo)/2 without overflow
        r = np.abs(m)
        r *= U
        r += d
        r = _up_inplace(r, 6)
        s = np.add.reduce(r, axis=None)
        if math.isfinite(s) and not (np.minimum.reduce(d, axis=None) < 0):
            return _mk(_arr(m), _arr(r))
        bad = ~(np.isfinite(r) & np.isfinite(m) & (d >= 0))
        if bad.any():
            nan = np.isnan(lo) | np.isnan(hi) | (lo > hi)
            m = np.where(nan, np.nan, np.where(bad & ~np.isfinite(m), 0.0, m))
            r = np.where(bad, INF, r)
        return _mk(_arr(m), _arr(r))
    finally:
        _quiet_off(tok)


def _point_or_mark(v):
    v = _arr(v)
    return _mk(v, np.where(np.isfinite(v), 0.0, INF))


def _from_nonneg_interval(lo, hi):
    """:func:`_from_interval` for 0 ≤ lo ≤ hi, keeping the ball inside [0, ∞): where [mid ± rad] would reach below 0,
    the ball [0, 2·mid] = [mid ± mid] is used instead (its lower end is exactly 0, and the exact float comparison
    mid + mid ≥ hi shows that it contains [lo, hi]), so functions defined on [0, ∞) stay defined on it."""
    b = _from_interval(lo, hi)
    m, r = b.mid, b.rad
    with np.errstate(all="ignore"):
        fix = (r > m) & (m + m >= hi)
    if fix.any():
        b = _mk(m, _arr(np.where(fix, m, r)))
    return b


def _binary(op):
    """The forward and reflected special methods of a binary operation on float64 balls: the other operand is
    coerced to a ball (a real number, a numpy real array, a ball) or refused with :class:`InputError`."""

    def forward(self, other):
        o = _coerce(other)
        return _refuse(other) if o is None else op(self, o)

    def reflected(self, other):
        o = _coerce(other)
        return _refuse(other) if o is None else op(o, self)

    return forward, reflected


class B64:
    """An array of float64 balls: ``mid`` and ``rad`` float64 arrays of one shape (a 0-d array is a scalar).

    Supports the numpy operations the toolkit's models use (``+ − * / @ **``, indexing and in-place item
    assignment, reshape, transpose, ``np.concatenate``, ``np.stack``, ``np.add.at`` …); every arithmetic result
    is a rigorous enclosure (module docstring). As with numpy arrays, indexing by slices and reshapes are views
    (mid and rad both), arithmetic results are new arrays. Comparisons are not defined: read
    :meth:`Ball64Arithmetic.bounds` (exact rational endpoints) instead.

    ``B64(mid, rad)`` checks its radii: a negative radius raises :class:`~verify.errors.InputError`, a NaN radius
    becomes +inf."""

    __slots__ = ("mid", "rad")
    __array_priority__ = 1000

    def __init__(self, mid, rad=None):
        mid = np.asarray(mid, dtype=float)
        if rad is None:
            rad = np.zeros(mid.shape)
        else:
            rad = np.asarray(rad, dtype=float)
            if rad.shape != mid.shape:
                try:
                    rad = np.broadcast_to(rad, mid.shape).copy()
                except ValueError:
                    raise ShapeError(f"B64: the radii have shape {rad.shape}, the midpoints {mid.shape}") from None
            if rad.size:
                low = np.minimum.reduce(rad, axis=None)
                if not low >= 0:
                    if np.any(rad < 0):
                        raise InputError("B64: a radius is negative; radii are ≥ 0 (or +inf)")
                    rad = np.where(np.isnan(rad), INF, rad)
        self.mid, self.rad = mid, rad

    # ------------------------------------------------------------------ array protocol
    @property
    def shape(self):
        return self.mid.shape

    @property
    def ndim(self):
        return self.mid.ndim

    @property
    def size(self):
        return self.mid.size

    dtype = np.dtype(object)  # not a float array: code testing ``dtype is not object`` takes the generic path

    def __len__(self):
        return len(self.mid)

    def __iter__(self):
        for i in range(len(self.mid)):
            yield self[i]

    def __repr__(self):
        if self.ndim == 0:
            return f"[{float(self.mid)!r} +/- {float(self.rad):.3g}]"
        return f"B64(mid={self.mid!r}, rad={self.rad!r})"

    __str__ = __repr__

    def __getitem__(self, key):
        return _mk(self.mid[key], self.rad[key])

    def __setitem__(self, key, value):
        """In place, numpy semantics (broadcasting, fancy and boolean keys; with repeated indices the last
        assignment wins, the same one for mid and rad)."""
        v = value if type(value) is B64 else as_b64(value)
        self.mid[key] = v.mid
        self.rad[key] = v.rad

    def reshape(self, *shape):
        return _mk(self.mid.reshape(*shape), self.rad.reshape(*shape))

    def transpose(self, *axes):
        return _mk(self.mid.transpose(*axes), self.rad.transpose(*axes))

    @property
    def T(self):
        return _mk(self.mid.T, self.rad.T)

    def copy(self):
        return _mk(self.mid.copy(), self.rad.copy())

    def ravel(self):
        return _mk(self.mid.ravel(), self.rad.ravel())

    def flatten(self):
        return _mk(self.mid.flatten(), self.rad.flatten())

    def swapaxes(self, a, b):
        return _mk(self.mid.swapaxes(a, b), self.rad.swapaxes(a, b))

    def tolist(self):
        if self.ndim == 0:
            return self
        return [v.tolist() for v in self]

    def fill(self, value):
        v = as_b64(value)
        if v.ndim:
            raise ShapeError(f"fill() takes one ball, got an array of shape {v.shape}")
        self.mid.fill(float(v.mid))
        self.rad.fill(float(v.rad))

    def sum(self, axis=None, keepdims=False):
        return b64_sum(self, axis=axis, keepdims=keepdims)

    # ------------------------------------------------------------------ arithmetic
    __add__, __radd__ = _binary(lambda a, b: b64_add(a, b))
    __sub__, __rsub__ = _binary(lambda a, b: b64_sub(a, b))

    def __neg__(self):
        return _mk(-self.mid, self.rad.copy())

    def __pos__(self):
        return self.copy()

    __mul__, __rmul__ = _binary(lambda a, b: b64_mul(a, b))
    __truediv__, __rtruediv__ = _binary(lambda a, b: b64_div(a, b))

    def __pow__(self, n):
        if isinstance(n, float) and n.is_integer() and abs(n) < 2**62:
            n = int(n)
        if isinstance(n, Integral) and not isinstance(n, bool):
            n = int(n)
            return b64_ipow(self, n) if n >= 0 else b64_inv(b64_ipow(self, -n))
        if isinstance(n, Fraction):
            return _ARITH.pow_rational(self, n)
        if isinstance(n, float | np.floating) and np.isfinite(n):
            return _ARITH.pow_rational(self, Fraction(float(n)))  # a float exponent is its exact binary value
        raise InputError(f"a float64 ball cannot be raised to the power {n!r}: use an integer, a Fraction or a float")

    def __abs__(self):
        lo, hi = endpoints(self)
        mig = np.where(lo > 0, lo, np.where(hi < 0, -hi, 0.0))
        mag = np.maximum(-lo, hi)
        return _from_nonneg_interval(mig, mag)

    __matmul__, __rmatmul__ = _binary(lambda a, b: b64_matmul(a, b))

    def __bool__(self):
        raise UncertifiedValueError("a float64 ball has no truth value; compare its exact endpoints "
                                    "(get_arith('ball64').bounds(x)) instead")

    def __eq__(self, other):  # noqa: D105 - identity only: balls are not compared with ==
        raise UncertifiedValueError("float64 balls are not compared with ==; use their exact endpoints")

    def _no_order(self, other):
        raise UncertifiedValueError("float64 balls are not ordered by < or >: two balls may overlap; compare their "
                                    "exact endpoints (get_arith('ball64').bounds(x), verify.arith.decide.compare)")

    __lt__ = __le__ = __gt__ = __ge__ = _no_order

    def __float__(self):
        raise UncertifiedValueError("float() of a float64 ball would drop its radius: read its exact endpoints "
                                    "(get_arith('ball64').bounds(x)) or its midpoint (x.mid)")

    __hash__ = None

    def exact_bounds(self):
        """(lo, hi): the exact rational endpoints mid ∓ rad of a scalar ball (see :meth:`Ball64Arithmetic.bounds`)."""
        if self.ndim:
            raise ShapeError(f"exact_bounds() of a {self.shape} array: use get_arith('ball64').bounds(x)")
        if not self.is_finite():
            raise UncertifiedValueError("a float64 ball with an infinite radius (overflow, NaN or a possible pole) "
                                        "encloses nothing useful; use arith='ball' at a higher precision")
        if not float(self.rad) >= 0:
            raise UncertifiedValueError(f"a float64 ball with the negative radius {float(self.rad)!r} is corrupt")
        m, r = Fraction(float(self.mid)), Fraction(float(self.rad))
        return m - r, m + r

    # ------------------------------------------------------------------ ball helpers (the arb names)
    def is_finite(self) -> bool:
        return bool(np.isfinite(self.mid).all() and np.isfinite(self.rad).all())

    def lower(self):
        """A point ball at a float ≤ every point of the ball (entrywise; not finite where the ball is not)."""
        return _point_or_mark(endpoints(self)[0])

    def upper(self):
        return _point_or_mark(endpoints(self)[1])

    def nonnegative_part(self):
        """A ball enclosing x ∩ [0, ∞) (its lower end clipped at 0; an entry entirely below 0 gives 0)."""
        lo, hi = endpoints(self)
        return _from_nonneg_interval(np.maximum(lo, 0.0), np.maximum(hi, 0.0))

    def union(self, other):
        o = as_b64(other)
        lo1, hi1 = endpoints(self)
        lo2, hi2 = endpoints(o)
        return _from_interval(np.minimum(lo1, lo2), np.maximum(hi1, hi2))

    # numpy: binary operators with an ndarray on the left come here (not elementwise into object arrays)
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and not kwargs:
            op = _UFUNC_BINARY.get(ufunc)
            if op is not None and len(inputs) == 2:
                left = inputs[0] if isinstance(inputs[0], B64) else _coerce(inputs[0])
                if left is None:
                    return NotImplemented
                return getattr(left, op)(inputs[1])
            if len(inputs) == 1:
                if ufunc is np.negative:
                    return -inputs[0]
                if ufunc is np.positive:
                    return +inputs[0]
                if ufunc is np.absolute:
                    return abs(inputs[0])
                if ufunc is np.square:
                    return b64_ipow(inputs[0], 2)
        if method == "at" and ufunc is np.add and len(inputs) == 3 and not kwargs:
            target, idx, vals = inputs
            if not isinstance(target, B64):
                return NotImplemented
            b64_add_at(target, idx, as_b64(vals))
            return None
        return NotImplemented

    def __array_function__(self, func, types, args, kwargs):
        impl = _FUNCS.get(func)
        if impl is None:
            return NotImplemented
        return impl(*args, **kwargs)


_UFUNC_BINARY = {np.add: "__add__", np.subtract: "__sub__", np.multiply: "__mul__", np.true_divide: "__truediv__",
                 np.matmul: "__matmul__"}


def _nan_keep(lo, hi, x):
    """(lo, hi) with NaN marks where the midpoint of the ball x is not finite (x broadcast against lo, hi)."""
    bad = ~np.isfinite(x.mid)
    if bad.any():
        lo = np.where(bad, np.nan, lo)
        hi = np.where(bad, np.nan, hi)
    return lo, hi


def _refuse(other):
    """A clear error for an operand that is not a number (a string, a complex number…), instead of TypeError."""
    raise InputError(f"a float64 ball cannot be combined with a {type(other).__name__} ({other!r:.60}): only real "
                     "numbers, numpy real arrays and float64 balls")


def endpoints(x: B64):
    """Float arrays (lo, hi) with lo ≤ every point of the ball ≤ hi, entrywise: −inf/+inf for an infinite radius
    around a finite midpoint (an unbounded real), NaN/NaN for a non-finite midpoint (a NaN mark — an overflow,
    a domain error, a pole: comparisons with it are False, and numpy's min/max/functions propagate it).

    lo = _dn(fl(m − r)) and hi = _upx(fl(m + r)) by (E3), sharing one bound s = fl(2u·fl(|m| + r)) + η ≥
    fl(2u|fl(m ± r)|) (|m ± r| ≤ |m| + r and rounding is monotone); s is multiplied by sign(r), so a point ball
    (r = 0, m ∓ r exact) has lo = hi = m. One reduction of s detects a non-finite m or r (s is then inf or NaN);
    an infinite radius around a finite midpoint gives −inf and +inf by itself."""
    m, r = x.mid, x.rad
    tok = _quiet_on()
    try:
        s = np.abs(m)
        s += r
        s *= _TWO_U
        s += ETA
        s *= np.sign(r)
        lo = m - r
        lo -= s
        hi = m + r
        hi += s
        if not math.isfinite(float(np.add.reduce(s, axis=None))):
            # some m or r is not finite (s = NaN or inf; with finite m and r, lo and hi are never NaN): the exact
            # scan (±inf ends of finite midpoints with infinite radii are right already)
            bad = ~(np.isfinite(m) & (r >= 0))
            if bad.any():
                lo = np.where(bad, np.nan, lo)
                hi = np.where(bad, np.nan, hi)
        return _arr(lo), _arr(hi)
    finally:
        _quiet_off(tok)


# ---------------------------------------------------------------------- coercion
def _coerce(x):
    """A B64 for a B64, a real number or numeric array (converted exactly, or enclosed when it is not a float64:
    integers beyond 2**53, long doubles, rationals), an arb ball; None for anything else."""
    if type(x) is B64:
        return x
    if isinstance(x, np.ndarray):
        kind = x.dtype.kind
        if kind == "f":
            if x.dtype.itemsize <= 8:
                return _float_array_ball(x.astype(float))
            return _longdouble_ball(x)
        if kind in "iu":
            f = x.astype(float)
            if x.size == 0 or np.abs(f).max() < _MAX_EXACT_INT:
                return _mk(f, np.zeros(f.shape))
            return _object_array_ball(x.astype(object))
        if kind == "b":
            f = x.astype(float)
            return _mk(f, np.zeros(f.shape))
        if kind == "O":
            return _object_array_ball(x)
        return None
    if isinstance(x, float):  # float and np.float64
        return _float_scalar_ball(float(x))
    if isinstance(x, np.floating):
        if x.dtype.itemsize <= 8:
            return _float_scalar_ball(float(x))
        return _other_number(x)
    if isinstance(x, Integral) and not isinstance(x, bool | np.bool_):
        v = int(x)
        if -_MAX_EXACT_INT <= v <= _MAX_EXACT_INT:
            return _mk(np.asarray(float(v)), np.asarray(0.0))
        return _rational_ball(Fraction(v))
    if isinstance(x, Fraction):
        return _rational_ball(x)
    if isinstance(x, B64):  # a subclass
        return x
    return _other_number(x)


def _float_scalar_ball(v: float) -> B64:
    return _mk(np.asarray(v), np.asarray(0.0 if math.isfinite(v) else INF))


def _float_array_ball(f) -> B64:
    return _mk(f, np.zeros(f.shape))


def _longdouble_ball(x) -> B64:
    """A long-double array enclosed: mid = the nearest float64, rad ≥ |x − mid| (the difference is exact in the
    long-double format: it has at most 64 − 53 significant bits)."""
    with np.errstate(all="ignore"):
        m = x.astype(float)
        err = np.abs(x - m.astype(x.dtype))  # exact in the long format
        r = np.where(err > 0, np.nextafter(err.astype(float), INF), 0.0)  # rounded to nearest, then up
    return _finish(m, r, check_mid=True)


def _other_number(x):
    """flint fmpz/fmpq/arb, mpmath, sympy numbers, long doubles: exactly (an enclosure for arb); None if x is
    not a real number."""
    mod = type(x).__module__
    name = type(x).__name__
    if mod.startswith("flint") and name == "arb":
        from .ball import ball_bounds

        if not x.is_finite():
            return _mk(np.asarray(0.0), np.asarray(INF))
        return _fraction_interval_ball(*ball_bounds(x))
    if not (mod.startswith(("flint", "mpmath", "sympy", "numpy")) or isinstance(x, np.generic)):
        return None
    from ..errors import VerifyError
    from ..numbers import to_fraction

    try:
        q = to_fraction(x)
    except VerifyError:
        return None
    return _rational_ball(q)


def as_b64(x) -> B64:
    b = _coerce(x)
    if b is None:
        raise InputError(f"cannot use a {type(x).__name__} in float64 ball arithmetic")
    return b


_RATIONAL_CACHE: dict = {}


def _rational_ball(q: Fraction) -> B64:
    """The ball of float64s closest to the exact rational q: mid = float(q) (correctly rounded, subnormals
    included), rad ≥ |q − mid| (0 if exact; the error itself rounded up); beyond the float range: midpoint 0
    and an infinite radius."""
    hit = _RATIONAL_CACHE.get(q)
    if hit is None:
        try:
            m = float(q)
        except OverflowError:
            m = INF
        if not math.isfinite(m):
            hit = (0.0, INF)
        else:
            err = abs(q - Fraction(m))
            if err == 0:
                hit = (m, 0.0)
            else:
                r = float(err)  # correctly rounded: may be below err by half an ulp, so step up once
                hit = (m, float(np.nextafter(r, INF)) if r > 0 else ETA)
        if len(_RATIONAL_CACHE) > 4096:
            _RATIONAL_CACHE.clear()
        _RATIONAL_CACHE[q] = hit
    return _mk(np.asarray(hit[0]), np.asarray(hit[1]))


def _fraction_interval_ball(lo: Fraction, hi: Fraction) -> B64:
    """A ball enclosing the exact interval [lo, hi]: its ends rounded outward to floats, then
    :func:`_from_interval`."""
    def down(q):
        try:
            f = float(q)
        except OverflowError:
            return -INF if q < 0 else float(np.finfo(float).max)
        return f if Fraction(f) <= q else float(np.nextafter(f, -INF))

    def up(q):
        try:
            f = float(q)
        except OverflowError:
            return INF if q > 0 else -float(np.finfo(float).max)
        return f if Fraction(f) >= q else float(np.nextafter(f, INF))

    return _from_interval(np.asarray(down(lo)), np.asarray(up(hi)))


def _object_array_ball(arr) -> B64:
    """An object array of numbers (0-d B64s, floats, Fractions, …) as one B64."""
    arr = np.asarray(arr, dtype=object)
    flat = arr.reshape(-1)
    n = flat.size
    if n and all(v is flat[0] for v in flat):  # a filled array (np.empty(...).fill(c)): one conversion
        b = _coerce(flat[0])
        if b is None or b.ndim:
            raise InputError(f"cannot use a {type(flat[0]).__name__} in float64 ball arithmetic")
        return _mk(np.full(arr.shape, float(b.mid)), np.full(arr.shape, float(b.rad)))
    mid = np.empty(n)
    rad = np.empty(n)
    for i, v in enumerate(flat):
        b = v if type(v) is B64 else _coerce(v)
        if b is None or b.ndim:
            raise InputError(f"cannot use a {type(v).__name__} in float64 ball arithmetic")
        mid[i], rad[i] = b.mid, b.rad
    return _mk(mid.reshape(arr.shape), rad.reshape(arr.shape))


# ====================================================================== operations
def _is_exact_zero(b: B64) -> bool:
    return b.mid.ndim == 0 and b.rad == 0 and b.mid == 0


def b64_add(a: B64, b: B64) -> B64:
    """a + b: mid = fl(ma + mb), rad = _up(ra + rb + u|mid|, 3) — (E1) without η for a sum, two additions and one
    exact-or-underflowing product u·|mid| counted by (E4). Adding an exact scalar 0 returns a copy (no
    radius growth: a clipped ball [0, h] stays clipped)."""
    if _is_exact_zero(b):
        return a.copy()
    if _is_exact_zero(a):
        return b.copy()
    tok = _quiet_on()
    try:
        m = a.mid + b.mid
        r = np.abs(m)
        r *= U
        r += a.rad
        r += b.rad
        return _finish(m, _up_inplace(r, 3))
    finally:
        _quiet_off(tok)


def b64_sub(a: B64, b: B64) -> B64:
    """a − b (as :func:`b64_add`)."""
    if _is_exact_zero(b):
        return a.copy()
    if _is_exact_zero(a):
        return -b
    tok = _quiet_on()
    try:
        m = a.mid - b.mid
        r = np.abs(m)
        r *= U
        r += a.rad
        r += b.rad
        return _finish(m, _up_inplace(r, 3))
    finally:
        _quiet_off(tok)


def b64_mul(a: B64, b: B64) -> B64:
    """a·b: mid = fl(ma·mb); the exact product of the balls is within |ma|rb + ra(|mb| + rb) of ma·mb, and
    fl(ma·mb) within u|mid| + η/2 of it (E1), so rad = _up(|ma|rb + ra(|mb| + rb) + u|mid|, 8) (E4: at most 8
    operations, every product of an input and a computed sum). An exact scalar factor c (radius 0) needs only
    ra|c| + u|mid|."""
    am, ar, bm, br = a.mid, a.rad, b.mid, b.rad
    tok = _quiet_on()
    try:
        m = am * bm
        r = np.abs(m)
        r *= U
        if br.ndim == 0 and br == 0:
            r += ar * abs(float(bm))
            return _finish(m, _up_inplace(r, 4))
        if ar.ndim == 0 and ar == 0:
            r += br * abs(float(am))
            return _finish(m, _up_inplace(r, 4))
        t = np.abs(bm)
        t += br
        r += t * ar
        r += np.abs(am) * br
        return _finish(m, _up_inplace(r, 8))
    finally:
        _quiet_off(tok)


def b64_div(a: B64, b: B64) -> B64:
    """a / b. By an exact nonzero scalar c: mid = fl(ma/c), rad = _up(ra/|c| + u|mid|, 4) ((E1) for the
    division and the quotient ra/|c|); otherwise a·(1/b) with :func:`b64_inv`."""
    bm, br = b.mid, b.rad
    if bm.ndim == 0 and br == 0 and bm != 0 and math.isfinite(float(bm)):
        c = float(bm)
        tok = _quiet_on()
        try:
            m = a.mid / c
            r = np.abs(m)
            r *= U
            r += a.rad / abs(c)
            return _finish(m, _up_inplace(r, 4))
        finally:
            _quiet_off(tok)
    return b64_mul(a, b64_inv(b))


def b64_inv(b: B64) -> B64:
    """1/x over the ball: 1/x is decreasing on each side of 0, so [1/hi, 1/lo] rounded outward by (E3) (each a
    single rounding; an overflow to ±inf stays outward or becomes NaN, an infinite radius); a ball that may
    contain 0 (a pole) gives a NaN mark."""
    lo, hi = endpoints(b)
    tok = _quiet_on()
    try:
        ilo = _dn(1.0 / hi)
        ihi = _upx(1.0 / lo)
        ok = (lo > 0) | (hi < 0)
        if not ok.all():
            ilo = np.where(ok, ilo, np.nan)
            ihi = np.where(ok, ihi, np.nan)
    finally:
        _quiet_off(tok)
    return _from_interval(ilo, ihi)


def _mul_nonneg_down(x, y):
    """A lower bound (≥ 0) of the exact product of nonnegative floats (E3)."""
    return np.maximum(_dn(x * y), 0.0)


def _mul_nonneg_up(x, y):
    return _upx(x * y)


def _pow_nonneg(t, n: int):
    """(lower, upper) bounds of t**n for float arrays t ≥ 0 (possibly +inf) and n ≥ 1: binary powering with each
    product rounded outward by (E3); an overflow gives +inf above (and NaN below, an infinite radius later)."""
    lo_acc = hi_acc = None
    blo = bhi = t
    while n:
        if n & 1:
            if lo_acc is None:
                lo_acc, hi_acc = blo, bhi
            else:
                lo_acc, hi_acc = _mul_nonneg_down(lo_acc, blo), _mul_nonneg_up(hi_acc, bhi)
        n >>= 1
        if n:
            blo, bhi = _mul_nonneg_down(blo, blo), _mul_nonneg_up(bhi, bhi)
    return lo_acc, hi_acc


def b64_ipow(x: B64, n: int) -> B64:
    """x**n for an integer n ≥ 0, tight also for balls containing 0.

    n = 2 (the common case): mid = fl(m²), rad = _up((2|m| + r)r + u·mid, 6) — the exact square of any point
    m + t (|t| ≤ r) is within 2|m|r + r² of m² (E1, E4); entries whose ball contains 0 get the hull
    [0, (|m| + r)²] instead. Otherwise endpoints: x**n is increasing in x for odd n and in |x| for even n, so
    [lower(a**n), upper(b**n)] with (a, b) = (lo, hi) (odd; negative ends through (−t)**n = −t**n) or
    (mignitude, magnitude) (even), each power by :func:`_pow_nonneg`."""
    if n == 0:
        return _mk(np.ones(x.shape), np.zeros(x.shape))
    if n == 1:
        return x.copy()
    if n == 2:
        m, r = x.mid, x.rad
        tok = _quiet_on()
        try:
            m2 = m * m
            am = np.abs(m)
            t = am * 2.0
            t += r
            t *= r
            t += m2 * U
            out = _finish(m2, _up_inplace(_arr(t), 6))
            wide = r > am
            if not wide.any():
                return out
            lo, hi = endpoints(x)
            mag = np.maximum(-lo, hi)
            hull_hi = _pow_nonneg(mag, 2)[1]
        finally:
            _quiet_off(tok)
        hull = _from_nonneg_interval(np.zeros(np.shape(mag)), hull_hi)
        return _mk(_arr(np.where(wide, hull.mid, out.mid)), _arr(np.where(wide, hull.rad, out.rad)))
    lo, hi = endpoints(x)
    tok = _quiet_on()
    try:
        if n % 2 == 0:
            a = np.where(lo > 0, lo, np.where(hi < 0, -hi, 0.0))
            b = np.maximum(-lo, hi)
            out_lo = _pow_nonneg(a, n)[0]
            out_hi = _pow_nonneg(b, n)[1]
        else:
            pl_lo, pl_hi = _pow_nonneg(np.abs(lo), n)
            ph_lo, ph_hi = _pow_nonneg(np.abs(hi), n)
            out_lo = np.where(lo >= 0, pl_lo, -pl_hi)
            out_hi = np.where(hi >= 0, ph_hi, -ph_lo)
    finally:
        _quiet_off(tok)
    return _from_nonneg_interval(out_lo, out_hi) if n % 2 == 0 else _from_interval(out_lo, out_hi)


def _as_2d_operands(a: B64, b: B64):
    am, ar, bm, br = a.mid, a.rad, b.mid, b.rad
    if am.ndim == 0 or bm.ndim == 0:
        raise ShapeError(f"matrix product of a scalar (shapes {am.shape} and {bm.shape}); use *")
    return am, ar, bm, br


def b64_matmul(a: B64, b: B64) -> B64:
    """Rump's midpoint-radius matrix product (numpy ``@`` semantics: vectors, stacks of matrices).

    mid = fl(mA·mB) (any BLAS: blocked, FMA, any order); the exact product of the balls lies within
    R = |mA|rB + rA(|mB| + rB) + γₙ|mA||mB| + n·η/2 of it (E2; n the inner dimension). The radius is one BLAS
    product when a factor is exact — rB = 0: (rA + g|mA| + η)|mB|, rA = 0: |mA|(rB + g|mB| + η), with g ≥ γ_{n+2}
    (the +η covers the underflow of g|·| multiplied by the other factor) — else |mA|(rB + g|mB| + η) + rA(|mB| +
    rB), computed as one product [|mA|, rA]·[rB + g|mB| + η; |mB| + rB] of inner dimension 2n (one BLAS call is
    markedly faster than two and a sum); then _up(·, 2n + 8) (E4: at most 2n + 3 roundings on a path — the
    inner entries' 3, the product's 2n — and 2n underflowing radius products; the midpoint's own n·η/2 of
    underflow is within the remaining (2n + 8)η − 2n·η/2). A midpoint that
    overflows (the radius stays finite) is caught by a reduction over the midpoints."""
    am, ar, bm, br = _as_2d_operands(a, b)
    va, vb = am.ndim == 1, bm.ndim == 1
    if va:
        am, ar = am[None, :], ar[None, :]
    if vb:
        bm, br = bm[:, None], br[:, None]
    n = am.shape[-1]
    if bm.shape[-2] != n:
        raise ShapeError(f"matrix product of shapes {a.shape} and {b.shape}")
    g = _gamma(n + 2)
    a_exact = not ar.any()
    b_exact = not br.any()
    tok = _quiet_on()
    try:
        m = am @ bm
        if b_exact and (not a_exact or am.size <= bm.size):
            A = np.abs(am)
            A *= g
            A += ETA
            if not a_exact:
                A += ar
            r = A @ np.abs(bm)
        else:
            B = np.abs(bm)
            inner = B * g
            inner += ETA
            if not b_exact:
                inner += br
            if a_exact:
                r = np.abs(am) @ inner
            else:  # |mA|·inner + rA·(|mB| + rB) as ONE product of inner dimension 2n (~2× faster than two)
                B += br
                r = np.concatenate([np.abs(am), ar], axis=-1) @ np.concatenate([inner, B], axis=-2)
        r = _up_inplace(_arr(r), 2 * n + 8)
        if va and vb:
            m, r = m[0, 0], r[0, 0]
        elif va:
            m, r = m[..., 0, :], r[..., 0, :]
        elif vb:
            m, r = m[..., 0], r[..., 0]
        return _finish(m, r, check_mid=True)
    finally:
        _quiet_off(tok)


def b64_sum(x: B64, axis=None, keepdims=False) -> B64:
    """Σ over ``axis`` (an int, a tuple of ints or None): mid = fl(Σ mid) in numpy's (pairwise) order, rad =
    _up(Σ(rad + g|mid|), n + 6) with n the number of terms summed into each entry and g ≥ γ_{n+2} (E2 for any
    order; the n products g|mid| may underflow by η/2 each, within the (n + 6)η of (E4))."""
    if axis is None:
        n = x.size
    else:
        axes = axis if isinstance(axis, tuple) else (axis,)
        try:
            n = int(np.prod([x.shape[i] for i in axes]))
        except (IndexError, TypeError):
            raise ShapeError(f"sum over axis {axis!r} of an array of shape {x.shape}") from None
    if n == 0:
        shape = np.sum(x.mid, axis=axis, keepdims=keepdims).shape
        return _mk(np.zeros(shape), np.zeros(shape))
    g = _gamma(n + 2)
    tok = _quiet_on()
    try:
        m = np.sum(x.mid, axis=axis, keepdims=keepdims)
        t = np.abs(x.mid)
        t *= g
        t += x.rad
        r = np.sum(t, axis=axis, keepdims=keepdims)
        return _finish(m, _up_inplace(_arr(r), n + 6), check_mid=True)  # Σ mid may overflow, Σ g|mid| not
    finally:
        _quiet_off(tok)


def b64_add_at(target: B64, idx, vals: B64) -> None:
    """``np.add.at(target, idx, vals)`` in place (vals broadcast as numpy does): at a position receiving c ≥ 1
    terms, the midpoint is a sum of c + 1 terms computed by c roundings, within γ_c times the sum of their
    absolute values (E2); the radii add up. So the touched positions get rad = _up(Σ rad + g·Σ|terms|, c + 6)
    with g ≥ γ_{c+2} (c the largest count); untouched positions are left as they are."""
    tm, tr = target.mid, target.rad
    shape = tm[idx].shape
    vm = np.broadcast_to(vals.mid, shape)
    vr = np.broadcast_to(vals.rad, shape)
    count = np.zeros(tm.shape)
    np.add.at(count, idx, 1.0)
    touched = count > 0
    if not touched.any():
        return
    tok = _quiet_on()
    try:
        absacc = np.abs(tm)
        np.add.at(absacc, idx, np.abs(vm))
        np.add.at(tm, idx, vm)
        np.add.at(tr, idx, vr)
        c = int(count.max())
        g = _gamma(c + 2)
        new = _up(tr[touched] + g * absacc[touched], c + 6)
        bad = ~(np.isfinite(new) & np.isfinite(tm[touched]))
        tr[touched] = np.where(bad, INF, new)
    finally:
        _quiet_off(tok)


# ---------------------------------------------------------------------- numpy functions on B64
def _mids_rads(seq):
    bs = [as_b64(s) for s in seq]
    return [b.mid for b in bs], [b.rad for b in bs]


def _concatenate(seq, axis=0, **kw):
    m, r = _mids_rads(seq)
    return _mk(np.concatenate(m, axis=axis), np.concatenate(r, axis=axis))


def _stack(seq, axis=0, **kw):
    m, r = _mids_rads(seq)
    return _mk(np.stack(m, axis=axis), np.stack(r, axis=axis))


def _unary(fn):
    def f(x, *args, **kw):
        x = as_b64(x)
        return _mk(_arr(fn(x.mid, *args, **kw)), _arr(fn(x.rad, *args, **kw)))

    return f


def _empty_like(x, *a, **kw):
    return _mk(np.zeros(np.shape(x.mid)), np.zeros(np.shape(x.mid)))


def _take_along_axis(x, idx, axis):
    return _mk(np.take_along_axis(x.mid, idx, axis), np.take_along_axis(x.rad, idx, axis))


def _put_along_axis(x, idx, vals, axis):
    v = as_b64(vals)
    np.put_along_axis(x.mid, idx, v.mid, axis)
    np.put_along_axis(x.rad, idx, v.rad, axis)


def _matmul(a, b, **kw):
    return b64_matmul(as_b64(a), as_b64(b))


def _npsum(x, axis=None, keepdims=False, **kw):
    return b64_sum(as_b64(x), axis=axis, keepdims=keepdims)


def _shape(x):
    return x.shape


def _ndim(x):
    return x.ndim


def _where(cond, x, y):
    xb, yb = as_b64(x), as_b64(y)
    return _mk(_arr(np.where(cond, xb.mid, yb.mid)), _arr(np.where(cond, xb.rad, yb.rad)))


_FUNCS = {
    np.concatenate: _concatenate, np.stack: _stack, np.repeat: _unary(np.repeat),
    np.transpose: _unary(np.transpose), np.reshape: _unary(np.reshape), np.moveaxis: _unary(np.moveaxis),
    np.swapaxes: _unary(np.swapaxes), np.broadcast_to: _unary(np.broadcast_to), np.squeeze: _unary(np.squeeze),
    np.expand_dims: _unary(np.expand_dims), np.diagonal: _unary(np.diagonal), np.ravel: _unary(np.ravel),
    np.empty_like: _empty_like, np.zeros_like: _empty_like, np.copy: _unary(np.copy),
    np.take_along_axis: _take_along_axis, np.put_along_axis: _put_along_axis, np.matmul: _matmul,
    np.sum: _npsum, np.shape: _shape, np.ndim: _ndim, np.where: _where, np.tril: _unary(np.tril),
    np.triu: _unary(np.triu), np.diag: _unary(np.diag),
}


# ====================================================================== elementary functions
#: increasing on their whole domain: enclosed here from the two endpoint values (see :func:`_increasing`)
_INCREASING = ("exp", "log", "log1p", "expm1", "tanh", "sinh", "atan", "sqrt", "erf")


def _increasing(name: str):
    """f over each ball for an increasing f, from f̃(lo) and f̃(hi) (numpy's values at the outward endpoints).

    By libm's error model (A1) |f̃(t) − f(t)| ≤ K·ulp(f̃(t)) ≤ 2Ku|f̃(t)| + Kη (K = ``libm.ULP_BOUND[name]``), so f
    over [lo, hi] lies in [y₁ − E₁, y₂ + E₂] (y₁ = f̃(lo), y₂ = f̃(hi)). With mid = fl(y₁/2 + y₂/2) (within u|mid|
    + η of (y₁ + y₂)/2) and D = fl(|y₂ − y₁|) (taken absolute: an implementation may be non-monotone by an ulp),
    max(y₂ + E₂ − mid, mid − y₁ + E₁) ≤ D/2 + (2K + 3)u(|mid| + D) + (K + 2)η, so rad = _up(D/2 + (2K + 3)u(|mid|
    + D), K + 8) (E4). An overflow (y = ±inf) or a point outside the domain (NaN) gives a NaN mark; at
    infinite endpoints numpy's values are the limits (tanh(±inf) = ±1), enclosures of f over the unbounded
    ball. The floating-point environment is probed on every call (libm.check_fp_environment)."""
    from . import libm

    fn = libm._NUMPY[name]
    k_ulp = float(libm.ULP_BOUND[name])
    c = (2.0 * k_ulp + 3.0) * U
    if Fraction(c) != (2 * Fraction(k_ulp) + 3) * Fraction(U):  # pragma: no cover - K is a multiple of 1/2
        raise ArithmeticNotSupportedError(f"ball64 {name}: the ulp bound {k_ulp} is not a multiple of 1/2")
    c_half = 0.5 + c
    if Fraction(c_half) != Fraction(1, 2) + Fraction(c):  # pragma: no cover
        raise ArithmeticNotSupportedError(f"ball64 {name}: 1/2 + (2K + 3)u is not a float64 number")
    kk = math.ceil(k_ulp) + 8
    # domain [floor, ∞): where the exact lower end mid − rad is in it (an exact float comparison), the outward
    # endpoint is clamped to the domain (it left it by rounding only); a difference of floats > 0 is ≥ η
    clamp = {"sqrt": (0.0, False), "log": (ETA, True)}.get(name)

    def f(x):
        x = as_b64(x)
        libm.check_fp_environment()
        lo, hi = endpoints(x)
        tok = _quiet_on()
        try:
            if clamp is not None:
                inside = x.mid > x.rad if clamp[1] else x.mid >= x.rad
                lo = np.where(inside, np.maximum(lo, clamp[0]), lo)
            y1 = _arr(fn(lo))
            y2 = _arr(fn(hi))
            m = y1 * 0.5
            m += y2 * 0.5
            d = y2 - y1
            d = np.abs(d, out=d) if type(d) is np.ndarray else abs(d)
            r = np.abs(m)
            r *= c
            r += d * c_half  # D/2 + c(|mid| + D) = c|mid| + (1/2 + c)D, the constant 1/2 + c exact
            return _finish(m, _up_inplace(_arr(r), kk))
        finally:
            _quiet_off(tok)

    f.__name__ = f"ball64_{name}"
    return f


def _via_libm(name: str):
    """f over each ball by :func:`verify.arith.libm.enclose_monotone` (cosh, sin, cos: not monotone)."""
    def f(x):
        from . import libm

        x = as_b64(x)
        lo, hi = endpoints(x)
        flo, fhi = libm.enclose_monotone(name, lo, hi)  # NaN marks (domain, NaN input) stay NaN marks
        return _from_interval(flo, fhi)

    f.__name__ = f"ball64_{name}"
    return f


def _func(name):
    return _increasing(name) if name in _INCREASING else _via_libm(name)


def _exp_lower(t):
    from . import libm

    return np.maximum(libm.enclose_monotone("exp", t, t)[0], 0.0)


def _exp_upper(t):
    from . import libm

    return libm.enclose_monotone("exp", t, t)[1]


def _sum_up(t, k):
    """An upper bound of Σ over the last axis of nonnegative floats (k terms)."""
    return _up(np.sum(t, axis=-1, keepdims=True), k + 2)


def _sum_down(t, k):
    """A lower bound of Σ over the last axis of nonnegative floats (k terms): fl(Σ)(1 − 2γ) rounded down
    (Σ ≥ fl(Σ)/(1 + γ_k) for nonnegative terms, sums do not underflow)."""
    g = _gamma(k + 2)
    return np.maximum(_down_f(np.sum(t, axis=-1, keepdims=True) * (1.0 - 2.0 * g)) - k * ETA, 0.0)


def _rowwise(x):
    """A B64 whose midpoints are NaN where some midpoint of their row (last axis) is not finite."""
    bad = ~np.isfinite(x.mid).all(axis=-1, keepdims=True)
    return _mk(np.where(np.broadcast_to(bad, x.shape), np.nan, 0.0), np.zeros(x.shape))


def _pow_point_bounds(t, q: Fraction):
    """(lower, upper) float bounds of t**q for float arrays t ≥ 0 and a rational q > 0 that is not a float64
    number: 0 at t = 0, else exp(q·log t) with log and exp enclosed by :func:`verify.arith.libm.enclose`, q by
    its two neighbouring floats and every product rounded outward (E3)."""
    from . import libm

    qb = _rational_ball(q)
    q_lo, q_hi = endpoints(qb)
    q_lo, q_hi = float(q_lo), float(q_hi)
    pos = t > 0
    safe = np.where(pos, t, 1.0)
    l_lo, l_hi = libm.enclose("log", safe)
    with np.errstate(all="ignore"):
        cands = [l_lo * q_lo, l_lo * q_hi, l_hi * q_lo, l_hi * q_hi]  # the exact q·log t is between two corners
        p_lo = np.minimum.reduce([_dn(c) for c in cands])
        p_hi = np.maximum.reduce([_upx(c) for c in cands])
        e_lo = libm.enclose("exp", np.where(np.isnan(p_lo), -INF, p_lo))[0]
        e_hi = libm.enclose("exp", np.where(np.isnan(p_hi), INF, p_hi))[1]
    return np.where(pos, np.maximum(e_lo, 0.0), 0.0), np.where(pos, e_hi, 0.0)


_FUNC_NAMES = ("exp", "log", "tanh", "sinh", "cosh", "sin", "cos", "atan", "sqrt", "erf", "log1p", "expm1")


class Ball64Arithmetic(Arithmetic):
    """Float64 balls on whole arrays (:class:`B64`); certified. See the module docstring."""

    name = "ball64"
    certified = True
    balls = True
    dtype = object
    bytes_per_entry = 16  # a mid and a radius
    #: measured peak of a dense Hessian over its 16-byte entries (:func:`verify.models.objective.check_dense_size`):
    #: ≤ 2.25 in general, 1.25 / 1.9 for MLPs with 2 / 3 weight layers
    #: (one hidden neuron: 3.11 at p = 3,001 — hence 3.25 in general)
    dense_copies = 3.25
    dense_copies_by_layers = {2: 1.25, 3: 1.9}
    array_native = True

    def __init__(self, prec=None):
        super().__init__(None)
        self._funcs = {}

    def key(self):
        """``("ball64", None)``: float64 balls have no precision parameter."""
        return (self.name, None)

    def context(self):
        """Checks the floating-point environment the error model assumes (round to nearest, gradual underflow, in
        numpy and in BLAS: :func:`check_float_environment`); no precision to set."""
        check_float_environment()
        return contextlib.nullcontext()

    def const(self, q: Fraction):
        return _rational_ball(q if type(q) is Fraction else Fraction(q))

    def _native(self, x):
        return isinstance(x, B64)

    @staticmethod
    def _check_ball(x: B64, what: str) -> B64:
        if not x.is_finite():
            raise NonFiniteError(f"{what} holds a non-finite ball")
        if x.size and not np.minimum.reduce(x.rad, axis=None) >= 0:
            raise InputError(f"{what} holds a ball with a negative radius")
        return x

    def from_input(self, x, what="value"):
        if isinstance(x, B64):
            if x.ndim:
                raise ShapeError(f"{what} is an array, expected a number")
            return self._check_ball(x, what)
        if type(x).__module__.startswith("flint") and type(x).__name__ == "arb":
            if not x.is_finite():
                raise NonFiniteError(f"{what} is a non-finite ball {x}")
            return as_b64(x)
        return super().from_input(x, what)

    def array(self, values, what="array"):
        """A :class:`B64` ball array of ``values``: a B64 is checked (finite, radii ≥ 0) and taken as it is; a
        float or integer numpy array becomes point balls (radius 0: a float64 is exactly representable), integers
        beyond 2**53 exactly entry by entry; any other nesting of numbers is converted exactly and enclosed
        (:meth:`Arithmetic.array`)."""
        if isinstance(values, B64):
            return self._check_ball(values, what)
        if isinstance(values, np.ndarray) and values.dtype.kind in "fiu" and values.dtype.itemsize <= 8:
            from ..numbers import check_finite_float_array
            from ..validate import MAX_MAGNITUDE

            if values.dtype.kind in "iu" and values.size and np.abs(values.astype(float)).max() >= _MAX_EXACT_INT:
                return _object_array_ball(super().array(values, what))  # beyond 2**53: exactly, entry by entry
            arr = check_finite_float_array(values, what=what).astype(float)
            if arr.size and np.abs(arr).max() > float(MAX_MAGNITUDE):
                return _object_array_ball(super().array(values, what))  # raises the magnitude error
            return _mk(arr, np.zeros(arr.shape))
        obj = super().array(values, what)  # an object array of 0-d B64s
        return _object_array_ball(obj)

    def from_fractions(self, arr):
        """The B64 array of float64 balls enclosing the rationals of ``arr``."""
        return _object_array_ball(np.asarray(arr, dtype=object))

    def zeros(self, shape):
        """The B64 array of ``shape`` of exact zeros (midpoint 0, radius 0)."""
        return _mk(np.zeros(shape), np.zeros(shape))

    def ones(self, shape):
        """The B64 array of ``shape`` of exact ones (midpoint 1, radius 0)."""
        return _mk(np.ones(shape), np.zeros(shape))

    def eye(self, n):
        """The n × n identity as a B64 array (radius 0)."""
        return _mk(np.eye(n), np.zeros((n, n)))

    def broadcast(self, r, shape):
        """The ball array of ``shape`` whose entries are the ball(s) ``r`` (numpy broadcasting)."""
        r = as_b64(r)
        return _mk(np.broadcast_to(r.mid, shape).copy(), np.broadcast_to(r.rad, shape).copy())

    def endpoints(self, x):
        """Float arrays (lo, hi) bounding every entry (rounded outward; ±inf for an infinite radius, NaN for a NaN
        mark: see :func:`endpoints`)."""
        return endpoints(as_b64(x))

    def from_endpoints(self, lo, hi):
        """The ball array enclosing the intervals [lo, hi] (float arrays)."""
        return _from_interval(np.asarray(lo, dtype=float), np.asarray(hi, dtype=float))

    def where(self, cond, x, y):
        """Entrywise x where ``cond`` (a bool array) holds, else y."""
        return _where(cond, x, y)

    def matmul(self, a, b):
        return b64_matmul(as_b64(a), as_b64(b))

    def sum(self, a, axis=None):
        """An enclosure of the exact sum over ``axis`` (:func:`b64_sum`: the float sum of the midpoints, with
        Higham's bound γ_n Σ|terms| on its rounding error added to the summed radii)."""
        return b64_sum(as_b64(a), axis=axis)

    def func(self, name):
        if name == "pi":
            return _from_interval(np.float64(_down_f(np.pi)), np.float64(_up_f(np.pi)))
        if name == "E":
            return _from_interval(np.float64(_down_f(np.e)), np.float64(_up_f(np.e)))
        if name in _FUNC_NAMES:
            f = self._funcs.get(name)
            if f is None:
                f = self._funcs[name] = _func(name)
            return f
        return super().func(name)

    def vectorize(self, f):
        return f  # every function already works on whole arrays

    def pow_rational(self, x, q):
        """x**q for a rational q: integers by :func:`b64_ipow` (1/x**|q| for q < 0); otherwise x ≥ 0 is required
        (a ball reaching below 0 gives a NaN mark) and x**q is monotone on [0, ∞): the endpoint values,
        by libm's ``power`` when q is a float64 number, else by exp(q·log x) (:func:`_pow_point_bounds`)."""
        x = as_b64(x)
        q = q if type(q) is Fraction else Fraction(q)
        if q.denominator == 1:
            n = q.numerator
            return b64_ipow(x, n) if n >= 0 else b64_inv(b64_ipow(x, -n))
        if q < 0:
            return b64_inv(self.pow_rational(x, -q))
        lo, hi = endpoints(x)
        neg = ~(x.mid >= x.rad)  # the exact lower end mid − rad < 0 (or NaN): not real there
        lo0, hi0 = np.maximum(lo, 0.0), np.maximum(hi, 0.0)  # lo < 0 ≤ mid − rad only by the outward rounding
        fq = float(q)
        if Fraction(fq) == q:
            from . import libm

            flo, fhi = libm.enclose_monotone("power", lo0, hi0, q=fq)
        else:
            flo = _pow_point_bounds(lo0, q)[0]
            fhi = _pow_point_bounds(hi0, q)[1]
        if neg.any():  # a ball reaching below 0: not real there (a NaN mark)
            flo = np.where(neg, np.nan, flo)
            fhi = np.where(neg, np.nan, fhi)
        return _from_interval(flo, fhi)

    def side(self, x, b):
        """−1/+1 if every point of the scalar ball x is below/above the rational b, 0 if x is exactly b, None
        if undecided; decided on the exact rational endpoints mid ∓ rad."""
        x = as_b64(x)
        if x.ndim:
            raise ShapeError("side() takes one ball; use sides() for arrays")
        m, r = float(x.mid), float(x.rad)
        if not (math.isfinite(m) and math.isfinite(r)) or not r >= 0:
            return None
        b = b if type(b) is Fraction else Fraction(b)
        fm, fr = Fraction(m), Fraction(r)
        if fm + fr < b:
            return -1
        if fm - fr > b:
            return 1
        if r == 0 and fm == b:
            return 0
        return None

    def sides(self, x, b) -> np.ndarray:
        """Vectorised :meth:`side`: an int array of −1/+1 (certainly below/above b), 0 (exactly b) and 2
        (undecided). Decided on outward float endpoints against the floats bracketing b; entries that this
        leaves undecided although their exact endpoints may decide them (within a few ulps of b) are decided
        exactly (point balls by float comparisons with the floats next to b, others with Fractions)."""
        x = as_b64(x)
        b = b if type(b) is Fraction else Fraction(b)
        lo, hi = endpoints(x)
        blo, bhi = _rational_brackets(b)
        out = np.full(x.shape, 2, dtype=int)
        out[hi < blo] = -1
        out[lo > bhi] = 1
        und = out == 2
        if not und.any():
            return out
        m, r = x.mid, x.rad
        # point balls: a float is above b iff ≥ the least float above b (likewise below)
        above_f, below_f = _float_neighbours(b)
        pt = und & (r == 0) & np.isfinite(m)
        if pt.any():
            out[pt & (m >= above_f)] = 1
            out[pt & (m <= below_f)] = -1
            if blo == bhi:
                out[pt & (m == blo)] = 0
        und = out == 2
        if not und.any():
            return out
        # balls certainly straddling b (inward-rounded ends on both sides) stay undecided; the rest exactly
        with np.errstate(all="ignore"):
            lo_in = _upx(m - r)  # ≥ the exact lower end
            hi_in = _dn(m + r)  # ≤ the exact upper end
        near = und & ~((lo_in < blo) & (hi_in > bhi)) & np.isfinite(m) & np.isfinite(r)
        for idx in map(tuple, np.argwhere(near)):
            fm, fr = Fraction(float(m[idx])), Fraction(float(r[idx]))
            if fm + fr < b:
                out[idx] = -1
            elif fm - fr > b:
                out[idx] = 1
        return out

    def union(self, a, b):
        return as_b64(a).union(b)

    def softmax_last(self, x):
        """softmax over the last axis, enclosed over the whole box: softmax_i is increasing in x_i and decreasing in
        every x_j (j ≠ i), so it lies between its values at two opposite corners of the box (exact endpoints,
        exponentials enclosed by :mod:`verify.arith.libm`, sums of nonnegative numbers rounded outward)."""
        x = as_b64(x)
        if x.ndim == 0:
            raise ShapeError("softmax_last needs at least one axis")
        if x.shape[-1] == 0:
            return x.copy()
        lo, hi = endpoints(x)
        c = np.max(hi, axis=-1, keepdims=True)  # an exact float shift: exp(t − c) keeps every term ≤ 1
        with np.errstate(over="ignore", invalid="ignore"):
            elo = _exp_lower(_down_f(lo - c))
            ehi = _exp_upper(_up_f(hi - c))
            k = x.shape[-1]
            s_hi = _sum_up(ehi, k)
            s_lo = _sum_down(elo, k)
            others_hi = _up_f(s_hi - ehi)  # ≥ Σ_{j≠i} exp(hi_j − c)
            others_lo = np.maximum(_down_f(s_lo - elo), 0.0)  # ≤ Σ_{j≠i} exp(lo_j − c)
            low = _down_f(elo / _up_f(elo + others_hi))
            high = _up_f(ehi / _down_f(ehi + others_lo))
        low = np.where(np.isfinite(low), np.maximum(low, 0.0), 0.0)
        high = np.where(np.isfinite(high), np.minimum(high, 1.0), 1.0)
        return _from_interval(*_nan_keep(low, high, _rowwise(x)))  # [0, 1] for unbounded rows, NaN for NaN marks

    def logsumexp_last(self, x):
        """log Σ_j exp x_j over the last axis: increasing in every x_j, so between its values at the lower and the
        upper corner; each computed as c + log Σ exp(x_j − c) with an exact float shift c (the largest lower end
        for the lower corner, the largest upper end for the upper one, so each sum is ≥ 1 and never underflows
        to 0)."""
        from . import libm

        x = as_b64(x)
        if x.ndim == 0:
            raise ShapeError("logsumexp_last needs at least one axis")
        k = x.shape[-1]
        if k == 0:
            shape = x.shape[:-1]
            return _mk(np.full(shape, np.nan), np.full(shape, INF))  # log 0: not a real number
        lo, hi = endpoints(x)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            c_lo = np.max(lo, axis=-1)
            c_hi = np.max(hi, axis=-1)
            s_lo = _sum_down(_exp_lower(_down_f(lo - c_lo[..., None])), k)[..., 0]
            s_hi = _sum_up(_exp_upper(_up_f(hi - c_hi[..., None])), k)[..., 0]
            llo = libm.enclose_monotone("log", s_lo, s_lo)[0]
            lhi = libm.enclose_monotone("log", s_hi, s_hi)[1]
            out_lo = _down_f(c_lo + llo)
            out_hi = _up_f(c_hi + lhi)
        nan = ~np.isfinite(x.mid).all(axis=-1) | np.isnan(out_lo) | np.isnan(out_hi)
        unbounded = ~np.isfinite(x.rad).all(axis=-1)
        out_lo = np.where(unbounded, -INF, out_lo)
        out_hi = np.where(unbounded, INF, out_hi)
        return _from_interval(np.where(nan, np.nan, out_lo), np.where(nan, np.nan, out_hi))

    def to_float(self, a):
        a = as_b64(a)
        return float(a.mid) if a.ndim == 0 else a.mid.copy()

    def bounds(self, x):
        """Exact rational endpoints: (lo, hi) Fractions of a scalar, or two object arrays of Fractions for an
        array (mid ∓ rad, exact). A non-finite ball raises :class:`UncertifiedValueError`."""
        x = as_b64(x)
        if x.ndim == 0:
            return x.exact_bounds()
        if not x.is_finite():
            raise UncertifiedValueError("a float64 ball with an infinite radius (overflow, NaN or a possible pole) "
                                        "encloses nothing useful; use arith='ball' at a higher precision")
        if x.size and not np.minimum.reduce(x.rad, axis=None) >= 0:
            raise UncertifiedValueError("a float64 ball array with a negative radius is corrupt")
        lo = np.empty(x.shape, dtype=object)
        hi = np.empty(x.shape, dtype=object)
        for idx in np.ndindex(*x.shape):
            m, r = Fraction(float(x.mid[idx])), Fraction(float(x.rad[idx]))
            lo[idx], hi[idx] = m - r, m + r
        return lo, hi

    eigen_method = "float64-ball eigenvalue enclosures (Weyl/Ostrowski bounds around a float eigendecomposition)"

    def symmetric_eigenvalue_bounds(self, H) -> list[tuple[Fraction, Fraction]]:
        """Eigenvalue enclosures of a symmetric float64-ball matrix without a characteristic polynomial (Weyl and
        isolated Gershgorin discs around a float eigendecomposition: :func:`.linalg64.symmetric_eigenvalues`)."""
        from .linalg64 import symmetric_eigenvalues

        return symmetric_eigenvalues(as_b64(H))

    def certainly_outside(self, u, kind: str) -> bool:
        """Is every point of some ball of ``u`` outside the domain ``kind`` (``pos``/``nonneg``/``nonzero``)?"""
        u = as_b64(u)
        lo, hi = endpoints(u)
        if kind == "pos":
            return bool(np.any(hi <= 0))
        if kind == "nonneg":
            return bool(np.any(hi < 0))
        return bool(np.any((u.mid == 0) & (u.rad == 0)))


_BLAS_OK: dict = {}


def check_float_environment() -> None:
    """Raise :class:`~verify.errors.EnclosureError` unless float64 arithmetic rounds to nearest with gradual
    underflow — in numpy (:func:`verify.arith.libm.check_fp_environment`, every call) and in BLAS matrix products
    (probed once per process): a BLAS kernel that flushed subnormal products to zero would lose up to
    2⁻¹⁰²² per product, beyond the n·η/2 that the matrix-product radius allows for underflow."""
    from . import libm

    libm.check_fp_environment()
    key = None  # one probe per process (the BLAS library does not change once loaded)
    ok = _BLAS_OK.get(key)
    if ok is None:
        # subnormal products 2^-1022·2^-k (exact) inside length-64 dot products, and one rounded product among
        # exact zeros ((1 + 2^-52)² = 1 + 2^-51 + 2^-104 rounds to nearest 1 + 2^-51, in every summation order):
        # a flush-to-zero or a directed-rounding kernel changes the result
        a = np.full((3, 64), 2.0**-1022)
        b = np.diag(2.0 ** -np.arange(1, 65))[:, :3].copy()
        want = np.zeros((3, 3))
        want[:, 0], want[:, 1], want[:, 2] = 2.0**-1023, 2.0**-1024, 2.0**-1025
        x = np.zeros((2, 64))
        x[0, 17], x[1, 17] = 1.0 + 2.0**-52, -(1.0 + 2.0**-52)
        c = x @ x[0]
        ok = _BLAS_OK[key] = bool(np.array_equal(a @ b, want)) and c.tolist() == [1.0 + 2.0**-51, -(1.0 + 2.0**-51)]
    if not ok:
        from ..errors import EnclosureError

        raise EnclosureError("the BLAS library flushes subnormal numbers to zero (or does not round to nearest): "
                             "float64 ball matrix products would not be rigorous; use arith='ball'")


def _rational_brackets(b: Fraction):
    """Floats lo ≤ b ≤ hi (equal when b is a float64 number; ±inf/±max beyond the float range)."""
    try:
        f = float(b)
    except OverflowError:
        big = float(np.finfo(float).max)
        return (big, INF) if b > 0 else (-INF, -big)
    if Fraction(f) == b:
        return f, f
    return float(np.nextafter(f, -INF)), float(np.nextafter(f, INF))


def _float_neighbours(b: Fraction):
    """(least float > b, greatest float < b)."""
    try:
        f = float(b)
    except OverflowError:
        big = float(np.finfo(float).max)
        return (INF, big) if b > 0 else (-big, -INF)
    q = Fraction(f)
    if q == b:
        return float(np.nextafter(f, INF)), float(np.nextafter(f, -INF))
    if q > b:
        return f, float(np.nextafter(f, -INF))
    return float(np.nextafter(f, INF)), f


_ARITH = Ball64Arithmetic()

__all__ = ["B64", "Ball64Arithmetic", "as_b64", "endpoints", "b64_matmul", "b64_sum", "U", "ETA"]
