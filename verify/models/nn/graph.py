"""Networks as a sequence of layers, and the engine that evaluates them in any arithmetic.

``Sequential(*layers, input_shape=…)`` builds the layers (shape inference, parameter blocks numbered
l = 1, 2, … in order, activation and max-pool sites) and owns the :class:`ParamLayout`. Its
:class:`GraphEngine` runs the layers' single forward definition through the interpreters of
:mod:`verify.models.nn.ops`:

* values: :class:`NumericOps`;
* gradients (∇_θ Σ C·F): reverse mode (:class:`Tape`);
* the data Jacobian ∂F/∂θ: forward mode with T directions at once (:class:`TangentOps`);
* Hessian-vector products and full Hessians of a loss L = Σ ℓ(F): forward-over-reverse. With
  θ̇ = V the forward pass gives Ḟ = J V; seeding the backward pass with (ℓ'(F), ℓ''(F)·Ḟ) gives
  ∇L and ∇²L V = Jᵀ ℓ''(F) J V + Σ ℓ'(F) ∇²F V in one pass (Pearlmutter 1994). The full Hessian is
  this with V = I, in chunks of columns.

A chain of ``Dense``/``Act`` layers on a vector input is exactly an :class:`~verify.models.mlp.MLP`, and
losses use the MLP's closed-form layer-wise formulas for it (``verify/models/layerwise.py``).
"""

from __future__ import annotations

import copy
from functools import cached_property

import numpy as np
import sympy as sp

from ...errors import InputError, ShapeError
from ...validate import positive_int
from .layers import Act, Dense, Layer
from .layout import ParamLayout
from .ops import Dual, NumericOps, SymbolicOps, TangentOps, Tape

#: tangent directions propagated at once for Jacobians and Hessians (memory: T × activations); float64
#: arrays are compact and vectorise well, object arrays (mp, ball, exact) are not
CHUNK_FLOAT, CHUNK_OBJECT = 32, 64


def _walk(layers):
    for layer in layers:
        yield layer
        yield from _walk(layer.children())


