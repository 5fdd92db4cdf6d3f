"""Sphinx configuration of the documentation site.

Build (warnings are errors): ``bash docs/build.sh`` or
``python -m sphinx -W --keep-going -b html docs docs/_build/html``.

Stack: Sphinx + MyST-NB (which brings MyST-Parser: the Markdown pages and the notebooks), autodoc + napoleon for
the API reference from the docstrings in ``verify/``, the furo theme.

Notebooks: ``docs/notebooks`` is a symbolic link to the repository's ``notebooks/`` folder, whose ``.ipynb`` files
are stored without outputs. ``VERIFY_DOCS_EXECUTE`` chooses what the build does with them:

* ``force`` (the default of ``docs/build.sh``): execute every notebook during the build (one fresh kernel per
  notebook, a time limit per cell), so the site shows their figures; a cell that raises fails the build.
* ``cache``: as ``force``, but reuse outputs cached by jupyter-cache in ``docs/_build/.jupyter_cache`` when a
  notebook's code has not changed (for repeated local builds).
* ``off``: render the notebooks without outputs (fast; used by ``tests/test_docs_site.py``, since
  ``tests/test_notebooks.py`` already executes them).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import os
import pathlib
import re
import sys

from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the package from this checkout, also without an editable install

import verify  # noqa: E402

logger = logging.getLogger(__name__)

project = "verify"
author = "the verify developers"
copyright = "the verify developers"  # noqa: A001
release = verify.__version__
version = release

extensions = [
    "myst_nb",  # loads myst_parser itself (do not list both)
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]

exclude_patterns = ["_build", "jupyter_execute", "**/.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"

# -- MyST -----------------------------------------------------------------------------------------------------------
# dollarmath: the notebooks' Markdown cells write $\det(I-\eta\nabla^2L)$ (the .md pages write math in Unicode and
# contain no "$"); amsmath: display environments in notebooks
myst_enable_extensions = ["colon_fence", "deflist", "fieldlist", "dollarmath", "amsmath"]
# "## 2.1 Main theorem" in a page gets a stable anchor, so that [text](page.md#anchor) links resolve
myst_heading_anchors = 3

# -- MyST-NB: notebooks ---------------------------------------------------------------------------------------------
_EXECUTE = os.environ.get("VERIFY_DOCS_EXECUTE", "off")
if _EXECUTE not in ("off", "force", "cache", "auto"):
    raise ValueError(f"VERIFY_DOCS_EXECUTE={_EXECUTE!r}: use off, force, cache or auto")
nb_execution_mode = _EXECUTE
nb_execution_in_temp = True  # each notebook runs in a fresh temporary folder (its figures/ and files go there)
# Figures on the pages. A figure reaches a cell's outputs only under the inline backend, but CI exports
# MPLBACKEND=Agg and the notebooks call matplotlib.use("Agg") (for headless test runs, where the inline backend would
# do as well). The kernels inherit this process's environment, so here the inline backend is chosen, and an IPython
# startup file in a private IPYTHONDIR turns a later matplotlib.use("Agg") into a no-op inside the kernels. Nothing
# of a notebook's code or shown source changes; the build's own process is unaffected.
_STARTUP = """\
import matplotlib

_matplotlib_use = matplotlib.use


def _keep_inline_backend(backend, *args, **kwargs):
    # docs build: keep the inline backend so that figures are shown on the page
    if str(backend).lower() != "agg":
        _matplotlib_use(backend, *args, **kwargs)


