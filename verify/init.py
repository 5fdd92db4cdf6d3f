"""Initialisations of network parameters (Chatterjee, arXiv:2203.16462;
``docs/theory/local_pl.md`` §3.3), for any ``vf.MLP`` or
``vf.nn.Sequential``, block by block through the network's ParamLayout (the order of θ is never assumed).

* :func:`positive` — Chatterjee-style positive initialisation of a bias-free chain network with one
  output: first parameterised layer W_1 = 0, the middle ones entrywise positive, the output layer
  = scale (the output scale λ). With σ(0) = 0 (tanh) the network output is ≡ 0 at θ0, L(θ0) = mean(y²)
  whatever λ, and the PL ratio at θ0 grows like λ² (``docs/theory/local_pl.md`` §3.3 facts 2–3, §6 claims
  7–9). Defined for chains
  of Dense/Conv layers separated by activations, pooling and Flatten (an MLP, or a CNN); refused for
  attention (softmax of zero scores is uniform, not a zero layer) and residual blocks (x + f(x) is not
  switched off by a zero first layer), with a clear error.
* :func:`xavier`, :func:`he` — the usual random initialisations (Glorot uniform, He normal), for
  comparison (``docs/theory/local_pl.md`` §6 claim 12). Fans as in PyTorch (``torch.nn.init``): a weight block of shape
  ``(out, in, *kernel)`` has fan_in = in·Π kernel and fan_out = out·Π kernel — for a dense layer (out, in),
  for a convolution in_channels·kernel size / out_channels·kernel size, and the query/key/value/output
  projections of attention as dense layers. Biases (1-D blocks) are 0.

All return a flat θ in ``net.param_names`` order (exact rationals for :func:`positive`, float64 otherwise).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from . import validate as V
from .errors import InputError
from .numbers import to_fraction

_CHAIN = ("dense", "conv", "act", "maxpool", "avgpool", "flatten")


def _network(net):
    from .models.nn.graph import Sequential

    if not isinstance(net, Sequential):
        raise InputError(f"expected a verify.MLP or a verify.nn.Sequential, got {type(net).__name__}")
    return net


def fans(shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight block of shape ``(out, in, *kernel)``: (in·Π kernel, out·Π kernel)."""
    shape = tuple(int(s) for s in shape)
    if len(shape) < 2:
        raise InputError(f"fans are defined for weight blocks of ≥ 2 axes (out, in, …), got shape {shape}")
    field = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * field, shape[0] * field


def positive(net, scale, *, low=Fraction(1, 2), high=Fraction(3, 2), seed: int = 0, den: int = 64) -> np.ndarray:
    """θ0 with the first parameterised layer 0, the middle ones in [low, high] (rationals k/den, seeded),
    the output layer = scale (see the module docstring)."""
    net = _network(net)
    for layer in net.all_layers:
        if layer.kind not in _CHAIN:
            raise InputError(f"the positive initialisation is defined for chains of dense/convolution layers (an MLP "
                             f"or a CNN); {layer!r} has no zero/positive/output role in it "
                             "(docs/theory/local_pl.md §3.3)")
        if layer.kind in ("dense", "conv") and layer.bias:
            raise InputError("the positive initialisation is defined for bias-free networks "
                             "(docs/theory/local_pl.md §3.3); "
                             f"{layer!r} has a bias")
    if net.output_dim != 1:
        raise InputError("the positive initialisation is defined for a scalar output")
    lam = to_fraction(scale, what="scale")
    lo, hi = to_fraction(low, what="low"), to_fraction(high, what="high")
    if lam <= 0 or lo <= 0 or hi < lo:
        raise InputError("need scale > 0 and 0 < low ≤ high")
    den = V.positive_int(den, "den")
    rng = np.random.default_rng(V.nonneg_int(seed, "seed"))
    numbers = sorted({b.layer for b in net.layout.blocks})
    if not numbers:
        raise InputError("the network has no parameters")
    theta = np.empty(net.n_params, dtype=object)
    kmin, kmax = int(np.ceil(lo * den)), int(np.floor(hi * den))
    if kmin > kmax:
        raise InputError(f"no rational k/{den} lies in [low, high] = [{lo}, {hi}]; raise den")
    for blk in net.layout.blocks:
        if blk.layer == numbers[0]:
            vals = [Fraction(0)] * blk.size
        elif blk.layer == numbers[-1]:
            vals = [lam] * blk.size
        else:
            ks = rng.integers(kmin, kmax + 1, size=blk.size)
            vals = [Fraction(int(k), den) for k in ks]
        theta[blk.slice] = vals
    return theta


def _random_weights(net, seed: int, draw) -> np.ndarray:
    """Weight blocks from ``draw(rng, fan_in, fan_out, size)``, biases 0 (float64)."""
    net = _network(net)
    rng = np.random.default_rng(V.nonneg_int(seed, "seed"))
    theta = np.zeros(net.n_params)
    for blk in net.layout.blocks:
        if len(blk.shape) >= 2:
            fan_in, fan_out = fans(blk.shape)
            theta[blk.slice] = draw(rng, fan_in, fan_out, blk.size)
    return theta


def xavier(net, *, seed: int = 0) -> np.ndarray:
    """Glorot uniform: W ~ U(−a, a), a = √(6/(fan_in + fan_out)); biases 0 (float64)."""
    return _random_weights(net, seed, lambda rng, fi, fo, k: rng.uniform(-1, 1, size=k) * np.sqrt(6.0 / (fi + fo)))


def he(net, *, seed: int = 0) -> np.ndarray:
    """He normal: W ~ N(0, 2/fan_in); biases 0 (float64)."""
    return _random_weights(net, seed, lambda rng, fi, fo, k: rng.normal(0.0, np.sqrt(2.0 / fi), size=k))
