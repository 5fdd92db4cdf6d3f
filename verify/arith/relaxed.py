"""``"taylor"`` on a tape: Taylor coefficients of a computation one order at a time (taped Taylor-mode AD).

:mod:`verify.arith.taylor` recomputes whole truncated series (``arb_series``) for every new order: the K-th pass
costs O(K²) per product, O(N³) for N orders. Here the objective's gradient code is run **once** on
:class:`TNode` numbers — each operation records a node on a tape, with its constant term computed at once — and the
tape is then swept once per order k = 1, 2, …: every node appends its coefficient k from its operands' coefficients
≤ k by the classical recurrences (Griewank & Walther, *Evaluating Derivatives*, 2nd ed., SIAM 2008, §13.2, Table
13.2; Moore, *Interval Analysis*, 1966, ch. 11):

* c = a ± b: c_k = a_k ± b_k;  c = a·b: c_k = Σ_{j=0}^{k} a_j b_{k−j};
* c = a/b: c_k = (a_k − Σ_{j=1}^{k} b_j c_{k−j})/b_0
* e = exp a: e_k = (1/k) Σ_{j=1}^{k} j a_j e_{k−j};  l = log a: l_k = (a_k − (1/k) Σ_{j=1}^{k−1} j l_j a_{k−j})/a_0
* s = √a: s_k = (a_k − Σ_{j=1}^{k−1} s_j s_{k−j})/(2 s_0);  sin/cos and sinh/cosh in pairs (s' = c·a', c' = ∓s·a')
* u with u' = w·a' (tanh: w = 1 − u², tan: w = 1 + u², atan: w = 1/(1 + a²), erf: w = (2/√π) e^{−a²}):
  u_k = (1/k) Σ_{j=1}^{k} j a_j w_{k−j} (w_{k−j} needs only orders < k, so w may be recorded after u).

Each recurrence is an identity between the Taylor coefficients of exact functions; evaluated in Arb, each coefficient
is an enclosure of the exact one for every point of the balls it is computed from (constant terms included: a box of
states gives coefficients valid for every state in it). The tape is valid for every order because the only control
flow — piece selection of activations and Piecewise conditions — depends on constant terms alone, compared with
certainty (:meth:`TapeArithmetic.side` raises :class:`~verify.errors.RegionBoundaryError` on a breakpoint, as in
:mod:`verify.arith.taylor`). No ``arb_series`` is used, so ``flint.ctx.cap`` plays no part.

Cost: one recording pass plus N sweeps with O(k) products per node: O(N²) per node instead of O(N³).
"""

from __future__ import annotations

from fractions import Fraction
from operator import mul as _mul

import numpy as np
from flint import arb, fmpq

from ..errors import ArithmeticNotSupportedError, InputError, RegionBoundaryError
from .base import Arithmetic
from .taylor import CertainOrder, SeriesContext

# op codes
CONST, VAR, ADD, SUB, NEG, ADDC, RSUBC, MULC, DIVC, MUL, DIV, RDIVC, EXP, LOG, SQRT, SIN, COS, SINH, COSH, INTMUL, \
    MATMUL, PICK = range(22)

#: the tape being recorded (a list), or None: nodes created outside a recording are not swept (constants only)
_TAPE: list = [None]


