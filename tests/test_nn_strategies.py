"""Strategies, initialisations and claim files for layer graphs (issue 12): generated conv/attention networks are
valid and small, their float and ball evaluations agree, initialisations use the right fans, and a CNN
counterexample is written, read back and re-checked."""

from __future__ import annotations

import json
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings

import verify as vf
from verify.arith.decide import bounds
from verify.claims import CheckReport, Instance, check, get_claim, load_counterexample, recheck, recheck_file
from verify.claims.instance import build_network, network_spec
from verify.errors import InputError, SchemaError
from verify.numbers import to_fraction
from verify.result import Verdict

from .strategies import graph_network_losses

nn = vf.nn
S = vf.strategies


def _ball_contains_float(ball, x: float, rel=1e-9) -> bool:
    """x lies in the ball up to float64 round-off of the float evaluation."""
    lo, hi = bounds(ball)
    slack = F(rel) * (1 + abs(to_fraction(x)))
    return lo - slack <= to_fraction(x) <= hi + slack


# ------------------------------------------------------------------------------ strategies
@settings(max_examples=40, deadline=None)
@given(S.graph_instances())
def test_generated_graph_instances_are_small_valid_and_round_trip(inst):
    net = inst.net()
    assert net.n_params <= 60 and len(inst.theta) == net.n_params
    assert all(len(r) == net.input_dim for r in inst.X) and all(len(r) == net.output_dim for r in inst.y)
    assert type(net.layers[0]).__name__ in ("Conv1d", "Conv2d", "SelfAttention")
    again = Instance.from_dict(json.loads(json.dumps(inst.to_dict())))
    assert again == inst and repr(again.net()) == repr(net)


@settings(max_examples=30, deadline=None)
@given(graph_network_losses())
def test_float_and_ball_evaluations_of_generated_graphs_agree(lt):
    L, th = lt
    assert _ball_contains_float(L.value(th, "ball", 128), float(L.value(th, "float")))
    gb, gf = L.grad(th, "ball", 128), np.asarray(L.grad(th, "float"), float)
    assert all(_ball_contains_float(b, f, 1e-8) for b, f in zip(gb, gf))


@settings(max_examples=20, deadline=None)
@given(S.conv_networks(dims=2), S.attention_networks(heads=(1, 2), d_model=(2, 2)))
def test_network_strategies_give_the_requested_architectures(cnn, att):
    assert isinstance(cnn.layers[0], nn.Conv2d) and isinstance(cnn.layers[-1], nn.Dense) and cnn.n_params <= 60
    assert isinstance(att.layers[0], nn.SelfAttention) and att.layers[0].d_model == 2 and att.n_params <= 60


@settings(max_examples=10, deadline=None)
@given(S.graph_instances(homogeneous=True))
def test_homogeneous_graph_instances_are_homogeneous(inst):
    net = inst.net()
    assert net.homogeneity_degree is not None and all(not getattr(lr, "bias", False) for lr in net.all_layers)


@settings(max_examples=10, deadline=None)
@given(S.instances(activations=("relu",)), S.instances(activations="abs"), S.mlps(activations=["tanh", "relu"]))
def test_activation_arguments_take_names_lists_and_strategies(a, b, net):
    """``instances(activations=("relu",))`` used to fail deep inside hypothesis (a tuple is not a strategy)."""
    assert a.activations == ("relu",) and b.activations == ("abs",)
    assert net.activations[0].name in ("tanh", "relu")


def test_bad_strategy_arguments_fail_at_construction_with_a_verify_error():
    with pytest.raises(vf.errors.UnknownActivationError):
        S.instances(activations=("relu", "gelu"))
    with pytest.raises(InputError):
        S.architectures(activations=[1, 2])
    with pytest.raises(InputError, match="kinds"):
        S.networks(kinds=("mlp",))
    with pytest.raises(InputError, match="loss"):
        S.graph_instances(loss="hinge")
    with pytest.raises(InputError, match="pooling"):
        S.conv_specs(pooling=("min",))
    with pytest.raises(InputError, match="scalars"):
        S.instances(scalars={"eta": 0.1})


