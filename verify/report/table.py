"""Render a :class:`~verify.report.runner.Report` as a table: plain text with wrapped cells (default), one line
per check (``"wide"``) or a Markdown table (``"markdown"``), followed by the verdict legend.

Columns: status (``ok`` when the verdict is the expected one), the claim's id (unique across papers:
``<paper>-<claim>``, e.g. ``PL-C6-lsq``), the paper, the claim and the instance (full text, wrapped), the verdict
and the expected one, the margin (signed slack, positive where the claim holds), the arithmetic and precision of
the verdict, the time, and ``neg`` for negative controls.
"""

from __future__ import annotations

import math
import shutil
import textwrap

from ..result import format_number
from .runner import Report

FORMATS = ("text", "wide", "markdown")
_COLUMNS = ("", "id", "paper", "claim", "instance", "verdict", "expected", "margin", "precision", "time", "ctl")

#: what each verdict promises (printed under every table)
VERDICT_LEGEND = {
    "PROVED": "certified for everything in the stated scope (exact rationals or enclosures)",
    "REFUTED": "certified false: a counterexample checked in exact or enclosure arithmetic",
    "SUPPORTED": "evidence, not proof: sampling, float runs, or enclosures that bound an equality they cannot "
                 "certify",
    "INCONCLUSIVE": "nothing decided (e.g. the enclosures overlap the threshold, a float violation not confirmed)",
}
NEGATIVE_MARK = "†"


def _cut(s: str, width: int) -> str:
    return s if len(s) <= width else s[: max(width - 1, 1)] + "…"


def _precision(res) -> str:
    if res is None:
        return "—"
    if res.arithmetic in ("exact", "symbolic"):
        return res.arithmetic
    return f"{res.arithmetic} {res.precision} bit" if res.precision else res.arithmetic


def _margin_value(m):
    """The margin as a float (an enclosure by its lower end), or None."""
    if isinstance(m, tuple | list) and m:
        m = m[0]
    try:
        return None if m is None else float(m)
    except OverflowError:
        return -math.inf if m < 0 else math.inf
    except (TypeError, ValueError):
        return None


def negative_margin_holds(o) -> bool:
    """A row whose verdict says the claim holds (PROVED/SUPPORTED) while its margin is below 0: an equality
    bounded by enclosures (the lower end of the enclosure lies below the value by the rounding), explained in the
    legend."""
    r = o.result
    if r is None or r.verdict.value not in ("PROVED", "SUPPORTED"):
        return False
    v = _margin_value(r.margin)
    return v is not None and v < 0


def _claim_text(c) -> str:
    """The claim without its leading id (the id column shows it)."""
    words = c.claim.split(maxsplit=1)
    if words and words[0] == c.claim_id and len(words) > 1:
        return words[1]
    return c.claim


def _rows(report: Report) -> list[list[str]]:
    rows = []
    for o in report.outcomes:
        r, c = o.result, o.check
        margin = format_number(r.margin) if r else "—"
        if negative_margin_holds(o):
            margin += NEGATIVE_MARK
        got = r.verdict.value if r else ("—" if o.skipped is not None else "ERROR")
        rows.append(["ok" if o.ok else o.status, c.id, c.paper_short, _claim_text(c), c.instance, got,
                     c.expected.value, margin, _precision(r), f"{o.elapsed:.2f}s",
                     "neg" if c.negative_control else ""])
    return rows


