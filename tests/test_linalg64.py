"""Certified linear algebra on float64 balls (verify.arith.linalg64) against exact rationals and Arb.

Every enclosure is checked to contain the eigenvalues of the midpoint (when symmetric) and of sampled exact
rational symmetric members of the ball, computed independently: exact characteristic polynomials with FLINT's
rigorous root isolation (small p) or Arb's ``acb_mat.eig`` at 256 bits. A regularity or determinant-sign claim is
checked against exact rational determinants of members.
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import pytest
from flint import acb_mat, arb_mat, fmpq, fmpq_mat
from hypothesis import given
from hypothesis import strategies as st

from verify.arith import linalg64 as la
from verify.arith.ball import _ArbPrec, ball_bounds
from verify.arith.ball64 import B64
from verify.errors import InputError, ShapeError, UncertifiedValueError

PREC = 256


# ====================================================================== references
def _q(x) -> fmpq:
    x = Fraction(x)
    return fmpq(x.numerator, x.denominator)


def _fmpq_mat(H) -> fmpq_mat:
    H = np.asarray(H, dtype=object)
    p = H.shape[0]
    return fmpq_mat(p, p, [_q(v) for v in H.reshape(-1)])


def reference_eigenvalues(H) -> list[tuple[Fraction, Fraction]]:
    """Sorted rational intervals, one per eigenvalue of the exact symmetric matrix H (object array of rationals
    or a float array): exact characteristic polynomial + FLINT's rigorous complex root isolation for small p, Arb's
    acb_mat.eig at 256 bits for larger ones (falling back to the exact route when Arb cannot isolate)."""
    M = _fmpq_mat(H)
    p = M.nrows()
    out = None
    if p > 24:
        with _ArbPrec(PREC):
            E = acb_mat(arb_mat(M)).eig(multiple=True, nonstop=True)
        if all(e.real.is_finite() for e in E):
            out = [ball_bounds(e.real) for e in E]
    if out is None:
        out = []
        with _ArbPrec(PREC):
            _, factors = M.charpoly().factor()
            for g, m in factors:
                for r, m2 in g.complex_roots():
                    out.extend([ball_bounds(r.real)] * (m * m2))
    assert len(out) == p
    return out


def assert_encloses(encl, H, what=""):
    """encl[i] contains λ_i(H): by order statistics, lo_i ≤ (i-th smallest reference lower end) and
    (i-th smallest reference upper end) ≤ hi_i is a rigorous sufficient condition."""
    ref = reference_eigenvalues(H)
    los = sorted(lo for lo, _ in ref)
    his = sorted(hi for _, hi in ref)
    assert len(encl) == len(ref)
    for i, ((lo, hi), rlo, rhi) in enumerate(zip(encl, los, his)):
        assert isinstance(lo, Fraction) and isinstance(hi, Fraction)
        assert lo <= rlo and rhi <= hi, (what, i, float(lo), float(rlo), float(rhi), float(hi))


def exact(mid) -> np.ndarray:
    return np.vectorize(Fraction, otypes=[object])(np.asarray(mid, dtype=float))


def member(ball: B64, T) -> np.ndarray:
    """The exact rational matrix mid + T∘rad (T entries rational in [−1, 1])."""
    return exact(ball.mid) + np.asarray(T, dtype=object) * exact(ball.rad)


def symmetric_T(rng, p, corner=False):
    if corner:
        T = rng.choice([-1, 1], size=(p, p))
    else:
        T = rng.integers(-8, 9, size=(p, p))
    T = np.triu(T) + np.triu(T, 1).T
    den = 1 if corner else 8
    return np.vectorize(lambda k: Fraction(int(k), den), otypes=[object])(T)


def exact_det(H) -> Fraction:
    d = _fmpq_mat(H).det()
    return Fraction(int(d.p), int(d.q))


def random_symmetric(rng, p, scale=1.0):
    A = rng.standard_normal((p, p)) * scale
    return (A + A.T) / 2


def rotated(rng, eigs):
    """Q diag(eigs) Qᵀ in float64 (a symmetric float matrix whose exact eigenvalues are near eigs)."""
    p = len(eigs)
    Q, _ = np.linalg.qr(rng.standard_normal((p, p)))
    H = (Q * np.asarray(eigs, dtype=float)) @ Q.T
    return (H + H.T) / 2


# ====================================================================== regularity and determinant sign
@pytest.mark.parametrize("p", [1, 2, 5, 30, 120])
def test_regular_proves_random_matrices_and_every_sampled_member_is_nonsingular(p):
    rng = np.random.default_rng(p)
    mid = rng.standard_normal((p, p))
    for rad in (0.0, 1e-9):
        A = B64(mid, rad)
        beta = la.regular(A)
        assert isinstance(beta, Fraction) and 0 <= beta < 1
        sign = la.determinant_sign(A)
        assert sign in (1, -1)
        if p <= 30:
            members = [exact(mid)] + ([member(A, rng.integers(-1, 2, size=(p, p)))] if rad else [])
            for H in members:
                d = exact_det(H)
                assert d != 0 and (d > 0) == (sign > 0)


def test_regular_and_determinant_sign_of_permutations_and_negative_diagonals():
    for perm, signs in [([1, 0, 2], [1, 1, 1]), ([2, 0, 1], [1, -1, 1]), ([0, 1, 2], [-1, -1, -1]),
                        ([3, 2, 1, 0], [1, 1, 1, -1])]:
        p = len(perm)
        P = np.eye(p)[perm] * np.array(signs, dtype=float)[:, None]
        assert la.regular(B64(P)) < Fraction(1, 10**14)  # the a-priori γₙ·|R||A| term only
        assert la.determinant_sign(B64(P)) == (1 if exact_det(exact(P)) > 0 else -1)
        big = B64(P * 2.0**600, 2.0**590)
        assert la.regular(big) is not None
        assert la.determinant_sign(big) == la.determinant_sign(B64(P))


def test_singular_and_wide_balls_are_undecided_never_regular():
    S = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])  # exactly singular
    assert exact_det(exact(S)) == 0
    assert la.regular(B64(S)) is None
    assert la.determinant_sign(B64(S)) is None
    assert la.regular(B64(np.zeros((4, 4)))) is None
    # a non-singular midpoint whose ball holds the singular diag(1, 0)
    A = B64(np.diag([1.0, 1e-3]), np.array([[0.0, 0.0], [0.0, 2e-3]]))
    assert la.regular(A) is None and la.determinant_sign(A) is None
    # rank one plus a ball reaching it
    u = np.arange(1.0, 6.0)
    assert la.regular(B64(np.outer(u, u) + 1e-14 * np.eye(5), 1e-13)) is None


@pytest.mark.parametrize("smallest", [1e-6, 1e-12, 1e-30])
def test_nearly_singular_matrices_decided_correctly_or_undecided(smallest):
    rng = np.random.default_rng(7)
    for _trial in range(3):
        p = 6
        Q1, _ = np.linalg.qr(rng.standard_normal((p, p)))
        Q2, _ = np.linalg.qr(rng.standard_normal((p, p)))
        mid = (Q1 * np.array([smallest, 1, 2, 3, 4, 5.0])) @ Q2
        d = exact_det(exact(mid))
        beta = la.regular(B64(mid))
        sign = la.determinant_sign(B64(mid))
        if beta is not None:
            assert d != 0
        if sign is not None:
            assert d != 0 and (d > 0) == (sign > 0)
        if smallest == 1e-6:
            assert beta is not None and sign is not None  # cond ≈ 5e6: well within float reach
        if smallest == 1e-30:
            assert beta is None  # cond ≈ 5e30: beyond float64


def test_regular_bad_input():
    assert la.regular(B64(np.zeros((0, 0)))) == 0
    assert la.determinant_sign(B64(np.zeros((0, 0)))) == 1
    for bad in (np.zeros((2, 3)), np.zeros(3), np.zeros((2, 2, 2))):
        with pytest.raises(ShapeError):
            la.regular(B64(bad))
        with pytest.raises(ShapeError):
            la.symmetric_eigenvalues(B64(bad))
    with pytest.raises(InputError):
        la.regular(B64(np.eye(2), -1.0))
    with pytest.raises(InputError):
        la.regular("not a matrix")
    nan = B64(np.array([[1.0, np.nan], [0.0, 1.0]]))
    inf_rad = B64(np.eye(2), np.array([[0.0, np.inf], [0.0, 0.0]]))
    inf_mid = B64(np.array([[np.inf, 0.0], [0.0, 1.0]]))
    for A in (nan, inf_rad, inf_mid):
        assert la.regular(A) is None
        assert la.determinant_sign(A) is None
        with pytest.raises(UncertifiedValueError):
            la.symmetric_eigenvalues(A)
        assert la.lambda_min_lower(A) is None and la.lambda_max_upper(A) is None
        assert la.inertia(A) == (0, 2, 0)
        assert la.certify_singular_free(A, Fraction(1, 3)) is None
        assert la.exceptional_eta_screen(A, [Fraction(1, 3), 0]) == [None, True]
    # overflow of the inverse or the product: refused or proved, never wrong
    huge = B64(np.array([[1e308, 1e308], [1e308, -1e308]]))
    assert la.regular(huge) is not None  # scaled exactly by a power of two first
    assert la.determinant_sign(huge) == -1
    # float arrays and rational object arrays are accepted
    assert la.regular(np.eye(3)) < Fraction(1, 10**14)
    assert la.regular(np.array([[Fraction(1, 3), 0], [0, 1]], dtype=object)) is not None


# ====================================================================== symmetric eigenvalues
@pytest.mark.parametrize("p", [1, 2, 7, 40])
def test_eigenvalue_enclosures_contain_midpoint_and_members(p):
    rng = np.random.default_rng(100 + p)
    mid = random_symmetric(rng, p)
    R = np.abs(random_symmetric(rng, p)) * 1e-6
    for A in (B64(mid), B64(mid, R)):
        encl = la.symmetric_eigenvalues(A)
        assert [lo for lo, _ in encl] == sorted(lo for lo, _ in encl)
        assert_encloses(encl, exact(mid), "mid")
        if A.rad.any():
            for corner in (False, True):
                assert_encloses(encl, member(A, symmetric_T(rng, p, corner)), "member")
    # sharpness: the point enclosures are within a few hundred ulps of ‖A‖ (p^1.5·u scale)
    widths = [float(hi - lo) for lo, hi in la.symmetric_eigenvalues(B64(mid))]
    assert max(widths) < 1e-13 * max(1.0, p**1.5) * np.abs(mid).max()


@pytest.mark.slow
def test_eigenvalue_enclosures_p200_against_arb():
    rng = np.random.default_rng(200)
    p = 200
    mid = random_symmetric(rng, p)
    A = B64(mid, 1e-10)
    encl = la.symmetric_eigenvalues(A)
    assert_encloses(encl, exact(mid), "mid")
    assert_encloses(encl, member(A, symmetric_T(rng, p, corner=True)), "corner")
    assert max(float(hi - lo) for lo, hi in encl) < 1e-7  # ρ(rad) = 2e-8 dominates


def test_eigenvalue_enclosures_p200_midpoint():
    """p = 200 against Arb at 128 bits on the midpoint only (the members at 256 bits are in the slow test)."""
    rng = np.random.default_rng(201)
    p = 200
    mid = random_symmetric(rng, p)
    encl = la.symmetric_eigenvalues(B64(mid))
    with _ArbPrec(128):
        E = acb_mat(arb_mat(_fmpq_mat(exact(mid)))).eig()
    ref = sorted((ball_bounds(e.real) for e in E), key=lambda b: b[0])
    for (lo, hi), (rlo, rhi) in zip(encl, ref):
        assert lo <= rlo and rhi <= hi
    assert max(float(hi - lo) for lo, hi in encl) < 1e-10


@pytest.mark.parametrize("smallest", [1e-12, 1e-30, 0.0, -1e-30, -1e-12])
def test_nearly_singular_symmetric_matrices_never_wrong(smallest):
    rng = np.random.default_rng(11)
    for _trial in range(3):
        H = rotated(rng, [smallest, 0.5, 1.0, -2.0, 3.0])
        encl = la.symmetric_eigenvalues(B64(H))
        assert_encloses(encl, exact(H), f"rotated {smallest}")
        neg, und, pos = la.inertia(B64(H))
        ref = reference_eigenvalues(exact(H))
        true_neg = sum(1 for lo, hi in ref if hi < 0)
        true_pos = sum(1 for lo, hi in ref if lo > 0)
        assert neg <= true_neg and pos <= true_pos and neg + und + pos == 5
        assert neg >= 1 and pos >= 3  # −2 and 0.5, 1, 3 are far from 0
    # exactly diagonal: the tiny eigenvalue is decided (isolated Gershgorin disc, no rotation error)
    D = np.diag([smallest, 0.5, 1.0, -2.0, 3.0])
    encl = la.symmetric_eigenvalues(B64(D))
    assert_encloses(encl, exact(D))
    expect_zero = 1 if smallest == 0 else 0
    assert la.inertia(B64(D)) == (1 + (smallest < 0), expect_zero, 3 + (smallest > 0))


@pytest.mark.parametrize("gap", [1e-3, 1e-8, 1e-11, 1e-13, 1e-15, 0.0])
def test_clustered_and_repeated_eigenvalues(gap):
    rng = np.random.default_rng(12)
    eigs = [1.0, 1.0 + gap, 1.0 + 2 * gap, 2.0, 2.0, -1.0, 1.0 - gap]
    H = rotated(rng, eigs)
    encl = la.symmetric_eigenvalues(B64(H))
    assert_encloses(encl, exact(H), f"cluster {gap}")
    D = np.diag(eigs)
    assert_encloses(la.symmetric_eigenvalues(B64(D)), exact(D), f"diag cluster {gap}")
    # a repeated eigenvalue of a ball: members split it
    A = B64(H, 1e-9)
    encl = la.symmetric_eigenvalues(A)
    for corner in (False, True):
        assert_encloses(encl, member(A, symmetric_T(rng, 7, corner)), f"cluster ball {gap}")


@pytest.mark.parametrize("scale", [1e150, 1e-150, 2.0**600, 2.0**-600, 1e300, 1e-300])
def test_huge_and_tiny_scales(scale):
    rng = np.random.default_rng(13)
    base = random_symmetric(rng, 6)
    H = base * scale
    H = (H + H.T) / 2
    A = B64(H, np.abs(H) * 1e-12)
    encl = la.symmetric_eigenvalues(A)
    assert_encloses(encl, exact(H), f"scale {scale}")
    assert_encloses(encl, member(A, symmetric_T(rng, 6, corner=True)), f"scale {scale} member")
    # relative accuracy survives the scale
    ref = reference_eigenvalues(exact(H))
    for (lo, hi), (rlo, _) in zip(encl, sorted(ref)):
        assert hi - lo <= abs(rlo) * Fraction(1, 10**8) + Fraction(scale) * Fraction(1, 10**9)
    assert la.regular(A) is not None
    assert la.determinant_sign(A) == (1 if exact_det(exact(H)) > 0 else -1)


def test_subnormal_entries():
    t = 2.0**-1060  # subnormal
    H = np.array([[3 * t, t, 0.0], [t, -5 * t, 2 * t], [0.0, 2 * t, 7 * t]])
    A = B64(H)
    assert_encloses(la.symmetric_eigenvalues(A), exact(H), "subnormal")
    assert la.inertia(A) == (1, 0, 2)
    assert la.regular(A) is not None
    mixed = np.diag([1.0, 2.0**-1070, -(2.0**-1074)])
    assert_encloses(la.symmetric_eigenvalues(B64(mixed)), exact(mixed), "mixed")
    assert la.inertia(B64(mixed)) in ((1, 0, 2), (0, 1, 2), (0, 2, 1), (1, 1, 1))  # honest, maybe undecided
    neg, und, pos = la.inertia(B64(mixed))
    assert neg <= 1 and pos <= 2
    # a ball of subnormal radius around a normal matrix
    B = B64(np.diag([1.0, -1.0]), 2.0**-1074)
    assert la.inertia(B) == (1, 0, 1)


def test_large_radii_balls():
    rng = np.random.default_rng(14)
    p = 8
    mid = random_symmetric(rng, p)
    R = np.abs(random_symmetric(rng, p)) * 0.3
    A = B64(mid, R)
    encl = la.symmetric_eigenvalues(A)
    assert_encloses(encl, exact(mid))
    for _ in range(3):
        assert_encloses(encl, member(A, symmetric_T(rng, p, corner=True)), "corner")
    # the radius' spectral bound is at most the Frobenius norm of R
    widths = [float(hi - lo) for lo, hi in encl]
    assert max(widths) <= 2 * np.linalg.norm(R) * (1 + 1e-9) + 1e-9
    # a ball so wide that 0 is in every enclosure
    W = B64(mid, 100.0)
    assert la.inertia(W) == (0, p, 0)


def test_nonsymmetric_midpoint_within_a_symmetric_ball():
    rng = np.random.default_rng(15)
    p = 6
    H0 = random_symmetric(rng, p)
    noise = rng.standard_normal((p, p)) * 1e-10
    mid = H0 + noise  # not symmetric
    s = np.abs(random_symmetric(rng, p)) * 1e-9
    rad = np.abs(noise) * (1 + 1e-6) + s + 1e-300
    A = B64(mid, rad)
    encl = la.symmetric_eigenvalues(A)
    assert_encloses(encl, exact(H0), "H0")
    for corner in (False, True):
        T = symmetric_T(rng, p, corner)
        Hm = exact(H0) + T * exact(s)
        assert_encloses(encl, Hm, "member")
    assert la.regular(A) is not None  # the regularity test needs no symmetry
    # no symmetric matrix at all: refused
    bad = B64(np.array([[1.0, 2.0], [3.0, 1.0]]), 0.1)
    with pytest.raises(InputError, match="no symmetric"):
        la.symmetric_eigenvalues(bad)


def test_empty_matrix_conventions():
    E = B64(np.zeros((0, 0)))
    assert la.symmetric_eigenvalues(E) == []
    assert la.inertia(E) == (0, 0, 0)
    assert la.lambda_min_lower(E) is None and la.lambda_max_upper(E) is None
    assert la.certify_singular_free(E, 1) is True
    assert la.exceptional_eta_screen(E, [1, 2]) == [True, True]


def test_integer_and_longdouble_arrays_are_not_rounded_silently():
    """as_b64 turns an int64 beyond 2⁵³ or a long double into the nearest float64 with radius 0; linalg64 takes
    such arrays through exact rationals instead (each entry a ball around it)."""
    A = np.array([[2**60 + 1, 0], [0, 2**60]], dtype=np.int64)
    encl = la.symmetric_eigenvalues(A)
    assert encl[0][0] <= 2**60 <= encl[0][1] and encl[1][0] <= 2**60 + 1 <= encl[1][1]
    assert la.regular(A) is not None and la.determinant_sign(A) == 1
    L = np.array([[1, 0], [0, 3]], dtype=np.longdouble) / 3
    v = Fraction(*(np.longdouble(1) / 3).as_integer_ratio())
    encl = la.symmetric_eigenvalues(L)
    assert encl[0][0] <= v <= encl[0][1] and encl[1][0] <= 1 <= encl[1][1]


# ====================================================================== conveniences
def test_lambda_bounds_and_inertia():
    rng = np.random.default_rng(16)
    H = rotated(rng, [-3.0, -1.0, 0.25, 2.0, 5.0])
    A = B64(H, 1e-8)
    ref = sorted(reference_eigenvalues(exact(H)))
    lmin, lmax = la.lambda_min_lower(A), la.lambda_max_upper(A)
    assert lmin <= ref[0][0] and lmax >= ref[-1][1]
    assert Fraction(-3) - lmin < Fraction(1, 10**6) and lmax - 5 < Fraction(1, 10**6)
    assert la.inertia(A) == (2, 0, 3)
    assert la.inertia(B64(H, 0.1)) == (2, 1, 2)  # ρ(0.1·ones) = 0.5: only 0.25 is undecided


def test_certify_singular_free_and_screen_on_known_spectrum():
    H = B64(np.diag([1.0, 2.0, 4.0]))
    assert la.certify_singular_free(H, 1) is None  # I − H is singular
    assert la.certify_singular_free(H, Fraction(1, 2)) is None
    assert la.certify_singular_free(H, Fraction(1, 4)) is None
    assert la.certify_singular_free(H, Fraction(1, 3)) is True
    assert la.certify_singular_free(H, 0) is True
    assert la.certify_singular_free(H, -1) is True
    etas = [Fraction(1), Fraction(1, 2), Fraction(1, 3), Fraction(1, 4), Fraction(2, 7), 0, Fraction(-5)]
    want = [None, None, True, None, True, True, True]
    assert la.exceptional_eta_screen(H, etas) == want
    assert la.exceptional_eta_screen(H, etas, regular_fallback=False) == want
    # rotated: the exceptional η are still undecided, the others proved; η just beside 1/λ
    rng = np.random.default_rng(17)
    Hr = rotated(rng, [1.0, 2.0, 4.0, -1.0])
    res = la.exceptional_eta_screen(B64(Hr), [Fraction(1), Fraction(1, 2), Fraction(1, 3), Fraction(1, 10**6),
                                              Fraction(10**9, 10**9 + 1)])
    assert res[2] is True and res[3] is True and res[4] is True
    for eta, r in zip([Fraction(1), Fraction(1, 2)], res):
        if r:  # certified: the exact I − ηH must be non-singular
            I = np.eye(4, dtype=object)
            assert exact_det(I * Fraction(1) - exact(Hr) * eta) != 0
    with pytest.raises(InputError):
        la.certify_singular_free(H, "1/2")
    with pytest.raises(InputError):
        la.exceptional_eta_screen(H, [float("nan")])


def test_screen_on_a_ball_never_wrong():
    rng = np.random.default_rng(18)
    p = 5
    H = rotated(rng, [0.5, 1.0, 1.5, 2.0, 3.0])
    A = B64(H, 1e-3)
    etas = [Fraction(1, k) for k in range(1, 40)] + [Fraction(k, 7) for k in range(1, 30)]
    res = la.exceptional_eta_screen(A, etas)
    single = [la.certify_singular_free(A, eta) for eta in etas[:12]]
    members = [member(A, symmetric_T(rng, p, corner)) for corner in (False, True, True)]
    for eta, r in zip(etas, res):
        if r or (eta in etas[:12] and single[etas.index(eta)]):
            for Hm in members:
                M = np.eye(p, dtype=object) - Hm * eta
                assert exact_det(M) != 0
    assert res[0] is None and res[1] is None  # η = 1, 1/2: eigenvalues 1 and 2 of the midpoint


# ====================================================================== internals
def test_error_free_gram_splitting_is_exact_and_bounds_the_defect():
    rng = np.random.default_rng(19)
    for p, noise in [(5, 0.0), (5, 1e-8), (40, 1e-12), (40, 0.0)]:
        _, V = np.linalg.eigh(random_symmetric(rng, p))
        V = V + noise * rng.standard_normal((p, p))
        g = la._gram_defect_up(V)
        g_plain = la._gram_defect_plain(V)
        Vq = _fmpq_mat(exact(V))
        G = Vq.transpose() * Vq
        D = [[Fraction(int(G[i, j].p), int(G[i, j].q)) - (i == j) for j in range(p)] for i in range(p)]
        # ‖D‖₂ ≤ ‖D‖_F, and the exact Frobenius norm² is a rational: g² must bound the true ‖D‖₂² ≥ λ_max(D²);
        # check against the true 2-norm through the exact eigenvalues of D (symmetric)
        ref = reference_eigenvalues(np.array(D, dtype=object))
        true = max(max(abs(lo), abs(hi)) for lo, hi in ref)
        assert Fraction(g) >= true and Fraction(g_plain) >= true
        if noise == 0.0:
            assert g < 1e-13 and g <= g_plain


def test_spectral_upper_bounds_the_perron_root():
    rng = np.random.default_rng(20)
    for p in (1, 3, 10):
        N = np.abs(random_symmetric(rng, p))
        N[0, :] *= 1e3
        N[:, 0] *= 1e3
        b = la._spectral_upper(N)
        ref = reference_eigenvalues(exact(N))
        assert Fraction(b) >= max(hi for _, hi in ref)
        assert b <= np.linalg.norm(N, "fro") * (1 + 1e-12) + 1e-300
    assert la._spectral_upper(np.zeros((3, 3))) == 0.0
    assert la._spectral_upper(np.full((2, 2), np.inf)) == np.inf


def _isolation_case(rng, p, off, ry_scale):
    gaps = off * p * 10.0 ** rng.uniform(-1.5, 1.5, size=p)
    c = np.cumsum(gaps) * rng.choice([-1, 1])
    rng.shuffle(c)
    O = rng.uniform(-1, 1, size=(p, p)) * off
    O = np.triu(O, 1) + np.triu(O, 1).T
    Y = np.diag(c) + O
    Yr = np.abs(random_symmetric(rng, p)) * off * ry_scale
    E = np.nextafter(np.abs(O) + Yr, np.inf)
    np.fill_diagonal(E, 0.0)
    ry = np.diagonal(Yr).copy()
    r = la._sum_up(E, axis=1)
    return Y, Yr, c, ry, E, r


def test_isolated_discs_are_sharp_when_well_separated():
    Y = np.diag([0.0, 1.0, 2.0]) + 1e-8 * (np.ones((3, 3)) - np.eye(3))
    E = np.abs(Y - np.diag(np.diag(Y)))
    rad = la._isolated_radii(np.diag(Y).copy(), np.zeros(3), E, la._sum_up(E, axis=1))
    assert np.all(rad < 1e-14)  # second order: ≈ 2·(1e-8)²·2/gap


@given(st.integers(2, 6), st.integers(0, 2**32 - 1), st.sampled_from([1e-2, 1e-8, 1e-13]),
       st.sampled_from([0.0, 1e-3, 1.0]))
def test_property_isolated_discs_hold_near_the_isolation_threshold(p, seed, off, ry_scale):
    """Gershgorin isolation decided near its threshold: every disc claimed isolated holds the eigenvalue of its
    rank, for the midpoint and for a corner member of the ball."""
    rng = np.random.default_rng(seed)
    Y, Yr, c, ry, E, r = _isolation_case(rng, p, off, ry_scale)
    rad = la._isolated_radii(c, ry, E, r)
    rank = np.argsort(np.argsort(c, kind="stable"), kind="stable")
    members = [exact(Y)]
    if Yr.any():
        members.append(exact(Y) + symmetric_T(rng, p, corner=True) * exact(Yr))
    for H in members:
        ref = reference_eigenvalues(H)
        los = sorted(lo for lo, _ in ref)
        his = sorted(hi for _, hi in ref)
        for k in range(p):
            if np.isfinite(rad[k]):
                i = rank[k]
                assert Fraction(c[k]) - Fraction(rad[k]) <= los[i] and his[i] <= Fraction(c[k]) + Fraction(rad[k])


# ====================================================================== property tests
@st.composite
def symmetric_balls(draw, max_p=6):
    p = draw(st.integers(1, max_p))
    e = draw(st.sampled_from([0, 0, 0, 40, -40, 500, -500, -1040]))
    ints = draw(st.lists(st.integers(-30, 30), min_size=p * p, max_size=p * p))
    M = np.array(ints, dtype=float).reshape(p, p) / 7.0
    M = np.ldexp(np.triu(M) + np.triu(M, 1).T, e)
    rkind = draw(st.sampled_from(["zero", "tiny", "small", "large"]))
    R = {"zero": 0.0, "tiny": 2.0**-1074, "small": 1e-9, "large": 0.05}[rkind]
    R = np.ldexp(np.full((p, p), R), e) if rkind in ("small", "large") else np.full((p, p), R)
    seed = draw(st.integers(0, 2**32 - 1))
    return B64(M, R), seed


@given(symmetric_balls())
def test_property_eigenvalue_enclosures_hold_for_members(case):
    A, seed = case
    rng = np.random.default_rng(seed)
    p = A.shape[0]
    encl = la.symmetric_eigenvalues(A)
    assert_encloses(encl, exact(A.mid), "mid")
    if A.rad.any():
        assert_encloses(encl, member(A, symmetric_T(rng, p, corner=True)), "member")
    neg, und, pos = la.inertia(A)
    ref = reference_eigenvalues(exact(A.mid))
    assert neg <= sum(1 for _, hi in ref if hi < 0) and pos <= sum(1 for lo, _ in ref if lo > 0)


@given(symmetric_balls(max_p=5), st.booleans())
def test_property_regular_and_sign_never_wrong(case, skew):
    A, seed = case
    rng = np.random.default_rng(seed)
    p = A.shape[0]
    if skew:  # a non-symmetric midpoint too
        A = B64(A.mid + np.ldexp(np.triu(np.ones((p, p)), 1), int(np.frexp(np.abs(A.mid).max() or 1.0)[1]) - 3),
                A.rad)
    beta = la.regular(A)
    sign = la.determinant_sign(A)
    if beta is None and sign is None:
        return
    for H in (exact(A.mid), member(A, rng.integers(-1, 2, size=(p, p)))):
        d = exact_det(H)
        assert d != 0
        if sign is not None:
            assert (d > 0) == (sign > 0)


@given(symmetric_balls(max_p=4), st.lists(st.fractions(min_value=-4, max_value=4, max_denominator=12), min_size=1,
                                           max_size=6))
def test_property_screen_never_wrong(case, etas):
    A, seed = case
    rng = np.random.default_rng(seed)
    p = A.shape[0]
    res = la.exceptional_eta_screen(A, etas)
    H = member(A, symmetric_T(rng, p, corner=True))
    for eta, r in zip(etas, res):
        if r:
            assert exact_det(np.eye(p, dtype=object) - H * eta) != 0
        assert la.certify_singular_free(A, eta) in (True, None)
        if la.certify_singular_free(A, eta):
            assert exact_det(np.eye(p, dtype=object) - exact(A.mid) * eta) != 0


# ====================================================================== timings (printed, never asserted)
@pytest.mark.slow
def test_print_timings_p1000_and_p5000():
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(21)
    with threadpool_limits(1):
        for p in (1000,):
            mid = random_symmetric(rng, p)
            A = B64(mid, 1e-12)
            t = time.perf_counter()
            beta = la.regular(A)
            t_reg = time.perf_counter() - t
            t = time.perf_counter()
            sign = la.determinant_sign(A)
            t_sign = time.perf_counter() - t
            t = time.perf_counter()
            encl = la.symmetric_eigenvalues(A)
            t_eig = time.perf_counter() - t
            t = time.perf_counter()
            np.linalg.eigh(mid)
            t_float = time.perf_counter() - t
            print(f"\np={p}: regular {t_reg:.2f} s (β = {float(beta):.2e}), determinant_sign {t_sign:.2f} s "
                  f"({sign}), symmetric_eigenvalues {t_eig:.2f} s (max width "
                  f"{max(float(hi - lo) for lo, hi in encl):.2e}); float eigh {t_float:.2f} s")
            assert beta is not None and len(encl) == p
        p = 5000
        mid = rng.standard_normal((p, p))
        t = time.perf_counter()
        beta = la.regular(B64(mid))
        print(f"p={p}: regular {time.perf_counter() - t:.1f} s (β = {float(beta) if beta else None})")
