"""Synthetic teacher–student data, in one place (the benchmarks' and tests' generators).

:func:`teacher_student` — a two-layer teacher y = Σ_j b_j σ(⟨a_j, x⟩) with k unit-norm incoming weight
vectors a_j (normal, normalised), output weights b_j ∈ {−1, +1} and standard normal inputs; the setting of
Neuron Pursuit's experiments (relu² teachers, arXiv:2503.04001) and of ``benchmarks/bench_np.py``, whose
``teacher(k, d, n, seed)`` it reproduces draw for draw (same numpy PCG64 stream). The data are float64
numbers, kept exactly as their binary values by :class:`verify.Dataset`.

:func:`rational_points` — n points with entries k/den, |k| ≤ bound·den (exact small rationals, as the
soundness benchmarks and tests use).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .. import validate as V
from ..errors import InputError
from ..models.dataset import Dataset

TEACHER_ACTIVATIONS = {
    "relu2": lambda z: np.maximum(z, 0.0) ** 2,
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "linear": lambda z: z,
}


def teacher_weights(k: int, d: int, seed: int = 0):
    """(A, b): A of shape (k, d) with unit-norm rows (normal, normalised), b ∈ {−1, +1}^k (float64)."""
    k, d = V.positive_int(k, "k (teacher neurons)"), V.positive_int(d, "d (input dimension)")
    rng = np.random.default_rng(V.nonneg_int(seed, "seed"))
    return _weights(rng, k, d)


def _weights(rng, k, d):
    A = rng.normal(size=(k, d))
    A /= np.linalg.norm(A, axis=1, keepdims=True)
    b = rng.choice([-1.0, 1.0], size=k)
    return A, b


def teacher_student(k: int, d: int = 10, n: int = 200, seed: int = 0, *, activation: str = "relu2",
                    n_test: int | None = None):
    """(train, test) Datasets labelled by a random two-layer teacher (module docstring): inputs x ~ N(0, I_d),
    y = Σ_j b_j σ(⟨a_j, x⟩) with σ one of ``relu2`` (max(z, 0)², the default), ``relu``, ``tanh``, ``linear``.
    Draw order: A (k×d normals), b (k signs), then n + n_test input rows (training first); ``n_test`` defaults
    to n. With the defaults this is exactly ``benchmarks/bench_np.py``'s ``teacher(k, d, n, seed)``.
    ``test`` is None when ``n_test=0``. The teacher is ``teacher_weights(k, d, seed)``."""
    k, d = V.positive_int(k, "k (teacher neurons)"), V.positive_int(d, "d (input dimension)")
    n = V.positive_int(n, "n")
    n_test = n if n_test is None else V.nonneg_int(n_test, "n_test")
    if activation not in TEACHER_ACTIVATIONS:
        raise InputError(f"activation must be one of {', '.join(TEACHER_ACTIVATIONS)}, got {activation!r}")
    if (n + n_test) * d > 10**8:
        raise InputError(f"(n + n_test)·d = {(n + n_test) * d} entries is beyond 10⁸; lower n or d")
    rng = np.random.default_rng(V.nonneg_int(seed, "seed"))
    A, b = _weights(rng, k, d)
    X = rng.normal(size=(n + n_test, d))
    y = TEACHER_ACTIVATIONS[activation](X @ A.T) @ b
    train = Dataset(X[:n], y[:n])
    return train, (Dataset(X[n:], y[n:]) if n_test else None)


def rational_points(n: int, d: int, seed: int = 0, *, den: int = 4, bound=1) -> np.ndarray:
    """An (n, d) object array of exact rationals k/den with integer k uniform in [−bound·den, bound·den]
    (numpy ``default_rng(seed).integers``, row by row)."""
    n, d = V.positive_int(n, "n"), V.positive_int(d, "d")
    den = V.positive_int(den, "den")
    kmax = int(V.positive_rational(bound, "bound") * den)
    if kmax < 1:
        raise InputError("bound·den must be ≥ 1 (else every point is 0)")
    rng = np.random.default_rng(V.nonneg_int(seed, "seed"))
    X = np.empty((n, d), dtype=object)
    for i in range(n):
        X[i, :] = [Fraction(int(v), den) for v in rng.integers(-kmax, kmax + 1, size=d)]
    return X
