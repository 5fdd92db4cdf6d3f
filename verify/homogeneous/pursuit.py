"""Neuron Pursuit for two-layer homogeneous networks, its GD baseline, and the small-initialisation
experiment (Kumar & Haupt, arXiv:2509.12154; ``docs/theory/homogeneous_np.md`` §2.2–2.5, §3.3 [R], claims C4–C6, C16).

The loss is ½ Σ_i (H(x_i) − y_i)² (the convention of ``docs/theory/homogeneous_np.md`` §2.1). Every choice the
theory leaves open
(insertion scale, restarts, inner optimiser and its budget, tolerances) is a parameter.

Neuron Pursuit (two-layer, σ = relu^p, p ≥ 1 — ReLU is p = 1): at the current weights, with residual
r = y − H(X), the best new neuron maximises the residual NCF; for one unit (a, b) this is
max_{‖â‖=1} |g(â)|, g(â) = Σ_i r_i σ(âᵀx_i), with u* = (√(p/(p+1)) â, sign(g)/√(p+1)) and
N* = (p+1)^(−1/2) (p/(p+1))^(p/2) |g(â)| (the closed form of ``docs/theory/homogeneous_np.md`` §3.3). The
unit is inserted at scale δ_add·u*, then all weights are trained by GD with Armijo backtracking. Stops:
N* ≤ tol_N (no escape direction), loss ≤ tol_L, zero residual, or max_neurons.

Everything here is float64 numerical experimentation (evidence, never a certificate). Float paths use
the one-sided convention relu′(0) = 0 (and (relu^p)′(0) = 0), as ``torch.relu`` and ``jax.nn.relu``:
a pre-activation of exactly 0.0 — integer data, a zero data row, a dead unit — is not an error here
(the local helpers below and :mod:`verify.models` in float arithmetic both use it). Only certified
(ball/exact) evaluations raise :class:`~verify.errors.RegionBoundaryError` at a kink.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .. import validate as V
from ..arith import get_arith
from ..errors import InputError, IntegrationError, RegionBoundaryError
from ..models import MLP, Dataset, SquareLoss, activations
from ..numbers import to_fraction
from .ncf import require_homogeneous

_FLOAT = get_arith("float")


def _degree(activation) -> int | Fraction:
    act = activations.get(activation)
    k = act.homogeneity_degree
    if k is None or act.name not in ("relu",) and not act.name.startswith("relu_power"):
        raise InputError(f"Neuron Pursuit is implemented for σ = relu^p (relu, relu_power(p)); got {act.name}")
    return k


def _loss_for(data: Dataset, activation, m: int) -> SquareLoss:
    return SquareLoss(MLP([data.d, m, 1], activation), data, normalization="half_sum")


def _two_layer(d: int, m: int, activation="relu") -> MLP:
    return MLP([d, m, 1], activation)


def _theta_from_units(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """θ of the two-layer net with incoming weights A (m × d) and output weights b (m,), in the network's
    own parameter order (its ParamLayout)."""
    A = np.asarray(A, dtype=float)
    return np.asarray(_two_layer(A.shape[1], A.shape[0]).flatten({"W1": A, "W2": np.asarray(b, float).reshape(1, -1)}),
                      dtype=float)


def _units_from_theta(theta: np.ndarray, d: int, m: int):
    """(A, b) of a two-layer net's θ (the inverse of :func:`_theta_from_units`)."""
    v = _two_layer(d, m).views(np.asarray(theta, dtype=float))
    return np.asarray(v["W1"], float), np.asarray(v["W2"], float).reshape(-1)


def _relu_power_activation(p):
    """σ = relu^p from the activation catalogue (p = 1: relu)."""
    q = to_fraction(p, what="p")
    if q == 1:
        return activations.get("relu")
    return activations.get(("relu_power", f"{q.numerator}/{q.denominator}"))


def _sigma(act, z, order: int = 1):
    """[σ(z), σ'(z), …] in float64 by the catalogue activation (one-sided convention σ'(b) = left piece at a
    breakpoint, relu′(0) = 0, as torch)."""
    return act(np.asarray(z, dtype=float), _FLOAT, order)


def _hidden_state(loss, theta):
    """Forward/backward quantities of a bias-free MLP loss at θ (float64), from the network's layer-wise
    engine: pre-activations z_l (n × m_l), hidden outputs h_l (h_0 = X) and the back-propagated signals
    g_l = ∂H/∂z_l (n × m_l; g_D = 1), l = 1..D. Neuron Pursuit inserts fully-connected hidden units and needs
    exactly these per-neuron quantities, which only the MLP engine exposes."""
    from ..models.layerwise import Layerwise

    eng = loss._engine(_FLOAT)
    if not isinstance(eng, Layerwise) or loss.net.bias:
        raise InputError("Neuron Pursuit's machinery inserts hidden neurons into a bias-free fully connected network "
                         f"(vf.MLP); got {loss.net!r}")
    X, _ = loss.data.in_arith(_FLOAT)
    th = np.asarray(theta, dtype=float)
    fw = eng.forward(th, X, 1)
    n = X.shape[0]
    dz, _ = eng.adjoints(fw, np.ones((n, loss.net.output_dim)))
    return fw["z"], fw["hh"], dz


