"""Small layer-graph networks of every layer type, random rational instances, and sympy references (tests).

A *case* is a named builder ``(activation, bias) -> vf.nn.Sequential`` of a small network (p ≤ ~40) whose
input is tiny (d ≤ 12), so that the sympy model (``net.symbolic``, ``loss.on_region``) stays cheap.
References are independent of the numeric interpreters: outputs from ``net.symbolic(x, θ)`` (sympy's own
evaluation of Max / Piecewise / exp), derivatives from sympy's differentiation of the analytic expression
valid on θ's region (``loss.on_region(loss.region(θ))``, or of the per-output expressions on that region),
evaluated exactly at rational θ (then rounded to ``DIGITS`` significant digits for non-rational values).
Since the sympy model runs the layers' own forward definitions, :func:`spec_outputs` recomputes outputs
from the documented semantics of each layer (and the documented order of θ) with no library code.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp
from hypothesis import assume
from hypothesis import strategies as st

import verify as vf
from verify.arith.ball import ball_bounds, contains
from verify.errors import RegionBoundaryError
from verify.models.nn.ops import SymbolicOps
from verify.numbers import to_fraction

nn = vf.nn

#: digits of sympy's numeric evaluation of non-rational references (far beyond 128-bit balls' radii)
DIGITS = 80

PIECEWISE_ACTS = ["relu", "leaky_relu(1/10)", "abs", "hardtanh", ("relu_power", "3/2")]
POLY_ACTS = ["relu", "leaky_relu(1/10)", "abs", "hardtanh", ("power", 2)]
SMOOTH_ACTS = ["tanh", "sigmoid", "softplus"]
ALL_ACTS = POLY_ACTS + SMOOTH_ACTS + [("relu_power", "3/2")]


# ============================================================================ networks of each layer type
def _dense(act, bias):  # a chain of Dense/Act on a vector: the MLP fast path
    return nn.Sequential(nn.Dense(2, bias=bias), nn.Act(act), nn.Dense(2, bias=bias), input_shape=3)


def _dense_tokens(act, bias):  # Dense on the last axis of a (T, d) input: the graph engine
    return nn.Sequential(nn.Dense(2, bias=bias), nn.Act(act), nn.Flatten(), nn.Dense(1, bias=bias),
                         input_shape=(2, 3))


def _conv1d(act, bias):
    return nn.Sequential(nn.Conv1d(1, 2, kernel=2, padding=1, bias=bias), nn.Act(act), nn.Flatten(),
                         nn.Dense(1, bias=bias), input_shape=(1, 4))


def _conv1d_stride(act, bias):
    return nn.Sequential(nn.Conv1d(2, 2, kernel=3, stride=2, padding=1, bias=bias), nn.Act(act), nn.Flatten(),
                         nn.Dense(2, bias=bias), input_shape=(2, 5))


def _conv2d(act, bias):
    return nn.Sequential(nn.Conv2d(1, 2, kernel=2, bias=bias), nn.Act(act), nn.Flatten(), nn.Dense(1, bias=bias),
                         input_shape=(1, 3, 3))


def _conv2d_stride_pad(act, bias):
    return nn.Sequential(nn.Conv2d(1, 2, kernel=(2, 3), stride=(2, 1), padding=(1, 0), bias=bias), nn.Act(act),
                         nn.Flatten(), nn.Dense(1, bias=bias), input_shape=(1, 3, 4))


def _maxpool1d(act, bias):
    return nn.Sequential(nn.Conv1d(1, 2, kernel=2, bias=bias), nn.Act(act), nn.MaxPool1d(2), nn.Flatten(),
                         nn.Dense(1, bias=bias), input_shape=(1, 5))


def _maxpool1d_stride(act, bias):  # overlapping windows
    return nn.Sequential(nn.Conv1d(1, 1, kernel=2, bias=bias), nn.Act(act), nn.MaxPool1d(3, stride=1),
                         nn.Flatten(), nn.Dense(2, bias=bias), input_shape=(1, 6))


def _maxpool2d(act, bias):
    return nn.Sequential(nn.Conv2d(1, 2, kernel=2, bias=bias), nn.Act(act), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Dense(2, bias=bias), input_shape=(1, 4, 4))


def _avgpool1d(act, bias):
    return nn.Sequential(nn.Conv1d(1, 2, kernel=2, bias=bias), nn.Act(act), nn.AvgPool1d(2), nn.Flatten(),
                         nn.Dense(1, bias=bias), input_shape=(1, 5))


def _avgpool2d(act, bias):
    return nn.Sequential(nn.Conv2d(1, 1, kernel=2, bias=bias), nn.Act(act), nn.AvgPool2d(2, stride=1),
                         nn.Flatten(), nn.Dense(2, bias=bias), input_shape=(1, 4, 4))


def _residual(act, bias):
    return nn.Sequential(nn.Dense(2, bias=bias), nn.Act(act),
                         nn.Residual([nn.Dense(2, bias=bias), nn.Act(act), nn.Dense(2, bias=bias)]),
                         nn.Dense(1, bias=bias), input_shape=2)


def _residual_conv(act, bias):
    return nn.Sequential(nn.Conv1d(1, 2, kernel=2, bias=bias), nn.Act(act),
                         nn.Residual(nn.Conv1d(2, 2, kernel=3, padding=1, bias=bias)), nn.Act(act), nn.Flatten(),
                         nn.Dense(1, bias=bias), input_shape=(1, 3))


def _attention1(act, bias):
    return nn.Sequential(nn.SelfAttention(2, heads=1, bias=bias), nn.Flatten(), input_shape=(2, 2))


def _attention2(act, bias):
    return nn.Sequential(nn.SelfAttention(2, heads=2, bias=bias), nn.Act(act), nn.Flatten(), input_shape=(2, 2))


def _attention_dk(act, bias):  # d_k given (heads·d_k ≠ d_model); an Act after the output projection
    return nn.Sequential(nn.SelfAttention(3, heads=2, d_k=1, bias=bias), nn.Act(act), nn.Flatten(),
                         input_shape=(2, 3))


def _attention_one_token(act, bias):  # softmax over one key is 1: Q and K get zero derivatives
    return nn.Sequential(nn.SelfAttention(2, heads=1, bias=bias), nn.Flatten(), input_shape=(1, 2))


def _conv_dense_last_axis(act, bias):  # Dense on the length axis of a (C, L) feature map
    return nn.Sequential(nn.Conv1d(1, 2, kernel=2, bias=bias), nn.Act(act), nn.Dense(2, bias=bias), nn.Act(act),
                         nn.Flatten(), nn.Dense(1, bias=bias), input_shape=(1, 4))


#: name -> (builder, activations it is drawn with)
CASES = {
    "dense_chain": (_dense, ALL_ACTS),
    "dense_tokens": (_dense_tokens, ALL_ACTS),
    "conv1d": (_conv1d, ALL_ACTS),
    "conv1d_stride": (_conv1d_stride, POLY_ACTS),
    "conv2d": (_conv2d, ALL_ACTS),
    "conv2d_stride_pad": (_conv2d_stride_pad, POLY_ACTS),
    "maxpool1d": (_maxpool1d, ALL_ACTS),
    "maxpool1d_stride": (_maxpool1d_stride, POLY_ACTS),
    "maxpool2d": (_maxpool2d, POLY_ACTS + SMOOTH_ACTS),
    "avgpool1d": (_avgpool1d, ALL_ACTS),
    "avgpool2d": (_avgpool2d, POLY_ACTS),
    "residual": (_residual, ALL_ACTS),
    "residual_conv": (_residual_conv, POLY_ACTS),
    "attention1": (_attention1, ["relu"]),
    "attention2": (_attention2, ["relu", "tanh", "abs"]),
    "attention_dk": (_attention_dk, ["leaky_relu(1/10)", "sigmoid"]),
    "attention_one_token": (_attention_one_token, ["relu"]),
    "conv_dense_last_axis": (_conv_dense_last_axis, POLY_ACTS + ["softplus"]),
}

#: the cases whose networks are rational on every region for a polynomial-piece activation
RATIONAL_CASES = [c for c in CASES if not c.startswith("attention")]


def rationals(den: int = 7, bound: int = 14):
    """k/den with |k| ≤ bound (den = 7: balls are genuinely inexact)."""
    return st.integers(-bound, bound).map(lambda k: Fraction(k, den))


def frac_list(draw, m, den=7, bound=14):
    return [draw(rationals(den, bound)) for _ in range(m)]


@st.composite
def instances(draw, case, acts=None, loss="square", n_max=2, interior=True, max_output=20):
    """(loss, θ) for the network ``case`` with a drawn activation and bias, rational data and θ.

    ``loss``: "square", "ce" (cross-entropy; needs ≥ 2 outputs, else a final Dense(2) is appended) or
    "logistic". ``interior``: θ strictly inside a region (no activation input on a breakpoint, no max-pool
    tie) — drawn again otherwise."""
    build, case_acts = CASES[case]
    act = draw(st.sampled_from(acts if acts is not None else case_acts))
    bias = draw(st.booleans())
    net = build(act, bias)
    if loss == "ce" and net.output_dim < 2:
        net = nn.Sequential(*net.layers, nn.Dense(2, bias=bias), input_shape=net.input_shape)
    n = draw(st.integers(1, n_max))
    X = [frac_list(draw, net.input_dim) for _ in range(n)]
    if loss == "square":
        Y = [frac_list(draw, net.output_dim) for _ in range(n)]
        norm = draw(st.sampled_from(["mean", "half_mean", "sum", "half_sum"]))
        obj = vf.SquareLoss(net, vf.Dataset(X, Y), normalization=norm)
    elif loss == "ce":
        labels = [draw(st.integers(0, net.output_dim - 1)) for _ in range(n)]
        obj = vf.CrossEntropyLoss(net, vf.Dataset(X, labels))
    else:
        if net.output_dim != 1:
            net = nn.Sequential(*net.layers, nn.Dense(1, bias=bias), input_shape=net.input_shape)
        obj = vf.LogisticLoss(net, vf.Dataset(X, [draw(st.sampled_from([-1, 1])) for _ in range(n)]))
    theta = frac_list(draw, net.n_params)
    if interior:
        try:
            obj.region(theta)
        except RegionBoundaryError:
            assume(False)
    assume(float(np.abs(obj.outputs(theta)).max()) <= max_output)
    return obj, theta


# ============================================================================ references
def rat(q) -> sp.Rational:
    q = Fraction(q)
    return sp.Rational(q.numerator, q.denominator)


def subs_of(obj, theta) -> dict:
    return {s: rat(t) for s, t in zip(obj.symbols, theta)}


def sym_outputs(net, X, theta) -> list[list]:
    """net.symbolic(x, θ) for every row of X: exact sympy numbers (Max/Piecewise/exp evaluated by sympy)."""
    return [net.symbolic(list(x), list(theta)) for x in X]


def region_outputs(obj, pattern) -> list[list]:
    """The outputs F_io as sympy expressions in the symbols of θ, valid on the region ``pattern``."""
    net = obj.net
    n = obj.data.n
    Xs = np.empty((n, *net.input_shape), dtype=object)
    Xs.reshape(n, -1)[:] = [[rat(q) for q in row] for row in obj.data.X_exact]
    syms = np.empty(net.n_params, dtype=object)
    syms[:] = net.symbols
    F = net.forward(SymbolicOps(pattern), net.layout.split(syms), Xs)
    return F.reshape(n, -1).tolist()


def loss_terms(obj, F, exp, log):
    """(L, ℓ' (list n·k), ℓ'' (list of n blocks k × k)) of the loss ``obj`` at outputs F (flat list n·k, sympy
    or mpmath numbers), written from the definitions: square s Σ (F − y)², cross-entropy
    (1/n) Σ [log Σ_c exp F_ic − F_iy], logistic (1/n) Σ log(1 + exp(−y F))."""
    n, k = obj.data.n, len(F) // obj.data.n
    rows = [F[i * k:(i + 1) * k] for i in range(n)]
    if isinstance(obj, vf.SquareLoss):
        s = rat(obj.scale)
        Y = [[rat(q) for q in row] for row in obj.data.Y_exact]
        r = [rows[i][o] - Y[i][o] for i in range(n) for o in range(k)]
        L = s * sum(x * x for x in r)
        return L, [2 * s * x for x in r], [[[2 * s if a == b else 0 for b in range(k)] for a in range(k)]
                                            for _ in range(n)]
    if isinstance(obj, vf.CrossEntropyLoss):
        L, l1, l2 = 0, [], []
        for i in range(n):
            e = [exp(f) for f in rows[i]]
            tot = sum(e)
            pr = [x / tot for x in e]
            y = int(obj.labels[i])
            L = L + (log(tot) - rows[i][y]) / n
            l1 += [(pr[c] - (1 if c == y else 0)) / n for c in range(k)]
            l2.append([[((pr[a] if a == b else 0) - pr[a] * pr[b]) / n for b in range(k)] for a in range(k)])
        return L, l1, l2
    assert isinstance(obj, vf.LogisticLoss)
    L, l1, l2 = 0, [], []
    for i in range(n):
        y = int(obj.data.Y_exact[i, 0])
        t = y * rows[i][0]
        L = L + log(1 + exp(-t)) / n
        sn, sp_ = 1 / (1 + exp(t)), 1 / (1 + exp(-t))
        l1.append(-y * sn / n)
        l2.append([[sn * sp_ / n]])
    return L, l1, l2


class Reference:
    """Sympy reference for a network loss at a rational θ strictly inside a region.

    The outputs F_io(θ) on θ's region (:func:`region_outputs`: analytic sympy expressions) are the model.
    Their Jacobian J is sympy's derivative (exact at rational θ when the pieces are rational), or with
    ``symbolic_jacobian=False`` (softmax attention, whose derivative expressions are huge) the central
    difference of the outputs compiled to mpmath. The gradient is Σ ℓ'(F)_io ∇F_io, with the loss ℓ written
    here from its definition. The Hessian is the mixed central second difference of L(F(θ)) in mpmath at
    ``FD_PREC`` bits with step h = 2^-``FD_STEP``: error ≈ h²·|∇⁴L| + 2^-FD_PREC/h², ~1e-90, far below the
    radii of 128-bit balls. Single Hessian entries can also be had exactly (:meth:`hessian_entry`).
    """

    FD_PREC, FD_STEP = 640, 160
    #: error bound of the finite-difference values, relative to 1 + max |entry|
    FD_TOL = Fraction(1, 10**80)

    def __init__(self, obj, theta, symbolic_jacobian=None):
        self.obj, self.theta = obj, [Fraction(t) for t in theta]
        self.pattern = obj.region(theta)
        self.syms = list(obj.symbols)
        self.p = len(self.syms)
        self.sub = subs_of(obj, theta)
        outs = region_outputs(obj, self.pattern)
        self.n, self.k = len(outs), len(outs[0])
        self.F_exprs = [sp.sympify(f) for row in outs for f in row]
        self.F = [f.xreplace(self.sub) for f in self.F_exprs]
        if symbolic_jacobian is None:
            symbolic_jacobian = not any(layer.kind == "attention" for layer in obj.net.all_layers)
        self.symbolic_jacobian = symbolic_jacobian
        self.J_exprs = None
        if symbolic_jacobian:
            self.J_exprs = [[sp.diff(f, s) for s in self.syms] for f in self.F_exprs]
            self.J = [[e.xreplace(self.sub) for e in row] for row in self.J_exprs]
        self._f = sp.lambdify(self.syms, self.F_exprs, modules="mpmath", cse=True)
        if not symbolic_jacobian:
            self.J = self._fd_jacobian()

    def _ell(self, F, exp, log):
        return loss_terms(self.obj, F, exp, log)

    def _sym_ell(self):
        return self._ell(self.F, sp.exp, sp.log)

    def value(self):
        return self._sym_ell()[0]

    def outputs(self):
        return self.F

    def jacobian(self):
        return self.J

    def grad(self):
        _, l1, _ = self._sym_ell()
        return [sp.Add(*[l1[r] * self.J[r][j] for r in range(len(l1))]) for j in range(self.p)]

    # -- finite differences of the compiled sympy outputs -------------------------------------------------
    def _point(self):
        return [mpmath.mpf(q.numerator) / q.denominator for q in self.theta]

    def _L(self, point):
        return self._ell(list(self._f(*point)), mpmath.exp, mpmath.log)[0]

    def _fd_jacobian(self):
        with mpmath.workprec(self.FD_PREC):
            th, h = self._point(), mpmath.ldexp(1, -self.FD_STEP)
            cols = []
            for j in range(self.p):
                up, dn = list(th), list(th)
                up[j] += h
                dn[j] -= h
                cols.append([(a - b) / (2 * h) for a, b in zip(self._f(*up), self._f(*dn))])
        # as exact sympy Rationals (sympy would read an mpf as a 15-digit Float)
        return [[rat(to_fraction(cols[j][r])) for j in range(self.p)] for r in range(len(self.F_exprs))]

    def hessian(self):
        """The Hessian (list of rows) by mixed central second differences at FD_PREC bits."""
        with mpmath.workprec(self.FD_PREC):
            th, h = self._point(), mpmath.ldexp(1, -self.FD_STEP)
            L = self._L

            def at(*moves):
                q = list(th)
                for j, c in moves:
                    q[j] += c * h
                return L(q)

            H = [[None] * self.p for _ in range(self.p)]
            L0 = L(th)
            for i in range(self.p):
                H[i][i] = (at((i, 2)) - 2 * L0 + at((i, -2))) / (4 * h * h)
                for j in range(i + 1, self.p):
                    H[i][j] = H[j][i] = (at((i, 1), (j, 1)) - at((i, 1), (j, -1)) - at((i, -1), (j, 1))
                                         + at((i, -1), (j, -1))) / (4 * h * h)
            return H

    def hvp(self, v, H=None):
        H = self.hessian() if H is None else H
        with mpmath.workprec(self.FD_PREC):
            vv = [mpmath.mpf(Fraction(x).numerator) / Fraction(x).denominator for x in v]
            return [mpmath.fsum(a * b for a, b in zip(row, vv)) for row in H]

    def hessian_entry(self, i, j):
        """∂²L/∂θ_i∂θ_j exactly by sympy (square loss, symbolic Jacobian):
        Σ_io 2s (J_io,i J_io,j + r_io ∂_j J_io,i)."""
        assert isinstance(self.obj, vf.SquareLoss) and self.J_exprs is not None
        _, l1, _ = self._sym_ell()
        s2 = 2 * rat(self.obj.scale)
        return sp.Add(*[s2 * self.J[r][i] * self.J[r][j]
                        + l1[r] * sp.diff(self.J_exprs[r][i], self.syms[j]).xreplace(self.sub)
                        for r in range(len(self.F))])


def is_rational(e) -> bool:
    return isinstance(e, sp.Basic) and e.is_Rational


def fraction(e) -> Fraction:
    return Fraction(int(e.p), int(e.q))


def numeric(e, digits=DIGITS) -> Fraction:
    """A sympy number as an exact Fraction (exactly when rational, else its value to ``digits`` digits)."""
    if isinstance(e, mpmath.mpf):
        return to_fraction(e)
    e = sp.sympify(e)
    if e.is_Rational:
        return fraction(e)
    return to_fraction(sp.Float(sp.N(e, digits), digits))


def as_fraction(v) -> Fraction:
    """A number of any arithmetic (float, mpf, arb midpoint, fmpq) or sympy number as a Fraction."""
    if isinstance(v, sp.Basic):
        return numeric(v)
    if hasattr(v, "mid") and callable(v.mid):
        v = v.mid()
    return to_fraction(v)


def check_close(values, refs, rel, what=""):
    """|value − ref| ≤ rel · (1 + max |ref|) for every pair (values of any arithmetic, refs sympy numbers)."""
    vals = [as_fraction(v) for v in np.asarray(values, dtype=object).reshape(-1)]
    refs = [numeric(r) for r in np.asarray(refs, dtype=object).reshape(-1)]
    assert len(vals) == len(refs), (what, len(vals), len(refs))
    scale = 1 + max((abs(r) for r in refs), default=0)
    tol = Fraction(rel) * scale
    for i, (v, r) in enumerate(zip(vals, refs)):
        assert abs(v - r) <= tol, (what, i, float(v), float(r))


def check_exact(values, refs, what=""):
    """Exact arithmetic equals the sympy reference exactly (refs must be rational)."""
    vals = [to_fraction(v) for v in np.asarray(values, dtype=object).reshape(-1)]
    refs = np.asarray(refs, dtype=object).reshape(-1)
    assert len(vals) == len(refs), (what, len(vals), len(refs))
    for i, (v, r) in enumerate(zip(vals, refs)):
        assert is_rational(sp.sympify(r)), (what, i, r)
        assert v == fraction(sp.sympify(r)), (what, i, v, r)


def check_encloses(balls, refs, what="", slack=0):
    """Every ball contains its reference: the exact rational, or the reference to DIGITS digits (when the
    reference is irrational, a ball missing it by less than 10^-DIGITS would go unnoticed; radii here are
    ≥ 10^-40). ``slack``: the error bound of an approximate reference (finite differences), relative to
    1 + max |ref|: the ball widened by it must contain the reference."""
    balls = np.asarray(balls, dtype=object).reshape(-1)
    refs = [numeric(r) for r in np.asarray(refs, dtype=object).reshape(-1)]
    assert len(balls) == len(refs), (what, len(balls), len(refs))
    tol = Fraction(slack) * (1 + max((abs(r) for r in refs), default=0))
    for i, (b, r) in enumerate(zip(balls, refs)):
        if tol == 0:
            assert contains(b, r), (what, i, b, float(r))
        else:
            lo, hi = ball_bounds(b)
            assert lo - tol <= r <= hi + tol, (what, i, b, float(r))


# ============================================================================ an independent forward pass
def _act_fn(name):
    """The catalogue activation ``name`` (as it prints) in mpmath, written from its definition."""
    base, _, arg = name.partition("(")
    q = Fraction(arg.rstrip(")")) if arg else None
    c = mpmath.mpf(q.numerator) / q.denominator if q is not None else None
    table = {
        "relu": lambda z: z if z > 0 else mpmath.mpf(0),
        "leaky_relu": lambda z: z if z >= 0 else c * z,
        "abs": lambda z: abs(z),
        "hardtanh": lambda z: min(max(z, mpmath.mpf(-1)), mpmath.mpf(1)),
        "identity": lambda z: z,
        "power": lambda z: z ** int(q),
        "relu_power": lambda z: z ** c if z > 0 else mpmath.mpf(0),
        "sigmoid": lambda z: 1 / (1 + mpmath.exp(-z)),
        "tanh": mpmath.tanh,
        "softplus": lambda z: mpmath.log(1 + mpmath.exp(z)),
    }
    return table[base]


def _take(theta, pos, shape):
    size = int(np.prod(shape))
    block = np.array(theta[pos:pos + size], dtype=object).reshape(shape)
    return block, pos + size


def _spec_layer(layer, x, theta, pos):
    """One layer on one data point x (object array of mpf of the layer's input shape), reading its
    parameters from θ at ``pos`` in the documented order; returns (output, new pos)."""
    mp0 = mpmath.mpf(0)
    if isinstance(layer, nn.Dense):
        W, pos = _take(theta, pos, (layer.out, x.shape[-1]))
        b = None
        if layer.bias:
            b, pos = _take(theta, pos, (layer.out,))
        out = np.empty((*x.shape[:-1], layer.out), dtype=object)
        for idx in np.ndindex(*x.shape[:-1]):
            for o in range(layer.out):
                s = mpmath.fsum(x[idx + (i,)] * W[o, i] for i in range(x.shape[-1]))
                out[idx + (o,)] = s + (b[o] if b is not None else 0)
        return out, pos
    if isinstance(layer, nn.Conv1d | nn.Conv2d):
        nd = layer.nd
        W, pos = _take(theta, pos, (layer.cout, layer.cin, *layer.kernel))
        b = None
        if layer.bias:
            b, pos = _take(theta, pos, (layer.cout,))
        spatial = x.shape[1:]
        pad = layer.padding
        xp = np.empty((x.shape[0], *[s + 2 * p for s, p in zip(spatial, pad)]), dtype=object)
        xp.fill(mp0)
        xp[(slice(None), *[slice(p, p + s) for s, p in zip(spatial, pad)])] = x
        outs = [(s + 2 * p - k) // st + 1 for s, p, k, st in zip(spatial, pad, layer.kernel, layer.stride)]
        out = np.empty((layer.cout, *outs), dtype=object)
        for co in range(layer.cout):
            for o in np.ndindex(*outs):
                terms = [W[(co, ci, *kk)] * xp[(ci, *[o[a] * layer.stride[a] + kk[a] for a in range(nd)])]
                         for ci in range(layer.cin) for kk in np.ndindex(*layer.kernel)]
                out[(co, *o)] = mpmath.fsum(terms) + (b[co] if b is not None else 0)
        return out, pos
    if isinstance(layer, nn.MaxPool1d | nn.MaxPool2d | nn.AvgPool1d | nn.AvgPool2d):
        k, st = layer.kernel, layer.stride
        outs = [(s - kk) // ss + 1 for s, kk, ss in zip(x.shape[1:], k, st)]
        out = np.empty((x.shape[0], *outs), dtype=object)
        for c in range(x.shape[0]):
            for o in np.ndindex(*outs):
                win = [x[(c, *[o[a] * st[a] + kk[a] for a in range(len(k))])] for kk in np.ndindex(*k)]
                out[(c, *o)] = max(win) if layer.mode == "max" else mpmath.fsum(win) / len(win)
        return out, pos
    if isinstance(layer, nn.Flatten):
        return x.reshape(-1), pos
    if isinstance(layer, nn.Act):
        f = _act_fn(layer.sigma.name)
        return np.vectorize(f, otypes=[object])(x), pos
    if isinstance(layer, nn.Residual):
        y = x
        for sub in layer.block:
            y, pos = _spec_layer(sub, y, theta, pos)
        return x + y, pos
    if isinstance(layer, nn.SelfAttention):
        d, H, dk = layer.d_model, layer.heads, layer.d_k
        T = x.shape[0]
        mats = {}
        for name in ("Q", "K", "V"):
            mats[name], pos = _take(theta, pos, (H * dk, d))
        mats["O"], pos = _take(theta, pos, (d, H * dk))
        bias = {}
        if layer.bias:
            for name, m in (("Q", H * dk), ("K", H * dk), ("V", H * dk), ("O", d)):
                bias[name], pos = _take(theta, pos, (m,))

        def proj(name):
            out = np.empty((T, H * dk), dtype=object)
            for t in range(T):
                for j in range(H * dk):
                    out[t, j] = mpmath.fsum(x[t, i] * mats[name][j, i] for i in range(d)) + \
                        (bias[name][j] if layer.bias else 0)
            return out

        Q, K, V = proj("Q"), proj("K"), proj("V")
        Z = np.empty((T, H * dk), dtype=object)
        scale = 1 / mpmath.sqrt(dk)
        for h in range(H):
            cols = range(h * dk, (h + 1) * dk)
            for t in range(T):
                s = [mpmath.fsum(Q[t, c] * K[u, c] for c in cols) * scale for u in range(T)]
                e = [mpmath.exp(v) for v in s]
                tot = mpmath.fsum(e)
                for c in cols:
                    Z[t, c] = mpmath.fsum(e[u] / tot * V[u, c] for u in range(T))
        out = np.empty((T, d), dtype=object)
        for t in range(T):
            for o in range(d):
                out[t, o] = mpmath.fsum(Z[t, j] * mats["O"][o, j] for j in range(H * dk)) + \
                    (bias["O"][o] if layer.bias else 0)
        return out, pos
    raise AssertionError(f"no reference for {layer!r}")


def spec_outputs(net, X, theta, prec=300):
    """The network's outputs (n × output_dim lists of mpf at ``prec`` bits) computed directly from the
    documented semantics of each layer (PyTorch/ONNX conventions), reading θ in the documented order —
    independent of the layers' own forward definitions and of ParamLayout."""
    with mpmath.workprec(prec):
        th = [mpmath.mpf(Fraction(t).numerator) / Fraction(t).denominator for t in theta]
        rows = []
        for x in X:
            xa = np.array([mpmath.mpf(Fraction(v).numerator) / Fraction(v).denominator for v in x],
                          dtype=object).reshape(net.input_shape)
            pos = 0
            for layer in net.layers:
                xa, pos = _spec_layer(layer, xa, th, pos)
            assert pos == len(th)
            rows.append(list(xa.reshape(-1)))
        return rows
