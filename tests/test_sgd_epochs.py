"""SGD as practised: epoch maps (random reshuffling, with replacement, schedules), certified non-singularity of
epoch maps, and the stability of interpolating minima per sampling scheme (verify.gdmap.epochs,
verify.gdmap.check_epoch_nonsingular, verify.stability.sampling)."""

from __future__ import annotations

from fractions import Fraction as F

import mpmath
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import verify as vf
from verify import gdmap, stability
from verify.arith.decide import bounds
from verify.errors import InputError
from verify.gdmap import EpochMap, check_epoch_nonsingular

V = vf.Verdict


def q(x) -> F:
    return F(int(x.p), int(x.q)) if hasattr(x, "p") else F(x)


def relu_net():
    X = [[1, 0], [0, 1], [1, 1], [2, -1]]
    return vf.SquareLoss(vf.MLP([2, 2, 1], "relu"), vf.Dataset(X, [1, 2, 3, 0]))


THETA = [F(1, 3), F(2, 5), F(-1, 7), F(3, 4), F(1, 2), F(-2, 3)]


def linear_regression():
    """L_B(w) = (1/|B|) Σ (w·x_i − y_i)²: H_B = (2/|B|) Σ x_i x_iᵀ, constant. Exceptional steps: batch [0] and [1]
    have λ = 2 (η = 1/2), batch [2] (x = (1, 1)) has λ = 4 (η = 1/4)."""
    return vf.SquareLoss(vf.MLP([2, 1], "relu"), vf.Dataset([[1, 0], [0, 1], [1, 1]], [1, 2, 3]))


# ------------------------------------------------------------------------------------------------ the maps
def test_epoch_map_is_the_composition_of_the_batch_maps_exactly():
    loss = relu_net()
    for E in (vf.SGDMap.epoch(loss, F(1, 10), 2, seed=4), vf.SGDMap.epoch(loss, F(1, 10), 3, seed=1),
              vf.SGDMap.epoch(loss, F(1, 10), 2, replacement=True, seed=7, steps=3),
              EpochMap(loss, [[3], [0, 2], [1]], F(1, 8), schedule=[1, F(1, 2), F(1, 4)])):
        th = np.array(THETA, dtype=object)
        for b, eta in zip(E.batches, E.etas):
            th = vf.SGDMap(loss, eta, b)(th, "exact")
        assert [q(x) for x in E(THETA, "exact")] == [q(x) for x in th]
        # the Jacobian is the product of the factors, each at its intermediate iterate (chain rule), exactly
        J = E.jacobian(THETA, "exact")
        P, pts = None, E.orbit(THETA, "exact")
        for k, m in enumerate(E.maps):
            D = vf.SGDMap(loss, m.eta, m.batch).jacobian(pts[k], "exact")
            P = D if P is None else D @ P
            got = E.factors(THETA, "exact")[k][1]
            assert [[q(x) for x in row] for row in got] == [[q(x) for x in row] for row in D]
        assert [[q(x) for x in row] for row in J] == [[q(x) for x in row] for row in P]


def test_epoch_jacobian_matches_high_precision_finite_differences():
    """A tanh network (not polynomial): the Arb enclosure of DE(θ) contains central differences at 400 bits."""
    X = [[1, 0], [0, 1], [1, 1]]
    loss = vf.SquareLoss(vf.MLP([2, 2, 1], "tanh"), vf.Dataset(X, [1, -1, 0]))
    E = EpochMap(loss, [[2], [0, 1]], F(1, 5), schedule=[1, F(1, 2)])
    J = E.jacobian(THETA, "ball", 200)
    h = F(1, 10**40)
    with mpmath.workprec(400):
        for j in range(6):
            up = [x + (h if i == j else 0) for i, x in enumerate(THETA)]
            dn = [x - (h if i == j else 0) for i, x in enumerate(THETA)]
            a, b = E(up, "mp", 400), E(dn, "mp", 400)
            for i in range(6):
                fd = (a[i] - b[i]) / (2 * mpmath.mpf(h.numerator) / h.denominator)
                lo, hi = bounds(J[i, j])
                assert hi - lo < F(1, 10**40)
                tol = mpmath.mpf(10) ** -60
                lo_m, hi_m = mpmath.mpf(lo.numerator) / lo.denominator, mpmath.mpf(hi.numerator) / hi.denominator
                assert lo_m - tol <= fd <= hi_m + tol


