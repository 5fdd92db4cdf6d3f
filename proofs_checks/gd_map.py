"""Claims of ``docs/theory/gd_map.md`` (Crăciun & Ghoshdastidar, arXiv:2510.24466; Lee et al.,
arXiv:1602.04915; Wu, Ma & E 2018), each on concrete instances with the verdict it must get.

§2 exceptional step sizes — known answers, computed exactly and compared with the formula:
  quadratic ½θᵀAθ: E = {1/λ}; linear regression: E = {n/(2λ(XᵀX))}; deep linear network: none;
  two-layer ReLU network: a region with every hidden unit off (f = b₂: E = {1/2}) and one without;
  tanh network: none in a range (certified by Arb eigenvalue enclosures).
§2 non-singularity: PROVED at ordinary η (GD, per SGD batch, 2-step map, tanh at a grid of η);
  negative controls REFUTED: η exceptional (quadratic, ReLU dead region), and a 2-step map whose
  second step lands in the dead region. §4: a step size 2⁻⁴⁰ away from an exceptional one is still
  certified non-singular (a tiny determinant is not zero).
§3 stability: GD stable (hyperbolic) / unstable at η λ_max < 2, > 2; at the edge η λ_max = 2 and at zero
  eigenvalues the point is non-hyperbolic and GD's linearisation does not decide (INCONCLUSIVE: −x⁴, x³,
  x² − y⁴ at 0 and x² + x⁴ at η = 1 are unstable), unless the zero eigenvalues sit at a certified global
  minimum (L = 0 ≤ L: the flat directions of over-parameterised regression, Wu–Ma–E); the Wu–Ma–E SGD
  condition; a period-2 orbit of ¼(θ² − 1)² proved by Krawczyk at θ² = 1 + 2/η; escape from a strict saddle.
§2 regions are connected analytic pieces: a user Piecewise pattern with two components is not one region;
  empty scopes prove nothing.
§2 beyond MLPs (the theorem covers convolutional and softmax-attention layers and the cross-entropy loss): a
  small ReLU CNN with max pooling (square loss, rational data) — exact exceptional sets on its polynomial
  regions (every convolution unit off: f = b₂, E = {1/2}; units on: E = ∅), non-singularity PROVED at a generic
  η (GD, SGD batches, 2-step map), the exceptional η on the dead region REFUTED as a negative control and
  1/2 + 10⁻³⁰ still PROVED; a one-layer softmax-attention network with cross-entropy: non-singularity PROVED
  (Arb determinants; exp has no exact form).
"""

from __future__ import annotations

import math
from fractions import Fraction as F

import sympy as sp

import verify as vf
from verify import gdmap, stability
from verify.report import ProofCheck
from verify.result import Result, Verdict, make_scope

PAPER = "gd_map (Craciun & Ghoshdastidar, arXiv:2510.24466)"
REF = "docs/theory/gd_map.md"
P, R, S, I = Verdict.PROVED, Verdict.REFUTED, Verdict.SUPPORTED, Verdict.INCONCLUSIVE
CHECKS: list[ProofCheck] = []


def _add(claim, instance, expected, run, section, negative=False, slow=False):
    name = f"gd_map/{claim.split()[0]}/{instance}".replace(" ", "")
    CHECKS.append(ProofCheck(name=name, claim=claim, instance=instance, expected=expected, run=run, paper=PAPER,
                             reference=f"{REF} {section}", negative_control=negative, slow=slow))


def _matches(ex, expected: list[F]) -> Result:
    """PROVED iff the exact exceptional set equals the theory's formula (rational values)."""
    got = sorted(F(str(e.eta)) for e in ex.confirmed if e.enclosure[0] == e.enclosure[1])
    irrational = [e for e in ex.confirmed if e.enclosure[0] != e.enclosure[1]]
    ok = ex.complete and not irrational and got == sorted(expected)
    return Result(P if ok else R, claim="exceptional set = formula", quantity=vf.Quantity("E", [str(g) for g in got]),
                  margin=0 if ok else -1, certificate=ex.result.certificate, arithmetic="exact",
                  counterexample=None if ok else {"computed": [str(g) for g in got],
                                                  "expected": [str(e) for e in expected]},
                  scope=ex.result.scope,  # what the exceptional-set computation covered (regions, η range)
                  message=f"computed {[str(g) for g in got]}, formula {[str(e) for e in expected]}")


