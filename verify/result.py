"""Results and verdicts (``shared/DESIGN.md``, section Results).

A :class:`Result` carries a :class:`Verdict`:

* ``PROVED`` — certified by exact or ball arithmetic (or a symbolic proof);
* ``REFUTED`` — a certified counterexample;
* ``SUPPORTED`` — numerical evidence only;
* ``INCONCLUSIVE`` — precision or budget ran out; ``message`` says which and how to retry.

PROVED and REFUTED are refused unless ``arithmetic`` is ``"exact"``, ``"ball"`` or ``"symbolic"``:
floating point alone can never produce them.

Serialisation (:meth:`Result.to_json` / :meth:`Result.from_json`) is lossless for the numbers we
use: exact rationals as ``{"rational": "p/q"}``, balls as ``{"ball": {"mid": [m, e], "rad": [m, e]}}``
meaning (m·2^e) ± (m'·2^e') with integers as decimal strings, mpmath numbers as
``{"mpf": [m, e]}``; floats stay JSON numbers (NaN/inf are rejected).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction
from typing import Any

import numpy as np

from .errors import InputError, SchemaError
from .numbers import fraction_str, parse_fraction_str

SCHEMA_VERSION = 2
#: schema 1 had no ``scope``; it is still read
READABLE_SCHEMAS = (1, 2)
CERTIFIED_ARITHMETICS = ("exact", "ball", "symbolic")


class Verdict(str, Enum):
    PROVED = "PROVED"
    REFUTED = "REFUTED"
    SUPPORTED = "SUPPORTED"
    INCONCLUSIVE = "INCONCLUSIVE"

    def __str__(self) -> str:
        return self.value


@dataclass
class Quantity:
    """A named quantity: an exact/approximate ``value`` and/or a certified ``enclosure`` (lo, hi)."""

    name: str
    value: Any = None
    enclosure: tuple | None = None


@dataclass
class Result:
    verdict: Verdict
    claim: str = ""
    instance: str = ""
    quantity: Quantity | None = None
    margin: Any = None
    certificate: dict = field(default_factory=dict)
    counterexample: dict | None = None
    arithmetic: str = "float"
    precision: int | None = None
    seed: int | None = None
    elapsed: float = 0.0
    message: str = ""
    #: what a PROVED covers, in words (``"what"``) and data (``"regions"``, ``"points"``, ``"horizon"``,
    #: ``"precision"``, ``"eta"``, ``"count"`` …); see :func:`make_scope`
    scope: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.verdict, Verdict):
            try:
                self.verdict = Verdict(self.verdict)
            except ValueError:
                raise InputError(f"unknown verdict {self.verdict!r}; use one of {[v.value for v in Verdict]}") from None
        if self.verdict in (Verdict.PROVED, Verdict.REFUTED) and self.arithmetic not in CERTIFIED_ARITHMETICS:
            raise InputError(
                f"a {self.verdict} verdict needs certified arithmetic ({', '.join(CERTIFIED_ARITHMETICS)}); "
                f"got {self.arithmetic!r}. Report SUPPORTED (numerical evidence) instead.")
        if not isinstance(self.scope, dict):
            raise InputError(f"scope must be a dict, got {type(self.scope).__name__}")
        if self.verdict == Verdict.PROVED:
            what = self.scope.get("what")
            if not isinstance(what, str) or not what.strip():
                raise InputError("a PROVED verdict must state its scope: Result(scope=make_scope(what=..., ...))")
            if self.scope.get("count") == 0:
                # a proof over an empty scope proves nothing: never PROVED
                self.verdict = Verdict.INCONCLUSIVE
                self.message = (f"INCONCLUSIVE: the scope is empty ({what}: nothing was covered). "
                                + (self.message or ""))

    @property
    def certified(self) -> bool:
        return self.verdict in (Verdict.PROVED, Verdict.REFUTED)

    # -- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["verdict"] = self.verdict.value
        d["quantity"] = None if self.quantity is None else {
            "name": self.quantity.name, "value": encode(self.quantity.value),
            "enclosure": None if self.quantity.enclosure is None else [encode(x) for x in self.quantity.enclosure]}
        for k in ("margin", "certificate", "counterexample", "scope"):
            d[k] = encode(getattr(self, k))
        d["schema"] = SCHEMA_VERSION
        return d

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), **kw)

    @classmethod
    def from_dict(cls, d: dict) -> Result:
        if not isinstance(d, dict):
            raise SchemaError("a Result must be a JSON object")
        if d.get("schema") not in READABLE_SCHEMAS:
            raise SchemaError(f"unsupported Result schema version {d.get('schema')!r} "
                              f"(this toolkit reads {SCHEMA_VERSION})")
        known = set(cls.__dataclass_fields__)
        unknown = set(d) - known - {"schema"}
        if unknown:
            raise SchemaError(f"unknown Result fields {sorted(unknown)}")
        q = d.get("quantity")
        quantity = None
        if q is not None:
            if not isinstance(q, dict) or "name" not in q:
                raise SchemaError("quantity must be an object with a name")
            enc = q.get("enclosure")
            quantity = Quantity(q["name"], decode(q.get("value")),
                                None if enc is None else tuple(decode(x) for x in enc))
        kw = {k: d[k] for k in known & set(d)
              if k not in ("quantity", "margin", "certificate", "counterexample", "scope")}
        scope = decode(d.get("scope") or {})
        if d.get("schema") == 1 and not scope:
            scope = {"what": "not recorded (a schema-1 file)"}
        return cls(quantity=quantity, margin=decode(d.get("margin")), certificate=decode(d.get("certificate") or {}),
                   counterexample=decode(d.get("counterexample")), scope=scope, **kw)

    @classmethod
    def from_json(cls, s: str) -> Result:
        try:
            return cls.from_dict(json.loads(s))
        except json.JSONDecodeError as exc:
            raise SchemaError(f"not valid JSON: {exc}") from None

    def summary(self) -> str:
        m = format_number(self.margin)
        return f"{self.verdict}: {self.claim} [{self.instance}] margin {m}"


def make_scope(what: str, *, count: int | None = None, **data) -> dict:
    """The scope of a verdict: ``what`` it covers in words, and the data (``regions``, ``points``,
    ``horizon``, ``precision``, ``eta`` …). ``count`` is the number of items covered (regions,
    points, steps …): a PROVED with ``count == 0`` becomes INCONCLUSIVE (a proof about nothing).

    >>> make_scope("the critical point in the box", points=1, precision=128, count=1)["what"]
    'the critical point in the box'
    """
    if not isinstance(what, str) or not what.strip():
        raise InputError("a scope needs a non-empty description 'what'")
    out = {"what": what}
    if count is not None:
        out["count"] = int(count)
    out.update(data)
    return out


# ================================================================================= codec
def _man_exp_strs(x):
    man, exp = x.man_exp()
    return [str(int(man)), str(int(exp))]


def encode(x):
    """JSON-ready form of numbers, arrays and containers (lossless for exact/ball/mpf values)."""
    if x is None or isinstance(x, bool | str):
        return x
    if isinstance(x, Enum):
        return x.value
    if isinstance(x, int | np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        if not math.isfinite(float(x)):
            raise InputError(f"cannot serialise the non-finite float {x!r}")
        return float(x)
    if isinstance(x, Fraction):
        return {"rational": fraction_str(x)}
    mod, tname = type(x).__module__, type(x).__name__
    if mod.startswith("flint"):
        if tname == "fmpq":
            return {"rational": fraction_str(Fraction(int(x.p), int(x.q)))}
        if tname == "fmpz":
            return int(x)
        if tname == "arb":
            return {"ball": {"mid": _man_exp_strs(x.mid()), "rad": _man_exp_strs(x.rad()), "decimal": x.str(10)}}
    if mod.startswith("mpmath") and tname == "mpf":
        from .numbers import mpf_signed_man_exp

        man, exp = mpf_signed_man_exp(x)
        return {"mpf": [str(man), str(exp)]}
    if mod.startswith("sympy"):
        import sympy as sp

        if isinstance(x, sp.Rational):
            return {"rational": fraction_str(Fraction(int(x.p), int(x.q)))}
        if isinstance(x, sp.Basic):
            return {"sympy": sp.srepr(x)}  # for reading only; never parsed back
    if isinstance(x, np.ndarray):
        return [encode(v) for v in x.tolist()] if x.dtype != object else [encode(v) for v in x]
    if isinstance(x, dict):
        return {str(k): encode(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [encode(v) for v in x]
    if isinstance(x, Quantity):
        return {"name": x.name, "value": encode(x.value), "enclosure": encode(x.enclosure)}
    raise InputError(f"cannot serialise a {type(x).__name__}")


def _int(s, what):
    if not isinstance(s, str) or not s.lstrip("-").isdigit():
        raise SchemaError(f"{what}: expected an integer as a decimal string, got {s!r}")
    return int(s)


def decode(x):
    """Inverse of :func:`encode` (balls come back as flint ``arb``, rationals as ``Fraction``)."""
    if x is None or isinstance(x, bool | int | float | str):
        return x
    if isinstance(x, list):
        return [decode(v) for v in x]
    if isinstance(x, dict):
        if set(x) == {"rational"}:
            try:
                return parse_fraction_str(x["rational"], what="rational")
            except InputError as exc:
                raise SchemaError(str(exc)) from None
        if set(x) == {"ball"}:
            from flint import arb

            b = x["ball"]
            if not isinstance(b, dict) or not {"mid", "rad"} <= set(b):
                raise SchemaError("a ball needs 'mid' and 'rad'")
            mm, me = (_int(v, "ball mid") for v in b["mid"])
            rm, re_ = (_int(v, "ball rad") for v in b["rad"])
            if rm < 0:
                raise SchemaError("a ball radius must be non-negative")
            return arb((mm, me), (rm, re_))
        if set(x) == {"mpf"}:
            import mpmath

            m, e = (_int(v, "mpf") for v in x["mpf"])
            with mpmath.workprec(max(abs(m).bit_length(), 53)):  # exact: no rounding of the mantissa
                return mpmath.mpf((m, e))
        if set(x) == {"sympy"}:
            return x  # kept as text: sympy text is never evaluated
        return {k: decode(v) for k, v in x.items()}
    raise SchemaError(f"unexpected JSON value {x!r}")


def format_number(x, digits: int = 4) -> str:
    """Short human-readable form of a number, ball, rational or interval."""
    if x is None:
        return "—"
    if isinstance(x, Fraction):
        return fraction_str(x) if len(fraction_str(x)) <= 12 else f"{float(x):.{digits}g}"
    mod, tname = type(x).__module__, type(x).__name__
    if mod.startswith("flint") and tname == "arb":
        if x.is_exact():
            return f"{float(x.mid()):.{digits}g}" if x.mid() != 0 else "0"
        return x.str(digits, radius=True)
    if mod.startswith("flint") and tname == "fmpq":
        return format_number(Fraction(int(x.p), int(x.q)), digits)
    if isinstance(x, tuple | list) and len(x) == 2:
        return f"[{format_number(x[0], digits)}, {format_number(x[1], digits)}]"
    try:
        return f"{float(x):.{digits}g}"
    except (TypeError, ValueError):
        return str(x)
