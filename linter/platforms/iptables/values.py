"""Option values to model conditions: addresses, ports, TCP flags, ICMP types, states.

Layer: platform (iptables)."""

from __future__ import annotations

import re
from functools import lru_cache

from ... import model as m
from ... import names
from ...names import read_int
from ..common import addresses
from ..common.diagnostics import BadValue
from ..common.ports import port_span
from .vocab import ALL_TCP_FLAGS, TCP_FLAG_NAMES, STATE_NUMBERS

# --------------------------------------------------------------------------- value parsing

_HOSTNAME_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")
_LETTER_RE = re.compile(r"[A-Za-z]")


@lru_cache(maxsize=65536)
def address_ranges(text: str, family: int) -> tuple[tuple[int, int, int], ...] | str:
    """`10.0.0.0/8,1.2.3.4` -> ranges; a str result names why it is only approximable
    ("hostname", "non-contiguous-mask"); raises BadValue where iptables refuses the text."""
    out = []
    for part in text.split(","):
        if not part:
            raise BadValue(f"empty address in {text!r}")
        addr, slash, mask = part.partition("/")
        if "%" in addr:
            # (`-s` strips zone ids before: one left here is inside a list or a range)
            raise BadValue(f"zone id in {part!r}: ip6tables refuses it here")
        if family == 4 and (not slash or mask.isdigit()):
            # the common case, without the ipaddress module: a dotted quad and a prefix length
            value = addresses.ipv4_value(addr)
            length = read_int(mask) if slash else 32
            if value is not None and length <= 32:
                out.append(addresses.masked_range(4, value, addresses.prefix_mask(length, 4)))
                continue
        parsed = addresses.address_value(addr)
        if parsed is None:
            if _HOSTNAME_RE.fullmatch(addr) and _LETTER_RE.search(addr):
                return "hostname"
            raise BadValue(f"bad address {part!r}")
        version, value = parsed
        if version != family:
            raise BadValue(f"IPv{version} address {part!r} in an IPv{family} ruleset")
        mask_value = _mask(part, mask if slash else None, family)
        if mask_value is None:
            return "non-contiguous-mask"
        out.append(addresses.masked_range(family, value, mask_value))
    return tuple(out)


def _mask(part: str, mask: str | None, family: int) -> int | None:
    """The netmask after the `/` of `part` (a prefix length or an address; None: no `/`, a
    host); None when the mask is not contiguous (iptables takes it; fwlint approximates)."""
    if mask is None:
        return addresses.full_mask(family)
    if mask.isdigit():
        length = read_int(mask)
        if length > addresses.BITS[family]:
            raise BadValue(f"bad prefix length in {part!r}")
        return addresses.prefix_mask(length, family)
    parsed = addresses.address_value(mask)
    if parsed is None or parsed[0] != family:
        raise BadValue(f"bad mask in {part!r}")
    if addresses.netmask_length(parsed[1], family) is None:
        return None
    return parsed[1]


_port_range = lru_cache(maxsize=16384)(port_span)


@lru_cache(maxsize=4096)
def _port_list(text: str, proto: str) -> tuple[tuple[int, int], ...]:
    parts = text.split(",")
    count = 0
    out = []
    for p in parts:
        if not p:
            raise BadValue(f"empty port in {text!r}")
        out.append(_port_range(p, proto))
        count += 2 if ":" in p else 1
    if count > 15:
        raise BadValue(f"too many ports in {text!r} (multiport takes at most 15)")
    return tuple(out)


def _flags(text: str) -> int:
    v = 0
    for f in text.split(","):
        f = f.upper()
        if f == "ALL":
            v |= ALL_TCP_FLAGS
        elif f == "NONE":
            pass
        elif f in TCP_FLAG_NAMES:
            v |= m.TCP_FLAG_BITS[f]
        else:
            raise BadValue(f"unknown TCP flag {f!r}")
    return v


@lru_cache(maxsize=1024)
def _icmp_ranges(text: str, v6: bool) -> tuple[tuple[int, int], ...] | None:
    """None = any ICMP type."""
    t = text.strip()
    if "/" in t:
        a, _, b = t.partition("/")
        if a.isdigit() and read_int(a) <= 255:
            ty = read_int(a)
            if ":" in b:
                lo_s, _, hi_s = b.partition(":")
                if lo_s.isdigit() and hi_s.isdigit() and read_int(lo_s) <= read_int(hi_s) <= 255:
                    lo, hi = read_int(lo_s), read_int(hi_s)
                    if ty == 255 and lo == 0 and hi == 255 and not v6:
                        return None
                    return ((ty << 8 | lo, ty << 8 | hi),)
            elif b.isdigit() and read_int(b) <= 255:
                return ((ty << 8 | read_int(b), ty << 8 | read_int(b)),)
        raise BadValue(f"bad ICMP type {text!r}")
    r = names.icmp_type(t, v6)
    if r is None:
        raise BadValue(f"unknown ICMP{'v6' if v6 else ''} type {text!r}")
    ty, lo, hi = r
    if ty is None:
        return None
    return ((ty << 8 | lo, ty << 8 | hi),)


