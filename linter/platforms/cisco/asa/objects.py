"""Objects and object-groups: their definitions (`object`, `object-group`) and their
resolution into unions of ranges and alternatives, each group once, iteratively, and bounded
(MAX_OBJECT_GROUP_DEPTH deep; MAX_NESTED_GROUP_MEMBERS members copied from nested groups per
file).

Layer: platform (Cisco ASA).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator

from .... import model as m
from ....limits import MAX_OBJECT_GROUP_DEPTH
from ....ranges import merge, merge3
from .addresses import Addresses
from .report import Drop, Report
from .services import Services, merge_alternatives, port_cond
from .vendor import Line, NetworkObject, ObjectGroup, ObjectTable, ServiceObject

if TYPE_CHECKING:  # pragma: no cover
    from .reader import Reader
    from .vendor import NatTable

# --------------------------------------------------------------------------- definitions


class ObjectCommands:
    """`object network|service NAME` and `object-group KIND NAME` with their members."""

    def commands(self) -> dict[str, Callable[[Line], Iterator[Line] | None]]:
        """The commands this object reads: word -> handler."""
        return {"object": self.cmd_object, "object-group": self.cmd_object_group}

    def __init__(self, reader: "Reader", addresses: Addresses, services: Services) -> None:
        self.reader = reader
        self.report = reader.report
        self.objects: ObjectTable = reader.config.objects
        self.translations: "NatTable" = reader.config.translations
        self.addresses = addresses
        self.services = services

    def cmd_object(self, node: Line) -> Iterator[Line]:
        self.report.relevant(node)
        w = node.words
        if len(w) != 3 or w[1].lower() not in ("network", "service"):
            self.report.diag(node, node.col(min(1, len(w) - 1)), "error", "syntax",
                             "object: expected `object network NAME` or `object service NAME`", "object")
            self.report.not_read(node, "relevant")
            return
        kind, name = w[1].lower(), w[2]
        other = self.objects.svc_objs if kind == "network" else self.objects.net_objs
        if name in other or name in self.objects.groups:
            other = "service" if kind == "network" else "network"
            what = "an object-group" if name in self.objects.groups else f"object {other}"
            self.report.diag(node, node.col(2), "error", "redefined",
                             f"{name} is already {what}: this object is refused (names are shared)", f"object {kind}")
            self.report.not_read(node, "relevant")
            return
        if kind == "network":
            obj = self.objects.net_objs.get(name)
            if obj is None:
                obj = self.objects.net_objs[name] = NetworkObject(name, self.report.origin(node))
            yield from self.reader.children(node, lambda c: self._net_object_child(obj, c), "object network")
        else:
            sobj = self.objects.svc_objs.get(name)
            if sobj is None:
                sobj = self.objects.svc_objs[name] = ServiceObject(name, self.report.origin(node))
            yield from self.reader.children(node, lambda c: self._svc_object_child(sobj, c), "object service")

    def _net_object_child(self, obj: NetworkObject, c: Line) -> None:
        self.report.relevant(c)
        c.strip_comment()
        cw = c.words
        k = cw[0].lower()
        value = None
        try:
            if k == "host" and len(cw) == 2:
                fam, v = self.addresses.ip(cw[1], c.col(1))
                value = ("ranges", ((fam, v, v),), f"host {cw[1]}")
            elif k == "subnet" and len(cw) == 3:
                subnet = self.addresses.addr_mask(cw[1], cw[2], c.col(1), c.col(2))
                value = ("ranges", (subnet,), f"subnet {cw[1]} {cw[2]}")
            elif k == "subnet" and len(cw) == 2:
                value = ("ranges", (self.addresses.prefix(cw[1], c.col(1), c),), f"subnet {cw[1]}")
            elif k == "range" and len(cw) == 3:
                f1, a = self.addresses.ip(cw[1], c.col(1))
                f2, b = self.addresses.ip(cw[2], c.col(2))
                if f1 != f2:
                    raise Drop(c.col(2), "error", "invalid", "range: the two ends are of different families")
                if a > b:
                    raise Drop(c.col(2), "error", "invalid",
                               f"range {cw[1]} {cw[2]}: the first address is above the second (the ASA refuses it)")
                value = ("ranges", ((f1, a, b),), f"range {cw[1]} {cw[2]}")
            elif k == "fqdn" and len(cw) in (2, 3):
                fq = cw[-1]
                value = ("fqdn", fq, f"fqdn {fq}")
                self.report.diag(c, c.col(len(cw) - 1), "note", "approximate",
                                 f"object {obj.name}: the addresses of {fq} are resolved by DNS at run time; "
                                 "matched as "
                                 f"an unknown condition", "object network fqdn")
            elif k == "nat":
                self.translations.nats.append(("object", c, obj.name))
                return
            elif k == "description":
                return
            else:
                raise Drop(c.indent + 1, "error", "syntax",
                           f"object network {obj.name}: expected host, subnet, range, fqdn, nat or description")
        except Drop as d:
            d.construct = d.construct or "object network"
            self.report.drop(c, d)
            return
        if obj.value is not None and obj.value[:2] != value[:2]:
            prev = obj.value_origin
            self.report.diag(c, c.indent + 1, "warning", "redefined",
                             f"object network {obj.name} was `{obj.value[2]}` (line {prev.line if prev else '?'}); "
                             f"this line replaces it: every use of the object now means `{value[2]}`",
                             "object network", understood=True)
        obj.value, obj.value_origin = value, self.report.origin(c)

    def _svc_object_child(self, obj: ServiceObject, c: Line) -> None:
        self.report.relevant(c)
        c.strip_comment()
        k = c.words[0].lower()
        if k == "service":
            try:
                self.services.service_alts(c, 1)
            except Drop as d:
                d.construct = d.construct or "object service"
                self.report.drop(c, d)
                return
            if obj.line is not None and [x.lower() for x in obj.line.words] != [x.lower() for x in c.words]:
                self.report.diag(c, c.indent + 1, "warning", "redefined",
                                 f"object service {obj.name} was `{obj.line.rest(0)}` (line {obj.line.no}); this line "
                                 f"replaces it", "object service", understood=True)
            obj.line = c
        elif k != "description":
            self.report.diag(c, c.indent + 1, "error", "syntax",
                             f"object service {obj.name}: expected service or description", "object service")

    def cmd_object_group(self, node: Line) -> Iterator[Line]:
        self.report.relevant(node)
        w = node.words
        kinds = ("network", "service", "protocol", "icmp-type", "user", "security")
        if len(w) < 3 or w[1].lower() not in kinds:
            self.report.diag(node, node.col(min(1, len(w) - 1)), "error", "syntax",
                             f"object-group: expected one of {', '.join(kinds)} and a name", "object-group")
            self.report.not_read(node, "relevant")
            return
        kind, name = w[1].lower(), w[2]
        proto = None
        if kind == "service" and len(w) == 4 and w[3].lower() in ("tcp", "udp", "tcp-udp"):
            kind, proto = "port", w[3].lower()
        elif len(w) != 3:
            self.report.diag(node, node.col(3), "error", "syntax", f"object-group {w[1]}: unexpected {w[3]!r}",
                             "object-group")
            self.report.not_read(node, "relevant")
            return
        if name in self.objects.net_objs or name in self.objects.svc_objs:
            self.report.diag(node, node.col(2), "error", "redefined",
                             f"{name} is already an object: this object-group is refused (names are shared)",
                             "object-group")
            self.report.not_read(node, "relevant")
            return
        g = self.objects.groups.get(name)
        if g is None:
            g = self.objects.groups[name] = ObjectGroup(name, kind, proto, self.report.origin(node))
        elif g.kind != kind or g.proto != proto:
            shown = lambda k, p: "service " + p if k == "port" else k  # noqa: E731
            self.report.diag(node, node.col(1), "error", "redefined",
                             f"object-group {name} is a {shown(g.kind, g.proto or '')} group "
                             f"(line {g.origin.line}): it "
                             f"cannot be entered as a {shown(kind, proto or '')} group; the members below are refused",
                             "object-group")
            self.report.not_read(node, "relevant")
            return

        def child(c: Line) -> None:
            self.report.relevant(c)
            c.strip_comment()
            g.members.append(c)

        sub = "object-group " + ("service" if kind == "port" else kind)
        yield from self.reader.children(node, child, sub)


# --------------------------------------------------------------------------- resolution


def _is_group_object(c: Line) -> bool:
    return len(c.words) == 2 and c.words[0].lower() == "group-object"


@dataclass
class _Resolved:
    """An object-group resolved with its nested groups."""

    value: object
    height: int  # the longest chain of group-object lines below it (0: it nests no group)
    size: int  # its members (ranges, alternatives, protocols) once merged


@dataclass
class _Refused:
    """An object-group that is not resolved, and why (a diagnostic was reported where)."""

    code: str  # nesting-limit | expansion-limit
    why: str


@dataclass
class _Frame:
    """A group being resolved: its members are read one by one, nested groups first."""

    group: ObjectGroup
    via: Line | None = None  # the group-object line that led here
    index: int = 0
    parts: list = field(default_factory=list)
    height: int = 0
    refused: _Refused | None = None

    def next_member(self) -> Line | None:
        if self.index >= len(self.group.members):
            return None
        self.index += 1
        return self.group.members[self.index - 1]


@dataclass(frozen=True)
class _GroupReader:
    """How the members of one kind of object-group read and combine."""

    key: tuple  # memo key prefix: ("net",), ("icmp", v6), ...
    member: Callable[[ObjectGroup, Line], object]  # a member other than group-object; raises Drop
    check_nested: Callable[[ObjectGroup, Line], None]  # a `group-object NAME` line; raises Drop
    combine: Callable[[ObjectGroup, list], object]  # the parts (members and nested groups) -> the value
    size: Callable[[object], int] = len  # the members in a value


class ObjectResolver:
    """The value of an object or object-group where an entry, a NAT rule or another group uses
    it; each group is resolved once per reader (kind) and remembered."""

    def __init__(self, report: Report, objects: ObjectTable, addresses: Addresses, services: Services,
                 budget: int) -> None:
        self.report = report
        self.objects = objects
        self.addresses = addresses
        self.services = services
        self.budget = budget  # MAX_NESTED_GROUP_MEMBERS (the package's, which tests lower)
        self._memo: dict[tuple, object] = {}  # service objects' alternatives
        self._resolved: dict[tuple, _Resolved | _Refused] = {}  # object-groups, by reader key and name
        self._limit_reported: set[int] = set()  # lines with a nesting-limit or expansion-limit diagnostic
        self._nested_members = 0  # members object-groups took from the groups they nest
        self._group_readers: dict[str, _GroupReader] | None = None

    def _object(self, name: str, col: int, kind: str) -> NetworkObject | ServiceObject:
        """Object NAME of this kind (network, service), marked used; raises Drop when NAME is not
        one (another kind of object, an object-group, nothing)."""
        objs, others, other = ((self.objects.net_objs, self.objects.svc_objs, "service") if kind == "network"
                               else (self.objects.svc_objs, self.objects.net_objs, "network"))
        obj = objs.get(name)
        if obj is None:
            if name in others:
                raise Drop(col, "error", "invalid", f"object {name} is a {other} object, not a {kind} object")
            if name in self.objects.groups:
                raise Drop(col, "error", "invalid", f"{name} is an object-group: write `object-group {name}`")
            raise Drop(col, "error", "undefined-reference", f"object {kind} {name} is not defined", f"object {kind}")
        obj.used = True
        return obj

    def net_object_set(self, name: str, col: int) -> tuple[list, list]:
        obj = self._object(name, col, "network")
        assert isinstance(obj, NetworkObject)
        if obj.value is None:
            raise Drop(col, "error", "invalid",
                       f"object network {name} (line {obj.origin.line}) has no address (host, subnet, range or fqdn)")
        if obj.value[0] == "ranges":
            return list(obj.value[1]), []
        return [], [(f"fqdn {obj.value[1]}", f"an address of {obj.value[1]} (resolved by DNS at run time)")]

    def group(self, name: str, col: int, kinds: tuple[str, ...], what: str) -> ObjectGroup:
        g = self.objects.groups.get(name)
        if g is None:
            if name in self.objects.net_objs or name in self.objects.svc_objs:
                raise Drop(col, "error", "invalid", f"{name} is an object, not an object-group: write `object {name}`")
            raise Drop(col, "error", "undefined-reference", f"object-group {name} is not defined", "object-group")
        g.used = True
        if g.kind not in kinds:
            shown = f"service {g.proto}" if g.kind == "port" else g.kind
            raise Drop(col, "error", "invalid", f"object-group {name} is a {shown} group: it cannot be used as {what}")
        return g

    # -- object-groups: resolved once each, iteratively (the nesting can be thousands deep)

    def _resolve(self, reader: "_GroupReader", name: str, col: int):
        """The value of object-group NAME with its nested groups (`_GroupReader` says how its
        members read); raises Drop when the group is refused (nested too deep)."""
        got = self._resolved.get(reader.key + (name,))
        if got is None:
            got = self._resolve_walk(reader, name)
        if isinstance(got, _Refused):
            raise Drop(col, "error", got.code, f"object-group {name} {got.why}: not analysed", "object-group")
        return got.value

    def _resolve_walk(self, reader: "_GroupReader", name: str) -> "_Resolved | _Refused":
        """Depth first over group-object lines with an explicit stack: each group is resolved
        once its nested groups are, and remembered. A group-object line that closes a cycle is
        reported and left out (the ASA refuses it); one whose group is already nested
        MAX_OBJECT_GROUP_DEPTH deep is reported as `nesting-limit`, and every group above it is
        refused (the entries that use them are reported, not analysed)."""
        frames = [_Frame(self.objects.groups[name])]
        on_path = {name}
        while True:
            f = frames[-1]
            c = f.next_member()
            if c is not None:
                if not _is_group_object(c):
                    self._read_member(reader, f, c)
                    continue
                nested = self._checked_nested(reader, f.group, c)
                if nested is None:
                    continue
                done = self._resolved.get(reader.key + (nested,))
                if done is not None:
                    self._absorb(f, done, c)
                elif nested in on_path:  # the line that closes a loop (the ASA refuses it): left out
                    loop = f"object-group {nested} contains itself (through group-object)"
                    self._member_drop(f.group, c, Drop(c.col(1), "error", "invalid", loop))
                else:
                    frames.append(_Frame(self.objects.groups[nested], via=c))
                    on_path.add(nested)
                continue
            frames.pop()
            on_path.discard(f.group.name)
            res = f.refused
            if res is None:
                value = reader.combine(f.group, f.parts)
                res = _Resolved(value, f.height, reader.size(value))
            self._resolved[reader.key + (f.group.name,)] = res
            if not frames:
                return res
            self._absorb(frames[-1], res, f.via)  # type: ignore[arg-type]

    def _checked_nested(self, reader: "_GroupReader", g: ObjectGroup, c: Line) -> str | None:
        """The group a `group-object NAME` member names, None when the line is refused (an
        undefined group, a group of another kind: reported here)."""
        try:
            reader.check_nested(g, c)
        except Drop as d:
            self._member_drop(g, c, d)
            return None
        return c.words[1]

    def _read_member(self, reader: "_GroupReader", f: "_Frame", c: Line) -> None:
        if c.words[0].lower() == "description":
            return
        try:
            f.parts.append(reader.member(f.group, c))
        except Drop as d:
            self._member_drop(f.group, c, d)

    def _member_drop(self, g: ObjectGroup, c: Line, d: Drop) -> None:
        d.construct = d.construct or f"object-group {'service' if g.kind == 'port' else g.kind}"
        self.report.drop(c, d)

    def _absorb(self, f: "_Frame", res: "_Resolved | _Refused", line: Line) -> None:
        """A nested group's value joins the group that names it on `line`."""
        if f.refused is not None:
            return
        if isinstance(res, _Refused):
            f.refused = res
            return
        if res.height + 1 > MAX_OBJECT_GROUP_DEPTH:
            self._refuse(f, line, "nesting-limit",
                         f"nests object-groups more than {MAX_OBJECT_GROUP_DEPTH} deep (linter/limits.py "
                         f"MAX_OBJECT_GROUP_DEPTH; the limit is crossed at line {line.no})",
                         f"it would nest object-groups more than {MAX_OBJECT_GROUP_DEPTH} deep (linter/limits.py "
                         f"MAX_OBJECT_GROUP_DEPTH)")
            return
        size = res.size
        if self._nested_members + size > self.budget:
            self._refuse(f, line, "expansion-limit",
                         f"takes more members from nested groups than fwlint copies in one file (linter/limits.py "
                         f"MAX_NESTED_GROUP_MEMBERS; the limit is crossed at line {line.no})",
                         f"the {size} members of object-group {line.words[1]} would bring the members object-groups "
                         f"take from nested groups in this file past {self.budget} (linter/limits.py "
                         f"MAX_NESTED_GROUP_MEMBERS)")
            return
        self._nested_members += size
        f.parts.append(res.value)
        f.height = max(f.height, res.height + 1)

    def _refuse(self, f: "_Frame", line: Line, code: str, why: str, what: str) -> None:
        """The group of frame f is not resolved: a bound is crossed at its group-object `line`
        (reported once), and the groups above it and the entries using them are reported."""
        f.refused = _Refused(code, why)
        if line.no not in self._limit_reported:
            self._limit_reported.add(line.no)
            self.report.diag(line, line.col(1), "error", code,
                             f"group-object {line.words[1]}: object-group {f.group.name} is not resolved: {what}; the "
                             f"entries that use it, and the groups that include it, are not analysed", "group-object")

    def net_group(self, name: str, col: int = 1) -> tuple[tuple, tuple]:
        return self._resolve(self._readers["net"], name, col)

    def _net_member(self, g: ObjectGroup, c: Line) -> tuple[list, list]:
        w = c.words
        if w[0].lower() == "network-object":
            if len(w) == 3 and w[1].lower() == "host":
                fam, v = self.addresses.ip(w[2], c.col(2))
                return [(fam, v, v)], []
            if len(w) == 3 and w[1].lower() == "object":
                return self.net_object_set(w[2], c.col(2))
            if len(w) == 3:
                return [self.addresses.addr_mask(w[1], w[2], c.col(1), c.col(2))], []
            if len(w) == 2:
                return [self.addresses.prefix(w[1], c.col(1), c)], []
            raise Drop(c.col(min(3, len(w) - 1)), "error", "syntax",
                       "network-object: expected `host A`, `A MASK`, a prefix or `object NAME`")
        raise Drop(c.indent + 1, "error", "syntax", f"`{w[0]}` is not a member of a network object-group")

    @staticmethod
    def _net_combine(g: ObjectGroup, parts: list) -> tuple[tuple, tuple]:
        ranges, opq = [], []
        for r, o in parts:
            ranges.extend(r)
            opq.extend(o)
        return merge3(ranges), tuple(dict.fromkeys(opq))

    # -- protocols, ports, services

    def svc_object_alts(self, name: str, col: int) -> list[tuple]:
        obj = self._object(name, col, "service")
        assert isinstance(obj, ServiceObject)
        if obj.line is None:
            raise Drop(col, "error", "invalid", f"object service {name} (line {obj.origin.line}) has no service")
        key = ("svcobj", name)
        if key not in self._memo:
            try:
                self._memo[key] = self.services.service_alts(obj.line, 1)
            except Drop:
                self._memo[key] = None
        alts = self._memo[key]
        if alts is None:
            raise Drop(col, "error", "invalid", f"object service {name} is invalid (line {obj.line.no})")
        return alts  # type: ignore[return-value]

    def svc_group(self, name: str, col: int = 1) -> list[tuple]:
        return self._resolve(self._readers["svc"], name, col)

    def _svc_member(self, g: ObjectGroup, c: Line) -> list[tuple]:
        w = c.words
        k = w[0].lower()
        if k == "service-object":
            if len(w) == 3 and w[1].lower() == "object":
                return self.svc_object_alts(w[2], c.col(2))
            return self.services.service_alts(c, 1)
        if k == "port-object":
            raise Drop(c.indent + 1, "error", "syntax",
                       f"port-object needs a group with a protocol (`object-group service {g.name} tcp`)")
        raise Drop(c.indent + 1, "error", "syntax", f"`{w[0]}` is not a member of a service object-group")

    def port_group(self, name: str, col: int = 1) -> tuple[tuple[int, int], ...]:
        return self._resolve(self._readers["port"], name, col)

    def _port_member(self, g: ObjectGroup, c: Line) -> tuple[tuple[int, int], ...]:
        w = c.words
        if w[0].lower() == "port-object":
            pnames = ("tcp", "udp") if g.proto == "tcp-udp" else (g.proto or "tcp",)
            op = w[1].lower() if len(w) > 1 else ""
            if op not in ("eq", "range") or len(w) != (4 if op == "range" else 3):
                raise Drop(c.col(min(1, len(w) - 1)), "error", "syntax",
                           "port-object: expected `eq PORT` or `range FIRST LAST`")
            vals = [self.services.port(x, c.col(2 + k2), pnames, c) for k2, x in enumerate(w[2:])]
            return port_cond(m.DPORT, op, vals, c.col(1)).ranges
        raise Drop(c.indent + 1, "error", "syntax", f"`{w[0]}` is not a member of a port object-group")

    def _check_nested_port(self, g: ObjectGroup, c: Line) -> None:
        sub = self.group(c.words[1], c.col(1), ("port",), "a member of a port group")
        if sub.proto != g.proto:
            raise Drop(c.col(1), "error", "invalid",
                       f"object-group {sub.name} is a {sub.proto} group; {g.name} is {g.proto}")

    def proto_group(self, name: str, col: int = 1) -> tuple[int, ...] | None:
        return self._resolve(self._readers["proto"], name, col)

    def _proto_member(self, g: ObjectGroup, c: Line) -> tuple[int, ...] | None:
        w = c.words
        if w[0].lower() == "protocol-object" and len(w) == 2:
            n = self.services.proto_number(w[1], c.col(1), c)
            return None if n is None else (n,)
        raise Drop(c.indent + 1, "error", "syntax", f"`{w[0]}` is not a member of a protocol object-group")

    @staticmethod
    def _proto_combine(g: ObjectGroup, parts: list) -> tuple[int, ...] | None:
        if any(p is None for p in parts):
            return None  # `protocol-object ip`: every protocol
        return tuple(sorted({x for p in parts for x in p}))

    def icmp_group(self, name: str, v6: bool, col: int = 1) -> tuple[tuple[int, int], ...]:
        return self._resolve(self._readers["icmp6" if v6 else "icmp"], name, col)

    def _icmp_member(self, v6: bool) -> Callable[[ObjectGroup, Line], tuple]:
        def member(g: ObjectGroup, c: Line) -> tuple:
            w = c.words
            if w[0].lower() == "icmp-object" and len(w) == 2:
                try:
                    t = self.services.icmp_value(w[1], c.col(1), v6)
                except Drop:
                    t = self.services.icmp_value(w[1], c.col(1), not v6)
                return (((t << 8), (t << 8) | 255),)
            raise Drop(c.indent + 1, "error", "syntax", f"`{w[0]}` is not a member of an icmp-type object-group")

        return member

    def _nested_check(self, kind: str, what: str) -> Callable[[ObjectGroup, Line], None]:
        def check(g: ObjectGroup, c: Line) -> None:
            self.group(c.words[1], c.col(1), (kind,), what)

        return check

    @property
    def _readers(self) -> dict[str, "_GroupReader"]:
        """How the members of each kind of object-group read, and how they combine (unions:
        never the cross product of anything)."""
        if self._group_readers is None:
            ranges_union = lambda g, parts: merge(r for part in parts for r in part)  # noqa: E731
            self._group_readers = {
                "net": _GroupReader(("net",), self._net_member,
                                    self._nested_check("network", "a member of a network group"), self._net_combine,
                                    lambda value: len(value[0]) + len(value[1])),
                "svc": _GroupReader(("svc",), self._svc_member,
                                    self._nested_check("service", "a member of a service group"),
                                    lambda g, parts: merge_alternatives([a for part in parts for a in part])),
                "port": _GroupReader(("port",), self._port_member, self._check_nested_port, ranges_union),
                "proto": _GroupReader(("proto",), self._proto_member,
                                      self._nested_check("protocol", "a member of a protocol group"),
                                      self._proto_combine, lambda value: 1 if value is None else len(value)),
                "icmp": _GroupReader(("icmp", False), self._icmp_member(False),
                                     self._nested_check("icmp-type", "a member of an icmp-type group"), ranges_union),
                "icmp6": _GroupReader(("icmp", True), self._icmp_member(True),
                                      self._nested_check("icmp-type", "a member of an icmp-type group"), ranges_union),
            }
        return self._group_readers

    def validate_group(self, g: ObjectGroup) -> None:
        """Resolve a group once so that its members' problems are reported, used or not."""
        try:
            if g.kind == "network":
                self.net_group(g.name)
            elif g.kind == "port":
                self.port_group(g.name)
            elif g.kind == "service":
                self.svc_group(g.name)
            elif g.kind == "protocol":
                self.proto_group(g.name)
            elif g.kind == "icmp-type":
                self.icmp_group(g.name, False)
            else:
                for c in g.members:
                    k = c.words[0].lower()
                    ok = {"user": ("user", "user-group", "group-object", "description"),
                          "security": ("security-group", "group-object", "description")}[g.kind]
                    if k not in ok:
                        self.report.diag(c, c.indent + 1, "error", "syntax",
                                         f"`{c.words[0]}` is not a member of a {g.kind} object-group",
                                         f"object-group {g.kind}")
        except Drop as d:
            if d.code in ("nesting-limit", "expansion-limit"):
                return  # reported once, at the line that crosses the limit
            self.report.diag(g.origin.line, d.col, d.severity, d.code, d.message, d.construct)


# --------------------------------------------------------------------------- converter: access-list entries

