"""Certified linear algebra on float64 balls (:mod:`verify.arith.ball64`): regularity, the sign of the
determinant, enclosures of the eigenvalues of symmetric matrices, inertia, and the exceptional step sizes of
the gradient-descent map x ↦ x − η∇f(x) (where I − ηH is singular).

Every function takes a square :class:`~verify.arith.ball64.B64` matrix ``A`` (a float array or an object array
of rationals is converted by :func:`~verify.arith.ball64.as_b64`) and speaks for **every** matrix in the ball
(entrywise ``|X_ij − mid_ij| ≤ rad_ij``; the eigenvalue functions for every *symmetric* one). All the work is
vectorised numpy/LAPACK/BLAS on float64 arrays; rounding errors are bounded a priori exactly as in ball64
(Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §3.1 and §3.5: a sum or dot product of n
terms in any order is within γₙ·Σ|terms| (+ n·η for underflow) of the exact value; ``_up`` turns a computed
nonnegative quantity into an upper bound of its exact value). Where an approximation is used (an inverse, an
eigendecomposition, an LU factorisation) it is an *exact* float matrix whose accuracy only affects how sharp
the result is, never its validity. Comparisons of floats below compare *rigorous bounds* (exact binary
rationals), never approximations; the final results are exact :class:`~fractions.Fraction` endpoints, and a
non-finite ball, an overflow or a failed approximation gives "undecided" (``None``) or
:class:`~verify.errors.UncertifiedValueError`, never a wrong answer.

Regularity (Rump, "Verification methods: rigorous results using floating-point arithmetic", Acta Numerica 19
(2010) 287–449, §10; Rump, "Fast and parallel interval arithmetic", BIT 39 (1999) 534–554): if
‖I − R·X‖ < 1 for an arbitrary matrix R then R·X, hence X, is non-singular. With R ≈ mid(A)⁻¹ and a rigorous
upper bound β of ‖I − R·X‖_∞ over the whole ball, β < 1 proves every matrix of the ball non-singular.

Symmetric eigenvalues, in three steps:

1. *Symmetrise*: a symmetric H in the ball has H_ij = H_ji in [mid_ij ± rad_ij] ∩ [mid_ji ± rad_ji]; this
   intersection is a symmetric ball [M ± R] (M = Mᵀ exactly), at least as tight as the average
   |H − (mid + midᵀ)/2| ≤ (rad + radᵀ)/2. An empty intersection means the ball holds no symmetric matrix
   (:class:`~verify.errors.InputError`).
2. *Radius* (Weyl's inequality, H. Weyl 1912; Horn & Johnson, *Matrix Analysis*, Thm 4.3.1):
   |λ_k(H) − λ_k(M)| ≤ ‖H − M‖₂ ≤ ρ(R) for every symmetric H with |H − M| ≤ R (Perron–Frobenius:
   ρ(E) ≤ ρ(|E|) ≤ ρ(R)); ρ(R) is bounded above by Collatz–Wielandt, max_i (R x)_i / x_i for a positive x
   (a few power iterations), and by ‖R‖_F.
3. *The point matrix M*: a float eigendecomposition M ≈ V diag(d) Vᵀ, then Y = VᵀMV enclosed rigorously
   (two ball matrix products). Weyl again: |λ_k(Y) − c_(k)| ≤ ‖Y − diag(c)‖₂ with c the midpoint diagonal of
   Y sorted (the diagonal radii belong to the perturbation). Sharper for an eigenvalue c_k well separated
   from the others: Gershgorin's discs of D⁻¹YD with D = diag(1, …, 1/τ (at k), …, 1) (Wilkinson's
   diagonal-scaling argument, *The Algebraic Eigenvalue Problem* §2.8): if disc k, of radius
   rad(Y_kk) + τ·Σ_j|Y_kj|, is disjoint from every other disc, it holds exactly one eigenvalue, and it is
   λ_{1+#{j: c_j < c_k}} (the discs left of it hold exactly as many eigenvalues as there are of them).
   Back to M by Ostrowski's theorem (A. M. Ostrowski, "A quantitative formulation of Sylvester's law of
   inertia", Proc. Natl. Acad. Sci. USA 45 (1959) 740–744; Horn & Johnson Thm 4.5.9): for symmetric M and
   non-singular V, λ_k(VᵀMV) = θ_k·λ_k(M) with θ_k ∈ [σ_min(V)², σ_max(V)²] ⊆ [1 − g, 1 + g] for
   g ≥ ‖VᵀV − I‖₂ (required < 1); the division is done in exact rationals, minding signs. VᵀV − I is
   computed with an error-free splitting of V (Ozaki, Ogita, Oishi, Rump, "Error-free transformations of
   matrix multiplication by using fast routines of matrix multiplication and its applications", Numer.
   Algorithms 59 (2012) 95–118): V = V₁ + V₂ with V₁ so short that V₁ᵀV₁ is exact in float64, so g is close
   to the true orthogonality defect (≈ √p·u) rather than the a-priori γₚ·p.

Finally the enclosures are made monotone (λ_k ≥ λ_j ≥ lo_j for j < k, so lo_k may be raised to
max_{j≤k} lo_j; likewise for the upper ends). This is the "verifyeig"-free, characteristic-polynomial-free
approach of Rump (2010) §13; the characteristic-polynomial route of :mod:`verify.arith.eigen` stays the
exact fallback.

>>> import numpy as np
>>> from fractions import Fraction
>>> from verify.arith.ball64 import B64
>>> A = B64(np.array([[2.0, 1.0], [1.0, 2.0]]), 1e-3)
>>> regular(A) is not None
True
>>> [(lo <= k <= hi, float(hi - lo) < 1e-14) for k, (lo, hi) in zip((1, 3), symmetric_eigenvalues(
...     B64(np.diag([1.0, 3.0]))))]
[(True, True), (True, True)]
>>> inertia(A)
(0, 0, 2)
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..errors import InputError, InternalError, ShapeError, UncertifiedValueError
from . import decide
from .ball64 import B64, ETA, U, _from_interval, _up, as_b64, b64_matmul, endpoints

INF = np.inf

#: power iterations for the Collatz–Wielandt bound of a spectral radius (each costs one p×p mat-vec)
PERRON_ITERATIONS = 12
#: rows of the p×p work arrays of the isolation test held at once (bounds the memory to ~ this·p·8 bytes·6)
_ROW_BLOCK_ENTRIES = 1 << 21


# ====================================================================== helpers
def _exact_array(A):
    """numpy integers beyond 2⁵³ and floats wider than float64 (np.longdouble) are not float64 numbers: they go
    through exact rationals, so that each entry becomes a ball around it (as_b64 would round them silently)."""
    if isinstance(A, np.ndarray) and A.size and (
            (A.dtype.kind in "iu" and int(np.max(np.abs(A.astype(object)))) > 2**53)
            or (A.dtype.kind == "f" and A.dtype.itemsize > 8)):
        from ..numbers import to_fraction

        return np.vectorize(lambda v: to_fraction(v, what="a matrix entry"), otypes=[object])(A)
    if isinstance(A, np.floating | np.integer):
        return _exact_array(np.asarray(A))
    return A


def _square(A, what: str = "A") -> B64:
    A = as_b64(_exact_array(A))
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ShapeError(f"{what} must be a square matrix, got an array of shape {A.shape}")
    if np.any(A.rad < 0):
        raise InputError(f"{what} has a negative radius: a B64 ball needs rad ≥ 0")
    return A


def _finite(A: B64) -> bool:
    return bool(np.isfinite(A.mid).all() and np.isfinite(A.rad).all())


def _scale_pow2(A: B64) -> tuple[B64, int]:
    """(S, e): a ball S ⊇ 2⁻ᵉ·A with max(|mid|, rad) < 1 (A finite). Scaling by a power of two is exact
    except where a result falls into the subnormal range, with error ≤ η/2 for the midpoint and for the
    radius; there the radius steps up twice (each step adds ≥ η), which covers both."""
    mag = max(float(np.max(np.abs(A.mid))), float(np.max(A.rad)))
    if mag == 0.0:
        return A, 0
    e = int(np.frexp(mag)[1])  # mag < 2**e
    if e == 0:
        return A, 0
    m, r = np.ldexp(A.mid, -e), np.ldexp(A.rad, -e)
    if e > 0:  # scaling down may round subnormal results; scaling up is exact (no overflow: the result is < 1)
        lossy = (np.ldexp(m, e) != A.mid) | (np.ldexp(r, e) != A.rad)
        if lossy.any():
            r = np.where(lossy, np.nextafter(np.nextafter(r, INF), INF), r)
    return B64(m, r), e


def _sum_up(x, axis=None):
    """An upper bound of the exact sum of nonnegative floats (all of them, or along ``axis``): any summation
    order loses at most a factor (1 + u) per addition (Higham §4.2), which ``_up`` covers (a sum of n terms
    counts n operations)."""
    n = x.size if axis is None else x.shape[axis]
    with np.errstate(over="ignore", invalid="ignore"):
        return _up(np.sum(x, axis=axis), n + 2)


def _add_up(a, b):
    """An upper bound of a + b for nonnegative floats: one rounding to nearest, so one step up."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.nextafter(a + b, INF)