class Sequential:
    """A network: ``layers`` applied in order to an input of shape ``input_shape`` (an int d or a tuple).

    Data points are rows of a :class:`~verify.models.dataset.Dataset`, each the input flattened
    row-major. The output is flattened to ``output_dim`` = prod(``output_shape``) values.
    """

    def __init__(self, *layers, input_shape=None):
        if len(layers) == 1 and isinstance(layers[0], list | tuple):
            layers = tuple(layers[0])
        if not layers:
            raise InputError("Sequential needs at least one layer")
        for j, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise InputError(f"layer {j} is a {type(layer).__name__}, not a vf.nn layer")
        if input_shape is None:
            raise InputError("Sequential needs input_shape (an int d, or a tuple such as (channels, height, width))")
        if isinstance(input_shape, int | np.integer) and not isinstance(input_shape, bool):
            input_shape = (input_shape,)
        if not isinstance(input_shape, tuple | list) or not input_shape:
            raise InputError(f"input_shape must be a positive int or a tuple of them, got {input_shape!r}")
        self.input_shape = tuple(positive_int(s, "input_shape entry") for s in input_shape)
        self.layers = [copy.deepcopy(layer) for layer in layers]
        state = {"l": 0, "sites": 0, "label": ""}
        shape = self.input_shape
        for j, layer in enumerate(self.layers):
            state["label"] = f"layers[{j}]"
            shape = layer.build(shape, state)
        self.output_shape = tuple(shape)
        specs = []
        for layer in _walk(self.layers):
            for name, shp in layer.params:
                specs.append((name, layer.number, shp))
        self.layout = ParamLayout(specs)
        self.sites = [s for layer in self.layers for s in layer.sites()]
        self._engines = {}

    # ------------------------------------------------------------------ structure
    @property
    def n_params(self) -> int:
        """p, the number of entries of θ (all parameter blocks)."""
        return self.layout.n_params

    @property
    def blocks(self):
        """The parameter blocks (:class:`~verify.models.nn.ParamBlock`: name, layer, shape, slice of θ), in θ order.

        >>> import verify as vf
        >>> [(b.name, b.shape) for b in vf.MLP([2, 3, 1], "tanh").blocks]
        [('W1', (3, 2)), ('W2', (1, 3))]
        """
        return self.layout.blocks

    def block(self, name: str):
        """The parameter block called ``name`` (``"W1"``, ``"b2"`` …); :class:`~verify.errors.InputError` if none."""
        return self.layout.block(name)

    @property
    def param_names(self) -> list[str]:
        """One name per entry of θ, in order: ``W1[0,2]``, ``b1[3]``, ``W2[1,0,2,2]`` (a convolution kernel)."""
        return self.layout.names

    @property
    def symbols(self) -> list[sp.Symbol]:
        """One real sympy symbol per entry of θ (``W1_0_2``, ``b2_0``), in order (for :meth:`symbolic` forms)."""
        return self.layout.symbols

    @property
    def input_dim(self) -> int:
        """d, the number of input values per data point: the product of ``input_shape``."""
        return int(np.prod(self.input_shape))

    @property
    def output_dim(self) -> int:
        """k, the number of output values per data point: the product of ``output_shape``."""
        return int(np.prod(self.output_shape))

    def views(self, theta) -> dict:
        """Named views of θ: ``{"W1": array, "b1": …}`` (no copy for numpy input)."""
        self.check_theta_shape(theta)
        return self.layout.split(np.asarray(theta))

    def flatten(self, blocks: dict) -> np.ndarray:
        """Inverse of :meth:`views`."""
        return self.layout.flatten(blocks)

    def check_theta_shape(self, theta) -> None:
        """Refuse a θ that is not a flat vector of :attr:`n_params` entries (:class:`~verify.errors.ShapeError`)."""
        self.layout.check(theta, description=f" ({self!r})")

    @property
    def all_layers(self) -> list:
        """Every layer, nested ones (inside Residual blocks) included, in order."""
        return list(_walk(self.layers))

    @property
    def rational(self) -> bool:
        """Rational on each activation region (exact arithmetic possible: polynomial pieces, no softmax)."""
        return all(layer.rational() for layer in self.layers)

    def exact_obstacle(self) -> str | None:
        """Why exact arithmetic is impossible (the first non-rational layer), or None."""
        for layer in self.all_layers:
            if isinstance(layer, Act) and not layer.sigma.polynomial_pieces:
                return f"the activation {layer.sigma.name} is not polynomial on each piece"
            if layer.kind == "attention":
                return "softmax attention involves exp"
        return None

    @property
    def activation_list(self) -> list:
        """The activations of the Act layers, in order."""
        return [layer.sigma for layer in self.all_layers if isinstance(layer, Act)]

    # ------------------------------------------------------------------ homogeneity
    def _degree(self, scaled_number):
        """The degree of the output when the weights of layer ``scaled_number`` (or of all) are scaled."""
        def scaled(layer):
            return scaled_number == "all" or layer.number == scaled_number

        d = 0
        for layer in self.layers:
            d = layer.degree(d, scaled)
            if d is None:
                return None
        return d

    @cached_property
    def homogeneity_degree(self):
        """L with f(x; cθ) = c^L f(x; θ) for all c > 0 (bias-free dense/conv layers, positively homogeneous
        activations, pooling, residual blocks whose branch has the degree of its input), else None."""
        if self.n_params == 0:
            return None
        d = self._degree("all")
        if d is None or d == 0:
            return None
        return _simplify_degree(d)

    @cached_property
    def block_degrees(self) -> list | None:
        """k_l for each parameterised layer l: f is homogeneous of degree k_l in that layer's weights alone
        (the others fixed), or None if some layer is not."""
        numbers = sorted({b.layer for b in self.layout.blocks})
        out = []
        for l in numbers:
            d = self._degree(l)
            if d is None or d == 0:
                return None
            out.append(_simplify_degree(d))
        return out

    # ------------------------------------------------------------------ evaluation
    def forward(self, ops, P: dict, x):
        """The network's outputs for a batch ``x`` (shape ``(n, *input_shape)``) in the interpreter ``ops``."""
        for layer in self.layers:
            x = layer.forward(ops, P, x)
        return x

    def dense_chain(self):
        """An equivalent :class:`MLP` (same θ order) if the network is Dense/Act layers on a vector
        input ending in a Dense layer with one bias setting throughout, else None (fast-path detection)."""
        from ..mlp import MLP

        if isinstance(self, MLP):
            return self
        if len(self.input_shape) != 1 or not isinstance(self.layers[-1], Dense):
            return None
        widths, acts, biases, prev_dense = [self.input_shape[0]], [], set(), False
        for layer in self.layers:
            if isinstance(layer, Dense):
                if prev_dense and len(widths) > 1:
                    return None  # two Dense layers in a row: not an MLP's alternation
                widths.append(layer.out)
                biases.add(layer.bias)
                prev_dense = True
            elif isinstance(layer, Act):
                if not prev_dense:
                    return None
                acts.append(layer.sigma)
                prev_dense = False
            else:
                return None
        if len(biases) != 1 or len(acts) != len(widths) - 2:
            return None
        return MLP(widths, acts if acts else "relu", bias=biases.pop())

    def symbolic(self, x=None, theta=None) -> list[sp.Expr]:
        """The outputs (flattened) as exact sympy expressions: activations as their Piecewise, max pools as
        Max, softmax with exp. ``x``: a data point (kept exact; d = prod(input_shape) numbers, or an array
        of shape input_shape) or None for symbols x0, x1, …; ``theta``: None for :attr:`symbols`, or numbers."""
        from ...numbers import input_fraction, shape_of

        if x is None:
            xs = [sp.Symbol(f"x{i}", real=True) for i in range(self.input_dim)]
        else:
            shp = shape_of(x, what="x")
            if int(np.prod(shp)) != self.input_dim or shp not in ((self.input_dim,), self.input_shape):
                raise ShapeError(f"x must have {self.input_dim} entries (or shape {self.input_shape}), got shape {shp}")
            xs = [_rat(input_fraction(v, what="x")) for v in np.asarray(x, dtype=object).reshape(-1)]
        if theta is None:
            th = self.symbols
        else:
            self.check_theta_shape(theta)
            th = [_rat(input_fraction(v, what="θ")) for v in np.asarray(theta, dtype=object)]
        X = np.empty((1, *self.input_shape), dtype=object)
        X.reshape(-1)[:] = xs
        out = symbolic_forward(self, SymbolicOps(), self.layout.split(_obj(th)), X)
        return list(out.reshape(-1))

    def engine(self, a):
        """The evaluation engine for arithmetic ``a`` (cached)."""
        eng = self._engines.get(a.key())
        if eng is None:
            eng = self._engines[a.key()] = GraphEngine(self, a)
        return eng

    def __deepcopy__(self, memo):
        new = copy.copy(self)
        new._engines = {}
        return new

    def __repr__(self):
        inner = ", ".join(map(repr, self.layers))
        return f"Sequential({inner}, input_shape={self.input_shape}, p={self.n_params})"


