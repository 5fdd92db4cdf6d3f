"""The ``"ball64"`` arithmetic (float64 midpoint-radius balls): every primitive, every catalogue activation and every
MLP quantity encloses the true value — checked EXACTLY with Fractions against exact rationals or mpmath at 256 bits
(≥ 4× the working precision) — at points and over boxes (sampled points of the box must lie in the enclosure);
ball64 and Arb (256 bits) enclosures intersect; adversarial inputs (subnormals, huge and tiny scales, cancellation,
saturated tanh/sigmoid, kinks, exact breakpoints, overflow/NaN → infinite radius, never a wrong finite ball);
hypothesis properties of the primitives."""

from __future__ import annotations

import math
from fractions import Fraction as F

import mpmath
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import verify as vf
from verify.arith import get_arith
from verify.arith.ball import ball_bounds
from verify.arith.ball64 import (
    B64,
    ETA,
    U,
    _dn,
    _from_interval,
    _gamma,
    _rational_ball,
    _up,
    _upx,
    as_b64,
    b64_matmul,
    b64_sum,
    endpoints,
)
from verify.errors import InputError, RegionBoundaryError, ShapeError, UncertifiedValueError
from verify.numbers import to_fraction

A64 = get_arith("ball64")
MP = get_arith("mp", 256)
ARB = get_arith("ball", 256)
MAXF = float(np.finfo(float).max)

CATALOGUE = ["relu", "leaky_relu(1/10)", "abs", "hardtanh", "identity", "power(2)", "power(3)", "relu_power(2)",
             "relu_power(3/2)", "relu_power(1/3)", "sigmoid", "tanh", "softplus"]


# ----------------------------------------------------------------------------- exact containment helpers
_HUGE, _TINY = F(2) ** 1100, F(ETA) / 2


def _q(v) -> F:
    """The exact rational value of a float, Fraction, mpf or exact arb — or a stand-in with the same order relations
    to every finite ball's endpoints (sums of two floats: multiples of η below 2**1025): beyond 2**1100, ±2**1100;
    a nonzero mpf below 2**-1100 in magnitude, ±η/2 (converting exp(±1e10) exactly would take minutes)."""
    if isinstance(v, F):
        return v
    if isinstance(v, mpmath.mpf) and v != 0 and mpmath.isfinite(v):
        e = int(mpmath.mag(v))
        if e > 1100:
            return _HUGE if v > 0 else -_HUGE
        if e < -1100:
            return _TINY if v > 0 else -_TINY
    return to_fraction(v)


def enclosure_failures(b, values, need_finite=False):
    """Indices where the ball array ``b`` does not contain the exact value (Fraction/mpf/float) at that index.
    An infinite radius contains everything (unless ``need_finite``); a finite ball must have rad ≥ 0."""
    b = as_b64(b)
    vals = np.asarray(values, dtype=object).reshape(b.shape) if b.ndim else np.asarray(values, dtype=object)
    bad = []
    for idx in np.ndindex(*b.shape):
        m, r = float(b.mid[idx]), float(b.rad[idx])
        if not (math.isfinite(m) and math.isfinite(r)):
            if need_finite:
                bad.append((idx, "not finite", m, r))
            continue
        assert r >= 0, (idx, r)
        v = _q(vals[idx] if b.ndim else vals[()])
        if not F(m) - F(r) <= v <= F(m) + F(r):
            bad.append((idx, m, r, float(v)))
    return bad


def assert_encloses(b, values, need_finite=False, what=""):
    bad = enclosure_failures(b, values, need_finite)
    assert not bad, f"{what}: {len(bad)} entries not enclosed, e.g. {bad[:3]}"


def assert_meets_arb(b, arb_values, what=""):
    """Each ball64 entry and the Arb enclosure of the same quantity intersect (exact endpoints)."""
    b = as_b64(b)
    vals = np.asarray(arb_values, dtype=object).reshape(b.shape)
    for idx in np.ndindex(*b.shape):
        m, r = float(b.mid[idx]), float(b.rad[idx])
        if not (math.isfinite(m) and math.isfinite(r)):
            continue
        lo, hi = ball_bounds(vals[idx])
        assert F(m) - F(r) <= hi and lo <= F(m) + F(r), (what, idx, m, r, float(lo), float(hi))


def mp_of(x):
    """An mpf (256 bits) of an exact Fraction/float."""
    q = _q(x)
    with mpmath.workprec(256):
        return mpmath.mpf(q.numerator) / q.denominator


def in_box(mid, rad, s):
    """The exact point mid + s·rad (Fraction arrays) of a box, s ∈ [−1, 1] dyadic."""
    return np.vectorize(lambda m, r: F(float(m)) + F(s) * F(float(r)), otypes=[object])(mid, rad)


def finite(b) -> bool:
    b = as_b64(b)
    return bool(np.isfinite(b.mid).all() and np.isfinite(b.rad).all())


# ============================================================================ primitives
def test_add_mul_div_enclose_exact_results_at_extreme_magnitudes():
    vals = [0.0, -0.0, 5e-324, -5e-324, 3 * 2.0**-1074, 2.0**-1022, 1e-300, 1e-150, 1 / 3, 1.0, 1e16, 1e150, 1e300,
            MAXF, -MAXF, -1e-310]
    for x in vals:
        for y in vals:
            a, b = B64(x), B64(y)
            qx, qy = F(x), F(y)
            assert_encloses(a + b, qx + qy, what=f"{x}+{y}")
            assert_encloses(a - b, qx - qy, what=f"{x}-{y}")
            assert_encloses(a * b, qx * qy, what=f"{x}*{y}")
            if y != 0:
                assert_encloses(a / b, qx / qy, what=f"{x}/{y}")
            else:
                assert not finite(a / b)  # a pole
            if abs(qx + qy) < MAXF / 2:
                assert finite(a + b)
            if abs(qx * qy) < MAXF / 2:
                assert finite(a * b)


