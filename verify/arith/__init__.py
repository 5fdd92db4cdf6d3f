"""Arithmetics behind one protocol: ``"float"``, ``"mp"``, ``"ball"``, ``"ball64"``, ``"exact"``.

>>> from verify.arith import get_arith
>>> get_arith("ball", 128)
<arithmetic ball at 128 bits>
"""

from __future__ import annotations

from ..errors import UnknownArithmeticError
from .ball import BallArithmetic
from .ball64 import Ball64Arithmetic
from .base import MAX_PREC, MIN_PREC, Arithmetic
from .exact import ExactArithmetic
from .floating import FloatArithmetic
from .multiprec import MpArithmetic

ARITHMETICS = {"float": FloatArithmetic, "mp": MpArithmetic, "ball": BallArithmetic, "ball64": Ball64Arithmetic,
               "exact": ExactArithmetic}

_cache: dict = {}


def get_arith(arith="float", prec: int | None = None) -> Arithmetic:
    """Return the arithmetic called ``arith`` at ``prec`` bits (``mp``/``ball``; default 128).

    ``prec`` must be None or an integer in [MIN_PREC, MAX_PREC] = [16, 2**22]
    (:class:`~verify.errors.PrecisionError` otherwise; ``True`` and ``128.0`` are refused too)."""
    Arithmetic._check_prec(prec)  # a precision outside [16, 2**22] bits is an error whatever the arithmetic
    if isinstance(arith, Arithmetic):
        if prec is not None and prec != arith.prec:
            return get_arith(arith.name, prec)
        return arith
    if not isinstance(arith, str) or arith not in ARITHMETICS:
        raise UnknownArithmeticError(
            f"unknown arithmetic {arith!r}; choose one of {', '.join(repr(k) for k in ARITHMETICS)}")
    key = (arith, int(prec) if prec is not None else None)
    if key not in _cache:
        _cache[key] = ARITHMETICS[arith](prec)
    return _cache[key]


__all__ = ["Arithmetic", "get_arith", "ARITHMETICS", "MIN_PREC", "MAX_PREC", "FloatArithmetic", "MpArithmetic",
           "BallArithmetic", "Ball64Arithmetic", "ExactArithmetic"]
