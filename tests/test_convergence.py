"""GD trajectories and certified rate checks; gradient flow (mpmath / DOP853); initialisations
(docs/theory/local_pl.md §1.2, §2.2, §6 and docs/theory/gradient_flow.md)."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest
import sympy as sp

import verify as vf
from verify import convergence as cv
from verify.arith.ball import contains
from verify.errors import InputError

X_ = sp.Symbol("x")
SQUARE = vf.Objective.from_sympy(X_**2, [X_])
QUARTIC = vf.Objective.from_sympy((X_**2 - 1) ** 2 / 4, [X_])


def small_net():
    net = vf.MLP([2, 3, 1], "tanh")
    return vf.SquareLoss(net, vf.Dataset([[1, 0], [0, 1]], [1, -1])), [F(k, 7) for k in range(-4, 5)]


def test_gd_agrees_in_every_arithmetic():
    loss, th = small_net()
    tf = cv.gd(loss, th, F(1, 4), 20, "float")
    tm = cv.gd(loss, th, F(1, 4), 20, "mp", 200)
    tb = cv.gd(loss, th, F(1, 4), 20, "ball", 128)
    for a, b, c in zip(tf.thetas[-1], tm.thetas[-1], tb.thetas[-1]):
        assert abs(a - float(b)) < 1e-12 and contains(c, b)
    assert contains(tb.losses[-1], tm.losses[-1])


@pytest.mark.parametrize("eta", [F(1, 20), F(1, 10), F(1, 4), F(2, 5)])
def test_x_squared_rate_is_attained_with_equality(eta):
    """§6 claim 3: f(x_k) = (1 − 2η)^{2k} f(x0) exactly: PROVED in exact arithmetic, and any smaller q is
    REFUTED with a certified step."""
    q = (1 - 2 * eta) ** 2
    tr = cv.gd(SQUARE, [1], eta, 25, "exact")
    assert cv.check_rate(tr, q, [1], 1).verdict == vf.Verdict.PROVED
    refuted = cv.check_rate(cv.gd(SQUARE, [1], eta, 25, "ball"), q * F(999, 1000))
    assert refuted.verdict == vf.Verdict.REFUTED and refuted.counterexample["step"] == 1


def test_quartic_gd_rate_is_certified_in_ball_arithmetic():
    """§5.2: r = 0.6, η = 0.9·η_max, q from the certified α and β: every iterate certified."""
    from verify import pl

    res = pl.chatterjee_gd(QUARTIC, [F(6, 5)], F(3, 5), eta=F(8, 100))
    tr = cv.gd(QUARTIC, [F(6, 5)], res.certificate["eta"], 300, "ball")
    out = cv.check_rate(tr, res.certificate["q"], [F(6, 5)], F(3, 5))
    assert out.verdict == vf.Verdict.PROVED and out.certificate["steps"] == 301
    assert abs(float(tr.losses[-1].mid())) < 1e-10  # converged to x* = 1


def test_float_round_off_floor_is_not_reported_as_a_violation():
    """§6 claim 2: least squares in float64 floors near 1e−32; the check stops there and says so."""
    loss = vf.SquareLoss(vf.MLP([3, 1], "identity"), vf.Dataset([[2, 1, 0], [0, 1, 1]], [1, 2]),
                         normalization="half_sum")
    lam_min = (7 - np.sqrt(13)) / 2
    beta = (7 + np.sqrt(13)) / 2
    eta = F(1, 6)
    q = 1 - 2 * lam_min * float(eta) * (1 - beta * float(eta) / 2)
    tr = cv.gd(loss, [0, 0, 0], eta, 2000, "float")
    res = cv.check_rate(tr, F(q) * (1 + F(1, 10**9)))
    assert res.verdict == vf.Verdict.SUPPORTED and "round-off floor" in res.message


def test_a_float_violation_is_rechecked_in_ball_arithmetic():
    tr = cv.gd(SQUARE, [1], F(1, 10), 30, "float")
    res = cv.check_rate(tr, F(64, 100) * F(99, 100))  # true q = 0.64: the float run violates at step 1
    assert res.verdict == vf.Verdict.REFUTED and res.arithmetic == "ball64" and "re-checked" in res.message
    assert res.rung == "ball64" and res.certificate["ladder"][0] == {"rung": "ball64", "outcome": "decided"}


def test_containment_is_checked():
    tr = cv.gd(SQUARE, [1], F(1, 10), 10, "ball")
    assert cv.check_rate(tr, F(64, 100), [1], F(1, 2)).verdict == vf.Verdict.REFUTED  # x_k leaves B(1, 1/2)


def test_gradient_flow_mp_matches_the_closed_form_and_scipy():
    sol = cv.gradient_flow(SQUARE, [1], 3, n_points=7)
    assert sol.method == "mp" and sol.error_estimate < 1e-25
    assert np.allclose(sol.thetas[:, 0], np.exp(-2 * sol.ts), rtol=1e-14, atol=0)
    assert abs(cv.observed_rate(sol)["rate"] - 4) < 1e-9  # α = 4: L = e^{−4t}


@pytest.mark.slow
def test_gradient_flow_mp_and_scipy_agree_on_a_network():
    loss, th = small_net()
    a = cv.gradient_flow(loss, th, F(1, 2), method="scipy", n_points=3)
    b = cv.gradient_flow(loss, th, F(1, 2), method="mp", n_points=3, dps=30)
    assert b.error_estimate < 1e-25 and np.allclose(a.thetas, b.thetas, atol=1e-10)


def test_no_blowup_and_gd_tracks_gf():
    loss, th = small_net()
    sol = cv.gradient_flow(loss, th, 2, method="scipy")
    assert cv.no_blowup(loss, sol).verdict == vf.Verdict.SUPPORTED
    runs = cv.gd_vs_gf(QUARTIC, [F(6, 5)], 2, [F(1, 10), F(1, 20), F(1, 40)])["runs"]
    ratios = [r["distance_over_eta"] for r in runs]
    assert max(ratios) / min(ratios) < 1.5  # distance = O(η)
    lam = cv.ntk_lambda_min_path(sol)
    assert lam.shape == (len(sol.ts),) and np.all(lam > 0)


def test_positive_initialisation():
    net = vf.MLP([3, 4, 4, 1], "tanh")
    th = vf.init.positive(net, 5)
    v = net.views(th)
    assert np.all(v["W1"] == 0) and np.all(v["W3"] == 5) and np.all(v["W2"] > 0)
    loss = vf.SquareLoss(net, vf.Dataset([[1, 0, 0], [0, 1, 0]], [1, -3]))
    assert loss.value(th, "ball").mid() == 5  # F ≡ 0 at W1 = 0: L = mean(y²) whatever the scale
    assert vf.init.xavier(net).shape == (net.n_params,) and vf.init.he(net).shape == (net.n_params,)
    with pytest.raises(InputError):
        vf.init.positive(vf.MLP([3, 4, 1], "tanh", bias=True), 1)


@pytest.mark.parametrize("bad", [dict(T=0), dict(T=-1)])
def test_bad_horizon(bad):
    with pytest.raises(InputError):
        cv.gradient_flow(SQUARE, [1], bad["T"])


def test_bad_gd_inputs():
    with pytest.raises(InputError):
        cv.gd(SQUARE, [1], 0, 10)
    with pytest.raises(InputError):
        cv.gd(SQUARE, [1, 2], F(1, 10), 10)
    with pytest.raises(InputError):
        cv.check_rate(cv.gd(SQUARE, [1], F(1, 10), 3), F(3, 2))
