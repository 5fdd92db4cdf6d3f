"""float, mp and ball agree with the exact sympy model on random small networks of every catalogue
activation; balls enclose the exact value and the mp value at 4x the precision; exact arithmetic equals
sympy exactly (``docs/arithmetics.md``; ``docs/theory/validated_numerics.md`` §1)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, note, settings
from hypothesis import strategies as st

import verify as vf
from verify.arith.ball import contains
from verify.numbers import to_fraction

from .reference import SympyReference, floats
from .strategies import CATALOGUE_SPECS, POLYNOMIAL_SPECS, network_losses, rationals


def _close(a, b, rel):
    a, b = floats(a), floats(b)
    scale = 1.0 + np.abs(b).max() if b.size else 1.0
    assert np.abs(a - b).max() <= rel * scale, (a, b)


def _encloses(ball_values, ref_exact, ref_numeric):
    """Every ball contains the reference (the exact rational when sympy's value is rational)."""
    for bv, ex, nu in zip(np.asarray(ball_values, dtype=object).reshape(-1), ref_exact, ref_numeric):
        ex = sp.nsimplify(ex) if not isinstance(ex, sp.Basic) else ex
        if ex.is_Rational:
            target = Fraction(int(ex.p), int(ex.q))
        else:
            target = to_fraction(sp.Float(nu, 60))
        assert contains(bv, target), (bv, ex)


def _flat(H):
    return [e for row in H for e in row]


@given(network_losses(), st.data())
def test_float_mp_ball_agree_with_sympy(case, data):
    loss, theta = case
    note(f"{loss.net!r} {type(loss).__name__} X={loss.data.X_exact.tolist()} Y={loss.data.Y_exact.tolist()}")
    ref = SympyReference(loss)
    v_ex, g_ex, H_ex = ex = ref.exact(theta)
    v, g, H = ref.numeric(theta, exact=ex)
    direction = [data.draw(rationals()) for _ in range(loss.n_params)]
    hv_ref = [sum(sp.Float(H[i][j], 60) * sp.Rational(direction[j].numerator, direction[j].denominator)
                  for j in range(loss.n_params)) for i in range(loss.n_params)]
    # float64
    _close(loss.value(theta), [v], 1e-9)
    _close(loss.grad(theta), g, 1e-9)
    _close(loss.hessian(theta), H, 1e-9)
    _close(loss.hvp(theta, direction), hv_ref, 1e-9)
    # mpmath at 128 bits
    _close(loss.value(theta, "mp", 128), [v], 1e-30)
    _close(loss.grad(theta, "mp", 128), g, 1e-30)
    _close(loss.hessian(theta, "mp", 128), H, 1e-30)
    _close(loss.hvp(theta, direction, "mp", 128), hv_ref, 1e-30)
    # balls at 128 bits: enclosures of the exact values
    note("value")
    _encloses([loss.value(theta, "ball", 128)], [v_ex], [v])
    note("grad")
    _encloses(loss.grad(theta, "ball", 128), g_ex, g)
    note("hessian")
    _encloses(loss.hessian(theta, "ball", 128), _flat(H_ex), _flat(H))
    hv_ball = loss.hvp(theta, direction, "ball", 128)
    for b, r in zip(hv_ball, hv_ref):
        assert abs(float(b.mid()) - float(r)) <= 1e-25 * (1 + abs(float(r)))
        assert float(b.rad()) < 1e-25 * (1 + abs(float(r)))


@given(network_losses(specs=POLYNOMIAL_SPECS))
def test_exact_equals_sympy_exactly(case):
    loss, theta = case
    if isinstance(loss, vf.LogisticLoss):
        with pytest.raises(vf.errors.ArithmeticNotSupportedError):
            loss.value(theta, "exact")
        return
    v, g, H = SympyReference(loss).exact(theta)
    q = lambda x: Fraction(int(x.p), int(x.q))  # noqa: E731  (fmpq or sympy Rational)
    assert q(loss.value(theta, "exact")) == q(sp.Rational(v))
    assert [q(x) for x in loss.grad(theta, "exact")] == [q(sp.Rational(x)) for x in g]
    assert [q(x) for x in loss.hessian(theta, "exact").reshape(-1)] == [q(sp.Rational(x)) for x in _flat(H)]


@given(network_losses(), st.sampled_from([24, 53, 100]))
def test_ball_encloses_mp_at_four_times_the_precision(case, prec):
    loss, theta = case
    for what in ("value", "grad", "hessian"):
        b = np.asarray(getattr(loss, what)(theta, "ball", prec), dtype=object).reshape(-1)
        m = np.asarray(getattr(loss, what)(theta, "mp", 4 * prec), dtype=object).reshape(-1)
        for bb, mm in zip(b, m):
            assert contains(bb, mm), (what, bb, mm)


@given(network_losses(logistic=False))
def test_jacobian_and_residuals(case):
    loss, theta = case
    r = floats(loss.residuals(theta))
    J = floats(loss.jacobian(theta))
    assert J.shape == (loss.data.n * loss.data.k, loss.n_params)
    # the gradient of the square loss is scale · 2 Jᵀ r
    _close(loss.grad(theta), 2 * float(loss.scale) * J.T @ r, 1e-9)
    Jb = loss.jacobian(theta, "ball", 128)
    _close([b.mid() for b in Jb.reshape(-1)], J.reshape(-1), 1e-12)


@settings(max_examples=10)
@given(network_losses(max_hidden_layers=2))
def test_agreement_deep_networks_value_and_gradient(case):
    loss, theta = case
    note(f"{loss.net!r} {type(loss).__name__} X={loss.data.X_exact.tolist()} Y={loss.data.Y_exact.tolist()}")
    ref = SympyReference(loss, hessian=False)
    v_ex, g_ex, _ = ex = ref.exact(theta)
    v, g, _ = ref.numeric(theta, exact=ex)
    _close(loss.grad(theta), g, 1e-9)
    _close(loss.grad(theta, "mp", 128), g, 1e-30)
    _encloses(loss.grad(theta, "ball", 128), g_ex, g)
    _encloses([loss.value(theta, "ball", 128)], [v_ex], [v])


@pytest.mark.slow
@settings(max_examples=25)
@given(network_losses(max_width=3, max_hidden_layers=1))
def test_agreement_larger_networks(case):
    """Wider layers, Hessian included (deep networks: see the test above; sympy's derivatives of
    nested 3-piece Piecewise expressions take tens of seconds beyond that)."""
    loss, theta = case
    ref = SympyReference(loss)
    v_ex, g_ex, H_ex = ex = ref.exact(theta)
    v, g, H = ref.numeric(theta, exact=ex)
    _close(loss.hessian(theta), H, 1e-9)
    _encloses(loss.hessian(theta, "ball", 160), _flat(H_ex), _flat(H))
    _close(loss.grad(theta), g, 1e-9)
    _close(loss.grad(theta, "mp", 160), g, 1e-40)
    _encloses(loss.grad(theta, "ball", 160), g_ex, g)
    _encloses([loss.value(theta, "ball", 160)], [v_ex], [v])


@pytest.mark.parametrize("spec", CATALOGUE_SPECS)
def test_every_catalogue_activation_matches_its_sympy_definition(spec):
    act = vf.activations.get(spec)
    zs = [Fraction(k, 7) for k in range(-15, 16) if Fraction(k, 7) not in act.breakpoints]
    a_ball, a_mp = vf.get_arith("ball", 128), vf.get_arith("mp", 128)
    for z in zs:
        zs_ = sp.Rational(z.numerator, z.denominator)
        zsym = sp.Symbol("z", real=True)
        sym = act.sympy(zsym)
        exact = [sym.subs(zsym, zs_)] + [sp.diff(sym, zsym, k).subs(zsym, zs_) for k in (1, 2)]
        with a_ball.context():
            balls = act(a_ball.array([z]), a_ball, order=2)
        with a_mp.context():
            mps = act(a_mp.array([z]), a_mp, order=2)
        floats_ = act(np.array([float(z)]), vf.get_arith("float"), order=2)
        for k in range(3):
            val = sp.N(exact[k], 50)
            assert abs(float(floats_[k][0]) - float(val)) <= 1e-12 * (1 + abs(float(val)))
            err = abs(to_fraction(mps[k][0]) - to_fraction(val))
            assert err <= Fraction(1, 2**110) * (1 + abs(to_fraction(val)))
            target = to_fraction(exact[k]) if exact[k].is_Rational else to_fraction(val)
            assert contains(balls[k][0], target)


@given(network_losses(), st.data())
def test_box_enclosures_hold_for_every_point_of_the_box(case, data):
    """θ given as balls (a box): value/grad/Hessian enclose the values at points sampled in the box."""
    from verify.errors import RegionBoundaryError

    loss, theta = case
    radius = Fraction(1, 1000)
    box = [_ball(t, radius) for t in theta]
    points = [[t + radius * data.draw(st.integers(-4, 4)) / 4 for t in theta] for _ in range(3)]
    for what in ("value", "grad", "hessian"):
        try:
            enc = np.asarray(getattr(loss, what)(box, "ball", 128), dtype=object).reshape(-1)
        except RegionBoundaryError:
            assert what != "value" or not all(a.smoothness >= 0 for a in loss.net.activations)
            continue
        for pt in points:
            try:
                vals = np.asarray(getattr(loss, what)(pt, "mp", 256), dtype=object).reshape(-1)
            except RegionBoundaryError:
                continue  # the sampled point is on a kink: the derivative does not exist there
            for e, v in zip(enc, vals):
                assert contains(e, v), (what, e, v)


def _ball(center: Fraction, radius: Fraction):
    """A ball certainly containing [center − radius, center + radius]."""
    from flint import arb, ctx, fmpq

    saved = ctx.prec
    ctx.prec = 256
    try:
        return arb(fmpq(center.numerator, center.denominator)).union(
            arb(fmpq(center.numerator, center.denominator)) + arb(fmpq(radius.numerator, radius.denominator))
        ).union(arb(fmpq(center.numerator, center.denominator)) - arb(fmpq(radius.numerator, radius.denominator)))
    finally:
        ctx.prec = saved
