"""Issue 11, model level: float paths never raise certified-path errors (one-sided convention at
kinks), certified paths keep them; non-real objectives are refused in every arithmetic; bad model
arguments give verify.errors exceptions; precision has an upper bound; activation names round-trip."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from flint import arb, fmpq
from hypothesis import given
from hypothesis import strategies as st

import verify as vf
from verify import errors
from verify.arith import get_arith
from verify.models.activation import Z

x, y = sp.symbols("x y", real=True)
CERTIFIED = ("ball", "exact")
UNCERTIFIED = ("float", "mp")


# ============================================================================ kinks: float/mp convention
def _zero_weight_loss(act="relu", bias=False):
    net = vf.MLP([2, 3, 1], act, bias=bias)
    return vf.SquareLoss(net, vf.Dataset([[1, 2], [3, -4], [0, 5]], [1, 2, -1])), net


@pytest.mark.parametrize("act", ["relu", "leaky_relu(1/10)", "abs", "relu_power(2)"])
def test_zero_weights_float_and_mp_give_numbers_certified_paths_raise(act):
    """Every pre-activation is exactly 0.0 (a kink): float/mp return value, gradient and Hessian
    (the neuron_pursuit crash of issue 11); ball and exact keep RegionBoundaryError."""
    loss, net = _zero_weight_loss(act)
    th = np.zeros(net.n_params)
    for arith in UNCERTIFIED:
        v = loss.value(th, arith)
        g = loss.grad(th, arith)
        H = loss.hessian(th, arith)
        hv = loss.hvp(th, np.ones(net.n_params), arith)
        assert float(v) == pytest.approx(2.0)  # (1 + 4 + 1)/3: outputs are all 0
        assert np.all(np.isfinite(np.asarray(g, dtype=float)))
        assert np.asarray(H, dtype=float).shape == (net.n_params, net.n_params)
        assert np.allclose(np.asarray(H, dtype=float) @ np.ones(net.n_params), np.asarray(hv, dtype=float))
    for arith in CERTIFIED:
        if act == "relu_power(2)":
            loss.grad(th, arith)  # C^1 at 0: the gradient exists and is certified
            with pytest.raises(errors.RegionBoundaryError):
                loss.hessian(th, arith)
            continue
        with pytest.raises(errors.RegionBoundaryError):
            loss.grad(th, arith)
    # the value exists at a (continuous) kink in every arithmetic
    assert float(loss.value(th, "exact")) == 2.0


def test_relu_derivative_at_zero_is_zero_as_in_torch():
    # f(x) = v relu(w x), data x = 1, θ = (w, v) = (0, 1): ∂f/∂w = v relu'(0) x = 0 by convention
    net = vf.MLP([1, 1, 1], "relu")
    loss = vf.SquareLoss(net, vf.Dataset([[1]], [1]), normalization="half_sum")  # L = (f − 1)²/2
    for arith in UNCERTIFIED:
        g = [float(t) for t in loss.grad([0, 1], arith)]
        assert g == [0.0, 0.0]  # ∂L/∂v = (f − 1) relu(0) = 0 too
        H = np.asarray(loss.hessian([0, 1], arith), dtype=float)
        # ∂²L/∂w∂v = (f − 1)·relu'(0) + v relu'(0)·relu(0)... = −relu'(0) = 0 under the convention
        assert H[0, 1] == 0.0 and H[1, 0] == 0.0


# expected one-sided (left-piece) derivatives at each breakpoint: (spec, breakpoint, [σ(b), σ'(b), σ''(b)])
LEFT = [
    ("relu", 0, [0, 0, 0]),
    (("leaky_relu", "1/10"), 0, [0, Fraction(1, 10), 0]),
    ("abs", 0, [0, -1, 0]),
    ("hardtanh", -1, [-1, 0, 0]),
    ("hardtanh", 1, [1, 1, 0]),
    (("relu_power", 2), 0, [0, 0, 0]),
    (("relu_power", 3), 0, [0, 0, 0]),
    (("relu_power", "3/2"), 0, [0, 0, 0]),
]


@pytest.mark.parametrize("spec,b,expected", LEFT, ids=lambda v: str(v))
def test_left_piece_convention_at_every_catalogue_breakpoint(spec, b, expected):
    act = vf.activations.get(spec)
    for arith in UNCERTIFIED:
        a = get_arith(arith)
        with a.context():
            z = np.array([a.const(Fraction(b))], dtype=a.dtype if arith == "float" else object)
            vals = act(z, a, order=2)
        assert [float(v[0]) for v in vals] == [float(e) for e in expected], (arith, vals)
    # the certified paths refuse the derivatives that do not exist there
    j = list(act.breakpoints).index(b)
    for arith in CERTIFIED:
        if arith == "exact" and not act.polynomial_pieces:
            continue
        a = get_arith(arith)
        with a.context():
            z = np.array([a.const(Fraction(b))], dtype=object)
            ok = act(z, a, order=act.continuity[j])  # derivatives up to the continuity order exist
            assert [float(a.to_float(v[0])) for v in ok] == [float(e) for e in expected[: act.continuity[j] + 1]]
            with pytest.raises(errors.RegionBoundaryError):
                act(z, a, order=act.continuity[j] + 1)


def test_left_piece_convention_for_a_user_piecewise_with_a_jump():
    # σ = z/4 (z < 1), z − 1 (z ≥ 1): discontinuous at 1; σ(1) = 0 (the Piecewise's own value), σ'(1) = 1/4
    act = vf.Activation.from_piecewise(sp.Piecewise((Z / 4, Z < 1), (Z - 1, True)), Z, "jump")
    for arith in UNCERTIFIED:
        a = get_arith(arith)
        with a.context():
            z = np.array([a.const(Fraction(1))], dtype=float if arith == "float" else object)
            v, d1 = act(z, a, order=1)
        assert (float(v[0]), float(d1[0])) == (0.0, 0.25)
    with pytest.raises(errors.RegionBoundaryError):
        a = get_arith("exact")
        act(np.array([a.const(Fraction(1))], dtype=object), a, order=1)


@given(st.sampled_from(["relu", "leaky_relu(1/10)", "abs", "hardtanh", "relu_power(2)"]), st.booleans(),
       st.lists(st.integers(-2, 2), min_size=13, max_size=13), st.lists(st.integers(-2, 2), min_size=6, max_size=6))
def test_float_and_mp_agree_on_kinks_and_match_exact_off_them(act, bias, ints, data):
    """Integer data and integer θ: pre-activations are exact integers in float and mp alike, many of them
    on a kink. Both follow the same convention (so they agree), and wherever the certified gradient exists
    they equal it."""
    net = vf.MLP([2, 2, 1], act, bias=bias)
    loss = vf.SquareLoss(net, vf.Dataset([data[0:2], data[2:4], data[4:6]], [1, -1, 2]))
    th = ints[: net.n_params]
    gf = np.asarray(loss.grad(th, "float"), dtype=float)
    gm = np.asarray(loss.grad(th, "mp"), dtype=float)
    assert np.allclose(gf, gm, rtol=1e-12, atol=1e-12)
    Hf = np.asarray(loss.hessian(th, "float"), dtype=float)
    Hm = np.asarray(loss.hessian(th, "mp"), dtype=float)
    assert np.allclose(Hf, Hm, rtol=1e-12, atol=1e-12)
    try:
        ge = loss.grad(th, "exact")
    except errors.RegionBoundaryError:
        return
    assert np.allclose(np.asarray(ge, dtype=float), gf, rtol=1e-12, atol=1e-12)


def test_sympy_piecewise_ties_follow_the_condition_in_float_and_raise_in_ball():
    obj = vf.Objective.from_sympy(sp.Abs(x) + y**2, [x, y])  # Abs → Piecewise((x, x >= 0), (-x, True))
    for arith in UNCERTIFIED:
        assert [float(t) for t in obj.grad([0, 1], arith)] == [1.0, 2.0]
        assert [float(t) for t in np.asarray(obj.hessian([0, 1], arith)).reshape(-1)] == [0.0, 0.0, 0.0, 2.0]
    for arith in CERTIFIED:
        with pytest.raises(errors.RegionBoundaryError):
            obj.grad([0, 1], arith)
        assert float(get_arith(arith).to_float(obj.value([0, 1], arith))) == 1.0


# ============================================================================ non-real objectives
NON_REAL = [
    (sp.sqrt(-1 - x**2), [0]),
    (sp.sqrt(-1 - x**2), [Fraction(1, 3)]),
    (sp.log(x), [-1]),
    (sp.log(x), [0]),
    (1 / x, [0]),
    (x**sp.Rational(1, 3), [-8]),
    (2 * x**-3 + 1, [0]),
    (sp.Piecewise((x, x > 0)), [-1]),  # no branch applies: undefined
]


@pytest.mark.parametrize("expr,pt", NON_REAL, ids=lambda v: str(v))
@pytest.mark.parametrize("arith", ["float", "mp", "ball", "exact"])
def test_non_real_objectives_are_refused_in_every_arithmetic(expr, pt, arith):
    obj = vf.Objective.from_sympy(expr, [x])
    for what in ("value", "grad", "hessian"):
        with pytest.raises(errors.NonRealError):
            getattr(obj, what)(pt, arith)


def test_real_points_of_restricted_objectives_still_evaluate():
    obj = vf.Objective.from_sympy(sp.sqrt(x) + sp.log(x + 2), [x])
    assert float(obj.value([0])) == pytest.approx(np.log(2))  # sqrt(0) = 0 is real
    with pytest.raises(errors.NonRealError):
        obj.grad([0])  # 1/(2 sqrt(x)) has a pole at 0: the derivative does not exist
    assert float(obj.grad([4], "ball")[0].mid()) == pytest.approx(0.25 + 1 / 6)
    # a box reaching outside the domain has no finite enclosure: refused, never a NaN ball
    with pytest.raises(errors.EnclosureError):
        obj.value([arb(0, 0.1)], "ball")
    # exact evaluates where the path through the expression is rational (the log branch is not taken)
    pw = vf.Objective.from_sympy(sp.Piecewise((sp.log(x), x > 1), (x**2, True)), [x])
    assert pw.value([Fraction(1, 2)], "exact") == fmpq(1, 4)
    with pytest.raises(errors.ArithmeticNotSupportedError):
        pw.value([2], "exact")


def test_non_real_constants_are_refused_at_construction():
    for bad in (sp.I * x, x + sp.zoo, x + sp.oo, x + sp.nan):
        with pytest.raises(errors.NonRealError):
            vf.Objective.from_sympy(bad, [x])


def test_float_overflow_is_not_called_non_real():
    """inf − inf in float64 at x = 1000 is an overflow of a real value, not a non-real objective: float
    reports it as IEEE arithmetic does (its GD runs stop on it); ball has the exponent range."""
    obj = vf.Objective.from_sympy(sp.exp(x) - sp.exp(x + 1), [x])
    with np.errstate(all="ignore"):
        assert np.isnan(obj.value([1000]))
    assert obj.value([1000], "ball").is_finite()
    with pytest.raises(errors.NonRealError):  # while a genuine domain violation is refused in float too
        vf.Objective.from_sympy(sp.exp(x) + sp.log(x - 2000), [x]).value([1000])


def test_user_activation_outside_its_domain_is_refused():
    act = vf.Activation.from_piecewise(sp.sqrt(Z), Z, "sqrt")  # analytic, but only for z ≥ 0
    loss = vf.SquareLoss(vf.MLP([1, 1, 1], act), vf.Dataset([[1]], [0]))
    for arith in ("float", "mp", "ball"):
        with pytest.raises(errors.NonRealError):
            loss.value([-1, 1], arith)
        assert float(get_arith(arith).to_float(loss.value([4, 1], arith))) == pytest.approx(4.0)


def test_complex_and_boolean_inputs_are_refused():
    obj = vf.Objective.from_sympy(x**2, [x])
    with pytest.raises(errors.NonRealError):
        obj.value([1j])
    with pytest.raises(errors.NonRealError):
        obj.value([mpmath.mpc(1, 1)], "mp")
    with pytest.raises(errors.InputError, match="boolean"):
        obj.value([True])
    with pytest.raises(errors.InputError, match="boolean"):
        vf.Dataset([[True, False]], [1])


# ============================================================================ Abs after substitution
def test_activation_piece_that_becomes_abs_is_refused():
    z = sp.Symbol("z")  # not declared real: sqrt(z**2) only becomes Abs(z) once z is the real Z
    with pytest.raises(errors.NotAnalyticError, match="Abs"):
        vf.Activation.from_piecewise(sp.Piecewise((sp.sqrt(z**2), z > 0), (0, True)), z, "pw")
    with pytest.raises(errors.NotAnalyticError):
        vf.Activation.from_piecewise((z**2) ** sp.Rational(3, 2), z, "cube_abs")
    # with a real variable sympy writes Abs at once: refused as before
    with pytest.raises(errors.NotAnalyticError):
        vf.Activation.from_piecewise(sp.Piecewise((sp.sqrt(Z**2), Z > 0), (0, True)), Z, "pw2")


def test_region_expressions_that_become_abs_are_refused():
    # second hidden layer: relu_power(1/2) of w2·(w1 x)² → sympy: Abs(w1)·sqrt(w2) on the region z2 > 0
    net = vf.MLP([1, 1, 1, 1], ["power(2)", "relu_power(1/2)"])
    loss = vf.SquareLoss(net, vf.Dataset([[1]], [1]))
    pattern = loss.region([1, 1, 1])
    with pytest.raises(errors.NotAnalyticError, match="Abs"):
        loss.on_region(pattern)
    # a user objective whose region expression turns into Abs (sympy would usually push the root into the
    # Piecewise at construction; an unevaluated power keeps it outside)
    pw = sp.Piecewise((x**2, x > 1), (x**4, True))
    obj = vf.Objective.from_sympy(sp.Pow(pw, sp.Rational(1, 2), evaluate=False) + y, [x, y])
    assert obj.region([2, 0]) == (0,)
    with pytest.raises(errors.NotAnalyticError):
        obj.on_region((0,))
    assert obj.on_region((1,)) == x**2 + y
    with pytest.raises(errors.InputError):
        obj.on_region((2,))


# ============================================================================ bad model arguments
@pytest.mark.parametrize("widths", [[2, True, 1], [2, np.True_, 1], [2.0, 3, 1], [2, 3.0, 1], [2, -3, 1],
                                    [2, 0, 1], [2, "3", 1], [2], 3, "231", None, [2, 3, 1.5]], ids=str)
def test_mlp_widths_must_be_positive_ints(widths):
    with pytest.raises(errors.InputError):
        vf.MLP(widths)


@pytest.mark.parametrize("bias", ["yes", 1, 0, None, 1.0])
def test_mlp_bias_must_be_a_bool(bias):
    with pytest.raises(errors.InputError, match="bias"):
        vf.MLP([2, 3, 1], "relu", bias=bias)
    assert vf.MLP([2, 3, 1], "relu", bias=np.True_).bias is True


def test_mlp_unknown_block_is_an_input_error():
    with pytest.raises(errors.InputError, match="W9"):
        vf.MLP([2, 3, 1]).block("W9")


@pytest.mark.parametrize("X,y,err", [
    ([[]], [1], errors.ShapeError),  # no features
    ([[], []], [1, 2], errors.ShapeError),
    ([[1, 2], [3]], [1, 2], errors.ShapeError),  # ragged
    ([[1], [2, 3]], [1, 2], errors.ShapeError),
    ([[1, 2], [3, [4, 5]]], [1, 2], errors.ShapeError),
    ([[1, 2], [3, 4]], [1, 2, 3], errors.ShapeError),  # labels of the wrong length
    ([[1, 2], [3, 4]], [1], errors.ShapeError),
    ([[1, 2], [3, 4]], [[1], [2, 3]], errors.ShapeError),
    ([[1, 2]], [[]], errors.ShapeError),  # no label columns
    ("12", [1], errors.InputError),
    ([[1, 2]], "1", errors.InputError),
], ids=str)
def test_dataset_shapes(X, y, err):
    with pytest.raises(err):
        vf.Dataset(X, y)


def test_longdouble_data_are_stored_exactly():
    third = np.longdouble(1) / np.longdouble(3)
    if Fraction(*third.as_integer_ratio()) == Fraction(float(third)):
        pytest.skip("np.longdouble is float64 on this platform")
    d = vf.Dataset(np.array([[third, np.longdouble(2)]]), np.array([third]))
    assert d.X_exact[0, 0] == Fraction(*third.as_integer_ratio()) != Fraction(float(third))
    assert d.Y_exact[0, 0] == Fraction(*third.as_integer_ratio())
    obj = vf.Objective.from_sympy(x, [x])
    v = obj.value([third], "exact")
    assert Fraction(int(v.p), int(v.q)) == Fraction(*third.as_integer_ratio())
    assert vf.numbers.to_fraction(np.float32(0.1)) == Fraction(13421773, 134217728)


@pytest.mark.parametrize("bad", ["x", 0, -5, 1.5, True, "1000"])
def test_max_bytes_must_be_a_positive_int(bad):
    loss, net = _zero_weight_loss("tanh")
    with pytest.raises(errors.InputError, match="max_bytes"):
        loss.hessian(np.ones(net.n_params), max_bytes=bad)
    with pytest.raises(errors.InputError, match="max_bytes"):
        vf.Objective.from_sympy(x**2, [x]).hessian([1], max_bytes=bad)


@pytest.mark.parametrize("bad", ["abc", "1e9", "-3", "0", "1.5"])
def test_verify_max_bytes_environment_variable(monkeypatch, bad):
    loss, net = _zero_weight_loss("tanh")
    monkeypatch.setenv("VERIFY_MAX_BYTES", bad)
    with pytest.raises(errors.InputError, match="VERIFY_MAX_BYTES"):
        loss.hessian(np.ones(net.n_params))
    monkeypatch.setenv("VERIFY_MAX_BYTES", "100")
    with pytest.raises(errors.SizeLimitError):
        loss.hessian(np.ones(net.n_params))


# ============================================================================ precision bounds
@pytest.mark.parametrize("prec", [2**22 + 1, 2**33, 2**40, True, 128.0, "128", 8])
def test_precision_has_bounds(prec):
    with pytest.raises(errors.PrecisionError):
        get_arith("ball", prec)
    with pytest.raises(errors.PrecisionError):
        get_arith("mp", prec)
    loss, net = _zero_weight_loss("tanh")
    with pytest.raises(errors.PrecisionError):
        loss.value(np.ones(net.n_params), "ball", prec)
    with pytest.raises(errors.PrecisionError):
        loss.value(np.ones(net.n_params), get_arith("ball"), prec)
    with pytest.raises(errors.PrecisionError):
        vf.arith.BallArithmetic(prec)


def test_precision_at_the_bounds_is_accepted():
    assert get_arith("ball", 2**22).prec == 2**22
    assert get_arith("ball", np.int64(16)).prec == 16
    with pytest.raises(errors.UnknownArithmeticError):
        get_arith(["ball"])


# ============================================================================ activation names
@pytest.mark.parametrize("spec", ["leaky_relu(1/10)", "leaky_relu(-1/2)", "relu_power(3/2)", "relu_power(2)",
                                  "power(3)", " leaky_relu( 1 / 10 ) "])
def test_parametrised_names_round_trip(spec):
    net = vf.MLP([3, 4, 1], spec)
    name = net.activations[0].name
    assert f"activations=[{name}]" in repr(net)
    again = vf.MLP([3, 4, 1], name)
    assert again.activations[0] is net.activations[0]
    assert vf.activations.get(name) is net.activations[0]


def test_leaky_relu_string_is_the_catalogue_object():
    assert vf.activations.get("leaky_relu(1/10)") is vf.activations.leaky_relu(Fraction(1, 10))
    net = vf.MLP([3, 4, 1], "leaky_relu(1/10)")
    assert repr(net) == "MLP(widths=[3, 4, 1], activations=[leaky_relu(1/10)], bias=False, p=16)"
    # a decimal numeral in a string is read as the exact decimal it spells (0.1 = 1/10), never as a float
    assert vf.activations.get("leaky_relu(0.1)") is vf.activations.leaky_relu(Fraction(1, 10))


@pytest.mark.parametrize("spec", ["leaky_relu(1/0)", "leaky_relu(1)", "relu(2)", "tanh(1)",
                                  "power(3/2)", "power(0)", "leaky_relu(__import__('os'))", "leaky_relu(1/10",
                                  "leaky_relu(1/10) + 1", "gelu(1)", ("power", 2.5), ("power", True),
                                  ("leaky_relu", True)], ids=str)
def test_bad_activation_names_are_refused(spec):
    with pytest.raises(errors.InputError):
        vf.MLP([3, 4, 1], spec)


# ============================================================================ no builtin exceptions
def test_boundary_hit_is_a_verify_error():
    act = vf.activations.relu()
    a = get_arith("exact")
    with pytest.raises(errors.RegionBoundaryError):
        act(np.array([a.const(Fraction(0))], dtype=object), a, order=1)


@pytest.mark.parametrize("depth", [2, 3])
def test_neuron_pursuit_runs_on_integer_data_with_exact_zero_pre_activations(depth):
    """Issue 11: neuron_pursuit crashed on real (digits-like) integer data, because a pre-activation of
    exactly 0.0 raised RegionBoundaryError in float arithmetic."""
    from verify.homogeneous.pursuit import neuron_pursuit

    rng = np.random.default_rng(1)
    X = rng.integers(0, 3, size=(12, 6))
    X[:, 0] = 0  # a constant-zero pixel, as in the digits data
    y = np.where(rng.random(12) > 0.5, 1, -1)
    res = neuron_pursuit(vf.Dataset(X, y), "relu", depth, max_neurons=3, restarts=2, ncf_steps=50, inner_steps=200)
    assert res is not None


# ============================================================================ sympy Floats are exact binary numbers
def _q(f) -> Fraction:
    """The exact value of a Python float or sympy Float, independently of the code under test."""
    if isinstance(f, sp.Float):
        s, m, e, _ = f._mpf_
        return (-1) ** s * m * Fraction(2) ** e
    return Fraction(f)


def test_float_coefficients_are_differentiated_exactly_finding_01():
    """Adversary finding 01: L = 0.1·x³ − 0.30000000000000004·x (sympy Floats). As exact binary numbers
    L'(1) = 3c − d = −2⁻⁵⁵ ≠ 0; sympy's own d/dx gives 0.3·x² with 0.3 rounded (= d), i.e. L'(1) = 0, and
    stability.gd PROVED x = 1 stable ("∇L = 0 exactly")."""
    c, d = sp.Float(0.1), sp.Float(0.30000000000000004)
    obj = vf.Objective.from_sympy(c * x**3 - d * x, [x])
    assert not obj.expr.has(sp.Float)
    g = obj.grad([1], "exact")[0]
    assert Fraction(int(g.p), int(g.q)) == 3 * _q(0.1) - _q(0.30000000000000004) == Fraction(-1, 2**55)
    assert vf.stability.gd(obj, [1], Fraction(1, 10)).verdict == vf.Verdict.REFUTED
    lo, hi = vf.arith.decide.bounds(obj.grad([1], "ball", 128)[0])
    assert lo <= Fraction(-1, 2**55) <= hi


def test_high_precision_float_coefficients_finding_07():
    """Adversary finding 07: with c = Float(0.1) and C = Float(3c, 60 digits) (exactly 3c), L is exactly
    (x+y)²/2 + c(x−y)³, whose Hessian has the constant eigenvalue 2: det(I − ½∇²L) ≡ 0. The rounded sympy
    derivative lost it and check_nonsingular PROVED non-singularity at η = 1/2."""
    c = sp.Float(0.1)
    C = sp.Float(sp.Rational(3) * sp.Rational(c), 60)
    assert _q(C) == 3 * _q(0.1)  # the 60-digit Float holds 3c exactly
    L = (x + y) ** 2 / 2 + c * x**3 - C * x**2 * y + C * x * y**2 - c * y**3
    obj = vf.Objective.from_sympy(L, [x, y])
    for pt in ([1, 0], [Fraction(3, 7), Fraction(-5, 2)], [0.1, 2.5]):
        H = obj.hessian(pt, "exact")
        a, b, d = (Fraction(int(v.p), int(v.q)) for v in (H[0, 0], H[0, 1], H[1, 1]))
        assert (1 - a / 2) * (1 - d / 2) - (b / 2) ** 2 == 0  # det(I − H/2) = 0 exactly
    assert vf.gdmap.check_nonsingular(obj, Fraction(1, 2), regions=[[1, 0]]).verdict == vf.Verdict.REFUTED


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6), min_size=4,
                max_size=4),
       st.integers(15, 80), st.fractions(min_value=-10, max_value=10, max_denominator=50))
def test_float_polynomial_derivatives_are_exact(coeffs, dps, t):
    """L = Σ Float(a_k, dps) x^k: value, gradient and Hessian in exact arithmetic are those of the
    polynomial with the exact binary coefficients, whatever the Float's precision."""
    fl = [sp.Float(a, dps) for a in coeffs]
    obj = vf.Objective.from_sympy(sum(f * x**k for k, f in enumerate(fl)), [x])
    a = [_q(f) for f in fl]
    assert a == [Fraction(v) for v in coeffs]
    val = sum(ak * t**k for k, ak in enumerate(a))
    d1 = sum(k * ak * t ** (k - 1) for k, ak in enumerate(a) if k >= 1)
    d2 = sum(k * (k - 1) * ak * t ** (k - 2) for k, ak in enumerate(a) if k >= 2)
    got = [obj.value([t], "exact"), obj.grad([t], "exact")[0], obj.hessian([t], "exact")[0, 0]]
    assert [Fraction(int(v.p), int(v.q)) for v in got] == [val, d1, d2]


