"""Homogeneity claims of ``docs/theory/homogeneous_np.md`` (Kumar & Haupt, arXiv:2509.12154; §2.1, claims C1
and C2).

* C1 [D] Euler's identity: ``<w, ∇_w H(x; w)> = L·H(x; w)``, and per block ``<W_l, ∇_{W_l} H> = k_l H``.
* C2 [D] Homogeneity: ``H(x; c·w) = c^L H(x; w)`` for c > 0; adding biases must break it.

How each instance is decided:

* ``exact`` (rational w, x; activations polynomial on pieces): the identity is evaluated in rational
  arithmetic, so the instance is PROVED (or REFUTED) outright;
* ``ball`` (Arb, 128 bits): an enclosure excluding 0 REFUTES; otherwise the result is SUPPORTED with a
  certified bound |residual| ≤ ε (balls cannot certify an equality);
* ``symbolic``: C2 for *all* x, w and c > 0 of an architecture, per activation pattern (sympy);
* negative controls: biases, or a non-homogeneous activation (tanh) with a claimed degree, must be
  REFUTED with a certified counterexample.

KKT points of the NCF (C7 and issue 11, item 6) are PROVED by Krawczyk's test on the whole KKT system
(∇N(u) − λu, (‖u‖² − 1)/2) = 0; negative controls: a degenerate KKT point (linear network, a continuum of
maximisers), a point that is no KKT point, and one that is 10⁻³ from one, must stay INCONCLUSIVE.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from verify import MLP, SquareLoss
from verify import Dataset as _DS
from verify.homogeneous import (
    NCF,
    check_euler_identity,
    check_homogeneity,
    max_ncf,
    ncf_flow,
    neuron_pursuit,
    prove_homogeneity_symbolic,
    small_init_experiment,
)
from verify.homogeneous.pursuit import armijo_gd
from verify.report import ProofCheck
from verify.result import Quantity, Result, Verdict

PAPER = "homogeneous_np (Kumar & Haupt, arXiv:2509.12154)"
REF = "docs/theory/homogeneous_np.md"
P, R, S = Verdict.PROVED, Verdict.REFUTED, Verdict.SUPPORTED


def _rationals(seed: int, shape, den: int = 7) -> np.ndarray:
    """Reproducible small rationals k/den with |k| ≤ 2·den (object array of Fractions).

    ``den`` = 7 is not a power of 2, so balls cannot represent the inputs exactly and the ``ball``
    instances exercise genuine enclosures (dyadic inputs would make Arb compute exactly).
    """
    rng = np.random.default_rng(seed)
    ks = rng.integers(-2 * den, 2 * den + 1, size=shape)
    out = np.empty(shape, dtype=object)
    for idx, k in np.ndenumerate(ks):
        out[idx] = Fraction(int(k), den)
    return out


def _instance(widths, act, bias=False, n=5, seed=0):
    net = MLP(widths, act, bias=bias)
    theta = _rationals(seed + 1000, (net.n_params,))
    if bias:  # a nonzero output bias makes the negative control fail for a reason, not by luck
        theta[net.block(f"b{net.depth}").slice] = Fraction(1, 3)
    return net, _rationals(seed, (n, widths[0])), theta


def _label(net: MLP, arith: str, extra: str = "") -> str:
    acts = ",".join(a.name for a in net.activations)
    L = net.homogeneity_degree
    deg = f" L={L}" if L is not None else ""
    return f"{acts} {net.widths}{' +bias' if net.bias else ''}{deg}, {arith}{extra}"


CHECKS: list[ProofCheck] = []


def _add(claim, net, arith, expected, run, extra="", negative=False):
    CHECKS.append(ProofCheck(
        name=f"homogeneous_np/{claim}/{_label(net, arith, extra).replace(' ', '')}",
        claim=f"{claim} " + ("Euler identity" if claim == "C1" else "homogeneity"),
        instance=_label(net, arith, extra), expected=expected, run=run, paper=PAPER,
        reference=f"{REF} §2.1, {claim}", negative_control=negative))


# ---------------------------------------------------------------- C1: Euler's identity
for widths, act, seed in [([3, 4, 1], "relu", 1), ([2, 3, 3, 1], ("relu_power", 2), 2),
                          ([3, 4, 4, 1], ("leaky_relu", "1/10"), 3), ([2, 3, 1], "abs", 4)]:
    net, X, th = _instance(widths, act, seed=seed)
    _add("C1", net, "exact", P, lambda net=net, X=X, th=th: check_euler_identity(net, X, th, "exact"))
    _add("C1", net, "ball", S, lambda net=net, X=X, th=th: check_euler_identity(net, X, th, "ball", 128))

# relu^(3/2): not polynomial on its piece, so only balls (certified bound, SUPPORTED)
net, X, th = _instance([2, 4, 1], ("relu_power", "3/2"), seed=5)
_add("C1", net, "ball", S, lambda net=net, X=X, th=th: check_euler_identity(net, X, th, "ball", 128))
# the theory file's toy figure: float-precision agreement for relu^2 with L = 3
net, X, th = _instance([3, 5, 1], ("relu_power", 2), seed=6)
_add("C1", net, "float", S, lambda net=net, X=X, th=th: check_euler_identity(net, X, th, "float"))

# negative controls: biases (claimed degree 2), and tanh (not homogeneous, claimed degree 2)
net, X, th = _instance([3, 4, 1], "relu", bias=True, seed=7)
_add("C1", net, "exact", R, lambda net=net, X=X, th=th: check_euler_identity(net, X, th, "exact", degree=2),
     extra=", claimed L=2", negative=True)
_add("C1", net, "ball", R, lambda net=net, X=X, th=th: check_euler_identity(net, X, th, "ball", 128, degree=2),
     extra=", claimed L=2", negative=True)
net, X, th = _instance([2, 3, 1], "tanh", seed=8)
_add("C1", net, "ball", R, lambda net=net, X=X, th=th: check_euler_identity(net, X, th, "ball", 128, degree=2),
     extra=", claimed L=2", negative=True)

# ---------------------------------------------------------------- C2: homogeneity
for widths, act, c, seed in [([3, 4, 1], "relu", Fraction(3, 7), 11),
                             ([2, 3, 3, 1], ("relu_power", 2), Fraction(5, 2), 12),
                             ([3, 4, 4, 1], ("leaky_relu", "1/10"), Fraction(1, 3), 13)]:
    net, X, th = _instance(widths, act, seed=seed)
    _add("C2", net, "exact", P, lambda net=net, X=X, th=th, c=c: check_homogeneity(net, X, th, c, "exact"),
         extra=f", c={c}")
    _add("C2", net, "ball", S, lambda net=net, X=X, th=th, c=c: check_homogeneity(net, X, th, c, "ball", 128),
         extra=f", c={c}")
net, X, th = _instance([2, 4, 1], ("relu_power", "3/2"), seed=14)
_add("C2", net, "ball", S, lambda net=net, X=X, th=th: check_homogeneity(net, X, th, 2, "ball", 128), extra=", c=2")

# for all x, w, c > 0: symbolic proof per activation pattern
for widths, act in [([2, 2, 2, 1], "relu"), ([2, 2, 2, 1], ("relu_power", 2)), ([2, 2, 2, 1], ("leaky_relu", "1/10")),
                    ([2, 3, 1], "abs"), ([2, 2, 1], ("relu_power", "3/2")), ([2, 2, 1], ("power", 3))]:
    net = MLP(widths, act)
    _add("C2", net, "symbolic", P, lambda net=net: prove_homogeneity_symbolic(net), extra=", all x,w,c")

# negative control: biases break homogeneity
net, X, th = _instance([3, 4, 1], "relu", bias=True, seed=15)
_add("C2", net, "exact", R, lambda net=net, X=X, th=th: check_homogeneity(net, X, th, 2, "exact", degree=2),
     extra=", c=2, claimed L=2", negative=True)
_add("C2", net, "ball", R, lambda net=net, X=X, th=th: check_homogeneity(net, X, th, 2, "ball", 128, degree=2),
     extra=", c=2, claimed L=2", negative=True)

# ====================================================================== §2.2–§3: NCF, saddles, Neuron Pursuit
# (float dynamics are numerical evidence: SUPPORTED; exact arithmetic and Arb enclosures certify)
I = Verdict.INCONCLUSIVE
_RNG = np.random.default_rng(2024)
X_NCF = _RNG.normal(size=(6, 2))
Y_NCF = _RNG.normal(size=6)
RELU2 = ("relu_power", 2)


def _sup(ok, claim, msg, **kw):
    return Result(S if ok else I, claim=claim, arithmetic="float", message=msg, **kw)


def _c3(act):
    net = MLP([2, 4, 1], act)
    L = net.homogeneity_degree
    loss = SquareLoss(net, _DS(X_NCF, Y_NCF), normalization="half_sum")
    ncf = NCF(net, X_NCF, Y_NCF)
    w0 = np.random.default_rng(1).standard_normal(net.n_params)
    s_vals = [1e-1, 1e-2, 1e-3]
    ratios = []
    for s in s_vals:
        w = s * w0
        gN = np.asarray(ncf.grad(w), float)
        ratios.append(float(np.linalg.norm(-np.asarray(loss.grad(w), float) - gN) / np.linalg.norm(gN)))
    slope = float(np.polyfit(np.log(s_vals), np.log(ratios), 1)[0])
    return _sup(abs(slope - L) < 0.05, "‖−∇Loss − ∇N_y‖/‖∇N_y‖ ∝ s^L at w = s·w0",
                f"log-log slope {slope:.4f} (L = {L}); ratios {', '.join(f'{r:.3g}' for r in ratios)}",
                quantity=Quantity("slope", slope))


def _c4():
    net = MLP([2, 4, 1], RELU2)
    data = _DS(X_NCF, Y_NCF)
    errs, coss = [], []
    for delta in (1e-2, 1e-3):
        out = small_init_experiment(net, data, delta, 0.2, seed=1)
        errs.append(abs(out["norm_w_over_delta"] - out["norm_u_tau"]) / out["norm_u_tau"])
        coss.append(out["cos_w_u_tau"])
    ok = errs[1] < errs[0] and errs[1] < 1e-3 and coss[1] > 0.999999
    return _sup(ok, "w(τ/δ^(L−2)) ≈ δ·u(τ)", f"relative error of ‖w‖/δ vs ‖u(τ)‖: {errs[0]:.2g} (δ=1e-2) → "
                f"{errs[1]:.2g} (δ=1e-3); cos(w, u(τ)) = {coss[0]:.8f} → {coss[1]:.8f}")


def _best_kkt(act, m=6, restarts=8, certify=True):
    net = MLP([2, m, 1], act)
    return net, max_ncf(net, X_NCF, Y_NCF, restarts=restarts, seed=3, certify=certify)[0]


def _c7():
    """The best KKT point found: Krawczyk proves a true KKT point (u*, λ*) of max N s.t. ‖u‖² = 1 in a small box
    (the whole KKT system, sphere constraint included; zero neurons pinned), and N(u*) > 0 from its enclosure."""
    _, k = _best_kkt(RELU2)
    res = k.result
    if res is None or res.verdict is not P:
        return Result(I, claim="u* is a non-negative KKT point of max N_y on the sphere", arithmetic="ball",
                      precision=128, message=res.message if res is not None else "no certificate attempted")
    lo, hi = k.N_enclosure
    ok = k.sign_certified
    return Result(P if ok else I, claim="u* is a non-negative KKT point of max N_y on the sphere",
                  quantity=Quantity("N(u*)", k.N, (lo, hi)), margin=lo, arithmetic="ball", precision=128,
                  scope=res.scope if ok else {}, certificate=res.certificate,
                  message=f"Krawczyk: a KKT point exists in a box of radius ≤ {float(res.scope['box'][0].rad()):.1g} "
                          f"(neurons {k.pinned_neurons} pinned to 0); N(u*) ∈ [{float(lo):.12g}, {float(hi):.12g}]"
                          + (" > 0 certified" if ok else " (sign not certified)"))


def _c8():
    net, k = _best_kkt(RELU2, certify=False)
    v = net.views(k.u)
    W1, W2 = np.asarray(v["W1"], float), np.asarray(v["W2"], float).reshape(-1)
    degs = net.block_degrees
    L = net.homogeneity_degree
    split = [abs(float(np.sum(np.asarray(v[f"W{l}"], float) ** 2)) - degs[l - 1] / L) for l in (1, 2)]
    j = k.active_neurons[0]
    ratio = float(np.sum(W1[j] ** 2) / W2[j] ** 2)
    ok = max(split) < 1e-10 and abs(ratio - 2) < 1e-10
    return _sup(ok, "‖W_l‖² = k_l/L and ‖w_j‖²/v_j² = p at a KKT point", f"‖W1‖² − 2/3 = {split[0]:.1e}, ‖W2‖² − 1/3 = "
                f"{split[1]:.1e}; active neuron ‖w_j‖²/v_j² = {ratio:.12f} (p = 2)")


def _c9():
    net = MLP([2, 3, 1], RELU2)
    loss = SquareLoss(net, _DS(X_NCF, Y_NCF), normalization="half_sum")
    w0 = 0.5 * np.random.default_rng(5).standard_normal(net.n_params)

    def cons(w):
        v = net.views(w)
        return np.sum(np.asarray(v["W1"], float) ** 2, axis=1) - 2 * np.asarray(v["W2"], float).reshape(-1) ** 2

    drifts = []
    for eta in (1e-3, 5e-4):
        w = w0.copy()
        for _ in range(int(0.5 / eta)):
            w = w - eta * np.asarray(loss.grad(w), float)
        drifts.append(float(np.max(np.abs(cons(w) - cons(w0)))))
    from verify.convergence import gradient_flow

    sol = gradient_flow(loss, w0, 0.5, method="scipy", n_points=5)
    gf = float(np.max(np.abs(cons(sol.thetas[-1]) - cons(w0))))
    ok = gf < 1e-8 and 1.6 < drifts[0] / drifts[1] < 2.4
    return _sup(ok, "‖w_j‖² − p·v_j² is conserved by GF (drift O(η) for GD)",
                f"GF drift {gf:.1e}; GD drift {drifts[0]:.2e} (η = 1e−3) and {drifts[1]:.2e} (η = 5e−4): "
                f"ratio {drifts[0] / drifts[1]:.2f} ≈ 2")


def _c10():
    _, k2 = _best_kkt(RELU2, m=8, certify=False)
    _, k1 = _best_kkt("relu", m=8, certify=False)
    ok = len(k2.active_neurons) == 1 and len(k1.active_neurons) > 1
    return _sup(ok, "the NCF maximiser is sparse for relu² (one active neuron), not for ReLU",
                f"relu²: {len(k2.active_neurons)} active neuron(s) of 8; ReLU: {len(k1.active_neurons)} active")


def _c11():
    """Exact GD on relu² with a zero neuron: the neuron stays exactly 0 (rational arithmetic)."""
    from verify.convergence import gd

    net = MLP([2, 3, 1], RELU2)
    data = _DS([[1, Fraction(1, 2)], [Fraction(-1, 3), 1], [Fraction(1, 4), Fraction(-1, 2)]], [1, 0, Fraction(1, 2)])
    loss = SquareLoss(net, data, normalization="half_sum")
    th = np.array([Fraction(k, 5) for k in (1, -2, 3, 2, 0, 0, 1, 2, 0)], dtype=object)  # neuron 2 is (0, 0; 0)
    v = net.views(np.arange(net.n_params))
    zero = [int(i) for i in list(np.asarray(v["W1"])[2]) + [np.asarray(v["W2"]).reshape(-1)[2]]]
    traj = gd(loss, th, Fraction(1, 10), 4, "exact")
    stays = all(all(t[i] == 0 for i in zero) for t in traj.thetas)
    # embedded stationarity: the padded point's gradient is the small net's gradient, padded with exact zeros
    small = SquareLoss(MLP([2, 2, 1], RELU2), data, normalization="half_sum")
    keep = [i for i in range(net.n_params) if i not in zero]
    g_big, g_small = loss.grad(th, "exact"), small.grad(th[keep], "exact")
    embedded = all(g_big[i] == 0 for i in zero) and all(g_big[i] == gs for i, gs in zip(keep, g_small))
    ok = stays and embedded
    from verify.result import make_scope

    scope = make_scope("these 4 exact GD steps (η = 1/10) from this θ on these 3 data points, and the gradient at "
                       "this padded point", count=len(traj.thetas), horizon=4, eta=Fraction(1, 10), points=3)
    return Result(P if ok else R, claim="zero neurons stay exactly zero under GD; padded gradients are embedded",
                  arithmetic="exact", scope=scope if ok else {},
                  message=f"4 exact GD steps: the zero neuron's weights {zero} remain exactly 0: {stays}; ∇Loss at "
                  f"the padded point = (∇Loss of the 2-neuron net, 0) exactly: {embedded} (so a "
                  "stationary point of the small net is one of the big net)")


def _padded_saddle(act, seed):
    """Train a 1-neuron net (Armijo GD), pad it with 2 zero neurons: the saddle (w̄_n, 0). For ReLU, GD from
    many starts stalls on a kink (a pre-activation at 1e−16, gradient ≫ 0); ``seed`` picks a start whose limit
    is a genuine stationary point off the kinks (checked: ‖∇‖ < 1e−6 is part of the claim)."""
    data = _DS(X_NCF, Y_NCF)
    small = SquareLoss(MLP([2, 1, 1], act), data, normalization="half_sum")
    th, _ = armijo_gd(small, 0.5 * np.random.default_rng(seed).standard_normal(small.n_params), 20000, 1e-12)
    big_net = MLP([2, 3, 1], act)
    big = SquareLoss(big_net, data, normalization="half_sum")
    w = np.zeros(big_net.n_params)
    v = big_net.views(np.arange(big_net.n_params))
    w[np.asarray(v["W1"])[0]] = th[:2]
    w[np.asarray(v["W2"]).reshape(-1)[0]] = th[2]
    return big_net, big, w


def _c12(act, K, seed):
    from verify.homogeneous import saddle_analysis

    _, _, w = _padded_saddle(act, seed)
    res = saddle_analysis(_DS(X_NCF, Y_NCF), act, w, 3)
    want = "strict saddle" if K == 2 else "degenerate saddle"
    ok = res.verdict == S and res.certificate["classification"].startswith(want)
    return _sup(ok, f"saddle order at (w̄_n, 0) (K = {K}): {want}", res.message)


def _c16():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(40, 5))
    A = rng.normal(size=(2, 5))
    b = np.array([1.0, -0.7])
    y = (np.maximum(X @ A.T, 0) ** 2) @ b
    res = neuron_pursuit(_DS(X, y), RELU2, max_neurons=4, tol_L=1e-10)
    Ls = [h["train_loss"] for h in res.history]
    Ns = [h["N_star"] for h in res.history]
    decreasing = all(a >= b_ - 1e-12 for a, b_ in zip(Ls, Ls[1:])) and all(a >= b_ for a, b_ in zip(Ns, Ns[1:]))
    ok = decreasing and Ls[-1] < 1e-8
    return _sup(ok, "NP: loss non-increasing, N* decreasing, a 2-neuron teacher fit in about 2 iterations",
                f"train loss per iteration {', '.join(f'{v:.3g}' for v in Ls)}; "
                f"N* {', '.join(f'{v:.3g}' for v in Ns)}; {res.neurons} neurons; stop: {res.stop_reason}")


def _bad_input():
    from verify.homogeneous import NotHomogeneousError

    msgs = []
    for net in (MLP([2, 3, 1], "relu", bias=True), MLP([2, 3, 1], "tanh")):
        try:
            NCF(net, X_NCF, Y_NCF)
        except NotHomogeneousError as exc:
            msgs.append(str(exc).split(";")[0][:60])
    return Result(R if len(msgs) == 2 else I, claim="the NCF is defined for these networks", arithmetic="symbolic",
                  message="refused with a reason: " + " | ".join(msgs))


_NP = "homogeneous_np/"


def _addc(claim_id, claim, instance, expected, run, negative=False):
    CHECKS.append(ProofCheck(name=f"{_NP}{claim_id}/{instance}".replace(" ", ""), claim=f"{claim_id} {claim}",
                             instance=instance, expected=expected, run=run, paper=PAPER,
                             reference=f"{REF} §4" if claim_id == "KKT" else f"{REF} §6, {claim_id}",
                             negative_control=negative))


_addc("C3", "near-origin gradient is the NCF gradient", "relu² [2,4,1]", S, lambda: _c3(RELU2))
_addc("C3", "near-origin gradient is the NCF gradient", "relu [2,4,1]", S, lambda: _c3("relu"))
_addc("C4", "scaling law w(t) ≈ δ·u(δ^(L−2) t)", "relu² [2,4,1], τ=0.2", S, _c4)
_addc("C7", "NCF maximiser is a non-negative KKT point", "relu² [2,6,1]", P, _c7)
_addc("C8", "norm split at a KKT point", "relu² [2,6,1]", S, _c8)
_addc("C9", "conservation law under GF", "relu² [2,3,1]", S, _c9)
_addc("C10", "sparsity of the NCF maximiser", "relu² vs relu, m=8", S, _c10)
_addc("C11", "zero-preservation", "relu² [2,3,1], exact GD", P, _c11)
_addc("C12", "strict saddle for K = 2", "relu [2,3,1] padded", S, lambda: _c12("relu", 2, 1))
_addc("C12", "degenerate saddle with an escape direction for K = 3", "relu² [2,3,1] padded", S,
      lambda: _c12(RELU2, 3, 7))
_addc("C16", "Neuron Pursuit loop behaviour", "2-neuron relu² teacher, n=40, d=5", S, _c16)
_addc("NCF", "homogeneity required (biases, tanh)", "relu+bias, tanh", R, _bad_input, negative=True)


def _trained_unit(act, seed):
    data = _DS(X_NCF, Y_NCF)
    small = SquareLoss(MLP([2, 1, 1], act), data, normalization="half_sum")
    th, _ = armijo_gd(small, 0.5 * np.random.default_rng(seed).standard_normal(small.n_params), 20000, 1e-12)
    return data, th


def _c13():
    from verify.homogeneous import theorem7_experiment

    data, th = _trained_unit(RELU2, 7)
    outs = [theorem7_experiment(data, RELU2, th, 1, 2, dl, 0.1, seed=2) for dl in (1e-2, 1e-3)]
    ok = (outs[1]["drift_w_n"] < outs[0]["drift_w_n"] < 1e-6 and outs[1]["cos_wz_z_tau"] > 1 - 1e-9
          and abs(outs[1]["norm_wz_over_delta"] / outs[1]["norm_z_tau"] - 1) < 1e-5)
    return _sup(ok, "near (w̄_n, 0): w_n stays put, w_z follows the residual-NCF flow (separable two-layer case)",
                f"drift ‖w_n − w̄_n‖ = {outs[0]['drift_w_n']:.1e} → {outs[1]['drift_w_n']:.1e}; ‖w_z‖/δ = "
                f"{outs[1]['norm_wz_over_delta']:.7f} vs ‖z(τ)‖ = {outs[1]['norm_z_tau']:.7f}; cos(w_z, z(τ)) = "
                f"{outs[0]['cos_wz_z_tau']:.10f} → {outs[1]['cos_wz_z_tau']:.10f} (δ = 1e−2 → 1e−3). The deep "
                "(non-separable) instance is not built yet.")


def _c14():
    """d‖w_z‖²/dt = 2K·N_r(w_z) to leading order: compare with the loss gradient at small w_z."""
    data, th = _trained_unit(RELU2, 7)
    net = MLP([2, 3, 1], RELU2)
    loss = SquareLoss(net, data, normalization="half_sum")
    v = net.views(np.arange(net.n_params))
    zidx = np.concatenate([np.asarray(v["W1"])[1:].reshape(-1), np.asarray(v["W2"]).reshape(-1)[1:]])
    nidx = np.concatenate([np.asarray(v["W1"])[0], np.asarray(v["W2"]).reshape(-1)[:1]])
    r = Y_NCF - np.asarray(SquareLoss(MLP([2, 1, 1], RELU2), data, normalization="half_sum").outputs(th),
                           float).reshape(-1)
    ncf_z = NCF(MLP([2, 2, 1], RELU2), X_NCF, r)
    z = np.random.default_rng(4).standard_normal(len(zidx))
    errs = []
    for s in (1e-2, 1e-3):
        w = np.zeros(net.n_params)
        w[nidx] = th
        w[zidx] = s * z
        rate = -2 * float(w[zidx] @ np.asarray(loss.grad(w), float)[zidx])  # d‖w_z‖²/dt under GF
        pred = 2 * 3 * float(ncf_z.value(s * z))
        errs.append(abs(rate - pred) / abs(pred))
    return _sup(errs[1] < errs[0] < 0.05, "d‖w_z‖²/dt ≈ 2K·N_r(w_z) near the saddle (K = 3)",
                f"relative error {errs[0]:.2e} (‖w_z‖ ∝ 1e−2) → {errs[1]:.2e} (1e−3)")


def _c15():
    """K = 2: along u*, ‖u‖ grows like exp(2N*t); K = 3 (relu²): time to blow-up 1/(3N*‖u‖). K = 2 uses a
    two-layer linear unit (smooth); along a ReLU maximiser on a kink the flow is not smooth."""
    out = []
    for act, K in (("identity", 2), (RELU2, 3)):
        net = MLP([2, 1, 1], act)
        k = max_ncf(net, X_NCF, Y_NCF, restarts=6, seed=1)[0]
        if K == 2:
            ts, U, _ = ncf_flow(net, X_NCF, Y_NCF, k.u, 2.0, n_points=21)
            per_decade = math.log(10) / (float(np.polyfit(ts, np.log(np.linalg.norm(U, axis=1)), 1)[0]))
            pred = math.log(10) / (2 * k.N)
            out.append((abs(per_decade - pred) / pred,
                        f"linear unit (K = 2): time per decade {per_decade:.5f} vs ln10/(2N*) = {pred:.5f}"))
        else:
            u0 = 50 * k.u
            ts, U, _ = ncf_flow(net, X_NCF, Y_NCF, u0, 1.0, n_points=2001, blowup=1e7)
            pred = 1 / (3 * k.N * 50)
            out.append((abs(ts[-1] - pred) / pred, f"relu²: blow-up after {ts[-1]:.6f} vs 1/(3N*‖u‖) = {pred:.6f}"))
    ok = all(e < 1e-2 for e, _ in out)
    return _sup(ok, "escape-time scaling along u* (K = 2 and K = 3)", "; ".join(m for _, m in out))


def _c5_c6():
    net = MLP([2, 4, 1], RELU2)
    data = _DS(X_NCF, Y_NCF)
    w0 = np.random.default_rng(1).standard_normal(net.n_params)
    ts, _, _ = ncf_flow(net, X_NCF, Y_NCF, w0 / np.linalg.norm(w0), 10.0)
    tau = 0.9 * ts[-1]
    outs = [small_init_experiment(net, data, dl, tau, seed=1) for dl in (1e-1, 1e-2, 1e-3)]
    norms = [o["norm_w_over_delta"] for o in outs]
    coss = [o["cos_w_flow_direction"] for o in outs]
    ok = max(norms) / min(norms) < 1.5 and coss[2] >= coss[1] >= coss[0] - 1e-6
    return _sup(ok, "‖w‖ stays O(δ) up to the horizon and the direction converges as δ → 0",
                f"at τ = 0.9τ*: ‖w‖/δ = {', '.join(f'{v:.4f}' for v in norms)}; cos(w, flow direction) = "
                f"{', '.join(f'{v:.6f}' for v in coss)} (δ = 1e−1, 1e−2, 1e−3)")


_addc("C5", "norm O(δ) and directional convergence (with C6)", "relu² [2,4,1], τ=0.9τ*", S, _c5_c6)
_addc("C13", "Theorem-7 behaviour near (w̄_n, 0)", "relu², 1 trained + 2 new units", S, _c13)
_addc("C14", "escape certificate d‖w_z‖²/dt ≈ 2K N_r", "relu², padded 1-unit saddle", S, _c14)
_addc("C15", "escape-time scaling", "linear unit (K=2), relu² (K=3)", S, _c15)


def _c13_deep():
    from verify.homogeneous import deep_theorem7_experiment

    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(8, 2)), rng.normal(size=8)
    data = _DS(X, y)
    loss = SquareLoss(MLP([2, 1, 2, 1], RELU2), data, normalization="half_sum")
    th, _ = armijo_gd(loss, 0.7 * np.random.default_rng(0).standard_normal(loss.n_params), 30000, 1e-12)
    g = float(np.linalg.norm(np.asarray(loss.grad(th), float)))
    outs = [deep_theorem7_experiment(data, RELU2, th, [2, 1, 2, 1], dl, 2.0, seed=3) for dl in (1e-1, 1e-2)]
    errs = [abs(o["norm_wz_over_delta"] / o["norm_u_tau"] - 1) + (1 - o["cos_wz_u_tau"]) for o in outs]
    ok = g < 1e-6 and errs[1] < errs[0] and outs[1]["drift_w_n"] < outs[0]["drift_w_n"]
    return _sup(ok, "Theorem-7 behaviour on a deep (3-layer, non-separable) network: the new unit follows the "
                "leading-order residual NCF", f"trained net ‖∇‖ = {g:.1e}; mismatch (norm + angle) {errs[0]:.2e} → "
                f"{errs[1]:.2e} and drift of w_n {outs[0]['drift_w_n']:.1e} → {outs[1]['drift_w_n']:.1e} (δ = 1e−1 → "
                f"1e−2); the flow turned the direction to cos(u(τ), z0) = {outs[1]['cos_u_tau_z0']:.4f}. Evidence for "
                "the reconstructed statement; the theorem's own hypotheses are not known")


_addc("C13", "Theorem-7 behaviour, deep instance", "relu² [2,1(+1),2,1]", S, _c13_deep)


def _c16_deep():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 4))
    W1, W2, W3 = rng.normal(size=(2, 4)) / 2, rng.normal(size=(2, 2)), rng.normal(size=(1, 2))
    y = ((np.maximum(np.maximum(X @ W1.T, 0) ** 2 @ W2.T, 0) ** 2) @ W3.T).ravel()
    res = neuron_pursuit(_DS(X, y), RELU2, depth=3, max_neurons=3, inner_steps=3000)
    Ls = [h["train_loss"] for h in res.history]
    ok = all(a >= b - 1e-12 for a, b in zip(Ls, Ls[1:])) and res.history[-1]["widths"] == [4, 2, 2, 1] and Ls[-1] < 1e-3
    return _sup(ok, "deep NP: loss non-increasing; it grows the widths of a [4, 2, 2, 1] teacher",
                f"widths {[h['widths'] for h in res.history]}, train loss {', '.join(f'{v:.3g}' for v in Ls)}")


_addc("C16", "Neuron Pursuit on a deep (3-layer) teacher", "relu² teacher [4,2,2,1], n=60", S, _c16_deep)


# ====================================================================== KKT certificates (issue 11, item 6)
# Two-layer linear network, X = [[3/5, 4/5], [−4/5, 3/5]], z = (1, 2): max N on the sphere is ‖Xᵀz‖/2 = √5/2.
# The old max_ncf reported a point off the sphere (‖u‖² − 1 ≈ 1e−8) with N above √5/2 and a "certified" KKT
# residual of 1e−37 that ignored the sphere constraint.
X_LIN = [[Fraction(3, 5), Fraction(4, 5)], [Fraction(-4, 5), Fraction(3, 5)]]
Z_LIN = [1, 2]


def _lin_top():
    import sympy as sp

    from verify.arith.decide import compare

    k = max_ncf(MLP([2, 1, 1], "identity"), X_LIN, Z_LIN, restarts=4)[0]
    res = k.result
    claim = "a KKT point of max N on ‖u‖ = 1 exists at the top candidate and N(u*) encloses √5/2"
    if res.verdict is not P:
        return Result(I, claim=claim, arithmetic="ball", precision=128, message=res.message)
    lo, hi = k.N_enclosure
    star = sp.sqrt(5) / 2
    inside = compare(lo, star) <= 0 and compare(hi, star) >= 0
    return Result(P if inside else R, claim=claim, quantity=Quantity("N(u*)", k.N, (lo, hi)), arithmetic="ball",
                  precision=128, scope=res.scope, certificate=res.certificate,
                  message=f"{res.message}; √5/2 {'∈' if inside else '∉ (an unsound enclosure)'} the enclosure")


def _lin_degenerate():
    """[2, 3, 1] linear: the maximisers form a continuum (rotations of the hidden layer), so Krawczyk cannot
    isolate one: no certificate, whatever the float residual. The old code reported N ∉ its true range here."""
    pts = max_ncf(MLP([2, 3, 1], "identity"), X_LIN, Z_LIN, restarts=4)
    certified = [k for k in pts if k.certified]
    res = pts[0].result
    if certified:
        return Result(R, claim="a KKT point of the degenerate linear NCF is certified", arithmetic="ball",
                      scope=certified[0].result.scope, message="a degenerate KKT point was certified")
    return Result(I, claim="a KKT point of the degenerate linear NCF is certified", arithmetic="ball",
                  message=res.message)


def _not_a_kkt_point():
    """A unit vector that is not a KKT point: no certificate."""
    from verify.homogeneous import certify_kkt

    return certify_kkt(MLP([2, 1, 1], "identity"), X_LIN, Z_LIN, [1, 0, 1])


def _near_miss(max_distance):
    """The maximiser moved by 10⁻³: Newton walks back to it and Krawczyk certifies it, but it is not within
    ``max_distance`` of the given point unless that allows 10⁻³."""
    from verify.homogeneous import certify_kkt

    u = np.array([-1 / math.sqrt(10), 2 / math.sqrt(10), 1 / math.sqrt(2)]) + 1e-3 * np.array([1, -1, 0.5])
    return certify_kkt(MLP([2, 1, 1], "identity"), X_LIN, Z_LIN, u, max_distance=max_distance)


_addc("KKT", "certified KKT point of the linear NCF (issue 11 item 6)", "identity [2,1,1], X rotation, z=(1,2)", P,
      _lin_top)
_addc("KKT", "degenerate KKT points are not certified", "identity [2,3,1], X rotation, z=(1,2)", I, _lin_degenerate,
      negative=True)
_addc("KKT", "a non-KKT point is not certified", "identity [2,1,1], u=(1,0,1)", I, _not_a_kkt_point, negative=True)
_addc("KKT", "a KKT point 1e-3 away is not certified as near", "identity [2,1,1], u*+1e-3, max_distance=1e-6", I,
      lambda: _near_miss(Fraction(1, 10**6)), negative=True)
_addc("KKT", "the same point with max_distance = 1e-2", "identity [2,1,1], u*+1e-3, max_distance=1e-2", P,
      lambda: _near_miss(Fraction(1, 100)))
