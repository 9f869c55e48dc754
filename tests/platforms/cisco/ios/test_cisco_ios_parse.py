"""The Cisco IOS platform: each construct on its own, bad input, the corpus and the aerleon oracle."""

from __future__ import annotations

import collections
import ipaddress
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from linter import api
from linter import model as m
from linter.graph import trace
from linter.platforms.cisco import ios

from tests.shared import REPO, shared_dir

ALL4 = (4, 0, 2**32 - 1)
TCP = m.IntCond(m.PROTO, ((6, 6),))
UDP = m.IntCond(m.PROTO, ((17, 17),))
ICMP = m.IntCond(m.PROTO, ((1, 1),))

# --------------------------------------------------------------------------- helpers


def parse_text(text: str, path: str = "router.cfg") -> m.Device:
    return ios.parse(path, text.encode())


def acl(text: str, name: str, path: str = "router.cfg") -> m.Filter:
    f = parse_text(text, path).filter(name)
    assert f is not None, name
    return f


def rules(text: str, name: str = "T") -> list[m.Rule]:
    return list(acl(text, name).rules)


def ext(entry: str, name: str = "T") -> list[m.Rule]:
    """The rules of a named extended list holding one entry."""
    return rules(f"ip access-list extended {name}\n {entry}\n", name)


def one(entry: str) -> m.Rule:
    rs = ext(entry)
    assert len(rs) == 1, rs
    return rs[0]


def conds(entry: str) -> tuple:
    return one(entry).match.conds


def diags(text: str) -> list[tuple[int, str, str]]:
    return [(d.origin.line, d.severity, d.code) for d in parse_text(text).diagnostics if d.code != "unused"]


def entry_diags(entry: str) -> list[tuple[str, str]]:
    """The diagnostics of one entry (without the note that a list whose only entry IOS rejects is empty)."""
    d = parse_text(f"ip access-list extended T\n {entry}\n")
    return [(x.severity, x.code) for x in d.diagnostics if x.code != "unused" and x.construct != "empty access list"]


def bad(d: m.Device) -> list[m.Diagnostic]:
    return [x for x in d.diagnostics if x.severity in ("error", "warning")]


def v4(a: str) -> int:
    return int(ipaddress.IPv4Address(a))


def v6(a: str) -> int:
    return int(ipaddress.IPv6Address(a))


def net4(text: str) -> tuple[int, int, int]:
    n = ipaddress.IPv4Network(text)
    return (4, int(n.network_address), int(n.broadcast_address))


def packet(**kw) -> m.Packet:
    base = {"src": "192.0.2.10", "dst": "198.51.100.20", "proto": "tcp", "sport": 40000, "dport": 80}
    base.update(kw)
    p, _ = api.packet_from_dict(base)
    return p


def verdict(device: m.Device, name: str, **kw) -> str:
    return trace(device, packet(**kw), filter_name=name).verdict


# --------------------------------------------------------------------------- detection


IOS_SAMPLE = """\
!
version 15.2
hostname edge1
!
interface GigabitEthernet0/1
 ip address 192.0.2.1 255.255.255.0
 ip access-group 101 in
!
access-list 101 permit tcp any host 192.0.2.10 eq 22
"""

ASA_SAMPLE = """\
: Saved
ASA Version 9.8(2)
hostname fw1
interface GigabitEthernet0/0
 nameif outside
 security-level 0
 ip address 203.0.113.1 255.255.255.0
object-group network WEB
 network-object host 10.0.0.10
access-list OUTSIDE extended permit tcp any object-group WEB eq www
access-group OUTSIDE in interface outside
"""


def test_detect() -> None:
    assert ios.detect(IOS_SAMPLE)
    assert ios.detect("ip access-list extended X\n permit ip any any\n")
    assert ios.detect("ipv6 access-list V6\n permit tcp any any eq 80\n")
    assert ios.detect("access-list 110 permit tcp any any eq 80\n")
    assert ios.detect("hostname r1\n!\ninterface FastEthernet0/0\n shutdown\n")
    assert ios.detect(IOS_SAMPLE.replace("\n", "\r\n"))
    assert ios.detect(IOS_SAMPLE.encode("utf-16-le").decode("utf-8", "replace"))  # UTF-16 read as UTF-8
    assert not ios.detect(ASA_SAMPLE)
    assert not ios.detect("access-list OUTSIDE extended permit ip any any\naccess-group OUTSIDE in interface outside\n")
    assert not ios.detect("object-group network WEB\n network-object host 10.0.0.1\n")
    assert not ios.detect("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n")
    assert not ios.detect("pass in on em0 proto tcp to port 22\nblock all\n")
    assert not ios.detect("")
    assert not ios.detect("\x00\x01\x02garbage\x00\xff" * 50)
    # an IOS file with a few ASA-looking lines is still IOS when IOS's own structure outweighs
    # them (Batfish's iosAccessGroupAcl: its entries have wildcard masks, which only IOS writes)
    assert ios.detect("hostname x\nmac access-list extended m\n"
                      "access-list a extended permit ip 1.2.3.4 0.0.0.255 4.3.2.1 0.0.255.255\n")
    # one line only IOS writes and one only the ASA writes: a tie, no answer (never a guess)
    from linter.platforms.detection import decide
    mixed = decide("hostname x\nmac access-list extended m\naccess-list a extended permit ip any any\n")
    assert mixed.platform is None and mixed.scores["cisco-ios"] == mixed.scores["cisco-asa"]


# --------------------------------------------------------------------------- the device


def test_device_fields() -> None:
    d = ios.parse("configs/edge1.cfg", IOS_SAMPLE.encode())
    assert d.name == "edge1"
    assert d.platform == "cisco-ios" == ios.PLATFORM
    assert d.sources == ("configs/edge1.cfg",)
    assert d.family is None
    assert d.stats == (m.FileStats("configs/edge1.cfg", 9, 9),)
    f = d.filter("101")
    assert f is not None and f.family == 4 and f.discipline == "first-match" and f.table == "" and not f.builtin
    assert f.default == m.Action("drop")
    assert f.origin == m.Origin("configs/edge1.cfg", 9, 1, "access-list 101 permit tcp any host 192.0.2.10 eq 22")
    assert d.bindings == (m.Binding("101", "in", "GigabitEthernet0/1", 4),)
    assert d.interfaces == (m.Interface("GigabitEthernet0/1", ("192.0.2.1/24",)),)
    assert not d.diagnostics
    # without a hostname, the device is named after its file
    assert ios.parse("dir/r2.txt", b"access-list 1 permit any\n").name == "r2.txt"


def test_rule_fields() -> None:
    r = one("permit tcp any host 10.0.0.1 eq 443")
    assert r.action == m.Action("accept")
    assert r.origin == m.Origin("router.cfg", 2, 2, "permit tcp any host 10.0.0.1 eq 443")
    assert r.index == 0 and r.comment == ""
    assert r.match.conds == (TCP, m.AddrCond(m.DST, ((4, v4("10.0.0.1"), v4("10.0.0.1")),)),
                             m.IntCond(m.DPORT, ((443, 443),)))
    assert one("deny ip any any").action == m.Action("drop")
    assert one("deny ip any any").match == m.ANY


# --------------------------------------------------------------------------- access lists


def test_numbered_standard_and_extended() -> None:
    d = parse_text("access-list 10 permit 10.0.0.0 0.255.255.255\n"
                   "access-list 10 permit 172.16.1.5\n"
                   "access-list 10 deny any log\n"
                   "access-list 1300 permit host 192.0.2.1\n"
                   "access-list 101 permit udp 10.1.0.0 0.0.255.255 any eq domain\n"
                   "access-list 2001 deny icmp any any echo\n")
    f = d.filter("10")
    assert [r.match.conds for r in f.rules] == [
        (m.AddrCond(m.SRC, (net4("10.0.0.0/8"),)),),
        (m.AddrCond(m.SRC, ((4, v4("172.16.1.5"), v4("172.16.1.5")),)),),
        (),
    ]
    assert [r.action.kind for r in f.rules] == ["accept", "accept", "drop"]
    assert [r.index for r in f.rules] == [0, 1, 2]
    assert d.filter("1300").rules[0].match.conds == (m.AddrCond(m.SRC, ((4, v4("192.0.2.1"), v4("192.0.2.1")),)),)
    assert d.filter("101").rules[0].match.conds == (UDP, m.AddrCond(m.SRC, (net4("10.1.0.0/16"),)),
                                                     m.IntCond(m.DPORT, ((53, 53),)))
    assert d.filter("2001").rules[0].match.conds == (ICMP, m.IntCond(m.ICMP, ((8 << 8, (8 << 8) | 255),)))
    # a standard list takes no protocol; an extended one needs one
    assert (1, "error", "syntax") in diags("access-list 10 permit tcp any any\naccess-list 10 permit any\n")
    assert (1, "error", "syntax") in diags("access-list 110 permit 10.0.0.0 0.0.0.255\n")


