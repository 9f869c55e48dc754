"""Per-rule sets: `RuleFacts`, computed rule by rule for a local filter (`LocalFacts`),
and a last-match filter's (`last_match_sets`)."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from .. import model as m
from ..boxes import OverlapIndex
from ..space import Node, PacketSpace

if TYPE_CHECKING:
    from .analysis import Analysis


@dataclass
class RuleFacts:
    """What the analysis knows about one rule, with its filter entered by every packet."""

    rule: m.Rule
    match: Node
    reach: Node | None  # packets that get to this rule (None when computed locally)
    decided: Node  # packets whose evaluation of this filter ends at this rule
    hit: Node  # packets that get to this rule and match it (reach & match)
    _hit_empty: bool | None = None

    def hit_empty(self, analysis: "Analysis") -> bool:
        """No valid packet gets to this rule and matches it (asked once: several checks
        ask; see Analysis.filter_universe)."""
        if self._hit_empty is None:
            s = analysis.space
            self._hit_empty = self.hit == s.false if analysis.valid_only else s.is_empty(self.hit)
        return self._hit_empty


class LocalFacts:
    """The `RuleFacts` of a local first-match filter (`Analysis.is_local`), each computed
    when first asked, with the facts of the earlier rules whose boxes meet it and that may
    decide packets (and theirs, ...): the same sets `Analysis._run` computes for every rule
    at once (BDDs are canonical: the same nodes), for only the rules a check asks about."""

    def __init__(self, analysis: "Analysis", f: m.Filter) -> None:
        # (a weak reference: the analysis keeps this object, and a cycle through BDD nodes
        # would be freed by the garbage collector in any order, the manager perhaps first)
        self.a = weakref.proxy(analysis)
        self.f = f
        self.universe = analysis.filter_universe(f)
        self.index = analysis.overlaps(f)
        self._got: dict[int, RuleFacts] = {}

    def __len__(self) -> int:
        return len(self.f.rules)

    def __iter__(self) -> Iterator[RuleFacts]:
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        got = self._got.get(i)
        if got is None:
            self._compute(i)
            got = self._got[i]
        return got

    def _compute(self, i: int) -> None:
        # the rules i rests on: the earlier ones whose boxes meet it and that may decide
        # (a rule that only logs or marks decides nothing), and theirs; then in order
        rules = self.f.rules
        need: set[int] = set()
        stack = [i]
        while stack:
            j = stack.pop()
            if j in need or j in self._got:
                continue
            need.add(j)
            stack.extend(k for k in self.index.before(j)
                         if k not in self._got and k not in need
                         and rules[k].action.kind not in ("continue", "unknown"))
        for j in sorted(need):
            self._got[j] = self._one(j)

    def _one(self, i: int) -> RuleFacts:
        """Rule i's sets, as `Analysis._run` computes them in its local way."""
        a, s = self.a, self.a.space
        rule = self.f.rules[i]
        mt = s.match(rule.match)
        hit = self.universe & mt
        exact_i = self.index.exact[i]
        for j in self.index.before(i):
            fj = self._got.get(j)
            if fj is None or fj.decided == s.false:
                continue  # (only rules that decide nothing are not computed)
            if hit == s.false:
                break
            if (exact_i and self.index.exact[j]) or (fj.match & mt) != s.false:
                hit = hit & ~fj.decided
        decided, _pieces, _called = a._effect(self.f, rule, hit)
        return RuleFacts(rule, mt, None, decided, hit)



def _local_hit(s: PacketSpace, universe: Node, index: OverlapIndex, i: int, mts: list[Node],
               dec: list[Node | None]) -> Node:
    """The packets that get to rule i *and match it* (`mts[i]`), from the earlier rules that
    can overlap it only (their boxes meet, then their matches; `dec`: what each decided, None
    when nothing): the set of all packets that get this far is never built."""
    mt = mts[i]
    hit = universe & mt
    exact_i = index.exact[i]
    for j in index.before(i):
        dj = dec[j]
        if dj is None:
            continue
        if hit == s.false:
            break
        # (two exact boxes that meet are matches that meet: no test needed)
        if (exact_i and index.exact[j]) or (mts[j] & mt) != s.false:
            hit = hit & ~dj
    return hit



def last_match_sets(s: PacketSpace, rules, universe: Node, default_kind: str):
    """Last match (pf). A packet is decided by rule i iff it matches i, no earlier quick
    rule matched it, and either i is quick or no later deciding rule matches it.

    Returns ({fate: set}, the packets no rule decides, per-rule facts). A function of the
    rules alone, so that a check can ask it of the filter without one rule."""
    rules = list(rules)
    n = len(rules)
    mts = [s.match(r.match) for r in rules]
    decides = [r.action.kind not in ("continue", "unknown") for r in rules]
    # before[i]: packets not taken by any quick rule before i
    before = []
    cur = universe
    for i, r in enumerate(rules):
        before.append(cur)
        if r.quick and decides[i]:
            cur = cur & ~mts[i]
    # after[i]: packets matched by no deciding rule after i (those would override i)
    after = [s.false] * n
    cur = universe
    for i in range(n - 1, -1, -1):
        after[i] = cur
        if decides[i]:
            cur = cur & ~mts[i]
    acc = drop = rej = unk = s.false
    rest = universe
    facts = []
    for i, r in enumerate(rules):
        if not decides[i]:
            if r.action.kind == "unknown":
                unk |= before[i] & mts[i]
            facts.append(RuleFacts(r, mts[i], before[i], s.false, before[i] & mts[i]))
            continue
        if r.quick:
            dec = before[i] & mts[i]
        else:
            # no quick rule anywhere matched, and no later deciding rule matched
            dec = before[i] & mts[i] & after[i]
        kind = r.action.kind
        if kind == "accept":
            acc |= dec
        elif kind == "reject":
            rej |= dec
        else:
            drop |= dec
        rest = rest & ~dec
        facts.append(RuleFacts(r, mts[i], before[i], dec, before[i] & mts[i]))
    if default_kind == "accept":
        acc |= rest
    elif default_kind == "reject":
        rej |= rest
    else:
        drop |= rest
    return {"accept": acc, "drop": drop, "reject": rej, "return": s.false, "unknown": unk}, rest, facts
