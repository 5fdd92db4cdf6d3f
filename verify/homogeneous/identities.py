"""Positive homogeneity of bias-free networks (Kumar & Haupt, arXiv:2509.12154 §2.1, claims C1, C2).

For a bias-free MLP ``H(x; w) = W_D σ_{D−1}(W_{D−1} … σ_1(W_1 x))`` whose activations are positively
homogeneous of degrees p_l (σ_l(cz) = c^{p_l} σ_l(z) for c > 0), H is homogeneous in each block:
``H(x; …, c W_l, …) = c^{k_l} H`` with ``k_l = Π_{j ≥ l} p_j`` (k_D = 1), and in all weights at once
with degree ``L = Σ_l k_l`` (``net.block_degrees``, ``net.homogeneity_degree``).

* C2 (homogeneity): ``H(x; c·w) = c^L H(x; w)`` for c > 0;
* C1 (Euler's identity, where H is differentiable): ``<w, ∇_w H(x; w)> = L·H(x; w)`` and, per block,
  ``<W_l, ∇_{W_l} H> = k_l H``.

Biases break homogeneity (negative control): with an output bias b_D,
``<θ, ∇_θ H> − 2H = −b_D`` for a two-layer ReLU net.

Functions here compute the residuals in any arithmetic and turn them into verdicts with
:func:`verify.certify.zero_test`: exact rational arithmetic PROVES or REFUTES an instance; ball
arithmetic REFUTES (an enclosure excluding 0) or SUPPORTS with a certified bound |residual| ≤ ε.
:func:`prove_homogeneity_symbolic` proves C2 for *all* x, w and c > 0 of a small architecture.
"""

from __future__ import annotations

import itertools
import time
from fractions import Fraction

import numpy as np
import sympy as sp

from .. import validate as V
from ..arith import get_arith
from ..certify import zero_test
from ..errors import InputError, ShapeError, SizeLimitError
from ..models.dataset import Dataset
from ..models.layerwise import Layerwise
from ..models.mlp import MLP
from ..numbers import to_fraction
from ..result import Quantity, Result, Verdict, make_scope

__all__ = ["euler_residuals", "homogeneity_residuals", "check_euler_identity", "check_homogeneity",
           "prove_homogeneity_symbolic"]


def _degree_fraction(d, what) -> Fraction:
    """An exact rational degree (degrees are ints or sympy Rationals by construction; no rounding)."""
    d = sp.sympify(d)
    if not d.is_Rational:
        raise InputError(f"{what} must be rational, got {d}")
    return Fraction(int(d.p), int(d.q))


def _resolve_degree(net: MLP, degree):
    if degree is not None:
        return to_fraction(degree, what="degree"), None
    L = net.homogeneity_degree
    if L is None:
        why = ("it has biases" if net.bias else
               "activation(s) " + ", ".join(a.name for a in net.activations if a.homogeneity_degree is None)
               + " are not positively homogeneous")
        raise InputError(f"{net!r} is not positively homogeneous: {why}. Pass degree=L to test a claimed "
                         "degree anyway (e.g. as a negative control).")
    return _degree_fraction(L, "the homogeneity degree"), [_degree_fraction(k, "a block degree")
                                                           for k in net.block_degrees]


def _inputs(net: MLP, X, theta, a):
    if isinstance(X, Dataset):
        X = X.X_exact
    Xs = np.asarray(X, dtype=object)
    if Xs.ndim == 1:
        Xs = Xs.reshape(1, -1)
    if Xs.ndim != 2 or Xs.shape[1] != net.input_dim:
        raise ShapeError(f"X must be (n, {net.input_dim}) for this network, got shape {np.shape(X)}")
    net.check_theta_shape(theta)
    with a.context():
        return a.array(Xs, what="X"), a.array(theta, what="θ")


def _arith(arith, prec):
    return get_arith(arith, None if prec is None else V.precision(prec))


