"""Validated gradient-flow tubes across activation breakpoints (verify/convergence/kinks.py): transversal crossings
continued with a certified crossing window (Filippov 1988, Ch. 2), sliding stopped, near-tangential contacts never
giving a wrong enclosure; the flow claims on tubes with crossings."""

from fractions import Fraction as F

import mpmath as mp
import pytest
import sympy as sp
from flint import arb, fmpq

import verify as vf
from verify.arith.taylor import SeriesContext
from verify.convergence import flow_claims as fc
from verify.convergence import validated_flow
from verify.result import Verdict

W = sp.Symbol("w", real=True)
P, I = Verdict.PROVED, Verdict.INCONCLUSIVE


def _a(q) -> arb:
    q = F(q)
    return arb(fmpq(q.numerator, q.denominator))


def _times(tube, n):
    T = tube.T_reached
    ts = {T * k / n for k in range(n + 1)}
    for c in tube.crossings:
        ts |= {c.t_lo, c.t_hi, (c.t_lo + c.t_hi) / 2}
    return sorted(ts)


def _contains_all(tube, exact, n=60):
    """tube.at(t) and every step box contain exact(t) (an arb ball at 512 bits) at many times."""
    with SeriesContext(512, 1):
        for t in _times(tube, n):
            box = tube.at(t)
            ref = exact(t)
            assert all(b.overlaps(r) for b, r in zip(box, ref)), (t, box, ref)
        for s in tube.steps:
            for t in (s.t0, s.t1, s.t0 + s.h / 3):
                ref = exact(t)
                assert all(b.overlaps(r) for b, r in zip(s.tube, ref)), (s.t0, t)


# --------------------------------------------------------------------------- a two-piece quadratic, closed form
def _two_piece():
    """L = ½(max(w, 0) − 1)² + ½(w + 2)² − ½. For w > 0: w' = −2w − 1, w = −½ + (3/2)e^{−2t} from w(0) = 1, reaching
    0 at t* = ln(3)/2; for w < 0: w' = −(w + 2), w = −2 + 2e^{−(t − t*)}. Both fields point to w < 0 at w = 0
    (−1 and −2): a transversal crossing."""
    obj = vf.Objective.from_sympy((sp.Max(W, 0) - 1) ** 2 / 2 + (W + 2) ** 2 / 2 - sp.Rational(1, 2), [W])

    def exact(t):
        ts = arb(3).log() / 2
        tq = _a(t)
        if tq < ts:
            return [-arb(1) / 2 + arb(3) / 2 * (-2 * tq).exp()]
        if tq > ts:
            return [-2 + 2 * (-(tq - ts)).exp()]
        return [arb(0).union(-arb(1) / 2 + arb(3) / 2 * (-2 * tq).exp())]
    return obj, exact


def test_two_piece_quadratic_crosses_transversally_and_contains_the_closed_form():
    obj, exact = _two_piece()
    tube = validated_flow(obj, [1], 2)
    assert tube.complete and tube.stop_kind is None
    assert len(tube.crossings) == 1
    cr = tube.crossings[0]
    with SeriesContext(512, 1):
        ts = arb(3).log() / 2
        assert _a(cr.t_lo) < ts < _a(cr.t_hi)  # the window contains the exact crossing time
    assert cr.t_hi - cr.t_lo < F(1, 10**20)  # and is narrow (bisection on point enclosures)
    assert cr.rate_old < 0 and cr.rate_new < 0 and {cr.old, cr.new} == {(0,), (1,)}
    assert "Piecewise condition" in cr.where and "w" in cr.where
    _contains_all(tube, exact)
    assert tube.max_radius < F(1, 10**25)  # the crossing does not blow the enclosure up
    # the steps tile [0, T]; the window step's box holds both sides
    win = [s for s in tube.steps if s.crossing is not None]
    assert len(win) == 1 and win[0].t0 == cr.t_lo and win[0].t1 == cr.t_hi
    with SeriesContext(512, 1):
        assert win[0].tube[0].contains(0)


