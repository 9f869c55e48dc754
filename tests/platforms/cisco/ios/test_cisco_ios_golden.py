"""Golden normalized models of every Cisco IOS file of the corpus (regenerate with
FWLINT_UPDATE_GOLDEN=1). Files under Apache, BSD, ISC or MIT are stored as full JSON; the
others as a digest (sha256 of the same JSON and a summary), so no text of theirs is copied."""

from __future__ import annotations

import collections
import hashlib
import json

from linter import model as m
from linter.platforms.cisco import ios as cisco_ios
from linter.serialize import device_json

from tests.golden_util import GOLDEN, check_golden
from tests.shared import PERMISSIVE, corpus_licences, corpus_root


def _summary(d: m.Device) -> dict:
    return {
        "name": d.name,
        "filters": len(d.filters),
        "rules": sum(len(f.rules) for f in d.filters),
        "bindings": len(d.bindings),
        "interfaces": len(d.interfaces),
        "alterations": len(d.alterations),
        "stats": [[s.lines_read, s.lines_understood] for s in d.stats],
        "diagnostics": dict(sorted(collections.Counter(f"{x.severity}:{x.code}:{x.construct}"
                                                       for x in d.diagnostics).items())),
    }


def test_cisco_ios_corpus_golden(request) -> None:
    root, whole = corpus_root("cisco-ios")
    licences = corpus_licences("cisco-ios")
    seen = set()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        # named by its place in the corpus, whatever directory ../shared is in
        device = cisco_ios.parse("cisco-ios/" + rel, path.read_bytes())
        text = device_json(device) + "\n"
        name = rel.replace("/", "__") + ".json"
        seen.add(name)
        licence = licences.get(rel, "")
        if PERMISSIVE.match(licence):
            check_golden(GOLDEN / "cisco-ios" / name, text, request)
        else:
            digest = {"path": "cisco-ios/" + rel, "licence": licence or "unknown",
                      "sha256": hashlib.sha256(text.encode()).hexdigest(), "summary": _summary(device)}
            check_golden(GOLDEN / "cisco-ios" / name, json.dumps(digest, indent=1, sort_keys=True) + "\n", request)
    if not whole:
        return  # a fresh clone: the permissively licensed files of tests/data only
    stale = {p.name for p in (GOLDEN / "cisco-ios").glob("*.json")} - seen
    assert not stale, f"golden files without a corpus file: {sorted(stale)}"
    assert len(seen) == 48
