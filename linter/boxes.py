"""Boxes: a cheap over-approximation of a match, to find the rules that can overlap.

Layer: engine (beside the packet space). A rule's box keeps, per field, the intervals its
positive conditions allow (a negated condition, an interface wildcard, an opaque or
any-of condition leaves the field unconstrained). Two rules whose boxes are disjoint match
no packet in common, so the set computations never need to look at the pair; the converse
does not hold (boxes over-approximate), and the BDDs decide the candidates that remain.

`OverlapIndex` answers "which rules' boxes meet rule i's" without comparing every pair:
rules are bucketed by the field most of them constrain (the pivot), and only rules sharing
a bucket, or not constraining the pivot, are compared.
"""

from __future__ import annotations

from . import model as m

Box = dict  # key -> tuple of (lo, hi) intervals, or frozenset of interface names

_INT_FIELDS = (m.PROTO, m.SPORT, m.DPORT, m.ICMP, m.STATE, m.DIRECTION, m.FAMILY)
_WIDTHS = {"src4": 32, "dst4": 32, "src6": 128, "dst6": 128, m.SPORT: 16, m.DPORT: 16, m.PROTO: 8,
           m.ICMP: 16, m.STATE: 3, m.DIRECTION: 1, m.FAMILY: 3}
_BUCKET_BITS = 16  # a pivot's values fall in at most 2**16 buckets
_MAX_SPAN = 64  # an interval over more buckets than this makes the rule a wildcard


def _meet(a, b):
    """Intersection of two sorted interval tuples."""
    out = []
    for lo, hi in a:
        for lo2, hi2 in b:
            x, y = max(lo, lo2), min(hi, hi2)
            if x <= y:
                out.append((x, y))
    return tuple(sorted(out))


def box_of(match: m.Match) -> Box:
    box: Box = {}

    def put(key, value):
        old = box.get(key)
        if old is None:
            box[key] = value
        elif isinstance(value, frozenset):
            box[key] = old & value
        else:
            box[key] = _meet(old, value)

    for c in match.conds:
        if isinstance(c, m.IntCond):
            if not c.negated and c.field in _INT_FIELDS:
                put(c.field, tuple(sorted(c.ranges)))
        elif isinstance(c, m.AddrCond):
            if c.negated:
                continue
            fams = {fam for fam, _, _ in c.ranges}
            if len(fams) == 1:  # (both families: `fam 4 and in R4, or fam 6 and in R6`, not a box)
                fam = fams.pop()
                put(f"{c.field}{fam}", tuple(sorted((lo, hi) for _, lo, hi in c.ranges)))
                put(m.FAMILY, ((fam, fam),))
        elif isinstance(c, m.IfaceCond):
            if not c.negated and not any(n.endswith("+") for n in c.names):
                put(c.field, frozenset(c.names))
    return box


def boxes_meet(a: Box, b: Box) -> bool:
    if len(b) < len(a):
        a, b = b, a
    for key, va in a.items():
        vb = b.get(key)
        if vb is None:
            continue
        if isinstance(va, frozenset):
            if not (va & vb):
                return False
            continue
        if not _intervals_meet(va, vb):
            return False
    return True


def _intervals_meet(a, b) -> bool:
    """Whether two sorted interval tuples share a value: one walk over both (object-groups
    make lists of hundreds of intervals)."""
    if len(a) == 1 and len(b) == 1:
        return a[0][0] <= b[0][1] and b[0][0] <= a[0][1]
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = a[i]
        lo2, hi2 = b[j]
        if lo <= hi2 and lo2 <= hi:
            return True
        if hi < hi2:
            i += 1
        else:
            j += 1
    return False


class OverlapIndex:
    """For each rule of a filter, the other rules whose boxes meet its box."""

    def __init__(self, matches: list[m.Match]) -> None:
        self.boxes = [box_of(x) for x in matches]
        n = len(self.boxes)
        # the pivot: the field whose values spread the rules over the most buckets (a field
        # every rule tests with the same value, like the family, separates nothing)
        spread: dict[str, set] = {}
        counts: dict[str, int] = {}
        for b in self.boxes:
            for k, v in b.items():
                if isinstance(v, frozenset) or not v or k in (m.FAMILY, m.STATE, m.DIRECTION):
                    continue
                counts[k] = counts.get(k, 0) + 1
                shift = max(0, _WIDTHS.get(k, 16) - _BUCKET_BITS)
                spread.setdefault(k, set()).add(v[0][0] >> shift)
        # expected comparisons per rule ~ wildcards + rules per bucket: minimise that
        def cost(k: str) -> float:
            return (n - counts[k]) + counts[k] / max(1, len(spread[k]))

        self.pivot = min(counts, key=cost) if counts else None
        self._wild: list[int] = []
        self._buckets: dict[int, list[int]] = {}
        self._keys: list[tuple[int, ...] | None] = [None] * n
        if self.pivot is not None:
            shift = max(0, _WIDTHS.get(self.pivot, 16) - _BUCKET_BITS)
            for i, b in enumerate(self.boxes):
                iv = b.get(self.pivot)
                keys: set[int] | None = set() if iv is not None else None
                for lo, hi in iv or ():
                    blo, bhi = lo >> shift, hi >> shift
                    if bhi - blo > _MAX_SPAN:
                        keys = None
                        break
                    keys.update(range(blo, bhi + 1))
                if keys is None:
                    self._wild.append(i)
                else:
                    self._keys[i] = tuple(keys)
                    for k in keys:
                        self._buckets.setdefault(k, []).append(i)
        else:
            self._wild = list(range(n))
        self._cache: dict[int, list[int]] = {}

    def neighbours(self, i: int) -> list[int]:
        """The rules (in order, i excluded) whose boxes meet rule i's."""
        hit = self._cache.get(i)
        if hit is not None:
            return hit
        keys = self._keys[i]
        if keys is None:
            cand = range(len(self.boxes))
        else:
            s = set(self._wild)
            for k in keys:
                s.update(self._buckets[k])
            cand = sorted(s)
        b = self.boxes[i]
        out = [j for j in cand if j != i and boxes_meet(b, self.boxes[j])]
        self._cache[i] = out
        return out

    def before(self, i: int) -> list[int]:
        return [j for j in self.neighbours(i) if j < i]

    def after(self, i: int) -> list[int]:
        return [j for j in self.neighbours(i) if j > i]
