"""Certified GD trajectories that stay sharp: a-posteriori shadowing of a rounded orbit.

Evaluating θ − η∇L(θ) on the enclosure of the previous iterate (the "naive" ball step) loses the cancellation
between θ and η∇L(θ): every step multiplies the radius by about 1 + η‖∇²L‖ although GD itself contracts or
barely expands (the wrapping effect of interval arithmetic; R. E. Moore, *Interval Analysis*, 1966; Lohner,
"Enclosing the solutions of ordinary initial and boundary value problems", 1987). This module follows the
other road of the issue — *shadowing* (Hammel, Yorke & Grebogi, "Numerical orbits of chaotic processes
represent true orbits", Bull. AMS 19 (1988); Coomes, Koçak & Palmer, "Rigorous computational shadowing of
orbits of ordinary differential equations", Numer. Math. 69 (1995)): compute a cheap rounded orbit, then bound
its distance to the exact orbit with a certified Lipschitz bound of the GD map.

**The argument.** G(θ) = θ − η∇L(θ) with the exact rational η; θ_0 the exact start, θ_{k+1} = G(θ_k).

1. *The rounded orbit.* y_0 is the midpoint of an enclosure of θ_0; y_{k+1} is the midpoint of the enclosure of
   G(y_k) computed at the *point* y_k (one value-and-gradient evaluation per step: the cost of a naive ball
   step, with much narrower balls). The *defect* d_k = G(y_k) − y_{k+1} is bounded coordinatewise by the
   radii of that enclosure, so ‖d_k‖₂ ≤ δ_k := ‖rad‖₂ (rounded up).
2. *The error recursion.* With e_k = θ_k − y_k: e_{k+1} = G(θ_k) − G(y_k) + d_k, and when L is C² on a convex
   set W containing the segment [y_k, θ_k], G(θ_k) − G(y_k) = (I − ηH̄_k)e_k with H̄_k = ∫₀¹ ∇²L(y_k + t e_k) dt
   (the fundamental theorem of calculus, coordinatewise). H̄_k is symmetric and lies in every interval enclosure
   𝐇 of ∇²L over W (the enclosure is a convex set of matrices and holds every ∇²L(ξ), ξ ∈ W, so it holds their
   average). For symmetric H̄, ‖I − ηH̄‖₂ = max_i |1 − ηλ_i(H̄)| ≤ Λ := max(|1 − η·lo|, |1 − η·hi|) whenever
   every eigenvalue of every symmetric matrix in 𝐇 lies in [lo, hi] (|1 − ηλ| is convex in λ). Hence
   ‖e_{k+1}‖₂ ≤ Λ‖e_k‖₂ + δ_k, and by induction ρ_{k+1} := ↑(Λρ_k + δ_k) bounds ‖e_{k+1}‖₂ (ρ_0 ≥ ‖θ_0 − y_0‖₂
   from the start's enclosure; ↑ rounds up to a short dyadic).
3. *Windows.* One enclosure 𝐇 serves a window of M consecutive indices j: W is the box hull of y_j (j in the
   window) widened by r ≥ 0, so W ⊇ B(y_j, ρ_j) ⊇ [y_j, θ_j] once ρ_j ≤ r — checked *after* the recursion for
   every j of the window, with the Λ of that W (if a check fails, r grows or the window shrinks; a window is
   never accepted unless every ρ_j ≤ r). The window adapts: it grows while the enclosure of 𝐇 over W stays
   close to the point Hessian (the spectral excess η·(λ̃_min − lo) below a per-step budget) and shrinks when the
   orbit moves fast (a wide box widens 𝐇). The budget is ln 2·prec/4 for the whole run: the over-estimation
   of the windows costs about prec/4 bits of the final radius at most (a heuristic steering only the window
   lengths: every window's Λ is rigorous whatever its length).
4. *Piecewise activations.* 𝐇 over W raises RegionBoundaryError when W meets a kink (L need not be C² on W):
   the window shrinks, down to the single index k with W = B(y_k, ρ_k)'s box; if that still meets a kink, the
   step is a naive ball step on the box y_k ± ρ_k (θ_k is in it, so G(θ_k) is in the naive enclosure, and
   ρ_{k+1} is the 2-norm of its distance to y_{k+1}). If the naive step meets the kink too, the run stops and
   says so (stop_reason ``"region_boundary"``): the exact iterate may be on either side.
5. *Outputs.* θ_k is stored as the box y_k ± ρ_k (a 2-norm ball lies in its box); the loss as
   L(y_k) ± (‖∇L(y_k)‖₂ρ_k + ½ sup_W‖∇²L‖₂ ρ_k²) (Taylor's theorem with the Lagrange remainder on [y_k, θ_k] ⊆ W,
   sup_W‖∇²L‖₂ ≤ max(|lo|, |hi|), everything rounded up), with L(y_k) and ∇L(y_k) the enclosures at the point.
   ``extra["rho"]`` lists every ρ_k (exact dyadics), ``extra["radii"]`` ~20 checkpoints (k, ρ_k),
   ``extra["windows"]`` one record per window (first index, length, Λ, the method).

**Eigenvalue bounds of 𝐇** (every symmetric H in the float64-ball matrix [M ± R], M = Mᵀ the rounded average of
the midpoint and its transpose, R widened accordingly): a float Cholesky factor C of Z = M − σI with σ a little
below a float estimate of λ_min(M); then H − σI = CCᵀ + F with F = (Z − P) + (P − CCᵀ) + (H − M), P = fl(CCᵀ), and
CCᵀ ⪰ 0 exactly (C is an exact float matrix), so λ_min(H) ≥ σ − ‖F‖₂ (Weyl). ‖F‖₂ ≤ ρ(N) + γ_{p+2}‖C‖_F² + p²η
with N ≥ |Z − P| + R entrywise (rounding of the float subtraction bounded a priori) symmetric: ‖Y‖₂ ≤ ‖|Y|‖₂ ≤
ρ(N) (Perron–Frobenius; Horn & Johnson, *Matrix Analysis*, Thm 8.1.18), ρ(N) by the Collatz–Wielandt bound
(Thm 8.1.26); the rounding of P is within γ_p|C||Cᵀ| + pη/2 entrywise (Higham, *Accuracy and Stability of
Numerical Algorithms*, §3.1, any summation order), whose Frobenius norm is ≤ γ_p‖C‖_F² (Cauchy–Schwarz). This is
the residual argument behind Rump's "isspd" (Rump, "Verification of positive definiteness", BIT 46 (2006)
433–452), with an a-posteriori residual. λ_max by the same argument on −H, or the cheap ρ(|M| + R) ≥ ‖H‖₂ when it
does not change Λ. The estimates come from inverse iteration with the factor (one float eigensolver call for the
first window, or when the estimates fail); they only steer σ — the bound holds for any σ. When no factorisation
succeeds, the enclosure of :func:`verify.arith.linalg64.symmetric_eigenvalues` is used (Weyl/Ostrowski; Rump,
"Verification methods", Acta Numerica 19 (2010) §13).

Two orbits implement step 1: Arb balls at ``prec`` bits (``arith="ball"``: y_k dyadic with ``prec`` bits,
δ_k ≈ 2^-prec‖y‖) and float64 balls (``arith="ball64"``: y_k float64, δ_k ≈ 2^-53‖y‖; the cheap first rung of
the precision ladder). Every decision of the module compares rigorous upper bounds (exact Fractions or floats
rounded upward by the a-priori bounds of :mod:`verify.arith.ball64`); python-flint's precision is scoped by the
arithmetic's context.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..arith import get_arith
from ..errors import (
    ArithmeticNotSupportedError,
    EnclosureError,
    InputError,
    NonFiniteError,
    RegionBoundaryError,
    SizeLimitError,
    UncertifiedValueError,
)

_U = 2.0**-53
_ETA = 2.0**-1074
_INF = float("inf")
#: bits of the dyadic upper bounds of ρ_k and Λ (the recursion is exact rational arithmetic on them)
RHO_BITS = 64
#: the first window's length, and the longest window
M_START, M_MAX = 4, 512
#: the over-estimation budget of the windows over the whole run, in bits of the final radius: prec/BUDGET_DIV
BUDGET_DIV = 4
#: attempts with a larger widening r before a window is halved
R_RETRIES = 3
#: checkpoints recorded in extra["radii"]
CHECKPOINTS = 20
#: errors meaning "no Hessian enclosure over this box" (shrink the window / fall back)
_NO_HESSIAN = (RegionBoundaryError, UncertifiedValueError, EnclosureError, NonFiniteError, ArithmeticNotSupportedError)


# ===================================================================================== small rigorous helpers
def _fup(x: Fraction) -> float:
    """The least float ≥ x (+inf beyond the float range)."""
    try:
        f = float(x)
    except OverflowError:
        return _INF if x > 0 else -float.fromhex("0x1.fffffffffffffp+1023")
    if Fraction(f) < x:
        f = float(np.nextafter(f, _INF))
    return f


def _approx(x: Fraction) -> float:
    """x as a float for heuristics and reports only (±inf beyond the float range)."""
    try:
        return float(x)
    except OverflowError:
        return _INF if x > 0 else -_INF


def _dyadic_up(x: Fraction, bits: int = RHO_BITS) -> Fraction:
    """x ≥ 0 rounded up to a dyadic rational with a ``bits``-bit numerator."""
    n, d = x.numerator, x.denominator
    if n == 0 or (d & (d - 1) == 0 and n.bit_length() <= bits):
        return x
    s = bits - (n.bit_length() - d.bit_length())
    num, den = (n << s, d) if s >= 0 else (n, d << -s)
    qt, rem = divmod(num, den)
    if rem:
        qt += 1
    return Fraction(qt, 1 << s) if s >= 0 else Fraction(qt << -s)


def _norm2_up(r: np.ndarray) -> Fraction:
    """An exact upper bound of ‖r‖₂ for a float array r ≥ 0: scaled by a power of two so that max r ∈ [1/2, 1)
    (exact when scaling up; scaling down is widened by η), squares and sum rounded up a priori
    (Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1; :func:`verify.arith.ball64._up`)."""
    from ..arith.linalg64 import _frobenius_up

    r = np.asarray(r, dtype=float).reshape(-1)
    if r.size == 0:
        return Fraction(0)
    top = float(np.max(r))
    if not math.isfinite(top):
        raise NonFiniteError("a radius overflowed the float range")
    if top == 0.0:
        return Fraction(0)
    e = int(np.frexp(top)[1])
    with np.errstate(under="ignore"):
        r = np.ldexp(r, -e)  # exact, except results in the subnormal range when scaling down (error ≤ η/2) …
        if e > 0:
            r = r + _ETA  # … which one smallest subnormal covers (the sum of a subnormal and η is exact)
    v = _frobenius_up(r)
    if not math.isfinite(v):
        raise NonFiniteError("a radius overflowed the float range")
    return _dyadic_up(Fraction(v) * Fraction(2) ** e)


def _arb_norm2_up(vals: np.ndarray) -> Fraction:
    """An exact upper bound of ‖v‖₂ for an object array of nonnegative ``arb`` values (radii, |·| upper
    bounds): Arb at 64 bits (every operation an enclosure; no float range limits)."""
    from flint import arb

    from ..arith.ball import _ArbPrec
    from ..arith.decide import bounds

    vals = np.asarray(vals, dtype=object).reshape(-1)
    with _ArbPrec(64):
        sq = (vals * vals).sum() if vals.size else arb(0)
        nrm = arb(sq).sqrt()
    if not nrm.is_finite():
        raise NonFiniteError("a radius is not finite")
    return _dyadic_up(bounds(nrm)[1])


def _arb_of(x: Fraction):
    """An ``arb`` ball containing the rational x (exact for the short dyadics used here)."""
    from flint import arb, fmpq

    from ..arith.ball import _ArbPrec

    with _ArbPrec(max(128, RHO_BITS + 8)):
        return arb(fmpq(x.numerator, x.denominator))


def _float_up_array(vals) -> np.ndarray:
    """Floats ≥ the given nonnegative exact numbers (arb radii or magnitudes): float() rounds to nearest, so
    one relative step up plus the smallest subnormal covers it."""
    f = np.asarray(vals, dtype=float)
    with np.errstate(over="ignore"):
        return f * (1.0 + 2.0 * _U) + _ETA


# ===================================================================================== the two orbits
class _ArbOrbit:
    """Step 1 in Arb balls at ``prec`` bits (object arrays of ``arb``)."""

    def __init__(self, objective, eta: Fraction, prec: int):
        from ..arith.ball import _RAD

        self.obj, self.eta, self.a = objective, eta, get_arith("ball", prec)
        self.prec = self.a.prec
        with self.a.context():
            self.eta_a = self.a.const(eta)
        self._rad = _RAD
        from flint import arb

        self._mid = np.frompyfunc(arb.mid, 1, 1)
        self._arb = arb

    def start(self, x0q):
        with self.a.context():
            th = self.a.array(x0q, what="x0")
        y = self._mid(th)
        return y, _arb_norm2_up(self._rad(th))

    def evaluate(self, y):
        from ..arith.ball import checked_balls
        from .gd import _ball_health

        bad = _ball_health(y, None, self.prec)
        if bad is not None:
            return None, None, bad
        L, g = self.obj.value_and_grad(checked_balls(y), self.a, self.prec)
        g = np.asarray(g, dtype=object).reshape(-1)
        bad = _ball_health(g, L, self.prec)
        return L, g, bad

    def step(self, y, g):
        with self.a.context():
            G = y - self.eta_a * g
        return self._mid(G), _arb_norm2_up(self._rad(G))

    def floats(self, y):
        return y.astype(float)

    def grad_norm_up(self, g) -> Fraction:
        from ..arith.ball import _ABS_UPPER

        return _arb_norm2_up(_ABS_UPPER(g))

    def theta(self, y, rho: Fraction):
        with self.a.context():
            return y + self._arb(0, _arb_of(rho))

    def loss(self, L, t: Fraction):
        if t == 0:
            return L
        with self.a.context():
            return L + self._arb(0, _arb_of(t))

    def naive(self, y, rho: Fraction, y_next):
        """The naive ball step on the box y ± ρ: (L over the box, ρ' ≥ max over the box of ‖G(θ) − y_next‖₂)."""
        from ..arith.ball import _ABS_UPPER

        box = self.theta(y, rho)
        L, g = self.obj.value_and_grad(box, self.a, self.prec)
        g = np.asarray(g, dtype=object).reshape(-1)
        with self.a.context():
            D = (box - self.eta_a * g) - y_next
        if not all(v.is_finite() for v in D) or not L.is_finite():
            raise NonFiniteError("the naive ball step is not finite")
        return L, _arb_norm2_up(_ABS_UPPER(D))

    def not_finite(self):
        return self._arb("nan")

    def health_error(self, y) -> np.ndarray:
        """Floats bounding |y − float(y)| entrywise (float() of a dyadic rounds to nearest)."""
        f = np.abs(self.floats(y))
        return f * _U + _ETA


class _B64Orbit:
    """Step 1 in float64 balls: y_k are float64 arrays (exact), the enclosures at y_k are float64 balls."""

    def __init__(self, objective, eta: Fraction):
        self.obj, self.eta, self.a = objective, eta, get_arith("ball64")
        self.prec = None
        with self.a.context():
            self.eta_a = self.a.const(eta)

    def start(self, x0q):
        from ..arith.ladder import Rung, point_in

        b = point_in(Rung("ball64"), np.asarray(x0q, dtype=object))
        return b.mid.copy(), _norm2_up(b.rad)

    def evaluate(self, y):
        from ..arith.ball64 import B64

        if not np.isfinite(y).all():
            return None, None, "not_finite"
        L, g = self.obj.value_and_grad(B64(y), self.a)
        g = g.reshape(-1)
        if not (g.is_finite() and L.is_finite()):
            return None, None, "blowup"
        return L, g, None

    def step(self, y, g):
        from ..arith.ball64 import B64

        G = B64(y) - self.eta_a * g
        return G.mid.copy(), _norm2_up(G.rad)

    def floats(self, y):
        return y

    def grad_norm_up(self, g) -> Fraction:
        from ..arith.ball64 import _up

        with np.errstate(over="ignore"):
            return _norm2_up(_up(np.abs(g.mid) + g.rad, 1))

    def theta(self, y, rho: Fraction):
        from ..arith.ball64 import B64

        return B64(y, np.full(y.shape, _fup(rho)))

    def loss(self, L, t: Fraction):
        from ..arith.ball64 import B64

        return L if t == 0 else L + B64(0.0, _fup(t))

    def naive(self, y, rho: Fraction, y_next):
        from ..arith.ball64 import B64, _up

        box = self.theta(y, rho)
        L, g = self.obj.value_and_grad(box, self.a)
        D = (box - self.eta_a * g.reshape(-1)) - B64(y_next)
        if not (D.is_finite() and L.is_finite()):
            raise NonFiniteError("the naive ball step is not finite")
        with np.errstate(over="ignore"):
            return L, _norm2_up(_up(np.abs(D.mid) + D.rad, 1))

    def health_error(self, y) -> np.ndarray:
        return np.zeros(y.shape)

    def not_finite(self):
        from ..arith.ball64 import B64

        return B64(float("nan"), _INF)


# ===================================================================================== Hessian over a window
def _box(lo_f, hi_f, err, r: Fraction):
    """A float64-ball box containing [lo_f − err − r, hi_f + err + r] (outward: one rounding to nearest, then a
    step away)."""
    from ..arith.ball64 import _from_interval, _up

    with np.errstate(over="ignore", invalid="ignore"):
        pad = _up(err + _fup(r), 2)
        lo = np.nextafter(lo_f - pad, -_INF)
        hi = np.nextafter(hi_f + pad, _INF)
    return _from_interval(lo, hi)


def _hessian_over(objective, box, prec):
    """An enclosure of ∇²L over the float64-ball box, as a float64-ball matrix: ball64 first, Arb if the objective
    has no float64-ball Hessian (converted outward by :func:`verify.arith.ladder.point_in`)."""
    from ..arith.ball64 import B64, as_b64
    from ..arith.ladder import Rung, point_in

    p = box.shape[0]
    try:
        H = objective.hessian(box, "ball64")
        H = as_b64(H) if not isinstance(H, B64) else H
    except (ArithmeticNotSupportedError, NotImplementedError):
        from flint import arb

        arbs = np.array([arb(float(m), float(r)) for m, r in zip(box.mid, box.rad)], dtype=object)
        H = point_in(Rung("ball64"), np.asarray(objective.hessian(arbs, "ball", prec or 128), dtype=object))
    return H.reshape(p, p)


def _symmetrised(H):
    """(M, R): a float matrix M = Mᵀ and R ≥ 0 with |X − M| ≤ R entrywise for every symmetric X in the ball H.
    M = fl((mid + midᵀ)/2): for symmetric X, |X_ij − (mid_ij + mid_ji)/2| ≤ (rad_ij + rad_ji)/2, and the rounded
    average is within u|M| + η of the exact one (the halving of a subnormal loses ≤ η/2); R rounded up by
    :func:`verify.arith.ball64._up`."""
    from ..arith.ball64 import _up

    with np.errstate(over="ignore", invalid="ignore"):
        M = H.mid * 0.5
        M = M + M.T  # fl(a/2 + b/2): symmetric exactly (the same two floats added in either order)
        R = _up(H.rad * 0.5 + H.rad.T * 0.5 + np.abs(M) * _U, 6)
    return M, R


def _cholesky_shift(Mm, est: float, margin: float):
    """(σ, C, margin): a float Cholesky factor C of Mm − σI at σ = est − margin, the margin growing ×64 after a
    failed factorisation (at most 6 tries); C is None when every try failed."""
    eye = np.eye(Mm.shape[0], dtype=bool)
    for _ in range(6):
        sigma = est - margin
        Z = Mm.copy()
        with np.errstate(all="ignore"):
            Z[eye] -= sigma
            try:
                C = np.linalg.cholesky(Z)
            except np.linalg.LinAlgError:
                C = None
        if C is not None and np.isfinite(C).all():
            return sigma, C, margin
        margin *= 64
    return None, None, margin


def _lambda_min_lower(Mm, R, est: float | None, v=None):
    """(lo, est', v'): lo ≤ λ_min(X) for every symmetric X with |X − Mm| ≤ R (Mm symmetric), or None; est' a
    float estimate of λ_min(Mm) and v' its approximate eigenvector (for the next call).

    A float Cholesky factor C of Z = Mm − σI (σ a little below the estimate of λ_min(Mm)) and
    X − σI = CCᵀ + F with F = (Z − P) + (P − CCᵀ) + (X − Mm), P = fl(CCᵀ) (any order, BLAS): CCᵀ ⪰ 0 exactly, so
    λ_min(X) ≥ σ − ‖F‖₂, and ‖F‖₂ ≤ ρ(N) + γ_{p+2}‖C‖_F² + p²η with N ≥ |Z − P| + R symmetric nonnegative
    (‖Y‖₂ ≤ ‖|Y|‖₂ ≤ ‖N‖₂ = ρ(N) for |Y| ≤ N; ‖Y‖₂ ≤ ‖Y‖_F for the rounding error of P, whose entries are within
    γ_p Σ_k|C_ik||C_jk| + pη/2 of the exact ones: Higham §3.1, and Σ_ij(Σ_k|C_ik||C_jk|)² ≤ ‖C‖_F⁴ by
    Cauchy–Schwarz). The estimate is refreshed by inverse iteration with the factor (its Rayleigh quotient); σ
    moves up to it when the factorisation there succeeds. Estimates only steer σ: the bound holds for any σ."""
    import scipy.linalg as sla

    from ..arith.ball64 import _gamma, _up
    from ..arith.linalg64 import _spectral_upper

    p = Mm.shape[0]
    scale = float(np.max(np.abs(Mm))) if p else 0.0
    if est is None or not math.isfinite(est):
        return None, est, v
    margin0 = max(abs(est) * 1e-9, scale * p * 1e-15, 1e-300)
    sigma, C, margin = _cholesky_shift(Mm, est, margin0)
    if C is None:
        return None, est, v
    with np.errstate(all="ignore"):
        x = np.ones(p) if v is None or v.shape != (p,) else v.copy()
        try:
            for _ in range(3):
                x = sla.cho_solve((C, True), x, check_finite=False)
                x /= np.linalg.norm(x)
            mu = float(x @ (Mm @ x))
        except (np.linalg.LinAlgError, ValueError):
            mu = float("nan")
    # move σ up only when the gap costs more than 10⁻³ of |λ_min| (one factorisation less per window otherwise)
    if math.isfinite(mu) and mu - sigma > max(8 * margin0, 1e-3 * abs(mu)):
        s2, C2, _ = _cholesky_shift(Mm, mu, margin0)
        if C2 is not None and s2 > sigma:
            sigma, C = s2, C2
    eye = np.eye(p, dtype=bool)
    with np.errstate(all="ignore"):
        Z = Mm.copy()
        Z[eye] -= sigma
        P = C @ C.T
        E = Z - P
        N = _up(np.abs(E) * (1.0 + _U) + np.where(eye, np.abs(Z), 0.0) * _U + R, 4)
        N = np.maximum(N, N.T)
        fro = float(_up(np.einsum("ij,ij->", C, C), 2 * C.size + 2))
        tail = float(_up(_gamma(p + 2) * fro + p * p * _ETA, 2))
    rho = _spectral_upper(N)
    if not (math.isfinite(rho) and math.isfinite(tail)):
        return None, est, v
    return Fraction(sigma) - Fraction(rho) - Fraction(tail), (mu if math.isfinite(mu) else est), x


def spectrum_bounds(H, eta: Fraction | None = None, state: dict | None = None):
    """(lo, hi, est_lo, est_hi): exact rationals with lo ≤ λ ≤ hi for every eigenvalue λ of every symmetric
    matrix in the float64-ball matrix ``H``, and float estimates of λ_min, λ_max of its midpoint (est_hi None
    when it was not needed). Raises UncertifiedValueError when no bound can be certified (a non-finite ball).

    With ``eta`` given, hi may be the cheap bound ρ(|M| + R) ≥ ‖H‖₂ when |1 − η·that| ≤ |1 − η·lo|: then
    max(|1 − η lo|, |1 − η hi|) is the same for every hi between lo and it (|1 − ηλ| is convex in λ).
    ``state`` carries the estimates and approximate eigenvectors from one call to the next (consecutive windows
    have nearby Hessians): a float eigenvalue solver runs only on the first call or when they fail."""
    from ..arith.linalg64 import _add_up, _spectral_upper, symmetric_eigenvalues

    state = {} if state is None else state
    if not (np.isfinite(H.mid).all() and np.isfinite(H.rad).all()):
        raise UncertifiedValueError("the Hessian enclosure over the window is not finite")
    Mm, R = _symmetrised(H)
    if not (np.isfinite(Mm).all() and np.isfinite(R).all()):
        raise UncertifiedValueError("the Hessian enclosure over the window overflowed")
    with np.errstate(over="ignore", invalid="ignore"):
        nrm = _spectral_upper(_add_up(np.abs(Mm), R))  # ≥ ‖X‖₂ ≥ |λ| for every symmetric X in the ball
    if not math.isfinite(nrm):
        raise UncertifiedValueError("the Hessian enclosure over the window overflowed")
    nq = Fraction(nrm)

    def estimates():
        with np.errstate(all="ignore"):
            try:
                w = np.linalg.eigvalsh(Mm)
            except np.linalg.LinAlgError:
                return None, None
        return float(w[0]), float(w[-1])

    lo, est_lo, v = _lambda_min_lower(Mm, R, state.get("lo"), state.get("v_lo"))
    if lo is None:
        est_lo, est_hi0 = estimates()
        lo, est_lo, v = _lambda_min_lower(Mm, R, est_lo, None)
        state.setdefault("hi", None if est_hi0 is None else -est_hi0)
    state["lo"], state["v_lo"] = est_lo, v
    est_hi = None
    if lo is not None and eta is not None and abs(1 - eta * nq) <= abs(1 - eta * lo):
        nlo = -nq
    else:
        nlo, e, v = _lambda_min_lower(-Mm, R, state.get("hi"), state.get("v_hi"))
        if nlo is None:
            e = estimates()[1]
            e = None if e is None else -e
            nlo, e, v = _lambda_min_lower(-Mm, R, e, None)
        state["hi"], state["v_hi"] = e, v
        est_hi = None if e is None else -e
    if lo is None or nlo is None:
        encl = symmetric_eigenvalues(H)
        lo = encl[0][0] if lo is None else lo
        nlo = -encl[-1][1] if nlo is None else nlo
    lo, hi = max(lo, -nq), min(-nlo, nq)
    return lo, hi, (est_lo if est_lo is not None else _approx(lo)), est_hi


def _contraction(eta: Fraction, lo: Fraction, hi: Fraction) -> Fraction:
    """Λ = max(|1 − η lo|, |1 − η hi|) ≥ ‖I − ηH‖₂ for symmetric H with spectrum in [lo, hi], rounded up."""
    return _dyadic_up(max(abs(1 - eta * lo), abs(1 - eta * hi)))


# ===================================================================================== the run
def shadow_gd(objective, x0q, eta: Fraction, steps: int, arith: str, prec: int | None,
              stop_below: Fraction | None, extra: dict):
    """The shadowed GD run of :func:`verify.convergence.gd` (``form="shadow"``): see the module docstring.
    Returns a :class:`~verify.convergence.gd.Trajectory` in ``arith`` ("ball" or "ball64")."""
    from .gd import MAX_EXPONENT_BITS, Trajectory

    if arith == "ball":
        orb = _ArbOrbit(objective, eta, prec or 128)
        bits = orb.prec
    elif arith == "ball64":
        orb = _B64Orbit(objective, eta)
        bits = 53
    else:  # pragma: no cover - gd validates
        raise InputError(f"form='shadow' needs arith='ball' or 'ball64', got {arith!r}")
    name, aprec = orb.a.name, orb.prec
    with orb.a.context():
        pass  # ball64: the floating-point environment check
    y0, rho0 = orb.start(x0q)
    extra.update(method="shadow", form="shadow")
    # ------------------------------------------------------------------ orbit buffer (computed ahead)
    ys, yfs, Ls, gs, deltas = [y0], [orb.floats(y0)], [], [], []
    stop = {"reason": None, "index": None, "detail": ""}

    def orbit_to(j_last: int) -> int:
        """Make y_j, L(y_j), ∇L(y_j) available for j ≤ j_last (and δ_j for j < j_last); returns the last index
        available (smaller after an orbit failure, recorded in ``stop``)."""
        while len(Ls) <= j_last:
            j = len(Ls)
            if stop["reason"] is not None and j >= stop["index"]:
                return j - 1
            try:
                L, g, bad = orb.evaluate(ys[j])
            except RegionBoundaryError as exc:
                if j == 0:
                    raise  # the start itself is on a kink: nothing to shadow (as the naive form)
                L, g, bad = None, None, "region_boundary"
                stop["detail"] = str(exc)
            except (EnclosureError, NonFiniteError, UncertifiedValueError) as exc:
                if j == 0:
                    raise  # no enclosure of L or ∇L at the start (as the naive form)
                L, g, bad = None, None, "blowup"
                stop["detail"] = str(exc)
            if bad is not None:
                if not stop["detail"] and bad == "blowup":
                    stop["detail"] = (f"the {name} enclosure of L or ∇L at the rounded orbit point y_{j} is not "
                                      "finite (an overflow, or an activation kink within its rounding errors)")
                stop.update(reason=bad, index=j)
                return j - 1
            Ls.append(L)
            gs.append(g)
            if j < steps:
                try:
                    y_next, dlt = orb.step(ys[j], g)
                except (NonFiniteError, EnclosureError, UncertifiedValueError) as exc:
                    stop.update(reason="not_finite", index=j + 1, detail=str(exc))
                    return j
                ys.append(y_next)
                yfs.append(orb.floats(y_next))
                deltas.append(dlt)
        return j_last

    thetas, losses = [], []
    rhos = [rho0]
    windows = []
    budget = math.log(2) * bits / BUDGET_DIV
    eps = budget / max(steps, 1)
    M = M_START
    k = 0
    L0_hi = None
    stopped_below = None
    naive_steps = 0
    spec_state: dict = {}
    while True:
        last = orbit_to(min(k + M - 1, steps))
        if last < k:
            break
        J = list(range(k, last + 1))
        r = None
        accepted = None
        tries = 0
        while accepted is None:
            rho_k = rhos[k]
            if r is None:
                grow = (windows[-1]["lambda"] if windows and windows[-1]["lambda"] is not None else Fraction(1))
                grow = max(grow, Fraction(1)) * Fraction(1025, 1024)
                pred = rho_k + sum(deltas[j] for j in J if j < len(deltas))
                r = _dyadic_up(4 * pred * (grow ** len(J) if grow ** len(J) < 2**40 else Fraction(2**40)))
            lo_f = np.min([yfs[j] for j in J], axis=0)
            hi_f = np.max([yfs[j] for j in J], axis=0)
            err = np.max([orb.health_error(ys[j]) for j in J], axis=0)
            try:
                box = _box(lo_f, hi_f, err, r)
                H = _hessian_over(objective, box, aprec)
                lo, hi, est_lo, est_hi = spectrum_bounds(H, eta, spec_state)
            except SizeLimitError:
                raise  # gd falls back to the naive form
            except _NO_HESSIAN as exc:
                if len(J) > 1:
                    J = J[: max(1, len(J) // 2)]
                    M = len(J)
                    r = None
                    continue
                accepted = ("naive", exc)
                break
            Lam = _contraction(eta, lo, hi)
            hn = _dyadic_up(max(abs(lo), abs(hi)))
            new = []
            rho = rho_k
            ok = True
            for j in J:
                if rho > r:
                    ok = False
                    break
                if j < steps and j < len(deltas):
                    rho = _dyadic_up(Lam * rho + deltas[j])
                    new.append(rho)
            if ok:
                accepted = ("shadow", Lam, hn, lo, hi, est_lo, est_hi, new)
                break
            tries += 1
            if tries >= R_RETRIES and len(J) > 1:
                J = J[: max(1, len(J) // 2)]
                M = len(J)
                r = None
                tries = 0
            else:
                r = _dyadic_up(4 * max([rho, r, *new]))
                if tries > 4 * R_RETRIES:  # ρ keeps outgrowing any box at a single index: Λ is huge
                    accepted = ("naive", EnclosureError("the error bound outgrows every box around the orbit"))
        # ------------------------------------------------------------------ commit the window
        if accepted[0] == "shadow":
            _, Lam, hn, lo, hi, est_lo, est_hi, new = accepted
            rhos.extend(new)
            for j in J:
                rho = rhos[j]
                t = _dyadic_up(orb.grad_norm_up(gs[j]) * rho + hn * rho * rho / 2) if rho else Fraction(0)
                thetas.append(orb.theta(ys[j], rho))
                losses.append(orb.loss(Ls[j], t))
            # the over-estimation of this window: Λ against max|1 − ηλ| at the float estimates of λ_min, λ_max
            # of the midpoint Hessian (a heuristic for the window length only; Λ itself is rigorous)
            with np.errstate(all="ignore"):
                ref = abs(1 - _approx(eta) * est_lo)
                if est_hi is not None:
                    ref = max(ref, abs(1 - _approx(eta) * est_hi))
                ex = max(0.0, _approx(Lam) - ref) if math.isfinite(ref) else _INF
            windows.append({"start": J[0], "length": len(J), "lambda": Lam, "method": "hessian",
                            "lambda_min_lower": lo, "lambda_max_upper": hi, "excess": ex})
            if len(J) == M:
                if ex <= eps / 2:
                    M = min(2 * M, M_MAX)
                elif ex > 2 * eps:
                    M = max(1, M // 2)
            elif ex > 2 * eps:
                M = max(1, len(J) // 2)
        else:
            j = J[0]
            exc = accepted[1]
            try:
                if j < steps and j + 1 < len(ys):
                    Lbox, rho_next = orb.naive(ys[j], rhos[j], ys[j + 1])
                else:
                    Lbox, _ = orb.naive(ys[j], rhos[j], ys[j])
                    rho_next = None
            except (RegionBoundaryError, NonFiniteError, UncertifiedValueError, EnclosureError) as exc2:
                reason = "region_boundary" if isinstance(exc2, RegionBoundaryError) else "blowup"
                stop.update(reason=reason, index=j, detail=f"{exc}; the naive step: {exc2}")
                break
            naive_steps += 1
            thetas.append(orb.theta(ys[j], rhos[j]))
            losses.append(Lbox)
            if rho_next is not None:
                rhos.append(_dyadic_up(rho_next))
            windows.append({"start": j, "length": 1, "lambda": None, "method": "naive",
                            "reason": f"{type(exc).__name__}: {exc}"[:200]})
            M = 1
            J = [j]
        for j in J:  # committed: the orbit point and its gradient are no longer needed
            ys[j] = gs[j] = yfs[j] = None
        # ------------------------------------------------------------------ stop_below, next window
        if stop_below is not None:
            from ..arith.decide import bounds

            if L0_hi is None:
                L0_hi = bounds(losses[0])[1]
            for i in range(J[0], J[-1] + 1):
                try:
                    hi_i = bounds(losses[i])[1]
                except UncertifiedValueError:
                    continue
                if i > 0 and hi_i <= stop_below * L0_hi:
                    stopped_below = i
                    break
            if stopped_below is not None:
                del thetas[stopped_below + 1:], losses[stopped_below + 1:]
                break
        k = J[-1] + 1
        if k > steps or k >= len(rhos):  # done, or no ρ_k: the step from k − 1 could not be taken (a stop)
            break
        if _magnitude(rhos[k]):
            stop.update(reason="blowup", index=k, detail="the error bound ρ_k left the exponent range")
            break
    K = len(thetas) - 1
    rho_list = rhos[: K + 1]
    idx = sorted({round(i * K / CHECKPOINTS) for i in range(CHECKPOINTS + 1)}) if K >= 0 else []
    extra["rho"] = rho_list
    extra["radii"] = [(i, rho_list[i]) for i in idx]
    extra["windows"] = windows
    extra["naive_steps"] = naive_steps
    extra["budget_bits"] = bits / BUDGET_DIV
    stopped = ""
    if stopped_below is not None:
        extra.update(stop_reason="stop_below", stop_step=stopped_below)
        stopped = f"stopped at step {stopped_below}: L ≤ {_approx(stop_below):g}·L(x0)"
    elif stop["reason"] is not None and K < steps:
        reason, where = stop["reason"], K + 1
        extra.update(stop_reason=reason, stop_step=where)
        if reason == "region_boundary":
            stopped = (f"θ_{where} may lie on an activation-region boundary (a kink of L): the Hessian over a box "
                       f"around the orbit and the naive ball step both meet it ({stop['detail'][:300]}); the exact "
                       "iterate may be on either side, so the run stops there")
        elif reason == "blowup":
            detail = stop["detail"][:300] or "a non-finite enclosure"
            stopped = f"the shadowing bound could not be continued at step {where} ({detail})"
        elif reason == "not_finite":
            stopped = f"θ_{where} or L(θ_{where}) is not finite (overflow at step {where}): the run diverges"
        else:
            stopped = (f"θ_{where} or L(θ_{where}) has a binary exponent beyond ±{MAX_EXPONENT_BITS} at step "
                       f"{where}: stopped")
    if not thetas:  # nothing could be certified, not even θ_0
        th0 = orb.theta(y0, rho0)
        return Trajectory(objective, eta, [th0], [orb.not_finite()], name, aprec,
                          f"the loss at the start is not usable ({stop['reason']}): nothing was run",
                          {**extra, "stop_reason": stop["reason"] or "blowup", "stop_step": 0}, x0q)
    return Trajectory(objective, eta, thetas, losses, name, aprec, stopped, extra, x0q)


def _magnitude(rho: Fraction) -> bool:
    """ρ beyond 2**(2**20): the bound is useless and its exact arithmetic would get slow."""
    from .gd import MAX_EXPONENT_BITS

    return rho.numerator.bit_length() - rho.denominator.bit_length() > MAX_EXPONENT_BITS // 2


__all__ = ["shadow_gd", "spectrum_bounds"]
