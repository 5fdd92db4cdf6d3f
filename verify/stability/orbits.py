"""Periodic orbits of the GD map, found by Newton's method and proved by the Krawczyk test
(the GD-map setting of arXiv:2510.24466, §3, "Periodic orbits").

F(θ) = G_η^k(θ) − θ. Newton's method at high precision (mpmath) gives an approximate zero x̃.
With Y ≈ (DF(x̃))⁻¹ and the box X = x̃ + [−r, r]^p, the Krawczyk operator

    K(X) = x̃ − Y F(x̃) + (I − Y DF(X)) (X − x̃)

is evaluated in Arb ball arithmetic (DF(X) encloses DF at every point of X). If K(X) lies in the
interior of X, F has exactly one zero in X (Krawczyk 1969, Moore 1977): a true periodic point,
existence and local uniqueness PROVED with X as the certificate. Its minimal period is certified
by showing G^d(θ) − θ ≠ 0 on X for every proper divisor d of k; its stability from enclosures of
the eigenvalues of D(G^k)(X) (spectral radius < 1: stable, > 1: unstable).
"""

from __future__ import annotations

import time
from fractions import Fraction

import mpmath
import numpy as np
from flint import acb_mat, arb, arb_mat

from .. import validate
from ..arith import get_arith
from ..arith.decide import abs_bounds, bounds, compare, hull_max, sign
from ..errors import InputError, RegionBoundaryError, UncertifiedValueError
from ..gdmap.maps import GDMap, check_eta, eta_str
from ..numbers import fraction_array, fraction_str, mpf_to_fraction, to_fraction
from ..result import Quantity, Result, Verdict, make_scope


