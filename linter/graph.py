"""How filters attach to hooks and call each other, and what they do to packets.

Layer: rule graph. Reads only the normalized model and the packet-space engine.

Two evaluators that must agree (a property test holds them to it):

- `trace`: one concrete packet through a filter, rule by rule, following jumps, gotos and
  returns, with three-valued matching: a condition the model holds as opaque is *unknown*,
  and both outcomes are explored. The answer is exact when every explored outcome gives the
  same verdict.
- `Analysis`: the same semantics over sets of packets (BDDs): for each filter, the partition
  of all packets into accepted, dropped, rejected, returned; for each rule, the packets that
  reach it, that it decides, and what the rest of its filter would do to them.

First-match filters (iptables chains, Cisco ACLs) end at the first deciding rule; last-match
filters (pf) are decided by the last matching rule unless a `quick` rule ends them.
"""

from __future__ import annotations

import dataclasses
import weakref
from dataclasses import dataclass, field
from typing import Container, Iterable, Iterator

from . import model as m
from .boxes import OverlapIndex
from .space import Node, PacketSpace, order_for

VERDICTS = ("accept", "drop", "reject")
FATES = ("accept", "drop", "reject", "return", "unknown")

# --------------------------------------------------------------------------- concrete matching


def cond_matches(c: m.Cond, p: m.Packet) -> bool | None:
    """Whether the packet satisfies the condition; None when it cannot be known."""
    if isinstance(c, m.Opaque):
        return None
    if isinstance(c, m.AnyCond):
        seen_unknown = False
        for alt in c.alternatives:
            r = match_packet(alt, p)
            if r is True:
                return not c.negated
            if r is None:
                seen_unknown = True
        if seen_unknown:
            return None
        return c.negated
    if isinstance(c, m.IntCond):
        v = p.value(c.field)
        if v is None:
            # a field the packet does not have (ports of ICMP): taken as 0, as the engine does
            v = 0
        hit = any(lo <= v <= hi for lo, hi in c.ranges)  # type: ignore[operator]
    elif isinstance(c, m.AddrCond):
        addr = p.src if c.field == m.SRC else p.dst
        hit = any(fam == p.family and lo <= addr <= hi for fam, lo, hi in c.ranges)
    elif isinstance(c, m.IfaceCond):
        name = p.in_iface if c.field == m.IN_IFACE else p.out_iface
        if name is None:
            return None
        hit = any(name.startswith(n[:-1]) if n.endswith("+") else name == n for n in c.names)
    elif isinstance(c, m.FlagsCond):
        flags = p.tcp_flags if p.tcp_flags is not None else \
            (m.TCP_FLAG_BITS["SYN"] if p.proto == m.PROTO_TCP else 0)
        hit = (flags & c.mask) == c.comp
    else:  # pragma: no cover
        raise TypeError(c)
    return (not hit) if c.negated else hit


def match_packet(match: m.Match, p: m.Packet, assume: dict[str, bool] | None = None) -> bool | None:
    """Three-valued conjunction; `assume` fixes opaque conditions by key."""
    unknown = False
    for c in match.conds:
        if isinstance(c, m.Opaque) and assume is not None and c.key in assume:
            r: bool | None = assume[c.key] != c.negated
        else:
            r = cond_matches(c, p)
        if r is False:
            return False
        if r is None:
            unknown = True
    return None if unknown else True


# --------------------------------------------------------------------------- traces


@dataclass(frozen=True)
class Step:
    """A rule that matched on the way (or the default of a filter)."""

    filter: str
    table: str
    action: str
    rule: m.Rule | None = None  # None: the filter's default
    origin: m.Origin | None = None
    # the filter the rule stands in, for its label (`model.rule_label`, as `check` names it)
    flt: m.Filter | None = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        where = f"{self.origin}" if self.origin else "?"
        if self.rule is None:
            return f"{where} {self.filter} policy: {self.action.replace('default ', '').upper()}"
        if self.flt is not None:
            side = self.filter.rsplit(" ", 1)[-1] if self.filter.endswith((" in", " out")) else ""
            return f"{where} {m.rule_label(self.flt, self.rule)}{' ' + side if side else ''}: {self.action}"
        anchor = f" (anchor {self.rule.anchor})" if self.rule.anchor else ""
        return f"{where} {self.filter} rule {self.rule.index + 1}{anchor}: {self.action}"


