"""Soundness of the GD-map certificates (issue 11, items 5 and 7, and the GD-map robustness items).

* A pattern is not a region: a user ``Piecewise`` condition such as ``x**2 > 1`` has two components
  with one pattern, and ``sqrt(x**2)`` is x on one and −x on the other. A verdict may only cover a
  set certified connected and analytic (``verify.gdmap.regions``).
* A PROVED over nothing (every sample on a boundary; no point given) is INCONCLUSIVE.
* Every PROVED states its scope; every decision goes through ``verify.arith.decide``.
* Bad arguments are refused with a ``verify.errors`` exception before any work.

Each regression test below fails on the code before the fix (commit a4445b9).
"""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pytest
import sympy as sp
from flint import arb
from hypothesis import given, note, settings
from hypothesis import strategies as st

import verify as vf
from verify import gdmap
from verify.errors import InputError, PrecisionError, RegionBoundaryError, VerifyError
from verify.gdmap import regions as R
from verify.result import Verdict

x = sp.Symbol("x")
XR = sp.Symbol("x", real=True)
DATA = vf.Dataset([[1, 2], [F(1, 3), -1], [2, 1]], [1, 0, F(1, 2)])
ALIVE = [1, F(1, 2), -1, F(1, 3), F(1, 5), -F(1, 7), F(3, 2), -1, F(1, 3)]


def item5(var=x, cut=1):
    """L = ((x + sqrt(x²))/2)² on x² > cut (x² on x > √cut, 0 on x < −√cut), x²/2 inside."""
    return vf.Objective.from_sympy(sp.Piecewise(((var + sp.sqrt(var**2)) ** 2 / 4, var**2 > cut), (var**2 / 2, True)),
                                   [var])


def relu_bias_loss():
    return vf.SquareLoss(vf.MLP([2, 2, 1], "relu", bias=True), DATA)


def _sound(res, truth: bool, what: str):
    """A certified verdict must be the true one (INCONCLUSIVE is always allowed)."""
    if res.verdict == Verdict.PROVED:
        assert truth, f"false PROVED: {what}: {res.message}"
    if res.verdict == Verdict.REFUTED:
        assert not truth, f"false REFUTED: {what}: {res.message}"


# ------------------------------------------------------------------------------ item 5
def test_item5_two_components_of_one_pattern_are_not_merged():
    """Issue item 5: G ≡ 0 on x > 1 at η = 1/2 (L = x² there); the old code merged [−2] and [2] and PROVED."""
    res = gdmap.check_nonsingular(item5(), F(1, 2), regions=[[-2], [2]])
    assert res.verdict != Verdict.PROVED, res.message
    regs = res.certificate["regions"]
    assert len(regs) == 2 and all(r["scope"] == R.COMPONENT for r in regs)
    assert [r["certified"] for r in regs] == [True, False]


def test_item5_each_component_on_its_own():
    assert gdmap.check_nonsingular(item5(), F(1, 2), regions=[[2]]).verdict != Verdict.PROVED
    res = gdmap.check_nonsingular(item5(), F(1, 2), regions=[[-2], [-3]])
    # x < −1: L ≡ 0, G = id: non-singular on that component — and [−2], [−3] are certified to share it
    assert res.verdict == Verdict.PROVED
    assert res.scope["count"] == 1 and res.scope["regions"][0]["scope"] == R.COMPONENT
    assert "connected analytic piece" in res.scope["what"]
    assert res.certificate["regions"][0]["points"] == 2


def test_item5_without_piecewise_the_pattern_is_empty_but_still_not_one_region():
    """(x + sqrt(x²))²/4 has no Piecewise at all: every point has the pattern (), yet it is x² on x > 0
    and 0 on x < 0 (not analytic at 0)."""
    obj = vf.Objective.from_sympy((x + sp.sqrt(x**2)) ** 2 / 4, [x])
    assert gdmap.check_nonsingular(obj, F(1, 2), regions=[[-2], [2]]).verdict != Verdict.PROVED
    # one pattern, one condition-free set, but x = 0 is not inside an analytic piece
    res = gdmap.check_nonsingular(obj, F(1, 3), regions=[[0]])
    assert res.verdict == Verdict.INCONCLUSIVE
    assert res.certificate["points_not_in_analytic_piece"] == 1


