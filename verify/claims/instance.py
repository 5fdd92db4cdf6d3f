"""A concrete, exactly serialisable problem instance: a network, a dataset, parameters θ and optional
scalars (step size η, radius r, …), all in exact rationals.

Instances are what the hypothesis strategies generate, what a claim's property is evaluated on, and
what a counterexample file stores. The JSON form keeps every number as a ``"p/q"`` string and is
validated on load (shapes, numbers, activation names, layer fields, size limits); nothing in a file is
ever evaluated as code.

Two forms (both read; old files keep working):

* schema :data:`INSTANCE_SCHEMA` (1) — an MLP: ``widths``, ``activations``, ``bias``, square loss;
* schema :data:`GRAPH_INSTANCE_SCHEMA` (2) — a layer graph (any ``vf.nn.Sequential``): ``input_shape``
  and ``layers``, a list of layer objects with a strict schema, e.g.
  ``{"type": "conv1d", "in_channels": 1, "out_channels": 2, "kernel": 2, "stride": 1, "padding": 0,
  "bias": false}``, ``{"type": "act", "activation": "relu"}``, ``{"type": "maxpool1d", "kernel": 2,
  "stride": null}``, ``{"type": "flatten"}``, ``{"type": "dense", "out": 1, "bias": true}``,
  ``{"type": "residual", "block": [...]}``, ``{"type": "attention", "d_model": 2, "heads": 1, "d_k": null,
  "bias": false}``; and ``loss``: ``"square"`` (with ``normalization``), ``"cross_entropy"`` (y: one
  class label per row) or ``"logistic"`` (y: ±1). X rows are the inputs flattened row-major.

An MLP instance with the square loss is written in schema 1 (readable by older versions of the
toolkit); everything else in schema 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import sympy as sp

from ..errors import InputError, SchemaError
from ..numbers import fraction_str, parse_fraction_str

INSTANCE_SCHEMA = 1
#: the schema of layer-graph instances (``layers`` + ``input_shape``)
GRAPH_INSTANCE_SCHEMA = 2
LOSSES = ("square", "cross_entropy", "logistic")
#: the largest exponent of ``power(p)``/``relu_power(p)`` an instance file may name
MAX_POWER = 64
_ACT = re.compile(r"([a-z_]+)(?:\(([-0-9/]+)\))?\Z")


def activation_spec(name: str):
    """'relu' → 'relu'; 'leaky_relu(1/10)' → ('leaky_relu', '1/10'); validated, never evaluated."""
    from ..models import activations

    m = _ACT.match(name) if isinstance(name, str) and len(name) <= 64 else None
    if not m and isinstance(name, str) and len(name) <= 64:
        # the other spellings activations.get accepts ("leaky_relu(0.1)", spaces): their canonical printed form
        try:
            m = _ACT.match(activations.canonical_name(name))
        except InputError:
            m = None
    if not m:
        raise SchemaError(f"invalid activation name {name!r}")
    base, arg = m.group(1), m.group(2)
    if arg is None:
        activations.get(base)  # raises UnknownActivationError for an unknown name
        return base
    spec = (base, arg)
    try:
        activations.get(spec)
    except InputError as exc:
        raise SchemaError(f"invalid activation {name!r}: {exc}") from None
    if base in ("power", "relu_power"):
        q = parse_fraction_str(arg, what=f"{base} parameter")
        if abs(q) > MAX_POWER:
            raise SchemaError(f"{name!r}: the exponent is limited to {MAX_POWER} in instance files")
    return spec


@dataclass(frozen=True)
class Instance:
    """Network ``widths``/``activations``/``bias`` (an MLP), data ``X`` (n × d) and ``y`` (n × k),
    parameters ``theta`` and named scalars ``scalars`` (e.g. ``{"eta": 1/10}``), all exact rationals.

    A layer-graph instance (any ``vf.nn.Sequential``) has ``layers`` (a tuple of layer specs, see the
    module docstring and :func:`network_spec`) and ``input_shape`` instead; ``widths``/``activations`` are
    then empty. ``loss_kind``: ``"square"`` (default), ``"cross_entropy"`` or ``"logistic"``. Build one
    with :meth:`from_network`."""

    widths: tuple
    activations: tuple
    bias: bool
    X: tuple
    y: tuple
    theta: tuple
    normalization: str = "mean"
    scalars: dict = field(default_factory=dict)
    layers: tuple | None = None
    input_shape: tuple | None = None
    loss_kind: str = "square"

    @classmethod
    def from_network(cls, net, X, y, theta, *, loss: str = "square", normalization: str = "mean",
                     scalars=None) -> Instance:
        """An instance of any network (``vf.MLP`` or ``vf.nn.Sequential`` of catalogue layers): its layer
        spec (:func:`network_spec`), the data (X: (n, d) or ``(n, *input_shape)``; y: (n, k), or class labels for
        cross-entropy) and θ, all taken exactly."""
        from ..models import Dataset
        from ..numbers import fraction_array, input_fraction

        layers, input_shape = network_spec(net)
        data = Dataset(X, y)
        th = fraction_array(theta, what="θ").reshape(-1)
        if len(th) != net.n_params:
            raise SchemaError(f"θ has {len(th)} entries but the network has {net.n_params} parameters")
        if scalars is not None and not isinstance(scalars, dict):
            raise InputError("scalars must be a dict of name → number")
        sc = {k: input_fraction(v, what=f"scalar {k}") for k, v in (scalars or {}).items()}
        inst = cls((), (), False, tuple(map(tuple, data.X_exact)), tuple(map(tuple, data.Y_exact)), tuple(th),
                   normalization, sc, layers, input_shape, loss)
        inst.loss()  # validates shapes, labels and the loss name now
        return inst

    @property
    def is_graph(self) -> bool:
        """True for a layer-graph instance (``layers`` set), False for an MLP instance (``widths``)."""
        return self.layers is not None

    # -- model objects ---------------------------------------------------------------------------
    def net(self):
        """The network of the instance, built afresh: a :class:`~verify.models.MLP` or a
        :class:`~verify.models.nn.Sequential`."""
        if self.is_graph:
            return build_network(self.layers, self.input_shape)
        from ..models import MLP

        acts = [activation_spec(a) for a in self.activations]
        return MLP(list(self.widths), acts if len(acts) > 1 else acts[0], bias=self.bias)

    def loss(self):
        """The objective L(θ) of the instance: :class:`~verify.models.SquareLoss` (with ``normalization``),
        :class:`~verify.models.CrossEntropyLoss` or :class:`~verify.models.LogisticLoss` of :meth:`net` on the data
        ``X``, ``y``."""
        from ..models import CrossEntropyLoss, Dataset, LogisticLoss, SquareLoss

        y = [list(r) for r in self.y]
        X = [list(r) for r in self.X]
        if self.loss_kind == "square":
            return SquareLoss(self.net(), Dataset(X, y), normalization=self.normalization)
        if self.loss_kind == "cross_entropy":
            return CrossEntropyLoss(self.net(), Dataset(X, [r[0] for r in y] if y and len(y[0]) == 1 else y))
        if self.loss_kind == "logistic":
            return LogisticLoss(self.net(), Dataset(X, y))
        raise SchemaError(f"loss must be one of {list(LOSSES)}, got {self.loss_kind!r:.60}")

    def theta_array(self) -> np.ndarray:
        """θ as an object array of exact :class:`~fractions.Fraction` (pass it to any arithmetic)."""
        return np.array(self.theta, dtype=object)

    def scalar(self, name: str) -> Fraction:
        """The named scalar (``"eta"`` …) as an exact :class:`~fractions.Fraction`;
        :class:`~verify.errors.SchemaError` naming the scalars present if it is missing."""
        if name not in self.scalars:
            has = ", ".join(sorted(self.scalars)) or "none"
            raise SchemaError(f"the instance has no scalar {name!r} (it has: {has}); add it to the instance's "
                              f"\"scalars\", e.g. \"{name}\": \"1/2\"")
        return self.scalars[name]

    @property
    def size(self) -> tuple:
        """A size key for reports: (parameters, data points)."""
        return len(self.theta), len(self.X)

    # -- exports -------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The instance as JSON-ready data, numbers as exact ``"p/q"`` strings: the MLP schema for a square-loss MLP,
        the layer-graph schema otherwise; :meth:`from_dict` reads both back."""
        q = fraction_str
        data = {"X": [[q(v) for v in row] for row in self.X], "y": [[q(v) for v in row] for row in self.y],
                "theta": [q(v) for v in self.theta], "scalars": {k: q(v) for k, v in self.scalars.items()}}
        if not self.is_graph and self.loss_kind == "square":
            return {"schema": INSTANCE_SCHEMA, "widths": list(self.widths), "activations": list(self.activations),
                    "bias": self.bias, "normalization": self.normalization, **data}
        layers, input_shape = (self.layers, self.input_shape) if self.is_graph else network_spec(self.net())
        return {"schema": GRAPH_INSTANCE_SCHEMA, "input_shape": list(input_shape),
                "layers": [_jsonable(s) for s in layers], "loss": self.loss_kind,
                "normalization": self.normalization, **data}

    @classmethod
    def from_dict(cls, d) -> Instance:
        """Validate and load (see :func:`instance_from_dict`)."""
        return instance_from_dict(d)

    def to_sympy(self) -> dict:
        """{'loss': L(θ) as a sympy expression, 'theta': {symbol: Rational}, 'scalars': {...}}."""
        loss = self.loss()
        vals = {s: sp.Rational(v.numerator, v.denominator) for s, v in zip(loss.symbols, self.theta)}
        return {"loss": loss.symbolic(), "theta": vals,
                "scalars": {k: sp.Rational(v.numerator, v.denominator) for k, v in self.scalars.items()}}

    def to_latex(self) -> str:
        """LaTeX of the architecture, data, θ and scalars (the loss formula for small instances)."""
        s = self.to_sympy()
        if self.is_graph:
            arch = rf"\text{{{_latex_text(repr(self.net()))}, loss: {self.loss_kind.replace('_', ' ')}}}"
        else:
            acts = ", ".join(self.activations)
            arch = rf"\text{{MLP }}{list(self.widths)}\ (\sigma = \text{{{acts}}}{', bias' if self.bias else ''})"
        lines = [arch,
                 r"X = " + sp.latex(sp.Matrix([[sp.Rational(v.numerator, v.denominator) for v in r] for r in self.X])),
                 r"y = " + sp.latex(sp.Matrix([[sp.Rational(v.numerator, v.denominator) for v in r] for r in self.y])),
                 r"\theta = (" + ", ".join(sp.latex(v) for v in s["theta"].values()) + ")"]
        lines += [rf"\{k} = {sp.latex(v)}" if k in ("eta", "lambda") else rf"{k} = {sp.latex(v)}"
                  for k, v in s["scalars"].items()]
        if len(self.theta) <= 12 and len(self.X) <= 4:
            lines.append("L(\\theta) = " + sp.latex(s["loss"]))
        return " \\\\\n".join(lines)