def _states(text: str, allowed: frozenset[str]) -> tuple[tuple[tuple[int, int], ...], list[str]]:
    vals = []
    extra = []
    for s in text.split(","):
        su = s.upper()
        if su in STATE_NUMBERS:
            vals.append(STATE_NUMBERS[su])
        elif su in allowed:
            extra.append(su)
        else:
            raise BadValue(f"unknown state {s!r}")
    vals = sorted(set(vals))
    ranges: list[tuple[int, int]] = []
    for v in vals:
        if ranges and ranges[-1][1] == v - 1:
            ranges[-1] = (ranges[-1][0], v)
        else:
            ranges.append((v, v))
    return tuple(ranges), extra


# an IPv6 zone id after an address (before a prefix length or the next address of a list)
ZONE_ID_RE = re.compile(r"%([^%/,\s]+)(?=$|[/,])")

@lru_cache(maxsize=32768)
def exact_condition(opt: str, neg: bool, vals: tuple[str, ...], proto: str, family: int) -> m.Cond | str | None:
    """The condition of one exactly modelled option; a str names conntrack states to approximate."""
    if opt in ("--sport", "--dport"):
        lo, hi = _port_range(vals[0], proto)
        return m.IntCond(m.SPORT if opt == "--sport" else m.DPORT, ((lo, hi),), neg)
    elif opt in ("--sports", "--dports"):
        r = _port_list(vals[0], proto)
        return m.IntCond(m.SPORT if opt == "--sports" else m.DPORT, r, neg)
    elif opt == "--ports":
        r = _port_list(vals[0], proto)
        return m.AnyCond((m.Match((m.IntCond(m.SPORT, r),)), m.Match((m.IntCond(m.DPORT, r),))), neg)
    elif opt == "--tcp-flags":
        mask = _flags(vals[0])
        comp = _flags(vals[1])
        return m.FlagsCond(mask, comp, neg)  # as the kernel: comp outside mask never matches
    elif opt == "--syn":
        return m.FlagsCond(0x17, 0x02, neg)
    elif opt in ("--icmp-type", "--icmpv6-type"):
        r = _icmp_ranges(vals[0], opt == "--icmpv6-type")
        if r is None:
            if neg:
                return m.IntCond(m.ICMP, ((0, 0xFFFF),), True)
            return None
        return m.IntCond(m.ICMP, r, neg)
    elif opt in ("--state", "--ctstate"):
        allowed = frozenset({"SNAT", "DNAT"}) if opt == "--ctstate" else frozenset()
        ranges, extra = _states(vals[0], allowed)
        if extra:
            return ",".join(extra)
        return m.IntCond(m.STATE, ranges, neg)
    elif opt in ("--src-range", "--dst-range"):
        a, dash, b = vals[0].partition("-")
        if not dash:
            raise BadValue(f"bad address range {vals[0]!r}")
        ra = address_ranges(a, family)
        rb = address_ranges(b, family)
        if isinstance(ra, str) or isinstance(rb, str) or len(ra) != 1 or len(rb) != 1:
            raise BadValue(f"bad address range {vals[0]!r}")
        lo, hi = ra[0][1], rb[0][1]
        if lo > hi:
            raise BadValue(f"reversed address range {vals[0]!r}")
        return m.AddrCond(m.SRC if opt == "--src-range" else m.DST, ((family, lo, hi),), neg)
    return None


_NEEDS_QUOTES = re.compile(r"[\s\"'\\]")
_cond_cache: dict = {}
module_cache: dict = {}


def shared(cls, *args):
    """One shared instance per distinct condition (cheaper than building frozen dataclasses)."""
    key = (cls, args)
    c = _cond_cache.get(key)
    if c is None:
        c = cls(*args)
        if len(_cond_cache) < 200_000:
            _cond_cache[key] = c
    return c


def cached_action(kind: str, target: str | None = None, detail: str = "") -> m.Action:
    return shared(m.Action, kind, target, detail)


def shell_quote(w: str) -> str:
    if w and not _NEEDS_QUOTES.search(w):
        return w
    return '"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"'
