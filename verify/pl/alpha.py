"""Certified bounds on α(x0, r) = inf_{θ ∈ B(x0, r), L(θ) > 0} ‖∇L(θ)‖² / L(θ)
(Chatterjee, arXiv:2203.16462; the derived forms of ``docs/theory/local_pl.md`` §1.2 and the numerical note
of §6).

* **upper** — multi-start local minimisation of the ratio over the ball (SLSQP, float64), then the
  best point is rounded to a rational *witness* inside the closed ball (checked exactly) and the
  ratio there is enclosed in Arb: α ≤ ratio(witness) ≤ ``upper`` (the enclosure of L(witness) is
  certified > 0). An upper bound can refute the criterion, never certify it.
* **lower, branch-and-bound** (``"bnb"``, dimension p ≤ :data:`BNB_MAX_DIM`): boxes covering the
  ball, each bounded in Arb ball arithmetic by the best of

  - the *cancelled ratio*: for sympy objectives without ``Piecewise``, the rational form of
    ‖∇f‖²/f after cancelling common factors (finite near the zeros of f that cancelling removes,
    f = x² gives 4); its sign is the sign of f wherever f ≠ 0;
  - the *enclosure* (Σ ∂ᵢL²)_lo / L_hi, valid where L > 0 (used only on boxes where L ≥ 0 is
    certified, structurally or by L_lo ≥ 0);
  - the *NTK bound on the box* for square losses (below);
  - the *near-zero Hessian bound* (below) on boxes inside a certified neighbourhood of a zero of L.

  Boxes outside the ball are discarded exactly, boxes where L ≡ 0 (structurally nonnegative L with
  L_hi ≤ 0, or an exactly-zero enclosure) hold no point of the infimum; the box with the smallest
  bound is split until the bound reaches the target, the gap closes or the box budget runs out.
* **near-zero Hessian bound.** Around a zero θ* of L (L(θ*) = 0, ∇L(θ*) = 0) the ratio has no finite
  box enclosure unless it cancels symbolically (x² + 4y² at 0). Let B' be a box containing θ* on
  which the Hessian is enclosed: every H(θ), θ ∈ B', satisfies ‖H(θ) − A‖_op ≤ ε for a rational
  symmetric A with λ_min(A) ≥ a > ε (A and ε from the symmetrised midpoint, Weyl). For θ ∈ B'
  put d = θ − θ* (the segment [θ*, θ] lies in the convex B'), and by Taylor with integral remainder

      ∇L(θ) = Ĥ d,  Ĥ = ∫₀¹ H(θ* + t d) dt;     L(θ) = ½ dᵀ H̃ d,  H̃ = ∫₀¹ 2(1 − t) H(θ* + t d) dt;

  Ĥ and H̃ are averages of Hessians on B', so ‖Ĥ − A‖, ‖H̃ − A‖ ≤ ε. With u = d/|d| and q = uᵀAu ≥ a,
  |Au|² = uᵀA²u ≥ a q (A² − aA = A^½(A − aI)A^½ ⪰ 0), hence |Au| ≥ √(aq) ≥ a > ε and

      ‖∇L‖²/L = 2|Ĥu|²/(uᵀH̃u) ≥ 2(√(aq) − ε)²/(q + ε) ≥ 2(a − ε)²/(a + ε)   for every θ ≠ θ* in B'

  (the middle expression increases with q when √(aq) > ε). With m = a − ε and M = λ_max(A) + ε this
  is at least the textbook 2m²/M; for a quadratic (ε = 0) it is the exact 2λ_min. Also L > 0 on
  B' \\ {θ*}. **L(θ*) = 0 must be certified**: if L(θ*) = c > 0 the same expansion gives
  ‖∇L‖²/L ≥ m²|d|²/(c + M|d|²/2), which tends to 0 at θ* — and indeed α = 0 when the ball contains
  a critical point with positive loss. θ* is located by Krawczyk's test on ∇L
  (:func:`verify.arith.krawczyk.certify_zero`) from a box the branch-and-bound could not bound, and
  L(θ*) = 0 is certified (a) at an exact rational point where L and ∇L evaluate to exactly 0, or
  (b) by a Krawczyk zero of a square residual system: a :class:`SquareLoss` with n·k = p residuals,
  or a sympy sum Σ cᵢ gᵢ² (cᵢ > 0) of p squares, whose common zero is a zero of L and of ∇L.
  Otherwise the bound does not apply and the Result says so (``AlphaBounds.note``).
* **lower, NTK** (``"ntk"``, square losses L = s‖r‖² of any size): ‖∇L‖² = 4s² rᵀJJᵀr ≥
  4s λ_min(JJᵀ) L, with J enclosed over the box [x0 − r, x0 + r]^p ⊇ B(x0, r) in ball arithmetic
  and λ_min bounded below by Weyl's inequality: λ_min(K) ≥ λ_min(K̂) − ‖K − K̂‖_F for the symmetric
  midpoint K̂ (whose spectrum is enclosed by Arb). For s = 1/n this is the (4/n) λ_min(JJᵀ) bound.
  J = ∂r/∂θ is ``objective.jacobian`` (forward mode through the network's layer graph), so the bound holds for
  a square loss over any network (MLP, convolutional, residual, attention); a box meeting a kink or a
  max-pooling tie has no Jacobian enclosure and gives no bound.
* **lower, first layer** (``"schur"``, scalar-output network square losses whose first layer is Dense on a
  vector input, ``docs/theory/local_pl.md`` §3.3):
  ‖∇L‖²/L ≥ 4s λ_min(XXᵀ) min_j ‖∂F(x_j)/∂z_1‖², with the sensitivities enclosed over the same box;
  robust far from the NTK regime (it needs only the first layer's gradient).
* **lower, on the ball** (``"jacobian_weyl"``, ``"schur_ball"``, :mod:`verify.pl.jacobian_bound`): the
  Jacobian (or the first-layer sensitivities) certified at x0 only, and their variation over the *ball*
  bounded by r times a certified Lipschitz constant (mean value inequality, Weyl's inequality for singular
  values): 4s·max(0, σ_min(J(x0)) − rM)², resp. 4s λ_min(XXᵀ) min_i max(0, ‖u_i(x0)‖ − rΛ_i)². The box
  [x0 − r, x0 + r]^p has diameter r√p, the ball 2r: in high dimension these stay positive where the box
  bounds are 0 (a tanh [64, 32, 1] network on 10 digits at output scale 16, r = 1/10: 429 versus 0).

**Nonnegativity.** Chatterjee's theorem assumes L ≥ 0. :func:`nonnegativity` certifies it
structurally (square, logistic and cross-entropy losses; sympy expressions that sympy's sign rules prove ≥ 0 for
real arguments). For any other objective every box bound above is positive only where L ≥ 0 is
certified on the box, so a *positive* branch-and-bound lower bound also certifies L ≥ 0 on the ball
(``AlphaBounds.nonnegative`` says how L ≥ 0 is known, or is None).
"""

from __future__ import annotations

import bisect
import heapq
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import sympy as sp
from flint import arb, arb_mat, fmpq

from .. import validate
from ..arith import get_arith
from ..arith.ball import _ArbPrec, ball_bounds
from ..arith.decide import abs_bounds, bounds, certainly_gt, certainly_lt, hull_min, sign
from ..arith.eigen import ball_eigen_enclosures, symmetric_midpoint
from ..errors import (
    EnclosureError,
    InputError,
    RegionBoundaryError,
    SizeLimitError,
    VerifyError,
)
from ..numbers import fraction_array
from ..parallel import Shared, check_executor, pmap
from .ratio import numeric_ratio_and_grad, ratio, simplified_ratio_expr

