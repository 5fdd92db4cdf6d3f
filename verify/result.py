"""Results and verdicts.

A :class:`Result` carries a :class:`Verdict`:

* ``PROVED`` — certified by exact or ball arithmetic (or a symbolic proof);
* ``REFUTED`` — a certified counterexample;
* ``SUPPORTED`` — numerical evidence only;
* ``INCONCLUSIVE`` — precision or budget ran out; ``message`` says which and how to retry.

PROVED and REFUTED are refused unless ``arithmetic`` is ``"exact"``, ``"ball"``, ``"ball64"`` (float64 balls
with rigorous rounding bounds) or ``"symbolic"``: floating point alone can never produce them. Analyses that
climb the precision ladder (:mod:`verify.arith.ladder`) name the rung that decided in ``rung`` (``"ball64"``,
``"ball@256"``, ``"exact"``; empty when no ladder was used).

Serialisation (:meth:`Result.to_json` / :meth:`Result.from_json`) is lossless for the numbers we
use: exact rationals as ``{"rational": "p/q"}``, balls as ``{"ball": {"mid": [m, e], "rad": [m, e]}}``
meaning (m·2^e) ± (m'·2^e') with integers as decimal strings, mpmath numbers as
``{"mpf": [m, e]}``; floats stay JSON numbers (NaN/inf are rejected).

Reading is strict (:meth:`Result.from_dict`, :func:`decode`): every field is type-checked, a ball or
mpf must be exactly a pair of decimal-string integers, and non-finite numbers are refused. Files and
JSON text go through :func:`read_json` / :func:`loads`: a size limit (``VERIFY_MAX_JSON_BYTES``), a
nesting limit, bounded integers, no ``NaN``/``Infinity`` tokens, no duplicate keys — every failure a
:class:`~verify.errors.SchemaError` (or an :class:`~verify.errors.InputError` for a missing path or a
directory). Nothing read from a file is ever evaluated.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import re
import stat
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction
from typing import Any

import numpy as np

from .errors import InputError, SchemaError, SizeLimitError
from .numbers import fraction_str

SCHEMA_VERSION = 2
#: schema 1 had no ``scope``; it is still read
READABLE_SCHEMAS = (1, 2)
CERTIFIED_ARITHMETICS = ("exact", "ball", "ball64", "symbolic")


class Verdict(str, Enum):
    """The verdict of a check (a :class:`str`, so it compares equal to its name and serialises as it).

    * ``PROVED`` — the statement holds on the whole :attr:`Result.scope`, certified by exact rationals, Arb or
      float64 balls, or a symbolic proof; needs a certified ``arithmetic`` and a non-empty scope.
    * ``REFUTED`` — a certified counterexample: the statement fails, and ``Result.counterexample`` says where.
    * ``SUPPORTED`` — numerical evidence only (floating point, sampling, a finite horizon): no guarantee.
    * ``INCONCLUSIVE`` — neither could be established within the precision or the budget; ``Result.message``
      says why and how to retry.

    What each verdict promises is explained in docs/guide/verdicts.md.

    >>> Verdict("PROVED") is Verdict.PROVED, str(Verdict.REFUTED)
    (True, 'REFUTED')
    """

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
    """The outcome of a check: a :class:`Verdict` with everything needed to read, trust and re-run it.

    Fields:

    * ``verdict`` — a :class:`Verdict` (a string such as ``"PROVED"`` is converted);
    * ``claim``, ``instance`` — what was checked, on what (free text);
    * ``quantity`` — the :class:`Quantity` the verdict is about (its value and/or certified enclosure);
    * ``margin`` — how far the decisive quantity is from the threshold (positive: the statement holds with room;
      a number or an interval ``[lo, hi]``);
    * ``certificate`` — the data a PROVED or REFUTED rests on (enclosures, boxes, rungs …);
    * ``counterexample`` — where the statement fails (for REFUTED, and for SUPPORTED refutations in float);
    * ``arithmetic``, ``precision``, ``rung`` — how it was computed: ``"float"``, ``"mp"``, ``"ball"``,
      ``"ball64"``, ``"exact"`` or ``"symbolic"``; the working precision in bits; the precision-ladder rung that
      decided (:mod:`verify.arith.ladder`);
    * ``seed``, ``elapsed``, ``message`` — the random seed, the wall time in seconds, an explanation (for
      INCONCLUSIVE: why and how to retry);
    * ``scope`` — what a PROVED covers (:func:`make_scope`).

    Construction enforces the soundness rules of docs/soundness.md: PROVED and REFUTED are refused
    (:class:`~verify.errors.InputError`) unless ``arithmetic`` is one of ``"exact"``, ``"ball"``, ``"ball64"``,
    ``"symbolic"``; a PROVED must state its scope, and a PROVED over an empty scope (``count == 0``) becomes
    INCONCLUSIVE.

    >>> r = Result(Verdict.PROVED, claim="x > 0", arithmetic="exact", margin=Fraction(1, 3),
    ...            scope=make_scope("the point x = 1/3", count=1))
    >>> r.certified, Result.from_json(r.to_json()) == r
    (True, True)
    """

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
    #: the precision-ladder rung that decided (``"ball64"``, ``"ball@128"``, ``"exact"``); "" without a ladder
    rung: str = ""

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
        """True for a certified verdict (PROVED or REFUTED), False for SUPPORTED and INCONCLUSIVE."""
        return self.verdict in (Verdict.PROVED, Verdict.REFUTED)

    # -- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The Result as a JSON-ready dict (schema :data:`SCHEMA_VERSION`), losslessly: exact rationals, balls and
        mpmath numbers are encoded by :func:`encode` (``{"rational": "p/q"}``, ``{"ball": ...}``, ``{"mpf": ...}``);
        :meth:`from_dict` reads it back."""
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
        """:meth:`to_dict` as JSON text; keyword arguments go to :func:`json.dumps` (e.g. ``indent=2``).
        :meth:`from_json` reads it back."""
        return json.dumps(self.to_dict(), **kw)

    @classmethod
    def from_dict(cls, d: dict) -> Result:
        """Validate and load a Result from its JSON form (:meth:`to_dict`). Every field is type-checked
        (a string where a string belongs, an integer precision, a finite non-negative ``elapsed``, a
        numeric margin); malformed balls/mpf and non-finite numbers are refused with :class:`SchemaError`."""
        if not isinstance(d, dict):
            raise SchemaError("a Result must be a JSON object")
        schema = d.get("schema")
        if type(schema) is not int or schema not in READABLE_SCHEMAS:
            raise SchemaError(f"unsupported Result schema version {schema!r} "
                              f"(this toolkit reads {', '.join(map(str, READABLE_SCHEMAS))})")
        known = set(cls.__dataclass_fields__)
        unknown = set(d) - known - {"schema"}
        if unknown:
            raise SchemaError(f"unknown Result fields {sorted(unknown)}")
        kw = {}
        verdict = d.get("verdict")
        if not isinstance(verdict, str) or verdict not in Verdict._value2member_map_:
            raise SchemaError(f"unknown verdict {verdict!r}; a Result's verdict is one of "
                              f"{[v.value for v in Verdict]}")
        kw["verdict"] = Verdict(verdict)
        for name in ("claim", "instance", "message", "arithmetic", "rung"):
            if name in d:
                if not isinstance(d[name], str):
                    raise SchemaError(f"Result field {name!r} must be a string, got {_json_type(d[name])}")
                kw[name] = d[name]
        if "arithmetic" in kw and not kw["arithmetic"].strip():
            raise SchemaError("Result field 'arithmetic' must name an arithmetic (e.g. \"ball\"), got ''")
        for name, minimum in (("precision", 1), ("seed", None)):
            v = d.get(name)
            if v is not None and (type(v) is not int or (minimum is not None and v < minimum)):
                raise SchemaError(f"Result field {name!r} must be null or an integer"
                                  + (f" ≥ {minimum}" if minimum is not None else "") + f", got {v!r}")
            if name in d:
                kw[name] = v
        if "elapsed" in d:
            e = d["elapsed"]
            if type(e) not in (int, float) or not math.isfinite(e) or e < 0:
                raise SchemaError(f"Result field 'elapsed' must be a finite number of seconds ≥ 0, got {e!r}")
            kw["elapsed"] = float(e)
        q = d.get("quantity")
        quantity = None
        if q is not None:
            if not isinstance(q, dict) or not isinstance(q.get("name"), str) or set(q) - {"name", "value", "enclosure"}:
                raise SchemaError("quantity must be an object {name: string, value, enclosure: [lo, hi] or null}")
            enc = q.get("enclosure")
            if enc is not None and (not isinstance(enc, list) or len(enc) != 2):
                raise SchemaError(f"a quantity's enclosure must be a pair [lo, hi], got {enc!r:.80}")
            quantity = Quantity(q["name"], decode(q.get("value")),
                                None if enc is None else tuple(_decode_number(x, "quantity enclosure") for x in enc))
        margin = d.get("margin")
        if isinstance(margin, list):
            if len(margin) != 2:
                raise SchemaError(f"a margin is a number or an interval [lo, hi], got a list of {len(margin)}")
            margin = [_decode_number(x, "margin") for x in margin]
        else:
            margin = _decode_number(margin, "margin")
        certificate = decode(d.get("certificate") or {})
        counterexample = decode(d.get("counterexample"))
        scope = decode(d.get("scope") or {})
        for name, v, nullable in (("certificate", certificate, False), ("counterexample", counterexample, True),
                                  ("scope", scope, False)):
            if not (isinstance(v, dict) or (nullable and v is None)):
                raise SchemaError(f"Result field {name!r} must be an object{' or null' if nullable else ''}, "
                                  f"got {_json_type(d.get(name))}")
        if schema == 1 and not scope:
            scope = {"what": "not recorded (a schema-1 file)"}
        return cls(quantity=quantity, margin=margin, certificate=certificate, counterexample=counterexample,
                   scope=scope, **kw)

    @classmethod
    def from_json(cls, s: str | bytes) -> Result:
        """Parse with :func:`loads` (size and nesting limits, no NaN/Infinity, bounded integers), then
        :meth:`from_dict`."""
        return cls.from_dict(loads(s, what="Result JSON"))

    def summary(self) -> str:
        """One line: the verdict, the claim, the instance (when there is one) and the margin."""
        m = format_number(self.margin)
        claim = f" {self.claim}" if self.claim else ""
        inst = f" [{self.instance}]" if self.instance else ""
        return f"{self.verdict}:{claim}{inst} margin {m}"


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
#: the largest JSON document :func:`loads`/:func:`read_json` accept (bytes); ``VERIFY_MAX_JSON_BYTES`` overrides
MAX_JSON_BYTES = 64 * 2**20
#: the deepest nesting of arrays/objects accepted (our files nest a handful of levels)
MAX_JSON_DEPTH = 64
#: bare JSON integers (precision, seed, widths, …) have at most this many digits (Python's own str→int limit)
MAX_JSON_INT_DIGITS = 4300
#: integers written as decimal strings (ball and mpf mantissas, rationals) have at most this many digits:
#: a mantissa at the largest precision (2**22 bits, :data:`verify.validate.MAX_PREC`) has ≈ 1.27·10⁶
MAX_INT_STRING_DIGITS = 1_300_000
#: binary exponents of balls and mpf numbers are bounded by this in absolute value
MAX_EXPONENT = 2**40
_INT_RE = re.compile(r"-?[0-9]+\Z")
_RATIONAL_RE = re.compile(r"(-?[0-9]+)(?:/([0-9]+))?\Z")