def test_float_value_is_the_exact_binary_value_at_any_precision():
    from verify.arith.compile import exact_floats, float_value

    for f in (sp.Float(0.1), sp.Float(3 * 0.1, 60), sp.Float("0.1", 200), sp.Float("-1e-400", 100),
              sp.Float("3e400", 40), sp.Float(0), sp.Float(-2.5)):
        assert float_value(f) == sp.Rational(f)
        s, m, e, _ = f._mpf_
        assert Fraction(int(float_value(f).p), int(float_value(f).q)) == (-1) ** s * m * Fraction(2) ** e
    e = exact_floats(sp.Piecewise((sp.Float(0.1) * x, x < sp.Float(0.5)), (x ** sp.Float(2.0), True)))
    assert not e.has(sp.Float) and e == sp.Piecewise((sp.Rational(0.1) * x, x < sp.Rational(1, 2)), (x**2, True))


def test_float_activation_pieces_and_breakpoints_are_exact():
    """Activation.from_piecewise reads Floats as exact binary values, in pieces and conditions (a Float
    breakpoint used to be refused as 'not rational'; a Float piece was differentiated with rounding)."""
    c = sp.Float(0.1)
    act = vf.Activation.from_piecewise(sp.Piecewise((c * Z**3, Z < sp.Float(0.5)), (Z, True)), Z, "pw")
    assert act.breakpoints == (sp.Rational(1, 2),)
    assert act.derivative(1, 0) == 3 * sp.Rational(c) * Z**2  # not 0.3*z**2 with 0.3 rounded
    smooth = vf.Activation.from_piecewise(c * Z**3 + Z, Z, "cubic")
    loss = vf.SquareLoss(vf.MLP([1, 1, 1], smooth, bias=False), vf.Dataset([[1]], [0]))
    w1, w2 = sp.symbols("w1 w2")
    Lq = (w2 * (_q(0.1) * w1**3 + w1)) ** 2  # exact: one data point, mean = sum
    g = loss.grad([1, 1], "exact")
    want = [sp.diff(Lq, w).subs({w1: 1, w2: 1}) for w in (w1, w2)]
    assert [sp.Rational(int(v.p), int(v.q)) for v in g] == want
    assert not loss.on_region(loss.region([1, 1])).has(sp.Float)


