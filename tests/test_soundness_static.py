"""Static guard of the soundness rules (docs/soundness.md): the library's source must not contain the
patterns through which false certificates got in before.

* ``nsimplify`` — rounds with a tolerance (1e−15): a value just above a threshold became the threshold;
* ``limit_denominator`` — rounds: a step size below a certified bound became 0 (a vacuous PROVED);
* ``float(<ball>.upper())`` / ``float(<ball>.lower())`` — two endpoints that round to the same double
  picked the wrong eigenvalue ball, and ``float(abs(e).lower()) >= 1`` gave a false REFUTED.

A line may opt out with the marker ``# not-a-decision: <reason>`` (on it or on the line above) when the value
only feeds a message, a plot, a random sample or a float starting guess — the reason is read in review.
Also: every exception raised by the library is a ``verify.errors`` class (no builtin ``ValueError``,
``TypeError``, ``ArithmeticError`` … raised to users), and every exception class lives in ``verify/errors.py``.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "verify"
FILES = sorted(p for p in ROOT.rglob("*.py"))
MARKER = "# not-a-decision:"
BUILTIN_ERRORS = {"ValueError", "TypeError", "ArithmeticError", "RuntimeError", "KeyError", "OverflowError",
                  "ZeroDivisionError", "Exception", "IndexError", "AssertionError"}


def _lines(path):
    return path.read_text(encoding="utf-8").splitlines()


def _opted_out(lines, node) -> bool:
    end = getattr(node, "end_lineno", node.lineno)
    # the marker on the node's lines or on the line just above it
    return any(MARKER in lines[i - 1] for i in range(max(1, node.lineno - 1), end + 1))


def _calls_endpoint(node) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr in ("upper", "lower"):
            return True
    return False


def _violations(path):
    lines = _lines(path)
    tree = ast.parse("\n".join(lines), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("nsimplify", "limit_denominator"):
            if not _opted_out(lines, node):
                out.append((node.lineno, node.attr))
        elif isinstance(node, ast.Name) and node.id == "nsimplify":
            if not _opted_out(lines, node):
                out.append((node.lineno, "nsimplify"))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float"
              and node.args and _calls_endpoint(node.args[0])):
            if not _opted_out(lines, node):
                out.append((node.lineno, "float(<endpoint>)"))
    return sorted(out)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_rounding_in_decisions(path):
    bad = _violations(path)
    assert not bad, (f"{path.relative_to(ROOT.parent)}: patterns that can turn a rounding into a false certificate "
                     f"(use verify.arith.decide, or mark a display-only line with '{MARKER} <reason>'): {bad}")


def _raised_builtins(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id in BUILTIN_ERRORS:
                out.append((node.lineno, exc.id))
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_verify_errors_are_raised(path):
    bad = _raised_builtins(path)
    assert not bad, f"{path.relative_to(ROOT.parent)} raises builtin exceptions (use verify.errors): {bad}"


def test_exception_classes_live_in_errors_module():
    bad = []
    for path in FILES:
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                    (isinstance(b, ast.Name) and (b.id.endswith("Error") or b.id in ("Exception", "BaseException")))
                    or (isinstance(b, ast.Attribute) and b.attr.endswith("Error")) for b in node.bases):
                bad.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} class {node.name}")
    assert not bad, f"exception classes outside verify/errors.py: {bad}"


def test_the_guard_catches_the_old_patterns(tmp_path):
    """The scanner itself must fire on the patterns of the bugs it guards against."""
    src = tmp_path / "bad.py"
    src.write_text("import sympy as sp\n"
                   "top = max(eigs, key=lambda b: float(b.upper()))\n"
                   "v = sp.nsimplify(x)\n"
                   "eta = q.limit_denominator(10**6)\n"
                   "ok = float(b.upper())  # not-a-decision: message only\n"
                   "raise ArithmeticError('x')\n", encoding="utf-8")
    assert [k for _, k in _violations(src)] == ["float(<endpoint>)", "nsimplify", "limit_denominator"]
    assert _raised_builtins(src) == [(6, "ArithmeticError")]