def test_item5_one_connected_pattern_that_is_not_analytic_inside():
    """Pattern x² < 4 is connected, but sqrt(x²) is not analytic at 0 inside it: G ≡ 0 on (0, 2) at η = 1/2."""
    obj = vf.Objective.from_sympy(sp.Piecewise(((x + sp.sqrt(x**2)) ** 2 / 4, x**2 < 4), (x**2, True)), [x])
    res = gdmap.check_nonsingular(obj, F(1, 2), regions=[[-1], [1]])
    assert res.verdict != Verdict.PROVED, res.message
    assert not R.same_piece(obj, obj.region([-1]), np.array([F(-1)], dtype=object), np.array([F(1)], dtype=object))


def test_item5_real_symbol_version_is_refuted_exactly():
    """With a real symbol sqrt(x²) is Abs(x) (a nested Piecewise): the pieces are polynomials, the x > 1 region
    is L = x², and η = 1/2 is certified exceptional there."""
    res = gdmap.check_nonsingular(item5(XR), F(1, 2), regions=[[-2], [2]])
    assert res.verdict == Verdict.REFUTED and res.counterexample["point"] == [F(2)]
    ex = gdmap.exceptional_step_sizes(item5(XR), [2])
    assert ex.complete and [str(e) for e in ex.etas] == ["1/2"] and ex.scope == R.PATTERN


def test_exceptional_set_uses_only_points_of_the_same_component():
    """Old code: random points of the 'region' of θ = 1/500 included points of the other component x < −1/1000
    (same pattern), the eigenvalue enclosures there (0) and here (2) did not intersect, and it PROVED 'no
    exceptional step size in (1/10, 2)' — but η = 1/2 is exceptional on x > 1/1000 (L = x²)."""
    obj = item5(cut=F(1, 10**6))
    ex = gdmap.exceptional_step_sizes(obj, [F(2, 1000)], eta_range=(F(1, 10), 2))
    assert ex.result.verdict != Verdict.PROVED, ex.result.message
    assert ex.contains(F(1, 2)) is None
    assert ex.scope == R.COMPONENT
    rng = np.random.default_rng(0)
    for pt in R.random_region_points(obj, [F(2, 1000)], 6, rng):
        assert pt[0] > F(1, 1000)


def test_scan_step_sizes_keeps_components_apart():
    res = gdmap.scan_step_sizes(item5(), (F(1, 10), 2), [[-2], [2], [-3], [F(1, 2)]])
    kinds = [(r["point"], r["scope"]) for r in res.certificate["regions"]]
    assert kinds == [([F(-2)], R.COMPONENT), ([F(2)], R.COMPONENT), ([F(1, 2)], R.PATTERN)]
    assert res.verdict != Verdict.PROVED  # η = 1/2 on x > 1 can be bracketed, not certified, by Arb enclosures


def test_polynomial_patterns_with_several_components_are_still_merged():
    """L = c·x²/2 − (c−1)/2 on x² > 1: one polynomial on all of R (pattern scope), so [−2] and [2] share a verdict."""
    obj = vf.Objective.from_sympy(sp.Piecewise((3 * x**2 / 2 - 1, x**2 > 1), (x**2 / 2, True)), [x])
    res = gdmap.check_nonsingular(obj, F(1, 2), regions=[[-2], [2], [0]])
    assert res.verdict == Verdict.PROVED and res.scope["count"] == 2
    assert {r["scope"] for r in res.scope["regions"]} == {R.PATTERN}
    assert gdmap.check_nonsingular(obj, F(1, 3), regions=[[-2], [2]]).verdict == Verdict.REFUTED


