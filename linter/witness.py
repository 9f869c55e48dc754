"""Witnesses of the packet-space engine (`linter.space`): one concrete packet of a set, picked
by a walk down one path of the BDD after narrowing the set by what reads best (the first
packet of a connection, documentation addresses, hosts rather than network addresses, every
opaque condition failing where the set allows).

Layer: engine."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from . import model as m
from .bdd import Node

if TYPE_CHECKING:
    from .space import PacketSpace


class WitnessPicker:
    """`PacketSpace.witness` and what it needs: the preferences (built on first use) and the
    cube of every opaque condition failing (made again when one is added)."""

    def __init__(self, space: PacketSpace) -> None:
        # a weak reference: the space holds its picker, and a cycle between them would leave
        # the space to the cycle collector, which may free the BDD manager before the sets
        # still held (CUDD then complains on stderr that nodes are still referenced)
        self.space = weakref.proxy(space)
        self._prefs: list[Node] | None = None
        self._prefs_all: Node | None = None
        self._none_hold: tuple[int, Node] | None = None  # see _literal

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
        s = s & self.space.universe
        if s == self.space.false:
            return None
        if prefer is not None:
            t = s & self.space.point(prefer)
            if t != self.space.false:
                s = t
        chosen, assignment = self._preferred(s)
        if any(assignment.get(v) for v in self.space.opaque_vars()):
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
        if both != self.space.false:
            s = both
        else:
            for pref in self._preferences():
                t = s & pref
                if t != self.space.false:
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
        fam = 4 if self.space.value(a, m.FAMILY) == 0 else 6
        for block in (f"src{fam}", f"dst{fam}"):
            addr = self.space.value(a, block)
            for up in {0: (1, 2), 3: (2, 3)}.get(addr & 3, ()):
                if addr + up >= 1 << self.space.fields[block].raw.width:
                    break
                moved = dict(a)
                moved.update(self.space.block_bits(block, addr + up))
                if self._holds(s, moved):
                    a = moved
                    break
        return a

    def _holds(self, s: Node, a: dict[str, bool]) -> bool:
        """Whether the assignment (a variable it leaves out reads 0) is in the set: a walk
        down its one path (several times cheaper than `let` with every variable)."""
        true, false = self.space.true, self.space.false
        while s != true and s != false:
            # (dd.cudd gives the children of the regular node: a complemented edge
            # complements them)
            child = s.high if a.get(s.var, False) else s.low
            s = ~child if s.negated else child
        return s == true

    def _literal(self, s: Node) -> Node:
        """The packets of s that are in it with every opaque condition failing, where there
        are any (else s): `trace` reports first the branch where every opaque condition
        fails (`graph.tracing._trace_filter`), so such a witness replays with the verdict the set
        stands for without naming any (`holds`)."""
        opaque = self.space.opaque_vars()
        if not opaque:
            return s
        if self._none_hold is None or self._none_hold[0] != len(opaque):
            # (a cube of every opaque variable false, made again when one is added)
            self._none_hold = (len(opaque), self.space.bdd.cube({v: False for v in opaque}))
        t = s & self._none_hold[1]
        return t if t != self.space.false else s

    def _pick(self, s: Node) -> dict[str, bool] | None:
        """One satisfying path of a non-empty set, low branch first; variables the path does
        not test are left out (they read as 0). A walk down one path: much cheaper than
        enumerating minterms over every variable."""
        if s == self.space.false:
            return None
        out: dict[str, bool] = {}
        true = self.space.true
        while s != true:
            # dd.cudd gives the children of the regular node: a complemented edge
            # complements them
            low, high = (~s.low, ~s.high) if s.negated else (s.low, s.high)
            if low != self.space.false:
                out[s.var] = False
                s = low
            else:
                out[s.var] = True
                s = high
        return out

    def _preferences(self) -> list[Node]:
        if self._prefs is None:
            self._prefs = [
                self.space.equals(m.STATE, m.STATE_NUMBER["NEW"]),
                self.space.equals(m.PROTO, m.PROTO_TCP),
                ~self.space.interval("src4", 0, 0x00FFFFFF) & ~self.space.interval("src4", 0xE0000000, 0xFFFFFFFF),
                ~self.space.interval("dst4", 0, 0x00FFFFFF) & ~self.space.interval("dst4", 0xE0000000, 0xFFFFFFFF),
                # where any address will do, documentation addresses read best
                self.space.interval("src4", 0xCB00710A, 0xCB0071FE),  # 203.0.113.10 and up
                self.space.interval("dst4", 0xC6336415, 0xC63364FE),  # 198.51.100.21 and up (a host: `_as_hosts`)
                ~self.space.interval("src6", 0, (1 << 120) - 1),
                ~self.space.interval("dst6", 0, (1 << 120) - 1),
                self.space.flags(0xFF, m.TCP_FLAG_BITS["SYN"]),
                self.space.interval(m.SPORT, 32768, 60999),
                self.space.equals(m.SPORT, 40000),
                ~self.space.interval(m.DPORT, 0, 0),
                self.space.equals(m.DPORT, 443),
                ~self.space.equals(m.IN_IFACE, self.space.ifaces.index["*"]) | self.space.interval(m.IN_IFACE, 0, 0),
                ~self.space.equals(m.OUT_IFACE, self.space.ifaces.index["*"]),
            ]
        return self._prefs

    def _all_preferences(self) -> Node:
        if self._prefs_all is None:
            u = self.space.true
            for p in self._preferences():
                u = u & p
            self._prefs_all = u
        return self._prefs_all

    def _packet(self, a: dict[str, bool]) -> m.Packet:
        space = self.space

        def value(block: str) -> int:
            return space.value(a, block)

        fam = 4 if value(m.FAMILY) == 0 else 6
        proto = value(m.PROTO)
        icmp = value(m.ICMP)
        is_icmp = proto in (m.PROTO_ICMP, m.PROTO_ICMPV6)
        ports = proto in m.PORT_PROTOCOLS
        state_i = value(m.STATE)
        return m.Packet(
            family=fam,
            src=value(f"src{fam}"),
            dst=value(f"dst{fam}"),
            proto=proto,
            sport=value(m.SPORT) if ports else None,
            dport=value(m.DPORT) if ports else None,
            icmp_type=(icmp >> 8) if is_icmp else None,
            icmp_code=(icmp & 0xFF) if is_icmp else None,
            tcp_flags=value(m.TCP_FLAGS) if proto == m.PROTO_TCP else None,
            state=m.STATES[state_i] if state_i < len(m.STATES) else "NEW",
            in_iface=space.ifaces.witness_name(value(m.IN_IFACE)),
            out_iface=space.ifaces.witness_name(value(m.OUT_IFACE)),
            direction=m.DIRECTIONS[value(m.DIRECTION)],
            # the opaque conditions the packet needs to hold to be in the set (a variable
            # the path leaves out reads 0: the condition fails)
            holds=space.opaque_held(a),
        )

