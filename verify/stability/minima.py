"""Linear stability of minima under GD and SGD (``shared/theory/gd_map.md`` §3).

* GD: θ* is linearly stable for G_η iff the spectral radius of I − η∇²L(θ*) is ≤ 1; for a minimum
  (∇²L ⪰ 0) that is η λ_max ≤ 2, asymptotically stable iff η λ_max < 2, "edge of stability" at
  η λ_max = 2. :func:`gd` certifies λ_max (exactly from the characteristic polynomial for rational
  θ* on polynomial pieces; else Arb eigenvalue enclosures) and decides the strict inequality.
* SGD (Wu, Ma & E 2018): with sharpness a = λ_max(H) and non-uniformity s² = λ_max(Σ),
  Σ = (1/n) Σ_i H_i² − H² (H_i the per-sample Hessians, H their mean), linear stability in mean
  square with batch size B needs (1 − ηa)² + η²(n − B)/(B(n − 1)) s² ≤ 1. :func:`sgd` decides it
  in exact arithmetic (a and s² as exact algebraic numbers). Chemnitz & Engel's criterion — the
  top Lyapunov exponent λ of the random product Π (I − η H_{B_k}) is negative — is estimated by
  Monte Carlo with a standard error (numerical evidence only).
"""

from __future__ import annotations

import math
import time
from fractions import Fraction
from itertools import combinations

import numpy as np
import sympy as sp

from ..arith.ball import _ArbPrec, ball_bounds
from ..arith.eigen import ball_eigen_enclosures, exact_eigen_intervals, to_fmpq_mat
from ..errors import InputError
from ..gdmap.maps import batch_objective, check_eta, eta_str
from ..gdmap.regions import is_polynomial_objective
from ..numbers import fraction_array
from ..result import Quantity, Result, Verdict


def _rational_point(theta):
    """θ as exact rationals when the user gave exact numbers (ints, Fractions, sympy/flint rationals); None for
    floats — their exact binary values have ~50-digit denominators, which makes exact spectra needlessly slow
    (root isolation of a characteristic polynomial with huge coefficients): balls are used for them."""
    arr = np.asarray(theta, dtype=object).reshape(-1)
    if any(isinstance(v, float | np.floating) for v in arr):
        return None
    try:
        return fraction_array(theta, what="θ*")
    except InputError:
        return None


def _gradient_bound(objective, th, exact: bool, prec: int):
    """(certified max |∂L/∂θ_j| upper bound as float, exactly zero?)."""
    if exact:
        g = objective.grad(th, "exact")
        vals = [abs(Fraction(int(x.p), int(x.q))) for x in g]
        return float(max(vals, default=0)), all(v == 0 for v in vals)
    g = objective.grad(th, "ball", prec)
    return max((float(abs(x).upper()) for x in g), default=0.0), False


def spectrum(objective, theta, prec: int = 128):
    """Certified eigenvalues of ∇²L(θ): ('exact', [RealRoot…]) or ('ball', [arb…]) (sorted)."""
    th = _rational_point(theta)
    if th is not None and is_polynomial_objective(objective):
        H = objective.hessian(th, "exact")
        return "exact", exact_eigen_intervals(H)
    H = objective.hessian(theta, "ball", prec)
    return "ball", ball_eigen_enclosures(H, prec)


def _lam_max_min(kind, eigs):
    """(λ_max lo, hi, λ_min lo, hi) as Fractions/float bounds and exact values where available."""
    if kind == "exact":
        top, bot = eigs[-1], eigs[0]
        return (top.lo, top.hi, bot.lo, bot.hi), (top, bot)
    top = max(eigs, key=lambda b: float(b.upper()))
    bot = min(eigs, key=lambda b: float(b.lower()))
    return (*ball_bounds(top), *ball_bounds(bot)), (top, bot)


