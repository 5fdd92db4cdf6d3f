"""The documentation site (docs/, Sphinx + MyST-NB + autodoc/napoleon; issue 16).

* the site builds with warnings as errors (notebooks rendered without execution here: tests/test_notebooks.py
  executes them, and docs/build.sh executes them for the published site);
* the API reference lists every name of ``verify.__all__`` and documents it where the table links to;
* the Python examples of the user guide and the front page run, each page in a fresh interpreter;
* the docstring adaptation of docs/conf.py (plain-notation ``|x|`` and ``(n, *shape)``, misaligned simple tables)
  escapes what reST would misread and nothing else.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).parent.parent
DOCS = ROOT / "docs"
GUIDE_PAGES = sorted((DOCS / "guide").glob("*.md")) + [DOCS / "index.md"]
PY_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _need_sphinx():
    for mod in ("sphinx", "myst_nb", "furo"):
        pytest.importorskip(mod, reason=f"{mod} is not installed (pip install '.[docs]')")


def _conf():
    _need_sphinx()
    spec = importlib.util.spec_from_file_location("verify_docs_conf", DOCS / "conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return conf


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    _need_sphinx()
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, VERIFY_DOCS_EXECUTE="off", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-E", "-W", "--keep-going", "-q", "-b", "html",
                           "-d", str(out / "doctrees"), str(DOCS), str(out / "html")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"the docs build failed (warnings are errors):\n{proc.stderr[-6000:]}"
    return out / "html"


@pytest.mark.slow
def test_the_site_builds_without_warnings(site):
    for page in ("index", "guide/verdicts", "guide/claims", "soundness", "theory/index", "theory/local_pl",
                 "api/verify", "api/gdmap", "notebooks/00_core_models_and_arithmetic"):
        assert (site / f"{page}.html").is_file(), page


@pytest.mark.slow
def test_the_api_reference_documents_every_public_name(site):
    from sphinx.util.inventory import InventoryFile

    import verify

    with open(site / "objects.inv", "rb") as fh:
        inv = InventoryFile.load(fh, "", lambda base, uri: uri)
    documented = {name for entries in inv.values() for name in entries}
    modules = set(inv.get("py:module", {}))
    toplevel = (site / "api" / "verify.html").read_text()
    missing = []
    for name in verify.__all__:
        if f"vf.{name}" not in toplevel:
            missing.append(f"{name}: not in the table of api/verify")
            continue
        obj = getattr(verify, name)
        if name == "__version__":
            continue
        if inspect.ismodule(obj):
            if obj.__name__ not in modules:
                missing.append(f"{name}: module {obj.__name__} has no page")
            continue
        homes = [n for n in documented if n.rsplit(".", 1)[-1] == name and "." in n
                 and getattr(sys.modules.get(n.rsplit(".", 1)[0]), name, None) is obj]
        if not homes:
            missing.append(f"{name}: no API page documents {obj!r}")
    assert not missing, "\n".join(missing)


@pytest.mark.slow
@pytest.mark.parametrize("page", GUIDE_PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_the_python_examples_of_the_guide_run(page, tmp_path):
    blocks = PY_BLOCK.findall(page.read_text())
    if not blocks:
        pytest.skip(f"{page.name} has no python block")
    script = tmp_path / "example.py"
    script.write_text("\n\n".join(blocks))
    env = dict(os.environ, MPLBACKEND="Agg", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, f"{page.name}:\n{proc.stderr[-4000:]}"


def test_plain_notation_is_escaped_outside_literals():
    conf = _conf()
    line = conf._plain_math_line
    assert line("bound |x − fl(x)| ≤ u|x|") == r"bound \|x − fl(x)\| ≤ u\|x\|"
    assert line("shape (n, *input_shape) and (*kernel)") == r"shape (n, \*input_shape) and (\*kernel)"
    # emphasis, strong, literals, roles and already escaped bars are left alone
    for keep in ("per *site* here", "a **bold** word", "``|a|`` and ``(n, *s)``", ":func:`a|b`", r"\|x\|",
                 "x ** 2 and a*b"):
        assert line(keep) == keep, keep


def test_docstring_blocks_are_left_alone():
    conf = _conf()
    doc = ["Text |x|.", "", "Example::", "", "    a | b", "", ">>> abs(-1) | 0", "1", "", "| a line block",
           ".. code-block:: python", "", "    x = a | b", "", "After |y|."]
    lines = list(doc)
    conf._plain_math_docstring(None, "function", "f", None, {}, lines)
    assert lines[0] == r"Text \|x\|." and lines[-1] == r"After \|y\|."
    assert lines[1:-1] == doc[1:-1]


def test_misaligned_simple_tables_are_laid_out_again_and_aligned_ones_kept():
    conf = _conf()
    from docutils.core import publish_doctree

    bad = ["==  =====", "a   b", "==  =====", "abc |z|", "x   y", "==  ====="]
    lines = list(bad)
    conf._plain_math_docstring(None, "module", "m", None, {}, lines)
    assert lines[0].startswith("===  ") and r"\|z\|" in lines[3]
    tree = publish_doctree("\n".join(lines), settings_overrides={"report_level": 5, "halt_level": 5})
    assert not list(tree.findall(lambda n: n.tagname == "system_message"))
    assert [e.astext() for e in tree.findall(lambda n: n.tagname == "entry")] == ["a", "b", "abc", "|z|", "x", "y"]
    good = ["===  =====", "a    |z|", "===  ====="]
    lines = list(good)
    conf._plain_math_docstring(None, "module", "m", None, {}, lines)
    assert lines[0] == good[0] and lines[2] == good[2] and lines[1] == r"a    \|z\|"
