"""``"ball64"``: vectorised float64 midpoint-radius balls with rigorous rounding-error bounds.

A value is a :class:`B64` array: two float64 arrays ``mid`` and ``rad`` (``rad ≥ 0``, possibly ``+inf``) such
that the true value of every entry lies in ``[mid − rad, mid + rad]`` — for every point of the input balls.
It is the first rung of the precision ladder (see ``docs/arithmetics.md``): certified like ``"ball"`` (Arb), at
a few times the cost of plain float64 because every operation is one numpy/BLAS call on whole arrays.

How rounding is accounted for (numpy offers no directed rounding; IEEE binary64, round to nearest):

* one operation: |fl(a∘b) − a∘b| ≤ u·|fl(a∘b)| + η with u = 2⁻⁵³, η = 2⁻¹⁰⁷⁴ (the η covers underflow);
* a sum or dot product of n terms in any order (pairwise, blocked BLAS, FMA): |fl(Σ) − Σ| ≤ γₙ Σ|terms| + n·η,
  γₙ = nu/(1 − nu) (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §3.1 and §3.5);
* a matrix product of balls (Rump, "Fast and parallel interval arithmetic", BIT 39 (1999) 534–554): the
  midpoint is fl(mA·mB) and the radius bounds |mA|·rB + rA·(|mB| + rB) + γₙ|mA||mB| + n·η, itself computed
  in float64 and then inflated by :func:`_up`, which bounds the rounding of a chain of k operations on
  nonnegative numbers: the true value is at most (x̃ + kη)(1 + 2(k+2)u);
* endpoints are rounded outward with ``np.nextafter``; elementary functions are enclosed through
  :mod:`verify.arith.libm` (an ulp bound for numpy's implementation, measured against mpmath by the tests,
  plus a margin) at the endpoints of each ball, using monotonicity;
* anything not finite — an overflow, a NaN, a ball meeting a pole — gives an infinite radius, never a wrong
  finite ball. Certified decisions read exact rational endpoints (:meth:`Ball64Arithmetic.bounds`), so a
  non-finite ball is refused there (:class:`~verify.errors.UncertifiedValueError`).

>>> from fractions import Fraction
>>> from verify.arith import get_arith
>>> a = get_arith("ball64")
>>> x = a.const(Fraction(1, 3))
>>> lo, hi = a.bounds(x)
>>> lo <= Fraction(1, 3) <= hi and hi - lo < Fraction(1, 10**15)
True
"""

from __future__ import annotations

from fractions import Fraction
from numbers import Integral

import numpy as np

from ..errors import ArithmeticNotSupportedError, InputError, NonFiniteError, ShapeError, UncertifiedValueError
from .base import Arithmetic

U = 2.0**-53
ETA = 2.0**-1074
INF = np.inf


def _up(x, k: int):
    """An upper bound of the exact value of a chain of ≤ k roundings of nonnegative numbers computed as ``x``:
    (x + kη)(1 + 2(k+2)u), itself rounded (each rounding loses at most a factor (1 − u), which the 2(k+2)
    covers: (1 + 2(k+2)u)(1 − u)² ≥ (1 + u)^k for k < 10¹³)."""
    return (x + k * ETA) * (1.0 + 2.0 * (k + 2) * U)


def _gamma(n: int) -> float:
    """A float upper bound of γₙ = nu/(1 − nu); refuses absurd sizes (nu ≥ 1/100)."""
    if n * U >= 0.01:
        raise InputError(f"a sum of {n} terms is beyond the float64 ball arithmetic's error analysis")
    return (n * U / (1.0 - n * U)) * (1.0 + 1e-6)


def _down_f(x):
    return np.nextafter(x, -INF)


def _up_f(x):
    return np.nextafter(x, INF)


def _clean(m, r):
    """Radii of entries with a non-finite midpoint or radius become +inf (NaN radii too)."""
    ok = np.isfinite(m) & (r <= INF)  # NaN fails both
    if ok.all():
        return m, r
    return m, np.where(ok & np.isfinite(r), r, INF)