def _positive_float(x, what: str) -> float:
    v = V.finite_float(x, what)
    if not v > 0:
        raise InputError(f"{what} must be > 0, got {x!r}")
    return v


def _nonneg_float(x, what: str) -> float:
    v = V.finite_float(x, what)
    if v < 0:
        raise InputError(f"{what} must be ≥ 0, got {x!r}")
    return v


def _dataset(data, what: str = "data", scalar: bool = True) -> Dataset:
    from ..models.nn.graph import Sequential

    if isinstance(data, Sequential):
        raise InputError(f"{what} must be a verify.Dataset, got the network {data!r}: Neuron Pursuit, its GD baseline, "
                         "the Theorem-7 experiments and the saddle analysis insert fully connected hidden neurons "
                         "into two-layer (or deep) MLPs they build from the data themselves; for another homogeneous "
                         "network (a CNN) use max_ncf, certify_kkt, ncf_flow or small_init_experiment")
    if not isinstance(data, Dataset):
        if not isinstance(data, tuple | list) or len(data) != 2:
            raise InputError(f"{what} must be a verify.Dataset or a pair (X, y), got {type(data).__name__}")
        data = Dataset(*data)
    if scalar and data.k != 1:
        raise InputError(f"{what}: Neuron Pursuit needs scalar labels (y of shape (n,)), got {data.k} outputs")
    return data


def _unit(v, n: int, what: str) -> np.ndarray:
    """A finite nonzero float vector of n entries, normalised."""
    arr = np.asarray(v, dtype=object).reshape(-1) if np.ndim(v) else np.asarray([v], dtype=object)
    if arr.shape != (n,):
        raise InputError(f"{what} must have {n} entries, got shape {np.shape(v)}")
    out = np.array([V.finite_float(x, f"{what}[{i}]") for i, x in enumerate(arr)])
    nrm = np.linalg.norm(out)
    if not nrm > 0:
        raise InputError(f"{what} must be nonzero (it is normalised to a unit vector)")
    return out / nrm


def _finite_vector(v, n: int, what: str) -> np.ndarray:
    arr = np.asarray(v, dtype=object).reshape(-1) if np.ndim(v) else np.asarray([v], dtype=object)
    if arr.shape != (n,):
        raise InputError(f"{what} must have {n} entries, got shape {np.shape(v)}")
    return np.array([V.finite_float(x, f"{what}[{i}]") for i, x in enumerate(arr)])


def _delta_tau(delta, tau) -> tuple[float, Fraction]:
    dq = float(V.positive_rational(delta, "δ"))
    if not dq > 0:
        raise InputError(f"δ = {delta!r} underflows to 0 in float64; take a larger δ")
    return dq, V.positive_rational(tau, "τ")


def armijo_gd(loss, theta, steps: int, tol_grad: float = 1e-10, eta0: float = 1.0):
    """GD with Armijo backtracking (float64); returns (θ, loss history)."""
    theta = np.asarray(theta, dtype=float)
    L, g = loss.value_and_grad(theta)
    L, g = float(L), np.asarray(g, dtype=float)
    hist = [L]
    eta = eta0
    for _ in range(steps):
        gg = float(g @ g)
        if math.sqrt(gg) < tol_grad:
            break
        while eta > 1e-16:
            t = theta - eta * g
            Lt, gt = loss.value_and_grad(t)
            if float(Lt) <= L - 0.5 * eta * gg:
                theta, L, g = t, float(Lt), np.asarray(gt, dtype=float)
                eta *= 1.3
                break
            eta /= 2
        else:
            break
        hist.append(L)
    return theta, hist


#: the adaptive inner budget of Neuron Pursuit (``inner_steps=None``): Armijo GD in chunks of INNER_CHUNK steps, going
#: on while a chunk lowers the loss by at least the fraction INNER_REL_DECREASE, at most INNER_MAX_STEPS steps
INNER_CHUNK = 2000
INNER_REL_DECREASE = 1e-3
INNER_MAX_STEPS = 60_000


def adaptive_armijo_gd(loss, theta, tol_grad: float = 1e-10, tol_L: float = 0.0, *, chunk: int = INNER_CHUNK,
                       rel_decrease: float = INNER_REL_DECREASE, max_steps: int = INNER_MAX_STEPS):
    """:func:`armijo_gd` with an adaptive budget: chunks of ``chunk`` steps while the last chunk lowered the loss by
    at least ``rel_decrease`` relative to its start (L_end ≤ (1 − rel_decrease)·L_start), the loss is above ``tol_L``
    and the gradient norm above ``tol_grad``; at most ``max_steps`` steps. A fixed budget either stops a slowly
    converging fit early (5,000 steps leave small teachers unrecovered) or wastes steps on a plateau; this one
    spends steps only while they pay. Returns (θ, loss history)."""
    hist = None
    steps = 0
    while steps < max_steps:
        n = min(chunk, max_steps - steps)
        theta, h = armijo_gd(loss, theta, n, tol_grad)
        hist = h if hist is None else hist + h[1:]
        steps += len(h) - 1
        if len(h) - 1 < n or h[-1] <= tol_L or not h[-1] < (1 - rel_decrease) * h[0]:
            break
    return theta, hist


