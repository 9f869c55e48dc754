"""`Analysis`: the set-level semantics of one device (BDDs), computed on demand and
memoised: per filter, the partition of all packets into accepted, dropped, rejected,
returned; per rule, the packets that reach it, that it decides, and what the rest of its
filter would do to them; the packets that enter each filter; witnesses that `trace`
replays."""

from __future__ import annotations

import dataclasses
from typing import Container, Iterable, Iterator

from .. import graph as package
from .. import model as m
from ..boxes import OverlapIndex
from ..space import Node, PacketSpace, order_for
from .concrete import FATES, VERDICTS
from .facts import LocalFacts, RuleFacts, _local_hit, last_match_sets
from .outcome import Outcome, _Lazy, _Meet, _union
from .tracing import deciding, hook_filters


# From this many rules in a device's deciding filters, a chain's witness is looked for by
# concrete runs along its caller paths before its entries are computed (Analysis.witness):
# the box layer's size (probe.MIN_RULES), where the checks no longer compute the entries
WITNESS_BY_RUNS = 20_000
_WITNESS_PATHS = 8  # caller paths a chain's witness is looked for along (Analysis.witness)
_WITNESS_RUNS = 4  # candidates a chain's witness tries, each without the rules that took the one before
# rounds of `Analysis._through_loops` before it gives up on precision (a loop's chains are
# then taken as entered by every packet): a precision bound, not one on the input
_LOOP_ROUNDS = 4