def _json_type(x) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null",
            int: "an integer", float: "a number"}.get(type(x), type(x).__name__)


def _int_str(n: int) -> str:
    """Decimal string of an int of any size (``str`` refuses more than 4300 digits)."""
    n = int(n)
    if -(10**50) < n < 10**50:
        return str(n)
    from flint import fmpz

    return str(fmpz(n))


def _int_from_str(s: str) -> int:
    """Inverse of :func:`_int_str` for a validated digit string (``int(str)`` refuses > 4300 digits)."""
    if len(s) <= 4000:
        return int(s)
    from flint import fmpz

    return int(fmpz(s))


def _man_exp_strs(x):
    man, exp = x.man_exp()
    return [_int_str(man), _int_str(exp)]


def encode(x):
    """JSON-ready form of numbers, arrays and containers (lossless for exact/ball/mpf values).

    Integers of more than :data:`MAX_JSON_INT_DIGITS` digits (JSON readers, Python's included, refuse
    them as bare numbers) are written as ``{"rational": "n"}``."""
    if x is None or isinstance(x, bool | str):
        return x
    if isinstance(x, Enum):
        return x.value
    if isinstance(x, int | np.integer):
        x = int(x)
        if abs(x) >= 10**MAX_JSON_INT_DIGITS:
            return {"rational": _int_str(x)}
        return x
    if isinstance(x, float | np.floating):
        if not math.isfinite(float(x)):
            raise InputError(f"cannot serialise the non-finite float {x!r}")
        return float(x)
    if isinstance(x, Fraction):
        return {"rational": _fraction_str(x)}
    mod, tname = type(x).__module__, type(x).__name__
    if mod.startswith("flint"):
        if tname == "fmpq":
            return {"rational": _fraction_str(Fraction(int(x.p), int(x.q)))}
        if tname == "fmpz":
            return encode(int(x))
        if tname == "arb":
            if not x.is_finite():
                raise InputError(f"cannot serialise the non-finite ball {x}")
            return {"ball": {"mid": _man_exp_strs(x.mid()), "rad": _man_exp_strs(x.rad()), "decimal": x.str(10)}}
    if mod.startswith("mpmath") and tname == "mpf":
        import mpmath

        from .numbers import mpf_signed_man_exp

        if not mpmath.isfinite(x):
            raise InputError(f"cannot serialise the non-finite mpf {x}")
        man, exp = mpf_signed_man_exp(x)
        return {"mpf": [_int_str(man), _int_str(exp)]}
    if mod.startswith("sympy"):
        import sympy as sp

        if isinstance(x, sp.Rational):
            return {"rational": _fraction_str(Fraction(int(x.p), int(x.q)))}
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


