"""Shared by the tape tests: the Taylor coefficients of a gradient flow computed on the recorded tape, by the
compiled :class:`verify.arith.relaxed.Sweeper` or by the reference sweep (``relaxed.sweep``)."""

from __future__ import annotations

import numpy as np
from flint import arb

from verify.arith import relaxed as R
from verify.arith.taylor import SeriesContext


def flow_coefficients(obj, x, prec: int, compiled: bool, order: int):
    """(cs, sw): cs[k] the k-th Taylor coefficients (arb lists) of the flow θ' = −∇L(θ) through x, k = 0…order, and
    the sweep function used (the compiled Sweeper when ``compiled``, else the reference sweep)."""
    A = R.TapeArithmetic(prec)
    with SeriesContext(prec, 1):
        xs = np.array([R.variable(v) for v in x], dtype=object)
        with R.Recording() as rec:
            g = obj.grad(xs, arith=A)
        sw = R.Sweeper(rec.tape) if compiled else (lambda k: R.sweep(rec.tape, k))
        cs = [list(x)]
        for k in range(order):
            nxt = [-(gi.coeff(k) if type(gi) is R.TNode else (arb(gi) if k == 0 else arb(0))) / (k + 1) for gi in g]
            cs.append(nxt)
            if k + 1 < order:
                for v, val in zip(xs, nxt):
                    v.c.append(val)
                sw(k + 1)
    return cs, sw
