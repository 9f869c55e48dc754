"""Names of protocols, ports and ICMP messages, from tables shipped with fwlint.

Layer: shared vocabulary (used by platforms and reporters). The host's /etc/services and
/etc/protocols are never read: the answer must not depend on the machine fwlint runs on.
`data/services.tsv` and `data/protocols.tsv` are Debian netbase's tables, which is what
iptables on Debian resolves names with.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

# iptables' own protocol table (xtables_chain_protos), consulted before /etc/protocols.
_XTABLES_PROTOS = {
    "tcp": 6, "sctp": 132, "udp": 17, "udplite": 136, "icmp": 1, "icmpv6": 58,
    "ipv6-icmp": 58, "esp": 50, "ah": 51, "ipv6-mh": 135, "mh": 135, "all": 0,
}


# a number read from input with more digits than this is no port, protocol, sequence number
# or mask any platform takes: it saturates to a value that every range check refuses
_MAX_DIGITS = 40
_SATURATED = 10 ** _MAX_DIGITS


def read_int(text, base: int = 10) -> int:
    """int() for numbers read from a configuration. Python refuses a digit string of more
    than 4,300 digits (ValueError, which dropped the line or the file) and takes quadratic
    time below that; a longer string of digits saturates instead (its sign kept), so that
    the caller's own range check reports it. Anything else behaves as int() does."""
    if isinstance(text, str) and len(text) > _MAX_DIGITS:
        t = text.strip().replace("_", "")
        body = t[1:] if t[:1] in "+-" else t
        if base == 0 and body[:2].lower() in ("0x", "0o", "0b"):
            body = body[2:]
        digits = "0123456789abcdef"[:16 if base in (0, 16) else base or 10]
        if body and all(c in digits for c in body.lower()):
            return -_SATURATED if t.startswith("-") else _SATURATED
        raise ValueError(f"invalid literal for int() with base {base}: {text[:20]!r}...")
    return int(text, base) if base != 10 else int(text)


def _read_tsv(name: str) -> list[list[str]]:
    text = resources.files("linter").joinpath("data", name).read_text(encoding="utf-8")
    return [ln.split("\t") for ln in text.splitlines() if ln and not ln.startswith("#")]


@lru_cache(maxsize=None)
def _protocols() -> tuple[dict[str, int], dict[int, str]]:
    by_name: dict[str, int] = {}
    by_number: dict[int, str] = {}
    for name, number, aliases in _read_tsv("protocols.tsv"):
        n = read_int(number)
        for alias in [name, *aliases.split()]:
            by_name.setdefault(alias.lower(), n)
        by_number.setdefault(n, name)
    by_name.update(_XTABLES_PROTOS)
    for name, n in (("tcp", 6), ("udp", 17), ("icmp", 1), ("icmpv6", 58), ("esp", 50), ("ah", 51),
                    ("sctp", 132), ("udplite", 136), ("gre", 47)):
        by_number[n] = name
    return by_name, by_number


@lru_cache(maxsize=None)
def _services() -> dict[tuple[str, str], int]:
    table: dict[tuple[str, str], int] = {}
    for name, proto, port in _read_tsv("services.tsv"):
        table.setdefault((name, proto), read_int(port))
    return table


def proto_number(text: str) -> int | None:
    """Protocol name or number -> number (0 means `all`). None when unknown."""
    t = text.strip().lower()
    if t.isdigit():
        n = read_int(t)
        return n if 0 <= n <= 255 else None
    return _protocols()[0].get(t)


def proto_name(number: int) -> str:
    return _protocols()[1].get(number, str(number))


def port_number(text: str, proto: str = "tcp") -> int | None:
    """Port name or number -> number, as getservbyname(name, proto) answers. None when unknown.

    iptables asks for the rule's protocol; without one (multiport with tcp/udp) tcp then udp.
    """
    t = text.strip()
    if t.isdigit():
        n = read_int(t)
        return n if 0 <= n <= 65535 else None
    services = _services()
    for p in ((proto,) if proto in ("tcp", "udp", "sctp", "dccp") else ("tcp", "udp")):
        if (t, p) in services:
            return services[(t, p)]
    if proto in ("sctp", "dccp", "udplite"):
        return services.get((t, "tcp"), services.get((t, "udp")))
    return None


