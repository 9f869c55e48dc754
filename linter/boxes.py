"""Boxes: a cheap over-approximation of a match, to find the rules that can overlap.

Layer: engine (beside the packet space). A rule's box keeps, per field, the intervals its
positive conditions allow (a negated condition, an interface wildcard, an opaque or
any-of condition leaves the field unconstrained). Two rules whose boxes are disjoint match
no packet in common, so the set computations never need to look at the pair; the converse
does not hold (boxes over-approximate), and the BDDs decide the candidates that remain.

`OverlapIndex` answers "which rules' boxes meet rule i's" without comparing every pair:
rules are bucketed on every field their boxes constrain, and only rules that share a bucket
(or leave the field free) on every field rule i constrains are compared.
"""

from __future__ import annotations

from . import model as m

Box = dict  # key -> tuple of (lo, hi) intervals, or frozenset of interface names

_INT_FIELDS = (m.PROTO, m.SPORT, m.DPORT, m.ICMP, m.STATE, m.DIRECTION, m.FAMILY)
_WIDTHS = {"src4": 32, "dst4": 32, "src6": 128, "dst6": 128, m.SPORT: 16, m.DPORT: 16, m.PROTO: 8,
           m.ICMP: 16, m.STATE: 3, m.DIRECTION: 1, m.FAMILY: 3}
_IFACE_FIELDS = (m.IN_IFACE, m.OUT_IFACE)
_BUCKET_BITS = 16  # a field's values fall in at most 2**16 buckets
_MAX_SPAN = 64  # an interval over more buckets than this leaves the rule unbucketed on that field


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


_LIMITS = {m.PROTO: 255, m.SPORT: 65535, m.DPORT: 65535, m.ICMP: 65535, m.DIRECTION: 1}


def is_exact(match: m.Match) -> bool:
    """Whether `box_of(match)` is the match itself, not a bound on it: every condition is a
    positive interval, single-family address or concrete-interface condition (no negation,
    wildcard, TCP flags, opaque or any-of condition), inside its field's range. Two exact
    boxes that meet are two matches that meet; an exact box inside another is a match
    inside the other."""
    for c in match.conds:
        if c.negated:
            return False
        if isinstance(c, m.IntCond):
            if c.field == m.FAMILY:
                if c.ranges not in (((4, 4),), ((6, 6),)):
                    return False
            elif c.field == m.STATE:
                if any(lo < 0 or hi >= len(m.STATES) for lo, hi in c.ranges):
                    return False
            elif c.field in _LIMITS:
                if any(lo < 0 or hi > _LIMITS[c.field] for lo, hi in c.ranges):
                    return False
            else:
                return False
        elif isinstance(c, m.AddrCond):
            if len({fam for fam, _, _ in c.ranges}) != 1:
                return False
        elif isinstance(c, m.IfaceCond):
            if not c.names or any(n.endswith("+") or not n for n in c.names):
                return False
        else:
            return False
    return True


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
    """For each rule of a filter, the other rules whose boxes meet its box.

    One bitset (a Python int, bit j for rule j) per field and bucket, and one per field for
    the rules that leave the field free: the candidates for rule i are the AND, over the
    fields its box constrains, of the buckets its intervals fall in and the free rules. That
    prunes on every field at once (a chain dispatched by interface, then by address, needs
    both) at the cost of a few word operations per rule; `boxes_meet` then decides each
    candidate exactly, so the answer is the same as comparing every pair."""

    def __init__(self, matches: list[m.Match]) -> None:
        self.boxes = [box_of(x) for x in matches]
        self.exact = [is_exact(x) for x in matches]
        n = self.n = len(self.boxes)
        self._all = (1 << n) - 1
        # per field: (shift, {bucket: bits}, bits of the rules that leave it free)
        self._fields: dict[str, tuple[int, dict, int]] = {}
        # per rule: {field: the buckets it falls in} (None for a field too wide to bucket)
        self._keys: list[dict[str, tuple | None]] = [{} for _ in range(n)]
        fields = {k for b in self.boxes for k in b}
        for k in sorted(fields):
            self._index_field(k)
        self._cache: dict[int, list[int]] = {}

    def _index_field(self, k: str) -> None:
        boxes = self.boxes
        if k in _IFACE_FIELDS:
            shift = 0
        else:
            # bucket on the 16 bits below the prefix every constrained value shares (the top
            # 16 bits of 2001:db8::/32 addresses, or of 10.0.0.0/8 ones, separate nothing)
            los = [v[0][0] for b in boxes if (v := b.get(k))]
            his = [v[-1][1] for b in boxes if (v := b.get(k))]
            if not los:
                return
            width = _WIDTHS.get(k, 16)
            common = width - (min(los) ^ max(his)).bit_length()
            shift = max(0, width - common - _BUCKET_BITS)
        buckets: dict = {}
        free = 0
        for i, b in enumerate(boxes):
            v = b.get(k)
            bit = 1 << i
            if v is None:
                free |= bit
                continue
            if k in _IFACE_FIELDS:
                keys = tuple(v)
            else:
                keys = []
                for lo, hi in v:
                    blo, bhi = lo >> shift, hi >> shift
                    if bhi - blo > _MAX_SPAN or len(keys) > _MAX_SPAN:
                        keys = None
                        break
                    keys.extend(range(blo, bhi + 1))
            if keys is None:
                free |= bit  # too wide to bucket: a candidate for every rule on this field
                continue
            self._keys[i][k] = keys
            for key in keys:
                buckets[key] = buckets.get(key, 0) | bit
        self._fields[k] = (shift, buckets, free)

    def _candidates(self, i: int) -> int:
        cand = self._all
        for k, keys in self._keys[i].items():
            _shift, buckets, free = self._fields[k]
            mine = free
            for key in keys:
                mine |= buckets.get(key, 0)
            cand &= mine
        return cand & ~(1 << i)

    def neighbours(self, i: int) -> list[int]:
        """The rules (in order, i excluded) whose boxes meet rule i's."""
        hit = self._cache.get(i)
        if hit is not None:
            return hit
        cand = self._candidates(i)
        b = self.boxes[i]
        boxes = self.boxes
        out = []
        while cand:
            low = cand & -cand
            j = low.bit_length() - 1
            cand ^= low
            if boxes_meet(b, boxes[j]):
                out.append(j)
        self._cache[i] = out
        return out

    def before(self, i: int) -> list[int]:
        return [j for j in self.neighbours(i) if j < i]

    def after(self, i: int) -> list[int]:
        return [j for j in self.neighbours(i) if j > i]
