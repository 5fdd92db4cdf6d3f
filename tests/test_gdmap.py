"""The GD map (docs/theory/gd_map.md): Jacobians in every arithmetic, det(I − η∇²L) as a polynomial,
exact exceptional step sizes on the known-answer instances, certified non-singularity."""

from __future__ import annotations

from fractions import Fraction as F

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, note
from hypothesis import strategies as st

import verify as vf
from verify import gdmap
from verify.arith.ball import contains
from verify.arith.eigen import to_fmpq_mat
from verify.errors import InputError, RegionBoundaryError
from verify.gdmap.regions import random_region_points

DATA = vf.Dataset([[1, 2], [F(1, 3), -1], [2, 1]], [1, 0, F(1, 2)])
DEAD = [-1, -1, -1, -1, -5, -5, 1, 1, F(1, 3)]  # every hidden ReLU off on every data point: f = b2
ALIVE = [1, F(1, 2), -1, F(1, 3), F(1, 5), -F(1, 7), F(3, 2), -1, F(1, 3)]


def relu_bias_loss():
    return vf.SquareLoss(vf.MLP([2, 2, 1], "relu", bias=True), DATA)


def q(x) -> F:
    return F(int(x.p), int(x.q))


# ------------------------------------------------------------------ the map and its Jacobian
def test_gd_map_and_jacobian_agree_in_every_arithmetic():
    loss = vf.SquareLoss(vf.MLP([2, 3, 1], "tanh"), DATA)
    th = [F(k, 5) for k in range(-4, 5)]
    G = vf.GDMap(loss, F(1, 3))
    g_float = G(th)
    g_mp = G(th, "mp", 200)
    g_ball = G(th, "ball", 128)
    for f, m, b in zip(g_float, g_mp, g_ball):
        assert abs(f - float(m)) < 1e-12
        assert contains(b, m)
    J = G.jacobian(th, "ball")
    H = loss.hessian(th, "mp", 200)
    with mpmath.workprec(200):
        for i in range(9):
            for j in range(9):
                assert contains(J[i, j], (1 if i == j else 0) - H[i, j] / 3)


def test_composed_jacobian_is_the_product_along_the_orbit_and_matches_finite_differences():
    x, y = sp.symbols("x y")
    obj = vf.Objective.from_sympy(x**4 / 4 - x * y + y**2, [x, y])
    G = vf.GDMap(obj, F(1, 10))
    th = np.array([0.7, -0.3])
    G3 = G.compose(3)
    J = G3.jacobian(th)
    eps = 1e-6
    fd = np.column_stack([(G3(th + eps * e) - G3(th - eps * e)) / (2 * eps) for e in np.eye(2)])
    assert np.allclose(J, fd, atol=1e-8)
    # exact: same product in rationals
    Je = G3.jacobian([F(7, 10), F(-3, 10)], "exact")
    assert np.allclose(np.vectorize(float)(np.array([[q(v) for v in row] for row in Je])), J, atol=1e-12)


def test_sgd_map_uses_the_batch_loss():
    loss = relu_bias_loss()
    S = vf.SGDMap(loss, F(1, 4), [0, 2])
    sub = vf.SquareLoss(loss.net, DATA.subset([0, 2]))
    assert [q(v) for v in S(ALIVE, "exact")] == [F(t) - F(1, 4) * q(g) for t, g in zip(ALIVE, sub.grad(ALIVE, "exact"))]


# ------------------------------------------------------------------ det(I − ηH) as a polynomial in η
def test_det_polynomial_exact_matches_sympy_and_ball_encloses_it():
    loss = relu_bias_loss()
    dp = gdmap.det_polynomial(loss, ALIVE)
    H = sp.Matrix(9, 9, [sp.Rational(int(v.p), int(v.q)) for v in loss.hessian(ALIVE, "exact").reshape(-1)])
    eta = sp.Symbol("eta")
    assert sp.expand((sp.eye(9) - eta * H).det() - dp.as_sympy(eta)) == 0
    db = gdmap.det_polynomial(loss, ALIVE, "ball", 128)
    for c_exact, c_ball in zip(dp.coeffs, db.coeffs):
        assert contains(c_ball, q(c_exact))
    assert contains(db(F(1, 3)), q(dp(F(1, 3))))


def test_det_polynomial_refuses_float():
    with pytest.raises(InputError):
        gdmap.det_polynomial(relu_bias_loss(), ALIVE, "float")


