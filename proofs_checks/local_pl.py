"""Claims of Chatterjee, arXiv:2203.16462 (local PL criterion; the derived forms in docs/theory/local_pl.md
§1.2, §2.2).

§5 worked examples with closed-form answers: f = x² (α = 4, the criterion iff |x0| < r, rates attained
with equality), ¼(x² − 1)² (α = 4(x0 − r)², the exact r-interval (0.2258, 0.9742), β = 8.72 and
η_max = 0.0892 at r = 0.6), under-determined least squares (α = 2λ_min(AAᵀ), the GD limit and the
equality case of the distance bound), the negative control (x² − 1)² + 0.3(x − 1)² with a spurious
minimum (criterion refuted for every r), f(x0) = 0. §6 claims 1–13, including the tanh-network
claims at W₁ = 0 (positive initialisation), the certified first-layer PL bound, the output-scale
effect, and the exploratory σ(0) ≠ 0 case.
"""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import sympy as sp

import verify as vf
from verify import convergence as cv
from verify import pl
from verify.certify import zero_test
from verify.numbers import to_fraction
from verify.report import ProofCheck
from verify.result import Quantity, Result, Verdict, make_scope

PAPER = "local_pl (Chatterjee, arXiv:2203.16462)"
REF = "docs/theory/local_pl.md"
P, R, S, I = Verdict.PROVED, Verdict.REFUTED, Verdict.SUPPORTED, Verdict.INCONCLUSIVE
CHECKS: list[ProofCheck] = []


def _add(claim, instance, expected, run, section, negative=False, slow=False):
    name = f"local_pl/{claim.split()[0]}/{instance}".replace(" ", "")
    CHECKS.append(ProofCheck(name=name, claim=claim, instance=instance, expected=expected, run=run, paper=PAPER,
                             reference=f"{REF} {section}", negative_control=negative, slow=slow))


x = sp.Symbol("x")
SQUARE = vf.Objective.from_sympy(x**2, [x])
QUARTIC = vf.Objective.from_sympy((x**2 - 1) ** 2 / 4, [x])
SPURIOUS = vf.Objective.from_sympy((x**2 - 1) ** 2 + F(3, 10) * (x - 1) ** 2, [x])
A_LS = [[1, 1, 0], [0, 1, 1]]  # AAᵀ = [[2, 1], [1, 2]]: eigenvalues 3 and 1, eigenvector (1, −1) for 1
LSQ = vf.SquareLoss(vf.MLP([3, 1], "identity"), vf.Dataset(A_LS, [1, -1]), normalization="half_sum")  # ½‖Ax − b‖²


def _supported(claim, ok, msg, **kw):
    return Result(S if ok else I, claim=claim, arithmetic="float", message=msg, **kw)


# ------------------------------------------------------------------ §5.1 f = x²
_add("C4-alpha α(x0, r) = 4 for f = x² on every ball", "x², x0=1, r=3/2", P,
     lambda: _alpha_equals(SQUARE, [1], F(3, 2), F(4)), "§5.1")
_add("CRIT-x² criterion holds iff |x0| < r", "x², x0=1, r=101/100", P,
     lambda: pl.chatterjee(SQUARE, [1], F(101, 100)), "§5.1")
_add("CRIT-x² criterion at |x0| = r fails (4 is sharp)", "x², x0=1, r=1", R,
     lambda: pl.chatterjee(SQUARE, [1], 1), "§1.2 sharpness", negative=True)
_add("C3-tight GD rate (1 − 2η)² attained with equality", "x², η=1/10, 40 steps, exact", P,
     lambda: cv.check_rate(cv.gd(SQUARE, [1], F(1, 10), 40, "exact"), F(16, 25), [1], 1), "§6 claim 3")
_add("C3-tight any smaller q is violated", "x², η=1/10, q=0.64·0.999", R,
     lambda: cv.check_rate(cv.gd(SQUARE, [1], F(1, 10), 40, "ball"), F(16, 25) * F(999, 1000)), "§6 claim 3",
     negative=True)


def _gf_square():
    sol = cv.gradient_flow(SQUARE, [1], 2, n_points=9)
    rate = cv.observed_rate(sol)["rate"]
    ok = abs(rate - 4) < 1e-9 and np.allclose(sol.losses, np.exp(-4 * sol.ts), rtol=1e-12)
    return _supported("GF rate e^{−4t} attained", ok, f"fitted rate {rate:.15g} (α = 4), mpmath error estimate "
                      f"{sol.error_estimate:.2g}", quantity=Quantity("rate", rate))


