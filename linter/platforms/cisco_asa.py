"""Cisco ASA (and PIX 6.x / FWSM) configurations -> the normalized model.

Layer: platform (parser + converter). Reads `grammars/cisco_asa.lark` (LALR) and produces a
`linter.model.Device`; nothing to the right of the model imports this module.

How a file is read:

1. The bytes are decoded (NUL bytes: not a text file; bytes that are not UTF-8: a warning
   per line) and cut into lines (CRLF endings are read as LF, with a note).
2. ciscoconfparse (syntax "asa") gives the block structure: which lines belong to an
   `interface`, `object`, `object-group`, `class-map`, `policy-map`. Banners are hidden from
   it (an ASA banner is one line; ciscoconfparse would look for an IOS delimiter), and its
   loguru messages are silenced.
3. The lines are read in order, as the CLI executes them: a script's `clear configure
   access-list X` empties X, `access-list X line N` inserts at position N, a second
   `access-group ... in interface IF` replaces the first, a command indented under a block
   it does not belong to is run at the top level (the CLI leaves a sub-mode for a global
   command), a sub-command written without indentation joins the block above it.
4. Each access-list entry (from `permit`/`deny` on) is classified word by word (keywords,
   addresses, and the kind of each object-group it names, which fixes the group's place in
   the entry) and parsed by the LALR grammar.
5. At the end every entry becomes one `model.Rule`: groups are resolved into unions (an
   `AddrCond` with several ranges, an `IntCond` with several ranges, an `AnyCond` for the
   protocol-and-port alternatives of a service group), never into the cross product of
   their members.

Conventions (docs/cisco-asa-support.md has the support table):

- One first-match `Filter` per access-list, default drop, whose rule 0 accepts packets of
  established connections (the ASA is stateful); these filters are not bound.
- For each interface with a `nameif`, a filter `in:<nameif>`: the state rule, the rules of its
  inbound access-group, then the global access-group's, then the implicit deny; without an
  inbound access-group, the global rules, then the security-level implicit permits
  (to lower levels; to equal levels with `same-security-traffic permit inter-interface`,
  back out the same interface with `intra-interface`). It is bound `in` on the nameif.
  Outbound access-groups bind their access-list `out`; the global one is also bound `global`.
- Interfaces are named by their nameif everywhere in the model.
- NAT, inspection and `sysopt connection tcpmss` are `model.Alteration`s.
- Everything not understood or only approximated is a located `Diagnostic`; commands that
  do not concern filtering (routing, AAA, logging, management access, ...) are understood
  as not relevant and counted apart (`relevance`).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterator

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedEOF, UnexpectedToken
from lark.lexer import Lexer

from .. import model as m
from ..names import read_int
from ..limits import MAX_GUESSED_ENTRY_WORDS, MAX_NESTED_GROUP_MEMBERS, MAX_OBJECT_GROUP_DEPTH
from ..ranges import merge, merge3
from ._text import decode_utf8
from .. import names
from .. import parsers
from .detection import cisco_asa as detect  # noqa: F401 - each platform's `detect`

__all__ = ["PLATFORM", "detect", "parse", "relevance"]

PLATFORM = "cisco-asa"

MAX4 = (1 << 32) - 1
MAX6 = (1 << 128) - 1
STATE_COMMENT = "connection table: packets of established connections"
STATE_MATCH = m.Match((m.IntCond(m.STATE, ((1, 2),)),))

# --------------------------------------------------------------------------- vocabulary

# IP protocol names the ASA accepts (None: `ip`, every protocol)
ASA_PROTOCOLS: dict[str, int | None] = {
    "ip": None, "ah": 51, "eigrp": 88, "esp": 50, "gre": 47, "icmp": 1, "icmp6": 58, "igmp": 2,
    "igrp": 9, "ipinip": 4, "ipsec": 50, "nos": 94, "ospf": 89, "pcp": 108, "pim": 103,
    "pptp": 47, "sctp": 132, "snp": 109, "tcp": 6, "udp": 17,
}

# TCP/UDP port names the ASA accepts: name -> (port, protocols it is defined for)
_T, _U, _TU = ("tcp",), ("udp",), ("tcp", "udp")
ASA_PORTS: dict[str, tuple[int, tuple[str, ...]]] = {
    "aol": (5190, _T), "bgp": (179, _T), "biff": (512, _U), "bootpc": (68, _U), "bootps": (67, _U),
    "chargen": (19, _T), "cifs": (3020, _TU), "citrix-ica": (1494, _T), "cmd": (514, _T),
    "ctiqbe": (2748, _T), "daytime": (13, _T), "discard": (9, _TU), "dnsix": (195, _U),
    "domain": (53, _TU), "echo": (7, _TU), "exec": (512, _T), "finger": (79, _T), "ftp": (21, _T),
    "ftp-data": (20, _T), "gopher": (70, _T), "h323": (1720, _T), "hostname": (101, _T),
    "http": (80, _TU), "https": (443, _TU), "ident": (113, _T), "imap4": (143, _T), "irc": (194, _T),
    "isakmp": (500, _U), "kerberos": (750, _TU), "klogin": (543, _T), "kshell": (544, _T),
    "ldap": (389, _T), "ldaps": (636, _T), "login": (513, _T), "lotusnotes": (1352, _T),
    "lpd": (515, _T), "mobile-ip": (434, _U), "nameserver": (42, _U), "netbios-dgm": (138, _U),
    "netbios-ns": (137, _U), "netbios-ssn": (139, _T), "nfs": (2049, _TU), "nntp": (119, _T),
    "ntp": (123, _U), "pcanywhere-data": (5631, _T), "pcanywhere-status": (5632, _U),
    "pim-auto-rp": (496, _TU), "pop2": (109, _T), "pop3": (110, _T), "pptp": (1723, _T),
    "radius": (1645, _U), "radius-acct": (1646, _U), "rip": (520, _U), "rsh": (514, _T),
    "rtsp": (554, _T), "secureid-udp": (5510, _U), "sip": (5060, _TU), "smtp": (25, _T),
    "snmp": (161, _U), "snmptrap": (162, _U), "sqlnet": (1521, _T), "ssh": (22, _T),
    "sunrpc": (111, _TU), "syslog": (514, _U), "tacacs": (49, _TU), "talk": (517, _TU),
    "telnet": (23, _T), "tftp": (69, _U), "time": (37, _U), "uucp": (540, _T), "vxlan": (4789, _U),
    "who": (513, _U), "whois": (43, _T), "www": (80, _TU), "xdmcp": (177, _U),
}

ICMP4_TYPES = {
    "echo-reply": 0, "unreachable": 3, "source-quench": 4, "redirect": 5, "alternate-address": 6,
    "echo": 8, "router-advertisement": 9, "router-solicitation": 10, "time-exceeded": 11,
    "parameter-problem": 12, "timestamp-request": 13, "timestamp-reply": 14,
    "information-request": 15, "information-reply": 16, "mask-request": 17, "mask-reply": 18,
    "traceroute": 30, "conversion-error": 31, "mobile-redirect": 32,
}
ICMP6_TYPES = {
    "unreachable": 1, "packet-too-big": 2, "time-exceeded": 3, "parameter-problem": 4,
    "echo": 128, "echo-reply": 129, "membership-query": 130, "membership-report": 131,
    "membership-reduction": 132, "router-solicitation": 133, "router-advertisement": 134,
    "neighbor-solicitation": 135, "neighbor-advertisement": 136, "neighbor-redirect": 137,
    "router-renumbering": 138,
}

# What `match default-inspection-traffic` selects for each inspection engine:
# (protocol, first port, last port); a port of None: the whole protocol.
INSPECT_DEFAULTS: dict[str, tuple[tuple[int, int | None, int | None], ...]] = {
    "ctiqbe": ((6, 2748, 2748),), "dcerpc": ((6, 135, 135),),
    "diameter": ((6, 3868, 3868), (132, 3868, 3868)), "dns": ((17, 53, 53),),
    "esmtp": ((6, 25, 25),), "smtp": ((6, 25, 25),), "ftp": ((6, 21, 21),),
    "gtp": ((17, 2123, 2123), (17, 3386, 3386)), "h323 h225": ((6, 1720, 1720),),
    "h323 ras": ((17, 1718, 1719),), "http": ((6, 80, 80),), "icmp": ((1, None, None),),
    "icmp error": ((1, None, None),), "ils": ((6, 389, 389),), "ipsec-pass-thru": ((17, 500, 500),),
    "lisp": ((17, 4342, 4342),), "m3ua": ((132, 2905, 2905),),
    "mgcp": ((17, 2427, 2427), (17, 2727, 2727)), "mmp": ((6, 5443, 5443),),
    "netbios": ((17, 137, 138),), "pptp": ((6, 1723, 1723),), "radius-accounting": ((17, 1646, 1646),),
    "rsh": ((6, 514, 514),), "rtsp": ((6, 554, 554),), "sctp": ((132, None, None),),
    "sip": ((6, 5060, 5060), (17, 5060, 5060)), "skinny": ((6, 2000, 2000),),
    "snmp": ((17, 161, 162),), "sqlnet": ((6, 1521, 1521),),
    "stun": ((6, 3478, 3478), (17, 3478, 3478)), "sunrpc": ((6, 111, 111), (17, 111, 111)),
    "tftp": ((17, 69, 69),), "vxlan": ((17, 4789, 4789),), "waas": ((6, 1, 65535),),
    "xdmcp": ((17, 177, 177),),
}
# PIX `fixup protocol NAME PORT`: the transport of each engine
FIXUP_TRANSPORT = {
    "ctiqbe": 6, "dns": 17, "esp-ike": 17, "ftp": 6, "h323 h225": 6, "h323 ras": 17, "http": 6,
    "ils": 6, "mgcp": 17, "pptp": 6, "rsh": 6, "rtsp": 6, "sip": 6, "sip udp": 17, "skinny": 6,
    "smtp": 6, "esmtp": 6, "snmp": 17, "sqlnet": 6, "tftp": 17,
}

_LOG_LEVELS = {"emergencies": 0, "alerts": 1, "critical": 2, "errors": 3, "warnings": 4,
               "notifications": 5, "informational": 6, "debugging": 7}

# Top-level commands that do not concern filtering (understood as "not relevant").
_NOT_RELEVANT = frozenset("""
aaa aaa-server admin-context allocate-interface arp asdm asp auth-prompt banner boot ca call-home
client-update clock command-alias compression config-url console context crashinfo crypto
cryptochecksum ddns dhcp dhcp-client dhcpd dhcprelay dns dns-guard domain-name dynamic-access-policy-record
dynamic-filter eigrp enable end event exit failover file-bandwidth filter firewall flow-export
fragment ftp group-delimiter group-policy hostname hpm http icmp igmp imi_traffic_schema ip-client
ipsec isakmp jumbo-frame kernel key keychain l2tp ldap license logging mac-address mac-learn
management-access monitor-interface mroute mtu multicast-routing nac-policy names nat-control
no-asp ntp object-group-search ospf pager passwd password password-policy pim policy-list
policy-route prefix-list privilege prompt quit rest-api route route-map router scansafe
smtp-server snmp snmp-map snmp-server ssh ssl sla strong-encryption subscriber sysopt
tcp-map telnet terminal tftp-server threat-detection time-range timeout tls-proxy track
tunnel-group tunnel-group-map url-block url-cache url-server user-identity username
vpdn vpn vpn-addr-assign vpn-sessiondb vpnclient wccp webvpn write xlate service service-module
ipv6 ip floodguard mode diagnostic dynamic-map access-list-hitcnt mgmt-access
""".split())

# PIX / ASA commands that concern filtering and are not modelled
_UNSUPPORTED = {
    "conduit": "PIX 6 conduit (inbound permits through static translations) is not modelled",
    "outbound": "PIX outbound lists are not modelled",
    "apply": "PIX outbound lists (apply) are not modelled",
    "established": "PIX `established` (return connections on other ports) is not modelled",
    "shun": "shunned hosts are dropped at run time; not modelled",
    "ips": "traffic diverted to an IPS module is not modelled",
}

_IOS_ONLY = frozenset({"ip access-list", "ip access-group", "mac access-list", "ip inspect", "ip nat",
                       "ip route", "zone security", "zone-pair", "ipv6 traffic-filter", "line vty",
                       "line con"})

_TOP_COMMANDS = frozenset({
    "access-list", "access-group", "object", "object-group", "interface", "nameif", "name", "nat",
    "static", "global", "policy-map", "class-map", "service-policy", "same-security-traffic",
    "clear", "fixup", "no", "ipv6", "ip", "sysopt", "hostname", "asa", "pix", "fwsm",
}) | _NOT_RELEVANT | frozenset(_UNSUPPORTED)

# sub-commands of each block kind (a line of these at the top level, right after such a
# block, belongs to the block: a script typed without indentation)
_SUBCOMMANDS = {
    "object network": {"host", "subnet", "range", "fqdn", "nat", "description"},
    "object service": {"service", "description"},
    "object-group network": {"network-object", "group-object", "description"},
    "object-group service": {"port-object", "service-object", "group-object", "description"},
    "object-group protocol": {"protocol-object", "group-object", "description"},
    "object-group icmp-type": {"icmp-object", "group-object", "description"},
    "object-group user": {"user", "user-group", "group-object", "description"},
    "object-group security": {"security-group", "group-object", "description"},
    "interface": {"nameif", "security-level", "speed", "duplex", "shutdown", "description", "vlan",
                  "member-interface", "management-only", "ospf", "pppoe", "mac-address"},
    "class-map": {"match", "description"},
    "policy-map": {"class", "description", "parameters"},
    "policy-map-inspect": {"parameters", "match", "class", "description"},
}

# --------------------------------------------------------------------------- lines


@dataclass
class _Line:
    no: int  # 1-based
    text: str
    indent: int
    children: list["_Line"] = field(default_factory=list)
    _words: list[str] | None = None
    _cols: list[int] | None = None

    def _split(self) -> None:
        words, cols = [], []
        for mo in re.finditer(r"\S+", self.text):
            words.append(mo.group())
            cols.append(mo.start() + 1)
        self._words, self._cols = words, cols

    @property
    def words(self) -> list[str]:
        if self._words is None:
            self._split()
        return self._words  # type: ignore[return-value]

    @property
    def cols(self) -> list[int]:
        if self._cols is None:
            self._split()
        return self._cols  # type: ignore[return-value]

    def col(self, i: int) -> int:
        cs = self.cols
        if not cs:
            return 1
        return cs[i] if 0 <= i < len(cs) else cs[-1]

    def head(self, n: int = 1) -> str:
        return " ".join(w.lower() for w in self.words[:n])

    def rest(self, i: int) -> str:
        """The text from word i on, as written."""
        if i >= len(self.words):
            return ""
        return self.text[self.cols[i] - 1:].rstrip()

    def strip_comment(self) -> None:
        """Drop an inline `! comment` (a word starting with '!' after the first)."""
        ws = self.words
        for i in range(1, len(ws)):
            if ws[i].startswith("!"):
                self._words = ws[:i]
                self._cols = self.cols[:i]
                return


def _is_sub(kind: str, w: list[str]) -> bool:
    """Whether a line is a sub-command of a block of this kind (the CLI stays in the block's
    mode for it; anything else leaves the mode)."""
    k = w[0].lower()
    if k not in _SUBCOMMANDS.get(kind, ()):
        return False
    second = w[1].lower() if len(w) > 1 else ""
    if k == "nat":
        return second.startswith("(") or second in ("static", "dynamic")
    if k == "service":
        return second in ASA_PROTOCOLS or second == "tcp-udp" or second.isdigit()
    if k == "nameif":
        return len(w) == 2
    return True


def _is_comment(text: str) -> bool:
    s = text.strip()
    return not s or s.startswith("!") or s.startswith(":") or s.startswith("#")


_BANNER_RE = re.compile(r"^\s*(?:banner\s|aaa authentication fail-message)", re.I)

# What `show running-config`, `more system:running-config` and `write memory` print around
# the configuration and the ASA does not take as a command: the checksum of the saved
# configuration (`Cryptochecksum:3ab4...`, `Cryptochecksum (unchanged): 1a2b 3c4d ...`),
# `Building configuration...`, `N bytes copied in T secs (...)`, `[OK]`. (`: Saved`,
# `: Written by ...`, `: end` and the other `:` lines are comments; `end` is a command.)
_SHOW_OUTPUT_RE = re.compile(
    r"^\s*(?:Cryptochecksum(?:\s*\(\w+\))?\s*:\s*[0-9a-f][0-9a-f ]*"
    r"|Building configuration\.*"
    r"|\d+ bytes copied in [\d.]+ secs(?: \(\d+ bytes/sec\))?"
    r"|\[OK\])\s*$", re.I)


def _descendants(node: _Line) -> Iterator[_Line]:
    """The lines under a line, at any depth, in file order, without comments (a stack: the
    indentation can nest thousands deep)."""
    stack = list(reversed(node.children))
    while stack:
        c = stack.pop()
        stack.extend(reversed(c.children))
        if not _is_comment(c.text):
            yield c


def _blocks(lines: list[str]) -> list[_Line]:
    """The top-level lines with their children, by ciscoconfparse (syntax "asa")."""
    sanitized = []
    for t in lines:
        if _BANNER_RE.match(t):
            t = "x-banner-line"  # one ASA line; hidden from the IOS banner heuristics
        elif "\t" in t:
            t = t.expandtabs(1)
        sanitized.append(t)
    try:
        from loguru import logger

        logger.disable("ciscoconfparse")
        from ciscoconfparse import CiscoConfParse

        logger.disable("ciscoconfparse")
        parsed = CiscoConfParse(sanitized, syntax="asa", ignore_blank_lines=False, factory=False)
        objs = list(parsed.objs)
        if len(objs) != len(lines):
            raise ValueError("ciscoconfparse changed the number of lines")
        nodes = [_Line(i + 1, lines[i], objs[i].indent) for i in range(len(lines))]
        roots = []
        for o in objs:
            node = nodes[o.linenum]
            parent = o.parent
            if parent is None or parent is o:
                roots.append(node)
            else:
                nodes[parent.linenum].children.append(node)
        return roots
    except Exception:  # pragma: no cover - fall back to indentation
        return _blocks_by_indent(lines)


def _blocks_by_indent(lines: list[str]) -> list[_Line]:
    roots: list[_Line] = []
    stack: list[_Line] = []
    for i, t in enumerate(lines):
        ind = len(t) - len(t.lstrip(" \t"))
        node = _Line(i + 1, t, ind)
        if _is_comment(t):
            (stack[-1].children if stack and ind > 0 else roots).append(node)
            continue
        while stack and stack[-1].indent >= ind:
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


# --------------------------------------------------------------------------- the entry lexer and grammar

_KW = {
    "permit": "PERMIT", "deny": "DENY", "any": "ANY", "any4": "ANY4", "any6": "ANY6", "host": "HOST",
    "object": "OBJECT", "object-group": "OBJECT_GROUP", "interface": "INTERFACE", "eq": "EQ",
    "neq": "NEQ", "lt": "LT", "gt": "GT", "range": "RANGE", "log": "LOG", "interval": "INTERVAL",
    "time-range": "TIME_RANGE", "inactive": "INACTIVE", "user": "USER", "user-group": "USER_GROUP",
    "object-group-user": "OBJECT_GROUP_USER", "security-group": "SECURITY_GROUP",
    "object-group-security": "OBJECT_GROUP_SECURITY",
}
_NAME_AFTER = frozenset({"OBJECT", "INTERFACE", "TIME_RANGE", "USER", "USER_GROUP", "OBJECT_GROUP_USER",
                         "OBJECT_GROUP_SECURITY", "NAME"})
_PORT_OPS = {"EQ": 1, "NEQ": 1, "LT": 1, "GT": 1, "RANGE": 2}
_IPV4_RE = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\Z")
_GROUP_TOKEN = {"network": "G_NET", "port": "G_PORT", "service": "G_SVC", "protocol": "G_PROTO",
                "icmp-type": "G_ICMP", "user": "G_USER", "security": "G_SEC"}
_TERMINAL_TEXT = {
    "PERMIT": "permit", "DENY": "deny", "WORD": "a word", "NUMBER": "a number", "IPV4": "an IPv4 address",
    "IPV6": "an IPv6 address", "IPV6PFX": "an IPv6 prefix", "ANY": "any", "ANY4": "any4", "ANY6": "any6",
    "HOST": "host", "OBJECT": "object", "OBJECT_GROUP": "object-group", "INTERFACE": "interface",
    "EQ": "eq", "NEQ": "neq", "LT": "lt", "GT": "gt", "RANGE": "range", "LOG": "log",
    "TIME_RANGE": "time-range", "INACTIVE": "inactive", "G_NET": "a network object-group",
    "G_PORT": "a port object-group", "G_ICMP": "an icmp-type object-group",
}


@dataclass
class _Tok:
    type: str
    value: str
    col: int


def _addr_kind(w: str) -> str:
    if _IPV4_RE.match(w):
        return "IPV4"
    if ":" in w:
        try:
            if "/" in w:
                ipaddress.IPv6Network(w, strict=False)
                return "IPV6PFX"
            ipaddress.IPv6Address(w)
            return "IPV6"
        except ValueError:
            return "WORD"
    return "WORD"


def _classify(words: list[str], cols: list[int], group_token: Callable[[str], str | None],
              guess: dict[str, str]) -> list[_Tok]:
    out: list[_Tok] = []
    prev = ""
    pending = 0
    for w, c in zip(words, cols):
        lw = w.lower()
        if pending:
            t = "NUMBER" if w.isdigit() else "WORD"
            pending -= 1
        elif prev == "OBJECT_GROUP":
            t = group_token(w) or guess.get(w, "G_NET")
        elif prev in _NAME_AFTER:
            t = "WORD"
        elif prev == "HOST":
            t = _addr_kind(w)
        elif prev == "SECURITY_GROUP":
            t = {"name": "NAME", "tag": "TAG"}.get(lw, "WORD")
        elif prev == "TAG":
            t = "NUMBER" if w.isdigit() else "WORD"
        elif prev == "LOG" and (lw in ("disable", "default") or lw in _LOG_LEVELS or w.isdigit()):
            t = "DISABLE" if lw == "disable" else "DEFAULT" if lw == "default" else "LEVEL"
        elif prev == "INTERVAL":
            t = "NUMBER" if w.isdigit() else "WORD"
        elif lw in _KW:
            t = _KW[lw]
        elif w.isdigit():
            t = "NUMBER"
        else:
            t = _addr_kind(w)
        if t in _PORT_OPS:
            pending = _PORT_OPS[t]
        out.append(_Tok(t, w, c))
        prev = t
    return out


class _TokLexer(Lexer):
    """Feeds the parser the entry's classified words."""

    def __init__(self, lexer_conf) -> None:  # noqa: D401 - lark interface
        pass

    def lex(self, data) -> Iterator[Token]:  # type: ignore[override]
        for i, t in enumerate(data):
            yield Token(t.type, t.value, start_pos=i, line=1, column=t.col)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return parsers.lalr("cisco_asa.lark", lexer=_TokLexer, start=["extended", "standard"])


