"""The ball bounds of α (verify/pl/jacobian_bound.py): "jacobian_weyl" and "schur_ball".

Both are LOWER bounds of α(x0, r) = inf_B ‖∇L‖²/L: checked against the ratio sampled in the ball at 100 digits
(random points, the sphere, and the adversarial directions that put all of r into one hidden unit along the
data), against the Jacobian variation they bound, and on the cases where they must be 0 or refuse (duplicate
data points, kinks of ReLU on the ball, huge radii)."""

from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import verify as vf
from verify import pl
from verify.errors import InputError, RegionBoundaryError
from verify.pl.jacobian_bound import (
    alpha_lower_jacobian_weyl,
    alpha_lower_schur_ball,
    lipschitz_box_hessians,
    lipschitz_two_layer,
    two_layer_structure,
)

X3 = [[1, 0, F(1, 2)], [0, 1, -1], [F(1, 3), F(1, 2), 1]]
Y3 = [1, -1, F(1, 2)]


def _points_in_ball(x0, r, rng, count, net=None, X=None):
    """Random points of the closed ball (interior and sphere), plus, for one-hidden-layer nets, the points that put
    all of r into the first-layer weights of one unit along a data point (the worst case of the Weyl bound)."""
    x0f = np.array([float(v) for v in x0])
    rf = float(r) * (1 - 1e-9)  # strictly inside despite float rounding
    p = len(x0f)
    out = []
    for k in range(count):
        d = rng.standard_normal(p)
        t = 1.0 if k % 3 == 0 else rng.random() ** (1 / p)
        out.append(x0f + rf * t * d / np.linalg.norm(d))
    if net is not None and X is not None:
        lay = net.layout
        W = lay.block("W1")
        m, din = W.shape
        for j in range(m):
            for xi in X:
                for sgn in (-1, 1):
                    d = np.zeros(p)
                    d[W.slice.start + j * din:W.slice.start + (j + 1) * din] = [sgn * float(v) for v in xi]
                    out.append(x0f + rf * d / np.linalg.norm(d))
    return out


def _min_ratio(loss, pts):
    return min(pl.ratio(loss, pt, "mp", 100) for pt in pts)


@pytest.mark.parametrize("act, bias, lam", [("tanh", False, 4), ("tanh", True, 2), ("sigmoid", True, 3)])
def test_ball_bounds_are_below_the_ratio_in_the_ball(act, bias, lam):
    net = vf.MLP([3, 5, 1], act, bias=bias)
    loss = vf.SquareLoss(net, vf.Dataset(X3, Y3))
    rng = np.random.default_rng(1)
    x0 = [F(int(k), 16) for k in rng.integers(-8, 9, size=net.n_params)]
    for i in range(net.layout.block("W2").slice.start, net.layout.block("W2").slice.stop):
        x0[i] = F(lam)
    r = F(1, 20)
    sb = alpha_lower_schur_ball(loss, x0, r)
    jw = alpha_lower_jacobian_weyl(loss, x0, r)
    assert sb.lower > 0  # the instance is informative: a wrong bound would be caught
    lo = max(sb.lower, jw.lower)
    m = _min_ratio(loss, _points_in_ball(x0, r, rng, 60, net, X3))
    assert m >= float(lo) * (1 - 1e-12), (m, float(sb.lower), float(jw.lower))


def test_jacobian_weyl_is_positive_and_sound_at_the_positive_initialisation():
    net = vf.MLP([3, 4, 1], "tanh")
    loss = vf.SquareLoss(net, vf.Dataset(X3[:2], Y3[:2]))
    x0 = vf.init.positive(net, 8)
    r = F(1, 10)
    jw = alpha_lower_jacobian_weyl(loss, x0, r)
    assert jw.lower > 0 and jw.parts["M_from"] in ("closed form (one hidden layer)", "box Hessians")
    assert set(jw.parts["M_candidates"]) == {"closed form (one hidden layer)", "box Hessians"}
    m = _min_ratio(loss, _points_in_ball(x0, r, np.random.default_rng(2), 60, net, X3[:2]))
    assert m >= float(jw.lower) * (1 - 1e-12)


