"""Positive homogeneity of bias-free networks (Kumar & Haupt, arXiv:2509.12154;
``docs/theory/homogeneous_np.md`` §2.1, claims C1, C2).

A network H(x; w) (any :class:`~verify.models.nn.Sequential`: ``vf.MLP``, or convolutions, pooling,
Flatten and residual blocks) is positively homogeneous when its dense/convolution layers are bias-free,
its activations positively homogeneous (σ(cz) = c^p σ(z) for c > 0) and every residual branch has the
degree of its input. Then H is homogeneous in each parameterised layer: ``H(x; …, c W_l, …) = c^{k_l} H``
and in all weights at once with degree ``L`` (``net.block_degrees``, ``net.homogeneity_degree``). For a
bias-free MLP with activation degrees p_l, k_l = Π_{j ≥ l} p_j and L = Σ_l k_l; max and average pooling
and Flatten keep degrees, a convolution adds 1 like a dense layer.

* C2 (homogeneity): ``H(x; c·w) = c^L H(x; w)`` for c > 0;
* C1 (Euler's identity, where H is differentiable): ``<w, ∇_w H(x; w)> = L·H(x; w)`` and, per
  parameterised layer, ``<W_l, ∇_{W_l} H> = k_l H``.

Biases break homogeneity (negative control): with an output bias b_D,
``<θ, ∇_θ H> − 2H = −b_D`` for a two-layer ReLU net.

Functions here compute the residuals in any arithmetic (outputs and the Jacobian ∂H/∂θ from the network's
objective, θ's blocks from ``net.layout``) and turn them into verdicts with
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
from ..errors import InputError, SizeLimitError
from ..numbers import to_fraction
from ..result import Quantity, Result, Verdict, make_scope
from ._net import data_rows, outputs_objective, require_network, why_not_homogeneous

__all__ = ["euler_residuals", "homogeneity_residuals", "check_euler_identity", "check_homogeneity",
           "prove_homogeneity_symbolic"]


def _degree_fraction(d, what) -> Fraction:
    """An exact rational degree (degrees are ints or sympy Rationals by construction; no rounding)."""
    d = sp.sympify(d)
    if not d.is_Rational:
        raise InputError(f"{what} must be rational, got {d}")
    return Fraction(int(d.p), int(d.q))


def _resolve_degree(net, degree):
    require_network(net)
    if degree is not None:
        return to_fraction(degree, what="degree"), None
    L = net.homogeneity_degree
    if L is None:
        raise InputError(f"{net!r} is not positively homogeneous: {why_not_homogeneous(net)}. Pass degree=L to test "
                         "a claimed degree anyway (e.g. as a negative control).")
    return _degree_fraction(L, "the homogeneity degree"), [_degree_fraction(k, "a block degree")
                                                           for k in net.block_degrees]


def _layer_blocks(net) -> list:
    """[(name, [ParamBlock, …])] per parameterised layer, in the order of ``net.block_degrees``; the name is
    the block's (``W2``) when the layer has one block, else ``layer2``."""
    by_layer = {}
    for b in net.layout.blocks:
        by_layer.setdefault(b.layer, []).append(b)
    return [(blks[0].name if len(blks) == 1 else f"layer{l}", blks) for l, blks in sorted(by_layer.items())]


def _arith(arith, prec):
    return get_arith(arith, None if prec is None else V.precision(prec))


def _setup(net, X, theta, a):
    require_network(net)
    rows = data_rows(net, X)
    net.check_theta_shape(theta)
    return rows, outputs_objective(net, rows)


def euler_residuals(net, X, theta, arith="ball", prec=None, degree=None) -> dict:
    """Residuals of Euler's identity at each data point and output.

    Returns ``{"total": R (n × k), "blocks": {name: R_l}, "outputs": H (n × k)}`` with
    ``R = <θ, ∇_θ H> − L·H`` and ``R_l = <W_l, ∇_{W_l} H> − k_l H`` for each parameterised layer (blocks
    only when the degrees are the network's own, i.e. ``degree`` is None). ``X``: (n, d), ``(n, *input_shape)``,
    one point, or a Dataset.
    """
    a = _arith(arith, prec)
    L, kd = _resolve_degree(net, degree)
    _, obj = _setup(net, X, theta, a)
    F = obj.outputs(theta, a)
    J = obj.jacobian(theta, a)  # (n·k) × p, the public parameter order
    with a.context():
        th = a.array(theta, what="θ")
        n, k = F.shape
        col = th.reshape(-1, 1)
        total = a.matmul(J, col).reshape(n, k) - a.const(L) * F
        blocks = {}
        if kd is not None:
            for (name, blks), kl in zip(_layer_blocks(net), kd):
                acc = None
                for b in blks:
                    t = a.matmul(J[:, b.slice], col[b.slice])
                    acc = t if acc is None else acc + t
                blocks[name] = acc.reshape(n, k) - a.const(kl) * F
    return {"total": total, "blocks": blocks, "outputs": F, "degree": L, "block_degrees": kd}