# ------------------------------------------------------------------ §2 known answers
def _quadratic():
    A = sp.Matrix([[3, 1, 0], [1, 3, 0], [0, 0, 0]])  # eigenvalues 4, 2, 0
    th = list(sp.symbols("t0:3"))
    v = sp.Matrix(th)
    return vf.Objective.from_sympy((v.T * A * v)[0] / 2, th)


QUAD = _quadratic()
_add("E-quadratic exceptional set of ½θᵀAθ is {1/λ : λ ≠ 0}", "A=[[3,1,0],[1,3,0],[0,0,0]]", P,
     lambda: _matches(gdmap.exceptional_step_sizes(QUAD), [F(1, 4), F(1, 2)]), "§2 known answers")

X_LR = [[2, 1], [1, 2], [0, 0]]  # XᵀX = [[5,4],[4,5]], eigenvalues 9 and 1


def _linreg():
    w = list(sp.symbols("w0:2"))
    L = sum((X_LR[i][0] * w[0] + X_LR[i][1] * w[1] - (i + 1)) ** 2 for i in range(3)) / 3
    return vf.Objective.from_sympy(L, w)


_add("E-linreg exceptional set of (1/n)‖Xw − y‖² is {n/(2λ)}", "n=3, eig(XᵀX)={9,1}", P,
     lambda: _matches(gdmap.exceptional_step_sizes(_linreg()), [F(3, 18), F(3, 2)]), "§2 known answers")

DATA = vf.Dataset([[1, 2], [F(1, 3), -1], [2, 1]], [1, 0, F(1, 2)])
DEEP_LINEAR = vf.SquareLoss(vf.MLP([2, 2, 2, 1], "identity"), DATA)
TH_DL = [F(k, 7) for k in (1, -2, 3, 1, 2, -1, 3, 1, -1, 2)]
_add("E-deeplinear a deep linear network has no exceptional step size", "identity [2,2,2,1]", P,
     lambda: _matches(gdmap.exceptional_step_sizes(DEEP_LINEAR, TH_DL), []), "§2 known answers")

RELU = vf.SquareLoss(vf.MLP([2, 2, 1], "relu", bias=True), DATA)
DEAD = [-1, -1, -1, -1, -5, -5, 1, 1, F(1, 3)]
ALIVE = [1, F(1, 2), -1, F(1, 3), F(1, 5), -F(1, 7), F(3, 2), -1, F(1, 3)]
_add("E-relu-dead region with every hidden ReLU off: L = mean(b₂ − y)², E = {1/2}", "relu [2,2,1]+bias, dead", P,
     lambda: _matches(gdmap.exceptional_step_sizes(RELU, DEAD), [F(1, 2)]), "§2 known answers")
_add("E-relu-alive region with an active unit: E = ∅", "relu [2,2,1]+bias, alive", P,
     lambda: _matches(gdmap.exceptional_step_sizes(RELU, ALIVE), []), "§2 known answers")

TANH = vf.SquareLoss(vf.MLP([2, 3, 1], "tanh"), DATA)
TH_TANH = [F(k, 5) for k in range(-4, 5)]
_add("E-tanh smooth activation: no exceptional η in [1/100, 100]", "tanh [2,3,1]", P,
     lambda: gdmap.exceptional_step_sizes(TANH, TH_TANH, eta_range=(F(1, 100), 100)).result, "§2 known answers")

# ------------------------------------------------------------------ §2 non-singularity verdicts
_add("NS-quadratic G_η non-singular at a non-exceptional η", "½θᵀAθ, η=1/3", P,
     lambda: gdmap.check_nonsingular(QUAD, F(1, 3), regions=[[0, 0, 0]]), "§2 main theorem")
_add("NS-quadratic G_η singular at η = 1/λ (maps onto a hyperplane)", "½θᵀAθ, η=1/4", R,
     lambda: gdmap.check_nonsingular(QUAD, F(1, 4), regions=[[0, 0, 0]]), "§2 known answers", negative=True)
_add("NS-relu GD map non-singular on 2 given + 40 sampled regions", "relu [2,2,1]+bias, η=1/3", P,
     lambda: gdmap.check_nonsingular(RELU, F(1, 3), regions=[DEAD, ALIVE], samples=40, seed=1), "§2 main theorem")
