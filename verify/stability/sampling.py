"""Linear stability of an interpolating minimum under SGD *as practised*: a fixed epoch order, random reshuffling,
and batches drawn with replacement (the GD-map setting of Crăciun & Ghoshdastidar, arXiv:2510.24466; Wu, Ma & E,
"How SGD selects the global minima in over-parameterized learning", NeurIPS 2018; Ma & Ying, "On linear stability
of SGD and input-smoothness of neural networks", arXiv:2105.13462, NeurIPS 2021).

**Common fixed point.** SGD can only stay at θ* if θ* is a fixed point of every batch map it applies:
∇L_B(θ*) = 0 for every batch B (an interpolating minimum: every per-sample gradient vanishes). Each function
certifies this exactly and otherwise REFUTES the claim, saying that θ* is not a fixed point of SGD (the
linearisation then describes nothing). Near θ* the error e = θ − θ* follows e ↦ C_B e with C_B = I − η_B H_B,
H_B = ∇²L_B(θ*) (every intermediate iterate of an epoch equals θ*, so each factor is evaluated at θ*). The
directions N = ∩_B ker H_B (flat directions of a manifold of minima) are fixed by every C_B and carry the
eigenvalue 1 for every η; each C_B maps N^⊥ into itself (H_B symmetric, range H_B ⊆ N^⊥), so all criteria below
are taken on N^⊥ (exact basis, exact reduction).

**A fixed epoch order** (:func:`epoch_stability`) — one deterministic map per epoch, E(θ) = G_K ∘ ⋯ ∘ G_1(θ),
DE(θ*) = C = C_K ⋯ C_1:

* ρ(C) < 1 ⇔ θ* is a linearly asymptotically stable fixed point of E (necessary and sufficient for the
  linearisation; the verdict). A certified eigenvalue of modulus > 1 ⇒ θ* is an unstable fixed point of E
  (REFUTED). ρ(C) = 1 (an eigenvalue on the unit circle): the linearisation does not decide (INCONCLUSIVE).
* ‖C‖₂ < 1 (the norm of the exact product) ⇒ ρ(C) < 1: *sufficient*, and E is then a contraction near θ* in the
  Euclidean norm (every epoch shrinks the error).
* Π_k ‖C_k‖₂ < 1 (product of the factor norms) ⇒ ‖C‖₂ < 1: *sufficient*, weaker. Since each C_k is symmetric,
  ‖C_k‖₂ = ρ(C_k): if every batch map is GD-stable at θ* (ρ(C_k) ≤ 1), the epoch is stable in the non-strict sense
  (ρ(C) ≤ ‖C‖₂ ≤ 1) — with symmetric factors "each batch stable but the epoch unstable" cannot happen. The
  converse fails: a batch map may be GD-unstable (ρ(C_k) > 1) while the epoch is stable, and full-batch GD may be
  stable while the epoch is unstable (examples in docs/sgd.md and the tests). None of the per-batch or full-batch
  conditions is necessary or sufficient for the epoch.

**Random reshuffling** (:func:`reshuffling_stability`) — each epoch uses a fresh uniformly random permutation, so
the epoch linearisations C_π are i.i.d. over the ordered batch partitions π (enumerated exactly for n! ≤ 40 320):

* mean-square asymptotic stability at epoch boundaries (E‖e_t‖² → 0 for every e_0) ⇔ ρ(T) < 1,
  T(S) = E_π[C_π S C_πᵀ] (necessary and sufficient; the verdict). T is a positive map, so ρ(T) is itself an
  eigenvalue (Krein–Rutman), decided exactly (Arb root moduli on a precision ladder, then an exact Sturm count).
* max_π ‖C_π‖₂ < 1 ⇒ every realisation contracts (*sufficient* for almost-sure and mean-square stability).
* ρ(E_π C_π) ≤ 1 is *necessary* for mean-square stability (E e_t = (E C_π)^t e_0 and ‖E e_t‖² ≤ E‖e_t‖²).

**With replacement** (:func:`replacement_stability`) — every step draws its batch independently: a uniform
b-subset (``sampling="subset"``, the scheme of :func:`verify.stability.sgd`) or b indices drawn independently with
replacement (``"multiset"``). Then T(S) = E[C_B S C_B] = (I − ηH) S (I − ηH) + η² c (1/n) Σ_i D_i S D_i with
H = ∇²L(θ*), D_i = H_i − H, c = (n − b)/(b(n − 1)) (subset) or 1/b (multiset) (Wu, Ma & E 2018):

* ρ(T) < 1 ⇔ mean-square asymptotic stability (necessary and sufficient; the verdict);
* λ_max(T(I)) = λ_max((I − ηH)² + η²cΣ) ≤ 1, Σ = (1/n)Σ H_i² − H², is *sufficient* for E‖e_t‖² to be
  non-increasing (the matrix condition of Wu, Ma & E, their Theorem 1 — on N^⊥ it is < 1 for asymptotic stability);
* 0 ≤ λ(H) ≤ 2/η on N^⊥ (full-batch GD stability) is *necessary*. Ma & Ying (arXiv:2105.13462) extend the
  analysis to higher moments E‖e_t‖^k; the toolkit decides the second moment.

Mean-square stability is stricter than almost-sure stability: the top Lyapunov exponent of the random product can
be negative while ρ(T) > 1 (heavy-tailed growth of rare realisations); :func:`verify.stability.lyapunov_exponent`
estimates it (numerical evidence only).

All decisions are exact: θ* must be an exact rational point and the loss polynomial on its pieces (ReLU-type or
linear networks with a square loss and rational data), so every H_B is an exact rational matrix; characteristic
polynomials are exact and their roots are located by Arb enclosures compared on exact endpoints
(:mod:`verify.arith.decide`).
"""

