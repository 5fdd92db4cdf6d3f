"""Built-in claims (registered by name), used by the notebook ``01_check_a_conjecture``, ``verify
sweep`` and the search benchmark.

* ``gd-monotone-relu`` — a plausible but **false** conjecture: for a two-layer ReLU network, the loss
  decreases monotonically along GD for every step η < 2/λ_max(∇²L(θ0)). (The bound uses the curvature
  at θ0 only; the iterates move to regions of higher curvature.)
* ``gd-monotone-cnn`` — the same (false) conjecture for small bias-free ReLU CNNs (Conv1d → ReLU → optional
  max/avg pooling → Flatten → Dense, square loss): the counterexample is a layer-graph instance (schema 2),
  re-checked in ball arithmetic and written to / re-read from a counterexample file like any other.
* ``gd-monotone-linear`` — the same statement for a linear model (a quadratic loss): **true**, since
  then ∇²L is constant and every eigen-component of the error contracts when η λ_max < 2.
* ``gd-map-nonsingular-relu`` — det(I − η∇²L(θ)) ≠ 0 at the generated θ and η for bias-free two-layer
  ReLU networks (Crăciun & Ghoshdastidar, arXiv:2510.24466; ``docs/theory/gd_map.md`` §2.1; a generic point
  of a generic step size).
* ``pl-ntk-lower-bound`` — ‖∇L‖²/L ≥ 4s·λ_min(JJᵀ) for square losses (Chatterjee, arXiv:2203.16462;
  ``docs/theory/local_pl.md`` §3.2, the NTK form of §6 claim 8): **true** at every θ, the inequality behind
  the certified NTK bound of ``vf.pl.alpha``.
* ``pl-ntk-lower-bound-graph`` — the same inequality on small CNNs and softmax-attention networks (layer-graph
  instances): true for any network, since ∇L = 2s·Jᵀr and ‖Jᵀr‖² ≥ λ_min(JJᵀ)‖r‖².

Each ``prop(instance, arith, prec)`` returns a Result with a signed margin: float while searching; in
``"ball"`` every quantity is an enclosure and a violation is REFUTED only when certified.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import strategies as st

from ..arith.decide import rational_below
from ..errors import InputError, RegionBoundaryError, UncertifiedValueError
from ..result import Result, Verdict, make_scope
from ..strategies import graph_instances, instances
from ..validate import MAX_MAGNITUDE
from .claim import Claim, register

STEPS = 10
#: relative loss changes below this are float64 round-off, not evidence of an increase
FLOAT_TOL = 1e-12


def random_instance(widths, activation="relu", *, seed: int = 0, n: int = 2, scalars=None, bias=False):
    """A reproducible instance for sweeps: data and θ are rationals k/4 drawn with ``seed``; θ is redrawn
    until it lies inside an activation region."""
    from ..claims.instance import Instance

    rng = np.random.default_rng(seed)
    d = widths[0]

    def q(size):
        return [Fraction(int(k), 4) for k in rng.integers(-8, 9, size=size)]

    y = tuple((v,) for v in q(n))
    for _ in range(50):
        X = tuple(tuple(q(d)) for _ in range(n))
        if any(all(v == 0 for v in row) for row in X):
            continue  # a zero input puts every ReLU on its kink
        probe = Instance(tuple(widths), (activation,), bias, X, y, (), "mean", dict(scalars or {}))
        theta = tuple(q(probe.net().n_params))
        inst = Instance(tuple(widths), (activation,), bias, X, y, theta, "mean", dict(scalars or {}))
        try:
            inst.loss().region(list(theta))
            return inst
        except RegionBoundaryError:
            continue
    raise InputError(f"no θ inside an activation region after 50 draws (seed {seed}); choose another seed or "
                     "a smooth activation")


def _frac():
    """The fraction of 2/λ_max used as step size, in (0, 1)."""
    return st.sampled_from([2, 4, 5, 10, 20]).flatmap(lambda q: st.integers(1, q - 1).map(lambda k: Fraction(k, q)))


def _monotone(inst, arith="float", prec=None) -> Result:
    """margin = min_k (L_k − L_{k+1}) / L_0 over STEPS GD steps at η = frac · 2/λ_max(∇²L(θ0))."""
    loss, th = inst.loss(), inst.theta_array()
    frac = inst.scalar("frac")
    claim = f"L(θ_k+1) ≤ L(θ_k) for k < {STEPS} at η = {frac}·2/λ_max(∇²L(θ0))"
    try:
        if arith == "float":
            H = np.asarray(loss.hessian(th, "float"), dtype=float)
            lam = float(np.linalg.eigvalsh(H).max())
            if lam <= 0:
                return Result(Verdict.SUPPORTED, claim=claim, margin=1.0, message="λ_max ≤ 0: no step-size bound")
            eta = float(frac) * 2 / lam
            x = np.array([float(v) for v in th])
            L = [float(loss.value(x))]
            for _ in range(STEPS):
                with np.errstate(over="ignore", invalid="ignore"):
                    x = x - eta * np.asarray(loss.grad(x), dtype=float)
                if not np.all(np.isfinite(x)):
                    L.append(np.inf)  # GD blew up: the loss certainly did not decrease
                    break
                L.append(float(loss.value(x)))
            drops = [(L[k] - L[k + 1]) / L[0] if L[0] > 0 else 0.0 for k in range(len(L) - 1)]
            # equal losses up to float64 resolution (e.g. at a minimum reached in one step) are not a violation;
            # any larger float increase is re-checked in ball arithmetic before it counts
            drops = [0.0 if abs(d) <= FLOAT_TOL else d for d in drops]
            m = min(drops)
            return Result(Verdict.SUPPORTED if m >= 0 else Verdict.INCONCLUSIVE, claim=claim, margin=m,
                          arithmetic="float", message=f"η = {eta:.6g}; losses {L[0]:.4g} → {L[-1]:.4g}")
        return _monotone_certified(loss, th, frac, arith, prec, claim)
    except RegionBoundaryError as exc:  # an iterate on a ReLU kink: not evidence either way
        return Result(Verdict.INCONCLUSIVE, claim=claim, margin=0.0, message=f"region boundary: {exc}")


def _f(q) -> float:
    """float(q), saturating at ±1e308 for rationals beyond the float range (a diverged ball run; JSON has no inf)."""
    try:
        return float(q)
    except OverflowError:
        return 1e308 if q > 0 else -1e308


def _monotone_certified(loss, th, frac, arith, prec, claim) -> Result:
    """The monotonicity claim in a certified arithmetic (``ball64``, or Arb ``ball`` at ``prec`` bits): λ_max from
    the arithmetic's eigenvalue enclosures, GD run in it, a REFUTED only for a certified increase."""
    from ..arith import get_arith
    from ..convergence import gd

    a = get_arith(arith, prec)
    prec = a.prec
    H = loss.hessian(th, a.name, prec)
    lam_hi = max(hi for _, hi in a.symmetric_eigenvalue_bounds(H))
    if lam_hi <= 0:
        return Result(Verdict.SUPPORTED, claim=claim, margin=1.0, arithmetic=a.name, precision=prec,
                      message="λ_max ≤ 0")
    # 0 < η < frac·2/λ_max certainly (uses the upper bound of λ_max), a short rational
    eta = rational_below(frac * 2 / lam_hi)
    if eta > MAX_MAGNITUDE:  # λ_max ≈ 0 (a zero Hessian) known only to ~1e-300 here: a higher rung decides
        raise UncertifiedValueError(f"the {a.name} upper bound {_f(lam_hi):.3g} of λ_max is too close to 0 for a "
                                    "usable step size η < frac·2/λ_max")
    traj = gd(loss, th, eta, STEPS, a.name, prec)
    ends = [a.bounds(v) for v in traj.losses]  # exact endpoints of the loss enclosures
    worst, where = None, None
    K = len(traj.losses) - 1  # the ball run stops early if its enclosures stop being finite
    for k in range(K):
        # certified increase: L_{k+1} > L_k for sure
        lo_gap = ends[k + 1][0] - ends[k][1]
        if lo_gap > 0 and (worst is None or lo_gap > worst):
            worst, where = lo_gap, k
    mids = [(lo + hi) / 2 for lo, hi in ends]
    L0 = mids[0]
    if worst is not None:
        return Result(Verdict.REFUTED, claim=claim, margin=-_f(worst / L0 if L0 else worst), arithmetic=a.name,
                      precision=prec, certificate={"eta": eta, "lambda_max_upper": lam_hi, "step": where},
                      counterexample={"eta": eta, "step": where, "increase_lower_bound": worst},
                      message=f"certified increase of the loss at step {where} with η = {eta} < 2/λ_max(∇²L(θ0)) "
                              f"(λ_max ≤ {_f(lam_hi):.6g}): L_{where + 1} − L_{where} ≥ {_f(worst):.3g}")
    drops = [_f((mids[k] - mids[k + 1]) / L0) if L0 else 0.0 for k in range(K)]
    return Result(Verdict.SUPPORTED if K == STEPS else Verdict.INCONCLUSIVE, claim=claim,
                  margin=min(drops, default=0.0), arithmetic=a.name, precision=prec,
                  message=f"no certified increase at η = {eta}" + ("" if K == STEPS else f" in the {K} steps whose "
                                                                   "enclosures stayed finite"))


