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
# # Homogeneous networks near the origin, and Neuron Pursuit
#
# Kumar & Haupt, arXiv:2509.12154: near the origin, gradient descent on a homogeneous network follows the
# *neural correlation function* flow $u' = \nabla N_y(u)$, $N_y(u) = y^\top H(X;u)$, and its direction converges to a
# non-negative KKT point of $\max_{\|u\|=1} N_y(u)$. Neuron Pursuit short-cuts the saddle-to-saddle dynamics by
# inserting, at each step, the neuron that maximises the *residual* NCF.
#
# 1. KKT points of the NCF for a two-layer relu² network, certified in Arb, and their sparsity;
# 2. directional convergence of GD from δ·w0 for several δ (cosine with the NCF-flow direction against rescaled
#    time δ^(L−2)·t);
# 3. Neuron Pursuit recovering a 3-neuron teacher, against GD from small initialisation.

# %%
import pathlib

import matplotlib.pyplot as plt
import numpy as np

import verify as vf
from verify.homogeneous import gd_small_init, max_ncf, ncf_flow, neuron_pursuit

rng = np.random.default_rng(2024)
X = rng.normal(size=(6, 2))
y = rng.normal(size=6)
relu2 = ("relu_power", 2)
net = vf.MLP([2, 6, 1], relu2)
for k in max_ncf(net, X, y, restarts=8, seed=3)[:3]:
    print(f"N* = {k.N:.6f}  (certified N > 0: {k.sign_certified}, KKT residual ≤ {k.residual_upper:.1e}), "
          f"active neurons {k.active_neurons}, reached by {k.restarts_reaching} restart(s)")

# %% [markdown]
# ## Directional convergence from small initialisation
# The NCF flow from w0 blows up at a finite rescaled time τ*; its direction there is the KKT direction u*.
# GD from δ·w0 reaches that direction at real time ≈ τ*/δ (L = 3).

# %%
net = vf.MLP([2, 4, 1], relu2)
data = vf.Dataset(X, y)
loss = vf.SquareLoss(net, data, normalization="half_sum")
w0 = np.random.default_rng(1).standard_normal(net.n_params)
w0 /= np.linalg.norm(w0)
ts, U, u_star = ncf_flow(net, X, y, w0, 10.0)
tau_star = ts[-1]
print(f"NCF flow blow-up near τ* ≈ {tau_star:.4f}")
fig, ax = plt.subplots(figsize=(6, 4))
for delta in (1e-1, 1e-2, 1e-3):
    h = 1e-2
    w = delta * w0
    taus, coss = [], []
    steps = int(0.97 * tau_star / delta / h)
    for k in range(steps + 1):
        if k % max(1, steps // 200) == 0:
            taus.append(delta * k * h)
            coss.append(float(w @ u_star / np.linalg.norm(w)))
        w = w - h * np.asarray(loss.grad(w), dtype=float)
    ax.plot(taus, coss, label=f"δ = {delta:g}")
ax.set_xlabel("rescaled time δ^(L−2)·t")
ax.set_ylabel("cos(w(t), u*)")
ax.legend()
fig.tight_layout()
out = pathlib.Path("figures")
out.mkdir(exist_ok=True)
fig.savefig(out / "np_directional_convergence.png", dpi=100)

# %% [markdown]
# ## Neuron Pursuit against GD from small initialisation on a sparse teacher

# %%
rng = np.random.default_rng(11)
Xt = rng.normal(size=(80, 5))
A = rng.normal(size=(3, 5))
A /= np.linalg.norm(A, axis=1, keepdims=True)
b = np.array([1.0, -1.0, 1.0])
yt = (np.maximum(Xt @ A.T, 0) ** 2) @ b
train, test = vf.Dataset(Xt[:40], yt[:40]), vf.Dataset(Xt[40:], yt[40:])
res = neuron_pursuit(train, relu2, max_neurons=6, test_data=test, tol_L=1e-10)
for row in res.history:
    print({k: (round(v, 6) if isinstance(v, float) else v) for k, v in row.items()})
print("stop:", res.stop_reason)
_, hist = gd_small_init(train, relu2, width=6, delta=1e-2, steps=20000, test_data=test, record_every=500)
fig, ax = plt.subplots(1, 2, figsize=(11, 4))
ax[0].semilogy([r["neurons"] for r in res.history], [r["train_loss"] for r in res.history], "o-", label="NP train")
ax[0].semilogy([r["neurons"] for r in res.history], [r["test_loss"] for r in res.history], "s--", label="NP test")
ax[0].set_xlabel("neurons (one per NP iteration)")
ax[0].set_ylabel("½ Σ (H − y)²")
ax[0].legend()
ax[1].semilogy([r["step"] for r in hist], [r["train_loss"] for r in hist], label="GD from δ = 1e−2, width 6")
ax[1].axhline(res.history[-1]["train_loss"], color="k", ls="--", label="NP final train loss")
ax[1].set_xlabel("GD step")
ax[1].legend()
fig.tight_layout()
fig.savefig(out / "np_vs_gd.png", dpi=100)