def _from_interval(lo, hi):
    """The ball [mid ± rad] enclosing [lo, hi] (float arrays, lo ≤ hi; NaN → infinite radius)."""
    with np.errstate(invalid="ignore", over="ignore"):
        m = 0.5 * lo + 0.5 * hi
        r = _up_f(np.maximum(hi - m, m - lo))
    bad = ~(np.isfinite(lo) & np.isfinite(hi))
    if bad.any():
        m = np.where(bad & ~np.isfinite(m), 0.0, m)
        r = np.where(bad, INF, r)
    return B64(*_clean(m, r))


class B64:
    """An array of float64 balls: ``mid`` and ``rad`` float64 arrays of one shape (a 0-d array is a scalar).

    Supports the numpy operations the toolkit's models use (``+ − * /``, indexing, reshape, transpose,
    ``np.concatenate``, ``np.stack`` …); every arithmetic result is a rigorous enclosure (module docstring).
    Comparisons are not defined: read :meth:`Ball64Arithmetic.bounds` (exact rational endpoints) instead."""

    __slots__ = ("mid", "rad")
    __array_priority__ = 1000

    def __init__(self, mid, rad=None):
        mid = np.asarray(mid, dtype=float)
        rad = np.zeros(mid.shape) if rad is None else np.asarray(rad, dtype=float)
        if rad.shape != mid.shape:
            rad = np.broadcast_to(rad, mid.shape).copy()
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
        key = _plain_key(key)
        return B64(self.mid[key], self.rad[key])

    def __setitem__(self, key, value):
        key = _plain_key(key)
        v = as_b64(value)
        self.mid[key] = v.mid
        self.rad[key] = v.rad

    def reshape(self, *shape):
        return B64(self.mid.reshape(*shape), self.rad.reshape(*shape))

    def transpose(self, *axes):
        return B64(self.mid.transpose(*axes), self.rad.transpose(*axes))

    @property
    def T(self):
        return B64(self.mid.T, self.rad.T)

    def copy(self):
        return B64(self.mid.copy(), self.rad.copy())

    def ravel(self):
        return B64(self.mid.ravel(), self.rad.ravel())

    flatten = ravel

    def swapaxes(self, a, b):
        return B64(self.mid.swapaxes(a, b), self.rad.swapaxes(a, b))

    def tolist(self):
        if self.ndim == 0:
            return self
        return [v.tolist() for v in self]

    def fill(self, value):
        v = as_b64(value)
        self.mid.fill(float(v.mid))
        self.rad.fill(float(v.rad))

    def sum(self, axis=None, keepdims=False):
        return b64_sum(self, axis=axis, keepdims=keepdims)

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other):
        o = _coerce(other)
        return NotImplemented if o is None else b64_add(self, o)

    def __radd__(self, other):
        o = _coerce(other)
        return NotImplemented if o is None else b64_add(o, self)

    def __sub__(self, other):
        o = _coerce(other)
        return NotImplemented if o is None else b64_add(self, -o)

    def __rsub__(self, other):
        o = _coerce(other)
        return NotImplemented if o is None else b64_add(o, -self)

    def __neg__(self):
        return B64(-self.mid, self.rad)

    def __pos__(self):
        return self

    def __mul__(self, other):
        o = _coerce(other)
        return NotImplemented if o is None else b64_mul(self, o)

    def __rmul__(self, other):
        o = _coerce(other)
        return NotImplemented if o is None else b64_mul(o, self)

    def __truediv__(self, other):
        o = _coerce(other)
        return NotImplemented if o is None else b64_mul(self, b64_inv(o))

    def __rtruediv__(self, other):
        o = _coerce(other)
        return NotImplemented if o is None else b64_mul(o, b64_inv(self))

    def __pow__(self, n):
        if isinstance(n, Integral) and not isinstance(n, bool):
            n = int(n)
            return b64_ipow(self, n) if n >= 0 else b64_inv(b64_ipow(self, -n))
        return NotImplemented

    def __abs__(self):
        lo, hi = endpoints(self)
        mig = np.where(lo > 0, lo, np.where(hi < 0, -hi, 0.0))
        mag = np.maximum(-lo, hi)
        return _from_interval(*_nan_keep(mig, mag, self))

    def __matmul__(self, other):
        o = _coerce(other)
        return NotImplemented if o is None else b64_matmul(self, o)

    def __rmatmul__(self, other):
        o = _coerce(other)
        return NotImplemented if o is None else b64_matmul(o, self)

    def __bool__(self):
        raise UncertifiedValueError("a float64 ball has no truth value; compare its exact endpoints "
                                    "(get_arith('ball64').bounds(x)) instead")

    def __eq__(self, other):  # noqa: D105 - identity only: balls are not compared with ==
        raise UncertifiedValueError("float64 balls are not compared with ==; use their exact endpoints")

    __hash__ = None

    def exact_bounds(self):
        """(lo, hi): the exact rational endpoints mid ∓ rad of a scalar ball (see :meth:`Ball64Arithmetic.bounds`)."""
        if self.ndim:
            raise ShapeError(f"exact_bounds() of a {self.shape} array: use get_arith('ball64').bounds(x)")
        if not self.is_finite():
            raise UncertifiedValueError("a float64 ball with an infinite radius (overflow, NaN or a possible pole) "
                                        "encloses nothing useful; use arith='ball' at a higher precision")
        m, r = Fraction(float(self.mid)), Fraction(float(self.rad))
        return m - r, m + r

    # ------------------------------------------------------------------ ball helpers (the arb names)
    def is_finite(self) -> bool:
        return bool(np.isfinite(self.mid).all() and np.isfinite(self.rad).all())

    def lower(self):
        return B64(endpoints(self)[0])

    def upper(self):
        return B64(endpoints(self)[1])

    def nonnegative_part(self):
        """A ball enclosing x ∩ [0, ∞) (its lower end clipped at 0)."""
        lo, hi = endpoints(self)
        return _from_interval(*_nan_keep(np.maximum(lo, 0.0), np.maximum(hi, 0.0), self))

    def union(self, other):
        o = as_b64(other)
        lo1, hi1 = endpoints(self)
        lo2, hi2 = endpoints(o)
        return _from_interval(np.minimum(lo1, lo2), np.maximum(hi1, hi2))

    # numpy: binary operators with an ndarray on the left come here (not elementwise into object arrays)
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and not kwargs:
            table = {np.add: "__add__", np.subtract: "__sub__", np.multiply: "__mul__",
                     np.true_divide: "__truediv__", np.matmul: "__matmul__"}
            if ufunc in table and len(inputs) == 2:
                left = inputs[0] if isinstance(inputs[0], B64) else _coerce(inputs[0])
                if left is None:
                    return NotImplemented
                return getattr(left, table[ufunc])(inputs[1])
            if ufunc is np.negative:
                return -inputs[0]
        if method == "at" and ufunc is np.add:
            target, idx, vals = inputs
            b64_add_at(target, idx, as_b64(vals))
            return None
        return NotImplemented

    def __array_function__(self, func, types, args, kwargs):
        impl = _FUNCS.get(func)
        if impl is None:
            return NotImplemented
        return impl(*args, **kwargs)


