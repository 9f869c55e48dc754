"""Property tests of the packet-space engine against brute force on small domains.

Layer: tests of the engine (`linter.space`). Every operation of `PacketSpace` is compared
with an evaluator written here from the semantics documented in `linter.model`, by
enumerating every packet of a small domain. The full product of all fields is too large to
enumerate, so each test enumerates one group of fields (the others fixed at a random
background value) and draws conditions over that group only; across the groups every field
is covered. Opaque conditions are enumerated over every assignment of their keys.

Valid packets (the engine's universe): a known state and interface, and the fields a
protocol does not have held at 0 (ports without a port protocol, TCP flags without TCP,
ICMP type and code without ICMP/ICMPv6). Set-level answers (emptiness, equality, subsets,
counts, witnesses) are about valid packets; membership is checked on invalid ones too.
The protocol field has 5 bits, so that ICMP (1), TCP (6) and UDP (17) are in the domain.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linter import model as m
from linter.pieces import aligned_blocks as _aligned_blocks, count_aligned_blocks as _count_aligned_blocks
from linter.space import AddressPieces, IfaceDomain, PacketSpace

# --------------------------------------------------------------------------- the small domain

WIDTHS = {
    "src4": 3, "dst4": 3, "src6": 2, "dst6": 2,
    m.SPORT: 3, m.DPORT: 3, m.PROTO: 5, m.ICMP: 3, m.TCP_FLAGS: 3,
}
ADDR_WIDTH = {4: 3, 6: 2}
INT_MAX = {
    m.PROTO: 31, m.SPORT: 7, m.DPORT: 7, m.ICMP: 7, m.TCP_FLAGS: 7,
    m.STATE: len(m.STATES) - 1, m.DIRECTION: 1,
}
# Values of each engine block that are valid whatever the protocol (interfaces: the domain's
# elements); ports, flags and ICMP depend on the protocol (`carried`).
BLOCK_VALUES = {
    m.FAMILY: 2, m.PROTO: 32, "dst4": 8, "src4": 8, m.STATE: len(m.STATES), m.DIRECTION: 2,
    "dst6": 4, "src6": 4,
}
PROTO_FIELDS = (m.SPORT, m.DPORT, m.TCP_FLAGS, m.ICMP)


def carried(proto: int, f: str) -> bool:
    """Whether a packet of protocol `proto` has field f (else it is held at 0)."""
    if f in (m.SPORT, m.DPORT):
        return proto in m.PORT_PROTOCOLS
    if f == m.TCP_FLAGS:
        return proto == m.PROTO_TCP
    if f == m.ICMP:
        return proto in (m.PROTO_ICMP, m.PROTO_ICMPV6)
    return True


def normalize(r: "Raw", keep: Iterable[str] = ()) -> "Raw":
    """r with the fields its protocol does not have set to 0 (except those in keep)."""
    out = dict(r)
    for f in PROTO_FIELDS:
        if f not in keep and not carried(r[m.PROTO], f):
            out[f] = 0
    return out


def valid(r: "Raw") -> bool:
    return all(carried(r[m.PROTO], f) or r[f] == 0 for f in PROTO_FIELDS)
OPAQUE_KEYS = ("ipset:a", "limit:b")
IFACE_ALPHABET = "efix0"  # "i", "f", "x" and "0" collide with the engine's representative names

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# A raw packet: every field has a concrete value (addresses in the packet's family).
Raw = dict


def to_packet(r: Raw) -> m.Packet:
    return m.Packet(
        family=r[m.FAMILY], src=r[m.SRC], dst=r[m.DST], proto=r[m.PROTO],
        sport=r[m.SPORT], dport=r[m.DPORT],
        icmp_type=r[m.ICMP] >> 8, icmp_code=r[m.ICMP] & 0xFF,
        tcp_flags=r[m.TCP_FLAGS], state=m.STATES[r[m.STATE]],
        in_iface=r[m.IN_IFACE], out_iface=r[m.OUT_IFACE],
        direction=m.DIRECTIONS[r[m.DIRECTION]],
    )


# --------------------------------------------------------------------------- the brute-force evaluator


def iface_matches(name: str, pattern: str) -> bool:
    """netfilter's rule: `p+` matches every name starting with p (the bare `+` also matches
    the empty name, 'no interface'); anything else matches itself only."""
    if pattern.endswith("+"):
        return name.startswith(pattern[:-1])
    return name == pattern


def holds(c: m.Cond, r: Raw, o: dict[str, bool]) -> bool:
    """Whether condition c holds for raw packet r under opaque assignment o (model.py's words)."""
    if isinstance(c, m.IntCond):
        v = r[c.field]
        res = any(lo <= v <= hi for lo, hi in c.ranges)
    elif isinstance(c, m.AddrCond):
        res = any(r[m.FAMILY] == fam and lo <= r[c.field] <= hi for fam, lo, hi in c.ranges)
    elif isinstance(c, m.IfaceCond):
        res = any(iface_matches(r[c.field], n) for n in c.names)
    elif isinstance(c, m.FlagsCond):
        res = (r[m.TCP_FLAGS] & c.mask) == c.comp
    elif isinstance(c, m.Opaque):
        res = o[c.key]
    elif isinstance(c, m.AnyCond):
        res = any(match_holds(alt, r, o) for alt in c.alternatives)
    else:  # pragma: no cover
        raise TypeError(c)
    return res != c.negated


def match_holds(mt: m.Match, r: Raw, o: dict[str, bool]) -> bool:
    return all(holds(c, r, o) for c in mt.conds)


# Expressions over matches: a Match, or ("or"|"and"|"diff", e1, e2), or ("not", e).
Expr = object


def build(space: PacketSpace, e: Expr):
    if isinstance(e, m.Match):
        return space.match(e)
    op = e[0]
    if op == "not":
        return ~build(space, e[1])
    a, b = build(space, e[1]), build(space, e[2])
    return {"or": a | b, "and": a & b, "diff": a & ~b}[op]


def truth(e: Expr, r: Raw, o: dict[str, bool]) -> bool:
    if isinstance(e, m.Match):
        return match_holds(e, r, o)
    op = e[0]
    if op == "not":
        return not truth(e[1], r, o)
    a, b = truth(e[1], r, o), truth(e[2], r, o)
    return {"or": a or b, "and": a and b, "diff": a and not b}[op]


def opaque_assignments() -> list[dict[str, bool]]:
    return [dict(zip(OPAQUE_KEYS, bits, strict=False)) for bits in itertools.product((False, True), repeat=len(OPAQUE_KEYS))]


ASSIGNMENTS = opaque_assignments()


def three_valued(vals: list[bool]) -> bool | None:
    if all(vals):
        return True
    if not any(vals):
        return False
    return None


# --------------------------------------------------------------------------- strategies


def int_ranges(hi_max: int) -> st.SearchStrategy:
    def one(draw_lo: int, span: int) -> tuple[int, int]:
        return (draw_lo, draw_lo + span)

    return st.lists(st.builds(one, st.integers(0, hi_max + 1), st.integers(0, hi_max + 1)),
                    min_size=1, max_size=3).map(tuple)


def int_cond(field: str) -> st.SearchStrategy:
    if field == m.FAMILY:
        rng = st.sampled_from([(4, 4), (6, 6), (4, 6), (0, 3), (5, 5), (0, 10), (7, 9)])
        ranges = st.lists(rng, min_size=1, max_size=2).map(tuple)
    elif field == m.STATE:
        ranges = int_ranges(7)  # the block has 3 bits; 5..7 are not states
    else:
        ranges = int_ranges(INT_MAX[field])
    return st.builds(m.IntCond, st.just(field), ranges, st.booleans())


def addr_cond(field: str) -> st.SearchStrategy:
    @st.composite
    def rng(draw):
        fam = draw(st.sampled_from((4, 6)))
        top = (1 << ADDR_WIDTH[fam]) - 1
        lo = draw(st.integers(0, top))
        hi = draw(st.integers(lo, top))
        return (fam, lo, hi)

    return st.builds(m.AddrCond, st.just(field), st.lists(rng(), min_size=1, max_size=3).map(tuple),
                     st.booleans())


iface_word = st.text(alphabet=IFACE_ALPHABET, min_size=0, max_size=3)
iface_pattern = st.one_of(
    st.text(alphabet=IFACE_ALPHABET, min_size=1, max_size=3),  # a concrete name
    iface_word.map(lambda w: w + "+"),  # a wildcard, the bare "+" included
    st.just(""),  # no interface
)


def iface_cond(field: str) -> st.SearchStrategy:
    return st.builds(m.IfaceCond, st.just(field),
                     st.lists(iface_pattern, min_size=1, max_size=3).map(tuple), st.booleans())


@st.composite
def flags_cond(draw):
    mask = draw(st.integers(0, 7))
    comp = draw(st.integers(0, 7))
    if draw(st.integers(0, 5)):
        comp &= mask  # mostly comp within mask; sometimes not (never matches)
    return m.FlagsCond(mask, comp, draw(st.booleans()))


opaque_cond = st.builds(lambda k, n: m.Opaque(k, f"opaque {k}", n), st.sampled_from(OPAQUE_KEYS), st.booleans())


def simple_cond(fields: tuple[str, ...], opaque: bool) -> st.SearchStrategy:
    options = []
    for f in fields:
        if f in (m.SRC, m.DST):
            options.append(addr_cond(f))
        elif f in (m.IN_IFACE, m.OUT_IFACE):
            options.append(iface_cond(f))
        elif f == m.TCP_FLAGS:
            options.append(flags_cond())
        else:
            options.append(int_cond(f))
    if opaque:
        options.append(opaque_cond)
    return st.one_of(*options)


def cond(fields: tuple[str, ...], opaque: bool) -> st.SearchStrategy:
    simple = simple_cond(fields, opaque)
    alt = st.lists(simple, min_size=0, max_size=2).map(lambda cs: m.Match(tuple(cs)))
    any_cond = st.builds(m.AnyCond, st.lists(alt, min_size=0, max_size=3).map(tuple), st.booleans())
    return st.one_of(simple, simple, simple, any_cond)


def match(fields: tuple[str, ...], opaque: bool = True) -> st.SearchStrategy:
    return st.lists(cond(fields, opaque), min_size=0, max_size=3).map(lambda cs: m.Match(tuple(cs)))


def expr(fields: tuple[str, ...]) -> st.SearchStrategy:
    leaf = match(fields)
    return st.recursive(
        leaf,
        lambda sub: st.one_of(
            st.tuples(st.sampled_from(("or", "and", "diff")), sub, sub),
            st.tuples(st.just("not"), sub),
        ),
        max_leaves=3,
    )


def iface_names_in(x) -> set[str]:
    """Every interface name or pattern mentioned in an expression or condition."""
    if isinstance(x, m.IfaceCond):
        return set(x.names)
    if isinstance(x, m.AnyCond):
        return set().union(*[iface_names_in(a) for a in x.alternatives]) if x.alternatives else set()
    if isinstance(x, m.Match):
        return set().union(*[iface_names_in(c) for c in x.conds]) if x.conds else set()
    if isinstance(x, tuple):
        return set().union(*[iface_names_in(y) for y in x[1:]])
    return set()


@st.composite
def background(draw, names: Iterable[str] = ("", "eth0")) -> Raw:
    fam = draw(st.sampled_from((4, 6)))
    top = (1 << ADDR_WIDTH[fam]) - 1
    names = sorted(set(names))
    raw = {
        m.FAMILY: fam,
        m.SRC: draw(st.integers(0, top)),
        m.DST: draw(st.integers(0, top)),
        **{f: draw(st.integers(0, INT_MAX[f])) for f in INT_MAX},
        m.IN_IFACE: draw(st.sampled_from(names)),
        m.OUT_IFACE: draw(st.sampled_from(names)),
    }
    # the protocols that matter most, more often than 1 in 32
    raw[m.PROTO] = draw(st.sampled_from((m.PROTO_ICMP, m.PROTO_TCP, m.PROTO_UDP, raw[m.PROTO])))
    return normalize(raw) if draw(st.integers(0, 9)) else raw  # rarely: an invalid packet


# --------------------------------------------------------------------------- groups of fields


@dataclass(frozen=True)
class Group:
    """Fields enumerated together; `blocks` are the engine blocks they cover (for counts)."""

    name: str
    fields: tuple[str, ...]
    blocks: tuple[str, ...]


ADDR = Group("addresses", (m.FAMILY, m.SRC, m.DST), (m.FAMILY, "src4", "dst4", "src6", "dst6"))
PORTS = Group("ports", (m.PROTO, m.SPORT, m.DPORT), (m.PROTO, m.SPORT, m.DPORT))
FLAGS = Group("flags-icmp", (m.PROTO, m.TCP_FLAGS, m.ICMP), (m.PROTO, m.TCP_FLAGS, m.ICMP))
STATE = Group("state", (m.STATE, m.DIRECTION, m.FAMILY), (m.STATE, m.DIRECTION, m.FAMILY))
IFACES = Group("interfaces", (m.IN_IFACE, m.OUT_IFACE, m.DIRECTION), (m.IN_IFACE, m.OUT_IFACE, m.DIRECTION))


def probe_names(patterns: Iterable[str]) -> list[str]:
    """Concrete names that reach every element of the interface domain of `patterns` (and
    some that fall under nothing): "z" and "q" are not in the alphabet, so `p + "zq"` falls in
    the element `p+` and "zq" in `*` (unless the bare `+` is there)."""
    out = {"", "zq", "qq9"}
    for p in patterns:
        if p.endswith("+"):
            out.update({p[:-1] + "zq", p[:-1] + "0", p[:-1]})
        elif p:
            out.update({p, p + "0"})
    return sorted(out)


def enumerate_group(g: Group, base: Raw, names: list[str]) -> Iterator[tuple[Raw, int, bool]]:
    """Every packet of the group's fields (others from `base`, normalized for the protocol),
    with the number of engine bit assignments of the group's blocks it stands for (the other
    family's address bits) and whether it is valid. Of the invalid ones (a port on a protocol
    without ports...) only a sample is given: they count for membership only."""
    base = normalize(base, keep=g.fields)
    if g is ADDR:
        for fam in (4, 6):
            top = 1 << ADDR_WIDTH[fam]
            other = 6 if fam == 4 else 4
            mult = (1 << ADDR_WIDTH[other]) ** 2
            for s, d in itertools.product(range(top), repeat=2):
                r = {**base, m.FAMILY: fam, m.SRC: s, m.DST: d}
                yield r, mult, valid(r)
        return
    domains = []
    for f in g.fields:
        if f == m.FAMILY:
            domains.append((4, 6))
        elif f in (m.IN_IFACE, m.OUT_IFACE):
            domains.append(names)
        else:
            domains.append(range(INT_MAX[f] + 1))
    for i, values in enumerate(itertools.product(*domains)):
        r = dict(base)
        r.update(zip(g.fields, values, strict=False))
        if m.FAMILY in g.fields and r[m.FAMILY] != base[m.FAMILY]:
            # keep the background's addresses inside the new family's range
            r[m.SRC] &= (1 << ADDR_WIDTH[r[m.FAMILY]]) - 1
            r[m.DST] &= (1 << ADDR_WIDTH[r[m.FAMILY]]) - 1
        r = normalize(r, keep=g.fields)
        ok = valid(r)
        if ok or i % 13 == 0:
            yield r, 1, ok


def outside_factor(space: PacketSpace, g: Group, r: Raw) -> int:
    """Valid assignments of the blocks outside the group, for a packet whose group fields are
    those of r (ports, flags and ICMP outside the group depend on the protocol)."""
    n_if = len(space.ifaces.elements)
    sizes = dict(BLOCK_VALUES, **{m.IN_IFACE: n_if, m.OUT_IFACE: n_if})
    out = 1
    for b in space.blocks:
        if b not in g.blocks and b not in PROTO_FIELDS and not (b == m.PROTO and m.PROTO not in g.fields):
            out *= sizes[b]
    dependent = [f for f in PROTO_FIELDS if f not in g.blocks]
    protos = [r[m.PROTO]] if m.PROTO in g.fields else range(INT_MAX[m.PROTO] + 1)
    coupled = 0
    for p in protos:
        k = 1
        for f in dependent:
            k *= (INT_MAX[f] + 1) if carried(p, f) else 1
        coupled += k
    return out * coupled


def raw_of_witness(w: m.Packet) -> dict[str, object]:
    """The packet a witness stands for (a field it leaves out is 0: ports of a protocol
    without ports, flags of a protocol other than TCP, ICMP of a protocol other than ICMP)."""
    return {
        m.FAMILY: w.family, m.SRC: w.src, m.DST: w.dst, m.PROTO: w.proto,
        m.SPORT: w.sport or 0, m.DPORT: w.dport or 0,
        m.ICMP: 0 if w.icmp_type is None else (w.icmp_type << 8) | (w.icmp_code or 0),
        m.TCP_FLAGS: w.tcp_flags or 0, m.STATE: m.STATE_NUMBER[w.state],
        m.IN_IFACE: w.in_iface, m.OUT_IFACE: w.out_iface, m.DIRECTION: m.DIRECTIONS.index(w.direction),
    }


# --------------------------------------------------------------------------- the main property

ALL_FIELDS = (m.FAMILY, m.SRC, m.DST, m.PROTO, m.SPORT, m.DPORT, m.ICMP, m.TCP_FLAGS, m.STATE,
              m.IN_IFACE, m.OUT_IFACE, m.DIRECTION)



def check_group(g: Group, e1: Expr, e2: Expr, base: Raw, addresses: dict | None = None) -> None:
    """The engine against brute force on group g; with `addresses`, the engine encodes
    addresses by the pieces of those bounds, and must also give the witnesses of the plain
    encoding."""
    patterns = iface_names_in(e1) | iface_names_in(e2) | {base[m.IN_IFACE], base[m.OUT_IFACE]}
    space = PacketSpace(interfaces=sorted(patterns), widths=WIDTHS, addresses=addresses)
    names = probe_names(patterns)
    a, b = build(space, e1), build(space, e2)
    nodes = {
        "a": (a, lambda x, y: x),
        "b": (b, lambda x, y: y),
        "a|b": (a | b, lambda x, y: x or y),
        "a&b": (a & b, lambda x, y: x and y),
        "a-b": (a & ~b, lambda x, y: x and not y),
        "~a": (~a, lambda x, y: not x),
    }
    may_a, must_a = space.may(a), space.must(a)
    any_a = False
    any_b = False
    a_eq_b = True
    a_le_b = True
    count_may_a = 0
    members: list[Raw] = []
    depends: set[str] = set()
    for r, mult, ok in enumerate_group(g, base, names):
        p = to_packet(r)
        va = [truth(e1, r, o) for o in ASSIGNMENTS]
        vb = [truth(e2, r, o) for o in ASSIGNMENTS]
        for label, (node, fn) in nodes.items():
            expected = three_valued([fn(x, y) for x, y in zip(va, vb, strict=False)])
            got = space.contains(node, p)
            assert got == expected, f"contains({label}) for {p!r}: expected {expected}, got {got}"
        assert space.contains(may_a, p) == any(va), f"may(a) for {p!r}"
        assert space.contains(must_a, p) == all(va), f"must(a) for {p!r}"
        if not ok:
            continue  # outside the universe: membership only
        any_a |= any(va)
        any_b |= any(vb)
        a_eq_b &= va == vb
        a_le_b &= all(y or not x for x, y in zip(va, vb, strict=False))
        for k, key in enumerate(OPAQUE_KEYS):
            bit = 1 << (len(OPAQUE_KEYS) - 1 - k)  # ASSIGNMENTS: the first key is the high bit
            if any(va[i] != va[i ^ bit] for i in range(len(va))):
                depends.add(key)
        if any(va):
            count_may_a += mult * outside_factor(space, g, r)
            members.append(r)
    assert space.is_empty(a) == (not any_a)
    assert space.is_empty(b) == (not any_b)
    assert space.equal(a, b) == a_eq_b
    assert space.subset(a, b) == a_le_b
    assert space.subset(a & b, a) and space.subset(a, a | b)
    assert space.equal(a | ~a, space.true) and space.is_empty(a & ~a)
    assert space.is_empty(may_a) == (not any_a)
    assert space.subset(must_a, a) and space.subset(a, may_a)
    if g is not IFACES:  # the `*` element may stand for no name at all: counts are not names
        assert space.count(a) == count_may_a
    # the opaque conditions the set depends on (flipping the key changes a valid packet)
    assert set(space.depends_on_opaque(a)) == {f"opaque {k}" for k in depends}
    w = space.witness(a)
    if addresses is not None:
        plain = PacketSpace(interfaces=sorted(patterns), widths=WIDTHS)
        pa = build(plain, e1)
        assert w == plain.witness(pa), "the witness depends on the encoding of addresses"
        if members:
            preferred = to_packet(members[len(members) // 2])
            assert space.witness(a, prefer=preferred) == plain.witness(pa, prefer=preferred)
    if not any_a:
        assert w is None
        return
    assert w is not None
    wr = raw_of_witness(w)
    assert valid(wr), f"witness {w!r} is not a valid packet"
    assert space.contains(may_a, w) is True, f"witness {w!r} not in may(a)"
    pats = patterns | {"+", ""}

    def agrees(r: Raw, f: str) -> bool:
        if f in (m.IN_IFACE, m.OUT_IFACE):  # names are abstracted: behave like the member's
            return all(iface_matches(wr[f], q) == iface_matches(r[f], q) for q in pats)
        return wr[f] == r[f]

    assert any(all(agrees(r, f) for f in g.fields) for r in members), \
        f"witness {w!r} agrees with no member of the set"
    # a preferred packet of the set is the witness
    r = members[len(members) // 2]
    wp = space.witness(a, prefer=to_packet(r))
    rp = raw_of_witness(wp)
    for f in ALL_FIELDS:
        if f in (m.IN_IFACE, m.OUT_IFACE):
            assert space.ifaces.element_of(rp[f]) == space.ifaces.element_of(r[f]), (f, wp, r)
        else:
            assert rp[f] == r[f], (f, wp, r)


def group_test(g: Group) -> Callable:
    @SETTINGS
    @given(data=st.data())
    def test(data) -> None:
        e1 = data.draw(expr(g.fields), label="e1")
        e2 = data.draw(expr(g.fields), label="e2")
        names = iface_names_in(e1) | iface_names_in(e2) | {""}
        base = data.draw(background(probe_names(names)), label="background")
        check_group(g, e1, e2, base)

    test.__name__ = f"test_algebra_{g.name.replace('-', '_')}"
    return test


test_algebra_addresses = group_test(ADDR)


def address_bounds_in(x, out: dict[int, set[int]]) -> dict[int, set[int]]:
    """The bounds of every address range of an expression (as `space.address_bounds`)."""
    if isinstance(x, m.AddrCond):
        for fam, lo, hi in x.ranges:
            out.setdefault(fam, set()).update((lo, hi + 1))
    elif isinstance(x, m.AnyCond):
        for alt in x.alternatives:
            address_bounds_in(alt, out)
    elif isinstance(x, m.Match):
        for c in x.conds:
            address_bounds_in(c, out)
    elif isinstance(x, tuple):
        for y in x[1:]:
            address_bounds_in(y, out)
    return out


@SETTINGS
@given(data=st.data())
def test_algebra_addresses_by_pieces(data) -> None:
    """Addresses encoded by pieces: the partition of e1's bounds (e1 whole pieces, e2's
    ranges may cut them), or of random bounds (both cut pieces, or a single piece)."""
    e1 = data.draw(expr(ADDR.fields), label="e1")
    e2 = data.draw(expr(ADDR.fields), label="e2")
    if data.draw(st.booleans(), label="bounds of e1"):
        addresses = address_bounds_in(e1, {})
    else:
        addresses = {fam: set(data.draw(st.lists(st.integers(0, 1 << ADDR_WIDTH[fam]), max_size=4)))
                     for fam in (4, 6)}
    base = data.draw(background(probe_names({""})), label="background")
    check_group(ADDR, e1, e2, base, addresses)
test_algebra_ports = group_test(PORTS)
test_algebra_flags_icmp = group_test(FLAGS)
test_algebra_state = group_test(STATE)
test_algebra_interfaces = group_test(IFACES)


# --------------------------------------------------------------------------- every field at once

@SETTINGS
@given(data=st.data())
def test_membership_all_fields(data) -> None:
    """Conditions over every field, checked on random whole packets."""
    e = data.draw(expr(ALL_FIELDS), label="e")
    patterns = iface_names_in(e)
    names = probe_names(patterns)
    space = PacketSpace(interfaces=sorted(patterns), widths=WIDTHS)
    s = build(space, e)
    packets = data.draw(st.lists(background(names), min_size=1, max_size=60), label="packets")
    for r in packets:
        expected = three_valued([truth(e, r, o) for o in ASSIGNMENTS])
        assert space.contains(s, to_packet(r)) == expected, r
        assert space.contains(space.may(s), to_packet(r)) == any(truth(e, r, o) for o in ASSIGNMENTS)


@SETTINGS
@given(data=st.data())
def test_point_and_witness_roundtrip(data) -> None:
    """point(p) of a valid packet holds p and nothing else; the witness of a point is p."""
    names = probe_names(["eth0", "eth+", "+"])
    space = PacketSpace(interfaces=["eth0", "eth+", "ppp"], widths=WIDTHS)
    r = normalize(data.draw(background(names)))
    p = to_packet(r)
    pt = space.point(p)
    assert space.contains(pt, p) is True
    assert space.count(pt) == 1  # one assignment of every bit (the other family's addresses 0)
    w = space.witness(pt)
    assert w is not None and space.contains(pt, w) is True
    wr = raw_of_witness(w)
    for f in ALL_FIELDS:
        if f in (m.IN_IFACE, m.OUT_IFACE):
            assert space.ifaces.element_of(wr[f]) == space.ifaces.element_of(r[f])
        else:
            assert wr[f] == r[f], (f, w, r)


@SETTINGS
@given(data=st.data())
def test_point_and_witness_roundtrip_by_pieces(data) -> None:
    """As above, with addresses encoded by pieces of random bounds (the packet's addresses
    mostly inside a piece: its own bits below the prefix are then what tells it apart)."""
    names = probe_names(["eth0"])
    bounds = {fam: data.draw(st.lists(st.integers(0, 1 << ADDR_WIDTH[fam]), max_size=5)) for fam in (4, 6)}
    space = PacketSpace(interfaces=["eth0"], widths=WIDTHS, addresses=bounds)
    r = normalize(data.draw(background(names)))
    p = to_packet(r)
    pt = space.point(p)
    assert space.contains(pt, p) is True
    assert space.count(pt) == 1
    assert space.count(~pt) == space.count(space.true) - 1
    w = space.witness(pt)
    assert w is not None and raw_of_witness(w) == {**raw_of_witness(p), m.IN_IFACE: w.in_iface,
                                                   m.OUT_IFACE: w.out_iface}
    # another address of the same piece is not in the point
    other = m.Packet(**{**p.__dict__, "src": p.src ^ 1})
    assert space.contains(pt, other) is False


@settings(max_examples=200, deadline=None)
@given(width=st.integers(1, 7), data=st.data())
def test_address_pieces(width: int, data) -> None:
    """The partition of bounds against brute force: every piece a prefix, no bound inside a
    piece, pieces in address order covering the space once; locating an address, a piece's
    start and the span of a run of pieces."""
    top = 1 << width
    bounds = data.draw(st.lists(st.integers(-2, top + 2), max_size=8))
    ap = AddressPieces(width, bounds)
    pieces = []
    cuts = sorted({0, top} | {b for b in bounds if 0 < b < top})
    for lo, hi in zip(cuts, cuts[1:], strict=False):
        assert _count_aligned_blocks(lo, hi) == len(list(_aligned_blocks(lo, hi, width)))
        pieces.extend(_aligned_blocks(lo, hi, width))
    assert ap.count == len(pieces)
    addr = 0
    for j, (start, plen) in enumerate(pieces):
        size = 1 << (width - plen)
        assert start == addr and start % size == 0  # contiguous, aligned: a prefix
        assert not any(start < b < start + size for b in bounds)
        assert ap.piece(j) == (start, plen)
        for a in range(start, start + size):
            assert ap.locate(a) == (j, start, plen)
        addr += size
    assert addr == top
    j_lo = data.draw(st.integers(0, ap.count - 1))
    j_hi = data.draw(st.integers(j_lo, ap.count - 1))
    assert ap.span(j_lo, j_hi) == sum(1 << (width - plen) for _, plen in pieces[j_lo:j_hi + 1])
    for b in set(bounds) | {0, top}:
        if 0 <= b <= top:
            assert ap.bound_piece(b) == (ap.count if b == top else next(j for j, (s_, _) in enumerate(pieces) if s_ == b))


@SETTINGS
@given(data=st.data())
def test_membership_default_widths_by_pieces(data) -> None:
    """The real widths with addresses by pieces: the bounds of some of the conditions plus
    random ones (the others cut pieces, 128-bit ones included); membership at and around the
    edges, and the same witness as the plain encoding."""
    conds = tuple(data.draw(st.lists(full_cond(), min_size=1, max_size=4), label="conds"))
    mt = m.Match(conds)
    bounds: dict[int, set[int]] = {}
    for c in conds[: data.draw(st.integers(0, len(conds)))]:
        address_bounds_in(c, bounds)
    for fam in (4, 6):
        bounds.setdefault(fam, set()).update(
            data.draw(st.lists(st.integers(0, 1 << FULL_ADDR[fam]), max_size=3), label=f"bounds {fam}"))
    space = PacketSpace(addresses=bounds)
    s = space.match(mt)
    for r in data.draw(st.lists(full_packet(conds), min_size=1, max_size=40), label="packets"):
        assert space.contains(s, to_packet(r)) == match_holds(mt, r, {}), r
    plain = PacketSpace()
    w = space.witness(s)
    assert w == plain.witness(plain.match(mt))
    if w is not None:
        assert match_holds(mt, raw_of_witness(w), {})


def test_count_full_domain() -> None:
    space = PacketSpace(interfaces=["eth0", "eth+"], widths=WIDTHS)
    n_if = len(space.ifaces.elements)
    total = n_if * n_if
    for v in BLOCK_VALUES.values():
        total *= v
    per_proto = sum(
        (8 if carried(p, m.SPORT) else 1) ** 2 * (8 if carried(p, m.TCP_FLAGS) else 1)
        * (8 if carried(p, m.ICMP) else 1) for p in range(32)
    )
    assert space.count(space.true) == total // 32 * per_proto
    assert space.count(space.false) == 0
    assert space.witness(space.false) is None


# --------------------------------------------------------------------------- real widths

FULL_MAX = {m.PROTO: 255, m.SPORT: 65535, m.DPORT: 65535, m.ICMP: 65535, m.TCP_FLAGS: 255,
            m.STATE: len(m.STATES) - 1, m.DIRECTION: 1}
FULL_ADDR = {4: 32, 6: 128}


@st.composite
def full_cond(draw):
    kind = draw(st.sampled_from(("int", "addr", "flags")))
    if kind == "int":
        f = draw(st.sampled_from(sorted(FULL_MAX)))
        top = FULL_MAX[f]
        ranges = []
        for _ in range(draw(st.integers(1, 3))):
            lo = draw(st.integers(0, top))
            ranges.append((lo, draw(st.integers(lo, top))))
        return m.IntCond(f, tuple(ranges), draw(st.booleans()))
    if kind == "addr":
        ranges = []
        for _ in range(draw(st.integers(1, 3))):
            fam = draw(st.sampled_from((4, 6)))
            bits = FULL_ADDR[fam]
            plen = draw(st.integers(0, bits))
            base = draw(st.integers(0, (1 << bits) - 1)) & ~((1 << (bits - plen)) - 1)
            if draw(st.booleans()):  # a prefix
                ranges.append((fam, base, base | ((1 << (bits - plen)) - 1)))
            else:  # an arbitrary range (iprange)
                ranges.append((fam, base, draw(st.integers(base, (1 << bits) - 1))))
        return m.AddrCond(draw(st.sampled_from((m.SRC, m.DST))), tuple(ranges), draw(st.booleans()))
    mask = draw(st.integers(0, 255))
    return m.FlagsCond(mask, draw(st.integers(0, 255)) & mask, draw(st.booleans()))


@st.composite
def full_packet(draw, near: tuple[m.Cond, ...]) -> Raw:
    """A random packet, its values often at the edges of the conditions' ranges."""
    edges: dict[str, list[int]] = {}
    for c in near:
        if isinstance(c, m.IntCond):
            edges.setdefault(c.field, []).extend(v for lo, hi in c.ranges for v in (lo - 1, lo, hi, hi + 1))
        elif isinstance(c, m.AddrCond):
            for fam, lo, hi in c.ranges:
                edges.setdefault(f"{c.field}{fam}", []).extend((lo - 1, lo, hi, hi + 1))

    def value(key: str, top: int) -> int:
        cands = [v for v in edges.get(key, []) if 0 <= v <= top]
        if cands and draw(st.booleans()):
            return draw(st.sampled_from(cands))
        return draw(st.integers(0, top))

    fam = draw(st.sampled_from((4, 6)))
    amax = (1 << FULL_ADDR[fam]) - 1
    return {
        m.FAMILY: fam, m.SRC: value(f"src{fam}", amax), m.DST: value(f"dst{fam}", amax),
        **{f: value(f, top) for f, top in FULL_MAX.items()},
        m.IN_IFACE: "", m.OUT_IFACE: "",
    }


@SETTINGS
@given(data=st.data())
def test_membership_default_widths(data) -> None:
    """The real engine (32/128-bit addresses, 16-bit ports, 8-bit protocol and flags):
    membership at and around the edges of random ranges and prefixes."""
    conds = tuple(data.draw(st.lists(full_cond(), min_size=1, max_size=4), label="conds"))
    mt = m.Match(conds)
    space = PacketSpace()
    s = space.match(mt)
    for r in data.draw(st.lists(full_packet(conds), min_size=1, max_size=40), label="packets"):
        assert space.contains(s, to_packet(r)) == match_holds(mt, r, {}), r


# --------------------------------------------------------------------------- the interface domain


def expected_element(dom: IfaceDomain, name: str) -> str:
    if name == "":
        return ""
    if name in dom.concrete:
        return name
    best = None
    for p in dom.prefixes:
        if name.startswith(p) and (best is None or len(p) > len(best)):
            best = p
    return "*" if best is None else best + "+"


@settings(max_examples=300, deadline=None)
@given(patterns=st.lists(iface_pattern, max_size=6),
       queries=st.lists(st.text(alphabet=IFACE_ALPHABET + "z", max_size=4), max_size=12))
def test_iface_domain(patterns: list[str], queries: list[str]) -> None:
    dom = IfaceDomain(patterns)
    assert dom.elements[dom.element_of("")] == ""
    for name in queries + probe_names(patterns):
        i = dom.element_of(name)
        assert dom.elements[i] == expected_element(dom, name), name
        # the abstraction is exact: the element matches a pattern iff the name does
        for pat in set(patterns) | {"+", ""}:
            assert dom.matches(dom.elements[i], pat) == iface_matches(name, pat), (name, pat)
    for i, e in enumerate(dom.elements):
        rep = dom.representative(i)
        if e == "*" and "" in dom.prefixes:
            continue  # no name falls in `*` when the bare `+` is mentioned
        assert dom.element_of(rep) == i, (e, rep)
        assert rep == "" or not rep.endswith("+")
        for pat in set(patterns) | {"+", ""}:
            assert dom.matches(e, pat) == iface_matches(rep, pat), (e, rep, pat)


# --------------------------------------------------------------------------- known defects (reproducers)


# --------------------------------------------------------------------------- once defects, now regressions


def test_witness_of_port_condition_is_member() -> None:
    """A set that needs a port on ICMP is empty among valid packets (ports are 0 there)."""
    space = PacketSpace()
    s = space.cond(m.IntCond(m.PROTO, ((1, 1),))) & space.cond(m.IntCond(m.DPORT, ((5, 5),)))
    assert space.is_empty(s) and space.witness(s) is None
    s = space.cond(m.IntCond(m.DPORT, ((5, 5),)))
    w = space.witness(s)
    assert w is not None and w.proto in m.PORT_PROTOCOLS and w.dport == 5
    assert space.contains(s, w) is True


def test_witness_of_flags_condition_is_member() -> None:
    space = PacketSpace()
    syn_clear = space.cond(m.FlagsCond(mask=m.TCP_FLAG_BITS["SYN"], comp=0))
    s = space.cond(m.IntCond(m.PROTO, ((17, 17),))) & syn_clear
    w = space.witness(s)  # UDP: no flags, read as 0, so SYN is clear
    assert w is not None and w.proto == 17 and space.contains(s, w) is True
    s = space.cond(m.IntCond(m.PROTO, ((17, 17),))) & ~syn_clear
    assert space.witness(s) is None


def test_witness_small_widths_is_member() -> None:
    space = PacketSpace(widths=WIDTHS)
    s = space.cond(m.IntCond(m.DPORT, ((5, 5),)))
    w = space.witness(s)
    assert w is not None
    assert space.contains(s, w) is True


def test_flags_comp_outside_mask_is_empty() -> None:
    """(flags & mask) == comp can never hold when comp has a bit outside mask."""
    space = PacketSpace(widths=WIDTHS)
    assert space.is_empty(space.cond(m.FlagsCond(mask=1, comp=2)))
    assert space.equal(space.cond(m.FlagsCond(mask=1, comp=2, negated=True)), space.true)


def test_depends_on_opaque_of_set_empty_in_universe() -> None:
    space = PacketSpace()
    s = space.cond(m.IntCond(m.STATE, ((5, 7),))) & space.cond(m.Opaque("ipset:k", "ipset k"))
    assert space.is_empty(s)
    assert space.depends_on_opaque(s) == []