def test_named_standard_and_extended() -> None:
    d = parse_text("ip access-list standard MGMT\n"
                   " permit 192.0.2.0 0.0.0.255\n"
                   " 5 deny host 192.0.2.7\n"
                   "ip access-list extended WEB\n"
                   " permit tcp any any eq www\n")
    mg = d.filter("MGMT")
    assert [r.action.kind for r in mg.rules] == ["drop", "accept"]  # sequence 5 comes first
    assert mg.rules[0].origin.line == 3
    assert d.filter("WEB").rules[0].match.conds == (TCP, m.IntCond(m.DPORT, ((80, 80),)))
    # numbered lists written as named lists are the same list
    d = parse_text("ip access-list extended 110\n permit tcp any any\naccess-list 110 deny ip any any\n")
    assert [r.action.kind for r in d.filter("110").rules] == ["accept", "drop"]


def test_protocols() -> None:
    assert conds("permit ip any any") == ()
    assert conds("permit gre any any") == (m.IntCond(m.PROTO, ((47, 47),)),)
    assert conds("permit esp any any") == (m.IntCond(m.PROTO, ((50, 50),)),)
    assert conds("permit ahp any any") == (m.IntCond(m.PROTO, ((51, 51),)),)
    assert conds("permit ospf any any") == (m.IntCond(m.PROTO, ((89, 89),)),)
    assert conds("permit eigrp any any") == (m.IntCond(m.PROTO, ((88, 88),)),)
    assert conds("permit pim any any") == (m.IntCond(m.PROTO, ((103, 103),)),)
    assert conds("permit 112 any any") == (m.IntCond(m.PROTO, ((112, 112),)),)
    assert entry_diags("permit bogus any any") == [("error", "invalid")]
    assert ext("permit bogus any any") == []  # IOS rejects the entry
    assert entry_diags("permit 300 any any") == [("error", "invalid")]


def test_addresses_and_wildcards() -> None:
    assert conds("permit ip host 10.1.1.1 any") == (m.AddrCond(m.SRC, ((4, v4("10.1.1.1"), v4("10.1.1.1")),)),)
    assert conds("permit ip 10.1.0.0 0.0.255.255 192.0.2.0 0.0.0.127") == (
        m.AddrCond(m.SRC, (net4("10.1.0.0/16"),)), m.AddrCond(m.DST, (net4("192.0.2.0/25"),)))
    # address bits under the wildcard are ignored, as IOS does
    assert conds("permit ip 10.1.2.3 0.0.255.255 any") == (m.AddrCond(m.SRC, (net4("10.1.0.0/16"),)),)
    assert conds("permit ip 10.1.1.1 0.0.0.0 any") == (m.AddrCond(m.SRC, ((4, v4("10.1.1.1"), v4("10.1.1.1")),)),)
    assert one("permit ip 0.0.0.0 255.255.255.255 any").match.conds == (m.AddrCond(m.SRC, (ALL4,)),)


def test_non_contiguous_wildcards() -> None:
    # 0.0.1.255: the third octet's last bit free -> 10.0.0.0/24 and 10.0.1.0/24 (merged: /23)
    assert conds("permit ip 10.0.0.0 0.0.1.255 any") == (m.AddrCond(m.SRC, (net4("10.0.0.0/23"),)),)
    # 0.0.2.255: 10.0.0.x and 10.0.2.x
    assert conds("permit ip 10.0.0.0 0.0.2.255 any") == (
        m.AddrCond(m.SRC, (net4("10.0.0.0/24"), net4("10.0.2.0/24"))),)
    # even hosts of 10.0.0.0/29: wildcard 0.0.0.6
    c = conds("permit ip 10.0.0.0 0.0.0.6 any")
    assert c == (m.AddrCond(m.SRC, tuple((4, v4(f"10.0.0.{i}"), v4(f"10.0.0.{i}")) for i in (0, 2, 4, 6))),)
    assert ios.wildcard_ranges(v4("10.0.0.0"), v4("0.0.255.0")) is not None  # 256 ranges: expanded
    assert len(ios.wildcard_ranges(v4("10.0.0.0"), v4("0.0.255.0"))) == 256
    assert ios.wildcard_ranges(v4("10.0.0.0"), v4("0.1.255.0")) is None  # 512: too many
    # too many ranges: an unknown condition with a note
    r = one("permit ip 10.0.0.0 0.255.255.0 any")
    assert isinstance(r.match.conds[0], m.Opaque)
    assert entry_diags("permit ip 10.0.0.0 0.255.255.0 any") == [("note", "approximate")]
    # a netmask where a wildcard belongs: IOS reads it as a wildcard; the note says so
    d = parse_text("ip access-list extended T\n permit ip 10.0.0.0 255.255.255.0 any\n")
    note = [x for x in d.diagnostics if x.code == "approximate"][0]
    assert "netmask" in note.message and note.origin.column == 21


def test_malformed_addresses_are_errors() -> None:
    d = parse_text("ip access-list extended T\n permit ip 10.0.0.0 0.0.0.256 any\n permit ip any any\n")
    (x,) = bad(d)
    assert (x.severity, x.code, x.origin.line, x.origin.column) == ("error", "invalid", 2, 21)
    assert "wildcard" in x.message
    assert len(d.filter("T").rules) == 1  # the rejected entry is not a rule
    assert entry_diags("permit ip 300.0.0.1 0.0.0.0 any") == [("error", "invalid")]
    assert entry_diags("permit ip host 10.0.0.999 any") == [("error", "invalid")]
    assert entry_diags("permit ip 10.0.0.0/8 any") == [("error", "syntax")]
    (x,) = bad(parse_text("ip access-list extended T\n permit ip 10.0.0.0/8 any\n"))
    assert "prefix" in x.message and x.origin.column == 12
    assert entry_diags("permit ip 10.0.0.0 0.0.255 any") == [("error", "syntax")]
    assert entry_diags("permit ip any") == [("error", "syntax")]


def test_ports() -> None:
    assert conds("permit tcp any any eq 80 443") == (TCP, m.IntCond(m.DPORT, ((80, 80), (443, 443))))
    assert conds("permit tcp any any eq www telnet") == (TCP, m.IntCond(m.DPORT, ((23, 23), (80, 80))))
    assert conds("permit tcp any any neq 80") == (TCP, m.IntCond(m.DPORT, ((0, 79), (81, 65535))))
    assert conds("permit tcp any any lt 1024") == (TCP, m.IntCond(m.DPORT, ((0, 1023),)))
    assert conds("permit tcp any any gt 1023") == (TCP, m.IntCond(m.DPORT, ((1024, 65535),)))
    assert conds("permit udp any range 1024 65535 any") == (UDP, m.IntCond(m.SPORT, ((1024, 65535),)))
    assert conds("permit tcp any eq bgp any range ftp-data ftp") == (
        TCP, m.IntCond(m.SPORT, ((179, 179),)), m.IntCond(m.DPORT, ((20, 21),)))
    # IOS names per protocol
    assert conds("permit udp any any eq snmp")[-1] == m.IntCond(m.DPORT, ((161, 161),))
    assert conds("permit udp any any eq bootps")[-1] == m.IntCond(m.DPORT, ((67, 67),))
    assert conds("permit tcp any any eq pop3")[-1] == m.IntCond(m.DPORT, ((110, 110),))
    assert conds("permit tcp any any eq cmd")[-1] == m.IntCond(m.DPORT, ((514, 514),))
    assert conds("permit udp any any eq syslog")[-1] == m.IntCond(m.DPORT, ((514, 514),))
    # other names from the shipped services table
    assert conds("permit tcp any any eq https")[-1] == m.IntCond(m.DPORT, ((443, 443),))
    assert conds("permit sctp any any eq 2905") == (m.IntCond(m.PROTO, ((132, 132),)),
                                                    m.IntCond(m.DPORT, ((2905, 2905),)))


