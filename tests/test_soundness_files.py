"""Issue 11, "Files and CLI" and "Sweeps": tampered, missing, oversized and hostile files, bad command
lines, concurrent and interrupted sweeps, hanging points. Every failure is one line on stderr with
exit status 2 (3 for an internal error), never a traceback; nothing is written outside the output
directory; a sweep file never gets duplicate rows."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import threading
import time

import pytest
from hypothesis import strategies as st

from verify.claims import Claim, Instance, register
from verify.cli import main
from verify.errors import InputError, SchemaError, SizeLimitError
from verify.report.sweep import parse_grid, read_rows, sweep
from verify.result import Result, Verdict, loads, read_json

CE = {"schema": 1, "kind": "verify-counterexample", "claim": "gd-monotone-relu",
      "instance": {"schema": 1, "widths": [1, 1, 1], "activations": ["relu"], "bias": False, "normalization": "mean",
                   "X": [["1"]], "y": [["1"]], "theta": ["1", "1/2"], "scalars": {"frac": "1/2"}},
      "verdict": "REFUTED", "seed": 0}


def _ce_text(**changes) -> str:
    d = json.loads(json.dumps(CE))
    for k, v in changes.items():
        if k == "instance":
            d["instance"].update(v)
        else:
            d[k] = v
    return json.dumps(d)


def _run(argv, capsys):
    rc = main(argv)
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def _one_line_error(err: str) -> bool:
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    return len(lines) == 1 and "Traceback" not in err and "error" in lines[0]


# ----------------------------------------------------------------------------- verify recheck
def test_recheck_of_a_good_file_still_refutes(tmp_path, capsys):
    p = tmp_path / "ce.json"
    p.write_text(_ce_text())
    rc, out, _ = _run(["recheck", str(p)], capsys)
    assert rc == 0 and "REFUTED" in out


@pytest.mark.parametrize("make, match", [
    (lambda d: d / "missing.json", "no such file"),
    (lambda d: d, "is a directory"),
])
def test_recheck_on_a_missing_path_or_a_directory(tmp_path, capsys, make, match):
    rc, _, err = _run(["recheck", str(make(tmp_path))], capsys)
    assert rc == 2 and _one_line_error(err) and match in err


@pytest.mark.parametrize("text, match", [
    (_ce_text().replace('"seed": 0', '"seed": ' + "9" * 5000), "5000 digits"),
    ("[" * 100_000 + "]" * 100_000, "nested deeper"),
    (_ce_text().replace('"seed": 0', '"seed": NaN'), "NaN"),
    (_ce_text().replace('"seed": 0', '"seed": 1e999'), "overflows"),
    (_ce_text()[:-1] + ', "claim": "pl-ntk-lower-bound"}', "duplicate key"),
    (_ce_text(instance={"scalars": {}}), "no scalar 'frac'"),
    (_ce_text(claim="gd-monotone-relu-renamed"), "unknown claim 'gd-monotone-relu-renamed'"),
    (_ce_text(instance={"theta": "12"}), "theta must be a JSON array"),
    (_ce_text(instance={"widths": ["1", 1, 1]}), "widths must be integers"),
    (_ce_text(instance={"widths": [1, 10**6, 1]}), "exceeds the limit"),
    (_ce_text(instance={"normalization": "bogus"}), "normalization"),
    (_ce_text(instance={"theta": ["1", "1/0"]}), "zero denominator"),
    ("\xff\xfe garbage", "not UTF-8"),
])
def test_recheck_on_hostile_files_is_one_clear_line(tmp_path, capsys, text, match):
    p = tmp_path / "ce.json"
    p.write_bytes(text.encode("latin-1") if text.startswith("\xff") else text.encode())
    rc, _, err = _run(["recheck", str(p)], capsys)
    assert rc == 2 and _one_line_error(err), err
    assert match in err


def test_json_size_limit(tmp_path, capsys, monkeypatch):
    p = tmp_path / "ce.json"
    p.write_text(_ce_text())
    monkeypatch.setenv("VERIFY_MAX_JSON_BYTES", "100")
    with pytest.raises(SizeLimitError, match="VERIFY_MAX_JSON_BYTES"):
        read_json(p)
    rc, _, err = _run(["recheck", str(p)], capsys)
    assert rc == 2 and _one_line_error(err) and "limit" in err
    monkeypatch.setenv("VERIFY_MAX_JSON_BYTES", "abc")
    with pytest.raises(InputError, match="VERIFY_MAX_JSON_BYTES"):
        read_json(p)


def test_special_files_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        read_json(fifo)  # reading a FIFO would block forever


def test_loads_is_strict():
    assert loads('{"a": [1, 2.5, "x", null]}') == {"a": [1, 2.5, "x", None]}
    for bad in ('{"a": Infinity}', '{"a": -Infinity}', "[NaN]", '{"a": 1, "a": 2}', "[" * 65 + "]" * 65,
                '"\\ud800"', "{"):
        with pytest.raises(SchemaError):
            loads(bad)


@pytest.mark.slow
def test_recheck_in_a_real_process_prints_no_traceback(tmp_path):
    p = tmp_path / "deep.json"
    p.write_text("[" * 100_000 + "]" * 100_000)
    for path in (p, tmp_path, tmp_path / "nope.json"):
        r = subprocess.run([sys.executable, "-m", "verify.cli", "recheck", str(path)], capture_output=True, text=True)
        assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


# ------------------------------------------------------------------------------ sweep: CLI
@pytest.mark.parametrize("extra, match", [
    (["--jobs", "0"], "jobs"),
    (["--jobs", "-2"], "jobs"),
    (["--timeout", "0"], "timeout"),
    (["--timeout", "nan"], "timeout"),
    (["--grid", "seed=5"], "given twice"),
    (["--grid", "width=1,1"], "repeated"),
    (["--grid", "width=0:99999999999"], "limit"),
])
def test_sweep_bad_arguments(tmp_path, capsys, extra, match):
    rc, _, err = _run(["sweep", "gd-monotone-relu", "--grid", "seed=0:2", "--out", str(tmp_path / "s.jsonl"), "-q",
                       *extra], capsys)
    assert rc == 2 and _one_line_error(err) and match in err
    assert not (tmp_path / "s.jsonl").exists()


def test_sweep_into_a_missing_directory_or_onto_a_directory(tmp_path, capsys):
    rc, _, err = _run(["sweep", "gd-monotone-relu", "--grid", "seed=0:2", "--out", str(tmp_path / "no" / "s.jsonl")],
                      capsys)
    assert rc == 2 and _one_line_error(err) and "does not exist" in err
    rc, _, err = _run(["sweep", "gd-monotone-relu", "--grid", "seed=0:2", "--out", str(tmp_path)], capsys)
    assert rc == 2 and _one_line_error(err) and "is a directory" in err


def test_other_commands_with_bad_paths(tmp_path, capsys):
    rc, _, err = _run(["check", "-q", "-k", "C2", "--json", str(tmp_path / "no" / "r.json")], capsys)
    assert rc == 2 and _one_line_error(err) and "does not exist" in err  # refused before running the checks
    rc, _, err = _run(["search", "gd-monotone-relu", "--save", str(tmp_path / "no" / "x.json")], capsys)
    assert rc == 2 and _one_line_error(err)
    rc, _, err = _run(["report", str(tmp_path / "nope.jsonl")], capsys)
    assert rc == 2 and _one_line_error(err) and "no such file" in err
    rc, _, err = _run(["report", str(tmp_path)], capsys)
    assert rc == 2 and _one_line_error(err) and "is a directory" in err


def test_internal_errors_are_one_line_with_status_3(monkeypatch, capsys):
    import verify.claims

    def boom():
        raise RuntimeError("something unexpected\nsecond line")

    monkeypatch.setattr(verify.claims, "claim_names", boom)
    rc, _, err = _run(["claims"], capsys)
    assert rc == 3 and "internal error: RuntimeError: something unexpected second line" in err
    assert "please report" in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


# ----------------------------------------------------------------------------- sweep files
def _params(seed=0, width=1):
    if seed == 90:
        time.sleep(120)  # a hanging point
    if seed == 91:
        os._exit(3)  # a worker that dies (as when FLINT aborts the interpreter)
    if seed == 93:
        sys.exit(4)  # a from_params that calls sys.exit
    return Instance((1, 1, 1), ("relu",), False, ((1,),), ((1,),), (1, 1), "mean", {"seed": seed, "width": width})


def _prop(inst):
    seed = inst.scalars["seed"]
    if seed == 92:
        return Result(Verdict.SUPPORTED, margin=float("nan"))
    return Result(Verdict.SUPPORTED, margin=1.0 + int(seed))


FAST = register(Claim("test-files-fast", st.just(None), _prop, from_params=_params), replace=True)
OTHER = register(Claim("test-files-other", st.just(None), _prop, from_params=_params), replace=True)


def _keys(path):
    return [(r["claim"], json.dumps(r["point"], sort_keys=True)) for r in read_rows(path)]


def test_a_held_lock_refuses_a_second_writer(tmp_path):
    out = tmp_path / "s.jsonl"
    fd = os.open(str(out) + ".lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(InputError, match="another verify sweep"):
            sweep("test-files-fast", {"seed": [0, 1]}, out, progress=None)
        assert not out.exists() or out.read_text() == ""
    finally:
        os.close(fd)
    assert sweep("test-files-fast", {"seed": [0, 1]}, out, progress=None)["run"] == 2


def test_a_waiting_writer_skips_the_rows_already_written(tmp_path):
    out = tmp_path / "s.jsonl"
    fd = os.open(str(out) + ".lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)

    def release():
        time.sleep(0.5)
        with open(out, "a") as fh:  # the "first writer" finishes its rows, then unlocks
            for s in range(3):
                fh.write(json.dumps({"schema": 1, "claim": "test-files-fast", "point": {"seed": s},
                                     "verdict": "SUPPORTED", "margin": 1.0, "error": None}) + "\n")
        os.close(fd)

    t = threading.Thread(target=release)
    t.start()
    notes = []
    counts = sweep("test-files-fast", {"seed": [0, 1, 2, 3]}, out, progress=None, wait=True, warn=notes.append)
    t.join()
    assert counts["skipped"] == 3 and counts["run"] == 1 and any("waiting" in n for n in notes)
    keys = _keys(out)
    assert len(keys) == len(set(keys)) == 4


@pytest.mark.slow
def test_two_concurrent_sweep_processes_never_duplicate_rows(tmp_path):
    out = tmp_path / "s.jsonl"
    cmd = [sys.executable, "-m", "verify.cli", "sweep", "gd-monotone-relu", "--grid", "seed=0:60", "--out", str(out),
           "-q", "--wait"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    keys = _keys(out)
    assert len(keys) == len(set(keys)) == 60


def test_a_torn_last_line_is_dropped_and_recomputed(tmp_path):
    out = tmp_path / "s.jsonl"
    sweep("test-files-fast", {"seed": [0, 1, 2]}, out, progress=None)
    data = out.read_bytes()
    out.write_bytes(data[:-25])  # the writer of the last row was killed mid-line
    notes = []
    rows = read_rows(out, warn=notes.append)
    assert len(rows) == 2 and "incomplete" in notes[0]
    notes.clear()
    counts = sweep("test-files-fast", {"seed": [0, 1, 2]}, out, progress=None, warn=notes.append)
    assert counts["run"] == 1 and counts["torn_lines_dropped"] == 1 and "dropped" in notes[0]
    text = out.read_text()
    assert text.endswith("\n") and len(text.splitlines()) == 3
    assert sorted(r["point"]["seed"] for r in read_rows(out)) == [0, 1, 2]


def test_a_complete_last_row_without_newline_is_kept(tmp_path):
    out = tmp_path / "s.jsonl"
    sweep("test-files-fast", {"seed": [0, 1]}, out, progress=None)
    out.write_bytes(out.read_bytes()[:-1])
    counts = sweep("test-files-fast", {"seed": [0, 1, 2]}, out, progress=None)
    assert counts["run"] == 1 and "torn_lines_dropped" not in counts
    assert len(out.read_text().splitlines()) == 3 and len(read_rows(out)) == 3


def test_a_corrupt_middle_line_is_an_error_naming_it(tmp_path):
    out = tmp_path / "s.jsonl"
    sweep("test-files-fast", {"seed": [0, 1]}, out, progress=None)
    lines = out.read_text().splitlines()
    out.write_text(lines[0] + "\n{garbage\n" + lines[1] + "\n")
    with pytest.raises(SchemaError, match=r"s\.jsonl:2 "):
        read_rows(out)


def test_rows_of_another_claim_do_not_count_as_done(tmp_path):
    out = tmp_path / "s.jsonl"
    sweep("test-files-fast", {"seed": [0, 1]}, out, progress=None)
    assert sweep("test-files-other", {"seed": [0, 1]}, out, progress=None)["run"] == 2


def test_a_nan_margin_is_an_error_row_not_a_huge_margin(tmp_path):
    out = tmp_path / "s.jsonl"
    sweep("test-files-fast", {"seed": [92]}, out, progress=None)
    (row,) = read_rows(out)
    assert row["verdict"] == "ERROR" and row["margin"] is None and "NaN" in row["error"]


def test_a_point_calling_sys_exit_is_recorded_and_the_sweep_goes_on(tmp_path):
    out = tmp_path / "s.jsonl"
    counts = sweep("test-files-fast", {"seed": [93, 0]}, out, progress=None)
    assert counts["run"] == 2 and counts["ERROR"] == 1 and counts["SUPPORTED"] == 1


def test_float_and_fraction_grid_values(tmp_path):
    from fractions import Fraction

    out = tmp_path / "s.jsonl"
    counts = sweep("test-files-fast", {"seed": [0], "width": [0.5, Fraction(3, 4), Fraction(2)]}, out, progress=None)
    assert counts["run"] == 3
    again = sweep("test-files-fast", {"seed": [0], "width": [Fraction(1, 2), 0.75, 2]}, out, progress=None)
    assert again["skipped"] == 3 and again["run"] == 0


def test_a_hanging_point_times_out_and_the_sweep_goes_on(tmp_path):
    out = tmp_path / "s.jsonl"
    t0 = time.perf_counter()
    counts = sweep("test-files-fast", {"seed": [0, 90, 1, 91, 2]}, out, progress=None, timeout=1.0)
    assert time.perf_counter() - t0 < 30
    assert counts["run"] == 5 and counts["SUPPORTED"] == 3 and counts["ERROR"] == 2 and counts["timeouts"] == 1
    rows = {r["point"]["seed"]: r for r in read_rows(out)}
    assert rows[90]["error"].startswith("PointTimeoutError") and rows[90]["verdict"] == "ERROR"
    assert "worker process died" in rows[91]["error"]
    assert rows[2]["verdict"] == "SUPPORTED"


@pytest.mark.slow
def test_timeout_with_several_workers(tmp_path):
    out = tmp_path / "s.jsonl"
    counts = sweep("test-files-fast", {"seed": [90, 0, 1, 2, 3, 4, 5, 91]}, out, progress=None, timeout=1.0, jobs=3)
    assert counts["run"] == 8 and counts["timeouts"] == 1 and counts["SUPPORTED"] == 6


def test_timeout_refused_with_an_executor(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as ex, pytest.raises(InputError, match="timeout"):
        sweep("test-files-fast", {"seed": [0]}, tmp_path / "s.jsonl", executor=ex, timeout=1, progress=None)


# ----------------------------------------------------------------------------- verify report
def _row(claim="test-files-fast", verdict="SUPPORTED", margin=1.0, **point):
    return {"schema": 1, "claim": claim, "point": point, "verdict": verdict, "margin": margin, "error": None}


def _write_rows(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_report_on_two_sweeps_with_different_grids(tmp_path, capsys):
    from verify.report.sweep_report import render

    f = tmp_path / "s.jsonl"
    _write_rows(f, [_row(width=w) for w in (1, 2)] + [_row(seed=s, frac="1/2") for s in range(3)])
    rep = render(f, tmp_path / "r")
    assert rep["sweeps"] == 2 and "reported separately" in rep["table"]
    assert "sweep 1 of 2" in rep["table"] and "sweep 2 of 2" in rep["table"]
    assert {"sweep1_margin_width.png", "sweep2_margin_seed.png", "sweep2_margin_frac.png"} <= set(rep["files"])
    rc, out, err = _run(["report", str(f), "--out", str(tmp_path / "r2")], capsys)
    assert rc == 0 and "reported separately" in err


def test_report_skips_malformed_rows_with_a_warning(tmp_path, capsys):
    from verify.report.sweep_report import render

    f = tmp_path / "s.jsonl"
    bad_margin = _row(seed=5)
    bad_margin["margin"] = "big"
    no_verdict = _row(seed=3)
    del no_verdict["verdict"]
    _write_rows(f, [_row(seed=0, frac="1/2"), _row(seed=1, frac="1/0"), no_verdict, bad_margin,
                    _row(seed=4, frac="1/3"), _row(seed=4, frac="1/3", margin=-1.0)])
    rep = render(f, tmp_path / "r")
    assert rep["rows"] == 2
    text = rep["table"]
    assert "skipped 3 malformed row(s)" in text and "'1/0'" in text and "no verdict" in text
    assert "recorded more than once" in text
    _write_rows(f, [_row(seed=1, frac="1/0")])
    rc, _, err = _run(["report", str(f), "--out", str(tmp_path / "r3")], capsys)
    assert rc == 2 and "no usable sweep rows" in err and _one_line_error(err)


def test_report_file_names_never_leave_the_output_directory(tmp_path):
    from verify.report.sweep_report import render

    f = tmp_path / "s.jsonl"
    out = tmp_path / "deep" / "r"
    (out / "margin_").mkdir(parents=True)  # what the old file naming needed to climb out
    rows = [{"schema": 1, "claim": "c", "point": {"/../../../evil": k}, "verdict": "SUPPORTED", "margin": 1.0}
            for k in range(2)]
    rows += [{"schema": 1, "claim": "c", "point": {"a": k, "../b": 1}, "verdict": "SUPPORTED", "margin": 1.0}
             for k in range(2)]
    rows += [_row(claim="c", seed=0)]
    _write_rows(f, rows)
    before = {p for p in tmp_path.rglob("*")}
    rep = render(f, out)
    created = {p for p in tmp_path.rglob("*")} - before
    assert created and all(out in p.parents for p in created)
    assert all("/" not in name and ".." not in name for name in rep["files"])
    assert "skipped 4 malformed row(s)" in rep["table"]


def test_report_safe_names_for_strange_but_valid_parameters(tmp_path):
    from verify.report.sweep_report import safe_name

    taken = set()
    assert safe_name("margin_../../x", taken) == "margin__x"
    assert safe_name("margin_../../x", taken) == "margin__x_2"
    assert safe_name("..", taken) == "param"


def test_report_does_not_follow_a_planted_symlink(tmp_path):
    from verify.report.sweep_report import render

    f = tmp_path / "s.jsonl"
    _write_rows(f, [_row(seed=s) for s in range(2)])
    out = tmp_path / "r"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (out / "table.txt").symlink_to(victim)
    render(f, out)
    assert victim.read_text() == "keep me" and not (out / "table.txt").is_symlink()


def test_parse_grid_rejects_bad_values():
    with pytest.raises(InputError, match="zero denominator"):
        parse_grid(["frac=1/0"])
    with pytest.raises(InputError):
        parse_grid(["frac=1/2+1"])
    with pytest.raises(InputError, match="repeated"):
        parse_grid(["frac=1/2,2/4"])  # the same rational twice


_HANG_SCRIPT = """
import sys, time
from hypothesis import strategies as st
from verify.claims import Claim, register
from verify.report.sweep import sweep
from verify.result import Result, Verdict