def test_balls_with_radii_enclose_every_sampled_point():
    rng = np.random.default_rng(1)
    mids = np.concatenate([rng.standard_normal(20), [0.0, 1e-310, -2e-320, 1e200, -3e-200]])
    rads = np.concatenate([np.abs(rng.standard_normal(20)) * 10.0 ** rng.integers(-16, 1, 20), [1.0, 1e-320, 0.0,
                                                                                                  1e190, 1e-200]])
    a = B64(mids, rads)
    b = B64(mids[::-1].copy(), rads[::-1].copy())
    ops = [(lambda x, y: x + y), (lambda x, y: x - y), (lambda x, y: x * y)]
    for op in ops:
        out = op(a, b)
        for s in (F(-1), F(-1, 2), F(0), F(3, 4), F(1)):
            for t in (F(-1), F(1, 4), F(1)):
                xa, xb = in_box(mids, rads, s), in_box(mids[::-1], rads[::-1], t)
                assert_encloses(out, [op(p, q) for p, q in zip(xa, xb)])
    inv = 1 / a
    for s in (F(-1), F(0), F(1)):
        pts = in_box(mids, rads, s)
        assert_encloses(inv, [1 / p if p != 0 else F(0) for p in pts])  # entries containing 0 are infinite
    assert not finite(inv[20]) and finite(inv[21]) is False  # [0 ± 1], [1e-310 ± 1e-320]: 1/1e-310 overflows


def test_integer_powers_at_huge_and_tiny_magnitudes():
    xs = np.array([0.0, 1e-320, -1e-200, 1e-110, -1e-100, 1e-162, 1.5, -2.0, 1e100, -1e103, 1e154, 1e155, MAXF])
    for n in range(0, 8):
        p = B64(xs) ** n
        assert_encloses(p, [F(x) ** n for x in xs], what=f"x**{n}")
        small = [abs(F(x) ** n) < F(MAXF) / 4 for x in xs]
        assert all(finite(p[i]) for i in range(len(xs)) if small[i]), n
    for n in (1, 2, 3):
        p = B64(xs[1:9]) ** (-n)
        assert_encloses(p, [F(x) ** (-n) for x in xs[1:9]])
    # balls containing 0: even powers are nonnegative hulls, odd powers monotone
    z = B64(np.array([0.0, 0.5, -0.5]), np.array([1.0, 1.0, 2.0]))
    for n in (2, 3, 4, 5):
        p = z**n
        for s in (F(-1), F(-1, 2), F(0), F(1, 2), F(1)):
            assert_encloses(p, [q**n for q in in_box(z.mid, z.rad, s)])
        if n % 2 == 0:
            lo, hi = A64.bounds(p)
            assert all(v >= 0 for v in lo)  # the hull stays in [0, ∞)


def test_subnormal_and_underflowing_products_keep_their_error():
    tiny = B64(np.full(64, 3 * 2.0**-540))  # each product 9·2^-1080 < η/2 underflows to 0
    prod = tiny @ tiny
    assert float(prod.mid) == 0.0
    assert_encloses(prod, F(64) * F(3 * 2.0**-540) ** 2, need_finite=True)
    x = B64(np.array([2.0**-600, -(2.0**-560)]), np.array([2.0**-610, 0.0]))
    y = B64(np.array([2.0**-500, 2.0**-520]), np.array([0.0, 2.0**-530]))
    for s in (F(-1), F(1)):
        pa, pb = in_box(x.mid, x.rad, s), in_box(y.mid, y.rad, -s)
        assert_encloses(x * y, pa * pb)
        assert_encloses(x.reshape(1, 2) @ y.reshape(2, 1), [[pa[0] * pb[0] + pa[1] * pb[1]]])


def test_overflow_nan_and_inf_times_zero_give_infinite_radii():
    big = B64(np.array([1e200, -1e308, 1.0]))
    assert not finite((big * big)[:2]) and finite((big * big)[2])
    assert not finite((big + big)[1])
    nan = B64(np.array([np.nan, 1.0]))
    for out in (nan + 1, nan * 2, nan * nan, nan - nan, 1 / nan, nan**2, A64.func("tanh")(nan)):
        assert not np.isfinite(out.rad[0]) or not np.isfinite(out.mid[0])
    unbounded = B64(np.array([0.0]), np.array([np.inf]))
    zero = B64(np.array([0.0]))
    assert np.isinf((unbounded * zero).rad[0])  # 0·(any real) is 0, so also a finite ball would do; never NaN
    assert not np.isnan((unbounded * zero).rad[0])
    inf_mid = B64(np.array([np.inf]))
    assert np.isinf((inf_mid * zero).rad[0])  # inf·0 = NaN midpoint → infinite radius
    with pytest.raises(UncertifiedValueError):
        A64.bounds(inf_mid * zero)
    with pytest.raises(UncertifiedValueError):
        A64.bounds(B64(np.array([np.inf])) + 1)
    # a matrix product whose midpoint overflows while its radius formula stays finite
    mm = B64(np.array([[1e308, 1e308]])) @ B64(np.array([[10.0], [1.0]]))
    assert not finite(mm)
    # NaN radii are refused or become infinite, negative radii are refused
    assert np.isinf(B64(np.array([1.0]), np.array([np.nan])).rad[0])
    with pytest.raises(InputError):
        B64(np.array([1.0]), np.array([-1.0]))


def test_nan_marks_are_never_absorbed_by_bounded_functions():
    """A quantity that may not be a real number (log or sqrt of a ball reaching ≤ 0, 1/x at a ball containing
    0, an overflow) stays non-finite through tanh/atan/erf/sin, abs, squares, unions and clipping; an unbounded
    *real* (finite midpoint, infinite radius) is still enclosed by bounded functions."""
    x = B64(np.array([0.5, 0.0]), np.array([1.0, 1e-3]))
    marks = [A64.func("log")(x), A64.func("sqrt")(x - 0.75), 1 / x, B64(np.array([1e308])) * 10.0,
             A64.pow_rational(x, F(3, 2))]
    for mk in marks:
        bad = ~(np.isfinite(mk.mid) & np.isfinite(mk.rad))
        assert bad.any()
        for g in ("tanh", "atan", "erf", "sin", "cos", "exp"):
            out = A64.func(g)(mk)
            assert not (np.isfinite(out.mid) & np.isfinite(out.rad))[bad].any(), g
        for out in (abs(mk), mk**2, mk**3, mk.nonnegative_part(), mk.union(B64(np.zeros(mk.shape))),
                    A64.softmax_last(mk.reshape(1, -1)), A64.logsumexp_last(mk.reshape(1, -1))):
            assert not finite(out)
    unbounded = B64(np.array([0.0]), np.array([np.inf]))
    assert_encloses(A64.func("tanh")(unbounded), [F(1)], need_finite=True)
    assert_encloses(A64.func("atan")(unbounded), [F(-1)], need_finite=True)
    assert not finite(A64.func("exp")(unbounded))
    sm = A64.softmax_last(B64(np.array([[0.0, 1.0]]), np.array([[np.inf, 0.0]])))
    assert finite(sm) and A64.bounds(sm)[0][0, 0] <= 0 and A64.bounds(sm)[1][0, 0] >= 1
    import sympy as sp

    z = sp.Symbol("z", real=True)
    obj = vf.Objective.from_sympy(sp.tanh(sp.log(z)), [z])
    with pytest.raises(vf.errors.EnclosureError):  # a from_sympy objective refuses a non-finite enclosure, as in Arb
        obj.value(B64(np.array([0.5]), np.array([1.0])), "ball64")
    assert finite(obj.value([0.5], "ball64"))


