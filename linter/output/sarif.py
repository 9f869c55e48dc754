"""SARIF 2.1.0: one run, the metadata of every check and requirement, the findings as
results, parse diagnostics as tool execution notifications. Deterministic: identical input
gives byte-identical output (no timestamps, sorted keys). With `include_suppressed`
(`--sarif-include-suppressed`) the findings inline directives suppress are results too, each
with `suppressions: [{"kind": "inSource", "justification": ..., "location": ...}]`, and every
other result carries `suppressions: []` (SARIF: evaluated, not suppressed)."""

from __future__ import annotations

import json
from urllib.parse import quote

from .. import __version__, files
from ..findings import Finding, Report, Suppression

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/fwlint/fwlint"
_LEVEL = {"error": "error", "warning": "warning", "note": "note"}
# GitHub code scanning reads security-severity (0.0-10.0) for results tagged `security`
_SECURITY_SEVERITY = {"error": "8.0", "warning": "5.5", "note": "2.0"}


def artifact_location(path: str) -> dict:
    """A finding's file as SARIF wants it: a percent-encoded URI reference relative to
    %SRCROOT% (the repository root; paths in findings are already root-relative), or an
    absolute file URI for a file named outside the root."""
    raw = path.encode("utf-8", "surrogateescape")
    if path.startswith("/"):
        return {"uri": "file://" + quote(raw, safe="/")}
    return {"uri": quote(raw, safe="/"), "uriBaseId": "%SRCROOT%"}


def _region(origin) -> dict:
    col = max(1, origin.column)
    end = col + max(1, len(origin.text.strip())) if origin.text else col + 1
    return {"startLine": max(1, origin.line), "startColumn": col, "endLine": max(1, origin.line), "endColumn": end}


def _location(origin, message: str | None = None) -> dict:
    loc = {"physicalLocation": {"artifactLocation": artifact_location(origin.path),
                                "region": _region(origin)}}
    if message:
        loc["message"] = {"text": message}
    return loc


def _rules(report: Report) -> list[dict]:
    from ..checks import CHECKS, doc_sections

    rules = []
    for c in CHECKS:
        sections = doc_sections(c)
        help_md = "\n\n".join(f"## {k}\n{v}" for k, v in sections.items())
        rules.append({
            "id": c.ID, "name": c.NAME,
            "shortDescription": {"text": c.SUMMARY},
            "fullDescription": {"text": sections.get("What it does", c.SUMMARY).replace("\n", " ")},
            "help": {"text": help_md, "markdown": help_md},
            "helpUri": f"{INFO_URI}/blob/main/docs/checks/{c.ID}.md",
            "defaultConfiguration": {"level": _LEVEL[c.SEVERITY]},
            "properties": {"tags": list(c.TAGS), "security-severity": _SECURITY_SEVERITY[c.SEVERITY]},
        })
    seen = set()
    for pack in _packs(report):
        for r in pack.requirements:
            if r.id in seen:
                continue
            seen.add(r.id)
            explain = dict(r.explain)
            help_md = f"{r.message}\n\n" + (f"## Why\n{explain['why']}\n\n" if explain.get("why") else "") \
                + (f"## Source\n{r.source}\n{r.url}\n" if r.source else "")
            rules.append({
                "id": r.id, "name": r.title.replace(" ", "-").lower(),
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": r.message},
                "help": {"text": help_md, "markdown": help_md},
                "helpUri": (f"{INFO_URI}/blob/main/docs/requirements/{r.id}.md" if _builtin(pack)
                            else r.url or INFO_URI),
                "defaultConfiguration": {"level": _LEVEL[r.severity]},
                "properties": {"tags": ["security", "requirement", pack.id],
                               "security-severity": _SECURITY_SEVERITY[r.severity]},
            })
    return rules


def _builtin(pack) -> bool:
    from ..policy import builtin_packs

    return pack.id in builtin_packs() and pack.path == str(builtin_packs()[pack.id])


def _packs(report: Report):
    """The packs evaluated, and the built-in ones (every EX id is described)."""
    from ..policy import builtin_packs, load_pack

    names = list(report.policies) + [n for n in builtin_packs() if n not in report.policies]
    out = []
    for n in names:
        try:
            out.append(load_pack(n))
        except Exception:  # noqa: BLE001 - a pack that cannot be read has no metadata to give
            continue
    return out


def _suppressions(s: Suppression) -> list[dict]:
    return [{"kind": s.kind, "justification": s.justification, "location": _location(s.origin)}]


def _result(f: Finding, index: dict[str, int]) -> dict:
    res = {
        "ruleId": f.id,
        "level": _LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [_location(f.origin)],
        "partialFingerprints": {"fwlint/v1": f.fingerprint},
        "properties": {"approximate": f.approximate},
    }
    if f.id in index:
        res["ruleIndex"] = index[f.id]
    # a grouped finding (FW007 notes about one construct in one file) is one result at its
    # first place; the other places are related locations, each with its own message (SARIF
    # 3.27.12: several `locations` only where every one of them must change)
    related = f.related + f.places[1:]
    if related:
        res["relatedLocations"] = [dict(_location(r.origin, r.message), id=i) for i, r in enumerate(related)]
    if f.places:
        res["properties"]["occurrences"] = f.occurrences
    if f.witness is not None:
        res["properties"]["witness"] = f.witness.to_json()
    return res


def render(report: Report, verbose: bool = False, include_suppressed: bool = False) -> str:
    rules = _rules(report)
    index = {r["id"]: i for i, r in enumerate(rules)}
    notifications = [{
        "level": "error" if d.severity == "error" else "warning" if d.severity == "warning" else "note",
        "message": {"text": f"{d.code}: {d.message}"},
        "locations": [_location(d.origin)],
        "descriptor": {"id": d.code},
    } for d in report.diagnostics]
    errors = [{"level": "error", "message": {"text": e}, "descriptor": {"id": "input"}} for e in report.errors]
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "fwlint", "version": __version__, "semanticVersion": __version__,
                                "informationUri": INFO_URI, "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": files.current().root.as_uri() + "/"}},
            # a file that could not or may not be read: the run did not do all it was asked
            "invocations": [{"executionSuccessful": not report.errors,
                             "toolExecutionNotifications": notifications + errors}],
            "results": _results(report, index, include_suppressed),
            "properties": {"policies": list(report.policies), "notChecked": list(report.not_checked)},
        }],
    }
    return json.dumps(log, indent=2, sort_keys=True) + "\n"


def _results(report: Report, index: dict[str, int], include_suppressed: bool) -> list[dict]:
    if not include_suppressed:
        return [_result(f, index) for f in report.findings]
    both = [(f, None) for f in report.findings] + list(report.suppressed)
    both.sort(key=lambda fs: (fs[0].sort_key(), fs[1] is not None))
    return [dict(_result(f, index), suppressions=_suppressions(s) if s is not None else []) for f, s in both]