# --------------------------------------------------------------------------- intermediate form


class _Drop(Exception):
    """An entry or member that cannot be modelled (the ASA would reject it, or it names
    something undefined): reported and left out."""

    def __init__(self, col: int, severity: str, code: str, message: str, construct: str = "") -> None:
        super().__init__(message)
        self.col = col
        self.severity = severity
        self.code = code
        self.message = message
        self.construct = construct


@dataclass
class _NetObj:
    name: str
    origin: m.Origin
    value: tuple | None = None  # ("ranges", ranges, text) | ("fqdn", name, text)
    value_origin: m.Origin | None = None
    used: bool = False


@dataclass
class _SvcObj:
    name: str
    origin: m.Origin
    line: _Line | None = None  # its `service ...` line
    used: bool = False


@dataclass
class _Group:
    name: str
    kind: str  # network port service protocol icmp-type user security
    proto: str | None  # port groups: tcp udp tcp-udp
    origin: m.Origin
    members: list[_Line] = field(default_factory=list)
    used: bool = False


def _is_group_object(c: _Line) -> bool:
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

    group: _Group
    via: _Line | None = None  # the group-object line that led here
    index: int = 0
    parts: list = field(default_factory=list)
    height: int = 0
    refused: _Refused | None = None

    def next_member(self) -> _Line | None:
        if self.index >= len(self.group.members):
            return None
        self.index += 1
        return self.group.members[self.index - 1]


@dataclass(frozen=True)
class _GroupReader:
    """How the members of one kind of object-group read and combine."""

    key: tuple  # memo key prefix: ("net",), ("icmp", v6), ...
    member: Callable[[_Group, _Line], object]  # a member other than group-object; raises _Drop
    check_nested: Callable[[_Group, _Line], None]  # a `group-object NAME` line; raises _Drop
    combine: Callable[[_Group, list], object]  # the parts (members and nested groups) -> the value
    size: Callable[[object], int] = len  # the members in a value


@dataclass
class _Entry:
    line: _Line
    kind: str  # ace | remark
    start: int  # index of the first word of the entry proper (permit / deny / remark text)
    typ: str  # extended | standard | ipv6
    show: bool = False  # a line of `show access-list` output
    expansions: list[_Line] = field(default_factory=list)


@dataclass
class _Acl:
    name: str
    origin: m.Origin
    entries: list[_Entry] = field(default_factory=list)
    kind: str = "extended"
    used: bool = False


@dataclass
class _Iface:
    hw: str
    origin: m.Origin
    nameif: str | None = None
    nameif_origin: m.Origin | None = None
    level: int | None = None
    level_origin: m.Origin | None = None
    addresses: list[str] = field(default_factory=list)
    mgmt_only: bool = False


@dataclass
class _AccessGroup:
    acl: str
    hook: str  # in out global
    iface: str | None
    origin: m.Origin
    v6: bool = False


@dataclass
class _Proto:
    kind: str  # any | protos | service
    protos: tuple[int, ...] = ()
    alts: list[tuple] = field(default_factory=list)
    text: str = ""




def _zone_id_drop(word: str, col: int) -> _Drop | None:
    """An IPv6 address written with a zone (scope) id, `fe80::1%outside`: Python's ipaddress
    would read it and drop the zone silently; the ASA's syntax has no zone id."""
    if ":" not in word or "%" not in word:
        return None
    zone = word.split("%", 1)[1].split("/", 1)[0]
    return _Drop(col, "error", "invalid", f"{word} is an IPv6 address with a zone id (`%{zone}`): the ASA takes no "
                 f"zone id here (it refuses the command); not analysed", "ipv6 zone id")


def _proto_cond(protos) -> m.IntCond:
    return m.IntCond(m.PROTO, merge((p, p) for p in protos))


def _mask_bits(mask: str) -> int | None:
    """A contiguous IPv4 netmask -> its prefix length; None if it is not one."""
    try:
        v = read_int(ipaddress.IPv4Address(mask))
    except ValueError:
        return None
    inv = ~v & MAX4
    if inv & (inv + 1):
        return None
    return 32 - inv.bit_length()


def _wildcard_like(mask: str) -> bool:
    try:
        v = read_int(ipaddress.IPv4Address(mask))
    except ValueError:
        return False
    return v != 0 and (v & (v + 1)) == 0


def _merge_alternatives(alts: list[tuple]) -> list[tuple]:
    """Alternatives (conjunctions) that differ only in the ranges of one field are merged into
    one, the merged condition in its place (a service group of 40 `tcp destination eq P` is one
    alternative; `show access-list` expansions that differ by source are one)."""
    if any(len(a) == 0 for a in alts):
        return [()]
    alts = list(dict.fromkeys(alts))
    for fieldname in (m.DPORT, m.SPORT, m.ICMP, m.SRC, m.DST, m.PROTO):
        groups: dict[tuple, list] = {}
        rest_alts: list[tuple] = []
        for a in alts:
            hit = [k for k, c in enumerate(a) if isinstance(c, (m.IntCond, m.AddrCond)) and c.field == fieldname
                   and not c.negated]
            if len(hit) != 1:
                rest_alts.append(a)
                continue
            k = hit[0]
            groups.setdefault((k, a[:k], a[k + 1:], type(a[k])), []).append(a)
        merged = []
        for (k, before, after, kind), members in groups.items():
            if len(members) == 1:
                merged.append(members[0])
                continue
            if kind is m.IntCond:
                cond = m.IntCond(fieldname, merge(r for a in members for r in a[k].ranges))
            else:
                cond = m.AddrCond(fieldname, merge3(r for a in members for r in a[k].ranges))
            merged.append(before + (cond,) + after)
        alts = merged + rest_alts
    return alts


def _alts_conds(alts: list[tuple]) -> tuple:
    """Alternatives as the conditions of one match: inline when there is one."""
    if not alts:
        return (m.AnyCond(()),)  # nothing: matches no packet
    if len(alts) == 1:
        return tuple(alts[0])
    return (m.AnyCond(tuple(m.Match(tuple(a)) for a in alts)),)


# --------------------------------------------------------------------------- converter: reading commands