@settings(max_examples=25)
@given(st.integers(-3, 3), st.integers(-3, 3), st.sampled_from(["plus", "minus", "one", "other"]))
def test_piecewise_with_components_that_differ(a, b, which):
    """L = (a x + b sqrt(x²))²/2 on x² > 1, x²/2 inside: Hessian (a+b)² on x > 1, (a−b)² on x < −1, 1 inside.
    G_η is non-singular on all three pieces iff η·(a+b)², η·(a−b)², η all differ from 1."""
    obj = vf.Objective.from_sympy(sp.Piecewise(((a * x + b * sp.sqrt(x**2)) ** 2 / 2, x**2 > 1), (x**2 / 2, True)),
                                  [x])
    hp, hm = (a + b) ** 2, (a - b) ** 2
    eta = {"plus": F(1, hp) if hp else F(1, 3), "minus": F(1, hm) if hm else F(1, 3), "one": F(1),
           "other": F(2, 7)}[which]
    truth = all(eta * h != 1 for h in (hp, hm, 1))
    res = gdmap.check_nonsingular(obj, eta, regions=[[-2], [2], [0], [3], [-F(5, 2)]])
    note(f"a={a}, b={b}, η={eta}: {res.verdict} {res.message}")
    _sound(res, truth, f"a={a}, b={b}, η={eta}")
    if truth:
        assert res.verdict == Verdict.PROVED  # every piece has a point with det ≠ 0


# ------------------------------------------------------------------------------ analytic pieces
def _ball(mid, rad):
    from verify.arith.decide import to_arb

    return to_arb((F(mid) - F(rad), F(mid) + F(rad)))


def test_analytic_on_box_certifies_conditions_and_singular_arguments():
    arb = _ball  # noqa: N806 (a box [mid − rad, mid + rad] with rational ends)
    obj = item5()
    pat = obj.region([2])
    assert R.analytic_on_box(obj, [arb(3, F(1, 2))], pat)
    assert not R.analytic_on_box(obj, [arb(1, F(1, 2))], pat)  # straddles x² = 1
    o2 = vf.Objective.from_sympy((x + sp.sqrt(x**2)) ** 2 / 4, [x])
    assert R.analytic_on_box(o2, [arb(F(1, 2), F(1, 4))], ())
    assert not R.analytic_on_box(o2, [arb(0, F(1, 4))], ())  # sqrt(x²) at 0
    o3 = vf.Objective.from_sympy(sp.log(x) + 1 / (x - 2) + sp.tan(x), [x])
    assert R.analytic_on_box(o3, [arb(1, F(1, 4))], ())
    assert not R.analytic_on_box(o3, [arb(2, F(1, 4))], ())  # pole of 1/(x − 2)
    assert not R.analytic_on_box(o3, [arb(F(3, 2), F(1, 4))], ())  # pole of tan at π/2


def test_globally_analytic_is_a_safe_syntactic_test():
    z = sp.Symbol("z", real=True)
    assert R.globally_analytic(1 / (1 + sp.exp(-z))) and R.globally_analytic(sp.log(1 + sp.exp(z)))
    assert R.globally_analytic(sp.tanh(z) ** 2 + z**7) and R.globally_analytic((z**2 + 1) ** F(1, 2))
    for bad in (sp.sqrt(z**2), z ** sp.Rational(3, 2), 1 / z, sp.log(z), sp.tan(z), 1 / (1 - sp.exp(z)),
                sp.log(z**2)):
        assert not R.globally_analytic(bad), bad


def test_networks_with_non_analytic_pieces_use_component_scope():
    net = vf.MLP([2, 2, 1], ("relu_power", F(3, 2)), bias=True)
    loss = vf.SquareLoss(net, DATA)
    assert not R.pattern_is_global(loss, loss.region(ALIVE))
    assert R.pattern_is_global(relu_bias_loss(), relu_bias_loss().region(ALIVE))
    res = gdmap.check_nonsingular(loss, F(1, 3), regions=[ALIVE])
    assert res.verdict == Verdict.PROVED and res.scope["regions"][0]["scope"] == R.COMPONENT


def test_an_activation_with_a_pole_inside_its_piece_is_never_used_for_a_region():
    """z² + 1/z on z ≥ −5 breaks the activation contract (analytic on each open piece): the loss is not analytic
    across z = 0 inside one pattern, so no point may certify a region."""
    from verify.models.activation import Activation, Z

    act = Activation.from_piecewise(sp.Piecewise((0, Z < -5), (Z**2 + 1 / Z, True)), Z, "pole")
    loss = vf.SquareLoss(vf.MLP([2, 2, 1], act, bias=True), DATA)
    assert not R.network_pieces_analytic(loss)
    res = gdmap.check_nonsingular(loss, F(1, 3), regions=[ALIVE])
    assert res.verdict == Verdict.INCONCLUSIVE and "analytic piece" in res.message


