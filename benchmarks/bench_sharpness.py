"""Certified sharpness per checkpoint of a float64 GD run (verify.stability.sharpness; the edge of stability,
Cohen et al., arXiv:2103.00065): time per certificate at p ≈ 1,000, float64 balls vs Arb vs a float baseline,
measured in the same run.

    python benchmarks/bench_sharpness.py [--sizes 100 1000] [--steps 40] [--checkpoints 2] [--repeat 3]

Network: a bias-free two-layer tanh MLP [d, m, 1] on n = 20 points (the shapes of bench_hessian.py; p = d·m + m),
trained by float64 GD from a 1/√m-scaled Gaussian start with η = 0.5. At each of ``--checkpoints`` stored iterates
θ_k it times

* ``ball64``: :func:`~verify.stability.sharpness.sharpness_at` on the float64-ball rung (Hessian in float64 balls,
  linalg64 symmetric eigenvalue enclosures) — the certificate the ladder accepts first;
* ``Arb``: the same with ``fast=False`` (Arb Hessian at 128 bits; Arb's eigensolver for p ≤ ARB_EIG_MAX = 100,
  above it the Arb Hessian rounded outward to float64 balls and linalg64);
* ``float``: ``loss.hessian(θ, "float")`` + ``numpy.linalg.eigvalsh`` (no certificate: the baseline).

Times are medians on the process's CPU clock (benchmarks/_timing.py) with BLAS pinned to one thread
(threadpoolctl) and FLINT on one thread (``VERIFY_THREADS=1``); also printed: the width of each certified
enclosure relative to λ_max, and |λ_float − midpoint|.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("VERIFY_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from _timing import fmt_r, fmt_t, load, timed  # noqa: E402
from bench_hessian import shape_for  # noqa: E402  (the same bias-free tanh MLPs: p = d·m + m)
from threadpoolctl import threadpool_limits  # noqa: E402

import verify as vf  # noqa: E402
from verify.convergence.gd import gd  # noqa: E402
from verify.stability.sharpness import sharpness_at  # noqa: E402


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--steps", type=int, default=40, help="GD steps of the float run")
    ap.add_argument("--checkpoints", type=int, default=2, help="checkpoints timed per size (evenly spaced)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    with threadpool_limits(1):
        run(args)


def run(args) -> None:
    print(f"certified sharpness per checkpoint, 2-layer tanh MLP, n = 20, float64 GD η = 0.5; medians (CPU clock), "
          f"BLAS and FLINT on one thread; load {load()}")
    print(f"{'p':>6} {'step':>5} {'λ_max':>10} {'float s':>9} {'ball64 s':>9} {'Arb s':>9} {'b64/float':>10} "
          f"{'Arb/b64':>8} {'b64 width':>10} {'Arb width':>10} {'|float-mid|':>11}  Arb route")
    for p in args.sizes:
        d, m = shape_for(p)
        rng = np.random.default_rng(0)
        net = vf.MLP([d, m, 1], "tanh")
        loss = vf.SquareLoss(net, vf.Dataset(rng.normal(size=(20, d)) / np.sqrt(d), rng.normal(size=20)))
        theta = rng.normal(size=net.n_params) / np.sqrt(m)
        traj = gd(loss, theta, 0.5, args.steps, "float")
        ks = sorted({int(round(x)) for x in np.linspace(0, traj.steps, args.checkpoints)})
        for k in ks:
            th = traj.thetas[k]

            def flt(th=th, loss=loss):
                return float(np.linalg.eigvalsh(np.asarray(loss.hessian(th, "float"), dtype=float))[-1])

            tf = timed(flt, max(args.repeat, 5))
            tb = timed(lambda th=th, loss=loss: sharpness_at(loss, th), args.repeat)
            ta = timed(lambda th=th, loss=loss: sharpness_at(loss, th, fast=False, rtol=1),
                       args.repeat)
            cb, ca = tb.out, ta.out
            assert cb.rung == "ball64" and ca.rung == "ball@128", (cb.rung, ca.rung)
            mid = (cb.lower + cb.upper) / 2
            lam = float(mid)
            wb = float((cb.upper - cb.lower) / abs(mid))
            wa = float((ca.upper - ca.lower) / abs(mid))
            route = "acb_mat.eig" if net.n_params <= 100 else "Arb H → float64 balls"
            print(f"{net.n_params:>6} {k:>5} {lam:>10.6g} {fmt_t(tf.median):>9} {fmt_t(tb.median):>9} "
                  f"{fmt_t(ta.median):>9} {fmt_r(tb.median / tf.median):>10} {fmt_r(ta.median / tb.median):>8} "
                  f"{wb:>10.2e} {wa:>10.2e} {abs(tf.out - lam):>11.2e}  {route}")


if __name__ == "__main__":
    main()
