"""Validated gradient-flow enclosures (``verify.convergence.validated_flow``, issue 14 item 2), one run:

    python benchmarks/bench_flow.py [--cases quartic tanh9 p100] [--no-mp] [--p100-T 1] [--time-limit 600]

Cases (Arb at 128 bits, default order and tol unless stated):

* ``quartic`` — L = ¼(x² − 1)² from x0 = 1/2 (and −3/2, 1/100) to T = 10. The closed-form solution
  x(t)² = 1/(1 + (1/x0² − 1)e^{−2t}), evaluated in Arb at 512 bits, must lie in ``tube.at(t)`` at 200 times (random
  rationals, every step end and the middle of every step): the count of misses must be 0.
* ``tanh9`` — ``SquareLoss(MLP([2, 3, 1], "tanh"))`` on 3 data points (p = 9), θ0 = (k/7), k = −4 … 4, to T = 10:
  target radius ≤ 1e−15, faster than mpmath's non-rigorous Taylor solver
  (``verify.convergence.flow.gradient_flow(..., method="mp")``, which solves twice, at 30 and 40 digits, to estimate
  its error) for the same T; both are timed here, and the mp samples must agree with the tube's midpoints.
* ``p100`` — ``SquareLoss(MLP([4, 8, 6, 1], "tanh", bias=True))`` (p = 101) on n = 20 points, the network of
  ``benchmarks/bench_arb_path.py`` (same seed), to T = 1: target within 60 s. Run at the default tol (2^−120) and at
  tol = 1e−20 (the local error per step: larger steps, a radius still ≪ 1e−15).

Times are wall-clock and process CPU seconds (``time.process_time``) on the shared 2-vCPU project machine: with
other jobs running, wall time can be 2–3× the CPU time, so both are printed, with the load averages in the header.
BLAS and FLINT's matrix kernels run on one thread (``VERIFY_THREADS=1``, ``OMP/OPENBLAS_NUM_THREADS=1``).
Figures of the last run are recorded in the closing note of issue 14.

Measured 2026-12-03, load average 4–6 on 2 cores, CPU / wall seconds, steps, largest radius — before → after the
high-order a-priori enclosure, the compiled tape sweep and the learnt step factor:
quartic (3 starts) 0.26+0.14+0.15 → 0.29+0.09+0.10 s CPU, 66/83/88 → 63/80/82 steps, 0 misses in both;
tanh [2,3,1] 4.15 / 8.4 s, 247 steps, 2.0e−34 → 1.4–1.8 / 1.7–3.0 s, 130 steps, 4.3e−33;
p100 (tol 2^−120) 45–58 / 91–183 s, 89 steps, 2.4e−35 → 12–17 / 23–25 s, 39 steps, 4.4e−34;
p100 (tol 1e−20) 43.9 / 70.6 s, 79 steps, 9.0e−28 → 6.1–7.0 / 9–14 s, 14 steps, 3.0e−18.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from fractions import Fraction as F
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
for _var in ("VERIFY_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread for FLINT's matrix kernels and BLAS (before numpy is imported)

import numpy as np  # noqa: E402
import sympy as sp  # noqa: E402
from _timing import load  # noqa: E402
from flint import arb, fmpq  # noqa: E402

import verify as vf  # noqa: E402
from verify.arith.taylor import SeriesContext  # noqa: E402
from verify.convergence import validated_flow  # noqa: E402
from verify.convergence.flow import gradient_flow  # noqa: E402


def _a(q) -> arb:
    q = F(q)
    return arb(fmpq(q.numerator, q.denominator))


def _clock():
    return time.perf_counter(), time.process_time()


def _since(t0):
    w, c = _clock()
    return w - t0[0], c - t0[1]


def _summary(tube, wall_cpu) -> str:
    w, c = wall_cpu
    status = "complete" if tube.complete else f"STOPPED ({tube.stop_kind}): {tube.stopped[:120]}"
    return (f"T_reached = {float(tube.T_reached):g}, {len(tube.steps)} steps, order {tube.order}, "
            f"max radius {float(tube.max_radius):.2e}, final radius {max(float(v.rad()) for v in tube.final):.2e}, "
            f"wall {w:.2f} s, cpu {c:.2f} s; {status}")


def case_quartic():
    X = sp.Symbol("x")
    obj = vf.Objective.from_sympy((X**2 - 1) ** 2 / 4, [X])
    for x0 in (F(1, 2), F(-3, 2), F(1, 100)):
        t0 = _clock()
        tube = validated_flow(obj, [x0], 10)
        el = _since(t0)
        rng = random.Random(0)
        times = [F(rng.randrange(10**6), 10**5) for _ in range(100)]
        times += [s.t1 for s in tube.steps][:50] + [s.t0 + s.h / 2 for s in tube.steps][:50]
        misses = 0
        with SeriesContext(512, 1):
            for t in times:
                v = 1 / (1 + (1 / _a(x0) ** 2 - 1) * (_a(-2 * t)).exp())
                exact = v.sqrt() if x0 > 0 else -v.sqrt()
                box = tube.at(t)[0]
                if not (box.contains(exact) or (box.rad() == 0 and exact.contains(box))):
                    misses += 1
        print(f"quartic x0 = {x0}: {_summary(tube, el)}; closed form outside the tube at {misses} of {len(times)} "
              "times")


def tanh9():
    net = vf.MLP([2, 3, 1], "tanh")
    loss = vf.SquareLoss(net, vf.Dataset([[1, 0], [0, 1], [1, 1]], [1, -1, 0]))
    th = [F(k, 7) for k in range(-4, 5)]
    return loss, th


def case_tanh9(run_mp: bool, T=10):
    loss, th = tanh9()
    t0 = _clock()
    tube = validated_flow(loss, th, T)
    el = _since(t0)
    print(f"tanh [2,3,1] p = 9, T = {T}: {_summary(tube, el)}")
    for t in (F(1), F(5), F(T)):
        if t <= tube.T_reached:
            box = tube.at(t)
            print(f"   θ({t}) radius ≤ {max(float(v.rad()) for v in box):.2e}; θ_1 ∈ {box[0].str(45, radius=True)}")
    if not run_mp:
        return
    t0 = _clock()
    sol = gradient_flow(loss, th, T, method="mp", n_points=11)
    w, c = _since(t0)
    worst = 0.0
    for tf, row in zip(sol.ts, sol.thetas):
        box = tube.at(F(tf))
        worst = max(worst, max(abs(float(b.mid()) - v) for b, v in zip(box, row)))
    print(f"   mpmath odefun (method='mp', dps 30 + 40 re-solve, non-rigorous), same T: wall {w:.1f} s, cpu {c:.1f} s "
          f"(speed-up of the validated tube: {w / el[0]:.1f}x wall); max |mp − tube midpoint| over its 11 samples "
          f"{worst:.1e} (mp's own error estimate {sol.error_estimate:.1e})")


def p100():
    rng = np.random.default_rng(0)
    net = vf.MLP([4, 8, 6, 1], "tanh", bias=True)
    X = rng.normal(size=(20, 4)) / np.sqrt(4)
    y = rng.normal(size=20)
    loss = vf.SquareLoss(net, vf.Dataset(X, y))
    theta = rng.normal(size=net.n_params) / np.sqrt(8)
    return loss, theta


def case_p100(T, time_limit):
    loss, theta = p100()
    for tol in (None, F(1, 10**20)):
        t0 = _clock()
        tube = validated_flow(loss, theta, T, tol=tol, time_limit=time_limit)
        el = _since(t0)
        tol_s = "2^-120" if tol is None else "1e-20"
        print(f"tanh [4,8,6,1] bias p = {loss.n_params}, n = 20, T = {T}, tol = {tol_s}: "
              f"{_summary(tube, el)}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", nargs="+", default=["quartic", "tanh9", "p100"])
    ap.add_argument("--no-mp", action="store_true", help="skip the mpmath comparison (minutes)")
    ap.add_argument("--p100-T", type=float, default=1.0)
    ap.add_argument("--time-limit", type=float, default=600.0)
    args = ap.parse_args(argv)
    print(f"verify.convergence.validated_flow — {time.strftime('%Y-%m-%d %H:%M')}, Arb 128 bits; load average "
          f"{load()} (wall time is inflated by other jobs: compare CPU times)")
    if "quartic" in args.cases:
        case_quartic()
    if "tanh9" in args.cases:
        case_tanh9(not args.no_mp)
    if "p100" in args.cases:
        case_p100(F(args.p100_T), args.time_limit)


if __name__ == "__main__":
    main()
