"""Stability of minima under GD and SGD, periodic orbits of the GD map, and escape from strict
saddles (``shared/theory/gd_map.md`` §2–3)."""

from .minima import gd, lyapunov_exponent, per_sample_hessians, sgd, spectrum
from .orbits import find_periodic_orbit
from .saddles import saddle_escape

__all__ = ["gd", "sgd", "spectrum", "lyapunov_exponent", "per_sample_hessians", "find_periodic_orbit", "saddle_escape"]
