"""Sweeps: evaluate a registered claim over a parameter grid, in parallel, resumable.

Each grid point (a dict such as ``{"width": 3, "seed": 7, "frac": 1/2}``) is turned into an instance
by the claim's ``from_params`` and the claim's property is evaluated there (float; a negative margin is
re-checked in ball arithmetic, so a REFUTED row is certified). Rows are appended to a JSON-lines file
as they finish; re-running the same sweep skips the points already in the file, so an interrupted
sweep resumes. A point whose evaluation raises is recorded with its error and the sweep goes on.

Parallelism goes through a ``concurrent.futures.Executor``: a local process pool by default (``jobs``),
or a ``dask.distributed`` cluster's executor (``scheduler="tcp://host:port"``).
"""

from __future__ import annotations

import itertools
import json
import math
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed

from ..errors import InputError, SchemaError
from ..numbers import fraction_str, parse_fraction_str
from ..result import Verdict, encode

ROW_SCHEMA = 1


def parse_grid(specs: list[str]) -> dict:
    """``["width=1,2,3", "seed=0:10", "frac=1/2,9/10"]`` → {name: [values]}; ``a:b`` is range(a, b).
    Values are integers or exact rationals ``p/q``; nothing is evaluated."""
    grid = {}
    for spec in specs:
        if "=" not in spec:
            raise InputError(f"grid entries look like name=v1,v2 or name=a:b, got {spec!r}")
        name, vals = spec.split("=", 1)
        name = name.strip()
        if not name.isidentifier():
            raise InputError(f"grid parameter name {name!r} is not an identifier")
        if ":" in vals:
            a, b = vals.split(":", 1)
            try:
                values = list(range(int(a), int(b)))
            except ValueError:
                raise InputError(f"{spec!r}: a range is a:b with integers") from None
        else:
            values = []
            for v in vals.split(","):
                q = parse_fraction_str(v.strip(), what=f"grid value of {name}")
                values.append(int(q) if q.denominator == 1 else q)
        if not values:
            raise InputError(f"{spec!r}: no values")
        grid[name] = values
    return grid


def grid_points(grid: dict) -> list[dict]:
    names = list(grid)
    return [dict(zip(names, combo)) for combo in itertools.product(*(grid[n] for n in names))]


def _plain(v):
    """A grid value in its file form: integers stay integers, rationals become "p/q" strings."""
    if isinstance(v, bool) or isinstance(v, int | str):
        return v
    return fraction_str(v)


def point_key(point: dict) -> str:
    return json.dumps({k: _plain(v) for k, v in sorted(point.items())}, sort_keys=True)


def evaluate_point(claim_name: str, point: dict) -> dict:
    """One grid point → a JSON-ready row (never raises: errors are recorded)."""
    from ..claims.check import recheck
    from ..claims.claim import get_claim, margin_float

    t0 = time.perf_counter()
    row = {"schema": ROW_SCHEMA, "claim": claim_name, "point": json.loads(point_key(point))}
    try:
        claim = get_claim(claim_name)
        if claim.from_params is None:
            raise InputError(f"claim {claim_name!r} has no from_params: it cannot be swept over a grid")
        inst = claim.from_params(**point)
        res = claim.evaluate(inst)
        if margin_float(res) < 0:
            res, _ = recheck(claim, inst)
        m = margin_float(res) if res.margin is not None else None
        if m is not None and not math.isfinite(m):  # JSON has no ±inf: saturate (the message says why)
            m = math.copysign(1e308, m)
        row.update(verdict=res.verdict.value, margin=m,
                   arithmetic=res.arithmetic, message=res.message, error=None,
                   instance=inst.to_dict() if res.verdict == Verdict.REFUTED else None)
    except Exception as exc:  # noqa: BLE001 - a failing point is recorded, the sweep goes on
        row.update(verdict="ERROR", margin=None, arithmetic=None, message="", error=f"{type(exc).__name__}: {exc}",
                   instance=None)
    row["elapsed"] = time.perf_counter() - t0
    return encode(row)


def evaluate_points(claim_name: str, points: list[dict]) -> list[dict]:
    """A chunk of grid points (one task per chunk keeps inter-process overhead small)."""
    return [evaluate_point(claim_name, p) for p in points]


def read_rows(path) -> list[dict]:
    """Rows of a sweep file; a malformed line is an error naming the line."""
    rows = []
    try:
        fh = open(path, encoding="utf-8")
    except FileNotFoundError:
        return rows
    with fh:
        for i, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SchemaError(f"{path}:{i}: not JSON ({exc})") from None
            if not isinstance(row, dict) or row.get("schema") != ROW_SCHEMA or "point" not in row:
                raise SchemaError(f"{path}:{i}: not a verify sweep row (schema {ROW_SCHEMA})")
            rows.append(row)
    return rows


def make_executor(jobs: int = 1, scheduler: str | None = None):
    """(executor, closer): a dask.distributed executor for ``scheduler``, else a local process pool."""
    if scheduler:
        try:
            from dask.distributed import Client
        except ImportError:
            raise InputError("--scheduler needs dask.distributed: pip install 'verify[dask]'") from None
        try:
            client = Client(scheduler, timeout=5)
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the dask scheduler at {scheduler!r}: {exc}") from None
        return client.get_executor(), client.close
    if jobs < 1:
        raise InputError(f"jobs must be ≥ 1, got {jobs}")
    import multiprocessing

    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"))
    return pool, pool.shutdown


def sweep(claim_name: str, grid: dict, out_path, *, executor: Executor | None = None, jobs: int = 1,
          scheduler: str | None = None, progress=sys.stderr, chunk: int = 64) -> dict:
    """Run the sweep, appending rows to ``out_path``; returns counts. Resumes from an existing file.
    With an executor, points go out in chunks of at most ``chunk`` (rows are written per chunk)."""
    from ..claims.claim import get_claim

    claim = get_claim(claim_name)  # unknown name: error before any work
    if claim.from_params is None:
        raise InputError(f"claim {claim_name!r} has no from_params: it cannot be swept over a grid")
    points = grid_points(grid)
    done = {point_key(r["point"]) for r in read_rows(out_path)}
    todo = [p for p in points if point_key(p) not in done]
    close = None
    if executor is None and (jobs > 1 or scheduler):
        executor, close = make_executor(jobs, scheduler)
    counts = {"points": len(points), "skipped": len(points) - len(todo), "run": 0}
    t0 = shown = time.perf_counter()
    try:
        with open(out_path, "a", encoding="utf-8") as fh:
            if executor is None:
                results = (evaluate_point(claim_name, p) for p in todo)
            else:
                size = max(1, min(chunk, len(todo) // (4 * max(jobs, 2)) or 1))
                chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
                futs = [executor.submit(evaluate_points, claim_name, c) for c in chunks]
                results = (row for f in as_completed(futs) for row in f.result())
            for row in results:
                fh.write(json.dumps(row) + "\n")
                fh.flush()
                counts["run"] += 1
                counts[row["verdict"]] = counts.get(row["verdict"], 0) + 1
                if progress is not None and (counts["run"] == len(todo) or time.perf_counter() - shown > 0.2):
                    shown = time.perf_counter()
                    k, n = counts["run"], len(todo)
                    bar = "#" * int(30 * k / max(n, 1))
                    print(f"\r[{bar:<30}] {k}/{n} points, {time.perf_counter() - t0:6.1f} s", end="", file=progress,
                          flush=True)
        if progress is not None and todo:
            print(file=progress)
    finally:
        if close is not None:
            close()
    counts["elapsed"] = time.perf_counter() - t0
    return counts