class _Conv:
    def __init__(self, path: str) -> None:
        self.path = path
        self.lines: list[str] = []
        self.diags: list[m.Diagnostic] = []
        self.bad: set[int] = set()
        self.cat: dict[int, str] = {}  # line -> relevant | other | unknown (blank lines absent)
        self.hostname: str | None = None
        self.names: dict[str, tuple[int, int, m.Origin]] = {}
        self.name_used: set[str] = set()
        self.net_objs: dict[str, _NetObj] = {}
        self.svc_objs: dict[str, _SvcObj] = {}
        self.groups: dict[str, _Group] = {}
        self.acls: dict[str, _Acl] = {}
        self.acl_order: list[str] = []
        self.ifaces: list[_Iface] = []
        self.ifaces_by_hw: dict[str, _Iface] = {}
        self.pending_ip: list[tuple[str, str, _Line]] = []  # PIX `ip address NAMEIF A M`
        self.access_groups: list[_AccessGroup] = []
        self.same_inter: m.Origin | None = None
        self.same_intra: m.Origin | None = None
        self.nats: list[tuple[str, _Line, str | None]] = []  # (form, line, object name)
        self.globals_: list[tuple[str, str, str, _Line]] = []  # PIX global: (id, iface, pool, line)
        self.class_maps: dict[str, list[_Line]] = {}
        self.class_map_origin: dict[str, m.Origin] = {}
        self.policy_maps: dict[str, list[tuple[str, _Line, list[_Line]]]] = {}
        self.policy_map_origin: dict[str, m.Origin] = {}
        self.service_policies: list[tuple[str, str | None, _Line]] = []
        self.fixups: list[_Line] = []
        self.mss: list[_Line] = []
        self.time_ranges: dict[str, m.Origin] = {}
        self.time_range_used: set[str] = set()
        self.other_words: set[str] = set()
        self.last_block: tuple[str, Callable[[_Line], None]] | None = None
        self.show_output = False
        self.any_is_ipv4 = False  # `any` before ASA 9.0 (and on PIX, FWSM)
        self.routes: list[m.Route] = []
        self._memo: dict[tuple, object] = {}
        self._resolved: dict[tuple, _Resolved | _Refused] = {}  # object-groups, by reader key and name
        self._limit_reported: set[int] = set()  # lines with a nesting-limit or expansion-limit diagnostic
        self._nested_members = 0  # members object-groups took from the groups they nest (MAX_NESTED_GROUP_MEMBERS)
        self._group_readers: dict[str, _GroupReader] | None = None
        self.acl_rules: dict[str, list[m.Rule]] = {}

    # -- diagnostics and bookkeeping

    def origin(self, line: _Line, col: int = 0) -> m.Origin:
        return m.Origin(self.path, line.no, col or (line.indent + 1), line.text)

    def diag(self, line: _Line | int, col: int, severity: str, code: str, message: str,
             construct: str = "", understood: bool | None = None) -> None:
        no = line.no if isinstance(line, _Line) else line
        text = self.lines[no - 1] if 1 <= no <= len(self.lines) else ""
        self.diags.append(m.Diagnostic(m.Origin(self.path, no, max(col, 1), text), severity, code, message,
                                       construct))  # type: ignore[arg-type]
        if understood is None:
            understood = severity == "note"
        if not understood:
            self.bad.add(no)

    def drop(self, line: _Line, d: _Drop) -> None:
        self.diag(line, d.col, d.severity, d.code, d.message, d.construct)

    def rel(self, line: _Line) -> None:
        self.cat[line.no] = "relevant"

    def other(self, line: _Line, collect: bool = True) -> None:
        """A command that does not concern filtering, with its block (walked with a stack:
        indentation can nest thousands deep)."""
        self.cat[line.no] = "other"
        if collect:
            self.other_words.update(line.words)
        for node in _descendants(line):
            self.cat[node.no] = "other"
            if collect:
                self.other_words.update(node.words)

    def unknown(self, line: _Line, message: str, code: str = "unknown-command", construct: str = "") -> None:
        self.cat[line.no] = "unknown"
        self.diag(line, line.indent + 1, "warning", code, message, construct)
        self._not_read(line, "unknown")

    def _not_read(self, line: _Line, cat: str) -> None:
        """The block of a command that is not read: its lines are not understood."""
        for node in _descendants(line):
            self.cat[node.no] = cat
            self.bad.add(node.no)

    # -- the walk

    def run(self, text: str) -> None:
        raw = text.split("\n")
        if raw and raw[-1] == "":
            raw.pop()
        crlf = [i for i, t in enumerate(raw) if t.endswith("\r")]
        self.lines = [t[:-1] if t.endswith("\r") else t for t in raw]
        if crlf:
            self.diag(crlf[0] + 1, 1, "note", "line-endings",
                      f"CRLF (Windows) line endings on {len(crlf)} of {len(raw)} lines: read as LF", "file")
        for node in _blocks(self.lines):
            self._walk(node)

    def _walk(self, node: _Line) -> None:
        """Run a top-level command. A block yields the lines indented under it that the CLI
        runs as global commands; each runs (with its own block) before the rest of the block,
        as in the file. An explicit stack of these steps, not recursion: indentation can nest
        thousands deep."""
        stack = [self.top(node)]
        while stack:
            nested = next(stack[-1], None)
            if nested is None:
                stack.pop()
            else:
                stack.append(self.top(nested))

    def top(self, node: _Line) -> Iterator[_Line]:
        """Run one command; yields the lines under it to run as global commands (`_walk`)."""
        if _is_comment(node.text):
            yield from node.children
            return
        if _SHOW_OUTPUT_RE.match(node.text):
            self.other(node, collect=False)  # printed around the configuration: no command
            return
        w = node.words
        k = w[0].lower()
        if self.last_block is not None:
            kind, handler = self.last_block
            if _is_sub(kind, w):
                handler(node)  # a sub-command of the block above, typed without indentation
                return
        self.last_block = None
        if k in ("access-list", "access-group", "object", "object-group", "interface", "nameif", "name", "nat",
                 "static", "global", "policy-map", "class-map", "service-policy", "same-security-traffic",
                 "clear", "fixup", "no", "ip", "ipv6", "sysopt", "hostname", "names", "time-range"):
            steps = getattr(self, "cmd_" + k.replace("-", "_"))(node)
            if steps is not None:  # a command with a block: a generator of its global lines
                yield from steps
        elif k in _UNSUPPORTED:
            self.rel(node)
            self.diag(node, node.indent + 1, "warning", "unsupported", _UNSUPPORTED[k], k)
            self._not_read(node, "relevant")
        elif k in ("asa", "pix", "fwsm") and node.head(2).endswith(" version") and len(w) > 2:
            self.other(node, collect=False)
            mo = re.match(r"(\d+)", w[2])
            # before ASA 9.0, IPv4 and IPv6 access lists are separate: `any` is IPv4
            self.any_is_ipv4 = k != "asa" or (mo is not None and read_int(mo.group(1)) < 9)
        elif k == "route":
            self.other(node)
            self._route(w, node)
        elif k in _NOT_RELEVANT or k in ("asa", "pix", "fwsm"):
            self.other(node)
        elif node.head(2) in _IOS_ONLY or node.head(3) in _IOS_ONLY:
            self.unknown(node, f"`{node.head(3)}` is an IOS command, not an ASA one: ignored", "ios-command")
        else:
            self.unknown(node, f"unknown command `{w[0]}`: not read")

    def children(self, node: _Line, handler: Callable[[_Line], None], kind: str,
                 handler_reads_children: bool = False) -> Iterator[_Line]:
        """Run a block's sub-commands; a global command indented under it is yielded, to run at
        the top level (`_walk`) before the next sub-command. A line indented under a sub-command
        is read next in the same mode (the CLI ignores indentation), unless the handler reads a
        sub-command's own lines (a policy-map's class)."""
        stack = list(reversed(node.children))
        while stack:
            c = stack.pop()
            if _is_comment(c.text):
                stack.extend(reversed(c.children))  # lines under a comment: still in the block
                continue
            k = c.words[0].lower()
            if not _is_sub(kind, c.words) and k in _TOP_COMMANDS and k not in ("no", "ip", "ipv6"):
                yield c  # a global command indented under the block: the CLI runs it globally
                continue
            handler(c)
            if not handler_reads_children:
                stack.extend(reversed(c.children))
        self.last_block = (kind, handler)

    # -- simple commands

    def cmd_hostname(self, node: _Line) -> None:
        self.other(node, collect=False)
        if len(node.words) > 1:
            self.hostname = node.words[1]

    def cmd_names(self, node: _Line) -> None:
        self.rel(node)

    def cmd_time_range(self, node: _Line) -> None:
        self.rel(node)
        if len(node.words) > 1:
            self.time_ranges[node.words[1]] = self.origin(node)
        for c in node.children:
            if not _is_comment(c.text):
                self.rel(c)

    def cmd_name(self, node: _Line) -> None:
        """PIX/ASA `name ADDRESS NAME [description TEXT]`."""
        self.rel(node)
        w = node.words
        if len(w) < 3:
            self.diag(node, node.col(len(w) - 1), "error", "syntax", "name: expected an address and a name", "name")
            return
        zoned = _zone_id_drop(w[1], node.col(1))
        if zoned is not None:
            self.drop(node, zoned)
            return
        try:
            a = ipaddress.ip_address(w[1])
        except ValueError:
            self.diag(node, node.col(1), "error", "invalid", f"name: {w[1]!r} is not an IP address", "name")
            return
        if w[2] in self.names and self.names[w[2]][:2] != (a.version, read_int(a)):
            prev = self.names[w[2]][2]
            self.diag(node, node.col(2), "warning", "redefined",
                      f"name {w[2]} was {self._show_addr(self.names[w[2]][0], self.names[w[2]][1])} "
                      f"(line {prev.line}); this line replaces it", "name")
        self.names[w[2]] = (a.version, read_int(a), self.origin(node))

    @staticmethod
    def _show_addr(fam: int, v: int) -> str:
        return str(ipaddress.IPv4Address(v) if fam == 4 else ipaddress.IPv6Address(v))

    def cmd_same_security_traffic(self, node: _Line) -> None:
        self.rel(node)
        w = [x.lower() for x in node.words]
        if w[1:3] == ["permit", "inter-interface"]:
            self.same_inter = self.origin(node)
        elif w[1:3] == ["permit", "intra-interface"]:
            self.same_intra = self.origin(node)
        else:
            self.diag(node, node.col(1), "error", "syntax",
                      "same-security-traffic: expected `permit inter-interface` or `permit intra-interface`",
                      "same-security-traffic")

    def cmd_sysopt(self, node: _Line) -> None:
        if node.head(3) == "sysopt connection tcpmss":
            self.rel(node)
            w = node.words
            if len(w) >= 4 and (w[3].isdigit() or (w[3].lower() == "minimum" and len(w) >= 5 and w[4].isdigit())):
                self.mss.append(node)
            else:
                self.diag(node, node.col(3), "error", "syntax", "sysopt connection tcpmss: expected a size", "sysopt")
        elif node.head(3) == "sysopt connection permit-vpn":
            self.rel(node)
            self.diag(node, node.indent + 1, "note", "approximate",
                      "sysopt connection permit-vpn: traffic from VPN tunnels bypasses the interface access "
                      "lists; fwlint does not model tunnels", "sysopt")
        else:
            self.other(node)

    def cmd_ip(self, node: _Line) -> None:
        h = node.head(2)
        w = node.words
        if h == "ip address" and len(w) >= 4 and not _IPV4_RE.match(w[2]):
            # PIX 6: ip address NAMEIF ADDRESS MASK
            self.rel(node)
            self.pending_ip.append((w[2], " ".join(w[3:5]), node))
        elif h == "ip verify":
            self.rel(node)
            self.diag(node, node.indent + 1, "warning", "unsupported",
                      "ip verify reverse-path (unicast RPF, drops spoofed sources) is not modelled", "ip verify")
        elif h in _IOS_ONLY:
            self.unknown(node, f"`{h}` is an IOS command, not an ASA one: ignored", "ios-command")
        else:
            self.other(node)

    def cmd_ipv6(self, node: _Line) -> Iterator[_Line]:
        w = node.words
        if node.head(2) == "ipv6 access-list" and len(w) >= 4:
            yield from self.cmd_access_list(node, 2, "ipv6")
        elif node.head(2) == "ipv6 route":
            self.other(node)
            self._route(w[1:], node)
        elif node.head(2) in ("ipv6 access-list", "ipv6 traffic-filter"):
            self.unknown(node, f"`{node.head(2)}` in this form is an IOS command, not an ASA one: ignored",
                         "ios-command")
        else:
            self.other(node)

    def _route(self, w: list[str], node: _Line) -> None:
        """`route IF NETWORK MASK GATEWAY [METRIC] ...` (PIX: `0 0` for 0.0.0.0 0.0.0.0),
        `ipv6 route IF PREFIX GATEWAY ...`: a static route of the model (not filtering)."""
        try:
            if len(w) >= 4 and "/" in w[2]:
                prefix = str(ipaddress.IPv6Network(w[2], strict=False))
                hop = str(ipaddress.ip_address(w[3]))
            elif len(w) >= 5:
                a, mask = ("0.0.0.0" if w[2] == "0" else w[2]), ("0.0.0.0" if w[3] == "0" else w[3])
                bits = _mask_bits(mask)
                if bits is None:
                    return
                prefix = str(ipaddress.IPv4Network(f"{a}/{bits}", strict=False))
                hop = str(ipaddress.ip_address(w[4]))
            else:
                return
        except ValueError:
            return
        self.routes.append(m.Route(prefix, w[1], None if hop in ("0.0.0.0", "::") else hop, self.origin(node)))

    def cmd_clear(self, node: _Line) -> None:
        """`clear configure X [NAME]` in a CLI script: empties what is configured so far."""
        w = [x.lower() for x in node.words]
        if len(w) < 3 or w[1] not in ("configure", "config", "conf"):
            self.other(node)
            return
        what = w[2]
        arg = node.words[3] if len(node.words) > 3 else None
        if what == "access-list":
            self.rel(node)
            gone = [arg] if arg else list(self.acls)
            for name in gone:
                if name in self.acls:
                    del self.acls[name]
                self.access_groups = [g for g in self.access_groups if g.acl != name]
        elif what == "access-group":
            self.rel(node)
            self.access_groups = []
        elif what == "object-group":
            self.rel(node)
            kinds = {"network", "service", "protocol", "icmp-type", "user", "security"}
            a = arg.lower() if arg else None
            for name, g in list(self.groups.items()):
                kind = "service" if g.kind == "port" else g.kind
                if a is None or (a in kinds and kind == a) or name == arg:
                    del self.groups[name]
        elif what == "object":
            self.rel(node)
            if arg is None or arg.lower() == "network":
                self.net_objs.clear()
            if arg is None or arg.lower() == "service":
                self.svc_objs.clear()
            self.nats = [n for n in self.nats if n[0] != "object"]
        elif what in ("nat", "static", "global"):
            self.rel(node)
            if what == "global":
                self.globals_ = []
            else:
                keep = {"nat": ("static",), "static": ("twice", "object", "legacy")}[what]
                self.nats = [n for n in self.nats if n[0] in keep]
        elif what in ("policy-map", "class-map", "service-policy"):
            self.rel(node)
            {"policy-map": self.policy_maps, "class-map": self.class_maps}.get(what, {}).clear()
            if what == "service-policy":
                self.service_policies = []
        elif what in ("name", "names"):
            self.rel(node)
            self.names.clear()
        elif what == "fixup":
            self.rel(node)
            self.fixups = []
        else:
            self.other(node)

    def cmd_fixup(self, node: _Line) -> None:
        self.rel(node)
        if len(node.words) < 3 or node.words[1].lower() != "protocol":
            self.diag(node, node.col(1), "error", "syntax", "fixup: expected `fixup protocol NAME [PORT]`", "fixup")
            return
        self.fixups.append(node)

    def cmd_no(self, node: _Line) -> None:
        w = node.words
        if len(w) < 2:
            self.unknown(node, "`no` without a command")
            return
        k = w[1].lower()
        h = " ".join(x.lower() for x in w[1:4])
        if k == "access-list" and len(w) >= 3:
            self.rel(node)
            name = w[2]
            acl = self.acls.get(name)
            if acl is None:
                self.diag(node, node.col(2), "error", "undefined-reference",
                          f"no access-list: access-list {name} is not defined", "access-list")
            elif len(w) == 3:
                del self.acls[name]
            else:
                body = [x.lower() for x in w[3:]]
                if body[:1] == ["line"] and len(body) > 1:
                    body = body[2:]
                if body[:1] in (["extended"], ["standard"]):
                    body = body[1:]
                for e in acl.entries:
                    eb = [x.lower() for x in e.line.words[e.start:]]
                    if e.kind == "remark":
                        eb = ["remark"] + eb
                    if eb == body:
                        acl.entries.remove(e)
                        break
                else:
                    self.diag(node, node.col(3), "warning", "unsupported",
                              f"no access-list: no entry of {name} reads like this one; nothing removed",
                              "access-list")
        elif k == "access-group":
            self.rel(node)
            rest = [x.lower() for x in w[2:]]
            before = len(self.access_groups)
            self.access_groups = [g for g in self.access_groups
                                  if not (g.acl == (w[2] if len(w) > 2 else "") and
                                          (g.hook == "global" and rest[1:2] == ["global"] or
                                           g.hook in rest[1:2] and g.iface == (w[-1] if len(w) > 4 else None)))]
            if len(self.access_groups) == before:
                self.diag(node, node.col(1), "warning", "unsupported", "no access-group: no such access-group",
                          "access-group")
        elif k in ("object", "object-group") and len(w) >= 4:
            self.rel(node)
            (self.groups if k == "object-group" else
             self.net_objs if w[2].lower() == "network" else self.svc_objs).pop(w[3], None)
        elif k == "fixup" and len(w) >= 4:
            self.rel(node)
            proto = w[3].lower()
            self.fixups = [f for f in self.fixups if f.words[2].lower() != proto]
        elif h.startswith("sysopt connection tcpmss"):
            self.rel(node)
            self.mss = []
        elif k == "same-security-traffic":
            self.rel(node)
            if "inter-interface" in h:
                self.same_inter = None
            if "intra-interface" in h:
                self.same_intra = None
        elif k == "service-policy" and len(w) >= 3:
            self.rel(node)
            self.service_policies = [s for s in self.service_policies if s[0] != w[2]]
        elif k == "name" and len(w) >= 4:
            self.rel(node)
            self.names.pop(w[3], None)
        elif k in ("nat", "static", "global"):
            self.rel(node)
            self.diag(node, node.indent + 1, "warning", "unsupported",
                      f"no {k}: removing a translation is not modelled; the translation stays", k)
        elif k in _NOT_RELEVANT or k in ("names", "ip", "ipv6", "service", "sysopt", "established", "conduit"):
            self.other(node)
        else:
            self.unknown(node, f"unknown command `no {w[1]}`: not read")

    # -- access lists

    def cmd_access_list(self, node: _Line, i: int = 1, typ_default: str = "") -> Iterator[_Line]:
        w = node.words
        if len(w) <= i:
            self.rel(node)
            self.diag(node, node.col(len(w) - 1), "error", "syntax", "access-list: a name is missing", "access-list")
            return
        name = w[i]
        low = name.lower()
        if not typ_default and (low in ("alert-interval", "deny-flow-max", "compiled", "mode", "commit", "cached",
                                        "object-group-search", "log-update")):
            self.other(node)
            return
        if name.endswith(";") and re.match(r"\s*access-list\s+\S+;\s+\d+\s+elements", node.text):
            self.rel(node)  # `show access-list` header of NAME
            self.show_output = True
            return
        j = i + 1
        pos = None
        if j + 1 < len(w) and w[j].lower() == "line" and w[j + 1].isdigit():
            pos = read_int(w[j + 1])
            j += 2
        show = "(hitcnt=" in node.text
        if show:
            self.show_output = True
        kw = w[j].lower() if j < len(w) else ""
        self.rel(node)
        if kw == "remark":
            typ, start, kind = "", j + 1, "remark"
        elif kw in ("extended", "standard") and not typ_default:
            typ, start, kind = kw, j + 1, "ace"
        elif kw in ("permit", "deny"):
            typ, start, kind = (typ_default or "extended"), j, "ace"
        elif kw in ("webtype", "ethertype", "advanced"):
            self.diag(node, node.col(j), "warning", "unsupported",
                      f"{kw} access-lists are not modelled: entry ignored", f"access-list {kw}")
            return
        elif kw == "rename" and j + 1 < len(w):
            new = w[j + 1]
            if name in self.acls:
                acl = self.acls.pop(name)
                acl.name = new
                self.acls[new] = acl
                self.acl_order.append(new)
                for g in self.access_groups:
                    if g.acl == name:
                        g.acl = new
            else:
                self.diag(node, node.col(i), "error", "undefined-reference",
                          f"access-list {name} is not defined: nothing to rename", "access-list")
            return
        elif not kw:
            self.diag(node, node.col(len(w) - 1), "error", "syntax",
                      f"access-list {name}: the entry is missing", "access-list")
            return
        else:
            self.diag(node, node.col(j), "error", "syntax",
                      f"access-list {name}: expected extended, standard, remark, permit or deny, not {w[j]!r}",
                      "access-list")
            return
        acl = self.acls.get(name)
        if acl is None:
            acl = _Acl(name, self.origin(node), kind=typ or ("ipv6" if typ_default else "extended"))
            self.acls[name] = acl
            self.acl_order.append(name)
        elif typ and acl.kind != typ and any(e.kind == "ace" for e in acl.entries):
            self.diag(node, node.col(j), "error", "invalid",
                      f"access-list {name} is {acl.kind} (line {acl.origin.line}): a {typ} entry cannot be "
                      f"added to it (the ASA refuses it)", "access-list")
            return
        if typ and not any(e.kind == "ace" for e in acl.entries):
            acl.kind = typ
        entry = _Entry(node, kind, start, typ or acl.kind, show)
        if pos is not None and 1 <= pos <= len(acl.entries):
            acl.entries.insert(pos - 1, entry)
        else:
            acl.entries.append(entry)
        for c in node.children:
            if _is_comment(c.text):
                continue
            if show and c.words[0].lower() == "access-list":
                self.rel(c)  # the expansion of an object-group entry in `show access-list`
                entry.expansions.append(c)
            else:
                yield c  # a global command indented under the entry

    def cmd_access_group(self, node: _Line) -> None:
        self.rel(node)
        w = node.words
        lw = [x.lower() for x in w]
        if len(w) >= 3 and lw[2] == "global" and len(w) == 3:
            self.access_groups.append(_AccessGroup(w[1], "global", None, self.origin(node)))
            return
        if len(w) >= 5 and lw[2] in ("in", "out") and lw[3] == "interface":
            extra = lw[5:]
            if "control-plane" in extra:
                self.diag(node, node.col(5), "warning", "unsupported",
                          "a control-plane access-group filters traffic to the ASA itself: not modelled",
                          "access-group control-plane")
                return
            if "per-user-override" in extra:
                self.diag(node, node.col(5), "note", "approximate",
                          "per-user-override: downloadable per-user ACLs replace this one for authenticated "
                          "users; not modelled", "access-group")
            self.access_groups.append(_AccessGroup(w[1], lw[2], w[4], self.origin(node)))
            return
        self.diag(node, node.col(min(2, len(w) - 1)), "error", "syntax",
                  "access-group: expected `access-group NAME in|out interface IF` or `access-group NAME global`",
                  "access-group")

    # -- interfaces

    def cmd_interface(self, node: _Line) -> Iterator[_Line]:
        w = node.words
        if len(w) < 2:
            self.rel(node)
            self.diag(node, node.col(0), "error", "syntax", "interface: a name is missing", "interface")
            return
        hw = w[1]
        if len(w) > 2 and not node.children:
            self.other(node)  # PIX 6: `interface ethernet0 100full` (speed and duplex)
            return
        self.rel(node)
        iface = self.ifaces_by_hw.get(hw)
        if iface is None:
            iface = _Iface(hw, self.origin(node))
            self.ifaces_by_hw[hw] = iface
            self.ifaces.append(iface)

        def child(c: _Line) -> None:
            cw = c.words
            h = c.head(2)
            k = cw[0].lower()
            if k == "nameif" and len(cw) == 2:
                self.rel(c)
                iface.nameif, iface.nameif_origin = cw[1], self.origin(c)
            elif k == "security-level":
                self.rel(c)
                if len(cw) == 2 and cw[1].isdigit() and read_int(cw[1]) <= 100:
                    iface.level, iface.level_origin = read_int(cw[1]), self.origin(c)
                else:
                    self.diag(c, c.col(1), "error", "invalid", "security-level: expected a number from 0 to 100",
                              "security-level")
            elif h == "no nameif":
                self.rel(c)
                iface.nameif = iface.nameif_origin = None
            elif h == "no security-level":
                self.rel(c)
                iface.level = iface.level_origin = None
            elif h == "ip address":
                self.rel(c)
                if len(cw) >= 4 and _IPV4_RE.match(cw[2]):
                    bits = _mask_bits(cw[3])
                    try:
                        ipaddress.IPv4Address(cw[2])
                        ok = bits is not None
                    except ValueError:
                        ok = False
                    if ok:
                        iface.addresses = [a for a in iface.addresses if ":" in a] + [f"{cw[2]}/{bits}"]
                    else:
                        self.diag(c, c.col(2), "error", "invalid", f"ip address: {cw[2]} {cw[3]} is not an "
                                  f"address and a netmask", "interface")
                elif len(cw) >= 3 and cw[2].lower() in ("dhcp", "pppoe"):
                    pass  # assigned at run time
                else:
                    self.diag(c, c.col(2), "error", "syntax", "ip address: expected an address and a netmask",
                              "interface")
            elif h == "no ip":
                self.rel(c)
                iface.addresses = [a for a in iface.addresses if ":" in a]
            elif h == "ipv6 address" and len(cw) >= 3:
                self.rel(c)
                zoned = _zone_id_drop(cw[2], c.col(2))
                if zoned is not None:
                    self.drop(c, zoned)
                    return
                try:
                    iface.addresses.append(str(ipaddress.IPv6Interface(cw[2])))
                except ValueError:
                    if cw[2].lower() not in ("autoconfig", "dhcp"):
                        self.diag(c, c.col(2), "error", "invalid", f"ipv6 address: {cw[2]!r} is not a prefix",
                                  "interface")
            elif k == "management-only":
                self.rel(c)
                iface.mgmt_only = True
                self.diag(c, c.indent + 1, "note", "approximate",
                          "management-only: the ASA passes no through traffic on this interface; the model "
                          "does not say so", "interface")
            elif h in ("ip access-group", "ip inspect", "ip nat", "ipv6 traffic-filter"):
                self.unknown(c, f"`{h}` is an IOS interface command, not an ASA one: ignored", "ios-command")
            else:
                self.other(c)  # speed, duplex, description, vlan, ospf, ...

        yield from self.children(node, child, "interface")

    def cmd_nameif(self, node: _Line) -> None:
        """PIX 6: `nameif HARDWARE NAME securityN`."""
        self.rel(node)
        w = node.words
        mo = re.fullmatch(r"security(\d+)", w[3].lower()) if len(w) == 4 else None
        if not mo or read_int(mo.group(1)) > 100:
            self.diag(node, node.col(min(3, len(w) - 1)), "error", "syntax",
                      "nameif: expected `nameif HARDWARE NAME securityN` (N from 0 to 100)", "nameif")
            return
        iface = self.ifaces_by_hw.get(w[1])
        if iface is None:
            iface = _Iface(w[1], self.origin(node))
            self.ifaces_by_hw[w[1]] = iface
            self.ifaces.append(iface)
        iface.nameif, iface.nameif_origin = w[2], self.origin(node)
        iface.level, iface.level_origin = read_int(mo.group(1)), self.origin(node, node.col(3))

    # -- objects

    def cmd_object(self, node: _Line) -> Iterator[_Line]:
        self.rel(node)
        w = node.words
        if len(w) != 3 or w[1].lower() not in ("network", "service"):
            self.diag(node, node.col(min(1, len(w) - 1)), "error", "syntax",
                      "object: expected `object network NAME` or `object service NAME`", "object")
            self._swallow(node)
            return
        kind, name = w[1].lower(), w[2]
        other = self.svc_objs if kind == "network" else self.net_objs
        if name in other or name in self.groups:
            what = "an object-group" if name in self.groups else f"object {'service' if kind == 'network' else 'network'}"
            self.diag(node, node.col(2), "error", "redefined",
                      f"{name} is already {what}: this object is refused (names are shared)", f"object {kind}")
            self._swallow(node)
            return
        if kind == "network":
            obj = self.net_objs.get(name)
            if obj is None:
                obj = self.net_objs[name] = _NetObj(name, self.origin(node))
            yield from self.children(node, lambda c: self._net_object_child(obj, c), "object network")
        else:
            sobj = self.svc_objs.get(name)
            if sobj is None:
                sobj = self.svc_objs[name] = _SvcObj(name, self.origin(node))
            yield from self.children(node, lambda c: self._svc_object_child(sobj, c), "object service")

    def _swallow(self, node: _Line) -> None:
        self._not_read(node, "relevant")

    def _net_object_child(self, obj: _NetObj, c: _Line) -> None:
        self.rel(c)
        c.strip_comment()
        cw = c.words
        k = cw[0].lower()
        value = None
        try:
            if k == "host" and len(cw) == 2:
                fam, v = self._ip(cw[1], c.col(1))
                value = ("ranges", ((fam, v, v),), f"host {cw[1]}")
            elif k == "subnet" and len(cw) == 3:
                value = ("ranges", (self._addr_mask(cw[1], cw[2], c.col(1), c.col(2)),), f"subnet {cw[1]} {cw[2]}")
            elif k == "subnet" and len(cw) == 2:
                value = ("ranges", (self._prefix(cw[1], c.col(1), c),), f"subnet {cw[1]}")
            elif k == "range" and len(cw) == 3:
                f1, a = self._ip(cw[1], c.col(1))
                f2, b = self._ip(cw[2], c.col(2))
                if f1 != f2:
                    raise _Drop(c.col(2), "error", "invalid", "range: the two ends are of different families")
                if a > b:
                    raise _Drop(c.col(2), "error", "invalid",
                                f"range {cw[1]} {cw[2]}: the first address is above the second (the ASA refuses it)")
                value = ("ranges", ((f1, a, b),), f"range {cw[1]} {cw[2]}")
            elif k == "fqdn" and len(cw) in (2, 3):
                fq = cw[-1]
                value = ("fqdn", fq, f"fqdn {fq}")
                self.diag(c, c.col(len(cw) - 1), "note", "approximate",
                          f"object {obj.name}: the addresses of {fq} are resolved by DNS at run time; matched as "
                          f"an unknown condition", "object network fqdn")
            elif k == "nat":
                self.nats.append(("object", c, obj.name))
                return
            elif k == "description":
                return
            else:
                raise _Drop(c.indent + 1, "error", "syntax",
                            f"object network {obj.name}: expected host, subnet, range, fqdn, nat or description")
        except _Drop as d:
            d.construct = d.construct or "object network"
            self.drop(c, d)
            return
        if obj.value is not None and obj.value[:2] != value[:2]:
            prev = obj.value_origin
            self.diag(c, c.indent + 1, "warning", "redefined",
                      f"object network {obj.name} was `{obj.value[2]}` (line {prev.line if prev else '?'}); "
                      f"this line replaces it: every use of the object now means `{value[2]}`",
                      "object network", understood=True)
        obj.value, obj.value_origin = value, self.origin(c)

    def _svc_object_child(self, obj: _SvcObj, c: _Line) -> None:
        self.rel(c)
        c.strip_comment()
        k = c.words[0].lower()
        if k == "service":
            try:
                self._service_alts(c, 1)
            except _Drop as d:
                d.construct = d.construct or "object service"
                self.drop(c, d)
                return
            if obj.line is not None and [x.lower() for x in obj.line.words] != [x.lower() for x in c.words]:
                self.diag(c, c.indent + 1, "warning", "redefined",
                          f"object service {obj.name} was `{obj.line.rest(0)}` (line {obj.line.no}); this line "
                          f"replaces it", "object service", understood=True)
            obj.line = c
        elif k != "description":
            self.diag(c, c.indent + 1, "error", "syntax",
                      f"object service {obj.name}: expected service or description", "object service")

    def cmd_object_group(self, node: _Line) -> Iterator[_Line]:
        self.rel(node)
        w = node.words
        kinds = ("network", "service", "protocol", "icmp-type", "user", "security")
        if len(w) < 3 or w[1].lower() not in kinds:
            self.diag(node, node.col(min(1, len(w) - 1)), "error", "syntax",
                      f"object-group: expected one of {', '.join(kinds)} and a name", "object-group")
            self._swallow(node)
            return
        kind, name = w[1].lower(), w[2]
        proto = None
        if kind == "service" and len(w) == 4 and w[3].lower() in ("tcp", "udp", "tcp-udp"):
            kind, proto = "port", w[3].lower()
        elif len(w) != 3:
            self.diag(node, node.col(3), "error", "syntax", f"object-group {w[1]}: unexpected {w[3]!r}",
                      "object-group")
            self._swallow(node)
            return
        if name in self.net_objs or name in self.svc_objs:
            self.diag(node, node.col(2), "error", "redefined",
                      f"{name} is already an object: this object-group is refused (names are shared)",
                      "object-group")
            self._swallow(node)
            return
        g = self.groups.get(name)
        if g is None:
            g = self.groups[name] = _Group(name, kind, proto, self.origin(node))
        elif g.kind != kind or g.proto != proto:
            shown = lambda k, p: "service " + p if k == "port" else k  # noqa: E731
            self.diag(node, node.col(1), "error", "redefined",
                      f"object-group {name} is a {shown(g.kind, g.proto or '')} group (line {g.origin.line}): it "
                      f"cannot be entered as a {shown(kind, proto or '')} group; the members below are refused",
                      "object-group")
            self._swallow(node)
            return

        def child(c: _Line) -> None:
            self.rel(c)
            c.strip_comment()
            g.members.append(c)

        sub = "object-group " + ("service" if kind == "port" else kind)
        yield from self.children(node, child, sub)

    # -- NAT, inspection, MSS

    def cmd_nat(self, node: _Line) -> None:
        self.rel(node)
        w = node.words
        if len(w) >= 3 and re.fullmatch(r"\([^,()]+\)", w[1]) and w[2].isdigit():
            self.nats.append(("legacy", node, None))  # PIX / ASA 8.2: nat (IF) ID ...
        else:
            self.nats.append(("twice", node, None))

    def cmd_static(self, node: _Line) -> None:
        self.rel(node)
        self.nats.append(("static", node, None))

    def cmd_global(self, node: _Line) -> None:
        self.rel(node)
        w = node.words
        mo = re.fullmatch(r"\(([^,()]+)\)", w[1]) if len(w) >= 4 else None
        if mo is None or not w[2].isdigit():
            self.diag(node, node.col(1), "error", "syntax", "global: expected `global (IF) ID ADDRESS|interface`",
                      "global")
            return
        self.globals_.append((w[2], mo.group(1), " ".join(w[3:]), node))

    def cmd_class_map(self, node: _Line) -> Iterator[_Line]:
        w = node.words
        if len(w) >= 2 and w[1].lower() == "type":
            self.other(node)  # inspection class maps: parameters of an engine
            return
        self.rel(node)
        if len(w) != 2:
            self.diag(node, node.col(min(2, len(w) - 1)), "error", "syntax", "class-map: expected a name", "class-map")
            self._swallow(node)
            return
        name = w[1]
        self.class_maps[name] = []
        self.class_map_origin[name] = self.origin(node)

        def child(c: _Line) -> None:
            self.rel(c)
            if c.words[0].lower() == "match":
                self.class_maps[name].append(c)
            elif c.words[0].lower() != "description":
                self.diag(c, c.indent + 1, "error", "syntax", f"class-map {name}: expected match or description",
                          "class-map")

        yield from self.children(node, child, "class-map")

    def cmd_policy_map(self, node: _Line) -> Iterator[_Line]:
        w = node.words
        if len(w) >= 2 and w[1].lower() == "type":
            self.other(node)
            self.last_block = ("policy-map-inspect", lambda c: self.other(c))
            return
        self.rel(node)
        if len(w) != 2:
            self.diag(node, node.col(min(2, len(w) - 1)), "error", "syntax", "policy-map: expected a name",
                      "policy-map")
            self._swallow(node)
            return
        name = w[1]
        classes = self.policy_maps.setdefault(name, [])
        self.policy_map_origin.setdefault(name, self.origin(node))

        def child(c: _Line) -> None:
            cw = c.words
            k = cw[0].lower()
            if k == "class" and len(cw) == 2:
                self.rel(c)
                actions: list[_Line] = []
                classes.append((cw[1], c, actions))
                for a in _descendants(c):  # the class's mode: every line under it, at any depth
                    ak = a.words[0].lower()
                    if ak == "inspect":
                        self.rel(a)
                        actions.append(a)
                    elif ak in ("set", "police"):
                        self.rel(a)
                        self.diag(a, a.indent + 1, "note", "approximate",
                                  f"{a.head(3)}: connection limits and policing drop packets at run time; not "
                                  f"modelled", "policy-map")
                    elif ak in ("ips", "csc", "cxsc", "sfr"):
                        self.rel(a)
                        self.diag(a, a.indent + 1, "warning", "unsupported",
                                  f"{ak}: traffic sent to a service module (which may drop it) is not modelled",
                                  "policy-map")
                    else:
                        self.other(a)
            elif k in ("description", "parameters"):
                self.other(c)
            else:
                self.rel(c)
                self.diag(c, c.indent + 1, "error", "syntax", f"policy-map {name}: expected class or description",
                          "policy-map")

        yield from self.children(node, child, "policy-map", handler_reads_children=True)

    def cmd_service_policy(self, node: _Line) -> None:
        self.rel(node)
        w = node.words
        lw = [x.lower() for x in w]
        if len(w) == 3 and lw[2] == "global":
            self.service_policies = [s for s in self.service_policies if s[1] is not None]
            self.service_policies.append((w[1], None, node))
        elif len(w) == 4 and lw[2] == "interface":
            self.service_policies = [s for s in self.service_policies if s[1] != w[3]]
            self.service_policies.append((w[1], w[3], node))
        else:
            self.diag(node, node.col(min(2, len(w) - 1)), "error", "syntax",
                      "service-policy: expected `service-policy NAME global` or `... interface IF`",
                      "service-policy")


