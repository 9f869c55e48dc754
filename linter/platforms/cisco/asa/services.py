"""Protocols, ports, ICMP types and services as the ASA names them, and the match
alternatives they become (a service is a protocol with its ports, or an ICMP type).

Layer: platform (Cisco ASA).
"""

from __future__ import annotations

from .... import model as m
from .... import names
from ....names import read_int
from ....ranges import merge, merge3
from .report import Drop, Report
from .vendor import Line
from .vocab import ASA_PORTS, ASA_PROTOCOLS, ICMP4_TYPES, ICMP6_TYPES


def proto_cond(protos) -> m.IntCond:
    return m.IntCond(m.PROTO, merge((p, p) for p in protos))


def port_cond(fieldname: str, op: str, vals: list[int], col: int) -> m.IntCond:
    """One port operator as a condition. `neq P` is a negated condition here; IOS and
    `common.ports` write it as the complement (the same packets, another model: the goldens
    would change, so it stays)."""
    p = vals[0]
    if op == "eq":
        return m.IntCond(fieldname, ((p, p),))
    if op == "neq":
        return m.IntCond(fieldname, ((p, p),), negated=True)
    if op == "lt":
        if p == 0:
            raise Drop(col, "error", "invalid", "lt 0: no port is below 0")
        return m.IntCond(fieldname, ((0, p - 1),))
    if op == "gt":
        if p >= 65535:
            raise Drop(col, "error", "invalid", "gt 65535: no port is above 65535")
        return m.IntCond(fieldname, ((p + 1, 65535),))
    a, b = vals
    if a > b:
        raise Drop(col, "error", "invalid", f"range {a} {b}: the first port is above the second (the ASA refuses it)")
    return m.IntCond(fieldname, ((a, b),))


def merge_alternatives(alts: list[tuple]) -> list[tuple]:
    """Alternatives (conjunctions) that differ only in the ranges of one field are merged into
    one, the merged condition in its place (a service group of 40 `tcp destination eq P` is one
    alternative; `show access-list` expansions that differ by source are one)."""
    if any(len(a) == 0 for a in alts):
        return [()]
    alts = list(dict.fromkeys(alts))
    for fieldname in (m.DPORT, m.SPORT, m.ICMP, m.SRC, m.DST, m.PROTO):
        groups: dict[tuple, list] = {}
        rest_alts: list[tuple] = []
        for a in alts:
            hit = [k for k, c in enumerate(a) if isinstance(c, (m.IntCond, m.AddrCond)) and c.field == fieldname
                   and not c.negated]
            if len(hit) != 1:
                rest_alts.append(a)
                continue
            k = hit[0]
            groups.setdefault((k, a[:k], a[k + 1:], type(a[k])), []).append(a)
        merged = []
        for (k, before, after, kind), members in groups.items():
            if len(members) == 1:
                merged.append(members[0])
                continue
            if kind is m.IntCond:
                cond = m.IntCond(fieldname, merge(r for a in members for r in a[k].ranges))
            else:
                cond = m.AddrCond(fieldname, merge3(r for a in members for r in a[k].ranges))
            merged.append(before + (cond,) + after)
        alts = merged + rest_alts
    return alts


def alts_conds(alts: list[tuple]) -> tuple:
    """Alternatives as the conditions of one match: inline when there is one."""
    if not alts:
        return (m.AnyCond(()),)  # nothing: matches no packet
    if len(alts) == 1:
        return tuple(alts[0])
    return (m.AnyCond(tuple(m.Match(tuple(a)) for a in alts)),)


# --------------------------------------------------------------------------- converter: reading commands


