"""Claims, counterexample search and re-checking, instance files, sweeps and reports (issue: claims,
property-based testing and counterexample generation)."""

from __future__ import annotations

import json
from fractions import Fraction as F

import pytest
from hypothesis import strategies as st

import verify as vf
from verify.claims import Claim, ClaimError, Instance, check, get_claim, load_counterexample, recheck_file, register
from verify.errors import InputError, SchemaError
from verify.report.sweep import parse_grid, read_rows, sweep
from verify.result import Result, Verdict


def test_the_false_monotonicity_conjecture_is_refuted_with_a_minimal_certified_counterexample(tmp_path):
    rep = check("gd-monotone-relu", max_examples=200, seed=0)
    # the first rung of the re-check ladder (float64 balls) certifies the increase
    assert rep.verdict == Verdict.REFUTED and rep.result.arithmetic == "ball64" and rep.result.rung == "ball64"
    assert rep.result.certificate["ladder"] == [{"rung": "ball64", "outcome": "REFUTED"}]
    ce = rep.counterexample
    assert ce.widths == (1, 1, 1) and len(ce.X) == 1  # shrunk to one neuron and one data point
    path = tmp_path / "ce.json"
    rep.save_counterexample(path)
    loaded = load_counterexample(path)
    assert loaded["instance"] == ce and loaded["claim"] == "gd-monotone-relu"
    assert recheck_file(path).verdict == Verdict.REFUTED
    assert "reproduce_failure" in rep.reproduce and "seed=0" in rep.reproduce


def test_a_true_claim_is_only_ever_supported():
    rep = check("gd-monotone-linear", max_examples=60, seed=1)
    assert rep.verdict == Verdict.SUPPORTED and rep.examples >= 60 and rep.min_margin >= 0


def test_instance_roundtrip_and_exports():
    inst = Instance((2, 2, 1), ("leaky_relu(1/10)",), True, ((F(1), F(-1, 3)), (F(2), F(0))), ((F(1),), (F(-1),)),
                    tuple(F(k, 3) for k in range(9)), "half_mean", {"eta": F(1, 10)})
    again = Instance.from_dict(json.loads(json.dumps(inst.to_dict())))
    assert again == inst
    assert again.loss().value(list(inst.theta), "exact") == inst.loss().value(list(inst.theta), "exact")
    s = inst.to_sympy()
    assert s["scalars"]["eta"] == F(1, 10) and len(s["theta"]) == 9
    tex = inst.to_latex()
    assert r"\eta" in tex and "L(\\theta)" in tex


@pytest.mark.parametrize("mutate, match", [
    (lambda d: d.update(schema=2), "schema"),
    (lambda d: d["theta"].__setitem__(0, "one"), "rational"),
    (lambda d: d["theta"].__setitem__(0, 0.5), "rational"),
    (lambda d: d.update(theta=d["theta"][:-1]), "parameters"),
    (lambda d: d.update(X=[["1"]]), "rows of length"),
    (lambda d: d.update(activations=["relu; import os"]), "activation"),
    (lambda d: d.update(extra=1), "unknown"),
])
def test_tampered_instance_files_are_rejected(mutate, match):
    inst = Instance((2, 2, 1), ("relu",), False, ((F(1), F(2)),), ((F(1),),), tuple(F(1, k + 1) for k in range(6)))
    d = inst.to_dict()
    mutate(d)
    with pytest.raises(SchemaError, match=match):
        Instance.from_dict(d)


def test_counterexample_file_schema_is_checked(tmp_path):
    p = tmp_path / "x.json"
    p.write_text("{not json")
    with pytest.raises(SchemaError, match="not valid JSON"):
        load_counterexample(p)
    p.write_text(json.dumps({"kind": "verify-counterexample", "schema": 99, "claim": "gd-monotone-relu"}))
    with pytest.raises(SchemaError, match="schema"):
        load_counterexample(p)


def _strategy():
    return vf.strategies.instances(activations=st.just("relu"), bias=False, scalars={"eta": vf.strategies.step_sizes()})


def test_a_prop_that_raises_is_a_clear_error():
    def prop(inst, arith="float", prec=None):
        raise ArithmeticError("boom")

    with pytest.raises(ClaimError, match="boom"):
        check(Claim("raises", _strategy(), prop), max_examples=5)


def test_a_float_counterexample_without_a_certified_mode_is_not_refuted():
    def prop(inst):  # no arith parameter: cannot be re-checked in ball arithmetic
        return Result(Verdict.INCONCLUSIVE, margin=-1.0)

    rep = check(Claim("float-only", _strategy(), prop), max_examples=5)
    assert rep.verdict == Verdict.INCONCLUSIVE and "cannot be re-checked" in rep.result.message


def test_a_float_violation_that_the_balls_do_not_confirm_is_round_off():
    def prop(inst, arith="float", prec=None):
        if arith == "float":
            return Result(Verdict.INCONCLUSIVE, margin=-1e-17)  # a round-off "violation"
        return Result(Verdict.SUPPORTED, margin=1.0, arithmetic="ball", precision=prec)

    rep = check(Claim("roundoff", _strategy(), prop), max_examples=5)
    assert rep.verdict == Verdict.INCONCLUSIVE and "round-off" in rep.result.message


@pytest.mark.slow
def test_parallel_search_with_a_process_pool():
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as ex:
        rep = check("gd-monotone-relu", max_examples=200, executor=ex, workers=2)
    assert rep.verdict == Verdict.REFUTED


def test_bad_claims_and_names():
    with pytest.raises(InputError):
        Claim("x", [1, 2], lambda i: None)
    with pytest.raises(InputError, match="unknown claim"):
        get_claim("no-such-claim")
    with pytest.raises(InputError):
        check("gd-monotone-relu", max_examples=0)


