"""The Cisco ASA platform: each construct on its own, bad input, the ASA corpus (figures and
golden models), the aerleon generator oracle, and a large ACL whose groups are never expanded."""

from __future__ import annotations

import collections
import hashlib
import ipaddress
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from linter import api
from linter import model as m
from linter.graph import Analysis, trace
from linter.platforms.cisco import asa as cisco_asa
from linter.serialize import device_json

from tests.golden_util import GOLDEN, check_golden
from tests.shared import PERMISSIVE, REPO as ROOT, corpus_licences, corpus_root, shared_dir

STATE_RULE = m.Match((m.IntCond(m.STATE, ((1, 2),)),))
TCP = m.IntCond(m.PROTO, ((6, 6),))
UDP = m.IntCond(m.PROTO, ((17, 17),))
ICMP = m.IntCond(m.PROTO, ((1, 1),))

# --------------------------------------------------------------------------- helpers


def parse_text(text: str, path: str = "asa.cfg") -> m.Device:
    return cisco_asa.parse(path, text.encode())


def rules(text: str, acl: str | None = None) -> list[m.Rule]:
    """The rules of an access-list (the first one by default), without the state rule."""
    d = parse_text(text)
    f = d.filter(acl) if acl else d.filters[0]
    assert f is not None and f.rules[0].match == STATE_RULE
    return list(f.rules[1:])


def one(text: str) -> m.Rule:
    rs = rules(text)
    assert len(rs) == 1, rs
    return rs[0]


def conds(text: str) -> tuple:
    return one(text).match.conds


def ace(body: str, prelude: str = "") -> tuple:
    """The conditions of one extended entry `access-list A extended BODY`."""
    return conds(prelude + f"access-list A extended {body}\n")


def diags(text: str) -> list[tuple[int, str, str]]:
    return [(d.origin.line, d.severity, d.code) for d in parse_text(text).diagnostics]


def errors(text: str) -> list[tuple[int, str, str]]:
    """The warnings and errors of a text (no notes)."""
    return [x for x in diags(text) if x[1] != "note"]


def bad(d: m.Device) -> list[m.Diagnostic]:
    return [x for x in d.diagnostics if x.severity in ("error", "warning")]


def v4(a: str) -> int:
    return int(ipaddress.IPv4Address(a))


def h4(a: str) -> tuple[int, int, int]:
    return (4, v4(a), v4(a))


def net4(n: str) -> tuple[int, int, int]:
    x = ipaddress.IPv4Network(n)
    return (4, int(x.network_address), int(x.broadcast_address))


def net6(n: str) -> tuple[int, int, int]:
    x = ipaddress.IPv6Network(n)
    return (6, int(x.network_address), int(x.broadcast_address))


def dport(*ranges) -> m.IntCond:
    return m.IntCond(m.DPORT, tuple(ranges))


def icmp_type(t: int, lo: int = 0, hi: int = 255) -> tuple[int, int]:
    return ((t << 8) | lo, (t << 8) | hi)


def pkt(src: str, dst: str, proto: str = "tcp", dport_: int | None = 80, in_iface: str = "outside",
        out_iface: str = "inside", **kw) -> m.Packet:
    d = {"src": src, "dst": dst, "proto": proto, "sport": 40000 if proto in ("tcp", "udp") else None,
         "dport": dport_ if proto in ("tcp", "udp") else None, "in_iface": in_iface, "out_iface": out_iface,
         "state": "NEW"}
    d.update(kw)
    return api.packet_from_dict(d)[0]


FW = """ASA Version 9.12(4)
hostname fw1
interface GigabitEthernet0/0
 nameif outside
 security-level 0
 ip address 203.0.113.1 255.255.255.0
interface GigabitEthernet0/1
 nameif inside
 security-level 100
 ip address 10.0.0.1 255.255.255.0
interface GigabitEthernet0/2
 nameif dmz
 security-level 50
 ip address 10.1.0.1 255.255.255.0
interface GigabitEthernet0/3
 nameif dmz2
 security-level 50
"""

# --------------------------------------------------------------------------- the contract


def test_detect() -> None:
    assert cisco_asa.detect("ASA Version 9.8(2)\nhostname fw\n")
    assert cisco_asa.detect("PIX Version 6.3(5)\n")
    assert cisco_asa.detect("FWSM Version 4.1(5)\n")
    assert cisco_asa.detect("interface Gi0/0\n nameif outside\n")
    assert cisco_asa.detect("access-list OUT extended permit tcp any any eq 80\n")
    assert cisco_asa.detect("access-list OUT line 1 extended permit tcp any any eq 80\n")
    assert cisco_asa.detect("object-group network SRV\n network-object host 10.0.0.1\n")
    assert cisco_asa.detect("access-group OUT in interface outside\n")
    assert cisco_asa.detect("access-group G global\n")
    assert cisco_asa.detect("ssh 10.0.0.0 255.0.0.0 inside\n")
    # IOS
    assert not cisco_asa.detect("ip access-list extended X\n permit ip any any\n")
    assert not cisco_asa.detect("interface GigabitEthernet0/0\n ip access-group X in\n")
    assert not cisco_asa.detect("access-list 101 permit ip any any\ninterface Gi0/0\n ip access-group 101 in\n")
    assert not cisco_asa.detect("object-group network X\n host 10.0.0.1\nip access-list extended A\n")
    # iptables, pf, text
    assert not cisco_asa.detect("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j DROP\nCOMMIT\n")
    assert not cisco_asa.detect("pass in quick on em0 all\nblock all\n")
    assert not cisco_asa.detect("hello world\n")
    assert not cisco_asa.detect("ASA Version 9\x00\x01")


def test_detect_on_the_corpus() -> None:
    base = shared_dir("corpus")
    for fmt in ("cisco-asa", "cisco-ios", "iptables", "pf"):
        for p in sorted((base / fmt).rglob("*")):
            if p.is_file():
                assert cisco_asa.detect(p.read_bytes().decode("utf-8", "replace")) == (fmt == "cisco-asa"), p


def test_device_fields() -> None:
    d = parse_text("hostname edge-fw\naccess-list A extended permit ip any any\n", "/x/fw.cfg")
    assert d.name == "edge-fw" and d.platform == "cisco-asa" and d.sources == ("/x/fw.cfg",)
    assert d.family is None and d.stats == (m.FileStats("/x/fw.cfg", 2, 2),)
    assert parse_text("access-list A extended permit ip any any\n", "/x/fw.cfg").name == "fw.cfg"


def test_one_filter_per_access_list_with_the_state_rule_first() -> None:
    d = parse_text("access-list A remark first\naccess-list A extended permit tcp any any eq 80\n"
                   "access-list B extended deny ip any any\n")
    a, b = d.filters
    assert (a.name, a.default, a.discipline, a.table, a.builtin, a.family) == \
        ("A", m.Action("drop"), "first-match", "", False, None)
    assert a.origin.line == 1 and b.origin.line == 3
    state = a.rules[0]
    assert state.match == STATE_RULE and state.action == m.Action("accept") and state.index == 0
    assert state.comment == "connection table: packets of established connections" and state.origin.line == 1
    assert [(r.index, r.action.kind, r.origin.line, r.comment) for r in a.rules[1:]] == [(1, "accept", 2, "first")]
    assert b.rules[1].action == m.Action("drop", detail="deny")
    assert a.rules[1].origin == m.Origin("asa.cfg", 2, 1, "access-list A extended permit tcp any any eq 80")


# --------------------------------------------------------------------------- entries


def test_addresses() -> None:
    assert ace("permit ip any any") == ()
    assert ace("permit ip any4 any6") == (m.AddrCond(m.SRC, ((4, 0, 2 ** 32 - 1),)),
                                          m.AddrCond(m.DST, ((6, 0, 2 ** 128 - 1),)))
    assert ace("permit ip host 10.0.0.1 10.1.0.0 255.255.0.0") == (m.AddrCond(m.SRC, (h4("10.0.0.1"),)),
                                                                   m.AddrCond(m.DST, (net4("10.1.0.0/16"),)))
    assert ace("permit ip 0.0.0.0 0.0.0.0 host 2001:db8::1") == (
        m.AddrCond(m.SRC, (net4("0.0.0.0/0"),)), m.AddrCond(m.DST, ((6, int(ipaddress.IPv6Address("2001:db8::1")),
                                                                      int(ipaddress.IPv6Address("2001:db8::1"))),)))
    assert ace("permit ip 2001:db8::/32 any") == (m.AddrCond(m.SRC, (net6("2001:db8::/32"),)),)
    # names (`name 10.9.9.0 lan`) in host and address-mask positions
    assert ace("permit ip host web lan 255.255.255.0", "name 10.9.9.9 web\nname 10.9.9.0 lan\n") == (
        m.AddrCond(m.SRC, (h4("10.9.9.9"),)), m.AddrCond(m.DST, (net4("10.9.9.0/24"),)))
    assert ace("permit tcp any interface outside eq 22") == (
        TCP, m.Opaque("dst interface outside", "destination is an address of interface outside"), dport((22, 22)))