@dataclass(frozen=True)
class Trace:
    """The fate of one packet."""

    verdict: str  # accept, drop, reject (return: a user chain evaluated on its own fell off its end)
    approximate: bool
    steps: tuple[Step, ...]
    reasons: tuple[str, ...] = ()  # why the answer is approximate
    alternatives: tuple[str, ...] = ()  # other verdicts possible when approximate
    hook: str | None = None
    filter: str = ""

    @property
    def rules(self) -> tuple[m.Rule, ...]:
        """The rules that decided: the last step's rule, preceded by the jumps that led to it."""
        return tuple(s.rule for s in self.steps if s.rule is not None and s.action != "continue")


class TraceError(ValueError):
    """The question cannot be asked of this device (no such filter or hook)."""


_MAX_BRANCHES = 256
# From this many rules in a device's deciding filters, a chain's witness is looked for by
# concrete runs along its caller paths before its entries are computed (Analysis.witness):
# the box layer's size (probe.MIN_RULES), where the checks no longer compute the entries
WITNESS_BY_RUNS = 20_000
_WITNESS_PATHS = 8  # caller paths a chain's witness is looked for along (Analysis.witness)
_WITNESS_RUNS = 4  # candidates a chain's witness tries, each without the rules that took the one before


@dataclass
class _Branch:
    """One way the unknowns can go: the assumptions made, what happened so far, and the
    call stack (per chain entered and not left: the filter and its next rule's index)."""

    assume: dict[str, bool]
    steps: list[Step] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    frames: list[list] = field(default_factory=list)
    # the outcome rests on something fwlint does not model (a target, an undefined jump, a
    # loop, a rule it could not decide): said where that is met, beside its reason
    approximate: bool = False

    def copy(self) -> "_Branch":
        return _Branch(dict(self.assume), list(self.steps), list(self.reasons), [list(fr) for fr in self.frames],
                       self.approximate)

    def unmodelled(self, reason: str) -> None:
        """A reason that makes the outcome approximate."""
        self.reasons.append(reason)
        self.approximate = True


class _Jumps:
    """Where a trace's jumps lead: `Device.filter`'s lookup as dicts, and the jumps that
    close a loop (model.jump_loops: the ones the parser reports and `Analysis` cuts)."""

    def __init__(self, device: m.Device) -> None:
        self.by_key: dict[tuple[str, str], m.Filter] = {}
        self.by_name: dict[str, m.Filter] = {}
        for f in device.filters:
            self.by_key.setdefault((f.table, f.name), f)
            self.by_name.setdefault(f.name, f)
        self.loops = {(lp.table, lp.filter, id(lp.rule)): lp for lp in m.jump_loops(device.filters)}
        # without those jumps no path enters a chain twice: a deeper stack is a bug, and
        # is stopped rather than followed forever
        self.max_depth = len(device.filters) + 1

    def target(self, f: m.Filter, rule: m.Rule) -> m.Filter | None:
        name = rule.action.target or ""
        return self.by_key.get((f.table, name)) if f.table else self.by_name.get(name)

    def loop(self, f: m.Filter, rule: m.Rule) -> m.JumpLoop | None:
        return self.loops.get((f.table, f.name, id(rule))) if self.loops else None


_JUMPS: dict[int, tuple[weakref.ref, _Jumps]] = {}


def _jumps_of(device: m.Device) -> _Jumps:
    """The device's `_Jumps`, kept while the device lives (`trace --packets` and the packs
    trace many packets through one device; finding its loops is a walk over all its rules)."""
    hit = _JUMPS.get(id(device))
    if hit is not None and hit[0]() is device:
        return hit[1]
    jumps = _Jumps(device)
    key = id(device)
    # (forgotten when the device goes, before its id can be another object's)
    _JUMPS[key] = (weakref.ref(device, lambda _ref: _JUMPS.pop(key, None)), jumps)
    return jumps


