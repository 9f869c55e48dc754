"""Evaluating a pack's requirements on the devices an inventory places between the roles.

A requirement's flows are directions between roles (`internet` -> `client_access`, tcp/443).
For each direction and each device of the inventory, the inventory says whether and how the
flow crosses the device: a firewall between networks (the interface facing the source and
the one facing the destination: FORWARD for iptables) or a host of a role (INPUT/OUTPUT).
The first packets of new connections and their replies are sets in one packet space shared
by every device, so that "passes every device on its path" is an intersection of sets.

What each expectation asks:
- allow: every first packet of the flow is accepted by every device it crosses, and every
  reply too (stateful rulesets pass replies only where an ESTABLISHED rule does);
- unrestricted: the same for every protocol and port, both ways;
- unaltered: no NAT or header rewriting of the device touches the flow's packets;
- restrict / note-if-open: which new connections pass end to end (every device on their
  path accepts them), beyond the exceptions / at all.

A direction that crosses no device is "not checked" (never a pass).
"""

from __future__ import annotations

import dataclasses

from dataclasses import dataclass, field
from typing import Callable

from .. import model as m
from ..findings import Finding, Related, Result, stamp
from ..graph import Analysis, Trace, hook_filters, trace
from ..space import PacketSpace, order_for
from .inventory import DeviceEntry, Inventory, intersect, normalise, parse_address, subtract
from .pack import PROTOCOLS, FlowSpec, Pack, Requirement, flow_applies

# what counts as altering the wire (decision 5): NAT, header rewriting, normalisation, inspection
ALTERING = {"snat", "dnat", "masquerade", "redirect", "netmap", "mangle", "mss", "scrub", "inspect",
            "nat", "rdr", "binat", "af-to", "snpt", "dnpt", "tproxy"}
CLIENT_PORTS = (1024, 65535)
TRANSLATING = {"nat", "rdr", "binat", "af-to", "snat", "dnat", "masquerade", "redirect", "netmap"}
MAX_PER_REQUIREMENT = 20  # findings of one restrict/note-if-open requirement (then a summary)


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
        hook = _trace_hook(c.device, c.reverse_hook() if reply else c.hook)
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


def _trace_hook(device: m.Device, hook: str) -> str:
    if not _per_direction(device):
        return hook
    return {m.THROUGH: "forward", m.TO_HOST: "in", m.FROM_HOST: "out"}[hook]


def _pct(part: int, whole: int) -> str:
    """A share that never rounds to 0% or 100% when it is neither."""
    x = 100 * part / whole
    for digits in (1, 2, 3, 4, 6):
        s = f"{x:.{digits}f}"
        if (part == whole or float(s) < 100) and (part == 0 or float(s) > 0):
            return s.rstrip("0").rstrip(".") + "%"
    return f"{x:.6g}%"


def _packet_with_state(p: m.Packet, reply: bool) -> m.Packet:
    state = "ESTABLISHED" if reply else "NEW"
    return dataclasses.replace(p, state=state)


def flow_text(src, dst, flow: FlowSpec, ports) -> str:
    protos = "/".join(flow.protocols) if flow.protocols else "any"
    if ports is None:
        pt = "any port" if protos != "any" else "any protocol"
        what = f"{protos} {pt}" if protos != "any" else pt
    else:
        ps = ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ports)
        what = f"{protos}/{ps}"
    return f"{'+'.join(src)} -> {'+'.join(dst)} {what}"


@dataclass
class _Job:
    """One requirement's flow in one direction between role(s), and where it crosses."""

    req: Requirement
    flow: FlowSpec
    src: tuple[str, ...]
    dst: tuple[str, ...]
    ports: list | None
    crossings: list[Crossing]
    per_device: dict = field(default_factory=dict)  # restrict: path -> (cover, accepted)


