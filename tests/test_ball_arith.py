"""Ball arithmetic primitives: enclosures hold at every point and stay finite (python-flint quirks)."""

from __future__ import annotations

from fractions import Fraction

from flint import arb, ctx, fmpq
from hypothesis import given
from hypothesis import strategies as st

from verify.arith import get_arith
from verify.arith.ball import contains, int_power


@given(st.integers(-30, 30), st.integers(0, 20), st.integers(0, 9), st.integers(16, 200))
def test_integer_power_encloses_every_point_and_is_finite(num, rad_num, n, prec):
    """x**n over a ball x = num/7 ± rad/16: finite, and contains t**n at the centre and both ends.

    python-flint 0.9 returns nan for ``arb ** 2`` on a ball containing 0 (it uses exp(n log x)):
    this is the regression test for the replacement."""
    mid, rad = Fraction(num, 7), Fraction(rad_num, 16)
    saved = ctx.prec
    ctx.prec = prec
    try:
        x = arb(fmpq(num, 7), fmpq(rad_num, 16)) if rad_num else arb(fmpq(num, 7))
        y = int_power(x, n)
        assert y.is_finite()
        for t in (mid - rad, mid, mid + rad, mid - rad / 3):
            assert contains(y, t**n), (x, n, y, t)
        if n % 2 == 0:  # an even power is non-negative: no sign loss beyond rounding
            assert float(y.lower()) >= -1e-3 * float(y.upper()) - 2.0 ** (-prec + 8)
    finally:
        ctx.prec = saved


def test_pow_rational_through_the_protocol_on_a_ball_around_zero():
    a = get_arith("ball", 24)
    with a.context():
        z = a.const(Fraction(-1, 7)) + a.const(Fraction(1, 7))  # a ball around 0, not the point 0
        sq = a.pow_rational(z, Fraction(2))
        assert sq.is_finite() and contains(sq, 0)
        assert float(sq.upper()) < 1e-14
        inv = a.pow_rational(a.const(Fraction(2)), Fraction(-3))
        assert contains(inv, Fraction(1, 8))


def test_symmetric_product_by_blocks_matches_the_full_product():
    """Jᵀ diag(w) J computed on the upper blocks and mirrored equals the plain product's enclosures."""
    import numpy as np

    a = get_arith("ball", 128)
    rng = np.random.default_rng(0)
    with a.context():
        J = a.array(rng.integers(-9, 10, size=(5, 300)) / 7, what="J")
        w = a.array(rng.integers(1, 9, size=5) / 3, what="w")
        left = (J * w[:, None]).T
        full = a.matmul(left, J)
        sym = a.matmul_symmetric(left, J)
    assert sym.shape == full.shape == (300, 300)
    for i, j in [(0, 0), (10, 299), (299, 10), (150, 75), (75, 150), (299, 299)]:
        assert sym[i, j].overlaps(full[i, j]) and abs(float(sym[i, j].mid()) - float(full[i, j].mid())) < 1e-20
        assert sym[i, j].mid() == sym[j, i].mid()



def test_const_uses_the_arithmetic_precision_outside_its_context():
    """BallArithmetic.const rounds a non-dyadic rational at the arithmetic's precision even when python-flint's
    global precision is lower (it was built at 53 bits outside ``context()``: valid but 2**75 times wider)."""
    from fractions import Fraction

    from flint import ctx

    import verify as vf

    saved = ctx.prec
    try:
        ctx.prec = 53
        for prec in (128, 256):
            a = vf.get_arith("ball", prec)
            lo, hi = a.bounds(a.const(Fraction(1, 3)))
            assert lo <= Fraction(1, 3) <= hi
            assert hi - lo < Fraction(1, 2 ** (prec - 2))
        assert ctx.prec == 53
    finally:
        ctx.prec = saved
