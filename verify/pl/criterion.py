"""Chatterjee's local PL criterion (``shared/theory/local_pl.md`` §1.2 and §2.2).

* Gradient flow: if 4L(x0) < r²α(x0, r), the flow from x0 stays in B(x0, r) and converges to a
  zero of L there with L(x(t)) ≤ e^{−αt} L(x0).
* GD [derived form, §2.2]: with β = sup_{B(x0,r)} ‖∇²L‖_op and 0 < η < η_max = (2/β)(1 − 2√(L0/α)/r),
  every iterate stays in the ball and L(x_k) ≤ q^k L(x0) with q = 1 − αη(1 − βη/2).

Verdicts: PROVED when the criterion holds with the *certified lower* bound of α (and a certified
upper bound of β); REFUTED when it fails even with the *certified upper* bound of α (the ratio at a
witness inside the ball); INCONCLUSIVE in between, with the gap.
"""

from __future__ import annotations

import time
from fractions import Fraction

from flint import arb, fmpq

from ..arith import get_arith
from ..errors import InputError
from ..gdmap.maps import check_eta
from ..result import Quantity, Result, Verdict
from .alpha import _box, _check_ball, _lower_endpoint, _upper_endpoint, alpha


def _loss_enclosure(objective, x0q, prec):
    """(lo, hi, arithmetic) of L(x0): exact when possible, else an Arb enclosure."""
    from ..gdmap.regions import is_polynomial_objective

    if is_polynomial_objective(objective):
        v = objective.value(x0q, "exact")
        q = Fraction(int(v.p), int(v.q))
        return q, q, "exact"
    v = objective.value(x0q, "ball", prec)
    return _lower_endpoint(v), _upper_endpoint(v), "ball"


def chatterjee(objective, x0, r, *, prec: int = 128, bounds=None, **alpha_kw) -> Result:
    """Decide the gradient-flow criterion 4L(x0) < r²α(x0, r) (local_pl.md §1.2)."""
    t0 = time.perf_counter()
    x0q, rq = _check_ball(objective, x0, r)
    lo, hi, arith = _loss_enclosure(objective, x0q, prec)
    if hi < 0:
        raise InputError(f"L(x0) < 0 (enclosure [{float(lo):.6g}, {float(hi):.6g}]): the criterion needs L ≥ 0")
    claim = f"4L(x0) < r²·α(x0, r) with r = {rq}"
    if lo == hi == 0:
        return Result(Verdict.PROVED, claim=claim, quantity=Quantity("L(x0)", Fraction(0)), margin=None,
                      arithmetic=arith, elapsed=time.perf_counter() - t0,
                      message="L(x0) = 0: the criterion holds trivially (0 < r²α) and x0 is already a global "
                              "minimiser (local_pl.md §5.5)")
    target = 4 * hi / (rq * rq)
    b = bounds if bounds is not None else alpha(objective, x0q, rq, prec=prec, target=target, **alpha_kw)
    cert = {"L0": [lo, hi], "alpha": [b.lower, b.upper], "alpha_lower_method": b.lower_method,
            "alpha_tightness": b.tightness, "witness": None if b.witness is None else [str(v) for v in b.witness],
            "alpha_methods": b.methods, "needed_alpha": target}
    if b.lower is not None and 4 * hi < rq * rq * b.lower:
        return Result(Verdict.PROVED, claim=claim, quantity=Quantity("α", None, (b.lower, b.upper)),
                      margin=rq * rq * b.lower - 4 * hi, certificate=cert, arithmetic="ball", precision=prec,
                      elapsed=time.perf_counter() - t0,
                      message=f"α ≥ {float(b.lower):.6g} ({b.lower_method}) > 4L(x0)/r² = {float(target):.6g}")
    if b.upper is not None and 4 * lo >= rq * rq * b.upper:
        return Result(Verdict.REFUTED, claim=claim, quantity=Quantity("α", None, (b.lower, b.upper)),
                      margin=rq * rq * b.upper - 4 * lo, certificate=cert, arithmetic="ball", precision=prec,
                      counterexample={"witness": cert["witness"], "ratio_upper": b.upper, "r": rq},
                      elapsed=time.perf_counter() - t0,
                      message=f"α ≤ ratio(witness) ≤ {float(b.upper):.6g} ≤ 4L(x0)/r² = "
                              f"{4 * float(lo) / float(rq) ** 2:.6g} (certified witness in the ball)")
    return Result(Verdict.INCONCLUSIVE, claim=claim, quantity=Quantity("α", None, (b.lower, b.upper)),
                  margin=None, certificate=cert, arithmetic="ball", precision=prec, elapsed=time.perf_counter() - t0,
                  message=f"α ∈ [{_f(b.lower)}, {_f(b.upper)}] and the criterion needs α > {float(target):.6g}: "
                          "the gap is not closed; raise max_boxes or starts, or try a smaller/larger r")