_add("C3-tight GF rate e^{−αt} attained with equality", "x², mpmath Taylor", S, _gf_square, "§6 claim 3")

# ------------------------------------------------------------------ §5.2 ¼(x² − 1)²


def _alpha_equals(obj, x0, r, exact):
    b = pl.alpha(obj, x0, r)
    ok = b.lower is not None and b.lower <= exact <= b.upper
    tight = b.tightness or 0
    if ok and b.lower == b.upper == exact:  # both certified bounds are the exact value: α is proved
        return Result(P, claim=f"α(x0, r) = {exact}", quantity=Quantity("α", exact, (b.lower, b.upper)),
                      margin=0, arithmetic="ball", precision=128,
                      scope=make_scope("α over the closed ball B(x0, r)", count=1, x0=[str(v) for v in x0], r=r,
                                       precision=128),
                      message=f"certified lower bound ({b.lower_method}) = certified upper bound (witness) = {exact}")
    return Result(S if ok and tight > 0.999 else R if not ok else I, claim=f"α(x0, r) = {exact}",
                  quantity=Quantity("α", float(exact), (b.lower, b.upper)), margin=tight, arithmetic="ball",
                  precision=128, message=f"certified α ∈ [{float(b.lower):.10g}, {float(b.upper):.10g}] contains the "
                  f"closed form {float(exact):.10g} (tightness {tight:.6f}); balls bound an equality, not certify it")


for r in (F(1, 5), F(1, 2), F(9, 10)):
    _add("C4-alpha α(1.2, r) = 4(1.2 − r)²", f"¼(x²−1)², r={r}", S,
         lambda r=r: _alpha_equals(QUARTIC, [F(6, 5)], r, 4 * (F(6, 5) - r) ** 2), "§5.2, §6 claim 4")
for r, exp in (("0.2", R), ("0.23", P), ("0.5", P), ("0.9", P), ("0.97", P), ("0.98", R), ("1.1", R)):
    _add("C4-interval criterion holds iff r ∈ (0.2258, 0.9742)", f"¼(x²−1)², x0=1.2, r={r}", exp,
         lambda r=r: pl.chatterjee(QUARTIC, [F(6, 5)], F(r)), "§5.2, §6 claim 4", negative=exp == R)


def _gd_quartic():
    res = pl.chatterjee_gd(QUARTIC, [F(6, 5)], F(3, 5), eta=F(8, 100))
    if res.verdict != P:
        return res
    c = res.certificate
    tr = cv.gd(QUARTIC, [F(6, 5)], c["eta"], 300, "ball")
    out = cv.check_rate(tr, c["q"], [F(6, 5)], F(3, 5))
    out.message = (f"β ≤ {float(c['beta_upper']):.6g}, η_max ≥ {float(c['eta_max']):.6g}, η = {float(c['eta'])}, "
                   f"q = {float(c['q']):.6g}; " + out.message)
    return out


_add("C2-gd containment and rate f(x_k) ≤ q^k f0 (β = 8.72, η_max = 0.0892)", "¼(x²−1)², r=0.6, η=0.08", P,
     _gd_quartic, "§2.2, §5.2, §6 claim 2")


def _gf_quartic():
    b = pl.alpha(QUARTIC, [F(6, 5)], F(3, 5))
    sol = cv.gradient_flow(QUARTIC, [F(6, 5)], 4, n_points=17)
    a = float(b.lower)
    f0 = sol.losses[0]
    dist = float(np.max(np.abs(sol.thetas[:, 0] - 1.2)))
    ok = dist <= 2 * math.sqrt(f0 / a) < 0.6 and np.all(sol.losses <= np.exp(-a * sol.ts) * f0 * (1 + 1e-12))
    return _supported("GF containment and rate", ok, f"max |x(t) − x0| = {dist:.6g} ≤ 2√(f0/α) = "
                      f"{2 * math.sqrt(f0 / a):.6g} < r; f(x(t)) ≤ e^(−αt) f0 at all 17 samples (α ≥ {a:.6g})")


_add("C1-gf containment max‖x(t) − x0‖ ≤ 2√(f0/α) < r and f ≤ e^{−αt} f0", "¼(x²−1)², r=0.6", S, _gf_quartic,
     "§1.2, §6 claim 1")

