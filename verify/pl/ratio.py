"""The PL ratio ‖∇L(θ)‖² / L(θ) (Chatterjee, arXiv:2203.16462; ``docs/theory/local_pl.md`` §1.1).

α(x0, r) = inf over the closed ball B(x0, r) (points with L = 0 excluded) of this ratio; the local
PL criterion 4L(x0) < r²α guarantees linear convergence of gradient flow (and, with a step-size
condition, of GD) to a zero of L inside the ball.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..arith import get_arith
from ..errors import InputError


def ratio(objective, theta, arith="float", prec=None):
    """‖∇L(θ)‖² / L(θ) in any arithmetic. L(θ) = 0 is an error (the ratio is not defined there:
    α excludes such points); a negative L is an error (the criterion needs L ≥ 0)."""
    a = get_arith(arith, prec)
    L = objective.value(theta, a, prec)
    g = objective.grad(theta, a, prec)
    with a.context():
        num = a.sum(g * g)
        _check_positive(L, a)
        return num / L


def _check_positive(L, a):
    if a.certified:  # an enclosure (or an exact value): decided on its exact endpoints
        lo, hi = a.bounds(L)
        if hi < 0:
            raise InputError(f"L(θ) = {L} < 0: the PL criterion needs a non-negative objective")
        if lo == hi == 0:
            raise InputError("L(θ) = 0: the PL ratio is undefined at a zero of the objective")
        return
    v = float(L)
    if v < 0:
        raise InputError(f"L(θ) = {L} < 0: the PL criterion needs a non-negative objective")
    if v == 0:
        raise InputError("L(θ) = 0: the PL ratio is undefined at a zero of the objective")


def simplified_ratio_expr(objective):
    """For a sympy objective: the ratio ‖∇f‖²/f as a cancelled rational expression (or None).

    Cancelling common factors removes the removable 0/0 at zeros of f (f = x² gives 4): box
    enclosures of the cancelled form stay finite near the zeros, which branch-and-bound needs.
    """
    from ..models.objective import SympyObjective

    if not isinstance(objective, SympyObjective) or objective.pieces():
        return None
    # sympy Float arithmetic rounds (diff(0.1·x³) gives a rounded 0.3): use the exact binary values
    f = objective.expr.xreplace({c: sp.Rational(c) for c in objective.expr.atoms(sp.Float)})
    if f.is_zero:
        return None  # L ≡ 0: no ratio anywhere (α = +∞); the box enclosures of L say so
    num = sp.Add(*[sp.diff(f, v) ** 2 for v in objective.variables])
    try:
        nf, df = sp.fraction(sp.together(f))
        g = sp.gcd(sp.expand(num * df**2), sp.expand(nf))
    except (sp.PolynomialError, TypeError):
        return num / f
    if g.is_number:
        return num / f  # nothing cancels: keep the unexpanded form (less interval dependency)
    return sp.factor(sp.cancel(sp.together(num / f)))  # factored: fewer repeated variables than expanded


def numeric_ratio_and_grad(objective, x: np.ndarray):
    """(ratio, ∇ratio) in float64 at x: ∇(g·g/L) = 2Hg/L − (g·g) g / L² (one Hessian-vector product)."""
    L = float(objective.value(x, "float"))
    g = np.asarray(objective.grad(x, "float"), dtype=float)
    if not np.isfinite(L) or L <= 0:
        return np.inf, np.zeros_like(x)
    Hg = np.asarray(objective.hvp(x, g, "float"), dtype=float)
    gg = float(g @ g)
    return gg / L, 2 * Hg / L - gg * g / L**2