def euler_residuals(net: MLP, X, theta, arith="ball", prec=None, degree=None) -> dict:
    """Residuals of Euler's identity at each data point and output.

    Returns ``{"total": R (n × k), "blocks": {name: R_l}, "outputs": H (n × k)}`` with
    ``R = <θ, ∇_θ H> − L·H`` and ``R_l = <W_l, ∇_{W_l} H> − k_l H`` (blocks only when the degrees are
    the network's own, i.e. ``degree`` is None).
    """
    a = _arith(arith, prec)
    L, kd = _resolve_degree(net, degree)
    Xa, th = _inputs(net, X, theta, a)
    eng = Layerwise(net, a)
    with a.context():
        fw = eng.forward(th, Xa, 1)
        F = fw["z"][eng.D]
        n, k = F.shape
        J = eng.jacobian(th, Xa, fw)  # (n·k) × p, public parameter order
        col = th.reshape(-1, 1)
        total = a.matmul(J, col).reshape(n, k) - a.const(L) * F
        blocks = {}
        if kd is not None:
            for l, kl in zip(range(1, net.depth + 1), kd):
                s = net.block(f"W{l}").slice
                blocks[f"W{l}"] = a.matmul(J[:, s], col[s]).reshape(n, k) - a.const(kl) * F
    return {"total": total, "blocks": blocks, "outputs": F, "degree": L, "block_degrees": kd}


def homogeneity_residuals(net: MLP, X, theta, c, arith="ball", prec=None, degree=None) -> dict:
    """``H(X; c·θ) − c^L H(X; θ)`` (n × k) for a scale c > 0 (``c`` rational, or a ball)."""
    a = _arith(arith, prec)
    L, _ = _resolve_degree(net, degree)
    Xa, th = _inputs(net, X, theta, a)
    with a.context():
        ca = a.from_input(c, what="c")
        if a.side(ca, Fraction(0)) != 1:
            raise InputError(f"the scale c must be > 0, got {c!r}")
        eng = Layerwise(net, a)
        F = eng.outputs(th, Xa)
        Fc = eng.outputs(th * ca, Xa)
        return {"residual": Fc - a.pow_rational(ca, L) * F, "outputs": F, "degree": L}


def _deg(L) -> str:
    s = str(L)
    return s if "/" not in s else f"({s})"


def _instance_text(net, n, a) -> str:
    return f"{net!r}, n={n}, {a.name}{f'@{a.prec}' if a.prec is not None else ''}"


def _data_rows(net, X) -> np.ndarray:
    return X.X_exact if isinstance(X, Dataset) else np.asarray(X, dtype=object).reshape(-1, net.input_dim)


def _verdict_result(claim, instance, zt, R, a, t0, qname, X, theta, extra_cert, certificate_scope, entries=None):
    """A Result from a :func:`~verify.certify.zero_test` of the residuals ``R`` (any arithmetic: a
    certified one can PROVE or REFUTE, an uncertified one only SUPPORT)."""
    arith = a.name
    cert = {"arithmetic": arith, "scope": certificate_scope, **extra_cert}
    ub = zt.max_abs_upper
    if not a.certified:
        quantity = Quantity(qname, value=ub)
    elif ub is None:
        quantity = Quantity(qname)
    else:
        quantity = Quantity(qname, value=ub if ub == 0 else None, enclosure=(Fraction(0), ub))
    counterexample = None
    margin = Fraction(0) if zt.verdict is Verdict.PROVED else None
    n_entries = int(np.size(R)) if entries is None else entries  # residual entries tested
    n_points = int(np.shape(R)[0]) if np.ndim(R) else 1
    scope = {}
    if zt.verdict is Verdict.PROVED:
        scope = make_scope(f"the identity at {certificate_scope}: {n_entries} residual entries over {n_points} data "
                           f"point(s), each exactly 0", count=n_entries, points=n_points, arithmetic=arith)
    elif zt.verdict is Verdict.REFUTED:
        i, o = int(zt.witness[0]), int(zt.witness[1])
        margin = -zt.witness_lower  # positive = holds; an equality fails by at least this much
        counterexample = {"data_point": i, "output": o, "x": np.asarray(X, dtype=object)[i],
                          "theta": np.asarray(theta, dtype=object), "residual": R.reshape(np.shape(R))[i, o]}
        scope = make_scope(f"the counterexample: data point {i}, output {o} ({certificate_scope})", count=1,
                           points=[i], arithmetic=arith)
    elif zt.verdict is Verdict.SUPPORTED:
        margin = Fraction(0)
    return Result(zt.verdict, claim=claim, instance=instance, quantity=quantity, margin=margin,
                  certificate=cert, counterexample=counterexample, arithmetic=arith,
                  precision=a.prec,
                  elapsed=time.perf_counter() - t0, message=zt.message, scope=scope)


