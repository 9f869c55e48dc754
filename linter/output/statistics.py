"""`--statistics`: how many findings of each id and severity, most frequent first (as
`ruff --statistics`), in text or JSON. A grouped finding (FW007 notes about one construct in
one file) counts once, as everywhere; JSON also gives the places they stand for."""

from __future__ import annotations

import json

from ..findings import SEVERITY_RANK, Report

FORMATS = ("text", "json")


def rows(report: Report) -> list[dict]:
    """One row per (id, severity): id, severity, name, count (findings), occurrences (places)."""
    counts: dict[tuple[str, str], list[int]] = {}
    for f in report.findings:
        c = counts.setdefault((f.id, f.severity), [0, 0])
        c[0] += 1
        c[1] += f.occurrences
    names = _names(report, {i for i, _ in counts})
    out = [{"id": i, "severity": sev, "name": names.get(i, ""), "count": n, "occurrences": places}
           for (i, sev), (n, places) in counts.items()]
    out.sort(key=lambda r: (-r["count"], r["id"], -SEVERITY_RANK[r["severity"]]))
    return out


def _names(report: Report, ids: set[str]) -> dict[str, str]:
    """Each id's name: a check's (`redundant-rule`), a requirement's title."""
    from ..checks import BY_ID

    names = {i: BY_ID[i].NAME for i in ids if i in BY_ID}
    wanted = ids - set(names)
    if wanted:
        from .sarif import _packs  # (the packs evaluated, then the built-in ones)

        for pack in _packs(report):
            for r in pack.requirements:
                if r.id in wanted:
                    names.setdefault(r.id, r.title)
    return names


def render(report: Report, fmt: str = "text", quiet: bool = False) -> str:
    table = rows(report)
    if fmt == "json":
        return json.dumps(table, indent=2) + "\n"
    width = max((len(str(r["count"])) for r in table), default=1)
    lines = [f"{r['count']:>{width}}  {r['id']:<6} {r['severity']:<7}  {r['name']}".rstrip() for r in table]
    if not quiet:
        n = sum(r["count"] for r in table)
        lines.append(f"{'Found' if n else 'No findings'}" + (f" {n} finding{'s' if n != 1 else ''}." if n else "."))
    return "\n".join(lines) + ("\n" if lines else "")
