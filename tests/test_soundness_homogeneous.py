"""Soundness of the homogeneous-network module (issue 11: item 6, float paths, zero_test, scopes, bad input).

* item 6: a KKT certificate of max N_z(u) s.t. ‖u‖ = 1 must cover the whole KKT system (sphere constraint
  included); N is enclosed at a true KKT point; nothing certified may exceed the true maximum. For a two-layer
  linear network N(W, v) = vᵀW Xᵀz, whose maximum on the sphere is ‖Xᵀz‖/2, the truth is known exactly.
* float paths (Neuron Pursuit, the NCF flow, the ascent) use relu′(0) = 0 and never raise RegionBoundaryError;
* ``zero_test`` decides on exact endpoints (verify.arith.decide), by the arithmetic's capability;
* every PROVED carries a scope; bad arguments give verify.errors with what to change.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import verify as vf
from verify.arith import get_arith
from verify.arith.decide import bounds, compare
from verify.certify import zero_test
from verify.errors import InputError, IntegrationError, NonFiniteError, PrecisionError
from verify.homogeneous import (
    NCF,
    certify_kkt,
    check_euler_identity,
    check_homogeneity,
    max_ncf,
    ncf_flow,
    neuron_pursuit,
    prove_homogeneity_symbolic,
)
from verify.numbers import to_fraction
from verify.result import Verdict

X_ROT = [[Fraction(3, 5), Fraction(4, 5)], [Fraction(-4, 5), Fraction(3, 5)]]
X_ROT_FLOAT = [[3 / 5, 4 / 5], [-4 / 5, 3 / 5]]
Z = [1, 2]
RELU2 = ("relu_power", 2)


def _max_sq(X, z) -> Fraction:
    """‖Xᵀz‖² for the exact values of X and z (floats taken exactly): max N = ‖Xᵀz‖/2."""
    Xq = [[to_fraction(v) for v in row] for row in X]
    zq = [to_fraction(v) for v in z]
    return sum(sum(Xq[i][j] * zq[i] for i in range(len(Xq))) ** 2 for j in range(len(Xq[0])))


def _below_max(lo: Fraction, vsq: Fraction) -> bool:
    """lo ≤ √vsq / 2, exactly."""
    return lo <= 0 or 4 * lo * lo <= vsq


def _contains_max(enc, vsq: Fraction) -> bool:
    lo, hi = enc
    return lo > 0 and 4 * lo * lo <= vsq <= 4 * hi * hi


# ------------------------------------------------------------------------------ item 6
@pytest.mark.parametrize("X", [X_ROT, X_ROT_FLOAT], ids=["rational X", "float X"])
@pytest.mark.parametrize("m", [1, 2, 3])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_issue11_item6_nothing_certified_exceeds_the_linear_maximum(X, m, seed):
    """The old code certified N ≥ 1.1180339887498951 > √5/2 for m ≥ 2 (a point off the sphere)."""
    vsq = _max_sq(X, Z)
    pts = max_ncf(vf.MLP([2, m, 1], "identity"), X, Z, restarts=4, seed=seed)
    assert pts
    for kp in pts:
        if kp.N_enclosure is not None:
            assert kp.certified and _contains_max(kp.N_enclosure, vsq), kp.N_enclosure
        if kp.N_lower is not None:
            assert _below_max(kp.N_lower, vsq)


def test_issue11_item6_the_reported_residual_includes_the_sphere_constraint():
    """The old top point had ‖u‖² − 1 ≈ 1e−8 and a "certified KKT residual" of 1e−37."""
    for seed in (0, 1):
        for kp in max_ncf(vf.MLP([2, 3, 1], "identity"), X_ROT, Z, restarts=4, seed=seed):
            off = abs(sum(Fraction(float(x)) ** 2 for x in kp.u) - 1) / 2
            assert kp.residual_upper >= off
            assert not kp.certified and kp.result.verdict is Verdict.INCONCLUSIVE  # a continuum of maximisers


def test_single_unit_linear_kkt_point_is_proved_on_the_sphere_with_N_enclosing_sqrt5_over_2():
    kp = max_ncf(vf.MLP([2, 1, 1], "identity"), X_ROT, Z, restarts=4)[0]
    assert kp.certified and kp.sign_certified
    res = kp.result
    assert res.verdict is Verdict.PROVED and res.scope["count"] == 1 and res.scope["precision"] == 128
    star = sp.sqrt(5) / 2
    assert compare(kp.N_enclosure[0], star) <= 0 <= compare(kp.N_enclosure[1], star)
    assert compare(kp.N_lower, star) <= 0
    # the box holds a point of the unit sphere: Σ u_i² over the box encloses 1, and λ* = 2·N(u*) = √5
    with vf.arith.ball._ArbPrec(128):
        nrm = sum(b * b for b in kp.box)
    lo, hi = bounds(nrm)
    assert lo <= 1 <= hi and hi - lo < Fraction(1, 2**60)
    assert compare(kp.lam_enclosure[0], 2 * star) <= 0 <= compare(kp.lam_enclosure[1], 2 * star)
    assert vf.Result.from_json(res.to_json()).verdict is Verdict.PROVED


@settings(max_examples=8, deadline=None)
@given(st.lists(st.tuples(st.integers(-4, 4), st.integers(-4, 4)), min_size=2, max_size=3),
       st.lists(st.integers(-3, 3), min_size=3, max_size=3), st.integers(1, 9))
def test_linear_ncf_certificates_never_exceed_the_closed_form(rows, zs, den):
    X = [[Fraction(a, den), Fraction(b, den)] for a, b in rows]
    z = zs[:len(X)]
    vsq = _max_sq(X, z)
    if vsq == 0:
        return
    for kp in max_ncf(vf.MLP([2, 1, 1], "identity"), X, z, restarts=3, seed=den):
        if kp.certified:  # every KKT point with N > 0 of a single linear unit is a maximiser
            assert _contains_max(kp.N_enclosure, vsq)
        if kp.N_lower is not None:
            assert _below_max(kp.N_lower, vsq)


def test_kkt_points_come_in_a_deterministic_order():
    net = vf.MLP([2, 4, 1], RELU2)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 2)), rng.normal(size=6)
    a = max_ncf(net, X, y, restarts=8, seed=2, certify=False)
    b = max_ncf(net, X, y, restarts=8, seed=2, certify=False)
    assert [k.u.tolist() for k in a] == [k.u.tolist() for k in b]
    assert all(p.N >= q.N for p, q in zip(a, a[1:]))


def test_certify_kkt_speaks_only_about_a_kkt_point_near_the_given_one():
    net = vf.MLP([2, 1, 1], "identity")
    u_star = np.array([-1 / math.sqrt(10), 2 / math.sqrt(10), 1 / math.sqrt(2)])
    off_sphere = certify_kkt(net, X_ROT, Z, (1 + 1e-8) * u_star)  # the issue's point: ‖u‖² − 1 ≈ 2e−8
    assert off_sphere.verdict is Verdict.PROVED
    near = certify_kkt(net, X_ROT, Z, u_star + 1e-3 * np.array([1, -1, 0.5]))
    assert near.verdict is Verdict.INCONCLUSIVE and "farther" in near.message
    assert certify_kkt(net, X_ROT, Z, [1, 0, 1]).verdict is Verdict.INCONCLUSIVE
    # a KKT point with N < 0 (the minimiser −u* mirrored in v) is certified as a KKT point, with N < 0
    u_min = u_star * np.array([1, 1, -1])
    res = certify_kkt(net, X_ROT, Z, u_min)
    assert res.verdict is Verdict.PROVED and res.certificate["N_positive"] is False


@pytest.mark.parametrize("act", [RELU2, "relu"])
def test_pinned_neurons_sparse_kkt_point_is_a_kkt_point_of_the_full_problem(act):
    """The pinning lemma, checked independently: at the certified sparse point the full gradient vanishes in the
    pinned coordinates (relu²: exactly, in balls) and N is differentiable there (ReLU: second-order remainder)."""
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(5, 2)), rng.normal(size=5)
    net = vf.MLP([2, 5, 1], act)
    kp = max_ncf(net, X, Y, restarts=6, seed=1)[0]
    assert kp.certified and kp.pinned_neurons and kp.sign_certified
    ncf = NCF(net, X, Y)
    centre = np.array([(bounds(b)[0] + bounds(b)[1]) / 2 for b in kp.box], dtype=object)
    idx = net.views(np.arange(net.n_params))
    pinned = sorted({int(i) for l, j in kp.pinned_neurons
                     for i in np.concatenate([np.asarray(idx[f"W{l}"])[j], np.asarray(idx[f"W{l + 1}"])[:, j]])})
    assert all(centre[i] == 0 for i in pinned)
    if act == RELU2:
        g = ncf.grad(centre, "ball", 128)
        assert all(bounds(g[i]) == (0, 0) for i in pinned)
    else:  # ReLU: σ′(0) has no value, but N(u* + t e) − N(u*) = O(t²) along pinned directions
        u = np.array([float(c) for c in centre])
        e = np.zeros(net.n_params)
        e[pinned] = rng.normal(size=len(pinned))
        d = [abs(float(ncf.value(u + t * e)) - float(ncf.value(u))) for t in (1e-3, 1e-4)]
        assert d[1] <= 2e-2 * d[0] + 1e-15
    lo, hi = kp.N_enclosure
    assert 0 < lo <= hi and hi - lo < Fraction(1, 2**80)


# ------------------------------------------------------------------------------ float paths
ZERO_ROW_X = [[0, 0], [1, 2], [2, 1], [1, -1], [3, 0], [0, 2]]
ZERO_ROW_Y = [0, 1, 2, -1, 1, 1]


@pytest.mark.parametrize("depth", [2, 3])
@pytest.mark.parametrize("act", ["relu", RELU2])
def test_neuron_pursuit_runs_on_data_with_exact_zero_preactivations(depth, act):
    """A zero data row gives the pre-activation 0.0 exactly: the old code raised RegionBoundaryError in float
    arithmetic (digits 3 vs 8 in the issue). Float paths use relu′(0) = 0."""
    res = neuron_pursuit(vf.Dataset(ZERO_ROW_X, ZERO_ROW_Y), act, depth=depth, max_neurons=2, inner_steps=50)
    assert res.history and all(math.isfinite(h["train_loss"]) for h in res.history)


def test_float_ncf_paths_accept_exact_zero_preactivations():
    net = vf.MLP([2, 2, 1], "relu")
    u0 = [1.0, 0.0, 0.0, 1.0, 1.0, -1.0]  # unit 1 sees x = (0, 2) at pre-activation 0.0 exactly
    ts, U, _ = ncf_flow(net, ZERO_ROW_X, ZERO_ROW_Y, u0, 0.1, n_points=3)
    assert np.all(np.isfinite(U))
    assert max_ncf(net, ZERO_ROW_X, ZERO_ROW_Y, restarts=2, steps=50)  # ascent + Newton + certificate attempt


def test_saddle_analysis_with_a_zero_data_row_is_inconclusive_not_an_exception():
    """The Hessian's ball enclosure meets a kink that no offset can leave (x = 0): no classification."""
    from verify.homogeneous import saddle_analysis

    theta = np.array([0.5, 0.2, 0, 0, 0, 0, 1.0, 0, 0])
    res = saddle_analysis(vf.Dataset(ZERO_ROW_X, ZERO_ROW_Y), "relu", theta, 3)
    assert res.verdict is Verdict.INCONCLUSIVE and "kink" in res.message