def _fraction_str(q: Fraction) -> str:
    if abs(q.numerator) < 10**50 and q.denominator < 10**50:
        return fraction_str(q)
    return _int_str(q.numerator) + ("" if q.denominator == 1 else "/" + _int_str(q.denominator))


def _int(s, what, *, bound: int | None = None) -> int:
    """A decimal-string integer of at most :data:`MAX_INT_STRING_DIGITS` digits (|value| ≤ ``bound``)."""
    if not isinstance(s, str) or not _INT_RE.match(s):
        raise SchemaError(f"{what}: expected an integer as a decimal string such as \"-12\", got {s!r:.60}")
    if len(s) > MAX_INT_STRING_DIGITS + 1:
        raise SchemaError(f"{what}: an integer of {len(s)} digits is beyond the limit of {MAX_INT_STRING_DIGITS}")
    v = _int_from_str(s)
    if bound is not None and abs(v) > bound:
        raise SchemaError(f"{what}: |{s:.30}| exceeds the limit {bound}")
    return v


def _man_exp(v, what) -> tuple[int, int]:
    """A ``[mantissa, exponent]`` pair of decimal strings (exactly two entries)."""
    if not isinstance(v, list) or len(v) != 2:
        raise SchemaError(f"{what} must be a pair [mantissa, exponent] of decimal strings, got {v!r:.60}")
    return _int(v[0], f"{what} mantissa"), _int(v[1], f"{what} exponent", bound=MAX_EXPONENT)


