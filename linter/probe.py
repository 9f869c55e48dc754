"""Box-first answers: concrete packets that prove a rule has no FW001/FW002 finding.

Layer: engine (between `boxes` and the checks). Most rules of a real ruleset are fine: some
packet gets to them and matches them, their chain is entered by such a packet, and without
them some packet would get another fate. One concrete packet shows each of these, and the
concrete evaluator (`graph.exact_run`, the one `fwlint trace` uses, held to the set engine
by the property tests and to the kernel by the differential test) checks it in a walk over
a few hundred rules. The packet is found with interval arithmetic on boxes: the rule's box
without the boxes of the earlier rules that may take its packets (`boxes.subtract`), met
with what the chain's callers send it (the boxes of the jumps on a path from a hook).

Only the *absence* of a finding is ever proved here. A rule whose packet cannot be found
(it is shadowed, redundant, unentered, or the boxes are not enough: negations, opaque
conditions, fragmenting differences) goes to the exact engine (`graph.Analysis`), which
then builds the BDDs of its filter; a filter all of whose rules are proved never builds
them. The findings are therefore the exact engine's, byte for byte: the checks' tests run
with the box layer on and off (`ENABLED`) and compare whole reports.
"""

from __future__ import annotations

import weakref

from . import boxes as B
from . import model as m
from .boxpoints import _BUDGET, _exact, _meet_all, _point, _refined, _values
from .graph import exact_run, match_packet

ENABLED = True  # the equivalence tests switch the layer off to compare with the sets alone
# Devices with fewer rules in their deciding filters are left to the sets: there the sets
# cost less than the probes (measured: the TUM rulesets, 4,000-5,000 rules, 1.3 s with the
# sets alone and 2.4 s with the probes; 30,000 generated rules, 30.8 s and 24 s). The tests
# set it to 0 to hold the layer to the sets' answers on small files.
MIN_RULES = 20_000

_TRIES = 6  # runs per question
_SEEDS = 4  # boxes a question starts from
_PATHS = 4  # caller paths tried per chain
_WALK = 2048  # rules a walk up the callers (`may_enter`) looks at before it gives up
_SUMMARIES = 32  # chains `returns_within` looks into per walk
_DEPTH = 64  # jumps on a caller path
_DECIDING = ("accept", "drop", "reject", "return", "jump", "goto")
_ENDING = ("accept", "drop", "reject", "return", "goto")  # (a jump's chain may give packets back)


