"""docs/checks/ and docs/requirements/ hold one page per check and per requirement,
generated from their metadata (`python -m linter.docs_gen`): none missing, none stale."""

from __future__ import annotations

from linter.docs_gen import pages

from tests.shared import REPO

DOCS = REPO / "docs"


def test_reference_pages_are_present_and_current():
    want = pages()
    assert len([k for k in want if k.startswith("checks/")]) == 8
    assert len([k for k in want if k.startswith("requirements/")]) == 28
    problems = []
    for rel, text in want.items():
        p = DOCS / rel
        if not p.exists():
            problems.append(f"missing {rel}")
        elif p.read_text(encoding="utf-8") != text:
            problems.append(f"stale {rel}")
    extra = {f"{d}/{p.name}" for d in ("checks", "requirements") for p in (DOCS / d).glob("*.md")} - set(want)
    problems += [f"no longer generated: {e}" for e in sorted(extra)]
    assert not problems, "; ".join(problems) + " (run `python -m linter.docs_gen`)"
    for rel, text in want.items():
        if rel.startswith("checks/"):
            for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
                assert section in text, (rel, section)
