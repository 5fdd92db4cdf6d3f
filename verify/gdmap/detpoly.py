"""det(I − η ∇²L(θ)) as a polynomial in η (Crăciun & Ghoshdastidar, arXiv:2510.24466 §1).

With χ(λ) = det(λI − H) = Σ_j a_j λ^j (a_p = 1) the characteristic polynomial of H = ∇²L(θ),
det(I − ηH) = η^p χ(1/η) = Σ_k a_{p−k} η^k — the reversed characteristic polynomial. Computed from
python-flint's ``fmpq_mat.charpoly`` (exact) or ``arb_mat.charpoly`` (certified enclosures of each
coefficient), never by expanding a symbolic determinant.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from .. import validate
from ..arith import get_arith
from ..arith.eigen import EXACT_CHARPOLY_MAX, exact_charpoly, real_root_intervals, to_arb_mat
from ..errors import InputError, SizeLimitError
from ..numbers import to_fraction

ETA = sp.Symbol("eta", positive=True)
#: arb_mat.charpoly took 0.19 s at p = 100 and 15.6 s at p = 300 (128 bits): ~ p⁴
BALL_CHARPOLY_MAX = 300


@dataclass
class DetPolynomial:
    """det(I − ηH) = Σ_k coeffs[k] η^k; ``coeffs`` are fmpq (exact) or arb (ball)."""

    coeffs: list
    arith: str
    prec: int | None = None
    charpoly: object = None  # the fmpq_poly χ (exact only)

    @property
    def degree(self) -> int:
        """The formal degree in η: ``len(coeffs) − 1`` (p for a p × p Hessian; the leading coefficient
        (−1)^p det H may be 0)."""
        return len(self.coeffs) - 1

    def __call__(self, eta):
        """Value at η: exact (fmpq) for a rational η in exact arithmetic, else a ball."""
        q = to_fraction(eta, what="η")
        a = get_arith(self.arith, self.prec)
        with a.context():
            x = a.const(q)
            acc = a.const(Fraction(0))
            for c in reversed(self.coeffs):
                acc = acc * x + c
            return acc

    def as_sympy(self, eta: sp.Symbol = ETA) -> sp.Expr:
        """The polynomial in sympy (exact coefficients; ball midpoints are refused)."""
        if self.arith != "exact":
            raise InputError("as_sympy needs the exact polynomial (arith='exact'); ball coefficients are enclosures")
        return sp.Add(*[sp.Rational(int(c.p), int(c.q)) * eta**k for k, c in enumerate(self.coeffs)])

    def roots(self) -> list:
        """Exact real roots η (sorted; a root η ↔ eigenvalue 1/η), exact arithmetic only."""
        if self.arith != "exact":
            raise InputError("exact roots need arith='exact'")
        from flint import fmpq_poly

        return real_root_intervals(fmpq_poly(list(self.coeffs)))


def det_polynomial(objective, theta, arith: str = "exact", prec: int | None = None) -> DetPolynomial:
    """det(I − η∇²L(θ)) as a polynomial in η: exact coefficients (``"exact"``, rational θ and a
    polynomial region) or certified enclosures (``"ball"``)."""
    if arith not in ("exact", "ball"):
        raise InputError(f"det_polynomial is certified only: arith must be 'exact' or 'ball', got {arith!r}")
    if prec is not None:
        prec = validate.precision(prec, "prec")
    p = objective.n_params
    a = get_arith(arith, prec)
    if arith == "exact":
        if p > EXACT_CHARPOLY_MAX:
            raise SizeLimitError(f"p = {p} exceeds the exact characteristic-polynomial limit {EXACT_CHARPOLY_MAX}; "
                                 "use arith='ball' or check_nonsingular (a determinant at each η)")
        H = objective.hessian(theta, "exact")
        chi = exact_charpoly(H)
        c = chi.coeffs()
        return DetPolynomial([c[p - k] for k in range(p + 1)], "exact", None, chi)
    if p > BALL_CHARPOLY_MAX:
        est = 0.19 * (p / 100) ** 4
        raise SizeLimitError(f"a ball characteristic polynomial at p = {p} is estimated at {est:.0f} s "
                             f"(limit {BALL_CHARPOLY_MAX}); evaluate det(I − ηH) at the step sizes you need "
                             "with check_nonsingular instead")
    H = objective.hessian(theta, a, prec)
    with a.context():
        chi = to_arb_mat(H).charpoly()
        c = chi.coeffs()
    return DetPolynomial([c[p - k] for k in range(p + 1)], "ball", a.prec)
