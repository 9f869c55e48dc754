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

import bisect
import ipaddress
import math
import sys
from dataclasses import dataclass
from typing import Any, Iterable

from . import model as m


def _import_bdd_backend():
    """dd's CUDD backend (fast), else its pure-Python one (same interface), imported without
    networkx. dd imports networkx at start-up (`dd._utils`: `try: import networkx except
    ImportError`) only for conversions and plots fwlint never calls, and networkx costs more
    than half of dd's import time (0.08 s of a one-file check). An entry of None in
    sys.modules makes `import networkx` raise ImportError (the import system's documented
    way to block a module), and dd then carries on without it. The entry is set only when
    networkx is not loaded already (a program that imported it keeps it, and so does dd),
    and only while dd is being imported: a later `import networkx` works as usual."""
    blocked = "networkx" not in sys.modules
    if blocked:
        sys.modules["networkx"] = None  # type: ignore[assignment]
    try:
        try:
            from dd import cudd as backend  # type: ignore
        except ImportError:  # pragma: no cover - exercised only where the wheel is missing
            from dd import autoref as backend  # type: ignore
    finally:
        if blocked and "networkx" in sys.modules and sys.modules["networkx"] is None:
            del sys.modules["networkx"]
    return backend


_bdd_mod = _import_bdd_backend()

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
_ADDRESS_BLOCKS = {"src4": 4, "dst4": 4, "src6": 6, "dst6": 6}
# where witnesses prefer their addresses (see `PacketSpace._preferences`): bounds added to every
# address partition, so that the preferences are ranges of whole pieces too
_PREFERENCE_BOUNDS = {
    4: (0x01000000, 0xE0000000, 0xCB00710A, 0xCB0071FF, 0xC6336415, 0xC63364FF),
    6: (1 << 120,),
}


def _aligned_blocks(lo: int, hi: int, width: int) -> Iterable[tuple[int, int]]:
    """[lo, hi) as the fewest aligned blocks, in address order: (start, prefix length)."""
    while lo < hi:
        size = lo & -lo if lo else 1 << width
        while size > hi - lo:
            size >>= 1
        yield lo, width - size.bit_length() + 1
        lo += size


def _count_aligned_blocks(lo: int, hi: int) -> int:
    """How many blocks `_aligned_blocks(lo, hi)` yields, without walking them: the blocks up
    to the aligned point between lo and hi - 1 are the one bits of the distance to it, the
    blocks after it those of the rest."""
    if hi - lo <= 1:
        return hi - lo
    m = (lo ^ (hi - 1)).bit_length() - 1  # the highest bit where the two ends differ
    if lo & ((2 << m) - 1) == 0 and hi - lo == 2 << m:
        return 1  # one aligned block of 2^(m+1) addresses
    split = ((hi - 1) >> m) << m
    return (split - lo).bit_count() + (hi - split).bit_count()


class AddressPieces:
    """One address family's space cut into pieces: the aligned blocks between consecutive
    bounds (every piece is a prefix, and no bound falls inside one), numbered in address
    order, so that an address range between bounds is a range of piece numbers.

    Memory is per bound (an atom: the addresses between two consecutive bounds), never per
    piece: a /128 inside a /64 makes some 120 pieces, and pieces are counted and located by
    their atom's arithmetic."""

    def __init__(self, width: int, bounds: Iterable[int]) -> None:
        top = 1 << width
        self.width = width
        self.atoms = sorted({0} | {b for b in bounds if 0 < b < top})
        ends = self.atoms[1:] + [top]
        self.first: list[int] = []  # number of each atom's first piece
        n = 0
        for lo, hi in zip(self.atoms, ends, strict=True):
            self.first.append(n)
            n += _count_aligned_blocks(lo, hi)
        self.count = n
        self.bits = (n - 1).bit_length()
        self._ends = ends

    def locate(self, addr: int) -> tuple[int, int, int]:
        """(piece number, its start, its prefix length) of an address."""
        i = bisect.bisect_right(self.atoms, addr) - 1
        j = self.first[i]
        for start, plen in _aligned_blocks(self.atoms[i], self._ends[i], self.width):
            if addr < start + (1 << (self.width - plen)):
                return j, start, plen
            j += 1
        raise AssertionError("an address outside its atom")  # pragma: no cover

    def piece(self, j: int) -> tuple[int, int]:
        """(start, prefix length) of piece number j."""
        i = bisect.bisect_right(self.first, j) - 1
        k = j - self.first[i]
        for start, plen in _aligned_blocks(self.atoms[i], self._ends[i], self.width):
            if k == 0:
                return start, plen
            k -= 1
        raise AssertionError("a piece number past its atom")  # pragma: no cover

    def bound_piece(self, bound: int) -> int | None:
        """The number of the piece starting at `bound` when it is a bound (the top of the
        space counts as the piece past the last one), else None."""
        if bound == 1 << self.width:
            return self.count
        i = bisect.bisect_left(self.atoms, bound)
        return self.first[i] if i < len(self.atoms) and self.atoms[i] == bound else None

    def span(self, j_lo: int, j_hi: int) -> int:
        """How many addresses pieces j_lo..j_hi hold."""
        start, _ = self.piece(j_lo)
        last, plen = self.piece(j_hi)
        return last + (1 << (self.width - plen)) - start


