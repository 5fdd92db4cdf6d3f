"""Embarrassingly parallel certified work on a ``concurrent.futures.Executor``.

The certified analyses that loop over independent items — the regions of
:func:`verify.gdmap.check_nonsingular`, the points of :func:`verify.gdmap.scan_step_sizes`, the boxes of
one round of :func:`verify.pl.alpha_lower_bnb` — take ``executor=``: a local process pool
(``ProcessPoolExecutor``, what :func:`verify.report.sweep.make_executor` builds) or a ``dask.distributed``
client's executor (``client.get_executor()``; run its workers with one thread each, ``--nthreads 1``: Arb's
working precision is a per-process setting). The executor only changes *where* an item is computed:

* every item is computed by the same function on the same inputs, and the results are put back in the
  order of the items, whatever order the workers finish in — verdicts, certificates and scopes are the same
  with and without an executor, and do not depend on scheduling;
* a ``verify.errors`` exception raised by an item in a worker is raised again in the caller, the same class
  with the same message and attributes (the worker's traceback is attached as a note); when several items
  fail, the one raised is the first in item order — what a sequential run raises;
* a worker that dies (killed, out of memory, a crash in a compiled library) gives an
  :class:`~verify.errors.WorkerError` naming the executor's error, never a hang: the pool reports the
  death to every pending future (dask: after its retries, ``KilledWorker``).

**Sending objects to workers.** Objectives, networks and data pickle, except for what they cache
after first use: compiled closures of sympy expressions (``Activation._compiled``,
``SympyObjective._programs``), evaluation engines (``_engines``, ``_const_masks``) and data converted to an
arithmetic (``Dataset._arith_cache``, arrays of Arb balls). Python-flint's ``arb``, ``acb``, ``arb_mat``,
``fmpq_mat`` and ``fmpq_poly`` have no pickle support at all (0.9). So everything crossing to or from a
worker goes through :func:`dumps`, a pickler that (a) sends a ``verify`` object with those cache
attributes emptied (the worker rebuilds them on first use: caches never change a value), and (b) writes
Arb balls exactly, as the binary mantissa/exponent pairs of midpoint and radius (non-finite parts by
name, rebuilt exactly even where Arb's own radius setter rounds up), so a ball arrives bit for bit.
Shared inputs are serialised once per call (:class:`Shared`); the objective itself is keyed by the SHA-256
of its bytes and a worker keeps the few last it unpacked, so a worker compiles an objective once, not once
per item nor once per analysis.

**FLINT after ``fork``.** A forked worker inherits the bookkeeping of FLINT's thread pool but not its threads
(:mod:`verify.arith.ball` runs FLINT's matrix kernels on 2 threads): its first threaded ``arb_mat`` product
would wait forever. Importing this module registers a fork hook that resets FLINT's pool in every forked
child (:func:`_reset_flint_threads_after_fork`).
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import math
import os
import pickle
import traceback
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import flint

from .errors import InputError, InternalError, WorkerError

#: attributes in which ``verify`` objects cache compiled closures, engines or converted data; emptied when an
#: object is sent to a worker (every one is filled again on first use)
CACHE_ATTRIBUTES = frozenset({"_compiled", "_arith_cache", "_engines", "_const_masks", "_programs"})
#: chunks per worker when the caller does not choose a chunk size (load balance against per-chunk overhead)
CHUNKS_PER_WORKER = 4
#: unpacked shared inputs a worker keeps (several analyses may interleave on one pool)
WORKER_CACHE_SIZE = 4


# ------------------------------------------------------------------------------------ FLINT after fork
def _libflint():
    """The FLINT library python-flint loaded in this process (ctypes handle), or None."""
    try:
        with open("/proc/self/maps", encoding="ascii", errors="replace") as f:
            paths = {line.split()[-1] for line in f if "libflint" in line and "/" in line}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            return ctypes.CDLL(path, mode=os.RTLD_NOLOAD | os.RTLD_LAZY)  # the loaded copy, never a second one
        except OSError:
            continue
    return None


def _reset_flint_threads_after_fork() -> None:
    """In a child made by ``fork``: forget FLINT's thread pool, whose threads did not survive the fork.

    :mod:`verify.arith.ball` runs FLINT's matrix kernels on 2 threads (``ctx.threads``). A process pool with
    the ``fork`` start method (``make_executor``; the forked workers of a sweep) copies that pool's bookkeeping
    without its threads: the first threaded ``arb_mat`` product in the child waits for them forever, and
    resizing the pool joins them forever. So the child marks the pool uninitialised and its own worker count 0
    (FLINT's exported ``global_thread_pool_initialized`` and ``flint_set_num_workers``); the next
    ``ctx.threads = n`` builds a fresh pool in the child. Results do not change: the child then runs FLINT
    with the same thread count as the parent."""
    lib = _libflint()
    if lib is None:
        return
    try:
        initialized = ctypes.c_int.in_dll(lib, "global_thread_pool_initialized")
        set_workers = lib.flint_set_num_workers
    except (AttributeError, ValueError):
        return
    set_workers.argtypes, set_workers.restype = [ctypes.c_int], ctypes.c_int
    initialized.value = 0
    set_workers(0)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_flint_threads_after_fork)


# ------------------------------------------------------------------------------------ the executor
def check_executor(executor, what: str = "executor"):
    """``executor`` itself when it can take work (``None`` or an object with a callable ``submit``, e.g. a
    ``concurrent.futures.Executor`` or ``dask.distributed.Client.get_executor()``), else InputError."""
    if executor is None:
        return None
    if isinstance(executor, type):
        raise InputError(f"{what} must be an executor instance, e.g. {executor.__name__}(2), not the class "
                         f"{executor.__name__}")
    if isinstance(executor, ThreadPoolExecutor):
        raise InputError(f"{what}: a ThreadPoolExecutor runs the items in threads of this process, which share "
                         "python-flint's working precision (ctx.prec) and would change each other's enclosures; "
                         "use a ProcessPoolExecutor (verify.report.sweep.make_executor) or a dask executor")
    if not callable(getattr(executor, "submit", None)):
        raise InputError(f"{what} must be a concurrent.futures.Executor (an object with .submit: a "
                         "ProcessPoolExecutor, or a dask.distributed client's get_executor()), got "
                         f"{type(executor).__name__}")
    return executor


def n_workers(executor) -> int:
    """How many items an executor runs at once (for chunking only; 2 when it does not say)."""
    m = getattr(executor, "_max_workers", None)  # concurrent.futures pools
    if isinstance(m, int) and m > 0:
        return m
    client = getattr(executor, "_client", None)  # dask.distributed ClientExecutor
    try:
        n = sum(client.nthreads().values())
        if n > 0:
            return n
    except Exception:  # noqa: BLE001 — any failure only means "unknown": the default chunking is used
        pass
    return 2


# ------------------------------------------------------------------------------------ serialisation
def _arb_part(x) -> tuple:
    """An Arb ball as exact data: ((mantissa, exponent) | "nan" | "+inf" | "-inf", (mantissa, exponent) | "inf")."""
    m = x.mid()
    if m.is_finite():
        mid = tuple(int(v) for v in m.man_exp())
    elif m.is_nan():
        mid = "nan"
    else:
        mid = "+inf" if m > 0 else "-inf"
    return mid, _rad_part(x)


_SPECIAL = {"nan": flint.arb.nan, "+inf": flint.arb.pos_inf, "-inf": flint.arb.neg_inf}


def _rad_part(x):
    r = x.rad()
    return tuple(int(v) for v in r.man_exp()) if r.is_finite() else "inf"


def _arb_load(part) -> flint.arb:
    """The ball of :func:`_arb_part`, bit for bit.

    Arb's radius is a ``mag_t`` (a 30-bit mantissa). Python-flint sets a radius through ``arf_get_mag``, an
    *upper bound* that rounds a mantissa with all 30 bits significant (odd) up by one unit, so
    ``arb(mid, (m, e))`` is exact only for mantissas of ≤ 29 significant bits. Such a radius m·2^e is built
    instead as a sum of two radii that are exact: ``mag_add`` of 2^29·2^e and q·2^e (q = m − 2^29 − 1 < 2^29,
    exponent shifted by ≥ 1 bit) is 2^29 + q + 1 = m units — Arb adds one unit for the bits a shifted operand
    may lose — while the midpoints add exactly (mid + 0 at a precision above mid's bits). The result is
    checked; if a future Arb added radii differently, the rounded-up ball ``arb(mid, (m, e))`` is returned
    (it contains the original ball: still a valid enclosure, just one unit wider)."""
    mid, rad = part
    m = mid if isinstance(mid, tuple) else _SPECIAL[mid]()
    if rad == "inf":
        return flint.arb(m, flint.arb.pos_inf())
    b = flint.arb(m, rad)
    if _rad_part(b) == rad:
        return b
    man, exp = rad
    q = man - 2**29 - 1
    old = flint.ctx.prec
    flint.ctx.prec = 64 + (abs(m[0]).bit_length() if isinstance(m, tuple) else 0)
    try:
        c = flint.arb(m, (1, exp + 29)) + flint.arb(0, (q, exp) if q > 0 else (1, exp - 64))
    finally:
        flint.ctx.prec = old
    if _rad_part(c) == rad and (not isinstance(m, tuple) or c.mid().man_exp() == b.mid().man_exp()):
        return c
    return b


def _acb_load(re, im) -> flint.acb:
    return flint.acb(_arb_load(re), _arb_load(im))


def _arb_mat_load(m, n, parts) -> flint.arb_mat:
    return flint.arb_mat(m, n, [_arb_load(p) for p in parts])


def _acb_mat_load(m, n, parts) -> flint.acb_mat:
    return flint.acb_mat(m, n, [_acb_load(*p) for p in parts])


def _entries(M):
    return [M[i, j] for i in range(M.nrows()) for j in range(M.ncols())]


def _reduce_flint(obj):
    t = type(obj)
    if t is flint.arb:
        return _arb_load, (_arb_part(obj),)
    if t is flint.acb:
        return _acb_load, (_arb_part(obj.real), _arb_part(obj.imag))
    if t is flint.arb_mat:
        return _arb_mat_load, (obj.nrows(), obj.ncols(), [_arb_part(v) for v in _entries(obj)])
    if t is flint.acb_mat:
        return _acb_mat_load, (obj.nrows(), obj.ncols(), [(_arb_part(v.real), _arb_part(v.imag))
                                                          for v in _entries(obj)])
    if t in (flint.fmpq_mat, flint.fmpz_mat):
        return t, (obj.nrows(), obj.ncols(), _entries(obj))
    if t in (flint.fmpq_poly, flint.fmpz_poly):
        return t, (list(obj.coeffs()),)
    return None


_FLINT_TYPES = frozenset({flint.arb, flint.acb, flint.arb_mat, flint.acb_mat, flint.fmpq_mat, flint.fmpz_mat,
                          flint.fmpq_poly, flint.fmpz_poly})


def _rebuild_object(cls, state):
    obj = cls.__new__(cls)
    obj.__dict__.update(state)
    return obj


def _rebuild_exception(cls, args, state):
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class _Pickler(pickle.Pickler):
    """Pickle with exact Arb balls and ``verify`` objects without their caches (module docstring)."""

    def __init__(self, file):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)

    def reducer_override(self, obj):
        cls = type(obj)
        if cls in _FLINT_TYPES:
            return _reduce_flint(obj)
        if (getattr(cls, "__module__", None) or "").startswith("verify."):
            if isinstance(obj, BaseException):  # keyword-only attributes (RegionBoundaryError) survive
                return _rebuild_exception, (cls, obj.args, dict(vars(obj)))
            d = getattr(obj, "__dict__", None)
            if d is not None and not CACHE_ATTRIBUTES.isdisjoint(d):
                return _rebuild_object, (cls, {k: ({} if k in CACHE_ATTRIBUTES else v) for k, v in d.items()})
        return NotImplemented


class _KeptPickler(_Pickler):
    """:class:`_Pickler` writing the objects whose ids are in ``kept`` (id → content key) as references (they
    are sent separately, :class:`Shared`)."""

    def __init__(self, file, kept):
        super().__init__(file)
        self._kept = kept

    def persistent_id(self, obj):
        key = self._kept.get(id(obj))
        return None if key is None else ("kept", key)


def dumps(obj, what: str = "the input", kept=None) -> bytes:
    """Bytes that :func:`loads` turns back into an equal object (Arb balls bit for bit, caches emptied).

    InputError when ``obj`` holds something that cannot be sent to another process (a lambda, a local
    function, an open file …), naming where it sits."""
    buf = io.BytesIO()
    try:
        (_KeptPickler(buf, kept) if kept else _Pickler(buf)).dump(obj)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as exc:
        where = _unpicklable_path(obj, what)
        raise InputError(f"executor=: {what} cannot be sent to worker processes ({type(exc).__name__}: {exc})"
                         f"{f'; it fails at {where}' if where else ''}. Run without executor=, or build it from "
                         "importable functions (no lambdas or local functions)") from None
    return buf.getvalue()


def loads(blob: bytes, kept=None):
    """The object of :func:`dumps`; ``kept`` maps content keys to the objects sent separately."""
    if not kept:
        return pickle.loads(blob)
    up = pickle.Unpickler(io.BytesIO(blob))
    up.persistent_load = lambda pid: kept[pid[1]]
    return up.load()


def _try_dump(obj) -> bool:
    try:
        _Pickler(io.BytesIO()).dump(obj)
        return True
    except Exception:  # noqa: BLE001 — a diagnostic probe: any failure means "does not pickle"
        return False


def _unpicklable_path(obj, path: str, depth: int = 0, seen=None) -> str | None:
    """The attribute path of the innermost part of ``obj`` that does not pickle (best effort, for messages)."""
    seen = set() if seen is None else seen
    if depth > 12 or id(obj) in seen:
        return None
    seen.add(id(obj))
    kids = []
    if isinstance(obj, dict):
        kids = [(f"{path}[{k!r}]", v) for k, v in list(obj.items())[:200]]
    elif isinstance(obj, list | tuple):
        kids = [(f"{path}[{i}]", v) for i, v in enumerate(obj[:200])]
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        kids = [(f"{path}.{k}", v) for k, v in vars(obj).items()
                if not (k in CACHE_ATTRIBUTES and (type(obj).__module__ or "").startswith("verify."))]
    for name, v in kids:
        if not _try_dump(v):
            return _unpicklable_path(v, name, depth + 1, seen) or f"{name} ({type(v).__name__})"
    return None


class Shared:
    """An input shared by every item of one or more :func:`pmap` calls: serialised once, unpacked once per
    worker process.

    ``keep``: objects inside ``value`` (the objective) that a worker keeps across calls, keyed by the SHA-256
    of their serialised content: a later analysis of the same objective (another η, another ball) finds it
    in the worker with its compiled caches warm. Equal bytes are an equal object, and caches never change a
    value, so keeping it changes no result."""

    def __init__(self, value, what: str = "the input", keep=()):
        self.value, self.what = value, what
        self.keep = [k for k in keep if k is not None]
        self._payload = None

    def payload(self) -> tuple:
        """(token, main bytes, {content key: bytes of a kept object}); the token names the whole content."""
        if self._payload is None:
            kept_blobs, ids = {}, {}
            for obj in self.keep:
                if id(obj) in ids:
                    continue
                b = dumps(obj, self.what)
                key = hashlib.sha256(b).hexdigest()
                kept_blobs[key], ids[id(obj)] = b, key
            main = dumps(self.value, self.what, ids)
            token = hashlib.sha256(main + "".join(sorted(kept_blobs)).encode()).hexdigest()
            self._payload = (token, main, kept_blobs)
        return self._payload


# ------------------------------------------------------------------------------------ the worker side
_WORKER_SHARED: OrderedDict = OrderedDict()
_WORKER_KEPT: OrderedDict = OrderedDict()


def _lru_get(cache: OrderedDict, key, make):
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    value = cache[key] = make()
    while len(cache) > WORKER_CACHE_SIZE:
        cache.popitem(last=False)
    return value


def _worker_shared(payload: tuple):
    token, main, kept_blobs = payload

    def unpack():
        kept = {k: _lru_get(_WORKER_KEPT, k, lambda b=b: loads(b)) for k, b in kept_blobs.items()}
        return loads(main, kept)

    return _lru_get(_WORKER_SHARED, token, unpack)


def _run_chunk(payload: tuple, work_blob: bytes, prec: int):
    """Worker: ``fn(shared, item)`` for each item of the chunk, in order, at the caller's ambient Arb precision
    ``prec`` (python-flint's ``ctx.prec``; the analyses set their own precisions, this only makes a worker
    start where the caller was). Returns ("ok", results), ("unpack", class name, message, traceback) when the
    inputs cannot be rebuilt in the worker, or ("error", index, exception bytes or None, class name, message,
    traceback)."""
    i = -1
    saved = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        try:
            shared = _worker_shared(payload)
            fn, items = loads(work_blob)
        except Exception as exc:  # noqa: BLE001 — e.g. a class defined in __main__, unknown to a spawned worker
            return "unpack", type(exc).__name__, str(exc), traceback.format_exc()
        out = []
        for i, item in enumerate(items):  # noqa: B007 — i names the failing item below
            out.append(fn(shared, item))
        return "ok", dumps(out, "a worker's results")
    except Exception as exc:  # noqa: BLE001 — every failure is reported to the caller, which raises it
        tb = traceback.format_exc()
        try:
            blob = dumps(exc, "an exception")
        except Exception:  # noqa: BLE001 — an exception that cannot be sent back is described instead
            blob = None
        return "error", i, blob, type(exc).__name__, str(exc), tb
    finally:
        flint.ctx.prec = saved


# ------------------------------------------------------------------------------------ the caller side
def _chunks(items: list, size: int) -> list:
    return [items[i:i + size] for i in range(0, len(items), size)]


def pmap(fn, items, *, shared=None, executor=None, chunk: int | None = None, what: str = "items") -> list:
    """``[fn(shared, item) for item in items]``, the items spread over ``executor``'s workers when one is given.

    ``fn`` must be a module-level function (workers import it by name); ``shared`` a value or a
    :class:`Shared`. The results come back in item order; the first failing item in that order raises
    (module docstring). ``chunk``: items per task (default: about :data:`CHUNKS_PER_WORKER` tasks per worker).
    """
    items = list(items)
    sh = shared if isinstance(shared, Shared) else Shared(shared)
    if executor is None or not items:
        return [fn(sh.value, it) for it in items]
    executor = check_executor(executor)
    if chunk is None:
        chunk = max(1, math.ceil(len(items) / (CHUNKS_PER_WORKER * n_workers(executor))))
    payload = sh.payload()
    works = [dumps((fn, c), f"the {what}") for c in _chunks(items, chunk)]
    futures = []
    try:
        for w in works:
            try:
                futures.append(executor.submit(_run_chunk, payload, w, flint.ctx.prec))
            except Exception as exc:  # noqa: BLE001 — shut down, broken by an earlier crash, unreachable …
                raise InputError(f"executor= cannot take work ({type(exc).__name__}: {exc}); pass a running "
                                 "executor, or none") from None
        out = []
        for k, fut in enumerate(futures):
            try:
                reply = fut.result()
            except Exception as exc:  # noqa: BLE001 — the worker died or the executor failed: never a hang
                raise WorkerError(
                    f"a worker of the executor failed while computing {what} (chunk {k + 1} of {len(futures)}): "
                    f"{type(exc).__name__}: {exc or 'no message'}. The computation was not completed and no "
                    "verdict is given; rerun without executor=, or with fewer/larger workers if one ran out of "
                    "memory") from None
            if reply[0] == "ok":
                out.extend(loads(reply[1]))
                continue
            if reply[0] == "unpack":
                _, name, msg, tb = reply
                raise InputError(f"executor=: a worker could not rebuild {sh.what} or {what} ({name}: {msg}). "
                                 "Its classes and functions must be importable in the worker processes (not "
                                 "defined in __main__ or a notebook when the workers are separate interpreters, "
                                 "e.g. dask or the 'spawn' start method), with the same versions of verify and "
                                 f"its dependencies. Worker traceback:\n{tb}")
            _, index, exc_blob, name, msg, tb = reply
            raise _remote_error(exc_blob, name, msg, tb, what, k * chunk + max(index, 0))
        return out
    finally:
        for fut in futures:
            fut.cancel()


def _remote_error(blob, name: str, msg: str, tb: str, what: str, index: int) -> BaseException:
    exc = None
    if blob is not None:
        try:
            exc = loads(blob)
        except Exception:  # noqa: BLE001 — described below instead
            exc = None
    if not isinstance(exc, BaseException):
        return InternalError(f"a worker raised {name}: {msg} (computing {what}, item {index}); it could not be "
                             f"sent back intact. Worker traceback:\n{tb}")
    exc.add_note(f"raised in a worker process (computing {what}, item {index}); worker traceback:\n{tb}")
    return exc


__all__ = ["check_executor", "pmap", "Shared", "dumps", "loads", "n_workers", "CACHE_ATTRIBUTES"]
