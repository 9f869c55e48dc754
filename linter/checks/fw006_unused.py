"""FW006 unused definition: a user chain (or object) that nothing refers to.

## What it does
Finds user-defined chains that no rule jumps or goes to, and, on platforms that have them,
objects, object groups, tables, macros and ACLs that are defined and never used.

## Why is this bad?
An unused chain is either dead weight or, worse, a rule set somebody believes is active:
the jump to it was removed or never written, so its rules protect nothing.

## Example
```
:INPUT DROP [0:0]
:SSH_ALLOWED - [0:0]
-A SSH_ALLOWED -s 192.0.2.0/24 -j ACCEPT
```

## Use instead
```
:INPUT DROP [0:0]
:SSH_ALLOWED - [0:0]
-A INPUT -p tcp --dport 22 -j SSH_ALLOWED
-A SSH_ALLOWED -s 192.0.2.0/24 -j ACCEPT
```

## References
- iptables(8): `-N` creates a user-defined chain; only `-j`/`-g` make it take part.
"""

from __future__ import annotations

from typing import Iterator

from ..findings import Result
from ..model import Origin

ID = "FW006"
NAME = "unused-definition"
SEVERITY = "warning"
SUMMARY = "User chain or object defined but never referenced"
TAGS = ("maintainability",)


def check(ctx) -> Iterator[Result]:
    dev = ctx.device
    referenced = set()
    for f in dev.filters:
        for rule in f.rules:
            if rule.action.kind in ("jump", "goto") and rule.action.target:
                referenced.add((f.table, rule.action.target))
    bound = {b.filter for b in dev.bindings}
    for f in dev.filters:
        # chains of tables (iptables) are used by jumps; platforms whose filters are used by
        # other commands too (Cisco ACLs in NAT, route-maps, ...) report unused ones themselves
        if f.builtin or f.name in bound or (f.table, f.name) in referenced or not f.table:
            continue
        origin = f.origin or Origin(dev.sources[0] if dev.sources else dev.name, 1, 1, "")
        where = f" in table {f.table}" if f.table else ""
        n = len(f.rules)
        rules = f"its {n} rules never apply" if n != 1 else "its rule never applies"
        yield Result(origin, f"chain {f.name}{where} is never jumped to: {rules}", context=f.name)
    for d in dev.diagnostics:
        if d.code in ("unused", "unused-macro", "unused-table"):
            yield Result(d.origin, d.message, context=d.construct)