MONOTONE_RELU = register(Claim(
    name="gd-monotone-relu",
    instances=instances(depth=(1, 1), width=(1, 3), input_dim=(1, 2), n=(1, 3), activations=st.just("relu"),
                        bias=False, scalars={"frac": _frac()}),
    prop=_monotone, fast=True,
    from_params=lambda width=2, seed=0, frac=Fraction(1, 2), n=2, d=1: random_instance(
        (d, width, 1), "relu", seed=seed, n=n, scalars={"frac": Fraction(frac)}),
    description="two-layer ReLU nets: GD decreases the loss monotonically for η < 2/λ_max(∇²L(θ0)) (false)"))

MONOTONE_CNN = register(Claim(
    name="gd-monotone-cnn",
    instances=graph_instances(kinds="conv", dims=1, conv_layers=1, channels=(1, 2), length=(2, 4), kernel=(1, 3),
                              activations="relu", bias=False, outputs=1, n=(1, 2), scalars={"frac": _frac()}),
    prop=_monotone, fast=True,
    description="bias-free ReLU CNNs (conv, pooling, dense): GD decreases the loss monotonically for "
                "η < 2/λ_max(∇²L(θ0)) (false)"))

MONOTONE_LINEAR = register(Claim(
    name="gd-monotone-linear",
    instances=instances(depth=(0, 0), input_dim=(1, 3), n=(1, 4), activations=st.just("identity"), bias=False,
                        scalars={"frac": _frac()}),
    prop=_monotone, fast=True,
    from_params=lambda seed=0, frac=Fraction(1, 2), n=3, d=2: random_instance(
        (d, 1), "identity", seed=seed, n=n, scalars={"frac": Fraction(frac)}),
    description="linear models (quadratic loss): GD decreases the loss monotonically for η < 2/λ_max (true)"))


