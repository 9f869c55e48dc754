"""Interfaces, nameifs and security levels: `interface` (nameif, security-level, addresses),
PIX `nameif`, `same-security-traffic`; and what they make of the model: one filter per nameif
(its inbound access-group, the global one, or the implicit permits to lower levels) and the
bindings.

Layer: platform (Cisco ASA).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from typing import TYPE_CHECKING, Callable, Iterator

from .... import model as m
from ....names import read_int
from .addresses import IPV4_RE, mask_bits, zone_id_drop
from .report import Report
from .vendor import AccessGroup, AsaConfig, AsaInterface, Line
from .vocab import STATE_COMMENT, STATE_MATCH

if TYPE_CHECKING:  # pragma: no cover
    from .acl import AclConverter
    from .reader import Reader


class InterfaceCommands:
    """`interface HW` and its sub-commands, PIX `nameif HW NAME securityN`,
    `same-security-traffic permit inter-interface|intra-interface`."""

    def commands(self) -> dict[str, Callable[[Line], Iterator[Line] | None]]:
        """The commands this object reads: word -> handler."""
        return {"interface": self.cmd_interface, "nameif": self.cmd_nameif,
                "same-security-traffic": self.cmd_same_security_traffic}

    def __init__(self, reader: "Reader") -> None:
        self.reader = reader
        self.report = reader.report
        self.interfaces = reader.config.interfaces

    def cmd_interface(self, node: Line) -> Iterator[Line]:
        w = node.words
        if len(w) < 2:
            self.report.relevant(node)
            self.report.diag(node, node.col(0), "error", "syntax", "interface: a name is missing", "interface")
            return
        hw = w[1]
        if len(w) > 2 and not node.children:
            self.report.other(node)  # PIX 6: `interface ethernet0 100full` (speed and duplex)
            return
        self.report.relevant(node)
        iface = self.interfaces.ifaces_by_hw.get(hw)
        if iface is None:
            iface = AsaInterface(hw, self.report.origin(node))
            self.interfaces.ifaces_by_hw[hw] = iface
            self.interfaces.ifaces.append(iface)

        yield from self.reader.children(node, lambda c: self._interface_line(iface, c), "interface")

    def _interface_line(self, iface: AsaInterface, c: Line) -> None:
        """A sub-command of `interface`."""
        cw = c.words
        h = c.head(2)
        k = cw[0].lower()
        if k == "nameif" and len(cw) == 2:
            self.report.relevant(c)
            iface.nameif, iface.nameif_origin = cw[1], self.report.origin(c)
        elif k == "security-level":
            self.report.relevant(c)
            if len(cw) == 2 and cw[1].isdigit() and read_int(cw[1]) <= 100:
                iface.level, iface.level_origin = read_int(cw[1]), self.report.origin(c)
            else:
                self.report.diag(c, c.col(1), "error", "invalid", "security-level: expected a number from 0 to 100",
                                 "security-level")
        elif h == "no nameif":
            self.report.relevant(c)
            iface.nameif = iface.nameif_origin = None
        elif h == "no security-level":
            self.report.relevant(c)
            iface.level = iface.level_origin = None
        elif h == "ip address":
            self.report.relevant(c)
            self._ipv4_address(iface, c)
        elif h == "no ip":
            self.report.relevant(c)
            iface.addresses = [a for a in iface.addresses if ":" in a]
        elif h == "ipv6 address" and len(cw) >= 3:
            self.report.relevant(c)
            self._ipv6_address(iface, c)
        elif k == "management-only":
            self.report.relevant(c)
            self.report.diag(c, c.indent + 1, "note", "approximate",
                             "management-only: the ASA passes no through traffic on this interface; the model "
                             "does not say so", "interface")
        elif h in ("ip access-group", "ip inspect", "ip nat", "ipv6 traffic-filter"):
            self.report.unknown(c, f"`{h}` is an IOS interface command, not an ASA one: ignored", "ios-command")
        else:
            self.report.other(c)  # speed, duplex, description, vlan, ospf, ...

    def _ipv4_address(self, iface: AsaInterface, c: Line) -> None:
        """`ip address ADDRESS NETMASK [standby ...]` (it replaces the IPv4 address), `dhcp`, `pppoe`."""
        cw = c.words
        if len(cw) >= 4 and IPV4_RE.match(cw[2]):
            bits = mask_bits(cw[3])
            try:
                ipaddress.IPv4Address(cw[2])
                ok = bits is not None
            except ValueError:
                ok = False
            if ok:
                iface.addresses = [a for a in iface.addresses if ":" in a] + [f"{cw[2]}/{bits}"]
            else:
                self.report.diag(c, c.col(2), "error", "invalid", f"ip address: {cw[2]} {cw[3]} is not an "
                                 f"address and a netmask", "interface")
        elif len(cw) >= 3 and cw[2].lower() in ("dhcp", "pppoe"):
            pass  # assigned at run time
        else:
            self.report.diag(c, c.col(2), "error", "syntax", "ip address: expected an address and a netmask",
                             "interface")

    def _ipv6_address(self, iface: AsaInterface, c: Line) -> None:
        cw = c.words
        zoned = zone_id_drop(cw[2], c.col(2))
        if zoned is not None:
            self.report.drop(c, zoned)
            return
        try:
            iface.addresses.append(str(ipaddress.IPv6Interface(cw[2])))
        except ValueError:
            if cw[2].lower() not in ("autoconfig", "dhcp"):
                self.report.diag(c, c.col(2), "error", "invalid", f"ipv6 address: {cw[2]!r} is not a prefix",
                                 "interface")

    def cmd_nameif(self, node: Line) -> None:
        """PIX 6: `nameif HARDWARE NAME securityN`."""
        self.report.relevant(node)
        w = node.words
        mo = re.fullmatch(r"security(\d+)", w[3].lower()) if len(w) == 4 else None
        if not mo or read_int(mo.group(1)) > 100:
            self.report.diag(node, node.col(min(3, len(w) - 1)), "error", "syntax",
                             "nameif: expected `nameif HARDWARE NAME securityN` (N from 0 to 100)", "nameif")
            return
        iface = self.interfaces.ifaces_by_hw.get(w[1])
        if iface is None:
            iface = AsaInterface(w[1], self.report.origin(node))
            self.interfaces.ifaces_by_hw[w[1]] = iface
            self.interfaces.ifaces.append(iface)
        iface.nameif, iface.nameif_origin = w[2], self.report.origin(node)
        iface.level, iface.level_origin = read_int(mo.group(1)), self.report.origin(node, node.col(3))

    def cmd_same_security_traffic(self, node: Line) -> None:
        self.report.relevant(node)
        w = [x.lower() for x in node.words]
        if w[1:3] == ["permit", "inter-interface"]:
            self.interfaces.same_inter = self.report.origin(node)
        elif w[1:3] == ["permit", "intra-interface"]:
            self.interfaces.same_intra = self.report.origin(node)
        else:
            self.report.diag(node, node.col(1), "error", "syntax",
                             "same-security-traffic: expected `permit inter-interface` or `permit intra-interface`",
                             "same-security-traffic")


# --------------------------------------------------------------------------- the model


def _reindex(r: m.Rule, i: int) -> m.Rule:
    return r if r.index == i else dataclasses.replace(r, index=i)


class SecurityLevels:
    """The interfaces with a nameif, their filters (`in:NAMEIF`) and the bindings."""

    def __init__(self, report: Report, config: AsaConfig, acl: "AclConverter") -> None:
        self.report = report
        self.interfaces = config.interfaces
        self.access = config.access
        self.acl = acl
        self.applied: set[str] = set()  # access-lists bound by an access-group that is not replaced

    def named_interfaces(self) -> list[AsaInterface]:
        named: list[AsaInterface] = []
        seen: dict[str, AsaInterface] = {}
        for i in self.interfaces.ifaces:
            if not i.nameif:
                continue
            if i.nameif in seen:
                o = i.nameif_origin
                self.report.diag(o.line if o else 1, o.column if o else 1, "error", "redefined",
                                 f"nameif {i.nameif} is already the name of interface {seen[i.nameif].hw}: the ASA "
                                 f"refuses a second one", "nameif")
                continue
            seen[i.nameif] = i
            if i.level is None:
                # the ASA's default: 100 for a nameif of "inside", 0 for any other
                i.level = 100 if i.nameif.lower() == "inside" else 0
                i.level_origin = i.nameif_origin
            named.append(i)
        for nameif, addr, line in self.interfaces.pending_ip:
            i = seen.get(nameif)
            words = addr.split()
            bits = mask_bits(words[1]) if len(words) == 2 else None
            if i is None:
                self.report.diag(line, line.col(2), "error", "undefined-reference",
                                 f"ip address: no interface is named {nameif}", "nameif")
            elif bits is None or not IPV4_RE.match(words[0]):
                self.report.diag(line, line.col(3), "error", "invalid",
                                 f"ip address: {addr} is not an address and a netmask",
                                 "interface")
            else:
                i.addresses.append(f"{words[0]}/{bits}")
        return named

    def bindings(self, filters: dict[str, m.Filter],
                 ifaces: list[AsaInterface]) -> tuple[list[m.Binding], list[m.Filter]]:
        nameifs = {i.nameif for i in ifaces}
        last: dict[tuple, AccessGroup] = {}
        for ag in self.access.access_groups:
            acl = self.access.acls.get(ag.acl)
            if acl is None:
                self.report.diag(ag.origin.line, ag.origin.column, "error", "undefined-reference",
                                 f"access-list {ag.acl} is not defined: the ASA refuses this access-group",
                                 "access-group")
                continue
            acl.used = True
            if ag.iface is not None and nameifs and ag.iface not in nameifs:
                self.report.diag(ag.origin.line, ag.origin.column, "error", "undefined-reference",
                                 f"no interface has nameif {ag.iface}", "access-group")
            if ag.hook != "global" and acl.kind == "standard":
                self.report.diag(ag.origin.line, ag.origin.column, "error", "invalid",
                                 f"access-list {ag.acl} is a standard ACL: the ASA refuses it in an access-group",
                                 "access-group")
                continue
            key = (ag.hook, ag.iface, acl.kind == "ipv6")
            if key in last:
                old = last[key]
                self.report.diag(old.origin.line, old.origin.column, "note", "replaced",
                                 f"this access-group is replaced by the one on line {ag.origin.line} "
                                 f"(access-list {ag.acl})", "access-group")
            last[key] = ag
        self.applied = {ag.acl for ag in last.values()}
        bindings: list[m.Binding] = []
        out_filters: list[m.Filter] = []
        glob = [ag for k, ag in last.items() if k[0] == "global"]
        glob_rules = [r for ag in glob for r in self.acl.rules.get(ag.acl, [])]
        order = [i.nameif for i in ifaces] + [ag.iface for k, ag in last.items()
                                              if k[0] == "in" and ag.iface not in nameifs]
        by_nameif = {i.nameif: i for i in ifaces}
        for name in dict.fromkeys(order):
            assert name is not None
            ins = [ag for k, ag in last.items() if k[0] == "in" and k[1] == name]
            iface = by_nameif.get(name)
            if ins:
                origin = ins[0].origin
            elif glob:
                origin = glob[0].origin
            else:
                origin = (iface.nameif_origin if iface and iface.nameif_origin else iface.origin) if iface \
                    else m.Origin(self.report.path, 1, 1, "")
            rules = [m.Rule(STATE_MATCH, m.Action("accept"), origin, 0, comment=STATE_COMMENT, synthetic=True)]
            for ag in ins:
                rules.extend(self.acl.rules.get(ag.acl, []))
            rules.extend(glob_rules)
            if not ins and iface is not None:
                rules.extend(self._implicit_permits(iface, ifaces))
            rules = [_reindex(r, k) for k, r in enumerate(rules)]
            out_filters.append(m.Filter(f"in:{name}", tuple(rules), m.Action("drop"), "first-match", "", False,
                                        None, origin))
            bindings.append(m.Binding(f"in:{name}", "in", interface=name))
        for k, ag in last.items():
            if k[0] == "out":
                bindings.append(m.Binding(ag.acl, "out", interface=ag.iface))
        for ag in glob:
            bindings.append(m.Binding(ag.acl, "global"))
        return bindings, out_filters

    def _implicit_permits(self, iface: AsaInterface, ifaces: list[AsaInterface]) -> list[m.Rule]:
        out = []
        level = iface.level if iface.level is not None else 0
        origin = iface.level_origin or iface.nameif_origin or iface.origin
        lower = tuple(i.nameif for i in ifaces if i.level is not None and i.level < level)  # type: ignore[misc]
        if lower:
            out.append(m.Rule(m.Match((m.IfaceCond(m.OUT_IFACE, lower),)), m.Action("accept", detail="implicit permit"),
                              origin, comment=f"security levels: from {iface.nameif} ({level}) to interfaces of "
                                              f"lower security level (no inbound access-group)", synthetic=True))
        if self.interfaces.same_inter is not None:
            equal = tuple(i.nameif for i in ifaces if i.level == level and i is not iface)  # type: ignore[misc]
            if equal:
                out.append(m.Rule(m.Match((m.IfaceCond(m.OUT_IFACE, equal),)),
                                  m.Action("accept", detail="implicit permit"), self.interfaces.same_inter,
                                  comment=f"same-security-traffic permit inter-interface: from {iface.nameif} to "
                                          f"interfaces of the same security level ({level})", synthetic=True))
        if self.interfaces.same_intra is not None:
            out.append(m.Rule(m.Match((m.IfaceCond(m.OUT_IFACE, (iface.nameif,)),)),  # type: ignore[arg-type]
                              m.Action("accept", detail="implicit permit"), self.interfaces.same_intra,
                              comment=f"same-security-traffic permit intra-interface: back out of {iface.nameif}",
                              synthetic=True))
        return out

    # -- NAT

    def check_nameif(self, name: str, line: Line, col: int) -> None:
        """An interface named in NAT or a service-policy must have this nameif (when any has one)."""
        known = {i.nameif for i in self.interfaces.ifaces if i.nameif}
        if name != "any" and known and name not in known:
            self.report.diag(line, col, "error", "undefined-reference", f"no interface has nameif {name}", "nat")