def _latex_text(s: str) -> str:
    return s.replace("_", r"\_").replace("{", r"\{").replace("}", r"\}")


#: limits on what an instance file may describe (a counterexample is small; this keeps a tampered file
#: from allocating a huge network or evaluating for hours)
MAX_LAYERS = 64
MAX_WIDTH = 100_000
MAX_PARAMS = 1_000_000
MAX_DATA_POINTS = 100_000
MAX_SCALARS = 64
_FIELDS = {"schema", "widths", "activations", "bias", "normalization", "X", "y", "theta", "scalars"}
_REQUIRED = ("widths", "activations", "X", "y", "theta")
_NORMALIZATIONS = ("mean", "half_mean", "sum", "half_sum")


def _fr(v, what) -> Fraction:
    """An exact rational from its file form: a string "p/q" or a (bare) JSON integer; nothing evaluated."""
    from ..result import parse_rational

    if isinstance(v, bool) or not isinstance(v, str | int):
        raise SchemaError(f"{what} must be a rational written as a string \"p/q\" (or an integer), got {v!r:.60}")
    if isinstance(v, int):
        return Fraction(v)
    try:
        return parse_rational(v, what)
    except SchemaError as exc:
        raise SchemaError(f"{exc} (an exact rational is written \"p/q\")") from None


