"""The layer graph (``vf.nn``) in every arithmetic against the sympy model, layer type by layer type.

* outputs and loss values in float, mp, ball and exact agree with ``net.symbolic(x, θ)`` (sympy's own
  evaluation of Max, Piecewise, exp) on small random rational instances of every layer type;
* gradients, Jacobians, Hessian-vector products and Hessians agree with sympy's derivatives of the outputs
  on θ's region (and finite differences of them at 640 bits; see ``tests/nn_cases.py``);
* balls at P bits enclose mp at 4P bits, at points and over boxes;
* a chain of dense layers gives the same results through the graph engine as through the MLP fast path;
* softmax cross-entropy and logistic losses on CNNs and attention networks;
* positive homogeneity f(x; cθ) = c^L f(x; θ) exactly where ``homogeneity_degree`` claims it;
* malformed networks, data and θ raise verify errors.
"""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from flint import arb, fmpq
from hypothesis import given, note, settings
from hypothesis import strategies as st

import verify as vf
from verify.arith import get_arith
from verify.arith.ball import ball_bounds, contains
from verify.errors import ArithmeticNotSupportedError, InputError, ShapeError, VerifyError
from verify.models.layerwise import Layerwise
from verify.models.nn.graph import GraphEngine
from verify.numbers import to_fraction

from .nn_cases import (
    ALL_ACTS,
    CASES,
    POLY_ACTS,
    Reference,
    as_fraction,
    check_close,
    check_encloses,
    check_exact,
    frac_list,
    instances,
    loss_terms,
    numeric,
    rat,
    rationals,
    spec_outputs,
    subs_of,
    sym_outputs,
)

nn = vf.nn
CASE_NAMES = list(CASES)


def _describe(obj, theta):
    return (f"{obj.net!r} {type(obj).__name__} X={[[str(q) for q in r] for r in obj.data.X_exact]} "
            f"Y={[[str(q) for q in r] for r in obj.data.Y_exact]} theta={[str(t) for t in theta]}")


def _rational_net(net):
    return net.exact_obstacle() is None


# ============================================================================ outputs and values
@pytest.mark.parametrize("case", CASE_NAMES)
@settings(max_examples=3)
@given(data=st.data())
def test_outputs_and_value_every_arithmetic_vs_symbolic(case, data):
    """Values need no region: θ may sit on kinks and max-pool ties (float/mp take the first maximum, balls
    the union of the candidates: all are the same number)."""
    obj, theta = data.draw(instances(case, interior=False))
    note(_describe(obj, theta))
    ref = [e for row in sym_outputs(obj.net, obj.data.X_exact, theta) for e in row]
    value_ref = loss_terms(obj, ref, sp.exp, sp.log)[0]
    check_close(obj.outputs(theta, "float"), ref, 1e-12, "float outputs")
    check_close([obj.value(theta, "float")], [value_ref], 1e-12, "float value")
    check_close(obj.outputs(theta, "mp", 200), ref, 1e-55, "mp outputs")
    check_close([obj.value(theta, "mp", 200)], [value_ref], 1e-55, "mp value")
    check_encloses(obj.outputs(theta, "ball", 128), ref, "ball outputs")
    check_encloses([obj.value(theta, "ball", 128)], [value_ref], "ball value")
    for b in obj.outputs(theta, "ball", 128).reshape(-1):  # genuinely 128-bit enclosures
        assert float(b.rad()) <= 1e-30 * (1 + abs(float(b.mid())))
    if _rational_net(obj.net):
        check_exact(obj.outputs(theta, "exact"), ref, "exact outputs")
        check_exact([obj.value(theta, "exact")], [value_ref], "exact value")
    else:
        with pytest.raises(ArithmeticNotSupportedError, match="ball"):
            obj.value(theta, "exact")


@pytest.mark.parametrize("case", CASE_NAMES)
@settings(max_examples=3)
@given(data=st.data())
def test_forward_matches_an_independent_implementation_of_the_layer_semantics(case, data):
    """The sympy model runs the layers' own forward definitions; this checks those definitions (and the order
    of θ) against a direct implementation of the documented semantics: cross-correlation with zero padding
    and strides, floor-mode pooling windows, Dense on the last axis, row-major Flatten, x + block(x),
    multi-head softmax attention with 1/√d_k scaling."""
    obj, theta = data.draw(instances(case, interior=False))
    note(_describe(obj, theta))
    want = [v for row in spec_outputs(obj.net, obj.data.X_exact, theta) for v in row]
    check_close(obj.outputs(theta, "mp", 300), want, Fraction(1, 10**80), "mp outputs")
    check_close(obj.outputs(theta, "float"), want, 1e-12, "float outputs")
    check_encloses(obj.outputs(theta, "ball", 128), want, "ball outputs")


# ============================================================================ derivatives
def _direction(data, p):
    return [data.draw(rationals(5, 10)) for _ in range(p)]


@pytest.mark.parametrize("case", CASE_NAMES)
@settings(max_examples=1)
@given(data=st.data())
def test_derivatives_vs_sympy_region(case, data):
    """∇L, ∇²L, ∇²L·v and J = ∂F/∂θ in every arithmetic against sympy's derivatives on θ's region."""
    obj, theta = data.draw(instances(case, n_max=1 if case.startswith("attention") else 2))
    _check_derivatives(obj, theta, data)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASE_NAMES)
@settings(max_examples=5)
@given(data=st.data())
def test_derivatives_vs_sympy_region_more_instances(case, data):
    obj, theta = data.draw(instances(case, n_max=2 if case.startswith("attention") else 3))
    _check_derivatives(obj, theta, data)