def test_port_errors() -> None:
    d = parse_text("ip access-list extended T\n permit tcp any any range 100 10\n")
    (x,) = bad(d)
    assert (x.severity, x.code, x.origin.column) == ("error", "invalid", 27)
    assert "range" in x.message and d.filter("T").rules == ()
    assert entry_diags("permit tcp any any eq nosuchport") == [("error", "invalid")]
    assert entry_diags("permit tcp any any eq 70000") == [("error", "invalid")]
    assert entry_diags("permit ip any any eq 80") == [("error", "invalid")]
    assert entry_diags("permit icmp any any eq 80") == [("error", "invalid")]
    assert entry_diags("permit udp any any eq snmp-bogus") == [("error", "invalid")]


def test_established_and_tcp_flags() -> None:
    est = m.AnyCond((m.Match((m.FlagsCond(0x10, 0x10),)), m.Match((m.FlagsCond(0x04, 0x04),))))
    assert conds("permit tcp any any established") == (TCP, est)
    assert conds("permit tcp any any ack") == (TCP, m.FlagsCond(0x10, 0x10))
    assert conds("permit tcp any any syn") == (TCP, m.FlagsCond(0x02, 0x02))
    assert conds("permit tcp any any match-all +ack -syn -rst") == (TCP, m.FlagsCond(0x16, 0x10))
    assert conds("permit tcp any any match-any +syn -ack") == (
        TCP, m.AnyCond((m.Match((m.FlagsCond(0x02, 0x02),)), m.Match((m.FlagsCond(0x10, 0x00),)))))
    # several bare flags: any of them, with a note
    assert conds("permit tcp any any ack fin")[-1] == m.AnyCond(
        (m.Match((m.FlagsCond(0x10, 0x10),)), m.Match((m.FlagsCond(0x01, 0x01),))))
    assert entry_diags("permit tcp any any ack fin") == [("note", "approximate")]
    assert entry_diags("permit udp any any established") == [("error", "invalid")]
    assert entry_diags("permit ip any any syn") == [("error", "invalid")]
    # an established-only rule never admits the first packet of a connection
    d = parse_text("ip access-list extended T\n permit tcp any any established\n")
    assert verdict(d, "T") == "drop"
    assert verdict(d, "T", tcp_flags="ACK", state="ESTABLISHED") == "accept"


def test_icmp() -> None:
    def icmp(t: int, lo: int = 0, hi: int = 255) -> m.IntCond:
        return m.IntCond(m.ICMP, (((t << 8) | lo, (t << 8) | hi),))

    assert conds("permit icmp any any") == (ICMP,)
    assert conds("permit icmp any any echo") == (ICMP, icmp(8))
    assert conds("permit icmp any any echo-reply") == (ICMP, icmp(0))
    assert conds("permit icmp any any unreachable") == (ICMP, icmp(3))
    assert conds("permit icmp any any port-unreachable") == (ICMP, icmp(3, 3, 3))
    assert conds("permit icmp any any packet-too-big") == (ICMP, icmp(3, 4, 4))
    assert conds("permit icmp any any time-exceeded") == (ICMP, icmp(11))
    assert conds("permit icmp any any 3") == (ICMP, icmp(3))
    assert conds("permit icmp any any 3 13") == (ICMP, icmp(3, 13, 13))
    assert conds("permit icmp any any echo log") == (ICMP, icmp(8))
    assert entry_diags("permit icmp any any bogus-message") == [("error", "invalid")]
    assert entry_diags("permit icmp any any 300") == [("error", "invalid")]
    assert entry_diags("permit tcp any any echo-reply") == [("error", "syntax")]
    d = parse_text("ip access-list extended T\n permit icmp any any echo\n")
    assert verdict(d, "T", proto="icmp", icmp_type=8) == "accept"
    assert verdict(d, "T", proto="icmp", icmp_type=0) == "drop"


def test_log_and_approximations() -> None:
    assert conds("permit tcp any any eq 22 log") == (TCP, m.IntCond(m.DPORT, ((22, 22),)))
    assert conds("permit tcp any any eq 22 log-input") == (TCP, m.IntCond(m.DPORT, ((22, 22),)))
    assert conds("permit tcp any any log MYTAG") == (TCP,)
    assert entry_diags("permit tcp any any eq 22 log") == []
    for opt, key in (("fragments", "ios:fragments"), ("dscp ef", "ios:dscp ef"), ("precedence 5", "ios:precedence 5"),
                     ("tos 4", "ios:tos 4"), ("ttl eq 10", "ios:ttl eq 10"), ("option record-route",
                                                                             "ios:option record-route")):
        c = conds(f"permit ip any any {opt}")
        assert c == (m.Opaque(key, c[0].description),), opt
        assert entry_diags(f"permit ip any any {opt}") == [("note", "approximate")], opt
    # an opaque rule is approximate in traces
    d = parse_text("ip access-list extended T\n permit ip any any dscp ef\n")
    t = trace(d, packet(), filter_name="T")
    assert t.approximate and {t.verdict, *t.alternatives} == {"accept", "drop"}


def test_time_range() -> None:
    text = ("time-range WORK\n periodic weekdays 8:00 to 18:00\n"
            "ip access-list extended T\n permit tcp any any eq 22 time-range WORK\n"
            " permit tcp any any eq 23 time-range NOPE\n")
    d = parse_text(text)
    r0, r1 = d.filter("T").rules
    assert r0.match.conds[-1] == m.Opaque("ios:time-range WORK", r0.match.conds[-1].description)
    assert diags(text) == [(4, "note", "approximate"), (5, "error", "undefined-reference")]
    d2 = parse_text("time-range UNUSED\n absolute start 00:00 1 January 2020\n")
    assert [(x.origin.line, x.code) for x in d2.diagnostics if x.code == "unused"] == [(1, "unused")]


def test_reflexive_lists() -> None:
    text = ("ip access-list extended OUT\n permit tcp any any reflect TCPTRAFFIC\n"
            "ip access-list extended IN\n evaluate TCPTRAFFIC\n deny ip any any\n")
    d = parse_text(text)
    assert d.filter("OUT").rules[0].match.conds == (TCP,)  # matches as written
    ev = d.filter("IN").rules[0]
    assert ev.action == m.Action("accept")
    assert ev.match.conds[0] == m.IntCond(m.STATE, ((1, 2),))
    assert isinstance(ev.match.conds[1], m.Opaque)
    assert {(ln, c) for ln, _s, c in diags(text)} == {(2, "approximate"), (4, "approximate")}
    # a new connection never matches the reflexive entries
    assert verdict(d, "IN") == "drop"


def test_dynamic_entries() -> None:
    r = one("dynamic TESTLIST timeout 10 permit ip 10.1.1.0 0.0.0.255 any")
    assert r.action == m.Action("accept") and isinstance(r.match.conds[-1], m.Opaque)
    assert entry_diags("dynamic TESTLIST permit ip any any") == [("note", "approximate")]


def test_remarks() -> None:
    text = ("ip access-list extended T\n remark allow web\n remark from anywhere\n permit tcp any any eq 80\n"
            " remark\n deny ip any any\n"
            "access-list 150 remark the only entry\naccess-list 150 permit ip any any\n")
    d = parse_text(text)
    assert [r.comment for r in d.filter("T").rules] == ["allow web from anywhere", ""]
    assert [r.comment for r in d.filter("150").rules] == ["the only entry"]
    assert d.stats[0].lines_understood == d.stats[0].lines_read


def test_sequence_numbers() -> None:
    text = ("ip access-list extended T\n 30 deny ip any any\n 10 permit tcp any any eq 22\n"
            " permit tcp any any eq 80\n 20 permit tcp any any eq 25\n")
    d = parse_text(text)
    # 30, 10, then 40 (the highest + 10), 20 -> sorted as IOS lists them
    assert [r.origin.line for r in d.filter("T").rules] == [3, 5, 2, 4]
    assert [r.index for r in d.filter("T").rules] == [0, 1, 2, 3]
    # ipv6 `sequence N`
    d = parse_text("ipv6 access-list V\n sequence 20 deny ipv6 any any\n sequence 10 permit tcp any any eq 22\n")
    assert [r.origin.line for r in d.filter("V").rules][:2] == [3, 2]
    # a duplicate sequence number is rejected
    text = "ip access-list extended T\n 10 permit ip any any\n 10 deny ip any any\n"
    assert diags(text) == [(3, "error", "invalid")]
    assert len(acl(text, "T").rules) == 1
    # deleting by number and by text, resequencing
    text = ("ip access-list extended T\n 10 permit tcp any any eq 22\n 20 permit tcp any any eq 23\n"
            " 30 permit tcp any any eq 80\n no 20\n no permit tcp any any eq 80\n")
    assert [r.origin.line for r in acl(text, "T").rules] == [2]
    text = ("ip access-list extended T\n 10 permit tcp any any eq 22\n 20 permit tcp any any eq 23\n"
            "ip access-list resequence T 100 5\nip access-list extended T\n 102 permit udp any any\n")
    assert [r.origin.line for r in acl(text, "T").rules] == [2, 6, 3]


