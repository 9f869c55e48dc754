"""Ports and port operators as closed ranges of 0..65535.

Layer: platforms. One meaning for every platform: a port condition is the set of ports it
matches, as ranges; `neq P` is the complement of P (a positive set, so that alternatives
of a group or a list join by union without a negation flag).
"""

from __future__ import annotations

from typing import Iterable

from ... import model as m
from ... import names
from ...ranges import merge
from .diagnostics import BadValue

PORT_MAX = 65535
Ranges = tuple[tuple[int, int], ...]


def complement(ranges: Iterable[tuple[int, int]], top: int = PORT_MAX) -> Ranges:
    """The values of 0..`top` outside `ranges` (sorted, disjoint ranges in, the same out)."""
    out = []
    nxt = 0
    for lo, hi in ranges:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = max(nxt, hi + 1)
    if nxt <= top:
        out.append((nxt, top))
    return tuple(out)


def operator_ranges(op: str, ports: list[int]) -> Ranges:
    """The ports `op` `ports` matches: eq (one or more ports), neq (the complement of the
    ports given), lt and gt (one port: strictly below / above it), range (two ports, both
    included). An empty tuple when no port matches (`lt 0`, `gt 65535`, a reversed range):
    whether the platform refuses that is the reader's to say. Raises ValueError on an
    unknown operator or a wrong number of ports."""
    if op == "eq" or op == "neq":
        if not ports:
            raise ValueError(f"{op} needs a port")
        inside = merge((p, p) for p in ports)
        return inside if op == "eq" else complement(inside)
    if op in ("lt", "gt"):
        if len(ports) != 1:
            raise ValueError(f"{op} takes one port")
        p = ports[0]
        r = (0, p - 1) if op == "lt" else (p + 1, PORT_MAX)
        return (r,) if r[0] <= r[1] else ()
    if op == "range":
        if len(ports) != 2:
            raise ValueError("range takes two ports")
        a, b = ports
        return ((a, b),) if a <= b else ()
    raise ValueError(f"unknown port operator {op!r}")


def operator_condition(fieldname: str, op: str, ports: list[int]) -> m.IntCond:
    """The condition on `fieldname` (m.SPORT or m.DPORT) of `op` `ports` (`operator_ranges`)."""
    return m.IntCond(fieldname, operator_ranges(op, ports))


def port_value(text: str, proto: str) -> int:
    """A port number (0..65535) or a service name of `proto` (netbase's services); raises
    BadValue("bad port ...") otherwise."""
    n = names.port_number(text, proto)
    if n is None:
        raise BadValue(f"bad port {text!r}")
    return n


def port_span(text: str, proto: str, sep: str = ":") -> tuple[int, int]:
    """`P`, `A:B`, `:B` (from 0) or `A:` (to 65535) -> (lo, hi); raises BadValue on a bad
    port or a reversed range."""
    if sep in text:
        a, _, b = text.partition(sep)
        lo = port_value(a, proto) if a else 0
        hi = port_value(b, proto) if b else PORT_MAX
    else:
        lo = hi = port_value(text, proto)
    if lo > hi:
        raise BadValue(f"reversed port range {text!r}")
    return lo, hi
