"""IPv4/IPv6 addresses, netmasks and prefixes as integers and closed ranges.

Layer: platforms. An address range is `(family, lo, hi)` (family 4 or 6, both ends
included), as `model.AddrCond` holds them. These functions read notation only; what a
platform refuses or approximates (host bits outside the mask, zone ids, hostnames) is the
reader's to say, from the None or the values they return.
"""

from __future__ import annotations

import ipaddress

from ...names import read_int

BITS = {4: 32, 6: 128}


def full_mask(family: int) -> int:
    """All ones over the family's address width."""
    return (1 << BITS[family]) - 1


def ipv4_value(text: str) -> int | None:
    """A dotted quad (four decimal octets of at most three digits, each <= 255) -> its
    value; None for anything else (no shorthand like `10.1`, no hex)."""
    octets = text.split(".")
    if len(octets) != 4 or not all(o.isdigit() and len(o) <= 3 and read_int(o) <= 255 for o in octets):
        return None
    a0, a1, a2, a3 = (read_int(o) for o in octets)
    return (a0 << 24) | (a1 << 16) | (a2 << 8) | a3


def address_value(text: str) -> tuple[int, int] | None:
    """An IPv4 or IPv6 address (no zone id, no prefix) -> (family, value), or None."""
    if "%" in text:
        return None  # (Python reads `fe80::1%eth0`; no platform takes a zone id where it takes an address)
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    return ip.version, read_int(ip)


def prefix_mask(length: int, family: int) -> int:
    """The netmask of a prefix `length` (0..32 or 0..128, not checked)."""
    full = full_mask(family)
    return (full << (BITS[family] - length)) & full


def netmask_length(mask: int, family: int = 4) -> int | None:
    """A contiguous netmask -> its prefix length; None when its ones are not contiguous."""
    inv = ~mask & full_mask(family)
    if inv & (inv + 1):
        return None
    return BITS[family] - inv.bit_length()


def masked_range(family: int, value: int, mask: int) -> tuple[int, int, int]:
    """The range of addresses `value`/`mask` covers (bits of `value` outside `mask` are
    ignored, as every platform's kernel does)."""
    lo = value & mask
    return family, lo, lo | (~mask & full_mask(family))


def prefix_range(text: str) -> tuple[int, int, int] | None:
    """`10.0.0.0/8` or `2001:db8::/32` (or a bare address: one host) -> (family, lo, hi),
    host bits ignored; None when it is not one (a zone id `%eth0` is not)."""
    if "%" in text:
        return None
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    return net.version, read_int(net.network_address), read_int(net.broadcast_address)