# ------------------------------------------------------------------ §5.3 least squares


def _ls_alpha():
    # Arb at 128 bits (fast=False skips the float64-ball rung, whose bound 2 − 8e−15 is certified but too loose to
    # show the equality to 30 digits)
    lo = pl.alpha_lower_ntk(LSQ, [0, 0, 0], 10, fast=False)
    up, _, _ = pl.alpha_upper(LSQ, [0, 0, 0], 10)
    ok = 2 - F(1, 10**30) < lo <= 2 <= up
    # margin: the slack of the check 2 − 10⁻³⁰ < lo ≤ 2 ≤ up (0 when the witness bound is exactly 2); lo − 2 < 0 by
    # the rounding, so it read as a violation next to SUPPORTED
    return Result(S if ok else R, claim="α = 2λ_min(AAᵀ) = 2 on every ball", quantity=Quantity("α", 2, (lo, up)),
                  margin=float(min(lo - (2 - F(1, 10**30)), up - 2, 2 - lo)), arithmetic="ball", precision=128,
                  message=f"certified NTK lower bound {float(lo):.35g} (2 − {float(2 - lo):.2g}; J = A is constant, "
                          f"so only rounding separates it from 2) and witness upper bound {float(up):.10g}")


def _ls_equality():
    """x* = x0 − A⁺(Ax0 − b) exactly; ‖x* − x0‖² = 4 f0/α when Ax0 − b is along the smallest eigenvector."""
    A = sp.Matrix(A_LS)
    b = sp.Matrix([1, -1])
    xstar = A.T * (A * A.T).inv() * b  # x0 = 0
    f0 = sp.Rational(1, 2) * (b.T * b)[0]
    lhs = (xstar.T * xstar)[0]
    rhs = 4 * f0 / 2
    traj = cv.gd(LSQ, [0, 0, 0], F(1, 4), 400, "float")
    err = float(np.max(np.abs(traj.thetas_float[-1] - np.array([float(v) for v in xstar]))))
    ok = lhs == rhs
    return Result(P if ok else R, claim="equality in the distance bound for an aligned residual",
                  quantity=Quantity("‖x* − x0‖²", str(lhs)), margin=0, arithmetic="exact",
                  scope=make_scope("the instance A = [[1, 1, 0], [0, 1, 1]], b = (1, −1), x0 = 0 (exact)", count=1),
                  message=f"‖x* − x0‖² = {lhs} = 4f0/α = {rhs} exactly (x* = {list(xstar)}); the GD limit matches x* "
                          f"to {err:.1e} (float64, 400 steps)")


_add("C6-lsq α = 2λ_min(AAᵀ) on every ball (NTK bound, witness)", "½‖Ax−b‖², A 2×3", S, _ls_alpha,
     "§5.3, §6 claim 6")
_add("C6-lsq GD limit is the projection; equality case of the distance bound", "½‖Ax−b‖², b ∥ v_min", P,
     _ls_equality, "§5.3, §6 claim 6")
_add("C2-gd least squares: containment and rate certified", "½‖Ax−b‖², r=2, ball GD", P,
     lambda: _gd_certified(LSQ, [0, 0, 0], F(2)), "§6 claim 2")


def _gd_certified(obj, x0, r, steps=200):
    res = pl.chatterjee_gd(obj, x0, r)
    if res.verdict != P:
        return res
    c = res.certificate
    out = cv.check_rate(cv.gd(obj, x0, c["eta"], steps, "ball"), c["q"], x0, r)
    out.message = f"η = {c['eta']}, q = {float(c['q']):.6g}: " + out.message
    return out


def _lsq_floor():
    res = pl.chatterjee_gd(LSQ, [0, 0, 0], F(2))  # the certified step and rate (η = 1/4 is above η_max ≥ 0.185)
    if res.verdict != P:
        return res
    tr = cv.gd(LSQ, [0, 0, 0], res.certificate["eta"], 2000, "float")
    return cv.check_rate(tr, res.certificate["q"])


_add("C2-floor a float64 run at its round-off floor is not a violation", "½‖Ax−b‖², 2000 float steps", S,
     _lsq_floor, "§6 claim 2 (numerical note)")

# ------------------------------------------------------------------ §5.4 negative control, §5.5
for r in (F(1, 4), F(1, 2), F(684, 1000), 1, 2, 5):
    _add("C5-negative criterion fails for every r (spurious minimum)", f"(x²−1)²+0.3(x−1)², x0=−1.5, r={r}", R,
         lambda r=r: pl.chatterjee(SPURIOUS, [F(-3, 2)], r), "§5.4, §6 claim 5", negative=True)


