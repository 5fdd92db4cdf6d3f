"""Adversarial review of the Arb path without per-entry dispatch (issue 13, commit 7215408) and of the ladder in
claim re-checks, check_nonsingular's per-point rungs and the NTK α bound (812cbad, b10183f, 3a9cbab).

Ground truth: exact rationals (sympy) or mpmath at 400 bits, never the code under test. Every enclosure must
contain the true value at several points of its input ball (both endpoints, the midpoint, interior points);
see Rump, "Fast and parallel interval arithmetic", BIT 39 (1999), for the inclusion principle that is checked.
Attacks covered here: activations on object arrays mixing entries of different pieces with entries on and
across breakpoints (relu, leaky_relu, hardtanh, abs, relu_power(3/2), relu_power(3), a user Piecewise with
non-dyadic breakpoints), NaN balls, 0-d and empty arrays, precision changes between calls with cached compiled
programs; the one-tanh kernel against the generic program at huge and tiny arguments; the arb_mat conversion
cache with arrays mutated in place, views, transposes, in-place reshapes and threads; integer powers and monotone
hulls of wide balls; the vectorised GD health test at the exponent limits; re-checks of user claims up the
ladder; check_nonsingular on a piecewise polynomial whose orbit lands on a kink; the dense-size memory guard.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from fractions import Fraction as F

import mpmath
import numpy as np
import pytest
import sympy as sp
from flint import arb, fmpq
from hypothesis import given, settings
from hypothesis import strategies as st

import verify as vf
from verify import errors
from verify.arith import get_arith
from verify.arith.ball import _MatCache, _tanh_kernel, int_power_array
from verify.arith.compile import compile_array
from verify.models import activations as A
from verify.models.activation import Activation, Z
from verify.numbers import to_fraction


@pytest.fixture(autouse=True)
def _mpmath_at_400_bits():
    """The references are computed at 400 bits: set for each test (another module may have changed mpmath's global
    precision since this one was imported) and restored afterwards."""
    saved = mpmath.mp.prec
    mpmath.mp.prec = 400
    yield
    mpmath.mp.prec = saved


zs = sp.Symbol("z", real=True)

# a user activation with non-dyadic breakpoints, a jump and three different analytic pieces
USER = Activation.from_piecewise(sp.Piecewise(
    (sp.exp(zs) - 1, zs < sp.Rational(-1, 3)),
    (zs**3 + sp.Rational(1, 3) * zs, zs < sp.Rational(1, 3)),
    (sp.tanh(zs) + 5, True)), zs, "user3")
# pieces defined only on their own side of the breakpoint (sqrt(−z) is NaN for z > 0, log(1+z) for z < −1)
ONE_SIDED = Activation.from_piecewise(sp.Piecewise((sp.sqrt(-zs), zs < 0), (sp.log(1 + zs), True)), zs, "one_sided")
ACTS = [A.relu(), A.leaky_relu(F(1, 10)), A.hardtanh(), A.abs(), A.relu_power(F(3, 2)), A.relu_power(3),
        A.tanh(), A.sigmoid(), A.softplus(), A.power(3), USER, ONE_SIDED]


def _q(x) -> F:
    return x if isinstance(x, F) else to_fraction(x)


def _mp_to_fraction(v) -> F:
    sign, man, exp, _ = mpmath.mpf(v)._mpf_
    return F((-1) ** sign * int(man)) * F(2) ** int(exp)


def _truth(act: Activation, k: int, t: F):
    """σ^(k)(t) at 400 bits as an exact rational (None where it does not exist: a breakpoint beyond continuity)."""
    ts = sp.Rational(t.numerator, t.denominator)
    for j, b in enumerate(act.breakpoints):
        if ts == b:
            if k > act.continuity[j]:
                return None
            e = sp.sympify(act.at_breakpoints[j]) if k == 0 else act.derivative(k, j).subs(Z, ts)
            return _mp_to_fraction(mpmath.mpf(str(sp.N(e, 130))))
    e = act.derivative(k, act.piece_index(t)).subs(Z, ts)
    return _mp_to_fraction(mpmath.mpf(str(sp.N(e, 130))))


def _encloses(ball, q: F, slack=F(1, 2**380)) -> bool:
    """q (a 400-bit value) lies in the ball, up to the 400-bit rounding of the reference."""
    if not ball.is_finite():
        return True  # a non-finite enclosure is a refusal, never a wrong finite ball
    m, r = _q(ball.mid()), _q(ball.rad())
    return abs(q - m) <= r + slack * (1 + abs(q))


def _ball(c: F, r: F, a):
    with a.context():
        mid = arb(fmpq(c.numerator, c.denominator))
        return mid if r == 0 else arb(mid, arb(fmpq(r.numerator, r.denominator)))


def _near_breakpoints(act):
    return [F(int(b.p), int(b.q)) for b in act.breakpoints] or [F(0)]


@st.composite
def _entries(draw, act):
    """(centre, radius): on a breakpoint, 2^-k from one, straddling one, far in a piece, huge, or wide."""
    b = draw(st.sampled_from(_near_breakpoints(act) + [F(0), F(1, 3), F(-2)]))
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return b, F(0)
    if kind == 1:
        e = draw(st.integers(1, 200))
        return b + F(draw(st.integers(-5, 5)), 2**e), F(draw(st.integers(0, 3)), 2 ** draw(st.integers(1, 200)))
    if kind == 2:
        return F(draw(st.integers(-40, 40)), draw(st.integers(1, 9))), F(draw(st.integers(0, 30)), 10)
    if kind == 3:
        return F(draw(st.sampled_from([-1, 1])) * draw(st.integers(1, 10**6))), F(draw(st.integers(0, 3)))
    return F(draw(st.integers(-300, 300)), 100), F(1, 2 ** draw(st.integers(0, 60)))


def _check_act_array(act, entries, prec, order, two_d):
    a = get_arith("ball", prec)
    xs = np.array([_ball(c, r, a) for c, r in entries], dtype=object).reshape(-1)
    z = xs.reshape(2, -1) if two_d and len(xs) % 2 == 0 and len(xs) else xs
    try:
        outs = act(z, a, order)
    except errors.RegionBoundaryError:
        # legitimate only if some entry may meet a breakpoint where the order is beyond the continuity
        tol = F(1, 2 ** (prec - 8))
        assert any(c - r - tol * (1 + abs(c)) <= bb <= c + r + tol * (1 + abs(c)) and order > act.continuity[j]
                   for c, r in entries for j, bb in enumerate(_near_breakpoints(act)) if act.breakpoints), \
            (act, entries, order)
        return
    for k in range(order + 1):
        got = np.asarray(outs[k], dtype=object).reshape(-1)
        assert got.shape == (len(entries),)
        for (c, r), o in zip(entries, got):
            for t in (c - r, c + r, c, c - r / 3, c + r * F(5, 7)):
                v = _truth(act, k, t)
                if v is not None:
                    assert _encloses(o, v), (act, k, c, r, t, o, prec)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_activation_arrays_enclose_the_true_values_of_every_entry(data):
    """Whole object arrays mixing every piece, entries exactly on breakpoints, 2^-200 from them and straddling them
    (unions of pieces): every output entry encloses σ^(k) at points of its input ball; a RegionBoundaryError only
    for an entry that may meet a breakpoint of lower continuity."""
    act = data.draw(st.sampled_from(ACTS))
    entries = data.draw(st.lists(_entries(act), min_size=0, max_size=6))
    _check_act_array(act, entries, data.draw(st.sampled_from([64, 128, 256])), data.draw(st.integers(0, 2)),
                     data.draw(st.booleans()))


@pytest.mark.parametrize("act", ACTS, ids=lambda a: a.name)
def test_activation_every_breakpoint_and_neighbours_in_one_array(act):
    """One array holding, for every breakpoint b: b itself, b ± 2^-150, b ± 1/7 and a ball of radius 1/2 around
    b, plus far entries — the piece selection sorts them into pieces, the per-entry path, and the unions."""
    entries = [(F(-50), F(0)), (F(50), F(1, 3))]
    for b in _near_breakpoints(act):
        entries += [(b, F(0)), (b + F(1, 2**150), F(0)), (b - F(1, 2**150), F(0)), (b + F(1, 7), F(1, 100)),
                    (b - F(1, 7), F(0)), (b, F(1, 2)), (b + F(1, 4), F(1, 2))]
    for order in (0, 1, 2):
        _check_act_array(act, entries, 128, order, False)


@pytest.mark.parametrize("act", [A.relu(), A.hardtanh(), A.relu_power(F(3, 2)), A.tanh(), A.sigmoid(), USER],
                         ids=lambda a: a.name)
def test_activation_shapes_and_nan_balls(act):
    """0-d and empty arrays keep their shapes; a NaN ball never gets a finite enclosure (it is NaN out, or a
    RegionBoundaryError where derivatives of that order are not defined on a breakpoint)."""
    a = get_arith("ball", 128)
    with a.context():
        fifth = arb(1) / 5
    for z in (np.array(fifth, dtype=object), np.empty(0, dtype=object), np.empty((0, 3), dtype=object)):
        for order in (0, 1, 2):
            outs = act(z, a, order)
            assert len(outs) == order + 1
            for o in outs:
                assert np.shape(o) == z.shape
    z = np.array([arb("nan"), arb(2), arb(-2)], dtype=object)
    for order in (0, 1, 2):
        try:
            outs = act(z, a, order)
        except errors.RegionBoundaryError:
            assert act.breakpoints and order > min(act.continuity)
            continue
        for o in outs:
            assert not np.asarray(o, dtype=object).reshape(-1)[0].is_finite()


def test_activation_programs_cached_per_precision():
    """Compiled piece programs and breakpoint enclosures are cached by arith.key(): switching 64 → 512 → 64 bits
    gives radii of each precision (a program compiled at 64 bits reused at 512 would leave 2^-60 radii)."""
    act = Activation.from_piecewise(sp.Piecewise((zs / 3, zs < sp.Rational(1, 3)), (sp.exp(zs) / 7, True)), zs, "p3")
    radii = {}
    for prec in (64, 512, 64, 128, 512):
        a = get_arith("ball", prec)
        with a.context():
            xs = np.array([arb(fmpq(1, 5)), arb(2), arb(fmpq(3, 10))], dtype=object)
        out = act(xs, a, 1)
        r = max(_q(o.rad()) for o in out[0])
        radii.setdefault(prec, r)
        assert radii[prec] == r
        assert r < F(1, 2 ** (prec - 8))
        for x, o in zip((F(1, 5), F(2), F(3, 10)), out[0]):
            assert _encloses(o, _truth(act, 0, x))


def test_tanh_kernel_encloses_and_is_never_wider_than_the_generic_program():
    """The one-arb.tanh kernel against the CSE program of tanh, 1 − tanh², −2 tanh (1 − tanh²) at huge (1e±300),
    tiny and saturated arguments and wide balls: the two enclosures overlap and the kernel is never wider; both
    contain the true values at the endpoints (mpmath at 400 bits)."""
    a = get_arith("ball", 128)
    exprs = [sp.tanh(zs), sp.diff(sp.tanh(zs), zs), sp.diff(sp.tanh(zs), zs, 2)]
    gen = compile_array(exprs, zs, a)
    kern = _tanh_kernel(2)
    rng = np.random.default_rng(7)
    mids = [0.0, 1e-300, -1e-300, 5e-324, 20.0, -20.0, 400.0, 1e300, -1e300, 0.5]
    mids += list(rng.uniform(-30, 30, 20)) + list(rng.uniform(-1e-5, 1e-5, 5))
    rads = [0.0, 1e-300, 1e-30, 0.4, 3.0, 100.0]
    with a.context():
        xs = np.array([arb(m, r) for m in mids for r in rads], dtype=object)
        g, k = gen(xs), kern(xs)
    for i in range(3):
        for gv, kv in zip(g[i], k[i]):
            assert kv.overlaps(gv)
            # radii compared as Arb numbers (an exact Fraction of 2^-(10^300) would not fit in memory)
            assert not gv.is_finite() or (kv.is_finite() and not kv.rad() > gv.rad() * arb(1.000001))
    for x, kv in zip(xs, k[1]):  # tanh' = sech² at both endpoints, by mpmath
        m, r = _q(x.mid()), _q(x.rad())  # exact endpoints (arb.lower() rounds at flint's global precision)
        for tf in (m - r, m + r):
            if abs(tf) < 1000:
                true = _mp_to_fraction(mpmath.sech(mpmath.mpf(tf.numerator) / tf.denominator) ** 2)
                assert _encloses(kv, true, F(1, 2**350))


# ----------------------------------------------------------------------------------- arb_mat conversion cache
def _ints(rng, m, n):
    return np.array([arb(int(v)) for v in rng.integers(-9, 10, size=m * n)], dtype=object).reshape(m, n)


def _exact_product(a_, b_):
    return [[sum((a_[i, t].unique_fmpz() * b_[t, j].unique_fmpz() for t in range(a_.shape[1])), 0)
             for j in range(b_.shape[1])] for i in range(a_.shape[0])]


def _assert_product(c, a_, b_):
    e = _exact_product(a_, b_)
    assert c.shape == (a_.shape[0], b_.shape[1])
    for i in range(c.shape[0]):
        for j in range(c.shape[1]):
            assert c[i, j].contains(arb(e[i][j])), (i, j, c[i, j], e[i][j])


def test_matcache_never_serves_a_stale_conversion():
    """The arb_mat cache is keyed by array identity and checked entry by entry: in-place entry writes, whole
    overwrites, entry swaps, in-place reshapes, writes through the base of a transposed or sliced view — every
    product is the exact integer product (all inputs integers, so the enclosure is a point check)."""
    a = get_arith("ball", 128)
    rng = np.random.default_rng(3)
    with a.context():
        x, y = _ints(rng, 20, 7), _ints(rng, 7, 5)
        _assert_product(a.matmul(x, y), x, y)
        x[3, 2] = arb(1000)
        _assert_product(a.matmul(x, y), x, y)
        x[:] = _ints(rng, 20, 7)
        _assert_product(a.matmul(x, y), x, y)
        x[0, 0], x[0, 1] = x[0, 1], x[0, 0]
        _assert_product(a.matmul(x, y), x, y)
        d = _ints(rng, 7, 20)
        xt = d.T  # a transposed view: its base's conversion, transposed
        _assert_product(a.matmul(xt, y), xt, y)
        d[1, 4] = arb(-77)
        _assert_product(a.matmul(xt, y), xt, y)
        v = x[1:]
        _assert_product(a.matmul(v, y), v, y)
        x[5, 0] = arb(12345)
        _assert_product(a.matmul(v, y), v, y)
        w = _ints(rng, 20, 14)[:, ::2]
        _assert_product(a.matmul(w, y), w, y)
        s, y2 = _ints(rng, 10, 14), _ints(rng, 14, 5)
        _assert_product(a.matmul(s, y2), s, y2)
        s.shape = (20, 7)  # the same object, another shape
        _assert_product(a.matmul(s, y), s, y)
        q, bq = _ints(rng, 9, 9), _ints(rng, 9, 9)
        for left, right in ((q, bq), (q.T, bq), (q, q.T), (q.T, q), (q[::-1], bq), (q[::-1].T, bq)):
            _assert_product(a.matmul(left, right), left, right)
        q[2, 3] = arb(500)
        for left, right in ((q.T, bq), (q, q.T), (bq, q.T)):
            _assert_product(a.matmul(left, right), left, right)


def test_matcache_across_precisions_and_threads():
    """A conversion made inside one precision's context is reused at another: the conversion is exact, so the
    product's radius is that of the current precision; two threads multiplying and mutating their own arrays
    through one shared arithmetic never see each other's matrices."""
    third = np.array([arb(fmpq(1, 3))] * 49, dtype=object)
    a512, a128 = get_arith("ball", 512), get_arith("ball", 128)
    with a512.context():
        x = np.array([arb(fmpq(1, 3))] * 49, dtype=object).reshape(7, 7)
        y = np.array([arb(fmpq(1, 7))] * 49, dtype=object).reshape(7, 7)
        c512 = a512.matmul(x, y)
    with a128.context():
        c128 = a128.matmul(x, y)
    assert c512[0, 0].rad() < arb(2) ** -400 < c128[0, 0].rad() < arb(2) ** -100
    assert c512[0, 0].overlaps(c128[0, 0]) and third is not None
    cache = _MatCache()
    errs = []

    def work(seed):
        rng = np.random.default_rng(seed)
        try:
            with a128.context():
                m = _ints(rng, 12, 12)
                for _ in range(30):
                    m[rng.integers(12), rng.integers(12)] = arb(int(rng.integers(-50, 50)))
                    got = cache.get(m)
                    for i in range(12):
                        for j in range(12):
                            assert got[i, j] == m[i, j]
        except AssertionError as exc:  # pragma: no cover - reported below
            errs.append(exc)

    ts = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errs