class Prober:
    """The box layer of one device (one per `graph.Analysis`): per filter, which rules are
    proved to get packets (`live`), to get them from the chain's callers (`entered`), and
    to matter (`useful`: without the rule some packet it decides gets another fate)."""

    def __init__(self, analysis) -> None:
        # (weakly: the analysis keeps its prober, and a cycle through the analysis's BDD
        # nodes would be freed by the garbage collector in any order, the manager perhaps first)
        self.a = weakref.proxy(analysis)
        self.device = analysis.device
        s = analysis.space
        # one concrete name per element of the interface domain: every other name behaves as
        # one of them, so boxes hold interfaces as sets of these (exact, wildcards included)
        self.names = [s.ifaces.representative(i) for i in range(len(s.ifaces.elements))]
        some = frozenset(n for n in self.names if n)
        none = frozenset({""})
        self.hook_box = {m.TO_HOST: {m.IN_IFACE: some, m.OUT_IFACE: none},
                         m.FROM_HOST: {m.IN_IFACE: none, m.OUT_IFACE: some},
                         m.THROUGH: {m.IN_IFACE: some, m.OUT_IFACE: some}}
        self._filters: dict[tuple[str, str], _FilterProbe] = {}
        self._entry: dict[tuple[str, str], list[tuple[m.Filter, list, list[m.Match], m.Rule | None]]] = {}
        self._entered: dict[tuple[str, str], bool] = {}
        self.steps = 0  # chains looked into by `returns_within` in this walk (`_SUMMARIES`)
        self.work = 0  # rules looked at in this walk (`_WALK`)
        self._open: dict[tuple[str, str], bool] = {}
        self._enabled: bool | None = None

    @property
    def enabled(self) -> bool:
        """Whether the checks ask this layer first (`ENABLED`, `MIN_RULES`)."""
        if not ENABLED:
            return False
        if self._enabled is None:
            from .graph import deciding

            n = sum(len(f.rules) for f in self.device.filters if deciding(f))
            self._enabled = n >= MIN_RULES
        return self._enabled

    def of(self, f: m.Filter) -> "_FilterProbe":
        k = self.a.key(f)
        fp = self._filters.get(k)
        if fp is None:
            fp = self._filters[k] = _FilterProbe(self, f)
        return fp

    def run(self, f: m.Filter, pkt: m.Packet, start: int = 0):
        """`graph.exact_run` of the packet, the rules its boxes rule out skipped."""
        values = _values(pkt)
        masks: dict[int, int | None] = {}
        a = self.a

        def narrow(flt: m.Filter) -> int | None:
            k = id(flt)
            if k not in masks:
                masks[k] = a.overlaps(flt).holding(values) if flt.discipline == "first-match" else None
            return masks[k]

        return exact_run(self.device, f, pkt, start, narrow)

    def box_of(self, table: str, name: str, rule: m.Rule):
        """The (refined) box of a rule named by a run's step, or None."""
        a = self.a
        f = a.calls.filter(table, name)
        if f is None or f.discipline != "first-match":
            return None
        i = rule.index if 0 <= rule.index < len(f.rules) and f.rules[rule.index] is rule else None
        if i is None:
            return None
        return self.of(f).own(i)

    def release(self, f: m.Filter) -> None:
        fp = self._filters.get(self.a.key(f))
        if fp is not None:
            fp.forget_boxes()

    # ------------------------------------------------------------------ entry regions

    def entry_regions(self, g: m.Filter) -> list[tuple[m.Filter, list, list[m.Match], m.Rule | None]]:
        """(filter bound at a hook, boxes, the jumps' matches, the last jump): packets of the boxes that
        enter that filter at its hook are likely to be sent to g: g itself when it is bound,
        else the jumps on a caller path (each without the earlier rules of its chain that
        may take its packets), up to `_PATHS` paths. The matches are for what boxes leave
        out (interface wildcards). A candidate, not a proof: the run checks it."""
        k = self.a.key(g)
        got = self._entry.get(k)
        if got is not None:
            return got
        out: list[tuple[m.Filter, list, list[m.Match], m.Rule | None]] = []
        paths = [[]] if self.a.bound_hooks(g) else self._paths(g)
        for path in paths:
            root = path[0][0] if path else g
            fam = root.family or self.device.family
            for hook in self.a.bound_hooks(root)[:2]:
                region = [dict(self.hook_box.get(hook, {}))]
                for h, j in path:
                    region = _meet_all(region, self.of(h).region(j), fam)
                    if not region:
                        break
                if region:
                    out.append((root, region, [h.rules[j].match for h, j in path],
                                path[-1][0].rules[path[-1][1]] if path else None))
        self._entry[k] = out
        return out

    def entered(self, g: m.Filter) -> bool:
        """Whether a packet is shown to come to g from a hook (True for a bound filter)."""
        k = self.a.key(g)
        got = self._entered.get(k)
        if got is None:
            got = self._entered[k] = bool(self.a.bound_hooks(g)) or self._entered_by_run(g)
        return got

    def _entered_by_run(self, g: m.Filter) -> bool:
        fp = self.of(g)
        if any(fp._done.get(i, (False, False, False))[1] for i in range(len(g.rules))):
            return True
        for root, region, via, last in self.entry_regions(g):
            for box in region[:_TRIES]:
                pkt = _point(box, root.family or self.device.family, via, self.names)
                if pkt is None or not all(match_packet(x, pkt) is True for x in via):
                    continue
                run = self.run(root, pkt)
                if run is not None and any(st.rule is last for st in run[1]):
                    return True
        return False

    def may_be_entered(self, g: m.Filter) -> bool:
        """`may_enter` for every packet, once per filter: False when the boxes show that no
        packet ever comes to g."""
        k = self.a.key(g)
        got = self._open.get(k)
        if got is None:
            got = self._open[k] = self.may_enter(g, [{}])
        return got

    def may_enter(self, g: m.Filter, boxes: list) -> bool:
        """Whether a packet of the boxes may come to g, as far as boxes tell: False only
        when none can (sound: from its hooks, and through each jump to it, the jump's box
        without the earlier rules of its chain that decide every packet of theirs, and so
        on up to the hooks). True when they cannot tell (jump loops, a caller that is not
        first-match, pieces that fragment past the budget, a walk past `_WALK` steps)."""
        a = self.a
        if a.calls.loops:
            return True
        self.steps = 0
        self.work = 0
        stack = [(g, boxes)]
        while stack:
            if self.work > _WALK:
                return True
            cur, bs = stack.pop()
            for hook in a.bound_hooks(cur):
                fam = cur.family or self.device.family
                if _meet_all(bs, [self.hook_box.get(hook, {})], fam, 1):
                    return True
            for h, r in a.callers(cur):
                if a.target(h, r) is not cur:
                    continue  # (a jump that closes a loop: none here)
                if h.discipline != "first-match":
                    return True
                met = self.of(h).reach_within(_index_of(h, r), bs)
                if met is None:
                    return True
                if met:
                    stack.append((h, met))
        return False

    def _paths(self, g: m.Filter) -> list[list[tuple[m.Filter, int]]]:
        """Caller paths from a bound filter down to g: [(filter, index of its jump)], root
        first; depth first, the first callers first, at most `_PATHS`."""
        a = self.a
        out: list[list[tuple[m.Filter, int]]] = []
        stack: list[tuple[m.Filter, list[tuple[m.Filter, int]]]] = [(g, [])]
        steps = 0
        while stack and len(out) < _PATHS and steps < 512:
            steps += 1
            cur, tail = stack.pop()
            if cur is not g and a.bound_hooks(cur):
                out.append(tail)
                continue
            if len(tail) >= _DEPTH:
                continue
            seen = {a.key(h) for h, _ in tail}
            nxt = []
            for h, r in a.callers(cur):
                if a.key(h) in seen or a.key(h) == a.key(g) or a.loop_at(h, r) is not None:
                    continue
                if h.discipline != "first-match" or a.target(h, r) is not cur:
                    continue
                nxt.append((h, [(h, _index_of(h, r))] + tail))
            stack.extend(reversed(nxt))
        return out