def gd(objective, theta_star, eta, prec: int = 128) -> Result:
    """Is the minimum θ* linearly stable for GD with step η, i.e. η λ_max(∇²L(θ*)) < 2?

    PROVED / REFUTED with a certified λ_max; ``certificate['classification']`` is ``stable``
    (η λ_max < 2), ``edge`` (= 2, exact arithmetic only) or ``unstable`` (> 2). The margin is
    2 − η λ_max (an enclosure). Also reports whether θ* is a certified critical point and minimum.
    """
    t0 = time.perf_counter()
    q = check_eta(eta)
    kind, eigs = spectrum(objective, theta_star, prec)
    (mlo, mhi, nlo, nhi), (top, bot) = _lam_max_min(kind, eigs)
    thr = Fraction(2) / q
    exact = kind == "exact"
    gbound, gzero = _gradient_bound(objective, _rational_point(theta_star) if exact else theta_star, exact, prec)
    if exact:
        chi = to_fmpq_mat(objective.hessian(_rational_point(theta_star), "exact")).charpoly()
        poly = sp.Poly([sp.Rational(int(c.p), int(c.q)) for c in reversed(chi.coeffs())], sp.Symbol("x"))
        above = poly.count_roots(sp.Rational(thr.numerator, thr.denominator), None)
        at = poly.eval(sp.Rational(thr.numerator, thr.denominator)) == 0
        above -= 1 if at else 0  # count_roots counts closed intervals
        cls = "unstable" if above > 0 else ("edge" if at else "stable")
    else:
        if mhi < thr:
            cls = "stable"
        elif mlo > thr:
            cls = "unstable"
        else:
            cls = None
    margin = (2 - q * mhi, 2 - q * mlo)
    if nhi < 0:
        minimum = "no: λ_min < 0"
    elif nlo < 0:
        minimum = "undecided: the λ_min enclosure contains 0"
    elif gzero:
        minimum = "yes: ∇L(θ*) = 0 exactly and ∇²L(θ*) ⪰ 0"
    else:
        minimum = f"∇²L(θ*) ⪰ 0; criticality not certified (|∂L/∂θ_j| ≤ {gbound:.3g})"
    cert = {"classification": cls, "lambda_max": [mlo, mhi], "lambda_min": [nlo, nhi],
            "edge_step": [2 / mhi if mhi else None, 2 / mlo if mlo > 0 else None],
            "gradient_max_abs": gbound, "gradient_exactly_zero": gzero,
            "is_minimum": minimum, "method": "exact characteristic polynomial (Sturm count)" if exact else
            f"Arb eigenvalue enclosures at {prec} bits"}
    if exact:
        cert["lambda_max_exact"] = str(top.exact)
    claim = f"θ* is linearly stable for GD at η = {eta_str(q)} (η λ_max < 2)"
    elapsed = time.perf_counter() - t0
    arith = "exact" if exact else "ball"
    lam_txt = f"λ_max ∈ [{float(mlo):.10g}, {float(mhi):.10g}]"
    if cls is None:
        return Result(Verdict.INCONCLUSIVE, claim=claim, quantity=Quantity("λ_max", None, (mlo, mhi)), margin=margin,
                      certificate=cert, arithmetic=arith, precision=prec, elapsed=elapsed,
                      message=f"{lam_txt} contains 2/η = {float(thr):.10g}: raise prec (now {prec})")
    verdict = Verdict.PROVED if cls == "stable" else Verdict.REFUTED
    return Result(verdict, claim=claim, quantity=Quantity("λ_max", str(top.exact) if exact else None, (mlo, mhi)),
                  margin=margin, certificate=cert, arithmetic=arith, precision=None if exact else prec,
                  counterexample=None if verdict == Verdict.PROVED else {"eta": q, "classification": cls},
                  elapsed=elapsed, message=f"{cls}: {lam_txt}, η λ_max {_REL[cls]} 2 (edge of stability at "
                  f"η = 2/λ_max ≈ {float(2 / ((mlo + mhi) / 2)) if mhi > 0 else float('inf'):.10g})")