class TNode(CertainOrder):
    """A number on the tape: its Taylor coefficients ``c`` (Arb balls; c[0] known when it is created)."""

    __slots__ = ("c", "op", "a", "b", "d")

    def __init__(self, op, a, b, c0):
        self.op, self.a, self.b = op, a, b
        self.c = [c0]
        self.d = None
        if op > CONST and op != VAR:
            tape = _TAPE[0]
            if tape is None:
                raise ArithmeticNotSupportedError("an operation on taped Taylor numbers outside a recording")
            tape.append(self)

    # -- arithmetic ------------------------------------------------------------------------------------
    def __add__(self, o):
        o = _operand(o)
        if o is None:
            return NotImplemented
        if type(o) is TNode:
            if o.op == CONST:
                return _addc(self, o.c[0])
            if self.op == CONST:
                return _addc(o, self.c[0])
            return TNode(ADD, self, o, self.c[0] + o.c[0])
        return _addc(self, o)

    __radd__ = __add__

    def __sub__(self, o):
        o = _operand(o)
        if o is None:
            return NotImplemented
        if type(o) is TNode:
            if o.op == CONST:
                return _addc(self, -o.c[0])
            if self.op == CONST:
                return _rsubc(o, self.c[0])
            return TNode(SUB, self, o, self.c[0] - o.c[0])
        return _addc(self, -o)

    def __rsub__(self, o):
        o = _operand(o)
        if o is None:
            return NotImplemented
        return _rsubc(self, o.c[0] if type(o) is TNode else o)

    def __mul__(self, o):
        o = _operand(o)
        if o is None:
            return NotImplemented
        if type(o) is TNode:
            if o.op == CONST:
                return _mulc(self, o.c[0])
            if self.op == CONST:
                return _mulc(o, self.c[0])
            return TNode(MUL, self, o, self.c[0] * o.c[0])
        return _mulc(self, o)

    __rmul__ = __mul__

    def __truediv__(self, o):
        o = _operand(o)
        if o is None:
            return NotImplemented
        if type(o) is TNode:
            if o.op == CONST:
                return _divc(self, o.c[0])
            if self.op == CONST:
                return _rdivc(o, self.c[0])
            return TNode(DIV, self, o, self.c[0] / o.c[0])
        return _divc(self, o)

    def __rtruediv__(self, o):
        o = _operand(o)
        if o is None:
            return NotImplemented
        return _rdivc(self, o.c[0] if type(o) is TNode else o)

    def __neg__(self):
        if self.op == CONST:
            return TNode(CONST, None, None, -self.c[0])
        return TNode(NEG, self, None, -self.c[0])

    def __pos__(self):
        return self

    def __pow__(self, n):
        if isinstance(n, bool) or not isinstance(n, int):
            return NotImplemented
        if n < 0:
            return 1 / self.__pow__(-n)
        return _power(self, n)

    # -- constant-term comparisons (certain) -------------------------------------------------------------
    def _diff(self, o) -> arb:
        v = _operand(o)
        if v is None:
            raise InputError(f"cannot compare a Taylor number with a {type(o).__name__}")
        return self.c[0] - (v.c[0] if type(v) is TNode else v)

    def __eq__(self, o):
        if _operand(o) is None:
            return NotImplemented
        d = self._diff(o)
        return bool(d.is_exact() and d.is_zero())

    __hash__ = None

    def __bool__(self):
        raise ArithmeticNotSupportedError("the truth value of a Taylor number is not defined")

    def coeff(self, k: int) -> arb:
        """The coefficient k (0 beyond the constant term for a constant)."""
        if self.op == CONST:
            return self.c[0] if k == 0 else arb(0)
        return self.c[k]

    def is_finite(self) -> bool:
        """Every Taylor coefficient computed so far is a finite ball."""
        return all(v.is_finite() for v in self.c)

    def __repr__(self):
        return f"TNode(op={self.op}, c={self.c})"


def _operand(o):
    t = type(o)
    if t is TNode or t is arb:
        return o
    if t is int:
        return arb(o)
    if t is Fraction:
        return arb(fmpq(o.numerator, o.denominator))
    if t is fmpq:
        return arb(o)
    return None


def const(v: arb) -> TNode:
    """A constant node of the tape (the value ``v`` and zero higher Taylor coefficients)."""
    return TNode(CONST, None, None, v)


def _addc(a: TNode, v: arb) -> TNode:
    if a.op == CONST:
        return const(a.c[0] + v)
    return TNode(ADDC, a, v, a.c[0] + v)


def _rsubc(a: TNode, v: arb) -> TNode:
    if a.op == CONST:
        return const(v - a.c[0])
    return TNode(RSUBC, a, v, v - a.c[0])


