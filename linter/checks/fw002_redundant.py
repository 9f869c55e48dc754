"""FW002 redundant rule: removing the rule changes nothing.

## What it does
Finds rules that do match packets, but where every packet they decide would be decided the
same way by the rules after them (or by the chain's default policy) if the rule were gone.
A final `-j ACCEPT` in a chain whose policy is ACCEPT, a `RETURN` at the end of a user chain,
a narrow DROP before a broader DROP: each is redundant. Rules that only log or mark are not
reported. Shadowed rules are reported by FW001 instead.

## Why is this bad?
Redundant rules make a ruleset longer than its meaning, slow every packet down, and hide the
rule that really decides. When someone later edits the rule after it, the redundant rule
silently starts to matter again.

## Example
```
-A INPUT -s 192.0.2.0/24 -p tcp --dport 22 -j ACCEPT
-A INPUT -s 192.0.2.0/24 -j ACCEPT
```

## Use instead
```
-A INPUT -s 192.0.2.0/24 -j ACCEPT
```

## References
- iptables(8): first match within a chain; built-in chain policies.
"""

from __future__ import annotations

from typing import Iterator

from ..findings import Result
from ..graph import FATES
from ._util import related_rule, rule_ref

ID = "FW002"
NAME = "redundant-rule"
SEVERITY = "warning"
SUMMARY = "Rule is redundant: the rules after it decide its packets the same way"
TAGS = ("maintainability",)


def check(ctx) -> Iterator[Result]:
    a = ctx.analysis
    s = a.space
    for f in ctx.decision_filters():
        if f.discipline != "first-match":
            continue
        facts = a.facts(f)
        live = [i for i, fact in enumerate(facts) if fact.rule.action.kind not in ("continue", "unknown")
                and not s.is_empty(fact.reach & fact.match)]  # shadowed rules are FW001's
        if not live:
            continue
        after = a.fates_after(f)
        for i in live:
            fact = facts[i]
            rule = fact.rule
            hit = fact.reach & fact.match
            eff = a.effect(f, rule, after[i])
            if eff is None:
                continue
            if rule.action.kind in ("jump", "goto") and _side_effects(ctx.device, f, rule.action.target):
                continue  # the chain it calls logs or marks: removing the jump changes that
            differs = s.false
            for k in FATES:
                differs |= s.bdd.apply("xor", eff[k], after[i][k])
            if not s.is_empty(hit & differs):
                continue
            witness = s.witness(hit)
            takers = []
            if witness is not None:
                for later in f.rules[i + 1:]:
                    if later.action.kind in ("continue", "unknown"):
                        continue
                    if s.contains(s.match(later.match), witness):
                        takers.append(later)
                        break
            by = (f"line {takers[0].origin.line}" if takers else
                  f"the default policy ({f.default.kind.upper()})" if f.builtin else "the end of the chain")
            what = rule.action.kind.upper() if rule.action.kind in ("accept", "drop", "reject", "return") \
                else f"{rule.action.kind} {rule.action.target}"
            yield Result(rule.origin,
                         f"{rule_ref(f, rule)} is redundant: without it, {by} would decide its packets "
                         f"the same way ({what})",
                         related=tuple(related_rule(f, r, "decided the same way by") for r in takers),
                         witness=witness, context=f.name)


def _side_effects(device, f, name, seen=None) -> bool:
    """Whether the chain (or a chain it calls) has rules that act without deciding."""
    seen = seen if seen is not None else set()
    if name in seen:
        return False
    seen.add(name)
    t = device.filter(name or "", f.table or None)
    if t is None:
        return True
    for r in t.rules:
        if r.action.kind in ("continue", "unknown"):
            return True
        if r.action.kind in ("jump", "goto") and _side_effects(device, t, r.action.target, seen):
            return True
    return False