#: branch-and-bound over boxes is exponential in the dimension: 6 is where 10⁴ boxes still resolve
#: smooth instances to a few per cent (benchmarks/bench_pl.py)
BNB_MAX_DIM = 6
#: the NTK Gram matrix is n·k × n·k; its certified spectrum needs n·k ≤ this
NTK_MAX_ROWS = 300
#: at most this many Krawczyk searches for zeros of L per branch-and-bound run
NEAR_ZERO_MAX_SEEDS = 8
#: neighbourhoods B' = θ* ± r·2^(−k), k = 0 … NEAR_ZERO_LADDER − 1, are tried around a certified zero
NEAR_ZERO_LADDER = 48
#: boxes split per branch-and-bound round (their children are bounded together, in parallel with an executor):
#: wide enough to keep two to a few workers busy, narrow enough that a budget-limited run loses little
BNB_FRONTIER = 32
#: reported as the lower bound when every box of the ball has L ≡ 0 (α = +∞, an infimum over nothing)
ALPHA_EMPTY = Fraction(10) ** 30

# how a box's bound was obtained (reported as the method of the final bound)
TAG_RATIO = "cancelled ratio ‖∇L‖²/L enclosed on boxes"
TAG_ENCL = "enclosure (Σ ∂ᵢL²)_lo / L_hi on boxes"
TAG_NTK = "NTK bound 4sλ_min(JJᵀ) on boxes"
TAG_NEAR = "near-zero Hessian bound 2(a − ε)²/(a + ε)"
TAG_NONE = "none: no finite bound on a box (it meets a zero of L, a kink, or L < 0 is possible there)"
TAG_NONPOS = "none: the ratio enclosure on a box is not positive (L < 0 there, or the ratio tends to 0)"
TAG_EMPTY = "L ≡ 0 on the whole ball (α = +∞)"


@dataclass
class AlphaBounds:
    """Certified enclosure [lower, upper] of α(x0, r), with the witness of the upper bound.

    ``lower_method`` names the method that gave the lower bound (``"ntk"``, ``"first-layer Schur
    bound"``, ``"branch-and-bound (<box method>)"`` where the box method is the cancelled ratio, the
    enclosure, the NTK bound on boxes or the near-zero Hessian bound, or ``"none"`` when no bound
    applies on the worst box); ``note`` explains a weak bound (e.g. why the near-zero bound did not
    apply); ``nonnegative`` says how L ≥ 0 on the ball is known (None: not certified)."""

    lower: Fraction | None
    upper: Fraction | None
    witness: np.ndarray | None
    lower_method: str
    methods: dict = field(default_factory=dict)
    elapsed: float = 0.0
    nonnegative: str | None = None
    note: str = ""
    #: the ball the bounds are about — the objective (by identity), its centre x0 (exact) and radius r — so that a
    #: consumer such as :func:`verify.pl.chatterjee` can refuse bounds of another ball (α depends on r: a lower
    #: bound for one radius is not one for a larger radius, an upper bound not one for a smaller radius)
    objective: object = field(default=None, repr=False, compare=False)
    x0: tuple | None = None
    r: Fraction | None = None

    def covers(self, objective, x0, r) -> bool:
        """Are these the bounds of α(x0, r) for this objective (the same object, centre and radius, exactly)?"""
        return (self.objective is objective and self.r is not None and self.r == r and self.x0 is not None
                and len(self.x0) == len(x0) and all(a == b for a, b in zip(self.x0, x0)))

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
    """The ball B(x0, r) of an α computation, validated: x0 exact with one entry per parameter, r > 0 rational."""
    if not hasattr(objective, "n_params") or not hasattr(objective, "grad"):
        raise InputError(f"expected a verify objective (vf.Objective.from_sympy, vf.SquareLoss, …), got "
                         f"{type(objective).__name__}")
    x0q = fraction_array(x0, what="x0")
    if x0q.shape != (objective.n_params,):
        raise InputError(f"x0 must have {objective.n_params} entries, got shape {x0q.shape}")
    rq = validate.positive_rational(r, "the radius r")
    return x0q, rq


def _arbq(q: Fraction) -> arb:
    return arb(fmpq(q.numerator, q.denominator))


def _lower_endpoint(x: arb) -> Fraction:
    return ball_bounds(x)[0]


def _upper_endpoint(x: arb) -> Fraction:
    return ball_bounds(x)[1]


def exact_objective(objective):
    """The objective with sympy ``Float`` coefficients replaced by their exact binary values.

    L is unchanged (a Float *is* that binary rational), but sympy differentiates Floats in rounded
    53-bit arithmetic (d/dx 0.1·x³ gives a rounded 0.3·x²): the certified bounds here need the
    exact derivatives, so they work on this copy."""
    from ..models.objective import SympyObjective

    if isinstance(objective, SympyObjective) and objective.expr.atoms(sp.Float):
        exact = objective.expr.xreplace({c: sp.Rational(c) for c in objective.expr.atoms(sp.Float)})
        return SympyObjective(exact, objective.variables, name=objective.name)
    return objective


# ------------------------------------------------------------------------------------ nonnegativity
def nonnegativity(objective) -> str | None:
    """How L ≥ 0 on all of ℝᵖ is known structurally, or None.

    Square losses s Σ‖f − y‖² (s > 0), logistic losses (terms log(1 + e^{−t}) > 0) and softmax cross-entropy
    losses (terms −log p_y > 0) are nonnegative by construction; a sympy objective is when sympy's sign rules
    prove the expression (or its factorisation) nonnegative for real arguments (sums of even powers with
    positive coefficients, products of such, …). Anything else: None (not known; the criterion may still
    certify L ≥ 0 on the ball through a positive branch-and-bound bound)."""
    from ..models.objective import CrossEntropyLoss, LogisticLoss, SquareLoss, SympyObjective

    if isinstance(objective, SquareLoss):
        return "structural: a square loss s·Σ‖f(x_i; θ) − y_i‖² with s > 0 (L ≥ 0 everywhere)"
    if isinstance(objective, LogisticLoss):
        return "structural: a logistic loss, a mean of log(1 + e^(−y f)) > 0 (L > 0 everywhere)"
    if isinstance(objective, CrossEntropyLoss):
        return ("structural: a softmax cross-entropy loss, a mean of log Σ_c e^(F_c) − F_y = −log p_y > 0 "
                "(L > 0 everywhere)")
    if isinstance(objective, SympyObjective):
        reals = {v: sp.Dummy(v.name, real=True) for v in objective.variables}
        e = objective.expr.xreplace(reals)
        cands = [e]
        if not objective.pieces() and e.is_polynomial(*reals.values()):
            try:
                cands.append(sp.factor(e))
            except (sp.PolynomialError, TypeError, ValueError):
                pass
        for c in cands:
            if c.is_nonnegative is True:
                return ("structural: sympy's sign rules prove the expression ≥ 0 for all real arguments "
                        "(L ≥ 0 everywhere)")
    return None


# ------------------------------------------------------------------------------------ upper bound
def _inside(x0q, rq, x) -> bool:
    return sum((a - b) ** 2 for a, b in zip(x, x0q)) <= rq * rq


#: shrink factors tried (in order) to pull a float minimiser into the closed ball exactly
_SHRINK = (Fraction(1), Fraction(999_999, 1_000_000), Fraction(999, 1000), Fraction(99, 100), Fraction(9, 10),
           Fraction(1, 2), Fraction(0))


def _rational_in_ball(x0q, rq, xf: np.ndarray) -> np.ndarray:
    """A rational point of the closed ball near ``xf`` (a bounded number of exact tries; x0 last)."""
    x = [Fraction(float(v)) for v in xf]
    for t in _SHRINK:
        y = np.array([b + (a - b) * t for a, b in zip(x, x0q)], dtype=object)
        if _inside(x0q, rq, y):
            return y
    return np.array(x0q, dtype=object)


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
        for _ in range(64):  # backtracking, bounded
            if not step > 1e-12 * rf:
                return x
            y = _project(x - step * g, x0f, rf)
            vy, gy = numeric_ratio_and_grad(objective, y)
            if vy < v:
                x, v, g = y, vy, gy
                step *= 1.5
                break
            step /= 2
        else:
            return x
    return x