def homogeneity_residuals(net, X, theta, c, arith="ball", prec=None, degree=None) -> dict:
    """``H(X; c·θ) − c^L H(X; θ)`` (n × k) for a scale c > 0 (``c`` rational, or a ball)."""
    a = _arith(arith, prec)
    L, _ = _resolve_degree(net, degree)
    _, obj = _setup(net, X, theta, a)
    with a.context():
        ca = a.from_input(c, what="c")
        if a.side(ca, Fraction(0)) != 1:
            raise InputError(f"the scale c must be > 0, got {c!r}")
        th = a.array(theta, what="θ")
        thc = th * ca  # in the arithmetic's context (ball products at its precision)
    F = obj.outputs(th, a)
    Fc = obj.outputs(thc, a)
    with a.context():
        return {"residual": Fc - a.pow_rational(ca, L) * F, "outputs": F, "degree": L}


def _deg(L) -> str:
    s = str(L)
    return s if "/" not in s else f"({s})"


def _instance_text(net, n, a) -> str:
    return f"{net!r}, n={n}, {a.name}{f'@{a.prec}' if a.prec is not None else ''}"


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


def check_euler_identity(net, X, theta, arith="ball", prec=None, degree=None) -> Result:
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
    Xarr = data_rows(net, X)
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


def check_homogeneity(net, X, theta, c, arith="ball", prec=None, degree=None) -> Result:
    """C2: ``H(x; c·θ) = c^L H(x; θ)`` at every data point, for one scale c > 0."""
    t0 = time.perf_counter()
    a = _arith(arith, prec)
    res = homogeneity_residuals(net, X, theta, c, a, prec, degree)
    zt = zero_test(res["residual"], a, tol=1e-9)
    Xarr = data_rows(net, X)
    L = res["degree"]
    return _verdict_result(
        f"C2 homogeneity H(x;cθ) = c^{_deg(L)}·H(x;θ)", _instance_text(net, len(Xarr), a) + f", c={c}",
        zt, res["residual"], a, t0, "max |H(x;cθ) − c^L H(x;θ)|", Xarr, theta,
        {"degree": L, "c": to_fraction(c, what="c") if not hasattr(c, "mid") else c},
        "this θ, this c and these inputs")


def _site_degrees(net) -> dict:
    """The degree in c of the input of every activation/max-pool site when all weights are scaled by c > 0
    (exact sympy numbers), from the layers' own degree rules; site index → degree."""
    out = {}

    def walk(layers, d):
        for layer in layers:
            if layer.kind == "residual":
                walk(layer.block, d)
            else:
                for s in layer.sites():
                    out[s.index] = sp.sympify(d)
            d = layer.degree(d, lambda _layer: True)  # all weights scaled
            if d is None:
                return None
        return d

    walk(net.layers, 0)
    return out


def _site_options(layer) -> list:
    """The alternatives at one entry of a site: each piece of the activation and its values at the
    breakpoints (deduplicated), or each position of a max-pool window."""
    if layer.kind == "act":
        return list(dict.fromkeys([*layer.sigma.pieces, *layer.sigma.at_breakpoints]))
    return list(range(int(np.prod(layer.kernel))))


def _pattern_ops(choices, options, c, degrees, reference):
    """A sympy interpreter of the layers on one *pattern* (a flat sequence of choices consumed in site
    order: a piece or breakpoint value per activation entry, a window position per max-pool window).
    ``reference`` None: record every site's input. Otherwise (the pass at c·w): check that each site's
    input is identically c^d times the recorded one (d its degree) and continue from that proved form, so
    that sympy can pull the positive factor c^d out of non-integer powers on the pieces; the first site where
    sympy cannot reduce the difference to 0 is kept in ``failure`` (site, degree)."""
    from ..models.activation import Z
    from ..models.nn.ops import SymbolicOps

    it = iter(choices)

    class Ops(SymbolicOps):
        recorded = {}
        failure = None

        def _canonical(self, x, site):
            if reference is None:
                self.recorded[site.index] = x
                return x
            ref, d = reference[site.index], degrees[site.index]
            if self.failure is not None:
                return x
            for xv, rv in zip(x.reshape(-1), ref.reshape(-1)):
                if sp.expand(xv - c**d * rv) != 0:
                    self.failure = (site, d)
                    return x
            out = np.empty(x.shape, dtype=object)
            out.reshape(-1)[:] = [c**d * rv for rv in ref.reshape(-1)]
            return out

        def act(self, x, sigma, k=0, site=None):
            x = self._canonical(x, site)
            opts = options[site.index]
            out = np.empty(x.shape, dtype=object)
            for idx, v in np.ndenumerate(x):
                e = opts[next(it)]
                out[idx] = e.xreplace({Z: v}) if isinstance(e, sp.Basic) else sp.sympify(e)
            return out

        def window_max(self, x, site=None, const_of=None):
            x = self._canonical(x, site)
            out = np.empty(x.shape[:-1], dtype=object)
            for w in np.ndindex(*x.shape[:-1]):
                out[w] = x[(*w, next(it))]
            return out, None

    ops = Ops()
    ops.recorded = {}
    return ops


