"""The theory pages (docs/theory/) are the project's own statement of what it checks: every citation of a
page — ``docs/theory/local_pl.md §2.2``, ``… §6 claim 8``, ``… §6, C13`` — in the code, the tests, the
notebooks, the README and the proof checks' ``reference`` fields must name a page and a section (or claim)
that exists, every relative link of the documentation must resolve, and nothing may cite a path outside the
repository (issue 16)."""

from __future__ import annotations

import importlib
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).parent.parent
THEORY = ROOT / "docs" / "theory"
PAGES = sorted(THEORY.glob("*.md"))

CITE = re.compile(r"docs/theory/(\w+)\.md`{0,2}([^\n)\"'—;]{0,100})")
#: inside docs/theory/: a relative link to a sibling page, e.g. "[the PL page](<stem>.md) §2.2"
SIBLING = re.compile(r"\]\((\w+)\.md\)([^\n)\"'—;]{0,100})")
SECTION = re.compile(r"§\s?(\d+(?:\.\d+)?)(?:\s?[–-]\s?(\d+(?:\.\d+)?))?")
CLAIM = re.compile(r"\bclaims?\s+(\d+)(?:\s?[–-]\s?(\d+))?(?:\s+and\s+(\d+))?")
CLAIM_ID = re.compile(r"\bC(\d+)(?:\s?[–-]\s?C(\d+))?\b")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _sources():
    files = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    for folder in ("verify", "proofs_checks", "tests", "notebooks", "benchmarks"):
        files += sorted((ROOT / folder).rglob("*.py"))
    return [f for f in files if f.is_file()]


def _headings(page: pathlib.Path) -> list[str]:
    return [line.lstrip("#").strip() for line in page.read_text().splitlines() if line.startswith("#")]


def _has_section(heads, number: str) -> bool:
    # "2" matches "2. The claims"; "2.2" matches "2.2 Exceptional step sizes"
    pat = re.compile(rf"^{re.escape(number)}(\.|\s|$)")
    return any(pat.match(h) for h in heads)


def _has_claim(heads, number: str) -> bool:
    return any(re.match(rf"^(Claim {number}|C{number})\b", h) for h in heads)


def _problems(text: str, where: str, pattern: re.Pattern = CITE) -> list[str]:
    out = []
    for m in pattern.finditer(text):
        page = THEORY / f"{m.group(1)}.md"
        if not page.exists():
            out.append(f"{where}: {m.group(0)!r} names a page that does not exist")
            continue
        heads = _headings(page)
        tail = m.group(2).split(". ")[0]
        for sm in SECTION.finditer(tail):
            for num in filter(None, sm.groups()):
                if not _has_section(heads, num):
                    out.append(f"{where}: {m.group(0)!r}: {page.name} has no section {num}")
        for cm in [*CLAIM.finditer(tail), *CLAIM_ID.finditer(tail)]:
            for num in filter(None, cm.groups()):
                if not _has_claim(heads, num):
                    out.append(f"{where}: {m.group(0)!r}: {page.name} has no claim {num}")
    return out


def test_the_theory_pages_exist():
    names = {p.name for p in PAGES}
    stems = ("index", "gd_map", "local_pl", "gradient_flow", "homogeneous_np", "layers", "validated_numerics")
    assert {f"{stem}.md" for stem in stems} <= names
    index = (THEORY / "index.md").read_text()
    assert all(p.name in index for p in PAGES if p.name != "index.md")


def test_every_citation_of_a_theory_page_resolves():
    problems = []
    for f in _sources():
        if f != pathlib.Path(__file__):  # the checker's own negative examples below
            problems += _problems(f.read_text(errors="replace"), str(f.relative_to(ROOT)))
    for page in PAGES:  # the pages cite each other by relative links
        problems += _problems(page.read_text(), str(page.relative_to(ROOT)), SIBLING)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("module", ["gd_map", "local_pl", "gradient_flow", "homogeneous_np"])
def test_proof_check_references_resolve(module):
    checks = importlib.import_module(f"proofs_checks.{module}").CHECKS
    problems = []
    for c in checks:
        if "docs/theory/" in c.reference:
            problems += _problems(c.reference, f"{module}:{c.name}")
    assert not problems, "\n".join(problems)


def test_citation_checker_can_fail():
    assert _problems("see docs/theory/local_pl.md §2.2 and §6 claim 8", "x") == []
    assert _problems("docs/theory/homogeneous_np.md §6, C13", "x") == []
    assert _problems("docs/theory/local_pl.md §9.9", "x")
    assert _problems("docs/theory/local_pl.md §6 claim 99", "x")
    assert _problems("docs/theory/homogeneous_np.md §6, C99", "x")
    assert _problems("docs/theory/nonexistent.md §1", "x")
    link = "[page]({}.md)".format
    assert _problems(f"see {link('local_pl')} §7.1", "x", SIBLING)
    assert _problems(f"{link('gd_map')} §2.1) and more", "x", SIBLING) == []


def test_relative_links_in_the_documentation_resolve():
    problems = []
    for f in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        for m in LINK.finditer(f.read_text()):
            target = m.group(1)
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (f.parent / target).exists():
                problems.append(f"{f.relative_to(ROOT)}: link {target!r} does not resolve")
    assert not problems, "\n".join(problems)


def test_nothing_cites_a_path_outside_the_repository():
    """No file of verify/, docs/, notebooks/ or the README cites the theory folder or the design notes that lived
    outside the repository (issue 16, "Done means")."""
    bad = re.compile("shared" + r"/(theory|DESIGN)|DESIGN\.md")
    files = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    for folder in ("verify", "notebooks"):
        files += sorted(p for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".ipynb", ".md"))
    hits = [f"{f.relative_to(ROOT)}:{i}" for f in files
            for i, line in enumerate(f.read_text(errors="replace").splitlines(), 1) if bad.search(line)]
    assert not hits, hits
