"""What an IOS configuration says, as the reader leaves it for the converter: access lists and
their entries, object-groups, interfaces, the zone-based firewall's objects, NAT statements,
each with the line it was read from.

Layer: platforms (left of the model). Mutable, not frozen: the reader applies the file as IOS
applies a configuration script (`no ...` deletes, re-entering a block appends, `resequence`
renumbers), so these objects change while the file is read; the converter only reads them.
(Entries could be frozen, but a frozen dataclass takes about four times as long to build: 70
ms more on a 40,000-entry file, 3% of its parse.)
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class AceSpec:
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
class Ace:
    seq: int
    line: int
    col: int
    text: str
    action: str
    spec: AceSpec | None = None
    remark: str = ""
    kind: str = "ace"  # ace / evaluate
    dynamic: str = ""
    evaluate: str = ""
    words: tuple = ()  # the entry's words (for `no <entry>`)


def effects(e: Ace) -> tuple[str, ...]:
    """What an entry does besides deciding: `log` or `log-input`, a syslog message per
    match (both "log")."""
    if e.spec is None:
        return ()
    return ("log",) if any(kind == "log" for kind, _vals, _col in e.spec.items) else ()


@dataclass
class Acl:
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
class ObjectGroup:
    name: str
    kind: str  # network / service / protocol / port
    line: int
    text: str
    items: list = field(default_factory=list)


@dataclass
class Interface:
    name: str
    line: int
    text: str
    addresses: list = field(default_factory=list)
    access: dict = field(default_factory=dict)  # (family, dir) -> (acl, line, col, text)
    zone: tuple | None = None  # (name, line, col)
    nat: str | None = None
    mss: list = field(default_factory=list)  # (family, value, line, text)


@dataclass
class ClassMap:
    name: str
    how: str  # match-all / match-any
    line: int
    text: str
    matches: list = field(default_factory=list)  # (kind, value, line, col, text, negated)


@dataclass
class PolicyMap:
    name: str
    line: int
    text: str
    classes: list = field(default_factory=list)  # dict(name, line, col, text, action, aline, atext)


@dataclass
class ZonePair:
    name: str
    src: str
    dst: str
    line: int
    text: str
    cols: tuple  # columns of the source and destination zone names
    policy: tuple | None = None  # (name, line, col, text)


@dataclass
class IosConfig:
    """Everything the reader found, by name (in the order IOS defined it)."""

    hostname: str | None = None
    acls: dict[int, dict[str, Acl]] = field(default_factory=lambda: {4: {}, 6: {}})  # family -> name -> list
    groups: dict[str, ObjectGroup] = field(default_factory=dict)
    ifaces: dict[str, Interface] = field(default_factory=dict)
    zones: dict[str, int] = field(default_factory=dict)  # name -> line
    zone_pairs: list[ZonePair] = field(default_factory=list)
    class_maps: dict[str, ClassMap] = field(default_factory=dict)
    policy_maps: dict[str, PolicyMap] = field(default_factory=dict)
    time_ranges: dict[str, int] = field(default_factory=dict)  # name -> line
    nat_pools: dict[str, dict] = field(default_factory=dict)  # name -> {line, start, end}
    nat_stmts: list[tuple[int, str]] = field(default_factory=list)  # (line, text) of `ip nat inside|outside`
    other_refs: set[str] = field(default_factory=set)  # words of other commands that may name an access list


def renumbered(acl: Acl) -> None:
    acl.seqs = {e.seq for e in acl.entries}
    acl.max_seq = max(acl.seqs, default=0)
