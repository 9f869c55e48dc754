"""The packets that can enter each filter: all packets at its hooks for bound filters, the
packets its callers send it through their jumps for the others (`Analysis.entries`,
`Analysis.entry`)."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from .. import model as m
from ..space import Node
from .calls import filter_key

if TYPE_CHECKING:
    from .analysis import Analysis

# rounds of `Entries._through_loops` before it gives up on precision (a loop's chains are
# then taken as entered by every packet): a precision bound, not one on the input
_LOOP_ROUNDS = 4


class Entries:
    """The entries of one `Analysis`: the whole device's at once (`all`), or one filter's
    from its callers only (`of`)."""

    def __init__(self, analysis: "Analysis") -> None:
        # (a weak reference: the analysis keeps this object, which keeps BDD nodes)
        self.a = weakref.proxy(analysis)
        self._all: dict[tuple[str, str], Node] | None = None
        self._one: dict[tuple[str, str], Node] = {}  # per filter, see of()
        # per filter: (jump rule, its match, the packets that reach it), recorded by
        # `Analysis._run`
        self.jump_reach: dict[tuple[str, str], list[tuple[m.Rule, Node, Node]]] = {}

    def computed(self, f: m.Filter) -> bool:
        """Whether f's entries are computed already."""
        return self._all is not None or filter_key(f) in self._one

    def all(self) -> dict[tuple[str, str], Node]:
        """For every filter, the packets that can enter it: all packets at its hooks for
        bound filters, the packets its callers send it for the others."""
        if self._all is not None:
            return self._all
        s = self.a.space
        ent: dict[tuple[str, str], Node] = {}
        for f in self.a.device.filters:
            hooks = self.a.bound_hooks(f)
            if hooks:
                e = s.false
                for h in hooks:
                    e |= self.a.hook_set(h)
                ent[filter_key(f)] = e & s.universe & self.a.family_set(f)
        # propagate through jumps, callers before callees: one pass over the jumps without
        # loops (they form none, and `topological` orders them)
        order = self.a.calls.topological()
        for f in order:
            self._propagate(f, ent, loops=False)
        if self.a.calls.loops:
            self._through_loops(order, ent)
        self._all = ent
        return ent

    def of(self, f: m.Filter) -> Node:
        """The packets that can enter f: `entries()[key]` (false when none), computed from f's
        callers only, and from each caller the rule that calls f only (`LocalFacts`), when
        the device has no jump loop and every caller is a local filter; the whole device's
        `entries()` otherwise. Same sets (the same formula, BDDs canonical)."""
        k = filter_key(f)
        if self._all is not None:
            return self._all.get(k, self.a.space.false)
        got = self._one.get(k)
        if got is not None:
            return got
        if self.a.calls.loops:
            return self.all().get(k, self.a.space.false)
        # the callers' entries first (callers of callers ..., without recursion)
        order = self._ancestors(f)
        if order is None:
            return self.all().get(k, self.a.space.false)
        s = self.a.space
        for g in order:
            gk = filter_key(g)
            if gk in self._one:
                continue
            e = s.false
            hooks = self.a.bound_hooks(g)
            if hooks:
                for h in hooks:
                    e |= self.a.hook_set(h)
                e = e & s.universe & self.a.family_set(g)
            for h, r in self.a.calls.callers(g):
                if self.a.calls.loop_at(h, r) is not None or self.a.calls.callee(h, r) is not g:
                    continue
                eh = self._one[filter_key(h)]
                if eh == s.false:
                    continue
                fact = self.a.facts(h, few=True)[r.index]
                e = e | ((fact.match & eh) & fact.hit)
            self._one[gk] = e
        return self._one[k]

    def _ancestors(self, f: m.Filter) -> list[m.Filter] | None:
        """f and the filters whose jumps lead to it, callers first; None when one of them is
        not a local first-match filter (its jumps' sets are kept only by `_run`) or a rule
        is not where its index says."""
        seen: dict[tuple[str, str], m.Filter] = {}
        stack = [f]
        while stack:
            g = stack.pop()
            if filter_key(g) in seen:
                continue
            seen[filter_key(g)] = g
            for h, r in self.a.calls.callers(g):
                if filter_key(h) in seen:
                    continue
                if not self.a.is_local(h) or not (0 <= r.index < len(h.rules) and h.rules[r.index] is r):
                    return None
                stack.append(h)
        return sorted(seen.values(), key=self.a.calls.rank)

    def _propagate(self, f: m.Filter, ent: dict[tuple[str, str], Node], loops: bool) -> bool:
        """Add the packets f sends through its jumps (or only through those that close a
        loop) to the entries of the chains they call; whether an entry grew."""
        s = self.a.space
        e = ent.get(filter_key(f))
        if e is None:
            ent[filter_key(f)] = s.false
            return False
        if e == s.false or not any(r.action.kind in ("jump", "goto") for r in f.rules):
            return False
        self.a.outcome(f)  # records the packets that reach each jump
        grew = False
        for rule, mt, reach in self.jump_reach.get(filter_key(f), ()):
            if (self.a.calls.loop_at(f, rule) is not None) != loops:
                continue
            t = self.a.calls.callee(f, rule)
            if t is None:
                continue
            tk = filter_key(t)
            old = ent.get(tk, s.false)
            # the small set first: e and the rule's match, then what reaches the rule
            new = old | ((mt & e) & reach)
            if new != old:
                ent[tk] = new
                grew = True
        return grew

    def _through_loops(self, order: list[m.Filter], ent: dict[tuple[str, str], Node]) -> None:
        """The packets a jump that closes a loop sends round it enter its target again:
        add them, and what the chains then pass on, until nothing grows. A few rounds
        settle any real ruleset; past them, the chains the loops lead to are taken as
        entered by every packet (more than they are: sound for the checks, which claim
        what holds for all the packets that may enter)."""
        for _round in range(_LOOP_ROUNDS):
            grew = False
            for f in order:
                grew = self._propagate(f, ent, loops=True) | grew
            if not grew:
                return
            for f in order:
                self._propagate(f, ent, loops=False)
        s = self.a.space
        for f in self.a.calls.reached_from(self.a.calls.loop_targets()):
            ent[filter_key(f)] = s.universe & self.a.family_set(f)