def symbolic_forward(net, ops, P, X):
    """``net.forward`` in a sympy interpreter; sympy's Piecewise simplification recurses without bound on
    deeply nested piecewise expressions (relu of a sum of several |·| units), which becomes a SizeLimitError."""
    from ...errors import SizeLimitError

    try:
        return net.forward(ops, P, X)
    except RecursionError:
        raise SizeLimitError(
            "the network's exact expression (activations as nested Piecewise) is too deeply nested for sympy; "
            "use loss.on_region(loss.region(θ)), the analytic expression on one activation region") from None


def _simplify_degree(d):
    d = d if isinstance(d, sp.Basic) else sp.Integer(d)
    return int(d) if d.is_Integer else d


def _rat(q):
    return sp.Rational(q.numerator, q.denominator)


def _obj(values):
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


# ============================================================================ engine
class GraphEngine:
    """Forward, reverse and forward-over-reverse evaluation of a :class:`Sequential` in arithmetic ``a``.

    The interface matches the MLP's :class:`~verify.models.layerwise.Layerwise` (θ and X arrays of the
    arithmetic; X of shape (n, input_dim))."""

    def __init__(self, net: Sequential, a):
        self.net, self.a = net, a
        self.chunk = CHUNK_FLOAT if a.dtype is not object else CHUNK_OBJECT

    def _x(self, X):
        return X.reshape(X.shape[0], *self.net.input_shape)

    def _flat_out(self, F):
        return F.reshape(F.shape[0], -1)

    def outputs(self, theta, X):
        """The network outputs F (n × k) at θ for the data ``X`` (n × input_dim), in the engine's arithmetic."""
        ops = NumericOps(self.a)
        return self._flat_out(self.net.forward(ops, self.net.layout.split(theta), self._x(X)))

    def region(self, theta, X) -> tuple:
        """The pattern at θ: one int array per site (decided with certainty in exact/ball)."""
        rec = {}
        ops = NumericOps(self.a, regions=rec)
        self.net.forward(ops, self.net.layout.split(theta), self._x(X))
        return tuple(rec[s.index] for s in self.net.sites)

    # -- reverse mode ---------------------------------------------------------------------------------
    def forward(self, theta, X, order: int = 1):
        """A recorded forward pass (for :meth:`vjp`): ``{"F": outputs (n × k), …}``."""
        tape = Tape(NumericOps(self.a))
        blocks = self.net.layout.split(theta)
        leaves = {name: tape.leaf(v) for name, v in blocks.items()}
        out = self.net.forward(tape, leaves, self._x(X))
        return {"tape": tape, "leaves": leaves, "out": out, "F": self._flat_out(out.val)}

    def out(self, fw):
        """The outputs F (n × k) of a recorded forward pass (:meth:`forward`)."""
        return fw["F"]

    def _collect(self, grads, leaves, T=None):
        parts = []
        for b in self.net.layout.blocks:
            g = grads[list(leaves).index(b.name)]
            if g is None:
                g = np.zeros(b.shape) if self.a.dtype is not object else self.a.zeros(b.shape)
            parts.append(g.reshape(-1) if T is None else g.reshape(T, -1))
        if not parts:  # a network without parameters: an empty gradient
            return np.zeros(0) if self.a.dtype is not object else self.a.zeros(0)
        return np.concatenate(parts, axis=-1)

    def vjp(self, theta, X, C, fw=None):
        """∇_θ Σ_io C_io F_io(θ)."""
        fw = fw or self.forward(theta, X, 1)
        out = fw["out"]
        grads = fw["tape"].backward(out, C.reshape(out.val.shape), list(fw["leaves"].values()))
        return self._collect(grads, fw["leaves"])

    # -- forward mode ---------------------------------------------------------------------------------
    def _dual_theta(self, theta, V):
        blocks = self.net.layout.split(theta)
        T = V.shape[0]
        return {b.name: Dual(blocks[b.name], V[:, b.slice].reshape(T, *b.shape)) for b in self.net.layout.blocks}

    def _basis(self, cols):
        p, T = self.net.n_params, len(cols)
        if self.a.dtype is not object:
            V = np.zeros((T, p))
            V[np.arange(T), cols] = 1.0
            return V
        V = self.a.zeros((T, p))
        one = self.a.const(1)
        for j, c in enumerate(cols):
            V[j, c] = one
        return V

    def jacobian(self, theta, X, fw=None, internal: bool = False):
        """∂F/∂θ, shape (n·k, p) (row i·k + o: output o at data point i), by forward mode."""
        p = self.net.n_params
        Xs = self._x(X)
        n = X.shape[0]
        k = self.net.output_dim
        J = np.zeros((n * k, p)) if self.a.dtype is not object else self.a.zeros((n * k, p))
        cache = {}
        for start in range(0, p, self.chunk):
            cols = list(range(start, min(p, start + self.chunk)))
            ops = TangentOps(NumericOps(self.a, argmax_cache=cache), len(cols))
            F = self.net.forward(ops, self._dual_theta(theta, self._basis(cols)), Xs)
            t = F.t if F.t is not None else ops.b.zeros((len(cols), *F.v.shape))
            J[:, start:start + len(cols)] = t.reshape(len(cols), n * k).T
        return J

    # -- forward over reverse ---------------------------------------------------------------------------
    def _hvp_batch(self, theta, X, ell, V, cache=None):
        """(∇L, ∇²L Vᵀ as (T, p)) for directions V (T × p); ``ell(F, order=2)`` gives (lv, ℓ', ℓ'')."""
        T = V.shape[0]
        ops = TangentOps(NumericOps(self.a, argmax_cache=cache), T)
        tape = Tape(ops)
        blocks = self._dual_theta(theta, V)
        leaves = {name: tape.leaf(v) for name, v in blocks.items()}
        out = self.net.forward(tape, leaves, self._x(X))
        F = out.val
        Fv = F.v.reshape(F.v.shape[0], -1)
        _, l1, l2 = ell(Fv, 2)
        Ft = F.t.reshape(T, *Fv.shape) if F.t is not None else None
        seed_t = apply_curvature(l2, Ft) if Ft is not None else None
        seed = Dual(l1.reshape(F.v.shape), seed_t.reshape(T, *F.v.shape) if seed_t is not None else None)
        grads = tape.backward(out, seed, list(leaves.values()))
        parts_v, parts_t = [], []
        for b in self.net.layout.blocks:
            g = grads[list(leaves).index(b.name)]
            if g is None:
                parts_v.append(ops.b.zeros(b.size))
                parts_t.append(ops.b.zeros((T, b.size)))
                continue
            parts_v.append(g.v.reshape(-1))
            parts_t.append(g.t.reshape(T, -1) if g.t is not None else ops.b.zeros((T, b.size)))
        if not parts_v:  # a network without parameters
            return ops.b.zeros(0), ops.b.zeros((T, 0))
        return np.concatenate(parts_v), np.concatenate(parts_t, axis=1)

    def loss_hvp(self, theta, X, ell, v):
        """∇²L(θ) v for L = Σ ℓ(F)."""
        _, Hv = self._hvp_batch(theta, X, ell, v.reshape(1, -1))
        return Hv[0]

    def loss_hessian(self, theta, X, ell):
        """∇²L(θ) (p × p), by forward-over-reverse on chunks of unit vectors."""
        p = self.net.n_params
        H = np.zeros((p, p)) if self.a.dtype is not object else self.a.zeros((p, p))
        cache = {}
        for start in range(0, p, self.chunk):
            cols = list(range(start, min(p, start + self.chunk)))
            _, Ht = self._hvp_batch(theta, X, ell, self._basis(cols), cache)
            H[start:start + len(cols), :] = Ht
        return H


def apply_curvature(l2, Fdot):
    """ℓ''(F) applied to tangents Ḟ (…, n, k): elementwise for a diagonal ℓ'' (n × k), or per data point
    for a full one (n × k × k, e.g. softmax cross-entropy's diag p − p pᵀ)."""
    if l2.ndim == 2:
        return l2 * Fdot
    k = l2.shape[-1]
    out = None
    for o in range(k):
        term = l2[:, :, o] * Fdot[..., :, o:o + 1]
        out = term if out is None else out + term
    return out
