"""Proof-check reports: :class:`ProofCheck`, discovery, running, table and JSON output."""

from .check import ProofCheck
from .runner import Outcome, Report, discover, run_checks, select
from .table import render

__all__ = ["ProofCheck", "Outcome", "Report", "discover", "run_checks", "select", "render"]
