"""What the homogeneous-network analyses need from a network, through the model API only.

Every analysis of :mod:`verify.homogeneous` accepts any :class:`~verify.models.nn.Sequential` (``vf.MLP``
is one) that is positively homogeneous in its parameters: bias-free ``Dense``/``Conv1d``/``Conv2d``
layers, positively homogeneous activations (relu, leaky_relu, abs, relu_power, power, identity),
max/avg pooling, ``Flatten``, residual blocks whose branch has the degree of its input. Outputs,
gradients, Jacobians and Hessians come from the objectives (:class:`~verify.models.SquareLoss`,
:class:`NCFObjective` below), the order of θ from ``net.layout``; nothing here re-implements a forward pass.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..errors import InputError, NotHomogeneousError, ShapeError
from ..models.dataset import Dataset
from ..models.objective import NetworkLoss, SquareLoss
from ..numbers import fraction_array


def require_network(net, what: str = "net"):
    """``net`` must be a :class:`verify.MLP` or a :class:`verify.nn.Sequential`."""
    from ..models.nn.graph import Sequential

    if not isinstance(net, Sequential):
        raise InputError(f"{what} must be a verify.MLP or a verify.nn.Sequential, got {type(net).__name__}")
    return net


def why_not_homogeneous(net) -> str:
    """Why ``net.homogeneity_degree`` is None, naming the first offending layer."""
    for layer in net.all_layers:
        if getattr(layer, "bias", False) and layer.kind in ("dense", "conv"):
            return (f"the network has biases ({layer!r}), which break positive homogeneity; use bias=False")
        if layer.kind == "attention":
            return (f"softmax attention ({layer!r}) is not positively homogeneous in its weights (softmax(c·s) ≠ "
                    "c^k softmax(s))")
        if layer.kind == "act" and layer.sigma.homogeneity_degree is None:
            return (f"the activation {layer.sigma.name} is not positively homogeneous (σ(cz) ≠ c^k σ(z)); use relu, "
                    "leaky_relu, abs, relu_power or power")
    for layer in net.all_layers:
        if layer.kind == "residual":
            return (f"the residual block {layer!r} adds its input to a branch of another degree (x + f(x) is "
                    "homogeneous only when f has the degree of x)")
    if net.n_params == 0:
        return "the network has no parameters"
    return "its homogeneity degree is 0 (the output does not scale with the parameters)"


def require_homogeneous(net):
    """The homogeneity degree L of ``net`` (an int or an exact sympy Rational), or a
    :class:`~verify.errors.NotHomogeneousError` naming why there is none."""
    require_network(net)
    L = net.homogeneity_degree
    if L is None:
        raise NotHomogeneousError(f"{net!r} is not positively homogeneous: {why_not_homogeneous(net)}")
    return L


def data_rows(net, X, what: str = "X") -> np.ndarray:
    """Inputs as an exact (n, d) object array of Fractions, d = ``net.input_dim``: ``X`` a Dataset, an
    (n, d) array, an (n, *input_shape) array (images, token sequences; flattened row-major) or one point
    (a vector of d numbers)."""
    if isinstance(X, Dataset):
        rows = X.X_exact
    else:
        rows = fraction_array(X, what=what)
        if rows.ndim == 1:
            rows = rows.reshape(1, -1)
        elif rows.ndim > 2:
            if tuple(rows.shape[1:]) != tuple(net.input_shape):
                raise ShapeError(f"{what} must be (n, {net.input_dim}) or (n, *{tuple(net.input_shape)}) for this "
                                 f"network, got shape {rows.shape}")
            rows = rows.reshape(rows.shape[0], -1)
    if rows.ndim != 2 or rows.shape[1] != net.input_dim or rows.shape[0] == 0:
        raise ShapeError(f"{what} must be (n, {net.input_dim}) (or (n, *{tuple(net.input_shape)})) for this network "
                         f"with n ≥ 1, got shape {rows.shape}")
    return rows


def outputs_objective(net, rows) -> SquareLoss:
    """A square loss with zero labels on the inputs ``rows``: its ``outputs`` are H(X; θ) (n × k) and its
    ``jacobian`` is ∂H/∂θ (n·k × p, row i·k + o)."""
    n, k = rows.shape[0], net.output_dim
    return SquareLoss(net, Dataset(rows, np.zeros((n, k), dtype=int)))


class NCFObjective(NetworkLoss):
    """N_z(θ) = Σ_io z_io H_io(X; θ): the network "loss" with ℓ(F) = z·F, ℓ' = z, ℓ'' = 0 (the weights z
    are the labels of the dataset). Value, reverse-mode gradient ∇N = Jᵀz, Hessian ∇²N = Σ z_io ∇²H_io
    and Hessian-vector products in every arithmetic, by the network's own engine."""

    def _check_labels(self, net, data):
        if data.k != net.output_dim:
            raise ShapeError(f"z must give {net.output_dim} weights per data point, got {data.k}")

    def _ell(self, F, Y, a, order):
        out = [Y * F]
        if order >= 1:
            out.append(Y)
        if order >= 2:
            out.append(a.zeros(F.shape) if a.dtype is object else np.zeros(F.shape))
        return out

    def _symbolic_loss(self, outs):
        terms = []
        for i, f in enumerate(outs):
            for o, fo in enumerate(f):
                q = self.data.Y_exact[i, o]
                terms.append(sp.Rational(q.numerator, q.denominator) * fo)
        return sp.Add(*terms)


