"""Certified lower bounds of α(x0, r) for square losses from the Jacobian at the centre and a Lipschitz bound of
its variation over the **ball** (not the box around it): the methods ``"jacobian_weyl"`` and ``"schur_ball"`` of
:func:`verify.pl.alpha` (Chatterjee, arXiv:2203.16462; ``docs/theory/local_pl.md`` §3.2, §3.3).

Why. The NTK and first-layer bounds of :mod:`verify.pl.alpha` enclose every Jacobian entry over the box
[x0 − r, x0 + r]^p ⊇ B(x0, r). The box has diameter r√p: in p = 2,000 dimensions a pre-activation w·x of a
first-layer unit ranges over ±r‖x‖₁ on the box but only over ±r‖x‖₂ on the ball, and the bounds collapse to 0.
Both methods below only ever use ‖θ − x0‖ ≤ r.

Setting: L(θ) = s‖ρ(θ)‖², residuals ρ = f(X; θ) − y ∈ ℝ^{nk}, J = ∂ρ/∂θ (n k × p), s the normalisation of
:class:`~verify.models.objective.SquareLoss` (1/n for ``"mean"``). Then ∇L = 2sJᵀρ and

    ‖∇L‖² = 4s² ρᵀJJᵀρ ≥ 4s² λ_min(JJᵀ) ‖ρ‖² = 4s σ_min(J)² L,     so  α(x0, r) ≥ 4s inf_{θ∈B} σ_min(J(θ))²

(σ_min(J) = λ_min(JJᵀ)^½, the smallest of the n k singular values). Points with L = 0 are excluded from α, and
the inequality holds at every other point.

**jacobian_weyl.** Weyl's inequality for singular values (Horn & Johnson, *Topics in Matrix Analysis*, Thm 3.3.16):
σ_min(J(θ)) ≥ σ_min(J(x0)) − ‖J(θ) − J(x0)‖₂. Along the segment x0 + t(θ − x0) ⊂ B (the ball is convex) the
mean value inequality gives ‖J(θ) − J(x0)‖₂ ≤ ‖J(θ) − J(x0)‖_F ≤ r·M with

    M ≥ sup_{ξ∈B} ‖DJ(ξ)‖_{ℓ₂→F},   DJ(ξ)[d] = the matrix with rows (∇²f_a(ξ) d)ᵀ  (a = (i, o), one per residual),

so ‖DJ(ξ)[d]‖_F² = Σ_a ‖∇²f_a(ξ) d‖² ≤ Σ_a ‖∇²f_a(ξ)‖_F² ‖d‖². Then α ≥ 4s·max(0, σ₀ − rM)² with σ₀ a certified
lower bound of σ_min(J(x0)) — the square root of a certified lower bound of λ_min(J(x0)J(x0)ᵀ) (float64 balls and
:func:`verify.arith.linalg64.lambda_min_lower`, else Arb and Weyl around the symmetric midpoint: the NTK bound
of :mod:`verify.pl.alpha` at the point x0). M is the smaller of

* **box Hessians** (any twice-differentiable network, p ≤ :data:`HESSIAN_BOX_MAX_PARAMS`): every ∇²f_a enclosed in
  Arb over the box [x0 − r, x0 + r]^p ⊇ B, M = (Σ_a Σ_bc |∇²f_a|_bc,up²)^½. A box meeting a kink of the
  activation (ReLU) has no Hessian enclosure: RegionBoundaryError, no bound.
* **closed form** for one-hidden-layer networks f(x) = Σ_j v_j σ(w̃_j·x̃) (+ c), x̃ = (x, 1) with biases (else x̃ = x),
  scalar output. With a_ij = D̃_j·x̃_i for a direction d = (D̃, δv, δc), the rows of DJ[d] are, entry by entry,
  ∂/∂v_j: σ'(z_ij) a_ij, ∂/∂w̃_j: (δv_j σ'(z_ij) + v_j σ''(z_ij) a_ij) x̃_i, ∂/∂c: 0. Since Σ_ij a_ij² ≤
  ‖X̃‖₂²‖D̃‖_F² (Σ_j ‖X̃ d̃_j‖²), Minkowski and ‖D̃‖² + ‖δv‖² ≤ 1:

      ‖DJ[d]‖_F ≤ (c₁ + A)‖X̃‖₂ ‖D̃‖_F + c₁‖X̃‖_F ‖δv‖ ≤ ((c₁ + A)²‖X̃‖₂² + c₁²‖X̃‖_F²)^½ =: M,

  with A = V·c₂·max_i ‖x̃_i‖, V = max_j |v_j(x0)| + r ≥ |v_j| on B, and c_k ≥ sup |σ^(k)| over the union of the
  pre-activation ranges z_ij ∈ z_ij(x0) ± r‖x̃_i‖ (|Δz_ij| ≤ ‖Δw̃_j‖‖x̃_i‖ ≤ r‖x̃_i‖ on B). The sups are taken over
  a subdivision of each range into :data:`SUP_PIECES` Arb balls; a range containing a breakpoint where σ'' does
  not exist (ReLU at 0) raises RegionBoundaryError: no bound (the mean value theorem needs J ∈ C¹ on B).

  This bound is *intrinsically* loose when σ_min(X) ≪ ‖X‖₂ (real data): moving all of r into one unit along the top
  singular vector of X really changes J by ≈ v·c₂·‖x‖·r‖X‖₂ while σ_min(J) barely moves. Hence the next method.

**schur_ball** (one-hidden-layer networks with a scalar output, ``docs/theory/local_pl.md`` §3.3 fact 1). The
first-layer bound ‖∇L‖²/L ≥ 4s λ_min(XXᵀ) min_i ‖u_i(θ)‖² with u_i = ∂F(x_i)/∂z₁ = (v_j σ'(z_ij))_j holds at every
θ (Schur product theorem), and ‖u_i‖ varies slowly over the ball: Du_ij[d] = δv_j σ'(z_ij) + v_j σ''(z_ij) a_ij,
so by Cauchy–Schwarz (|a_ij| ≤ ‖d̃_j‖‖x̃_i‖) and Σ_j (δv_j² + ‖d̃_j‖²) ≤ ‖d‖²,

    ‖Du_i(ξ)‖_op ≤ Λ_i := (c₁ᵢ² + V² c₂ᵢ² ‖x̃_i‖²)^½,    ‖u_i(θ)‖ ≥ ‖u_i(x0)‖ − rΛ_i   (mean value inequality),

c_kᵢ ≥ sup |σ^(k)| over the range of z_ij, j = 1…m, on B. Hence α ≥ 4s λ_min(XXᵀ) min_i max(0, ‖u_i(x0)‖ − rΛ_i)².
For the positive initialisation (W₁ = 0, v = λ·1) ‖u_i(x0)‖ = λ√m while rΛ_i ≈ r(1 + λ c₂‖x_i‖²)^½…: the relative
loss is O(r c₂ ‖x_i‖/√m), independent of σ_min(X).

Every quantity is an exact rational or the endpoint of an Arb ball (upper endpoints for M, Λ, c_k; lower endpoints
for σ₀, ‖u_i(x0)‖, λ_min); the final bound is an exact rational ≥ 0, never positive when σ_min(J(x0)) = 0
(duplicate data points: λ_min(JJᵀ) = 0 exactly, the certified lower bound is ≤ 0 and is clamped to 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from flint import arb, fmpq

from .. import validate
from ..arith import get_arith
from ..arith.ball import _ArbPrec, ball_bounds
from ..errors import EnclosureError, InputError, SizeLimitError

#: box Hessians of every residual cost n·k·p² Arb entries: above this p only the closed form is used
HESSIAN_BOX_MAX_PARAMS = 64
#: each pre-activation range is cut into this many Arb balls for sup |σ'|, sup |σ''| (tight to ~1/SUP_PIECES)
SUP_PIECES = 48

TAG_WEYL = "jacobian_weyl"
TAG_SCHUR_BALL = "schur_ball"


# ------------------------------------------------------------------------------------ exact helpers
def _arbq(q: Fraction) -> arb:
    return arb(fmpq(q.numerator, q.denominator))


def _sqrt_bounds(q: Fraction, prec: int) -> tuple[Fraction, Fraction]:
    """(lo, hi) with lo ≤ √q ≤ hi, lo ≥ 0 (q ≥ 0 exact)."""
    if q <= 0:
        if q < 0:
            raise InputError(f"internal: square root of a negative rational {q}")
        return Fraction(0), Fraction(0)
    with _ArbPrec(prec):
        lo, hi = ball_bounds(_arbq(q).sqrt())
    return max(lo, Fraction(0)), hi


def _sqrt_up(q: Fraction, prec: int) -> Fraction:
    return _sqrt_bounds(q, prec)[1]


def _sqrt_lo(q: Fraction, prec: int) -> Fraction:
    return _sqrt_bounds(q, prec)[0] if q > 0 else Fraction(0)


#: enclosures are moved away from exponents beyond ±EXP_GUARD bits before they become Fractions (tanh' of 10⁴⁰
#: is exp(−2·10⁴⁰): its exact binary value would not fit in memory)
EXP_GUARD = 1000
_TINY = Fraction(1, 2**EXP_GUARD)


def _upper_abs(x: arb) -> Fraction:
    """A rational ≥ |x| for every x in the ball: the upper endpoint of |x| + 2^−EXP_GUARD (whose midpoint has a
    moderate exponent). EnclosureError when not finite or beyond 2^EXP_GUARD."""
    if not x.is_finite():
        raise EnclosureError(f"a derivative of the activation has no finite enclosure ({x})")
    with _ArbPrec(128):  # outward rounding at any precision; 128 bits keeps the bound tight
        y = abs(x) + _tiny_ball()  # midpoint and radius both of moderate exponent
        big = not y < _arbq(1 / _TINY)
    if big:
        raise EnclosureError(f"an enclosure is beyond 2^{EXP_GUARD} ({x}): no bound")
    return ball_bounds(y)[1]


def _lower_nonneg(x: arb) -> Fraction:
    """A rational 0 ≤ q ≤ every point of the ball x (x is known to be ≥ 0: a sum of squares)."""
    if not x.is_finite():
        return Fraction(0)
    with _ArbPrec(128):
        y = x + _tiny_ball()
        big = not y < _arbq(1 / _TINY)
    if big:
        return Fraction(0)
    return max(ball_bounds(y)[0] - 2 * _TINY, Fraction(0))


def _tiny_ball() -> arb:
    """[0, 2·2^−EXP_GUARD] as the ball 2^−EXP_GUARD ± 2^−EXP_GUARD."""
    return arb(fmpq(1, 2**EXP_GUARD), fmpq(1, 2**EXP_GUARD))


@dataclass
class WeylDetails:
    """What the bound was made of (all exact rationals): the certified ``lower`` bound of α and its pieces."""

    lower: Fraction
    method: str
    parts: dict

    def to_dict(self) -> dict:
        return {"lower": self.lower, "method": self.method, **self.parts}


# ------------------------------------------------------------------------------------ network structure
@dataclass
class TwoLayer:
    """A one-hidden-layer scalar-output network f(x) = Σ_j v_j σ(W_j·x + b_j) (+ c) at an exact θ0."""

    sigma: object  # the Activation
    W: np.ndarray  # m × d of Fraction
    b: list | None  # m Fractions (None: no bias)
    v: list  # m Fractions
    bias: bool


def two_layer_structure(objective, theta) -> TwoLayer | None:
    """The :class:`TwoLayer` view of a square loss of a one-hidden-layer dense network with a scalar output at the
    exact point ``theta``, or None (deeper or convolutional networks, several outputs)."""
    from ..models.objective import SquareLoss

    if not isinstance(objective, SquareLoss) or objective.data.k != 1:
        return None
    chain = objective.net.dense_chain()
    if chain is None or chain.depth != 2 or chain.widths[-1] != 1:
        return None
    lay = chain.layout
    th = list(theta)
    W = np.array(th[lay.block("W1").slice], dtype=object).reshape(chain.widths[1], chain.widths[0])
    v = list(th[lay.block("W2").slice])
    b = list(th[lay.block("b1").slice]) if chain.bias else None
    return TwoLayer(chain.activations[0], W, b, v, chain.bias)


def _augmented_rows(objective, bias: bool) -> list[list[Fraction]]:
    X = objective.data.X_exact
    return [list(row) + ([Fraction(1)] if bias else []) for row in X]


def _gram(rows) -> list[list[Fraction]]:
    n = len(rows)
    G = [[Fraction(0)] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            G[i][j] = G[j][i] = sum((a * b for a, b in zip(rows[i], rows[j])), Fraction(0))
    return G


def _eig_bounds(G, prec: int) -> tuple[Fraction, Fraction]:
    """(lower bound of λ_min, upper bound of λ_max) of the rational symmetric matrix G."""
    from flint import arb_mat

    from ..arith.decide import hull_max, hull_min
    from ..arith.eigen import ball_eigen_enclosures

    with _ArbPrec(prec):
        eig = ball_eigen_enclosures(arb_mat([[_arbq(v) for v in row] for row in G]), prec)
    return hull_min(eig)[0], hull_max(eig)[1]


def _sup_derivs(sigma, lo: Fraction, hi: Fraction, prec: int, pieces: int = SUP_PIECES) -> tuple[Fraction, Fraction]:
    """(c₁, c₂): rationals ≥ sup |σ'|, sup |σ''| over [lo, hi], from Arb enclosures on ``pieces`` sub-intervals.
    RegionBoundaryError when a sub-interval meets a breakpoint where σ'' does not exist."""
    a = get_arith("ball", prec)
    if hi < lo:
        lo, hi = hi, lo
    k = pieces if hi > lo else 1
    step = (hi - lo) / k
    with a.context():
        zs = np.array([arb(fmpq(*_nd(lo + step * (t + Fraction(1, 2)))), fmpq(*_nd(step / 2))) for t in range(k)],
                      dtype=object)
        _, d1, d2 = sigma(zs, a, 2)
    d1 = np.asarray(d1, dtype=object).reshape(-1)
    d2 = np.asarray(d2, dtype=object).reshape(-1)
    return max(_upper_abs(x) for x in d1), max(_upper_abs(x) for x in d2)


def _sup_over_ranges(sigma, ranges, prec: int) -> tuple[Fraction, Fraction]:
    """(c₁, c₂) ≥ sup |σ'|, sup |σ''| over the union of the intervals ``ranges`` (each (lo, hi), duplicates once):
    one interval per pre-activation, so that ranges on either side of a kink are not joined across it."""
    c1, c2 = Fraction(0), Fraction(0)
    for lo, hi in sorted(set(ranges)):
        a1, a2 = _sup_derivs(sigma, lo, hi, prec)
        c1, c2 = max(c1, a1), max(c2, a2)
    return c1, c2


def _nd(q: Fraction) -> tuple[int, int]:
    return q.numerator, q.denominator


# ------------------------------------------------------------------------------------ σ_min(J(x0))
def sigma_min_lower_at(objective, x0q, prec: int) -> tuple[Fraction, Fraction, str]:
    """(σ₀, λ₀, rung): certified σ₀ ≤ σ_min(J(x0)) from λ₀ ≤ λ_min(J(x0)J(x0)ᵀ) (float64 balls first, then Arb)."""
    from .alpha import _ntk_lower_with_rung, _square_scale

    s = _square_scale(objective)
    ntk, rung = _ntk_lower_with_rung(objective, x0q, Fraction(0), prec)  # 4 s λ_min at the point x0 (clamped ≥ 0)
    lam = ntk / (4 * s)
    return _sqrt_lo(lam, prec), lam, rung


# ------------------------------------------------------------------------------------ Lipschitz bounds of J
def lipschitz_box_hessians(objective, x0q, rq, prec: int) -> Fraction:
    """M = (Σ_a ‖∇²f_a‖_F,up²)^½ with every residual's Hessian enclosed in Arb over the box [x0 − r, x0 + r]^p."""
    from .alpha import _box

    p = objective.n_params
    if p > HESSIAN_BOX_MAX_PARAMS:
        raise SizeLimitError(f"box Hessians of every residual are limited to p ≤ {HESSIAN_BOX_MAX_PARAMS} (p = {p})")
    a = get_arith("ball", prec)
    box = _box(list(x0q), [rq] * p, prec)
    _, th = objective._prepare(box, a, prec)
    objective._require(a)
    X, _ = objective.data.in_arith(a)
    eng = objective._engine(a)
    n, k = objective.data.n, objective.data.k
    total = Fraction(0)
    with a.context():
        for i in range(n):
            Xi = X[i:i + 1]
            for o in range(k):
                def ell(F, order, o=o):
                    one = np.empty(F.shape, dtype=object)
                    one.fill(a.const(0))
                    one[0, o] = a.const(1)
                    zero = np.empty(F.shape, dtype=object)
                    zero.fill(a.const(0))
                    return [F, one, zero][:order + 1]

                H = eng.loss_hessian(th, Xi, ell)
                for row in H:
                    for h in row:
                        if not h.is_finite():
                            raise EnclosureError(f"the Hessian of residual ({i}, {o}) has no finite enclosure over "
                                                 f"the box at {prec} bits")
                        u = _upper_abs(h)
                        total += u * u
    return _sqrt_up(total, prec)