def _f(x):
    return "None" if x is None else f"{float(x):.6g}"


def hessian_norm_sup(objective, x0, r, prec: int = 128) -> Fraction:
    """A certified upper bound of β = sup_{B(x0,r)} ‖∇²L‖_op: the Hessian enclosed over the box
    [x0 − r, x0 + r]^p ⊇ B(x0, r), then ‖H‖_op ≤ min(‖|H|‖_F, ‖|H|‖_∞) entrywise on upper bounds."""
    x0q, rq = _check_ball(objective, x0, r)
    a = get_arith("ball", prec)
    H = objective.hessian(_box(x0q, [rq] * len(x0q), prec), a, prec)
    absu = [[_upper_endpoint(abs(H[i, j])) for j in range(H.shape[1])] for i in range(H.shape[0])]
    inf_norm = max(sum(row) for row in absu)
    fro2 = sum(v * v for row in absu for v in row)
    with a.context():
        fro = _upper_endpoint(arb(fmpq(fro2.numerator, fro2.denominator)).sqrt())
    return min(inf_norm, fro)


def _sqrt_upper(q: Fraction, prec) -> Fraction:
    a = get_arith("ball", prec)
    with a.context():
        return _upper_endpoint(arb(fmpq(q.numerator, q.denominator)).sqrt())


def chatterjee_gd(objective, x0, r, eta=None, *, prec: int = 128, **alpha_kw) -> Result:
    """The GD form of the criterion (local_pl.md §2.2): certified α lower bound, β upper bound, the
    maximal step η_max = (2/β)(1 − 2√(L0/α)/r) and the contraction factor q = 1 − αη(1 − βη/2).

    With ``eta`` None the step min(1/β, η_max/2) is chosen. PROVED when the criterion holds and
    η < η_max with the certified bounds (then L(x_k) ≤ q^k L(x0) and every iterate stays in the
    ball); REFUTED when the gradient-flow criterion itself is refuted; INCONCLUSIVE otherwise.
    """
    t0 = time.perf_counter()
    x0q, rq = _check_ball(objective, x0, r)
    base = chatterjee(objective, x0q, rq, prec=prec, **alpha_kw)
    cert = dict(base.certificate)
    if base.verdict != Verdict.PROVED or base.quantity is None or base.quantity.enclosure is None:
        base.claim = "GD criterion: " + base.claim
        return base
    a_lo = base.quantity.enclosure[0]
    L0 = cert["L0"][1]
    beta = hessian_norm_sup(objective, x0q, rq, prec)
    # η_max = (2/β)(1 − 2√(L0/α)/r), made smaller by using an upper bound of the square root
    s = _sqrt_upper(L0 / a_lo, prec) if L0 > 0 else Fraction(0)
    eta_max = (2 / beta) * (1 - 2 * s / rq) if beta > 0 else None
    if eta is None:
        q_eta = min(1 / beta, eta_max / 2) if eta_max is not None else Fraction(1)
        q_eta = Fraction(q_eta).limit_denominator(10**6) if q_eta > 0 else q_eta
        while eta_max is not None and q_eta >= eta_max:
            q_eta /= 2
    else:
        q_eta = check_eta(eta)
    qf = 1 - a_lo * q_eta * (1 - beta * q_eta / 2)
    cert.update({"beta_upper": beta, "eta_max": eta_max, "eta": q_eta, "q": qf,
                 "path_length_bound": 2 * s / (1 - beta * q_eta / 2) if beta * q_eta < 2 else None})
    ok = eta_max is None or q_eta < eta_max
    claim = f"GD criterion (local_pl.md §2.2): 4L(x0) < r²α and η = {q_eta} < η_max"
    verdict = Verdict.PROVED if ok else Verdict.INCONCLUSIVE
    return Result(verdict, claim=claim, quantity=Quantity("q", qf), margin=None if eta_max is None else eta_max - q_eta,
                  certificate=cert, arithmetic="ball", precision=prec, elapsed=time.perf_counter() - t0,
                  message=(f"α ≥ {float(a_lo):.6g}, β ≤ {float(beta):.6g}, η_max ≥ {float(eta_max):.6g}; with η = "
                           f"{float(q_eta):.6g}: L(x_k) ≤ q^k L(x0), q = {float(qf):.6g}" if ok else
                           f"η = {float(q_eta):.6g} is not below the certified η_max = {float(eta_max):.6g} (β ≤ "
                           f"{float(beta):.6g}); a smaller η is covered"))


__all__ = ["chatterjee", "chatterjee_gd", "hessian_norm_sup"]