matplotlib.use = _keep_inline_backend
"""
if _EXECUTE != "off":
    import atexit
    import shutil
    import tempfile

    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    _ipython_dir = pathlib.Path(tempfile.mkdtemp(prefix="verify-docs-ipython-"))
    atexit.register(shutil.rmtree, _ipython_dir, ignore_errors=True)
    (_ipython_dir / "profile_default" / "startup").mkdir(parents=True)
    (_ipython_dir / "profile_default" / "startup" / "00-inline-figures.py").write_text(_STARTUP)
    os.environ["IPYTHONDIR"] = str(_ipython_dir)
nb_execution_timeout = int(os.environ.get("VERIFY_DOCS_CELL_TIMEOUT", "600"))  # seconds per cell
nb_execution_raise_on_error = True  # a notebook that fails fails the build
nb_execution_show_tb = True
nb_execution_cache_path = str(ROOT / "docs" / "_build" / ".jupyter_cache")
nb_merge_streams = True

# -- autodoc / napoleon ---------------------------------------------------------------------------------------------
autodoc_default_options = {
    "members": True,
    "undoc-members": True,  # every public name appears, with or without a docstring
    "show-inheritance": True,
    "member-order": "bysource",
}
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True  # show `prec=128`, not the evaluated object
autodoc_inherit_docstrings = True
autoclass_content = "both"  # class docstring + __init__ docstring
# signatures come from inspect: the only docstrings of verify/ that start like a signature are the ones
# dataclasses generate for classes without a docstring (cleared in _plain_math_docstring below)
autodoc_docstring_signature = False
# the docstrings of verify/ mix Google/NumPy sections with plain reST prose
napoleon_google_docstring = True
napoleon_numpy_docstring = True
napoleon_use_rtype = False
# parameter types as text, not cross-references: several docstrings put prose in the type slot ("depth : 2 or 3 —
# the number of weight layers"), whose words would otherwise become (ambiguous) references
napoleon_use_param = False
napoleon_use_ivar = True
napoleon_attr_annotations = True

# -- HTML -----------------------------------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"verify {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = True

# -- warnings -------------------------------------------------------------------------------------------------------
# The build runs with -W (warnings are errors). No warning category is suppressed: a docstring or page that produces
# a warning is a content error to fix where it is. The one adaptation is `_plain_math_docstring` below.
suppress_warnings: list[str] = []


# -- docstrings written in plain mathematical notation ---------------------------------------------------------------
# The docstrings of verify/ write absolute values and norms as |x|, ‖x‖ and shapes as (n, *input_shape): plain
# notation that reads well in `help()`, but `|x|` is a reST substitution reference and `*input_shape)` an emphasis
# start-string without an end. verify/ defines no substitutions, so every `|` outside literal text, literal blocks,
# doctests, line blocks and tables is escaped, and a `*` after ", " or "(" with no closing `*` before the next ")"
# (Python's unpacking star) is escaped. Everything else in a docstring is reST as written. Set
# VERIFY_DOCS_RAW_DOCSTRINGS=1 to build without this step and see which docstrings use the notation.
_LITERAL_SPAN = re.compile(r"(``.+?``|`[^`]*`_{0,2})")
_VERBATIM_DIRECTIVE = re.compile(r"\.\. (code-block|code|sourcecode|math|doctest|testcode|testoutput)::")
_BAR = re.compile(r"(?<!\\)\|")
_UNPACK_STAR = re.compile(r"(?:(?<=[(\[])|(?<=, ))\*(?=\w[^*)\]]*[)\]])")


def _plain_math_line(line: str, *, keep_columns: bool = False) -> str:
    """Escape the line's plain-notation `|` and `*` (outside literal spans); with ``keep_columns`` (a row of a simple
    table) every added backslash takes one space from the next gap of two or more spaces, so that the columns stay
    where the table's rules put them."""
    out, debt = [], 0
    for i, part in enumerate(_LITERAL_SPAN.split(line)):
        if i % 2:
            out.append(part)
            continue
        escape = {m.start() for m in _BAR.finditer(part)} | {m.start() for m in _UNPACK_STAR.finditer(part)}
        j = 0
        while j < len(part):
            if keep_columns and debt and part.startswith("  ", j):
                k = j
                while k < len(part) and part[k] == " ":
                    k += 1
                take = min(debt, k - j - 1)
                debt -= take
                out.append(" " * (k - j - take))
                j = k
                continue
            if j in escape:
                out.append("\\")
                debt += 1
            out.append(part[j])
            j += 1
    return "".join(out)


def _relayout_simple_tables(lines: list[str]) -> None:
    """A simple table whose cell text runs into the gap between two columns ("Text in column margin") is laid out
    again: each cell is the text from its column's start to the next column's start, and every column is widened to
    its longest cell. Tables whose cells fit are left untouched."""
    rule = re.compile(r"^( *)(=+(?: +=+)+) *$")
    i = 0
    while i < len(lines):
        m = rule.match(lines[i])
        if not m:
            i += 1
            continue
        indent, spans = m.group(1), [(r.start() + len(m.group(1)), r.end() + len(m.group(1)))
                                     for r in re.finditer(r"=+", m.group(2))]
        end, rules = i + 1, [i]
        while end < len(lines) and lines[end].strip():
            if rule.match(lines[end]):
                rules.append(end)
            end += 1
        block = range(i, rules[-1] + 1)
        margins = [(a[1], b[0]) for a, b in zip(spans, spans[1:])]
        bad = any(lines[k][lo:hi].strip() for k in block if k not in rules for lo, hi in margins)
        if bad and len(rules) >= 2:
            starts = [s for s, _ in spans] + [None]
            cells = {k: [lines[k][a:b].strip() for a, b in zip(starts, starts[1:])] for k in block if k not in rules}
            widths = [max([e - s] + [len(c[j]) for c in cells.values()]) for j, (s, e) in enumerate(spans)]
            for k in block:
                row = ["=" * w for w in widths] if k in rules else [c.ljust(w) for c, w in zip(cells[k], widths)]
                lines[k] = (indent + "  ".join(row)).rstrip()
        i = end