# ------------------------------------------------------------------------------ powers and monotone hulls
@settings(max_examples=80, deadline=None)
@given(st.integers(-40, 40), st.integers(0, 40), st.integers(0, 7), st.sampled_from([64, 128]))
def test_int_power_array_encloses_wide_balls(c10, r10, n, prec):
    """int_power_array (binary powering, then the endpoint hull of the wide entries, also for balls containing 0
    and negative balls with even n) contains t**n at both endpoints and the midpoint; the input array is not
    modified."""
    a = get_arith("ball", prec)
    c, r = F(c10, 10), F(r10, 10)
    x = np.array([_ball(c, r, a), _ball(c, F(0), a), _ball(-c, r / 7, a)], dtype=object)
    before = list(x)
    with a.context():
        out = int_power_array(x, n)
    assert all(p is q for p, q in zip(x, before))
    for (cc, rr), o in zip(((c, r), (c, F(0)), (-c, r / 7)), out):
        for t in (cc - rr, cc + rr, cc):
            assert _encloses(o, t**n, F(0))


@pytest.mark.parametrize("name,fn", [("exp", mpmath.exp), ("log", mpmath.log), ("tanh", mpmath.tanh),
                                     ("sinh", mpmath.sinh), ("atan", mpmath.atan), ("sqrt", mpmath.sqrt),
                                     ("erf", mpmath.erf), ("log1p", mpmath.log1p), ("expm1", mpmath.expm1)])