_add("NS-relu exceptional η on the dead region", "relu [2,2,1]+bias, η=1/2", R,
     lambda: gdmap.check_nonsingular(RELU, F(1, 2), regions=[DEAD, ALIVE]), "§2 exceptional step sizes",
     negative=True)
_add("NS-near a step size 2⁻⁴⁰ from an exceptional one is still non-singular (§4)", "relu dead, η=1/2+2⁻⁴⁰", P,
     lambda: gdmap.check_nonsingular(RELU, F(1, 2) + F(1, 2**40), regions=[DEAD]), "§4")
_add("NS-sgd every SGD batch map non-singular", "relu [2,2,1]+bias, batches {0},{1,2},{0,2}", P,
     lambda: gdmap.check_nonsingular(RELU, F(1, 3), regions=[ALIVE], samples=10, batches=[[0], [1, 2], [0, 2]]),
     "§2 main theorem (SGD)")
_add("NS-compose 2-step map non-singular", "relu alive, η=1/3, k=2", P,
     lambda: gdmap.check_nonsingular(RELU, F(1, 3), regions=[ALIVE], steps=2), "§2 main theorem (compositions)")
_add("NS-compose 2-step map singular when step 2 lands in the dead region", "relu alive, η=1/2, k=2", R,
     lambda: gdmap.check_nonsingular(RELU, F(1, 2), regions=[ALIVE], steps=2), "§2 compositions", negative=True)
for eta in (F(1, 10), F(1, 2), 1, 3):
    _add("NS-tanh tanh network certified non-singular", f"tanh [2,3,1], η={eta}", P,
         lambda eta=eta: gdmap.check_nonsingular(TANH, eta, regions=[TH_TANH], samples=3, seed=2), "§2 smooth")

# ------------------------------------------------------------------ §3 stability
x, y = sp.symbols("x y")
QMIN = vf.Objective.from_sympy((x**2 + 3 * y**2) / 2, [x, y])  # λ_max = 3, edge at η = 2/3
_add("GD-stable η λ_max < 2", "½(x²+3y²), η=1/2", P, lambda: stability.gd(QMIN, [0, 0], F(1, 2)), "§3 GD")
_add("GD-edge η λ_max = 2: DG has the eigenvalue −1, non-hyperbolic, the linearisation does not decide",
     "½(x²+3y²), η=2/3", I, lambda: stability.gd(QMIN, [0, 0], F(2, 3)), "§3 GD", negative=True)
_add("GD-stable η λ_max > 2 is unstable", "½(x²+3y²), η=3/4", R, lambda: stability.gd(QMIN, [0, 0], F(3, 4)),
     "§3 GD", negative=True)
_add("GD-stable minimum of a tanh objective (ball λ_max)", "tanh(x)²+(x−y)², η=1/4", P,
     lambda: stability.gd(vf.Objective.from_sympy(sp.tanh(x) ** 2 + (x - y) ** 2, [x, y]), [0, 0], F(1, 4)), "§3 GD")

LR4 = vf.SquareLoss(vf.MLP([4, 1], "identity"), vf.Dataset([[1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 1]], [1, 2, 3]))
WSTAR = [F(-1), F(0), F(2), F(4)]  # interpolating minimum (L = 0)
_add("SGD-WuMaE mean-square condition holds at a small step", "over-parameterised regression, B=1, η=1/4", P,
     lambda: stability.sgd(LR4, WSTAR, F(1, 4), batch_size=1, lyapunov_steps=500, lyapunov_runs=4), "§3 SGD")
_add("SGD-WuMaE fails for B=1 where GD is still stable", "over-parameterised regression, B=1, η=1/2", R,
     lambda: stability.sgd(LR4, WSTAR, F(1, 2), batch_size=1, lyapunov_steps=500, lyapunov_runs=4), "§3 SGD",
     negative=True)
_add("SGD-WuMaE GD at the same step is stable (contrast): a global minimum with a flat direction (non-strict)",
     "over-parameterised regression, GD, η=1/2", P, lambda: stability.gd(LR4, WSTAR, F(1, 2)), "§3 GD")

QUARTIC = vf.Objective.from_sympy((sp.Symbol("t") ** 2 - 1) ** 2 / 4, [sp.Symbol("t")])