def best_unit_direction(X: np.ndarray, r: np.ndarray, p, *, restarts: int = 10, steps: int = 300, seed: int = 0):
    """max over the unit sphere of |g(â)|, g(â) = Σ r_i relu(âᵀx_i)^p: projected ascent (with restarts) on g and
    on −g (float64, relu′(0) = 0). Returns (â, g(â))."""
    restarts, steps = V.positive_int(restarts, "restarts"), V.positive_int(steps, "steps")
    X, r = np.asarray(X, dtype=float), np.asarray(r, dtype=float).reshape(-1)
    if X.ndim != 2 or r.shape != (X.shape[0],) or not (np.all(np.isfinite(X)) and np.all(np.isfinite(r))):
        raise InputError(f"X must be a finite (n, d) array and r a finite vector of n entries; got shapes "
                         f"{X.shape} and {r.shape}")
    rng = np.random.default_rng(V.nonneg_int(seed, "seed"))
    act = _relu_power_activation(p)

    def f_and_grad(a, sign):
        z = X @ a
        s, ds = _sigma(act, z)
        return sign * float(r @ s), sign * (X.T @ (r * ds))

    best = None
    for sign in (1.0, -1.0):
        a, v = _sphere_ascent(lambda u, sign=sign: f_and_grad(u, sign), X.shape[1], restarts, steps, rng)
        if best is None or v > best[1]:
            best = (a, v, sign)
    a, v, sign = best
    return a, sign * v


@dataclass
class PursuitResult:
    """The outcome of :func:`neuron_pursuit` (float64 experimentation, no certificate).

    * ``theta`` — the final weights, in the parameter order of the final network (``loss.net``);
    * ``neurons`` — the number of hidden units inserted;
    * ``history`` — one dict per iteration (the residual NCF maximum N*, the loss after the inner GD, the
      neurons …);
    * ``stop_reason`` — why the pursuit stopped (N* ≤ tol_N: no escape direction; loss ≤ tol_L; zero residual;
      ``max_neurons`` reached);
    * ``loss`` — the :class:`~verify.models.SquareLoss` of the final network (½ Σ (H − y)², normalization
      ``"half_sum"``), or None before the first insertion."""

    theta: np.ndarray
    neurons: int
    history: list = field(default_factory=list)
    stop_reason: str = ""
    loss: SquareLoss | None = None


