"""The gradient-descent map and its Jacobian (Crăciun & Ghoshdastidar, arXiv:2510.24466, §1).

* :class:`GDMap` — G_η(θ) = θ − η ∇L(θ), Jacobian DG_η(θ) = I − η ∇²L(θ).
* :class:`SGDMap` — G_{η,B}(θ) = θ − η ∇L_B(θ), L_B the same loss on the mini-batch B.
* :meth:`SGDMap.epoch` — one pass of SGD as practised (random reshuffling, with replacement, a step-size
  schedule): :class:`verify.gdmap.epochs.EpochMap`.
* :meth:`GDMap.compose` — the k-step map G^k with D(G^k)(θ) = DG(θ_{k−1}) ⋯ DG(θ_0), θ_j = G^j(θ).

Every method takes ``arith`` and ``prec`` like the objectives do. η is kept as an exact rational,
so ``"exact"`` arithmetic gives the exact map on polynomial pieces and ``"ball"`` encloses it.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .. import validate
from ..arith import get_arith
from ..errors import InputError, ShapeError
from ..numbers import shape_of


def check_eta(eta, what: str = "the step size η") -> Fraction:
    """η as an exact positive rational; a clear :class:`~verify.errors.InputError` for η ≤ 0, NaN, inf, a
    string or a non-number (:func:`verify.validate.positive_rational`)."""
    return validate.positive_rational(eta, what)


def eta_str(q: Fraction) -> str:
    """η for messages: the exact fraction when short, the float it came from when it is one (0.1, not
    3602…/2^55), else the exact rational when it is not too long (1/2 + 10⁻³⁰ is not "0.5"), else a rounded
    value marked as such."""
    if q.denominator < 10**6:
        return str(q)
    f = float(q)
    if Fraction(f) == q:
        return repr(f)
    exact = str(q)
    return exact if len(exact) <= 100 else f"{f!r} (rounded; η is an exact rational with a {len(exact)}-character form)"


def batch_objective(objective, batch):
    """L_B: the same loss (same normalisation per data point) on the rows ``batch`` of the data, for any
    network of the loss (an MLP or any ``vf.nn.Sequential``)."""
    from ..models.objective import CrossEntropyLoss, LogisticLoss, NetworkLoss, SquareLoss

    if not isinstance(objective, NetworkLoss):
        raise InputError("mini-batches need a network loss with a dataset (SquareLoss, LogisticLoss or "
                         f"CrossEntropyLoss); got {type(objective).__name__}")
    n = objective.data.n
    if isinstance(batch, str | bytes) or not hasattr(batch, "__iter__"):
        raise InputError(f"a batch must be a list of data indices, got {batch!r}")
    rows = [validate.nonneg_int(i, "a data index in a batch") for i in batch]
    if not rows or len(set(rows)) != len(rows) or min(rows) < 0 or max(rows) >= n:
        raise InputError(f"a batch must be a non-empty list of distinct data indices in [0, {n}), got {list(batch)}")
    data = objective.data.subset(rows)
    if isinstance(objective, SquareLoss):
        if objective.normalization not in ("mean", "half_mean"):
            raise InputError("SGD batches average per-sample losses: use normalization 'mean' or 'half_mean' "
                             f"(got {objective.normalization!r})")
        return SquareLoss(objective.net, data, normalization=objective.normalization)
    if isinstance(objective, LogisticLoss):
        return LogisticLoss(objective.net, data)
    if isinstance(objective, CrossEntropyLoss):  # a mean over the batch of log Σ_c e^(F_c) − F_y
        return CrossEntropyLoss(objective.net, data)
    raise InputError(f"batches are not defined for {type(objective).__name__}")


class GDMap:
    """G_η(θ) = θ − η ∇L(θ) for an objective L (any :class:`verify.Objective`) and η > 0."""

    def __init__(self, objective, eta):
        self.objective = objective
        self.eta = check_eta(eta)

    @property
    def n_params(self) -> int:
        """p, the number of parameters of the objective (G_η maps R^p to R^p)."""
        return self.objective.n_params

    def _theta(self, theta, a):
        shape = shape_of(theta, what="θ")  # a ragged nesting is a ShapeError
        if shape != (self.n_params,):
            raise ShapeError(f"θ must be a flat vector of {self.n_params} parameters, got shape {shape}")
        with a.context():
            return a.array(theta, what="θ")

    def __call__(self, theta, arith="float", prec=None) -> np.ndarray:
        a = get_arith(arith, prec)
        th = self._theta(theta, a)
        g = self.objective.grad(th, a, prec)
        with a.context():
            return th - a.const(self.eta) * g

    def jacobian(self, theta, arith="float", prec=None, max_bytes=None) -> np.ndarray:
        """DG_η(θ) = I − η ∇²L(θ) (p × p)."""
        a = get_arith(arith, prec)
        th = self._theta(theta, a)
        H = self.objective.hessian(th, a, prec, max_bytes=max_bytes)
        with a.context():
            return a.eye(self.n_params) - a.const(self.eta) * H

    def orbit(self, theta, steps: int, arith="float", prec=None) -> list:
        """[θ_0, θ_1, …, θ_steps] with θ_{j+1} = G(θ_j) (``steps`` ≥ 0; 0 gives [θ_0])."""
        steps = validate.nonneg_int(steps, "the number of steps")
        a = get_arith(arith, prec)
        out = [self._theta(theta, a)]
        for _ in range(steps):
            out.append(self(out[-1], a, prec))
        return out

    def compose(self, k: int) -> ComposedMap:
        """The k-step map G^k (k ≥ 1; G^1 is G itself)."""
        return ComposedMap(self, _check_steps(k, "the number of steps k"))

    def __repr__(self):
        return f"GDMap(η={eta_str(self.eta)}, p={self.n_params})"


class SGDMap(GDMap):
    """G_{η,B}(θ) = θ − η ∇L_B(θ) for one mini-batch B (a list of data indices)."""

    def __init__(self, objective, eta, batch):
        super().__init__(batch_objective(objective, batch), eta)
        self.full_objective = objective
        self.batch = [int(i) for i in batch]  # validated by batch_objective

    @staticmethod
    def epoch(objective, eta, batch_size: int, *, order=None, seed: int | None = 0, drop_last: bool = False,
              replacement: bool = False, steps: int | None = None, schedule=None):
        """The map of one SGD pass as practised (:class:`verify.gdmap.epochs.EpochMap`): random reshuffling
        (``order`` a permutation of the data, or drawn from numpy's ``default_rng(seed)``; batches of
        ``batch_size``, the last one smaller unless ``drop_last``), or, with ``replacement=True``, ``steps``
        independently drawn batches (default: one epoch's worth, ⌈n/b⌉). ``schedule``: step-size multipliers
        η_k = η·f_k. The Jacobian is the product of the factors I − η_k∇²L_{B_k}(θ_{k−1}) along the epoch."""
        from .epochs import EpochMap

        if replacement:
            if order is not None or drop_last:
                raise InputError("order and drop_last describe random reshuffling, not sampling with replacement")
            if seed is None:
                raise InputError("sampling with replacement needs a seed (an integer ≥ 0)")
            if steps is None:
                n = objective.data.n if getattr(objective, "data", None) is not None else 0
                b = validate.positive_int(batch_size, "batch_size")
                steps = max(1, -(-n // b))
            return EpochMap.with_replacement(objective, eta, batch_size, steps, seed=seed, schedule=schedule)
        if steps is not None:
            raise InputError("steps is for sampling with replacement; one reshuffling epoch has ⌈n/b⌉ steps")
        return EpochMap.reshuffling(objective, eta, batch_size, seed=seed, order=order, drop_last=drop_last,
                                    schedule=schedule)

    def __repr__(self):
        return f"SGDMap(η={eta_str(self.eta)}, batch={self.batch}, p={self.n_params})"


class ComposedMap:
    """G^k for a :class:`GDMap` G: value and Jacobian (product of Jacobians along the orbit)."""

    def __init__(self, gmap: GDMap, k: int):
        self.map, self.k = gmap, _check_steps(k, "the number of steps k")
        self.objective, self.eta = gmap.objective, gmap.eta

    @property
    def n_params(self) -> int:
        """p, the number of parameters (G^k maps R^p to R^p)."""
        return self.map.n_params

    def __call__(self, theta, arith="float", prec=None):
        return self.map.orbit(theta, self.k, arith, prec)[-1]

    def jacobian(self, theta, arith="float", prec=None, max_bytes=None):
        """D(G^k)(θ) = DG(θ_{k−1}) ⋯ DG(θ_1) DG(θ_0). In ``"ball"`` with a box θ the product
        encloses D(G^k) at every point of the box (each factor is evaluated on an enclosure of
        the image box G^j(θ))."""
        return self.value_and_jacobian(theta, arith, prec, max_bytes)[1]

    def value_and_jacobian(self, theta, arith="float", prec=None, max_bytes=None):
        """(G^k(θ), D(G^k)(θ)) from one orbit θ_0 … θ_k: the Jacobian is the product DG(θ_{k−1}) ⋯ DG(θ_0) (see
        :meth:`jacobian`; in a certified arithmetic both are enclosures)."""
        a = get_arith(arith, prec)
        pts = self.map.orbit(theta, self.k - 1, a, prec)
        J = None
        for th in pts:
            D = self.map.jacobian(th, a, prec, max_bytes)
            with a.context():
                J = D if J is None else a.matmul(D, J)
        return self.map(pts[-1], a, prec), J

    def __repr__(self):
        return f"{self.map!r}^{self.k}"


def _check_steps(k, what="the number of steps"):
    """A positive integer count (:func:`verify.validate.positive_int`): not a bool, not 1.5, not "3"."""
    return validate.positive_int(k, what)