# --------------------------------------------------------------------------- converter: addresses, services, groups


def _toks(t) -> list[Token]:
    if isinstance(t, Token):
        return [t]
    out: list[Token] = []
    for c in t.children:
        out.extend(_toks(c))
    return out


def _unwrap(t):
    while isinstance(t, Tree) and t.data in ("src_ident", "dst_ident", "sg", "tail") and len(t.children) == 1 \
            and isinstance(t.children[0], Tree):
        t = t.children[0]
    return t


class _Resolver(_Conv):
    # -- addresses

    def _ip(self, word: str, col: int) -> tuple[int, int]:
        zoned = _zone_id_drop(word, col)
        if zoned is not None:
            raise zoned
        try:
            a = ipaddress.ip_address(word)
            return a.version, read_int(a)
        except ValueError:
            pass
        if word in self.names:
            self.name_used.add(word)
            fam, v, _ = self.names[word]
            return fam, v
        if re.fullmatch(r"[0-9.]+", word) or (":" in word and re.fullmatch(r"[0-9A-Fa-f:.]+", word)):
            raise _Drop(col, "error", "invalid", f"{word} is not a valid address")
        raise _Drop(col, "error", "undefined-reference", f"{word} is neither an address nor a defined name", "name")

    def _addr_mask(self, a: str, mask: str, col_a: int, col_m: int) -> tuple[int, int, int]:
        fam, v = self._ip(a, col_a)
        if fam != 4:
            raise _Drop(col_a, "error", "invalid", f"{a} is an IPv6 address: write a prefix ({a}/64), not a mask")
        bits = _mask_bits(mask)
        if bits is None:
            if not _IPV4_RE.match(mask):
                msg = f"{mask!r} is not a netmask"
            elif _wildcard_like(mask):
                msg = (f"{mask} looks like an IOS wildcard mask: the ASA takes a netmask "
                       f"({ipaddress.IPv4Address(~read_int(ipaddress.IPv4Address(mask)) & MAX4)}), and refuses this entry")
            else:
                msg = f"{mask} is not a contiguous netmask (the ASA refuses it)"
            raise _Drop(col_m, "error", "invalid", msg)
        host = (1 << (32 - bits)) - 1
        if v & host:
            raise _Drop(col_a, "error", "invalid",
                        f"{a} {mask}: the address has bits outside the mask; the ASA refuses it (\"IP address, "
                        f"mask doesn't pair\"); {ipaddress.IPv4Address(v & ~host & MAX4)} {mask} is meant?")
        return (4, v, v | host)

    def _prefix(self, text: str, col: int, line: _Line | None = None) -> tuple[int, int, int]:
        zoned = _zone_id_drop(text, col)
        if zoned is not None:
            raise zoned
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise _Drop(col, "error", "invalid", f"{text} is not an address prefix") from None
        if net.version == 4:
            raise _Drop(col, "error", "invalid", f"{text}: IPv4 networks take a netmask on the ASA, not a prefix length")
        if line is not None and read_int(ipaddress.ip_interface(text).ip) != read_int(net.network_address):
            self.diag(line, col, "note", "approximate", f"{text} has bits outside its prefix: read as {net}")
        return (6, read_int(net.network_address), read_int(net.broadcast_address))

    def _addr_conds(self, fieldname: str, ranges, opq) -> tuple:
        side = "source" if fieldname == m.SRC else "destination"
        ops = [m.Opaque(f"{fieldname} {k}", f"{side} is {d}") for k, d in opq]
        ranges = merge3(ranges)
        if not ops:
            return (m.AddrCond(fieldname, ranges),)
        alts = ([m.Match((m.AddrCond(fieldname, ranges),))] if ranges else []) + [m.Match((o,)) for o in ops]
        if len(alts) == 1:
            return alts[0].conds
        return (m.AnyCond(tuple(alts)),)

    def _net_object_set(self, name: str, col: int) -> tuple[list, list]:
        obj = self.net_objs.get(name)
        if obj is None:
            if name in self.svc_objs:
                raise _Drop(col, "error", "invalid", f"object {name} is a service object, not a network object")
            if name in self.groups:
                raise _Drop(col, "error", "invalid", f"{name} is an object-group: write `object-group {name}`")
            raise _Drop(col, "error", "undefined-reference", f"object network {name} is not defined", "object network")
        obj.used = True
        if obj.value is None:
            raise _Drop(col, "error", "invalid",
                        f"object network {name} (line {obj.origin.line}) has no address (host, subnet, range or fqdn)")
        if obj.value[0] == "ranges":
            return list(obj.value[1]), []
        return [], [(f"fqdn {obj.value[1]}", f"an address of {obj.value[1]} (resolved by DNS at run time)")]

    def _group(self, name: str, col: int, kinds: tuple[str, ...], what: str) -> _Group:
        g = self.groups.get(name)
        if g is None:
            if name in self.net_objs or name in self.svc_objs:
                raise _Drop(col, "error", "invalid", f"{name} is an object, not an object-group: write `object {name}`")
            raise _Drop(col, "error", "undefined-reference", f"object-group {name} is not defined", "object-group")
        g.used = True
        if g.kind not in kinds:
            shown = f"service {g.proto}" if g.kind == "port" else g.kind
            raise _Drop(col, "error", "invalid", f"object-group {name} is a {shown} group: it cannot be used as {what}")
        return g

    # -- object-groups: resolved once each, iteratively (the nesting can be thousands deep)

    def _resolve(self, reader: "_GroupReader", name: str, col: int):
        """The value of object-group NAME with its nested groups (`_GroupReader` says how its
        members read); raises _Drop when the group is refused (nested too deep)."""
        got = self._resolved.get(reader.key + (name,))
        if got is None:
            got = self._resolve_walk(reader, name)
        if isinstance(got, _Refused):
            raise _Drop(col, "error", got.code, f"object-group {name} {got.why}: not analysed", "object-group")
        return got.value

    def _resolve_walk(self, reader: "_GroupReader", name: str) -> "_Resolved | _Refused":
        """Depth first over group-object lines with an explicit stack: each group is resolved
        once its nested groups are, and remembered. A group-object line that closes a cycle is
        reported and left out (the ASA refuses it); one whose group is already nested
        MAX_OBJECT_GROUP_DEPTH deep is reported as `nesting-limit`, and every group above it is
        refused (the entries that use them are reported, not analysed)."""
        frames = [_Frame(self.groups[name])]
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
                    self._member_drop(f.group, c, _Drop(c.col(1), "error", "invalid", loop))
                else:
                    frames.append(_Frame(self.groups[nested], via=c))
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

    def _checked_nested(self, reader: "_GroupReader", g: _Group, c: _Line) -> str | None:
        """The group a `group-object NAME` member names, None when the line is refused (an
        undefined group, a group of another kind: reported here)."""
        try:
            reader.check_nested(g, c)
        except _Drop as d:
            self._member_drop(g, c, d)
            return None
        return c.words[1]

    def _read_member(self, reader: "_GroupReader", f: "_Frame", c: _Line) -> None:
        if c.words[0].lower() == "description":
            return
        try:
            f.parts.append(reader.member(f.group, c))
        except _Drop as d:
            self._member_drop(f.group, c, d)

    def _member_drop(self, g: _Group, c: _Line, d: _Drop) -> None:
        d.construct = d.construct or f"object-group {'service' if g.kind == 'port' else g.kind}"
        self.drop(c, d)

    def _absorb(self, f: "_Frame", res: "_Resolved | _Refused", line: _Line) -> None:
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
        if self._nested_members + size > MAX_NESTED_GROUP_MEMBERS:
            self._refuse(f, line, "expansion-limit",
                         f"takes more members from nested groups than fwlint copies in one file (linter/limits.py "
                         f"MAX_NESTED_GROUP_MEMBERS; the limit is crossed at line {line.no})",
                         f"the {size} members of object-group {line.words[1]} would bring the members object-groups "
                         f"take from nested groups in this file past {MAX_NESTED_GROUP_MEMBERS} (linter/limits.py "
                         f"MAX_NESTED_GROUP_MEMBERS)")
            return
        self._nested_members += size
        f.parts.append(res.value)
        f.height = max(f.height, res.height + 1)

    def _refuse(self, f: "_Frame", line: _Line, code: str, why: str, what: str) -> None:
        """The group of frame f is not resolved: a bound is crossed at its group-object `line`
        (reported once), and the groups above it and the entries using them are reported."""
        f.refused = _Refused(code, why)
        if line.no not in self._limit_reported:
            self._limit_reported.add(line.no)
            self.diag(line, line.col(1), "error", code,
                      f"group-object {line.words[1]}: object-group {f.group.name} is not resolved: {what}; the "
                      f"entries that use it, and the groups that include it, are not analysed", "group-object")

    def _net_group(self, name: str, col: int = 1) -> tuple[tuple, tuple]:
        return self._resolve(self._readers["net"], name, col)

    def _net_member(self, g: _Group, c: _Line) -> tuple[list, list]:
        w = c.words
        if w[0].lower() == "network-object":
            if len(w) == 3 and w[1].lower() == "host":
                fam, v = self._ip(w[2], c.col(2))
                return [(fam, v, v)], []
            if len(w) == 3 and w[1].lower() == "object":
                return self._net_object_set(w[2], c.col(2))
            if len(w) == 3:
                return [self._addr_mask(w[1], w[2], c.col(1), c.col(2))], []
            if len(w) == 2:
                return [self._prefix(w[1], c.col(1), c)], []
            raise _Drop(c.col(min(3, len(w) - 1)), "error", "syntax",
                        "network-object: expected `host A`, `A MASK`, a prefix or `object NAME`")
        raise _Drop(c.indent + 1, "error", "syntax", f"`{w[0]}` is not a member of a network object-group")

    @staticmethod
    def _net_combine(g: _Group, parts: list) -> tuple[tuple, tuple]:
        ranges, opq = [], []
        for r, o in parts:
            ranges.extend(r)
            opq.extend(o)
        return merge3(ranges), tuple(dict.fromkeys(opq))

    # -- protocols, ports, services

    def _proto_number(self, word: str, col: int, line: _Line | None) -> int | None:
        lw = word.lower()
        if lw in ASA_PROTOCOLS:
            return ASA_PROTOCOLS[lw]
        if word.isdigit():
            n = read_int(word)
            if n > 255:
                raise _Drop(col, "error", "invalid", f"protocol {word} is out of range (0-255)")
            return None if n == 0 else n
        n = names.proto_number(lw)
        if n is not None and n != 0:
            if line is not None:
                self.diag(line, col, "note", "approximate",
                          f"{word} is not one of the ASA's protocol names; read as protocol {n}", "protocol")
            return n
        raise _Drop(col, "error", "invalid", f"unknown protocol {word!r}")

    def _port(self, word: str, col: int, pnames: tuple[str, ...], line: _Line | None) -> int:
        if word.isdigit():
            n = read_int(word)
            if n > 65535:
                raise _Drop(col, "error", "invalid", f"port {word} is out of range (0-65535)")
            return n
        lw = word.lower()
        if lw in ASA_PORTS:
            port, defined = ASA_PORTS[lw]
            if pnames and all(p in ("tcp", "udp") for p in pnames) and not any(p in defined for p in pnames):
                raise _Drop(col, "error", "invalid",
                            f"port name {word} is defined for {'/'.join(defined)} only: the ASA refuses it with "
                            f"{'/'.join(pnames)} (write the number {port})")
            return port
        n = names.port_number(lw, pnames[0] if pnames else "tcp")
        if n is not None:
            if line is not None:
                self.diag(line, col, "note", "port-name",
                          f"{word} is not one of the ASA's port names; read as {n} (netbase's services)", "port")
            return n
        raise _Drop(col, "error", "invalid", f"unknown port name {word!r}")

    @staticmethod
    def _port_cond(fieldname: str, op: str, vals: list[int], col: int) -> m.IntCond:
        p = vals[0]
        if op == "eq":
            return m.IntCond(fieldname, ((p, p),))
        if op == "neq":
            return m.IntCond(fieldname, ((p, p),), negated=True)
        if op == "lt":
            if p == 0:
                raise _Drop(col, "error", "invalid", "lt 0: no port is below 0")
            return m.IntCond(fieldname, ((0, p - 1),))
        if op == "gt":
            if p >= 65535:
                raise _Drop(col, "error", "invalid", "gt 65535: no port is above 65535")
            return m.IntCond(fieldname, ((p + 1, 65535),))
        a, b = vals
        if a > b:
            raise _Drop(col, "error", "invalid", f"range {a} {b}: the first port is above the second (the ASA refuses it)")
        return m.IntCond(fieldname, ((a, b),))

    def _port_op(self, c: _Line, j: int, fieldname: str, pnames: tuple[str, ...]) -> tuple[int, m.IntCond]:
        w = c.words
        if j >= len(w) or w[j].lower() not in ("eq", "neq", "lt", "gt", "range"):
            raise _Drop(c.col(j), "error", "syntax", "expected a port operator (eq, neq, lt, gt, range)")
        op = w[j].lower()
        need = 2 if op == "range" else 1
        if j + need >= len(w):
            raise _Drop(c.col(len(w) - 1), "error", "syntax", f"{op}: a port is missing")
        vals = [self._port(w[j + 1 + k], c.col(j + 1 + k), pnames, c) for k in range(need)]
        return j + 1 + need, self._port_cond(fieldname, op, vals, c.col(j))

    def _icmp_value(self, word: str, col: int, v6: bool) -> int:
        if word.isdigit():
            n = read_int(word)
            if n > 255:
                raise _Drop(col, "error", "invalid", f"ICMP type {word} is out of range (0-255)")
            return n
        table, other = (ICMP6_TYPES, ICMP4_TYPES) if v6 else (ICMP4_TYPES, ICMP6_TYPES)
        lw = word.lower()
        if lw in table:
            return table[lw]
        raise _Drop(col, "error", "invalid", f"unknown ICMP{'v6' if v6 else ''} type {word!r}")

    def _service_alts(self, c: _Line, i: int) -> list[tuple]:
        """`[service|service-object] PROTO [source OP P] [destination OP P]`, `icmp TYPE [CODE]`."""
        w = c.words
        if i >= len(w):
            raise _Drop(c.col(len(w) - 1), "error", "syntax", "a protocol is missing")
        p = w[i].lower()
        if p == "tcp-udp":
            protos: tuple[int, ...] = (6, 17)
        else:
            n = self._proto_number(w[i], c.col(i), c)
            protos = () if n is None else (n,)
        conds: list = [_proto_cond(protos)] if protos else []
        pnames = tuple({6: "tcp", 17: "udp", 132: "sctp"}[x] for x in protos if x in (6, 17, 132))
        j = i + 1
        if protos and set(protos) <= {6, 17, 132}:
            seen_src = seen_dst = False
            while j < len(w):
                t = w[j].lower()
                if t == "source" and not seen_src and not seen_dst:
                    j, cond = self._port_op(c, j + 1, m.SPORT, pnames)
                    seen_src = True
                elif t == "destination" and not seen_dst:
                    j, cond = self._port_op(c, j + 1, m.DPORT, pnames)
                    seen_dst = True
                elif t in ("eq", "neq", "lt", "gt", "range") and not seen_dst:
                    j, cond = self._port_op(c, j, m.DPORT, pnames)  # destination is optional on entry
                    seen_dst = True
                else:
                    raise _Drop(c.col(j), "error", "syntax", f"unexpected {w[j]!r}")
                conds.append(cond)
        elif protos in ((1,), (58,)):
            if j < len(w):
                t = self._icmp_value(w[j], c.col(j), protos == (58,))
                lo, hi = 0, 255
                if j + 1 < len(w):
                    if not w[j + 1].isdigit() or read_int(w[j + 1]) > 255 or j + 2 < len(w):
                        raise _Drop(c.col(j + 1), "error", "syntax", f"unexpected {w[j + 1]!r}: expected an ICMP code")
                    lo = hi = read_int(w[j + 1])
                conds.append(m.IntCond(m.ICMP, (((t << 8) | lo, (t << 8) | hi),)))
        elif j < len(w):
            raise _Drop(c.col(j), "error", "syntax",
                        f"unexpected {w[j]!r}: only tcp, udp, sctp and icmp take ports or types")
        return [tuple(conds)]

    def _svc_object_alts(self, name: str, col: int) -> list[tuple]:
        obj = self.svc_objs.get(name)
        if obj is None:
            if name in self.net_objs:
                raise _Drop(col, "error", "invalid", f"object {name} is a network object, not a service object")
            if name in self.groups:
                raise _Drop(col, "error", "invalid", f"{name} is an object-group: write `object-group {name}`")
            raise _Drop(col, "error", "undefined-reference", f"object service {name} is not defined", "object service")
        obj.used = True
        if obj.line is None:
            raise _Drop(col, "error", "invalid", f"object service {name} (line {obj.origin.line}) has no service")
        key = ("svcobj", name)
        if key not in self._memo:
            try:
                self._memo[key] = self._service_alts(obj.line, 1)
            except _Drop:
                self._memo[key] = None
        alts = self._memo[key]
        if alts is None:
            raise _Drop(col, "error", "invalid", f"object service {name} is invalid (line {obj.line.no})")
        return alts  # type: ignore[return-value]

    def _svc_group(self, name: str, col: int = 1) -> list[tuple]:
        return self._resolve(self._readers["svc"], name, col)

    def _svc_member(self, g: _Group, c: _Line) -> list[tuple]:
        w = c.words
        k = w[0].lower()
        if k == "service-object":
            if len(w) == 3 and w[1].lower() == "object":
                return self._svc_object_alts(w[2], c.col(2))
            return self._service_alts(c, 1)
        if k == "port-object":
            raise _Drop(c.indent + 1, "error", "syntax",
                        f"port-object needs a group with a protocol (`object-group service {g.name} tcp`)")
        raise _Drop(c.indent + 1, "error", "syntax", f"`{w[0]}` is not a member of a service object-group")

    def _port_group(self, name: str, col: int = 1) -> tuple[tuple[int, int], ...]:
        return self._resolve(self._readers["port"], name, col)

    def _port_member(self, g: _Group, c: _Line) -> tuple[tuple[int, int], ...]:
        w = c.words
        if w[0].lower() == "port-object":
            pnames = ("tcp", "udp") if g.proto == "tcp-udp" else (g.proto or "tcp",)
            op = w[1].lower() if len(w) > 1 else ""
            if op not in ("eq", "range") or len(w) != (4 if op == "range" else 3):
                raise _Drop(c.col(min(1, len(w) - 1)), "error", "syntax",
                            "port-object: expected `eq PORT` or `range FIRST LAST`")
            vals = [self._port(x, c.col(2 + k2), pnames, c) for k2, x in enumerate(w[2:])]
            return self._port_cond(m.DPORT, op, vals, c.col(1)).ranges
        raise _Drop(c.indent + 1, "error", "syntax", f"`{w[0]}` is not a member of a port object-group")

    def _check_nested_port(self, g: _Group, c: _Line) -> None:
        sub = self._group(c.words[1], c.col(1), ("port",), "a member of a port group")
        if sub.proto != g.proto:
            raise _Drop(c.col(1), "error", "invalid",
                        f"object-group {sub.name} is a {sub.proto} group; {g.name} is {g.proto}")

    def _proto_group(self, name: str, col: int = 1) -> tuple[int, ...] | None:
        return self._resolve(self._readers["proto"], name, col)

    def _proto_member(self, g: _Group, c: _Line) -> tuple[int, ...] | None:
        w = c.words
        if w[0].lower() == "protocol-object" and len(w) == 2:
            n = self._proto_number(w[1], c.col(1), c)
            return None if n is None else (n,)
        raise _Drop(c.indent + 1, "error", "syntax", f"`{w[0]}` is not a member of a protocol object-group")

    @staticmethod
    def _proto_combine(g: _Group, parts: list) -> tuple[int, ...] | None:
        if any(p is None for p in parts):
            return None  # `protocol-object ip`: every protocol
        return tuple(sorted({x for p in parts for x in p}))

    def _icmp_group(self, name: str, v6: bool, col: int = 1) -> tuple[tuple[int, int], ...]:
        return self._resolve(self._readers["icmp6" if v6 else "icmp"], name, col)

    def _icmp_member(self, v6: bool) -> Callable[[_Group, _Line], tuple]:
        def member(g: _Group, c: _Line) -> tuple:
            w = c.words
            if w[0].lower() == "icmp-object" and len(w) == 2:
                try:
                    t = self._icmp_value(w[1], c.col(1), v6)
                except _Drop:
                    t = self._icmp_value(w[1], c.col(1), not v6)
                return (((t << 8), (t << 8) | 255),)
            raise _Drop(c.indent + 1, "error", "syntax", f"`{w[0]}` is not a member of an icmp-type object-group")

        return member

    def _nested_check(self, kind: str, what: str) -> Callable[[_Group, _Line], None]:
        def check(g: _Group, c: _Line) -> None:
            self._group(c.words[1], c.col(1), (kind,), what)

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
                                    lambda g, parts: _merge_alternatives([a for part in parts for a in part])),
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

    def _validate_group(self, g: _Group) -> None:
        """Resolve a group once so that its members' problems are reported, used or not."""
        try:
            if g.kind == "network":
                self._net_group(g.name)
            elif g.kind == "port":
                self._port_group(g.name)
            elif g.kind == "service":
                self._svc_group(g.name)
            elif g.kind == "protocol":
                self._proto_group(g.name)
            elif g.kind == "icmp-type":
                self._icmp_group(g.name, False)
            else:
                for c in g.members:
                    k = c.words[0].lower()
                    ok = {"user": ("user", "user-group", "group-object", "description"),
                          "security": ("security-group", "group-object", "description")}[g.kind]
                    if k not in ok:
                        self.diag(c, c.indent + 1, "error", "syntax",
                                  f"`{c.words[0]}` is not a member of a {g.kind} object-group", f"object-group {g.kind}")
        except _Drop as d:
            if d.code in ("nesting-limit", "expansion-limit"):
                return  # reported once, at the line that crosses the limit
            self.diag(g.origin.line, d.col, d.severity, d.code, d.message, d.construct)