def test_redefinition_merges_and_no_deletes() -> None:
    text = ("ip access-list extended T\n permit tcp any any eq 22\n"
            "interface Gi0/0\n ip access-group T in\n"
            "ip access-list extended T\n permit tcp any any eq 80\n")
    f = acl(text, "T")
    assert [r.origin.line for r in f.rules] == [2, 6]
    assert f.origin.line == 1
    # numbered lists accumulate
    assert len(rules("access-list 5 permit any\naccess-list 6 permit any\naccess-list 5 deny any\n", "5")) == 2
    # configuration scripts: `no ip access-list` deletes, the list is defined afresh
    text = ("ip access-list extended T\n permit ip any any\nno ip access-list extended T\n"
            "ip access-list extended T\n deny ip any any\n")
    f = acl(text, "T")
    assert [r.action.kind for r in f.rules] == ["drop"] and f.origin.line == 4
    assert parse_text("access-list 5 permit any\nno access-list 5\n").filter("5") is None
    # a standard list redefined as extended is rejected
    assert (3, "error", "invalid") in diags("ip access-list standard S\n permit any\nip access-list extended S\n"
                                            " permit ip any any\n")


def test_flush_left_entries_stay_in_the_list() -> None:
    # IOS stays in ACL mode until a global command: entries need no indentation
    text = "ip access-list extended T\npermit tcp any any eq 22\n\n5 deny ip any any\nhostname x\n"
    f = acl(text, "T")
    assert [r.origin.line for r in f.rules] == [4, 2]
    # after a global command, an entry belongs to no list
    assert (2, "error", "syntax") in diags("hostname x\npermit ip any any\n")


def test_empty_list_permits_everything() -> None:
    text = "ip access-list extended E\ninterface Gi0/0\n ip access-group E in\n"
    d = parse_text(text)
    f = d.filter("E")
    assert f.rules == () and f.default == m.Action("accept")
    assert diags(text) == [(1, "note", "approximate")]
    assert verdict(d, "E") == "accept"


def test_ipv6_lists() -> None:
    text = ("ipv6 access-list V6\n permit tcp any host 2001:db8::1 eq 80\n permit ipv6 2001:db8::/32 any\n"
            " permit icmp any any echo-request\n deny ipv6 any any log\n"
            "interface GigabitEthernet0/1\n ipv6 traffic-filter V6 in\n ipv6 address 2001:db8::1/64\n")
    d = parse_text(text)
    f = d.filter("V6")
    assert f.family == 6
    one_host = (6, v6("2001:db8::1"), v6("2001:db8::1"))
    assert f.rules[0].match.conds == (TCP, m.AddrCond(m.DST, (one_host,)), m.IntCond(m.DPORT, ((80, 80),)))
    net = ipaddress.IPv6Network("2001:db8::/32")
    assert f.rules[1].match.conds == (m.AddrCond(m.SRC, ((6, int(net.network_address), int(net.broadcast_address)),)),)
    assert f.rules[2].match.conds == (m.IntCond(m.PROTO, ((58, 58),)),
                                      m.IntCond(m.ICMP, ((128 << 8, (128 << 8) | 255),)))
    assert len(f.rules) == 4  # the explicit deny any ends the list: the implicit ND permits never apply
    assert d.bindings == (m.Binding("V6", "in", "GigabitEthernet0/1", 6),)
    assert d.interfaces[0].addresses == ("2001:db8::1/64",)
    assert verdict(d, "V6", src="2001:db8:1::5", dst="2001:db8::1") == "accept"
    assert verdict(d, "V6", src="2001:db9::5", dst="2001:db8::2", dport=22) == "drop"


def test_ipv6_implicit_neighbour_discovery() -> None:
    d = parse_text("ipv6 access-list V6\n permit tcp any any eq 22\n")
    f = d.filter("V6")
    assert [r.comment for r in f.rules] == ["", "implicit: permit icmp any any nd-na",
                                            "implicit: permit icmp any any nd-ns"]
    assert verdict(d, "V6", src="fe80::1", dst="fe80::2", proto="icmpv6", icmp_type=135, state="UNTRACKED") == "accept"
    assert verdict(d, "V6", src="fe80::1", dst="fe80::2", proto="icmpv6", icmp_type=128) == "drop"
    assert (2, "error", "invalid") in diags("ipv6 access-list V6\n permit ip any any\n")  # `ip` is not IPv6
    assert (2, "error", "syntax") in diags("ipv6 access-list V6\n permit ipv6 2001:db8::1 0.0.0.0 any\n")


def test_v4_and_v6_lists_of_the_same_name() -> None:
    d = parse_text("ip access-list extended X\n permit ip any any\nipv6 access-list X\n permit ipv6 any any\n"
                   "interface Gi0/0\n ip access-group X in\n ipv6 traffic-filter X in\n")
    assert {f.name: f.family for f in d.filters} == {"X": 4, "ipv6:X": 6}
    assert set(d.bindings) == {m.Binding("X", "in", "Gi0/0", 4), m.Binding("ipv6:X", "in", "Gi0/0", 6)}


def test_ipv6_options() -> None:
    text = "ipv6 access-list V\n deny ipv6 any any routing\n permit ipv6 any any flow-label 5 log\n"
    d = parse_text(text)
    f = d.filter("V")
    assert [r.match.conds[0].key for r in f.rules[:2]] == ["ios:ipv6 routing", "ios:ipv6 flow-label 5"]
    assert diags(text) == [(2, "note", "approximate"), (3, "note", "approximate")]


def test_ipv6_one_line_standard_form() -> None:
    # Batfish's `ipv6 access-list standard NAME permit PREFIX` (a source-only list)
    d = parse_text("ipv6 access-list standard v6list permit ::FFFF:10.0.0.0/104\n")
    f = d.filter("v6list")
    net = ipaddress.IPv6Network("::ffff:10.0.0.0/104")
    assert f.family == 6
    assert f.rules[0].match.conds == (m.AddrCond(m.SRC, ((6, int(net.network_address), int(net.broadcast_address)),)),)


def test_both_families_on_one_interface() -> None:
    d = parse_text("ip access-list extended A\n permit tcp any any eq 22\nipv6 access-list B\n"
                   " permit tcp any any eq 22\ninterface g0\n ip access-group A in\n ipv6 traffic-filter B in\n"
                   "interface g1\n")
    assert trace(d, packet(dport=22, in_iface="g0", out_iface="g1"), "forward").verdict == "accept"
    assert trace(d, packet(src="2001:db8::1", dst="2001:db8::2", dport=22, in_iface="g0", out_iface="g1"),
                 "forward").verdict == "accept"
    assert trace(d, packet(dport=23, in_iface="g0", out_iface="g1"), "forward").verdict == "drop"


# --------------------------------------------------------------------------- object-groups


OG = """\
object-group network SERVERS
 host 10.0.0.10
 10.0.1.0 255.255.255.0
 range 10.0.2.1 10.0.2.5
 group-object MORE
object-group network MORE
 10.9.0.0 /16
 2001:db8::/48
object-group service WEB
 tcp eq www
 tcp eq 443
 tcp-udp eq domain
 icmp echo
 group-object MAIL
object-group service MAIL
 tcp eq smtp
ip access-list extended T
 permit object-group WEB any object-group SERVERS
 permit tcp object-group SERVERS any eq 22
"""


