"""Interfaces: `interface NAME` and the sub-commands that concern filtering (access-groups,
addresses, zone membership, NAT inside/outside, TCP MSS clamping); the rest is not relevant.

Layer: platforms (left of the model).
"""

from __future__ import annotations

import re

from .... import model as m
from ..common import ipv4, mask_len, prefix, words
from .acl import scan_refs
from .vendor import Interface


# interface sub-commands that concern filtering and are not modelled
IFACE_UNSUPPORTED = (
    (re.compile(r"ip\s+inspect\s+\S+\s+(?:in|out)\b", re.I), "ip inspect (CBAC)",
     "CBAC inspection lets the return traffic of inspected sessions through the interface's access lists; "
     "fwlint does not model it (replies may be shown as dropped)"),
    (re.compile(r"mac\s+access-group\s", re.I), "mac access-group",
     "MAC access lists filter frames by Ethernet address; fwlint does not model them"),
    (re.compile(r"ipv6\s+verify\s+unicast|ip\s+verify\s+unicast", re.I), "unicast RPF",
     "unicast reverse-path forwarding drops packets whose source is not routed back through the interface; "
     "fwlint does not model routing"),
    (re.compile(r"ip\s+access-group\s+\S+\s+(?:in|out)\s+\S", re.I), "ip access-group (options)",
     "an access-group option fwlint does not read"),
    (re.compile(r"ip\s+port-map\s", re.I), "ip port-map", "port-to-application maps are not modelled"),
    (re.compile(r"service-policy\s+type\s+inspect\s", re.I), "service-policy type inspect (interface)",
     "an inspect policy on an interface is not modelled"),
    (re.compile(r"ip\s+traffic-export\s|ip\s+dhcp\s+snooping\s+limit|ip\s+verify\s+source", re.I),
     "interface filter", "this interface filter is not modelled"),
)


def interface(r, lineno: int, line: str, ws) -> None:
    r.relevant(lineno)
    name = ws[1][0]
    if len(ws) > 2 and ws[2][0].lower() not in ("point-to-point", "multipoint"):
        name = " ".join(w for w, _ in ws[1:])
    itf = r.config.ifaces.get(name)
    if itf is None:
        itf = r.config.ifaces[name] = Interface(name, lineno, line.strip())

    def handler(ln: int, text: str, itf=itf) -> None:
        iface_line(r, itf, ln, text)

    r.open_block(lineno, handler)


def iface_line(r, itf: Interface, lineno: int, line: str) -> None:
    ws = words(line)
    lw = [w.lower() for w, _ in ws]
    text = " ".join(lw)
    neg = lw[0] == "no"
    body, bl = (ws[1:], lw[1:]) if neg else (ws, lw)
    if not body:
        return
    k = " ".join(bl[:2])
    if k in ("ip access-group", "ipv6 traffic-filter"):
        _access_group(r, itf, lineno, line, ws, body, bl, neg)
        return
    if k == "ip address" or k == "ipv6 address":
        r.relevant(lineno)
        if neg:
            itf.addresses = [a for a in itf.addresses if (":" in a) != (bl[0] == "ipv6")]
            return
        iface_address(r, itf, lineno, body, bl)
        return
    if k == "zone-member security":
        r.relevant(lineno)
        if neg:
            itf.zone = None
        elif len(body) > 2:
            itf.zone = (body[2][0], lineno, body[2][1])
        return
    if k in ("ip nat",) and len(bl) > 2 and bl[2] in ("inside", "outside", "enable"):
        r.relevant(lineno)
        if bl[2] == "enable":
            r.diag(lineno, ws[0][1], "warning", "unsupported",
                   "NAT Virtual Interface (`ip nat enable`) is not modelled", "ip nat enable")
            return
        itf.nat = None if neg else bl[2]
        return
    if bl[:3] in (["ip", "tcp", "adjust-mss"], ["ipv6", "tcp", "adjust-mss"]):
        r.relevant(lineno)
        fam = 4 if bl[0] == "ip" else 6
        itf.mss = [x for x in itf.mss if x[0] != fam]
        if not neg and len(body) > 3:
            itf.mss.append((fam, body[3][0], lineno))
        return
    if bl[0] in ("nameif", "security-level") and not neg:
        r.asa_line(lineno, ws)
        return
    if _unsupported(r, lineno, line, ws, bl, neg):
        return
    # description, shutdown, speed, routing protocol settings, ...: not relevant
    r.config.other_refs.update(scan_refs(text))


