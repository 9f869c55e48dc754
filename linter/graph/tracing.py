"""`trace`: one packet at a hook, on a side of an interface, through the device, or through
one named filter; which filters are bound where (`hook_filters`); and the report of the
concrete evaluator's branches (`Trace`, approximate when they disagree or rest on
something fwlint does not model)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .. import model as m
from .concrete import Step, _explore, match_packet


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
