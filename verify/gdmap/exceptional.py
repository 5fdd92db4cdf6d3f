"""Exceptional step sizes: the η > 0 at which G_η is singular on an activation region
(Crăciun & Ghoshdastidar, arXiv:2510.24466 §2, "Exceptional step sizes" and "Computing E exactly").

G_η is singular on a region R iff det(I − η∇²L(θ)) ≡ 0 on R iff 1/η is an eigenvalue of ∇²L(θ)
for every θ ∈ R (a *constant eigenvalue*). Two methods:

**Polynomial regions** (ReLU-type networks with a square loss, polynomial objectives; rational
data). A constant eigenvalue divides χ_θ(λ) = det(λI − ∇²L(θ)) at every θ ∈ R, so the candidates
are the roots of g = gcd_j χ_{θ_j} over random rational points θ_j of R (exact, ``fmpq_mat.charpoly``
and ``fmpq_poly.gcd``). Each irreducible factor f ≠ λ of g is then *confirmed* by a certificate
checked symbolically on the exact region polynomial:

* the loss has total degree ≤ 2 on R (constant Hessian), or
* a constant vector v ≠ 0 with f(∇²L(θ)) v ≡ 0 as a polynomial identity in θ (v is found in the
  common kernel of f(∇²L(θ_j)) at the sample points, then checked by exact polynomial algebra).
  Then every root of f is an eigenvalue for every rational θ ∈ R (Galois conjugates of an
  eigenvalue of a rational matrix are eigenvalues), hence on R by continuity.

A factor that survives more random points but has no such certificate is reported *unconfirmed*:
the exceptional set is then only bracketed (INCONCLUSIVE), never guessed. Factor λ (eigenvalue 0)
gives no step size. Step sizes are returned exactly (η = 1/λ, rational or ``1/CRootOf``) with
rational enclosures.

**Scope** (:mod:`verify.gdmap.regions`). When the loss's expression E_P on the pattern P is analytic on
all of R^p (polynomial regions; pieces such as tanh, sigmoid, softplus, exp), a constant eigenvalue on
one open subset is one on all of R^p, and the verdict covers every point with pattern P
(``scope`` ``"pattern"``). Otherwise (a user ``Piecewise`` with ``sqrt(x**2)``, ``log``, fractional powers;
activations such as z^{3/2} in deep networks) a pattern may be disconnected and E_P may differ between
components: the verdict covers only the connected analytic piece containing θ (``"component"``), and
every sample point used is certified to lie in it (:func:`~verify.gdmap.regions.same_piece`).

**Analytic, non-polynomial pieces** (tanh, sigmoid, softplus, logistic loss). A constant
eigenvalue lies in the certified eigenvalue enclosures (Arb) at *every* point, so it lies in their
intersection over random points. An empty intersection (within the η range asked for) PROVES that
no exceptional step size exists on the piece; what survives is reported as unresolved intervals.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import sympy as sp
from flint import fmpq_poly

from .. import validate
from ..arith import get_arith
from ..arith.decide import algebraic_bounds, bounds, certainly_le, sign
from ..arith.eigen import (
    BALL_EIG_MAX,
    EXACT_CHARPOLY_MAX,
    LAM,
    ball_eigen_enclosures,
    fmpq_poly_to_sympy,
    real_root_intervals,
)
from ..errors import InputError, RegionBoundaryError, SizeLimitError, UncertifiedValueError
from ..numbers import fraction_array, to_fraction
from ..parallel import Shared, check_executor, pmap
from ..result import Quantity, Result, Verdict, make_scope
from .linalg_exact import nullspace, poly_of_matrix, vstack
from .regions import (
    RegionPolynomial,
    _patterns_equal,
    is_polynomial_objective,
    pattern_is_global,
    point_in_piece,
    random_region_points,
    region_of,
    same_piece,
    scope_kind,
)


@dataclass
class ExceptionalStepSize:
    """One exceptional η on a region: exact value, rational enclosure, the constant eigenvalue 1/η."""

    eta: sp.Expr
    eigenvalue: sp.Expr
    enclosure: tuple  # (lo, hi) Fractions with lo ≤ η ≤ hi
    factor: sp.Poly  # the irreducible factor of the characteristic polynomial (in λ)
    certificate: str

    def __float__(self) -> float:
        return float((self.enclosure[0] + self.enclosure[1]) / 2)  # not-a-decision: display and sorting only


@dataclass
class ExceptionalSet:
    """The exceptional step sizes of one region, how they were found, and how sure we are."""

    region: tuple
    method: str
    confirmed: list = field(default_factory=list)
    unconfirmed: list = field(default_factory=list)  # polynomial path: candidates without certificate
    unresolved: list = field(default_factory=list)  # ball path: (eta_lo, eta_hi) intervals not excluded
    gcd: str = ""
    points: int = 0
    eta_range: tuple = (Fraction(0), None)
    result: Result | None = None
    #: "pattern" (every point with this pattern) or "component" (the analytic piece containing ``theta``)
    scope: str = "pattern"
    theta: list | None = None

    @property
    def complete(self) -> bool:
        """True when every candidate is decided: no unconfirmed root and no unresolved η interval, so ``confirmed``
        is the whole exceptional set in ``eta_range`` for this region."""
        return not self.unconfirmed and not self.unresolved

    @property
    def etas(self) -> list:
        """The certified exceptional step sizes (the ``eta`` of each confirmed entry: exact rationals or enclosures
        of algebraic numbers)."""
        return [e.eta for e in self.confirmed]

    def contains(self, eta) -> bool | None:
        """Is η exceptional on this region? True/False when decided, None when undecided."""
        q = to_fraction(eta, what="η")
        for e in self.confirmed:
            if _in_enclosure(q, e.enclosure) and _eta_equals(e, q):
                return True
        for e in self.unconfirmed:
            if _in_enclosure(q, e.enclosure) and _eta_equals(e, q):
                return None
        for lo, hi in self.unresolved:
            if certainly_le(lo, q) and (hi is None or certainly_le(q, hi)):
                return None
        return False


def _in_enclosure(q: Fraction, enc) -> bool:
    return certainly_le(enc[0], q) and certainly_le(q, enc[1])


def _eta_equals(e: ExceptionalStepSize, q: Fraction) -> bool:
    """Exact test η == q for an algebraic η = 1/λ: λ is a root of its factor f iff f(1/q) = 0."""
    if e.enclosure[0] == e.enclosure[1]:
        return sign(e.enclosure[0] - q) == 0
    return q != 0 and sign(e.factor.eval(sp.Rational(q.denominator, q.numerator))) == 0


def _in_range(lo, hi, eta_range) -> bool:
    rlo, rhi = eta_range
    return (rhi is None or certainly_le(lo, rhi)) and (hi is None or certainly_le(rlo, hi))


def _check_range(eta_range):
    """(lo, hi) exact with 0 ≤ lo < hi; hi may be None for ∞. Exactly two entries."""
    if eta_range is None:
        return (Fraction(0), None)
    if isinstance(eta_range, str | bytes) or not hasattr(eta_range, "__len__") or len(eta_range) != 2:
        raise InputError(f"eta_range must be a pair (lo, hi) with 0 ≤ lo < hi (hi may be None for ∞), "
                         f"got {eta_range!r}")
    if eta_range[1] is None:
        return validate.nonneg_rational(eta_range[0], "eta_range[0]"), None
    return validate.rational_interval(eta_range, "eta_range", positive=True)


def exceptional_step_sizes(objective, theta=None, *, eta_range=None, points: int = 4, seed: int = 0,
                           prec: int = 128, max_points: int = 12) -> ExceptionalSet:
    """The exceptional step sizes η > 0 on the region of θ (on all of R^p for an objective without
    pieces, where θ may be omitted). See the module docstring for the method and guarantees.

    ``points`` random rational points of the region (θ included) feed the gcd / intersection; up to
    ``max_points`` are used to eliminate candidates that lack a certificate.
    """
    t0 = time.perf_counter()
    if isinstance(theta, tuple) and theta and all(isinstance(x, np.ndarray) for x in theta):
        raise InputError("give a point θ inside the region (a pattern alone does not locate it)")
    points = validate.integer(points, "points", minimum=2)  # a gcd over one point is that point's spectrum
    max_points = validate.integer(max_points, "max_points", minimum=points)
    seed = validate.nonneg_int(seed, "seed")
    prec = validate.precision(prec, "prec")
    rng = np.random.default_rng(seed)
    eta_range = _check_range(eta_range)
    if theta is None:
        if _has_pieces(objective):
            raise InputError("this objective has activation regions: give a point θ inside the region to analyse")
        if not pattern_is_global(objective, ()):
            raise InputError("this objective is not certified analytic on all of R^p (sqrt, log, fractional powers "
                             "or poles): give a point θ inside the analytic piece to analyse")
        theta = [Fraction(int(k), 7) for k in rng.integers(-7, 8, size=objective.n_params)]
    th = fraction_array(theta, what="θ")
    if th.shape != (objective.n_params,):
        raise InputError(f"θ must have {objective.n_params} entries, got shape {th.shape}")
    pattern = _checked_pattern(objective, th)
    if is_polynomial_objective(objective):
        if objective.n_params > EXACT_CHARPOLY_MAX:
            raise SizeLimitError(
                f"p = {objective.n_params}: exact characteristic polynomials beyond p = {EXACT_CHARPOLY_MAX} are "
                f"refused (about {_exact_cost_estimate(objective.n_params):.0f} s per point, {points} points); use "
                "check_nonsingular at the step sizes of interest (Arb determinants) instead")
        out = _polynomial_region(objective, th, pattern, rng, points, max_points, eta_range)
    else:
        if objective.n_params > BALL_EIG_MAX:
            raise SizeLimitError(
                f"p = {objective.n_params}: certified eigenvalue enclosures beyond p = {BALL_EIG_MAX} are refused "
                f"(about {0.5 * (objective.n_params / 100) ** 3:.0f} s per point); use check_nonsingular at the "
                "step sizes of interest instead")
        out = None
        for pr in sorted({prec, min(2 * prec, 512), 512} if prec < 512 else {prec}):
            out = _analytic_piece(objective, th, pattern, np.random.default_rng(seed), points, max_points, pr,
                                  eta_range)
            if out.complete:
                break
    out.result.elapsed = time.perf_counter() - t0
    return out


def _scope(objective, th, pattern) -> tuple[str, str]:
    """(kind, words) of what an exceptional-set verdict on the region of θ covers."""
    kind = scope_kind(objective, pattern)
    if not pattern and kind == "pattern":
        return kind, "all of R^p (the loss is one expression, analytic everywhere)"
    if kind == "pattern":
        return kind, (f"every point with the activation pattern of θ = {_short(th)} (the loss's expression there "
                      "is analytic on all of R^p)")
    return kind, (f"the connected component containing θ = {_short(th)} of the open set where θ's activation "
                  "pattern holds and the loss's expression on it is analytic")


def _short(th) -> str:
    return "[" + ", ".join(str(x) for x in list(th)[:6]) + (", …]" if len(th) > 6 else "]")


def _checked_pattern(objective, th, what: str = "θ"):
    """θ's pattern; RegionBoundaryError if θ is on a boundary or not certified inside an analytic piece."""
    pattern = region_of(objective, th)  # raises RegionBoundaryError on a boundary
    if not point_in_piece(objective, th, pattern):
        raise RegionBoundaryError(
            f"{what} = {_short(th)} is not certified inside an analytic piece: the loss's expression on its "
            "pattern could not be certified analytic near it (a sqrt/log/fractional-power argument or a pole "
            "at or near the point, or an activation piece not analytic on its interval); move the point")
    return pattern


