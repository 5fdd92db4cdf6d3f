"""``verify check``: runs the proof checks, prints the table, writes JSON, exits non-zero on a
verdict that differs from the expected one."""

from __future__ import annotations

import json
import subprocess
import sys

import verify as vf
from verify.cli import main
from verify.report import ProofCheck, render, run_checks


def test_verify_check_passes_and_writes_json(tmp_path, capsys):
    out = tmp_path / "report.json"
    assert main(["check", "-q", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "C1 Euler identity" in table and "C2 homogeneity" in table and "negative control" in table
    rep = json.loads(out.read_text())
    assert rep["summary"]["checks"] == rep["summary"]["as_expected"] > 0
    verdicts = {c["result"]["verdict"] for c in rep["checks"]}
    assert {"PROVED", "REFUTED", "SUPPORTED"} <= verdicts
    for c in rep["checks"]:
        vf.Result.from_dict(c["result"])  # every stored result reads back


def test_selection_and_listing(capsys):
    assert main(["check", "--list", "-k", "C2"]) == 0
    listed = capsys.readouterr().out.strip().splitlines()
    assert listed and all("C2" in line for line in listed)
    assert main(["check", "-k", "no-such-claim"]) == 2


def test_a_wrong_expectation_fails_the_run():
    ok = ProofCheck("t/ok", "claim", "inst", vf.Verdict.SUPPORTED, lambda: vf.Result(vf.Verdict.SUPPORTED))
    bad = ProofCheck("t/bad", "claim", "inst", vf.Verdict.PROVED, lambda: vf.Result(vf.Verdict.SUPPORTED))

    def boom():
        raise RuntimeError("kaput")

    err = ProofCheck("t/err", "claim", "inst", vf.Verdict.PROVED, boom)
    rep = run_checks([ok, bad, err], progress=None)
    assert not rep.ok
    assert [o.status for o in rep.outcomes] == ["ok", "FAIL", "ERROR"]
    text = render(rep)
    assert "FAIL t/bad" in text and "kaput" in text and "1/3 checks as expected" in text


def test_console_script_runs():
    r = subprocess.run([sys.executable, "-m", "verify.cli", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and vf.__version__ in r.stdout
