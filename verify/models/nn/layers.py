"""Layers of a network graph, each written once against the primitives of :mod:`verify.models.nn.ops`.

Every layer maps an input of shape ``in_shape`` (per data point; arrays carry a leading batch axis) to
``out_shape``. Its ``forward(ops, P, x)`` is the only definition of what it computes: the numeric,
tangent, reverse-mode and symbolic interpreters all run this one function.

Conventions follow PyTorch and ONNX (so that weights import unchanged): ``Dense`` acts on the last axis
(y = x Wᵀ + b, W of shape (out, in)); convolutions are cross-correlations with zero padding, kernels of
shape (out, in, k) or (out, in, kh, kw); pooling windows have stride = kernel by default and no padding.

Positive homogeneity (Kumar & Haupt, arXiv:2509.12154 §2.1): ``degree(d, scaled)`` gives the degree
in c of a layer's output when its input has degree d and the weights of every layer ``ℓ`` with
``scaled(ℓ)`` are multiplied by c > 0 (``scaled`` a predicate on layers: all of them for the joint
degree, one for a block degree), or None when the output is not positively homogeneous.
"""

from __future__ import annotations

import copy
from fractions import Fraction

import numpy as np
import sympy as sp

from ...errors import InputError, ShapeError
from ...validate import nonneg_int, positive_int
from .ops import RSqrt, Site


def _pair(v, nd, what):
    if isinstance(v, tuple | list):
        if len(v) != nd:
            raise InputError(f"{what} must be an int or {nd} ints, got {v!r}")
        return tuple(positive_int(x, what) if what != "padding" else nonneg_int(x, what) for x in v)
    return (positive_int(v, what) if what != "padding" else nonneg_int(v, what),) * nd


def _exact(d):
    return d if isinstance(d, sp.Basic) else sp.Integer(d)


class Layer:
    """Base class. After :meth:`build`, a layer knows ``in_shape``, ``out_shape``, ``number`` (the
    number l of its parameters' blocks, for parameterised layers) and ``params`` [(name, shape)]."""

    has_params = False
    kind = "layer"

    def build(self, in_shape: tuple, state: dict) -> tuple:
        """Fix the layer's shapes for an input of shape ``in_shape`` (per data point) and return its output shape.

        Called once by :class:`~verify.models.nn.Sequential` (on its own copy of the layer): a parameterised
        layer takes the next layer number l from ``state["l"]`` and names its parameter blocks after it
        (``W{l}``, ``b{l}`` …); a layer with an activation or max-pool *site* takes the next site index from
        ``state["sites"]``. A shape the layer cannot take raises :class:`~verify.errors.ShapeError`."""
        self.in_shape = tuple(in_shape)
        self.params = []
        self.number = None
        if self.has_params:
            state["l"] += 1
            self.number = state["l"]
        self.out_shape = self._build(self.in_shape, state)
        return self.out_shape

    def _build(self, in_shape, state):
        return in_shape

    def forward(self, ops, P: dict, x):
        """The layer's output for the batch ``x`` (leading axis: data points), written once against the primitives
        ``ops`` (:mod:`verify.models.nn.ops`: numeric in any arithmetic, tangent, reverse-mode tape or symbolic),
        with the parameter blocks ``P`` (``{"W1": array, …}``)."""
        raise NotImplementedError

    def degree(self, d, scaled):
        """The degree of positive homogeneity in c of the output when the input has degree ``d`` and the weights of
        every layer ℓ with ``scaled(ℓ)`` are multiplied by c > 0 (Kumar & Haupt, arXiv:2509.12154 §2.1), or None
        when the output is not positively homogeneous. A layer without parameters or activation keeps ``d``."""
        return d

    def sites(self) -> list:
        """The layer's sites (activation layers and max pools: the places where a region pattern records a piece
        or a window index), in order; none for other layers."""
        return []

    def rational(self) -> bool:
        """Is the layer rational (polynomial) on each activation region (exact arithmetic possible)?"""
        return True

    def piecewise_linear_ok(self) -> bool:
        """Whether the layer may appear in a piecewise-linear network; True for every layer of this module (kept
        for layers defined outside it; no analysis of the toolkit asks it at present)."""
        return True

    def children(self) -> list:
        """The layers nested inside this one (the block of a :class:`Residual`); none for other layers."""
        return []

    def __deepcopy__(self, memo):
        # a fresh layer object (build state is per network) sharing the immutable activation objects
        new = copy.copy(self)
        if hasattr(self, "block"):
            new.block = [copy.deepcopy(b, memo) for b in self.block]
        return new

    def __repr__(self):
        return f"{type(self).__name__}()"


