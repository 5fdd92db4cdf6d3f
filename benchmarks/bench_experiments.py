"""The experiments of issue 15 on digits, timed: positive vs Xavier vs He initialisation (Chatterjee,
arXiv:2203.16462), Neuron Pursuit vs GD from a small initialisation (Kumar & Haupt, arXiv:2509.12154), and the
certified sharpness per checkpoint (Cohen et al., arXiv:2103.00065) at p ≈ 1,000.

    python benchmarks/bench_experiments.py [--quick] [--seeds 10] [--repeat 3]

1. **Initialisations** — :func:`verify.pl.compare_initialisations` on a tanh [64, 4, 4, 1] network (the issue's
   instance) over n linearly independent digits (0 vs 1, n ≤ d): median float-GD steps to L ≤ ε over the seeds per
   initialisation, and the ratios Xavier/positive and He/positive from the same run.
2. **NP vs GD** — :func:`verify.experiments.np_vs_gd` on digits 0 vs 1 (binary) and 3-vs-rest, depth 2: training
   loss, neurons used (and effective), gradient steps, wall-clock (median over ``--repeat`` runs) and test error;
   the ratio NP/GD of the wall-clock.
3. **Certified sharpness** — time per certificate at p ≈ 1,000 (the 2-layer tanh MLP of bench_sharpness.py, p = 1,000):
   :func:`verify.stability.certify_sharpness` on a float GD run, seconds per checkpoint against the float
   ``eigvalsh`` baseline measured in the same run; and the small CNN of :func:`verify.experiments.train_cnn`.

BLAS pinned to one thread (threadpoolctl), FLINT on one thread (``VERIFY_THREADS=1``); times are medians on the
process's CPU clock (benchmarks/_timing.py) except the NP/GD wall-clock, which the experiment measures itself.
``--quick`` (< 2 min): 3 seeds, a smaller NP budget, p ≈ 400 for the sharpness and one repeat.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from fractions import Fraction

os.environ.setdefault("VERIFY_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from _timing import fmt_r, fmt_t, load, timed  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import verify as vf  # noqa: E402
from verify import experiments as E  # noqa: E402
from verify.convergence.gd import gd  # noqa: E402
from verify.pl import compare_initialisations  # noqa: E402
from verify.stability import certify_sharpness  # noqa: E402


def bench_init(args) -> None:
    data = vf.datasets.digits(classes=(0, 1), n=args.n_init, seed=0)
    loss = vf.SquareLoss(vf.MLP([64, 4, 4, 1], "tanh"), data)
    seeds = range(args.seeds)
    cmp = compare_initialisations(loss, scale=4, eps=args.eps, seeds=seeds, max_steps=args.max_steps)
    print(f"\n1. positive vs Xavier vs He: tanh [64,4,4,1], digits 0/1 n = {data.n}, ε = {args.eps}, "
          f"{len(seeds)} seeds, η = 1/λ_max(θ0), at most {args.max_steps} steps")
    print(cmp.table())
    base = cmp.median_steps.get("positive")
    for k in ("xavier", "he"):
        m = cmp.median_steps.get(k)
        r = None if (m is None or not base) else m / base
        print(f"   median steps {k}/positive: {fmt_r(r)}")


def bench_np(args) -> None:
    print(f"\n2. NP vs GD from small initialisation, depth 2 relu, n = {args.n_np}, n_test = 100; wall-clock median "
          f"of {args.repeat}")
    tasks = {"binary 0/1": dict(classes=(0, 1)), "3-vs-rest": dict(one_vs_rest=3)}
    print(f"{'task':>11} {'':>4} {'neurons':>7} {'effective':>9} {'steps':>7} {'wall s':>8} {'train loss':>11} "
          f"{'test err':>8} {'NP/GD wall':>10}")
    for name, kw in tasks.items():
        data = vf.datasets.digits(n=args.n_np, seed=0, n_test=100, **kw)
        runs = [E.np_vs_gd(data, 2, max_neurons=args.neurons, inner_steps=args.inner, restarts=3, seed=0)
                for _ in range(args.repeat)]
        wall = {m: statistics.median(r.runs[m].wall_clock for r in runs) for m in ("np", "gd")}
        for m in ("np", "gd"):
            r = runs[0].runs[m]
            ratio = fmt_r(wall["np"] / wall["gd"]) if m == "np" else ""
            print(f"{name if m == 'np' else '':>11} {m:>4} {r.neurons:>7} {r.effective_neurons:>9} "
                  f"{r.gradient_steps:>7} {wall[m]:>8.2f} {r.train_loss:>11.4g} {r.test_error:>8.3f} {ratio:>10}")
        print("   " + runs[0].comparison.replace("\n", "\n   "))


def bench_sharpness(args) -> None:
    d, m = (24, 40) if not args.quick else (19, 20)
    rng = np.random.default_rng(0)
    net = vf.MLP([d, m, 1], "tanh")
    loss = vf.SquareLoss(net, vf.Dataset(rng.normal(size=(20, d)) / np.sqrt(d), rng.normal(size=20)))
    traj = gd(loss, rng.normal(size=net.n_params) / np.sqrt(m), 0.5, 20, "float")
    th = traj.thetas[-1]
    tf = timed(lambda: float(np.linalg.eigvalsh(np.asarray(loss.hessian(th, "float"), dtype=float))[-1]), 5)
    tc = timed(lambda: certify_sharpness(traj, at=[traj.steps]), args.repeat)
    cp = tc.out.checkpoints[-1]
    print(f"\n3. certified sharpness per checkpoint: 2-layer tanh MLP p = {net.n_params}, n = 20")
    print(f"   certificate {fmt_t(tc.median)} ({tc.detail()}, rung {cp.rung}) vs float eigvalsh {fmt_t(tf.median)}: "
          f"{fmt_r(tc.median / tf.median)}; λ_max ∈ [{float(cp.lower):.8g}, {float(cp.upper):.8g}]")
    data = vf.datasets.digits(classes=(0, 1), n=20, seed=0, n_test=50, image=True)
    tr = E.train_cnn(data, channels=2, steps=args.cnn_steps)
    cert = E.certify_trained(tr, etas=[Fraction(1, 20), Fraction(1, 10), Fraction(1, 5)], critical_search=False,
                             sharpness_checkpoints=4)
    per = cert.timings["sharpness"] / len(cert.sharpness.checkpoints)
    print(f"   CNN on digits (p = {tr.net.n_params}): {tr}")
    print(f"   {fmt_t(per)} per sharpness certificate; non-singularity on 3 η in {fmt_t(cert.timings['nonsingular'])}")
    print("   " + cert.summary().replace("\n", "\n   "))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="< 2 min: 3 seeds, small NP budget, p ≈ 400, one repeat")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    if args.quick:
        args.seeds, args.repeat = min(args.seeds, 3), 1
    args.n_init, args.eps, args.max_steps = 10, 1e-3, 5000 if args.quick else 20000
    args.n_np, args.neurons, args.inner = (20, 3, 300) if args.quick else (40, 6, 1000)
    args.cnn_steps = 200 if args.quick else 300
    with threadpool_limits(1):
        print(f"bench_experiments ({'quick' if args.quick else 'full'}); BLAS and FLINT on one thread; load {load()}")
        bench_init(args)
        bench_np(args)
        bench_sharpness(args)


if __name__ == "__main__":
    main()
