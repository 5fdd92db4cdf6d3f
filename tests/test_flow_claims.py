"""Gradient-flow claims decided on validated tubes (verify.convergence.flow_claims): PROVED on [0, T], REFUTED with a
certified enclosure, never a wrong verdict 10⁻³⁰ from the threshold (docs/theory/gradient_flow.md §3,
docs/theory/local_pl.md §1.2)."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest
import sympy as sp
from flint import arb

import verify as vf
from verify.convergence import flow_claims as fc
from verify.convergence import validated_flow
from verify.errors import InputError

P, R, I = vf.Verdict.PROVED, vf.Verdict.REFUTED, vf.Verdict.INCONCLUSIVE
x, y = sp.symbols("x y", real=True)


@pytest.fixture(scope="module")
def quartic():
    """L = ¼(x² − 1)², x' = −x(x² − 1) from 3/2: ‖∇L‖²/L = 4x² > 4 along the path (x decreases to 1)."""
    obj = vf.Objective.from_sympy(sp.Rational(1, 4) * (x**2 - 1) ** 2, [x])
    return obj, validated_flow(obj, [F(3, 2)], 2)


@pytest.fixture(scope="module")
def linear():
    """L = ½(x² + 4y²) from (1, 0): θ(t) = (e^{−t}, 0), L(θ(t)) = ½e^{−2t}; ‖∇L‖² ≥ 2L everywhere."""
    obj = vf.Objective.from_sympy((x**2 + 4 * y**2) / 2, [x, y])
    return obj, validated_flow(obj, [1, 0], 1)


def test_rate_proved_below_the_true_rate_and_refuted_above(quartic):
    obj, tube = quartic
    assert tube.complete
    res = fc.flow_rate(obj, tube, F(399, 100))
    assert res.verdict == P and res.scope["horizon"] == 2 and res.scope["count"] == len(tube.steps)
    bad = fc.flow_rate(obj, tube, 5)
    assert bad.verdict == R and bad.counterexample["loss_lower"] > bad.counterexample["bound_upper"]


def test_rate_near_the_threshold_is_never_decided_the_wrong_way(linear):
    obj, tube = linear
    assert fc.flow_rate(obj, tube, F(19, 10)).verdict == P
    above = fc.flow_rate(obj, tube, 2 + F(1, 10**30))  # false: L(θ(t)) = ½e^{−2t} > ½e^{−(2 + 10⁻³⁰)t} for t > 0
    assert above.verdict in (R, I)
    below = fc.flow_rate(obj, tube, 2 - F(1, 10**30))  # true
    assert below.verdict in (P, I)
    assert fc.flow_rate(obj, tube, F(21, 10)).verdict == R


def test_ball_containment_blowup_and_avoidance(quartic):
    obj, tube = quartic
    assert fc.flow_stays_in_ball(tube, [F(3, 2)], F(1, 2)).verdict == P  # x(t) ∈ (1, 3/2]
    assert fc.flow_stays_in_ball(tube, [F(3, 2)], F(1, 4)).verdict == R  # x(2) ≈ 1.0026
    assert fc.flow_no_blowup(obj, tube).verdict == P
    res = fc.flow_avoids(tube, lambda b: abs(b[0]), "{x = 0}")
    assert res.verdict == P and res.margin > 0.99  # x(t) > 1
    start = fc.flow_avoids(tube, lambda b: abs(b[0] - arb(3) / 2), "{x = 3/2}")
    assert start.verdict == R  # the start lies on the set, exactly


def test_gd_tracks_the_flow_with_a_certified_constant(quartic):
    obj, tube = quartic
    coarse = fc.gd_tracks_flow(obj, tube, F(1, 10))
    fine = fc.gd_tracks_flow(obj, tube, F(1, 20))
    assert coarse.verdict == fine.verdict == P
    D1, D2 = coarse.certificate["D_upper"], fine.certificate["D_upper"]
    assert D2 < D1 and fine.certificate["C_upper"] < 2 * coarse.certificate["C_upper"]  # O(η)
    # the certified bound really bounds the distance: GD at 40 digits against a 40-digit reference flow (exact
    # rational GD iterates would have 3^k-digit denominators)
    import mpmath

    with mpmath.workdps(40):
        sol = mpmath.odefun(lambda t, u: -u * (u * u - 1), 0, mpmath.mpf(3) / 2)
        xk, eta = mpmath.mpf(3) / 2, mpmath.mpf(1) / 10
        for k in range(21):
            assert abs(xk - sol(k * eta)) <= mpmath.mpf(D1.numerator) / D1.denominator
            xk = xk - eta * xk * (xk * xk - 1)


def test_a_tube_that_stops_early_decides_nothing_about_T():
    # z = w1·1 + b1 starts at 1/4 > 0; the output w2·relu(z) + b2 is pushed down to −1, driving z to the kink 0
    net = vf.MLP([1, 1, 1], "relu", bias=True)
    obj = vf.SquareLoss(net, vf.Dataset([[1]], [-1]))
    th = [F(1, 8), F(1, 8), F(2), F(1, 2)]  # W1, b1, W2, b2
    tube = validated_flow(obj, th, 5)
    assert not tube.complete and tube.stop_kind == "kink"
    res = fc.flow_stays_in_ball(tube, th, 10)
    assert res.verdict == I and "stops at t" in res.message
    assert fc.flow_no_blowup(obj, tube).verdict == I


def test_bad_arguments(quartic):
    obj, tube = quartic
    for alpha in (0, -1, float("nan"), "1"):
        with pytest.raises(InputError):
            fc.flow_rate(obj, tube, alpha)
    with pytest.raises(InputError):
        fc.flow_rate(obj, "tube", 1)
    with pytest.raises(InputError):
        fc.flow_stays_in_ball(tube, [0, 0], 1)
    with pytest.raises(InputError):
        fc.flow_stays_in_ball(tube, [0], 0)
    with pytest.raises(InputError):
        fc.gd_tracks_flow(obj, tube, 3)  # η > T
    with pytest.raises(InputError):
        fc.flow_avoids(tube, lambda b: 1.0, "x")  # not an Arb ball
    other = vf.Objective.from_sympy(x**2 + y**2, [x, y])
    with pytest.raises(InputError):
        fc.flow_rate(other, tube, 1)


def test_network_rate_on_a_tanh_flow():
    net = vf.MLP([2, 3, 1], "tanh", bias=False)
    obj = vf.SquareLoss(net, vf.Dataset([[1, 0], [0, 1], [F(1, 2), F(1, 2)]], [1, -1, F(1, 2)]))
    th = [F(int(v), 8) for v in np.random.default_rng(0).integers(-8, 9, net.n_params)]
    tube = validated_flow(obj, th, 1)
    res = fc.flow_rate(obj, tube, F(1, 2))
    assert res.verdict == P
    assert fc.flow_rate(obj, tube, 100).verdict == R
