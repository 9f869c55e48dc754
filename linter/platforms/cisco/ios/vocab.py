"""IOS's names: protocols, port names (the `?` lists of IOS 15), ICMP and ICMPv6 messages,
TCP flags, IPv6 options, the default port-to-application map of inspect class-maps; and how
a port operator (`eq`, `neq`, `lt`, `gt`, `range`) reads into port ranges.

Layer: platforms (left of the model).
"""

from __future__ import annotations

from .... import names
from ....names import read_int
from .... import model as m
from ...common.ports import operator_ranges

# IOS protocol keywords (None = every protocol)
PROTO4 = {"ip": None, "ahp": 51, "eigrp": 88, "esp": 50, "gre": 47, "icmp": 1, "igmp": 2, "ipinip": 4,
          "nos": 94, "ospf": 89, "pcp": 108, "pim": 103, "tcp": 6, "udp": 17, "sctp": 132}
PROTO6 = {"ipv6": None, "ahp": 51, "esp": 50, "hbh": 0, "icmp": 58, "pcp": 108, "sctp": 132,
          "tcp": 6, "udp": 17}
PORT_PROTOS = frozenset({6, 17, 132})

# IOS port names (the `?` lists of IOS 15 for tcp and udp)
IOS_TCP_PORTS = {
    "bgp": 179, "chargen": 19, "cmd": 514, "daytime": 13, "discard": 9, "domain": 53, "drip": 3949,
    "echo": 7, "exec": 512, "finger": 79, "ftp": 21, "ftp-data": 20, "gopher": 70, "hostname": 101,
    "ident": 113, "irc": 194, "klogin": 543, "kshell": 544, "login": 513, "lpd": 515, "msrpc": 135,
    "nntp": 119, "onep-plain": 15001, "onep-tls": 15002, "pim-auto-rp": 496, "pop2": 109, "pop3": 110,
    "smtp": 25, "sunrpc": 111, "tacacs": 49, "talk": 517, "telnet": 23, "time": 37, "uucp": 540,
    "whois": 43, "www": 80,
}
IOS_UDP_PORTS = {
    "biff": 512, "bootpc": 68, "bootps": 67, "discard": 9, "dnsix": 195, "domain": 53, "echo": 7,
    "isakmp": 500, "mobile-ip": 434, "nameserver": 42, "netbios-dgm": 138, "netbios-ns": 137,
    "netbios-ss": 139, "non500-isakmp": 4500, "ntp": 123, "pim-auto-rp": 496, "rip": 520,
    "ripv6": 521, "snmp": 161, "snmptrap": 162, "sunrpc": 111, "syslog": 514, "tacacs": 49,
    "talk": 517, "tftp": 69, "time": 37, "who": 513, "xdmcp": 177,
}

# IOS ICMP message names: name -> (type, code) ; code None = every code
IOS_ICMP = {
    "administratively-prohibited": (3, 13), "alternate-address": (6, None), "conversion-error": (31, None),
    "dod-host-prohibited": (3, 10), "dod-net-prohibited": (3, 9), "echo": (8, None), "echo-reply": (0, None),
    "general-parameter-problem": (12, 0), "host-isolated": (3, 8), "host-precedence-unreachable": (3, 14),
    "host-redirect": (5, 1), "host-tos-redirect": (5, 3), "host-tos-unreachable": (3, 12),
    "host-unknown": (3, 7), "host-unreachable": (3, 1), "information-reply": (16, None),
    "information-request": (15, None), "mask-reply": (18, None), "mask-request": (17, None),
    "mobile-redirect": (32, None), "net-redirect": (5, 0), "net-tos-redirect": (5, 2),
    "net-tos-unreachable": (3, 11), "net-unreachable": (3, 0), "network-unknown": (3, 6),
    "no-room-for-option": (12, 2), "option-missing": (12, 1), "packet-too-big": (3, 4),
    "parameter-problem": (12, None), "port-unreachable": (3, 3), "precedence-unreachable": (3, 15),
    "protocol-unreachable": (3, 2), "reassembly-timeout": (11, 1), "redirect": (5, None),
    "router-advertisement": (9, None), "router-solicitation": (10, None), "source-quench": (4, None),
    "source-route-failed": (3, 5), "time-exceeded": (11, None), "timestamp-reply": (14, None),
    "timestamp-request": (13, None), "traceroute": (30, None), "ttl-exceeded": (11, 0),
    "unreachable": (3, None),
}
IOS_ICMP6 = {
    "beyond-scope": (1, 2), "destination-unreachable": (1, None), "echo-reply": (129, None),
    "echo-request": (128, None), "header": (4, 0), "hop-limit": (3, 0), "mld-query": (130, None),
    "mld-reduction": (132, None), "mld-report": (131, None), "nd-na": (136, None), "nd-ns": (135, None),
    "next-header": (4, 1), "no-admin": (1, 1), "no-route": (1, 0), "packet-too-big": (2, None),
    "parameter-option": (4, 2), "parameter-problem": (4, None), "port-unreachable": (1, 4),
    "reassembly-timeout": (3, 1), "redirect": (137, None), "renum-command": (138, 0),
    "renum-result": (138, 1), "renum-seq-number": (138, 255), "router-advertisement": (134, None),
    "router-renumbering": (138, None), "router-solicitation": (133, None), "time-exceeded": (3, None),
    "unreachable": (1, None),
}
# IPv6 entry options (name -> takes an argument)
V6_OPTIONS = {"routing": False, "routing-type": True, "hbh": False, "dest-option": False, "dest-option-type": True,
              "mobility": False, "mobility-type": True, "flow-label": True, "undetermined-transport": False,
              "authen": False, "doh": False}