def _check_derivatives(obj, theta, data):
    note(_describe(obj, theta))
    ref = Reference(obj, theta)
    g, J, H = ref.grad(), ref.jacobian(), ref.hessian()
    v = _direction(data, obj.n_params)
    Hv = ref.hvp(v, H)
    # ref.J / ref.grad are exact sympy numbers with a symbolic Jacobian, else finite differences
    slack = 0 if ref.symbolic_jacobian else Reference.FD_TOL
    tol = Reference.FD_TOL

    for what, got, want in [("grad", obj.grad(theta), g), ("jacobian", obj.jacobian(theta), J),
                            ("hessian", obj.hessian(theta), H), ("hvp", obj.hvp(theta, v), Hv)]:
        check_close(got, want, 1e-9, f"float {what}")
    vg = obj.value_and_grad(theta, "mp", 200)
    check_close([vg[0]], [ref.value()], 1e-55, "mp value_and_grad")
    check_close(vg[1], g, 1e-55, "mp value_and_grad")
    for what, got, want in [("grad", obj.grad(theta, "mp", 200), g),
                            ("jacobian", obj.jacobian(theta, "mp", 200), J),
                            ("hessian", obj.hessian(theta, "mp", 200), H),
                            ("hvp", obj.hvp(theta, v, "mp", 200), Hv)]:
        check_close(got, want, 1e-55, f"mp {what}")
    check_encloses(obj.grad(theta, "ball"), g, "ball grad", slack)
    check_encloses(obj.jacobian(theta, "ball"), J, "ball jacobian", slack)
    check_encloses(obj.hessian(theta, "ball"), H, "ball hessian", tol)
    check_encloses(obj.hvp(theta, v, "ball"), Hv, "ball hvp", tol)
    H_ball = obj.hessian(theta, "ball")
    for i in range(obj.n_params):  # symmetric enclosures: both contain the one true value
        for j in range(i):
            lo1, hi1 = ball_bounds(H_ball[i, j])
            lo2, hi2 = ball_bounds(H_ball[j, i])
            assert max(lo1, lo2) <= min(hi1, hi2)
    if _rational_net(obj.net):
        check_exact(obj.grad(theta, "exact"), g, "exact grad")
        check_exact(obj.jacobian(theta, "exact"), J, "exact jacobian")
        He = obj.hessian(theta, "exact")
        check_close(He, H, tol, "exact hessian")
        rng = random.Random(repr(theta))
        for _ in range(4):  # single entries exactly by sympy
            i, j = rng.randrange(obj.n_params), rng.randrange(obj.n_params)
            assert to_fraction(He[i, j]) == numeric(ref.hessian_entry(i, j)), (i, j)
        # H v exactly = (exact H) v
        Hv_exact = obj.hvp(theta, v, "exact")
        want = [sum(to_fraction(He[i, j]) * v[j] for j in range(obj.n_params)) for i in range(obj.n_params)]
        assert [to_fraction(x) for x in Hv_exact] == want
    else:
        with pytest.raises(ArithmeticNotSupportedError):
            obj.grad(theta, "exact")


@settings(max_examples=4)
@given(data=st.data())
def test_residuals_and_gauss_newton_identity(data):
    """∇L = 2s Jᵀ r for the square loss, exactly (a ReLU CNN with max pooling: one region)."""
    obj, theta = data.draw(instances(data.draw(st.sampled_from(["maxpool2d", "residual_conv", "conv1d_stride"])),
                                     acts=POLY_ACTS))
    if not _rational_net(obj.net):
        return
    J = obj.jacobian(theta, "exact")
    r = obj.residuals(theta, "exact")
    g = obj.grad(theta, "exact")
    s2 = 2 * obj.scale
    want = [s2 * sum(to_fraction(J[a, j]) * to_fraction(r[a]) for a in range(len(r))) for j in range(obj.n_params)]
    assert [to_fraction(x) for x in g] == want


@pytest.mark.parametrize("act", ALL_ACTS, ids=str)
@settings(max_examples=1)
@given(data=st.data())
def test_every_catalogue_activation_in_a_cnn_with_max_pooling(act, data):
    """Conv1d → σ → MaxPool1d → Dense for each activation: values, gradients and Hessians vs sympy."""
    obj, theta = data.draw(instances("maxpool1d", acts=[act]))
    note(_describe(obj, theta))
    ref = Reference(obj, theta)
    g, H = ref.grad(), ref.hessian()
    check_close(obj.grad(theta), g, 1e-9, "float grad")
    check_close(obj.hessian(theta, "mp", 200), H, 1e-55, "mp hessian")
    check_encloses([obj.value(theta, "ball")], [ref.value()], "ball value")
    check_encloses(obj.grad(theta, "ball"), g, "ball grad")
    check_encloses(obj.hessian(theta, "ball"), H, "ball hessian", Reference.FD_TOL)
    if _rational_net(obj.net):
        check_exact(obj.grad(theta, "exact"), g, "exact grad")