# ------------------------------------------------------------------------------ units (channels, neurons)
_BETWEEN = ("act", "maxpool", "avgpool", "flatten")


def units(net):
    """The hidden units of a chain network, or ``(None, why)``.

    A unit is an output neuron of a hidden ``Dense`` layer or an output channel of a hidden convolution:
    ``(l, j, idx)`` with l the parameterised layer's number, j the unit and idx the θ indices of its
    incoming weights (row j of W_l, or the kernel W_l[j]) and of its outgoing weights (the entries of
    W_{l+1} that read it). Defined for a top-level chain of bias-free Dense/Conv layers separated only by
    activations, pooling and Flatten, where each unit reaches the next parameterised layer on its own
    (a channel stays a channel through elementwise activations and per-channel pooling). Returns
    ``(units, plan)``; ``plan`` is what :func:`reduced` needs."""
    layers = net.layers
    pos = [i for i, layer in enumerate(layers) if layer.has_params]
    for layer in layers:
        if layer.kind not in ("dense", "conv", *_BETWEEN):
            return None, f"the network has a {type(layer).__name__} layer (units are defined for chains of " \
                         "Dense/Conv layers with activations, pooling and Flatten between them)"
        if layer.kind in ("dense", "conv") and layer.bias:
            return None, "the network has biases"
    idx = net.views(np.arange(net.n_params))
    plan, out = [], []
    for t, i in enumerate(pos):
        layer = layers[i]
        W = np.asarray(idx[f"W{layer.number}"])
        if t == len(pos) - 1:
            plan.append({"layer": layer, "W": W})
            break
        nxt = layers[pos[t + 1]]
        between = layers[i + 1:pos[t + 1]]
        Wn = np.asarray(idx[f"W{nxt.number}"])
        if layer.kind == "conv":
            m = layer.cout
            flat = [b for b in between if b.kind == "flatten"]
            if nxt.kind == "conv" and not flat:
                outgoing = [Wn[:, j].reshape(-1) for j in range(m)]
                cols = None
            elif nxt.kind == "dense" and flat and len(nxt.in_shape) == 1:
                S = nxt.in_shape[0] // m  # flattened (C, *spatial): channel j is a contiguous run of S entries
                cols = [list(range(j * S, (j + 1) * S)) for j in range(m)]
                outgoing = [Wn[:, c].reshape(-1) for c in cols]
            else:
                return None, f"{layer!r} feeds {nxt!r} in a way that mixes its channels"
        else:  # dense: units on the last axis
            m = layer.out
            if any(b.kind in ("maxpool", "avgpool", "flatten") for b in between) or nxt.kind != "dense" \
                    or len(layer.out_shape) != 1:
                return None, f"{layer!r} feeds {nxt!r} through pooling/reshaping (its units do not stay separate)"
            outgoing = [Wn[:, j] for j in range(m)]
            cols = None
        for j in range(m):
            out.append((layer.number, j, np.concatenate([W[j].reshape(-1), outgoing[j]]).astype(int)))
        plan.append({"layer": layer, "W": W, "cols": cols, "between": between, "m": m})
    return out, plan