def _mulc(a: TNode, v: arb) -> TNode:
    if a.op == CONST:
        return const(a.c[0] * v)
    return TNode(MULC, a, v, a.c[0] * v)


def _divc(a: TNode, v: arb) -> TNode:
    if a.op == CONST:
        return const(a.c[0] / v)
    return TNode(DIVC, a, v, a.c[0] / v)


def _rdivc(a: TNode, v: arb) -> TNode:
    if a.op == CONST:
        return const(v / a.c[0])
    return TNode(RDIVC, a, v, v / a.c[0])


def _power(x: TNode, n: int) -> TNode:
    out, base = None, x
    while n:
        if n & 1:
            out = base if out is None else out * base
        n >>= 1
        if n:
            base = base * base
    return const(arb(1)) if out is None else out


# -- elementary functions ----------------------------------------------------------------------------------
def _unary(op, a: TNode, c0) -> TNode:
    if a.op == CONST:
        return const(c0)
    n = TNode(op, a, None, c0)
    n.d = []
    return n


def t_exp(a):
    return _unary(EXP, a, a.c[0].exp())


def t_log(a):
    return _unary(LOG, a, a.c[0].log())


def t_sqrt(a):
    return _unary(SQRT, a, a.c[0].sqrt())


def _intmul(a: TNode, c0, w) -> TNode:
    n = TNode(INTMUL, a, w, c0)
    n.d = []
    return n


def t_tanh(a):
    if a.op == CONST:
        return const(a.c[0].tanh())
    u = _intmul(a, a.c[0].tanh(), None)
    u.b = 1 - u * u
    return u


def t_tan(a):
    if a.op == CONST:
        return const(a.c[0].tan())
    u = _intmul(a, a.c[0].tan(), None)
    u.b = 1 + u * u
    return u


def t_atan(a):
    if a.op == CONST:
        return const(a.c[0].atan())
    w = 1 / (1 + a * a)
    return _intmul(a, a.c[0].atan(), w)


def t_erf(a):
    if a.op == CONST:
        return const(a.c[0].erf())
    w = t_exp(-(a * a)) * (2 / arb.pi().sqrt())
    return _intmul(a, a.c[0].erf(), w)


def _pair(op1, op2, a, c1, c2):
    if a.op == CONST:
        return const(c1), const(c2)
    s = TNode(op1, a, None, c1)
    s.d = []
    c = TNode(op2, a, s, c2)
    s.b = c
    return s, c


def t_sin(a):
    return _pair(SIN, COS, a, a.c[0].sin(), a.c[0].cos())[0]


def t_cos(a):
    return _pair(SIN, COS, a, a.c[0].sin(), a.c[0].cos())[1]


def t_sinh(a):
    return _pair(SINH, COSH, a, a.c[0].sinh(), a.c[0].cosh())[0]


def t_cosh(a):
    return _pair(SINH, COSH, a, a.c[0].sinh(), a.c[0].cosh())[1]


_FUNCS = {"exp": t_exp, "log": t_log, "sqrt": t_sqrt, "tanh": t_tanh, "tan": t_tan, "atan": t_atan, "erf": t_erf,
          "sin": t_sin, "cos": t_cos, "sinh": t_sinh, "cosh": t_cosh,
          "log1p": lambda a: t_log(1 + a), "expm1": lambda a: t_exp(a) - 1}


# -- the sweep: coefficient k of every node -------------------------------------------------------------------
def _conv(x, y, k):
    """Σ_{j=0}^{k} x_j y_{k−j} (x, y lists of length ≥ k + 1)."""
    return sum(map(_mul, x[: k + 1], y[k::-1]), arb(0))