# --------------------------------------------------------------------------- converter: access-list entries


_SHOW_NOISE = re.compile(r"\(hitcnt=\d+\)\Z")
_SHOW_HASH = re.compile(r"0x[0-9a-fA-F]+\Z")


class _Entries(_Resolver):
    def _group_token(self, name: str) -> str | None:
        g = self.groups.get(name)
        return _GROUP_TOKEN[g.kind] if g is not None else None

    def _parse_entry(self, line: _Line, start: int, typ: str, show: bool) -> tuple[Tree, bool]:
        words = line.words[start:]
        cols = line.cols[start:]
        inactive = False
        if show:
            pairs = [(w, c) for w, c in zip(words, cols) if not _SHOW_NOISE.match(w)]
            if any(w == "(inactive)" for w, _ in pairs):
                inactive = True
                pairs = [(w, c) for w, c in pairs if w != "(inactive)"]
            if pairs and _SHOW_HASH.match(pairs[-1][0]):
                pairs.pop()
            words = [w for w, _ in pairs]
            cols = [c for _, c in pairs]
        if not words:
            raise _Drop(line.col(len(line.words) - 1), "error", "syntax", "the entry is empty")
        # undefined groups: their kind is unknown, so their place in the entry is tried (in an
        # entry of a sane length: a longer one is parsed once, see MAX_GUESSED_ENTRY_WORDS)
        undefined = []
        for k in range(1, len(words) if len(words) <= MAX_GUESSED_ENTRY_WORDS else 0):
            if words[k - 1].lower() == "object-group" and words[k] not in self.groups and words[k] not in undefined:
                undefined.append(words[k])
        choices = [{}]
        for name in undefined[:3]:
            choices = [dict(c, **{name: t}) for c in choices for t in ("G_NET", "G_PORT", "G_ICMP", "G_SVC")]
        first_error: Exception | None = None
        start_sym = "standard" if typ == "standard" else "extended"
        for guess in choices:
            toks = _classify(words, cols, self._group_token, guess)
            try:
                return _parser().parse(toks, start=start_sym), inactive
            except LarkError as e:
                if first_error is None:
                    first_error = e
        raise self._syntax(first_error, words, cols)

    @staticmethod
    def _syntax(e: Exception | None, words: list[str], cols: list[int]) -> _Drop:
        def expected(names_) -> str:
            shown = sorted({_TERMINAL_TEXT.get(n, "") for n in names_} - {""})
            return ", ".join(shown[:8]) + (", ..." if len(shown) > 8 else "")

        if isinstance(e, UnexpectedToken):
            tok = e.token
            if tok.type == "$END":
                return _Drop(cols[-1], "error", "syntax",
                             f"the entry ends too early after {words[-1]!r}; expected {expected(e.expected)}",
                             "access-list")
            return _Drop(tok.column or cols[0], "error", "syntax",
                         f"unexpected {tok.value!r}; expected {expected(e.expected)}", "access-list")
        if isinstance(e, UnexpectedEOF):
            return _Drop(cols[-1], "error", "syntax", f"the entry ends too early after {words[-1]!r}", "access-list")
        return _Drop(cols[0], "error", "syntax", f"cannot read this entry: {e}", "access-list")

    def _entry(self, line: _Line, start: int, typ: str, show: bool) -> tuple[str, tuple, bool, list]:
        """An entry -> (action, conditions, inactive, notes); raises _Drop."""
        tree, inactive = self._parse_entry(line, start, typ, show)
        items = [_unwrap(t) for t in tree.children]
        action = items[0].data
        notes: list[tuple[int, str, str]] = []
        conds: list = []
        if typ == "ipv6":
            conds.append(m.IntCond(m.FAMILY, ((6, 6),)))
        if tree.data == "standard":
            addr = items[1]
            conds.extend(self._ace_addr(addr, m.DST, notes, typ == "ipv6"))
            rest = items[2:]
        else:
            proto = self._ace_proto(items[1], line)
            body: list = []
            addrs = 0
            for t in items[2:]:
                d = t.data
                if d.startswith("ident_"):
                    body.append(self._ace_ident(t, notes))
                elif d.startswith("addr_"):
                    body.extend(self._ace_addr(t, m.SRC if addrs == 0 else m.DST, notes, typ == "ipv6"))
                    addrs += 1
                elif d.startswith("port_"):
                    body.append(self._ace_port(t, m.SPORT if addrs == 1 else m.DPORT, proto, line))
                elif d in ("icmp_type", "icmp_group"):
                    body.append(self._ace_icmp(t, proto))
                elif d.startswith("opt_"):
                    break
            if proto.kind == "protos":
                conds.append(_proto_cond(proto.protos))
            elif proto.kind == "service":
                conds.extend(self._shared(("svc", proto.text), lambda: _alts_conds(proto.alts)))
            conds.extend(body)
            rest = [t for t in items[2:] if t.data.startswith("opt_")]
        for t in rest:
            if t.data in ("opt_log", "opt_log_default", "opt_log_interval"):
                notes.append((0, "effect", "log"))  # (not a diagnostic: read back by `rules`)
            if t.data == "opt_inactive":
                inactive = True
            elif t.data == "opt_time_range":
                tok = _toks(t)[1]
                self.time_range_used.add(tok.value)
                if tok.value not in self.time_ranges:
                    raise _Drop(tok.column, "error", "undefined-reference", f"time-range {tok.value} is not defined",
                                "time-range")
                conds.append(m.Opaque(f"time-range {tok.value}", f"time-range {tok.value} is active"))
                notes.append((tok.column, "approximate",
                              f"time-range {tok.value}: the entry applies only while the time range is active; "
                              f"matched as an unknown condition"))
        if self.any_is_ipv4 and typ != "ipv6" and not any(isinstance(c, m.AddrCond) for c in conds):
            # before ASA 9.0 an access-list is IPv4 only (IPv6 has `ipv6 access-list`)
            conds.insert(0, m.IntCond(m.FAMILY, ((4, 4),)))
        return ("accept" if action == "permit" else "drop"), tuple(conds), inactive, notes

    def _ace_proto(self, t: Tree, line: _Line) -> _Proto:
        toks = _toks(t)
        if t.data == "proto_name":
            n = self._proto_number(toks[0].value, toks[0].column, line)
            return _Proto("any", text=toks[0].value) if n is None else _Proto("protos", (n,), text=toks[0].value)
        name, col = toks[1].value, toks[1].column
        if t.data == "proto_object":
            return _Proto("service", alts=self._svc_object_alts(name, col), text=f"object {name}")
        g = self._group(name, col, ("protocol", "service"), "the protocol of an entry")
        if g.kind == "protocol":
            ps = self._proto_group(name, col)
            return _Proto("any") if ps is None else _Proto("protos", ps, text=f"object-group {name}")
        return _Proto("service", alts=self._svc_group(name, col), text=f"object-group {name}")

    def _shared(self, key: tuple, make: Callable[[], object]):
        """One condition object per (field, object or group): 20,000 entries naming the same
        group share its conditions."""
        key = ("shared",) + key
        got = self._memo.get(key)
        if got is None:
            got = self._memo[key] = make()
        return got

    def _ace_ident(self, t: Tree, notes: list) -> m.Opaque:
        toks = _toks(t)
        what = " ".join(x.value for x in toks)
        notes.append((toks[0].column, "approximate",
                      f"`{what}`: identity-based matching (users, security groups) is known only at run time; "
                      f"matched as an unknown condition"))
        return m.Opaque(what, f"the packet belongs to {what}")

    def _ace_addr(self, t: Tree, fieldname: str, notes: list, ipv6: bool = False) -> tuple:
        d = t.data
        toks = _toks(t)
        if d == "addr_any":
            return ()
        if d == "addr_any4":
            return (m.AddrCond(fieldname, ((4, 0, MAX4),)),)
        if d == "addr_any6":
            return (m.AddrCond(fieldname, ((6, 0, MAX6),)),)
        if d == "addr_host":
            fam, v = self._ip(toks[1].value, toks[1].column)
            return (m.AddrCond(fieldname, ((fam, v, v),)),)
        if d in ("addr_mask", "addr_name_mask"):
            return (m.AddrCond(fieldname, (self._addr_mask(toks[0].value, toks[1].value, toks[0].column,
                                                           toks[1].column),)),)
        if d == "addr_prefix":
            return (m.AddrCond(fieldname, (self._prefix(toks[0].value, toks[0].column),)),)
        if d == "addr_object":
            ranges, opq = self._net_object_set(toks[1].value, toks[1].column)
            return self._shared(("obj", fieldname, toks[1].value), lambda: self._addr_conds(fieldname, ranges, opq))
        if d == "addr_group":
            self._group(toks[1].value, toks[1].column, ("network",), "an address")
            ranges, opq = self._net_group(toks[1].value, toks[1].column)
            return self._shared(("grp", fieldname, toks[1].value), lambda: self._addr_conds(fieldname, ranges, opq))
        # addr_interface
        name = toks[1].value
        side = "source" if fieldname == m.SRC else "destination"
        notes.append((toks[0].column, "approximate",
                      f"`interface {name}`: the addresses of interface {name} (the ASA itself); matched as an "
                      f"unknown condition"))
        return (m.Opaque(f"{fieldname} interface {name}", f"{side} is an address of interface {name}"),)

    def _ace_port(self, t: Tree, fieldname: str, proto: _Proto, line: _Line) -> m.IntCond:
        toks = _toks(t)
        col = toks[0].column
        if proto.kind == "service":
            raise _Drop(col, "error", "invalid", f"ports cannot follow a service ({proto.text}): the service names them")
        if proto.kind == "any" or not set(proto.protos) <= {6, 17, 132}:
            raise _Drop(col, "error", "invalid",
                        f"ports need protocol tcp, udp or sctp, not {proto.text or 'ip'}")
        pnames = tuple({6: "tcp", 17: "udp", 132: "sctp"}[p] for p in proto.protos)
        if t.data == "port_group":
            name = toks[1].value
            g = self._group(name, toks[1].column, ("port",), "a port")
            if g.proto != "tcp-udp" and any(p in ("tcp", "udp") and p != g.proto for p in pnames):
                raise _Drop(toks[1].column, "error", "invalid",
                            f"object-group {name} is a {g.proto} port group: it cannot be used with {'/'.join(pnames)}")
            ranges = self._port_group(name, toks[1].column)
            return self._shared(("ports", fieldname, name), lambda: m.IntCond(fieldname, ranges))
        op = t.data[len("port_"):]
        vals = [self._port(x.value, x.column, pnames, line) for x in toks[1:]]
        return self._port_cond(fieldname, op, vals, col)

    def _ace_icmp(self, t: Tree, proto: _Proto) -> m.IntCond:
        toks = _toks(t)
        if proto.kind != "protos" or proto.protos not in ((1,), (58,)):
            raise _Drop(toks[0].column, "error", "invalid",
                        f"{toks[0].value!r}: an ICMP type needs protocol icmp or icmp6, not {proto.text or 'ip'}")
        v6 = proto.protos == (58,)
        if t.data == "icmp_group":
            self._group(toks[1].value, toks[1].column, ("icmp-type",), "ICMP types")
            return m.IntCond(m.ICMP, self._icmp_group(toks[1].value, v6, toks[1].column))
        ty = self._icmp_value(toks[0].value, toks[0].column, v6)
        lo, hi = 0, 255
        if len(toks) > 1:
            code = read_int(toks[1].value)
            if code > 255:
                raise _Drop(toks[1].column, "error", "invalid", f"ICMP code {code} is out of range (0-255)")
            lo = hi = code
        return m.IntCond(m.ICMP, (((ty << 8) | lo, (ty << 8) | hi),))

    # -- one filter per access-list

    def _acl_filter(self, acl: _Acl) -> m.Filter:
        rules: list[m.Rule] = [m.Rule(STATE_MATCH, m.Action("accept"), acl.origin, 0, comment=STATE_COMMENT, synthetic=True)]
        remarks: list[str] = []
        for e in acl.entries:
            line = e.line
            if e.kind == "remark":
                remarks.append(line.rest(e.start))
                continue
            try:
                action, conds, inactive, notes = self._entry(line, e.start, e.typ, e.show)
            except _Drop as d:
                if d.code == "undefined-reference" and e.expansions:
                    got = self._from_expansions(e, d)
                    if got is None:
                        remarks = []
                        continue
                    action, conds, inactive, notes = got
                else:
                    d.construct = d.construct or "access-list"
                    self.drop(line, d)
                    remarks = []
                    continue
            effects = tuple(msg for _col, code, msg in notes if code == "effect")
            for col, code, msg in notes:
                if code != "effect":
                    self.diag(line, col, "note", code, msg, "access-list")
            if inactive:
                self.diag(line, line.indent + 1, "note", "inactive",
                          f"inactive entry of access-list {acl.name}: it does not filter", "access-list")
                remarks = []
                continue
            word = "permit" if action == "accept" else "deny"
            rules.append(m.Rule(m.Match(conds), m.Action(action, detail=word), self.origin(line), len(rules),
                                comment=" ".join(remarks), effects=effects))
            remarks = []
        self.acl_rules[acl.name] = rules[1:]
        return m.Filter(acl.name, tuple(rules), m.Action("drop"), "first-match", "", False, None, acl.origin)

    def _from_expansions(self, e: _Entry, why: _Drop) -> tuple | None:
        """`show access-list` prints an entry with an object-group followed by its expansion: an
        entry that names a group this file does not define is read from the expansion."""
        alts = []
        action = None
        for x in e.expansions:
            w = [t.lower() for t in x.words]
            k = 4 if len(w) > 3 and w[2] == "line" else 2
            if k < len(w) and w[k] in ("extended", "standard"):
                k += 1
            try:
                act, conds, _inactive, _notes = self._entry(x, k, e.typ, True)
            except _Drop as d:
                self.drop(x, d)
                self.drop(e.line, why)
                return None
            action = action or act
            alts.append(tuple(conds))
        self.diag(e.line, why.col, "note", "approximate",
                  f"{why.message}: read from the {len(alts)} expansion line(s) that `show access-list` prints "
                  f"below the entry", "access-list")
        return action, _alts_conds(_merge_alternatives(alts)), False, []