def _explore(device: m.Device, flt: m.Filter, p: m.Packet, start: int = 0,
             narrow=None, assume: dict[str, bool] | None = None) -> list[tuple[str, _Branch]]:
    """(outcome, branch) for every way the unknowns can go, the branch where an unknown
    holds before the one where it does not. Outcome is a verdict, or 'return' when the
    filter (a user chain evaluated on its own) gives the packet back to its caller.
    `start`: the rule of a first-match filter the evaluation begins at (the earlier ones
    are skipped: what the rest of the filter does to a packet that got that far).
    `narrow(filter)`: a bitset of the filter's rules that may match the packet (bit i for
    rule i; None: any), from their boxes; the others are not evaluated (they would not
    match: a box holds its rule's match). `assume`: the opaque conditions' values fixed
    from the start (`exact_run`: every one fails).

    Iterative: each branch carries its own call stack, so a chain of thousands of jumps
    needs no recursion; a jump that closes a loop is not followed."""
    jumps = _jumps_of(device)
    budget = [_MAX_BRANCHES]
    out: list[tuple[str, _Branch]] = []
    todo = [_Branch(assume if assume is not None else {}, frames=[[flt, start]])]
    while todo:
        br = todo.pop()
        got = _advance(jumps, p, br, budget, narrow)
        if isinstance(got, list):
            todo.extend(reversed(got))  # the first fork (the unknown holds) goes first
        else:
            out.append((got, br))
    return out


class _NoneHold(dict):
    """Assumptions under which every opaque condition fails (its negation holds)."""

    def __contains__(self, key) -> bool:
        return True

    def __getitem__(self, key) -> bool:
        return False


class _Holding(_NoneHold):
    """Assumptions under which the opaque conditions a packet `holds` hold and every other
    one fails."""

    def __init__(self, holds: Iterable[str]) -> None:
        super().__init__()
        self.holds = frozenset(holds)

    def __getitem__(self, key) -> bool:
        return key in self.holds


def exact_run(device: m.Device, flt: m.Filter, p: m.Packet, start: int = 0,
              narrow=None) -> tuple[str, tuple[Step, ...]] | None:
    """The outcome of one packet through a filter from rule `start` on, with the rules that
    matched on the way, every opaque condition (a rate limit, an ipset, ...) taken as
    failing but those the packet `holds`: one assignment of the engine's opaque variables,
    so that the packet with it is a point of the sets. None when the run is not exact: an
    opaque condition inside an any-of condition, a target not modelled, an undefined jump,
    a loop. What the box layer (`linter.probe`) proves its answers with (`narrow`: see
    _explore)."""
    outcomes = _explore(device, flt, p, start, narrow, _Holding(p.holds) if p.holds else _NoneHold())
    if len(outcomes) != 1:  # pragma: no cover - nothing is left to fork on
        return None
    outcome, br = outcomes[0]
    if br.reasons:
        return None
    return outcome, tuple(br.steps)


def _advance(jumps: _Jumps, p: m.Packet, br: _Branch, budget: list[int], narrow=None) -> str | list[_Branch]:
    """Run one branch until it has an outcome (returned), or forks on an unknown (the
    branches are returned; each evaluates the undecided rule again, with the unknown fixed)."""
    while True:
        if len(br.frames) > jumps.max_depth:  # pragma: no cover - defensive
            br.unmodelled(f"jump depth exceeds {jumps.max_depth} (a loop?)")
            return "drop"
        frame = br.frames[-1]
        flt, i = frame
        if flt.discipline == "last-match":
            got = _last_match(flt, p, br, budget)
            if got != "return":
                return got
            br.frames.pop()
            if not br.frames:
                return "return"
            continue
        if narrow is not None:
            i = _next_candidate(narrow, flt, frame, i)
        if i >= len(flt.rules):
            got = _fall_off(flt, br)
            if got != "return":
                return got
            br.frames.pop()  # back to the caller, at the rule after its jump
            if not br.frames:
                return "return"
            continue
        rule = flt.rules[i]
        frame[1] = i + 1
        r = match_packet(rule.match, p, br.assume)
        if r is None:
            forks = _fork(rule, p, br, budget)
            if forks is not None:
                for nb in forks:
                    nb.frames[-1][1] = i
                return forks
            continue
        if r:
            verdict = _matched(jumps, flt, rule, frame, br)
            if verdict is not None:
                return verdict


def _next_candidate(narrow, flt: m.Filter, frame: list, i: int) -> int:
    """The first rule from i on that may match the packet, by `narrow` (see _explore), set
    as the frame's next rule (past the end when none)."""
    mask = narrow(flt)
    if mask is None:
        return i
    ahead = mask >> i  # the next rule that may match
    i = frame[1] = i + (ahead & -ahead).bit_length() - 1 if ahead else len(flt.rules)
    return i