def evaluate(packs: list[Pack], inv: Inventory, devices: dict[str, m.Device], workers: int = 1,
             on_device: Callable[[str], None] | None = None) -> Evaluation:
    """Every applicable requirement of the packs, device by device: with `workers` > 1, the
    devices' own parts (each device's sets and the findings that rest on it alone) in worker
    processes (linter/parallel.py), the same findings in the same order. `on_device(path)`
    when a device's part is done."""
    ev = Evaluator(inv, devices)
    out = Evaluation()
    work: list[_Job] = []
    for pack in packs:
        for req in pack.requirements:
            if req.expect == "never" or not req.applies(inv.profile):
                continue
            for flow, src, dst, ports, cs in _directions(ev, req, out):
                work.append(_Job(req, flow, src, dst, ports, cs))
    by_device: dict[str, list[tuple[int, Crossing]]] = {}
    for n, job in enumerate(work):
        for c in job.crossings:
            by_device.setdefault(c.path, []).append((n, c))
    paths = list(by_device)
    if workers > 1 and len(paths) > 1:
        from .. import parallel

        parts = parallel.run(_device_part_in_worker, paths, workers, initializer=_start_worker,
                             initargs=(inv, devices, work, by_device), label=str,
                             on_result=lambda i, _part: on_device(paths[i]) if on_device else None)
        parts = [_imported(ev.space, part) for part in parts]
    else:
        parts = []
        for path in paths:
            parts.append(_device_part(ev, work, path, by_device[path]))
            if on_device is not None:
                on_device(path)
    _merge(parts, paths, work, out)
    allowed: dict[int, object] = {}
    counts: dict[int, int] = {}
    # both directions of a flow between the same roles name the same pairs: list each once
    unique: dict[tuple, dict] = {}
    for x in out.not_checked:
        unique.setdefault((x["requirement"], x["flow"], x["reason"]), x)
    out.not_checked = list(unique.values())
    out.notes.extend(dict.fromkeys(ev.notes))
    # a requirement has several jobs (a flow in each direction, between each pair of roles):
    # the note that its findings were cut is given once, and only when flows were left out
    cut: dict[int, str] = {}
    for job in work:
        if job.req.expect in ("restrict", "note-if-open"):
            key = id(job.req)
            if key not in allowed:
                allowed[key] = _exceptions(ev, job.req)
            counts[key], left_out = _restrict(ev, job, allowed[key], out, counts.get(key, 0))
            if left_out:
                cut.setdefault(key, f"{job.req.id}: more than {MAX_PER_REQUIREMENT} open flows; the first are reported")
    out.notes.extend(dict.fromkeys(cut.values()))
    return out


@dataclass
class _DevicePart:
    """What one device's part of the evaluation gives: its findings in the order found (each
    unaltered finding with the (requirement, alteration) it reports: an alteration another
    device already reported is not reported again), and, per restrict job, the header fields
    of the flow that cross the device and of those it accepts."""

    findings: list[tuple[Finding, tuple[str, m.Origin] | None]] = field(default_factory=list)
    restrict: dict[int, tuple[object, object]] = field(default_factory=dict)
    exported: tuple | None = None  # `restrict` as it crosses a process boundary (_export_sets)


def _device_part(ev: Evaluator, work: list[_Job], path: str, items: list[tuple[int, Crossing]]) -> _DevicePart:
    """Judge every crossing of one device (its sets live while they are judged and are let go
    after it: memory stays that of one device)."""
    part = _DevicePart()
    s = ev.space
    altered: dict[str, set] = {}
    ev.begin(path)
    try:
        for n, c in items:
            job = work[n]
            kind = job.req.expect
            found = Evaluation()
            if kind in ("allow", "unrestricted"):
                _allow(ev, job, c, found)
                part.findings.extend((f, None) for f in found.findings)
            elif kind == "unaltered":
                _unaltered(ev, job, c, found, altered.setdefault(job.req.id, set()))
                part.findings.extend((f, (job.req.id, f.origin)) for f in found.findings)
            elif kind in ("restrict", "note-if-open"):
                cover, acc = _restrict_device(ev, job, c)
                was = part.restrict.get(n, (s.false, s.false))
                part.restrict[n] = (was[0] | cover, was[1] | acc)
    finally:
        ev.end()
    return part


def _merge(parts: list[_DevicePart], paths: list[str], work: list[_Job], out: Evaluation) -> None:
    """The devices' parts in device order, as one pass over the devices would have made them."""
    reported: set[tuple[str, m.Origin]] = set()
    for path, part in zip(paths, parts, strict=False):
        mine = set()
        for f, key in part.findings:
            if key is not None:
                if key in reported:
                    continue  # (an earlier device reported this alteration for this requirement)
                mine.add(key)
            out.findings.append(f)
        reported |= mine
        for n, sets in part.restrict.items():
            work[n].per_device[path] = sets


# ------------------------------------------------------------------ in a worker process

_WORKER: tuple[Evaluator, list[_Job], dict] | None = None


def _start_worker(inv: Inventory, devices: dict[str, m.Device], work: list[_Job], by_device: dict) -> None:
    """A worker's own evaluator: a packet space of its own with the same interface names and
    the same variable order as the parent's (both come from the same devices), so that a set
    it exports means the same in the parent."""
    global _WORKER
    _WORKER = (Evaluator(inv, devices), work, by_device)