def alpha_upper(objective, x0, r, *, starts: int = 8, seed: int = 0, prec: int = 128):
    """(certified upper bound of α, witness in the ball, float value found) by multi-start local
    minimisation (SLSQP up to p = SLSQP_MAX_DIM, projected gradient descent above).

    The witness w is a rational point of the closed ball with L(w) > 0 certified, and
    α ≤ ratio(w) ≤ the returned bound. (None, None, value) when no such witness was found."""
    x0q, rq = _check_ball(objective, x0, r)
    objective = exact_objective(objective)
    starts = validate.nonneg_int(starts, "starts")
    seed = validate.nonneg_int(seed, "seed")
    prec = validate.precision(prec)
    return _upper_search(objective, x0q, rq, starts, seed, prec)[:3]


def _upper_search(objective, x0q, rq, starts, seed, prec):
    """alpha_upper's search; also returns the float minimiser found (or None)."""
    from scipy.optimize import minimize

    x0f = np.array([float(v) for v in x0q])
    rf = float(rq)
    rng = np.random.default_rng(seed)
    p = objective.n_params
    cands = [x0f.copy()]
    try:
        g = np.asarray(objective.grad(x0f, "float"), dtype=float)
    except VerifyError:
        g = np.zeros(p)
    if np.all(np.isfinite(g)) and np.linalg.norm(g) > 0:
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
        except (ValueError, FloatingPointError, ArithmeticError, VerifyError):
            xs = [c]
        for x in xs:
            if not np.all(np.isfinite(x)) or ((x - x0f) ** 2).sum() > rf**2 * (1 + 1e-12):
                continue
            try:
                v = numeric_ratio_and_grad(objective, x)[0]
            except (VerifyError, ArithmeticError, ValueError):
                continue
            if v < best_val:
                best_val, best_x = v, x
    cands = []
    if best_x is not None:
        w = _rational_in_ball(x0q, rq, best_x)
        cands.append(w)  # and simple rationals near it (an exact critical point gives the ratio 0 exactly)
        for d in (1, 10, 1000, 10**6):
            # not-a-decision: candidate points, each checked exactly
            v = np.array([Fraction(t).limit_denominator(d) for t in w], dtype=object)
            if _inside(x0q, rq, v):
                cands.append(v)
    if p <= BNB_MAX_DIM:  # exact points of the sphere x0 ± r·e_i (the minimiser often lies on the sphere)
        for i in range(p):
            for sgn in (-1, 1):
                e = np.array(x0q, dtype=object)
                e[i] = e[i] + sgn * rq
                cands.append(e)
    cands.append(np.array(x0q, dtype=object))
    best_up, best_w = None, None
    for cand in cands:
        try:
            enc = ratio(objective, cand, "ball", prec)
        except (VerifyError, ZeroDivisionError, ArithmeticError):
            continue
        if enc.is_finite():  # then L(cand) > 0 is certified (the enclosure of L excludes 0)
            up = _upper_endpoint(enc)
            if best_up is None or up < best_up:
                best_up, best_w = up, cand
    return best_up, best_w, best_val, best_x


def critical_point_witness(objective, x0, r, seed, prec: int = 128) -> dict | None:
    """α = 0 certified: a critical point θ̂ of L (Krawczyk's test on ∇L from ``seed``) whose box lies in
    the closed ball and on which L > 0 is certified; then ratio(θ̂) = 0, so α(x0, r) = 0. Returns the
    certificate (box, L enclosure) or None (which proves nothing)."""
    from ..arith.krawczyk import certify_zero

    x0q, rq = _check_ball(objective, x0, r)
    objective = exact_objective(objective)
    prec = validate.precision(prec)
    F, J = _ball_callables(objective, prec)
    try:
        cert = certify_zero(F, J, [Fraction(float(v)) for v in seed], prec, max_radius=rq)
        if not cert.proved:
            return None
        bs = [bounds(b) for b in cert.box]
        far2 = sum(max(abs(lo - c), abs(hi - c)) ** 2 for (lo, hi), c in zip(bs, x0q))
        if far2 > rq * rq:
            return None  # the box is not inside the closed ball
        Lb = objective.value(np.array(cert.box, dtype=object), get_arith("ball", prec), prec)
        if not (Lb.is_finite() and certainly_gt(Lb, 0)):
            return None
    except (VerifyError, ZeroDivisionError, ArithmeticError, ValueError, OverflowError):
        return None
    return {"box": [str(b) for b in cert.box], "center": [(lo + hi) / 2 for lo, hi in bs],
            "L_lower": bounds(Lb)[0], "krawczyk": cert.message}


# ------------------------------------------------------------------------------------ NTK lower bound
def weyl_lambda_min_lower(K) -> Fraction:
    """A certified lower bound of λ_min over the symmetric matrices in the ball matrix K (n × n array
    of arb): λ_min(K̂) − ‖E‖_F with K̂ the symmetrised midpoint and |E_ij| ≤ rad_ij + |K̂_ij − mid K_ij|."""
    sym, eps = symmetric_midpoint(K, 128)
    return _lambda_min_lower_exact(sym, 128) - eps


def _lambda_min_lower_exact(A, prec: int) -> Fraction:
    """A certified lower bound of λ_min of the rational symmetric matrix A (the hull of the eigenvalue
    enclosures: never "the first ball")."""
    with _ArbPrec(prec):
        eig = ball_eigen_enclosures(arb_mat([[_arbq(v) for v in row] for row in A]), prec)
    return hull_min(eig)[0]


def _square_scale(objective):
    from ..models.objective import SquareLoss

    return objective.scale if isinstance(objective, SquareLoss) else None


def ntk_lower_on_box(objective, box, prec: int) -> Fraction:
    """4 s λ_min(J Jᵀ) bounded below over a box of parameters (``box``: arb array). May be ≤ 0."""
    s = _square_scale(objective)
    rows = objective.data.n * objective.data.k
    if rows > NTK_MAX_ROWS:  # before the Jacobian is enclosed
        raise SizeLimitError(f"the NTK Gram matrix would be {rows}×{rows} (limit {NTK_MAX_ROWS})")
    a = get_arith("ball", prec)
    J = objective.jacobian(box, a, prec)
    with a.context():
        K = a.matmul(J, J.T)
    return 4 * s * weyl_lambda_min_lower(K)


def _box(center, half, prec):
    with _ArbPrec(prec):
        return np.array([arb(fmpq(c.numerator, c.denominator), fmpq(h.numerator, h.denominator)) if h else
                         _arbq(c) for c, h in zip(center, half)], dtype=object)


def ntk_lower_on_box_ball64(objective, box) -> Fraction | None:
    """The NTK bound 4 s λ_min(J Jᵀ) over a box on the first rung of the precision ladder: J enclosed with float64
    balls, K = J Jᵀ by the rigorous midpoint-radius product, λ_min(K) bounded below by
    :func:`verify.arith.linalg64.lambda_min_lower` (every symmetric matrix in the ball of K). None when float64
    balls give no finite bound (an overflow, a kink the balls cannot separate)."""
    from ..arith.ball64 import as_b64
    from ..arith.ladder import UNDECIDED, Rung, point_in
    from ..arith.linalg64 import lambda_min_lower

    s = _square_scale(objective)
    rows = objective.data.n * objective.data.k
    if rows > NTK_MAX_ROWS:
        raise SizeLimitError(f"the NTK Gram matrix would be {rows}×{rows} (limit {NTK_MAX_ROWS})")
    try:
        J = as_b64(objective.jacobian(point_in(Rung("ball64"), box), "ball64"))
        lam = lambda_min_lower(J @ J.T)
    except UNDECIDED:
        return None
    return None if lam is None else 4 * s * lam


