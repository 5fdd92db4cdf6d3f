"""A concrete, exactly serialisable problem instance: a network, a dataset, parameters θ and optional
scalars (step size η, radius r, …), all in exact rationals.

Instances are what the hypothesis strategies generate, what a claim's property is evaluated on, and
what a counterexample file stores. The JSON form (schema :data:`INSTANCE_SCHEMA`) keeps every number as
a ``"p/q"`` string and is validated on load (shapes, numbers, activation names); nothing in a file is
ever evaluated as code.
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
#: the largest exponent of ``power(p)``/``relu_power(p)`` an instance file may name
MAX_POWER = 64
_ACT = re.compile(r"([a-z_]+)(?:\(([-0-9/]+)\))?\Z")


def activation_spec(name: str):
    """'relu' → 'relu'; 'leaky_relu(1/10)' → ('leaky_relu', '1/10'); validated, never evaluated."""
    m = _ACT.match(name) if isinstance(name, str) and len(name) <= 64 else None
    if not m:
        raise SchemaError(f"invalid activation name {name!r}")
    base, arg = m.group(1), m.group(2)
    from ..models import activations

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
    """Network ``widths``/``activations``/``bias``, data ``X`` (n × d) and ``y`` (n × k), parameters
    ``theta`` and named scalars ``scalars`` (e.g. ``{"eta": 1/10}``), all exact rationals."""

    widths: tuple
    activations: tuple
    bias: bool
    X: tuple
    y: tuple
    theta: tuple
    normalization: str = "mean"
    scalars: dict = field(default_factory=dict)

    # -- model objects ---------------------------------------------------------------------------
    def net(self):
        from ..models import MLP

        acts = [activation_spec(a) for a in self.activations]
        return MLP(list(self.widths), acts if len(acts) > 1 else acts[0], bias=self.bias)

    def loss(self):
        from ..models import Dataset, SquareLoss

        y = [list(r) for r in self.y]
        return SquareLoss(self.net(), Dataset([list(r) for r in self.X], y), normalization=self.normalization)

    def theta_array(self) -> np.ndarray:
        return np.array(self.theta, dtype=object)

    def scalar(self, name: str) -> Fraction:
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
        q = fraction_str
        return {"schema": INSTANCE_SCHEMA, "widths": list(self.widths), "activations": list(self.activations),
                "bias": self.bias, "normalization": self.normalization,
                "X": [[q(v) for v in row] for row in self.X], "y": [[q(v) for v in row] for row in self.y],
                "theta": [q(v) for v in self.theta], "scalars": {k: q(v) for k, v in self.scalars.items()}}

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
        acts = ", ".join(self.activations)
        lines = [rf"\text{{MLP }}{list(self.widths)}\ (\sigma = \text{{{acts}}}{', bias' if self.bias else ''})",
                 r"X = " + sp.latex(sp.Matrix([[sp.Rational(v.numerator, v.denominator) for v in r] for r in self.X])),
                 r"y = " + sp.latex(sp.Matrix([[sp.Rational(v.numerator, v.denominator) for v in r] for r in self.y])),
                 r"\theta = (" + ", ".join(sp.latex(v) for v in s["theta"].values()) + ")"]
        lines += [rf"\{k} = {sp.latex(v)}" if k in ("eta", "lambda") else rf"{k} = {sp.latex(v)}"
                  for k, v in s["scalars"].items()]
        if len(self.theta) <= 12 and len(self.X) <= 4:
            lines.append("L(\\theta) = " + sp.latex(s["loss"]))
        return " \\\\\n".join(lines)


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


def _n_params(widths, bias) -> int:
    return sum(a * b + (b if bias else 0) for a, b in zip(widths[:-1], widths[1:]))


def instance_from_dict(d) -> Instance:
    """Build an :class:`Instance` from its JSON form, checking every field, type, shape and size
    (:data:`MAX_LAYERS`, :data:`MAX_WIDTH`, :data:`MAX_PARAMS`, :data:`MAX_DATA_POINTS`). Every failure
    is a :class:`SchemaError` naming the field."""
    if not isinstance(d, dict):
        raise SchemaError("an instance must be a JSON object")
    schema = d.get("schema")
    if type(schema) is not int or schema != INSTANCE_SCHEMA:
        raise SchemaError(f"unsupported instance schema {schema!r} (this toolkit reads {INSTANCE_SCHEMA})")
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
    scalars = d.get("scalars", {})
    if not isinstance(scalars, dict):
        raise SchemaError("scalars must be an object of name → \"p/q\"")
    if len(scalars) > MAX_SCALARS:
        raise SchemaError(f"more than {MAX_SCALARS} scalars")
    for k in scalars:
        if not k.isidentifier():
            raise SchemaError(f"a scalar name must be an identifier such as eta, got {k!r:.60}")
    scalars = {k: _fr(v, f"scalar {k}") for k, v in scalars.items()}
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