def _matched(jumps: _Jumps, flt: m.Filter, rule: m.Rule, frame: list, br: _Branch) -> str | None:
    """What a rule of a first-match filter does to the branch's packet it matches: a verdict
    (returned), or None when evaluation goes on (the next rule, the caller after a return,
    the callee of a jump or goto, pushed on the branch's stack)."""
    kind = rule.action.kind
    if kind in ("continue", "unknown"):
        br.steps.append(Step(flt.name, flt.table, "continue" if kind == "continue" else "unknown",
                             rule, rule.origin, flt))
        if kind == "unknown":
            br.unmodelled(f"{rule.origin}: target not modelled ({rule.action.detail})")
        return None
    if kind in VERDICTS:
        br.steps.append(Step(flt.name, flt.table, kind, rule, rule.origin, flt))
        return kind
    if kind == "return":
        br.steps.append(Step(flt.name, flt.table, kind, rule, rule.origin, flt))
        frame[1] = len(flt.rules)  # as falling off the end
        return None
    if kind in ("jump", "goto"):
        br.steps.append(Step(flt.name, flt.table, f"{kind} {rule.action.target}", rule, rule.origin, flt))
        loop = jumps.loop(flt, rule)
        if loop is not None:
            br.unmodelled(f"{rule.origin}: {kind} {rule.action.target} closes the jump loop "
                          f"{loop.describe()}, which the device refuses to load: not followed "
                          "(taken as coming back)")
            return None
        target = jumps.target(flt, rule)
        if target is None:
            br.unmodelled(f"{rule.origin}: {kind} to undefined {rule.action.target}; taken as not matching")
            return None
        if kind == "goto":
            frame[1] = len(flt.rules)  # the callee's return goes to our caller
        br.frames.append([target, 0])
    return None


def _fall_off(flt: m.Filter, br: _Branch) -> str:
    """The end of a filter (or a RETURN): its default decides, or a user chain gives the
    packet back to its caller ('return')."""
    if flt.builtin or flt.default.kind != "return":
        kind = flt.default.kind if flt.default.kind in VERDICTS else "drop"
        br.steps.append(Step(flt.name, flt.table, f"default {kind}", None, flt.default_origin or flt.origin))
        return kind
    return "return"


def _last_match(flt: m.Filter, p: m.Packet, br: _Branch, budget: list[int]) -> str | list[_Branch]:
    """Last-match evaluation: the last matching deciding rule wins; a quick rule ends it.
    On an unknown, the forks evaluate the filter again from its start."""
    decided: m.Rule | None = None
    for rule in flt.rules:
        r = match_packet(rule.match, p, br.assume)
        if r is None:
            forks = _fork(rule, p, br, budget)
            if forks is not None:
                return forks
            continue
        if not r:
            continue
        kind = rule.action.kind
        if kind in ("continue", "unknown"):
            br.steps.append(Step(flt.name, flt.table, kind, rule, rule.origin, flt))
            if kind == "unknown":
                br.unmodelled(f"{rule.origin}: target not modelled ({rule.action.detail})")
            continue
        decided = rule
        if rule.quick:
            break
    if decided is None:
        return _fall_off(flt, br)
    br.steps.append(Step(flt.name, flt.table, decided.action.kind, decided, decided.origin, flt))
    kind = decided.action.kind
    return kind if kind in VERDICTS else "drop"


def _fork(rule: m.Rule, p: m.Packet, br: _Branch, budget: list[int]) -> list[_Branch] | None:
    """Two branches, one where the rule's first open opaque condition holds and one where it
    does not; None when there is nothing to fork on (an interface the packet does not name)
    or the budget is spent: the rule is then taken as not matching, and the branch says so."""
    key, desc = _first_open(rule.match, p, br.assume)
    if key is None or budget[0] <= 0:
        br.unmodelled(f"{rule.origin}: not decided ({desc or 'unknown field'}); taken as not matching")
        return None
    budget[0] -= 1
    out = []
    for val in (True, False):
        nb = br.copy()
        nb.assume[key] = val
        nb.reasons.append(f"{rule.origin}: {desc}")
        out.append(nb)
    return out


