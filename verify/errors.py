"""Exceptions raised by the toolkit.

Every error says what was wrong *and what to change*. Nothing is computed half-way:
inputs are validated before any work starts.
"""

from __future__ import annotations


class VerifyError(Exception):
    """Base class of every error raised by :mod:`verify`."""


class InputError(VerifyError, ValueError):
    """Malformed input: wrong shape, NaN/inf entries, out-of-range parameter."""


class ShapeError(InputError):
    """An array does not have the shape the model requires."""


class NonFiniteError(InputError):
    """An input contains NaN or an infinity."""


class PrecisionError(InputError):
    """A requested working precision is too low (the minimum is 16 bits)."""


class UnknownArithmeticError(InputError):
    """The arithmetic name is not one of ``float``, ``mp``, ``ball``, ``exact``."""


class UnknownActivationError(InputError):
    """An activation name is not in the catalogue."""


class NotAnalyticError(InputError):
    """A user-defined activation has a piece that is not analytic (e.g. contains ``Abs``)."""


class ArithmeticNotSupportedError(VerifyError):
    """The requested arithmetic cannot represent this computation (e.g. ``exact`` with ``tanh``)."""


class SizeLimitError(VerifyError):
    """The request is too large for the chosen method; the message carries a size/memory estimate."""


class RegionBoundaryError(VerifyError):
    """θ may lie on an activation-region boundary where the requested derivative does not exist.

    Attributes name the place: ``layer`` (1-based hidden layer), ``neuron`` (0-based unit),
    ``data_point`` (0-based row of X), ``breakpoint`` and ``enclosure`` (the pre-activation).
    For objectives built from sympy, ``condition`` names the Piecewise condition instead. Layer graphs
    (:mod:`verify.models.nn`) add ``position`` (the unit's multi-index in its layer's output, or the
    max-pooling window) and ``site`` (the layer).
    """

    def __init__(self, message: str, *, layer=None, neuron=None, data_point=None, breakpoint=None,
                 enclosure=None, condition=None, position=None, site=None):
        super().__init__(message)
        self.position = position
        self.site = site
        self.layer = layer
        self.neuron = neuron
        self.data_point = data_point
        self.breakpoint = breakpoint
        self.enclosure = enclosure
        self.condition = condition


class MissingDependencyError(InputError):
    """An optional extra is not installed (e.g. ``onnx`` for ``vf.nn.from_onnx``); the message says which
    ``pip install "verify[...]"`` provides it."""


class InternalError(VerifyError):
    """An internal invariant of the toolkit failed: a bug, never a property of the user's input. Please report
    it with the input that triggered it."""


class WorkerError(VerifyError):
    """A worker process of an ``executor=`` died or its executor failed (out of memory, killed, a lost dask
    worker): the computation was not completed and no verdict is given. Not a property of the claim."""


class SchemaError(InputError):
    """A serialised file does not follow the documented schema."""


class UncertifiedValueError(VerifyError):
    """A certified decision was asked of a value that is not an exact rational, an enclosure or an exact
    algebraic number (e.g. a float), or an enclosure could not be separated from a threshold. Callers of
    the decision kernel (:mod:`verify.arith.decide`) turn it into INCONCLUSIVE, never into a verdict."""


class NonRealError(InputError):
    """The objective is not real-valued (or not defined) at the given point: ``sqrt(-1 - x**2)``,
    ``log(x)`` at x = −1, ``1/x`` at 0."""


class EnclosureError(VerifyError, ArithmeticError):
    """A certified enclosure could not be computed at this precision (e.g. clustered eigenvalues); raise
    the precision or use exact arithmetic. Subclasses the builtin ``ArithmeticError`` for compatibility."""


class IntegrationError(VerifyError, ArithmeticError):
    """A (non-validated) ODE integration or iteration stalled, failed, or met an activation boundary."""


class PointTimeoutError(VerifyError):
    """One point of a sweep exceeded its time limit (it is recorded as failed; the sweep goes on)."""


class ClaimError(InputError):
    """A claim's property raised on an instance, or returned something that is not a Result with a margin
    (the instance, when known, is attached as ``instance``)."""

    def __init__(self, message, instance=None):
        super().__init__(message)
        self.instance = instance


class NotHomogeneousError(InputError):
    """The network is not positively homogeneous (biases, or a non-homogeneous activation)."""


class ClaimViolation(Exception):
    """Internal control flow of the counterexample search: a generated instance violates the claim. Never
    reaches a user (``verify.check`` catches it and returns a report)."""

    def __init__(self, instance, result):
        super().__init__("claim violated")
        self.instance, self.result = instance, result


class StepRejected(VerifyError):
    """A step of a validated integration could not be validated at this step size (internal control flow of
    :func:`verify.convergence.validated_flow`: the step is halved; never shown to a user as a result)."""

    def __init__(self, reason: str, kind: str = "step_size", shrink: float | None = None):
        super().__init__(reason)
        self.reason, self.kind, self.shrink = reason, kind, shrink


class KinkRetry(StepRejected):
    """A step near an activation breakpoint must be retried shorter (internal control flow of
    :mod:`verify.convergence.kinks`: a crossing window or the motion away from a breakpoint could not be certified at
    this step size; ``kind`` is the stop kind used if no shorter step succeeds)."""

    def __init__(self, reason: str, kind: str = "kink"):
        super().__init__(reason, kind)
