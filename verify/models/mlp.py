"""Feed-forward networks ``vf.MLP(widths, activation, bias=False)``.

f(x; θ) = W_D σ_{D−1}(W_{D−1} … σ_1(W_1 x + b_1) … + b_{D−1}) + b_D, with a linear output layer.
``widths = [d, m_1, …, m_{D−1}, k]``. The flat parameter vector θ lists, layer by layer,
W_l row-major (``W{l}[a,b]``, shape m_l × m_{l−1}) then b_l (``b{l}[a]``) when ``bias=True``.

Homogeneity (Kumar & Haupt, arXiv:2509.12154 §2.1): without biases and with p_l-homogeneous
activations, f is separately homogeneous in each W_l of degree k_l = Π_{j=l}^{D−1} p_j and
jointly of degree L = Σ_l k_l (= D for ReLU, = 1 + p + … + p^{D−1} for one p).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp

from ..errors import InputError, ShapeError
from ..validate import positive_int
from . import activations as _acts
from .activation import Activation


def _exact(d) -> sp.Expr:
    """A degree (a Python int or an exact sympy number) as a sympy number, without rounding."""
    return d if isinstance(d, sp.Basic) else sp.Integer(d)


@dataclass(frozen=True)
class ParamBlock:
    """One named block of θ: ``name`` (``W2``/``b2``), ``layer`` (1-based), ``shape``, ``slice``."""

    name: str
    layer: int
    shape: tuple
    slice: slice

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))


class MLP:
    """A fully connected network with per-layer activations and a linear output layer."""

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
        blocks, off = [], 0
        for l in range(1, len(widths)):
            shp = (self.widths[l], self.widths[l - 1])
            blocks.append(ParamBlock(f"W{l}", l, shp, slice(off, off + shp[0] * shp[1])))
            off += shp[0] * shp[1]
            if self.bias:
                blocks.append(ParamBlock(f"b{l}", l, (self.widths[l],), slice(off, off + self.widths[l])))
                off += self.widths[l]
        self.blocks = blocks
        self.n_params = off

    # ------------------------------------------------------------------ structure
    @property
    def depth(self) -> int:
        """Number of weight layers D (hidden layers + output layer)."""
        return len(self.widths) - 1

    @property
    def input_dim(self) -> int:
        return self.widths[0]

    @property
    def output_dim(self) -> int:
        return self.widths[-1]

    def block(self, name: str) -> ParamBlock:
        for b in self.blocks:
            if b.name == name:
                return b
        raise InputError(f"no parameter block {name!r}; blocks are {[b.name for b in self.blocks]}")

    @cached_property
    def param_names(self) -> list[str]:
        names = []
        for b in self.blocks:
            for idx in np.ndindex(*b.shape):
                names.append(f"{b.name}[{','.join(map(str, idx))}]")
        return names

    @cached_property
    def symbols(self) -> list[sp.Symbol]:
        """One real sympy symbol per parameter, named like ``W1_0_2`` and ``b2_0``."""
        return [sp.Symbol(n.replace("[", "_").replace("]", "").replace(",", "_"), real=True)
                for n in self.param_names]

    def views(self, theta) -> dict:
        """Named views of θ: ``{"W1": array (m_1, d), "b1": ..., ...}`` (no copy for numpy input)."""
        self.check_theta_shape(theta)
        theta = np.asarray(theta)
        return {b.name: theta[b.slice].reshape(b.shape) for b in self.blocks}

    def flatten(self, blocks: dict) -> np.ndarray:
        """Inverse of :meth:`views`: concatenate named blocks into θ."""
        parts = []
        for b in self.blocks:
            if b.name not in blocks:
                raise InputError(f"missing parameter block {b.name!r}")
            from ..numbers import shape_of

            shape_of(blocks[b.name], what=f"block {b.name}")  # a ragged block is a ShapeError
            arr = np.asarray(blocks[b.name])
            if arr.shape != b.shape:
                raise ShapeError(f"block {b.name} must have shape {b.shape}, got {arr.shape}")
            parts.append(arr.reshape(-1))
        return np.concatenate(parts)

    def check_theta_shape(self, theta) -> None:
        from ..numbers import shape_of

        shp = shape_of(theta, what="θ")
        if shp != (self.n_params,):
            raise ShapeError(f"θ must be a flat vector of {self.n_params} parameters for this network "
                             f"(widths {self.widths}, bias={self.bias}), got shape {shp}")

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
    def homogeneity_degree(self):
        """L such that f(x; cθ) = c^L f(x; θ) for c > 0 (bias-free, homogeneous activations), else None."""
        kd = self.block_degrees
        if kd is None:
            return None
        total = sum((_exact(k) for k in kd), sp.Integer(0))
        return int(total) if total.is_Integer else total

    # ------------------------------------------------------------------ sympy model
    def symbolic(self, x=None, theta=None) -> list[sp.Expr]:
        """The outputs as exact sympy expressions (the single source of truth).

        ``x``: a data point (sequence of d numbers, kept exact) or None for symbols ``x0, x1, …``.
        ``theta``: None for the parameter symbols (:attr:`symbols`), or numbers to substitute.
        Activations enter as their defining Piecewise.
        """
        from ..numbers import input_fraction, shape_of

        if x is None:
            xs = [sp.Symbol(f"x{i}", real=True) for i in range(self.input_dim)]
        else:
            shp = shape_of(x, what="x")
            if shp != (self.input_dim,):
                raise ShapeError(f"x must have {self.input_dim} entries, got shape {shp}")
            xs = [sp.Rational(*(lambda q: (q.numerator, q.denominator))(input_fraction(v, what="x"))) for v in x]
        if theta is None:
            th = self.symbols
        else:
            self.check_theta_shape(theta)
            th = [sp.Rational(q.numerator, q.denominator) for q in
                  (input_fraction(v, what="θ") for v in np.asarray(theta, dtype=object))]
        h = list(xs)
        for l in range(1, self.depth + 1):
            W = self.block(f"W{l}")
            Wv = th[W.slice]
            m, mp = W.shape
            z = [sum((Wv[a * mp + b] * h[b] for b in range(mp)), sp.Integer(0)) for a in range(m)]
            if self.bias:
                bv = th[self.block(f"b{l}").slice]
                z = [z[a] + bv[a] for a in range(m)]
            if l < self.depth:
                act = self.activations[l - 1]
                h = [act.sympy(za) for za in z]
            else:
                h = z
        return h

    def __repr__(self):
        # catalogue names print as "relu", "leaky_relu(1/10)", "relu_power(3/2)": each is accepted back
        # by MLP(widths, name) (parsed exactly, see verify.models.activations.get)
        acts = ",".join(a.name for a in self.activations)
        return f"MLP(widths={self.widths}, activations=[{acts}], bias={self.bias}, p={self.n_params})"
