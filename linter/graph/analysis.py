"""`Analysis`: the set-level semantics of one device (BDDs), computed on demand and
memoised: per filter, the partition of all packets into accepted, dropped, rejected,
returned; per rule, the packets that reach it, that it decides, and what the rest of its
filter would do to them; the packets that enter each filter; witnesses that `trace`
replays."""

from __future__ import annotations

from typing import Container, Iterable

from .. import graph as package
from .. import model as m
from ..boxes import OverlapIndex
from ..space import Node, PacketSpace, order_for
from .calls import calls_of
from .concrete import FATES, VERDICTS
from .entries import Entries
from .facts import LocalFacts, RuleFacts, _local_hit, last_match_sets
from .outcome import Outcome, _Lazy, _Meet, _union
from .tracing import deciding
from .witness import Witnesses


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
        self._in_progress: set[tuple[str, str]] = set()
        self._rest: dict[tuple[str, str], Node | _Lazy] = {}
        self._local: dict[tuple[str, str], bool] = {}
        self._overlaps: dict[tuple[str, str], OverlapIndex] = {}
        self._universes: dict[int | None, Node] = {}
        # where the jumps lead, and the jumps that close a loop (never followed, so that
        # every walk over the jumps ends: see _run); shared with `trace`
        self.calls = calls_of(device)
        self.entering = Entries(self)
        self.witnesses = Witnesses(self)

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
        """`CallGraph.target`: the filter a jump calls, None for a loop's or an undefined one."""
        return self.calls.target(f, rule)

    def loop_at(self, f: m.Filter, rule: m.Rule) -> m.JumpLoop | None:
        """`CallGraph.loop_at`: the loop this jump closes, if it closes one."""
        return self.calls.loop_at(f, rule)

    def callers(self, f: m.Filter) -> list[tuple[m.Filter, m.Rule]]:
        """`CallGraph.callers`: the rules that jump or go to f, with their filters."""
        return self.calls.callers(f)

    def topological(self) -> list[m.Filter]:
        """`CallGraph.topological`: every filter, callers first."""
        return self.calls.topological()

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
        return self.calls.post_order(f, skip.__contains__)

    def _not_computed(self, f: m.Filter) -> list[m.Filter]:
        """f and the filters it calls (through any number of jumps) whose outcome is not
        computed yet, callees before callers."""
        return self.calls.post_order(f, lambda k: k in self._outcomes)

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
            self.entering.jump_reach[k] = jumps
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
        loop = self.calls.loop_at(f, rule)
        t = self.calls.target(f, rule)
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
        """For every filter, the packets that can enter it (`Entries.all`)."""
        return self.entering.all()

    def entry(self, f: m.Filter) -> Node:
        """The packets that can enter f (`Entries.of`)."""
        return self.entering.of(f)

    def witness(self, f: m.Filter, packets: Node, rule: m.Rule | None = None) -> m.Packet | None:
        """A packet of `packets` that `trace` replays as it is (`Witnesses.witness`)."""
        return self.witnesses.witness(f, packets, rule)

    def witness_outside(self, f: m.Filter, packets: Node) -> m.Packet | None:
        """A packet of `packets` at a hook whose filters lead to f (`Witnesses.witness_outside`)."""
        return self.witnesses.witness_outside(f, packets)

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