def params(seed=0):
    time.sleep(30)

register(Claim("test-hang", st.just(None), lambda inst: Result(Verdict.SUPPORTED, margin=1.0), from_params=params))
print("start", flush=True)
sweep("test-hang", {"seed": [0, 1, 2, 3]}, sys.argv[1], jobs=2, timeout=60, progress=None)
"""


def _procs_running(marker: str) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/cmdline", "rb") as fh:
                    if marker.encode() in fh.read():
                        out.append(int(d))
            except OSError:
                pass
    return out


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
def test_a_killed_sweep_leaves_no_workers_and_releases_its_lock(tmp_path):
    script = tmp_path / "hang_sweep.py"
    script.write_text(_HANG_SCRIPT)
    out = tmp_path / "s.jsonl"
    proc = subprocess.Popen([sys.executable, str(script), str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "start"
        deadline = time.time() + 30
        while len(_procs_running(str(script))) < 3 and time.time() < deadline:  # the parent and 2 workers
            time.sleep(0.1)
        assert len(_procs_running(str(script))) == 3
    finally:
        proc.kill()  # SIGKILL: no cleanup code runs in the parent
        proc.wait()
    deadline = time.time() + 10
    while _procs_running(str(script)) and time.time() < deadline:
        time.sleep(0.1)
    assert _procs_running(str(script)) == []  # the workers died with their parent
    fd = os.open(str(out) + ".lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises BlockingIOError if an orphan still holds it
    finally:
        os.close(fd)
