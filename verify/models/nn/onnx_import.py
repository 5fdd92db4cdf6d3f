"""Import of ONNX models into the layer graph: ``vf.nn.from_onnx(path_or_model) -> (net, theta)``.

The graph is read node by node and mapped onto :mod:`verify.models.nn` layers; ``theta`` is the exact
parameter vector of the stored weights in the net's :class:`ParamLayout` order, so that
``net`` at ``theta`` is *the real-number function the ONNX file describes*.

Mapping (ONNX default domain, opset ≥ 7 → layer):

* ``Gemm`` (transA = 0; any transB, alpha, beta; C one value per unit) → ``Dense`` with W = alpha·B (B
  transposed when transB = 0) and b = beta·C, exactly (no bias when C is absent or beta = 0);
* ``MatMul(x, W)`` with a constant 2-D W, optionally followed by ``Add`` of a per-unit constant →
  ``Dense`` on the last axis (W = Wᵀ);
* ``Conv`` 1-D/2-D (group = 1, dilations = 1, symmetric pads, or auto_pad VALID / SAME with an even
  total padding) → ``Conv1d`` / ``Conv2d``;
* ``MaxPool`` / ``AveragePool`` (no padding, dilations = 1, ceil_mode = 0 or a ceil_mode = 1 that adds no
  window) → ``MaxPool1d/2d`` / ``AvgPool1d/2d``; ``GlobalAveragePool`` → ``AvgPool`` over the whole extent;
* ``Flatten`` (axis = 1) and ``Reshape`` to (batch, D) with a constant target → ``Flatten``;
* ``Relu``, ``LeakyRelu`` (slope = the exact float32 alpha), ``Tanh``, ``Sigmoid``, ``Softplus``, ``Abs``,
  ``Clip`` to [−1, 1] (hardtanh) or [0, ∞) (relu) → ``Act``;
* ``Identity``, inference-mode ``Dropout`` → nothing;
* ``Add(x, f(x))`` with f an importable subgraph → ``Residual(f)``;
* single-head self-attention (below) → ``SelfAttention(d_model, heads=1, d_k, bias)``.

Self-attention is recognised as the pattern (x of per-sample shape (T, d_model))::

    Q = x @ W_Q (+ b_Q);  K = x @ W_K (+ b_K);  V = x @ W_V (+ b_V)
    S = MatMul(Q, Transpose(K, perm = [0, 2, 1])) · c   (Mul by c, Div by 1/c, or no scaling: c = 1)
    out = MatMul(Softmax(S, axis = last), V) @ W_O (+ b_O)

with either all four biases or none. The layer's scale is exactly 1/sqrt(d_k). The constant c must be
1/sqrt(d_k) exactly (d_k = 1, 4, 16, 64, …) or a float rounding of it, |c·sqrt(d_k) − 1| ≤ 2^-22 (decided in
exact arithmetic); in the second case — the one place where the import is not the stored value — the
imported net uses the exact 1/sqrt(d_k), the value the float constant approximates. Any other scale is
refused.

Exactness. Every weight (float16/32/64 initializer or ``Constant``) is taken as the exact rational
value of its binary float (a dyadic rational), and so are the float attributes (Gemm alpha/beta,
LeakyRelu alpha): nothing is rounded on import. An ONNX runtime evaluates the same function in float32,
so "float" outputs of the imported net agree with a runtime to float32 rounding, not bit for bit.
θ holds one independent parameter per entry of each layer's block (Gemm's alpha·B and beta·C are the
parameters).

Refusals (all before any layer is built, as :mod:`verify.errors` exceptions naming the node):
operators outside the list (all of them at once, with node names), non-default domains, grouped or
dilated convolutions, asymmetric padding, padded or dilated pooling, dynamic non-batch dimensions, more
than one (non-constant) graph input or output, values shared by branches other than a skip connection or
the attention pattern, tied parameters (one initializer used by two layers, or a scalar bias added to
several units — the layer graph could compute the function but would train a different model), external
tensor data, NaN/inf weights, opsets below 7. The first axis of the graph input is the batch axis
(dropped); every other axis must be static.

Safety. Nothing is evaluated or executed: the file is parsed as a protobuf message and checked by
``onnx.checker``; it is read only up to ``max_bytes`` (default 256 MiB, :class:`SizeLimitError`
beyond); tensors stored in external files are refused, so no other file is ever opened.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ...errors import (
    InputError,
    InternalError,
    MissingDependencyError,
    NonFiniteError,
    SchemaError,
    ShapeError,
    SizeLimitError,
)
from ...validate import MAX_MAGNITUDE, byte_limit, positive_int

__all__ = ["from_onnx", "DEFAULT_MAX_BYTES", "DEFAULT_MAX_PARAMS", "SUPPORTED_OPS"]

#: largest ONNX file (or serialised ModelProto) read by default
DEFAULT_MAX_BYTES = 256 * 2**20
#: largest number of tensor entries (weights and constants, all together) imported by default: every
#: entry becomes an exact Fraction (about 100 bytes each)
DEFAULT_MAX_PARAMS = 10**7

_ACTS = {"Relu", "LeakyRelu", "Tanh", "Sigmoid", "Softplus", "Abs", "Clip"}
_PASS = {"Identity", "Dropout"}
_LAYER_OPS = {"Gemm", "MatMul", "Add", "Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten", "Reshape"}
#: operators that are imported only as part of the self-attention pattern
_ATTENTION_OPS = {"Softmax", "Transpose", "Mul", "Div"}
SUPPORTED_OPS = frozenset(_ACTS | _PASS | _LAYER_OPS | _ATTENTION_OPS | {"Constant"})
_FLOAT_TYPES = {"float", "double", "float16"}  # TensorProto element types imported as weights / inputs
_MIN_OPSET = 7
#: skip connections nested deeper than this are refused (each level is a Python stack frame here and in the
#: layer graph)
_MAX_NESTING = 100

# float32 rounding of 1/sqrt(d_k) (relative error ≤ 2^-24), with a safety factor for double rounding
_SCALE_TOL = Fraction(1, 2**22)


def from_onnx(model, *, max_bytes=None, max_params=None):
    """Import an ONNX model: ``(net, theta)`` with ``net`` a :class:`verify.models.nn.Sequential` and
    ``theta`` a numpy object array of exact :class:`~fractions.Fraction` in ``net.layout`` order.

    ``model``: a path (``str`` / ``os.PathLike``) to a ``.onnx`` file or an ``onnx.ModelProto``.
    ``max_bytes``: the largest file / serialised model accepted (default :data:`DEFAULT_MAX_BYTES`).
    ``max_params``: the largest number of tensor entries imported (default :data:`DEFAULT_MAX_PARAMS`).

    The supported operators and the mapping are in the module docstring. Unsupported graphs raise
    :class:`~verify.errors.InputError` (unknown operators, unsupported attributes; :class:`ShapeError`
    for dynamic or inconsistent shapes, :class:`SchemaError` for a file that is not a valid ONNX model,
    :class:`SizeLimitError` beyond the limits) before any layer is built.
    """
    try:
        import onnx
    except ImportError:
        raise MissingDependencyError("importing ONNX models needs the optional onnx package: "
                                     "pip install \"verify[onnx]\"") from None
    limit = DEFAULT_MAX_BYTES if max_bytes is None else byte_limit(max_bytes, "max_bytes")
    plimit = DEFAULT_MAX_PARAMS if max_params is None else positive_int(max_params, "max_params",
                                                                          maximum=2**62)
    proto = _load(onnx, model, limit)
    g = _Graph(onnx, proto, plimit)
    items = g.trace()
    return _assemble(g, items)


# --------------------------------------------------------------------------------------------- loading


def _load(onnx, model, limit: int):
    """The ModelProto of a path or a ModelProto, size-checked, parsed without external data, and
    checked by ``onnx.checker``."""
    if isinstance(model, onnx.ModelProto):
        size = model.ByteSize()
        if size > limit:
            raise SizeLimitError(f"the ONNX model is {size} bytes serialised, more than the limit of {limit} "
                                 "(pass a larger max_bytes)")
        proto, what = model, "the ONNX model"
    elif isinstance(model, str | os.PathLike):
        path = os.fspath(model)
        if isinstance(path, bytes):
            raise InputError(f"the ONNX path must be a str or pathlib.Path, got the bytes {path!r}")
        what = f"the ONNX file {path!r}"
        try:
            size = os.stat(path).st_size
        except OSError as exc:
            raise InputError(f"cannot read {what}: {exc.strerror or exc}") from None
        if size > limit:
            raise SizeLimitError(f"{what} is {size} bytes, more than the limit of {limit} (pass a larger "
                                 "max_bytes if you mean it)")
        try:
            with open(path, "rb") as fh:
                data = fh.read(limit + 1)  # bounded even if the file grows or is not a regular file
        except OSError as exc:
            raise InputError(f"cannot read {what}: {exc.strerror or exc}") from None
        if len(data) > limit:
            raise SizeLimitError(f"{what} is more than the limit of {limit} bytes (pass a larger max_bytes if "
                                 "you mean it)")
        if not data:
            raise SchemaError(f"{what} is empty, not an ONNX model")
        try:
            proto = onnx.load_model_from_string(data)
        except Exception as exc:  # protobuf's DecodeError and friends: the bytes are not a ModelProto
            raise SchemaError(f"{what} is not a valid ONNX model (protobuf decoding failed: "
                              f"{type(exc).__name__}: {exc})") from None
    else:
        raise InputError(f"from_onnx takes a path (str or pathlib.Path) or an onnx.ModelProto, got "
                         f"{type(model).__name__}")
    if not proto.HasField("graph"):
        raise SchemaError(f"{what} has no graph: not an ONNX model")
    for t in list(proto.graph.initializer) + _constant_tensors(proto.graph):
        if t.HasField("data_location") and t.data_location == onnx.TensorProto.EXTERNAL:
            raise InputError(f"{what}: the tensor {t.name!r} is stored in an external file; external data is "
                             "not read (no other file is opened) — save the model with "
                             "onnx.save_model(model, path, save_as_external_data=False)")
    try:
        onnx.checker.check_model(proto)
    except Exception as exc:  # onnx.checker.ValidationError (and C++ errors surfaced as RuntimeError)
        raise SchemaError(f"{what} is not a valid ONNX model: {str(exc).strip().splitlines()[0][:500]}") from None
    return proto


def _constant_tensors(graph) -> list:
    out = []
    for node in graph.node:
        if node.op_type == "Constant":
            out.extend(a.t for a in node.attribute if a.name == "value" and a.HasField("t"))
    return out


# ----------------------------------------------------------------------------------------- the graph


@dataclass
class _Item:
    """One step of the imported network before layers are built (raw numpy weights, ONNX metadata)."""

    kind: str
    where: str
    data: dict


class _Graph:
    """The parsed graph: constants, producers/consumers of values, the single dynamic input/output."""

    def __init__(self, onnx, proto, max_params: int):
        self.onnx = onnx
        self.TP = onnx.TensorProto
        graph = proto.graph
        self.nodes = list(graph.node)
        self._budget = max_params
        self.opset = None
        for imp in proto.opset_import:
            if imp.domain in ("", "ai.onnx"):
                self.opset = int(imp.version)
        if self.opset is None:
            raise SchemaError("the ONNX model imports no default-domain opset")
        if self.opset < _MIN_OPSET:
            raise InputError(f"the ONNX model uses opset {self.opset}; opset ≥ {_MIN_OPSET} is supported — "
                             "re-export with a newer opset (e.g. torch.onnx.export(..., opset_version=17))")
        self._check_ops()
        if len(graph.sparse_initializer):
            raise InputError("sparse initializers are not supported; store the weights densely")
        self.consts: dict[str, np.ndarray] = {}
        for t in graph.initializer:
            self.consts[t.name] = self._tensor(t, f"initializer {t.name!r}")
        self.producer: dict[str, int] = {}
        self.consumers: dict[str, list[int]] = {}
        self.const_nodes: set[int] = set()
        for i, node in enumerate(self.nodes):
            if node.op_type == "Constant":
                self.consts[node.output[0]] = self._constant(node, i)
                self.const_nodes.add(i)
                continue
            if node.op_type == "Identity" and node.input[0] in self.consts:
                self.consts[node.output[0]] = self.consts[node.input[0]]
                self.const_nodes.add(i)
                continue
            for o in node.output:
                if o:
                    self.producer[o] = i
            for v in node.input:
                if v and v not in self.consts:
                    self.consumers.setdefault(v, []).append(i)
        inputs = [vi for vi in graph.input if vi.name not in self.consts]
        if len(inputs) != 1:
            names = ", ".join(repr(vi.name) for vi in inputs) or "none"
            raise InputError(f"the ONNX graph must have exactly one (non-constant) input, it has {len(inputs)}: "
                             f"{names}")
        if len(graph.output) != 1:
            raise InputError(f"the ONNX graph must have exactly one output, it has {len(graph.output)}: "
                             + ", ".join(repr(o.name) for o in graph.output))
        self.input = inputs[0].name
        self.input_shape = self._value_shape(inputs[0], "graph input")
        if self.input_shape is None:
            raise ShapeError(f"the graph input {self.input!r} has no shape; its static shape (batch, ...) is needed")
        self.output = graph.output[0].name
        self.output_shape = self._value_shape(graph.output[0], "graph output", required=False)
        if self.output in self.consts:
            raise InputError(f"the graph output {self.output!r} is a constant, not a function of the input")
        self.visited: set[int] = set()
        self.param_uses: dict[str, str] = {}

    # ---- description / attributes

    def where(self, i: int) -> str:
        node = self.nodes[i]
        if node.name:
            return f"{node.op_type} node {node.name!r}"
        return f"{node.op_type} node #{i} (output {node.output[0]!r})"

    def _check_ops(self):
        bad = []
        for i, node in enumerate(self.nodes):
            if node.domain not in ("", "ai.onnx"):
                bad.append(f"{node.op_type} (domain {node.domain!r}) in {self.where(i)}")
            elif node.op_type not in SUPPORTED_OPS:
                bad.append(self.where(i))
        if bad:
            raise InputError("the ONNX graph uses operators that cannot be imported: " + "; ".join(bad)
                             + ". Supported: " + ", ".join(sorted(SUPPORTED_OPS))
                             + " (Softmax/Transpose/Mul/Div only in the self-attention pattern)")

    def attr(self, i: int, name: str, kind: str, default=None):
        """Attribute ``name`` of node i: kind "int", "ints", "float", "string" (type-checked)."""
        AP = self.onnx.AttributeProto
        want = {"int": AP.INT, "ints": AP.INTS, "float": AP.FLOAT, "string": AP.STRING, "tensor": AP.TENSOR}[kind]
        for a in self.nodes[i].attribute:
            if a.name == name:
                if a.type != want:
                    raise SchemaError(f"{self.where(i)}: attribute {name!r} should be of type {kind}")
                if kind == "int":
                    return int(a.i)
                if kind == "ints":
                    return [int(v) for v in a.ints]
                if kind == "float":
                    if not math.isfinite(a.f):
                        raise NonFiniteError(f"{self.where(i)}: attribute {name!r} is {a.f}")
                    return float(a.f)  # a float32, exactly
                if kind == "string":
                    return a.s.decode("utf-8", "replace")
                return a.t
        return default

    # ---- tensors

    def _tensor(self, t, what: str) -> np.ndarray:
        n = 1
        for d in t.dims:
            if d < 0:
                raise SchemaError(f"{what} has a negative dimension {d}")
            n *= int(d)
        self._budget -= n
        if self._budget < 0:
            raise SizeLimitError(f"the ONNX model holds more tensor entries than the limit (at {what}, shape "
                                 f"{tuple(t.dims)}); every entry becomes an exact rational — pass a larger "
                                 "max_params if you mean it")
        try:
            arr = self.onnx.numpy_helper.to_array(t)
        except Exception as exc:  # malformed data length / unsupported element type
            raise SchemaError(f"{what} cannot be decoded: {type(exc).__name__}: {exc}") from None
        return np.asarray(arr)

    def _constant(self, node, i: int) -> np.ndarray:
        attrs = {a.name: a for a in node.attribute}
        what = f"the constant of {self.where(i)}"
        if "value" in attrs:
            return self._tensor(attrs["value"].t, what)
        if "value_float" in attrs:
            return np.array(attrs["value_float"].f, dtype=np.float32)
        if "value_floats" in attrs:
            return np.array(list(attrs["value_floats"].floats), dtype=np.float32)
        if "value_int" in attrs:
            return np.array(attrs["value_int"].i, dtype=np.int64)
        if "value_ints" in attrs:
            return np.array(list(attrs["value_ints"].ints), dtype=np.int64)
        raise InputError(f"{self.where(i)}: only tensor, float(s) and int(s) constants are supported "
                         f"(got {', '.join(attrs) or 'no value'})")

    def _value_shape(self, vi, what: str, required: bool = True):
        """Per-sample static shape of a graph input/output (first axis = batch, dropped)."""
        tt = vi.type.tensor_type if vi.type.HasField("tensor_type") else None
        if tt is None:
            raise InputError(f"the {what} {vi.name!r} is not a tensor")
        elem = self.TP.DataType.Name(tt.elem_type).lower() if tt.elem_type else "undefined"
        if elem not in _FLOAT_TYPES:
            raise InputError(f"the {what} {vi.name!r} has element type {elem}; float, double or float16 is needed")
        if not tt.HasField("shape"):
            return None
        dims = list(tt.shape.dim)
        if len(dims) < 2:
            if not required:
                return None
            raise ShapeError(f"the {what} {vi.name!r} has rank {len(dims)}; a batch axis followed by at least "
                             "one feature axis is needed")
        shape = []
        for k, d in enumerate(dims[1:], start=1):
            if d.HasField("dim_value") and d.dim_value > 0:
                shape.append(int(d.dim_value))
            elif not required:
                return None
            else:
                label = repr(d.dim_param) if d.HasField("dim_param") else "unknown"
                raise ShapeError(f"the {what} {vi.name!r} has a dynamic dimension {label} at axis {k}; only the "
                                 "first (batch) axis may be dynamic — export with a fixed input size")
        return tuple(shape)

    def const(self, name: str):
        return self.consts.get(name)

    def weights(self, name: str, what: str) -> np.ndarray:
        """A constant used as weights: a finite float (or integer) array."""
        arr = self.consts[name]
        if arr.dtype.kind not in "fiu" or arr.dtype.kind == "f" and arr.dtype.itemsize not in (2, 4, 8):
            raise InputError(f"{what} ({name!r}) has element type {arr.dtype}; float16/32/64 weights are needed")
        if arr.dtype.kind == "f":
            a64 = arr.astype(np.float64)
            if not np.isfinite(a64).all():
                raise NonFiniteError(f"{what} ({name!r}) contains NaN or infinite entries")
            if a64.size and float(np.abs(a64).max()) > float(MAX_MAGNITUDE):
                raise InputError(f"{what} ({name!r}) has entries beyond the supported magnitude 2**1000")
        return arr

    def param(self, name: str, what: str) -> np.ndarray:
        """A constant used as a layer's parameter block; refused when another layer already uses it (tied
        weights: the layer graph has one independent parameter per entry, so tying would change the model
        being trained even though the function at θ is the same)."""
        if name in self.param_uses:
            raise InputError(f"{what}: the tensor {name!r} is also a parameter of {self.param_uses[name]} (tied "
                             "weights); the layer graph has no tied parameters — untie them before export")
        self.param_uses[name] = what.split(":")[0]
        return self.weights(name, what)

    def dyn_inputs(self, i: int) -> list[str]:
        return [v for v in self.nodes[i].input if v and v not in self.consts]

    def visit(self, i: int):
        if i in self.visited:
            raise InputError(f"{self.where(i)} is used by two branches of the graph; only skip connections "
                             "(Add(x, f(x))) and the self-attention pattern may reuse a value")
        self.visited.add(i)

    def producer_of(self, v: str, context: str) -> int:
        if v in self.consts:
            raise InputError(f"{context}: the value {v!r} is a constant where the network's signal is expected")
        if v == self.input:
            raise InputError(f"{context}: the graph input {v!r} is used where the importable pattern expects a "
                             "computed value")
        if v not in self.producer:
            raise InputError(f"{context}: the value {v!r} is not computed from the graph input {self.input!r}")
        return self.producer[v]

    # ---- tracing (from the output back to the input)

    def trace(self) -> list[_Item]:
        items = self._trace(self.output, self.input)
        self._check_fanout()
        return items

    def _check_fanout(self):
        """Every consumer of a traced value is traced: no value escapes into an untraced branch."""
        values = [self.input] + [o for i in self.visited for o in self.nodes[i].output if o]
        for v in values:
            for j in self.consumers.get(v, []):
                if j not in self.visited:
                    raise InputError(f"the value {v!r} is also used by {self.where(j)}, which does not lead to the "
                                     "graph output through an importable pattern")

    def _trace(self, out: str, stop: str, depth: int = 0) -> list[_Item]:
        items: list[_Item] = []
        v = out
        while v != stop:
            if v == self.input:
                raise InputError(f"the branch ending in {out!r} reaches the graph input without passing through "
                                 f"{stop!r}: not a skip connection x + f(x)")
            i = self.producer_of(v, f"tracing back from {out!r}")
            node = self.nodes[i]
            op = node.op_type
            where = self.where(i)
            if op in _PASS:
                self.visit(i)
                if op == "Dropout":
                    self._check_dropout(i)
                v = self._single_input(i)
            elif op in _ACTS:
                self.visit(i)
                act = self._activation(i)
                if act is not None:
                    items.append(_Item("act", where, {"act": act}))
                v = self._single_input(i)
            elif op == "Gemm":
                self.visit(i)
                item, v = self._gemm(i)
                items.append(item)
            elif op == "Add" and len(self.dyn_inputs(i)) == 2:
                self.visit(i)
                item, v = self._residual(i, depth)
                items.append(item)
            elif op in ("MatMul", "Add"):
                lin = self._linear(v, where)
                x = lin["x"]
                j = self.producer.get(x)
                if j is not None and self.nodes[j].op_type == "MatMul" and len(self.dyn_inputs(j)) == 2:
                    item, v = self._attention(j, lin)
                else:
                    item, v = _Item("dense", where, {"W": lin["W"], "b": lin["b"], "gemm": False}), x
                items.append(item)
            elif op == "Conv":
                self.visit(i)
                item, v = self._conv(i)
                items.append(item)
            elif op in ("MaxPool", "AveragePool"):
                self.visit(i)
                item, v = self._pool(i)
                items.append(item)
            elif op == "GlobalAveragePool":
                self.visit(i)
                items.append(_Item("gpool", where, {}))
                v = self._single_input(i)
            elif op == "Flatten":
                self.visit(i)
                axis = self.attr(i, "axis", "int", 1)
                items.append(_Item("flatten", where, {"axis": axis}))
                v = self._single_input(i)
            elif op == "Reshape":
                self.visit(i)
                items.append(self._reshape(i))
                v = self._single_input(i)
            elif op in _ATTENTION_OPS:
                raise InputError(f"{where}: {op} is imported only inside the self-attention pattern "
                                 "(softmax(Q Kᵀ · c) V followed by an output projection)"
                                 + ("; for classification leave the final Softmax out and use "
                                    "vf.CrossEntropyLoss on the logits" if op == "Softmax" else ""))
            else:  # pragma: no cover - _check_ops refused it
                raise InputError(f"{where}: operator {op} cannot be imported")
        return items[::-1]

    def _single_input(self, i: int) -> str:
        dyn = self.dyn_inputs(i)
        if len(dyn) != 1 or self.nodes[i].input[0] != dyn[0]:
            raise InputError(f"{self.where(i)}: expected the network's signal as its first input and constants "
                             f"otherwise, got inputs {list(self.nodes[i].input)}")
        return dyn[0]

    def _check_dropout(self, i: int):
        node = self.nodes[i]
        if len(node.input) >= 3 and node.input[2]:
            flag = self.const(node.input[2])
            if flag is None or bool(np.asarray(flag).reshape(-1)[0]):
                raise InputError(f"{self.where(i)}: Dropout in training mode (training_mode input not a constant "
                                 "false) is random and cannot be imported; export the model in eval mode")
        if len(node.output) > 1 and node.output[1] and self.consumers.get(node.output[1]):
            raise InputError(f"{self.where(i)}: the dropout mask is used; export the model in eval mode")

    def _activation(self, i: int):
        op = self.nodes[i].op_type
        if op == "Relu":
            return "relu"
        if op == "Tanh":
            return "tanh"
        if op == "Sigmoid":
            return "sigmoid"
        if op == "Softplus":
            return "softplus"
        if op == "Abs":
            return "abs"
        if op == "LeakyRelu":
            alpha = Fraction(self.attr(i, "alpha", "float", float(np.float32(0.01))))
            if alpha == 1:
                return None  # the identity
            if alpha == 0:
                return "relu"
            return ("leaky_relu", alpha)
        if op == "Clip":
            lo, hi = self._clip_bounds(i)
            if lo == -1 and hi == 1:
                return "hardtanh"
            if lo == 0 and hi is None:
                return "relu"
            raise InputError(f"{self.where(i)}: Clip is imported for [−1, 1] (hardtanh) and [0, ∞) (relu) only, "
                             f"got [{'-∞' if lo is None else lo}, {'∞' if hi is None else hi}]")
        raise InternalError(f"no activation mapping for {op}")  # pragma: no cover

    def _clip_bounds(self, i: int):
        node = self.nodes[i]
        if self.opset < 11:
            lo = self.attr(i, "min", "float", None)
            hi = self.attr(i, "max", "float", None)
            lo = None if lo is None or lo <= -3.4e38 else Fraction(lo)
            hi = None if hi is None or hi >= 3.4e38 else Fraction(hi)
            return lo, hi
        out = []
        for k in (1, 2):
            name = node.input[k] if len(node.input) > k else ""
            if not name:
                out.append(None)
                continue
            c = self.const(name)
            if c is None or c.size != 1 or c.dtype.kind not in "fiu":
                raise InputError(f"{self.where(i)}: Clip bounds must be constant numeric scalars")
            v = float(np.asarray(c, dtype=np.float64).reshape(-1)[0])
            if math.isnan(v):
                raise NonFiniteError(f"{self.where(i)}: a Clip bound is NaN")
            if math.isinf(v) and (v < 0) != (k == 1):
                raise InputError(f"{self.where(i)}: Clip {'min' if k == 1 else 'max'} is {v}")
            out.append(None if math.isinf(v) else Fraction(v))
        return tuple(out)

    # ---- dense layers

    def _gemm(self, i: int):
        node = self.nodes[i]
        where = self.where(i)
        if self.attr(i, "transA", "int", 0) != 0:
            raise InputError(f"{where}: transA = 1 would mix the batch axis into the features; not importable")
        a, b = node.input[0], node.input[1]
        if a in self.consts or b not in self.consts:
            raise InputError(f"{where}: Gemm is imported as Dense when A is the signal and B a constant weight")
        B = self.param(b, f"{where}: weight B")
        if B.ndim != 2:
            raise ShapeError(f"{where}: B must be 2-D, got shape {B.shape}")
        W = B if self.attr(i, "transB", "int", 0) else B.T  # (out, in)
        alpha = Fraction(self.attr(i, "alpha", "float", 1.0))
        beta = Fraction(self.attr(i, "beta", "float", 1.0))
        cname = node.input[2] if len(node.input) > 2 else ""
        bias = None
        if cname and beta != 0:  # beta = 0: C is ignored, the layer has no bias
            if cname not in self.consts:
                raise InputError(f"{where}: the bias C must be a constant")
            C = self.param(cname, f"{where}: bias C")
            bias = self._bias(C, W.shape[0], where, "C", allow_rows=True)
        return (_Item("dense", where, {"W": W, "b": bias, "gemm": True, "alpha": alpha, "beta": beta}), a)

    def _bias(self, c: np.ndarray, out: int, where: str, what: str, allow_rows: bool = False) -> np.ndarray:
        """A per-unit bias vector (out,) from a constant that broadcasts along the last axis only."""
        shape = c.shape
        lead = shape[:-1] if shape else ()
        if shape and shape[-1] == out and all(d == 1 for d in lead):
            return c.reshape(out)
        if out == 1 and c.size == 1:
            return c.reshape(1)
        hint = " (a scalar shared by several units is a tied parameter, which the layer does not have)" \
            if c.size == 1 else ""
        raise ShapeError(f"{where}: the bias {what} of shape {shape} is not one value per unit (expected ({out},)"
                         f"{' or (1, ' + str(out) + ')' if allow_rows else ''}){hint}")

    def _linear(self, v: str, where: str) -> dict:
        """``v = MatMul(x, W) (+ b)`` with constant W (2-D) and per-unit constant b: x, W (out, in), b."""
        i = self.producer_of(v, where)
        node = self.nodes[i]
        bias = None
        nodes = []
        if node.op_type == "Add":
            a, b = node.input[0], node.input[1]
            if (a in self.consts) == (b in self.consts):
                raise InputError(f"{self.where(i)}: expected the bias Add of a linear layer (signal + constant)")
            cname, v = (a, b) if a in self.consts else (b, a)
            nodes.append(i)
            j = self.producer.get(v)
            if j is None or self.nodes[j].op_type != "MatMul":
                after = "the graph input" if j is None else self.where(j)
                raise InputError(f"{self.where(i)}: an Add of a constant is imported only as the bias of a "
                                 f"MatMul (Dense); here it follows {after}")
            i, node = j, self.nodes[j]
            bias = cname
        if node.op_type != "MatMul":
            raise InputError(f"{self.where(i)}: expected MatMul(x, W)")
        x, w = node.input[0], node.input[1]
        if x in self.consts or w not in self.consts:
            if x not in self.consts and w not in self.consts:
                raise InputError(f"{self.where(i)}: a product of two signals is imported only as the core of the "
                                 "self-attention pattern followed by an output projection MatMul(·, W_O)")
            raise InputError(f"{self.where(i)}: MatMul is imported as Dense when its first input is the signal and "
                             "its second a constant weight matrix")
        nodes.append(i)
        for j in nodes:
            self.visit(j)
        W = self.param(w, f"{self.where(i)}: weight")
        if W.ndim != 2:
            raise ShapeError(f"{self.where(i)}: the weight of MatMul must be 2-D (in, out), got shape {W.shape}")
        b = None
        if bias is not None:
            b = self._bias(self.param(bias, f"{self.where(nodes[0])}: bias"), W.shape[1], self.where(nodes[0]),
                           repr(bias))
        return {"x": x, "W": W.T, "b": b, "where": self.where(i)}

    # ---- convolution and pooling

    def _conv(self, i: int):
        node = self.nodes[i]
        where = self.where(i)
        x, w = node.input[0], node.input[1]
        if x in self.consts or w not in self.consts:
            raise InputError(f"{where}: Conv needs the signal as X and a constant weight W")
        W = self.param(w, f"{where}: weight W")
        if W.ndim not in (3, 4):
            raise InputError(f"{where}: only 1-D and 2-D convolutions are imported; W has shape {W.shape}")
        nd = W.ndim - 2
        if self.attr(i, "group", "int", 1) != 1:
            raise InputError(f"{where}: grouped convolution (group = {self.attr(i, 'group', 'int')}) is not "
                             "supported; only group = 1")
        dil = self.attr(i, "dilations", "ints", [1] * nd)
        if any(d != 1 for d in dil):
            raise InputError(f"{where}: dilated convolution (dilations = {dil}) is not supported")
        ks = self.attr(i, "kernel_shape", "ints", None)
        if ks is not None and list(ks) != list(W.shape[2:]):
            raise ShapeError(f"{where}: kernel_shape {ks} differs from the weight's shape {W.shape}")
        strides = self.attr(i, "strides", "ints", [1] * nd)
        pads = self.attr(i, "pads", "ints", [0] * (2 * nd))
        auto = self.attr(i, "auto_pad", "string", "NOTSET")
        if len(strides) != nd or len(pads) != 2 * nd or any(s < 1 for s in strides) or any(p < 0 for p in pads):
            raise SchemaError(f"{where}: strides {strides} / pads {pads} do not fit a {nd}-D convolution")
        if auto not in ("NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"):
            raise SchemaError(f"{where}: unknown auto_pad {auto!r}")
        if auto == "NOTSET" and pads[:nd] != pads[nd:]:
            raise InputError(f"{where}: asymmetric padding (pads = {pads}) is not supported; the layers pad both "
                             "sides equally")
        bias = None
        if len(node.input) > 2 and node.input[2]:
            if node.input[2] not in self.consts:
                raise InputError(f"{where}: the bias B must be a constant")
            bias = self._bias(self.param(node.input[2], f"{where}: bias B"), W.shape[0], where, "B")
        data = {"W": W, "b": bias, "strides": tuple(strides), "pads": tuple(pads[:nd]), "auto": auto, "nd": nd}
        return _Item("conv", where, data), x

    def _pool(self, i: int):
        node = self.nodes[i]
        where = self.where(i)
        ks = self.attr(i, "kernel_shape", "ints", None)
        if ks is None or len(ks) not in (1, 2):
            raise InputError(f"{where}: only 1-D and 2-D pooling is imported (kernel_shape {ks})")
        nd = len(ks)
        strides = self.attr(i, "strides", "ints", [1] * nd)
        pads = self.attr(i, "pads", "ints", [0] * (2 * nd))
        dil = self.attr(i, "dilations", "ints", [1] * nd)
        auto = self.attr(i, "auto_pad", "string", "NOTSET")
        if len(strides) != nd or any(s < 1 for s in strides) or any(k < 1 for k in ks):
            raise SchemaError(f"{where}: kernel_shape {ks} / strides {strides} are malformed")
        if any(p != 0 for p in pads) or auto not in ("NOTSET", "VALID"):
            raise InputError(f"{where}: padded pooling (pads = {pads}, auto_pad = {auto}) is not supported")
        if any(d != 1 for d in dil):
            raise InputError(f"{where}: dilated pooling (dilations = {dil}) is not supported")
        if len(node.output) > 1 and node.output[1]:
            raise InputError(f"{where}: the Indices output of MaxPool is not supported")
        kind = "max" if node.op_type == "MaxPool" else "avg"
        data = {"kind": kind, "kernel": tuple(ks), "strides": tuple(strides),
                "ceil": self.attr(i, "ceil_mode", "int", 0), "nd": nd}
        return _Item("pool", where, data), self._single_input(i)

    def _reshape(self, i: int) -> _Item:
        node = self.nodes[i]
        where = self.where(i)
        if len(node.input) < 2 or node.input[1] not in self.consts:
            raise InputError(f"{where}: Reshape is imported only with a constant target shape (flattening to "
                             "(batch, D)); a shape computed at run time (Shape → Gather → Concat) is not — export "
                             "with torch.flatten(x, 1)")
        target = self.consts[node.input[1]]
        if target.dtype.kind not in "iu" or target.ndim != 1:
            raise SchemaError(f"{where}: the target shape must be a 1-D integer tensor, got {target}")
        return _Item("reshape", where, {"target": [int(t) for t in target],
                                        "allowzero": self.attr(i, "allowzero", "int", 0)})

    # ---- skip connections and attention

    def _derives_from(self, b: str, a: str) -> bool:
        """Is the value ``b`` computed from ``a``? (Nodes are topologically sorted — the checker enforces
        it — so the search backwards from ``b`` skips every node older than ``a``'s producer.)"""
        floor = self.producer.get(a, -1)
        seen, stack = set(), [b]
        while stack:
            u = stack.pop()
            if u == a:
                return True
            if u in seen:
                continue
            seen.add(u)
            i = self.producer.get(u)
            if i is not None and i > floor:
                stack.extend(self.dyn_inputs(i))
        return False

    def _residual(self, i: int, depth: int):
        a, b = self.nodes[i].input[0], self.nodes[i].input[1]
        where = self.where(i)
        if a == b:
            raise InputError(f"{where}: Add(x, x) (= 2x) is not a skip connection")
        if self._derives_from(b, a):
            skip, branch = a, b
        elif self._derives_from(a, b):
            skip, branch = b, a
        else:
            raise InputError(f"{where}: an Add of two signals is imported only as a skip connection x + f(x) "
                             "(one operand computed from the other)")
        if depth >= _MAX_NESTING:
            raise InputError(f"{where}: skip connections nested more than {_MAX_NESTING} deep are not imported")
        block = self._trace(branch, skip, depth + 1)
        return _Item("residual", where, {"block": block}), skip

    def _attention(self, j: int, out: dict):
        """The self-attention pattern ending in MatMul node j (= A·V) followed by the projection ``out``."""
        where = self.where(j)
        self.visit(j)
        a_val, v_val = self.nodes[j].input[0], self.nodes[j].input[1]
        k = self.producer_of(a_val, where)
        if self.nodes[k].op_type != "Softmax":
            raise InputError(f"{where}: a product of two signals is imported only as softmax(Q Kᵀ · c) · V; its "
                             f"first factor comes from {self.where(k)}")
        self.visit(k)
        sm_where = self.where(k)
        axis = self.attr(k, "axis", "int", -1 if self.opset >= 13 else 1)
        s_val = self._single_input(k)
        # scaling: Mul(S, c) / Mul(c, S) / Div(S, c), or none
        m = self.producer_of(s_val, sm_where)
        scale = Fraction(1)
        if self.nodes[m].op_type in ("Mul", "Div"):
            self.visit(m)
            p, q = self.nodes[m].input[0], self.nodes[m].input[1]
            op = self.nodes[m].op_type
            if op == "Mul" and p in self.consts and q not in self.consts:
                p, q = q, p
            if p in self.consts or q not in self.consts:
                raise InputError(f"{self.where(m)}: the attention scores must be scaled by a constant "
                                 f"(Mul(S, c) or Div(S, c))")
            c = self.weights(q, f"{self.where(m)}: scale")
            if c.size != 1:
                raise InputError(f"{self.where(m)}: the attention scale must be a scalar, got shape {c.shape}")
            cq = Fraction(float(np.asarray(c, dtype=np.float64).reshape(-1)[0]))
            if op == "Div" and cq == 0:
                raise InputError(f"{self.where(m)}: division by zero")
            scale = cq if op == "Mul" else 1 / cq
            s_val = p
            m = self.producer_of(s_val, self.where(m))
        if self.nodes[m].op_type != "MatMul" or len(self.dyn_inputs(m)) != 2:
            raise InputError(f"{sm_where}: the softmax input must be MatMul(Q, Transpose(K)) (optionally scaled), "
                             f"got {self.where(m)}")
        self.visit(m)
        q_val, kt_val = self.nodes[m].input[0], self.nodes[m].input[1]
        t = self.producer_of(kt_val, self.where(m))
        if self.nodes[t].op_type != "Transpose":
            raise InputError(f"{self.where(m)}: the second factor of Q·Kᵀ must be Transpose(K), got {self.where(t)}")
        self.visit(t)
        perm = self.attr(t, "perm", "ints", None)
        k_val = self._single_input(t)
        lq = self._linear(q_val, self.where(m))
        lk = self._linear(k_val, self.where(t))
        lv = self._linear(v_val, where)
        x = lq["x"]
        if lk["x"] != x or lv["x"] != x:
            raise InputError(f"{where}: Q, K and V are not projections of the same input "
                             f"({lq['x']!r}, {lk['x']!r}, {lv['x']!r})")
        biases = [lq["b"], lk["b"], lv["b"], out["b"]]
        if any(b is None for b in biases) and any(b is not None for b in biases):
            raise InputError(f"{where}: the Q, K, V and output projections must all have a bias or none "
                             f"(here: {['no' if b is None else 'yes' for b in biases]})")
        data = {"Q": lq["W"], "K": lk["W"], "V": lv["W"], "O": out["W"], "biases": None if biases[0] is None
                else biases, "scale": scale, "axis": axis, "perm": perm, "softmax": sm_where}
        return _Item("attention", out["where"], data), x


# ------------------------------------------------------------------------------------- exact weights


def _exact(arr: np.ndarray, factor: Fraction = Fraction(1)) -> np.ndarray:
    """Object array of the exact rational values of ``arr`` (times ``factor``, exactly)."""
    a = np.asarray(arr)
    if a.dtype.kind == "f":
        vals = [Fraction(v) for v in a.astype(np.float64).ravel().tolist()]  # float16/32 → float64 is exact
    else:
        vals = [Fraction(int(v)) for v in a.ravel().tolist()]
    if factor != 1:
        vals = [factor * v for v in vals]
    out = np.empty(len(vals), dtype=object)
    out[:] = vals
    return out.reshape(a.shape)


# --------------------------------------------------------------------------------------- assembling


def _assemble(g: _Graph, items: list[_Item]):
    from . import graph as _graph
    from . import layers as L

    params: list[np.ndarray] = []
    layers, out_shape = _build(L, items, g.input_shape, params, g)
    if g.output_shape is not None and tuple(g.output_shape) != tuple(out_shape):
        raise ShapeError(f"the imported network computes a per-sample output of shape {tuple(out_shape)}, but "
                         f"the graph output {g.output!r} declares {tuple(g.output_shape)}")
    if not layers:
        raise InputError("the ONNX graph computes the identity: there is no layer to import")
    shape = g.input_shape
    net = _graph.Sequential(*layers, input_shape=shape[0] if len(shape) == 1 else tuple(shape))
    blocks = list(net.layout.blocks)
    if len(blocks) != len(params) or any(tuple(b.shape) != p.shape for b, p in zip(blocks, params, strict=False)):
        raise InternalError(  # pragma: no cover - an internal invariant
            f"the imported weights {[p.shape for p in params]} do not match the net's parameter layout "
            f"{[(b.name, b.shape) for b in blocks]}")
    theta = net.flatten({b.name: p for b, p in zip(blocks, params, strict=True)})
    if theta.dtype != object:  # no parameters at all: an empty float vector
        theta = np.empty(0, dtype=object)
    return net, theta


def _pair(t):
    return t[0] if len(t) == 1 else tuple(t)


def _build(L, items: list[_Item], shape: tuple, params: list, g: _Graph):
    """Layers for ``items`` applied to per-sample ``shape``; appends the exact weights to ``params`` in
    layer order; returns (layers, output shape). Every shape is checked here."""
    layers = []
    shape = tuple(shape)
    for it in items:
        d, where = it.data, it.where
        if it.kind == "act":
            layers.append(L.Act(d["act"]))
        elif it.kind == "dense":
            W = d["W"]
            if d["gemm"] and len(shape) != 1:
                raise ShapeError(f"{where}: Gemm needs a 2-D input (batch, features); the signal here has "
                                 f"per-sample shape {shape} — flatten first")
            if shape[-1] != W.shape[1]:
                raise ShapeError(f"{where}: the weight expects {W.shape[1]} input features, the signal has "
                                 f"{shape[-1]} (per-sample shape {shape})")
            layers.append(L.Dense(int(W.shape[0]), bias=d["b"] is not None))
            params.append(_exact(W, d.get("alpha", Fraction(1))))
            if d["b"] is not None:
                params.append(_exact(d["b"], d.get("beta", Fraction(1))))
            shape = shape[:-1] + (int(W.shape[0]),)
        elif it.kind == "conv":
            W, nd = d["W"], d["nd"]
            if len(shape) != nd + 1:
                axes = "L" if nd == 1 else "H, W"
                raise ShapeError(f"{where}: a {nd}-D convolution needs per-sample input (C, {axes}), got {shape}")
            if shape[0] != W.shape[1]:
                raise ShapeError(f"{where}: the weight expects {W.shape[1]} input channels, the signal has {shape[0]}")
            ks, st = tuple(int(k) for k in W.shape[2:]), d["strides"]
            pads = list(d["pads"])
            if d["auto"] == "VALID":
                pads = [0] * nd
            elif d["auto"] in ("SAME_UPPER", "SAME_LOWER"):
                for a in range(nd):
                    n = shape[1 + a]
                    total = max((-(-n // st[a]) - 1) * st[a] + ks[a] - n, 0)
                    if total % 2:
                        raise InputError(f"{where}: auto_pad {d['auto']} pads {total} (odd) on axis {a}: asymmetric "
                                         "padding is not supported")
                    pads[a] = total // 2
            spatial = []
            for a in range(nd):
                n = shape[1 + a] + 2 * pads[a] - ks[a]
                if n < 0:
                    raise ShapeError(f"{where}: the kernel {ks} is larger than the (padded) input {shape}")
                spatial.append(n // st[a] + 1)
            cls = L.Conv1d if nd == 1 else L.Conv2d
            layers.append(cls(int(W.shape[1]), int(W.shape[0]), _pair(ks), stride=_pair(st), padding=_pair(pads),
                              bias=d["b"] is not None))
            params.append(_exact(W))
            if d["b"] is not None:
                params.append(_exact(d["b"]))
            shape = (int(W.shape[0]), *spatial)
        elif it.kind in ("pool", "gpool"):
            if it.kind == "gpool":
                if len(shape) not in (2, 3):
                    raise ShapeError(f"{where}: GlobalAveragePool is imported for per-sample shapes (C, L) and "
                                     f"(C, H, W), got {shape}")
                nd, kind = len(shape) - 1, "avg"
                ks, st, ceil = shape[1:], shape[1:], 0
            else:
                nd, kind, ks, st, ceil = d["nd"], d["kind"], d["kernel"], d["strides"], d["ceil"]
            if len(shape) != nd + 1:
                raise ShapeError(f"{where}: {nd}-D pooling needs per-sample input (C, {'L' if nd == 1 else 'H, W'}), "
                                 f"got {shape}")
            spatial = []
            for a in range(nd):
                n = shape[1 + a] - ks[a]
                if n < 0:
                    raise ShapeError(f"{where}: the pooling window {ks} is larger than the input {shape}")
                if ceil and n % st[a]:
                    raise InputError(f"{where}: ceil_mode = 1 adds a partial window here; only floor mode is "
                                     "supported")
                spatial.append(n // st[a] + 1)
            cls = {("max", 1): L.MaxPool1d, ("max", 2): L.MaxPool2d,
                   ("avg", 1): L.AvgPool1d, ("avg", 2): L.AvgPool2d}[(kind, nd)]
            layers.append(cls(_pair(ks), stride=_pair(st)))
            shape = (shape[0], *spatial)
        elif it.kind == "flatten":
            axis = d["axis"] + len(shape) + 1 if d["axis"] < 0 else d["axis"]
            if axis != 1:
                raise InputError(f"{where}: Flatten is imported with axis = 1 (keep the batch axis), got "
                                 f"axis = {d['axis']}")
            if len(shape) > 1:
                layers.append(L.Flatten())
                shape = (math.prod(shape),)
        elif it.kind == "reshape":
            D = math.prod(shape)
            t, az = d["target"], d["allowzero"]
            batch = t[0] if t else None
            ok = len(t) == 2 and (batch == -1 and t[1] == D or batch == 0 and not az and t[1] in (D, -1))
            if not ok:
                raise InputError(f"{where}: Reshape is imported only as a flattening to (batch, {D}) — target "
                                 f"[0, -1], [0, {D}] (with allowzero = 0) or [-1, {D}]; got {t}"
                                 f"{' with allowzero = 1' if az else ''} for per-sample shape {shape}")
            if len(shape) > 1:
                layers.append(L.Flatten())
                shape = (D,)
        elif it.kind == "residual":
            block_layers, bshape = _build(L, d["block"], shape, params, g)
            if tuple(bshape) != tuple(shape):
                raise ShapeError(f"{where}: the skip connection adds shapes {shape} and {bshape}")
            if not block_layers:
                raise InputError(f"{where}: the skip connection adds x to itself through identities (2x)")
            layers.append(L.Residual(block_layers))
        elif it.kind == "attention":
            layers.append(_attention_layer(L, d, where, shape, params))
        else:  # pragma: no cover
            raise InternalError(f"unknown import item {it.kind}")
    return layers, shape


def _attention_layer(L, d: dict, where: str, shape: tuple, params: list):
    Q, K, V, O = d["Q"], d["K"], d["V"], d["O"]
    if len(shape) != 2:
        raise ShapeError(f"{where}: self-attention needs per-sample input (T, d_model), got {shape}")
    dm = shape[1]
    dk = Q.shape[0]
    if not (Q.shape == K.shape == (dk, dm) and V.shape == (dk, dm) and O.shape == (dm, dk)):
        raise ShapeError(f"{where}: projection shapes W_Q {Q.T.shape}, W_K {K.T.shape}, W_V {V.T.shape}, W_O "
                         f"{O.T.shape} do not fit one head of a self-attention on (T, {dm}) returning (T, {dm})")
    if d["axis"] not in (-1, 2):
        raise InputError(f"{d['softmax']}: the attention softmax must run over the last axis, got axis = {d['axis']}")
    if d["perm"] is None or list(d["perm"]) != [0, 2, 1]:
        raise InputError(f"{where}: the Transpose of K must swap the last two axes (perm [0, 2, 1]), got "
                         f"{d['perm']}")
    s = d["scale"]
    if s <= 0:
        raise InputError(f"{where}: the attention scale must be positive (1/sqrt(d_k)), got {s}")
    # exact decision: s = 1/sqrt(d_k) ⇔ s²·d_k = 1; within float rounding ⇔ (1−ε)² ≤ s²·d_k ≤ (1+ε)²
    r = s * s * dk
    if not (1 - _SCALE_TOL) ** 2 <= r <= (1 + _SCALE_TOL) ** 2:
        raise InputError(f"{where}: the attention scale {float(s)!r} is not 1/sqrt(d_k) = {1 / math.sqrt(dk)!r} "
                         f"(d_k = {dk}) up to float rounding; the SelfAttention layer uses exactly 1/sqrt(d_k)")
    biases = d["biases"]
    layer = L.SelfAttention(dm, heads=1, d_k=dk, bias=biases is not None)
    params.extend(_exact(w) for w in (Q, K, V, O))
    if biases is not None:
        params.extend(_exact(b) for b in biases)
    return layer