def _first_open(match: m.Match, p: m.Packet, assume: dict[str, bool]) -> tuple[str | None, str]:
    for c in match.conds:
        if isinstance(c, m.Opaque) and c.key not in assume:
            return c.key, c.description
        if isinstance(c, m.AnyCond):
            for alt in c.alternatives:
                k, d = _first_open(alt, p, assume)
                if k is not None:
                    return k, d
    for c in match.conds:
        if isinstance(c, m.IfaceCond) and cond_matches(c, p) is None:
            return None, f"{c.field} not given"
    return None, ""


def deciding(f: m.Filter) -> bool:
    """Whether the filter decides packets (iptables: the filter table; platforms without
    tables: every filter). Other tables only alter."""
    return f.table in ("", "filter")


def hook_filters(device: m.Device, hook: str, iface: str | None = None,
                 family: int | None = None) -> list[m.Filter]:
    """The deciding filters bound at a hook: an iptables hook, or a direction ("in", "out")
    on the interface `iface` (bindings without an interface apply on every interface; with
    iface None, every binding of the hook counts), for packets of `family` (a binding for
    one family, such as IOS `ipv6 traffic-filter`, does not see the other's packets)."""
    names = [b.filter for b in device.bindings
             if b.hook == hook and (iface is None or b.interface is None or b.interface == iface)
             and (family is None or b.family is None or b.family == family)]
    by_name = {f.name: f for f in device.filters if deciding(f)}
    return [by_name[n] for n in dict.fromkeys(names) if n in by_name]


def trace(device: m.Device, packet: m.Packet, hook: str | None = None,
          filter_name: str | None = None) -> Trace:
    """Decide one packet: at a hook of the host (m.HOST_HOOKS: INPUT, FORWARD, OUTPUT), on a
    side of an interface (in, out) or through the device (forward) when its filters apply per
    interface, or through one named filter evaluated on its own whatever its bindings (as
    Batfish's testFilters does)."""
    if filter_name:
        flt = device.filter(filter_name, "filter") or device.filter(filter_name)
        if flt is None:
            known = ", ".join(sorted({f.name for f in device.filters})) or "none"
            raise TraceError(f"no filter named {filter_name!r} in {device.name} (filters: {known})")
        return _trace_filter(device, flt, packet, hook)
    if hook is None:
        raise TraceError("give a hook (INPUT, FORWARD, OUTPUT) or --filter NAME")
    # (a platform whose filters apply per interface and direction does so also when nothing
    # is bound: an IOS device without access lists, a pf file of comments only)
    per_interface = device.traits.per_interface or any(b.hook in m.SIDES for b in device.bindings)
    if hook.lower() in ("forward", *m.SIDES) and per_interface:
        hook = hook.lower()
        if hook == "forward":
            return _unnamed_interface(device, packet, hook) or _trace_through(device, packet)
    elif hook.upper() in m.HOST_HOOKS:
        hook = hook.upper()
    if hook in m.SIDES and packet.direction != hook:
        packet = dataclasses.replace(packet, direction=hook)
    unnamed = _unnamed_interface(device, packet, hook)
    if unnamed is not None:
        return unnamed
    side_iface = {"in": packet.in_iface, "out": packet.out_iface}.get(hook)
    # (a per-direction binding may be for one family only; an iptables file holds one family
    # and says so when asked about the other)
    flts = hook_filters(device, hook, side_iface, packet.family if side_iface is not None else None)
    if not flts:
        if hook in ("in", "out"):
            # nothing bound on that interface and side: the packet passes it
            return Trace("accept", False, (), (f"no filter bound {hook} on {side_iface or 'the interface'}",),
                         (), hook, "")
        if hook in m.HOST_HOOKS:
            # no filter table: netfilter accepts everything
            return Trace("accept", False, (), ("no filter table: every packet is accepted",), (), hook, "")
        raise TraceError(f"{device.name} has nothing bound at {hook!r}")
    t = _trace_filter(device, flts[0], packet, hook)
    altered = _alterations_before(device, packet, hook)
    if altered:
        t = Trace(t.verdict, True, t.steps, t.reasons + tuple(altered), t.alternatives, t.hook, t.filter)
    return t


