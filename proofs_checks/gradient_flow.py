"""Claims of the gradient-flow paper (arXiv:2509.23887): gradient flow on ReLU, x² (relu_power(2))
and sigmoid networks; and the soundness controls of the GD rate check (Chatterjee, arXiv:2203.16462).

1. no finite-time blow-up: ‖θ(t)‖ ≤ ‖θ(0)‖ + √(T·L(θ(0))) (the bound computed in Arb);
2. rate: with c = (4/n) min_t λ_min(K(θ(t))), L(θ(t)) ≤ e^{−ct} L(θ(0)) at every sample, and the fitted
   rate is ≥ c (the predicted rate is an input: here the NTK rate along the path);
3. GD tracks GF: max_k ‖θ_k − θ(kη)‖ = O(η) on a fixed horizon;
4. codimension 2: the path from a start at distance ε from {w_0 = w_1 = 0} (two neurons' incoming
   weights) stays at a distance ∝ ε, never reaching it;
5. negative control: duplicated inputs with different labels bound the loss below by an exact
   positive constant, so "L → 0 linearly" is REFUTED (exact certificate), and the flow plateaus.
6. negative control (GD rate check): a float64 GD run that leaves the ball B(x0, r) is never
   SUPPORTED for the claim "θ_k ∈ B(x0, r) and L(θ_k) ≤ q^k L(θ_0)": the exit is re-checked in ball
   arithmetic and REFUTED (x², x0 = 1, η = 1/4, r = 1/10: θ_1 = 1/2); the same run with r = 1 is
   SUPPORTED, and PROVED in ball arithmetic (positive controls).
7. a 6000-step naive ball run whose enclosures blow up (the wrapping effect of interval arithmetic) is
   INCONCLUSIVE with the step named, never a crash and never PROVED; the first 300 steps are PROVED,
   the mean-value enclosure (``form="centered"``) certifies all 6000 steps at 512 bits, and the default
   shadowed run (a rounded orbit plus a certified Lipschitz bound of the GD map) all 6000 at 128 bits.

The float integrator (DOP853, error estimate by a second tolerance) gives claims 1–4 as SUPPORTED
evidence on the three activations; on the sigmoid network they are also PROVED on [0, 1] by a validated
Taylor tube (``cv.validated_flow`` and ``verify.convergence.flow_claims``), with a negative control (a rate
the flow does not have, REFUTED by a certified step-end loss). A ReLU path can reach a kink and slide
along it (a Filippov sliding mode); the float integrator then stops with a clear message and the check is INCONCLUSIVE
(one such instance is listed, seed 3).
"""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import sympy as sp

import verify as vf
from verify import convergence as cv
from verify.arith.decide import decide
from verify.errors import IntegrationError
from verify.report import ProofCheck
from verify.result import Quantity, Result, Verdict, make_scope

PAPER = "gradient_flow (arXiv:2509.23887)"
REF = "docs/theory/gradient_flow.md"
CHATTERJEE = "local PL criterion (Chatterjee, arXiv:2203.16462)"
REF_PL = "docs/theory/local_pl.md §2.2"
P, S, R, I = Verdict.PROVED, Verdict.SUPPORTED, Verdict.REFUTED, Verdict.INCONCLUSIVE
CHECKS: list[ProofCheck] = []

X = [[1, 0, F(1, 2)], [0, 1, -1], [F(1, 2), F(1, 2), 1]]
Y = [1, -1, F(1, 2)]
ACTS = {"relu": "relu", "x²": ("relu_power", 2), "sigmoid": "sigmoid"}


def _instance(act, seed=0):
    net = vf.MLP([3, 6, 1], act)
    loss = vf.SquareLoss(net, vf.Dataset(X, Y))
    rng = np.random.default_rng(seed)
    return loss, rng.normal(size=net.n_params) * 0.7


def _add(claim, instance, expected, run, negative=False, slow=False, paper=PAPER, reference=f"{REF} §3"):
    CHECKS.append(ProofCheck(name=f"gradient_flow/{claim.split()[0]}/{instance}".replace(" ", ""), claim=claim,
                             instance=instance, expected=expected, run=run, paper=paper,
                             reference=reference, negative_control=negative, slow=slow))


def _claim1(act):
    loss, th = _instance(act)
    return cv.no_blowup(loss, cv.gradient_flow(loss, th, 5, method="scipy"))