def _sqrt_up(s: float) -> float:
    """A float f with f² ≥ s exactly (s ≥ 0 a float)."""
    if not np.isfinite(s):
        return INF
    f = float(np.sqrt(s))
    if Fraction(f) ** 2 < Fraction(s):
        f = float(np.nextafter(f, INF))
    return f


def _frobenius_up(N) -> float:
    """A float ≥ ‖N‖_F (N ≥ 0 entrywise): squares and sum rounded upward (underflow of a square ≤ η/2 each)."""
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        s = float(_up(np.sum(N * N), 2 * N.size + 2))  # a dot product of length m counts 2m
    return _sqrt_up(s)


def _spectral_upper(N) -> float:
    """A float ≥ ρ(N) for a nonnegative symmetric matrix N, hence ≥ ‖E‖₂ for every symmetric E with |E| ≤ N
    (ρ(E) ≤ ρ(|E|) ≤ ρ(N), Perron–Frobenius; Horn & Johnson Thm 8.1.18). The least of: Collatz–Wielandt
    max_i (N x)_i / x_i for a positive x from a few power iterations (Horn & Johnson Thm 8.1.26), the same
    with x = 1 (the ∞-norm), and ‖N‖_F. +inf if N is not finite."""
    p = N.shape[0]
    if p == 0:
        return 0.0
    if not np.isfinite(N).all():
        return INF
    best = _frobenius_up(N)
    x = np.ones(p)
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        for it in range(PERRON_ITERATIONS + 1):
            y = N @ x
            top = float(np.max(y))
            if top == 0.0:  # N x = 0 with x > 0 and N ≥ 0: N = 0
                return 0.0
            # rigorous: the exact (N x)_i ≤ _up(y_i, 2p + 2); the exact ratio ≤ fl(ratio)(1 + u) + η/2
            bound = float(np.max(_up(_up(y, 2 * p + 2) / x, 2)))
            if bound < best:
                best = bound
            if it == PERRON_ITERATIONS:
                break
            x = np.maximum(y / top, 2.0**-30)  # any positive x is allowed; the floor keeps the ratios moderate
    return best