def alpha_lower_ntk(objective, x0, r, prec: int = 128, fast: bool = True) -> Fraction:
    """The NTK lower bound of α over the box [x0 − r, x0 + r]^p ⊇ B(x0, r) (square losses).

    The precision ladder (:mod:`verify.arith.ladder`): with ``fast`` the bound is first computed with float64
    balls (:func:`ntk_lower_on_box_ball64`); when it is positive it is returned, else the Arb bound at ``prec``
    bits. Both are certified lower bounds; the float64 one is typically looser by ~10⁻¹² relative."""
    x0q, rq = _check_ball(objective, x0, r)
    prec = validate.precision(prec)
    if _square_scale(objective) is None:
        raise InputError("the NTK bound needs a square loss (vf.SquareLoss); use the branch-and-bound method")
    return _ntk_lower_with_rung(objective, x0q, rq, prec, validate.boolean(fast, "fast"))[0]


def _ntk_lower_with_rung(objective, x0q, rq, prec, fast=True) -> tuple[Fraction, str]:
    """(the NTK lower bound of α, the ladder rung that gave it: ``"ball64"`` or ``"ball@prec"``)."""
    from ..arith.ladder import Rung, climb

    box = _box(x0q, [rq] * len(x0q), prec)

    def attempt(rung):
        if rung.arith == "ball64":  # a positive bound decides; 0 or no bound climbs to Arb
            lo = ntk_lower_on_box_ball64(objective, box)
            return lo if lo is not None and lo > 0 else None
        return max(Fraction(0), ntk_lower_on_box(objective, box, rung.prec))  # the last rung: any bound

    run = climb(attempt, ([Rung("ball64")] if fast else []) + [Rung("ball", prec)])
    if not run.decided:
        raise run.error
    return run.value, run.label


def first_layer_block(net):
    """The :class:`~verify.models.nn.ParamBlock` of W₁ when the network's first layer is a ``Dense`` layer on a
    vector input, z₁ = W₁x (+ b₁) — the setting of the first-layer bound (∂F/∂W₁[a, b] = u_a x_b with
    u = ∂F/∂z₁) — else None (convolutions share weights across positions, a Dense layer on a (T, d) input
    acts on every token: ∂F/∂W₁ is then a sum of such outer products and the bound does not apply)."""
    from ..models.nn.layers import Dense

    layers = getattr(net, "layers", None)
    if not layers or len(net.input_shape) != 1 or not isinstance(layers[0], Dense):
        return None
    first = layers[0]
    shape = (first.out, net.input_shape[0])
    for b in net.layout.blocks:  # the layout is the only place that knows where W₁ sits in θ
        if b.layer == first.number and b.shape == shape:
            return b
    return None


def schur_lower_on_box(objective, box, prec: int) -> Fraction:
    """First-layer (Schur product) lower bound over a box (``docs/theory/local_pl.md`` §3.3 fact 1, §6 claim 8):
    ‖∇L‖²/L ≥ 4s λ_min(XXᵀ) min_j ‖u_j‖², u_j = ∂F(x_j)/∂z_1, for a square loss L = s‖r‖² with a
    scalar output and a first layer z₁ = W₁x (+ b₁) (:func:`first_layer_block`; any layers after it).
    ‖u_j‖² = ‖∂F(x_j)/∂W_1‖_F² / ‖x_j‖², bounded below entrywise from the Jacobian enclosed over the box;
    λ_min(XXᵀ) is exact (rational data).

    Why: ∇_{W₁}L = 2s Σ_j r_j u_j x_jᵀ, so ‖∇L‖² ≥ 4s² rᵀ(U ∘ XXᵀ)r with U = [u_j·u_k], and by the Schur
    product theorem U ∘ XXᵀ ⪰ λ_min(XXᵀ) diag(‖u_j‖²)."""
    from ..arith.eigen import exact_eigen_intervals

    s = _square_scale(objective)
    data, net = objective.data, objective.net
    if data.k != 1:
        raise InputError("the first-layer (Schur) bound needs a scalar-output network")
    blk = first_layer_block(net)
    if blk is None:
        raise InputError("the first-layer (Schur) bound needs a network whose first layer is Dense on a vector "
                         "input (z₁ = W₁x + b₁); use the NTK bound (methods=('ntk',)) for other networks")
    X = data.X_exact
    G = np.array([[sum(a * b for a, b in zip(X[i], X[j])) for j in range(data.n)] for i in range(data.n)],
                 dtype=object)
    lam_G = exact_eigen_intervals(G)[0].lo
    if lam_G <= 0:
        return Fraction(0)  # n > d or dependent inputs: the bound is vacuous (docs/theory/local_pl.md §6 claim 11)
    a = get_arith("ball", prec)
    J = objective.jacobian(box, a, prec)
    cols = range(blk.slice.start, blk.slice.stop)
    min_u2 = None
    for j in range(data.n):
        tot = Fraction(0)
        for c in cols:
            v = J[j, c]
            lo = abs_bounds(v)[0] if v.is_finite() else Fraction(0)  # lower bound of |∂F(x_j)/∂W1_c|
            tot += lo * lo
        x2 = sum(t * t for t in X[j])
        u2 = tot / x2 if x2 > 0 else Fraction(0)
        min_u2 = u2 if min_u2 is None else min(min_u2, u2)
    return 4 * s * lam_G * (min_u2 or Fraction(0))


def alpha_lower_schur(objective, x0, r, prec: int = 128) -> Fraction:
    """The first-layer (Schur) lower bound of α over the box [x0 − r, x0 + r]^p ⊇ B(x0, r)."""
    x0q, rq = _check_ball(objective, x0, r)
    prec = validate.precision(prec)
    if _square_scale(objective) is None or not hasattr(objective, "net"):
        raise InputError("the first-layer bound needs a network square loss (vf.SquareLoss)")
    if first_layer_block(objective.net) is None:
        raise InputError("the first-layer (Schur) bound needs a network whose first layer is Dense on a vector "
                         "input (z₁ = W₁x + b₁); use the NTK bound (methods=('ntk',)) for other networks")
    return schur_lower_on_box(objective, _box(x0q, [rq] * len(x0q), prec), prec)

# ------------------------------------------------------------------------------------ near a zero of L
def _ball_callables(objective, prec: int):
    """∇L and ∇²L as callables on lists of arb (points or boxes), for Krawczyk's test."""
    a = get_arith("ball", prec)

    def F(xs):
        return list(objective.grad(np.array(xs, dtype=object), a, prec))

    def J(xs):
        return objective.hessian(np.array(xs, dtype=object), a, prec)

    return F, J


def _sos_residuals(expr):
    """[g_1, …, g_k] when ``expr`` is structurally Σ c_i g_i² with every c_i a positive number (so that
    expr = 0 exactly where every g_i = 0); None otherwise."""
    c, rest = expr.as_coeff_Mul()
    if not c.is_number or not c.is_positive:
        return None
    if rest.is_Add:
        out = []
        for t in rest.args:
            s = _sos_residuals(t)
            if s is None:
                return None
            out.extend(s)
        return out
    if rest.is_Pow and rest.exp == 2:
        return [rest.base]
    return None


