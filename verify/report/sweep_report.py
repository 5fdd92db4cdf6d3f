"""Render a sweep file (JSON lines written by :mod:`verify.report.sweep`): a text table of verdict
counts and smallest margins per value of each swept parameter, and plots (margin against each
parameter; verdict counts) as PNG files and one self-contained HTML page."""

from __future__ import annotations

import base64
import html
import pathlib
from collections import defaultdict
from fractions import Fraction

from ..errors import InputError
from .sweep import read_rows

VERDICTS = ("PROVED", "REFUTED", "SUPPORTED", "INCONCLUSIVE", "ERROR")


def _value(v):
    if isinstance(v, str) and "/" in v:
        a, b = v.split("/")
        return float(Fraction(int(a), int(b)))
    return float(v)


def summarize(rows: list[dict]) -> dict:
    """{parameter: {value: {"counts": {verdict: n}, "min_margin": m}}}."""
    out = defaultdict(lambda: defaultdict(lambda: {"counts": defaultdict(int), "min_margin": None}))
    for r in rows:
        for k, v in r["point"].items():
            cell = out[k][str(v)]
            cell["counts"][r["verdict"]] += 1
            m = r.get("margin")
            if isinstance(m, int | float) and (cell["min_margin"] is None or m < cell["min_margin"]):
                cell["min_margin"] = m
    return out


def render_table(rows: list[dict]) -> str:
    s = summarize(rows)
    lines = []
    for param, cells in s.items():
        lines.append(f"{param}:")
        lines.append(f"  {'value':>10}  " + "  ".join(f"{v:>12}" for v in VERDICTS) + f"  {'min margin':>12}")
        for val in sorted(cells, key=lambda x: _value(x) if _is_num(x) else 0):
            c = cells[val]
            mm = "—" if c["min_margin"] is None else f"{c['min_margin']:.4g}"
            lines.append(f"  {val:>10}  " + "  ".join(f"{c['counts'].get(v, 0):>12}" for v in VERDICTS) + f"  {mm:>12}")
    total = defaultdict(int)
    for r in rows:
        total[r["verdict"]] += 1
    lines.append(f"{len(rows)} points: " + ", ".join(f"{k} {n}" for k, n in sorted(total.items())))
    errors = [r for r in rows if r["verdict"] == "ERROR"]
    for r in errors[:5]:
        lines.append(f"  error at {r['point']}: {r['error']}")
    return "\n".join(lines)


def _is_num(x) -> bool:
    try:
        _value(x)
        return True
    except (ValueError, TypeError, ZeroDivisionError):
        return False


def render(path, out_dir) -> dict:
    """Write ``table.txt``, ``margin_<param>.png``, ``verdicts.png`` and ``report.html`` into ``out_dir``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_rows(path)
    if not rows:
        raise InputError(f"{path}: no sweep rows")
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = render_table(rows)
    (out / "table.txt").write_text(table + "\n", encoding="utf-8")
    figs = []
    params = sorted({k for r in rows for k in r["point"]})
    colors = {"PROVED": "tab:green", "REFUTED": "tab:red", "SUPPORTED": "tab:blue", "INCONCLUSIVE": "tab:gray",
              "ERROR": "black"}
    for p in params:
        fig, ax = plt.subplots(figsize=(5.5, 3.5))
        for v in VERDICTS:
            xs = [_value(r["point"][p]) for r in rows if r["verdict"] == v and isinstance(r.get("margin"), int | float)]
            ys = [r["margin"] for r in rows if r["verdict"] == v and isinstance(r.get("margin"), int | float)]
            if xs:
                ax.scatter(xs, ys, s=14, color=colors[v], label=v)
        ax.axhline(0, color="k", lw=0.5)
        ax.set_xlabel(p)
        ax.set_ylabel("margin (> 0: the claim holds)")
        ax.legend(fontsize=7)
        fig.tight_layout()
        name = f"margin_{p}.png"
        fig.savefig(out / name, dpi=90)
        figs.append(name)
        plt.close(fig)
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    counts = [sum(r["verdict"] == v for r in rows) for v in VERDICTS]
    ax.bar(VERDICTS, counts, color=[colors[v] for v in VERDICTS])
    ax.set_ylabel("points")
    fig.tight_layout()
    fig.savefig(out / "verdicts.png", dpi=90)
    plt.close(fig)
    figs.append("verdicts.png")
    imgs = "".join(f'<img src="data:image/png;base64,{base64.b64encode((out / f).read_bytes()).decode()}">'
                   for f in figs)
    claim = html.escape(str(rows[0].get("claim", "")))
    page = (f"<!doctype html><meta charset='utf-8'><title>verify sweep: {claim}</title>"
            f"<h1>Sweep of {claim}</h1><pre>{html.escape(table)}</pre>{imgs}")
    (out / "report.html").write_text(page, encoding="utf-8")
    return {"table": table, "files": ["table.txt", *figs, "report.html"], "rows": len(rows)}


__all__ = ["render", "render_table", "summarize"]
