"""The Arb ("ball", 128 bits) path: certified GD runs, gradients and Hessians, timed against an older commit
of the toolkit in the same run.

    python benchmarks/bench_arb_path.py [--baseline 27a4d5e] [--rounds 3] [--repeat 3] [--steps 1000]
                                        [--threads 1] [--clock cpu|wall] [--cases gd_tanh gd_relu ...]

Cases (n = 20 data points, Arb balls at 128 bits, float64 data and start drawn with a fixed seed):

* ``gd_tanh`` — ``verify.convergence.gd`` on ``SquareLoss(MLP([4, 8, 6, 1], "tanh", bias=True))`` (p = 101),
  η = 1/200, ``--steps`` steps (default 1,000): the issue-13 target "the Arb path ≥ 2.5× faster than today on
  1,000 GD steps at p = 100". The enclosures stay narrow (L(θ_1000) = 0.86063189471817 ± 2.5e−14);
* ``gd_tanh_wrap`` — the same with η = 1/100: the wrapping effect of interval arithmetic widens the enclosures
  to ± 9e20 by step 1,000, so every activation input is a wide ball and takes the endpoint-hull path;
* ``gd_relu`` — ReLU, η = 1/100 (a piecewise activation: every entry's piece is decided with certainty);
* ``grad`` — ``loss.grad(θ, "ball")`` of a bias-free ``MLP([24, 40, 1], "tanh")`` (p = 1,000);
* ``hess`` — ``loss.hessian(θ, "ball")`` of the same network (p = 1,000);
* ``hess3`` — ``loss.hessian(θ, "ball")`` of ``MLP([8, 24, 24, 1], "tanh")`` (p = 792, three weight layers).

Each measurement runs in a fresh worker process (``--worker``): one warm-up call (sympy compilation, data
conversions; a 5-step run for GD), then ``--repeat`` timed calls (median; one call when it takes over 5 s). BLAS is
pinned to one thread (threadpoolctl) and FLINT's thread count is ``VERIFY_THREADS`` (``--threads``, default 1).
Times are process CPU times (``--clock wall`` for wall-clock; with FLINT on 2 threads CPU time counts both).
With ``--baseline REV`` the same workers also run on ``git archive REV`` of this repository (extracted to a
temporary directory), current and baseline alternating for ``--rounds`` rounds (medians over rounds), and the
ratio baseline/current is printed with both final enclosures, which must overlap (both enclose the same exact
values). Without ``--baseline`` the ratio is taken against the 27a4d5e figures recorded below (another run, so
only indicative).

Measured 2026-12 on the project machine (2 vCPUs shared with other jobs, load ≈ 1; 3 rounds × 3 calls),
27a4d5e (before the Arb-path change of issue 13) against the current tree, seconds:

==============  ===================================  ==================================
case            1 FLINT thread, CPU time             2 FLINT threads (default), wall
==============  ===================================  ==================================
gd_tanh         1.901 → 0.729   (2.61×)              2.516 → 0.768   (3.27×)
gd_tanh_wrap    2.149 → 0.977   (2.20×)              2.804 → 1.042   (2.69×)
gd_relu         1.210 → 0.526   (2.30×)              1.863 → 0.572   (3.26×)
grad            0.010 → 0.007   (1.41×)              0.011 → 0.008   (1.38×)
hess            0.377 → 0.340   (1.11×)              0.259 → 0.227   (1.14×)
hess3           0.394 → 0.390   (1.01×)              0.326 → 0.294   (1.11×)
==============  ===================================  ==================================

Timings on this shared machine vary by ±20 % between runs (the same gd_tanh ratio read 2.0× while other jobs
loaded both cores); instruction counts do not: under ``valgrind --tool=callgrind`` (1 FLINT thread) a GD step of
``gd_tanh``'s network takes 18.8 M instructions at 27a4d5e and 7.4 M now (2.54×), ReLU 12.0 M and 4.9 M (2.46×),
and the p = 1,000 Hessian 4.32 G and 3.61 G (1.20×). What is left of a ball GD step is Arb's own work (tanh ~6,300
instructions an entry, the matrix products' dot products) and python-flint's cost of an ``arb`` object (~700
instructions to create, operate and free one); the Hessian is dominated by FLINT's product of the Jacobian
blocks and the unpacking of 10⁶ balls.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
#: CPU seconds at 27a4d5e (1 FLINT thread; see the table above), for runs without ``--baseline``
RECORDED_27A4D5E = {"gd_tanh": 1.901, "gd_tanh_wrap": 2.149, "gd_relu": 1.210, "grad": 0.010, "hess": 0.377,
                    "hess3": 0.394}
N_DATA = 20
PREC = 128
CASES = ("gd_tanh", "gd_tanh_wrap", "gd_relu", "grad", "hess", "hess3")


# ------------------------------------------------------------------------------------------------ worker
def _clock(kind):
    return time.process_time if kind == "cpu" else time.perf_counter


def _loss(vf, widths, act, bias, seed=0):
    rng = np.random.default_rng(seed)
    d = widths[0]
    net = vf.MLP(widths, act, bias=bias)
    X = rng.normal(size=(N_DATA, d)) / np.sqrt(d)
    y = rng.normal(size=N_DATA)
    loss = vf.SquareLoss(net, vf.Dataset(X, y))
    theta = rng.normal(size=net.n_params) / np.sqrt(max(widths[:-1]))
    return loss, theta


def _summary(x) -> str:
    """A ball as 'mid +/- rad' (short)."""
    return x.str(12, radius=True) if hasattr(x, "str") else str(x)


def _max_rad(H) -> float:
    return max(float(v.rad()) for v in np.ravel(H))


def _case(vf, name: str, steps: int):
    """(run, warm_up, describe(result) -> dict) for one case."""
    from verify.convergence.gd import gd

    if name in ("gd_tanh", "gd_tanh_wrap", "gd_relu"):
        loss, theta = _loss(vf, [4, 8, 6, 1], "relu" if name == "gd_relu" else "tanh", True)
        x0 = theta * np.sqrt(8) / 3  # entries N(0, 1/9)
        eta = Fraction(1, 200) if name == "gd_tanh" else Fraction(1, 100)

        def run(k=steps):  # the naive ball step in both trees (the default became the shadowed run in issue 14)
            return gd(loss, x0, eta, k, "ball", PREC, form="naive")

        def describe(tr):
            L = tr.losses[-1]
            return {"p": loss.n_params, "steps": tr.steps, "stopped": tr.stopped, "final_loss": _summary(L),
                    "final_loss_mid": float(L.mid()), "final_loss_rad": float(L.rad())}

        return run, (lambda: run(5)), describe
    if name in ("grad", "hess"):
        loss, theta = _loss(vf, [24, 40, 1], "tanh", False)
    elif name == "hess3":
        loss, theta = _loss(vf, [8, 24, 24, 1], "tanh", False)
    else:
        raise SystemExit(f"unknown case {name!r}; choose from {', '.join(CASES)}")
    if name == "grad":

        def run():
            return loss.grad(theta, "ball", PREC)
    else:

        def run():
            return loss.hessian(theta, "ball", PREC, max_bytes=2**36)

    def describe(out):
        return {"p": loss.n_params, "max_rad": _max_rad(out), "entry0": _summary(np.ravel(out)[0])}

    return run, run, describe


def worker(args) -> None:
    from threadpoolctl import threadpool_limits

    import verify as vf

    clock = _clock(args.clock)
    out = {"verify": vf.__file__, "threads": os.environ.get("VERIFY_THREADS")}
    with threadpool_limits(1):
        for name in args.cases:
            run, warm_up, describe = _case(vf, name, args.steps)
            res = warm_up()  # sympy compilation, data conversions
            times = []
            for _ in range(args.repeat):
                t0 = clock()
                res = run()
                times.append(clock() - t0)
                if times[-1] > 5:
                    break
            out[name] = {"times": times, "median": statistics.median(times), **describe(res)}
    print(json.dumps(out))


# ------------------------------------------------------------------------------------------------ driver
def _extract(rev: str) -> str:
    """``git archive rev`` of this repository in a temporary directory (its path)."""
    blob = subprocess.run(["git", "-C", str(REPO), "archive", rev], check=True, capture_output=True).stdout
    tmp = tempfile.mkdtemp(prefix=f"verify-{rev[:10]}-")
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(tmp, filter="data")
    return tmp


def _run_worker(src: str, args) -> dict:
    env = dict(os.environ, PYTHONPATH=src, VERIFY_THREADS=str(args.threads), OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", "--repeat", str(args.repeat), "--steps",
           str(args.steps), "--clock", args.clock, "--cases", *args.cases]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tempfile.gettempdir())
    if proc.returncode != 0:
        raise SystemExit(f"worker on {src} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", help="git revision to time against (e.g. 27a4d5e)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1, help="VERIFY_THREADS for FLINT (default 1)")
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    ap.add_argument("--cases", nargs="+", default=list(CASES), choices=CASES)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args)
        return
    base_src = _extract(args.baseline) if args.baseline else None
    runs = {"now": [], "base": []}
    try:
        for r in range(args.rounds):
            runs["now"].append(_run_worker(str(REPO), args))
            if base_src:
                runs["base"].append(_run_worker(base_src, args))
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    finally:
        if base_src:
            shutil.rmtree(base_src, ignore_errors=True)
    print(f"Arb path at {PREC} bits, n = {N_DATA}; BLAS pinned to 1 thread, VERIFY_THREADS={args.threads}; "
          f"{args.clock} time, median of {args.repeat} calls per worker, median over {args.rounds} rounds")
    head = f"{'case':12s} {'p':>5s} {'now s':>9s}"
    if base_src:
        head += f" {args.baseline + ' s':>14s} {'ratio':>7s}"
    print(head + ("  result (now | baseline)" if base_src else "  result"))
    for name in args.cases:
        now = statistics.median(w[name]["median"] for w in runs["now"])
        info = runs["now"][0][name]
        line = f"{name:12s} {info['p']:5d} {now:9.3f}"
        shown = info.get("final_loss", f"max rad {info.get('max_rad', 0):.2e}")
        if base_src:
            base = statistics.median(w[name]["median"] for w in runs["base"])
            binfo = runs["base"][0][name]
            line += f" {base:14.3f} {base / now:7.2f}"
            shown += " | " + binfo.get("final_loss", f"max rad {binfo.get('max_rad', 0):.2e}")
            if "final_loss_mid" in info:  # a float sanity check (not a certified comparison)
                gap = abs(info["final_loss_mid"] - binfo["final_loss_mid"])
                shown += "  (overlap)" if gap <= info["final_loss_rad"] + binfo["final_loss_rad"] else "  (DISJOINT?)"
        elif args.steps == 1000 and args.clock == "cpu" and args.threads == 1:
            line += f"  recorded 27a4d5e {RECORDED_27A4D5E[name]:.3f} s: {RECORDED_27A4D5E[name] / now:.2f}×"
        print(line + f"  {shown}")
    if any(n.startswith("gd") for n in args.cases):
        print(f"gd times are for {args.steps} steps")


if __name__ == "__main__":
    main()