def _device_part_in_worker(path: str) -> _DevicePart:
    assert _WORKER is not None, "_start_worker first"
    ev, work, by_device = _WORKER
    part = _device_part(ev, work, path, by_device[path])
    keys = list(part.restrict)
    sets = [x for n in keys for x in part.restrict[n]]
    part.exported = (keys, _export_sets(sets))
    part.restrict = {}
    return part


def _imported(space: PacketSpace, part: _DevicePart) -> _DevicePart:
    if part.exported is not None:
        keys, table = part.exported
        sets = _import_sets(space, table)
        part.restrict = {n: (sets[2 * i], sets[2 * i + 1]) for i, n in enumerate(keys)}
        part.exported = None
    return part


def _export_sets(roots: list) -> tuple[list[tuple[str, int, int]], list[int]]:
    """BDDs as plain data: a table of nodes, each (variable, high edge, low edge), children
    before parents, and an edge per root. An edge is 0 (true), 1 (false), or 2 * (k + 1) for
    node k, plus 1 when complemented. A node stands for its regular (uncomplemented) function,
    as both dd backends give children: a complemented edge complements the node's function.
    Iterative (a BDD is as deep as it has variables: hundreds)."""
    nodes: list[tuple[str, int, int]] = []
    ids: dict[int, int] = {}  # regular node -> its index in `nodes`

    def edge_of(u) -> int | None:
        """The edge for u when its node is already in the table (or u is a constant)."""
        if u == u.bdd.true:
            return 0
        if u == u.bdd.false:
            return 1
        k = ids.get(int(~u if u.negated else u))
        return None if k is None else 2 * (k + 1) + (1 if u.negated else 0)

    out = []
    for root in roots:
        stack = [root]
        while stack:
            u = stack[-1]
            if edge_of(u) is not None:
                stack.pop()
                continue
            high, low = edge_of(u.high), edge_of(u.low)
            if high is None or low is None:
                stack.extend(x for x, e in ((u.high, high), (u.low, low)) if e is None)
                continue
            ids[int(~u if u.negated else u)] = len(nodes)
            nodes.append((u.var, high, low))
            stack.pop()
        out.append(edge_of(root))
    return nodes, out