def test_hessian_and_jacobian_beyond_one_chunk_of_tangent_directions():
    """p > 2·64 (Jacobians and Hessians are assembled from chunks of 64 tangent directions). A network that
    is piecewise linear in θ with one region around θ is affine in each single parameter, so exact
    differences give exact derivatives: J e_j = (F(θ + t e_j) − F(θ))/t, and the mixed central difference
    of L (degree ≤ 2 in each parameter) is exactly ∂²L/∂θ_i∂θ_j."""
    net = nn.Sequential(nn.Conv1d(2, 6, kernel=3, padding=1), nn.Act("leaky_relu(1/10)"), nn.MaxPool1d(2),
                        nn.Conv1d(6, 6, kernel=2), nn.Act("abs"), nn.Flatten(), nn.Dense(2), input_shape=(2, 4))
    assert net.n_params > 128
    rng = random.Random(12)
    X = [[Fraction(rng.randint(-9, 9), 7) for _ in range(8)] for _ in range(2)]
    Y = [[Fraction(rng.randint(-9, 9), 7) for _ in range(2)] for _ in range(2)]
    obj = vf.SquareLoss(net, vf.Dataset(X, Y))
    theta = [Fraction(rng.randint(-9, 9), 7) for _ in range(net.n_params)]
    pattern = obj.region(theta)  # θ inside a region (no zero, no tie)
    p, t = net.n_params, Fraction(1, 10**12)

    def moved(*moves):
        th = list(theta)
        for j, c in moves:
            th[j] += c * t
        assert all(np.array_equal(a, b) for a, b in zip(obj.region(th), pattern))
        return th

    val = lambda th: to_fraction(obj.value(th, "exact"))  # noqa: E731
    F0 = [to_fraction(f) for f in obj.outputs(theta, "exact").reshape(-1)]
    J = obj.jacobian(theta, "exact")
    H = obj.hessian(theta, "exact")
    g = obj.grad(theta, "exact")
    cols = sorted({0, 1, 63, 64, 65, 127, 128, 129, p - 1})
    for j in cols:
        Fj = [to_fraction(f) for f in obj.outputs(moved((j, 1)), "exact").reshape(-1)]
        assert [to_fraction(x) for x in J[:, j]] == [(a - b) / t for a, b in zip(Fj, F0)], j
        assert to_fraction(g[j]) == (val(moved((j, 1))) - val(moved((j, -1)))) / (2 * t), j
        for i in cols:
            mixed = (val(moved((i, 1), (j, 1))) - val(moved((i, 1), (j, -1))) - val(moved((i, -1), (j, 1)))
                     + val(moved((i, -1), (j, -1)))) / (4 * t * t) if i != j else \
                (val(moved((i, 2))) - 2 * val(theta) + val(moved((i, -2)))) / (4 * t * t)
            assert to_fraction(H[i, j]) == mixed, (i, j)
    # every column of the Hessian is a Hessian-vector product with a unit vector (one direction at a time)
    for j in range(p):
        e = [0] * p
        e[j] = 1
        assert [to_fraction(x) for x in obj.hvp(theta, e, "exact")] == [to_fraction(x) for x in H[:, j]], j
    # and float/ball agree with the exact matrix
    Hf = obj.hessian(theta)
    assert np.allclose(Hf, np.vectorize(float)(np.vectorize(to_fraction)(H)), rtol=1e-9, atol=1e-9)
    Hb = obj.hessian(theta, "ball")
    assert all(contains(b, to_fraction(e)) for b, e in zip(Hb.reshape(-1), H.reshape(-1)))


# ============================================================================ enclosures
def _mp_values(obj, theta, v, prec):
    return {"value": [obj.value(theta, "mp", prec)], "grad": obj.grad(theta, "mp", prec),
            "hessian": obj.hessian(theta, "mp", prec), "jacobian": obj.jacobian(theta, "mp", prec),
            "hvp": obj.hvp(theta, v, "mp", prec), "outputs": obj.outputs(theta, "mp", prec)}


def _ball_values(obj, theta, v, prec):
    return {"value": [obj.value(theta, "ball", prec)], "grad": obj.grad(theta, "ball", prec),
            "hessian": obj.hessian(theta, "ball", prec), "jacobian": obj.jacobian(theta, "ball", prec),
            "hvp": obj.hvp(theta, v, "ball", prec), "outputs": obj.outputs(theta, "ball", prec)}


@pytest.mark.parametrize("case", CASE_NAMES)
@settings(max_examples=2)
@given(data=st.data(), prec=st.sampled_from([32, 53, 100]))
def test_ball_encloses_mp_at_four_times_the_precision(case, data, prec):
    obj, theta = data.draw(instances(case))
    note(_describe(obj, theta))
    v = _direction(data, obj.n_params)
    balls = _ball_values(obj, theta, v, prec)
    mps = _mp_values(obj, theta, v, 4 * prec)
    for what in balls:
        for b, m in zip(np.asarray(balls[what], dtype=object).reshape(-1),
                        np.asarray(mps[what], dtype=object).reshape(-1)):
            assert contains(b, m), (what, prec, b, m)


@pytest.mark.parametrize("case", CASE_NAMES)
@settings(max_examples=2)
@given(data=st.data())
def test_ball_over_a_box_encloses_mp_at_sample_points(case, data):
    """θ entries as balls of radius 2^-30: value, gradient, Hessian, Jacobian and outputs over the box
    contain the mp values (at 4 × 128 bits) at its centre, corners drawn at random and a random interior
    point."""
    obj, theta = data.draw(instances(case))
    note(_describe(obj, theta))
    rad = Fraction(1, 2**30)
    box = [arb(fmpq(t.numerator, t.denominator)) + arb(0, 2.0**-30) for t in theta]
    for b, t in zip(box, theta):
        lo, hi = ball_bounds(b)
        assert lo <= t - rad and t + rad <= hi
    v = _direction(data, obj.n_params)
    balls = _ball_values(obj, box, v, 128)
    rng = random.Random(repr(theta))
    points = [theta]
    for _ in range(2):
        points.append([t + rng.choice([-rad, rad]) for t in theta])
    points.append([t + rad * Fraction(rng.randint(-99, 99), 100) for t in theta])
    for pt in points:
        mps = _mp_values(obj, pt, v, 512)
        for what in balls:
            for b, m in zip(np.asarray(balls[what], dtype=object).reshape(-1),
                            np.asarray(mps[what], dtype=object).reshape(-1)):
                assert contains(b, m), (what, b, m)


