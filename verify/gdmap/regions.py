"""Activation regions: points inside them, and the loss on them as an exact sparse polynomial.

A region is the set of θ with a fixed activation pattern (``objective.region(θ)``); the loss is
analytic there, and for networks whose activations are polynomial on their pieces (ReLU, leaky
ReLU, |x|, hard-tanh, x^p) with a square loss it is a polynomial in θ with rational coefficients
(``shared/theory/gd_map.md`` §2, "Computing E exactly").
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp
from sympy import QQ
from sympy.polys.rings import ring

from ..errors import InputError, RegionBoundaryError
from ..numbers import fraction_array


def region_of(objective, theta):
    """The activation pattern at θ (``()`` for an objective without pieces)."""
    reg = getattr(objective, "region", None)
    return () if reg is None else reg(theta)


def _same_region(objective, theta, pattern) -> bool:
    try:
        got = region_of(objective, theta)
    except RegionBoundaryError:
        return False
    return _patterns_equal(got, pattern)


def _patterns_equal(a, b) -> bool:
    if len(a) != len(b):
        return False
    return all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(a, b))


def random_region_points(objective, theta, count: int, rng: np.random.Generator, scale=Fraction(1, 8),
                         den: int = 997, max_tries: int = 60) -> list[np.ndarray]:
    """``count`` random rational points of the region of θ (θ itself not included).

    Points θ + δ with δ_j = k_j/den · scale, k_j uniform in [−den, den]; a point that leaves the
    region is rejected and the scale halved after repeated rejections. The region is open, so
    small perturbations stay inside; rationals keep every later computation exact.
    """
    th = fraction_array(theta, what="θ")
    pattern = region_of(objective, th)
    out = []
    tries = 0
    s = Fraction(scale)
    while len(out) < count:
        ks = rng.integers(-den, den + 1, size=th.shape)
        cand = np.array([t + Fraction(int(k), den) * s for t, k in zip(th, ks)], dtype=object)
        if _same_region(objective, cand, pattern):
            out.append(cand)
            continue
        tries += 1
        if tries % 4 == 0:
            s /= 2
        if tries > max_tries:
            raise InputError(f"could not find {count} random points in the region of θ after {max_tries} tries "
                             "(is θ extremely close to a region boundary?)")
    return out


def is_polynomial_objective(objective) -> bool:
    """Is the objective a polynomial with rational coefficients on each region?"""
    from ..models.objective import SquareLoss, SympyObjective

    if isinstance(objective, SquareLoss):
        return all(act.polynomial_pieces for act in objective.net.activations)
    if isinstance(objective, SympyObjective):
        pw = objective.pieces()
        exprs = [objective.expr] if not pw else [b[0] for node in pw for b in node.args] + [objective.expr.xreplace(
            {node: sp.Integer(0) for node in pw})]
        return all(e.is_polynomial(*objective.variables) and _rational_coeffs(e, objective.variables) for e in exprs)
    return False


def _rational_coeffs(expr, variables) -> bool:
    try:
        poly = sp.Poly(expr, *variables)
    except sp.PolynomialError:
        return False
    return all(c.is_Rational for c in poly.coeffs())


class RegionPolynomial:
    """The loss on one region as a sparse polynomial over Q (sympy ``PolyElement``), with lazily
    computed gradient entries and Hessian columns (exact symbolic derivatives)."""

    def __init__(self, objective, pattern):
        syms = list(objective.symbols)
        self.ring, *self.gens = ring(syms, QQ)
        self.p = len(syms)
        self.poly = _region_poly(objective, pattern, self.ring, self.gens)
        self._grad = {}
        self._hcol = {}

    def grad(self, k: int):
        if k not in self._grad:
            self._grad[k] = self.poly.diff(self.gens[k])
        return self._grad[k]

    def hessian_column(self, k: int) -> list:
        """[∂²L/∂θ_i∂θ_k for i = 0..p−1] as polynomials."""
        if k not in self._hcol:
            g = self.grad(k)
            self._hcol[k] = [g.diff(x) for x in self.gens]
        return self._hcol[k]

    def hessian_times(self, w: list) -> list:
        """H(θ) w(θ) for a vector w of polynomials: Σ_k w_k ∇(∂_k L) (only columns with w_k ≠ 0)."""
        out = [self.ring.zero] * self.p
        for k, wk in enumerate(w):
            if wk:
                col = self.hessian_column(k)
                out = [o + wk * c for o, c in zip(out, col)]
        return out

    def hessian_is_constant(self) -> bool:
        """True iff every Hessian entry is a constant, i.e. the loss has total degree ≤ 2."""
        return all(sum(m) <= 2 for m in self.poly.monoms()) if self.poly else True


def _region_poly(objective, pattern, R, gens):
    from ..models.objective import SquareLoss, SympyObjective

    if isinstance(objective, SympyObjective):
        return R.from_expr(sp.expand(objective.on_region(pattern)))
    if not isinstance(objective, SquareLoss):
        raise InputError(f"{type(objective).__name__} is not polynomial on its regions")
    net, data = objective.net, objective.data
    from ..models.activation import Z

    piece_coeffs = []
    for act in net.activations:
        piece_coeffs.append([[QQ(int(c.p), int(c.q)) for c in sp.Poly(pc, Z).all_coeffs()] for pc in act.pieces])
    total = R.zero
    for i in range(data.n):
        h = [R(QQ(q.numerator, q.denominator)) for q in data.X_exact[i]]
        for l in range(1, net.depth + 1):
            W = net.block(f"W{l}")
            m, mp = W.shape
            Wv = gens[W.slice]
            z = [sum((Wv[a * mp + b] * h[b] for b in range(mp)), R.zero) for a in range(m)]
            if net.bias:
                bv = gens[net.block(f"b{l}").slice]
                z = [z[a] + bv[a] for a in range(m)]
            if l < net.depth:
                pat = np.asarray(pattern[l - 1])
                new = []
                for a in range(m):
                    coeffs = piece_coeffs[l - 1][int(pat[i, a])]
                    acc = R.zero
                    for c in coeffs:  # Horner
                        acc = acc * z[a] + c
                    new.append(acc)
                h = new
            else:
                h = z
        for o in range(data.k):
            q = data.Y_exact[i, o]
            r = h[o] - QQ(q.numerator, q.denominator)
            total += r * r
    s = objective.scale
    return total * QQ(s.numerator, s.denominator)