# ------------------------------------------------------------------------------ initialisations
def test_he_and_xavier_use_conv_and_attention_fans():
    cnn = nn.Sequential(nn.Conv2d(3, 64, kernel=3, bias=True), nn.Act("relu"), nn.Flatten(), nn.Dense(2),
                        input_shape=(3, 5, 5))
    th = vf.init.he(cnn, seed=1)
    W = th[cnn.block("W1").slice]
    assert abs(W.std() / np.sqrt(2 / 27) - 1) < 0.06  # fan_in = 3·3·3; 1728 samples
    assert np.all(th[cnn.block("b1").slice] == 0) and np.all(th[cnn.block("b2").slice] == 0)
    Wd = th[cnn.block("W2").slice]
    assert abs(Wd.std() / np.sqrt(2 / 576) - 1) < 0.1  # a dense layer on 64·3·3 features
    xa = vf.init.xavier(cnn, seed=2)[cnn.block("W1").slice]
    a = np.sqrt(6 / (27 + 64 * 9))
    assert np.abs(xa).max() <= a and np.abs(xa).max() > 0.95 * a  # U(−a, a), fan_out = 64·3·3
    assert vf.init.fans((64, 3, 3, 3)) == (27, 576) and vf.init.fans((4, 7)) == (7, 4)
    att = nn.Sequential(nn.SelfAttention(8, heads=2, bias=True), nn.Flatten(), nn.Dense(1), input_shape=(3, 8))
    ta = vf.init.xavier(att, seed=0)
    for name in ("Q1", "K1", "V1", "O1"):
        blk = ta[att.block(name).slice]
        assert np.abs(blk).max() <= np.sqrt(6 / 16) and np.abs(blk).max() > 0
    assert np.all(ta[att.block("bQ1").slice] == 0)
    # the MLP results are unchanged (same blocks, same stream of random numbers)
    mlp = vf.MLP([3, 4, 1], "tanh")
    rng = np.random.default_rng(0)
    assert np.allclose(vf.init.he(mlp)[:12], rng.normal(0, np.sqrt(2 / 3), 12))


def test_positive_initialisation_of_a_cnn_switches_the_output_off():
    cnn = nn.Sequential(nn.Conv1d(1, 2, kernel=2, bias=False), nn.Act("tanh"), nn.MaxPool1d(2),
                        nn.Conv1d(2, 2, kernel=1, bias=False), nn.Act("tanh"), nn.Flatten(), nn.Dense(1, bias=False),
                        input_shape=(1, 5))
    th = vf.init.positive(cnn, 3)
    assert all(v == 0 for v in th[cnn.block("W1").slice])
    assert all(F(1, 2) <= v <= F(3, 2) for v in th[cnn.block("W2").slice])
    assert all(v == 3 for v in th[cnn.block("W3").slice])
    X = np.arange(10).reshape(2, 1, 5)
    loss = vf.SquareLoss(cnn, vf.Dataset(X, [1, 2]))
    assert all(bounds(v) == (0, 0) for v in loss.outputs(th, "ball").reshape(-1))  # tanh(0) = 0 exactly
    # an MLP gets exactly what it got before (W1 = 0, W2 from the same seeded stream of k/64, W3 = scale)
    mlp = vf.MLP([2, 3, 3, 1], "tanh")
    ks = np.random.default_rng(0).integers(32, 97, size=9)
    assert list(vf.init.positive(mlp, 2)) == [0] * 6 + [F(int(k), 64) for k in ks] + [2] * 3


@pytest.mark.parametrize("net, match", [
    (nn.Sequential(nn.SelfAttention(2), nn.Flatten(), nn.Dense(1, bias=False), input_shape=(2, 2)), "attention|role"),
    (nn.Sequential(nn.Dense(2, bias=False), nn.Residual(nn.Act("tanh")), nn.Dense(1, bias=False), input_shape=2),
     "role"),
    (nn.Sequential(nn.Conv1d(1, 2, kernel=2), nn.Act("tanh"), nn.Flatten(), nn.Dense(1, bias=False),
                   input_shape=(1, 3)), "bias"),
    (nn.Sequential(nn.Conv1d(1, 2, kernel=2, bias=False), nn.Act("tanh"), nn.Flatten(), nn.Dense(2, bias=False),
                   input_shape=(1, 3)), "scalar output"),
])
def test_positive_initialisation_refuses_what_makes_no_sense(net, match):
    with pytest.raises(InputError, match=match):
        vf.init.positive(net, 1)