# ------------------------------------------------------------------ sweeps and reports
def _flaky_params(seed=0, width=1):
    if seed == 3:
        raise ValueError("this grid point cannot be built")
    return get_claim("gd-monotone-relu").from_params(width=width, seed=seed)


FLAKY = register(Claim("test-flaky-sweep", _strategy(), get_claim("gd-monotone-relu").prop,
                       from_params=_flaky_params), replace=True)


def test_sweep_records_failures_resumes_and_reports(tmp_path):
    from verify.report.sweep_report import render

    out = tmp_path / "s.jsonl"
    grid = parse_grid(["seed=0:6", "width=1,2"])
    counts = sweep("test-flaky-sweep", grid, out, progress=None)
    assert counts["run"] == 12 and counts.get("ERROR") == 2  # seed 3, both widths: recorded, sweep went on
    rows = read_rows(out)
    assert {r["point"]["seed"] for r in rows if r["verdict"] == "ERROR"} == {3}
    again = sweep("test-flaky-sweep", parse_grid(["seed=0:8", "width=1,2"]), out, progress=None)
    assert again["skipped"] == 12 and again["run"] == 4  # resumed: only the new points ran
    rep = render(out, tmp_path / "rep")
    assert (tmp_path / "rep" / "report.html").read_text().count("<img") == 3
    assert "seed:" in rep["table"] and "ERROR" in rep["table"]


def test_sweep_bad_input(tmp_path):
    with pytest.raises(InputError):
        parse_grid(["width"])
    with pytest.raises(InputError):
        parse_grid(["width=1,two"])
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"schema": 1}\n')
    with pytest.raises(SchemaError):
        read_rows(bad)


@pytest.mark.slow
def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="cannot reach the dask scheduler"):
        sweep("gd-monotone-relu", {"seed": [0]}, tmp_path / "s.jsonl", scheduler="tcp://127.0.0.1:9", progress=None)


@pytest.mark.slow
def test_sweep_on_a_real_dask_local_cluster(tmp_path):
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        counts = sweep("gd-monotone-relu", parse_grid(["width=1,2", "seed=0:10"]), tmp_path / "d.jsonl",
                       scheduler=cluster.scheduler_address, progress=None)
    assert counts["run"] == 20 and "ERROR" not in counts


def test_cli_search_recheck_sweep_report(tmp_path, capsys):
    from verify.cli import main

    ce = tmp_path / "ce.json"
    assert main(["search", "gd-monotone-relu", "--max-examples", "200", "--save", str(ce)]) == 0
    assert main(["recheck", str(ce)]) == 0
    assert "REFUTED" in capsys.readouterr().out
    out = tmp_path / "s.jsonl"
    assert main(["sweep", "gd-monotone-relu", "--grid", "seed=0:4", "--out", str(out), "-q"]) == 0
    assert main(["report", str(out), "--out", str(tmp_path / "r")]) == 0
    assert main(["sweep", "no-such-claim", "--grid", "seed=0:2", "--out", str(out)]) == 2
    tampered = tmp_path / "t.json"
    tampered.write_text(ce.read_text().replace('"schema": 1', '"schema": 7', 1))
    assert main(["recheck", str(tampered)]) == 2
    assert "schema" in capsys.readouterr().err


def test_the_pl_claim_survives():
    rep = check("pl-ntk-lower-bound", max_examples=40, seed=2)
    assert rep.verdict == Verdict.SUPPORTED and rep.min_margin >= 0


def _near_zero_prop(inst, arith="float", prec=None):
    """margin = 1/3·3 − (1 + 10⁻³⁰) = −10⁻³⁰ exactly: float64 balls straddle 0, Arb at 128 bits decides."""
    from fractions import Fraction

    a = vf.get_arith(arith, prec)
    if not a.certified:
        return Result(Verdict.INCONCLUSIVE, claim="v ≥ 0", margin=-1.0, arithmetic=a.name)
    with a.context():
        v = a.const(Fraction(1, 3)) * a.const(Fraction(3)) - a.const(1 + Fraction(1, 10**30))
    lo, hi = a.bounds(v)
    if hi < 0:
        return Result(Verdict.REFUTED, claim="v ≥ 0", margin=float(hi), arithmetic=a.name, precision=a.prec)
    if lo > 0:
        return Result(Verdict.SUPPORTED, claim="v ≥ 0", margin=float(lo), arithmetic=a.name, precision=a.prec)
    return Result(Verdict.INCONCLUSIVE, claim="v ≥ 0", margin=0.0, arithmetic=a.name, precision=a.prec)


def test_recheck_climbs_from_float64_balls_to_arb_on_a_violation_1e_30_from_the_edge():
    from verify.claims.check import recheck

    fast = Claim("near-zero-fast", st.just(0), _near_zero_prop, fast=True)
    res, history = recheck(fast, 0)
    assert [h[0] for h in history] == ["ball64", "ball@128"] and history[0][1] == "INCONCLUSIVE"
    assert res.verdict == Verdict.REFUTED and res.rung == "ball@128" and res.arithmetic == "ball"
    assert [a["rung"] for a in res.certificate["ladder"]] == ["ball64", "ball@128"]
    # a claim that does not declare float64-ball support never sees arith="ball64"
    plain = Claim("near-zero", st.just(0), _near_zero_prop)
    res, history = recheck(plain, 0)
    assert history[0][0] == "ball@128" and res.verdict == Verdict.REFUTED
    with pytest.raises(InputError):
        Claim("bad-fast", st.just(0), _near_zero_prop, fast="yes")
