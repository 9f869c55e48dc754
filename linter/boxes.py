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


def _bucket_keys(k: str, v, shift: int):
    """The buckets a box's value on field k falls in (interface names are their own
    buckets); None when its intervals span more than `_MAX_SPAN` buckets (too wide)."""
    if k in _IFACE_FIELDS:
        return tuple(v)
    keys: list[int] = []
    for lo, hi in v:
        blo, bhi = lo >> shift, hi >> shift
        if bhi - blo > _MAX_SPAN or len(keys) > _MAX_SPAN:
            return None
        keys.extend(range(blo, bhi + 1))
    return keys


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
        self._normal: list[Box] | None = None
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
            keys = _bucket_keys(k, v, shift)
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

    def holding(self, values: dict) -> int:
        """The rules whose boxes may hold a packet with these field values (a bitset, bit i
        for rule i): by the buckets alone, so a superset; every other rule's box, and so
        its match, leaves the packet out. `values`: field -> int (addresses under their
        family's key, src4...) or interface name; a field the packet does not have is
        left out (only the rules that leave it free can hold the packet)."""
        cand = self._all
        for k, (shift, buckets, free) in self._fields.items():
            v = values.get(k)
            if v is None:
                cand &= free
            else:
                cand &= free | buckets.get(v if k in _IFACE_FIELDS else v >> shift, 0)
            if not cand:
                break
        return cand

    def meeting(self, box: Box) -> list[int]:
        """The rules (in order) whose boxes meet a box of the algebra (any box: a region)."""
        cand = self._all
        for k, v in box.items():
            entry = self._fields.get(k)
            if entry is None or isinstance(v, AllBut):
                continue
            shift, buckets, free = entry
            mine = free
            keys = _bucket_keys(k, v, shift)
            if keys is None:
                continue
            for key in keys:
                mine |= buckets.get(key, 0)
            cand &= mine
        out = []
        boxes = self.normal_boxes()
        while cand:
            low = cand & -cand
            j = low.bit_length() - 1
            cand ^= low
            if meet(boxes[j], box) is not None:
                out.append(j)
        return out

    def normal_boxes(self) -> list[Box]:
        """The rules' boxes with sorted, disjoint intervals (what the box algebra takes)."""
        if self._normal is None:
            self._normal = [normal(b) for b in self.boxes]
        return self._normal

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


# --------------------------------------------------------------------------- box algebra
#
# Exact arithmetic on boxes, for the questions the checks can answer without building a
# set: a box minus boxes (a list of disjoint boxes), whether a box holds a valid packet,
# whether one box lies in another. An interface field of a derived box may also be
# `AllBut(names)`: every interface name (and none) except those.

class AllBut(frozenset):
    """Every interface name except these (a frozenset of allowed names is the other form)."""


_FULL = {"src4": (1 << 32) - 1, "dst4": (1 << 32) - 1, "src6": (1 << 128) - 1, "dst6": (1 << 128) - 1,
         m.SPORT: 65535, m.DPORT: 65535, m.PROTO: 255, m.ICMP: 65535, m.STATE: len(m.STATES) - 1,
         m.DIRECTION: 1, m.FAMILY: 6}
_ICMP_PROTOS = (m.PROTO_ICMP, m.PROTO_ICMPV6)


def _iv_meet(a, b):
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _iv_minus(a, b):
    """Intervals of a that are not in b (both sorted, disjoint)."""
    out = []
    for lo, hi in a:
        cur = lo
        for lo2, hi2 in b:
            if hi2 < cur or lo2 > hi:
                continue
            if lo2 > cur:
                out.append((cur, lo2 - 1))
            cur = max(cur, hi2 + 1)
            if cur > hi:
                break
        if cur <= hi:
            out.append((cur, hi))
    return tuple(out)


def _iv_subset(a, b) -> bool:
    return not _iv_minus(a, b)


def _norm(ivs):
    """Sorted, disjoint, adjacent ones merged (rule boxes may hold overlapping lists)."""
    out: list[list[int]] = []
    for lo, hi in sorted(ivs):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)


def _names_meet(a, b):
    if isinstance(a, AllBut):
        return AllBut(a | b) if isinstance(b, AllBut) else b - a
    return a - b if isinstance(b, AllBut) else a & b


def _names_minus(a, b):
    if isinstance(b, AllBut):  # a and (the names of b's exclusion)
        return (b - a) if isinstance(a, AllBut) else (a & b)
    return AllBut(a | b) if isinstance(a, AllBut) else a - b


def _names_subset(a, b) -> bool:
    if isinstance(b, AllBut):
        return (b <= a) if isinstance(a, AllBut) else not (a & b)
    return False if isinstance(a, AllBut) else a <= b


def _empty_value(v) -> bool:
    return not v and not isinstance(v, AllBut)


def normal(box: Box) -> Box:
    """A rule's box with sorted, disjoint intervals (what the algebra expects)."""
    return {k: (v if isinstance(v, frozenset) else _norm(v)) for k, v in box.items()}


def meet(a: Box, b: Box) -> Box | None:
    """The intersection of two boxes (None when a field has no value left)."""
    out = dict(a)
    for k, vb in b.items():
        va = out.get(k)
        if va is None:
            out[k] = vb
            continue
        v = _names_meet(va, vb) if isinstance(va, frozenset) else _iv_meet(va, vb)
        if _empty_value(v):
            return None
        out[k] = v
    return out