def _plain_key(key):
    """Index keys made of B64 are not meaningful; everything else (ints, slices, int arrays) passes."""
    return key


def _nan_keep(lo, hi, x):
    bad = ~np.isfinite(x.rad) | ~np.isfinite(x.mid)
    if bad.any():
        lo = np.where(bad, -INF, lo)
        hi = np.where(bad, INF, hi)
    return lo, hi


def endpoints(x: B64):
    """Float arrays (lo, hi) with lo ≤ every point of the ball ≤ hi (rounded outward; ±inf if not finite)."""
    with np.errstate(over="ignore", invalid="ignore"):
        lo = _down_f(x.mid - x.rad)
        hi = _up_f(x.mid + x.rad)
    bad = ~(np.isfinite(x.rad) & np.isfinite(x.mid))
    if bad.any():
        lo = np.where(bad, -INF, lo)
        hi = np.where(bad, INF, hi)
    return lo, hi


def _coerce(x):
    """A B64 for a B64, a float/int array or number, a Fraction; None for anything else."""
    if isinstance(x, B64):
        return x
    if isinstance(x, np.ndarray) and x.dtype.kind in "fiub":
        return B64(x.astype(float))
    if isinstance(x, float | np.floating):
        return B64(np.float64(x))
    if isinstance(x, Integral) and not isinstance(x, bool):
        return _rational_ball(Fraction(int(x)))
    if isinstance(x, Fraction):
        return _rational_ball(x)
    if isinstance(x, np.ndarray) and x.dtype == object:
        return _object_array_ball(x)
    name = type(x).__name__
    if type(x).__module__.startswith("flint") and name in ("fmpq", "fmpz"):
        return _rational_ball(Fraction(int(x.p), int(x.q)) if name == "fmpq" else Fraction(int(x)))
    return None


