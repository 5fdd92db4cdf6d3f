"""Certified sharpness along a gradient-descent run: the *edge of stability* of Cohen, Kaur, Li, Kolter & Talwalkar,
"Gradient descent on neural networks typically occurs at the edge of stability" (ICLR 2021, arXiv:2103.00065).

The **sharpness** at θ is S(θ) = λ_max(∇²L(θ)), the largest eigenvalue of the Hessian of the loss. On a quadratic,
GD with step η is stable iff S < 2/η (docs/theory/gd_map.md §3.1); Cohen et al. observe that full-batch GD on neural
networks first *sharpens progressively* (S rises) until S reaches 2/η, then hovers at or just above 2/η while the
loss keeps decreasing non-monotonically.

**What is certified.** :func:`certify_sharpness` takes a run of :func:`verify.convergence.gd.gd` (a
:class:`~verify.convergence.gd.Trajectory`) and, at checkpoints k, returns exact rationals
``lower ≤ S(θ_k) ≤ upper`` for **the stored iterate θ_k**: a float64 run stores float64 numbers, each an exact
binary rational, so the certificate is about those points — not about the exact-arithmetic GD trajectory from the
same start, which a float run does not follow. (From a ``"ball"``/``"ball64"`` run, whose iterates are
enclosures of the exact GD iterates, the enclosure holds for every point of the stored box, hence for the exact
iterate; from an ``"exact"`` run it is about the exact iterate.) The loss reported per checkpoint is the run's own
stored value (its float approximation), for plotting, and is not certified.

**How.** No Lanczos iteration and no characteristic polynomial at large p: the Hessian is enclosed entrywise in
certified arithmetic and its spectrum enclosed by the certified symmetric eigenvalue bounds of the toolkit, up the
precision ladder (:mod:`verify.arith.ladder`):

1. ``ball64`` — the Hessian in float64 balls, then :func:`verify.arith.linalg64.symmetric_eigenvalues` (a float
   eigendecomposition made rigorous by Weyl's inequality, isolated Gershgorin discs and Ostrowski's theorem; Rump,
   "Verification methods", Acta Numerica 19 (2010) §13; Rump, "Fast and parallel interval arithmetic", BIT 39
   (1999)). Width ≈ p^1.5·u·‖H‖ for an isolated top eigenvalue; about 2.5 s at p = 1,000.
2. ``ball@prec`` (Arb, 128, 256, … bits up to ``max_prec``) — the Hessian in Arb balls; for p ≤ :data:`ARB_EIG_MAX`
   Arb's certified eigensolver (:func:`verify.arith.eigen.ball_eigen_enclosures`, widths near 2⁻ᵖʳᵉᶜ), above it
   the Arb matrix rounded outward to a float64-ball matrix and step 1's enclosure (this rung then helps when the
   float64-ball *Hessian* was too wide or met an activation kink, not with the eigenvalue step).

A rung is accepted once its enclosure is narrower than ``rtol``·max(|λ_min|, |λ_max|) (bounds of the spectrum's
extent); otherwise the next rung runs and every enclosure obtained is intersected (each is valid on its own). The
sharpness bounds are lower = max_k lo_k (every eigenvalue is ≤ λ_max and each enclosure holds one) and
upper = max_k hi_k.

**Verdicts** (:class:`SharpnessResult`): PROVED/REFUTED are decided only from the exact endpoints of these
enclosures (:mod:`verify.arith.decide`); anything the enclosures leave open is INCONCLUSIVE (the verdict helpers
first re-run the open checkpoints with Arb at up to ``max_prec`` bits where that can help). The scope of every
verdict lists the checkpoints it speaks about: nothing is claimed between checkpoints.

>>> import sympy as sp, verify as vf
>>> from verify.convergence.gd import gd
>>> x, y = sp.symbols("x y")
>>> L = vf.Objective.from_sympy(sp.Rational(3, 2) * x**2 + y**2 / 2, [x, y])
>>> from fractions import Fraction
>>> res = certify_sharpness(gd(L, [1, 1], Fraction(1, 2), 4), every=2)
>>> [(c.step, c.lower <= 3 <= c.upper) for c in res.checkpoints]
[(0, True), (2, True), (4, True)]
>>> res.threshold, res.edge_of_stability(1, start=0).verdict.value
(Fraction(4, 1), 'PROVED')
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from fractions import Fraction

import numpy as np

from .. import validate
from ..arith.decide import decide
from ..errors import EnclosureError, InputError, UncertifiedValueError
from ..result import Quantity, Result, Verdict, make_scope

#: Arb's certified eigensolver (acb_mat.eig) is used up to this size; above it the Arb Hessian is rounded outward to
#: float64 balls (acb_mat.eig costs ~0.5 s at p = 100 and grows like p³)
ARB_EIG_MAX = 100
#: the default relative width at which a rung's enclosure is accepted (relative to the spectrum's extent)
DEFAULT_RTOL = Fraction(1, 10**6)
#: the default number of checkpoints when neither ``every`` nor ``at`` is given
DEFAULT_CHECKPOINTS = 20

_U = 2.0**-53
_ETA = 2.0**-1074


# ======================================================================================== checkpoints
@dataclass(frozen=True)
class SharpnessCheckpoint:
    """The certified sharpness at one stored iterate: ``lower ≤ λ_max(∇²L(θ_step)) ≤ upper`` (exact rationals; both
    None when no rung could enclose the Hessian's spectrum, e.g. an iterate on a ReLU kink, with ``note`` saying
    why). ``loss`` is the run's stored loss as a float (not certified). ``rung`` names the arithmetic whose enclosure
    was accepted (``"ball64"``, ``"ball@128"``, …; the enclosure is the intersection of every rung tried, listed in
    ``ladder``); ``elapsed`` the seconds spent on this checkpoint."""

    step: int
    lower: Fraction | None
    upper: Fraction | None
    loss: float | None = None
    rung: str = ""
    ladder: tuple = ()
    elapsed: float = 0.0
    note: str = ""

    @property
    def certified(self) -> bool:
        """Whether the checkpoint carries a finite enclosure."""
        return self.lower is not None and self.upper is not None

    @property
    def width(self) -> Fraction | None:
        """upper − lower, the width of the certified enclosure of λ_max (exact; None when uncertified)."""
        return None if not self.certified else self.upper - self.lower

    @property
    def interval(self) -> tuple[Fraction, Fraction] | None:
        """(lower, upper), the certified enclosure of λ_max(∇²L(θ_step)) (exact; None when uncertified)."""
        return (self.lower, self.upper) if self.certified else None

    def to_dict(self) -> dict:
        """The checkpoint as a dict (bounds as exact rationals; :func:`verify.result.encode` makes it JSON)."""
        return {"step": self.step, "lower": self.lower, "upper": self.upper, "loss": self.loss, "rung": self.rung,
                "ladder": [dict(a) for a in self.ladder], "note": self.note}


def _spectrum_extent(encl) -> Fraction:
    """max(|lo_1|, |hi_p|) ≥ ‖H‖₂ for every symmetric H in the ball: the scale for the relative width."""
    lo = min(e[0] for e in encl)
    hi = max(e[1] for e in encl)
    return max(abs(lo), abs(hi))


def _top(encl) -> tuple[Fraction, Fraction]:
    """(max_k lo_k, max_k hi_k): an enclosure of λ_max from enclosures of all eigenvalues. Every enclosure holds an
    eigenvalue, which is ≤ λ_max; and λ_max lies in one of them."""
    if not encl:
        raise UncertifiedValueError("no eigenvalue enclosures (a 0×0 Hessian has no sharpness)")
    return max(e[0] for e in encl), max(e[1] for e in encl)


def arb_to_b64(H):
    """A float64-ball matrix (:class:`~verify.arith.ball64.B64`) enclosing an object array of Arb balls, entry by
    entry, vectorised.

    Python-flint's ``float(arb)`` rounds the midpoint to a neighbouring double, so |mid − m_f| ≤ 2u|m_f| + η (one
    ulp, u = 2⁻⁵³, η = 2⁻¹⁰⁷⁴; subnormal spacing η); likewise rad ≤ r_f(1 + 2u) + η. The ball [m_f ± s] with
    s ≥ r_f(1 + 2u) + 2u|m_f| + 2η, computed with the rigorous upward bound ``ball64._up`` (Higham, *Accuracy and
    Stability of Numerical Algorithms*, §2.2), therefore contains every point of the Arb ball. A midpoint or radius
    beyond the double range (or a NaN) raises :class:`~verify.errors.UncertifiedValueError`."""
    from ..arith.ball import _RAD
    from ..arith.ball64 import B64, _up

    arr = np.asarray(H, dtype=object)
    flat = arr.reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        m = flat.astype(float)
        r = _RAD(flat).astype(float) if flat.size else np.zeros(0)
        if not (np.isfinite(m).all() and np.isfinite(r).all()):
            raise UncertifiedValueError("an Arb Hessian entry is beyond the float64 range or not finite: float64 "
                                        "balls cannot hold it")
        s = _up(r * (1.0 + 2.0 * _U) + np.abs(m) * (2.0 * _U) + 2.0 * _ETA, 6)
    if not np.isfinite(s).all():
        raise UncertifiedValueError("the float64 radius of an Arb Hessian entry overflowed")
    return B64(m.reshape(arr.shape), s.reshape(arr.shape))


def _point_for(rung, theta):
    """θ (a float array, a B64 array, an object array of Arb balls or of exact rationals) as input of a rung: exact
    for points, an enclosure for boxes."""
    from ..arith.ball64 import B64
    from ..arith.ladder import point_in

    if rung.arith == "ball64":
        if isinstance(theta, B64):
            return theta
        if isinstance(theta, np.ndarray) and theta.dtype == np.float64:
            if not np.isfinite(theta).all():
                raise UncertifiedValueError("θ holds a non-finite float")
            return B64(theta.copy())
        return point_in(rung, theta)
    if isinstance(theta, B64):
        from flint import arb

        if not theta.is_finite():
            raise UncertifiedValueError("θ is a non-finite float64 ball")
        mids, rads = np.ravel(theta.mid), np.ravel(theta.rad)
        return np.array([arb(float(m)) + arb(0, float(r)) if r else arb(float(m)) for m, r in zip(mids, rads)],
                        dtype=object)
    return theta


def _enclose_on(objective, theta, rung, arb_eig_max: int):
    """(all eigenvalue enclosures, method text) of ∇²L over θ on one rung."""
    from ..arith.linalg64 import symmetric_eigenvalues

    a = rung.arithmetic()
    H = objective.hessian(_point_for(rung, theta), a.name, a.prec)
    if rung.arith == "ball64":
        return symmetric_eigenvalues(H), "float64-ball Hessian, linalg64 symmetric eigenvalue enclosures"
    H = np.asarray(H, dtype=object)
    p = H.shape[0]
    if p <= arb_eig_max:
        try:
            return a.symmetric_eigenvalue_bounds(H), f"Arb Hessian and Arb eigenvalue enclosures at {a.prec} bits"
        except EnclosureError:
            pass  # clustered eigenvalues Arb could not isolate: the float64-ball route below
    return (symmetric_eigenvalues(arb_to_b64(H)),
            f"Arb Hessian at {a.prec} bits rounded to float64 balls, linalg64 eigenvalue enclosures")


def _ladder(prec: int, max_prec: int, fast: bool):
    from ..arith.ladder import rungs

    return rungs(prec=prec, max_prec=max(max_prec, prec), fast=fast)


def _enclose(objective, theta, *, rtol: Fraction, prec: int, max_prec: int, fast: bool = True,
             arb_eig_max: int = ARB_EIG_MAX, start=None):
    """Climb the ladder at one point. Returns (lower, upper, rung label, attempts, note). ``start``: an enclosure
    (lower, upper) already known (intersected with every new one)."""
    from ..arith.ladder import UNDECIDED

    lower, upper = (None, None) if start is None else start
    attempts, label, note = [], "", ""
    for rung in _ladder(prec, max_prec, fast):
        try:
            encl, how = _enclose_on(objective, theta, rung, arb_eig_max)
            lo, hi = _top(encl)
            extent = _spectrum_extent(encl)
        except UNDECIDED as exc:
            msg = str(exc)
            attempts.append({"rung": rung.label, "outcome": f"undecided ({type(exc).__name__}: {msg[:160]})"})
            note = f"{rung.label}: {type(exc).__name__}: {msg[:200]}"
            continue
        if lower is not None and (lo > upper or hi < lower):  # two valid enclosures of one number never miss
            raise EnclosureError(f"the sharpness enclosures [{float(lower):.17g}, {float(upper):.17g}] and "
                                 f"[{float(lo):.17g}, {float(hi):.17g}] ({rung.label}) are disjoint: an enclosure "
                                 "is not valid")
        lower = lo if lower is None else max(lower, lo)
        upper = hi if upper is None else min(upper, hi)
        label, note = rung.label, how
        ok = upper - lower <= rtol * extent
        attempts.append({"rung": rung.label, "outcome": "accepted" if ok else "too wide", "lower": lo, "upper": hi})
        if ok:
            break
    return lower, upper, label, tuple(attempts), note


def sharpness_at(objective, theta, *, rtol=DEFAULT_RTOL, prec: int = 128, max_prec: int = 256,
                 step: int = 0, loss=None, fast: bool = True,
                 arb_eig_max: int = ARB_EIG_MAX) -> SharpnessCheckpoint:
    """A certified enclosure of λ_max(∇²L(θ)) at one point θ (floats and rationals are taken exactly; a box of Arb
    or float64 balls gives an enclosure valid for every point of it). See the module docstring for the ladder;
    ``rtol`` is the relative width (to the spectrum's extent) at which a rung is accepted; ``fast=False`` skips the
    float64-ball rung (Arb from the start)."""
    from ..convergence.gd import check_objective

    check_objective(objective)
    rtol = validate.nonneg_rational(rtol, "rtol")
    prec, max_prec = validate.precision(prec), validate.precision(max_prec, "max_prec")
    if max_prec < prec:
        raise InputError(f"max_prec = {max_prec} is below prec = {prec}")
    fast = validate.boolean(fast, "fast")
    arb_eig_max = validate.nonneg_int(arb_eig_max, "arb_eig_max")
    th = _theta_input(theta, objective)
    t0 = time.perf_counter()
    lo, hi, label, attempts, note = _enclose(objective, th, rtol=rtol, prec=prec, max_prec=max_prec, fast=fast,
                                             arb_eig_max=arb_eig_max)
    return SharpnessCheckpoint(step, lo, hi, loss, label if lo is not None else "", attempts,
                               time.perf_counter() - t0, note)


def _theta_input(theta, objective):
    """A stored or given θ as an input array: float64 arrays and ball arrays as they are, anything else (mpmath,
    Python floats, rationals) as exact rationals."""
    from ..arith.ball64 import B64
    from ..numbers import fraction_array

    if isinstance(theta, B64):
        out = theta
    elif isinstance(theta, np.ndarray) and theta.dtype == np.float64:
        if not np.isfinite(theta).all():
            from ..errors import NonFiniteError

            raise NonFiniteError(f"θ holds a non-finite float (entry {int(np.argmin(np.isfinite(theta)))}): no "
                                 "Hessian to enclose")
        out = theta
    elif isinstance(theta, np.ndarray) and theta.dtype == object and theta.size and \
            all(type(v).__name__ == "arb" for v in theta.reshape(-1)):
        out = theta
    else:
        out = fraction_array(theta, what="θ")
    if tuple(np.shape(out)) != (objective.n_params,):
        raise InputError(f"θ must have {objective.n_params} entries, got shape {np.shape(out)}")
    return out


# ======================================================================================== the result
def _fmt(q, near: Fraction | None = None) -> str:
    """q to 10 digits; written as ``near ± difference`` when it rounds to the same text as ``near`` (a bound
    1e−30 above 2/η must not print as "20 > 20")."""
    if q is None:
        return "—"
    s = _num(q, 10)
    if near is not None and q != near and s == _num(near, 10):
        d = q - near
        return f"{_num(near, 10)} {'+' if d > 0 else '−'} {_num(abs(d), 3)}"
    return s


def _num(q, digits: int) -> str:
    """q with ``digits`` significant digits, also beyond the float range (10^459 does not overflow)."""
    q = Fraction(q)
    try:
        return f"{float(q):.{digits}g}"
    except OverflowError:
        from decimal import Context, Decimal

        ctx = Context(prec=digits + 2)
        return f"{ctx.divide(Decimal(q.numerator), Decimal(q.denominator)):.{digits - 1}e}"


@dataclass
class SharpnessResult:
    """Certified sharpness at the checkpoints of a GD run (:func:`certify_sharpness`).

    ``checkpoints``: :class:`SharpnessCheckpoint` per checkpoint (step, exact ``lower``/``upper``, the run's loss);
    ``eta`` the run's exact step, :attr:`threshold` = 2/η. ``iterates`` says what the enclosures speak about (the
    stored float64 iterates of a float run; the exact GD iterates for ball/exact runs). The verdict helpers
    (:meth:`reached`, :meth:`edge_of_stability`, :meth:`increased`, :meth:`progressive_sharpening`) return
    :class:`~verify.result.Result` objects whose scope lists the checkpoints used."""

    eta: Fraction
    checkpoints: list
    arith: str
    iterates: str
    elapsed: float = 0.0
    settings: dict = field(default_factory=dict)
    _objective: object = field(default=None, repr=False)
    _thetas: dict = field(default_factory=dict, repr=False)

    # -- views ------------------------------------------------------------------------------------------
    @property
    def threshold(self) -> Fraction:
        """2/η, the stability threshold of GD on a quadratic (exact)."""
        return 2 / self.eta

    @property
    def steps(self) -> np.ndarray:
        """The GD steps k of the checkpoints, in order (an int array)."""
        return np.array([c.step for c in self.checkpoints], dtype=int)

    @property
    def lower(self) -> list:
        """The exact lower bounds (None where uncertified)."""
        return [c.lower for c in self.checkpoints]

    @property
    def upper(self) -> list:
        """The exact upper bounds (None where uncertified)."""
        return [c.upper for c in self.checkpoints]

    @property
    def losses(self) -> np.ndarray:
        """The run's losses L(θ_k) at the checkpoints as floats (NaN where not stored; not certified)."""
        return np.array([np.nan if c.loss is None else c.loss for c in self.checkpoints], dtype=float)

    def float_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) as float arrays rounded *outward* (for plots: the drawn bar contains the enclosure); NaN
        where a checkpoint is uncertified."""
        lo = np.array([np.nan if c.lower is None else _float_down(c.lower) for c in self.checkpoints])
        hi = np.array([np.nan if c.upper is None else _float_up(c.upper) for c in self.checkpoints])
        return lo, hi

    def table(self) -> str:
        """One line per checkpoint: step, [lower, upper], the run's loss, the rung."""
        rows = [f"{'step':>7} {'lower':>18} {'upper':>18} {'loss':>12}  rung   (2/η = {_fmt(self.threshold)})"]
        for c in self.checkpoints:
            loss = "—" if c.loss is None else f"{c.loss:.4g}"
            rows.append(f"{c.step:>7} {_fmt(c.lower):>18} {_fmt(c.upper):>18} {loss:>12}  {c.rung or c.note[:40]}")
        return "\n".join(rows)

    def __str__(self) -> str:
        return self.table()

    # -- refinement -------------------------------------------------------------------------------------
    def _index(self, i) -> int:
        n = len(self.checkpoints)
        i = validate.integer(i, "checkpoint index", minimum=-n, maximum=n - 1) if n else None
        if i is None:
            raise InputError("the result has no checkpoints")
        return i % n

    def refine(self, indices=None, *, max_prec: int | None = None) -> None:
        """Re-enclose the given checkpoints (indices into :attr:`checkpoints`; default all) with Arb up to
        ``max_prec`` bits (default the run's ``max_prec``), intersecting with the enclosure held. Only helps where
        Arb's eigensolver is used (p ≤ :data:`ARB_EIG_MAX`) or the float64-ball Hessian was the weak step."""
        if self._objective is None:
            raise InputError("this result holds no objective to refine with (it was built by hand)")
        top = validate.precision(max_prec if max_prec is not None else self.settings.get("max_prec", 256),
                                 "max_prec")
        idx = range(len(self.checkpoints)) if indices is None else [self._index(i) for i in indices]
        for i in idx:
            c = self.checkpoints[i]
            th = self._thetas.get(c.step)
            if th is None:
                continue
            t0 = time.perf_counter()
            lo, hi, label, attempts, note = _enclose(
                self._objective, th, rtol=Fraction(0), prec=min(self.settings.get("prec", 128), top), max_prec=top,
                fast=False, arb_eig_max=self.settings.get("arb_eig_max", ARB_EIG_MAX),
                start=c.interval)
            if lo is None:
                continue
            self.checkpoints[i] = replace(c, lower=lo, upper=hi, rung=label or c.rung,
                                          ladder=tuple(c.ladder) + attempts, elapsed=c.elapsed + time.perf_counter()
                                          - t0, note=note or c.note)

    def _refine_where(self, open_idx, refine: bool) -> None:
        if refine and open_idx and self._objective is not None and self.settings.get("p", 0) <= \
                self.settings.get("arb_eig_max", ARB_EIG_MAX):
            self.refine(open_idx)

    # -- verdicts ---------------------------------------------------------------------------------------
    def _arith(self, idx) -> tuple[str, int | None]:
        precs = [int(c.rung.split("@")[1]) for c in (self.checkpoints[i] for i in idx) if c.rung.startswith("ball@")]
        return ("ball", max(precs)) if precs else ("ball64", None)

    def _rung(self, idx) -> str:
        """The highest rung among the checkpoints ``idx`` (the arithmetic the verdict needed)."""
        ar, pr = self._arith(idx)
        return ar if pr is None else f"ball@{pr}"

    def _scope(self, what: str, idx, **data) -> dict:
        return make_scope(what, count=len(idx), checkpoints=[self.checkpoints[i].step for i in idx], eta=self.eta,
                          threshold=self.threshold, iterates=self.iterates, **data)

    def _f(self, q) -> str:
        return _fmt(q, self.threshold)

    def _band(self, delta, what="delta") -> tuple[Fraction, Fraction, Fraction]:
        d = validate.nonneg_rational(delta, what)
        return d, self.threshold - d, self.threshold + d

    def reached(self, delta=0, *, refine: bool = True) -> Result:
        """Claim: at some checkpoint the sharpness is ≥ 2/η − δ. PROVED by a checkpoint with lower ≥ 2/η − δ
        (the first one is named); REFUTED when every checkpoint is certified with upper < 2/η − δ; else
        INCONCLUSIVE."""
        t0 = time.perf_counter()
        d, lo_t, _ = self._band(delta)
        claim = (f"the sharpness reaches 2/η − δ = {self._f(lo_t)} at some checkpoint (η = {_fmt(self.eta)}, "
                 f"δ = {_fmt(d)})")
        all_idx = list(range(len(self.checkpoints)))
        verdicts = [self._decide(i, ">=", lo_t) for i in all_idx]
        if True not in verdicts:
            self._refine_where([i for i, v in zip(all_idx, verdicts) if v is None], refine)
            verdicts = [self._decide(i, ">=", lo_t) for i in all_idx]
        if True in verdicts:
            i = verdicts.index(True)
            c = self.checkpoints[i]
            ar, pr = self._arith([i])
            return Result(Verdict.PROVED, claim=claim, arithmetic=ar, precision=pr, rung=c.rung,
                          margin=c.lower - lo_t, quantity=Quantity("sharpness", enclosure=(c.lower, c.upper)),
                          scope=self._scope(f"the stored iterate at step {c.step}: λ_max(∇²L) ≥ 2/η − δ", [i],
                                            delta=d),
                          elapsed=time.perf_counter() - t0,
                          message=f"at step {c.step} the sharpness is ≥ {_fmt(c.lower, lo_t)} ≥ 2/η − δ = "
                                  f"{self._f(lo_t)}")
        if all_idx and all(v is False for v in verdicts):
            ar, pr = self._arith(all_idx)
            worst = max(self.checkpoints[i].upper for i in all_idx)
            return Result(Verdict.REFUTED, claim=claim, arithmetic=ar, precision=pr, rung=self._rung(all_idx),
                          margin=worst - lo_t,
                          scope=self._scope("every checkpoint: λ_max(∇²L) < 2/η − δ", all_idx, delta=d),
                          counterexample={"max_upper": worst, "threshold_minus_delta": lo_t},
                          elapsed=time.perf_counter() - t0,
                          message=f"at every one of the {len(all_idx)} checkpoints the sharpness is < 2/η − δ = "
                                  f"{self._f(lo_t)} (largest upper bound {_fmt(worst, lo_t)}); nothing is claimed "
                                  "between checkpoints")
        open_steps = [self.checkpoints[i].step for i, v in zip(all_idx, verdicts) if v is None]
        return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic=self._arith(all_idx)[0],
                      elapsed=time.perf_counter() - t0, certificate={"undecided_steps": open_steps[:50]},
                      message=(f"no checkpoint is certified ≥ 2/η − δ, and the enclosures at steps "
                               f"{_steps_text(open_steps)} contain 2/η − δ = {self._f(lo_t)} (or are "
                               "missing)"
                               if open_steps else "the result has no checkpoints"))

    def edge_of_stability(self, delta, start=0, *, refine: bool = True) -> Result:
        """Claim: at every checkpoint with step ≥ ``start`` the sharpness lies in the closed band
        [2/η − δ, 2/η + δ] — the sharpness has reached 2/η − δ by ``start`` and stays at the edge of stability
        from there (at the checkpoints; nothing is claimed between them).

        PROVED when every such checkpoint's enclosure lies inside the band; REFUTED when one lies certainly
        outside (upper < 2/η − δ or lower > 2/η + δ; the first such step is the counterexample); INCONCLUSIVE
        otherwise or when no checkpoint has step ≥ start."""
        t0 = time.perf_counter()
        d, lo_t, hi_t = self._band(delta)
        s = validate.nonneg_int(start, "start (a GD step)")
        claim = (f"from step {s} on the sharpness stays in [2/η − δ, 2/η + δ] = [{self._f(lo_t)}, {self._f(hi_t)}] at "
                 f"every checkpoint (η = {_fmt(self.eta)}, δ = {_fmt(d)})")
        idx = [i for i, c in enumerate(self.checkpoints) if c.step >= s]
        if not idx:
            return Result(Verdict.INCONCLUSIVE, claim=claim, elapsed=time.perf_counter() - t0, arithmetic="ball64",
                          message=f"no checkpoint at step ≥ {s} (the last is "
                                  f"{self.checkpoints[-1].step if self.checkpoints else 'none'}): nothing to check")

        def band(i):
            a, b = self._decide(i, ">=", lo_t), self._decide(i, "<=", hi_t)
            if a is False or b is False:
                return False
            return True if (a and b) else None

        verdicts = [band(i) for i in idx]
        if False not in verdicts and None in verdicts:
            self._refine_where([i for i, v in zip(idx, verdicts) if v is None], refine)
            verdicts = [band(i) for i in idx]
        ar, pr = self._arith(idx)
        if False in verdicts:
            i = idx[verdicts.index(False)]
            c = self.checkpoints[i]
            below = c.upper < lo_t
            return Result(Verdict.REFUTED, claim=claim, arithmetic=self._arith([i])[0],
                          precision=self._arith([i])[1], rung=c.rung,
                          margin=(c.upper - lo_t) if below else (hi_t - c.lower),
                          counterexample={"step": c.step, "lower": c.lower, "upper": c.upper,
                                          "side": "below" if below else "above"},
                          scope=self._scope(f"the stored iterate at step {c.step}: λ_max(∇²L) outside the band", [i],
                                            delta=d, start=s),
                          elapsed=time.perf_counter() - t0,
                          message=f"at step {c.step} the sharpness is certainly "
                                  + (f"below 2/η − δ (≤ {_fmt(c.upper, lo_t)} < {self._f(lo_t)})" if below else
                                     f"above 2/η + δ (≥ {_fmt(c.lower, hi_t)} > {self._f(hi_t)})"))
        if None in verdicts:
            open_steps = [self.checkpoints[i].step for i, v in zip(idx, verdicts) if v is None]
            return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic=ar, elapsed=time.perf_counter() - t0,
                          certificate={"undecided_steps": open_steps[:50]},
                          message=f"{len(open_steps)} of {len(idx)} checkpoints undecided (steps "
                                  f"{_steps_text(open_steps)}): their enclosures contain a band edge (or are "
                                  "missing); raise max_prec on small networks, or choose δ away from the edges")
        margin = min(min(self.checkpoints[i].lower - lo_t, hi_t - self.checkpoints[i].upper) for i in idx)
        return Result(Verdict.PROVED, claim=claim, arithmetic=ar, precision=pr, rung=self._rung(idx), margin=margin,
                      scope=self._scope(f"the {len(idx)} checkpoints at steps ≥ {s}: 2/η − δ ≤ λ_max(∇²L) ≤ 2/η + δ",
                                        idx, delta=d, start=s),
                      elapsed=time.perf_counter() - t0,
                      message=f"at all {len(idx)} checkpoints from step {self.checkpoints[idx[0]].step} to "
                              f"{self.checkpoints[idx[-1]].step} the sharpness is within δ of 2/η; nothing is "
                              "claimed between checkpoints")

    def onset(self, delta) -> int | None:
        """The earliest checkpoint step s from which :meth:`edge_of_stability` (δ, s) is PROVED by the enclosures
        held (no refinement), or None."""
        d, lo_t, hi_t = self._band(delta)
        best = None
        for i in range(len(self.checkpoints) - 1, -1, -1):
            if self._decide(i, ">=", lo_t) is True and self._decide(i, "<=", hi_t) is True:
                best = self.checkpoints[i].step
            else:
                break
        return best

    def increased(self, i, j, *, refine: bool = True) -> Result:
        """Claim: the sharpness at checkpoint ``j`` exceeds that at checkpoint ``i`` (indices into
        :attr:`checkpoints`, negative from the end; step_i < step_j) — progressive sharpening between them.
        PROVED when lower_j > upper_i; REFUTED when upper_j ≤ lower_i; else INCONCLUSIVE."""
        t0 = time.perf_counter()
        i, j = self._index(i), self._index(j)
        ci, cj = self.checkpoints[i], self.checkpoints[j]
        if ci.step >= cj.step:
            raise InputError(f"checkpoint i must come before checkpoint j (steps {ci.step} and {cj.step})")
        claim = f"the sharpness at step {cj.step} exceeds the sharpness at step {ci.step}"
        v = self._compare(i, j)
        if v is None:
            self._refine_where([i, j], refine)
            ci, cj = self.checkpoints[i], self.checkpoints[j]
            v = self._compare(i, j)
        ar, pr = self._arith([i, j])
        if v is None:
            return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic=ar, elapsed=time.perf_counter() - t0,
                          message=f"the enclosures [{_fmt(ci.lower)}, {_fmt(ci.upper)}] (step {ci.step}) and "
                                  f"[{_fmt(cj.lower)}, {_fmt(cj.upper)}] (step {cj.step}) overlap or are missing")
        if v:
            return Result(Verdict.PROVED, claim=claim, arithmetic=ar, precision=pr, rung=self._rung([i, j]),
                          margin=cj.lower - ci.upper,
                          scope=self._scope(f"the stored iterates at steps {ci.step} and {cj.step}: "
                                            "λ_max(∇²L(θ_j)) > λ_max(∇²L(θ_i))", [i, j]),
                          elapsed=time.perf_counter() - t0,
                          message=f"λ_max at step {cj.step} ≥ {_fmt(cj.lower, ci.upper)} > {_fmt(ci.upper)} ≥ λ_max "
                                  f"at step {ci.step}")
        return Result(Verdict.REFUTED, claim=claim, arithmetic=ar, precision=pr, rung=self._rung([i, j]),
                      margin=cj.upper - ci.lower,
                      scope=self._scope(f"the stored iterates at steps {ci.step} and {cj.step}: "
                                        "λ_max(∇²L(θ_j)) ≤ λ_max(∇²L(θ_i))", [i, j]),
                      counterexample={"steps": [ci.step, cj.step], "upper_j": cj.upper, "lower_i": ci.lower},
                      elapsed=time.perf_counter() - t0,
                      message=f"λ_max at step {cj.step} ≤ {_fmt(cj.upper, ci.lower)} ≤ {_fmt(ci.lower)} ≤ λ_max "
                              f"at step {ci.step}")

    def progressive_sharpening(self, *, refine: bool = True) -> Result:
        """Claim: the sharpness at some later checkpoint exceeds the sharpness at the first checkpoint. PROVED by
        the checkpoint with the largest certified lower bound when it beats the first one's upper bound;
        REFUTED when every later checkpoint is certainly ≤ the first (upper_j ≤ lower_0); else INCONCLUSIVE.
        :meth:`sharpening_steps` lists every certified increase between consecutive checkpoints."""
        t0 = time.perf_counter()
        if len(self.checkpoints) < 2:
            return Result(Verdict.INCONCLUSIVE, claim="progressive sharpening", arithmetic="ball64",
                          message="fewer than two checkpoints")
        later = [j for j in range(1, len(self.checkpoints)) if self.checkpoints[j].certified]
        if later and self.checkpoints[0].certified:
            j = max(later, key=lambda k: self.checkpoints[k].lower)
            res = self.increased(0, j, refine=refine)
            if res.verdict == Verdict.PROVED:
                res.claim = ("progressive sharpening: the sharpness at some later checkpoint exceeds the sharpness "
                             f"at step {self.checkpoints[0].step}")
                return res
        vs = [self._compare(0, j) for j in range(1, len(self.checkpoints))]
        claim = f"progressive sharpening: the sharpness at some later checkpoint exceeds that at step " \
                f"{self.checkpoints[0].step}"
        idx = list(range(len(self.checkpoints)))
        ar, pr = self._arith(idx)
        if all(v is False for v in vs):
            return Result(Verdict.REFUTED, claim=claim, arithmetic=ar, precision=pr, rung=self._rung(idx),
                          scope=self._scope("every checkpoint: λ_max(∇²L) ≤ its value at the first checkpoint", idx),
                          elapsed=time.perf_counter() - t0,
                          message="at every later checkpoint the sharpness is certainly ≤ its value at the first")
        return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic=ar, elapsed=time.perf_counter() - t0,
                      message="no later checkpoint is certainly sharper than the first, and not all are certainly "
                              "flatter")

    def sharpening_steps(self) -> list[tuple[int, int]]:
        """The pairs (step_i, step_{i+1}) of consecutive checkpoints with a certified increase lower_{i+1} >
        upper_i (from the enclosures held)."""
        return [(self.checkpoints[i].step, self.checkpoints[i + 1].step) for i in range(len(self.checkpoints) - 1)
                if self._compare(i, i + 1) is True]

    def _compare(self, i, j) -> bool | None:
        """True: λ_j certainly > λ_i; False: certainly λ_j ≤ λ_i; None: undecided."""
        ci, cj = self.checkpoints[i], self.checkpoints[j]
        if not (ci.certified and cj.certified):
            return None
        return decide((cj.lower, cj.upper), ">", (ci.lower, ci.upper))

    def _decide(self, i, rel, t) -> bool | None:
        c = self.checkpoints[i]
        if not c.certified:
            return None
        return decide((c.lower, c.upper), rel, t)

    def to_dict(self) -> dict:
        """The result as a dict: η, the threshold 2/η, the arithmetic, the iterates' origin, every checkpoint
        (:meth:`SharpnessCheckpoint.to_dict`) and the settings."""
        return {"eta": self.eta, "threshold": self.threshold, "arith": self.arith, "iterates": self.iterates,
                "checkpoints": [c.to_dict() for c in self.checkpoints], "settings": dict(self.settings)}


