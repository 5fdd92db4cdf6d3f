"""verify — check theoretical claims about gradient descent on neural networks, with certified
arithmetic.

>>> import verify as vf
>>> net = vf.MLP([2, 3, 1], "tanh")
>>> loss = vf.SquareLoss(net, vf.Dataset([[1, 0], [0, 1]], [1, -1]))

Public API: models (:class:`MLP`, :class:`Dataset`, :class:`SquareLoss`, :class:`LogisticLoss`,
:class:`Objective`, :mod:`activations`, :class:`Activation`), arithmetics (:func:`get_arith`),
results (:class:`Result`, :class:`Verdict`), :mod:`errors`; the GD map (:class:`GDMap`,
:class:`SGDMap`, :mod:`gdmap`: exceptional step sizes, non-singularity) and :mod:`stability`
(minima under GD/SGD, periodic orbits, saddle escape); local PL inequalities (:mod:`pl`),
convergence-rate checks for GD and gradient flow (:mod:`convergence`), initialisations (:mod:`init`), small real
data sets loaded exactly (:mod:`datasets`), the papers' experiments on them (:mod:`experiments`) and figures
(:mod:`plot`).
"""

from . import (
    claims,
    convergence,
    datasets,
    errors,
    experiments,
    gdmap,
    homogeneous,
    init,
    pl,
    plot,
    stability,
    strategies,
    validate,
)
from .arith import get_arith
from .claims import Claim, Instance, check
from .gdmap import EpochMap, GDMap, SGDMap
from .models import (
    MLP,
    Activation,
    CrossEntropyLoss,
    Dataset,
    LogisticLoss,
    Objective,
    SquareLoss,
    activations,
    nn,
)
from .result import Quantity, Result, Verdict

__version__ = "0.1.0"

__all__ = ["GDMap", "SGDMap", "EpochMap", "gdmap", "datasets", "plot", "stability", "pl", "convergence", "homogeneous",
           "init", "claims", "experiments",
           "strategies", "validate", "Claim",
           "Instance", "check",
           "MLP", "nn", "CrossEntropyLoss", "Activation", "Dataset", "LogisticLoss", "Objective", "SquareLoss",
           "activations",
           "get_arith", "Result", "Verdict", "Quantity", "errors", "__version__"]
