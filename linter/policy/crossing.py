"""Where a flow direction crosses the devices of an inventory, and the sets of its packets
there: `Crossing` (one device, its interfaces or host side), `Evaluator` (the packet space
shared by every device, one device's analysis at a time, which crossings a pair of roles
has, the first packets and replies of a flow as sets, what the device accepts of them,
where it decides a packet), and what lies behind each interface (`mapped_covers` from the
inventory, `infer_interfaces` from the device's addresses and routes).

Layer: policy (`linter.policy.evaluate` judges the expectations with it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import model as m
from ..findings import Finding
from ..graph import Analysis, Trace, hook_filters, trace
from ..space import PacketSpace, order_for
from .inventory import DeviceEntry, Inventory, intersect, normalise, parse_address, subtract
from .pack import PROTOCOLS, FlowSpec

CLIENT_PORTS = (1024, 65535)
TRANSLATING = {"nat", "rdr", "binat", "af-to", "snat", "dnat", "masquerade", "redirect", "netmap"}


@dataclass(frozen=True)
class Crossing:
    """One way a flow direction crosses one device."""

    entry: DeviceEntry
    path: str
    device: m.Device
    hook: str  # m.THROUGH (between interfaces), m.TO_HOST (to the host), m.FROM_HOST (from the host)
    in_iface: str | None
    out_iface: str | None
    src: tuple  # address ranges
    dst: tuple

    def reverse_hook(self) -> str:
        return {m.TO_HOST: m.FROM_HOST, m.FROM_HOST: m.TO_HOST}.get(self.hook, self.hook)

    def where(self) -> str:
        if self.hook == m.THROUGH:
            return f"{self.device.name} ({self.in_iface} -> {self.out_iface})"
        return f"{self.device.name} ({'to' if self.hook == m.TO_HOST else 'from'} the host)"


@dataclass
class Evaluation:
    findings: list[Finding] = field(default_factory=list)
    not_checked: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how the inventory was read


class Evaluator:
    def __init__(self, inv: Inventory, devices: dict[str, m.Device]) -> None:
        self.inv = inv
        self.devices = devices  # path -> device
        names: set[str] = set()
        for d in devices.values():
            names |= d.interface_names()
        for e in inv.devices:
            names |= {n for n, _ in e.interfaces}
        first = next(iter(devices.values()), None)
        order = order_for(first) if first else None
        if order is not None and len(devices) > 1:
            # one space for every device: addresses by pieces of the first device's ranges
            # only fit that device (the others' addresses fall inside its pieces, every set
            # bigger); plain bits serve all alike
            order = tuple(order)
        self.space = PacketSpace(sorted(names), order=order)
        self._analysis: tuple[str, Analysis] | None = None  # the device being evaluated
        self._cover: dict[tuple[str, str], dict[str, list]] = {}
        self.notes: list[str] = []

    def begin(self, path: str) -> None:
        """Evaluate one device at a time: its sets live while its crossings are judged, and
        are let go before the next device (memory stays that of one device)."""
        self._analysis = (path, Analysis(self.devices[path], self.space))

    def end(self) -> None:
        self._analysis = None
        self.space.forget_rules()

    # ------------------------------------------------------------------ where flows cross

    def _covers(self, entry: DeviceEntry, path: str, dev: m.Device) -> dict[str, list]:
        """Interface -> the addresses behind it: from the inventory's mapping, or, where the
        inventory gives none, inferred from the device's interface addresses and static
        routes (and the report says so)."""
        key = (entry.pattern, path if not entry.interfaces else "")
        hit = self._cover.get(key)
        if hit is not None:
            return hit
        if entry.interfaces:
            covers = mapped_covers(self.inv, entry)
        else:
            covers, how = infer_interfaces(dev)
            self.notes.append(f"{path}: no interface mapping in the inventory; " + how)
        self._cover[key] = covers
        return covers

    def crossings(self, src_roles, dst_roles) -> list[Crossing]:
        src = normalise(r for role in src_roles for r in self.inv.addresses(role))
        dst = normalise(r for role in dst_roles for r in self.inv.addresses(role))
        out = []
        for entry in self.inv.devices:
            for path in entry.paths:
                dev = self.devices.get(path)
                if dev is None:
                    continue
                fams = {dev.family} if dev.family else {4, 6}
                s_f = [r for r in src if r[0] in fams]
                d_f = [r for r in dst if r[0] in fams]
                if entry.host:
                    own = normalise(self.inv.addresses(entry.host))
                    if entry.host in dst_roles and s_f:
                        s = subtract(s_f, own)
                        if s:
                            out.append(Crossing(entry, path, dev, m.TO_HOST, None, None, tuple(s),
                                                tuple(r for r in own if r[0] in fams)))
                    if entry.host in src_roles and d_f:
                        d = subtract(d_f, own)
                        if d:
                            out.append(Crossing(entry, path, dev, m.FROM_HOST, None, None,
                                                tuple(r for r in own if r[0] in fams), tuple(d)))
                    continue
                covers = self._covers(entry, path, dev)
                for i in covers:
                    s = intersect(s_f, covers[i])
                    if not s:
                        continue
                    for o in covers:
                        if o == i:
                            continue
                        d = intersect(d_f, covers[o])
                        # addresses reachable through both interfaces are not a flow of this pair
                        d = subtract(d, covers[i])
                        s2 = subtract(s, covers[o])
                        if d and s2:
                            out.append(Crossing(entry, path, dev, m.THROUGH, i, o, tuple(s2), tuple(d)))
        return out

    # ------------------------------------------------------------------ packet sets

    def _addrs(self, field_: str, ranges) -> object:
        s = self.space
        out = s.false
        for fam, lo, hi in ranges:
            out = out | s.addr_range(field_, fam, lo, hi)
        return out

    def _ifaces(self, c: Crossing, reply: bool) -> object:
        s = self.space
        hook = c.reverse_hook() if reply else c.hook
        if c.hook == m.THROUGH:
            i, o = (c.out_iface, c.in_iface) if reply else (c.in_iface, c.out_iface)
            return s.iface(m.IN_IFACE, (i,)) & s.iface(m.OUT_IFACE, (o,))
        none_in, none_out = s.iface(m.IN_IFACE, ("",)), s.iface(m.OUT_IFACE, ("",))
        return (~none_in & none_out) if hook == m.TO_HOST else (none_in & ~none_out)

    def packets(self, c: Crossing, flow: FlowSpec, ports, reply: bool, icmp: bool = True,
                client_ports: bool = True) -> object:
        """First packets of the flow's new connections through c (or their replies). With
        `client_ports`, the client's port is one a client uses (1024-65535: what "allowed"
        promises); without, any (what "open" and the exceptions of restrict speak of)."""
        s = self.space
        src, dst = (c.dst, c.src) if reply else (c.src, c.dst)
        base = self._addrs("src", src) & self._addrs("dst", dst) & self._ifaces(c, reply)
        protos = [p for p in flow.protocols if p != "any"]
        if "any" in flow.protocols or not protos:
            proto_set = s.true
            if not icmp:
                icmps = ((m.PROTO_ICMP, m.PROTO_ICMP), (m.PROTO_ICMPV6, m.PROTO_ICMPV6))
                proto_set = ~(s.cond(m.IntCond(m.PROTO, icmps)))
        else:
            proto_set = s.cond(m.IntCond(m.PROTO, tuple((PROTOCOLS[p], PROTOCOLS[p]) for p in protos)))
        if ports is not None:
            server = s.cond(m.IntCond(m.DPORT if not reply else m.SPORT, tuple(ports)))
            proto_set = proto_set & server
            if client_ports:
                proto_set = proto_set & s.cond(m.IntCond(m.SPORT if not reply else m.DPORT, (CLIENT_PORTS,)))
        tcp = s.cond(m.IntCond(m.PROTO, ((m.PROTO_TCP, m.PROTO_TCP),)))
        if reply:
            state = s.cond(m.IntCond(m.STATE, ((m.STATE_NUMBER["ESTABLISHED"],) * 2,)))
            flags = ~tcp | s.cond(m.FlagsCond(0x3F, m.TCP_FLAG_BITS["ACK"]))
        else:
            state = s.cond(m.IntCond(m.STATE, ((m.STATE_NUMBER["NEW"],) * 2,)))
            flags = ~tcp | s.cond(m.FlagsCond(0x3F, m.TCP_FLAG_BITS["SYN"]))
        return base & proto_set & state & flags & s.universe

    def accepted(self, c: Crossing, reply: bool) -> tuple[object, object]:
        """(must, may): the packets the device surely / possibly accepts at the crossing.

        iptables decides at one hook (FORWARD, INPUT, OUTPUT). Platforms whose filters apply
        per direction (pf, Cisco) filter a forwarded packet inbound on its ingress interface
        and outbound on its egress interface: it must pass both."""
        assert self._analysis is not None and self._analysis[0] == c.path, "begin(device) first"
        a = self._analysis[1]
        hook = c.reverse_hook() if reply else c.hook
        s = self.space
        if _per_direction(c.device):
            sides = {m.THROUGH: ("in", "out"), m.TO_HOST: ("in",), m.FROM_HOST: ("out",)}[hook]
            dvar = s.blocks[m.DIRECTION].vars[0]
            acc = s.false
            # per address family: a binding for one family (IOS ipv6 traffic-filter) does not
            # filter the other's packets
            for fam in (4, 6):
                acc_f = s.family(fam)
                for side in sides:
                    # the filters bound on that side's interface (pf: on every interface)
                    iface = (c.out_iface if reply else c.in_iface) if side == "in" \
                        else (c.in_iface if reply else c.out_iface)
                    for f in hook_filters(c.device, side, iface, fam):
                        acc_f = acc_f & s.bdd.let({dvar: side == "out"}, a.outcome(f).accept)
                acc = acc | acc_f
            return s.must(acc), s.may(acc)
        flts = hook_filters(c.device, hook)
        if not flts:
            return s.true, s.true  # nothing bound: iptables without a filter table accepts
        acc = s.true
        for f in flts:
            acc = acc & a.outcome(f).accept
        return s.must(acc), s.may(acc)

    def translated(self, c: Crossing, packets) -> str:
        """Which address translations of the device may touch these packets before or after
        its filters ('' for none). fwlint reads roles in their real addresses: exact on
        iptables (FORWARD sees them after DNAT, before SNAT) and on the ASA (8.3+ access
        lists use real addresses); on pf and IOS a translation on the path is not applied,
        so a finding that rests on such packets is approximate (decision 11)."""
        if c.device.traits.real_addresses:
            return ""
        s = self.space
        hits = []
        alts = [alt for alt in c.device.alterations if alt.kind in TRANSLATING]
        if not alts:
            return ""
        # the flow is given in real addresses, a redirection matches the public ones: ask
        # about the protocol, ports and interfaces only
        addr_vars = [v for b in ("src4", "dst4", "src6", "dst6") for v in s.blocks[b].vars]
        packets = s.bdd.exist(addr_vars, packets)
        for alt in alts:
            if (packets & s.match(alt.match)) != s.false:
                hits.append(f"{alt.kind} at line {alt.origin.line}")
        return ", ".join(dict.fromkeys(hits))

    def locate(self, c: Crossing, pkt: m.Packet, reply: bool) -> tuple[m.Origin, bool, str]:
        """Where the device decides this packet: the rule (or default policy) that decides,
        whether that rests on an approximation, and a short description."""
        hook = trace_hook(c.device, c.reverse_hook() if reply else c.hook)
        t = trace(c.device, pkt, hook)
        if hook == "forward" and t.verdict == "accept":
            # through a per-direction device, an accepted packet passed both sides: the
            # inbound decision is the one a reader looks for (outbound is often `pass out`)
            inbound = trace(c.device, pkt, "in")
            if inbound.steps:
                t = Trace(t.verdict, t.approximate, inbound.steps, t.reasons, t.alternatives, t.hook, t.filter)
        step = t.steps[-1] if t.steps else None
        if step is not None and step.origin is not None:
            what = (f"{step.filter} policy {t.verdict.upper()}" if step.rule is None
                    else f"{step.filter} rule at line {step.origin.line}")
            return step.origin, t.approximate, what
        # no filter at all, or a default without a written origin
        src = c.device.sources[0] if c.device.sources else c.device.name
        return m.Origin(src, 1, 1, ""), t.approximate, f"{hook} ({t.verdict})"


def mapped_covers(inv: Inventory, entry: DeviceEntry) -> dict[str, list]:
    """Interface -> the addresses behind it, as the inventory's `interfaces` map says."""
    covers: dict[str, list] = {}
    for iface, items in entry.interfaces:
        out = []
        for item in items:
            if item in ("internet", "internal") or item in inv.roles:
                out.extend(inv.addresses(item))
            else:
                try:
                    out.append(parse_address(item))
                except ValueError:
                    pass  # a role of the pack the inventory gives no address: covers nothing
        covers[iface] = normalise(out)
    return covers