def _exact_cost_estimate(p: int) -> float:
    """Seconds for one exact Hessian + characteristic polynomial, from bench_gdmap.py (≈ p³ growth)."""
    return 0.5 * (p / 200) ** 3


def _has_pieces(objective) -> bool:
    pieces = getattr(objective, "pieces", None)
    if callable(pieces):
        return bool(pieces())
    net = getattr(objective, "net", None)
    # a network has regions when it has activation or max-pool sites (an attention network without
    # activations, or a linear convolutional one with average pooling, is one analytic piece)
    return net is not None and bool(getattr(net, "sites", True))


# ------------------------------------------------------------------------------- polynomial regions
def _polynomial_region(objective, th, pattern, rng, points, max_points, eta_range) -> ExceptionalSet:
    from ..arith.eigen import to_fmpq_mat

    pts = [th, *random_region_points(objective, th, points - 1, rng)]
    hess = [to_fmpq_mat(objective.hessian(pt, "exact")) for pt in pts]
    g = None
    for H in hess:
        chi = H.charpoly()
        g = chi if g is None else g.gcd(chi)
    g = g / g.coeffs()[-1] if g.degree() >= 0 else g
    gcd_str = str(fmpq_poly_to_sympy(g, LAM).as_expr()) if g.degree() >= 0 else "1"
    factors = [f for f, _m in g.factor()[1]] if g.degree() > 0 else []
    lam = fmpq_poly([0, 1])
    factors = [f / f.coeffs()[-1] for f in factors if f != lam and f != -lam and f.degree() > 0]

    rp = None
    confirmed, unconfirmed = [], []
    extra_pts, extra_hess = [], []
    for f in factors:
        if rp is None:
            rp = RegionPolynomial(objective, pattern)
        cert = _certify_factor(f, rp, hess + extra_hess)
        if cert is None:
            # try to eliminate f with further random points: f ∤ χ_θ at one point rules it out exactly
            eliminated = False
            while len(pts) + len(extra_pts) < max_points and not eliminated:
                (pt,) = random_region_points(objective, th, 1, rng)
                H = to_fmpq_mat(objective.hessian(pt, "exact"))
                extra_pts.append(pt)
                extra_hess.append(H)
                if H.charpoly() % f != 0:
                    eliminated = True
            if eliminated:
                continue
        for root in real_root_intervals(f):
            enc_lam = _positive_root_enclosure(root)
            if enc_lam is None:  # λ < 0 gives η < 0: not a step size (λ = 0 was removed above)
                continue
            if root.lo == root.hi:
                eta_exact = sp.Rational(root.lo.denominator, root.lo.numerator)
            else:
                eta_exact = 1 / root.exact
            enc = (1 / enc_lam[1], 1 / enc_lam[0])
            if not _in_range(enc[0], enc[1], eta_range):
                continue
            e = ExceptionalStepSize(eta_exact, root.exact, enc, fmpq_poly_to_sympy(f, LAM),
                                    cert or "none: f divides det(λI − ∇²L) at every sampled point")
            (confirmed if cert else unconfirmed).append(e)
    confirmed.sort(key=lambda e: e.enclosure[0])
    out = ExceptionalSet(region=pattern, method="exact gcd of characteristic polynomials + symbolic certificate",
                         confirmed=confirmed, unconfirmed=unconfirmed, gcd=gcd_str,
                         points=len(pts) + len(extra_pts), eta_range=eta_range, theta=list(th))
    out.scope, words = _scope(objective, th, pattern)
    out.result = _result(out, "exact", words=words)
    return out