def test_monotone_hull_arrays_enclose_or_refuse(name, fn):
    """The vectorised endpoint hull on an array of narrow, wide, exact and domain-straddling balls: finite
    results contain f at both endpoints; a ball reaching outside f's domain never gets a finite ball."""
    a = get_arith("ball", 128)
    f = a.func(name)
    balls = [(F(1, 2), F(0)), (F(3), F(2)), (F(0), F(1, 2)), (F(-1, 2), F(3, 4)), (F(10), F(1, 2**100)),
             (F(-1), F(1, 10)), (F(5), F(5)), (F(-3, 2), F(1, 3)), (F(40), F(30))]
    with a.context():
        xs = np.array([_ball(c, r, a) for c, r in balls], dtype=object)
        out = a.vectorize(f)(xs)
    for (c, r), o in zip(balls, out):
        lo = c - r
        if (name in ("log", "sqrt") and lo <= 0) or (name == "log1p" and lo <= -1):
            if name == "sqrt" and lo == 0:
                continue
            assert not o.is_finite(), (name, c, r, o)
            continue
        for t in (c - r, c + r, c):
            true = _mp_to_fraction(fn(mpmath.mpf(t.numerator) / t.denominator))
            assert _encloses(o, true, F(1, 2**390)), (name, c, r, o)


