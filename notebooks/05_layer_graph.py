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
# # Convolutional and attention networks: one layer graph, every arithmetic
#
# The non-singularity theorem for the GD map (Crăciun & Ghoshdastidar, arXiv:2510.24466) covers fully connected,
# convolutional and softmax-attention layers with piecewise-analytic activations and the cross-entropy loss.
# This notebook builds such networks with `vf.nn` and then:
#
# 1. checks that float, mp, ball and exact arithmetic agree, and that balls enclose the high-precision value;
# 2. reads an activation region of a ReLU CNN, max-pooling argmaxes included, and the polynomial loss on it;
# 3. computes the exceptional step sizes of a region exactly, and certifies non-singularity of the GD map of
#    a CNN and of a softmax-attention network with the cross-entropy loss;
# 4. imports a network from ONNX with its weights taken exactly.

# %%
import pathlib
from fractions import Fraction as F

import matplotlib.pyplot as plt
import numpy as np

import verify as vf
from verify import gdmap
from verify.arith.ball import contains

nn = vf.nn
rng = np.random.default_rng(0)

# %% [markdown]
# ## A small CNN with max pooling and a softmax-attention network
# Weight shapes follow PyTorch/ONNX. θ lists the blocks `W1` (conv kernel), `b1`, `W2`, `b2` (dense) in order.

# %%
cnn = nn.Sequential(nn.Conv2d(1, 2, kernel=2, bias=True), nn.Act("relu"), nn.MaxPool2d(2),
                    nn.Flatten(), nn.Dense(3, bias=True), input_shape=(1, 5, 5))
att = nn.Sequential(nn.SelfAttention(2, heads=1, bias=False), nn.Flatten(), nn.Dense(2, bias=False),
                    input_shape=(3, 2))
print(cnn)
print(att)
print(cnn.param_names[:4], "…", cnn.homogeneity_degree, att.homogeneity_degree)

X_img = rng.integers(-2, 3, size=(4, 1, 5, 5))                  # 4 images with exact integer pixels
labels = [0, 2, 1, 0]
ce_cnn = vf.CrossEntropyLoss(cnn, vf.Dataset(X_img, labels))
X_tok = rng.integers(-2, 3, size=(3, 3, 2))                      # 3 sequences of 3 tokens in R^2
ce_att = vf.CrossEntropyLoss(att, vf.Dataset(X_tok, [0, 1, 1]))
theta_cnn = np.array([F(int(k), 5) + F(1, 97) for k in rng.integers(-5, 6, cnn.n_params)], dtype=object)
theta_att = np.array([F(int(k), 4) + F(1, 89) for k in rng.integers(-4, 5, att.n_params)], dtype=object)

# %% [markdown]
# ## The arithmetics agree; balls enclose the value at four times the precision
# The same forward definition runs in every arithmetic. Derivatives come from reverse mode (gradient) and from
# forward-over-reverse (Hessian), with no derivative code in any layer.

# %%
for name, loss, th in [("CNN", ce_cnn, theta_cnn), ("attention", ce_att, theta_att)]:
    g_float = loss.grad(th)
    g_mp = loss.grad(th, "mp", 512)
    g_ball = loss.grad(th, "ball", 128)
    H_float = loss.hessian(th)
    H_mp = loss.hessian(th, "mp", 512)
    H_ball = loss.hessian(th, "ball", 128)
    print(f"{name}: p = {loss.n_params}, |grad float − mp| = {np.abs(g_float - g_mp.astype(float)).max():.1e}, "
          f"|H float − mp| = {np.abs(H_float - H_mp.astype(float)).max():.1e}, "
          f"ball ∋ mp: {all(contains(b, m) for b, m in zip(np.r_[g_ball, H_ball.ravel()], np.r_[g_mp, H_mp.ravel()]))}, "
          f"max radius {max(float(b.rad()) for b in H_ball.ravel()):.1e}")

# %% [markdown]
# ## Regions: activation pieces and max-pooling argmaxes
# A region pattern has one array per site: the piece of every ReLU input, then the entry chosen in every pooling
# window. On a region, the square loss of a ReLU CNN is a polynomial in θ. Ties in a pooling window between dead
# ReLU outputs (all exactly 0) are not a boundary: the tied entries are the same constant on the region.