def _symmetric_ball(m, r):
    """(M, R): the symmetric ball [M ± R] ⊇ {H symmetric : |H − m| ≤ r}, entrywise the intersection of
    [m_ij ± r_ij] and [m_ji ± r_ji] (exact where m_ij = m_ji). InputError if it is empty."""
    same = m == m.T
    if same.all():
        if (r == r.T).all():
            return m, r
        return m, np.minimum(r, r.T)
    lo, hi = endpoints(B64(m, r))
    lo = np.maximum(lo, lo.T)
    hi = np.minimum(hi, hi.T)
    if np.any(lo > hi):
        i, j = (int(v[0]) for v in np.nonzero(lo > hi))
        raise InputError(f"the ball holds no symmetric matrix: entries ({i}, {j}) and ({j}, {i}) have disjoint "
                         "enclosures; eigenvalue enclosures are for symmetric matrices (Hessians)")
    b = _from_interval(lo, hi)
    return np.where(same, m, b.mid), np.where(same, np.minimum(r, r.T), b.rad)


# ====================================================================== regularity
def _residual_norm_up(R, S: B64) -> float:
    """A float ≥ ‖I − R·X‖_∞ for every X in the ball S (R an exact float matrix)."""
    n = S.shape[0]
    C = b64_matmul(B64(R), S)  # encloses R·X for every X in S (Rump 1999)
    with np.errstate(over="ignore", invalid="ignore"):
        E = np.abs(C.mid)
        dg = np.diagonal(C.mid)
        d = np.abs(1.0 - dg)
        # 1 − c is exact for c ∈ [1/2, 2] (Sterbenz); elsewhere one rounding to nearest: one step up
        d = np.where((dg >= 0.5) & (dg <= 2.0), d, np.nextafter(d, INF))
        E[np.diag_indices(n)] = d
        # |I − R·X| ≤ |I − mid C| + rad C entrywise; one addition per entry, then n − 1 in the row sum
        rows = _up(np.sum(E + C.rad, axis=1), 2 * n + 3)
    top = float(np.max(rows))
    return top if np.isfinite(top) else INF


