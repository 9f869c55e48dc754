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

Addresses are encoded through the device's own address partition where one is given
(`order_for` returns it with the order, `AddressPieces`): the bounds of every address range
the device's conditions use cut the address space into aligned blocks ("pieces", each a
prefix), and an address is the index of its piece (about log2 of the number of pieces,
12-20 bits) followed by its own bits, of which only those past the piece's prefix are
ever tested. A condition of the device is then a range of piece indexes (a /128 host is a
cube of some 17 variables instead of 128), and any other address range (a packet, an
inventory network, a witness preference) is still exact: whole pieces by index, the pieces
it covers in part by their low bits. Every set keeps the invariant that it never depends on
an address bit of its piece's prefix (the piece number says those), so equality,
emptiness, witnesses and counts are those of the plain encoding. This is what makes IPv6
as cheap as IPv4: in plain bits a /128 host is a chain of 128 BDD nodes and every set of
hosts carries one per host (matches about 2.7 times larger than IPv4's, every operation
on them slower); by pieces an IPv6 host costs about what an IPv4 one does.

Sets are plain `dd` nodes; `&`, `|`, `~`, `==` work on them directly.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Iterable, NamedTuple

from . import model as m
from .bdd import Node, new_manager
from .ifdomain import IfaceDomain
from .pieces import AddressPieces, PiecesCount, aligned_blocks
from .witness import WitnessPicker

__all__ = ["AddressPieces", "Block", "IfaceDomain", "Layout", "Node", "PacketSpace", "address_bounds",
           "order_for", "parse_address"]

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
_ADDRESS_BLOCKS = {"src4": 4, "dst4": 4, "src6": 6, "dst6": 6}
# where witnesses prefer their addresses (see `witness.WitnessPicker._preferences`): bounds added to every
# address partition, so that the preferences are ranges of whole pieces too
_PREFERENCE_BOUNDS = {
    4: (0x01000000, 0xE0000000, 0xCB00710A, 0xCB0071FF, 0xC6336415, 0xC63364FF),
    6: (1 << 120,),
}


@dataclass(frozen=True)
class Block:
    name: str
    width: int
    vars: tuple[str, ...]


class Field(NamedTuple):
    """How a field's value is encoded: `raw`, the bits of its value; for an address encoded
    by pieces, `index` (the piece number's bits, above the raw ones) and `pieces`, else
    None (plain bits)."""

    raw: Block
    index: Block | None
    pieces: AddressPieces | None