def test_inputs_that_are_not_float64_numbers_are_enclosed():
    ld = np.array([np.longdouble(1) / 3, np.longdouble(2) ** -1070 / 3])
    assert_encloses(as_b64(ld), [F(*v.as_integer_ratio()) for v in ld], need_finite=True)
    big = np.array([2**53 + 1, -(2**62) - 1, 3], dtype=np.int64)
    assert_encloses(as_b64(big), [F(int(v)) for v in big], need_finite=True)
    assert_encloses(as_b64(np.array([2**64 - 1], dtype=np.uint64)), [F(2**64 - 1)], need_finite=True)
    assert_encloses(as_b64(2**1000 + 1), F(2**1000 + 1), need_finite=True)
    assert np.isinf(as_b64(2**1100).rad)
    assert_encloses(as_b64(mpmath.mpf(1) / 3), to_fraction(mpmath.mpf(1) / 3), need_finite=True)
    from flint import arb

    b = as_b64(arb(1) / 3)
    lo, hi = ball_bounds(arb(1) / 3)
    assert F(float(b.mid)) - F(float(b.rad)) <= lo and hi <= F(float(b.mid)) + F(float(b.rad))
    assert as_b64(np.float32(0.1)).mid == float(np.float32(0.1)) and as_b64(np.float32(0.1)).rad == 0
    with pytest.raises(InputError):
        as_b64("1")
    with pytest.raises(InputError):
        B64(np.ones(2)) + object()


def test_check_float_environment_refuses_a_flushing_blas(monkeypatch):
    from verify.arith import ball64 as mod
    from verify.errors import EnclosureError

    mod.check_float_environment()
    monkeypatch.setitem(mod._BLAS_OK, None, False)
    with pytest.raises(EnclosureError):
        A64.context()
    net = vf.MLP([1, 1], "identity")
    with pytest.raises(EnclosureError):
        vf.SquareLoss(net, vf.Dataset([[1]], [[1]])).value([1.0], "ball64")


def test_matmul_encloses_exact_products_with_cancellation_vectors_and_stacks():
    rng = np.random.default_rng(2)
    m = rng.standard_normal((4, 7))
    m[:, 0], m[:, 1], m[:, 2] = 1e16, 1.0, -1e16  # catastrophic cancellation in every row
    r = np.abs(rng.standard_normal((4, 7))) * 1e-12
    r[1] = 0.0
    b = rng.standard_normal((7, 3))
    b[0], b[2] = 1.0, 1.0
    rb = np.abs(rng.standard_normal((7, 3))) * 1e-9
    for R, RB in ((r, rb), (np.zeros_like(r), rb), (r, np.zeros_like(rb)), (np.zeros_like(r), np.zeros_like(rb))):
        A, B = B64(m, R), B64(b, RB)
        out = A @ B
        for s in (F(-1), F(0), F(1)):
            ea, eb = in_box(m, R, s), in_box(b, RB, -s)
            assert_encloses(out, ea.dot(eb), need_finite=True)
    v = B64(b[:, 0])
    assert (B64(m) @ v).shape == (4,) and (v @ B64(b)).shape == (3,) and (v @ v).shape == ()
    assert_encloses(B64(m) @ v, np.vectorize(F, otypes=[object])(m).dot(np.vectorize(F, otypes=[object])(b[:, 0])))
    assert_encloses(v @ v, sum(F(t) ** 2 for t in b[:, 0]))
    st3 = B64(rng.standard_normal((2, 3, 4))) @ B64(rng.standard_normal((2, 4, 5)))
    assert st3.shape == (2, 3, 5)
    with pytest.raises(ShapeError):
        B64(np.ones((2, 3))) @ B64(np.ones((2, 3)))
    # np.matmul / the arithmetic's matmul dispatch here, also with a float array on the left
    assert (np.ones((2, 4)) @ B64(np.ones((4, 3)))).shape == (2, 3)
    assert A64.matmul(np.ones((2, 4)), B64(np.ones((4, 3)))).shape == (2, 3)


def test_sum_over_axis_tuples_with_keepdims():
    rng = np.random.default_rng(3)
    m = rng.standard_normal((3, 4, 5)) * 10.0 ** rng.integers(-300, 300, (3, 4, 5))
    x = B64(m, np.abs(m) * 1e-10)
    ex = np.vectorize(F, otypes=[object])(m)
    for axis in (None, 0, 1, -1, (0, 2), (2, 0), (0, 1, 2), (-1, -2)):
        for keep in (False, True):
            out = b64_sum(x, axis=axis, keepdims=keep)
            want = np.sum(ex, axis=axis, keepdims=keep)
            assert out.shape == np.shape(want)
            assert_encloses(out, want)
    pts = np.array([1e16, 1.0, -1e16, 3.0, 1 / 3, 1e-5, -1e16, 1e16, 0.1])  # points: only rounding to cover
    for order in (pts, pts[::-1], np.sort(pts)):
        assert_encloses(B64(order).sum(), sum(F(t) for t in pts), need_finite=True)
        assert_encloses(B64(order.reshape(3, 3)).sum(axis=1), [sum(F(t) for t in row) for row in order.reshape(3, 3)])
    assert np.sum(x, axis=(0, 1)).shape == (5,)
    assert b64_sum(B64(np.zeros((0, 3))), axis=0).shape == (3,)
    huge = B64(np.array([MAXF, MAXF]))
    assert not finite(huge.sum())


