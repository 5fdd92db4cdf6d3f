"""vf.nn.from_onnx: ONNX graphs built with onnx.helper are imported exactly and compute what
onnx.reference.ReferenceEvaluator computes; unsupported graphs are refused with the node named."""

import pathlib
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

onnx = pytest.importorskip("onnx")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

import verify as vf  # noqa: E402
from verify.arith.ball import contains  # noqa: E402
from verify.errors import (  # noqa: E402
    InputError,
    NonFiniteError,
    SchemaError,
    ShapeError,
    SizeLimitError,
)

N = helper.make_node
RNG = np.random.default_rng(20240512)


def w(*shape, scale=0.5):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def build(nodes, inits, in_shape, out_shape=None, *, dtype=np.float32, opset=17, batch="N", name="g"):
    """A model: input "x" (batch, *in_shape), output "y"; float initializers cast to ``dtype``."""
    et = TensorProto.FLOAT if dtype == np.float32 else TensorProto.DOUBLE
    tensors = []
    for k, v in inits.items():
        v = np.asarray(v)
        tensors.append(numpy_helper.from_array(v.astype(dtype) if v.dtype.kind == "f" else v, k))
    y_shape = [batch, None] if out_shape is None else [batch, *out_shape]
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", et, [batch, *in_shape])],
                          [helper.make_tensor_value_info("y", et, y_shape)], initializer=tensors)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(m)
    return m


def reference(nodes, inits, in_shape, X, **kw):
    """ReferenceEvaluator on the same graph with float64 weights and input (the same exact values)."""
    m = build(nodes, inits, in_shape, dtype=np.float64, **kw)
    y = ReferenceEvaluator(m).run(None, {"x": np.asarray(X, dtype=np.float64)})[0]
    return np.asarray(y, dtype=np.float64).reshape(len(X), -1)


def check_import(nodes, inits, in_shape, out_shape, n=4, rtol=1e-12, ball=True, **kw):
    """Import the float32 model; its float outputs match the float64 reference; balls enclose mp."""
    m = build(nodes, inits, in_shape, out_shape, **kw)
    net, theta = vf.nn.from_onnx(m)
    assert isinstance(net, vf.nn.Sequential)
    assert theta.dtype == object and all(type(t) is Fraction for t in theta)
    assert theta.shape == (net.n_params,)
    assert net.input_shape == tuple(in_shape) and net.output_shape == tuple(out_shape)
    X = RNG.standard_normal((n, *in_shape))
    ref = reference(nodes, inits, in_shape, X, **kw)
    loss = vf.SquareLoss(net, vf.Dataset(X, np.zeros((n, net.output_dim))))
    F = np.asarray(loss.outputs(theta, "float"), dtype=float)
    assert F.shape == ref.shape
    np.testing.assert_allclose(F, ref, rtol=rtol, atol=rtol)
    if ball:
        B = np.asarray(loss.outputs(theta, "ball", 128), dtype=object).reshape(-1)
        M = np.asarray(loss.outputs(theta, "mp", 512), dtype=object).reshape(-1)
        for b, mm in zip(B, M, strict=True):
            assert contains(b, mm), (b, mm)
            assert b.rad() < 2.0**-90, b
    return net, theta, loss


# ============================================================== supported graphs


def test_mlp_gemm_relu_gemm_weights_exact_and_in_layout_order():
    W1, b1, W2, b2 = w(5, 3), w(5), w(5, 2), w(1, 2)
    nodes = [N("Gemm", ["x", "W1", "b1"], ["h"], transB=1, name="fc1"), N("Relu", ["h"], ["r"]),
             N("Gemm", ["r", "W2", "b2"], ["y"], alpha=0.5, beta=2.0, name="fc2")]
    net, theta, _ = check_import(nodes, {"W1": W1, "b1": b1, "W2": W2, "b2": b2}, [3], [2])
    assert [b.name for b in net.layout.blocks] == ["W1", "b1", "W2", "b2"]
    V = net.views(theta)
    q = np.vectorize(lambda v: Fraction(float(v)), otypes=[object])
    assert (V["W1"] == q(W1)).all() and (V["b1"] == q(b1)).all()
    # transB = 0: W = B^T; alpha and beta multiply exactly (not in float)
    assert (V["W2"] == q(W2.T) * Fraction(1, 2)).all()
    assert (V["b2"] == q(b2.reshape(2)) * 2).all()