def _step(n: TNode, k: int) -> arb:
    op = n.op
    a = n.a
    if op == PICK:
        return a.d[n.b]
    if op == MATMUL:
        return _matmul_step(n, k)
    if op == ADD:
        return a.c[k] + n.b.c[k]
    if op == MULC:
        return a.c[k] * n.b
    if op == MUL:
        return _conv(a.c, n.b.c, k)
    if op == ADDC:
        return a.c[k]
    if op == SUB:
        return a.c[k] - n.b.c[k]
    if op == RSUBC or op == NEG:
        return -a.c[k]
    if op == DIVC:
        return a.c[k] / n.b
    c = n.c
    if op == DIV:
        b = n.b.c
        return (a.c[k] - sum(map(_mul, b[1: k + 1], c[k - 1::-1]), arb(0))) / b[0]
    if op == RDIVC:
        return -sum(map(_mul, a.c[1: k + 1], c[k - 1::-1]), arb(0)) / a.c[0]
    if op == INTMUL or op == EXP or op == SIN or op == SINH:
        d = n.d
        d.append(a.c[k] * k)  # d[j−1] = j·a_j
        w = n.b.c if op != EXP else c  # exp: w = e itself
        return sum(map(_mul, d, w[k - 1::-1]), arb(0)) / k
    if op == COS or op == COSH:
        d = n.b.d  # the partner's j·a_j (appended this sweep: the partner is earlier on the tape)
        s = sum(map(_mul, d, n.b.c[k - 1::-1]), arb(0)) / k
        return -s if op == COS else s
    if op == LOG:
        d = n.d  # d[j−1] = j·l_j
        s = sum(map(_mul, d, a.c[k - 1:0:-1]), arb(0)) if k > 1 else arb(0)
        v = (a.c[k] - s / k) / a.c[0]
        d.append(v * k)
        return v
    if op == SQRT:
        s = sum(map(_mul, c[1:k], c[k - 1:0:-1]), arb(0)) if k > 1 else arb(0)
        return (a.c[k] - s) / (c[0] * 2)
    raise ArithmeticNotSupportedError(f"unknown tape operation {op}")  # pragma: no cover


class _MatmulNode(TNode):
    """C = A·B for matrices of Taylor numbers, recorded as one node: at order k, C_k = Σ_{j=0}^{k} A_j B_{k−j} by
    ``arb_mat`` products of the coefficient matrices (C_k = A_0 B_k when A is constant, A_k B_0 when B is); the entries
    of C are :data:`PICK` nodes reading ``d`` (the current C_k, row-major)."""

    __slots__ = ("m", "kk", "n", "A", "B", "Ac", "Bc", "constA", "constB")


_ZERO = arb(0)


def _matmul_step(M, k: int):
    from flint import arb_mat

    zero = _ZERO
    if not M.constA:
        M.Ac.append(arb_mat(M.m, M.kk, [zero if v.op == CONST else v.c[k] for v in M.A]))
    if not M.constB:
        M.Bc.append(arb_mat(M.kk, M.n, [zero if v.op == CONST else v.c[k] for v in M.B]))
    if M.constA:
        C = M.Ac[0] * M.Bc[k]
    elif M.constB:
        C = M.Ac[k] * M.Bc[0]
    else:
        C = M.Ac[0] * M.Bc[k]
        for j in range(1, k + 1):
            C = C + M.Ac[j] * M.Bc[k - j]
    M.d = C.entries()
    return None