def _plain_math_docstring(app, what, name, obj, options, lines: list[str]) -> None:
    if os.environ.get("VERIFY_DOCS_RAW_DOCSTRINGS") == "1":
        return
    if what == "class" and inspect.isclass(obj) and dataclasses.is_dataclass(obj) and not _own_doc(obj):
        generated = inspect.cleandoc(obj.__doc__ or "")
        if generated and "\n".join(lines).strip().startswith(generated):
            del lines[:len(generated.splitlines())]  # the signature dataclasses writes, not documentation
    _relayout_simple_tables(lines)
    literal_indent = None  # inside a literal block introduced by "::": the indentation of the introducing line
    doctest = False
    table = False  # inside a simple table (between its rules; a blank line ends it)
    for i, line in enumerate(lines):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if literal_indent is not None:
            if not stripped or indent > literal_indent:
                continue
            literal_indent = None
        if doctest:
            if stripped:
                continue
            doctest = False
        if not stripped:
            table = False
            continue
        if stripped.startswith(">>>"):
            doctest = True
            continue
        if re.fullmatch(r"=+( +=+)+", stripped):  # a rule of a simple table
            table = True
            continue
        if stripped.startswith(("| ", "+-", "+=")) or stripped == "|":
            continue  # line blocks and grid tables
        if not stripped.startswith(".. ") or stripped.startswith((".. note", ".. warning")):
            lines[i] = _plain_math_line(line, keep_columns=table)
        if (stripped.endswith("::") and not stripped.startswith(".. ")) or _VERBATIM_DIRECTIVE.match(stripped):
            literal_indent = indent


# -- the top-level namespace: every name of verify.__all__, linked to the page that documents it ---------------------
_API = ROOT / "docs" / "api"
_AUTOMODULE = re.compile(r"^\.\. automodule:: ([\w.]+)", re.M)


def _documented_modules() -> dict[str, str]:
    """module name -> docname of the API page whose ``automodule`` documents it (the ``verify`` page excluded)."""
    out = {}
    for page in sorted(_API.glob("*.md")):
        if page.stem in ("index", "verify"):
            continue
        for mod in _AUTOMODULE.findall(page.read_text()):
            out.setdefault(mod, f"api/{page.stem}")
    return out


def _own_doc(obj) -> str:
    """The object's own docstring: not one inherited from a base class (an Enum would show str's) and not the
    signature a dataclass writes when it has none."""
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    doc = inspect.cleandoc(doc) if isinstance(doc, str) else ""
    if inspect.isclass(obj) and doc.startswith(f"{obj.__name__}(") and doc.endswith(")") and "\n" not in doc:
        return ""  # dataclasses.dataclass's generated signature
    return doc


def _summary(obj, limit: int = 220) -> str:
    """The first sentence of the first paragraph of the object's own docstring (a full stop outside parentheses),
    at most ``limit`` characters."""
    para = " ".join(_own_doc(obj).strip().split("\n\n")[0].split())
    if not para:
        return "(no docstring)"
    depth, cut = 0, len(para)
    for i, ch in enumerate(para):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "." and depth <= 0 and (i + 1 == len(para) or para[i + 1] == " "):
            cut = i + 1
            break
    sentence = para[:cut]
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0] + " …"
    if sentence.count("``") % 2 or sentence.count("`") % 2:  # a literal cut in the middle: drop the markup
        sentence = sentence.replace("`", "")
    return _plain_math_line(sentence)


class VerifyNamespace(SphinxDirective):
    """``.. verify-namespace::`` — a table of every name in ``verify.__all__``: what it is, where it is documented,
    its first docstring sentence. A name with no API page documenting it is a build warning (an error under -W)."""

    has_content = False

    def run(self):
        pages = _documented_modules()
        rows = []
        for name in verify.__all__:
            obj = getattr(verify, name)
            if name == "__version__":
                rows.append((f"``vf.{name}``", "str", f"the package version (``{obj}``)"))
                continue
            if inspect.ismodule(obj):
                doc = pages.get(obj.__name__)
                if doc is None:
                    self.warning_missing(name, f"module {obj.__name__} has no API page (add docs/api/<name>.md "
                                               f"with `.. automodule:: {obj.__name__}`)")
                    continue
                rows.append((f"``vf.{name}``", "module", f":doc:`{obj.__name__} </{doc}>` — {_summary(obj)}"))
                continue
            home = None
            for mod in pages:
                m = sys.modules.get(mod) or importlib.import_module(mod)
                listed = getattr(m, "__all__", None)
                if getattr(m, name, None) is obj and (listed is None and getattr(obj, "__module__", "") == mod
                                                      or listed is not None and name in listed):
                    home = f"{mod}.{name}"
                    break
            if home is None:
                self.warning_missing(name, "no API page documents it (export it from a documented subpackage)")
                continue
            kind = "class" if inspect.isclass(obj) else "function" if callable(obj) else "data"
            rows.append((f":py:obj:`vf.{name} <{home}>`", kind, _summary(obj)))
        text = [".. list-table::", "   :header-rows: 1", "   :widths: 20 10 70", "",
                "   * - name", "     - kind", "     - what it is"]
        for a, b, c in rows:
            text += [f"   * - {a}", f"     - {b}", f"     - {c}"]
        return self.parse_text_to_nodes("\n".join(text))

    def warning_missing(self, name: str, why: str) -> None:
        logger.warning(f"verify.__all__ names {name!r} but {why}", location=self.get_location())


def setup(app):
    app.connect("autodoc-process-docstring", _plain_math_docstring)
    app.add_directive("verify-namespace", VerifyNamespace)
    return {"parallel_read_safe": True}
