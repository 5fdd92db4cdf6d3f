"""The README's promises: its API example runs, and CI runs its test command."""

from __future__ import annotations

import contextlib
import io
import pathlib
import re

ROOT = pathlib.Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_starts_with_the_two_commands():
    first_block = re.search(r"```bash\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert len(first_block) == 2
    assert first_block[0].endswith("verify check")
    assert "pytest" in first_block[1]
    test_cmd = first_block[1].split("&&")[-1].strip().replace(".venv/bin/", "")
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_cmd.replace("python -m pytest", "") in ci and "pytest --run-slow" in ci


def test_readme_python_examples_run(tmp_path, monkeypatch):
    """Every ```python block runs (the first is the ten-line API example, which shows a PROVED verdict) and
    prints a certified verdict; files they write land in a temporary directory."""
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert len(blocks[0].strip().splitlines()) <= 12
    for i, code in enumerate(blocks):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), {})  # our own documentation, not user input
        text = out.getvalue()
        assert ("PROVED" in text) if i == 0 else ("PROVED" in text or "REFUTED" in text), code
