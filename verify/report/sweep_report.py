"""Render a sweep file (JSON lines written by :mod:`verify.report.sweep`): a text table of verdict
counts and smallest margins per value of each swept parameter, the certified counterexamples (REFUTED rows, with
their instances in the HTML page), and plots (margin against each parameter; verdict counts) as PNG files and
one self-contained HTML page. A margin axis is logarithmic ("symlog" when some margin is ≤ 0) when the margins
span decades (:func:`verify.plot.choose_scale`); category labels are rotated and thinned so they do not overlap.

The file is read defensively: a torn last line is ignored, rows that are not usable (no verdict, a
point value such as ``"1/0"``, a non-finite margin, …) are skipped and counted in a warning, a point
that appears twice counts once (the last row wins). Rows of different sweeps — another claim, or
another set of swept parameters — are reported separately, one section each, never mixed in one
table. File names are built from sanitised parameter names and always land inside the output
directory.
"""

from __future__ import annotations

import base64
import html
import os
import pathlib
import re
from collections import defaultdict
from fractions import Fraction

import numpy as np

from ..errors import InputError
from ..result import check_input_file, parse_rational
from .sweep import _NUMERIC, ROW_VERDICTS, point_key, read_rows, validate_row

VERDICTS = ROW_VERDICTS
_SAFE = re.compile(r"[^A-Za-z0-9_-]+")


def _exact(v):
    """A point value as an exact rational (ints, "p/q" strings), or None for a category string."""
    if isinstance(v, int) and not isinstance(v, bool):
        return Fraction(v)
    if isinstance(v, str) and _NUMERIC.match(v):
        return parse_rational(v)
    return None


def _value(v):
    """A point value as a float for plotting (categories stay strings; beyond the float range: ±inf)."""
    q = _exact(v)
    if q is None:
        return str(v)
    try:
        return float(q)
    except OverflowError:
        return float("inf") if q > 0 else float("-inf")


def _sort_key(v: str):
    q = _exact_or_none(v)
    return (0, q, "") if q is not None else (1, Fraction(0), v)


def _exact_or_none(s: str):
    try:
        return _exact(s)
    except InputError:  # a label that is not a number sorts as a category
        return None


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
        for val in sorted(cells, key=_sort_key):
            c = cells[val]
            mm = "—" if c["min_margin"] is None else f"{c['min_margin']:.4g}"
            label = val if len(val) <= 40 else val[:39] + "…"
            counts = "  ".join(f"{c['counts'].get(v, 0):>12}" for v in VERDICTS)
            lines.append(f"  {label:>10}  {counts}  {mm:>12}")
    total = defaultdict(int)
    for r in rows:
        total[r["verdict"]] += 1
    lines.append(f"{len(rows)} points: " + ", ".join(f"{k} {n}" for k, n in sorted(total.items())))
    errors = [r for r in rows if r["verdict"] == "ERROR"]
    for r in errors[:5]:
        lines.append(f"  error at {r['point']}: {r.get('error')}")
    return "\n".join(lines)


def clean_rows(rows: list[dict]) -> tuple[list[dict], list[str]]:
    """(usable rows, warnings): invalid rows are skipped (counted, with the first reasons), a point
    recorded twice counts once (the last row)."""
    good, bad = {}, []
    dup = 0
    for i, r in enumerate(rows, 1):
        why = validate_row(r)
        if why is not None:
            bad.append(f"row {i}: {why}")
            continue
        key = (r["claim"], point_key(r["point"]))
        if key in good:
            dup += 1
            del good[key]  # keep file order of the last occurrence
        good[key] = r
    notes = []
    if bad:
        notes.append(f"skipped {len(bad)} malformed row(s) (" + "; ".join(bad[:3]) + ("; …" if len(bad) > 3 else "")
                     + ")")
    if dup:
        notes.append(f"{dup} point(s) were recorded more than once; the last row of each is used")
    return list(good.values()), notes


def group_rows(rows: list[dict]) -> list[tuple[tuple, list[dict]]]:
    """Rows grouped by sweep: (claim, swept parameter names) → rows, in order of first appearance."""
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["claim"], tuple(sorted(r["point"]))), []).append(r)
    return list(groups.items())


def safe_name(name: str, taken: set) -> str:
    """A file-name stem from arbitrary text: letters, digits, ``_`` and ``-`` only (so never ``..`` or
    ``/``), at most 60 characters, unique within ``taken``."""
    stem = _SAFE.sub("_", str(name)).strip("_")[:60] or "param"
    out, k = stem, 2
    while out in taken:
        out, k = f"{stem}_{k}", k + 1
    taken.add(out)
    return out