class Analysis:
    """Set-level semantics of one device, computed on demand and memoised."""

    def __init__(self, device: m.Device, space: PacketSpace | None = None, valid_only: bool = False) -> None:
        self.device = device
        if space is None:
            space = PacketSpace(device.interface_names(), order=order_for(device))
        self.space = space
        # see filter_universe
        self.valid_only = valid_only
        self._outcomes: dict[tuple[str, str], Outcome] = {}
        self._facts: dict[tuple[str, str], list[RuleFacts]] = {}
        self._entries: dict[tuple[str, str], Node] | None = None
        self._entry: dict[tuple[str, str], Node] = {}  # per filter, see entry()
        self._topo_rank: dict[tuple[str, str], int] | None = None
        self._in_progress: set[tuple[str, str]] = set()
        self._rest: dict[tuple[str, str], Node | _Lazy] = {}
        self._local: dict[tuple[str, str], bool] = {}
        self._overlaps: dict[tuple[str, str], OverlapIndex] = {}
        # per filter: (jump rule, its match, the packets that reach it), for entries()
        self._jump_reach: dict[tuple[str, str], list[tuple[m.Rule, Node, Node]]] = {}
        self._universes: dict[int | None, Node] = {}
        # for witnesses, per filter: the bindings trace evaluates it at, its bound ancestors
        self._trace_bindings: dict[tuple[str, str], list[m.Binding]] = {}
        self._ancestors_bound: dict[tuple[str, str], list[m.Filter]] = {}
        self._binding_sets: dict[m.Binding, Node] = {}
        self._callers: dict[tuple[str, str], list[tuple[m.Filter, m.Rule]]] | None = None
        self._callees: dict[tuple[str, str], list[m.Filter]] = {}
        # Device.filter's lookup, as two dicts (a scan of thousands of filters per jump
        # would make a long chain of jumps quadratic)
        self._by_key: dict[tuple[str, str], m.Filter] = {}
        self._by_name: dict[str, m.Filter] = {}
        for f in device.filters:
            self._by_key.setdefault((f.table, f.name), f)
            self._by_name.setdefault(f.name, f)
        # the jumps that close a loop of chains (model.jump_loops, the same ones the parser
        # reports): never followed, so that every walk over the jumps ends (see _run)
        self.loops: dict[tuple[str, str, int], m.JumpLoop] = {
            (lp.table, lp.filter, id(lp.rule)): lp for lp in m.jump_loops(device.filters)}

    # -------------------------------------------------------------- basics

    @property
    def prober(self):
        """The box layer's proofs for this device (`linter.probe`), made when first asked."""
        p = self.__dict__.get("_prober")
        if p is None:
            from ..probe import Prober

            p = self.__dict__["_prober"] = Prober(self)
        return p

    def key(self, f: m.Filter) -> tuple[str, str]:
        return (f.table, f.name)

    def family_set(self, f: m.Filter) -> Node:
        fam = f.family or self.device.family
        return self.space.family(fam) if fam else self.space.true

    def filter_universe(self, f: m.Filter) -> Node:
        """The packets of the filter's address family that every per-rule set starts from.

        By default every assignment of the engine's bits, valid packet or not: the union
        of many rules' sets (a filter's fates, which policy evaluation asks for) stays
        smaller without the universe's constraints, and every question asked of the sets
        (emptiness, equality, witnesses) applies the universe. With `valid_only` (the
        checks), only valid packets (the space's universe): a set derived from the per-rule
        sets by `&` and `& ~` then lies inside the universe, so it is empty iff it is
        `false` (`RuleFacts.hit_empty`), and the checks ask that of every rule."""
        fam = f.family or self.device.family
        u = self._universes.get(fam)
        if u is None:
            u = self._universes[fam] = self.family_set(f)
            if self.valid_only:
                u = self._universes[fam] = u & self.space.universe
        return u

    def hook_set(self, hook: str) -> Node:
        """Packets that can be seen at a hook of the host (which interfaces they have)."""
        s = self.space
        none_in = s.iface(m.IN_IFACE, ("",))
        none_out = s.iface(m.OUT_IFACE, ("",))
        if hook == m.TO_HOST:
            return ~none_in & none_out
        if hook == m.FROM_HOST:
            return none_in & ~none_out
        if hook == m.THROUGH:
            return ~none_in & ~none_out
        return s.true

    def bound_hooks(self, f: m.Filter) -> list[str]:
        return [b.hook for b in self.device.bindings if b.filter == f.name and deciding(f)]

    def target(self, f: m.Filter, rule: m.Rule) -> m.Filter | None:
        """The filter a jump or goto calls: None when it is not defined, and for a jump
        that closes a loop (which is not followed: see `loop_at`)."""
        if self.loops and (f.table, f.name, id(rule)) in self.loops:
            return None
        return self.callee(f, rule)

    def callee(self, f: m.Filter, rule: m.Rule) -> m.Filter | None:
        """The filter named by a jump or goto, loop or not (as `Device.filter` finds it)."""
        name = rule.action.target or ""
        return self._by_key.get((f.table, name)) if f.table else self._by_name.get(name)

    def loop_at(self, f: m.Filter, rule: m.Rule) -> m.JumpLoop | None:
        """The loop this jump closes, if it closes one."""
        return self.loops.get((f.table, f.name, id(rule))) if self.loops else None

    def loop_var(self, loop: m.JumpLoop) -> Node:
        """The opaque condition "the packet does not come back from this loop's jump"."""
        o = loop.rule.origin
        return self.space.opaque_var(f"jump-loop@{o.path}:{o.line}",
                                     f"the jump loop {loop.describe()} (line {o.line})")

    # -------------------------------------------------------------- per filter

    def outcome(self, f: m.Filter) -> Outcome:
        """The fate of every packet entering f (independent of how it got there)."""
        k = self.key(f)
        hit = self._outcomes.get(k)
        if hit is not None:
            return hit
        # the chains f calls first, deepest first, with a stack of our own: `_run` then
        # finds their outcomes computed, and a chain of thousands of jumps needs no
        # recursion. A local filter's per-rule sets are small: keep them for the checks,
        # which would otherwise compute them again (the driver releases them after).
        for g in self._not_computed(f):
            self._run(g, keep_facts=self.is_local(g))
        return self._outcomes[k]

    def called_first(self, f: m.Filter, skip: Container = ()) -> list[m.Filter]:
        """f and every filter it calls (through any number of jumps, not through those that
        close a loop), each after the filters it calls; the filters whose keys are in `skip`
        are left out, with what only they lead to."""
        return self._post_order(f, skip.__contains__)

    def _not_computed(self, f: m.Filter) -> list[m.Filter]:
        """f and the filters it calls (through any number of jumps) whose outcome is not
        computed yet, callees before callers."""
        return self._post_order(f, lambda k: k in self._outcomes)

    def _post_order(self, f: m.Filter, skip) -> list[m.Filter]:
        """f and the filters its jumps reach (`skip(key)` ones left out, with what only they
        reach), callees before callers, with a stack of our own. The jumps without those
        that close a loop form no loop."""
        out: list[m.Filter] = []
        seen = {self.key(f)}
        stack = [(f, iter(self.callees(f)))]
        while stack:
            g, todo = stack[-1]
            t = next(todo, None)
            if t is None:
                stack.pop()
                out.append(g)
                continue
            tk = self.key(t)
            if tk in seen or skip(tk):
                continue
            seen.add(tk)
            stack.append((t, iter(self.callees(t))))
        return out

    def facts(self, f: m.Filter, few: bool = False) -> "list[RuleFacts] | LocalFacts":
        """Per rule of f, its sets (`RuleFacts`). `few`: the caller will ask about a few
        rules only; a local filter's (`is_local`) are then computed rule by rule when asked
        (`LocalFacts`), each with the earlier rules it rests on, not the whole filter's.
        Otherwise one pass over the filter computes them all (cheaper for all of them)."""
        k = self.key(f)
        if k not in self._facts:
            if few and self.is_local(f):
                self._facts[k] = LocalFacts(self, f)
            else:
                self._run(f, keep_facts=True)
        return self._facts[k]

    def release(self, f: m.Filter) -> None:
        """Forget f's per-rule sets (its outcome, which callers need, stays)."""
        self._facts.pop(self.key(f), None)
        self._overlaps.pop(self.key(f), None)

    def _run(self, f: m.Filter, keep_facts: bool = True) -> None:
        s = self.space
        k = self.key(f)
        if k in self._in_progress:
            raise _Cycle(k)
        self._in_progress.add(k)
        try:
            universe = self.filter_universe(f)
            # the pieces of each fate are united at the end, pairwise: adding each piece to
            # a growing set would cost the set's size every time
            parts: dict[str, list[Node]] = {k2: [] for k2 in FATES}
            rem = universe
            facts: list[RuleFacts] = []
            if f.discipline == "last-match":
                self._run_last(f, universe, facts)
                return
            jumps: list[tuple[m.Rule, Node, Node]] = []
            self._jump_reach[k] = jumps
            local = self.is_local(f)
            # for the local way below: per rule, its match and the packets it decided
            # (None while not computed or when it decides nothing)
            index = self.overlaps(f) if local else None
            mts: list[Node] = []
            dec: list[Node | None] = []
            earlier: list[Node] = []
            for i, rule in enumerate(f.rules):
                mt = s.match(rule.match)
                if local:
                    mts.append(mt)
                    dec.append(None)
                    hit = _local_hit(s, universe, index, i, mts, dec)
                    reach = None
                else:
                    hit = rem & mt
                    reach = rem
                decided, pieces, called = self._effect(f, rule, hit)
                for fate, piece in pieces:
                    parts[fate].append(piece)
                if called:
                    jumps.append((rule, mt, hit if local else rem))
                if keep_facts:
                    facts.append(RuleFacts(rule, mt, reach, decided, hit))
                if decided != s.false:
                    if local:
                        dec[i] = decided
                        earlier.append(decided)
                    else:
                        rem = rem & ~decided
            dk = _default_fate(f)
            if local:
                decided_sets = earlier
                rest = _Lazy(lambda: universe & ~_union(s, decided_sets))
                parts[dk].append(rest)
            else:
                rest = rem
                parts[dk].append(rem)
            self._outcomes[k] = Outcome(s, parts)
            if keep_facts:
                self._facts[k] = facts
            self._rest[k] = rest
        finally:
            self._in_progress.discard(k)

    def _effect(self, f: m.Filter, rule: m.Rule, hit: Node) -> tuple[Node, list[tuple[str, object]], bool]:
        """What a rule of a first-match filter does to the packets `hit` that get to it and
        match it: (the packets it decides, (fate, piece) for its filter's outcome, whether
        it calls a chain or closes a loop)."""
        s = self.space
        kind = rule.action.kind
        if kind in ("accept", "drop", "reject", "return"):
            return hit, [(kind, hit)], False
        if kind == "unknown":
            return s.false, [("unknown", hit)], False
        if kind not in ("jump", "goto"):
            return s.false, [], False
        loop = self.loop_at(f, rule)
        t = self.target(f, rule)
        o = None
        if t is not None:
            try:
                o = self.outcome(t)
            except _Cycle:  # (defensive: the jumps without loops form none)
                o = None
        called = t is not None or loop is not None
        if loop is not None:
            # a jump that closes a loop (the kernel refuses the table): each packet may come
            # back from it, or be decided somewhere round the loop in a way fwlint does not
            # follow. An opaque condition of its own says which: what rests on it is
            # approximate (`may`/`must`).
            gone = hit & self.loop_var(loop)
            return gone, [("unknown", gone)], called
        if o is None:
            return s.false, [("unknown", hit)], called  # undefined target: not modelled
        if hit == s.false:
            return s.false, [], called
        pieces: list[tuple[str, object]] = [(fate, _Meet(hit, o, fate))
                                            for fate in ("accept", "drop", "reject", "unknown")]
        if kind == "jump":
            return hit & ~o.ret, pieces, called
        pieces.append(("return", hit & o.ret))
        return hit, pieces, called

    def _run_last(self, f: m.Filter, universe: Node, facts: list[RuleFacts]) -> None:
        """Last match (pf): see `last_match_sets`."""
        k = self.key(f)
        out, rest, fs = last_match_sets(self.space, f.rules, universe, f.default.kind)
        facts.extend(fs)
        self._outcomes[k] = Outcome(self.space, {kind: [v] for kind, v in out.items()})
        self._facts[k] = facts
        self._rest[k] = rest

    def rest(self, f: m.Filter) -> Node:
        """Packets that reach the end of f (its default decides them)."""
        self.outcome(f)
        r = self._rest[self.key(f)]
        if isinstance(r, _Lazy):
            r = self._rest[self.key(f)] = r()
        return r

    def overlaps(self, f: m.Filter) -> OverlapIndex:
        """Which rules of f can overlap which (by their boxes)."""
        k = self.key(f)
        idx = self._overlaps.get(k)
        if idx is None:
            idx = self._overlaps[k] = OverlapIndex([r.match for r in f.rules])
        return idx

    def is_local(self, f: m.Filter) -> bool:
        """Whether f's sets are computed rule by rule from the rules that overlap ("local")
        rather than from the packets that get past each rule.

        A chain that calls many chains (a built-in chain dispatching to hundreds of user
        chains) accumulates everything they decide in the set of packets that get past
        its rules, and every rule that does not test the first variable of the order costs
        a pass over that set: quadratic. The local way costs a small intersection per pair
        of rules and never builds that set. Chains with few calls keep the other way,
        cheaper when rules overlap little and the chain is short."""
        k = self.key(f)
        v = self._local.get(k)
        if v is None:
            calls = sum(1 for r in f.rules if r.action.kind in ("jump", "goto"))
            v = self._local[k] = f.discipline == "first-match" and calls >= package.LOCAL_CALLS
        return v

    # -------------------------------------------------------------- context

    def entries(self) -> dict[tuple[str, str], Node]:
        """For every filter, the packets that can enter it: all packets at its hooks for
        bound filters, the packets its callers send it for the others."""
        if self._entries is not None:
            return self._entries
        s = self.space
        ent: dict[tuple[str, str], Node] = {}
        for f in self.device.filters:
            hooks = self.bound_hooks(f)
            if hooks:
                e = s.false
                for h in hooks:
                    e |= self.hook_set(h)
                ent[self.key(f)] = e & s.universe & self.family_set(f)
        # propagate through jumps, callers before callees: one pass over the jumps without
        # loops (they form none, and `topological` orders them)
        order = self.topological()
        for f in order:
            self._propagate(f, ent, loops=False)
        if self.loops:
            self._through_loops(order, ent)
        self._entries = ent
        return ent

    def entry(self, f: m.Filter) -> Node:
        """The packets that can enter f: `entries()[key]` (false when none), computed from f's
        callers only, and from each caller the rule that calls f only (`LocalFacts`), when
        the device has no jump loop and every caller is a local filter; the whole device's
        `entries()` otherwise. Same sets (the same formula, BDDs canonical)."""
        k = self.key(f)
        if self._entries is not None:
            return self._entries.get(k, self.space.false)
        got = self._entry.get(k)
        if got is not None:
            return got
        if self.loops:
            return self.entries().get(k, self.space.false)
        # the callers' entries first (callers of callers ..., without recursion)
        order = self._ancestors(f)
        if order is None:
            return self.entries().get(k, self.space.false)
        s = self.space
        for g in order:
            gk = self.key(g)
            if gk in self._entry:
                continue
            e = s.false
            hooks = self.bound_hooks(g)
            if hooks:
                for h in hooks:
                    e |= self.hook_set(h)
                e = e & s.universe & self.family_set(g)
            for h, r in self.callers(g):
                if self.loop_at(h, r) is not None or self.callee(h, r) is not g:
                    continue
                eh = self._entry[self.key(h)]
                if eh == s.false:
                    continue
                fact = self.facts(h, few=True)[r.index]
                e = e | ((fact.match & eh) & fact.hit)
            self._entry[gk] = e
        return self._entry[k]

    def _ancestors(self, f: m.Filter) -> list[m.Filter] | None:
        """f and the filters whose jumps lead to it, callers first; None when one of them is
        not a local first-match filter (its jumps' sets are kept only by `_run`) or a rule
        is not where its index says."""
        seen: dict[tuple[str, str], m.Filter] = {}
        stack = [f]
        while stack:
            g = stack.pop()
            if self.key(g) in seen:
                continue
            seen[self.key(g)] = g
            for h, r in self.callers(g):
                if self.key(h) in seen:
                    continue
                if not self.is_local(h) or not (0 <= r.index < len(h.rules) and h.rules[r.index] is r):
                    return None
                stack.append(h)
        if self._topo_rank is None:
            self._topo_rank = {self.key(g): n for n, g in enumerate(self.topological())}
        return sorted(seen.values(), key=lambda g: self._topo_rank[self.key(g)])

    def _propagate(self, f: m.Filter, ent: dict[tuple[str, str], Node], loops: bool) -> bool:
        """Add the packets f sends through its jumps (or only through those that close a
        loop) to the entries of the chains they call; whether an entry grew."""
        s = self.space
        e = ent.get(self.key(f))
        if e is None:
            ent[self.key(f)] = s.false
            return False
        if e == s.false or not any(r.action.kind in ("jump", "goto") for r in f.rules):
            return False
        self.outcome(f)  # records the packets that reach each jump
        grew = False
        for rule, mt, reach in self._jump_reach.get(self.key(f), ()):
            if (self.loop_at(f, rule) is not None) != loops:
                continue
            t = self.callee(f, rule)
            if t is None:
                continue
            tk = self.key(t)
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
        s = self.space
        for f in self._reached_from(self._loop_targets()):
            ent[self.key(f)] = s.universe & self.family_set(f)

    def _loop_targets(self) -> list[m.Filter]:
        out = []
        for lp in self.loops.values():
            t = self._by_key.get((lp.table, lp.cycle[0])) if lp.table else self._by_name.get(lp.cycle[0])
            if t is not None:
                out.append(t)
        return out

    def _reached_from(self, roots) -> list[m.Filter]:
        """The roots and every filter their jumps lead to."""
        seen: dict[tuple[str, str], m.Filter] = {}
        stack = list(roots)
        while stack:
            f = stack.pop()
            if self.key(f) in seen:
                continue
            seen[self.key(f)] = f
            stack.extend(self.callees(f))
        return list(seen.values())

    def topological(self) -> list[m.Filter]:
        """Every filter, callers before the filters they call (not through a jump that closes
        a loop: `model.jump_loops`).

        A depth-first walk with a stack of its own: no recursion limit for deep call chains,
        and no recursive closure (a closure that refers to itself and to the analysis is a
        reference cycle: the analysis, its sets and their BDD manager would be freed by the
        garbage collector in any order, and dd complains when the manager goes first)."""
        seen: set[tuple[str, str]] = set()
        out: list[m.Filter] = []
        for root in self.device.filters:
            if self.key(root) in seen:
                continue
            on_path = {self.key(root)}
            # (filter, iterator over the filters it calls)
            stack = [(root, iter(self.callees(root)))]
            while stack:
                f, todo = stack[-1]
                t = next(todo, None)
                if t is None:
                    stack.pop()
                    on_path.discard(self.key(f))
                    seen.add(self.key(f))
                    out.append(f)
                    continue
                tk = self.key(t)
                if tk in seen or tk in on_path:
                    continue
                on_path.add(tk)
                stack.append((t, iter(self.callees(t))))
        out.reverse()  # callers first
        return out

    def callees(self, f: m.Filter) -> list[m.Filter]:
        """The filters f's jumps and gotos call, in rule order (not through a jump that
        closes a loop: these edges form no loop)."""
        k = self.key(f)
        out = self._callees.get(k)
        if out is None:
            out = self._callees[k] = []
            for r in f.rules:
                if r.action.kind in ("jump", "goto"):
                    t = self.target(f, r)
                    if t is not None:
                        out.append(t)
        return out

    def callers(self, f: m.Filter) -> list[tuple[m.Filter, m.Rule]]:
        """The rules that jump or go to f (with their filters), in file order."""
        if self._callers is None:
            self._callers = {}
            for g in self.device.filters:
                for r in g.rules:
                    if r.action.kind in ("jump", "goto") and r.action.target:
                        self._callers.setdefault((g.table, r.action.target), []).append((g, r))
        return self._callers.get(self.key(f), [])

    # -------------------------------------------------------------- witnesses

    def witness_outside(self, f: m.Filter, packets: Node) -> m.Packet | None:
        """A packet of `packets` taken at a hook whose filters lead to f (f's callers, their
        callers, ...): for a finding that says none of these packets is ever sent to f, a
        packet whose trace shows it. None when no such hook sees any of them."""
        s = self.space
        for g in self._bound_ancestors(f):
            for b in self._bindings_of(g):
                w = s.witness(packets & self.binding_set(b) & self.family_set(g))
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
        s = self.space
        if b.hook not in ("in", "out"):
            got = self.hook_set(b.hook) & s.universe
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
        got = self._trace_bindings.get(self.key(f))
        if got is None:
            got = self._trace_bindings[self.key(f)] = [] if not deciding(f) else [
                b for b in self.device.bindings if b.filter == f.name
                and (hook_filters(self.device, b.hook, b.interface, b.family)[:1] or [None])[0] is f]
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
        s = self.space
        for b in self._bindings_of(f):
            w = s.witness(packets & self.binding_set(b) & self.family_set(f))
            if w is not None:
                return dataclasses.replace(w, hook=b.hook)
        if not self.bound_hooks(f) and self.callers(f):
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
        got = self.__dict__.get("_by_runs")
        if got is None:
            got = self.__dict__["_by_runs"] = sum(len(f.rules) for f in self.device.filters
                                                  if deciding(f)) >= WITNESS_BY_RUNS
        return got

    def _outside_entries(self, f: m.Filter, rule: m.Rule | None) -> bool:
        """Whether the boxes show that no packet of the rule comes to f (only asked when
        f's entries are not computed yet: the answer is the same, the sets then cost less)."""
        if rule is None or f.discipline != "first-match" or self._entries is not None \
                or self.key(f) in self._entry:
            return False
        i = next((k for k, r in enumerate(f.rules) if r is rule), None)
        return i is not None and self.prober.of(f).outside_entries(i)

    def _sent_by_callers(self, f: m.Filter, packets: Node) -> m.Packet | None:
        """A packet of `packets` shown to come to chain f from a hook: along each caller path
        (up to `_WITNESS_PATHS`), the set's packets that the path's jumps match, at the
        root's bindings; the first whose run from the root jumps to f. A run that ends
        elsewhere names the rule that took the packet: the next candidate leaves its
        packets out (up to `_WITNESS_RUNS` runs in all)."""
        s = self.space
        runs = 0
        for root, jumps in self._caller_paths(f):
            along = packets & self.family_set(root)
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
        names = self.space.ifaces
        # (narrowing by boxes reads interfaces as the domain's representatives)
        p = dataclasses.replace(w, in_iface=names.representative(names.element_of(w.in_iface)),
                                out_iface=names.representative(names.element_of(w.out_iface)))
        run = self.prober.run(root, p)
        if run is None:
            return []
        steps = run[1]
        if any(st.rule is jumps[-1] for st in steps):
            return None
        path = {self.key(root)} | {self.key(t) for t in (self.target(root, j) for j in jumps[:-1]) if t is not None}
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
        stack: list[tuple[m.Filter, list[m.Rule], frozenset]] = [(f, [], frozenset({self.key(f)}))]
        steps = 0
        # (the walk is bounded too: chains called from thousands of places, deep trees)
        while stack and found < _WITNESS_PATHS and steps < 16 * _WITNESS_PATHS:
            g, jumps, on_path = stack.pop()
            steps += 1
            if jumps and self.bound_hooks(g):
                found += 1
                yield g, jumps
                continue
            for h, r in reversed(self.callers(g)):
                if self.key(h) not in on_path and self.loop_at(h, r) is None:
                    stack.append((h, [r, *jumps], on_path | {self.key(h)}))

    def _entries_at_hooks(self, f: m.Filter) -> Iterator[tuple[str, Node]]:
        """(hook, the packets that come to chain f there): its entries (the packets its
        callers send it) at each hook above it (on iptables the interfaces tell the hook,
        `hook_set`)."""
        entry = self.entry(f)
        if entry == self.space.false:
            return
        hooks = dict.fromkeys(b.hook for g in self._bound_ancestors(f) for b in self._bindings_of(g))
        for hook in hooks:
            if hook in m.HOST_HOOKS:
                yield hook, entry & self.binding_set(m.Binding("", hook))

    def _bound_ancestors(self, f: m.Filter) -> list[m.Filter]:
        """The bound filters from which jumps lead to f (f itself when it is bound), in
        the device's order."""
        got = self._ancestors_bound.get(self.key(f))
        if got is not None:
            return got
        seen = {self.key(f)}
        stack = [f]
        found: dict[tuple[str, str], m.Filter] = {}
        while stack:
            g = stack.pop()
            if self.bound_hooks(g):
                found[self.key(g)] = g
            for h, _r in self.callers(g):
                if self.key(h) not in seen:
                    seen.add(self.key(h))
                    stack.append(h)
        got = self._ancestors_bound[self.key(f)] = [g for g in self.device.filters if self.key(g) in found]
        return got

    # -------------------------------------------------------------- what the rest does

    def fates_after(self, f: m.Filter, fates: Iterable[str] = FATES) -> list[dict[str, Node]]:
        """For each rule position i of a first-match filter: the fate of a packet that
        continues with rule i+1 (a dict accept/drop/reject/return/unknown -> set).

        Each fate's sets follow their own recurrence, so only the `fates` asked for are
        computed (the others are left out of the dicts)."""
        wanted = tuple(k for k in FATES if k in set(fates))
        s = self.space
        universe = self.filter_universe(f)
        if f.builtin or f.default.kind != "return":
            dk = f.default.kind if f.default.kind in VERDICTS else "drop"
        else:
            dk = "return"
        cur = {k: (universe if k == dk else s.false) for k in wanted}
        out: list[dict[str, Node]] = [cur] * len(f.rules)
        for i in range(len(f.rules) - 1, -1, -1):
            out[i] = cur
            rule = f.rules[i]
            kind = rule.action.kind
            if kind == "continue":
                continue
            mt = s.match(rule.match)
            if kind in ("accept", "drop", "reject", "return"):
                # ite(m, 1, x) = m | x and ite(m, 0, x) = x & ~m: cheaper, and most sets stay empty
                cur = {k: ((cur[k] | mt) if k == kind else (cur[k] & ~mt if cur[k] != s.false else cur[k]))
                       for k in wanted}
                continue
            loop = self.loop_at(f, rule) if kind in ("jump", "goto") else None
            if loop is not None:
                # (as in _run: the packets that do not come back have an unknown fate)
                gone = mt & self.loop_var(loop)
                cur = {k: ((cur[k] | gone) if k == "unknown" else cur[k] & ~gone) for k in wanted}
                continue
            t = self.target(f, rule) if kind in ("jump", "goto") else None
            o = None
            if t is not None:
                try:
                    o = self.outcome(t)
                except _Cycle:
                    o = None
            if o is None:  # unknown target or undefined chain: the rest is unknown
                cur = {k: ((cur[k] | mt) if k == "unknown" else (cur[k] & ~mt if kind != "unknown" else cur[k]))
                       for k in wanted}
                continue
            # ite(m, callee_k | (ret & cur_k), cur_k) = (m & callee_k) | (cur_k & ~(m & ~ret)):
            # only small sets meet the (large) fate sets
            callee = {"accept": o.accept, "drop": o.drop, "reject": o.reject, "unknown": o.unknown,
                      "return": s.false}
            if kind == "jump":
                keep = ~(mt & ~o.ret)
                cur = {k: (mt & callee[k]) | (cur[k] & keep) for k in wanted}
            else:
                callee["return"] = o.ret
                cur = {k: (mt & callee[k]) | (cur[k] & ~mt) for k in wanted}
        return out


class _Cycle(Exception):
    pass


def _default_fate(f: m.Filter) -> str:
    """The fate of the packets no rule of f decides: its default, or `return` for a user
    chain that gives them back to its caller."""
    if f.builtin or f.default.kind != "return":
        return f.default.kind if f.default.kind in ("accept", "reject", "return") else "drop"
    return "return"