@pytest.mark.parametrize("case", ["attention_dk", "attention2", "maxpool2d", "residual", "conv2d_stride_pad"])
@settings(max_examples=1)
@given(data=st.data(), rad=st.sampled_from([2.0**-4, 2.0**-8]))
def test_wide_boxes_enclose_or_refuse(case, data, rad):
    """Over boxes of radius up to 1/16 (activation kinks and max-pool ties may lie inside): every finite ball
    contains the mp values at random points of the box; derivatives may be refused (RegionBoundaryError)."""
    obj, theta = data.draw(instances(case))
    note(_describe(obj, theta))
    box = [arb(fmpq(t.numerator, t.denominator)) + arb(0, rad) for t in theta]
    balls = {}
    for what in ("value", "outputs", "grad", "hessian", "jacobian"):
        try:
            balls[what] = np.asarray(getattr(obj, what)(box, "ball"), dtype=object).reshape(-1)
        except vf.errors.RegionBoundaryError:
            assert what not in ("value", "outputs")
    rng = random.Random(repr(theta))
    for _ in range(4):
        pt = [t + Fraction(rng.randint(-1000, 1000), 1000) * Fraction(rad) for t in theta]
        for what, b in balls.items():
            m = np.asarray(getattr(obj, what)(pt, "mp", 300), dtype=object).reshape(-1)
            for bb, mm in zip(b, m):
                assert not bb.is_finite() or contains(bb, mm), (what, bb, mm)


# ============================================================================ MLP through the graph
def _dense_chain_sequential(widths, act, bias):
    layers = []
    for j, w in enumerate(widths[1:]):
        layers.append(nn.Dense(w, bias=bias))
        if j < len(widths) - 2:
            layers.append(nn.Act(act))
    return nn.Sequential(*layers, input_shape=widths[0])


def _agree(a, x, y, what):
    x = np.asarray(x, dtype=object).reshape(-1)
    y = np.asarray(y, dtype=object).reshape(-1)
    assert x.shape == y.shape, what
    for i, (u, w) in enumerate(zip(x, y)):
        if a.name == "exact":
            assert to_fraction(u) == to_fraction(w), (what, i, u, w)
        elif a.name == "ball":  # two enclosures of one value overlap, and both are tight
            lo1, hi1 = ball_bounds(u)
            lo2, hi2 = ball_bounds(w)
            assert max(lo1, lo2) <= min(hi1, hi2), (what, i, u, w)
            assert abs(as_fraction(u) - as_fraction(w)) <= Fraction(1, 10**25) * (1 + abs(as_fraction(w)))
        else:
            tol = Fraction(1, 10**10) if a.name == "float" else Fraction(1, 10**40)
            assert abs(as_fraction(u) - as_fraction(w)) <= tol * (1 + abs(as_fraction(w))), (what, i, u, w)


@settings(max_examples=8)
@given(data=st.data())
def test_dense_chain_graph_engine_equals_mlp_fast_path(data):
    act = data.draw(st.sampled_from(["relu", "leaky_relu(1/10)", "abs", ("power", 2), "tanh", "softplus"]))
    bias = data.draw(st.booleans())
    widths = [data.draw(st.integers(1, 3)) for _ in range(data.draw(st.integers(2, 4)))]
    net = _dense_chain_sequential(widths, act, bias)
    mlp = vf.MLP(widths, act, bias=bias)
    assert net.n_params == mlp.n_params and net.param_names == mlp.param_names
    n = data.draw(st.integers(1, 3))
    X = [frac_list(data.draw, widths[0]) for _ in range(n)]
    Y = [frac_list(data.draw, widths[-1]) for _ in range(n)]
    theta = frac_list(data.draw, net.n_params)
    v = _direction(data, net.n_params)
    loss = vf.SquareLoss(net, vf.Dataset(X, Y))
    loss_mlp = vf.SquareLoss(mlp, vf.Dataset(X, Y))
    try:
        loss.region(theta)
    except vf.errors.RegionBoundaryError:
        return  # derivatives at a kink are compared elsewhere
    arithmetics = [("float", None), ("mp", 160), ("ball", 128)]
    if _rational_net(net):
        arithmetics.append(("exact", None))
    for name, prec in arithmetics:
        a = get_arith(name, prec)
        fast = loss._engine(a)
        graph = net.engine(a)
        assert isinstance(fast, Layerwise) and isinstance(graph, GraphEngine)
        assert isinstance(loss_mlp._engine(a), Layerwise)
        Xa, Ya = loss.data.in_arith(a)
        with a.context():
            th = a.array(theta)
            va = a.array(v)
            ell = loss._ell_at(a, Ya)
            _agree(a, graph.outputs(th, Xa), fast.outputs(th, Xa), "outputs")
            F = graph.outputs(th, Xa)
            C = ell(F, 1)[1]
            _agree(a, graph.vjp(th, Xa, C), fast.vjp(th, Xa, C), "vjp")
            _agree(a, graph.jacobian(th, Xa), fast.jacobian(th, Xa), "jacobian")
            _agree(a, graph.loss_hessian(th, Xa, ell), fast.loss_hessian(th, Xa, ell), "loss_hessian")
            _agree(a, graph.loss_hvp(th, Xa, ell, va), fast.loss_hvp(th, Xa, ell, va), "loss_hvp")
        # the MLP and the Sequential are one function of one θ
        _agree(a, [loss.value(theta, name, prec)], [loss_mlp.value(theta, name, prec)], "value")
        _agree(a, loss.grad(theta, name, prec), loss_mlp.grad(theta, name, prec), "grad")