def test_init_bad_arguments():
    with pytest.raises(InputError, match="MLP or a verify.nn.Sequential"):
        vf.init.he("net")
    with pytest.raises(InputError):
        vf.init.xavier(vf.MLP([2, 1]), seed=-1)
    with pytest.raises(InputError, match="den"):
        vf.init.positive(vf.MLP([2, 3, 3, 1], "tanh"), 1, low=F(1, 3), high=F(1, 3), den=2)


# ------------------------------------------------------------------------------ claim files
CNN_CE = {"schema": 2, "input_shape": [1, 4], "loss": "square", "normalization": "mean",
          "layers": [{"type": "conv1d", "in_channels": 1, "out_channels": 1, "kernel": 3, "stride": 1, "padding": 0,
                      "bias": False},
                     {"type": "act", "activation": "relu"}, {"type": "maxpool1d", "kernel": 2, "stride": None},
                     {"type": "flatten"}, {"type": "dense", "out": 1, "bias": False}],
          "X": [["0", "0", "1", "-1"]], "y": [["1"]], "theta": ["0", "0", "1", "1/2"], "scalars": {"frac": "1/2"}}


def test_a_cnn_counterexample_file_round_trips_and_is_rechecked(tmp_path):
    inst = Instance.from_dict(CNN_CE)
    assert inst.is_graph and inst.net().n_params == 4
    claim = get_claim("gd-monotone-cnn")
    res, history = recheck(claim, inst)
    assert res.verdict is Verdict.REFUTED and res.arithmetic in ("ball64", "ball") and res.rung == history[-1][0]
    rep = CheckReport(claim.name, res, 1, res.margin, inst, res, history)
    path = tmp_path / "cnn_ce.json"
    rep.save_counterexample(path)
    loaded = load_counterexample(path)
    assert loaded["instance"] == inst and json.loads(path.read_text())["instance"]["schema"] == 2
    assert recheck_file(path).verdict is Verdict.REFUTED


@pytest.mark.slow
def test_the_cnn_monotonicity_conjecture_is_refuted_by_the_search(tmp_path):
    rep = check("gd-monotone-cnn", max_examples=150, seed=0)
    assert rep.verdict is Verdict.REFUTED and rep.counterexample.is_graph
    rep.save_counterexample(tmp_path / "ce.json")
    assert recheck_file(tmp_path / "ce.json").verdict is Verdict.REFUTED


def test_instances_of_any_network_round_trip_exactly():
    cnn = nn.Sequential(nn.Conv2d(1, 2, kernel=(2, 1), stride=(1, 2), padding=1, bias=True), nn.Act("leaky_relu(1/10)"),
                        nn.AvgPool2d(2), nn.Flatten(), nn.Dense(3), input_shape=(1, 3, 4))
    att = nn.Sequential(nn.SelfAttention(2, heads=2, bias=True), nn.Residual([nn.Dense(2), nn.Act("tanh")]),
                        nn.Flatten(), nn.Dense(2), input_shape=(3, 2))
    rng = np.random.default_rng(0)
    for net, loss, y in [(cnn, "cross_entropy", [0, 2]), (att, "square", [[1, F(1, 3)], [0, -1]]),
                         (att, "cross_entropy", [1, 0])]:
        X = rng.integers(-3, 4, size=(2, *net.input_shape))
        th = [F(int(k), 7) for k in rng.integers(-5, 6, net.n_params)]
        inst = Instance.from_network(net, X, y, th, loss=loss, scalars={"eta": F(1, 3)})
        again = Instance.from_dict(json.loads(json.dumps(inst.to_dict())))
        assert again == inst and again.net().param_names == net.param_names
        assert bounds(again.loss().value(th, "ball")) == bounds(inst.loss().value(th, "ball"))
    # an MLP instance with the square loss is still written in schema 1 (old readers keep working)
    mlp = Instance((2, 2, 1), ("relu",), False, ((F(1), F(2)),), ((F(1),),), tuple(F(1, k + 1) for k in range(6)))
    assert set(mlp.to_dict()) == {"schema", "widths", "activations", "bias", "normalization", "X", "y", "theta",
                                  "scalars"} and mlp.to_dict()["schema"] == 1
    assert network_spec(vf.MLP([2, 3, 1], "relu"))[0][0] == {"type": "dense", "out": 3, "bias": False}
    assert repr(build_network(*network_spec(cnn))) == repr(cnn)


