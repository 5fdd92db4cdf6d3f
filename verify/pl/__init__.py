"""Local Polyak–Łojasiewicz inequalities (Chatterjee, arXiv:2203.16462): the PL ratio, certified
bounds on α(x0, r) (closed forms, branch-and-bound, near-zero Hessian bound), and Chatterjee's
criterion 4L(x0) < r²α for gradient flow and GD."""

from .alpha import (
    AlphaBounds,
    NearZero,
    alpha,
    alpha_lower_bnb,
    alpha_lower_ntk,
    alpha_lower_schur,
    alpha_upper,
    near_zero_certificate,
    nonnegativity,
)
from .criterion import chatterjee, chatterjee_gd, hessian_norm_sup
from .initialisation import clopper_pearson, compare_initialisations, criterion_probability
from .jacobian_bound import alpha_lower_jacobian_weyl, alpha_lower_schur_ball
from .radii import CriterionRadii, criterion_radii
from .ratio import ratio

__all__ = ["ratio", "alpha", "AlphaBounds", "alpha_upper", "alpha_lower_bnb", "alpha_lower_ntk", "alpha_lower_schur",
           "chatterjee", "chatterjee_gd", "hessian_norm_sup", "nonnegativity", "near_zero_certificate", "NearZero",
           "criterion_radii", "CriterionRadii", "alpha_lower_jacobian_weyl", "alpha_lower_schur_ball",
           "compare_initialisations", "criterion_probability", "clopper_pearson"]