def _import_sets(space: PacketSpace, table: tuple[list[tuple[str, int, int]], list[int]]) -> list:
    """The sets of _export_sets, rebuilt in this space (the variables have the same names;
    the sets sent are of header fields only, never of an opaque condition's variable, which
    this space may not have: that would be a bug, and bdd.var says so)."""
    nodes, roots = table
    bdd = space.bdd
    built: list = []

    def edge(e: int):
        if e < 2:
            return bdd.true if e == 0 else bdd.false
        u = built[e // 2 - 1]
        return ~u if e % 2 else u

    for var, high, low in nodes:
        built.append(bdd.ite(bdd.var(var), edge(high), edge(low)))
    return [edge(e) for e in roots]


def _result(req: Requirement, origin: m.Origin, text: str, witness, approximate: bool, related=()) -> Finding:
    ref = f" [{req.source}]" if req.source else ""
    r = Result(origin, f"{req.message} {text}{ref}", tuple(related), witness, approximate,
               context=req.id)
    return stamp(req.id, req.severity, r)


def _directions(ev: Evaluator, req: Requirement, out: Evaluation):
    """(flow, src roles, dst roles, ports, crossings) for each applicable direction; the
    directions that cross no device go to `not_checked`."""
    noted: set = set()
    for flow in req.flows:
        if not flow_applies(flow, ev.inv.profile):
            continue
        ports = flow.port_ranges(ev.inv.profile)
        if ports == []:
            continue
        for srcs, dsts in flow.directions():
            # role by role: a pair that no device judges is a gap in coverage of its own,
            # even when the other pairs of the flow are judged. Roles with the same addresses
            # (a multi-role server) are judged once, under both names.
            groups: dict[tuple, tuple[list[str], list[str]]] = {}
            for src in srcs:
                for dst in dsts:
                    missing = [r for r in (src, dst) if not ev.inv.has(r)]
                    if missing:
                        key = (req.id, missing[0])
                        if key not in noted:
                            noted.add(key)
                            out.not_checked.append({
                                "requirement": req.id, "flow": flow_text((src,), (dst,), flow, ports),
                                "reason": f"the inventory gives no address for role {missing[0]}"})
                        continue
                    sa = tuple(normalise(ev.inv.addresses(src)))
                    da = tuple(normalise(ev.inv.addresses(dst)))
                    if not subtract(da, sa):
                        continue  # the same hosts (a multi-role server talking to itself)
                    names = groups.setdefault((sa, da), ([], []))
                    if src not in names[0]:
                        names[0].append(src)
                    if dst not in names[1]:
                        names[1].append(dst)
            for snames, dnames in groups.values():
                cs = ev.crossings(tuple(snames), tuple(dnames))
                if not cs:
                    out.not_checked.append({"requirement": req.id,
                                            "flow": flow_text(snames, dnames, flow, ports),
                                            "reason": "no device of the inventory stands between these roles"})
                    continue
                yield flow, tuple(snames), tuple(dnames), ports, cs


def _allow(ev: Evaluator, job: _Job, c: Crossing, out: Evaluation) -> None:
    s = ev.space
    req, flow, src, dst, ports = job.req, job.flow, job.src, job.dst, job.ports
    for reply in (False, True):
        pk = ev.packets(c, flow, ports, reply)
        if pk == s.false:
            continue
        must, may = ev.accepted(c, reply)
        bad = pk & ~must
        if bad == s.false:
            continue
        sure = (pk & ~may) != s.false
        w = s.witness(bad)
        if w is None:
            continue
        w = _at_hook(c, _packet_with_state(w, reply), reply)
        origin, approx, what = ev.locate(c, w, reply)
        total = s.count(pk)
        passing = s.count(pk & must)
        share = f"{_pct(passing, total)} of it passes" if total and passing else "none of it passes"
        kind = "replies of the flow" if reply else "the flow"
        text = (f"On {c.where()}, {what} drops {kind} {flow_text(src, dst, flow, ports)} "
                f"({share}); for example {w}.")
        translated = ev.translated(c, pk)
        if translated:
            text += f" (the device translates these packets ({translated}); fwlint does not apply it)"
        out.findings.append(_result(req, origin, text, w, approx or not sure or bool(translated)))


def _unaltered(ev: Evaluator, job: _Job, c: Crossing, out: Evaluation, reported: set) -> None:
    """One finding per altering rule (`reported`: those of the requirement so far)."""
    s = ev.space
    stages = {m.THROUGH: {"PREROUTING", m.THROUGH, "POSTROUTING", "in", "out"},
              m.TO_HOST: {"PREROUTING", m.TO_HOST, "in"}, m.FROM_HOST: {m.FROM_HOST, "POSTROUTING", "out"}}
    pk = None
    for alt in c.device.alterations:
        if alt.kind not in ALTERING or alt.origin in reported:
            continue
        if not (set(alt.stage.split(",")) & stages[c.hook]) and alt.stage not in ("?", ""):
            continue
        if pk is None:
            pk = ev.packets(c, job.flow, job.ports, False) | ev.packets(c, job.flow, job.ports, True)
        hit = pk & s.match(alt.match)
        if hit == s.false:
            continue
        w = s.witness(hit)
        if w is not None:
            w = _at_hook(c, w, w.state != "NEW")
        text = (f"On {c.where()}, {alt.table + ' ' if alt.table else ''}{alt.chain} {alt.kind.upper()} "
                f"alters {flow_text(job.src, job.dst, job.flow, job.ports)}; for example {w}.")
        reported.add(alt.origin)
        out.findings.append(_result(job.req, alt.origin, text, w, s.depends_on_opaque(hit) != []))


def _header_only(ev: Evaluator, x):
    """Forget the interfaces (the same packet is seen on different interfaces by different
    devices)."""
    s = ev.space
    vs = [v for b in (m.IN_IFACE, m.OUT_IFACE) for v in s.blocks[b].vars]
    return s.bdd.exist(vs, x)


def _exceptions(ev: Evaluator, req: Requirement):
    """The new connections a restrict requirement allows (header fields only)."""
    s = ev.space
    profile = ev.inv.profile
    allowed = s.false
    for ex in req.excepts:
        if not flow_applies(ex, profile):
            continue
        ports = ex.port_ranges(profile)
        if ports == []:
            continue
        for src, dst in ex.directions():
            for c in ev.crossings(src, dst):
                allowed = allowed | _header_only(ev, ev.packets(c, ex, ports, False, client_ports=False))
    return allowed


def _restrict_device(ev: Evaluator, job: _Job, c: Crossing) -> tuple[object, object]:
    """What of the flow crosses this device at c, and what of that it accepts (header fields)."""
    pk = ev.packets(c, job.flow, job.ports, False, icmp=False, client_ports=False)
    _must, may = ev.accepted(c, False)
    return _header_only(ev, pk), _header_only(ev, pk & may)


def _restrict(ev: Evaluator, job: _Job, allowed, out: Evaluation, count: int) -> tuple[int, bool]:
    """Findings for the new connections that pass every device on their path and are not
    allowed: one per accepting rule of the first device, up to MAX_PER_REQUIREMENT. Returns
    the requirement's count so far and whether open flows were left unreported (the bound)."""
    s = ev.space
    req, flow, src, dst, ports = job.req, job.flow, job.src, job.dst, job.ports
    covered = s.false
    passes = s.true
    for cover_d, acc_d in job.per_device.values():
        covered = covered | cover_d
        passes = passes & (acc_d | ~cover_d)
    open_ = covered & passes & ~allowed
    by_path: dict[str, list[Crossing]] = {}
    for c in job.crossings:
        by_path.setdefault(c.path, []).append(c)
    while open_ != s.false and count < MAX_PER_REQUIREMENT:
        w = s.witness(open_)
        if w is None:
            break
        places = []
        approx = False
        for cs in by_path.values():
            for c in cs:
                pk = ev.packets(c, flow, ports, False, icmp=False, client_ports=False)
                if s.contains(_header_only(ev, pk), w) is not True:
                    continue
                wi = _with_ifaces(c, w)
                origin, ap, what = ev.locate(c, wi, False)
                approx = approx or ap
                places.append((c, origin, what, wi))
                break
        if not places:
            break
        for c, _o, _w, wi in places:
            if ev.translated(c, _header_only(ev, ev.space.point(wi))):
                approx = True
        c0, origin, what, w0 = places[0]
        related = tuple(Related(o, f"also accepted on {c.where()} by {wh}") for c, o, wh, _ in places[1:])
        verb = "is open" if req.expect == "note-if-open" else "passes beyond the listed exceptions"
        # the witness as the first device sees it (its interfaces and hook): traced there, it
        # is accepted by the rule the finding names
        shown_w = _at_hook(c0, w0, False)
        text = (f"{flow_text(src, dst, flow, ports)} {verb}: {what} on {c0.where()} accepts, "
                f"for example, {shown_w}.")
        out.findings.append(_result(req, origin, text, shown_w, approx or s.depends_on_opaque(open_) != [],
                                    related))
        count += 1
        # the rest of what that rule accepts is the same finding
        open_ = open_ & ~_decided_by(ev, c0, w0)
    left_out = count >= MAX_PER_REQUIREMENT and open_ != s.false and s.witness(open_) is not None
    return count, left_out


def _with_ifaces(c: Crossing, w: m.Packet) -> m.Packet:
    if c.hook == m.THROUGH:
        return dataclasses.replace(w, in_iface=c.in_iface or "", out_iface=c.out_iface or "", state="NEW")
    if c.hook == m.TO_HOST:
        return dataclasses.replace(w, in_iface=w.in_iface or _an_interface(c.device), out_iface="", state="NEW")
    return dataclasses.replace(w, in_iface="", out_iface=w.out_iface or _an_interface(c.device), state="NEW")


def _an_interface(device: m.Device) -> str:
    """An interface for a packet to or from the host whose header is all a finding knows:
    eth0 where the device names it, else the first interface it names, else `*`, an
    interface the device does not name (what a witness calls it, never a made-up name
    presented as real)."""
    names = sorted(n for n in device.interface_names() if n and not n.endswith("+"))
    return "eth0" if "eth0" in names else (names[0] if names else "*")


def _at_hook(c: Crossing, w: m.Packet, reply: bool) -> m.Packet:
    """The witness with the hook `trace` takes it at on this crossing's device (`locate`
    traces it there): `fwlint trace DEVICE --packets` replays it as it is."""
    return dataclasses.replace(w, hook=_trace_hook(c.device, c.reverse_hook() if reply else c.hook))


def _decided_by(ev: Evaluator, c: Crossing, wi: m.Packet):
    """Header fields of the packets the rule that accepts wi on c matches, and wi itself
    (so that every round makes progress)."""
    s = ev.space
    hook = _trace_hook(c.device, c.hook)
    t = trace(c.device, wi, hook)
    if hook == "forward" and t.verdict == "accept":
        t = trace(c.device, wi, "in")  # the inbound decision, as `locate` reports it
    # (the direction too is forgotten: a per-direction rule's match holds it, and the same
    # header seen the other way is the same finding)
    dvars = list(s.blocks[m.DIRECTION].vars)
    point = s.bdd.exist(dvars, _header_only(ev, s.point(wi)))
    rule = t.steps[-1].rule if t.steps else None
    if rule is None:
        return point
    return point | s.bdd.exist(dvars, _header_only(ev, s.match(rule.match)))