def _approximate_inverse(m):
    with np.errstate(all="ignore"):
        try:
            R = np.linalg.inv(m)
        except np.linalg.LinAlgError:
            return None
    return R if np.isfinite(R).all() else None


def regular(A) -> Fraction | None:
    """β as an exact rational when every matrix X of the ball ``A`` is **proved** non-singular, else None.

    β ≥ ‖I − R·X‖_∞ for every X in the ball, with R ≈ mid(A)⁻¹ (any float matrix: numpy's inverse), R·X
    enclosed by Rump's midpoint-radius product and the row sums rounded upward; β < 1 proves R·X, hence X,
    non-singular (‖I − RX‖ < 1 ⇒ RX = I − (I − RX) is invertible by the Neumann series). None means
    *undecided* — a singular or ill-conditioned midpoint, a ball too wide, a non-finite ball — never
    "singular". The test is scale invariant; ``A`` is first scaled by a power of two (exactly, see
    :func:`_scale_pow2`) so that huge or tiny matrices do not overflow the inverse. The empty 0×0 matrix is
    regular (its determinant is the empty product 1): β = 0.

    Cost: one LU-based inverse and two p×p float products.
    """
    A = _square(A)
    n = A.shape[0]
    if n == 0:
        return Fraction(0)
    if not _finite(A):
        return None
    S, _ = _scale_pow2(A)
    R = _approximate_inverse(S.mid)
    if R is None:
        return None
    beta = _residual_norm_up(R, S)
    if not np.isfinite(beta):
        return None
    b = Fraction(beta)
    return b if decide.certainly_lt(b, 1) else None


def determinant_sign(A) -> int | None:
    """+1 or −1: the sign of det(X), the same for **every** X of the ball, when proved; None if undecided.

    From a float LU factorisation with partial pivoting, mid(A)[π] ≈ L·U (L unit lower triangular), the
    real matrix B with B[π] = L·U exactly (L, U the float factors, an exact product) has
    det(B) = sign(π)·Πᵢ Uᵢᵢ — an exact sign. With R ≈ mid(A)⁻¹ and β ≥ ‖I − RX‖_∞ over the ball (as in
    :func:`regular`), ‖I − RB‖_∞ ≤ β + ‖|R|·|B − mid(A)|‖_∞ =: β_B. The function X ↦ ‖I − RX‖ is convex,
    so it stays ≤ max(β, β_B) on the convex hull of the ball and B; if that is < 1, every matrix of this
    connected set is non-singular, the continuous det(X) never vanishes on it, and its sign is sign det(B).
    The 0×0 matrix has det = 1.

    Cost: :func:`regular` plus an LU factorisation and two p×p products.
    """
    A = _square(A)
    n = A.shape[0]
    if n == 0:
        return 1
    if not _finite(A):
        return None
    import scipy.linalg as sla

    S, _ = _scale_pow2(A)
    with np.errstate(all="ignore"):
        try:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lu, piv = sla.lu_factor(S.mid, check_finite=False)
                R = sla.lu_solve((lu, piv), np.eye(n), check_finite=False)
        except (ValueError, np.linalg.LinAlgError):  # pragma: no cover - LAPACK refusing a finite matrix
            return None
    diag = np.diagonal(lu)
    if not (np.isfinite(lu).all() and np.isfinite(R).all()) or np.any(diag == 0):
        return None
    beta = _residual_norm_up(R, S)
    if not np.isfinite(beta):
        return None
    # the row permutation of getrf: row i was exchanged with row piv[i], for i = 0, 1, …
    perm = np.arange(n)
    swaps = 0
    for i, pi in enumerate(piv):
        if pi != i:
            perm[[i, pi]] = perm[[pi, i]]
            swaps += 1
    L = np.tril(lu, -1) + np.eye(n)
    Uf = np.triu(lu)
    LU = b64_matmul(B64(L), B64(Uf))  # encloses the exact product L·U = B[π]
    with np.errstate(over="ignore", invalid="ignore"):
        # |B[π] − mid[π]| ≤ |mid(LU) − mid[π]| + rad(LU): one subtraction and one addition per entry
        w_perm = _up(np.sum(np.abs(LU.mid - S.mid[perm]) + LU.rad, axis=1), 3 * n + 4)
        w = np.empty(n)
        w[perm] = w_perm  # row perm[i] of B − mid is row i of B[π] − mid[π]
        v = _up(np.abs(R) @ w, 2 * n + 2)
    vmax = float(np.max(v))
    if not np.isfinite(vmax):
        return None
    if not decide.certainly_lt(Fraction(beta) + Fraction(vmax), 1):
        return None
    negatives = int(np.count_nonzero(diag < 0)) + swaps
    return -1 if negatives % 2 else 1


