"""The catalogue of activations (``vf.activations``), each a sympy Piecewise.

=============  ============================  ===========  ===========
name           definition                    breakpoints  homogeneity
=============  ============================  ===========  ===========
relu           max(0, z)                     0            1
leaky_relu(a)  z (z ≥ 0), a·z (z < 0)        0            1
abs            ``|z|``                       0            1
hardtanh       clip(z, −1, 1)                −1, 1        None
identity       z                             –            1
power(p)       z^p (integer p ≥ 1)           –            p
relu_power(p)  max(0, z)^p (rational p > 0)  0            p
sigmoid        1 / (1 + e^{−z})              –            None
tanh           tanh z                        –            None
softplus       log(1 + e^z)                  –            None
=============  ============================  ===========  ===========

User-defined: ``Activation.from_piecewise(sympy.Piecewise(...))``.

Names. :func:`get` accepts a catalogue name (``"relu"``), a parametrised name exactly as an
activation prints it (``"leaky_relu(1/10)"``, ``"relu_power(3/2)"``, ``"power(3)"``), a
``(name, parameter)`` pair or a factory. The grammar of a name (:func:`parse_name`; a regular expression,
nothing is evaluated or sympified)::

    name      := identifier [ "(" parameter ")" ]          spaces allowed around the parts
    parameter := [+-] digits [ "/" digits ]                 an exact rational p/q
               | [+-] digits "." [digits] [exponent]        a decimal, read exactly: 0.1 = 1/10
               | [+-] "." digits [exponent]
    exponent  := ("e" | "E") [+-] digits (at most 3)

so ``"leaky_relu(0.1)"``, ``"leaky_relu( 1 / 10 )"`` and ``"leaky_relu(1/10)"`` are the same activation, which
prints as ``leaky_relu(1/10)``: every catalogue activation's printed name resolves back to it.

At a breakpoint, ``float``/``mp`` derivatives are those of the left piece (relu′(0) = 0,
leaky_relu(a)′(0) = a, abs′(0) = −1, hardtanh′(−1) = 0, hardtanh′(1) = 1, relu_power(p)^(k)(0) = 0);
``ball``/``exact`` raise RegionBoundaryError where a derivative does not exist (see
:mod:`verify.models.activation`).
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import cache

import sympy as sp

from ..errors import InputError, UnknownActivationError
from ..numbers import to_fraction
from ..validate import positive_int
from .activation import Activation, Z

_RATIONAL = r"[+-]?\d{1,400}(?:\s*/\s*\d{1,400})?"
_DECIMAL = r"[+-]?(?:\d{1,400}\.\d{0,400}|\.\d{1,400})(?:[eE][+-]?\d{1,3})?|[+-]?\d{1,400}[eE][+-]?\d{1,3}"
#: ``name`` or ``name(parameter)`` (see the module docstring); matched, never evaluated
_NAME = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*(?:\(\s*(" + _RATIONAL + "|" + _DECIMAL + r")?\s*\))?\s*",
                   re.ASCII)
_PARAMETRISED = ("leaky_relu", "power", "relu_power")


def parse_name(spec: str) -> tuple:
    """``"leaky_relu(0.1)"`` → ``("leaky_relu", Fraction(1, 10))``; ``"relu"`` → ``("relu", None)``.

    The grammar is in the module docstring: an identifier, optionally followed by one parenthesised exact
    rational ``p/q`` or decimal (read exactly, ``Fraction("0.1") = 1/10``). Only the syntax is checked here (an
    unknown name is :func:`get`'s business); a string outside the grammar is an
    :class:`~verify.errors.UnknownActivationError`. Nothing is evaluated or sympified."""
    if not isinstance(spec, str) or len(spec) > 1000:
        raise UnknownActivationError(f"an activation name is a short string such as 'relu' or 'leaky_relu(1/10)', "
                                     f"got {spec!r:.80}")
    m = _NAME.fullmatch(spec)
    if m is None:
        raise UnknownActivationError(
            f"cannot read the activation {spec!r:.80}: a name is 'relu' or name(parameter) with an exact rational "
            f"or decimal parameter, e.g. 'leaky_relu(1/10)', 'leaky_relu(0.1)', 'relu_power(3/2)', 'power(3)'")
    name, arg = m.group(1), m.group(2)
    if arg is None:
        if "(" in spec:
            raise UnknownActivationError(f"{spec!r}: empty parentheses; write {name!r} or {name}(parameter)")
        return name, None
    arg = arg.replace(" ", "")
    q = Fraction(arg) if "/" not in arg else Fraction(int(arg.split("/")[0]), _nonzero(arg.split("/")[1], spec))
    return name, q


def _nonzero(den: str, spec: str) -> int:
    d = int(den)
    if d == 0:
        raise UnknownActivationError(f"{spec!r}: a zero denominator")
    return d


def canonical_name(spec: str) -> str:
    """The printed name of the activation ``spec`` resolves to (e.g. ``"leaky_relu(0.1)"`` → ``"leaky_relu(1/10)"``);
    an unknown or malformed name raises as :func:`get` does."""
    return get(spec).name

__all__ = ["Activation", "relu", "leaky_relu", "abs", "hardtanh", "identity", "power", "relu_power",
           "sigmoid", "tanh", "softplus", "get", "parse_name", "canonical_name", "CATALOGUE"]


def _param(x, what) -> Fraction:
    """A rational parameter: a number, or a strict "p/q" / decimal string (parsed, never evaluated)."""
    if isinstance(x, str):
        from ..numbers import parse_fraction_str

        return parse_fraction_str(x, what=what)
    return to_fraction(x, what=what)


@cache
def _relu():
    return Activation.from_piecewise(sp.Piecewise((0, Z < 0), (Z, True)), Z, "relu")


@cache
def _leaky(a: Fraction):
    return Activation.from_piecewise(sp.Piecewise((sp.Rational(a.numerator, a.denominator) * Z, Z < 0),
                                                  (Z, True)), Z, f"leaky_relu({a})")


@cache
def _abs():
    return Activation.from_piecewise(sp.Piecewise((-Z, Z < 0), (Z, True)), Z, "abs")


@cache
def _hardtanh():
    return Activation.from_piecewise(sp.Piecewise((-1, Z < -1), (Z, Z <= 1), (1, True)), Z, "hardtanh")


@cache
def _identity():
    return Activation.from_piecewise(Z, Z, "identity")


@cache
def _power(p: int):
    return Activation.from_piecewise(Z**p, Z, f"power({p})")


@cache
def _relu_power(p: Fraction):
    e = sp.Rational(p.numerator, p.denominator)
    return Activation.from_piecewise(sp.Piecewise((0, Z < 0), (Z**e, True)), Z, f"relu_power({p})")


@cache
def _sigmoid():
    return Activation.from_piecewise(1 / (1 + sp.exp(-Z)), Z, "sigmoid")


@cache
def _tanh():
    return Activation.from_piecewise(sp.tanh(Z), Z, "tanh")


@cache
def _softplus():
    return Activation.from_piecewise(sp.log(1 + sp.exp(Z)), Z, "softplus")


def relu() -> Activation:
    """max(0, z): piecewise linear, breakpoint 0, positively 1-homogeneous; relu′(0) is undefined (float/mp use
    the left derivative 0).

    >>> relu().breakpoints, relu().homogeneity_degree
    ((0,), 1)
    """
    return _relu()


def leaky_relu(a=Fraction(1, 100)) -> Activation:
    """z for z ≥ 0 and a·z for z < 0 (a rational; default 1/100)."""
    q = _param(a, "leaky_relu slope a")
    if q == 1:
        raise InputError("leaky_relu(1) is the identity; use identity()")
    return _leaky(q)


def abs() -> Activation:  # noqa: A001 - catalogue name
    """``|z|`` = max(z, −z): piecewise linear, breakpoint 0, positively 1-homogeneous (float/mp use abs′(0) = −1,
    the left piece's derivative).
    """
    return _abs()


def hardtanh() -> Activation:
    """clip(z, −1, 1) = max(−1, min(z, 1)): piecewise linear with breakpoints −1 and 1, not homogeneous."""
    return _hardtanh()


def identity() -> Activation:
    """σ(z) = z: linear networks (analytic, 1-homogeneous, no breakpoint)."""
    return _identity()


def power(p: int = 2) -> Activation:
    """z^p for an integer p ≥ 1 (analytic, p-homogeneous)."""
    return _power(positive_int(p, "power(p): the exponent p"))


def relu_power(p=2) -> Activation:
    """max(0, z)^p for a rational p > 0 (C^{⌈p⌉−1} at 0 for integer p, p-homogeneous)."""
    q = _param(p, "relu_power exponent p")
    if q <= 0:
        raise InputError(f"relu_power(p) needs p > 0, got {p!r}")
    return _relu_power(q)


def sigmoid() -> Activation:
    """The logistic function 1/(1 + e^(−z)): analytic, not homogeneous; no exact arithmetic (use ball)."""
    return _sigmoid()


def tanh() -> Activation:
    """The hyperbolic tangent tanh z: analytic, not homogeneous; no exact arithmetic (use ball).

    >>> tanh().analytic
    True
    """
    return _tanh()


def softplus() -> Activation:
    """log(1 + e^z), a smooth version of relu: analytic, not homogeneous; no exact arithmetic (use ball)."""
    return _softplus()


CATALOGUE = {
    "relu": relu, "leaky_relu": leaky_relu, "abs": abs, "hardtanh": hardtanh, "identity": identity,
    "power": power, "relu_power": relu_power, "sigmoid": sigmoid, "tanh": tanh, "softplus": softplus,
}


def get(spec) -> Activation:
    """Resolve an activation: an :class:`Activation`, a catalogue name (``"relu"``), a catalogue
    factory (``vf.activations.tanh``, called with its default parameter), or a
    ``(name, parameter)`` pair (``("leaky_relu", "1/10")``, ``("relu_power", 2)``)."""
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, str):
        if spec in CATALOGUE:
            return CATALOGUE[spec]()
        name, q = parse_name(spec)
        if name not in CATALOGUE:
            raise UnknownActivationError(
                f"unknown activation {spec!r}; the catalogue has {', '.join(sorted(CATALOGUE))} (parametrised as "
                "e.g. 'leaky_relu(1/10)', 'relu_power(3/2)', 'power(3)'), or build one with Activation.from_piecewise")
        if q is None:
            return CATALOGUE[name]()
        if name not in _PARAMETRISED:
            raise UnknownActivationError(f"activation {name!r} takes no parameter; parametrised ones are "
                                         f"{', '.join(_PARAMETRISED)}")
        return get((name, q))
    if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str):
        name, param = spec
        if name not in _PARAMETRISED:
            raise UnknownActivationError(f"activation {name!r} takes no parameter (or is unknown)")
        if isinstance(param, str):
            _, q = parse_name(f"{name}({param})")
            if q is None:
                raise UnknownActivationError(f"{name}: an empty parameter {param!r}")
            param = q
        if name == "power" and not isinstance(param, int):
            param = to_fraction(param, what="power(p): the exponent p")
            if param.denominator != 1:
                raise InputError(f"power(p) needs an integer p, got {param}")
            param = int(param)
        return CATALOGUE[name](param)
    if callable(spec) and spec in CATALOGUE.values():
        return spec()  # the factory itself, e.g. vf.activations.tanh, with its default parameter
    raise UnknownActivationError(f"cannot interpret {spec!r} as an activation")