FLAG_BITS = {"fin": 0x01, "syn": 0x02, "rst": 0x04, "psh": 0x08, "ack": 0x10, "urg": 0x20}

# Default Port-to-Application Mapping for `match protocol` in inspect class-maps
PAM = {
    "http": ((6,), 80), "https": ((6,), 443), "ftp": ((6,), 21), "smtp": ((6,), 25), "esmtp": ((6,), 25),
    "ssh": ((6,), 22), "telnet": ((6,), 23), "pop3": ((6,), 110), "pop3s": ((6,), 995), "imap": ((6,), 143),
    "imaps": ((6,), 993), "dns": ((6, 17), 53), "ntp": ((17,), 123), "snmp": ((17,), 161),
    "tftp": ((17,), 69), "sip": ((6, 17), 5060), "h323": ((6,), 1720), "ldap": ((6,), 389),
    "ldaps": ((6,), 636), "bgp": ((6,), 179), "isakmp": ((17,), 500), "syslog": ((17,), 514),
    "rtsp": ((6,), 554), "sqlnet": ((6,), 1521), "ms-sql": ((6,), 1433), "mysql": ((6,), 3306),
    "kerberos": ((6, 17), 88), "netbios-ns": ((17,), 137), "netbios-dgm": ((17,), 138),
    "netbios-ssn": ((6,), 139), "cifs": ((6,), 445),
}
L4_PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "gre": 47, "esp": 50, "ah": 51, "ipv6-icmp": 58}


def proto_value(text: str, fam: int):
    """Protocol keyword or number -> number, None for ip/ipv6 (every protocol), False if unknown."""
    t = text.lower()
    table = PROTO4 if fam == 4 else PROTO6
    if t in table:
        return table[t]
    if t.isdigit():
        n = read_int(t)
        return n if n <= 255 else False
    n = names.proto_number(t)
    if n is None or (fam == 4 and t in ("ipv6", "icmpv6")) or (fam == 6 and t in ("ip", "icmpv6")):
        return False
    return n


def port_ranges(diag, ops, proto: str, lineno: int, col: int, construct: str,
                protos: tuple | None = None) -> tuple[tuple[int, int], ...] | None:
    """[(op, col), (value, col)...] -> ranges (negation folded in); None after a diagnostic."""
    if not ops:
        diag(lineno, col, "error", "syntax", "a port operator needs a port", construct)
        return None
    op = ops[0][0].lower()
    vals = []
    for text, c in ops[1:]:
        v = port_value(text, proto, protos)
        if v is None:
            diag(lineno, c, "error", "invalid", f"unknown port `{text}` for {proto}", construct)
            return None
        vals.append((v, c))
    if not vals:
        diag(lineno, ops[0][1], "error", "syntax", f"`{op}` needs a port", construct)
        return None
    if op in ("lt", "gt") and len(vals) != 1:
        diag(lineno, vals[1][1], "error", "syntax", f"`{op}` takes one port", construct)
        return None
    if op == "range":
        if len(vals) != 2:
            diag(lineno, ops[0][1], "error", "syntax", "`range` takes two ports", construct)
            return None
        if vals[0][0] > vals[1][0]:
            diag(lineno, vals[0][1], "error", "invalid",
                 f"range {vals[0][0]} {vals[1][0]}: the first port is above the last; IOS rejects this entry",
                 construct)
            return None
    if op in ("eq", "neq", "lt", "gt", "range"):
        return operator_ranges(op, [v for v, _ in vals])
    diag(lineno, ops[0][1], "error", "syntax", f"unknown port operator `{op}`", construct)
    return None


def port_value(text: str, proto: str, protos: tuple | None = None) -> int | None:
    if text.isdigit():
        n = read_int(text)
        return n if n <= 65535 else None
    t = text.lower()
    wanted = protos or ((17,) if proto == "udp" else (6,))
    found = set()
    for p in wanted:
        table = IOS_UDP_PORTS if p == 17 else IOS_TCP_PORTS
        v = table.get(t)
        if v is None:
            v = names.port_number(t, "udp" if p == 17 else "tcp")
        found.add(v)
    if len(found) != 1 or None in found:
        return None
    return found.pop()


def split_port_op(ws: list) -> tuple[list, list]:
    if not ws:
        return [], []
    n = 2 if ws[0][0].lower() == "range" else 1
    return list(ws[:1 + n]), list(ws[1 + n:])


def r_cond(fieldname: str, ranges) -> m.IntCond:
    return m.IntCond(fieldname, tuple(ranges))


def icmp_cond(words: list[str], v6: bool) -> m.IntCond | None:
    table = IOS_ICMP6 if v6 else IOS_ICMP
    if len(words) == 1 and not words[0].isdigit():
        hit = table.get(words[0].lower())
        if hit is None:
            return None
        typ, code = hit
    elif 1 <= len(words) <= 2 and all(w.isdigit() for w in words):
        typ = read_int(words[0])
        code = read_int(words[1]) if len(words) == 2 else None
        if typ > 255 or (code is not None and code > 255):
            return None
    else:
        return None
    lo = (typ << 8) | (code or 0)
    hi = (typ << 8) | (255 if code is None else code)
    return m.IntCond(m.ICMP, ((lo, hi),))
