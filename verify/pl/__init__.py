"""Local Polyak–Łojasiewicz inequalities (``shared/theory/local_pl.md``): the PL ratio, certified
bounds on α(x0, r), and Chatterjee's criterion 4L(x0) < r²α for gradient flow and GD."""

from .alpha import (
    AlphaBounds,
    alpha,
    alpha_lower_bnb,
    alpha_lower_ntk,
    alpha_lower_schur,
    alpha_upper,
)
from .criterion import chatterjee, chatterjee_gd, hessian_norm_sup
from .ratio import ratio

__all__ = ["ratio", "alpha", "AlphaBounds", "alpha_upper", "alpha_lower_bnb", "alpha_lower_ntk", "alpha_lower_schur",
           "chatterjee", "chatterjee_gd", "hessian_norm_sup"]
