"""Address partitions of the packet-space engine (`linter.space`): a family's address space
cut into aligned pieces by the bounds a device's rules use (`AddressPieces`), and the model
count of a set whose addresses are encoded by pieces (`PiecesCount`).

Layer: engine."""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Iterable

from .bdd import Node

if TYPE_CHECKING:
    from .space import PacketSpace


def aligned_blocks(lo: int, hi: int, width: int) -> Iterable[tuple[int, int]]:
    """[lo, hi) as the fewest aligned blocks, in address order: (start, prefix length)."""
    while lo < hi:
        size = lo & -lo if lo else 1 << width
        while size > hi - lo:
            size >>= 1
        yield lo, width - size.bit_length() + 1
        lo += size


def count_aligned_blocks(lo: int, hi: int) -> int:
    """How many blocks `aligned_blocks(lo, hi)` yields, without walking them: the blocks up
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
            n += count_aligned_blocks(lo, hi)
        self.count = n
        self.bits = (n - 1).bit_length()
        self._ends = ends

    def locate(self, addr: int) -> tuple[int, int, int]:
        """(piece number, its start, its prefix length) of an address."""
        i = bisect.bisect_right(self.atoms, addr) - 1
        j = self.first[i]
        for start, plen in aligned_blocks(self.atoms[i], self._ends[i], self.width):
            if addr < start + (1 << (self.width - plen)):
                return j, start, plen
            j += 1
        raise AssertionError("an address outside its atom")  # pragma: no cover

    def piece(self, j: int) -> tuple[int, int]:
        """(start, prefix length) of piece number j."""
        i = bisect.bisect_right(self.first, j) - 1
        k = j - self.first[i]
        for start, plen in aligned_blocks(self.atoms[i], self._ends[i], self.width):
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


class PiecesCount:
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
            raw, index, pieces = space.fields[name]
            if index is not None and pieces is not None:
                first = space.bdd.level_of_var(index.vars[0])
                self.blocks.append((first, first + index.width, pieces, raw.width))
        self._c: dict[Node, int] = {}
        self._e: dict[tuple, int] = {}

    def level(self, u: Node) -> int:
        return self.levels if u == self.s.true or u == self.s.false else u.level

    def children(self, u: Node) -> tuple[Node, Node]:
        # as in WitnessPicker._pick: a complemented edge complements the regular node's children
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