# ICMP names as iptables knows them: name -> (type, code_lo, code_hi); type None = any.
ICMP_NAMES: dict[str, tuple[int | None, int, int]] = {
    "any": (None, 0, 255),
    "echo-reply": (0, 0, 255), "pong": (0, 0, 255),
    "destination-unreachable": (3, 0, 255),
    "network-unreachable": (3, 0, 0), "host-unreachable": (3, 1, 1),
    "protocol-unreachable": (3, 2, 2), "port-unreachable": (3, 3, 3),
    "fragmentation-needed": (3, 4, 4), "source-route-failed": (3, 5, 5),
    "network-unknown": (3, 6, 6), "host-unknown": (3, 7, 7),
    "network-prohibited": (3, 9, 9), "host-prohibited": (3, 10, 10),
    "TOS-network-unreachable": (3, 11, 11), "TOS-host-unreachable": (3, 12, 12),
    "communication-prohibited": (3, 13, 13), "host-precedence-violation": (3, 14, 14),
    "precedence-cutoff": (3, 15, 15),
    "source-quench": (4, 0, 255),
    "redirect": (5, 0, 255), "network-redirect": (5, 0, 0), "host-redirect": (5, 1, 1),
    "TOS-network-redirect": (5, 2, 2), "TOS-host-redirect": (5, 3, 3),
    "echo-request": (8, 0, 255), "ping": (8, 0, 255),
    "router-advertisement": (9, 0, 255), "router-solicitation": (10, 0, 255),
    "time-exceeded": (11, 0, 255), "ttl-exceeded": (11, 0, 255),
    "ttl-zero-during-transit": (11, 0, 0), "ttl-zero-during-reassembly": (11, 1, 1),
    "parameter-problem": (12, 0, 255), "ip-header-bad": (12, 0, 0),
    "required-option-missing": (12, 1, 1),
    "timestamp-request": (13, 0, 255), "timestamp-reply": (14, 0, 255),
    "address-mask-request": (17, 0, 255), "address-mask-reply": (18, 0, 255),
}

ICMPV6_NAMES: dict[str, tuple[int | None, int, int]] = {
    "destination-unreachable": (1, 0, 255), "no-route": (1, 0, 0),
    "communication-prohibited": (1, 1, 1), "beyond-scope": (1, 2, 2),
    "address-unreachable": (1, 3, 3), "port-unreachable": (1, 4, 4),
    "failed-policy": (1, 5, 5), "reject-route": (1, 6, 6),
    "packet-too-big": (2, 0, 255),
    "time-exceeded": (3, 0, 255), "ttl-exceeded": (3, 0, 255),
    "ttl-zero-during-transit": (3, 0, 0), "ttl-zero-during-reassembly": (3, 1, 1),
    "parameter-problem": (4, 0, 255), "bad-header": (4, 0, 0),
    "unknown-header-type": (4, 1, 1), "unknown-option": (4, 2, 2),
    "echo-request": (128, 0, 255), "ping": (128, 0, 255),
    "echo-reply": (129, 0, 255), "pong": (129, 0, 255),
    "mld-listener-query": (130, 0, 255), "mld-listener-report": (131, 0, 255),
    "mld-listener-done": (132, 0, 255), "mld-listener-reduction": (132, 0, 255),
    "router-solicitation": (133, 0, 255), "router-advertisement": (134, 0, 255),
    "neighbour-solicitation": (135, 0, 255), "neighbor-solicitation": (135, 0, 255),
    "neighbour-advertisement": (136, 0, 255), "neighbor-advertisement": (136, 0, 255),
    "redirect": (137, 0, 255),
}


def icmp_type(text: str, v6: bool = False) -> tuple[int | None, int, int] | None:
    """`8`, `8/0`, `echo-request` -> (type, code_lo, code_hi); type None = any ICMP. None if unknown."""
    t = text.strip()
    if "/" in t:
        a, b = t.split("/", 1)
        if a.isdigit() and b.isdigit() and read_int(a) <= 255 and read_int(b) <= 255:
            return read_int(a), read_int(b), read_int(b)
        return None
    if t.isdigit():
        n = read_int(t)
        return (n, 0, 255) if n <= 255 else None
    table = ICMPV6_NAMES if v6 else ICMP_NAMES
    if t in table:
        return table[t]
    lowered = {k.lower(): v for k, v in table.items()}
    return lowered.get(t.lower())