def test_flow_claims_on_a_tube_with_a_crossing():
    """On w > 0: ‖∇L‖² − L/4 = 4w² + 4w + 1 − (w² + w + 2)/4 > 0; on w < 0: L = ½(w + 2)², ‖∇L‖² = 2L. So
    L(θ(t)) ≤ e^{−t/4}L(θ(0)) on [0, 2] (the window's box straddles the kink: each side on its own piece)."""
    obj, _ = _two_piece()
    tube = validated_flow(obj, [1], 2)
    assert fc.flow_rate(obj, tube, F(1, 4)).verdict == P
    assert fc.flow_stays_in_ball(tube, [1], F(31, 10)).verdict == P
    assert fc.flow_no_blowup(obj, tube).verdict == P
    # the true decay near w = −2 is e^{−2t}, the first piece decays slower: a rate α = 4 is false at the step ends
    assert fc.flow_rate(obj, tube, 4).verdict == Verdict.REFUTED
    encl = tube.loss_enclosures(obj)
    assert len(encl) == len(tube.steps)


def test_abs_plus_linear_crosses_and_keeps_the_exact_line():
    """L = |x| + 2x from 1: x = 1 − 3t to t* = 1/3, then x = −(t − 1/3) (fields −3 and −1)."""
    obj = vf.Objective.from_sympy(sp.Abs(W) + 2 * W, [W])
    tube = validated_flow(obj, [1], 2)
    assert tube.complete and len(tube.crossings) == 1
    cr = tube.crossings[0]
    assert cr.t_lo < F(1, 3) < cr.t_hi
    _contains_all(tube, lambda t: [_a(1 - 3 * t) if t <= F(1, 3) else _a(F(1, 3) - t)])
    with SeriesContext(128, 1):
        assert tube.final[0].contains(_a(F(-5, 3)))


def test_kinks_stop_keeps_the_old_behaviour():
    obj = vf.Objective.from_sympy(sp.Abs(W) + 2 * W, [W])
    tube = validated_flow(obj, [1], 2, kinks="stop")
    assert tube.stop_kind == "kink" and tube.T_reached <= F(1, 3) and not tube.crossings
    with pytest.raises(vf.errors.InputError):
        validated_flow(obj, [1], 2, kinks="slide")


# --------------------------------------------------------------------------- sliding
def test_sliding_stops_with_sliding_and_claims_stay_inconclusive():
    """L = |w| + w²/2 from 1: w = 2e^{−t} − 1 reaches 0 at t* = ln 2; then w' = −(−1 + w) > 0 on the other side:
    both fields point into w = 0 (Filippov sliding: the solution stays at 0)."""
    obj = vf.Objective.from_sympy(sp.Abs(W) + W**2 / 2, [W])
    tube = validated_flow(obj, [1], 2)
    assert tube.stop_kind == "sliding" and "slides" in tube.stopped and "w >= 0" in tube.stopped
    assert not tube.complete and not tube.crossings
    with SeriesContext(512, 1):
        assert _a(tube.T_reached) < arb(2).log()
        assert _a(tube.T_reached) > arb(2).log() - arb(10) ** -20  # stopped right at the kink
    _contains_all(tube, lambda t: [2 * (-_a(t)).exp() - 1])
    for res in (fc.flow_rate(obj, tube, F(1, 100)), fc.flow_stays_in_ball(tube, [1], 2),
                fc.flow_no_blowup(obj, tube)):
        assert res.verdict == I and "stops at t" in res.message


def test_relu_unit_going_dead_is_not_continued():
    """One data point: on the dead side the unit's weights get no gradient, the new field is tangent to the kink
    (normal component exactly 0): never continued, the neuron is named."""
    net = vf.MLP([1, 1, 1], "relu", bias=True)
    loss = vf.SquareLoss(net, vf.Dataset([[1]], [-1]))
    tube = validated_flow(loss, [F(1, 8), F(1, 8), F(2), F(1, 2)], 5)
    assert tube.stop_kind == "kink" and "layer 1, neuron 0" in tube.stopped and "not certified" in tube.stopped
    with SeriesContext(128, 1):
        z = tube.final[0] + tube.final[1]
        assert z.lower() > 0


