# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Certified at float speed: float64 balls and the precision ladder
#
# Certified verdicts need enclosures, not approximations. Arb balls give them at any precision, but every entry is
# a Python object. The `"ball64"` arithmetic keeps a float64 midpoint and a float64 radius per entry, on whole numpy
# arrays, and bounds every rounding error a priori (Rump, BIT 39 (1999); Higham, *Accuracy and Stability of
# Numerical Algorithms*). This notebook
#
# 1. reads enclosures as exact rational endpoints with `bounds`, in every certified arithmetic;
# 2. checks that float64 balls enclose the value computed by Arb at 256 bits, at a point and over a box;
# 3. compares the cost of float, float64 balls and Arb on a gradient and a Hessian;
# 4. certifies non-singularity of the GD map (Crăciun & Ghoshdastidar, arXiv:2510.24466) and the stability of a
#    minimum with the precision ladder, and shows it climbing near a threshold.

# %%
import time
from fractions import Fraction

import numpy as np
import sympy as sp

import verify as vf
from verify.arith.ball64 import B64

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Exact endpoints of an enclosure
#
# `get_arith(name).bounds(x)` returns `(lo, hi)` as `Fraction`s; float and mp values are refused: they are
# approximations without an error bound.

# %%
for name in ("exact", "ball", "ball64"):
    a = vf.get_arith(name)
    lo, hi = a.bounds(a.const(Fraction(1, 3)))
    print(f"{name:7s} 1/3 ∈ [{float(lo):.17g}, {float(hi):.17g}]  width {float(hi - lo):.1e}")
try:
    vf.get_arith("float").bounds(np.float64(1 / 3))
except vf.errors.UncertifiedValueError as exc:
    print("float:", str(exc)[:90], "…")

# %% [markdown]
# ## 2. Float64 balls enclose the Arb value, at a point and over a box

# %%
net = vf.MLP([4, 8, 6, 1], "tanh", bias=True)
X, y = rng.normal(size=(10, 4)), rng.normal(size=10)
loss = vf.SquareLoss(net, vf.Dataset(X, y))
theta = rng.normal(size=net.n_params) / 2

a64, ball = vf.get_arith("ball64"), vf.get_arith("ball", 256)
g64 = loss.grad(theta, "ball64")
g256 = loss.grad(theta, "ball", 256)
lo, hi = a64.bounds(g64)
inside = all(lo[i] <= ball.bounds(g256[i])[0] and ball.bounds(g256[i])[1] <= hi[i] for i in range(net.n_params))
print(f"gradient: every Arb-256 ball inside the float64 ball: {inside}; largest radius {g64.rad.max():.1e}")

box = B64(theta, np.full(net.n_params, 1e-6))  # θ ± 10⁻⁶ in every coordinate
L_box = loss.value(box, "ball64")
samples = [loss.value(theta + rng.uniform(-1e-6, 1e-6, net.n_params)) for _ in range(200)]
blo, bhi = a64.bounds(L_box)
print(f"L over the box ∈ [{float(blo):.12g}, {float(bhi):.12g}]; 200 sampled values inside:",
      all(blo <= Fraction(v) <= bhi for v in samples))

# %% [markdown]
# ## 3. What it costs
#
# Medians of repeated calls (this machine's figures; `benchmarks/bench_ball64.py` pins BLAS threads and measures the
# issue's targets).

# %%
def median_time(f, repeat=15):
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


net = vf.MLP([19, 50, 1], "tanh")
loss = vf.SquareLoss(net, vf.Dataset(rng.normal(size=(50, 19)), rng.normal(size=50)))
theta = rng.normal(size=net.n_params) / 5
times = {arith: median_time(lambda arith=arith: loss.grad(theta, arith)) for arith in ("float", "ball64")}
times["ball"] = median_time(lambda: loss.grad(theta, "ball"), 3)
print(f"gradient, p = {net.n_params}: " + ", ".join(f"{k} {v * 1e3:.2f} ms" for k, v in times.items()))
print(f"ball64/float = {times['ball64'] / times['float']:.1f}×, Arb/ball64 = {times['ball'] / times['ball64']:.0f}×")

# %% [markdown]
# ## 4. The precision ladder
#
# `check_nonsingular` first tries the regularity test on the float64-ball Jacobian I − η∇²L (‖I − R·DG‖ < 1 with
# R ≈ DG⁻¹ proves DG non-singular); Arb determinants only when it does not decide. `Result.rung` names the rung.

# %%
net = vf.MLP([9, 40, 1], "tanh")
loss = vf.SquareLoss(net, vf.Dataset(rng.normal(size=(30, 9)), rng.normal(size=30)))
theta = rng.normal(size=net.n_params) / 5
for fast in (True, False):
    t = time.perf_counter()
    r = vf.gdmap.check_nonsingular(loss, Fraction(1, 10), regions=[theta], fast=fast)
    print(f"p = {net.n_params}, fast={fast!s:5s}: {r.verdict} on rung {r.rung!r} in {time.perf_counter() - t:.2f} s")

# %% [markdown]
# Near an exceptional step size the float64 balls cannot separate det(I − ηH) from 0, and the ladder climbs. On the
# region where every hidden ReLU unit of this network is off, η = 1/2 is exceptional (det(I − ηH) ≡ 0 there):

# %%
net = vf.MLP([2, 2, 1], "relu", bias=True)
loss = vf.SquareLoss(net, vf.Dataset([[1, 2], [Fraction(1, 3), -1], [2, 1]], [1, 0, Fraction(1, 2)]))
dead = [-1, -1, -1, -1, -5, -5, 1, 1, Fraction(1, 3)]
for eta in (Fraction(1, 3), Fraction(1, 2), Fraction(1, 2) + Fraction(1, 10**30)):
    r = vf.gdmap.check_nonsingular(loss, eta, regions=[dead])
    shown = "1/2 + 1e-30" if eta.denominator > 100 else str(eta)
    print(f"η = {shown:11s}: {r.verdict:9s} rung {r.rung!r}")

# %% [markdown]
# The stability of a minimum climbs the same way: far from the edge ηλ_max = 2 float64 balls decide; 10⁻³⁰ from it,
# Arb does.

# %%
x, y = sp.symbols("x y")
obj = vf.Objective.from_sympy((5 * x**2 + y**2 + sp.tanh(y) ** 4) / 2, [x, y])  # ∇²L(0) = diag(5, 1)
for eta in (Fraction(1, 10), Fraction(2, 5) * (1 - Fraction(1, 10**30)), Fraction(2, 5) * (1 + Fraction(1, 10**30))):
    r = vf.stability.gd(obj, [0, 0], eta)
    print(f"ηλ_max − 2 = {float(5 * eta - 2):+.1e}: {r.verdict:9s} rung {r.rung!r}")