# ====================================================================== symmetric eigenvalues
def _gram_defect_up(V) -> float:
    """A float g ≥ ‖VᵀV − I‖₂ for a float matrix V (n×p, columns of norm ≈ 1).

    Error-free splitting (Ozaki et al. 2012): column j of V is cut at 2^(e_j − b) (max|V[:, j]| < 2^e_j),
    V₁ = 2^(e_j−b)·round(V·2^(b−e_j)) and V₂ = V − V₁ (exact: V₂ is a multiple of ulp(v) below
    2^(e_j−b−1), or Sterbenz). With 2b + ⌈log₂ n⌉ ≤ 53 every partial sum of a column product of V₁ᵀV₁ is
    an integer multiple of 2^(e_i+e_j−2b) of magnitude ≤ n·2^(e_i+e_j), exactly representable, so BLAS
    computes V₁ᵀV₁ exactly in any order. VᵀV = V₁ᵀV₁ + [V₁ᵀ V₂ᵀ]·[V₂; V]; the last product is small and
    its rounding is bounded in norm: ‖γ₂ₙ(|V₁|ᵀ|V₂| + |V₂|ᵀ|V|)‖₂ ≤ γ₂ₙ(‖V₁‖_F‖V₂‖_F + ‖V₂‖_F‖V‖_F), plus
    2n·η per entry for underflow."""
    n, p = V.shape
    colmax = np.max(np.abs(V), axis=0)
    if p == 0:
        return 0.0
    if not (np.isfinite(V).all() and np.all(colmax > 2.0**-400)):
        return _gram_defect_plain(V)
    b = (53 - math.ceil(math.log2(max(n, 2)))) // 2
    e = np.frexp(colmax)[1]  # colmax < 2**e
    with np.errstate(all="ignore"):
        V1 = np.ldexp(np.rint(np.ldexp(V, (b - e)[None, :])), (e - b)[None, :])
        V2 = V - V1
        P0 = V1.T @ V1  # exact
        dg = np.diagonal(P0)
        if not np.all((dg >= 0.5) & (dg <= 2.0)):  # pragma: no cover - columns far from unit norm
            return _gram_defect_plain(V)
        P0 = P0 - np.eye(p)  # exact: Sterbenz on the diagonal, nothing elsewhere
        Cm = np.concatenate([V1.T, V2.T], axis=1) @ np.concatenate([V2, V], axis=0)
        D = np.nextafter(np.abs(P0 + Cm), INF)  # one rounding of the addition
        D = np.maximum(D, D.T)  # symmetric, so that ρ(D) = ‖D‖₂ bounds ‖·‖₂ of the (unsymmetric) computed sum
    from .ball64 import _gamma

    g2n = _gamma(2 * n + 2)
    fro = [_frobenius_up(np.abs(X)) for X in (V1, V2, V)]
    rounding = _up(g2n * (fro[0] * fro[1] + fro[1] * fro[2]) + 2 * n * p * ETA, 8)
    g = float(_up(_spectral_upper(D) + rounding, 2))
    return g if np.isfinite(g) else INF


