"""A small CNN trained on digits through the layer graph, and certificates at the trained weights (issue 15).

**Training** (:func:`train_cnn`, float64 evidence). The network (``vf.nn``, docs/nn.md) is

    Conv2d(1, C, k×k, bias) → σ → Pool(s) → Flatten → Dense(K, bias)

on 8×8 images (C = 2…4 channels, k = 3, average pooling by default), trained by plain full-batch GD
θ_{t+1} = θ_t − η∇L(θ_t) (:func:`verify.convergence.gd.gd` in float64, no momentum, no Adam) for a few hundred
steps, with the square loss L = (1/n) Σ_i ‖F(x_i) − y_i‖² (labels ±1, K = 1) or the cross-entropy loss
L = (1/n) Σ_i [log Σ_c e^{F_ic} − F_{i,y_i}] (index labels, K classes). The float run stores float64 iterates; each
is an exact binary rational, so everything certified afterwards is about *that stored point* θ̂.

**Certificates at θ̂** (:func:`certify_trained`):

1. *Non-singularity of the GD map* G_η(θ) = θ − η∇L(θ) on a grid of step sizes (Crăciun & Ghoshdastidar,
   arXiv:2510.24466 §2; :func:`verify.gdmap.check_nonsingular`): a certified det(I − η∇²L(θ̂)) ≠ 0 at one point of
   the activation region of θ̂ proves det DG_η ≠ 0 almost everywhere on that region (the loss is one analytic
   expression there — a polynomial for a ReLU CNN with the square loss), so G_η maps null sets of the region to
   null sets. PROVED per η with the region as scope; REFUTED only at an exceptional η (1/η an eigenvalue of the
   Hessian on the whole region).
2. *Stability classification of the reached point* (:func:`verify.stability.gd`, arXiv:2510.24466 §3): "θ̂ is a
   linearly stable minimum of GD at η" needs a **certified critical point** (∇L = 0): Krawczyk's test near θ̂, then
   the Hessian spectrum in (0, 2/η). A GD run stopped after a few hundred steps is not at a critical point; the
   returned ``minimum`` verdict then says so and is INCONCLUSIVE as a claim about a minimum, and the
   classification offered instead is that of **the Hessian at θ̂** (certified eigenvalue enclosures at the exact
   stored point: positive definite and below 2/η, a certain negative eigenvalue, or λ_max certainly above 2/η) —
   a statement about the curvature where training stopped, not about a minimum.
3. *Certified sharpness* S(θ_k) = λ_max(∇²L(θ_k)) at checkpoints of the run against 2/η, the edge of stability of
   Cohen, Kaur, Li, Kolter & Talwalkar (arXiv:2103.00065; :func:`verify.stability.certify_sharpness`): exact
   rational bounds lower ≤ S ≤ upper, compared with 2/η exactly.

Max pooling is available (``pool="max"``) but average pooling is the default: a window of identical live values
(e.g. a constant-bias unit over several blank patches of a digit) is a tie that certified derivatives refuse
(:class:`~verify.errors.RegionBoundaryError`, docs/nn.md "Regions, kinks and max-pooling ties"). For the same reason
the convolution has a bias initialised to 1/10: a bias-free unit over a blank patch sits exactly on the ReLU kink.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .. import validate as V
from ..arith.decide import bounds, decide, hull_max, hull_min
from ..errors import InputError, RegionBoundaryError
from ..models import Dataset
from ..result import Result, Verdict

LOSSES = ("square", "cross_entropy")
POOLS = ("avg", "max")


# ------------------------------------------------------------------------------------------------ training
@dataclass
class TrainedCNN:
    """The result of :func:`train_cnn`. ``objective`` is the training loss (a :class:`verify.SquareLoss` or
    :class:`verify.CrossEntropyLoss` of ``net`` on ``data``), ``trajectory`` the float64 GD run
    (:class:`verify.convergence.gd.Trajectory`; ``trajectory.thetas[k]`` the stored iterates), ``theta`` the last
    iterate θ̂ (float64, each entry an exact binary rational), ``eta`` the exact step size; ``train_loss``/
    ``test_loss`` float values of the objective, ``train_error``/``test_error`` misclassified fractions (square
    loss: sign F ≠ y; cross-entropy: argmax F ≠ y); ``wall_clock`` the training seconds."""

    net: object
    objective: object
    data: Dataset
    test_data: Dataset | None
    trajectory: object
    theta: np.ndarray
    eta: Fraction
    train_loss: float
    test_loss: float | None
    train_error: float
    test_error: float | None
    wall_clock: float
    settings: dict = field(default_factory=dict)

    @property
    def curve(self) -> np.ndarray:
        """The float training losses L(θ_k), k = 0 … steps."""
        return np.asarray(self.trajectory.losses_float, dtype=float)

    def __str__(self) -> str:
        te = "" if self.test_error is None else f", test loss {self.test_loss:.4g}, test error {self.test_error:.3f}"
        return (f"CNN ({self.net.n_params} parameters, {self.settings['loss']} loss) trained {self.trajectory.steps} "
                f"GD steps at η = {self.eta} in {self.wall_clock:.2f} s: train loss {self.train_loss:.4g}, "
                f"train error {self.train_error:.3f}{te}")


def _labels_for(data: Dataset, loss: str, what: str) -> int:
    """The number of outputs K the network needs for these labels and this loss (validated)."""
    Y = np.asarray(data.Y_exact, dtype=object)
    if loss == "square":
        if data.k == 1:
            vals = set(Y.reshape(-1).tolist())
            if not vals <= {-1, 1}:
                raise InputError(f"{what}: the square loss with one output needs labels ±1 (encoding='pm1'); got "
                                 f"{sorted(vals, key=float)[:5]}")
        return data.k
    if data.k != 1:
        raise InputError(f"{what}: the cross-entropy loss needs class indices (encoding='index'), got {data.k}-column "
                         "labels")
    vals = set(Y.reshape(-1).tolist())
    if not all(isinstance(v, int | np.integer) or (isinstance(v, Fraction) and v.denominator == 1) for v in vals) \
            or min(vals) < 0:
        raise InputError(f"{what}: the cross-entropy loss needs class indices 0, 1, … (encoding='index'); got "
                         f"{sorted(vals, key=float)[:5]}")
    return max(2, int(max(vals)) + 1)


def build_cnn(channels: int = 2, n_out: int = 1, *, kernel: int = 3, pool: str = "avg", pool_size: int = 2,
              activation="relu", input_shape=(1, 8, 8)):
    """The network Conv2d(c_in, channels, kernel, bias) → σ → {Avg,Max}Pool2d(pool_size) → Flatten →
    Dense(n_out, bias) of ``vf.nn`` on points of ``input_shape`` (C, H, W)."""
    from ..models import nn

    channels = V.positive_int(channels, "channels", maximum=64)
    n_out = V.positive_int(n_out, "n_out")
    kernel = V.positive_int(kernel, "kernel")
    pool_size = V.positive_int(pool_size, "pool_size")
    V.one_of(pool, POOLS, "pool")
    if isinstance(input_shape, str) or not hasattr(input_shape, "__len__") or len(input_shape) != 3:
        raise InputError(f"input_shape must be (channels, height, width), got {input_shape!r}")
    c, h, w = (V.positive_int(s, "an input_shape entry") for s in input_shape)
    if kernel > min(h, w):
        raise InputError(f"kernel {kernel} exceeds the image size {h}×{w}")
    if pool_size > min(h, w) - kernel + 1:
        raise InputError(f"pool_size {pool_size} exceeds the convolution's output {h - kernel + 1}×{w - kernel + 1}")
    Pool = nn.AvgPool2d if pool == "avg" else nn.MaxPool2d
    return nn.Sequential(nn.Conv2d(c, channels, kernel=kernel, bias=True), nn.Act(activation), Pool(pool_size),
                         nn.Flatten(), nn.Dense(n_out, bias=True), input_shape=(c, h, w))


def _init(net, seed: int, conv_bias: float = 0.1) -> np.ndarray:
    """He initialisation (weights N(0, 2/fan_in), seeded), convolution bias ``conv_bias``, dense bias 0."""
    rng = np.random.default_rng(seed)
    blocks = {}
    theta0 = np.zeros(net.n_params)
    for name, arr in net.views(theta0).items():
        shape = np.shape(arr)
        if name.startswith("b"):
            blocks[name] = np.full(shape, conv_bias if name == "b1" else 0.0)
        else:
            fan_in = int(np.prod(shape[1:]))
            blocks[name] = rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)
    return np.asarray(net.flatten(blocks), dtype=float)


def _objective(net, data, loss: str):
    from ..models import CrossEntropyLoss, SquareLoss

    return SquareLoss(net, data) if loss == "square" else CrossEntropyLoss(net, data)


def _fit_errors(net, data, theta, loss: str) -> tuple[float, float]:
    obj = _objective(net, data, loss)
    F = np.asarray(obj.outputs(theta), dtype=float).reshape(data.n, -1)
    y = np.asarray(data.y, dtype=float)
    if loss == "cross_entropy":
        err = float(np.mean(np.argmax(F, axis=1) != y.reshape(-1)))
    elif data.k == 1:
        err = float(np.mean(np.sign(F.reshape(-1)) != y.reshape(-1)))
    else:
        err = float(np.mean(np.argmax(F, axis=1) != np.argmax(y.reshape(data.n, -1), axis=1)))
    return float(obj.value(theta)), err


def train_cnn(data, *, channels: int = 2, kernel: int = 3, pool: str = "avg", pool_size: int = 2,
              loss: str = "square", activation="relu", steps: int = 300, eta=Fraction(1, 10), seed: int = 0,
              test_data=None, input_shape=(1, 8, 8)) -> TrainedCNN:
    """Train the small CNN of :func:`build_cnn` on ``data`` by plain float64 GD (module docstring).

    ``data``: a :class:`verify.Dataset` of 8×8 images (``vf.datasets.digits(..., image=True)`` or the 64-feature
    rows); labels ±1 for ``loss="square"`` (``encoding="pm1"``; one-hot rows give K outputs), class indices for
    ``loss="cross_entropy"`` (``encoding="index"``). ``test_data`` defaults to ``data.test``. ``eta`` is taken
    exactly (a float is its binary value); ``seed`` draws the He initialisation. Deterministic in ``seed``.
    Raises :class:`verify.errors.InputError` on bad arguments (unknown loss or pool, labels that do not fit the
    loss, a feature count that is not C·H·W, a non-positive η or step count)."""
    from ..convergence.gd import gd

    V.one_of(loss, LOSSES, "loss")
    if not isinstance(data, Dataset):
        raise InputError(f"data must be a verify.Dataset (e.g. vf.datasets.digits(n=20, image=True)), got "
                         f"{type(data).__name__}")
    steps = V.positive_int(steps, "steps", maximum=100_000)
    q_eta = V.positive_rational(eta, "eta")
    seed = V.nonneg_int(seed, "seed")
    K = _labels_for(data, loss, "data")
    net = build_cnn(channels, K, kernel=kernel, pool=pool, pool_size=pool_size, activation=activation,
                    input_shape=input_shape)
    feat = int(np.prod(input_shape))
    if data.d != feat:
        raise InputError(f"data has {data.d} features per point but the network takes images of shape "
                         f"{tuple(input_shape)} ({feat} values)")
    if test_data is None:
        test_data = getattr(data, "test", None)
    if test_data is not None:
        if not isinstance(test_data, Dataset) or test_data.d != feat:
            raise InputError(f"test_data must be a verify.Dataset with {feat} features per point")
        _labels_for(test_data, loss, "test_data")
    obj = _objective(net, data, loss)
    theta0 = _init(net, seed)
    t0 = time.perf_counter()
    traj = gd(obj, theta0, q_eta, steps, "float")
    wall = time.perf_counter() - t0
    theta = np.asarray(traj.thetas[-1], dtype=float)
    tr_l, tr_e = _fit_errors(net, data, theta, loss)
    te_l, te_e = (None, None) if test_data is None else _fit_errors(net, test_data, theta, loss)
    settings = {"channels": channels, "kernel": kernel, "pool": pool, "pool_size": pool_size, "loss": loss,
                "activation": str(activation), "steps": steps, "seed": seed, "n": data.n, "p": net.n_params,
                "stopped": traj.stopped, "data": getattr(data, "description", repr(data))}
    return TrainedCNN(net, obj, data, test_data, traj, theta, q_eta, tr_l, te_l, tr_e, te_e, wall, settings)


# ------------------------------------------------------------------------------------------------ certificates
@dataclass
class CNNCertificate:
    """The result of :func:`certify_trained`.

    * ``nonsingular`` — {η: Result of :func:`verify.gdmap.check_nonsingular` at θ̂'s region};
    * ``gradient`` — {"max_abs_lower": exact lower bound of ``max_j |∂L/∂θ_j(θ̂)|``, "critical": False when ∇L(θ̂) ≠ 0 is
      certified at the stored point, None when undecided};
    * ``stability`` — the Result of :func:`verify.stability.gd` at θ̂ and ``stability_eta`` (None with
      ``critical_search=False``): about the critical point certified near θ̂, if any;
    * ``minimum`` — the claim "training reached a linearly stable minimum of GD at η": the stability Result when it
      certified a critical point (PROVED, or REFUTED for an unstable spectrum), else INCONCLUSIVE with the reason;
    * ``hessian`` — the classification of ∇²L(θ̂) at the stored point: exact rational enclosures ``lambda_min``,
      ``lambda_max``, ``classification`` ∈ {"positive definite, λ_max < 2/η", "indefinite (a certified negative
      eigenvalue)", "λ_max > 2/η", "undecided"} — *not* a minimum claim;
    * ``sharpness`` — the :class:`verify.stability.SharpnessResult` at the checkpoints; ``final_vs_edge`` "below
      2/η" / "above 2/η" / "undecided" for the last checkpoint (exact comparison);
    * ``timings`` — seconds per part."""

    nonsingular: dict
    gradient: dict
    stability: Result | None
    minimum: Result
    hessian: dict
    sharpness: object | None
    final_vs_edge: str
    stability_eta: Fraction
    timings: dict

    def summary(self) -> str:
        """One line per certified part, in words: the non-singular GD maps (verdict per η), whether θ̂ is a critical
        point, the stability and minimum verdicts, the Hessian's extreme eigenvalue enclosures, the sharpness and
        where the final step size stands relative to the edge of stability 2/λ_max."""
        lines = []
        for q, r in self.nonsingular.items():
            lines.append(f"non-singular GD map at η = {q}: {r.verdict.value} ({r.elapsed:.2f} s)")
        g = self.gradient
        lines.append("critical point at θ̂: " + ("no (∇L(θ̂) ≠ 0 certified, max|∂L| ≥ "
                                                f"{float(g['max_abs_lower']):.3g})" if g["critical"] is False
                                                else "undecided"))
        if self.stability is not None:
            lines.append(f"stability.gd at η = {self.stability_eta}: {self.stability.verdict.value} — "
                         f"{self.stability.message[:160]}")
        lines.append(f"stable-minimum claim: {self.minimum.verdict.value} — {self.minimum.message[:200]}")
        h = self.hessian
        if h.get("lambda_min") is not None:
            lines.append(f"Hessian at θ̂ (not a minimum claim): λ_min ∈ [{float(h['lambda_min'][0]):.4g}, "
                         f"{float(h['lambda_min'][1]):.4g}], λ_max ∈ [{float(h['lambda_max'][0]):.6g}, "
                         f"{float(h['lambda_max'][1]):.6g}], 2/η = {float(2 / self.stability_eta):.4g}: "
                         f"{h['classification']}")
        else:
            lines.append(f"Hessian at θ̂: {h['classification']}")
        if self.sharpness is not None:
            cps = self.sharpness.checkpoints
            last = cps[-1]
            if last.certified:
                lines.append(f"certified sharpness at step {last.step}: [{float(last.lower):.6g}, "
                             f"{float(last.upper):.6g}] vs 2/η = {float(self.sharpness.threshold):.4g}: "
                             f"{self.final_vs_edge} ({len(cps)} checkpoints)")
        return "\n".join(lines)

    __str__ = summary


def _default_etas(eta: Fraction) -> list[Fraction]:
    return [eta / 10, eta / 2, eta, 2 * eta, 10 * eta]


def _hessian_at(objective, theta, q: Fraction, prec: int) -> dict:
    """Certified eigenvalue enclosures of ∇²L at the exact stored θ̂ (Arb Hessian, Arb eigensolver) and their
    classification against (0, 2/η) by exact endpoints."""
    from ..arith.eigen import ball_eigen_enclosures

    try:
        H = objective.hessian(theta, "ball", prec)
        eigs = ball_eigen_enclosures(H, prec)
    except RegionBoundaryError as exc:
        return {"lambda_min": None, "lambda_max": None, "classification": f"undecided: θ̂ lies on a kink ({exc})"}
    lmin, lmax = hull_min(eigs), hull_max(eigs)
    neg = decide(lmin, "<", 0)
    pos = decide(lmin, ">", 0)
    above = decide(lmax, ">", 2 / q)
    below = decide(lmax, "<", 2 / q)
    if neg:
        cls = "indefinite (a certified negative eigenvalue): θ̂ is not at a local minimum's positive-definite point"
    elif above:
        cls = "λ_max > 2/η certified: GD at η is linearly unstable around θ̂"
    elif pos and below:
        cls = "positive definite, λ_max < 2/η (certified)"
    else:
        cls = "undecided (an enclosure contains 0 or 2/η)"
    return {"lambda_min": tuple(bounds(lmin)), "lambda_max": tuple(bounds(lmax)), "classification": cls,
            "negative": neg, "above_edge": above}


def _gradient_at(objective, theta, prec: int) -> dict:
    g = objective.grad(theta, "ball", prec)
    lo = Fraction(0)
    for x in np.asarray(g, dtype=object).reshape(-1):
        a, b = bounds(x)
        m = a if a > 0 else (-b if b < 0 else Fraction(0))
        lo = max(lo, m)
    return {"max_abs_lower": lo, "critical": False if lo > 0 else None}


def certify_trained(trained: TrainedCNN, etas=None, *, stability_eta=None, critical_search: bool = True,
                    sharpness_checkpoints: int = 5, prec: int = 128, max_prec: int = 512) -> CNNCertificate:
    """Certificates at the trained weights θ̂ = ``trained.theta`` (module docstring):

    * non-singularity of G_η at θ̂'s region for every η in ``etas`` (default η_train·{1/10, 1/2, 1, 2, 10};
      exact rationals; floats are taken at their binary value);
    * the stability classification at ``stability_eta`` (default the training η): :func:`verify.stability.gd`
      (Krawczyk's critical-point search near θ̂, seconds to tens of seconds; ``critical_search=False`` skips it and
      the minimum claim is then INCONCLUSIVE unless ∇L(θ̂) = 0 exactly), the certified gradient at θ̂ and the
      Hessian spectrum at θ̂;
    * certified sharpness at ``sharpness_checkpoints`` evenly spaced iterates of the run (0 skips it), the last one
      compared with 2/η_train.

    Every PROVED/REFUTED comes from the certified functions named; the text classification of the Hessian at θ̂
    is decided on exact endpoints (:mod:`verify.arith.decide`). Raises :class:`verify.errors.InputError` for bad
    arguments."""
    from ..gdmap import check_nonsingular
    from ..stability import certify_sharpness
    from ..stability import gd as stability_gd

    if not isinstance(trained, TrainedCNN):
        raise InputError(f"certify_trained needs the TrainedCNN returned by train_cnn, got {type(trained).__name__}")
    prec, max_prec = V.precision(prec), V.precision(max_prec, "max_prec")
    if max_prec < prec:
        raise InputError(f"max_prec = {max_prec} is below prec = {prec}")
    critical_search = V.boolean(critical_search, "critical_search")
    sharpness_checkpoints = V.nonneg_int(sharpness_checkpoints, "sharpness_checkpoints", maximum=1000)
    if etas is None:
        grid = _default_etas(trained.eta)
    else:
        if isinstance(etas, str) or not hasattr(etas, "__iter__"):
            raise InputError(f"etas must be a list of positive step sizes, got {etas!r}")
        grid = [V.positive_rational(e, "η (in etas)") for e in etas]
        if not grid:
            raise InputError("etas must name at least one step size")
    q_s = trained.eta if stability_eta is None else V.positive_rational(stability_eta, "stability_eta")
    obj, theta = trained.objective, trained.theta
    timings = {}

    t0 = time.perf_counter()
    ns = {q: check_nonsingular(obj, q, regions=[theta], max_prec=max_prec) for q in grid}
    timings["nonsingular"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    grad = _gradient_at(obj, theta, prec)
    hess = _hessian_at(obj, theta, q_s, prec)
    timings["gradient_and_hessian"] = time.perf_counter() - t0

    stab = None
    if critical_search:
        t0 = time.perf_counter()
        stab = stability_gd(obj, theta, q_s, prec)
        timings["stability"] = time.perf_counter() - t0
    minimum = _minimum_claim(stab, grad, hess, q_s)

    sh, edge = None, "not computed"
    if sharpness_checkpoints:
        t0 = time.perf_counter()
        K = trained.trajectory.steps
        at = sorted({int(round(x)) for x in np.linspace(0, K, max(2, sharpness_checkpoints))})
        sh = certify_sharpness(trained.trajectory, at=at, prec=prec)
        timings["sharpness"] = time.perf_counter() - t0
        last = sh.checkpoints[-1]
        thr = 2 / trained.eta
        if not last.certified:
            edge = f"undecided ({last.note})"
        elif decide(last.upper, "<", thr):
            edge = "below 2/η"
        elif decide(last.lower, ">", thr):
            edge = "above 2/η"
        else:
            edge = "undecided (the enclosure contains 2/η)"
    return CNNCertificate(ns, grad, stab, minimum, hess, sh, edge, q_s, timings)


def _minimum_claim(stab: Result | None, grad: dict, hess: dict, q: Fraction) -> Result:
    claim = f"training reached a linearly stable minimum of GD at η = {q} (arXiv:2510.24466 §3)"
    cp = None if stab is None else (stab.certificate or {}).get("critical_point")
    certified_cp = isinstance(cp, dict) and cp.get("status") in ("exact", "box")
    if stab is not None and certified_cp and stab.verdict in (Verdict.PROVED, Verdict.REFUTED):
        return stab
    why = ("∇L(θ̂) ≠ 0 is certified at the stored point" if grad["critical"] is False
           else "the stored point is not certified to be a critical point")
    if stab is not None:
        why += f"; no critical point was certified near θ̂ either ({stab.verdict.value}: {stab.message[:200]})"
    else:
        why += "; the critical-point search near θ̂ was skipped (critical_search=False)"
    return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic="ball",
                  certificate={"gradient": grad, "hessian_at_theta": hess},
                  message=f"INCONCLUSIVE as a minimum claim: {why}. What is certified instead is the Hessian at θ̂ "
                          f"(not a minimum): {hess['classification']}")


__all__ = ["train_cnn", "certify_trained", "build_cnn", "TrainedCNN", "CNNCertificate", "LOSSES", "POOLS"]
