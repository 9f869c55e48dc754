"""FW002 redundant rule: removing the rule changes nothing.

## What it does
Finds rules that do match packets, but where every packet they decide would be decided the
same way by the rules after them (or by the chain's default policy) if the rule were gone.
A final `-j ACCEPT` in a chain whose policy is ACCEPT, a `RETURN` at the end of a user chain,
a narrow DROP before a broader DROP: each is redundant. Under pf's last match, a rule is
redundant when the ruleset without it (the other rules, earlier `quick` ones, the default
pass) gives every packet the rule decides the same verdict. Rules that only log or mark are
not reported. Shadowed rules are reported by FW001 instead.

The question is asked of the filter without the rules FW001 reports (the ones the user is
told to delete): two identical rules get one finding, FW001 on the second naming the first,
and never FW002 on the first as well (deleting both would remove what they do). The finding
names the rule (or the default) that would decide the packets.

A rule that does something besides deciding is redundant only if the rules that would take
its packets do the same things (the same list of side effects); a called chain or the
default never does. Side effects, per platform:

- iptables: none on a deciding rule (`LOG`, `MARK`, `NFLOG` ... are rules of their own that
  only act, and are never reported);
- pf: `log`, `label` (pf counts packets per label), `tag`, `queue`, `set prio`, `set tos`,
  `set delay`, `rtable`, `route-to` / `reply-to` / `dup-to`, `divert-to`, scrub options on a
  rule, and state options (`max`, `max-src-conn`, `max-src-states`, `overload`,
  `source-track`, timeouts);
- Cisco IOS: `log`, `log-input`; Cisco ASA: `log` (with a level or an interval; not
  `log disable`).

So a final `deny ip any any log` is not redundant with the implicit deny, and a pf `quick`
rule that assigns a queue is not redundant with a later rule that passes the same packets.
(A rule without side effects may be taken over by one that logs: the verdict is the same.)

The plumbing of the chains ufw, firewalld, docker and fail2ban generate is not reported
either: a jump into one of their chains (firewalld's `INPUT_direct` and zone chains are empty
hooks until the tool fills them) and a `RETURN` inside one (fail2ban's `-A f2b-sshd -j RETURN`).
FW006's page lists how each tool is recognised; the rules users add to those chains are
checked as any other.

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
- pf.conf(5): the last matching rule decides unless `quick`; packets no rule matches pass.
"""

from __future__ import annotations

from typing import Iterator

from ..findings import Result
from ._generated import generated_plumbing
from ._util import related_rule, rule_ref, shown
from .fw001_shadowed import flagged

ID = "FW002"
NAME = "redundant-rule"
SEVERITY = "warning"
SUMMARY = "Rule is redundant: the rules after it decide its packets the same way"
TAGS = ("maintainability",)