def _list(v, what, *, max_len=None) -> list:
    if not isinstance(v, list):
        raise SchemaError(f"{what} must be a JSON array, got {type(v).__name__}: {v!r:.60}")
    if max_len is not None and len(v) > max_len:
        raise SchemaError(f"{what} has {len(v)} entries, more than the limit of {max_len}")
    return v


def _scalars(scalars) -> dict:
    if not isinstance(scalars, dict):
        raise SchemaError("scalars must be an object of name → \"p/q\"")
    if len(scalars) > MAX_SCALARS:
        raise SchemaError(f"more than {MAX_SCALARS} scalars")
    for k in scalars:
        if not isinstance(k, str) or not k.isidentifier():
            raise SchemaError(f"a scalar name must be an identifier such as eta, got {k!r:.60}")
    return {k: _fr(v, f"scalar {k}") for k, v in scalars.items()}


def _n_params(widths, bias) -> int:
    return sum(a * b + (b if bias else 0) for a, b in zip(widths[:-1], widths[1:]))


def instance_from_dict(d) -> Instance:
    """Build an :class:`Instance` from its JSON form (schema 1 or 2), checking every field, type, shape and
    size (:data:`MAX_LAYERS`, :data:`MAX_WIDTH`, :data:`MAX_PARAMS`, :data:`MAX_DATA_POINTS`, and for layer
    graphs :data:`MAX_INDEX_WORK`). Every failure is a :class:`SchemaError` naming the field."""
    if not isinstance(d, dict):
        raise SchemaError("an instance must be a JSON object")
    schema = d.get("schema")
    if type(schema) is int and schema == GRAPH_INSTANCE_SCHEMA:
        return _graph_instance_from_dict(d)
    if type(schema) is not int or schema != INSTANCE_SCHEMA:
        raise SchemaError(f"unsupported instance schema {schema!r:.40} (this toolkit reads {INSTANCE_SCHEMA}: an MLP, "
                          f"and {GRAPH_INSTANCE_SCHEMA}: a layer graph)")
    if set(d) - _FIELDS:
        raise SchemaError(f"unknown instance fields {sorted(set(d) - _FIELDS)}")
    missing = [k for k in _REQUIRED if k not in d]
    if missing:
        raise SchemaError(f"the instance lacks the fields {missing}")
    widths = _list(d["widths"], "widths", max_len=MAX_LAYERS + 1)
    if any(type(w) is not int for w in widths):
        raise SchemaError(f"widths must be integers, got {widths!r:.80}")
    if len(widths) < 2 or any(w < 1 for w in widths):
        raise SchemaError(f"widths must list ≥ 2 positive layer sizes, got {widths}")
    if max(widths) > MAX_WIDTH:
        raise SchemaError(f"a layer of width {max(widths)} exceeds the limit of {MAX_WIDTH}")
    bias = d.get("bias", False)
    if not isinstance(bias, bool):
        raise SchemaError("bias must be true or false")
    if _n_params(widths, bias) > MAX_PARAMS:
        raise SchemaError(f"the network has {_n_params(widths, bias)} parameters, more than the limit of {MAX_PARAMS}")
    acts = _list(d["activations"], "activations")
    if any(not isinstance(a, str) for a in acts):
        raise SchemaError(f"activations must be names (strings), got {acts!r:.80}")
    if len(acts) not in (1, len(widths) - 2) or not acts:
        raise SchemaError(f"give one activation or one per hidden layer ({len(widths) - 2}), got {len(acts)}")
    for a in acts:
        activation_spec(a)
    normalization = d.get("normalization", "mean")
    if normalization not in _NORMALIZATIONS:
        raise SchemaError(f"normalization must be one of {list(_NORMALIZATIONS)}, got {normalization!r:.60}")
    rows = _list(d["X"], "X", max_len=MAX_DATA_POINTS)
    X = [[_fr(v, "X entry") for v in _list(row, "a row of X", max_len=widths[0])] for row in rows]
    y = [[_fr(v, "y entry") for v in _list(row, "a row of y", max_len=widths[-1])]
         for row in _list(d["y"], "y", max_len=MAX_DATA_POINTS)]
    theta = [_fr(v, "θ entry") for v in _list(d["theta"], "theta", max_len=MAX_PARAMS)]
    scalars = _scalars(d.get("scalars", {}))
    if not X or any(len(r) != widths[0] for r in X):
        raise SchemaError(f"X must have rows of length d = {widths[0]}")
    if len(y) != len(X) or any(len(r) != widths[-1] for r in y):
        raise SchemaError(f"y must be {len(X)} rows of {widths[-1]} labels")
    p = _n_params(widths, bias)
    if len(theta) != p:
        raise SchemaError(f"θ has {len(theta)} entries but the network has {p} parameters")
    inst = Instance(tuple(widths), tuple(acts), bias, tuple(map(tuple, X)), tuple(map(tuple, y)), tuple(theta),
                    normalization, scalars)
    if inst.net().n_params != p:  # the formula above is the network's own count
        raise SchemaError(f"θ has {len(theta)} entries but the network has {inst.net().n_params} parameters")
    return inst


