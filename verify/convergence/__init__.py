"""Linear-convergence checks for GD and gradient flow (``shared/theory/local_pl.md`` §1.2, §2.2 and
``shared/theory/gradient_flow.md``)."""

from .flow import FlowSolution, gd_vs_gf, gradient_flow, no_blowup, ntk_lambda_min_path, observed_rate
from .gd import Trajectory, check_rate, gd

__all__ = ["gd", "check_rate", "Trajectory", "gradient_flow", "FlowSolution", "observed_rate",
           "ntk_lambda_min_path", "no_blowup", "gd_vs_gf"]