def as_b64(x) -> B64:
    b = _coerce(x)
    if b is None:
        raise InputError(f"cannot use a {type(x).__name__} in float64 ball arithmetic")
    return b


def _rational_ball(q: Fraction) -> B64:
    """The ball of float64s closest to the exact rational q: mid = float(q), rad ≥ |q − mid| (0 if exact);
    beyond the float range: an infinite radius."""
    try:
        m = float(q)
    except OverflowError:
        return B64(np.float64(0.0), np.float64(INF))
    if not np.isfinite(m):
        return B64(np.float64(0.0), np.float64(INF))
    err = abs(q - Fraction(m))
    if err == 0:
        return B64(np.float64(m))
    r = float(err)  # nearest: may be below err by half an ulp, so step up once (or to the tiniest subnormal)
    r = float(np.nextafter(r, INF)) if r > 0 else ETA
    return B64(np.float64(m), np.float64(r))


def _object_array_ball(arr) -> B64:
    mid = np.empty(arr.shape)
    rad = np.empty(arr.shape)
    for idx, v in np.ndenumerate(arr):
        b = _coerce(v)
        if b is None or b.ndim:
            raise InputError(f"cannot use a {type(v).__name__} in float64 ball arithmetic")
        mid[idx], rad[idx] = b.mid, b.rad
    return B64(mid, rad)


# ====================================================================== operations
def b64_add(a: B64, b: B64) -> B64:
    with np.errstate(over="ignore", invalid="ignore"):
        m = a.mid + b.mid
        r = _up(a.rad + b.rad + U * np.abs(m), 3)
    return B64(*_clean(m, r))


def b64_mul(a: B64, b: B64) -> B64:
    with np.errstate(over="ignore", invalid="ignore"):
        m = a.mid * b.mid
        r = _up(np.abs(a.mid) * b.rad + a.rad * (np.abs(b.mid) + b.rad) + U * np.abs(m), 8)
    return B64(*_clean(m, r))


def b64_inv(b: B64) -> B64:
    """1/x over the ball; a ball that may contain 0 gives an infinite radius."""
    lo, hi = endpoints(b)
    pos, neg = lo > 0, hi < 0
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        # 1/x is decreasing on each side of 0: [1/hi, 1/lo], rounded outward
        ilo = _down_f(1.0 / hi)
        ihi = _up_f(1.0 / lo)
    ok = pos | neg
    ilo = np.where(ok, ilo, -INF)
    ihi = np.where(ok, ihi, INF)
    return _from_interval(ilo, ihi)


def _mul_down_up(lo1, hi1, lo2, hi2):
    """[lo1, hi1]·[lo2, hi2] rounded outward (endpoint products)."""
    with np.errstate(over="ignore", invalid="ignore"):
        c = np.stack([lo1 * lo2, lo1 * hi2, hi1 * lo2, hi1 * hi2])
    c = np.where(np.isnan(c), 0.0, c)  # 0·inf: the product of 0 with an unbounded end is 0 … bounded below
    return _down_f(c.min(axis=0)), _up_f(c.max(axis=0))


def b64_ipow(x: B64, n: int) -> B64:
    """x**n for an integer n ≥ 0, tight also for balls containing 0 (x**n is monotone on |x| for even n, on x
    for odd n): binary powering of the endpoints, rounded outward at every product."""
    if n == 0:
        return B64(np.ones(x.shape))
    if n == 1:
        return x
    lo, hi = endpoints(x)
    if n % 2 == 0:
        a = np.where(lo > 0, lo, np.where(hi < 0, -hi, 0.0))
        b = np.maximum(-lo, hi)
    else:
        a, b = lo, hi
    pa = _pow_bounds(a, n)
    pb = _pow_bounds(b, n)
    out_lo, out_hi = pa[0], pb[1]
    return _from_interval(*_nan_keep(out_lo, out_hi, x))


