"""Plots for the reporting layer: loss curves and GD trajectories, certified sharpness with its enclosures as error
bars and the 2/η line (the edge of stability, Cohen et al., arXiv:2103.00065), and the margins of a list of
:class:`~verify.result.Result` objects.

Every function draws on the ``ax`` it is given, or on a new :class:`matplotlib.figure.Figure` created without
pyplot (no global state, no GUI backend needed: safe under Agg, in CI and in worker processes), and returns the
Axes (or the Figure for multi-panel plots). Nothing here calls ``plt.show()``: save with
``ax.figure.savefig("loss.png")``, or pass ``ax=plt.gca()`` to draw into a pyplot figure (in a notebook a returned
Figure displays itself).

**Axis scales** (:func:`choose_scale`, used when ``log=None``): ``"log"`` when every value is > 0 and they span at
least :data:`DECADES` decades (max/min ≥ 10²); ``"symlog"`` when some value is ≤ 0 and the nonzero magnitudes span
at least that much (linear within ±``linthresh``, the smallest nonzero magnitude, so that a run at −2.5e17 does not
flatten every other margin to a line); ``"linear"`` otherwise. ``log=True`` forces a logarithmic axis (``"log"``,
or ``"symlog"`` if some value is ≤ 0), ``log=False`` a linear one.

Plotted numbers are floats: exact enclosures are rounded *outward* (:meth:`SharpnessResult.float_bounds
<verify.stability.sharpness.SharpnessResult.float_bounds>`), so a drawn error bar always contains the certified
interval; a loss curve shows the run's float values (midpoints for ball runs) and certifies nothing.

>>> import numpy as np
>>> ax = losses([np.array([1.0, 0.1, 0.01, 0.001])])
>>> ax.get_yscale()
'log'
>>> choose_scale([3.0, -2.5e17, 0.5])[0]
'symlog'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

import numpy as np

from .errors import InputError

#: the span (in decades) of the plotted values from which :func:`choose_scale` picks a logarithmic axis
DECADES = 2


# ======================================================================================== helpers
def _figure(ax, figsize=(6.4, 4.0)):
    """(figure, axes): the given axes, or a new pyplot-free Figure with one Axes."""
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def choose_scale(values, log: bool | None = None) -> tuple[str, dict]:
    """(scale, keyword arguments for ``Axes.set_yscale``) for the finite ``values`` (see the module docstring):
    ``("log", {})``, ``("symlog", {"linthresh": t})`` or ``("linear", {})``."""
    v = np.asarray([x for x in np.ravel(np.asarray(values, dtype=float)) if np.isfinite(x)], dtype=float)
    if log is False or v.size == 0:
        return "linear", {}
    nonzero = np.abs(v[v != 0])
    positive = bool(np.all(v > 0))
    if nonzero.size == 0:
        return "linear", {}
    lo, hi = float(np.min(nonzero)), float(np.max(nonzero))
    spans = hi >= lo * 10.0**DECADES
    if log is True or spans:
        if positive:
            return "log", {}
        return "symlog", {"linthresh": lo}
    return "linear", {}


def _apply_scale(ax, values, log, axis="y") -> str:
    scale, kw = choose_scale(values, log)
    (ax.set_yscale if axis == "y" else ax.set_xscale)(scale, **kw)
    return scale


def loss_values(traj) -> np.ndarray:
    """The losses of a run as floats: a :class:`~verify.convergence.gd.Trajectory` (its ``losses_float`` property —
    or method, in older versions — else its ``losses``, attribute or method, midpoints for balls), or any sequence
    of numbers."""
    f = getattr(traj, "losses_float", None)
    if f is not None:  # a property (an array) or, in older versions, a method
        return np.asarray(f if isinstance(f, np.ndarray) else f(), dtype=float)
    if hasattr(traj, "losses") and hasattr(traj, "thetas"):
        L = traj.losses() if callable(traj.losses) else traj.losses
        return _floats(L)
    return _floats(traj)


def _floats(values) -> np.ndarray:
    from .arith.ball64 import B64

    out = []
    for v in (values.mid if isinstance(values, B64) else values):
        if isinstance(v, B64):
            out.append(float(v.mid))
        elif type(v).__name__ == "arb":
            out.append(float(v.mid()))
        else:
            try:
                out.append(float(v))
            except OverflowError:  # an exact number beyond the float range: drawn off the axis
                out.append(np.inf if v > 0 else -np.inf)
            except (TypeError, ValueError):
                raise InputError(f"cannot plot the value {v!r} (a {type(v).__name__}) as a number") from None
    return np.asarray(out, dtype=float)


def _series(data, labels) -> list[tuple[str | None, np.ndarray]]:
    """[(label, floats)] from a Trajectory, a sequence of numbers, a list of those, or a mapping label → those."""
    if isinstance(data, Mapping):
        items = list(data.items())
    elif isinstance(data, np.ndarray) and data.ndim == 2:
        items = [(None, row) for row in data]
    elif _is_single(data):
        items = [(None, data)]
    elif isinstance(data, Sequence) and not isinstance(data, str | bytes):
        items = [(None, d) for d in data]
    else:
        raise InputError(f"expected a Trajectory, a sequence of losses, a list of them or a dict, got "
                         f"{type(data).__name__}")
    if labels is not None:
        labels = list(labels)
        if len(labels) != len(items):
            raise InputError(f"{len(labels)} labels for {len(items)} curves")
        items = [(lab, d) for lab, (_, d) in zip(labels, items)]
    return [(None if lab is None else str(lab), loss_values(d)) for lab, d in items]


def _is_single(d) -> bool:
    if hasattr(d, "thetas") and hasattr(d, "losses"):
        return True
    if isinstance(d, np.ndarray):
        return d.ndim == 1
    if isinstance(d, Sequence) and not isinstance(d, str | bytes):
        return len(d) == 0 or not (hasattr(d[0], "thetas") or isinstance(d[0], Sequence | np.ndarray))
    return False


# ======================================================================================== loss curves
def losses(data, *, ax=None, log: bool | None = None, labels=None, title: str | None = None, xlabel: str = "step",
           ylabel: str = "loss"):
    """Loss curves L(θ_k) against k. ``data``: a Trajectory, a sequence of losses, a list of those, or a dict
    label → those (``labels`` overrides). The y scale follows :func:`choose_scale` over all curves (``log``
    forces it). Returns the Axes."""
    series = _series(data, labels)
    fig, ax = _figure(ax)
    allv = []
    for lab, v in series:
        ax.plot(np.arange(v.size), v, label=lab)
        allv.append(v)
    _apply_scale(ax, np.concatenate(allv) if allv else [], log)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if any(lab is not None for lab, _ in series):
        ax.legend()
    return ax


def trajectory(traj, *, log: bool | None = None, params: int = 12, title: str | None = None):
    """A GD run on two panels: the loss curve (scale as in :func:`losses`) and the parameters — each coordinate
    θ_k[i] when p ≤ ``params``, otherwise the distance ‖θ_k − θ_0‖₂ (midpoints for ball runs). Returns the
    Figure (``fig.axes[0]`` the loss, ``fig.axes[1]`` the parameters)."""
    from matplotlib.figure import Figure

    if not (hasattr(traj, "thetas") and hasattr(traj, "losses")):
        raise InputError(f"expected a Trajectory from verify.convergence.gd.gd(...), got {type(traj).__name__}")
    fig = Figure(figsize=(10, 4.0), layout="constrained")
    ax_l, ax_p = fig.subplots(1, 2)
    losses(traj, ax=ax_l, log=log)
    th = _thetas_float(traj)
    steps = np.arange(th.shape[0])
    if th.shape[1] <= params:
        names = list(getattr(traj.objective, "param_names", [])) or [f"θ[{i}]" for i in range(th.shape[1])]
        for i in range(th.shape[1]):
            ax_p.plot(steps, th[:, i], label=str(names[i]) if i < len(names) else f"θ[{i}]")
        ax_p.set_ylabel("parameters")
        if th.shape[1] <= 8:
            ax_p.legend(fontsize="small")
    else:
        ax_p.plot(steps, np.linalg.norm(th - th[0], axis=1))
        ax_p.set_ylabel("‖θ_k − θ_0‖₂")
    ax_p.set_xlabel("step")
    eta = getattr(traj, "eta", None)
    fig.suptitle(title or (f"GD, η = {eta}, {getattr(traj, 'arith', '')} arithmetic" if eta is not None else "GD"))
    return fig


def _thetas_float(traj) -> np.ndarray:
    f = getattr(traj, "thetas_float", None)
    if f is not None:
        return np.asarray(f if isinstance(f, np.ndarray) else f(), dtype=float)
    return np.array([_floats(t) for t in traj.thetas], dtype=float)


# ======================================================================================== sharpness
def sharpness(result, *, eta=None, ax=None, losses_axis: bool = False, log: bool | None = False,
              title: str | None = None):
    """Certified sharpness per checkpoint (a :class:`~verify.stability.sharpness.SharpnessResult`) as vertical
    error bars from the outward-rounded enclosures (the bar of checkpoint k spans exactly
    ``result.float_bounds()``), a marker at each midpoint, and the horizontal line 2/η (``eta`` defaults to the
    run's step). Uncertified checkpoints, and enclosures beyond the float range, draw no bar and are listed in
    the legend. ``losses_axis``: the run's loss on a twin axis
    (scale by :func:`choose_scale`). Returns the Axes (the twin, if any, is ``ax.loss_axis``)."""
    cps = getattr(result, "checkpoints", None)
    if cps is None:
        raise InputError(f"expected a SharpnessResult from certify_sharpness(...), got {type(result).__name__}")
    if eta is None:
        eta = getattr(result, "eta", None)
    if eta is None:
        raise InputError("give eta: the step size whose 2/η line is drawn")
    from .validate import positive_rational

    q = positive_rational(eta, "eta")
    fig, ax = _figure(ax)
    lo, hi = result.float_bounds()
    steps = np.array([c.step for c in cps], dtype=float)
    ok = np.isfinite(lo) & np.isfinite(hi)
    mid = np.where(ok, lo / 2 + hi / 2, np.nan)
    ax.vlines(steps[ok], lo[ok], hi[ok], colors="C0", linewidth=2.0, label="certified λ_max(∇²L) enclosure")
    ax.plot(steps[ok], mid[ok], "o", color="C0", markersize=3)
    thr = float(2 / q)
    ax.axhline(thr, color="C3", linestyle="--", label=f"2/η = {thr:.6g}")
    certified = np.array([c.lower is not None and c.upper is not None for c in cps], dtype=bool)
    for mask, what in ((~certified, "uncertified"), (certified & ~ok, "beyond the float range")):
        if mask.any():
            bad = [int(s) for s in steps[mask]]
            ax.plot([], [], "x", color="grey", label=f"{what} at steps {bad[:6]}{'…' if len(bad) > 6 else ''}")
    _apply_scale(ax, np.concatenate([lo[ok], hi[ok], [thr]]), log)
    ax.set_xlabel("step")
    ax.set_ylabel("sharpness λ_max(∇²L(θ_k))")
    if losses_axis:
        tw = ax.twinx()
        lv = np.array([np.nan if c.loss is None else c.loss for c in cps], dtype=float)
        tw.plot(steps, lv, color="C2", alpha=0.7, label="loss")
        _apply_scale(tw, lv, None)
        tw.set_ylabel("loss (the run's values)")
        ax.loss_axis = tw
    handles, names = ax.get_legend_handles_labels()
    if losses_axis:
        h2, n2 = ax.loss_axis.get_legend_handles_labels()
        handles, names = handles + h2, names + n2
    ax.legend(handles, names, loc="best", fontsize="small")
    ax.set_title(title or f"sharpness at {len(cps)} checkpoints ({getattr(result, 'arith', '')} run)")
    return ax


# ======================================================================================== margins of Results
def _margin_float(m) -> float | None:
    if m is None:
        return None
    if isinstance(m, list | tuple) and len(m) == 2:
        a, b = (_margin_float(x) for x in m)
        return None if a is None or b is None else (a + b) / 2
    try:
        return float(Fraction(m)) if isinstance(m, Fraction | int) else float(m)
    except (TypeError, ValueError, OverflowError):
        return None


_VERDICT_COLORS = {"PROVED": "C2", "REFUTED": "C3", "SUPPORTED": "C0", "INCONCLUSIVE": "C7"}


def margins(results, *, ax=None, labels=None, log: bool | None = None, title: str | None = None):
    """The margin of each :class:`~verify.result.Result` (one marker per result, coloured by verdict; a result
    without a margin is left out and counted in the legend). The y axis follows :func:`choose_scale` — symlog when
    margins of both signs span decades. ``labels``: x tick labels (default the claims, shortened). Returns the
    Axes."""
    results = list(results)
    fig, ax = _figure(ax, figsize=(max(6.4, 0.35 * len(results)), 4.0))
    vals = [_margin_float(getattr(r, "margin", None)) for r in results]
    xs = np.arange(len(results))
    missing = 0
    for verdict, color in _VERDICT_COLORS.items():
        idx = [i for i, r in enumerate(results) if str(getattr(r, "verdict", "")) == verdict and vals[i] is not None
               and np.isfinite(vals[i])]
        if idx:
            ax.plot(xs[idx], [vals[i] for i in idx], "o", color=color, label=verdict)
    missing = sum(1 for v in vals if v is None or not np.isfinite(v))
    if missing:
        ax.plot([], [], " ", label=f"{missing} without a margin")
    ax.axhline(0.0, color="black", linewidth=0.5)
    finite = [v for v in vals if v is not None and np.isfinite(v)]
    _apply_scale(ax, finite, log)
    if labels is None:
        labels = [(getattr(r, "claim", "") or f"#{i}")[:24] for i, r in enumerate(results)]
    elif len(labels) != len(results):
        raise InputError(f"{len(labels)} labels for {len(results)} results")
    ax.set_xticks(xs, [str(s) for s in labels], rotation=60, ha="right", fontsize="small")
    ax.set_ylabel("margin")
    if title:
        ax.set_title(title)
    if results:
        ax.legend(fontsize="small")
    return ax


__all__ = ["losses", "trajectory", "sharpness", "margins", "choose_scale", "loss_values", "DECADES"]
