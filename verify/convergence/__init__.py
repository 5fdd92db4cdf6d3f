"""Linear-convergence checks for GD (the conclusion of Chatterjee's local PL theorem, arXiv:2203.16462:
iterates stay in B(x0, r) and L(θ_k) ≤ q^k L(θ_0)) and gradient flow (arXiv:2509.23887).

Certified verdicts (PROVED/REFUTED) come from :func:`check_rate` on ball/ball64/exact runs (shadowed GD runs stay
sharp for thousands of steps; a float run's excursion is re-checked up the precision ladder) and from the
gradient-flow claims decided on a validated tube (:func:`validated_flow`, :mod:`.flow_claims`), all decided on
exact rational endpoints by :mod:`verify.arith.decide`. :func:`gradient_flow` and the functions on its
:class:`FlowSolution` are numerical evidence (SUPPORTED at best)."""

from .flow import FlowSolution, gd_vs_gf, gradient_flow, no_blowup, ntk_lambda_min_path, observed_rate
from .flow_claims import flow_avoids, flow_no_blowup, flow_rate, flow_stays_in_ball, gd_tracks_flow
from .gd import Trajectory, check_rate, gd
from .validated_flow import FlowTube, validated_flow

__all__ = ["gd", "check_rate", "Trajectory", "gradient_flow", "FlowSolution", "observed_rate",
           "ntk_lambda_min_path", "no_blowup", "gd_vs_gf", "validated_flow", "FlowTube", "flow_rate",
           "flow_stays_in_ball", "flow_no_blowup", "flow_avoids", "gd_tracks_flow"]