def _pow_bounds(t, n):
    """(lower, upper) bounds of t**n for float arrays t (t ≥ 0 when n is even; monotone)."""
    lo_acc, hi_acc = np.ones(t.shape), np.ones(t.shape)
    blo, bhi = t.copy(), t.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        while n:
            if n & 1:
                lo_acc, hi_acc = _mul_down_up(lo_acc, hi_acc, blo, bhi)
            n >>= 1
            if n:
                blo, bhi = _mul_down_up(blo, bhi, blo, bhi)
    return lo_acc, hi_acc


def b64_matmul(a: B64, b: B64) -> B64:
    """Rump's midpoint-radius matrix product (module docstring), three BLAS products (two when a or b is exact)."""
    am, ar, bm, br = a.mid, a.rad, b.mid, b.rad
    if am.ndim != 2 or bm.ndim != 2:
        return _batched_matmul(a, b)
    n = am.shape[1]
    if bm.shape[0] != n:
        raise ShapeError(f"matrix product of shapes {am.shape} and {bm.shape}")
    g = _gamma(n + 2)
    with np.errstate(over="ignore", invalid="ignore"):
        m = am @ bm
        abs_a = np.abs(am)
        inner = br + g * np.abs(bm) + ETA  # rB + γ|mB| (+η for its own underflow)
        r = abs_a @ inner
        if ar.any():
            r = r + ar @ (np.abs(bm) + br)
        r = _up(r, n + 8)
    return B64(*_clean(m, r))


def _batched_matmul(a, b):
    if a.ndim < 2 or b.ndim < 2 or a.ndim != b.ndim:
        raise ShapeError(f"float64 ball matmul of shapes {a.shape} and {b.shape}")
    lead = a.shape[:-2]
    out = [b64_matmul(a[i], b[i]) for i in np.ndindex(*lead)]
    m = np.stack([o.mid for o in out]).reshape(*lead, a.shape[-2], b.shape[-1])
    r = np.stack([o.rad for o in out]).reshape(*lead, a.shape[-2], b.shape[-1])
    return B64(m, r)


def b64_sum(x: B64, axis=None, keepdims=False) -> B64:
    """Σ over ``axis`` with γₙ·Σ|mid| for the rounding of any summation order."""
    n = x.size if axis is None else (x.shape[axis] if not isinstance(axis, tuple)
                                     else int(np.prod([x.shape[i] for i in axis])))
    if n == 0:
        shape = np.sum(x.mid, axis=axis, keepdims=keepdims).shape
        return B64(np.zeros(shape))
    g = _gamma(n + 2)
    with np.errstate(over="ignore", invalid="ignore"):
        m = np.sum(x.mid, axis=axis, keepdims=keepdims)
        r = np.sum(x.rad + g * np.abs(x.mid), axis=axis, keepdims=keepdims)
        r = _up(r, n + 6)
    return B64(*_clean(np.asarray(m), np.asarray(r)))


def b64_add_at(target: B64, idx, vals: B64) -> None:
    """``np.add.at(target, idx, vals)`` in place: the midpoints accumulate in float64, and each position's
    radius receives the radii plus γ_k (k = the number of terms added there) times the sum of |terms|."""
    vals_m = np.broadcast_to(vals.mid, target.mid[idx].shape) if vals.ndim == 0 else vals.mid
    vals_r = np.broadcast_to(vals.rad, target.mid[idx].shape) if vals.ndim == 0 else vals.rad
    count = np.zeros(target.shape)
    absacc = np.abs(target.mid).copy()
    with np.errstate(over="ignore", invalid="ignore"):
        np.add.at(count, idx, 1.0)
        np.add.at(absacc, idx, np.abs(vals_m))
        np.add.at(target.mid, idx, vals_m)
        np.add.at(target.rad, idx, vals_r)
        kmax = int(count.max()) if count.size else 0
        g = _gamma(kmax + 3)
        target.rad[...] = _up(target.rad + g * absacc, kmax + 6)
    target.mid[...], target.rad[...] = _clean(target.mid, target.rad)


# ---------------------------------------------------------------------- numpy functions on B64
def _mids_rads(seq):
    bs = [as_b64(s) for s in seq]
    return [b.mid for b in bs], [b.rad for b in bs]


def _concatenate(seq, axis=0, **kw):
    m, r = _mids_rads(seq)
    return B64(np.concatenate(m, axis=axis), np.concatenate(r, axis=axis))