# ============================================================================ layer graphs (schema 2)
#: limits on a layer-graph spec: channels, kernel extent, stride, padding, attention heads, residual nesting
MAX_CHANNELS = 4096
MAX_KERNEL = 64
MAX_PADDING = 64
MAX_HEADS = 64
MAX_NESTING = 8
#: the largest total number of index entries the layers may build (im2col windows, pooling windows,
#: attention scores): a bound on the work of constructing and evaluating the network once
MAX_INDEX_WORK = 5_000_000
_GRAPH_FIELDS = {"schema", "input_shape", "layers", "loss", "normalization", "X", "y", "theta", "scalars"}
_GRAPH_REQUIRED = ("input_shape", "layers", "X", "y", "theta")
#: per layer type: (required fields, optional fields with their defaults)
_LAYER_FIELDS = {
    "dense": (("out",), {"bias": True}),
    "conv1d": (("in_channels", "out_channels", "kernel"), {"stride": 1, "padding": 0, "bias": True}),
    "conv2d": (("in_channels", "out_channels", "kernel"), {"stride": 1, "padding": 0, "bias": True}),
    "maxpool1d": (("kernel",), {"stride": None}),
    "maxpool2d": (("kernel",), {"stride": None}),
    "avgpool1d": (("kernel",), {"stride": None}),
    "avgpool2d": (("kernel",), {"stride": None}),
    "flatten": ((), {}),
    "act": (("activation",), {}),
    "residual": (("block",), {}),
    "attention": (("d_model",), {"heads": 1, "d_k": None, "bias": False}),
}


