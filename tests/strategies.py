"""Hypothesis strategies for small random instances (networks, data, rational parameters)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import assume
from hypothesis import strategies as st

import verify as vf
from verify.errors import RegionBoundaryError

CATALOGUE_SPECS = ["relu", ("leaky_relu", "1/10"), "abs", "hardtanh", "identity", ("power", 2), ("power", 3),
                   ("relu_power", 2), ("relu_power", "3/2"), "sigmoid", "tanh", "softplus"]
POLYNOMIAL_SPECS = [s for s in CATALOGUE_SPECS if vf.activations.get(s).polynomial_pieces]


def rationals(den: int = 7, bound: int = 20):
    """k/den with |k| ≤ bound; den = 7 keeps balls genuinely inexact."""
    return st.integers(-bound, bound).map(lambda k: Fraction(k, den))


@st.composite
def network_losses(draw, specs=CATALOGUE_SPECS, max_width=2, max_hidden_layers=1, logistic=True, max_output=30.0):
    """(loss, θ) for a small MLP of a catalogue activation, with θ strictly inside an activation region
    and network outputs |f| ≤ ``max_output`` (so that the sympy reference evaluates reliably)."""
    spec = draw(st.sampled_from(specs))
    d = draw(st.integers(1, 2))
    hidden = [draw(st.integers(1, max_width)) for _ in range(draw(st.integers(1, max_hidden_layers)))]
    k = draw(st.integers(1, 2)) if not logistic else 1
    widths = [d, *hidden, k]
    bias = draw(st.booleans())
    net = vf.MLP(widths, spec, bias=bias)
    n = draw(st.integers(1, 2))
    X = [[draw(rationals()) for _ in range(d)] for _ in range(n)]
    use_logistic = logistic and draw(st.booleans())
    if use_logistic:
        y = [draw(st.sampled_from([-1, 1])) for _ in range(n)]
        loss = vf.LogisticLoss(net, vf.Dataset(X, y))
    else:
        Y = [[draw(rationals()) for _ in range(k)] for _ in range(n)]
        norm = draw(st.sampled_from(["mean", "half_mean", "sum", "half_sum"]))
        loss = vf.SquareLoss(net, vf.Dataset(X, Y), normalization=norm)
    theta = [draw(rationals()) for _ in range(net.n_params)]
    if not all(a.analytic for a in net.activations):
        try:
            loss.region(theta)
        except RegionBoundaryError:
            assume(False)
    assume(float(abs(loss.outputs(theta)).max()) <= max_output)
    return loss, theta


@st.composite
def graph_network_losses(draw, kinds=("conv", "attention"), losses=("square", "cross_entropy", "logistic"),
                         max_output=30.0, **network_kw):
    """(loss, θ) for a small layer graph (a CNN or an attention network from ``vf.strategies``) with θ strictly
    inside an activation region (no undecidable max-pool tie) and outputs |f| ≤ ``max_output``."""
    loss = draw(st.sampled_from(list(losses)))
    inst = draw(vf.strategies.graph_instances(kinds=kinds, loss=loss, scale=2, **network_kw))
    obj, theta = inst.loss(), list(inst.theta)
    assume(float(abs(obj.outputs(theta)).max()) <= max_output)
    return obj, theta