def test_any_before_asa_9_is_ipv4() -> None:
    """ASA 9.0 unified the IPv4 and IPv6 access lists; before it (and on PIX, FWSM) an
    access-list is IPv4 only, and `any` means any IPv4 address."""
    four = m.IntCond(m.FAMILY, ((4, 4),))
    for version, want in (("ASA Version 8.2(5)", (four,)), ("PIX Version 6.3(5)", (four,)),
                          ("FWSM Version 4.1(5)", (four,)), ("ASA Version 9.1(7)", ()), ("", ())):
        assert conds(f"{version}\naccess-list A extended permit ip any any\n") == want, version
    assert conds("ASA Version 8.4(2)\naccess-list A extended permit tcp any host 10.0.0.1\n") == (
        TCP, m.AddrCond(m.DST, (h4("10.0.0.1"),)))
    assert conds("ASA Version 8.4(2)\nipv6 access-list A permit ip any any\n") == (m.IntCond(m.FAMILY, ((6, 6),)),)


def test_masks_are_netmasks() -> None:
    # a wildcard, a non-contiguous mask, host bits outside the mask: the ASA refuses the entry,
    # located at the mask, or at the address whose bits the mask does not cover
    for body, word, at in (("permit ip 10.0.0.0 0.0.0.255 any", "wildcard", "0.0.0.255"),
                           ("permit ip 10.0.0.0 255.0.255.0 any", "contiguous", "255.0.255.0"),
                           ("permit ip 10.0.0.1 255.255.255.0 any", "pair", "10.0.0.1")):
        d = parse_text(f"access-list A extended {body}\n")
        assert len(d.filters[0].rules) == 1  # only the state rule
        (x,) = bad(d)
        assert (x.severity, x.code, x.origin.line) == ("error", "invalid", 1) and word in x.message
        assert x.origin.column == body.index(at) + len("access-list A extended ") + 1, (body, x.origin.column)
    assert errors("access-list A extended permit ip host nosuchname any\n")[0] == (1, "error", "undefined-reference")


def test_protocols() -> None:
    assert ace("permit tcp any any") == (TCP,)
    assert ace("permit 47 any any") == (m.IntCond(m.PROTO, ((47, 47),)),)
    assert ace("permit esp any any") == (m.IntCond(m.PROTO, ((50, 50),)),)
    assert ace("permit ipsec any any") == (m.IntCond(m.PROTO, ((50, 50),)),)
    assert ace("permit pptp any any") == (m.IntCond(m.PROTO, ((47, 47),)),)
    assert ace("permit ip any any") == ()
    groups = "object-group protocol L4\n protocol-object tcp\n protocol-object udp\n group-object MORE\n" \
             "object-group protocol MORE\n protocol-object 47\n"
    assert ace("permit object-group L4 any any", groups) == (m.IntCond(m.PROTO, ((6, 6), (17, 17), (47, 47))),)
    assert ace("permit object-group ANYP any any", "object-group protocol ANYP\n protocol-object ip\n") == ()
    assert errors("access-list A extended permit nosuchproto any any\n")[0][1:] == ("error", "invalid")


def test_ports() -> None:
    assert ace("permit tcp any eq 1024 any eq www") == (TCP, m.IntCond(m.SPORT, ((1024, 1024),)), dport((80, 80)))
    assert ace("permit udp any any neq domain") == (UDP, m.IntCond(m.DPORT, ((53, 53),), negated=True))
    assert ace("permit tcp any any lt 1024") == (TCP, dport((0, 1023)))
    assert ace("permit tcp any any gt 1023") == (TCP, dport((1024, 65535)))
    assert ace("permit tcp any any range ftp-data ftp") == (TCP, dport((20, 21)))
    for name, port in (("https", 443), ("smtp", 25), ("ldap", 389), ("ldaps", 636), ("imap4", 143),
                       ("pop3", 110), ("sqlnet", 1521), ("citrix-ica", 1494), ("ident", 113)):
        assert ace(f"permit tcp any any eq {name}") == (TCP, dport((port, port))), name
    assert ace("permit udp any any eq snmp") == (UDP, dport((161, 161)))
    # a name the ASA does not know: netbase's services, with a note
    d = parse_text("access-list A extended permit tcp any any eq imaps\n")
    assert d.filters[0].rules[1].match.conds == (TCP, dport((993, 993)))
    assert sorted((x.severity, x.code) for x in d.diagnostics) == [("note", "port-name"), ("note", "unused")]
    # refused by the ASA: the entry is not a rule
    for body, word in (("permit tcp any any range 100 50", "above"), ("permit tcp any any eq snmp", "udp only"),
                       ("permit tcp any any eq 70000", "range"), ("permit tcp any any lt 0", "below"),
                       ("permit ip any any eq 80", "tcp, udp"), ("permit tcp any any eq nosuch", "unknown")):
        d = parse_text(f"access-list A extended {body}\n")
        assert len(d.filters[0].rules) == 1, body
        (x,) = bad(d)
        assert x.code == "invalid" and word in x.message, (body, x.message)


def test_icmp() -> None:
    assert ace("permit icmp any any echo") == (ICMP, m.IntCond(m.ICMP, (icmp_type(8),)))
    assert ace("permit icmp any any 3 4") == (ICMP, m.IntCond(m.ICMP, (icmp_type(3, 4, 4),)))
    assert ace("permit icmp any any unreachable") == (ICMP, m.IntCond(m.ICMP, (icmp_type(3),)))
    assert ace("permit icmp6 any any echo-reply") == (m.IntCond(m.PROTO, ((58, 58),)),
                                                      m.IntCond(m.ICMP, (icmp_type(129),)))
    g = "object-group icmp-type PINGS\n icmp-object echo\n icmp-object echo-reply\n"
    assert ace("permit icmp any any object-group PINGS", g) == (ICMP, m.IntCond(m.ICMP, (icmp_type(0), icmp_type(8))))
    assert errors("access-list A extended permit tcp any any echo\n")[0][1:] == ("error", "invalid")
    assert errors("access-list A extended permit icmp any any nosuch\n")[0][1:] == ("error", "invalid")


def test_network_objects_and_groups() -> None:
    pre = ("object network H\n host 10.0.0.1\nobject network N\n subnet 10.1.0.0 255.255.0.0\n"
           "object network R\n range 10.2.0.1 10.2.0.9\nobject network V6\n subnet 2001:db8::/48\n"
           "object-group network INNER\n network-object host 192.0.2.1\n network-object 192.0.2.0 255.255.255.0\n"
           "object-group network G\n network-object object H\n network-object object R\n group-object INNER\n"
           " network-object 2001:db8:1::/64\n description servers\n")
    assert ace("permit ip object H object N", pre) == (m.AddrCond(m.SRC, (h4("10.0.0.1"),)),
                                                       m.AddrCond(m.DST, (net4("10.1.0.0/16"),)))
    assert ace("permit ip object-group G any", pre) == (m.AddrCond(m.SRC, (
        h4("10.0.0.1"), (4, v4("10.2.0.1"), v4("10.2.0.9")), net4("192.0.2.0/24"), net6("2001:db8:1::/64"))),)
    assert ace("permit ip any object V6", pre) == (m.AddrCond(m.DST, (net6("2001:db8::/48"),)),)


