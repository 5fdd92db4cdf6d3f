"""``"ball"``: python-flint ``arb`` balls at ``prec`` bits. Certified: every value is an enclosure
(midpoint ± radius) of the exact result for *every* point of the input balls.

Large matrix products go through ``arb_mat`` (C code); elementwise work uses object arrays.
"""

from __future__ import annotations

import os
from fractions import Fraction

import numpy as np
from flint import arb, arb_mat, ctx, fmpq

from ..errors import InputError, NonFiniteError
from .base import Arithmetic

_MATMUL_FLINT_MIN = 4


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


def _monotone_hull(f):
    """Enclosure of an increasing function f over a ball: hull of f at its two (exact) endpoints."""

    def g(x):
        if x.is_exact() or not x.is_finite() or x.rel_accuracy_bits() > 20:
            return f(x)  # a narrow ball: Arb's own propagation is already tight
        direct = f(x)
        hull = f(x.lower()).union(f(x.upper()))
        return hull if hull.rad() < direct.rad() else direct

    return g


class BallArithmetic(Arithmetic):
    name = "ball"
    certified = True
    bytes_per_entry = 96

    def __init__(self, prec=128):
        super().__init__(128 if prec is None else prec)

    def context(self):
        return _ArbPrec(self.prec)

    def const(self, q: Fraction):
        if q.denominator == 1:
            return arb(q.numerator)
        return arb(fmpq(q.numerator, q.denominator))

    def from_input(self, x, what="value"):
        if type(x) is arb:
            if not x.is_finite():
                raise NonFiniteError(f"{what} is a non-finite ball {x}")
            return x
        return super().from_input(x, what)

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
        if q.denominator == 1:
            n = q.numerator
            return int_power(x, n) if n >= 0 else arb(1) / int_power(x, -n)
        return x ** fmpq(q.numerator, q.denominator)

    def matmul(self, a, b):
        if min(a.shape[0], a.shape[1], b.shape[1]) < _MATMUL_FLINT_MIN:
            return a @ b
        m = arb_mat(a.tolist()) * arb_mat(b.tolist())
        flat = m.entries()  # np.fromiter is ~5x faster than slice assignment for 10^6 objects
        return np.fromiter(flat, dtype=object, count=len(flat)).reshape(a.shape[0], b.shape[1])

    def matmul_symmetric(self, a, b):
        """a @ b known to be symmetric: only the blocks on and above the diagonal are multiplied (in
        arb_mat, ~5/8 of the work with 4 × 4 blocks) and the rest mirrored. Each mirrored entry is an
        enclosure of the same true value, so the result is valid."""
        p = a.shape[0]
        if p < 256 or b.shape[1] != p:
            return self.matmul(a, b)
        k = 4
        cuts = [p * i // k for i in range(k + 1)]
        out = np.empty((p, p), dtype=object)
        for i in range(k):
            ri = slice(cuts[i], cuts[i + 1])
            Ai = a[ri]
            for j in range(i, k):
                cj = slice(cuts[j], cuts[j + 1])
                blk = self.matmul(Ai, b[:, cj])
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


def _point_power(e: arb, n: int) -> arb:
    """e**n for an exact ball ``e`` by binary powering (each product a tight enclosure)."""
    out, base = arb(1), e
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