_REL = {"stable": "<", "edge": "=", "unstable": ">"}


# ----------------------------------------------------------------------------------------- SGD
def per_sample_hessians(objective, theta, arith="exact", prec=None):
    """[H_i] with H = (1/n) Σ H_i, H_i the Hessian of the loss on data point i alone."""
    n = objective.data.n
    return [batch_objective(objective, [i]).hessian(theta, arith, prec) for i in range(n)]


def _exact_lam_max(M) -> tuple:
    eigs = exact_eigen_intervals(M)
    return eigs[-1]


def sgd(objective, theta_star, eta, batch_size: int | None = None, batch_probabilities=None, *,
        lyapunov_steps: int = 2000, lyapunov_runs: int = 8, seed: int = 0) -> Result:
    """Linear stability of θ* for SGD.

    With ``batch_size`` B (uniform batches without replacement): the Wu–Ma–E mean-square
    condition (1 − ηa)² + η²(n − B)/(B(n − 1)) s² ≤ 1, decided exactly (PROVED: the necessary
    condition holds; REFUTED: it fails, so θ* is not mean-square stable). With
    ``batch_probabilities`` — a list of (batch, probability) — the mean-square operator criterion
    is used instead: ρ(E[(I − ηH_B) ⊗ (I − ηH_B)]) ≤ 1 (exact for small p). In both cases the
    Lyapunov exponent of the random product is estimated with an error bar
    (``certificate['lyapunov']``, numerical).
    """
    t0 = time.perf_counter()
    q = check_eta(eta)
    from ..models.objective import NetworkLoss

    if not isinstance(objective, NetworkLoss):
        raise InputError("sgd stability needs a network loss with a dataset (per-sample Hessians)")
    n = objective.data.n
    th = _rational_point(theta_star)
    if th is None or not is_polynomial_objective(objective):
        raise InputError("the exact SGD criterion needs a rational θ* and activations polynomial on their pieces")
    if (batch_size is None) == (batch_probabilities is None):
        raise InputError("give exactly one of batch_size or batch_probabilities")
    Hs = per_sample_hessians(objective, th)
    F = [to_fmpq_mat(H) for H in Hs]
    p = objective.n_params
    Hm = F[0]
    for M in F[1:]:
        Hm = Hm + M
    Hm = Hm / n
    if batch_size is not None:
        B = int(batch_size)
        if not 1 <= B <= n:
            raise InputError(f"batch_size must be in [1, {n}], got {batch_size}")
        S = F[0] * F[0]
        for M in F[1:]:
            S = S + M * M
        Sigma = S / n - Hm * Hm
        a = _exact_lam_max(_np(Hm))
        s2 = _exact_lam_max(_np(Sigma))
        c = Fraction(n - B, B * (n - 1)) if n > 1 else Fraction(0)
        A, S2 = sp.Symbol("a"), sp.Symbol("s2")
        expr = (1 - sp.Rational(q.numerator, q.denominator) * A) ** 2 + sp.Rational(q.numerator, q.denominator) ** 2 \
            * sp.Rational(c.numerator, c.denominator) * S2
        val = sp.nsimplify(expr.subs({A: a.exact, S2: s2.exact}))
        lo, hi = _interval_eval(q, c, (a.lo, a.hi), (s2.lo, s2.hi))
        if hi < 1:
            holds = True
        elif lo > 1:
            holds = False
        else:
            holds = bool(sp.simplify(val - 1) <= 0)
        batches = [list(b) for b in combinations(range(n), B)]
        probs = [Fraction(1, len(batches))] * len(batches)
        crit = {"criterion": "Wu-Ma-E mean-square condition (necessary)", "sharpness_a": str(a.exact),
                "non_uniformity_s2": str(s2.exact), "value": [lo, hi], "value_exact": str(val), "threshold": 1}
        margin = (1 - hi, 1 - lo)
    else:
        batches, probs = _check_batch_probs(batch_probabilities, n)
        if p > 12:
            raise InputError(f"the exact mean-square operator is {p * p}×{p * p}; p = {p} exceeds the limit 12: "
                             "use batch_size (the Wu-Ma-E condition)")
        rho = _mean_square_operator_radius(objective, th, q, batches, probs)
        holds = True if rho[1] < 1 else (False if rho[0] >= 1 else None)
        crit = {"criterion": "spectral radius of E[(I − ηH_B)⊗(I − ηH_B)] < 1", "radius": list(rho)}
        margin = (1 - rho[1], 1 - rho[0])
    lyap = lyapunov_exponent(objective, th, q, batches, probs, steps=lyapunov_steps, runs=lyapunov_runs, seed=seed)
    crit["lyapunov"] = lyap
    claim = (f"Wu-Ma-E condition (necessary for mean-square stability) holds for SGD at η = {eta_str(q)}, "
             f"B = {batch_size}"
             if batch_size is not None else f"θ* is mean-square linearly stable for SGD at η = {eta_str(q)}")
    elapsed = time.perf_counter() - t0
    if holds is None:
        return Result(Verdict.INCONCLUSIVE, claim=claim, margin=margin, certificate=crit, arithmetic="exact",
                      elapsed=elapsed, message="the criterion sits at its threshold within the computed enclosure")
    verdict = Verdict.PROVED if holds else Verdict.REFUTED
    return Result(verdict, claim=claim, quantity=Quantity("mean-square criterion", crit.get("value_exact")),
                  margin=margin, certificate=crit, arithmetic="exact", elapsed=elapsed,
                  counterexample=None if holds else {"eta": q, "criterion": crit["criterion"]},
                  message=f"{crit['criterion']}: {'holds' if holds else 'fails'}; Lyapunov exponent ≈ "
                          f"{lyap['estimate']:.4g} ± {lyap['stderr']:.2g} (numerical)")


