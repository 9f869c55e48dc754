"""Cisco IOS running-config (and IOS config scripts) -> the normalized model.

Layer: platform (parser + converter). Reads `grammars/cisco_ios.lark` (LALR, one access-control
entry per parse) and produces a `linter.model.Device`; nothing to the right of the model
imports this module.

How a file is read:

1. The bytes are decoded (UTF-8, UTF-16 with or without a byte-order mark, else UTF-8 with
   each bad byte reported); CRLF and CR line endings are accepted.
2. ciscoconfparse gives the block structure (which line belongs to which `interface`,
   `ip access-list`, `object-group`, `class-map`, `policy-map`, banner, ...). Its loguru
   logging is disabled so that nothing reaches stdout or stderr.
3. The lines are read in order, as IOS applies a configuration script: `no ip access-list`
   deletes, re-entering `ip access-list extended X` appends, a second `ip access-group` on an
   interface replaces the first, entries written flush left after an ACL header still belong
   to it (IOS stays in the ACL mode until a global command).
4. Each access-control entry is tokenized here and parsed by the LALR grammar; object-groups,
   ACL references, zones and NAT are resolved at the end of the file.

Conventions (docs/cisco-ios-support.md has the support table):

- One first-match `Filter` per IP access list (numbered or named; `ipv6 access-list` gives a
  family-6 filter), default drop (the implicit deny), rules in sequence-number order. An ACL
  without entries permits everything when applied, so its default is accept.
- `ip access-group NAME in|out` / `ipv6 traffic-filter NAME in|out` -> `Binding(NAME, dir,
  interface)`. IOS ACLs are stateless: nothing is added for replies.
- Zone-based firewall: one filter per zone-pair (`zone-pair NAME`) and one per zone
  (`zone Z`, and `zone (none)` for interfaces outside every zone) that carries the rules
  between zones (intra-zone traffic passes, traffic to a zone without a zone-pair or between
  a zone member and a non-member is dropped); see `_Zbf`.
- NAT and `ip tcp adjust-mss` are `Alteration`s.
- Lines that do not concern filtering (routing, AAA, crypto, logging, SNMP, lines, banners,
  QoS, ...) are understood as "not relevant"; `relevance()` counts them apart. Every
  construct that concerns filtering and is not modelled exactly has a located Diagnostic:
  note for approximations, warning for unsupported, error for invalid input.
"""

from __future__ import annotations

import dataclasses
import gc
import ipaddress
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterator

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedInput, UnexpectedToken
from lark.lexer import Lexer

from .. import model as m
from ..names import read_int
from ..limits import MAX_CLASS_MAP_DEPTH, MAX_NESTED_GROUP_MEMBERS, MAX_OBJECT_GROUP_DEPTH
from ..ranges import merge, merge3
from ._text import decode_utf8
from .. import names
from .. import parsers
from .detection import cisco_ios as detect  # noqa: F401 - each platform's `detect`

__all__ = ["PLATFORM", "detect", "parse", "relevance"]

PLATFORM = "cisco-ios"

MAX_WILDCARD_RANGES = 256  # non-contiguous wildcards expand to at most this many ranges
MAX_PREDICATE_CONDS = 20000  # an ACL used as a match (class-map, NAT) larger than this is opaque

# --------------------------------------------------------------------------- vocabulary

# IOS protocol keywords (None = every protocol)
_PROTO4 = {"ip": None, "ahp": 51, "eigrp": 88, "esp": 50, "gre": 47, "icmp": 1, "igmp": 2, "ipinip": 4,
           "nos": 94, "ospf": 89, "pcp": 108, "pim": 103, "tcp": 6, "udp": 17, "sctp": 132}
_PROTO6 = {"ipv6": None, "ahp": 51, "esp": 50, "hbh": 0, "icmp": 58, "pcp": 108, "sctp": 132,
           "tcp": 6, "udp": 17}
_PORT_PROTOS = frozenset({6, 17, 132})

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
_V6_OPTIONS = {"routing": False, "routing-type": True, "hbh": False, "dest-option": False, "dest-option-type": True,
               "mobility": False, "mobility-type": True, "flow-label": True, "undetermined-transport": False,
               "authen": False, "doh": False}
_FLAG_BITS = {"fin": 0x01, "syn": 0x02, "rst": 0x04, "psh": 0x08, "ack": 0x10, "urg": 0x20}

# Default Port-to-Application Mapping for `match protocol` in inspect class-maps
_PAM = {
    "http": ((6,), 80), "https": ((6,), 443), "ftp": ((6,), 21), "smtp": ((6,), 25), "esmtp": ((6,), 25),
    "ssh": ((6,), 22), "telnet": ((6,), 23), "pop3": ((6,), 110), "pop3s": ((6,), 995), "imap": ((6,), 143),
    "imaps": ((6,), 993), "dns": ((6, 17), 53), "ntp": ((17,), 123), "snmp": ((17,), 161),
    "tftp": ((17,), 69), "sip": ((6, 17), 5060), "h323": ((6,), 1720), "ldap": ((6,), 389),
    "ldaps": ((6,), 636), "bgp": ((6,), 179), "isakmp": ((17,), 500), "syslog": ((17,), 514),
    "rtsp": ((6,), 554), "sqlnet": ((6,), 1521), "ms-sql": ((6,), 1433), "mysql": ((6,), 3306),
    "kerberos": ((6, 17), 88), "netbios-ns": ((17,), 137), "netbios-dgm": ((17,), 138),
    "netbios-ssn": ((6,), 139), "cifs": ((6,), 445),
}
_L4_PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "gre": 47, "esp": 50, "ah": 51, "ipv6-icmp": 58}

# --------------------------------------------------------------------------- tokens and grammar

