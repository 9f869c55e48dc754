"""FW007 construct not understood or modelled only approximately.

## What it does
Reports every line fwlint could not read (a syntax it does not know, an unknown match or
target) as a warning, and every construct it reads but can only approximate (rate limits,
ipsets whose members are not in the repository, time windows, owner matches, userspace
queues) as a note. Findings of other checks that rest on such a construct say so.

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

from typing import Iterator

from ..findings import Result

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
        yield Result(d.origin, d.message, severity=sev, approximate=d.severity == "note",
                     context=d.construct or d.code)
