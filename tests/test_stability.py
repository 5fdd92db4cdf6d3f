"""Stability of minima (GD, SGD), periodic orbits proved by Krawczyk, saddle escape
(docs/theory/gd_map.md §3)."""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

import verify as vf
from verify import stability
from verify.errors import InputError

T = sp.Symbol("t")
QUARTIC = vf.Objective.from_sympy((T**2 - 1) ** 2 / 4, [T])  # G(θ) = θ − η(θ³ − θ)


def interpolating_regression():
    """f(x) = w·x on 3 points in R^4; w* interpolates (L(w*) = 0, a flat manifold of minima)."""
    loss = vf.SquareLoss(vf.MLP([4, 1], "relu"), vf.Dataset([[1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 1]], [1, 2, 3]))
    wstar = [F(-1), F(0), F(2), F(4)]
    assert loss.value(wstar, "exact") == 0
    return loss, wstar


@given(st.integers(1, 6), st.integers(1, 6), st.fractions(F(1, 20), F(3, 2), max_denominator=40))
@example(1, 3, F(2, 3))  # the edge η λ_max = 2
def test_gd_stability_of_a_quadratic_is_eta_lambda_max_below_two(a, b, eta):
    x, y = sp.symbols("x y")
    obj = vf.Objective.from_sympy((a * x**2 + b * y**2) / 2, [x, y])
    r = stability.gd(obj, [0, 0], eta)
    lam = max(a, b)
    expected = "stable" if eta * lam < 2 else ("edge" if eta * lam == 2 else "unstable")
    assert r.certificate["classification"] == expected
    # PROVED only when hyperbolic (every λ in (0, 2/η)); the edge ηλ_max = 2 (DG eigenvalue −1) is linearly stable
    # only in the non-strict sense and the linearisation does not decide: INCONCLUSIVE
    want = {"stable": vf.Verdict.PROVED, "edge": vf.Verdict.INCONCLUSIVE, "unstable": vf.Verdict.REFUTED}[expected]
    assert r.verdict == want
    assert (r.certificate["asymptotically_stable"] is True) == (expected == "stable")
    assert r.certificate["linearly_stable_nonstrict"] == (expected != "unstable")


def test_gd_stability_ball_path_agrees_with_float_eigenvalues():
    x, y = sp.symbols("x y")
    obj = vf.Objective.from_sympy(sp.tanh(x) ** 2 + (x - y) ** 2, [x, y])
    r = stability.gd(obj, [0, 0], F(1, 2))
    lam = np.linalg.eigvalsh(np.array(obj.hessian([0, 0]), dtype=float)).max()
    lo, hi = r.certificate["lambda_max"]
    assert float(lo) <= lam + 1e-12 and lam - 1e-12 <= float(hi) and float(hi - lo) < 1e-10
    # the precision ladder: float64 balls decide 0.5 · 5.236 > 2 without Arb
    assert r.arithmetic == "ball64" and r.rung == "ball64" and r.verdict == vf.Verdict.REFUTED
    assert r.certificate["ladder"] == [{"rung": "ball64", "outcome": "decided"}]


def test_sgd_full_batch_reduces_to_gd_and_matches_a_float_computation():
    loss, wstar = interpolating_regression()
    eta = F(1, 4)
    Hs = [np.array(stability.per_sample_hessians(loss, wstar, "float")[i], dtype=float) for i in range(3)]
    H = sum(Hs) / 3
    Sigma = sum(h @ h for h in Hs) / 3 - H @ H
    a, s2 = np.linalg.eigvalsh(H).max(), np.linalg.eigvalsh(Sigma).max()
    for B in (1, 2, 3):
        r = stability.sgd(loss, wstar, eta, batch_size=B, lyapunov_steps=200, lyapunov_runs=2)
        c = (3 - B) / (B * 2)
        expected = (1 - 0.25 * a) ** 2 + 0.0625 * c * s2
        lo, hi = r.certificate["value"]
        assert float(lo) - 1e-12 <= expected <= float(hi) + 1e-12
        assert r.verdict == (vf.Verdict.PROVED if expected <= 1 else vf.Verdict.REFUTED)
    # full batch: (1 − ηa)², the GD quantity
    r = stability.sgd(loss, wstar, eta, batch_size=3, lyapunov_steps=100, lyapunov_runs=2)
    assert abs(float(r.certificate["value"][0]) - (1 - 0.25 * a) ** 2) < 1e-12