def test_dense_chain_detection():
    assert isinstance(_dense_chain_sequential([2, 3, 1], "relu", True).dense_chain(), vf.MLP)
    # not chains: conv input, two dense in a row, mixed bias, Dense on tokens, a trailing activation
    assert nn.Sequential(nn.Dense(2), nn.Dense(1), input_shape=2).dense_chain() is None
    assert nn.Sequential(nn.Dense(2, bias=True), nn.Act("relu"), nn.Dense(1, bias=False),
                         input_shape=2).dense_chain() is None
    assert nn.Sequential(nn.Dense(2), nn.Act("relu"), nn.Flatten(), nn.Dense(1),
                         input_shape=(2, 2)).dense_chain() is None
    assert nn.Sequential(nn.Dense(2), nn.Act("relu"), input_shape=2).dense_chain() is None
    # an MLP's θ order is a Sequential's: W1, b1, W2, b2
    mlp = vf.MLP([2, 3, 1], "relu", bias=True)
    assert [b.name for b in mlp.layout.blocks] == ["W1", "b1", "W2", "b2"]
    assert [b.shape for b in mlp.layout.blocks] == [(3, 2), (3,), (1, 3), (1,)]


# ============================================================================ cross-entropy and logistic
CE_CASES = ["dense_chain", "maxpool2d", "conv1d", "residual", "attention2"]


@pytest.mark.parametrize("case", CE_CASES)
@settings(max_examples=1)
@given(data=st.data())
def test_cross_entropy_vs_sympy(case, data):
    obj, theta = data.draw(instances(case, loss="ce", n_max=1 if case.startswith("attention") else 2))
    note(_describe(obj, theta))
    assert isinstance(obj, vf.CrossEntropyLoss)
    ref = Reference(obj, theta)
    # the library's own symbolic loss (log Σ exp) at θ
    sym_value = obj.on_region(ref.pattern).xreplace(subs_of(obj, theta))
    check_close([sym_value], [ref.value()], Fraction(1, 10**70), "on_region value")
    g, H = ref.grad(), ref.hessian()
    slack = 0 if ref.symbolic_jacobian else Reference.FD_TOL
    check_close([obj.value(theta)], [ref.value()], 1e-12, "float value")
    check_close(obj.grad(theta), g, 1e-9, "float grad")
    check_close(obj.hessian(theta), H, 1e-9, "float hessian")
    check_close([obj.value(theta, "mp", 200)], [ref.value()], 1e-55, "mp value")
    check_close(obj.grad(theta, "mp", 200), g, 1e-55, "mp grad")
    check_close(obj.hessian(theta, "mp", 200), H, 1e-55, "mp hessian")
    check_encloses([obj.value(theta, "ball")], [ref.value()], "ball value")
    check_encloses(obj.grad(theta, "ball"), g, "ball grad", slack)
    check_encloses(obj.hessian(theta, "ball"), H, "ball hessian", Reference.FD_TOL)
    v = _direction(data, obj.n_params)
    check_encloses(obj.hvp(theta, v, "ball"), ref.hvp(v, H), "ball hvp", Reference.FD_TOL)
    for what in ("value", "grad", "hessian"):
        with pytest.raises(ArithmeticNotSupportedError, match="ball"):
            getattr(obj, what)(theta, "exact")


def test_cross_entropy_gauss_newton_term_and_known_values():
    """Linear model F = W x (no bias), one point x = e_0: L(0) = log k; ∇_W L = (p − e_y) xᵀ; the Hessian
    is (diag p − p pᵀ) ⊗ x xᵀ (F linear: no second-order term)."""
    net = nn.Sequential(nn.Dense(3, bias=False), input_shape=2)
    obj = vf.CrossEntropyLoss(net, vf.Dataset([[1, 0]], [2]))
    zero = [0] * 6
    check_encloses([obj.value(zero, "ball", 200)], [sp.log(3)])
    g = obj.grad(zero, "ball", 200)
    want_g = [Fraction(1, 3), 0, Fraction(1, 3), 0, Fraction(-2, 3), 0]
    assert all(contains(b, w) for b, w in zip(g, want_g))
    H = obj.hessian(zero, "ball", 200)
    P = np.array([[Fraction(2, 9) if i == j else Fraction(-1, 9) for j in range(3)] for i in range(3)])
    xx = np.array([[1, 0], [0, 0]])
    want_H = np.kron(P, xx)
    assert all(contains(b, Fraction(w)) for b, w in zip(H.reshape(-1), want_H.reshape(-1)))