from __future__ import annotations

import math
import time
from fractions import Fraction
from itertools import permutations

from .. import validate
from ..arith.decide import compare, hull_max
from ..errors import InputError, RegionBoundaryError, VerifyError
from ..gdmap.epochs import EpochMap
from ..gdmap.maps import batch_objective, check_eta, eta_str
from ..gdmap.regions import is_polynomial_objective
from ..numbers import fraction_str
from ..result import Quantity, Result, Verdict, make_scope
from .minima import (
    MEAN_SQUARE_MAX_DIM,
    ROOT_PRECISIONS,
    _charpoly,
    _eye,
    _flat_directions_complement,
    _fq,
    _frac,
    _is_root,
    _mat,
    _radius_vs_one,
    _rational_point,
    _reduce,
    _sym_restriction,
    _symmetric_root_positions,
)

#: random reshuffling enumerates every permutation of the data: n! ≤ this
MAX_PERMUTATIONS = 40320


# ------------------------------------------------------------------------------------------------ helpers
def _exact_setup(objective, theta_star):
    from ..models.objective import NetworkLoss

    if not isinstance(objective, NetworkLoss):
        raise InputError("SGD stability needs a network loss with a dataset (SquareLoss, LogisticLoss, …)")
    th = _rational_point(theta_star)
    if th is None or len(th) != objective.n_params:
        raise InputError(f"θ* must be an exact rational point with {objective.n_params} entries (not floats)")
    if not is_polynomial_objective(objective):
        raise InputError("the exact SGD criteria need a loss polynomial on its pieces (ReLU-type or linear networks, "
                         "square loss, rational data)")
    return th


def _fixed_point_failure(objective, th, batches):
    """None when ∇L_B(θ*) = 0 exactly for every batch; else (batch, index, value)."""
    for b in batches:
        g = batch_objective(objective, b).grad(th, "exact")
        for j, v in enumerate(g):
            if _frac(v) != 0:
                return b, j, _frac(v)
    return None