def _unnamed_interface(device: m.Device, packet: m.Packet, hook: str) -> Trace | None:
    """On a platform that drops what arrives on or leaves by an interface its model does not
    name (the ASA passes traffic only through interfaces with a nameif, and its model names
    interfaces by their nameif), a packet on another interface name (a hardware name, an
    interface without a nameif) is dropped, as the device's note says, never accepted for
    want of a filter. `*` (an interface the configuration does not name, in witnesses) is
    left to the filters, as the engine reads it."""
    if not device.traits.drops_unnamed_interfaces:
        return None
    named = {i.name for i in device.interfaces}
    sides = {"in": ("in",), "out": ("out",), "forward": ("in", "out")}.get(hook, ())
    for side in sides:
        name = packet.in_iface if side == "in" else packet.out_iface
        if name and name != "*" and not name.endswith("+") and name not in named:
            known = ", ".join(sorted(named)) or "none"
            why = device.traits.words.unnamed_interface.format(name=name, device=device.name, known=known)
            return Trace("drop", False, (), (why,), (), hook, "")
    return None


def _trace_through(device: m.Device, packet: m.Packet) -> Trace:
    """A packet through a device whose filters apply per interface and direction (pf,
    Cisco): filtered inbound on its ingress interface, then outbound on its egress
    interface. It passes only if both pass; the steps of both are reported."""
    steps: list[Step] = []
    reasons: list[str] = []
    alternatives: set[str] = set()
    approximate = False
    verdict = "accept"
    for direction in ("in", "out"):
        p = dataclasses.replace(packet, direction=direction)
        flts = hook_filters(device, direction, packet.in_iface if direction == "in" else packet.out_iface,
                            packet.family)
        if not flts:
            continue  # nothing bound on that side: the packet passes it
        for flt in flts:
            t = _trace_filter(device, flt, p, direction)
            # name the side in each step: "pf in rule 11", "pf out rule 4"
            steps.extend(dataclasses.replace(st, filter=f"{st.filter} {direction}") for st in t.steps)
            reasons.extend(t.reasons)
            alternatives.update(t.alternatives)
            approximate = approximate or t.approximate
            if t.verdict != "accept":
                verdict = t.verdict
                break
        if verdict != "accept":
            break
    if not steps:
        reasons.append(f"no filter bound in on {packet.in_iface} nor out on {packet.out_iface}")
    return Trace(verdict, approximate, tuple(steps), tuple(reasons), tuple(sorted(alternatives - {verdict})),
                 "forward", ",".join(f.name for f in hook_filters(device, "in", packet.in_iface)))


# Alterations that change what the filter sees, by the hook whose packets they touch first.
_REWRITES = {"dnat", "redirect", "netmap", "notrack", "ct", "tproxy"}
_BEFORE = {m.TO_HOST: ("PREROUTING",), m.THROUGH: ("PREROUTING",), m.FROM_HOST: (m.FROM_HOST,)}


def _alterations_before(device: m.Device, packet: m.Packet, hook: str) -> list[str]:
    """Rules of the raw/mangle/nat tables that may rewrite this packet (destination, state)
    before the filter table sees it: fwlint does not apply them, so the answer is approximate."""
    out = []
    stages = _BEFORE.get(hook, ())
    for a in device.alterations:
        if a.kind not in _REWRITES or not any(st in a.stage.split(",") for st in stages):
            continue
        if match_packet(a.match, packet) is not False:
            out.append(f"{a.origin}: {a.table} {a.chain} may rewrite the packet before filtering "
                       f"({a.kind}; not applied by fwlint)")
    return out


def _trace_filter(device: m.Device, flt: m.Filter, packet: m.Packet, hook: str | None) -> Trace:
    fam = flt.family or device.family
    if fam is not None and packet.family != fam:
        raise TraceError(f"{device.name} is an IPv{fam} ruleset; the packet is IPv{packet.family}")
    # the opaque conditions the packet says hold (a witness that needs them) are fixed
    # from the start; the others are explored both ways
    given = dict.fromkeys(packet.holds, True)
    outcomes = _explore(device, flt, packet, assume=dict(given))
    verdicts = sorted({o for o, _ in outcomes})
    first_verdict, first = outcomes[0]
    # prefer the branch where every opaque condition failed to match (the most literal
    # one), but for those the packet holds
    for o, b in outcomes:
        if all(v is given.get(k, False) for k, v in b.assume.items()):
            first_verdict, first = o, b
            break
    reasons = list(dict.fromkeys(first.reasons))
    approximate = len(verdicts) > 1 or first.approximate
    if len(verdicts) == 1 and not approximate:
        reasons = []
    return Trace(first_verdict, approximate, tuple(first.steps), tuple(reasons),
                 tuple(v for v in verdicts if v != first_verdict), hook, flt.name)