def _spurious_limit():
    tr = cv.gd(SPURIOUS, [F(-3, 2)], F(1, 100), 3000, "float")
    xl = float(tr.thetas_float[-1][0])
    fl = float(tr.losses_float[-1])
    ok = abs(xl - (-0.5 - 1 / math.sqrt(10))) < 1e-6 and abs(fl - 1.10101) < 1e-4
    return _supported("GD converges to the spurious minimum", ok, f"x_K = {xl:.8f} (−1/2 − 1/√10 = "
                      f"{-0.5 - 1 / math.sqrt(10):.8f}), f = {fl:.6f} > 0")


_add("C5-negative GD from −1.5 converges to the spurious minimum −0.81623", "η=0.01", S, _spurious_limit, "§5.4")
_add("C5-zero f(x0) = 0: the criterion 0 < r²α holds with α = 4 certified", "x², x0=0", P,
     lambda: pl.chatterjee(SQUARE, [0], 1), "§5.5")

# ------------------------------------------------------------------ §6 network claims (tanh, n ≤ d)
NET = vf.MLP([3, 4, 4, 1], "tanh")
X_NN = [[1, 0, F(1, 2)], [0, 1, -1]]
Y_NN = [1, -1]
NN = vf.SquareLoss(NET, vf.Dataset(X_NN, Y_NN))


def _claim7():
    th = vf.init.positive(NET, 3)
    F_ = NN.outputs(th, "ball")
    g = NN.grad(th, "ball")
    v = NET.views(np.arange(NET.n_params))
    rest = [g[i] for blk in ("W2", "W3") for i in np.asarray(v[blk]).reshape(-1)]
    GW1 = np.array([g[i] for i in np.asarray(v["W1"]).reshape(-1)], dtype=object).reshape(NET.widths[1], 3)
    minors = [GW1[a, b] * GW1[c, d] - GW1[a, d] * GW1[c, b] for a in range(4) for c in range(a + 1, 4)
              for b in range(3) for d in range(b + 1, 3)]
    L = NN.value(th, "ball")
    mean_y2 = F(sum(F(t) ** 2 for t in Y_NN), len(Y_NN))
    from flint import fmpq

    zt = zero_test(np.array([*F_.reshape(-1), *rest, *minors, L - fmpq(mean_y2.numerator, mean_y2.denominator)],
                            dtype=object), "ball")
    return Result(zt.verdict, claim="F ≡ 0, f = mean(y²), ∇_{W_ℓ≥2} f = 0, rank ∇_{W1} f = 1 at W1 = 0",
                  quantity=Quantity("max |entry|", None), arithmetic="ball", precision=128, message=zt.message,
                  scope=make_scope("the point θ0 = positive init (λ = 3) of tanh [3,4,4,1]", count=1, precision=128))


_add("C7-zero-layer at W1 = 0: F ≡ 0, f = mean(y²), other gradients 0, ∇_{W1} f rank 1", "tanh [3,4,4,1]", P,
     _claim7, "§3.3 facts 2–3, §6 claim 7")


def _claim8(seed):
    from verify.pl.alpha import _box, schur_lower_on_box

    rng = np.random.default_rng(seed)
    th0 = vf.init.positive(NET, 2)
    pts = [th0] + [np.array([t + F(int(k), 64) for t, k in zip(th0, rng.integers(-4, 5, size=NET.n_params))],
                            dtype=object) for _ in range(4)]
    worst = None
    for pt in pts:
        bound = schur_lower_on_box(NN, _box(list(pt), [F(0)] * len(pt), 128), 128)
        rat = pl.ratio(NN, pt, "ball", 128)
        slack = to_fraction(rat.lower()) - bound if rat.lower().is_finite() else None
        if slack is None or slack < 0:
            return Result(I, claim="PL ratio ≥ (4/n) λ_min(XXᵀ) min_j ‖u_j‖²", arithmetic="ball", precision=128,
                          message=f"could not certify at a point (ratio ≥ {rat.lower()}, bound {float(bound):.6g})")
        worst = slack if worst is None else min(worst, slack)
    return Result(P, claim="PL ratio ≥ (4/n) λ_min(XXᵀ) min_j ‖u_j‖²", margin=worst, arithmetic="ball", precision=128,
                  scope=make_scope("θ0 and 4 rational points near it", count=len(pts), precision=128),
                  message=f"certified at θ0 and 4 random points nearby (smallest slack {float(worst):.6g})")


