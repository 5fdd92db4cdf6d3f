"""Every analysis accepts the layer-graph networks (issue 12): ``gdmap``, ``stability``, ``convergence.gd`` and
``pl`` on convolutional (max and average pooling), residual and softmax-attention networks with square,
logistic and cross-entropy losses.

* known answers computed by hand: a CNN region with every convolution unit off (f = b₂, so E = {1/(2sn)} for the
  normalisation s), a residual block whose ReLU branch is off (f = W₂x + b₂ is linear: E = {1/(2sλ)} over the
  eigenvalues λ of X̃ᵀX̃), the Wu–Ma–E value V = (1 − 2η)² at the dead CNN's interpolating minimum;
* differential checks: the region polynomial (``on_region``) against the engine's exact Hessian; a convolution
  whose kernel covers the image against the equivalent MLP (closed-form layer-wise engine);
* soundness attacks: η 10⁻³⁰ from an exceptional value, θ on a max-pooling tie, θ 10⁻⁵⁰ from a ReLU kink,
  boxes straddling a kink or a tie — never a wrong PROVED/REFUTED.
"""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest
from flint import arb, fmpq, fmpq_mat
from hypothesis import given, note, settings
from hypothesis import strategies as st

import verify as vf
from verify import convergence, gdmap, pl, stability
from verify.arith.decide import bounds
from verify.errors import InputError, RegionBoundaryError
from verify.gdmap import regions as R
from verify.gdmap.maps import SGDMap, batch_objective
from verify.numbers import to_fraction
from verify.pl.alpha import alpha_lower_schur, first_layer_block
from verify.result import Verdict

nn = vf.nn
P_, R_, I_ = Verdict.PROVED, Verdict.REFUTED, Verdict.INCONCLUSIVE

# ------------------------------------------------------------------------------------------------ networks
IMGS = [[[[1, 0, 2], [-1, 1, 0], [1, 1, F(1, 2)]]], [[[0, 1, -1], [2, F(1, 3), 1], [0, -2, 1]]],
        [[[2, 1, 0], [1, -1, 1], [1, 0, -1]]]]


def cnn_net(k=1, pool="max"):
    """Conv2d(1→2, 2×2) → ReLU → {Max,Avg}Pool2d(2) → Flatten → Dense(k): θ = (W1 (2,1,2,2), b1, W2 (k,2), b2)."""
    pool_layer = nn.MaxPool2d(2) if pool == "max" else nn.AvgPool2d(2)
    return nn.Sequential(nn.Conv2d(1, 2, kernel=2), nn.Act("relu"), pool_layer, nn.Flatten(), nn.Dense(k),
                         input_shape=(1, 3, 3))


def res_net():
    """Dense(3) → Residual([Dense(3), ReLU, Dense(3)]) → ReLU → Dense(1) on R²."""
    return nn.Sequential(nn.Dense(3), nn.Residual([nn.Dense(3), nn.Act("relu"), nn.Dense(3)]), nn.Act("relu"),
                         nn.Dense(1), input_shape=2)


def att_net(k=2):
    """One softmax self-attention layer (d_model = 2, one head) on 2 tokens, then Dense(k)."""
    return nn.Sequential(nn.SelfAttention(2), nn.Flatten(), nn.Dense(k), input_shape=(2, 2))


X_RES = [[1, F(1, 2)], [-1, 2], [F(1, 3), -1]]
X_ATT = [[[1, 0], [0, 1]], [[F(1, 2), -1], [1, 1]], [[-1, 2], [F(1, 3), 0]]]
CNN_SQ = vf.SquareLoss(cnn_net(), vf.Dataset(IMGS, [1, 0, F(1, 2)]))
CDEAD = [F(1, 5), -F(1, 5), F(1, 7), F(1, 3), -F(1, 2), F(1, 4), F(1, 5), -F(1, 9), -10, -10, 1, -1, F(1, 3)]
CALIVE = [F(1, 2), F(1, 3), -F(1, 4), F(1, 5), -F(1, 3), F(2, 3), F(1, 7), F(1, 6), F(1, 9), F(1, 2), F(3, 2), -1,
          F(1, 3)]
#: CALIVE with W1[1,0,1,0] = 1/2: in image 0 two entries of channel 1's pooling window are both 23/14 (a tie of
#: live units: a max-pooling region boundary)
TIE = list(CALIVE)
TIE[5] = F(1, 2)


def _theta(p, seed, den=97):
    rng = np.random.default_rng(seed)
    return [F(int(k), den) for k in rng.integers(-den, den + 1, size=p)]


