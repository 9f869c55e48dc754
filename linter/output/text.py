"""Plain text: findings grouped by file, `path:line:col: severity ID message`."""

from __future__ import annotations

from itertools import groupby

from ..findings import Report


SHOWN_PLACES = 5  # lines of a grouped finding named in text output (-v: 20)


def _places(f, shown: int) -> str:
    """A grouped finding's lines: the first few, and how many more (JSON and SARIF list all)."""
    nums = [str(p.origin.line) for p in f.places]
    more = len(nums) - shown
    listed = ", ".join(nums[:shown])
    return f"{len(nums):,} lines: {listed}" + (f" and {more:,} more (every line: --format json)" if more > 0 else "")


def render(report: Report, verbose: bool = False, quiet: bool = False, hidden: dict[str, int] | None = None) -> str:
    """`quiet`: the findings alone (no errors, policy notes or summary: those go to stderr or
    nowhere). `hidden`: how many findings of each severity --show-severity leaves out (the
    summary counts them, marked "not shown")."""
    lines: list[str] = []
    for path, group in groupby(report.findings, key=lambda f: f.origin.path):
        for f in group:
            o = f.origin
            approx = " [approximate]" if f.approximate else ""
            lines.append(f"{path}:{o.line}:{o.column}: {f.severity} {f.id} {f.message}{approx}")
            if f.places:
                lines.append(f"    {_places(f, 20 if verbose else SHOWN_PLACES)}")
            if f.witness is not None:
                lines.append(f"    witness: {f.witness}")
            for r in f.related[: (10 if verbose else 3)]:
                lines.append(f"    {r.origin.path}:{r.origin.line}: {r.message}")
        lines.append("")
    if quiet:
        return "\n".join(lines).strip("\n") + ("\n" if lines and any(lines) else "")
    for e in report.errors:
        lines.append(f"error: {e}")
    if report.policies:
        lines.append(f"policy: {', '.join(report.policies)}; "
                     f"{len(report.not_checked)} flow{'s' if len(report.not_checked) != 1 else ''} not checked")
        for note in report.notes:
            lines.append(f"  note: {note}")
        for nc in report.not_checked:
            lines.append(f"  not checked: {nc['requirement']} {nc['flow']}: {nc['reason']}")
    counts = report.counts()
    nfiles = len({s.path for d in report.devices for s in d.stats}) or len(report.devices)
    rules = sum(len(f.rules) for d in report.devices for f in d.filters)
    read = sum(s.lines_read for d in report.devices for s in d.stats)
    understood = sum(s.lines_understood for d in report.devices for s in d.stats)
    hidden = hidden or {}
    parts = [f"{counts[s] + hidden.get(s, 0)} {s}{'s' if counts[s] + hidden.get(s, 0) != 1 else ''}"
             + (" (not shown)" if hidden.get(s) else "") for s in ("error", "warning", "note")]
    if report.suppressed:
        parts.append(f"{len(report.suppressed)} suppressed")
    lines.append(f"{', '.join(parts)} in {nfiles} file{'s' if nfiles != 1 else ''} "
                 f"({rules} rules; {understood} of {read} lines understood)")
    return "\n".join(lines).lstrip("\n") + "\n"