def test_float_piecewise_objective_regions_are_exact():
    obj = vf.Objective.from_sympy(sp.Piecewise((sp.Float(0.1) * x**3, x > sp.Float(0.25)), (x**2, True)), [x])
    assert obj.on_region((0,)) == sp.Rational(0.1) * x**3
    assert obj.region([Fraction(1, 4) + Fraction(1, 10**30)]) == (0,)
    assert obj.region([Fraction(1, 4) - Fraction(1, 10**30)]) == (1,)


def test_activations_built_directly_with_floats_are_refused():
    with pytest.raises(errors.InputError, match="from_piecewise"):
        vf.Activation(name="f", piecewise=sp.Float(0.1) * Z**3, breakpoints=(), pieces=(sp.Float(0.1) * Z**3,),
                      at_breakpoints=(), continuity=())


# ============================================================================ symbol assumptions
ASSUMPTIONS = [dict(positive=True), dict(integer=True), dict(nonnegative=True), dict(nonzero=True),
               dict(negative=True, real=True), dict(finite=True), dict(complex=True), dict(extended_real=True),
               dict(rational=True)]


@pytest.mark.parametrize("kw", ASSUMPTIONS, ids=str)
def test_symbols_with_assumptions_are_refused(kw):
    """Finding 10: sympy simplifies under assumptions (Abs(x) → x for positive x, sin(πn) → 0 for integer
    n), so the stored expression is another function where the assumption fails."""
    s = sp.Symbol("s", **kw)
    with pytest.raises(errors.InputError, match="plain symbols"):
        vf.Objective.from_sympy(s**2 + 1, [s])
    with pytest.raises(errors.InputError, match="plain symbols"):
        vf.Activation.from_piecewise(sp.Piecewise((0, s < 0), (s**2, True)), s, "a")