def objectives():
    """(name, objective, a point θ inside a region) for each network/loss pair."""
    cnn_ce = vf.CrossEntropyLoss(cnn_net(2), vf.Dataset(IMGS, [0, 1, 1]))
    res = res_net()
    att = att_net()
    return [
        ("cnn-max-square", CNN_SQ, CALIVE),
        ("cnn-avg-square", vf.SquareLoss(cnn_net(pool="avg"), vf.Dataset(IMGS, [1, 0, F(1, 2)])), CALIVE),
        ("cnn-max-crossentropy", cnn_ce, CALIVE[:10] + [F(1, 4), -F(1, 3), F(1, 2), F(2, 3), F(1, 5), -F(1, 7)]),
        ("residual-square", vf.SquareLoss(res, vf.Dataset(X_RES, [1, 0, F(1, 2)])), _theta(res.n_params, 1)),
        ("residual-logistic", vf.LogisticLoss(res, vf.Dataset(X_RES, [1, -1, 1])), _theta(res.n_params, 1)),
        ("attention-crossentropy", vf.CrossEntropyLoss(att, vf.Dataset(X_ATT, [0, 1, 1])), _theta(att.n_params, 2)),
        ("attention-square", vf.SquareLoss(att, vf.Dataset(X_ATT, [[1, 0], [0, 1], [F(1, 2), F(1, 2)]])),
         _theta(att.n_params, 2)),
    ]


OBJ = objectives()
IDS = [o[0] for o in OBJ]


def _interpolating(L, theta):
    """θ with the output bias (the last block of the layout) set so that f(x₀) = y₀ exactly (one data point)."""
    last = L.net.layout.blocks[-1]
    assert last.size == 1 and last.name.startswith("b")
    th = list(theta)
    th[last.slice.start] = F(0)
    out = L.outputs(th, "exact")[0, 0]
    th[last.slice.start] = L.data.Y_exact[0, 0] - F(int(out.p), int(out.q))
    return th


def _encloses(ball, q: F) -> bool:
    """Does the ball contain the rational q? (exact endpoints: ``arb.contains`` would first round q to the
    context's 53 bits)"""
    lo, hi = bounds(ball)
    return lo <= q <= hi


def _det_exact(L, theta, eta) -> F:
    """det(I − η∇²L(θ)) exactly (polynomial objectives)."""
    H = fmpq_mat(np.asarray(L.hessian(theta, "exact"), dtype=object).tolist())
    p = H.nrows()
    eye = fmpq_mat(p, p, [int(i == j) for i in range(p) for j in range(p)])
    d = (eye - H * fmpq(eta.numerator, eta.denominator)).det()
    return F(int(d.p), int(d.q))


# ================================================================================================ gdmap
@pytest.mark.parametrize("name,L,theta", OBJ, ids=IDS)
@pytest.mark.parametrize("mode", ["gd", "sgd", "two-step"])
def test_nonsingular_every_network(name, L, theta, mode):
    """Non-singularity certified for every network and loss, for the GD map, SGD batch maps and the 2-step map."""
    kw = {"gd": {"samples": 3}, "sgd": {"batches": [[0], [1, 2]]}, "two-step": {"steps": 2}}[mode]
    res = gdmap.check_nonsingular(L, F(1, 3), regions=[theta], **kw)
    assert res.verdict == P_, res.message
    assert res.scope["count"] >= 1
    if mode == "sgd":
        assert {tuple(r["batch"]) for r in res.certificate["regions"]} == {(0,), (1, 2)}


@pytest.mark.parametrize("normalization,expected", [("mean", F(1, 2)), ("half_mean", F(1)), ("sum", F(1, 6)),
                                                    ("half_sum", F(1, 3))])
def test_cnn_dead_region_exceptional_step_size_by_hand(normalization, expected):
    """Every convolution unit off (b1 = −10): each pooling window is a tie of dead units, f = b₂ and
    L = s Σ_i (b₂ − y_i)², so ∇²L has the one non-zero eigenvalue 2sn (n = 3): E = {1/(2sn)}."""
    L = vf.SquareLoss(cnn_net(), vf.Dataset(IMGS, [1, 0, F(1, 2)]), normalization=normalization)
    pattern = L.region(CDEAD)
    assert all(int(v) == 0 for v in pattern[0].ravel())  # every ReLU input is negative
    ex = gdmap.exceptional_step_sizes(L, CDEAD)
    assert ex.result.verdict == P_ and ex.complete
    assert [F(str(e.eta)) for e in ex.confirmed] == [expected]
    assert gdmap.check_nonsingular(L, expected, regions=[CDEAD]).verdict == R_
    assert gdmap.check_nonsingular(L, expected * 2, regions=[CDEAD]).verdict == P_