def _orbit_at_theory(eta):
    r = stability.find_periodic_orbit(QUARTIC, eta, 2, [math.sqrt(1 + 2 / float(eta)) * 1.02])
    if r.verdict != P:
        return r
    mid, rad = F(r.certificate["box"]["mid"][0]), F(r.certificate["box"]["radius"])
    inside = (mid - rad) ** 2 < 1 + 2 / F(eta) < (mid + rad) ** 2  # the box contains √(1 + 2/η)
    r.message += f"; box contains √(1+2/η): {inside}"
    if not inside:
        return Result(R, claim=r.claim, arithmetic="exact", message="proved orbit is not at θ² = 1 + 2/η")
    return r


for eta in (F(1, 2), F(3, 2)):
    _add("ORBIT-period2 ¼(θ²−1)² has a period-2 orbit at θ² = 1 + 2/η (Krawczyk)", f"η={eta}", P,
         lambda eta=eta: _orbit_at_theory(eta), "§3 periodic orbits")
_add("ORBIT-reject a fixed point is not a period-2 orbit", "¼(θ²−1)², η=1/2, guess 1.05", Verdict.INCONCLUSIVE,
     lambda: stability.find_periodic_orbit(QUARTIC, F(1, 2), 2, [1.05]), "§3 periodic orbits", negative=True)

SADDLE = vf.Objective.from_sympy((x**2 - 1) ** 2 / 4 + y**2 / 2, [x, y])
_add("SADDLE GD escapes a strict saddle from random starts (numerical)", "¼(x²−1)²+y²/2 at 0, η=1/10", S,
     lambda: stability.saddle_escape(SADDLE, [0, 0], F(1, 10), starts=40), "§2 saddle avoidance")

# ------------------------------------------------------------------ §3 soundness controls (issue 11, items 1–4)
# A maximum, a saddle and a non-critical point are never "stable" fixed points; two eigenvalues 10⁻³⁰ apart
# must not be confused (λ_max is a hull of enclosures, never "the top ball"); the mean-square radius and the
# Wu–Ma–E condition are decided exactly, 10⁻²⁰ and 10⁻⁴⁰ from their thresholds.
_add("GD-stable a maximum is linearly unstable (G(θ) = 1.2θ)", "−x² at 0, η=1/10", R,
     lambda: stability.gd(vf.Objective.from_sympy(-(x**2), [x]), [0], F(1, 10)), "§3 GD", negative=True)
_add("GD-stable a saddle is linearly unstable", "(x²−y²)/2 at 0, η=1/10", R,
     lambda: stability.gd(vf.Objective.from_sympy((x**2 - y**2) / 2, [x, y]), [0, 0], F(1, 10)), "§3 GD",
     negative=True)
_add("GD-stable a non-critical point is not a fixed point", "x²+5x at 3, η=1/10", R,
     lambda: stability.gd(vf.Objective.from_sympy(x**2 + 5 * x, [x]), [3], F(1, 10)), "§3 GD", negative=True)
_add("GD-stable no critical point in a box around a float θ*", "x²+5x at 3.0, η=1/10", R,
     lambda: stability.gd(vf.Objective.from_sympy(x**2 + 5 * x, [x]), [3.0], F(1, 10)), "§3 GD", negative=True)
_add("GD-stable a float θ* speaks of the certified critical point near it (Krawczyk)", "x²+5x at −2.5000001", P,
     lambda: stability.gd(vf.Objective.from_sympy(x**2 + 5 * x, [x]), [-2.5000001], F(1, 10)), "§3 GD")
_E30 = sp.Rational(1, 10**30)
CLOSE = vf.Objective.from_sympy((1 + _E30 / 2) * x**2 + (1 + _E30) * y**2, [x, y])  # λ = 2 + e, 2 + 2e
ETA_CLOSE = 1 / (1 + F(3, 4) * F(1, 10**30))  # 2/η = 2 + 3e/2 lies between the two eigenvalues
for _pt in ([0.0, 0.0], [0, 0]):
    _add("GD-stable two eigenvalues 10⁻³⁰ apart, 2/η between them: unstable", f"θ*={_pt}", R,
         lambda _pt=_pt: stability.gd(CLOSE, _pt, ETA_CLOSE), "§3 GD", negative=True)
TINY = vf.SquareLoss(vf.MLP([1, 1], "identity"), vf.Dataset([[F(1, 10**10)]], [0]))
_add("SGD-meansquare ρ = (1 − 2·10⁻²⁰)² < 1 is decided exactly", "x=10⁻¹⁰, η=1, one batch", P,
     lambda: stability.sgd(TINY, [0], 1, batch_probabilities=[([0], 1)], lyapunov_steps=50, lyapunov_runs=2),
     "§3 SGD", negative=True)