def _radius_general(P) -> dict:
    """ρ = max |root| of a rational polynomial P (a general real matrix's characteristic polynomial) against 1:
    Arb enclosures of every root's modulus on a precision ladder (128 … 4096 bits). Undecided when a root may lie
    on the unit circle (then P(1) = 0 or P(−1) = 0 is reported when it holds exactly)."""
    from ..arith.ball import _ArbPrec

    if P.degree() < 1:
        return {"rho": (Fraction(0), Fraction(0)), "lt_1": True, "gt_1": False,
                "decided_by": "no transverse directions"}
    last = None
    for prec in ROOT_PRECISIONS:
        with _ArbPrec(prec):
            roots = P.complex_roots()
            mods = [abs(c) for c, _m in roots]
        rho = hull_max(mods)
        rho = (max(rho[0], Fraction(0)), rho[1])
        last = rho
        c = compare(rho, 1)
        if c == -1:
            return {"rho": rho, "lt_1": True, "gt_1": False,
                    "decided_by": f"Arb enclosures of every eigenvalue's modulus at {prec} bits"}
        if c == 1:
            return {"rho": rho, "lt_1": False, "gt_1": True,
                    "decided_by": f"Arb enclosures of the eigenvalues' moduli at {prec} bits: one is > 1"}
    on = [s for s in (1, -1) if _is_root(P, Fraction(s))]
    return {"rho": last, "lt_1": None, "gt_1": None,
            "decided_by": "an eigenvalue's modulus cannot be separated from 1 at 4096 bits"
                          + (f" (exact eigenvalue(s) {on}: the edge of stability)" if on else "")}


def _norm_lt_one(C, Q) -> bool | None:
    """‖A|_{span Q}‖₂ < 1 for A with A Q = Q C: λ_max((QᵀQ)⁻¹ Cᵀ QᵀQ C) < 1 (generalised symmetric eigenproblem,
    real eigenvalues), decided exactly."""
    G = Q.transpose() * Q
    M = G.solve(C.transpose() * G * C)
    pos = _symmetric_root_positions(_charpoly(M), [Fraction(1)])
    below, at, above = pos.counts[Fraction(1)]
    return above == 0 and at == 0


def _norm_enclosure(Hr, q: Fraction) -> tuple[Fraction, Fraction]:
    """Exact enclosure of ‖I − qH‖₂ = max |1 − qμ| over the (real) eigenvalues μ of H restricted to N^⊥ (Hr, similar
    to a symmetric matrix)."""
    pos = _symmetric_root_positions(_charpoly(Hr), [])
    if not pos.enclosures:
        return Fraction(1), Fraction(1)
    lo_mu, hi_mu = pos.hull_min(), pos.hull_max()
    # |1 − qμ| is convex in μ: its max over [μ_min, μ_max] is at an end
    cands = []
    for lo, hi in (lo_mu, hi_mu):
        a, b = 1 - q * hi, 1 - q * lo
        cands.append((Fraction(0) if a <= 0 <= b else min(abs(a), abs(b)), max(abs(a), abs(b))))
    return max(c[0] for c in cands), max(c[1] for c in cands)


def _verdict_from(rad: dict):
    if rad["lt_1"]:
        return Verdict.PROVED
    if rad["gt_1"]:
        return Verdict.REFUTED
    return Verdict.INCONCLUSIVE


def _transverse_basis(mats, p: int, claim: str, t0: float, what: str, limit: int | None = None):
    """An exact basis Q of N^⊥, N = ∩ ker H over ``mats``, and its dimension r; when r = 0 also the INCONCLUSIVE
    Result to return (every Hessian vanishes: no transverse dynamics, the claim would be vacuous). A dimension above
    ``limit`` (the exact mean-square operator acts on r×r symmetric matrices) is refused."""
    Q = _flat_directions_complement(mats)
    r = Q.ncols()
    if r == 0:
        return Q, r, Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic="exact", elapsed=time.perf_counter() - t0,
                            certificate={"flat_directions": p},
                            message=f"every {what} Hessian vanishes at θ*: θ* lies in a flat set of fixed points and "
                                    "there is no transverse dynamics (the claim would be vacuous)")
    if limit is not None and r > limit:
        raise InputError(f"the exact mean-square operator acts on {r}×{r} symmetric matrices; r = {r} exceeds the "
                         f"limit {limit}")
    return Q, r, None


