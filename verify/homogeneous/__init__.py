"""Homogeneous networks (``shared/theory/homogeneous_np.md``): positive homogeneity and Euler's identity."""

from .identities import (
    check_euler_identity,
    check_homogeneity,
    euler_residuals,
    homogeneity_residuals,
    prove_homogeneity_symbolic,
)

__all__ = ["check_euler_identity", "check_homogeneity", "euler_residuals", "homogeneity_residuals",
           "prove_homogeneity_symbolic"]