def _target(out: pathlib.Path, name: str) -> pathlib.Path:
    """``out / name`` after checking that it stays inside ``out`` (no separators, not a symlink)."""
    if "/" in name or "\\" in name or name in ("", ".", "..") or "\x00" in name:
        raise InputError(f"refusing to write the file name {name!r}")
    t = out / name
    if t.parent.resolve() != out.resolve():
        raise InputError(f"refusing to write {t}: outside the output directory {out}")
    if t.is_symlink():  # never follow a link planted in the output directory
        t.unlink()
    return t


def _scale(ax, values, axis="y", only_positive=False) -> str:
    """A log axis when the values span decades (:func:`verify.plot.choose_scale`): "log" if all are > 0, "symlog"
    (linear within the smallest nonzero magnitude) otherwise, so one run at −2.5e17 does not flatten the others.
    ``only_positive``: never symlog (for x axes: linear unless a log axis fits)."""
    from ..plot import choose_scale

    scale, kw = choose_scale(values)
    if only_positive and scale == "symlog":
        scale, kw = "linear", {}
    (ax.set_yscale if axis == "y" else ax.set_xscale)(scale, **kw)
    return scale


#: at most this many category labels on an x axis (every k-th is kept)
MAX_TICK_LABELS = 20


def _readable_ticks(ax, rotation: int = 35) -> None:
    """Rotated, right-aligned x tick labels (long category names no longer overlap), thinned to
    :data:`MAX_TICK_LABELS`, each cut to 24 characters."""
    ax.figure.canvas.draw()  # categorical ticks and their labels exist only after a draw
    ticks = list(ax.get_xticks())
    labels = [lab.get_text() for lab in ax.get_xticklabels()]
    step = max(1, -(-len(ticks) // MAX_TICK_LABELS))
    ax.set_xticks(ticks[::step])
    ax.set_xticklabels([t if len(t) <= 24 else t[:23] + "…" for t in labels[::step]], rotation=rotation, ha="right",
                       fontsize=7)


def counterexamples(rows: list[dict]) -> list[dict]:
    """The REFUTED rows (certified counterexamples), smallest margin first."""
    ref = [r for r in rows if r["verdict"] == "REFUTED"]
    return sorted(ref, key=lambda r: r["margin"] if isinstance(r.get("margin"), int | float) else 0.0)


def _counterexample_text(rows, limit: int = 10) -> str:
    ce = counterexamples(rows)
    if not ce:
        return ""
    lines = [f"counterexamples (REFUTED, certified): {len(ce)}" + (f", the first {limit}" if len(ce) > limit else "")]
    for r in ce[:limit]:
        m = r.get("margin")
        lines.append(f"  {r['point']}: margin {m:.4g} ({r.get('arithmetic') or '?'}) — {r.get('message') or ''}"
                     .rstrip(" —"))
    return "\n".join(lines)


def _counterexample_html(rows, limit: int = 50) -> str:
    import json

    ce = counterexamples(rows)
    if not ce:
        return "<h3>Counterexamples</h3><p>none: no point was REFUTED.</p>"
    items = []
    for r in ce[:limit]:
        m = r.get("margin")
        inst = r.get("instance")
        inst_html = (f"<details><summary>instance (re-check it: save it as a counterexample file)</summary><pre>"
                     f"{html.escape(json.dumps(inst, indent=1)[:20000])}</pre></details>" if inst else "")
        items.append(f"<li><code>{html.escape(json.dumps(r['point']))}</code>: margin {html.escape(f'{m:.6g}')} "
                     f"({html.escape(str(r.get('arithmetic') or '?'))}) — {html.escape(str(r.get('message') or ''))}"
                     f"{inst_html}</li>")
    more = f"<p>… and {len(ce) - limit} more (see the sweep file).</p>" if len(ce) > limit else ""
    return f"<h3>Counterexamples ({len(ce)} REFUTED, certified)</h3><ul>{''.join(items)}</ul>{more}"


def _plot_group(plt, out, rows, prefix, taken) -> list[str]:
    colors = {"PROVED": "tab:green", "REFUTED": "tab:red", "SUPPORTED": "tab:blue", "INCONCLUSIVE": "tab:gray",
              "ERROR": "black"}
    figs = []
    params = sorted({k for r in rows for k in r["point"]})
    for p in params:
        fig, ax = plt.subplots(figsize=(5.5, 3.5))
        numeric = all(_exact(r["point"][p]) is not None for r in rows)
        for v in VERDICTS:
            sel = [r for r in rows if r["verdict"] == v and isinstance(r.get("margin"), int | float)]
            xs = [_value(r["point"][p]) if numeric else str(r["point"][p]) for r in sel]
            if xs:
                ax.scatter(xs, [r["margin"] for r in sel], s=14, color=colors[v], label=v)
        ax.axhline(0, color="k", lw=0.5)
        ax.set_xlabel(p)
        margins = [r["margin"] for r in rows if isinstance(r.get("margin"), int | float)]
        scale = _scale(ax, margins)
        ax.set_ylabel("margin (> 0: holds)" + ("" if scale == "linear" else f", {scale}"), fontsize=8)
        if scale == "symlog":  # fewer decades labelled: the ticks near 0 no longer overlap
            from matplotlib.ticker import SymmetricalLogLocator

            lt = ax.yaxis.get_transform().linthresh
            lo, hi = ax.get_ylim()
            decades = max(1.0, np.log10(max(abs(lo), abs(hi), lt) / lt))
            ax.yaxis.set_major_locator(SymmetricalLogLocator(base=10.0 ** max(1, int(decades // 4)), linthresh=lt))
            ax.tick_params(axis="y", labelsize=7)
        if numeric:
            xs = [x for x in (_value(r["point"][p]) for r in rows) if isinstance(x, float)]
            _scale(ax, xs, axis="x", only_positive=True)
        else:
            _readable_ticks(ax)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
        fig.tight_layout()
        name = safe_name(f"{prefix}margin_{p}", taken) + ".png"
        fig.savefig(_target(out, name), dpi=90)
        figs.append(name)
        plt.close(fig)
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    counts = [sum(r["verdict"] == v for r in rows) for v in VERDICTS]
    ax.bar(VERDICTS, counts, color=[colors[v] for v in VERDICTS])
    ax.set_ylabel("points")
    _readable_ticks(ax, rotation=25)
    fig.tight_layout()
    name = safe_name(f"{prefix}verdicts", taken) + ".png"
    fig.savefig(_target(out, name), dpi=90)
    plt.close(fig)
    figs.append(name)
    return figs


def render(path, out_dir, *, warn=None) -> dict:
    """Write ``table.txt``, ``margin_<param>.png``, ``verdicts.png`` and ``report.html`` into ``out_dir``
    (with several sweeps in the file: one section per sweep, files prefixed ``sweep<i>_``). Returns
    {"table", "files", "rows", "warnings", "sweeps"}; warnings also go to ``warn`` (default: ignored
    here, the table carries them)."""
    try:
        import matplotlib
    except ImportError:
        raise InputError("verify report needs matplotlib: pip install matplotlib") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = check_input_file(path, what="sweep file")
    notes: list[str] = []
    raw = read_rows(path, warn=notes.append)
    if not raw:
        raise InputError(f"{path}: no sweep rows")
    rows, more = clean_rows(raw)
    notes += more
    if not rows:
        raise InputError(f"{path}: no usable sweep rows ({'; '.join(notes)})")
    out = pathlib.Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"the report directory {out} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the report directory {out}: {exc.strerror or exc}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise InputError(f"the report directory {out} is not writable")
    groups = group_rows(rows)
    if len(groups) > 1:
        notes.append(f"the file holds {len(groups)} different sweeps (claims or swept parameters differ); "
                     "each is reported separately")
    taken: set = set()
    figs, sections, tables = [], [], []
    for i, ((claim, params), grows) in enumerate(groups, 1):
        prefix = f"sweep{i}_" if len(groups) > 1 else ""
        table = render_table(grows)
        ce_text = _counterexample_text(grows)
        if ce_text:
            table += "\n" + ce_text
        head = f"sweep {i} of {len(groups)}: claim {claim!r} over {', '.join(params)}" if len(groups) > 1 else ""
        tables.append(f"{head}\n{table}" if head else table)
        gfigs = _plot_group(plt, out, grows, prefix, taken)
        figs += gfigs
        imgs = "".join(f'<img src="data:image/png;base64,{base64.b64encode((out / f).read_bytes()).decode()}">'
                       for f in gfigs)
        title = f"<h2>{html.escape(head)}</h2>" if head else ""
        sections.append(f"{title}<pre>{html.escape(table)}</pre>{imgs}{_counterexample_html(grows)}")
    text = "\n\n".join(tables)
    if notes:
        text += "\n" + "\n".join(f"warning: {n}" for n in notes)
        for n in notes:
            if warn is not None:
                warn(n)
    _target(out, "table.txt").write_text(text + "\n", encoding="utf-8")
    claims = sorted({c for (c, _), _ in groups})
    title = html.escape(", ".join(claims))
    warn_html = "".join(f"<p><b>warning:</b> {html.escape(n)}</p>" for n in notes)
    page = (f"<!doctype html><meta charset='utf-8'><title>verify sweep: {title}</title>"
            f"<h1>Sweep of {title}</h1>{warn_html}{''.join(sections)}")
    _target(out, "report.html").write_text(page, encoding="utf-8")
    return {"table": text, "files": ["table.txt", *figs, "report.html"], "rows": len(rows), "warnings": notes,
            "sweeps": len(groups)}


__all__ = ["render", "render_table", "summarize", "clean_rows", "group_rows", "safe_name", "counterexamples"]
