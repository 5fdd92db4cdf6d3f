"""Linear stability of critical points under GD and SGD (the GD-map setting of arXiv:2510.24466, §3).

Every PROVED/REFUTED below is decided on exact rational endpoints or by exact algebra
(:mod:`verify.arith.decide`, exact characteristic polynomials and Sturm counts) — never by a float
comparison, a tolerance, ``nsimplify`` or python-flint's global precision.

GD (:func:`gd`)
    G_η(θ) = θ − η∇L(θ). A point θ* is a *fixed point* of G_η iff ∇L(θ*) = 0, and its linearisation
    is DG_η(θ*) = I − η∇²L(θ*), with eigenvalues 1 − ηλ for the Hessian eigenvalues λ.

    The claim checked is "θ* is a linearly stable minimum of GD at η". The verdicts:

    * PROVED (a) — *hyperbolic*: θ* is a certified critical point and every Hessian eigenvalue lies in
      the open interval (0, 2/η). Then θ* is a strict local minimum (∇²L ≻ 0) and, DG having spectral
      radius < 1, an asymptotically stable fixed point of G_η (classification ``stable``).
    * PROVED (b) — *non-strict, at a certified global minimum*: θ* is a certified critical point, every
      eigenvalue lies in [0, 2/η), some may be 0 — allowed only when θ* is certified to be a global
      minimum by other means: L(θ*) = 0 is certified and L ≥ 0 everywhere is known structurally
      (:func:`verify.pl.nonnegativity`: square and logistic losses, sympy-provable sign). This is the
      over-parameterised setting of Wu, Ma & E (NeurIPS 2018), where the zero eigenvalues are the flat
      directions of a manifold of minima; the scope says "non-strict: N zero eigenvalues"
      (classification ``neutral``; ``nonnegative`` when ball enclosures cannot tell whether some λ = 0).
      The PROVED statement is then "a global minimum whose linearisation has spectral radius 1, the
      eigenvalue +1 only along the kernel of ∇²L" — not asymptotic stability.
    * REFUTED: θ* is certainly not a fixed point (∇L(θ*) ≠ 0; for a ball θ*: ∇L ≠ 0 on the whole ball), or
      some eigenvalue is certainly < 0 or certainly > 2/η (classification ``unstable``): DG has an eigenvalue
      of modulus > 1, so the fixed point is unstable (Lyapunov instability from the linearisation of a C¹
      map), and with λ < 0 it is a saddle or a maximum, not a minimum.
    * INCONCLUSIVE otherwise, in particular at *non-hyperbolic* points without the global-minimum
      certificate. A zero eigenvalue (DG eigenvalue +1: −x⁴, x³, x² − y⁴ at 0 — a maximum, an inflection, a
      saddle — all have spectrum in [0, 2/η)) or an eigenvalue exactly 2/η (DG eigenvalue −1: x² + x⁴ at
      η = 1 is linearly "stable", but G²(x) = x + 8x³ + O(x⁵) and GD oscillates outward) makes the point
      linearly stable only in the non-strict sense (spectral radius 1); the linearisation does not decide,
      and the certificate keeps the classification (``neutral``, ``edge``). Eigenvalues exactly 2/η stay
      INCONCLUSIVE even at a global minimum (x² at η = 1: G(x) = −x neither converges nor diverges).

    Criticality is certified exactly for an exact (rational) θ*: the gradient is exactly zero (exact
    arithmetic, or a ball of radius 0 around 0). For a float θ* — only an approximation of the point the
    user means — the Krawczyk test (:func:`verify.arith.krawczyk.certify_zero` on F = ∇L, J = ∇²L) proves
    that ∇L has exactly one zero θ̂ in a small search box X containing θ*, and the verdict speaks of θ̂: the
    Hessian spectrum is enclosed over the box K ∋ θ̂ (``scope`` gives X, K and the precision). If instead
    ∇L is certified non-zero on a whole box around θ*, there is no critical point there: REFUTED, with that
    box as the scope; that box is never smaller than a few ulps (2⁻⁵⁰ relative) around each float coordinate,
    since a double stands for any point within its rounding error. For a *ball* θ* (``arb`` with positive
    radius: the user's enclosure of the point) the verdict must be about the user's ball: REFUTED "not a
    fixed point" needs ∇L ≠ 0 on a box containing the whole ball (enclosures over sub-boxes covering it);
    PROVED/REFUTED about the spectrum need the critical point certified to be the *unique* critical point in
    the ball (Krawczyk on a box containing the ball, or on a box X around the point plus ∇L ≠ 0 on the rest of
    the ball). A certified critical point whose box K is not inside the ball, or that may share the ball with
    others, gives INCONCLUSIVE; the certificate says where K is and what the verdict about it alone would
    be. A singular-looking float preconditioner (Hessian entries below the double range, e.g.
    diag(2·10⁻²⁰⁰, −2·10⁻⁴⁰⁰)) is avoided by scaling the rows of ∇L and ∇²L by exact powers of 2, which does
    not change the zeros.

SGD (:func:`sgd`) — the setting of Wu, Ma & E, "How SGD selects the global minima in
over-parameterized learning" (NeurIPS 2018): θ* is a common fixed point of every batch map
G_{η,B}(θ) = θ − η∇L_B(θ), i.e. ∇L_B(θ*) = 0 for every batch drawn (for uniform batches of size
B < n: every per-sample gradient vanishes, as at an interpolating global minimum of a square loss).
:func:`sgd` certifies this exactly and REFUTES the claim otherwise (θ* is then not a fixed point of
SGD and no linearisation argument applies). Near θ* the error e = θ − θ* follows
e_{t+1} = (I − ηH_{B_t}) e_t, and its second moment S_t = E[e_t e_tᵀ] follows S_{t+1} = T(S_t),
T(S) = E[(I − ηH_B) S (I − ηH_B)].

* ρ(T) < 1 ⇔ mean-square asymptotic stability (E‖e_t‖² → 0 for every e_0); ρ(T) ≤ 1 is *necessary*
  for mean-square stability (bounded E‖e_t‖²). Directions N = ∩ ker H_B fixed by every batch map (flat
  directions of a manifold of minima) carry the eigenvalue 1 for every η and are factored out: ρ is
  taken on N^⊥. T preserves the cone of positive semi-definite matrices, so ρ(T) is itself an
  eigenvalue (Krein–Rutman; Evans & Høegh-Krohn 1978 for positive maps on matrix algebras), the
  largest real root of the characteristic polynomial of T restricted to symmetric matrices: it is
  compared with 1 *exactly* by a Sturm count (``batch_probabilities`` path; reported in the
  certificate of the ``batch_size`` path).
* λ_max(M) ≤ 1 with M = T(I) = E[(I − ηH_B)²] = (I − ηH)² + η² (n−B)/(B(n−1)) Σ (uniform batches
  of size B without replacement, Σ = (1/n) Σ_i H_i² − H²) is *sufficient* for mean-square stability:
  ‖T‖ = λ_max(T(I)) for the positive map T, so E‖e_{t+1}‖² ≤ E‖e_t‖². This is the matrix condition of
  Wu–Ma–E.
* 0 ≤ λ ≤ 2/η for every eigenvalue λ of H is *necessary* (E[e_t] = (I − ηH)^t e_0 and
  ‖E e_t‖² ≤ E‖e_t‖²).
* The Wu–Ma–E scalar condition V = (1 − ηa)² + η² (n−B)/(B(n−1)) s² ≤ 1 with sharpness a = λ_max(H)
  and non-uniformity s² = λ_max(Σ) — the quantity the ``batch_size`` path decides exactly — is the
  exact mean-square criterion in one dimension (and whenever the top eigenvectors of H and Σ coincide
  and attain λ_max(M)); in general it is neither necessary nor sufficient (a and s² may belong to
  different directions), which is why the certificate also reports the three criteria above.

Chemnitz & Engel's criterion — the top Lyapunov exponent of the random product Π (I − ηH_{B_k}) is
negative — is estimated by Monte Carlo with a standard error (numerical evidence only).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations

import numpy as np
import sympy as sp

from .. import validate
from ..arith.decide import (
    ALGEBRAIC_PRECISIONS,
    abs_bounds,
    algebraic_bounds,
    algebraic_sign,
    bounds,
    compare,
    hull_max,
    hull_min,
    sign,
    to_arb,
)
from ..arith.eigen import LAM, ball_eigen_enclosures, fmpq_poly_to_sympy, to_fmpq_mat
from ..arith.krawczyk import certify_zero
from ..arith.ladder import Rung, climb, point_in
from ..errors import (
    ArithmeticNotSupportedError,
    EnclosureError,
    InputError,
    RegionBoundaryError,
    ShapeError,
    SizeLimitError,
    UncertifiedValueError,
    VerifyError,
)
from ..gdmap.maps import batch_objective, check_eta, eta_str
from ..gdmap.regions import is_polynomial_objective
from ..numbers import fraction_array, fraction_str
from ..result import Quantity, Result, Verdict, make_scope

#: the exact mean-square operator acts on symmetric r × r matrices: r(r+1)/2 ≤ 78 for r ≤ 12
MEAN_SQUARE_MAX_DIM = 12
#: smallest relative half-width of a box around a float coordinate in the "∇L ≠ 0 around θ*" test: a double
#: θ_i stands for any point within a few ulps of it (2⁻⁵⁰ = 4 ulps of 1), so a REFUTED "no critical point near θ*"
#: must cover at least that much
FLOAT_MARGIN = Fraction(1, 2**50)

#: isolating-interval width of reported eigenvalue enclosures (decisions never depend on it)
REPORT_WIDTH = Fraction(1, 10**30)


# ------------------------------------------------------------------------------------------ inputs
def _rational_point(theta):
    """θ as exact rationals when the user gave exact numbers (ints, Fractions, sympy/flint rationals); None for
    floats and balls — a float stands for a point the user could not write exactly, so the verdict is about
    the critical point near it (Krawczyk), not about its binary value."""
    arr = np.asarray(theta, dtype=object).reshape(-1)
    if any(_float_like(v) for v in arr):
        return None
    try:
        return fraction_array(arr, what="θ*")
    except InputError:
        return None


def _float_like(v) -> bool:
    """Floats (python, numpy, sympy ``Float``, mpmath ``mpf``) and balls: approximations of a point."""
    if isinstance(v, float | np.floating) or type(v).__name__ in ("arb", "mpf"):
        return True
    return type(v).__module__.startswith("sympy") and getattr(v, "is_Float", False)


def _centre_and_ball(theta) -> tuple[list[Fraction], list[tuple[Fraction, Fraction]] | None, list[bool]]:
    """Exact rational centre of θ (floats exactly, balls by their midpoint), the user's ball: the exact
    endpoints [lo_i, hi_i] of every coordinate (an exact coordinate as [c, c], a float one as c ± a few ulps,
    :data:`FLOAT_MARGIN`), or None when no coordinate is a ball of positive radius (θ is then a point), and which
    coordinates were given as ``arb`` balls."""
    out, box, is_ball, arbs = [], [], False, []
    for i, v in enumerate(np.asarray(theta, dtype=object).reshape(-1)):
        if type(v).__name__ == "arb":
            try:
                lo, hi = bounds(v)
            except UncertifiedValueError as exc:
                raise InputError(f"θ*[{i}] = {v} is not a finite ball") from exc
            c = (lo + hi) / 2
            is_ball = is_ball or hi > lo
        else:
            c = validate.rational(v, f"θ*[{i}]")
            m = FLOAT_MARGIN * max(Fraction(1), abs(c)) if _float_like(v) else Fraction(0)
            lo, hi = c - m, c + m  # a float coordinate stands for the points within a few ulps of it
        out.append(c)
        box.append((lo, hi))
        arbs.append(type(v).__name__ == "arb")
    return out, (box if is_ball else None), arbs


def _check_point(objective, theta) -> None:
    p = objective.n_params
    if np.shape(theta) != (p,):
        raise ShapeError(f"θ* must be a flat vector of {p} parameters, got shape {np.shape(theta)}")


def _sq(q: Fraction) -> sp.Rational:
    return sp.Rational(q.numerator, q.denominator)


def _fq(q):
    from flint import fmpq

    q = Fraction(q)
    return fmpq(q.numerator, q.denominator)


def _frac(x) -> Fraction:
    """fmpq / sympy Rational / Fraction → Fraction (exact)."""
    lo, hi = bounds(x)
    if lo != hi:
        raise UncertifiedValueError(f"{x} is not an exact rational")
    return lo


# ---------------------------------------------------------------------------- certified criticality
@dataclass
class CriticalPoint:
    """Outcome of :func:`certify_critical`.

    ``status``: ``"exact"`` (θ* itself is critical, ∇L(θ*) = 0 exactly), ``"box"`` (∇L has exactly one zero in
    ``search_box``, and it lies in ``box``), ``"not-critical"`` (∇L(θ*) ≠ 0 exactly for an exact θ*, or ∇L ≠ 0
    on the whole ``search_box``, which contains θ* — for a ball θ*, the whole ball), ``"undecided"``.

    ``user_ball``: the exact endpoints of a ball θ* (None for a point). ``in_user_ball`` (status ``box`` with a
    ball θ*): True when the certified box K lies inside the given ball, False when it is not certified to.
    """

    status: str
    exact_input: bool
    point: list | None = None
    box: list | None = None
    search_box: list | None = None
    gradient: list | None = None
    precision: int | None = None
    message: str = ""
    krawczyk: dict | None = None
    user_ball: list | None = None
    in_user_ball: bool | None = None
    unique_in_user_ball: bool | None = None
    pieces: int | None = None
    gap: Fraction | None = None

    @property
    def critical(self) -> bool:
        """True when a critical point is certified: θ* itself (status ``"exact"``) or a unique zero of ∇L in a box
        (``"box"``); False for ``"not-critical"`` and ``"undecided"``."""
        return self.status in ("exact", "box")

    @property
    def subject(self) -> str:
        """Words for the point a verdict speaks of (the claim's subject)."""
        if self.exact_input and (self.status == "exact" or (self.status == "not-critical" and self.search_box is None)):
            return "θ*"
        if self.user_ball is not None:
            if self.status == "box" and self.in_user_ball and self.unique_in_user_ball:
                return "the unique critical point in the given ball θ*"
            return "the critical point in the given ball θ*"
        return "the critical point of L near θ*"

    def to_dict(self) -> dict:
        """The certificate data as JSON-ready values (status, the point as exact ``"p/q"`` strings, the boxes, the
        gradient enclosures' exact endpoints, Krawczyk data, precision, the given ball …); only the fields that are
        set."""
        d = {"status": self.status, "exact_input": self.exact_input, "message": self.message}
        if self.point is not None:
            d["point"] = [fraction_str(Fraction(v)) for v in self.point]
        if self.box is not None:
            d["box"] = list(self.box)
        if self.search_box is not None:
            d["search_box"] = list(self.search_box)
        if self.gradient is not None:
            d["gradient"] = [list(bounds(g)) for g in self.gradient]
        if self.krawczyk is not None:
            d["krawczyk"] = self.krawczyk
        if self.precision is not None:
            d["precision"] = self.precision
        if self.user_ball is not None:
            d["user_ball"] = [[lo, hi] for lo, hi in self.user_ball]
            d["in_user_ball"] = self.in_user_ball
            d["unique_in_user_ball"] = self.unique_in_user_ball
        if self.pieces is not None:
            d["sub_boxes"] = self.pieces
        return d

    def scope(self, eta: Fraction | None = None, *, what_tail: str = "") -> dict:
        """The scope (:func:`verify.result.make_scope`) of a verdict about this point: the single exact point θ*,
        the unique critical point in the Krawczyk search box (and whether it lies in the given ball), or every point
        of a box on which ∇L ≠ 0; ``eta`` and ``what_tail`` (words appended to ``what``) come from the caller."""
        eta_d = {} if eta is None else {"eta": eta}
        if self.user_ball is not None:
            eta_d["given_ball"] = [[lo, hi] for lo, hi in self.user_ball]
        if self.status == "exact" or (self.status == "not-critical" and self.search_box is None):
            return make_scope(f"the single point θ* (exact rational){what_tail}", count=1,
                              points=[[fraction_str(Fraction(v)) for v in self.point]], precision=self.precision,
                              **eta_d)
        if self.status == "box":
            where = ("it lies in the box 'enclosure'" if self.user_ball is None else
                     "it is the only critical point in the given ball θ* (X contains the ball, or ∇L ≠ 0 on the rest "
                     "of the ball) and lies in the box 'enclosure', inside the ball"
                     if self.in_user_ball and self.unique_in_user_ball else
                     "it lies in the box 'enclosure', inside the given ball θ* (X does not contain the whole ball: "
                     "it may hold other critical points)" if self.in_user_ball else
                     "it lies in the box 'enclosure', which is NOT certified to lie inside the given ball θ*")
            return make_scope(f"the unique critical point of L in the search box X (Krawczyk); {where}{what_tail}",
                              count=1, search_box=list(self.search_box), enclosure=list(self.box),
                              precision=self.precision, **eta_d)
        around = "the whole given ball θ*" if self.user_ball is not None else "θ*"
        return make_scope(f"every point of the box X ⊇ {around} (∇L ≠ 0 on all of it){what_tail}", count=1,
                          search_box=list(self.search_box), precision=self.precision, **eta_d)


def _grad_fn(objective, prec):
    def F(x):
        return list(objective.grad(np.array(list(x), dtype=object), "ball", prec))
    return F


def _hess_fn(objective, prec):
    def J(x):
        return objective.hessian(np.array(list(x), dtype=object), "ball", prec)
    return J


def _inside(point: list[Fraction], box: list) -> bool:
    for c, b in zip(point, box):
        lo, hi = bounds(b)
        if not lo <= c <= hi:
            return False
    return True


def _box_in_ball(box: list, ball: list) -> bool:
    """Every ball of ``box`` lies inside [lo_i, hi_i] (exact endpoints)."""
    for b, (lo, hi) in zip(box, ball):
        blo, bhi = bounds(b)
        if not (lo <= blo and bhi <= hi):
            return False
    return True


def _box_contains_ball(box: list, ball: list) -> bool:
    """Every ball of ``box`` contains [lo_i, hi_i] (exact endpoints)."""
    for b, (lo, hi) in zip(box, ball):
        blo, bhi = bounds(b)
        if not (blo <= lo and hi <= bhi):
            return False
    return True


def _box_meets_ball(box: list, ball: list) -> bool:
    for b, (lo, hi) in zip(box, ball):
        blo, bhi = bounds(b)
        if bhi < lo or blo > hi:
            return False
    return True


def _mid_q(b) -> Fraction:
    lo, hi = bounds(b)
    return (lo + hi) / 2


def _box_text(box: list) -> str:
    return " × ".join(_fmt_iv(*bounds(b)) for b in box)


def _qstr(q: Fraction) -> str:
    """Short decimal text of an exact rational for messages (never a float conversion: no overflow)."""
    return _fmt(Fraction(q))


def certify_critical(objective, theta, prec: int = 128) -> CriticalPoint:
    """Certify that θ is (near) a critical point of L, or that it is not.

    * exact θ (ints, Fractions, sympy/flint rationals): ∇L(θ) in exact arithmetic (polynomial objectives)
      or in Arb balls at the exact point; all exactly zero → ``exact``; some certainly non-zero →
      ``not-critical``; otherwise the Krawczyk test around θ as below.
    * float θ: Krawczyk's test proves a unique zero of ∇L in a search box X that contains θ (``box``); else,
      if ∇L is certified non-zero over a box around θ, ``not-critical`` for that box; else ``undecided``.
    * ball θ (``arb`` entries of positive radius): as for a float, from the ball's centre, with the whole
      ball as one more search box; the certified box K is reported as inside the ball or not
      (``in_user_ball``); ``not-critical`` only when ∇L ≠ 0 on a box containing the whole ball.
    """
    _check_point(objective, theta)
    prec = validate.precision(prec)
    th_q = _rational_point(theta)
    if th_q is not None:
        try:
            if is_polynomial_objective(objective):
                g = list(objective.grad(th_q, "exact"))
            else:
                g = list(objective.grad(th_q, "ball", prec))
        except RegionBoundaryError as exc:
            return CriticalPoint("undecided", True, point=list(th_q), precision=prec,
                                 message=(f"θ* lies on a region boundary (an activation breakpoint or a max-pooling "
                                          f"tie), where ∇L is not defined, or — in ball arithmetic — is not "
                                          f"separated from one at {prec} bits (raise prec): {exc}"))
        except ArithmeticNotSupportedError:
            g = list(objective.grad(th_q, "ball", prec))
        try:
            signs = [sign(v) for v in g]
        except UncertifiedValueError as exc:
            return CriticalPoint("undecided", True, point=list(th_q), precision=prec,
                                 message=f"the gradient at θ* has no finite enclosure: {exc}")
        if all(s == 0 for s in signs):
            return CriticalPoint("exact", True, point=list(th_q), gradient=g, precision=prec,
                                 message="∇L(θ*) = 0 exactly")
        if any(s in (-1, 1) for s in signs):
            j = next(i for i, s in enumerate(signs) if s in (-1, 1))
            lo, hi = bounds(g[j])
            return CriticalPoint("not-critical", True, point=list(th_q), gradient=g, precision=prec,
                                 message=f"∇L(θ*) ≠ 0: ∂L/∂θ_{j} ∈ [{_qstr(lo)}, {_qstr(hi)}] excludes 0")
        centre, ball = list(th_q), None
    else:
        centre, ball, _arbs = _centre_and_ball(theta)
    return _krawczyk_critical(objective, centre, prec, exact_input=th_q is not None, ball=ball)


def _row_scales(J, centre: list[Fraction], prec: int) -> list[int] | None:
    """Exponents k_i with 2^(−k_i)·max_j |mid ∇²L(centre)_ij| ∈ [1/2, 1) — row equilibration by exact powers of 2
    (None when every row is already within the double range, or the Hessian cannot be evaluated)."""
    from ..arith.ball import _ArbPrec
    from ..numbers import to_fraction

    try:
        with _ArbPrec(prec):
            pt = [to_arb(c, prec) for c in centre]
            H = J(pt)
            rows = [[to_fraction(v.mid()) for v in row] for row in (H.tolist() if isinstance(H, np.ndarray) else H)]
    except (VerifyError, ArithmeticError, ValueError, TypeError, AttributeError):
        return None
    ks = []
    for row in rows:
        m = max((abs(v) for v in row), default=Fraction(0))
        ks.append(0 if m == 0 else m.numerator.bit_length() - m.denominator.bit_length())
    return ks if any(abs(k) > 500 for k in ks) else None


def _scaled(F, J, ks: list[int]):
    """(D F, D J) with D = diag(2^(−k_i)): the same zeros; multiplying a ball by a power of 2 is exact."""
    facs = [Fraction(1, 2**k) if k >= 0 else Fraction(2 ** (-k)) for k in ks]

    def Fs(x):
        return [to_arb(f, 64) * v for f, v in zip(facs, F(x))]

    def Js(x):
        H = J(x)
        rows = H.tolist() if isinstance(H, np.ndarray) else H
        return [[to_arb(f, 64) * v for v in row] for f, row in zip(facs, rows)]
    return Fs, Js


#: budget of sub-boxes for the "∇L ≠ 0 on the whole given ball" test
EXCLUSION_PIECES = 256


def _excluded(F, box: list[tuple[Fraction, Fraction]], prec: int, budget: int,
              allowed: list[tuple[Fraction, Fraction]] | None = None) -> tuple[Fraction | None, list, int]:
    """Is ∇L ≠ 0 on the whole box (outside ``allowed``)? Enclosures of F over sub-boxes (bisection of the widest
    side, at most ``budget`` evaluations); each piece must lie inside the box ``allowed`` or have a coordinate
    whose enclosure excludes 0.

    (gap, g, pieces): gap > 0 a certified lower bound of min over the box of max_j |∂L/∂θ_j| (None if not
    certified), g the enclosure of ∇L over the whole box (may be [] if it could not be evaluated)."""
    queue = [box]
    whole: list = []
    gap = None
    evals = 0
    while queue:
        if evals >= budget:
            return None, whole, evals
        b = queue.pop()
        if allowed is not None and all(alo <= lo and hi <= ahi for (lo, hi), (alo, ahi) in zip(b, allowed)):
            continue
        evals += 1
        try:
            g = F([to_arb(iv, prec) for iv in b])
            signs = [sign(v) for v in g]
        except (VerifyError, ArithmeticError):
            g, signs = [], []
        if evals == 1:
            whole = g
        if any(s in (-1, 1) for s in signs):
            low = max(abs_bounds(v)[0] for v in g)
            gap = low if gap is None else min(gap, low)
            continue
        widths = [hi - lo for lo, hi in b]
        i = max(range(len(b)), key=lambda j: widths[j])
        if widths[i] == 0:
            return None, whole, evals
        lo, hi = b[i]
        mid = (lo + hi) / 2
        queue.append(b[:i] + [(lo, mid)] + b[i + 1:])
        queue.append(b[:i] + [(mid, hi)] + b[i + 1:])
    return gap, whole, evals


def _unique_in_ball(Fa, Ja, F, cert, ball: list, prec: int):
    """Uniqueness of the certified zero in the whole ball: Krawczyk on a box around the zero that contains the ball;
    else on the largest box X around it (radii halving) where the test succeeds, and ∇L ≠ 0 on every piece of the
    ball outside X (bisection, :func:`_excluded` with ``allowed = X``): then every critical point of the ball lies
    in X, which holds exactly one. Returns the certificate for X (``unique_by_cover`` set) or None."""
    from ..arith.krawczyk import krawczyk_test

    z = [_mid_q(b) for b in cert.box]
    R = max(max(zi - lo, hi - zi) for zi, (lo, hi) in zip(z, ball))
    for _ in range(16):
        try:
            c = krawczyk_test(Fa, Ja, z, R, prec)
        except (VerifyError, ArithmeticError, ZeroDivisionError, ValueError):
            c = None
        if c is not None and c.proved and _box_in_ball(c.box, ball):
            # the zero certified in the small box K ⊂ ball is the same one (the only one in X, resp. in the ball):
            # keep its tighter enclosure
            c.box = cert.box
            if _box_contains_ball(c.search_box, ball):
                return c
            allowed = [bounds(b) for b in c.search_box]
            gap, _g, _n = _excluded(F, [tuple(iv) for iv in ball], prec, EXCLUSION_PIECES, allowed=allowed)
            if gap is not None or _n == 0:
                c.unique_by_cover = True
                c.message += ("; ∇L ≠ 0 on every piece of the given ball outside this search box: the only critical "
                              "point in the ball")
                return c
            return None
        R /= 2
    return None


def _krawczyk_critical(objective, centre: list[Fraction], prec: int, exact_input: bool,
                       ball: list | None = None) -> CriticalPoint:
    """Krawczyk search for the critical point near a float θ* (``ball`` None) or in a ball θ*, then the
    exclusion test ∇L ≠ 0 on a box around θ* (containing the whole ball). See :func:`certify_critical`."""
    from ..arith.krawczyk import krawczyk_test

    F, J = _grad_fn(objective, prec), _hess_fn(objective, prec)
    last = None
    attempts = [(F, J)]
    ks = _row_scales(J, centre, prec)
    if ks is not None:
        attempts.append(_scaled(F, J, ks))
    candidate = None  # (cert, in_ball, scaled) for a ball θ*: a certified zero that is not the unique one in the ball
    found = None      # a certified zero far from θ*

    def box_point(cert, scaled, in_ball, unique):
        rad = _qstr(cert.radius) if cert.radius is not None else "?"
        how = f"Krawczyk, {prec} bits{', rows scaled by powers of 2' if scaled else ''}"
        if ball is None:
            msg = f"∇L has exactly one zero in the search box of radius {rad} around θ* ({how})"
        elif unique and _box_contains_ball(cert.search_box, ball):
            msg = (f"∇L has exactly one zero in a search box X of radius {rad} that contains the whole given ball θ* "
                   f"({how}); it lies in the box K, inside the ball: the unique critical point in the ball")
        elif unique:
            msg = (f"∇L has exactly one zero in a search box X of radius {rad} ({how}), in the box K inside the given "
                   "ball θ*, and ∇L ≠ 0 on every piece of the ball outside X (enclosures over sub-boxes): the unique "
                   "critical point in the ball")
        elif in_ball:
            msg = (f"∇L has exactly one zero in a search box X of radius {rad} ({how}); its box K lies inside the "
                   "given ball θ*, but X does not contain the whole ball: the ball may hold other critical points")
        else:
            msg = (f"∇L has exactly one zero in a search box X of radius {rad} ({how}), in the box "
                   f"K = {_box_text(cert.box)}, which is NOT certified to lie inside the given ball θ*")
        return CriticalPoint("box", exact_input, point=centre if exact_input else None, box=cert.box,
                             search_box=cert.search_box, precision=prec, krawczyk=cert.to_dict(), message=msg,
                             user_ball=ball, in_user_ball=None if ball is None else in_ball,
                             unique_in_user_ball=None if ball is None else unique)

    for Fa, Ja in attempts:
        scaled = Fa is not F
        tries = []
        if ball is not None:  # the whole given ball as the search box (centred at its centre, no refinement)
            R = max(hi - lo for lo, hi in ball) / 2
            tries.append(lambda Fa=Fa, Ja=Ja, R=R: krawczyk_test(Fa, Ja, centre, R, prec))
        for refine in (True, False):
            tries.append(lambda Fa=Fa, Ja=Ja, refine=refine: certify_zero(Fa, Ja, centre, prec=prec, refine=refine))
        for run in tries:
            try:
                cert = run()
            except (VerifyError, ArithmeticError, ZeroDivisionError, ValueError) as exc:
                last = f"the Krawczyk test could not be evaluated: {exc}"
                continue
            if not cert.proved:
                last = cert.message
                continue
            if ball is None:
                if _inside(centre, cert.search_box):
                    return box_point(cert, scaled, None, None)
                found, last = cert, "the certified critical point is not near θ*"
                continue
            in_ball = _box_in_ball(cert.box, ball)
            if in_ball and not _box_contains_ball(cert.search_box, ball):
                cert = _unique_in_ball(Fa, Ja, F, cert, ball, prec) or cert
            if in_ball and (_box_contains_ball(cert.search_box, ball) or getattr(cert, "unique_by_cover", False)):
                return box_point(cert, scaled, True, True)
            near = in_ball or _inside(centre, cert.search_box) or _box_meets_ball(cert.box, ball)
            if near and (candidate is None or (in_ball and not candidate[1])):
                candidate = (cert, in_ball, scaled)
            elif not near:
                found, last = cert, "the certified critical point is not near θ*"
    if candidate is not None and candidate[1]:  # a critical point inside the ball: ∇L ≠ 0 on it is impossible
        return box_point(candidate[0], candidate[2], True, False)
    # no certified critical point: is ∇L non-zero on a whole box around θ* (around the whole ball)?
    scale = max([Fraction(1)] + [abs(c) for c in centre])
    if exact_input:
        radii = [Fraction(1, 2**10), Fraction(1, 2**20), Fraction(1, 2 ** (prec // 4)), Fraction(1, 2 ** (prec // 2))]
    else:  # a float stands for any point within its rounding error: never a box smaller than FLOAT_MARGIN
        radii = [Fraction(1, 2**10), Fraction(1, 2**20), Fraction(1, 2**32), FLOAT_MARGIN]
    if ball is not None:
        radii.append(Fraction(0))  # the ball itself
    for r in radii:
        rr = r * scale
        if ball is None:
            box_q = [(c - rr, c + rr) for c in centre]
        else:
            mr = [rr] * len(centre)  # r = 0: the ball itself (float coordinates carry their few-ulp margin)
            box_q = [(min(lo, c - m), max(hi, c + m)) for c, (lo, hi), m in zip(centre, ball, mr)]
        gap, g, pieces = _excluded(F, box_q, prec, EXCLUSION_PIECES if ball is not None else 1)
        if gap is not None:
            box = [to_arb(iv, prec) for iv in box_q]
            if ball is None:
                around = f"θ* (radius {_qstr(rr)})"
            elif r:
                around = f"the given ball θ* (and a margin of {_qstr(rr)})"
            else:
                around = "the given ball θ*"
            sub = "" if pieces == 1 else f", enclosures over {pieces} sub-boxes"
            extra = ""
            if candidate is not None:
                extra = (f"; a critical point is certified nearby, outside the ball, in K = "
                         f"{_box_text(candidate[0].box)}")
            return CriticalPoint("not-critical", exact_input, point=centre if exact_input else None, search_box=box,
                                 gradient=g, precision=prec, user_ball=ball, pieces=pieces, gap=gap,
                                 message=f"∇L ≠ 0 on the whole box around {around}: no critical point there "
                                         f"(max_j |∂L/∂θ_j| ≥ {_qstr(gap)}{sub}){extra}")
    if candidate is not None:
        return box_point(candidate[0], candidate[2], False, False)
    if found is not None and ball is not None:
        last = (f"a critical point is certified in the box K = {_box_text(found.box)}, away from the given ball θ*, "
                "and ∇L ≠ 0 could not be certified on the whole ball")
    return CriticalPoint("undecided", exact_input, point=centre if exact_input else None, precision=prec,
                         user_ball=ball,
                         message=f"criticality not certified: {last} (a degenerate critical point — singular "
                                 "Hessian — cannot be certified from a float θ*; give θ* exactly)")


# ------------------------------------------------------------------------------------ exact spectra
#: precision ladder (bits) of the Arb root isolation before the exact (slow) Sturm fallback
ROOT_PRECISIONS = (128, 256, 512, 1024, 2048, 4096)


def _charpoly(M):
    """Exact characteristic polynomial det(λI − M) (python-flint ``fmpq_poly``) of a rational matrix."""
    from flint import fmpq_mat

    if not isinstance(M, fmpq_mat):
        M = to_fmpq_mat(np.asarray(M, dtype=object))
    if M.nrows() > 400:
        raise SizeLimitError(f"an exact characteristic polynomial of a {M.nrows()}×{M.nrows()} matrix is beyond the "
                             "exact method's limit (400); use a float or ball θ* (Arb enclosures)")
    return M.charpoly()


def _is_root(P, t: Fraction) -> bool:
    return P(_fq(t)) == 0


def _sympy_poly(P) -> sp.Poly:
    return fmpq_poly_to_sympy(P, LAM)


def _count_open(g: sp.Poly, lo=None, hi=None) -> int:
    """Number of distinct real roots of the square-free g in the open interval (lo, hi) (None: infinite)."""
    n = g.count_roots(None if lo is None else _sq(Fraction(lo)), None if hi is None else _sq(Fraction(hi)))
    if lo is not None and g.eval(_sq(Fraction(lo))) == 0:
        n -= 1
    if hi is not None and g.eval(_sq(Fraction(hi))) == 0:
        n -= 1
    return int(n)


def _multiplicity(P, t: Fraction) -> int:
    from flint import fmpq_poly

    m, f, lin = 0, P, fmpq_poly([-_fq(t), 1])
    while f.degree() > 0 and f(_fq(t)) == 0:
        f = f // lin
        m += 1
    return m


@dataclass
class RootPositions:
    """The real roots of a rational polynomial *known to have only real roots* (a characteristic polynomial of a
    symmetric matrix), located exactly with respect to thresholds: ``counts[t] = (below, at, above)`` with
    multiplicity; ``enclosures`` = [(lo, hi, multiplicity)] exact rational enclosures of the distinct roots."""

    counts: dict
    enclosures: list
    method: str

    def hull_max(self):
        return hull_max([(lo, hi) for lo, hi, _m in self.enclosures])

    def hull_min(self):
        return hull_min([(lo, hi) for lo, hi, _m in self.enclosures])


def _symmetric_root_positions(P, thresholds) -> RootPositions:
    """Locate the (real) roots of P against each threshold t exactly.

    Arb isolates all complex roots (``fmpq_poly.complex_roots``, rigorous) on a precision ladder; since every root
    is real, the real part of each enclosure contains its root. A root equal to a rational t is recognised only
    as an *exact* enclosure [t, t] (python-flint returns rational roots exactly from their linear factors) after
    the exact test P(t) = 0; any enclosure straddling t is refined. If the ladder is exhausted, exact Sturm
    counts (sympy) decide."""
    from ..arith.ball import _ArbPrec

    thresholds = [Fraction(t) for t in thresholds]
    deg = P.degree()
    if deg < 1:
        return RootPositions({t: (0, 0, 0) for t in thresholds}, [], "constant polynomial")
    for prec in ROOT_PRECISIONS:
        with _ArbPrec(prec):
            roots = P.complex_roots()
        encl, ok = [], True
        counts = {t: [0, 0, 0] for t in thresholds}
        for c, m in roots:
            lo, hi = bounds(c.real)
            encl.append((lo, hi, int(m)))
            for t in thresholds:
                if lo == hi == t:
                    counts[t][1] += int(m)
                elif hi < t:
                    counts[t][0] += int(m)
                elif lo > t:
                    counts[t][2] += int(m)
                else:
                    ok = False
        if ok and sum(m for *_x, m in encl) == deg:
            at_ok = all((counts[t][1] > 0) == _is_root(P, t) for t in thresholds)
            if at_ok:
                return RootPositions({t: tuple(v) for t, v in counts.items()}, encl,
                                     f"exact characteristic polynomial, Arb root isolation at {prec} bits, roots "
                                     "located on exact rational endpoints")
    # exact fallback: Sturm counts on the square-free part (distinct roots), multiplicities by exact division
    S = _sympy_poly(P)
    g = S.sqf_part()
    counts = {}
    for t in thresholds:
        m_at = _multiplicity(P, t)
        counts[t] = (_count_open(g, None, t), m_at, _count_open(g, t, None))  # below/above: distinct roots
    ivs = [(Fraction(int(a.p), int(a.q)), Fraction(int(b.p), int(b.q)), int(k))
           for (a, b), k in S.intervals(eps=_sq(REPORT_WIDTH))]
    return RootPositions(counts, ivs, "exact characteristic polynomial, Sturm counts (sympy)")


def _spectral_radius_vs_one(P) -> dict:
    """ρ = max |root of P| compared with 1, for the characteristic polynomial of a positive map T (then ρ is itself
    a root: Krein–Rutman). First without any theorem: exact test P(1) = 0 (then ρ ≥ 1), and rigorous Arb enclosures
    of every root's modulus on a precision ladder (hull of the moduli < 1: ρ < 1; > 1: ρ > 1). Only if these cannot
    decide, the exact Sturm count of real roots ≥ 1 (sympy) decides, using that ρ is a real root."""
    from ..arith.ball import _ArbPrec

    if P.degree() < 1:
        return {"rho": [Fraction(0), Fraction(0)], "rho_lt_1": True, "rho_equals_1": False,
                "decided_by": "no transverse directions"}
    at1 = _is_root(P, Fraction(1))
    last = None
    for prec in ROOT_PRECISIONS:
        with _ArbPrec(prec):
            roots = P.complex_roots()
            mods = [abs(c) for c, _m in roots]
        try:
            rho = hull_max(mods)
        except UncertifiedValueError:
            continue
        rho = (max(rho[0], Fraction(0)), rho[1])
        last = rho
        c = compare(rho, 1)
        if c == -1:
            return {"rho": list(rho), "rho_lt_1": True, "rho_equals_1": False,
                    "decided_by": f"Arb enclosures of every eigenvalue's modulus at {prec} bits: ρ < 1"}
        if c == 1:
            return {"rho": list(rho), "rho_lt_1": False, "rho_equals_1": False,
                    "decided_by": f"Arb enclosures of every eigenvalue's modulus at {prec} bits: ρ > 1"}
        if at1 and rho[1] <= 1:
            return {"rho": [Fraction(1), Fraction(1)], "rho_lt_1": False, "rho_equals_1": True,
                    "decided_by": "1 is an exact eigenvalue (P(1) = 0) and every modulus is ≤ 1: ρ = 1"}
        if at1:
            break
    if at1:
        return {"rho": [Fraction(1), last[1] if last else None], "rho_lt_1": False, "rho_equals_1": None,
                "decided_by": "1 is an exact eigenvalue (P(1) = 0): ρ ≥ 1"}
    g = _sympy_poly(P).sqf_part()
    above = _count_open(g, 1, None)
    return {"rho": list(last) if last else None, "rho_lt_1": above == 0, "rho_equals_1": False,
            "decided_by": "exact Sturm count of real eigenvalues > 1 (ρ is a real eigenvalue: Krein–Rutman)"}


@dataclass
class ExactRoot:
    """A real root of a rational polynomial: exact (``exact``, sympy) and in [lo, hi] (exact rationals)."""

    exact: sp.Expr
    lo: Fraction
    hi: Fraction


def _top_root_exact(P, width: Fraction = REPORT_WIDTH) -> ExactRoot | None:
    """The largest real root of P as an exact sympy number (``CRootOf`` of the square-free part: its isolating
    intervals are disjoint, so the last one holds the largest root). Slow for large degrees: fallback only."""
    g = _sympy_poly(P).sqf_part()
    if g.degree() < 1:
        return None
    ivs = g.intervals(eps=_sq(width))
    if not ivs:
        return None
    ivs = sorted(((Fraction(int(a.p), int(a.q)), Fraction(int(b.p), int(b.q))) for (a, b), _m in ivs),
                 key=lambda iv: iv[0])
    lo, hi = ivs[-1]
    e = sp.Rational(lo.numerator, lo.denominator) if lo == hi else sp.CRootOf(g.as_expr(), g.gen, len(ivs) - 1)
    return ExactRoot(e, lo, hi)


# ----------------------------------------------------------------------------------------------- GD
def spectrum(objective, theta, prec: int = 128):
    """Certified eigenvalues of ∇²L(θ): ('exact', [RealRoot…]) for an exact θ on a polynomial objective, else
    ('ball', [arb…]) (Arb enclosures, listed by midpoint — use :func:`verify.arith.decide.hull_max` to bound
    λ_max, never the last entry)."""
    from ..arith.eigen import exact_eigen_intervals

    prec = validate.precision(prec)
    th = _rational_point(theta)
    if th is not None and is_polynomial_objective(objective):
        H = objective.hessian(th, "exact")
        return "exact", exact_eigen_intervals(H)
    H = objective.hessian(theta, "ball", prec)
    return "ball", ball_eigen_enclosures(H, prec)


def _lam_max_min(kind, eigs):
    """((λ_max lo, hi, λ_min lo, hi), (None, None)): exact rational hulls (:func:`hull_max`/:func:`hull_min`)
    of the enclosures of :func:`spectrum` — valid even when enclosures overlap."""
    mlo, mhi = hull_max(eigs)
    nlo, nhi = hull_min(eigs)
    return (mlo, mhi, nlo, nhi), (None, None)


@dataclass
class _Spectrum:
    method: str
    lam_max: tuple[Fraction, Fraction]
    lam_min: tuple[Fraction, Fraction]
    classification: str | None
    asymptotic: bool | None
    nonstrict: bool | None
    exact: bool = False
    lam_max_exact: sp.Expr | None = None
    zero_multiplicity: int | None = None
    edge_multiplicity: int | None = None
    undecided_reason: str = ""
    lam_min_from_minimality: bool = False
    #: the precision-ladder rung that produced the enclosures ("" for the exact route) and the attempts
    rung: str = ""
    ladder: list | None = None


#: classifications (see the module docstring): which are linearly stable in the non-strict sense
_NONSTRICT = ("stable", "neutral", "nonnegative", "edge")


def _classify_exact(H, q: Fraction) -> _Spectrum:
    P = _charpoly(H)
    thr = 2 / q
    pos = _symmetric_root_positions(P, [Fraction(0), thr])
    neg = pos.counts[Fraction(0)][0]
    zero_m = pos.counts[Fraction(0)][1]
    edge_m, above = pos.counts[thr][1], pos.counts[thr][2]
    if neg or above:
        cls = "unstable"
    elif edge_m:
        cls = "edge"
    elif zero_m:
        cls = "neutral"
    else:
        cls = "stable"
    exact_top = None
    if P.degree() <= 12:
        top = _top_root_exact(P)
        exact_top = top.exact if top is not None else None
    return _Spectrum(pos.method + " against 0 and 2/η", pos.hull_max(), pos.hull_min(), cls,
                     asymptotic=True if cls == "stable" else (False if cls == "unstable" else None),
                     nonstrict=cls in _NONSTRICT, exact=True, lam_max_exact=exact_top, zero_multiplicity=zero_m,
                     edge_multiplicity=edge_m)


def _classify_ball(eigs, q: Fraction, prec: int, global_min: bool = False, label: str | None = None) -> _Spectrum:
    """Classification from Arb enclosures (hulls of all enclosures, compared on exact endpoints). With
    ``global_min`` (θ certified a global minimum of a C² L) every eigenvalue is ≥ 0 by minimality, whatever
    the λ_min enclosure."""
    thr = 2 / q
    lam_max, lam_min = hull_max(eigs), hull_min(eigs)
    neg = compare(lam_min, 0) == -1          # some eigenvalue certainly < 0
    above = compare(lam_max, thr) == 1       # some eigenvalue certainly > 2/η
    cmax = compare(lam_max, thr)
    c0 = compare(lam_min, 0)
    nonneg_encl = bounds(lam_min)[0] >= 0
    nonneg = nonneg_encl or global_min
    reason = ""
    zero_m = edge_m = None
    if neg or above:
        cls = "unstable"
    elif nonneg and cmax == -1:
        if c0 == 1:
            cls = "stable"
        elif c0 == 0:  # an enclosure {0}: certified zero eigenvalues
            cls = "neutral"
            zero_m = sum(1 for e in eigs if bounds(e) == (0, 0))
        else:
            cls = "nonnegative"
    elif nonneg and cmax == 0:
        cls = "edge"
        edge_m = sum(1 for e in eigs if bounds(e) == (thr, thr))
    else:
        cls = None
        if not nonneg:
            reason = ("the λ_min enclosure contains 0: the sign of the smallest eigenvalue is not decided by the "
                      "enclosures (give θ* exactly on a polynomial objective, or raise prec)")
        else:
            reason = f"the λ_max enclosure contains 2/η = {_fmt(thr)}: raise prec (now {prec})"
    how = label or f"Arb eigenvalue enclosures at {prec} bits"
    return _Spectrum(f"{how} (hull of all enclosures)", lam_max, lam_min, cls,
                     True if cls == "stable" else (False if cls == "unstable" else None),
                     None if cls is None else cls in _NONSTRICT, zero_multiplicity=zero_m, edge_multiplicity=edge_m,
                     undecided_reason=reason, lam_min_from_minimality=global_min and not nonneg_encl)


def _spectrum_at(objective, cp: CriticalPoint, q: Fraction, prec: int, global_min: bool = False) -> _Spectrum:
    if cp.status == "exact" and is_polynomial_objective(objective):
        th = np.array(cp.point, dtype=object)
        return _classify_exact(objective.hessian(th, "exact"), q)
    where = np.array(cp.point, dtype=object) if cp.status == "exact" else np.array(cp.box, dtype=object)
    # the precision ladder: float64 balls first (certified eigenvalue enclosures without a characteristic
    # polynomial), Arb at ``prec`` bits when they do not decide
    last = {}

    def attempt(rung):
        a = rung.arithmetic()
        H = objective.hessian(point_in(rung, where), a.name, a.prec)
        spec = _classify_ball(a.symmetric_eigenvalue_bounds(H), q, prec, global_min, a.eigen_method)
        spec.rung = rung.label
        last["spec"] = spec
        return spec if spec.classification is not None else None

    run = climb(attempt, [Rung("ball64"), Rung("ball", prec)])
    if run.decided:
        run.value.ladder = run.record()
        return run.value
    if "spec" in last and last["spec"].rung == f"ball@{prec}":
        last["spec"].ladder = run.record()
        return last["spec"]
    raise run.error if run.error is not None else EnclosureError("no rung of the precision ladder could enclose the "
                                                                 "Hessian spectrum")


def _global_minimum(objective, cp: CriticalPoint, prec: int) -> dict:
    """Is the (certified) critical point a global minimum by structure? L ≥ 0 everywhere
    (:func:`verify.pl.nonnegativity`) and L = 0 there (exactly, or an enclosure {0} over the box K)."""
    from ..pl import nonnegativity

    out = {"certified": False, "L_value": None, "nonnegativity": None, "reason": ""}
    try:
        nn = nonnegativity(objective)
    except (VerifyError, ArithmeticError, TypeError, ValueError) as exc:
        nn = None
        out["reason"] = f"nonnegativity check failed: {exc}"
    out["nonnegativity"] = nn
    try:
        if cp.status == "exact":
            th = np.array(cp.point, dtype=object)
            try:
                v = objective.value(th, "exact") if is_polynomial_objective(objective) else None
            except ArithmeticNotSupportedError:
                v = None
            if v is None:
                v = objective.value(th, "ball", prec)
        elif cp.status == "box":
            v = objective.value(np.array(cp.box, dtype=object), "ball", prec)
        else:
            return out
        lo, hi = bounds(v)
        out["L_value"] = [lo, hi]
    except (VerifyError, ArithmeticError) as exc:
        out["reason"] = f"L could not be enclosed there: {exc}"
        return out
    if nn is None:
        out["reason"] = out["reason"] or ("L ≥ 0 everywhere is not known structurally (square/logistic losses, "
                                          "sympy-provable sign)")
    elif not lo == hi == 0:
        out["reason"] = (f"L is not certified to vanish there (L ∈ {_fmt_iv(lo, hi)})" if lo <= 0 <= hi else
                         f"L = {_fmt_iv(lo, hi)} ≠ 0 there: not a zero of L")
    else:
        out["certified"] = True
        out["reason"] = f"L = 0 there and {nn}"
    return out


GD_SEMANTICS = ("PROVED: θ* (or the certified critical point near a float/ball θ*) is a fixed point of G_η and "
                "either (a) every Hessian eigenvalue λ ∈ (0, 2/η) — hyperbolic: a strict local minimum and an "
                "asymptotically stable fixed point (spectral radius of DG = I − η∇²L < 1) — or (b) every λ ∈ "
                "[0, 2/η) and the point is certified a global minimum (L = 0 there, L ≥ 0 everywhere known "
                "structurally): non-strict, the zero eigenvalues are flat directions (DG eigenvalue +1). REFUTED: "
                "not a fixed point (for a ball θ*: ∇L ≠ 0 on the whole ball), or some λ < 0 or λ > 2/η (DG has an "
                "eigenvalue of modulus > 1: unstable; λ < 0: a saddle or a maximum). INCONCLUSIVE otherwise, in "
                "particular non-hyperbolic points (a λ = 0 without the global-minimum certificate, or λ = 2/η): "
                "linearly stable only in the non-strict sense (spectral radius 1), where the linearisation does "
                "not decide")


def _plural(n: int | None, word: str) -> str:
    if n is None:
        return f"some {word}s (number not determined)"
    return f"{n} {word}{'' if n == 1 else 's'}"


def gd(objective, theta_star, eta, prec: int = 128) -> Result:
    """Is θ* a linearly stable minimum of GD with step η? (see the module docstring for the semantics)

    ``certificate['classification']``: ``stable`` (every λ ∈ (0, 2/η)), ``neutral`` (λ ∈ [0, 2/η) with
    certified zero eigenvalues), ``nonnegative`` (λ ∈ [0, 2/η), zeros not excluded by ball enclosures),
    ``edge`` (λ ∈ [0, 2/η], some λ = 2/η), ``unstable`` (some λ < 0 or > 2/η), ``not a fixed point``, or None
    (undecided); ``hyperbolic``; ``asymptotically_stable`` (True only for ``stable``; None where the
    linearisation does not decide); ``linearly_stable_nonstrict`` (spectral radius of DG ≤ 1);
    ``global_minimum`` (the certificate that allows zero eigenvalues); ``proved_by`` ((a) or (b));
    ``critical_point`` (how criticality was certified, the Krawczyk box); ``lambda_max``/``lambda_min`` exact
    rational enclosures. ``scope`` names the point or box and the precision. The margin is
    min(ηλ_min, 2 − ηλ_max) (an enclosure; > 0 iff hyperbolic), or 2 − ηλ_max for a PROVED (b).
    """
    t0 = time.perf_counter()
    q = check_eta(eta)
    prec = validate.precision(prec)
    cp = certify_critical(objective, theta_star, prec)
    subject = cp.subject
    claim = (f"{subject} is a linearly stable minimum of GD at η = {eta_str(q)}: a fixed point (∇L = 0) whose "
             "Hessian eigenvalues all lie in (0, 2/η) (hyperbolic: a strict local minimum, asymptotically stable), "
             "or in [0, 2/η) at a certified global minimum (L = 0 there, L ≥ 0 everywhere)")
    cert = {"critical_point": cp.to_dict(), "eta": q, "two_over_eta": 2 / q, "semantics": GD_SEMANTICS}

    ambiguous = cp.status == "box" and cp.user_ball is not None and not (cp.in_user_ball and cp.unique_in_user_ball)

    def done(verdict, message, **kw):
        if ambiguous and verdict in (Verdict.PROVED, Verdict.REFUTED):
            # the certified point is not determined by the given ball (not inside it, or not the only one in it): the
            # verdict would not be about the user's θ*
            cert["verdict_for_the_point_in_K"] = verdict.value
            why = ("its box K is not certified to lie inside the given ball θ*" if not cp.in_user_ball else
                   "the ball may hold other critical points (uniqueness in the whole ball not certified)")
            message = (f"not decided for the given ball θ*: {why} — about the certified critical point in K (see "
                       f"certificate['critical_point']) alone, the verdict would be {verdict.value}: {message}")
            verdict = Verdict.INCONCLUSIVE
            kw.pop("scope", None)
            kw.pop("counterexample", None)
        return Result(verdict, claim=claim, certificate=cert, elapsed=time.perf_counter() - t0, message=message, **kw)

    if cp.status == "undecided":
        cert["classification"] = None
        msg = cp.message if cp.message.startswith("criticality") else f"criticality not certified: {cp.message}"
        return done(Verdict.INCONCLUSIVE, msg, arithmetic="ball", precision=prec)
    if cp.status == "not-critical":
        cert["classification"] = "not a fixed point"
        exact_g = not any(type(v).__name__ == "arb" for v in (cp.gradient or []))
        if cp.gap is not None:
            margin = -cp.gap
        else:
            margin = -hull_max([abs_bounds(v) for v in cp.gradient])[0]  # −(a lower bound of max_j |∂L/∂θ_j|)
        return done(Verdict.REFUTED, f"not a fixed point of G_η: {cp.message}",
                    arithmetic="exact" if exact_g and cp.search_box is None else "ball",
                    precision=None if exact_g and cp.search_box is None else prec, margin=margin,
                    counterexample={"eta": q, "classification": "not a fixed point"},
                    scope=cp.scope(q, what_tail=", where ∇L ≠ 0"))
    gmin = None
    try:
        spec = _spectrum_at(objective, cp, q, prec)
        if spec.classification in ("neutral", "nonnegative") or (
                spec.classification is None and not spec.exact and bounds(spec.lam_min)[0] < 0 <= bounds(
                    spec.lam_min)[1] and compare(spec.lam_max, 2 / q) == -1):
            gmin = _global_minimum(objective, cp, prec)
            if gmin["certified"] and not spec.exact:
                spec = _spectrum_at(objective, cp, q, prec, global_min=True)
    except (SizeLimitError, EnclosureError, ArithmeticError, RegionBoundaryError, UncertifiedValueError) as exc:
        cert["classification"] = None
        return done(Verdict.INCONCLUSIVE, f"the Hessian spectrum could not be certified: {exc}", arithmetic="ball",
                    precision=prec)
    exact = spec.exact
    (mlo, mhi), (nlo, nhi) = spec.lam_max, spec.lam_min
    cls = spec.classification
    hyperbolic = None if cls is None else cls in ("stable", "unstable") and not (
        cls == "unstable" and (spec.zero_multiplicity or spec.edge_multiplicity))
    cert.update({"classification": cls, "hyperbolic": hyperbolic, "asymptotically_stable": spec.asymptotic,
                 "linearly_stable_nonstrict": spec.nonstrict, "lambda_max": [mlo, mhi], "lambda_min": [nlo, nhi],
                 "edge_step": [2 / mhi if mhi > 0 else None, 2 / mlo if mlo > 0 else None],
                 "method": spec.method, "global_minimum": gmin, "proved_by": None})
    if spec.lam_min_from_minimality:
        cert["lambda_min_note"] = "λ_min ≥ 0 by global minimality (the enclosure alone contains negative numbers)"
    cert["is_minimum"] = _minimum_text(spec, cp, gmin)
    if exact:
        cert.update({"lambda_max_exact": None if spec.lam_max_exact is None else str(spec.lam_max_exact)})
    cert.update({"zero_eigenvalue_multiplicity": spec.zero_multiplicity,
                 "edge_eigenvalue_multiplicity": spec.edge_multiplicity})
    margin = (min(q * nlo, 2 - q * mhi), min(q * nhi, 2 - q * mlo))
    arith = "exact" if exact else ("ball64" if spec.rung == "ball64" else "ball")
    if spec.ladder:
        cert["ladder"] = spec.ladder
    lam_txt = f"λ_min ∈ {_fmt_iv(nlo, nhi)}, λ_max ∈ {_fmt_iv(mlo, mhi)}, 2/η = {_fmt(2 / q, Fraction(0))}"
    quantity = Quantity("λ_max", None if spec.lam_max_exact is None else str(spec.lam_max_exact), (mlo, mhi))
    common = {"arithmetic": arith, "precision": None if arith != "ball" else prec, "quantity": quantity,
              "rung": "exact" if exact else spec.rung}
    where = "θ*" if cp.status == "exact" else subject
    if cls is None:
        return done(Verdict.INCONCLUSIVE, f"{spec.undecided_reason} ({lam_txt})", margin=margin, **common)
    scope_tail = f", step size η = {eta_str(q)}"
    if cls == "unstable":
        detail = ("linearly unstable: " + ("an eigenvalue λ < 0 (DG has an eigenvalue > 1): a saddle or a maximum, "
                                           "not a minimum" if compare((nlo, nhi), 0) == -1 else
                                           "an eigenvalue λ > 2/η (DG has an eigenvalue < −1)"))
        return done(Verdict.REFUTED, f"unstable at {where}: {detail}; {lam_txt}", margin=margin,
                    counterexample={"eta": q, "classification": cls}, scope=cp.scope(q, what_tail=scope_tail), **common)
    if cls == "stable":
        cert["proved_by"] = "(a) hyperbolic: every λ ∈ (0, 2/η)"
        return done(Verdict.PROVED, f"stable at {where}: hyperbolic — every λ ∈ (0, 2/η): a strict local minimum and "
                                    f"an asymptotically stable fixed point of G_η (spectral radius of DG < 1); "
                                    f"{lam_txt}", margin=margin, scope=cp.scope(q, what_tail=scope_tail), **common)
    zeros = _plural(spec.zero_multiplicity, "zero eigenvalue")
    if cls in ("neutral", "nonnegative") and gmin is not None and gmin["certified"]:
        cert["proved_by"] = "(b) non-strict at a certified global minimum: every λ ∈ [0, 2/η)"
        nz = spec.zero_multiplicity
        zero_txt = (f"non-strict: {zeros}" if cls == "neutral" else
                    "non-strict: λ ≥ 0 by global minimality, whether some λ = 0 is not decided by the enclosures")
        return done(Verdict.PROVED,
                    f"stable at {where} in the non-strict sense, at a certified global minimum ({gmin['reason']}): "
                    f"every λ ∈ [0, 2/η), {zero_txt} (DG eigenvalue +1 along the kernel of ∇²L — the flat "
                    f"directions of a manifold of minima in the over-parameterised case; the linearisation alone "
                    f"does not give asymptotic stability); {lam_txt}",
                    margin=(2 - q * mhi, 2 - q * mlo),
                    scope=cp.scope(q, what_tail=f"{scope_tail}; {zero_txt}") | {"zero_eigenvalues": nz}, **common)
    if cls == "edge":
        what = (f"λ = 2/η exactly ({_plural(spec.edge_multiplicity, 'eigenvalue')}; DG has the eigenvalue −1)"
                + (f" and {zeros} (DG eigenvalue +1)" if spec.zero_multiplicity else ""))
        example = "x² + x⁴ at 0, η = 1, has this spectrum and GD oscillates outward there"
    else:
        what = f"{zeros} (DG eigenvalue +1)" if cls == "neutral" else \
            "λ ∈ [0, 2/η) with a zero eigenvalue not excluded by the enclosures"
        example = "−x⁴, x³ and x² − y⁴ at 0 have such spectra and are unstable"
        why = gmin["reason"] if gmin is not None else "not checked"
        example += f"; θ* is not certified a global minimum: {why}"
    return done(Verdict.INCONCLUSIVE,
                f"{cls} at {where}: linearly stable in the non-strict sense (spectral radius of DG = 1: {what}) but "
                f"non-hyperbolic, so the linearisation does not decide ({example}); {lam_txt}", margin=margin,
                **common)


def _fmt(x: Fraction, width_ref: Fraction | None = None) -> str:
    """x in decimal with enough digits to show the enclosure's width (at most 40)."""
    from decimal import Decimal, localcontext

    digits = 10
    if width_ref == 0:
        return fraction_str(x) if x.denominator < 10**12 else _fmt(x, Fraction(abs(x), 10**37) or Fraction(1))
    if width_ref is not None and x != 0:
        digits = min(40, max(10, len(str(int(abs(x) / abs(width_ref)))) + 3))
    with localcontext() as ctx:
        ctx.prec = digits
        return str(+(Decimal(x.numerator) / Decimal(x.denominator)))


def _fmt_iv(lo: Fraction, hi: Fraction) -> str:
    w = hi - lo
    if w == 0:
        return f"{{{_fmt(lo, Fraction(0))}}}"
    return f"[{_fmt(lo, w)}, {_fmt(hi, w)}]"


def _minimum_text(spec: _Spectrum, cp: CriticalPoint, gmin: dict | None = None) -> str:
    (nlo, nhi) = spec.lam_min
    at = "θ*" if cp.status == "exact" else "the certified critical point"
    if gmin is not None and gmin.get("certified"):
        return f"yes: {at} is a global minimum ({gmin['reason']})"
    if nhi < 0:
        return f"no: {at} has a certified negative curvature direction (λ_min < 0): a saddle or a maximum"
    if nlo > 0:
        return f"yes: {at} is a strict local minimum (∇L = 0, ∇²L ≻ 0 certified)"
    if nlo >= 0:
        return (f"undecided: ∇²L ⪰ 0 at {at} with a zero eigenvalue (second-order necessary condition only: "
                "a maximum, an inflection or a saddle of higher order is possible)")
    return "undecided: the λ_min enclosure contains 0"


# ---------------------------------------------------------------------------------------------- SGD
def per_sample_hessians(objective, theta, arith="exact", prec=None):
    """[H_i] with H = (1/n) Σ H_i, H_i the Hessian of the loss on data point i alone."""
    n = objective.data.n
    return [batch_objective(objective, [i]).hessian(theta, arith, prec) for i in range(n)]


def _mat(H):
    return to_fmpq_mat(np.asarray(H, dtype=object))


def _eye(p):
    from flint import fmpq_mat

    return fmpq_mat(p, p, [int(i == j) for i in range(p) for j in range(p)])


def _decide_le_one(expr) -> tuple[bool | None, tuple[Fraction, Fraction] | None, str]:
    """Is the real algebraic number ``expr`` ≤ 1? Exact: rigorous enclosures on a precision ladder
    (128 … 4096 bits) separate it from 1; if they cannot, the exact sign of expr − 1 (minimal polynomial
    zero test) decides. (decision, last enclosure, how)."""
    iv = None
    expr = sp.sympify(expr)
    if isinstance(expr, sp.Rational):  # an exact rational: compare exactly
        v = Fraction(int(expr.p), int(expr.q))
        return v <= 1, (v, v), "exact rational value"
    for prec in ALGEBRAIC_PRECISIONS:
        if prec < 128:
            continue
        try:
            iv = algebraic_bounds(expr, prec)
        except UncertifiedValueError as exc:
            return None, iv, f"no rigorous enclosure: {exc}"
        if iv[1] < 1:
            return True, iv, f"enclosure < 1 at {prec} bits"
        if iv[0] > 1:
            return False, iv, f"enclosure > 1 at {prec} bits"
    try:
        s = algebraic_sign(expr - 1)
    except UncertifiedValueError as exc:
        return None, iv, f"undecided: {exc}"
    return s <= 0, iv, ("exactly 1 (minimal polynomial)" if s == 0 else "exact sign")


def _flat_directions_complement(HBs):
    """Exact basis Q (p × r) of N^⊥, N = ∩ ker H_B the directions every batch map leaves fixed
    (tangent to a manifold of minima)."""
    from flint import fmpq_mat

    from ..gdmap.linalg_exact import vstack

    R, rank = vstack(HBs).rref()
    p = HBs[0].ncols()
    return fmpq_mat(p, rank, [R[j, i] for i in range(p) for j in range(rank)])


def _reduce(A, Q):
    """C with A Q = Q C for A preserving span(Q): C = (QᵀQ)⁻¹ Qᵀ A Q (exact)."""
    Qt = Q.transpose()
    return (Qt * Q).solve(Qt * A * Q)


def _sym_restriction(terms, r: int):
    """The matrix (fmpq_mat) of S ↦ Σ_k w_k C_k S C_kᵀ on symmetric r × r matrices, in the coordinates
    (S_kl)_{k ≤ l} (basis E_ii and E_ij + E_ji)."""
    from flint import fmpq, fmpq_mat

    idx = [(i, j) for i in range(r) for j in range(i, r)]
    m = len(idx)
    Cs = [(_fq(w), [[C[a, b] for b in range(r)] for a in range(r)]) for w, C in terms]
    out = [[fmpq(0)] * m for _ in range(m)]
    for col, (i, j) in enumerate(idx):
        for row, (k, l) in enumerate(idx):
            s = fmpq(0)
            for w, C in Cs:
                if i == j:
                    s += w * C[k][i] * C[l][i]
                else:
                    s += w * (C[k][i] * C[l][j] + C[k][j] * C[l][i])
            out[row][col] = s
    return fmpq_mat(m, m, [v for row in out for v in row])


def _radius_vs_one(Tsym) -> dict:
    """ρ(T) compared with 1 for the positive map T given by its restriction to symmetric matrices (ρ(T) = ρ(T|S):
    the Krein–Rutman eigenvector is a positive semi-definite matrix). See :func:`_spectral_radius_vs_one`."""
    return _spectral_radius_vs_one(_charpoly(Tsym))


def _max_eig_le_one(M) -> bool:
    """λ_max(M) ≤ 1 for a rational symmetric M, exactly (roots located against 1)."""
    return _symmetric_root_positions(_charpoly(M), [Fraction(1)]).counts[Fraction(1)][2] == 0


def _top_eig_enclosure(P, prec: int):
    """Enclosure (exact rationals) of the largest root of P (all roots real) from Arb root isolation at prec bits."""
    from ..arith.ball import _ArbPrec

    with _ArbPrec(prec):
        roots = P.complex_roots()
    return hull_max([c.real for c, _m in roots])


def _wme_value(q: Fraction, c: Fraction, a_iv, s_iv) -> tuple[Fraction, Fraction]:
    """Enclosure of V = (1 − q a)² + q² c s² for a ∈ a_iv, s² ∈ s_iv (exact rational interval arithmetic)."""
    t = (1 - q * a_iv[1], 1 - q * a_iv[0])
    sq = (t[0] * t[0], t[1] * t[1])
    lo_sq = Fraction(0) if t[0] <= 0 <= t[1] else min(sq)
    k = q * q * c
    return lo_sq + k * s_iv[0], max(sq) + k * s_iv[1]


def _decide_wme(PH, PS, q: Fraction, c: Fraction) -> dict:
    """Is V = (1 − ηa)² + η²c s² ≤ 1 with a = λ_max(H), s² = λ_max(Σ)? Rigorous enclosures of a and s² (Arb root
    isolation of the exact characteristic polynomials) on a precision ladder; if V cannot be separated from 1,
    a and s² as exact algebraic numbers (CRootOf) and the exact sign of V − 1 (:func:`_decide_le_one`)."""
    out = {}
    for prec in ROOT_PRECISIONS:
        a_iv = _top_eig_enclosure(PH, prec) if PH.degree() > 0 else (Fraction(0), Fraction(0))
        s_iv = _top_eig_enclosure(PS, prec) if PS.degree() > 0 else (Fraction(0), Fraction(0))
        v = _wme_value(q, c, a_iv, s_iv)
        out = {"a": a_iv, "s2": s_iv, "value": v}
        if v[0] == v[1]:  # a and s² exact (rational eigenvalues): V is exact
            return {**out, "holds": v[0] <= 1, "how": "V exact (rational eigenvalues)"}
        if v[1] < 1:
            return {**out, "holds": True, "how": f"V < 1: enclosures at {prec} bits"}
        if v[0] > 1:
            return {**out, "holds": False, "how": f"V > 1: enclosures at {prec} bits"}
    a, s2 = _top_root_exact(PH), _top_root_exact(PS)
    V = (1 - _sq(q) * a.exact) ** 2 + _sq(q) ** 2 * _sq(c) * s2.exact
    holds, iv, how = _decide_le_one(V)
    return {**out, "holds": holds, "how": how, "value": iv or out.get("value"), "a_exact": str(a.exact),
            "s2_exact": str(s2.exact), "value_exact": str(V)}


def _batch_size_operator(Hs, Hm, q, c, n, B):
    """(Q, T|S) for uniform batches of size B without replacement: T(S) = C S Cᵀ + η²c (1/n) Σ D_i S D_iᵀ with
    C = I − ηH, D_i = H_i − H (reduced to N^⊥), since E[(H_B − H) ⊗ (H_B − H)] = c (1/n) Σ D_i ⊗ D_i."""
    p = Hm.nrows()
    Q = _flat_directions_complement(Hs if B < n else [Hm])
    r = Q.ncols()
    if r > MEAN_SQUARE_MAX_DIM:
        return Q, None
    if r == 0:
        return Q, _sym_restriction([], 0)
    terms = [(Fraction(1), _reduce(_eye(p) - Hm * _fq(q), Q))]
    if c:
        terms += [(q * q * c / n, _reduce(H - Hm, Q)) for H in Hs]
    return Q, _sym_restriction(terms, r)


def _check_batch_probs(batch_probabilities, n):
    batches, probs = [], []
    if isinstance(batch_probabilities, str | bytes) or not hasattr(batch_probabilities, "__iter__"):
        raise InputError("batch_probabilities must be a list of (batch, probability) pairs")
    for item in batch_probabilities:
        try:
            b, pr = item
        except (TypeError, ValueError):
            raise InputError("batch_probabilities must be a list of (batch, probability) pairs") from None
        pr = validate.nonneg_rational(pr, "a batch probability")
        if isinstance(b, str | bytes) or not hasattr(b, "__iter__"):
            raise InputError(f"a batch must be a list of data indices, got {b!r}")
        rows = [validate.nonneg_int(i, "a data index") for i in b]
        if not rows or len(set(rows)) != len(rows) or max(rows) >= n:
            raise InputError(f"a batch must be a non-empty list of distinct data indices in [0, {n}), got {list(b)}")
        batches.append(rows)
        probs.append(pr)
    if not batches or sum(probs) != 1:
        raise InputError(f"batch probabilities must sum to exactly 1, got {sum(probs) if probs else 0}")
    return batches, probs


def sgd(objective, theta_star, eta, batch_size: int | None = None, batch_probabilities=None, *,
        lyapunov_steps: int = 2000, lyapunov_runs: int = 8, seed: int = 0) -> Result:
    """Linear stability of θ* for SGD (see the module docstring for what is necessary and what sufficient).

    θ* must be exact (rationals) and the objective polynomial on its pieces (exact per-sample Hessians).
    Both paths first certify that θ* is a common fixed point of the batch maps (∇L_B(θ*) = 0 exactly for every
    batch drawn with positive probability; for uniform batches of size B < n that is every per-sample gradient)
    and REFUTE the claim otherwise.

    * ``batch_size`` B (uniform batches without replacement): the claim is the Wu–Ma–E scalar condition
      V = (1 − ηa)² + η²(n − B)/(B(n − 1)) s² ≤ 1, decided exactly (a, s² exact algebraic numbers; enclosures on
      a precision ladder, then the exact sign). ``certificate['mean_square']`` adds the exact necessary
      condition 0 ≤ λ(H) ≤ 2/η, the sufficient condition λ_max(E[(I − ηH_B)²]) ≤ 1 and the exact criterion
      ρ(T) < 1 (when N^⊥ has dimension ≤ 12).
    * ``batch_probabilities`` — a list of (batch, probability): the claim is mean-square asymptotic stability
      transverse to the flat directions, ρ(E[C_B ⊗ C_B]) < 1, decided exactly (Sturm count).

    In both cases ``certificate['lyapunov']`` holds a Monte-Carlo estimate of the top Lyapunov exponent with
    its standard error (numerical evidence).
    """
    t0 = time.perf_counter()
    q = check_eta(eta)
    lyapunov_steps = validate.positive_int(lyapunov_steps, "lyapunov_steps")
    lyapunov_runs = validate.positive_int(lyapunov_runs, "lyapunov_runs")
    seed = validate.nonneg_int(seed, "seed")
    from ..models.objective import NetworkLoss

    if not isinstance(objective, NetworkLoss):
        raise InputError("sgd stability needs a network loss with a dataset (per-sample Hessians)")
    _check_point(objective, theta_star)
    n = objective.data.n
    th = _rational_point(theta_star)
    if th is None or not is_polynomial_objective(objective):
        raise InputError("the exact SGD criteria need an exact rational θ* (not floats) and activations polynomial on "
                         "their pieces")
    if (batch_size is None) == (batch_probabilities is None):
        raise InputError("give exactly one of batch_size or batch_probabilities")
    if batch_size is not None:
        B = validate.positive_int(batch_size, "batch_size", maximum=n)
        fixed_batches = [[i] for i in range(n)] if B < n else [list(range(n))]
        claim = (f"θ* is a fixed point of every SGD batch map and the Wu-Ma-E condition (1 − ηa)² + "
                 f"η²(n−B)/(B(n−1)) s² ≤ 1 holds at η = {eta_str(q)}, B = {B}")
    else:
        batches, probs = _check_batch_probs(batch_probabilities, n)
        keep = [k for k, pr in enumerate(probs) if pr > 0]
        batches, probs = [batches[k] for k in keep], [probs[k] for k in keep]
        fixed_batches = batches
        claim = (f"θ* is a fixed point of every SGD batch map and is mean-square asymptotically stable at "
                 f"η = {eta_str(q)} (ρ(E[C_B ⊗ C_B]) < 1 off the flat directions)")
    point_scope = make_scope(f"the single point θ* (exact rational), η = {eta_str(q)}", count=1,
                             points=[[fraction_str(Fraction(v)) for v in th]], eta=q)

    def done(verdict, message, **kw):
        return Result(verdict, claim=claim, arithmetic="exact", elapsed=time.perf_counter() - t0, message=message,
                      scope=point_scope, **kw)

    # (1) θ* must be a common fixed point of the batch maps
    try:
        for b in fixed_batches:
            g = batch_objective(objective, b).grad(th, "exact")
            if any(_frac(v) != 0 for v in g):
                j = next(k for k, v in enumerate(g) if _frac(v) != 0)
                return done(Verdict.REFUTED, f"θ* is not a fixed point of the SGD map of batch {b}: ∂L_B/∂θ_{j} = "
                            f"{g[j]} ≠ 0 (exact); the Wu-Ma-E / mean-square criteria are about a common fixed point "
                            "(a global minimum where every per-sample gradient vanishes)",
                            certificate={"criterion": "common fixed point", "batch": b, "classification":
                                         "not a fixed point of SGD"},
                            counterexample={"batch": b, "eta": q})
        if batch_size is not None:
            Hs = [_mat(H) for H in per_sample_hessians(objective, th)]
        else:
            HBs = [_mat(batch_objective(objective, b).hessian(th, "exact")) for b in batches]
    except RegionBoundaryError as exc:
        return done(Verdict.INCONCLUSIVE, f"θ* lies on a region boundary (derivatives undefined): {exc}")
    p = objective.n_params
    if batch_size is not None:
        Hm = Hs[0]
        for M in Hs[1:]:
            Hm = Hm + M
        Hm = Hm / n
        S = Hs[0] * Hs[0]
        for M in Hs[1:]:
            S = S + M * M
        Sigma = S / n - Hm * Hm
        c = Fraction(n - B, B * (n - 1)) if n > 1 else Fraction(0)
        PH, PS = _charpoly(Hm), _charpoly(Sigma)
        w = _decide_wme(PH, PS, q, c)
        holds, iv = w["holds"], w["value"]
        crit = {"criterion": "Wu-Ma-E scalar condition V = (1 − ηa)² + η²(n−B)/(B(n−1)) s² ≤ 1", "batch_size": B,
                "sharpness_a_enclosure": list(w["a"]), "non_uniformity_s2_enclosure": list(w["s2"]),
                "value": list(iv) if iv else None, "threshold": 1, "decided_by": w["how"], "c": c,
                "common_fixed_point": "every per-sample gradient is exactly 0" if B < n else
                "∇L(θ*) = 0 exactly (full batch)",
                "meaning": "the scalar condition of Wu, Ma & E (NeurIPS 2018); exact in one dimension, in general "
                           "neither necessary nor sufficient for mean-square stability — see 'mean_square'"}
        for k in ("a_exact", "s2_exact", "value_exact"):
            if k in w:
                crit[k] = w[k]
        posH = _symmetric_root_positions(PH, [Fraction(0), 2 / q])
        ms = {"necessary_0_le_lambda_H_le_2_over_eta": posH.counts[Fraction(0)][0] == 0
              and posH.counts[2 / q][2] == 0}
        Mmat = (_eye(p) - Hm * _fq(q)) * (_eye(p) - Hm * _fq(q)) + Sigma * _fq(q * q * c)
        ms["sufficient_lambda_max_E_sq_le_1"] = _max_eig_le_one(Mmat)
        Q, Tsym = _batch_size_operator(Hs, Hm, q, c, n, B)
        if Tsym is not None:
            rad = _radius_vs_one(Tsym)
            ms.update({"rho_T": rad["rho"], "rho_T_decided_by": rad["decided_by"],
                       "mean_square_asymptotically_stable": rad["rho_lt_1"], "flat_directions": p - Q.ncols()})
        else:
            ms["rho_T"] = f"skipped: N^⊥ has dimension {Q.ncols()} > {MEAN_SQUARE_MAX_DIM}"
        crit["mean_square"] = ms
        margin = (1 - iv[1], 1 - iv[0]) if iv else None
        lyap = lyapunov_exponent(objective, th, q, None, None, steps=lyapunov_steps, runs=lyapunov_runs, seed=seed,
                                 batch_size=B)
    else:
        if p == 0:
            raise InputError("the objective has no parameters")
        Q = _flat_directions_complement(HBs)
        r = Q.ncols()
        if r > MEAN_SQUARE_MAX_DIM:
            raise InputError(f"the exact mean-square operator acts on {r}×{r} symmetric matrices; r = {r} exceeds the "
                             f"limit {MEAN_SQUARE_MAX_DIM}: use batch_size (the Wu-Ma-E condition)")
        if r == 0:
            return done(Verdict.INCONCLUSIVE, "every direction is fixed by every batch map (∇²L_B(θ*) = 0 for every "
                        "batch): θ* lies in a flat set of fixed points, there is no transverse dynamics and the "
                        "mean-square claim would be vacuous", certificate={"flat_directions": p, "radius": None})
        terms = [(pr, _reduce(_eye(p) - HB * _fq(q), Q)) for HB, pr in zip(HBs, probs)]
        rad = _radius_vs_one(_sym_restriction(terms, r))
        holds = rad["rho_lt_1"]
        iv = tuple(rad["rho"]) if rad["rho"] and None not in rad["rho"] else None
        crit = {"criterion": "spectral radius of E[(I − ηH_B)⊗(I − ηH_B)] < 1 (off the flat directions)",
                "radius": rad["rho"], "radius_equals_1": rad.get("rho_equals_1"),
                "flat_directions": p - r, "decided_by": rad["decided_by"],
                "common_fixed_point": "∇L_B(θ*) = 0 exactly for every batch with positive probability"}
        margin = (1 - iv[1], 1 - iv[0]) if iv else None
        lyap = lyapunov_exponent(objective, th, q, batches, probs, steps=lyapunov_steps, runs=lyapunov_runs,
                                 seed=seed)
    crit["lyapunov"] = lyap
    if holds is None:
        return done(Verdict.INCONCLUSIVE, f"the criterion could not be decided: {crit.get('decided_by')}",
                    margin=margin, certificate=crit)
    verdict = Verdict.PROVED if holds else Verdict.REFUTED
    value = crit.get("value_exact")
    extra = ""
    if "mean_square" in crit:
        ms = crit["mean_square"]
        st = ms.get("mean_square_asymptotically_stable")
        extra = (f"; exact mean-square criteria: necessary 0 ≤ λ(H) ≤ 2/η "
                 f"{'holds' if ms['necessary_0_le_lambda_H_le_2_over_eta'] else 'fails'}, sufficient "
                 f"λ_max(E[(I − ηH_B)²]) ≤ 1 {'holds' if ms['sufficient_lambda_max_E_sq_le_1'] else 'fails'}"
                 + ("" if st is None else
                    f", ρ(T) < 1 (mean-square asymptotic stability) {'holds' if st else 'fails'}"))
    return done(verdict, f"{crit['criterion']}: {'holds' if holds else 'fails'} ({crit['decided_by']}){extra}; "
                f"Lyapunov exponent ≈ {lyap['estimate']:.4g} ± {lyap['stderr']:.2g} (numerical)",
                quantity=Quantity("mean-square criterion", value, tuple(iv) if iv else None), margin=margin,
                certificate=crit, counterexample=None if holds else {"eta": q, "criterion": crit["criterion"]})


def lyapunov_exponent(objective, theta, eta, batches, probs, *, steps: int = 2000, runs: int = 8,
                      seed: int = 0, batch_size: int | None = None) -> dict:
    """Monte-Carlo estimate of λ = lim (1/k) log ‖Π_{j≤k} (I − η H_{B_j}) v‖ (float64, renormalised),
    on the complement of the directions every H_B annihilates (flat directions of a minimum).

    Batches are drawn from ``batches`` with probabilities ``probs``, or (``batches=None``) uniformly among the
    subsets of size ``batch_size`` without replacement. Returns the mean over ``runs`` independent runs and its
    standard error: numerical evidence.
    """
    steps = validate.positive_int(steps, "steps")
    runs = validate.positive_int(runs, "runs")
    rng = np.random.default_rng(validate.nonneg_int(seed, "seed"))
    p = objective.n_params
    eta_f = float(eta)
    n = objective.data.n
    if batches is None:
        B = validate.positive_int(batch_size, "batch_size", maximum=n)
        per = [np.asarray(H, dtype=float) for H in per_sample_hessians(objective, theta, "float")]
        if math.comb(n, B) <= 2000:
            batches = [list(b) for b in combinations(range(n), B)]
            probs = [Fraction(1, len(batches))] * len(batches)
            HBs = [sum(per[i] for i in b) / B for b in batches]
            sampler = None
        else:
            HBs = [sum(per) / n]
            sampler = (per, B)
    else:
        HBs = [np.asarray(batch_objective(objective, b).hessian(theta, "float"), dtype=float) for b in batches]
        sampler = None
    # restrict to the complement of the common kernel (flat directions: exponent 0 for every η)
    _, sv, Vt = np.linalg.svd(np.vstack(HBs if sampler is None else sampler[0]))
    r = int((sv > 1e-10 * max(sv.max(), 1e-300)).sum())
    Q = Vt[:r].T
    if r == 0:
        return {"estimate": -math.inf, "stderr": 0.0, "runs": runs, "steps": steps, "arithmetic": "float",
                "dimension": 0}
    eye = np.eye(p)
    if sampler is None:
        mats = [Q.T @ (eye - eta_f * H) @ Q for H in HBs]
        pr = np.array([float(x) for x in probs])
        pr = pr / pr.sum()

        def draw(k):
            return [mats[j] for j in rng.choice(len(mats), size=k, p=pr)]
    else:
        per, B = sampler

        def draw(k):
            return [Q.T @ (eye - eta_f * sum(per[i] for i in rng.choice(n, size=B, replace=False)) / B) @ Q
                    for _ in range(k)]
    ests = []
    for _ in range(runs):
        v = rng.standard_normal(r)
        v /= np.linalg.norm(v)
        acc = 0.0
        for m in draw(steps):
            v = m @ v
            nv = np.linalg.norm(v)
            if nv == 0:
                acc = -math.inf
                break
            acc += math.log(nv)
            v /= nv
        ests.append(acc / steps)
    arr = np.array(ests)
    finite = np.isfinite(arr).all()
    return {"estimate": float(arr.mean()) if finite else -math.inf,
            "stderr": float(arr.std(ddof=1) / math.sqrt(runs)) if finite and runs > 1 else 0.0,
            "runs": runs, "steps": steps, "arithmetic": "float", "dimension": r}


__all__ = ["gd", "sgd", "spectrum", "lyapunov_exponent", "per_sample_hessians", "certify_critical", "CriticalPoint",
           "GD_SEMANTICS"]
