"""Sweeps: evaluate a registered claim over a parameter grid, in parallel, resumable.

Each grid point (a dict such as ``{"width": 3, "seed": 7, "frac": 1/2}``) is turned into an instance
by the claim's ``from_params`` and the claim's property is evaluated there (float; a negative margin is
re-checked in ball arithmetic, so a REFUTED row is certified). Rows are appended to a JSON-lines file
as they finish; re-running the same sweep skips the points already in the file, so an interrupted
sweep resumes. A point whose evaluation raises is recorded with its error and the sweep goes on.

Robustness of the results file:

* **one writer at a time** — a sweep holds an exclusive ``fcntl.flock`` on ``<out>.lock`` while it
  reads the file (to find the points already done) and appends to it; a second sweep on the same file
  refuses with a clear message (or waits, with ``wait=True`` / ``--wait``), so rows are never computed
  twice or duplicated;
* **a torn last line** (a writer killed mid-line) is dropped with a warning, the file is truncated to
  its last complete row, and the point is recomputed;
* **a per-point time limit** (``timeout=`` seconds, ``--timeout``): every point then runs in a worker
  process; one that exceeds the limit is killed, recorded as failed with
  :class:`~verify.errors.PointTimeoutError`, and the sweep goes on with a fresh worker. A worker that
  dies (e.g. FLINT aborting the interpreter) is recorded the same way.

Parallelism: local worker processes (``jobs``), or a ``concurrent.futures.Executor`` (``executor=``)
such as a ``dask.distributed`` cluster's (``scheduler="tcp://host:port"``; no per-point time limit there:
a remote task cannot be killed).
"""

from __future__ import annotations

import collections
import itertools
import json
import math
import os
import pathlib
import re
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed

from ..errors import InputError, NonFiniteError, PointTimeoutError, SchemaError
from ..numbers import fraction_str
from ..result import Verdict, check_output_file, encode, loads, max_json_bytes, parse_rational
from ..validate import finite_float, positive_int

ROW_SCHEMA = 1
#: a grid larger than this is refused (the points are materialised)
MAX_GRID_POINTS = 1_000_000
#: the verdicts a row may carry ("ERROR": the point could not be evaluated)
ROW_VERDICTS = ("PROVED", "REFUTED", "SUPPORTED", "INCONCLUSIVE", "ERROR")
_NUMERIC = re.compile(r"[-+0-9/ ]+\Z")
_MAX_CATEGORY = 200


def parse_grid(specs: list[str]) -> dict:
    """``["width=1,2,3", "seed=0:10", "frac=1/2,9/10"]`` → {name: [values]}; ``a:b`` is range(a, b).
    Values are integers or exact rationals ``p/q``; nothing is evaluated. A parameter given twice, a
    repeated value or a grid of more than :data:`MAX_GRID_POINTS` points is refused."""
    grid = {}
    total = 1
    for spec in specs:
        if not isinstance(spec, str) or "=" not in spec:
            raise InputError(f"grid entries look like name=v1,v2 or name=a:b, got {spec!r}")
        name, vals = spec.split("=", 1)
        name = name.strip()
        if not name.isidentifier():
            raise InputError(f"grid parameter name {name!r} is not an identifier")
        if name in grid:
            raise InputError(f"grid parameter {name!r} is given twice; list all its values in one entry")
        if ":" in vals:
            a, b = vals.split(":", 1)
            try:
                r = range(int(a), int(b))
            except ValueError:
                raise InputError(f"{spec!r}: a range is a:b with integers a < b") from None
            if len(r) > MAX_GRID_POINTS:
                raise InputError(f"{spec!r}: {len(r)} values, more than the limit of {MAX_GRID_POINTS} grid points")
            values = list(r)
        else:
            values = []
            for v in vals.split(","):
                try:
                    q = parse_rational(v.strip(), what=f"grid value of {name}")
                except SchemaError as exc:
                    raise InputError(str(exc)) from None
                values.append(int(q) if q.denominator == 1 else q)
            if len(set(values)) != len(values):
                raise InputError(f"{spec!r}: a value is repeated")
        if not values:
            raise InputError(f"{spec!r}: no values (a range a:b needs a < b)")
        total *= len(values)
        if total > MAX_GRID_POINTS:
            raise InputError(f"the grid has {total} points or more, more than the limit of {MAX_GRID_POINTS}")
        grid[name] = values
    return grid