# ------------------------------------------------------------------------------ the vectorised GD health test
def test_ball_health_fast_test_agrees_with_the_exact_test_at_the_limits():
    """The one-pass test (doubles of the midpoints and rel_accuracy_bits) against the exact exponent test on balls
    placed at ±2^19 relative accuracy, midpoints at 2^±899 and 2^±1100, radii at 2^±2^20, zeros, NaN."""
    from verify.convergence.gd import _ball_health, _slow_ball_health

    p2 = lambda e: arb(2) ** e  # noqa: E731
    cases = [arb(1, p2(2**19 - 10)), arb(p2(-800), p2(-800 - 2**19)), arb(1, p2(-2**19 - 5)), p2(2**20 + 1),
             arb(1, p2(2**20 + 3)), arb(3, p2(-(2**20) - 100)), p2(-(2**20) - 100), arb(0), arb(0, 1), arb("nan"),
             arb(1, p2(2**19 + 1000)), arb(p2(-899), p2(-899 - 2**19)), arb(p2(899), p2(899 + 2**19)),
             arb(p2(-1100), p2(-1100 + 2**19 - 200)), arb(1, p2(2**20 - 1)), arb(1, p2(2**20)), -p2(2**20 - 2)]
    for c in cases:
        th = np.array([arb(1), c, arb(-2)], dtype=object)
        assert _ball_health(th, None, 128) == _slow_ball_health(list(th)), c
        assert _ball_health(th[:1], c, 128) == _slow_ball_health([th[0], c]), c