def test_cross_entropy_labels_validated():
    net = nn.Sequential(nn.Conv1d(1, 1, kernel=2), nn.Act("relu"), nn.Flatten(), nn.Dense(3), input_shape=(1, 3))
    X = [[1, 2, 3], [0, 1, 0]]
    with pytest.raises(InputError, match="integers"):
        vf.CrossEntropyLoss(net, vf.Dataset(X, [Fraction(1, 2), 0]))
    with pytest.raises(InputError, match=r"\[0, 3\)"):
        vf.CrossEntropyLoss(net, vf.Dataset(X, [3, 0]))
    with pytest.raises(InputError):
        vf.CrossEntropyLoss(net, vf.Dataset(X, [-1, 0]))
    with pytest.raises(ShapeError, match="one integer class label"):
        vf.CrossEntropyLoss(net, vf.Dataset(X, [[0, 1], [1, 0]]))
    one = nn.Sequential(nn.Conv1d(1, 1, kernel=2), nn.Act("relu"), nn.Flatten(), nn.Dense(1), input_shape=(1, 3))
    with pytest.raises(ShapeError, match="k ≥ 2"):
        vf.CrossEntropyLoss(one, vf.Dataset(X, [0, 0]))
    ok = vf.CrossEntropyLoss(net, vf.Dataset(X, [2, 0]))
    assert list(ok.labels) == [2, 0]
    with pytest.raises(ArithmeticNotSupportedError, match="ball"):
        ok.value([0] * net.n_params, "exact")
    with pytest.raises(ArithmeticNotSupportedError, match="ball"):
        ok.hessian([0] * net.n_params, "exact")


@pytest.mark.parametrize("case", ["maxpool1d", "avgpool2d", "conv2d_stride_pad"])
@settings(max_examples=1)
@given(data=st.data())
def test_logistic_loss_on_cnns_vs_sympy(case, data):
    obj, theta = data.draw(instances(case, loss="logistic"))
    note(_describe(obj, theta))
    ref = Reference(obj, theta)
    g, H = ref.grad(), ref.hessian()
    check_close([obj.value(theta)], [ref.value()], 1e-12, "float value")
    check_close(obj.grad(theta), g, 1e-9, "float grad")
    check_close(obj.hessian(theta, "mp", 200), H, 1e-55, "mp hessian")
    check_encloses([obj.value(theta, "ball")], [ref.value()], "ball value")
    check_encloses(obj.grad(theta, "ball"), g, "ball grad")
    check_encloses(obj.hessian(theta, "ball"), H, "ball hessian", Reference.FD_TOL)
    with pytest.raises(ArithmeticNotSupportedError):
        obj.value(theta, "exact")


# ============================================================================ homogeneity
def _scaled_outputs_agree(net, degree, c, theta, X):
    """f(x; cθ) = c^degree f(x; θ) exactly, for every row of X: in exact arithmetic when the network and
    the degree are rational, and by sympy otherwise."""
    if _rational_net(net) and isinstance(degree, int):
        obj = vf.SquareLoss(net, vf.Dataset(X, [[0] * net.output_dim] * len(X)))
        f = [to_fraction(v) for v in obj.outputs(theta, "exact").reshape(-1)]
        fc = [to_fraction(v) for v in obj.outputs([c * t for t in theta], "exact").reshape(-1)]
        assert fc == [c**degree * v for v in f]
        assert any(v != 0 for v in f)  # a non-vacuous check
        return
    for x in X:
        f = net.symbolic(x, theta)
        fc = net.symbolic(x, [c * t for t in theta])
        for a, b in zip(f, fc):
            assert sp.simplify(b - rat(c) ** degree * a) == 0, (a, b, degree)


HOMOGENEOUS = [
    ("conv relu dense", lambda: nn.Sequential(nn.Conv1d(1, 2, 2, bias=False), nn.Act("relu"), nn.Flatten(),
                                              nn.Dense(1, bias=False), input_shape=(1, 4)), 2, [1, 1]),
    ("conv power2 maxpool", lambda: nn.Sequential(nn.Conv2d(1, 1, 2, bias=False), nn.Act(("power", 2)),
                                                  nn.MaxPool2d(2), nn.Flatten(), nn.Dense(2, bias=False),
                                                  input_shape=(1, 3, 3)), 3, [2, 1]),
    ("avgpool leaky", lambda: nn.Sequential(nn.Conv1d(1, 2, 2, stride=2, padding=1, bias=False),
                                            nn.Act("leaky_relu(1/10)"), nn.AvgPool1d(2), nn.Flatten(),
                                            nn.Dense(1, bias=False), input_shape=(1, 5)), 2, [1, 1]),
    ("relu_power(3/2) abs", lambda: nn.Sequential(nn.Dense(2, bias=False), nn.Act(("relu_power", "3/2")),
                                                  nn.Dense(2, bias=False), nn.Act("abs"), nn.Dense(1, bias=False),
                                                  input_shape=2), sp.Rational(7, 2), [sp.Rational(3, 2), 1, 1]),
    ("residual relu", lambda: nn.Sequential(nn.Conv1d(1, 2, 2, bias=False), nn.Act("relu"),
                                            nn.Residual([nn.Conv1d(2, 2, 3, padding=1, bias=False), nn.Act("relu"),
                                                         nn.Conv1d(2, 2, 1, bias=False)]),
                                            nn.Flatten(), nn.Dense(1, bias=False), input_shape=(1, 3)), None, None),
    ("residual identity branch", lambda: nn.Sequential(nn.Dense(2, bias=False), nn.Act("relu"),
                                                       nn.Residual([nn.Act("relu")]), nn.Dense(1, bias=False),
                                                       input_shape=2), 2, [1, 1]),
    ("residual same degree", lambda: nn.Sequential(nn.Dense(2, bias=False), nn.Act("relu"),
                                                   nn.Residual([nn.Act("abs")]),
                                                   nn.Dense(1, bias=False), input_shape=2), 2, [1, 1]),
    ("bias", lambda: nn.Sequential(nn.Conv1d(1, 1, 2, bias=True), nn.Act("relu"), nn.Flatten(),
                                   nn.Dense(1, bias=False), input_shape=(1, 3)), None, None),
    ("tanh", lambda: nn.Sequential(nn.Dense(2, bias=False), nn.Act("tanh"), nn.Dense(1, bias=False),
                                   input_shape=2), None, None),
    ("attention", lambda: nn.Sequential(nn.SelfAttention(2), nn.Flatten(), input_shape=(2, 2)), None, None),
    ("attention then relu", lambda: nn.Sequential(nn.SelfAttention(2), nn.Act("relu"), nn.Flatten(),
                                                  nn.Dense(1, bias=False), input_shape=(2, 2)), None, None),
]