def neuron_pursuit(data: Dataset, activation="relu", depth: int = 2, *, max_neurons: int = 10,
                   delta_add: float = 0.1, restarts: int = 10, ncf_steps: int = 300, inner_steps: int | None = None,
                   tol_N: float = 1e-8, tol_L: float = 1e-12, tol_grad: float = 1e-10, test_data: Dataset | None = None,
                   seed: int = 0) -> PursuitResult:
    """Greedy Neuron Pursuit (see the module docstring); ``history`` has one row per iteration.
    ``depth`` > 2 uses the deep insertion rule (:func:`_deep_pursuit`). ``inner_steps``: the Armijo GD budget after
    each insertion — None (default) is adaptive (:func:`adaptive_armijo_gd`: chunks of :data:`INNER_CHUNK` steps
    while the loss keeps falling by :data:`INNER_REL_DECREASE` per chunk, at most :data:`INNER_MAX_STEPS`), an
    integer a fixed number of steps."""
    depth = V.integer(depth, "depth", minimum=2)
    max_neurons = V.positive_int(max_neurons, "max_neurons")
    restarts = V.positive_int(restarts, "restarts")
    ncf_steps = V.positive_int(ncf_steps, "ncf_steps")
    inner_steps = None if inner_steps is None else V.nonneg_int(inner_steps, "inner_steps")
    seed = V.nonneg_int(seed, "seed")
    delta_add = _positive_float(delta_add, "delta_add")
    tol_N, tol_L, tol_grad = (_nonneg_float(t, w) for t, w in ((tol_N, "tol_N"), (tol_L, "tol_L"),
                                                             (tol_grad, "tol_grad")))
    data = _dataset(data)
    if test_data is not None:
        test_data = _dataset(test_data, "test_data")
        if test_data.d != data.d:
            raise InputError(f"test_data has {test_data.d} features but data has {data.d}")
    if depth > 2:
        return _deep_pursuit(data, activation, depth, max_neurons=max_neurons, delta_add=delta_add, restarts=restarts,
                             ncf_steps=ncf_steps, inner_steps=inner_steps, tol_N=tol_N, tol_L=tol_L, tol_grad=tol_grad,
                             test_data=test_data, seed=seed)
    p = _degree(activation)
    require_homogeneous(MLP([data.d, 1, 1], activation))
    X, y = np.asarray(data.X, float), np.asarray(data.y, float).reshape(-1)
    d = data.d
    A, b = np.zeros((0, d)), np.zeros(0)
    out = PursuitResult(np.zeros(0), 0)
    t0 = time.perf_counter()
    pf = float(p)
    for it in range(1, max_neurons + 1):
        m = len(b)
        H = np.asarray(_loss_for(data, activation, m).outputs(_theta_from_units(A, b)), float).reshape(-1) if m \
            else np.zeros(len(y))
        r = y - H
        if not np.any(r):
            out.stop_reason = "zero residual: nothing to pursue"
            break
        a_hat, g = best_unit_direction(X, r, p, restarts=restarts, steps=ncf_steps, seed=seed + it)
        n_star = (pf + 1) ** -0.5 * (pf / (pf + 1)) ** (pf / 2) * abs(g)
        if n_star <= tol_N:
            out.stop_reason = f"max residual NCF N* = {n_star:.3g} ≤ tol_N: no escape direction"
            break
        a_new = delta_add * math.sqrt(pf / (pf + 1)) * a_hat
        b_new = delta_add * math.copysign(1.0, g) / math.sqrt(pf + 1)
        A, b = np.vstack([A, a_new]), np.append(b, b_new)
        loss = _loss_for(data, activation, len(b))
        theta, hist = _inner(loss, _theta_from_units(A, b), inner_steps, tol_grad, tol_L)
        A, b = _units_from_theta(theta, d, len(b))
        row = {"iteration": it, "neurons": len(b), "N_star": n_star, "train_loss": hist[-1],
               "inner_steps": len(hist) - 1, "time": time.perf_counter() - t0}
        if test_data is not None:
            row["test_loss"] = float(_loss_for(test_data, activation, len(b)).value(theta))
        out.history.append(row)
        out.theta, out.neurons, out.loss = theta, len(b), loss
        if hist[-1] <= tol_L:
            out.stop_reason = f"training loss {hist[-1]:.3g} ≤ tol_L"
            break
    else:
        out.stop_reason = f"max_neurons = {max_neurons} reached"
    return out


def _inner(loss, theta, inner_steps, tol_grad, tol_L):
    """The inner training of Neuron Pursuit: adaptive (``inner_steps`` None) or a fixed number of Armijo steps."""
    if inner_steps is None:
        return adaptive_armijo_gd(loss, theta, tol_grad, tol_L)
    return armijo_gd(loss, theta, inner_steps, tol_grad)


def _sphere_ascent(f_and_grad, dim: int, restarts: int, steps: int, rng):
    """max f on the unit sphere by projected ascent with backtracking, best of ``restarts`` random starts."""
    best_v, best_u = -np.inf, None
    for _ in range(restarts):
        u = rng.standard_normal(dim)
        u /= np.linalg.norm(u)
        v, g = f_and_grad(u)
        h = 0.5
        for _ in range(steps):
            rg = g - (g @ u) * u
            if np.linalg.norm(rg) < 1e-12:
                break
            while h > 1e-12:
                c = u + h * rg
                c /= np.linalg.norm(c)
                vc, gc = f_and_grad(c)
                if vc > v:
                    u, v, g, h = c, vc, gc, h * 1.5
                    break
                h /= 2
            else:
                break
        if v > best_v:
            best_v, best_u = v, u
    return best_u, best_v