def _residual_system(objective, prec: int):
    """(R, J_R, description) for a square residual system whose zeros are zeros of L and of ∇L, or None:
    a SquareLoss with n·k = p residuals, or a sympy sum of p squares with positive coefficients."""
    from ..arith.compile import Program
    from ..models.objective import SquareLoss, SympyObjective

    p = objective.n_params
    a = get_arith("ball", prec)
    if isinstance(objective, SquareLoss) and objective.data.n * objective.data.k == p:
        return (lambda xs: list(objective.residuals(np.array(xs, dtype=object), a, prec)),
                lambda xs: objective.jacobian(np.array(xs, dtype=object), a, prec),
                "a Krawczyk zero of the n·k = p residuals r(θ) = f(X; θ) − y (so L = s‖r‖² = 0 and ∇L = 2sJᵀr = 0)")
    if isinstance(objective, SympyObjective) and not objective.pieces():
        gs = _sos_residuals(objective.expr)
        if gs is None or len(gs) != p:
            return None
        jac = [sp.diff(g, v) for g in gs for v in objective.variables]
        with a.context():
            pg = Program(gs, objective.variables, a)
            pj = Program(jac, objective.variables, a)

        def JR(xs):
            vals = pj(list(xs))
            return [vals[i * p:(i + 1) * p] for i in range(p)]

        return (lambda xs: pg(list(xs)), JR,
                f"a Krawczyk zero of the p = {p} squared terms g_i of L = Σ c_i g_i² (so L = 0 and ∇L = 0 there)")
    return None


def _exact_zero_at(objective, th, prec: int) -> bool:
    """Do L and ∇L evaluate to exactly 0 at the rational point ``th`` (exact arithmetic for polynomial
    objectives, else a ball enclosure of radius 0 around 0)?"""
    from ..gdmap.regions import is_polynomial_objective

    th = np.array(th, dtype=object)
    try:
        if is_polynomial_objective(objective):
            v, g = objective.value(th, "exact"), objective.grad(th, "exact")
        else:
            a = get_arith("ball", prec)
            v, g = objective.value(th, a, prec), objective.grad(th, a, prec)
        return sign(v) == 0 and all(sign(gi) == 0 for gi in g)
    except (VerifyError, ZeroDivisionError, ArithmeticError):
        return False


def _box_center_radius(box) -> tuple[list[Fraction], Fraction]:
    """Exact centre c and sup-norm radius ρ with box ⊂ c ± ρ."""
    bs = [bounds(b) for b in box]
    c = [(lo + hi) / 2 for lo, hi in bs]
    return c, max((hi - lo) / 2 for lo, hi in bs)


def _inside_box(pt, box) -> bool:
    return all(lo <= v <= hi for v, (lo, hi) in zip(pt, (bounds(b) for b in box)))


@dataclass
class NearZero:
    """A certified zero θ* of L (L(θ*) = 0 and ∇L(θ*) = 0) with θ* ∈ ``center`` ± ``radius`` (sup norm;
    radius 0: θ* = center exactly), and the neighbourhoods B' = center ± ρ on which the Hessian bound
    ‖∇L‖²/L ≥ 2(a − ε)²/(a + ε) holds (``regions``: dicts with rho, bound, a = λ_min(A) lower bound,
    eps = sup_{B'} ‖H − A‖_F)."""

    center: list
    radius: Fraction
    how: str
    regions: list = field(default_factory=list)
    krawczyk: dict | None = None
    _index: tuple | None = field(default=None, repr=False, compare=False)

    def bound_on(self, c, h) -> Fraction | None:
        """The best bound of a region containing the box c ± h (exact test), or None."""
        if not self.regions:
            return None
        if self._index is None:  # regions by increasing ρ, with the best bound among those of ρ' ≥ ρ
            regs = sorted(self.regions, key=lambda reg: reg["rho"])
            best, suffix = None, []
            for reg in reversed(regs):
                best = reg["bound"] if best is None or reg["bound"] > best else best
                suffix.append(best)
            self._index = ([reg["rho"] for reg in regs], suffix[::-1])
        rhos, suffix = self._index
        d = max(abs(ci - zi) + hi for ci, zi, hi in zip(c, self.center, h))  # box ⊂ center ± ρ iff d ≤ ρ
        i = bisect.bisect_left(rhos, d)
        return suffix[i] if i < len(rhos) else None

    def covers(self, c) -> bool:
        """Is the point c inside the widest neighbourhood?"""
        return bool(self.regions) and max(abs(ci - zi) for ci, zi in zip(c, self.center)) <= self.widest_rho()

    def widest_rho(self) -> Fraction:
        """The largest radius ρ of a neighbourhood center ± ρ with a certified bound (0 without regions)."""
        return max((reg["rho"] for reg in self.regions), default=Fraction(0))

    def to_dict(self) -> dict:
        """A summary for certificates: the zero's center, radius and how it was found, the number of regions, the
        best bound over them, the widest region and the Krawczyk data (exact rationals kept)."""
        return {"center": list(self.center), "radius": self.radius, "how": self.how,
                "regions": len(self.regions),
                "best": None if not self.regions else max(r["bound"] for r in self.regions),
                "widest": None if not self.regions else {k: v for k, v in max(self.regions,
                                                                                key=lambda r: r["rho"]).items()},
                "krawczyk": self.krawczyk}


def _hessian_regions(objective, center, radius, scale, prec) -> list:
    """Neighbourhoods center ± ρ (ρ = scale·2^−k > radius) where the Hessian bound applies."""
    a = get_arith("ball", prec)
    p = len(center)
    out = []
    for k in range(NEAR_ZERO_LADDER):
        rho = scale / 2**k
        if rho <= radius:
            break
        try:
            H = objective.hessian(_box(center, [rho] * p, prec), a, prec)
            if not all(H[i, j].is_finite() for i in range(p) for j in range(p)):
                continue
            A, eps = symmetric_midpoint(H, prec)
            amin = _lambda_min_lower_exact(A, prec)
        except (VerifyError, ZeroDivisionError, ArithmeticError):
            continue
        if certainly_gt(amin, eps):
            out.append({"rho": rho, "bound": 2 * (amin - eps) ** 2 / (amin + eps), "a": amin, "eps": eps})
    return out


def near_zero_certificate(objective, seed, scale, prec: int = 128) -> tuple[NearZero | None, str]:
    """Certify a zero θ* of L near ``seed`` and the Hessian-bound neighbourhoods around it (module
    docstring, "near-zero Hessian bound"); ``scale`` > 0 is the largest neighbourhood radius tried.
    Returns (NearZero, "") or (None, why not)."""
    from ..arith.krawczyk import certify_zero

    objective = exact_objective(objective)
    scale = validate.positive_rational(scale, "scale")
    prec = validate.precision(prec)
    seed = fraction_array(seed, what="seed")
    if seed.shape != (objective.n_params,):
        raise InputError(f"seed must have {objective.n_params} entries, got shape {seed.shape}")

    p = objective.n_params
    seed = list(seed)
    F, J = _ball_callables(objective, prec)
    try:
        cert = certify_zero(F, J, seed, prec, max_radius=scale)
    except (VerifyError, ZeroDivisionError, ArithmeticError) as exc:
        return None, f"Krawczyk's test on ∇L near {[float(v) for v in seed]} failed ({exc})"
    if not cert.proved:
        return None, (f"no non-degenerate critical point certified near {[float(v) for v in seed]} (Krawczyk on ∇L: "
                      f"{cert.message}); a degenerate zero of L (singular Hessian, e.g. x⁴) has no such bound")
    kdict = {k: v for k, v in cert.to_dict().items() if k not in ("box", "search_box")}
    kdict["box"] = [str(b) for b in cert.box]
    c, rad = _box_center_radius(cert.box)
    # not-a-decision: candidate points, each checked exactly
    cands = [c] + [[v.limit_denominator(d) for v in c] for d in (1, 2, 10, 100, 10**3, 10**6, 10**9, 10**12)]
    seen = set()
    for cand in cands:
        key = tuple(cand)
        if key in seen or not _inside_box(cand, cert.search_box):
            continue
        seen.add(key)
        if _exact_zero_at(objective, cand, prec):
            nz = NearZero(list(cand), Fraction(0), "an exact rational point where L and ∇L evaluate to exactly 0 "
                          "(the unique critical point of the Krawczyk box)", krawczyk=kdict)
            break
    else:
        nz = None
        system = _residual_system(objective, prec)
        if system is not None:
            R, JR, how = system
            try:
                rc = certify_zero(R, JR, c, prec, max_radius=scale)
            except (VerifyError, ZeroDivisionError, ArithmeticError):
                rc = None
            if rc is not None and rc.proved:
                zc, zr = _box_center_radius(rc.box)
                nz = NearZero(zc, zr, how, krawczyk=kdict)
        if nz is None:
            try:
                Lb = objective.value(np.array(cert.box, dtype=object), get_arith("ball", prec), prec)
                enc = f"L(θ̂) ∈ [{float(_lower_endpoint(Lb)):.3g}, {float(_upper_endpoint(Lb)):.3g}]"
            except (VerifyError, ArithmeticError, ZeroDivisionError):
                enc = "L(θ̂) not enclosed"
            return None, (f"a unique critical point θ̂ ≈ {[float(v) for v in c]} is certified (Krawczyk), but "
                          f"L(θ̂) = 0 could not be certified ({enc}; not an exact rational zero, no square residual "
                          "system): if L(θ̂) > 0, α = 0 there, so no near-zero bound is claimed")
    nz.regions = _hessian_regions(objective, nz.center, nz.radius, scale, prec)
    if not nz.regions:
        return None, (f"L has a certified zero near {[float(v) for v in nz.center]} but no box around it has a "
                      "Hessian enclosure with λ_min(A) > ε (degenerate or too curved): no near-zero bound")
    if p and nz.radius > 0:
        nz.how += f" in a box of radius {float(nz.radius):.3g}"
    return nz, ""