# CUDD's computed table ("cache") may grow to this many entries. Its default bound grows it
# with the node table until it is most of the process's memory (1.26 GiB of a 15,000-rule
# check), and a cache that large is slower, not faster (cache lines that miss): 2**20
# entries (24 MiB) measured 640 MiB and 16% less CPU on the same check, same results.
_CACHE_ENTRIES = 1 << 20
_MEMORY_ESTIMATE = 1 << 28  # CUDD sizes its first tables from it: a small manager starts in 0.3 ms, not 9


def _new_manager():
    """A BDD manager: dynamic reordering off (fwlint chooses the order: `order_for`), the
    cache bounded (`_CACHE_ENTRIES`), started small."""
    try:
        bdd = _bdd_mod.BDD(memory_estimate=_MEMORY_ESTIMATE, initial_cache_size=1 << 12)
    except TypeError:  # pragma: no cover - the pure-Python backend takes no sizes
        bdd = _bdd_mod.BDD()
    try:
        bdd.configure(reordering=False)
        bdd.configure(max_cache_hard=_CACHE_ENTRIES)
    except Exception:  # pragma: no cover - backends without the options
        pass
    return bdd


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

    def witness_name(self, i: int) -> str:
        """How a witness names element i: a name the device uses as it is; for the others
        the element itself, `*` (an interface the device does not name) or `eth+` (one whose
        name starts with eth, other than those named), never an invented name shown as if
        it existed. `trace` reads them back as the same element: `*` and `eth+` as names
        match exactly the patterns their element matches (`eth+` starts with eth and with
        no longer prefix the device uses, `*` with none but the bare `+`)."""
        return self.elements[i]

    def representative(self, i: int) -> str:
        """A concrete name that falls in element i (for the box layer's concrete runs;
        witnesses name elements with `witness_name`)."""
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
                 order: Iterable[str] | None = None,
                 addresses: dict[int, Iterable[int]] | None = None) -> None:
        """`addresses`: per family, the address bounds the device's conditions use (the
        start of each range and the address after its end), as `order_for` finds them (an
        order it returns carries them, so `PacketSpace(order=order_for(device))` uses
        them); without, addresses are plain bits."""
        if addresses is None:
            addresses = getattr(order, "addresses", None)
        self.widths = dict(DEFAULT_WIDTHS)
        if widths:
            self.widths.update(widths)
        self.ifaces = IfaceDomain(interfaces)
        self.bdd = _new_manager()
        # blocks: every variable of a field (what callers quantify); _raw: the bits of its
        # value; _index: an address field's piece number, above its bits (None: plain bits)
        self.blocks: dict[str, Block] = {}
        self._raw: dict[str, Block] = {}
        self._index: dict[str, Block | None] = {}
        self.pieces: dict[str, AddressPieces | None] = {}
        self.order = tuple(order) if order is not None else _ORDER
        if sorted(self.order) != sorted(_ORDER):
            raise ValueError(f"order must name every block once: {_ORDER}")
        for name in self.order:
            width = self.ifaces.bits if name in (m.IN_IFACE, m.OUT_IFACE) else self.widths[name]
            pieces = self._partition(name, width, addresses)
            index = None
            if pieces is not None:
                ivs = tuple(f"{name}_p{i}" for i in range(pieces.bits))
                self.bdd.declare(*ivs)
                index = Block(name + "#", pieces.bits, ivs)
            vs = tuple(f"{name}_{i}" for i in range(width))
            self.bdd.declare(*vs)
            self._raw[name] = Block(name, width, vs)
            self._index[name] = index
            self.pieces[name] = pieces
            self.blocks[name] = Block(name, width + (index.width if index else 0), (index.vars if index else ()) + vs)
        self.true = self.bdd.true
        self.false = self.bdd.false
        self._memo: dict[Any, Node] = {}
        self._slices: dict[tuple[str, int, int, int], Node] = {}
        self._by_id: dict[int, tuple[m.Match, Node]] = {}
        self._opaque: dict[str, str] = {}  # key -> variable
        self._opaque_desc: dict[str, str] = {}  # variable -> description
        self._prefs: list[Node] | None = None
        self._prefs_all: Node | None = None
        self._none_hold: tuple[int, Node] | None = None  # see _literal
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
        memo = self._slices
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
        for start, plen in _aligned_blocks(lo, hi + 1, b.width):
            result = result | self._cube(b, start, plen, first)
        return result

    def interval(self, block: str, lo: int, hi: int) -> Node:
        """The set where block's value lies in [lo, hi]."""
        width = self._raw[block].width
        top = (1 << width) - 1
        lo = max(lo, 0)
        hi = min(hi, top)
        if lo > hi:
            return self.false
        key = ("iv", block, lo, hi)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        if self.pieces.get(block) is None:
            result = self._bits_interval(self._raw[block], lo, hi)
        else:
            result = self._pieces_interval(block, lo, hi)
        self._memo[key] = result
        return result

    def _pieces_interval(self, block: str, lo: int, hi: int) -> Node:
        """An address range of a block encoded by pieces: the pieces it covers whole as a
        range of piece numbers; a piece it covers in part (its ends, when they are not
        bounds) as that piece's number and the range on the address bits past its prefix."""
        pieces, index, raw = self.pieces[block], self._index[block], self._raw[block]
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
        for name, pieces in self.pieces.items():
            index = self._index[name]
            if pieces is not None and index is not None and pieces.count < 1 << index.width:
                u &= self._bits_interval(index, 0, pieces.count - 1)  # piece numbers that exist
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
            s = self._int_set(c)
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
        for name in self._raw:
            out.update(self._block_bits(name, values[name], canonical))
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
        as 'may'), addresses counted as their values whatever their encoding. Interface
        elements and the direction bit count as values, so this is a measure for ratios
        between sets, not a number of distinct real packets."""
        s = self.may(s & self.universe)
        if s == self.false:
            return 0
        if all(p is None for p in self.pieces.values()):
            nvars = sum(b.width for b in self.blocks.values())
            return int(self.bdd.count(s, nvars=nvars))
        return _PiecesCount(self).count(s)

    # ------------------------------------------------------------------ witnesses

    def witness(self, s: Node, prefer: m.Packet | None = None) -> m.Packet | None:
        """One concrete packet of the set (None when empty). Prefers `prefer`, then packets
        that look like the first packet of a connection: state NEW, a TCP SYN, an ephemeral
        source port, interfaces the device names (`IfaceDomain.witness_name`); among those,
        one that is in the set with every opaque condition failing (the branch `trace`
        reports first), else one whose `holds` names those it needs; its addresses hosts
        where the set allows (`_as_hosts`). The packet has no hook: `graph.Analysis.witness`
        adds where trace takes it."""
        # no `may` needed: a satisfying assignment with the opaque variables dropped is a
        # packet that is in the set for some value of them
        s = s & self.universe
        if s == self.false:
            return None
        if prefer is not None:
            t = s & self.point(prefer)
            if t != self.false:
                s = t
        chosen, assignment = self._preferred(s)
        if any(assignment.get(v) for v in self._opaque.values()):
            # the packet needs an opaque condition to hold: among the preferred packets,
            # those with every one failing, where there are any (asked of the preferred
            # set, a small one, only when the pick needs it)
            literal = self._literal(chosen)
            if literal != chosen:
                chosen = literal
                assignment = self._pick(chosen)
        return self._packet(self._as_hosts(chosen, assignment))

    def _preferred(self, s: Node) -> tuple[Node, dict[str, bool]]:
        """The set narrowed by the preferences (all at once where they hold together, else
        one by one, each kept when the set still holds packets), and its pick."""
        both = s & self._all_preferences()
        if both != self.false:
            s = both
        else:
            for pref in self._preferences():
                t = s & pref
                if t != self.false:
                    s = t
        assignment = self._pick(s)
        assert assignment is not None  # (s is not empty)
        return s, assignment

    def _as_hosts(self, s: Node, a: dict[str, bool]) -> dict[str, bool]:
        """The picked assignment with host addresses where the set allows them next to the
        picked ones: an address whose last two bits are 00 (a network address of every
        prefix up to /30, /126) or 11 (a broadcast address) becomes the next address ending
        in 01 or 10 when the set holds the assignment with it (10.0.0.0 from 10.0.0.0/8
        becomes 10.0.0.1). The pick is the lowest address the set holds with the rest as
        picked, so a prefix always gives its first host. Asked of one assignment at a time
        (a walk down one path), never by ANDing sets: exact sets of host addresses are
        large where a device has many /32 or /128 pieces; and the same in either encoding
        of addresses."""
        fam = 4 if self._value(a, m.FAMILY) == 0 else 6
        for block in (f"src{fam}", f"dst{fam}"):
            addr = self._value(a, block)
            for up in {0: (1, 2), 3: (2, 3)}.get(addr & 3, ()):
                if addr + up >= 1 << self._raw[block].width:
                    break
                moved = dict(a)
                moved.update(self._block_bits(block, addr + up))
                if self._holds(s, moved):
                    a = moved
                    break
        return a

    def _holds(self, s: Node, a: dict[str, bool]) -> bool:
        """Whether the assignment (a variable it leaves out reads 0) is in the set: a walk
        down its one path (several times cheaper than `let` with every variable)."""
        true, false = self.true, self.false
        while s != true and s != false:
            # (dd.cudd gives the children of the regular node: a complemented edge
            # complements them)
            child = s.high if a.get(s.var, False) else s.low
            s = ~child if s.negated else child
        return s == true

    def _block_bits(self, name: str, v: int, canonical: bool = False) -> dict[str, bool]:
        """The variables of a block for the value v (an address by its piece: the piece's
        number, then its own bits; `canonical` leaves out the bits of the piece's prefix)."""
        out: dict[str, bool] = {}
        b = self._raw[name]
        first = 0
        pieces, index = self.pieces[name], self._index[name]
        if pieces is not None and index is not None:
            j, _, plen = pieces.locate(v)
            for i, var in enumerate(index.vars):
                out[var] = bool((j >> (index.width - 1 - i)) & 1)
            first = plen if canonical else 0
        for i in range(first, b.width):
            out[b.vars[i]] = bool((v >> (b.width - 1 - i)) & 1)
        return out

    def _literal(self, s: Node) -> Node:
        """The packets of s that are in it with every opaque condition failing, where there
        are any (else s): `trace` reports first the branch where every opaque condition
        fails (`graph.tracing._trace_filter`), so such a witness replays with the verdict the set
        stands for without naming any (`holds`)."""
        if not self._opaque:
            return s
        if self._none_hold is None or self._none_hold[0] != len(self._opaque):
            # (a cube of every opaque variable false, made again when one is added)
            self._none_hold = (len(self._opaque), self.bdd.cube({v: False for v in self._opaque.values()}))
        t = s & self._none_hold[1]
        return t if t != self.false else s

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
                self.interval("dst4", 0xC6336415, 0xC63364FE),  # 198.51.100.21 and up (a host: `_as_hosts`)
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
        b = self._raw[block]
        v = _bits_value(assignment, b)
        pieces, index = self.pieces[block], self._index[block]
        if pieces is None or index is None:
            return v
        # the piece's prefix, then the address's own bits below it
        start, plen = pieces.piece(min(_bits_value(assignment, index), pieces.count - 1))
        return start | (v & ((1 << (b.width - plen)) - 1))

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
            in_iface=self.ifaces.witness_name(self._value(a, m.IN_IFACE)),
            out_iface=self.ifaces.witness_name(self._value(a, m.OUT_IFACE)),
            direction=m.DIRECTIONS[self._value(a, m.DIRECTION)],
            # the opaque conditions the packet needs to hold to be in the set (a variable
            # the path leaves out reads 0: the condition fails)
            holds=tuple(key for key, var in self._opaque.items() if a.get(var)),
        )


