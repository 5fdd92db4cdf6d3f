"""``"ball"``: python-flint ``arb`` balls at ``prec`` bits. Certified: every value is an enclosure
(midpoint ± radius) of the exact result for *every* point of the input balls.

Large matrix products go through ``arb_mat`` (C code); elementwise work uses object arrays.
"""

from __future__ import annotations

import functools
import itertools
import operator
import os
import threading
from fractions import Fraction

import numpy as np
from flint import arb, arb_mat, ctx, fmpq

from ..errors import InputError, NonFiniteError
from .base import Arithmetic

#: the cost of moving one ball into or out of an ``arb_mat`` (python-flint builds an ``arb`` object per entry,
#: ~100 ns) relative to one elementwise ball operation of numpy's object loops (~70 ns): a product goes to
#: ``arb_mat`` when its conversions cost less than the (2k − 1)·m·n operations of the object product (an outer
#: product, k = 1, never does; a 20 × 7 by 7 × 1 product does)
_CONVERT_COST = 1.25
#: FLINT multiplies an arb_mat product with m·k·n·prec above this on its thread pool (arb_mat_mul, when one
#: dimension is below its block cutoff); below it, classically on the calling thread
_FLINT_THREADED_WORK = 100_000
#: products with at most this many multiply-adds are split into row blocks small enough for FLINT's classical
#: kernel: starting the pool costs more than such a product (2 × 10 µs against ~12 ns per multiply-add at 128
#: bits), and far more when the other cores are busy
_SMALL_PRODUCT = 4096


_CPUS = max(1, min(2, os.cpu_count() or 1))