def _access_group(r, itf: Interface, lineno: int, line: str, ws, body, bl, neg: bool) -> None:
    """`[no] ip access-group NAME [in|out]`, `[no] ipv6 traffic-filter NAME in|out`."""
    k = " ".join(bl[:2])
    r.relevant(lineno)
    fam = 4 if bl[0] == "ip" else 6
    args = body[2:]
    largs = bl[2:]
    direction = "out"  # IOS's default direction
    if largs and largs[-1] in ("in", "out"):
        direction = largs[-1]
        args = args[:-1]
    elif not neg and fam == 6:
        r.diag(lineno, ws[0][1], "error", "syntax", "`ipv6 traffic-filter NAME in|out`", k)
        return
    if neg:
        itf.access.pop((fam, direction), None)
        return
    if len(args) != 1:
        r.diag(lineno, ws[0][1], "warning", "unsupported",
               f"`{line.strip()}`: an access-group form fwlint does not read", k)
        return
    itf.access[(fam, direction)] = (args[0][0], lineno, args[0][1])


def _unsupported(r, lineno: int, line: str, ws, bl, neg: bool) -> bool:
    """A sub-command that concerns filtering and is not modelled (reported; `no` of one is
    understood); False for the others."""
    for rx, construct, msg in IFACE_UNSUPPORTED:
        if rx.match(" ".join(bl)):
            if neg:
                r.relevant(lineno)
                return True
            if construct == "ip inspect (CBAC)":
                msg = f"{msg} (`{line.strip()}`)"
            r.diag(lineno, ws[0][1], "warning", "unsupported", msg, construct)
            return True
    return False


def iface_address(r, itf: Interface, lineno: int, body, bl) -> None:
    args = [w for w, _ in body[2:]]
    if not args:
        return
    if bl[0] == "ip":
        if args[0].lower() in ("dhcp", "negotiated", "pool", "unnumbered"):
            return
        a = ipv4(args[0])
        mask = ipv4(args[1]) if len(args) > 1 else 0xFFFFFFFF
        plen = mask_len(mask) if mask is not None else None
        if a is None or plen is None:
            r.diag(lineno, body[2][1], "error", "invalid", f"not an address and netmask: `{' '.join(args[:2])}`",
                   "ip address")
            return
        text = f"{args[0]}/{plen}"
        if "secondary" not in [x.lower() for x in args[2:]]:
            itf.addresses = [x for x in itf.addresses if ":" in x]  # a new primary replaces the old one
        itf.addresses.append(text)
    else:
        if args[0].lower() in ("autoconfig", "dhcp") or "/" not in args[0]:
            return
        if prefix(args[0].split()[0]) is None:
            r.diag(lineno, body[2][1], "error", "invalid", f"not an IPv6 prefix: `{args[0]}`", "ipv6 address")
            return
        itf.addresses.append(args[0])


def build_mss(cv) -> list[m.Alteration]:
    out = []
    for itf in cv.config.ifaces.values():
        for fam, value, ln in itf.mss:
            base = (m.IntCond(m.FAMILY, ((fam, fam),)), m.IntCond(m.PROTO, ((6, 6),)), m.FlagsCond(0x02, 0x02))
            params = (("mss", value), ("interface", itf.name))
            for stage, fieldname in (("in", m.IN_IFACE), ("out", m.OUT_IFACE)):
                out.append(m.Alteration("mss", m.Match(base + (m.IfaceCond(fieldname, (itf.name,)),)),
                                        cv.origin(ln), stage, params=params,
                                        description=f"TCP MSS clamped to {value} on {itf.name}"))
    return out