def test_ncf_flow_failures_are_integration_errors(monkeypatch):
    import verify.homogeneous.ncf as ncf_mod

    monkeypatch.setattr(ncf_mod, "MAX_RHS_EVALS", 5)
    with pytest.raises(IntegrationError, match="stalled"):
        ncf_flow(vf.MLP([2, 1, 1], "identity"), X_ROT, Z, [1, 0, 1], 10.0)
    assert issubclass(IntegrationError, ArithmeticError)  # callers catching ArithmeticError still work


# ------------------------------------------------------------------------------ zero_test
def test_zero_test_float_nan_is_not_numerically_zero():
    """Old code: max(|0.0|, |nan|) = 0.0 → SUPPORTED."""
    assert zero_test(np.array([0.0, math.nan]), "float", tol=1e-9).verdict is Verdict.INCONCLUSIVE
    assert zero_test(np.array([0.0, 1e-12]), "float", tol=1e-9).verdict is Verdict.SUPPORTED


def test_zero_test_certified_decisions_use_exact_endpoints():
    from flint import arb, ctx

    ball, exact = get_arith("ball", 128), get_arith("exact")
    tiny = arb(Fraction(1, 10**30).numerator) / arb(10) ** 30  # 1e−30 ± tiny
    saved = ctx.prec
    try:
        ctx.prec = 16  # the caller's global precision must not matter
        zt = zero_test(np.array([arb(0), tiny], dtype=object), ball)
    finally:
        ctx.prec = saved
    assert zt.verdict is Verdict.REFUTED and zt.witness == (1,) and 0 < zt.witness_lower <= Fraction(1, 10**30)
    assert zero_test(np.array([arb(0, 1e-30)], dtype=object), ball).verdict is Verdict.SUPPORTED
    assert zero_test(np.array([arb(0), arb(0)], dtype=object), "ball").verdict is Verdict.PROVED
    assert zero_test(np.array([Fraction(0)] * 3, dtype=object), exact).verdict is Verdict.PROVED
    assert zero_test(np.array([Fraction(0), Fraction(-1, 10**60)], dtype=object), exact).verdict is Verdict.REFUTED
    assert zero_test(np.array([], dtype=object), exact).verdict is Verdict.INCONCLUSIVE  # nothing tested
    nan_ball = arb("nan")
    assert zero_test(np.array([arb(0), nan_ball], dtype=object), ball).verdict is Verdict.INCONCLUSIVE


