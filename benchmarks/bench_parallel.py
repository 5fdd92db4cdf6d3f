"""executor= for embarrassingly parallel certified work: wall-clock speed-up with a 2-process pool.

    python benchmarks/bench_parallel.py [--repeat 3] [--quick]

Two certified computations, each timed without an executor (1 worker: the caller itself), on a
``ProcessPoolExecutor(1)`` (the pool's overhead) and on a ``ProcessPoolExecutor(2)`` (both with the "fork"
start method, as ``verify.report.sweep.make_executor`` builds them):

* **regions** — ``vf.gdmap.check_nonsingular(loss, η = 1/10, samples=200)`` for a ReLU MLP [8, 40, 1] with
  biases (p = 401) and 16 rational data points: every sample falls in its own activation region, and each
  region needs a certified det(I − η∇²L) ≠ 0 (arXiv:2510.24466 §2; the first rung of the precision ladder
  that decides it);
* **boxes** — ``vf.pl.alpha_lower_bnb`` on a bias-free tanh MLP [2, 2, 1] (p = 6) square loss over B(θ0, 1/50)
  with a budget of 2,000 boxes (each box: L, ∇L and the NTK bound enclosed in Arb; arXiv:2203.16462), and on
  the cheap-box case f = ¼Σ(x_i² − 1)² in dimension 4 (10,000 boxes, a compiled sympy ratio per box), where
  the per-round overhead of sending boxes to workers is large against the work.

BLAS is pinned to one thread (threadpoolctl) and FLINT's matrix kernels to one thread per process
(``VERIFY_THREADS=1``, set before verify is imported), so the pool's workers are the only parallelism. Times
are wall-clock medians over ``--repeat`` runs (default 3; the 1-worker pool, which only shows the pool's
overhead, runs once); each run's result is checked to be identical to the run without an executor.
Speed-up = time without an executor / time on the 2-process pool; issue 13's target is ≥ 1.7×.
``--quick``: [6, 24, 1] (p = 193) with 40 samples, 600/3,000 boxes, one run (a smoke run of well under a
minute).

The load average is printed: on a machine whose 2 cores are shared with other jobs, a second worker gets
no second core, and the speed-up says so.

Measured 2026-12 at e540cfe (with the ball64 rung of the precision ladder in check_nonsingular), on 2 vCPUs
shared with other jobs (load average 2.4 → 4.0; Linux gives each session an equal share of the CPUs, so two
workers got 0.5–0.9 of a core in total and wall-clock speed-ups mostly measure the neighbours):
regions (p = 401, 200 regions) 10.4 s → 13.7 s wall (0.76×), CPU 7.07 s without an executor, caller
0.56 s + workers 4.09 + 4.06 s on the pool (critical path with a core per worker ≈ 1.5×); network boxes
(2,000) 4.45 s → 2.31 s (1.93×, the run without an executor was itself slowed: CPU 2.19 s; critical path
≈ 1.8×); cheap sympy boxes (10,000) 1.42 s → 2.48 s (0.57×; the caller's share, 0.54 s of 0.96 s, bounds
any gain). With one busy neighbour (load 1.4–2.0; p = 73, regions then take 3 ms each): regions 1.51×,
network boxes 1.18× (critical path ≈ 1.65×), cheap boxes 0.79×. Target ≥ 1.7×: not shown on this machine.
"""

from __future__ import annotations

import os

os.environ.setdefault("VERIFY_THREADS", "1")  # one FLINT thread per process: the workers are the parallelism

import argparse  # noqa: E402
import multiprocessing  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from fractions import Fraction as F  # noqa: E402

import flint  # noqa: E402
import numpy as np  # noqa: E402
import sympy as sp  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

import verify as vf  # noqa: E402
from verify import gdmap, pl  # noqa: E402

TARGET = 1.7


