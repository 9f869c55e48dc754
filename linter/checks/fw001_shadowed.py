"""FW001 shadowed rule: a rule that can never match.

## What it does
Finds rules that no packet can ever reach with a match: every packet they match is decided
before them by earlier rules (one rule or only the union of several; jumps count with what
the called chain decides), the chain they stand in is only entered by packets they do not
match, or their own conditions contradict each other. Under last-match semantics (pf), a
rule is shadowed when later rules (or earlier `quick` rules) always override it.

Identical rules, or rules that cover each other, get one finding: on each later one, naming
the first (never FW002 on the first as well). Rules are named by their line, the chain or
ACL position second ("line 6 (INPUT rule 2)", "line 262 (OUTSIDE_IN entry 3)", pf "line 3"),
the same in text, JSON, SARIF and `fwlint trace`. The finding lists the rules that decide
the packets first (pf: that override them), each with its line (SARIF related locations),
and its witness is a packet the rule matches: traced, one of those rules decides it (for a
chain that is never sent the rule's packets, a packet at a hook above it, which never
reaches the rule).

## Why is this bad?
A shadowed rule is dead code that looks alive: whoever reads the ruleset believes it does
something. Usually the order is wrong and the rule was meant to take effect (an exception
placed after the general rule), so the firewall does something other than intended.

## Example
```
-A INPUT -p tcp -j DROP
-A INPUT -p tcp --dport 22 -s 192.0.2.10 -j ACCEPT
```

## Use instead
```
-A INPUT -p tcp --dport 22 -s 192.0.2.10 -j ACCEPT
-A INPUT -p tcp -j DROP
```

## References
- iptables(8): rules of a chain are traversed in order; the first matching terminal rule decides.
- pf.conf(5): the last matching rule decides unless `quick`.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from ..findings import Related, Result
from ._util import related_rule, rule_ref, shown

ID = "FW001"
NAME = "shadowed-rule"
SEVERITY = "warning"
SUMMARY = "Rule can never match: earlier rules, or the chain's callers, take all its packets"
TAGS = ("correctness", "security")


def check_filter(ctx, f) -> Iterator[Result]:
    for _i, result in results(ctx, f):
        yield result


def flagged(ctx, f) -> frozenset[int]:
    """The positions of the rules of f that FW001 reports: rules the user is told to
    delete. FW002 asks whether a rule is redundant in the filter *without* them, so that the
    two never advise together what removes a service (two identical rules: FW001 on the
    second, naming the first, and no FW002 on the first)."""
    return frozenset(i for i, _ in results(ctx, f))


def results(ctx, f) -> list[tuple[int, Result]]:
    """(rule position, finding) for the filter, computed once per device run (FW002 asks
    for them too, whether or not FW001 is selected)."""
    memo = ctx.memo.setdefault(ID, {})
    key = (f.table, f.name)
    got = memo.get(key)
    if got is None:
        got = memo[key] = list(_results(ctx, f))
    return got


def _results(ctx, f) -> Iterator[tuple[int, Result]]:
    a = ctx.analysis
    s = a.space
    todo: Iterable[int] = range(len(f.rules))
    fp = None
    if f.discipline == "first-match" and a.prober.enabled:
        # the rules a concrete packet shows to be reached and entered have no finding: the
        # sets are built only for the others (and not at all when there are none)
        fp = a.prober.of(f)
        todo = [i for i, r in enumerate(f.rules) if not r.synthetic and not all(fp.proofs(i)[:2])]
        if not todo:
            return
    whole = a.facts(f, few=a.prober.enabled)
    base = s.universe & a.family_set(f)
    for i in todo:
        rule = f.rules[i]
        if rule.synthetic:
            continue
        covered = fp.covering(i) if fp is not None else None
        if covered is not None:
            # the boxes show it is shadowed, and by which rules: no set of the filter needed
            yield i, _shadowed(a, f, rule, [f.rules[j] for j in covered], s.match(rule.match))
            continue
        result = _result(a, f, i, whole, base, fp)
        if result is not None:
            yield i, result


def _result(a, f, i, facts, base, fp) -> Result | None:
    """FW001's finding for rule i of f, if any, from the filter's sets (`facts`) and, when
    the box layer is on, its proofs (`fp`)."""
    s = a.space
    fact = facts[i]
    rule = fact.rule
    # (an empty set stays empty whatever the opaque conditions: no `may` needed)
    if (fact.match & base) == s.false:
        return Result(rule.origin, f"{rule_ref(f, rule)} can never match: its conditions "
                      "contradict each other", context=f.name)
    if f.discipline == "last-match":
        if rule.action.kind in ("continue", "unknown") or not s.is_empty(fact.decided):
            return None
        return _overridden(a, f, i, facts, base)
    if fact.hit_empty(a):
        covering = []
        left = fact.match & base
        # only the earlier rules whose boxes meet this one's can take any of its packets
        earlier = ([facts[j] for j in a.overlaps(f).before(i)] if a.is_local(f) else facts[:i])
        for other in earlier:
            if other.decided == s.false or (other.match & left) == s.false:
                continue  # cheap test on the small match sets first
            part = other.decided & left
            if part != s.false:
                covering.append(other.rule)
                left = left & ~part
                if left == s.false:  # (left lies inside the universe: base)
                    break
        return _shadowed(a, f, rule, covering, fact.match)
    if f.builtin or not _unentered(a, f, i, fact.hit, fp):
        return None
    callers = a.callers(f)
    return Result(rule.origin,
                  f"{rule_ref(f, rule)} can never match: no packet it matches is ever "
                  f"sent to chain {shown(f.name)} by its callers",
                  related=tuple(Related(r.origin, f"{shown(g.name)} calls {shown(f.name)} here")
                                for g, r in callers[:10]),
                  witness=a.witness_outside(f, fact.hit), context=f.name)


def _overridden(a, f, i, facts, base) -> Result:
    """Rule i of a last-match filter decides no packet: the rules that decide those it matches."""
    s = a.space
    fact = facts[i]
    rule = fact.rule
    # the packets it matches: those that get to it, or, when an earlier quick rule
    # takes them all first, every packet of its match
    mine = fact.hit if not s.is_empty(fact.hit) else fact.match & base
    over = []
    for j, other in enumerate(facts):
        if j == i or other.rule.action.kind in ("continue", "unknown") or other.rule.synthetic:
            continue  # (a platform's own rule, the state table, is named by none)
        # the rules that decide the packets this one matches
        if (j > i or other.rule.quick) and not s.is_empty(other.decided & mine):
            over.append(other.rule)
    names = ", ".join(f"line {r.origin.line}" for r in over[:5]) or "other rules"
    if len(over) > 5:
        names += f" and {len(over) - 5} more"
    verb = "overrides" if len(over) == 1 else "override"
    return Result(rule.origin, f"{rule_ref(f, rule)} never decides a packet: "
                  f"{names} {verb} every packet it matches",
                  related=tuple(related_rule(f, r, "overridden by") for r in over[:10]),
                  witness=a.witness(f, mine), context=f.name)


def _unentered(a, f, i, hit, fp) -> bool:
    """Whether no packet rule i of user chain f matches (`hit`: those that get to it) is ever
    sent to the chain, while some packets are (a chain nothing enters is FW006's business)."""
    s = a.space
    if fp is not None and not a.prober.may_be_entered(f):
        return False  # the boxes show that nothing comes to the chain: FW006's business
    if fp is not None and fp.outside_entries(i) and a.prober.entered(f):
        # the boxes show that none of its packets comes to the chain, and a packet shows
        # that some packets do: the finding, without the entries' sets
        return True
    # (with the box layer, the chain's entry from its callers only; without it, the
    # whole device's entries, one pass over every chain: cheaper when all are needed)
    entry = a.entry(f) if fp is not None else a.entries().get(a.key(f), s.false)
    if not (fp is not None and a.prober.entered(f)) and entry == s.false:
        return False  # never entered at all: FW006's business
    # (the entries lie inside the universe: `== false` is emptiness)
    return (hit & entry) == s.false


def _shadowed(a, f, rule, covering, match) -> Result:
    """The finding for a rule whose packets the `covering` rules all take first."""
    s = a.space
    names = ", ".join(f"line {r.origin.line}" for r in covering[:5])
    if len(covering) > 5:
        names += f" and {len(covering) - 5} more"
    verb = "together decide" if len(covering) > 1 else "decides"
    return Result(rule.origin,
                  f"{rule_ref(f, rule)} can never match: {names} {verb} every packet it matches first",
                  related=tuple(related_rule(f, r, "covered by") for r in covering[:10]),
                  witness=a.witness(f, match & s.universe & a.family_set(f), rule),
                  context=f.name)
