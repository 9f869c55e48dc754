"""Object-groups: `object-group network|service|protocol NAME`, `object-group ip port|address`,
`object-group ipv6 address` and their members (read into ObjectGroup items), and their
resolution with the groups they nest (`group-object`) at conversion.

Layer: platforms (left of the model).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .... import model as m
from ....limits import MAX_OBJECT_GROUP_DEPTH
from ....ranges import merge, merge3
from ..common import NestedReader, has_zone_id, ipv4, ipv6, mask_len, prefix, words
from .vendor import ObjectGroup
from .vocab import PORT_PROTOS, icmp_cond, port_ranges, proto_value, r_cond, split_port_op

if TYPE_CHECKING:
    from .convert import Converter


def nested_members_budget() -> int:
    """linter/limits.py MAX_NESTED_GROUP_MEMBERS as the package holds it when a parse starts
    (tests lower it on the package, `linter.platforms.cisco.ios`)."""
    from .. import ios

    return ios.MAX_NESTED_GROUP_MEMBERS


def object_group(r, lineno: int, ws, lw) -> None:
    r.relevant(lineno)
    if len(ws) < 3:
        r.diag(lineno, ws[0][1], "error", "syntax", "`object-group TYPE NAME`", "object-group")
        return
    kind = lw[1]
    name_at = 2
    if kind == "ip" and len(lw) > 3 and lw[2] in ("port", "address"):
        kind = "port" if lw[2] == "port" else "network"
        name_at = 3
    elif kind == "ipv6" and len(lw) > 3 and lw[2] == "address":
        kind, name_at = "network", 3
    if kind not in ("network", "service", "protocol", "port"):
        r.diag(lineno, ws[1][1], "warning", "unsupported",
               f"object-group {ws[1][0]} is not modelled", f"object-group {ws[1][0]}")
        r.open_block(lineno, r.unmodelled_line)
        return
    name = ws[name_at][0]
    g = r.config.groups.get(name)
    if g is not None and g.kind != kind:
        r.diag(lineno, ws[name_at][1], "error", "invalid",
               f"object-group {name} is already a {g.kind} group (line {g.line}); IOS rejects this one",
               "object-group")
        r.open_block(lineno, r.unmodelled_line)
        return
    if g is None:
        g = r.config.groups[name] = ObjectGroup(name, kind, lineno, r.lines[lineno - 1].strip())

    def handler(ln: int, line: str, g=g) -> None:
        r.relevant(ln)
        group_item(r, g, ln, words(line))

    r.open_block(lineno, handler)
    if len(ws) > name_at + 1 and kind == "service":  # `object-group service NAME tcp` (ASA)
        r.diag(lineno, ws[name_at + 1][1], "warning", "asa-syntax",
               "a protocol after the service object-group name is ASA syntax; IOS rejects it",
               "object-group service")


def group_item(r, g: ObjectGroup, lineno: int, ws) -> None:
    if not ws:
        return
    w = ws[0][0].lower()
    if w in ("description", "exit"):
        return
    if w == "group-object":
        if len(ws) != 2:
            r.diag(lineno, ws[0][1], "error", "syntax", "`group-object NAME`", "group-object")
            return
        g.items.append(("group", ws[1][0], lineno, ws[1][1]))
        return
    if g.kind == "network":
        network_item(r, g, lineno, ws)
    elif g.kind == "service":
        service_item(r, g, lineno, ws)
    elif g.kind == "protocol":
        if w == "protocol-object" and len(ws) == 2:
            ws = ws[1:]
        if len(ws) != 1:
            r.diag(lineno, ws[0][1], "error", "syntax", "one protocol per line", "object-group protocol")
            return
        p = proto_value(ws[0][0], 4)
        if p is False:
            r.diag(lineno, ws[0][1], "error", "invalid", f"unknown protocol `{ws[0][0]}`",
                   "object-group protocol")
            return
        g.items.append(("proto", p, lineno, ws[0][1]))
    else:  # port
        ports = port_ranges(r.diag, [(x, c) for x, c in ws], "tcp", lineno, ws[0][1], "object-group ip port")
        if ports is not None:
            g.items.append(("port", ports, lineno, ws[0][1]))


class _Rejected(Exception):
    """A member IOS rejects (reported where it was found): the line adds nothing."""


def network_item(r, g: ObjectGroup, lineno: int, ws) -> None:
    col = ws[0][1]
    if ws[0][0].lower() == "network-object":
        ws = ws[1:]
        if not ws:
            r.diag(lineno, col, "error", "syntax", "`network-object` needs an address", "object-group network")
            return
    vals = [x for x, _ in ws]
    try:
        rng = _network_ranges(r, lineno, ws, vals)
    except _Rejected:
        return
    zoned = [(v, c) for v, c in ws if has_zone_id(v)]
    if rng is None and zoned:
        r.diag(lineno, zoned[0][1], "error", "invalid",
               f"`{zoned[0][0]}` is an IPv6 address with a zone id after `%`: IOS object-groups take none; "
               "the line is rejected, not analysed", "object-group network")
        return
    if rng is None:
        r.diag(lineno, ws[0][1], "error", "syntax", f"not a network object: `{' '.join(vals)}`",
               "object-group network")
        return
    g.items.append(("addr", rng, lineno, ws[0][1]))


def _network_ranges(r, lineno: int, ws, vals: list[str]) -> list | None:
    """The address ranges of a network object's words; None when they are not one."""
    w = vals[0].lower()
    if w == "any" and len(ws) == 1:
        return [(4, 0, 2**32 - 1), (6, 0, 2**128 - 1)]
    if w == "host" and len(ws) == 2:
        a4, a6 = ipv4(vals[1]), ipv6(vals[1]) if ":" in vals[1] else None
        if a4 is not None:
            return [(4, a4, a4)]
        if a6 is not None:
            return [(6, a6, a6)]
        return None
    if w == "range" and len(ws) == 3:
        return _address_range(r, lineno, ws, vals)
    if len(ws) == 2 and ipv4(vals[0]) is not None and vals[1].startswith("/") and vals[1][1:].isdigit():
        p = prefix(vals[0] + vals[1])  # fwbuilder writes `10.0.0.0 /24`
        return [p] if p else None
    if len(ws) == 2 and ipv4(vals[0]) is not None:
        return _masked_network(r, lineno, ws, vals)
    if len(ws) == 1 and "/" in vals[0]:
        p = prefix(vals[0])
        return [p] if p else None
    if len(ws) == 1 and ipv4(vals[0]) is not None:
        a = ipv4(vals[0])
        return [(4, a, a)]
    return None


