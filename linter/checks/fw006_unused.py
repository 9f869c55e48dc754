"""FW006 unused definition: a user chain (or object) that nothing refers to.

## What it does
Finds user-defined chains that no rule jumps or goes to, and chains only jumped to from a
loop of chains that nothing else enters (`-A X -j Y`, `-A Y -j X`: iptables loads such a
loop, and it never runs), and, on platforms that have them, objects, object groups, tables,
macros and ACLs that are defined and never used.

Chains that a firewall manager generates are not reported: ufw creates its whole skeleton
(`ufw-user-limit`, `ufw-logging-allow`, `ufw-skip-to-policy-output`, ...) whether the rules
use every chain or not. A tool is recognised by its structure (a built-in chain jumps into its
chains), then its chains by name:

| tool | recognised when | its chains |
|---|---|---|
| ufw | a built-in chain jumps to a `ufw-before-*` or `ufw-after-*` chain (`ufw6-` for IPv6) | every `ufw-*` / `ufw6-*` chain |
| firewalld | a built-in chain jumps to `INPUT_direct`, `INPUT_ZONES`, `FORWARD_IN_ZONES`, `INPUT_dispatch`, `INPUT_POLICIES_pre`, ... (any hook) | those skeleton chains (`<HOOK>_direct`, `_ZONES`, `_ZONES_SOURCE`, `_dispatch`, `_POLICIES`, `_POLICIES_pre`, `_POLICIES_post`, `FORWARD_IN_ZONES`, `FORWARD_OUT_ZONES` and their `_SOURCE`), the zone and policy chains they jump to (`IN_public`, `FWDI_`, `FWDO_`, `FWD_`, `PRE_`, `POST_`, `OUT_`), and the parts those jump to (`_pre`, `_log`, `_deny`, `_allow`, `_post`, `_dispatch_stage2`) |
| docker | a built-in chain jumps to `DOCKER` or a `DOCKER-*` chain | `DOCKER`, `DOCKER-*`, `DOCKER_*` (`DOCKER-USER`, `DOCKER-ISOLATION-STAGE-1`, ...) |
| fail2ban | a chain named `f2b-NAME` or `fail2ban-NAME` whose rules drop or reject (the bans) and end with an unconditional `RETURN` | that chain |

A chain of that name in a ruleset without the tool's structure is reported as any other.

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
from ..model import Origin, jump_loops
from ._generated import generated_by
from ._util import shown as _shown

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
    orphans = _orphan_loops(dev, referenced)
    for f in dev.filters:
        # chains of tables (iptables) are used by jumps; platforms whose filters are used by
        # other commands too (Cisco ACLs in NAT, route-maps, ...) report unused ones themselves
        if f.builtin or f.name in bound or not f.table or generated_by(ctx, f.table, f.name):
            continue
        origin = f.origin or Origin(dev.sources[0] if dev.sources else dev.name, 1, 1, "")
        where = f" in table {f.table}" if f.table else ""
        n = len(f.rules)
        rules = f"its {n} rules never apply" if n != 1 else "its rule never applies"
        if (f.table, f.name) not in referenced:
            yield Result(origin, f"chain {_shown(f.name)}{where} is never jumped to: {rules}", context=f.name)
        elif (f.table, f.name) in orphans:
            loop = orphans[(f.table, f.name)]
            yield Result(origin, f"chain {_shown(f.name)}{where} is only jumped to from a loop of chains that "
                         f"nothing else jumps to ({' -> '.join(_shown(c) for c in loop.cycle)}): {rules}",
                         context=f.name)
    for d in dev.diagnostics:
        if d.code in ("unused", "unused-macro", "unused-table"):
            yield Result(d.origin, d.message, context=d.construct)


def _orphan_loops(dev, referenced) -> dict:
    """The chains (table, name) of loops that no built-in chain and no unused chain leads to
    (the kernel loads such a loop, and it never runs), each with a loop it stands in or
    that leads to it. Every chain jumped to and not reached from those is one of them."""
    loops = [lp for lp in jump_loops(dev.filters) if not lp.reachable]
    if not loops:
        return {}
    calls: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for f in dev.filters:
        calls[(f.table, f.name)] = [(f.table, r.action.target) for r in f.rules
                                    if r.action.kind in ("jump", "goto") and r.action.target]
    # what runs, or what FW006 reports already: reached from built-ins and unused chains
    stack = [(f.table, f.name) for f in dev.filters if f.builtin or (f.table, f.name) not in referenced]
    reached = set(stack)
    while stack:
        for t in calls.get(stack.pop(), ()):
            if t not in reached:
                reached.add(t)
                stack.append(t)
    out = {}
    for lp in loops:
        for name in lp.cycle:
            k = (lp.table, name)
            if k not in reached:
                out.setdefault(k, lp)
    # the chains such a loop calls are never reached either: name the loop they hang from
    stack = list(out)
    while stack:
        k = stack.pop()
        for t in calls.get(k, ()):
            if t not in reached and t not in out and t in calls:
                out[t] = out[k]
                stack.append(t)
    return out