# ------------------------------------------------------------------------------ ladders: claims, nonsingular
def _user_claim(prop, fast=True):
    return vf.Claim(name="arbpath-user-claim", instances=st.just(None), prop=prop, fast=fast)


def test_recheck_round_off_violation_is_not_refuted_on_any_rung():
    """A prop whose float margin 3/10 − (1/10 + 2/10) is −5.6e−17 (round-off; the exact margin is 0): every rung
    (float64 balls and Arb) encloses 0, so the re-check is INCONCLUSIVE, never REFUTED."""
    from verify.claims.check import recheck

    def prop(inst, arith="float", prec=None):
        if arith == "float":
            m = 0.3 - (0.1 + 0.2)
            return vf.Result(vf.Verdict.INCONCLUSIVE, margin=m)
        a = get_arith(arith, prec)
        with a.context():
            v = a.const(F(3, 10)) - (a.const(F(1, 10)) + a.const(F(2, 10)))
        lo, hi = a.bounds(v)
        assert lo <= 0 <= hi
        if hi < 0:
            return vf.Result(vf.Verdict.REFUTED, margin=float(hi), arithmetic=a.name, precision=a.prec)
        return vf.Result(vf.Verdict.INCONCLUSIVE, margin=0.0, arithmetic=a.name, precision=a.prec)

    res, history = recheck(_user_claim(prop), None)
    assert res.verdict == vf.Verdict.INCONCLUSIVE
    assert [h[0] for h in history] == ["ball64", "ball@128", "ball@256", "ball@512"]


def test_recheck_climbs_past_an_undecided_float64_ball_rung():
    """A true violation of size 5.6e−17 (3·fl(1/3) − 1 < 0, fl(1/3) taken exactly) that float64 balls cannot
    separate from 0, and a prop that raises UncertifiedValueError in ball64: the ladder climbs, and Arb at 128 bits
    REFUTES it (the only certified answer)."""
    from verify.claims.check import recheck

    x = F(1 / 3)

    def make(raise_in_ball64):
        def prop(inst, arith="float", prec=None):
            if arith == "float":
                return vf.Result(vf.Verdict.INCONCLUSIVE, margin=-1e-17)
            if arith == "ball64" and raise_in_ball64:
                raise errors.UncertifiedValueError("not finite in float64 balls")
            a = get_arith(arith, prec)
            with a.context():
                v = a.const(x) * 3 - a.const(F(1))
            lo, hi = a.bounds(v)
            assert lo <= 3 * x - 1 <= hi
            if hi < 0:
                return vf.Result(vf.Verdict.REFUTED, margin=float(hi), arithmetic=a.name, precision=a.prec)
            return vf.Result(vf.Verdict.INCONCLUSIVE, margin=float(lo), arithmetic=a.name, precision=a.prec)
        return prop

    for raising in (False, True):
        res, history = recheck(_user_claim(make(raising)), None)
        assert res.verdict == vf.Verdict.REFUTED and res.rung == "ball@128"
        assert history[0][0] == "ball64" and history[0][1] != "REFUTED"
        assert 3 * x - 1 < 0  # the ground truth