def test_object_groups_are_unions() -> None:
    d = parse_text(OG)
    r0, r1 = d.filter("T").rules  # one rule per entry, never a cross product
    servers = m.AddrCond(m.DST, ((4, v4("10.0.0.10"), v4("10.0.0.10")), net4("10.0.1.0/24"),
                                 (4, v4("10.0.2.1"), v4("10.0.2.5")), net4("10.9.0.0/16")))
    svc = r0.match.conds[0]
    assert isinstance(svc, m.AnyCond) and len(svc.alternatives) == 5
    assert svc.alternatives[0] == m.Match((TCP, m.IntCond(m.DPORT, ((80, 80),))))
    assert svc.alternatives[2] == m.Match((m.IntCond(m.PROTO, ((6, 6), (17, 17))), m.IntCond(m.DPORT, ((53, 53),))))
    assert svc.alternatives[3] == m.Match((ICMP, m.IntCond(m.ICMP, ((8 << 8, (8 << 8) | 255),))))
    assert svc.alternatives[4] == m.Match((TCP, m.IntCond(m.DPORT, ((25, 25),))))
    assert r0.match.conds[1] == servers
    assert r1.match.conds == (TCP, m.AddrCond(m.SRC, servers.ranges), m.IntCond(m.DPORT, ((22, 22),)))
    assert not [x for x in d.diagnostics if x.code != "unused"]
    assert verdict(d, "T", dst="10.0.2.3", proto="udp", dport=53) == "accept"
    assert verdict(d, "T", dst="10.0.2.6", proto="udp", dport=53) == "drop"
    assert verdict(d, "T", dst="10.9.3.3", dport=25) == "accept"


def test_object_group_errors() -> None:
    text = ("object-group network A\n host 10.0.0.1\n group-object NOPE\n"
            "object-group network B\n 10.0.0.0 0.0.0.255\n"
            "ip access-list extended T\n permit ip object-group A object-group GHOST\n"
            " permit ip object-group A any\n")
    d = parse_text(text)
    got = {(x.origin.line, x.origin.column, x.severity, x.code) for x in d.diagnostics}
    assert (3, 15, "error", "undefined-reference") in got
    assert (5, 11, "error", "invalid") in got  # a wildcard where a netmask belongs
    assert (7, 40, "error", "undefined-reference") in got
    assert (4, 1, "note", "unused") in got
    r0 = d.filter("T").rules[0]
    assert r0.match.conds[-1] == m.Opaque("ios:object-group GHOST", r0.match.conds[-1].description)
    # a network group used as a protocol, a cycle
    text = ("object-group network N\n host 10.0.0.1\nobject-group network C1\n group-object C2\n"
            "object-group network C2\n group-object C1\n"
            "ip access-list extended T\n permit object-group N any any\n permit ip object-group C1 any\n")
    ds = diags(text)
    assert (8, "error", "invalid") in ds
    assert sum(1 for d_ in ds if d_[2] == "invalid") == 2


def test_empty_object_group_matches_nothing() -> None:
    text = "object-group network E\nip access-list extended T\n permit ip object-group E any\n"
    d = parse_text(text)
    assert d.filter("T").rules[0].match.conds == (m.AddrCond(m.SRC, ()),)
    assert verdict(d, "T") == "drop"
    assert diags(text) == [(3, "note", "approximate")]


def test_protocol_object_group() -> None:
    text = "object-group protocol P\n protocol-object tcp\n protocol-object udp\nip access-list extended T\n" \
           " permit object-group P any any\n"
    assert rules(text)[0].match.conds == (m.IntCond(m.PROTO, ((6, 6), (17, 17))),)


# --------------------------------------------------------------------------- interfaces and bindings


def test_bindings_and_interfaces() -> None:
    text = ("ip access-list extended IN\n permit ip any any\nip access-list extended OUT\n permit ip any any\n"
            "access-list 10 permit any\n"
            "interface GigabitEthernet0/1\n description uplink\n ip address 192.0.2.1 255.255.255.0\n"
            " ip address 198.51.100.1 255.255.255.128 secondary\n ip access-group IN in\n ip access-group OUT out\n"
            "interface GigabitEthernet0/2\n ip access-group 10 in\n ip access-group OUT in\n"
            "interface GigabitEthernet0/3\n ip access-group IN in\n no ip access-group IN in\n ip access-group 10\n"
            "interface GigabitEthernet0/4\n ip address dhcp\n")
    d = parse_text(text)
    assert set(d.bindings) == {
        m.Binding("IN", "in", "GigabitEthernet0/1", 4), m.Binding("OUT", "out", "GigabitEthernet0/1", 4),
        m.Binding("OUT", "in", "GigabitEthernet0/2", 4),  # the second access-group replaces the first
        m.Binding("10", "out", "GigabitEthernet0/3", 4),  # no direction: out, as IOS reads it
    }
    assert d.interfaces == (
        m.Interface("GigabitEthernet0/1", ("192.0.2.1/24", "198.51.100.1/25")),
        m.Interface("GigabitEthernet0/2", ()), m.Interface("GigabitEthernet0/3", ()),
        m.Interface("GigabitEthernet0/4", ()))
    assert not d.diagnostics
    # a packet through the device: inbound on its ingress, outbound on its egress
    d = parse_text("ip access-list extended IN\n permit tcp any any eq 22\n"
                   "interface Gi0/0\n ip access-group IN in\ninterface Gi0/1\n")
    assert trace(d, packet(dport=22, in_iface="Gi0/0", out_iface="Gi0/1"), "forward").verdict == "accept"
    assert trace(d, packet(dport=23, in_iface="Gi0/0", out_iface="Gi0/1"), "forward").verdict == "drop"
    assert trace(d, packet(dport=23, in_iface="Gi0/1", out_iface="Gi0/0"), "forward").verdict == "accept"


def test_undefined_and_unused_lists() -> None:
    text = ("ip access-list extended USED\n permit ip any any\nip access-list extended SPARE\n deny ip any any\n"
            "access-list 99 permit 10.0.0.0 0.255.255.255\nline vty 0 4\n access-class 99 in\n"
            "interface Gi0/0\n ip access-group USED in\n ip access-group MISSING out\n")
    d = parse_text(text)
    got = [(x.origin.line, x.origin.column, x.severity, x.code) for x in d.diagnostics]
    assert got == [(3, 1, "note", "unused"), (10, 18, "error", "undefined-reference")]
    assert d.bindings == (m.Binding("USED", "in", "Gi0/0", 4),)  # nothing bound where the list is missing
    # route-maps, SNMP, NTP, class-maps and other commands count as uses
    for use in ("route-map RM permit 10\n match ip address L\n", "snmp-server community x RO L\n",
                "ntp access-group peer L\n", "class-map match-any Q\n match access-group name L\n",
                "router ospf 1\n distribute-list L in\n", "ip nat inside source list L interface Gi0/0 overload\n"):
        assert not [x for x in parse_text("ip access-list standard L\n permit any\n" + use).diagnostics
                    if x.code == "unused"], use


def test_unsupported_interface_filters() -> None:
    text = ("interface Gi0/0\n ip inspect FW in\n mac access-group M in\n ip verify unicast source reachable-via rx\n"
            " ip nat enable\n")
    assert [x for x in diags(text) if x[1] != "note"] == [
        (2, "warning", "unsupported"), (3, "warning", "unsupported"), (4, "warning", "unsupported"),
        (5, "warning", "unsupported")]
    assert (1, "warning", "unsupported") in diags("mac access-list extended M\n permit any any\n")
    assert (1, "warning", "unsupported") in diags("access-list 700 permit 0000.0000.0000 ffff.ffff.ffff\n")


# --------------------------------------------------------------------------- NAT and MSS


def test_nat() -> None:
    text = ("access-list 10 permit 10.0.0.0 0.255.255.255\n"
            "ip nat pool P 203.0.113.10 203.0.113.20 prefix-length 24\n"
            "interface Gi0/0\n ip nat inside\ninterface Gi0/1\n ip nat outside\n"
            "ip nat inside source list 10 pool P overload\n"
            "ip nat inside source static 10.0.0.5 203.0.113.5\n"
            "ip nat inside source static tcp 10.0.0.6 8080 203.0.113.6 80\n"
            "ip nat outside source static 198.51.100.1 10.99.0.1\n"
            "ip nat inside source route-map RM interface Gi0/1 overload\n")
    d = parse_text(text)
    alts = d.alterations
    assert [(a.kind, a.stage, a.origin.line) for a in alts] == [
        ("nat", "out", 7), ("nat", "out", 8), ("nat", "in", 8), ("nat", "out", 9), ("nat", "in", 9),
        ("nat", "in", 10), ("nat", "out", 10), ("nat", "out", 11)]
    dyn = alts[0]
    assert dict(dyn.params) == {"side": "inside", "translates": "source", "inside_interfaces": "Gi0/0",
                                "outside_interfaces": "Gi0/1", "list": "10", "pool": "P",
                                "pool_range": "203.0.113.10-203.0.113.20", "overload": "yes"}
    assert dyn.match.conds == (m.IntCond(m.FAMILY, ((4, 4),)), m.AddrCond(m.SRC, (net4("10.0.0.0/8"),)),
                               m.IfaceCond(m.IN_IFACE, ("Gi0/0",)), m.IfaceCond(m.OUT_IFACE, ("Gi0/1",)))
    st = alts[1]
    assert st.match.conds[0] == m.AddrCond(m.SRC, ((4, v4("10.0.0.5"), v4("10.0.0.5")),))
    assert alts[2].match.conds[0] == m.AddrCond(m.DST, ((4, v4("203.0.113.5"), v4("203.0.113.5")),))
    assert alts[4].match.conds[:3] == (TCP, m.AddrCond(m.DST, ((4, v4("203.0.113.6"), v4("203.0.113.6")),)),
                                       m.IntCond(m.DPORT, ((80, 80),)))
    assert isinstance(alts[7].match.conds[0], m.Opaque)
    assert diags(text) == [(11, "note", "approximate")]
    # undefined list and pool; no inside/outside interface
    ds = diags("ip nat inside source list NOPE pool GHOST\n")
    assert (1, "error", "undefined-reference") in ds and ds.count((1, "error", "undefined-reference")) == 2
    assert (1, "note", "approximate") in ds


