"""The concrete evaluator: one packet through a filter, rule by rule, following jumps, gotos
and returns, with three-valued matching (a condition the model holds as opaque is unknown,
and both outcomes are explored, each branch with its own call stack). `exact_run` is the
one assignment of the opaque conditions the set engine's points have (what `linter.probe`
proves with); `tracing.trace` reports the branches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from .. import model as m
from .calls import CallGraph, calls_of


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


_MAX_BRANCHES = 256


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
    jumps = calls_of(device)
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


def _advance(jumps: CallGraph, p: m.Packet, br: _Branch, budget: list[int], narrow=None) -> str | list[_Branch]:
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


def _matched(jumps: CallGraph, flt: m.Filter, rule: m.Rule, frame: list, br: _Branch) -> str | None:
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
        loop = jumps.loop_at(flt, rule)
        if loop is not None:
            br.unmodelled(f"{rule.origin}: {kind} {rule.action.target} closes the jump loop "
                          f"{loop.describe()}, which the device refuses to load: not followed "
                          "(taken as coming back)")
            return None
        target = jumps.callee(flt, rule)
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
