"""Claims: a property over generated instances, with a signed margin.

``vf.Claim(name, instances, prop)``: ``instances`` is a hypothesis strategy, ``prop(instance, arith=…,
prec=…)`` returns a :class:`~verify.Result` whose ``margin`` is a number, positive where the claim
holds. ``prop`` is evaluated in float64 while searching (fast) and up the precision ladder to re-check a
counterexample: Arb ball arithmetic (``arith="ball"``) at rising precision, preceded by float64 balls
(``arith="ball64"``, a few times the cost of float) when the claim says its prop handles them
(``Claim(..., fast=True)``; the values are then :class:`~verify.arith.ball64.B64` arrays, read with
``vf.get_arith("ball64").bounds``). A ``prop`` that takes no ``arith`` argument cannot be re-checked, and
its float counterexamples are reported as INCONCLUSIVE, never REFUTED.

Claims are registered by name (:func:`register`, :func:`get_claim`) so that worker processes, the
``verify sweep`` command and counterexample files can refer to them without pickling code.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import ClaimError, InputError

_REGISTRY: dict = {}


@dataclass
class Claim:
    """A named property over the instances a strategy generates."""

    name: str
    instances: object  # a hypothesis SearchStrategy
    prop: Callable
    description: str = ""
    #: optional: build the instance of a sweep grid point, ``from_params(**point) -> instance``
    from_params: Callable | None = None
    tags: tuple = field(default_factory=tuple)
    #: prop also evaluates in ``arith="ball64"`` (float64 balls): re-checks try that rung before Arb
    fast: bool = False

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise InputError("a claim needs a non-empty name")
        if not callable(self.prop):
            raise InputError("prop must be callable: prop(instance) -> Result")
        from ..validate import boolean

        self.fast = boolean(self.fast, "fast")
        from hypothesis.strategies import SearchStrategy

        if not isinstance(self.instances, SearchStrategy):
            raise InputError("instances must be a hypothesis strategy (see verify.strategies)")

    @property
    def certifiable(self) -> bool:
        """Does prop accept ``arith`` (so a counterexample can be re-checked in ball arithmetic)?"""
        try:
            params = inspect.signature(self.prop).parameters
        except (TypeError, ValueError):
            return False
        return "arith" in params or any(p.kind == p.VAR_KEYWORD for p in params.values())

    def evaluate(self, instance, arith: str = "float", prec: int | None = None):
        """prop at one instance; the Result must carry a numeric margin."""
        from ..result import Result

        res = self.prop(instance, arith=arith, prec=prec) if self.certifiable else self.prop(instance)
        if not isinstance(res, Result):
            raise ClaimError(f"claim {self.name!r}: prop returned a {type(res).__name__}, not a verify.Result")
        if res.margin is None:
            raise ClaimError(f"claim {self.name!r}: prop's Result has no margin (positive = the claim holds)")
        return res


def register(claim: Claim, replace: bool = False) -> Claim:
    """Make a claim known by name (for sweeps, worker processes and counterexample files)."""
    if claim.name in _REGISTRY and not replace and _REGISTRY[claim.name] is not claim:
        raise InputError(f"a claim named {claim.name!r} is already registered (pass replace=True)")
    _REGISTRY[claim.name] = claim
    return claim


def get_claim(name: str) -> Claim:
    from . import library  # noqa: F401  (registers the built-in claims)

    if name not in _REGISTRY:
        raise InputError(f"unknown claim {name!r}; registered claims: {', '.join(sorted(_REGISTRY)) or 'none'}")
    return _REGISTRY[name]


def claim_names() -> list[str]:
    from . import library  # noqa: F401

    return sorted(_REGISTRY)


def margin_float(res) -> float:
    """The Result's margin as a float (an enclosure (lo, hi) counts by its lower end)."""
    m = res.margin
    if isinstance(m, tuple | list):
        m = m[0]
    try:
        return float(m)
    except OverflowError:  # an exact rational beyond the float range
        return math.inf if m > 0 else -math.inf
    except (TypeError, ValueError):
        raise InputError(f"margin {m!r} is not a number: a claim's prop must return a Result whose margin is a "
                         "number (or an enclosure (lo, hi))") from None
