"""Concrete packets from boxes (for the box layer, `linter.probe`): the point of a box that
a run checks (`_point`), a rule's box with its negated conditions taken out (`_refined`),
whether a box is its rule's match (`_exact`), meets of boxes (`_meet_all`), and a packet's
values as boxes hold them (`_values`)."""

from __future__ import annotations

import dataclasses

from . import boxes as B
from . import model as m

_BUDGET = 32  # boxes a difference may fragment into before the candidate region is the box itself


def _values(p: m.Packet) -> dict:
    """The packet's field values as boxes hold them (`boxes.OverlapIndex.holding`); a field
    the packet does not have reads 0, as the engine and `graph.cond_matches` read it."""
    return {m.PROTO: p.proto, m.SPORT: p.sport or 0, m.DPORT: p.dport or 0,
            m.ICMP: ((p.icmp_type or 0) << 8) | (p.icmp_code or 0) if p.icmp_type is not None else 0,
            m.STATE: m.STATE_NUMBER[p.state], m.DIRECTION: m.DIRECTIONS.index(p.direction),
            m.FAMILY: p.family, f"src{p.family}": p.src, f"dst{p.family}": p.dst,
            m.IN_IFACE: p.in_iface, m.OUT_IFACE: p.out_iface}


def _meet_all(xs: list, ys: list, family, limit: int = _BUDGET) -> list:
    """The valid boxes where a box of xs meets one of ys (the first `limit`)."""
    out = []
    for x in xs:
        for y in ys:
            z = B.meet(x, y)
            if z is not None and B.valid(z, family):
                out.append(z)
                if len(out) >= limit:
                    return out
    return out


_BOX_FIELDS = frozenset((m.PROTO, m.SPORT, m.DPORT, m.ICMP, m.STATE, m.DIRECTION, m.FAMILY))


def _exact(match: m.Match, family) -> bool:
    """Whether `_refined` gives the match itself (every condition an interval, address or
    interface condition, negated or not, of one family), not a bound on it."""
    for c in match.conds:
        if isinstance(c, m.IfaceCond):
            continue
        if isinstance(c, m.IntCond):
            if c.field not in _BOX_FIELDS or not B.is_exact(m.Match((dataclasses.replace(c, negated=False),))):
                return False
        elif isinstance(c, m.AddrCond):
            fams = {fam for fam, _, _ in c.ranges}
            if len(fams) != 1 or (c.negated and (family is None or fams != {family})):
                return False
        else:
            return False
    return True


def _refined(match: m.Match, box, family, names: list[str]):
    """The box without what the match's negated conditions exclude (each such condition
    tests one field, so the difference stays one box), and its interface conditions,
    wildcards and negations included, as sets of the interface domain's names."""
    b = dict(box)
    every = frozenset(names)
    for k in (m.IN_IFACE, m.OUT_IFACE):  # (explicit: the box algebra then never needs AllBut)
        old = b.get(k)
        b[k] = every if old is None else frozenset(old) & every
    for c in match.conds:
        if isinstance(c, m.IfaceCond):
            b[c.field] = b[c.field] & frozenset(n for n in names if _iface_ok(c, n))
            continue
        if not c.negated:
            continue
        if isinstance(c, m.IntCond):
            other = {c.field: B._norm(c.ranges)}
        elif isinstance(c, m.AddrCond):
            fams = {fam for fam, _, _ in c.ranges}
            if len(fams) != 1 or (family is not None and fams != {family}):
                continue
            fam = fams.pop()
            other = {f"{c.field}{fam}": B._norm((lo, hi) for _, lo, hi in c.ranges)}
        else:
            continue
        pieces = B.minus(b, other)
        if not pieces:
            return None
        if len(pieces) != 1:  # pragma: no cover - one field: one piece
            continue
        b = pieces[0]
    return b if B.valid(b, family) else None


# ---------------------------------------------------------------------- one packet of a box

_PROTO_PREFS = (m.PROTO_TCP, 17, m.PROTO_ICMP, m.PROTO_ICMPV6)


def _first(ivs, prefs=()) -> int | None:
    if not ivs:
        return None
    for v in prefs:
        if any(lo <= v <= hi for lo, hi in ivs):
            return v
    return ivs[0][0]