def check_filter(ctx, f) -> Iterator[Result]:
    from ..graph import FATES

    a = ctx.analysis
    if f.discipline == "last-match":
        yield from _last_match(a, f, flagged(ctx, f))
        return
    if f.discipline != "first-match":
        return
    # the rules FW001 tells the user to delete: asked without them (see fw001.flagged)
    gone = flagged(ctx, f)
    todo = [i for i, r in enumerate(f.rules)
            if r.action.kind not in ("continue", "unknown") and not r.synthetic and i not in gone
            and generated_plumbing(ctx, f, r) is None]  # (ufw's, firewalld's, ... hooks: _generated.py)
    if a.prober.enabled:
        # a rule for which a concrete packet gets another fate without it is not redundant:
        # the sets are built only for the others (and not at all when there are none)
        fp = a.prober.of(f)
        # (a rule the boxes show to be shadowed is FW001's)
        todo = [i for i in todo if not fp.proofs(i)[2] and fp.covering(i) is None]
    if not todo:
        return
    whole = a.facts(f, few=a.prober.enabled)
    # Two exact ways to ask "would the rest decide these packets the same way": the fate
    # sets after every position (one backward pass; each step costs the size of those sets),
    # or following the rule's own packets forward through the rules after it (each step is
    # cheap, but there are as many as rules after it). A filter whose sets are large (a
    # built-in chain that calls hundreds of chains) takes the second way.
    scan = a.is_local(f) or bool(gone)  # (the fates after each position count every rule)
    if not scan:
        sample = (whole[len(whole) // 2].reach, whole[-1].reach)
        scan = sum(len(x) for x in sample) > _SCAN_ABOVE
    after = None
    if not scan:
        live = [i for i in todo if not whole[i].hit_empty(a)]
        kinds = {f.rules[i].action.kind for i in live}
        needed = FATES if kinds & {"jump", "goto"} else tuple(kinds)
        after = a.fates_after(f, needed)
    for i in todo:
        found = _result(ctx, f, i, whole[i], after, a.outcome, gone)
        if found is not None:
            yield found


def _result(ctx, f, i, fact, after, outcome, gone=frozenset()) -> Result | None:
    """FW002's finding for rule i, if any. `fact`: its sets; `after`: the fates after each
    position (None: follow the packets forward); `outcome(chain)`: a called chain's outcome;
    `gone`: the rules FW001 reports, left out of "the rules after it"."""
    from ..graph import match_packet

    a = ctx.analysis
    s = a.space
    if fact.hit_empty(a):
        return None  # shadowed rules are FW001's
    rule = fact.rule
    hit = fact.hit
    kind = rule.action.kind
    if kind in ("accept", "drop", "reject", "return"):
        # a deciding rule is redundant iff what follows gives its packets the same fate
        if after is None:
            if not _rest_decides_as(a, f, i, hit, kind, outcome, gone):
                return None
        elif not s.is_empty(hit & ~after[i][kind]):
            return None
    else:
        if _side_effects(ctx, f, rule):
            return None  # the chain it calls logs or marks: removing the jump changes that
        if after is None:
            if not _rest_does_as_call(a, f, i, rule, hit, outcome, gone):
                return None
        elif not _same_fates(a, f, rule, hit, after[i]):
            return None
    witness = a.witness(f, hit, rule)
    takers = []
    if witness is not None:
        for j, later in enumerate(f.rules[i + 1:], i + 1):
            if later.action.kind in ("continue", "unknown") or j in gone:
                continue
            if match_packet(later.match, witness) is False:
                continue
            if later.action.kind == "jump" and _gives_back(a, f, later, witness):
                continue  # (the chain it calls hands the packet back: a later rule decides)
            takers.append(later)
            break
    by = (f"line {takers[0].origin.line}" if takers else
          f"the default policy ({f.default.kind.upper()})" if f.builtin else "the end of the chain")
    what = rule.action.kind.upper() if rule.action.kind in ("accept", "drop", "reject", "return") \
        else f"{rule.action.kind} {shown(rule.action.target or '')}"
    return Result(rule.origin,
                  f"{rule_ref(f, rule)} is redundant: without it, {by} would decide its packets "
                  f"the same way ({what})",
                  related=tuple(related_rule(f, r, "decided the same way by") for r in takers),
                  witness=witness, context=f.name)


def _gives_back(a, f, rule, packet) -> bool:
    """Whether the chain a jump calls returns the packet (as far as one exact run tells)."""
    from ..graph import exact_run

    t = a.target(f, rule)
    if t is None:
        return False
    run = exact_run(a.device, t, packet)
    return run is not None and run[0] == "return"


def _last_match(a, f, gone=frozenset()) -> Iterator[Result]:
    """Last match (pf): a deciding rule is redundant when the filter without it (and
    without the rules FW001 reports, `gone`) gives every packet the rule decides the same
    verdict; the finding names the rules (or the default) that would decide them."""
    from ..graph import last_match_sets

    s = a.space
    facts = a.facts(f)
    universe = a.filter_universe(f)
    for i, fact in enumerate(facts):
        rule = fact.rule
        kind = rule.action.kind
        if kind not in ("accept", "drop", "reject") or rule.synthetic or s.is_empty(fact.decided):
            continue  # never deciding: FW001's
        others = [r for j, r in enumerate(f.rules) if j != i and j not in gone]
        out, rest, after = last_match_sets(s, others, universe, f.default.kind)
        if not s.subset(fact.decided, out[kind]):
            continue
        takers = [x.rule for x in after if x.rule.action.kind == kind
                  and not s.is_empty(x.decided & fact.decided)]
        if rule.effects and (any(r.effects != rule.effects for r in takers)
                             or not s.is_empty(rest & fact.decided)):
            continue  # it logs, tags, queues ...: the rules that would take over do not
        by = ", ".join(f"line {r.origin.line}" for r in takers[:5])
        if len(takers) > 5:
            by += f" and {len(takers) - 5} more"
        if not s.is_empty(rest & fact.decided):
            by = f"{by} and the default ({f.default.kind})" if by else f"the default ({f.default.kind})"
        yield Result(rule.origin,
                     f"{rule_ref(f, rule)} is redundant: without it, {by} would decide its packets "
                     f"the same way ({kind.upper()})",
                     related=tuple(related_rule(f, r, "decided the same way by") for r in takers[:10]),
                     witness=a.witness(f, fact.decided), context=f.name)


_SCAN_ABOVE = 50_000  # BDD nodes in the packets that reach the middle and the end of a filter


def _rest_decides_as(a, f, i, hit, kind, outcome=None, gone=frozenset()) -> bool:
    """Whether the rules after position i (and then the filter's default) give every packet
    of `hit` the fate `kind`: the packets are followed forward, and the answer is no as soon
    as some of them meet another fate. `outcome(chain)`: a called chain's outcome (by
    default the whole one); the rules in `gone` are left out. A rule with side effects
    (`Rule.effects`: logging, a queue, a tag, ...) is redundant only if the rules that take
    its packets do the same things (a called chain or the default: never). (A rule without
    any may be taken over by one that logs: the verdict is the same, and logging what no
    other rule names is what such a last line is for.)"""
    s = a.space
    outcome = outcome or a.outcome
    effects = f.rules[i].effects
    rem = hit
    # only the later rules that can overlap rule i: no other takes any of its packets
    later = a.overlaps(f).after(i) if a.is_local(f) else range(i + 1, len(f.rules))
    for j in later:
        rule = f.rules[j]
        k = rule.action.kind
        if k == "continue" or j in gone:
            continue
        piece = rem & s.match(rule.match)
        if s.is_empty(piece):
            continue
        if k == "unknown":
            return False
        if k in ("accept", "drop", "reject", "return"):
            if k != kind or (effects and rule.effects != effects):
                return False
            rem = rem & ~piece
        else:  # jump or goto
            t = a.target(f, rule)
            if t is None or effects:
                return False
            o = outcome(t)
            for fate, part in (("accept", o.accept), ("drop", o.drop), ("reject", o.reject)):
                if fate != kind and not s.is_empty(piece & part):
                    return False
            if not s.is_empty(piece & o.unknown):
                return False
            if k == "goto" and kind != "return" and not s.is_empty(piece & o.ret):
                return False
            keep = piece & o.ret if k == "jump" else s.false
            rem = (rem & ~piece) | keep
        if s.is_empty(rem):
            return True
    if effects:
        return False  # (the default logs nothing, tags nothing)
    if f.builtin or f.default.kind != "return":
        default = f.default.kind if f.default.kind in ("accept", "drop", "reject") else "drop"
    else:
        default = "return"
    return default == kind


def _rest_does_as_call(a, f, i, rule, hit, outcome=None, gone=frozenset()) -> bool:
    """Whether the rules after position i give the packets `hit` the fates that the chain
    a jump/goto at i gives them (the forward form of `_same_fates`). The packets a jump's
    chain returns go on to the same rules either way; a goto's returned packets must be
    returned by the rest too."""
    s = a.space
    outcome = outcome or a.outcome
    t = a.target(f, rule)
    if t is None:
        return False
    o = outcome(t)
    if not s.is_empty(hit & o.unknown):
        return False
    pieces = [(hit & o.accept, "accept"), (hit & o.drop, "drop"), (hit & o.reject, "reject")]
    if rule.action.kind == "goto":
        pieces.append((hit & o.ret, "return"))
    for piece, kind in pieces:
        if not s.is_empty(piece) and not _rest_decides_as(a, f, i, piece, kind, outcome, gone):
            return False
    return True


def _same_fates(a, f, rule, hit, after) -> bool:
    """Whether a jump/goto gives the packets `hit` the same fates as the rules after it.
    Computed inside `hit` only: the sets outside it can be large and do not matter."""
    from ..graph import FATES

    s = a.space
    t = a.target(f, rule)
    if t is None:
        return False
    o = a.outcome(t)
    back = hit & o.ret
    for k in FATES:
        without = hit & after[k]
        callee = {"accept": o.accept, "drop": o.drop, "reject": o.reject, "unknown": o.unknown,
                  "return": s.false}[k]
        with_rule = hit & callee
        if rule.action.kind == "jump":
            with_rule |= back & after[k]
        elif k == "return":
            with_rule |= back
        if not s.equal(with_rule, without):
            return False
    return True


def _side_effects(ctx, f, rule) -> bool:
    """Whether the chain a jump calls (or a chain it calls, through any number of jumps)
    has rules that act without deciding. A jump to an undefined chain, or one that closes
    a loop, may do anything: yes."""
    a = ctx.analysis
    memo = ctx.memo.setdefault(ID, {})
    t = a.target(f, rule)
    if t is None:
        return True
    if a.key(t) not in memo:
        for g in a.called_first(t, skip=memo):
            memo[a.key(g)] = _acts(a, g, memo)
    return memo[a.key(t)]


def _acts(a, g, memo) -> bool:
    """Whether g acts without deciding, its callees' answers known (`memo`)."""
    for r in g.rules:
        if r.action.kind in ("continue", "unknown"):
            return True
        if r.action.kind in ("jump", "goto"):
            t = a.target(g, r)
            if t is None or memo[a.key(t)]:
                return True
    return False
