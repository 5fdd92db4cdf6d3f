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
# # Checking a conjecture: find, shrink and certify a counterexample
#
# **Conjecture** (plausible, and false): *for a two-layer ReLU network trained with the square loss, GD decreases
# the loss monotonically for every step size η < 2/λ_max(∇²L(θ0)).* The bound is the classical stability threshold
# of a quadratic; it uses the curvature at the start only.
#
# We state it as a `vf.Claim` with a signed margin (min over 10 steps of the relative loss drop), let
# hypothesis search for violations (steered by `target(−margin)`), shrink the violation to a minimal instance,
# re-check it in Arb ball arithmetic, export it, and then check a true statement that survives.

# %%
from fractions import Fraction as F
import json
import pathlib

import numpy as np
import sympy as sp
from hypothesis import strategies as st

import verify as vf

claim = vf.claims.get_claim("gd-monotone-relu")  # built in; see verify/claims/library.py for its prop
print(claim.description)
report = vf.check(claim, max_examples=300, seed=0)
print(report.summary())

# %% [markdown]
# ## The minimal counterexample, exactly
# One hidden ReLU unit, one data point. In exact form (sympy) and in LaTeX:

# %%
ce = report.counterexample
s = ce.to_sympy()
print("loss:", s["loss"], "  θ:", s["theta"], "  scalars:", s["scalars"])
print(ce.to_latex())
print("certificate:", report.result.certificate)

# %% [markdown]
# ## Replay it by hand in exact rational arithmetic
# With the certified step size recorded in the certificate, the exact GD iterates show the increase.

# %%
eta = report.result.certificate["eta"]
loss, theta = ce.loss(), [F(v) for v in ce.theta]
losses = []
for _ in range(4):
    losses.append(F(int(loss.value(theta, "exact").p), int(loss.value(theta, "exact").q)))
    g = loss.grad(theta, "exact")
    theta = [t - eta * F(int(gi.p), int(gi.q)) for t, gi in zip(theta, g)]
print([float(v) for v in losses], "increase at step 1:", losses[2] > losses[1])

# %% [markdown]
# ## Export, and re-verify from the file
# The file is JSON with exact rationals as strings, loaded with schema validation (`verify recheck FILE`).

# %%
path = pathlib.Path("counterexample.json")
report.save_counterexample(path)
print(json.loads(path.read_text())["instance"])
print(vf.claims.recheck_file(path).verdict)

# %% [markdown]
# ## A true statement survives
# For a linear model the loss is quadratic, its Hessian constant, and GD with η < 2/λ_max contracts every
# eigen-component of the error: the same property holds. Sampling can only *support* it, never prove it.

# %%
true_report = vf.check("gd-monotone-linear", max_examples=300, seed=0)
print(true_report.summary())

# %% [markdown]
# ## Your own claim in a few lines
# Any property of generated instances works; margins > 0 mean "holds here", and a certified mode (here: exact
# rational arithmetic) turns a float violation into a certified verdict. The claim: the GD map of a bias-free ReLU
# network is non-singular *at the generated point* (Crăciun & Ghoshdastidar, arXiv:2510.24466 §2). The theorem says "for almost
# every θ"; hypothesis's taste for simple numbers finds a point of the null set where it fails (a dead output
# weight makes 1/η an eigenvalue), and the exact determinant certifies it.

# %%
def nonsingular(inst, arith="float", prec=None):
    G = vf.GDMap(inst.loss(), inst.scalar("eta"))
    if arith == "float":
        d = np.linalg.det(np.asarray(G.jacobian(inst.theta_array()), dtype=float))
        return vf.Result(vf.Verdict.SUPPORTED, margin=abs(d) if d else -1.0)
    from verify.arith.eigen import to_fmpq_mat

    d = to_fmpq_mat(G.jacobian(inst.theta_array(), "exact")).det()
    verdict = vf.Verdict.PROVED if d != 0 else vf.Verdict.REFUTED
    return vf.Result(verdict, margin=1.0 if d != 0 else -1.0, arithmetic="exact", message=f"det = {d}")


mine = vf.Claim("my-nonsingular", vf.strategies.instances(activations=st.just("relu"), bias=False,
                                                           scalars={"eta": vf.strategies.step_sizes()}), nonsingular)
print(vf.check(mine, max_examples=100).summary())
