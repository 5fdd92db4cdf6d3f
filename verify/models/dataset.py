"""Training data (X, y), kept exactly.

Every entry is stored as its exact rational value (floats as the exact value of their binary
representation), so the ``exact`` and ``ball`` arithmetics see precisely the data the user gave.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from ..errors import ShapeError
from ..numbers import fraction_array


class Dataset:
    """``Dataset(X, y)``: X of shape (n, d), or ``(n, *input_shape)`` (each point flattened row-major, for
    convolutional and attention networks); y of shape (n,) (one output, or one class label) or (n, k).

    Entries may be ints, floats (also ``np.longdouble``, kept exactly), ``fractions.Fraction``, sympy
    rationals, python-flint ``fmpq`` or numpy arrays of those. Refused with a :mod:`verify.errors`
    exception before anything is stored: NaN and infinities, booleans, complex numbers, strings,
    ragged rows, rows without features (d = 0), labels without columns (k = 0), a label count that
    differs from the number of rows, an empty dataset.
    """

    def __init__(self, X, y):
        Xf = fraction_array(X, what="X")
        yf = fraction_array(y, what="y")
        if Xf.ndim == 1:
            raise ShapeError(f"X must be 2-D (n points × d features), got shape {Xf.shape}; "
                             "for one feature use X.reshape(-1, 1)")
        if Xf.ndim > 2:  # (n, *input_shape): images, token sequences; each row is flattened row-major
            self.point_shape = Xf.shape[1:]
            Xf = Xf.reshape(Xf.shape[0], -1)
        else:
            self.point_shape = None
        if Xf.shape[0] > 0 and Xf.shape[1] == 0:
            raise ShapeError(f"the rows of X have no features (shape {Xf.shape}): every data point needs d ≥ 1 "
                             "entries")
        if yf.ndim == 1:
            yf = yf.reshape(-1, 1)
            self.scalar_output = True
        elif yf.ndim == 2:
            self.scalar_output = False
        else:
            raise ShapeError(f"y must have shape (n,) or (n, k), got {yf.shape}")
        if yf.shape[1] == 0 and yf.shape[0] > 0:
            raise ShapeError(f"y has no label columns (shape {yf.shape}): give one label (or one row of k ≥ 1 "
                             "labels) per data point")
        if yf.shape[0] != Xf.shape[0]:
            raise ShapeError(f"X has {Xf.shape[0]} rows but y has {yf.shape[0]}: one label per data point")
        if Xf.shape[0] == 0:
            raise ShapeError("the dataset is empty (n = 0)")
        self.X_exact = Xf
        self.Y_exact = yf  # always (n, k)

    @property
    def n(self) -> int:
        """The number of data points (rows of X)."""
        return self.X_exact.shape[0]

    @property
    def d(self) -> int:
        """The number of features of a data point (the flattened length for ``(n, *input_shape)`` data).

        >>> Dataset([[1, 0, 2], [0, 1, 3]], [1, -1]).d
        3
        """
        return self.X_exact.shape[1]

    @property
    def k(self) -> int:
        """The number of label columns (1 for y of shape (n,): one output or one class label per point)."""
        return self.Y_exact.shape[1]

    @cached_property
    def X(self) -> np.ndarray:
        """Float64 copy of X."""
        return np.vectorize(float, otypes=[float])(self.X_exact)

    @cached_property
    def y(self) -> np.ndarray:
        """Float64 copy of y, in the shape given ((n,) or (n, k))."""
        Y = np.vectorize(float, otypes=[float])(self.Y_exact)
        return Y[:, 0] if self.scalar_output else Y

    def in_arith(self, arith):
        """(X, Y) as arrays of the arithmetic ``arith`` (Y always (n, k)); cached per arithmetic."""
        cache = self.__dict__.setdefault("_arith_cache", {})
        key = arith.key()
        if key not in cache:
            with arith.context():
                cache[key] = (arith.from_fractions(self.X_exact), arith.from_fractions(self.Y_exact))
        return cache[key]

    def subset(self, rows) -> Dataset:
        """The data points with the given row indices (ints in [0, n))."""
        from ..validate import integer

        rows = [integer(r, "row index", minimum=0, maximum=self.n - 1) for r in rows]
        y = self.Y_exact[rows, 0] if self.scalar_output else self.Y_exact[rows]
        return Dataset(self.X_exact[rows], y)

    def __repr__(self):
        return f"Dataset(n={self.n}, d={self.d}, k={self.k})"