LIN2 = vf.SquareLoss(vf.MLP([2, 1], "identity"), vf.Dataset([[1, 0], [1, 1]], [0, 0]))
ETA_WME = F(5527864045000420607181652662537447529119, 10**40)  # just above 1 − 1/√5
_add("SGD-WuMaE V = 1 + O(10⁻⁴⁰) just above the threshold η = 1 − 1/√5 fails", "X=[[1,0],[1,1]], B=1, η above", R,
     lambda: stability.sgd(LIN2, [0, 0], ETA_WME, batch_size=1, lyapunov_steps=50, lyapunov_runs=2), "§3 SGD",
     negative=True)
_add("SGD-WuMaE just below the threshold η = 1 − 1/√5 holds", "X=[[1,0],[1,1]], B=1, η below", P,
     lambda: stability.sgd(LIN2, [0, 0], ETA_WME - F(1, 10**39), batch_size=1, lyapunov_steps=50, lyapunov_runs=2),
     "§3 SGD")
_add("SGD-fixedpoint a point that is not a common fixed point of the batch maps", "regression, w=0, B=1", R,
     lambda: stability.sgd(LR4, [0, 0, 0, 0], F(1, 4), batch_size=1, lyapunov_steps=50, lyapunov_runs=2), "§3 SGD",
     negative=True)
_add("ORBIT-period1 a period-1 orbit is a fixed point of G_η", "¼(θ²−1)², η=1/2, guess 1.05", P,
     lambda: stability.find_periodic_orbit(QUARTIC, F(1, 2), 1, [1.05]), "§3 periodic orbits")

# ------------------------------------------------------------------ §3 non-hyperbolic points (adversary finding 02)
# Spectrum in [0, 2/η] with a zero eigenvalue or λ = 2/η: spectral radius of DG = 1, the linearisation decides
# nothing. Each of these is unstable for GD (G(x) = x + 4ηx³ on −x⁴; G²(x) = x + 8x³ + O(x⁵) on x² + x⁴ at η = 1).
for _expr, _vars, _inst in ((-(x**4), [x], "−x⁴ at 0 (strict maximum)"), (x**3, [x], "x³ at 0 (inflection)"),
                            (x**2 - y**4, [x, y], "x²−y⁴ at 0 (saddle)")):
    _add("GD-neutral a zero eigenvalue without a global-minimum certificate is not proved stable", f"{_inst}, η=1/10",
         I, lambda _expr=_expr, _vars=_vars: stability.gd(vf.Objective.from_sympy(_expr, _vars), [0] * len(_vars),
                                                         F(1, 10)), "§3 GD", negative=True)
_add("GD-edge λ = 2/η exactly: GD oscillates outward (subcritical flip), not proved stable", "x²+x⁴ at 0, η=1", I,
     lambda: stability.gd(vf.Objective.from_sympy(x**2 + x**4, [x]), [0], 1), "§3 GD", negative=True)
_add("GD-neutral zero eigenvalues at a certified global minimum (L = 0 ≤ L): non-strict, proved", "x²+y⁴ at 0, η=1/10",
     P, lambda: stability.gd(vf.Objective.from_sympy(x**2 + y**4, [x, y]), [0, 0], F(1, 10)), "§3 GD")
_BIG = sp.Integer(10) ** 200
_add("GD-stable a saddle with Hessian diag(2·10⁻²⁰⁰, −2·10⁻⁴⁰⁰) is decided (no float underflow)",
     "x²/10²⁰⁰ − y²/10⁴⁰⁰ at [0.0, 0.0], η=1", R,
     lambda: stability.gd(vf.Objective.from_sympy(x**2 / _BIG - y**2 / _BIG**2, [x, y]), [0.0, 0.0], 1), "§3 GD",
     negative=True)


def _ball_theta():
    from flint import arb

    return stability.gd(vf.Objective.from_sympy(x**2, [x]), [arb(1, 1)], F(1, 10))


_add("GD-ball θ* given as the ball [0, 2] holding the minimum 0: not refuted, the point in the ball is stable",
     "x², θ*=[arb(1, ±1)], η=1/10", P, _ball_theta, "§3 GD", negative=True)

