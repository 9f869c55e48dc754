"""pf's vocabulary: ICMP, protocol, TOS and TCP flag names as pfctl knows them, interface
name shapes and driver groups, option names.

Layer: platforms/pf. Data only (the lexer's keywords and operators are in lexer.py).
"""

from __future__ import annotations

import re

from ... import names
from ...names import read_int

# ICMP names as pfctl knows them (sbin/pfctl/pfctl_parser.c)
ICMP_TYPES = {
    "echoreq": 8, "echorep": 0, "unreach": 3, "squench": 4, "redir": 5, "althost": 6,
    "routeradv": 9, "routersol": 10, "timex": 11, "paramprob": 12, "timereq": 13,
    "timerep": 14, "inforeq": 15, "inforep": 16, "maskreq": 17, "maskrep": 18, "trace": 30,
    "dataconv": 31, "mobredir": 32, "ipv6-where": 33, "ipv6-here": 34, "mobregreq": 35,
    "mobregrep": 36, "skip": 39, "photuris": 40,
}
ICMP6_TYPES = {
    "unreach": 1, "toobig": 2, "timex": 3, "paramprob": 4, "echoreq": 128, "echorep": 129,
    "groupqry": 130, "listqry": 130, "grouprep": 131, "listenrep": 131, "groupterm": 132,
    "listendone": 132, "routersol": 133, "routeradv": 134, "neighbrsol": 135,
    "neighbradv": 136, "redir": 137, "routrrenum": 138, "wrureq": 139, "wrurep": 140,
    "fqdnreq": 139, "fqdnrep": 140, "niqry": 139, "nirep": 140, "mtraceresp": 200,
    "mtrace": 201, "listenrepv2": 143,
}
ICMP_CODES = {
    "net-unr": (3, 0), "host-unr": (3, 1), "proto-unr": (3, 2), "port-unr": (3, 3),
    "needfrag": (3, 4), "srcfail": (3, 5), "net-unk": (3, 6), "host-unk": (3, 7),
    "isolate": (3, 8), "net-prohib": (3, 9), "host-prohib": (3, 10), "net-tos": (3, 11),
    "host-tos": (3, 12), "filter-prohib": (3, 13), "host-preced": (3, 14),
    "cutoff-preced": (3, 15), "redir-net": (5, 0), "redir-host": (5, 1),
    "redir-tos-net": (5, 2), "redir-tos-host": (5, 3), "normal-adv": (9, 0),
    "common-adv": (9, 16), "transit": (11, 0), "reassemb": (11, 1), "badhead": (12, 0),
    "optmiss": (12, 1), "badlen": (12, 2), "unknown-ind": (40, 1), "auth-fail": (40, 2),
    "decrypt-fail": (40, 3),
}
ICMP6_CODES = {
    "admin-unr": (1, 1), "noroute-unr": (1, 0), "notnbr-unr": (1, 2), "beyond-unr": (1, 2),
    "addr-unr": (1, 3), "port-unr": (1, 4), "transit": (3, 0), "reassemb": (3, 1),
    "badhead": (4, 0), "nxthdr": (4, 1), "redironlink": (137, 0), "redirrouter": (137, 1),
}
TCP_FLAG_LETTERS = {"F": 1, "S": 2, "R": 4, "P": 8, "A": 16, "U": 32, "E": 64, "W": 128}
# protocol names OpenBSD's /etc/protocols knows and netbase spells differently
PF_PROTOS = {"icmp6": 58, "ipv6-icmp": 58, "carp": 112, "pfsync": 240, "vrrp": 112, "ipip": 4,
              "ipencap": 4, "etherip": 97, "divert": 258}
TOS_NAMES = {"lowdelay": 0x10, "throughput": 0x08, "reliability": 0x04, "critical": 0xa0,
              "inetcontrol": 0xc0, "netcontrol": 0xe0}
IFACE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*?[0-9]+(?::(?:network|broadcast|peer|0))*\Z")
IFACE_MOD_RE = re.compile(r"(.+?)((?::(?:network|broadcast|peer|0))+)\Z")
# driver names: the interface group a driver's interfaces belong to (lo: lo0, lo1, ...)
DRIVER_GROUPS = frozenset("""
lo em igb igc ix ixl ixv re rge bge bnx bnxt fxp xl dc vr sis sk msk nfe age ale alc jme vio
vmx hvn vnet xnf mcx iavf aq ure axe axen cdce urndis athn iwm iwn iwx ral rum run urtwn
wpi bwfm vlan svlan carp tun tap wg gif gre egre gretap mgre eoip pppoe pppx pflog pfsync
enc bridge veb vport trunk aggr lagg bond enc ipsec le pcn ep ne ed lmc wi ath mtw otus
rtwn mwx qwx bwi epair ue ng ppp sl stf faith vxlan genet cpsw dwge fec mvneta mvpp
""".split())

UNSUPPORTED_STATEMENTS = {
    "ether": "layer-2 (ether) rules of FreeBSD's pf",
    "dummynet": "dummynet pipes",
}
KIND_WORDS = {"iface": "interface addresses", "dyn": "dynamic interface addresses", "self": "self",
              "name": "host names"}
TIMEOUTS = frozenset("""tcp.first tcp.opening tcp.established tcp.closing tcp.finwait tcp.closed tcp.tsdiff
udp.first udp.single udp.multiple icmp.first icmp.error other.first other.single other.multiple frag interval
adaptive.start adaptive.end src.track sctp.first sctp.opening sctp.established sctp.closing sctp.closed""".split())
LIMITS = frozenset("states frags src-nodes tables table-entries pktdelay-pkts anchors eth-anchors".split())


def flag_bits(text: str) -> int | None:
    v = 0
    for ch in text:
        b = TCP_FLAG_LETTERS.get(ch)
        if b is None:
            return None
        v |= b
    return v


def icmp_type(text: str, v6: bool) -> int | None:
    if text.isdigit():
        n = read_int(text)
        return n if n <= 255 else None
    return (ICMP6_TYPES if v6 else ICMP_TYPES).get(text)


def icmp_code(text: str, t: int, v6: bool) -> int | None:
    if text.isdigit():
        n = read_int(text)
        return n if n <= 255 else None
    got = (ICMP6_CODES if v6 else ICMP_CODES).get(text)
    if got is None or got[0] != t:
        return None
    return got[1]


def tos_value(text: str) -> int | None:
    if text in TOS_NAMES:
        return TOS_NAMES[text]
    try:
        v = read_int(text, 0)
    except ValueError:
        return None
    return v if 0 <= v <= 255 else None


def proto_number(text: str) -> int | None:
    t = text.lower()
    if t in PF_PROTOS:
        n = PF_PROTOS[t]
        return n if n <= 255 else None
    if t == "all":
        return None
    return names.proto_number(t)


def is_icmp_code(text: str, v6: bool) -> bool:
    """A code `return-icmp` may name (of any type)."""
    if text.isdigit():
        return read_int(text) <= 255
    return text in (ICMP6_CODES if v6 else ICMP_CODES)