def _positive_root_enclosure(root) -> tuple[Fraction, Fraction] | None:
    """A rational enclosure [lo, hi] with 0 < lo of a positive root λ, or None when λ < 0 (exact sign)."""
    if root.lo > 0:
        return root.lo, root.hi
    if root.hi < 0:
        return None
    s = sign(root.exact)  # the isolating interval straddles 0: the exact algebraic sign decides
    if s is None or s <= 0:
        return None
    for prec in (256, 1024, 4096, 16384):
        lo, hi = algebraic_bounds(root.exact, prec)
        if lo > 0:
            return lo, hi
    raise UncertifiedValueError(f"could not separate the eigenvalue {root.exact} from 0 at 16384 bits")


def _certify_factor(f: fmpq_poly, rp: RegionPolynomial, hess: list) -> str | None:
    """A symbolic certificate that every root of f is an eigenvalue of ∇²L(θ) for all θ in the region."""
    if rp.hessian_is_constant():
        return "the loss has total degree ≤ 2 on the region: its Hessian is constant"
    coeffs = list(f.coeffs())
    kernel = nullspace(vstack([poly_of_matrix(coeffs, H) for H in hess]))
    for v in kernel:
        vv = [rp.ring(sp.QQ(int(x.p), int(x.q))) for x in v]
        # Horner: w = f(H(θ)) v as a vector of polynomials in θ
        w = [c * coeffs[-1] for c in vv]
        for c in reversed(coeffs[:-1]):
            Hw = rp.hessian_times(w)
            w = [h + x * sp.QQ(int(c.p), int(c.q)) for h, x in zip(Hw, vv)]
        if all(not x for x in w):
            nz = [i for i, x in enumerate(v) if x != 0]
            return (f"f(∇²L(θ)) v ≡ 0 as a polynomial identity on the region for the constant vector v supported on "
                    f"parameters {nz[:8]}{'…' if len(nz) > 8 else ''} (v = {[str(x) for x in v][:8]}"
                    f"{'…' if len(v) > 8 else ''})")
    return None


