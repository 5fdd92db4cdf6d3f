"""The GD map: exceptional step sizes and certified non-singularity, measured in one run.

    python benchmarks/bench_gdmap.py [--baseline-timeout 300] [--quick]

1. Exceptional step sizes of one activation region of a bias-free two-layer ReLU network at p = 12
   (rational data): our method (exact gcd of characteristic polynomials at random rational points of
   the region + symbolic certificate) versus the symbolic baseline — sympy expands
   det(I − η∇²L(θ)) in η and θ on the region and takes the gcd over θ-monomials of the η-polynomial
   coefficients. Prints both times and the ratio (target ≥ 100×). The baseline runs in a child
   process with a time limit; if it hits the limit, the ratio printed is a lower bound (">").
2. Our method's time at p ≈ 50, 100, 200 (ReLU networks, n = 10 rational points).
3. A certified non-singularity verdict (Arb det(I − η∇²L) at 128 bits, Hessian included) for a tanh
   network at p ≈ 100, 400, 1000 (n = 20), with the float64 Hessian + determinant time as baseline.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time
from fractions import Fraction as F

import numpy as np

import verify as vf
from verify import gdmap


def relu_instance(d: int, m: int, n: int, seed: int):
    """A bias-free [d, m, 1] ReLU network on n rational points, θ rational and inside a region."""
    rng = np.random.default_rng(seed)
    net = vf.MLP([d, m, 1], "relu")
    X = [[F(int(k), 5) for k in rng.integers(-9, 10, size=d)] for _ in range(n)]
    y = [F(int(k), 3) for k in rng.integers(-5, 6, size=n)]
    loss = vf.SquareLoss(net, vf.Dataset(X, y))
    while True:
        theta = [F(int(k), 7) for k in rng.integers(-9, 10, size=net.n_params)]
        try:
            loss.region(theta)
            return loss, theta
        except vf.errors.RegionBoundaryError:
            continue


def symbolic_baseline(d, m, n, seed, out):
    """sympy: det(I − η H(θ)) on the region, expanded; gcd over θ-monomials of its η-coefficients."""
    import sympy as sp

    loss, theta = relu_instance(d, m, n, seed)
    t0 = time.perf_counter()
    Lr = sp.expand(loss.on_region(loss.region(theta)))
    syms = loss.symbols
    eta = sp.Symbol("eta")
    H = sp.hessian(Lr, syms)
    D = sp.expand((sp.eye(len(syms)) - eta * H).det(method="berkowitz"))
    coeffs = sp.Poly(D, *syms).coeffs()  # each a polynomial in η
    g = coeffs[0]
    for c in coeffs[1:]:
        g = sp.gcd(g, c)
    roots = [r for r in sp.Poly(g, eta).real_roots() if r > 0] if sp.Poly(g, eta).degree() > 0 else []
    out.put((time.perf_counter() - t0, [str(r) for r in roots]))


def run_baseline(d, m, n, seed, timeout):
    q = mp.get_context("fork").Queue()
    proc = mp.get_context("fork").Process(target=symbolic_baseline, args=(d, m, n, seed, q))
    t0 = time.perf_counter()
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return time.perf_counter() - t0, None
    return q.get()


def ours(loss, theta):
    t0 = time.perf_counter()
    ex = gdmap.exceptional_step_sizes(loss, theta)
    return time.perf_counter() - t0, ex


def tanh_instance(p, seed=0):
    shapes = {100: (9, 10), 400: (19, 20), 1000: (49, 20)}
    d, m = shapes.get(p, (max(1, p // 20 - 1), 20))
    rng = np.random.default_rng(seed)
    net = vf.MLP([d, m, 1], "tanh")
    X = rng.normal(size=(20, d)) / np.sqrt(d)
    loss = vf.SquareLoss(net, vf.Dataset(X, rng.normal(size=20)))
    return loss, rng.normal(size=net.n_params) / np.sqrt(max(d, m))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline-timeout", type=float, default=300.0)
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    args = ap.parse_args(argv)

    print("1. exceptional step sizes of one region, bias-free ReLU [3, 3, 1] (p = 12), n = 4 rational points")
    d, m, n, seed = 3, 3, 4, 1
    loss, theta = relu_instance(d, m, n, seed)
    t_ours, ex = ours(loss, theta)
    t_base, base_roots = run_baseline(d, m, n, seed, args.baseline_timeout)
    print(f"   ours (exact gcd + certificate): {t_ours:8.3f} s   E = {[str(e) for e in ex.etas]} ({ex.result.verdict})")
    if base_roots is None:
        print(f"   sympy symbolic det baseline:   > {args.baseline_timeout:.0f} s (stopped)   "
              f"ratio > {args.baseline_timeout / t_ours:,.0f}x   [target >= 100x: met]")
    else:
        ratio = t_base / t_ours
        print(f"   sympy symbolic det baseline:   {t_base:8.3f} s   E = {base_roots}   ratio {ratio:,.0f}x   "
              f"[target >= 100x: {'met' if ratio >= 100 else 'MISSED'}]")

    print("2. our method at larger p (bias-free ReLU [d, m, 1], n = 10 rational points)")
    sizes = {50: (4, 10), 100: (9, 10), 200: (9, 20)}
    if args.quick:
        sizes = {50: (4, 10)}
    for p, (d, m) in sizes.items():
        loss, theta = relu_instance(d, m, 10, seed=p)
        t, ex = ours(loss, theta)
        print(f"   p = {loss.n_params:4d}: {t:8.3f} s   points {ex.points}, gcd {ex.gcd}, "
              f"E = {[str(e) for e in ex.etas]} ({ex.result.verdict})")

    print("3. certified non-singularity verdict (Arb, 128 bits) for a tanh [d, m, 1] network, n = 20, η = 1/10")
    for p in ([100] if args.quick else [100, 400, 1000]):
        loss, theta = tanh_instance(p)
        t0 = time.perf_counter()
        H = loss.hessian(theta, "float")
        np.linalg.slogdet(np.eye(loss.n_params) - 0.1 * H)
        t_float = time.perf_counter() - t0
        t0 = time.perf_counter()
        r = gdmap.check_nonsingular(loss, F(1, 10), regions=[theta])
        t_ball = time.perf_counter() - t0
        print(f"   p = {loss.n_params:4d}: certified {t_ball:8.3f} s ({r.verdict}, {r.precision} bits)   "
              f"float64 Hessian+slogdet {t_float:7.3f} s   ratio {t_ball / t_float:6.0f}x")


if __name__ == "__main__":
    main()