def test_add_at_and_setitem_with_broadcasting_and_repeated_indices():
    t = B64(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.0, 0.1, 0.0, 0.0]))
    vals = B64(np.array([1 / 3, 1e16, -1e16, 0.1]), np.array([1e-3, 0.0, 0.0, 0.0]))
    np.add.at(t, np.array([0, 0, 0, 1]), vals)
    assert_encloses(t, [F(1) + F(1 / 3) + F(1e16) - F(1e16), F(2) + F(0.1), F(3), F(4)])
    assert t.rad[2] == 0 and t.rad[3] == 0  # untouched entries keep their (exact) radius
    assert t.rad[0] >= 1e-3
    np.add.at(t, np.array([2, 2]), B64(np.float64(0.5)))  # a scalar broadcast to every index
    assert_encloses(t[2], F(4))
    H = A64.zeros((3, 4))
    H[:, 1] = B64(np.float64(1.0), np.float64(0.5))
    H[0] = np.arange(4.0)
    H[np.array([2, 2]), np.array([3, 3])] = B64(np.array([7.0, 8.0]), np.array([0.0, 1.0]))
    assert H.rad[1, 1] == 0.5 and H.mid[0, 2] == 2.0 and H.rad[0, 1] == 0.0
    assert (H.mid[2, 3], H.rad[2, 3]) in ((8.0, 1.0), (7.0, 0.0))  # one of the writes, mid and rad together
    H[1:, :2] += B64(np.ones((2, 2)), np.ones((2, 2)))
    assert H.rad[1, 0] >= 1.0 and H.mid[2, 0] == 1.0
    before = (float(H.mid[1, 1]), float(H.rad[1, 1]))
    assert before[1] > 0
    neg, pos, cp = -H, +H, H.copy()
    for other in (neg, pos, cp):
        other[1, 1] = 5.0  # an exact value over an entry with a radius
    assert (float(H.mid[1, 1]), float(H.rad[1, 1])) == before  # −H, +H and copies are new arrays, not views


def test_from_interval_and_endpoints_edge_cases():
    lo = np.array([-np.inf, 0.0, 1.0, np.nan, -1.0, 5e-324, -1e308, 1.0])
    hi = np.array([0.0, np.inf, 0.5, 1.0, np.nan, 5e-324, 1e308, 1.0])
    b = _from_interval(lo, hi)
    assert np.isinf(b.rad[:5]).all()
    assert np.isfinite(b.mid[:2]).all()  # infinite ends: an unbounded real
    assert np.isnan(b.mid[2:5]).all()  # lo > hi (an empty interval) and NaN: NaN marks
    assert_encloses(b[5:], [F(5e-324), F(1e308), F(1)])
    assert finite(b[5:])  # hi − lo = 2e308 overflows, (hi − lo)/2 does not
    assert_encloses(b[6], F(-1e308))
    assert not finite(_from_interval(np.array([-MAXF]), np.array([MAXF])))  # the radius itself overflows
    e_lo, e_hi = endpoints(B64(np.array([1.0, 0.0, 1 / 3, 5e-324, 1.0, np.nan, np.inf]),
                               np.array([0.0, 0.0, 1e-17, 0.0, np.inf, 1.0, 0.0])))
    assert (e_lo[0], e_hi[0], e_lo[1], e_hi[1], e_lo[3]) == (1.0, 1.0, 0.0, 0.0, 5e-324)  # points are exact
    assert F(e_lo[2]) <= F(1 / 3) - F(1e-17) and F(e_hi[2]) >= F(1 / 3) + F(1e-17)
    assert e_lo[4] == -np.inf and e_hi[4] == np.inf  # an unbounded real
    assert np.isnan(e_lo[5:]).all() and np.isnan(e_hi[5:]).all()  # non-finite midpoints: NaN marks
    assert not np.isnan(e_lo[:5]).any() and not np.isnan(e_hi[:5]).any()


@pytest.mark.parametrize("q", [F(1, 3), F(-2, 3), F(2**2000), -F(2**1100, 3), F(1, 2**2000), -F(1, 2**1080),
                               F(3, 2**1075), F(2**1024 - 2**970), F(2**1024 - 2**971), F(10**400 + 1, 10**400),
                               F(1, 10**320), F(2**60 + 1), F(0)])
def test_rational_ball_of_huge_and_tiny_rationals(q):
    b = _rational_ball(q)
    if abs(q) >= 2**1024 - 2**970:  # rounds to ±inf: infinite radius
        assert np.isinf(b.rad)
        return
    assert_encloses(b, q, need_finite=True)
    lo, hi = b.exact_bounds()
    assert hi - lo <= 2 * max(abs(q) * F(U), F(ETA)) + 2 * F(ETA)  # at most about one ulp wide
    assert A64.const(q).exact_bounds() == (lo, hi)


def test_side_and_sides_with_irrational_looking_rationals_and_exact_breakpoints():
    third = F(1, 3)
    f3 = 1 / 3  # the float nearest 1/3 lies below it
    assert F(f3) < third
    pts = np.array([f3, np.nextafter(f3, 1), np.nextafter(f3, 0), 0.0, 5e-324, -5e-324, 1.0])
    assert A64.sides(B64(pts), third).tolist() == [-1, 1, -1, -1, -1, -1, 1]
    assert A64.sides(B64(pts), F(0)).tolist() == [1, 1, 1, 0, 1, -1, 1]
    assert [A64.side(B64(p), third) for p in pts] == [-1, 1, -1, -1, -1, -1, 1]
    assert A64.side(B64(0.0), 0) == 0 and A64.side(B64(5e-324), 0) == 1 and A64.side(B64(-0.0), 0) == 0
    # balls: decided on exact endpoints (1/3 − f3 ≈ 1.85e-17)
    balls = B64(np.array([f3, f3, 0.0, 1e-300, 1.0]), np.array([1e-17, 2e-17, 5e-324, 1e-300, 1.0]))
    assert A64.sides(balls, third).tolist()[:2] == [-1, 2]
    assert A64.sides(balls, F(0)).tolist() == [1, 1, 2, 2, 2]
    assert A64.side(balls[1], third) is None and A64.side(balls[0], third) == -1
    assert A64.sides(B64(np.array([np.nan, 1.0]), np.array([0.0, np.inf])), F(0)).tolist() == [2, 2]
    assert A64.sides(B64(np.array([1e300])), F(2**2000)).tolist() == [-1]