def tape_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b (2-D object arrays of Taylor numbers) as one tape node (see :class:`_MatmulNode`)."""
    from flint import arb_mat

    m, kk = a.shape
    n = b.shape[1]
    A = [v if type(v) is TNode else const(_operand(v)) for v in a.flat]
    B = [v if type(v) is TNode else const(_operand(v)) for v in b.flat]
    constA = all(v.op == CONST for v in A)
    constB = all(v.op == CONST for v in B)
    A0 = arb_mat(m, kk, [v.c[0] for v in A])
    B0 = arb_mat(kk, n, [v.c[0] for v in B])
    C0 = (A0 * B0).entries()
    if constA and constB:
        out = np.empty(m * n, dtype=object)
        for i, v in enumerate(C0):
            out[i] = const(v)
        return out.reshape(m, n)
    M = _MatmulNode(MATMUL, None, None, None)
    M.m, M.kk, M.n, M.A, M.B = m, kk, n, A, B
    M.constA, M.constB = constA, constB
    M.Ac, M.Bc = [A0], [B0]
    M.d = C0
    out = np.empty(m * n, dtype=object)
    for i, v in enumerate(C0):
        out[i] = TNode(PICK, M, i, v)
    return out.reshape(m, n)


def sweep(tape: list, k: int) -> None:
    """Append the coefficient k to every node of the tape (in recording order, which is topological).
    (The reference implementation; :class:`Sweeper` computes the same coefficients faster.)"""
    for n in tape:
        n.c.append(_step(n, k))


#: operations whose node is a pure function of its operands (no state besides its coefficient list): candidates for
#: common-subexpression elimination
_PURE = frozenset({ADD, SUB, NEG, ADDC, RSUBC, MULC, DIVC, MUL, DIV, RDIVC})
#: a shared list of zeros standing for the coefficients k ≥ 1 of constant matrix entries (grown on demand)
_ZEROS: list = [_ZERO] * 256


def _const_key(v):
    """A hashable key of a node's constant operand: the exact value (mantissa, exponent) of an exact ball, else the
    object's identity (two inexact balls are merged only when they are the same object)."""
    if type(v) is arb and v.is_exact():
        m, e = v.mid().man_exp()
        return ("exact", m, e)
    return ("object", id(v))


class Sweeper:
    """A recorded tape compiled for repeated sweeps: ``sweeper(k)`` appends the coefficient k to every node, as
    :func:`sweep` does, with the same recurrences (the module doc), but

    * **common subexpressions merged**: a pure node (±, ×, ÷, with nodes or constants) whose operation and operands
      (after merging; exact constants by value, commuted for + and ×) equal an earlier node's shares that node's
      coefficient list and is not swept — it is the same exact function of the inputs, so the earlier node's
      enclosures enclose its coefficients too (the layer-wise backprop recomputes σ'(z) = 1 − tanh(z)² although
      the tanh node already recorded 1 − u² for its own recurrence: a third of the products of a tanh network);
    * **squares by symmetry**: (u²)_k = 2 Σ_{j<k/2} u_j u_{k−j} + [k even] u_{k/2}², half the products of the
      Cauchy product (an identity of exact numbers; ×2 is exact in Arb);
    * **one closure per node**: no per-node dispatch on the operation; a matrix-product node writes its entries'
      coefficients directly (its :data:`PICK` nodes are not swept).

    Each coefficient is an Arb enclosure of the exact coefficient, as with :func:`sweep` (they may differ in the
    last bits: another, equally valid, order of operations). A tape given to a Sweeper is swept by it only (merged
    nodes share their representative's coefficient list; :func:`sweep` would append to it twice)."""

    __slots__ = ("prog", "merged", "size")

    def __init__(self, tape: list):
        rep: dict = {}  # id(merged node) -> its representative
        seen: dict = {}
        keep = []
        self.merged = 0
        for n in tape:
            op = n.op
            if op in _PURE:
                a = rep.get(id(n.a), n.a)
                if op == ADD or op == SUB or op == MUL or op == DIV:
                    ka, kb = id(a), id(rep.get(id(n.b), n.b))
                    if (op == ADD or op == MUL) and ka > kb:
                        ka, kb = kb, ka
                    key = (op, ka, kb)
                elif op == NEG:
                    key = (op, id(a))
                else:
                    key = (op, id(a), _const_key(n.b))
                m = seen.get(key)
                if m is not None:
                    n.c = m.c  # the same exact function of the inputs: share its coefficients
                    rep[id(n)] = m
                    self.merged += 1
                    continue
                seen[key] = n
            keep.append(n)
        picks: dict = {}
        for n in keep:
            if n.op == PICK:
                picks.setdefault(id(n.a), []).append((n.b, n.c.append))
        self.prog = [f for f in (_compile(n, picks) for n in keep) if f is not None]
        self.size = len(keep)

    def __call__(self, k: int) -> None:
        if k >= len(_ZEROS):
            _ZEROS.extend([_ZERO] * (k + 1 - len(_ZEROS)))
        for f in self.prog:
            f(k)


