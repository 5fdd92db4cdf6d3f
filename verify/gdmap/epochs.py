"""SGD as practised: the map of one epoch (random reshuffling), SGD with replacement, mini-batch and step-size
schedules (Crăciun & Ghoshdastidar, arXiv:2510.24466 §1–2: the SGD map of a mini-batch, and compositions of
such maps).

One *pass* of mini-batch SGD over the batches B_1, …, B_K with step sizes η_1, …, η_K is the composition

    E(θ) = G_K ∘ ⋯ ∘ G_1 (θ),    G_k(θ) = θ − η_k ∇L_{B_k}(θ),

with intermediate iterates θ_0 = θ, θ_k = G_k(θ_{k−1}). By the chain rule its Jacobian is the ordered product

    DE(θ) = (I − η_K ∇²L_{B_K}(θ_{K−1})) ⋯ (I − η_1 ∇²L_{B_1}(θ_0)),

each factor evaluated at *its* intermediate iterate. Hence det DE(θ) = Π_k det(I − η_k ∇²L_{B_k}(θ_{k−1})):
E is non-singular where every factor is (:func:`verify.gdmap.check_epoch_nonsingular`).

Sampling schemes (the batch sequence is reproducible: numpy's ``Generator`` from ``seed``, recorded in
:attr:`EpochMap.sampling`):

* **random reshuffling** (:meth:`EpochMap.reshuffling`): a permutation π of the n data points (drawn, or
  given as ``order``) cut into consecutive batches of size b; the last, smaller batch is kept unless
  ``drop_last`` (PyTorch's ``DataLoader(shuffle=True, drop_last=…)``);
* **with replacement** (:meth:`EpochMap.with_replacement`): ``steps`` batches drawn independently, each a
  uniformly random b-subset of the data (distinct indices inside a batch, batches drawn with replacement);
* **given batches** (:class:`EpochMap` itself): any ordered list of batches;
* **step-size schedule**: η_k = η·f_k with positive rational multipliers f_k (``schedule``: a list, or a
  function of the step index k = 0, 1, …), as a learning-rate scheduler does.

η and the multipliers are exact rationals, so ``"exact"`` arithmetic gives the exact epoch map on polynomial
pieces and ``"ball"`` encloses it (for a box θ, every factor is evaluated on an enclosure of the image box).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .. import validate
from ..arith import get_arith
from ..errors import InputError
from .maps import SGDMap, check_eta, eta_str


def reshuffle_batches(n: int, batch_size: int, *, seed: int | None = 0, order=None,
                      drop_last: bool = False) -> tuple[list[list[int]], list[int]]:
    """(batches, order) of one random-reshuffling epoch: ``order`` — a permutation of range(n), given or drawn
    by ``numpy.random.default_rng(seed).permutation(n)`` — cut into consecutive batches of ``batch_size``;
    the last batch has n mod b points, or is dropped when ``drop_last``."""
    n = validate.positive_int(n, "the number of data points")
    b = validate.positive_int(batch_size, "batch_size", maximum=n)
    drop_last = validate.boolean(drop_last, "drop_last")
    if order is None:
        if seed is None:
            raise InputError("give a seed (an integer ≥ 0) or an explicit order for random reshuffling")
        seed = validate.nonneg_int(seed, "seed")
        perm = [int(i) for i in np.random.default_rng(seed).permutation(n)]
    else:
        if isinstance(order, str | bytes) or not hasattr(order, "__iter__"):
            raise InputError(f"order must be a permutation of range({n}), got {order!r}")
        perm = [validate.nonneg_int(i, "an entry of order") for i in order]
        if sorted(perm) != list(range(n)):
            raise InputError(f"order must be a permutation of range({n}) (each data index once), got {list(order)}")
    batches = [perm[i:i + b] for i in range(0, n, b)]
    if drop_last and len(batches[-1]) < b:
        batches = batches[:-1]
    return batches, perm


def replacement_batches(n: int, batch_size: int, steps: int, *, seed: int = 0) -> list[list[int]]:
    """``steps`` batches drawn independently (with replacement across steps), each a uniformly random subset of
    ``batch_size`` distinct data indices (``Generator.choice(n, b, replace=False)``, listed increasingly)."""
    n = validate.positive_int(n, "the number of data points")
    b = validate.positive_int(batch_size, "batch_size", maximum=n)
    steps = validate.positive_int(steps, "steps")
    rng = np.random.default_rng(validate.nonneg_int(seed, "seed"))
    return [sorted(int(i) for i in rng.choice(n, size=b, replace=False)) for _ in range(steps)]


def _multipliers(schedule, steps: int) -> list[Fraction]:
    if schedule is None:
        return [Fraction(1)] * steps
    if callable(schedule):
        out = [validate.positive_rational(schedule(k), f"schedule({k})") for k in range(steps)]
    else:
        if isinstance(schedule, str | bytes) or not hasattr(schedule, "__len__"):
            raise InputError(f"schedule must be a list of {steps} positive multipliers or a function of the step "
                             f"index, got {schedule!r}")
        if len(schedule) != steps:
            raise InputError(f"schedule has {len(schedule)} multipliers for {steps} steps")
        out = [validate.positive_rational(f, f"schedule[{k}]") for k, f in enumerate(schedule)]
    return out


class EpochMap:
    """E = G_{B_K, η_K} ∘ ⋯ ∘ G_{B_1, η_1}: mini-batch SGD over the ordered ``batches`` with η_k = η·f_k.

    ``batches``: an ordered list of mini-batches (lists of distinct data indices of the objective's data set);
    ``eta``: the base step size η > 0 (an exact rational); ``schedule``: multipliers f_k (a list with one
    positive rational per step, or a function of k = 0, …, K−1; default all 1).

    >>> import verify as vf
    >>> loss = vf.SquareLoss(vf.MLP([1, 1], "relu"), vf.Dataset([[1], [2]], [1, 2]))
    >>> from fractions import Fraction
    >>> E = EpochMap(loss, [[0], [1]], Fraction(1, 10))
    >>> E([0], "exact")[0]  # θ_1 = 0 − (1/10)·2·(0 − 1) = 1/5, θ_2 = 1/5 − (1/10)·2·(2/5 − 2)·2
    21/25
    >>> E.jacobian([0], "exact")[0, 0]  # (1 − (1/10)·8)(1 − (1/10)·2)
    4/25
    """

    def __init__(self, objective, batches, eta, schedule=None, *, sampling: dict | None = None):
        if isinstance(batches, str | bytes) or not hasattr(batches, "__len__") or len(batches) == 0:
            raise InputError("batches must be a non-empty list of mini-batches (lists of data indices), "
                             f"got {batches!r}")
        self.full_objective = objective
        self.eta = check_eta(eta)
        self.schedule = _multipliers(schedule, len(batches))
        self.maps = [SGDMap(objective, self.eta * f, b) for b, f in zip(batches, self.schedule)]
        self.batches = [m.batch for m in self.maps]
        self.sampling = dict(sampling) if sampling else {"scheme": "given batches"}

    # ------------------------------------------------------------------------------- constructors
    @classmethod
    def reshuffling(cls, objective, eta, batch_size: int, *, seed: int | None = 0, order=None,
                    drop_last: bool = False, schedule=None) -> EpochMap:
        """One epoch of random reshuffling: the data permuted (``order``, or drawn from ``seed``) and cut into
        batches of ``batch_size`` (the last one smaller, or dropped when ``drop_last``)."""
        n = _n_data(objective)
        batches, perm = reshuffle_batches(n, batch_size, seed=seed, order=order, drop_last=drop_last)
        return cls(objective, batches, eta, schedule,
                   sampling={"scheme": "random reshuffling", "seed": None if order is not None else seed,
                             "order": perm, "batch_size": int(batch_size), "drop_last": bool(drop_last),
                             "generator": "numpy.random.default_rng(seed).permutation(n)" if order is None else
                             "order given"})

    @classmethod
    def with_replacement(cls, objective, eta, batch_size: int, steps: int, *, seed: int = 0,
                         schedule=None) -> EpochMap:
        """``steps`` SGD steps on batches drawn independently (each a uniform random subset of ``batch_size``
        distinct indices) from numpy's ``default_rng(seed)``."""
        n = _n_data(objective)
        batches = replacement_batches(n, batch_size, steps, seed=seed)
        return cls(objective, batches, eta, schedule,
                   sampling={"scheme": "with replacement", "seed": int(seed), "batch_size": int(batch_size),
                             "steps": int(steps),
                             "generator": "numpy.random.default_rng(seed).choice(n, batch_size, replace=False) "
                                          "per step"})

    def with_eta(self, eta) -> EpochMap:
        """The same batches and multipliers with base step size ``eta``."""
        return EpochMap(self.full_objective, self.batches, eta, self.schedule, sampling=self.sampling)

    # ------------------------------------------------------------------------------------ the map
    @property
    def n_params(self) -> int:
        """p, the number of parameters of the objective."""
        return self.full_objective.n_params

    @property
    def steps(self) -> int:
        """The number of SGD steps in the epoch (one per batch); the epoch map is their composition."""
        return len(self.maps)

    @property
    def etas(self) -> list[Fraction]:
        """η_k = η·f_k, exact."""
        return [m.eta for m in self.maps]

    def orbit(self, theta, arith="float", prec=None) -> list:
        """[θ_0, θ_1, …, θ_K]: θ_k = θ_{k−1} − η_k ∇L_{B_k}(θ_{k−1})."""
        a = get_arith(arith, prec)
        out = [self.maps[0]._theta(theta, a)]
        for m in self.maps:
            out.append(m(out[-1], a, prec))
        return out

    def __call__(self, theta, arith="float", prec=None) -> np.ndarray:
        return self.orbit(theta, arith, prec)[-1]

    def factors(self, theta, arith="float", prec=None, max_bytes=None) -> list:
        """[(θ_{k−1}, I − η_k ∇²L_{B_k}(θ_{k−1}))] for k = 1…K: the factors of DE(θ), in the order applied."""
        a = get_arith(arith, prec)
        pts = self.orbit(theta, a, prec)[:-1]
        return [(th, m.jacobian(th, a, prec, max_bytes)) for th, m in zip(pts, self.maps)]

    def value_and_jacobian(self, theta, arith="float", prec=None, max_bytes=None):
        """(E(θ), DE(θ)) with DE(θ) = D_K ⋯ D_1, D_k = I − η_k ∇²L_{B_k}(θ_{k−1}) (chain rule)."""
        a = get_arith(arith, prec)
        pts = self.orbit(theta, a, prec)
        J = None
        for th, m in zip(pts[:-1], self.maps):
            D = m.jacobian(th, a, prec, max_bytes)
            with a.context():
                J = D if J is None else a.matmul(D, J)
        return pts[-1], J

    def jacobian(self, theta, arith="float", prec=None, max_bytes=None) -> np.ndarray:
        """DE(θ) = Π_k (I − η_k ∇²L_{B_k}(θ_{k−1})), the later steps on the left."""
        return self.value_and_jacobian(theta, arith, prec, max_bytes)[1]

    def describe(self) -> dict:
        """The epoch as data (for certificates and scopes): sampling scheme and seed, batches, exact step sizes."""
        return {**self.sampling, "batches": [list(b) for b in self.batches], "eta": self.eta,
                "etas": self.etas, "schedule": list(self.schedule)}

    def __repr__(self):
        sch = "" if all(f == 1 for f in self.schedule) else ", scheduled"
        return (f"EpochMap({self.sampling.get('scheme')}, {self.steps} batches, η={eta_str(self.eta)}{sch}, "
                f"p={self.n_params})")


def _n_data(objective) -> int:
    data = getattr(objective, "data", None)
    if data is None:
        raise InputError("mini-batches need a network loss with a dataset (SquareLoss, LogisticLoss or "
                         f"CrossEntropyLoss); got {type(objective).__name__}")
    return data.n


__all__ = ["EpochMap", "reshuffle_batches", "replacement_batches"]