def _stack(seq, axis=0, **kw):
    m, r = _mids_rads(seq)
    return B64(np.stack(m, axis=axis), np.stack(r, axis=axis))


def _unary(fn):
    def f(x, *args, **kw):
        x = as_b64(x)
        return B64(fn(x.mid, *args, **kw), fn(x.rad, *args, **kw))

    return f


def _empty_like(x, *a, **kw):
    return B64(np.zeros(np.shape(x.mid)))


def _take_along_axis(x, idx, axis):
    return B64(np.take_along_axis(x.mid, idx, axis), np.take_along_axis(x.rad, idx, axis))


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
    return B64(np.where(cond, xb.mid, yb.mid), np.where(cond, xb.rad, yb.rad))


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
def _func(name):
    from . import libm

    def f(x):
        x = as_b64(x)
        lo, hi = endpoints(x)
        flo, fhi = libm.enclose_monotone(name, lo, hi)
        bad = np.isnan(flo) | np.isnan(fhi)
        if bad.any():
            flo = np.where(bad, -INF, flo)
            fhi = np.where(bad, INF, fhi)
        return _from_interval(flo, fhi)

    f.__name__ = f"ball64_{name}"
    return f


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
    """A lower bound of Σ over the last axis of nonnegative floats (k terms): fl(Σ)(1 − γ) rounded down."""
    g = _gamma(k + 2)
    return np.maximum(_down_f(np.sum(t, axis=-1, keepdims=True) * (1.0 - 2.0 * g)) - k * ETA, 0.0)


def _rowwise(x):
    """A B64 whose entries are non-finite where some entry of their row (last axis) is."""
    bad = ~(np.isfinite(x.mid) & np.isfinite(x.rad)).all(axis=-1, keepdims=True)
    return B64(np.zeros(x.shape), np.where(np.broadcast_to(bad, x.shape), INF, 0.0))


_FUNC_NAMES = ("exp", "log", "tanh", "sinh", "cosh", "sin", "cos", "atan", "sqrt", "erf", "log1p", "expm1")