@pytest.mark.parametrize("widths, act", [([3, 4, 1], "tanh"), ([2, 2, 2, 1], "tanh"), ([2, 3, 2], "sigmoid")])
def test_lipschitz_constants_bound_the_jacobian_variation(widths, act):
    """‖J(θ) − J(x0)‖_F ≤ r·M at points of the ball, for both ways of computing M."""
    net = vf.MLP(widths, act, bias=True)
    X = [[1, F(1, 2), 0][:widths[0]], [F(-1, 3), 1, F(1, 4)][:widths[0]]]
    Y = [[1] * widths[-1], [-1] * widths[-1]] if widths[-1] > 1 else [1, -1]
    loss = vf.SquareLoss(net, vf.Dataset(X, Y))
    rng = np.random.default_rng(3)
    x0 = [F(int(k), 8) for k in rng.integers(-8, 9, size=net.n_params)]
    r = F(1, 4)
    Ms = [lipschitz_box_hessians(loss, x0, r, 128)]
    if two_layer_structure(loss, x0) is not None:
        Ms.append(lipschitz_two_layer(loss, x0, r, 128)[0])
    J0 = np.asarray(loss.jacobian(np.array([float(v) for v in x0]), "float"), dtype=float)
    worst = 0.0
    for pt in _points_in_ball(x0, r, rng, 40):
        worst = max(worst, np.linalg.norm(np.asarray(loss.jacobian(pt, "float"), dtype=float) - J0))
    for M in Ms:
        assert worst <= float(r * M) * (1 + 1e-9)
    assert worst > 0


def test_duplicate_points_give_zero_never_positive():
    net = vf.MLP([3, 4, 1], "tanh")
    loss = vf.SquareLoss(net, vf.Dataset([X3[0], X3[0]], [1, -1]))
    x0 = vf.init.positive(net, 16)
    for r in (F(1, 10**30), F(1, 10)):
        jw = alpha_lower_jacobian_weyl(loss, x0, r)
        sb = alpha_lower_schur_ball(loss, x0, r)
        assert jw.lower == 0 and sb.lower == 0
        assert jw.parts["lambda0_lower"] <= 0 and sb.parts["lambda_XXt_lower"] <= 0


def test_tiny_and_huge_radii():
    net = vf.MLP([3, 4, 1], "tanh")
    loss = vf.SquareLoss(net, vf.Dataset(X3[:2], Y3[:2]))
    x0 = vf.init.positive(net, 4)
    tiny = F(1, 10**30)
    jw, sb = alpha_lower_jacobian_weyl(loss, x0, tiny), alpha_lower_schur_ball(loss, x0, tiny)
    at_x0 = pl.ratio(loss, [float(v) for v in x0], "mp", 100)
    # at r → 0 the bounds tend to 4sλ_min(JJᵀ)(x0) and 4sλ_min(XXᵀ)min‖u_i‖², both ≤ the ratio at x0
    assert 0 < jw.lower and float(jw.lower) <= at_x0 and 0 < sb.lower and float(sb.lower) <= at_x0
    assert float(jw.lower) == pytest.approx(4 * 0.5 * float(jw.parts["lambda0_lower"]), rel=1e-12)
    for big in (F(100), F(10**40)):
        assert alpha_lower_jacobian_weyl(loss, x0, big).lower == 0
        assert alpha_lower_schur_ball(loss, x0, big).lower == 0


def test_relu_kinks_are_refused_and_kink_free_balls_are_sound():
    net = vf.MLP([3, 4, 1], "relu")
    loss = vf.SquareLoss(net, vf.Dataset(X3, Y3))
    at_kink = vf.init.positive(net, 4)  # W1 = 0: every pre-activation sits on the kink
    for f in (alpha_lower_jacobian_weyl, alpha_lower_schur_ball):
        with pytest.raises(RegionBoundaryError):
            f(loss, at_kink, F(1, 10))
    b = pl.alpha(loss, at_kink, F(1, 10), methods=("jacobian_weyl", "schur_ball"), starts=1)
    assert b.lower is None and "schur_ball: no bound" in b.note and "jacobian_weyl: no bound" in b.note
    # off the kinks: |z_ij| ≥ 1/4 at x0, and r = 1/100 keeps every pre-activation on its piece
    rng = np.random.default_rng(4)
    W1 = [[1, 2, F(1, 2)], [-1, 1, F(-1, 2)], [2, -1, 1], [F(1, 2), F(1, 2), 2]]
    x0 = [F(v) for row in W1 for v in row] + [F(1), F(-1), F(2), F(1)]
    zs = np.array([[float(v) for v in row] for row in X3]) @ np.array(
        [float(v) for v in x0[:12]]).reshape(4, 3).T
    assert np.min(np.abs(zs)) >= 0.25
    r = F(1, 100)
    lo = max(alpha_lower_schur_ball(loss, x0, r).lower, alpha_lower_jacobian_weyl(loss, x0, r).lower)
    m = _min_ratio(loss, _points_in_ball(x0, r, rng, 30, net, X3))
    assert m >= float(lo) * (1 - 1e-12)
    with pytest.raises(RegionBoundaryError):  # a ball reaching a kink
        alpha_lower_schur_ball(loss, x0, F(10))


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from(["tanh", "sigmoid", "softplus"]), st.booleans())
def test_random_instances_lower_bound_holds(seed, act, bias):
    rng = np.random.default_rng(seed)
    net = vf.MLP([3, 3, 1], act, bias=bias)
    loss = vf.SquareLoss(net, vf.Dataset(X3[:2], Y3[:2]), normalization="half_sum")
    x0 = [F(int(k), 4) for k in rng.integers(-8, 9, size=net.n_params)]
    r = F(int(rng.integers(1, 20)), 40)
    b = pl.alpha(loss, x0, r, methods=("jacobian_weyl", "schur_ball"), starts=1)
    assert b.lower is not None and b.lower >= 0
    m = _min_ratio(loss, _points_in_ball(x0, r, rng, 25, net, X3[:2]))
    assert m >= float(b.lower) * (1 - 1e-12)
    assert b.upper is None or b.lower <= b.upper


