"""Activation regions and analytic pieces: points inside them, whether two points lie in the same
analytic piece, and the loss on a region as an exact sparse polynomial.

A region is the set of θ with a fixed activation pattern P (``objective.region(θ)``: the piece of every
activation input and the selected entry of every max-pooling window); on it the loss equals one expression
E_P (the branches the pattern selects; ``objective.on_region(P)`` for a network loss, built from the
network's own layer definitions). For networks whose activations are polynomial on their pieces (ReLU,
leaky ReLU, |x|, hard-tanh, x^p) — dense, convolutional, pooling (max and average) and residual layers,
any ``vf.nn.Sequential`` of them — with a square loss and rational data, E_P is a polynomial in θ with
rational coefficients (Crăciun & Ghoshdastidar, arXiv:2510.24466 §2, "Computing E exactly").

**Pieces, components and what a verdict may cover.** Results about G_η on a region use the identity
theorem: an analytic function that is non-zero at one point of a *connected* open set U on which it
is analytic vanishes only on a null subset of U. Two situations make a pattern a valid U-substitute:

* ``"pattern"`` scope — E_P is real-analytic on all of R^p (a polynomial; or built from +, ×,
  non-negative integer powers, exp, sin, cos, sinh, cosh, tanh, atan, erf, and powers/logarithms of
  subexpressions that are positive everywhere: sigmoid, softplus, the logistic loss). Then
  det(I − η∇²E_P) is analytic on the connected set R^p, so one non-zero value makes it non-zero
  almost everywhere on *every* component of the pattern. Points with the same pattern may be merged.
  (:func:`pattern_is_global`.)
* ``"component"`` scope — otherwise (e.g. ``sqrt(x**2)``, ``log``, fractional powers, ``1/x``, a user
  ``Piecewise`` whose conditions cut R^p into several pieces with one pattern, activations such as
  z^{3/2}): a verdict covers only the connected component, containing the point, of the open set
  where the pattern is P and E_P is analytic. Two points are merged only when a chain of boxes
  covering the segment between them is certified to lie in that set (:func:`same_piece`); a point at
  which analyticity cannot be certified is not inside any piece (:func:`point_in_piece`).

For a user ``Piecewise`` the pattern is a tuple of branch indices, one per ``Piecewise`` node: it does
*not* identify a connected set (``x**2 > 1`` has two components) and E_P need not be analytic on it
(``sqrt(x**2)`` is |x|: x on one component, −x on the other). Analyticity on a box is certified by
walking L's own expression in ball arithmetic (:func:`analytic_on_box`): every Piecewise condition
decided strictly on the whole box, every ``sqrt``/fractional power/``log`` argument certainly > 0,
every negative power's base and every ``tan``'s cosine certainly ≠ 0. Networks rely on the
activation contract — each piece analytic on its open interval, certified by exact real-root counting
(:func:`network_pieces_analytic`; otherwise no point is used) —: one hidden dense layer gives convex
regions; other networks use boxes on which the pattern is decided in ball arithmetic (:func:`region_of`).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp
from flint import arb, fmpq
from sympy import QQ
from sympy.polys.rings import ring

from ..arith.ball import _ArbPrec, int_power
from ..arith.decide import sign, to_arb
from ..errors import InputError, RegionBoundaryError, UncertifiedValueError
from ..numbers import fraction_array

#: scope kinds (see the module docstring)
PATTERN, COMPONENT = "pattern", "component"
#: bits for the analyticity certificates on boxes (retried once at twice the precision)
BOX_PREC = 128


def region_of(objective, theta, prec: int = BOX_PREC):
    """The activation pattern at θ (``()`` for an objective without pieces).

    θ may be a ball vector (an orbit point enclosed in ball arithmetic, or a box): for a network loss the
    pattern is then decided in ball arithmetic over the whole ball (a ball meeting a boundary raises
    :class:`RegionBoundaryError`), also for networks whose ``region`` would otherwise work exactly — and so
    it is when exact arithmetic is refused (an activation piece with an irrational coefficient)."""
    reg = getattr(objective, "region", None)
    if reg is None:
        return ()
    from ..errors import ArithmeticNotSupportedError
    from ..models.objective import NetworkLoss

    if not isinstance(objective, NetworkLoss):
        return reg(theta)
    if not _has_balls(theta):
        try:
            return reg(theta)
        except ArithmeticNotSupportedError:
            pass  # exact arithmetic refused (e.g. a piece √2·z): decide the pattern in ball arithmetic
    from ..arith import get_arith

    a = get_arith("ball", prec)
    with a.context():
        th = a.array(theta, what="θ")
        if th.shape != (objective.n_params,):
            raise InputError(f"θ must have {objective.n_params} entries, got shape {th.shape}")
        X, _ = objective.data.in_arith(a)
        return objective.net.engine(a).region(th, X)


def _has_balls(theta) -> bool:
    """Does θ hold an ``arb`` of positive radius (a ball, not an exact number)?"""
    try:
        return any(isinstance(x, arb) and not x.is_exact() for x in np.asarray(theta, dtype=object).reshape(-1))
    except (TypeError, ValueError):
        return False


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


# ------------------------------------------------------------------------------- analytic pieces
def piece_expression(objective, pattern) -> sp.Expr:
    """E_P: the expression of a sympy objective on the pattern P, every ``Piecewise`` node (nested ones
    too) replaced by the branch P selects."""
    pw = objective.pieces()
    if len(pattern) != len(pw):
        raise InputError(f"a pattern gives one branch index per Piecewise node ({len(pw)}), got {len(pattern)}")
    mapping = {node: node.args[int(b)][0] for node, b in zip(pw, pattern)}
    e = objective.expr
    for _ in range(len(pw) + 1):
        new = e.xreplace(mapping)
        if new == e:
            break
        e = new
    if e.has(sp.Piecewise):
        raise InputError(f"could not resolve every Piecewise node of {objective.expr} on the pattern {pattern}")
    return e


_ENTIRE = (sp.exp, sp.sin, sp.cos, sp.sinh, sp.cosh, sp.tanh, sp.atan, sp.erf)


def globally_analytic(e) -> bool:
    """Is the real expression ``e`` (real symbols) certainly real-analytic on all of R^p?

    A sufficient, syntactic test: rationals, π, e, symbols, +, ×, non-negative integer powers, the
    functions exp, sin, cos, sinh, cosh, tanh, atan, erf, and negative/fractional powers or logarithms
    only of subexpressions proved positive everywhere by :func:`_positive` (1 + exp(−z), …)."""
    if e.is_Symbol or e.is_Rational or e is sp.pi or e is sp.E:
        return True
    if e.is_Float:
        return True
    if e.is_Add or e.is_Mul:
        return all(globally_analytic(a) for a in e.args)
    if e.is_Pow:
        base, ex = e.args
        if ex.is_Integer and ex >= 0:
            return globally_analytic(base)
        if base is sp.E:
            return globally_analytic(ex)
        return globally_analytic(base) and globally_analytic(ex) and _positive(base)
    if isinstance(e, _ENTIRE):
        return globally_analytic(e.args[0])
    if isinstance(e, sp.log):
        return globally_analytic(e.args[0]) and _positive(e.args[0])
    return False


def _positive(e) -> bool:
    """e(θ) > 0 for every real θ (syntactic proof; False means 'not proved')."""
    if e.is_Rational or e.is_Float:
        return bool(e > 0)
    if e is sp.pi or e is sp.E:
        return True
    if isinstance(e, sp.exp | sp.cosh):
        return globally_analytic(e.args[0])
    if e.is_Add:
        return all(_nonneg(a) for a in e.args) and any(_positive(a) for a in e.args)
    if e.is_Mul:
        return all(_positive(a) for a in e.args)
    if e.is_Pow:
        base, ex = e.args
        if base is sp.E:
            return globally_analytic(ex)
        return _positive(base) and globally_analytic(ex)
    return False


def _nonneg(e) -> bool:
    if _positive(e):
        return True
    if e.is_Rational or e.is_Float:
        return bool(e >= 0)
    if e.is_Pow:
        base, ex = e.args
        return bool(ex.is_Integer and ex >= 0 and ex % 2 == 0 and globally_analytic(base))
    if e.is_Add or e.is_Mul:
        return all(_nonneg(a) for a in e.args)
    return False


def _poly_sign_on_interval(g, var, lo, hi, strict_positive: bool) -> bool:
    """g (a polynomial in ``var`` with rational coefficients) has no root in the open interval (lo, hi)
    (None = unbounded) — and, if ``strict_positive``, is positive there. Decided exactly."""
    try:
        P = sp.Poly(g, var)
    except sp.PolynomialError:
        return False
    if not all(c.is_Rational for c in P.coeffs()):
        return False
    if P.is_zero:
        return False
    lo_s = None if lo is None else sp.Rational(lo.numerator, lo.denominator)
    hi_s = None if hi is None else sp.Rational(hi.numerator, hi.denominator)
    if P.degree() > 0:
        n = P.count_roots(lo_s, hi_s)  # roots in the closed interval
        n -= sum(1 for b in (lo_s, hi_s) if b is not None and P.eval(b) == 0)
        if n:
            return False
    if not strict_positive:
        return True
    if lo_s is not None and hi_s is not None:
        t = (lo_s + hi_s) / 2
    elif lo_s is not None:
        t = lo_s + 1
    elif hi_s is not None:
        t = hi_s - 1
    else:
        t = sp.Integer(0)
    return bool(P.eval(t) > 0)


def analytic_on_interval(e, var, lo, hi) -> bool:
    """Is the expression e(var) real-analytic on the open interval (lo, hi)? (None = unbounded.)

    Sufficient test: :func:`globally_analytic` constructs, plus negative powers of polynomials without a
    root in the interval and fractional powers / logarithms of polynomials positive on it (decided
    exactly by real-root counting)."""
    if globally_analytic(e):
        return True
    if e.is_Add or e.is_Mul:
        return all(analytic_on_interval(a, var, lo, hi) for a in e.args)
    if e.is_Pow:
        base, ex = e.args
        if base is sp.E:
            return analytic_on_interval(ex, var, lo, hi)
        if not analytic_on_interval(base, var, lo, hi):
            return False
        if ex.is_Integer:
            return int(ex) >= 0 or _positive(base) or _poly_sign_on_interval(base, var, lo, hi, False)
        return globally_analytic(ex) and (_positive(base) or _poly_sign_on_interval(base, var, lo, hi, True))
    if isinstance(e, _ENTIRE):
        return analytic_on_interval(e.args[0], var, lo, hi)
    if isinstance(e, sp.log):
        a = e.args[0]
        return analytic_on_interval(a, var, lo, hi) and (_positive(a) or _poly_sign_on_interval(a, var, lo, hi, True))
    return False


def network_pieces_analytic(objective) -> bool:
    """Does every activation piece f_j satisfy the activation contract — f_j real-analytic on its open
    interval (b_j, b_{j+1}) — *certifiably* (:func:`analytic_on_interval`)? Then L's expression on a
    pattern is analytic on the whole (open) region."""
    from ..models.activation import Z

    for act in objective.net.activation_list:
        bps = [Fraction(int(b.p), int(b.q)) for b in act.breakpoints]
        ends = [None, *bps, None]
        for j, pc in enumerate(act.pieces):
            if not analytic_on_interval(sp.sympify(pc), Z, ends[j], ends[j + 1]):
                return False
    return True


def pattern_is_global(objective, pattern) -> bool:
    """Is L's expression on the pattern real-analytic on all of R^p (``"pattern"`` scope)?"""
    from ..models.objective import CrossEntropyLoss, LogisticLoss, SquareLoss, SympyObjective

    if isinstance(objective, SquareLoss | LogisticLoss | CrossEntropyLoss):
        # the losses ℓ (square, log(1 + e^(−t)), log Σ e^(F_c) − F_y) are analytic on all of R^k, and so are the
        # layers other than activations on a fixed pattern (dense, convolutions, average pooling, the entry a
        # max pool selects, residual sums, softmax attention: exp over a positive sum): E_P is analytic on R^p
        # when every activation piece is
        from ..models.activation import Z

        return all(globally_analytic(sp.sympify(pc)) and pc.free_symbols <= {Z}
                   for act in objective.net.activation_list for pc in act.pieces)
    if isinstance(objective, SympyObjective):
        try:
            return globally_analytic(piece_expression(objective, pattern) if pattern else objective.expr)
        except InputError:
            return False
    return False


