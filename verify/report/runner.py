"""Discover and run the proof checks of :mod:`proofs_checks`; collect a report.

Each module of the ``proofs_checks`` package defines ``PAPER`` (a short name) and ``CHECKS``, a list
of :class:`~verify.report.check.ProofCheck`. :func:`run_checks` runs them one by one, reports progress,
never lets one failing check stop the others, and marks a check as passing only when its verdict
equals the expected one.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import json
import pkgutil
import platform
import sys
import time
import traceback
from dataclasses import dataclass, field, replace

from ..errors import InputError, MissingDependencyError
from ..result import Result, Verdict, encode
from .check import ProofCheck

#: default paper prefixes of the claim ids (a proofs_checks module may set its own ``PAPER_ID``)
PAPER_IDS = {"gd_map": "GD", "gradient_flow": "GF", "homogeneous_np": "NP", "local_pl": "PL"}


def paper_id(module: str, mod=None) -> str:
    """The short prefix of a proof-check module's claim ids: its ``PAPER_ID``, else :data:`PAPER_IDS`, else the
    initials of the module name (``my_new_paper`` → ``MNP``)."""
    own = getattr(mod, "PAPER_ID", None)
    if isinstance(own, str) and own.strip():
        return own.strip()
    return PAPER_IDS.get(module) or "".join(w[0] for w in module.split("_") if w).upper() or module


def discover(package: str = "proofs_checks") -> list[ProofCheck]:
    """All checks of every module of ``package`` (in module order, then list order).

    A module that fails to import becomes one check ``<module>/import`` that reports the import error
    as an ERROR (the run then fails): the other modules still run. A missing package, a ``CHECKS`` entry
    that is not a ProofCheck or a duplicate name is an :class:`InputError`."""
    try:
        pkg = importlib.import_module(package)
    except ImportError as exc:
        if isinstance(exc, ModuleNotFoundError) and exc.name == package:
            raise InputError(f"cannot find the proof checks (the package {package!r}): install verify with "
                             "its proofs_checks, or run from the project root") from None
        raise InputError(f"importing {package!r} failed: {type(exc).__name__}: {exc}") from None
    checks: list[ProofCheck] = []
    seen = set()
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        try:
            mod = importlib.import_module(f"{package}.{info.name}")
        except Exception as exc:  # noqa: BLE001 - reported as a failing check, the others still run
            checks.append(_import_failure(package, info.name, exc))
            continue
        for chk in getattr(mod, "CHECKS", []):
            if not isinstance(chk, ProofCheck):
                raise InputError(f"{mod.__name__}.CHECKS contains a {type(chk).__name__}, not a ProofCheck")
            if chk.name in seen:
                raise InputError(f"duplicate proof-check name {chk.name!r}")
            seen.add(chk.name)
            if not chk.paper_id:
                chk = replace(chk, paper_id=paper_id(info.name, mod))
            checks.append(chk)
    return checks


def _import_failure(package: str, module: str, exc: Exception) -> ProofCheck:
    msg = f"{package}.{module} failed to import: {type(exc).__name__}: {exc}"

    def run():
        raise InputError(msg)

    return ProofCheck(f"{module}/import", f"import {package}.{module}", f"import failed ({type(exc).__name__})",
                      Verdict.PROVED, run, paper=module, paper_id=paper_id(module))


def select(checks: list[ProofCheck], keyword: str | None = None, paper: str | None = None,
           include_slow: bool = True) -> list[ProofCheck]:
    out = []
    for c in checks:
        if keyword and keyword.lower() not in f"{c.name} {c.id} {c.claim} {c.instance}".lower():
            continue
        if paper and paper.lower() not in c.paper.lower() and paper.lower() not in c.name.lower():
            continue
        if c.slow and not include_slow:
            continue
        out.append(c)
    return out


@dataclass
class Outcome:
    check: ProofCheck
    result: Result | None
    elapsed: float
    error: str | None = None
    #: why the check did not run: an optional extra it needs is not installed (``pip install "verify[data]"``)
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.result is not None and self.result.verdict == self.check.expected

    @property
    def status(self) -> str:
        if self.skipped is not None:
            return "skipped"
        if self.error is not None:
            return "ERROR"
        return "ok" if self.ok else "FAIL"

    def to_dict(self) -> dict:
        c = self.check
        return {"name": c.name, "id": c.id, "paper": c.paper, "claim": c.claim, "instance": c.instance,
                "reference": c.reference, "negative_control": c.negative_control,
                "expected": c.expected.value, "status": self.status, "elapsed": self.elapsed,
                "error": self.error, "skipped": self.skipped,
                "result": None if self.result is None else self.result.to_dict()}


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    started: str = ""
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        """Every check that ran got its expected verdict (a check skipped for a missing optional extra is reported,
        not failed)."""
        return all(o.ok or o.skipped is not None for o in self.outcomes)

    def counts(self) -> dict:
        out = {"checks": len(self.outcomes), "as_expected": sum(o.ok for o in self.outcomes),
               "failed": sum(o.status == "FAIL" for o in self.outcomes),
               "errors": sum(o.status == "ERROR" for o in self.outcomes),
               "skipped": sum(o.status == "skipped" for o in self.outcomes)}
        for o in self.outcomes:
            if o.result is not None:
                out[o.result.verdict.value] = out.get(o.result.verdict.value, 0) + 1
        return out

    def to_dict(self) -> dict:
        from .. import __version__

        return {"schema": 1, "tool": "verify", "version": __version__, "started": self.started,
                "elapsed": self.elapsed, "python": platform.python_version(), "summary": self.counts(),
                "checks": [o.to_dict() for o in self.outcomes]}

    def write_json(self, path) -> None:
        """Write the report atomically (a temporary file in the same directory, then a rename)."""
        import os
        import tempfile

        text = json.dumps(encode(self.to_dict()), indent=1) + "\n"
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".verify-report-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


def run_checks(checks: list[ProofCheck], progress=sys.stderr) -> Report:
    """Run ``checks`` in order; ``progress`` (a text stream or None) gets one line per check."""
    rep = Report(started=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))
    t_all = time.perf_counter()
    n = len(checks)
    for i, chk in enumerate(checks, 1):
        if progress is not None:
            print(f"[{i}/{n}] {chk.name} …", file=progress, end="", flush=True)
        t0 = time.perf_counter()
        try:
            res = chk.run()
            if not isinstance(res, Result):
                raise InputError(f"the check returned a {type(res).__name__}, not a Result")
            out = Outcome(chk, res, time.perf_counter() - t0)
        except MissingDependencyError as exc:  # an optional extra (e.g. scikit-learn's data) is not installed
            out = Outcome(chk, None, time.perf_counter() - t0, skipped=str(exc))
        except Exception as exc:  # noqa: BLE001 - a crashing check is reported, not fatal
            tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
            out = Outcome(chk, None, time.perf_counter() - t0, error=tb)
        rep.outcomes.append(out)
        if progress is not None:
            verdict = (out.result.verdict.value if out.result is not None else
                       "skipped" if out.skipped is not None else "ERROR")
            flag = "" if out.ok else f"  <-- expected {chk.expected.value}"
            print(f" {verdict} ({out.elapsed:.2f} s){flag}", file=progress, flush=True)
    rep.elapsed = time.perf_counter() - t_all
    return rep