def test_analytic_on_interval_decides_exactly():
    from verify.models.activation import Z

    assert R.analytic_on_interval(Z ** sp.Rational(3, 2), Z, F(0), None)
    assert not R.analytic_on_interval(Z ** sp.Rational(3, 2), Z, F(-1), None)
    assert R.analytic_on_interval(1 / Z, Z, F(0), None) and not R.analytic_on_interval(1 / Z, Z, F(-1), F(1))
    assert R.analytic_on_interval(sp.log(1 + Z), Z, F(-1), None) and not R.analytic_on_interval(sp.log(1 + Z), Z,
                                                                                                 F(-2), None)
    assert not R.analytic_on_interval(1 / (Z**2 - F(1, 10**40)), Z, F(0), F(1))  # a root at 10⁻²⁰ inside


# ------------------------------------------------------------------------------ item 7
def test_item7_every_sample_on_a_boundary_is_inconclusive():
    """Issue item 7: with input [0, 0] and no bias every pre-activation is exactly 0 — no region exists to examine."""
    loss = vf.SquareLoss(vf.MLP([2, 2, 1], "relu"), vf.Dataset([[0, 0]], [1]))
    res = gdmap.check_nonsingular(loss, F(1, 3), samples=20)
    assert res.verdict == Verdict.INCONCLUSIVE
    assert "no region was examined" in res.message
    assert res.certificate["skipped_boundary_points"] == 20


def test_item7_scan_with_no_points_is_inconclusive():
    obj = vf.Objective.from_sympy(x**2, [x])
    res = gdmap.scan_step_sizes(obj, (0, 1), [])
    assert res.verdict == Verdict.INCONCLUSIVE and "no point" in res.message


def test_every_proved_states_its_scope():
    loss = relu_bias_loss()
    res = gdmap.check_nonsingular(loss, F(1, 3), regions=[ALIVE], samples=6, seed=1)
    assert res.verdict == Verdict.PROVED
    sc = res.scope
    assert sc["count"] == len(res.certificate["regions"]) == len(sc["regions"]) >= 1
    assert "activation region" in sc["what"] and sc["eta"] == F(1, 3) and sc["steps"] == 1
    assert sc["points"]["given"] == 1 and sc["points"]["sampled"] == 6
    assert sc["regions"][0]["point"] == [F(v) for v in ALIVE]
    scan = gdmap.scan_step_sizes(loss, (F(1, 10), 10), [ALIVE])
    assert scan.verdict == Verdict.PROVED and scan.scope["count"] == 1 and scan.scope["eta_range"] == [F(1, 10), 10]
    ex = gdmap.exceptional_step_sizes(loss, ALIVE)
    assert ex.result.scope["count"] == 1 and "activation pattern" in ex.result.scope["what"]
    # the REFUTED names its counterexample region
    ref = gdmap.check_nonsingular(loss, F(1, 2), regions=[[-1, -1, -1, -1, -5, -5, 1, 1, F(1, 3)]])
    assert ref.verdict == Verdict.REFUTED and ref.scope["count"] == 1


# ------------------------------------------------------------------------------ decisions via the kernel
@settings(max_examples=20)
@given(st.integers(1, 9), st.sampled_from([None, 10, 30, 60]), st.sampled_from([-1, 1]))
def test_ball_path_near_an_exceptional_step(lam, k, sgn):
    """L = λx²/2 + tanh(y)² (not polynomial: Arb determinants). det = (1 − ηλ)(1 − η h(y)) ≡ 0 iff η = 1/λ."""
    y = sp.Symbol("y")
    obj = vf.Objective.from_sympy(lam * x**2 / 2 + sp.tanh(y) ** 2, [x, y])
    eta = F(1, lam) if k is None else F(1, lam) + sgn * F(1, 10**k)
    res = gdmap.check_nonsingular(obj, eta, regions=[[0, F(1, 3)]], max_prec=1024)
    _sound(res, eta != F(1, lam), f"λ={lam}, η={eta}")
    if k is not None:
        assert res.verdict == Verdict.PROVED  # 10⁻⁶⁰ is resolved by the precision ladder