def _np(M):
    r = M.nrows()
    return np.array(M.entries(), dtype=object).reshape(r, r)


def _interval_eval(q, c, a_iv, s_iv):
    """Enclosure of (1 − q a)² + q² c s² for a ∈ a_iv, s² ∈ s_iv (rational interval arithmetic)."""
    t = [1 - q * a_iv[0], 1 - q * a_iv[1]]
    sq = [x * x for x in t]
    lo_sq = 0 if t[0] * t[1] <= 0 else min(sq)
    k = q * q * c
    return lo_sq + k * s_iv[0], max(sq) + k * s_iv[1]


def _check_batch_probs(batch_probabilities, n):
    batches, probs = [], []
    for item in batch_probabilities:
        try:
            b, pr = item
        except (TypeError, ValueError):
            raise InputError("batch_probabilities must be a list of (batch, probability) pairs") from None
        from ..numbers import to_fraction

        pr = to_fraction(pr, what="a batch probability")
        if pr < 0:
            raise InputError("batch probabilities must be ≥ 0")
        batches.append([int(i) for i in b])
        probs.append(pr)
    if not batches or sum(probs) != 1:
        raise InputError(f"batch probabilities must sum to exactly 1, got {sum(probs) if probs else 0}")
    return batches, probs


def _flat_directions_complement(HBs):
    """Exact basis Q (p × r) of N^⊥, N = ∩ ker H_B the directions every batch map leaves fixed
    (tangent to a manifold of minima), and the reduced matrices C_B with (I − ηH_B) Q = Q C_B."""
    from flint import fmpq_mat

    from ..gdmap.linalg_exact import vstack

    R, rank = vstack(HBs).rref()
    p = HBs[0].ncols()
    Q = fmpq_mat(p, rank, [R[j, i] for i in range(p) for j in range(rank)])
    return Q