def test_nat_inside_destination_uses_the_list_on_destinations() -> None:
    d = parse_text("access-list 1 permit 192.0.2.100\ninterface a\n ip nat inside\ninterface b\n ip nat outside\n"
                   "ip nat inside destination list 1 pool REAL\n"
                   "ip nat pool REAL 10.0.0.1 10.0.0.2 netmask 255.255.255.0\n")
    a = d.alterations[0]
    assert a.stage == "in" and a.match.conds[1] == m.AddrCond(m.DST, ((4, v4("192.0.2.100"), v4("192.0.2.100")),))


def test_tcp_adjust_mss() -> None:
    d = parse_text("interface Dialer0\n ip tcp adjust-mss 1452\n")
    a_in, a_out = d.alterations
    assert (a_in.kind, a_in.stage, a_out.stage) == ("mss", "in", "out")
    assert m.IfaceCond(m.IN_IFACE, ("Dialer0",)) in a_in.match.conds
    assert m.IfaceCond(m.OUT_IFACE, ("Dialer0",)) in a_out.match.conds
    assert dict(a_in.params) == {"mss": "1452", "interface": "Dialer0"}


# --------------------------------------------------------------------------- zone-based firewall


ZBF = """\
hostname zbf
zone security inside
zone security outside
zone security dmz
class-map type inspect match-any WEB
 match protocol http
 match protocol https
class-map type inspect match-all PING
 match access-group name ICMP_ECHO
ip access-list extended ICMP_ECHO
 permit icmp any any echo
policy-map type inspect IN2OUT
 class type inspect WEB
  inspect
 class type inspect PING
  pass
 class class-default
  drop log
zone-pair security in-out source inside destination outside
 service-policy type inspect IN2OUT
interface GigabitEthernet0/0
 zone-member security inside
interface GigabitEthernet0/1
 zone-member security outside
interface GigabitEthernet0/2
 zone-member security dmz
interface GigabitEthernet0/3
 description no zone
"""


def zbf_verdict(d: m.Device, **kw) -> str:
    base = {"src": "10.0.0.5", "dst": "198.51.100.7", "in_iface": "GigabitEthernet0/0",
            "out_iface": "GigabitEthernet0/1"}
    base.update(kw)
    return trace(d, packet(**base), "forward").verdict


def test_zone_based_firewall() -> None:
    d = parse_text(ZBF)
    zp = d.filter("zone-pair in-out")
    assert zp is not None and zp.default == m.Action("accept") and zp.family is None
    assert [r.action.kind for r in zp.rules] == ["accept", "accept", "drop"]
    assert [r.comment for r in zp.rules] == ["class WEB: inspect", "class PING: pass", "class-default: drop"]
    out = m.IfaceCond(m.OUT_IFACE, ("GigabitEthernet0/1",))
    assert all(r.match.conds[-1] == out for r in zp.rules)
    assert m.Binding("zone-pair in-out", "in", "GigabitEthernet0/0") in d.bindings
    assert {b.filter for b in d.bindings} == {"zone-pair in-out", "zone inside", "zone outside", "zone dmz",
                                             "zone (none)"}
    assert zbf_verdict(d, dport=80) == "accept"
    assert zbf_verdict(d, dport=443) == "accept"
    assert zbf_verdict(d, dport=22) == "drop"  # class-default
    assert zbf_verdict(d, proto="icmp", icmp_type=8, sport=None, dport=None) == "accept"
    # no zone-pair inside -> dmz; zone member <-> interface in no zone
    assert zbf_verdict(d, dport=80, out_iface="GigabitEthernet0/2") == "drop"
    assert zbf_verdict(d, dport=80, out_iface="GigabitEthernet0/3") == "drop"
    assert zbf_verdict(d, dport=80, in_iface="GigabitEthernet0/3", out_iface="GigabitEthernet0/0") == "drop"
    # the outside cannot open connections inward, but replies of inspected sessions come back
    back = {"src": "198.51.100.7", "dst": "10.0.0.5", "sport": 80, "dport": 40000,
            "in_iface": "GigabitEthernet0/1", "out_iface": "GigabitEthernet0/0"}
    assert zbf_verdict(d, **back) == "drop"
    assert zbf_verdict(d, **back, tcp_flags="SYN,ACK", state="ESTABLISHED") == "accept"
    # intra-zone traffic passes
    d2 = parse_text(ZBF + "interface GigabitEthernet0/4\n zone-member security inside\n")
    assert zbf_verdict(d2, out_iface="GigabitEthernet0/4", dport=22) == "accept"
    assert [x.code for x in bad(d)] == []


def test_class_map_predicates() -> None:
    text = ("ip access-list extended A\n deny tcp any any eq 23\n permit tcp any any\n"
            "class-map type inspect match-all C\n match access-group name A\n match not protocol udp\n"
            "class-map type inspect match-any D\n match class-map C\n match protocol icmp\n"
            "policy-map type inspect P\n class type inspect D\n  pass\n"
            "zone security a\nzone security b\nzone-pair security ab source a destination b\n"
            " service-policy type inspect P\ninterface e0\n zone-member security a\ninterface e1\n"
            " zone-member security b\n")
    d = parse_text(text)
    assert not bad(d)

    def through(**kw) -> str:
        return trace(d, packet(in_iface="e0", out_iface="e1", **kw), "forward").verdict

    assert through(dport=80) == "accept"
    assert through(dport=23) == "drop"  # denied by the ACL: not in the class
    assert through(proto="udp", dport=53) == "drop"
    assert through(proto="icmp", icmp_type=8, sport=None, dport=None) == "accept"


def test_zone_based_firewall_errors() -> None:
    text = ("zone security a\nzone-pair security p source a destination ghost\n"
            " service-policy type inspect NOPM\ninterface e0\n zone-member security nowhere\n"
            "policy-map type inspect PM\n class type inspect NOCLASS\n  inspect\n"
            "class-map type inspect C\n match access-group name NOACL\n"
            "zone-pair security s source self destination a\n")
    got = {(ln, s, c) for ln, s, c in diags(text)}
    assert {(2, "error", "undefined-reference"), (3, "error", "undefined-reference"),
            (5, "error", "undefined-reference"), (7, "error", "undefined-reference"),
            (10, "error", "undefined-reference"), (11, "warning", "unsupported")} <= got


# --------------------------------------------------------------------------- bad input


def test_crlf_and_cr_line_endings() -> None:
    text = IOS_SAMPLE
    base = ios.parse("r.cfg", text.encode())
    for nl in ("\r\n", "\r"):
        d = ios.parse("r.cfg", text.replace("\n", nl).encode())
        assert d.filters == base.filters and d.bindings == base.bindings
        assert d.stats == base.stats and not d.diagnostics
        assert d.filters[0].rules[0].origin.text == "access-list 101 permit tcp any host 192.0.2.10 eq 22"


def test_ios_asa_mix() -> None:
    d = ios.parse("mix.cfg", (IOS_SAMPLE + ASA_SAMPLE).encode())
    assert d.filter("101") is not None and len(d.filter("101").rules) == 1
    # ASA Version, nameif, security-level, access-list NAME extended, access-group ... interface
    assert {x.origin.line for x in bad(d) if x.code == "asa-syntax"} == {11, 14, 15, 19, 20}
    assert all(x.severity == "warning" for x in bad(d) if x.code == "asa-syntax")
    assert d.filter("OUTSIDE") is None