def test_float64_model_gives_the_same_exact_theta_and_paths_load(tmp_path):
    nodes = [N("MatMul", ["x", "W"], ["h"]), N("Add", ["h", "b"], ["z"]), N("Tanh", ["z"], ["y"])]
    inits = {"W": w(3, 4), "b": w(4)}
    _, t32 = vf.nn.from_onnx(build(nodes, inits, [3], [4]))
    _, t64 = vf.nn.from_onnx(build(nodes, inits, [3], [4], dtype=np.float64))
    assert list(t32) == list(t64)
    p = tmp_path / "m.onnx"
    onnx.save_model(build(nodes, inits, [3], [4]), str(p))
    for path in (p, str(p)):
        _, tp = vf.nn.from_onnx(path)
        assert list(tp) == list(t32)


@pytest.mark.parametrize("act, expect", [
    (("LeakyRelu", {"alpha": 0.1}), "leaky_relu"),
    (("LeakyRelu", {}), "leaky_relu"),
    (("Tanh", {}), "tanh"),
    (("Sigmoid", {}), "sigmoid"),
    (("Softplus", {}), "softplus"),
    (("Abs", {}), "abs"),
    (("Relu", {}), "relu"),
])
def test_activation_nets(act, expect):
    op, attrs = act
    nodes = [N("MatMul", ["x", "W1"], ["h0"]), N("Add", ["b1", "h0"], ["h"]), N(op, ["h"], ["r"], **attrs),
             N("MatMul", ["r", "W2"], ["y"])]
    net, theta, _ = check_import(nodes, {"W1": w(3, 4), "b1": w(4), "W2": w(4, 2)}, [3], [2])
    names = [la.sigma.name for la in net.layers if isinstance(la, vf.nn.Act)]
    assert len(names) == 1 and names[0].startswith(expect)
    assert [b.name for b in net.layout.blocks] == ["W1", "b1", "W2"]


_ACT_NODES = [("Relu", {}), ("Tanh", {}), ("Sigmoid", {}), ("Softplus", {}), ("LeakyRelu", {"alpha": 0.3}),
              ("Abs", {})]


@given(widths=st.lists(st.integers(1, 4), min_size=2, max_size=4),
       acts=st.lists(st.integers(0, len(_ACT_NODES) - 1), min_size=3, max_size=3),
       forms=st.lists(st.sampled_from(["gemm_t", "gemm", "matmul_add", "matmul"]), min_size=3, max_size=3),
       seed=st.integers(0, 2**16))
def test_random_mlps_match_the_reference(widths, acts, forms, seed):
    """Dense layers written four ways (Gemm with/without transB, MatMul with/without Add) and any
    catalogue activation in between: the import computes the reference evaluator's function."""
    rng = np.random.default_rng(seed)
    nodes, inits, v = [], {}, "x"
    for j in range(len(widths) - 1):
        a, b, form = widths[j], widths[j + 1], forms[j]
        W = (rng.standard_normal((b, a) if form == "gemm_t" else (a, b)) * 0.7).astype(np.float32)
        bias = (rng.standard_normal(b) * 0.3).astype(np.float32)
        inits[f"W{j}"], out = W, f"z{j}"
        if form.startswith("gemm"):
            inits[f"b{j}"] = bias
            nodes.append(N("Gemm", [v, f"W{j}", f"b{j}"], [out], transB=int(form == "gemm_t")))
        elif form == "matmul_add":
            inits[f"b{j}"] = bias
            nodes += [N("MatMul", [v, f"W{j}"], [out + "m"]), N("Add", [out + "m", f"b{j}"], [out])]
        else:
            nodes.append(N("MatMul", [v, f"W{j}"], [out]))
        v = out
        if j < len(widths) - 2:
            op, attrs = _ACT_NODES[acts[j]]
            nodes.append(N(op, [v], [f"s{j}"], **attrs))
            v = f"s{j}"
    nodes.append(N("Identity", [v], ["y"]))
    net, theta, _ = check_import(nodes, inits, [widths[0]], [widths[-1]], n=3, ball=False)
    assert net.n_params == sum(x.size for x in inits.values())


