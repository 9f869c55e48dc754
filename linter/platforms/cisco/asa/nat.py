"""NAT: object NAT (`nat` under `object network`), twice NAT (`nat (R,M) source ...`), and
PIX / ASA 8.2 `nat (IF) ID`, `global`, `static`; each a `model.Alteration`.

Layer: platform (Cisco ASA).
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Callable, Iterator

from .... import model as m
from .addresses import MAX4, Addresses, addr_conds
from .objects import ObjectResolver
from .report import Drop, Report
from .services import Services, alts_conds, proto_cond
from .vendor import AsaConfig, Line
from .vocab import ASA_PROTOCOLS

if TYPE_CHECKING:  # pragma: no cover
    from .acl import AclConverter
    from .reader import Reader
    from .security_levels import SecurityLevels


class NatCommands:
    """The NAT statements, kept in file order and read at the end (they name objects and
    access-lists defined anywhere in the file)."""

    def commands(self) -> dict[str, Callable[[Line], Iterator[Line] | None]]:
        """The commands this object reads: word -> handler."""
        return {"nat": self.cmd_nat, "static": self.cmd_static, "global": self.cmd_global}

    def __init__(self, reader: "Reader") -> None:
        self.report = reader.report
        self.translations = reader.config.translations

    def cmd_nat(self, node: Line) -> None:
        self.report.relevant(node)
        w = node.words
        if len(w) >= 3 and re.fullmatch(r"\([^,()]+\)", w[1]) and w[2].isdigit():
            self.translations.nats.append(("legacy", node, None))  # PIX / ASA 8.2: nat (IF) ID ...
        else:
            self.translations.nats.append(("twice", node, None))

    def cmd_static(self, node: Line) -> None:
        self.report.relevant(node)
        self.translations.nats.append(("static", node, None))

    def cmd_global(self, node: Line) -> None:
        self.report.relevant(node)
        w = node.words
        mo = re.fullmatch(r"\(([^,()]+)\)", w[1]) if len(w) >= 4 else None
        if mo is None or not w[2].isdigit():
            self.report.diag(node, node.col(1), "error", "syntax",
                             "global: expected `global (IF) ID ADDRESS|interface`",
                             "global")
            return
        self.translations.globals_.append((w[2], mo.group(1), " ".join(w[3:]), node))


class NatConverter:
    def __init__(self, report: Report, config: AsaConfig, resolver: ObjectResolver, addresses: Addresses,
                 services: Services, acl: "AclConverter", levels: "SecurityLevels") -> None:
        self.report = report
        self.objects = config.objects
        self.translations = config.translations
        self.resolver = resolver
        self.addresses = addresses
        self.services = services
        self.acl = acl
        self.levels = levels

    def _iface_pair(self, word: str, col: int) -> tuple[str, str]:
        mo = re.fullmatch(r"\(([^,()]+),([^,()]+)\)", word)
        if mo is None:
            raise Drop(col, "error", "syntax", f"expected (REAL_IF,MAPPED_IF), not {word!r}")
        return mo.group(1), mo.group(2)

    def _iface_conds(self, real: str | None, mapped: str | None, line: Line, col: int) -> list:
        conds: list = []
        for fieldname, name in ((m.IN_IFACE, real), (m.OUT_IFACE, mapped)):
            if name is not None and name != "any":
                self.levels.check_nameif(name, line, col)
                conds.append(m.IfaceCond(fieldname, (name,)))
        return conds

    def _net_ref(self, word: str, col: int) -> tuple[list, list] | None:
        """An object or object-group of addresses named in NAT (None: any)."""
        if word.lower() == "any":
            return None
        if word in self.objects.groups:
            self.resolver.group(word, col, ("network",), "addresses")
            r, o = self.resolver.net_group(word, col)
            return list(r), list(o)
        if word in self.objects.net_objs or word in self.objects.svc_objs:
            return self.resolver.net_object_set(word, col)
        raise Drop(col, "error", "undefined-reference", f"object network {word} is not defined", "nat")

    def _mapped(self, w: list[str], i: int, line: Line) -> tuple[str, int]:
        """The mapped side of a NAT statement: an object, a group, an address, interface, pat-pool."""
        if i >= len(w):
            raise Drop(line.col(len(w) - 1), "error", "syntax", "the mapped address is missing")
        x = w[i]
        if x.lower() == "pat-pool":
            if i + 1 >= len(w):
                raise Drop(line.col(i), "error", "syntax", "pat-pool: the pool is missing")
            self._net_ref(w[i + 1], line.col(i + 1))
            return f"pat-pool {w[i + 1]}", i + 2
        if x.lower() == "interface":
            return "interface", i + 1
        try:
            ipaddress.ip_address(x)
            return x, i + 1
        except ValueError:
            pass
        self._net_ref(x, line.col(i))
        return x, i + 1

    def alterations(self) -> list[m.Alteration]:
        out: list[m.Alteration] = []
        pools: dict[str, list[tuple[str, str, Line]]] = {}
        for gid, ifc, pool, line in self.translations.globals_:
            pools.setdefault(gid, []).append((ifc, pool, line))
        used_ids: set[str] = set()
        for form, line, obj in self.translations.nats:
            try:
                if form == "object":
                    a = self._object_nat(line, obj or "")
                elif form == "twice":
                    a = self._twice_nat(line)
                elif form == "legacy":
                    a = self._legacy_nat(line, pools, used_ids)
                else:
                    a = self._legacy_static(line)
            except Drop as d:
                d.construct = d.construct or ("static" if form == "static" else "nat")
                self.report.drop(line, d)
                continue
            if a is not None:
                out.append(a)
        for gid, entries in pools.items():
            if gid not in used_ids:
                for ifc, _pool, line in entries:
                    self.report.diag(line, line.indent + 1, "note", "unused",
                                     f"global pool {gid} on {ifc}: no `nat (IF) {gid}` uses it", "global")
        return out

    def _object_nat(self, line: Line, obj_name: str) -> m.Alteration | None:
        w = line.words
        i = 1
        real = mapped_if = None
        if i < len(w) and w[i].startswith("("):
            real, mapped_if = self._iface_pair(w[i], line.col(i))
            i += 1
        if i >= len(w) or w[i].lower() not in ("static", "dynamic"):
            raise Drop(line.col(min(i, len(w) - 1)), "error", "syntax", "nat: expected static or dynamic")
        typ = w[i].lower()
        mapped, i = self._mapped(w, i + 1, line)
        conds: list = []
        ranges, opq = self.resolver.net_object_set(obj_name, line.col(0))
        conds.extend(addr_conds(m.SRC, ranges, opq))
        conds.extend(self._iface_conds(real, mapped_if, line, line.col(1)))
        extra = [x.lower() for x in w[i:]]
        if "service" in extra:
            k = i + extra.index("service")
            if k + 2 >= len(w) or w[k + 1].lower() not in ("tcp", "udp", "sctp"):
                raise Drop(line.col(k), "error", "syntax", "service: expected PROTOCOL REAL_PORT MAPPED_PORT")
            pn = w[k + 1].lower()
            port = self.services.port(w[k + 2], line.col(k + 2), (pn,), line)
            conds.append(proto_cond((ASA_PROTOCOLS[pn],)))
            conds.append(m.IntCond(m.SPORT, ((port, port),)))
        params = (("form", "object"), ("type", typ), ("object", obj_name), ("real", obj_name), ("mapped", mapped),
                  ("real_interface", real or "any"), ("mapped_interface", mapped_if or "any"))
        return m.Alteration("nat", m.Match(tuple(conds)), self.report.origin(line), "in", params=params,
                            description=line.text.strip())

    def _twice_nat(self, line: Line) -> m.Alteration | None:
        w = line.words
        if "description" in [x.lower() for x in w]:
            w = w[:[x.lower() for x in w].index("description")]
        lw = [x.lower() for x in w]
        i = 1
        real = mapped_if = None
        if i < len(w) and w[i].startswith("("):
            real, mapped_if = self._iface_pair(w[i], line.col(i))
            i += 1
        if i < len(w) and lw[i] in ("after-auto", "after-object"):
            i += 1
        if i < len(w) and w[i].isdigit():
            i += 1
        if i + 1 >= len(w) or lw[i] != "source" or lw[i + 1] not in ("static", "dynamic"):
            raise Drop(line.col(min(i, len(w) - 1)), "error", "syntax",
                       "nat: expected `source static|dynamic REAL MAPPED` (twice NAT) or an object NAT")
        typ = lw[i + 1]
        if i + 2 >= len(w):
            raise Drop(line.col(len(w) - 1), "error", "syntax", "nat: the real source is missing")
        real_src = w[i + 2]
        conds: list = []
        got = self._net_ref(real_src, line.col(i + 2))
        if got is not None:
            conds.extend(addr_conds(m.SRC, *got))
        mapped, i = self._mapped(w, i + 3, line)
        params = [("form", "twice"), ("type", typ), ("real", real_src), ("mapped", mapped)]
        if not self._twice_nat_options(line, w, i, real, conds, params):
            return None
        conds.extend(self._iface_conds(real, mapped_if, line, line.col(1)))
        params += [("real_interface", real or "any"), ("mapped_interface", mapped_if or "any")]
        return m.Alteration("nat", m.Match(tuple(conds)), self.report.origin(line), "in", params=tuple(params),
                            description=line.text.strip())

    def _twice_nat_options(self, line: Line, w: list[str], i: int, real: str | None, conds: list,
                           params: list) -> bool:
        """The words of a twice NAT after its source (from word i): destination, service, options;
        their conditions and parameters are added to `conds` and `params`. False: `inactive`."""
        lw = [x.lower() for x in w]
        while i < len(w):
            k = lw[i]
            if k == "destination":
                i = self._twice_nat_destination(line, w, i, real, conds, params)
            elif k == "service":
                if i + 2 >= len(w):
                    raise Drop(line.col(i), "error", "syntax", "service: expected two service objects")
                if lw[i + 1] != "any":
                    conds.extend(alts_conds(self.resolver.svc_object_alts(w[i + 1], line.col(i + 1))))
                if lw[i + 2] != "any":
                    self.resolver.svc_object_alts(w[i + 2], line.col(i + 2))
                params += [("service_real", w[i + 1]), ("service_mapped", w[i + 2])]
                i += 3
            elif k == "inactive":
                self.report.diag(line, line.col(i), "note", "inactive",
                                 "inactive NAT rule: it does not translate", "nat")
                return False
            elif k == "pat-pool" and i + 1 < len(w):
                self._net_ref(w[i + 1], line.col(i + 1))
                i += 2
            elif k in ("dns", "unidirectional", "no-proxy-arp", "route-lookup", "interface", "net-to-net", "extended",
                       "flat", "include-reserve", "round-robin", "block-allocation", "ipv6"):
                i += 1
            else:
                raise Drop(line.col(i), "error", "syntax", f"nat: unexpected {w[i]!r}")
        return True

    def _twice_nat_destination(self, line: Line, w: list[str], i: int, real: str | None, conds: list,
                               params: list) -> int:
        """`destination static MAPPED REAL` at word i; the index after it."""
        if i + 3 >= len(w) or w[i + 1].lower() != "static":
            raise Drop(line.col(i), "error", "syntax", "destination: expected `static MAPPED REAL`")
        dm, dr = w[i + 2], w[i + 3]
        if dm.lower() == "interface":
            # `interface`: the address of the real interface, where the packets come in
            conds.append(m.Opaque(f"{m.DST} interface {real}", f"destination is an address of interface {real}"))
        else:
            got = self._net_ref(dm, line.col(i + 2))
            if got is not None:
                conds.extend(addr_conds(m.DST, *got))
        if dr.lower() != "interface":
            self._net_ref(dr, line.col(i + 3))
        params += [("destination_mapped", dm), ("destination_real", dr)]
        return i + 4

    def _legacy_nat(self, line: Line, pools: dict, used_ids: set) -> m.Alteration | None:
        """PIX / ASA 8.2: `nat (IF) ID ADDRESS MASK [...]` or `nat (IF) ID access-list ACL [...]`."""
        w = line.words
        ifc = w[1][1:-1]
        gid = w[2]
        conds: list = [m.IfaceCond(m.IN_IFACE, (ifc,))]
        self.levels.check_nameif(ifc, line, line.col(1))
        i = 3
        if i < len(w) and w[i].lower() == "access-list":
            if i + 1 >= len(w):
                raise Drop(line.col(i), "error", "syntax", "access-list: the name is missing")
            conds.extend(self.acl.match(w[i + 1], line, line.col(i + 1), "nat"))
            real = f"access-list {w[i + 1]}"
        elif i + 1 < len(w):
            a, mk = ("0.0.0.0" if w[i] == "0" else w[i]), ("0.0.0.0" if w[i + 1] == "0" else w[i + 1])
            r = self.addresses.addr_mask(a, mk, line.col(i), line.col(i + 1))
            if r != (4, 0, MAX4):
                conds.append(m.AddrCond(m.SRC, (r,)))
            real = f"{w[i]} {w[i + 1]}"
        else:
            raise Drop(line.col(len(w) - 1), "error", "syntax", "nat: expected an address and a mask, or access-list")
        if gid == "0":
            params = (("form", "legacy"), ("type", "exempt" if "access-list" in real else "identity"), ("id", gid),
                      ("real", real), ("real_interface", ifc))
        else:
            used_ids.add(gid)
            targets = pools.get(gid, [])
            if not targets:
                self.report.diag(line, line.col(2), "note", "approximate",
                                 f"nat id {gid} has no `global` pool: these hosts are not translated", "nat")
            else:
                conds.append(m.IfaceCond(m.OUT_IFACE, tuple(dict.fromkeys(t[0] for t in targets))))
            params = (("form", "legacy"), ("type", "dynamic"), ("id", gid), ("real", real),
                      ("mapped", ", ".join(f"{t[0]}:{t[1]}" for t in targets)), ("real_interface", ifc))
        return m.Alteration("nat", m.Match(tuple(conds)), self.report.origin(line), "in", params=params,
                            description=line.text.strip())

    def _legacy_static(self, line: Line) -> m.Alteration | None:
        """PIX / ASA 8.2:
        `static (REAL,MAPPED) [tcp|udp] MAPPED_IP [PORT] REAL_IP|access-list ACL [PORT] [netmask M]`."""
        w = line.words
        lw = [x.lower() for x in w]
        if len(w) < 3:
            raise Drop(line.col(len(w) - 1), "error", "syntax", "static: incomplete")
        real_if, mapped_if = self._iface_pair(w[1], line.col(1))
        conds: list = self._iface_conds(real_if, mapped_if, line, line.col(1))
        i = 2
        proto = None
        if lw[i] in ("tcp", "udp"):
            proto = lw[i]
            i += 1
        if i >= len(w):
            raise Drop(line.col(len(w) - 1), "error", "syntax", "static: the mapped address is missing")
        mapped = w[i]
        i += 1
        if proto and i < len(w):
            i += 1  # mapped port
        if i >= len(w):
            raise Drop(line.col(len(w) - 1), "error", "syntax", "static: the real address is missing")
        if lw[i] == "access-list":
            if i + 1 >= len(w):
                raise Drop(line.col(i), "error", "syntax", "access-list: the name is missing")
            conds.extend(self.acl.match(w[i + 1], line, line.col(i + 1), "static"))
            real = f"access-list {w[i + 1]}"
            i += 2
            rport = None
        else:
            real = w[i]
            mask = "255.255.255.255"
            if "netmask" in lw[i:]:
                k = lw.index("netmask", i)
                if k + 1 >= len(w):
                    raise Drop(line.col(k), "error", "syntax", "netmask: the mask is missing")
                mask = w[k + 1]
            conds.append(m.AddrCond(m.SRC, (self.addresses.addr_mask(real, mask, line.col(i), line.col(i)),)))
            i += 1
            rport = w[i] if proto and i < len(w) and lw[i] not in ("netmask", "dns", "norandomseq", "tcp", "udp") \
                else None
        if proto and not real.startswith("access-list"):
            conds.insert(0, proto_cond((6 if proto == "tcp" else 17,)))
            if rport is not None:
                p = self.services.port(rport, line.col(i), (proto,), line)
                conds.append(m.IntCond(m.SPORT, ((p, p),)))
        params = (("form", "legacy"), ("type", "static"), ("real", real), ("mapped", mapped),
                  ("real_interface", real_if), ("mapped_interface", mapped_if))
        return m.Alteration("nat", m.Match(tuple(conds)), self.report.origin(line), "in", params=params,
                            description=line.text.strip())

    # -- inspection and MSS
