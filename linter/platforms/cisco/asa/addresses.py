"""Addresses as the ASA writes them: an address or a `name`, ADDRESS NETMASK (never a
wildcard), an IPv6 prefix; each refused as the ASA refuses it.

Layer: platform (Cisco ASA).
"""

from __future__ import annotations

import ipaddress
import re

from .... import model as m
from ....names import read_int
from ....ranges import merge3
from ...common.addresses import netmask_length
from ..common import has_zone_id
from .report import Drop, Report
from .vendor import Line, ObjectTable

MAX4 = (1 << 32) - 1
MAX6 = (1 << 128) - 1
IPV4_RE = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\Z")


def zone_id_drop(word: str, col: int) -> Drop | None:
    """An IPv6 address written with a zone (scope) id, `fe80::1%outside`: Python's ipaddress
    would read it and drop the zone silently; the ASA's syntax has no zone id."""
    if not has_zone_id(word):
        return None
    zone = word.split("%", 1)[1].split("/", 1)[0]
    return Drop(col, "error", "invalid", f"{word} is an IPv6 address with a zone id (`%{zone}`): the ASA takes no "
                f"zone id here (it refuses the command); not analysed", "ipv6 zone id")


def mask_bits(mask: str) -> int | None:
    """A contiguous IPv4 netmask -> its prefix length; None if it is not one. (Read by
    ipaddress, not `common.addresses.ipv4_value`: the ASA refuses the leading zeros that one
    takes.)"""
    try:
        v = read_int(ipaddress.IPv4Address(mask))
    except ValueError:
        return None
    return netmask_length(v)


def wildcard_like(mask: str) -> bool:
    try:
        v = read_int(ipaddress.IPv4Address(mask))
    except ValueError:
        return False
    return v != 0 and (v & (v + 1)) == 0


def addr_conds(fieldname: str, ranges, opq) -> tuple:
    """An address condition: ranges, and opaque alternatives (fqdn objects: known at run time)."""
    side = "source" if fieldname == m.SRC else "destination"
    ops = [m.Opaque(f"{fieldname} {k}", f"{side} is {d}") for k, d in opq]
    ranges = merge3(ranges)
    if not ops:
        return (m.AddrCond(fieldname, ranges),)
    alts = ([m.Match((m.AddrCond(fieldname, ranges),))] if ranges else []) + [m.Match((o,)) for o in ops]
    if len(alts) == 1:
        return alts[0].conds
    return (m.AnyCond(tuple(alts)),)


class Addresses:
    """Reads an address word (through the file's `name` table) into (family, first, last)."""

    def __init__(self, report: Report, objects: ObjectTable) -> None:
        self.report = report
        self.objects = objects

    def ip(self, word: str, col: int) -> tuple[int, int]:
        zoned = zone_id_drop(word, col)
        if zoned is not None:
            raise zoned
        try:
            a = ipaddress.ip_address(word)
            return a.version, read_int(a)
        except ValueError:
            pass
        if word in self.objects.names:
            fam, v, _ = self.objects.names[word]
            return fam, v
        if re.fullmatch(r"[0-9.]+", word) or (":" in word and re.fullmatch(r"[0-9A-Fa-f:.]+", word)):
            raise Drop(col, "error", "invalid", f"{word} is not a valid address")
        raise Drop(col, "error", "undefined-reference", f"{word} is neither an address nor a defined name", "name")

    def addr_mask(self, a: str, mask: str, col_a: int, col_m: int) -> tuple[int, int, int]:
        fam, v = self.ip(a, col_a)
        if fam != 4:
            raise Drop(col_a, "error", "invalid", f"{a} is an IPv6 address: write a prefix ({a}/64), not a mask")
        bits = mask_bits(mask)
        if bits is None:
            if not IPV4_RE.match(mask):
                msg = f"{mask!r} is not a netmask"
            elif wildcard_like(mask):
                msg = (f"{mask} looks like an IOS wildcard mask: the ASA takes a netmask "
                       f"({ipaddress.IPv4Address(~read_int(ipaddress.IPv4Address(mask)) & MAX4)}), "
                       "and refuses this entry")
            else:
                msg = f"{mask} is not a contiguous netmask (the ASA refuses it)"
            raise Drop(col_m, "error", "invalid", msg)
        host = (1 << (32 - bits)) - 1
        if v & host:
            raise Drop(col_a, "error", "invalid",
                       f"{a} {mask}: the address has bits outside the mask; the ASA refuses it (\"IP address, "
                       f"mask doesn't pair\"); {ipaddress.IPv4Address(v & ~host & MAX4)} {mask} is meant?")
        return (4, v, v | host)

    def prefix(self, text: str, col: int, line: Line | None = None) -> tuple[int, int, int]:
        zoned = zone_id_drop(text, col)
        if zoned is not None:
            raise zoned
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise Drop(col, "error", "invalid", f"{text} is not an address prefix") from None
        if net.version == 4:
            raise Drop(col, "error", "invalid", f"{text}: IPv4 networks take a netmask on the ASA, not a prefix length")
        if line is not None and read_int(ipaddress.ip_interface(text).ip) != read_int(net.network_address):
            self.report.diag(line, col, "note", "approximate", f"{text} has bits outside its prefix: read as {net}")
        return (6, read_int(net.network_address), read_int(net.broadcast_address))