def test_fqdn_objects_are_opaque() -> None:
    text = ("object network FQ\n fqdn v4 www.example.com\nobject-group network G\n network-object host 10.0.0.1\n"
            " network-object object FQ\naccess-list A extended permit tcp any object-group G eq 443\n"
            "access-list A extended permit tcp any object FQ eq 80\n")
    d = parse_text(text)
    r1, r2 = d.filters[0].rules[1:]
    dst = m.Opaque("dst fqdn www.example.com", "destination is an address of www.example.com (resolved by DNS at run time)")
    assert r1.match.conds == (TCP, m.AnyCond((m.Match((m.AddrCond(m.DST, (h4("10.0.0.1"),)),)), m.Match((dst,)))),
                              dport((443, 443)))
    assert r2.match.conds == (TCP, dst, dport((80, 80)))
    assert (2, "note", "approximate") in diags(text)


def test_service_objects_and_groups_are_alternatives_in_one_rule() -> None:
    pre = ("object service HTTPS\n service tcp destination eq https\n"
           "object service ECHO\n service icmp echo\n"
           "object service SRC\n service tcp-udp source range 1024 65535 destination eq 53\n"
           "object-group service MIX\n service-object tcp destination eq 80\n service-object tcp destination eq 8080\n"
           " service-object udp eq 5000\n service-object object ECHO\n service-object esp\n group-object MORE\n"
           "object-group service MORE\n service-object tcp source eq 20 destination range 1024 2048\n")
    assert ace("permit object HTTPS any host 10.0.0.1", pre) == (TCP, dport((443, 443)),
                                                                 m.AddrCond(m.DST, (h4("10.0.0.1"),)))
    assert ace("permit object SRC any any", pre) == (m.IntCond(m.PROTO, ((6, 6), (17, 17))),
                                                     m.IntCond(m.SPORT, ((1024, 65535),)), dport((53, 53)))
    (anyc, dst) = ace("permit object-group MIX any host 10.0.0.2", pre)
    assert dst == m.AddrCond(m.DST, (h4("10.0.0.2"),))
    alts = {a.conds for a in anyc.alternatives}
    # the two tcp destinations are one alternative
    assert (TCP, dport((80, 80), (8080, 8080))) in alts
    assert (UDP, dport((5000, 5000))) in alts
    assert (ICMP, m.IntCond(m.ICMP, (icmp_type(8),))) in alts
    assert (m.IntCond(m.PROTO, ((50, 50),)),) in alts
    assert (TCP, m.IntCond(m.SPORT, ((20, 20),)), dport((1024, 2048))) in alts
    assert len(alts) == 5
    assert ace("permit object-group ALL any any", "object-group service ALL\n service-object ip\n"
               " service-object tcp destination eq 80\n") == ()
    # ports after a service are refused
    assert errors(pre + "access-list A extended permit object HTTPS any any eq 80\n")[-1][1:] == ("error", "invalid")


def test_port_groups() -> None:
    pre = ("object-group service WEB tcp\n port-object eq www\n port-object range 8000 8080\n group-object TLS\n"
           "object-group service TLS tcp\n port-object eq https\n"
           "object-group service HIGH tcp-udp\n port-object range 1024 65535\n"
           "object-group service DNS udp\n port-object eq domain\n"
           "object-group network SRV\n network-object host 10.0.0.1\n")
    assert ace("permit tcp any object-group SRV object-group WEB", pre) == (
        TCP, m.AddrCond(m.DST, (h4("10.0.0.1"),)), dport((80, 80), (443, 443), (8000, 8080)))
    # a port group after the source is the source port; its kind tells the ASA (and fwlint) so
    assert ace("permit udp any object-group HIGH object-group SRV object-group DNS", pre) == (
        UDP, m.IntCond(m.SPORT, ((1024, 65535),)), m.AddrCond(m.DST, (h4("10.0.0.1"),)), dport((53, 53)))
    assert errors(pre + "access-list A extended permit udp any any object-group WEB\n")[-1][1:] == ("error", "invalid")


def test_options() -> None:
    assert ace("permit tcp any any eq 80 log") == (TCP, dport((80, 80)))
    assert ace("permit tcp any any eq 80 log 6 interval 300") == (TCP, dport((80, 80)))
    assert ace("permit tcp any any eq 80 log warnings") == (TCP, dport((80, 80)))
    assert ace("deny ip any any log disable") == ()
    text = "time-range WORK\n periodic weekdays 8:00 to 18:00\naccess-list A extended permit tcp any any time-range WORK\n"
    assert conds(text) == (TCP, m.Opaque("time-range WORK", "time-range WORK is active"))
    assert (3, "note", "approximate") in diags(text)
    assert errors("access-list A extended permit tcp any any time-range NONE\n")[0][1:] == ("error",
                                                                                           "undefined-reference")
    c = ace("permit tcp user LOCAL\\bob any any eq 80")
    assert c[1] == m.Opaque("user LOCAL\\bob", "the packet belongs to user LOCAL\\bob")
    c = ace("permit ip security-group name eng any security-group tag 5 any")
    assert [x.key for x in c] == ["security-group name eng", "security-group tag 5"]


def test_inactive_entries_are_notes_not_rules() -> None:
    text = "access-list A extended permit tcp any any eq 80 inactive\naccess-list A extended deny ip any any\n"
    rs = rules(text)
    assert [r.origin.line for r in rs] == [2]
    assert (1, "note", "inactive") in diags(text)


def test_remarks_and_line_numbers() -> None:
    text = ("access-list A remark web\naccess-list A extended permit tcp any any eq 80\n"
            "access-list A extended deny ip any any\naccess-list A line 2 extended permit tcp any any eq 443\n"
            "access-list A line 1 remark first of all\n")
    rs = rules(text)
    # remarks take line numbers too: `line 2` goes before the entry of line 2, after the remark
    assert [(r.origin.line, r.comment) for r in rs] == [(4, "first of all web"), (2, ""), (3, "")]
    assert [r.index for r in rs] == [1, 2, 3]


def test_standard_and_ipv6_access_lists() -> None:
    assert conds("access-list S standard permit 10.0.0.0 255.0.0.0\n") == (m.AddrCond(m.DST, (net4("10.0.0.0/8"),)),)
    assert conds("access-list S standard deny host 10.0.0.1\n") == (m.AddrCond(m.DST, (h4("10.0.0.1"),)),)
    assert conds("access-list S standard permit any4\n") == (m.AddrCond(m.DST, ((4, 0, 2 ** 32 - 1),)),)
    # ASA 8.x IPv6 access lists
    assert conds("ipv6 access-list V6 permit tcp any 2001:db8::/32 eq 443\n") == (
        m.IntCond(m.FAMILY, ((6, 6),)), TCP, m.AddrCond(m.DST, (net6("2001:db8::/32"),)), dport((443, 443)))
    # an extended entry added to a standard list is refused
    assert (2, "error", "invalid") in diags("access-list S standard permit any\n"
                                            "access-list S extended permit ip any any\n")


def test_show_access_list_output() -> None:
    text = ("access-list cached ACL log flows: total 0, denied 0 (deny-flow-max 4096)\n            alert-interval 300\n"
            "access-list T; 2 elements; name hash: 0x1\n"
            "access-list T line 1 extended permit tcp object-group G any eq 22 (hitcnt=0) 0x61fe98bb\n"
            "  access-list T line 1 extended permit tcp 10.0.0.0 255.255.255.0 any eq 22 (hitcnt=0) 0x1\n"
            "  access-list T line 1 extended permit tcp host 10.0.1.1 any eq 22 (hitcnt=0) 0x2\n"
            "access-list T line 2 extended deny tcp any any eq www inactive (hitcnt=0) (inactive) 0x3\n")
    d = parse_text(text)
    (f,) = d.filters
    (r,) = f.rules[1:]
    assert r.match.conds == (TCP, m.AddrCond(m.SRC, (net4("10.0.0.0/24"), h4("10.0.1.1"))), dport((22, 22)))
    assert [(x.origin.line, x.code) for x in d.diagnostics if x.code != "unused"] == [(4, "approximate"),
                                                                                     (7, "inactive")]
    assert d.stats[0].lines_understood == 7