def _check_grid(grid) -> dict:
    if not isinstance(grid, dict) or not grid:
        raise InputError("grid must be a non-empty dict {parameter name: [values]} (see parse_grid)")
    total = 1
    for name, values in grid.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise InputError(f"grid parameter name {name!r} is not an identifier")
        if isinstance(values, str | bytes) or not hasattr(values, "__len__") or len(values) == 0:
            raise InputError(f"grid[{name!r}] must be a non-empty list of values, got {values!r:.60}")
        for v in values:
            _plain(v)  # a value that cannot be written to the file: an error before any work
        total *= len(values)
        if total > MAX_GRID_POINTS:
            raise InputError(f"the grid has more than {MAX_GRID_POINTS} points")
    return grid


def grid_points(grid: dict) -> list[dict]:
    names = list(grid)
    return [dict(zip(names, combo)) for combo in itertools.product(*(grid[n] for n in names))]


def _plain(v):
    """A grid value in its file form: integers stay integers, other rationals (floats exactly) become
    "p/q" strings, strings (categories) stay strings."""
    if isinstance(v, str):
        if len(v) > _MAX_CATEGORY:
            raise InputError(f"grid value {v[:40]!r}… is longer than {_MAX_CATEGORY} characters")
        return v
    if isinstance(v, bool):
        raise InputError(f"grid value {v!r}: use 0/1 or the strings 'true'/'false'")
    if isinstance(v, int):
        return v
    from ..numbers import to_fraction

    q = to_fraction(v, what="grid value")
    return int(q) if q.denominator == 1 else fraction_str(q)


def point_key(point: dict) -> str:
    return json.dumps({k: _plain(v) for k, v in sorted(point.items())}, sort_keys=True)


def _row_key(claim: str, point: dict) -> tuple:
    return claim, point_key(point)


def _margin_for_row(res) -> tuple:
    """(margin as a float or None, error text or None)."""
    from ..claims.claim import margin_float

    if res.margin is None:
        return None, None
    m = margin_float(res)
    if math.isnan(m):
        return None, "the claim's margin is NaN"
    if not math.isfinite(m):  # JSON has no ±inf: saturate (the message says why)
        m = math.copysign(1e308, m)
    return m, None


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
        m, err = _margin_for_row(res)
        if err is not None:
            raise NonFiniteError(err)
        row.update(verdict=res.verdict.value, margin=m,
                   arithmetic=res.arithmetic, message=res.message, error=None,
                   instance=inst.to_dict() if res.verdict == Verdict.REFUTED else None)
        row = encode(row)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - a failing point is recorded, the sweep goes on
        row = _error_row(claim_name, point, f"{type(exc).__name__}: {exc}", 0.0)
    row["elapsed"] = time.perf_counter() - t0
    return row


def _error_row(claim_name: str, point: dict, error: str, elapsed: float) -> dict:
    return {"schema": ROW_SCHEMA, "claim": claim_name, "point": json.loads(point_key(point)), "verdict": "ERROR",
            "margin": None, "arithmetic": None, "message": "", "error": error[:2000], "instance": None,
            "elapsed": elapsed}


def evaluate_points(claim_name: str, points: list[dict]) -> list[dict]:
    """A chunk of grid points (one task per chunk keeps inter-process overhead small)."""
    return [evaluate_point(claim_name, p) for p in points]


# ------------------------------------------------------------------------------------ the file
def validate_row(row) -> str | None:
    """Why ``row`` is not a usable sweep row (``None`` if it is): schema, claim name, point (identifier
    names; integers, rationals "p/q" with q ≠ 0, or category strings), verdict, a finite margin."""
    if not isinstance(row, dict):
        return "not a JSON object"
    if type(row.get("schema")) is not int or row.get("schema") != ROW_SCHEMA:
        return f"schema {row.get('schema')!r} (this toolkit reads {ROW_SCHEMA})"
    if not isinstance(row.get("claim"), str) or not row["claim"]:
        return "no claim name"
    point = row.get("point")
    if not isinstance(point, dict) or not point:
        return "no point"
    for k, v in point.items():
        if not k.isidentifier():
            return f"parameter name {k!r:.40} is not an identifier"
        if isinstance(v, bool) or not isinstance(v, int | str):
            return f"value {v!r:.40} of {k} is not an integer, a rational \"p/q\" or a category"
        if isinstance(v, str):
            if len(v) > _MAX_CATEGORY:
                return f"value of {k} is longer than {_MAX_CATEGORY} characters"
            if _NUMERIC.match(v):
                try:
                    parse_rational(v)
                except SchemaError:
                    return f"value {v!r:.40} of {k} is not a rational"
    verdict = row.get("verdict")
    if verdict not in ROW_VERDICTS:
        return "no verdict" if verdict is None else f"unknown verdict {verdict!r:.40}"
    m = row.get("margin")
    if m is not None and (isinstance(m, bool) or not isinstance(m, int | float) or not math.isfinite(m)):
        return f"margin {m!r:.40} is not a finite number"
    if row.get("error") is not None and not isinstance(row["error"], str):
        return "error is not a string"
    return None