def _compile(n: TNode, picks: dict):
    """The closure f(k) appending the coefficient k of node n (the recurrences of :func:`_step`)."""
    op, a = n.op, n.a
    app = n.c.append
    if op == PICK:
        return None  # written by its matrix-product node
    if op == MATMUL:
        return _compile_matmul(n, picks.get(id(n), []))
    x = a.c
    if op == ADD:
        y = n.b.c
        return lambda k: app(x[k] + y[k])
    if op == SUB:
        y = n.b.c
        return lambda k: app(x[k] - y[k])
    if op == RSUBC or op == NEG:
        return lambda k: app(-x[k])
    if op == ADDC:
        return lambda k: app(x[k])
    if op == MULC:
        v = n.b
        return lambda k: app(x[k] * v)
    if op == DIVC:
        v = n.b
        return lambda k: app(x[k] / v)
    if op == MUL:
        y = n.b.c
        if x is y:
            def square(k):
                h = (k + 1) // 2  # the pairs j < k − j
                s = sum(map(_mul, x[1:h], x[k - 1:k - h:-1]), x[0] * x[k]) * 2
                if not k & 1:
                    v = x[k >> 1]
                    s = s + v * v
                app(s)
            return square
        return lambda k: app(sum(map(_mul, x[1:k + 1], y[k - 1::-1]), x[0] * y[k]))
    c = n.c
    if op == DIV:
        y = n.b.c
        return lambda k: app((x[k] - sum(map(_mul, y[1:k + 1], c[k - 1::-1]), _ZERO)) / y[0])
    if op == RDIVC:
        return lambda k: app(-sum(map(_mul, x[1:k + 1], c[k - 1::-1]), _ZERO) / x[0])
    if op == INTMUL or op == EXP or op == SIN or op == SINH:
        d = n.d
        w = n.b.c if op != EXP else c  # exp: w = e itself

        def intmul(k):
            d.append(x[k] * k)  # d[j−1] = j·a_j
            app(sum(map(_mul, d[1:], w[k - 2::-1]), d[0] * w[k - 1]) / k)
        return intmul
    if op == COS or op == COSH:
        d, w = n.b.d, n.b.c  # the partner's j·a_j (appended this sweep: the partner is earlier) and coefficients
        if op == COS:
            return lambda k: app(-(sum(map(_mul, d[1:], w[k - 2::-1]), d[0] * w[k - 1]) / k))
        return lambda k: app(sum(map(_mul, d[1:], w[k - 2::-1]), d[0] * w[k - 1]) / k)
    if op == LOG or op == SQRT:
        return lambda k: app(_step(n, k))
    raise ArithmeticNotSupportedError(f"unknown tape operation {op}")  # pragma: no cover


def _compile_matmul(M, outs: list):
    """The closure of a matrix-product node: C_k = Σ_j A_j B_{k−j} by ``arb_mat`` products (see
    :func:`_matmul_step`), its entries appended to the coefficient lists of its PICK nodes."""
    from flint import arb_mat

    m, kk, n = M.m, M.kk, M.n
    Al = [_ZEROS if v.op == CONST else v.c for v in M.A]
    Bl = [_ZEROS if v.op == CONST else v.c for v in M.B]
    Ac, Bc, constA, constB = M.Ac, M.Bc, M.constA, M.constB

    def f(k):
        if not constA:
            Ac.append(arb_mat(m, kk, [v[k] for v in Al]))
        if not constB:
            Bc.append(arb_mat(kk, n, [v[k] for v in Bl]))
        if constA:
            C = Ac[0] * Bc[k]
        elif constB:
            C = Ac[k] * Bc[0]
        else:
            C = Ac[0] * Bc[k]
            for j in range(1, k + 1):
                C = C + Ac[j] * Bc[k - j]
        E = C.entries()
        for i, put in outs:
            put(E[i])
    return f