# ------------------------------------------------------------------ exceptional step sizes: known answers
@given(st.lists(st.integers(-4, 4), min_size=6, max_size=6))
def test_quadratic_exceptional_set_is_reciprocal_nonzero_eigenvalues(entries):
    """L = ½ θᵀAθ: E = {1/λ : λ > 0 an eigenvalue of A} (docs/theory/gd_map.md §2.4, first known answer)."""
    a, b, c, d, e, f = entries
    A = sp.Matrix([[a, b, c], [b, d, e], [c, e, f]])
    th = sp.symbols("t0:3")
    v = sp.Matrix(th)
    obj = vf.Objective.from_sympy((v.T * A * v)[0] / 2, list(th))
    ex = gdmap.exceptional_step_sizes(obj)
    assert ex.result.verdict == vf.Verdict.PROVED
    lams = np.linalg.eigvalsh(np.array(A.tolist(), dtype=float))
    distinct = [lam for i, lam in enumerate(lams) if lam > 1e-9 and all(abs(lam - m) > 1e-9 for m in lams[:i])]
    expected = sorted(1 / lam for lam in distinct)  # E is a set: a repeated eigenvalue gives one step size
    note(f"A = {A}, found {ex.etas}")
    assert np.allclose(sorted(float(e) for e in ex.confirmed), expected, rtol=1e-12)
    for e in ex.confirmed:  # each certified η really makes I − ηA singular, exactly
        assert sp.simplify((sp.eye(3) - e.eta * A).det()) == 0


def test_linear_regression_exceptional_set():
    """L(w) = (1/n)‖Xw − y‖²: E = {n/(2λ) : λ a non-zero eigenvalue of XᵀX}."""
    X = sp.Matrix([[1, 2], [3, 4], [5, 7]])
    w = sp.symbols("w0:2")
    L = sum(((X[i, :] * sp.Matrix(w))[0] - i) ** 2 for i in range(3)) / 3
    ex = gdmap.exceptional_step_sizes(vf.Objective.from_sympy(L, list(w)))
    expected = sorted(float(sp.Rational(3, 2) / lam) for lam in (X.T * X).eigenvals())
    assert ex.complete and np.allclose(sorted(float(e) for e in ex.confirmed), expected, rtol=1e-14)


def test_relu_regions_with_and_without_exceptional_step_sizes():
    loss = relu_bias_loss()
    dead = gdmap.exceptional_step_sizes(loss, DEAD)
    assert dead.complete and [str(e) for e in dead.etas] == ["1/2"]  # L = mean (b2 − y)²: eigenvalue 2
    alive = gdmap.exceptional_step_sizes(loss, ALIVE)
    assert alive.complete and alive.etas == []
    # the certificate is real: det(I − ½∇²L) vanishes exactly at fresh random points of the dead region
    rng = np.random.default_rng(5)
    for pt in random_region_points(loss, np.array([F(v) for v in DEAD], dtype=object), 3, rng):
        assert to_fmpq_mat(vf.GDMap(loss, F(1, 2)).jacobian(pt, "exact")).det() == 0


def test_kernel_vector_certificate_for_a_constant_eigenvalue_of_a_varying_hessian():
    a, b, c = sp.symbols("a b c")
    obj = vf.Objective.from_sympy((a * b - 1) ** 2 + 3 * c**2, [a, b, c])  # ∂²/∂c² = 6, decoupled
    ex = gdmap.exceptional_step_sizes(obj)
    assert ex.complete and [str(e) for e in ex.etas] == ["1/6"]
    assert "constant vector v" in ex.confirmed[0].certificate
    assert ex.contains(F(1, 6)) is True and ex.contains(F(1, 5)) is False


def test_tanh_network_has_no_exceptional_step_size_in_range():
    loss = vf.SquareLoss(vf.MLP([2, 3, 1], "tanh"), DATA)
    ex = gdmap.exceptional_step_sizes(loss, [F(k, 5) for k in range(-4, 5)], eta_range=(F(1, 100), 100))
    assert ex.result.verdict == vf.Verdict.PROVED and ex.etas == [] and ex.result.arithmetic == "ball"


def test_scan_step_sizes_collects_regions():
    loss = relu_bias_loss()
    r = gdmap.scan_step_sizes(loss, (F(1, 10), 10), [DEAD, ALIVE, DEAD])
    assert r.verdict == vf.Verdict.PROVED and r.quantity.value == ["1/2"]
    assert len(r.certificate["regions"]) == 2 and r.scope["count"] == 2