# ------------------------------------------------------------------ issue 11: regions are connected analytic pieces
# A user Piecewise pattern is not a region: x² > 1 has two components, and sqrt(x²) is x on one, −x on the other.
XP = sp.Symbol("x")
XPR = sp.Symbol("x", real=True)


def _pw_sqrt(var, cut=1):
    """((x + sqrt(x²))/2)² on x² > cut — x² on x > √cut (G ≡ 0 at η = 1/2), 0 on x < −√cut — and x²/2 inside."""
    return vf.Objective.from_sympy(sp.Piecewise(((var + sp.sqrt(var**2)) ** 2 / 4, var**2 > cut), (var**2 / 2, True)),
                                   [var])


_add("NS-components one Piecewise pattern, two components: not one region (G ≡ 0 on x > 1)",
     "Piecewise sqrt(x²), η=1/2, points ±2", I,
     lambda: gdmap.check_nonsingular(_pw_sqrt(XP), F(1, 2), regions=[[-2], [2]]),
     "§2 main theorem (connected analytic pieces)", negative=True)
_add("NS-components the component x < −1 alone is certified (L ≡ 0 there, G = id)",
     "Piecewise sqrt(x²), η=1/2, points −2, −3", P,
     lambda: gdmap.check_nonsingular(_pw_sqrt(XP), F(1, 2), regions=[[-2], [-3]]),
     "§2 main theorem (connected analytic pieces)")
_add("NS-components real symbol: sqrt(x²) = |x|, polynomial pieces, η = 1/2 exceptional on x > 1",
     "Piecewise |x|, η=1/2, points ±2", R,
     lambda: gdmap.check_nonsingular(_pw_sqrt(XPR), F(1, 2), regions=[[-2], [2]]),
     "§2 exceptional step sizes", negative=True)
_add("E-component sample points stay in θ's component: η = 1/2 is not excluded on x > 10⁻³",
     "Piecewise sqrt(x²), x²>10⁻⁶, θ=1/500, η∈(1/10,2)", I,
     lambda: gdmap.exceptional_step_sizes(_pw_sqrt(XP, F(1, 10**6)), [F(1, 500)], eta_range=(F(1, 10), 2)).result,
     "§2 exceptional step sizes (analytic pieces)", negative=True)
_add("NS-empty every sample on a boundary: nothing examined, nothing proved",
     "relu [2,2,1] no bias, X=[[0,0]], 20 samples", I,
     lambda: gdmap.check_nonsingular(vf.SquareLoss(vf.MLP([2, 2, 1], "relu"), vf.Dataset([[0, 0]], [1])), F(1, 3),
                                     samples=20), "§2 main theorem (scope)", negative=True)
_add("E-scan-empty no points: no region examined, nothing proved", "x², thetas=[]", I,
     lambda: gdmap.scan_step_sizes(vf.Objective.from_sympy(XP**2, [XP]), (0, 1), []), "§2 (scope)", negative=True)

# ------------------------------------------------------------------ issue 12: convolutional and attention networks
# Conv2d(1→2, 2×2) → ReLU → MaxPool2d(2) → Dense(1), p = 13, on three 3×3 images (exact rationals). θ = (W1 (2,1,2,2),
# b1, W2 (1,2), b2). With b1 = −10 every convolution output is negative on every image: each max-pool window is a
# tie of dead units (constant 0 on the region, not a boundary), f = b₂ and L = (1/3) Σ (b₂ − y_i)², so ∇²L has the
# single non-zero eigenvalue 2: E = {1/2}. CALIVE has live units in both channels: E = ∅.
CNN_NET = vf.nn.Sequential(vf.nn.Conv2d(1, 2, kernel=2), vf.nn.Act("relu"), vf.nn.MaxPool2d(2), vf.nn.Flatten(),
                           vf.nn.Dense(1), input_shape=(1, 3, 3))
_IMGS = [[[[1, 0, 2], [-1, 1, 0], [1, 1, F(1, 2)]]], [[[0, 1, -1], [2, F(1, 3), 1], [0, -2, 1]]],
         [[[2, 1, 0], [1, -1, 1], [1, 0, -1]]]]
