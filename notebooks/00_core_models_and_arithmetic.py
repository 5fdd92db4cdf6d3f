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
# # Core: one model, four arithmetics, certified verdicts
#
# A network is defined once (activations as sympy `Piecewise`); its loss, gradient and Hessian are evaluated by the same layer-wise formulas in float64, mpmath, Arb balls and exact rationals. Homogeneity: Kumar & Haupt, arXiv:2509.12154 §2.1; how certified values are decided: `docs/soundness.md`.

# %%
from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np

import verify as vf
from verify.arith.ball import contains, radius_array

# %% [markdown]
# ## A ReLU network with exact rational data

# %%
net = vf.MLP([2, 3, 1], 'relu')
data = vf.Dataset([[1, 2], [Fraction(1, 3), -1], [0, 1]], [1, 0, Fraction(1, 2)])
loss = vf.SquareLoss(net, data, normalization='half_mean')
theta = [Fraction(k, 7) for k in (3, -2, 1, 4, 2, -5, 6, -1, 2)]
print(net, net.param_names)
for arith in ('exact', 'ball', 'mp', 'float'):
    v = loss.value(theta, arith)
    # python-flint prints balls at its global precision (53 bits); .str(40) shows the 128-bit ball
    print(f'{arith:>6}', v.str(40) if arith == 'ball' else v)

# %% [markdown]
# The exact value lies in the ball; the Hessians agree across arithmetics:

# %%
He = loss.hessian(theta, 'exact')
Hb = loss.hessian(theta, 'ball')
Hf = loss.hessian(theta)
assert all(contains(b, Fraction(int(e.p), int(e.q))) for b, e in zip(Hb.ravel(), He.ravel()))
print('max |float - exact| =', np.abs(Hf - np.vectorize(float)(He)).max())
print('max ball radius     =', radius_array(Hb).max())

# %% [markdown]
# On its activation region the loss is a polynomial; `on_region` gives it exactly:

# %%
pattern = loss.region(theta)
print(pattern)
print(loss.on_region(pattern))

# %% [markdown]
# ## Verdicts: homogeneity (C2) proved, and its bias negative control refuted

# %%
from verify.homogeneous import check_homogeneity, prove_homogeneity_symbolic
print(prove_homogeneity_symbolic(vf.MLP([2, 2, 2, 1], 'relu')).summary())
print(check_homogeneity(net, data, theta, Fraction(5, 2), 'exact').summary())
biased = vf.MLP([2, 3, 1], 'relu', bias=True)
th_b = [Fraction(k + 1, 7) for k in range(biased.n_params)]
r = check_homogeneity(biased, data, th_b, 2, 'ball', degree=2)
print(r.summary())
print('counterexample data point:', r.counterexample['data_point'])

# %% [markdown]
# ## Enclosures over a box of parameters
#
# A ball θ (a box) gives an enclosure valid for every point in it. Along a line in a tanh network, boxes of width h enclose the float curve:

# %%
tnet = vf.MLP([2, 3, 1], 'tanh')
tloss = vf.SquareLoss(tnet, data)
rng = np.random.default_rng(0)
th0, direction = rng.normal(size=9), rng.normal(size=9)
from flint import arb
ts = np.linspace(-1, 1, 41)
h = ts[1] - ts[0]
lo, hi = [], []
for t in ts:
    box = [arb(a + t * b, abs(b) * h / 2) for a, b in zip(th0, direction)]
    v = tloss.value(box, 'ball')
    lo.append(float(v.lower())); hi.append(float(v.upper()))
fine = np.linspace(-1, 1, 400)
vals = [tloss.value(th0 + t * direction) for t in fine]
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.fill_between(ts, lo, hi, step='mid', alpha=0.3, label='ball enclosure over each box')
ax.plot(fine, vals, 'k', lw=1, label='float64')
ax.set_xlabel('t'); ax.set_ylabel('L(θ0 + t·v)'); ax.legend()
import os
os.makedirs('figures', exist_ok=True)
fig.savefig('figures/core_box_enclosure.png', dpi=120)
inside = all(l - 1e-12 <= vals[i] for i, l in [(int(np.argmin(abs(fine - t))), l) for t, l in zip(ts, lo)])
print('float values above the lower enclosures:', inside)
