"""Render a :class:`~verify.report.runner.Report` as a plain-text table."""

from __future__ import annotations

import shutil

from ..result import format_number
from .runner import Report

_COLUMNS = ("", "claim", "instance", "verdict", "expected", "margin", "precision", "time", "ctl")


def _cut(s: str, width: int) -> str:
    return s if len(s) <= width else s[: max(width - 1, 1)] + "…"


def _precision(res) -> str:
    if res is None:
        return "—"
    if res.arithmetic in ("exact", "symbolic"):
        return res.arithmetic
    return f"{res.arithmetic} {res.precision} bit" if res.precision else res.arithmetic


def render(report: Report, width: int | None = None) -> str:
    width = width or max(shutil.get_terminal_size((140, 20)).columns, 100)
    rows = []
    for o in report.outcomes:
        r = o.result
        rows.append(["ok" if o.ok else o.status, o.check.claim,
                     o.check.instance, r.verdict.value if r else "ERROR", o.check.expected.value,
                     format_number(r.margin) if r else "—", _precision(r), f"{o.elapsed:.2f}s",
                     "neg" if o.check.negative_control else ""])
    fixed = [max(len(_COLUMNS[i]), *(len(row[i]) for row in rows)) if rows else len(_COLUMNS[i])
             for i in range(len(_COLUMNS))]
    fixed[1] = min(fixed[1], 44)
    fixed[5] = min(fixed[5], 18)
    room = width - sum(w for i, w in enumerate(fixed) if i != 2) - 2 * (len(_COLUMNS) - 1)
    fixed[2] = max(20, min(fixed[2], room))
    lines = ["  ".join(_cut(h, w).ljust(w) for h, w in zip(_COLUMNS, fixed)).rstrip()]
    lines.append("  ".join("-" * w for w in fixed))
    for row in rows:
        lines.append("  ".join(_cut(c, w).ljust(w) for c, w in zip(row, fixed)).rstrip())
    errors = [o for o in report.outcomes if o.error]
    fails = [o for o in report.outcomes if o.status == "FAIL"]
    for o in fails:
        lines.append(f"FAIL {o.check.name}: got {o.result.verdict.value}, expected {o.check.expected.value}: "
                     f"{o.result.message}")
    for o in errors:
        lines.append(f"ERROR {o.check.name}: {o.error}")
    c = report.counts()
    negatives = sum(o.check.negative_control for o in report.outcomes)
    if negatives:
        lines.append(f"ctl 'neg': {negatives} negative control(s), instances built to violate an assumption")
    verdicts = ", ".join(f"{k} {c[k]}" for k in ("PROVED", "REFUTED", "SUPPORTED", "INCONCLUSIVE") if k in c)
    lines.append(f"{c['as_expected']}/{c['checks']} checks as expected ({verdicts}); "
                 f"{c['failed']} failed, {c['errors']} errors; {report.elapsed:.1f} s")
    return "\n".join(lines)