def relu_loss(d: int, m: int, n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    net = vf.MLP([d, m, 1], "relu", bias=True)
    X = [[F(int(v), 8) for v in rng.integers(-8, 9, size=d)] for _ in range(n)]
    Y = [F(int(v), 4) for v in rng.integers(-4, 5, size=n)]
    return vf.SquareLoss(net, vf.Dataset(X, Y))


def tanh_loss():
    data = vf.Dataset([[1, 2], [F(1, 3), -1], [2, 1]], [1, 0, F(1, 2)])
    return vf.SquareLoss(vf.MLP([2, 2, 1], "tanh"), data), [F(1, 2), -F(1, 3), 1, F(1, 4), -1, F(1, 2)]


def quartic(dim: int):
    xs = sp.symbols(f"x0:{dim}")
    return vf.Objective.from_sympy(sum((v**2 - 1) ** 2 for v in xs) / 4, list(xs))


def _load() -> str:
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def _key_nonsingular(res):
    return (res.verdict, res.message, len(res.certificate["regions"]),
            [(r["region"], r["certified"], [d.get("lower") for d in r["det"]]) for r in res.certificate["regions"]])


def _key_bnb(out):
    lo, det = out
    return lo, det["boxes"], det["method"], det["open_boxes"]


def _cpu(pids) -> list[float]:
    """CPU seconds (user + system) used so far by each process (Linux /proc; empty when unavailable)."""
    out = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return []
        out.append((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
    return out


def measure(name: str, fn, key, pools: dict, repeat: int) -> dict:
    """Median wall times without an executor and on each pool; results checked identical to the first run.

    Also the CPU seconds of the caller and of each worker (median run): their sum against the CPU of the run
    without an executor is the pool's overhead; the caller's CPU plus the busiest worker's is the critical
    path if every worker had a core of its own (an estimate: the branch-and-bound waits for the slower worker
    at every round)."""
    times: dict = {}
    cpus: dict = {}
    ref = None
    for label, ex in [("no executor", None), *pools.items()]:
        runs = []
        for _ in range(1 if label == "pool of 1" else repeat):  # the 1-worker pool: its overhead, one run
            pids = list(getattr(ex, "_processes", None) or {})
            w0, c0, t0 = _cpu(pids), time.process_time(), time.perf_counter()
            out = fn(ex)
            wall, caller = time.perf_counter() - t0, time.process_time() - c0
            w1 = _cpu(pids)
            workers = [b - a for a, b in zip(w0, w1)] if w0 and w1 else []
            runs.append((wall, caller, workers))
            k = key(out)
            if ref is None:
                ref = k
            elif k != ref:
                raise SystemExit(f"{name}: the result on {label} differs from the run without an executor")
        runs.sort(key=lambda r: r[0])
        times[label] = statistics.median(r[0] for r in runs)
        cpus[label] = runs[len(runs) // 2][1:]
    seq, two = times["no executor"], times["pool of 2"]
    speed = seq / two
    print(f"  {name}: no executor {seq:6.2f} s, pool of 1 {times['pool of 1']:6.2f} s, pool of 2 {two:6.2f} s  "
          f"speed-up {speed:4.2f}x [target >= {TARGET}x: {'met' if speed >= TARGET else 'MISSED'}]  "
          f"(results identical; load {_load()})")
    seq_cpu = cpus["no executor"][0]
    caller, workers = cpus["pool of 2"]
    if workers:
        crit = caller + max(workers)
        print(f"    CPU: no executor {seq_cpu:.2f} s; pool of 2: caller {caller:.2f} s + workers "
              f"{' + '.join(f'{w:.2f}' for w in workers)} s = {caller + sum(workers):.2f} s; with a core per worker "
              f"the critical path would be ≈ {crit:.2f} s (speed-up ≈ {seq_cpu / crit:.2f}x); the two workers got "
              f"{sum(workers) / two:.2f} cores of wall time")
    return times


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per median (default 3)")
    ap.add_argument("--quick", action="store_true", help="small sizes, one run")
    args = ap.parse_args(argv)
    repeat = 1 if args.quick else max(1, args.repeat)
    samples, boxes, cheap_boxes = (40, 600, 3000) if args.quick else (200, 2000, 10000)
    fork = multiprocessing.get_context("fork")
    with threadpool_limits(limits=1):
        blas = ", ".join(f"{i['internal_api']}={i['num_threads']}" for i in threadpool_info()) or "none found"
        print(f"bench_parallel: BLAS threads {blas}; FLINT threads per process {os.environ['VERIFY_THREADS']} "
              f"(ctx.threads now {flint.ctx.threads}); {os.cpu_count()} CPUs; wall-clock medians of {repeat} "
              f"run(s); load average {_load()}")
        with ProcessPoolExecutor(1, mp_context=fork) as p1, ProcessPoolExecutor(2, mp_context=fork) as p2:
            for ex in (p1, p2):  # start the workers before timing (a real pool is reused across calls)
                list(ex.map(abs, range(4)))
            pools = {"pool of 1": p1, "pool of 2": p2}
            d, m = (6, 24) if args.quick else (8, 40)
            loss = relu_loss(d, m, 16)
            print(f"regions: check_nonsingular(η = 1/10, samples = {samples}), ReLU MLP [{d}, {m}, 1] + biases, "
                  f"p = {loss.n_params}, n = 16")
            measure("regions", lambda ex: gdmap.check_nonsingular(loss, F(1, 10), samples=samples, executor=ex),
                    _key_nonsingular, pools, repeat)
            tl, x0 = tanh_loss()
            print(f"boxes: alpha_lower_bnb, tanh MLP [2, 2, 1] square loss, p = {tl.n_params}, r = 1/50, "
                  f"max_boxes = {boxes} (frontier {pl.alpha.__kwdefaults__['frontier']})")
            measure("network boxes", lambda ex: pl.alpha_lower_bnb(tl, x0, F(1, 50), max_boxes=boxes, executor=ex),
                    _key_bnb, pools, repeat)
            q = quartic(4)
            print(f"cheap boxes: alpha_lower_bnb, ¼Σ(x_i² − 1)², dimension 4, r = 1/5, max_boxes = {cheap_boxes}")
            measure("quartic boxes", lambda ex: pl.alpha_lower_bnb(q, [F(13, 10)] * 4, F(1, 5), max_boxes=cheap_boxes,
                                                                   executor=ex),
                    _key_bnb, pools, repeat)


if __name__ == "__main__":
    main()
