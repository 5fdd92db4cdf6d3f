"""The gradient-descent map (Crăciun & Ghoshdastidar, arXiv:2510.24466): G_η, its Jacobian, det(I − η∇²L) as a
polynomial in η, exceptional step sizes, and certified non-singularity across step sizes; the map of one SGD epoch
as practised (random reshuffling, with replacement, step-size schedules: :class:`EpochMap`) and its non-singularity
(:func:`check_epoch_nonsingular`).

A verdict about "a region" covers a set certified to be connected with one analytic expression of the
loss on it: a whole activation pattern when that expression is analytic on all of R^p (ReLU-type,
tanh, sigmoid networks; polynomial pieces), otherwise the connected analytic piece containing the
point (user ``Piecewise`` patterns, ``sqrt``, ``log``, fractional powers) — see
:mod:`verify.gdmap.regions`. ``Result.scope`` says which, per region.

>>> import verify as vf
>>> from verify import gdmap
"""

from .detpoly import DetPolynomial, det_polynomial
from .epochs import EpochMap, replacement_batches, reshuffle_batches
from .exceptional import ExceptionalSet, ExceptionalStepSize, exceptional_step_sizes, scan_step_sizes
from .maps import ComposedMap, GDMap, SGDMap
from .nonsingular import check_epoch_nonsingular, check_nonsingular

__all__ = ["GDMap", "SGDMap", "ComposedMap", "DetPolynomial", "det_polynomial", "ExceptionalSet",
           "ExceptionalStepSize", "exceptional_step_sizes", "scan_step_sizes", "check_nonsingular", "EpochMap",
           "reshuffle_batches", "replacement_batches", "check_epoch_nonsingular"]
