"""Execute every notebook in notebooks/ so they never rot (nbclient, fresh kernel), and check that each .ipynb has
the same cells as its jupytext percent script.

Every notebook is stored executed, with its outputs and figures, so that a browser (and the documentation site,
which renders the stored outputs) shows them: the pairing check compares cell types and sources only, stored
outputs must not contain an error, and a notebook that draws with matplotlib must carry its figures."""

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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_contain_no_error(path):
    """Outputs may be stored (figures for the browser), but never a traceback of a failed run."""
    nb = nbformat.read(path, as_version=4)
    errors = [o.get("ename") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert not errors, f"{path.name} is stored with errors {errors}: re-execute it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_stored_executed_with_their_figures(path):
    """Every code cell has run (an execution count), and a notebook that imports matplotlib stores ≥ 1 figure."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    hint = "run it with nbclient from notebooks/ (without MPLBACKEND=Agg, so that figures are kept)"
    assert all(c.get("execution_count") for c in code), f"{path.name} has cells that were not executed: {hint}"
    if any("matplotlib" in c.source for c in code):
        images = sum(1 for c in code for o in c.get("outputs", []) if "image/png" in o.get("data", {}))
        assert images >= 1, f"{path.name} draws figures but stores none: {hint}"