def _near_zero_witness(objective, x0q, rq, z: dict, prec: int):
    """(upper, point): the ratio enclosed at rational points θ* + t·v of the ball, v ≈ the eigenvector of
    the smallest Hessian eigenvalue at the zero θ* (near θ* the ratio tends to 2vᵀH²v/vᵀHv = 2λ_min
    along v). A search heuristic: every candidate is checked in Arb, like any witness."""
    c = [Fraction(v) for v in z["center"]]
    try:
        H = np.asarray(objective.hessian(np.array([float(v) for v in c]), "float"), dtype=float)
        w, V = np.linalg.eigh((H + H.T) / 2)
    except (VerifyError, ArithmeticError, ValueError, np.linalg.LinAlgError):
        return None
    if not np.all(np.isfinite(V)):
        return None
    # not-a-decision: candidate points, each checked exactly
    v = [Fraction(float(t)).limit_denominator(10**6) for t in V[:, 0]]
    best = None
    for k in (3, 8, 16, 32):
        for sgn in (-1, 1):
            pt = np.array([ci + sgn * rq * vi / 2**k for ci, vi in zip(c, v)], dtype=object)
            if not _inside(x0q, rq, pt):
                continue
            try:
                enc = ratio(objective, pt, "ball", prec)
            except (VerifyError, ZeroDivisionError, ArithmeticError):
                continue
            if enc.is_finite():
                up = _upper_endpoint(enc)
                if best is None or up < best[0]:
                    best = (up, pt)
    return best


# ------------------------------------------------------------------------------------ branch and bound
_UNSET = object()


class _BoxBound:
    """Certified lower bound of the ratio over a box, by the best method available for the objective.

    Returns (bound, tag), or None when L ≡ 0 on the box (no point of the infimum). A positive bound
    always certifies L ≥ 0 on the box (module docstring, "Nonnegativity"). :meth:`enclose` is the part
    computed in Arb from the objective alone (what a worker of an executor runs); :meth:`with_zeros` adds
    the near-zero Hessian bounds of the zeros certified so far (the caller's state)."""

    def __init__(self, objective, prec, structural: bool, expr=_UNSET):
        self.obj, self.prec = objective, prec
        self.a = get_arith("ball", prec)
        self.structural = structural
        if expr is _UNSET:
            expr = simplified_ratio_expr(objective)
        self.expr = expr
        self.program = None
        if expr is not None:
            from ..arith.compile import Program

            with self.a.context():
                self.program = Program([expr], objective.variables, self.a)
        self.square = _square_scale(objective) is not None
        self.zeros: list[NearZero] = []

    def __call__(self, center, half):
        return self.with_zeros(self.enclose(center, half), center, half)

    def enclose(self, center, half):
        best, tag = Fraction(0), TAG_NONE
        try:
            box = _box(center, half, self.prec)
            if self.program is not None:
                (v,) = self.program(list(box))
                if v.is_finite():
                    lo = _lower_endpoint(v)  # the signed ratio: > 0 only where L > 0
                    best, tag = (lo, TAG_RATIO) if lo > 0 else (best, TAG_NONPOS)
            else:
                L = self.obj.value(box, self.a, self.prec)
                g = self.obj.grad(box, self.a, self.prec)
                with self.a.context():
                    gg = self.a.sum(g * g)
                if L.is_finite() and gg.is_finite():
                    Llo, Lhi = ball_bounds(L)
                    if Lhi <= 0 and (self.structural or Llo == Lhi == 0):
                        return None  # L ≡ 0 on the box: no point of the infimum
                    if Lhi > 0 and (self.structural or Llo >= 0):
                        v = _lower_endpoint(gg) / Lhi
                        if v > best:
                            best, tag = v, TAG_ENCL
                if self.square:
                    v = ntk_lower_on_box(self.obj, box, self.prec)
                    if v > best:
                        best, tag = v, TAG_NTK
        except (VerifyError, ZeroDivisionError, ArithmeticError):
            pass
        return best, tag

    def with_zeros(self, res, center, half):
        if res is None:
            return None
        best, tag = res
        for nz in self.zeros:
            v = nz.bound_on(center, half)
            if v is not None and v > best:
                best, tag = v, TAG_NEAR
        return best, tag


class _BnbJob:
    """What the workers of one branch-and-bound need: the objective and how to bound a box. The caller's
    :class:`_BoxBound` (compiled closures, certified zeros) stays with the caller; a worker builds its own
    from the objective and the cancelled ratio expression, once per run."""

    def __init__(self, bound: _BoxBound, x0q, rq):
        self.objective, self.prec, self.structural, self.expr = bound.obj, bound.prec, bound.structural, bound.expr
        self.x0q, self.r2 = list(x0q), rq * rq
        self._bound = bound

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_bound"] = None
        return state

    def bound(self) -> _BoxBound:
        if self._bound is None:
            self._bound = _BoxBound(self.objective, self.prec, self.structural, self.expr)
        return self._bound


#: what :func:`_enclose_box` returns for a box that misses the ball
_MISSES = "misses the ball"


def _enclose_box(job: _BnbJob, box):
    """A worker's item: :data:`_MISSES` when the box (center, half-widths) misses the ball (exact test), else
    the Arb part of the bound on it."""
    if _dist2_to_box(job.x0q, *box) > job.r2:
        return _MISSES
    return job.bound().enclose(*box)


def _dist2_to_box(x0q, center, half) -> Fraction:
    d2 = Fraction(0)
    for x, c, h in zip(x0q, center, half):
        e = abs(c - x) - h
        if e > 0:
            d2 += e * e
    return d2


def _rel_tol(rel_tol) -> Fraction:
    v = validate.finite_float(rel_tol, "rel_tol") if not isinstance(rel_tol, Fraction) else rel_tol
    q = Fraction(v)
    if not 0 <= q < 1:
        raise InputError(f"rel_tol must be in [0, 1), got {rel_tol!r}")
    return q