def _claim2(act):
    loss, th = _instance(act)
    sol = cv.gradient_flow(loss, th, 5, method="scipy", n_points=51)
    lam = cv.ntk_lambda_min_path(sol)
    c = 4 * float(loss.scale) * float(lam.min())
    bound = sol.losses[0] * np.exp(-c * sol.ts)
    ok_bound = bool(np.all(sol.losses <= bound * (1 + 1e-8) + 1e-14))
    rate = cv.observed_rate(sol)["rate"]
    ok = c > 0 and ok_bound and rate >= c * (1 - 1e-6)
    return Result(S if ok else I, claim="L(θ(t)) ≤ e^{−ct} L(θ(0)) with c = (4/n) min λ_min(K); fitted rate ≥ c",
                  quantity=Quantity("fitted rate", rate), margin=rate - c, arithmetic="float",
                  certificate={"c": c, "error_estimate": sol.error_estimate},
                  message=f"predicted c = {c:.4g}, fitted rate {rate:.4g}, bound holds at all {len(sol.ts)} samples: "
                          f"{ok_bound} (DOP853, error estimate {sol.error_estimate:.1g})")


def _claim3(act):
    loss, th = _instance(act)
    runs = cv.gd_vs_gf(loss, th, 2, [F(1, 20), F(1, 40), F(1, 80)])["runs"]
    ratios = [r["distance_over_eta"] for r in runs]
    ok = max(ratios) / min(ratios) < 1.6
    return Result(S if ok else I, claim="max_k ‖θ_k − θ(kη)‖ = O(η) on [0, 2]", quantity=Quantity("distance/η", ratios),
                  arithmetic="float", message="distance/η for η = 1/20, 1/40, 1/80: " +
                  ", ".join(f"{v:.4g}" for v in ratios))


def _claim4(act, seed=0):
    try:
        return _claim4_run(act, seed)
    except IntegrationError as exc:  # a ReLU path that reaches a kink and slides along it
        return Result(I, claim="the flow keeps a distance ∝ ε from a codimension-6 subspace", arithmetic="float",
                      message=f"not decided: {exc}")


def _claim4_run(act, seed):
    loss, th = _instance(act, seed=seed)
    net = loss.net
    rows = [net.block("W1").slice.start + i for i in range(2 * 3)]  # w_0 and w_1 (incoming weights of 2 neurons)
    out = []
    for eps in (1e-1, 1e-2, 1e-3):
        t0 = th.copy()
        t0[rows] *= eps / np.linalg.norm(t0[rows])
        sol = cv.gradient_flow(loss, t0, 2, method="scipy", n_points=41)
        d = float(np.min(np.linalg.norm(sol.thetas[:, rows], axis=1)))
        out.append(d / eps)
    ok = min(out) > 0 and max(out) / min(out) < 2
    return Result(S if ok else I, claim="the flow keeps a distance ∝ ε from a codimension-6 subspace",
                  quantity=Quantity("min distance / ε", out), arithmetic="float",
                  message="min distance/ε for ε = 1e−1, 1e−2, 1e−3: " + ", ".join(f"{v:.3g}" for v in out))


def _claim5():
    """Inputs x_0 = x_1 with labels 1 and −1: f(x_0) = f(x_1), so L = s·Σ_i (f(x_i) − y_i)² ≥
    s·min_f [(f − y_0)² + (f − y_1)²] = s·(y_0 − y_1)²/2 > 0 for every θ (s the loss's exact scale)."""
    Xd = [[1, 0, 1], [1, 0, 1], [0, 1, 0]]
    Yd = [1, -1, 0]
    loss = vf.SquareLoss(vf.MLP([3, 6, 1], "sigmoid"), vf.Dataset(Xd, Yd))
    claim = "L(θ(t)) → 0 linearly"
    if [F(v) for v in Xd[0]] != [F(v) for v in Xd[1]] or Yd[0] == Yd[1]:  # the hypothesis, checked exactly
        return Result(I, claim=claim, message="the duplicated-input construction does not hold")
    inf_bound = loss.scale * F(Yd[0] - Yd[1]) ** 2 / 2  # exact lower bound on L over all θ
    rng = np.random.default_rng(0)
    sol = cv.gradient_flow(loss, rng.normal(size=loss.n_params) * 0.7, 20, method="scipy")
    if decide(inf_bound, ">", 0) is not True:
        return Result(I, claim=claim, message=f"the lower bound {inf_bound} is not certainly positive")
    return Result(R, claim=claim, quantity=Quantity("inf L ≥", inf_bound), margin=-inf_bound,
                  arithmetic="exact", counterexample={"lower_bound_on_L": inf_bound, "reason": "x_0 = x_1, y_0 ≠ y_1"},
                  scope=make_scope("every θ: L(θ) ≥ s·(y_0 − y_1)²/2 > 0, so L cannot tend to 0", count=1),
                  message=f"L(θ) ≥ s·(y_0 − y_1)²/2 = {inf_bound} > 0 for every θ (exact); the flow plateaus at "
                          f"L(20) = {sol.losses[-1]:.6g}")


