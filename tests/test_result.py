"""Result and Verdict: soundness rule (no PROVED/REFUTED from floating point) and lossless JSON."""

from __future__ import annotations

import json
from fractions import Fraction

import mpmath
import pytest
from flint import arb, ctx
from hypothesis import given
from hypothesis import strategies as st

import verify as vf
from verify.arith.ball import contains
from verify.errors import InputError, SchemaError
from verify.result import decode, encode, make_scope


@pytest.mark.parametrize("arith", ["float", "mp"])
@pytest.mark.parametrize("verdict", [vf.Verdict.PROVED, vf.Verdict.REFUTED])
def test_certified_verdicts_need_certified_arithmetic(arith, verdict):
    with pytest.raises(InputError, match="SUPPORTED"):
        vf.Result(verdict, arithmetic=arith)
    vf.Result(verdict, arithmetic="ball", scope=make_scope("one test point", count=1))
    vf.Result(vf.Verdict.SUPPORTED, arithmetic=arith)


@given(st.fractions(), st.integers(), st.floats(allow_nan=False, allow_infinity=False))
def test_numbers_roundtrip(q, n, f):
    assert decode(json.loads(json.dumps(encode(q)))) == q
    assert decode(encode(n)) == n
    assert decode(encode(f)) == f


@given(st.integers(-10**40, 10**40), st.integers(1, 10**20), st.sampled_from([53, 128, 300]))
def test_balls_and_mpf_roundtrip(p, q, prec):
    saved = ctx.prec
    try:
        ctx.prec = prec
        b = arb(p) / q
        back = decode(json.loads(json.dumps(encode(b))))
        assert back.contains(b)  # the radius may be rounded up, never down
        assert float(back.rad()) <= float(b.rad()) * (1 + 1e-6) + 1e-300
    finally:
        ctx.prec = saved
    with mpmath.workprec(prec):
        m = mpmath.mpf(p) / q
    m2 = decode(json.loads(json.dumps(encode(m))))
    assert m2 == m and (m2 < 0) == (m < 0)


def test_result_json_roundtrip():
    ctx.prec = 128
    b = arb(1) / 3
    ctx.prec = 53
    r = vf.Result(vf.Verdict.REFUTED, claim="c", instance="i",
                  quantity=vf.Quantity("gap", value=Fraction(-2, 3), enclosure=(b, b + 1)),
                  margin=-b, certificate={"poly": [Fraction(1, 2), 3]},
                  counterexample={"theta": [Fraction(1, 7), 0.25]}, arithmetic="ball", precision=128, seed=7,
                  elapsed=0.5, message="m")
    r2 = vf.Result.from_json(r.to_json())
    assert r2.verdict is vf.Verdict.REFUTED and r2.quantity.value == Fraction(-2, 3)
    assert r2.quantity.enclosure[0].contains(b) and contains(r2.margin, -Fraction(1, 3))
    assert r2.counterexample == {"theta": [Fraction(1, 7), 0.25]}
    assert r2.certificate == {"poly": [Fraction(1, 2), 3]}
    assert (r2.precision, r2.seed, r2.message) == (128, 7, "m")


def test_schema_is_enforced():
    good = vf.Result(vf.Verdict.SUPPORTED).to_dict()
    with pytest.raises(SchemaError, match="unknown"):
        vf.Result.from_dict({**good, "extra": 1})
    with pytest.raises(SchemaError, match="schema"):
        vf.Result.from_dict({**good, "schema": 99})
    with pytest.raises(InputError, match="verdict"):
        vf.Result.from_dict({**good, "verdict": "TRUE"})
    with pytest.raises(SchemaError):
        vf.Result.from_json("{not json")
    with pytest.raises(SchemaError):
        decode({"rational": "1/0"})
    with pytest.raises(SchemaError):
        decode({"ball": {"mid": ["1", "0"], "rad": ["-1", "0"]}})
    with pytest.raises(SchemaError):
        decode({"mpf": ["2**10", "0"]})  # never evaluated
    with pytest.raises(InputError):
        encode(float("nan"))


# ------------------------------------------------------------------ issue 11: tampered Result files
def _good() -> dict:
    return vf.Result(vf.Verdict.SUPPORTED, margin=arb(1) / 3, arithmetic="ball", precision=53).to_dict()


def _with(**changes) -> dict:
    d = _good()
    d.update(changes)
    return d


BALL = {"mid": ["1", "0"], "rad": ["1", "-10"]}