CNN = vf.SquareLoss(CNN_NET, vf.Dataset(_IMGS, [1, 0, F(1, 2)]))
CDEAD = [F(1, 5), -F(1, 5), F(1, 7), F(1, 3), -F(1, 2), F(1, 4), F(1, 5), -F(1, 9), -10, -10, 1, -1, F(1, 3)]
CALIVE = [F(1, 2), F(1, 3), -F(1, 4), F(1, 5), -F(1, 3), F(2, 3), F(1, 7), F(1, 6), F(1, 9), F(1, 2), F(3, 2), -1,
          F(1, 3)]
_CNN = "relu CNN conv2×2+maxpool2+dense, p=13"
_add("E-cnn-dead CNN region with every convolution unit off: f = b₂, L = mean(b₂ − y)², E = {1/2}", f"{_CNN}, dead",
     P, lambda: _matches(gdmap.exceptional_step_sizes(CNN, CDEAD), [F(1, 2)]), "§2 known answers")
_add("E-cnn-alive CNN region with live units in both channels: E = ∅", f"{_CNN}, alive", P,
     lambda: _matches(gdmap.exceptional_step_sizes(CNN, CALIVE), []), "§2 known answers")
_add("NS-cnn GD map of a ReLU CNN with max pooling non-singular on 2 given + 20 sampled regions", f"{_CNN}, η=1/3",
     P, lambda: gdmap.check_nonsingular(CNN, F(1, 3), regions=[CDEAD, CALIVE], samples=20, seed=1),
     "§2 main theorem (convolutional layers)")
_add("NS-cnn exceptional η on the CNN region with dead units", f"{_CNN}, η=1/2", R,
     lambda: gdmap.check_nonsingular(CNN, F(1, 2), regions=[CDEAD, CALIVE]), "§2 exceptional step sizes",
     negative=True)
_add("NS-cnn-near a step size 10⁻³⁰ from the exceptional one is non-singular (§4)", f"{_CNN}, dead, η=1/2+10⁻³⁰", P,
     lambda: gdmap.check_nonsingular(CNN, F(1, 2) + F(1, 10**30), regions=[CDEAD]), "§4")
_add("NS-cnn-sgd every SGD batch map of the CNN non-singular", f"{_CNN}, batches {{0}},{{1,2}}, η=1/3", P,
     lambda: gdmap.check_nonsingular(CNN, F(1, 3), regions=[CALIVE], samples=5, batches=[[0], [1, 2]]),
     "§2 main theorem (SGD)")
_add("NS-cnn-compose 2-step map of the CNN non-singular", f"{_CNN}, alive, η=1/3, k=2", P,
     lambda: gdmap.check_nonsingular(CNN, F(1, 3), regions=[CALIVE], steps=2), "§2 main theorem (compositions)")

# one softmax self-attention layer (d_model = 2, one head, Q/K/V/O projections) on 2 tokens, then a dense layer to
# 2 class scores, p = 26, softmax cross-entropy on 3 labelled sequences. No activation sites: the loss is one
# expression analytic on all of R^p, and det(I − η∇²L) is enclosed in Arb (exp/log have no exact form).
ATT_NET = vf.nn.Sequential(vf.nn.SelfAttention(2), vf.nn.Flatten(), vf.nn.Dense(2), input_shape=(2, 2))
ATT = vf.CrossEntropyLoss(ATT_NET, vf.Dataset([[[1, 0], [0, 1]], [[F(1, 2), -1], [1, 1]], [[-1, 2], [F(1, 3), 0]]],
                                              [0, 1, 1]))
_ATT = "softmax attention d=2 T=2 + dense, cross-entropy, p=26"
_add("NS-attention GD map of a softmax-attention network with cross-entropy non-singular", f"{_ATT}, η=1/3", P,
     lambda: gdmap.check_nonsingular(ATT, F(1, 3), samples=4, seed=3), "§2 main theorem (attention, cross-entropy)")
_add("NS-attention-sgd every SGD batch map of the attention network non-singular", f"{_ATT}, batches {{0}},{{1,2}}",
     P, lambda: gdmap.check_nonsingular(ATT, F(1, 3), samples=2, seed=3, batches=[[0], [1, 2]]),
     "§2 main theorem (SGD)")
_add("NS-attention-compose 2-step map of the attention network non-singular", f"{_ATT}, η=1/3, k=2", P,
     lambda: gdmap.check_nonsingular(ATT, F(1, 3), samples=2, seed=3, steps=2), "§2 main theorem (compositions)")