def test_sampling_is_reproducible_and_recorded():
    loss = relu_net()
    a = vf.SGDMap.epoch(loss, F(1, 10), 3, seed=11)
    b = vf.SGDMap.epoch(loss, F(1, 10), 3, seed=11)
    assert a.batches == b.batches and a.describe()["seed"] == 11
    assert a.describe()["order"] == [int(i) for i in np.random.default_rng(11).permutation(4)]
    assert [len(x) for x in a.batches] == [3, 1]
    assert [len(x) for x in vf.SGDMap.epoch(loss, F(1, 10), 3, seed=11, drop_last=True).batches] == [3]
    e = vf.SGDMap.epoch(loss, F(1, 10), 2, order=[3, 1, 0, 2])
    assert e.batches == [[3, 1], [0, 2]] and e.describe()["seed"] is None
    r = vf.SGDMap.epoch(loss, F(1, 10), 2, replacement=True, seed=5)
    assert r.steps == 2 and r.batches == gdmap.replacement_batches(4, 2, 2, seed=5)
    s = EpochMap(loss, [[0], [1], [2]], F(1, 2), schedule=lambda k: F(1, k + 1))
    assert s.etas == [F(1, 2), F(1, 4), F(1, 6)] and s.with_eta(1).etas == [1, F(1, 2), F(1, 3)]


@pytest.mark.parametrize("bad", [
    lambda L: vf.SGDMap.epoch(L, F(1, 10), 5),  # batch larger than the data
    lambda L: vf.SGDMap.epoch(L, F(1, 10), 2, order=[0, 1, 1, 2]),  # not a permutation
    lambda L: vf.SGDMap.epoch(L, F(1, 10), 2, seed=None),
    lambda L: vf.SGDMap.epoch(L, F(1, 10), 2, replacement=True, order=[0, 1, 2, 3]),
    lambda L: vf.SGDMap.epoch(L, F(1, 10), 2, steps=3),
    lambda L: EpochMap(L, [], F(1, 10)),
    lambda L: EpochMap(L, [[0], [0, 0]], F(1, 10)),
    lambda L: EpochMap(L, [[0], [1]], F(1, 10), schedule=[1]),
    lambda L: EpochMap(L, [[0], [1]], F(1, 10), schedule=[1, -1]),
    lambda L: EpochMap(L, [[0], [1]], float("nan")),
    lambda L: check_epoch_nonsingular(EpochMap(L, [[0]], F(1, 10))),  # no point
    lambda L: check_epoch_nonsingular(EpochMap(L, [[0]], F(1, 10)), [THETA], etas=[1], eta_interval=(1, 2)),
    lambda L: check_epoch_nonsingular(EpochMap(L, [[0]], F(1, 10)), [THETA], eta_interval=(2, 1)),
    lambda L: check_epoch_nonsingular(vf.SGDMap(L, F(1, 10), [0]), [THETA]),
])
def test_bad_input_is_a_verify_error(bad):
    with pytest.raises(InputError):
        bad(relu_net())


