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
# # Non-singularity of the GD map across step sizes
#
# Crăciun & Ghoshdastidar, arXiv:2510.24466 §2: on an activation region the GD map $G_\eta(\theta)=\theta-\eta\nabla L(\theta)$
# is analytic, and it fails to be non-singular there exactly when $\det(I-\eta\nabla^2L(\theta))\equiv 0$ on
# the region, i.e. when $1/\eta$ is a *constant* eigenvalue of the Hessian. This notebook
#
# 1. plots $\eta\mapsto\det(I-\eta\nabla^2L(\theta))$ at several points of two regions of a small ReLU network,
# 2. computes the exceptional step sizes of each region exactly and marks them,
# 3. certifies non-singularity on a grid of step sizes (Arb ball arithmetic), and refutes it at the exceptional one,
# 4. does the same for a tanh network, where no exceptional step size exists.

# %%
from fractions import Fraction as F
import pathlib

import matplotlib.pyplot as plt
import numpy as np

import verify as vf
from verify import gdmap
from verify.gdmap.regions import random_region_points

data = vf.Dataset([[1, 2], [F(1, 3), -1], [2, 1]], [1, 0, F(1, 2)])
loss = vf.SquareLoss(vf.MLP([2, 2, 1], "relu", bias=True), data)  # L = (1/n) Σ (f(x_i) − y_i)²
dead = [-1, -1, -1, -1, -5, -5, 1, 1, F(1, 3)]       # both hidden ReLUs off on every data point: f = b2
alive = [1, F(1, 2), -1, F(1, 3), F(1, 5), -F(1, 7), F(3, 2), -1, F(1, 3)]
print(loss.region(dead))
print(loss.region(alive))

# %% [markdown]
# ## Exceptional step sizes, exactly
# The gcd of the characteristic polynomials at random rational points of the region gives the candidates; each is
# confirmed by a symbolic certificate (here: on the dead region the loss is the quadratic $(1/n)\sum(b_2-y_i)^2$).

# %%
ex_dead = gdmap.exceptional_step_sizes(loss, dead)
ex_alive = gdmap.exceptional_step_sizes(loss, alive)
print("dead :", ex_dead.result.verdict, ex_dead.result.message)
print("alive:", ex_alive.result.verdict, ex_alive.result.message)

# %% [markdown]
# ## det(I − η∇²L) over η, exceptional set marked
# Each curve is the exact polynomial `det_polynomial` at one rational point of the region.

# %%
rng = np.random.default_rng(0)
etas = np.linspace(0, 2, 400)
fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=False)
for ax, (name, th, ex) in zip(axes, [("all units off", dead, ex_dead), ("an active unit", alive, ex_alive)]):
    pts = [np.array([F(v) for v in th], dtype=object)] + random_region_points(loss, th, 4, rng)
    for pt in pts:
        dp = gdmap.det_polynomial(loss, pt)
        ax.plot(etas, [float(dp(F(e))) for e in etas], lw=1)
    for e in ex.confirmed:
        ax.axvline(float(e), color="red", ls="--", label=f"exceptional η = {e.eta}")
    ax.axhline(0, color="k", lw=0.5)
    ax.set_title(f"ReLU region: {name}")
    ax.set_xlabel("η")
    ax.set_ylabel("det(I − η∇²L(θ))")
    ax.set_ylim(-3, 3)
    if ex.confirmed:
        ax.legend()
fig.tight_layout()
out = pathlib.Path("figures")
out.mkdir(exist_ok=True)
fig.savefig(out / "gd_map_det_over_eta.png", dpi=100)

# %% [markdown]
# On the dead region every curve passes through 0 at η = 1/2: the determinant vanishes identically there, so
# $G_{1/2}$ collapses the region onto a hyperplane. On the other region the roots move with θ: no η is exceptional.
#
# ## Certified verdicts on a grid of step sizes

# %%
for eta in [F(1, 10), F(1, 3), F(1, 2), F(1, 2) + F(1, 2**40), 1, 2]:
    r = gdmap.check_nonsingular(loss, eta, regions=[dead, alive], samples=20, seed=1)
    print(f"η = {float(eta):<18.15g} {r.verdict.value:9} {r.message[:100]}")

# %% [markdown]
# ## A smooth network: tanh
# The loss is analytic everywhere; a certified non-zero determinant at one point proves non-singularity, and the
# intersection of certified eigenvalue enclosures at a few points excludes exceptional step sizes in a range.

# %%
tanh_loss = vf.SquareLoss(vf.MLP([2, 3, 1], "tanh"), data)
th = [F(k, 5) for k in range(-4, 5)]
print(gdmap.exceptional_step_sizes(tanh_loss, th, eta_range=(F(1, 100), 100)).result.message)
dpb = gdmap.det_polynomial(tanh_loss, th, "ball", 128)
grid = [F(k, 4) for k in range(1, 13)]
verdicts = [gdmap.check_nonsingular(tanh_loss, e, regions=[th]).verdict.value for e in grid]
print(dict(zip(map(str, grid), verdicts)))
vals = [dpb(F(e)) for e in etas]
plt.figure(figsize=(5.5, 3.5))
plt.plot(etas, [float(v.mid()) for v in vals])
plt.axhline(0, color="k", lw=0.5)
plt.xlabel("η")
plt.ylabel("det(I − η∇²L(θ)) (ball midpoints)")
plt.title("tanh network: roots move with θ, none is exceptional")
plt.tight_layout()
plt.savefig(out / "gd_map_tanh_det.png", dpi=100)