def test_check_nonsingular_orbit_on_a_kink_of_a_piecewise_polynomial():
    """L = x² (x < 1), 3x² − 4x + 2 (x ≥ 1) is C¹ with a jump of L'' at 1. From x0 = 2 with η = 1/8 the first
    step lands exactly on the kink: the two-step map has no Hessian there, so no verdict (never PROVED); one
    step is non-singular (1 − 6/8 ≠ 0) on every rung; η = 1/2 from 3/2 reaches x1 = −1 where 1 − η·2 = 0 (REFUTED,
    exceptional); η = 1/6 is singular at x0 (1 − 6/6 = 0)."""
    x = sp.Symbol("x", real=True)
    obj = vf.Objective.from_sympy(sp.Piecewise((x**2, x < 1), (3 * x**2 - 4 * x + 2, True)), [x])
    cn = vf.gdmap.check_nonsingular
    for fast in (True, False):
        assert cn(obj, F(1, 8), regions=[[2]], steps=2, fast=fast).verdict == vf.Verdict.INCONCLUSIVE
        assert cn(obj, F(1, 8), regions=[[2]], steps=1, fast=fast).verdict == vf.Verdict.PROVED
        assert cn(obj, F(1, 2), regions=[[F(3, 2)]], steps=2, fast=fast).verdict == vf.Verdict.REFUTED
        assert cn(obj, F(1, 6), regions=[[2]], steps=3, fast=fast).verdict == vf.Verdict.REFUTED


# ------------------------------------------------------------------------------ the dense-size memory guard
def _narrow_net(d, n=5):
    rng = np.random.default_rng(0)
    net = vf.MLP([d, 1, 1], "tanh", bias=False)
    loss = vf.SquareLoss(net, vf.Dataset((rng.integers(-3, 4, size=(n, d)) / 4).tolist(),
                                         (rng.integers(-3, 4, size=n) / 4).tolist()))
    return loss, (rng.integers(-8, 9, size=net.n_params) / 16).tolist()


def test_memory_estimate_covers_the_result_itself_for_a_one_neuron_mlp():
    """Lower bound of any peak: the result's own storage (array slots + distinct ball objects). With one hidden
    neuron every Hessian entry of a 2-layer MLP is a distinct ball (no mirrored blocks to share), so the per-entry
    part of the estimate must be at least 8 + sizeof(arb) bytes."""
    loss, th = _narrow_net(120)
    a = get_arith("ball", 128)
    H = np.asarray(loss.hessian(th, "ball"), dtype=object)
    p = H.shape[0]
    distinct = len(set(map(id, H.flat)))
    assert distinct == H.size
    held = H.size * 8 + distinct * sys.getsizeof(H[0, 0])
    from verify.models.objective import LAYER_HINT_MIN_WIDTH

    assert min(loss.net.widths[1:-1]) < LAYER_HINT_MIN_WIDTH  # narrow: hessian() does not pass the 2-layer hint
    assert a.bytes_per_entry * a.dense_copies * p * p >= held


#: the start of the memory-measuring scripts run in fresh processes: imports and the peak-RSS reader
_PRELUDE = r"""
import gc, resource, sys
import numpy as np

def _peak_rss():
    # VmHWM: the peak resident set of this process's own address space (reset by exec). getrusage's ru_maxrss is not:
    # Linux carries the parent's peak over fork + exec, so under a large pytest process the increase measured 0.
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
"""
_MEASURE = _PRELUDE + r"""
import verify as vf
from verify.arith import get_arith
d, arith = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(0)
net = vf.MLP([d, 1, 1], "tanh", bias=False)
loss = vf.SquareLoss(net, vf.Dataset((rng.integers(-3, 4, size=(20, d)) / 4).tolist(),
                                     (rng.integers(-3, 4, size=20) / 4).tolist()))
th = (rng.integers(-8, 9, size=net.n_params) / 16).tolist()
a = get_arith(arith)
p = net.n_params
c = a.dense_copies  # one hidden neuron: NetworkLoss.hessian passes no layer hint (narrow layers)
objects = a.dtype is object and not getattr(a, "array_native", False)
est = p * p * a.bytes_per_entry * c + (96 if objects else 32) * 2**20
gc.collect()
r0 = _peak_rss()
H = loss.hessian(th, arith)
r1 = _peak_rss()
print(est / (r1 - r0))
"""