def _threads() -> int:
    """Threads for FLINT's matrix kernels: ``VERIFY_THREADS`` or min(2, CPU count). Enclosures are
    valid whatever the thread count (only radii can differ in the last bits)."""
    env = os.environ.get("VERIFY_THREADS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise InputError(f"VERIFY_THREADS must be a positive integer, got {env!r}") from None
    return _CPUS


class _ArbPrec:
    """Set python-flint's working precision (and thread count) for a block; restore the precision after."""

    def __init__(self, prec: int):
        self.prec = prec

    def __enter__(self):
        # setting ctx.threads costs ~0.1 ms (FLINT reconfigures its pool), so it is set when it differs
        # and left in place afterwards (the thread count never changes a result's validity)
        self.saved = ctx.prec
        if self.saved != self.prec:
            ctx.prec = self.prec
        threads = _threads()
        if ctx.threads != threads:
            ctx.threads = threads

    def __exit__(self, *exc):
        if ctx.prec != self.saved:
            ctx.prec = self.saved
        return False


#: increasing functions: on a wide ball the hull of the endpoint values is the tight image, while
#: Arb's mid-rad propagation can be several times wider (tanh on 0 ± 0.4 gave ± 0.85, not ± 0.38)
_MONOTONE = {"exp": arb.exp, "log": arb.log, "tanh": arb.tanh, "sinh": arb.sinh, "atan": arb.atan,
             "sqrt": arb.sqrt, "erf": arb.erf, "log1p": arb.log1p, "expm1": arb.expm1}


class _CheckedBalls(np.ndarray):
    """An object array of finite ``arb`` balls that the toolkit computed and checked itself (see
    :func:`checked_balls`). Views and slices keep the mark (their entries are checked); anything numpy *computes*
    from it — ufuncs (arithmetic), array functions (concatenate, where, …) — is a plain array again, to be checked
    like any other."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = tuple(x.view(np.ndarray) if isinstance(x, _CheckedBalls) else x for x in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(x.view(np.ndarray) if isinstance(x, _CheckedBalls) else x for x in kwargs["out"])
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        def plain(x):
            if isinstance(x, _CheckedBalls):
                return x.view(np.ndarray)
            if isinstance(x, list | tuple):
                return type(x)(plain(v) for v in x)
            return x

        return func(*plain(args), **{k: plain(v) for k, v in kwargs.items()})


def checked_balls(values: np.ndarray) -> np.ndarray:
    """``values`` — an object array whose entries the caller knows to be finite ``arb`` balls (a GD iterate after the
    run's own finiteness test) — marked so that :meth:`BallArithmetic.array` copies it without checking every entry
    again. Only for arrays of the toolkit's own making: an unchecked array must not be marked."""
    return values.view(_CheckedBalls)


#: per-entry C methods mapped over object arrays by numpy (no Python frame per entry)
_REL_BITS = np.frompyfunc(arb.rel_accuracy_bits, 1, 1)
_IS_FINITE = np.frompyfunc(arb.is_finite, 1, 1)
_RAD = np.frompyfunc(arb.rad, 1, 1)
_LOWER = np.frompyfunc(arb.lower, 1, 1)
_UPPER = np.frompyfunc(arb.upper, 1, 1)
_ABS_LOWER = np.frompyfunc(arb.abs_lower, 1, 1)
_ABS_UPPER = np.frompyfunc(arb.abs_upper, 1, 1)
_UNION = np.frompyfunc(arb.union, 2, 1)
#: a ball with more relative accuracy than this is "narrow": Arb's own propagation is tight on it
_NARROW_BITS = 20


def _wide(x: np.ndarray) -> np.ndarray:
    """Mask of the entries of an object array of balls that are not narrow (relative accuracy ≤ 20 bits; an
    exact ball has unbounded accuracy, a NaN or an infinite radius none)."""
    return _REL_BITS(x) <= _NARROW_BITS


class _MonotoneHull:
    """Enclosure of an increasing function f over a ball: hull of f at its two (exact) endpoints when that is
    tighter than Arb's propagation (wide balls), else f itself. ``array(xs)`` maps a whole object array: one
    C call of f per entry, and the hull only for the (rare) wide entries."""

    __slots__ = ("f", "each")

    def __init__(self, f):
        self.f = f
        self.each = np.frompyfunc(f, 1, 1)

    def __call__(self, x):
        f = self.f
        if x.is_exact() or not x.is_finite() or x.rel_accuracy_bits() > _NARROW_BITS:
            return f(x)  # a narrow ball: Arb's own propagation is already tight
        direct = f(x)
        hull = f(x.lower()).union(f(x.upper()))
        return hull if hull.rad() < direct.rad() else direct

    def array(self, xs: np.ndarray):
        """``self`` on every entry (the same operations per entry, numpy's object loops calling Arb's methods): f
        everywhere, then for the finite wide entries the hull of f at the endpoints where its radius is smaller."""
        if xs.ndim == 0:
            return self(xs[()])
        out = self.each(xs)
        if xs.size:
            self.tighten(xs, out)
        return out

    def tighten(self, xs: np.ndarray, out: np.ndarray, wide: np.ndarray | None = None) -> None:
        """Given ``out`` = f(xs) entrywise, replace (in place) the results at the finite wide entries of xs by the
        endpoint hull where that is tighter (``wide``: the mask :func:`_wide` of xs, if already computed)."""
        wide = _wide(xs) if wide is None else wide.copy()
        if wide.any():
            wide &= _IS_FINITE(xs).astype(bool)  # a NaN or infinite ball keeps f's own (non-finite) result
            if wide.any():
                w, direct = xs[wide], out[wide]
                hull = _UNION(self.each(_LOWER(w)), self.each(_UPPER(w)))
                tighter = np.asarray(_RAD(hull) < _RAD(direct), dtype=bool)
                out[wide] = np.where(tighter, hull, direct)


def _monotone_hull(f):
    """Enclosure of an increasing function f over a ball (see :class:`_MonotoneHull`)."""
    return _MonotoneHull(f)


class BallArithmetic(Arithmetic):
    """``"ball"``: python-flint ``arb`` balls (midpoint ± radius) at ``prec`` bits (default 128) in object arrays.
    Certified: every value encloses the exact result for every point of the input balls (Arb's rigorous error
    propagation, https://arblib.org; docs/theory/validated_numerics.md), so decisions on the exact endpoints
    (:meth:`bounds`, :mod:`verify.arith.decide`) give PROVED / REFUTED; a ball too wide to decide gives
    INCONCLUSIVE, and the precision ladder (:mod:`verify.arith.ladder`) retries at a higher ``prec``.

    >>> from fractions import Fraction
    >>> from verify.arith import get_arith
    >>> a = get_arith("ball", 64)
    >>> lo, hi = a.bounds(a.func("tanh")(a.const(Fraction(1, 2))))
    >>> lo < Fraction(4621171572600097, 10**16) < hi   # tanh(1/2) = 0.46211715726000974…
    True
    """

    name = "ball"
    certified = True
    balls = True
    #: peak memory of a dense result (a Hessian) over the memory of its stored entries, measured with
    #: resource.getrusage (RSS) at 128 bits: MLPs with 2 weight layers 0.61–0.83 (the symmetric product shares
    #: the mirrored blocks' balls), 3 layers 1.0–1.26, 4 layers 1.42–1.55, 5 and 7 layers 1.35 and 1.15, a
    #: convolutional network through the layer-graph engine 1.66 at p = 2,450 (see
    #: :func:`verify.models.objective.check_dense_size`)
    #: one hidden neuron (every entry a distinct ball, a temporary copy while summing): 2.18 at p = 1,501 (tanh and
    #: ReLU) — hence 2.5 in general
    dense_copies = 2.5
    dense_copies_by_layers = {2: 0.8, 3: 1.25}

    def __init__(self, prec=128):
        super().__init__(128 if prec is None else prec)
        self._mats = _MatCache()

    def __getstate__(self):  # the conversion cache (arb_mat, a lock) stays in this process
        state = dict(self.__dict__)
        state.pop("_mats", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._mats = _MatCache()

    @property
    def bytes_per_entry(self) -> int:
        """Bytes held per entry of an object array of distinct balls: the 8-byte array slot, python-flint's 72-byte
        ``arb`` object in pymalloc's 80-byte block (a midpoint of ≤ 2 limbs, i.e. prec ≤ 128, is stored inline),
        and above 128 bits the heap block of the midpoint's ⌈prec/64⌉ limbs (glibc: 8-byte header, 16-byte
        granularity, 32 bytes at least). 88 bytes at 128 bits, 136 at 256."""
        limbs = -(-self.prec // 64)
        heap = 0 if limbs <= 2 else max(32, (8 * limbs + 8 + 15) // 16 * 16)
        return 88 + heap

    def context(self):
        return _ArbPrec(self.prec)

    def const(self, q: Fraction):
        """The ball of q at this arithmetic's precision, inside or outside :meth:`context` (python-flint rounds a
        non-dyadic rational at its global precision: 1/3 built at the default 53 bits would be a valid but 2**75
        times wider ball than at 128)."""
        if q.denominator == 1:
            return arb(q.numerator)
        if ctx.prec == self.prec:
            return arb(fmpq(q.numerator, q.denominator))
        with _ArbPrec(self.prec):
            return arb(fmpq(q.numerator, q.denominator))

    def from_input(self, x, what="value"):
        if type(x) is arb:
            if not x.is_finite():
                raise NonFiniteError(f"{what} is a non-finite ball {x}")
            return x
        return super().from_input(x, what)

    def array(self, values, what="array"):
        """As :meth:`Arithmetic.array`; an object array whose entries are all ``arb`` (the toolkit's own balls:
        iterates of a run, boxes) is checked for finiteness in one pass and copied, not converted entry by entry
        — :meth:`from_input` takes such entries as they are, so the result is the same. An array marked by
        :func:`checked_balls` (finite balls the caller has checked itself) is copied without any check."""
        if type(values) is _CheckedBalls:
            return values.view(np.ndarray).copy()
        if type(values) is np.ndarray and values.dtype == object and values.size:
            flat = values.reshape(-1)
            if set(map(type, flat)) == {arb} and _IS_FINITE(flat).all():
                return values.copy()
        return super().array(values, what)

    def vectorize(self, f):
        """Map a scalar function over an object array; a function with a whole-array form (``f.array``, the
        monotone hulls) uses it."""
        whole = getattr(f, "array", None)
        if whole is None:
            return super().vectorize(f)
        return lambda x: whole(x) if isinstance(x, np.ndarray) else f(x)

    @property
    def eigen_method(self) -> str:
        return f"Arb eigenvalue enclosures at {self.prec} bits"

    def symmetric_eigenvalue_bounds(self, H) -> list[tuple[Fraction, Fraction]]:
        """Eigenvalue enclosures of a symmetric ball matrix by Arb's certified eigensolver
        (:func:`verify.arith.eigen.ball_eigen_enclosures`), read as exact endpoints."""
        from .eigen import ball_eigen_enclosures

        return [ball_bounds(e) for e in ball_eigen_enclosures(np.asarray(H, dtype=object), self.prec)]

    def piece_kernel(self, expr, var, order: int):
        """tanh(z) and its first ≤ 2 derivatives with one ``arb.tanh`` per entry (:func:`_tanh_kernel`)."""
        import sympy as sp

        if order <= 2 and expr == sp.tanh(var):
            return _tanh_kernel(order)
        return None

    def func(self, name):
        if name == "pi":
            return arb.pi()
        if name == "E":
            return arb(1).exp()
        if name in _MONOTONE:
            return _monotone_hull(_MONOTONE[name])
        table = {"cosh": arb.cosh, "sin": arb.sin, "cos": arb.cos, "tan": arb.tan}
        if name in table:
            return table[name]
        return super().func(name)

    def pow_rational(self, x, q):
        """An enclosure of x**q: integer powers by :func:`int_power` (tighter than repeated products of a ball
        containing 0), other exponents by Arb's ``arb ** fmpq``; arrays entrywise (:meth:`pow_rational_array`)."""
        if isinstance(x, np.ndarray):
            return self.pow_rational_array(x, q)
        if q.denominator == 1:
            n = q.numerator
            return int_power(x, n) if n >= 0 else arb(1) / int_power(x, -n)
        return x ** fmpq(q.numerator, q.denominator)

    def pow_rational_array(self, x: np.ndarray, q: Fraction):
        """x**q entrywise on an object array of balls: the same enclosure per entry as :meth:`pow_rational`
        (integer powers by :func:`int_power_array`)."""
        if x.ndim == 0:
            return self.pow_rational(x[()], q)
        if q.denominator == 1:
            n = q.numerator
            return int_power_array(x, n) if n >= 0 else arb(1) / int_power_array(x, -n)
        return x ** fmpq(q.numerator, q.denominator)

    def matmul(self, a, b):
        m, k = a.shape
        n = b.shape[1]
        if min(m, k, n) == 0 or (m * k + k * n + m * n) * _CONVERT_COST >= (2 * k - 1) * m * n:
            return a @ b  # numpy's object loop: 2k − 1 ball operations per entry, no conversions
        right = self._mats.get(b)
        if m * k * n <= _SMALL_PRODUCT and ctx.threads > 1:
            rows = _FLINT_THREADED_WORK // (k * n * ctx.prec)
            if 1 <= rows < m:  # row blocks, each below FLINT's threading threshold (same products per entry)
                return np.concatenate([_unpack(_to_arb_mat(a[i:i + rows]) * right) for i in range(0, m, rows)])
        return _unpack(self._mats.get(a) * right)

    def matmul_symmetric(self, a, b):
        """a @ b known to be symmetric: only the blocks on and above the diagonal are multiplied (in
        arb_mat, (k + 1)/(2k) of the work with k × k blocks) and the rest mirrored; each block row of a and
        block column of b is converted to ``arb_mat`` once. Each mirrored entry is an enclosure of the same true
        value, so the result is valid."""
        p = a.shape[0]
        if p < 256 or b.shape[1] != p or a.shape[1] < 2:
            return self.matmul(a, b)
        k = max(4, min(16, p // 64))
        cuts = [p * i // k for i in range(k + 1)]
        rows = [_to_arb_mat(a[cuts[i]:cuts[i + 1]]) for i in range(k)]
        cols = [_to_arb_mat(b[:, cuts[j]:cuts[j + 1]]) for j in range(k)]
        out = np.empty((p, p), dtype=object)
        for i in range(k):
            ri = slice(cuts[i], cuts[i + 1])
            for j in range(i, k):
                cj = slice(cuts[j], cuts[j + 1])
                blk = _unpack(rows[i] * cols[j])
                out[ri, cj] = blk
                if j != i:
                    out[cj, ri] = blk.T
        return out

    def side(self, x, b):
        if b == 0:
            lo, hi = x.lower(), x.upper()
            if hi < 0:
                return -1
            if lo > 0:
                return 1
            return 0 if (lo == 0 and hi == 0) else None
        d = x - self.const(b)
        if d.upper() < 0:
            return -1
        if d.lower() > 0:
            return 1
        return 0 if d.is_exact() and d.is_zero() else None

    def union(self, a, b):
        return a.union(b)

    def to_float(self, a):
        conv = lambda v: float(v.mid())  # noqa: E731
        if np.ndim(a) == 0:
            return conv(a)
        return np.vectorize(conv, otypes=[float])(a) if a.size else np.zeros(a.shape)


def _point_power(e, n: int, one=None):
    """e**n for an exact ball ``e`` (or entrywise for an object array of them, starting from ``one``) by binary
    powering (each product a tight enclosure)."""
    out, base = (arb(1) if one is None else one), e
    while n:
        if n & 1:
            out = out * base
        n >>= 1
        if n:
            base = base * base
    return out


def int_power(x: arb, n: int) -> arb:
    """An enclosure of {t**n : t ∈ x} for an integer n ≥ 0, tight also for balls containing 0.

    python-flint 0.9's ``arb.__pow__`` goes through exp(n·log x): it returns ``nan`` for a ball
    containing 0 and a needlessly wide ball for a negative one. t ↦ t**n is monotone on [lo, hi]
    for odd n and on [|x|_lo, |x|_hi] for even n, so the image is the hull of the endpoint powers.
    """
    if n == 0:
        return arb(1)
    if n == 1:
        return x
    if x.is_exact() or x.rel_accuracy_bits() > 20:
        return _point_power(x, n)  # exact, or narrow and away from 0: products are already tight
    if n % 2 == 0:
        lo, hi = x.abs_lower(), x.abs_upper()
    else:
        lo, hi = x.lower(), x.upper()
    return _point_power(lo, n).union(_point_power(hi, n))


def int_power_array(x: np.ndarray, n: int) -> np.ndarray:
    """:func:`int_power` entrywise on an object array of balls (n ≥ 0): binary powering of the whole array
    (numpy's object loop calls ``arb.__mul__``; the same products as :func:`_point_power`), then the endpoint
    hull of :func:`int_power` for the wide entries."""
    if n == 0:
        out = np.empty(x.shape, dtype=object)
        out.fill(arb(1))
        return out
    if n == 1:
        return x
    out, base, m = None, x, n
    while m:
        if m & 1:
            out = base if out is None else out * base
        m >>= 1
        if m:
            base = base * base
    if x.size:
        wide = _wide(x)
        if wide.any():  # int_power's endpoint hull, on the wide entries at once
            w = x[wide]
            lo, hi = (_ABS_LOWER(w), _ABS_UPPER(w)) if n % 2 == 0 else (_LOWER(w), _UPPER(w))
            out[wide] = _UNION(_point_power_array(lo, n), _point_power_array(hi, n))
    return out


def _point_power_array(e: np.ndarray, n: int) -> np.ndarray:
    """:func:`_point_power` entrywise (the same products, starting from 1)."""
    one = np.empty(e.shape, dtype=object)
    one.fill(arb(1))
    return _point_power(e, n, one)


#: arrays of at most this many entries are remembered by :class:`_MatCache` (larger conversions are cheap next to
#: their products), and this many of them
_CACHE_MAX_ENTRIES = 4096
_CACHE_SIZE = 16


class _MatCache:
    """The ``arb_mat`` conversions of the last few (small, C-contiguous) object arrays, found again by identity.

    A network's forward and backward passes multiply the same arrays twice (ĥ_{l−1} by W̃_lᵀ, then δz_lᵀ by ĥ_{l−1});
    converting costs about as much as the product itself. A remembered conversion is used only if the array is the
    same object holding the same ball objects (compared by identity with a private copy of its entries; python-flint
    balls are immutable), so it is exactly the matrix a fresh conversion would build. The cache holds references to
    at most ``_CACHE_SIZE`` arrays of ≤ ``_CACHE_MAX_ENTRIES`` entries."""

    __slots__ = ("items", "lock")

    def __init__(self):
        self.items: list = []  # (array, private copy of its entries, arb_mat), the most recent last
        self.lock = threading.Lock()

    def get(self, a: np.ndarray) -> arb_mat:
        if a.size > _CACHE_MAX_ENTRIES:
            return _to_arb_mat(a)
        if a.flags.c_contiguous:
            return self._get(a)
        b = a.base  # a = bᵀ (e.g. δzᵀ after δz): the transpose of b's matrix, in C
        if (a.ndim == 2 and type(b) is np.ndarray and b.ndim == 2 and b.flags.c_contiguous
                and b.shape == a.shape[::-1] and a.strides == b.strides[::-1]):
            return self._get(b).transpose()
        return _to_arb_mat(a)

    def _get(self, a: np.ndarray) -> arb_mat:
        with self.lock:
            items = self.items
            for n, (arr, saved, mat) in enumerate(items):
                if arr is a:
                    del items[n]
                    if a.shape == saved.shape and all(map(operator.is_, a.flat, saved.flat)):
                        items.append((arr, saved, mat))
                        return mat
                    break
        mat = _to_arb_mat(a)
        with self.lock:
            items.append((a, a.copy(), mat))
            if len(items) > _CACHE_SIZE:
                del items[0]
        return mat


@functools.lru_cache(maxsize=128)
def _index_pairs(r: int, c: int) -> tuple:
    """The index pairs (i, j) of an r × c matrix in row-major order (kept for small shapes)."""
    return tuple(itertools.product(range(r), range(c)))


def _pairs(r: int, c: int):
    return _index_pairs(r, c) if r * c <= _CACHE_MAX_ENTRIES else itertools.product(range(r), range(c))


def _to_arb_mat(a: np.ndarray) -> arb_mat:
    """An object array of balls (2-D) as an ``arb_mat``. Entries are stored one by one with ``m[i, j] = v``
    (``arb_mat.__setitem__`` copies an ``arb`` as it is; the constructor ``arb_mat(r, c, entries)`` builds a
    temporary ``arb`` per entry first, ~1.5× the work)."""
    r, c = a.shape
    m = arb_mat(r, c)
    for ij, v in zip(_pairs(r, c), a.flat):
        m[ij] = v
    return m


def _unpack(m: arb_mat) -> np.ndarray:
    """An ``arb_mat`` as a 2-D object array of its entries (np.fromiter is ~5x faster than slice assignment for
    10^6 objects)."""
    r, c = m.nrows(), m.ncols()
    return np.fromiter(map(m.__getitem__, _pairs(r, c)), dtype=object, count=r * c).reshape(r, c)


def ball_bounds(x: arb) -> tuple[Fraction, Fraction]:
    """[mid − rad, mid + rad] of a ball as exact rationals (no rounding to python-flint's print precision)."""
    from ..numbers import to_fraction

    m, r = to_fraction(x.mid()), to_fraction(x.rad())
    return m - r, m + r


def radius_array(a: np.ndarray) -> np.ndarray:
    """Upper bounds of the radii of a ball array, as floats."""
    return np.vectorize(lambda v: float(v.rad()), otypes=[float])(a) if a.size else np.zeros(a.shape)


def contains(a, value) -> bool:
    """Does the ball ``a`` contain ``value`` (arb, mpf, float, int or Fraction)?

    Numbers are compared exactly (|value − mid| ≤ rad in rational arithmetic), independent of
    python-flint's working precision; an ``arb`` value must lie wholly inside ``a``.
    """
    from ..errors import NonFiniteError
    from ..numbers import to_fraction

    if isinstance(value, arb):
        return bool(a.contains(value))
    if not a.is_finite():
        return False
    try:
        q = to_fraction(value)
    except NonFiniteError:
        return False
    return abs(q - to_fraction(a.mid())) <= to_fraction(a.rad())


def _endpoint(v: arb, upper: bool) -> arb:
    return v.upper() if upper else v.lower()


def softmax_row(row) -> list:
    """Enclosures of softmax(x)_i = exp x_i / Σ_j exp x_j for a list of balls x, valid for every point of the box.

    The direct ball evaluation loses the sign of wide sums (a union of exp over a wide ball has a radius rounded
    up past its tiny lower end, and the quotient turns into NaN). softmax_i is increasing in x_i and decreasing
    in every x_j (j ≠ i), so over the box it lies between its values at the two opposite corners, which are
    evaluated on exact endpoints. The tighter of the two enclosures is returned."""
    exps = [v.exp() for v in row]
    s = sum(exps[1:], exps[0])
    direct = [e / s for e in exps]
    if all(d.is_finite() and d.rad() < 2.0**-40 for d in direct):
        return direct
    lo_e = [_endpoint(v, False).exp() for v in row]
    hi_e = [_endpoint(v, True).exp() for v in row]
    out = []
    for i in range(len(row)):
        low = lo_e[i] / (lo_e[i] + sum((hi_e[j] for j in range(len(row)) if j != i), arb(0)))
        high = hi_e[i] / (hi_e[i] + sum((lo_e[j] for j in range(len(row)) if j != i), arb(0)))
        corner = low.union(high)
        d = direct[i]
        out.append(d if d.is_finite() and d.rad() <= corner.rad() else corner)
    return out


def logsumexp_row(row) -> arb:
    """An enclosure of log Σ_j exp x_j over the box of balls ``row``: increasing in every x_j, so it lies between
    its values at the lower and the upper corner (exact endpoints); the tighter of that and the direct form."""
    exps = [v.exp() for v in row]
    direct = sum(exps[1:], exps[0]).log()
    if direct.is_finite() and direct.rad() < 2.0**-40:
        return direct
    lo = sum((_endpoint(v, False).exp() for v in row), arb(0)).log()
    hi = sum((_endpoint(v, True).exp() for v in row), arb(0)).log()
    corner = lo.union(hi)
    return direct if direct.is_finite() and direct.rad() <= corner.rad() else corner


def _tanh_kernel(order: int):
    """tanh and its first ``order`` ≤ 2 derivatives on a 1-D object array of balls, with one ``arb.tanh`` per entry:
    t = tanh(x), tanh' = 1 − t², tanh'' = −2·t·(1 − t²) (exact identities; every operation is an Arb enclosure of
    its exact result for every point of its operands, so each output encloses the derivative at every point of x).

    The same enclosures as the generic program of the three expressions (:func:`verify.arith.compile.compile_array`)
    up to the association of the last product: t is Arb's tanh, replaced at wide entries (relative accuracy ≤ 20
    bits) by the hull of tanh at the endpoints where tighter, and t² is the endpoint hull of
    :func:`verify.arith.ball.int_power_array` — except that without any wide x, t² is t·t without the per-entry
    width test (t = tanh x is then about as narrow as x: |tanh x| ≥ |x|·sech² x). Compared with the generic
    program on random, wide and boundary inputs: never wider."""
    hull = _MonotoneHull(arb.tanh)
    one, minus_two = arb(1), arb(-2)

    def run(xs):
        t = hull.each(xs)
        outs = [t]
        if order >= 1:
            wide = _wide(xs) if xs.size else None
            if wide is not None and wide.any():
                hull.tighten(xs, t, wide)
                square = int_power_array(t, 2)
            else:
                square = t * t
            outs.append(one - square)
        else:
            if xs.size:
                hull.tighten(xs, t)
        if order >= 2:
            outs.append(minus_two * (t * outs[1]))
        return outs

    return run
