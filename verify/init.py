"""Initialisations of MLP parameters (Chatterjee, arXiv:2203.16462 §3.3).

* :func:`positive` — Chatterjee-style positive initialisation of a bias-free MLP: first layer
  W_1 = 0, hidden weights W_ℓ (ℓ ≥ 2) entrywise positive, output weights v = scale·1 (the output
  scale λ). With σ(0) = 0 (tanh) the network output is ≡ 0 at θ0, L(θ0) = mean(y²) whatever λ, and
  the PL ratio at θ0 grows like λ² (§3.3 facts 2–3, §6 claims 7–9).
* :func:`xavier`, :func:`he` — the usual random initialisations (Glorot uniform, He normal), for
  comparison (§6 claim 12).

All return a flat θ in ``net.param_names`` order (exact rationals for :func:`positive`).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .errors import InputError
from .models.mlp import MLP
from .numbers import to_fraction


def positive(net: MLP, scale, *, low=Fraction(1, 2), high=Fraction(3, 2), seed: int = 0, den: int = 64) -> np.ndarray:
    """θ0 with W_1 = 0, hidden W_ℓ ∈ [low, high] (rationals k/den, seeded), output weights = scale."""
    if not isinstance(net, MLP):
        raise InputError("positive() needs a verify.MLP")
    if net.bias:
        raise InputError("the positive initialisation is defined for bias-free MLPs (local_pl.md §3.3)")
    if net.output_dim != 1:
        raise InputError("the positive initialisation is defined for a scalar output")
    lam = to_fraction(scale, what="scale")
    lo, hi = to_fraction(low, what="low"), to_fraction(high, what="high")
    if lam <= 0 or lo <= 0 or hi < lo:
        raise InputError("need scale > 0 and 0 < low ≤ high")
    rng = np.random.default_rng(seed)
    theta = np.empty(net.n_params, dtype=object)
    D = net.depth
    for l in range(1, D + 1):
        blk = net.block(f"W{l}")
        if l == 1:
            vals = [Fraction(0)] * blk.size
        elif l == D:
            vals = [lam] * blk.size
        else:
            ks = rng.integers(int(lo * den), int(hi * den) + 1, size=blk.size)
            vals = [Fraction(int(k), den) for k in ks]
        theta[blk.slice] = vals
    return theta


def _random_weights(net: MLP, seed: int, draw) -> np.ndarray:
    """Weights W_ℓ from ``draw(rng, fan_in, fan_out, size)``, biases 0 (float64)."""
    rng = np.random.default_rng(seed)
    theta = np.zeros(net.n_params)
    for blk in net.blocks:
        if blk.name.startswith("W"):
            fan_out, fan_in = blk.shape
            theta[blk.slice] = draw(rng, fan_in, fan_out, blk.size)
    return theta


def xavier(net: MLP, *, seed: int = 0) -> np.ndarray:
    """Glorot uniform: W_ℓ ~ U(−a, a), a = √(6/(fan_in + fan_out)); biases 0 (float64)."""
    return _random_weights(net, seed, lambda rng, fi, fo, k: rng.uniform(-1, 1, size=k) * np.sqrt(6.0 / (fi + fo)))


def he(net: MLP, *, seed: int = 0) -> np.ndarray:
    """He normal: W_ℓ ~ N(0, 2/fan_in); biases 0 (float64)."""
    return _random_weights(net, seed, lambda rng, fi, fo, k: rng.normal(0.0, np.sqrt(2.0 / fi), size=k))