def lipschitz_two_layer(objective, x0q, rq, prec: int, net: TwoLayer | None = None) -> tuple[Fraction, dict]:
    """The closed-form M of the module docstring for a one-hidden-layer network (and its pieces)."""
    net = net or two_layer_structure(objective, x0q)
    if net is None:
        raise InputError("the closed-form Lipschitz bound of J needs a one-hidden-layer dense network with a scalar "
                         "output (vf.MLP([d, m, 1], σ))")
    rows = _augmented_rows(objective, net.bias)
    ranges, x2max = [], Fraction(0)
    for xi in rows:
        x2 = sum((t * t for t in xi), Fraction(0))
        rho = rq * _sqrt_up(x2, prec)
        ranges.extend((z - rho, z + rho) for z in _pre_activations(net, xi))
        x2max = max(x2max, x2)
    c1, c2 = _sup_over_ranges(net.sigma, ranges, prec)
    z_lo, z_hi = min(lo for lo, _ in ranges), max(hi for _, hi in ranges)
    V = max(abs(t) for t in net.v) + rq
    A = V * c2 * _sqrt_up(x2max, prec)
    lam_min, lam_max = _eig_bounds(_gram(rows), prec)
    x_op = _sqrt_up(max(lam_max, Fraction(0)), prec)
    x_fro = _sqrt_up(sum((t * t for xi in rows for t in xi), Fraction(0)), prec)
    M = _sqrt_up(((c1 + A) * x_op) ** 2 + (c1 * x_fro) ** 2, prec)
    return M, {"c1": c1, "c2": c2, "V": V, "A": A, "X_op_upper": x_op, "X_fro_upper": x_fro,
               "z_range": [z_lo, z_hi]}