def parse_rational(s, what: str = "rational") -> Fraction:
    """``"p/q"`` or ``"p"`` (decimal digits only, q > 0, at most :data:`MAX_INT_STRING_DIGITS` digits each)
    → Fraction; nothing is evaluated. Raises :class:`SchemaError`."""
    if not isinstance(s, str):
        raise SchemaError(f"{what}: expected a string \"p/q\", got {_json_type(s)}")
    m = _RATIONAL_RE.match(s.strip())
    if not m:
        raise SchemaError(f"{what}: {s!r:.60} is not a rational \"p/q\" (integers p, q; nothing is evaluated)")
    p = _int(m.group(1), what)
    q = 1 if m.group(2) is None else _int(m.group(2), what)
    if q == 0:
        raise SchemaError(f"{what}: {s!r:.60} has a zero denominator")
    return Fraction(p, q)


def decode(x):
    """Inverse of :func:`encode` (balls come back as flint ``arb``, rationals as ``Fraction``).

    Strict: a ball is ``{"ball": {"mid": [m, e], "rad": [m', e']}}`` (plus an optional ``"decimal"``
    string) with exactly two decimal strings in each pair and m' ≥ 0; an mpf is ``{"mpf": [m, e]}``;
    floats must be finite. Anything else raises :class:`SchemaError`."""
    if x is None or isinstance(x, bool | int | str):
        return x
    if isinstance(x, float):
        if not math.isfinite(x):
            raise SchemaError(f"non-finite number {x!r} (JSON files hold finite numbers only)")
        return x
    if isinstance(x, list):
        return [decode(v) for v in x]
    if isinstance(x, dict):
        if "rational" in x and set(x) == {"rational"}:
            return parse_rational(x["rational"], "rational")
        if "ball" in x and set(x) == {"ball"}:
            from flint import arb

            b = x["ball"]
            if not isinstance(b, dict) or not {"mid", "rad"} <= set(b) or set(b) - {"mid", "rad", "decimal"}:
                raise SchemaError("a ball is {\"mid\": [m, e], \"rad\": [m, e]} (and an optional \"decimal\"), "
                                  f"got {b!r:.80}")
            if "decimal" in b and not isinstance(b["decimal"], str):
                raise SchemaError("a ball's \"decimal\" must be a string")
            mm, me = _man_exp(b["mid"], "ball mid")
            rm, re_ = _man_exp(b["rad"], "ball rad")
            if rm < 0:
                raise SchemaError("a ball radius must be non-negative")
            return arb((mm, me), (rm, re_))
        if "mpf" in x and set(x) == {"mpf"}:
            import mpmath

            m, e = _man_exp(x["mpf"], "mpf")
            with mpmath.workprec(max(abs(m).bit_length(), 53)):  # exact: no rounding of the mantissa
                return mpmath.mpf((m, e))
        if "sympy" in x and set(x) == {"sympy"}:
            if not isinstance(x["sympy"], str):
                raise SchemaError("a {\"sympy\": ...} entry holds text")
            return x  # kept as text: sympy text is never evaluated
        return {k: decode(v) for k, v in x.items()}
    raise SchemaError(f"unexpected JSON value {x!r:.60}")