def _deep_pursuit(data, activation, depth, *, max_neurons, delta_add, restarts, ncf_steps, inner_steps, tol_N, tol_L,
                  tol_grad, test_data, seed) -> PursuitResult:
    """Neuron Pursuit for depth ≥ 3 (``docs/theory/homogeneous_np.md`` §3.3 [R]). Start: one unit per hidden layer along
    the best KKT direction of the NCF at the origin (``max_ncf``), scaled by δ_add, then trained. Each iteration: for
    every hidden layer l, the leading-order residual NCF of a new unit with incoming a (from layer l−1) and outgoing
    b (to layer l+1), N_l(a, b) = Σ_i r_i (g_l(x_i)ᵀ b) σ(aᵀ h_{l−1}(x_i)), g_l = ∂H/∂z_{l+1}, is maximised on the
    unit sphere (restarts); the unit goes into the layer with the largest N*, at scale δ_add, and all weights are
    trained by Armijo GD. ``history`` rows carry the chosen layer."""
    from .ncf import max_ncf

    _degree(activation)
    act = activations.get(activation)
    y = np.asarray(data.y, float).reshape(-1)
    widths = [data.d] + [1] * (depth - 1) + [1]
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    out = PursuitResult(np.zeros(0), 0)
    net = MLP(widths, activation)
    kkt = max_ncf(net, data.X_exact, y, restarts=restarts, seed=seed, refine=False, certify=False)
    if not kkt:
        out.stop_reason = "no positive NCF direction at the origin: nothing to pursue"
        return out
    theta = delta_add * kkt[0].u
    n_star0 = kkt[0].N
    for it in range(1, max_neurons + 1):
        loss = SquareLoss(MLP(widths, activation), data, normalization="half_sum")
        theta, hist = _inner(loss, theta, inner_steps, tol_grad, tol_L)
        row = {"iteration": it, "neurons": sum(widths[1:-1]), "widths": list(widths), "N_star": n_star0,
               "train_loss": hist[-1], "inner_steps": len(hist) - 1, "time": time.perf_counter() - t0}
        if test_data is not None:
            row["test_loss"] = float(SquareLoss(MLP(widths, activation), test_data, normalization="half_sum")
                                     .value(theta))
        out.history.append(row)
        out.theta, out.neurons, out.loss = theta, row["neurons"], loss
        if hist[-1] <= tol_L:
            out.stop_reason = f"training loss {hist[-1]:.3g} ≤ tol_L"
            return out
        if it == max_neurons:
            break
        views = loss.net.views(theta)
        Ws = [np.asarray(views[f"W{l}"], float) for l in range(1, depth + 1)]
        zs, hs, gs = _hidden_state(loss, theta)  # z_l, h_l and the back-propagated g_l = ∂H/∂z_l
        r = y - np.asarray(zs[depth], float).reshape(-1)
        if not np.any(r):
            out.stop_reason = "zero residual: nothing to pursue"
            return out
        best = (-np.inf, None, None)
        for l in range(1, depth):
            Hin, G = np.asarray(hs[l - 1], float), np.asarray(gs[l + 1], float)
            din = Hin.shape[1]

            def fg(u, Hin=Hin, G=G, din=din, r=r):
                a, b = u[:din], u[din:]
                s, ds = _sigma(act, Hin @ a)
                gb = G @ b
                val = float(r @ (gb * s))
                grad = np.concatenate([Hin.T @ (r * gb * ds), G.T @ (r * s)])
                return val, grad

            u, v = _sphere_ascent(fg, din + G.shape[1], restarts, ncf_steps, rng)
            if v > best[0]:
                best = (v, l, u)
        n_star, l, u = best
        if n_star <= tol_N:
            out.stop_reason = f"max residual NCF N* = {n_star:.3g} ≤ tol_N over all layers: no escape direction"
            return out
        din = Ws[l - 1].shape[1]
        Ws[l - 1] = np.vstack([Ws[l - 1], delta_add * u[:din]])
        Ws[l] = np.hstack([Ws[l], delta_add * u[din:].reshape(-1, 1)])
        widths[l] += 1
        new_net = MLP(widths, activation)
        theta = np.asarray(new_net.flatten({f"W{k + 1}": W for k, W in enumerate(Ws)}), dtype=float)
        n_star0 = n_star
        out.history[-1]["next_layer"] = l
    out.stop_reason = out.stop_reason or f"max_neurons = {max_neurons} iterations reached"
    return out


def gd_small_init(data: Dataset, activation="relu", width: int = 8, *, delta: float = 1e-3, steps: int = 20000,
                  eta: float | None = None, test_data: Dataset | None = None, seed: int = 0, record_every: int = 100):
    """Plain GD from small initialisation δ·w0 (‖w0‖ = 1) on a two-layer net of ``width`` units — the
    baseline for Neuron Pursuit. ``eta`` None: Armijo backtracking. Returns (θ, history rows)."""
    delta = _positive_float(delta, "δ")
    width = V.positive_int(width, "width")
    steps = V.positive_int(steps, "steps")
    record_every = V.positive_int(record_every, "record_every")
    eta = None if eta is None else _positive_float(eta, "eta")
    data = _dataset(data)
    if test_data is not None:
        test_data = _dataset(test_data, "test_data")
    loss = _loss_for(data, activation, width)
    require_homogeneous(loss.net)
    rng = np.random.default_rng(V.nonneg_int(seed, "seed"))
    w0 = rng.standard_normal(loss.n_params)
    theta = delta * w0 / np.linalg.norm(w0)
    t0 = time.perf_counter()
    hist = []
    if eta is None:
        done = 0
        while done < steps:
            k = min(record_every, steps - done)
            theta, h = armijo_gd(loss, theta, k)
            done += k
            hist.append({"step": done, "train_loss": h[-1], "time": time.perf_counter() - t0})
            if len(h) - 1 < k:
                break
    else:
        for k in range(1, steps + 1):
            theta = theta - eta * np.asarray(loss.grad(theta), dtype=float)
            if k % record_every == 0 or k == steps:
                hist.append({"step": k, "train_loss": float(loss.value(theta)), "time": time.perf_counter() - t0})
    if test_data is not None and hist:
        hist[-1]["test_loss"] = float(_loss_for(test_data, activation, width).value(theta))
    return theta, hist


#: GD steps allowed in one small-initialisation run (≈ 20 µs each on a small net)
MAX_STEPS = 2_000_000