# ============================================================================ dense
class Dense(Layer):
    """y = x Wᵀ + b over the last axis; parameters ``W{l}`` (out, in) and ``b{l}`` (out,)."""

    has_params = True
    kind = "dense"

    def __init__(self, out: int, bias: bool = True):
        self.out = positive_int(out, "Dense(out)")
        if not isinstance(bias, bool | np.bool_):
            raise InputError(f"bias must be True or False, got {bias!r}")
        self.bias = bool(bias)

    def _build(self, in_shape, state):
        if not in_shape:
            raise ShapeError("Dense needs an input with at least one axis")
        l = self.number
        self.params = [(f"W{l}", (self.out, in_shape[-1]))]
        if self.bias:
            self.params.append((f"b{l}", (self.out,)))
        return (*in_shape[:-1], self.out)

    def forward(self, ops, P, x):
        """y = x Wᵀ + b over the last axis of ``x``."""
        l = self.number
        y = ops.linear(x, P[f"W{l}"])
        return ops.add_bias(y, P[f"b{l}"]) if self.bias else y

    def degree(self, d, scaled):
        """d + 1 if the layer is scaled, else d; None with a bias (x Wᵀ + b is not positively homogeneous)."""
        if self.bias:
            return None
        return d + 1 if scaled(self) else d

    def __repr__(self):
        return f"Dense({self.out}, bias={self.bias})"


# ============================================================================ convolution
class _ConvNd(Layer):
    has_params = True
    kind = "conv"
    nd = 2

    def __init__(self, in_channels: int, out_channels: int, kernel, stride=1, padding=0, bias: bool = True):
        self.cin = positive_int(in_channels, "in_channels")
        self.cout = positive_int(out_channels, "out_channels")
        self.kernel = _pair(kernel, self.nd, "kernel")
        self.stride = _pair(stride, self.nd, "stride")
        self.padding = _pair(padding, self.nd, "padding")
        if not isinstance(bias, bool | np.bool_):
            raise InputError(f"bias must be True or False, got {bias!r}")
        self.bias = bool(bias)

    def _build(self, in_shape, state):
        name = type(self).__name__
        if len(in_shape) != self.nd + 1:
            axes = "length" if self.nd == 1 else "height, width"
            raise ShapeError(f"{name} needs inputs of shape (channels, {axes}), got {in_shape}")
        if in_shape[0] != self.cin:
            raise ShapeError(f"{name} expects {self.cin} input channels, got {in_shape[0]} (input shape {in_shape})")
        spatial = in_shape[1:]
        outs = []
        for s, k, st, p in zip(spatial, self.kernel, self.stride, self.padding):
            o = (s + 2 * p - k) // st + 1
            if o < 1:
                raise ShapeError(f"{name}: kernel {self.kernel} does not fit the input {spatial} with padding "
                                 f"{self.padding}")
            outs.append(o)
        self.out_spatial = tuple(outs)
        self.idx = _conv_indices(in_shape, self.kernel, self.stride, self.padding, self.out_spatial)
        l = self.number
        self.params = [(f"W{l}", (self.cout, self.cin, *self.kernel))]
        if self.bias:
            self.params.append((f"b{l}", (self.cout,)))
        return (self.cout, *self.out_spatial)

    def forward(self, ops, P, x):
        """The cross-correlation y[o, p] = Σ_{c, k} W[o, c, k] x[c, p·stride − padding + k] (+ b[o]), as one product
        of the gathered input patches with the flattened kernel (zero padding)."""
        l = self.number
        n = x.shape[0]
        patches = ops.gather(x, self.idx)  # (n, positions, cin·K)
        W = ops.reshape(P[f"W{l}"], (self.cout, -1))
        y = ops.linear(patches, W)  # (n, positions, cout)
        if self.bias:
            y = ops.add_bias(y, P[f"b{l}"])
        y = ops.transpose(y, (0, 2, 1))
        return ops.reshape(y, (n, self.cout, *self.out_spatial))

    def degree(self, d, scaled):
        """d + 1 if the layer is scaled, else d; None with a bias."""
        if self.bias:
            return None
        return d + 1 if scaled(self) else d

    def __repr__(self):
        k = self.kernel[0] if len(set(self.kernel)) == 1 else self.kernel
        return (f"{type(self).__name__}({self.cin}, {self.cout}, kernel={k}, stride={self.stride}, "
                f"padding={self.padding}, bias={self.bias})")