def infer_interfaces(dev: m.Device) -> tuple[dict[str, list], str]:
    """Which addresses lie behind which interface, from the interfaces' own addresses
    (their connected networks) and the static routes (a route leads to its interface, or to
    the interface whose network holds its next hop): every address goes to the interface of
    its longest matching prefix, as the router forwards it. Returns the mapping and a
    sentence saying how it was found."""
    import ipaddress

    prefixes: list[tuple[int, tuple, str]] = []  # (prefix length, range, interface)
    nets: list[tuple[object, str]] = []
    for itf in dev.interfaces:
        for a in itf.addresses:
            try:
                text = a.strip().replace(" ", "/", 1) if "/" not in a else a.strip()
                net = ipaddress.ip_interface(text).network
            except ValueError:
                continue
            nets.append((net, itf.name))
            prefixes.append((net.prefixlen, (net.version, int(net.network_address), int(net.broadcast_address)),
                             itf.name))
    routes = 0
    for r in dev.routes:
        try:
            net = ipaddress.ip_network(r.prefix, strict=False)
        except ValueError:
            continue
        iface = r.interface
        if iface is None and r.next_hop:
            try:
                hop = ipaddress.ip_address(r.next_hop)
            except ValueError:
                hop = None
            iface = next((n for nt, n in nets if hop is not None and hop.version == nt.version and hop in nt), None)
        if iface is None:
            continue
        routes += 1
        prefixes.append((net.prefixlen, (net.version, int(net.network_address), int(net.broadcast_address)), iface))
    covers: dict[str, list] = {}
    taken: list = []
    for _plen, rng, iface in sorted(prefixes, key=lambda x: -x[0]):
        piece = subtract([rng], taken)
        if piece:
            covers[iface] = normalise(covers.get(iface, []) + piece)
            taken = normalise(taken + piece)
    how = (f"inferred from {len(nets)} interface address(es) and {routes} static route(s): "
           + ("; ".join(f"{i}: {len(c)} range(s)" for i, c in covers.items()) or "nothing could be inferred"))
    return covers, how


def _per_direction(device: m.Device) -> bool:
    """Filters bound per direction (pf, Cisco) rather than at iptables hooks."""
    return any(b.hook in ("in", "out") for b in device.bindings)


def trace_hook(device: m.Device, hook: str) -> str:
    if not _per_direction(device):
        return hook
    return {m.THROUGH: "forward", m.TO_HOST: "in", m.FROM_HOST: "out"}[hook]
