"""Models: activations, MLPs, datasets and objectives."""

from . import activations
from .activation import Activation
from .dataset import Dataset
from .mlp import MLP
from .objective import LogisticLoss, NetworkLoss, Objective, SquareLoss, SympyObjective

__all__ = ["activations", "Activation", "Dataset", "MLP", "Objective", "NetworkLoss", "SquareLoss",
           "LogisticLoss", "SympyObjective"]
