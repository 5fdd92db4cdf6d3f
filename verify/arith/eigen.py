"""Certified spectra of symmetric matrices (Hessians), exact and in Arb balls.

* :func:`to_fmpq_mat` / :func:`to_arb_mat` — numpy object arrays to python-flint matrices.
* :func:`real_root_intervals` — exact isolating intervals (rational endpoints) of the real roots of
  a rational polynomial, refined to a requested width (sympy's exact real-root isolation).
* :func:`exact_eigen_intervals` — eigenvalues of a rational symmetric matrix: roots of its exact
  characteristic polynomial (``fmpq_mat.charpoly``), with multiplicities and isolating intervals.
* :func:`ball_eigen_enclosures` — eigenvalues of a symmetric ball matrix, each enclosed in a real
  interval valid for every symmetric matrix inside the balls (``acb_mat.eig``, multiple
  eigenvalues allowed; real parts, since a symmetric matrix has a real spectrum).

Size limits are stated up front (:data:`BALL_EIG_MAX`): a larger request raises SizeLimitError
with a time estimate instead of running for minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy as sp
from flint import acb_mat, arb, arb_mat, fmpq, fmpq_mat, fmpq_poly

from ..errors import EnclosureError, SizeLimitError
from .ball import _ArbPrec, ball_bounds

#: acb_mat.eig took 0.5 s at p = 100 and 12.5 s at p = 300 (128 bits, 2 cores): ~ p³ scaling
BALL_EIG_MAX = 300
#: fmpq_mat.charpoly is fast for moderate entries; beyond this size we refuse with an estimate
EXACT_CHARPOLY_MAX = 400


def to_fmpq_mat(H: np.ndarray) -> fmpq_mat:
    r, c = H.shape
    return fmpq_mat(r, c, [x if isinstance(x, fmpq) else fmpq(Fraction(x).numerator, Fraction(x).denominator)
                           for x in H.reshape(-1)])


def to_arb_mat(H: np.ndarray) -> arb_mat:
    return arb_mat(H.tolist())


def fmpq_poly_to_sympy(f: fmpq_poly, x: sp.Symbol) -> sp.Poly:
    coeffs = [sp.Rational(int(c.p), int(c.q)) for c in f.coeffs()]  # constant term first
    return sp.Poly(list(reversed(coeffs)), x, domain="QQ")


LAM = sp.Symbol("lambda")


@dataclass
class RealRoot:
    """A real root of an irreducible rational polynomial: exact (sympy) and in [lo, hi] (rationals)."""

    exact: sp.Expr
    lo: Fraction
    hi: Fraction
    multiplicity: int
    factor: sp.Poly

    def enclosure(self) -> tuple[Fraction, Fraction]:
        return self.lo, self.hi

    def mid_float(self) -> float:
        return float((self.lo + self.hi) / 2)


def real_root_intervals(f: fmpq_poly, width=Fraction(1, 10**30)) -> list[RealRoot]:
    """The real roots of ``f`` (any rational polynomial), exactly: per irreducible factor, sympy
    ``CRootOf`` values with rational isolating intervals refined below ``width``. Sorted by value."""
    out = []
    if f.degree() < 1:
        return out
    _, factors = f.factor()
    for g, mult in factors:
        sg = fmpq_poly_to_sympy(g, LAM)
        if sg.degree() == 1:
            a, b = sg.all_coeffs()
            r = -Fraction(int(b.p), int(b.q)) / Fraction(int(a.p), int(a.q))
            out.append(RealRoot(sp.Rational(r.numerator, r.denominator), r, r, mult, sg))
            continue
        for k, ((lo, hi), _m) in enumerate(sg.intervals(eps=sp.Rational(width.numerator, width.denominator))):
            out.append(RealRoot(sp.CRootOf(sg.as_expr(), LAM, k), Fraction(int(lo.p), int(lo.q)),
                                Fraction(int(hi.p), int(hi.q)), mult, sg))
    out.sort(key=lambda r: (r.lo, r.hi))
    return out


def exact_charpoly(H: np.ndarray) -> fmpq_poly:
    """det(λI − H) of a rational matrix (object array of fmpq/Fraction), exactly."""
    p = H.shape[0]
    if p > EXACT_CHARPOLY_MAX:
        raise SizeLimitError(f"an exact characteristic polynomial of a {p}×{p} matrix is beyond the exact method's "
                             f"limit ({EXACT_CHARPOLY_MAX}); use arith='ball' (certified enclosures) instead")
    return to_fmpq_mat(H).charpoly()


def exact_eigen_intervals(H: np.ndarray, width=Fraction(1, 10**30)) -> list[RealRoot]:
    """Eigenvalues of a rational symmetric matrix with multiplicities, exactly (sorted)."""
    return real_root_intervals(exact_charpoly(H), width)


def ball_eigen_enclosures(H, prec: int) -> list[arb]:
    """Real enclosures of the eigenvalues of a symmetric ball matrix (sorted by midpoint).

    Valid for every symmetric matrix inside the balls. Raises SizeLimitError beyond
    :data:`BALL_EIG_MAX`, EnclosureError if the enclosures cannot be computed at this precision.
    """
    M = H if isinstance(H, arb_mat) else to_arb_mat(H)
    p = M.nrows()
    if p > BALL_EIG_MAX:
        est = 0.5 * (p / 100) ** 3
        raise SizeLimitError(f"certified eigenvalues of a {p}×{p} ball matrix: estimated {est:.0f} s "
                             f"(limit p ≤ {BALL_EIG_MAX}); use a determinant test (check_nonsingular) or "
                             "arith='float' to screen")
    with _ArbPrec(prec):
        E = acb_mat(M).eig(multiple=True, nonstop=True)
    out = []
    for e in E:
        re = e.real
        if not re.is_finite():
            return _weyl_fallback(M, prec)
        out.append(re)
    out.sort(key=lambda b: float(b.mid()))
    return out


#: the exact fallback takes a characteristic polynomial of the rational midpoint: fine up to this size
WEYL_FALLBACK_MAX = 80


#: binary exponents beyond which an exact rational of a midpoint or radius is not formed: |x| < 2^-EXP_CUT is replaced
#: by 0 (its size added to the error), |x| ≥ 2^EXP_LIMIT is refused (an exact Fraction of 2^(−3·10¹⁰⁰) — tanh′ at 10¹⁰⁰
#: — would never fit in memory)
EXP_CUT, EXP_LIMIT = 2000, 100_000


def _bounded_fraction(x) -> tuple[Fraction, Fraction]:
    """(q, e) with |x − q| ≤ e for an exact binary number x (an Arb midpoint or radius): q = x exactly and e = 0 when
    2^-EXP_CUT ≤ |x| < 2^EXP_LIMIT, q = 0 and e = 2^-EXP_CUT when |x| is smaller; larger values raise
    :class:`EnclosureError`."""
    from ..numbers import to_fraction

    man, exp = x.mid().man_exp()
    if man == 0:
        return Fraction(0), Fraction(0)
    top = exp + abs(int(man)).bit_length()  # |x| < 2^top
    if top < -EXP_CUT:
        return Fraction(0), Fraction(1, 2**EXP_CUT)
    if top > EXP_LIMIT:
        raise EnclosureError(f"an entry of magnitude ≈ 2^{top} cannot be handled exactly (limit 2^{EXP_LIMIT})")
    return to_fraction(x), Fraction(0)


def symmetric_midpoint(M, prec: int = 128) -> tuple[np.ndarray, Fraction]:
    """(K̂, ε): the symmetrised rational midpoint K̂ of a square ball matrix M (arb_mat or object array) and a
    rational ε ≥ ‖K − K̂‖_F for every symmetric K inside M, |K_ij − K̂_ij| ≤ rad_ij + |K̂_ij − mid M_ij|.
    By Weyl's inequality every eigenvalue of such a K lies within ε of an eigenvalue of K̂."""
    p = M.nrows() if isinstance(M, arb_mat) else M.shape[0]
    parts = [[_bounded_fraction(M[i, j].mid()) for j in range(p)] for i in range(p)]
    mid = [[q for q, _ in row] for row in parts]
    sym = np.array([[(mid[i][j] + mid[j][i]) / 2 for j in range(p)] for i in range(p)], dtype=object)
    e2 = Fraction(0)
    for i in range(p):
        for j in range(p):
            rq, rextra = _bounded_fraction(M[i, j].rad())
            e = rq + rextra + parts[i][j][1] + abs(sym[i, j] - mid[i][j])
            e2 += e * e
    with _ArbPrec(prec):
        eps = ball_bounds(arb(fmpq(e2.numerator, e2.denominator)).sqrt())[1]
    return sym, eps