def _rat_arb(e):
    r = sp.Rational(e)
    return arb(fmpq(int(r.p), int(r.q)))


def _strict_sign(x) -> int | None:
    """+1 / −1 when the enclosure certainly excludes 0, else None (exact 0 included: a boundary)."""
    try:
        s = sign(x)
    except UncertifiedValueError:
        return None
    return None if s in (None, 0) else s


class _BoxWalker:
    """Enclosures of subexpressions over a box, or None where analyticity is not certified."""

    _FUNCS = {sp.exp: "exp", sp.sin: "sin", sp.cos: "cos", sp.sinh: "sinh", sp.cosh: "cosh",
              sp.tanh: "tanh", sp.atan: "atan", sp.erf: "erf"}

    def __init__(self, env: dict):
        self.env = env
        self.memo: dict = {}

    def value(self, e):
        if e in self.memo:
            return self.memo[e]
        v = self._value(e)
        if v is not None and not v.is_finite():
            v = None
        self.memo[e] = v
        return v

    def _value(self, e):
        if e.is_Symbol:
            return self.env.get(e)
        if e.is_Rational or e.is_Float:
            return _rat_arb(e)
        if e is sp.pi:
            return arb.pi()
        if e is sp.E:
            return arb(1).exp()
        if e.is_Add or e.is_Mul:
            vals = [self.value(a) for a in e.args]
            if any(v is None for v in vals):
                return None
            out = vals[0]
            for v in vals[1:]:
                out = out + v if e.is_Add else out * v
            return out
        if e.is_Pow:
            base, ex = e.args
            if base is sp.E:
                x = self.value(ex)
                return None if x is None else x.exp()
            b = self.value(base)
            if b is None:
                return None
            if ex.is_Integer:
                n = int(ex)
                if n >= 0:
                    return int_power(b, n)
                return None if _strict_sign(b) is None else 1 / int_power(b, -n)
            if _strict_sign(b) != 1:  # fractional/real powers: analytic only where the base is > 0
                return None
            if ex.is_Rational:
                return b ** fmpq(int(ex.p), int(ex.q))
            x = self.value(ex)
            return None if x is None else (x * b.log()).exp()
        if type(e) in self._FUNCS:
            x = self.value(e.args[0])
            return None if x is None else getattr(x, self._FUNCS[type(e)])()
        if isinstance(e, sp.log):
            x = self.value(e.args[0])
            return None if x is None or _strict_sign(x) != 1 else x.log()
        if isinstance(e, sp.tan):
            x = self.value(e.args[0])
            return None if x is None or _strict_sign(x.cos()) is None else x.tan()
        if isinstance(e, sp.Piecewise):
            for val, cond in e.args:
                c = self.condition(cond)
                if c is None:
                    return None
                if c:
                    return self.value(val)
            return None
        return None

    def condition(self, c) -> bool | None:
        """True/False when decided strictly on the whole box by analytic functions, else None."""
        if c is sp.true:
            return True
        if c is sp.false:
            return False
        if isinstance(c, sp.And | sp.Or):
            parts = [self.condition(t) for t in c.args]
            if any(p is None for p in parts):
                return None
            return all(parts) if isinstance(c, sp.And) else any(parts)
        if isinstance(c, sp.Not):
            inner = self.condition(c.args[0])
            return None if inner is None else not inner
        if isinstance(c, sp.StrictLessThan | sp.LessThan | sp.StrictGreaterThan | sp.GreaterThan):
            g = self.value(c.lhs - c.rhs)
            s = None if g is None else _strict_sign(g)
            if s is None:
                return None
            less = isinstance(c, sp.StrictLessThan | sp.LessThan)
            return (s < 0) == less
        return None


