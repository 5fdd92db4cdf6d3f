"""The certified-decision kernel (verify.arith.decide) and Krawczyk zero certificates (verify.arith.krawczyk)."""

from __future__ import annotations

from fractions import Fraction

import flint
import pytest
import sympy as sp
from flint import arb
from hypothesis import given
from hypothesis import strategies as st

from verify.arith import decide as d
from verify.arith.krawczyk import certify_zero, krawczyk_test
from verify.errors import InputError, PrecisionError, UncertifiedValueError


def test_floats_and_mpf_are_refused():
    import mpmath

    for v in (0.5, mpmath.mpf(1) / 3, sp.Float(0.1), sp.oo, sp.nan, "1/2"):
        with pytest.raises(UncertifiedValueError):
            d.compare(v, Fraction(1, 2))


def test_ball_endpoints_are_exact_not_rounded():
    from verify.arith.ball import _ArbPrec

    e = Fraction(1, 10**30)
    with _ArbPrec(256):
        a, b = arb(2) + arb(fmpq_(e)), arb(2) + arb(fmpq_(2 * e))  # 1e-30 apart: the same double
    assert float(a.upper()) == float(b.upper())
    lo, hi = d.hull_max([a, b])
    assert lo >= d.bounds(b)[0] and hi == d.bounds(b)[1]
    assert d.compare(a, b) == -1


def fmpq_(q: Fraction):
    return flint.fmpq(q.numerator, q.denominator)


def test_overlapping_balls_are_undecided():
    assert d.compare(arb(1) / 3, Fraction(1, 3)) is None
    assert d.decide(arb(1) / 3, "<", Fraction(1, 3)) is None
    assert d.decide(Fraction(1, 3), "<=", Fraction(1, 3)) is True
    assert d.decide(Fraction(1, 3), "<", Fraction(1, 3)) is False
    with pytest.raises(InputError):
        d.decide(1, "≈", 1)


def test_algebraic_numbers_compared_exactly():
    assert d.algebraic_sign(sp.Rational(1, 2)) == 1
    assert d.compare(sp.sqrt(2), sp.sqrt(2)) == 0
    assert d.algebraic_sign(sp.sqrt(2) * sp.sqrt(3) - sp.sqrt(6)) == 0
    assert d.compare(sp.sqrt(2) + 1, sp.sqrt(2)) == 1
    assert d.decide(sp.sqrt(2), "<=", sp.sqrt(2)) is True
    # the Wu–Ma–E threshold of issue 11 item 4: 1 − 1/√5 against a rational 1e-40 above it
    eta = sp.Rational(5527864045000420607181652662537447529119, 10**40)
    assert d.compare(eta, 1 - 1 / sp.sqrt(5)) == 1
    x = sp.Symbol("x")
    r = sp.CRootOf(x**3 - 3 * x + 1, 2)
    assert d.algebraic_sign(r**3 - 3 * r + 1) == 0
    assert d.compare(r, sp.Rational(1532, 1000)) == 1


@pytest.mark.parametrize("prec", [20, 53, 30000])
def test_decisions_do_not_depend_on_the_global_precision(prec):
    saved = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        assert d.compare(sp.Rational(1, 3) + sp.sqrt(2) / 10**30, sp.Rational(1, 3)) == 1
        c = certify_zero(lambda v: [v[0] * v[0] - 2], lambda v: [[2 * v[0]]], [Fraction(3, 2)], prec=128)
        assert c.proved and c.box[0].rad() < 2**-60
    finally:
        flint.ctx.prec = saved


@given(st.fractions(min_value=Fraction(1, 10**60), max_value=10**6))
def test_rational_below_is_strictly_between_zero_and_x(x):
    q = d.rational_below(x)
    assert 0 < q < x


def test_rational_below_refuses_non_positive_bounds():
    with pytest.raises(UncertifiedValueError):
        d.rational_below(Fraction(0))
    with pytest.raises(UncertifiedValueError):
        d.rational_below(arb(0, 1))  # a ball containing 0


def test_to_arb_checks_precision():
    with pytest.raises(PrecisionError):
        d.to_arb(Fraction(1, 3), prec=2**40)


def test_krawczyk_never_proves_a_missing_zero():
    # x² + 1 has no real zero; x² has a double (degenerate) zero; both must fail
    assert not certify_zero(lambda v: [v[0] * v[0] + 1], lambda v: [[2 * v[0]]], [Fraction(0)], prec=128).proved
    assert not certify_zero(lambda v: [v[0] * v[0]], lambda v: [[2 * v[0]]], [Fraction(1, 10**6)], prec=128).proved


def test_krawczyk_box_contains_the_zero_and_is_unique_in_search_box():
    F = lambda v: [v[0] ** 3 - 2 * v[0] - 5, v[1] - v[0]]  # noqa: E731  (Wallis' cubic)
    J = lambda v: [[3 * v[0] ** 2 - 2, arb(0)], [arb(-1), arb(1)]]  # noqa: E731
    c = certify_zero(F, J, [2.09, 2.0], prec=128)
    assert c.proved
    x = sp.Symbol("x")
    root = sp.CRootOf(x**3 - 2 * x - 5, 0)
    lo, hi = d.bounds(c.box[0])
    assert d.compare(root, lo) == 1 and d.compare(root, hi) == -1


def test_krawczyk_fails_soundly_on_a_box_too_large():
    # sin-like cubic with three zeros within the box: K(X) cannot be inside X
    F = lambda v: [v[0] ** 3 - v[0]]  # noqa: E731
    J = lambda v: [[3 * v[0] ** 2 - 1]]  # noqa: E731
    assert not krawczyk_test(F, J, [Fraction(0)], Fraction(2), 128).proved


def test_absurd_counts_and_ragged_points_are_clear_errors():
    import verify as vf
    from verify.errors import ShapeError
    from verify.validate import positive_int

    with pytest.raises(InputError):
        positive_int(2**40, "steps")
    x = sp.Symbol("x")
    G = vf.GDMap(vf.Objective.from_sympy(x**2, [x]), 1)
    with pytest.raises(ShapeError):
        G([[1], 1])
