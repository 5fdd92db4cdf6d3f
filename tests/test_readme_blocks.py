"""Each README ```python block runs on its own in a fresh interpreter (issue 16): a block that needs an import an
earlier block made, or a module ``import verify`` does not load (``vf.homogeneous``), fails here, where the
one-process README test (tests/test_readme.py) would hide it."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).parent.parent
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


def _first_line(code: str) -> str:
    return next((line for line in code.splitlines() if line.strip() and not line.startswith("#")), "")[:60]


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(BLOCKS)), ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_each_readme_block_runs_alone_in_a_fresh_interpreter(index, tmp_path):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    r = subprocess.run([sys.executable, "-c", BLOCKS[index]], cwd=tmp_path, capture_output=True, text=True,
                       timeout=300, env=env)
    assert r.returncode == 0, (f"README python block {index} ({_first_line(BLOCKS[index])!r}) fails when run alone:\n"
                               + r.stderr[-3000:])


def test_the_readme_has_python_blocks():
    assert len(BLOCKS) >= 1
