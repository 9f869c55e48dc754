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
from ..bdd import export_sets, import_sets
from ..findings import Finding, Related, Result, stamp
from ..graph import trace
from ..space import PacketSpace
from .crossing import Crossing, Evaluation, Evaluator, trace_hook
from .crossing import infer_interfaces, mapped_covers  # noqa: F401 - re-exported (tests import them from here)
from .inventory import Inventory, normalise, subtract
from .pack import FlowSpec, Pack, Requirement, flow_applies

# what counts as altering the wire (decision 5): NAT, header rewriting, normalisation, inspection
ALTERING = {"snat", "dnat", "masquerade", "redirect", "netmap", "mangle", "mss", "scrub", "inspect",
            "nat", "rdr", "binat", "af-to", "snpt", "dnpt", "tproxy"}
MAX_PER_REQUIREMENT = 20  # findings of one restrict/note-if-open requirement (then a summary)


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


_export_sets = export_sets  # (tests/test_jobs.py reads both here)


def _import_sets(space: PacketSpace, table: tuple[list[tuple[str, int, int]], list[int]]) -> list:
    """The sets of `bdd.export_sets`, rebuilt in this space."""
    return import_sets(space.bdd, table)


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
    return dataclasses.replace(w, hook=trace_hook(c.device, c.reverse_hook() if reply else c.hook))


def _decided_by(ev: Evaluator, c: Crossing, wi: m.Packet):
    """Header fields of the packets the rule that accepts wi on c matches, and wi itself
    (so that every round makes progress)."""
    s = ev.space
    hook = trace_hook(c.device, c.hook)
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