def test_binary_garbage_and_odd_encodings() -> None:
    rnd = random.Random(7)
    garbage = bytes(rnd.randrange(256) for _ in range(5000)) + b"\x00\x00"
    d = ios.parse("junk.bin", garbage)
    assert [x.code for x in d.diagnostics] == ["binary"] and d.filters == ()
    assert d.stats[0].lines_understood == 0
    # UTF-16 with and without a byte-order mark
    for data in (IOS_SAMPLE.encode("utf-16"), IOS_SAMPLE.encode("utf-16-le"), IOS_SAMPLE.encode("utf-16-be")):
        d = ios.parse("u16.cfg", data)
        assert d.filter("101") is not None and [x.code for x in d.diagnostics] == ["encoding"]
    # latin-1 bytes in a description: a warning on that line, the rest is read
    d = ios.parse("l1.cfg", IOS_SAMPLE.encode().replace(b"version 15.2", b"version 15.2 \xe9t\xe9"))
    assert [(x.origin.line, x.code) for x in d.diagnostics] == [(2, "encoding")]
    assert d.filter("101") is not None
    # empty and whitespace-only files
    assert [x.code for x in ios.parse("e", b"").diagnostics] == ["empty"]
    assert [x.code for x in ios.parse("e", b"\n\n  \n!\n").diagnostics] == ["empty"]


def test_random_lines_never_raise() -> None:
    rnd = random.Random(11)
    words = ("ip access-list extended standard permit deny any host object-group eq range lt gt neq tcp udp icmp "
             "10.0.0.1 0.0.0.255 255.255.255.0 2001:db8::/32 interface Gi0/0 ip access-group in out no remark "
             "zone security zone-pair source destination class-map policy-map type inspect match class drop pass "
             "nat inside outside static list pool 80 www 70000 log established fragments dscp 1 2 3 sequence "
             "group-object network service time-range reflect evaluate match-all +ack -syn ! exit").split()
    for _ in range(300):
        lines = []
        for _ in range(rnd.randrange(1, 12)):
            indent = " " * rnd.choice((0, 0, 1, 2))
            lines.append(indent + " ".join(rnd.choice(words) for _ in range(rnd.randrange(1, 9))))
        d = ios.parse("fuzz.cfg", "\n".join(lines).encode())
        assert all(x.code != "internal" for x in d.diagnostics), (lines, d.diagnostics)


def big_config(lines: int = 40_000) -> str:
    out = ["hostname big", "!"]
    for g in range(50):
        out.append(f"object-group network NET{g}")
        out.extend(f" host 10.{g}.{k}.1" for k in range(5))
    for a in range(200):
        out.append(f"ip access-list extended ACL{a}")
        for i in range(160):
            k = i % 5
            if k == 0:
                out.append(f" permit tcp 10.{a % 250}.{i % 250}.0 0.0.0.255 host 192.0.2.{i % 250} eq {1000 + i}")
            elif k == 1:
                out.append(f" deny udp any range 1000 {2000 + i} 172.16.{i % 250}.0 0.0.0.255 log")
            elif k == 2:
                out.append(" permit icmp any any echo")
            elif k == 3:
                out.append(f" permit tcp object-group NET{i % 50} any established")
            else:
                out.append(f" {i // 5 * 2 + 1} deny ip host 198.51.100.{i % 250} any")
        out.append("!")
    for i in range(400):
        out += [f"interface GigabitEthernet0/{i}", f" ip address 10.200.{i % 250}.1 255.255.255.0",
                f" ip access-group ACL{i % 200} in", " no shutdown", "!"]
    while len(out) < lines:
        out.append(f"ntp server 10.9.{len(out) % 250}.1")
    return "\n".join(out[:lines]) + "\n"


def test_large_configuration() -> None:
    text = big_config()
    d = ios.parse("big.cfg", text.encode())
    assert d.stats == (m.FileStats("big.cfg", 40_000, 40_000),)
    assert len(d.filters) == 200 and sum(len(f.rules) for f in d.filters) == 32_000
    assert len(d.bindings) == 400 and not bad(d)
    # sequence numbers: the entries numbered 1, 3, 5, 7, 9 sort before the first unnumbered one (10)
    assert [r.origin.text[:6] for r in d.filter("ACL0").rules[:6]] == [
        "1 deny", "3 deny", "5 deny", "7 deny", "9 deny", "permit"]


def test_parsing_writes_nothing_to_stdout_or_stderr(tmp_path) -> None:
    cfg = tmp_path / "r.cfg"
    cfg.write_text(IOS_SAMPLE + "ip access-list extended X\n permit ip any any\n")
    code = ("import sys; from linter.platforms.cisco import ios as c; "
            "d = c.parse(sys.argv[1], open(sys.argv[1], 'rb').read()); c.relevance(sys.argv[1], b'hostname x\\n'); "
            "assert d.filters")
    res = subprocess.run([sys.executable, "-c", code, str(cfg)], capture_output=True, text=True,
                         cwd=REPO)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "" and res.stderr == ""


def test_relevance() -> None:
    text = ("hostname r\n!\nrouter ospf 1\n network 10.0.0.0 0.255.255.255 area 0\n\n"
            "ip access-list extended T\n permit tcp any any eq 22\n permit tcp any any eq 99999\n"
            "interface Gi0/0\n description x\n ip access-group T in\nline vty 0 4\n transport input ssh\n")
    r = ios.relevance("r.cfg", text.encode())
    assert r == {"lines": 13, "blank": 1, "comment": 1, "not_relevant": 6, "relevant": 5,
                 "relevant_understood": 4, "not_understood": 1}


# --------------------------------------------------------------------------- the corpus

# Every diagnostic over the corpus by (severity, code, construct), and why it is there.
ALLOWED_DIAGNOSTICS = {
    # definitions nothing refers to (FW006)
    ("note", "unused", "access list"), ("note", "unused", "object-group"),
    ("note", "unused", "class-map type inspect"), ("note", "unused", "policy-map type inspect"),
    ("note", "unused", "zone security"),
    # IP header fields fwlint does not model: unknown conditions
    ("note", "approximate", "dscp"), ("note", "approximate", "tos"), ("note", "approximate", "ttl"),
    ("note", "approximate", "option"), ("note", "approximate", "fragments"),
    # a non-contiguous wildcard with more than 256 ranges (ansible fixture)
    ("note", "approximate", "non-contiguous wildcard"),
    # `ack fin` without match-any/match-all
    ("note", "approximate", "tcp flags"),
    # ACLs with no entry permit everything; empty object-groups and class-maps match nothing
    ("note", "approximate", "empty access list"), ("note", "approximate", "object-group"),
    ("note", "approximate", "class-map type inspect"),
    # zone-based firewall: inspect as accept + replies; a zone-pair without a policy drops
    ("note", "approximate", "inspect"), ("note", "approximate", "zone-pair"),
    # NAT rules that never apply (no inside/outside interface) or name a route-map
    ("note", "approximate", "ip nat"),
    # files with nothing to filter; a UTF-16 file
    ("note", "empty", "file"), ("note", "encoding", "file"),
    # Batfish fixtures with deliberately undefined references
    ("error", "undefined-reference", "object-group"), ("error", "undefined-reference", "class-map match access-group"),
    ("error", "undefined-reference", "policy-map type inspect"), ("error", "undefined-reference", "zone-pair"),
    ("error", "undefined-reference", "service-policy type inspect"),
    # netutils: an access-group naming a list the file never defines; ciscoconfparse2: a NAT list likewise
    ("error", "undefined-reference", "ip access-group"), ("error", "undefined-reference", "ip nat"),
    # batfish ios-inspect: `permit object-group ogs1 object-group ogn1 ogn2` (a missing keyword, on purpose)
    ("error", "syntax", "access-list entry"),
    # ciscoconfparse2 sample_09: `ipv6 address ...::1/64This publication is ...` (text pasted into the address)
    ("error", "invalid", "ipv6 address"),
    # MAC access lists (not IP) and ASA commands in IOS fixtures
    ("warning", "unsupported", "mac access-list"), ("warning", "asa-syntax", "ASA command in IOS"),
}
# Files allowed to have warning/error diagnostics, and why (every other file must have none).
FILES_WITH_WARNINGS = {
    "batfish/ios-acl-object-group": "undefined object-groups, on purpose",
    "batfish/ios-class-map-inspect": "a class-map naming an undefined ACL, on purpose",
    "batfish/ios-inspect": "a malformed entry, on purpose",
    "batfish/ios-object-group-protocol": "an undefined protocol group, on purpose",
    "batfish/ios-object-group-service": "an undefined service group, on purpose",
    "batfish/ios-policy-map-inspect": "undefined class-map, zones and policy-map, on purpose",
    "batfish/ios-zone-security": "a zone-pair with an undefined zone, on purpose",
    "batfish/iosAccessGroupAcl": "MAC access lists and ASA `access-list NAME extended` lines",
    "batfish/unit__cisco_zone": "a zone-pair naming an undefined policy-map",
    "batfish/unit__mac_access_list": "MAC access lists",
    "ciscoconfparse2/sample_09.ios": "text pasted into an ipv6 address line",
    "ciscoconfparse2/sample_10.ios": "ip nat with a list defined elsewhere",
    "netutils/ios_full_sent.txt": "an access-group naming a list defined elsewhere",
}