# ------------------------------------------------------------------------------- analytic pieces
def _analytic_piece(objective, th, pattern, rng, points, max_points, prec, eta_range) -> ExceptionalSet:
    a = get_arith("ball", prec)
    pts = [th, *random_region_points(objective, th, max(points, 2) - 1, rng)]
    surviving = None  # list of (lo, hi) arb-endpoint intervals in λ
    used = 0

    def spectrum(pt):
        """Exact rational hulls of the eigenvalue enclosures at pt (None if an enclosure is not finite)."""
        H = objective.hessian(pt, a, prec)
        with a.context():
            try:
                return [bounds(e) for e in ball_eigen_enclosures(H, prec)]
            except UncertifiedValueError:
                return None

    queue = list(pts)
    while True:
        if not queue:
            if used >= max_points or not surviving:
                break
            queue.extend(random_region_points(objective, th, 1, rng))
        pt = queue.pop(0)
        ivs = spectrum(pt)
        used += 1
        if ivs is None:  # no finite enclosure at this point: it excludes nothing
            continue
        surviving = ivs if surviving is None else _intersect(surviving, ivs)
        surviving = [iv for iv in surviving if _lam_interval_in_eta_range(iv, eta_range)]
        if not surviving and used >= 2:
            break
    if surviving is None:  # no point gave finite enclosures: nothing is excluded
        surviving = [(Fraction(0), None)]
    unresolved = []
    for lo, hi in surviving:
        # λ ∈ [lo, hi] with λ > 0 ↔ η = 1/λ ∈ [1/hi, 1/lo] (unbounded above when lo ≤ 0; hi None is +∞)
        eta_lo = Fraction(0) if hi is None else Fraction(1) / hi
        eta_hi = None if lo <= 0 else Fraction(1) / lo
        eta_lo = max(eta_lo, eta_range[0])
        if eta_range[1] is not None:
            eta_hi = eta_range[1] if eta_hi is None else min(eta_hi, eta_range[1])
        unresolved.append((eta_lo, eta_hi))
    out = ExceptionalSet(region=pattern, method=f"intersection of certified eigenvalue enclosures (Arb, {prec} bits)",
                         unresolved=unresolved, points=used, eta_range=eta_range, theta=list(th))
    out.scope, words = _scope(objective, th, pattern)
    out.result = _result(out, "ball", prec, words=words)
    return out


