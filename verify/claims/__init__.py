"""Claims, counterexample search and certified re-checking.

>>> import verify as vf
>>> report = vf.check("gd-monotone-relu", max_examples=200)      # a built-in (false) conjecture
>>> report.verdict                                                 # doctest: +SKIP
<Verdict.REFUTED: 'REFUTED'>
"""

from .check import (
    COUNTEREXAMPLE_SCHEMA,
    CheckReport,
    ClaimError,
    check,
    load_counterexample,
    recheck,
    recheck_file,
)
from .claim import Claim, claim_names, get_claim, register
from .instance import GRAPH_INSTANCE_SCHEMA, INSTANCE_SCHEMA, Instance, build_network, network_spec

__all__ = ["Claim", "check", "CheckReport", "ClaimError", "register", "get_claim", "claim_names", "Instance",
           "recheck", "recheck_file", "load_counterexample", "COUNTEREXAMPLE_SCHEMA", "INSTANCE_SCHEMA",
           "GRAPH_INSTANCE_SCHEMA", "build_network", "network_spec"]
