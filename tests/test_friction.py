"""Issue 16's friction list: each point a new user met in the first hour, with the behaviour that fixes it."""

from __future__ import annotations

import json
import sys
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import verify as vf
from verify.cli import main
from verify.errors import InputError, SchemaError

# ------------------------------------------------------------------ 1. recheck a user-defined claim
_USER_CLAIMS = '''
from fractions import Fraction
import verify as vf
from verify.numbers import enclosure, to_arith

def prop(inst, arith="float", prec=None):
    """L(θ) ≤ 1/100 (false for most instances)."""
    loss, th = inst.loss(), inst.theta_array()
    if arith == "float":
        m = 0.01 - float(loss.value(th))
        return vf.Result(vf.Verdict.SUPPORTED if m >= 0 else vf.Verdict.INCONCLUSIVE, margin=m)
    a = vf.get_arith(arith, prec)
    lo, hi = enclosure(loss.value(th, a.name, a.prec))
    if lo > Fraction(1, 100):
        return vf.Result(vf.Verdict.REFUTED, margin=float(Fraction(1, 100) - lo), arithmetic=a.name,
                         precision=a.prec)
    return vf.Result(vf.Verdict.INCONCLUSIVE if hi > Fraction(1, 100) else vf.Verdict.SUPPORTED,
                     margin=float(Fraction(1, 100) - hi), arithmetic=a.name, precision=a.prec)

CLAIM = vf.claims.register(vf.Claim("{name}", vf.strategies.instances(activations=("tanh",), n=1), prop,
                                    description="L(θ) ≤ 1/100 (false)"), replace=True)
'''


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """A user module on disk (in the current directory) that registers a claim when imported."""
    name = f"friction_user_claims_{abs(hash(str(tmp_path))) % 10**8}"
    (tmp_path / f"{name}.py").write_text(_USER_CLAIMS.replace("{name}", f"user-{name}"))
    monkeypatch.chdir(tmp_path)
    yield name, f"user-{name}"
    sys.modules.pop(name, None)
    from verify.claims.claim import _REGISTRY

    _REGISTRY.pop(f"user-{name}", None)


def test_recheck_with_import_re_verifies_a_user_claims_counterexample(user_module, tmp_path, capsys):
    mod, claim = user_module
    ce = tmp_path / "ce.json"
    assert main(["search", claim, "--import", mod, "--max-examples", "30", "--save", str(ce)]) == 0
    out = capsys.readouterr().out
    assert f"verify recheck --import {mod}" in out
    d = json.loads(ce.read_text())
    assert d["claim"] == claim and d["module"] == mod
    # a fresh process knows nothing about the claim: the error names the module to import, no traceback
    from verify.claims.claim import _REGISTRY

    _REGISTRY.pop(claim)
    sys.modules.pop(mod)
    assert main(["recheck", str(ce)]) == 2
    err = capsys.readouterr().err
    assert "unknown claim" in err and f"--import {mod}" in err and "Traceback" not in err
    assert main(["recheck", "--import", mod, str(ce)]) == 0
    line = capsys.readouterr().out
    assert line.startswith("REFUTED:") and "[]" not in line and "ball@" in line


@pytest.mark.parametrize("bad", ["os;rm -rf", "__import__('os')", "a..b", "", "1abc", "x.py/", "import", "a-b"])
def test_import_refuses_anything_but_a_module_name(bad, tmp_path, capsys):
    ce = tmp_path / "ce.json"
    ce.write_text("{}")
    assert main(["recheck", "--import", bad, str(ce)]) == 2
    err = capsys.readouterr().err
    assert "module name" in err and "Traceback" not in err


def test_import_errors_are_one_clear_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "friction_broken_mod.py").write_text("raise RuntimeError('boom at import')\n")
    ce = tmp_path / "ce.json"
    ce.write_text("{}")
    assert main(["recheck", "--import", "friction_broken_mod", str(ce)]) == 2
    err = capsys.readouterr().err
    assert "boom at import" in err and "friction_broken_mod" in err and "Traceback" not in err
    assert main(["recheck", "--import", "friction_no_such_module", str(ce)]) == 2
    assert "no module named" in capsys.readouterr().err
    assert main(["recheck", "--import", "friction_broken_mod.py", str(ce)]) == 2
    assert "--import friction_broken_mod" in capsys.readouterr().err
    sys.modules.pop("friction_broken_mod", None)


