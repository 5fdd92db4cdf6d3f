"""Regression tests for the layer-graph core found by adversarial review (issue 12)."""

from __future__ import annotations

import numpy as np
import pytest

import verify as vf
from verify.errors import ShapeError

nn = vf.nn


def test_multi_axis_data_must_have_the_network_input_shape():
    """Channels-last images (n, H, W, C) for a (C, H, W) network were silently reshaped: every verdict would
    have been about scrambled pixels."""
    net = nn.Sequential(nn.Conv2d(2, 1, kernel=2, bias=False), nn.Flatten(), nn.Dense(1, bias=False),
                        input_shape=(2, 4, 4))
    X = np.arange(3 * 4 * 4 * 2).reshape(3, 4, 4, 2)
    with pytest.raises(ShapeError, match="channels first"):
        vf.SquareLoss(net, vf.Dataset(X, [1, 2, 3]))
    vf.SquareLoss(net, vf.Dataset(X.transpose(0, 3, 1, 2), [1, 2, 3]))  # the right layout
    vf.SquareLoss(net, vf.Dataset(X.transpose(0, 3, 1, 2).reshape(3, -1), [1, 2, 3]))  # flattened row-major
