"""Option values to model conditions: addresses, ports, TCP flags, ICMP types, states.

Layer: platform (iptables)."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

from ... import model as m
from ... import names
from ...names import read_int
from .vocab import _ALL_FLAGS, _IPT_FLAG_NAMES, _STATE_WORDS

# --------------------------------------------------------------------------- value parsing


class _Bad(Exception):
    """A value iptables would refuse (bad port, reversed range, unknown name)."""


@lru_cache(maxsize=65536)
def _addr_ranges(text: str, family: int) -> tuple[tuple[int, int, int], ...] | str:
    """`10.0.0.0/8,1.2.3.4` -> ranges; a str result names why it is only approximable."""
    out = []
    for part in text.split(","):
        if not part:
            raise _Bad(f"empty address in {text!r}")
        addr, slash, mask = part.partition("/")
        if "%" in addr:
            # (Python's ipaddress would read `fe80::1%eth0`; `-s` strips zone ids before)
            raise _Bad(f"zone id in {part!r}: ip6tables refuses it here")
        if family == 4 and (not slash or mask.isdigit()):
            octets = addr.split(".")
            if len(octets) == 4 and all(o.isdigit() and len(o) <= 3 and read_int(o) <= 255 for o in octets):
                plen = read_int(mask) if slash else 32
                if plen <= 32:
                    a0, a1, a2, a3 = (read_int(o) for o in octets)
                    v = (a0 << 24) | (a1 << 16) | (a2 << 8) | a3
                    maskint = (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF
                    lo = v & maskint
                    out.append((4, lo, lo | (~maskint & 0xFFFFFFFF)))
                    continue
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            if re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", addr) and re.search(r"[A-Za-z]", addr):
                return "hostname"
            raise _Bad(f"bad address {part!r}") from None
        if ip.version != family:
            raise _Bad(f"IPv{ip.version} address {part!r} in an IPv{family} ruleset")
        bits = 32 if family == 4 else 128
        full = (1 << bits) - 1
        if not slash:
            plen = bits
            maskint = full
        elif mask.isdigit():
            plen = read_int(mask)
            if plen > bits:
                raise _Bad(f"bad prefix length in {part!r}")
            maskint = (full << (bits - plen)) & full
        else:
            try:
                mip = ipaddress.ip_address(mask)
            except ValueError:
                raise _Bad(f"bad mask in {part!r}") from None
            if mip.version != family:
                raise _Bad(f"bad mask in {part!r}")
            maskint = read_int(mip)
            inv = ~maskint & full
            if inv & (inv + 1):
                return "non-contiguous-mask"
        v = read_int(ip)
        lo = v & maskint
        hi = lo | (~maskint & full)
        out.append((family, lo, hi))
    return tuple(out)


def _port(text: str, proto: str) -> int:
    n = names.port_number(text, proto)
    if n is None:
        raise _Bad(f"bad port {text!r}")
    return n


@lru_cache(maxsize=16384)
def _port_range(text: str, proto: str) -> tuple[int, int]:
    if ":" in text:
        a, _, b = text.partition(":")
        lo = _port(a, proto) if a else 0
        hi = _port(b, proto) if b else 65535
    else:
        lo = hi = _port(text, proto)
    if lo > hi:
        raise _Bad(f"reversed port range {text!r}")
    return lo, hi


@lru_cache(maxsize=4096)
def _port_list(text: str, proto: str) -> tuple[tuple[int, int], ...]:
    parts = text.split(",")
    count = 0
    out = []
    for p in parts:
        if not p:
            raise _Bad(f"empty port in {text!r}")
        out.append(_port_range(p, proto))
        count += 2 if ":" in p else 1
    if count > 15:
        raise _Bad(f"too many ports in {text!r} (multiport takes at most 15)")
    return tuple(out)


def _flags(text: str) -> int:
    v = 0
    for f in text.split(","):
        f = f.upper()
        if f == "ALL":
            v |= _ALL_FLAGS
        elif f == "NONE":
            pass
        elif f in _IPT_FLAG_NAMES:
            v |= m.TCP_FLAG_BITS[f]
        else:
            raise _Bad(f"unknown TCP flag {f!r}")
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
        raise _Bad(f"bad ICMP type {text!r}")
    r = names.icmp_type(t, v6)
    if r is None:
        raise _Bad(f"unknown ICMP{'v6' if v6 else ''} type {text!r}")
    ty, lo, hi = r
    if ty is None:
        return None
    return ((ty << 8 | lo, ty << 8 | hi),)


def _states(text: str, allowed: frozenset[str]) -> tuple[tuple[tuple[int, int], ...], list[str]]:
    vals = []
    extra = []
    for s in text.split(","):
        su = s.upper()
        if su in _STATE_WORDS:
            vals.append(_STATE_WORDS[su])
        elif su in allowed:
            extra.append(su)
        else:
            raise _Bad(f"unknown state {s!r}")
    vals = sorted(set(vals))
    ranges: list[tuple[int, int]] = []
    for v in vals:
        if ranges and ranges[-1][1] == v - 1:
            ranges[-1] = (ranges[-1][0], v)
        else:
            ranges.append((v, v))
    return tuple(ranges), extra


# an IPv6 zone id after an address (before a prefix length or the next address of a list)
_ZONE_RE = re.compile(r"%([^%/,\s]+)(?=$|[/,])")

@lru_cache(maxsize=32768)
def _exact_cond(opt: str, neg: bool, vals: tuple[str, ...], proto: str, family: int) -> m.Cond | str | None:
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
            raise _Bad(f"bad address range {vals[0]!r}")
        ra = _addr_ranges(a, family)
        rb = _addr_ranges(b, family)
        if isinstance(ra, str) or isinstance(rb, str) or len(ra) != 1 or len(rb) != 1:
            raise _Bad(f"bad address range {vals[0]!r}")
        lo, hi = ra[0][1], rb[0][1]
        if lo > hi:
            raise _Bad(f"reversed address range {vals[0]!r}")
        return m.AddrCond(m.SRC if opt == "--src-range" else m.DST, ((family, lo, hi),), neg)
    return None


_NEEDS_QUOTES = re.compile(r"[\s\"'\\]")
_cond_cache: dict = {}
_module_cache: dict = {}


def _cached(cls, *args):
    """One shared instance per distinct condition (cheaper than building frozen dataclasses)."""
    key = (cls, args)
    c = _cond_cache.get(key)
    if c is None:
        c = cls(*args)
        if len(_cond_cache) < 200_000:
            _cond_cache[key] = c
    return c


def _act(kind: str, target: str | None = None, detail: str = "") -> m.Action:
    return _cached(m.Action, kind, target, detail)


def _shell_quote(w: str) -> str:
    if w and not _NEEDS_QUOTES.search(w):
        return w
    return '"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"'