def _steps_text(steps) -> str:
    s = ", ".join(map(str, steps[:8]))
    return s + (", …" if len(steps) > 8 else "")


def _float_down(q: Fraction) -> float:
    """The largest double ≤ q (−inf below the range)."""
    try:
        f = float(q)
    except OverflowError:
        return -np.inf if q < 0 else float(np.finfo(float).max)
    if Fraction(f) > q:
        f = float(np.nextafter(f, -np.inf))
    return f


def _float_up(q: Fraction) -> float:
    try:
        f = float(q)
    except OverflowError:
        return np.inf if q > 0 else -float(np.finfo(float).max)
    if Fraction(f) < q:
        f = float(np.nextafter(f, np.inf))
    return f


# ======================================================================================== the entry point
def _checkpoint_steps(K: int, every, at) -> list[int]:
    if every is not None and at is not None:
        raise InputError("give either every=k or at=[steps], not both")
    if at is not None:
        if isinstance(at, str | bytes) or not hasattr(at, "__iter__"):
            raise InputError(f"at must be a list of GD steps, got {at!r}")
        steps = sorted({validate.integer(s, "a checkpoint step", minimum=0, maximum=K) for s in at})
        if not steps:
            raise InputError("at is empty: give at least one checkpoint step")
        return steps
    k = validate.positive_int(every, "every (steps between checkpoints)") if every is not None else \
        max(1, -(-K // (DEFAULT_CHECKPOINTS - 1)))
    steps = list(range(0, K + 1, k))
    if steps[-1] != K:
        steps.append(K)
    return steps


def _loss_float(traj, k) -> float | None:
    from ..arith import get_arith

    try:
        v = float(get_arith(traj.arith, traj.prec).to_float(traj.losses[k]))
    except Exception:  # noqa: BLE001 - a display value only
        return None
    return v if np.isfinite(v) else None


def certify_sharpness(traj, *, every=None, at=None, rtol=DEFAULT_RTOL, prec: int = 128, max_prec: int = 256,
                      arb_eig_max: int = ARB_EIG_MAX) -> SharpnessResult:
    """Certified enclosures of the sharpness λ_max(∇²L(θ_k)) at checkpoints of a GD run (a
    :class:`~verify.convergence.gd.Trajectory` from :func:`verify.convergence.gd.gd`).

    Checkpoints: every ``every`` steps (0, k, 2k, …, and the last step), or the steps listed in ``at``; by default
    about 20 evenly spaced. Each checkpoint climbs the precision ladder (float64 balls, then Arb at ``prec``,
    2·prec, … ``max_prec`` bits) until its enclosure is narrower than ``rtol`` times the spectrum's extent
    (module docstring). What the enclosures are about is in :attr:`SharpnessResult.iterates`: for a float (or mp)
    run, the stored iterates (exact binary rationals), not the exact-arithmetic GD trajectory.

    Cost at p ≈ 1,000 (a 2-layer tanh MLP): about 2.5 s per checkpoint on the ball64 rung
    (benchmarks/bench_sharpness.py)."""
    from ..convergence.gd import Trajectory, check_objective

    if not isinstance(traj, Trajectory):
        raise InputError(f"expected a Trajectory from verify.convergence.gd.gd(...), got {type(traj).__name__}")
    check_objective(traj.objective)
    rtol = validate.nonneg_rational(rtol, "rtol")
    prec = validate.precision(prec)
    max_prec = validate.precision(max_prec, "max_prec")
    if max_prec < prec:
        raise InputError(f"max_prec = {max_prec} is below prec = {prec}")
    arb_eig_max = validate.nonneg_int(arb_eig_max, "arb_eig_max")
    K = traj.steps
    steps = _checkpoint_steps(K, every, at)
    iterates = {
        "float": "the stored float64 iterates θ_k of the run (exact binary rationals), not the exact-arithmetic GD "
                 "trajectory",
        "mp": "the stored mpmath iterates θ_k of the run (exact binary rationals), not the exact-arithmetic GD "
              "trajectory",
        "exact": "the exact GD iterates θ_k (exact rationals)",
        "ball": "every point of the stored Arb boxes, hence the exact GD iterates θ_k from the exact start",
        "ball64": "every point of the stored float64-ball boxes, hence the exact GD iterates θ_k from the exact start",
    }.get(traj.arith, f"the stored iterates of the {traj.arith} run")
    t0 = time.perf_counter()
    cps, thetas = [], {}
    for k in steps:
        th = _theta_input(traj.thetas[k], traj.objective)
        thetas[k] = th
        t1 = time.perf_counter()
        lo, hi, label, attempts, note = _enclose(traj.objective, th, rtol=rtol, prec=prec, max_prec=max_prec,
                                                 arb_eig_max=arb_eig_max)
        cps.append(SharpnessCheckpoint(k, lo, hi, _loss_float(traj, k), label if lo is not None else "", attempts,
                                       time.perf_counter() - t1, note))
    return SharpnessResult(traj.eta, cps, traj.arith, iterates, time.perf_counter() - t0,
                           {"rtol": rtol, "prec": prec, "max_prec": max_prec, "arb_eig_max": arb_eig_max,
                            "p": traj.objective.n_params}, traj.objective, thetas)


__all__ = ["certify_sharpness", "sharpness_at", "SharpnessResult", "SharpnessCheckpoint", "arb_to_b64",
           "ARB_EIG_MAX", "DEFAULT_RTOL"]