def test_leaky_relu_slope_is_the_exact_float32_value():
    """alpha = 0.1 is stored as the float32 13421773/2^27, and that value (not 1/10) is the slope."""
    nodes = [N("Gemm", ["x", "W"], ["h"]), N("LeakyRelu", ["h"], ["y"], alpha=0.1)]
    net, _ = vf.nn.from_onnx(build(nodes, {"W": w(2, 2)}, [2], [2]))
    slope = Fraction(float(np.float32(0.1)))
    assert slope != Fraction(1, 10)
    assert net.layers[1].sigma.name == f"leaky_relu({slope})"
    # default alpha: the float32 0.01
    nodes = [N("Gemm", ["x", "W"], ["h"]), N("LeakyRelu", ["h"], ["y"])]
    net, _ = vf.nn.from_onnx(build(nodes, {"W": w(2, 2)}, [2], [2]))
    assert net.layers[1].sigma.name == f"leaky_relu({Fraction(float(np.float32(0.01)))})"


def test_clip_as_hardtanh_and_identity_ops():
    nodes = [N("Gemm", ["x", "W"], ["h"]), N("Clip", ["h", "lo", "hi"], ["c"]), N("Identity", ["c"], ["d"]),
             N("Dropout", ["d"], ["e"]), N("Gemm", ["e", "W2"], ["y"])]
    inits = {"W": w(3, 4, scale=2.0), "lo": np.array(-1, np.float32), "hi": np.array(1, np.float32), "W2": w(4, 1)}
    net, _, _ = check_import(nodes, inits, [3], [1])
    assert [repr(la) for la in net.layers] == ["Dense(4, bias=False)", "Act('hardtanh')", "Dense(1, bias=False)"]