@pytest.mark.slow
@pytest.mark.parametrize("d,arith", [(1500, "ball"), (3000, "ball64")])
def test_memory_estimate_bounds_the_measured_peak(d, arith):
    """The estimate is documented as an upper bound of the peak resident memory (measured in a fresh process from
    /proc/self/status VmHWM; ~0.5 GB each)."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, str(d), arith], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert float(out.stdout.strip().splitlines()[-1]) >= 1.0


# ------------------------------------------------------------------------------ eigenvalue enclosures, re-check rungs
# Q·diag(1, 1, −2, 0)·Qᵀ / 42025 with Q a rational orthogonal matrix (Cayley transform): a double eigenvalue, and
# entries that are not dyadic, so their Arb balls have radii and the Weyl fallback widens the exact roots
_REPEATED = [[33513, 17024, 944, 7688], [17024, 7977, -1888, -15376], [944, -1888, 18222, 46544],
             [7688, -15376, 46544, -59712]]
_REPEATED_EIGS = [F(-2), F(0), F(1), F(1)]


def _repeated_ball_matrix(prec):
    a = get_arith("ball", prec)
    with a.context():
        return a, np.array([[arb(fmpq(v, 42025)) for v in row] for row in _REPEATED], dtype=object)


@pytest.mark.parametrize("prec", [256, 512])
def test_symmetric_eigenvalue_bounds_enclose_a_double_eigenvalue(prec):
    """Arb's symmetric_eigenvalue_bounds (used by stability's ladder and the claim props) on a matrix with a
    double eigenvalue: sorted enclosures contain the sorted exact eigenvalues (the Weyl fallback)."""
    a, H = _repeated_ball_matrix(prec)
    ivs = sorted(a.symmetric_eigenvalue_bounds(H))
    assert len(ivs) == 4 and all(lo <= t <= hi for (lo, hi), t in zip(ivs, _REPEATED_EIGS))


@pytest.mark.parametrize("prec", [64, 128])
def test_symmetric_eigenvalue_bounds_double_eigenvalue_at_low_precision(prec):
    """The same matrix at 64 and 128 bits: the enclosure [lo − ε, hi + ε] of each exact root is valid; the
    internal consistency check must not refuse it."""
    a, H = _repeated_ball_matrix(prec)
    ivs = sorted(a.symmetric_eigenvalue_bounds(H))
    assert len(ivs) == 4 and all(lo <= t <= hi for (lo, hi), t in zip(ivs, _REPEATED_EIGS))


def test_recheck_climbs_past_an_undecided_arb_rung():
    """A prop whose enclosures are not finite at 128 bits but certify the violation at 256: the re-check goes on
    to ball@256 and REFUTES there (the documented behaviour)."""
    from verify.claims.check import recheck

    def prop(inst, arith="float", prec=None):
        if arith == "float":
            return vf.Result(vf.Verdict.INCONCLUSIVE, margin=-1.0)
        if arith == "ball" and prec == 128:
            raise errors.UncertifiedValueError("the enclosure is not finite at 128 bits")
        a = get_arith(arith, prec)
        return vf.Result(vf.Verdict.REFUTED, margin=-1.0, arithmetic=a.name, precision=a.prec)

    res, history = recheck(_user_claim(prop, fast=False), None)
    assert res.verdict == vf.Verdict.REFUTED and res.rung == "ball@256"
    assert history[0][0] == "ball@128" and "undecided" in history[0][1]


def _dead_relu_instance():
    """A gd-monotone-relu instance whose ReLUs are all inactive on the data: ∇²L ≡ 0 exactly at θ0."""
    from verify.claims.library import random_instance

    return random_instance((2, 3, 1), "relu", seed=0, n=3, scalars={"frac": F(9, 10)})


def test_dead_relu_instance_has_a_zero_hessian_and_arb_says_supported():
    """Ground truth for the next test: the exact Hessian is 0, and the claim's Arb rung decides (λ_max ≤ 0)."""
    from verify.claims.library import _monotone

    inst = _dead_relu_instance()
    H = np.asarray(inst.loss().hessian(inst.theta_array(), "exact"), dtype=object)
    assert all(v == 0 for v in H.flat)
    res = _monotone(inst, "ball", 128)
    assert res.verdict == vf.Verdict.SUPPORTED and res.margin > 0


def test_recheck_of_a_dead_relu_instance_does_not_crash_on_the_float64_ball_rung():
    """λ_max of a zero Hessian on float64 balls has an upper bound ~1e-300 > 0: η = frac·2/λ_max_upper would be
    ~1e300, beyond gd's range; the ball64 rung must then be undecided (climb to Arb), not crash the re-check."""
    from verify.claims import get_claim
    from verify.claims.check import recheck

    res, history = recheck(get_claim("gd-monotone-relu"), _dead_relu_instance())
    assert res.verdict in (vf.Verdict.SUPPORTED, vf.Verdict.INCONCLUSIVE)


_GUARD = _PRELUDE + r"""
import verify as vf
from verify import errors
d, h, arith = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(0)
net = vf.MLP([d, h, 1], "tanh", bias=False)
loss = vf.SquareLoss(net, vf.Dataset((rng.integers(-3, 4, size=(20, d)) / 4).tolist(),
                                     (rng.integers(-3, 4, size=20) / 4).tolist()))
th = (rng.integers(-8, 9, size=net.n_params) / 16).tolist()
gc.collect()
r0 = _peak_rss()
H = loss.hessian(th, arith)
peak = _peak_rss() - r0
del H
gc.collect()
try:
    loss.hessian(th, arith, max_bytes=peak)
    print("accepted", peak)
except errors.SizeLimitError:
    print("refused", peak)
"""


@pytest.mark.slow
@pytest.mark.parametrize("d,h,arith", [(1500, 1, "ball"), (1000, 2, "ball"), (180, 16, "ball"), (3000, 1, "ball64"),
                                       (200, 16, "ball64")])
