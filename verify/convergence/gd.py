"""GD trajectories in any arithmetic and certified checks of the linear-convergence conclusion of
Chatterjee's local PL theorem for gradient descent (arXiv:2203.16462; the checkable form in
``verify.pl.chatterjee_gd``).

:func:`gd` runs x_{k+1} = x_k − η∇L(x_k). In ``"ball"`` (Arb) and ``"ball64"`` (float64 balls) arithmetic
(rational η and x0) every iterate and loss is an enclosure of the exact GD iterate, so :func:`check_rate` can
certify the claim below for every k; in ``"exact"`` arithmetic the iterates are the exact rationals. Ball runs
are *shadowed* by default (:mod:`verify.convergence.shadow`: a rounded orbit plus a certified bound of its
distance to the exact orbit), so they stay sharp over 10⁴ steps instead of blowing up by the wrapping effect.

**The claim** checked by ``check_rate(traj, q, x0, r)`` (the conclusion of the theorem: with
0 < η < η_max every iterate stays in the ball and the loss contracts by q per step):

    for every k = 0..K:   L(θ_k) ≤ q^k · L(θ_0)   and (if r is given)   ‖θ_k − x0‖ ≤ r,

with 0 < q < 1 (q ≥ 1 is no convergence, q ≤ 0 is not a rate: both are refused), η > 0, B(x0, r)
the *closed* ball, θ_k the exact GD iterates from the run's exact start with the exact step η. For
a nonnegative loss (the theorem's hypothesis) this is linear convergence to 0; a certainly negative
L(θ_0) is refused, and a negative L(θ_k) makes the check INCONCLUSIVE (the inequality would then
say nothing about convergence).

**Verdicts.**

* PROVED — only from a ``ball``/``ball64``/``exact`` run: every step 1..K certified (exact rational endpoints
  compared by :mod:`verify.arith.decide`); the scope says which steps, η, q, r and the precision.
  A run with no step checked is INCONCLUSIVE.
* REFUTED — a certified violation at a step k (the loss above q^k L(θ_0), or θ_k certainly outside
  the ball). From a float/mp run only after the ball re-check below certifies it.
* SUPPORTED — a float/mp run satisfies the claim numerically: the loss bound with a relative
  tolerance until the round-off floor, and containment in the ball at *every* iterate. A float64
  run near its round-off floor "violates" any rate (least squares floors near 6.5e−33): the rate
  check stops at the floor and says so. Any float excursion (above the bound, or outside the ball)
  is re-checked in ball arithmetic from the exact start with the exact η: REFUTED if the ball run
  certifies it, INCONCLUSIVE if it cannot decide, and only an excursion the ball run shows to be
  round-off lets the float check go on. The re-check climbs the precision ladder (float64 balls, then Arb
  at 128, 256, … bits; ``Result.rung`` and ``certificate["ladder"]``).
* INCONCLUSIVE — enclosures that overlap the bound, or that blow up. The naive ball form suffers from
  the *wrapping effect*: evaluating θ − η∇L(θ) on an enclosure loses the cancellation between θ
  and η∇L(θ), so each step can multiply the radius by about 1 + η‖∇²L‖ even while the exact
  iterates contract by 1 − ηλ; after enough steps (about prec / log2(1 + η‖∇²L‖)) the enclosure
  is no longer finite. The message names the step and the remedy (fewer steps, more precision).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .. import validate
from ..arith import get_arith
from ..arith.ball import _REL_BITS, checked_balls
from ..arith.decide import bounds, decide
from ..errors import EnclosureError, InputError, UncertifiedValueError
from ..gdmap.maps import check_eta
from ..numbers import fraction_array, to_fraction
from ..result import Quantity, Result, Verdict, make_scope

#: a ball/mp value whose binary exponent exceeds this in absolute value stops the run: its exact
#: rational endpoints would need more than 2**20 bits (a divergent or super-linearly convergent run)
MAX_EXPONENT_BITS = 2**20
#: a float/mp run exceeding the claimed bound is re-checked in ball arithmetic at most this often
MAX_ESCALATIONS = 3


@dataclass
class Trajectory:
    """GD iterates θ_0..θ_K and losses L(θ_k) in one arithmetic.

    ``start`` is the exact (rational) start the run was given, ``eta`` the exact step: together they
    define the exact GD iterates that a certified check speaks about. ``stopped`` says why the run
    ended before the requested number of steps (``extra["stop_reason"]``: ``"stop_below"``,
    ``"blowup"`` (a ball enclosure blown up by the wrapping effect), ``"not_finite"`` (float/mp overflow) or
    ``"magnitude"``, at ``extra["stop_step"]``; the offending iterate is not stored).
    """

    objective: object
    eta: Fraction
    thetas: list
    losses: list
    arith: str
    prec: int | None
    stopped: str = ""
    extra: dict = field(default_factory=dict)
    start: np.ndarray | None = None

    @property
    def steps(self) -> int:
        """The number of GD steps taken: ``len(thetas) − 1`` (θ_0 … θ_steps are stored)."""
        return len(self.thetas) - 1

    @property
    def losses_float(self) -> np.ndarray:
        """The losses L(θ_k) as float64 (midpoints of enclosures), an array of ``steps + 1`` entries; ``losses`` keeps
        them in the run's arithmetic (exact ``fmpq``, ``arb``/``B64`` enclosures, floats). A property, like
        ``losses``; calling it (``traj.losses_float()``, the former method) still works, with a DeprecationWarning."""
        a = get_arith(self.arith, self.prec)
        return _FloatView.of(np.array([float(a.to_float(v)) for v in self.losses]), "losses_float")

    @property
    def thetas_float(self) -> np.ndarray:
        """The iterates θ_k as a float64 array of shape (steps + 1, p) (midpoints of enclosures); ``thetas`` keeps
        them in the run's arithmetic. A property; calling it (the former method) still works, with a
        DeprecationWarning."""
        a = get_arith(self.arith, self.prec)
        return _FloatView.of(np.array([a.to_float(t) for t in self.thetas], dtype=float), "thetas_float")

    def loss_bounds(self) -> list:
        """Exact rational endpoints ``(lo, hi)`` of every loss enclosure (certified arithmetics: ``ball``, ``ball64``,
        ``exact``); a float or mp run raises :class:`~verify.errors.UncertifiedValueError`."""
        a = get_arith(self.arith, self.prec)
        return [a.bounds(v) for v in self.losses]


class _FloatView(np.ndarray):
    """A float64 array that may also be called, returning itself with a DeprecationWarning: ``Trajectory.losses_float``
    and ``thetas_float`` were methods; they are properties now and old code calling them keeps working.
    Arithmetic on it gives plain ndarrays."""

    _name = ""

    @classmethod
    def of(cls, arr: np.ndarray, name: str):
        out = arr.view(cls)
        out._name = name
        return out

    def __array_finalize__(self, obj):
        self._name = getattr(obj, "_name", "")

    def __array_wrap__(self, obj, context=None, return_scalar=False):
        out = np.asarray(obj)
        return out[()] if return_scalar else out

    def __call__(self):
        import warnings

        warnings.warn(f"Trajectory.{self._name} is a property now: write traj.{self._name} (without parentheses)",
                      DeprecationWarning, stacklevel=2)
        return np.asarray(self)

    def __reduce__(self):  # pickles as a plain array
        return np.asarray(self).__reduce__()


# ------------------------------------------------------------------------------------------- GD run
def _exponent_too_big(p) -> bool:
    """|binary exponent| of an arb midpoint/radius or an mpf beyond MAX_EXPONENT_BITS."""
    if p == 0:
        return False
    m, e = p.man_exp() if callable(getattr(p, "man_exp", None)) else p.man_exp
    return abs(int(e)) > MAX_EXPONENT_BITS or abs(int(e) + int(m).bit_length()) > MAX_EXPONENT_BITS


#: the fast test of :func:`_ball_health`: a midpoint whose nearest double has magnitude in [2**-900, 2**900], and a
#: relative accuracy of at most 2**19 bits in magnitude (or an exact ball), certify that the midpoint's and the
#: radius's binary exponents are within ±MAX_EXPONENT_BITS — provided the midpoint has at most 2**19 bits
_SAFE_LO, _SAFE_HI = 2.0**-900, 2.0**900
_SAFE_REL_BITS = 2**19
#: ``arb.rel_accuracy_bits`` of an exact ball (Arb's ARF_PREC_EXACT)
_EXACT_BITS = 2**63 - 1
#: the fast test assumes midpoints of at most this many bits (Arb rounds every result to the working
#: precision; exact inputs are below 2**1000 in magnitude)
_FAST_HEALTH_MAX_PREC = 2**19


def _ball_health(th, L, prec) -> str | None:
    """:func:`_health` for balls, on whole arrays, without creating a ball per entry (``L`` may be None: θ alone).

    Fast test, one numpy pass each: the midpoints as doubles and ``arb.rel_accuracy_bits`` (Arb: the position of
    the midpoint's top bit minus the radius's, so the radius's top bit is within 2**19 + 902 of 0 when the
    midpoint's double is in [2**-900, 2**900] and |rel| ≤ 2**19). A finite midpoint of ≤ 2**19 bits with its top
    bit there has its binary exponent in range too; a NaN or infinite ball fails the test (its accuracy is
    ±ARF_PREC_EXACT or its double not finite). Entries failing the fast test — exact zeros, values beyond the
    double range, non-finite balls — get the exact test (:func:`_slow_ball_health`), which decides the verdict:
    the others are certainly usable."""
    flat = np.ravel(th)
    vals = np.empty(flat.size + (L is not None), dtype=object)
    vals[:flat.size] = flat
    if L is not None:
        vals[-1] = L
    if prec is None or prec > _FAST_HEALTH_MAX_PREC:
        return _slow_ball_health(vals)
    rel = _REL_BITS(vals).astype(np.int64)
    mid = np.abs(vals.astype(float))
    ok = ((np.abs(rel) <= _SAFE_REL_BITS) | (rel == _EXACT_BITS)) & (mid >= _SAFE_LO) & (mid <= _SAFE_HI)
    if ok.all():
        return None
    return _slow_ball_health(vals[~ok])


def _ball_value_health(L, prec) -> str | None:
    """:func:`_ball_health` of one ball (the loss), with the same fast test."""
    if prec is not None and prec <= _FAST_HEALTH_MAX_PREC:
        rel = L.rel_accuracy_bits()
        mid = abs(float(L))
        if (abs(rel) <= _SAFE_REL_BITS or rel == _EXACT_BITS) and _SAFE_LO <= mid <= _SAFE_HI:
            return None
    return _slow_ball_health([L])


def _slow_ball_health(vals) -> str | None:
    """The exact test: non-finite, or a radius exponent beyond the limit → ``"blowup"``; else a midpoint exponent
    beyond it → ``"magnitude"``."""
    if not all(v.is_finite() for v in vals) or any(_exponent_too_big(v.rad()) for v in vals):
        return "blowup"
    if any(_exponent_too_big(v.mid()) for v in vals):
        return "magnitude"
    return None


def _health(th, L, arith: str, prec: int | None = None) -> str | None:
    """None if the iterate and its loss are usable; otherwise the stop reason: ``"blowup"`` (a ball
    enclosure that is not finite or whose radius left ±2**20 in binary exponent: the wrapping effect),
    ``"not_finite"`` (float/mp overflow) or ``"magnitude"`` (a value beyond ±2**20 in binary exponent)."""
    if arith == "ball":
        return _ball_health(th, L, prec)
    if arith == "ball64":
        from ..arith.ball64 import as_b64

        return None if as_b64(th).is_finite() and as_b64(L).is_finite() else "blowup"
    vals = [L, *list(np.ravel(th))]
    if arith == "float":
        return None if all(np.isfinite(float(v)) for v in vals) else "not_finite"
    if arith == "mp":
        import mpmath

        if not all(mpmath.isfinite(v) for v in vals):
            return "not_finite"
        return "magnitude" if any(_exponent_too_big(v) for v in vals) else None
    return None


def _upper(v, arith: str) -> Fraction:
    """An exact upper bound of a value of the run (its exact value for float/mp/exact numbers)."""
    return bounds(v)[1] if arith in ("ball", "ball64", "exact") else to_fraction(v)


def check_objective(objective) -> None:
    """An objective of this toolkit (:class:`verify.Objective`), not e.g. a function or a sympy expression."""
    from ..models.objective import Objective

    if not isinstance(objective, Objective):
        raise InputError(f"expected a verify Objective (e.g. verify.Objective.from_sympy(expr, vars) or a "
                         f"SquareLoss), got {type(objective).__name__}")


def _centered_step(objective, th, g, eta_a, a, prec):
    """One ball GD step Θ ↦ G(Θ), G(θ) = θ − η∇L(θ), by the mean-value (centred) form intersected with
    the naive one.

    With m the exact midpoint of the box Θ and J(Θ) = I − η∇²L(Θ) an enclosure of the Jacobian of G
    over Θ, the mean-value theorem applied to each G_i on the segment [m, θ] ⊆ Θ gives
    G(θ) ∈ G(m) + J(Θ)(θ − m) ⊆ G(m) + J(Θ)·[−rad, rad] for every θ ∈ Θ (L is C² on Θ: the Hessian
    enclosure raises RegionBoundaryError when Θ meets a kink, and the naive step is used then). The
    radius now contracts with ‖|J|‖ instead of growing by 1 + η‖∇²L‖ (the wrapping effect).
    """
    from flint import arb

    from ..errors import RegionBoundaryError

    with a.context():
        naive = th - eta_a * g
    m = np.array([arb(v.mid()) for v in th], dtype=object)  # the exact midpoint of the box
    try:
        H = np.asarray(objective.hessian(checked_balls(th), a, prec), dtype=object).reshape(len(th), len(th))
        gm = np.asarray(objective.grad(checked_balls(m), a, prec), dtype=object).reshape(-1)
    except RegionBoundaryError:
        return naive
    with a.context():
        delta = [arb(0, v.rad()) for v in th]
        out = np.empty(len(th), dtype=object)
        for i in range(len(th)):
            acc = m[i] - eta_a * gm[i]
            for j in range(len(th)):
                Jij = (1 if i == j else 0) - eta_a * H[i, j]
                if not delta[j] == 0:
                    acc += Jij * delta[j]
            if naive[i].is_finite() and acc.is_finite():
                if not naive[i].overlaps(acc):  # both enclose G_i(Θ): disjoint means an enclosure is wrong
                    raise EnclosureError(f"the naive and the mean-value enclosures of a GD step are disjoint "
                                         f"({naive[i]} and {acc}): an objective's ball enclosure is not valid")
                out[i] = naive[i].intersection(acc)
            else:
                out[i] = acc if acc.is_finite() else naive[i]
    return out


def gd(objective, x0, eta, steps: int, arith: str = "float", prec: int | None = None,
       stop_below: float | None = None, *, form: str | None = None) -> Trajectory:
    """Run ``steps`` GD steps θ_{k+1} = θ_k − η∇L(θ_k) from x0 with step η in ``arith``.

    x0 and η are taken exactly (a float is its exact binary value); in ``"ball"`` every iterate is
    an enclosure of the exact iterate, in ``"exact"`` it is the exact rational. ``stop_below``:
    stop once L(θ_k) ≤ stop_below · L(θ_0) (e.g. a float run at its round-off floor). The run also
    stops, with ``stopped`` saying why, when an iterate or loss stops being finite (float overflow;
    a ball enclosure blown up by the wrapping effect) or its binary exponent leaves ±2**20.

    ``form`` (ball arithmetic only): ``"shadow"`` (the default for ``"ball"`` and ``"ball64"``) computes a
    rounded orbit and bounds its distance to the exact orbit by a certified Lipschitz bound of the GD map
    (a-posteriori shadowing, :mod:`verify.convergence.shadow`): the radii grow only by the rounding errors
    and by max|1 − ηλ| of the Hessian along the way, so 10,000-step runs stay sharp; ``extra["method"]`` is
    ``"shadow"``, ``extra["radii"]`` the radius ρ_k (a 2-norm bound of θ_k − midpoint) at ~20 checkpoints.
    ``"naive"`` evaluates θ − η∇L(θ) on the box (each step can multiply the radius by about 1 + η‖∇²L‖: the
    wrapping effect); ``"centered"`` (Arb only) uses the mean-value form (one Arb Hessian enclosure per step,
    see :func:`_centered_step`). In ``"ball64"`` (float64 balls) the run is certified too, with radii near
    2⁻⁵³ instead of 2⁻ᵖʳᵉᶜ.
    """
    check_objective(objective)
    q = check_eta(eta)
    steps = validate.positive_int(steps, "steps (the number of GD steps)")
    if prec is not None:
        prec = validate.precision(prec)
    a = get_arith(arith, prec)
    if form is None:
        form = "shadow" if a.name in ("ball", "ball64") else "naive"
    validate.one_of(form, ("shadow", "naive", "centered"), "form")
    if form == "centered" and a.name != "ball":
        raise InputError(f"form='centered' is a ball-arithmetic enclosure; use arith='ball' (got {a.name!r})")
    if form == "shadow" and a.name not in ("ball", "ball64"):
        raise InputError(f"form='shadow' is a certified enclosure; use arith='ball' or 'ball64' (got {a.name!r})")
    if stop_below is not None:
        sb = validate.finite_float(stop_below, "stop_below")
        if sb < 0:
            raise InputError(f"stop_below must be ≥ 0 (a fraction of L(θ_0)), got {stop_below!r}")
        stop_q = Fraction(sb)
    x0q = fraction_array(x0, what="x0")
    if x0q.shape != (objective.n_params,):
        raise InputError(f"x0 must have {objective.n_params} entries, got shape {x0q.shape}")
    refused = None
    if form == "shadow":
        from ..errors import SizeLimitError
        from .shadow import shadow_gd

        try:
            return shadow_gd(objective, x0q, q, steps, a.name, a.prec, stop_q if stop_below is not None else None,
                             {"requested_steps": steps})
        except SizeLimitError as exc:  # no p×p Hessian enclosure at this size: the naive form still runs
            refused, form = f"form='shadow' needs p×p Hessian enclosures: {exc}", "naive"
    with a.context():
        th = a.array(x0q, what="x0")
        eta_a = a.const(q)
    L, g = objective.value_and_grad(th, a, prec)
    extra = {"requested_steps": steps, "form": form, "method": form}
    if refused is not None:
        extra["shadow_refused"] = refused
    bad = _health(th, L, a.name, a.prec)
    if bad is not None:
        return Trajectory(objective, q, [th], [L], a.name, a.prec,
                          f"the loss at the start is not usable ({bad}): nothing was run",
                          {**extra, "stop_reason": bad, "stop_step": 0}, x0q)
    thetas, losses = [th], [L]
    L0_hi = _upper(L, a.name) if stop_below is not None else None
    stopped = ""
    for k in range(steps):
        if form == "centered":
            th = _centered_step(objective, th, g, eta_a, a, prec)
        else:
            with a.context():
                th = th - eta_a * g  # G_η(θ_k) = θ_k − η∇L(θ_k)
        if a.name == "ball":
            # θ_{k+1} is checked here, once (finite, exponents in range), and handed to the objective as checked
            # balls: no second entry-by-entry validation; a non-finite θ_{k+1} (a non-finite gradient) stops the
            # run as a blow-up instead of raising inside the objective
            bad = _ball_health(th, None, a.prec)
            if bad != "blowup":
                L, g = objective.value_and_grad(checked_balls(th), a, prec)
                bad_L = _ball_value_health(L, a.prec)
                bad = "blowup" if bad_L == "blowup" else (bad or bad_L)
        else:
            L, g = objective.value_and_grad(th, a, prec)
            bad = _health(th, L, a.name, a.prec)
        if bad is not None:
            extra.update(stop_reason=bad, stop_step=k + 1)
            if bad == "blowup":
                stopped = (f"the ball enclosure of θ_{k + 1} or L(θ_{k + 1}) blew up at step {k + 1} (not finite, "
                           "or a radius beyond 2**(2**20)): the wrapping effect of interval arithmetic")
            elif bad == "not_finite":
                stopped = f"θ_{k + 1} or L(θ_{k + 1}) is not finite (overflow at step {k + 1}): the run diverges"
            else:
                stopped = (f"θ_{k + 1} or L(θ_{k + 1}) has a binary exponent beyond ±{MAX_EXPONENT_BITS} at step "
                           f"{k + 1}: stopped")
            break
        thetas.append(th)
        losses.append(L)
        if stop_below is not None:
            try:
                lo_hi = _upper(L, a.name)
            except UncertifiedValueError:
                lo_hi = None
            if lo_hi is not None and lo_hi <= stop_q * L0_hi:
                extra.update(stop_reason="stop_below", stop_step=k + 1)
                stopped = f"stopped at step {k + 1}: L ≤ {stop_below:g}·L(x0)"
                break
    return Trajectory(objective, q, thetas, losses, a.name, a.prec, stopped, extra, x0q)


# ------------------------------------------------------------------------------------- formatting
def _fmt(x: Fraction) -> str:
    """A short decimal form of an exact rational of any size (no float overflow)."""
    from flint import arb, fmpq

    from ..arith.ball import _ArbPrec

    with _ArbPrec(64):
        return arb(fmpq(x.numerator, x.denominator)).str(6, radius=False)


def _round_dyadic(x: Fraction, bits: int, up: bool) -> Fraction:
    """x ≥ 0 rounded down (or up) to a dyadic rational with a ``bits``-bit numerator: an outward bound."""
    n, d = x.numerator, x.denominator
    if n == 0:
        return x
    s = bits - (n.bit_length() - d.bit_length())
    num, den = (n << s, d) if s >= 0 else (n, d << -s)
    qt, rem = divmod(num, den)
    if up and rem:
        qt += 1
    return Fraction(qt, 1 << s) if s >= 0 else Fraction(qt << -s)


def _power_step(lo: Fraction, hi: Fraction, qq: Fraction, bits: int | None) -> tuple[Fraction, Fraction]:
    """[lo, hi] ∋ q^k  ↦  [lo', hi'] ∋ q^{k+1}: exact while the rationals are short (so equalities stay
    decidable), then rounded outward to ``bits``-bit dyadics (q^k for k in the thousands has a
    numerator of 10⁵ bits, and every comparison with it would cost quadratic time)."""
    lo, hi = lo * qq, hi * qq
    if bits is not None and lo.numerator.bit_length() + lo.denominator.bit_length() > 4 * bits:
        lo, hi = _round_dyadic(lo, bits, up=False), _round_dyadic(hi, bits, up=True)
    return lo, hi


def _times(qk: tuple[Fraction, Fraction], L: tuple[Fraction, Fraction]) -> tuple[Fraction, Fraction]:
    """The exact interval product [qlo, qhi]·[Llo, Lhi] for 0 ≤ qlo ≤ qhi."""
    (qlo, qhi), (a, b) = qk, L
    return (qlo * a if a >= 0 else qhi * a), (qhi * b if b >= 0 else qlo * b)


def _ratio(num: Fraction, den: Fraction) -> float | None:
    """num/den as a float, for reporting only (None when undefined or beyond the float range)."""
    if den <= 0:
        return None
    try:
        v = float(num / den)
    except OverflowError:
        return None
    return v if math.isfinite(v) else None


# ------------------------------------------------------------------------------------ the check
def check_rate(traj: Trajectory, q, x0=None, r=None, *, floor: float = 1e-25, rel_tol: float = 1e-9) -> Result:
    """Check the linear-convergence conclusion of Chatterjee's theorem for GD (arXiv:2203.16462) on a run:

        L(θ_k) ≤ q^k L(θ_0) for every k = 0..K, and ‖θ_k − x0‖ ≤ r (closed ball) if r is given,

    with 0 < q < 1 exactly. ``x0`` is the centre of the ball (default: the run's exact start).
    Ball/ball64/exact runs give PROVED (every step certified), REFUTED (a certified violation, with its
    step) or INCONCLUSIVE (undecided or blown-up enclosures, with the step and the cause). Shadowed runs
    (the default ball form) are checked with their 2-norm radii: ‖θ_k − x0‖ ∈ ‖m_k − x0‖ ± ρ_k.
    Float/mp runs give SUPPORTED (evidence: relative tolerance ``rel_tol`` on the loss, rate
    checks stop once L ≤ floor·L(θ_0), containment checked at every iterate); any excursion is
    re-checked in ball arithmetic (see the module docstring) and only that re-check can REFUTE.
    """
    t0 = time.perf_counter()
    if not isinstance(traj, Trajectory):
        raise InputError(f"check_rate needs a Trajectory (from verify.convergence.gd), got {type(traj).__name__}")
    qq = validate.rational(q, "the contraction factor q")
    if not 0 < qq < 1:
        raise InputError(f"the contraction factor q must satisfy 0 < q < 1 (linear convergence); got q = {q!r}. "
                         "q ≥ 1 claims no convergence at all, and L(θ_k) ≤ q^k L(θ_0) with q ≤ 0 is not a rate")
    eta = validate.rational(traj.eta, "the trajectory's step size η")
    if not eta > 0:
        raise InputError(f"the trajectory's step size is η = {traj.eta!r}: GD with η ≤ 0 does not descend, and "
                         "a rate claimed for it is vacuous; run gd with η > 0")
    rq = None if r is None else validate.positive_rational(r, "the radius r")
    fl = validate.finite_float(floor, "floor")
    if not 0 <= fl < 1:
        raise InputError(f"floor must be in [0, 1) (a fraction of L(θ_0)), got {floor!r}")
    tol = validate.finite_float(rel_tol, "rel_tol")
    if not 0 <= tol < 1:
        raise InputError(f"rel_tol must be in [0, 1), got {rel_tol!r}")
    if not traj.thetas or len(traj.thetas) != len(traj.losses):
        raise InputError("the trajectory has no iterates (or a different number of iterates and losses)")
    certified = traj.arith in ("ball", "ball64", "exact")
    start = None if certified and (rq is None or x0 is not None) else _start(traj)
    center = None
    if rq is not None:
        center = fraction_array(x0, what="x0") if x0 is not None else start
        if center.shape != (traj.objective.n_params,):
            raise InputError(f"x0 must have {traj.objective.n_params} entries, got shape {center.shape}")
    K = traj.steps
    claim = (f"L(θ_k) ≤ q^k·L(θ_0) with q = {qq}" + (f" and ‖θ_k − x0‖ ≤ {rq} (θ_k in the closed ball B(x0, r))"
                                                     if rq is not None else "")
             + f" for k = 0..{K}, GD with η = {eta} (Chatterjee, arXiv:2203.16462)")
    if certified:
        return _check_certified(traj, qq, center, rq, claim, t0)
    return _check_evidence(traj, qq, center, rq, claim, t0, Fraction(fl), Fraction(tol), start)


def _start(traj: Trajectory) -> np.ndarray:
    """The exact start of the run (stored by :func:`gd`; else the exact value of θ_0 if it has one)."""
    if traj.start is not None:
        return fraction_array(traj.start, what="the trajectory's start")
    th0 = traj.thetas[0]
    if traj.arith == "ball":
        out = []
        for v in np.ravel(th0):
            lo, hi = bounds(v)
            if lo != hi:
                raise InputError("the trajectory has no exact start (θ_0 is a ball of positive radius); build it "
                                 "with verify.convergence.gd, or pass x0")
            out.append(lo)
        return np.array(out, dtype=object)
    return fraction_array([to_fraction(v) if traj.arith != "exact" else bounds(v)[0] for v in np.ravel(th0)])


def _dist2(intervals, center) -> tuple[Fraction, Fraction]:
    """Exact enclosure of ‖θ − c‖² from exact enclosures [lo_i, hi_i] of the coordinates of θ."""
    lo = hi = Fraction(0)
    for (a, b), c in zip(intervals, center):
        a, b = a - c, b - c
        hi += max(a * a, b * b)
        lo += 0 if a <= 0 <= b else min(a * a, b * b)
    return lo, hi


def _shadow_radii(traj) -> list | None:
    """The 2-norm radii ρ_k of a shadowed run (θ_k within ρ_k of the midpoint of its stored box), else None."""
    rho = traj.extra.get("rho") if traj.extra.get("method") == "shadow" else None
    if rho is None or len(rho) < len(traj.thetas):
        return None
    return rho


def _distance_enclosure(traj, center, shadow):
    """k ↦ an exact enclosure (lo, hi) of ‖θ_k − x0‖² over every θ_k the run's enclosure allows.

    Boxes (naive runs): exact interval arithmetic on the coordinates' endpoints. Shadowed runs: θ_k lies in
    the 2-norm ball B(m_k, ρ_k) (m_k the stored midpoint), so ‖θ_k − c‖ ∈ [‖m_k − c‖ − ρ_k, ‖m_k − c‖ + ρ_k]
    (triangle inequality), with ‖m_k − c‖ enclosed in Arb (every operation an enclosure) — tighter than the box
    by the 2-norm, and p Arb operations per step instead of p exact rational ones."""
    if shadow is None:
        return lambda k: _dist2([bounds(v) for v in np.ravel(traj.thetas[k])], center)
    from flint import arb, fmpq

    from ..arith.ball import _ArbPrec
    from ..arith.ball64 import B64

    bits = max(traj.prec or 53, 64) + 64
    with _ArbPrec(bits):
        c = np.array([arb(fmpq(v.numerator, v.denominator)) for v in center], dtype=object)

    def d2(k):
        th = traj.thetas[k]
        if isinstance(th, B64):
            mids = np.array([arb(float(m)) for m in np.ravel(th.mid)], dtype=object)
        else:
            mids = np.array([v.mid() for v in np.ravel(th)], dtype=object)
        with _ArbPrec(bits):
            diff = mids - c
            nrm = arb((diff * diff).sum()).sqrt()
        if not nrm.is_finite():
            raise UncertifiedValueError("the distance to the centre is not finite")
        lo, hi = bounds(nrm)
        rho = shadow[k]
        lo = max(Fraction(0), lo - rho)
        return lo * lo, (hi + rho) ** 2

    return d2


def _shadow_dist2_exact(traj, center, shadow, k) -> tuple[Fraction, Fraction]:
    """The enclosure of ‖θ_k − c‖² of :func:`_distance_enclosure` with ‖m_k − c‖² exact (rationals) and its
    square root bracketed by integer square roots (for distances that Arb at prec + 64 bits cannot separate
    from r, e.g. a run converging to a point on the sphere)."""
    from ..arith.ball64 import B64

    th = traj.thetas[k]
    mids = [Fraction(float(m)) for m in np.ravel(th.mid)] if isinstance(th, B64) else \
        [to_fraction(v.mid()) for v in np.ravel(th)]
    s = sum(((m - c) ** 2 for m, c in zip(mids, center)), Fraction(0))
    rho = shadow[k]
    if rho == 0:
        return s, s
    rho_exp = rho.numerator.bit_length() - rho.denominator.bit_length()
    bits = 2 * (max(traj.prec or 53, 64) + 64) + 2 * max(0, -rho_exp)
    scaled = (s.numerator << (2 * bits)) // s.denominator
    root = math.isqrt(scaled)
    lo_r, hi_r = Fraction(root, 1 << bits), Fraction(root + 1, 1 << bits)
    lo = max(Fraction(0), lo_r - rho)
    return lo * lo, (hi_r + rho) ** 2


def _scope(what, *, count, K, traj, qq, rq, **data):
    return make_scope(what, count=count, horizon=K, precision=traj.prec, eta=traj.eta, q=qq,
                      **({} if rq is None else {"r": rq}), **data)


def _suggested_prec(prec, qq: Fraction, K: int) -> int:
    """A precision at which q^K·L(θ_0) is still resolved: about K·log2(1/q) bits more than the loss scale
    (and at least twice the current precision), within the allowed range."""
    log2_inv_q = math.log2(qq.denominator) - math.log2(qq.numerator)  # > 0 for 0 < q < 1
    want = max(2 * (prec or 64), int(min(K * log2_inv_q, validate.MAX_PREC // 2)) + 64)
    return min(want, validate.MAX_PREC)


def _wrapping_message(m: int, prec, form: str | None) -> str:
    if form == "shadow":
        return (f"the shadowed enclosure of θ_{m} or L(θ_{m}) is not finite: the certified bound of the distance "
                f"to the exact orbit could not be continued at step {m}. Nothing is decided from step {m} on; "
                f"check at most {m - 1} steps or raise the precision (prec = {prec} now)")
    centered = "" if form == "centered" else (
        ", or run gd(..., arith='ball', form='shadow') (the default: a rounded orbit with a certified bound of "
        "its distance to the exact one, whose radii grow only by the rounding errors and max|1 − ηλ(∇²L)|)")
    return (f"the ball enclosure of θ_{m} or L(θ_{m}) is not finite (or beyond 2**(2**20)): it blew up at step {m}. "
            "The cause is the "
            "wrapping effect of interval arithmetic, not GD: evaluating θ − η∇L(θ) on an enclosure loses the "
            "cancellation between θ and η∇L(θ), so each step can multiply the radius by about 1 + η‖∇²L‖ while the "
            f"exact iterates contract. Nothing is decided from step {m} on; check at most {m - 1} steps, raise "
            f"the precision (prec = {prec} now: the number of steps before the blow-up grows about linearly with "
            f"prec){centered}")


_NEGATIVE_LK = ("the inequality holds at every step, but L(θ_{k}) < 0: the loss is not nonnegative, so L(θ_k) ≤ "
                "q^k·L(θ_0) is not linear convergence to 0 (Chatterjee's theorem assumes L ≥ 0); no verdict")
_NEGATIVE_L0 = ("L(θ_0) < 0 (≤ {L0}): L(θ_k) ≤ q^k·L(θ_0) is the linear convergence of a nonnegative loss to 0 "
                "(Chatterjee's theorem assumes L ≥ 0); for a loss that can be negative it says nothing about "
                "convergence. Shift L by a certified lower bound of its infimum first")


def _check_certified(traj, qq, center, rq, claim, t0) -> Result:
    """Ball/exact run: every decision through exact rational endpoints (verify.arith.decide)."""
    K = traj.steps
    ar, prec = traj.arith, traj.prec
    reason, stop_step = traj.extra.get("stop_reason"), traj.extra.get("stop_step")
    shadow = _shadow_radii(traj)
    dist2 = None if center is None else _distance_enclosure(traj, center, shadow)
    try:
        L0lo, L0hi = bounds(traj.losses[0])
        th0 = dist2(0) if dist2 is not None else None
    except UncertifiedValueError as exc:
        return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic=ar, precision=prec,
                      elapsed=time.perf_counter() - t0,
                      message=f"L(θ_0) or θ_0 has no finite enclosure ({exc}): nothing can be decided")
    if decide((L0lo, L0hi), "<", 0) is True:
        raise InputError(_NEGATIVE_L0.format(L0=_fmt(L0hi)))
    r2 = None if rq is None else rq * rq
    undecided: list[tuple[int, str]] = []
    worst = None
    blown = None
    decided_ok = 0  # steps k ≥ 1 with both parts certified
    negative = None  # first step with L(θ_k) certainly < 0
    qk = (Fraction(1), Fraction(1))  # an enclosure of q^k (exact for exact runs)
    bits = None if ar == "exact" else (prec or 128) + 64
    for k in range(K + 1):
        if k == 0:
            Lb, d2 = (L0lo, L0hi), th0
        else:
            try:
                Lb = bounds(traj.losses[k])
                d2 = dist2(k) if dist2 is not None else None
            except UncertifiedValueError:
                blown = k
                break
        ok = True
        if k > 0:
            if negative is None and decide(Lb, "<", 0) is True:
                negative = k
            bound = _times(qk, (L0lo, L0hi))  # an exact-endpoint enclosure of q^k L(θ_0)
            d = decide(Lb, "<=", bound)
            if d is False:
                return Result(Verdict.REFUTED, claim=claim, arithmetic=ar, precision=prec,
                              margin=_ratio(bound[1] - Lb[0], L0hi) if L0hi > 0 else None,
                              counterexample={"step": k, "part": "rate", "loss": list(Lb), "bound": list(bound)},
                              scope=_scope(f"GD step {k}: the loss is certainly above q^k·L(θ_0)", count=1, K=K,
                                           traj=traj, qq=qq, rq=rq, step=k),
                              elapsed=time.perf_counter() - t0,
                              message=f"certified violation of the rate at step {k}: L(θ_{k}) ≥ {_fmt(Lb[0])} > "
                                      f"q^{k}·L(θ_0) ≤ {_fmt(bound[1])}")
            if d is None:
                undecided.append((k, "rate"))
                ok = False
            else:
                s = _ratio(Lb[1], bound[0])
                if s is not None:
                    worst = s if worst is None else max(worst, s)
        if r2 is not None:
            c = decide(d2, "<=", r2)
            if c is None and shadow is not None:
                d2 = _shadow_dist2_exact(traj, center, shadow, k)
                c = decide(d2, "<=", r2)
            if c is False:
                return Result(Verdict.REFUTED, claim=claim, arithmetic=ar, precision=prec,
                              counterexample={"step": k, "part": "ball", "dist2_lower": d2[0], "r2": r2},
                              scope=_scope(f"GD step {k}: the iterate is certainly outside the closed ball B(x0, r)",
                                           count=1, K=K, traj=traj, qq=qq, rq=rq, step=k),
                              elapsed=time.perf_counter() - t0,
                              message=f"θ_{k} is certainly outside the closed ball B(x0, r): ‖θ_{k} − x0‖² ≥ "
                                      f"{_fmt(d2[0])} > r² = {_fmt(r2)}; the claim requires every iterate to stay "
                                      "in the ball")
            if c is None:
                undecided.append((k, "ball"))
                ok = False
        if ok and k > 0:
            decided_ok += 1
        qk = _power_step(*qk, qq, bits)
    if blown is None and reason in ("blowup", "not_finite", "magnitude"):
        blown = stop_step
    cert = {"steps": K + 1 if blown is None else blown, "certified_steps": decided_ok,
            "method": traj.extra.get("method", "exact" if ar == "exact" else "naive")}
    if shadow is not None and "radii" in traj.extra:
        cert["radii"] = [(k, r) for k, r in traj.extra["radii"] if k <= K]  # ‖θ_k − midpoint‖₂ ≤ ρ_k
    if blown is not None or undecided:
        parts = []
        if undecided:
            ks = sorted({k for k, _ in undecided})
            cert["undecided_steps"] = ks[:20]
            parts.append(f"{len(ks)} step(s) undecided at {prec or 'exact'} bits (first {ks[0]}, "
                         f"{'/'.join(sorted({w for k, w in undecided if k == ks[0]}))}): the enclosures overlap "
                         "the bound (the exact value may sit at the bound, or the enclosures have widened: the "
                         "wrapping effect makes them grow with k); rerun "
                         f"gd(..., arith='ball', prec={_suggested_prec(prec, qq, K)})" + ("" if ar != "ball" or
                         traj.extra.get("form") in ("centered", "shadow") else ", form='shadow')"))
        if blown is not None:
            cert["blowup_step"] = blown
            wrapped = ar in ("ball", "ball64") and reason != "magnitude"
            parts.append(_wrapping_message(blown, prec, traj.extra.get("form")) if wrapped else
                         f"the run stopped at step {blown} ({traj.stopped or 'no finite enclosure'}): nothing is "
                         f"decided from step {blown} on")
        return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic=ar, precision=prec, certificate=cert,
                      elapsed=time.perf_counter() - t0,
                      message=f"certified at {decided_ok} of the steps 1..{K if blown is None else blown - 1}; "
                              + "; ".join(parts))
    if K == 0:
        return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic=ar, precision=prec, certificate=cert,
                      elapsed=time.perf_counter() - t0,
                      message="the trajectory has no GD step (only θ_0): nothing was checked")
    if negative is not None:
        return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic=ar, precision=prec,
                      certificate={**cert, "negative_loss_step": negative}, elapsed=time.perf_counter() - t0,
                      message=_NEGATIVE_LK.format(k=negative))
    zero = " (L(θ_0) = 0: the start is already a zero of L)" if L0hi == 0 else ""
    stop = f"; the run was stopped early: {traj.stopped}" if traj.stopped else ""
    return Result(Verdict.PROVED, claim=claim, quantity=Quantity("max L_k / (q^k L_0)", worst),
                  margin=None if worst is None else 1 - worst, arithmetic=ar, precision=prec, certificate=cert,
                  scope=_scope(f"the exact GD iterates θ_1..θ_{K} from the exact start with η = {traj.eta}: "
                               f"L(θ_k) ≤ q^k·L(θ_0)" + (" and θ_k in the closed ball B(x0, r)" if rq is not None
                                                          else ""), count=K, K=K, traj=traj, qq=qq, rq=rq),
                  elapsed=time.perf_counter() - t0,
                  message=f"certified at every one of the {K} steps (θ_0..θ_{K}){zero}{stop}")


def _check_evidence(traj, qq, center, rq, claim, t0, floor_q, tol_q, start) -> Result:
    """Float/mp run: numerical evidence on the exact values of its iterates; excursions go to ball."""
    K = traj.steps
    ar = traj.arith
    L0 = to_fraction(traj.losses[0], what="L(θ_0)")
    if L0 < 0:
        raise InputError(_NEGATIVE_L0.format(L0=_fmt(L0)))
    r2 = None if rq is None else rq * rq
    floor_at = None
    negative = None
    worst = None
    excused: list[int] = []
    notes: list[str] = []
    qk = (Fraction(1), Fraction(1))  # an enclosure of q^k, rounded outward once its rationals get long
    for k in range(K + 1):
        Lk = to_fraction(traj.losses[k], what=f"L(θ_{k})")
        if floor_at is None and k > 0 and Lk <= floor_q * L0:
            floor_at = k  # the float round-off floor: no rate evidence either way from here on
        if negative is None and k > 0 and Lk < 0:
            negative = k
        kind = None
        if k > 0 and floor_at is None:
            if Lk > qk[1] * L0 * (1 + tol_q):
                kind = f"L(θ_{k}) = {_fmt(Lk)} exceeds q^{k}·L(θ_0) = {_fmt(qk[1] * L0)}"
            elif qk[0] * L0 > 0:
                s = _ratio(Lk, qk[0] * L0)
                if s is not None:
                    worst = s if worst is None else max(worst, s)
        if kind is None and r2 is not None:
            th = [to_fraction(v) for v in np.ravel(traj.thetas[k])]
            d2 = _dist2([(v, v) for v in th], center)[0]
            if d2 > r2:
                kind = (f"θ_{k} is outside the closed ball B(x0, r) in {ar} arithmetic (‖θ_{k} − x0‖² = {_fmt(d2)} > "
                        f"r² = {_fmt(r2)})")
        if kind is not None:
            res = _escalate(traj, qq, center, rq, k, kind, start, t0)
            if res.verdict != Verdict.PROVED:
                return res
            excused.append(k)
            notes.append(f"step {k}: {kind}, but the ball re-check certified steps 1..{max(k, 1)} (round-off)")
            if len(excused) >= MAX_ESCALATIONS and k < K:
                return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic=ar, precision=traj.prec,
                              certificate={"excursions": excused}, elapsed=time.perf_counter() - t0,
                              message=f"the {ar} run leaves the claimed bound repeatedly (steps {excused}); the ball "
                                      "re-checks found round-off each time. Check the run in arith='ball' directly")
        qk = _power_step(*qk, qq, 128)
    reason, stop_step = traj.extra.get("stop_reason"), traj.extra.get("stop_step")
    if reason in ("blowup", "not_finite", "magnitude"):
        kind = f"the {ar} run overflowed at step {stop_step} ({traj.stopped})"
        res = _escalate(traj, qq, center, rq, stop_step, kind, start, t0)
        if res.verdict != Verdict.PROVED:
            return res
        return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic=ar, precision=traj.prec,
                      certificate={"stop_step": stop_step}, elapsed=time.perf_counter() - t0,
                      message=f"{kind}: no evidence beyond step {stop_step - 1}, although the ball re-check certified "
                              f"steps 1..{stop_step}; check the run in arith='ball'")
    if K == 0:
        return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic=ar, precision=traj.prec,
                      elapsed=time.perf_counter() - t0, message="the trajectory has no GD step: nothing was checked")
    if negative is not None:
        return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic=ar, precision=traj.prec,
                      certificate={"negative_loss_step": negative}, elapsed=time.perf_counter() - t0,
                      message=_NEGATIVE_LK.format(k=negative))
    msg_floor = (f"; the {ar} run reached its round-off floor (L ≤ {float(floor_q):g}·L0) at step {floor_at}: later "
                 "losses are not evidence either way (use arith='ball' for a certified check)"
                 if floor_at is not None else "")
    ball = f"; containment in the closed ball checked at all {K + 1} iterates" if rq is not None else ""
    return Result(Verdict.SUPPORTED, claim=claim, quantity=Quantity("max L_k / (q^k L_0)", worst),
                  margin=None if worst is None else 1 - worst, arithmetic=ar, precision=traj.prec,
                  certificate={"steps": K + 1, "floor_step": floor_at, "excursions": excused},
                  elapsed=time.perf_counter() - t0,
                  message=f"holds numerically at {K + 1} iterates (relative tolerance {float(tol_q):g}){ball}"
                          f"{msg_floor}" + ("; " + "; ".join(notes) if notes else ""))


def _escalate(traj, qq, center, rq, k, kind, start, t0) -> Result:
    """A float/mp excursion at step k: recompute steps 0..k in certified arithmetic from the exact start with the
    exact η and decide there, up the precision ladder (:mod:`verify.arith.ladder`): a float64-ball shadowed run
    first (cheap; decides when the margins are wide), then Arb shadowed runs at 128, 256, … bits up to
    max(256, prec + 128). PROVED means the excursion was round-off (the caller goes on). ``Result.rung`` names
    the rung that decided, ``certificate["ladder"]`` lists the attempts."""
    from ..arith.ladder import climb, rungs
    from ..errors import RegionBoundaryError

    top = min(max(256, (traj.prec or 53) + 128), validate.MAX_PREC)
    ladder = rungs(prec=min(128, top), max_prec=top)
    last: dict = {}

    def attempt(rung):
        run = gd(traj.objective, start, traj.eta, max(k, 1), rung.arith, rung.prec)
        res = check_rate(run, qq, center, rq)
        last["res"], last["rung"] = res, rung
        return res if res.verdict in (Verdict.PROVED, Verdict.REFUTED) else None

    run = climb(attempt, ladder)
    if run.decided:
        res = run.value
        res.rung = run.label
        res.certificate = {**res.certificate, "ladder": run.record()}
    elif isinstance(run.error, RegionBoundaryError) and "res" not in last:
        return Result(Verdict.INCONCLUSIVE, claim=f"the {traj.arith} run's claim up to step {k}", arithmetic="ball",
                      precision=top, elapsed=time.perf_counter() - t0, certificate={"ladder": run.record()},
                      message=f"the {traj.arith} run: {kind}; the ball re-check met an activation-region boundary "
                              f"({run.error}): no certified verdict")
    elif "res" in last:
        res = last["res"]
        res.certificate = {**res.certificate, "ladder": run.record()}
    else:
        return Result(Verdict.INCONCLUSIVE, claim=f"the {traj.arith} run's claim up to step {k}", arithmetic="ball",
                      precision=top, elapsed=time.perf_counter() - t0, certificate={"ladder": run.record()},
                      message=f"the {traj.arith} run: {kind}; no rung of the precision ladder could re-check it "
                              f"({run.error})")
    if res.verdict != Verdict.PROVED:
        rung = run.label or last["rung"].label
        res.message = (f"the {traj.arith} run: {kind}; re-checked in certified arithmetic ({rung}) from the exact "
                       f"start with the exact η: " + res.message)
        if res.verdict == Verdict.INCONCLUSIVE:
            res.message += (" — the float run is evidence that the claim fails, but no certified verdict could be "
                            "reached")
    return res