def _corpus_files() -> list[Path]:
    root = shared_dir("corpus", "cisco-ios")
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_corpus_parses_and_is_understood() -> None:
    root = shared_dir("corpus", "cisco-ios")
    files = _corpus_files()
    assert len(files) == 48
    totals: collections.Counter = collections.Counter()
    found = set()
    rows = []
    for path in files:
        rel = path.relative_to(root).as_posix()
        data = path.read_bytes()
        d = ios.parse("cisco-ios/" + rel, data)  # never raises
        assert d.platform == "cisco-ios"
        assert ios.detect(data[:65536].decode("utf-8", "replace")), rel
        r = ios.relevance("cisco-ios/" + rel, data)
        totals.update(r)
        rows.append(f"{rel}: {r['relevant_understood']}/{r['relevant']} relevant lines understood, "
                    f"{r['not_relevant']} not relevant, {len(d.filters)} filters, "
                    f"{sum(len(f.rules) for f in d.filters)} rules")
        for x in d.diagnostics:
            key = (x.severity, x.code, x.construct)
            found.add(key)
            assert key in ALLOWED_DIAGNOSTICS, f"{x.origin}: {key} {x.message}"
            assert x.code != "internal", f"{x.origin}: {x.message}"
        worse = [x for x in d.diagnostics if x.severity != "note"]
        if rel in FILES_WITH_WARNINGS:
            assert worse, f"{rel} is listed in FILES_WITH_WARNINGS but has none"
        else:
            assert not worse, f"{rel}: {[(str(x.origin), x.code, x.message) for x in worse]}"
        assert d.stats[0].lines_read == r["lines"]
        assert d.stats[0].lines_understood == r["lines"] - r["not_understood"]
    print("\n".join(rows))
    share = totals["relevant_understood"] / totals["relevant"]
    print(f"cisco-ios corpus: {totals['lines']} lines, {totals['relevant']} relevant to filtering, "
          f"{totals['relevant_understood']} of them understood ({share:.2%}); {totals['not_relevant']} not relevant, "
          f"{totals['comment']} comments, {totals['blank']} blank")
    assert share > 0.99
    # without the 39k-line switch configuration
    big = ios.relevance("x", (root / "ciscoconfparse2" / "sample_06.ios").read_bytes())
    rest = totals["relevant"] - big["relevant"]
    assert (totals["relevant_understood"] - big["relevant_understood"]) / rest > 0.98
    print(f"without sample_06.ios: {totals['relevant_understood'] - big['relevant_understood']}/{rest}")
    unused = ALLOWED_DIAGNOSTICS - found
    assert not unused, f"allow-list entries no corpus file needs any more: {sorted(unused)}"


def test_corpus_models() -> None:
    """A few corpus files whose model is known by reading them."""
    root = shared_dir("corpus", "cisco-ios")

    def load(rel: str) -> m.Device:
        return ios.parse(rel, (root / rel).read_bytes())

    d = load("fwbuilder/testios4.fw")
    assert {(b.filter, b.hook, b.interface) for b in d.bindings} == {
        ("e0_in", "in", "ethernet0"), ("e0_out", "out", "ethernet0"),
        ("e1_in", "in", "ethernet1"), ("e1_out", "out", "ethernet1")}  # tmp_acl was replaced on ethernet1
    assert [x.message for x in d.diagnostics if x.code == "unused"] == [
        "access list tmp_acl is defined but nothing uses it (no interface, class-map, NAT rule or other command "
        "refers to it)"]
    e0_out = d.filter("e0_out")
    assert len(e0_out.rules) == 6 and len(e0_out.rules[3].match.conds[1].ranges) > 40
    d = load("batfish/ios-unicode")
    assert d.name == "ios-unicode" and d.interfaces == (m.Interface("GigabitEthernet0/0", ("10.0.0.1/24",)),)
    d = load("ciscoconfparse2/sample_07.ios")
    assert d.bindings == (m.Binding("ETH0_0_IN", "in", "FastEthernet0/0", 4),)
    assert verdict(d, "ETH0_0_IN", dst="207.46.248.9", dport=80) == "drop"
    assert verdict(d, "ETH0_0_IN", dst="207.46.249.9", dport=80) == "accept"
    d = load("batfish/ios-xe-zone-default-behavior")
    assert trace(d, packet(in_iface="Ethernet1", out_iface="Ethernet2"), "forward").verdict == "accept"  # same zone
    assert trace(d, packet(in_iface="Ethernet1", out_iface="Ethernet3"), "forward").verdict == "drop"  # no zone-pair


# --------------------------------------------------------------------------- the aerleon oracle

# Probes whose oracle verdict fwlint does not reach, and why (none so far).
ORACLE_EXCEPTIONS: dict[str, str] = {}


def test_aerleon_oracle(tmp_path) -> None:
    root = shared_dir("oracle", "aerleon")
    bindings = json.loads((root / "bindings.json").read_text())
    verdicts = []
    problems = []
    for truth in sorted((root / "truth").glob("*.jsonl")):
        policy = truth.stem
        b = bindings[policy].get("cisco")
        if b is None:
            continue  # no IOS rendering of this policy
        cfg = root / "generated" / "cisco" / f"{policy}.acl"
        device = ios.parse(str(cfg), cfg.read_bytes())
        assert not bad(device), device.diagnostics
        for line in truth.read_text().splitlines():
            rec = json.loads(line)
            want = rec["expected_by_target"].get("cisco")
            if want is None:
                continue
            name = b["acl"] if rec["af"] == 4 else b["acl_v6"]
            assert name == rec["filter_by_target"]["cisco"]
            p, _ = api.packet_from_dict({
                "src": rec["src"], "dst": rec["dst"], "proto": rec["proto"], "sport": rec["sport"],
                "dport": rec["dport"], "icmp_type": rec["icmp_type"], "icmp_code": rec["icmp_code"],
                "in_iface": rec["iface"] or "", "state": "NEW",  # every probe opens a new flow
            })
            t = trace(device, p, filter_name=name)
            got = "accept" if t.verdict == "accept" else "deny"
            verdicts.append({"id": rec["id"], "target": "cisco", "verdict": got})
            if got != want and rec["id"] not in ORACLE_EXCEPTIONS:
                problems.append(f"{rec['id']}: fwlint {got}, oracle {want} ({[s.describe() for s in t.steps]})")
    print(f"aerleon oracle (cisco): {len(verdicts)} probes, {len(verdicts) - len(problems)} agree")
    assert len(verdicts) > 1400
    assert not problems, f"{len(problems)} disagreements:\n" + "\n".join(problems[:20])
    out = tmp_path / "verdicts.jsonl"
    out.write_text("".join(json.dumps(v) + "\n" for v in verdicts))
    res = subprocess.run([sys.executable, str(root / "tools" / "score.py"), "--root", str(root), str(out)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("name", ["exch_cas_inbound", "exch_edge_perimeter", "exch_mailbox_outbound",
                                  "no_default_deny"])
def test_aerleon_files_are_exact(name: str) -> None:
    """The generated ACLs use nothing fwlint approximates: every trace is exact."""
    root = shared_dir("oracle", "aerleon")
    cfg = root / "generated" / "cisco" / f"{name}.acl"
    d = ios.parse(str(cfg), cfg.read_bytes())
    assert all(x.code == "unused" for x in d.diagnostics)
    for f in d.filters:
        for r in f.rules:
            assert not r.match.opaque