# ------------------------------------------------------------------ non-singularity verdicts
def test_check_nonsingular_proves_refutes_and_counts_regions():
    loss = relu_bias_loss()
    r = gdmap.check_nonsingular(loss, F(1, 3), regions=[DEAD, ALIVE], samples=10)
    assert r.verdict == vf.Verdict.PROVED and r.certificate["given_points"] == 2
    # the scope: every examined region, as whole ReLU patterns (the loss is a polynomial on each)
    assert r.scope["count"] == len(r.certificate["regions"]) >= 2 and r.scope["eta"] == F(1, 3)
    assert {reg["scope"] for reg in r.scope["regions"]} == {"pattern"}
    r = gdmap.check_nonsingular(loss, F(1, 2), regions=[DEAD, ALIVE])
    assert r.verdict == vf.Verdict.REFUTED and r.counterexample["eta"] == F(1, 2)
    r = gdmap.check_nonsingular(loss, F(1, 3), regions=[ALIVE], steps=2)
    assert r.verdict == vf.Verdict.PROVED
    # at η = 1/2 one GD step from ALIVE lands in the all-dead region, where 1/2 is exceptional:
    # det D(G²) ≡ 0 on an open set, so the two-step map is singular although G is not on ALIVE's region
    r = gdmap.check_nonsingular(loss, F(1, 2), regions=[ALIVE], steps=2)
    assert r.verdict == vf.Verdict.REFUTED
    assert r.certificate["regions"][0]["exceptional_at_step"] == 1
    r = gdmap.check_nonsingular(loss, F(1, 2), regions=[ALIVE], batches=[[0], [1, 2]])
    assert r.verdict == vf.Verdict.PROVED


def test_check_nonsingular_on_tanh_in_ball_arithmetic():
    loss = vf.SquareLoss(vf.MLP([2, 3, 1], "tanh"), DATA)
    r = gdmap.check_nonsingular(loss, 0.25, samples=2, steps=2)
    # the first rung of the precision ladder (float64 balls, regularity test) decides every factor
    assert r.verdict == vf.Verdict.PROVED and r.arithmetic == "ball64" and r.rung == "ball64"
    assert all(d["arith"] == "ball64" and d["regularity_bound"] < 1 for reg in r.certificate["regions"]
               for d in reg["det"])
    slow = gdmap.check_nonsingular(loss, 0.25, samples=2, steps=2, fast=False)  # Arb determinants only
    assert slow.verdict == vf.Verdict.PROVED and slow.arithmetic == "ball" and slow.rung == "ball@128"
    assert slow.scope["regions"] == r.scope["regions"]


@pytest.mark.parametrize("eta", [0, -1, float("nan"), float("inf"), "1/2"])
def test_bad_step_sizes_are_refused(eta):
    with pytest.raises(InputError):
        vf.GDMap(relu_bias_loss(), eta)
    with pytest.raises(InputError):
        gdmap.check_nonsingular(relu_bias_loss(), eta, regions=[ALIVE])


def test_bad_inputs_are_refused_before_any_work():
    loss = relu_bias_loss()
    with pytest.raises(InputError):
        gdmap.check_nonsingular(loss, F(1, 3))  # no point at all
    with pytest.raises(InputError):
        gdmap.check_nonsingular(loss, F(1, 3), regions=[ALIVE], steps=0)
    with pytest.raises(InputError):
        vf.GDMap(loss, F(1, 3)).compose(0)
    on_boundary = list(ALIVE)
    on_boundary[4] = -1  # neuron 0 on data point 0: 1·1 + ½·2 − 1 … pick b1 so z = 0 exactly
    on_boundary[4] = -(F(1) * 1 + F(1, 2) * 2)
    with pytest.raises(RegionBoundaryError):
        gdmap.check_nonsingular(loss, F(1, 3), regions=[on_boundary])
    with pytest.raises(InputError):
        gdmap.exceptional_step_sizes(loss)  # a network needs a point of the region
    with pytest.raises(InputError):
        vf.SGDMap(loss, F(1, 3), [0, 0])
    with pytest.raises(InputError):
        vf.GDMap(loss, F(1, 3))([1, 2])


def test_too_large_requests_are_refused_with_an_estimate_before_any_work():
    from verify.errors import SizeLimitError

    big = vf.SquareLoss(vf.MLP([30, 15, 1], "relu"), vf.Dataset([[1] * 30], [1]))  # p = 465 > 400
    with pytest.raises(SizeLimitError, match="about"):
        gdmap.exceptional_step_sizes(big, [F(1, 3)] * big.n_params)
    smooth = vf.SquareLoss(vf.MLP([30, 15, 1], "tanh"), vf.Dataset([[1] * 30], [1]))
    with pytest.raises(SizeLimitError, match="check_nonsingular"):
        gdmap.exceptional_step_sizes(smooth, [F(1, 3)] * smooth.n_params)