def test_syntax_errors_are_located() -> None:
    for body, col in (("permit tcp any any eq 80 extra", 49), ("permit", 24), ("permit tcp any", 35),
                      ("allow ip any any", 24), ("permit tcp any any eq", 43)):
        d = parse_text(f"access-list A extended {body}\n")
        x = bad(d)[0]
        assert (x.severity, x.code, x.origin.line, x.origin.column) == ("error", "syntax", 1, col), (body, x)
    d = parse_text("access-list A extended ! next tcp any any eq 135 log\naccess-list A extended permit ip any any\n")
    assert [r.origin.line for r in d.filters[0].rules[1:]] == [2]
    assert "'!'" in bad(d)[0].message or "ends too early" in bad(d)[0].message


# --------------------------------------------------------------------------- references


def test_undefined_references_drop_the_entry() -> None:
    text = ("object-group network G\n network-object host 10.0.0.1\n group-object NOPE\n"
            "access-list A extended permit ip object X any\naccess-list A extended permit ip object-group NG any\n"
            "access-list A extended permit object SVC any any\naccess-list A extended permit tcp any any object-group P\n"
            "access-list A extended permit ip object-group G any\naccess-group A in interface outside\n"
            "access-group NOACL in interface outside\n")
    d = parse_text(text)
    errs = [(x.origin.line, x.code) for x in d.diagnostics if x.severity == "error"]
    assert errs == [(3, "undefined-reference"), (4, "undefined-reference"), (5, "undefined-reference"),
                    (6, "undefined-reference"), (7, "undefined-reference"), (10, "undefined-reference")]
    # only the last entry is a rule, and its group keeps its defined member
    (r,) = d.filter("A").rules[1:]
    assert r.origin.line == 8 and r.match.conds == (m.AddrCond(m.SRC, (h4("10.0.0.1"),)),)
    x = [x for x in d.diagnostics if x.origin.line == 4][0]
    assert x.origin.column == len("access-list A extended permit ip object ") + 1


def test_wrong_kinds_of_references() -> None:
    pre = "object network N\n host 10.0.0.1\nobject service S\n service tcp\nobject-group service P tcp\n" \
          " port-object eq 80\nobject-group protocol PR\n protocol-object tcp\n"
    for body in ("permit ip object S any", "permit object N any any", "permit ip object-group P any",
                 "permit object-group N any any", "permit tcp any object-group PR"):
        d = parse_text(pre + f"access-list A extended {body}\n")
        assert [x.severity for x in bad(d)] == ["error"], body
        assert len(d.filter("A").rules) == 1


def test_unused_definitions_are_notes() -> None:
    text = ("object network USED\n host 10.0.0.1\nobject network IDLE\n host 10.0.0.2\n"
            "object service IDLES\n service tcp destination eq 80\nobject-group network IDLEG\n network-object host 1.1.1.1\n"
            "access-list BOUND extended permit ip object USED any\naccess-list LONELY extended permit ip any any\n"
            "access-list VPN extended permit ip any any\naccess-group BOUND in interface outside\n"
            "crypto map M 10 match address VPN\n")
    d = parse_text(text)
    assert [(x.origin.line, x.code, x.construct) for x in d.diagnostics] == [
        (3, "unused", "object network"), (5, "unused", "object service"), (7, "unused", "object-group network"),
        (10, "unused", "access-list")]


def test_redefinitions() -> None:
    text = ("object network WEB\n host 10.0.0.1\nobject network WEB\n host 10.0.0.2\n"
            "access-list A extended permit ip any object WEB\n")
    assert conds(text) == (m.AddrCond(m.DST, (h4("10.0.0.2"),)),)  # the last definition counts
    assert (4, "warning", "redefined") in diags(text)
    # entering an object again to add NAT is not a redefinition
    assert [c for c in diags("object network W\n host 10.0.0.1\nobject network W\n nat (inside,outside) dynamic "
                             "interface\n") if c[1] != "note"] == []
    # groups entered twice gather their members
    text = ("object-group network G\n network-object host 10.0.0.1\nobject-group network G\n"
            " network-object host 10.0.0.2\naccess-list A extended permit ip object-group G any\n")
    assert conds(text) == (m.AddrCond(m.SRC, ((4, v4("10.0.0.1"), v4("10.0.0.2")),)),)
    # one name for an object and a group, or a group of another kind: refused
    assert (3, "error", "redefined") in diags("object network X\n host 1.1.1.1\nobject-group network X\n"
                                              " network-object host 1.1.1.2\n")
    assert (3, "error", "redefined") in diags("object-group network X\n network-object host 1.1.1.1\n"
                                              "object-group service X tcp\n port-object eq 80\n")


def test_group_loops_and_bad_members() -> None:
    d = parse_text("object-group network A\n group-object B\nobject-group network B\n group-object A\n"
                   "access-list X extended permit ip object-group A any\n")
    assert any(x.code == "invalid" and "contains itself" in x.message for x in d.diagnostics)
    d = parse_text("object-group network A\n port-object eq 80\n network-object 10.0.0.0 255.0.255.0\n"
                   " network-object host 10.0.0.1\naccess-list X extended permit ip object-group A any\n")
    assert [(x.origin.line, x.code) for x in bad(d)] == [(2, "syntax"), (3, "invalid")]
    assert d.filter("X").rules[1].match.conds == (m.AddrCond(m.SRC, (h4("10.0.0.1"),)),)
    d = parse_text("object network R\n range 10.0.0.9 10.0.0.1\n")
    assert [(x.origin.line, x.code) for x in bad(d)] == [(2, "invalid")]


# --------------------------------------------------------------------------- interfaces and bindings


def test_interfaces() -> None:
    d = parse_text(FW + "interface GigabitEthernet0/4\n nameif inside2\n ipv6 address 2001:db8::1/64\n"
                        "interface GigabitEthernet0/5\n no nameif\n security-level 0\n")
    assert [(i.name, i.addresses, i.security_level) for i in d.interfaces] == [
        ("outside", ("203.0.113.1/24",), 0), ("inside", ("10.0.0.1/24",), 100), ("dmz", ("10.1.0.1/24",), 50),
        ("dmz2", (), 50), ("inside2", ("2001:db8::1/64",), 0)]
    # the ASA's default level: 100 for a nameif of inside
    d = parse_text("interface Gi0/0\n nameif inside\ninterface Gi0/1\n nameif outside\n")
    assert [i.security_level for i in d.interfaces] == [100, 0]
    # PIX 6
    d = parse_text("nameif ethernet0 outside security0\nnameif ethernet1 inside security100\n"
                   "ip address outside 192.0.2.1 255.255.255.0\ninterface ethernet0 auto\n")
    assert [(i.name, i.addresses, i.security_level) for i in d.interfaces] == [
        ("outside", ("192.0.2.1/24",), 0), ("inside", (), 100)]
    assert (2, "error", "redefined") in diags("nameif e0 outside security0\nnameif e1 outside security10\n")


def test_static_routes() -> None:
    d = parse_text(FW + "route outside 0.0.0.0 0.0.0.0 203.0.113.254 1\nroute inside 10.8.0.0 255.255.0.0 10.0.0.2\n"
                        "route outside 0 0 203.0.113.253 2\nipv6 route inside 2001:db8:8::/48 fe80::1\n"
                        "route dmz 10.9.0.0 255.0.255.0 10.1.0.2\n")
    assert [(r.prefix, r.interface, r.next_hop, r.origin.line) for r in d.routes] == [
        ("0.0.0.0/0", "outside", "203.0.113.254", 18), ("10.8.0.0/16", "inside", "10.0.0.2", 19),
        ("0.0.0.0/0", "outside", "203.0.113.253", 20), ("2001:db8:8::/48", "inside", "fe80::1", 21)]
    # routes do not concern filtering: understood, not relevant
    base = cisco_asa.relevance("x", FW.encode())
    more = cisco_asa.relevance("x", (FW + "route outside 0 0 1.1.1.1\n").encode())
    assert not bad(d) and more["not_relevant"] == base["not_relevant"] + 1 and more["relevant"] == base["relevant"]


