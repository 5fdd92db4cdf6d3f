"""Models: activations, MLPs, datasets and objectives."""

from . import activations, nn
from .activation import Activation
from .dataset import Dataset
from .mlp import MLP
from .objective import CrossEntropyLoss, LogisticLoss, NetworkLoss, Objective, SquareLoss, SympyObjective

__all__ = ["activations", "nn", "CrossEntropyLoss", "Activation", "Dataset", "MLP", "Objective", "NetworkLoss",
           "SquareLoss", "LogisticLoss", "SympyObjective"]