def test_cnn_conv_relu_maxpool_flatten_gemm():
    nodes = [N("Conv", ["x", "C", "cb"], ["c"], pads=[1, 1, 1, 1], kernel_shape=[3, 3], name="conv"),
             N("Relu", ["c"], ["r"]), N("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
             N("Flatten", ["p"], ["f"]), N("Gemm", ["f", "W", "b"], ["y"], transB=1)]
    inits = {"C": w(2, 3, 3, 3), "cb": w(2), "W": w(3, 2 * 3 * 3), "b": w(3)}
    net, _, _ = check_import(nodes, inits, [3, 6, 7], [3], n=3)
    assert [type(la).__name__ for la in net.layers] == ["Conv2d", "Act", "MaxPool2d", "Flatten", "Dense"]
    assert [b.name for b in net.layout.blocks] == ["W1", "b1", "W2", "b2"]


def test_cnn_strided_conv_same_padding_global_average_pool():
    nodes = [N("Conv", ["x", "C"], ["c"], auto_pad="SAME_UPPER", strides=[1, 1]), N("Sigmoid", ["c"], ["r"]),
             N("GlobalAveragePool", ["r"], ["p"]), N("Flatten", ["p"], ["y"])]
    net, _, _ = check_import(nodes, {"C": w(3, 2, 3, 3)}, [2, 5, 5], [3], n=2)
    assert net.layers[0].padding == (1, 1)


def test_conv1d_averagepool_reshape_matmul():
    nodes = [N("Conv", ["x", "C", "cb"], ["c"], strides=[2]), N("Tanh", ["c"], ["r"]),
             N("AveragePool", ["r"], ["p"], kernel_shape=[2], strides=[1]), N("Reshape", ["p", "shp"], ["f"]),
             N("MatMul", ["f", "W"], ["y"])]
    inits = {"C": w(4, 2, 3), "cb": w(4), "shp": np.array([0, -1], np.int64), "W": w(4 * 3, 1)}
    net, _, _ = check_import(nodes, inits, [2, 9], [1], n=3)
    assert [type(la).__name__ for la in net.layers] == ["Conv1d", "Act", "AvgPool1d", "Flatten", "Dense"]
    assert net.layers[0].stride == (2,)


def test_pool_ceil_mode_accepted_when_it_changes_nothing():
    nodes = [N("MaxPool", ["x"], ["p"], kernel_shape=[2], strides=[2], ceil_mode=1), N("Flatten", ["p"], ["y"])]
    check_import(nodes, {}, [1, 6], [3], n=2)


def test_residual_block():
    nodes = [N("Gemm", ["x", "W1", "b1"], ["h"], transB=1), N("Relu", ["h"], ["r"]),
             N("Gemm", ["r", "W2", "b2"], ["h2"], transB=1), N("Tanh", ["h2"], ["t2"]), N("Add", ["t2", "r"], ["a"]),
             N("Gemm", ["a", "W3"], ["y"], transB=1)]
    inits = {"W1": w(4, 3), "b1": w(4), "W2": w(4, 4), "b2": w(4), "W3": w(2, 4)}
    net, _, _ = check_import(nodes, inits, [3], [2])
    assert [type(la).__name__ for la in net.layers] == ["Dense", "Act", "Residual", "Dense"]
    assert [b.name for b in net.layout.blocks] == ["W1", "b1", "W2", "b2", "W3"]


def _attention_nodes(bias=True, scale_op="Div", skip=True):
    def proj(name, src, wname, bname, out):
        if not bias:
            return [N("MatMul", [src, wname], [out])]
        return [N("MatMul", [src, wname], [out + "0"]), N("Add", [out + "0", bname], [out])]

    nodes = proj("q", "x", "WQ", "bQ", "q") + proj("k", "x", "WK", "bK", "k") + proj("v", "x", "WV", "bV", "v")
    nodes += [N("Transpose", ["k"], ["kt"], perm=[0, 2, 1]), N("MatMul", ["q", "kt"], ["s"]),
              N(scale_op, ["s", "c"], ["s2"]), N("Softmax", ["s2"], ["a"], axis=-1), N("MatMul", ["a", "v"], ["h"])]
    nodes += proj("o", "h", "WO", "bO", "o")
    nodes += [N("Add", ["x", "o"], ["y"])] if skip else [N("Identity", ["o"], ["y"])]
    return nodes


def _attention_inits(d, dk, c, bias=True):
    inits = {"WQ": w(d, dk), "WK": w(d, dk), "WV": w(d, dk), "WO": w(dk, d), "c": np.array(c, np.float32)}
    if bias:
        inits.update({"bQ": w(dk), "bK": w(dk), "bV": w(dk), "bO": w(d)})
    return inits


def test_self_attention_residual_with_bias_exact_scale():
    T, d = 3, 4  # d_k = 4: the scale 1/2 is exact
    net, theta, _ = check_import(_attention_nodes(), _attention_inits(d, d, 2.0), [T, d], [T, d], n=2)
    assert repr(net.layers[0]) == "Residual([SelfAttention(4, heads=1, d_k=4, bias=True)])"
    assert [b.name for b in net.layout.blocks] == ["Q1", "K1", "V1", "O1", "bQ1", "bK1", "bV1", "bO1"]


def test_self_attention_float_rounded_scale_and_other_dk():
    """d_k = 2: the graph multiplies by float32(1/sqrt 2); the layer uses 1/sqrt 2 exactly (agreement to
    float32 rounding)."""
    T, d, dk = 3, 4, 2
    c = float(np.float32(1 / np.sqrt(dk)))
    net, _, _ = check_import(_attention_nodes(bias=False, scale_op="Mul", skip=False),
                             _attention_inits(d, dk, c, bias=False), [T, d], [T, d], n=2, rtol=1e-6)
    assert repr(net.layers[0]) == "SelfAttention(4, heads=1, d_k=2, bias=False)"


# ============================================================== refusals


def _gemm_with(node, inits=None, in_shape=(3,), out_shape=None):
    inits = {"W": w(3, 3), **(inits or {})}
    return build([N("Gemm", ["x", "W"], ["h"]), node], inits, list(in_shape), out_shape)


def test_unsupported_operators_are_all_named_before_anything_is_built():
    m = build([N("Gemm", ["x", "W"], ["h"]), N("Sin", ["h"], ["s"], name="my_sin"), N("Cos", ["s"], ["y"])],
              {"W": w(3, 3)}, [3])
    with pytest.raises(InputError) as e:
        vf.nn.from_onnx(m)
    msg = str(e.value)
    assert "Sin node 'my_sin'" in msg and "Cos node #2" in msg and "Supported:" in msg


def test_grouped_and_dilated_and_asymmetric_convolutions_refused():
    C = w(4, 1, 3, 3)
    for attrs, word in (({"group": 2}, "group"), ({"dilations": [2, 2]}, "dilat"),
                        ({"pads": [1, 1, 0, 0]}, "asymmetric")):
        m = build([N("Conv", ["x", "C"], ["y"], name="cv", **attrs)], {"C": C if "group" in attrs else w(4, 2, 3, 3)},
                  [2, 6, 6])
        with pytest.raises(InputError, match=word) as e:
            vf.nn.from_onnx(m)
        assert "'cv'" in str(e.value)


def test_padded_pooling_and_partial_ceil_windows_refused():
    m = build([N("MaxPool", ["x"], ["y"], kernel_shape=[2], pads=[1, 1])], {}, [1, 6])
    with pytest.raises(InputError, match="padded pooling"):
        vf.nn.from_onnx(m)
    m = build([N("AveragePool", ["x"], ["y"], kernel_shape=[2], strides=[2], ceil_mode=1)], {}, [1, 7])
    with pytest.raises(InputError, match="ceil_mode"):
        vf.nn.from_onnx(m)


def test_dynamic_feature_dimension_refused():
    m = build([N("Relu", ["x"], ["y"])], {}, ["L"])
    with pytest.raises(ShapeError, match="dynamic dimension 'L'"):
        vf.nn.from_onnx(m)
    # the batch axis may be dynamic or static
    for batch in ("batch", 7):
        net, _ = vf.nn.from_onnx(build([N("Gemm", ["x", "W"], ["y"])], {"W": w(3, 3)}, [3], batch=batch))
        assert net.input_shape == (3,)


def test_corrupt_empty_missing_and_too_large_files(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\xff\xfe this is not a protobuf \x00\x01\x02" * 10)
    with pytest.raises(SchemaError):
        vf.nn.from_onnx(bad)
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with pytest.raises(SchemaError, match="empty"):
        vf.nn.from_onnx(empty)
    with pytest.raises(InputError, match="cannot read"):
        vf.nn.from_onnx(tmp_path / "nope.onnx")
    good = tmp_path / "good.onnx"
    m = build([N("Gemm", ["x", "W"], ["y"])], {"W": w(3, 3)}, [3])
    onnx.save_model(m, str(good))
    with pytest.raises(SizeLimitError, match="limit of 100"):
        vf.nn.from_onnx(good, max_bytes=100)
    with pytest.raises(SizeLimitError):
        vf.nn.from_onnx(m, max_bytes=100)
    with pytest.raises(SizeLimitError, match="max_params"):
        vf.nn.from_onnx(m, max_params=5)
    with pytest.raises(InputError):
        vf.nn.from_onnx(good, max_bytes="1MB")
    with pytest.raises(InputError, match="path"):
        vf.nn.from_onnx(12)
    with pytest.raises(InputError, match="path"):
        vf.nn.from_onnx(b"bytes")


def test_external_data_refused_without_opening_it(tmp_path):
    m = build([N("Gemm", ["x", "W"], ["y"])], {"W": w(30, 30)}, [30])
    p = tmp_path / "ext.onnx"
    onnx.save_model(m, str(p), save_as_external_data=True, all_tensors_to_one_file=True, location="w.bin",
                    size_threshold=0)
    (tmp_path / "w.bin").unlink()  # were it opened, decoding would fail differently
    with pytest.raises(InputError, match="external"):
        vf.nn.from_onnx(p)


def test_missing_onnx_package_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(InputError, match=r'pip install "verify\[onnx\]"'):
        vf.nn.from_onnx("whatever.onnx")


def test_final_softmax_and_stray_attention_ops_refused():
    m = _gemm_with(N("Softmax", ["h"], ["y"], axis=-1, name="probs"))
    with pytest.raises(InputError, match="self-attention pattern.*CrossEntropyLoss") as e:
        vf.nn.from_onnx(m)
    assert "'probs'" in str(e.value)
    m = _gemm_with(N("Mul", ["h", "c"], ["y"]), {"c": np.array(2.0, np.float32)})
    with pytest.raises(InputError, match="self-attention"):
        vf.nn.from_onnx(m)


def test_attention_with_a_wrong_scale_or_mixed_biases_refused():
    T, d = 3, 4
    m = build(_attention_nodes(), _attention_inits(d, d, 3.0), [T, d])
    with pytest.raises(InputError, match="scale"):
        vf.nn.from_onnx(m)
    # 1/sqrt(d_k) off by 2^-20 relative: beyond float rounding, refused
    c = float(np.float32(0.5 * (1 + 2.0**-20)))
    m = build(_attention_nodes(scale_op="Mul"), _attention_inits(d, d, c), [T, d])
    with pytest.raises(InputError, match="scale"):
        vf.nn.from_onnx(m)
    nodes = [N("Identity", ["o0"], ["o"]) if nd.output[0] == "o" else nd for nd in _attention_nodes()]
    m = build(nodes, _attention_inits(d, d, 2.0), [T, d])
    with pytest.raises(InputError, match="all have a bias or none"):
        vf.nn.from_onnx(m)


def test_tied_parameters_refused():
    m = build([N("Gemm", ["x", "W", "C"], ["y"])], {"W": w(3, 3), "C": np.array([0.5], np.float32)}, [3])
    with pytest.raises(ShapeError, match="tied"):
        vf.nn.from_onnx(m)
    m = build([N("Gemm", ["x", "W"], ["h"], name="first"), N("Tanh", ["h"], ["t"]), N("Gemm", ["t", "W"], ["y"])],
              {"W": w(3, 3)}, [3])
    with pytest.raises(InputError, match="tied weights") as e:
        vf.nn.from_onnx(m)
    assert "'first'" in str(e.value)


def test_attention_softmax_over_the_wrong_axis_refused():
    """Before opset 13 Softmax's default axis is 1, which for (batch, T, T) normalises over T·T entries."""
    nodes = [N("Softmax", ["s2"], ["a"]) if nd.op_type == "Softmax" else nd for nd in _attention_nodes()]
    m = build(nodes, _attention_inits(4, 4, 2.0), [3, 4], opset=12)
    with pytest.raises(InputError, match="last axis"):
        vf.nn.from_onnx(m)
    nodes = [N("Softmax", ["s2"], ["a"], axis=2) if nd.op_type == "Softmax" else nd for nd in _attention_nodes()]
    check_import(nodes, _attention_inits(4, 4, 2.0), [3, 4], [3, 4], n=2, opset=12)


def test_non_skip_add_and_shared_values_refused():
    # two branches from x merged by Add: neither operand is computed from the other
    m = build([N("Gemm", ["x", "W"], ["a"]), N("Gemm", ["x", "W2"], ["b"]), N("Add", ["a", "b"], ["y"], name="merge")],
              {"W": w(3, 3), "W2": w(3, 3)}, [3])
    with pytest.raises(InputError, match="'merge'.*skip connection"):
        vf.nn.from_onnx(m)
    # a value that also feeds a dead branch
    m = build([N("Gemm", ["x", "W"], ["y"]), N("Relu", ["x"], ["dead"], name="stray")], {"W": w(3, 3)}, [3])
    with pytest.raises(InputError, match="'stray'"):
        vf.nn.from_onnx(m)
    # x + x
    m = build([N("Add", ["x", "x"], ["y"])], {}, [3])
    with pytest.raises(InputError, match="2x"):
        vf.nn.from_onnx(m)


def test_other_refusals():
    cases = [
        (_gemm_with(N("Gemm", ["h", "W"], ["y"], transA=1)), "transA"),
        (build([N("Reshape", ["x", "s"], ["y"])], {"s": np.array([0, 2, 3], np.int64)}, [6]), "flattening"),
        (build([N("Flatten", ["x"], ["y"], axis=0)], {}, [2, 3]), "axis = 1"),
        (build([N("Gemm", ["x", "W"], ["y"])], {"W": np.array([[np.nan, 1], [0, 1]], np.float32)}, [2]), "NaN"),
        (build([N("Clip", ["x", "lo", "hi"], ["y"])], {"lo": np.array(0, np.float32), "hi": np.array(6, np.float32)},
               [2]), "Clip"),
        (build([N("Dropout", ["x", "r", "t"], ["y"])], {"r": np.array(0.5, np.float32), "t": np.array(True)}, [2]),
         "training mode"),
        (build([N("Relu", ["x"], ["y"])], {}, [3]), None),
    ]
    for m, word in cases:
        if word is None:
            net, theta = vf.nn.from_onnx(m)  # a parameter-free net is fine
            assert net.n_params == 0 and len(theta) == 0
            continue
        with pytest.raises(InputError, match=word):
            vf.nn.from_onnx(m)
    with pytest.raises(NonFiniteError):
        vf.nn.from_onnx(cases[3][0])


def test_two_inputs_and_old_opsets_refused():
    g = helper.make_graph([N("Add", ["x", "z"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2]),
                           helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])])
    with pytest.raises(InputError, match="exactly one"):
        vf.nn.from_onnx(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    m = build([N("Relu", ["x"], ["y"])], {}, [3], opset=6)
    with pytest.raises(InputError, match="opset"):
        vf.nn.from_onnx(m)


def test_declared_output_shape_is_checked():
    m = build([N("Gemm", ["x", "W"], ["y"])], {"W": w(3, 2)}, [3], [3])
    with pytest.raises(ShapeError, match="declares"):
        vf.nn.from_onnx(m)
    m = build([N("Gemm", ["x", "W"], ["y"])], {"W": w(2, 3)}, [3])  # B is (in, out) = (2, 3): 2 ≠ 3 inputs
    with pytest.raises(ShapeError, match="expects 2 input features"):
        vf.nn.from_onnx(m)


def test_module_path_is_importable_as_documented():
    assert pathlib.Path(vf.nn.onnx_import.__file__).name == "onnx_import.py"
