"""Homogeneous layer graphs (issue 12): Euler's identity and homogeneity on CNNs (exact), the neural
correlation function, its certified KKT points (with channel pinning) and the small-initialisation
experiment on a homogeneous CNN; refusals with the reason for non-homogeneous graphs."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import verify as vf
from verify.arith.decide import bounds
from verify.errors import InputError, NotHomogeneousError, RegionBoundaryError, ShapeError, SizeLimitError
from verify.homogeneous import (
    NCF,
    certify_kkt,
    check_euler_identity,
    check_homogeneity,
    euler_residuals,
    max_ncf,
    prove_homogeneity_symbolic,
    small_init_experiment,
)
from verify.homogeneous._net import reduced, units
from verify.result import Verdict

nn = vf.nn
RELU2 = ("relu_power", 2)


def cnn1d(act="relu", pool=nn.MaxPool1d, channels=2, length=5, bias=False):
    layers = [nn.Conv1d(1, channels, kernel=2, bias=bias), nn.Act(act)]
    if pool is not None:
        layers.append(pool(2))
    return nn.Sequential(*layers, nn.Flatten(), nn.Dense(1, bias=False), input_shape=(1, length))


def cnn2d(act="relu"):
    return nn.Sequential(nn.Conv2d(1, 2, kernel=2, bias=False), nn.Act(act), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Dense(2, bias=False), input_shape=(1, 3, 3))


# ------------------------------------------------------------------------------ Euler / homogeneity, exact
@settings(max_examples=25, deadline=None)
@given(vf.strategies.graph_instances(homogeneous=True, n=(1, 2)), st.fractions(Fraction(1, 10), 10))
def test_euler_identity_and_homogeneity_are_proved_exactly_on_generated_cnns(inst, c):
    net, th = inst.net(), inst.theta_array()
    assert net.homogeneity_degree is not None
    X = [list(r) for r in inst.X]
    try:
        r = check_euler_identity(net, X, th, "exact")
    except RegionBoundaryError:
        return  # H is not differentiable there (a max-pool tie or a ReLU zero): Euler's identity does not apply
    assert r.verdict is Verdict.PROVED and r.scope["count"] >= len(X)
    assert check_homogeneity(net, X, th, c, "exact").verdict is Verdict.PROVED


def test_block_degrees_of_a_cnn_and_per_layer_euler_identities():
    net = nn.Sequential(nn.Conv1d(1, 2, kernel=2, bias=False), nn.Act(RELU2), nn.MaxPool1d(2),
                        nn.Conv1d(2, 1, kernel=1, bias=False), nn.Act("relu"), nn.Flatten(),
                        nn.Dense(1, bias=False), input_shape=(1, 5))
    assert net.block_degrees == [2, 1, 1] and net.homogeneity_degree == 4
    rng = np.random.default_rng(2)
    X = [[[Fraction(int(k), 3) for k in rng.integers(1, 7, 5)]] for _ in range(2)]
    th = [Fraction(int(k), 5) for k in rng.integers(1, 6, net.n_params)]  # positive: every unit active
    res = euler_residuals(net, X, th, "exact")
    assert set(res["blocks"]) == {"W1", "W2", "W3"}
    assert all(v == 0 for blk in [res["total"], *res["blocks"].values()] for v in blk.reshape(-1))
    # data in the (n, d) form give the same residuals
    flat = [np.ravel(x).tolist() for x in X]
    assert (euler_residuals(net, flat, th, "exact")["outputs"] == res["outputs"]).all()


def test_a_wrong_degree_and_biases_are_refuted_on_a_cnn():
    net = cnn2d()
    rng = np.random.default_rng(0)
    X = rng.integers(1, 5, size=(2, 1, 3, 3))
    th = [Fraction(int(k), 7) for k in rng.integers(1, 8, net.n_params)]
    r = check_euler_identity(net, X, th, "ball", degree=3)
    assert r.verdict is Verdict.REFUTED and r.margin < 0
    # (a hidden bias alone scales with the weights: v·relu(Wx + b) is 2-homogeneous in (W, b, v) jointly; the
    # output bias is what breaks it)
    biased = nn.Sequential(nn.Conv2d(1, 2, kernel=2, bias=False), nn.Act("relu"), nn.Flatten(),
                           nn.Dense(1, bias=True), input_shape=(1, 3, 3))
    with pytest.raises(InputError, match="biases"):
        check_euler_identity(biased, X, [Fraction(1, 3)] * biased.n_params)
    thb = [Fraction(k + 1, 7) for k in range(biased.n_params)]
    assert check_homogeneity(biased, X, thb, 2, "exact", degree=2).verdict is Verdict.REFUTED
    assert check_euler_identity(biased, X, thb, "exact", degree=2).verdict is Verdict.REFUTED


def test_ball_bounds_the_residual_of_a_fractional_power_cnn():
    net = cnn1d(("relu_power", "3/2"), pool=nn.AvgPool1d)
    X = [[[1, 2, 3, 1, 2]]]
    th = [Fraction(k + 1, 7) for k in range(net.n_params)]
    r = check_homogeneity(net, X, th, 2, "ball", 128)
    assert r.verdict is Verdict.SUPPORTED and float(r.quantity.enclosure[1]) < 1e-30
    e = check_euler_identity(net, X, th, "ball", 128)
    assert e.verdict is Verdict.SUPPORTED and float(e.quantity.enclosure[1]) < 1e-30


@pytest.mark.parametrize("net, count", [
    (cnn1d("relu", length=3, channels=1), 8),                         # 2 ReLU entries × 2 window positions
    (cnn1d(RELU2, pool=nn.AvgPool1d, length=3, channels=1), 4),
    (cnn1d(("relu_power", "3/2"), pool=None, length=3, channels=1), 4),
    (nn.Sequential(nn.Dense(2, bias=False), nn.Residual(nn.Act("relu")), nn.Dense(1, bias=False), input_shape=2), 4),
])
def test_symbolic_proof_on_graphs(net, count):
    r = prove_homogeneity_symbolic(net)
    assert r.verdict is Verdict.PROVED and r.quantity.value == count and r.scope["count"] == count


def test_symbolic_proof_size_limit_counts_pool_windows():
    net = cnn1d("relu", length=5, channels=2)  # 8 ReLU entries (2 pieces each) × 4 windows of 2 positions
    with pytest.raises(SizeLimitError, match="4096 activation patterns"):
        prove_homogeneity_symbolic(net, max_patterns=4095)


def test_non_homogeneous_graphs_are_refused_with_the_reason():
    X = np.ones((2, 3, 2))
    att = nn.Sequential(nn.SelfAttention(2), nn.Flatten(), nn.Dense(1, bias=False), input_shape=(3, 2))
    with pytest.raises(NotHomogeneousError, match="attention"):
        NCF(att, X, [1, 2])
    with pytest.raises(InputError, match="attention"):
        check_euler_identity(att, X, [0] * att.n_params)
    res = nn.Sequential(nn.Dense(2, bias=False), nn.Residual([nn.Dense(2, bias=False), nn.Act("relu")]),
                        nn.Dense(1, bias=False), input_shape=2)
    with pytest.raises(NotHomogeneousError, match="residual"):
        max_ncf(res, [[1, 2]], [1])
    tanh = cnn1d("tanh")
    with pytest.raises(NotHomogeneousError, match="tanh"):
        NCF(tanh, np.ones((1, 1, 5)), [1])
    with pytest.raises(InputError, match="tanh"):
        prove_homogeneity_symbolic(tanh)
    with pytest.raises(InputError, match="MLP or a verify.nn.Sequential"):
        NCF("net", [[1]], [1])
    with pytest.raises(ShapeError):
        NCF(cnn1d(), np.ones((2, 1, 4)), [1, 2])  # inputs of the wrong shape
    with pytest.raises(InputError, match="one entry per data point"):
        NCF(cnn1d(), np.ones((2, 1, 5)), [1, 2, 3])


# ------------------------------------------------------------------------------ NCF on a CNN
RNG = np.random.default_rng(3)
XC = RNG.normal(size=(5, 1, 5))
YC = RNG.normal(size=5)


def test_ncf_of_a_cnn_matches_its_sympy_model_and_finite_differences():
    net = cnn1d(RELU2)
    ncf = NCF(net, XC, YC)
    u = RNG.normal(size=net.n_params)
    F = np.asarray(vf.SquareLoss(net, vf.Dataset(XC, YC)).outputs(u), float).reshape(-1)
    assert abs(float(ncf.value(u)) - float(YC @ F)) < 1e-12
    # exact rational data and θ: the sympy model (Piecewise, Max) is a rational number the ball must enclose
    Xq = [[[Fraction(int(k), 3) for k in row] for row in x] for x in RNG.integers(-4, 5, size=(3, 1, 5))]
    ncf_q = NCF(net, Xq, [1, -2, Fraction(1, 2)])
    ue = [Fraction(int(k), 4) for k in RNG.integers(-6, 7, net.n_params)]
    exact = ncf_q.symbolic().subs(dict(zip(net.symbols, [sp.Rational(q.numerator, q.denominator) for q in ue])))
    assert exact.is_Rational
    lo, hi = bounds(ncf_q.value(ue, "ball", 128))
    assert lo <= Fraction(int(exact.p), int(exact.q)) <= hi
    g = np.asarray(ncf.grad(u), float)
    eps = 1e-6
    fd = np.array([(float(ncf.value(u + eps * e)) - float(ncf.value(u - eps * e))) / (2 * eps)
                   for e in np.eye(len(u))])
    assert np.allclose(g, fd, atol=1e-5)
    H = np.asarray(ncf.hessian(u), float)
    fdH = np.column_stack([(np.asarray(ncf.grad(u + eps * e), float) - np.asarray(ncf.grad(u - eps * e), float))
                           / (2 * eps) for e in np.eye(len(u))])
    assert np.allclose(H, fdH, atol=1e-4) and np.allclose(H, H.T)
    assert abs(float(u @ g) - net.homogeneity_degree * float(ncf.value(u))) < 1e-9 * max(1, abs(float(ncf.value(u))))


@pytest.mark.parametrize("act, pool", [(RELU2, nn.MaxPool1d), (RELU2, nn.AvgPool1d), ("relu", nn.AvgPool1d)])
def test_kkt_points_of_a_cnn_are_certified_with_channel_pinning(act, pool):
    """The best KKT point found is sparse (one channel); the pinned channel's weights are exactly 0 and — the
    pinning lemma checked independently — the full gradient vanishes there (relu²: in balls) or N is
    differentiable along the pinned directions (ReLU, and max pooling, whose window of exact zeros a ball cannot
    differentiate through: second-order remainder)."""
    net = cnn1d(act, pool=pool)
    pts = max_ncf(net, XC, YC, restarts=6, seed=1)
    best = pts[0]
    assert best.certified and best.result.verdict is Verdict.PROVED and best.pinned_neurons
    assert best.sign_certified and best.N_enclosure[0] > 0
    assert best.active_neurons == [0] or best.active_neurons == [1]
    hidden, _ = units(net)
    pinned = sorted({int(i) for l, j, ix in hidden if (l, j) in set(best.pinned_neurons) for i in ix})
    centre = np.array([(bounds(b)[0] + bounds(b)[1]) / 2 for b in best.box], dtype=object)
    assert pinned and all(centre[i] == 0 for i in pinned)
    ncf = NCF(net, XC, YC)
    if act == RELU2 and pool is nn.AvgPool1d:
        g = ncf.grad(centre, "ball", 128)
        assert all(bounds(g[i]) == (0, 0) for i in pinned)
    else:
        u = np.array([float(c) for c in centre])
        e = np.zeros(net.n_params)
        e[pinned] = RNG.normal(size=len(pinned))
        d = [abs(float(ncf.value(u + t * e)) - float(ncf.value(u))) for t in (1e-3, 1e-4)]
        assert d[1] <= 2e-2 * d[0] + 1e-15
    # nothing certified exceeds the sphere maximum: every certified lower bound is below the best enclosure's top
    assert all(k.N_lower is None or k.N_lower <= best.N_enclosure[1] for k in pts)
    again = certify_kkt(net, XC, YC, best.u)
    assert again.verdict is Verdict.PROVED


def test_channel_units_and_the_reduced_network():
    net = nn.Sequential(nn.Conv1d(1, 3, kernel=2, bias=False), nn.Act("relu"), nn.MaxPool1d(2),
                        nn.Conv1d(3, 2, kernel=1, bias=False), nn.Act("relu"), nn.Flatten(),
                        nn.Dense(1, bias=False), input_shape=(1, 5))
    hidden, plan = units(net)
    assert [(l, j) for l, j, _ in hidden] == [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1)]
    small, where = reduced(net, plan, [(1, 1), (2, 0)])
    assert repr(small.layers[0]).startswith("Conv1d(1, 2") and repr(small.layers[3]).startswith("Conv1d(2, 1")
    # the reduced network equals the full one with the pinned units' weights set to 0
    th = RNG.normal(size=net.n_params)
    full = th.copy()
    for l, j, ix in hidden:
        if (l, j) in {(1, 1), (2, 0)}:
            full[ix] = 0
    X = RNG.normal(size=(3, 1, 5))
    F1 = vf.SquareLoss(net, vf.Dataset(X, np.zeros(3))).outputs(full)
    F2 = vf.SquareLoss(small, vf.Dataset(X, np.zeros(3))).outputs(th[where])
    assert np.allclose(np.asarray(F1, float), np.asarray(F2, float), atol=1e-14)
    assert reduced(net, plan, [(1, 0), (1, 1), (1, 2)]) == (None, None)  # an empty layer: N ≡ 0
    res = nn.Sequential(nn.Dense(2, bias=False), nn.Residual(nn.Act("relu")), nn.Dense(1, bias=False), input_shape=2)
    assert units(res)[0] is None and "Residual" in units(res)[1]


def test_ncf_on_a_network_without_units_is_certified_without_pinning_and_says_so():
    net = nn.Sequential(nn.Dense(2, bias=False), nn.Residual(nn.Act("relu")), nn.Dense(1, bias=False), input_shape=2)
    X, z = [[Fraction(3, 5), Fraction(4, 5)], [Fraction(-4, 5), Fraction(3, 5)]], [1, 2]
    pts = max_ncf(net, X, z, restarts=4, seed=0)
    assert pts
    for kp in pts:
        assert kp.pinned_neurons == []
        if not kp.certified:
            assert "no units were pinned" in kp.certificate["message"]


def test_small_initialisation_follows_the_ncf_flow_on_a_cnn():
    net = cnn1d(RELU2)
    out = small_init_experiment(net, vf.Dataset(XC, YC), 1e-3, 0.05, seed=2)
    assert out["L"] == 3 and out["cos_w_u_tau"] > 1 - 1e-8
    assert abs(out["norm_w_over_delta"] - out["norm_u_tau"]) < 1e-3 * out["norm_u_tau"]


def test_neuron_pursuit_machinery_refuses_other_networks():
    from verify.homogeneous.pursuit import _hidden_state

    loss = vf.SquareLoss(cnn1d(), vf.Dataset(XC, YC))
    with pytest.raises(InputError, match="fully connected"):
        _hidden_state(loss, np.zeros(loss.n_params))


def test_max_pool_ties_at_the_instance_are_boundaries_unless_the_tied_entries_are_dead():
    net = nn.Sequential(nn.Conv1d(1, 1, kernel=1, bias=False), nn.Act("relu"), nn.MaxPool1d(2), nn.Flatten(),
                        nn.Dense(1, bias=False), input_shape=(1, 2))
    th = [1, Fraction(1, 2)]
    with pytest.raises(RegionBoundaryError, match="MaxPool1d"):
        check_euler_identity(net, [[2, 2]], th, "exact")  # H = v·w·max(x1, x2) is not differentiable in w here
    with pytest.raises(RegionBoundaryError):
        check_euler_identity(net, [[2, 2]], th, "ball")
    dead = check_euler_identity(net, [[-1, -2]], th, "exact")  # both entries relu-dead: H ≡ 0 near θ
    assert dead.verdict is Verdict.PROVED
    assert check_euler_identity(net, [[3, 2]], th, "exact").verdict is Verdict.PROVED
    with pytest.raises(RegionBoundaryError):
        check_euler_identity(net, [[0, 1]], [0, 1], "exact")  # w = 0: every relu input is 0, a kink


def test_certified_kkt_points_of_a_linear_cnn_never_exceed_the_closed_form_maximum():
    """Conv1d(1, 1, kernel=1) → identity → Flatten → Dense(1): H = w·Σ_t v_t x_t, so N(w, v) = w·vᵀXᵀz and
    max_{w² + ‖v‖² = 1} N = ‖Xᵀz‖/2 exactly (the linear-network truth of the MLP soundness tests)."""
    net = nn.Sequential(nn.Conv1d(1, 1, kernel=1, bias=False), nn.Act("identity"), nn.Flatten(),
                        nn.Dense(1, bias=False), input_shape=(1, 2))
    X = [[[Fraction(3, 5), Fraction(4, 5)]], [[Fraction(-4, 5), Fraction(3, 5)]]]
    z = [1, 2]
    vsq = sum(sum(X[i][0][t] * z[i] for i in range(2)) ** 2 for t in range(2))  # ‖Xᵀz‖² = 5
    pts = max_ncf(net, X, z, restarts=4, seed=0)
    assert pts and pts[0].certified
    for kp in pts:
        if kp.certified:
            lo, hi = kp.N_enclosure
            assert lo > 0 and 4 * lo * lo <= vsq <= 4 * hi * hi
        if kp.N_lower is not None:
            assert kp.N_lower <= 0 or 4 * kp.N_lower ** 2 <= vsq


def test_neuron_pursuit_given_a_cnn_says_why_it_cannot_take_one():
    from verify.homogeneous import neuron_pursuit, saddle_analysis

    with pytest.raises(InputError, match="fully connected hidden neurons"):
        neuron_pursuit(cnn1d(), RELU2)
    with pytest.raises(InputError, match="small_init_experiment"):
        saddle_analysis(cnn1d(), "relu", np.zeros(3), 1)


def test_the_symbolic_proof_fails_closed_when_a_site_degree_is_wrong(monkeypatch):
    """Negative control: with a wrong degree for the activation inputs, the per-site identities fail and the
    verdict is INCONCLUSIVE (never PROVED); likewise when the output degree is wrong."""
    import verify.homogeneous.identities as ident

    net = cnn1d("relu", length=3, channels=1)
    monkeypatch.setattr(ident, "_site_degrees", lambda n: {s.index: sp.Integer(2) for s in n.sites})
    r = prove_homogeneity_symbolic(net)
    assert r.verdict is Verdict.INCONCLUSIVE and "could not reduce" in r.message
    monkeypatch.undo()
    monkeypatch.setattr(type(net), "homogeneity_degree", property(lambda self: 3))
    r = prove_homogeneity_symbolic(net)
    assert r.verdict is Verdict.INCONCLUSIVE and "H_0" in r.message
