"""Annotated test configurations for every FW check (semgrep style).

In tests/checks/cases/<platform>/*: `# expect: FW001` on the line before a line that must be
reported with FW001; `# ok: FW001` before one that must not. For every id a file mentions,
the check is also strict: a finding of that id on an unannotated line fails the test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from linter import api

HERE = Path(__file__).parent / "cases"
FILES = sorted(p for p in HERE.rglob("*") if p.is_file() and not p.name.endswith(".md"))
_DIRECTIVE = re.compile(r"^\s*(?:#|!)\s*(expect|ok):\s*([A-Z]+\d+(?:\s*,\s*[A-Z]+\d+)*)\s*$")


def annotations(path: Path) -> tuple[dict[int, set[str]], dict[int, set[str]]]:
    expect: dict[int, set[str]] = {}
    ok: dict[int, set[str]] = {}
    pending: list[tuple[str, set[str]]] = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        mt = _DIRECTIVE.match(line)
        if mt:
            pending.append((mt.group(1), {i.strip() for i in mt.group(2).split(",")}))
            continue
        if line.strip().startswith("#") or not line.strip():
            continue
        for kind, ids in pending:
            (expect if kind == "expect" else ok).setdefault(n, set()).update(ids)
        pending = []
    return expect, ok


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(HERE)) for p in FILES])
def test_annotated(path: Path) -> None:
    expect, ok = annotations(path)
    assert expect or ok, f"{path} has no annotations"
    report = api.lint([path], api.LintOptions(platform=path.parent.name))
    got: dict[int, set[str]] = {}
    for f in report.findings:
        got.setdefault(f.origin.line, set()).add(f.id)
    mentioned = {i for ids in (*expect.values(), *ok.values()) for i in ids}
    problems = []
    for line, ids in sorted(expect.items()):
        for i in sorted(ids - got.get(line, set())):
            problems.append(f"line {line}: expected {i}, not reported")
    for line, ids in sorted(ok.items()):
        for i in sorted(ids & got.get(line, set())):
            problems.append(f"line {line}: {i} reported but marked ok")
    for f in report.findings:
        if f.id in mentioned and f.id not in expect.get(f.origin.line, set()) \
                and f.id not in ok.get(f.origin.line, set()):
            problems.append(f"line {f.origin.line}: unexpected {f.id}: {f.message}")
    assert not problems, "\n".join(problems)