def test_effective_inbound_filters() -> None:
    text = FW + ("same-security-traffic permit inter-interface\n"
                 "access-list OUT_IN extended permit tcp any host 10.1.0.10 eq 443\n"
                 "access-list GLOBAL extended deny ip host 198.51.100.66 any\n"
                 "access-list DMZ_OUT extended deny tcp any any eq 25\n"
                 "access-group OUT_IN in interface outside\naccess-group GLOBAL global\n"
                 "access-group DMZ_OUT out interface dmz\n")
    d = parse_text(text)
    assert [f.name for f in d.filters] == ["OUT_IN", "GLOBAL", "DMZ_OUT", "in:outside", "in:inside", "in:dmz",
                                           "in:dmz2"]
    assert d.bindings == (m.Binding("in:outside", "in", "outside"), m.Binding("in:inside", "in", "inside"),
                          m.Binding("in:dmz", "in", "dmz"), m.Binding("in:dmz2", "in", "dmz2"),
                          m.Binding("DMZ_OUT", "out", "dmz"), m.Binding("GLOBAL", "global"))
    out = d.filter("in:outside")
    assert out.default == m.Action("drop") and out.origin.line == 22
    assert [(r.index, r.origin.line) for r in out.rules] == [(0, 22), (1, 19), (2, 20)]
    assert out.rules[0].match == STATE_RULE and out.rules[1] is d.filter("OUT_IN").rules[1]  # the same rule
    dmz = d.filter("in:dmz")
    # no inbound access-group: the global rules, then the security levels, then the deny
    assert [(r.origin.line, r.action.kind, r.match.conds) for r in dmz.rules[1:]] == [
        (20, "drop", (m.AddrCond(m.SRC, (h4("198.51.100.66"),)),)),
        (13, "accept", (m.IfaceCond(m.OUT_IFACE, ("outside",)),)),
        (18, "accept", (m.IfaceCond(m.OUT_IFACE, ("dmz2",)),))]
    assert dmz.rules[0].origin.line == 23  # the global access-group
    inside = d.filter("in:inside")
    assert inside.rules[2].match.conds == (m.IfaceCond(m.OUT_IFACE, ("outside", "dmz", "dmz2")),)
    assert inside.rules[2].origin.line == 9  # the security-level line
    assert [r.action.kind for r in d.filter("in:outside").rules] == ["accept", "accept", "drop"]


def test_without_access_groups_or_global() -> None:
    d = parse_text(FW + "same-security-traffic permit intra-interface\n")
    assert [b.filter for b in d.bindings] == ["in:outside", "in:inside", "in:dmz", "in:dmz2"]
    outside = d.filter("in:outside")
    assert [r.match for r in outside.rules] == [STATE_RULE, m.Match((m.IfaceCond(m.OUT_IFACE, ("outside",)),))]
    assert outside.rules[0].origin.line == 4  # the nameif line
    dmz = d.filter("in:dmz")
    assert [r.match.conds for r in dmz.rules[1:]] == [(m.IfaceCond(m.OUT_IFACE, ("outside",)),),
                                                      (m.IfaceCond(m.OUT_IFACE, ("dmz",)),)]


def test_trace_through_the_device() -> None:
    d = parse_text(FW + "access-list OUT_IN extended permit tcp any host 10.1.0.10 eq 443\n"
                        "access-list GLOBAL extended deny ip host 198.51.100.66 any\n"
                        "access-group OUT_IN in interface outside\naccess-group GLOBAL global\n")
    cases = [(pkt("192.0.2.1", "10.1.0.10", dport_=443, out_iface="dmz"), "accept"),
             (pkt("192.0.2.1", "10.1.0.10", dport_=80, out_iface="dmz"), "drop"),
             (pkt("10.0.0.5", "192.0.2.1", in_iface="inside", out_iface="outside"), "accept"),
             (pkt("10.1.0.5", "10.0.0.5", in_iface="dmz", out_iface="inside"), "drop"),
             (pkt("10.1.0.5", "10.2.0.5", in_iface="dmz", out_iface="dmz2"), "drop"),
             (pkt("198.51.100.66", "192.0.2.1", in_iface="inside", out_iface="outside"), "drop")]
    for p, want in cases:
        assert trace(d, p, "forward").verdict == want, p
    # the connection table: a packet of an established connection passes whatever the ACL says
    p = pkt("192.0.2.1", "10.1.0.10", dport_=80, out_iface="dmz", state="ESTABLISHED")
    assert trace(d, p, "forward").verdict == "accept"


def test_access_group_replacement_and_errors() -> None:
    text = FW + ("access-list TMP extended permit ip any any\naccess-list REAL extended deny ip any any\n"
                 "access-group TMP in interface outside\naccess-group REAL in interface outside\n"
                 "access-group REAL in interface nosuch\naccess-group REAL in interface outside control-plane\n"
                 "access-group REAL sideways\n")
    d = parse_text(text)
    assert [(x.origin.line, x.severity, x.code) for x in d.diagnostics] == [
        (18, "note", "unused"), (20, "note", "replaced"), (22, "error", "undefined-reference"),
        (23, "warning", "unsupported"), (24, "error", "syntax")]
    assert [r.origin.line for r in d.filter("in:outside").rules[1:]] == [19]


# --------------------------------------------------------------------------- alterations


def test_object_and_twice_nat() -> None:
    text = FW + ("object network WEB\n host 10.1.0.10\n nat (dmz,outside) static 203.0.113.10\n"
                 "object network LAN\n subnet 10.0.0.0 255.255.255.0\n"
                 "object network LAN\n nat (inside,outside) dynamic interface\n"
                 "object-group network PARTNERS\n network-object 198.51.100.0 255.255.255.0\n"
                 "nat (inside,outside) source static LAN LAN destination static PARTNERS PARTNERS\n"
                 "nat (inside,outside) source dynamic any interface inactive\n"
                 "nat (inside,outside) source static NOPE NOPE\n")
    d = parse_text(text)
    a1, a2, a3 = d.alterations
    assert (a1.kind, a1.stage, a1.origin.line) == ("nat", "in", 20)
    assert a1.match.conds == (m.AddrCond(m.SRC, (h4("10.1.0.10"),)), m.IfaceCond(m.IN_IFACE, ("dmz",)),
                              m.IfaceCond(m.OUT_IFACE, ("outside",)))
    assert dict(a1.params)["type"] == "static" and dict(a1.params)["mapped"] == "203.0.113.10"
    assert a2.match.conds[0] == m.AddrCond(m.SRC, (net4("10.0.0.0/24"),)) and dict(a2.params)["type"] == "dynamic"
    assert a3.match.conds == (m.AddrCond(m.SRC, (net4("10.0.0.0/24"),)), m.AddrCond(m.DST, (net4("198.51.100.0/24"),)),
                              m.IfaceCond(m.IN_IFACE, ("inside",)), m.IfaceCond(m.OUT_IFACE, ("outside",)))
    assert dict(a3.params)["form"] == "twice"
    assert [(x.origin.line, x.code) for x in d.diagnostics] == [(28, "inactive"), (29, "undefined-reference")]


def test_legacy_nat_global_static() -> None:
    text = ("nameif ethernet0 outside security0\nnameif ethernet1 inside security100\n"
            "global (outside) 1 interface\nnat (inside) 1 10.0.0.0 255.255.255.0 0 0\n"
            "access-list NONAT permit ip 10.0.0.0 255.255.255.0 192.168.0.0 255.255.0.0\n"
            "nat (inside) 0 access-list NONAT\n"
            "static (inside,outside) tcp interface 25 10.0.0.25 25 netmask 255.255.255.255\n"
            "global (outside) 9 203.0.113.5\n")
    d = parse_text(text)
    n1, n0, st = d.alterations
    assert n1.match.conds == (m.IfaceCond(m.IN_IFACE, ("inside",)), m.AddrCond(m.SRC, (net4("10.0.0.0/24"),)),
                              m.IfaceCond(m.OUT_IFACE, ("outside",)))
    assert dict(n0.params)["type"] == "exempt"
    assert n0.match.conds == (m.IfaceCond(m.IN_IFACE, ("inside",)), m.AddrCond(m.SRC, (net4("10.0.0.0/24"),)),
                              m.AddrCond(m.DST, (net4("192.168.0.0/16"),)))
    assert st.match.conds == (TCP, m.IfaceCond(m.IN_IFACE, ("inside",)), m.IfaceCond(m.OUT_IFACE, ("outside",)),
                              m.AddrCond(m.SRC, (h4("10.0.0.25"),)), m.IntCond(m.SPORT, ((25, 25),)))
    # NONAT is used by the nat; global 9 by nothing
    assert [(x.origin.line, x.code) for x in d.diagnostics] == [(8, "unused")]