def _flat_directions_guard(objective, th, flat: int, verdict):
    """With k = dim N > 0 flat directions the criteria are taken on N^⊥ only (on N the linearisation is the
    identity). That describes the stability of θ* — as for GD (:data:`verify.stability.minima.GD_SEMANTICS`) —
    only when the zero-curvature directions are known to be harmless: here, when θ* is a certified global
    minimum (L ≥ 0 everywhere known structurally and L(θ*) = 0 exactly). Otherwise a PROVED on N^⊥ is downgraded
    to INCONCLUSIVE (higher-order terms along N could make θ* unstable); REFUTED stands (an eigenvalue of modulus
    > 1 on the invariant subspace N^⊥ makes θ* unstable whatever happens on N). Returns (verdict, note)."""
    if flat == 0:
        return verdict, None
    from ..pl import nonnegativity

    nn = nonnegativity(objective)
    try:
        value = objective.value(th, "exact")
    except (VerifyError, ArithmeticError):  # not evaluated exactly: "not certified", never a verdict
        value = None
    if nn is not None and value is not None and _frac(value) == 0:
        return verdict, (f"{flat} flat direction(s) N = ∩ ker H_B: the criterion holds on N^⊥; θ* is a certified "
                         f"global minimum (L(θ*) = 0, {nn}), so the flat directions are zero-curvature directions "
                         "of minima")
    why = ("L ≥ 0 is not known structurally" if nn is None else
           "L(θ*) could not be evaluated exactly" if value is None else f"L(θ*) = {fraction_str(_frac(value))} ≠ 0")
    note = (f"{flat} flat direction(s) N = ∩ ker H_B and θ* is not a certified global minimum ({why}): the "
            "criterion is decided on N^⊥ only")
    if verdict == Verdict.PROVED:
        return Verdict.INCONCLUSIVE, note + ", and higher-order terms along N are not controlled (PROVED withheld)"
    return verdict, note


def _mean_square_result(rad, objective, th, flat: int, claim, scope, q, cert: dict, t0: float, message: str):
    """The Result of a mean-square criterion ρ(T) < 1 (random reshuffling, with replacement): PROVED / REFUTED /
    INCONCLUSIVE from the certified position of ρ(T) against 1, then the flat-direction guard
    (:func:`_flat_directions_guard`), whose note joins the certificate and the message."""
    verdict = Verdict.PROVED if rad["rho_lt_1"] else (
        Verdict.INCONCLUSIVE if rad.get("rho_equals_1") is not False else Verdict.REFUTED)
    verdict, flat_note = _flat_directions_guard(objective, th, flat, verdict)
    cert["flat_directions_note"] = flat_note
    rho = rad["rho"]
    known = bool(rho) and None not in rho
    return Result(verdict, claim=claim, arithmetic="exact", elapsed=time.perf_counter() - t0, scope=scope,
                  quantity=Quantity("ρ(T)", None, tuple(rho) if known else None),
                  margin=(1 - rho[1], 1 - rho[0]) if known else None, certificate=cert,
                  counterexample=None if verdict != Verdict.REFUTED else {"eta": q, "rho_T": rho},
                  message=message + (f"; {flat_note}" if flat_note else ""))