def test_non_commutative_symbols_are_refused():
    s = sp.Symbol("s", commutative=False)
    with pytest.raises(errors.InputError, match="plain symbols"):
        vf.Objective.from_sympy(s**2 + 1, [s])


def test_assumption_rewrites_of_finding_10_are_refused():
    xp = sp.Symbol("x", positive=True)
    n = sp.Symbol("n", integer=True)
    with pytest.raises(errors.InputError, match="positive"):
        vf.Objective.from_sympy(sp.Abs(xp) + xp**2, [xp])
    with pytest.raises(errors.InputError, match="integer"):
        vf.Objective.from_sympy((n - sp.Rational(1, 2)) ** 2 + sp.sin(sp.pi * n) ** 2, [n])
    # the same functions on plain/real symbols are evaluated as written
    for v in (sp.Symbol("x", real=True), sp.Dummy("x", real=True), sp.Symbol("x", real=True, finite=True)):
        obj = vf.Objective.from_sympy(sp.Abs(v) + v**2, [v])
        assert obj.value([Fraction(-1, 2)], "exact") == fmpq(3, 4)
        assert vf.stability.gd(obj, [Fraction(-1, 2)], Fraction(1, 10)).verdict == vf.Verdict.REFUTED
    for v in (sp.Symbol("n"), sp.Symbol("n", real=True), sp.Dummy("n")):
        obj = vf.Objective.from_sympy((v - sp.Rational(1, 2)) ** 2 + sp.sin(sp.pi * v) ** 2, [v])
        assert obj.value([Fraction(1, 2)], "ball").contains(1)
        assert vf.stability.gd(obj, [Fraction(1, 2)], Fraction(1, 10)).verdict == vf.Verdict.REFUTED


