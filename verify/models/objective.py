"""Objectives L: R^p → R with value, gradient, Hessian and Hessian-vector products in any arithmetic.

* :class:`SquareLoss` — L(θ) = s Σ_i ‖f(x_i; θ) − y_i‖², with s = 1/n (``"mean"``), 1/(2n)
  (``"half_mean"``), 1 (``"sum"``) or 1/2 (``"half_sum"``, the convention of
  Kumar & Haupt, arXiv:2509.12154).
* :class:`LogisticLoss` — L(θ) = (1/n) Σ_i log(1 + exp(−y_i f(x_i; θ))), labels y_i ∈ {−1, +1}.
* :meth:`Objective.from_sympy` — any smooth or piecewise-analytic sympy expression of named variables
  (a sympy ``Float`` in it means its exact binary value; symbols with assumptions other than
  ``real=True`` are refused).

For a network loss L = Σ_i ℓ(F_i) the derivatives are assembled from the layer-wise formulas:
∇L = Jᵀ ℓ'(F), ∇²L = Jᵀ diag(ℓ''(F)) J + Σ_i ℓ'(F_i) ∇²F_i (``verify/models/layerwise.py``).

Every method takes ``arith`` (``"float"``, ``"mp"``, ``"ball"``, ``"exact"``) and ``prec`` (bits,
for mp and ball; default 128; at most 2**22) and returns numpy arrays of that arithmetic's numbers.
In ``"ball"`` θ may itself contain balls (a box): results then enclose the quantity for every point
of the box. Entries of θ (and of v, and of the data) beyond 2**1000 in magnitude are refused with
:class:`~verify.errors.InputError` (no OverflowError deep inside a float conversion), except numbers
already of the arithmetic's own type (``fmpq``, ``arb``, ``mpf``, float — e.g. iterates of a run);
a ragged θ (``[[1], 1]``) is a :class:`~verify.errors.ShapeError`.

Kinks (activation breakpoints, Piecewise boundaries). Certified arithmetics (``ball``, ``exact``)
raise :class:`~verify.errors.RegionBoundaryError` when θ is (or a ball may be) on a kink where the
requested derivative does not exist. ``float`` and ``mp`` never do: they use the one-sided
conventions of :mod:`verify.models.activation` (σ^(k)(b) = left-piece derivative, so relu′(0) = 0 as
in torch and ``jax.nn.relu``) and of :mod:`verify.arith.compile` (a Piecewise condition is taken as
written at a tie). Their derivatives at a kink are therefore one-sided derivatives, never certified.

Non-real objectives (``sqrt(-1 - x**2)``, ``log(x)`` at −1, ``1/x`` at 0) raise
:class:`~verify.errors.NonRealError` in every arithmetic instead of returning NaN, a complex number
or an infinity; a ball enclosure of a ``from_sympy`` objective that is not finite raises
:class:`~verify.errors.EnclosureError`. (Float overflow — exp(1000), or inf − inf — still gives
inf/NaN, as IEEE arithmetic does: float is for screening, and its callers test finiteness.)
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

from ..arith import get_arith
from ..arith.compile import NON_ANALYTIC
from ..errors import (
    ArithmeticNotSupportedError,
    EnclosureError,
    InputError,
    NonRealError,
    NotAnalyticError,
    ShapeError,
    SizeLimitError,
)
from ..numbers import shape_of
from ..validate import byte_limit, env_int
from .dataset import Dataset
from .layerwise import Layerwise

#: refuse dense p × p requests whose estimated memory exceeds this (bytes); override with the
#: environment variable VERIFY_MAX_BYTES or the ``max_bytes`` argument.
DEFAULT_MAX_BYTES = 8 * 2**30


def _max_bytes(override):
    """The memory limit: ``max_bytes`` if given (a positive int), else VERIFY_MAX_BYTES, else the default."""
    if override is not None:
        return byte_limit(override, "max_bytes")
    return env_int("VERIFY_MAX_BYTES", DEFAULT_MAX_BYTES)


#: the narrowest hidden layer for which NetworkLoss.hessian passes its depth to :func:`check_dense_size`
LAYER_HINT_MIN_WIDTH = 16


def check_dense_size(rows: int, cols: int, arith, what: str, max_bytes=None, copies: float | None = None, *,
                     layers: int | None = None) -> None:
    """Refuse a dense rows × cols result whose memory estimate exceeds the limit, saying so.

    Estimate: rows·cols·b·c + A, an upper bound of the peak resident memory of computing the result —

    * b = ``arith.bytes_per_entry``, the memory one stored entry holds: 8 bytes (float64), 16 (ball64: midpoint
      and radius), 88 (an Arb ball at ≤ 128 bits: array slot + python-flint object; 136 at 256 bits), 232 (an
      mpmath mpf at 128 bits), 320 (an exact rational of several hundred bits: data-dependent);
    * c, the working copies (the measured peak over b·rows·cols): ``copies`` if given, else ``arith.dense_copies``
      (ball and mp 2.5, ball64 3.25, float 2.25, exact 1.25: the worst case measured is an MLP with one hidden
      neuron, whose Hessian entries are all distinct numbers and are summed with a temporary copy — peaks of
      2.18 (ball), 2.24 (mp), 3.11 (ball64), 2.04 (float) × b·rows·cols); for the Hessian of an MLP with hidden
      layers at least :data:`LAYER_HINT_MIN_WIDTH` wide, evaluated by the layer-wise engine (``layers`` = its
      number of weight layers, 2 or 3), the smaller factors measured for it (ball 0.8 / 1.25, float 1.15 / 1.5,
      ball64 1.25 / 1.9, mp 1.25 for 2 layers);
    * A = 96 MiB for arithmetics of Python number objects (object arrays), 32 MiB for float arrays: the engines'
      working memory besides the dense result (chunks of tangents through the layer graph, Jacobians).

    Measured peak RSS increase of ``loss.hessian(θ, arith)`` (``resource.getrusage``, n = 20 data points, tanh
    networks, exact on ReLU ones; bytes per Hessian entry; a 2-core machine with 23 GB), and for balls the
    estimate over the peak without the ``layers`` hint (with it), computed with the earlier general ball factor
    1.75 (the factor is now 2.5 after the one-neuron measurements: multiply the column by 1.43):

    ==================  ======  ========  ==============  =====  ======  ===============
    network             p       ball 128  est/peak        float  ball64  exact
    ==================  ======  ========  ==============  =====  ======  ===============
    MLP, 2 weight l.    1,000   59        4.3 (2.9)       7.9    18.5    271 (341 raw θ)
    MLP, 2 weight l.    2,000   56        3.2 (1.7)       8.3    17.3    274
    MLP, 2 weight l.    4,000   54        3.0 (1.4)       8.2    16.7    –
    MLP, 3 weight l.    2,000   91        2.0 (1.5)       10.9   26.0    211
    MLP, 3 weight l.    4,800   92        1.7 (1.25)      –      –       –
    MLP, 4 weight l.    2,130   136       1.3             –      –       201
    MLP, 4 weight l.    3,560   125       1.3             15.1   32.8    –
    MLP, 5 weight l.    2,970   119       1.4             –      –       –
    MLP, 7 weight l.    4,770   101       1.6             –      –       –
    CNN (layer graph)   1,022   236       1.06            17.4   53.7    –
    CNN (layer graph)   2,450   146       1.17            12.2   31.1    –
    ==================  ======  ========  ==============  =====  ======  ===============

    Balls at 256 bits: 95 (2 layers, p = 1,000), 198 (4 layers, p = 2,130: est/peak 1.3); mp at 128 bits: 265
    (2 layers, p = 1,000). The estimate bounds every case measured (est/peak ≥ 1.06 with the earlier factors; the
    one-neuron MLPs that raised them are now bounded with est/peak ≥ 1.19). The old estimate (96 bytes × 3 copies for
    a ball) was 5.3× the peak of a 2-layer MLP and refused p > 5,460 at 8 GiB, although p = 14,000 ran in 11.7 GB;
    a wide 2-layer MLP's symmetric Gauss–Newton product shares the balls of mirrored blocks, hence its small factor.
    """
    b = arith.bytes_per_entry
    if copies is not None:
        c = copies
    else:
        c = arith.dense_copies
        c = min(c, arith.dense_copies_by_layers.get(layers, c))
    objects = arith.dtype is object and not getattr(arith, "array_native", False)
    allowance = (96 if objects else 32) * 2**20
    est = int(rows * cols * b * c) + allowance
    lim = _max_bytes(max_bytes)
    if est > lim:
        raise SizeLimitError(
            f"{what} would be a dense {rows}×{cols} matrix in {arith.name} arithmetic: about "
            f"{est / 2**30:.1f} GiB with working copies ({b} bytes per entry × {c:g} + {allowance // 2**20} MiB; "
            f"limit {lim / 2**30:.1f} GiB). Use Hessian-vector products (obj.hvp), a cheaper arithmetic ('float' to "
            "screen, 'ball64' for float-speed enclosures), or raise max_bytes / VERIFY_MAX_BYTES.")


class Objective:
    """Base class: a function L of a flat parameter vector θ ∈ R^p."""

    n_params: int
    param_names: list

    # -- input handling -------------------------------------------------------------------------
    def _prepare(self, theta, arith, prec, what="θ"):
        a = get_arith(arith, prec)
        shape = shape_of(theta, what=what)  # a ragged nesting is a ShapeError
        if shape != (self.n_params,):
            raise ShapeError(f"{what} must be a flat vector of {self.n_params} parameters "
                             f"({', '.join(self.param_names[:4])}{', …' if self.n_params > 4 else ''}), "
                             f"got shape {shape}")
        with a.context():
            th = a.array(theta, what=what)
        return a, th

    # -- interface --------------------------------------------------------------------------------
    def value(self, theta, arith="float", prec=None):
        """L(θ), one number of the arithmetic ``arith`` (``"float"``, ``"mp"``, ``"ball"``, ``"ball64"``,
        ``"exact"``) at ``prec`` bits (``mp``/``ball``; default 128).

        ``theta`` is a flat vector of :attr:`n_params` numbers, converted exactly (``|θ_i| ≤ 2**1000``), or, in
        ``"ball"``/``"ball64"``, of balls (a box): the result then encloses L at every point of the box. In a
        certified arithmetic the result is exact (``"exact"``) or an enclosure of the exact value; a θ on a kink
        where L is not analytic is fine for the value. Errors: :class:`~verify.errors.ShapeError` (θ of the wrong
        shape), :class:`~verify.errors.NonRealError` (L not real at θ),
        :class:`~verify.errors.ArithmeticNotSupportedError` (an analytic function in ``"exact"``).

        >>> import sympy as sp
        >>> x, y = sp.symbols("x y")
        >>> L = Objective.from_sympy(x**2 * y + y**2 / 2, [x, y])
        >>> L.value([1, 2], "exact"), float(L.value([0.5, 2]))
        (4, 2.5)
        """
        raise NotImplementedError

    def grad(self, theta, arith="float", prec=None):
        """∇L(θ): a vector of :attr:`n_params` numbers of the arithmetic ``arith`` (arguments as in
        :meth:`value`; exact or enclosures in a certified arithmetic).

        In a certified arithmetic a θ on (or, for a box, possibly on) a kink where ∇L does not exist raises
        :class:`~verify.errors.RegionBoundaryError`; ``"float"`` and ``"mp"`` return one-sided derivatives there
        (relu′(0) = 0), never certified (see the module docstring).

        >>> import sympy as sp
        >>> x, y = sp.symbols("x y")
        >>> Objective.from_sympy(x**2 * y + y**2 / 2, [x, y]).grad([1, 2], "exact")   # (2xy, x² + y)
        array([4, 3], dtype=object)
        """
        raise NotImplementedError

    def hessian(self, theta, arith="float", prec=None, max_bytes=None):
        """∇²L(θ): the dense p × p Hessian (p = :attr:`n_params`) in the arithmetic ``arith`` (arguments as in
        :meth:`value`; exact or enclosures in a certified arithmetic; a kink raises
        :class:`~verify.errors.RegionBoundaryError` as in :meth:`grad`).

        The dense matrix is refused with :class:`~verify.errors.SizeLimitError` before any work when its estimated
        memory exceeds ``max_bytes`` (default ``VERIFY_MAX_BYTES`` or 8 GiB, see :func:`check_dense_size`); use
        :meth:`hvp` for large p.

        >>> import sympy as sp
        >>> x, y = sp.symbols("x y")
        >>> Objective.from_sympy(x**2 * y + y**2 / 2, [x, y]).hessian([1, 2], "exact")   # [[2y, 2x], [2x, 1]]
        array([[4, 2],
               [2, 1]], dtype=object)
        """
        raise NotImplementedError

    def hvp(self, theta, v, arith="float", prec=None):
        """The Hessian-vector product ∇²L(θ) v, a vector of :attr:`n_params` numbers of the arithmetic ``arith``
        (``v`` converted like θ; exact or enclosures in a certified arithmetic). Network losses compute it without
        forming the Hessian (forward-over-reverse, memory O(p)); :meth:`from_sympy` objectives multiply the
        Hessian.

        >>> import sympy as sp
        >>> x, y = sp.symbols("x y")
        >>> Objective.from_sympy(x**2 * y + y**2 / 2, [x, y]).hvp([1, 2], [1, 0], "exact")
        array([4, 2], dtype=object)
        """
        raise NotImplementedError

    def value_and_grad(self, theta, arith="float", prec=None):
        """(L(θ), ∇L(θ)); network losses share one forward pass."""
        return self.value(theta, arith, prec), self.grad(theta, arith, prec)

    def symbolic(self) -> sp.Expr:
        """L as an exact sympy expression in :attr:`symbols`."""
        raise NotImplementedError

    @classmethod
    def from_sympy(cls, expr, variables, name: str | None = None) -> SympyObjective:
        """An objective given by a sympy expression in the ordered ``variables`` (θ = values).

        * A sympy ``Float`` in ``expr`` means its **exact binary value** (``Float(0.1)`` is
          3602879701896397/2**55, the number a Python ``0.1`` stores; a ``Float`` of higher precision is
          likewise the exact m·2**e it holds). Floats are replaced by these rationals before anything is
          differentiated or compiled, so gradients and Hessians are the exact derivatives of that function
          (sympy itself differentiates Floats in rounded arithmetic: d/dx 0.1·x³ = 0.3·x² with 0.3 rounded,
          which is not 3 × 0.1). Write ``sympy.Rational(1, 10)`` for one tenth.
        * ``variables`` (and every symbol of ``expr``, which must all be among them) must be plain
          ``sympy.Symbol(name)`` or ``sympy.Symbol(name, real=True)``. Other assumptions (``positive``,
          ``integer``, …) are refused with :class:`~verify.errors.InputError`: sympy has already simplified
          the expression under them (``Abs(x)`` → ``x`` for positive x, ``sin(pi*n)`` → 0 for integer n),
          so at points violating them it is a different function from the one written.
        """
        return SympyObjective(expr, variables, name=name)


# ============================================================================ network losses
class NetworkLoss(Objective):
    """Σ_i ℓ(f(x_i; θ), y_i) for a network (:class:`MLP` or any :class:`~verify.models.nn.Sequential`) and
    a :class:`Dataset`.

    Evaluation: an MLP (or a Sequential that is a chain of Dense/Act layers) uses the closed-form
    layer-wise formulas (``verify/models/layerwise.py``); any other network the layer graph's engine
    (reverse mode for gradients, forward-over-reverse for Hessian-vector products and Hessians)."""

    def __init__(self, net, data: Dataset):
        from .nn.graph import Sequential

        if not isinstance(net, Sequential):
            raise InputError(f"net must be a verify.MLP or a verify.nn.Sequential, got {type(net).__name__}")
        if not isinstance(data, Dataset):
            if isinstance(data, str | bytes) or not isinstance(data, tuple | list) or len(data) != 2:
                raise InputError(f"data must be a verify.Dataset or a pair (X, y), got {type(data).__name__}")
            data = Dataset(*data)
        if data.d != net.input_dim:
            raise ShapeError(f"the data have d = {data.d} features but the network takes {net.input_dim} inputs "
                             f"(input shape {net.input_shape})")
        ps = getattr(data, "point_shape", None)
        if ps is not None and tuple(ps) != tuple(net.input_shape):
            raise ShapeError(f"the data points have shape {tuple(ps)} but the network takes inputs of shape "
                             f"{net.input_shape} (channels first, as in PyTorch/ONNX); transpose X (e.g. "
                             "X.transpose(0, 3, 1, 2) for channels-last images) or pass it flattened row-major "
                             "in the network's layout")
        self._check_labels(net, data)
        self.net, self.data = net, data
        self.n_params = net.n_params
        self.param_names = net.param_names
        self._engines = {}
        self._chain = net.dense_chain()

    def _check_labels(self, net, data):
        if data.k != net.output_dim:
            raise ShapeError(f"the labels have k = {data.k} columns but the network has {net.output_dim} outputs")

    @property
    def symbols(self):
        """The sympy symbols of the parameters, in θ order (the network's :attr:`~verify.MLP.symbols`)."""
        return self.net.symbols

    def _engine(self, a):
        eng = self._engines.get(a.key())
        if eng is None:
            if self._chain is not None:
                eng = Layerwise(self._chain, a)
            else:
                eng = self.net.engine(a)
            self._engines[a.key()] = eng
        return eng

    #: why the loss itself has no exact form (None: rational); the network may still have its own reason
    loss_not_rational: str | None = None

    def _require(self, a):
        if a.name == "exact":
            if self.loss_not_rational:
                raise ArithmeticNotSupportedError(f"{self.loss_not_rational}: use arith='ball' for certified "
                                                  "enclosures")
            why = self.net.exact_obstacle()
            if why:
                raise ArithmeticNotSupportedError(
                    f"'exact' arithmetic needs a network that is rational on each activation region; {why}. "
                    "Use arith='ball' for certified enclosures.")

    # per-output loss ℓ and derivatives on F (n × k): [ℓ (summed for L), ℓ' (n × k), ℓ'' ((n × k) if it is
    # diagonal, else (n × k × k))]
    def _ell(self, F, Y, a, order):
        raise NotImplementedError

    def _ell_at(self, a, Y):
        return lambda F, order: self._ell(F, Y, a, order)

    def outputs(self, theta, arith="float", prec=None):
        """Network outputs F (n × k) at θ."""
        a, th = self._prepare(theta, arith, prec)
        self._require(a)
        X, _ = self.data.in_arith(a)
        with a.context():
            return self._engine(a).outputs(th, X)

    def value(self, theta, arith="float", prec=None):
        """L(θ) = Σ_i ℓ(f(x_i; θ), y_i) with the loss's normalisation (see :meth:`Objective.value`); one forward
        pass of the network over the data set."""
        a, th = self._prepare(theta, arith, prec)
        self._require(a)
        X, Y = self.data.in_arith(a)
        with a.context():
            F = self._engine(a).outputs(th, X)
            (lv,) = self._ell(F, Y, a, 0)
            return a.sum(lv)

    def grad(self, theta, arith="float", prec=None):
        """∇L(θ) = Jᵀ ℓ'(F), J the Jacobian of the outputs F with respect to θ, by reverse mode (see
        :meth:`Objective.grad`)."""
        return self.value_and_grad(theta, arith, prec)[1]

    def value_and_grad(self, theta, arith="float", prec=None):
        a, th = self._prepare(theta, arith, prec)
        self._require(a)
        X, Y = self.data.in_arith(a)
        eng = self._engine(a)
        with a.context():
            fw = eng.forward(th, X, 1)
            lv, l1 = self._ell(eng.out(fw), Y, a, 1)
            return a.sum(lv), eng.vjp(th, X, l1, fw)

    def hessian(self, theta, arith="float", prec=None, max_bytes=None):
        """∇²L(θ) = Jᵀ diag(ℓ''(F)) J + Σ_i ℓ'(F_i) ∇²F_i, assembled from the layer-wise formulas for MLPs and by
        forward-over-reverse for other layer graphs (see :meth:`Objective.hessian` for the arguments and the size
        limit)."""
        a, th = self._prepare(theta, arith, prec)
        self._require(a)
        chain = self._chain
        # the smaller per-layer factors hold for MLPs whose hidden layers are wide (measured at widths ≥ 20): their
        # Hessians share the balls of mirrored Gauss–Newton blocks. With narrow layers the second-order blocks are
        # dense and distinct (one hidden neuron: 2.2 copies of the result in Arb), so the general factor is used
        wide = chain is not None and min(chain.widths[1:-1], default=0) >= LAYER_HINT_MIN_WIDTH
        layers = chain.depth if wide else None
        check_dense_size(self.n_params, self.n_params, a, "the Hessian", max_bytes, layers=layers)
        X, Y = self.data.in_arith(a)
        with a.context():
            return self._engine(a).loss_hessian(th, X, self._ell_at(a, Y))

    def hvp(self, theta, v, arith="float", prec=None):
        """∇²L(θ) v without forming the Hessian (forward-over-reverse)."""
        a, th = self._prepare(theta, arith, prec)
        self._require(a)
        with a.context():
            vv = a.array(v, what="v")
        if vv.shape != (self.n_params,):
            raise ShapeError(f"v must have shape ({self.n_params},), got {vv.shape}")
        X, Y = self.data.in_arith(a)
        with a.context():
            return self._engine(a).loss_hvp(th, X, self._ell_at(a, Y), vv)

    # -- regions -----------------------------------------------------------------------------------
    def region(self, theta, prec: int = 128):
        """The activation pattern at θ: one int array per *site* of the network, in order — for each
        activation layer the piece index of every input entry (shape ``(n, *in_shape)``, ``in_shape`` that layer's
        input shape; for an MLP, (n × m_l) per hidden layer), for each max-pooling layer the index inside its window
        of the selected entry (shape ``(n, *out_shape)``, ``out_shape`` that layer's output shape).

        Decided with certainty: exactly for rational θ and networks rational on each region, otherwise in
        ball arithmetic (also for a θ of balls: the pattern of every point of the box, or an error).
        An input on (or, in balls, possibly on) a breakpoint, or a max-pooling window whose
        maximum is not unique (unless the tied entries are one constant on the region, e.g. dead ReLU
        outputs), raises :class:`RegionBoundaryError` naming the layer, unit and data point.
        """
        from flint import arb

        ball = get_arith("ball", prec)
        boxes = any(isinstance(v, arb) for v in np.asarray(theta, dtype=object).reshape(-1))
        if self.net.exact_obstacle() is None and not boxes:
            a = get_arith("exact", prec)
            try:
                _, th = self._prepare(theta, a, prec)
                X, _ = self.data.in_arith(a)
                with a.context():
                    return self.net.engine(a).region(th, X)
            except ArithmeticNotSupportedError:
                pass  # a piece with an irrational coefficient (√2·z): decide in ball arithmetic below
        _, th = self._prepare(theta, ball, prec)  # a θ of balls (a box): its pattern if the box has one
        X, _ = self.data.in_arith(ball)
        with ball.context():
            return self.net.engine(ball).region(th, X)

    def on_region(self, pattern) -> sp.Expr:
        """L as the analytic sympy expression valid on the region ``pattern`` (see :meth:`region`): every
        activation replaced by the piece the pattern selects, every max pool by the entry it selects.

        For ReLU-type networks (polynomial pieces, convolutions, pooling) it is a polynomial in :attr:`symbols`.
        """
        from .nn.ops import SymbolicOps

        net = self.net
        if isinstance(pattern, str | bytes) or not hasattr(pattern, "__len__"):
            raise InputError("a pattern is a tuple of int arrays, one per activation/max-pool site")
        if len(pattern) != len(net.sites):
            raise ShapeError(f"a pattern has one array per site (activation layers and max pools: "
                             f"{len(net.sites)}), got {len(pattern)}")
        outs = self._symbolic_outputs(SymbolicOps(pattern))
        from ..arith.compile import exact_floats

        out = exact_floats(self._symbolic_loss(outs))  # a Float means its exact binary value (see from_sympy)
        _refuse_non_analytic(out, f"the loss on the region {tuple(np.asarray(p).tolist() for p in pattern)}")
        return out

    def _symbolic_outputs(self, ops):
        net = self.net
        X = np.empty((self.data.n, *net.input_shape), dtype=object)
        X.reshape(self.data.n, -1)[:] = [[sp.Rational(q.numerator, q.denominator) for q in row]
                                         for row in self.data.X_exact]
        from .nn.graph import _obj, symbolic_forward

        F = symbolic_forward(net, ops, net.layout.split(_obj(net.symbols)), X)
        return F.reshape(self.data.n, -1).tolist()

    def symbolic(self) -> sp.Expr:
        """L as an exact sympy expression (activations as Piecewise, max pools as Max) in :attr:`symbols`."""
        from .nn.ops import SymbolicOps

        return self._symbolic_loss(self._symbolic_outputs(SymbolicOps()))

    def _symbolic_loss(self, outs):
        raise NotImplementedError


class SquareLoss(NetworkLoss):
    """L(θ) = s Σ_i ‖f(x_i; θ) − y_i‖² with s set by ``normalization``:
    ``"mean"`` 1/n (default), ``"half_mean"`` 1/(2n), ``"sum"`` 1, ``"half_sum"`` 1/2.
    Here n is the number of data points (not n·k)."""

    NORMALIZATIONS = ("mean", "half_mean", "sum", "half_sum")

    def __init__(self, net, data, normalization: str = "mean"):
        super().__init__(net, data)
        if normalization not in self.NORMALIZATIONS:
            raise InputError(f"normalization must be one of {self.NORMALIZATIONS}, got {normalization!r}")
        self.normalization = normalization
        n = self.data.n
        self.scale = {"mean": Fraction(1, n), "half_mean": Fraction(1, 2 * n), "sum": Fraction(1),
                      "half_sum": Fraction(1, 2)}[normalization]

    def _ell(self, F, Y, a, order):
        s = a.const(self.scale)
        r = F - Y
        out = [s * r * r]
        if order >= 1:
            out.append(a.const(2 * self.scale) * r)
        if order >= 2:
            c = a.const(2 * self.scale)
            l2 = np.empty(F.shape, dtype=F.dtype)
            l2.fill(c)
            out.append(l2)
        return out

    def residuals(self, theta, arith="float", prec=None):
        """r = f(X; θ) − y, flattened to length n·k (row i·k + o)."""
        F = self.outputs(theta, arith, prec)
        a = get_arith(arith, prec)
        _, Y = self.data.in_arith(a)
        with a.context():
            return (F - Y).reshape(-1)

    def jacobian(self, theta, arith="float", prec=None, max_bytes=None):
        """The data Jacobian J = ∂r/∂θ (n·k × p); J Jᵀ is the empirical NTK Gram matrix."""
        a, th = self._prepare(theta, arith, prec)
        self._require(a)
        check_dense_size(self.data.n * self.data.k, self.n_params, a, "the Jacobian", max_bytes)
        X, _ = self.data.in_arith(a)
        with a.context():
            return self._engine(a).jacobian(th, X)

    def _symbolic_loss(self, outs):
        s = sp.Rational(self.scale.numerator, self.scale.denominator)
        terms = []
        for i, f in enumerate(outs):
            for o, fo in enumerate(f):
                q = self.data.Y_exact[i, o]
                terms.append((fo - sp.Rational(q.numerator, q.denominator)) ** 2)
        return s * sp.Add(*terms)


class LogisticLoss(NetworkLoss):
    """L(θ) = (1/n) Σ_i log(1 + exp(−y_i f(x_i; θ))) for a scalar-output network, y_i ∈ {−1, +1}."""

    def __init__(self, net, data):
        super().__init__(net, data)
        if self.data.k != 1:
            raise ShapeError("LogisticLoss needs one output per data point")
        labels = set(self.data.Y_exact[:, 0].tolist())
        if not labels <= {Fraction(-1), Fraction(1)}:
            raise InputError(f"LogisticLoss labels must be -1 or +1, got {sorted(labels)}")

    loss_not_rational = "the logistic loss is not rational"

    def _ell(self, F, Y, a, order):
        n = self.data.n
        inv_n = a.const(Fraction(1, n))
        t = Y * F  # margins y·f
        if a.name == "float":
            with np.errstate(over="ignore"):
                out = [np.logaddexp(0.0, -t) / n]
                sig_neg = 0.5 * (1 - np.tanh(t / 2))  # σ(−t), stable
                sig_pos = 0.5 * (1 + np.tanh(t / 2))
        else:
            exp = a.vectorize(a.func("exp"))
            log1p = a.vectorize(a.func("log1p"))
            e = exp(-t)
            one = a.const(Fraction(1))
            out = [log1p(e) * inv_n]
            sig_neg = e / (one + e)
            sig_pos = one / (one + e)
        if order >= 1:
            out.append(-Y * sig_neg * inv_n)
        if order >= 2:
            out.append(sig_pos * sig_neg * inv_n)
        return out

    def _symbolic_loss(self, outs):
        n = self.data.n
        terms = []
        for i, f in enumerate(outs):
            q = self.data.Y_exact[i, 0]
            terms.append(sp.log(1 + sp.exp(-sp.Rational(q.numerator, q.denominator) * f[0])))
        return sp.Add(*terms) / n


class CrossEntropyLoss(NetworkLoss):
    """Softmax cross-entropy: L(θ) = (1/n) Σ_i [log Σ_c exp F_ic(θ) − F_{i,y_i}(θ)] for a network with k ≥ 2
    outputs and integer class labels y_i ∈ {0, …, k−1} (``Dataset(X, labels)`` with one label per row).

    With p_i = softmax(F_i): ∇_F L = (p_i − e_{y_i})/n and ∇²_F L = (diag p_i − p_i p_iᵀ)/n per data point, so
    ∇²L = Σ_i J_iᵀ (diag p_i − p_i p_iᵀ) J_i / n + Σ_i ⟨(p_i − e_{y_i})/n, ∇²F_i⟩ (Crăciun & Ghoshdastidar,
    arXiv:2510.24466, consider this loss). exp has no exact form: ``arith="exact"`` is refused (use "ball").
    """

    def _check_labels(self, net, data):
        if data.k != 1:
            raise ShapeError(f"CrossEntropyLoss takes one integer class label per data point, got {data.k} columns")
        k = net.output_dim
        if k < 2:
            raise ShapeError("CrossEntropyLoss needs a network with k ≥ 2 outputs (one score per class)")
        labels = data.Y_exact[:, 0]
        bad = [q for q in labels if q.denominator != 1 or not 0 <= q < k]
        if bad:
            raise InputError(f"CrossEntropyLoss labels must be integers in [0, {k}) (classes of the network's "
                             f"{k} outputs), got {bad[0]}")
        self.labels = np.array([int(q) for q in labels], dtype=int)

    loss_not_rational = "the cross-entropy loss involves exp and log, which have no exact rational form"

    def _ell(self, F, Y, a, order):
        n, k = F.shape
        rows = np.arange(n)
        p = a.softmax_last(F)
        lse = a.logsumexp_last(F)
        picked = F[rows, self.labels]
        with a.context():
            inv_n = a.const(Fraction(1, n)) if a.dtype is object else 1.0 / n
            out = [((lse - picked) * inv_n).reshape(n, 1)]
        if order >= 1:
            onehot = np.zeros((n, k)) if a.dtype is not object else a.zeros((n, k))
            onehot[rows, self.labels] = 1 if a.dtype is not object else a.const(Fraction(1))
            scale = 1.0 / n if a.dtype is not object else a.const(Fraction(1, n))
            out.append((p - onehot) * scale)
        if order >= 2:
            H = p[:, :, None] * p[:, None, :]
            H = -H
            for c in range(k):
                H[:, c, c] = H[:, c, c] + p[:, c]
            out.append(H * scale)
        return out

    def _symbolic_loss(self, outs):
        n = self.data.n
        terms = [sp.log(sp.Add(*[sp.exp(fc) for fc in f])) - f[int(self.labels[i])] for i, f in enumerate(outs)]
        return sp.Add(*terms) / n


def _refuse_non_analytic(expr: sp.Expr, what: str) -> None:
    """A region expression is meant to be analytic; sympy may have turned a piece into ``Abs`` (or another
    non-analytic node) once pre-activations were substituted — e.g. ``sqrt(w**2 * v)`` → ``Abs(w)·sqrt(v)``."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, NON_ANALYTIC):
            raise NotAnalyticError(
                f"{what} is not analytic: after substitution a piece became {node} ({type(node).__name__}); "
                "sympy rewrites roots of squares this way. Use activations/pieces that stay analytic under "
                "substitution (e.g. integer powers) for region computations")


# ============================================================================ sympy objectives
class SympyObjective(Objective):
    """L(θ) = expr(θ_1, …, θ_p) for a sympy expression in the ordered ``variables``.

    ``Abs``, ``Max``, ``Min``, ``Heaviside`` and ``sign`` are rewritten as ``Piecewise``; the gradient
    and Hessian are the per-branch derivatives (valid inside each branch). Evaluation uses
    CSE-reduced compiled programs (``verify/arith/compile.py``) in every arithmetic. In ``ball`` and
    ``exact``, derivatives at a point where a branch condition is undecided (or exactly tied) raise
    RegionBoundaryError; ``float``/``mp`` take the condition as written there (the derivative of the
    branch the Piecewise selects at that point: for ``Abs(x)``, rewritten as
    ``Piecewise((x, x >= 0), (-x, True))``, the derivative 1 at 0) — a one-sided derivative, uncertified.

    Not real-valued at θ (a logarithm of a number ≤ 0, a pole, a fractional power of a negative number,
    no Piecewise branch applying): :class:`NonRealError` in every arithmetic, also for the gradient
    and Hessian (evaluated together with the value, whose domain they share). A ball result that is
    not finite (an argument enclosure reaching outside its domain) raises :class:`EnclosureError`:
    raise the precision or shrink the box. ``exact`` evaluates wherever the path through the
    expression at θ is rational, and raises :class:`ArithmeticNotSupportedError` at the first
    transcendental node it meets.

    Floats in ``expr`` are read as their exact binary values, and symbols with assumptions other than
    ``real=True`` are refused (see :meth:`Objective.from_sympy`); :attr:`expr` is the Float-free expression.
    """

    def __init__(self, expr, variables, name: str | None = None):
        if isinstance(expr, str) or not isinstance(expr, sp.Basic):
            raise InputError("Objective.from_sympy needs a sympy expression built in code; strings are not "
                             "parsed (no sympify of untrusted text)")
        user_expr = expr
        if isinstance(variables, sp.Basic | str) or not hasattr(variables, "__iter__"):
            raise InputError("variables must be a non-empty list of sympy Symbols (the order of θ), e.g. [x, y]")
        variables = list(variables)
        if not variables or not all(isinstance(v, sp.Symbol) for v in variables):
            raise InputError("variables must be a non-empty list of sympy Symbols (the order of θ)")
        if len(set(variables)) != len(variables):
            raise InputError("variables contain a repeated symbol")
        from ..arith.compile import check_evaluable, check_plain_symbols, exact_floats

        check_plain_symbols(variables, "Objective.from_sympy")
        extra = expr.free_symbols - set(variables)
        if extra:
            names = {str(v) for v in variables}
            twins = sorted(str(e) for e in extra if str(e) in names)
            hint = (f" ({', '.join(twins)}: a symbol of the same name but other assumptions — sympy treats "
                    "Symbol('x') and Symbol('x', real=True) as different symbols; build the expression with the "
                    "variables themselves)") if twins else ""
            raise InputError(f"the expression depends on {sorted(map(str, extra))}, which are not among the "
                             f"variables {[str(v) for v in variables]}{hint}: give values for them or add them")
        check_plain_symbols(expr.free_symbols, "Objective.from_sympy")
        # a Float coefficient means its exact binary value: replace it before any derivative is taken (sympy
        # differentiates Floats in rounded arithmetic: d/dx 0.1·x³ = 0.3·x² with 0.3 rounded, ≠ 3·0.1)
        expr = exact_floats(expr)
        rewritten = expr.rewrite(sp.Piecewise) if expr.has(sp.Abs, sp.Max, sp.Min, sp.Heaviside, sp.sign) else expr
        check_evaluable(rewritten)
        self.expr = rewritten
        self.variables = variables
        self.symbols = variables
        self.n_params = len(variables)
        self.param_names = [str(v) for v in variables]
        self.name = name or str(user_expr)
        self._grad_exprs = None
        self._hess_exprs = None
        self._programs = {}

    def _derivs(self, order):
        if order >= 1 and self._grad_exprs is None:
            self._grad_exprs = [sp.diff(self.expr, v) for v in self.variables]
        if order >= 2 and self._hess_exprs is None:
            g = self._grad_exprs
            self._hess_exprs = [[sp.diff(g[i], v) for v in self.variables] for i in range(self.n_params)]

    def _program(self, kind, a):
        from ..arith.compile import Program

        key = (kind, a.key())
        prog = self._programs.get(key)
        if prog is None:
            # derivatives are evaluated together with the value (CSE-shared, output 0, dropped by _run):
            # its domain checks refuse a gradient at a point where L itself is not real (log(x) at −1 has
            # the real "derivative" −1)
            if kind == "value":
                exprs, ties = [self.expr], False
            elif kind == "grad":
                self._derivs(1)
                exprs, ties = [self.expr, *self._grad_exprs], True
            else:
                self._derivs(2)
                exprs, ties = [self.expr, *(e for row in self._hess_exprs for e in row)], True
            with a.context():
                prog = self._programs[key] = Program(exprs, self.variables, a, ties_are_boundaries=ties)
        return prog

    def _run(self, kind, theta, arith, prec):
        a, th = self._prepare(theta, arith, prec)
        try:
            vals = self._program(kind, a)(list(th))
        except ArithmeticNotSupportedError as exc:
            raise ArithmeticNotSupportedError(f"{self.name} cannot be evaluated exactly at this point ({exc}); "
                                              "use arith='ball'") from None
        except ZeroDivisionError:  # defensive: the compiler's domain checks catch poles first
            raise NonRealError(f"{self.name}: division by zero at θ = {list(theta)}") from None
        self._check_real(vals, a, kind, theta)
        if kind != "value":
            vals = vals[1:]
        if a.array_native:  # one array of the arithmetic's own type (float64 balls)
            return a, np.stack([a.broadcast(v, ()) for v in vals]) if vals else a.zeros(0)
        out = np.empty(len(vals), dtype=a.dtype)
        for i, v in enumerate(vals):
            out[i] = v
        return a, out

    def _check_real(self, vals, a, kind, theta):
        """Refuse NaN / complex results (float, mp) and non-finite enclosures (ball)."""
        what = {"value": "the value", "grad": "the gradient", "hess": "the Hessian"}[kind]
        if kind != "value":
            what = f"{what} (or the value)"
        if a.name == "float":
            # every non-real case is refused by the compiler's domain checks; a NaN left over comes from
            # float64 overflow (inf − inf, 0·inf), which float reports as IEEE arithmetic does (GD runs in
            # float stop on non-finite values); a complex result cannot occur but is refused if it does
            bad = [i for i, v in enumerate(vals) if np.iscomplexobj(v)]
            if bad:
                raise NonRealError(f"{what} of {self.name} is complex in float arithmetic at θ = {list(theta)}")
        elif a.name == "mp":
            import mpmath

            bad = [i for i, v in enumerate(vals) if isinstance(v, mpmath.mpc) or mpmath.isnan(v)]
            if bad:
                raise NonRealError(f"{what} of {self.name} is not a real number in mp arithmetic at θ = "
                                   f"{list(theta)} (entry {bad[0]}: {vals[bad[0]]})")
        elif a.certified:  # enclosures (Arb balls, float64 balls) must be finite; exact rationals always are
            bad = [i for i, v in enumerate(vals) if hasattr(v, "is_finite") and not v.is_finite()]
            if bad:
                at = "" if a.prec is None else f" at {a.prec} bits"
                raise EnclosureError(
                    f"{what} of {self.name} has no finite enclosure at this θ in {a.name} arithmetic{at} "
                    f"(entry {bad[0]}: {vals[bad[0]]}): an argument's enclosure reaches outside its domain "
                    "(a logarithm or root of a possibly non-positive number, a possible pole) — at this point, "
                    "or somewhere in the box if θ is a box. Raise the precision, shrink the box, or check that "
                    "the objective is real-valued there")

    def value(self, theta, arith="float", prec=None):
        """The expression's value at θ (the variables in the given order), by a compiled program
        (:mod:`verify.arith.compile`); see :meth:`Objective.value`."""
        return self._run("value", theta, arith, prec)[1][0]

    def grad(self, theta, arith="float", prec=None):
        """The exact symbolic gradient of the expression, evaluated at θ by a compiled program (a Piecewise tie is a
        region boundary in the certified arithmetics); see :meth:`Objective.grad`."""
        return self._run("grad", theta, arith, prec)[1]

    def hessian(self, theta, arith="float", prec=None, max_bytes=None):
        """The exact symbolic Hessian of the expression, evaluated at θ by a compiled program; see
        :meth:`Objective.hessian`."""
        check_dense_size(self.n_params, self.n_params, get_arith(arith, prec), "the Hessian", max_bytes)
        _, h = self._run("hess", theta, arith, prec)
        return h.reshape(self.n_params, self.n_params)

    def hvp(self, theta, v, arith="float", prec=None):
        """∇²L(θ) v as the product of :meth:`hessian` with ``v`` in the arithmetic (p is small for symbolic
        objectives); see :meth:`Objective.hvp`."""
        a = get_arith(arith, prec)
        H = self.hessian(theta, arith, prec)
        with a.context():
            vv = a.array(v, what="v")
            if vv.shape != (self.n_params,):
                raise ShapeError(f"v must have shape ({self.n_params},), got {vv.shape}")
            return a.matmul(H, vv.reshape(-1, 1)).reshape(-1)

    def symbolic(self):
        return self.expr

    def pieces(self) -> list:
        """The Piecewise nodes of the expression, in a fixed order (defines region patterns)."""
        return sorted(self.expr.atoms(sp.Piecewise), key=sp.default_sort_key)

    def region(self, theta, prec: int = 128):
        """Tuple of the branch index chosen by each Piecewise node (see :meth:`pieces`) at θ."""
        from ..arith.compile import Program

        pw = self.pieces()
        if not pw:
            return ()
        a = get_arith("ball", prec)
        _, th = self._prepare(theta, a, prec)
        out = []
        for node in pw:
            for bi, (_, cond) in enumerate(node.args):
                if cond is sp.true:
                    out.append(bi)
                    break
                prog = Program([sp.Piecewise((1, cond), (0, True))], self.variables, a, ties_are_boundaries=True)
                (v,) = prog(list(th))
                if v.lower() > 0:
                    out.append(bi)
                    break
        return tuple(out)

    def on_region(self, pattern) -> sp.Expr:
        """L as the analytic expression valid on the region ``pattern`` (each Piecewise node replaced by
        the branch ``pattern`` selects). Refused with :class:`NotAnalyticError` if the replacement turns
        into a non-analytic expression (sympy rewrites e.g. ``sqrt(p**2)`` with p real as ``Abs(p)``)."""
        pw = self.pieces()
        if isinstance(pattern, str) or not hasattr(pattern, "__len__") or len(pattern) != len(pw):
            raise ShapeError(f"pattern must give one branch index per Piecewise node ({len(pw)})")
        idx = []
        for node, b in zip(pw, pattern):
            if isinstance(b, bool | np.bool_) or not isinstance(b, int | np.integer) or not 0 <= b < len(node.args):
                raise InputError(f"pattern entries must be branch indices in [0, {len(node.args)}) for {node}, "
                                 f"got {b!r}")
            idx.append(int(b))
        from ..arith.compile import exact_floats

        out = exact_floats(self.expr.xreplace({node: node.args[b][0] for node, b in zip(pw, idx)}))
        _refuse_non_analytic(out, f"{self.name} on the region {tuple(idx)}")
        return out
