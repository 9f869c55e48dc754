"""What an ASA configuration says, as read: its lines, and the objects, access lists,
interfaces, translations and inspection policies the commands define, each with its origin.

Layer: platform (Cisco ASA). The reader (reader.py and the `*Commands` classes) fills an
`AsaConfig` line by line as the CLI would run them (`clear configure`, `no`, `access-list X
line N` edit what the lines above defined, so these records are mutable while the file is
read); the converter (convert.py) reads them into the model. `used` flags are set by the
converter, for the `unused` notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

from .... import model as m

# --------------------------------------------------------------------------- lines


@dataclass
class Line:
    no: int  # 1-based
    text: str
    indent: int
    children: list["Line"] = field(default_factory=list)
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


def is_comment(text: str) -> bool:
    s = text.strip()
    return not s or s.startswith("!") or s.startswith(":") or s.startswith("#")

def descendants(node: Line) -> Iterator[Line]:
    """The lines under a line, at any depth, in file order, without comments (a stack: the
    indentation can nest thousands deep)."""
    stack = list(reversed(node.children))
    while stack:
        c = stack.pop()
        stack.extend(reversed(c.children))
        if not is_comment(c.text):
            yield c


# --------------------------------------------------------------------------- definitions


@dataclass
@dataclass
class NetworkObject:
    name: str
    origin: m.Origin
    value: tuple | None = None  # ("ranges", ranges, text) | ("fqdn", name, text)
    value_origin: m.Origin | None = None
    used: bool = False


@dataclass
class ServiceObject:
    name: str
    origin: m.Origin
    line: Line | None = None  # its `service ...` line
    used: bool = False


@dataclass
class ObjectGroup:
    name: str
    kind: str  # network port service protocol icmp-type user security
    proto: str | None  # port groups: tcp udp tcp-udp
    origin: m.Origin
    members: list[Line] = field(default_factory=list)
    used: bool = False


@dataclass
class AclEntry:
    line: Line
    kind: str  # ace | remark
    start: int  # index of the first word of the entry proper (permit / deny / remark text)
    typ: str  # extended | standard | ipv6
    show: bool = False  # a line of `show access-list` output
    expansions: list[Line] = field(default_factory=list)


@dataclass
class AccessList:
    name: str
    origin: m.Origin
    entries: list[AclEntry] = field(default_factory=list)
    kind: str = "extended"
    used: bool = False


@dataclass
class AsaInterface:
    hw: str
    origin: m.Origin
    nameif: str | None = None
    nameif_origin: m.Origin | None = None
    level: int | None = None
    level_origin: m.Origin | None = None
    addresses: list[str] = field(default_factory=list)


@dataclass
class AccessGroup:
    acl: str
    hook: str  # in out global
    iface: str | None
    origin: m.Origin


# --------------------------------------------------------------------------- one access-list entry
# (as the grammar reads it: lexer.read_entry)


@dataclass(frozen=True)
class AceNode:
    """A part of an entry: which form of it (`kind`, the grammar's alias without its prefix) and
    its words (lark Tokens: text and column)."""

    kind: str
    words: tuple


class AceProtocol(AceNode):
    """name | object | group"""


class AceIdentity(AceNode):
    """user | user_group | user_og | sg_name | sg_tag | sg_og"""


class AceAddress(AceNode):
    """any any4 any6 host mask name_mask prefix object group interface"""


class AcePort(AceNode):
    """eq neq lt gt range group"""


class AceIcmp(AceNode):
    """type | group"""


class AceOption(AceNode):
    """log log_disable log_default log_interval time_range inactive"""


@dataclass(frozen=True)
class Ace:
    """`permit|deny ...`: a standard entry has no protocol and one address in `body`; an
    extended one its identities, addresses, ports and ICMP type in the order written."""

    action: str  # permit | deny
    protocol: AceProtocol | None
    body: tuple
    options: tuple[AceOption, ...]


# --------------------------------------------------------------------------- the configuration


@dataclass
class ObjectTable:
    """`name`, `object`, `object-group` and `time-range` definitions (one namespace for objects
    and object-groups, as on the ASA)."""

    names: dict[str, tuple[int, int, m.Origin]] = field(default_factory=dict)  # name -> (family, address, origin)
    net_objs: dict[str, NetworkObject] = field(default_factory=dict)
    svc_objs: dict[str, ServiceObject] = field(default_factory=dict)
    groups: dict[str, ObjectGroup] = field(default_factory=dict)
    time_ranges: dict[str, m.Origin] = field(default_factory=dict)
    time_range_used: set[str] = field(default_factory=set)


@dataclass
class AccessTable:
    acls: dict[str, AccessList] = field(default_factory=dict)
    acl_order: list[str] = field(default_factory=list)  # names in order of definition (and rename)
    access_groups: list[AccessGroup] = field(default_factory=list)


@dataclass
class InterfaceTable:
    ifaces: list[AsaInterface] = field(default_factory=list)
    ifaces_by_hw: dict[str, AsaInterface] = field(default_factory=dict)
    pending_ip: list[tuple[str, str, Line]] = field(default_factory=list)  # PIX `ip address NAMEIF A M`
    same_inter: m.Origin | None = None  # same-security-traffic permit inter-interface
    same_intra: m.Origin | None = None  # same-security-traffic permit intra-interface


@dataclass
class NatTable:
    nats: list[tuple[str, Line, str | None]] = field(default_factory=list)  # (form, line, object name)
    globals_: list[tuple[str, str, str, Line]] = field(default_factory=list)  # PIX global: (id, iface, pool, line)


@dataclass
class InspectionTable:
    """The modular policy framework (class-map, policy-map, service-policy), PIX fixups, and
    `sysopt connection tcpmss`."""

    class_maps: dict[str, list[Line]] = field(default_factory=dict)
    class_map_origin: dict[str, m.Origin] = field(default_factory=dict)
    policy_maps: dict[str, list[tuple[str, Line, list[Line]]]] = field(default_factory=dict)
    policy_map_origin: dict[str, m.Origin] = field(default_factory=dict)
    service_policies: list[tuple[str, str | None, Line]] = field(default_factory=list)
    fixups: list[Line] = field(default_factory=list)
    mss: list[Line] = field(default_factory=list)


@dataclass
class AsaConfig:
    """One ASA configuration file as read (the vendor model; `convert.py` makes it a
    `model.Device`)."""

    hostname: str | None = None
    any_is_ipv4: bool = False  # `any` before ASA 9.0 (and on PIX, FWSM)
    routes: list[m.Route] = field(default_factory=list)
    objects: ObjectTable = field(default_factory=ObjectTable)
    access: AccessTable = field(default_factory=AccessTable)
    interfaces: InterfaceTable = field(default_factory=InterfaceTable)
    translations: NatTable = field(default_factory=NatTable)
    inspection: InspectionTable = field(default_factory=InspectionTable)
