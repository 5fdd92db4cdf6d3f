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
    ``paper_id`` is the paper's short prefix (``GD``, ``GF``, ``NP``, ``PL``; set by
    :func:`~verify.report.runner.discover` from the module's ``PAPER_ID``), so that :attr:`id` — e.g. ``PL-C6-lsq``
    — names a claim uniquely across papers (the papers' own numbering C1, C2, … repeats).
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
    paper_id: str = ""

    @property
    def claim_id(self) -> str:
        """The paper's own id of the claim: the middle part of ``module/claim/instance`` (else the claim's first
        word)."""
        parts = self.name.split("/")
        if len(parts) >= 3 and parts[1]:
            return parts[1]
        return self.claim.split()[0] if self.claim.split() else self.name

    @property
    def id(self) -> str:
        """A claim id unique across papers: ``<paper_id>-<claim id>`` (e.g. ``GF-C1-blowup``, ``PL-C6-lsq``)."""
        return f"{self.paper_id}-{self.claim_id}" if self.paper_id else self.claim_id

    @property
    def paper_short(self) -> str:
        """The paper's short name: ``paper`` without its parenthesised authors and arXiv id."""
        short = self.paper.split("(")[0].strip()
        return short or (self.name.split("/")[0] if "/" in self.name else "")