def test_cnn_two_outputs_dead_region():
    """k = 2 outputs, half_sum: L = ½ Σ_i ‖b₂ − y_i‖², ∇²L = n·I on b₂ (n = 3): E = {1/3}."""
    L = vf.SquareLoss(cnn_net(2), vf.Dataset(IMGS, [[1, 0], [0, 1], [F(1, 2), 2]]), normalization="half_sum")
    th = CDEAD[:10] + [1, -1, F(1, 2), 2, F(1, 3), -F(1, 5)]
    ex = gdmap.exceptional_step_sizes(L, th)
    assert ex.complete and [F(str(e.eta)) for e in ex.confirmed] == [F(1, 3)]


def test_residual_linear_region_exceptional_step_sizes_by_hand():
    """Residual([Dense(2), ReLU]) → Dense(1) with the branch's ReLU off: the block is the identity and
    f = W₂x + b₂ is linear in θ, L = (1/4)‖X̃w − y‖² with X̃ = [X, 1], X̃ᵀX̃ = diag(16, 4, 4):
    ∇²L = (1/2) X̃ᵀX̃ on (W₂, b₂) and 0 elsewhere, E = {1/8, 1/2}."""
    L, th = linear_residual()
    assert all(int(v) == 0 for v in L.region(th)[0].ravel())
    ex = gdmap.exceptional_step_sizes(L, th)
    assert ex.complete and sorted(F(str(e.eta)) for e in ex.confirmed) == [F(1, 8), F(1, 2)]
    for eta in (F(1, 8), F(1, 2)):
        assert gdmap.check_nonsingular(L, eta, regions=[th]).verdict == R_
    assert gdmap.check_nonsingular(L, F(1, 4), regions=[th]).verdict == P_


def test_cnn_alive_region_has_no_exceptional_step_size():
    ex = gdmap.exceptional_step_sizes(CNN_SQ, CALIVE)
    assert ex.result.verdict == P_ and ex.complete and ex.confirmed == []
    assert ex.scope == "pattern"


@pytest.mark.parametrize("L,theta", [(CNN_SQ, CALIVE), (CNN_SQ, CDEAD),
                                     (vf.SquareLoss(cnn_net(pool="avg"), vf.Dataset(IMGS, [1, 0, 2])), CALIVE),
                                     (vf.SquareLoss(res_net(), vf.Dataset(X_RES, [1, 0, F(1, 2)])),
                                      _theta(res_net().n_params, 1))],
                         ids=["cnn-max-alive", "cnn-max-dead", "cnn-avg", "residual"])