def test_sgd_mean_square_operator_and_lyapunov_exponent():
    loss, wstar = interpolating_regression()
    probs = [([0], F(1, 3)), ([1], F(1, 3)), ([2], F(1, 3))]
    small = stability.sgd(loss, wstar, F(1, 4), batch_probabilities=probs, lyapunov_steps=500, lyapunov_runs=4)
    large = stability.sgd(loss, wstar, F(2, 3), batch_probabilities=probs, lyapunov_steps=500, lyapunov_runs=4)
    assert small.verdict == vf.Verdict.PROVED and large.verdict == vf.Verdict.REFUTED
    # flat directions are factored out: the exponent is clearly negative at a small step size
    lyap = small.certificate["lyapunov"]
    assert lyap["dimension"] == 3 and lyap["estimate"] + 5 * lyap["stderr"] < 0


def test_sgd_bad_input():
    loss, wstar = interpolating_regression()
    with pytest.raises(InputError):
        stability.sgd(loss, wstar, F(1, 4))  # neither batch_size nor probabilities
    with pytest.raises(InputError):
        stability.sgd(loss, wstar, F(1, 4), batch_size=5)
    with pytest.raises(InputError):
        stability.sgd(loss, wstar, F(1, 4), batch_probabilities=[([0], F(1, 2))])  # does not sum to 1


@pytest.mark.parametrize("eta", [F(1, 2), F(3, 2), 1])
def test_quartic_period_two_orbit_is_proved_where_theory_puts_it(eta):
    """θ² = 1 + 2/η (docs/theory/gd_map.md §3.3); D(G²) = (5 + 2η)² > 1: unstable."""
    root = math.sqrt(1 + 2 / float(eta))
    r = stability.find_periodic_orbit(QUARTIC, eta, 2, [root * 1.01])
    assert r.verdict == vf.Verdict.PROVED
    mid = F(r.certificate["box"]["mid"][0])
    rad = F(r.certificate["box"]["radius"])
    assert abs(mid - F(root)) < 1e-12 and (mid - rad) ** 2 < 1 + 2 / F(eta) < (mid + rad) ** 2
    assert r.certificate["stability"] == "unstable"
    rho = (5 + 2 * float(eta)) ** 2
    assert r.certificate["spectral_radius_DGk"][0] <= rho <= r.certificate["spectral_radius_DGk"][1]


def test_a_fixed_point_is_rejected_as_a_period_two_orbit():
    r = stability.find_periodic_orbit(QUARTIC, F(1, 2), 2, [1.05])
    assert r.verdict == vf.Verdict.INCONCLUSIVE and "period 1" in r.message
    with pytest.raises(InputError):
        stability.find_periodic_orbit(QUARTIC, F(1, 2), 0, [1.0])
    with pytest.raises(InputError):
        stability.find_periodic_orbit(QUARTIC, F(1, 2), 2, [1.0, 2.0])


def test_saddle_escape():
    x, y = sp.symbols("x y")
    obj = vf.Objective.from_sympy((x**2 - 1) ** 2 / 4 + y**2 / 2, [x, y])
    r = stability.saddle_escape(obj, [0, 0], F(1, 10), starts=20)
    assert r.verdict == vf.Verdict.SUPPORTED and r.certificate["fraction_escaped"] == 1.0
    assert r.certificate["strict_saddle_certified"]
    r = stability.saddle_escape(obj, [1, 0], F(1, 10), starts=5, max_steps=200)  # a minimum: no escape
    assert r.verdict == vf.Verdict.INCONCLUSIVE and r.certificate["fraction_escaped"] == 0.0