for name, act in ACTS.items():
    _add("C1-blowup no finite-time blow-up: ‖θ(t)‖ ≤ ‖θ0‖ + √(T L0)", f"{name} [3,6,1], T=5", S,
         lambda act=act: _claim1(act))
    _add("C2-rate observed rate ≥ predicted NTK rate", f"{name} [3,6,1], T=5", S, lambda act=act: _claim2(act))
    _add("C3-gd-gf GD tracks gradient flow, distance O(η)", f"{name} [3,6,1], T=2", S, lambda act=act: _claim3(act))
    _add("C4-codim2 the path avoids a codimension-≥2 subspace", f"{name} [3,6,1]", S, lambda act=act: _claim4(act))
_add("C4-codim2 a ReLU path that reaches a kink and slides: the integrator stops with a clear message",
     "relu [3,6,1], seed 3", I, lambda: _claim4("relu", seed=3), slow=True)
_add("C5-negative duplicated inputs with different labels: no convergence to zero", "sigmoid [3,6,1]", R,
     _claim5, negative=True)


# ------------------------------------------------- the same claims PROVED on [0, T] by a validated tube (issue 14)
T_VALIDATED = 1


def _validated_instance():
    """The sigmoid [3, 6, 1] instance with θ(0) rounded to multiples of 1/64 (an exact start) and its validated
    gradient-flow tube on [0, 1] (Taylor order 28, Arb at 128 bits)."""
    if "tube" not in _VALIDATED:
        loss, th = _instance("sigmoid")
        thq = [F(round(v * 64), 64) for v in th]
        _VALIDATED.update(loss=loss, x0=thq, tube=cv.validated_flow(loss, thq, T_VALIDATED))
    return _VALIDATED["loss"], _VALIDATED["x0"], _VALIDATED["tube"]


_VALIDATED: dict = {}


def _w_pair_distance(box):
    """An Arb enclosure of the distance from θ to {w_0 = w_1} (two neurons' incoming weights equal):
    ‖w_0 − w_1‖/√2, a codimension-3 subspace."""
    loss = _VALIDATED["loss"]
    start = loss.net.block("W1").slice.start
    s = sum(((box[start + i] - box[start + 3 + i]) ** 2 for i in range(3)), box[0] * 0)
    return (s / 2).sqrt()


def _validated(check):
    def run():
        loss, x0, tube = _validated_instance()
        return check(loss, x0, tube)
    return run


_add("C1-blowup-validated the flow exists on [0, T] and ‖θ(t)‖ ≤ ‖θ0‖ + √(T L0) (validated Taylor tube)",
     "sigmoid [3,6,1], T=1", P, _validated(lambda loss, x0, tube: cv.flow_no_blowup(loss, tube)))
_add("C2-rate-validated L(θ(t)) ≤ e^(−t/2)·L(θ0) on [0, T]: ‖∇L‖² ≥ L/2 certified along the tube",
     "sigmoid [3,6,1], T=1, α=1/2", P, _validated(lambda loss, x0, tube: cv.flow_rate(loss, tube, F(1, 2))))
_add("C2-negative-validated a rate the flow does not have (α = 100) is REFUTED by a certified step-end loss",
     "sigmoid [3,6,1], T=1, α=100", R, _validated(lambda loss, x0, tube: cv.flow_rate(loss, tube, 100)),
     negative=True)
