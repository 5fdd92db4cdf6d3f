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

User-defined claims reach the command line in two ways (see ``docs/claims.md``):

* ``verify recheck --import MODULE ce.json`` (also ``search``, ``sweep``, ``claims``) imports ``MODULE`` — a
  dotted module name, validated as such and imported with :func:`importlib.import_module`, never evaluated —
  whose import registers the claims (:func:`import_claim_module`);
* an installed package declares an entry point in the group ``verify.claims`` (:data:`ENTRY_POINT_GROUP`),
  e.g. in its ``pyproject.toml``::

      [project.entry-points."verify.claims"]
      mypkg = "mypkg.claims"

  The entry point names a module (importing it registers its claims), a :class:`Claim`, a list of claims, or a
  function returning one or the other; :func:`get_claim` and :func:`claim_names` load every such entry point
  once. An entry point that fails to load is skipped with a warning (the built-in claims stay usable).
"""

from __future__ import annotations

import importlib
import inspect
import math
import re
import sys
import warnings
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


#: the entry-point group through which installed packages register claims
ENTRY_POINT_GROUP = "verify.claims"
#: a dotted Python module name (identifiers separated by dots); nothing else is imported
_MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\Z", re.ASCII)
_PLUGINS: dict = {"loaded": False, "failed": []}


def _safe_str(exc: BaseException) -> str:
    """``str(exc)`` for a message, or a placeholder when the exception's own ``__str__`` raises."""
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 - a user exception whose __str__ is broken still gets a clean message
        return "<its message could not be formatted>"


def import_claim_module(name: str):
    """Import the module ``name`` (a dotted module name such as ``mypkg.claims``), whose import registers claims
    with :func:`register`; return the module. The current directory is searched after ``sys.path`` (as
    ``python -m`` would find a module there). Only a syntactically valid module name is accepted — a path, an
    expression or anything else is refused before any import; nothing is evaluated. Any failure of the import
    (module not found, an exception raised by the module's code) is an :class:`InputError` naming the module."""
    import os

    if not isinstance(name, str) or len(name) > 200 or not _MODULE_NAME.match(name):
        raise InputError(f"--import takes a Python module name such as 'mypkg.claims' (identifiers separated by "
                         f"dots), got {name!r}" + (" — give the module name without '.py'"
                                                   if isinstance(name, str) and name.endswith(".py") else ""))
    if name.endswith(".py"):
        raise InputError(f"--import takes a module name, not a file: for {name}, pass --import {name[:-3]}")
    if any(part in __import__("keyword").kwlist for part in name.split(".")):
        raise InputError(f"{name!r} is not a module name (it contains a Python keyword)")
    cwd = os.getcwd()
    added = cwd not in sys.path and "" not in sys.path
    if added:
        sys.path.append(cwd)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
            raise InputError(f"cannot import the claim module {name!r}: no module named {exc.name!r} (searched "
                             f"sys.path and the current directory {cwd})") from None
        raise InputError(f"importing the claim module {name!r} failed: {type(exc).__name__}: "
                         f"{_safe_str(exc)}") from None
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - the user's module raised (or called sys.exit) while importing
        raise InputError(f"importing the claim module {name!r} failed: {type(exc).__name__}: "
                         f"{_safe_str(exc)}") from None
    finally:
        if added and cwd in sys.path:
            sys.path.remove(cwd)


def _register_plugin_object(obj, where: str) -> None:
    """An entry point's object: a module (already registered on import), a Claim, claims, or a function."""
    import types

    if isinstance(obj, types.ModuleType):
        return
    if callable(obj) and not isinstance(obj, Claim):
        obj = obj()
    items = [obj] if isinstance(obj, Claim) else obj
    if items is None:
        return
    try:
        items = list(items)
    except TypeError:
        raise InputError(f"entry point {where} gave a {type(obj).__name__}, not a module, a Claim or claims") from None
    for c in items:
        if not isinstance(c, Claim):
            raise InputError(f"entry point {where} gave a {type(c).__name__}, not a verify.Claim")
        if _REGISTRY.get(c.name) is not c:
            register(c)


def load_plugins(reload: bool = False) -> list:
    """Load the claims of every entry point in the group :data:`ENTRY_POINT_GROUP` (once; ``reload`` loads them
    again). Returns the ``(entry point, error)`` pairs that failed; each failure is also a warning."""
    from importlib.metadata import entry_points

    if _PLUGINS["loaded"] and not reload:
        return list(_PLUGINS["failed"])
    _PLUGINS["loaded"] = True
    failed = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        where = f"{ep.name!r} ({ep.value}) of the group {ENTRY_POINT_GROUP!r}"
        try:
            _register_plugin_object(ep.load(), where)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the built-in claims
            msg = f"{type(exc).__name__}: {exc}"
            failed.append((ep.name, msg))
            warnings.warn(f"verify: the claim entry point {where} failed to load: {msg}", stacklevel=2)
    _PLUGINS["failed"] = failed
    return list(failed)


def _load_known() -> None:
    from . import library  # noqa: F401  (registers the built-in claims)

    load_plugins()


def get_claim(name: str) -> Claim:
    """The claim registered as ``name`` (built-in, registered in this process, or from an installed package's
    ``verify.claims`` entry point)."""
    _load_known()
    if not isinstance(name, str) or name not in _REGISTRY:
        hint = ("; a user-defined claim is known only after the module that registers it is imported: pass "
                "--import MODULE on the command line (or import it in Python), or install it as a "
                f"{ENTRY_POINT_GROUP!r} entry point")
        broken = _PLUGINS["failed"]
        if broken:
            hint += "; entry points that failed to load: " + ", ".join(f"{n} ({m})" for n, m in broken)
        raise InputError(f"unknown claim {name!r}; registered claims: {', '.join(sorted(_REGISTRY)) or 'none'}"
                         + hint)
    return _REGISTRY[name]


def claim_names() -> list[str]:
    """The names of every registered claim, sorted: the built-in library's, those registered by
    :func:`register` in this process and those of installed packages' entry points.

    >>> "gd-monotone-relu" in claim_names()
    True
    """
    _load_known()
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