def _not_fixed(claim, point_scope, fail, t0, extra: str = ""):
    b, j, v = fail
    return Result(Verdict.REFUTED, claim=claim, arithmetic="exact", elapsed=time.perf_counter() - t0,
                  scope=point_scope,
                  message=f"θ* is not a fixed point of SGD: ∂L_B/∂θ_{j} = {fraction_str(v)} ≠ 0 (exact) for the batch "
                          f"{b}, so the batch map moves θ*{extra}; the stability criteria are about a common fixed "
                          "point of the batch maps (an interpolating minimum where every batch gradient vanishes)",
                  certificate={"criterion": "common fixed point", "batch": b, "classification":
                               "not a fixed point of SGD"},
                  counterexample={"batch": b, "coordinate": j, "gradient": v})


def _point_scope(th, q, what):
    return make_scope(f"the single point θ* (exact rational), {what}", count=1,
                      points=[[fraction_str(Fraction(v)) for v in th]], eta=q)


# ------------------------------------------------------------------------------------------ fixed epoch order
def epoch_stability(epoch: EpochMap, theta_star, eta=None) -> Result:
    """Is θ* a linearly asymptotically stable fixed point of the epoch map E (a fixed order of batches, with its
    step-size schedule)? Verdict from ρ(DE(θ*)) on N^⊥ (necessary and sufficient for the linearisation); the
    certificate adds the sufficient conditions ‖DE(θ*)‖₂ < 1 and Π‖C_k‖₂ < 1, and each batch's and full-batch GD's
    own stability (neither necessary nor sufficient for the epoch). See the module docstring.

    ``eta`` replaces the epoch's base step size (same batches and multipliers)."""
    t0 = time.perf_counter()
    if not isinstance(epoch, EpochMap):
        raise InputError(f"epoch_stability needs an EpochMap (vf.SGDMap.epoch(...)), got {type(epoch).__name__}")
    if eta is not None:
        epoch = epoch.with_eta(eta)
    objective = epoch.full_objective
    th = _exact_setup(objective, theta_star)
    q = epoch.eta
    desc = epoch.describe()
    claim = (f"θ* is a common fixed point of the {epoch.steps} batch maps and a linearly asymptotically stable fixed "
             f"point of the epoch map ({desc['scheme']}) at η = {eta_str(q)}")
    scope = _point_scope(th, q, f"the epoch of {epoch.steps} batch steps {desc['batches']} at η = {eta_str(q)}")
    scope["epoch"] = desc
    try:
        fail = _fixed_point_failure(objective, th, epoch.batches)
        if fail is not None:
            moved = epoch(th, "exact")
            back = all(_frac(a) == b for a, b in zip(moved, th))
            return _not_fixed(claim, scope, fail, t0, "" if not back else
                              " (the whole epoch happens to return to θ*, but θ* is not a fixed point of each step)")
        HBs = [_mat(m.objective.hessian(th, "exact")) for m in epoch.maps]
    except RegionBoundaryError as exc:
        return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic="exact", elapsed=time.perf_counter() - t0,
                      message=f"θ* lies on a region boundary (derivatives undefined): {exc}")
    p = objective.n_params
    Q, r, vacuous = _transverse_basis(HBs, p, claim, t0, "batch")
    if vacuous is not None:
        return vacuous
    factors = [_eye(p) - H * _fq(e) for H, e in zip(HBs, epoch.etas)]
    P = factors[0]
    for Ck in factors[1:]:
        P = Ck * P
    C = _reduce(P, Q)
    rad = _radius_general(_charpoly(C))
    norm_ok = _norm_lt_one(C, Q)
    fnorms = [_norm_enclosure(_reduce(H, Q), e) for H, e in zip(HBs, epoch.etas)]
    prod_lo, prod_hi = Fraction(1), Fraction(1)
    for lo, hi in fnorms:
        prod_lo, prod_hi = prod_lo * lo, prod_hi * hi
    prod_lt = True if prod_hi < 1 else (False if prod_lo >= 1 else None)
    per_batch = [{"batch": b, "eta": e, "norm": [lo, hi],
                  "gd_stable_nonstrict": True if hi <= 1 else (False if lo > 1 else None)}
                 for b, e, (lo, hi) in zip(epoch.batches, epoch.etas, fnorms)]
    Hfull = _mat(objective.hessian(th, "exact"))
    full = _norm_enclosure(_reduce(Hfull, Q), q)
    cert = {"criterion": "spectral radius of DE(θ*) = Π_k (I − η_k H_{B_k}) on N^⊥ < 1 (necessary and sufficient "
                         "for linear asymptotic stability of the epoch map)",
            "rho": list(rad["rho"]), "decided_by": rad["decided_by"], "flat_directions": p - r,
            "sufficient_norm_of_product_lt_1": norm_ok,
            "sufficient_product_of_factor_norms_lt_1": prod_lt, "product_of_factor_norms": [prod_lo, prod_hi],
            "per_batch": per_batch,
            "full_batch_gd_norm": list(full), "full_batch_gd_stable": True if full[1] < 1 else
            (False if full[0] > 1 else None),
            "epoch": desc, "common_fixed_point": "∇L_B(θ*) = 0 exactly for every batch of the epoch"}
    verdict = _verdict_from(rad)
    verdict, flat_note = _flat_directions_guard(objective, th, p - r, verdict)
    cert["flat_directions_note"] = flat_note
    words = {Verdict.PROVED: "ρ < 1: linearly asymptotically stable", Verdict.REFUTED:
             "an eigenvalue of modulus > 1: unstable fixed point of the epoch map",
             Verdict.INCONCLUSIVE: "ρ cannot be separated from 1 (the linearisation does not decide)"}[verdict]
    if flat_note and verdict == Verdict.INCONCLUSIVE and rad["lt_1"]:
        words = "ρ < 1 on N^⊥"
    return Result(verdict, claim=claim, arithmetic="exact", elapsed=time.perf_counter() - t0, scope=scope,
                  seed=desc.get("seed"), quantity=Quantity("spectral radius of the epoch linearisation", None,
                                                           tuple(rad["rho"])),
                  margin=(1 - rad["rho"][1], 1 - rad["rho"][0]), certificate=cert,
                  counterexample=None if verdict != Verdict.REFUTED else {"eta": q, "rho": list(rad["rho"])},
                  message=f"epoch map linearisation on N^⊥ ({r} transverse directions): {words} "
                          f"({rad['decided_by']}); sufficient ‖DE‖₂ < 1: {norm_ok}; Π‖C_k‖₂ < 1: {prod_lt}"
                          + (f"; {flat_note}" if flat_note else ""))


