"""GitHub Actions workflow commands: one `::error|warning|notice ...::message` line per
finding, so that findings appear as annotations on the pull request."""

from __future__ import annotations

from ..findings import Report

_LEVEL = {"error": "error", "warning": "warning", "note": "notice"}


def _data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(s: str) -> str:
    return _data(s).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, verbose: bool = False) -> str:
    lines = []
    for f in report.findings:
        o = f.origin
        props = (f"file={_prop(o.path)},line={max(1, o.line)},col={max(1, o.column)},"
                 f"endLine={max(1, o.line)},title={_prop('fwlint ' + f.id)}")
        msg = f.message + (f" Witness: {f.witness}." if f.witness is not None else "")
        lines.append(f"::{_LEVEL[f.severity]} {props}::{_data(msg)}")
    for d in report.diagnostics:
        if d.severity == "note":
            continue
        o = d.origin
        lines.append(f"::{_LEVEL[d.severity]} file={_prop(o.path)},line={max(1, o.line)},"
                     f"col={max(1, o.column)},title={_prop('fwlint ' + d.code)}::{_data(d.message)}")
    for e in report.errors:
        lines.append(f"::error title=fwlint::{_data(e)}")
    return "\n".join(lines) + ("\n" if lines else "")
