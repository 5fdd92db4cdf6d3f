"""Linear-convergence checks for GD (the conclusion of Chatterjee's local PL theorem, arXiv:2203.16462:
iterates stay in B(x0, r) and L(θ_k) ≤ q^k L(θ_0)) and gradient flow (arXiv:2509.23887).

Certified verdicts (PROVED/REFUTED) come only from :func:`check_rate` on ball/exact runs (or its ball
re-check of a float run), decided on exact rational endpoints by :mod:`verify.arith.decide`; the
gradient-flow functions are numerical evidence."""

from .flow import FlowSolution, gd_vs_gf, gradient_flow, no_blowup, ntk_lambda_min_path, observed_rate
from .gd import Trajectory, check_rate, gd
from .validated_flow import FlowTube, validated_flow

__all__ = ["gd", "check_rate", "Trajectory", "gradient_flow", "FlowSolution", "observed_rate",
           "ntk_lambda_min_path", "no_blowup", "gd_vs_gf", "validated_flow", "FlowTube"]