class _Scan:
    """The rows of a sweep file, where its last complete line ends, and its torn tail (if any)."""

    def __init__(self):
        self.rows: list[tuple[int, dict]] = []
        self.good_end = 0
        self.torn: bytes | None = None
        self.unterminated_row = False


def _scan(path, *, strict: bool = True) -> _Scan:
    """Read a sweep file line by line with the safe JSON reader. A line that is not a JSON object is
    an error naming the line — except the last one when it has no newline: a torn write, kept in
    ``torn``. ``strict`` also requires every row to carry the schema and a point."""
    out = _Scan()
    p = pathlib.Path(path)
    limit = max_json_bytes()
    try:
        fh = open(p, "rb")
    except FileNotFoundError:
        return out
    except IsADirectoryError:
        raise InputError(f"{p} is a directory, not a sweep file") from None
    except OSError as exc:
        raise InputError(f"cannot read {p}: {exc.strerror or exc}") from None
    with fh:
        pos = 0
        lineno = 0
        while True:
            line = fh.readline(limit + 1)
            if not line:
                break
            lineno += 1
            complete = line.endswith(b"\n")
            if not complete and len(line) > limit:
                raise SchemaError(f"{p}:{lineno}: a line longer than {limit} bytes (raise VERIFY_MAX_JSON_BYTES)")
            if line.strip():
                try:
                    row = loads(line, what=f"{p}:{lineno}", max_bytes=limit)
                    if not isinstance(row, dict):
                        raise SchemaError(f"{p}:{lineno}: not a JSON object")
                except SchemaError:
                    if not complete:
                        out.torn = line
                        break
                    raise
                if strict and (type(row.get("schema")) is not int or row.get("schema") != ROW_SCHEMA
                               or "point" not in row):
                    raise SchemaError(f"{p}:{lineno}: not a verify sweep row (schema {ROW_SCHEMA})")
                out.rows.append((lineno, row))
                out.unterminated_row = not complete
            pos += len(line)
            out.good_end = pos
    return out


def read_rows(path, *, warn=None) -> list[dict]:
    """Rows of a sweep file (none if it does not exist). A malformed line is an error naming the line,
    except a torn last line (no newline: a killed writer), which is skipped with a warning through
    ``warn`` (a callable taking a message; default: print to stderr)."""
    scan = _scan(path)
    if scan.torn is not None:
        (warn or _warn_stderr)(f"{path}: the last line is incomplete ({len(scan.torn)} bytes, a writer was "
                               "killed mid-line?); it is ignored")
    return [r for _, r in scan.rows]


def _warn_stderr(msg: str) -> None:
    print(f"warning: {msg}", file=sys.stderr, flush=True)


class _FileLock:
    """An exclusive ``fcntl.flock`` on ``<out>.lock`` (one sweep writer per results file)."""

    def __init__(self, out: pathlib.Path, wait: bool, warn):
        self.path = out.with_name(out.name + ".lock")
        self.wait, self.warn, self.fd = wait, warn, None

    def __enter__(self):
        try:
            import fcntl
        except ImportError:  # no flock on this platform: no protection against a second writer
            return self
        try:
            # O_NOFOLLOW: a symlink planted at the lock path must not make us truncate another file
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except OSError as exc:
            raise InputError(f"cannot open the lock file {self.path}: {exc.strerror or exc} (remove it if it is "
                             "a symbolic link or not a regular file)") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._holder()
            if not self.wait:
                os.close(self.fd)
                self.fd = None
                raise InputError(f"another verify sweep{holder} is writing {self.path.with_suffix('')}: wait for it "
                                 "to finish (or pass --wait / wait=True), or write to another --out file") from None
            self.warn(f"another verify sweep{holder} is writing {self.path.with_suffix('')}; waiting for it")
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        os.ftruncate(self.fd, 0)
        os.write(self.fd, f"{os.getpid()}\n".encode())
        return self

    def fds(self) -> list[int]:
        return [] if self.fd is None else [self.fd]

    def _holder(self) -> str:
        try:
            pid = os.pread(self.fd, 32, 0).decode().strip()
        except (OSError, UnicodeDecodeError):
            return ""
        return f" (pid {pid})" if pid.isdigit() else ""

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)  # releases the lock; the lock file stays (removing it would race)
            self.fd = None
        return False