def test_inspection() -> None:
    text = FW + ("class-map inspection_default\n match default-inspection-traffic\n"
                 "class-map WEBCLASS\n match port tcp eq 8080\n"
                 "policy-map global_policy\n class inspection_default\n  inspect dns preset_dns_map\n"
                 "  inspect esmtp\n  inspect ftp\n  inspect h323 ras\n  inspect sip\n"
                 "policy-map DMZ\n class WEBCLASS\n  inspect http\n class NOCLASS\n  inspect ftp\n"
                 "service-policy global_policy global\nservice-policy DMZ interface dmz\n"
                 "service-policy NOPE interface outside\n")
    d = parse_text(text)
    by = {(dict(a.params)["inspect"], dict(a.params)["service-policy"]): a for a in d.alterations}
    assert all(a.kind == "inspect" and a.stage == "in" for a in d.alterations)
    assert by[("dns", "global")].match.conds == (UDP, dport((53, 53)))
    assert by[("esmtp", "global")].match.conds == (TCP, dport((25, 25)))
    assert by[("ftp", "global")].match.conds == (TCP, dport((21, 21)))
    assert by[("h323 ras", "global")].match.conds == (UDP, dport((1718, 1719)))
    assert by[("sip", "global")].match.conds == (m.IntCond(m.PROTO, ((6, 6), (17, 17))), dport((5060, 5060)))
    assert by[("http", "dmz")].match.conds == (m.IfaceCond(m.IN_IFACE, ("dmz",)), TCP, dport((8080, 8080)))
    assert by[("dns", "global")].origin.line == 24 and dict(by[("dns", "global")].params)["class"] == \
        "inspection_default"
    assert [(x.origin.line, x.code) for x in bad(d)] == [(32, "undefined-reference"), (36, "undefined-reference")]


def test_fixup_and_mss() -> None:
    d = parse_text("fixup protocol ftp 21\nfixup protocol h323 ras 1718-1719\nfixup protocol smtp 2525\n"
                   "no fixup protocol ftp\nsysopt connection tcpmss 1380\n")
    fx = [a for a in d.alterations if a.kind == "inspect"]
    assert [(dict(a.params)["inspect"], a.match.conds) for a in fx] == [
        ("h323 ras", (UDP, dport((1718, 1719)))), ("smtp", (TCP, dport((2525, 2525))))]
    (mss,) = [a for a in d.alterations if a.kind == "mss"]
    assert mss.params == (("mss", "1380"),) and mss.match.conds == (TCP,) and mss.origin.line == 5


# --------------------------------------------------------------------------- scripts and old forms


def test_clear_configure_in_scripts() -> None:
    text = ("access-list A extended permit ip any any\naccess-group A in interface outside\n"
            "clear configure access-list A\naccess-list A extended deny ip any any\n"
            "object-group network G\n network-object host 1.1.1.1\nclear config object-group\n"
            "object-group network G\n network-object host 2.2.2.2\n"
            "access-list B extended permit ip object-group G any\naccess-group B in interface inside\n")
    d = parse_text(text)
    assert [r.origin.line for r in d.filter("A").rules[1:]] == [4]
    assert d.filter("B").rules[1].match.conds == (m.AddrCond(m.SRC, (h4("2.2.2.2"),)),)
    assert d.filter("in:outside") is None  # the access-group went with the cleared list
    assert (4, "note", "unused") in diags(text)


def test_script_without_indentation_and_misplaced_commands() -> None:
    text = ("object-group network G\nnetwork-object host 10.0.0.1\nexit\n"
            "object network W\nhost 10.0.0.2\nnat (inside,outside) static 192.0.2.2\n"
            "object-group icmp-type P\n icmp-object echo\n access-list A remark indented global command\n"
            "access-list A extended permit ip object-group G object W\n")
    d = parse_text(text)
    assert not bad(d)
    (r,) = d.filter("A").rules[1:]
    assert r.comment == "indented global command"
    assert r.match.conds == (m.AddrCond(m.SRC, (h4("10.0.0.1"),)), m.AddrCond(m.DST, (h4("10.0.0.2"),)))
    assert len(d.alterations) == 1


def test_pix_forms() -> None:
    text = ("PIX Version 6.3(5)\nnames\nname 10.0.0.5 mail\nnameif ethernet0 outside security0\n"
            "nameif ethernet1 inside security100\nfixup protocol smtp 25\n"
            "access-list IN permit tcp any host mail eq smtp\naccess-group IN in interface outside\n"
            "conduit permit tcp host 192.0.2.5 eq www any\noutbound 10 deny 0 0 0\napply (inside) 10 outgoing_src\n"
            "established tcp 0 0\nstatic (inside,outside) 192.0.2.5 mail netmask 255.255.255.255 0 0\n"
            "icmp permit any outside\ntelnet 10.0.0.0 255.0.0.0 inside\n")
    d = parse_text(text)
    assert d.filter("IN").rules[1].match.conds == (TCP, m.AddrCond(m.DST, (h4("10.0.0.5"),)), dport((25, 25)))
    assert [(x.origin.line, x.code) for x in bad(d)] == [(9, "unsupported"), (10, "unsupported"),
                                                          (11, "unsupported"), (12, "unsupported")]
    assert [a.kind for a in d.alterations] == ["nat", "inspect"]
    r = cisco_asa.relevance("pix.cfg", text.encode())
    assert r["not_relevant"] == 3 and r["relevant"] == 12 and r["relevant_understood"] == 8


def test_no_commands() -> None:
    text = ("access-list A extended permit tcp any any eq 80\naccess-list A extended permit tcp any any eq 443\n"
            "no access-list A extended permit tcp any any eq 80\naccess-list B extended permit ip any any\n"
            "access-group B in interface outside\nno access-group B in interface outside\nno access-list C\n")
    d = parse_text(text)
    assert [r.origin.line for r in d.filter("A").rules[1:]] == [2]
    assert d.filter("in:outside") is None
    assert (7, "error", "undefined-reference") in diags(text)


# --------------------------------------------------------------------------- bad input


def test_crlf_line_endings() -> None:
    d = cisco_asa.parse("w.cfg", b"access-list A extended permit tcp any any eq 80\r\naccess-group A global\r\n")
    assert [(x.origin.line, x.severity, x.code) for x in d.diagnostics] == [(1, "note", "line-endings")]
    assert d.filter("A").rules[1].match.conds == (TCP, dport((80, 80)))
    assert d.filter("A").rules[1].origin.text == "access-list A extended permit tcp any any eq 80"


def test_binary_and_bad_encoding() -> None:
    d = cisco_asa.parse("b.bin", b"\x7fELF\x00\x01\x02\nmore\n")
    assert [(x.severity, x.code) for x in d.diagnostics] == [("error", "binary")]
    assert d.filters == () and d.stats == (m.FileStats("b.bin", 2, 0),)
    d = cisco_asa.parse("l.cfg", b"hostname caf\xe9\naccess-list A extended permit ip any any\naccess-group A global\n")
    assert [(x.origin.line, x.origin.column, x.code) for x in d.diagnostics] == [(1, 13, "encoding")]
    assert d.stats[0].lines_understood == 3


def test_ios_and_unknown_commands() -> None:
    text = ("interface GigabitEthernet0/0\n nameif outside\n ip access-group X in\n"
            "ip access-list extended X\n permit ip any any\nfrobnicate now\n")
    d = parse_text(text)
    assert [(x.origin.line, x.code) for x in d.diagnostics] == [(3, "ios-command"), (4, "ios-command"),
                                                              (6, "unknown-command")]
    assert d.stats[0].lines_understood == 2
    r = cisco_asa.relevance("x", text.encode())
    assert r == {"lines": 6, "blank": 0, "relevant": 2, "relevant_understood": 2, "not_relevant": 0, "unknown": 4}


def test_empty_file() -> None:
    assert diags("") == [(1, "note", "empty")]
    assert diags("! nothing\n\n") == [(1, "note", "empty")]