# ------------------------------------------------------------------------------------------- random reshuffling
def _ordered_partitions(n: int, b: int, drop_last: bool):
    """{batch sequence: probability} over the n! equally likely permutations."""
    if math.factorial(n) > MAX_PERMUTATIONS:
        raise InputError(f"random reshuffling enumerates all n! orders: n = {n} gives {math.factorial(n)} > "
                         f"{MAX_PERMUTATIONS}; use a smaller data set or epoch_stability on given orders")
    counts: dict = {}
    for perm in permutations(range(n)):
        bs = [tuple(sorted(perm[i:i + b])) for i in range(0, n, b)]
        if drop_last and len(bs[-1]) < b:
            bs = bs[:-1]
        key = tuple(bs)
        counts[key] = counts.get(key, 0) + 1
    total = math.factorial(n)
    return {k: Fraction(v, total) for k, v in counts.items()}


def reshuffling_stability(objective, theta_star, eta, batch_size: int, *, drop_last: bool = False,
                          schedule=None) -> Result:
    """Mean-square stability of θ* for random reshuffling with batches of ``batch_size`` (a fresh uniform permutation
    every epoch, the last batch smaller unless ``drop_last``; ``schedule``: step-size multipliers per step of the
    epoch). Verdict: ρ(T) < 1, T(S) = E_π[C_π S C_πᵀ] over all orders π (necessary and sufficient for mean-square
    asymptotic stability at epoch boundaries); the certificate adds the sufficient max_π ‖C_π‖₂ < 1 and the
    necessary ρ(E_π C_π) ≤ 1. See the module docstring."""
    t0 = time.perf_counter()
    q = check_eta(eta)
    th = _exact_setup(objective, theta_star)
    n = objective.data.n
    b = validate.positive_int(batch_size, "batch_size", maximum=n)
    drop_last = validate.boolean(drop_last, "drop_last")
    parts = _ordered_partitions(n, b, drop_last)
    steps = len(next(iter(parts)))
    if steps == 0:
        raise InputError("drop_last with batch_size > n leaves no batch")
    from ..gdmap.epochs import _multipliers

    mult = _multipliers(schedule, steps)
    etas = [q * f for f in mult]
    claim = (f"θ* is a common fixed point of the batch maps and mean-square asymptotically stable under random "
             f"reshuffling (b = {b}, drop_last = {drop_last}) at η = {eta_str(q)}")
    scope = _point_scope(th, q, f"random reshuffling over all {len(parts)} ordered batch partitions, b = {b}")
    all_batches = sorted({bt for k in parts for bt in k})
    try:
        fail = _fixed_point_failure(objective, th, [list(bt) for bt in all_batches])
        if fail is not None:
            return _not_fixed(claim, scope, fail, t0)
        HB = {bt: _mat(batch_objective(objective, list(bt)).hessian(th, "exact")) for bt in all_batches}
    except RegionBoundaryError as exc:
        return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic="exact", elapsed=time.perf_counter() - t0,
                      message=f"θ* lies on a region boundary (derivatives undefined): {exc}")
    p = objective.n_params
    Q, r, vacuous = _transverse_basis(list(HB.values()), p, claim, t0, "batch", MEAN_SQUARE_MAX_DIM)
    if vacuous is not None:
        return vacuous
    terms, mean, every_contracts = [], None, True
    for key, pr in parts.items():
        P = _eye(p)
        for bt, e in zip(key, etas):
            P = (_eye(p) - HB[bt] * _fq(e)) * P
        C = _reduce(P, Q)
        terms.append((pr, C))
        mean = C * _fq(pr) if mean is None else mean + C * _fq(pr)
        if every_contracts:
            every_contracts = _norm_lt_one(C, Q)
    rad = _radius_vs_one(_sym_restriction(terms, r))
    mean_rad = _radius_general(_charpoly(mean))
    cert = {"criterion": "ρ(T) < 1, T(S) = E_π[C_π S C_πᵀ] over the orders π (necessary and sufficient for "
                         "mean-square asymptotic stability at epoch boundaries)",
            "rho_T": rad["rho"], "decided_by": rad["decided_by"], "orders": len(parts), "flat_directions": p - r,
            "sufficient_every_order_contracts": every_contracts,
            "necessary_rho_of_mean_le_1": None if mean_rad["lt_1"] is None and mean_rad["gt_1"] is None
            else not mean_rad["gt_1"], "rho_of_mean": list(mean_rad["rho"]),
            "sampling": {"scheme": "random reshuffling", "batch_size": b, "drop_last": drop_last,
                         "etas": etas}}
    return _mean_square_result(rad, objective, th, p - r, claim, scope, q, cert, t0,
                               f"random reshuffling, {len(parts)} equally likely batch sequences: mean-square "
                               f"criterion ρ(T) < 1 {'holds' if rad['rho_lt_1'] else 'fails'} ({rad['decided_by']}); "
                               f"sufficient 'every order contracts' {every_contracts}")