def _reduce(A, Q):
    """C with A Q = Q C for A preserving span(Q): C = (QᵀQ)⁻¹ Qᵀ A Q (exact)."""
    Qt = Q.transpose()
    return (Qt * Q).solve(Qt * A * Q)


def _mean_square_operator_radius(objective, th, q, batches, probs):
    """Certified enclosure of ρ(Σ_B π_B C_B ⊗ C_B), C_B the batch maps' linear parts (I − ηH_B)
    restricted to N^⊥ (the flat directions N of an over-parameterised minimum are fixed by every
    batch map and carry eigenvalue 1 for any η, so they are factored out)."""
    from flint import acb_mat, arb_mat, fmpq_mat

    p = objective.n_params
    HBs = [to_fmpq_mat(batch_objective(objective, b).hessian(th, "exact")) for b in batches]
    Q = _flat_directions_complement(HBs)
    if Q.ncols() == 0:
        return (0.0, 0.0)
    eye = fmpq_mat(p, p, [int(i == j) for i in range(p) for j in range(p)])
    op = None
    for HB, pr in zip(HBs, probs):
        C = _np(_reduce(eye - HB * _fq(q), Q))
        K = np.kron(C, C) * _fq(pr)
        op = K if op is None else op + K
    with _ArbPrec(128):
        ev = acb_mat(arb_mat(op.tolist())).eig(multiple=True, nonstop=True)
    ups = [float(abs(e).upper()) for e in ev]
    los = [float(abs(e).lower()) for e in ev]
    if any(math.isnan(u) for u in ups):
        return (0.0, float("inf"))
    return (max(los), max(ups))


def _fq(q):
    from flint import fmpq

    return fmpq(q.numerator, q.denominator)


def lyapunov_exponent(objective, theta, eta, batches, probs, *, steps: int = 2000, runs: int = 8,
                      seed: int = 0) -> dict:
    """Monte-Carlo estimate of λ = lim (1/k) log ‖Π_{j≤k} (I − η H_{B_j}) v‖ (float64, renormalised),
    on the complement of the directions every H_B annihilates (flat directions of a minimum).

    Returns the mean over ``runs`` independent runs and its standard error: numerical evidence.
    """
    rng = np.random.default_rng(seed)
    p = objective.n_params
    eta_f = float(eta)
    HBs = [np.asarray(batch_objective(objective, b).hessian(theta, "float"), dtype=float) for b in batches]
    # restrict to the complement of the common kernel (flat directions: exponent 0 for every η)
    _, sv, Vt = np.linalg.svd(np.vstack(HBs))
    r = int((sv > 1e-10 * max(sv.max(), 1e-300)).sum())
    Q = Vt[:r].T
    mats = [Q.T @ (np.eye(p) - eta_f * H) @ Q for H in HBs]
    p = r
    if r == 0:
        return {"estimate": -math.inf, "stderr": 0.0, "runs": runs, "steps": steps, "arithmetic": "float",
                "dimension": 0}
    pr = np.array([float(x) for x in probs])
    pr = pr / pr.sum()
    ests = []
    for _ in range(runs):
        v = rng.standard_normal(p)
        v /= np.linalg.norm(v)
        acc = 0.0
        for j in rng.choice(len(mats), size=steps, p=pr):
            v = mats[j] @ v
            nv = np.linalg.norm(v)
            if nv == 0:
                acc = -math.inf
                break
            acc += math.log(nv)
            v /= nv
        ests.append(acc / steps)
    arr = np.array(ests)
    finite = np.isfinite(arr).all()
    return {"estimate": float(arr.mean()) if finite else -math.inf,
            "stderr": float(arr.std(ddof=1) / math.sqrt(runs)) if finite and runs > 1 else 0.0,
            "runs": runs, "steps": steps, "arithmetic": "float", "dimension": r}


__all__ = ["gd", "sgd", "spectrum", "lyapunov_exponent", "per_sample_hessians"]