def test_random_input_never_raises() -> None:
    rnd = random.Random(7)
    words = ["access-list", "A", "extended", "permit", "deny", "tcp", "ip", "any", "host", "10.0.0.1",
             "255.255.255.0", "eq", "range", "80", "object-group", "G", "object", "N", "log", "interface",
             "nameif", "outside", "security-level", "100", "nat", "(inside,outside)", "static", "source",
             "dynamic", "object-group network G", " network-object host 1.1.1.1", "access-group A in interface",
             "policy-map", "class", "inspect", "service-policy", "global", "!", "\t", "line", "1", "remark",
             "icmp", "echo", "time-range", "inactive", "(hitcnt=0)", "0x12", "\x01", "é", "name", "fixup", "protocol"]
    for _ in range(300):
        lines = [" ".join(rnd.choice(words) for _ in range(rnd.randint(0, 9))) for _ in range(rnd.randint(1, 12))]
        text = "\n".join((" " * rnd.randint(0, 2)) + ln for ln in lines)
        d = cisco_asa.parse("r.cfg", text.encode())
        assert not [x for x in d.diagnostics if x.code == "internal"], (text, d.diagnostics)
        for x in d.diagnostics:
            assert x.origin.line >= 1 and x.origin.column >= 1
    for _ in range(50):
        blob = bytes(rnd.randrange(1, 256) for _ in range(rnd.randint(0, 400)))
        d = cisco_asa.parse("g.bin", blob)
        assert not [x for x in d.diagnostics if x.code == "internal"]