def _int(v, what, lo=1, hi=MAX_WIDTH) -> int:
    if type(v) is not int or not lo <= v <= hi:
        raise SchemaError(f"{what} must be an integer in [{lo}, {hi}], got {v!r:.60}")
    return v


def _ints(v, nd, what, lo, hi):
    """An int or (for nd = 2) a list of 2 ints, as a tuple of nd ints."""
    if isinstance(v, list | tuple):
        if len(v) != nd:
            raise SchemaError(f"{what} must be an integer or a list of {nd} integers, got {v!r:.60}")
        return tuple(_int(x, what, lo, hi) for x in v)
    return (_int(v, what, lo, hi),) * nd


def _bool(v, what) -> bool:
    if not isinstance(v, bool):
        raise SchemaError(f"{what} must be true or false, got {v!r:.60}")
    return v


def _layer_spec(d, what: str, depth: int) -> dict:
    """Validate one layer object and return it normalised (every optional field present; tuples for
    kernel/stride/padding; nested residual blocks normalised)."""
    if not isinstance(d, dict):
        raise SchemaError(f"{what} must be a JSON object with a \"type\", got {type(d).__name__}")
    kind = d.get("type")
    if not isinstance(kind, str) or kind not in _LAYER_FIELDS:
        raise SchemaError(f"{what}: unknown layer type {kind!r:.40}; the types are {sorted(_LAYER_FIELDS)}")
    required, optional = _LAYER_FIELDS[kind]
    extra = set(d) - {"type", *required, *optional}
    if extra:
        raise SchemaError(f"{what} ({kind}): unknown fields {sorted(map(str, extra))[:5]}; a {kind} layer has "
                          f"{list(required) + list(optional)}")
    missing = [k for k in required if k not in d]
    if missing:
        raise SchemaError(f"{what} ({kind}) lacks the fields {missing}")
    v = {**optional, **{k: d[k] for k in d if k != "type"}}
    out = {"type": kind}
    w = f"{what} ({kind})"
    if kind == "dense":
        out.update(out=_int(v["out"], f"{w} out"), bias=_bool(v["bias"], f"{w} bias"))
    elif kind in ("conv1d", "conv2d"):
        nd = 1 if kind == "conv1d" else 2
        out.update(in_channels=_int(v["in_channels"], f"{w} in_channels", 1, MAX_CHANNELS),
                   out_channels=_int(v["out_channels"], f"{w} out_channels", 1, MAX_CHANNELS),
                   kernel=_ints(v["kernel"], nd, f"{w} kernel", 1, MAX_KERNEL),
                   stride=_ints(v["stride"], nd, f"{w} stride", 1, MAX_KERNEL),
                   padding=_ints(v["padding"], nd, f"{w} padding", 0, MAX_PADDING),
                   bias=_bool(v["bias"], f"{w} bias"))
    elif kind.endswith(("pool1d", "pool2d")):
        nd = 1 if kind.endswith("1d") else 2
        out.update(kernel=_ints(v["kernel"], nd, f"{w} kernel", 1, MAX_KERNEL),
                   stride=None if v["stride"] is None else _ints(v["stride"], nd, f"{w} stride", 1, MAX_KERNEL))
    elif kind == "act":
        if not isinstance(v["activation"], str):
            raise SchemaError(f"{w} activation must be a catalogue name such as \"relu\", got {v['activation']!r:.60}")
        activation_spec(v["activation"])
        out.update(activation=v["activation"])
    elif kind == "residual":
        if depth >= MAX_NESTING:
            raise SchemaError(f"{w}: residual blocks nested deeper than {MAX_NESTING}")
        block = _list(list(v["block"]) if isinstance(v["block"], tuple) else v["block"], f"{w} block",
                      max_len=MAX_LAYERS)
        if not block:
            raise SchemaError(f"{w} block must list at least one layer")
        out.update(block=tuple(_layer_spec(b, f"{what}.block[{j}]", depth + 1) for j, b in enumerate(block)))
    elif kind == "attention":
        out.update(d_model=_int(v["d_model"], f"{w} d_model", 1, MAX_CHANNELS),
                   heads=_int(v["heads"], f"{w} heads", 1, MAX_HEADS),
                   d_k=None if v["d_k"] is None else _int(v["d_k"], f"{w} d_k", 1, MAX_CHANNELS),
                   bias=_bool(v["bias"], f"{w} bias"))
    return out


