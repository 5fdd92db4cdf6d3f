"""The precision ladder: try the cheapest certified arithmetic first, climb only when it does not decide.

Certified analyses (non-singularity, stability of minima, PL bounds, rate checks, claim re-checks) run one
*attempt* per rung — ``"ball64"`` (float64 balls, a few times the cost of float), then Arb balls at 128, 256
and 512 bits, then exact rationals where the objective has an exact form — and stop at the first rung whose
enclosures decide the question. Every rung is sound on its own (all decisions compare exact rational
endpoints, :mod:`verify.arith.decide`), so the verdict does not depend on which rung decided; only the time
does. The :class:`~verify.result.Result` names the deciding rung (``Result.rung``) and lists the attempts in
``certificate["ladder"]``.

An attempt returns a decided outcome, or ``None`` when its enclosures are too wide; an enclosure that is not
finite (:class:`~verify.errors.UncertifiedValueError`), a ball that cannot separate an input from a kink
(:class:`~verify.errors.RegionBoundaryError`) or an arithmetic that lacks a function
(:class:`~verify.errors.ArithmeticNotSupportedError`: ``exact`` has no tanh) also mean "climb". The last rung's
boundary error is re-raised by callers that treat it as final (exact arithmetic locates a real boundary).

>>> [r.label for r in rungs(max_prec=256)]
['ball64', 'ball@128', 'ball@256']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import (
    ArithmeticNotSupportedError,
    EnclosureError,
    InputError,
    NonFiniteError,
    RegionBoundaryError,
    SizeLimitError,
    UncertifiedValueError,
)
from . import get_arith

#: errors that mean "this rung could not decide": climb to the next one
UNDECIDED = (UncertifiedValueError, EnclosureError, RegionBoundaryError, ArithmeticNotSupportedError,
             NonFiniteError, SizeLimitError)


@dataclass(frozen=True)
class Rung:
    """One rung: an arithmetic name and, for Arb, a precision in bits."""

    arith: str
    prec: int | None = None

    @property
    def label(self) -> str:
        return self.arith if self.prec is None else f"{self.arith}@{self.prec}"

    def arithmetic(self):
        return get_arith(self.arith, self.prec)


def rungs(prec: int | None = None, max_prec: int = 512, *, fast: bool = True, exact: bool = False) -> list[Rung]:
    """The ladder: ``ball64`` (if ``fast``), Arb at ``prec`` (default 128) doubling up to ``max_prec``, then
    ``exact`` (if ``exact``)."""
    from ..validate import precision

    start = precision(128 if prec is None else prec)
    top = precision(max_prec)
    if top < start:
        raise InputError(f"max_prec = {top} is below prec = {start}")
    out = [Rung("ball64")] if fast else []
    p = start
    while p < top:
        out.append(Rung("ball", p))
        p *= 2
    out.append(Rung("ball", top))
    if exact:
        out.append(Rung("exact"))
    return out


@dataclass
class Climb:
    """The outcome of :func:`climb`: the first decided ``value`` (None if no rung decided), the ``rung`` that
    decided it, every attempt (``{"rung", "outcome"}``) and the last undecided error, if any."""

    value: Any = None
    rung: Rung | None = None
    attempts: list = field(default_factory=list)
    error: Exception | None = None

    @property
    def decided(self) -> bool:
        return self.rung is not None

    @property
    def label(self) -> str:
        return "" if self.rung is None else self.rung.label

    def record(self) -> list[dict]:
        return [dict(a) for a in self.attempts]


def climb(attempt: Callable[[Rung], Any], ladder) -> Climb:
    """Call ``attempt(rung)`` up the ladder until one returns a value other than None."""
    out = Climb()
    for r in ladder:
        try:
            value = attempt(r)
        except UNDECIDED as exc:
            out.attempts.append({"rung": r.label, "outcome": f"undecided ({type(exc).__name__}: {_short(exc)})"})
            out.error = exc
            continue
        if value is None:
            out.attempts.append({"rung": r.label, "outcome": "undecided (enclosures too wide)"})
            continue
        out.attempts.append({"rung": r.label, "outcome": "decided"})
        out.value, out.rung = value, r
        return out
    return out


def _short(exc: Exception, width: int = 160) -> str:
    s = str(exc)
    return s if len(s) <= width else s[: width - 1] + "…"


def point_in(rung: Rung, theta) -> Any:
    """θ (exact rationals, floats, Arb balls or float64 balls; a box when it holds balls) as the input of an
    attempt on ``rung``: unchanged for Arb and exact, converted to a float64-ball array for ``ball64`` (every
    entry's float64 ball encloses the given number or ball).

    The conversion rounds to nearest (Python's ``float`` of a Fraction, of an Arb midpoint and radius) and then
    widens by the rounding error: ``|x − fl(x)| ≤ u·|fl(x)| + η`` for each rounded number (u = 2⁻⁵³, η = 2⁻¹⁰⁷⁴),
    and the radius sum is itself rounded upward."""
    if rung.arith != "ball64":
        return theta
    from .ball64 import B64

    if isinstance(theta, B64):
        return theta
    arr = np.asarray(theta, dtype=object)
    flat = arr.reshape(-1)
    mid = np.empty(flat.shape)
    rad = np.empty(flat.shape)
    exact = np.zeros(flat.shape, dtype=bool)
    for i, v in enumerate(flat):
        mid[i], rad[i], exact[i] = _float_parts(v)
    with np.errstate(over="ignore", invalid="ignore"):
        # rad: the given radius (rounded to nearest: ≤ (1 + u)·fl) plus the midpoint's rounding error
        err = np.where(exact, 0.0, _U * np.abs(mid) + _ETA)
        # + η: a radius rounded to nearest in the subnormal range may lose up to half an η-spacing
        total = (rad * (1.0 + 2.0 * _U) + _ETA + err) * (1.0 + 8.0 * _U)
        total = np.where(exact & (rad == 0), 0.0, total)
    bad = ~np.isfinite(mid) | ~np.isfinite(total)
    if bad.any():
        raise NonFiniteError(f"θ holds a number beyond the float64 range (entry {int(np.argmax(bad))}): float64 "
                             "balls cannot enclose it; use arith='ball'")
    return B64(mid.reshape(arr.shape), total.reshape(arr.shape))


_U = 2.0**-53
_ETA = 2.0**-1074


def _float_parts(v) -> tuple[float, float, bool]:
    """(fl(mid), fl(rad), whether fl(mid) is exactly the midpoint) of a number or ball ``v``."""
    from .ball64 import B64
    from .decide import _flint_name, _rational_or_none

    if isinstance(v, float | np.floating):
        if not np.isfinite(v):
            raise NonFiniteError(f"θ holds the non-finite number {v}")
        return float(v), 0.0, True
    if isinstance(v, B64):
        return float(v.mid), float(v.rad), True
    if _flint_name(v) == "arb":
        if not v.is_finite():
            raise NonFiniteError(f"θ holds the non-finite ball {v}")
        m, r = v.mid(), v.rad()
        fm, fr = _to_float(m), _to_float(r)
        if fr == 0 and not r.is_zero():
            fr = _ETA  # a radius below the smallest subnormal
        return fm, fr, bool(m == fm)
    q = _rational_or_none(v)
    if q is None:
        from .decide import bounds

        lo, hi = bounds(v)  # any other enclosure: its exact endpoints
        m = _to_float((lo + hi) / 2)
        return m, _to_float(max(Fraction(m) - lo, hi - Fraction(m))) * (1 + 4 * _U) + _ETA, True
    fm = _to_float(q)
    if not np.isfinite(fm):
        return fm, float("inf"), False
    return fm, 0.0, Fraction(fm) == q


def _to_float(x) -> float:
    try:
        return float(x)
    except OverflowError:
        return float("inf")


__all__ = ["Rung", "rungs", "climb", "Climb", "point_in", "UNDECIDED"]
