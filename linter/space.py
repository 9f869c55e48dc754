"""The packet-space engine: sets of packets as binary decision diagrams.

Layer: engine. Reads the normalized model (conditions, packets); knows nothing of platforms,
checks or policies.

A `PacketSpace` owns one BDD manager (dd's CUDD backend where it is installed, its pure
Python one elsewhere) and a fixed variable order: every field of `linter.model` is a block of
bits, most significant first; IPv4 and IPv6 addresses have blocks of their own, selected by
the family bit. Interfaces are a finite domain built from the names the device mentions, so
`eth+` and `! -o eth0` are exact. Each distinct opaque condition is one free variable: a
set that depends on such a variable is only known up to it, and `may`/`must` quantify it
away in either direction.

Sets are plain `dd` nodes; `&`, `|`, `~`, `==` work on them directly.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from typing import Any, Iterable

from . import model as m

try:  # CUDD: fast. The pure-Python backend has the same interface.
    from dd import cudd as _bdd_mod  # type: ignore
except ImportError:  # pragma: no cover - exercised only where the wheel is missing
    from dd import autoref as _bdd_mod  # type: ignore

Node = Any

DEFAULT_WIDTHS: dict[str, int] = {
    m.FAMILY: 1,
    m.PROTO: 8,
    "dst4": 32,
    m.DPORT: 16,
    "src4": 32,
    m.SPORT: 16,
    m.ICMP: 16,
    m.TCP_FLAGS: 8,
    m.STATE: 3,
    m.DIRECTION: 1,
    "dst6": 128,
    "src6": 128,
}

# Order of the blocks in the BDD; interfaces are inserted before DIRECTION.
_ORDER = (m.FAMILY, m.DIRECTION, m.IN_IFACE, m.OUT_IFACE, m.STATE, m.PROTO, "dst4", m.DPORT, "src4",
          m.SPORT, m.ICMP, m.TCP_FLAGS, "dst6", "src6")

_PREFERRED_SPORT = (40000, 40000)


class IfaceDomain:
    """Interface names as a finite domain.

    Elements: every concrete name mentioned; for each wildcard prefix `p` one element `p+`
    standing for every other name that starts with `p` (and with no longer wildcard prefix);
    `""` for "no interface" (INPUT has no egress interface); `*` for any other name.
    """

    def __init__(self, names: Iterable[str]) -> None:
        concrete = set()
        prefixes = set()
        for n in names:
            if n.endswith("+"):
                prefixes.add(n[:-1])
            elif n:
                concrete.add(n)
        self.concrete = sorted(concrete)
        self.prefixes = sorted(prefixes)
        self.elements: list[str] = ["", "*"] + self.concrete + [p + "+" for p in self.prefixes]
        self.index = {e: i for i, e in enumerate(self.elements)}
        self.bits = max(1, math.ceil(math.log2(len(self.elements))))

    def element_of(self, name: str) -> int:
        """The domain element a concrete interface name falls in."""
        if name in self.index and not name.endswith("+") and name != "*":
            return self.index[name]
        if name == "":
            return self.index[""]
        best = None
        for p in self.prefixes:
            if name.startswith(p) and (best is None or len(p) > len(best)):
                best = p
        if best is None:
            return self.index["*"]
        return self.index[best + "+"]

    def matches(self, element: str, pattern: str) -> bool:
        """Whether every name of `element` matches `pattern` (the domain makes it all or none)."""
        if pattern.endswith("+"):
            prefix = pattern[:-1]
            if element == "":
                return prefix == ""
            if element == "*":
                return prefix == ""
            if element.endswith("+"):
                return element[:-1].startswith(prefix)
            return element.startswith(prefix)
        return element == pattern

    def representative(self, i: int) -> str:
        """A concrete name that falls in element i (for witnesses)."""
        e = self.elements[i]
        if e == "" or not (e == "*" or e.endswith("+")):
            return e
        base = "" if e == "*" else e[:-1]
        for k in range(10000):
            cand = f"{base}{'x' if e == '*' else ''}{k}" if base or e == "*" else f"if{k}"
            if self.element_of(cand) == i:
                return cand
        return base + "?"


@dataclass(frozen=True)
class Block:
    name: str
    width: int
    vars: tuple[str, ...]


class PacketSpace:
    """Sets of packets over the fields of `linter.model`, with union, intersection,
    difference, emptiness, equality, witnesses and approximation bounds."""

    def __init__(self, interfaces: Iterable[str] = (), widths: dict[str, int] | None = None,
                 order: Iterable[str] | None = None) -> None:
        self.widths = dict(DEFAULT_WIDTHS)
        if widths:
            self.widths.update(widths)
        self.ifaces = IfaceDomain(interfaces)
        self.bdd = _bdd_mod.BDD()
        try:
            self.bdd.configure(reordering=False)
        except Exception:  # pragma: no cover - backends without the option
            pass
        self.blocks: dict[str, Block] = {}
        self.order = tuple(order) if order is not None else _ORDER
        if sorted(self.order) != sorted(_ORDER):
            raise ValueError(f"order must name every block once: {_ORDER}")
        for name in self.order:
            width = self.ifaces.bits if name in (m.IN_IFACE, m.OUT_IFACE) else self.widths[name]
            vs = tuple(f"{name}_{i}" for i in range(width))
            self.bdd.declare(*vs)
            self.blocks[name] = Block(name, width, vs)
        self.true = self.bdd.true
        self.false = self.bdd.false
        self._memo: dict[Any, Node] = {}
        self._slices: dict[tuple[str, int, int, int], Node] = {}
        self._by_id: dict[int, tuple[m.Match, Node]] = {}
        self._opaque: dict[str, str] = {}  # key -> variable
        self._opaque_desc: dict[str, str] = {}  # variable -> description
        self._prefs: list[Node] | None = None
        self._prefs_all: Node | None = None
        self.universe = self._universe()

    # ------------------------------------------------------------------ bit-level building

    def _value_cube(self, block: str, value: int, bits: int | None = None) -> Node:
        """The top `bits` bits of `block` equal those of value (a prefix; default: all bits).

        Built from memoised cubes of 8-bit slices: most of a ruleset's addresses and ports
        share their slices with others, and an AND of four small cubes is far cheaper than
        a cube of 32 variables built one by one. The slices are ANDed from the lowest up:
        an AND whose first operand lies wholly above the second costs the first's size
        (the recursion meets the second only at the first's end), so each step costs one
        slice; from the top down each would cost the cube built so far, quadratic in the
        width (a /128 host: 16 steps, 0.35 ms -> 0.06 ms)."""
        b = self.blocks[block]
        n = b.width if bits is None else bits
        if n == 0:
            return self.true
        result = self.true
        memo = self._slices
        for start in reversed(range(0, n, 8)):
            length = min(8, n - start)
            piece = (value >> (b.width - start - length)) & ((1 << length) - 1)
            key = (block, start, length, piece)
            cube = memo.get(key)
            if cube is None:
                cube = memo[key] = self.bdd.cube(
                    {b.vars[start + i]: bool((piece >> (length - 1 - i)) & 1) for i in range(length)})
            result = cube if result is self.true else cube & result
        return result

    def interval(self, block: str, lo: int, hi: int) -> Node:
        """The set where block's value lies in [lo, hi], as a union of aligned cubes."""
        width = self.blocks[block].width
        top = (1 << width) - 1
        lo = max(lo, 0)
        hi = min(hi, top)
        if lo > hi:
            return self.false
        key = ("iv", block, lo, hi)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        result = self.false
        cur = lo
        while cur <= hi:
            size = 1
            # grow the block while aligned and inside the range
            while (cur & ((size << 1) - 1)) == 0 and cur + (size << 1) - 1 <= hi and (size << 1) <= (1 << width):
                size <<= 1
            fixed = width - (size.bit_length() - 1)
            result = result | self._value_cube(block, cur, fixed)
            cur += size
        self._memo[key] = result
        return result

    def _eq(self, block: str, value: int) -> Node:
        return self.interval(block, value, value)

    # ------------------------------------------------------------------ fields

    def _universe(self) -> Node:
        """Valid packets: a known state and interface, and the fields a protocol does not
        have held at 0 (ports without TCP/UDP/SCTP/DCCP/UDP-Lite, TCP flags without TCP,
        ICMP type and code without ICMP), as `Packet` and `graph.cond_matches` read them."""
        u = self.interval(m.STATE, 0, len(m.STATES) - 1)
        n = len(self.ifaces.elements)
        u = u & self.interval(m.IN_IFACE, 0, n - 1) & self.interval(m.OUT_IFACE, 0, n - 1)
        top = (1 << self.widths[m.PROTO]) - 1
        with_ports = self.false
        for p in sorted(m.PORT_PROTOCOLS):
            if p <= top:
                with_ports |= self._eq(m.PROTO, p)
        u &= with_ports | (self._eq(m.SPORT, 0) & self._eq(m.DPORT, 0))
        tcp = self._eq(m.PROTO, m.PROTO_TCP) if m.PROTO_TCP <= top else self.false
        u &= tcp | self._eq(m.TCP_FLAGS, 0)
        icmp = self.false
        for p in (m.PROTO_ICMP, m.PROTO_ICMPV6):
            if p <= top:
                icmp |= self._eq(m.PROTO, p)
        u &= icmp | self._eq(m.ICMP, 0)
        return u

    def family(self, fam: int) -> Node:
        return self._eq(m.FAMILY, 0 if fam == 4 else 1)

    def addr_range(self, field: str, fam: int, lo: int, hi: int) -> Node:
        block = f"{field}{fam}"
        return self.family(fam) & self.interval(block, lo, hi)

    def iface(self, field: str, patterns: Iterable[str]) -> Node:
        result = self.false
        pats = tuple(patterns)
        for i, e in enumerate(self.ifaces.elements):
            if any(self.ifaces.matches(e, p) for p in pats):
                result = result | self._eq(field, i)
        return result

    def opaque_var(self, key: str, description: str = "") -> Node:
        var = self._opaque.get(key)
        if var is None:
            var = f"opaque_{len(self._opaque)}"
            self.bdd.declare(var)
            self._opaque[key] = var
            self._opaque_desc[var] = description or key
        return self.bdd.var(var)

    def cond(self, c: m.Cond) -> Node:
        hit = self._memo.get(c)
        if hit is not None:
            return hit
        if isinstance(c, m.IntCond):
            if c.field == m.FAMILY:
                s = self.false
                for lo, hi in c.ranges:
                    for fam in (4, 6):
                        if lo <= fam <= hi:
                            s = s | self.family(fam)
            else:
                s = self.false
                for lo, hi in c.ranges:
                    s = s | self.interval(c.field, lo, hi)
        elif isinstance(c, m.AddrCond):
            s = self.false
            for fam, lo, hi in c.ranges:
                s = s | self.addr_range(c.field, fam, lo, hi)
        elif isinstance(c, m.IfaceCond):
            s = self.iface(c.field, c.names)
        elif isinstance(c, m.FlagsCond):
            s = self._flags(c.mask, c.comp)
        elif isinstance(c, m.Opaque):
            s = self.opaque_var(c.key, c.description)
        elif isinstance(c, m.AnyCond):
            s = self.false
            for alt in c.alternatives:
                s = s | self.match(alt)
        else:  # pragma: no cover - the model has no other kind
            raise TypeError(f"unknown condition {c!r}")
        if c.negated:
            s = ~s
        self._memo[c] = s
        return s

    def _flags(self, mask: int, comp: int) -> Node:
        b = self.blocks[m.TCP_FLAGS]
        if comp & ~mask:
            return self.false  # (flags & mask) can never equal a value with bits outside mask
        assignment = {}
        for i in range(b.width):
            bit = 1 << (b.width - 1 - i)
            if mask & bit:
                assignment[b.vars[i]] = bool(comp & bit)
        return self.bdd.cube(assignment) if assignment else self.true

    def forget_rules(self) -> None:
        """Drop the memoised sets of conditions and matches (one device's worth, when the
        space is shared by many devices evaluated one after the other)."""
        self._memo.clear()
        self._by_id.clear()
        self._slices.clear()

    def match(self, match: m.Match) -> Node:
        # rules keep their Match objects: look them up by identity first (hashing a frozen
        # dataclass walks all its conditions every time)
        by_id = self._by_id.get(id(match))
        if by_id is not None and by_id[0] is match:
            return by_id[1]
        key = ("match", match)
        hit = self._memo.get(key)
        if hit is not None:
            self._by_id[id(match)] = (match, hit)
            return hit
        if len(match.conds) <= _SHORT_MATCH:
            s = self.true
            for c in match.conds:
                s = s & self.cond(c)
                if s == self.false:
                    break
        else:
            s = self._conjoin([self.cond(c) for c in match.conds])
        self._memo[key] = s
        self._by_id[id(match)] = (match, s)
        return s

    def _conjoin(self, sets: list[Node]) -> Node:
        """The intersection of many sets, pairwise (a balanced tree of ANDs): a match of
        thousands of conditions (one rule of thousands of unknown options, each an opaque
        variable below the others) costs n log n, not n squared, node visits."""
        while len(sets) > 1:
            if self.false in sets:
                return self.false
            sets = [sets[i] & sets[i + 1] if i + 1 < len(sets) else sets[i] for i in range(0, len(sets), 2)]
        return sets[0] if sets else self.true

    # ------------------------------------------------------------------ concrete packets

    def _assignment(self, p: m.Packet) -> dict[str, bool]:
        values: dict[str, int] = {
            m.FAMILY: 0 if p.family == 4 else 1,
            m.PROTO: p.proto,
            m.SPORT: p.sport or 0,
            m.DPORT: p.dport or 0,
            m.ICMP: ((p.icmp_type or 0) << 8) | (p.icmp_code or 0),
            m.TCP_FLAGS: p.tcp_flags if p.tcp_flags is not None else
            (m.TCP_FLAG_BITS["SYN"] if p.proto == m.PROTO_TCP else 0),
            m.STATE: m.STATE_NUMBER[p.state],
            m.DIRECTION: m.DIRECTIONS.index(p.direction),
            m.IN_IFACE: self.ifaces.element_of(p.in_iface),
            m.OUT_IFACE: self.ifaces.element_of(p.out_iface),
            "src4": p.src if p.family == 4 else 0,
            "dst4": p.dst if p.family == 4 else 0,
            "src6": p.src if p.family == 6 else 0,
            "dst6": p.dst if p.family == 6 else 0,
        }
        out: dict[str, bool] = {}
        for name, b in self.blocks.items():
            v = values[name]
            for i, var in enumerate(b.vars):
                out[var] = bool((v >> (b.width - 1 - i)) & 1)
        return out

    def point(self, p: m.Packet) -> Node:
        """The set holding exactly this packet (opaque variables left free)."""
        return self.bdd.cube(self._assignment(p))

    def contains(self, s: Node, p: m.Packet) -> bool | None:
        """Whether the packet is in the set: True, False, or None when it depends on an
        opaque condition."""
        r = self.bdd.let(self._assignment(p), s)
        if r == self.true:
            return True
        if r == self.false:
            return False
        return None

    # ------------------------------------------------------------------ algebra

    def is_empty(self, s: Node) -> bool:
        """No valid packet is in the set."""
        return s == self.false or (s & self.universe) == self.false

    def equal(self, a: Node, b: Node) -> bool:
        return (a & self.universe) == (b & self.universe)

    def subset(self, a: Node, b: Node) -> bool:
        return (a & ~b & self.universe) == self.false

    def opaque_vars(self) -> list[str]:
        return list(self._opaque.values())

    def may(self, s: Node) -> Node:
        """Packets that are in the set for some value of the opaque conditions."""
        vs = self.opaque_vars()
        return self.bdd.exist(vs, s) if vs else s

    def must(self, s: Node) -> Node:
        """Packets that are in the set whatever the opaque conditions say."""
        vs = self.opaque_vars()
        return self.bdd.forall(vs, s) if vs else s

    def depends_on_opaque(self, s: Node) -> list[str]:
        """Descriptions of the opaque conditions the set depends on."""
        support = self.bdd.support(s & self.universe)
        return [self._opaque_desc[v] for v in self._opaque.values() if v in support]

    def count(self, s: Node) -> int:
        """Number of assignments of the engine's bits in the set (opaque variables quantified
        as 'may'). Interface elements and the direction bit count as values, so this is a
        measure for ratios between sets, not a number of distinct real packets."""
        s = self.may(s & self.universe)
        nvars = sum(b.width for b in self.blocks.values())
        return int(self.bdd.count(s, nvars=nvars)) if s != self.false else 0

    # ------------------------------------------------------------------ witnesses

    def witness(self, s: Node, prefer: m.Packet | None = None) -> m.Packet | None:
        """One concrete packet of the set (None when empty). Prefers packets that look like
        the first packet of a connection: state NEW, a TCP SYN, an ephemeral source port."""
        # no `may` needed: a satisfying assignment with the opaque variables dropped is a
        # packet that is in the set for some value of them
        s = s & self.universe
        if s == self.false:
            return None
        prefs = self._preferences()
        if prefer is not None:
            prefs = [self.point(prefer), *prefs]
        # all preferences at once first (one operation); one by one only if that fails
        both = s & self._all_preferences()
        if prefer is None and both != self.false:
            s = both
        else:
            for pref in prefs:
                t = s & pref
                if t != self.false:
                    s = t
        assignment = self._pick(s)
        if assignment is None:  # pragma: no cover - s is non-empty
            return None
        return self._packet(assignment)

    def _pick(self, s: Node) -> dict[str, bool] | None:
        """One satisfying path of a non-empty set, low branch first; variables the path does
        not test are left out (they read as 0). A walk down one path: much cheaper than
        enumerating minterms over every variable."""
        if s == self.false:
            return None
        out: dict[str, bool] = {}
        true = self.true
        while s != true:
            # dd.cudd gives the children of the regular node: a complemented edge
            # complements them
            low, high = (~s.low, ~s.high) if s.negated else (s.low, s.high)
            if low != self.false:
                out[s.var] = False
                s = low
            else:
                out[s.var] = True
                s = high
        return out

    def _preferences(self) -> list[Node]:
        if self._prefs is None:
            self._prefs = [
                self._eq(m.STATE, m.STATE_NUMBER["NEW"]),
                self._eq(m.PROTO, m.PROTO_TCP),
                ~self.interval("src4", 0, 0x00FFFFFF) & ~self.interval("src4", 0xE0000000, 0xFFFFFFFF),
                ~self.interval("dst4", 0, 0x00FFFFFF) & ~self.interval("dst4", 0xE0000000, 0xFFFFFFFF),
                # where any address will do, documentation addresses read best
                self.interval("src4", 0xCB00710A, 0xCB0071FE),  # 203.0.113.10 and up
                self.interval("dst4", 0xC6336414, 0xC63364FE),  # 198.51.100.20 and up
                ~self.interval("src6", 0, (1 << 120) - 1),
                ~self.interval("dst6", 0, (1 << 120) - 1),
                self._flags(0xFF, m.TCP_FLAG_BITS["SYN"]),
                self.interval(m.SPORT, 32768, 60999),
                self._eq(m.SPORT, 40000),
                ~self.interval(m.DPORT, 0, 0),
                self._eq(m.DPORT, 443),
                ~self._eq(m.IN_IFACE, self.ifaces.index["*"]) | self.interval(m.IN_IFACE, 0, 0),
                ~self._eq(m.OUT_IFACE, self.ifaces.index["*"]),
            ]
        return self._prefs

    def _all_preferences(self) -> Node:
        if self._prefs_all is None:
            u = self.true
            for p in self._preferences():
                u = u & p
            self._prefs_all = u
        return self._prefs_all

    def _value(self, assignment: dict[str, bool], block: str) -> int:
        b = self.blocks[block]
        v = 0
        for var in b.vars:
            v = (v << 1) | (1 if assignment.get(var) else 0)
        return v

    def _packet(self, a: dict[str, bool]) -> m.Packet:
        fam = 4 if self._value(a, m.FAMILY) == 0 else 6
        proto = self._value(a, m.PROTO)
        icmp = self._value(a, m.ICMP)
        is_icmp = proto in (m.PROTO_ICMP, m.PROTO_ICMPV6)
        ports = proto in m.PORT_PROTOCOLS
        state_i = self._value(a, m.STATE)
        return m.Packet(
            family=fam,
            src=self._value(a, f"src{fam}"),
            dst=self._value(a, f"dst{fam}"),
            proto=proto,
            sport=self._value(a, m.SPORT) if ports else None,
            dport=self._value(a, m.DPORT) if ports else None,
            icmp_type=(icmp >> 8) if is_icmp else None,
            icmp_code=(icmp & 0xFF) if is_icmp else None,
            tcp_flags=self._value(a, m.TCP_FLAGS) if proto == m.PROTO_TCP else None,
            state=m.STATES[state_i] if state_i < len(m.STATES) else "NEW",
            in_iface=self.ifaces.representative(self._value(a, m.IN_IFACE)),
            out_iface=self.ifaces.representative(self._value(a, m.OUT_IFACE)),
            direction=m.DIRECTIONS[self._value(a, m.DIRECTION)],
        )


_SHORT_MATCH = 16  # conditions ANDed one after the other (stopping at an empty set); more: pairwise


def _blocks_of(c: m.Cond) -> set[str]:
    if isinstance(c, m.AnyCond):
        return {b for alt in c.alternatives for cc in alt.conds for b in _blocks_of(cc)}
    if isinstance(c, m.AddrCond):
        return {f"{c.field}{r[0]}" for r in c.ranges}
    return {c.field} if c.field in DEFAULT_WIDTHS or c.field in (m.IN_IFACE, m.OUT_IFACE) else set()


def order_for(device: m.Device) -> tuple[str, ...]:
    """A variable order for a device: the blocks its rules constrain most often first (a
    field few rules test is a don't-care for most of them and belongs at the bottom).

    A rule counts with the conditions of the jumps that lead to its chain: a FORWARD chain
    that dispatches on interfaces to user chains makes every rule of those chains depend on
    the interface. Ties keep the default order; the family bit stays on top."""
    by_key = {(f.table, f.name): f for f in device.filters}
    context: dict[tuple[str, str], set[str]] = {}
    # propagate the fields tested on the way into each chain (bounded: chains form a DAG)
    for _ in range(8):
        changed = False
        for f in device.filters:
            here = context.get((f.table, f.name), set())
            for r in f.rules:
                if r.action.kind in ("jump", "goto") and r.action.target:
                    key = (f.table, r.action.target)
                    if key not in by_key:
                        continue
                    add = here | {b for c in r.match.conds for b in _blocks_of(c)}
                    cur = context.setdefault(key, set())
                    if not add <= cur:
                        cur |= add
                        changed = True
        if not changed:
            break
    # dispatch fields (tested on the way into chains) first: then each chain's sets live
    # in their own subtree and combining them costs their size, not the whole ruleset's
    dispatch = {b: 0 for b in _ORDER}
    counts = {b: 0 for b in _ORDER}
    for f in device.filters:
        here = context.get((f.table, f.name), set())
        for r in f.rules:
            for b in here:
                if b in dispatch:
                    dispatch[b] += 1
            for b in {b for c in r.match.conds for b in _blocks_of(c)}:
                if b in counts:
                    counts[b] += 1
    rank = {b: i for i, b in enumerate(_ORDER)}
    weight = {b: counts[b] + 4 * dispatch[b] for b in _ORDER}
    rest = sorted((b for b in _ORDER if b != m.FAMILY), key=lambda b: (-weight[b], rank[b]))
    return (m.FAMILY, *rest)


def parse_address(text: str) -> tuple[int, int, int]:
    """`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.1` -> (family, lo, hi)."""
    net = ipaddress.ip_network(text, strict=False)
    return net.version, int(net.network_address), int(net.broadcast_address)