def _point(box, family, matches: list[m.Match], names: list[str]) -> m.Packet | None:
    """One valid packet of the box, the rule's interface wildcards and TCP flags satisfied
    where the box leaves them open (the caller checks the match)."""
    fams = box.get(m.FAMILY)
    fam = family or (4 if fams is None or _first(fams, (4,)) == 4 else 6)
    if fams is not None and not any(lo <= fam <= hi for lo, hi in fams):
        return None
    proto = _protocol(box, fam)
    if proto is None:
        return None
    ports = proto in m.PORT_PROTOCOLS
    is_icmp = proto in (m.PROTO_ICMP, m.PROTO_ICMPV6)
    sport = dport = icmp_type = icmp_code = flags = None
    if ports:
        sport = _first(box.get(m.SPORT, ((0, 65535),)), (40000,))
        dport = _first(box.get(m.DPORT, ((0, 65535),)), (443,))
    if is_icmp:
        v = _first(box.get(m.ICMP, ((0, 65535),)), (0x0800, 0x8000))
        icmp_type, icmp_code = v >> 8, v & 0xFF
    if proto == m.PROTO_TCP:
        flags = m.TCP_FLAG_BITS["SYN"]
        for x in matches:
            for c in x.conds:
                if isinstance(c, m.FlagsCond) and not c.negated:
                    flags = c.comp
    state_i = _first(box.get(m.STATE, ((0, len(m.STATES) - 1),)), (m.STATE_NUMBER["NEW"],))
    if state_i is None or state_i >= len(m.STATES):
        return None
    width = 32 if fam == 4 else 128
    src = _first(box.get(f"src{fam}", ((0, (1 << width) - 1),)))
    dst = _first(box.get(f"dst{fam}", ((0, (1 << width) - 1),)))
    direction = _first(box.get(m.DIRECTION, ((0, 1),)), (0,))
    ins = _iface(box.get(m.IN_IFACE), m.IN_IFACE, matches, names)
    outs = _iface(box.get(m.OUT_IFACE), m.OUT_IFACE, matches, names)
    if src is None or dst is None or ins is None or outs is None or direction is None:
        return None
    return m.Packet(family=fam, src=src, dst=dst, proto=proto, sport=sport, dport=dport,
                    icmp_type=icmp_type, icmp_code=icmp_code, tcp_flags=flags,
                    state=m.STATES[state_i], in_iface=ins, out_iface=outs,
                    direction=m.DIRECTIONS[direction])


def _protocol(box, fam: int) -> int | None:
    """The protocol of `_point`'s packet: one whose ports or ICMP type the box needs, else
    tcp, udp or ICMP, else the box's first; None when none has what the box needs."""
    protos = box.get(m.PROTO, ((0, 255),))
    needs_ports = any(box.get(k, ((0, 0),))[0][0] > 0 for k in (m.SPORT, m.DPORT))
    needs_icmp = box.get(m.ICMP, ((0, 0),))[0][0] > 0
    icmp_proto = m.PROTO_ICMP if fam == 4 else m.PROTO_ICMPV6
    if needs_icmp:
        prefs = (icmp_proto,)
    elif needs_ports:
        prefs = tuple(p for p in (m.PROTO_TCP, 17, *sorted(m.PORT_PROTOCOLS)))
    else:
        prefs = (m.PROTO_TCP, 17, icmp_proto)
    for v in prefs:
        if any(lo <= v <= hi for lo, hi in protos):
            return v
    if needs_ports or needs_icmp:
        return None
    return protos[0][0]


def _iface(value, field: str, matches: list[m.Match], names: list[str]) -> str | None:
    """A name the box allows for the field, preferring one the matches' interface
    conditions on it accept."""
    if value is None:
        allowed = names
    elif isinstance(value, B.AllBut):
        allowed = [n for n in names if n not in value]
    else:
        allowed = sorted(value)
    if not allowed:
        return None
    conds = [c for x in matches for c in x.conds if isinstance(c, m.IfaceCond) and c.field == field]
    for n in allowed:
        if all(_iface_ok(c, n) for c in conds):
            return n
    return allowed[0]


def _iface_ok(c: m.IfaceCond, name: str) -> bool:
    hit = any(name.startswith(p[:-1]) if p.endswith("+") else name == p for p in c.names)
    return hit != c.negated