@pytest.mark.parametrize("name,build,degree,blocks", HOMOGENEOUS, ids=[h[0] for h in HOMOGENEOUS])
def test_homogeneity_degree_and_scaling(name, build, degree, blocks):
    net = build()
    assert net.homogeneity_degree == degree
    assert net.block_degrees == blocks
    if degree is None:
        return
    rng = random.Random(name)
    theta = [Fraction(rng.randint(-9, 9), 5) for _ in range(net.n_params)]
    X = [[Fraction(rng.randint(-9, 9), 4) for _ in range(net.input_dim)] for _ in range(2)]
    for c in (Fraction(3), Fraction(2, 7)):
        _scaled_outputs_agree(net, degree, c, theta, X)
    # per-block degrees: scaling the weights of layer l alone scales f by c^{k_l}
    numbers = sorted({b.layer for b in net.layout.blocks})
    c = Fraction(5, 3)
    for l, k in zip(numbers, blocks):
        th = list(theta)
        for b in net.layout.blocks:
            if b.layer == l:
                for i in range(b.slice.start, b.slice.stop):
                    th[i] = c * th[i]
        for x in X:
            for a, b in zip(net.symbolic(x, theta), net.symbolic(x, th)):
                assert sp.simplify(b - rat(c) ** k * a) == 0, (l, k)


def test_residual_branch_of_another_degree_is_not_homogeneous():
    """x + g(x) with g of a different degree in θ than x: no homogeneity; a non-homogeneous value check."""
    net = nn.Sequential(nn.Dense(2, bias=False), nn.Act("relu"),
                        nn.Residual([nn.Dense(2, bias=False), nn.Act("relu")]), nn.Dense(1, bias=False),
                        input_shape=2)
    assert net.homogeneity_degree is None
    theta = [Fraction(t) for t in (1, 2, -1, 1, 1, 1, 1, 1, 1, 1)]
    x = [1, 1]
    f1 = net.symbolic(x, theta)[0]
    f2 = net.symbolic(x, [2 * t for t in theta])[0]
    assert all(f2 != sp.Integer(2) ** d * f1 for d in range(1, 5))


def test_symbolic_of_relu_of_many_abs_units_returns_or_raises_a_verify_error():
    net = nn.Sequential(nn.Dense(5), nn.Act("abs"), nn.Dense(1), nn.Act("relu"), input_shape=1)
    try:
        out = net.symbolic([1])
    except VerifyError:
        return
    assert len(out) == 1


# ============================================================================ bad input
def test_bad_networks_raise_verify_errors():
    with pytest.raises(ShapeError):  # channels
        nn.Sequential(nn.Conv2d(2, 1, 2), input_shape=(1, 4, 4))
    with pytest.raises(ShapeError):  # a 2-D conv on a 1-D signal
        nn.Sequential(nn.Conv2d(1, 1, 2), input_shape=(1, 4))
    with pytest.raises(ShapeError):  # kernel larger than the input
        nn.Sequential(nn.Conv1d(1, 1, 5), input_shape=(1, 3))
    with pytest.raises(ShapeError):
        nn.Sequential(nn.Conv2d(1, 1, (2, 5), padding=(0, 1)), input_shape=(1, 3, 2))
    with pytest.raises(ShapeError):  # pooling window larger than the input
        nn.Sequential(nn.MaxPool1d(4), input_shape=(1, 3))
    with pytest.raises(ShapeError):
        nn.Sequential(nn.AvgPool2d((1, 3)), input_shape=(1, 3, 2))
    with pytest.raises(ShapeError, match="Residual"):  # the branch changes the shape
        nn.Sequential(nn.Residual(nn.Dense(3)), input_shape=2)
    with pytest.raises(ShapeError):
        nn.Sequential(nn.Residual([nn.Conv1d(1, 1, 2)]), input_shape=(1, 4))
    with pytest.raises(InputError):
        nn.Residual([])
    with pytest.raises(InputError):
        nn.Residual(["relu"])
    with pytest.raises(InputError, match="not a vf.nn layer"):
        nn.Sequential(nn.Dense(2), "relu", input_shape=2)
    with pytest.raises(InputError):
        nn.Sequential(input_shape=2)
    with pytest.raises(InputError):
        nn.Sequential(nn.Dense(2))
    for bad in (True, 2.0, 0, -1, "3", None):
        with pytest.raises(InputError):
            nn.Dense(bad)
    for bad in (True, 1.5, 0, "2"):
        with pytest.raises(InputError):
            nn.Conv1d(1, bad, 2)
        with pytest.raises(InputError):
            nn.Conv2d(1, 1, kernel=bad)
        with pytest.raises(InputError):
            nn.MaxPool2d(bad)
    with pytest.raises(InputError):
        nn.Conv2d(1, 1, 2, padding=-1)
    with pytest.raises(InputError):
        nn.Conv2d(1, 1, (2, 2, 2))
    with pytest.raises(InputError):
        nn.Dense(2, bias="yes")
    for bad_shape in ((1, 0), (), True, 2.5, "4", (2, -1)):
        with pytest.raises(InputError):
            nn.Sequential(nn.Flatten(), input_shape=bad_shape)
    with pytest.raises(InputError, match="divisible"):
        nn.SelfAttention(3, heads=2)
    assert nn.SelfAttention(3, heads=2, d_k=2).d_k == 2
    with pytest.raises(ShapeError):  # d_model does not match the tokens' width
        nn.Sequential(nn.SelfAttention(3), input_shape=(2, 2))
    with pytest.raises(ShapeError):
        nn.Sequential(nn.SelfAttention(2), input_shape=(2, 2, 1))
    with pytest.raises(vf.errors.UnknownActivationError):
        nn.Act("relux")


