"""Networks as graphs of layers: ``vf.nn.Sequential(vf.nn.Conv2d(…), vf.nn.Act("relu"), …, input_shape=…)``.

Layers: :class:`Dense`, :class:`Conv1d`, :class:`Conv2d`, :class:`MaxPool1d`, :class:`MaxPool2d`,
:class:`AvgPool1d`, :class:`AvgPool2d`, :class:`Flatten`, :class:`Act`, :class:`Residual`,
:class:`SelfAttention`; :class:`Sequential` composes them and owns the :class:`ParamLayout` (the order of
θ). Each layer's forward computation is written once (:mod:`.layers`) and interpreted numerically in every
arithmetic, in forward and reverse mode, symbolically and on activation regions (:mod:`.ops`).
:func:`from_onnx` imports a network and its weights (exactly) from an ONNX file.
"""

from .graph import GraphEngine, Sequential
from .layers import (
    Act,
    AvgPool1d,
    AvgPool2d,
    Conv1d,
    Conv2d,
    Dense,
    Flatten,
    Layer,
    MaxPool1d,
    MaxPool2d,
    Residual,
    SelfAttention,
)
from .layout import ParamBlock, ParamLayout


def from_onnx(path_or_model, **kwargs):
    """``(net, theta)`` from an ONNX model (a path or a ``ModelProto``); see :mod:`.onnx_import`."""
    from .onnx_import import from_onnx as _from_onnx

    return _from_onnx(path_or_model, **kwargs)


__all__ = ["Sequential", "GraphEngine", "Layer", "Dense", "Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d",
           "AvgPool2d", "Flatten", "Act", "Residual", "SelfAttention", "ParamLayout", "ParamBlock", "from_onnx"]