def _lam_interval_in_eta_range(iv, eta_range) -> bool:
    """Can some η = 1/λ with λ ∈ [lo, hi], λ > 0, lie in the η range? (exact rational endpoints)"""
    lo, hi = iv
    if hi <= 0:
        return False
    rlo, rhi = eta_range
    # λ ≤ hi ⇒ η ≥ 1/hi; the interval matters if some η = 1/λ, λ ∈ (0, hi], lies in the range
    if rhi is not None and Fraction(1) / hi > rhi:
        return False
    if rlo > 0 and lo > 0 and Fraction(1) / lo < rlo:
        return False
    return True


def _intersect(A, B):
    """Pairwise intersections of two unions of closed rational intervals (exact endpoints)."""
    out = []
    for alo, ahi in A:
        for blo, bhi in B:
            lo, hi = max(alo, blo), min(ahi, bhi)
            if lo <= hi:
                out.append((lo, hi))
    return out


def _fmt_range(r) -> str:
    return f"({r[0]}, {'∞' if r[1] is None else r[1]})"


def _result(out: ExceptionalSet, arith: str, prec=None, *, words: str = "the region of θ") -> Result:
    rng = _fmt_range(out.eta_range)
    etas = ", ".join(f"{e.eta} ≈ {float(e):.10g}" for e in out.confirmed) or "none"
    if out.complete:
        verdict = Verdict.PROVED
        msg = (f"exceptional step sizes in {rng} on this region: {etas} (each certified: "
               f"{'; '.join(sorted({e.certificate.split(':')[0] for e in out.confirmed})) or 'no candidate survived'})"
               f". Covers {words}")
    else:
        verdict = Verdict.INCONCLUSIVE
        if out.unconfirmed:
            msg = (f"certified: {etas}; unconfirmed candidates {[str(e.eta) for e in out.unconfirmed]} divide "
                   f"det(λI − ∇²L) at all {out.points} sampled points but have no symbolic certificate; "
                   "retry with more points (max_points) or a smaller region")
        else:
            ivs = ", ".join(f"[{float(lo):.6g}, {'∞' if hi is None else f'{float(hi):.6g}'}]"
                            for lo, hi in out.unresolved)
            msg = (f"η in {ivs} could not be excluded: the eigenvalue enclosures at {out.points} points still overlap "
                   "there; retry with more points (max_points), a higher precision, or a narrower eta_range")
    return Result(verdict, claim=f"exceptional step sizes in {rng} on the region are exactly the listed ones",
                  quantity=Quantity("exceptional η", [str(e.eta) for e in out.confirmed],
                                    None if not out.confirmed else (out.confirmed[0].enclosure[0],
                                                                    out.confirmed[-1].enclosure[1])),
                  margin=len(out.confirmed),
                  certificate={"method": out.method, "gcd": out.gcd, "points": out.points,
                               "confirmed": [{"eta": str(e.eta), "enclosure": list(e.enclosure),
                                              "factor": str(e.factor.as_expr()), "certificate": e.certificate}
                                             for e in out.confirmed],
                               "unconfirmed": [str(e.eta) for e in out.unconfirmed],
                               "unresolved": [[lo, hi] for lo, hi in out.unresolved]},
                  arithmetic=arith, precision=prec, message=msg,
                  scope=make_scope(f"step sizes η in {rng} on {words}", count=1, regions=[
                      {"region": [np.asarray(x).tolist() for x in out.region], "scope": out.scope,
                       "point": out.theta}], eta_range=list(out.eta_range), points=out.points, precision=prec))