def test_bad_data_and_theta_raise_verify_errors():
    net = nn.Sequential(nn.Conv2d(1, 1, 2), nn.Act("relu"), nn.Flatten(), nn.Dense(1), input_shape=(1, 3, 3))
    with pytest.raises(ShapeError, match="9 inputs"):
        vf.SquareLoss(net, vf.Dataset([[1, 2, 3]], [1]))
    with pytest.raises(ShapeError):
        vf.SquareLoss(net, vf.Dataset([[[0] * 3] * 3], [[1, 2]]))  # k = 2 labels, 1 output
    X = np.arange(18).reshape(2, 1, 3, 3)  # (n, *input_shape) is flattened
    obj = vf.SquareLoss(net, vf.Dataset(X.tolist(), [1, 2]))
    assert obj.data.d == 9
    p = net.n_params
    with pytest.raises(ShapeError):
        obj.value([0] * (p - 1))
    with pytest.raises(ShapeError):
        obj.grad([[0] * p])
    with pytest.raises(ShapeError):
        obj.value([[0], 0] + [0] * (p - 2))
    for bad in (float("nan"), float("inf")):
        th = [0] * p
        th[1] = bad
        for arith in ("float", "ball", "exact"):
            with pytest.raises(InputError):
                obj.value(th, arith)
    with pytest.raises(InputError):
        obj.value(["1/2"] + [0] * (p - 1), "exact")
    with pytest.raises(InputError):
        obj.value([2**2000] + [0] * (p - 1), "exact")
    with pytest.raises(ShapeError):
        obj.hvp([0] * p, [1] * (p + 1))
    with pytest.raises(ShapeError):
        net.views([0] * (p + 1))
    with pytest.raises(ShapeError):
        net.symbolic([1, 2], [0] * p)
    with pytest.raises(InputError):
        net.flatten({"W1": np.zeros((1, 1, 2, 2))})
    with pytest.raises(ShapeError):
        net.flatten({"W1": np.zeros((1, 1, 2, 3)), "b1": [0], "W2": np.zeros((1, 4)), "b2": [0]})
    with pytest.raises(vf.errors.PrecisionError):
        obj.value([0] * p, "ball", 8)
    with pytest.raises(vf.errors.UnknownArithmeticError):
        obj.value([0] * p, "interval")


@pytest.mark.parametrize("build", [
    lambda: nn.Sequential(nn.Conv2d(1, 1, 2), nn.Act("relu"), nn.Flatten(), nn.Dense(1), input_shape=(1, 3, 3)),
    lambda: nn.Sequential(nn.SelfAttention(2, heads=2), nn.Flatten(), input_shape=(2, 2)),
])
def test_errors_are_never_builtin(build):
    """Every refusal of a malformed request is a VerifyError (no bare ValueError/TypeError/IndexError)."""
    net = build()
    obj = vf.SquareLoss(net, vf.Dataset([[1] * net.input_dim], [[0] * net.output_dim]))
    p = net.n_params
    bad_calls = [
        lambda: obj.value(None), lambda: obj.value("theta"), lambda: obj.value([None] * p),
        lambda: obj.value([0] * p, "ball", 10**9), lambda: obj.hvp([0] * p, None),
        lambda: obj.on_region("pattern"), lambda: net.views(None),
        lambda: obj.on_region((np.zeros(1, dtype=int),) * (len(net.sites) + 1)),
        lambda: obj.value([object()] * p), lambda: obj.value([True] + [0] * (p - 1)),
        lambda: obj.value([1j] + [0] * (p - 1)),
    ]
    for call in bad_calls:
        try:
            call()
        except VerifyError:
            pass
        else:
            raise AssertionError("accepted a malformed request")


def test_views_flatten_and_names_round_trip():
    net = nn.Sequential(nn.Conv2d(1, 2, kernel=(2, 1), bias=True), nn.Act("relu"), nn.Flatten(),
                        nn.Dense(2, bias=False), input_shape=(1, 3, 2))
    assert [b.name for b in net.layout.blocks] == ["W1", "b1", "W2"]
    assert net.layout.block("W1").shape == (2, 1, 2, 1)
    theta = np.arange(net.n_params)
    V = net.views(theta)
    assert V["W1"][1, 0, 1, 0] == theta[net.param_names.index("W1[1,0,1,0]")]
    assert (net.flatten(V) == theta).all()
    att = nn.Sequential(nn.SelfAttention(4, heads=2, bias=True), input_shape=(3, 4))
    assert [b.name for b in att.layout.blocks] == ["Q1", "K1", "V1", "O1", "bQ1", "bK1", "bV1", "bO1"]
    assert att.layout.block("O1").shape == (4, 4) and att.n_params == 4 * 16 + 4 * 4
    res = nn.Sequential(nn.Dense(2), nn.Residual([nn.Dense(2), nn.Act("relu"), nn.Dense(2)]), nn.Dense(1),
                        input_shape=2)
    assert [b.name for b in res.layout.blocks] == ["W1", "b1", "W2", "b2", "W3", "b3", "W4", "b4"]
