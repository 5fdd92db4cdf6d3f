"""Full Hessian of a bias-free two-layer tanh MLP on n = 20 points: float64 vs float64 balls ("ball64") vs
mpmath (128 bits) vs Arb balls (128 bits), measured in the same run.

    python benchmarks/bench_hessian.py [--sizes 100 400 1000] [--repeat 5] [--mp-max-p 1000]

Prints, per size, the median wall-clock time of ``loss.hessian(theta, arith)`` with BLAS pinned to one thread
(threadpoolctl) and FLINT on one thread (``VERIFY_THREADS=1``), and the ratios ball/mp (target: ≤ 1/20, i.e.
ball ≥ 20× faster than mp), ball/float (target: ≤ 50 at p ≈ 1000) and ball64/float. Float calls take
milliseconds, so they are timed as the median over at least 51 calls: an earlier version took the best of 3
single calls with OpenBLAS on 2 threads, whose time jumps between 1.4 and 16 ms, and reported ball/float
"30–40×" at p = 1000 where a stable timing gives ≈ 160×. Also reports the largest ball radius, as a sanity
check that the enclosures are tight.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("VERIFY_THREADS", "1")

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import verify as vf  # noqa: E402
from verify.arith.ball import radius_array  # noqa: E402

SHAPES = {100: (9, 10), 400: (19, 20), 1000: (24, 40)}  # p = d·m + m


def shape_for(p: int) -> tuple[int, int]:
    if p in SHAPES:
        return SHAPES[p]
    m = max(2, int(round(np.sqrt(p))))
    return max(1, p // m - 1), m


def median_time(f, repeat: int, *args, **kw) -> tuple[float, object]:
    """Median wall-clock time of ``f(*args, **kw)``: over ``repeat`` calls, or over ≥ 51 calls when one call takes
    under 40 ms (short calls are noisy)."""
    t0 = time.perf_counter()
    out = f(*args, **kw)
    first = time.perf_counter() - t0
    n = max(repeat, 51) if first < 0.04 else repeat
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        out = f(*args, **kw)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 400, 1000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--mp-max-p", type=int, default=1000, help="skip mp above this p (it is the slow baseline)")
    ap.add_argument("--prec", type=int, default=128)
    args = ap.parse_args(argv)
    with threadpool_limits(1):
        run(args)


def run(args) -> None:
    rng = np.random.default_rng(0)
    print(f"Hessian of a 2-layer tanh MLP (bias-free), n = 20, mp/ball at {args.prec} bits; medians (≥ 51 calls "
          "under 40 ms); BLAS and FLINT on one thread")
    print(f"{'p':>6} {'shape':>10} {'float s':>10} {'ball64 s':>10} {'mp s':>10} {'ball s':>10} {'ball/mp':>9} "
          f"{'ball/float':>11} {'b64/float':>10} {'max rad':>9} {'|ball-float|':>12}")
    verdicts = []
    for p in args.sizes:
        d, m = shape_for(p)
        net = vf.MLP([d, m, 1], "tanh")
        X = rng.normal(size=(20, d)) / np.sqrt(d)
        y = rng.normal(size=20)
        loss = vf.SquareLoss(net, vf.Dataset(X, y))
        theta = rng.normal(size=net.n_params) / np.sqrt(max(d, m))
        t_float, Hf = median_time(loss.hessian, args.repeat, theta, "float")
        t_b64, _ = median_time(loss.hessian, args.repeat, theta, "ball64")
        t_ball, Hb = median_time(loss.hessian, args.repeat, theta, "ball", args.prec, max_bytes=2**34)
        if net.n_params <= args.mp_max_p:
            t_mp, _ = median_time(loss.hessian, 1 if net.n_params > 400 else args.repeat,
                                theta, "mp", args.prec, max_bytes=2**34)
            mp_s, ratio_mp = f"{t_mp:10.3f}", f"{t_ball / t_mp:9.4f}"
        else:
            mp_s, ratio_mp = f"{'skipped':>10}", f"{'—':>9}"
        rad = float(radius_array(Hb).max())
        dev = float(np.abs(vf.get_arith("ball").to_float(Hb) - Hf).max())
        print(f"{net.n_params:6d} {f'{d}x{m}':>10} {t_float:10.4f} {t_b64:10.4f} {mp_s} {t_ball:10.3f} {ratio_mp} "
              f"{t_ball / t_float:11.1f} {t_b64 / t_float:10.1f} {rad:9.1e} {dev:12.1e}", flush=True)
        verdicts.append((net.n_params, t_ball, t_float, t_mp if net.n_params <= args.mp_max_p else None))
    print("targets:")
    for p, tb, tf, tm in verdicts:
        if tm is not None:
            print(f"  p={p}: ball ≥ 20x faster than mp: {'met' if tm / tb >= 20 else 'MISSED'} ({tm / tb:.0f}x)")
        if p >= 900:
            print(f"  p={p}: ball/float ≤ 50: {'met' if tb / tf <= 50 else 'MISSED'} ({tb / tf:.0f}x)")


if __name__ == "__main__":
    main()