def test_bad_arguments():
    deep = vf.SquareLoss(vf.MLP([2, 2, 2, 1], "tanh"), vf.Dataset([[1, 0], [0, 1]], [1, -1]))
    with pytest.raises(InputError, match="one-hidden-layer"):
        alpha_lower_schur_ball(deep, [0] * deep.n_params, F(1, 10))
    with pytest.raises(InputError, match="one-hidden-layer"):
        pl.alpha(deep, [0] * deep.n_params, F(1, 10), methods=("schur_ball",), starts=1)
    logistic = vf.LogisticLoss(vf.MLP([2, 2, 1], "tanh"), vf.Dataset([[1, 0], [0, 1]], [1, -1]))
    with pytest.raises(InputError, match="square loss"):
        alpha_lower_jacobian_weyl(logistic, [0] * logistic.n_params, F(1, 10))
    sq = vf.SquareLoss(vf.MLP([2, 2, 1], "tanh"), vf.Dataset([[1, 0], [0, 1]], [1, -1]))
    for r in (0, -1, float("nan")):
        with pytest.raises(InputError):
            alpha_lower_jacobian_weyl(sq, [0] * sq.n_params, r)
    with pytest.raises(InputError):
        pl.alpha(sq, [0] * sq.n_params, F(1, 10), methods=("jacobian",))


def _digits(n_per_class=5):
    datasets = pytest.importorskip("sklearn.datasets")
    d = datasets.load_digits()
    idx = np.concatenate([np.where(d.target == c)[0][:n_per_class] for c in (0, 1)])
    X = [[F(int(v), 16) for v in d.data[i]] for i in idx]
    y = [F(-1) if d.target[i] == 0 else F(1) for i in idx]
    return X, y


def test_digits_criterion_proved_with_the_ball_bound_where_the_box_bounds_fail():
    """10 digits (0 vs 1), tanh [64, 32, 1] at the positive initialisation, output scale 16, r = 1/10: the box
    bounds stay far below 4L(x0)/r² = 400, the ball bound exceeds it and the criterion is PROVED."""
    X, y = _digits()
    net = vf.MLP([64, 32, 1], "tanh")
    loss = vf.SquareLoss(net, vf.Dataset(X, y))
    x0 = vf.init.positive(net, 16)
    r = F(1, 10)
    old = pl.alpha(loss, x0, r, methods=("ntk", "schur"), starts=1)
    assert old.lower < 1
    res = pl.chatterjee(loss, x0, r, starts=1)
    assert res.verdict == vf.Verdict.PROVED
    assert "schur_ball" in res.certificate["alpha_lower_method"]
    assert res.certificate["alpha"][0] > 400


@pytest.mark.slow
def test_digits_scale_4_ball_bound_positive_box_bound_not():
    X, y = _digits()
    net = vf.MLP([64, 16, 1], "tanh")
    loss = vf.SquareLoss(net, vf.Dataset(X, y))
    x0 = vf.init.positive(net, 4)
    r = F(1, 10)
    old = pl.alpha(loss, x0, r, methods=("ntk",), starts=1)
    new = pl.alpha(loss, x0, r, starts=1)
    assert old.lower == 0 and new.lower > 10 and "schur_ball" in new.lower_method
    assert pl.chatterjee(loss, x0, r, bounds=new).verdict == vf.Verdict.INCONCLUSIVE