def test_symbols_outside_the_variables_are_refused():
    xr, xplain = sp.Symbol("x", real=True), sp.Symbol("x")
    with pytest.raises(errors.InputError, match="same name"):
        vf.Objective.from_sympy(xplain**2, [xr])
    with pytest.raises(errors.InputError, match="not among the variables"):
        vf.Objective.from_sympy(x**2 + y, [x])
    with pytest.raises(errors.InputError, match="not among the variables"):
        vf.Objective.from_sympy(sp.Piecewise((x, y > 0), (-x, True)), [x])  # a symbol only in a condition
    # an activation with a foreign symbol in a condition (as_set would read it as a set of z)
    with pytest.raises(errors.InputError, match="depends on"):
        vf.Activation.from_piecewise(sp.Piecewise((0, y < 0), (Z, True)), Z, "a")


# ============================================================================ magnitudes beyond 2**1000
BIG = 10**400


@pytest.mark.parametrize("arith", ["float", "mp", "ball", "exact"])
def test_huge_user_theta_is_an_input_error_in_every_arithmetic(arith):
    """Finding 06: Objective.value([10**400, 1]) raised a bare OverflowError in float."""
    obj = vf.Objective.from_sympy(x**2 / 2 + y**2, [x, y])
    for bad in ([BIG, 1], [Fraction(-BIG, 3), 1], [sp.Integer(BIG), 1], [np.longdouble("1e4000"), 1]):
        if isinstance(bad[0], np.longdouble) and not np.isfinite(bad[0]):
            continue  # platforms whose long double is a double
        with pytest.raises(errors.InputError, match="2\\*\\*1000"):
            obj.value(bad, arith)
        with pytest.raises(errors.InputError):
            obj.grad(bad, arith)
    loss = vf.SquareLoss(vf.MLP([1, 1], "identity"), vf.Dataset([[1]], [0]))
    with pytest.raises(errors.InputError, match="2\\*\\*1000"):
        loss.value([BIG], arith)