def test_a_non_finite_determinant_decides_nothing():
    from verify.gdmap.nonsingular import _nonzero

    assert not _nonzero(arb("nan")) and not _nonzero(_ball(0, 1)) and _nonzero(_ball(1, F(1, 2)))
    assert not _nonzero(arb(0))


def test_ladder_reaches_max_prec():
    from verify.gdmap.nonsingular import _ladder

    assert _ladder(128) == [128] and _ladder(512) == [128, 256, 512] and _ladder(3000)[-1] == 3000


def test_tiny_eigenvalue_whose_isolating_interval_touches_zero():
    """Old code: an isolating interval [0, 10⁻³⁰] of λ ≈ 1.05·10⁻³⁵ gave 1/0 (a bare ZeroDivisionError)."""
    a, b = sp.symbols("a b")
    obj = vf.Objective.from_sympy(sp.Rational(1, 10**35) * a * b + sp.Rational(1, 10**36) * b**2 / 2, [a, b])
    ex = gdmap.exceptional_step_sizes(obj)
    assert ex.complete and len(ex.confirmed) == 1
    lam = (sp.Rational(1, 10**36) + sp.sqrt(sp.Rational(1, 10**72) + sp.Rational(4, 10**70))) / 2
    lo, hi = ex.confirmed[0].enclosure
    assert 0 < lo <= hi and sp.Rational(lo.numerator, lo.denominator) <= 1 / lam <= sp.Rational(hi.numerator,
                                                                                               hi.denominator)


def test_exceptional_eta_is_exact_without_rounding():
    obj = vf.Objective.from_sympy(sp.Rational(3, 7) * x**2, [x])  # λ = 6/7, η = 7/6
    ex = gdmap.exceptional_step_sizes(obj)
    assert ex.etas == [sp.Rational(7, 6)] and ex.contains(F(7, 6)) is True
    assert ex.contains(F(7, 6) + F(1, 10**60)) is False


# ------------------------------------------------------------------------------ robustness
@pytest.fixture
def no_work(monkeypatch):
    """Fail loudly if any determinant is computed (arguments must be refused before any work)."""
    import verify.gdmap.nonsingular as ns

    def boom(*a, **k):
        raise AssertionError("work started before the arguments were validated")

    monkeypatch.setattr(ns, "_det_decides", boom)
    monkeypatch.setattr(ns, "_orbit_points", boom)


@pytest.mark.parametrize("kw", [
    {"scale": float("nan")}, {"scale": 0}, {"scale": -1}, {"scale": "1"}, {"scale": float("inf")},
    {"samples": 1.5}, {"samples": -1}, {"samples": True}, {"steps": 0}, {"steps": 1.5}, {"steps": "2"},
    {"max_prec": 2**40}, {"max_prec": 64}, {"max_prec": 300.0}, {"seed": -1}, {"seed": 0.5},
    {"points_per_region": 1.5}, {"regions": 2.5}, {"regions": "θ"}, {"regions": [[1, 2]]},
    {"batches": [[0.5]]}, {"batches": [[]]}, {"batches": []}, {"batches": [[0, 7]]}, {"batches": "01"},
    {"regions": [[float("nan")] * 9]},
])
def test_check_nonsingular_refuses_bad_arguments_before_any_work(kw, no_work):
    args = {"regions": [ALIVE], **kw}
    with pytest.raises(InputError):
        gdmap.check_nonsingular(relu_bias_loss(), F(1, 3), **args)


def test_precision_errors_are_precision_errors():
    with pytest.raises(PrecisionError):
        gdmap.check_nonsingular(relu_bias_loss(), F(1, 3), regions=[ALIVE], max_prec=2**40)


@pytest.mark.parametrize("eta_range", [(0, 1, 2), (1, 0), (1, 1), (-1, 1), ("x", 1), 5, "0,1", (float("nan"), 1),
                                       (0,)])
def test_eta_range_is_validated(eta_range):
    obj = vf.Objective.from_sympy(x**2, [x])
    with pytest.raises(InputError):
        gdmap.exceptional_step_sizes(obj, eta_range=eta_range)
    with pytest.raises(InputError):
        gdmap.scan_step_sizes(obj, eta_range, [[1]])