def test_an_entry_point_registers_claims(monkeypatch, tmp_path):
    """Installed packages register claims through the 'verify.claims' entry-point group; a broken entry point is
    a warning, not a crash, and is named when its claim is asked for."""
    import importlib.metadata as md

    from verify.claims import claim as C

    good = vf.Claim("friction-plugin-claim", vf.strategies.instances(), lambda inst: vf.Result(vf.Verdict.SUPPORTED,
                                                                                                margin=1))

    class EP:
        def __init__(self, name, obj=None, exc=None):
            self.name, self.value, self._obj, self._exc = name, f"pkg.{name}:x", obj, exc

        def load(self):
            if self._exc:
                raise self._exc
            return self._obj

    eps = [EP("good", obj=lambda: [good]), EP("bad", exc=ImportError("no such pkg"))]
    monkeypatch.setattr(md, "entry_points", lambda group=None: eps if group == C.ENTRY_POINT_GROUP else [])
    monkeypatch.setattr(C, "_PLUGINS", {"loaded": False, "failed": []})
    try:
        with pytest.warns(UserWarning, match="failed to load"):
            names = C.claim_names()
        assert "friction-plugin-claim" in names and C.get_claim("friction-plugin-claim") is good
        with pytest.raises(InputError, match="bad .*no such pkg"):
            C.get_claim("friction-not-a-claim")
    finally:
        C._REGISTRY.pop("friction-plugin-claim", None)


# ------------------------------------------------------------------ 2. activation strings as printed
def test_every_catalogue_activation_round_trips_through_its_printed_name():
    params = {"leaky_relu": [Fraction(1, 10), Fraction(-3, 7), Fraction(1, 100)], "power": [1, 2, 5],
              "relu_power": [Fraction(1, 2), 2, Fraction(7, 3)]}
    for name, factory in vf.activations.CATALOGUE.items():
        acts = [factory(p) for p in params.get(name, [])] + [factory()]
        for act in acts:
            printed = act.name
            assert vf.activations.get(printed) is act
            net = vf.MLP([3, 4, 1], printed)
            assert net.activations[0] is act
            assert f"activations=[{printed}]" in repr(net)
            # the repr's name is what strategies print and what instance files store
            again = vf.MLP([3, 4, 1], repr(net).split("activations=[")[1].split("]")[0])
            assert again.activations[0] is act


@pytest.mark.parametrize("spelling,canonical", [
    ("leaky_relu(0.1)", "leaky_relu(1/10)"), ("leaky_relu( 1 / 10 )", "leaky_relu(1/10)"),
    ("leaky_relu(1e-1)", "leaky_relu(1/10)"), ("relu_power(1.5)", "relu_power(3/2)"), ("relu_power(2.0)",
                                                                                       "relu_power(2)"),
    (" tanh ", "tanh"), ("power(3/1)", "power(3)"), ("leaky_relu(-.25)", "leaky_relu(-1/4)")])
def test_activation_spellings_resolve_to_the_printed_form(spelling, canonical):
    assert vf.activations.canonical_name(spelling) == canonical
    assert vf.MLP([2, 2, 1], spelling).activations[0].name == canonical


@pytest.mark.parametrize("bad", ["leaky_relu(__import__('os'))", "leaky_relu(1/0)", "relu()", "leaky_relu(a)",
                                 "relu(2)", "power(1/2)", "nosuch(1)", "leaky_relu(1)(2)", "leaky_relu(1; 2)",
                                 "leaky_relu(" + "9" * 500 + ")", "exp", "sigmoid(x)"])
def test_malformed_activation_strings_are_refused_clearly(bad):
    with pytest.raises(InputError):
        vf.MLP([2, 2, 1], bad)


def test_instances_store_the_canonical_activation_name():
    from verify.claims.instance import activation_spec

    assert activation_spec("leaky_relu(0.1)") == ("leaky_relu", "1/10")
    with pytest.raises(SchemaError):
        activation_spec("leaky_relu(__import__('os'))")


# ------------------------------------------------------------------ 3. strategies validate their arguments
@pytest.mark.parametrize("call", [
    lambda: vf.strategies.instances(width=(3, 1)), lambda: vf.strategies.instances(depth=-1),
    lambda: vf.strategies.instances(n=0), lambda: vf.strategies.instances(scale=0),
    lambda: vf.strategies.instances(width="3"), lambda: vf.strategies.instances(activations=("nosuch",)),
    lambda: vf.strategies.instances(activations=()), lambda: vf.strategies.instances(activations=(1,)),
    lambda: vf.strategies.instances(normalization="median"), lambda: vf.strategies.instances(bias="yes"),
    lambda: vf.strategies.instances(n=(1, 2, 3)), lambda: vf.strategies.instances(width=(1, 10**9)),
    lambda: vf.strategies.instances(n=4, input_dim=2, linearly_independent=True),
    lambda: vf.strategies.instances(scalars={"1x": st.just(1)}), lambda: vf.strategies.instances(scalars=[1]),
    lambda: vf.strategies.rationals(-1), lambda: vf.strategies.rationals(2, dens=(0,)),
    lambda: vf.strategies.step_sizes(2, 1), lambda: vf.strategies.step_sizes(0, 1),
    lambda: vf.strategies.balls(0), lambda: vf.strategies.datasets(n=(2, 1)),
    lambda: vf.strategies.data_arrays(d=0), lambda: vf.strategies.params("net"),
    lambda: vf.strategies.architectures(output_dim=0), lambda: vf.strategies.conv_specs(channels=(2, 1)),
    lambda: vf.strategies.attention_specs(tokens=0), lambda: vf.strategies.graph_instances(n=(0, 1)),
    lambda: vf.strategies.instances(activations="leaky_relu(1/0)"),
])
def test_bad_strategy_arguments_fail_at_construction_with_a_verify_error(call):
    with pytest.raises(InputError):
        call()


