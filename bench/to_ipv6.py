#!/usr/bin/env python3
"""Turn an iptables-save file into an ip6tables-save file of the same shape.

Usage: python bench/to_ipv6.py IN [OUT]

Made for the benchmark: a real IPv4 ruleset (the TUM chair's, in the shared corpus) becomes
a real-style IPv6 one with the same chains, the same rules in the same order and the same
overlaps between them, so that fwlint's time on the two can be compared.

Addresses. IPv4 a.b.c.d/n becomes an address of 2001:db8::/32 laid out as IPv6 sites are:

    a.b   -> the site, a /48:        2001:db8:AABB::/48
    c     -> the subnet, a /64:      2001:db8:AABB:00CC::/64
    d     -> the interface id:       2001:db8:AABB:00CC::DD/128

and the prefix length n becomes 32+n (n <= 16), 40+n (16 < n <= 24) or 96+n (n > 24): a
/16 is a /48, a /24 a /64, a host a /128. The bits the layout skips are zero in every mapped
address, so the mapping keeps the prefix order: a prefix inside another maps inside it, and
disjoint prefixes stay disjoint (first-match shadowing is kept rule for rule). 0.0.0.0/0
becomes ::/0. Dotted masks (`/255.255.255.0`) are read as their prefix length.

ICMP. `-p icmp` becomes `-p ipv6-icmp`, `--icmp-type T` `--icmpv6-type T'` (the ICMPv6
counterpart), `--reject-with icmp-*` the `icmp6-*` value ip6tables has. Everything else
(conntrack, multiport, recent, mac-source, NOTRACK, comments, SNAT/DNAT targets with a mapped
address) is kept: ip6tables-restore accepts the same words.

The output is deterministic (no randomness) and is accepted by `ip6tables-restore --test`
when the input is accepted by `iptables-restore --test`.
"""

from __future__ import annotations

import argparse
import ipaddress
import re
import sys

SITE = 0x20010DB8 << 96  # 2001:db8::/32, the documentation prefix (RFC 3849)

ICMP_TYPES = {
    "echo-request": "echo-request", "8": "echo-request",
    "echo-reply": "echo-reply", "0": "echo-reply",
    "destination-unreachable": "destination-unreachable", "3": "destination-unreachable",
    "network-unreachable": "no-route", "host-unreachable": "address-unreachable",
    "port-unreachable": "port-unreachable", "fragmentation-needed": "packet-too-big",
    "communication-prohibited": "communication-prohibited",
    "time-exceeded": "time-exceeded", "11": "time-exceeded",
    "ttl-zero-during-transit": "ttl-zero-during-transit",
    "parameter-problem": "parameter-problem", "12": "parameter-problem",
    "redirect": "redirect", "5": "redirect",
    "router-advertisement": "router-advertisement", "router-solicitation": "router-solicitation",
}
REJECT_WITH = {
    "icmp-net-unreachable": "icmp6-no-route",
    "icmp-host-unreachable": "icmp6-addr-unreachable",
    "icmp-port-unreachable": "icmp6-port-unreachable",
    "icmp-proto-unreachable": "icmp6-port-unreachable",
    "icmp-net-prohibited": "icmp6-adm-prohibited",
    "icmp-host-prohibited": "icmp6-adm-prohibited",
    "icmp-admin-prohibited": "icmp6-adm-prohibited",
    "tcp-reset": "tcp-reset",
}

_ADDR_OPTS = {"-s", "--source", "--src", "-d", "--destination", "--dst", "--to-source",
              "--to-destination", "--src-range", "--dst-range", "--to"}
_V4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


def map_address(a: int) -> int:
    """IPv4 address (as an int) -> its IPv6 image: site a.b, subnet c, interface id d."""
    ab, c, d = a >> 16, (a >> 8) & 0xFF, a & 0xFF
    return SITE | (ab << 80) | (c << 64) | d


def map_prefixlen(n: int) -> int:
    """The IPv6 prefix length whose prefix is the image of an IPv4 /n (see the docstring)."""
    if n == 0:
        return 0
    if n <= 16:
        return 32 + n
    if n <= 24:
        return 40 + n
    return 96 + n


def map_network(text: str) -> str:
    """`10.1.2.0/24` -> `2001:db8:a01:2::/64`; `10.1.2.3` -> `2001:db8:a01:2::3`."""
    addr, slash, mask = text.partition("/")
    v = int(ipaddress.IPv4Address(addr))
    if not slash:
        return str(ipaddress.IPv6Address(map_address(v)))
    n = int(mask) if mask.isdigit() else ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen
    v &= (0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF
    net = ipaddress.IPv6Network((map_address(v) if n else 0, map_prefixlen(n)), strict=False)
    return str(net)


def _map_value(opt: str, value: str) -> str:
    """The value of an address option, mapped: lists, ranges, `addr:port` of NAT targets."""
    if opt in ("--to-source", "--to-destination", "--to"):
        # addr[-addr][:port[-port]] -> [addr6[-addr6]][:port] (brackets when a port follows)
        addrs, colon, ports = value.partition(":")
        mapped = "-".join(map_network(x) for x in addrs.split("-"))
        return f"[{mapped}]:{ports}" if colon else mapped
    if opt in ("--src-range", "--dst-range"):
        return "-".join(map_network(x) for x in value.split("-"))
    return ",".join(map_network(x) for x in value.split(","))


def convert_line(line: str) -> str:
    """One line of iptables-save -> one line of ip6tables-save (words split on blanks; a
    quoted comment is left as it is, its words are never options)."""
    if not line.startswith(("-A ", "-I ")):
        return line.replace("iptables-save", "ip6tables-save")
    body = line.rstrip("\r\n")
    out: list[str] = []
    words = re.split(r"( +)", body)  # keep the blanks: quoted comments come back unchanged
    prev = ""
    in_quote = False
    for w in words:
        if w.strip() == "" or in_quote:
            if w.count('"') % 2:
                in_quote = not in_quote
            out.append(w)
            continue
        if w.count('"') % 2:
            in_quote = True
        new = w
        if prev in _ADDR_OPTS and _V4.match(w):
            new = _map_value(prev, w)
        elif prev in ("-p", "--protocol") and w in ("icmp", "1"):
            new = "ipv6-icmp"
        elif prev == "-m" and w == "icmp":
            new = "icmp6"
        elif prev == "--icmp-type":
            t, _, code = w.partition("/")
            new = ICMP_TYPES.get(t, "echo-request") if not code else ICMP_TYPES.get(t, "destination-unreachable")
        elif w == "--icmp-type":
            new = "--icmpv6-type"
        elif prev == "--reject-with":
            new = REJECT_WITH.get(w, "icmp6-port-unreachable")
        out.append(new)
        prev = w
    return "".join(out) + line[len(body):]


def convert(text: str) -> str:
    return "".join(convert_line(ln) for ln in text.splitlines(keepends=True))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input", help="an iptables-save file")
    ap.add_argument("out", nargs="?", default="-", help="output file (default: standard output)")
    args = ap.parse_args(argv)
    with open(args.input, encoding="utf-8") as fh:
        text = convert(fh.read())
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