def test_region_polynomial_matches_engine(L, theta):
    """The exact region polynomial (``on_region``, differentiated symbolically) equals the graph engine's exact
    value and forward-over-reverse Hessian at θ and at other points of the region."""
    pattern = L.region(theta)
    rp = R.RegionPolynomial(L, pattern)
    pts = [np.array(theta, dtype=object), *R.random_region_points(L, theta, 2, np.random.default_rng(0))]
    for pt in pts:
        vals = [fmpq(v.numerator, v.denominator) for v in pt]
        assert rp.poly(*vals) == L.value(pt, "exact")
        H = L.hessian(pt, "exact")
        for k in (0, L.n_params // 2, L.n_params - 1):
            col = rp.hessian_column(k)
            assert [c(*vals) for c in col] == list(H[:, k])


def test_full_kernel_convolution_equals_mlp():
    """A convolution whose 3×3 kernel covers the 3×3 image is a dense layer (same θ layout): exceptional sets and
    verdicts agree with vf.MLP([9, 2, 1]) (closed-form layer-wise engine) on the same regions."""
    cnn = nn.Sequential(nn.Conv2d(1, 2, kernel=3), nn.Act("relu"), nn.Flatten(), nn.Dense(1), input_shape=(1, 3, 3))
    mlp = vf.MLP([9, 2, 1], "relu", bias=True)
    X = [np.asarray(x, dtype=object).reshape(-1).tolist() for x in IMGS]
    Lc = vf.SquareLoss(cnn, vf.Dataset(IMGS, [1, 0, F(1, 2)]))
    Lm = vf.SquareLoss(mlp, vf.Dataset(X, [1, 0, F(1, 2)]))
    assert cnn.n_params == mlp.n_params
    for seed in (3, 4):
        th = _theta(cnn.n_params, seed, 13)
        assert [np.asarray(a).ravel().tolist() for a in Lc.region(th)] == \
            [np.asarray(a).ravel().tolist() for a in Lm.region(th)]
        assert (Lc.hessian(th, "exact") == Lm.hessian(th, "exact")).all()
        ec, em = gdmap.exceptional_step_sizes(Lc, th), gdmap.exceptional_step_sizes(Lm, th)
        assert ec.gcd == em.gcd and [str(e.eta) for e in ec.confirmed] == [str(e.eta) for e in em.confirmed]
    dead = [F(1, 9)] * 18 + [-10, -10, 1, -1, F(1, 3)]
    assert [str(e) for e in gdmap.exceptional_step_sizes(Lc, dead).etas] == ["1/2"]


def test_cross_entropy_batches():
    """The SGD batch objective of a cross-entropy loss is the cross-entropy on the batch's rows (labels kept):
    the full loss is the mean of the one-point batch losses."""
    L = OBJ[IDS.index("attention-crossentropy")][1]
    th = _theta(L.n_params, 5)
    parts = [batch_objective(L, [i]) for i in range(3)]
    assert all(isinstance(b, vf.CrossEntropyLoss) for b in parts)
    assert [int(b.labels[0]) for b in parts] == [0, 1, 1]
    assert abs(sum(float(b.value(th)) for b in parts) / 3 - float(L.value(th))) < 1e-12
    assert SGDMap(L, F(1, 3), [1, 2]).objective.data.n == 2


def test_networks_without_sites_are_one_region():
    """A network without activations or max pools (attention + dense) has one region, R^p: θ may be omitted, and
    a check speaks of all of R^p."""
    L = OBJ[IDS.index("attention-square")][1]
    assert L.net.sites == [] and R.region_of(L, _theta(L.n_params, 0)) == ()
    assert R.pattern_is_global(L, ())
    ex = gdmap.exceptional_step_sizes(L, eta_range=(F(1, 10), 10))
    assert ex.scope == "pattern" and "all of R^p" in ex.result.scope["what"]


def test_polynomial_and_analytic_classification():
    """Polynomial on regions: square loss over ReLU-type dense/conv/pool/residual layers; not with softmax
    attention or cross-entropy. Pattern-global analyticity holds for all of them."""
    poly = {name: R.is_polynomial_objective(L) for name, L, _ in OBJ}
    assert poly == {"cnn-max-square": True, "cnn-avg-square": True, "cnn-max-crossentropy": False,
                    "residual-square": True, "residual-logistic": False, "attention-crossentropy": False,
                    "attention-square": False}
    for name, L, th in OBJ:
        assert R.pattern_is_global(L, R.region_of(L, th)), name
    tanh_pow = vf.SquareLoss(nn.Sequential(nn.Conv1d(1, 1, kernel=2), nn.Act(("relu_power", "3/2")), nn.Flatten(),
                                           nn.Dense(1), input_shape=(1, 3)), vf.Dataset([[1, 2, 3]], [1]))
    assert not R.pattern_is_global(tanh_pow, ())  # z^{3/2} is not analytic at 0: component scope


# ================================================================================================ stability
@pytest.mark.parametrize("net,X,theta", [(cnn_net(), IMGS[:1], CALIVE),
                                         (res_net(), X_RES[:1], _theta(res_net().n_params, 1))],
                         ids=["cnn", "residual"])
def test_stability_at_an_interpolating_minimum(net, X, theta):
    """One data point, output bias set so that f(x₀) = y₀ exactly: L = 0 is a global minimum with a rank-one
    Hessian 2J₀ᵀJ₀ (λ_max = 2‖J₀‖²): PROVED (non-strict) for 2/η > λ_max, REFUTED for 2/η < λ_max."""
    L = vf.SquareLoss(net, vf.Dataset(X, [F(1, 3)]))
    assert L.n_params == len(theta)
    th = _interpolating(L, theta)
    assert L.value(th, "exact") == 0
    J = np.asarray(L.jacobian(th, "exact"), dtype=object)
    lam = 2 * sum(F(int(v.p), int(v.q)) ** 2 for v in J[0])  # the non-zero eigenvalue of 2JᵀJ
    ok = stability.gd(L, th, 1 / lam)  # 2/η = 2λ
    assert ok.verdict == P_ and ok.certificate["proved_by"].startswith("(b)"), ok.message
    assert ok.certificate["zero_eigenvalue_multiplicity"] == L.n_params - 1
    bad = stability.gd(L, th, 4 / lam)  # 2/η = λ/2
    assert bad.verdict == R_ and bad.certificate["classification"] == "unstable", bad.message


def test_sgd_wu_ma_e_on_the_dead_cnn_by_hand():
    """Dead CNN, y ≡ 1/2 and b₂ = 1/2: every per-sample loss (b₂ − 1/2)² vanishes with its gradient; each H_i is 2
    on b₂, so a = 2, Σ = 0 and V = (1 − 2η)²: ≤ 1 at η = 1/2 (PROVED), 4 at η = 3/2 (REFUTED)."""
    L = vf.SquareLoss(cnn_net(), vf.Dataset(IMGS, [F(1, 2)] * 3))
    th = CDEAD[:12] + [F(1, 2)]
    ok = stability.sgd(L, th, F(1, 2), batch_size=1, lyapunov_steps=20, lyapunov_runs=2)
    assert ok.verdict == P_, ok.message
    bad = stability.sgd(L, th, F(3, 2), batch_size=1, lyapunov_steps=20, lyapunov_runs=2)
    assert bad.verdict == R_, bad.message
    assert bad.certificate["value"][0] == bad.certificate["value"][1] == 4


@pytest.mark.parametrize("name,L,theta", [o for o in OBJ if "attention" in o[0] or "crossentropy" in o[0]],
                         ids=[o[0] for o in OBJ if "attention" in o[0] or "crossentropy" in o[0]])
def test_stability_refutes_a_non_critical_point(name, L, theta):
    res = stability.gd(L, theta, F(1, 3))
    assert res.verdict == R_ and res.certificate["classification"] == "not a fixed point", res.message


# ================================================================================================ convergence
@pytest.mark.parametrize("name,L,theta", OBJ, ids=IDS)
def test_ball_gd_run_encloses_the_exact_or_high_precision_run(name, L, theta):
    """Ball iterates (128 bits) enclose the exact iterates (polynomial objectives) or an mp run at 512 bits."""
    eta = F(1, 10)
    ball = convergence.gd(L, theta, eta, 3, "ball", 128)
    assert not ball.stopped
    if R.is_polynomial_objective(L):
        ref = convergence.gd(L, theta, eta, 3, "exact").thetas
        ref = [[F(int(v.p), int(v.q)) for v in t] for t in ref]
        for tb, tr in zip(ball.thetas, ref):
            assert all(_encloses(b, v) for b, v in zip(tb, tr))
    else:
        ref = convergence.gd(L, theta, eta, 3, "mp", 512).thetas  # rounding errors ~10⁻¹⁵⁰, radii ~10⁻³⁶
        for tb, tr in zip(ball.thetas, ref):
            assert all(_encloses(b, to_fraction(v)) for b, v in zip(tb, tr))


@pytest.mark.parametrize("name,L,theta", OBJ, ids=IDS)
def test_check_rate_every_network(name, L, theta):
    """check_rate PROVES a rate q above the observed one and REFUTES one below it (certified ball runs)."""
    traj = convergence.gd(L, theta, F(1, 20), 3, "ball", 128)
    losses = [float(v.mid()) for v in traj.losses]
    assert losses[-1] < losses[0]
    worst = max((losses[k] / losses[0]) ** (1 / k) for k in range(1, 4))
    best = min((losses[k] / losses[0]) ** (1 / k) for k in range(1, 4))
    q_hi = F(min(0.999999, worst + (1 - worst) / 2)).limit_denominator(10**6)
    assert convergence.check_rate(traj, q_hi).verdict == P_
    if best > 0.01:
        q_lo = F(best * 0.5).limit_denominator(10**6)
        assert convergence.check_rate(traj, q_lo).verdict == R_


# ================================================================================================ pl
@pytest.mark.parametrize("name", ["cnn-max-square", "cnn-avg-square", "residual-square", "attention-square"])
def test_ntk_lower_bound_every_network(name):
    """The NTK bound 4sλ_min(JJᵀ) over a small box: positive, below the ratio ‖∇L‖²/L at sampled points of the
    ball and below 4sλ_min at the centre (float reference)."""
    _, L, theta = OBJ[IDS.index(name)]
    r = F(1, 10**4)
    lo = pl.alpha_lower_ntk(L, theta, r)
    assert lo > 0
    x0 = np.array([float(v) for v in theta])
    J = np.asarray(L.jacobian(x0, "float"), dtype=float)
    assert float(lo) <= 4 * float(L.scale) * np.linalg.eigvalsh(J @ J.T).min() * (1 + 1e-9)
    rng = np.random.default_rng(0)
    for _ in range(5):
        d = rng.standard_normal(len(x0))
        x = x0 + float(r) * rng.random() * d / np.linalg.norm(d)
        g = np.asarray(L.grad(x, "float"), dtype=float)
        assert float(lo) <= float(g @ g) / float(L.value(x, "float")) * (1 + 1e-9)


def test_first_layer_bound_needs_a_dense_first_layer():
    """The first-layer (Schur) bound is about z₁ = W₁x + b₁: refused for a convolution or attention first layer,
    not chosen by methods='auto' there; still available for a Dense first layer (found through the layout)."""
    for name in ("cnn-max-square", "attention-square"):
        _, L, theta = OBJ[IDS.index(name)]
        assert first_layer_block(L.net) is None
        with pytest.raises(InputError, match="first layer is Dense"):
            alpha_lower_schur(L, theta, F(1, 100))
    L = OBJ[IDS.index("residual-square")][1]
    blk = first_layer_block(L.net)
    assert blk is not None and blk.slice == slice(0, 6) and blk.shape == (3, 2)
    mlp = vf.MLP([2, 3, 1], "relu", bias=True)
    assert first_layer_block(mlp) == mlp.block("W1")


def test_nonnegativity_cross_entropy():
    assert pl.nonnegativity(OBJ[IDS.index("attention-crossentropy")][1]).startswith("structural")


@pytest.mark.parametrize("net,X,theta", [(cnn_net(), IMGS[:1], CALIVE)], ids=["cnn"])
def test_chatterjee_near_an_interpolating_point(net, X, theta):
    """10⁻⁶ from an exact interpolating point of a CNN, r = 10⁻³: α ≥ 4sλ_min(JJᵀ) ≈ 84 (NTK, the only method at
    p = 13) and 4L(x0)/r² ≈ 10⁻⁵: the gradient-flow and GD criteria are PROVED."""
    L = vf.SquareLoss(net, vf.Dataset(X, [F(1, 3)]))
    x0 = _interpolating(L, theta)
    x0[0] += F(1, 10**6)
    res = pl.chatterjee(L, x0, F(1, 1000), starts=0)
    assert res.verdict == P_ and "ntk" in res.certificate["alpha_lower_method"], res.message
    assert pl.chatterjee_gd(L, x0, F(1, 1000), starts=0).verdict == P_


# ================================================================================================ soundness attacks
def linear_residual():
    """Residual([Dense(2), ReLU]) → Dense(1) on X = [[±2, ±1]], and θ with the branch's ReLU off (b1 = −20)."""
    net = nn.Sequential(nn.Residual([nn.Dense(2), nn.Act("relu")]), nn.Dense(1), input_shape=2)
    L = vf.SquareLoss(net, vf.Dataset([[2, 1], [2, -1], [-2, 1], [-2, -1]], [1, 0, 2, -1]))
    return L, [F(1, 3), -F(1, 2), F(1, 5), F(1, 7), -20, -20, F(1, 2), -1, F(1, 4)]  # W1, b1 (off), W2, b2


@pytest.mark.parametrize("L,theta,eta", [(CNN_SQ, CDEAD, F(1, 2)), (*linear_residual(), F(1, 8))],
                         ids=["cnn-dead", "residual-linear"])
def test_eta_1e30_from_an_exceptional_value(L, theta, eta):
    """η = η_e ± 10⁻³⁰: det(I − η∇²L) = O(10⁻³⁰) ≠ 0, non-singular (PROVED), never REFUTED; η_e itself REFUTED."""
    ex = gdmap.exceptional_step_sizes(L, theta)
    assert ex.contains(eta) is True
    assert gdmap.check_nonsingular(L, eta, regions=[theta]).verdict == R_
    for d in (F(1, 10**30), -F(1, 10**30)):
        assert ex.contains(eta + d) is False
        res = gdmap.check_nonsingular(L, eta + d, regions=[theta])
        assert res.verdict == P_, res.message
        assert _det_exact(L, theta, eta + d) != 0
        assert str(eta + d) in res.message  # the exact η, not a rounded "0.5"


def test_max_pool_tie_is_a_boundary_everywhere():
    """θ on a max-pooling tie of live units: no region, no derivative — every analysis refuses or stays
    INCONCLUSIVE, and a box containing the tie is not a region either."""
    with pytest.raises(RegionBoundaryError, match="MaxPool"):
        CNN_SQ.region(TIE)
    with pytest.raises(RegionBoundaryError):
        gdmap.check_nonsingular(CNN_SQ, F(1, 3), regions=[TIE])
    with pytest.raises(RegionBoundaryError):
        gdmap.exceptional_step_sizes(CNN_SQ, TIE)
    assert stability.gd(CNN_SQ, TIE, F(1, 3)).verdict == I_
    with pytest.raises(RegionBoundaryError):
        pl.alpha_lower_ntk(CNN_SQ, TIE, F(1, 1000))
    box = [arb(fmpq(v.numerator, v.denominator)) + (arb(0, 1e-9) if i == 4 else 0) for i, v in enumerate(TIE)]
    with pytest.raises(RegionBoundaryError):
        R.region_of(CNN_SQ, box)
    assert not R.point_in_piece(vf.SquareLoss(nn.Sequential(nn.Conv2d(1, 2, kernel=2), nn.Act(("relu_power", "3/2")),
                                                            nn.MaxPool2d(2), nn.Flatten(), nn.Dense(1),
                                                            input_shape=(1, 3, 3)), vf.Dataset(IMGS, [1, 0, 2])),
                                box, CNN_SQ.region(CALIVE))
    assert stability.gd(CNN_SQ, box, F(1, 3)).verdict == I_


def test_dead_unit_ties_are_not_boundaries():
    """Ties between dead ReLU outputs (all 0 on the region) are not boundaries: the dead region is a region, and a
    small box around CDEAD has the same pattern."""
    pat = CNN_SQ.region(CDEAD)
    box = [arb(fmpq(v.numerator, v.denominator), fmpq(1, 10**6)) for v in CDEAD]
    assert R._patterns_equal(R.region_of(CNN_SQ, box), pat)
    assert R.point_in_piece(CNN_SQ, box, pat)


def _kink_theta():
    """CALIVE with b1[0] set so that channel 0's pre-activation at position (0, 0) of image 0 is exactly 0."""
    th = list(CALIVE)
    th[8] = -sum(w * x for w, x in zip(th[0:4], [1, 0, -1, 1]))
    return th


def test_relu_kink_and_boxes_straddling_it():
    th = _kink_theta()
    with pytest.raises(RegionBoundaryError, match="relu"):
        CNN_SQ.region(th)
    with pytest.raises(RegionBoundaryError):
        gdmap.check_nonsingular(CNN_SQ, F(1, 3), regions=[th])
    assert stability.gd(CNN_SQ, th, F(1, 3)).verdict == I_
    box = [arb(fmpq(v.numerator, v.denominator), fmpq(1, 10**9)) for v in th]
    with pytest.raises(RegionBoundaryError):
        R.region_of(CNN_SQ, box)
    assert stability.gd(CNN_SQ, box, F(1, 3)).verdict == I_
    a = pl.alpha(CNN_SQ, th, F(1, 1000), starts=0)  # the box [x0 ± r] straddles the kink: no NTK bound
    assert a.lower is None and "no bound" in a.note
    # sampled points on boundaries are skipped, never evidence: a bias-free convolution of a zero image puts every
    # ReLU input at its breakpoint 0 for every θ
    zero = nn.Sequential(nn.Conv2d(1, 2, kernel=2, bias=False), nn.Act("relu"), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Dense(1), input_shape=(1, 3, 3))
    res = gdmap.check_nonsingular(vf.SquareLoss(zero, vf.Dataset([[[[0] * 3] * 3]], [1])), F(1, 3), samples=5)
    assert res.verdict == I_ and res.certificate["skipped_boundary_points"] == 5


@pytest.mark.parametrize("ce", [False, True], ids=["square", "crossentropy"])
def test_theta_1e50_from_a_kink(ce):
    """θ 10⁻⁵⁰ inside a ReLU region: the pattern is decided exactly; 128-bit Hessians cannot separate the kink, so
    the determinant is taken at a higher precision (or exactly) — PROVED, as the exact determinant confirms."""
    th = _kink_theta()
    th[8] += F(1, 10**50)
    if ce:
        L = vf.CrossEntropyLoss(cnn_net(2), vf.Dataset(IMGS, [0, 1, 1]))
        th = th[:10] + [F(1, 4), -F(1, 3), F(1, 2), F(2, 3), F(1, 5), -F(1, 7)]
    else:
        L = CNN_SQ
        assert _det_exact(L, th, F(1, 3)) != 0
    L.region(th)
    res = gdmap.check_nonsingular(L, F(1, 3), regions=[th])
    assert res.verdict == P_, res.message
    assert res.certificate["regions"][0]["det"][0]["prec"] != 128 or res.certificate["regions"][0]["det"][0][
        "arith"] == "exact"


def _sound_cnn_verdict(th, eta):
    """check_nonsingular on the region of θ, checked independently: a REFUTED η makes det(I − η∇²L) ≡ 0 — zero
    exactly at θ and at other points of the region —, a PROVED has a non-zero exact determinant at its certifying
    point of the region. Returns the verdict (None: θ on a boundary)."""
    try:
        pat = CNN_SQ.region(th)
    except RegionBoundaryError:
        return None
    res = gdmap.check_nonsingular(CNN_SQ, eta, regions=[th], points_per_region=2)
    pts = [np.array(th, dtype=object)]
    try:
        pts += R.random_region_points(CNN_SQ, th, 2, np.random.default_rng(1))
    except InputError:  # a thin region: θ alone
        pass
    dets = [_det_exact(CNN_SQ, pt, eta) for pt in pts]
    assert all(R._patterns_equal(CNN_SQ.region(pt), pat) for pt in pts)
    if res.verdict == R_:
        assert all(d == 0 for d in dets), dets
    if res.verdict == P_:
        reg = res.certificate["regions"][0]
        pt = reg.get("certifying_point", reg["point"])
        assert _det_exact(CNN_SQ, np.array(pt, dtype=object), eta) != 0
    if any(d != 0 for d in dets):
        assert res.verdict != R_
    return res.verdict


@settings(max_examples=12, deadline=None)
@given(ws=st.lists(st.integers(-6, 6), min_size=13, max_size=13),
       off=st.lists(st.booleans(), min_size=2, max_size=2),
       eta=st.sampled_from([F(1, 2), F(1, 3), F(1, 6), F(1, 2) + F(1, 10**30)]))
def test_cnn_verdicts_are_sound(ws, off, eta):
    """Random CNN regions (each channel possibly switched off by b1 = −10), η near and at exceptional values."""
    th = [F(w, 5) for w in ws]
    for c in range(2):
        if off[c]:
            th[8 + c] = F(-10)
    note(f"θ = {th}, η = {eta}")
    _sound_cnn_verdict(th, eta)


def test_cnn_verdicts_are_sound_on_a_fixed_sample():
    """The same check on 30 seeded regions × 3 step sizes, which must include both REFUTED and PROVED verdicts."""
    rng = np.random.default_rng(0)
    seen = []
    for _ in range(30):
        th = [F(int(w), 5) for w in rng.integers(-6, 7, size=13)]
        for c in range(2):
            if rng.random() < 0.5:
                th[8 + c] = F(-10)
        for eta in (F(1, 2), F(1, 3), F(1, 2) - F(1, 10**30)):
            seen.append(_sound_cnn_verdict(th, eta))
    assert seen.count(R_) >= 3 and seen.count(P_) >= 20 and I_ not in seen


def test_irrational_piece_coefficients_use_ball_arithmetic():
    """A piece √2·z is polynomial but not over Q: not an exact polynomial objective; regions, exceptional sets and
    non-singularity are then decided in ball arithmetic instead of failing in exact arithmetic."""
    import sympy as sp

    from verify.models.activation import Activation, Z

    act = Activation.from_piecewise(sp.Piecewise((0, Z < 0), (sp.sqrt(2) * Z, True)), name="sqrt2_relu")
    net = nn.Sequential(nn.Conv1d(1, 1, kernel=2), nn.Act(act), nn.MaxPool1d(2), nn.Flatten(), nn.Dense(1),
                        input_shape=(1, 3))
    L = vf.SquareLoss(net, vf.Dataset([[[1, 2, -1]], [[0, 1, 2]]], [1, 0]))
    th = [F(1, 2), F(1, 3), F(1, 5), F(1, 7), -F(1, 3)]
    assert not R.is_polynomial_objective(L)
    assert len(R.region_of(L, th)) == 2
    assert gdmap.check_nonsingular(L, F(1, 3), regions=[th]).verdict == P_
    ex = gdmap.exceptional_step_sizes(L, th, eta_range=(F(1, 10), 10))  # Arb eigenvalue enclosures
    assert ex.result.verdict == P_ and ex.method.startswith("intersection") and ex.contains(F(1, 3)) is False


def test_float_step_near_a_non_dyadic_exceptional_value():
    """E = {1/6} (dead CNN, "sum" normalisation): the float 1/6 is 1/6 + O(10⁻¹⁷), not exceptional — PROVED with a
    certified determinant ≈ −6·10⁻¹⁷ ≠ 0 —, while the exact 1/6 is REFUTED."""
    L = vf.SquareLoss(cnn_net(), vf.Dataset(IMGS, [1, 0, F(1, 2)]), normalization="sum")
    assert gdmap.check_nonsingular(L, F(1, 6), regions=[CDEAD]).verdict == R_
    res = gdmap.check_nonsingular(L, 1 / 6, regions=[CDEAD])
    assert res.verdict == P_ and _det_exact(L, CDEAD, F(1 / 6)) != 0, res.message
