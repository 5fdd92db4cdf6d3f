"""The catalogue of activations (``vf.activations``), each a sympy Piecewise.

============  =====================================  ==================  ===========
name          definition                              breakpoints         homogeneity
============  =====================================  ==================  ===========
relu          max(0, z)                               0                   1
leaky_relu(a) z (z ≥ 0), a·z (z < 0)                  0                   1
abs           |z|                                     0                   1
hardtanh      clip(z, −1, 1)                          −1, 1               None
identity      z                                       –                   1
power(p)      z^p (integer p ≥ 1)                     –                   p
relu_power(p) max(0, z)^p (rational p > 0)            0                   p
sigmoid       1 / (1 + e^{−z})                        –                   None
tanh          tanh z                                  –                   None
softplus      log(1 + e^z)                            –                   None
============  =====================================  ==================  ===========

User-defined: ``Activation.from_piecewise(sympy.Piecewise(...))``.

Names. :func:`get` accepts a catalogue name (``"relu"``), a parametrised name exactly as an
activation prints it (``"leaky_relu(1/10)"``, ``"relu_power(3/2)"``, ``"power(3)"``: a tiny parser
for ``name(p)`` / ``name(p/q)`` with integers p, q — nothing is evaluated or sympified), a
``(name, parameter)`` pair or a factory.

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

#: "name(p)" or "name(p/q)": a parametrised catalogue name as it prints (integers only, optional sign)
_PARAM_NAME = re.compile(r"([a-z_]+)\(\s*([+-]?\d{1,400}(?:\s*/\s*\d{1,400})?)\s*\)")
_PARAMETRISED = ("leaky_relu", "power", "relu_power")

__all__ = ["Activation", "relu", "leaky_relu", "abs", "hardtanh", "identity", "power", "relu_power",
           "sigmoid", "tanh", "softplus", "get", "CATALOGUE"]


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
    return _relu()


def leaky_relu(a=Fraction(1, 100)) -> Activation:
    """z for z ≥ 0 and a·z for z < 0 (a rational; default 1/100)."""
    q = _param(a, "leaky_relu slope a")
    if q == 1:
        raise InputError("leaky_relu(1) is the identity; use identity()")
    return _leaky(q)


def abs() -> Activation:  # noqa: A001 - catalogue name
    return _abs()


def hardtanh() -> Activation:
    return _hardtanh()


def identity() -> Activation:
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
    return _sigmoid()


def tanh() -> Activation:
    return _tanh()


def softplus() -> Activation:
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
        m = _PARAM_NAME.fullmatch(spec.strip())
        if m is not None:
            if m.group(1) not in _PARAMETRISED:
                raise UnknownActivationError(
                    f"activation {m.group(1)!r} takes no parameter (or is unknown); parametrised ones are "
                    f"{', '.join(_PARAMETRISED)}")
            return get((m.group(1), m.group(2).replace(" ", "")))
        raise UnknownActivationError(
            f"unknown activation {spec!r}; the catalogue has {', '.join(sorted(CATALOGUE))} (parametrised as "
            "e.g. 'leaky_relu(1/10)', 'relu_power(3/2)', 'power(3)'), or build one with Activation.from_piecewise")
    if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str):
        name, param = spec
        if name not in _PARAMETRISED:
            raise UnknownActivationError(f"activation {name!r} takes no parameter (or is unknown)")
        if isinstance(param, str):
            from ..numbers import parse_fraction_str

            param = parse_fraction_str(param, what=f"{name} parameter")
            if name == "power":
                if param.denominator != 1:
                    raise InputError("power(p) needs an integer p")
                param = int(param)
        return CATALOGUE[name](param)
    if callable(spec) and spec in CATALOGUE.values():
        return spec()  # the factory itself, e.g. vf.activations.tanh, with its default parameter
    raise UnknownActivationError(f"cannot interpret {spec!r} as an activation")