class Ball64Arithmetic(Arithmetic):
    """Float64 balls on whole arrays (:class:`B64`); certified. See the module docstring."""

    name = "ball64"
    certified = True
    dtype = object
    bytes_per_entry = 16  # a mid and a radius
    array_native = True

    def __init__(self, prec=None):
        super().__init__(None)
        self._funcs = {}

    def key(self):
        return (self.name, None)

    def const(self, q: Fraction):
        return _rational_ball(Fraction(q))

    def _native(self, x):
        return isinstance(x, B64)

    def from_input(self, x, what="value"):
        if isinstance(x, B64):
            if x.ndim:
                raise ShapeError(f"{what} is an array, expected a number")
            if not x.is_finite():
                raise NonFiniteError(f"{what} is a non-finite ball {x}")
            return x
        return super().from_input(x, what)

    def array(self, values, what="array"):
        if isinstance(values, B64):
            if not values.is_finite():
                raise NonFiniteError(f"{what} holds a non-finite ball")
            return values
        if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
            from ..numbers import check_finite_float_array

            return B64(check_finite_float_array(values, what=what).astype(float))
        obj = super().array(values, what)  # an object array of 0-d B64s
        return _object_array_ball(obj)

    def from_fractions(self, arr):
        return _object_array_ball(np.asarray(arr, dtype=object))

    def zeros(self, shape):
        return B64(np.zeros(shape))

    def ones(self, shape):
        return B64(np.ones(shape))

    def eye(self, n):
        return B64(np.eye(n))

    def broadcast(self, r, shape):
        """The ball array of ``shape`` whose entries are the ball(s) ``r`` (numpy broadcasting)."""
        r = as_b64(r)
        return B64(np.broadcast_to(r.mid, shape).copy(), np.broadcast_to(r.rad, shape).copy())

    def endpoints(self, x):
        """Float arrays (lo, hi) bounding every entry (rounded outward; ±inf where not finite)."""
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
        x = as_b64(x)
        if q.denominator == 1:
            n = q.numerator
            return b64_ipow(x, n) if n >= 0 else b64_inv(b64_ipow(x, -n))
        from . import libm

        lo, hi = endpoints(x)
        if q < 0:
            return b64_inv(self.pow_rational(x, -q))
        fq = float(q)
        if Fraction(fq) != q:
            raise ArithmeticNotSupportedError(f"x**({q}): the exponent is not a float64 number; use arith='ball'")
        flo, fhi = libm.enclose_monotone("power", np.maximum(lo, 0.0), np.maximum(hi, 0.0), q=fq)
        neg = lo < 0
        if neg.any():  # a ball reaching below 0: not real there
            flo = np.where(neg, -INF, flo)
            fhi = np.where(neg, INF, fhi)
        return _from_interval(flo, fhi)

    def side(self, x, b):
        x = as_b64(x)
        lo, hi = endpoints(x)
        if x.ndim:
            raise ShapeError("side() takes one ball; use sides() for arrays")
        blo, bhi = _rational_brackets(Fraction(b))
        if not np.isfinite(lo) or not np.isfinite(hi):
            return None
        if hi < blo:
            return -1
        if lo > bhi:
            return 1
        if blo == bhi and x.rad == 0 and x.mid == blo:
            return 0
        return None

    def sides(self, x, b) -> np.ndarray:
        """Vectorised :meth:`side`: an int array of −1/+1 (certainly below/above b), 0 (exactly b) and 2
        (undecided)."""
        x = as_b64(x)
        lo, hi = endpoints(x)
        blo, bhi = _rational_brackets(Fraction(b))
        out = np.full(x.shape, 2, dtype=int)
        out[hi < blo] = -1
        out[lo > bhi] = 1
        if blo == bhi:
            out[(x.rad == 0) & (x.mid == blo)] = 0
        return out

    def union(self, a, b):
        return as_b64(a).union(b)

    def softmax_last(self, x):
        """softmax over the last axis, enclosed over the whole box: softmax_i is increasing in x_i and decreasing in
        every x_j (j ≠ i), so it lies between its values at two opposite corners of the box (exact endpoints,
        exponentials enclosed by :mod:`verify.arith.libm`, sums of nonnegative numbers rounded outward)."""
        x = as_b64(x)
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
        return _from_interval(*_nan_keep(low, high, _rowwise(x)))

    def logsumexp_last(self, x):
        """log Σ_j exp x_j over the last axis: increasing in every x_j, so between its values at the lower and the
        upper corner; computed as c + log Σ exp(x_j − c) with an exact float shift c."""
        x = as_b64(x)
        lo, hi = endpoints(x)
        c = np.max(hi, axis=-1)
        k = x.shape[-1]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            s_lo = _sum_down(_exp_lower(_down_f(lo - c[..., None])), k)[..., 0]
            s_hi = _sum_up(_exp_upper(_up_f(hi - c[..., None])), k)[..., 0]
            from . import libm

            llo = libm.enclose_monotone("log", s_lo, s_lo)[0]
            lhi = libm.enclose_monotone("log", s_hi, s_hi)[1]
            out_lo = _down_f(c + llo)
            out_hi = _up_f(c + lhi)
        bad = ~np.isfinite(x.rad).all(axis=-1) | ~np.isfinite(x.mid).all(axis=-1)
        return _from_interval(np.where(bad, -INF, out_lo), np.where(bad, INF, out_hi))

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
        lo = np.empty(x.shape, dtype=object)
        hi = np.empty(x.shape, dtype=object)
        for idx in np.ndindex(*x.shape):
            m, r = Fraction(float(x.mid[idx])), Fraction(float(x.rad[idx]))
            lo[idx], hi[idx] = m - r, m + r
        return lo, hi

    def certainly_outside(self, u, kind: str) -> bool:
        """Is every point of some ball of ``u`` outside the domain ``kind`` (``pos``/``nonneg``/``nonzero``)?"""
        lo, hi = endpoints(as_b64(u))
        if kind == "pos":
            return bool(np.any(hi <= 0))
        if kind == "nonneg":
            return bool(np.any(hi < 0))
        return bool(np.any((lo == 0) & (hi == 0)))


def _rational_brackets(b: Fraction):
    """Floats lo ≤ b ≤ hi (equal when b is a float64 number)."""
    f = float(b)
    if Fraction(f) == b:
        return f, f
    return float(np.nextafter(f, -INF)), float(np.nextafter(f, INF))


__all__ = ["B64", "Ball64Arithmetic", "as_b64", "endpoints", "b64_matmul", "b64_sum", "U", "ETA"]
