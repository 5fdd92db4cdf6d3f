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
    attempt on ``rung``: unchanged for Arb and exact, converted to a float64-ball array for ``ball64`` (an Arb
    ball becomes the float64 ball enclosing it, rounded outward)."""
    if rung.arith != "ball64":
        return theta
    from .ball64 import B64

    if isinstance(theta, B64):
        return theta
    arr = np.asarray(theta, dtype=object)
    mid = np.empty(arr.shape)
    rad = np.empty(arr.shape)
    for idx, v in np.ndenumerate(arr):
        mid[idx], rad[idx] = _enclose_float(v)
    return B64(mid, rad)


def _enclose_float(v) -> tuple[float, float]:
    """(mid, rad) floats with [mid − rad, mid + rad] ⊇ the value or ball ``v`` (exactly checked)."""
    from .ball64 import B64
    from .decide import bounds

    if isinstance(v, float | np.floating):
        if not np.isfinite(v):
            raise NonFiniteError(f"θ holds the non-finite number {v}")
        return float(v), 0.0
    if isinstance(v, B64):
        return float(v.mid), float(v.rad)
    lo, hi = bounds(v)
    m = float((lo + hi) / 2)
    if not np.isfinite(m):
        raise NonFiniteError(f"θ holds a number beyond the float64 range ({float(lo):.3g})")
    fm = Fraction(m)
    need = max(fm - lo, hi - fm)
    r = float(need)
    if Fraction(r) < need:
        r = float(np.nextafter(r, np.inf))
    return m, r


__all__ = ["Rung", "rungs", "climb", "Climb", "point_in", "UNDECIDED"]