# --------------------------------------------------------------------------- sets of packets


class Outcome:
    """A partition of the packets entering a filter by their fate.

    Each fate is the union of pieces (one per deciding rule); the union, and the pieces
    that come from called chains, are computed when first asked for: a built-in chain that
    calls hundreds of chains is asked for what it returns and lets through by default far
    more often than for its accepted set."""

    def __init__(self, space: PacketSpace, parts: dict[str, list]) -> None:
        self._space = space
        self._parts = parts
        self._done: dict[str, Node] = {}

    def _get(self, kind: str) -> Node:
        v = self._done.get(kind)
        if v is None:
            # the called chains' sets that this one is made of first, deepest first, with a
            # stack of our own (a chain of thousands of jumps needs no recursion)
            for o, k in self._pending(kind):
                o._unite(k)
            v = self._done[kind]
        return v

    def _pending(self, kind: str) -> list[tuple["Outcome", str]]:
        """(outcome, fate) pairs not yet united that this fate needs, needed ones first."""
        out: list[tuple[Outcome, str]] = []
        seen = {(id(self), kind)}
        stack: list[tuple[Outcome, str, Iterator]] = [(self, kind, iter(self._parts.get(kind, ())))]
        while stack:
            o, k, todo = stack[-1]
            p = next(todo, None)
            if p is None:
                stack.pop()
                out.append((o, k))
                continue
            if isinstance(p, _Meet) and p.fate not in p.outcome._done:
                key = (id(p.outcome), p.fate)
                if key not in seen:
                    seen.add(key)
                    stack.append((p.outcome, p.fate, iter(p.outcome._parts.get(p.fate, ()))))
        return out

    def _unite(self, kind: str) -> None:
        if kind in self._done:
            return
        pieces = [p() if callable(p) else p for p in self._parts.get(kind, ())]
        self._done[kind] = _union(self._space, pieces)
        self._parts[kind] = []

    @property
    def accept(self) -> Node:
        return self._get("accept")

    @property
    def drop(self) -> Node:
        return self._get("drop")

    @property
    def reject(self) -> Node:
        return self._get("reject")

    @property
    def ret(self) -> Node:
        return self._get("return")

    @property
    def unknown(self) -> Node:
        return self._get("unknown")

    def fate(self, kind: str) -> Node:
        return self._get(kind)


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
            from .probe import Prober

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
            v = self._local[k] = f.discipline == "first-match" and calls >= LOCAL_CALLS
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


LOCAL_CALLS = 0  # a first-match filter with at least this many jumps/gotos is computed locally
# rounds of `Analysis._through_loops` before it gives up on precision (a loop's chains are
# then taken as entered by every packet): a precision bound, not one on the input
_LOOP_ROUNDS = 4


class _Lazy:
    """A set computed when first needed (and then once)."""

    def __init__(self, make) -> None:
        self._make = make
        self._value = None

    def __call__(self):
        if self._value is None:
            self._value = self._make()
        return self._value


class _Meet:
    """The packets `hit` that the called chain's outcome gives `fate`, when asked (an
    `Outcome` computes the fates it depends on first: see `Outcome._get`)."""

    __slots__ = ("hit", "outcome", "fate")

    def __init__(self, hit: Node, outcome: "Outcome", fate: str) -> None:
        self.hit = hit
        self.outcome = outcome
        self.fate = fate

    def __call__(self) -> Node:
        return self.hit & self.outcome.fate(self.fate)


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


def _default_fate(f: m.Filter) -> str:
    """The fate of the packets no rule of f decides: its default, or `return` for a user
    chain that gives them back to its caller."""
    if f.builtin or f.default.kind != "return":
        return f.default.kind if f.default.kind in ("accept", "reject", "return") else "drop"
    return "return"


def _union(space: PacketSpace, sets: list[Node]) -> Node:
    """The union of many sets, pairwise (a balanced tree of ORs)."""
    items = [x for x in sets if x != space.false]
    if not items:
        return space.false
    while len(items) > 1:
        items = [items[i] | items[i + 1] if i + 1 < len(items) else items[i] for i in range(0, len(items), 2)]
    return items[0]