def _decode_number(x, what):
    """A decoded number: null, a finite int/float, a rational, a ball, an mpf (or sympy text)."""
    v = decode(x)
    if v is None or (isinstance(v, int | float | Fraction) and not isinstance(v, bool)):
        return v
    mod, tname = type(v).__module__, type(v).__name__
    if (mod.startswith("flint") and tname == "arb") or (mod.startswith("mpmath") and tname == "mpf"):
        return v
    if isinstance(v, dict) and set(v) == {"sympy"}:
        return v
    raise SchemaError(f"{what} must be a number (a JSON number, {{\"rational\": \"p/q\"}}, a ball or an mpf), "
                      f"got {_json_type(x)}: {x!r:.80}")


# ---------------------------------------------------------------------- reading JSON safely
def _reject_constant(name):
    raise SchemaError(f"non-finite number {name} (JSON files hold finite numbers only)")


def _parse_int(s: str) -> int:
    digits = len(s) - (s[0] == "-")
    if digits > MAX_JSON_INT_DIGITS:
        raise SchemaError(f"a JSON integer of {digits} digits (the limit is {MAX_JSON_INT_DIGITS}; "
                          "write large exact numbers as {\"rational\": \"p/q\"})")
    return int(s)


def _parse_float(s: str) -> float:
    if len(s) > 1000:
        raise SchemaError(f"a JSON number of {len(s)} characters")
    v = float(s)
    if not math.isfinite(v):
        raise SchemaError(f"the JSON number {s:.40} overflows a float (finite numbers only)")
    return v


def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise SchemaError(f"duplicate key {k!r:.60} in a JSON object (a tampered or hand-merged file?)")
        out[k] = v
    return out


