"""Golden normalized models of every pf file of the corpus (regenerate with
FWLINT_UPDATE_GOLDEN=1). Files under Apache, BSD, ISC or MIT are stored as full JSON; the
others as a digest (sha256 of the same JSON and a summary), so no text of theirs is copied."""

from __future__ import annotations

import collections
import hashlib
import json
from pathlib import Path

from linter import model as m
from linter.platforms import pf
from linter.serialize import device_json

from tests.golden_util import GOLDEN, check_golden
from tests.shared import PERMISSIVE, corpus_licences, corpus_root


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _summary(d: m.Device) -> dict:
    return {
        "filters": len(d.filters),
        "rules": sum(len(f.rules) for f in d.filters),
        "alterations": len(d.alterations),
        "stats": [[s.lines_read, s.lines_understood] for s in d.stats],
        "diagnostics": dict(sorted(collections.Counter(f"{x.severity}:{x.code}:{x.construct}"
                                                       for x in d.diagnostics).items())),
    }


def test_pf_corpus_golden(request) -> None:
    root, whole = corpus_root("pf")
    licences = corpus_licences("pf")
    seen = set()
    for path in _files(root):
        rel = path.relative_to(root).as_posix()
        # parsed where it is (includes and table files resolve next to it); the goldens name
        # it by its place in the corpus, whatever the directory ../shared is in
        device = pf.parse(str(path), path.read_bytes())
        text = device_json(device).replace(str(root.resolve()) + "/", "pf/").replace(str(root) + "/", "pf/") + "\n"
        name = rel.replace("/", "__") + ".json"
        seen.add(name)
        licence = licences.get(rel, "")
        if PERMISSIVE.match(licence):
            check_golden(GOLDEN / "pf" / name, text, request)
        else:
            digest = {"path": "pf/" + rel, "licence": licence or "unknown",
                      "sha256": hashlib.sha256(text.encode()).hexdigest(), "summary": _summary(device)}
            check_golden(GOLDEN / "pf" / name, json.dumps(digest, indent=1, sort_keys=True) + "\n", request)
    if not whole:
        return  # a fresh clone: the permissively licensed files of tests/data only
    stale = {p.name for p in (GOLDEN / "pf").glob("*.json")} - seen
    assert not stale, f"golden files without a corpus file: {sorted(stale)}"
    assert len(seen) > 100