def subset(a: Box, b: Box) -> bool:
    """Every packet of box a is in box b (as boxes: a field b leaves free holds anything)."""
    for k, vb in b.items():
        va = a.get(k)
        if va is None:
            va = AllBut() if k in _IFACE_FIELDS else ((0, _FULL[k]),)
        if isinstance(vb, frozenset):
            if not _names_subset(va, vb):
                return False
        elif not _iv_subset(va, vb):
            return False
    return True


def minus(a: Box, b: Box) -> list[Box]:
    """Box a without the packets of box b, as disjoint boxes (at most one per field b
    constrains)."""
    if meet(a, b) is None:
        return [a]
    out = []
    rest = dict(a)
    for k, vb in b.items():
        va = rest.get(k)
        if va is None:
            va = AllBut() if k in _IFACE_FIELDS else ((0, _FULL[k]),)
        if isinstance(vb, frozenset):
            outside, inside = _names_minus(va, vb), _names_meet(va, vb)
        else:
            outside, inside = _iv_minus(va, vb), _iv_meet(va, vb)
        if not _empty_value(outside):
            piece = dict(rest)
            piece[k] = outside
            out.append(piece)
        rest[k] = inside
    return out


def subtract(a: Box, others: list[Box], family: int | None, budget: int = 64) -> list[Box] | None:
    """Box a without the packets of every box of `others`: the valid pieces (see `valid`),
    or None when they would be more than `budget` boxes (the caller then builds sets)."""
    pieces = [a] if valid(a, family) else []
    for b in others:
        nxt = []
        for p in pieces:
            for q in minus(p, b):
                if valid(q, family):
                    nxt.append(q)
        if len(nxt) > budget:
            return None
        pieces = nxt
        if not pieces:
            break
    return pieces


def valid(box: Box, family: int | None) -> bool:
    """Whether the box holds a valid packet (the packet space's universe) of the family:
    a known state, ports only with a protocol that has them, ICMP type/code only with ICMP,
    one address family."""
    fams = {4, 6} if family is None else {family}
    fv = box.get(m.FAMILY)
    if fv is not None:
        fams = {f for f in fams if any(lo <= f <= hi for lo, hi in fv)}
    for k in ("src4", "dst4"):
        if k in box:
            fams &= {4}
    for k in ("src6", "dst6"):
        if k in box:
            fams &= {6}
    if not fams:
        return False
    for v in box.values():
        if _empty_value(v):
            return False
    st = box.get(m.STATE)
    if st is not None and not _iv_meet(st, ((0, len(m.STATES) - 1),)):
        return False
    # a port or ICMP field that cannot be 0 needs a protocol that has it (no protocol has both)
    need = None
    for field, protos in ((m.SPORT, m.PORT_PROTOCOLS), (m.DPORT, m.PORT_PROTOCOLS), (m.ICMP, _ICMP_PROTOS)):
        v = box.get(field)
        if v is not None and v[0][0] > 0:
            need = set(protos) if need is None else need & set(protos)
    if need is not None:
        proto = box.get(m.PROTO, ((0, 255),))
        if not any(lo <= p <= hi for p in need for lo, hi in proto):
            return False
    return True


def hook_allows(box: Box, hook: str | None) -> bool:
    """Whether some packet of the box can be seen at a hook of the host (m.TO_HOST: an
    ingress interface and no egress one; m.THROUGH: both; m.FROM_HOST: only an egress one):
    the hook sets of `graph.Analysis.hook_set`. Other hooks see every packet."""
    if hook not in m.HOST_HOOKS:
        return True
    ins, outs = box.get(m.IN_IFACE), box.get(m.OUT_IFACE)
    want_in = hook in (m.TO_HOST, m.THROUGH)
    want_out = hook in (m.THROUGH, m.FROM_HOST)
    return _allows(ins, want_in) and _allows(outs, want_out)


def _allows(v, some: bool) -> bool:
    """Whether an interface value holds some interface (some=True) or "no interface" ("")."""
    if v is None:
        return True
    if isinstance(v, AllBut):
        return True if some else "" not in v
    return any(n for n in v) if some else "" in v


def to_set(space, box: Box):
    """The box as a set of the packet space (for tests and for questions boxes cannot
    answer)."""
    s = space.true
    for k, v in box.items():
        if k in _IFACE_FIELDS:
            part = space.iface(k, tuple(v))
            s &= ~part if isinstance(v, AllBut) else part
        elif k == m.FAMILY:
            part = space.false
            for f in (4, 6):
                if any(lo <= f <= hi for lo, hi in v):
                    part |= space.family(f)
            s &= part
        elif k[-1] in "46" and k[:-1] in (m.SRC, m.DST):
            part = space.false
            for lo, hi in v:
                part |= space.addr_range(k[:-1], int(k[-1]), lo, hi)
            s &= part
        else:
            part = space.false
            for lo, hi in v:
                part |= space.interval(k, lo, hi)
            s &= part
    return s


def subtract_all(pieces: list[Box], b: Box, family: int | None, budget: int = 64) -> list[Box] | None:
    """Disjoint boxes without the packets of box b: the valid pieces, or None past `budget`."""
    out = []
    for p in pieces:
        for q in minus(p, b):
            if valid(q, family):
                out.append(q)
        if len(out) > budget:
            return None
    return out


