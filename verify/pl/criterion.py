"""Chatterjee's local PL criterion (arXiv:2203.16462; the derived forms of ``docs/theory/local_pl.md``
§1.2, §2.2).

α(x0, r) = inf { ‖∇L(θ)‖²/L(θ) : θ ∈ B(x0, r), L(θ) > 0 } (the closed ball; α = +∞ when L ≡ 0 there).
The theorem assumes **L ≥ 0** (and L ∈ C²).

* **Gradient flow**: if 4L(x0) < r²α(x0, r), the flow from x0 stays in B(x0, r) and converges to a
  zero of L there, with L(x(t)) ≤ e^{−αt} L(x0).
* **L(x0) = 0**: the criterion reads 0 < r²α, i.e. α > 0 — it does *not* hold trivially: at a
  degenerate zero α can be 0 (x⁴ at 0: the ratio is 16x² → 0). PROVED needs a certified α > 0; a
  certified positive lower bound also certifies L ≥ 0 on the ball (:mod:`verify.pl.alpha`), so x0
  minimises L on the ball (∇L(x0) = 0: the flow and GD stay at x0). x0 is called a *global*
  minimiser only when L ≥ 0 everywhere is known structurally (:func:`~verify.pl.alpha.nonnegativity`):
  x³ at 0 is a zero of L but no minimiser.
* **GD** [derived form, ``docs/theory/local_pl.md`` §2.2]: with β ≥ sup_{B(x0,r)} ‖∇²L‖_op and
  0 < η < η_max = (2/β)(1 − 2√(L0/α)/r), every iterate (and step segment) stays in the ball and
  L(x_k) ≤ q^k L(x0) with q = 1 − αη(1 − βη/2) < 1. The proof holds for any α' ≤ α, β' ≥ β and
  L0' ≥ L(x0), so the certified bounds are used: α' the certified lower bound of α, β' the
  certified upper bound of β (any positive number if that is 0), √(L0'/α') enclosed from above.
  The step η is an exact rational strictly inside (0, η_max'); q is exact and certified < 1. Since
  L ≥ 0, the bound L(x_{k+1}) ≤ (1 − αη(1 − βη/2)) L(x_k) also holds with max(q, 0).

Verdicts: PROVED when the criterion holds with the *certified lower* bound of α (every comparison
on exact rational endpoints, :mod:`verify.arith.decide`), with a scope naming the ball; REFUTED
when it fails even with the *certified upper* bound of α (the ratio at a witness inside the ball
with L(witness) > 0); INCONCLUSIVE in between, saying which lower-bound method applied and why it
is weak, and whether L ≥ 0 is certified (if a point of the ball with L < 0 is found, the message
says the theorem's hypothesis fails). Linear convergence is never PROVED with η = 0 or q ≥ 1.
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
from flint import arb, fmpq

from .. import validate
from ..arith import get_arith
from ..arith.ball import _ArbPrec
from ..arith.decide import bounds as enclosure_bounds
from ..arith.decide import certainly_lt, decide
from ..errors import EnclosureError, InputError, VerifyError
from ..gdmap.maps import check_eta
from ..result import Quantity, Result, Verdict, make_scope
from .alpha import (
    ALPHA_EMPTY,
    AlphaBounds,
    _box,
    _check_ball,
    _rational_in_ball,
    _upper_endpoint,
    alpha,
    exact_objective,
    nonnegativity,
)

#: the square root in η_max is enclosed at prec·2^k bits, k < this, until 1 − 2√(L0/α)/r > 0 is certified
SQRT_PRECISION_STEPS = 7


def _loss_enclosure(objective, x0q, prec):
    """(lo, hi, arithmetic) of L(x0): exact when possible, else an Arb enclosure."""
    from ..gdmap.regions import is_polynomial_objective

    if is_polynomial_objective(objective):
        try:
            v = objective.value(x0q, "exact")
            q = Fraction(int(v.p), int(v.q))
            return q, q, "exact"
        except VerifyError:
            pass  # e.g. on an activation boundary: fall back to the ball enclosure
    v = objective.value(x0q, "ball", prec)
    if not v.is_finite():
        raise EnclosureError(f"L(x0) could not be enclosed at {prec} bits (got {v}); raise prec")
    lo, hi = enclosure_bounds(v)
    return lo, hi, "ball"


def _exact_or_none(v) -> bool:
    return v is None or (isinstance(v, Fraction | int) and not isinstance(v, bool))


def _f(x):
    return "None" if x is None else f"{float(x):.6g}"


def _exact_txt(q: Fraction) -> str:
    """An exact rational for messages when it is short, else its float value."""
    if abs(q.numerator) < 10**30 and q.denominator < 10**30:
        return str(q)
    return _f(q)


def _q_str(q: Fraction) -> str:
    """q for messages: 1 − δ when q is within 10⁻⁶ of 1 (a float would print 1)."""
    return f"1 − {float(1 - q):.6g}" if 1 - q < Fraction(1, 10**6) else _f(q)


def _pt(x) -> list[Fraction]:
    return [Fraction(v) for v in x]  # exact (the Result codec writes large rationals losslessly)


def _negative_point(objective, x0q, rq, prec, starts: int = 4):
    """A rational point w of the closed ball with L(w) < 0 certified (Arb), found by local minimisation
    of L from x0 and a few random starts; None if none was found (which proves nothing)."""
    from scipy.optimize import minimize

    x0f = np.array([float(v) for v in x0q])
    rf = float(rq)
    if not (np.all(np.isfinite(x0f)) and np.isfinite(rf) and rf > 0):
        return None
    rng = np.random.default_rng(0)
    p = len(x0f)
    cands = [x0f]
    for _ in range(starts):
        d = rng.standard_normal(p)
        cands.append(x0f + rf * rng.random() ** (1 / p) * d / np.linalg.norm(d))
    cons = [{"type": "ineq", "fun": lambda x: rf**2 - float(((x - x0f) ** 2).sum()), "jac": lambda x: -2 * (x - x0f)}]

    def fun(x):
        v = float(objective.value(x, "float"))
        return v if np.isfinite(v) else 1e300

    def jac(x):
        g = np.asarray(objective.grad(x, "float"), dtype=float)
        return g if np.all(np.isfinite(g)) else np.zeros_like(x)

    for c in cands:
        try:
            res = minimize(fun, c, jac=jac, method="SLSQP", constraints=cons, options={"maxiter": 100})
            pts = [res.x, c]
        except (ValueError, ArithmeticError, VerifyError):
            pts = [c]
        for x in pts:
            try:
                if not np.all(np.isfinite(x)) or not fun(x) < 0:
                    continue
                w = _rational_in_ball(x0q, rq, x)
                v = objective.value(w, "ball", prec)
                if v.is_finite() and decide(v, "<", 0) is True:
                    return w, enclosure_bounds(v)[1]
            except (VerifyError, ArithmeticError, ValueError):
                continue
    return None


def chatterjee(objective, x0, r, *, prec: int = 128, bounds=None, **alpha_kw) -> Result:
    """Decide the gradient-flow criterion 4L(x0) < r²α(x0, r) (arXiv:2203.16462; docs/theory/local_pl.md §1.2).

    ``bounds``: a precomputed :class:`~verify.pl.alpha.AlphaBounds` of the same objective, x0 and r (else
    :func:`~verify.pl.alpha.alpha` is run with ``alpha_kw``); bounds of another ball are refused.
    See the module docstring for what each verdict means, including
    L(x0) = 0."""
    t0 = time.perf_counter()
    x0q, rq = _check_ball(objective, x0, r)
    original, objective = objective, exact_objective(objective)
    prec = validate.precision(prec)
    if bounds is not None and (not isinstance(bounds, AlphaBounds) or not _exact_or_none(bounds.lower)
                               or not _exact_or_none(bounds.upper)):
        raise InputError("bounds must be an AlphaBounds (from pl.alpha) with exact rational lower/upper (or None), "
                         f"got {bounds!r}")
    if bounds is not None and not bounds.covers(original, x0q, rq):
        raise InputError(f"bounds were computed for another ball or objective (r = {bounds.r}, x0 = "
                         f"{None if bounds.x0 is None else [str(v) for v in bounds.x0][:4]}): α(x0, r) depends on "
                         "both, so pass bounds from pl.alpha(objective, x0, r) for this very ball")
    lo, hi, arith = _loss_enclosure(objective, x0q, prec)
    if hi < 0:
        raise InputError(f"L(x0) < 0 (enclosure [{float(lo):.6g}, {float(hi):.6g}]): the criterion needs L ≥ 0")
    zero = lo == hi == 0
    claim = f"4L(x0) < r²·α(x0, r) with r = {_exact_txt(rq)}"
    target = 4 * hi / (rq * rq)
    b = bounds if bounds is not None else alpha(objective, x0q, rq, prec=prec, target=target, **alpha_kw)
    structural = nonnegativity(objective)
    boxes = (b.methods.get("bnb") or {}).get("boxes")
    cert = {"L0": [lo, hi], "alpha": [b.lower, b.upper], "alpha_lower_method": b.lower_method,
            "alpha_note": b.note, "nonnegative": b.nonnegative, "alpha_tightness": b.tightness,
            "witness": None if b.witness is None else _pt(b.witness), "alpha_methods": b.methods,
            "needed_alpha": target}
    ball = {"x0": _pt(x0q), "r": rq}
    quantity = Quantity("α", None, (b.lower, b.upper))
    common = {"claim": claim, "quantity": quantity, "certificate": cert, "arithmetic": "ball", "precision": prec}

    if b.lower is not None and decide(4 * hi, "<", rq * rq * b.lower) is True:
        nonneg = b.nonnegative or "as implied by the supplied α bounds (not re-checked)"
        a_txt = ("+∞ (L ≡ 0 on the whole ball)" if b.lower == ALPHA_EMPTY and not b.upper
                 else f"≥ {_f(b.lower)} ({b.lower_method})")
        if zero:
            where = ("and, L being ≥ 0 everywhere, a global minimiser" if structural is not None else
                     "(a global minimiser only if L ≥ 0 everywhere, which is not known here)")
            msg = (f"L(x0) = 0 and α {a_txt} > 0: the criterion 0 < r²α holds. L ≥ 0 on the ball ({nonneg}), so "
                   f"x0 minimises L on the ball {where}; ∇L(x0) = 0 and gradient flow stays at x0")
        else:
            msg = (f"α {a_txt} > 4L(x0)/r² = {_f(target)}; L ≥ 0 on the ball ({nonneg}). Hence (Chatterjee, "
                   "arXiv:2203.16462) gradient flow from x0 stays in B(x0, r), L(x(t)) ≤ e^(−αt) L(x0), and it "
                   "converges to a zero of L in the ball")
        scope = make_scope("gradient flow from x0 in the closed ball B(x0, r) (α bounded below on all of it)",
                           count=1, ball=ball, precision=prec, alpha_method=b.lower_method, boxes=boxes)
        return Result(Verdict.PROVED, margin=rq * rq * b.lower - 4 * hi, elapsed=time.perf_counter() - t0,
                      message=msg, scope=scope, **common)

    if b.upper is not None and decide(4 * lo, ">=", rq * rq * b.upper) is True:
        crit = (b.methods.get("upper") or {}).get("critical_point")
        extra = (f"; the witness is a certified critical point of L with L > 0 in the ball (Krawczyk box "
                 f"{crit['box']}), so α = 0" if crit else "")
        extra += ", and 0 < r²α fails although L(x0) = 0" if zero else ""
        return Result(Verdict.REFUTED, margin=rq * rq * b.upper - 4 * lo, elapsed=time.perf_counter() - t0,
                      counterexample={"witness": cert["witness"], "ratio_upper": b.upper, "r": rq},
                      scope=make_scope("the witness point in B(x0, r)", count=1, witness=cert["witness"], ball=ball,
                                       precision=prec),
                      message=f"α ≤ ratio(witness) ≤ {_f(b.upper)} ≤ 4L(x0)/r² = {_f(4 * lo / (rq * rq))} (a "
                              f"certified witness in the ball with L(witness) > 0){extra}", **common)

    need = "α > 0 (L(x0) = 0: the criterion reads 0 < r²α)" if zero else f"α > 4L(x0)/r² = {_f(target)}"
    parts = [f"α ∈ [{_f(b.lower)}, {_f(b.upper)}] (lower bound: {b.lower_method}) and the criterion needs {need}: "
             "the gap is not closed"]
    if b.note:
        parts.append(b.note)
    if b.nonnegative is None:
        neg = _negative_point(objective, x0q, rq, prec)
        if neg is not None:
            w, vhi = neg
            cert["negative_point"] = {"point": _pt(w), "L_upper": vhi}
            parts.append(f"L(w) ≤ {_f(vhi)} < 0 at w = {[float(v) for v in w]} in the ball (certified): Chatterjee's "
                         "theorem assumes L ≥ 0, which fails here" + (", and x0 is no minimiser" if zero else ""))
        else:
            parts.append("L ≥ 0 on the ball is not certified (Chatterjee's theorem assumes it)")
    bnb = b.methods.get("bnb") or {}
    if bnb.get("budget_exhausted"):
        parts.append(f"branch-and-bound stopped at its budget ({bnb.get('boxes')} boxes): raise max_boxes, or try a "
                     "smaller/larger r")
    elif bnb:
        parts.append("branch-and-bound finished within its budget (raising max_boxes will not help): try a "
                     "smaller/larger r")
    else:
        parts.append(f"the lower bound is from {b.lower_method} (no branch-and-bound ran): try a smaller/larger r")
    return Result(Verdict.INCONCLUSIVE, margin=None, elapsed=time.perf_counter() - t0, message="; ".join(parts),
                  **common)


def hessian_norm_sup(objective, x0, r, prec: int = 128) -> Fraction:
    """A certified upper bound of β = sup_{B(x0,r)} ‖∇²L‖_op: the Hessian enclosed over the box
    [x0 − r, x0 + r]^p ⊇ B(x0, r), then ``‖H‖_op ≤ min(‖|H|‖_F, ‖|H|‖_∞)`` entrywise on upper bounds
    (‖H‖₂ ≤ ‖H‖_∞ for symmetric H). Raises EnclosureError when the enclosure is not finite."""
    x0q, rq = _check_ball(objective, x0, r)
    objective = exact_objective(objective)
    prec = validate.precision(prec)
    a = get_arith("ball", prec)
    H = objective.hessian(_box(x0q, [rq] * len(x0q), prec), a, prec)
    if not all(H[i, j].is_finite() for i in range(H.shape[0]) for j in range(H.shape[1])):
        raise EnclosureError(f"the Hessian has no finite enclosure over the box [x0 − r, x0 + r] at {prec} bits")
    absu = [[_upper_endpoint(abs(H[i, j])) for j in range(H.shape[1])] for i in range(H.shape[0])]
    inf_norm = max(sum(row) for row in absu)
    fro2 = sum(v * v for row in absu for v in row)
    with _ArbPrec(prec):
        fro = _upper_endpoint(arb(fmpq(fro2.numerator, fro2.denominator)).sqrt())
    return min(inf_norm, fro)


def _sqrt_upper(q: Fraction, prec) -> Fraction:
    """A rational s ≥ √q (q ≥ 0), enclosed in Arb at ``prec`` bits."""
    with _ArbPrec(prec):
        return _upper_endpoint(arb(fmpq(q.numerator, q.denominator)).sqrt())


def _simplest_in(lo: Fraction, hi: Fraction, depth: int = 0) -> Fraction:
    """The rational with the smallest denominator in [lo, hi], 0 < lo ≤ hi (continued fractions);
    after 64 levels (never reached for hi/lo ≥ 2) ``lo`` itself."""
    fl = lo.numerator // lo.denominator
    if fl == lo:
        return lo
    if fl + 1 <= hi:
        return Fraction(fl + 1)
    if depth >= 64:
        return lo
    return fl + 1 / _simplest_in(1 / (hi - fl), 1 / (lo - fl), depth + 1)


def chatterjee_gd(objective, x0, r, eta=None, *, prec: int = 128, **alpha_kw) -> Result:
    """The GD form of the criterion (docs/theory/local_pl.md §2.2): certified α lower bound, β upper bound, the
    certified lower bound η_max' of η_max = (2/β)(1 − 2√(L0/α)/r) and the contraction factor
    q = max(0, 1 − αη(1 − βη/2)) < 1.

    With ``eta`` None the step is the simplest rational in [t/2, t], t = min(1/β, η_max'/2): exact,
    > 0 and < η_max' by construction. PROVED when the gradient-flow criterion holds, 0 < η < η_max'
    and q < 1 are certified (then every iterate stays in the ball and L(x_k) ≤ q^k L(x0)); REFUTED
    when the gradient-flow criterion itself is refuted; INCONCLUSIVE otherwise (with the reason).
    """
    t0 = time.perf_counter()
    x0q, rq = _check_ball(objective, x0, r)
    objective = exact_objective(objective)
    prec = validate.precision(prec)
    eta_user = None if eta is None else check_eta(eta)
    base = chatterjee(objective, x0q, rq, prec=prec, **alpha_kw)
    if base.verdict != Verdict.PROVED:
        base.claim = "GD criterion: " + base.claim
        return base
    cert = dict(base.certificate)
    a_lo = cert["alpha"][0]
    L0 = cert["L0"][1]
    claim = ("GD criterion (docs/theory/local_pl.md §2.2): 4L(x0) < r²α and 0 < η < η_max, hence "
             "L(x_k) ≤ q^k L(x0) with q < 1")

    def inconclusive(msg):
        return Result(Verdict.INCONCLUSIVE, claim=claim, certificate=cert, arithmetic="ball", precision=prec,
                      elapsed=time.perf_counter() - t0, message=msg)

    try:
        beta = hessian_norm_sup(objective, x0q, rq, prec)
    except (VerifyError, ArithmeticError) as exc:
        return inconclusive(f"the gradient-flow criterion holds, but β = sup ‖∇²L‖ over the ball could not be "
                            f"bounded ({exc})")
    beta_used = beta if beta > 0 else Fraction(1)  # any upper bound of β is valid
    s, sprec = Fraction(0), prec
    if L0 > 0:
        for k in range(SQRT_PRECISION_STEPS):
            sprec = min(prec * 2**k, validate.MAX_PREC)
            s = _sqrt_upper(L0 / a_lo, sprec)
            if certainly_lt(2 * s, rq):
                break
        else:
            return inconclusive(f"η_max > 0 holds exactly (4L(x0) < r²α), but 1 − 2√(L0/α)/r could not be "
                                f"certified positive with √ enclosed at up to {sprec} bits; raise prec")
    eta_max = (2 / beta_used) * (1 - 2 * s / rq)
    cert.update({"beta_upper": beta, "beta_used": beta_used, "eta_max": eta_max, "sqrt_upper": s,
                 "sqrt_precision": sprec})
    if eta_user is None:
        t = min(1 / beta_used, eta_max / 2)
        q_eta = _simplest_in(t / 2, t)
    else:
        q_eta = eta_user
    cert["eta"] = q_eta
    if not (decide(q_eta, ">", 0) is True and decide(q_eta, "<", eta_max) is True):
        return inconclusive(f"η = {_f(q_eta)} is not below the certified lower bound η_max ≥ {_f(eta_max)} (β ≤ "
                            f"{_f(beta)}, α ≥ {_f(a_lo)}); a smaller η is covered")
    q_formula = 1 - a_lo * q_eta * (1 - beta_used * q_eta / 2)
    qf = max(q_formula, Fraction(0))
    cert.update({"q": qf, "q_formula": q_formula, "path_length_bound": 2 * s / (1 - beta_used * q_eta / 2)})
    if decide(qf, "<", 1) is not True:  # cannot happen with α' > 0 and 0 < η < 2/β'; never PROVED with q ≥ 1
        return inconclusive(f"q = {_f(qf)} is not certified < 1: no linear convergence is claimed")
    scope = make_scope("gradient descent x_(k+1) = x_k − η∇L(x_k) from x0 with this η: every iterate and step "
                       "segment in the closed ball B(x0, r), L(x_k) ≤ q^k L(x0) for all k ≥ 0", count=1,
                       ball={"x0": _pt(x0q), "r": rq}, eta=q_eta, q=qf, precision=prec, sqrt_precision=sprec,
                       alpha_method=cert["alpha_lower_method"], boxes=base.scope.get("boxes"))
    eta_txt = _exact_txt(q_eta) if q_eta.denominator < 10**6 else _f(q_eta)
    if L0 == 0:
        a_txt = "= +∞ (L ≡ 0 on the ball)" if a_lo == ALPHA_EMPTY else f"≥ {_f(a_lo)} > 0"
        msg = (f"L(x0) = 0 and α {a_txt}: x0 minimises L on the ball, ∇L(x0) = 0 and GD stays at x0 for "
               f"every step; with η = {eta_txt}: L(x_k) = 0 (q = {_q_str(qf)})")
    else:
        msg = (f"α ≥ {_f(a_lo)}, β ≤ {_f(beta_used)}, η_max ≥ {_f(eta_max)}; with η = {eta_txt}: every iterate "
               f"stays in B(x0, r) and L(x_k) ≤ q^k L(x0), q = {_q_str(qf)} < 1")
    return Result(Verdict.PROVED, claim=claim, quantity=Quantity("q", qf), margin=eta_max - q_eta, certificate=cert,
                  arithmetic="ball", precision=prec, elapsed=time.perf_counter() - t0, message=msg, scope=scope)


__all__ = ["chatterjee", "chatterjee_gd", "hessian_norm_sup"]
