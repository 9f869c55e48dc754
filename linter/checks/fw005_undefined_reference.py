"""FW005 undefined reference: a jump to a chain (or a name) that is never defined.

## What it does
Finds rules that jump or go to a chain that the configuration never declares, and other
references to names that do not exist (object groups, macros, tables, ACLs, on the
platforms that have them).

## Why is this bad?
iptables-restore refuses the whole table when a rule jumps to a missing chain, so the
firewall keeps running its previous rules (or none). On other platforms an undefined name
silently matches nothing or everything. Either way the configuration in git is not what runs.

## Example
```
:INPUT DROP [0:0]
-A INPUT -p tcp --dport 22 -j SSH_ALLOWED
COMMIT
```

## Use instead
```
:INPUT DROP [0:0]
:SSH_ALLOWED - [0:0]
-A INPUT -p tcp --dport 22 -j SSH_ALLOWED
-A SSH_ALLOWED -s 192.0.2.0/24 -j ACCEPT
COMMIT
```

## References
- iptables-restore(8): a table is committed only when all its rules are valid.
"""

from __future__ import annotations

from typing import Iterator

from ..findings import Result
from ._util import shown, rule_ref

ID = "FW005"
NAME = "undefined-reference"
SEVERITY = "error"
SUMMARY = "Reference to a chain, object or name that is never defined"
TAGS = ("correctness",)


def check(ctx) -> Iterator[Result]:
    dev = ctx.device
    reported = set()
    # (Device.filter's lookup, once: a scan of thousands of chains per jump is quadratic)
    by_table = {(g.table, g.name) for g in dev.filters}
    by_name = {g.name for g in dev.filters}
    for f in dev.filters:
        for rule in f.rules:
            if rule.action.kind in ("jump", "goto") and rule.action.target:
                if ((f.table, rule.action.target) not in by_table if f.table else rule.action.target not in by_name):
                    reported.add((rule.origin.path, rule.origin.line))
                    yield Result(rule.origin,
                                 f"{rule_ref(f, rule)} {'jumps' if rule.action.kind == 'jump' else 'goes'} "
                                 f"to chain {shown(rule.action.target)}, which is never declared"
                                 + (f" in table {f.table}" if f.table else ""),
                                 context=f.name)
    for d in dev.diagnostics:
        if d.code in ("undefined-reference", "undefined-macro", "undefined-table") \
                and (d.origin.path, d.origin.line) not in reported:
            yield Result(d.origin, d.message, context=d.construct)