def analytic_on_box(objective, box, pattern, prec: int = BOX_PREC) -> bool:
    """Certify that the box (a list of ``arb``; exact points allowed) lies in the open set where the
    pattern is ``pattern`` and L's expression on it is analytic. False means "not certified"."""
    from ..models.objective import NetworkLoss, SympyObjective

    for pr in (prec, 2 * prec):
        with _ArbPrec(pr):
            try:
                got = region_of(objective, box, pr)
            except (RegionBoundaryError, InputError):
                continue
            if not _patterns_equal(got, pattern):
                return False
            if isinstance(objective, NetworkLoss):
                # each piece is certified analytic on its open interval, and the pattern, decided on the
                # whole box, keeps every pre-activation inside one interval
                return network_pieces_analytic(objective)
            if not isinstance(objective, SympyObjective):
                return False
            walker = _BoxWalker(dict(zip(objective.variables, box)))
            if walker.value(objective.expr) is not None:
                return True
    return False


def _box(a, b, prec: int) -> list:
    return [to_arb((min(x, y), max(x, y)), prec) for x, y in zip(a, b)]


def point_in_piece(objective, theta, pattern, prec: int = BOX_PREC) -> bool:
    """Is the exact point θ (or the ball vector θ) certified inside the analytic piece of its pattern?
    Always True for ``"pattern"`` scope."""
    if pattern_is_global(objective, pattern):
        return True
    box = [x if isinstance(x, arb) else to_arb(x, prec) for x in theta]
    return analytic_on_box(objective, box, pattern, prec)