def _gd_for_time(loss, w, tau, delta: float, degree, eta=None):
    """GD on ``loss`` from w up to real time t = τ/δ^(degree−2) (the rescaled NCF time τ) with a step of at most
    1e−2 (or ``eta``), refusing runs beyond MAX_STEPS. Returns (w, t_end, steps)."""
    t_end = float(tau) / delta ** (degree - 2)
    h = eta if eta is not None else min(1e-2, t_end / 2000)
    steps = max(1, int(round(t_end / h)))
    if steps > MAX_STEPS:
        from ..errors import SizeLimitError

        raise SizeLimitError(f"{steps:,} GD steps (t = τ/δ^(K−2) = {t_end:.3g} at step {h:g}) exceed the limit "
                             f"{MAX_STEPS:,}: take a larger δ, a smaller τ or a larger eta")
    h = t_end / steps
    for _ in range(steps):
        w = w - h * np.asarray(loss.grad(w), dtype=float)
    return w, t_end, steps


def small_init_experiment(net: MLP, data: Dataset, delta, tau, *, w0=None, eta=None, seed: int = 0) -> dict:
    """GD on ½‖H − y‖² from δ·w0 up to t = τ/δ^(L−2) (τ for L = 2) against the NCF flow u from w0 up to τ
    (claims C4–C6): returns ‖w(t)‖/δ, ‖u(τ)‖, cos(w(t), u(τ)) and cos with the flow's direction at τ."""
    from .ncf import ncf_flow

    L = require_homogeneous(net)
    dq, tau = _delta_tau(delta, tau)
    eta = None if eta is None else _positive_float(eta, "eta")
    data = _dataset(data, scalar=False)
    loss = SquareLoss(net, data, normalization="half_sum")
    rng = np.random.default_rng(V.nonneg_int(seed, "seed"))
    w0 = _unit(w0 if w0 is not None else rng.standard_normal(net.n_params), net.n_params, "w0")
    ts, U, direction = ncf_flow(net, np.asarray(data.X, float), np.asarray(data.y, float).reshape(-1), w0, tau)
    if ts[-1] < float(tau) * (1 - 1e-9):
        raise InputError(f"τ = {float(tau):g} is beyond the NCF flow's blow-up time (‖u‖ exceeded 1e6 near τ ≈ "
                         f"{ts[-1]:.4g}): the scaling law w(t) ≈ δ·u(δ^(L−2) t) only applies before it; take a "
                         "smaller τ")
    w, t_end, steps = _gd_for_time(loss, dq * w0, tau, dq, L, eta)
    u_tau = U[-1]
    cos = float(w @ u_tau / (np.linalg.norm(w) * np.linalg.norm(u_tau)))
    return {"L": L, "delta": dq, "t_end": t_end, "steps": steps, "norm_w_over_delta": float(np.linalg.norm(w) / dq),
            "norm_u_tau": float(np.linalg.norm(u_tau)), "cos_w_u_tau": cos,
            "cos_w_flow_direction": float(w @ direction / np.linalg.norm(w))}


def theorem7_experiment(data: Dataset, activation, theta_n: np.ndarray, m_n: int, m_z: int, delta, tau, *,
                        z0=None, seed: int = 0, eta=None) -> dict:
    """Start GD at the padded saddle (w̄_n, δ·z0) of a two-layer net with m_n trained units (θ_n) and m_z new
    units, run it to t = τ/δ^(K−2) (K the homogeneity degree of one unit), and compare with the residual-NCF
    flow z(τ) from z0 (``docs/theory/homogeneous_np.md`` §2.5, claim C13; separable two-layer case, where
    N_r(w_z) = rᵀH(X; w_z) exactly). Returns ‖w_n − w̄_n‖, ‖w_z‖/δ against ‖z(τ)‖ and cos(w_z, z(τ))."""
    from .ncf import ncf_flow

    dq, tau = _delta_tau(delta, tau)
    eta = None if eta is None else _positive_float(eta, "eta")
    m_n, m_z = V.positive_int(m_n, "m_n"), V.positive_int(m_z, "m_z")
    data = _dataset(data)
    d = data.d
    small = MLP([d, m_z, 1], activation)
    K = require_homogeneous(small)
    X, y = np.asarray(data.X, float), np.asarray(data.y, float).reshape(-1)
    theta_n = _finite_vector(theta_n, m_n * (d + 1), "θ_n")
    A_n, b_n = _units_from_theta(theta_n, d, m_n)
    r = y - np.asarray(_loss_for(data, activation, m_n).outputs(theta_n), float).reshape(-1)
    rng = np.random.default_rng(V.nonneg_int(seed, "seed"))
    z0 = _unit(z0 if z0 is not None else rng.standard_normal(small.n_params), small.n_params, "z0")
    ts, U, _ = ncf_flow(small, X, r, z0, tau)
    if ts[-1] < float(tau) * (1 - 1e-9):
        raise InputError(f"τ = {float(tau):g} is beyond the residual NCF flow's blow-up (near {ts[-1]:.4g})")
    A_z, b_z = _units_from_theta(dq * z0, d, m_z)
    A, b = np.vstack([A_n, A_z]), np.concatenate([b_n, b_z])
    loss = _loss_for(data, activation, m_n + m_z)
    w, t_end, _ = _gd_for_time(loss, _theta_from_units(A, b), tau, dq, K, eta)
    A2, b2 = _units_from_theta(w, d, m_n + m_z)
    wn = _theta_from_units(A2[:m_n], b2[:m_n])
    wz = _theta_from_units(A2[m_n:], b2[m_n:])
    z_tau = U[-1]
    return {"K": K, "delta": dq, "t_end": t_end, "drift_w_n": float(np.linalg.norm(wn - np.asarray(theta_n, float))),
            "norm_wz_over_delta": float(np.linalg.norm(wz) / dq), "norm_z_tau": float(np.linalg.norm(z_tau)),
            "cos_wz_z_tau": float(wz @ z_tau / (np.linalg.norm(wz) * np.linalg.norm(z_tau)))}