def _address_range(r, lineno: int, ws, vals: list[str]) -> list | None:
    """`range A B` (IPv4 or IPv6)."""
    a, b = ipv4(vals[1]), ipv4(vals[2])
    if a is None or b is None:
        a = ipv6(vals[1]) if ":" in vals[1] else None
        b = ipv6(vals[2]) if ":" in vals[2] else None
        fam = 6
    else:
        fam = 4
    if a is None or b is None:
        return None
    if a > b:
        r.diag(lineno, ws[1][1], "error", "invalid",
               f"range {vals[1]} {vals[2]}: the first address is above the last", "address range")
        raise _Rejected
    return [(fam, a, b)]


def _masked_network(r, lineno: int, ws, vals: list[str]) -> list | None:
    """`ADDRESS NETMASK` (a netmask, not a wildcard)."""
    mask = ipv4(vals[1])
    if mask is None:
        r.diag(lineno, ws[1][1], "error", "invalid", f"`{vals[1]}` is not a netmask", "object-group network")
        raise _Rejected
    plen = mask_len(mask)
    if plen is None:
        r.diag(lineno, ws[1][1], "error", "invalid",
               f"`{vals[1]}` is not a contiguous netmask (object-groups take a netmask, not a wildcard)",
               "object-group network")
        raise _Rejected
    p = prefix(f"{vals[0]}/{plen}")
    return [p] if p else None


