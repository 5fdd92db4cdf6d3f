"""Certified bounds on α(x0, r) = inf_{θ ∈ B(x0, r), L(θ) > 0} ‖∇L(θ)‖² / L(θ)
(``shared/theory/local_pl.md`` §1.2, §6 "Numerical note on computing α").

* **upper** — multi-start local minimisation of the ratio over the ball (SLSQP, float64), then the
  best point is rounded to a rational *witness* inside the closed ball (checked exactly) and the
  ratio there is enclosed in Arb: α ≤ ratio(witness) ≤ ``upper``. An upper bound can refute the
  criterion, never certify it.
* **lower, branch-and-bound** (``"bnb"``, dimension p ≤ :data:`BNB_MAX_DIM`): boxes covering the
  ball, each bounded in Arb ball arithmetic — for sympy objectives the cancelled rational form of
  ‖∇f‖²/f (finite near the zeros of f), otherwise (Σ g²)_lo / L_hi and, for square losses, the NTK
  bound on the box; boxes outside the ball are discarded exactly; the box with the smallest bound
  is split until the bound reaches the target, the gap closes or the box budget runs out. Where
  the cancelled ratio has no finite enclosure (a box around a common zero of ‖∇f‖² and f that
  cancelling cannot remove, e.g. ratios of quadratic forms at 0) the bound there stays 0: sound but
  uninformative — write such objectives as square losses and use the NTK bound.
* **lower, NTK** (``"ntk"``, square losses L = s‖r‖² of any size): ‖∇L‖² = 4s² rᵀJJᵀr ≥
  4s λ_min(JJᵀ) L, with J enclosed over the box [x0 − r, x0 + r]^p ⊇ B(x0, r) in ball arithmetic
  and λ_min bounded below by Weyl's inequality: λ_min(K) ≥ λ_min(K̂) − ‖K − K̂‖_F for the symmetric
  midpoint K̂ (whose spectrum is enclosed by Arb). For s = 1/n this is the (4/n) λ_min(JJᵀ) bound.
* **lower, first layer** (``"schur"``, scalar-output network square losses, local_pl.md §3.3):
  ‖∇L‖²/L ≥ 4s λ_min(XXᵀ) min_j ‖∂F(x_j)/∂z_1‖², with the sensitivities enclosed over the same box;
  robust far from the NTK regime (it needs only the first layer's gradient).
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from flint import arb, fmpq

from ..arith import get_arith
from ..arith.ball import _ArbPrec, ball_bounds
from ..arith.eigen import ball_eigen_enclosures, symmetric_midpoint
from ..errors import InputError, RegionBoundaryError, SizeLimitError
from ..numbers import fraction_array, to_fraction
from .ratio import numeric_ratio_and_grad, ratio, simplified_ratio_expr

#: branch-and-bound over boxes is exponential in the dimension: 6 is where 10⁴ boxes still resolve
#: smooth instances to a few per cent (benchmarks/bench_pl.py)
BNB_MAX_DIM = 6
#: the NTK Gram matrix is n·k × n·k; its certified spectrum needs n·k ≤ this
NTK_MAX_ROWS = 300


@dataclass
class AlphaBounds:
    """Certified enclosure [lower, upper] of α(x0, r), with the witness of the upper bound."""

    lower: Fraction | None
    upper: Fraction | None
    witness: np.ndarray | None
    lower_method: str
    methods: dict = field(default_factory=dict)
    elapsed: float = 0.0

    @property
    def tightness(self) -> float | None:
        """lower / upper (1 = exact), None when either is missing or the upper bound is 0."""
        if self.lower is None or not self.upper:
            return None
        return float(self.lower / self.upper)

    def __repr__(self):
        lo = "None" if self.lower is None else f"{float(self.lower):.6g}"
        hi = "None" if self.upper is None else f"{float(self.upper):.6g}"
        return f"AlphaBounds([{lo}, {hi}], lower by {self.lower_method}, tightness {self.tightness})"


def _check_ball(objective, x0, r):
    x0q = fraction_array(x0, what="x0")
    if x0q.shape != (objective.n_params,):
        raise InputError(f"x0 must have {objective.n_params} entries, got shape {x0q.shape}")
    rq = to_fraction(r, what="r")
    if rq <= 0:
        raise InputError(f"the radius r must be > 0, got {r!r}")
    return x0q, rq


def _arbq(q: Fraction) -> arb:
    return arb(fmpq(q.numerator, q.denominator))


def _lower_endpoint(x: arb) -> Fraction:
    return ball_bounds(x)[0]


def _upper_endpoint(x: arb) -> Fraction:
    return ball_bounds(x)[1]


# ------------------------------------------------------------------------------------ upper bound
def _inside(x0q, rq, x) -> bool:
    return sum((a - b) ** 2 for a, b in zip(x, x0q)) <= rq * rq


def _rational_in_ball(x0q, rq, xf: np.ndarray) -> np.ndarray:
    x = np.array([Fraction(float(v)) for v in xf], dtype=object)
    t = Fraction(1)
    while not _inside(x0q, rq, x):
        t *= Fraction(999_999, 1_000_000)
        x = np.array([b + (a - b) * t for a, b in zip(x, x0q)], dtype=object)
        if t < Fraction(1, 2):
            return np.array(x0q, dtype=object)
    return x


#: SLSQP solves dense QPs (O(p³) per iteration); above this dimension the upper-bound search uses
#: projected gradient descent with backtracking instead
SLSQP_MAX_DIM = 60


def _project(x, x0f, rf):
    d = x - x0f
    n = np.linalg.norm(d)
    return x if n <= rf else x0f + d * (rf / n)


def _projected_descent(objective, x, x0f, rf, iters: int = 60):
    """Minimise the ratio over the ball by projected gradient descent with Armijo backtracking."""
    v, g = numeric_ratio_and_grad(objective, x)
    step = rf / (np.linalg.norm(g) + 1e-300)
    for _ in range(iters):
        while step > 1e-12 * rf:
            y = _project(x - step * g, x0f, rf)
            vy, gy = numeric_ratio_and_grad(objective, y)
            if vy < v:
                x, v, g = y, vy, gy
                step *= 1.5
                break
            step /= 2
        else:
            break
    return x


def alpha_upper(objective, x0, r, *, starts: int = 8, seed: int = 0, prec: int = 128):
    """(certified upper bound of α, witness in the ball, float value found) by multi-start local
    minimisation (SLSQP up to p = SLSQP_MAX_DIM, projected gradient descent above)."""
    from scipy.optimize import minimize

    x0q, rq = _check_ball(objective, x0, r)
    x0f = np.array([float(v) for v in x0q])
    rf = float(rq)
    rng = np.random.default_rng(seed)
    p = objective.n_params
    cands = [x0f.copy()]
    g = np.asarray(objective.grad(x0f, "float"), dtype=float)
    if np.linalg.norm(g) > 0:
        u = g / np.linalg.norm(g)
        cands += [x0f - 0.999 * rf * u, x0f + 0.999 * rf * u]
    for _ in range(max(0, starts - len(cands))):
        d = rng.standard_normal(p)
        cands.append(x0f + rf * rng.random() ** (1 / p) * d / np.linalg.norm(d))
    cons = [{"type": "ineq", "fun": lambda x: rf**2 - float(((x - x0f) ** 2).sum()),
             "jac": lambda x: -2 * (x - x0f)}]
    best_val, best_x = np.inf, None
    for c in cands:
        try:
            if p <= SLSQP_MAX_DIM:
                res = minimize(lambda x: numeric_ratio_and_grad(objective, x), c, jac=True, method="SLSQP",
                               constraints=cons, options={"maxiter": 200, "ftol": 1e-14})
                xs = [res.x, c]
            else:
                xs = [_projected_descent(objective, c, x0f, rf), c]
        except (ValueError, FloatingPointError, RegionBoundaryError):
            xs = [c]
        for x in xs:
            if not np.all(np.isfinite(x)) or ((x - x0f) ** 2).sum() > rf**2 * (1 + 1e-12):
                continue
            try:
                v = numeric_ratio_and_grad(objective, x)[0]
            except RegionBoundaryError:
                continue
            if v < best_val:
                best_val, best_x = v, x
    if best_x is None:
        return None, None, np.inf
    w = _rational_in_ball(x0q, rq, best_x)
    for cand in (w, x0q):
        try:
            enc = ratio(objective, cand, "ball", prec)
        except (InputError, RegionBoundaryError):
            continue
        if enc.is_finite():
            return _upper_endpoint(enc), cand, best_val
    return None, None, best_val


# ------------------------------------------------------------------------------------ NTK lower bound
def weyl_lambda_min_lower(K) -> Fraction:
    """A certified lower bound of λ_min over the symmetric matrices in the ball matrix K (n × n array
    of arb): λ_min(K̂) − ‖E‖_F with K̂ the symmetrised midpoint and |E_ij| ≤ rad_ij + |K̂_ij − mid K_ij|."""
    from flint import arb_mat

    sym, eps = symmetric_midpoint(K, 128)
    with _ArbPrec(128):
        eig = ball_eigen_enclosures(arb_mat([[_arbq(v) for v in row] for row in sym]), 128)
    return _lower_endpoint(eig[0]) - eps


def _square_scale(objective):
    from ..models.objective import SquareLoss

    return objective.scale if isinstance(objective, SquareLoss) else None


def ntk_lower_on_box(objective, box, prec: int) -> Fraction:
    """4 s λ_min(J Jᵀ) bounded below over a box of parameters (``box``: arb array). May be ≤ 0."""
    s = _square_scale(objective)
    a = get_arith("ball", prec)
    J = objective.jacobian(box, a, prec)
    if J.shape[0] > NTK_MAX_ROWS:
        raise SizeLimitError(f"the NTK Gram matrix would be {J.shape[0]}×{J.shape[0]} (limit {NTK_MAX_ROWS})")
    with a.context():
        K = a.matmul(J, J.T)
    return 4 * s * weyl_lambda_min_lower(K)


def _box(center, half, prec):
    with _ArbPrec(prec):
        return np.array([arb(fmpq(c.numerator, c.denominator), fmpq(h.numerator, h.denominator)) if h else
                         _arbq(c) for c, h in zip(center, half)], dtype=object)


def alpha_lower_ntk(objective, x0, r, prec: int = 128) -> Fraction:
    """The NTK lower bound of α over the box [x0 − r, x0 + r]^p ⊇ B(x0, r) (square losses)."""
    x0q, rq = _check_ball(objective, x0, r)
    if _square_scale(objective) is None:
        raise InputError("the NTK bound needs a square loss (vf.SquareLoss); use the branch-and-bound method")
    return max(Fraction(0), ntk_lower_on_box(objective, _box(x0q, [rq] * len(x0q), prec), prec))


def schur_lower_on_box(objective, box, prec: int) -> Fraction:
    """First-layer (Schur product) lower bound over a box (local_pl.md §3.3 fact 1, §6 claim 8):
    ‖∇L‖²/L ≥ 4s λ_min(XXᵀ) min_j ‖u_j‖², u_j = ∂F(x_j)/∂z_1, for a square loss L = s‖r‖² with a
    scalar output. ‖u_j‖² = ‖∂F(x_j)/∂W_1‖_F² / ‖x_j‖², bounded below entrywise from the Jacobian
    enclosed over the box; λ_min(XXᵀ) is exact (rational data)."""
    from ..arith.eigen import exact_eigen_intervals

    s = _square_scale(objective)
    data, net = objective.data, objective.net
    if data.k != 1:
        raise InputError("the first-layer (Schur) bound needs a scalar-output network")
    X = data.X_exact
    G = np.array([[sum(a * b for a, b in zip(X[i], X[j])) for j in range(data.n)] for i in range(data.n)],
                 dtype=object)
    lam_G = exact_eigen_intervals(G)[0].lo
    if lam_G <= 0:
        return Fraction(0)  # n > d or dependent inputs: the bound is vacuous (§6 claim 11)
    a = get_arith("ball", prec)
    J = objective.jacobian(box, a, prec)
    blk = net.block("W1")
    cols = range(blk.slice.start, blk.slice.stop)
    min_u2 = None
    for j in range(data.n):
        tot = Fraction(0)
        for c in cols:
            v = J[j, c]
            lo = abs(to_fraction(v.mid())) - to_fraction(v.rad())
            if lo > 0:
                tot += lo * lo
        x2 = sum(t * t for t in X[j])
        u2 = tot / x2 if x2 > 0 else Fraction(0)
        min_u2 = u2 if min_u2 is None else min(min_u2, u2)
    return 4 * s * lam_G * (min_u2 or Fraction(0))


def alpha_lower_schur(objective, x0, r, prec: int = 128) -> Fraction:
    """The first-layer (Schur) lower bound of α over the box [x0 − r, x0 + r]^p ⊇ B(x0, r)."""
    x0q, rq = _check_ball(objective, x0, r)
    if _square_scale(objective) is None or not hasattr(objective, "net"):
        raise InputError("the first-layer bound needs a network square loss (vf.SquareLoss)")
    return schur_lower_on_box(objective, _box(x0q, [rq] * len(x0q), prec), prec)


# ------------------------------------------------------------------------------------ branch and bound
class _BoxBound:
    """Certified lower bound of the ratio over a box, by the best method available for the objective."""

    def __init__(self, objective, prec):
        self.obj, self.prec = objective, prec
        self.a = get_arith("ball", prec)
        expr = simplified_ratio_expr(objective)
        self.program = None
        if expr is not None:
            from ..arith.compile import Program

            with self.a.context():
                self.program = Program([expr], objective.variables, self.a)
        self.square = _square_scale(objective) is not None

    def __call__(self, center, half) -> Fraction:
        box = _box(center, half, self.prec)
        try:
            if self.program is not None:
                (v,) = self.program(list(box))
                return max(Fraction(0), _lower_endpoint(v)) if v.is_finite() else Fraction(0)
            L = self.obj.value(box, self.a, self.prec)
            g = self.obj.grad(box, self.a, self.prec)
            with self.a.context():
                gg = self.a.sum(g * g)
            best = Fraction(0)
            if L.is_finite() and gg.is_finite():
                Lhi = _upper_endpoint(L)
                if Lhi <= 0:
                    return Fraction(10) ** 30  # L ≡ 0 on the box: every point is excluded from the infimum
                best = max(best, _lower_endpoint(gg) / Lhi)
            if self.square:
                best = max(best, ntk_lower_on_box(self.obj, box, self.prec))
            return best
        except (RegionBoundaryError, ZeroDivisionError, SizeLimitError):
            return Fraction(0)


def _dist2_to_box(x0q, center, half) -> Fraction:
    d2 = Fraction(0)
    for x, c, h in zip(x0q, center, half):
        e = abs(c - x) - h
        if e > 0:
            d2 += e * e
    return d2


def alpha_lower_bnb(objective, x0, r, *, prec: int = 128, max_boxes: int = 4000, target=None, upper=None,
                    rel_tol: float = 1e-3) -> tuple[Fraction, dict]:
    """Branch-and-bound lower bound of α over B(x0, r) in Arb arithmetic (p ≤ BNB_MAX_DIM)."""
    x0q, rq = _check_ball(objective, x0, r)
    p = len(x0q)
    if p > BNB_MAX_DIM:
        raise SizeLimitError(f"branch-and-bound over boxes is limited to dimension {BNB_MAX_DIM} (p = {p}); "
                             "use methods=('ntk',) for square losses (certified NTK bound at any size)")
    bound = _BoxBound(objective, prec)
    stop = None
    if target is not None:
        stop = to_fraction(target)
    if upper is not None:
        u = Fraction(upper) * Fraction(1 - rel_tol).limit_denominator(10**9)
        stop = u if stop is None else min(stop, u)
    heap = []
    counter = 0
    center, half = list(x0q), [rq] * p
    heapq.heappush(heap, (bound(center, half), counter, center, half))
    evaluated = 1
    while heap and evaluated < max_boxes:
        lo = heap[0][0]
        if stop is not None and lo >= stop:
            break
        lo, _, c, h = heapq.heappop(heap)
        k = max(range(p), key=lambda i: h[i])
        for sgn in (-1, 1):
            c2, h2 = list(c), list(h)
            h2[k] = h[k] / 2
            c2[k] = c[k] + sgn * h2[k]
            if _dist2_to_box(x0q, c2, h2) > rq * rq:
                continue  # the box misses the ball
            counter += 1
            evaluated += 1
            heapq.heappush(heap, (bound(c2, h2), counter, c2, h2))
    lower = heap[0][0] if heap else Fraction(0)
    return lower, {"boxes": evaluated, "open_boxes": len(heap), "budget_exhausted": evaluated >= max_boxes}


# ------------------------------------------------------------------------------------ all together
def alpha(objective, x0, r, *, methods="auto", starts: int = 8, seed: int = 0, prec: int = 128,
          max_boxes: int = 4000, target=None, rel_tol: float = 1e-3) -> AlphaBounds:
    """Certified [lower, upper] for α(x0, r); ``methods``: "auto", or a tuple of "bnb", "ntk", "schur".

    "auto" uses branch-and-bound when p ≤ BNB_MAX_DIM, the NTK bound for square losses and the
    first-layer (Schur) bound for scalar-output network square losses, and
    refuses (SizeLimitError, naming the method to use) when neither applies. ``target``: stop
    refining once the lower bound exceeds it (what a criterion check needs).
    """
    t0 = time.perf_counter()
    x0q, rq = _check_ball(objective, x0, r)
    p = objective.n_params
    square = _square_scale(objective) is not None
    if methods == "auto":
        methods = tuple(m for m, ok in (("bnb", p <= BNB_MAX_DIM), ("ntk", square),
                                        ("schur", square and getattr(objective, "data", None) is not None
                                         and objective.data.k == 1)) if ok)
        if not methods:
            raise SizeLimitError(f"no certified lower bound applies: branch-and-bound needs p ≤ {BNB_MAX_DIM} "
                                 f"(p = {p}) and the NTK bound needs a square loss; only the upper bound "
                                 "(alpha_upper) is available")
    if isinstance(methods, str):
        methods = (methods,)
    unknown = set(methods) - {"bnb", "ntk", "schur"}
    if unknown:
        raise InputError(f"unknown α method(s) {sorted(unknown)}; use 'bnb', 'ntk' and/or 'schur'")
    t = time.perf_counter()
    upper, witness, found = alpha_upper(objective, x0q, rq, starts=starts, seed=seed, prec=prec)
    info = {"upper": {"value": upper, "float_found": found, "time": time.perf_counter() - t}}
    best, best_m = None, "none"
    for key, bound, label in (("ntk", alpha_lower_ntk, "ntk"), ("schur", alpha_lower_schur, "first-layer Schur bound")):
        if key in methods:
            t = time.perf_counter()
            lo = bound(objective, x0q, rq, prec)
            info[key] = {"lower": lo, "time": time.perf_counter() - t}
            if best is None or lo > best:
                best, best_m = lo, label
    reached = target is not None and best is not None and best > to_fraction(target)
    if "bnb" in methods and not reached:  # the costly method only when the closed forms fall short
        t = time.perf_counter()
        lo, det = alpha_lower_bnb(objective, x0q, rq, prec=prec, max_boxes=max_boxes, target=target, upper=upper,
                                  rel_tol=rel_tol)
        info["bnb"] = {"lower": lo, "time": time.perf_counter() - t, **det}
        if best is None or lo > best:
            best, best_m = lo, "branch-and-bound"
    if upper is not None and best is not None and best > upper:
        raise ArithmeticError(f"internal inconsistency: certified lower bound {best} exceeds upper bound {upper}")
    return AlphaBounds(best, upper, witness, best_m, info, time.perf_counter() - t0)