def _append(fd: int, data: bytes) -> None:
    """One row per ``write`` on an O_APPEND descriptor (no interleaving with a crashed writer's bytes)."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


# --------------------------------------------------------------------------- worker processes
def _die_with_parent() -> None:
    """Linux: ask the kernel to kill this worker when its parent dies (a killed sweep leaves no orphan
    computing, and holding inherited descriptors, forever)."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pipe's EOF still stops an idle worker
        pass


def _worker_main(conn, claim_name, parent, close_fds):  # pragma: no cover - runs in a child process
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the workers
    for fd in close_fds:  # the lock and the results file belong to the parent only
        try:
            os.close(fd)
        except OSError:
            pass
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the request above took effect
        return
    while True:
        try:
            point = conn.recv()
        except (EOFError, OSError):
            return
        if point is None:
            return
        conn.send(evaluate_point(claim_name, point))


class _Worker:
    def __init__(self, mp_ctx, claim_name, close_fds=()):
        self.conn, child = mp_ctx.Pipe()
        self.proc = mp_ctx.Process(target=_worker_main, args=(child, claim_name, os.getpid(), tuple(close_fds)),
                                   daemon=True)
        self.proc.start()
        child.close()
        self.point = None
        self.deadline = math.inf
        self.t0 = 0.0

    def give(self, point, timeout):
        self.point = point
        self.t0 = time.monotonic()
        self.deadline = self.t0 + timeout if timeout is not None else math.inf
        try:
            self.conn.send(point)
        except OSError:  # the worker already died: its sentinel reports it, and the point becomes an ERROR row
            pass

    def kill(self):
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()

    def stop(self):
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.proc.join(1)
        self.kill()


def _fds(close_fds, workers, skip=None) -> list[int]:
    """Descriptors a new worker must close: the parent's files and the parent's ends of the other workers'
    pipes (inherited by fork, they would keep a sibling's pipe open after the parent dies)."""
    out = list(close_fds)
    for j, w in enumerate(workers):
        if j != skip and not w.conn.closed:
            out.append(w.conn.fileno())
    return out


def _run_in_workers(claim_name: str, todo: list[dict], jobs: int, timeout: float | None, close_fds=()):
    """Evaluate ``todo`` in ``jobs`` worker processes, one point at a time each; yield rows as they
    finish. A point over ``timeout`` seconds (or whose worker dies) becomes an ERROR row and its worker is
    replaced: one bad point never blocks the sweep."""
    import multiprocessing
    from multiprocessing.connection import wait

    mp_ctx = multiprocessing.get_context("fork")
    queue = collections.deque(todo)
    workers: list[_Worker] = []
    try:
        for _ in range(min(jobs, len(queue))):
            w = _Worker(mp_ctx, claim_name, _fds(close_fds, workers))
            workers.append(w)
            w.give(queue.popleft(), timeout)
        while True:
            busy = [w for w in workers if w.point is not None]
            if not busy:
                return
            left = min(w.deadline for w in busy) - time.monotonic()
            ready = wait([w.conn for w in busy] + [w.proc.sentinel for w in busy],
                         timeout=None if left == math.inf else max(left, 0.0))
            now = time.monotonic()
            for i, w in enumerate(workers):
                if w.point is None:
                    continue
                row = None
                if w.conn in ready or w.proc.sentinel in ready:
                    try:
                        if w.conn.poll():
                            row = w.conn.recv()
                    except (EOFError, OSError):
                        row = None
                    if row is None:
                        w.proc.join(1)
                        code = w.proc.exitcode
                        row = _error_row(claim_name, w.point, f"the worker process died (exit code {code}) while "
                                         "evaluating this point", now - w.t0)
                        w.kill()
                        workers[i] = w = _Worker(mp_ctx, claim_name, _fds(close_fds, workers, skip=i))
                elif now >= w.deadline:
                    err = PointTimeoutError(f"the point took longer than {timeout:g} s; its worker was stopped and "
                                            "the sweep went on")
                    row = _error_row(claim_name, w.point, f"{type(err).__name__}: {err}", now - w.t0)
                    w.kill()
                    workers[i] = w = _Worker(mp_ctx, claim_name, _fds(close_fds, workers, skip=i))
                if row is not None:
                    w.point, w.deadline = None, math.inf
                    if queue:
                        w.give(queue.popleft(), timeout)
                    yield row
    finally:
        for w in workers:
            if w.point is not None:
                w.kill()
            else:
                w.stop()


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
    jobs = positive_int(jobs, "jobs")
    import multiprocessing

    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"))
    return pool, pool.shutdown