def _pre_activations(net: TwoLayer, xi) -> list[Fraction]:
    d = net.W.shape[1]
    out = []
    for j in range(net.W.shape[0]):
        z = sum((net.W[j, t] * xi[t] for t in range(d) if net.W[j, t]), Fraction(0))
        if net.bias:
            z += net.b[j]
        out.append(z)
    return out


# ------------------------------------------------------------------------------------ the two bounds
def _check(objective, x0, r, prec):
    from .alpha import _check_ball, _square_scale, exact_objective

    x0q, rq = _check_ball(objective, x0, r)
    objective = exact_objective(objective)
    if _square_scale(objective) is None:
        raise InputError("the Jacobian bounds need a square loss (vf.SquareLoss)")
    return objective, x0q, rq, validate.precision(prec)


def alpha_lower_jacobian_weyl(objective, x0, r, prec: int = 128) -> WeylDetails:
    """α(x0, r) ≥ 4s·max(0, σ₀ − rM)² (module docstring, "jacobian_weyl"); M the best of the box Hessians
    (p ≤ :data:`HESSIAN_BOX_MAX_PARAMS`) and the one-hidden-layer closed form. Raises SizeLimitError when neither
    applies, RegionBoundaryError when J is not C¹ on the ball (a kink)."""
    from .alpha import _square_scale

    objective, x0q, rq, prec = _check(objective, x0, r, prec)
    s = _square_scale(objective)
    net = two_layer_structure(objective, x0q)
    cands, errors = {}, {}
    if net is not None:
        cands["closed form (one hidden layer)"], closed = lipschitz_two_layer(objective, x0q, rq, prec, net)
    else:
        closed = None
    if objective.n_params <= HESSIAN_BOX_MAX_PARAMS:
        try:
            cands["box Hessians"] = lipschitz_box_hessians(objective, x0q, rq, prec)
        except EnclosureError as exc:
            errors["box Hessians"] = str(exc)
    if not cands:
        raise SizeLimitError(f"no Lipschitz bound of the Jacobian applies: box Hessians need p ≤ "
                             f"{HESSIAN_BOX_MAX_PARAMS} (p = {objective.n_params}) and the closed form a "
                             f"one-hidden-layer scalar network{'; ' + str(errors) if errors else ''}")
    how = min(cands, key=lambda k: cands[k])
    M = cands[how]
    sigma0, lam0, rung = sigma_min_lower_at(objective, x0q, prec)
    gap = sigma0 - rq * M
    lower = 4 * s * gap * gap if gap > 0 else Fraction(0)
    parts = {"sigma0_lower": sigma0, "lambda0_lower": lam0, "sigma0_rung": rung, "M": M, "M_from": how,
             "M_candidates": cands, "rM": rq * M, "errors": errors}
    if closed is not None:
        parts["closed_form"] = closed
    return WeylDetails(lower, TAG_WEYL, parts)