_KEYWORDS = {
    "permit": "PERMIT", "deny": "DENY", "any": "ANY", "host": "HOST", "object-group": "OBJECT_GROUP",
    "eq": "EQ", "neq": "NEQ", "lt": "LT", "gt": "GT", "range": "RANGE", "established": "ESTABLISHED",
    "log": "LOG", "log-input": "LOG_INPUT", "fragments": "FRAGMENTS", "time-range": "TIME_RANGE",
    "dscp": "DSCP", "precedence": "PRECEDENCE", "tos": "TOS", "ttl": "TTL", "option": "OPTION",
    "match-any": "MATCH_ANY", "match-all": "MATCH_ALL", "reflect": "REFLECT", "timeout": "TIMEOUT",
    "packet-length": "PACKET_LENGTH",
    "ack": "FLAG", "fin": "FLAG", "psh": "FLAG", "rst": "FLAG", "syn": "FLAG", "urg": "FLAG",
}
_IPV4_RE = re.compile(r"\d+\.\d+\.\d+\.\d+\Z")
_IPV6_RE = re.compile(r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\Z")
_IPV6_PREFIX_RE = re.compile(r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*/\d+\Z")
_SFLAG_RE = re.compile(r"[+-](?:ack|fin|psh|rst|syn|urg)\Z", re.I)

_TOKEN_NAMES = {
    "PERMIT": "permit", "DENY": "deny", "IPV4": "an IPv4 address", "IPV6": "an IPv6 address",
    "IPV6_PREFIX": "an IPv6 prefix", "NUMBER": "a number", "WORD": "a word", "ANY": "any", "HOST": "host",
    "OBJECT_GROUP": "object-group", "$END": "the end of the line",
}


@dataclass(frozen=True)
class _Tok:
    type: str
    value: str
    col: int


@lru_cache(maxsize=65536)
def _classify(word: str) -> str:
    kw = _KEYWORDS.get(word.lower())
    if kw:
        return kw
    if word.isdigit():
        return "NUMBER"
    if _IPV4_RE.match(word):
        return "IPV4"
    if _SFLAG_RE.match(word):
        return "SFLAG"
    if ":" in word:
        if _IPV6_PREFIX_RE.match(word):
            return "IPV6_PREFIX"
        if _IPV6_RE.match(word):
            return "IPV6"
    return "WORD"


def _tokens(words: list[tuple[str, int]]) -> list[_Tok]:
    return [_Tok(_classify(w), w, c) for w, c in words]


class _TokLexer(Lexer):
    """Feeds the parser an entry's token types; a token's start_pos is its index."""

    def __init__(self, lexer_conf) -> None:  # noqa: D401 - lark interface
        pass

    def lex(self, data) -> Iterator[Token]:  # type: ignore[override]
        for i, typ in enumerate(data):
            yield Token(typ, typ, start_pos=i)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return parsers.lalr("cisco_ios.lark", lexer=_TokLexer, start=["ext_ace", "std_ace"])


@lru_cache(maxsize=16384)
def _template(start: str, types: tuple[str, ...]) -> tuple:
    """Parse one entry's token types (the LALR parse depends on nothing else) into a template
    of token indices: ("ok", template) or ("error", index of the offending token, expected)."""
    try:
        tree = _parser().parse(types, start=start)
    except UnexpectedToken as e:
        idx = e.token.start_pos if isinstance(e.token.start_pos, int) else len(types)
        if e.token.type == "$END":
            idx = len(types)
        expected = sorted(_TOKEN_NAMES.get(t, t.lower().replace("_", "-")) for t in (e.expected or ()))
        return ("error", idx, ", ".join(expected[:8]))
    except (UnexpectedInput, LarkError) as e:  # pragma: no cover - the lexer never fails
        return ("error", len(types), str(e))
    return ("ok", _tree_template(tree, start == "std_ace"))


def _tree_template(tree: Tree, std: bool) -> tuple:
    def idx(t: Token) -> int:
        return t.start_pos  # type: ignore[return-value]

    def leaves(node) -> list[int]:
        return [idx(t) for t in node.scan_values(lambda v: isinstance(v, Token))]

    def addr(node: Tree) -> tuple:
        ch = node.children
        d = node.data
        if d == "addr_any":
            return ("any",)
        if d in ("addr_host", "addr_group"):
            return (d[5:], idx(ch[1]))
        if d == "addr_wild":
            return ("wild", idx(ch[0]), idx(ch[1]))
        return (d[5:], idx(ch[0]))  # bare, prefix

    kids = tree.children
    action = kids[0].children[0].type
    i = 1
    proto = None
    if not std:
        p = kids[1]
        i = 2
        if p.data == "proto_group":
            proto = ("group", idx(p.children[1]), idx(p.children[0]))
        else:
            proto = ("name" if p.data == "proto_name" else "number", idx(p.children[0]))
    src = addr(kids[i])
    i += 1
    sport = dst = dport = None
    if not std:
        if kids[i].data.startswith("port_"):
            sport = leaves(kids[i])
            i += 1
        dst = addr(kids[i])
        i += 1
        if i < len(kids) and kids[i].data.startswith("port_"):
            dport = leaves(kids[i])
            i += 1
    items = []
    for node in kids[i:]:
        ts = leaves(node)
        if node.data in ("value", "flag"):
            items.append((node.data, ts, ts[0]))
        else:
            items.append((node.data, ts[1:], ts[0]))
    return (action, proto, src, sport, dst, dport, tuple(items))


# --------------------------------------------------------------------------- intermediate form


@dataclass
class _Spec:
    """An access-control entry as written (before object-groups and names are resolved)."""

    std: bool
    action: str  # accept / drop
    proto: tuple | None  # ("name", text, col) | ("number", text, col) | ("group", name, col)
    src: tuple
    sport: tuple | None  # (op, [(text, col)], col)
    dst: tuple | None
    dport: tuple | None
    items: list  # (kind, [(text, col)], col)


@dataclass
class _Ace:
    seq: int
    line: int
    col: int
    text: str
    action: str
    spec: _Spec | None = None
    remark: str = ""
    kind: str = "ace"  # ace / evaluate
    dynamic: str = ""
    evaluate: str = ""
    words: tuple = ()  # the entry's words (for `no <entry>`)


def _effects(e: _Ace) -> tuple[str, ...]:
    """What an entry does besides deciding: `log` or `log-input`, a syslog message per
    match (both "log")."""
    if e.spec is None:
        return ()
    return ("log",) if any(kind == "log" for kind, _vals, _col in e.spec.items) else ()


@dataclass
class _Acl:
    name: str
    family: int
    kind: str  # standard / extended
    line: int
    text: str
    numbered: bool
    entries: list = field(default_factory=list)
    pending: list = field(default_factory=list)  # remarks waiting for their entry
    seqs: set = field(default_factory=set)  # the sequence numbers in use
    max_seq: int = 0
    filter_name: str = ""


@dataclass
class _Group:
    name: str
    kind: str  # network / service / protocol / port
    line: int
    text: str
    items: list = field(default_factory=list)


@dataclass
class _Iface:
    name: str
    line: int
    text: str
    addresses: list = field(default_factory=list)
    access: dict = field(default_factory=dict)  # (family, dir) -> (acl, line, col, text)
    zone: tuple | None = None  # (name, line, col)
    nat: str | None = None
    mss: list = field(default_factory=list)  # (family, value, line, text)


@dataclass
class _ClassMap:
    name: str
    how: str  # match-all / match-any
    line: int
    text: str
    matches: list = field(default_factory=list)  # (kind, value, line, col, text, negated)


@dataclass
class _PolicyMap:
    name: str
    line: int
    text: str
    classes: list = field(default_factory=list)  # dict(name, line, col, text, action, aline, atext)


@dataclass
class _ZonePair:
    name: str
    src: str
    dst: str
    line: int
    text: str
    cols: tuple  # columns of the source and destination zone names
    policy: tuple | None = None  # (name, line, col, text)


# --------------------------------------------------------------------------- nesting by name


@dataclass
class _Resolved:
    value: object
    height: int  # the longest chain of nested references below it (0: it includes nothing)


@dataclass
class _Refused:
    code: str  # nesting-limit | expansion-limit
    line: int  # where the limit is crossed (reported there)


@dataclass
class _Frame:
    name: str
    entries: list
    via: object = None  # the entry of the including one that names this one
    index: int = 0
    parts: list = field(default_factory=list)
    height: int = 0
    refused: _Refused | None = None


class _NestedReader:
    """Things that include each other by name (object-groups through `group-object`, class-maps
    through `match class-map`): each is resolved once, the included ones first, with an
    explicit stack, not recursion (an attacker's configuration can nest thousands deep). A
    reference that closes a cycle is reported and left out; one that would nest deeper than
    `limit`, or copy more than `budget` members from included ones (summed over the file), is
    reported once, and everything that includes it is refused (`_Refused`)."""

    def __init__(self, limit: int, budget: int) -> None:
        self.limit = limit
        self.budget = budget
        self.copied = 0  # members taken from included ones so far
        self.done: dict[str, _Resolved | _Refused] = {}

    # -- what a subclass says

    def entries(self, name: str) -> list:
        raise NotImplementedError

    def nested(self, name: str, entry) -> str | None:
        """The defined name an entry includes, None for any other entry (or a bad reference,
        reported here)."""
        raise NotImplementedError

    def part(self, name: str, entry):
        """What an entry that includes nothing gives (None: nothing)."""
        raise NotImplementedError

    def included(self, entry, value):
        """What an entry that includes a resolved one gives."""
        return value

    def cycle(self, name: str, entry):
        """Report an entry that closes a cycle; what it gives (None: nothing)."""
        raise NotImplementedError

    def too_deep(self, name: str, entry) -> int:
        """Report an entry that crosses the depth limit; its line."""
        raise NotImplementedError

    def too_large(self, name: str, entry, size: int) -> int:
        """Report an entry whose included value (of `size` members) crosses the budget; its line."""
        raise NotImplementedError

    @staticmethod
    def size(value) -> int:
        return len(value)

    def combine(self, name: str, parts: list):
        raise NotImplementedError

    # -- the walk

    def resolve(self, name: str) -> _Resolved | _Refused:
        got = self.done.get(name)
        if got is not None:
            return got
        frames = [_Frame(name, self.entries(name))]
        on_path = {name}
        while True:
            f = frames[-1]
            if f.index < len(f.entries):
                entry = f.entries[f.index]
                f.index += 1
                sub = self.nested(f.name, entry)
                if sub is None:
                    self._add(f, self.part(f.name, entry))
                elif sub in self.done:
                    self._absorb(f, self.done[sub], entry)
                elif sub in on_path:
                    self._add(f, self.cycle(f.name, entry))
                else:
                    frames.append(_Frame(sub, self.entries(sub), entry))
                    on_path.add(sub)
                continue
            frames.pop()
            on_path.discard(f.name)
            res = f.refused or _Resolved(self.combine(f.name, f.parts), f.height)
            self.done[f.name] = res
            if not frames:
                return res
            self._absorb(frames[-1], res, f.via)

    @staticmethod
    def _add(f: _Frame, part) -> None:
        if part is not None:
            f.parts.append(part)

    def _absorb(self, f: _Frame, res: _Resolved | _Refused, entry) -> None:
        if f.refused is not None:
            return
        if isinstance(res, _Refused):
            f.refused = res
        elif res.height + 1 > self.limit:
            f.refused = _Refused("nesting-limit", self.too_deep(f.name, entry))
        elif self.copied + self.size(res.value) > self.budget:
            f.refused = _Refused("expansion-limit", self.too_large(f.name, entry, self.size(res.value)))
        else:
            self.copied += self.size(res.value)
            self._add(f, self.included(entry, res.value))
            f.height = max(f.height, res.height + 1)


class _GroupFlattener(_NestedReader):
    """The members of an object-group with those of the groups it nests (`group-object`): the
    merged ranges of a network group, each protocol or service of the others once. Unions,
    never products: the size is bounded by the number of distinct members."""

    def __init__(self, conv: "_Conv") -> None:
        super().__init__(MAX_OBJECT_GROUP_DEPTH, MAX_NESTED_GROUP_MEMBERS)
        self.c = conv

    def entries(self, name: str) -> list:
        return self.c.groups[name].items

    def nested(self, name: str, item) -> str | None:
        if item[0] != "group":
            return None
        c = self.c
        _k, sub_name, ln, col = item
        sub = c.groups.get(sub_name)
        if sub is None:
            c.report_once(ln, col, "undefined-reference", f"object-group {sub_name} is not defined", "group-object")
            return None
        c.group_used.add(sub_name)
        kind = c.groups[name].kind
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
        if self.c.groups[name].kind == "network":
            return merge3(members)
        return tuple(dict.fromkeys(members))


class _ClassMapReader(_NestedReader):
    """The conditions of an inspect class-map with those it nests (`match class-map`)."""

    def __init__(self, zbf: "_Zbf") -> None:
        super().__init__(MAX_CLASS_MAP_DEPTH, MAX_NESTED_GROUP_MEMBERS)
        self.z = zbf

    def entries(self, name: str) -> list:
        return self.z.c.class_maps[name].matches

    def nested(self, name: str, match) -> str | None:
        kind, value, ln, col, _neg = match
        if kind != "class":
            return None
        c = self.z.c
        c.class_used.add(value)
        if value not in c.class_maps:
            c.diag(ln, col, "error", "undefined-reference", f"class-map {value} is not defined",
                   "class-map match class-map")
            return None
        return value

    @staticmethod
    def _negated(match, conds: tuple) -> tuple:
        if not match[4]:
            return conds
        return (_neg(conds),) if conds else NOTHING

    def part(self, name: str, match) -> tuple:
        kind, value, ln, col, _neg = match
        return self._negated(match, self.z.match_conds(self.z.c.class_maps[name], kind, value, ln, col))

    def included(self, match, value) -> tuple:
        return self._negated(match, value)

    def cycle(self, name: str, match) -> tuple:
        _kind, value, ln, col, _neg = match
        self.z.c.diag(ln, col, "error", "invalid", f"class-map {value} contains itself", "class-map match class-map")
        return self._negated(match, NOTHING)

    def too_deep(self, name: str, match) -> int:
        return self._refuse(name, match, "nesting-limit", f"it would nest class-maps more than {self.limit} deep "
                            "(linter/limits.py MAX_CLASS_MAP_DEPTH)")

    def too_large(self, name: str, match, size: int) -> int:
        return self._refuse(name, match, "expansion-limit",
                            f"the {size} conditions of class-map {match[1]} would bring the conditions class-maps take "
                            f"from nested ones in this file past {self.budget} (linter/limits.py "
                            "MAX_NESTED_GROUP_MEMBERS)")

    def _refuse(self, name: str, match, code: str, why: str) -> int:
        _kind, value, ln, col, _neg = match
        self.z.c.diag(ln, col, "error", code,
                      f"match class-map {value}: class-map {name} is not resolved: {why}; it and the class-maps "
                      "that include it match as an unknown condition", "class-map match class-map")
        return ln

    def combine(self, name: str, parts: list) -> tuple:
        return self.z.combine_matches(self.z.c.class_maps[name], parts)


# --------------------------------------------------------------------------- helpers

_WORD_RE = re.compile(r"\S+")


def _words(text: str, offset: int = 0) -> list[tuple[str, int]]:
    """The words of a line with their 1-based columns."""
    return [(mm.group(), mm.start() + 1 + offset) for mm in _WORD_RE.finditer(text)]




def _ipv4(text: str) -> int | None:
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isdigit() and len(p) <= 3 and read_int(p) <= 255 for p in parts):
        return None
    return (read_int(parts[0]) << 24) | (read_int(parts[1]) << 16) | (read_int(parts[2]) << 8) | read_int(parts[3])


def _has_zone_id(text: str) -> bool:
    """An IPv6 address written with a zone (scope) id, `fe80::1%Gi0/0`: IOS access lists and
    object-groups take none; Python's ipaddress would read it and drop the zone silently."""
    return ":" in text and "%" in text


def _ipv6(text: str) -> int | None:
    if "%" in text:
        return None  # a zone id: not an address IOS takes here (see _has_zone_id)
    try:
        return read_int(ipaddress.IPv6Address(text))
    except ValueError:
        return None


def _prefix(text: str) -> tuple[int, int, int] | None:
    """`2001:db8::/32` or `10.0.0.0/8` -> (family, lo, hi) (host bits ignored, as IOS does)."""
    if "%" in text:
        return None  # a zone id (see _has_zone_id)
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    return net.version, read_int(net.network_address), read_int(net.broadcast_address)


def _mask_len(mask: int) -> int | None:
    """A contiguous netmask -> its prefix length."""
    inv = ~mask & 0xFFFFFFFF
    if inv & (inv + 1):
        return None
    return 32 - inv.bit_length()


def wildcard_ranges(addr: int, wild: int, limit: int = MAX_WILDCARD_RANGES) -> list[tuple[int, int]] | None:
    """The IPv4 ranges an `ADDRESS WILDCARD` pair matches (None when more than `limit`).

    A wildcard bit set means "any value"; the address bits under it are ignored, as IOS does.
    """
    base = addr & ~wild & 0xFFFFFFFF
    low = (wild ^ (wild + 1)) >> 1 if wild & 1 else 0  # the trailing run of ones
    high = wild & ~low
    n = bin(high).count("1")
    if (1 << n) > limit:
        return None
    bits = [1 << i for i in range(32) if high & (1 << i)]
    out = []
    for k in range(1 << n):
        s = 0
        for j, b in enumerate(bits):
            if k & (1 << j):
                s |= b
        lo = base | s
        out.append((lo, lo | low))
    return list(merge(out))


def _neg(match_conds: tuple) -> m.Cond:
    """NOT (a conjunction)."""
    if len(match_conds) == 1 and not isinstance(match_conds[0], m.AnyCond):
        c = match_conds[0]
        return dataclasses.replace(c, negated=not c.negated)
    return m.AnyCond((m.Match(tuple(match_conds)),), negated=True)


def _any_of(alts: list[tuple]) -> tuple:
    """The conditions of a disjunction of conjunctions (a tuple of conditions)."""
    if any(len(a) == 0 for a in alts):
        return ()
    if len(alts) == 1:
        return tuple(alts[0])
    return (m.AnyCond(tuple(m.Match(tuple(a)) for a in alts)),)


NOTHING = (m.AnyCond(()),)  # a condition no packet satisfies
# TCP `established`: ACK or RST set
ESTABLISHED = m.AnyCond((m.Match((m.FlagsCond(0x10, 0x10),)), m.Match((m.FlagsCond(0x04, 0x04),))))

_SEVERITY_RANK = {"note": 0, "warning": 1, "error": 2}


# --------------------------------------------------------------------------- block structure


@lru_cache(maxsize=1)
def _ccp_class():
    """ciscoconfparse's parser class, with its logging silenced (it adds a loguru handler on
    stdout at import and logs at INFO on every parse)."""
    import contextlib
    import io

    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        from loguru import logger

        import ciscoconfparse  # noqa: F401
        from ciscoconfparse import CiscoConfParse
        from ciscoconfparse import ciscoconfparse as ccp_module
    logger.disable("ciscoconfparse")
    for hid in list(getattr(ccp_module, "ACTIVE_LOGURU_HANDLERS", None) or []):
        try:
            logger.remove(hid)
        except (ValueError, TypeError):
            pass
    try:
        ccp_module.ACTIVE_LOGURU_HANDLERS = []
    except Exception:  # pragma: no cover
        pass
    return CiscoConfParse


def _indent_parents(lines: list[str]) -> list[int]:
    """The parent of each line by indentation (used when ciscoconfparse cannot be used)."""
    parents = [-1] * len(lines)
    stack: list[tuple[int, int]] = []
    for i, ln in enumerate(lines):
        s = ln.lstrip()
        if not s or s.startswith("!"):
            continue
        ind = len(ln) - len(s)
        while stack and stack[-1][0] >= ind:
            stack.pop()
        parents[i] = stack[-1][1] if stack else -1
        stack.append((ind, i))
    return parents


def _structure(lines: list[str]) -> tuple[list[int], bool]:
    """Parent line index of every line (-1 at top level) from ciscoconfparse."""
    if not lines:
        return [], True
    try:
        ccp = _ccp_class()
        import contextlib
        import io

        sink = io.StringIO()
        with contextlib.redirect_stdout(sink):
            p = ccp(list(lines), syntax="ios", factory=False, ignore_blank_lines=False)
        objs = p.ConfigObjs
        if len(objs) != len(lines):
            return _indent_parents(lines), False
        parents = [-1] * len(lines)
        for o in objs:
            par = o.parent
            if par is not None and par is not o and 0 <= o.linenum < len(lines):
                parents[o.linenum] = par.linenum
        return parents, True
    except Exception:  # ciscoconfparse failed on this text: fall back to indentation
        return _indent_parents(lines), False


# --------------------------------------------------------------------------- reference scanning

# commands outside the filtering model that name an access list (routing, management, QoS,
# crypto, multicast): the list counts as used, nothing else is checked
_REF_RES = (
    re.compile(r"\bmatch\s+ipv?6?\s*address\s+(?!prefix-list\b)(.+)$", re.I),
    re.compile(r"^snmp-server\s+community\s+(.+)$", re.I),
)
# a keyword followed by an access list's name, perhaps after a word or two (`ntp access-group
# peer 10`, `distribute-list 5 in`, `match access-group name X`)
_REF_KEYWORD_RE = re.compile(
    r"\b(?:access-class|access-group|traffic-filter|redirect-list|group-list|java-list|distribute-list|boundary|"
    r"filter-list|list|address|access)\s+(\S+)(?:\s+(\S+))?(?:\s+(\S+))?", re.I)


def _scan_refs(text: str) -> set[str]:
    """Words that may name an access list (over-collecting is harmless: only defined names count)."""
    out: set[str] = set()
    for rx in _REF_RES:
        for mm in rx.finditer(text):
            out.update(mm.group(1).split())
    for mm in _REF_KEYWORD_RE.finditer(text):
        out.update(g for g in mm.groups() if g)
    return out


# interface sub-commands that concern filtering and are not modelled
_IFACE_UNSUPPORTED = (
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

_IRRELEVANT_IFACE = re.compile(
    r"(?:no\s+)?(?:description|shutdown|speed|duplex|mtu|ip\s+mtu|bandwidth|delay|encapsulation|load-interval|"
    r"keepalive|cdp|lldp|negotiation|media-type|switchport|spanning-tree|channel-group|standby|vrrp|glbp|ip\s+ospf|"
    r"ip\s+router|ipv6\s+ospf|ip\s+pim|ip\s+igmp|ip\s+helper-address|ip\s+redirects|ip\s+unreachables|"
    r"ip\s+proxy-arp|ip\s+directed-broadcast|ip\s+route-cache|ip\s+mroute-cache|ip\s+virtual-reassembly|"
    r"ip\s+flow|ip\s+nbar|ip\s+vrf|vrf|ip\s+policy|ip\s+summary-address|ip\s+split-horizon|ip\s+authentication|"
    r"ip\s+hello-interval|ip\s+hold-time|ipv6\s+enable|ipv6\s+nd|ipv6\s+mtu|ipv6\s+redirects|ipv6\s+unreachables|"
    r"hold-queue|service-policy|pppoe|ppp|dialer|crypto|tunnel|mpls|isis|ip\s+accounting|ip\s+mask-reply|"
    r"ip\s+local-proxy-arp|ip\s+ddns|ip\s+dhcp|ip\s+dns|ip\s+wccp|ip\s+sla|snmp|logging|ntp|arp|mac-address|"
    r"fair-queue|random-detect|priority-queue|rate-limit|traffic-shape|auto|power|storm-control|udld|"
    r"macro|dot1x|authentication|mab|access-session|device-tracking|ip\s+arp|ip\s+address\s+dhcp|"
    r"ip\s+ospf|bfd|carrier-delay|flowcontrol|exit)\b", re.I)


# --------------------------------------------------------------------------- converter


class _Conv:
    def __init__(self, path: str) -> None:
        self.path = path
        self.lines: list[str] = []
        self.diags: list[m.Diagnostic] = []
        self.bad: set[int] = set()
        self.cat: list[str] = []
        self.hostname: str | None = None
        self.acls: dict[int, dict[str, _Acl]] = {4: {}, 6: {}}
        self.groups: dict[str, _Group] = {}
        self.group_used: set[str] = set()
        self.ifaces: dict[str, _Iface] = {}
        self.zones: dict[str, int] = {}
        self.zone_pairs: list[_ZonePair] = []
        self.class_maps: dict[str, _ClassMap] = {}
        self.policy_maps: dict[str, _PolicyMap] = {}
        self.class_used: set[str] = set()
        self.policy_used: set[str] = set()
        self.time_ranges: dict[str, int] = {}
        self.time_range_used: set[str] = set()
        self.nat_pools: dict[str, dict] = {}
        self.nat_stmts: list[tuple[int, str]] = []
        self.acl_used: set[str] = set()  # names referenced anywhere
        self.other_refs: set[str] = set()
        self.block = None  # the handler of the open block: fn(lineno, line)
        self.block_line = -1  # its header (0-based)
        self.acl_mode: _Acl | None = None  # ACL whose mode is open (flush-left entries belong to it)
        self._conds_cache: dict = {}
        self._reported: set = set()
        self.flattener = _GroupFlattener(self)
        self.early: list = []
        self.filters_by_key: dict = {}

    # -- diagnostics

    def diag(self, line: int, col: int, severity: str, code: str, message: str, construct: str = "",
             understood: bool | None = None) -> None:
        text = self.lines[line - 1].strip() if 1 <= line <= len(self.lines) else ""
        origin = m.Origin(self.path, line, col, text)
        self.diags.append(m.Diagnostic(origin, severity, code, message, construct))  # type: ignore[arg-type]
        if understood is None:
            understood = severity == "note"
        if 1 <= line <= len(self.lines):
            if self.cat[line - 1] != "blank":
                self.cat[line - 1] = "relevant"
            if not understood:
                self.bad.add(line)

    def origin(self, line: int, col: int = 0) -> m.Origin:
        raw = self.lines[line - 1] if 1 <= line <= len(self.lines) else ""
        if not col:
            col = len(raw) - len(raw.lstrip()) + 1
        return m.Origin(self.path, line, col, raw.strip())

    def relevant(self, line: int) -> None:
        self.cat[line - 1] = "relevant"

    # -- the walk

    def run(self, lines: list[str]) -> None:
        self.lines = lines
        self.cat = ["irrelevant"] * len(lines)
        parents, _ok = _structure(lines)
        skip = [not ln.strip() or ln.lstrip().startswith("!") for ln in lines]
        for i, ln in enumerate(lines):
            if skip[i]:
                self.cat[i] = "blank" if not ln.strip() else "comment"
                continue
            j = parents[i]
            top = -1
            while j >= 0:
                if not skip[j]:
                    top = j
                j = parents[j]
            lineno = i + 1
            try:
                if top < 0:
                    if ln[:1] in (" ", "\t") and self.block is not None:
                        self.block(lineno, ln)  # indented: still inside the open block
                    else:
                        self.top(lineno, ln)
                elif top == self.block_line and self.block is not None:
                    self.block(lineno, ln)
                else:
                    self.other_refs.update(_scan_refs(ln.strip()))
            except Exception as e:  # never raise on input
                self.diag(lineno, 1, "error", "internal", f"could not read this line: {type(e).__name__}: {e}")

    def open_block(self, lineno: int, handler, acl: _Acl | None = None) -> None:
        self.block = handler
        self.block_line = lineno - 1
        self.acl_mode = acl

    def _irrelevant_block(self, lineno: int, line: str) -> None:
        self.other_refs.update(_scan_refs(line.strip()))

    def _unmodelled_block(self, lineno: int, line: str) -> None:
        """Lines of a block whose header was reported as unsupported."""
        self.relevant(lineno)
        self.bad.add(lineno)

    def _understood_block(self, lineno: int, line: str) -> None:
        self.relevant(lineno)

    # -- top-level commands

    def top(self, lineno: int, line: str) -> None:
        text = line.strip()
        ws = _words(line)
        lw = [w.lower() for w, _ in ws]
        k0 = lw[0]
        k1 = lw[1] if len(lw) > 1 else ""
        # an access-list entry written flush left after its header: IOS is still in ACL mode
        if self.acl_mode is not None and (k0 in ("permit", "deny", "remark", "sequence", "evaluate", "dynamic")
                                          or (k0.isdigit() and k1 in ("permit", "deny", "remark", "evaluate",
                                                                      "dynamic"))):
            self.block(lineno, line)  # type: ignore[misc]
            return
        self.block = None
        self.block_line = -1
        self.acl_mode = None
        if k0 in ("exit", "end"):
            return
        if k0 == "hostname" and len(ws) > 1:
            self.hostname = ws[1][0]
            return
        if k0 == "no":
            self.top_no(lineno, ws, lw)
            return
        if k0 == "access-list":
            self.numbered(lineno, line, ws, lw)
            return
        if k0 == "ip" and k1 == "access-list":
            self.named_acl(lineno, ws, lw, 4)
            return
        if k0 == "ipv6" and k1 == "access-list":
            self.named_acl(lineno, ws, lw, 6)
            return
        if k0 == "object-group":
            self.object_group(lineno, ws, lw)
            return
        if k0 == "interface" and len(ws) > 1:
            self.interface(lineno, line, ws)
            return
        if k0 == "zone" and k1 == "security" and len(ws) > 2:
            self.relevant(lineno)
            self.zones.setdefault(ws[2][0], lineno)
            self.open_block(lineno, self._understood_block)
            return
        if k0 == "zone-pair" and k1 == "security":
            self.zone_pair(lineno, ws, lw)
            return
        if k0 == "class-map" and k1 == "type" and len(lw) > 2 and lw[2] == "inspect":
            self.class_map(lineno, ws, lw)
            return
        if k0 == "policy-map" and k1 == "type" and len(lw) > 2 and lw[2] == "inspect":
            self.policy_map(lineno, ws, lw)
            return
        if k0 == "parameter-map" and k1 == "type" and len(lw) > 2 and lw[2] == "inspect":
            self.relevant(lineno)
            self.open_block(lineno, self._understood_block)
            return
        if k0 == "time-range" and len(ws) > 1:
            self.relevant(lineno)
            self.time_ranges.setdefault(ws[1][0], lineno)
            self.open_block(lineno, self._understood_block)
            return
        if k0 == "ip" and k1 == "nat":
            self.nat_global(lineno, ws, lw)
            return
        if k0 == "ip" and k1 == "inspect":
            # CBAC rule definitions: inert until applied with `ip inspect NAME in|out` on an
            # interface, which is reported there
            self.relevant(lineno)
            self.other_refs.update(_scan_refs(text))
            return
        if k0 == "mac" and k1 == "access-list":
            self.diag(lineno, ws[0][1], "warning", "unsupported",
                      "MAC access lists filter frames by Ethernet address; fwlint does not model them",
                      "mac access-list")
            self.open_block(lineno, self._unmodelled_block)
            return
        if k0 in ("access-group", "object", "nameif", "same-security-traffic", "nat") or (
                k0 in ("asa", "pix") and k1 == "version"):
            self.asa_line(lineno, ws)
            return
        if k0 in ("permit", "deny", "remark", "sequence", "evaluate"):
            self.diag(lineno, ws[0][1], "error", "syntax",
                      f"`{ws[0][0]}` outside an access list (no `ip access-list` header before it)", "access list")
            return
        if k0 == "ip" and k1 in ("access-group", "traffic-filter"):
            self.diag(lineno, ws[0][1], "error", "syntax",
                      "`ip access-group` belongs under an interface", "ip access-group")
            return
        if k0 in ("ip", "ipv6") and k1 == "port-map":
            self.diag(lineno, ws[0][1], "note", "approximate",
                      "port-to-application maps are not read: inspect class-maps use the default ports",
                      "ip port-map")
            return
        # everything else does not concern filtering (routing, AAA, logging, banners, lines,
        # SNMP, QoS class-maps and policy-maps, crypto, ...): its lines are understood as not
        # relevant; names of access lists it mentions count as uses
        self.other_refs.update(_scan_refs(text))
        self.open_block(lineno, self._irrelevant_block)

    def asa_line(self, lineno: int, ws) -> None:
        self.diag(lineno, ws[0][1], "warning", "asa-syntax",
                  "this is Cisco ASA syntax, not IOS: IOS rejects it; the line is not read", "ASA command in IOS")

    def top_no(self, lineno: int, ws, lw) -> None:
        """`no ...` at the top level: deletions in configuration scripts."""
        k1 = lw[1] if len(lw) > 1 else ""
        if k1 == "access-list" and len(ws) > 2:
            self.relevant(lineno)
            self.delete_acl(4, ws[2][0])
            return
        if k1 in ("ip", "ipv6") and len(lw) > 2 and lw[2] == "access-list":
            fam = 4 if k1 == "ip" else 6
            rest = ws[3:]
            if rest and rest[0][0].lower() in ("standard", "extended"):
                rest = rest[1:]
            self.relevant(lineno)
            if rest and rest[0][0].lower() not in ("logging", "log-update", "persistent", "resequence",
                                                   "role-based", "helper", "counter"):
                self.delete_acl(fam, rest[0][0])
            return
        if k1 == "object-group" and len(ws) > 3:
            self.relevant(lineno)
            self.groups.pop(ws[3][0], None)
            return
        if k1 == "ip" and len(lw) > 2 and lw[2] == "nat":
            self.relevant(lineno)
            return
        if k1 in ("zone", "zone-pair", "class-map", "policy-map", "time-range"):
            self.relevant(lineno)
            self.diag(lineno, ws[0][1], "note", "approximate",
                      f"`no {ws[1][0]} ...` is not applied (deletions of ZBF objects are not followed)",
                      "no " + ws[1][0])
            return
        self.other_refs.update(_scan_refs(" ".join(w for w, _ in ws)))

    def delete_acl(self, fam: int, name: str) -> None:
        self.acls[fam].pop(name, None)

    # -- access lists

    def get_acl(self, fam: int, name: str, kind: str, lineno: int, numbered: bool) -> _Acl:
        acl = self.acls[fam].get(name)
        if acl is None:
            acl = _Acl(name, fam, kind, lineno, self.lines[lineno - 1].strip(), numbered)
            self.acls[fam][name] = acl
        return acl

    def numbered(self, lineno: int, line: str, ws, lw) -> None:
        """`access-list N permit|deny|remark|dynamic ...`"""
        self.relevant(lineno)
        if len(ws) < 3:
            self.diag(lineno, ws[0][1], "error", "syntax", "`access-list` needs a number and an entry",
                      "access-list")
            return
        num = ws[1][0]
        if not num.isdigit():
            if num.lower() in ("compiled", "dynamic-extend", "rate-limit"):
                return
            self.asa_line(lineno, ws)
            return
        n = read_int(num)
        if 1 <= n <= 99 or 1300 <= n <= 1999:
            kind = "standard"
        elif 100 <= n <= 199 or 2000 <= n <= 2699:
            kind = "extended"
        else:
            what = ("protocol type-code" if 200 <= n <= 299 else "MAC address" if 700 <= n <= 799 else
                    "extended MAC" if 1100 <= n <= 1199 else "non-IP")
            self.diag(lineno, ws[1][1], "warning", "unsupported",
                      f"access list {n} is a {what} access list; fwlint models IP access lists only",
                      "non-IP numbered access list")
            return
        acl = self.acls[4].get(num)
        if acl is not None and acl.kind != kind:
            self.diag(lineno, ws[1][1], "error", "invalid",
                      f"access list {num} is a {acl.kind} list; this {kind} entry is rejected", "access-list")
            return
        acl = self.get_acl(4, num, kind, lineno, True)
        self.entry(acl, lineno, ws[2:], append_only=True)

    def named_acl(self, lineno: int, ws, lw, fam: int) -> None:
        """`ip access-list standard|extended NAME`, `ipv6 access-list NAME`."""
        self.relevant(lineno)
        rest = ws[2:]
        lrest = lw[2:]
        if not rest:
            self.diag(lineno, ws[0][1], "error", "syntax", "an access list needs a name", "ip access-list")
            return
        if fam == 4:
            kw = lrest[0]
            if kw in ("logging", "log-update", "persistent", "helper", "counter", "compiled"):
                return
            if kw == "resequence":
                self.resequence(lineno, ws)
                return
            if kw == "role-based":
                self.diag(lineno, rest[0][1], "warning", "unsupported",
                          "role-based (TrustSec) access lists are not modelled", "ip access-list role-based")
                self.open_block(lineno, self._unmodelled_block)
                return
            if kw in ("standard", "extended"):
                if len(rest) < 2:
                    self.diag(lineno, rest[0][1], "error", "syntax", "an access list needs a name", "ip access-list")
                    return
                kind, name, extra = kw, rest[1][0], rest[2:]
            else:
                kind, name, extra = "extended", rest[0][0], rest[1:]
                self.diag(lineno, rest[0][1], "note", "approximate",
                          "`ip access-list NAME` without standard/extended is read as an extended list",
                          "ip access-list NAME")
        else:
            kw = lrest[0]
            if kw in ("log-update", "cache", "logging"):
                return
            if kw == "standard" and len(rest) > 1:
                kind, name, extra = "standard", rest[1][0], rest[2:]
            else:
                kind, name, extra = "extended", rest[0][0], rest[1:]
        if fam == 4 and name.isdigit():
            n = read_int(name)
            want = ("standard" if 1 <= n <= 99 or 1300 <= n <= 1999 else
                    "extended" if 100 <= n <= 199 or 2000 <= n <= 2699 else None)
            if want is not None and want != kind:
                self.diag(lineno, rest[1][1] if len(rest) > 1 else rest[0][1], "error", "invalid",
                          f"access list number {n} is a {want} list number, not {kind}", "ip access-list")
                self.open_block(lineno, self._unmodelled_block)
                return
        acl = self.acls[fam].get(name)
        if acl is not None and acl.kind != kind:
            self.diag(lineno, ws[0][1], "error", "invalid",
                      f"a {acl.kind} access list named {name} already exists (line {acl.line}); IOS rejects "
                      f"this header and its entries", "ip access-list")
            self.open_block(lineno, self._unmodelled_block)
            return
        acl = self.get_acl(fam, name, kind, lineno, False)

        def handler(ln: int, line: str, acl=acl) -> None:
            self.relevant(ln)
            ws2 = _words(line)
            if ws2:
                self.entry(acl, ln, ws2)

        self.open_block(lineno, handler, acl)
        if extra:  # one-line form: `ipv6 access-list standard NAME permit ...`
            self.entry(acl, lineno, extra)

    def resequence(self, lineno: int, ws) -> None:
        if len(ws) < 4:
            self.diag(lineno, ws[0][1], "error", "syntax", "`ip access-list resequence NAME START STEP`",
                      "ip access-list resequence")
            return
        name = ws[3][0]
        try:
            start = read_int(ws[4][0]) if len(ws) > 4 else 10
            step = read_int(ws[5][0]) if len(ws) > 5 else 10
        except ValueError:
            self.diag(lineno, ws[0][1], "error", "syntax", "resequence takes numbers", "ip access-list resequence")
            return
        acl = self.acls[4].get(name)
        if acl is None:
            self.diag(lineno, ws[3][1], "error", "undefined-reference", f"access list {name} is not defined",
                      "ip access-list resequence")
            return
        for i, e in enumerate(sorted(acl.entries, key=lambda e: e.seq)):
            e.seq = start + i * step
        _reseq(acl)

    def entry(self, acl: _Acl, lineno: int, ws, append_only: bool = False) -> None:
        """One line of an access list (after `access-list N` or inside the ACL's block)."""
        line = self.lines[lineno - 1]
        lw0 = ws[0][0].lower()
        col0 = ws[0][1]
        if lw0 == "remark":
            acl.pending.append(line[ws[1][1] - 1:].strip() if len(ws) > 1 else "")
            return
        if lw0 == "no":
            self.delete_entry(acl, lineno, ws[1:])
            return
        if lw0 in ("statistics", "exit"):
            return
        seq = None
        if lw0 == "sequence" and len(ws) > 1 and ws[1][0].isdigit():
            seq, ws = read_int(ws[1][0]), ws[2:]
        elif lw0.isdigit() and not append_only:
            seq, ws = read_int(lw0), ws[1:]
        if not ws:
            self.diag(lineno, col0, "error", "syntax", "a sequence number without an entry", "access list")
            return
        w = ws[0][0].lower()
        if w == "remark":
            acl.pending.append(line[ws[1][1] - 1:].strip() if len(ws) > 1 else "")
            return
        dynamic = ""
        if w == "dynamic":
            if len(ws) < 3:
                self.diag(lineno, ws[0][1], "error", "syntax", "`dynamic NAME permit ...`", "dynamic access list")
                return
            dynamic = ws[1][0]
            ws = ws[2:]
            if ws and ws[0][0].lower() == "timeout" and len(ws) > 1:
                ws = ws[2:]
            if not ws:
                self.diag(lineno, col0, "error", "syntax", "`dynamic NAME permit ...`", "dynamic access list")
                return
            w = ws[0][0].lower()
        if w == "evaluate":
            if acl.kind != "extended" or len(ws) != 2:
                self.diag(lineno, ws[0][1], "error", "syntax", "`evaluate NAME` in an extended access list",
                          "evaluate")
                return
            self.add_entry(acl, _Ace(0, lineno, col0, line.strip(), "accept", None, kind="evaluate",
                                     evaluate=ws[1][0]), seq, lineno, col0)
            return
        if w not in ("permit", "deny"):
            self.diag(lineno, ws[0][1], "error", "syntax",
                      f"expected permit, deny or remark in access list {acl.name}, not `{ws[0][0]}`", "access list")
            return
        spec = self.parse_ace(acl, lineno, ws)
        if spec is None:
            return
        ace = _Ace(0, lineno, col0, line.strip(), spec.action, spec, dynamic=dynamic,
                   words=tuple(x.lower() for x, _ in ws))
        self.add_entry(acl, ace, seq, lineno, col0)

    def add_entry(self, acl: _Acl, ace: _Ace, seq: int | None, lineno: int, col: int) -> None:
        if seq is None:
            seq = acl.max_seq + 10
        elif seq in acl.seqs:
            self.diag(lineno, col, "error", "invalid",
                      f"sequence number {seq} is already used in access list {acl.name}: IOS rejects this entry",
                      "sequence number")
            return
        ace.seq = seq
        acl.seqs.add(seq)
        acl.max_seq = max(acl.max_seq, seq)
        if acl.pending:
            ace.remark = " ".join(r for r in acl.pending if r)
            acl.pending = []
        acl.entries.append(ace)

    def delete_entry(self, acl: _Acl, lineno: int, ws) -> None:
        if not ws:
            return
        w = ws[0][0].lower()
        if w == "sequence" and len(ws) > 1:
            ws = ws[1:]
            w = ws[0][0].lower()
        if w.isdigit() and len(ws) == 1:
            n = read_int(w)
            before = len(acl.entries)
            acl.entries = [e for e in acl.entries if e.seq != n]
            _reseq(acl)
            if len(acl.entries) == before:
                self.diag(lineno, ws[0][1], "note", "approximate",
                          f"no entry {n} in access list {acl.name} to delete", "no entry")
            return
        if w == "remark":
            return
        key = tuple(x.lower() for x, _ in ws)
        if w.isdigit():
            key = key[1:]
        for e in acl.entries:
            if e.words == key:
                acl.entries.remove(e)
                _reseq(acl)
                return
        self.diag(lineno, ws[0][1], "note", "approximate",
                  f"no such entry in access list {acl.name} to delete", "no entry")

    def parse_ace(self, acl: _Acl, lineno: int, ws) -> _Spec | None:
        toks = _tokens(ws)
        std = acl.kind == "standard"
        res = _template("std_ace" if std else "ext_ace", tuple(t.type for t in toks))
        if res[0] == "error":
            _e, idx, expected = res
            if idx < len(toks):
                col = toks[idx].col
                got = f"`{toks[idx].value}`"
            else:
                col = toks[-1].col + len(toks[-1].value)
                got = "the end of the line"
            what = "standard" if std else ("IPv6" if acl.family == 6 else "extended")
            hint = ""
            if idx < len(toks) and re.match(r"\d+\.\d+\.\d+\.\d+/\d+\Z", toks[idx].value):
                hint = " (IOS writes an address and a wildcard, `10.0.0.0 0.255.255.255`, not a prefix)"
            elif idx < len(toks) and _has_zone_id(toks[idx].value):
                hint = " (an IPv6 address with a zone id after `%`: IOS access lists take none)"
            self.diag(lineno, col, "error", "syntax",
                      f"unexpected {got} in this {what} access-list entry{hint}"
                      + (f"; expected {expected}" if expected else ""), "access-list entry")
            return None
        return _spec_of(res[1], toks, std)

    # -- object-groups

    def object_group(self, lineno: int, ws, lw) -> None:
        self.relevant(lineno)
        if len(ws) < 3:
            self.diag(lineno, ws[0][1], "error", "syntax", "`object-group TYPE NAME`", "object-group")
            return
        kind = lw[1]
        name_at = 2
        if kind == "ip" and len(lw) > 3 and lw[2] in ("port", "address"):
            kind = "port" if lw[2] == "port" else "network"
            name_at = 3
        elif kind == "ipv6" and len(lw) > 3 and lw[2] == "address":
            kind, name_at = "network", 3
        if kind not in ("network", "service", "protocol", "port"):
            self.diag(lineno, ws[1][1], "warning", "unsupported",
                      f"object-group {ws[1][0]} is not modelled", f"object-group {ws[1][0]}")
            self.open_block(lineno, self._unmodelled_block)
            return
        name = ws[name_at][0]
        g = self.groups.get(name)
        if g is not None and g.kind != kind:
            self.diag(lineno, ws[name_at][1], "error", "invalid",
                      f"object-group {name} is already a {g.kind} group (line {g.line}); IOS rejects this one",
                      "object-group")
            self.open_block(lineno, self._unmodelled_block)
            return
        if g is None:
            g = self.groups[name] = _Group(name, kind, lineno, self.lines[lineno - 1].strip())

        def handler(ln: int, line: str, g=g) -> None:
            self.relevant(ln)
            self.group_item(g, ln, _words(line))

        self.open_block(lineno, handler)
        if len(ws) > name_at + 1 and kind == "service":  # `object-group service NAME tcp` (ASA)
            self.diag(lineno, ws[name_at + 1][1], "warning", "asa-syntax",
                      "a protocol after the service object-group name is ASA syntax; IOS rejects it",
                      "object-group service")

    def group_item(self, g: _Group, lineno: int, ws) -> None:
        if not ws:
            return
        w = ws[0][0].lower()
        if w in ("description", "exit"):
            return
        if w == "group-object":
            if len(ws) != 2:
                self.diag(lineno, ws[0][1], "error", "syntax", "`group-object NAME`", "group-object")
                return
            g.items.append(("group", ws[1][0], lineno, ws[1][1]))
            return
        if g.kind == "network":
            self.network_item(g, lineno, ws)
        elif g.kind == "service":
            self.service_item(g, lineno, ws)
        elif g.kind == "protocol":
            if w == "protocol-object" and len(ws) == 2:
                ws = ws[1:]
            if len(ws) != 1:
                self.diag(lineno, ws[0][1], "error", "syntax", "one protocol per line", "object-group protocol")
                return
            p = self.proto_value(ws[0][0], 4)
            if p is False:
                self.diag(lineno, ws[0][1], "error", "invalid", f"unknown protocol `{ws[0][0]}`",
                          "object-group protocol")
                return
            g.items.append(("proto", p, lineno, ws[0][1]))
        else:  # port
            ports = self.port_ranges([(x, c) for x, c in ws], "tcp", lineno, ws[0][1], "object-group ip port")
            if ports is not None:
                g.items.append(("port", ports, lineno, ws[0][1]))

    def network_item(self, g: _Group, lineno: int, ws) -> None:
        col = ws[0][1]
        if ws[0][0].lower() == "network-object":
            ws = ws[1:]
            if not ws:
                self.diag(lineno, col, "error", "syntax", "`network-object` needs an address", "object-group network")
                return
        w = ws[0][0].lower()
        vals = [x for x, _ in ws]
        rng = None
        if w == "any" and len(ws) == 1:
            rng = [(4, 0, 2**32 - 1), (6, 0, 2**128 - 1)]
        elif w == "host" and len(ws) == 2:
            a4, a6 = _ipv4(vals[1]), _ipv6(vals[1]) if ":" in vals[1] else None
            if a4 is not None:
                rng = [(4, a4, a4)]
            elif a6 is not None:
                rng = [(6, a6, a6)]
        elif w == "range" and len(ws) == 3:
            a, b = _ipv4(vals[1]), _ipv4(vals[2])
            if a is None or b is None:
                a = _ipv6(vals[1]) if ":" in vals[1] else None
                b = _ipv6(vals[2]) if ":" in vals[2] else None
                fam = 6
            else:
                fam = 4
            if a is not None and b is not None:
                if a > b:
                    self.diag(lineno, ws[1][1], "error", "invalid",
                              f"range {vals[1]} {vals[2]}: the first address is above the last", "address range")
                    return
                rng = [(fam, a, b)]
        elif len(ws) == 2 and _ipv4(vals[0]) is not None and vals[1].startswith("/") and vals[1][1:].isdigit():
            p = _prefix(vals[0] + vals[1])  # fwbuilder writes `10.0.0.0 /24`
            rng = [p] if p else None
        elif len(ws) == 2 and _ipv4(vals[0]) is not None:
            a, mask = _ipv4(vals[0]), _ipv4(vals[1])
            if mask is None:
                self.diag(lineno, ws[1][1], "error", "invalid", f"`{vals[1]}` is not a netmask",
                          "object-group network")
                return
            plen = _mask_len(mask)
            if plen is None:
                self.diag(lineno, ws[1][1], "error", "invalid",
                          f"`{vals[1]}` is not a contiguous netmask (object-groups take a netmask, not a wildcard)",
                          "object-group network")
                return
            p = _prefix(f"{vals[0]}/{plen}")
            rng = [p] if p else None
        elif len(ws) == 1 and "/" in vals[0]:
            p = _prefix(vals[0])
            rng = [p] if p else None
        elif len(ws) == 1 and _ipv4(vals[0]) is not None:
            a = _ipv4(vals[0])
            rng = [(4, a, a)]  # type: ignore[list-item]
        zoned = [(v, c) for v, c in ws if _has_zone_id(v)]
        if rng is None and zoned:
            self.diag(lineno, zoned[0][1], "error", "invalid",
                      f"`{zoned[0][0]}` is an IPv6 address with a zone id after `%`: IOS object-groups take none; "
                      "the line is rejected, not analysed", "object-group network")
            return
        if rng is None:
            self.diag(lineno, ws[0][1], "error", "syntax", f"not a network object: `{' '.join(vals)}`",
                      "object-group network")
            return
        g.items.append(("addr", rng, lineno, ws[0][1]))

    def service_item(self, g: _Group, lineno: int, ws) -> None:
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
            p = self.proto_value(pname, 4)
            if p is False:
                self.diag(lineno, ws[0][1], "error", "invalid", f"unknown protocol `{ws[0][0]}`",
                          "object-group service")
                return
            protos = None if p is None else (p,)
        conds: list = []
        if protos is not None:
            conds.append(m.IntCond(m.PROTO, merge((p, p) for p in protos)))
        rest = ws[1:]
        if rest and protos is not None and set(protos) <= _PORT_PROTOS:
            proto_text = "udp" if protos == (17,) else "tcp"
            if rest[0][0].lower() == "source":
                ops, rest = _split_port_op(rest[1:])
                r = self.port_ranges(ops, proto_text, lineno, col, "object-group service", protos)
                if r is None:
                    return
                conds.append(r_cond(m.SPORT, r))
            if rest:
                if rest[0][0].isdigit() or rest[0][0].lower() not in ("eq", "neq", "lt", "gt", "range"):
                    rest = [("eq", rest[0][1])] + rest  # `tcp 65000` means `tcp eq 65000`
                ops, rest = _split_port_op(rest)
                r = self.port_ranges(ops, proto_text, lineno, col, "object-group service", protos)
                if r is None:
                    return
                conds.append(r_cond(m.DPORT, r))
        elif rest and protos is not None and protos[0] in (1, 58):
            ic = _icmp_cond([x for x, _ in rest], protos[0] == 58)
            if ic is None:
                self.diag(lineno, rest[0][1], "error", "invalid",
                          f"unknown ICMP message `{' '.join(x for x, _ in rest)}`", "object-group service")
                return
            conds.append(ic)
            rest = []
        if rest:
            self.diag(lineno, rest[0][1], "error", "syntax", f"unexpected `{rest[0][0]}` in a service object",
                      "object-group service")
            return
        g.items.append(("svc", tuple(conds), lineno, col))

    # -- names

    def proto_value(self, text: str, fam: int):
        """Protocol keyword or number -> number, None for ip/ipv6 (every protocol), False if unknown."""
        t = text.lower()
        table = _PROTO4 if fam == 4 else _PROTO6
        if t in table:
            return table[t]
        if t.isdigit():
            n = read_int(t)
            return n if n <= 255 else False
        n = names.proto_number(t)
        if n is None or (fam == 4 and t in ("ipv6", "icmpv6")) or (fam == 6 and t in ("ip", "icmpv6")):
            return False
        return n

    def port_ranges(self, ops, proto: str, lineno: int, col: int, construct: str,
                    protos: tuple | None = None) -> tuple[tuple[int, int], ...] | None:
        """[(op, col), (value, col)...] -> ranges (negation folded in); None after a diagnostic."""
        if not ops:
            self.diag(lineno, col, "error", "syntax", "a port operator needs a port", construct)
            return None
        op = ops[0][0].lower()
        vals = []
        for text, c in ops[1:]:
            v = self.port_value(text, proto, protos)
            if v is None:
                self.diag(lineno, c, "error", "invalid", f"unknown port `{text}` for {proto}", construct)
                return None
            vals.append((v, c))
        if not vals:
            self.diag(lineno, ops[0][1], "error", "syntax", f"`{op}` needs a port", construct)
            return None
        if op == "eq":
            return merge((v, v) for v, _ in vals)
        if op == "neq":
            inside = merge((v, v) for v, _ in vals)
            return _complement(inside, 65535)
        if op in ("lt", "gt"):
            if len(vals) != 1:
                self.diag(lineno, vals[1][1], "error", "syntax", f"`{op}` takes one port", construct)
                return None
            v = vals[0][0]
            r = ((0, v - 1),) if op == "lt" else ((v + 1, 65535),)
            if r[0][0] > r[0][1]:
                return ()
            return r
        if op == "range":
            if len(vals) != 2:
                self.diag(lineno, ops[0][1], "error", "syntax", "`range` takes two ports", construct)
                return None
            a, b = vals[0][0], vals[1][0]
            if a > b:
                self.diag(lineno, vals[0][1], "error", "invalid",
                          f"range {a} {b}: the first port is above the last; IOS rejects this entry", construct)
                return None
            return ((a, b),)
        self.diag(lineno, ops[0][1], "error", "syntax", f"unknown port operator `{op}`", construct)
        return None

    @staticmethod
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

    # -- interfaces

    def interface(self, lineno: int, line: str, ws) -> None:
        self.relevant(lineno)
        name = ws[1][0]
        if len(ws) > 2 and ws[2][0].lower() not in ("point-to-point", "multipoint"):
            name = " ".join(w for w, _ in ws[1:])
        itf = self.ifaces.get(name)
        if itf is None:
            itf = self.ifaces[name] = _Iface(name, lineno, line.strip())

        def handler(ln: int, text: str, itf=itf) -> None:
            self.iface_line(itf, ln, text)

        self.open_block(lineno, handler)

    def iface_line(self, itf: _Iface, lineno: int, line: str) -> None:
        ws = _words(line)
        lw = [w.lower() for w, _ in ws]
        text = " ".join(lw)
        neg = lw[0] == "no"
        body, bl = (ws[1:], lw[1:]) if neg else (ws, lw)
        if not body:
            return
        k = " ".join(bl[:2])
        if k in ("ip access-group", "ipv6 traffic-filter"):
            self.relevant(lineno)
            fam = 4 if bl[0] == "ip" else 6
            args = body[2:]
            largs = bl[2:]
            direction = "out"  # IOS's default direction
            if largs and largs[-1] in ("in", "out"):
                direction = largs[-1]
                args = args[:-1]
            elif not neg and fam == 6:
                self.diag(lineno, ws[0][1], "error", "syntax", "`ipv6 traffic-filter NAME in|out`", k)
                return
            if neg:
                itf.access.pop((fam, direction), None)
                return
            if len(args) != 1:
                self.diag(lineno, ws[0][1], "warning", "unsupported",
                          f"`{line.strip()}`: an access-group form fwlint does not read", k)
                return
            itf.access[(fam, direction)] = (args[0][0], lineno, args[0][1])
            return
        if k == "ip address" or k == "ipv6 address":
            self.relevant(lineno)
            if neg:
                itf.addresses = [a for a in itf.addresses if (":" in a) != (bl[0] == "ipv6")]
                return
            self.iface_address(itf, lineno, body, bl)
            return
        if k == "zone-member security":
            self.relevant(lineno)
            if neg:
                itf.zone = None
            elif len(body) > 2:
                itf.zone = (body[2][0], lineno, body[2][1])
            return
        if k in ("ip nat",) and len(bl) > 2 and bl[2] in ("inside", "outside", "enable"):
            self.relevant(lineno)
            if bl[2] == "enable":
                self.diag(lineno, ws[0][1], "warning", "unsupported",
                          "NAT Virtual Interface (`ip nat enable`) is not modelled", "ip nat enable")
                return
            itf.nat = None if neg else bl[2]
            return
        if bl[:3] in (["ip", "tcp", "adjust-mss"], ["ipv6", "tcp", "adjust-mss"]):
            self.relevant(lineno)
            fam = 4 if bl[0] == "ip" else 6
            itf.mss = [x for x in itf.mss if x[0] != fam]
            if not neg and len(body) > 3:
                itf.mss.append((fam, body[3][0], lineno))
            return
        if bl[0] in ("nameif", "security-level") and not neg:
            self.asa_line(lineno, ws)
            return
        for rx, construct, msg in _IFACE_UNSUPPORTED:
            if rx.match(" ".join(bl)):
                if neg:
                    self.relevant(lineno)
                    return
                if construct == "ip inspect (CBAC)":
                    msg = f"{msg} (`{line.strip()}`)"
                self.diag(lineno, ws[0][1], "warning", "unsupported", msg, construct)
                return
        # description, shutdown, speed, routing protocol settings, ...: not relevant
        self.other_refs.update(_scan_refs(text))

    def iface_address(self, itf: _Iface, lineno: int, body, bl) -> None:
        args = [w for w, _ in body[2:]]
        if not args:
            return
        if bl[0] == "ip":
            if args[0].lower() in ("dhcp", "negotiated", "pool", "unnumbered"):
                return
            a = _ipv4(args[0])
            mask = _ipv4(args[1]) if len(args) > 1 else 0xFFFFFFFF
            plen = _mask_len(mask) if mask is not None else None
            if a is None or plen is None:
                self.diag(lineno, body[2][1], "error", "invalid", f"not an address and netmask: `{' '.join(args[:2])}`",
                          "ip address")
                return
            text = f"{args[0]}/{plen}"
            if "secondary" not in [x.lower() for x in args[2:]]:
                itf.addresses = [x for x in itf.addresses if ":" in x]  # a new primary replaces the old one
            itf.addresses.append(text)
        else:
            if args[0].lower() in ("autoconfig", "dhcp") or "/" not in args[0]:
                return
            if _prefix(args[0].split()[0]) is None:
                self.diag(lineno, body[2][1], "error", "invalid", f"not an IPv6 prefix: `{args[0]}`", "ipv6 address")
                return
            itf.addresses.append(args[0])

    # -- zone-based firewall

    def zone_pair(self, lineno: int, ws, lw) -> None:
        self.relevant(lineno)
        try:
            i_src = lw.index("source")
            i_dst = lw.index("destination")
            name = ws[2][0]
            src, dst = ws[i_src + 1], ws[i_dst + 1]
        except (ValueError, IndexError):
            self.diag(lineno, ws[0][1], "error", "syntax", "`zone-pair security NAME source Z1 destination Z2`",
                      "zone-pair")
            return
        zp = _ZonePair(name, src[0], dst[0], lineno, self.lines[lineno - 1].strip(), (src[1], dst[1]))
        self.zone_pairs.append(zp)

        def handler(ln: int, line: str, zp=zp) -> None:
            self.relevant(ln)
            w2 = _words(line)
            l2 = [w.lower() for w, _ in w2]
            if l2[:3] == ["service-policy", "type", "inspect"] and len(w2) == 4:
                zp.policy = (w2[3][0], ln, w2[3][1])
            elif l2[0] != "description":
                self.diag(ln, w2[0][1], "warning", "unsupported", f"`{line.strip()}` in a zone-pair is not read",
                          "zone-pair")

        self.open_block(lineno, handler)

    def class_map(self, lineno: int, ws, lw) -> None:
        self.relevant(lineno)
        rest = ws[3:]
        how = "match-all"
        if rest and rest[0][0].lower() in ("match-any", "match-all"):
            how = rest[0][0].lower()
            rest = rest[1:]
        if not rest:
            self.diag(lineno, ws[0][1], "error", "syntax", "a class-map needs a name", "class-map type inspect")
            return
        name = rest[0][0]
        cm = self.class_maps.get(name)
        if cm is None:
            cm = self.class_maps[name] = _ClassMap(name, how, lineno, self.lines[lineno - 1].strip())

        def handler(ln: int, line: str, cm=cm) -> None:
            self.relevant(ln)
            w2 = _words(line)
            l2 = [w.lower() for w, _ in w2]
            if l2[0] == "description":
                return
            if l2[0] != "match" or len(w2) < 3:
                self.diag(ln, w2[0][1], "error", "syntax", f"expected `match ...` in class-map {cm.name}",
                          "class-map type inspect")
                return
            negated = l2[1] == "not"
            a, la = (w2[2:], l2[2:]) if negated else (w2[1:], l2[1:])
            if la[0] == "access-group" and len(a) >= 2:
                ref = a[2] if la[1] == "name" and len(a) > 2 else a[1]
                cm.matches.append(("acl", ref[0], ln, ref[1], negated))
            elif la[0] == "protocol" and len(a) >= 2:
                if len(a) > 2:
                    self.diag(ln, a[2][1], "note", "approximate",
                              f"`{' '.join(w for w, _ in a[2:])}` after the protocol is not read", "match protocol")
                cm.matches.append(("protocol", a[1][0], ln, a[1][1], negated))
            elif la[0] == "class-map" and len(a) == 2:
                cm.matches.append(("class", a[1][0], ln, a[1][1], negated))
            else:
                self.diag(ln, a[0][1], "warning", "unsupported", f"`{line.strip()}` is not modelled (matches unknown)",
                          "class-map match")
                cm.matches.append(("opaque", line.strip(), ln, a[0][1], negated))

        self.open_block(lineno, handler)

    def policy_map(self, lineno: int, ws, lw) -> None:
        self.relevant(lineno)
        if len(ws) < 4:
            self.diag(lineno, ws[0][1], "error", "syntax", "a policy-map needs a name", "policy-map type inspect")
            return
        name = ws[3][0]
        pm = self.policy_maps.get(name)
        if pm is None:
            pm = self.policy_maps[name] = _PolicyMap(name, lineno, self.lines[lineno - 1].strip())

        def handler(ln: int, line: str, pm=pm) -> None:
            self.relevant(ln)
            w2 = _words(line)
            l2 = [w.lower() for w, _ in w2]
            if l2[0] == "description":
                return
            if l2[0] == "class":
                if l2[1:] == ["class-default"]:
                    cname, col = "class-default", w2[1][1]
                elif l2[1:3] == ["type", "inspect"] and len(w2) == 4:
                    cname, col = w2[3][0], w2[3][1]
                else:
                    self.diag(ln, w2[0][1], "error", "syntax", "`class type inspect NAME` or `class class-default`",
                              "policy-map type inspect")
                    return
                pm.classes.append({"name": cname, "line": ln, "col": col, "action": None, "aline": 0})
                return
            if not pm.classes:
                self.diag(ln, w2[0][1], "error", "syntax", "an action before any class", "policy-map type inspect")
                return
            cls = pm.classes[-1]
            if l2[0] in ("inspect", "pass", "drop"):
                if cls["action"] is not None:
                    self.diag(ln, w2[0][1], "error", "invalid",
                              f"class {cls['name']} already has the action {cls['action']}", "policy-map type inspect")
                    return
                cls["action"], cls["aline"] = l2[0], ln
                if l2[0] == "pass" and len(l2) > 1 and l2[1] != "log":
                    self.diag(ln, w2[1][1], "note", "approximate", f"`{w2[1][0]}` after pass is not read",
                              "policy-map type inspect")
                return
            if l2[0] in ("police", "urlfilter", "service-policy", "log"):
                self.diag(ln, w2[0][1], "note", "approximate",
                          f"`{w2[0][0]}` in an inspect class is not modelled (the class's action decides)",
                          "policy-map type inspect")
                return
            self.diag(ln, w2[0][1], "warning", "unsupported", f"`{line.strip()}` in an inspect policy is not read",
                      "policy-map type inspect")

        self.open_block(lineno, handler)

    # -- NAT

    def nat_global(self, lineno: int, ws, lw) -> None:
        self.relevant(lineno)
        k = lw[2] if len(lw) > 2 else ""
        if k == "pool" and len(ws) > 3:
            name = ws[3][0]
            pool = {"line": lineno, "start": None, "end": None}
            if len(ws) > 5 and _ipv4(ws[4][0]) is not None and _ipv4(ws[5][0]) is not None:
                pool["start"], pool["end"] = ws[4][0], ws[5][0]
            self.nat_pools[name] = pool

            def handler(ln: int, line: str, pool=pool) -> None:
                self.relevant(ln)
                w2 = _words(line)
                if w2[0][0].lower() == "address" or w2[0][0].lower() == "range":
                    if len(w2) > 2 and pool["start"] is None:
                        pool["start"], pool["end"] = w2[1][0], w2[2][0]

            self.open_block(lineno, handler)
            return
        if k in ("inside", "outside"):
            self.nat_stmts.append((lineno, " ".join(w for w, _ in ws)))
            return
        # timeouts, logging, translation limits, `ip nat service`: understood, no effect on filtering

    # -- the end of the file

    def finish(self) -> tuple[list, list, list, list]:
        filters: list[m.Filter] = []
        by_key: dict[tuple[int, str], m.Filter] = {}
        v4_names = set(self.acls[4])
        for fam in (4, 6):
            for name, acl in self.acls[fam].items():
                acl.filter_name = name if fam == 4 or name not in v4_names else f"ipv6:{name}"
                f = self.build_filter(acl)
                by_key[(fam, name)] = f
                filters.append(f)
        self.filters_by_key = by_key
        bindings: list[m.Binding] = []
        used: set[tuple[int, str]] = set()
        for itf in self.ifaces.values():
            for (fam, direction), (name, ln, col) in sorted(itf.access.items()):
                f = by_key.get((fam, name))
                if f is None:
                    other = by_key.get((6 if fam == 4 else 4, name))
                    extra = (f" ({name} is an IPv{6 if fam == 4 else 4} access list)" if other is not None else "")
                    self.diag(ln, col, "error", "undefined-reference",
                              f"access list {name} is not defined{extra}: IOS lets every packet through "
                              f"{itf.name} {direction}", "ip access-group" if fam == 4 else "ipv6 traffic-filter")
                    continue
                used.add((fam, name))
                bindings.append(m.Binding(f.name, direction, itf.name, fam))
        alterations = self.build_nat(used) + self.build_mss()
        zbf = _Zbf(self, used)
        zfilters, zbindings = zbf.build()
        filters.extend(zfilters)
        bindings.extend(zbindings)
        self.unused(used)
        interfaces = [m.Interface(i.name, tuple(i.addresses),
                                  i.zone[0] if i.zone and i.zone[0] in self.zones else None)
                      for i in self.ifaces.values()]
        return filters, bindings, alterations, interfaces

    def build_filter(self, acl: _Acl) -> m.Filter:
        rules: list[m.Rule] = []
        for e in sorted(acl.entries, key=lambda e: e.seq):
            conds = self.ace_conds(acl, e)
            if conds is None:
                continue
            rules.append(m.Rule(m.Match(tuple(conds)), m.Action(e.action), self.origin(e.line, e.col),
                                len(rules), comment=e.remark, effects=_effects(e)))
        origin = self.origin(acl.line)
        if acl.family == 6 and rules and rules[-1].match.conds:
            # IPv6 access lists end with implicit permits for neighbour discovery before the deny
            for nd in ("nd-na", "nd-ns"):
                t = IOS_ICMP6[nd][0]
                nd_match = m.Match((m.IntCond(m.PROTO, ((58, 58),)), m.IntCond(m.ICMP, ((t << 8, (t << 8) | 255),))))
                rules.append(m.Rule(nd_match, m.Action("accept"), origin, len(rules),
                                    comment=f"implicit: permit icmp any any {nd}"))
        default = m.Action("drop")
        if not rules:
            default = m.Action("accept")
            self.diag(acl.line, 1, "note", "approximate",
                      f"access list {acl.name} has no entry: IOS lets every packet through an interface that applies "
                      "it (no implicit deny without an entry)", "empty access list")
        return m.Filter(acl.filter_name or acl.name, tuple(rules), default, "first-match", "", False, acl.family,
                        origin)

    # -- entries -> conditions

    def ace_conds(self, acl: _Acl, e: _Ace) -> list | None:
        """The conditions of one entry; None when IOS rejects it (after an error diagnostic)."""
        if e.kind == "evaluate":
            self.diag(e.line, e.col, "note", "approximate",
                      f"evaluate {e.evaluate}: the reflexive entries are modelled as packets of established "
                      "sessions (whether the session was reflected is unknown)", "reflexive access list")
            est = m.STATE_NUMBER["ESTABLISHED"], m.STATE_NUMBER["RELATED"]
            return [m.IntCond(m.STATE, ((min(est), max(est)),)),
                    m.Opaque(f"ios:reflexive {e.evaluate}", f"a session recorded by `reflect {e.evaluate}`")]
        spec = e.spec
        assert spec is not None
        fam = acl.family
        ln = e.line
        conds: list = []
        protos: tuple | None = None  # None: every protocol
        service = False
        if not spec.std and spec.proto is not None:
            kind, text, col = spec.proto
            if kind == "group":
                g = self.group_ref(text, ln, col, ("protocol", "service"))
                if g is None:
                    conds.append(m.Opaque(f"ios:object-group {text}", f"object-group {text} (undefined)"))
                    protos = ("?",)
                elif g.kind == "protocol":
                    members = self.group_members(g, ln, col)
                    if members is None:
                        return None
                    ps = None if None in members else sorted(set(members))
                    if ps is not None:
                        protos = tuple(ps)
                        conds.append(m.IntCond(m.PROTO, merge((p, p) for p in ps)))
                        if not ps:
                            self.diag(ln, col, "note", "approximate",
                                      f"object-group {text} is empty: this entry matches nothing", "object-group")
                else:
                    members = self.group_members(g, ln, col)
                    if members is None:
                        return None
                    alts = self.flat_services(g, fam, members)
                    service = True
                    if not alts:
                        self.diag(ln, col, "note", "approximate",
                                  f"object-group {text} is empty: this entry matches nothing", "object-group")
                        conds.extend(NOTHING)
                    else:
                        conds.extend(_any_of(alts))
            else:
                p = self.proto_value(text, fam)
                if p is False:
                    self.diag(ln, col, "error", "invalid",
                              f"unknown protocol `{text}` for an IPv{fam} access list; IOS rejects this entry",
                              "protocol")
                    return None
                if p is not None:
                    protos = (p,)
                    conds.append(m.IntCond(m.PROTO, ((p, p),)))
        for side, fieldname in ((spec.src, m.SRC), (spec.dst, m.DST)):
            if side is None:
                continue
            c = self.addr_conds(side, fieldname, fam, ln)
            if c is None:
                return None
            conds.extend(c)
        for port, fieldname in ((spec.sport, m.SPORT), (spec.dport, m.DPORT)):
            if port is None:
                continue
            op, vals, col = port
            if service or protos is None or "?" in protos or not set(protos) <= _PORT_PROTOS or not protos:
                if protos is not None and "?" in protos:
                    continue
                self.diag(ln, col, "error", "invalid",
                          "port numbers need the protocol tcp, udp or sctp; IOS rejects this entry", "port")
                return None
            ptext = "udp" if protos == (17,) else "tcp"
            r = self.port_ranges([(op, col)] + list(vals), ptext, ln, col, "port", protos)
            if r is None:
                return None
            conds.append(m.IntCond(fieldname, r))
        ok = self.item_conds(spec, protos, fam, ln, conds, e)
        if not ok:
            return None
        if e.dynamic:
            self.diag(ln, e.col, "note", "approximate",
                      f"dynamic (lock-and-key) entry {e.dynamic}: it applies only after a user authenticates; "
                      "modelled as an unknown condition", "dynamic access list")
            conds.append(m.Opaque(f"ios:dynamic {acl.name} {e.dynamic}", f"lock-and-key entry {e.dynamic} activated"))
        return conds

    def item_conds(self, spec: _Spec, protos, fam: int, ln: int, conds: list, e: _Ace) -> bool:
        if not spec.items:
            return True
        tcp_only = protos == (6,)
        icmp_vals: list[tuple[str, int]] = []
        flags: list[tuple[str, int]] = []
        prev = ""

        def need_tcp(what: str, col: int) -> bool:
            if protos is not None and "?" in protos:
                return True
            if not tcp_only:
                self.diag(ln, col, "error", "invalid", f"`{what}` needs the protocol tcp; IOS rejects this entry",
                          what)
                return False
            return True

        for kind, vals, col in spec.items:
            if kind == "value":
                if prev == "log":
                    prev = "logtag"
                    continue  # `log WORD`: a log cookie
                icmp_vals.append((vals[0][0], col))
                prev = kind
                continue
            prev = kind
            if kind == "log":
                continue
            if kind == "established":
                if not need_tcp("established", col):
                    return False
                conds.append(ESTABLISHED)
            elif kind == "flag":
                if not need_tcp(vals[0][0].lower(), col):
                    return False
                flags.append((vals[0][0].lower(), col))
            elif kind in ("match_any", "match_all"):
                if not need_tcp(kind.replace("_", "-"), col):
                    return False
                fl = [(x[0].lower(), x[1]) for x in vals]
                if kind == "match_all":
                    mask = comp = 0
                    for f, _c in fl:
                        bit = _FLAG_BITS[f[1:]]
                        mask |= bit
                        if f[0] == "+":
                            comp |= bit
                    conds.append(m.FlagsCond(mask, comp))
                else:
                    alts = [(m.FlagsCond(_FLAG_BITS[f[1:]], _FLAG_BITS[f[1:]] if f[0] == "+" else 0),) for f, _c in fl]
                    conds.extend(_any_of(alts))
            elif kind == "fragments":
                self.diag(ln, col, "note", "approximate",
                          "`fragments` matches non-initial fragments only; fwlint's packets are not fragments: "
                          "modelled as an unknown condition", "fragments")
                conds.append(m.Opaque("ios:fragments", "a non-initial fragment"))
            elif kind == "time_range":
                name = vals[0][0]
                self.time_range_used.add(name)
                if name not in self.time_ranges:
                    self.diag(ln, vals[0][1], "error", "undefined-reference",
                              f"time-range {name} is not defined", "time-range")
                else:
                    self.diag(ln, col, "note", "approximate",
                              f"time-range {name}: whether the entry is active depends on the time; "
                              "modelled as an unknown condition", "time-range")
                conds.append(m.Opaque(f"ios:time-range {name}", f"time-range {name} is active"))
            elif kind in ("dscp", "precedence", "tos", "option"):
                v = vals[0][0]
                self.diag(ln, col, "note", "approximate",
                          f"`{kind} {v}` tests an IP header field fwlint does not model: an unknown condition", kind)
                conds.append(m.Opaque(f"ios:{kind} {v.lower()}", f"IP {kind} {v}"))
            elif kind in ("ttl", "packet_length"):
                text = " ".join(v for v, _ in vals)
                what = kind.replace("_", "-")
                self.diag(ln, col, "note", "approximate",
                          f"`{what} {text}` tests an IP header field fwlint does not model: an unknown condition", what)
                conds.append(m.Opaque(f"ios:{what} {text.lower()}", f"IP {what} {text}"))
            elif kind == "reflect":
                self.diag(ln, col, "note", "approximate",
                          f"reflect {vals[0][0]}: the entry matches as written, and its sessions open reflexive "
                          "entries that `evaluate` tests (modelled as established sessions)", "reflexive access list")
        if flags:
            if len(flags) == 1:
                bit = _FLAG_BITS[flags[0][0]]
                conds.append(m.FlagsCond(bit, bit))
            else:
                self.diag(ln, flags[1][1], "note", "approximate",
                          "several TCP flag keywords without match-any/match-all: read as any of them set",
                          "tcp flags")
                conds.extend(_any_of([(m.FlagsCond(_FLAG_BITS[f], _FLAG_BITS[f]),) for f, _c in flags]))
        if icmp_vals and fam == 6:
            icmp_vals = self.ipv6_options(icmp_vals, ln, conds)
        if icmp_vals:
            icmp_proto = 58 if fam == 6 else 1
            words = [v for v, _ in icmp_vals]
            if protos == (icmp_proto,):
                c = _icmp_cond(words, fam == 6)
                if c is None:
                    self.diag(ln, icmp_vals[0][1], "error", "invalid",
                              f"unknown ICMP{'v6' if fam == 6 else ''} message `{' '.join(words)}`; "
                              "IOS rejects this entry",
                              "icmp type")
                    return False
                conds.append(c)
            elif protos == (2,) and fam == 4:
                self.diag(ln, icmp_vals[0][1], "note", "approximate",
                          f"IGMP type `{' '.join(words)}` is not modelled: an unknown condition", "igmp type")
                conds.append(m.Opaque(f"ios:igmp {' '.join(words).lower()}", f"IGMP type {' '.join(words)}"))
            elif protos is not None and "?" in protos:
                pass
            else:
                self.diag(ln, icmp_vals[0][1], "error", "syntax",
                          f"unexpected `{words[0]}` in this entry", "access-list entry")
                return False
        return True

    def ipv6_options(self, vals: list, ln: int, conds: list) -> list:
        """IPv6 extension-header and flow tests (`routing`, `hbh`, `flow-label N`, ...): unknown
        conditions with a note; the other words are returned."""
        rest = []
        i = 0
        while i < len(vals):
            w, col = vals[i]
            lw = w.lower()
            if lw in _V6_OPTIONS:
                arg = ""
                if _V6_OPTIONS[lw] and i + 1 < len(vals):
                    arg = " " + vals[i + 1][0]
                    i += 1
                self.diag(ln, col, "note", "approximate",
                          f"`{w}{arg}` tests an IPv6 header fwlint does not model: an unknown condition", "ipv6 option")
                conds.append(m.Opaque(f"ios:ipv6 {lw}{arg.lower()}", f"IPv6 {w}{arg}"))
            else:
                rest.append((w, col))
            i += 1
        return rest

    def addr_conds(self, side: tuple, fieldname: str, fam: int, ln: int) -> list | None:
        kind = side[0]
        if kind == "any":
            return []
        if kind in ("host", "bare"):
            text, col = side[1], side[2]
            a = _ipv4(text) if fam == 4 else (_ipv6(text) if ":" in text else None)
            if a is None:
                self.diag(ln, col, "error", "invalid", f"`{text}` is not an IPv{fam} address; IOS rejects this entry",
                          "address")
                return None
            return [m.AddrCond(fieldname, ((fam, a, a),))]
        if kind == "wild":
            a_text, w_text, col, wcol = side[1], side[2], side[3], side[4]
            if fam == 6:
                self.diag(ln, col, "error", "syntax",
                          "IPv6 access lists take prefixes (`2001:db8::/32`), not wildcards", "address")
                return None
            a = _ipv4(a_text)
            if a is None:
                self.diag(ln, col, "error", "invalid", f"`{a_text}` is not an IPv4 address; IOS rejects this entry",
                          "address")
                return None
            w = _ipv4(w_text)
            if w is None:
                self.diag(ln, wcol, "error", "invalid", f"malformed wildcard `{w_text}`; IOS rejects this entry",
                          "wildcard")
                return None
            rs = wildcard_ranges(a, w)
            if rs is None:
                hint = ""
                if _mask_len(w) is not None:
                    hint = (f" (it looks like a netmask: IOS reads `{w_text}` as a wildcard, so only the last "
                            f"{32 - (_mask_len(w) or 0)} bits are compared)")
                self.diag(ln, wcol, "note", "approximate",
                          f"non-contiguous wildcard {a_text} {w_text} matches more than {MAX_WILDCARD_RANGES} address "
                          f"ranges: modelled as an unknown condition{hint}", "non-contiguous wildcard")
                return [m.Opaque(f"ios:wildcard {fieldname} {a_text} {w_text}",
                                 f"{'source' if fieldname == m.SRC else 'destination'} matches {a_text} {w_text}")]
            return [m.AddrCond(fieldname, tuple((4, lo, hi) for lo, hi in rs))]
        if kind == "prefix":
            text, col = side[1], side[2]
            p = _prefix(text)
            if p is None or p[0] != fam:
                self.diag(ln, col, "error", "invalid", f"`{text}` is not an IPv{fam} prefix; IOS rejects this entry",
                          "address")
                return None
            return [m.AddrCond(fieldname, (p,))]
        if kind == "group":
            name, col = side[1], side[2]
            g = self.group_ref(name, ln, col, ("network",))
            if g is None:
                return [m.Opaque(f"ios:object-group {name}", f"object-group {name} (undefined)")]
            members = self.group_members(g, ln, col)
            if members is None:
                return None
            rs = [r for r in members if r[0] == fam]
            if not rs:
                self.diag(ln, col, "note", "approximate",
                          f"object-group {name} has no IPv{fam} address: this entry matches nothing", "object-group")
            return [m.AddrCond(fieldname, merge3(rs))]
        raise ValueError(kind)  # pragma: no cover

    # -- object-group resolution

    def group_ref(self, name: str, ln: int, col: int, kinds: tuple) -> _Group | None:
        g = self.groups.get(name)
        if g is None:
            self.diag(ln, col, "error", "undefined-reference",
                      f"object-group {name} is not defined (IOS rejects such an entry): modelled as an unknown "
                      "condition", "object-group")
            return None
        self.group_used.add(name)
        if g.kind not in kinds:
            self.diag(ln, col, "error", "invalid",
                      f"object-group {name} is a {g.kind} group; a {' or '.join(kinds)} group is needed here",
                      "object-group")
            return None
        return g

    def report_once(self, ln: int, col: int, code: str, message: str, construct: str) -> None:
        """An error at a reference that several resolutions may meet (a group-object line)."""
        if (ln, col) not in self._reported:
            self._reported.add((ln, col))
            self.diag(ln, col, "error", code, message, construct)

    def group_members(self, g: _Group, ln: int, col: int) -> tuple | None:
        """The members of a group with its nested groups (`_GroupFlattener`); None when it nests
        too deep (reported at the entry, which is not analysed)."""
        res = self.flattener.resolve(g.name)
        if isinstance(res, _Refused):
            why = (f"nests object-groups more than {MAX_OBJECT_GROUP_DEPTH} deep (linter/limits.py "
                   "MAX_OBJECT_GROUP_DEPTH" if res.code == "nesting-limit" else
                   "takes more members from nested groups than fwlint copies in one file (linter/limits.py "
                   "MAX_NESTED_GROUP_MEMBERS")
            self.diag(ln, col, "error", res.code, f"object-group {g.name} {why}; the limit is crossed at line "
                      f"{res.line}): this entry is not analysed", "object-group")
            return None
        return res.value  # type: ignore[return-value]

    def flat_services(self, g: _Group, fam: int, members: tuple) -> list:
        key = ("svc", g.name, fam)
        if key not in self._conds_cache:
            alts = []
            for conds in members:
                if fam == 6:  # ICMP in an IPv6 list is ICMPv6
                    conds = tuple(m.IntCond(m.PROTO, ((58, 58),)) if c == m.IntCond(m.PROTO, ((1, 1),)) else c
                                  for c in conds)
                alts.append(conds)
            self._conds_cache[key] = alts
        return self._conds_cache[key]

    # -- access lists as match predicates (class-maps, NAT)

    def acl_predicate(self, f: m.Filter, construct: str, ln: int, col: int) -> tuple:
        """The packets an access list permits, as conditions: permit i and none of the denies
        before it (first match). Empty list: nothing."""
        fam = (m.IntCond(m.FAMILY, ((f.family, f.family),)),) if f.family else ()
        alts: list[tuple] = []
        denies: list[tuple] = []
        size = 0
        for r in f.rules:
            if r.action.kind == "accept":
                alts.append(tuple(r.match.conds) + tuple(_neg(d) for d in denies))
                size += len(denies) + 1
                if not r.match.conds and not denies:
                    break
            else:
                if not r.match.conds:
                    break
                denies.append(tuple(r.match.conds))
            if size > MAX_PREDICATE_CONDS:
                self.diag(ln, col, "note", "approximate",
                          f"access list {f.name} is too large to use as a match here: an unknown condition", construct)
                return fam + (m.Opaque(f"ios:acl-match {f.name}", f"access list {f.name} permits the packet"),)
        if not alts:
            return NOTHING
        return fam + _any_of(alts)

    # -- NAT and MSS

    def build_nat(self, used: set) -> list[m.Alteration]:
        inside = tuple(i.name for i in self.ifaces.values() if i.nat == "inside")
        outside = tuple(i.name for i in self.ifaces.values() if i.nat == "outside")
        out: list[m.Alteration] = []
        for ln, _text in self.nat_stmts:
            try:
                out.extend(self.nat_stmt(ln, inside, outside, used))
            except (IndexError, ValueError):
                self.diag(ln, 1, "error", "syntax", "an `ip nat` rule fwlint cannot read", "ip nat")
        return out

    def nat_stmt(self, ln: int, inside: tuple, outside: tuple, used: set) -> list[m.Alteration]:
        ws = _words(self.lines[ln - 1])
        lw = [w.lower() for w, _ in ws]
        side, what = lw[2], lw[3] if len(lw) > 3 else ""
        origin = self.origin(ln)
        text = self.lines[ln - 1].strip()
        if what not in ("source", "destination") or len(ws) < 6:
            self.diag(ln, ws[2][1], "error", "syntax", "`ip nat inside|outside source|destination ...`", "ip nat")
            return []
        stage = "out" if (side, what) == ("inside", "source") else "in"
        base_params = [("side", side), ("translates", what)]
        if not inside or not outside:
            self.diag(ln, ws[0][1], "note", "approximate",
                      "no interface has both `ip nat inside` and `ip nat outside` configured: this translation "
                      "never applies", "ip nat")
        if inside:
            base_params.append(("inside_interfaces", ",".join(inside)))
        if outside:
            base_params.append(("outside_interfaces", ",".join(outside)))
        # translation happens between an inside and an outside interface only (with none of
        # either, the interface conditions match nothing, as NAT then does nothing)
        if stage == "out":
            ifc = (m.IfaceCond(m.IN_IFACE, inside), m.IfaceCond(m.OUT_IFACE, outside))
            back = (m.IfaceCond(m.IN_IFACE, outside), m.IfaceCond(m.OUT_IFACE, inside))
        else:
            ifc = (m.IfaceCond(m.IN_IFACE, outside), m.IfaceCond(m.OUT_IFACE, inside))
            back = (m.IfaceCond(m.IN_IFACE, inside), m.IfaceCond(m.OUT_IFACE, outside))
        k = lw[4]
        if k in ("list", "route-map"):
            name, ncol = ws[5][0], ws[5][1]
            params = base_params + [("list" if k == "list" else "route-map", name)]
            if k == "list":
                f = self.filters_by_key.get((4, name))
                if f is None:
                    self.diag(ln, ncol, "error", "undefined-reference", f"access list {name} is not defined: this "
                              "rule translates nothing", "ip nat")
                    match: tuple = (m.Opaque(f"ios:acl {name}", f"access list {name} (undefined)"),)
                else:
                    used.add((4, name))
                    match = self.acl_predicate(f, "ip nat", ln, ncol)
                    if what == "destination":
                        match = tuple(_swap_src_dst(c) for c in match)
            else:
                self.acl_used.add(name)
                self.diag(ln, ncol, "note", "approximate",
                          f"route-map {name}: the packets it selects are not modelled (an unknown condition)", "ip nat")
                match = (m.Opaque(f"ios:route-map {name}", f"route-map {name} matches"),)
            rest = ws[6:]
            i = 0
            while i < len(rest):
                w = rest[i][0].lower()
                if w in ("pool", "interface", "vrf") and i + 1 < len(rest):
                    params.append((w, rest[i + 1][0]))
                    pool = self.nat_pools.get(rest[i + 1][0]) if w == "pool" else None
                    if w == "pool" and pool is None:
                        self.diag(ln, rest[i + 1][1], "error", "undefined-reference",
                                  f"NAT pool {rest[i + 1][0]} is not defined", "ip nat")
                    elif pool is not None and pool["start"]:
                        params.append(("pool_range", f"{pool['start']}-{pool['end']}"))
                    i += 2
                    continue
                if w in ("overload", "reversible", "no-payload", "oer", "redundancy", "mapping-id"):
                    params.append((w, "yes"))
                i += 1
            return [m.Alteration("nat", m.Match(tuple(match) + ifc), origin, stage, params=tuple(params),
                                 description=text)]
        if k == "static":
            args = ws[5:]
            proto = None
            if args[0][0].lower() in ("tcp", "udp"):
                proto = 6 if args[0][0].lower() == "tcp" else 17
                args = args[1:]
            network = False
            if args[0][0].lower() == "network":
                network = True
                args = args[1:]
            a_text = args[0][0]
            if proto:
                a_port, b_text, b_port = args[1][0], args[2][0], args[3][0]
                rest = args[4:]
            else:
                a_port = b_port = None
                b_text = args[1][0]
                rest = args[2:]
            plen = 32
            if network and rest:
                mtext = rest[0][0]
                if mtext.startswith("/") and mtext[1:].isdigit():
                    plen = read_int(mtext[1:])
                else:
                    mk = _ipv4(mtext)
                    plen = _mask_len(mk) if mk is not None else None  # type: ignore[assignment]
                rest = rest[1:]
            a, b = _ipv4(a_text), _ipv4(b_text)
            if a is None or b is None or plen is None or not 0 <= plen <= 32:
                self.diag(ln, args[0][1], "error", "invalid", "static NAT needs two IPv4 addresses (and a valid mask)",
                          "ip nat")
                return []
            size = (1 << (32 - plen)) - 1
            ra = (4, a & ~size & 0xFFFFFFFF, (a & ~size & 0xFFFFFFFF) | size)
            rb = (4, b & ~size & 0xFFFFFFFF, (b & ~size & 0xFFFFFFFF) | size)
            params = base_params + [("static", "yes"), ("from", a_text), ("to", b_text)]
            if network:
                params.append(("prefix-length", str(plen)))
            pc = (m.IntCond(m.PROTO, ((proto, proto),)),) if proto else ()
            fwd = pc + (m.AddrCond(m.SRC, (ra,)),)
            rev = pc + (m.AddrCond(m.DST, (rb,)),)
            if proto:
                pa, pb = read_int(a_port), read_int(b_port)  # type: ignore[arg-type]
                params += [("from_port", str(pa)), ("to_port", str(pb))]
                fwd += (m.IntCond(m.SPORT, ((pa, pa),)),)
                rev += (m.IntCond(m.DPORT, ((pb, pb),)),)
            extra = ()
            for j, (w, c) in enumerate(rest):
                wl = w.lower()
                if wl in ("vrf", "route-map") and j + 1 < len(rest):
                    params.append((wl, rest[j + 1][0]))
                    if wl == "route-map":
                        self.acl_used.add(rest[j + 1][0])
                        self.diag(ln, c, "note", "approximate",
                                  f"route-map {rest[j + 1][0]}: the packets it selects are not modelled", "ip nat")
                        extra = (m.Opaque(f"ios:route-map {rest[j + 1][0]}", f"route-map {rest[j + 1][0]} matches"),)
                elif wl in ("extendable", "no-alias", "add-route", "no-payload", "redundancy", "reversible"):
                    params.append((wl, "yes"))
            rev_stage = "in" if stage == "out" else "out"
            return [
                m.Alteration("nat", m.Match(fwd + extra + ifc), origin, stage, params=tuple(params), description=text),
                m.Alteration("nat", m.Match(rev + extra + back), origin, rev_stage,
                             params=tuple(params) + (("reverse", "yes"),),
                             description=text + " (the reverse translation)"),
            ]
        self.diag(ln, ws[4][1], "error", "syntax", f"unknown NAT form `{ws[4][0]}`", "ip nat")
        return []

    def build_mss(self) -> list[m.Alteration]:
        out = []
        for itf in self.ifaces.values():
            for fam, value, ln in itf.mss:
                base = (m.IntCond(m.FAMILY, ((fam, fam),)), m.IntCond(m.PROTO, ((6, 6),)), m.FlagsCond(0x02, 0x02))
                params = (("mss", value), ("interface", itf.name))
                for stage, fieldname in (("in", m.IN_IFACE), ("out", m.OUT_IFACE)):
                    out.append(m.Alteration("mss", m.Match(base + (m.IfaceCond(fieldname, (itf.name,)),)),
                                            self.origin(ln), stage, params=params,
                                            description=f"TCP MSS clamped to {value} on {itf.name}"))
        return out

    # -- unused definitions

    def unused(self, used: set) -> None:
        names_used = self.other_refs | self.acl_used
        for fam in (4, 6):
            for name, acl in self.acls[fam].items():
                if (fam, name) in used or name in names_used:
                    continue
                self.diag(acl.line, 1, "note", "unused",
                          f"access list {acl.filter_name or name} is defined but nothing uses it (no interface, "
                          "class-map, NAT rule or other command refers to it)", "access list")
        for g in self.groups.values():
            if g.name not in self.group_used:
                self.diag(g.line, 1, "note", "unused", f"object-group {g.name} is defined but no entry uses it",
                          "object-group")
        for name, ln in self.time_ranges.items():
            if name not in self.time_range_used:
                self.diag(ln, 1, "note", "unused", f"time-range {name} is defined but no entry uses it", "time-range")
        for cm in self.class_maps.values():
            if cm.name not in self.class_used:
                self.diag(cm.line, 1, "note", "unused", f"class-map {cm.name} is defined but no policy-map uses it",
                          "class-map type inspect")
        for pm in self.policy_maps.values():
            if pm.name not in self.policy_used:
                self.diag(pm.line, 1, "note", "unused", f"policy-map {pm.name} is defined but no zone-pair uses it",
                          "policy-map type inspect")


# --------------------------------------------------------------------------- zone-based firewall


class _Zbf:
    """Zone-based policy firewall as filters bound inbound on the member interfaces.

    - `zone-pair NAME` (source Z1, destination Z2): the classes of its inspect policy-map in
      order (inspect and pass accept, drop drops), each with the egress interface in Z2; then
      class-default (drop unless it says otherwise). Packets that do not leave through Z2 are
      not its business: default accept. When a zone-pair Z2 -> Z1 inspects, a first rule lets
      the packets of established sessions through (the replies of inspected sessions).
    - `zone Z`, bound on Z's members: replies of sessions inspected towards Z pass; traffic to
      every interface that is neither in Z (intra-zone) nor in a zone Z has a zone-pair to
      (another zone without a zone-pair, or an interface in no zone) is dropped; the rest
      passes on by default (to the zone-pair's filter, intra-zone, or to the router itself).
    - `zone (none)`, bound on interfaces in no zone: traffic to a zone member is dropped.
    """

    def __init__(self, conv: _Conv, used: set) -> None:
        self.c = conv
        self.used = used
        self.inspect_notes: set[int] = set()
        self.pm_cache: dict[str, tuple] = {}
        self.cm_reader = _ClassMapReader(self)

    def build(self) -> tuple[list[m.Filter], list[m.Binding]]:
        c = self.c
        members: dict[str, list[str]] = {z: [] for z in c.zones}
        for itf in c.ifaces.values():
            if itf.zone:
                z, ln, col = itf.zone
                if z not in c.zones:
                    c.diag(ln, col, "error", "undefined-reference",
                           f"zone {z} is not defined (no `zone security {z}`): IOS rejects this zone-member",
                           "zone-member security")
                    continue
                members[z].append(itf.name)
        if "default" in c.zones:
            members["default"].extend(i.name for i in c.ifaces.values()
                                      if not any(i.name in v for v in members.values()))
        pairs: list[_ZonePair] = []
        for zp in c.zone_pairs:
            ok = True
            for z, col in ((zp.src, zp.cols[0]), (zp.dst, zp.cols[1])):
                if z != "self" and z not in c.zones:
                    c.diag(zp.line, col, "error", "undefined-reference", f"zone {z} is not defined", "zone-pair")
                    ok = False
            if zp.policy is not None:
                c.policy_used.add(zp.policy[0])
                if zp.policy[0] not in c.policy_maps:
                    c.diag(zp.policy[1], zp.policy[2], "error", "undefined-reference",
                           f"policy-map type inspect {zp.policy[0]} is not defined: the zone-pair drops everything",
                           "service-policy type inspect")
            if not ok:
                continue
            if "self" in (zp.src, zp.dst):
                c.diag(zp.line, zp.cols[0] if zp.src == "self" else zp.cols[1], "warning", "unsupported",
                       "zone-pairs with the self zone (traffic to or from the router itself) are not modelled",
                       "zone-pair self")
                continue
            pairs.append(zp)
        zoned = {i for v in members.values() for i in v}
        for z, ln in c.zones.items():
            if not members[z] and not any(z in (zp.src, zp.dst) for zp in c.zone_pairs):
                c.diag(ln, 1, "note", "unused", f"zone {z} has no member interface and no zone-pair", "zone security")
        filters: list[m.Filter] = []
        bindings: list[m.Binding] = []
        # every policy-map and class-map is read once, used or not (undefined references are
        # reported wherever they are)
        for name in c.policy_maps:
            self.policy_map_rules(name)
        for cm in list(c.class_maps.values()):
            self.class_conds(cm)
        policies = {zp.name: self.policy_rules(zp) for zp in pairs}
        inspected = {(zp.src, zp.dst) for zp in pairs if policies[zp.name][1]}
        est = m.IntCond(m.STATE, ((m.STATE_NUMBER["ESTABLISHED"], m.STATE_NUMBER["RELATED"]),))
        for zp in pairs:
            out_c = m.IfaceCond(m.OUT_IFACE, tuple(members[zp.dst]))
            origin = c.origin(zp.line)
            rules: list[m.Rule] = []
            if (zp.dst, zp.src) in inspected:
                rules.append(m.Rule(m.Match((est, out_c)), m.Action("accept"), origin, 0,
                                    comment=f"replies of sessions inspected from zone {zp.dst} to zone {zp.src}"))
            for conds, action, rorigin, comment in policies[zp.name][0]:
                rules.append(m.Rule(m.Match(tuple(conds) + (out_c,)), m.Action(action), rorigin, len(rules),
                                    comment=comment))
            name = f"zone-pair {zp.name}"
            filters.append(m.Filter(name, tuple(rules), m.Action("accept"), "first-match", "", False, None, origin))
            bindings.extend(m.Binding(name, "in", i) for i in members[zp.src])
        all_ifaces = list(c.ifaces)
        for z, mem in members.items():
            if not mem or not zoned:
                continue
            origin = c.origin(c.zones[z])
            allowed = list(dict.fromkeys(mem + [i for zp in pairs if zp.src == z for i in members[zp.dst]]))
            replies = [i for zp in pairs if zp.dst == z and (zp.src, z) in inspected for i in members[zp.src]
                       if i not in allowed]
            others = [i for i in all_ifaces if i not in allowed]
            # no accept rule for the allowed interfaces: the default passes them on (to the
            # zone-pair's filter, or intra-zone), and traffic to the router itself
            rules: list[m.Rule] = []
            if replies and others:
                rules.append(m.Rule(m.Match((est, m.IfaceCond(m.OUT_IFACE, tuple(dict.fromkeys(replies))))),
                                    m.Action("accept"), origin, len(rules),
                                    comment=f"zone {z}: replies of inspected sessions"))
            if others:
                rules.append(m.Rule(m.Match((m.IfaceCond(m.OUT_IFACE, tuple(others)),)), m.Action("drop"), origin,
                                    len(rules), comment=f"zone {z}: no zone-pair to these interfaces"))
            name = f"zone {z}"
            filters.append(m.Filter(name, tuple(rules), m.Action("accept"), "first-match", "", True, None, origin))
            bindings.extend(m.Binding(name, "in", i) for i in mem)
        free = [i for i in all_ifaces if i not in zoned]
        if zoned and free:
            first = min(c.zones.values())
            origin = c.origin(first)
            rule = m.Rule(m.Match((m.IfaceCond(m.OUT_IFACE, tuple(sorted(zoned, key=all_ifaces.index))),)),
                          m.Action("drop"), origin, 0,
                          comment="interfaces in no zone: traffic to a zone member is dropped")
            filters.append(m.Filter("zone (none)", (rule,), m.Action("accept"), "first-match", "", True, None, origin))
            bindings.extend(m.Binding("zone (none)", "in", i) for i in free)
        return filters, bindings

    def policy_rules(self, zp: _ZonePair) -> tuple[list, bool]:
        """[(conds, action, origin, comment)] of the zone-pair's policy (class-default last), and
        whether it inspects."""
        c = self.c
        if zp.policy is None:
            c.diag(zp.line, 1, "note", "approximate",
                   f"zone-pair {zp.name} has no service-policy: every packet from zone {zp.src} to zone {zp.dst} "
                   "is dropped", "zone-pair")
        if zp.policy is None or zp.policy[0] not in c.policy_maps:
            return [((), "drop", c.origin(zp.line), "class-default")], False
        rules, inspects, default = self.policy_map_rules(zp.policy[0])
        if default is None:
            default = ((), "drop", c.origin(zp.line), "class-default")
        return rules + [default], inspects

    def policy_map_rules(self, name: str) -> tuple[list, bool, tuple | None]:
        if name in self.pm_cache:
            return self.pm_cache[name]
        c = self.c
        pm = c.policy_maps[name]
        out: list = []
        inspects = False
        default = None
        for cls in pm.classes:
            action = cls["action"]
            if cls["name"] == "class-default":
                act = "accept" if action in ("pass", "inspect") else "drop"
                inspects = inspects or action == "inspect"
                default = ((), act, c.origin(cls["line"]), f"class-default: {action or 'drop'}")
                continue
            cm = c.class_maps.get(cls["name"])
            c.class_used.add(cls["name"])
            if cm is None:
                c.diag(cls["line"], cls["col"], "error", "undefined-reference",
                       f"class-map type inspect {cls['name']} is not defined", "policy-map type inspect")
                continue
            if action is None:
                c.diag(cls["line"], cls["col"], "note", "approximate",
                       f"class {cls['name']} has no action: read as drop", "policy-map type inspect")
                action = "drop"
            if action == "inspect":
                inspects = True
                c.diag(cls["aline"], 1, "note", "approximate",
                       "inspect: modelled as accept, with the replies of the session let back through; "
                       "application inspection is not modelled", "inspect")
            conds = self.class_conds(cm)
            refused = self.cm_reader.done.get(cm.name)
            if isinstance(refused, _Refused):
                c.diag(cls["line"], cls["col"], "error", refused.code,
                       f"class-map {cm.name} is not resolved (linter/limits.py: the limit is crossed at line "
                       f"{refused.line}): this class matches as an unknown condition", "policy-map type inspect")
            out.append((conds, "drop" if action == "drop" else "accept", c.origin(cls["line"]),
                        f"class {cls['name']}: {action}"))
        self.pm_cache[name] = (out, inspects, default)
        return self.pm_cache[name]

    def class_conds(self, cm: _ClassMap) -> tuple:
        """The conditions of a class-map with the class-maps it nests (`_ClassMapReader`); an
        unknown condition when it nests too deep (reported at the line that crosses the limit)."""
        res = self.cm_reader.resolve(cm.name)
        if isinstance(res, _Refused):
            return (m.Opaque(f"ios:class-map {cm.name}", f"class-map {cm.name} (nested too deep: not resolved)"),)
        return res.value  # type: ignore[return-value]

    def match_conds(self, cm: _ClassMap, kind: str, value: str, ln: int, col: int) -> tuple:
        """The conditions of one `match` line that nests no class-map."""
        c = self.c
        if kind == "acl":
            f = c.filters_by_key.get((4, value))
            fam = 4
            if f is None:
                f, fam = c.filters_by_key.get((6, value)), 6
            if f is None:
                c.diag(ln, col, "error", "undefined-reference", f"access list {value} is not defined",
                       "class-map match access-group")
                return (m.Opaque(f"ios:acl {value}", f"access list {value} (undefined)"),)
            self.used.add((fam, value))
            return c.acl_predicate(f, "class-map match access-group", ln, col)
        if kind == "protocol":
            return self.protocol_conds(value, ln, col)
        if kind == "class":  # an undefined class-map (reported by _ClassMapReader.nested)
            return (m.Opaque(f"ios:class-map {value}", f"class-map {value} (undefined)"),)
        return (m.Opaque(f"ios:class-map {cm.name} line {ln}", value),)

    def combine_matches(self, cm: _ClassMap, parts: list) -> tuple:
        if not parts:
            if cm.line not in self.inspect_notes:
                self.inspect_notes.add(cm.line)
                self.c.diag(cm.line, 1, "note", "approximate", f"class-map {cm.name} has no match statement: it "
                            "matches nothing", "class-map type inspect")
            return NOTHING
        if cm.how == "match-any":
            return _any_of(list(parts))
        return tuple(x for p in parts for x in p)

    def protocol_conds(self, value: str, ln: int, col: int) -> tuple:
        v = value.lower()
        if v in _L4_PROTOCOLS:
            n = _L4_PROTOCOLS[v]
            return (m.IntCond(m.PROTO, ((n, n),)),)
        if v in _PAM:
            protos, port = _PAM[v]
            self.c.diag(ln, col, "note", "approximate",
                        f"match protocol {value}: modelled by its default port "
                        f"({'/'.join(names.proto_name(p) for p in protos)} {port}); ip port-map and application "
                        "inspection are not modelled", "match protocol")
            return (m.IntCond(m.PROTO, merge((p, p) for p in protos)), m.IntCond(m.DPORT, ((port, port),)))
        self.c.diag(ln, col, "note", "approximate",
                    f"match protocol {value}: an application fwlint does not know: an unknown condition",
                    "match protocol")
        return (m.Opaque(f"ios:protocol {v}", f"application protocol {value}"),)


# --------------------------------------------------------------------------- tree -> spec


def _spec_of(tpl: tuple, toks: list[_Tok], std: bool) -> _Spec:
    """A template of token indices and the entry's tokens -> the entry as written."""
    action_type, proto_t, src_t, sport_t, dst_t, dport_t, items_t = tpl

    def addr(t: tuple | None) -> tuple | None:
        if t is None:
            return None
        k = t[0]
        if k == "any":
            return ("any",)
        if k == "wild":
            a, w = toks[t[1]], toks[t[2]]
            return ("wild", a.value, w.value, a.col, w.col)
        tok = toks[t[1]]
        return (k, tok.value, tok.col)

    def port(t: list | None) -> tuple | None:
        if t is None:
            return None
        op = toks[t[0]]
        return (op.value.lower(), [(toks[j].value, toks[j].col) for j in t[1:]], op.col)

    proto = None
    if proto_t is not None:
        if proto_t[0] == "group":
            proto = ("group", toks[proto_t[1]].value, toks[proto_t[2]].col)
        else:
            proto = (proto_t[0], toks[proto_t[1]].value, toks[proto_t[1]].col)
    items = [(kind, [(toks[j].value, toks[j].col) for j in idxs], toks[first].col) for kind, idxs, first in items_t]
    return _Spec(std, "accept" if action_type == "PERMIT" else "drop", proto, addr(src_t),  # type: ignore[arg-type]
                 port(sport_t), addr(dst_t), port(dport_t), items)


# --------------------------------------------------------------------------- small helpers


def _reseq(acl: _Acl) -> None:
    acl.seqs = {e.seq for e in acl.entries}
    acl.max_seq = max(acl.seqs, default=0)


def _split_port_op(ws: list) -> tuple[list, list]:
    if not ws:
        return [], []
    n = 2 if ws[0][0].lower() == "range" else 1
    return list(ws[:1 + n]), list(ws[1 + n:])


def r_cond(fieldname: str, ranges) -> m.IntCond:
    return m.IntCond(fieldname, tuple(ranges))


def _complement(ranges, top: int) -> tuple[tuple[int, int], ...]:
    out = []
    nxt = 0
    for lo, hi in ranges:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = max(nxt, hi + 1)
    if nxt <= top:
        out.append((nxt, top))
    return tuple(out)


def _icmp_cond(words: list[str], v6: bool) -> m.IntCond | None:
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


def _swap_src_dst(c):
    if isinstance(c, m.AddrCond):
        return dataclasses.replace(c, field=m.DST if c.field == m.SRC else m.SRC if c.field == m.DST else c.field)
    if isinstance(c, m.AnyCond):
        return dataclasses.replace(c, alternatives=tuple(m.Match(tuple(_swap_src_dst(x) for x in a.conds))
                                                         for a in c.alternatives))
    return c


# --------------------------------------------------------------------------- entry points


def _decode(path: str, data: bytes, conv: _Conv) -> str | None:
    import codecs

    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        conv.early.append((1, "note", "encoding", "the file is UTF-16 (with a byte-order mark): read as such"))
        return data.decode("utf-16", "replace")
    sample = data[:65536]
    if b"\x00" in sample:
        half = len(sample) // 2 or 1
        odd, even = sample[1::2].count(0), sample[0::2].count(0)
        if odd >= half * 0.4 and even <= half * 0.05:
            enc = "utf-16-le"
        elif even >= half * 0.4 and odd <= half * 0.05:
            enc = "utf-16-be"
        else:
            return None
        conv.early.append((1, "note", "encoding", f"the file is {enc.upper()} without a byte-order mark: read as such"))
        return data[: len(data) - (len(data) % 2)].decode(enc, "replace")
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    text, bad = decode_utf8(data)
    for b in bad:
        conv.early.append((b.line, "warning", "encoding", f"byte 0x{b.byte:02x} is not UTF-8 (read as U+FFFD)"))
    return text


def _split_lines(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _run(path: str, data: bytes) -> tuple[_Conv, list, list, list, list]:
    # the parse allocates many small objects that live until it ends (ciscoconfparse's line
    # objects, entries, conditions): the cyclic collector would walk them again and again
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_file(path, data)
    finally:
        if enabled:
            gc.enable()


def _run_file(path: str, data: bytes) -> tuple[_Conv, list, list, list, list]:
    conv = _Conv(path)
    text = _decode(path, data, conv)
    if text is None:
        lines = _split_lines(data.decode("latin-1"))
        conv.lines = lines
        conv.cat = ["relevant"] * len(lines)
        conv.diag(1, 1, "error", "binary", "this is not a text file (it contains NUL bytes): nothing is read", "file")
        conv.bad.update(range(1, len(lines) + 1))
        return conv, [], [], [], []
    lines = _split_lines(text)
    conv.lines = lines
    conv.cat = ["irrelevant"] * len(lines)
    for ln, sev, code, msg in conv.early:
        conv.diag(min(ln, max(len(lines), 1)), 1, sev, code, msg, "file", understood=True)
    try:
        conv.run(lines)
        filters, bindings, alterations, interfaces = conv.finish()
    except Exception as e:  # never raise on input
        conv.diag(1, 1, "error", "internal", f"could not read this file: {type(e).__name__}: {e}", "file")
        return conv, [], [], [], []
    if not filters and not bindings and not alterations:
        conv.diag(1, 1, "note", "empty", "no access list, zone-pair or NAT rule in this file: nothing to analyse"
                  + (f" (IOS forwards every packet between its {len(interfaces)} interfaces unfiltered: FW004)"
                     if len(interfaces) > 1 else " (IOS passes every packet on its interface unfiltered: FW004)"
                     if interfaces else ""),
                  "file")
    return conv, filters, bindings, alterations, interfaces


def parse(path: str, data: bytes, family: int | None = None) -> m.Device:
    """Parse a Cisco IOS configuration into a Device (never raises on any input)."""
    try:
        conv, filters, bindings, alterations, interfaces = _run(path, data)
    except Exception as e:  # pragma: no cover - _run catches everything it can
        diag = m.Diagnostic(m.Origin(path, 1, 1, ""), "error", "internal",
                            f"could not read this file: {type(e).__name__}: {e}", "file")
        return m.Device(os.path.basename(path) or path, PLATFORM, (path,), diagnostics=(diag,),
                        stats=(m.FileStats(path, 0, 0),))
    n = len(conv.lines)
    bad = {ln for ln in conv.bad if 1 <= ln <= n}
    diags = sorted(conv.diags, key=lambda d: (d.origin.line, d.origin.column, -_SEVERITY_RANK[d.severity], d.code))
    return m.Device(
        name=conv.hostname or os.path.basename(path) or path,
        platform=PLATFORM,
        sources=(path,),
        filters=tuple(filters),
        bindings=tuple(bindings),
        interfaces=tuple(interfaces),
        alterations=tuple(alterations),
        diagnostics=tuple(diags),
        stats=(m.FileStats(path, n, n - len(bad)),),
        family=None,
        routes=_static_routes(conv),
    )


_ROUTE_RE = re.compile(r"^ip route (?:vrf \S+ )?(\d+\.\d+\.\d+\.\d+) (\d+\.\d+\.\d+\.\d+) (\S+)(?: (\S+))?")
_ROUTE6_RE = re.compile(r"^ipv6 route (?:vrf \S+ )?([0-9A-Fa-f:]+/\d+) (\S+)(?: (\S+))?")


def _static_routes(conv) -> tuple:
    """`ip route A M NEXTHOP|IFACE [NEXTHOP]` and `ipv6 route P/L IFACE|NEXTHOP`: where the
    router sends what (used to infer which addresses lie behind which interface)."""
    import ipaddress

    out = []
    for n, raw in enumerate(conv.lines, 1):
        mt = _ROUTE_RE.match(raw)
        if mt:
            try:
                prefix = str(ipaddress.ip_network(f"{mt.group(1)}/{mt.group(2)}", strict=False))
            except ValueError:
                continue
            hops = [x for x in mt.groups()[2:] if x]
        else:
            mt = _ROUTE6_RE.match(raw)
            if not mt:
                continue
            try:
                prefix = str(ipaddress.ip_network(mt.group(1), strict=False))
            except ValueError:
                continue
            hops = [x for x in mt.groups()[1:] if x]
        iface = next_hop = None
        for h in hops:
            try:
                ipaddress.ip_address(h)
                next_hop = next_hop or h
            except ValueError:
                if h[0].isalpha() and iface is None and next_hop is None and h not in ("name", "tag", "track",
                                                                                       "permanent"):
                    iface = h
        if iface or next_hop:
            out.append(m.Route(prefix, iface, next_hop, conv.origin(n)))
    return tuple(out)


def relevance(path: str, data: bytes) -> dict:
    """How the lines of a file divide: blank, comment, not relevant to filtering (routing,
    AAA, logging, ... understood by being ignored), relevant; and how many relevant lines are
    understood (no warning or error on them)."""
    conv, *_ = _run(path, data)
    n = len(conv.lines)
    cats = conv.cat
    relevant = [i + 1 for i in range(n) if cats[i] == "relevant"]
    bad = {ln for ln in conv.bad if 1 <= ln <= n}
    understood = [ln for ln in relevant if ln not in bad]
    return {
        "lines": n,
        "blank": cats.count("blank"),
        "comment": cats.count("comment"),
        "not_relevant": cats.count("irrelevant"),
        "relevant": len(relevant),
        "relevant_understood": len(understood),
        "not_understood": len(bad),
    }
