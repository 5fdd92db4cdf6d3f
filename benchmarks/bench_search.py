"""Counterexample search, sweeps and certified re-checking, measured in one run.

    python benchmarks/bench_search.py [--quick]

1. Time to find, shrink and certify the counterexample of the false conjecture of notebook
   ``01_check_a_conjecture`` (claim ``gd-monotone-relu``): median over 5 seeds, with the shrunk sizes.
2. Instances checked per second for the non-singularity claim (``gd-map-nonsingular-relu``, small
   bias-free ReLU nets) in a sweep with 1 and 2 local worker processes, and the speed-up.
3. The overhead of certified re-checking: the float evaluation of the claim at the counterexample
   versus its Arb re-check (128 bits), and the whole search versus its re-check step.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import verify as vf
from verify.claims import get_claim, recheck
from verify.report.sweep import parse_grid, sweep


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)

    print("1. find + shrink + certify the counterexample of 'gd-monotone-relu' (max 300 examples)")
    times, sizes, verdicts = [], [], []
    for seed in range(2 if args.quick else 5):
        t0 = time.perf_counter()
        rep = vf.check("gd-monotone-relu", max_examples=300, seed=seed)
        times.append(time.perf_counter() - t0)
        sizes.append(rep.counterexample.size if rep.counterexample is not None else None)
        verdicts.append(rep.verdict.value)
    print(f"   median {statistics.median(times):.2f} s over seeds (each: {', '.join(f'{t:.2f}' for t in times)} s); "
          f"verdicts {verdicts}; shrunk sizes (params, points) {sizes}")

    print("2. sweep of 'gd-map-nonsingular-relu' over width × seed × η: instances per second")
    grid = parse_grid(["width=1,2,3", f"seed=0:{20 if args.quick else 100}", "eta=1/3,2/7,5/11"])
    rates = {}
    for jobs in (1, 2):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "s.jsonl")
            t0 = time.perf_counter()
            counts = sweep("gd-map-nonsingular-relu", grid, out, jobs=jobs, progress=None)
            dt = time.perf_counter() - t0
        rates[jobs] = counts["run"] / dt
        print(f"   {jobs} worker(s): {counts['run']} instances in {dt:.2f} s = {rates[jobs]:.0f} instances/s "
              f"({', '.join(f'{k} {v}' for k, v in counts.items() if k.isupper())})")
    print(f"   speed-up of 2 workers over 1: {rates[2] / rates[1]:.2f}x")

    print("3. overhead of certified re-checking (counterexample of 'gd-monotone-relu')")
    claim = get_claim("gd-monotone-relu")
    rep = vf.check(claim, max_examples=300, seed=0)
    inst = rep.counterexample
    t0 = time.perf_counter()
    for _ in range(20):
        claim.evaluate(inst)
    t_float = (time.perf_counter() - t0) / 20
    t0 = time.perf_counter()
    for _ in range(5):
        recheck(claim, inst)
    t_ball = (time.perf_counter() - t0) / 5
    print(f"   float evaluation {t_float * 1e3:.2f} ms, Arb re-check {t_ball * 1e3:.2f} ms "
          f"({t_ball / t_float:.1f}x); the re-check is {100 * t_ball / rep.elapsed:.1f}% of the whole search "
          f"({rep.elapsed:.2f} s)")


if __name__ == "__main__":
    main()
