"""Homogeneous networks (Kumar & Haupt, arXiv:2509.12154): positive
homogeneity and Euler's identity, the neural correlation function and its certified KKT points, Neuron
Pursuit and small-initialisation experiments.

The identities, the NCF, its KKT points and the small-initialisation experiment accept any positively
homogeneous network: ``vf.MLP`` or a ``vf.nn.Sequential`` of bias-free Dense/Conv1d/Conv2d layers,
homogeneous activations (relu, leaky_relu, abs, relu_power, power), max/avg pooling, Flatten and
residual blocks whose branch keeps the degree. Neuron Pursuit inserts fully connected hidden neurons
and builds its own MLPs."""

from ..errors import NotHomogeneousError
from ._net import canonical_order
from .identities import (
    check_euler_identity,
    check_homogeneity,
    euler_residuals,
    homogeneity_residuals,
    prove_homogeneity_symbolic,
)
from .ncf import NCF, KKTPoint, certify_kkt, max_ncf, ncf_flow, require_homogeneous
from .pursuit import (
    PursuitResult,
    deep_theorem7_experiment,
    gd_small_init,
    neuron_pursuit,
    saddle_analysis,
    small_init_experiment,
    theorem7_experiment,
)

__all__ = ["check_euler_identity", "check_homogeneity", "euler_residuals", "homogeneity_residuals",
           "prove_homogeneity_symbolic", "NCF", "KKTPoint", "NotHomogeneousError", "certify_kkt", "max_ncf",
           "ncf_flow", "require_homogeneous", "neuron_pursuit", "gd_small_init", "small_init_experiment",
           "PursuitResult", "theorem7_experiment", "deep_theorem7_experiment", "saddle_analysis", "canonical_order"]