# -------------------------------------------------------------------------------------------- non-singularity
def test_epoch_nonsingular_on_a_grid_and_refuted_at_an_exceptional_step_exactly():
    loss = linear_regression()
    E = EpochMap(loss, [[0], [1], [2]], F(1, 10))
    th = [F(1, 3), F(2, 7)]
    r = check_epoch_nonsingular(E, [th], etas=[F(1, 10), F(1, 3), F(3, 7), F(1, 2) + F(1, 10**30)])
    assert r.verdict == V.PROVED and r.scope["count"] == 4
    assert r.scope["etas"][-1] == F(1, 2) + F(1, 10**30) and len(r.scope["factors"][0]) == 3
    # det ≠ 0 exactly at these η: every factor is 1 − ηλ with λ ∈ {0, 2, 4}
    for eta in (F(1, 10), F(1, 3), F(3, 7)):
        assert all((1 - eta * lam) != 0 for lam in (2, 4))
    # η = 1/λ exactly: factor 3 (batch [2], λ = 4) at η = 1/4, factors 1–2 at η = 1/2
    for eta, factor in ((F(1, 4), 2), (F(1, 2), 0)):
        r = check_epoch_nonsingular(E, [th], etas=[F(1, 10), eta])
        assert r.verdict == V.REFUTED and r.counterexample["eta"] == eta
        assert r.counterexample["factor"]["factor"] == factor
    # a schedule moves the exceptional base step: η_3 = η/2 is 1/4 at η = 1/2 ... and η_1 = 1/2 too
    Es = EpochMap(loss, [[2], [0]], F(1, 10), schedule=[F(1, 2), 1])
    assert check_epoch_nonsingular(Es, [th], etas=[F(1, 2)]).verdict == V.REFUTED
    assert check_epoch_nonsingular(Es, [th], etas=[F(1, 4)]).verdict == V.PROVED  # η_1 = 1/8, η_2 = 1/4: λ = 2


def test_epoch_nonsingular_over_an_interval():
    loss = linear_regression()
    E = EpochMap(loss, [[0], [1], [2]], F(1, 10))
    th = [F(1, 3), F(2, 7)]
    r = check_epoch_nonsingular(E, [th], eta_interval=(F(1, 10), F(6, 25)))
    assert r.verdict == V.PROVED and r.scope["eta_interval"] == (F(1, 10), F(6, 25))
    # an interval containing the exceptional 1/4 (or touching it) is never PROVED
    for iv in ((F(1, 5), F(3, 10)), (F(1, 4), F(3, 10)), (F(1, 4), F(1, 4))):
        assert check_epoch_nonsingular(E, [th], eta_interval=iv, max_pieces=40).verdict == V.INCONCLUSIVE


def test_epoch_nonsingular_tanh_network_grid_and_interval():
    X = [[1, 0], [0, 1], [1, 1]]
    loss = vf.SquareLoss(vf.MLP([2, 2, 1], "tanh"), vf.Dataset(X, [1, -1, 0]))
    E = vf.SGDMap.epoch(loss, F(1, 10), 2, seed=1)
    r = check_epoch_nonsingular(E, samples=2, etas=[F(1, 10), F(1, 2)])
    assert r.verdict == V.PROVED and r.seed == 1 and r.scope["epoch"]["seed"] == 1
    r = check_epoch_nonsingular(E, [THETA], eta_interval=(F(1, 10), F(1, 5)))
    assert r.verdict == V.PROVED and r.arithmetic == "ball"


def test_epoch_nonsingular_relu_network_with_replacement():
    loss = relu_net()
    E = vf.SGDMap.epoch(loss, F(1, 10), 2, replacement=True, seed=3, steps=3)
    r = check_epoch_nonsingular(E, [THETA], etas=[F(1, 10), F(1, 3)])
    assert r.verdict == V.PROVED and r.scope["epoch"]["scheme"] == "with replacement"


# ------------------------------------------------------------------------------------------------- stability
def one_d(xs, ys=None):
    """1-D regression through the origin with interpolating w* = 1: per-sample Hessians h_i = 2x_i² (exact)."""
    ys = xs if ys is None else ys
    return vf.SquareLoss(vf.MLP([1, 1], "relu"), vf.Dataset([[x] for x in xs], list(ys))), [F(1)]


@settings(max_examples=25, deadline=None)
@given(st.fractions(F(1, 20), F(3, 1), max_denominator=60))
@example(F(1))  # the epoch's edge: (1 − 0)(1 − 2) = −1
@example(F(1) + F(1, 10**30))
@example(F(1) - F(1, 10**30))
def test_epoch_stability_matches_the_exact_spectral_radius(eta):
    loss, ws = one_d([0, 1])  # h = (0, 2): full-batch GD stable iff η < 2, the epoch iff η < 1
    r = stability.epoch_stability(EpochMap(loss, [[0], [1]], F(1)), ws, eta=eta)
    rho = abs((1 - 0 * eta) * (1 - 2 * eta))
    want = V.PROVED if rho < 1 else (V.REFUTED if rho > 1 else V.INCONCLUSIVE)
    assert r.verdict == want
    lo, hi = r.certificate["rho"]
    assert lo <= rho <= hi