def check_euler_identity(net: MLP, X, theta, arith="ball", prec=None, degree=None) -> Result:
    """C1: ``<θ, ∇_θ H(x; θ)> = L·H(x; θ)`` at every data point (and per block ``k_l``).

    ``exact`` (rational θ, X; polynomial pieces) → PROVED/REFUTED for this instance;
    ``ball`` → REFUTED if an enclosure excludes 0, else SUPPORTED with the certified bound.
    """
    t0 = time.perf_counter()
    a = _arith(arith, prec)
    res = euler_residuals(net, X, theta, a, prec, degree)
    parts = [res["total"]] + list(res["blocks"].values())
    stacked = np.stack(parts)  # (1 + D) × n × k
    zt = zero_test(stacked, a, tol=1e-9)
    Xarr = _data_rows(net, X)
    if zt.verdict is Verdict.REFUTED:
        part = int(zt.witness[0])
        zt.witness = zt.witness[1:]
        R = parts[part]
        what = "total" if part == 0 else list(res["blocks"])[part - 1]
    else:
        R, what = res["total"], None
    L = res["degree"]
    cert = {"degree": L, "block_degrees": res["block_degrees"], "failing_part": what}
    return _verdict_result(
        f"C1 Euler identity <θ,∇H> = {_deg(L)}·H" + (" (and per block)" if res["blocks"] else ""),
        _instance_text(net, len(Xarr), a), zt, R, a, t0, "max |<θ,∇H> − L·H|", Xarr, theta, cert,
        "this θ and these inputs", entries=int(stacked.size))


def check_homogeneity(net: MLP, X, theta, c, arith="ball", prec=None, degree=None) -> Result:
    """C2: ``H(x; c·θ) = c^L H(x; θ)`` at every data point, for one scale c > 0."""
    t0 = time.perf_counter()
    a = _arith(arith, prec)
    res = homogeneity_residuals(net, X, theta, c, a, prec, degree)
    zt = zero_test(res["residual"], a, tol=1e-9)
    Xarr = _data_rows(net, X)
    L = res["degree"]
    return _verdict_result(
        f"C2 homogeneity H(x;cθ) = c^{_deg(L)}·H(x;θ)", _instance_text(net, len(Xarr), a) + f", c={c}",
        zt, res["residual"], a, t0, "max |H(x;cθ) − c^L H(x;θ)|", Xarr, theta,
        {"degree": L, "c": to_fraction(c, what="c") if not hasattr(c, "mid") else c},
        "this θ, this c and these inputs")