@pytest.mark.parametrize("kw", [{"points": 2.5}, {"points": 1}, {"points": True}, {"max_points": 1.5},
                                {"max_points": 3}, {"seed": -1}, {"prec": 2**40}, {"prec": 8}])
def test_exceptional_step_sizes_integers_are_integers(kw):
    obj = vf.Objective.from_sympy(x**2, [x])
    with pytest.raises(InputError):
        gdmap.exceptional_step_sizes(obj, [1], **kw)


def test_scan_step_sizes_validates_points_before_work():
    obj = relu_bias_loss()
    with pytest.raises(InputError):
        gdmap.scan_step_sizes(obj, (0, 1), 2.5)
    with pytest.raises(InputError):
        gdmap.scan_step_sizes(obj, (0, 1), [[1, 2]])
    on_boundary = list(ALIVE)
    on_boundary[4] = -2  # neuron 0 on data point 0: 1·1 + ½·2 − 2 = 0
    with pytest.raises(RegionBoundaryError):
        gdmap.scan_step_sizes(obj, (0, 1), [ALIVE, on_boundary])
    with pytest.raises(InputError):
        gdmap.scan_step_sizes(obj, (0, 1), [ALIVE], points=2.5)


def test_det_polynomial_validates_precision():
    obj = vf.Objective.from_sympy(x**2, [x])
    with pytest.raises(InputError):
        gdmap.det_polynomial(obj, [1], "ball", 2**40)
    with pytest.raises(InputError):
        gdmap.det_polynomial(obj, [1], "ball", 12.5)


def test_errors_are_verify_errors_not_builtins():
    """Nothing in the GD-map API raises a bare ValueError/ZeroDivisionError/TypeError for these inputs."""
    obj = vf.Objective.from_sympy(x**2, [x])
    for call in (lambda: gdmap.check_nonsingular(obj, F(1, 3), regions=[[1]], scale=float("nan")),
                 lambda: gdmap.exceptional_step_sizes(obj, eta_range=(0, 1, 2)),
                 lambda: gdmap.scan_step_sizes(obj, (0, 1, 2), []),
                 lambda: gdmap.check_nonsingular(obj, F(1, 3), regions=[[1]], steps=0)):
        with pytest.raises(VerifyError):
            call()


def test_is_polynomial_objective_sees_through_nested_piecewise():
    assert R.is_polynomial_objective(item5(XR))  # sqrt(x²) → Abs(x) → a nested Piecewise of polynomials
    assert not R.is_polynomial_objective(item5())
    cond_sqrt = vf.Objective.from_sympy(sp.Piecewise((x**2, sp.sqrt(x**2 + 1) > 2), (x, True)), [x])
    assert not R.is_polynomial_objective(cond_sqrt)  # exact arithmetic could not decide the condition
    assert R.piece_expression(item5(XR), item5(XR).region([2])) == XR**2 or sp.expand(
        R.piece_expression(item5(XR), item5(XR).region([2]))) == XR**2


def test_sampling_uses_exact_dyadic_points():
    from verify.gdmap.nonsingular import _sample_points

    pts = _sample_points(np.random.default_rng(0), 3, 4, F(1, 3))
    assert all(isinstance(v, F) and (v * 3 * 2**20).denominator == 1 for p in pts for v in p)
    assert not math.isnan(float(pts[0][0]))


def test_exceptional_step_sizes_refuses_points_outside_analytic_pieces():
    obj = vf.Objective.from_sympy((x + sp.sqrt(x**2)) ** 2 / 4, [x])
    with pytest.raises(InputError):
        gdmap.exceptional_step_sizes(obj)  # no θ: a random point would claim all of R
    with pytest.raises(RegionBoundaryError):
        gdmap.exceptional_step_sizes(obj, [0])
    with pytest.raises(RegionBoundaryError):
        gdmap.scan_step_sizes(obj, (0, 1), [[1], [0]])
    ex = gdmap.exceptional_step_sizes(obj, [-1], eta_range=(F(1, 10), 10))
    assert ex.result.verdict == Verdict.PROVED and ex.scope == R.COMPONENT  # L ≡ 0 on x < 0: no exceptional η
    assert "connected component" in ex.result.scope["what"]