def test_elementary_functions_enclose_mpmath_at_256_bits():
    xs = np.array([0.0, 5e-324, -1e-310, 1e-200, 0.1, -0.5, 1.0, 2.5, -3.0, 20.0, 40.5, -40.5, 100.0, -700.0, 709.5,
                   710.0, 1e10, -1e10])
    rads = np.array([0.0, 0.0, 0.0, 1e-210, 1e-3, 0.25, 0.0, 1e-15, 2.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    x = B64(xs, rads)
    fns = {"exp": mpmath.exp, "tanh": mpmath.tanh, "atan": mpmath.atan, "sinh": mpmath.sinh, "expm1": mpmath.expm1,
           "erf": mpmath.erf, "cosh": mpmath.cosh, "sin": mpmath.sin, "cos": mpmath.cos}
    domain = {"log": (mpmath.log, lambda t: t > 0), "sqrt": (mpmath.sqrt, lambda t: t >= 0),
              "log1p": (mpmath.log1p, lambda t: t > -1)}
    with mpmath.workprec(256):
        for name, f in fns.items():
            out = A64.func(name)(x)
            for s in (F(-1), F(-1, 2), F(0), F(1, 4), F(1)):
                pts = in_box(xs, rads, s)
                assert_encloses(out, [f(mp_of(p)) for p in pts], what=name)
            moderate = (np.abs(xs) + rads < 700) if name in ("exp", "sinh", "cosh", "expm1") else np.ones(len(xs), bool)
            assert finite(out[moderate]), name
        for name, (f, ok) in domain.items():
            out = A64.func(name)(x)
            for s in (F(-1), F(0), F(1)):
                pts = in_box(xs, rads, s)
                for i, p in enumerate(pts):
                    if ok(p):
                        assert_encloses(out[i], f(mp_of(p)), what=name)
            inside = np.array([ok(F(m) - F(r)) for m, r in zip(xs, rads)])
            assert finite(out[inside]), name  # exact points at the domain's edge (sqrt(0), log(η)) stay finite
    assert float(A64.func("tanh")(B64(np.array([41.0]))).mid[0]) == 1.0
    assert not finite(A64.func("log")(B64(np.array([0.0, -1.0]))))


@pytest.mark.parametrize("q", [F(3, 2), F(1, 3), F(5, 3), F(-1, 2), F(7, 5)])
def test_rational_powers_enclose_mp_and_accept_clipped_balls(q):
    xs = np.array([0.0, 5e-324, 1e-300, 0.25, 2.0, 1e100, 1 / 3])
    rads = np.array([0.0, 0.0, 0.0, 0.125, 0.0, 1e90, 1e-17])
    out = A64.pow_rational(B64(xs, rads), q)
    with mpmath.workprec(256):
        for s in (F(-1), F(0), F(1)):
            pts = in_box(xs, rads, s)
            want = [(mp_of(p) ** mpmath.mpf(q.numerator) / q.denominator if False else
                     mpmath.power(mp_of(p), mpmath.mpf(q.numerator) / q.denominator)) if p > 0 else
                    (F(0) if q > 0 else None) for p in pts]
            for i, w in enumerate(want):
                if w is not None:
                    assert_encloses(out[i], w, what=f"x**{q}")
    if q > 0:
        assert finite(out)
        # a ball around 0 clipped to [0, ∞) (as the activations do at a kink) keeps x**q finite
        clipped = B64(np.array([0.0]), np.array([0.5])).nonnegative_part()
        assert float(clipped.mid[0]) >= float(clipped.rad[0])
        assert finite(A64.pow_rational(clipped, q))
        assert not finite(A64.pow_rational(B64(np.array([0.0]), np.array([0.5])), q))  # not real below 0


def test_softmax_and_logsumexp_over_boxes_enclose_mp():
    rng = np.random.default_rng(4)
    mids = rng.standard_normal((5, 4)) * 3
    mids[0] = [800.0, -800.0, 0.0, 1.0]
    mids[1] = [-1000.0, -1000.0, -1000.0, -1000.0]
    rads = np.abs(rng.standard_normal((5, 4))) * 0.3
    rads[4] = 0.0
    x = B64(mids, rads)
    sm = A64.softmax_last(x)
    lse = A64.logsumexp_last(x)
    assert finite(sm) and finite(lse)
    with mpmath.workprec(256):
        for s in (F(-1), F(0), F(1, 2), F(1)):
            for t in (s, -s):
                pts = in_box(mids, rads, s)
                pts[:, 1::2] = in_box(mids[:, 1::2], rads[:, 1::2], t)  # also opposite corners
                ex = [[mpmath.exp(mp_of(p)) for p in row] for row in pts]
                assert_encloses(sm, [[e / mpmath.fsum(row) for e in row] for row in ex], what="softmax")
                assert_encloses(lse, [mpmath.log(mpmath.fsum(row)) for row in ex], what="logsumexp")
    assert not finite(A64.logsumexp_last(B64(np.array([[1.0, np.nan]]))))


def test_gamma_up_and_outward_rounding_helpers():
    with pytest.raises(InputError):
        _gamma(10**15)
    assert _gamma(10) >= F(10) * F(U) / (1 - F(10) * F(U))
    assert _up(np.float64(0.0), 4) >= 4 * ETA
    ts = np.array([0.0, 5e-324, -5e-324, 2.0**-1022, 1.0, -1.0, 1 / 3, 2.0**1000, -MAXF, 1.5])
    with np.errstate(all="ignore"):
        lo, hi = _dn(ts), _upx(ts)
    for t, a, b in zip(ts, lo, hi):
        with np.errstate(all="ignore"):
            below, above = float(np.nextafter(t, -np.inf)), float(np.nextafter(t, np.inf))
        assert a == -np.inf or F(a) <= F(below)
        assert b == np.inf or (math.isfinite(above) and F(b) >= F(above))


def test_objective_accepts_ball64_theta_and_refuses_bad_balls():
    net = vf.MLP([2, 3, 1], "tanh", bias=True)
    obj = vf.SquareLoss(net, vf.Dataset([[1, 2], [0, -1]], [[1], [0]]))
    th = np.linspace(-1, 1, net.n_params)
    g_point = obj.grad(th, "ball64")
    g_box = obj.grad(B64(th, np.full(net.n_params, 1e-3)), "ball64")
    assert g_box.shape == g_point.shape == (net.n_params,)
    assert (g_box.rad > g_point.rad).all()
    from flint import arb

    g_arb_in = obj.grad([arb(t) for t in th], "ball64")  # exact arbs are points
    assert_encloses(g_arb_in, obj.grad(th, "mp", 256))
    with pytest.raises(InputError):
        obj.grad(B64(th, np.full(net.n_params, np.inf)), "ball64")
    b = B64(th)
    b.rad[0] = -1.0  # corrupted after construction
    with pytest.raises(InputError):
        obj.grad(b, "ball64")
    with pytest.raises(InputError):
        obj.grad(th * 1e305, "ball64")  # beyond the supported input magnitude, as in every arithmetic
    big_int = np.array([2**60 + 1] + [0] * (net.n_params - 1), dtype=np.int64)
    v = obj.value(big_int, "ball64")
    assert_encloses(v, obj.value([F(int(t)) for t in big_int], "mp", 256))


# ============================================================================ activations
def _act_mp(act, pts, order):
    """[σ^(k)(p)] for exact points p, in mp at 256 bits (the left-piece convention never matters: callers avoid
    breakpoints where the derivative does not exist)."""
    with MP.context():
        z = MP.array(np.asarray(pts, dtype=object))
        return act(z, MP, order)


def _breakpoints(act):
    return [F(int(b.p), int(b.q)) for b in act.breakpoints]


@pytest.mark.parametrize("spec", CATALOGUE)
def test_catalogue_activation_at_points_encloses_mp(spec):
    act = vf.activations.get(spec)
    rng = np.random.default_rng(abs(hash(spec)) % 2**32)
    z = np.concatenate([rng.standard_normal(30) * 3, [41.0, -41.0, 60.0, -60.0, 1e-300, -1e-300, 5e-324, -5e-324,
                                                        1e-150, 1e150, -1e150, 0.999999, -1.000001, 1e15]])
    z = z[[all(F(t) != b for b in _breakpoints(act)) for t in z]]
    outs = act(B64(z), A64, 2)
    want = _act_mp(act, [F(t) for t in z], 2)
    for k in range(3):
        assert_encloses(outs[k], want[k], what=f"{spec}^({k})")
        moderate = (np.abs(z) <= 60) & ((np.abs(z) >= 1e-100) | (k == 0))  # z**(1/3)'' is singular at 0
        assert finite(outs[k][moderate]), (spec, k)


@pytest.mark.parametrize("spec", CATALOGUE)
def test_catalogue_activation_over_boxes_including_kinks(spec):
    act = vf.activations.get(spec)
    mids = np.array([0.0, 0.0, 1e-3, -0.3, 0.7, 1.0, -1.0, 0.999, 2.5, -45.0, 45.0, 1e-200])
    rads = np.array([0.5, 1e-12, 1e-2, 0.1, 0.5, 0.25, 1e-3, 0.01, 1.0, 10.0, 10.0, 1e-200])
    x = B64(mids, rads)
    for order in range(3):
        try:
            outs = act(x, A64, order)
        except RegionBoundaryError as hit:
            # only where a box meets a breakpoint at which the derivative of this order does not exist
            assert order > min(act.continuity), (spec, order, hit)
            j = [i for i, b in enumerate(act.breakpoints) if act.continuity[i] < order]
            keep = np.array([all(F(m) + F(r) < _breakpoints(act)[jj] or F(m) - F(r) > _breakpoints(act)[jj]
                                 for jj in j) for m, r in zip(mids, rads)])
            assert not keep.all()
            outs = act(x[keep], A64, order)
            xs_m, xs_r = mids[keep], rads[keep]
        else:
            xs_m, xs_r = mids, rads
        for s in (F(-1), F(-1, 2), F(0), F(1, 8), F(1)):
            pts = in_box(xs_m, xs_r, s)
            ok = [order <= 0 or all(p != b or act.continuity[i] >= order for i, b in enumerate(_breakpoints(act)))
                  for p in pts]
            want = _act_mp(act, list(pts), order)
            for k in range(order + 1):
                for i, p in enumerate(pts):
                    if ok[i]:
                        assert_encloses(outs[k][i], want[k][i], what=f"{spec}^({k}) box {i} at {float(p)}")
        assert finite(outs[0]), spec


@pytest.mark.parametrize("spec", [s for s in CATALOGUE if vf.activations.get(s).breakpoints])
def test_exact_breakpoints_behave_as_in_arb(spec):
    act = vf.activations.get(spec)
    for b in _breakpoints(act):
        z64 = B64(np.array([float(b)]))
        with ARB.context():
            zarb = ARB.array(np.array([b], dtype=object))
        for order in range(3):
            try:
                want = act(zarb, ARB, order)
            except RegionBoundaryError:
                with pytest.raises(RegionBoundaryError):
                    act(z64, A64, order)
                continue
            got = act(z64, A64, order)
            for k in range(order + 1):
                assert_meets_arb(got[k], want[k], what=f"{spec} at {b}")
                assert_encloses(got[k], _act_mp(act, [b], k)[k] if k <= act.continuity[_breakpoints(act).index(b)]
                                else [ball_bounds(want[k][0])[0]])


# ============================================================================ MLP quantities
def _loss(kind, spec, widths_hidden=(3,), n=4, seed=0, scale=1.0, bias=True):
    rng = np.random.default_rng(seed)
    d = 2
    k = {"square": 2, "logistic": 1, "cross_entropy": 3}[kind]
    net = vf.MLP([d, *widths_hidden, k], spec, bias=bias)
    X = rng.standard_normal((n, d)) * scale
    if kind == "square":
        obj = vf.SquareLoss(net, vf.Dataset(X, rng.standard_normal((n, k))))
    elif kind == "logistic":
        obj = vf.LogisticLoss(net, vf.Dataset(X, rng.choice([-1.0, 1.0], n)))
    else:
        obj = vf.CrossEntropyLoss(net, vf.Dataset(X, rng.integers(0, k, n)))
    th = rng.standard_normal(net.n_params) * 0.8
    return obj, th


QUANTITIES = ["value", "grad", "hessian", "hvp", "outputs", "jacobian"]


def _quantity(obj, what, theta, arith, prec=None, v=None):
    if what == "hvp":
        return obj.hvp(theta, v, arith, prec)
    return getattr(obj, what)(theta, arith, prec)


def _check_point(obj, th, what, v, arb_too=True):
    got = _quantity(obj, what, th, "ball64", v=v)
    assert_encloses(got, _quantity(obj, what, th, "mp", 256, v=v), need_finite=True, what=what)
    if arb_too:
        assert_meets_arb(got, np.asarray(_quantity(obj, what, th, "ball", 256, v=v), dtype=object), what=what)
    mag = np.abs(np.atleast_1d(got.mid)).max(initial=1.0)
    assert np.atleast_1d(got.rad).max(initial=0.0) <= 1e-9 * mag, what  # not vacuous


FAST_ACTS = ["tanh", "relu", "sigmoid", "relu_power(3/2)", "softplus"]


@pytest.mark.parametrize("kind", ["square", "logistic", "cross_entropy"])
@pytest.mark.parametrize("spec", FAST_ACTS)
def test_mlp_quantities_at_points_enclose_mp_and_meet_arb(kind, spec):
    obj, th = _loss(kind, spec, seed=len(spec) + len(kind))
    v = np.linspace(-1, 1, obj.n_params)
    for what in QUANTITIES:
        if what == "jacobian" and kind != "square":
            continue
        _check_point(obj, th, what, v, arb_too=what in ("grad", "hessian"))


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["square", "logistic", "cross_entropy"])
@pytest.mark.parametrize("spec", CATALOGUE)
def test_mlp_quantities_every_activation_two_hidden_layers(kind, spec):
    obj, th = _loss(kind, spec, widths_hidden=(3, 2), n=3, seed=7 + len(spec))
    v = np.linspace(1, -2, obj.n_params)
    for what in QUANTITIES:
        if what == "jacobian" and kind != "square":
            continue
        try:
            _check_point(obj, th, what, v)
        except RegionBoundaryError:  # pragma: no cover - random θ on a kink: then Arb refuses too
            with pytest.raises(RegionBoundaryError):
                _quantity(obj, what, th, "ball", 256, v=v)


def _box_samples(th, rad, count=4, seed=0):
    rng = np.random.default_rng(seed)
    out = [in_box(th, rad, F(s)) for s in (-1, 1)]
    for _ in range(count - 2):
        s = [F(int(t), 64) for t in rng.integers(-64, 65, len(th))]
        out.append(np.array([F(float(a)) + q * F(float(r)) for a, q, r in zip(th, s, rad)], dtype=object))
    return out


def _check_box(obj, th, rad, samples, spec, arb_too: bool) -> None:
    """Every quantity over the float64 box θ ± rad encloses the mp values (256 bits) at the sampled points of the
    box and meets Arb's enclosure over the same box (``arb_too``); a box meeting a kink refuses derivatives."""
    box = B64(th, rad)
    v = np.linspace(-1, 1, obj.n_params)
    for what in QUANTITIES:
        if what == "jacobian" and not isinstance(obj, vf.SquareLoss):
            continue
        try:
            got = _quantity(obj, what, box, "ball64", v=v)
        except RegionBoundaryError:
            assert vf.activations.get(spec).breakpoints and what not in ("value", "outputs")
            continue
        assert finite(got), what
        for p in samples:
            assert_encloses(got, _quantity(obj, what, list(p), "mp", 256, v=v), what=f"{what} box")
        if arb_too:
            from flint import arb

            arb_box = [arb(float(t), float(r)) for t, r in zip(th, rad)]
            assert_meets_arb(got, np.asarray(_quantity(obj, what, arb_box, "ball", 256, v=v), dtype=object))


@pytest.mark.parametrize("kind", ["square", "logistic", "cross_entropy"])
@pytest.mark.parametrize("spec", ["tanh", "relu", "softplus"])
def test_mlp_quantities_over_boxes_enclose_sampled_points(kind, spec):
    obj, th = _loss(kind, spec, n=3, seed=11 + len(spec))
    rad = np.full(obj.n_params, 2e-3)
    _check_box(obj, th, rad, _box_samples(th, rad), spec, arb_too=True)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["square", "logistic", "cross_entropy"])