def _convex_regions(net) -> bool:
    """Are the activation regions of ``net`` convex sets of θ? True for a one-hidden-layer dense network
    (``net.dense_chain()`` of depth 2): its only site is the activation of z = W₁x + b₁, affine in θ, so a
    pattern is an intersection of slabs. Other networks are not claimed convex (their regions are covered by
    certified boxes instead)."""
    chain = net.dense_chain()
    return chain is not None and chain.depth == 2


def same_piece(objective, pattern, a, b, *, max_depth: int = 6, prec: int = BOX_PREC) -> bool:
    """Certify that the exact points a and b lie in one connected component of the open set where the
    pattern is P and E_P is analytic: the segment [a, b] is covered by the bounding boxes of
    sub-segments (bisected up to ``max_depth`` times), each certified by :func:`analytic_on_box`.
    For ``"pattern"`` scope only the patterns are compared; for one-hidden-layer networks the region
    is convex (pre-activations are affine in θ)."""
    if not (_same_region(objective, a, pattern) and _same_region(objective, b, pattern)):
        return False
    if pattern_is_global(objective, pattern):
        return True
    from ..models.objective import NetworkLoss

    if isinstance(objective, NetworkLoss) and _convex_regions(objective.net) and network_pieces_analytic(objective):
        return True  # convex region (pre-activations affine in θ), pieces analytic on their intervals
    a = fraction_array(a, what="θ")
    b = fraction_array(b, what="θ")

    def covered(x, y, depth) -> bool:
        if analytic_on_box(objective, _box(x, y, prec), pattern, prec):
            return True
        if depth == 0:
            return False
        m = np.array([(u + v) / 2 for u, v in zip(x, y)], dtype=object)
        return covered(x, m, depth - 1) and covered(m, y, depth - 1)

    return covered(a, b, max_depth)


