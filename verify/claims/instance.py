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
_ACT = re.compile(r"^([a-z_]+)(?:\(([-0-9/]+)\))?$")


def activation_spec(name: str):
    """'relu' → 'relu'; 'leaky_relu(1/10)' → ('leaky_relu', '1/10'); validated, never evaluated."""
    m = _ACT.match(name)
    if not m:
        raise SchemaError(f"invalid activation name {name!r}")
    base, arg = m.group(1), m.group(2)
    from ..models import activations

    if arg is None:
        activations.get(base)  # raises UnknownActivationError for an unknown name
        return base
    spec = (base, arg)
    activations.get(spec)
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
            raise KeyError(f"the instance has no scalar {name!r} (has {sorted(self.scalars)})")
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


def _fr(v, what) -> Fraction:
    if isinstance(v, bool) or not isinstance(v, str | int):
        raise SchemaError(f"{what} must be a rational written as a string \"p/q\" (or an integer), got {v!r}")
    try:
        return parse_fraction_str(str(v), what=what)
    except InputError as exc:
        raise SchemaError(str(exc)) from None


def instance_from_dict(d) -> Instance:
    """Build an :class:`Instance` from its JSON form, checking every field and shape."""
    if not isinstance(d, dict):
        raise SchemaError("an instance must be a JSON object")
    if d.get("schema") != INSTANCE_SCHEMA:
        raise SchemaError(f"unsupported instance schema {d.get('schema')!r} (this toolkit reads {INSTANCE_SCHEMA})")
    known = {"schema", "widths", "activations", "bias", "normalization", "X", "y", "theta", "scalars"}
    if set(d) - known:
        raise SchemaError(f"unknown instance fields {sorted(set(d) - known)}")
    try:
        widths = [int(w) for w in d["widths"]]
        acts = [str(a) for a in d["activations"]]
        X = [[_fr(v, "X entry") for v in row] for row in d["X"]]
        y = [[_fr(v, "y entry") for v in row] for row in d["y"]]
        theta = [_fr(v, "θ entry") for v in d["theta"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise SchemaError(f"malformed instance: {exc}") from None
    bias = d.get("bias", False)
    if not isinstance(bias, bool):
        raise SchemaError("bias must be true or false")
    scalars = d.get("scalars", {})
    if not isinstance(scalars, dict):
        raise SchemaError("scalars must be an object of name → \"p/q\"")
    scalars = {str(k): _fr(v, f"scalar {k}") for k, v in scalars.items()}
    if len(widths) < 2 or any(w < 1 for w in widths):
        raise SchemaError(f"widths must list ≥ 2 positive layer sizes, got {widths}")
    if len(acts) not in (1, len(widths) - 2) or not acts:
        raise SchemaError(f"give one activation or one per hidden layer ({len(widths) - 2}), got {len(acts)}")
    for a in acts:
        activation_spec(a)
    if not X or any(len(r) != widths[0] for r in X):
        raise SchemaError(f"X must have rows of length d = {widths[0]}")
    if len(y) != len(X) or any(len(r) != widths[-1] for r in y):
        raise SchemaError(f"y must be {len(X)} rows of {widths[-1]} labels")
    inst = Instance(tuple(widths), tuple(acts), bias, tuple(map(tuple, X)), tuple(map(tuple, y)), tuple(theta),
                    d.get("normalization", "mean"), scalars)
    p = inst.net().n_params
    if len(theta) != p:
        raise SchemaError(f"θ has {len(theta)} entries but the network has {p} parameters")
    return inst
