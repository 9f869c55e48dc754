"""pf's vendor objects: what a pf.conf says, before the model. A rule's hosts and ports,
the rule as read (`RuleSpec`, with its lists and pfctl's expansion of them), the rulesets
(the main one and each anchor's), tables and queues, and the configuration they make.

Layer: platforms/pf. The reader fills these; convert.py turns them into `model.Device`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ... import model as m

if TYPE_CHECKING:
    from .lexer import Tok

@dataclass(frozen=True)
class Host:
    kind: str  # any addr table dyn iface self noroute urpf route name
    text: str
    neg: bool = False
    af: int | None = None
    ranges: tuple = ()
    name: str = ""
    zone: str = ""  # an IPv6 address's scope (`fe80::1%em0`): kept for a note, not a condition

    def shown(self) -> str:
        return ("!" if self.neg else "") + self.text


ANY_HOST = Host("any", "any")


@dataclass(frozen=True)
class Port:
    op: str  # = != < <= > >= >< <> :
    a: int
    b: int = 0

    def ranges(self) -> tuple[tuple[int, int], ...]:
        a, b = self.a, self.b
        top = 65535
        if self.op == "=":
            return ((a, a),)
        if self.op == "!=":
            return tuple(r for r in ((0, a - 1), (a + 1, top)) if r[0] <= r[1])
        if self.op == "<":
            return ((0, a - 1),) if a > 0 else ()
        if self.op == "<=":
            return ((0, a),)
        if self.op == ">":
            return ((a + 1, top),) if a < top else ()
        if self.op == ">=":
            return ((a, top),)
        if self.op == "><":
            return ((a + 1, b - 1),) if a + 1 <= b - 1 else ()
        if self.op == "<>":
            return tuple(r for r in ((0, a - 1), (b + 1, top)) if r[0] <= r[1])
        return ((a, b),) if a <= b else ()

    def shown(self) -> str:
        if self.op in ("><", "<>"):
            return f"{self.a} {self.op} {self.b}"
        if self.op == ":":
            return f"{self.a}:{self.b}"
        return f"{self.op} {self.a}"


@dataclass
class RuleSpec:
    kind: str  # pass block match anchor scrub nat rdr binat antispoof
    origin: m.Origin
    anchor: str = ""
    no: bool = False
    natpass: bool = False
    block: str | None = None  # drop return return-rst return-icmp return-icmp6 (explicit)
    block_detail: str = ""
    policy: str = "drop"  # the block-policy in force
    direction: str | None = None
    log: bool = False
    quick: bool = False
    ifaces: list | None = None  # [(neg, name)]
    af: int | None = None
    protos: list | None = None  # [(number, name)]
    src: list | None = None
    sports: list | None = None
    dst: list | None = None
    dports: list | None = None
    flags: object = None  # None | "any" | (comp, mask)
    icmp: list | None = None  # [(type, code|None)]
    icmp_v6: bool = False
    state: str | None = None  # no keep modulate synproxy
    state_opts: list = field(default_factory=list)
    users: list | None = None
    groups: list | None = None
    conds: list = field(default_factory=list)  # extra conditions (Opaque)
    alters: list = field(default_factory=list)  # (kind, stage, params, description)
    redirect: dict = field(default_factory=dict)  # nat-to/rdr-to/binat-to -> (hosts, port, pool)
    route: tuple | None = None  # (kind, [hosts], pool)
    afto: tuple | None = None
    label: str = ""
    anchor_name: str | None = None
    fragment: bool = False
    combos: list = field(default_factory=list)
    divert_af: set[int] | None = None  # the address families of the divert-to address

    @property
    def keeps_state(self) -> bool:
        return self.kind == "pass" and self.state != "no"


def effects(spec: "RuleSpec") -> tuple[str, ...]:
    """What a filter rule does besides deciding (FW002 counts them): `log`, a `label` (pf
    counts packets per label), the alterations it assigns (`tag`, `queue`, `rtable`, `set
    prio`, `set tos`, ...), `route-to`/`reply-to`/`dup-to`, and state options (`max`,
    `max-src-conn`, `overload`, `source-track`, timeouts ...)."""
    out: list[str] = []
    if spec.log:
        out.append("log")
    if spec.label:
        out.append(f"label {spec.label}")
    out.extend(desc for _kind, _stage, _params, desc in spec.alters)
    if spec.route is not None:
        kind, hosts, pool = spec.route
        out.append(" ".join(x for x in (str(kind), ", ".join(getattr(h, "text", str(h)) for h in hosts), pool) if x))
    out.extend(str(o) for o in spec.state_opts)
    return tuple(dict.fromkeys(out))


@dataclass
class Ruleset:
    name: str
    entries: list = field(default_factory=list)  # RuleSpec | ("anchor", RuleSpec, child path)
    filled: bool = False  # has a body or a loaded file




@dataclass(frozen=True)
class Queue:
    """A `queue` statement, or a queue an `altq` statement names (old: ALTQ's syntax)."""

    name: str
    tok: Tok  # where it is defined
    parent: str | None = None
    bandwidth: bool = False
    default: bool = False
    on: str | None = None  # its interfaces
    old: bool = False
    parent_queue: Queue | None = None  # the queue `parent` names, defined before it


@dataclass
class PfConfig:
    """What the configuration defines besides its rules (the rules are in `rulesets`)."""

    # ruleset path ("" the main ruleset, "a/b" an anchor's) -> its rules and anchor calls
    rulesets: dict[str, Ruleset] = field(default_factory=lambda: {"": Ruleset("", filled=True)})
    tables: dict[tuple[str, str], dict] = field(default_factory=dict)  # (anchor, name) -> table
    overload_tables: set[str] = field(default_factory=set)  # filled at run time by `overload`
    block_policy: str = "drop"
    skips: list[tuple[m.Origin, list, str]] = field(default_factory=list)  # `set skip on`
    options_seen: int = 0
    queues: dict[str, Queue] = field(default_factory=dict)  # name -> its last definition
    queue_list: list[Queue] = field(default_factory=list)  # the queue statements in order
    queue_refs: list[tuple[str, m.Origin, int]] = field(default_factory=list)
    # `load anchor`: (anchor path, file name, origin, file name token)
    load_anchors: list[tuple] = field(default_factory=list)