@pytest.mark.parametrize("spec", CATALOGUE)
def test_mlp_boxes_every_activation(kind, spec):
    obj, th = _loss(kind, spec, widths_hidden=(3, 2), n=3, seed=21 + len(spec))
    rad = np.abs(th) * 1e-3 + 1e-4
    _check_box(obj, th, rad, _box_samples(th, rad, count=6, seed=len(kind)), spec, arb_too=False)


def test_box_straddling_a_relu_kink_encloses_values_and_refuses_derivatives():
    net = vf.MLP([1, 1, 1], "relu", bias=True)
    obj = vf.SquareLoss(net, vf.Dataset([[1.0], [2.0]], [[0.5], [1.0]]))
    th = np.array([1.0, 0.0, 1.0, 0.25])  # W1, b1, W2, b2: z = x + b1 straddles 0 for b1 ∈ [−3, …]
    box = B64(th, np.array([0.0, 3.0, 0.0, 0.0]))
    val = obj.value(box, "ball64")
    for s in (F(-1), F(-1, 2), F(0), F(1, 3), F(1)):
        p = in_box(th, box.rad, s)
        assert_encloses(val, obj.value(list(p), "mp", 256))
    with pytest.raises(RegionBoundaryError):
        obj.grad(box, "ball64")


def test_exact_kink_in_a_network_raises_like_arb():
    net = vf.MLP([1, 1, 1], "relu", bias=True)
    obj = vf.SquareLoss(net, vf.Dataset([[1.0]], [[0.5]]))
    th = [1.0, -1.0, 2.0, 0.0]  # the pre-activation is exactly 0
    assert_encloses(obj.value(th, "ball64"), obj.value(th, "exact"), need_finite=True)
    for arith in ("ball64", "ball"):
        with pytest.raises(RegionBoundaryError):
            obj.grad(th, arith)
    lrelu = vf.SquareLoss(vf.MLP([1, 1, 1], "relu_power(2)", bias=True), vf.Dataset([[1.0]], [[0.5]]))
    assert_encloses(lrelu.grad(th, "ball64"), lrelu.grad(th, "exact"), need_finite=True)  # C¹ at the kink
    with pytest.raises(RegionBoundaryError):
        lrelu.hessian(th, "ball64")