def alpha_lower_schur_ball(objective, x0, r, prec: int = 128) -> WeylDetails:
    """α(x0, r) ≥ 4s λ_min(XXᵀ) min_i max(0, ‖u_i(x0)‖ − rΛ_i)² (module docstring, "schur_ball"), for
    one-hidden-layer dense networks with a scalar output."""
    from .alpha import _square_scale

    objective, x0q, rq, prec = _check(objective, x0, r, prec)
    s = _square_scale(objective)
    net = two_layer_structure(objective, x0q)
    if net is None:
        raise InputError("the ball first-layer bound needs a one-hidden-layer dense network with a scalar output "
                         "(vf.MLP([d, m, 1], σ)); use 'jacobian_weyl' or 'schur' for other networks")
    X = [list(row) for row in objective.data.X_exact]
    lam_x = _eig_bounds(_gram(X), prec)[0]
    if lam_x <= 0:  # n > d or dependent inputs: vacuous (docs/theory/local_pl.md §6 claim 11)
        return WeylDetails(Fraction(0), TAG_SCHUR_BALL, {"lambda_XXt_lower": lam_x, "why": "λ_min(XXᵀ) ≤ 0"})
    rows = _augmented_rows(objective, net.bias)
    a = get_arith("ball", prec)
    V = max(abs(t) for t in net.v) + rq
    worst, per_point = None, []
    for xi in rows:
        zs = _pre_activations(net, xi)
        x2 = sum((t * t for t in xi), Fraction(0))
        rho = rq * _sqrt_up(x2, prec)
        c1, c2 = _sup_over_ranges(net.sigma, [(z - rho, z + rho) for z in zs], prec)
        lip = _sqrt_up(c1 * c1 + V * V * c2 * c2 * x2, prec)
        with a.context():
            _, d1 = net.sigma(np.array([_arbq(z) for z in zs], dtype=object), a, 1)
            d1 = np.asarray(d1, dtype=object).reshape(-1)
            u2 = sum((_arbq(vj) * g) ** 2 for vj, g in zip(net.v, d1))
        if not u2.is_finite():
            raise EnclosureError(f"‖u_i(x0)‖² has no finite enclosure at {prec} bits")
        u_lo = _sqrt_lo(_lower_nonneg(u2), prec)
        low = u_lo - rq * lip
        low = low if low > 0 else Fraction(0)
        per_point.append({"u0_lower": u_lo, "Lip": lip, "c1": c1, "c2": c2})
        worst = low if worst is None else min(worst, low)
    lower = 4 * s * lam_x * worst * worst
    return WeylDetails(lower, TAG_SCHUR_BALL, {"lambda_XXt_lower": lam_x, "V": V, "min_u_lower": worst,
                                               "points": per_point})


__all__ = ["alpha_lower_jacobian_weyl", "alpha_lower_schur_ball", "lipschitz_box_hessians", "lipschitz_two_layer",
           "sigma_min_lower_at", "two_layer_structure", "HESSIAN_BOX_MAX_PARAMS", "SUP_PIECES", "WeylDetails"]
