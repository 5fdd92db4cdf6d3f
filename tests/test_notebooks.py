"""Execute every notebook in notebooks/ so they never rot (nbclient, fresh kernel), and check that each .ipynb has
the same cells as its jupytext percent script.

A notebook may be stored with its outputs (the real-data notebooks 07–09 are, so that a browser shows their
figures): the pairing check compares cell types and sources only, and stored outputs must not contain an error."""

from __future__ import annotations

import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
#: notebooks stored executed (outputs and figures kept in the .ipynb)
STORED_WITH_FIGURES = ("07_real_data_gd_map.ipynb", "08_real_data_local_pl.ipynb", "09_real_data_neuron_pursuit.ipynb")


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


@pytest.mark.parametrize("name", STORED_WITH_FIGURES)
def test_real_data_notebooks_are_stored_with_their_figures(name):
    path = NOTEBOOKS[0].parent / name
    assert path.exists()
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    images = sum(1 for c in code for o in c.get("outputs", []) if "image/png" in o.get("data", {}))
    assert images >= 2, (f"{name} should be stored executed with its figures: run it with nbclient (or "
                         "`jupytext --to ipynb --execute`) from notebooks/")
    assert all(c.get("execution_count") for c in code), f"{name} has cells that were not executed"