# --------------------------------------------------------------------------- converter: the device


def _reindex(r: m.Rule, i: int) -> m.Rule:
    return r if r.index == i else dataclasses.replace(r, index=i)


class _Device(_Entries):
    def finish(self) -> tuple[list[m.Filter], list[m.Binding], list[m.Interface], list[m.Alteration]]:
        for g in list(self.groups.values()):
            self._validate_group(g)
        filters = [self._acl_filter(self.acls[n]) for n in dict.fromkeys(self.acl_order) if n in self.acls]
        by_name = {f.name: f for f in filters}
        ifaces = self._interfaces()
        bindings, in_filters = self._bindings(by_name, ifaces)
        alterations = self._nat_alterations() + self._inspect_alterations() + self._mss_alterations()
        self._unused(bindings)
        model_ifaces = [m.Interface(i.nameif, tuple(i.addresses), None, i.level) for i in ifaces]  # type: ignore[arg-type]
        return filters + in_filters, bindings, model_ifaces, alterations

    # -- interfaces and security levels

    def _interfaces(self) -> list[_Iface]:
        named: list[_Iface] = []
        seen: dict[str, _Iface] = {}
        for i in self.ifaces:
            if not i.nameif:
                continue
            if i.nameif in seen:
                o = i.nameif_origin
                self.diag(o.line if o else 1, o.column if o else 1, "error", "redefined",
                          f"nameif {i.nameif} is already the name of interface {seen[i.nameif].hw}: the ASA "
                          f"refuses a second one", "nameif")
                continue
            seen[i.nameif] = i
            if i.level is None:
                # the ASA's default: 100 for a nameif of "inside", 0 for any other
                i.level = 100 if i.nameif.lower() == "inside" else 0
                i.level_origin = i.nameif_origin
            named.append(i)
        for nameif, addr, line in self.pending_ip:
            i = seen.get(nameif)
            words = addr.split()
            bits = _mask_bits(words[1]) if len(words) == 2 else None
            if i is None:
                self.diag(line, line.col(2), "error", "undefined-reference",
                          f"ip address: no interface is named {nameif}", "nameif")
            elif bits is None or not _IPV4_RE.match(words[0]):
                self.diag(line, line.col(3), "error", "invalid", f"ip address: {addr} is not an address and a netmask",
                          "interface")
            else:
                i.addresses.append(f"{words[0]}/{bits}")
        return named

    def _bindings(self, filters: dict[str, m.Filter], ifaces: list[_Iface]) -> tuple[list[m.Binding], list[m.Filter]]:
        nameifs = {i.nameif for i in ifaces}
        last: dict[tuple, _AccessGroup] = {}
        for ag in self.access_groups:
            acl = self.acls.get(ag.acl)
            if acl is None:
                self.diag(ag.origin.line, ag.origin.column, "error", "undefined-reference",
                          f"access-list {ag.acl} is not defined: the ASA refuses this access-group", "access-group")
                continue
            acl.used = True
            if ag.iface is not None and nameifs and ag.iface not in nameifs:
                self.diag(ag.origin.line, ag.origin.column, "error", "undefined-reference",
                          f"no interface has nameif {ag.iface}", "access-group")
            if ag.hook != "global" and acl.kind == "standard":
                self.diag(ag.origin.line, ag.origin.column, "error", "invalid",
                          f"access-list {ag.acl} is a standard ACL: the ASA refuses it in an access-group",
                          "access-group")
                continue
            key = (ag.hook, ag.iface, acl.kind == "ipv6")
            if key in last:
                old = last[key]
                self.diag(old.origin.line, old.origin.column, "note", "replaced",
                          f"this access-group is replaced by the one on line {ag.origin.line} "
                          f"(access-list {ag.acl})", "access-group")
            last[key] = ag
        self.applied = {ag.acl for ag in last.values()}
        bindings: list[m.Binding] = []
        out_filters: list[m.Filter] = []
        glob = [ag for k, ag in last.items() if k[0] == "global"]
        glob_rules = [r for ag in glob for r in self.acl_rules.get(ag.acl, [])]
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
                    else m.Origin(self.path, 1, 1, "")
            rules = [m.Rule(STATE_MATCH, m.Action("accept"), origin, 0, comment=STATE_COMMENT, synthetic=True)]
            for ag in ins:
                rules.extend(self.acl_rules.get(ag.acl, []))
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

    def _implicit_permits(self, iface: _Iface, ifaces: list[_Iface]) -> list[m.Rule]:
        out = []
        level = iface.level if iface.level is not None else 0
        origin = iface.level_origin or iface.nameif_origin or iface.origin
        lower = tuple(i.nameif for i in ifaces if i.level is not None and i.level < level)  # type: ignore[misc]
        if lower:
            out.append(m.Rule(m.Match((m.IfaceCond(m.OUT_IFACE, lower),)), m.Action("accept", detail="implicit permit"),
                              origin, comment=f"security levels: from {iface.nameif} ({level}) to interfaces of "
                                              f"lower security level (no inbound access-group)", synthetic=True))
        if self.same_inter is not None:
            equal = tuple(i.nameif for i in ifaces if i.level == level and i is not iface)  # type: ignore[misc]
            if equal:
                out.append(m.Rule(m.Match((m.IfaceCond(m.OUT_IFACE, equal),)),
                                  m.Action("accept", detail="implicit permit"), self.same_inter,
                                  comment=f"same-security-traffic permit inter-interface: from {iface.nameif} to "
                                          f"interfaces of the same security level ({level})", synthetic=True))
        if self.same_intra is not None:
            out.append(m.Rule(m.Match((m.IfaceCond(m.OUT_IFACE, (iface.nameif,)),)),  # type: ignore[arg-type]
                              m.Action("accept", detail="implicit permit"), self.same_intra,
                              comment=f"same-security-traffic permit intra-interface: back out of {iface.nameif}",
                              synthetic=True))
        return out

    # -- NAT

    def _iface_pair(self, word: str, col: int) -> tuple[str, str]:
        mo = re.fullmatch(r"\(([^,()]+),([^,()]+)\)", word)
        if mo is None:
            raise _Drop(col, "error", "syntax", f"expected (REAL_IF,MAPPED_IF), not {word!r}")
        return mo.group(1), mo.group(2)

    def _check_iface(self, name: str, line: _Line, col: int) -> None:
        known = {i.nameif for i in self.ifaces if i.nameif}
        if name != "any" and known and name not in known:
            self.diag(line, col, "error", "undefined-reference", f"no interface has nameif {name}", "nat")

    def _iface_conds(self, real: str | None, mapped: str | None, line: _Line, col: int) -> list:
        conds: list = []
        for fieldname, name in ((m.IN_IFACE, real), (m.OUT_IFACE, mapped)):
            if name is not None and name != "any":
                self._check_iface(name, line, col)
                conds.append(m.IfaceCond(fieldname, (name,)))
        return conds

    def _net_ref(self, word: str, col: int) -> tuple[list, list] | None:
        """An object or object-group of addresses named in NAT (None: any)."""
        if word.lower() == "any":
            return None
        if word in self.groups:
            self._group(word, col, ("network",), "addresses")
            r, o = self._net_group(word, col)
            return list(r), list(o)
        if word in self.net_objs or word in self.svc_objs:
            return self._net_object_set(word, col)
        raise _Drop(col, "error", "undefined-reference", f"object network {word} is not defined", "nat")

    def _mapped(self, w: list[str], i: int, line: _Line) -> tuple[str, int]:
        """The mapped side of a NAT statement: an object, a group, an address, interface, pat-pool."""
        if i >= len(w):
            raise _Drop(line.col(len(w) - 1), "error", "syntax", "the mapped address is missing")
        x = w[i]
        if x.lower() == "pat-pool":
            if i + 1 >= len(w):
                raise _Drop(line.col(i), "error", "syntax", "pat-pool: the pool is missing")
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

    def _nat_alterations(self) -> list[m.Alteration]:
        out: list[m.Alteration] = []
        pools: dict[str, list[tuple[str, str, _Line]]] = {}
        for gid, ifc, pool, line in self.globals_:
            pools.setdefault(gid, []).append((ifc, pool, line))
        used_ids: set[str] = set()
        for form, line, obj in self.nats:
            try:
                if form == "object":
                    a = self._object_nat(line, obj or "")
                elif form == "twice":
                    a = self._twice_nat(line)
                elif form == "legacy":
                    a = self._legacy_nat(line, pools, used_ids)
                else:
                    a = self._legacy_static(line)
            except _Drop as d:
                d.construct = d.construct or ("static" if form == "static" else "nat")
                self.drop(line, d)
                continue
            if a is not None:
                out.append(a)
        for gid, entries in pools.items():
            if gid not in used_ids:
                for ifc, pool, line in entries:
                    self.diag(line, line.indent + 1, "note", "unused",
                              f"global pool {gid} on {ifc}: no `nat (IF) {gid}` uses it", "global")
        return out

    def _object_nat(self, line: _Line, obj_name: str) -> m.Alteration | None:
        w = line.words
        i = 1
        real = mapped_if = None
        if i < len(w) and w[i].startswith("("):
            real, mapped_if = self._iface_pair(w[i], line.col(i))
            i += 1
        if i >= len(w) or w[i].lower() not in ("static", "dynamic"):
            raise _Drop(line.col(min(i, len(w) - 1)), "error", "syntax", "nat: expected static or dynamic")
        typ = w[i].lower()
        mapped, i = self._mapped(w, i + 1, line)
        conds: list = []
        ranges, opq = self._net_object_set(obj_name, line.col(0))
        conds.extend(self._addr_conds(m.SRC, ranges, opq))
        conds.extend(self._iface_conds(real, mapped_if, line, line.col(1)))
        extra = [x.lower() for x in w[i:]]
        if "service" in extra:
            k = i + extra.index("service")
            if k + 2 >= len(w) or w[k + 1].lower() not in ("tcp", "udp", "sctp"):
                raise _Drop(line.col(k), "error", "syntax", "service: expected PROTOCOL REAL_PORT MAPPED_PORT")
            pn = w[k + 1].lower()
            port = self._port(w[k + 2], line.col(k + 2), (pn,), line)
            conds.append(_proto_cond((ASA_PROTOCOLS[pn],)))
            conds.append(m.IntCond(m.SPORT, ((port, port),)))
        params = (("form", "object"), ("type", typ), ("object", obj_name), ("real", obj_name), ("mapped", mapped),
                  ("real_interface", real or "any"), ("mapped_interface", mapped_if or "any"))
        return m.Alteration("nat", m.Match(tuple(conds)), self.origin(line), "in", params=params,
                            description=line.text.strip())

    def _twice_nat(self, line: _Line) -> m.Alteration | None:
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
            raise _Drop(line.col(min(i, len(w) - 1)), "error", "syntax",
                        "nat: expected `source static|dynamic REAL MAPPED` (twice NAT) or an object NAT")
        typ = lw[i + 1]
        if i + 2 >= len(w):
            raise _Drop(line.col(len(w) - 1), "error", "syntax", "nat: the real source is missing")
        real_src = w[i + 2]
        conds: list = []
        got = self._net_ref(real_src, line.col(i + 2))
        if got is not None:
            conds.extend(self._addr_conds(m.SRC, *got))
        mapped, i = self._mapped(w, i + 3, line)
        params = [("form", "twice"), ("type", typ), ("real", real_src), ("mapped", mapped)]
        while i < len(w):
            k = lw[i]
            if k == "destination":
                if i + 3 >= len(w) or lw[i + 1] != "static":
                    raise _Drop(line.col(i), "error", "syntax", "destination: expected `static MAPPED REAL`")
                dm, dr = w[i + 2], w[i + 3]
                if dm.lower() == "interface":
                    # `interface`: the address of the real interface, where the packets come in
                    conds.append(m.Opaque(f"{m.DST} interface {real}", f"destination is an address of interface {real}"))
                else:
                    got = self._net_ref(dm, line.col(i + 2))
                    if got is not None:
                        conds.extend(self._addr_conds(m.DST, *got))
                if dr.lower() != "interface":
                    self._net_ref(dr, line.col(i + 3))
                params += [("destination_mapped", dm), ("destination_real", dr)]
                i += 4
            elif k == "service":
                if i + 2 >= len(w):
                    raise _Drop(line.col(i), "error", "syntax", "service: expected two service objects")
                if lw[i + 1] != "any":
                    conds.extend(_alts_conds(self._svc_object_alts(w[i + 1], line.col(i + 1))))
                if lw[i + 2] != "any":
                    self._svc_object_alts(w[i + 2], line.col(i + 2))
                params += [("service_real", w[i + 1]), ("service_mapped", w[i + 2])]
                i += 3
            elif k == "inactive":
                self.diag(line, line.col(i), "note", "inactive", "inactive NAT rule: it does not translate", "nat")
                return None
            elif k == "pat-pool" and i + 1 < len(w):
                self._net_ref(w[i + 1], line.col(i + 1))
                i += 2
            elif k in ("dns", "unidirectional", "no-proxy-arp", "route-lookup", "interface", "net-to-net", "extended",
                       "flat", "include-reserve", "round-robin", "block-allocation", "ipv6"):
                i += 1
            else:
                raise _Drop(line.col(i), "error", "syntax", f"nat: unexpected {w[i]!r}")
        conds.extend(self._iface_conds(real, mapped_if, line, line.col(1)))
        params += [("real_interface", real or "any"), ("mapped_interface", mapped_if or "any")]
        return m.Alteration("nat", m.Match(tuple(conds)), self.origin(line), "in", params=tuple(params),
                            description=line.text.strip())

    def _acl_match(self, name: str, line: _Line, col: int, what: str) -> tuple:
        acl = self.acls.get(name)
        if acl is None:
            raise _Drop(col, "error", "undefined-reference", f"access-list {name} is not defined", what)
        acl.used = True
        rules = self.acl_rules.get(name, [])
        permits = [r.match for r in rules if r.action.kind == "accept"]
        if any(r.action.kind != "accept" for r in rules):
            self.diag(line, col, "note", "approximate",
                      f"access-list {name} has deny entries: the {what} is modelled as matching its permit "
                      f"entries only", what)
        return _alts_conds(_merge_alternatives([p.conds for p in permits]))

    def _legacy_nat(self, line: _Line, pools: dict, used_ids: set) -> m.Alteration | None:
        """PIX / ASA 8.2: `nat (IF) ID ADDRESS MASK [...]` or `nat (IF) ID access-list ACL [...]`."""
        w = line.words
        ifc = w[1][1:-1]
        gid = w[2]
        conds: list = [m.IfaceCond(m.IN_IFACE, (ifc,))]
        self._check_iface(ifc, line, line.col(1))
        i = 3
        if i < len(w) and w[i].lower() == "access-list":
            if i + 1 >= len(w):
                raise _Drop(line.col(i), "error", "syntax", "access-list: the name is missing")
            conds.extend(self._acl_match(w[i + 1], line, line.col(i + 1), "nat"))
            real = f"access-list {w[i + 1]}"
        elif i + 1 < len(w):
            a, mk = ("0.0.0.0" if w[i] == "0" else w[i]), ("0.0.0.0" if w[i + 1] == "0" else w[i + 1])
            r = self._addr_mask(a, mk, line.col(i), line.col(i + 1))
            if r != (4, 0, MAX4):
                conds.append(m.AddrCond(m.SRC, (r,)))
            real = f"{w[i]} {w[i + 1]}"
        else:
            raise _Drop(line.col(len(w) - 1), "error", "syntax", "nat: expected an address and a mask, or access-list")
        if gid == "0":
            params = (("form", "legacy"), ("type", "exempt" if "access-list" in real else "identity"), ("id", gid),
                      ("real", real), ("real_interface", ifc))
        else:
            used_ids.add(gid)
            targets = pools.get(gid, [])
            if not targets:
                self.diag(line, line.col(2), "note", "approximate",
                          f"nat id {gid} has no `global` pool: these hosts are not translated", "nat")
            else:
                conds.append(m.IfaceCond(m.OUT_IFACE, tuple(dict.fromkeys(t[0] for t in targets))))
            params = (("form", "legacy"), ("type", "dynamic"), ("id", gid), ("real", real),
                      ("mapped", ", ".join(f"{t[0]}:{t[1]}" for t in targets)), ("real_interface", ifc))
        return m.Alteration("nat", m.Match(tuple(conds)), self.origin(line), "in", params=params,
                            description=line.text.strip())

    def _legacy_static(self, line: _Line) -> m.Alteration | None:
        """PIX / ASA 8.2: `static (REAL,MAPPED) [tcp|udp] MAPPED_IP [PORT] REAL_IP|access-list ACL [PORT] [netmask M]`."""
        w = line.words
        lw = [x.lower() for x in w]
        if len(w) < 3:
            raise _Drop(line.col(len(w) - 1), "error", "syntax", "static: incomplete")
        real_if, mapped_if = self._iface_pair(w[1], line.col(1))
        conds: list = self._iface_conds(real_if, mapped_if, line, line.col(1))
        i = 2
        proto = None
        if lw[i] in ("tcp", "udp"):
            proto = lw[i]
            i += 1
        if i >= len(w):
            raise _Drop(line.col(len(w) - 1), "error", "syntax", "static: the mapped address is missing")
        mapped = w[i]
        i += 1
        if proto and i < len(w):
            i += 1  # mapped port
        if i >= len(w):
            raise _Drop(line.col(len(w) - 1), "error", "syntax", "static: the real address is missing")
        if lw[i] == "access-list":
            if i + 1 >= len(w):
                raise _Drop(line.col(i), "error", "syntax", "access-list: the name is missing")
            conds.extend(self._acl_match(w[i + 1], line, line.col(i + 1), "static"))
            real = f"access-list {w[i + 1]}"
            i += 2
            rport = None
        else:
            real = w[i]
            mask = "255.255.255.255"
            if "netmask" in lw[i:]:
                k = lw.index("netmask", i)
                if k + 1 >= len(w):
                    raise _Drop(line.col(k), "error", "syntax", "netmask: the mask is missing")
                mask = w[k + 1]
            conds.append(m.AddrCond(m.SRC, (self._addr_mask(real, mask, line.col(i), line.col(i)),)))
            i += 1
            rport = w[i] if proto and i < len(w) and lw[i] not in ("netmask", "dns", "norandomseq", "tcp", "udp") \
                else None
        if proto and not real.startswith("access-list"):
            conds.insert(0, _proto_cond((6 if proto == "tcp" else 17,)))
            if rport is not None:
                p = self._port(rport, line.col(i), (proto,), line)
                conds.append(m.IntCond(m.SPORT, ((p, p),)))
        params = (("form", "legacy"), ("type", "static"), ("real", real), ("mapped", mapped),
                  ("real_interface", real_if), ("mapped_interface", mapped_if))
        return m.Alteration("nat", m.Match(tuple(conds)), self.origin(line), "in", params=params,
                            description=line.text.strip())

    # -- inspection and MSS

    def _inspect_conds(self, key: str, line: _Line, col: int) -> tuple:
        spec = INSPECT_DEFAULTS.get(key) or INSPECT_DEFAULTS.get(key.split()[0])
        if spec is None:
            self.diag(line, col, "note", "approximate",
                      f"inspect {key}: fwlint does not know the default traffic of this engine; matched as an "
                      f"unknown condition", "inspect")
            return (m.Opaque(f"inspect {key} default traffic", f"default traffic of inspect {key}"),)
        alts = []
        for proto, lo, hi in spec:
            a: tuple = (_proto_cond((proto,)),)
            if lo is not None:
                a += (m.IntCond(m.DPORT, ((lo, hi),)),)
            alts.append(a)
        return _alts_conds(_merge_alternatives(alts))

    def _class_conds(self, cname: str, cline: _Line) -> tuple[bool, list]:
        """(uses default-inspection-traffic, the other conditions of the class)."""
        default = False
        conds: list = []
        for ml in self.class_maps[cname]:
            w = ml.words
            lw = [x.lower() for x in w]
            k = lw[1] if len(w) > 1 else ""
            try:
                if k == "default-inspection-traffic":
                    default = True
                elif k == "any":
                    pass
                elif k == "access-list" and len(w) == 3:
                    conds.extend(self._acl_match(w[2], ml, ml.col(2), "class-map"))
                elif k == "port" and len(w) >= 5 and lw[2] in ("tcp", "udp"):
                    _j, c = self._port_op(ml, 3, m.DPORT, (lw[2],))
                    conds.extend([_proto_cond((6 if lw[2] == "tcp" else 17,)), c])
                else:
                    what = " ".join(w[1:])
                    self.diag(ml, ml.col(1), "note", "approximate",
                              f"class-map {cname}: `match {what}` is matched as an unknown condition", "class-map")
                    conds.append(m.Opaque(f"class-map {cname} match {what}", f"match {what}"))
            except _Drop as d:
                self.drop(ml, d)
                conds.append(m.AnyCond(()))
        return default, conds

    def _inspect_alterations(self) -> list[m.Alteration]:
        out: list[m.Alteration] = []
        for pm, iface, sline in self.service_policies:
            classes = self.policy_maps.get(pm)
            if classes is None:
                self.diag(sline, sline.col(1), "error", "undefined-reference", f"policy-map {pm} is not defined",
                          "service-policy")
                continue
            base: list = []
            if iface is not None:
                self._check_iface(iface, sline, sline.col(3))
                base.append(m.IfaceCond(m.IN_IFACE, (iface,)))
            for cname, cline, actions in classes:
                if cname == "class-default":
                    default, conds = False, []
                elif cname not in self.class_maps:
                    self.diag(cline, cline.col(1), "error", "undefined-reference", f"class-map {cname} is not defined",
                              "policy-map")
                    continue
                else:
                    default, conds = self._class_conds(cname, cline)
                for a in actions:
                    aw = [x.lower() for x in a.words]
                    if len(aw) < 2:
                        self.diag(a, a.col(0), "error", "syntax", "inspect: the engine is missing", "inspect")
                        continue
                    key = aw[1]
                    if len(aw) > 2 and (aw[1], aw[2]) in (("h323", "h225"), ("h323", "ras"), ("icmp", "error")):
                        key = f"{aw[1]} {aw[2]}"
                    match = list(base) + list(conds)
                    if default:
                        match.extend(self._inspect_conds(key, a, a.col(1)))
                    params = (("inspect", key), ("policy-map", pm), ("class", cname),
                              ("service-policy", iface or "global"))
                    out.append(m.Alteration("inspect", m.Match(tuple(match)), self.origin(a), "in", params=params,
                                            description=a.text.strip()))
        for f in self.fixups:
            w = [x.lower() for x in f.words[2:]]
            key = w[0]
            i = 1
            if len(w) > 1 and (w[0], w[1]) in (("h323", "h225"), ("h323", "ras"), ("sip", "udp"), ("icmp", "error")):
                key = f"{w[0]} {w[1]}"
                i = 2
            conds: tuple
            if i < len(w) and re.fullmatch(r"\d+(-\d+)?", w[i]):
                lo, _, hi = w[i].partition("-")
                proto = FIXUP_TRANSPORT.get(key, 6)
                conds = (_proto_cond((proto,)), m.IntCond(m.DPORT, ((read_int(lo), read_int(hi or lo)),)))
            else:
                conds = self._inspect_conds(key.replace("sip udp", "sip"), f, f.col(2))
            params = (("inspect", key), ("fixup", " ".join(f.words[2:])))
            out.append(m.Alteration("inspect", m.Match(conds), self.origin(f), "in", params=params,
                                    description=f.text.strip()))
        return out

    def _mss_alterations(self) -> list[m.Alteration]:
        out = []
        for line in self.mss:
            w = line.words
            params = (("minimum", w[4]),) if w[3].lower() == "minimum" else (("mss", w[3]),)
            out.append(m.Alteration("mss", m.Match((_proto_cond((6,)),)), self.origin(line), "in", params=params,
                                    description=line.text.strip()))
        return out

    # -- what is defined and never used

    def _unused(self, bindings: list[m.Binding]) -> None:
        def note(origin: m.Origin, message: str, construct: str) -> None:
            self.diag(origin.line, origin.column, "note", "unused", message, construct)

        for name in dict.fromkeys(self.acl_order):
            acl = self.acls.get(name)
            if acl is None or name in self.applied or name in self.other_words:
                continue
            if acl.used:
                if any(ag.acl == name for ag in self.access_groups):
                    note(acl.origin, f"access-list {name} is not applied: each of its access-groups is replaced "
                                     f"by a later one", "access-list")
                continue
            note(acl.origin, f"access-list {name} is never applied (no access-group or other feature uses it)",
                 "access-list")
        for obj in self.net_objs.values():
            if not obj.used and obj.name not in self.other_words and not any(
                    n[0] == "object" and n[2] == obj.name for n in self.nats):
                note(obj.origin, f"object network {obj.name} is never used", "object network")
        for sobj in self.svc_objs.values():
            if not sobj.used and sobj.name not in self.other_words:
                note(sobj.origin, f"object service {sobj.name} is never used", "object service")
        for g in self.groups.values():
            if not g.used and g.name not in self.other_words:
                kind = "service" if g.kind == "port" else g.kind
                note(g.origin, f"object-group {kind} {g.name} is never used", f"object-group {kind}")