def _text_table(rows, width: int, wrap: bool) -> list[str]:
    cols = list(_COLUMNS)
    if wrap:  # the status column says whether the verdict is the expected one; a FAIL line below names it
        cols.pop(6)
        rows = [row[:6] + row[7:] for row in rows]
    n = len(cols)
    natural = [max(len(cols[i]), *(len(row[i]) for row in rows)) if rows else len(cols[i]) for i in range(n)]
    if not wrap:
        widths = natural
    else:
        widths = list(natural)
        widths[6] = min(widths[6], 24)
        widths[2] = min(widths[2], 14)  # the paper wraps too
        fixed = sum(w for i, w in enumerate(widths) if i not in (3, 4)) + 2 * (n - 1)
        room = max(width - fixed, 36)
        # claim gets 60 % of the room, instance the rest; neither wider than it needs
        wc = min(natural[3], max(20, room * 3 // 5))
        widths[3], widths[4] = wc, min(natural[4], max(16, room - wc))
    lines = ["  ".join(h.ljust(w) for h, w in zip(cols, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for row in rows:
        if not wrap:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
            continue
        cells = [textwrap.wrap(c, w, break_long_words=True, break_on_hyphens=False) or [""] if i in (2, 3, 4)
                 else [_cut(c, w)] for i, (c, w) in enumerate(zip(row, widths))]
        for k in range(max(len(cell) for cell in cells)):
            lines.append("  ".join((cell[k] if k < len(cell) else "").ljust(w)
                                   for cell, w in zip(cells, widths)).rstrip())
    return lines


def _md(s: str) -> str:
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _markdown_table(rows) -> list[str]:
    head = ["status", *_COLUMNS[1:]]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return lines


def legend(report: Report) -> list[str]:
    """The lines explaining the verdicts, the margin and the marks used in ``report``'s table."""
    out = ["Verdicts: " + "; ".join(f"{k} — {v}" for k, v in VERDICT_LEGEND.items()) + ".",
           "margin: the claim's signed slack, > 0 where it holds (exact rationals print as p/q; an enclosure prints "
           "its lower end); status 'ok' = the verdict is the expected one (FAIL lines name the expected verdict; "
           "--format wide or markdown show it as a column)."]
    if any(negative_margin_holds(o) for o in report.outcomes):
        out.append(f"{NEGATIVE_MARK} a PROVED/SUPPORTED row with a margin below 0: an equality (or a bound that is "
                   "tight) checked with enclosures — the lower end of the enclosure lies below the claimed value by "
                   "the rounding only, so the enclosure is consistent with equality but cannot certify it (exact "
                   "arithmetic would); the expected verdict says this is the intended outcome.")
    negatives = sum(o.check.negative_control for o in report.outcomes)
    if negatives:
        out.append(f"ctl 'neg': {negatives} negative control(s), instances built to violate an assumption")
    return out


def render(report: Report, width: int | None = None, fmt: str = "text") -> str:
    """The table of ``report`` (``fmt``: "text" — cells wrapped to the terminal ``width``; "wide" — one line per
    check, nothing cut; "markdown" — a Markdown table), the failures, the legend and the summary line."""
    from ..errors import InputError

    if fmt not in FORMATS:
        raise InputError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    width = width or max(shutil.get_terminal_size((160, 20)).columns, 100)
    rows = _rows(report)
    lines = _markdown_table(rows) if fmt == "markdown" else _text_table(rows, width, wrap=fmt == "text")
    if fmt == "markdown":
        lines.append("")
    errors = [o for o in report.outcomes if o.error]
    fails = [o for o in report.outcomes if o.status == "FAIL"]
    for o in fails:
        lines.append(f"FAIL {o.check.name}: got {o.result.verdict.value}, expected {o.check.expected.value}: "
                     f"{o.result.message}")
    for o in errors:
        lines.append(f"ERROR {o.check.name}: {o.error}")
    for o in report.outcomes:
        if o.skipped is not None:
            lines.append(f"skipped {o.check.name}: {o.skipped}")
    lines.extend(legend(report))
    c = report.counts()
    verdicts = ", ".join(f"{k} {c[k]}" for k in ("PROVED", "REFUTED", "SUPPORTED", "INCONCLUSIVE") if k in c)
    lines.append(f"{c['as_expected']}/{c['checks'] - c['skipped']} checks as expected ({verdicts}); "
                 f"{c['failed']} failed, {c['errors']} errors"
                 + (f", {c['skipped']} skipped (an optional extra is missing)" if c["skipped"] else "")
                 + f"; {report.elapsed:.1f} s")
    return "\n".join(lines)
