"""Witnesses: a packet of a set of packets, as they stand in a filter, that `trace` replays as
it is (with the hook, interfaces and direction that bring it to the filter), for the
checks' findings. On big devices, a chain's witness is looked for by concrete runs along
its caller paths before its entries are computed."""

from __future__ import annotations

import dataclasses
import weakref
from typing import TYPE_CHECKING, Iterator

from .. import model as m
from ..space import Node
from .calls import filter_key
from .tracing import deciding, hook_filters

if TYPE_CHECKING:
    from .analysis import Analysis

# From this many rules in a device's deciding filters, a chain's witness is looked for by
# concrete runs along its caller paths before its entries are computed (Witnesses.witness):
# the box layer's size (probe.MIN_RULES), where the checks no longer compute the entries
WITNESS_BY_RUNS = 20_000
_WITNESS_PATHS = 8  # caller paths a chain's witness is looked for along (Witnesses.witness)
_WITNESS_RUNS = 4  # candidates a chain's witness tries, each without the rules that took the one before


class Witnesses:
    """The witnesses of one `Analysis` (`Analysis.witness`), with what they keep per filter
    and binding."""

    def __init__(self, analysis: "Analysis") -> None:
        # (a weak reference: the analysis keeps this object, which keeps BDD nodes)
        self.a = weakref.proxy(analysis)
        # per filter: the bindings trace evaluates it at, its bound ancestors
        self._trace_bindings: dict[tuple[str, str], list[m.Binding]] = {}
        self._ancestors_bound: dict[tuple[str, str], list[m.Filter]] = {}
        self._binding_sets: dict[m.Binding, Node] = {}
        self._by_runs: bool | None = None

    def witness_outside(self, f: m.Filter, packets: Node) -> m.Packet | None:
        """A packet of `packets` taken at a hook whose filters lead to f (f's callers, their
        callers, ...): for a finding that says none of these packets is ever sent to f, a
        packet whose trace shows it. None when no such hook sees any of them."""
        s = self.a.space
        for g in self._bound_ancestors(f):
            for b in self._bindings_of(g):
                w = s.witness(packets & self.binding_set(b) & self.a.family_set(g))
                if w is not None:
                    return dataclasses.replace(w, hook=b.hook)
        return None

    def binding_set(self, b: m.Binding) -> Node:
        """The packets a binding sees: at an iptables hook, those with the interfaces the
        hook gives (`hook_set`); on a side of an interface (pf, Cisco), the packets going
        that way through that interface (any interface for a binding without one, but some
        interface: a packet comes in or goes out somewhere), of the binding's family."""
        got = self._binding_sets.get(b)
        if got is not None:
            return got
        s = self.a.space
        if b.hook not in ("in", "out"):
            got = self.a.hook_set(b.hook) & s.universe
        else:
            side = m.IN_IFACE if b.hook == "in" else m.OUT_IFACE
            where = s.iface(side, (b.interface,)) if b.interface else ~s.iface(side, ("",))
            way = s.cond(m.IntCond(m.DIRECTION, ((m.DIRECTIONS.index(b.hook),) * 2,)))
            fam = s.family(b.family) if b.family else s.true
            got = where & way & fam & s.universe
        self._binding_sets[b] = got
        return got

    def _bindings_of(self, f: m.Filter) -> list[m.Binding]:
        """f's bindings at which `trace` evaluates f first (trace follows the first filter
        bound at a hook and interface)."""
        got = self._trace_bindings.get(filter_key(f))
        if got is None:
            got = self._trace_bindings[filter_key(f)] = [] if not deciding(f) else [
                b for b in self.a.device.bindings if b.filter == f.name
                and (hook_filters(self.a.device, b.hook, b.interface, b.family)[:1] or [None])[0] is f]
        return got

    def witness(self, f: m.Filter, packets: Node, rule: m.Rule | None = None) -> m.Packet | None:
        """A packet of `packets` (packets as they stand in filter f) that `trace` replays as
        it is: with the hook at which it comes to f (and the interfaces and direction that
        hook gives a packet), where some of the packets come to f from a hook; else, f
        bound nowhere or none of them sent to it, with f's name (`filter`): trace then
        evaluates f on its own.

        For a chain, from its entries (the packets its callers send it: on devices under
        `WITNESS_BY_RUNS` rules the checks have mostly computed them already). On bigger
        devices, whose entries the box layer spares, candidates first: a packet of the set
        that the jumps of a caller path let through, taken at the path's hook, kept when a
        concrete run from the hook (`exact_run`, the branch trace reports) does jump to f;
        only when none does are the entries computed, and not even then when `rule` (the
        rule of f whose packets these are) is one whose box no packet of the chain's
        callers can meet (`probe`: sound, so the entries would hold none of them either).
        Which way is a property of the device, never of the box layer being on: the same
        device always gets the same witnesses."""
        s = self.a.space
        for b in self._bindings_of(f):
            w = s.witness(packets & self.binding_set(b) & self.a.family_set(f))
            if w is not None:
                return dataclasses.replace(w, hook=b.hook)
        if not self.a.bound_hooks(f) and self.a.calls.callers(f):
            if self._witness_by_runs():
                w = self._sent_by_callers(f, packets)
                if w is not None:
                    return w
            for hook, comes in ([] if self._outside_entries(f, rule) else self._entries_at_hooks(f)):
                w = s.witness(packets & comes)
                if w is not None:
                    return dataclasses.replace(w, hook=hook)
        w = s.witness(packets)
        return None if w is None else dataclasses.replace(w, filter=f.name)

    def _witness_by_runs(self) -> bool:
        """Whether the device is big enough (`WITNESS_BY_RUNS` rules in its deciding filters)
        for chains' witnesses to be looked for by concrete runs before their entries."""
        got = self._by_runs
        if got is None:
            got = self._by_runs = sum(len(f.rules) for f in self.a.device.filters
                                      if deciding(f)) >= WITNESS_BY_RUNS
        return got

    def _outside_entries(self, f: m.Filter, rule: m.Rule | None) -> bool:
        """Whether the boxes show that no packet of the rule comes to f (only asked when
        f's entries are not computed yet: the answer is the same, the sets then cost less)."""
        if rule is None or f.discipline != "first-match" or self.a.entering.computed(f):
            return False
        i = next((k for k, r in enumerate(f.rules) if r is rule), None)
        return i is not None and self.a.prober.of(f).outside_entries(i)

    def _sent_by_callers(self, f: m.Filter, packets: Node) -> m.Packet | None:
        """A packet of `packets` shown to come to chain f from a hook: along each caller path
        (up to `_WITNESS_PATHS`), the set's packets that the path's jumps match, at the
        root's bindings; the first whose run from the root jumps to f. A run that ends
        elsewhere names the rule that took the packet: the next candidate leaves its
        packets out (up to `_WITNESS_RUNS` runs in all)."""
        s = self.a.space
        runs = 0
        for root, jumps in self._caller_paths(f):
            along = packets & self.a.family_set(root)
            for j in jumps:
                along = along & s.match(j.match)
                if along == s.false:
                    break
            for b in self._bindings_of(root):
                left = along & self.binding_set(b)
                while runs < _WITNESS_RUNS:
                    w = s.witness(left)
                    if w is None:
                        break
                    runs += 1
                    took = self._run_taker(root, w, jumps)
                    if took is None:
                        return dataclasses.replace(w, hook=b.hook)
                    # without the packets of the rule that decided it; where that leaves
                    # none (a catch-all in a side chain), without those of the rule by
                    # which it left the path
                    cut = [left & ~s.match(r.match) for r in took]
                    left = next((c for c in cut if c != s.false), s.false)
        return None

    def _run_taker(self, root: m.Filter, w: m.Packet, jumps: list[m.Rule]) -> list[m.Rule] | None:
        """The packet's run from root (the branch trace reports: its `holds`, every other
        opaque condition failing): None when it takes the path's last jump; else the rule
        that decided it and the rule where it left the path (the last rule it met in a
        chain of the path that is not one of the path's jumps), those there are (none
        without an exact run)."""
        names = self.a.space.ifaces
        # (narrowing by boxes reads interfaces as the domain's representatives)
        p = dataclasses.replace(w, in_iface=names.representative(names.element_of(w.in_iface)),
                                out_iface=names.representative(names.element_of(w.out_iface)))
        run = self.a.prober.run(root, p)
        if run is None:
            return []
        steps = run[1]
        if any(st.rule is jumps[-1] for st in steps):
            return None
        path = {filter_key(root)} | {filter_key(t) for t in (self.a.calls.target(root, j) for j in jumps[:-1])
                                     if t is not None}
        left_at = None
        for st in steps:
            if st.rule is not None and (st.table, st.filter) in path and not any(st.rule is j for j in jumps):
                left_at = st.rule
        decided = steps[-1].rule if steps else None
        return [r for r in dict.fromkeys((decided, left_at)) if r is not None]

    def _caller_paths(self, f: m.Filter) -> Iterator[tuple[m.Filter, list[m.Rule]]]:
        """(bound filter, the jumps from it down to f in order) for the first caller paths of
        f, depth first, callers in file order; a filter is not met twice on one path."""
        found = 0
        stack: list[tuple[m.Filter, list[m.Rule], frozenset]] = [(f, [], frozenset({filter_key(f)}))]
        steps = 0
        # (the walk is bounded too: chains called from thousands of places, deep trees)
        while stack and found < _WITNESS_PATHS and steps < 16 * _WITNESS_PATHS:
            g, jumps, on_path = stack.pop()
            steps += 1
            if jumps and self.a.bound_hooks(g):
                found += 1
                yield g, jumps
                continue
            for h, r in reversed(self.a.calls.callers(g)):
                if filter_key(h) not in on_path and self.a.calls.loop_at(h, r) is None:
                    stack.append((h, [r, *jumps], on_path | {filter_key(h)}))

    def _entries_at_hooks(self, f: m.Filter) -> Iterator[tuple[str, Node]]:
        """(hook, the packets that come to chain f there): its entries (the packets its
        callers send it) at each hook above it (on iptables the interfaces tell the hook,
        `hook_set`)."""
        entry = self.a.entry(f)
        if entry == self.a.space.false:
            return
        hooks = dict.fromkeys(b.hook for g in self._bound_ancestors(f) for b in self._bindings_of(g))
        for hook in hooks:
            if hook in m.HOST_HOOKS:
                yield hook, entry & self.binding_set(m.Binding("", hook))

    def _bound_ancestors(self, f: m.Filter) -> list[m.Filter]:
        """The bound filters from which jumps lead to f (f itself when it is bound), in
        the device's order."""
        got = self._ancestors_bound.get(filter_key(f))
        if got is not None:
            return got
        seen = {filter_key(f)}
        stack = [f]
        found: dict[tuple[str, str], m.Filter] = {}
        while stack:
            g = stack.pop()
            if self.a.bound_hooks(g):
                found[filter_key(g)] = g
            for h, _r in self.a.calls.callers(g):
                if filter_key(h) not in seen:
                    seen.add(filter_key(h))
                    stack.append(h)
        got = self._ancestors_bound[filter_key(f)] = [g for g in self.a.device.filters if filter_key(g) in found]
        return got