@pytest.mark.parametrize("bad", [
    {"ball": {**BALL, "mid": ["1"]}},                 # a pair with one entry
    {"ball": {**BALL, "mid": ["1", "0", "5"]}},       # three entries
    {"ball": {**BALL, "mid": "12"}},                  # not a [m, e] pair (was read as m=1, e=2)
    {"ball": {**BALL, "mid": [1, 0]}},                # integers must be decimal strings
    {"ball": {**BALL, "rad": ["1.5", "0"]}},
    {"ball": {**BALL, "rad": ["²", "0"]}},            # a unicode digit
    {"ball": {**BALL, "rad": ["-1", "0"]}},
    {"ball": {**BALL, "mid": ["1", str(2**41)]}},    # an absurd exponent
    {"ball": {**BALL, "extra": 1}},
    {"ball": {**BALL, "decimal": 3}},
    {"ball": ["1", "0"]},
    {"mpf": ["1"]},
    {"mpf": "12"},
    {"mpf": [1, 2]},
    {"rational": "1/0"},
    {"rational": "0x10"},
    {"rational": 3},
    "three",
    True,
    [1, 2, 3],
    {"a": 1},
])
def test_malformed_margins_are_refused(bad):
    with pytest.raises(SchemaError):
        vf.Result.from_dict(_with(margin=bad))
    with pytest.raises(SchemaError):
        vf.Result.from_json(json.dumps(_with(margin=bad)))


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])
def test_non_finite_margins_are_refused(token):
    text = json.dumps(_with(margin=0.5)).replace('"margin": 0.5', f'"margin": {token}')
    assert token in text
    with pytest.raises(SchemaError, match="finite|NaN|Infinity"):
        vf.Result.from_json(text)
    with pytest.raises(SchemaError, match="finite"):
        vf.Result.from_dict(_with(margin=float("nan")))
    with pytest.raises(SchemaError, match="finite"):
        vf.Result.from_dict(_with(certificate={"x": float("inf")}))


@pytest.mark.parametrize("field, value", [
    ("verdict", 1), ("verdict", None), ("verdict", "proved"),
    ("arithmetic", 5), ("arithmetic", None), ("arithmetic", ""),
    ("precision", "128"), ("precision", 12.5), ("precision", True), ("precision", 0),
    ("seed", "7"), ("seed", 1.0),
    ("elapsed", "1"), ("elapsed", -1), ("elapsed", True), ("elapsed", [1]),
    ("claim", 3), ("instance", ["x"]), ("message", {"m": 1}),
    ("certificate", [1]), ("certificate", "x"), ("scope", "x"), ("counterexample", 3),
    ("quantity", {"name": "q", "enclosure": [1, 2, 3]}), ("quantity", {"name": 3}), ("quantity", "q"),
    ("schema", True), ("schema", 2.0), ("schema", "2"),
])
def test_fields_of_the_wrong_type_are_refused(field, value):
    with pytest.raises(SchemaError, match=field if field != "quantity" else "quantity|enclosure"):
        vf.Result.from_dict(_with(**{field: value}))


def test_from_json_limits():
    with pytest.raises(SchemaError, match="digits"):
        vf.Result.from_json('{"schema": 2, "verdict": "SUPPORTED", "seed": ' + "9" * 5000 + "}")
    with pytest.raises(SchemaError, match="nested"):
        vf.Result.from_json("[" * 100_000 + "]" * 100_000)
    with pytest.raises(SchemaError, match="duplicate"):
        vf.Result.from_json('{"schema": 2, "verdict": "SUPPORTED", "verdict": "PROVED"}')
    with pytest.raises(SchemaError):
        vf.Result.from_json(b"\xff\xfe")
    with pytest.raises(SchemaError):
        vf.Result.from_json(None)


def test_huge_exact_numbers_roundtrip():
    """Exact rationals, balls and mpf numbers beyond Python's 4300-digit str/int limit are written
    and read back exactly (the old codec raised a bare ValueError)."""
    q = Fraction(3**10000 + 1, 7**6000)
    n = 10**5000 + 7
    saved = ctx.prec
    try:
        ctx.prec = 40000
        b = arb(1) / 3
    finally:
        ctx.prec = saved
    with mpmath.workprec(40000):
        m = mpmath.mpf(1) / 3
    r = vf.Result(vf.Verdict.SUPPORTED, margin=q, certificate={"n": n, "b": b, "m": m})
    r2 = vf.Result.from_json(r.to_json())
    assert r2.margin == q and r2.certificate["n"] == n
    assert r2.certificate["b"].mid() == b.mid() and r2.certificate["m"] == m


def test_good_results_still_roundtrip_with_scope():
    r = vf.Result(vf.Verdict.PROVED, arithmetic="exact", margin=Fraction(1, 3), precision=None,
                  scope=make_scope("the point θ = 0", count=1, points=[[0]]), elapsed=0)
    r2 = vf.Result.from_json(r.to_json())
    assert r2.verdict is vf.Verdict.PROVED and r2.scope["count"] == 1 and r2.margin == Fraction(1, 3)
    assert vf.Result.from_json(json.dumps(_with(margin=[0.5, {"rational": "2/3"}]))).margin == [0.5, Fraction(2, 3)]