# --------------------------------------------------------------------------- near-tangential contacts
@pytest.mark.parametrize("prec", [64, 128])
@pytest.mark.parametrize("sign", [1, -1])
def test_near_tangential_crossings_never_give_a_wrong_enclosure(prec, sign):
    """L = |x| + (1 + s·10⁻³⁰)x from 1: x' = −(2 + s·10⁻³⁰) until t* = 1/(2 + s·10⁻³⁰), then x' = −s·10⁻³⁰:
    a transversal crossing with a normal speed 10⁻³⁰ (s = 1) or sliding (s = −1). Whatever the tube decides at
    this precision, it contains the exact solution; it never crosses when sliding, never slides when crossing."""
    eps = F(sign, 10**30)
    obj = vf.Objective.from_sympy(sp.Abs(W) + (1 + sp.Rational(eps.numerator, eps.denominator)) * W, [W])
    tube = validated_flow(obj, [1], 1, prec=prec)
    ts = 1 / (2 + eps)

    def exact(t):
        if sign < 0:
            return [_a(max(0, 1 - (2 + eps) * t))]
        return [_a(1 - (2 + eps) * t) if t <= ts else _a(-eps * (t - ts))]
    _contains_all(tube, exact, n=30)
    if sign > 0:
        assert tube.stop_kind in (None, "kink")
        if tube.complete:
            assert tube.crossings[0].t_lo < ts < tube.crossings[0].t_hi
    else:
        assert tube.stop_kind in ("sliding", "kink") and tube.T_reached <= ts
        if prec == 128:
            assert tube.stop_kind == "sliding"


# --------------------------------------------------------------------------- a ReLU network
NET_X0 = [F(1, 4), F(7, 8), F(-5, 8), F(5, 8), F(-5, 8), F(-1), F(1, 2), F(-5, 8), F(1, 2)]


def _relu_net():
    net = vf.MLP([2, 2, 1], "relu", bias=True)
    return vf.SquareLoss(net, vf.Dataset([[1, 0], [0, 1], [1, 1]], [1, -1, 0]))


def test_relu_network_crossing_is_continued_and_consistent_across_precisions():
    loss = _relu_net()
    t64 = validated_flow(loss, NET_X0, 1, prec=64)
    t128 = validated_flow(loss, NET_X0, 1, prec=128)
    for tube in (t64, t128):
        assert tube.complete and len(tube.crossings) == 1
        assert "layer 1, neuron 0, data point 1" in tube.crossings[0].where
    a, b = t64.crossings[0], t128.crossings[0]
    assert a.t_lo < b.t_hi and b.t_lo < a.t_hi  # both windows contain t*
    assert b.t_hi - b.t_lo < a.t_hi - a.t_lo
    with SeriesContext(128, 1):
        for k in range(21):
            t = F(k, 20)
            assert all(u.overlaps(v) for u, v in zip(t64.at(t), t128.at(t))), t
    assert t128.max_radius < F(1, 10**25)
    assert fc.flow_stays_in_ball(t128, NET_X0, 2).verdict == P


@pytest.mark.slow
def test_relu_network_crossing_contains_the_mpmath_piecewise_solution():
    """Reference: mpmath's Taylor integrator (odefun, 30 digits) on the old piece's field up to the crossing, located
    by root-finding on the pre-activation, then on the new piece's field from there."""
    loss = _relu_net()
    tube = validated_flow(loss, NET_X0, F(1, 2), prec=128)
    assert tube.complete and len(tube.crossings) == 1
    cr = tube.crossings[0]
    syms = loss.symbols

    def field(pattern):
        e = loss.on_region(pattern)
        g = [sp.lambdify(syms, -sp.diff(e, v), "mpmath") for v in syms]
        return lambda t, y: [gi(*y) for gi in g]

    with mp.workdps(30):
        f1 = mp.odefun(field(cr.old), 0, [mp.mpf(q.numerator) / q.denominator for q in NET_X0])
        # data point 1 is x = (0, 1): z = W1[0, 1] + b1[0]
        tstar = mp.findroot(lambda t: f1(t)[1] + f1(t)[4], mp.mpf(float(cr.t_lo)))
        assert mp.mpf(cr.t_lo.numerator) / cr.t_lo.denominator - mp.mpf(10) ** -25 <= tstar
        assert tstar <= mp.mpf(cr.t_hi.numerator) / cr.t_hi.denominator + mp.mpf(10) ** -25
        f2 = mp.odefun(field(cr.new), tstar, f1(tstar))
        with SeriesContext(256, 1):
            for k in range(11):
                t = F(k, 20)
                ref = f1(mp.mpf(t.numerator) / t.denominator) if t < cr.t_lo else (
                    f2(mp.mpf(t.numerator) / t.denominator) if t > cr.t_hi else None)
                if ref is None:
                    continue
                for b, r in zip(tube.at(t), ref):
                    assert b.lower() - arb(10) ** -24 <= arb(str(r)) <= b.upper() + arb(10) ** -24, (t, b, r)
