"""Neuron Pursuit versus gradient descent from a small initialisation on real data (issue 15).

**What is compared.** Both methods fit a bias-free homogeneous network H(x; w) (σ = relu, relu^p, or — GD only —
leaky relu; ``docs/theory/homogeneous_np.md`` §2.1) to labels y ∈ {−1, +1} under the loss of Kumar & Haupt,
L(w) = ½ Σ_i (H(x_i; w) − y_i)² (``normalization="half_sum"``):

* **Neuron Pursuit** (NP; A. Kumar and J. Haupt, "Learning Neural Networks by Neuron Pursuit", arXiv:2509.12154;
  ``docs/theory/homogeneous_np.md`` §3.3) — start from the empty network; at each iteration maximise the
  *residual neural correlation function* N_r(u) = Σ_i r_i H(x_i; u), r = y − H(X; w), over one new unit u on the
  unit sphere; insert the maximiser at scale δ_add and retrain every weight by Armijo GD; stop when
  max N_r ≤ tol_N (no escape direction from the saddle), the loss is below tol_L, or ``max_neurons`` units were
  inserted. Depth 2 uses the closed form of a two-layer unit (u* ∝ (√(p/(p+1)) â, sign g/√(p+1))); depth 3 the deep
  insertion rule (the unit goes into the hidden layer with the largest residual NCF). Run through the public API
  :func:`verify.homogeneous.neuron_pursuit` (its inner budget is passed explicitly here).
* **GD from a small initialisation** — the same network with every hidden layer at ``gd_width`` units, started at
  w(0) = δ·w₀/‖w₀‖ (w₀ ~ N(0, I), seeded) and trained by plain GD (or the Armijo backtracking rule of NP's inner
  loop: accept the step η if L(w − η∇L) ≤ L(w) − ½η‖∇L‖², then η ← 1.3η; else halve η). By the small-initialisation
  theory (arXiv:2402.09226, arXiv:2403.08121) the weights first align with a KKT direction of the NCF at the origin,
  then grow; GD "discovers" neurons implicitly, NP inserts them explicitly. GD takes a fixed step η (default
  1/‖X‖₂²) — plain GD as practised — or, with ``gd_eta="armijo"``, NP's own backtracking rule.

**Reported per method** (:class:`MethodRun`): the training-loss curve against cumulative *gradient steps*
(NP: the inner Armijo steps after each insertion, one point per insertion; GD: every ``record_every`` steps), the
hidden neurons used (NP: inserted; GD: the width) and the *effective* neurons (units with
‖W_l[j, :]‖·‖W_{l+1}[:, j]‖ ≥ ``active_rel``·max over the layer and a non-zero activation on some training point),
wall-clock seconds (``time.perf_counter``; NP includes the NCF maximisations), final train/test loss, and train/test
classification error (the fraction of points with sign H(x) ≠ y; H(x) = 0 counts as an error).

Everything here is float64 numerical experimentation — evidence, never a certificate (no PROVED/REFUTED is
produced). Results are deterministic in ``seed`` (except the wall-clock times).

>>> import verify as vf
>>> data = vf.datasets.digits(classes=(0, 1), n=12, n_test=12, seed=0)          # doctest: +SKIP
>>> res = vf.experiments.np_vs_gd(data, depth=2, max_neurons=3, inner_steps=200)  # doctest: +SKIP
>>> print(res.table()); print(res.comparison)                                    # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .. import validate as V
from ..arith import get_arith
from ..errors import InputError
from ..models import MLP, Dataset, SquareLoss, activations

_FLOAT = get_arith("float")
METHODS = ("np", "gd")


# ------------------------------------------------------------------------------------------------ results
@dataclass
class MethodRun:
    """One method's run. ``curve`` is a list of (cumulative gradient steps, training loss) pairs, starting at step 0;
    ``widths`` the network's layer widths [d, m_1, …, 1] at the end; ``theta`` the final float64 weights (in
    ``vf.MLP(widths, activation)``'s parameter order); ``neurons`` the hidden units (NP: inserted, GD: the width),
    ``effective_neurons`` those that contribute (module docstring); ``wall_clock`` seconds; losses are
    ½ Σ (H − y)² (test loss None without test data), errors are fractions of misclassified points;
    ``extra``: NP's ``stop_reason`` and per-insertion ``history``, GD's δ and final Armijo step."""

    method: str
    curve: list
    widths: list
    theta: np.ndarray
    neurons: int
    effective_neurons: int
    wall_clock: float
    train_loss: float
    test_loss: float | None
    train_error: float
    test_error: float | None
    gradient_steps: int
    extra: dict = field(default_factory=dict)

    def row(self) -> str:
        """One row of :meth:`NPvsGD.table`: neurons, effective neurons, gradient steps, wall-clock seconds, train and
        test loss, train and test error (``—`` without test data)."""
        tl = "—" if self.test_loss is None else f"{self.test_loss:.4g}"
        te = "—" if self.test_error is None else f"{self.test_error:.3f}"
        return (f"{self.method:>4} {self.neurons:>7} {self.effective_neurons:>9} {self.gradient_steps:>8} "
                f"{self.wall_clock:>8.2f} {self.train_loss:>11.4g} {tl:>10} {self.train_error:>9.3f} {te:>9}")


@dataclass
class NPvsGD:
    """The result of :func:`np_vs_gd`: ``runs`` maps ``"np"``/``"gd"`` to a :class:`MethodRun`; ``comparison`` is a
    short text (what NP's greedy insertion bought and where it lost on this instance); ``settings`` every parameter
    used (with the data's description when it is a :class:`verify.datasets.LoadedData`)."""

    runs: dict
    comparison: str
    settings: dict

    @property
    def np(self) -> MethodRun | None:
        """The Neuron Pursuit run (:class:`MethodRun`), or None if it was not run."""
        return self.runs.get("np")

    @property
    def gd(self) -> MethodRun | None:
        """The plain gradient-descent run at the same width (:class:`MethodRun`), or None if it was not run."""
        return self.runs.get("gd")

    def table(self) -> str:
        """A plain-text table with a header and one :meth:`MethodRun.row` per method."""
        head = (f"{'':>4} {'neurons':>7} {'effective':>9} {'steps':>8} {'wall s':>8} {'train loss':>11} "
                f"{'test loss':>10} {'train err':>9} {'test err':>9}")
        return "\n".join([head] + [r.row() for r in self.runs.values()])

    def __str__(self) -> str:
        return self.table() + "\n" + self.comparison


# ------------------------------------------------------------------------------------------------ helpers
def _activation(activation):
    """The catalogue activation, its degree p, and whether Neuron Pursuit implements it (σ = relu^p)."""
    act = activations.get(activation)
    p = act.homogeneity_degree
    if p is None:
        raise InputError(f"np_vs_gd needs a positively homogeneous activation (relu, ('relu_power', p), leaky_relu); "
                         f"got {act.name}, which is not homogeneous")
    np_ok = act.name == "relu" or act.name.startswith("relu_power")
    if not (np_ok or act.name.startswith("leaky_relu")):
        raise InputError(f"np_vs_gd supports relu, relu^p (('relu_power', p)) and leaky_relu; got {act.name}")
    return act, p, np_ok


def _pm1_data(data, what: str) -> Dataset:
    if not isinstance(data, Dataset):
        raise InputError(f"{what} must be a verify.Dataset (e.g. vf.datasets.digits(classes=(0, 1), n=…, n_test=…)), "
                         f"got {type(data).__name__}")
    if data.k != 1:
        raise InputError(f"{what} needs scalar ±1 labels (encoding='pm1'), got {data.k} outputs per point")
    ys = set(np.asarray(data.Y_exact, dtype=object).reshape(-1).tolist())
    if not ys <= {-1, 1}:
        raise InputError(f"{what} needs labels in {{−1, +1}} (vf.datasets.…(encoding='pm1'), binary or one_vs_rest); "
                         f"got the values {sorted(ys, key=float)[:5]}")
    return data


def _loss(widths, activation, data) -> SquareLoss:
    return SquareLoss(MLP(list(widths), activation), data, normalization="half_sum")


def _errors(widths, activation, theta, data) -> tuple[float, float]:
    """(½ Σ (H − y)², misclassified fraction) of the float64 network on ``data``."""
    loss = _loss(widths, activation, data)
    out = np.asarray(loss.outputs(theta), dtype=float).reshape(-1)
    y = np.asarray(data.y, dtype=float).reshape(-1)
    return float(loss.value(theta)), float(np.mean(np.sign(out) != y))


def _effective(widths, activation, theta, data, rel: float) -> int:
    """Hidden units with ‖incoming‖·‖outgoing‖ ≥ rel·(max of the layer) > 0 and σ(z) ≠ 0 on some training point."""
    net = MLP(list(widths), activation)
    views = net.views(np.asarray(theta, dtype=float))
    Ws = [np.asarray(views[f"W{k}"], dtype=float) for k in range(1, len(widths))]
    act = activations.get(activation)
    h = np.asarray(data.X, dtype=float)
    count = 0
    for l in range(len(Ws) - 1):
        z = h @ Ws[l].T
        h = np.asarray(act(z, _FLOAT, 0)[0], dtype=float)
        s = np.linalg.norm(Ws[l], axis=1) * np.linalg.norm(Ws[l + 1], axis=0)
        top = float(s.max()) if s.size else 0.0
        if top > 0:
            count += int(np.sum((s >= rel * top) & np.any(h != 0, axis=0)))
    return count


def _armijo(loss, theta, steps: int, record_every: int, tol_L: float):
    """Armijo-backtracking GD (module docstring), ``steps`` accepted steps at most; returns (θ, curve, steps, η,
    kink steps). A ReLU kink just along −∇L (the one-sided gradient, relu′(0) = 0, misses the other piece) can defeat
    the sufficient-decrease test for every η ≥ 1e−16; such a step takes the tried η with the lowest loss below L, or,
    if none lowers it, a plain GD step at a tenth of the last accepted η (counted as kink steps); the run stops
    (kink steps < 0) only when the loss stops being finite."""
    L, g = loss.value_and_grad(theta)
    L, g = float(L), np.asarray(g, dtype=float)
    curve, eta, k, kinks = [(0, L)], 1.0, 0, 0
    eta_acc = eta
    while k < steps and L > tol_L:
        gg = float(g @ g)
        if not gg > 0 or not math.isfinite(gg):
            break
        best = None
        while eta > 1e-16:
            t = theta - eta * g
            Lt, gt = loss.value_and_grad(t)
            Lt = float(Lt)
            if Lt <= L - 0.5 * eta * gg:
                theta, L, g = t, Lt, np.asarray(gt, dtype=float)
                eta *= 1.3
                break
            if Lt < L and (best is None or Lt < best[1]):
                best = (t, Lt, gt, eta)
            eta /= 2
        else:
            # no sufficient decrease down to η = 1e-16: −∇L meets a ReLU kink within a tiny step (the one-sided
            # gradient misses the other piece). Take the trial with the lowest loss below L, if any; else stall.
            if best is None:  # a plain GD step at a tenth of the last accepted η (GD is no descent method at a kink)
                eta = eta_acc / 10
                t = theta - eta * g
                Lt, gt = loss.value_and_grad(t)
                if not math.isfinite(float(Lt)):
                    kinks = -1 - kinks
                    break
                best = (t, float(Lt), gt, eta)
            theta, L, g, eta = best[0], best[1], np.asarray(best[2], dtype=float), best[3]
            kinks += 1
        eta_acc = eta
        k += 1
        if k % record_every == 0:
            curve.append((k, L))
        if kinks < 0:
            break
    if curve[-1][0] != k:
        curve.append((k, L))
    return theta, curve, k, eta, kinks


# ------------------------------------------------------------------------------------------------ the experiment
def np_vs_gd(data, depth: int = 2, activation="relu", *, test_data=None, methods=METHODS, max_neurons: int = 6,
             delta_add=0.1, restarts: int = 5, ncf_steps: int = 300, inner_steps: int = 2000, tol_N=1e-8,
             tol_L=1e-10, gd_width: int | None = None, gd_delta=1e-2, gd_eta=None, gd_steps: int | None = None,
             record_every: int = 50, active_rel=1e-2, seed: int = 0) -> NPvsGD:
    """Neuron Pursuit versus GD from a small initialisation on ``data`` (module docstring for the math).

    Parameters
    ----------
    data : verify.Dataset
        The training data, labels ±1 — e.g. ``vf.datasets.digits(classes=(0, 1), n=40, n_test=100)`` (binary) or
        ``vf.datasets.digits(one_vs_rest=3, n=40, n_test=100)`` (one-vs-rest). Its ``.test`` (from ``n_test``) is
        the test set unless ``test_data`` is given.
    depth : int
        2 or 3, the number of weight layers (bias-free [d, m, 1] or [d, m₁, m₂, 1]).
    activation : str or tuple
        ``"relu"`` or ``("relu_power", p)`` (relu^p, e.g. p = 2) for both methods; ``"leaky_relu"`` (or
        ``("leaky_relu", a)``) only with ``methods=("gd",)``: Neuron Pursuit's unit maximisation is implemented for
        relu^p.
    test_data : verify.Dataset, optional
        The test set (labels ±1, the features of ``data``); default ``data.test``.
    methods : tuple of str
        Which of ``"np"``, ``"gd"`` to run.
    max_neurons, delta_add, restarts, ncf_steps, inner_steps, tol_N, tol_L : int or float
        Neuron Pursuit's parameters (:func:`verify.homogeneous.neuron_pursuit`; ``inner_steps`` is the fixed
        Armijo budget after each insertion).
    gd_width : int, optional
        The width of every hidden layer of the GD network; default ``max_neurons`` for depth 2 and
        ⌈max_neurons/2⌉ for depth 3 (the same total number of hidden units as NP's budget).
    gd_delta : float
        The initial scale δ = ‖w(0)‖ of GD.
    gd_eta : None, float or str
        GD's step: None (default) the fixed step η = 1/‖X‖₂² (X the n × d data matrix), a positive number a fixed
        step, or ``"armijo"`` for Armijo backtracking (which can stall at ReLU kinks: the one-sided gradient is then
        no descent direction, see :func:`_armijo`).
    gd_steps : int, optional
        GD's budget of steps; default: the total inner steps NP used (the same number of gradient steps), or 5,000
        without NP.
    record_every : int
        GD's loss-curve spacing (steps).
    active_rel : float
        The threshold of the effective-neuron count.
    seed : int
        The seed of NP's NCF restarts and of GD's w₀.

    Returns
    -------
    NPvsGD
        The two runs; ``res.table()`` and ``res.comparison`` print the figures and the comparison.

    Raises
    ------
    verify.errors.InputError
        For bad arguments: depth not 2 or 3, labels not ±1, a non-homogeneous activation, NP with leaky relu,
        mismatched test features, non-positive scales."""
    depth = V.integer(depth, "depth", minimum=2, maximum=3)
    act, p, np_ok = _activation(activation)
    if isinstance(methods, str) or not hasattr(methods, "__iter__"):
        raise InputError(f"methods must be a tuple drawn from {METHODS}, got {methods!r}")
    methods = tuple(methods)
    if not methods or len(set(methods)) != len(methods):
        raise InputError(f"methods must be a non-empty tuple of distinct names from {METHODS}, got {methods!r}")
    for m in methods:
        V.one_of(m, METHODS, "method")
    if "np" in methods and not np_ok:
        raise InputError(f"Neuron Pursuit maximises the residual NCF of one unit for σ = relu^p only; {act.name} is "
                         "homogeneous but not implemented there — pass methods=('gd',) to run GD alone")
    data = _pm1_data(data, "data")
    if test_data is None:
        test_data = getattr(data, "test", None)
    if test_data is not None:
        test_data = _pm1_data(test_data, "test_data")
        if test_data.d != data.d:
            raise InputError(f"test_data has {test_data.d} features but data has {data.d}")
    max_neurons = V.positive_int(max_neurons, "max_neurons")
    restarts, ncf_steps = V.positive_int(restarts, "restarts"), V.positive_int(ncf_steps, "ncf_steps")
    inner_steps = V.positive_int(inner_steps, "inner_steps")
    delta_add = float(V.positive_rational(delta_add, "delta_add"))
    gd_delta = float(V.positive_rational(gd_delta, "gd_delta"))
    if not (delta_add > 0 and gd_delta > 0):
        raise InputError("delta_add and gd_delta must not underflow to 0 in float64")
    tol_N, tol_L = float(V.nonneg_rational(tol_N, "tol_N")), float(V.nonneg_rational(tol_L, "tol_L"))
    record_every = V.positive_int(record_every, "record_every")
    active_rel = V.rational(active_rel, "active_rel")
    if not 0 < active_rel <= 1:
        raise InputError(f"active_rel must lie in (0, 1], got {active_rel!r}")
    active_rel = float(active_rel)
    seed = V.nonneg_int(seed, "seed")
    if gd_width is None:
        gd_width = max_neurons if depth == 2 else max(1, -(-max_neurons // 2))
    gd_width = V.positive_int(gd_width, "gd_width")
    if gd_steps is not None:
        gd_steps = V.positive_int(gd_steps, "gd_steps")
    if gd_eta is not None and not (isinstance(gd_eta, str) and gd_eta == "armijo"):
        gd_eta = float(V.positive_rational(gd_eta, "gd_eta"))
        if not gd_eta > 0 or not math.isfinite(gd_eta):
            raise InputError("gd_eta must be a positive float64 number or 'armijo'")

    runs = {}
    if "np" in methods:
        runs["np"] = _run_np(data, test_data, depth, activation, max_neurons=max_neurons, delta_add=delta_add,
                             restarts=restarts, ncf_steps=ncf_steps, inner_steps=inner_steps, tol_N=tol_N,
                             tol_L=tol_L, active_rel=active_rel, seed=seed)
    if "gd" in methods:
        steps = gd_steps if gd_steps is not None else (max(100, runs["np"].gradient_steps) if "np" in runs else 5000)
        runs["gd"] = _run_gd(data, test_data, depth, activation, gd_width, gd_delta, steps, record_every, tol_L,
                             active_rel, seed, gd_eta)
    runs = {m: runs[m] for m in methods}
    settings = {"depth": depth, "activation": act.name, "degree": p, "n": data.n, "d": data.d,
                "n_test": None if test_data is None else test_data.n, "max_neurons": max_neurons,
                "delta_add": delta_add, "restarts": restarts, "ncf_steps": ncf_steps, "inner_steps": inner_steps,
                "tol_N": tol_N, "tol_L": tol_L, "gd_width": gd_width, "gd_delta": gd_delta,
                "gd_eta": runs["gd"].extra.get("eta", "armijo") if "gd" in runs else gd_eta,
                "gd_steps": runs["gd"].extra["budget"] if "gd" in runs else gd_steps, "record_every": record_every,
                "active_rel": active_rel, "seed": seed, "data": getattr(data, "description", repr(data))}
    return NPvsGD(runs, comparison_text(runs), settings)


def _run_np(data, test_data, depth, activation, *, max_neurons, delta_add, restarts, ncf_steps, inner_steps, tol_N,
            tol_L, active_rel, seed) -> MethodRun:
    from ..homogeneous import neuron_pursuit

    y = np.asarray(data.y, dtype=float).reshape(-1)
    t0 = time.perf_counter()
    res = neuron_pursuit(data, activation, depth, max_neurons=max_neurons, delta_add=delta_add, restarts=restarts,
                         ncf_steps=ncf_steps, inner_steps=inner_steps, tol_N=tol_N, tol_L=tol_L, seed=seed)
    wall = time.perf_counter() - t0
    curve, steps = [(0, 0.5 * float(y @ y))], 0
    for row in res.history:
        steps += int(row["inner_steps"])
        curve.append((steps, float(row["train_loss"])))
    if res.neurons == 0:  # nothing inserted: the empty network H = 0
        widths = [data.d] + [0] * (depth - 1) + [1]
        tr_l, tr_e = 0.5 * float(y @ y), 1.0
        te_l = te_e = None
        if test_data is not None:
            yt = np.asarray(test_data.y, dtype=float).reshape(-1)
            te_l, te_e = 0.5 * float(yt @ yt), 1.0
        eff = 0
    else:
        widths = list(res.history[-1].get("widths", [data.d, res.neurons, 1]))
        tr_l, tr_e = _errors(widths, activation, res.theta, data)
        te_l, te_e = (None, None) if test_data is None else _errors(widths, activation, res.theta, test_data)
        eff = _effective(widths, activation, res.theta, data, active_rel)
    return MethodRun("np", curve, widths, np.asarray(res.theta, dtype=float), res.neurons, eff, wall, tr_l, te_l,
                     tr_e, te_e, steps, {"stop_reason": res.stop_reason, "history": list(res.history)})


def _fixed(loss, theta, eta: float, steps: int, record_every: int, tol_L: float):
    """Plain GD θ ← θ − η∇L(θ) (float64, relu′(0) = 0); stops early at L ≤ tol_L or a non-finite loss."""
    L, g = loss.value_and_grad(theta)
    L = float(L)
    curve, k = [(0, L)], 0
    while k < steps and L > tol_L and math.isfinite(L):
        theta = theta - eta * np.asarray(g, dtype=float)
        L, g = loss.value_and_grad(theta)
        L = float(L)
        k += 1
        if k % record_every == 0:
            curve.append((k, L))
    if curve[-1][0] != k:
        curve.append((k, L))
    return theta, curve, k


def _run_gd(data, test_data, depth, activation, width, delta, steps, record_every, tol_L, active_rel,
            seed, gd_eta) -> MethodRun:
    widths = [data.d] + [width] * (depth - 1) + [1]
    loss = _loss(widths, activation, data)
    rng = np.random.default_rng(seed)
    w0 = rng.standard_normal(loss.n_params)
    theta0 = delta * w0 / np.linalg.norm(w0)
    t0 = time.perf_counter()
    if gd_eta == "armijo":
        theta, curve, k, eta, kinks = _armijo(loss, theta0, steps, record_every, tol_L)
        extra = {"rule": "armijo", "final_armijo_step": eta, "kink_steps": kinks}
    else:
        eta = float(gd_eta) if gd_eta is not None else 1.0 / float(np.linalg.norm(np.asarray(data.X, float), 2)) ** 2
        theta, curve, k = _fixed(loss, theta0, eta, steps, record_every, tol_L)
        extra = {"rule": "fixed", "eta": eta}
    wall = time.perf_counter() - t0
    tr_l, tr_e = _errors(widths, activation, theta, data)
    te_l, te_e = (None, None) if test_data is None else _errors(widths, activation, theta, test_data)
    eff = _effective(widths, activation, theta, data, active_rel)
    extra.update({"delta": delta, "budget": steps, "stopped_early": k < steps})
    return MethodRun("gd", curve, widths, theta, sum(widths[1:-1]), eff, wall, tr_l, te_l, tr_e, te_e, k, extra)


# ------------------------------------------------------------------------------------------------ the comparison
def _loss_at(curve, steps: int) -> float:
    """The last recorded training loss at or before ``steps`` gradient steps."""
    out = curve[0][1]
    for k, L in curve:
        if k <= steps:
            out = L
    return out


def comparison_text(runs: dict) -> str:
    """A short comparison of the two runs, from the figures only: what NP's greedy insertion bought (neurons,
    loss per gradient step, generalisation on this split) and where it lost (wall-clock, final loss, stalls)."""
    npr, gdr = runs.get("np"), runs.get("gd")
    if npr is None or gdr is None:
        r = npr or gdr
        return (f"only {r.method.upper()} ran: train loss {r.train_loss:.3g} with {r.neurons} hidden units "
                f"({r.effective_neurons} effective) in {r.wall_clock:.2f} s.")
    out = []
    buys, loses = [], []
    if npr.neurons < gdr.effective_neurons:
        buys.append(f"a sparser network ({npr.neurons} inserted units vs {gdr.effective_neurons} effective of GD's "
                    f"{gdr.neurons})")
    elif npr.neurons > gdr.effective_neurons:
        loses.append(f"more units ({npr.neurons}) than GD effectively used ({gdr.effective_neurons} of {gdr.neurons})")
    k = min(npr.gradient_steps, gdr.gradient_steps)
    if k > 0:
        ln, lg = _loss_at(npr.curve, k), _loss_at(gdr.curve, k)
        if ln < lg:
            buys.append(f"a lower loss after {k} gradient steps ({ln:.3g} vs {lg:.3g}: each insertion starts at an "
                        "escape direction of the saddle instead of waiting for GD to leave the origin)")
        elif ln > lg:
            loses.append(f"a higher loss after {k} gradient steps ({ln:.3g} vs {lg:.3g})")
    if npr.train_loss > gdr.train_loss:
        loses.append(f"final training loss {npr.train_loss:.3g} vs GD's {gdr.train_loss:.3g}")
    elif npr.train_loss < gdr.train_loss:
        buys.append(f"final training loss {npr.train_loss:.3g} vs GD's {gdr.train_loss:.3g}")
    if npr.test_error is not None and gdr.test_error is not None:
        if npr.test_error < gdr.test_error:
            buys.append(f"test error {npr.test_error:.3f} vs {gdr.test_error:.3f}")
        elif npr.test_error > gdr.test_error:
            loses.append(f"test error {npr.test_error:.3f} vs {gdr.test_error:.3f}")
    if npr.wall_clock > gdr.wall_clock:
        loses.append(f"wall-clock {npr.wall_clock:.2f} s vs {gdr.wall_clock:.2f} s (the NCF maximisation with restarts "
                     "and a full retraining after every insertion)")
    else:
        buys.append(f"wall-clock {npr.wall_clock:.2f} s vs {gdr.wall_clock:.2f} s")
    stop = npr.extra.get("stop_reason", "")
    if npr.neurons == 0 or "no escape direction" in stop or "nothing to pursue" in stop:
        loses.append(f"the greedy search stalled ({stop})")
    out.append("NP's greedy insertion bought: " + ("; ".join(buys) if buys else "nothing measurable here") + ".")
    out.append("Where it lost: " + ("; ".join(loses) if loses else "nowhere on these figures") + ".")
    out.append("(float64 experiment on one split and seed: evidence, not a certificate.)")
    return "\n".join(out)


__all__ = ["np_vs_gd", "NPvsGD", "MethodRun", "comparison_text", "METHODS"]
