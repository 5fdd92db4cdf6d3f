"""``verify check``: runs the proof checks, prints the table, writes JSON, exits non-zero on a
verdict that differs from the expected one."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import verify as vf
from verify.cli import main
from verify.errors import InputError
from verify.report import ProofCheck, render, run_checks


def test_verify_check_passes_and_writes_json(tmp_path, capsys):
    out = tmp_path / "report.json"
    assert main(["check", "-q", "--format", "wide", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "NP-C1" in table and "Euler identity" in table and "NP-C2" in table and "homogeneity" in table
    assert "negative control" in table and "Verdicts: PROVED" in table
    rep = json.loads(out.read_text())
    assert rep["summary"]["checks"] == rep["summary"]["as_expected"] > 0
    by_id = {}
    for c in rep["checks"]:  # a claim id belongs to one paper module (C1, C2, … repeat across papers)
        by_id.setdefault(c["id"], set()).add(c["name"].split("/")[0])
    assert all(len(mods) == 1 for mods in by_id.values())
    verdicts = {c["result"]["verdict"] for c in rep["checks"]}
    assert {"PROVED", "REFUTED", "SUPPORTED"} <= verdicts
    for c in rep["checks"]:
        vf.Result.from_dict(c["result"])  # every stored result reads back


def test_selection_and_listing(capsys):
    assert main(["check", "--list", "-k", "C2"]) == 0
    listed = capsys.readouterr().out.strip().splitlines()
    assert listed and all("C2" in line for line in listed)
    assert any("NP-C2  [homogeneous_np]  C2 homogeneity" in line for line in listed)  # spaces kept
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


# ------------------------------------------------------------------ issue 11: no tracebacks, ever
@pytest.mark.parametrize("argv", [
    [], ["nosuchcommand"], ["check", "--bogus"], ["check", "--list", "-k"], ["recheck"], ["report"],
    ["sweep", "gd-monotone-relu", "--jobs", "abc"],
    ["sweep", "gd-monotone-relu", "--grid", "seed=0:2", "--jobs", "0", "--out", "{tmp}/s.jsonl"],
    ["sweep", "gd-monotone-relu", "--grid", "seed", "--out", "{tmp}/s.jsonl"],
    ["sweep", "gd-monotone-relu", "--grid", "seed=0:2", "--timeout", "-1", "--out", "{tmp}/s.jsonl"],
    ["search", "no-such-claim"], ["search", "gd-monotone-relu", "--max-examples", "-3"],
    ["check", "--list", "--paper", "no-such-paper"],
    ["check", "-k", "C2", "--json", "{tmp}"],
    ["report", "{tmp}/missing.jsonl"],
])
def test_bad_command_lines_exit_2_without_a_traceback(argv, tmp_path, capsys):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    try:
        rc = main(argv)  # an exception escaping main() fails the test
    except SystemExit as exc:  # argparse's own usage errors
        rc = exc.code
    err = capsys.readouterr().err
    assert rc == 2, (argv, err)
    assert "Traceback" not in err and (not argv or "error" in err)


def test_check_list_works_and_a_broken_checks_module_is_an_error_not_a_crash(tmp_path, monkeypatch, capsys):
    from verify.report import discover

    pkg = tmp_path / "broken_checks"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "good.py").write_text("import verify as vf\nfrom verify.report import ProofCheck\n"
                                 "CHECKS = [ProofCheck('good/c', 'c', 'i', vf.Verdict.SUPPORTED, "
                                 "lambda: vf.Result(vf.Verdict.SUPPORTED))]\n")
    (pkg / "bad.py").write_text("from verify.arith.decide import no_such_function\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    checks = discover("broken_checks")
    assert [c.name for c in checks] == ["bad/import", "good/c"]
    rep = run_checks(checks, progress=None)
    assert [o.status for o in rep.outcomes] == ["ERROR", "ok"] and "no_such_function" in rep.outcomes[0].error
    with pytest.raises(InputError, match="cannot find the proof checks"):
        discover("no_such_checks_package")
    assert main(["check", "--list", "-k", "C1"]) == 0
    assert "C1" in capsys.readouterr().out


def test_checks_needing_a_missing_extra_are_skipped_not_failed(tmp_path):
    """Without scikit-learn (the ``data`` extra) the real-data proof checks cannot load their data: they are
    reported as skipped, with the pip command, and ``verify check`` still exits 0 (README command 1 installs no
    extras). A stub ``sklearn`` module without a package directory stands in for the missing install."""
    (tmp_path / "sklearn.py").write_text("# a stub: not a package, no bundled data\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    r = subprocess.run([sys.executable, "-m", "verify.cli", "check", "-k", "REAL-digits", "--json",
                        str(tmp_path / "r.json")], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "skipped" in r.stdout and "verify[data]" in r.stdout
    assert "0/0 checks as expected" in r.stdout and "1 skipped" in r.stdout
    assert "Traceback" not in r.stderr