def test_the_scheme_matters():
    # full-batch GD stable (|1 − 3/2| < 1) but the epoch unstable (|1 − 3| > 1)
    loss, ws = one_d([0, 1])
    r = stability.epoch_stability(EpochMap(loss, [[0], [1]], F(3, 2)), ws)
    assert r.verdict == V.REFUTED and r.certificate["full_batch_gd_stable"] is True
    # a batch GD-unstable (|1 − 5/4·2| = 3/2) but the epoch stable (3/2 · 3/8 < 1), with reshuffling stable in
    # mean square, while with-replacement SGD is mean-square unstable: ½(9/4) + ½(9/64) > 1
    loss, ws = one_d([1, F(1, 2)])
    eta = F(5, 4)
    r = stability.epoch_stability(EpochMap(loss, [[0], [1]], eta), ws)
    assert r.verdict == V.PROVED and r.certificate["per_batch"][0]["gd_stable_nonstrict"] is False
    assert r.certificate["sufficient_product_of_factor_norms_lt_1"] is True
    rr = stability.reshuffling_stability(loss, ws, eta, 1)
    assert rr.verdict == V.PROVED and rr.certificate["rho_T"] == [F(81, 256), F(81, 256)]
    wr = stability.replacement_stability(loss, ws, eta, 1, sampling="multiset")
    assert wr.verdict == V.REFUTED and wr.certificate["sufficient_wu_ma_e_lambda_max_T_of_I_le_1"] is False
    assert wr.certificate["necessary_0_le_lambda_H_le_2_over_eta"] is True  # H = 5/4: 5/4 ≤ 8/5


def test_stability_in_two_dimensions_against_numpy_away_from_the_edge():
    """Non-commuting batch Hessians 2x_ix_iᵀ: the epoch product is not symmetric."""
    X = [[1, 0], [1, 1], [0, 2]]
    loss = vf.SquareLoss(vf.MLP([2, 1], "relu"), vf.Dataset(X, [1, 2, 2]))
    ws = [F(1), F(1)]
    Hs = [2 * np.outer(x, x) for x in np.array(X, dtype=float)]
    for eta in (F(1, 10), F(2, 5), F(3, 5), F(9, 10), F(6, 5)):
        E = EpochMap(loss, [[0], [1], [2]], eta)
        P = np.eye(2)
        for H in Hs:
            P = (np.eye(2) - float(eta) * H) @ P
        rho = max(abs(np.linalg.eigvals(P)))
        r = stability.epoch_stability(E, ws)
        assert abs(rho - 1) > 1e-6
        assert r.verdict == (V.PROVED if rho < 1 else V.REFUTED)
        assert float(r.certificate["rho"][0]) - 1e-12 <= rho <= float(r.certificate["rho"][1]) + 1e-12
        assert r.certificate["sufficient_norm_of_product_lt_1"] == (np.linalg.norm(P, 2) < 1)
        # mean square over independent subsets of size 1 (c = 1) equals the with-replacement multiset case at b = 1
        a = stability.replacement_stability(loss, ws, eta, 1, sampling="subset")
        b = stability.replacement_stability(loss, ws, eta, 1, sampling="multiset")
        assert a.verdict == b.verdict and a.certificate["rho_T"] == b.certificate["rho_T"]
        T = sum(np.kron(np.eye(2) - float(eta) * H, np.eye(2) - float(eta) * H) for H in Hs) / 3
        assert a.verdict == (V.PROVED if max(abs(np.linalg.eigvals(T))) < 1 else V.REFUTED)


def test_near_threshold_is_never_a_wrong_verdict():
    loss, ws = one_d([0, 1])
    for sch, edge in (("rr", F(1)), ("wr", F(1))):
        for eta, want in ((edge, V.INCONCLUSIVE), (edge + F(1, 10**30), V.REFUTED), (edge - F(1, 10**30), V.PROVED)):
            if sch == "rr":
                r = stability.reshuffling_stability(loss, ws, eta, 1)  # ρ(T) = (1 − 2η)²
            else:
                r = stability.replacement_stability(loss, ws, eta, 1, sampling="multiset")  # ½ + ½(1 − 2η)²
            assert r.verdict == want, (sch, eta, r.verdict, r.message)