class PacketSpace:
    """Sets of packets over the fields of `linter.model`, with union, intersection,
    difference, emptiness, equality, witnesses and approximation bounds."""

    def __init__(self, interfaces: Iterable[str] = (), widths: dict[str, int] | None = None,
                 order: Iterable[str] | None = None,
                 addresses: dict[int, Iterable[int]] | None = None) -> None:
        """`addresses`: per family, the address bounds the device's conditions use (the
        start of each range and the address after its end), as `order_for` finds them (an
        order it returns carries them, so `PacketSpace(order=order_for(device))` uses
        them); without, addresses are plain bits."""
        if addresses is None:
            addresses = getattr(order, "addresses", None)
        all_widths = {**DEFAULT_WIDTHS, **(widths or {})}
        self.ifaces = IfaceDomain(interfaces)
        self.bdd = new_manager()
        # blocks: every variable of a field (what callers quantify); fields: how its value
        # is encoded (`Field`)
        self.blocks: dict[str, Block] = {}
        self.fields: dict[str, Field] = {}
        self.order = tuple(order) if order is not None else _ORDER
        if sorted(self.order) != sorted(_ORDER):
            raise ValueError(f"order must name every block once: {_ORDER}")
        for name in self.order:
            width = self.ifaces.bits if name in (m.IN_IFACE, m.OUT_IFACE) else all_widths[name]
            pieces = self._partition(name, width, addresses)
            index = None
            if pieces is not None:
                ivs = tuple(f"{name}_p{i}" for i in range(pieces.bits))
                self.bdd.declare(*ivs)
                index = Block(name + "#", pieces.bits, ivs)
            vs = tuple(f"{name}_{i}" for i in range(width))
            self.bdd.declare(*vs)
            self.fields[name] = Field(Block(name, width, vs), index, pieces)
            self.blocks[name] = Block(name, width + (index.width if index else 0), (index.vars if index else ()) + vs)
        self.true = self.bdd.true
        self.false = self.bdd.false
        # sets already built: of conditions, matches, intervals ("iv", block, lo, hi) and
        # the 8-bit slices of cubes (block name, first bit, length, value)
        self._memo: dict[Any, Node] = {}
        self._by_id: dict[int, tuple[m.Match, Node]] = {}
        self._opaque: dict[str, tuple[str, str]] = {}  # key -> (variable, description)
        self._witnesses = WitnessPicker(self)
        self.universe = self._universe()

    def _partition(self, name: str, width: int, addresses: dict[int, Iterable[int]] | None) -> AddressPieces | None:
        """The pieces of an address block (None: plain bits, for other blocks, without a
        device's bounds, or when the bounds make a single piece)."""
        fam = _ADDRESS_BLOCKS.get(name)
        if fam is None or not addresses or not addresses.get(fam):
            return None
        pieces = AddressPieces(width, (*addresses[fam], *_PREFERENCE_BOUNDS[fam]))
        return pieces if pieces.count > 1 else None

    # ------------------------------------------------------------------ bit-level building

    def _cube(self, b: Block, value: int, stop: int, first: int = 0) -> Node:
        """Bits first..stop-1 of b (counted from the most significant) equal those of value.

        Built from memoised cubes of 8-bit slices: most of a ruleset's addresses and ports
        share their slices with others, and an AND of four small cubes is far cheaper than
        a cube of 32 variables built one by one. The slices are ANDed from the lowest up:
        an AND whose first operand lies wholly above the second costs the first's size
        (the recursion meets the second only at the first's end), so each step costs one
        slice; from the top down each would cost the cube built so far, quadratic in the
        width (a /128 host: 16 steps, 0.35 ms -> 0.06 ms)."""
        if stop <= first:
            return self.true
        result = self.true
        memo = self._memo
        # slices aligned on multiples of 8 bits (shared by every cube of the block), the
        # first and last cut to the range
        for start in reversed(range(first - first % 8, stop, 8)):
            lo_bit, hi_bit = max(start, first), min(start + 8, stop)
            length = hi_bit - lo_bit
            piece = (value >> (b.width - hi_bit)) & ((1 << length) - 1)
            key = (b.name, lo_bit, length, piece)
            cube = memo.get(key)
            if cube is None:
                cube = memo[key] = self.bdd.cube(
                    {b.vars[lo_bit + i]: bool((piece >> (length - 1 - i)) & 1) for i in range(length)})
            result = cube if result is self.true else cube & result
        return result

    def _bits_interval(self, b: Block, lo: int, hi: int, first: int = 0) -> Node:
        """b's value lies in [lo, hi], as a union of aligned cubes; bits above `first` are
        not tested (the caller knows lo and hi share them)."""
        result = self.false
        for start, plen in aligned_blocks(lo, hi + 1, b.width):
            result = result | self._cube(b, start, plen, first)
        return result

    def interval(self, block: str, lo: int, hi: int) -> Node:
        """The set where block's value lies in [lo, hi]."""
        field = self.fields[block]
        width = field.raw.width
        top = (1 << width) - 1
        lo = max(lo, 0)
        hi = min(hi, top)
        if lo > hi:
            return self.false
        key = ("iv", block, lo, hi)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        if field.pieces is None:
            result = self._bits_interval(field.raw, lo, hi)
        else:
            result = self._pieces_interval(block, lo, hi)
        self._memo[key] = result
        return result

    def _pieces_interval(self, block: str, lo: int, hi: int) -> Node:
        """An address range of a block encoded by pieces: the pieces it covers whole as a
        range of piece numbers; a piece it covers in part (its ends, when they are not
        bounds) as that piece's number and the range on the address bits past its prefix."""
        raw, index, pieces = self.fields[block]
        assert pieces is not None and index is not None
        j_lo = pieces.bound_piece(lo)
        j_hi = pieces.bound_piece(hi + 1)
        result = self.false
        if j_lo is None:  # lo inside a piece: that piece from lo to its end (or to hi)
            j, start, plen = pieces.locate(lo)
            end = start + (1 << (raw.width - plen)) - 1
            result = self._cube(index, j, index.width) & self._bits_interval(raw, lo, min(hi, end), plen)
            if hi <= end:
                return result
            j_lo = j + 1
        if j_hi is None:  # hi inside a piece: that piece from its start to hi
            j, start, plen = pieces.locate(hi)
            result = result | (self._cube(index, j, index.width) & self._bits_interval(raw, start, hi, plen))
        else:
            j = j_hi
        if j_lo < j:  # the whole pieces between
            result = result | self._bits_interval(index, j_lo, j - 1)
        return result

    def equals(self, block: str, value: int) -> Node:
        return self.interval(block, value, value)

    # ------------------------------------------------------------------ fields

    def _universe(self) -> Node:
        """Valid packets: a known state and interface, and the fields a protocol does not
        have held at 0 (ports without TCP/UDP/SCTP/DCCP/UDP-Lite, TCP flags without TCP,
        ICMP type and code without ICMP), as `Packet` and `graph.cond_matches` read them."""
        u = self.interval(m.STATE, 0, len(m.STATES) - 1)
        n = len(self.ifaces.elements)
        u = u & self.interval(m.IN_IFACE, 0, n - 1) & self.interval(m.OUT_IFACE, 0, n - 1)
        top = (1 << self.fields[m.PROTO].raw.width) - 1
        with_ports = self.false
        for p in sorted(m.PORT_PROTOCOLS):
            if p <= top:
                with_ports |= self.equals(m.PROTO, p)
        u &= with_ports | (self.equals(m.SPORT, 0) & self.equals(m.DPORT, 0))
        tcp = self.equals(m.PROTO, m.PROTO_TCP) if m.PROTO_TCP <= top else self.false
        u &= tcp | self.equals(m.TCP_FLAGS, 0)
        icmp = self.false
        for p in (m.PROTO_ICMP, m.PROTO_ICMPV6):
            if p <= top:
                icmp |= self.equals(m.PROTO, p)
        u &= icmp | self.equals(m.ICMP, 0)
        for _, index, pieces in self.fields.values():
            if pieces is not None and index is not None and pieces.count < 1 << index.width:
                u &= self._bits_interval(index, 0, pieces.count - 1)  # piece numbers that exist
        return u

    def family(self, fam: int) -> Node:
        return self.equals(m.FAMILY, 0 if fam == 4 else 1)

    def addr_range(self, field: str, fam: int, lo: int, hi: int) -> Node:
        block = f"{field}{fam}"
        return self.family(fam) & self.interval(block, lo, hi)

    def iface(self, field: str, patterns: Iterable[str]) -> Node:
        result = self.false
        pats = tuple(patterns)
        for i, e in enumerate(self.ifaces.elements):
            if any(self.ifaces.matches(e, p) for p in pats):
                result = result | self.equals(field, i)
        return result

    def opaque_var(self, key: str, description: str = "") -> Node:
        known = self._opaque.get(key)
        if known is not None:
            return self.bdd.var(known[0])
        var = f"opaque_{len(self._opaque)}"
        self.bdd.declare(var)
        self._opaque[key] = (var, description or key)
        return self.bdd.var(var)

    def cond(self, c: m.Cond) -> Node:
        hit = self._memo.get(c)
        if hit is not None:
            return hit
        if isinstance(c, m.IntCond):
            s = self._int_set(c)
        elif isinstance(c, m.AddrCond):
            s = self.false
            for fam, lo, hi in c.ranges:
                s = s | self.addr_range(c.field, fam, lo, hi)
        elif isinstance(c, m.IfaceCond):
            s = self.iface(c.field, c.names)
        elif isinstance(c, m.FlagsCond):
            s = self.flags(c.mask, c.comp)
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

    def _int_set(self, c: m.IntCond) -> Node:
        """The packets whose field lies in one of the condition's ranges (not negated)."""
        s = self.false
        if c.field == m.FAMILY:
            for lo, hi in c.ranges:
                for fam in (4, 6):
                    if lo <= fam <= hi:
                        s = s | self.family(fam)
            return s
        for lo, hi in c.ranges:
            s = s | self.interval(c.field, lo, hi)
        return s

    def flags(self, mask: int, comp: int) -> Node:
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

    def _assignment(self, p: m.Packet, canonical: bool = False) -> dict[str, bool]:
        """Every engine variable's value for the packet. `canonical`: an address encoded by
        pieces leaves out the bits of its piece's prefix (what no set may depend on:
        a cube that fixed them would not hold the packet's other spellings)."""
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
        for name in self.fields:
            out.update(self.block_bits(name, values[name], canonical))
        return out

    def point(self, p: m.Packet) -> Node:
        """The set holding exactly this packet (opaque variables left free)."""
        return self.bdd.cube(self._assignment(p, canonical=True))

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
        return [var for var, _ in self._opaque.values()]

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
        return [desc for var, desc in self._opaque.values() if var in support]

    def count(self, s: Node) -> int:
        """Number of assignments of the engine's bits in the set (opaque variables quantified
        as 'may'), addresses counted as their values whatever their encoding. Interface
        elements and the direction bit count as values, so this is a measure for ratios
        between sets, not a number of distinct real packets."""
        s = self.may(s & self.universe)
        if s == self.false:
            return 0
        if all(f.pieces is None for f in self.fields.values()):
            nvars = sum(b.width for b in self.blocks.values())
            return int(self.bdd.count(s, nvars=nvars))
        return PiecesCount(self).count(s)

    # ------------------------------------------------------------------ witnesses

    def witness(self, s: Node, prefer: m.Packet | None = None) -> m.Packet | None:
        """One concrete packet of the set (None when empty), `prefer` where the set holds it,
        else what reads best: see `linter.witness.WitnessPicker.witness`."""
        return self._witnesses.witness(s, prefer)

    def opaque_held(self, assignment: dict[str, bool]) -> tuple[str, ...]:
        """The keys of the opaque conditions an assignment needs to hold (a variable it
        leaves out reads 0: the condition fails)."""
        return tuple(key for key, (var, _) in self._opaque.items() if assignment.get(var))

    @property
    def pieces(self) -> dict[str, AddressPieces | None]:
        """Each field's address pieces (None: plain bits)."""
        return {name: f.pieces for name, f in self.fields.items()}

    def block_bits(self, name: str, v: int, canonical: bool = False) -> dict[str, bool]:
        """The variables of a block for the value v (an address by its piece: the piece's
        number, then its own bits; `canonical` leaves out the bits of the piece's prefix)."""
        out: dict[str, bool] = {}
        b, index, pieces = self.fields[name]
        first = 0
        if pieces is not None and index is not None:
            j, _, plen = pieces.locate(v)
            for i, var in enumerate(index.vars):
                out[var] = bool((j >> (index.width - 1 - i)) & 1)
            first = plen if canonical else 0
        for i in range(first, b.width):
            out[b.vars[i]] = bool((v >> (b.width - 1 - i)) & 1)
        return out


    def value(self, assignment: dict[str, bool], block: str) -> int:
        b, index, pieces = self.fields[block]
        v = _bits_value(assignment, b)
        if pieces is None or index is None:
            return v
        # the piece's prefix, then the address's own bits below it
        start, plen = pieces.piece(min(_bits_value(assignment, index), pieces.count - 1))
        return start | (v & ((1 << (b.width - plen)) - 1))


