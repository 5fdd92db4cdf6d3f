"""Stability of minima under GD and SGD, periodic orbits of the GD map, and escape from strict
saddles, and the stability of minima under SGD as practised (a fixed epoch order, random reshuffling,
with replacement: :mod:`verify.stability.sampling`) (the GD-map theory of Crăciun & Ghoshdastidar,
arXiv:2510.24466, §2–3; Wu, Ma & E, NeurIPS 2018; Ma & Ying, arXiv:2105.13462;
Lee et al., arXiv:1602.04915); certified sharpness along GD runs, the edge of stability (Cohen et al.,
arXiv:2103.00065: :mod:`verify.stability.sharpness`)."""

from .minima import CriticalPoint, certify_critical, gd, lyapunov_exponent, per_sample_hessians, sgd, spectrum
from .orbits import find_periodic_orbit
from .saddles import saddle_escape
from .sampling import epoch_stability, replacement_stability, reshuffling_stability
from .sharpness import SharpnessCheckpoint, SharpnessResult, certify_sharpness, sharpness_at

__all__ = ["gd", "sgd", "spectrum", "lyapunov_exponent", "per_sample_hessians", "find_periodic_orbit", "saddle_escape",
           "certify_critical", "CriticalPoint", "epoch_stability", "reshuffling_stability", "replacement_stability",
           "certify_sharpness", "sharpness_at", "SharpnessResult", "SharpnessCheckpoint"]
