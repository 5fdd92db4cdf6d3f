"""Local PL and convergence checks, measured in one run.

    python benchmarks/bench_pl.py [--quick]

1. Certified α lower bound by the NTK method (Arb Jacobian over the box ⊇ B(θ0, r), Weyl bound on
   λ_min(JJᵀ)) for bias-free tanh MLPs at p ≈ 100, 400, 1000 (n = 5, r = 1e−4): its time, the loss
   to the box enclosure (against (4/n)λ_min(K(θ0)) in float64), and the tightness lower/upper with the
   upper bound from the witness search (that gap is the NTK method's own, not the arithmetic's).
2. Branch-and-bound α lower bound in dimension 1, 2, 4, 6 (sum of decoupled quartics
   ¼Σ(x_i² − 1)², ball away from the critical points), at budgets of 2,000 and 20,000 boxes.
3. 1,000 GD steps in ball arithmetic at 128 bits versus mpmath at 128 bits on tanh networks
   (ratio; target ball ≥ 10× faster), with float64 as the floor.
"""

from __future__ import annotations

import argparse
import time
from fractions import Fraction as F

import numpy as np
import sympy as sp

import verify as vf
from verify import convergence as cv
from verify import pl


def tanh_loss(d, m, n, seed=0):
    rng = np.random.default_rng(seed)
    net = vf.MLP([d, m, 1], "tanh")
    X = rng.normal(size=(n, d)) / np.sqrt(d)
    loss = vf.SquareLoss(net, vf.Dataset(X, rng.normal(size=n)))
    theta = rng.normal(size=net.n_params) / np.sqrt(max(d, m))
    return loss, theta


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)

    print("1. NTK lower bound of α(θ0, r), tanh [d, m, 1], n = 5, r = 1e-4 (Arb, 128 bits)")
    shapes = {100: (9, 10), 400: (19, 20), 1000: (49, 20)}
    for d, m in list(shapes.values())[: 1 if args.quick else 3]:
        loss, th = tanh_loss(d, m, 5)
        r = F(1, 10**4)
        t0 = time.perf_counter()
        lo = pl.alpha_lower_ntk(loss, th, r)
        t_ntk = time.perf_counter() - t0
        J = np.asarray(loss.jacobian(th), dtype=float)
        point = 4 / 5 * float(np.linalg.eigvalsh(J @ J.T).min())
        t0 = time.perf_counter()
        up, _, _ = pl.alpha_upper(loss, th, r, starts=2)
        t_up = time.perf_counter() - t0
        print(f"   p = {loss.n_params:4d}: NTK lower {float(lo):8.5g} in {t_ntk:5.2f} s (point value {point:8.5g}: "
              f"box loss {1 - float(lo) / point:6.2%}); witness upper {float(up):8.5g} in {t_up:5.2f} s; "
              f"lower/upper {float(lo / up):.3f}")

    print("2. branch-and-bound lower bound, f = ¼ Σ (x_i² − 1)², x0 = (1.3, …), r = 0.2")
    for dim in ([1, 2] if args.quick else [1, 2, 4, 6]):
        xs = sp.symbols(f"x0:{dim}")
        f = vf.Objective.from_sympy(sum((x**2 - 1) ** 2 for x in xs) / 4, list(xs))
        x0 = [F(13, 10)] * dim
        for budget in (2000, 20000):
            t0 = time.perf_counter()
            b = pl.alpha(f, x0, F(1, 5), methods=("bnb",), max_boxes=budget, rel_tol=1e-2)
            t = time.perf_counter() - t0
            print(f"   dim {dim}, {budget:5d} boxes: {t:6.2f} s  α ∈ [{float(b.lower):.5g}, {float(b.upper):.5g}]  "
                  f"tightness {b.tightness:.4f}  boxes used {b.methods['bnb']['boxes']}")

    print("3. 1000 GD steps at 128 bits: ball vs mp (float64 for reference), tanh [d, m, 1]")
    steps = 200 if args.quick else 1000
    for (d, m, n) in [(3, 8, 4), (9, 10, 20), (19, 20, 20)]:
        loss, th = tanh_loss(d, m, n, seed=1)
        times = {}
        for ar in ("float", "ball", "mp"):
            k = steps if ar != "mp" else max(steps // 10, 20)  # mp is slow: time fewer steps, scale up
            t0 = time.perf_counter()
            cv.gd(loss, th, F(1, 20), k, ar, None if ar == "float" else 128)
            times[ar] = (time.perf_counter() - t0) * steps / k
        ratio = times["mp"] / times["ball"]
        print(f"   p = {loss.n_params:4d}, n = {n:2d}: float {times['float']:6.2f} s  ball {times['ball']:6.2f} s  mp "
              f"{times['mp']:7.2f} s (from {max(steps // 10, 20)} steps)  mp/ball {ratio:5.1f}x  "
              f"[target >= 10x: {'met' if ratio >= 10 else 'MISSED'}]")


if __name__ == "__main__":
    main()