def deep_theorem7_experiment(data: Dataset, activation, theta_n: np.ndarray, widths_n, delta, tau, *, z0=None,
                             seed: int = 0, eta=None) -> dict:
    """Theorem-7 behaviour on a deep (three-layer, non-separable) network: a trained bias-free net with widths
    ``widths_n`` = [d, m1, m2, 1] gets one new first-layer unit with incoming weights a and outgoing weights b
    (to layer 2), started at δ·z0. To leading order its dynamics follow the residual NCF
    N(a, b) = Σ_i r_i (g(x_i)ᵀ b) σ(aᵀx_i), g(x) = ∂H(x; w̄_n)/∂z_2 the back-propagated signal at the layer-2
    pre-activations (``docs/theory/homogeneous_np.md`` §2.5 [R], degree K = p + 1). GD on the full network runs to
    t = τ/δ^(K−2); returns the drift of w_n, ‖w_z‖/δ against ‖u(τ)‖ and cos(w_z, u(τ))."""
    from scipy.integrate import solve_ivp

    dq, tau = _delta_tau(delta, tau)
    eta = None if eta is None else _positive_float(eta, "eta")
    data = _dataset(data)
    if isinstance(widths_n, str | bytes) or not hasattr(widths_n, "__len__") or len(widths_n) != 4:
        raise InputError(f"widths_n must be [d, m1, m2, 1], got {widths_n!r}")
    d, m1, m2, out = (V.positive_int(w, "a width in widths_n") for w in widths_n)
    if d != data.d:
        raise InputError(f"widths_n starts with d = {d} but the data have {data.d} features")
    if out != 1:
        raise InputError("a scalar-output network [d, m1, m2, 1] is needed")
    pq = to_fraction(_degree(activation))
    K = int(pq + 1) if pq.denominator == 1 else float(pq + 1)
    act = activations.get(activation)
    net_n = MLP([d, m1, m2, 1], activation)
    require_homogeneous(net_n)
    X, y = np.asarray(data.X, float), np.asarray(data.y, float).reshape(-1)
    theta_n = _finite_vector(theta_n, net_n.n_params, "θ_n")
    v = net_n.views(theta_n)
    W1, W2, W3 = (np.asarray(v[k], float) for k in ("W1", "W2", "W3"))
    zs, _, gs = _hidden_state(SquareLoss(net_n, data, normalization="half_sum"), theta_n)
    r = y - np.asarray(zs[3], float).reshape(-1)
    G = np.asarray(gs[2], float)  # g(x_i) = ∂H/∂z_2 (n × m2)

    def grad_N(u):
        a, b = u[:d], u[d:]
        s, ds = _sigma(act, X @ a)
        gb = G @ b
        return np.concatenate([X.T @ (r * gb * ds), G.T @ (r * s)])

    rng = np.random.default_rng(V.nonneg_int(seed, "seed"))
    z0 = _unit(z0 if z0 is not None else rng.standard_normal(d + m2), d + m2, "z0")
    res = solve_ivp(lambda t, u: grad_N(u), (0.0, float(tau)), z0, method="DOP853", rtol=1e-11, atol=1e-13)
    if not res.success:
        raise IntegrationError(f"the residual NCF flow did not reach τ = {float(tau):g}: {res.message}; take a "
                               "smaller τ")
    u_tau = res.y[:, -1]
    net = MLP([d, m1 + 1, m2, 1], activation)
    loss = SquareLoss(net, data, normalization="half_sum")
    W1b = np.vstack([W1, dq * z0[:d]])
    W2b = np.hstack([W2, dq * z0[d:].reshape(-1, 1)])
    w = net.flatten({"W1": W1b, "W2": W2b, "W3": W3})
    w, t_end, _ = _gd_for_time(loss, np.asarray(w, dtype=float), tau, dq, K, eta)
    vv = net.views(w)
    A, B, C = (np.asarray(vv[k], float) for k in ("W1", "W2", "W3"))
    wz = np.concatenate([A[m1], B[:, m1]])
    wn = np.concatenate([A[:m1].reshape(-1), B[:, :m1].reshape(-1), C.reshape(-1)])
    wn0 = np.concatenate([W1.reshape(-1), W2.reshape(-1), W3.reshape(-1)])
    return {"K": K, "delta": dq, "t_end": t_end, "drift_w_n": float(np.linalg.norm(wn - wn0)),
            "norm_wz_over_delta": float(np.linalg.norm(wz) / dq), "norm_u_tau": float(np.linalg.norm(u_tau)),
            "cos_wz_u_tau": float(wz @ u_tau / (np.linalg.norm(wz) * np.linalg.norm(u_tau))),
            "cos_u_tau_z0": float(u_tau @ z0 / np.linalg.norm(u_tau)), "residual_norm": float(np.linalg.norm(r))}