# --------------------------------------------------------------------------- entry points


def _decode(data: bytes, conv: _Device) -> str | None:
    if b"\x00" in data[:65536]:
        conv.lines = [""]
        conv.diag(1, 1, "error", "binary", "this is not a text file (it contains NUL bytes): nothing is read", "file")
        return None
    text, bad = decode_utf8(data)
    if not bad:
        return text
    conv.lines = [t.rstrip("\r") for t in text.split("\n")]
    for b in bad:
        conv.diag(b.line, b.column, "warning", "encoding", f"byte 0x{b.byte:02x} is not UTF-8 (read as U+FFFD)",
                  "file", understood=True)
    return text


def _run(path: str, data: bytes) -> tuple[_Device, list, list, list, list]:
    conv = _Device(path)
    text = _decode(data, conv)
    if text is None:
        n = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
        conv.bad.update(range(1, n + 1))
        conv.lines = [""] * n
        return conv, [], [], [], []
    try:
        conv.run(text)
        filters, bindings, ifaces, alterations = conv.finish()
    except Exception as e:  # never raise on input
        conv.diag(1, 1, "error", "internal", f"could not read this file: {type(e).__name__}: {e}", "file")
        return conv, [], [], [], []
    return conv, filters, bindings, ifaces, alterations


def parse(path: str, data: bytes, family: int | None = None) -> m.Device:
    """Parse a Cisco ASA / PIX / FWSM configuration into a Device (see the module docstring)."""
    conv, filters, bindings, ifaces, alterations = _run(path, data)
    n = len(conv.lines)
    if not conv.cat and not conv.diags:
        conv.diag(1, 1, "note", "empty", "no command in this file: nothing to analyse", "file")
    elif not filters and conv.cat:
        # objects, NAT, management commands, interfaces without a nameif: a valid
        # configuration, whose device passes no traffic (an interface without a nameif
        # passes none)
        conv.diag(1, 1, "note", "empty", "no access list and no interface with a nameif in this file: "
                  "the ASA passes no traffic through it; nothing to analyse", "file")
    bad = {ln for ln in conv.bad if 1 <= ln <= n}
    diags = sorted(conv.diags, key=lambda d: (d.origin.line, d.origin.column))
    return m.Device(
        name=conv.hostname or os.path.basename(path),
        platform=PLATFORM,
        sources=(path,),
        filters=tuple(filters),
        bindings=tuple(bindings),
        interfaces=tuple(ifaces),
        alterations=tuple(alterations),
        diagnostics=tuple(diags),
        stats=(m.FileStats(path, n, n - len(bad)),),
        family=None,
        routes=tuple(conv.routes),
    )


def relevance(path: str, data: bytes) -> dict:
    """How the lines of a file were read: `lines`; `blank` (empty or comments); `relevant` (they
    concern filtering: access lists, objects, interfaces' names and levels, NAT, inspection) and,
    of those, `relevant_understood` (no warning or error on them); `not_relevant` (routing, AAA,
    logging, management access, ...: understood, not modelled); `unknown` (not recognised)."""
    conv = _run(path, data)[0]
    n = len(conv.lines)
    counts = {"lines": n, "blank": 0, "relevant": 0, "relevant_understood": 0, "not_relevant": 0, "unknown": 0}
    for no in range(1, n + 1):
        cat = conv.cat.get(no)
        if cat is None:
            if no in conv.bad:
                counts["unknown"] += 1
            else:
                counts["blank"] += 1
        elif cat == "relevant":
            counts["relevant"] += 1
            if no not in conv.bad:
                counts["relevant_understood"] += 1
        elif cat == "other":
            counts["not_relevant"] += 1
        else:
            counts["unknown"] += 1
    return counts