def _check_tree(obj, what: str) -> None:
    """Nesting depth ≤ MAX_JSON_DEPTH and no unencodable strings (lone surrogates), iteratively."""
    stack = [(obj, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise SchemaError(f"{what}: nested deeper than {MAX_JSON_DEPTH} levels")
            items = node.items() if isinstance(node, dict) else ((None, v) for v in node)
            for k, v in items:
                if k is not None:
                    stack.append((k, depth))
                stack.append((v, depth + 1))
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise SchemaError(f"{what}: a string with an invalid character (lone surrogate)") from None


def max_json_bytes() -> int:
    """:data:`MAX_JSON_BYTES`, or the environment variable ``VERIFY_MAX_JSON_BYTES``."""
    from .validate import env_int

    return env_int("VERIFY_MAX_JSON_BYTES", MAX_JSON_BYTES)


def loads(text, *, what: str = "JSON", max_bytes: int | None = None):
    """Parse JSON text safely: at most ``max_bytes`` (default :func:`max_json_bytes`), nesting ≤
    :data:`MAX_JSON_DEPTH`, bare integers ≤ :data:`MAX_JSON_INT_DIGITS` digits, no ``NaN``/``Infinity``
    tokens or overflowing numbers, no duplicate keys. Every failure is a :class:`SchemaError` (or
    :class:`~verify.errors.SizeLimitError` for the size) naming ``what``; nothing is evaluated."""
    limit = max_json_bytes() if max_bytes is None else max_bytes
    if isinstance(text, bytes | bytearray):
        if len(text) > limit:
            raise SizeLimitError(f"{what} is {len(text)} bytes, more than the limit of {limit} "
                                 "(raise it with VERIFY_MAX_JSON_BYTES)")
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SchemaError(f"{what} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not isinstance(text, str):
        raise SchemaError(f"{what}: expected JSON text, got a {type(text).__name__}")
    if len(text) > limit:
        raise SizeLimitError(f"{what} is {len(text)} characters, more than the limit of {limit} bytes "
                             "(raise it with VERIFY_MAX_JSON_BYTES)")
    try:
        obj = json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int, parse_float=_parse_float,
                         object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise SchemaError(f"{what}: nested deeper than {MAX_JSON_DEPTH} levels") from None
    except SchemaError as exc:
        raise SchemaError(f"{what}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{what} is not valid JSON ({exc})") from None
    except (ValueError, MemoryError) as exc:
        raise SchemaError(f"{what} cannot be read as JSON ({type(exc).__name__}: {exc})") from None
    _check_tree(obj, what)
    return obj


def read_json(path, *, what: str | None = None, max_bytes: int | None = None):
    """Read and parse a JSON file with :func:`loads`. A missing path, a directory, a special file
    (FIFO, device) or an unreadable file is an :class:`InputError` saying so."""
    p = check_input_file(path, what=what)
    limit = max_json_bytes() if max_bytes is None else max_bytes
    size = p.stat().st_size
    if size > limit:
        raise SizeLimitError(f"{p} is {size} bytes, more than the limit of {limit} "
                             "(raise it with VERIFY_MAX_JSON_BYTES)")
    try:
        with open(p, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read {p}: {exc.strerror or exc}") from None
    return loads(data, what=str(p), max_bytes=limit)


def check_input_file(path, *, what: str | None = None) -> pathlib.Path:
    """``path`` as a Path to an existing, readable regular file (else an :class:`InputError`)."""
    if not isinstance(path, str | pathlib.PurePath) or str(path) == "":
        raise InputError(f"expected a file path, got {path!r}")
    p = pathlib.Path(path)
    label = f"{what} " if what else ""
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputError(f"{label}{p}: no such file") from None
    except NotADirectoryError:
        raise InputError(f"{label}{p}: no such file (a parent is not a directory)") from None
    except OSError as exc:
        raise InputError(f"{label}{p}: cannot access ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{label}{p} is a directory; give the path of a file")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{label}{p} is not a regular file (a FIFO or device?); give the path of a file")
    if not os.access(p, os.R_OK):
        raise InputError(f"{label}{p}: permission denied")
    return p


def check_output_file(path, *, what: str = "output file") -> pathlib.Path:
    """``path`` as a Path where a file can be written: its directory exists and is writable, and the
    path is not a directory (else an :class:`InputError` saying what to change). Nothing is created."""
    if not isinstance(path, str | pathlib.PurePath) or str(path) == "":
        raise InputError(f"{what}: expected a file path, got {path!r}")
    p = pathlib.Path(path)
    parent = p.parent if str(p.parent) else pathlib.Path(".")
    if p.is_dir():
        raise InputError(f"{what} {p} is a directory; give a file name")
    if not parent.exists():
        raise InputError(f"{what} {p}: the directory {parent} does not exist (create it first)")
    if not parent.is_dir():
        raise InputError(f"{what} {p}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{what} {p}: the directory {parent} is not writable")
    if p.exists() and not os.access(p, os.W_OK):
        raise InputError(f"{what} {p} is not writable")
    return p


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