@settings(max_examples=5, deadline=None)
@given(vf.strategies.instances(activations=("relu",)))
def test_a_tuple_of_one_activation_draws_instances(inst):
    assert inst.activations == ("relu",)


@settings(max_examples=5, deadline=None)
@given(vf.strategies.instances(activations=("leaky_relu(0.1)",), width=1))
def test_strategies_take_decimal_activation_spellings(inst):
    assert vf.Instance.from_dict(inst.to_dict()).loss().net.activations[0].name == "leaky_relu(1/10)"


# ------------------------------------------------------------------ 4. number types inside a prop
def test_number_helpers_mix_fractions_with_flint_and_mpmath():
    from flint import arb, fmpq, fmpz

    from verify import numbers as N

    with pytest.raises(TypeError):
        Fraction(1, 3) * fmpq(1, 2)  # what a user meets without the helpers
    assert N.mul(Fraction(1, 3), fmpq(3, 2)) == Fraction(1, 2)
    assert N.add(fmpz(2), Fraction(1, 2)) == Fraction(5, 2)
    ball = N.mul(Fraction(1, 3), arb(2))
    lo, hi = N.enclosure(ball)
    assert lo <= Fraction(2, 3) <= hi and hi - lo < Fraction(1, 10**100)
    assert N.coerce(Fraction(1, 3), 0.5) == (1 / 3, 0.5)
    assert N.as_fraction(fmpq(1, 3)) == Fraction(1, 3) and N.as_fraction(arb(5)) == 5
    with pytest.raises(InputError, match="radius"):
        N.as_fraction(arb(1) / 3)
    with pytest.raises(InputError):
        N.div(1, Fraction(0))
    with pytest.raises(InputError):
        N.coerce(True, 1)
    from verify.errors import UncertifiedValueError

    with pytest.raises(UncertifiedValueError):
        N.enclosure(0.5)  # a float is an approximation, not an enclosure


@pytest.mark.parametrize("arith,prec", [("float", None), ("mp", 80), ("exact", None), ("ball", 128),
                                        ("ball64", None)])
def test_to_arith_gives_the_arithmetics_own_number_containing_the_value(arith, prec):
    from verify import numbers as N

    q = Fraction(1, 3)
    x = N.to_arith(q, arith, prec)
    a = vf.get_arith(arith, prec)
    if a.certified:
        lo, hi = a.bounds(x)
        assert lo <= q <= hi
    else:
        assert abs(float(x) - 1 / 3) < 1e-15
    assert N.to_arith(x, arith, prec) is x  # already of the arithmetic's type: unchanged
    loss = vf.SquareLoss(vf.MLP([1, 1], "identity"), vf.Dataset([[1]], [[1]]))
    L = loss.value([Fraction(1, 2)], arith, prec)  # (1/2 − 1)² = 1/4
    y = x * L  # the documented way to combine a constant with a computed value: same arithmetic
    if a.certified:
        lo, hi = a.bounds(y)
        assert lo <= Fraction(1, 12) <= hi


@settings(max_examples=30, deadline=None)
@given(st.fractions(max_denominator=10**6).filter(lambda q: abs(q) < 10**6),
       st.fractions(max_denominator=10**6).filter(lambda q: abs(q) < 10**6))
def test_ball_mixing_always_encloses_the_exact_result(p, q):
    from flint import arb

    from verify import numbers as N

    for op, exact in ((N.mul, p * q), (N.add, p + q), (N.sub, p - q)):
        lo, hi = N.enclosure(op(p, arb(q.numerator) / q.denominator))
        assert lo <= exact <= hi


def test_docs_claims_page_states_the_prop_contract():
    import pathlib

    text = (pathlib.Path(__file__).parent.parent / "docs" / "claims.md").read_text()
    for needed in ('"ball"', "ball64", "exact", "REFUTED", "SUPPORTED", "INCONCLUSIVE", "to_arith",
                   "enclosure", "--import", "verify.claims"):
        assert needed in text, needed