# ------------------------------------------------------------------ issue 15: real data (scikit-learn's digits)
# notebooks/07_real_data_gd_map shows these with figures. Pixels are loaded as exact rationals p/16.
_REAL: dict = {}


def _trained_cnn():
    """Conv2d(1→2, 3×3) → ReLU → AvgPool(2) → Dense(1), p = 39, trained by 200 float64 GD steps (η = 1/10) on 20
    digit images (0 vs 1, seed 0); θ̂ is the stored float64 iterate, an exact binary rational point."""
    if "cnn" not in _REAL:
        from verify import experiments

        data = vf.datasets.digits(classes=(0, 1), n=20, seed=0, image=True)
        _REAL["cnn"] = experiments.train_cnn(data, channels=2, steps=200, seed=0)
    return _REAL["cnn"]


CNN_ETAS = (F(1, 100), F(1, 20), F(1, 10), F(1, 5), F(1, 2), F(1))


def _cnn_grid():
    tr = _trained_cnn()
    per = {q: gdmap.check_nonsingular(tr.objective, q, regions=[tr.theta]) for q in CNN_ETAS}
    claim = "the GD map of a CNN trained on digits is non-singular at every η of the grid (θ̂'s region)"
    verdicts = {str(q): r.verdict.value for q, r in per.items()}
    ariths = {r.arithmetic for r in per.values()}
    arith = ariths.pop() if len(ariths) == 1 else "ball"
    if all(r.verdict == P for r in per.values()):
        return Result(P, claim=claim, arithmetic=arith, certificate={"per_eta": verdicts},
                      scope=make_scope("the activation region of the trained θ̂ (the stored float64 point, exact), at "
                                       "each step size of the grid", count=len(per), etas=[str(q) for q in per],
                                       n_params=tr.net.n_params, training=tr.settings),
                      message=f"{tr}; PROVED at η ∈ {[str(q) for q in per]}: " + per[CNN_ETAS[0]].message[:160])
    bad = {k: v for k, v in verdicts.items() if v != "PROVED"}
    refuted = [r for r in per.values() if r.verdict == R]
    if refuted:
        return refuted[0]
    return Result(I, claim=claim, arithmetic="ball", certificate={"per_eta": verdicts},
                  message=f"not certified at {bad}")


_add("REAL-cnn a CNN trained on digits has a non-singular GD map at its trained weights on an η grid",
     "conv3×3(2)+avgpool+dense, p=39, 20 digits, 200 GD steps, η∈{1/100,…,1}", P, _cnn_grid,
     "§2 main theorem (convolutional layers)")


def _cnn_minimum():
    """The honest classification: a run stopped after 200 steps is not at a critical point (∇L(θ̂) ≠ 0 is certified),
    so "training reached a linearly stable minimum" is INCONCLUSIVE; what is certified instead is the Hessian at θ̂."""
    from verify import experiments

    cert = experiments.certify_trained(_trained_cnn(), etas=[F(1, 10)], critical_search=False,
                                       sharpness_checkpoints=0)
    return cert.minimum


_add("REAL-cnn the trained CNN is not claimed to sit at a stable minimum: no certified critical point",
     "conv3×3(2)+avgpool+dense, p=39, θ̂ after 200 steps, η=1/10", I, _cnn_minimum, "§3 GD", negative=True)


def _digits_epoch(replacement):
    data = vf.datasets.digits(classes=(0, 1), n=8, seed=0)
    net = vf.MLP([64, 3, 1], "relu")
    loss = vf.SquareLoss(net, data)
    theta = [F(float(v)) for v in vf.init.he(net, seed=0)]
    kw = dict(replacement=True, seed=1) if replacement else dict(seed=0)
    ep = vf.SGDMap.epoch(loss, F(1, 10), 2, **kw)
    return gdmap.check_epoch_nonsingular(ep, regions=[theta], etas=[F(1, 100), F(1, 10), F(1, 2), F(1), F(2)])


for _rep, _what in ((False, "random reshuffling"), (True, "with replacement")):
    _add("REAL-epoch the map of one SGD epoch on digits is non-singular at every η of a grid",
         f"relu [64,3,1], 8 digits, batch 2, {_what}, η∈{{1/100,1/10,1/2,1,2}}", P,
         lambda _rep=_rep: _digits_epoch(_rep), "§2 main theorem (SGD, compositions)")