def alpha_lower_bnb(objective, x0, r, *, prec: int = 128, max_boxes: int = 4000, target=None, upper=None,
                    rel_tol: float = 1e-3, near_zero: bool = True, frontier: int = BNB_FRONTIER,
                    executor=None) -> tuple[Fraction, dict]:
    """Branch-and-bound lower bound of α over B(x0, r) in Arb arithmetic (p ≤ BNB_MAX_DIM).

    Returns (lower, details); ``details["method"]`` is the method that bounded the worst open box
    (the one that sets the bound), ``details["near_zero"]`` the certified zeros of L used and
    ``details["near_zero_notes"]`` why the near-zero bound did not apply elsewhere. Stops when the
    bound exceeds ``target`` (strictly; at once if ``upper`` ≤ ``target``), without a target when it
    reaches ``upper``·(1 − rel_tol), and always after ``max_boxes`` boxes.

    **Rounds.** Each round takes the (up to) ``frontier`` open boxes with the smallest bounds that are still
    below the stopping level (ties by creation order), tries the near-zero certificate on them in that order,
    splits the others along their longest side, and bounds all the children — independent Arb computations,
    run in parallel on ``executor`` (a ``concurrent.futures.Executor``: a process pool, or a
    ``dask.distributed`` client's ``get_executor()``). The children are put back in creation order, so the
    boxes, the bound, ``details`` and every certificate are the same with and without an executor and do
    not depend on scheduling (:mod:`verify.parallel`); they depend on ``frontier`` only. Every box below the
    stopping level must be split before the bound can reach it, so a round wastes no work on a run that
    reaches its target; only when the budget runs out can a wider frontier end with a lower bound than
    ``frontier=1`` (plain best-first search). Each bound is sound whatever the order of splitting."""
    x0q, rq = _check_ball(objective, x0, r)
    objective = exact_objective(objective)
    prec = validate.precision(prec)
    max_boxes = validate.positive_int(max_boxes, "max_boxes")
    frontier = validate.positive_int(frontier, "frontier")
    executor = check_executor(executor)
    rel = _rel_tol(rel_tol)
    tq = None if target is None else validate.rational(target, "target")
    uq = None if upper is None else validate.rational(upper, "upper")
    p = len(x0q)
    if p > BNB_MAX_DIM:
        raise SizeLimitError(f"branch-and-bound over boxes is limited to dimension {BNB_MAX_DIM} (p = {p}); "
                             "use methods=('ntk',) for square losses (certified NTK bound at any size)")
    bound = _BoxBound(objective, prec, nonnegativity(objective) is not None)
    # with a target, refine until the bound exceeds it (or it is out of reach: upper ≤ target); without
    # one, until the bound is within rel_tol of the upper bound
    stop_upper = None if uq is None else (uq * (1 - rel) if tq is None else (uq if uq <= tq else None))
    if stop_upper is not None and tq is not None:
        stop_upper = Fraction(-1)  # the target cannot be exceeded: α ≤ upper ≤ target
    job = Shared(_BnbJob(bound, x0q, rq), "the objective", keep=(objective,))

    def stopped(lo) -> bool:
        return (tq is not None and lo > tq) or (stop_upper is not None and lo >= stop_upper)

    heap = []
    counter = 0
    center, half = list(x0q), [rq] * p
    first = bound(center, half)
    if first is not None:
        heap.append((first[0], counter, center, half, first[1]))
    evaluated = 1
    seeds, tried, notes = 0, [], []
    while heap and evaluated < max_boxes:
        if stopped(heap[0][0]):
            break
        # the round: up to `frontier` boxes, at most as many as the budget can still split (≤ 2 children each)
        room = min(frontier, (max_boxes - evaluated + 1) // 2)
        popped = []
        while heap and len(popped) < room and not stopped(heap[0][0]):
            popped.append(heapq.heappop(heap))
        split = []
        for lo, cnt, c, h, tag in popped:
            if (near_zero and tag == TAG_NONE and seeds < NEAR_ZERO_MAX_SEEDS and max(h) <= rq / 8
                    and not any(all(abs(ci - ti) <= th for ci, ti, th in zip(c, tc, thh)) for tc, thh in tried)
                    and not any(z.covers(c) for z in bound.zeros)):
                seeds += 1
                nz, why = near_zero_certificate(objective, c, rq, prec)
                tried.append((c, h))  # a later box centred in this one is not tried again
                if nz is None:
                    if why not in notes:
                        notes.append(why)
                elif not any(z.covers(nz.center) for z in bound.zeros):  # else: the same zero (unique in B')
                    bound.zeros.append(nz)
                    heap = [_rebound(e, nz) for e in heap]
                    heapq.heapify(heap)
                    nb = nz.bound_on(c, h)
                    if nb is not None and nb > lo:
                        heapq.heappush(heap, (nb, cnt, c, h, TAG_NEAR))
                        continue
            split.append((c, h))
        children = []
        for c, h in split:
            k = max(range(p), key=lambda i: h[i])
            for sgn in (-1, 1):
                c2, h2 = list(c), list(h)
                h2[k] = h[k] / 2
                c2[k] = c[k] + sgn * h2[k]
                children.append((c2, h2))
        encl = pmap(_enclose_box, children, shared=job, executor=executor, what="the boxes of the branch-and-bound")
        for (c2, h2), res in zip(children, encl):  # in creation order: the counters do not depend on workers
            if isinstance(res, str):  # _MISSES
                continue  # the box misses the ball
            counter += 1
            evaluated += 1
            b2 = bound.with_zeros(res, c2, h2)
            if b2 is not None:
                heapq.heappush(heap, (b2[0], counter, c2, h2, b2[1]))
    if heap:
        lower, method = heap[0][0], heap[0][4]
    else:
        lower, method = ALPHA_EMPTY, TAG_EMPTY
    used: dict[str, int] = {}
    for e in heap:
        used[e[4]] = used.get(e[4], 0) + 1
    det = {"boxes": evaluated, "open_boxes": len(heap), "budget_exhausted": evaluated >= max_boxes,
           "frontier": frontier, "method": method, "open_box_methods": used,
           "near_zero": [z.to_dict() for z in bound.zeros], "near_zero_notes": notes}
    return lower, det


def _rebound(entry, nz: NearZero):
    lo, cnt, c, h, tag = entry
    nb = nz.bound_on(c, h)
    return (nb, cnt, c, h, TAG_NEAR) if nb is not None and nb > lo else entry


# ------------------------------------------------------------------------------------ all together
_METHODS = ("bnb", "ntk", "schur", "jacobian_weyl", "schur_ball")
#: the ball methods of :mod:`verify.pl.jacobian_bound`: (key, function, label)
_BALL_METHODS = (("schur_ball", "alpha_lower_schur_ball", "first-layer bound on the ball (schur_ball)"),
                 ("jacobian_weyl", "alpha_lower_jacobian_weyl", "Jacobian at x0 and Weyl (jacobian_weyl)"))


def alpha(objective, x0, r, *, methods="auto", starts: int = 8, seed: int = 0, prec: int = 128,
          max_boxes: int = 4000, target=None, rel_tol: float = 1e-3, near_zero: bool = True,
          frontier: int = BNB_FRONTIER, executor=None) -> AlphaBounds:
    """Certified [lower, upper] for α(x0, r); ``methods``: "auto", or a tuple of "bnb", "ntk", "schur",
    "jacobian_weyl", "schur_ball".

    "auto" uses branch-and-bound when p ≤ BNB_MAX_DIM, the NTK bound for square losses, the
    first-layer (Schur) bound for scalar-output network square losses, and the ball bounds of
    :mod:`verify.pl.jacobian_bound` where they apply ("schur_ball" for one-hidden-layer scalar networks,
    "jacobian_weyl" for those and for any square loss with p ≤ HESSIAN_BOX_MAX_PARAMS), and takes the best
    certified lower bound; it refuses (SizeLimitError, naming the method to use) when none applies. The
    box methods ("ntk", "schur") run first; the ball methods only when no target is given or the box
    methods did not exceed it, and branch-and-bound last. ``target``: stop refining once
    the lower bound exceeds it (what a criterion check needs). ``near_zero``: let branch-and-bound
    certify zeros of L and use the near-zero Hessian bound around them (module docstring).
    The result says which method gave the lower bound (``lower_method``), why it is weak when it
    is (``note``) and how L ≥ 0 on the ball is known (``nonnegative``).

    ``executor`` (a ``concurrent.futures.Executor``: a process pool, or a ``dask.distributed`` client's
    ``get_executor()``) runs the branch-and-bound's box bounds in parallel, ``frontier`` boxes split per
    round (:func:`alpha_lower_bnb`); the bounds, witnesses and methods are the same with and without it.
    """
    t0 = time.perf_counter()
    x0q, rq = _check_ball(objective, x0, r)
    given, objective = objective, exact_objective(objective)
    prec = validate.precision(prec)
    starts = validate.nonneg_int(starts, "starts")
    seed = validate.nonneg_int(seed, "seed")
    max_boxes = validate.positive_int(max_boxes, "max_boxes")
    _rel_tol(rel_tol)
    tq = None if target is None else validate.rational(target, "target")
    if not isinstance(near_zero, bool):
        raise InputError(f"near_zero must be True or False, got {near_zero!r}")
    frontier = validate.positive_int(frontier, "frontier")
    executor = check_executor(executor)
    p = objective.n_params
    square = _square_scale(objective) is not None
    if isinstance(methods, str) and methods == "auto":
        from .jacobian_bound import HESSIAN_BOX_MAX_PARAMS, two_layer_structure

        two_layer = square and two_layer_structure(objective, x0q) is not None
        methods = tuple(m for m, ok in (("bnb", p <= BNB_MAX_DIM), ("ntk", square),
                                        ("schur", square and getattr(objective, "data", None) is not None
                                         and objective.data.k == 1 and first_layer_block(objective.net) is not None),
                                        ("schur_ball", two_layer),
                                        ("jacobian_weyl", two_layer or (square and p <= HESSIAN_BOX_MAX_PARAMS)))
                        if ok)
        if not methods:
            raise SizeLimitError(f"no certified lower bound applies: branch-and-bound needs p ≤ {BNB_MAX_DIM} "
                                 f"(p = {p}) and the NTK bound needs a square loss; only the upper bound "
                                 "(alpha_upper) is available")
    if isinstance(methods, str):
        methods = (methods,)
    try:
        methods = tuple(methods)
        unknown = {m for m in methods if not isinstance(m, str) or m not in _METHODS}
    except TypeError:
        raise InputError(f"methods must be 'auto' or a tuple of {_METHODS}, got {methods!r}") from None
    if unknown or not methods:
        raise InputError(f"unknown α method(s) {sorted(map(str, unknown))}; use 'bnb', 'ntk', 'schur', "
                         "'jacobian_weyl' and/or 'schur_ball'")
    structural = nonnegativity(objective)
    t = time.perf_counter()
    upper, witness, found, best_x = _upper_search(objective, x0q, rq, starts, seed, prec)
    info = {"upper": {"value": upper, "float_found": found}}
    if (upper is None or upper > 0) and best_x is not None and p <= BNB_MAX_DIM:
        crit = critical_point_witness(objective, x0q, rq, best_x, prec)
        if crit is not None:  # α = 0: a critical point with positive loss in the ball
            upper, witness = Fraction(0), np.array(crit["center"], dtype=object)
            info["upper"].update(value=upper, critical_point=crit)
    info["upper"]["time"] = time.perf_counter() - t
    best, best_m, notes = None, "none", []
    for key, bound, label in (("ntk", None, "ntk"), ("schur", alpha_lower_schur, "first-layer Schur bound")):
        if key in methods:
            t = time.perf_counter()
            try:
                if bound is None:  # the NTK bound climbs the precision ladder: float64 balls, then Arb
                    lo, rung = _ntk_lower_with_rung(objective, x0q, rq, prec)
                    label = f"ntk ({rung})"
                else:
                    lo = bound(objective, x0q, rq, prec)
            except (RegionBoundaryError, EnclosureError, SizeLimitError) as exc:  # e.g. a kink in the box
                info[key] = {"lower": None, "error": str(exc), "time": time.perf_counter() - t}
                notes.append(f"{label}: no bound ({exc})")
                continue
            info[key] = {"lower": lo, "time": time.perf_counter() - t}
            if best is None or lo > best:
                best, best_m = lo, label
    for key, fname, label in _BALL_METHODS:  # the ball bounds: cheap, but only when still needed
        if key not in methods or (tq is not None and best is not None and best > tq):
            continue
        from . import jacobian_bound

        t = time.perf_counter()
        try:
            det = getattr(jacobian_bound, fname)(objective, x0q, rq, prec)
        except (RegionBoundaryError, EnclosureError, SizeLimitError) as exc:  # a kink on the ball, p too large
            info[key] = {"lower": None, "error": str(exc), "time": time.perf_counter() - t}
            notes.append(f"{key}: no bound ({exc})")
            continue
        info[key] = {**det.to_dict(), "time": time.perf_counter() - t}
        if best is None or det.lower > best:
            best, best_m = det.lower, label
    bnb_positive = False
    reached = tq is not None and best is not None and best > tq
    if "bnb" in methods and not reached:  # the costly method only when the closed forms fall short
        t = time.perf_counter()
        lo, det = alpha_lower_bnb(objective, x0q, rq, prec=prec, max_boxes=max_boxes, target=tq, upper=upper,
                                  rel_tol=rel_tol, near_zero=near_zero, frontier=frontier, executor=executor)
        info["bnb"] = {"lower": lo, "time": time.perf_counter() - t, **det}
        bnb_positive = lo > 0
        if best is None or lo > best:
            label = det["method"]
            if det["near_zero"] and det["method"] != TAG_NEAR and det["open_box_methods"].get(TAG_NEAR):
                label += (f"; near-zero Hessian bound on {det['open_box_methods'][TAG_NEAR]} boxes around "
                          f"{len(det['near_zero'])} certified zero(s) of L")
            best, best_m = lo, f"branch-and-bound ({label})"
        if det["method"] in (TAG_NONE, TAG_NONPOS):
            why = ("the worst box has no finite bound (it meets a zero of L, a kink, or L < 0 may occur there)"
                   if det["method"] == TAG_NONE else
                   "the ratio enclosure on the worst box is not positive (L < 0 there, or the ratio tends to 0)")
            notes.append("branch-and-bound: " + "; ".join(
                [why, *det["near_zero_notes"]]
                + ([] if near_zero else ["the near-zero Hessian bound was disabled (near_zero=False)"])))
        elif det["budget_exhausted"]:
            notes.append(f"branch-and-bound stopped at its box budget (max_boxes = {max_boxes}); raise it to tighten")
    for z in (info.get("bnb") or {}).get("near_zero", []):  # witnesses along the flattest direction at a zero
        w = _near_zero_witness(objective, x0q, rq, z, prec)
        if w is not None and (upper is None or w[0] < upper):
            upper, witness = w
            info["upper"].update(value=upper, near_zero_witness=True)
    if upper is not None and best is not None and certainly_lt(upper, best):
        raise EnclosureError(f"internal inconsistency: certified lower bound {best} exceeds upper bound {upper}; "
                             "please report this objective")
    nonneg = structural
    if nonneg is None and bnb_positive:
        nonneg = ("certified on the ball: the branch-and-bound lower bound is positive, and every positive box "
                  "bound certifies L ≥ 0 on its box")
    return AlphaBounds(best, upper, witness, best_m, info, time.perf_counter() - t0, nonneg, "; ".join(notes),
                       objective=given, x0=tuple(x0q), r=rq)
