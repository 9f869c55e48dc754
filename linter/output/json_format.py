"""JSON: `{"findings": [...], "suppressed": [...], "diagnostics": [...], "summary": {...}}`, stable
key order. `suppressed` holds the findings inline directives suppress, each with its
`suppression` (kind, justification, location of the directive); they are not counted in
`summary.findings` (`summary.suppressed` counts them). A grouped finding (FW007 notes about
one construct in one file) has `location` (its first place), `occurrences` and `locations`
(every place, each with its own `message`)."""

from __future__ import annotations

import json

from ..findings import Finding, Report


def finding_data(f: Finding) -> dict:
    out = {
        "id": f.id,
        "severity": f.severity,
        "message": f.message,
        "location": {"path": f.origin.path, "line": f.origin.line, "column": f.origin.column,
                     "text": f.origin.text},
        "related": [{"path": r.origin.path, "line": r.origin.line, "column": r.origin.column,
                     "message": r.message} for r in f.related],
        "approximate": f.approximate,
        "fingerprint": f.fingerprint,
    }
    if f.places:  # a grouped finding: every place, the first included, with its own message
        out["occurrences"] = f.occurrences
        out["locations"] = [{"path": p.origin.path, "line": p.origin.line, "column": p.origin.column,
                             "text": p.origin.text, "message": p.message} for p in f.places]
    if f.witness is not None:
        out["witness"] = f.witness.to_json()
    return out


def summary(report: Report) -> dict:
    return {
        "files": sorted({s.path for d in report.devices for s in d.stats}),
        "devices": len(report.devices),
        "rules": sum(len(f.rules) for d in report.devices for f in d.filters),
        "lines_read": sum(s.lines_read for d in report.devices for s in d.stats),
        "lines_understood": sum(s.lines_understood for d in report.devices for s in d.stats),
        "findings": report.counts(),
        "suppressed": len(report.suppressed),
        "diagnostics": len(report.diagnostics),
        "errors": list(report.errors),
        "policies": list(report.policies),
        "not_checked": list(report.not_checked),
        "notes": list(report.notes),
    }


def render(report: Report, verbose: bool = False) -> str:
    data = {
        "findings": [finding_data(f) for f in report.findings],
        "suppressed": [dict(finding_data(f), suppression={
            "kind": s.kind, "justification": s.justification,
            "location": {"path": s.origin.path, "line": s.origin.line, "column": s.origin.column,
                         "text": s.origin.text}}) for f, s in report.suppressed],
        "diagnostics": [{"path": d.origin.path, "line": d.origin.line, "column": d.origin.column,
                         "text": d.origin.text, "severity": d.severity, "code": d.code,
                         "construct": d.construct, "message": d.message} for d in report.diagnostics],
        "summary": summary(report),
    }
    return json.dumps(data, indent=2) + "\n"
