"""The normalized model: one vendor-independent description of what a device does.

Layer: model. Platform converters produce these objects; everything to the right of the
model (engine, graph evaluation, checks, policies, reporters) reads only these objects and
never imports a platform.

Every class is a frozen dataclass. A `Match` is a conjunction of conditions over packet
fields; a condition the model cannot express exactly is an explicit `Opaque` condition, so
that evaluation can say which answers rest on an approximation.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, Union

from .jumploops import JumpLoop, jump_loops  # noqa: F401 - part of the model (m.jump_loops)
from .traits import Traits, Wording, declare_traits, declared_traits, traits_of  # noqa: F401 - part of the model

# --------------------------------------------------------------------------- locations


@dataclass(frozen=True)
class Origin:
    """Where a thing stands in its source file (1-based line and column)."""

    path: str
    line: int
    column: int = 1
    text: str = ""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


SeverityName = Literal["error", "warning", "note"]


@dataclass(frozen=True)
class Diagnostic:
    """A located message from a parser or converter: something not understood or approximated.

    `code` is a short slug (`syntax`, `unknown-match`, `unknown-target`, `approximate`,
    `encoding`, `undeclared-chain`, ...). `construct` names the construct for the support table.
    """

    origin: Origin
    severity: SeverityName
    code: str
    message: str
    construct: str = ""


# --------------------------------------------------------------------------- packet fields

# Field names used by conditions, packets and the packet-space engine.
FAMILY = "family"  # 4 or 6
SRC = "src"
DST = "dst"
PROTO = "proto"  # IP protocol number / IPv6 next header (0..255)
SPORT = "sport"
DPORT = "dport"
ICMP = "icmp"  # (type << 8) | code, for ICMP and ICMPv6 (the protocol says which)
TCP_FLAGS = "tcp_flags"  # bit set FIN=1 SYN=2 RST=4 PSH=8 ACK=16 URG=32 ECE=64 CWR=128
STATE = "state"  # connection tracking state, see STATES
IN_IFACE = "in_iface"
OUT_IFACE = "out_iface"
DIRECTION = "direction"  # 0 = in, 1 = out (pf)

STATES = ("NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED")
STATE_NUMBER = {name: i for i, name in enumerate(STATES)}
DIRECTIONS = ("in", "out")

TCP_FLAG_BITS = {
    "FIN": 1, "SYN": 2, "RST": 4, "PSH": 8, "ACK": 16, "URG": 32, "ECE": 64, "CWR": 128,
}

PROTO_ICMP = 1
PROTO_TCP = 6
PROTO_UDP = 17
PROTO_ICMPV6 = 58
PORT_PROTOCOLS = frozenset({6, 17, 33, 132, 136})  # tcp udp dccp sctp udplite


@dataclass(frozen=True)
class IntCond:
    """`field` lies in the union of closed ranges (negated: does not)."""

    field: str
    ranges: tuple[tuple[int, int], ...]
    negated: bool = False


@dataclass(frozen=True)
class AddrCond:
    """The address `field` (src or dst) lies in one of the ranges `(family, lo, hi)`.

    Negated: it lies in none of them (a packet of the other family then matches, as it does
    in netfilter and pf, unless a family condition says otherwise).
    """

    field: str
    ranges: tuple[tuple[int, int, int], ...]
    negated: bool = False


@dataclass(frozen=True)
class IfaceCond:
    """The interface `field` is one of `names`; a name ending in `+` is a prefix wildcard.

    A packet without that interface (no egress interface on INPUT) has the empty name `""`,
    which only the bare wildcard `+` matches.
    """

    field: str
    names: tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True)
class FlagsCond:
    """TCP flags: `(flags & mask) == comp` (negated: !=). Implies nothing about the protocol."""

    mask: int
    comp: int
    negated: bool = False
    field: str = TCP_FLAGS


@dataclass(frozen=True)
class Opaque:
    """A condition the model cannot express exactly (rate limits, ipsets, time, owner, ...).

    Conditions with the same `key` are the same predicate of the packet (an ipset looked up
    twice); per-occurrence state (a rate limit) gets a key of its own. Evaluation treats each
    key as unknown: an answer that depends on it is approximate.
    """

    key: str
    description: str
    negated: bool = False
    field: str = "opaque"


@dataclass(frozen=True)
class AnyCond:
    """A disjunction: at least one of the alternatives (each a conjunction) holds.

    iptables `-m multiport --ports 80,443` is `sport in L or dport in L`.
    """

    alternatives: tuple["Match", ...]
    negated: bool = False
    field: str = "any-of"


Cond = Union[IntCond, AddrCond, IfaceCond, FlagsCond, Opaque, AnyCond]


@dataclass(frozen=True)
class Match:
    """A conjunction of conditions; no conditions matches every packet."""

    conds: tuple[Cond, ...] = ()

    @property
    def opaque(self) -> tuple[Opaque, ...]:
        return tuple(c for c in self.conds if isinstance(c, Opaque))

    def fields(self) -> set[str]:
        return {c.field for c in self.conds}


ANY = Match()

# --------------------------------------------------------------------------- actions

ActionKind = Literal["accept", "drop", "reject", "jump", "goto", "return", "continue", "unknown"]


@dataclass(frozen=True)
class Action:
    """What a rule does when it matches.

    `continue`: evaluation goes on with the next rule (LOG, MARK, counters, ...).
    `unknown`: a target whose effect is not known (an extension fwlint does not model, a
    userspace queue): every answer that passes through it is approximate.
    `jump`/`goto`: to the filter named `target`. `detail` keeps the original target text
    (`REJECT --reject-with tcp-reset`).
    """

    kind: ActionKind
    target: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Alteration:
    """Something that changes packets rather than deciding them: NAT, mangling, scrub, inspect."""

    kind: str  # 'snat', 'dnat', 'masquerade', 'redirect', 'netmap', 'mark', 'mangle', 'notrack', 'mss', ...
    match: Match
    origin: Origin
    stage: str  # where it applies: 'PREROUTING', 'POSTROUTING', 'OUTPUT', 'INPUT', 'FORWARD', 'in', 'out'
    table: str = ""
    chain: str = ""
    params: tuple[tuple[str, str], ...] = ()
    description: str = ""


# --------------------------------------------------------------------------- rules and filters


@dataclass(frozen=True)
class Rule:
    """One line of a firewall configuration that decides (or continues)."""

    match: Match
    action: Action
    origin: Origin
    index: int = 0  # position within its filter, 0-based
    quick: bool = False  # pf: the rule ends evaluation when it matches
    comment: str = ""
    anchor: str = ""  # pf anchor path
    # added by the platform to express its semantics (a state or connection table, the ASA's
    # security-level permits), not written by the user: never a finding of its own, never
    # named as an access-list entry
    synthetic: bool = False
    # what the rule does besides deciding, as the platform writes it ("log", "queue ssh",
    # "tag INTERNAL", "route-to (em1 10.0.0.1)", "rtable 1", "label web", "max-src-conn 10"):
    # a rule whose packets other rules would decide the same way is still not redundant
    # unless those rules do the same things (FW002)
    effects: tuple[str, ...] = ()


Discipline = Literal["first-match", "last-match"]


@dataclass(frozen=True)
class Filter:
    """An ordered list of rules with a discipline and a default.

    `default` is what happens to a packet no rule decides: the policy of an iptables built-in
    chain, `return` for an iptables user chain, an implicit deny at the end of a Cisco ACL,
    pass in pf. `origin` is where the filter is declared (iptables `:INPUT DROP [0:0]`).
    """

    name: str
    rules: tuple[Rule, ...]
    default: Action
    discipline: Discipline = "first-match"
    table: str = ""
    builtin: bool = False
    family: int | None = None  # 4, 6 or None for both
    origin: Origin | None = None
    default_origin: Origin | None = None  # where the default is written, if anywhere

    @cached_property
    def positions(self) -> dict[int, int]:
        """id(rule) -> its position among the rules the user wrote (1-based; a platform's
        synthetic rules are not counted, nor numbered)."""
        out: dict[int, int] = {}
        for r in self.rules:
            if not r.synthetic:
                out[id(r)] = len(out) + 1
        return out


def rule_label(f: Filter, rule: Rule) -> str:
    """How every message names a rule: by its line, then its place in its filter ("line 262
    (OUTSIDE_IN entry 3)", "line 12 (INPUT rule 3)", "line 7" for pf, whose rules have no
    place of their own), the same in `check`, `trace`, JSON and SARIF."""
    where = f"line {rule.origin.line}"
    if f.discipline == "last-match":
        return f"{where} (anchor {rule.anchor})" if rule.anchor else where
    n = f.positions.get(id(rule))
    if n is None:
        return where
    name = f.name if len(f.name) <= 40 else f.name[:37] + "..."
    table = f"{f.table} " if f.table and f.table != "filter" else ""
    return f"{where} ({table}{name} {'rule' if f.table else 'entry'} {n})"


@dataclass(frozen=True)
class Binding:
    """Where a filter applies: at a hook (iptables), on an interface and direction (Cisco)."""

    filter: str
    hook: str  # iptables: INPUT FORWARD OUTPUT; others: 'in' / 'out'
    interface: str | None = None
    family: int | None = None


@dataclass(frozen=True)
class Interface:
    name: str
    addresses: tuple[str, ...] = ()
    zone: str | None = None
    security_level: int | None = None


@dataclass(frozen=True)
class Route:
    """A static route: the destination prefix, and where it leads (an interface, a next hop
    or both). Used to infer which addresses lie behind which interface."""

    prefix: str  # "10.0.0.0/8", "0.0.0.0/0", "2001:db8::/32"
    interface: str | None = None
    next_hop: str | None = None
    origin: Origin | None = None


@dataclass(frozen=True)
class FileStats:
    path: str
    lines_read: int
    lines_understood: int


# The hooks of a device whose filters are bound to the whole host (netfilter's names, the
# model's vocabulary): packets to the host, through it (between two interfaces), from it.
TO_HOST = "INPUT"
THROUGH = "FORWARD"
FROM_HOST = "OUTPUT"
HOST_HOOKS = (TO_HOST, THROUGH, FROM_HOST)
SIDES = ("in", "out")  # the directions of a filter bound on an interface


@dataclass(frozen=True)
class Device:
    name: str
    platform: str
    sources: tuple[str, ...]
    filters: tuple[Filter, ...] = ()
    bindings: tuple[Binding, ...] = ()
    interfaces: tuple[Interface, ...] = ()
    alterations: tuple[Alteration, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    stats: tuple[FileStats, ...] = ()
    family: int | None = None  # for single-family configurations (iptables vs ip6tables)
    routes: tuple[Route, ...] = ()
    # what its platform is like (None: the platform's declared traits); not part of the
    # model's JSON, which says the platform
    traits: Traits = field(default=None, compare=False, repr=False, metadata={"json": False})  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.traits is None:
            object.__setattr__(self, "traits", traits_of(self.platform))

    def filter(self, name: str, table: str | None = None) -> Filter | None:
        """The filter called `name` (in `table`, where the platform has tables)."""
        for f in self.filters:
            if f.name == name and (table is None or f.table == table):
                return f
        return None

    def interface_names(self) -> set[str]:
        """Every interface name or wildcard the device mentions (for the engine's domain)."""
        names = {i.name for i in self.interfaces}
        for f in self.filters:
            for r in f.rules:
                for c in r.match.conds:
                    names.update(_iface_names(c))
        for a in self.alterations:
            for c in a.match.conds:
                names.update(_iface_names(c))
        for b in self.bindings:
            if b.interface:
                names.add(b.interface)
        return names


def _iface_names(c: "Cond") -> set[str]:
    if isinstance(c, IfaceCond):
        return set(c.names)
    if isinstance(c, AnyCond):
        return {n for alt in c.alternatives for cc in alt.conds for n in _iface_names(cc)}
    return set()


# --------------------------------------------------------------------------- concrete packets


@dataclass(frozen=True)
class Packet:
    """One concrete packet, as `fwlint trace` takes it and as witnesses are given."""

    family: int = 4
    src: int = 0
    dst: int = 0
    proto: int = PROTO_TCP
    sport: int | None = None
    dport: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None
    tcp_flags: int | None = None
    state: str = "NEW"
    in_iface: str = ""
    out_iface: str = ""
    direction: str = "in"
    # Where `trace` takes the packet (witnesses say it, so that they replay as they are):
    # `hook` an iptables hook (INPUT, FORWARD, OUTPUT) or a side of a per-interface device
    # (in, out); `filter` a filter evaluated on its own (a chain no hook sends the packet
    # to). Neither is part of the packet's headers: the engine never reads them.
    hook: str = ""
    filter: str = ""
    # the opaque conditions (their keys) taken as holding for this packet, the others as
    # failing: a witness of a set that only holds such packets says which (`trace` then
    # follows that branch first)
    holds: tuple[str, ...] = ()

    def value(self, name: str) -> int | str | None:
        """The value of a field as conditions see it."""
        if name == ICMP:
            if self.icmp_type is None:
                return None
            return (self.icmp_type << 8) | (self.icmp_code or 0)
        if name == STATE:
            return STATE_NUMBER[self.state]
        if name == DIRECTION:
            return DIRECTIONS.index(self.direction)
        return getattr(self, name)

    @property
    def src_ip(self) -> str:
        return str(ipaddress.ip_address(self.src) if self.family == 4 else ipaddress.IPv6Address(self.src))

    @property
    def dst_ip(self) -> str:
        return str(ipaddress.ip_address(self.dst) if self.family == 4 else ipaddress.IPv6Address(self.dst))

    def to_json(self) -> dict:
        """The packet as `fwlint trace --packets` reads it (one JSON object a line): every
        field trace needs to give the same verdict, TCP flags and state included."""
        from .names import proto_name

        out: dict = {
            "family": self.family,
            "src": self.src_ip,
            "dst": self.dst_ip,
            "proto": proto_name(self.proto),
        }
        if self.proto in PORT_PROTOCOLS:
            out["sport"] = self.sport
            out["dport"] = self.dport
        if self.icmp_type is not None:
            out["icmp_type"] = self.icmp_type
            out["icmp_code"] = self.icmp_code or 0
        if self.proto == PROTO_TCP and self.tcp_flags is not None:
            out["tcp_flags"] = flags_text(self.tcp_flags)
        out["state"] = self.state
        if self.in_iface:
            out["in_iface"] = self.in_iface
        if self.out_iface:
            out["out_iface"] = self.out_iface
        if self.direction == "out" and self.hook != "out":
            out["direction"] = "out"
        if self.hook:
            out["hook"] = self.hook
        if self.filter:
            out["filter"] = self.filter
        if self.holds:
            out["holds"] = list(self.holds)
        return out

    def __str__(self) -> str:
        """The compact form `fwlint trace` reads (`api.parse_packet_spec`): pasted into
        trace, it is this packet, flags and state included (a lone packet's state would
        otherwise be guessed from its flags), at its hook or filter."""
        from .names import proto_name

        p = proto_name(self.proto)
        if self.proto in PORT_PROTOCOLS:
            s = f"{p} {fmt_addr(self.family, self.src, self.sport)} -> {fmt_addr(self.family, self.dst, self.dport)}"
        else:
            s = f"{p} {self.src_ip} -> {self.dst_ip}"
            if self.icmp_type is not None:
                s += f" type {self.icmp_type} code {self.icmp_code or 0}"
        if self.in_iface:
            s += f" in {word(self.in_iface)}"
        if self.out_iface:
            s += f" out {word(self.out_iface)}"
        if self.proto == PROTO_TCP and self.tcp_flags is not None:
            s += f" flags {flags_text(self.tcp_flags)}"
        s += f" state {self.state}"
        if self.direction == "out" and self.hook != "out":
            s += " dir out"  # (a hook in/out says the direction itself)
        if self.hook:
            s += f" hook {word(self.hook)}"
        if self.filter:
            s += f" filter {word(self.filter)}"
        for key in self.holds:
            s += f" holds {word(key)}"
        return s


def word(text: str) -> str:
    """A value of the compact packet form: as it is when it is one plain word, else as a
    JSON string (a filter name or an opaque condition's key with blanks or quotes), which
    `api.parse_packet_spec` reads back."""
    if text and not any(ch.isspace() or ch in "\"\\" for ch in text) and text != "->":
        return text
    return json.dumps(text)


def fmt_addr(family: int, addr: int, port: int | None) -> str:
    text = str(ipaddress.IPv4Address(addr) if family == 4 else ipaddress.IPv6Address(addr))
    if port is None:
        return text
    return f"[{text}]:{port}" if family == 6 else f"{text}:{port}"


def flags_text(flags: int) -> str:
    names = [n for n, b in TCP_FLAG_BITS.items() if flags & b]
    return ",".join(names) if names else "NONE"


def default_state(p: Packet) -> tuple[str, bool]:
    """The conntrack state of a lone packet that opens nothing yet, and whether that is exact.

    A TCP SYN without ACK, a UDP datagram, an ICMP echo/timestamp/info/address-mask request,
    and any other protocol are NEW. Lone ICMP errors, echo replies and unknown ICMP types are
    INVALID. ICMPv6 neighbour discovery and MLD messages are UNTRACKED. Other TCP flag
    combinations depend on conntrack settings (`tcp_loose`): INVALID, marked approximate.
    """
    if p.proto == PROTO_TCP:
        flags = p.tcp_flags if p.tcp_flags is not None else TCP_FLAG_BITS["SYN"]
        if flags & 0x17 == TCP_FLAG_BITS["SYN"]:  # SYN without ACK, RST, FIN
            return "NEW", True
        return "INVALID", False
    if p.proto == PROTO_ICMP:
        return ("NEW" if p.icmp_type in (8, 13, 15, 17) else "INVALID"), True
    if p.proto == PROTO_ICMPV6:
        if p.icmp_type in (130, 131, 132, 133, 134, 135, 136, 143):
            return "UNTRACKED", True  # MLD and neighbour discovery: conntrack leaves them untracked
        return ("NEW" if p.icmp_type in (128, 139) else "INVALID"), True
    return "NEW", True