_add("C8-schur ‖∇f‖²/f ≥ (4/n) λ_min(XXᵀ) min_j ‖∂F(x_j)/∂z_1‖²", "tanh [3,4,4,1], θ0 and 4 points", P,
     lambda: _claim8(8), "§3.3 fact 1, §6 claim 8")


def _claim9_scaling():
    from verify.pl.alpha import _box, schur_lower_on_box

    vals = []
    for lam in (1, 2, 4, 8):
        th = vf.init.positive(NET, lam)
        vals.append(schur_lower_on_box(NN, _box(list(th), [F(0)] * NET.n_params, 128), 128) / lam**2)
    Ls = {NN.value(vf.init.positive(NET, lam), "ball").mid() for lam in (1, 2, 4, 8)}
    ok = len(set(vals)) == 1 and len(Ls) == 1
    return Result(P if ok else R, claim="at θ0 the bound scales exactly like λ² and f(θ0) does not depend on λ",
                  quantity=Quantity("bound/λ²", float(vals[0])), arithmetic="ball", precision=128,
                  scope=make_scope("θ0 = positive init with λ = 1, 2, 4, 8", count=4, precision=128),
                  message=f"bound(λ)/λ² = {float(vals[0]):.10g} for λ = 1, 2, 4, 8 (identical values); f(θ0) = "
                          f"{float(next(iter(Ls))):.6g} for every λ")


_add("C9-scale first-layer bound ∝ λ², f(θ0) independent of λ", "tanh [3,4,4,1], λ=1,2,4,8", P, _claim9_scaling,
     "§6 claim 9")
_add("C9-scale criterion not certified at a small output scale", "tanh [3,4,4,1], λ=2, r=1/10", I,
     lambda: pl.chatterjee(NN, vf.init.positive(NET, 2), F(1, 10)), "§6 claim 9")
_add("C9-scale criterion certified at a large output scale", "tanh [3,4,4,1], λ=16, r=1/10", P,
     lambda: pl.chatterjee(NN, vf.init.positive(NET, 16), F(1, 10)), "§6 claim 9")