#: largest index table (entries) a convolution or pooling layer may build: every entry becomes part of an
#: object array in the certified arithmetics
MAX_INDEX_ENTRIES = 10**7


def _check_table_size(entries: int, what: str) -> None:
    from ...errors import SizeLimitError

    if entries > MAX_INDEX_ENTRIES:
        raise SizeLimitError(f"{what} would gather {entries:,} input entries per data point (limit "
                             f"{MAX_INDEX_ENTRIES:,}); at ~100 bytes per ball that is ~{entries * 100 / 2**30:.1f} GiB "
                             "per data point in ball arithmetic. Use a smaller input or a larger stride")


def _window_coords(spatial_out, kernel, stride, offset):
    """Coordinates (nd, positions, K) of the window entries: pos·stride − offset + kernel offset."""
    pos = np.indices(spatial_out).reshape(len(kernel), -1)  # (nd, P)
    koff = np.indices(kernel).reshape(len(kernel), -1)  # (nd, K)
    st = np.asarray(stride)[:, None, None]
    off = np.asarray(offset)[:, None, None]
    return pos[:, :, None] * st - off + koff[:, None, :]


def _conv_indices(in_shape, kernel, stride, padding, out_spatial):
    """Index array (positions, C·K) into the flattened input (−1: a zero of the padding)."""
    C, *spatial = in_shape
    P, K = int(np.prod(out_spatial)), int(np.prod(kernel))
    _check_table_size(P * C * K, "this convolution")
    coords = _window_coords(out_spatial, kernel, stride, padding)  # (nd, P, K)
    inside = np.all([(coords[i] >= 0) & (coords[i] < spatial[i]) for i in range(len(kernel))], axis=0)
    flat_sp = np.zeros(coords.shape[1:], dtype=np.int64)
    for i in range(len(kernel)):
        flat_sp = flat_sp * spatial[i] + np.clip(coords[i], 0, spatial[i] - 1)
    size = int(np.prod(spatial))
    idx = np.arange(C)[None, :, None] * size + flat_sp[:, None, :]  # (P, C, K)
    idx = np.where(inside[:, None, :], idx, -1)
    return idx.reshape(P, C * K).astype(int)


class Conv1d(_ConvNd):
    """1-D convolution over inputs (C, L); kernel ``W{l}`` (out, in, k), bias ``b{l}`` (out,)."""

    nd = 1


class Conv2d(_ConvNd):
    """2-D convolution over inputs (C, H, W); kernel ``W{l}`` (out, in, kh, kw), bias ``b{l}`` (out,)."""

    nd = 2