def test_parsing_writes_nothing_to_stderr(capfd) -> None:
    # a fresh interpreter: ciscoconfparse's loguru messages appear on its first use
    code = ("from linter.platforms.cisco import asa as cisco_asa\n"
            "d = cisco_asa.parse('x.cfg', b'ASA Version 9.8\\ninterface Gi0/0\\n nameif outside\\n"
            "access-list A extended permit ip any any\\n')\nprint(len(d.filters))\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0 and res.stdout.strip() == "2" and res.stderr == ""
    capfd.readouterr()
    parse_text(FW + "access-list A extended permit ip any any\n")
    out, err = capfd.readouterr()
    assert out == "" and err == ""


# --------------------------------------------------------------------------- scale


@pytest.mark.slow
def test_large_acl_with_groups_is_not_expanded() -> None:
    """20,000 entries whose groups would expand to billions of entries stay 20,000 rules."""
    nets, hosts, svcs, ports = 50, 100, 20, 25
    lines = ["ASA Version 9.8(4)"]
    for g in range(nets):
        lines.append(f"object-group network NET{g}")
        lines.extend(f" network-object host 10.{g}.{h // 256}.{h % 256}" for h in range(hosts))
    for s in range(svcs):
        lines.append(f"object-group service SVC{s} tcp")
        lines.extend(f" port-object eq {1000 + s * ports + p}" for p in range(ports))
    lines.append("object-group service MIX")
    for p in range(30):
        lines += [f" service-object tcp destination eq {2000 + p}", f" service-object udp destination eq {3000 + p}"]
    expanded = 0
    for i in range(20000):
        if i % 3 == 0:
            lines.append(f"access-list BIG extended permit object-group MIX object-group NET{i % nets} "
                         f"object-group NET{(i + 1) % nets}")
            expanded += 60 * hosts * hosts
        else:
            lines.append(f"access-list BIG extended permit tcp object-group NET{i % nets} "
                         f"object-group NET{(i + 7) % nets} object-group SVC{i % svcs}")
            expanded += hosts * hosts * ports
    assert expanded > 1_000_000
    d = cisco_asa.parse("big.cfg", ("\n".join(lines) + "\n").encode())
    (f,) = d.filters
    assert len(f.rules) == 20001 and f.rules[0].match == STATE_RULE
    assert not bad(d)
    r = f.rules[2]
    assert r.match.conds[0] == TCP and len(r.match.conds) == 4
    assert r.match.conds[1] == m.AddrCond(m.SRC, (net4("10.1.0.0/26")[:2] + (v4("10.1.0.99"),),))
    assert r.match.conds[3] == m.IntCond(m.DPORT, ((1025, 1049),))
    (anyc, src, dst) = f.rules[1].match.conds
    assert {a.conds for a in anyc.alternatives} == {(TCP, dport((2000, 2029))), (UDP, dport((3000, 3029)))}
    # the same group resolved once is the same object in every rule
    assert f.rules[1].match.conds[1] is f.rules[51].match.conds[1]


# --------------------------------------------------------------------------- the corpus

# diagnostic codes the ASA corpus gives, and why
CORPUS_CODES = {
    ("note", "unused"): "objects, groups and access-lists nothing applies: Batfish tests define them on purpose; "
                        "fwbuilder scripts replace tmp_acl; aerleon files hold access-lists only",
    ("note", "replaced"): "fwbuilder scripts bind tmp_acl to every interface, then bind the real access-lists",
    ("note", "inactive"): "inactive entries in the Ansible and Farly fixtures",
    ("note", "line-endings"): "Farly's test.cfg has CRLF line endings",
    ("note", "empty"): "Batfish fixtures of objects, NAT, logging or banners only: no access list and no "
                       "interface with a nameif, so the ASA passes no traffic (said once per file)",
    ("note", "approximate"): "Ansible's `show access-list` output names a group it does not define; read from the "
                             "expansion lines",
    ("error", "undefined-reference"): "Batfish and Ansible fixtures reference undefined objects, groups, ACLs and "
                                      "policy-maps on purpose",
    ("error", "invalid"): "Batfish aclAsa writes 1.2.3.4 255.255.255.0 (the ASA refuses it: address and mask do "
                          "not pair); unit__asa_nat's objects have no address; Ansible prints `1.1.1.1 1.1.1.1`",
    ("error", "syntax"): "Batfish writes `object-group group network ...`, which is no ASA syntax",
}
# files with errors or warnings, and why (every other file must have none)
CORPUS_ERRORS = {
    "ansible-cisco-asa/asa_acls_config.cfg": "ALLSERV.12 undefined; its expansion line has a mask of 1.1.1.1",
    "ansible-cisco-asa/asa_ogs_config.cfg": "objects TEST1 and TEST2 are not in the fixture",
    "batfish/aclAsa": "1.2.3.4 255.255.255.0: host bits outside the mask",
    "batfish/asa-acl-object": "osfake, onfake1, onfake2 are undefined on purpose",
    "batfish/asa-filters": "access-group FILTER_UNDEF on purpose",
    "batfish/asa-gh-6042": "objects X and Y are undefined",
    "batfish/asa-nat-object-refs": "source-mapped-undef is undefined on purpose",
    "batfish/asa-nested-network-object-group": "`object-group group network`, UNDEFINED_GROUP_MIXED",
    "batfish/asa-nested-protocol-object-group": "`object-group group protocol`, UNDEFINED_GROUP_MIXED",
    "batfish/asa-service-object": "OS_UNDEFINED, OGS_UNDEFINED and an object named icmp are undefined",
    "batfish/unit__asa_interface": "policy-map some-interface-policy is undefined",
    "batfish/unit__asa_nat": "a syntax test of NAT forms whose objects are not defined",
}


def _corpus(root: Path) -> list[tuple[str, Path]]:
    return [(p.relative_to(root).as_posix(), p) for p in sorted(root.rglob("*")) if p.is_file()]


def test_corpus_parses_and_is_mostly_understood(capsys) -> None:
    shared_dir("corpus", "cisco-asa")
    manifest = (shared_dir("corpus") / "MANIFEST.md").read_text(encoding="utf-8")
    totals: collections.Counter = collections.Counter()
    codes: collections.Counter = collections.Counter()
    errors: dict[str, list] = {}
    rules_ = filters = alterations = 0
    start = time.perf_counter()
    files = _corpus(shared_dir("corpus", "cisco-asa"))
    for rel, p in files:
        assert f"cisco-asa/{rel}" in manifest, rel
        data = p.read_bytes()
        d = cisco_asa.parse(str(p), data)
        assert d.platform == "cisco-asa"
        totals.update(cisco_asa.relevance(str(p), data))
        rules_ += sum(len(f.rules) for f in d.filters)
        filters += len(d.filters)
        alterations += len(d.alterations)
        for x in d.diagnostics:
            codes[(x.severity, x.code)] += 1
            assert x.origin.line >= 1 and x.origin.column >= 1 and x.origin.path == str(p)
            assert x.code != "internal", (rel, x)
        errs = [(x.origin.line, x.code, x.message) for x in bad(d)]
        if errs:
            errors[rel] = errs
    elapsed = time.perf_counter() - start
    share = totals["relevant_understood"] / totals["relevant"]
    with capsys.disabled():
        print(f"\ncisco-asa corpus: {len(files)} files, {totals['lines']} lines: {totals['relevant']} relevant, "
              f"{totals['relevant_understood']} of them understood ({share:.1%}), {totals['not_relevant']} not "
              f"relevant, {totals['blank']} blank or comments, {totals['unknown']} unknown; {filters} filters, "
              f"{rules_} rules, {alterations} alterations in {elapsed:.2f}s; diagnostics: "
              f"{dict(sorted(codes.items()))}")
    assert len(files) == 39
    assert set(errors) == set(CORPUS_ERRORS), {k: v for k, v in errors.items() if k not in CORPUS_ERRORS}
    assert set(codes) <= set(CORPUS_CODES), set(codes) - set(CORPUS_CODES)
    assert totals["unknown"] == 0
    assert share >= 0.95


def test_corpus_models_make_sense() -> None:
    root = shared_dir("corpus", "cisco-asa")
    p = root / "batfish" / "asa-filters"
    d = cisco_asa.parse(str(p), p.read_bytes())
    assert {b.filter: (b.hook, b.interface) for b in d.bindings} == {
        "in:name1": ("in", "name1"), "in:name2": ("in", "name2"), "in:name3": ("in", "name3"),
        "in:name4": ("in", "name4"), "in:name5": ("in", "name5"), "FILTER_OUT": ("out", "name1"),
        "FILTER_OUT5": ("out", "name5")}
    assert [r.origin.line for r in d.filter("in:name4").rules] == [33, 39]
    # name3 (50) has no access-group: it may reach the interfaces of level 0
    assert d.filter("in:name3").rules[1].match.conds == (m.IfaceCond(m.OUT_IFACE, ("name2", "name4", "name5")),)
    p = root / "farly" / "test.cfg"
    d = cisco_asa.parse(str(p), p.read_bytes())
    out = d.filter("outside-in")
    assert len(out.rules) == 14 and out.rules[1].comment == "ICMP rules"
    # `object-group layer4 object-group customerX object-group high_ports host server1 eq 8080`
    assert out.rules[3].match.conds == (m.IntCond(m.PROTO, ((6, 6), (17, 17))), m.AddrCond(m.SRC, (net4("172.16.0.0/20"),)),
                                        m.IntCond(m.SPORT, ((1024, 65535),)), m.AddrCond(m.DST, (h4("192.168.10.1"),)),
                                        dport((8080, 8080)))
    p = root / "fwbuilder" / "firewall50.fw"
    d = cisco_asa.parse(str(p), p.read_bytes())
    kinds = collections.Counter(a.kind for a in d.alterations)
    assert kinds == {"nat": 10, "inspect": 11, "mss": 1}
    assert [b.filter for b in d.bindings] == ["in:outside", "in:inside", "in:dmz"]


def _summary(d: m.Device) -> dict:
    return {
        "filters": len(d.filters),
        "rules": sum(len(f.rules) for f in d.filters),
        "bindings": len(d.bindings),
        "alterations": len(d.alterations),
        "stats": [[s.lines_read, s.lines_understood] for s in d.stats],
        "diagnostics": dict(sorted(collections.Counter(f"{x.severity}:{x.code}:{x.construct}"
                                                       for x in d.diagnostics).items())),
    }


def test_corpus_golden(request) -> None:
    """Golden normalized models of every ASA file of the corpus (regenerate with
    FWLINT_UPDATE_GOLDEN=1): full JSON for Apache, BSD, ISC or MIT files, a digest (sha256 of
    the same JSON and a summary) for the others, so that no text of theirs is copied."""
    root, whole = corpus_root("cisco-asa")
    licences = corpus_licences("cisco-asa")
    seen = set()
    for rel, p in _corpus(root):
        d = cisco_asa.parse(str(p), p.read_bytes())
        text = device_json(d).replace(str(root.resolve()) + "/", "cisco-asa/").replace(str(root) + "/",
                                                                                       "cisco-asa/") + "\n"
        name = rel.replace("/", "__") + ".json"
        seen.add(name)
        licence = licences.get(rel, "")
        if PERMISSIVE.match(licence):
            check_golden(GOLDEN / "cisco-asa" / name, text, request)
        else:
            digest = {"path": "cisco-asa/" + rel, "licence": licence or "unknown",
                      "sha256": hashlib.sha256(text.encode()).hexdigest(), "summary": _summary(d)}
            check_golden(GOLDEN / "cisco-asa" / name, json.dumps(digest, indent=1, sort_keys=True) + "\n", request)
    if not whole:
        return  # a fresh clone: the permissively licensed files of tests/data only
    stale = {p.name for p in (GOLDEN / "cisco-asa").glob("*.json")} - seen
    assert not stale, f"golden files without a corpus file: {sorted(stale)}"
    assert len(seen) == 39


def test_the_engine_reads_every_corpus_model() -> None:
    for _rel, p in _corpus(corpus_root("cisco-asa")[0]):
        d = cisco_asa.parse(str(p), p.read_bytes())
        an = Analysis(d)
        for f in d.filters:
            an.outcome(f)


# --------------------------------------------------------------------------- the generator oracle

# every oracle disagreement would be listed here with its reason (there are none)
ORACLE_EXCEPTIONS: dict[str, str] = {}
# errors the oracle's files give, and why
ORACLE_ERRORS = {
    ("no_default_deny", 10): "aerleon renders the `next` action as `extended ! next ...`: the ASA refuses the line",
    ("no_default_deny", 11): "the same, for port 445",
}


def test_oracle_aerleon(tmp_path) -> None:
    root = shared_dir("oracle", "aerleon")
    bindings = json.loads((root / "bindings.json").read_text())
    verdicts = []
    problems = []
    errors = set()
    for truth in sorted((root / "truth").glob("*.jsonl")):
        policy = truth.stem
        cfg = root / "generated" / "ciscoasa" / f"{policy}.asa"
        if not cfg.exists():
            continue
        device = cisco_asa.parse(str(cfg), cfg.read_bytes())
        assert device.filter(bindings[policy]["ciscoasa"]["acl"]) is not None
        errors |= {(policy, x.origin.line) for x in bad(device)}
        for line in truth.read_text().splitlines():
            rec = json.loads(line)
            want = rec["expected_by_target"].get("ciscoasa")
            if want is None:
                continue
            packet, _ = api.packet_from_dict({
                "src": rec["src"], "dst": rec["dst"], "proto": rec["proto"], "sport": rec["sport"],
                "dport": rec["dport"], "icmp_type": rec["icmp_type"], "icmp_code": rec["icmp_code"],
                "in_iface": "outside", "out_iface": "inside", "direction": "in",
                # every probe is the first packet of a new flow: the state rule must not decide it
                "state": "NEW",
            })
            t = trace(device, packet, filter_name=rec["filter_by_target"]["ciscoasa"])
            assert not t.steps or t.steps[-1].rule is None or t.steps[-1].rule.index != 0
            got = "accept" if t.verdict == "accept" else "deny"
            verdicts.append({"id": rec["id"], "target": "ciscoasa", "verdict": got})
            if got != want and rec["id"] not in ORACLE_EXCEPTIONS:
                problems.append(f"{rec['id']}: fwlint {got}, oracle {want} ({[s.describe() for s in t.steps]})")
    assert errors == set(ORACLE_ERRORS)
    assert len(verdicts) > 1400
    assert not problems, f"{len(problems)} disagreements:\n" + "\n".join(problems[:20])
    out = tmp_path / "verdicts.jsonl"
    out.write_text("".join(json.dumps(v) + "\n" for v in verdicts))
    res = subprocess.run([sys.executable, str(root / "tools" / "score.py"), "--root", str(root), str(out)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "disagree" not in res.stdout


def test_docs_list_every_diagnostic_code() -> None:
    doc = (ROOT / "docs" / "cisco-asa-support.md").read_text(encoding="utf-8")
    src = "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "linter" / "platforms" / "cisco" / "asa").glob("*.py")))
    used = set(re.findall(r'"(?:note|warning|error)", "([a-z-]+)"', src))
    assert used and all(f"`{c}`" in doc for c in used), sorted(c for c in used if f"`{c}`" not in doc)
    assert os.path.exists(ROOT / "grammars" / "cisco_asa.lark")