def _claim10():
    th0 = vf.init.positive(NET, 4)
    tr = cv.gd(NN, th0, F(1, 2000), 3000, "float", stop_below=1e-24)  # stop at the float64 floor
    L = tr.losses_float
    th = tr.thetas_float
    dist = float(np.max(np.linalg.norm(th - th[0], axis=1)))
    mus = [pl.ratio(NN, t) for t, Lk in zip(th[::300], L[::300]) if Lk > 0]
    k = np.arange(len(L))
    rate = -np.polyfit(k[len(k) // 2:], np.log(L[len(k) // 2:]), 1)[0]
    ok = L[-1] < 1e-12 * L[0] and rate > 0 and min(mus) > 0
    return _supported("GD from positive init converges geometrically", ok,
                      f"L: {L[0]:.3g} → {L[-1]:.3g} in {len(L) - 1} steps (fitted rate {rate:.3g}/step); "
                      f"max ‖θ_k − θ0‖ = {dist:.3g}; min PL ratio on the path {min(mus):.3g}")


_add("C10-positive GD from positive init drives the loss to ~0 geometrically", "tanh [3,4,4,1], λ=4", S,
     _claim10, "§6 claim 10")


def _claim11():
    from verify.arith.eigen import exact_eigen_intervals

    X = np.array([[F(1), F(0)], [F(0), F(1)], [F(1), F(1)]], dtype=object)  # n = 3 > d = 2
    G = X.dot(X.T)
    lam = exact_eigen_intervals(G)[0]
    return Result(P if lam.lo == lam.hi == 0 else R, claim="λ_min(XXᵀ) = 0 when n > d",
                  quantity=Quantity("λ_min", str(lam.exact)), arithmetic="exact",
                  scope=make_scope("the data matrix X = [[1, 0], [0, 1], [1, 1]]", count=1),
                  message="λ_min(XXᵀ) = 0 exactly: the first-layer bound is vacuous, as it must be (no failure "
                          "is claimed; the hypothesis n ≤ d is used)")


_add("C11-data n > d makes the first-layer bound vacuous", "X 3×2", P, _claim11, "§6 claim 11")


def _claim12():
    th_pos = vf.init.positive(NET, 4)
    th_xav = vf.init.xavier(NET, seed=0)
    out = {}
    for name, th in (("positive", th_pos), ("xavier", th_xav)):
        tr = cv.gd(NN, th, F(1, 2000), 4000, "float", stop_below=1e-6)
        out[name] = tr.steps if tr.stopped else None
    msg = f"steps to L ≤ 1e−6·L0: positive init {out['positive']}, Xavier {out['xavier']}"
    if out["positive"] and out["xavier"]:
        msg += f" (speed-up {out['xavier'] / out['positive']:.2f}×; no factor is hard-coded)"
    return _supported("positive vs Xavier initialisation", out["positive"] is not None, msg)


_add("C12-compare positive vs Xavier initialisation (reported, not asserted)", "tanh [3,4,4,1], η=1/2000", S,
     _claim12, "§6 claim 12")


def _claim13():
    net = vf.MLP([3, 4, 4, 1], "softplus")
    loss = vf.SquareLoss(net, vf.Dataset(X_NN, Y_NN))
    tr = cv.gd(loss, vf.init.positive(net, 4), F(1, 2000), 2000, "float")
    L = tr.losses_float
    return Result(I, claim="σ(0) ≠ 0 (softplus) from the naive positive init", arithmetic="float",
                  message=f"exploratory (docs/theory/local_pl.md §6 claim 13): L {L[0]:.3g} → {L[-1]:.3g} in 2000 "
                          "steps; the paper's construction for σ(0) ≠ 0 is not known, so no verdict is claimed")


_add("C13-exploratory σ(0) ≠ 0 (softplus): no verdict until the construction is known", "softplus [3,4,4,1]", I,
     _claim13, "§6 claim 13")

# ------------------------------------------------------------------ soundness: corrected expectations, controls
# GD: the step is an exact rational strictly inside (0, η_max) and q < 1 is certified; a PROVED with
# η = 0 or q ≥ 1 would be vacuous (it was issued for 1e8·x² when η was rounded to a 10⁻⁶ grid).
STEEP = vf.Objective.from_sympy(sp.Float(1e8) * x**2, [x])


def _gd_nonvacuous(obj, x0, r):
    res = pl.chatterjee_gd(obj, x0, r)
    if res.verdict == P:
        c = res.certificate
        if not (0 < c["eta"] < c["eta_max"] and 0 <= c["q"] < 1):
            return Result(R, claim=res.claim, arithmetic="ball", precision=128,
                          message=f"vacuous certificate: η = {c['eta']}, q = {c['q']}")
        res.message = f"η = {float(c['eta']):.6g} ∈ (0, η_max), q = {float(1 - c['q']):.3g} below 1: " + res.message
    return res


_add("GD-nonvacuous linear convergence with η > 0 and q < 1 when η_max < 10⁻⁶", "1e8·x², x0=1, r=2", P,
     lambda: _gd_nonvacuous(STEEP, [1], 2), "§2.2")
_add("GD-nonvacuous η_max = 2⁻²⁰⁰: exact step, terminates (the old step search looped)", "x², x0=1−2⁻²⁰⁰, r=1", P,
     lambda: _gd_nonvacuous(SQUARE, [1 - F(1, 2**200)], 1), "§2.2")
_add("GD-nonvacuous at |x0| = r the GD criterion is refuted with the flow criterion", "x², x0=1, r=1", R,
     lambda: pl.chatterjee_gd(SQUARE, [1], 1), "§1.2, §2.2", negative=True)
# f(x0) = 0: the criterion reads 0 < r²α; α = 0 at a degenerate zero (x⁴: ratio 16x² → 0), and x³ is
# not nonnegative (the theorem's hypothesis fails; 0 is no minimiser). Neither may be PROVED.
_add("C5-zero f(x0) = 0 at a degenerate zero: α = 0, not PROVED", "x⁴, x0=0, r=1", I,
     lambda: pl.chatterjee(vf.Objective.from_sympy(x**4, [x]), [0], 1), "§5.5", negative=True)
_add("C5-zero f(x0) = 0 but f changes sign: L ≥ 0 fails, not PROVED", "x³, x0=0, r=1", I,
     lambda: pl.chatterjee(vf.Objective.from_sympy(x**3, [x]), [0], 1), "§5.5", negative=True)
# α near a non-degenerate zero of L: the near-zero Hessian bound gives α ≥ 2(a − ε)²/(a + ε), exact for
# quadratics (ε = 0), where branch-and-bound alone stays at 0 (the ratio has no finite box enclosure at 0).
y = sp.Symbol("y")
ELLIPSE = vf.Objective.from_sympy(x**2 + 4 * y**2, [x, y])
SOS_IRR = vf.Objective.from_sympy((x**2 - 2) ** 2 + (y - x) ** 2, [x, y])  # zero at (√2, √2)


def _alpha_at_least(obj, x0, r, value):
    b = pl.alpha(obj, x0, r)
    claim = f"α(x0, r) ≥ {value}"
    if b.upper is not None and b.upper < value:
        return Result(R, claim=claim, quantity=Quantity("α", None, (b.lower, b.upper)), arithmetic="ball",
                      precision=128, message=f"certified upper bound {float(b.upper):.6g} < {value}")
    if b.lower is not None and b.lower >= value:
        return Result(P, claim=claim, quantity=Quantity("α", None, (b.lower, b.upper)), margin=b.lower - value,
                      arithmetic="ball", precision=128, message=f"certified lower bound by {b.lower_method}",
                      scope=make_scope("α over the closed ball B(x0, r)", count=1, x0=[str(v) for v in x0], r=r,
                                       boxes=b.methods["bnb"]["boxes"], precision=128))
    return Result(I, claim=claim, quantity=Quantity("α", None, (b.lower, b.upper)), arithmetic="ball", precision=128,
                  message=f"α ∈ [{float(b.lower):.6g}, {float(b.upper):.6g}] ({b.lower_method}); {b.note}")


_add("C4-near-zero α = 2λ_min = 4 on a ball around the zero of x² + 4y² (near-zero Hessian bound)",
     "x²+4y², x0=(0,1), r=3/2", P, lambda: _alpha_at_least(ELLIPSE, [0, 1], F(3, 2), 4), "§5.6")
_add("CRIT-near-zero criterion certified on a ball containing the zero", "x²+4y², x0=(1,0), r=3/2", P,
     lambda: pl.chatterjee(ELLIPSE, [1, 0], F(3, 2)), "§5.6")
_add("CRIT-near-zero criterion at x0 = (0, 1): α = 4 but 4L(x0) = 16 > r²α = 9", "x²+4y², x0=(0,1), r=3/2", R,
     lambda: pl.chatterjee(ELLIPSE, [0, 1], F(3, 2)), "§5.6", negative=True)
_add("CRIT-near-zero irrational zero (√2, √2), certified by Krawczyk on the squared terms",
     "(x²−2)²+(y−x)², x0=(7/5,7/5), r=1/10", P, lambda: pl.chatterjee(SOS_IRR, [F(7, 5), F(7, 5)], F(1, 10)), "§1.2")


# ----------------------------------------------- the theorem's gradient-flow conclusion on a validated tube (issue 14)
_FLOW_CACHE: dict = {}


def _quartic_tube():
    """The exact gradient flow of ¼(x² − 1)² from x0 = 6/5 on [0, 5], enclosed by a validated Taylor tube."""
    if "tube" not in _FLOW_CACHE:
        _FLOW_CACHE["tube"] = cv.validated_flow(QUARTIC, [F(6, 5)], 5)
    return _FLOW_CACHE["tube"]


# on B(6/5, 3/5): α ≥ 4(6/5 − 3/5)² = 36/25 (§5.2), and 4L(x0) = 121/625 < r²α = 324/625: the theorem says the flow
# stays in the ball and L(x(t)) ≤ e^{−αt}L(x0)
_add("GF-conclusion the gradient flow stays in B(x0, r) on [0, 5] (validated tube)", "¼(x²−1)², x0=6/5, r=3/5, T=5",
     P, lambda: cv.flow_stays_in_ball(_quartic_tube(), [F(6, 5)], F(3, 5)), "§1.2")
_add("GF-conclusion L(x(t)) ≤ e^(−αt)L(x0) on [0, 5] with α = 36/25 (validated tube)",
     "¼(x²−1)², x0=6/5, α=36/25, T=5", P, lambda: cv.flow_rate(QUARTIC, _quartic_tube(), F(36, 25)), "§1.2")
_add("GF-conclusion a rate above the flow's (α = 9 > sup ‖∇L‖²/L near 1 = 4x²) is REFUTED",
     "¼(x²−1)², x0=6/5, α=9, T=5", R, lambda: cv.flow_rate(QUARTIC, _quartic_tube(), 9), "§1.2",
     negative=True)


# ------------------------------------------------------------------ issue 15: real data (scikit-learn's digits)
# 10 digits (0 vs 1, pixels p/16 as exact rationals, seed 0): n = 10 ≤ d = 64, linearly independent (exact rank).
# Bias-free tanh [64, 8, 1] at the positive initialisation (W₁ = 0, output layer λ): L(θ0) = mean(y²) = 1 whatever
# λ is, while the first-layer bound of α on the ball grows like λ² (§3.3, claim 9). notebooks/08_real_data_local_pl
# shows the whole picture (steps to ε, the λ sweep, the certified radii).
_REAL: dict = {}


def _digits_loss(n, widths, seed=0):
    key = (n, tuple(widths), seed)
    if key not in _REAL:
        data = vf.datasets.digits(classes=(0, 1), n=n, seed=seed)
        _REAL[key] = vf.SquareLoss(vf.MLP(list(widths), "tanh"), data)
    return _REAL[key]


def _digits_criterion():
    from verify.pl.initialisation import exact_rank

    loss = _digits_loss(10, [64, 8, 1])
    rank = exact_rank(loss.data)
    if rank < loss.data.n:
        return Result(I, claim="criterion on digits", arithmetic="exact",
                      message=f"the inputs are not linearly independent (exact rank {rank} < {loss.data.n})")
    res = pl.chatterjee(loss, vf.init.positive(loss.net, 64), F(1, 10), starts=1)
    res.message = (f"10 digits (0 vs 1, seed 0), exact rank {rank} = n: " + res.message)
    return res


_add("REAL-digits criterion 4L(θ0) < r²α(θ0, r) PROVED on a digits subset at the positive initialisation",
     "10 digits 0/1, tanh [64,8,1], λ=64, r=1/10", P, _digits_criterion, "§3.3, §6 claim 9")


def _corollary_he():
    """The probabilistic corollary as measured by pl.criterion_probability: He draws, output layer × 16."""
    res = pl.criterion_probability(_digits_loss(4, [64, 3, 3, 1]), F(1, 200), output_scale=16, kind="he",
                                   samples=8, starts=0)
    res.message = "statistical evidence, not a proof — " + res.message
    return res


def _corollary_positive(samples=20):
    """Random positive initialisations (middle layer drawn, entries k/64 in [1/2, 3/2]; seeds 0…N−1): each draw
    certified or not by pl.chatterjee; SUPPORTED when the exact Clopper–Pearson 95 % lower bound of the probability
    of certification exceeds 1/2 (a statistical statement about the draw, never PROVED)."""
    loss = _digits_loss(4, [64, 3, 3, 1])
    per = [pl.chatterjee(loss, vf.init.positive(loss.net, 1024, seed=s), F(1, 200), starts=0).verdict
           for s in range(samples)]
    k = sum(v == P for v in per)
    lo, hi = pl.clopper_pearson(k, samples)
    claim = "P(a random positive initialisation is certified) > 1/2 (95 % Clopper–Pearson)"
    msg = (f"statistical evidence, not a proof: {k}/{samples} random positive initialisations PROVED "
           f"({sum(v == R for v in per)} REFUTED); exact Clopper–Pearson 95 % interval for the probability of "
           f"certification [{float(lo):.4f}, {float(hi):.4f}] (outward-rounded)")
    return Result(S if lo > F(1, 2) else I, claim=claim, quantity=Quantity("fraction certified", F(k, samples),
                                                                           (lo, hi)),
                  margin=float(lo - F(1, 2)), arithmetic="float", seed=0,
                  certificate={"per_seed": [v.value for v in per], "clopper_pearson": [lo, hi], "level": F(95, 100)},
                  message=msg)


_add("REAL-corollary fraction of He initialisations certified, Clopper–Pearson interval (SUPPORTED: statistical)",
     "4 digits 0/1, tanh [64,3,3,1], output ×16, r=1/200, 8 draws", S, _corollary_he, "§3.3, §6 claim 12")
_add("REAL-corollary random positive initialisations certified with probability > 1/2 (SUPPORTED: statistical, "
     "Clopper–Pearson)", "4 digits 0/1, tanh [64,3,3,1], λ=1024, r=1/200, 20 draws", S, _corollary_positive,
     "§3.3, §6 claim 9")
