"""Homogeneity claims of ``shared/theory/homogeneous_np.md`` (Kumar & Haupt; §2.1, claims C1 and C2).

* C1 [D] Euler's identity: ``<w, ∇_w H(x; w)> = L·H(x; w)``, and per block ``<W_l, ∇_{W_l} H> = k_l H``.
* C2 [D] Homogeneity: ``H(x; c·w) = c^L H(x; w)`` for c > 0; adding biases must break it.

How each instance is decided:

* ``exact`` (rational w, x; activations polynomial on pieces): the identity is evaluated in rational
  arithmetic, so the instance is PROVED (or REFUTED) outright;
* ``ball`` (Arb, 128 bits): an enclosure excluding 0 REFUTES; otherwise the result is SUPPORTED with a
  certified bound |residual| ≤ ε (balls cannot certify an equality);
* ``symbolic``: C2 for *all* x, w and c > 0 of an architecture, per activation pattern (sympy);
* negative controls: biases, or a non-homogeneous activation (tanh) with a claimed degree, must be
  REFUTED with a certified counterexample.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from verify import MLP
from verify.homogeneous import check_euler_identity, check_homogeneity, prove_homogeneity_symbolic
from verify.report import ProofCheck
from verify.result import Verdict

PAPER = "homogeneous_np (Kumar & Haupt, arXiv:2509.12154)"
REF = "shared/theory/homogeneous_np.md"
P, R, S = Verdict.PROVED, Verdict.REFUTED, Verdict.SUPPORTED


def _rationals(seed: int, shape, den: int = 7) -> np.ndarray:
    """Reproducible small rationals k/den with |k| ≤ 2·den (object array of Fractions).

    ``den`` = 7 is not a power of 2, so balls cannot represent the inputs exactly and the ``ball``
    instances exercise genuine enclosures (dyadic inputs would make Arb compute exactly).
    """
    rng = np.random.default_rng(seed)
    ks = rng.integers(-2 * den, 2 * den + 1, size=shape)
    out = np.empty(shape, dtype=object)
    for idx, k in np.ndenumerate(ks):
        out[idx] = Fraction(int(k), den)
    return out


def _instance(widths, act, bias=False, n=5, seed=0):
    net = MLP(widths, act, bias=bias)
    theta = _rationals(seed + 1000, (net.n_params,))
    if bias:  # a nonzero output bias makes the negative control fail for a reason, not by luck
        theta[net.block(f"b{net.depth}").slice] = Fraction(1, 3)
    return net, _rationals(seed, (n, widths[0])), theta


def _label(net: MLP, arith: str, extra: str = "") -> str:
    acts = ",".join(a.name for a in net.activations)
    L = net.homogeneity_degree
    deg = f" L={L}" if L is not None else ""
    return f"{acts} {net.widths}{' +bias' if net.bias else ''}{deg}, {arith}{extra}"


CHECKS: list[ProofCheck] = []


def _add(claim, net, arith, expected, run, extra="", negative=False):
    CHECKS.append(ProofCheck(
        name=f"homogeneous_np/{claim}/{_label(net, arith, extra).replace(' ', '')}",
        claim=f"{claim} " + ("Euler identity" if claim == "C1" else "homogeneity"),
        instance=_label(net, arith, extra), expected=expected, run=run, paper=PAPER,
        reference=f"{REF} §2.1, {claim}", negative_control=negative))


# ---------------------------------------------------------------- C1: Euler's identity
for widths, act, seed in [([3, 4, 1], "relu", 1), ([2, 3, 3, 1], ("relu_power", 2), 2),
                          ([3, 4, 4, 1], ("leaky_relu", "1/10"), 3), ([2, 3, 1], "abs", 4)]:
    net, X, th = _instance(widths, act, seed=seed)
    _add("C1", net, "exact", P, lambda net=net, X=X, th=th: check_euler_identity(net, X, th, "exact"))
    _add("C1", net, "ball", S, lambda net=net, X=X, th=th: check_euler_identity(net, X, th, "ball", 128))

# relu^(3/2): not polynomial on its piece, so only balls (certified bound, SUPPORTED)
net, X, th = _instance([2, 4, 1], ("relu_power", "3/2"), seed=5)
_add("C1", net, "ball", S, lambda net=net, X=X, th=th: check_euler_identity(net, X, th, "ball", 128))
# the theory file's toy figure: float-precision agreement for relu^2 with L = 3
net, X, th = _instance([3, 5, 1], ("relu_power", 2), seed=6)
_add("C1", net, "float", S, lambda net=net, X=X, th=th: check_euler_identity(net, X, th, "float"))

# negative controls: biases (claimed degree 2), and tanh (not homogeneous, claimed degree 2)
net, X, th = _instance([3, 4, 1], "relu", bias=True, seed=7)
_add("C1", net, "exact", R, lambda net=net, X=X, th=th: check_euler_identity(net, X, th, "exact", degree=2),
     extra=", claimed L=2", negative=True)
_add("C1", net, "ball", R, lambda net=net, X=X, th=th: check_euler_identity(net, X, th, "ball", 128, degree=2),
     extra=", claimed L=2", negative=True)
net, X, th = _instance([2, 3, 1], "tanh", seed=8)
_add("C1", net, "ball", R, lambda net=net, X=X, th=th: check_euler_identity(net, X, th, "ball", 128, degree=2),
     extra=", claimed L=2", negative=True)

# ---------------------------------------------------------------- C2: homogeneity
for widths, act, c, seed in [([3, 4, 1], "relu", Fraction(3, 7), 11),
                             ([2, 3, 3, 1], ("relu_power", 2), Fraction(5, 2), 12),
                             ([3, 4, 4, 1], ("leaky_relu", "1/10"), Fraction(1, 3), 13)]:
    net, X, th = _instance(widths, act, seed=seed)
    _add("C2", net, "exact", P, lambda net=net, X=X, th=th, c=c: check_homogeneity(net, X, th, c, "exact"),
         extra=f", c={c}")
    _add("C2", net, "ball", S, lambda net=net, X=X, th=th, c=c: check_homogeneity(net, X, th, c, "ball", 128),
         extra=f", c={c}")
net, X, th = _instance([2, 4, 1], ("relu_power", "3/2"), seed=14)
_add("C2", net, "ball", S, lambda net=net, X=X, th=th: check_homogeneity(net, X, th, 2, "ball", 128), extra=", c=2")

# for all x, w, c > 0: symbolic proof per activation pattern
for widths, act in [([2, 2, 2, 1], "relu"), ([2, 2, 2, 1], ("relu_power", 2)), ([2, 2, 2, 1], ("leaky_relu", "1/10")),
                    ([2, 3, 1], "abs"), ([2, 2, 1], ("relu_power", "3/2")), ([2, 2, 1], ("power", 3))]:
    net = MLP(widths, act)
    _add("C2", net, "symbolic", P, lambda net=net: prove_homogeneity_symbolic(net), extra=", all x,w,c")

# negative control: biases break homogeneity
net, X, th = _instance([3, 4, 1], "relu", bias=True, seed=15)
_add("C2", net, "exact", R, lambda net=net, X=X, th=th: check_homogeneity(net, X, th, 2, "exact", degree=2),
     extra=", c=2, claimed L=2", negative=True)
_add("C2", net, "ball", R, lambda net=net, X=X, th=th: check_homogeneity(net, X, th, 2, "ball", 128, degree=2),
     extra=", c=2, claimed L=2", negative=True)