def prove_homogeneity_symbolic(net: MLP, max_patterns: int = 4096) -> Result:
    """C2 for *all* inputs x, weights w and scales c > 0, by a symbolic proof.

    For every activation pattern s (a choice, per hidden neuron, of one piece of its activation or
    its value at a breakpoint), the network restricted to s is an explicit expression H_s. With
    d_1 = 1 and d_{l+1} = 1 + p_l d_l, we check with sympy that every pre-activation satisfies
    z_{l,s}(c·w) ≡ c^{d_l} z_{l,s}(w) and the outputs H_s(c·w) ≡ c^L H_s(w). Since c^{d_l} > 0,
    scaling keeps every pre-activation's sign, hence the pattern (all breakpoints are 0), so the
    identities on every pattern prove H(x; cw) = c^L H(x; w) everywhere. Verdict PROVED
    (arithmetic "symbolic") or INCONCLUSIVE if sympy cannot reduce a difference to 0.
    """
    t0 = time.perf_counter()
    max_patterns = V.positive_int(max_patterns, "max_patterns")
    if not isinstance(net, MLP):
        raise InputError(f"expected a verify.MLP, got {type(net).__name__}")
    if net.homogeneity_degree is None:
        _resolve_degree(net, None)  # raises the explanatory error
    L = sp.sympify(net.homogeneity_degree)  # an exact int or Rational
    acts = net.activations
    states = []
    for act in acts:
        opts = list(dict.fromkeys([*act.pieces, *act.at_breakpoints]))
        states.append(opts)
    hidden = [net.widths[l] for l in range(1, net.depth)]
    count = 1
    for l, m in enumerate(hidden):
        count *= len(states[l]) ** m
    if count > max_patterns:
        raise SizeLimitError(f"the symbolic proof would enumerate {count} activation patterns (limit "
                             f"{max_patterns}); use a narrower architecture or check instances with "
                             "check_homogeneity(..., arith='exact')")
    from ..models.activation import Z

    c = sp.Symbol("c", positive=True)
    xs = [sp.Symbol(f"x{i}", real=True) for i in range(net.input_dim)]
    th = net.symbols
    thc = [c * s for s in th]
    degs = [sp.Integer(1)]
    for act in acts:
        degs.append(1 + sp.sympify(act.homogeneity_degree) * degs[-1])  # d_{l+1} = 1 + p_l d_l
    if sp.simplify(degs[-1] - L) != 0:  # cannot happen for L = Σ k_l; never PROVED if it did
        return Result(Verdict.INCONCLUSIVE, claim=f"C2 homogeneity of degree {_deg(L)} (all x, w, c>0)",
                      instance=f"{net!r}", arithmetic="symbolic", elapsed=time.perf_counter() - t0,
                      message=f"degree bookkeeping: the pre-activation degrees give {degs[-1]}, not L = {L}")
    choices = [range(len(states[l])) for l, m in enumerate(hidden) for _ in range(m)]
    checked = 0
    for pattern in itertools.product(*choices):
        it = iter(pattern)
        h, hc = list(xs), list(xs)
        for l in range(1, net.depth + 1):
            W = net.block(f"W{l}")
            m, mp = W.shape
            z = [sp.Add(*[th[W.slice][r * mp + q] * h[q] for q in range(mp)]) for r in range(m)]
            zc = [sp.Add(*[thc[W.slice][r * mp + q] * hc[q] for q in range(mp)]) for r in range(m)]
            target = degs[l - 1]
            for zi, zci in zip(z, zc):
                if sp.expand(zci - c**target * zi) != 0:
                    return Result(Verdict.INCONCLUSIVE, claim=f"C2 homogeneity of degree {_deg(L)} (all x, w, c>0)",
                                  instance=f"{net!r}", arithmetic="symbolic",
                                  message=f"sympy could not reduce a layer-{l} difference to 0 on pattern "
                                          f"{pattern}; check instances with check_homogeneity(...) instead",
                                  elapsed=time.perf_counter() - t0)
            if l < net.depth:
                # proved above: z(c·w) = c^d z(w); continue from that form so that sympy can pull the
                # positive factor c^d out of non-integer powers on the pieces
                sel = [states[l - 1][next(it)] for _ in range(m)]
                h = [e.subs(Z, zi) for e, zi in zip(sel, z)]
                hc = [e.subs(Z, c**target * zi) for e, zi in zip(sel, z)]
        checked += 1
    scope = make_scope(f"all inputs x, all weights w and all scales c > 0 of {net!r}: each of the {checked} "
                       "activation patterns (one piece or breakpoint value per hidden neuron)", count=checked,
                       patterns=checked, widths=list(net.widths))
    return Result(Verdict.PROVED, claim=f"C2 homogeneity H(x;cw) = c^{_deg(L)}·H(x;w) for all x, w, c > 0",
                  instance=f"{net!r}", quantity=Quantity("activation patterns checked", checked), scope=scope,
                  margin=Fraction(0), arithmetic="symbolic",
                  certificate={"method": "per-pattern symbolic identity of every pre-activation and output",
                               "pre_activation_degrees": [str(d) for d in degs], "degree": str(L),
                               "patterns": checked},
                  elapsed=time.perf_counter() - t0,
                  message=f"identity holds on all {checked} activation patterns (sympy expand)")