_add("C3-gd-gf-validated certified max_k ‖θ_k − θ(kη)‖ ≤ C·η (shadowed GD run against the tube)",
     "sigmoid [3,6,1], T=1, η=1/20", P, _validated(lambda loss, x0, tube: cv.gd_tracks_flow(loss, tube, F(1, 20))))
_add("C4-codim2-validated the path keeps a certified distance from {w_0 = w_1}",
     "sigmoid [3,6,1], T=1", P,
     _validated(lambda loss, x0, tube: cv.flow_avoids(tube, _w_pair_distance, "{w_0 = w_1}")))


# ---------------------------------------------------------------- soundness of the GD rate check (Chatterjee)
_X = sp.Symbol("x")
SQUARE = vf.Objective.from_sympy(_X**2, [_X])
QUARTIC = vf.Objective.from_sympy((_X**2 - 1) ** 2 / 4, [_X])
#: ¼(x² − 1)² on B(6/5, 3/5): α ≥ 4(6/5 − 3/5)² = 36/25, β = sup|3x² − 1| = 218/25; η = 2/25 < η_max
Q_QUARTIC = 1 - F(36, 25) * F(2, 25) * (1 - F(218, 25) * F(2, 25) / 2)


def _float_run_leaves_ball():
    """x_k = 2^−k from x0 = 1 with η = 1/4: θ_1 = 1/2 is outside B(1, 1/10). The float run must not be SUPPORTED."""
    return cv.check_rate(cv.gd(SQUARE, [1], F(1, 4), 20, "float"), F(1, 4), [1], F(1, 10))


_add("C6-negative a float GD run that leaves B(x0, r) is not SUPPORTED: the exit is certified in ball arithmetic",
     "x², x0=1, η=1/4, r=1/10, float64", R, _float_run_leaves_ball, negative=True, paper=CHATTERJEE, reference=REF_PL)
_add("C6-positive the same float run inside B(x0, 1): SUPPORTED (evidence only)", "x², x0=1, η=1/4, r=1, float64", S,
     lambda: cv.check_rate(cv.gd(SQUARE, [1], F(1, 4), 20, "float"), F(1, 4), [1], 1), paper=CHATTERJEE,
     reference=REF_PL)
_add("C6-positive the same run in ball arithmetic: every step certified", "x², x0=1, η=1/4, r=1, ball", P,
     lambda: cv.check_rate(cv.gd(SQUARE, [1], F(1, 4), 20, "ball"), F(1, 4), [1], 1), paper=CHATTERJEE,
     reference=REF_PL)
_add("C7-wrapping a 6000-step naive ball run whose enclosures blow up: INCONCLUSIVE at the named step, never PROVED",
     "¼(x²−1)², x0=6/5, r=3/5, η=2/25, naive", I,
     lambda: cv.check_rate(cv.gd(QUARTIC, [F(6, 5)], F(2, 25), 6000, "ball", form="naive"), Q_QUARTIC, [F(6, 5)],
                           F(3, 5)), paper=CHATTERJEE, reference=REF_PL)
_add("C7-wrapping the default (shadowed) ball run certifies all 6000 steps at 128 bits",
     "¼(x²−1)², x0=6/5, r=3/5, η=2/25, shadow", P,
     lambda: cv.check_rate(cv.gd(QUARTIC, [F(6, 5)], F(2, 25), 6000, "ball"), Q_QUARTIC, [F(6, 5)], F(3, 5)),
     paper=CHATTERJEE, reference=REF_PL)
_add("C7-wrapping the first 300 steps of the same run are certified", "¼(x²−1)², x0=6/5, r=3/5, η=2/25, 300 steps",
     P, lambda: cv.check_rate(cv.gd(QUARTIC, [F(6, 5)], F(2, 25), 300, "ball", form="naive"), Q_QUARTIC, [F(6, 5)],
                              F(3, 5)),
     paper=CHATTERJEE, reference=REF_PL)
_add("C7-wrapping the mean-value enclosure certifies all 6000 steps (radii contract with the iterates)",
     "¼(x²−1)², x0=6/5, r=3/5, η=2/25, 512 bits, centered", P,
     lambda: cv.check_rate(cv.gd(QUARTIC, [F(6, 5)], F(2, 25), 6000, "ball", 512, form="centered"), Q_QUARTIC,
                           [F(6, 5)], F(3, 5)), paper=CHATTERJEE, reference=REF_PL)