def _count_layers(specs) -> int:
    return sum(1 + (_count_layers(s["block"]) if s["type"] == "residual" else 0) for s in specs)


def _work(specs, shape, what="layers") -> tuple:
    """(output shape, index work) of normalised specs on an input ``shape``, by the output-size formulas of
    torch/ONNX (floor mode). Only a size limit: the network itself re-checks every shape when it is built."""
    work = 0
    for j, s in enumerate(specs):
        kind = s["type"]
        if kind in ("conv1d", "conv2d"):
            nd = 1 if kind == "conv1d" else 2
            if len(shape) != nd + 1:
                raise SchemaError(f"{what}[{j}] ({kind}) needs an input of {nd + 1} axes, got shape {shape}")
            spatial = [(n + 2 * p - k) // st + 1 for n, k, st, p in
                       zip(shape[1:], s["kernel"], s["stride"], s["padding"])]
            if min(spatial) < 1:
                raise SchemaError(f"{what}[{j}] ({kind}): the kernel does not fit the input {shape}")
            work += int(np.prod(spatial)) * shape[0] * int(np.prod(s["kernel"])) * max(1, s["out_channels"])
            shape = (s["out_channels"], *spatial)
        elif kind.endswith(("pool1d", "pool2d")):
            nd = 1 if kind.endswith("1d") else 2
            if len(shape) != nd + 1:
                raise SchemaError(f"{what}[{j}] ({kind}) needs an input of {nd + 1} axes, got shape {shape}")
            st = s["stride"] or s["kernel"]
            spatial = [(n - k) // t + 1 for n, k, t in zip(shape[1:], s["kernel"], st)]
            if min(spatial) < 1:
                raise SchemaError(f"{what}[{j}] ({kind}): the window does not fit the input {shape}")
            work += shape[0] * int(np.prod(spatial)) * int(np.prod(s["kernel"]))
            shape = (shape[0], *spatial)
        elif kind == "flatten":
            shape = (int(np.prod(shape)),)
        elif kind == "dense":
            work += int(np.prod(shape)) * s["out"]
            shape = (*shape[:-1], s["out"])
        elif kind == "residual":
            inner, w = _work(s["block"], shape, f"{what}[{j}].block")
            work += w
        elif kind == "attention":
            T = shape[0] if shape else 1
            hd = s["heads"] * (s["d_k"] or max(1, s["d_model"] // s["heads"]))
            work += T * s["d_model"] * hd * 4 + s["heads"] * T * T * hd
        if int(np.prod(shape)) > MAX_WIDTH:
            raise SchemaError(f"{what}[{j}] ({kind}) produces {int(np.prod(shape))} values per data point, more "
                              f"than the limit of {MAX_WIDTH}")
        if work > MAX_INDEX_WORK:
            raise SchemaError(f"the layers up to {what}[{j}] ({kind}) need about {work} index entries per data point, "
                              f"more than the limit of {MAX_INDEX_WORK}")
    return shape, work


def layers_from_dicts(layers, input_shape) -> tuple:
    """Validate a ``layers`` list and an ``input_shape`` from a file (or written by hand): returns the
    normalised (layers, input_shape); every failure is a :class:`SchemaError`."""
    shape = _list(input_shape, "input_shape", max_len=4) if not isinstance(input_shape, tuple) else list(input_shape)
    if not shape:
        raise SchemaError("input_shape must list 1 to 4 positive sizes")
    shape = tuple(_int(s, "an input_shape entry") for s in shape)
    if int(np.prod(shape)) > MAX_WIDTH:
        raise SchemaError(f"input_shape {shape} has more than {MAX_WIDTH} entries")
    specs = _list(list(layers) if isinstance(layers, tuple) else layers, "layers", max_len=MAX_LAYERS)
    if not specs:
        raise SchemaError("layers must list at least one layer")
    specs = tuple(_layer_spec(s, f"layers[{j}]", 0) for j, s in enumerate(specs))
    if _count_layers(specs) > MAX_LAYERS:
        raise SchemaError(f"more than {MAX_LAYERS} layers (nested ones included)")
    _work(specs, shape)
    return specs, shape


def _build_layer(s):
    from ..models import nn

    kind = s["type"]
    if kind == "dense":
        return nn.Dense(s["out"], bias=s["bias"])
    if kind in ("conv1d", "conv2d"):
        cls = nn.Conv1d if kind == "conv1d" else nn.Conv2d
        return cls(s["in_channels"], s["out_channels"], list(s["kernel"]), stride=list(s["stride"]),
                   padding=list(s["padding"]), bias=s["bias"])
    if kind.endswith(("pool1d", "pool2d")):
        cls = {"maxpool1d": nn.MaxPool1d, "maxpool2d": nn.MaxPool2d, "avgpool1d": nn.AvgPool1d,
               "avgpool2d": nn.AvgPool2d}[kind]
        return cls(list(s["kernel"]), stride=None if s["stride"] is None else list(s["stride"]))
    if kind == "flatten":
        return nn.Flatten()
    if kind == "act":
        return nn.Act(activation_spec(s["activation"]))
    if kind == "residual":
        return nn.Residual([_build_layer(b) for b in s["block"]])
    return nn.SelfAttention(s["d_model"], heads=s["heads"], d_k=s["d_k"], bias=s["bias"])


def build_network(layers, input_shape):
    """The ``vf.nn.Sequential`` of a layer-graph spec (validated with :func:`layers_from_dicts` first; an
    inconsistent spec — channels that do not match, a kernel larger than its input — is a SchemaError)."""
    from ..errors import InputError as _InputError
    from ..models import nn

    specs, shape = layers_from_dicts(layers, input_shape)
    try:
        net = nn.Sequential(*[_build_layer(s) for s in specs], input_shape=shape)
    except _InputError as exc:  # ShapeError included
        raise SchemaError(f"the layers do not form a network on inputs of shape {shape}: {exc}") from None
    if net.n_params > MAX_PARAMS:
        raise SchemaError(f"the network has {net.n_params} parameters, more than the limit of {MAX_PARAMS}")
    return net


def _layer_to_spec(layer) -> dict:
    from ..models import activations, nn

    def one(t):
        return t[0] if len(set(t)) == 1 else list(t)

    if isinstance(layer, nn.Dense):
        return {"type": "dense", "out": layer.out, "bias": layer.bias}
    if isinstance(layer, nn.Conv1d | nn.Conv2d):
        return {"type": "conv1d" if isinstance(layer, nn.Conv1d) else "conv2d", "in_channels": layer.cin,
                "out_channels": layer.cout, "kernel": one(layer.kernel), "stride": one(layer.stride),
                "padding": one(layer.padding), "bias": layer.bias}
    if isinstance(layer, nn.MaxPool1d | nn.MaxPool2d | nn.AvgPool1d | nn.AvgPool2d):
        return {"type": type(layer).__name__.lower(), "kernel": one(layer.kernel),
                "stride": None if layer.stride == layer.kernel else one(layer.stride)}
    if isinstance(layer, nn.Flatten):
        return {"type": "flatten"}
    if isinstance(layer, nn.Act):
        name = layer.sigma.name
        try:
            same = activations.get(activation_spec(name)) is layer.sigma
        except InputError:  # SchemaError, UnknownActivationError: a user-defined activation
            same = False
        if not same:
            raise SchemaError(f"the activation {name!r} is not a catalogue activation: an instance file can only "
                              "name catalogue activations (relu, leaky_relu(1/10), relu_power(3/2), tanh, …)")
        return {"type": "act", "activation": name}
    if isinstance(layer, nn.Residual):
        return {"type": "residual", "block": [_layer_to_spec(b) for b in layer.block]}
    if isinstance(layer, nn.SelfAttention):
        return {"type": "attention", "d_model": layer.d_model, "heads": layer.heads, "d_k": layer.d_k,
                "bias": layer.bias}
    raise SchemaError(f"{type(layer).__name__} layers cannot be written to an instance file")


def network_spec(net) -> tuple:
    """(layers, input_shape) of a ``vf.MLP`` or ``vf.nn.Sequential``: the normalised layer spec that
    :func:`build_network` turns back into the same network (same θ order)."""
    from ..models.nn.graph import Sequential

    if not isinstance(net, Sequential):
        raise InputError(f"expected a verify.MLP or a verify.nn.Sequential, got {type(net).__name__}")
    return layers_from_dicts([_layer_to_spec(layer) for layer in net.layers], list(net.input_shape))


def _jsonable(s):
    """A normalised layer spec as JSON values (lists for tuples; an n-dimensional pair written as an int
    when both entries agree)."""
    out = {}
    for k, v in s.items():
        if k == "block":
            out[k] = [_jsonable(b) for b in v]
        elif isinstance(v, tuple):
            out[k] = v[0] if len(set(v)) == 1 else list(v)
        else:
            out[k] = v
    return out


def _graph_instance_from_dict(d) -> Instance:
    if set(d) - _GRAPH_FIELDS:
        raise SchemaError(f"unknown fields {sorted(map(str, set(d) - _GRAPH_FIELDS))[:8]} in a schema-2 instance "
                          f"(a layer graph has {sorted(_GRAPH_FIELDS)})")
    missing = [k for k in _GRAPH_REQUIRED if k not in d]
    if missing:
        raise SchemaError(f"the schema-2 instance lacks the fields {missing}")
    layers, shape = layers_from_dicts(d["layers"], d["input_shape"])
    loss = d.get("loss", "square")
    if loss not in LOSSES:
        raise SchemaError(f"loss must be one of {list(LOSSES)}, got {loss!r:.60}")
    normalization = d.get("normalization", "mean")
    if normalization not in _NORMALIZATIONS:
        raise SchemaError(f"normalization must be one of {list(_NORMALIZATIONS)}, got {normalization!r:.60}")
    net = build_network(layers, shape)
    din, k = net.input_dim, (1 if loss != "square" else net.output_dim)
    rows = _list(d["X"], "X", max_len=MAX_DATA_POINTS)
    X = [[_fr(v, "X entry") for v in _list(row, "a row of X", max_len=din)] for row in rows]
    y = [[_fr(v, "y entry") for v in _list(row, "a row of y", max_len=k)]
         for row in _list(d["y"], "y", max_len=MAX_DATA_POINTS)]
    theta = [_fr(v, "θ entry") for v in _list(d["theta"], "theta", max_len=MAX_PARAMS)]
    scalars = _scalars(d.get("scalars", {}))
    if not X or any(len(r) != din for r in X):
        raise SchemaError(f"X must have rows of length d = {din} (each input of shape {shape} flattened)")
    if len(y) != len(X) or any(len(r) != k for r in y):
        raise SchemaError(f"y must be {len(X)} rows of {k} " + ("labels" if loss == "square" else "class labels"))
    if len(theta) != net.n_params:
        raise SchemaError(f"θ has {len(theta)} entries but the network has {net.n_params} parameters")
    inst = Instance((), (), False, tuple(map(tuple, X)), tuple(map(tuple, y)), tuple(theta), normalization, scalars,
                    layers, shape, loss)
    try:
        inst.loss()  # labels of the loss (class indices in [0, k), ±1)
    except SchemaError:
        raise
    except InputError as exc:
        raise SchemaError(f"the data do not fit the {loss} loss: {exc}") from None
    return inst