def _newton(comp, x0, prec: int, max_iter: int):
    """Newton on G^k(θ) − θ in mpmath at ``prec`` bits; returns (x, converged, last step size)."""
    a = get_arith("mp", prec)
    p = comp.n_params
    with a.context():
        x = a.array(x0, what="guess")
        tol = mpmath.mpf(2) ** (-(prec * 7) // 8)
        step = mpmath.inf
        for _ in range(max_iter):
            Gx, J = comp.value_and_jacobian(x, a, prec)
            Fx = Gx - x
            M = mpmath.matrix(J.tolist()) - mpmath.eye(p)
            try:
                dx = mpmath.lu_solve(M, mpmath.matrix(list(Fx)))
            except ZeroDivisionError:
                return x, False, step
            x = x - np.array([dx[i] for i in range(p)], dtype=object)
            step = max(abs(dx[i]) for i in range(p))
            scale = max(mpmath.mpf(1), max(abs(v) for v in x))
            if step <= tol * scale:
                return x, True, step
    return x, False, step


def _divisors(k: int) -> list[int]:
    return [d for d in range(1, k) if k % d == 0]


def find_periodic_orbit(objective, eta, period: int, guess, *, prec: int = 128, max_iter: int = 80) -> Result:
    """Find and certify a periodic orbit of minimal period ``period`` of G_η near ``guess``
    (``period=1``: a fixed point of G_η, i.e. a critical point of L).

    PROVED: a unique zero of G^k(θ) − θ in the certificate box (``certificate['box']``: exact
    midpoints and radius; ``scope`` says the same), of certified minimal period k, with the orbit's
    points and stability (spectral radius of D(G^k) over the box compared with 1 exactly).
    INCONCLUSIVE: Newton did not converge, the Krawczyk test failed for every box radius tried, the
    box meets a region boundary, or the orbit found has a smaller period (rejected; try another guess).
    """
    t0 = time.perf_counter()
    q = check_eta(eta)
    k = validate.positive_int(period, "the period")
    prec = validate.precision(prec)
    max_iter = validate.positive_int(max_iter, "max_iter")
    p = objective.n_params
    if np.shape(guess) != (p,):
        raise InputError(f"guess must be a flat vector of {p} parameters, got shape {np.shape(guess)}")
    fraction_array(guess, what="guess")  # finite numbers only
    gmap = GDMap(objective, q)
    comp = gmap.compose(k)
    claim = f"G_η has a periodic orbit of minimal period {k} near the guess (η = {eta_str(q)})"

    def inconclusive(msg, **cert):
        return Result(Verdict.INCONCLUSIVE, claim=claim, certificate=cert, arithmetic="ball", precision=prec,
                      elapsed=time.perf_counter() - t0, message=msg)

    newton_prec = 2 * prec + 32
    x, ok, step = _newton(comp, guess, newton_prec, max_iter)
    if not ok:
        return inconclusive(f"Newton's method on G^{k}(θ) − θ did not converge in {max_iter} steps (last step "
                            f"{mpmath.nstr(step, 3)}); try another guess")
    xq = np.array([mpf_to_fraction(v) for v in x], dtype=object)
    # is it really of period k? (a fixed point of G^d, d | k, d < k, is rejected)
    for d in _divisors(k):
        xd = gmap.orbit(x, d, "mp", newton_prec)[-1]
        if max(abs(xd[i] - x[i]) for i in range(p)) <= mpmath.mpf(2) ** (-prec // 2):
            return inconclusive(f"rejected: Newton converged to a point of period {d} (G^{d}(θ) = θ), not a "
                                f"period-{k} orbit; try another guess", point=[str(v) for v in xq], period_found=d)
    a = get_arith("ball", prec)
    with a.context():
        try:
            Gx = comp(xq, a, prec)
            Fx = Gx - a.array(xq)
            _, Jm = comp.value_and_jacobian(x, "mp", newton_prec)
        except RegionBoundaryError as exc:
            return inconclusive(f"the orbit lies on (or too near) a region boundary: {exc}")
        Mm = mpmath.matrix(Jm.tolist()) - mpmath.eye(p)
        Yinv = mpmath.inverse(Mm)
        Y = arb_mat([[arb(mpf_to_fraction(Yinv[i, j]).numerator) / arb(mpf_to_fraction(Yinv[i, j]).denominator)
                      for j in range(p)] for i in range(p)])
        YF = Y * arb_mat([[v] for v in Fx])
        base = max(float(abs(YF[i, 0]).upper()) for i in range(p))  # not-a-decision: only picks trial radii
        radii = sorted({max(base * 16, 2.0 ** (-prec // 2)), 2.0 ** (-prec // 3), 2.0 ** (-prec // 4),
                        1e-8, 1e-5, 1e-3})
        for r in radii:
            rq = to_fraction(r)
            box = [arb(_arb_q(c), _arb_q(rq)) for c in xq]
            try:
                _, DGX = comp.value_and_jacobian(np.array(box, dtype=object), a, prec)
            except RegionBoundaryError:
                break  # larger boxes only meet more boundaries
            DF = arb_mat(DGX.tolist()) - arb_mat([[int(i == j) for j in range(p)] for i in range(p)])
            I_YDF = arb_mat([[int(i == j) for j in range(p)] for i in range(p)]) - Y * DF
            dev = arb_mat([[arb(0, _arb_q(rq))] for _ in range(p)])
            Kc = I_YDF * dev - YF  # K(X) − x̃
            if all(_certainly_below(Kc[i, 0], rq) for i in range(p)):
                return _proved(objective, gmap, comp, k, q, xq, rq, box, Kc, DGX, a, prec, claim, t0)
        return inconclusive(f"the Krawczyk test failed for box radii up to {radii[-1]:g} at {prec} bits; raise prec",
                            point=[str(v) for v in xq])


def _certainly_below(k, r: Fraction) -> bool:
    """|k| < r for every point of the ball k (exact endpoints)."""
    try:
        return compare(abs_bounds(k), r) == -1
    except UncertifiedValueError:
        return False


def _excludes_zero(v) -> bool:
    try:
        return sign(v) in (-1, 1)
    except UncertifiedValueError:
        return False


def _arb_q(v: Fraction):
    return arb(v.numerator) / arb(v.denominator) if v.denominator != 1 else arb(v.numerator)


def _proved(objective, gmap, comp, k, q, xq, rq, box, Kc, DGX, a, prec, claim, t0):
    p = len(xq)
    X = np.array(box, dtype=object)
    # minimal period: G^d(θ) − θ excludes 0 in some coordinate over the whole box, for each d | k
    period_ok = {}
    for d in _divisors(k):
        Xd = gmap.orbit(X, d, a, prec)[-1]
        diff = Xd - X
        period_ok[d] = any(_excludes_zero(v) for v in diff)
    if not all(period_ok.values()):
        bad = [d for d, v in period_ok.items() if not v]
        return Result(Verdict.INCONCLUSIVE, claim=claim, arithmetic="ball", precision=prec,
                      elapsed=time.perf_counter() - t0,
                      message=f"a zero of G^{k}(θ) − θ is proved in the box, but G^{bad[0]}(θ) = θ could not "
                              "be excluded on it: raise prec")
    orbit = gmap.orbit(X, k - 1, a, prec)
    with a.context():
        ev = acb_mat(arb_mat(DGX.tolist())).eig(multiple=True, nonstop=True)
    mods = [abs(e) for e in ev]
    try:
        rho = hull_max(mods)  # exact rational hull: never "the top ball"
        rho = (max(rho[0], Fraction(0)), rho[1])  # a modulus is ≥ 0
    except UncertifiedValueError:  # non-finite: eigenvalues not isolated
        rho = None
    if rho is None:
        stab = "undecided"
    else:
        c = compare(rho, 1)
        stab = "stable" if c == -1 else ("unstable" if c == 1 else "undecided")
    kmax = hull_max([abs_bounds(Kc[i, 0]) for i in range(p)])[1]
    cert = {"method": "Krawczyk", "box": {"mid": [str(c) for c in xq], "radius": str(rq)},
            "krawczyk_max_abs": kmax,
            "minimal_period_certified": True, "orbit": [[list(bounds(v)) for v in pt] for pt in orbit],
            "spectral_radius_DGk": None if rho is None else [float(rho[0]), float(rho[1])],
            "spectral_radius_DGk_exact": None if rho is None else list(rho), "stability": stab}
    scope = make_scope(f"the unique zero of G^{k}(θ) − θ in the box X = mid ± radius (its existence, uniqueness in X "
                       f"and minimal period {k})", count=1,
                       box={"mid": [fraction_str(c) for c in xq], "radius": fraction_str(rq)}, precision=prec,
                       eta=q, period=k)
    rho_txt = "undecided" if rho is None else f"[{float(rho[0]):.6g}, {float(rho[1]):.6g}]"
    return Result(Verdict.PROVED, claim=claim, quantity=Quantity("periodic point", [float(c) for c in xq],
                                                                     (xq[0] - rq, xq[0] + rq)),
                  margin=rq - kmax, certificate=cert, arithmetic="ball", precision=prec,
                  elapsed=time.perf_counter() - t0, scope=scope,
                  message=f"a unique period-{k} point lies in the box of radius {float(rq):.2g} around x̃ "
                          f"(Krawczyk), minimal period certified; orbit {stab} (ρ(DG^{k}) ∈ {rho_txt})")
