"""Validated dynamics (issue 14): certified GD trajectories over 10,000 steps.

    python benchmarks/bench_dynamics.py [--full] [--steps 10000] [--steps-1000 2000] [--repeat 3]
                                        [--clock cpu|wall] [--sections gd]

The file is a set of sections, one function each, called by :func:`main` (``--sections`` picks them).

**GD trajectories** (:func:`gd_trajectories`). The benchmark tanh networks of ``benchmarks/bench_arb_path.py``
(n = 20 data points, float64 data and start from a fixed seed, built by its ``_loss`` helper): p = 101
(``MLP([4, 8, 6, 1], "tanh", bias=True)``, the start scaled as in its ``gd_tanh`` cases) and p = 1,000
(``MLP([24, 40, 1], "tanh")``, bias-free), η = 1/100, Arb balls at 128 bits. For each network:

* the *naive ball step* (``gd(..., "ball", 128, form="naive")``, the method before issue 14): the median time per
  step of 100-step runs (p = 101) or 50-step runs (p = 1,000), measured in this run, interleaved with the
  shadowed runs (one before each, and after the last) — its first steps, while its balls are still narrow (it
  blows up by ~1,000 steps: the radius after those steps is printed);
* the *shadowed run* (``gd(..., "ball", 128)``, the default since issue 14): ``--steps`` steps (default 10,000)
  at p = 101, median of ``--repeat`` runs; at p = 1,000 one run of ``--steps-1000`` steps (default 2,000; 10,000
  with ``--full``, ~2 minutes and ~1 GB for the stored iterates). Printed: time per step, its ratio to the
  naive step (target ≤ 5×), the final relative radius ρ_K/‖θ_K‖ (target ≤ 1e−20 at 10,000 steps), the largest
  relative radius at the ~20 checkpoints, the windows (Hessian enclosures) and their lengths;
* ``check_rate``: a float64 run of the same length gives the observed rate q_obs = max_k (L_k/L_0)^{1/k}; the
  claimed rate is q = q_obs·(1 + 10⁻⁶) (float says it holds: SUPPORTED), with the ball B(x0, r) of radius
  r = 1.01·max_k ‖θ_k − x0‖ (float); the verdict on the shadowed run (target PROVED) and the time of the check.

Everything runs on one thread: BLAS pinned with threadpoolctl, FLINT with ``VERIFY_THREADS=1``. Times are
process CPU times (``--clock wall`` for wall-clock).

Measured 2026-12 on the project machine (2 vCPUs shared with other helpers' jobs, load 4–6; CPU times),
``--full --repeat 3``, 10,000 steps each:

=========  ==============  ===============  =====  ===================  =========================================
network    naive step      shadowed step    ratio  final rel. radius    check_rate (q = q_obs(1 + 10⁻⁶), r)
=========  ==============  ===============  =====  ===================  =========================================
p = 101    0.90 ms         2.24 ms          2.5×   8.1e−22              PROVED in 2.0 s (float: SUPPORTED)
p = 1,000  3.16 ms         6.95 ms          2.2×   7.5e−29              PROVED in 6.8 s (float: SUPPORTED)
=========  ==============  ===============  =====  ===================  =========================================

Windows: p = 101 used 2,022 Hessian enclosures (median window 4 steps: the orbit moves fast relative to the
curvature's variation), p = 1,000 used 162 (median 64). The naive step varies by up to 2× between runs on the
loaded machine (0.79–1.58 ms at p = 101, 2.5–3.4 ms at p = 1,000 in three runs; ratios 1.5–2.9× and 1.9–2.7×);
the radii do not vary (they depend on the computation only). The naive run's radius after 100 steps is 9.4e−34 at
p = 101, growing ×~1.2 per step (infinite by ~1,000 steps, issue 14).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

PREC = 128
ETA = Fraction(1, 100)


def _clock(kind):
    return time.process_time if kind == "cpu" else time.perf_counter


def _networks(vf):
    """(label, loss, x0) for the benchmark networks (bench_arb_path's builder)."""
    from bench_arb_path import _loss

    loss101, th = _loss(vf, [4, 8, 6, 1], "tanh", True)
    loss1000, th1000 = _loss(vf, [24, 40, 1], "tanh", False)
    return [("p=101", loss101, th * np.sqrt(8) / 3), ("p=1000", loss1000, th1000)]


def _relative_radius(traj, k: int) -> float:
    rho = traj.extra["rho"][k]
    mids = traj.thetas[k]
    nrm = math.sqrt(sum(float(v.mid()) ** 2 for v in mids))
    return float(rho) / nrm if nrm else float("inf")


def _rate_claim(vf, loss, x0, steps: int):
    """(q, r, float verdict): q = q_obs(1 + 10⁻⁶) from a float run, r = 1.01·max ‖θ_k − x0‖."""
    from verify.convergence import check_rate, gd

    fl = gd(loss, x0, ETA, steps, "float")
    Ls = fl.losses_float
    q_obs = max((Ls[k] / Ls[0]) ** (1.0 / k) for k in range(1, len(Ls)))
    q = Fraction(q_obs) * (1 + Fraction(1, 10**6))
    q = Fraction(math.ceil(q * 10**12), 10**12)
    dist = max(float(np.linalg.norm(t - np.asarray(x0, dtype=float))) for t in fl.thetas_float)
    r = Fraction(math.ceil(1.01 * dist * 10**6), 10**6)
    return q, r, check_rate(fl, q, x0, r).verdict.value, q_obs


def gd_trajectories(args) -> list[dict]:
    """The section "GD trajectories" (see the module docstring); returns one record per network."""
    from threadpoolctl import threadpool_limits

    import verify as vf
    from verify.convergence import check_rate, gd

    clock = _clock(args.clock)
    rows = []
    with threadpool_limits(1):
        for label, loss, x0 in _networks(vf):
            p = loss.n_params
            small = p < 500
            K = args.steps if small else (args.steps if args.full else args.steps_1000)
            gd(loss, x0, ETA, 3, "ball", PREC, form="naive")  # warm-up (compilation, data conversions)
            gd(loss, x0, ETA, 3, "ball", PREC)
            n_naive = 100 if small else 50

            def naive_step(loss=loss, x0=x0, n=n_naive):
                t0 = clock()
                out = gd(loss, x0, ETA, n, "ball", PREC, form="naive")
                return (clock() - t0) / n, out

            # naive and shadowed runs interleaved (the shared machine's load drifts): naive before each shadowed
            # run and once after the last
            naive_times, shadow_times = [], []
            reps = args.repeat if small else 1
            for _ in range(reps):
                t, nv = naive_step()
                naive_times.append(t)
                t0 = clock()
                tr = gd(loss, x0, ETA, K, "ball", PREC)
                shadow_times.append((clock() - t0) / K)
            for _ in range(max(1, args.repeat - reps + 1)):
                naive_times.append(naive_step()[0])
            naive_rad = max(float(v.rad()) for v in nv.thetas[-1])
            q, r, fl_verdict, q_obs = _rate_claim(vf, loss, x0, K)
            t0 = clock()
            res = check_rate(tr, q, x0, r)
            t_check = clock() - t0
            t0 = clock()
            res_rate = check_rate(tr, q)
            t_check_rate = clock() - t0
            ws = tr.extra["windows"]
            lengths = [w["length"] for w in ws]
            row = {
                "network": label, "p": p, "steps": tr.steps, "stopped": tr.stopped,
                "naive_step_s": statistics.median(naive_times), "naive_radius_after": (n_naive, naive_rad),
                "shadow_step_s": statistics.median(shadow_times), "shadow_runs": reps,
                "ratio": statistics.median(shadow_times) / statistics.median(naive_times),
                "final_relative_radius": _relative_radius(tr, tr.steps),
                "max_relative_radius": max(_relative_radius(tr, k) for k, _ in tr.extra["radii"]),
                "final_loss": f"{float(tr.losses[-1].mid()):.15g} ± {float(tr.losses[-1].rad()):.2e}",
                "windows": len(ws), "naive_fallback_steps": tr.extra["naive_steps"],
                "window_length_median": statistics.median(lengths), "window_length_max": max(lengths),
                "q_obs": q_obs, "q": float(q), "r": float(r), "float_verdict": fl_verdict,
                "verdict_rate_and_ball": res.verdict.value, "check_s": t_check,
                "verdict_rate": res_rate.verdict.value, "check_rate_only_s": t_check_rate,
            }
            rows.append(row)
            _print_gd_row(row)
            del tr
    return rows


def _print_gd_row(row: dict) -> None:
    n, rad = row["naive_radius_after"]
    print(f"GD trajectories, {row['network']} (η = 1/100, Arb at {PREC} bits), {row['steps']} steps"
          + (f" — stopped: {row['stopped']}" if row["stopped"] else ""))
    print(f"  naive ball step      {1e3 * row['naive_step_s']:8.3f} ms/step   (largest radius after {n} steps: "
          f"{rad:.2e})")
    print(f"  shadowed run         {1e3 * row['shadow_step_s']:8.3f} ms/step   ratio {row['ratio']:.2f}x "
          f"(target ≤ 5x; median of {row['shadow_runs']} run(s))")
    print(f"  relative radius      final {row['final_relative_radius']:.2e} (target ≤ 1e-20), largest at the "
          f"checkpoints {row['max_relative_radius']:.2e}")
    print(f"  windows              {row['windows']} Hessian enclosures (median length "
          f"{row['window_length_median']}, longest {row['window_length_max']}), "
          f"{row['naive_fallback_steps']} naive steps")
    print(f"  final loss           {row['final_loss']}")
    print(f"  check_rate           q = {row['q']:.12f} (observed {row['q_obs']:.12f}), r = {row['r']}: float "
          f"{row['float_verdict']}; shadowed run {row['verdict_rate_and_ball']} in {row['check_s']:.1f} s "
          f"(rate only: {row['verdict_rate']} in {row['check_rate_only_s']:.2f} s)")
    print(flush=True)


SECTIONS = {"gd": gd_trajectories}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="p = 1,000 for --steps steps too (default: --steps-1000)")
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--steps-1000", type=int, default=2_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    ap.add_argument("--sections", nargs="+", default=list(SECTIONS), choices=list(SECTIONS))
    args = ap.parse_args(argv)
    os.environ.setdefault("VERIFY_THREADS", "1")
    for name in args.sections:
        SECTIONS[name](args)


if __name__ == "__main__":
    main()