def sweep(claim_name: str, grid: dict, out_path, *, executor: Executor | None = None, jobs: int = 1,
          scheduler: str | None = None, progress=sys.stderr, chunk: int = 64, timeout: float | None = None,
          wait: bool = False, warn=None) -> dict:
    """Run the sweep, appending rows to ``out_path``; returns counts. Resumes from an existing file.

    ``jobs`` local worker processes (≥ 1); with ``timeout`` (seconds > 0) every point runs in a worker
    process and one exceeding the limit is recorded as failed (:class:`PointTimeoutError`). With an
    ``executor`` or a dask ``scheduler``, points go out in chunks of at most ``chunk`` (rows are written
    per chunk). ``wait``: wait for another sweep writing the same file instead of refusing. ``warn``: a
    callable receiving warnings (a torn last line that was dropped; default: print to stderr)."""
    from ..claims.claim import get_claim

    warn = warn or _warn_stderr
    jobs = positive_int(jobs, "jobs (the number of worker processes)")
    chunk = positive_int(chunk, "chunk")
    if timeout is not None:
        t = finite_float(timeout, "timeout")
        if t <= 0:
            raise InputError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if executor is not None or scheduler:
            raise InputError("a per-point timeout needs local worker processes: drop the executor/--scheduler "
                             "or the timeout")
        timeout = t
    if not isinstance(claim_name, str):
        raise InputError(f"the claim is given by its registered name, got {type(claim_name).__name__}")
    claim = get_claim(claim_name)  # unknown name: error before any work
    if claim.from_params is None:
        raise InputError(f"claim {claim_name!r} has no from_params: it cannot be swept over a grid")
    points = grid_points(_check_grid(grid))
    out = check_output_file(out_path, what="the sweep results file")
    counts = {"points": len(points), "skipped": 0, "run": 0}
    t0 = shown = time.perf_counter()
    close = None
    with _FileLock(out, wait, warn) as lock:
        scan = _scan(out)
        if scan.torn is not None:
            warn(f"{out}: the last line is incomplete ({len(scan.torn)} bytes, a writer was killed mid-line?); "
                 "it is dropped and its point recomputed")
            os.truncate(out, scan.good_end)
            counts["torn_lines_dropped"] = 1
        done = {_row_key(r.get("claim"), r["point"]) for _, r in scan.rows
                if validate_row(r) is None}
        todo = [p for p in points if _row_key(claim_name, p) not in done]
        counts["skipped"] = len(points) - len(todo)
        if executor is None and scheduler:
            executor, close = make_executor(jobs, scheduler)
        try:
            fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise InputError(f"cannot write {out}: {exc.strerror or exc}") from None
        try:
            if scan.unterminated_row:  # a complete row without its newline: finish the line
                _append(fd, b"\n")
            if executor is not None:
                size = max(1, min(chunk, len(todo) // (4 * max(jobs, 2)) or 1))
                chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
                futs = [executor.submit(evaluate_points, claim_name, c) for c in chunks]
                results = (row for f in as_completed(futs) for row in f.result())
            elif jobs > 1 or timeout is not None:
                results = _run_in_workers(claim_name, todo, jobs, timeout, close_fds=[fd, *lock.fds()])
            else:
                results = (evaluate_point(claim_name, p) for p in todo)
            for row in results:
                _append(fd, (json.dumps(row) + "\n").encode())
                counts["run"] += 1
                counts[row["verdict"]] = counts.get(row["verdict"], 0) + 1
                if str(row.get("error") or "").startswith(PointTimeoutError.__name__):
                    counts["timeouts"] = counts.get("timeouts", 0) + 1
                if progress is not None and (counts["run"] == len(todo) or time.perf_counter() - shown > 0.2):
                    shown = time.perf_counter()
                    k, n = counts["run"], len(todo)
                    bar = "#" * int(30 * k / max(n, 1))
                    print(f"\r[{bar:<30}] {k}/{n} points, {time.perf_counter() - t0:6.1f} s", end="", file=progress,
                          flush=True)
            if progress is not None and todo:
                print(file=progress)
        finally:
            os.close(fd)
            if close is not None:
                close()
    counts["elapsed"] = time.perf_counter() - t0
    return counts


__all__ = ["parse_grid", "grid_points", "point_key", "evaluate_point", "read_rows", "validate_row", "sweep",
           "make_executor", "ROW_SCHEMA", "ROW_VERDICTS", "MAX_GRID_POINTS"]
