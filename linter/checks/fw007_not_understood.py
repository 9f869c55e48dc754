"""FW007 construct not understood or modelled only approximately.

## What it does
Reports every line fwlint could not read (a syntax it does not know, an unknown match or
target) as a warning, and every construct it reads but can only approximate (rate limits,
ipsets whose members are not in the repository, time windows, owner matches, userspace
queues) as a note. Findings of other checks that rest on such a construct say so.

Notes about one construct repeated in one file (a `-m mac` match on 1,900 rules) are one
finding at the first line, with every line: its message says how many more lines there are,
text output lists the first few lines, JSON lists every place under `locations` (each with
its own message), SARIF keeps one result whose other places are `relatedLocations`. Lines
that are not read (warnings, errors) are each a finding of their own. An inline
`fwlint: disable=FW007` covers its own line only: that line is suppressed and the others
stay grouped (`disable-file=FW007` silences the file). A baseline holds the group as one
entry (`every line with `mac``): lines of that construct added later are part of it.

## Why is this bad?
A linter that skips what it does not understand would call a ruleset clean when it is not.
fwlint never drops input silently: each such line is listed, so that you know which parts
of the answer are exact and which are bounds.

Some lines are errors, not approximations: a configuration the platform itself would refuse
(an iptables jump loop, which `iptables-restore` rejects) or input past one of fwlint's
bounds (`expansion-limit`, `nesting-limit`: a macro or list that expands past the limit,
anchors or object-groups nested too deep; see SECURITY.md). These are reported as errors at
the line that closes the loop or crosses the bound, and the rest of the file is analysed.

## Example
```
-A INPUT -p tcp --dport 22 -m recent --update --seconds 60 --hitcount 4 -j DROP
```

## Use instead
Nothing needs to change in the firewall. Keep the construct if it is what you mean; fwlint
evaluates both ways (it may match, it may not) and marks answers that depend on it.
Suppress the note where it is expected.

## References
- fwlint's support table (README): each match and target, exact, approximated or unsupported.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, Iterator

from ..findings import Finding, Related, Result, fingerprint, group_text
from ..model import Origin

ID = "FW007"
NAME = "not-understood"
SEVERITY = "warning"
SUMMARY = "Construct not understood, or modelled only approximately"
TAGS = ("coverage",)

# the platform refuses such a configuration, or fwlint refused to expand it (linter/limits.py):
# an error, whatever the parser's severity
ERROR_CODES = frozenset({"jump-loop", "expansion-limit", "nesting-limit"})
# reported by FW005 / FW006
_SKIP = {"undefined-reference", "undefined-macro", "undefined-table", "unused", "unused-macro", "unused-table"}


def check(ctx) -> Iterator[Result]:
    for d in ctx.device.diagnostics:
        if d.code in _SKIP:
            continue
        sev = "error" if d.code in ERROR_CODES else "note" if d.severity == "note" else "warning"
        approximation = sev == "note"
        yield Result(d.origin, d.message, severity=sev, approximate=approximation,
                     context=d.construct or d.code,
                     # notes about one construct (`mac`, `limit`, `dscp`) are one finding per
                     # file; lines not read (warnings, errors) each stay a finding of their own
                     group=(d.construct or d.code) if approximation else "")


def grouped(findings: Iterable[Finding]) -> list[Finding]:
    """The findings with the FW007 notes about one construct in one file made one finding:
    at the first place, with every place (each with its own message) in `places`, the count
    in its message, and a fingerprint of the construct and file (not of a line: adding or
    removing one of its lines keeps the finding). A construct noted once stays as it is.
    Runs on the report after the inline suppressions (a directive covers its own line, so
    a suppressed line is no place of the group) and before baselines (whose entry of a
    grouped finding is the group: linter/baseline.py)."""
    out: list[Finding] = []
    groups: dict[tuple, list[Finding]] = {}
    for f in findings:
        if f.id != ID or not f.group or f.places:
            out.append(f)
        else:
            groups.setdefault((f.origin.path, f.group, f.severity), []).append(f)
    for members in groups.values():
        out.append(members[0] if len(members) == 1 else _one_finding(members))
    return out


def _one_finding(members: list[Finding]) -> Finding:
    members = sorted(members, key=Finding.sort_key)
    first = members[0]
    more = len(members) - 1
    return dataclasses.replace(
        first,
        message=f"{first.message} (and {more:,} more line{'s' if more != 1 else ''} with `{first.group}` "
                "in this file)",
        approximate=any(f.approximate for f in members),
        places=tuple(Related(f.origin, f.message) for f in members),
        fingerprint=fingerprint(ID, Origin(first.origin.path, 0, 0, group_text(first.group)), first.group),
    )