def reduced(net, plan, pinned):
    """The network without the ``pinned`` units [(l, j)], and the θ index (in ``net``) of each of its
    parameters; (None, None) when a hidden layer would be left without units (then the output is ≡ 0)."""
    from ..models import nn

    pinned = set(pinned)
    layers, where, keep_in = [], [], None  # keep_in: kept input columns/channels of the next layer (None: all)
    for t, step in enumerate(plan):
        layer, W = step["layer"], step["W"]
        last = t == len(plan) - 1
        m = W.shape[0]
        keep = list(range(m)) if last else [j for j in range(m) if (layer.number, j) not in pinned]
        if not keep:
            return None, None
        if layer.kind == "conv":
            cin = layer.cin if keep_in is None else len(keep_in)
            new = type(layer)(cin, len(keep), layer.kernel, stride=layer.stride, padding=layer.padding, bias=False)
            Wk = W[keep] if keep_in is None else W[keep][:, keep_in]
        else:
            new = nn.Dense(len(keep), bias=False)
            Wk = W[keep] if keep_in is None else W[np.ix_(keep, keep_in)]
        layers.append(new)
        where.append(Wk.reshape(-1))
        if last:
            break
        layers.extend(step["between"])  # activations, pooling, Flatten: Sequential rebuilds copies of them
        keep_in = keep if step["cols"] is None else [c for j in keep for c in step["cols"][j]]
    # the layers after the last parameterised one (e.g. a final activation or pooling) are kept as they are
    layers.extend(net.layers[net.layers.index(plan[-1]["layer"]) + 1:])
    small = nn.Sequential(*layers, input_shape=net.input_shape)
    return small, np.concatenate(where).astype(int)


def canonical_order(net, u, digits: int = 12):
    """``u`` with the hidden units of each hidden layer permuted into a canonical order, and the permutations.

    The NCF, the loss and every quantity the toolkit computes on a chain network are invariant under permuting
    the units of a hidden layer (the unit's incoming row of W_l moves with its outgoing column of W_{l+1}), so KKT
    points found from different starts are the same point up to such permutations. The canonical order, applied
    layer by layer from the first hidden layer to the last: units sorted by the Euclidean norm of their weights
    (incoming and outgoing, :func:`units`) in *decreasing* order, ties broken by the unit's weight vector in
    lexicographic order (decreasing); norms and vectors are compared after rounding to ``digits`` significant
    digits, so the order of two units equal to that accuracy does not depend on float noise below it. The sort is
    stable, so units equal after rounding keep their relative order (then they are interchangeable up to that
    accuracy). The result does not depend on how the units of ``u`` were permuted (up to such near-ties), and
    applying it twice changes nothing.

    Returns ``(u_canonical, perms)`` with ``perms[l] = [j_0, j_1, …]``: the unit now at position k was unit j_k of
    ``u``. For a network without units (biases, residual blocks, …) ``u`` is returned unchanged with ``{}``."""
    u = np.asarray(u)
    found, _ = units(net)
    if not found:
        return u.copy(), {}
    by_layer: dict = {}
    for layer, j, ix in found:
        by_layer.setdefault(layer, []).append((j, ix))
    out = u.copy()
    perms = {}

    def rounded(x) -> float:
        x = float(x)
        return float(f"{x:.{digits}g}") if np.isfinite(x) else x

    for layer in sorted(by_layer):
        group = sorted(by_layer[layer], key=lambda t: t[0])
        cur = out.copy()
        keys = []
        for _j, ix in group:
            w = np.asarray(cur[ix], dtype=float)
            keys.append((-rounded(np.linalg.norm(w)), tuple(-rounded(v) for v in w)))
        order = sorted(range(len(group)), key=lambda k: keys[k])
        for pos, k in enumerate(order):
            out[group[pos][1]] = cur[group[k][1]]
        perms[layer] = [group[k][0] for k in order]
    return out, perms