# %%
sq_cnn = vf.SquareLoss(cnn, vf.Dataset(X_img, rng.integers(-1, 2, size=(4, 3))))
pattern = sq_cnn.region(theta_cnn)
print("ReLU pieces, image 0, channel 0:\n", pattern[0][0, 0])
print("pool argmax, image 0:\n", pattern[1][0])
poly = sq_cnn.on_region(pattern)
print("polynomial on the region:", poly.is_polynomial(*cnn.symbols), "| exact value matches:",
      poly.subs(dict(zip(cnn.symbols, theta_cnn))) == sq_cnn.value(theta_cnn, "exact"))

# %% [markdown]
# ## The GD map: exceptional step sizes and certified non-singularity
# On a region where every ReLU unit is dead, the network's outputs are its output bias: the Hessian is constant
# there and its nonzero eigenvalue gives an exceptional step size, computed exactly. At an ordinary step size the
# GD map is certified non-singular (Arb ball determinant, exact endpoint comparison).

# %%
dead = cnn.views(np.array(theta_cnn, dtype=object))
dead = {k: v.copy() for k, v in dead.items()}
dead["W1"][:] = F(-1, 3)
dead["b1"][:] = -20                                              # every pre-activation negative: all units off
theta_dead = cnn.flatten(dead)
ex = gdmap.exceptional_step_sizes(sq_cnn, theta_dead)
print("dead region:", ex.result.verdict, [str(e.eta) for e in ex.confirmed])
print(gdmap.check_nonsingular(sq_cnn, F(1, 10), regions=[theta_cnn]).summary())
print(gdmap.check_nonsingular(ce_att, F(1, 10), regions=[theta_att]).summary())

# %% [markdown]
# ## det(I − η∇²L) along η for the CNN (square loss) and the attention network (cross-entropy)

# %%
etas = np.linspace(0.01, 3, 300)
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for ax, (name, loss, th) in zip(axes, [("ReLU CNN, square loss", sq_cnn, theta_cnn),
                                       ("attention, cross-entropy", ce_att, theta_att)]):
    ev = np.linalg.eigvalsh(loss.hessian(th))
    ax.plot(etas, [np.prod(1 - e * ev) for e in etas])
    for lam in ev[ev > 1 / 3]:
        ax.axvline(1 / lam, color="red", lw=0.5)
    ax.axhline(0, color="k", lw=0.5)
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_title(name)
    ax.set_xlabel("η")
    ax.set_ylabel("det(I − η∇²L(θ))")
fig.tight_layout()
out = pathlib.Path("figures")
out.mkdir(exist_ok=True)
fig.savefig(out / "layer_graph_det.png", dpi=110)

# %% [markdown]
# ## Import from ONNX
# PyTorch and JAX export ONNX. Here an ONNX graph is built with `onnx.helper` (Conv → Relu → MaxPool → Flatten →
# Gemm), imported, and compared with ONNX's reference evaluator. The weights are float32; each one is an exact
# dyadic rational, so θ holds exactly the numbers stored in the file.

# %%
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

Wc = rng.normal(size=(2, 1, 2, 2)).astype(np.float32)
bc = rng.normal(size=2).astype(np.float32)
Wd = rng.normal(size=(3, 8)).astype(np.float32)
bd = rng.normal(size=3).astype(np.float32)
graph = helper.make_graph(
    [helper.make_node("Conv", ["x", "Wc", "bc"], ["c"], kernel_shape=[2, 2]),
     helper.make_node("Relu", ["c"], ["r"]),
     helper.make_node("MaxPool", ["r"], ["m"], kernel_shape=[2, 2], strides=[2, 2]),
     helper.make_node("Flatten", ["m"], ["f"], axis=1),
     helper.make_node("Gemm", ["f", "Wd", "bd"], ["y"], transB=1)],
    "cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 1, 5, 5])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 3])],
    [numpy_helper.from_array(a, n) for a, n in [(Wc, "Wc"), (bc, "bc"), (Wd, "Wd"), (bd, "bd")]])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
net, theta = nn.from_onnx(model)
print(net)
x = rng.integers(-2, 3, size=(2, 1, 5, 5)).astype(np.float32)
ref = ReferenceEvaluator(model).run(None, {"x": x})[0]
ours = vf.SquareLoss(net, vf.Dataset(x, np.zeros((2, 3)))).outputs(theta, "exact")
print("max |ours − onnx reference| =", np.abs(ours.astype(float) - ref).max(), "| θ exact:", theta[0])