#: eigenvalues above −NEG_TOL count as "not negative": the point is stationary only to ~1e−8 and is
#: evaluated at an offset of 1e−8 off the kinks, which moves eigenvalues by that much
NEG_TOL = 1e-6


def saddle_analysis(data: Dataset, activation, theta: np.ndarray, m: int, *, offset: float = 1e-8, seed: int = 0,
                    prec: int = 128):
    """Classify the point θ of a two-layer net with m units, some of them zero, as a saddle of the loss
    ½ Σ (H − y)² (``docs/theory/homogeneous_np.md`` §6 C11, C12, C14): gradient norm; certified spectrum of the
    Hessian at (w̄_n, offset·z) just off the kinks (σ'' of relu² and σ' of ReLU have no value at the zero units); the
    escape certificate max N_r over one new unit (closed form of ``docs/theory/homogeneous_np.md`` §3.3). Returns
    a Result: SUPPORTED
    "strict saddle" (λ_min < −1e−6 certified), "degenerate saddle" (no eigenvalue below −1e−6 but
    max N_r > 0), or INCONCLUSIVE with the reason (not stationary, no escape direction)."""
    from ..result import Quantity, Result, Verdict
    from ..stability.minima import _lam_max_min, spectrum

    m = V.positive_int(m, "m")
    offset = _positive_float(offset, "offset")
    seed, prec = V.nonneg_int(seed, "seed"), V.precision(prec)
    data = _dataset(data)
    loss = _loss_for(data, activation, m)
    require_homogeneous(loss.net)
    w = _finite_vector(theta, loss.n_params, f"θ ({m} units)")
    near = w + offset * np.random.default_rng(seed).standard_normal(len(w)) * (w == 0)
    g = float(np.linalg.norm(np.asarray(loss.grad(near), float)))
    try:
        kind, eigs = spectrum(loss, near, prec)  # ball enclosures: a kink raises RegionBoundaryError
    except RegionBoundaryError as exc:
        return Result(Verdict.INCONCLUSIVE, claim="θ is a saddle of the loss", arithmetic="float",
                      certificate={"grad_norm": g, "offset": offset},
                      message=f"the Hessian spectrum cannot be enclosed at the offset point ({exc}); a pre-activation "
                              "stays on a kink there (e.g. a zero data row): no classification")
    (_, _, lo, hi), _ = _lam_max_min(kind, eigs)
    X, y = np.asarray(data.X, float), np.asarray(data.y, float).reshape(-1)
    r = y - np.asarray(loss.outputs(w), float).reshape(-1)
    p = float(_degree(activation))
    _, gval = best_unit_direction(X, r, p, restarts=10, seed=seed)
    n_star = (p + 1) ** -0.5 * (p / (p + 1)) ** (p / 2) * abs(gval)
    cert = {"grad_norm": g, "lambda_min": [float(lo), float(hi)], "spectrum": kind, "max_residual_ncf": n_star,
            "offset": offset}
    if g > 1e-6:
        verdict, cls = Verdict.INCONCLUSIVE, f"not a stationary point (‖∇‖ = {g:.2g})"
    elif hi < -NEG_TOL:
        verdict, cls = Verdict.SUPPORTED, "strict saddle"
    elif lo > -NEG_TOL and n_star > 0:
        verdict, cls = Verdict.SUPPORTED, "degenerate saddle (no negative eigenvalue; escape direction exists)"
    elif n_star <= 0:
        verdict, cls = Verdict.INCONCLUSIVE, "no escape direction over one new unit"
    else:
        verdict, cls = Verdict.INCONCLUSIVE, "λ_min enclosure straddles the threshold"
    cert["classification"] = cls
    return Result(verdict, claim="θ is a saddle of the loss", quantity=Quantity("max N_r", n_star), margin=n_star,
                  certificate=cert, arithmetic="float", message=f"{cls}: λ_min ∈ [{float(lo):.3g}, {float(hi):.3g}] at "
                  f"offset {offset:g}, ‖∇‖ = {g:.2g}, max N_r = {n_star:.4g}")