def _nonsingular(inst, arith="float", prec=None) -> Result:
    """margin = |det(I − η∇²L(θ))| (float); exact or ball to certify a zero or a non-zero."""
    from ..arith.eigen import to_fmpq_mat
    from ..gdmap.maps import GDMap

    loss, th, eta = inst.loss(), inst.theta_array(), inst.scalar("eta")
    G = GDMap(loss, eta)
    claim = "det(I − η∇²L(θ)) ≠ 0"
    try:
        if arith == "float":
            d = float(np.linalg.det(np.asarray(G.jacobian(th), dtype=float)))
            return Result(Verdict.SUPPORTED if d != 0 else Verdict.INCONCLUSIVE, claim=claim,
                          margin=abs(d) if d != 0 else -1.0, arithmetic="float", message=f"det ≈ {d:.6g}")
        D = G.jacobian(th, "exact")
        d = to_fmpq_mat(D).det()
        q = Fraction(int(d.p), int(d.q))
        return Result(Verdict.PROVED if q != 0 else Verdict.REFUTED, claim=claim, margin=abs(q) if q else -1,
                      arithmetic="exact", counterexample=None if q else {"eta": eta},
                      scope=make_scope("the single point θ of the instance, at the single step size η (exact "
                                       "rational arithmetic)", count=1, points=[list(th)], eta=eta),
                      message=f"det(I − η∇²L(θ)) = {q} exactly")
    except RegionBoundaryError as exc:
        return Result(Verdict.INCONCLUSIVE, claim=claim, margin=0.0, message=f"region boundary: {exc}")


