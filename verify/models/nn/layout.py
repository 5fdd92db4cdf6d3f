"""The order of θ: the one place that knows which entry of the flat parameter vector is which weight.

A network's parameters are named blocks (``W1`` of shape (m_1, d), ``b1``, ``Q2``, …). θ lists the blocks
in order, each flattened row-major. :class:`ParamLayout` maps between θ and the named blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp

from ...errors import InputError, ShapeError


@dataclass(frozen=True)
class ParamBlock:
    """One named block of θ: ``name`` (``W2``/``b2``), ``layer`` (1-based number of its layer), ``shape``,
    ``slice`` (its entries in θ)."""

    name: str
    layer: int
    shape: tuple
    slice: slice

    @property
    def size(self) -> int:
        """The number of entries of the block: the product of its shape."""
        return int(np.prod(self.shape))


class ParamLayout:
    """Blocks ``[(name, layer, shape), …]`` laid out one after the other in θ."""

    def __init__(self, specs):
        blocks, off, seen = [], 0, set()
        for name, layer, shape in specs:
            if name in seen:
                raise InputError(f"two parameter blocks are named {name!r}")
            seen.add(name)
            shape = tuple(int(s) for s in shape)
            size = int(np.prod(shape))
            blocks.append(ParamBlock(name, int(layer), shape, slice(off, off + size)))
            off += size
        self.blocks: list[ParamBlock] = blocks
        self.n_params: int = off
        self._by_name = {b.name: b for b in blocks}

    def block(self, name: str) -> ParamBlock:
        """The :class:`ParamBlock` called ``name`` (``"W1"``, ``"b2"`` …); :class:`~verify.errors.InputError`
        listing the blocks if there is none."""
        b = self._by_name.get(name)
        if b is None:
            raise InputError(f"no parameter block {name!r}; blocks are {[b.name for b in self.blocks]}")
        return b

    @cached_property
    def names(self) -> list[str]:
        """One name per entry of θ: ``W1[0,2]``, ``b1[3]``, ``W2[1,0,2,2]`` (a conv kernel)."""
        out = []
        for b in self.blocks:
            for idx in np.ndindex(*b.shape):
                out.append(f"{b.name}[{','.join(map(str, idx))}]")
        return out

    @cached_property
    def symbols(self) -> list[sp.Symbol]:
        """One real sympy symbol per entry, named like ``W1_0_2`` and ``b2_0``."""
        return [sp.Symbol(n.replace("[", "_").replace("]", "").replace(",", "_"), real=True) for n in self.names]

    def check(self, theta, what: str = "θ", description: str = "") -> None:
        """Refuse a θ that is not a flat vector of :attr:`n_params` entries (:class:`~verify.errors.ShapeError`
        naming ``what``, followed by ``description``)."""
        from ...numbers import shape_of

        shp = shape_of(theta, what=what)
        if shp != (self.n_params,):
            raise ShapeError(f"{what} must be a flat vector of {self.n_params} parameters for this network"
                             f"{description}, got shape {shp}")

    def split(self, theta) -> dict:
        """``{name: view of θ with the block's shape}`` (θ a numpy array; no copy)."""
        return {b.name: theta[b.slice].reshape(b.shape) for b in self.blocks}

    def views(self, theta) -> dict:
        """Named views of θ (validated): ``{"W1": array (m_1, d), "b1": …}``."""
        self.check(theta)
        return self.split(np.asarray(theta))

    def flatten(self, blocks: dict) -> np.ndarray:
        """Inverse of :meth:`views`: concatenate named blocks into θ."""
        from ...numbers import fraction_array, shape_of

        if not isinstance(blocks, dict):
            raise InputError(f"flatten takes a dict {{block name: array}}, got {type(blocks).__name__}")
        unknown = set(blocks) - set(self._by_name)
        if unknown:
            raise InputError(f"unknown parameter blocks {sorted(unknown)}; blocks are {[b.name for b in self.blocks]}")
        parts = []
        for b in self.blocks:
            if b.name not in blocks:
                raise InputError(f"missing parameter block {b.name!r}")
            shape_of(blocks[b.name], what=f"block {b.name}")  # a ragged block is a ShapeError
            fraction_array(blocks[b.name], what=f"block {b.name}")  # numbers only (no None, no strings)
            arr = np.asarray(blocks[b.name])
            if arr.shape != b.shape:
                raise ShapeError(f"block {b.name} must have shape {b.shape}, got {arr.shape}")
            parts.append(arr.reshape(-1))
        return np.concatenate(parts) if parts else np.zeros(0)