_SHORT_MATCH = 16  # conditions ANDed one after the other (stopping at an empty set); more: pairwise


def _bits_value(assignment: dict[str, bool], b: Block) -> int:
    """The value of a block's bits in an assignment (a missing variable reads 0)."""
    v = 0
    for var in b.vars:
        v = (v << 1) | (1 if assignment.get(var) else 0)
    return v


class _PiecesCount:
    """`PacketSpace.count` where addresses are encoded by pieces: a model count over the
    engine's variables in which an address of piece j weighs 2^-len(j), since a set never
    tests the len(j) address bits of the piece's prefix and a plain count would count
    each address 2^len(j) times. Piece numbers are read along the paths through each
    index block; where a path leaves some of them untested, the weights of that run of
    pieces sum to its addresses over 2^width. Exact integers throughout."""

    def __init__(self, space: PacketSpace) -> None:
        self.s = space
        self.levels = sum(b.width for b in space.blocks.values())
        # index blocks by the level they start at: (first level, end level, pieces, width)
        self.blocks: list[tuple[int, int, AddressPieces, int]] = []
        for name in space.order:
            index, pieces = space._index[name], space.pieces[name]
            if index is not None and pieces is not None:
                first = space.bdd.level_of_var(index.vars[0])
                self.blocks.append((first, first + index.width, pieces, space._raw[name].width))
        self._c: dict[Node, int] = {}
        self._e: dict[tuple, int] = {}

    def level(self, u: Node) -> int:
        return self.levels if u == self.s.true or u == self.s.false else u.level

    def children(self, u: Node) -> tuple[Node, Node]:
        # as in PacketSpace._pick: a complemented edge complements the regular node's children
        return (~u.low, ~u.high) if u.negated else (u.low, u.high)

    def in_index(self, lv: int) -> bool:
        return any(a <= lv < b for a, b, _, _ in self.blocks)

    def count(self, root: Node) -> int:
        # every node outside the index blocks, deepest first (children before parents: no
        # recursion along the whole order, which is longer than Python's stack)
        nodes: dict[Node, None] = {}
        stack = [root]
        seen = {root}
        while stack:
            u = stack.pop()
            if u == self.s.true or u == self.s.false:
                continue
            nodes[u] = None
            for c in self.children(u):
                if c not in seen:
                    seen.add(c)
                    stack.append(c)
        for u in sorted(nodes, key=self.level, reverse=True):
            lv = self.level(u)
            if not self.in_index(lv):
                low, high = self.children(u)
                self._c[u] = self.rest(low, lv + 1) + self.rest(high, lv + 1)
        return self.rest(root, 0)

    def rest(self, u: Node, lv: int) -> int:
        """Assignments of levels lv.. that satisfy u (lv is not inside an index block)."""
        if u == self.s.false:
            return 0
        lu = self.level(u)
        for a, b, pieces, width in self.blocks:
            if lv <= a <= lu:  # the block starts here or among the untested levels
                return (1 << (a - lv)) * self.through(u, a, b, pieces, width, 0, 0)
        if u == self.s.true:
            return 1 << (self.levels - lv)
        return (1 << (lu - lv)) * self._c[u]

    def through(self, u: Node, a: int, b: int, pieces: AddressPieces, width: int, v: int, t: int) -> int:
        """Inside the index block at levels a..b-1, t piece-number bits read (value v)."""
        if u == self.s.false:
            return 0
        key = (u, a, v, t)
        hit = self._e.get(key)
        if hit is not None:
            return hit
        lu = self.level(u)
        if lu >= b:  # the rest of the piece number is free: a run of pieces
            free = (b - a) - t
            j_lo = v << free
            j_hi = min(((v + 1) << free) - 1, pieces.count - 1)
            r = 0 if j_lo > j_hi else (pieces.span(j_lo, j_hi) * self.rest(u, b)) >> width
        elif lu > a + t:  # this bit untested
            r = self.through(u, a, b, pieces, width, 2 * v, t + 1) + \
                self.through(u, a, b, pieces, width, 2 * v + 1, t + 1)
        else:
            low, high = self.children(u)
            r = self.through(low, a, b, pieces, width, 2 * v, t + 1) + \
                self.through(high, a, b, pieces, width, 2 * v + 1, t + 1)
        self._e[key] = r
        return r


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