class _FilterProbe:
    """The proofs for the rules of one first-match filter, computed per rule when asked."""

    def __init__(self, prober: Prober, f: m.Filter) -> None:
        self.p = prober
        self.f = f
        self.family = f.family or prober.device.family
        self.index = prober.a.overlaps(f)
        self._own: list | None = None
        self._region: dict[int, list] = {}
        self._reach: dict[int, list] = {}
        self._done: dict[int, tuple[bool, bool, bool]] = {}

    def forget_boxes(self) -> None:
        self._own = None
        self._region.clear()
        self._reach.clear()

    # ------------------------------------------------------------------ boxes

    def own(self, i: int):
        """Rule i's box with its negated conditions taken out (None when that leaves no
        valid packet): a tighter bound on its match than `boxes.box_of`."""
        if self._own is None:
            self._own = [_UNSET] * len(self.f.rules)
        b = self._own[i]
        if b is _UNSET:
            b = self._own[i] = _refined(self.f.rules[i].match, self.index.normal_boxes()[i], self.family,
                                        self.p.names)
        return b

    def region(self, i: int) -> list:
        """Boxes of packets that likely get to rule i and match it: its box without the
        boxes of the earlier rules that end the filter for the packets they match (the box
        itself when the difference fragments). Candidates: the runs check them."""
        got = self._region.get(i)
        if got is None:
            rules = self.f.rules
            # (a rule with an opaque condition matches nothing in the runs, which take every
            # opaque condition as failing)
            got = self._without_earlier(i, lambda j: rules[j].action.kind in _ENDING and not _gated(rules[j].match))
            if not got and self.own(i) is not None:
                # boxes that only bound their rules (flags, rate limits) may cover it: the
                # packets the rules that surely decide leave (the run tells)
                got = self.reach_bound(i)
            self._region[i] = got
        return got

    def _without_earlier(self, i: int, which) -> list:
        """Rule i's box without the boxes of the earlier rules that meet it and `which(j)`
        selects ([its box] when the difference fragments past the budget; [] when it has no
        valid packet)."""
        own = self.own(i)
        if own is None:
            return []
        others = [o for j in self.index.before(i) if which(j) and (o := self.own(j)) is not None]
        got = B.subtract(own, others, self.family, _BUDGET)
        return [own] if got is None else got

    def reach_bound(self, i: int) -> list:
        """Boxes holding every packet that gets to rule i and matches it: its box without
        the boxes of the earlier rules that decide every packet of theirs that gets to them
        (verdicts, RETURN, gotos; boxes that are their matches exactly)."""
        got = self._reach.get(i)
        if got is None:
            got = self._reach[i] = self._without_earlier(i, self._simple)
        return got

    def reach_within(self, i: int, boxes: list) -> list | None:
        """Boxes holding every packet of the boxes that gets to rule i and matches it: the
        boxes met with rule i's, without the boxes of the earlier rules that surely take
        every packet of theirs (`_takes_all`). Started from a small region, the difference
        fragments little, where the whole box of a broad jump would. None past the budget."""
        own = self.own(i)
        if own is None:
            return []
        met = _meet_all(boxes, [own], self.family, _BUDGET + 1)
        if len(met) > _BUDGET:
            return None
        # the earlier rules whose boxes meet the (small) region, found by the index's
        # buckets: far fewer than those that meet a broad rule i
        for j in sorted({j for b in met for j in self.index.meeting(b) if j < i}):
            if not met:
                break
            met = self._past(j, met)
            if met is None:
                return None
        return met

    def _past(self, j: int, met: list) -> list | None:
        """The boxes without rule j's box when rule j surely takes every packet of theirs
        that gets to it and matches it; else the boxes as they are."""
        self.p.work += 1
        oj = self.own(j)
        if oj is None or not any(B.boxes_meet(b, oj) for b in met):
            return met
        if self._simple(j) or self._keeps(j, met):
            return B.subtract_all(met, oj, self.family, _BUDGET)
        return met

    def _keeps(self, j: int, met: list) -> bool:
        """Whether rule j is a jump (its match exactly its box) whose chain gives back none
        of the packets of the boxes it matches."""
        rule = self.f.rules[j]
        a = self.p.a
        if rule.action.kind != "jump" or not _exact(rule.match, self.family) or a.loop_at(self.f, rule) is not None:
            return False
        t = a.target(self.f, rule)
        if t is None or t.discipline != "first-match":
            return False
        inside = _meet_all(met, [self.own(j)], self.family, _BUDGET + 1)
        if len(inside) > _BUDGET:
            return False
        return not inside or self.p.of(t).returns_within(inside) == []

    def returns_within(self, boxes: list) -> list | None:
        """Boxes holding every packet of the boxes that this chain, entered with them, may
        give back to its caller (RETURN, the end of the chain, or a goto's chain giving it
        back); None past the budget or the walk's steps."""
        p = self.p
        p.steps += 1
        if p.steps > _SUMMARIES:
            return None
        rules = self.f.rules
        cur = list(boxes)
        back: list = []
        for j in sorted({j for b in boxes for j in self.index.meeting(b)}):
            if not cur:
                break
            rule = rules[j]
            kind = rule.action.kind
            oj = self.own(j)
            if oj is None or kind in ("continue", "unknown"):
                continue
            exact = _exact(rule.match, self.family)
            if kind == "return":
                back.extend(_meet_all(cur, [oj], self.family, _BUDGET + 1))
            elif kind == "goto":
                t = p.a.target(self.f, rule)
                if t is None or t.discipline != "first-match" or p.a.loop_at(self.f, rule) is not None:
                    return None
                inside = _meet_all(cur, [oj], self.family, _BUDGET + 1)
                gone = p.of(t).returns_within(inside) if len(inside) <= _BUDGET else None
                if gone is None:
                    return None
                back.extend(gone)
            elif kind == "jump":
                if not self._keeps(j, cur):
                    continue
            if len(back) > _BUDGET:
                return None
            if exact:
                cur = B.subtract_all(cur, oj, self.family, _BUDGET)
                if cur is None:
                    return None
        return back + cur

    def _simple(self, j: int) -> bool:
        rule = self.f.rules[j]
        kind = rule.action.kind
        if kind == "goto":
            a = self.p.a
            if a.target(self.f, rule) is None or a.loop_at(self.f, rule) is not None:
                return False
        elif kind not in ("accept", "drop", "reject", "return"):
            return False
        return _exact(rule.match, self.family)

    def covering(self, i: int) -> list[int] | None:
        """When the boxes show that no packet gets to rule i and matches it: the earlier
        rules that take its packets, in order, each one that takes some of what the rules
        before it left (FW001's list, as the sets give it). None when they cannot show it:
        the rule is not exactly its box, an earlier rule whose box meets it is not simple
        (a jump, flags, an opaque condition), or the pieces fragment.

        Why it is the sets' answer: a simple rule decides every packet of its box that gets
        to it, so the packets of rule i's box that the earlier simple rules leave are the
        ones that get to it; and the part of rule i's packets a simple rule j decides is the
        part of its box the rules before j left, which is what remains of rule i's box
        when j's turn comes."""
        rules = self.f.rules
        own = self.own(i)
        if own is None or not _exact(rules[i].match, self.family):
            return None
        todo = [own]
        out = []
        for j in self.index.before(i):
            if rules[j].action.kind in ("continue", "unknown"):
                continue  # (decides nothing)
            if not self._simple(j):
                return None
            oj = self.own(j)
            if oj is None or not _meet_all(todo, [oj], self.family, 1):
                continue
            out.append(j)
            todo = B.subtract_all(todo, oj, self.family, _BUDGET)
            if todo is None:
                return None
            if not todo:
                return out
        return None

    def outside_entries(self, i: int) -> bool:
        """Whether the boxes show that no packet rule i matches ever comes to its filter."""
        own = self.own(i)
        if own is None:
            return False  # (a rule without a valid packet in its box: the sets say why)
        return not self.p.may_enter(self.f, [own])

    # ------------------------------------------------------------------ proofs

    def proofs(self, i: int) -> tuple[bool, bool, bool]:
        """(live, entered, useful) for rule i; each True only when a packet proved it.
        live: some packet gets to the rule in its filter evaluated on its own and matches
        it; entered: such a packet also comes to the filter from a hook (not asked of a
        built-in filter: True); useful: such a packet gets another fate without the rule (only asked
        of rules that decide: verdicts, RETURN, jumps and gotos)."""
        got = self._done.get(i)
        if got is None:
            got = self._done[i] = self._prove(i)
        return got

    def _prove(self, i: int) -> tuple[bool, bool, bool]:
        f = self.f
        rule = f.rules[i]
        wants_use = rule.action.kind in _DECIDING
        region = self.region(i)
        if not region:
            return False, False, False
        found = {"live": False, "entered": False, "useful": False}

        def useful_or_cut(pkt: m.Packet):
            return self._useful_or_cut(i, pkt, found)

        # entered first (FW001 asks it of the chains that are not built in): a packet from a
        # hook that gets to the rule is live too
        if not f.builtin:
            for root, entry, via, _last in self.p.entry_regions(f):
                def from_hook(pkt, run):
                    if run is None:
                        return None
                    if not _passes(run[1], f, rule):
                        return _taker(run[1])
                    found["entered"] = found["live"] = True
                    if wants_use and not found["useful"]:
                        useful_or_cut(pkt)
                    return True

                self._search(root, _meet_all(region, entry, self.family, _SEEDS), [*via, rule.match], from_hook)
                if found["entered"]:
                    break
        if not found["live"] or (wants_use and not found["useful"]):
            def on_its_own(pkt, run):
                if run is None:
                    return None
                if not _passes(run[1], f, rule):
                    return _taker(run[1])
                found["live"] = True
                return useful_or_cut(pkt) if wants_use else True

            self._search(f, region, [rule.match], on_its_own)
        return found["live"], found["entered"] or f.builtin, found["useful"]

    def _useful_or_cut(self, i: int, pkt: m.Packet, found: dict[str, bool]):
        """Whether rule i matters for the packet (`found["useful"]` then set); else the later
        rule that gave it the same fate (to try without its box)."""
        with_rule = self.p.run(self.f, pkt, i)
        without = self.p.run(self.f, pkt, i + 1)
        if with_rule is None or without is None:
            return None
        if with_rule[0] != without[0]:
            found["useful"] = True
            return True
        return _taker(without[1])

    def _search(self, root: m.Filter, boxes: list, matches: list[m.Match], on_run) -> None:
        """Run packets of the boxes from `root` until `on_run(packet, run)` says True (done);
        when it names a rule instead (the one that took the packet before it got where it
        should), the next packet comes from the box without that rule's box. At most
        `_TRIES` runs."""
        queue = list(boxes[:_SEEDS])
        tries = 0
        while queue and tries < _TRIES:
            box = queue.pop(0)
            pkt = self._packet(box, matches)
            if pkt is None:
                continue
            tries += 1
            got = on_run(pkt, self.p.run(root, pkt))
            if got is True:
                return
            if got is None:
                continue
            cut = self.p.box_of(*got)
            if cut is not None:
                queue[:0] = [q for q in B.minus(box, cut) if B.valid(q, self.family)][:_SEEDS]

    def _packet(self, box, matches: list[m.Match]) -> m.Packet | None:
        """A packet of the box that the matches (the rule's, and the jumps' to its chain)
        all hold, or None."""
        pkt = _point(box, self.family, matches, self.p.names)
        if pkt is None:
            return None
        return pkt if all(match_packet(x, pkt) is True for x in matches) else None


_UNSET = object()


def _gated(match: m.Match) -> bool:
    """Whether the match needs an opaque condition to hold (no packet matches it when every
    opaque condition fails)."""
    return any(isinstance(c, m.Opaque) and not c.negated for c in match.conds)


def _index_of(f: m.Filter, rule: m.Rule) -> int:
    if 0 <= rule.index < len(f.rules) and f.rules[rule.index] is rule:
        return rule.index
    for i, r in enumerate(f.rules):
        if r is rule:
            return i
    raise ValueError("rule not in its filter")  # pragma: no cover - callers come from the filter


def _taker(steps) -> tuple[str, str, m.Rule] | None:
    """The rule that decided a run (its last step), as (table, filter, rule); None when the
    default did."""
    if not steps or steps[-1].rule is None:
        return None
    st = steps[-1]
    return st.table, st.filter, st.rule


def _passes(steps, f: m.Filter, rule: m.Rule) -> bool:
    """Whether the run matched `rule` of filter f on the way."""
    return any(st.rule is rule and st.filter == f.name and st.table == f.table for st in steps)
