"""Feed-forward networks ``vf.MLP(widths, activation, bias=False)``.

f(x; θ) = W_D σ_{D−1}(W_{D−1} … σ_1(W_1 x + b_1) … + b_{D−1}) + b_D, with a linear output layer.
``widths = [d, m_1, …, m_{D−1}, k]``. The flat parameter vector θ lists, layer by layer,
W_l row-major (``W{l}[a,b]``, shape m_l × m_{l−1}) then b_l (``b{l}[a]``) when ``bias=True``.

Homogeneity (Kumar & Haupt, arXiv:2509.12154 §2.1): without biases and with p_l-homogeneous
activations, f is separately homogeneous in each W_l of degree k_l = Π_{j=l}^{D−1} p_j and
jointly of degree L = Σ_l k_l (= D for ReLU, = 1 + p + … + p^{D−1} for one p).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..errors import InputError
from ..validate import positive_int
from . import activations as _acts
from .activation import Activation
from .nn.graph import Sequential
from .nn.layers import Act, Dense
from .nn.layout import ParamBlock  # noqa: F401 - re-exported (verify.models.mlp.ParamBlock)


def _exact(d) -> sp.Expr:
    """A degree (a Python int or an exact sympy number) as a sympy number, without rounding."""
    return d if isinstance(d, sp.Basic) else sp.Integer(d)


class MLP(Sequential):
    """A fully connected network with per-layer activations and a linear output layer: the
    :class:`~verify.models.nn.Sequential` ``Dense(m_1), Act(σ_1), …, Dense(k)`` on inputs of dimension d,
    with the θ order W1, b1, W2, b2, … . Losses evaluate it with the closed-form layer-wise formulas."""

    def __init__(self, widths, activation="relu", bias: bool = False):
        if isinstance(widths, str | bytes) or not hasattr(widths, "__iter__"):
            raise InputError(f"widths must be a list of >= 2 positive integers [d, m_1, ..., k], got {widths!r}")
        widths = list(widths)
        if len(widths) < 2:
            raise InputError(f"widths must be a list of >= 2 positive integers [d, m_1, ..., k], got {widths}")
        # ints only: True is not a width, 2.0 is not silently 2
        widths = [positive_int(w, f"widths[{i}] (layer width)") for i, w in enumerate(widths)]
        if not isinstance(bias, bool | np.bool_):
            raise InputError(f"bias must be True or False, got {bias!r} ({type(bias).__name__})")
        self.widths = widths
        nh = len(widths) - 2
        # a (name, parameter) tuple such as ("relu_power", "3/2") is one activation; any other
        # list or tuple gives one activation per hidden layer
        single_spec = (isinstance(activation, tuple) and len(activation) == 2
                       and activation[0] in ("leaky_relu", "power", "relu_power")
                       and not (isinstance(activation[1], str) and activation[1] in _acts.CATALOGUE))
        if isinstance(activation, list | tuple) and not single_spec:
            if len(activation) != nh:
                raise InputError(f"{len(activation)} activations given for {nh} hidden layers")
            acts = [_acts.get(a) for a in activation]
        else:
            acts = [_acts.get(activation)] * nh
        self.activations: list[Activation] = acts
        self.bias = bool(bias)
        layers = []
        for l in range(1, len(widths)):
            layers.append(Dense(widths[l], bias=self.bias))
            if l < len(widths) - 1:
                layers.append(Act(acts[l - 1]))
        super().__init__(*layers, input_shape=(widths[0],))

    # ------------------------------------------------------------------ structure
    @property
    def depth(self) -> int:
        """Number of weight layers D (hidden layers + output layer)."""
        return len(self.widths) - 1

    # ------------------------------------------------------------------ homogeneity
    @property
    def block_degrees(self) -> list | None:
        """k_l = Π_{j ≥ l} p_j for each weight layer l (None unless bias-free and homogeneous)."""
        if self.bias:
            return None
        degs = [a.homogeneity_degree for a in self.activations]
        if any(d is None for d in degs):
            return None
        out = []
        for l in range(self.depth):
            k = sp.Integer(1)
            for d in degs[l:]:
                k *= _exact(d)
            out.append(int(k) if k.is_Integer else k)
        return out

    @property
    def homogeneity_degree(self):  # noqa: D102 - same value as Sequential's, from the closed form
        """L such that f(x; cθ) = c^L f(x; θ) for c > 0 (bias-free, homogeneous activations), else None."""
        kd = self.block_degrees
        if kd is None:
            return None
        total = sum((_exact(k) for k in kd), sp.Integer(0))
        return int(total) if total.is_Integer else total

    def __repr__(self):
        # catalogue names print as "relu", "leaky_relu(1/10)", "relu_power(3/2)": each is accepted back
        # by MLP(widths, name) (parsed exactly, see verify.models.activations.get)
        acts = ",".join(a.name for a in self.activations)
        return f"MLP(widths={self.widths}, activations=[{acts}], bias={self.bias}, p={self.n_params})"