_SHORT_MATCH = 16  # conditions ANDed one after the other (stopping at an empty set); more: pairwise


def _bits_value(assignment: dict[str, bool], b: Block) -> int:
    """The value of a block's bits in an assignment (a missing variable reads 0)."""
    v = 0
    for var in b.vars:
        v = (v << 1) | (1 if assignment.get(var) else 0)
    return v




def _blocks_of(c: m.Cond) -> set[str]:
    if isinstance(c, m.AnyCond):
        return {b for alt in c.alternatives for cc in alt.conds for b in _blocks_of(cc)}
    if isinstance(c, m.AddrCond):
        return {f"{c.field}{r[0]}" for r in c.ranges}
    return {c.field} if c.field in DEFAULT_WIDTHS or c.field in (m.IN_IFACE, m.OUT_IFACE) else set()


class Layout(tuple):
    """A device's variable order (the tuple of block names `PacketSpace(order=...)` takes)
    with the address bounds its conditions use (`addresses`: family -> bounds), which
    `PacketSpace` reads from it to encode addresses by pieces."""

    addresses: dict[int, frozenset[int]]

    def __new__(cls, order: Iterable[str], addresses: dict[int, frozenset[int]]) -> "Layout":
        obj = super().__new__(cls, order)
        obj.addresses = addresses
        return obj


