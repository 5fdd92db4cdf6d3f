"""A proof check: one claim of a paper on one instance, with the verdict it is expected to get."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..result import Result, Verdict


@dataclass(frozen=True)
class ProofCheck:
    """``run()`` computes a :class:`Result`; the check passes when its verdict equals ``expected``.

    ``name`` is unique across ``proofs_checks`` (``module/claim/instance``); ``reference`` points at the
    statement in the paper it checks; ``negative_control`` marks instances built to violate an assumption.
    """

    name: str
    claim: str
    instance: str
    expected: Verdict
    run: Callable[[], Result]
    paper: str = ""
    reference: str = ""
    negative_control: bool = False
    slow: bool = False