# ============================================================================ pooling
class _PoolNd(Layer):
    nd = 2
    mode = "max"

    def __init__(self, kernel, stride=None):
        self.kernel = _pair(kernel, self.nd, "kernel")
        self.stride = self.kernel if stride is None else _pair(stride, self.nd, "stride")

    @property
    def kind(self):
        """``"maxpool"`` or ``"avgpool"``."""
        return "maxpool" if self.mode == "max" else "avgpool"

    def _build(self, in_shape, state):
        name = type(self).__name__
        if len(in_shape) != self.nd + 1:
            raise ShapeError(f"{name} needs inputs of shape (channels, {self.nd} spatial axes), got {in_shape}")
        C, *spatial = in_shape
        outs = [(s - k) // st + 1 for s, k, st in zip(spatial, self.kernel, self.stride)]
        if min(outs) < 1:
            raise ShapeError(f"{name}: window {self.kernel} larger than the input {tuple(spatial)}")
        self.out_spatial = tuple(outs)
        K = int(np.prod(self.kernel))
        _check_table_size(C * int(np.prod(self.out_spatial)) * K, name)
        coords = _window_coords(self.out_spatial, self.kernel, self.stride, (0,) * self.nd)  # (nd, P, K)
        flat_sp = np.zeros(coords.shape[1:], dtype=np.int64)
        for i in range(self.nd):
            flat_sp = flat_sp * spatial[i] + coords[i]
        idx = np.arange(C)[:, None, None] * int(np.prod(spatial)) + flat_sp[None]  # (C, P, K)
        self.idx = idx.reshape(C, *self.out_spatial, K).astype(int)
        if self.mode == "max":
            self.site = Site(state["sites"], state["l"], f"{state['label']} {self!r}", "maxpool")
            state["sites"] += 1
        return (C, *self.out_spatial)

    def sites(self):
        """One site for a max pool (the pattern records the index of the selected entry of each window); none for
        an average pool."""
        return [self.site] if self.mode == "max" else []

    def forward(self, ops, P, x):
        """The maximum (max pool) or the mean (average pool) of each window, channel by channel."""
        windows = ops.gather(x, self.idx)  # (n, C, *out, K)
        if self.mode == "max":
            v, _ = ops.window_max(windows, self.site, const_of=(x, self.idx))
            return v
        return ops.scale(ops.sum(windows, -1), Fraction(1, int(np.prod(self.kernel))))

    def __repr__(self):
        k = self.kernel[0] if len(set(self.kernel)) == 1 else self.kernel
        s = "" if self.stride == self.kernel else f", stride={self.stride}"
        return f"{type(self).__name__}({k}{s})"


class MaxPool1d(_PoolNd):
    """Maximum over windows of a (C, L) input."""

    nd, mode = 1, "max"


class MaxPool2d(_PoolNd):
    """Maximum over windows of a (C, H, W) input."""

    nd, mode = 2, "max"


class AvgPool1d(_PoolNd):
    """Mean over windows of a (C, L) input."""

    nd, mode = 1, "avg"


class AvgPool2d(_PoolNd):
    """Mean over windows of a (C, H, W) input."""

    nd, mode = 2, "avg"


class Flatten(Layer):
    """(C, H, W) → (C·H·W,), row-major."""

    kind = "flatten"

    def _build(self, in_shape, state):
        return (int(np.prod(in_shape)),)

    def forward(self, ops, P, x):
        """Each data point's input flattened row-major."""
        return ops.reshape(x, (x.shape[0], -1))


# ============================================================================ activation
class Act(Layer):
    """σ elementwise: any catalogue activation (name, spec string, (name, parameter)) or an Activation."""

    kind = "act"

    def __init__(self, activation):
        from .. import activations as _acts
        from ..activation import Activation

        self.sigma = activation if isinstance(activation, Activation) else _acts.get(activation)

    def _build(self, in_shape, state):
        self.site = Site(state["sites"], state["l"], f"{state['label']} {self!r}", "act")
        state["sites"] += 1
        return in_shape

    def sites(self):
        """One site: the pattern records the piece of σ each input entry is on."""
        return [self.site]

    def forward(self, ops, P, x):
        """σ(x) elementwise (the activation's pieces decided per entry, see :mod:`verify.models.activation`)."""
        return ops.act(x, self.sigma, 0, self.site)

    def degree(self, d, scaled):
        """p·d for an activation positively homogeneous of degree p (relu: 1, relu²: 2), 0 for a constant input,
        None otherwise (tanh)."""
        if d == 0:
            return 0  # σ of a fixed input does not depend on θ
        p = self.sigma.homogeneity_degree
        return None if p is None else _exact(p) * d

    def rational(self):
        return bool(self.sigma.polynomial_pieces)

    def __repr__(self):
        return f"Act({self.sigma.name!r})"


# ============================================================================ residual
class Residual(Layer):
    """x + block(x); ``block`` a layer or a list of layers applied in sequence (same in/out shape)."""

    kind = "residual"

    def __init__(self, block):
        layers = list(block) if isinstance(block, list | tuple) else [block]
        if not layers or not all(isinstance(b, Layer) for b in layers):
            raise InputError("Residual(block): block must be a layer or a non-empty list of layers")
        self.block = [copy.deepcopy(b) for b in layers]

    def build(self, in_shape, state):
        """Build the block's layers in sequence (see :meth:`Layer.build`); the block must map ``in_shape`` to
        itself (:class:`~verify.errors.ShapeError` otherwise)."""
        self.in_shape = tuple(in_shape)
        self.params, self.number = [], None
        shape = self.in_shape
        label = state["label"]
        for j, b in enumerate(self.block):
            state["label"] = f"{label}.block[{j}]"
            shape = b.build(shape, state)
        state["label"] = label
        if shape != self.in_shape:
            raise ShapeError(f"Residual: the block maps {self.in_shape} to {shape}; x + block(x) needs equal shapes")
        self.out_shape = shape
        return shape

    def children(self):
        """The block's layers."""
        return self.block

    def sites(self):
        """The sites of the block's layers, in order."""
        return [s for b in self.block for s in b.sites()]

    def forward(self, ops, P, x):
        """x + block(x)."""
        y = x
        for b in self.block:
            y = b.forward(ops, P, y)
        return ops.add(x, y)

    def degree(self, d, scaled):
        """d if the block's output has the same degree d as its input (so that x + block(x) is homogeneous), else
        None."""
        e = d
        for b in self.block:
            e = b.degree(e, scaled)
            if e is None:
                return None
        return d if sp.simplify(_exact(e) - _exact(d)) == 0 else None

    def rational(self):
        return all(b.rational() for b in self.block)

    def __repr__(self):
        return f"Residual([{', '.join(map(repr, self.block))}])"


# ============================================================================ attention
class SelfAttention(Layer):
    """Softmax self-attention over the T tokens of an input (T, d_model).

    Q = X W_Qᵀ (+ b_Q), K, V likewise (heads·d_k × d_model each); head h uses the columns
    h·d_k … (h+1)·d_k − 1; A_h = softmax_rows(Q_h K_hᵀ / √d_k); out = [A_1 V_1, …, A_H V_H] W_Oᵀ (+ b_O).
    Parameters in θ: ``Q{l}``, ``K{l}``, ``V{l}``, ``O{l}`` (d_model × heads·d_k), then with bias ``bQ{l}``,
    ``bK{l}``, ``bV{l}``, ``bO{l}``. Softmax is not rational: no exact arithmetic (use ball).
    """

    has_params = True
    kind = "attention"

    def __init__(self, d_model: int, heads: int = 1, d_k=None, bias: bool = False):
        self.d_model = positive_int(d_model, "d_model")
        self.heads = positive_int(heads, "heads")
        if d_k is None:
            if self.d_model % self.heads:
                raise InputError(f"d_model = {self.d_model} is not divisible by heads = {self.heads}: give d_k")
            d_k = self.d_model // self.heads
        self.d_k = positive_int(d_k, "d_k")
        if not isinstance(bias, bool | np.bool_):
            raise InputError(f"bias must be True or False, got {bias!r}")
        self.bias = bool(bias)

    def _build(self, in_shape, state):
        if len(in_shape) != 2 or in_shape[1] != self.d_model:
            raise ShapeError(f"SelfAttention({self.d_model}) needs inputs of shape (tokens, {self.d_model}), "
                             f"got {in_shape}")
        l, hd = self.number, self.heads * self.d_k
        self.params = [(f"Q{l}", (hd, self.d_model)), (f"K{l}", (hd, self.d_model)), (f"V{l}", (hd, self.d_model)),
                       (f"O{l}", (self.d_model, hd))]
        if self.bias:
            self.params += [(f"bQ{l}", (hd,)), (f"bK{l}", (hd,)), (f"bV{l}", (hd,)), (f"bO{l}", (self.d_model,))]
        return in_shape

    def forward(self, ops, P, x):
        """[A_1 V_1, …, A_H V_H] W_Oᵀ (+ b_O) with A_h = softmax_rows(Q_h K_hᵀ / √d_k) (see the class docstring)."""
        l, H, dk = self.number, self.heads, self.d_k
        n, T = x.shape[0], self.in_shape[0]

        def proj(name):
            y = ops.linear(x, P[f"{name}{l}"])
            if self.bias:
                y = ops.add_bias(y, P[f"b{name}{l}"])
            y = ops.reshape(y, (n, T, H, dk))
            return ops.reshape(ops.transpose(y, (0, 2, 1, 3)), (n * H, T, dk))

        q, k, v = proj("Q"), proj("K"), proj("V")  # (n·H, T, d_k) each
        scores = ops.scale(ops.bmm(q, ops.transpose(k, (0, 2, 1))), RSqrt(dk))
        z = ops.bmm(ops.softmax(scores), v)  # (n·H, T, dk)
        z = ops.reshape(ops.transpose(ops.reshape(z, (n, H, T, dk)), (0, 2, 1, 3)), (n, T, H * dk))
        y = ops.linear(z, P[f"O{l}"])
        return ops.add_bias(y, P[f"bO{l}"]) if self.bias else y

    def degree(self, d, scaled):
        """None: softmax attention is not positively homogeneous."""
        return None

    def rational(self):
        return False

    def __repr__(self):
        return f"SelfAttention({self.d_model}, heads={self.heads}, d_k={self.d_k}, bias={self.bias})"
