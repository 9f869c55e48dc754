"""IosConfig -> the model: one first-match Filter per access list, Bindings for the
interfaces' access-groups, the zone-based firewall (zbf.py), NAT (nat.py) and MSS clamping
as Alterations, Interfaces, static Routes.

Layer: platforms (left of the model). The conditions of an entry are in conditions.py; the
converter resolves object-groups (object_groups.GroupFlattener) and reports what is defined
and unused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .... import model as m
from ....limits import MAX_OBJECT_GROUP_DEPTH
from ..common import Refused
from . import conditions, interfaces, nat
from .object_groups import GroupFlattener
from .reader import Report
from .vendor import Acl, IosConfig, ObjectGroup, effects
from .vocab import IOS_ICMP6
from .zbf import ZoneFirewall


@dataclass
class Uses:
    """The names the conversion found used (the others are reported as unused)."""

    groups: set[str] = field(default_factory=set)
    class_maps: set[str] = field(default_factory=set)
    policy_maps: set[str] = field(default_factory=set)
    time_ranges: set[str] = field(default_factory=set)
    acl_names: set[str] = field(default_factory=set)  # route-maps named by NAT rules


class Converter:
    """Builds the model from what the reader found; records which definitions are used."""

    def __init__(self, report: Report, config: IosConfig) -> None:
        self.report = report
        self.config = config
        self.diag = report.diag
        self.origin = report.origin
        self.uses = Uses()
        self.filters_by_key: dict = {}  # (family, name) -> the access list's Filter
        self._conds_cache: dict = {}
        self._reported: set = set()
        self.flattener = GroupFlattener(self)

    @property
    def lines(self) -> list[str]:
        return self.report.lines

    def finish(self) -> tuple[list, list, list, list]:
        filters: list[m.Filter] = []
        by_key: dict[tuple[int, str], m.Filter] = {}
        v4_names = set(self.config.acls[4])
        for fam in (4, 6):
            for name, acl in self.config.acls[fam].items():
                acl.filter_name = name if fam == 4 or name not in v4_names else f"ipv6:{name}"
                f = self.build_filter(acl)
                by_key[(fam, name)] = f
                filters.append(f)
        self.filters_by_key = by_key
        bindings: list[m.Binding] = []
        used: set[tuple[int, str]] = set()
        for itf in self.config.ifaces.values():
            for (fam, direction), (name, ln, col) in sorted(itf.access.items()):
                f = by_key.get((fam, name))
                if f is None:
                    other = by_key.get((6 if fam == 4 else 4, name))
                    extra = (f" ({name} is an IPv{6 if fam == 4 else 4} access list)" if other is not None else "")
                    self.diag(ln, col, "error", "undefined-reference",
                              f"access list {name} is not defined{extra}: IOS lets every packet through "
                              f"{itf.name} {direction}", "ip access-group" if fam == 4 else "ipv6 traffic-filter")
                    continue
                used.add((fam, name))
                bindings.append(m.Binding(f.name, direction, itf.name, fam))
        alterations = nat.build_nat(self, used) + interfaces.build_mss(self)
        zbf = ZoneFirewall(self, used)
        zfilters, zbindings = zbf.build()
        filters.extend(zfilters)
        bindings.extend(zbindings)
        self.unused(used)
        model_ifaces = [m.Interface(i.name, tuple(i.addresses),
                                    i.zone[0] if i.zone and i.zone[0] in self.config.zones else None)
                        for i in self.config.ifaces.values()]
        return filters, bindings, alterations, model_ifaces

    def build_filter(self, acl: Acl) -> m.Filter:
        rules: list[m.Rule] = []
        for e in sorted(acl.entries, key=lambda e: e.seq):
            conds = conditions.ace_conds(self, acl, e)
            if conds is None:
                continue
            rules.append(m.Rule(m.Match(tuple(conds)), m.Action(e.action), self.origin(e.line, e.col),
                                len(rules), comment=e.remark, effects=effects(e)))
        origin = self.origin(acl.line)
        if acl.family == 6 and rules and rules[-1].match.conds:
            # IPv6 access lists end with implicit permits for neighbour discovery before the deny
            for nd in ("nd-na", "nd-ns"):
                t = IOS_ICMP6[nd][0]
                nd_match = m.Match((m.IntCond(m.PROTO, ((58, 58),)), m.IntCond(m.ICMP, ((t << 8, (t << 8) | 255),))))
                rules.append(m.Rule(nd_match, m.Action("accept"), origin, len(rules),
                                    comment=f"implicit: permit icmp any any {nd}"))
        default = m.Action("drop")
        if not rules:
            default = m.Action("accept")
            self.diag(acl.line, 1, "note", "approximate",
                      f"access list {acl.name} has no entry: IOS lets every packet through an interface that applies "
                      "it (no implicit deny without an entry)", "empty access list")
        return m.Filter(acl.filter_name or acl.name, tuple(rules), default, "first-match", "", False, acl.family,
                        origin)

    def group_ref(self, name: str, ln: int, col: int, kinds: tuple) -> ObjectGroup | None:
        g = self.config.groups.get(name)
        if g is None:
            self.diag(ln, col, "error", "undefined-reference",
                      f"object-group {name} is not defined (IOS rejects such an entry): modelled as an unknown "
                      "condition", "object-group")
            return None
        self.uses.groups.add(name)
        if g.kind not in kinds:
            self.diag(ln, col, "error", "invalid",
                      f"object-group {name} is a {g.kind} group; a {' or '.join(kinds)} group is needed here",
                      "object-group")
            return None
        return g

    def report_once(self, ln: int, col: int, code: str, message: str, construct: str) -> None:
        """An error at a reference that several resolutions may meet (a group-object line)."""
        if (ln, col) not in self._reported:
            self._reported.add((ln, col))
            self.diag(ln, col, "error", code, message, construct)

    def group_members(self, g: ObjectGroup, ln: int, col: int) -> tuple | None:
        """The members of a group with its nested groups (`GroupFlattener`); None when it nests
        too deep (reported at the entry, which is not analysed)."""
        res = self.flattener.resolve(g.name)
        if isinstance(res, Refused):
            why = (f"nests object-groups more than {MAX_OBJECT_GROUP_DEPTH} deep (linter/limits.py "
                   "MAX_OBJECT_GROUP_DEPTH" if res.code == "nesting-limit" else
                   "takes more members from nested groups than fwlint copies in one file (linter/limits.py "
                   "MAX_NESTED_GROUP_MEMBERS")
            self.diag(ln, col, "error", res.code, f"object-group {g.name} {why}; the limit is crossed at line "
                      f"{res.line}): this entry is not analysed", "object-group")
            return None
        return res.value  # type: ignore[return-value]

    def flat_services(self, g: ObjectGroup, fam: int, members: tuple) -> list:
        key = ("svc", g.name, fam)
        if key not in self._conds_cache:
            alts = []
            for conds in members:
                if fam == 6:  # ICMP in an IPv6 list is ICMPv6
                    conds = tuple(m.IntCond(m.PROTO, ((58, 58),)) if c == m.IntCond(m.PROTO, ((1, 1),)) else c
                                  for c in conds)
                alts.append(conds)
            self._conds_cache[key] = alts
        return self._conds_cache[key]

    def unused(self, used: set) -> None:
        names_used = self.config.other_refs | self.uses.acl_names
        for fam in (4, 6):
            for name, acl in self.config.acls[fam].items():
                if (fam, name) in used or name in names_used:
                    continue
                self.diag(acl.line, 1, "note", "unused",
                          f"access list {acl.filter_name or name} is defined but nothing uses it (no interface, "
                          "class-map, NAT rule or other command refers to it)", "access list")
        for g in self.config.groups.values():
            if g.name not in self.uses.groups:
                self.diag(g.line, 1, "note", "unused", f"object-group {g.name} is defined but no entry uses it",
                          "object-group")
        for name, ln in self.config.time_ranges.items():
            if name not in self.uses.time_ranges:
                self.diag(ln, 1, "note", "unused", f"time-range {name} is defined but no entry uses it", "time-range")
        for cm in self.config.class_maps.values():
            if cm.name not in self.uses.class_maps:
                self.diag(cm.line, 1, "note", "unused", f"class-map {cm.name} is defined but no policy-map uses it",
                          "class-map type inspect")
        for pm in self.config.policy_maps.values():
            if pm.name not in self.uses.policy_maps:
                self.diag(pm.line, 1, "note", "unused", f"policy-map {pm.name} is defined but no zone-pair uses it",
                          "policy-map type inspect")


_ROUTE_RE = re.compile(r"^ip route (?:vrf \S+ )?(\d+\.\d+\.\d+\.\d+) (\d+\.\d+\.\d+\.\d+) (\S+)(?: (\S+))?")
_ROUTE6_RE = re.compile(r"^ipv6 route (?:vrf \S+ )?([0-9A-Fa-f:]+/\d+) (\S+)(?: (\S+))?")


def static_routes(report: Report) -> tuple:
    """`ip route A M NEXTHOP|IFACE [NEXTHOP]` and `ipv6 route P/L IFACE|NEXTHOP`: where the
    router sends what (used to infer which addresses lie behind which interface)."""
    import ipaddress

    out = []
    for n, raw in enumerate(report.lines, 1):
        mt = _ROUTE_RE.match(raw)
        if mt:
            try:
                prefix = str(ipaddress.ip_network(f"{mt.group(1)}/{mt.group(2)}", strict=False))
            except ValueError:
                continue
            hops = [x for x in mt.groups()[2:] if x]
        else:
            mt = _ROUTE6_RE.match(raw)
            if not mt:
                continue
            try:
                prefix = str(ipaddress.ip_network(mt.group(1), strict=False))
            except ValueError:
                continue
            hops = [x for x in mt.groups()[1:] if x]
        iface = next_hop = None
        for h in hops:
            try:
                ipaddress.ip_address(h)
                next_hop = next_hop or h
            except ValueError:
                if h[0].isalpha() and iface is None and next_hop is None and h not in ("name", "tag", "track",
                                                                                       "permanent"):
                    iface = h
        if iface or next_hop:
            out.append(m.Route(prefix, iface, next_hop, report.origin(n)))
    return tuple(out)