NONSINGULAR_RELU = register(Claim(
    name="gd-map-nonsingular-relu",
    instances=instances(depth=(1, 1), width=(1, 3), input_dim=(1, 2), n=(1, 3), activations=st.just("relu"),
                        bias=False, scalars={"eta": st.sampled_from([3, 7, 11, 13]).flatmap(
                            lambda q: st.integers(1, 3 * q).map(lambda k: Fraction(k, q)))}),
    prop=_nonsingular,
    from_params=lambda width=2, seed=0, eta=Fraction(1, 3), n=2, d=2: random_instance(
        (d, width, 1), "relu", seed=seed, n=n, scalars={"eta": Fraction(eta)}),
    description="bias-free two-layer ReLU nets: det(I − η∇²L(θ)) ≠ 0 at generated θ, η (docs/theory/gd_map.md §2.1)"))


def _ntk_pl_bound(inst, arith="float", prec=None) -> Result:
    """margin = (‖∇L‖²/L − 4s·λ_min(JJᵀ)) / (‖∇L‖²/L) at θ (``docs/theory/local_pl.md`` §3.2, §6 claim 8)."""

    loss, th = inst.loss(), inst.theta_array()
    s = loss.scale
    claim = "‖∇L‖²/L ≥ 4s·λ_min(J Jᵀ)"
    if arith == "float":
        L = float(loss.value(th))
        if L <= 0:
            return Result(Verdict.SUPPORTED, claim=claim, margin=1.0, message="L(θ) = 0: nothing to bound")
        g = np.asarray(loss.grad(th), dtype=float)
        J = np.asarray(loss.jacobian(th), dtype=float)
        lam = float(np.linalg.eigvalsh(J @ J.T).min())
        ratio = float(g @ g) / L
        m = (ratio - 4 * float(s) * lam) / ratio if ratio > 0 else 0.0
        return Result(Verdict.SUPPORTED if m >= -1e-12 else Verdict.INCONCLUSIVE, claim=claim,
                      margin=0.0 if abs(m) <= 1e-12 else m, arithmetic="float", message=f"ratio {ratio:.6g}, bound "
                      f"{4 * float(s) * lam:.6g}")
    from ..arith import get_arith
    from ..pl.ratio import ratio as pl_ratio

    a = get_arith(arith, prec)  # a certified arithmetic: ball64, or Arb balls at prec bits
    r = pl_ratio(loss, th, a.name, a.prec)
    J = loss.jacobian(th, a.name, a.prec)
    with a.context():
        K = a.matmul(J, J.T)
    # a certified lower bound of 4s·λ_min(JJᵀ) from the arithmetic's eigenvalue enclosures (every symmetric matrix
    # in the enclosure of JJᵀ)
    bound = 4 * s * min(lo for lo, _ in a.symmetric_eigenvalue_bounds(K))
    r_lo = a.bounds(r)[0]
    # a certified lower bound of 4s·λ_min cannot certify a violation (that needs an upper bound): the ball mode
    # only confirms the inequality's margin or says INCONCLUSIVE, it never reports REFUTED
    if r_lo >= bound:
        return Result(Verdict.SUPPORTED, claim=claim, margin=_f((r_lo - bound) / r_lo) if r_lo else 0.0,
                      arithmetic=a.name, precision=a.prec, message=f"ratio ≥ {_f(r_lo):.6g} ≥ bound {_f(bound):.6g}")
    return Result(Verdict.INCONCLUSIVE, claim=claim, margin=0.0, arithmetic=a.name, precision=a.prec,
                  message="the enclosures overlap")


NTK_PL = register(Claim(
    name="pl-ntk-lower-bound",
    instances=instances(depth=(1, 2), width=(1, 3), input_dim=(1, 3), n=(1, 3), activations=st.sampled_from(
        ["tanh", "sigmoid", "softplus", "relu"]), bias=None),
    prop=_ntk_pl_bound, fast=True,
    from_params=lambda width=2, seed=0, n=2, d=2: random_instance((d, width, 1), "tanh", seed=seed, n=n),
    description="square losses: ‖∇L‖²/L ≥ 4s·λ_min(JJᵀ) at every θ (docs/theory/local_pl.md §3.2; true)"))

NTK_PL_GRAPH = register(Claim(
    name="pl-ntk-lower-bound-graph",
    instances=graph_instances(kinds=("conv", "attention"), n=(1, 3)),
    prop=_ntk_pl_bound, fast=True,
    description="square losses of small CNNs (conv, pooling, dense) and softmax-attention networks: "
                "‖∇L‖²/L ≥ 4s·λ_min(JJᵀ) at every θ (the NTK form of docs/theory/local_pl.md §3.2 holds for any "
                "network; true)"))