def prove_homogeneity_symbolic(net, max_patterns: int = 4096) -> Result:
    """C2 for *all* inputs x, weights w and scales c > 0, by a symbolic proof.

    For every pattern s — per activation entry one piece of its activation or its value at a breakpoint,
    per max-pooling window one position — the network restricted to s is an explicit expression H_s (the
    layers' own forward definition, interpreted in sympy). With d the degree of a site's input (d = 1 for
    the first hidden layer of an MLP, d_{l+1} = 1 + p_l d_l; pooling and Flatten keep it), we check with
    sympy that every site input satisfies z_s(c·w) ≡ c^d z_s(w) and the outputs H_s(c·w) ≡ c^L H_s(w).
    Since c^d > 0, scaling keeps every activation input's sign (all breakpoints of a positively homogeneous
    activation are 0) and the order inside every max-pooling window (its entries share one degree), hence
    the pattern valid at (x, w) stays valid at (x, c·w); so the identities on every pattern prove
    H(x; cw) = c^L H(x; w) everywhere. Verdict PROVED (arithmetic "symbolic") or INCONCLUSIVE if sympy
    cannot reduce a difference to 0.
    """
    t0 = time.perf_counter()
    max_patterns = V.positive_int(max_patterns, "max_patterns")
    require_network(net)
    if net.homogeneity_degree is None:
        _resolve_degree(net, None)  # raises the explanatory error
    L = sp.sympify(net.homogeneity_degree)  # an exact int or Rational
    claim = f"C2 homogeneity H(x;cw) = c^{_deg(L)}·H(x;w) for all x, w, c > 0"
    site_layers = [layer for layer in net.all_layers if layer.kind in ("act", "maxpool")]
    options = {layer.sites()[0].index: _site_options(layer) for layer in site_layers}
    choices, count = [], 1
    for layer in site_layers:
        nopt = len(options[layer.sites()[0].index])
        entries = int(np.prod(layer.in_shape)) if layer.kind == "act" else int(np.prod(layer.out_shape))
        choices += [range(nopt)] * entries
        count *= nopt ** entries
    if count > max_patterns:
        raise SizeLimitError(f"the symbolic proof would enumerate {count} activation patterns (limit "
                             f"{max_patterns}); use a smaller architecture or check instances with "
                             "check_homogeneity(..., arith='exact')")
    degrees = _site_degrees(net)
    c = sp.Symbol("c", positive=True)
    xs = np.empty((1, *net.input_shape), dtype=object)
    xs.reshape(-1)[:] = [sp.Symbol(f"x{i}", real=True) for i in range(net.input_dim)]
    th = np.empty(net.n_params, dtype=object)
    th[:] = net.symbols
    P, Pc = net.layout.split(th), net.layout.split(th * c)
    checked = 0
    for pattern in itertools.product(*choices):
        ops = _pattern_ops(pattern, options, c, degrees, None)
        H = net.forward(ops, P, xs).reshape(-1)
        scaled = _pattern_ops(pattern, options, c, degrees, ops.recorded)
        Hc = net.forward(scaled, Pc, xs).reshape(-1)
        if scaled.failure is not None:
            site, d = scaled.failure
            return Result(Verdict.INCONCLUSIVE, claim=claim, instance=f"{net!r}", arithmetic="symbolic",
                          message=f"sympy could not reduce z(c·w) − c^{d}·z(w) to 0 at the input of {site.label} on "
                                  f"pattern {pattern}; check instances with check_homogeneity(...) instead",
                          elapsed=time.perf_counter() - t0)
        bad = next((o for o, (hc, h) in enumerate(zip(Hc, H)) if sp.expand(hc - c**L * h) != 0), None)
        if bad is not None:
            return Result(Verdict.INCONCLUSIVE, claim=claim, instance=f"{net!r}", arithmetic="symbolic",
                          message=f"sympy could not reduce H_{bad}(c·w) − c^{_deg(L)}·H_{bad}(w) to 0 on pattern "
                                  f"{pattern}; check instances with check_homogeneity(...) instead",
                          elapsed=time.perf_counter() - t0)
        checked += 1
    site_degs = [str(degrees[s.index]) for s in net.sites]
    scope = make_scope(f"all inputs x, all weights w and all scales c > 0 of {net!r}: each of the {checked} "
                       "patterns (one piece or breakpoint value per activation entry, one position per max-pool "
                       "window)", count=checked, patterns=checked, input_shape=list(net.input_shape))
    return Result(Verdict.PROVED, claim=claim,
                  instance=f"{net!r}", quantity=Quantity("activation patterns checked", checked), scope=scope,
                  margin=Fraction(0), arithmetic="symbolic",
                  certificate={"method": "per-pattern symbolic identity of every activation/max-pool input and "
                                         "output", "pre_activation_degrees": site_degs, "degree": str(L),
                               "patterns": checked},
                  elapsed=time.perf_counter() - t0,
                  message=f"identity holds on all {checked} patterns (sympy expand)")