def test_not_a_fixed_point_of_sgd_is_refuted_with_the_reason():
    loss, _ = one_d([1, 2], [1, 3])  # no interpolating w: at w = 1 the second sample's gradient is not 0
    for r in (stability.epoch_stability(EpochMap(loss, [[0], [1]], F(1, 10)), [F(1)]),
              stability.reshuffling_stability(loss, [F(1)], F(1, 10), 1),
              stability.replacement_stability(loss, [F(1)], F(1, 10), 1)):
        assert r.verdict == V.REFUTED and "not a fixed point of SGD" in r.message
        assert r.counterexample["batch"] == [1]


def test_flat_directions_and_drop_last():
    """f(x) = w·x on 3 points in R^4 (a manifold of minima): flat directions are factored out."""
    loss = vf.SquareLoss(vf.MLP([4, 1], "relu"), vf.Dataset([[1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 1]], [1, 2, 3]))
    ws = [F(-1), F(0), F(2), F(4)]
    r = stability.epoch_stability(vf.SGDMap.epoch(loss, F(1, 4), 2, seed=0), ws)
    assert r.verdict == V.PROVED and r.certificate["flat_directions"] == 1
    r = stability.reshuffling_stability(loss, ws, F(1, 4), 2, drop_last=True)
    assert r.verdict == V.PROVED and r.certificate["orders"] == 3
    big = stability.reshuffling_stability(loss, ws, F(3, 2), 1)
    assert big.verdict == V.REFUTED
    with pytest.raises(InputError):
        stability.epoch_stability(vf.SGDMap.epoch(loss, F(1, 4), 2), [0.5, 0, 2, 4])  # floats: not exact
    with pytest.raises(InputError):
        stability.replacement_stability(loss, ws, F(1, 4), 1, sampling="poisson")


def test_a_singular_point_that_is_not_an_exceptional_step_is_certified_from_a_nearby_point():
    """L = (v·relu(w) − 1)² at (w, v) = (1/2, 1): ∇²L = diag(2, 1/2), so det(I − ∇²L/2) = 0 at that point, but 1/2 is
    not a constant Hessian eigenvalue of the region w > 0 — a nearby point with the same pattern certifies it."""
    loss = vf.SquareLoss(vf.MLP([1, 1, 1], "relu"), vf.Dataset([[1]], [1]))
    E = EpochMap(loss, [[0], [0]], F(1, 2))
    assert E.factors([F(1, 2), F(1)], "exact")[0][1][0, 0] == 0
    r = check_epoch_nonsingular(E, [[F(1, 2), F(1)]], etas=[F(1, 2)])
    assert r.verdict == V.PROVED and "certifying_point" in r.certificate["records"][0]
    assert check_epoch_nonsingular(E, [[F(1, 2), F(1)]], etas=[F(1, 2)], alt_points=0).verdict == V.INCONCLUSIVE


def test_flat_directions_away_from_a_global_minimum_withhold_proved():
    """f = v·(w x)² (power(2), no bias) at w = 0: every per-sample gradient vanishes for any v (a line of common
    fixed points), the curvature is −2y·v x² in w and 0 along v. With y < 0 and v = 1 the criteria hold on N^⊥ =
    span(w) for small η, but L(θ*) = Σ y²/2 > 0: θ* is not a certified global minimum, so no scheme may say PROVED
    (higher-order terms along the flat direction are not controlled); the message says why."""
    net = vf.MLP([1, 1, 1], "power(2)", bias=False)
    th = [F(0), F(1)]
    loss = vf.SquareLoss(net, vf.Dataset([[1], [2]], [-1, -1]))
    eta = F(1, 20)
    for r in (stability.epoch_stability(EpochMap(loss, [[0], [1]], eta), th),
              stability.reshuffling_stability(loss, th, eta, 1), stability.replacement_stability(loss, th, eta, 1)):
        assert r.verdict == vf.Verdict.INCONCLUSIVE, r.message
        assert "not a certified global minimum" in r.message and r.certificate["flat_directions"] == 1