def _weyl_fallback(M, prec: int) -> list:
    """Enclosures when Arb cannot isolate the eigenvalues (clusters, e.g. repeated zero eigenvalues):
    the exact eigenvalues of the symmetrised rational midpoint K̂ (exact characteristic polynomial and
    real-root isolation, multiplicities kept), each widened by ‖M − K̂‖_F ≥ ‖M − K̂‖₂ (Weyl)."""
    p = M.nrows()
    if p > WEYL_FALLBACK_MAX:
        raise EnclosureError(f"eigenvalue enclosures failed at {prec} bits (clustered eigenvalues); raise the "
                              "precision")
    sym, widen = symmetric_midpoint(M, prec)
    out = []
    f = exact_charpoly(sym)
    with _ArbPrec(prec):
        # squarefree factors by FLINT's exact factorisation, then FLINT's rigorous root isolation of each
        # (arb_fmpz_poly_complex_roots): every root of K̂'s characteristic polynomial is real (K̂ is symmetric),
        # so the real part of each isolating complex ball encloses it. Much faster than sympy's real-root
        # isolation on the large coefficients of a charpoly with repeated roots.
        _, factors = f.factor()
        for g, m in factors:
            for r, m2 in g.complex_roots():
                lo, hi = ball_bounds(r.real)
                lo, hi = lo - widen, hi + widen
                ball = arb(fmpq(lo.numerator, lo.denominator)).union(arb(fmpq(hi.numerator, hi.denominator)))
                b_lo, b_hi = ball_bounds(ball)  # exact endpoints: the ball must hold [lo, hi] (no rounded test)
                if not (b_lo <= lo and hi <= b_hi):  # pragma: no cover
                    raise EnclosureError("internal: the Weyl-widened root enclosure lost its root")
                out.extend([ball] * (m * m2))
    if len(out) != p:  # pragma: no cover - the charpoly has degree p
        raise EnclosureError(f"found {len(out)} eigenvalues of a {p}×{p} matrix")
    out.sort(key=lambda b: float(b.mid()))
    return out
