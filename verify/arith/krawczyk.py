"""Certified existence and uniqueness of a zero of a smooth map in a small box (Krawczyk's test).

For F: ℝⁿ → ℝⁿ, continuously differentiable on a box X with midpoint m, any matrix Y and an
enclosure J(X) of the Jacobian over X, the Krawczyk operator

    K(X) = m − Y F(m) + (I − Y J(X)) (X − m)

satisfies: if K(X) lies in the interior of X, then F has exactly one zero in X, and that zero lies
in K(X) ∩ X (Krawczyk 1969; Moore's and Rump's form, see Rump, "Verification methods", Acta Numerica
19, 2010, Thm. 8.1 ff.). Everything is evaluated in Arb ball arithmetic and the containment is
decided on exact rational endpoints (:mod:`verify.arith.decide`).

Used for: critical points ∇L(θ) = 0 from a float or ball θ* (``stability.gd``), KKT points of the
neural correlation function on the sphere (``homogeneous.max_ncf``) and non-degenerate zeros of L
(``pl.alpha``).

``F`` and ``J`` are callables on lists of ``arb`` (a point or a box); they may raise
:class:`~verify.errors.RegionBoundaryError` (the box meets a kink): the test then fails, soundly.

>>> from fractions import Fraction
>>> from flint import arb
>>> F = lambda x: [x[0] * x[0] - 2]                 # zero at √2
>>> J = lambda x: [[2 * x[0]]]
>>> c = certify_zero(F, J, [Fraction(141421356, 10**8)], prec=128)
>>> c.proved, c.box[0].overlaps(arb(2).sqrt()), c.box[0].rad() < 2**-60
(True, True, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from flint import arb, arb_mat, fmpq

from ..errors import UncertifiedValueError, VerifyError
from .ball import _ArbPrec
from .decide import bounds


@dataclass
class ZeroCertificate:
    """Outcome of :func:`certify_zero`. If ``proved``: F has exactly one zero in ``search_box`` and it
    lies in ``box`` (both lists of ``arb``)."""

    proved: bool
    box: list = field(default_factory=list)
    search_box: list = field(default_factory=list)
    radius: Fraction | None = None
    prec: int = 128
    newton_steps: int = 0
    message: str = ""

    def to_dict(self) -> dict:
        return {"proved": self.proved, "method": "Krawczyk operator K(X) ⊂ int X (Arb balls, exact endpoint test)",
                "box": list(self.box), "search_box": list(self.search_box), "radius": self.radius,
                "precision": self.prec, "newton_steps": self.newton_steps, "message": self.message}


def _exact(q: Fraction) -> arb:
    return arb(fmpq(q.numerator, q.denominator))


def _mid_fraction(b: arb) -> Fraction:
    m, e = b.mid().man_exp()
    return Fraction(int(m)) * Fraction(2) ** int(e)


def _ball(v) -> arb:
    """An entry returned by F or J as an ``arb`` (exact ints/rationals are converted exactly)."""
    if isinstance(v, arb):
        return v
    from .decide import to_arb

    return to_arb(v)


def _as_vector(v, n: int) -> list:
    vals = [_ball(x) for x in (v.tolist() if isinstance(v, np.ndarray) else list(v))]
    if len(vals) != n:
        raise UncertifiedValueError(f"F must return {n} values, got {len(vals)}")
    return vals


def _as_matrix(M, n: int) -> list[list]:
    rows = [[_ball(x) for x in r] for r in (M.tolist() if isinstance(M, np.ndarray) else M)]
    if len(rows) != n or any(len(r) != n for r in rows):
        raise UncertifiedValueError(f"the Jacobian must be {n}×{n}")
    return rows


def newton_refine(F, J, x0: list[Fraction], prec: int, steps: int = 30) -> tuple[list[Fraction], int]:
    """Newton iterations on midpoints at ``prec`` bits (non-rigorous: only a good centre for the test)."""
    x = [Fraction(v) for v in x0]
    n = len(x)
    done = 0
    with _ArbPrec(prec):
        for _ in range(steps):
            pt = [_exact(v) for v in x]
            f = [arb(v.mid()) for v in _as_vector(F(pt), n)]
            if not all(v.is_finite() for v in f):
                break
            Jm = arb_mat([[arb(v.mid()) for v in row] for row in _as_matrix(J(pt), n)])
            try:
                d = Jm.solve(arb_mat([[v] for v in f]), nonstop=True)
            except (ZeroDivisionError, ValueError):
                break
            step = [d[i, 0].mid() for i in range(n)]
            if not all(s.is_finite() for s in step):
                break
            x = [xi - _mid_fraction(arb(si)) for xi, si in zip(x, step)]
            done += 1
            if all(abs(_mid_fraction(arb(si))) <= Fraction(1, 2 ** (prec - 4)) * (1 + abs(xi))
                   for si, xi in zip(step, x)):
                break
    return x, done


def krawczyk_test(F, J, center: list[Fraction], radius: Fraction, prec: int) -> ZeroCertificate:
    """One Krawczyk test on the box ``center ± radius`` (componentwise)."""
    n = len(center)
    with _ArbPrec(prec):
        m = [_exact(c) for c in center]   # dyadic rounding of the centre is harmless: X is defined from it
        m = [arb(v.mid()) for v in m]
        r = _exact(radius)
        X = [arb(v.mid(), r.upper()) for v in m]
        try:
            Fm = _as_vector(F(m), n)
            JX = _as_matrix(J(X), n)
            Jmid = np.array([[float(v.mid()) for v in row] for row in _as_matrix(J(m), n)], dtype=float)
        except VerifyError as exc:
            return ZeroCertificate(False, search_box=X, radius=radius, prec=prec, message=f"evaluation failed: {exc}")
        if not np.all(np.isfinite(Jmid)):
            return ZeroCertificate(False, search_box=X, radius=radius, prec=prec, message="non-finite Jacobian")
        try:
            Yf = np.linalg.inv(Jmid)
        except np.linalg.LinAlgError:
            return ZeroCertificate(False, search_box=X, radius=radius, prec=prec,
                                   message="the Jacobian is singular at the centre (a degenerate zero)")
        if not np.all(np.isfinite(Yf)):
            return ZeroCertificate(False, search_box=X, radius=radius, prec=prec, message="ill-conditioned Jacobian")
        Y = arb_mat([[arb(float(v)) for v in row] for row in Yf])  # floats are exact: Y is just some matrix
        Fm_mat = arb_mat([[v] for v in Fm])
        YJ = Y * arb_mat(JX)
        C = arb_mat([[arb(int(i == j)) for j in range(n)] for i in range(n)]) - YJ
        D = arb_mat([[X[i] - m[i]] for i in range(n)])
        K = arb_mat([[v] for v in m]) - Y * Fm_mat + C * D
        box = []
        for i in range(n):
            k = K[i, 0]
            if not k.is_finite():
                return ZeroCertificate(False, search_box=X, radius=radius, prec=prec, message="non-finite K(X)")
            klo, khi = bounds(k)
            xlo, xhi = bounds(X[i])
            if not (xlo < klo and khi < xhi):
                return ZeroCertificate(False, search_box=X, radius=radius, prec=prec,
                                       message=f"K(X) ⊄ int X in coordinate {i}")
            box.append(k)
    return ZeroCertificate(True, box=box, search_box=X, radius=radius, prec=prec,
                           message="F has exactly one zero in the search box; it lies in the returned box")


def certify_zero(F, J, x0, prec: int = 128, radii=None, max_radius: Fraction | None = None,
                 refine: bool = True) -> ZeroCertificate:
    """Prove that F has a unique zero near ``x0`` (exact rationals or floats, converted exactly).

    Newton-refines ``x0`` on midpoints, then runs :func:`krawczyk_test` on boxes of growing radius
    (``radii``, default 2^(−3p/4), 2^(−p/2), 2^(−p/4), 2^−20, 2^−10 for precision p), stopping at the
    first success. Radii above ``max_radius`` are skipped (the zero must be *near* x0).
    """
    from ..numbers import to_fraction

    center = [to_fraction(v, what="x0") for v in x0]
    steps = 0
    if refine:
        center, steps = newton_refine(F, J, center, prec)
    if radii is None:
        radii = [Fraction(1, 2 ** (3 * prec // 4)), Fraction(1, 2 ** (prec // 2)), Fraction(1, 2 ** (prec // 4)),
                 Fraction(1, 2**20), Fraction(1, 2**10)]
    scale = max([Fraction(1)] + [abs(c) for c in center])
    last = ZeroCertificate(False, prec=prec, message="no radius tried")
    for r in radii:
        rr = Fraction(r) * scale
        if max_radius is not None and rr > max_radius:
            continue
        last = krawczyk_test(F, J, center, rr, prec)
        last.newton_steps = steps
        if last.proved:
            return last
    return last


__all__ = ["ZeroCertificate", "certify_zero", "krawczyk_test", "newton_refine"]
