"""Neural correlation function, KKT points, NCF flow, small initialisation and Neuron Pursuit
(Kumar & Haupt, arXiv:2509.12154; docs/theory/homogeneous_np.md §2.2–3.3)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import verify as vf
from verify.arith.ball import contains
from verify.errors import InputError
from verify.homogeneous import NCF, NotHomogeneousError, max_ncf, neuron_pursuit, small_init_experiment
from verify.homogeneous.pursuit import best_unit_direction

RNG = np.random.default_rng(3)
X = RNG.normal(size=(5, 2))
Y = RNG.normal(size=5)
RELU2 = ("relu_power", 2)


def test_ncf_value_gradient_and_hessian_agree_across_arithmetics_and_with_finite_differences():
    net = vf.MLP([2, 3, 1], RELU2)
    ncf = NCF(net, X, Y)
    u = RNG.normal(size=net.n_params)
    v = float(ncf.value(u))
    assert abs(v - float(Y @ np.asarray(vf.SquareLoss(net, vf.Dataset(X, Y)).outputs(u), float).reshape(-1))) < 1e-12
    with mpmath.workprec(200):
        assert contains(ncf.value(u, "ball", 128), ncf.value(u, "mp", 200))
    g = np.asarray(ncf.grad(u), float)
    eps = 1e-6
    fd = np.array([(float(ncf.value(u + eps * e)) - float(ncf.value(u - eps * e))) / (2 * eps)
                   for e in np.eye(len(u))])
    assert np.allclose(g, fd, atol=1e-6)
    H = np.asarray(ncf.hessian(u), float)
    fdH = np.column_stack([(np.asarray(ncf.grad(u + eps * e), float) - np.asarray(ncf.grad(u - eps * e), float))
                           / (2 * eps) for e in np.eye(len(u))])
    assert np.allclose(H, fdH, atol=1e-5) and np.allclose(H, H.T)
    # Euler: <u, ∇N(u)> = L·N(u)
    assert abs(float(u @ g) - net.homogeneity_degree * v) < 1e-10 * max(1, abs(v))


@pytest.mark.parametrize("net, reason", [(vf.MLP([2, 3, 1], "relu", bias=True), "biases"),
                                         (vf.MLP([2, 3, 1], "tanh"), "not positively homogeneous")])
def test_non_homogeneous_networks_are_refused_with_the_reason(net, reason):
    with pytest.raises(NotHomogeneousError, match=reason):
        NCF(net, X, Y)
    with pytest.raises(NotHomogeneousError):
        small_init_experiment(net, vf.Dataset(X, Y), 1e-2, 0.1)


def test_kkt_points_are_certified_and_sparse_for_relu_squared():
    net = vf.MLP([2, 5, 1], RELU2)
    pts = max_ncf(net, X, Y, restarts=6, seed=1)
    best = pts[0]
    assert best.sign_certified and best.N_enclosure[0] > 0 and best.residual_upper < 1e-25
    assert best.certified and best.result.verdict is vf.Verdict.PROVED and best.pinned_neurons  # sparse: pinned
    assert len(best.active_neurons) == 1
    assert all(a.N >= b.N for a, b in zip(pts, pts[1:]))
    # the single-unit closed form of docs/theory/homogeneous_np.md §3.3: N* = (p+1)^(−1/2) (p/(p+1))^(p/2) |g(â)|
    a_hat, g = best_unit_direction(X, Y, 2, restarts=10, seed=0)
    closed = 3 ** -0.5 * (2 / 3) ** 1 * abs(g)
    assert abs(closed - best.N) < 1e-6 * best.N


def test_scaling_law_and_blowup_guard():
    net = vf.MLP([2, 3, 1], RELU2)
    data = vf.Dataset(X, Y)
    out = small_init_experiment(net, data, 1e-3, 0.05, seed=2)
    assert abs(out["norm_w_over_delta"] - out["norm_u_tau"]) < 1e-3 * out["norm_u_tau"]
    assert out["cos_w_u_tau"] > 1 - 1e-9
    with pytest.raises(InputError, match="blow-up"):
        small_init_experiment(net, data, 1e-3, 50, seed=2)
    with pytest.raises(InputError):
        small_init_experiment(net, data, 0, 0.05)


def test_neuron_pursuit_fits_a_one_neuron_teacher_and_stops_for_the_right_reason():
    rng = np.random.default_rng(0)
    Xt = rng.normal(size=(30, 3))
    a = np.array([1.0, -0.5, 0.3])
    y = 0.8 * np.maximum(Xt @ a, 0) ** 2
    res = neuron_pursuit(vf.Dataset(Xt, y), RELU2, max_neurons=3, tol_L=1e-12)
    assert res.history[0]["neurons"] == 1 and res.history[-1]["train_loss"] < 1e-10
    assert "tol_L" in res.stop_reason or "N*" in res.stop_reason
    zero = neuron_pursuit(vf.Dataset(Xt, np.zeros(30)), RELU2)
    assert zero.neurons == 0 and "zero residual" in zero.stop_reason


def test_deep_neuron_pursuit_grows_the_layers_a_deep_teacher_needs():
    rng = np.random.default_rng(3)
    Xd = rng.normal(size=(60, 4))
    W1, W2, W3 = rng.normal(size=(2, 4)) / 2, rng.normal(size=(2, 2)), rng.normal(size=(1, 2))
    yd = ((np.maximum(np.maximum(Xd @ W1.T, 0) ** 2 @ W2.T, 0) ** 2) @ W3.T).ravel()
    res = neuron_pursuit(vf.Dataset(Xd, yd), RELU2, depth=3, max_neurons=3, inner_steps=3000)
    losses = [h["train_loss"] for h in res.history]
    assert all(a >= b - 1e-12 for a, b in zip(losses, losses[1:]))
    assert res.history[-1]["widths"] == [4, 2, 2, 1] and losses[-1] < 1e-3 < losses[0]


def test_neuron_pursuit_bad_input():
    data = vf.Dataset(X, Y)
    with pytest.raises(InputError, match="depth"):
        neuron_pursuit(data, RELU2, depth=1)
    with pytest.raises(InputError):
        neuron_pursuit(data, RELU2, delta_add=0)
    with pytest.raises(InputError, match="relu"):
        neuron_pursuit(data, "tanh")
    assert math.isfinite(neuron_pursuit(data, "relu", max_neurons=1).history[0]["N_star"])


def test_theorem7_two_layer_behaviour_and_the_flow_guard():
    from verify.homogeneous import theorem7_experiment
    from verify.homogeneous.pursuit import _loss_for, armijo_gd

    data = vf.Dataset(X, Y)
    small = _loss_for(data, RELU2, 1)
    th, _ = armijo_gd(small, 0.5 * np.random.default_rng(7).standard_normal(small.n_params), 20000, 1e-12)
    out = theorem7_experiment(data, RELU2, th, 1, 2, 1e-3, 0.05, seed=2)
    assert out["drift_w_n"] < 1e-8 and out["cos_wz_z_tau"] > 1 - 1e-9
    assert abs(out["norm_wz_over_delta"] / out["norm_z_tau"] - 1) < 1e-5
    with pytest.raises(InputError):
        theorem7_experiment(data, RELU2, th, 1, 2, -1, 0.05)


def test_deep_theorem7_instance_follows_the_leading_order_residual_ncf():
    from verify.homogeneous import deep_theorem7_experiment
    from verify.homogeneous.pursuit import armijo_gd

    rng = np.random.default_rng(5)
    Xd, yd = rng.normal(size=(8, 2)), rng.normal(size=8)
    data = vf.Dataset(Xd, yd)
    loss = vf.SquareLoss(vf.MLP([2, 1, 2, 1], RELU2), data, normalization="half_sum")
    th, _ = armijo_gd(loss, 0.7 * np.random.default_rng(0).standard_normal(loss.n_params), 30000, 1e-12)
    out = deep_theorem7_experiment(data, RELU2, th, [2, 1, 2, 1], 1e-2, 0.2, seed=3)
    assert out["K"] == 3 and out["drift_w_n"] < 1e-5
    assert abs(out["norm_wz_over_delta"] / out["norm_u_tau"] - 1) < 1e-6 and out["cos_wz_u_tau"] > 1 - 1e-9
    with pytest.raises(InputError):
        deep_theorem7_experiment(data, RELU2, th, [2, 1, 2, 2], 1e-2, 0.2)


def test_saddle_analysis_classifies_strict_and_degenerate_saddles():
    from verify.homogeneous import saddle_analysis
    from verify.homogeneous.pursuit import _loss_for, armijo_gd

    data = vf.Dataset(X, Y)
    small = _loss_for(data, RELU2, 1)
    th, _ = armijo_gd(small, 0.5 * np.random.default_rng(7).standard_normal(small.n_params), 20000, 1e-12)
    w = np.zeros(9)
    w[[0, 1]], w[6] = th[:2], th[2]  # unit 0 trained, units 1 and 2 zero: the padded point (w̄_n, 0)
    res = saddle_analysis(data, RELU2, w, 3)
    assert res.certificate["grad_norm"] < 1e-6 and res.certificate["max_residual_ncf"] > 0
    assert res.certificate["classification"].startswith(("degenerate saddle", "strict saddle"))
    far = saddle_analysis(data, RELU2, w + 0.3, 3)
    assert far.verdict == vf.Verdict.INCONCLUSIVE and "not a stationary point" in far.message