@pytest.mark.parametrize("scale", [1e-150, 1e-100, 1e150])
@pytest.mark.parametrize("spec", ["relu", "tanh", "identity", "sigmoid"])
def test_huge_and_tiny_scales(scale, spec):
    obj, th = _loss("square", spec, n=3, seed=5, scale=scale)
    for what in ("value", "grad", "hessian"):
        try:
            got = _quantity(obj, what, th, "ball64")
        except RegionBoundaryError:  # pragma: no cover
            continue
        assert_encloses(got, _quantity(obj, what, th, "mp", 256), what=f"{what} at scale {scale}")
        if scale < 1 or spec == "tanh":
            assert finite(got), (what, scale)
        # sigmoid = 1/(1 + exp(−z)) at |z| ~ 1e150: exp overflows, a NaN mark (Arb has the exponent range)


def test_subnormal_parameters_and_saturated_units():
    rng = np.random.default_rng(6)
    for spec in ("tanh", "sigmoid"):
        obj, th = _loss("square", spec, n=3, seed=8)
        th = th * 60.0  # |z| > 40: saturated
        th[:3] = [5e-324, -1e-310, 2.0**-1050]
        for what in ("value", "grad", "hessian", "outputs"):
            got = _quantity(obj, what, th, "ball64")
            assert finite(got), (spec, what)
            assert_encloses(got, _quantity(obj, what, th, "mp", 256), what=f"{spec} {what}")
    assert rng is not None