def service_item(r, g: ObjectGroup, lineno: int, ws) -> None:
    """`tcp eq 80`, `udp range 1 2`, `tcp-udp eq 53`, `icmp echo`, `tcp source eq 1 eq 2`, `esp`, `47`."""
    col = ws[0][1]
    if ws[0][0].lower() == "service-object":
        ws = ws[1:]
        if not ws:
            return
    pname = ws[0][0].lower()
    if pname == "tcp-udp":
        protos: tuple | None = (6, 17)
    else:
        p = proto_value(pname, 4)
        if p is False:
            r.diag(lineno, ws[0][1], "error", "invalid", f"unknown protocol `{ws[0][0]}`",
                   "object-group service")
            return
        protos = None if p is None else (p,)
    conds: list = []
    if protos is not None:
        conds.append(m.IntCond(m.PROTO, merge((p, p) for p in protos)))
    rest = ws[1:]
    if rest and protos is not None and set(protos) <= PORT_PROTOS:
        proto_text = "udp" if protos == (17,) else "tcp"
        if rest[0][0].lower() == "source":
            ops, rest = split_port_op(rest[1:])
            r = port_ranges(r.diag, ops, proto_text, lineno, col, "object-group service", protos)
            if r is None:
                return
            conds.append(r_cond(m.SPORT, r))
        if rest:
            if rest[0][0].isdigit() or rest[0][0].lower() not in ("eq", "neq", "lt", "gt", "range"):
                rest = [("eq", rest[0][1])] + rest  # `tcp 65000` means `tcp eq 65000`
            ops, rest = split_port_op(rest)
            r = port_ranges(r.diag, ops, proto_text, lineno, col, "object-group service", protos)
            if r is None:
                return
            conds.append(r_cond(m.DPORT, r))
    elif rest and protos is not None and protos[0] in (1, 58):
        ic = icmp_cond([x for x, _ in rest], protos[0] == 58)
        if ic is None:
            r.diag(lineno, rest[0][1], "error", "invalid",
                   f"unknown ICMP message `{' '.join(x for x, _ in rest)}`", "object-group service")
            return
        conds.append(ic)
        rest = []
    if rest:
        r.diag(lineno, rest[0][1], "error", "syntax", f"unexpected `{rest[0][0]}` in a service object",
               "object-group service")
        return
    g.items.append(("svc", tuple(conds), lineno, col))


class GroupFlattener(NestedReader):
    """The members of an object-group with those of the groups it nests (`group-object`): the
    merged ranges of a network group, each protocol or service of the others once. Unions,
    never products: the size is bounded by the number of distinct members."""

    def __init__(self, conv: "Converter") -> None:
        super().__init__(MAX_OBJECT_GROUP_DEPTH, nested_members_budget())
        self.c = conv

    def entries(self, name: str) -> list:
        return self.c.config.groups[name].items

    def nested(self, name: str, item) -> str | None:
        if item[0] != "group":
            return None
        c = self.c
        _k, sub_name, ln, col = item
        sub = c.config.groups.get(sub_name)
        if sub is None:
            c.report_once(ln, col, "undefined-reference", f"object-group {sub_name} is not defined", "group-object")
            return None
        c.uses.groups.add(sub_name)
        kind = c.config.groups[name].kind
        if sub.kind != kind:
            c.report_once(ln, col, "invalid", f"object-group {sub_name} is a {sub.kind} group, not a {kind} group",
                          "group-object")
            return None
        return sub_name

    def part(self, name: str, item):
        if item[0] == "group":
            return None  # a bad reference, reported by nested()
        return item[1] if item[0] == "addr" else (item[1],)  # a part: a sequence of members

    def cycle(self, name: str, item) -> None:
        self.c.report_once(item[2], item[3], "invalid", f"object-group {item[1]} contains itself", "group-object")

    def too_deep(self, name: str, item) -> int:
        return self._refuse(name, item, "nesting-limit", f"it would nest object-groups more than {self.limit} deep "
                            "(linter/limits.py MAX_OBJECT_GROUP_DEPTH)")

    def too_large(self, name: str, item, size: int) -> int:
        return self._refuse(name, item, "expansion-limit",
                            f"the {size} members of object-group {item[1]} would bring the members object-groups take "
                            f"from nested groups in this file past {self.budget} (linter/limits.py "
                            "MAX_NESTED_GROUP_MEMBERS)")

    def _refuse(self, name: str, item, code: str, why: str) -> int:
        self.c.report_once(item[2], item[3], code,
                           f"group-object {item[1]}: object-group {name} is not resolved: {why}; the entries that "
                           "use it, and the groups that include it, are not analysed", "group-object")
        return item[2]

    def combine(self, name: str, parts: list):
        members = [x for part in parts for x in part]
        if self.c.config.groups[name].kind == "network":
            return merge3(members)
        return tuple(dict.fromkeys(members))