class Recording:
    """Context manager: nodes created inside are recorded on ``self.tape``."""

    def __init__(self):
        self.tape = []
        self.saved = None

    def __enter__(self):
        self.saved = _TAPE[0]
        _TAPE[0] = self.tape
        return self

    def __exit__(self, *exc):
        _TAPE[0] = self.saved
        return False


class TapeArithmetic(Arithmetic):
    """Taped Taylor numbers (:class:`TNode`) with Arb coefficients at ``prec`` bits (see the module doc)."""

    name = "taylor"
    certified = True
    dtype = object
    bytes_per_entry = 200

    def __init__(self, prec: int | None = None):
        super().__init__(prec)
        if self.prec is None:
            self.prec = 128
        self._consts: dict = {}

    def key(self):
        return ("taylor-tape", self.prec)

    def __repr__(self):
        return f"<arithmetic taylor (taped) at {self.prec} bits>"

    def context(self):
        return SeriesContext(self.prec, 1)

    def const(self, q: Fraction):
        c = self._consts.get(q)
        if c is None:
            with self.context():
                v = arb(q.numerator) if q.denominator == 1 else arb(fmpq(q.numerator, q.denominator))
            c = self._consts[q] = const(v)
        return c

    def _native(self, x) -> bool:
        return type(x) is TNode

    def from_input(self, x, what="value"):
        if type(x) is TNode:
            return x
        if type(x) is arb:
            if not x.is_finite():
                raise InputError(f"{what} is a non-finite ball {x}")
            return const(x)
        return super().from_input(x, what)

    def func(self, name):
        if name == "pi":
            with self.context():
                return const(arb.pi())
        if name == "E":
            with self.context():
                return const(arb(1).exp())
        f = _FUNCS.get(name)
        if f is None:
            return super().func(name)

        def apply(x):
            return f(x if type(x) is TNode else self.from_input(x))

        return apply

    def pow_rational(self, x, q: Fraction):
        if type(x) is not TNode:
            x = self.from_input(x)
        if q.denominator == 1:
            n = q.numerator
            return _power(x, n) if n >= 0 else 1 / _power(x, -n)
        if q == Fraction(1, 2):
            return t_sqrt(x)
        return t_exp(t_log(x) * arb(fmpq(q.numerator, q.denominator)))

    def side(self, x, b: Fraction) -> int:
        bb = arb(fmpq(b.numerator, b.denominator))
        d = (x.c[0] if type(x) is TNode else arb(x)) - bb
        if d.upper() < 0:
            return -1
        if d.lower() > 0:
            return 1
        raise RegionBoundaryError(
            f"the constant term {d + bb} of a Taylor number is not separated from the breakpoint {b}: a Taylor "
            "expansion is valid only where the function is analytic", breakpoint=b, enclosure=x)

    def union(self, a, b):
        raise RegionBoundaryError("a Taylor number cannot take the union of two pieces of a piecewise function: the "
                                  "function is not analytic where they meet")

    def matmul(self, a, b):
        """a @ b for 2-D arrays: one tape node whose coefficients are products of ``arb_mat`` coefficient matrices
        (:func:`tape_matmul`), instead of one node per scalar product and sum."""
        if a.ndim == 2 and b.ndim == 2 and a.size and b.size:
            return tape_matmul(a, b)
        return a @ b

    def bounds(self, x):
        raise ArithmeticNotSupportedError("a Taylor number has no endpoints; read its coefficients")

    def to_float(self, a):
        conv = lambda v: float(v.c[0].mid()) if type(v) is TNode else float(v)  # noqa: E731
        if np.ndim(a) == 0:
            return conv(a)
        return np.vectorize(conv, otypes=[float])(a) if a.size else np.zeros(a.shape)


def variable(c0: arb) -> TNode:
    """An independent variable with constant term c0; its higher coefficients are appended by the caller."""
    return TNode(VAR, None, None, c0)


__all__ = ["TNode", "TapeArithmetic", "Recording", "sweep", "Sweeper", "variable", "const"]
