"""The arithmetic protocol: one small interface, five implementations.

Arrays are ``numpy.ndarray``: ``float64`` for ``"float"``, ``object`` arrays of
``mpmath.mpf`` / ``flint.arb`` / ``flint.fmpq`` for ``"mp"``, ``"ball"``, ``"exact"``; ``"ball64"`` has its own
array type (:class:`verify.arith.ball64.B64`: float64 midpoints and radii) with the same numpy interface. Elementwise
``+ - *`` use numpy's operators; everything that depends on the number type goes through the
methods below. Model code (forward/backward passes, losses) is written once against this class.

See ``docs/soundness.md`` for how certified values are compared.
"""

from __future__ import annotations

import contextlib
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import ArithmeticNotSupportedError, ShapeError
from ..validate import MAX_PREC, MIN_PREC, precision  # noqa: F401 - re-exported (verify.arith)


class Arithmetic:
    """Base class. ``certified`` is True when every value is exact or an enclosure."""

    name: str = "?"
    certified: bool = False
    dtype: Any = object
    #: rough bytes held per array entry (numpy slot + number object), for size estimates
    bytes_per_entry: int = 8
    #: peak memory of computing a dense result (a Hessian) over ``bytes_per_entry`` × its entries (measured, see
    #: :func:`verify.models.objective.check_dense_size`); float arrays hold ~2 working copies
    dense_copies: float = 2.25
    #: smaller measured factors for the Hessian of an MLP by the layer-wise engine, by number of weight layers
    dense_copies_by_layers: dict = {}
    #: arrays are of the arithmetic's own array type, every function maps whole arrays (``ball64``)
    array_native: bool = False
    #: values are balls with a width (an enclosure can contain a breakpoint of an activation): ``ball``, ``ball64``
    balls: bool = False

    def __init__(self, prec: int | None = None):
        self.prec = self._check_prec(prec)

    @staticmethod
    def _check_prec(prec):
        """None (the arithmetic's default) or an int in [MIN_PREC, MAX_PREC] bits (16 ≤ prec ≤ 2**22:
        FLINT aborts the whole interpreter near 2**33 bits, so far larger requests are refused here
        with a :class:`~verify.errors.PrecisionError` instead)."""
        if prec is None:
            return None
        return precision(prec)

    def __repr__(self) -> str:
        return f"<arithmetic {self.name}{'' if self.prec is None else f' at {self.prec} bits'}>"

    def key(self):
        """A hashable identity ``(name, prec)``: two arithmetics with the same key compute the same numbers (caches
        of compiled programs and converted data are keyed by it)."""
        return (self.name, self.prec)

    # -- context ------------------------------------------------------------------------------
    def context(self):
        """Context manager in which this arithmetic's precision is in force."""
        return contextlib.nullcontext()

    # -- construction -------------------------------------------------------------------------
    def const(self, q: Fraction):
        """The number ``q`` (exact rational) in this arithmetic (an enclosure in ``ball``)."""
        raise NotImplementedError

    def from_input(self, x, what: str = "value"):
        """Convert one user-supplied number, exactly (see :func:`verify.numbers.to_fraction`).

        A number of magnitude above 2**1000 is refused with :class:`~verify.errors.InputError` (see
        :func:`verify.numbers.check_magnitude`), except a value already of this arithmetic's own number
        type (``fmpq`` in exact, ``arb`` in ball, ``mpf`` in mp, a float in float): such values are what
        the toolkit's own runs produce (iterates of an exact or ball GD run may grow without bound) and
        are taken as they are."""
        from ..numbers import input_fraction, to_fraction

        if self._native(x):
            return self.const(to_fraction(x, what=what))
        return self.const(input_fraction(x, what=what))

    def _native(self, x) -> bool:
        """Is ``x`` of this arithmetic's own number type (taken without the magnitude bound)?"""
        return False

    def array(self, values, what: str = "array") -> np.ndarray:
        """An array of this arithmetic's numbers from user-supplied ``values`` (any nesting of numbers), each entry
        converted exactly by :meth:`from_input` (so ``|x| ≤ 2**1000`` for user numbers). A ragged nesting is a
        :class:`~verify.errors.ShapeError`; ``what`` names the argument in error messages.

        >>> from verify.arith import get_arith
        >>> get_arith("exact").array([[1, 0.5]])
        array([[1, 1/2]], dtype=object)
        """
        try:
            arr = np.asarray(values, dtype=object)
        except ValueError as exc:  # numpy refuses some inhomogeneous nestings outright
            raise ShapeError(f"{what} is ragged (its rows have different lengths): {exc}") from None
        out = np.empty(arr.shape, dtype=self.dtype)
        for idx, v in np.ndenumerate(arr):
            if isinstance(v, list | tuple | np.ndarray):
                raise ShapeError(f"{what} is ragged: the entry at {list(idx)} is a {type(v).__name__}, not a number")
            out[idx] = self.from_input(v, what=f"{what}{list(idx)}")
        return out

    def from_fractions(self, arr: np.ndarray) -> np.ndarray:
        """An array of this arithmetic's numbers from an object array of :class:`~fractions.Fraction` (the toolkit's
        own exact data, not bounded like user input): each entry is :meth:`const` of it — exact in ``"exact"``, an
        enclosure in ``"ball"``/``"ball64"``, the nearest number in ``"float"``/``"mp"``."""
        out = np.empty(arr.shape, dtype=self.dtype)
        for idx, v in np.ndenumerate(arr):
            out[idx] = self.const(v)
        return out

    def zeros(self, shape) -> np.ndarray:
        """An array of ``shape`` filled with the number 0 of this arithmetic."""
        out = np.empty(shape, dtype=object)
        out.fill(self.const(Fraction(0)))
        return out

    def eye(self, n: int) -> np.ndarray:
        """The n × n identity matrix in this arithmetic.

        >>> from verify.arith import get_arith
        >>> get_arith("exact").eye(2)
        array([[1, 0],
               [0, 1]], dtype=object)
        """
        out = self.zeros((n, n))
        one = self.const(Fraction(1))
        for i in range(n):
            out[i, i] = one
        return out

    # -- linear algebra -----------------------------------------------------------------------
    def matmul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """2-D matrix product."""
        return a @ b

    def matmul_symmetric(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """a @ b for a product known to be symmetric (e.g. Jᵀ diag(w) J); arithmetics may exploit it."""
        return self.matmul(a, b)

    def sum(self, a: np.ndarray, axis=None):
        """Σ of the entries of ``a`` (over ``axis``, or all of them), in this arithmetic: exact in ``"exact"``, an
        enclosure of the exact sum of the enclosed values in ``"ball"``/``"ball64"``. An empty sum is the number 0 of
        this arithmetic (numpy's object sum would give the int 0)."""
        if a.size == 0:
            shape = () if axis is None else np.delete(a.shape, axis)
            return self.zeros(tuple(shape)) if axis is not None else self.const(Fraction(0))
        return a.sum(axis=axis)

    # -- elementwise functions (scalar callables; ``vectorize`` maps them over arrays) -----------
    def func(self, name: str):
        """Scalar (or, for float, vectorised) implementation of an analytic function."""
        raise ArithmeticNotSupportedError(f"{name} is not available in {self.name} arithmetic")

    def vectorize(self, f):
        """Map a scalar callable over an array."""
        uf = np.frompyfunc(f, 1, 1)
        return lambda a: uf(a) if isinstance(a, np.ndarray) else f(a)

    def piece_kernel(self, expr, var, order: int):
        """A hand-written evaluator of the sympy expression ``expr`` in ``var`` and its first ``order`` derivatives on
        whole arrays (``run(xs) -> [f(xs), f'(xs), …]``), when this arithmetic has one faster than the compiled
        program (:func:`verify.arith.compile.compile_array`) with enclosures at least as tight; else None."""
        return None

    def pow_rational(self, x, q: Fraction):
        """x**q for an exact rational exponent ``q``: integer exponents by repeated multiplication (x**n, and
        1/x**|n| for n < 0) in every arithmetic; a non-integer exponent needs an arithmetic with analytic functions
        (``"float"``, ``"mp"``, ``"ball"``, ``"ball64"``: an enclosure of x**q in the ball arithmetics) and raises
        :class:`~verify.errors.ArithmeticNotSupportedError` in ``"exact"``.

        >>> from verify.arith import get_arith
        >>> get_arith("exact").pow_rational(get_arith("exact").const(Fraction(2, 3)), Fraction(-2))
        9/4
        """
        if q.denominator == 1:
            n = q.numerator
            return x**n if n >= 0 else self.const(Fraction(1)) / x**(-n)
        raise ArithmeticNotSupportedError(f"x**({q}) is not available in {self.name} arithmetic")

    # -- rows: softmax and log-sum-exp over the last axis ---------------------------------------
    def softmax_last(self, x):
        """softmax over the last axis. In an arithmetic of balls every entry encloses softmax over the whole box
        of inputs: each row is enclosed by its monotone corners (:func:`verify.arith.ball.softmax_row`), since the
        direct form turns wide boxes into NaN; other arithmetics (float, mp, Taylor numbers) use the direct form
        (exact arithmetic has no exp and refuses)."""
        with self.context():
            if self.balls:
                from .ball import softmax_row

                self.func("exp")  # an arithmetic without exp (exact) refuses here
                out = np.empty(x.shape, dtype=object)
                for w in np.ndindex(*x.shape[:-1]):
                    out[w] = softmax_row(list(x[w]))
                return out
            e = self.vectorize(self.func("exp"))(x)
            s = self.sum(e, axis=-1)
            return e / s[..., None]

    def logsumexp_last(self, x):
        """log Σ exp over the last axis (arithmetics of balls: monotone corners, see :meth:`softmax_last`)."""
        with self.context():
            out = np.empty(x.shape[:-1], dtype=object)
            if self.balls:
                from .ball import logsumexp_row

                self.func("exp")
                for w in np.ndindex(*x.shape[:-1]):
                    out[w] = logsumexp_row(list(x[w]))
                return out
            e = self.vectorize(self.func("exp"))(x)
            s = self.sum(e, axis=-1)
            return self.vectorize(self.func("log"))(s)

    # -- comparisons (piece selection) ----------------------------------------------------------
    def side(self, x, b: Fraction) -> int | None:
        """-1 if x < b, +1 if x > b, 0 if x == b (certainly); None if undecided (ball straddles b)."""
        raise NotImplementedError

    def union(self, a, b):
        """A value enclosing both (only meaningful for balls; others return ``a``)."""
        return a

    def certainly_outside(self, u, kind: str) -> bool:
        """Is ``u`` certainly outside the domain ``kind`` (``"pos"``: u > 0, ``"nonneg"``: u ≥ 0, ``"nonzero"``:
        u ≠ 0)? For a number of this arithmetic, by its own comparison (a ball: only when every point of it is
        outside; a NaN is not "certainly outside", it is caught elsewhere)."""
        if kind == "pos":
            return bool(u <= 0)
        if kind == "nonneg":
            return bool(u < 0)
        return bool(u == 0)

    # -- reading enclosures ----------------------------------------------------------------------
    def bounds(self, x):
        """Exact rational endpoints of a certified value: ``(lo, hi)`` Fractions for a number, or two object
        arrays of Fractions of ``x``'s shape for an array. This is the one way to read an enclosure (the
        certified-decision kernel compares these endpoints). ``float`` and ``mp`` values are approximations,
        not enclosures: they raise :class:`~verify.errors.UncertifiedValueError`."""
        from ..errors import UncertifiedValueError
        from .decide import bounds as scalar_bounds

        if not self.certified:
            raise UncertifiedValueError(
                f"{self.name} arithmetic is not certified: its values are approximations without error bounds; "
                "use arith='ball64', 'ball' or 'exact' to obtain enclosures")
        if np.ndim(x) == 0:
            return scalar_bounds(x[()] if isinstance(x, np.ndarray) else x)
        lo = np.empty(np.shape(x), dtype=object)
        hi = np.empty(np.shape(x), dtype=object)
        for idx, v in np.ndenumerate(x):
            lo[idx], hi[idx] = scalar_bounds(v)
        return lo, hi

    # -- certified linear algebra (asked by analyses; an arithmetic without it raises) -----------
    @property
    def eigen_method(self) -> str:
        """How :meth:`symmetric_eigenvalue_bounds` encloses eigenvalues (for certificates)."""
        return f"{self.name}: no certified eigenvalue enclosures"

    def symmetric_eigenvalue_bounds(self, H) -> list[tuple[Fraction, Fraction]]:
        """Exact rational enclosures ``(lo, hi)`` of the eigenvalues of every symmetric matrix inside the
        enclosure ``H`` (a square array of this arithmetic's numbers), sorted by midpoint."""
        raise ArithmeticNotSupportedError(f"{self.name} arithmetic gives no certified eigenvalue enclosures")

    def to_float(self, a) -> np.ndarray | float:
        """Float64 approximation (midpoints for balls)."""
        if np.ndim(a) == 0:
            return float(a)
        return np.vectorize(float, otypes=[float])(a) if a.size else np.zeros(a.shape)
