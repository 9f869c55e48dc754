"""`trace` for callers: which hook a record's packet takes when it names none, the Cisco
entry numbers of the rules a trace passes, and each record's answer as JSON.

Layer: api (beside `linter.api`, which re-exports `trace_records`); the engine is imported
only when a packet is traced."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Iterator

from . import model as m
from .packets import packet_from_dict

if TYPE_CHECKING:  # pragma: no cover
    from .graph import Trace


def default_hook(device: m.Device, d: dict) -> str | None:
    if d.get("hook"):
        return str(d["hook"])
    if not device.traits.per_interface:
        i, o = d.get("in_iface"), d.get("out_iface")
        if i and o:
            return m.THROUGH
        if o:
            return m.FROM_HOST
        return m.TO_HOST
    if d.get("direction"):
        return str(d["direction"])
    # per interface and direction (pf, Cisco): through the device when both interfaces are
    # given (inbound, then outbound), else the side that is given
    i, o = d.get("in_iface"), d.get("out_iface")
    if i and o:
        return "forward"
    return "out" if o else "in"


def acl_entries(device: m.Device) -> dict[int, tuple[str, int]]:
    """For Cisco devices: each rule (by identity) -> (access list, entry number), as the
    ASA's packet-tracer names them (`access-list OUTSIDE_IN line 3`), counting the list's
    own entries only (not the rules fwlint adds for the connection table or the security
    levels). The first filter holding the rule names it."""
    if not device.traits.numbered_entries:
        return {}
    out: dict[int, tuple[str, int]] = {}
    for f in device.filters:
        n = 0
        for r in f.rules:
            if r.synthetic or r.origin is None or not r.origin.text:
                continue
            n += 1
            out.setdefault(id(r), (f.name, n))
    return out


@dataclass
class TraceAnswer:
    record: dict
    trace: "Trace | None"
    error: str | None = None
    acl: dict = field(default_factory=dict)  # acl_entries() of the device

    def to_json(self) -> dict:
        out = dict(self.record)
        if self.trace is None:
            out.update({"verdict": None, "approximate": True, "rules": [], "error": self.error})
            return out
        t = self.trace
        out["verdict"] = t.verdict
        out["approximate"] = t.approximate
        out["rules"] = [{"path": s.origin.path, "line": s.origin.line, "chain": s.filter,
                         "table": s.table, "action": s.action,
                         "text": s.origin.text.strip(),
                         **({"anchor": s.rule.anchor} if s.rule is not None and s.rule.anchor else {}),
                         **({"acl": self.acl[id(s.rule)][0], "entry": self.acl[id(s.rule)][1]}
                            if s.rule is not None and id(s.rule) in self.acl else {})}
                        for s in t.steps if s.origin is not None]
        if t.hook:
            out.setdefault("hook", t.hook)
        if t.reasons:
            out["reasons"] = list(t.reasons)
        if t.alternatives:
            out["alternatives"] = list(t.alternatives)
        return out


def trace_records(device: m.Device, records: Iterable[dict], filter_name: str | None = None) -> Iterator[TraceAnswer]:
    from .graph import TraceError, trace  # (the engine, only when a packet is traced)

    acls = acl_entries(device)
    for rec in records:
        try:
            pkt, _ = packet_from_dict(rec)
            fname = filter_name or rec.get("filter")
            hook = None if fname else default_hook(device, rec)
            yield TraceAnswer(rec, trace(device, pkt, hook, fname), acl=acls)
        except (ValueError, TraceError) as e:
            yield TraceAnswer(rec, None, str(e))