def _gram_defect_plain(V) -> float:
    """g ≥ ‖VᵀV − I‖₂ from the plain ball product (γₙ·|V|ᵀ|V| rounding bound): the fallback."""
    G = b64_matmul(B64(V.T), B64(V))
    p = G.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):
        D = np.abs(G.mid)
        dg = np.diagonal(G.mid)
        d = np.abs(1.0 - dg)
        D[np.diag_indices(p)] = np.where((dg >= 0.5) & (dg <= 2.0), d, np.nextafter(d, INF))
        D = _add_up(D, G.rad)
    return _spectral_upper(np.maximum(D, D.T))


def _isolated_radii(c, ry, E, r):
    """Per index k a float radius ≥ |λ − c_k| for the one eigenvalue λ = λ_{rank(k)} of every symmetric Y
    in the ball (diag c ± ry, off-diagonal |Y_jl| ≤ E_jl, row sums r_j ≥ Σ_{l≠j} E_jl), where disc k of
    D⁻¹YD (D = diag(1, …, 1/τ_k at k, …, 1)) is disjoint from every other disc; +inf elsewhere.

    Disc k ⊆ [c_k ± (ry_k + τ r_k)], disc j ⊆ [c_j ± (ry_j + r_j + E_jk/τ)]; τ_k = max_j 2E_jk/h_kj with
    h_kj = |c_k − c_j| − ry_k − ry_j − r_j (a heuristic choice); the disjointness is then checked with
    a lower bound of |c_k − c_j| and an upper bound of the radii."""
    p = c.shape[0]
    out = np.full(p, INF)
    block = max(1, _ROW_BLOCK_ENTRIES // max(p, 1))
    one_minus = 1.0 - 2.0 * U  # exact
    for s in range(0, p, block):
        t = min(p, s + block)
        k = np.arange(s, t)
        with np.errstate(all="ignore"):
            # exact |c_k − c_j| ≥ L: the subtraction errs by ≤ u·|result| (exact when subnormal)
            L = np.abs(c[k, None] - c[None, :]) * one_minus
            fixed = ry[k, None] + ry[None, :] + r[None, :]
            h = L - fixed
            mag = E[k, :]  # E symmetric: E[k, j] = E[j, k]
            h[np.arange(t - s), k] = INF
            mag = mag.copy()
            mag[np.arange(t - s), k] = 0.0
            ok = np.all(h > 0, axis=1)
            ratio = np.where(mag > 0, 2.0 * mag / np.where(h > 0, h, 1.0), 0.0)
            tau = np.max(ratio, axis=1)
            tau = np.where(ok, tau, 1.0)
            tr = tau * r[k]
            scaled = np.where(mag > 0, mag / np.where(tau > 0, tau, 1.0)[:, None], 0.0)
            rhs = _up(fixed + tr[:, None] + scaled, 8)
            good = L > rhs
            good[np.arange(t - s), k] = True
            good = ok & np.all(good, axis=1)
            disc = _up(ry[k] + tr, 3)
        out[s:t] = np.where(good & np.isfinite(disc), disc, INF)
    return out


def _point_enclosures(M) -> list[tuple[Fraction, Fraction]]:
    """Enclosures (sorted) of the eigenvalues of the symmetric float matrix M (steps 3 of the module doc)."""
    p = M.shape[0]
    with np.errstate(all="ignore"):
        try:
            _, V = np.linalg.eigh(M)
        except np.linalg.LinAlgError as exc:  # pragma: no cover - LAPACK non-convergence
            raise UncertifiedValueError(f"the float eigendecomposition failed ({exc})") from exc
    if not np.isfinite(V).all():
        raise UncertifiedValueError("the float eigendecomposition is not finite")
    W = b64_matmul(B64(M), B64(V))
    Y = b64_matmul(B64(np.ascontiguousarray(V.T)), W)  # encloses VᵀMV
    if not _finite(Y):
        raise UncertifiedValueError("VᵀMV overflowed")
    Ym, Yr = _symmetric_ball(Y.mid, Y.rad)  # VᵀMV is symmetric
    c = np.diagonal(Ym).copy()
    ry = np.diagonal(Yr).copy()
    with np.errstate(over="ignore", invalid="ignore"):
        E = _add_up(np.abs(Ym), Yr)
    E[np.diag_indices(p)] = ry
    eps = _spectral_upper(E)  # Weyl: |λ_(k)(Y) − c_(k)| ≤ ‖Y − diag c‖₂ ≤ ρ(E)
    Eoff = E.copy()
    Eoff[np.diag_indices(p)] = 0.0
    r = _sum_up(Eoff, axis=1)
    rad = np.minimum(_isolated_radii(c, ry, Eoff, r), eps)
    g = _gram_defect_up(V)
    if not (np.isfinite(eps) and g < 1.0):
        raise UncertifiedValueError("the float eigendecomposition is too inaccurate to certify")
    gq = Fraction(g)
    th_lo, th_hi = 1 - gq, 1 + gq
    order = np.argsort(c, kind="stable")
    out = []
    for k in order:
        ck, rk = Fraction(float(c[k])), Fraction(float(rad[k]))
        a, b = ck - rk, ck + rk  # λ_i(VᵀMV) ∈ [a, b]; λ_i(M) = λ_i(VᵀMV)/θ_i, θ_i ∈ [1 − g, 1 + g]
        lo = a / th_hi if a >= 0 else a / th_lo
        hi = b / th_lo if b >= 0 else b / th_hi
        out.append((lo, hi))
    return out


def symmetric_eigenvalues(A) -> list[tuple[Fraction, Fraction]]:
    """Enclosures [lo_k, hi_k] (exact rationals, k = 1 … p, ascending) with lo_k ≤ λ_k(H) ≤ hi_k for
    **every symmetric** H in the ball ``A`` (λ_1 ≤ … ≤ λ_p its eigenvalues with multiplicity).

    The method is in the module docstring: symmetrise, Weyl for the radius, a float eigendecomposition of the
    symmetric midpoint with a rigorous VᵀMV, Weyl and isolated Gershgorin discs there, Ostrowski's theorem
    back. A ball that is not finite, an overflow or a failed eigendecomposition raises
    :class:`~verify.errors.UncertifiedValueError`; a ball holding no symmetric matrix raises
    :class:`~verify.errors.InputError`. The 0×0 matrix has no eigenvalues: [].

    Accuracy: ≈ p^1.5·u·‖A‖ for an eigenvalue isolated from the others, ≈ p^2.5·u·‖A‖ (the Weyl bound)
    inside a cluster, plus ρ(rad) for the ball's own radius. Cost: one ``eigh`` and seven p×p products.
    """
    A = _square(A)
    p = A.shape[0]
    if p == 0:
        return []
    if not _finite(A):
        raise UncertifiedValueError("a float64 ball matrix with an infinite radius or a NaN encloses no useful "
                                    "spectrum; use arith='ball' at a higher precision")
    S, e = _scale_pow2(A)
    M, R = _symmetric_ball(S.mid, S.rad)
    encl = _point_enclosures(M)
    rho = _spectral_upper(R) if R.any() else 0.0
    if not math.isfinite(rho):  # pragma: no cover - R is finite and < 1 here
        raise UncertifiedValueError("the radius' spectral bound overflowed")
    delta = Fraction(rho)
    scale = Fraction(2) ** e
    los = [(lo - delta) * scale for lo, _ in encl]
    his = [(hi + delta) * scale for _, hi in encl]
    for i in range(1, p):  # λ_i ≥ λ_{i−1} ≥ lo_{i−1}
        if los[i] < los[i - 1]:
            los[i] = los[i - 1]
    for i in range(p - 2, -1, -1):  # λ_i ≤ λ_{i+1} ≤ hi_{i+1}
        if his[i] > his[i + 1]:
            his[i] = his[i + 1]
    if any(lo > hi for lo, hi in zip(los, his)):  # pragma: no cover - a bug, never a property of the input
        raise InternalError("eigenvalue enclosures of a symmetric ball became empty")
    return list(zip(los, his))


# ====================================================================== conveniences
def _try_enclosures(A):
    try:
        return symmetric_eigenvalues(A)
    except UncertifiedValueError:
        return None


def lambda_min_lower(A) -> Fraction | None:
    """A rational ≤ λ_min(H) for every symmetric H in the ball (None if not certified, or p = 0)."""
    encl = _try_enclosures(A)
    return encl[0][0] if encl else None


def lambda_max_upper(A) -> Fraction | None:
    """A rational ≥ λ_max(H) for every symmetric H in the ball (None if not certified, or p = 0)."""
    encl = _try_enclosures(A)
    return encl[-1][1] if encl else None


def inertia(A) -> tuple[int, int, int]:
    """(n_neg, n_undecided, n_pos): certified counts for every symmetric H in the ball — at least n_neg
    eigenvalues < 0 and at least n_pos > 0; an eigenvalue whose enclosure contains 0 is undecided (all p are
    when the enclosures cannot be certified)."""
    A = _square(A)
    p = A.shape[0]
    encl = _try_enclosures(A)
    if encl is None:
        return 0, p, 0
    neg = sum(1 for _, hi in encl if decide.certainly_lt(hi, 0))
    pos = sum(1 for lo, _ in encl if decide.certainly_gt(lo, 0))
    return neg, p - neg - pos, pos


def _outside(encl, t: Fraction) -> bool:
    """Is t outside every interval (the enclosures are monotone: lo and hi both non-decreasing)?"""
    import bisect

    his = [hi for _, hi in encl]
    i = bisect.bisect_left(his, t)  # the first interval with hi ≥ t
    return i == len(encl) or decide.certainly_lt(t, encl[i][0])


def _regular_shift(M, R, t: Fraction) -> bool:
    """Is H − tI non-singular for every H in the symmetric ball [M ± R] (regularity test)?"""
    tb = as_b64(t)
    n = M.shape[0]
    X = B64(M.copy(), R.copy()) - B64(np.eye(n)) * tb
    return regular(X) is not None


def exceptional_eta_screen(H, etas, *, regular_fallback: bool = True) -> list[bool | None]:
    """For each rational step size η: True when I − ηH is **proved** non-singular for every symmetric H in
    the ball, None when undecided (η may be exceptional: 1/η may be an eigenvalue).

    The eigenvalue enclosures are computed once and 1/η checked against them (η = 0 gives I: True); an η
    they leave undecided is tried by the regularity test on H − (1/η)I when ``regular_fallback`` (each such
    test costs an inverse and three p×p products). No characteristic polynomial.
    """
    from ..validate import rational

    H = _square(H, "H")
    qs = [rational(eta, f"etas[{i}]") for i, eta in enumerate(etas)]
    p = H.shape[0]
    if p == 0:
        return [True] * len(qs)
    encl = _try_enclosures(H)
    sym = None
    out: list[bool | None] = []
    for q in qs:
        if q == 0:
            out.append(True)
            continue
        t = 1 / q
        if encl is not None and _outside(encl, t):
            out.append(True)
            continue
        if regular_fallback and _finite(H):
            if sym is None:
                S, e = _scale_pow2(H)
                sym = (*_symmetric_ball(S.mid, S.rad), e)
            M, R, e = sym
            if _regular_shift(M, R, t / Fraction(2) ** e):
                out.append(True)
                continue
        out.append(None)
    return out


def certify_singular_free(H, eta) -> bool | None:
    """True when I − ηH is **proved** non-singular for every symmetric H in the ball ``H`` (the gradient-
    descent map's Jacobian at η is invertible), None when undecided. The regularity test on H − (1/η)I first
    (cheapest), then the eigenvalue enclosures."""
    from ..validate import rational

    H = _square(H, "H")
    q = rational(eta, "eta")
    p = H.shape[0]
    if q == 0 or p == 0:
        return True
    if _finite(H):
        S, e = _scale_pow2(H)
        M, R = _symmetric_ball(S.mid, S.rad)
        if _regular_shift(M, R, (1 / q) / Fraction(2) ** e):
            return True
    res = exceptional_eta_screen(H, [q], regular_fallback=False)[0]
    return res


__all__ = ["regular", "determinant_sign", "symmetric_eigenvalues", "lambda_min_lower", "lambda_max_upper",
           "inertia", "certify_singular_free", "exceptional_eta_screen"]
