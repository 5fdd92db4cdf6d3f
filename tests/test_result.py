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
from verify.result import decode, encode


@pytest.mark.parametrize("arith", ["float", "mp"])
@pytest.mark.parametrize("verdict", [vf.Verdict.PROVED, vf.Verdict.REFUTED])
def test_certified_verdicts_need_certified_arithmetic(arith, verdict):
    with pytest.raises(InputError, match="SUPPORTED"):
        vf.Result(verdict, arithmetic=arith)
    vf.Result(verdict, arithmetic="ball")
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