def test_hessian_guard_refuses_a_limit_equal_to_the_measured_peak(d, h, arith):
    """The guard as NetworkLoss.hessian applies it (its own layer hint, not a copy of the formula): with max_bytes
    equal to the peak RSS increase measured in a fresh process, the estimate (an upper bound of that peak) must
    exceed the limit — narrow (one or two neurons: every entry a distinct ball) and 16-wide hidden layers."""
    out = subprocess.run([sys.executable, "-c", _GUARD, str(d), str(h), arith], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    verdict, peak = out.stdout.split()[-2:]
    assert verdict == "refused", f"estimate below the measured peak of {int(peak) / 2**20:.0f} MiB"


# ------------------------------------------------------------------------------ whole networks: ball ⊇ exact
@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_network_gradients_hessians_and_gd_enclose_the_exact_values(seed):
    """MLPs with piecewise-polynomial activations (exact arithmetic gives the true values): the Arb gradient and
    Hessian at 64 and 128 bits (activations piece by piece on whole arrays, arb_mat conversions remembered between
    the forward and the backward pass) and two ball GD steps (θ checked once per step) contain the exact ones."""
    from verify.convergence import gd

    rng = np.random.default_rng(seed)
    widths = [int(rng.integers(1, 4))] + [int(rng.integers(1, 7)) for _ in range(int(rng.integers(1, 3)))]
    widths.append(int(rng.integers(1, 3)))
    act = str(rng.choice(["relu", "leaky_relu(1/10)", "hardtanh", "abs", "relu_power(2)", "relu_power(3)",
                          "identity"]))
    net = vf.MLP(widths, act, bias=bool(rng.integers(0, 2)))
    n = int(rng.integers(1, 5))
    X = [[F(int(v), 4) for v in rng.integers(-8, 9, size=widths[0])] for _ in range(n)]
    Y = [[F(int(v), 4) for v in rng.integers(-8, 9, size=widths[-1])] for _ in range(n)]
    loss = vf.SquareLoss(net, vf.Dataset(X, Y))
    th = [F(int(v), 8) for v in rng.integers(-12, 13, size=net.n_params)]
    try:
        ge = np.ravel(loss.grad(th, "exact"))
        He = np.ravel(np.asarray(loss.hessian(th, "exact"), dtype=object))
        te = gd(loss, th, F(1, 64), 2, "exact")
    except errors.RegionBoundaryError:
        return  # θ (or an iterate) on a kink: nothing to compare
    for prec in (64, 128):
        a = get_arith("ball", prec)
        pairs = list(zip(ge, np.ravel(loss.grad(th, "ball", prec))))
        pairs += list(zip(He, np.ravel(np.asarray(loss.hessian(th, "ball", prec), dtype=object))))
        for e, b in pairs:
            lo, hi = a.bounds(b)
            assert lo <= to_fraction(e) <= hi, (act, widths, e, b)
    tb = gd(loss, th, F(1, 64), 2, "ball", 128)
    a = get_arith("ball", 128)
    for ke, kb in zip(te.thetas, tb.thetas):
        for e, b in zip(np.ravel(ke), np.ravel(kb)):
            lo, hi = a.bounds(b)
            assert lo <= to_fraction(e) <= hi, (act, widths, e, b)


@pytest.mark.parametrize("b", [F(0), F(1, 3), F(-5, 7)])
def test_one_sided_piece_at_a_non_dyadic_breakpoint_encloses_or_refuses(b):
    """σ = 0 (z < b), (z − b)^(3/2) (z ≥ b), C¹ at b. Balls on and across b take the union of both pieces, each on
    its clipped part of the ball. At a dyadic b the clip is exact and the enclosures are finite; at a non-dyadic b
    the clip uses b's Arb enclosure, so (z − b) can reach below 0 and the 3/2 power gives NaN: a refusal, never a
    wrong finite ball (every finite output contains σ^(k) at points of its input, by exact/400-bit values)."""
    bs = sp.Rational(b.numerator, b.denominator)
    act = Activation.from_piecewise(sp.Piecewise((0, zs < bs), ((zs - bs) ** sp.Rational(3, 2), True)), zs, "shift")
    entries = [(b, F(1, 10)), (b, F(0)), (b + 1, F(0)), (b - 1, F(1, 3)), (b + F(1, 2**100), F(1, 2**90))]
    _check_act_array(act, entries, 128, 1, False)
    if b.denominator == 1:
        a = get_arith("ball", 128)
        outs = act(np.array([_ball(c, r, a) for c, r in entries], dtype=object), a, 1)
        assert all(v.is_finite() for o in outs for v in o)


def test_checked_mark_does_not_survive_arithmetic():
    """checked_balls marks one array the caller has checked; arrays computed from it are new values and must be
    checked again (a NaN or infinite ball refused with NonFiniteError)."""
    from verify.arith.ball import checked_balls

    a = get_arith("ball", 128)
    th = np.array([arb(1), arb(2)], dtype=object)
    derived = checked_balls(th) * arb("nan")
    try:
        a.array(derived)
    except errors.NonFiniteError:
        return
    raise AssertionError("a NaN array derived from a checked one was accepted unchecked")
