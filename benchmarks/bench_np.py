"""Neuron Pursuit versus plain GD from small initialisation on teacher tasks, measured in one run.

    python benchmarks/bench_np.py [--quick]

Teacher: a two-layer relu² network with k ∈ {2, 4, 8} neurons (unit-norm random incoming weights,
output weights ±1), d = 10, n = 200 training and 200 test points; loss ½ Σ (H − y)². Neuron Pursuit
(``verify.homogeneous.neuron_pursuit``: insertion scale 0.1, 10 restarts, Armijo GD inner loop of 3000
steps, at most 2k neurons) against GD from small initialisation (δ = 1e−2, width 2k, Armijo GD,
20,000 steps). Prints final train/test loss, neurons used, wall-clock and the ratio of wall-clocks.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import verify as vf
from verify.homogeneous import gd_small_init, neuron_pursuit


def teacher(k, d=10, n=200, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(k, d))
    A /= np.linalg.norm(A, axis=1, keepdims=True)
    b = rng.choice([-1.0, 1.0], size=k)
    X = rng.normal(size=(2 * n, d))
    y = (np.maximum(X @ A.T, 0) ** 2) @ b
    return vf.Dataset(X[:n], y[:n]), vf.Dataset(X[n:], y[n:])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    act = ("relu_power", 2)
    print(f"{'k':>3} {'method':>14} {'train':>10} {'test':>10} {'neurons':>8} {'time s':>8}")
    for k in ([2] if args.quick else [2, 4, 8]):
        train, test = teacher(k)
        t0 = time.perf_counter()
        res = neuron_pursuit(train, act, max_neurons=2 * k, inner_steps=3000, tol_L=1e-10, test_data=test)
        t_np = time.perf_counter() - t0
        last = res.history[-1]
        print(f"{k:>3} {'NeuronPursuit':>14} {last['train_loss']:10.3g} {last['test_loss']:10.3g} {res.neurons:>8} "
              f"{t_np:8.2f}   ({res.stop_reason})")
        t0 = time.perf_counter()
        _, hist = gd_small_init(train, act, width=2 * k, delta=1e-2, steps=20000 if not args.quick else 4000,
                                test_data=test)
        t_gd = time.perf_counter() - t0
        print(f"{k:>3} {'GD small init':>14} {hist[-1]['train_loss']:10.3g} {hist[-1]['test_loss']:10.3g} {2 * k:>8} "
              f"{t_gd:8.2f}   wall-clock NP/GD = {t_np / t_gd:.2f}")


if __name__ == "__main__":
    main()