def test_the_magnitude_bound_is_exactly_2_to_the_1000():
    from verify.numbers import fraction_array
    from verify.validate import MAX_MAGNITUDE

    M = 2**1000
    assert MAX_MAGNITUDE == M
    obj = vf.Objective.from_sympy(x, [x])
    for ok in (M, -M, Fraction(2 * M + 1, 2) - Fraction(1, 2)):
        q = Fraction(ok)
        assert obj.value([ok], "exact") == fmpq(q.numerator, q.denominator)
        assert fraction_array([ok])[0] == ok
    for bad in (M + 1, -M - 1, Fraction(2 * M + 1, 2), Fraction(M * 3**700 + 1, 3**700)):
        with pytest.raises(errors.InputError):
            obj.value([bad], "exact")
        with pytest.raises(errors.InputError):
            fraction_array([bad])
    with pytest.raises(errors.InputError):
        vf.Dataset([[BIG]], [0])
    with pytest.raises(errors.InputError):
        vf.Dataset([[1]], [-BIG])


def test_values_of_the_arithmetics_own_types_are_not_bounded():
    """Iterates of exact/ball runs can legitimately grow past 2**1000: the arithmetic's own number type
    (fmpq, arb, mpf, float) is taken as it is, and converting an exact value to float overflows to ±inf
    (IEEE), never with an OverflowError."""
    obj = vf.Objective.from_sympy(x**2, [x])
    assert obj.value([fmpq(BIG)], "exact") == fmpq(BIG) ** 2
    assert obj.value([arb(BIG)], "ball").is_finite()
    assert obj.value([mpmath.mpf(10) ** 400], "mp") > 0
    with np.errstate(over="ignore"):
        assert np.isinf(obj.value([1e305], "float"))  # a float input is a float: IEEE overflow, no refusal
    ex = get_arith("exact")
    assert ex.to_float(fmpq(BIG)) == np.inf and ex.to_float(fmpq(-BIG, 7)) == -np.inf
    assert list(ex.to_float(np.array([fmpq(BIG), fmpq(1, 2)], dtype=object))) == [np.inf, 0.5]
    # a 330-step exact GD on x² with η = 5 (θ_k = (−9)^k) runs past 2**1000 without an error
    traj = vf.convergence.gd(obj, [1], 5, 330, arith="exact")
    assert traj.thetas[-1][0] == fmpq((-9) ** 330)
    assert np.isinf(traj.thetas_float[-1][0])