def _mut(path, value):
    def f(d):
        obj = d
        for k in path[:-1]:
            obj = obj[k]
        obj[path[-1]] = value
    return f


@pytest.mark.parametrize("mutate, match", [
    (_mut(["layers", 0, "type"], "lambda"), "unknown layer type"),
    (_mut(["layers", 0, "groups"], 2), "unknown fields"),
    (_mut(["layers", 0, "out_channels"], True), "integer"),
    (_mut(["layers", 0, "out_channels"], 10**6), "integer in"),
    (_mut(["layers", 0, "kernel"], "3"), "integer"),
    (_mut(["layers", 0, "kernel"], [3, 3]), "integer or a list of 1"),
    (_mut(["layers", 0, "in_channels"], 2), "do not form a network"),
    (_mut(["layers", 1, "activation"], "__import__('os')"), "activation"),
    (_mut(["layers", 1], {"type": "act"}), "lacks"),
    (_mut(["layers", 2, "kernel"], 9), "window does not fit"),
    (_mut(["layers"], []), "at least one layer"),
    (_mut(["layers"], [{"type": "residual", "block": [{"type": "residual", "block": []}]}]), "at least one layer"),
    (_mut(["layers"], [{"type": "flatten"}] * 65), "limit"),
    (_mut(["input_shape"], [1, 10**5, 10**5]), "input_shape"),
    (_mut(["input_shape"], [64, 300, 300]), "more than 100000"),
    (_mut(["input_shape"], ["1", 4]), "integer"),
    (_mut(["loss"], "hinge"), "loss"),
    (_mut(["theta"], ["0", "0", "1"]), "parameters"),
    (_mut(["X"], [["0", "0", "1"]]), "rows of length"),
    (_mut(["y"], [["1", "2"]]), "a row of y"),
    (_mut(["y"], [["1"], ["2"]]), "rows of 1"),
    (_mut(["widths"], [1, 1]), "unknown fields"),
    (_mut(["schema"], 3), "schema"),
])
def test_tampered_graph_instance_files_are_rejected(mutate, match):
    d = json.loads(json.dumps(CNN_CE))
    mutate(d)
    with pytest.raises(SchemaError, match=match):
        Instance.from_dict(d)


def test_deep_residual_nesting_and_huge_convolutions_are_refused_before_building():
    layer = {"type": "flatten"}
    for _ in range(10):
        layer = {"type": "residual", "block": [layer]}
    d = dict(CNN_CE, layers=[layer], input_shape=[4], theta=[], X=[["0"] * 4], y=[["1"] * 4])
    with pytest.raises(SchemaError, match="nested"):
        Instance.from_dict(d)
    big = dict(CNN_CE, input_shape=[16, 75, 75],
               layers=[{"type": "conv2d", "in_channels": 16, "out_channels": 512, "kernel": 3}])
    with pytest.raises(SchemaError, match="values per data point"):
        Instance.from_dict(big)
    slow = dict(CNN_CE, input_shape=[4, 100, 100],
                layers=[{"type": "conv2d", "in_channels": 4, "out_channels": 8, "kernel": 8}])
    with pytest.raises(SchemaError, match="index entries"):
        Instance.from_dict(slow)
    att = dict(CNN_CE, input_shape=[1000, 100], layers=[{"type": "attention", "d_model": 100}])
    with pytest.raises(SchemaError, match="index entries"):
        Instance.from_dict(att)
    import sympy as sp

    from verify.models.activation import Activation

    with pytest.raises(SchemaError, match="catalogue"):
        z = sp.Symbol("z", real=True)
        custom = Activation.from_piecewise(sp.Piecewise((0, z < 0), (z, True)), z, name="relu")
        network_spec(nn.Sequential(nn.Dense(2), nn.Act(custom), nn.Dense(1), input_shape=2))
    with pytest.raises(InputError, match="CrossEntropyLoss labels|the data do not fit"):
        Instance.from_network(nn.Sequential(nn.Dense(2), input_shape=2), [[1, 2]], [5], [0] * 6, loss="cross_entropy")


def test_a_true_claim_on_cnn_and_attention_networks_is_supported():
    rep = check("pl-ntk-lower-bound-graph", max_examples=30, seed=0)
    assert rep.verdict is Verdict.SUPPORTED and rep.examples >= 30 and rep.min_margin >= 0
