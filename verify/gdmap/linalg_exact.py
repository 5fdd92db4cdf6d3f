"""Small exact linear-algebra helpers over Q (python-flint ``fmpq_mat``)."""

from __future__ import annotations

from flint import fmpq, fmpq_mat


def nullspace(M: fmpq_mat) -> list[list[fmpq]]:
    """A basis of {v : M v = 0} (from the reduced row echelon form), as lists of fmpq."""
    R, rank = M.rref()
    rows, cols = R.nrows(), R.ncols()
    pivots = []
    r = 0
    for c in range(cols):
        if r < rank and R[r, c] != 0:
            pivots.append(c)
            r += 1
    free = [c for c in range(cols) if c not in set(pivots)]
    basis = []
    for f in free:
        v = [fmpq(0)] * cols
        v[f] = fmpq(1)
        for i, pc in enumerate(pivots):
            v[pc] = -R[i, f]
        basis.append(v)
    del rows
    return basis


def poly_of_matrix(coeffs_low_first: list, H: fmpq_mat) -> fmpq_mat:
    """f(H) by Horner for f = Σ c_k λ^k given with the constant term first."""
    p = H.nrows()
    eye = fmpq_mat(p, p, [fmpq(1) if i == j else fmpq(0) for i in range(p) for j in range(p)])
    acc = fmpq_mat(p, p)
    for c in reversed(coeffs_low_first):
        acc = acc * H + eye * c
    return acc


def vstack(mats: list[fmpq_mat]) -> fmpq_mat:
    cols = mats[0].ncols()
    entries = []
    for M in mats:
        entries.extend(M.entries())
    return fmpq_mat(len(entries) // cols, cols, entries)
