"""Execute every notebook in notebooks/ so they never rot (nbclient, fresh kernel)."""

from __future__ import annotations

import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_paired_with_its_percent_script(path):
    """Each notebook has a jupytext ``py:percent`` twin with the same cells (readable diffs)."""
    import jupytext

    script = path.with_suffix(".py")
    assert script.exists(), f"{script.name} missing: run `jupytext --set-formats ipynb,py:percent {path}`"
    a = [(c.cell_type, c.source.strip()) for c in nbformat.read(path, as_version=4).cells]
    b = [(c.cell_type, c.source.strip()) for c in jupytext.read(script).cells]
    assert a == b, f"{path.name} and {script.name} differ: run `jupytext --sync {script}`"