def scan_step_sizes(objective, eta_range, thetas, *, points: int = 4, seed: int = 0, prec: int = 128,
                    executor=None) -> Result:
    """The exceptional step sizes in ``eta_range`` on the regions of the points ``thetas``.

    Points are grouped into regions as in :func:`check_nonsingular`: by activation pattern when the
    loss's expression on the pattern is analytic on all of R^p, otherwise only when
    :func:`~verify.gdmap.regions.same_piece` certifies that they lie in one connected analytic piece.
    ``Result.certificate['regions']`` lists, per region, the point that located it, the scope kind and
    its exceptional η. PROVED when every region is decided and at least one region was examined (no
    points: INCONCLUSIVE).

    ``executor``: a ``concurrent.futures.Executor`` (a process pool, or a ``dask.distributed`` client's
    ``get_executor()``) on which the regions' exceptional sets (:func:`exceptional_step_sizes` at the first
    point of each region, with seed ``seed + j`` for the point ``thetas[j]``) are computed in parallel.
    Grouping the points into regions stays in the caller, in the order of the points. The verdict,
    certificate and scope are the same with and without an executor (:mod:`verify.parallel`)."""
    t0 = time.perf_counter()
    eta_range = _check_range(eta_range)
    points = validate.integer(points, "points", minimum=2)
    seed = validate.nonneg_int(seed, "seed")
    prec = validate.precision(prec, "prec")
    executor = check_executor(executor)
    if isinstance(thetas, str | bytes) or not hasattr(thetas, "__len__"):
        raise InputError(f"thetas must be a list of points θ, got {thetas!r}")
    pts = []
    for j, theta in enumerate(thetas):
        th = fraction_array(theta, what=f"thetas[{j}]")
        if th.shape != (objective.n_params,):
            raise InputError(f"thetas[{j}] must be a point θ with {objective.n_params} entries, got shape {th.shape}")
        pts.append((j, th, _checked_pattern(objective, th, f"thetas[{j}]")))  # before any work
    groups: list = []  # (pattern, representative point, scope kind), in the order of the points
    reps = []
    for j, th, pat in pts:
        if any(_patterns_equal(pat, p) and (k == "pattern" or same_piece(objective, pat, rep, th))
               for p, rep, k in groups):
            continue
        groups.append((pat, th, scope_kind(objective, pat)))  # = the scope of exceptional_step_sizes at th
        reps.append((j, th, pat))
    job = Shared((objective, eta_range, points, seed, prec), "the objective", keep=(objective,))
    outs = pmap(_scan_region, [(j, th) for j, th, _ in reps], shared=job, executor=executor,
                what="the regions' exceptional step sizes")
    regions = []
    undecided = 0
    found: dict = {}
    for (j, th, pat), ex in zip(reps, outs):
        undecided += not ex["complete"]
        for eta, lo in ex["found"]:
            found.setdefault(eta, lo)
        regions.append({"point_index": j, "point": list(th), "region": [np.asarray(x).tolist() for x in pat],
                        "scope": ex["scope"], "exceptional": ex["exceptional"], "enclosures": ex["enclosures"],
                        "complete": ex["complete"], "message": ex["message"]})
    all_etas = sorted(found, key=found.get)
    arith = "exact" if is_polynomial_objective(objective) else "ball"
    claim = f"exceptional step sizes in {_fmt_range(eta_range)} on the examined regions"
    elapsed = time.perf_counter() - t0
    if not regions:
        return Result(Verdict.INCONCLUSIVE, claim=claim, quantity=Quantity("exceptional η", []), margin=0,
                      certificate={"regions": []}, arithmetic=arith, elapsed=elapsed,
                      message="no point given (thetas is empty): no region was examined, nothing is proved")
    verdict = Verdict.PROVED if undecided == 0 else Verdict.INCONCLUSIVE
    n_pat = sum(r["scope"] == "pattern" for r in regions)
    msg = (f"{len(regions)} region(s) examined; exceptional η in {_fmt_range(eta_range)}: "
           f"{', '.join(all_etas) or 'none'}" + (f"; {undecided} region(s) undecided" if undecided else ""))
    scope = make_scope(f"step sizes η in {_fmt_range(eta_range)} on the {len(regions)} region(s) of the given points: "
                       f"{n_pat} whole activation pattern(s) (loss analytic on all of R^p there) and "
                       f"{len(regions) - n_pat} connected analytic piece(s) containing the listed points",
                       count=len(regions), regions=[{k: r[k] for k in ("region", "scope", "point")} for r in regions],
                       eta_range=list(eta_range), precision=None if arith == "exact" else prec)
    return Result(verdict, claim=claim,
                  quantity=Quantity("exceptional η", all_etas), margin=len(all_etas),
                  certificate={"regions": regions}, arithmetic=arith,
                  precision=None if arith == "exact" else prec, elapsed=elapsed, message=msg, scope=scope)


def _scan_region(job, item) -> dict:
    """:func:`exceptional_step_sizes` on the region of one point of :func:`scan_step_sizes` (what it reports)."""
    objective, eta_range, points, seed, prec = job
    j, th = item
    ex = exceptional_step_sizes(objective, th, eta_range=eta_range, points=points, seed=seed + j, prec=prec)
    return {"scope": ex.scope, "complete": ex.complete, "found": [(str(e.eta), e.enclosure[0]) for e in ex.confirmed],
            "exceptional": [str(e.eta) for e in ex.confirmed], "enclosures": [list(e.enclosure) for e in ex.confirmed],
            "message": ex.result.message}


__all__ = ["ExceptionalSet", "ExceptionalStepSize", "exceptional_step_sizes", "scan_step_sizes"]