# ------------------------------------------------------------------------------------------------ with replacement
def replacement_stability(objective, theta_star, eta, batch_size: int, *, sampling: str = "subset") -> Result:
    """Mean-square stability of θ* for SGD with batches drawn independently at every step: a uniform b-subset
    (``sampling="subset"``) or b indices drawn with replacement (``"multiset"``). Verdict: ρ(T) < 1 (necessary and
    sufficient for mean-square asymptotic stability); the certificate adds Wu–Ma–E's sufficient matrix condition
    λ_max((I − ηH)² + η²cΣ) ≤ 1 and the necessary 0 ≤ λ(H) ≤ 2/η. See the module docstring."""
    t0 = time.perf_counter()
    q = check_eta(eta)
    th = _exact_setup(objective, theta_star)
    n = objective.data.n
    b = validate.positive_int(batch_size, "batch_size", maximum=n)
    if sampling not in ("subset", "multiset"):
        raise InputError(f"sampling must be 'subset' or 'multiset', got {sampling!r}")
    if sampling == "subset":
        c = Fraction(n - b, b * (n - 1)) if n > 1 else Fraction(0)
    else:
        c = Fraction(1, b)
    claim = (f"θ* is a common fixed point of the batch maps and mean-square asymptotically stable for SGD with "
             f"replacement ({sampling} batches of {b}) at η = {eta_str(q)}")
    scope = _point_scope(th, q, f"SGD with independently drawn {sampling} batches of size {b}")
    needs = [[i] for i in range(n)] if c != 0 else [list(range(n))]
    try:
        fail = _fixed_point_failure(objective, th, needs)
        if fail is not None:
            return _not_fixed(claim, scope, fail, t0)
        Hs = [_mat(batch_objective(objective, [i]).hessian(th, "exact")) for i in range(n)]
    except RegionBoundaryError as exc:
        return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic="exact", elapsed=time.perf_counter() - t0,
                      message=f"θ* lies on a region boundary (derivatives undefined): {exc}")
    p = objective.n_params
    Hm = Hs[0]
    for M in Hs[1:]:
        Hm = Hm + M
    Hm = Hm / n
    Q, r, vacuous = _transverse_basis(Hs if c != 0 else [Hm], p, claim, t0, "per-sample", MEAN_SQUARE_MAX_DIM)
    if vacuous is not None:
        return vacuous
    terms = [(Fraction(1), _reduce(_eye(p) - Hm * _fq(q), Q))]
    if c:
        terms += [(q * q * c / n, _reduce(H - Hm, Q)) for H in Hs]
    rad = _radius_vs_one(_sym_restriction(terms, r))
    S = Hs[0] * Hs[0]
    for M in Hs[1:]:
        S = S + M * M
    Sigma = S / n - Hm * Hm
    Mmat = (_eye(p) - Hm * _fq(q)) * (_eye(p) - Hm * _fq(q)) + Sigma * _fq(q * q * c)
    suff = _symmetric_root_positions(_charpoly(Mmat), [Fraction(1)]).counts[Fraction(1)][2] == 0
    posH = _symmetric_root_positions(_charpoly(_reduce(Hm, Q)), [Fraction(0), 2 / q])
    nec = posH.counts[Fraction(0)][0] == 0 and posH.counts[2 / q][2] == 0
    cert = {"criterion": "ρ(T) < 1, T(S) = E[(I − ηH_B) S (I − ηH_B)] (necessary and sufficient for mean-square "
                         "asymptotic stability)",
            "rho_T": rad["rho"], "decided_by": rad["decided_by"], "c": c, "flat_directions": p - r,
            "sufficient_wu_ma_e_lambda_max_T_of_I_le_1": suff, "necessary_0_le_lambda_H_le_2_over_eta": nec,
            "sampling": {"scheme": "with replacement", "within_batch": sampling, "batch_size": b}}
    return _mean_square_result(rad, objective, th, p - r, claim, scope, q, cert, t0,
                               f"SGD with replacement ({sampling}, b = {b}, c = {c}): ρ(T) < 1 "
                               f"{'holds' if rad['rho_lt_1'] else 'fails'} ({rad['decided_by']}); sufficient "
                               f"λ_max(T(I)) ≤ 1: {suff}; necessary 0 ≤ λ(H) ≤ 2/η: {nec}")


__all__ = ["epoch_stability", "reshuffling_stability", "replacement_stability"]