def test_cancellation_in_the_residual():
    obj, th = _loss("square", "tanh", n=4, seed=9)
    F_float = obj.outputs(th, "float")
    obj2 = vf.SquareLoss(obj.net, vf.Dataset(obj.data.X_exact, F_float))  # residuals ~ 1e-16 relative
    for what in ("value", "grad", "hessian"):
        got = _quantity(obj2, what, th, "ball64")
        assert_encloses(got, _quantity(obj2, what, th, "mp", 256), need_finite=True, what=what)


# ============================================================================ hypothesis properties
finite_floats = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(-1e3, 1e3, allow_nan=False),
    st.sampled_from([0.0, -0.0, 5e-324, -5e-324, 2.0**-1022, 1e-300, 1e300, MAXF, -MAXF, 1 / 3, 1e16]),
)
radii = st.one_of(st.just(0.0), st.floats(0, 1e300, allow_nan=False), st.floats(0, 1e-10, allow_nan=False))


@given(finite_floats, radii, finite_floats, radii, st.sampled_from([-1, 0, 1]), st.sampled_from([-1, 0, 1]))
def test_property_binary_operations_enclose_exact_results(m1, r1, m2, r2, s1, s2):
    a, b = B64(m1, r1), B64(m2, r2)
    pa, pb = F(m1) + s1 * F(r1), F(m2) + s2 * F(r2)
    assert_encloses(a + b, pa + pb)
    assert_encloses(a - b, pa - pb)
    assert_encloses(a * b, pa * pb)
    if pb != 0:
        assert_encloses(a / b, pa / pb)
    for n in (2, 3):
        assert_encloses(a**n, pa**n)


@given(st.lists(finite_floats, min_size=1, max_size=6), st.lists(finite_floats, min_size=1, max_size=6),
       st.floats(0, 1e-3))
def test_property_dot_products_and_sums(xs, ys, rel):
    n = min(len(xs), len(ys))
    x = B64(np.array(xs[:n]), np.abs(np.array(xs[:n])) * rel)
    y = B64(np.array(ys[:n]))
    assert_encloses(x @ y, sum(F(p) * F(q) for p, q in zip(xs[:n], ys[:n])))
    assert_encloses(x.sum(), sum(F(p) for p in xs[:n]))
    assert_encloses(b64_matmul(x.reshape(1, n), y.reshape(n, 1)), [[sum(F(p) * F(q) for p, q in zip(xs, ys))]])


@given(st.fractions(), st.integers(-1200, 1200))
def test_property_rationals_and_brackets(q, e):
    q = q * F(2) ** e
    b = _rational_ball(q)
    assert_encloses(b, q)
    side = A64.side(b, q)
    assert side in (0, None)
    assert A64.sides(B64(np.array([float(b.mid)])), q).tolist()[0] in (-1, 0, 1) or not math.isfinite(float(b.mid))


@given(finite_floats, radii, st.sampled_from(["exp", "tanh", "atan", "log1p", "sqrt", "log", "sinh", "erf"]),
       st.sampled_from([F(-1), F(0), F(1, 2), F(1)]))
def test_property_functions_enclose_mpmath(m, r, name, s):
    p = F(m) + s * F(r)
    f = {"exp": mpmath.exp, "tanh": mpmath.tanh, "atan": mpmath.atan, "log1p": mpmath.log1p, "sqrt": mpmath.sqrt,
         "log": mpmath.log, "sinh": mpmath.sinh, "erf": mpmath.erf}[name]
    if name in ("log", "sqrt") and p <= 0 or name == "log1p" and p <= -1:
        return
    assume(abs(p) < 1e6 or name not in ("exp", "sinh"))
    out = A64.func(name)(B64(np.array([m]), np.array([r])))
    with mpmath.workprec(256):
        assert_encloses(out, [f(mp_of(p))], what=name)


@given(st.lists(st.floats(-50, 50), min_size=2, max_size=5), st.floats(0, 2), st.integers(0, 3))
def test_property_softmax_logsumexp(row, rad, pick):
    x = B64(np.array([row]), np.full((1, len(row)), rad))
    pts = [F(t) + (F(1) if (i + pick) % 2 else F(-1)) * F(rad) for i, t in enumerate(row)]
    with mpmath.workprec(256):
        ex = [mpmath.exp(mp_of(p)) for p in pts]
        tot = mpmath.fsum(ex)
        assert_encloses(A64.softmax_last(x), [[e / tot for e in ex]], need_finite=True)
        assert_encloses(A64.logsumexp_last(x), [mpmath.log(tot)], need_finite=True)


@given(st.data())
def test_property_small_networks_match_mp_and_arb(data):
    from .strategies import CATALOGUE_SPECS, network_losses

    loss, theta = data.draw(network_losses(specs=CATALOGUE_SPECS, max_width=2, max_hidden_layers=2))
    for what in ("value", "grad", "hessian"):
        got = _quantity(loss, what, theta, "ball64")
        assert_encloses(got, _quantity(loss, what, theta, "mp", 256), need_finite=True, what=what)
        assert_meets_arb(got, np.asarray(_quantity(loss, what, theta, "ball", 256), dtype=object), what=what)


@given(st.data())
def test_property_layer_graph_networks_match_mp(data):
    """CNNs and attention networks (softmax, max pooling, cross-entropy) through the layer-graph engine."""
    from .strategies import graph_network_losses

    loss, theta = data.draw(graph_network_losses())
    for what in ("value", "grad", "hessian"):
        got = _quantity(loss, what, theta, "ball64")
        assert_encloses(got, _quantity(loss, what, theta, "mp", 256), need_finite=True, what=what)


def test_balls_refuse_orderings_float_and_non_numbers_with_verify_errors():
    """An ordering of two balls, float() and a non-number operand are verify errors, never builtin TypeErrors."""
    with pytest.raises(UncertifiedValueError):
        B64(1.0) < B64(2.0)  # noqa: B015
    with pytest.raises(UncertifiedValueError):
        float(B64(1.0))
    with pytest.raises(InputError):
        B64(1.0) + "a"
    with pytest.raises(InputError):
        B64(1.0) * 1j
    r = B64(np.array([4.0])) ** 0.5  # a float exponent is its exact binary value
    lo, hi = A64.bounds(r)
    assert lo[0] <= 2 <= hi[0]