def scope_kind(objective, pattern) -> str:
    return PATTERN if pattern_is_global(objective, pattern) else COMPONENT


def random_region_points(objective, theta, count: int, rng: np.random.Generator, scale=Fraction(1, 8),
                         den: int = 997, max_tries: int = 60) -> list[np.ndarray]:
    """``count`` random rational points of the analytic piece of θ (θ itself not included).

    Points θ + δ with δ_j = k_j/den · scale, k_j uniform in [−den, den]; a point is kept only if it
    has θ's pattern and, when the pattern is not globally analytic, :func:`same_piece` certifies it
    lies in θ's component; otherwise it is rejected and the scale halved after repeated rejections.
    The piece is open, so small perturbations stay inside; rationals keep later computations exact.
    """
    th = fraction_array(theta, what="θ")
    pattern = region_of(objective, th)
    glob = pattern_is_global(objective, pattern)
    out = []
    tries = 0
    s = Fraction(scale)
    while len(out) < count:
        ks = rng.integers(-den, den + 1, size=th.shape)
        cand = np.array([t + Fraction(int(k), den) * s for t, k in zip(th, ks)], dtype=object)
        if _same_region(objective, cand, pattern) and (glob or same_piece(objective, pattern, th, cand)):
            out.append(cand)
            continue
        tries += 1
        if tries % 4 == 0:
            s /= 2
        if tries > max_tries:
            raise InputError(f"could not find {count} random points in the analytic piece of θ after {max_tries} "
                             "tries (is θ extremely close to a region boundary or a point where the loss is not "
                             "analytic?)")
    return out