class Services:
    """Reads protocol, port, ICMP and service words; a name the ASA does not know but netbase
    does is read with a note."""

    def __init__(self, report: Report) -> None:
        self.report = report

    def proto_number(self, word: str, col: int, line: Line | None) -> int | None:
        lw = word.lower()
        if lw in ASA_PROTOCOLS:
            return ASA_PROTOCOLS[lw]
        if word.isdigit():
            n = read_int(word)
            if n > 255:
                raise Drop(col, "error", "invalid", f"protocol {word} is out of range (0-255)")
            return None if n == 0 else n
        n = names.proto_number(lw)
        if n is not None and n != 0:
            if line is not None:
                self.report.diag(line, col, "note", "approximate",
                                 f"{word} is not one of the ASA's protocol names; read as protocol {n}", "protocol")
            return n
        raise Drop(col, "error", "invalid", f"unknown protocol {word!r}")

    def port(self, word: str, col: int, pnames: tuple[str, ...], line: Line | None) -> int:
        if word.isdigit():
            n = read_int(word)
            if n > 65535:
                raise Drop(col, "error", "invalid", f"port {word} is out of range (0-65535)")
            return n
        lw = word.lower()
        if lw in ASA_PORTS:
            port, defined = ASA_PORTS[lw]
            if pnames and all(p in ("tcp", "udp") for p in pnames) and not any(p in defined for p in pnames):
                raise Drop(col, "error", "invalid",
                           f"port name {word} is defined for {'/'.join(defined)} only: the ASA refuses it with "
                           f"{'/'.join(pnames)} (write the number {port})")
            return port
        n = names.port_number(lw, pnames[0] if pnames else "tcp")
        if n is not None:
            if line is not None:
                self.report.diag(line, col, "note", "port-name",
                                 f"{word} is not one of the ASA's port names; read as {n} (netbase's services)", "port")
            return n
        raise Drop(col, "error", "invalid", f"unknown port name {word!r}")

    def port_op(self, c: Line, j: int, fieldname: str, pnames: tuple[str, ...]) -> tuple[int, m.IntCond]:
        w = c.words
        if j >= len(w) or w[j].lower() not in ("eq", "neq", "lt", "gt", "range"):
            raise Drop(c.col(j), "error", "syntax", "expected a port operator (eq, neq, lt, gt, range)")
        op = w[j].lower()
        need = 2 if op == "range" else 1
        if j + need >= len(w):
            raise Drop(c.col(len(w) - 1), "error", "syntax", f"{op}: a port is missing")
        vals = [self.port(w[j + 1 + k], c.col(j + 1 + k), pnames, c) for k in range(need)]
        return j + 1 + need, port_cond(fieldname, op, vals, c.col(j))

    def icmp_value(self, word: str, col: int, v6: bool) -> int:
        if word.isdigit():
            n = read_int(word)
            if n > 255:
                raise Drop(col, "error", "invalid", f"ICMP type {word} is out of range (0-255)")
            return n
        table, other = (ICMP6_TYPES, ICMP4_TYPES) if v6 else (ICMP4_TYPES, ICMP6_TYPES)
        lw = word.lower()
        if lw in table:
            return table[lw]
        raise Drop(col, "error", "invalid", f"unknown ICMP{'v6' if v6 else ''} type {word!r}")

    def service_alts(self, c: Line, i: int) -> list[tuple]:
        """`[service|service-object] PROTO [source OP P] [destination OP P]`, `icmp TYPE [CODE]`."""
        w = c.words
        if i >= len(w):
            raise Drop(c.col(len(w) - 1), "error", "syntax", "a protocol is missing")
        p = w[i].lower()
        if p == "tcp-udp":
            protos: tuple[int, ...] = (6, 17)
        else:
            n = self.proto_number(w[i], c.col(i), c)
            protos = () if n is None else (n,)
        conds: list = [proto_cond(protos)] if protos else []
        pnames = tuple({6: "tcp", 17: "udp", 132: "sctp"}[x] for x in protos if x in (6, 17, 132))
        j = i + 1
        if protos and set(protos) <= {6, 17, 132}:
            seen_src = seen_dst = False
            while j < len(w):
                t = w[j].lower()
                if t == "source" and not seen_src and not seen_dst:
                    j, cond = self.port_op(c, j + 1, m.SPORT, pnames)
                    seen_src = True
                elif t == "destination" and not seen_dst:
                    j, cond = self.port_op(c, j + 1, m.DPORT, pnames)
                    seen_dst = True
                elif t in ("eq", "neq", "lt", "gt", "range") and not seen_dst:
                    j, cond = self.port_op(c, j, m.DPORT, pnames)  # destination is optional on entry
                    seen_dst = True
                else:
                    raise Drop(c.col(j), "error", "syntax", f"unexpected {w[j]!r}")
                conds.append(cond)
        elif protos in ((1,), (58,)):
            if j < len(w):
                t = self.icmp_value(w[j], c.col(j), protos == (58,))
                lo, hi = 0, 255
                if j + 1 < len(w):
                    if not w[j + 1].isdigit() or read_int(w[j + 1]) > 255 or j + 2 < len(w):
                        raise Drop(c.col(j + 1), "error", "syntax", f"unexpected {w[j + 1]!r}: expected an ICMP code")
                    lo = hi = read_int(w[j + 1])
                conds.append(m.IntCond(m.ICMP, (((t << 8) | lo, (t << 8) | hi),)))
        elif j < len(w):
            raise Drop(c.col(j), "error", "syntax",
                       f"unexpected {w[j]!r}: only tcp, udp, sctp and icmp take ports or types")
        return [tuple(conds)]