def test_float_conversion_of_a_huge_constant_is_an_input_error():
    obj = vf.Objective.from_sympy(x**2 + sp.Integer(BIG), [x])
    with pytest.raises(errors.InputError, match="float64 range"):
        obj.value([1], "float")
    assert obj.value([1], "exact") == fmpq(BIG + 1)
    with pytest.raises(errors.InputError, match="float64 range"):
        get_arith("float").from_fractions(np.array([Fraction(BIG)], dtype=object))
    with pytest.raises(errors.InputError):
        get_arith("float").from_input(fmpq(BIG))


# ============================================================================ ragged θ
def test_ragged_theta_is_a_shape_error_finding_08():
    from verify.numbers import shape_of

    net = vf.MLP([2, 2, 1], "relu")
    loss = vf.SquareLoss(net, vf.Dataset([[1, 0]], [1]))
    rag = [[1], 1, 1, 1, 1, 1]
    for f in (lambda: net.check_theta_shape(rag), lambda: net.views(rag), lambda: net.symbolic(theta=rag),
              lambda: net.symbolic(x=[[1], 1]), lambda: net.flatten({"W1": [[1], [1, 2]], "W2": [[1, 1]]}),
              lambda: loss.value(rag), lambda: loss.grad(rag, "exact"), lambda: loss.hvp([1] * 6, rag),
              lambda: shape_of([[1], 1])):
        with pytest.raises(errors.ShapeError):
            f()
    from verify.homogeneous import identities

    with pytest.raises(errors.ShapeError):
        identities.check_euler_identity(net, [[1, 0], [0, 1]], rag)