def is_polynomial_objective(objective) -> bool:
    """Is the objective a polynomial with rational coefficients on each region (so that exact
    arithmetic evaluates it, its derivatives and its Piecewise conditions)?"""
    from ..models.objective import SquareLoss, SympyObjective

    if isinstance(objective, SquareLoss):
        # dense/convolution/pooling/residual layers are polynomial (average pooling: rational coefficients) on a
        # fixed pattern; the net's exact obstacle is the first layer that is not (a non-polynomial activation
        # piece, softmax attention). A piece such as √2·z is polynomial but not over Q: no exact arithmetic.
        from ..models.activation import Z

        return objective.net.exact_obstacle() is None and all(
            _rational_coeffs(sp.sympify(pc), [Z]) for act in objective.net.activation_list for pc in act.pieces)
    if isinstance(objective, SympyObjective):
        return _piecewise_polynomial(objective.expr, objective.variables)
    return False


def _piecewise_polynomial(e, variables) -> bool:
    """Polynomial with rational coefficients on every branch, nested Piecewise included, with
    polynomial conditions."""
    nodes = e.atoms(sp.Piecewise)
    if not nodes:
        return bool(e.is_polynomial(*variables)) and _rational_coeffs(e, variables)
    dummies = {n: sp.Dummy() for n in nodes}
    stripped = e.xreplace(dummies)  # the outermost nodes become symbols
    used = [n for n, d in dummies.items() if stripped.has(d)]
    ds = [dummies[n] for n in used]
    if not (stripped.is_polynomial(*variables, *ds) and _rational_coeffs(stripped, [*variables, *ds])):
        return False
    for n in used:
        for val, cond in n.args:
            if not _piecewise_polynomial(val, variables):
                return False
            for rel in cond.atoms(sp.core.relational.Relational):
                if not _piecewise_polynomial(rel.lhs - rel.rhs, variables):
                    return False
    return True


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
    """E_P as an element of the ring R = Q[θ]: the sympy objective's branch expression, or the network
    loss's own expression on the pattern (``objective.on_region``: the network's single forward definition
    interpreted with each activation replaced by the selected piece and each max pool by the selected
    entry), converted by ring arithmetic (no symbolic expansion)."""
    from ..models.objective import SquareLoss, SympyObjective

    if isinstance(objective, SympyObjective):
        return R.from_expr(sp.expand(piece_expression(objective, pattern) if pattern else objective.expr))
    if not isinstance(objective, SquareLoss) or not is_polynomial_objective(objective):
        raise InputError(f"{type(objective).__name__} is not polynomial on its regions")
    return R.from_expr(objective.on_region(pattern))