def _address_bounds_of(c: m.Cond, out: dict[int, set[int]]) -> None:
    if isinstance(c, m.AnyCond):
        for alt in c.alternatives:
            for cc in alt.conds:
                _address_bounds_of(cc, out)
    elif isinstance(c, m.AddrCond):
        for fam, lo, hi in c.ranges:
            out.setdefault(fam, set()).update((lo, hi + 1))


def address_bounds(device: m.Device) -> dict[int, frozenset[int]]:
    """Per family, the start of every address range the device's rules and alterations
    test and the address after its end: the bounds of its address partition."""
    out: dict[int, set[int]] = {}
    for f in device.filters:
        for r in f.rules:
            for c in r.match.conds:
                _address_bounds_of(c, out)
    for a in device.alterations:
        for c in a.match.conds:
            _address_bounds_of(c, out)
    return {fam: frozenset(b) for fam, b in out.items()}


def order_for(device: m.Device) -> Layout:
    """A variable order for a device: the blocks its rules constrain most often first (a
    field few rules test is a don't-care for most of them and belongs at the bottom).
    It carries the device's address bounds (`Layout`).

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
    return Layout((m.FAMILY, *rest), address_bounds(device))


def parse_address(text: str) -> tuple[int, int, int]:
    """`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.1` -> (family, lo, hi)."""
    net = ipaddress.ip_network(text, strict=False)
    return net.version, int(net.network_address), int(net.broadcast_address)