# ------------------------------------------------------------------------------ scopes
def test_every_proved_identity_states_its_scope():
    net = vf.MLP([2, 3, 1], RELU2)
    th = [Fraction(k + 1, 7) for k in range(net.n_params)]
    X = [[1, 2], [Fraction(-1, 3), 1]]
    r = check_euler_identity(net, X, th, "exact")
    assert r.verdict is Verdict.PROVED and r.scope["count"] == 2 * (1 + net.depth) and r.scope["points"] == 2
    r = check_homogeneity(net, X, th, Fraction(3, 2), "exact")
    assert r.verdict is Verdict.PROVED and r.scope["count"] == 2
    s = prove_homogeneity_symbolic(vf.MLP([2, 2, 1], "relu"))
    assert s.verdict is Verdict.PROVED and s.scope["count"] == s.quantity.value == 4  # {0, z} per unit
    bad = check_euler_identity(vf.MLP([2, 3, 1], "relu", bias=True), [[1, 2]],
                               [Fraction(k + 1, 7) for k in range(13)], "exact", degree=2)
    assert bad.verdict is Verdict.REFUTED and bad.scope["points"] == [0]


# ------------------------------------------------------------------------------ bad arguments
NET = vf.MLP([2, 1, 1], "identity")


@pytest.mark.parametrize("call, err", [
    (lambda: max_ncf(NET, X_ROT, Z, restarts=1.5), InputError),
    (lambda: max_ncf(NET, X_ROT, Z, restarts=True), InputError),
    (lambda: max_ncf(NET, X_ROT, [math.nan, 2]), NonFiniteError),
    (lambda: max_ncf(NET, X_ROT, [1, 2, 3]), InputError),
    (lambda: max_ncf(NET, [[1, 2, 3], [4, 5, 6]], Z), InputError),
    (lambda: max_ncf(NET, X_ROT, Z, prec=2**40), PrecisionError),
    (lambda: max_ncf(NET, X_ROT, Z, refine="yes"), InputError),
    (lambda: ncf_flow(NET, X_ROT, Z, [1, 0], 1), InputError),
    (lambda: ncf_flow(NET, X_ROT, Z, [1, 0, 0], -1), InputError),
    (lambda: ncf_flow(NET, X_ROT, Z, [1, 0, 0], 1, n_points=2.5), InputError),
    (lambda: certify_kkt(NET, X_ROT, Z, [0, 0, 0]), InputError),
    (lambda: certify_kkt(NET, X_ROT, Z, [1, 0, 1], max_distance=0), InputError),
    (lambda: neuron_pursuit(vf.Dataset(X_ROT, Z), "relu", restarts=1.5), InputError),
    (lambda: neuron_pursuit(vf.Dataset(X_ROT, Z), "relu", delta_add=math.nan), NonFiniteError),
    (lambda: neuron_pursuit(vf.Dataset(X_ROT, Z), "relu", max_neurons=0), InputError),
    (lambda: check_euler_identity(NET, X_ROT, [1, 1, 1], "ball", prec=2**40), PrecisionError),
    (lambda: prove_homogeneity_symbolic(NET, max_patterns=2.5), InputError),
])
def test_bad_arguments_say_what_to_change(call, err):
    with pytest.raises(err):
        call()
