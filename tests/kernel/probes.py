"""Which packets to send: rule boundaries first, random fill after.

The values are harvested from the ruleset text itself (a shallow read of the `-A` lines with
shlex; this is not an evaluator and decides nothing). For every rule, a probe is built that
lies inside each of the rule's conditions (taking the conditions of a jump rule that leads
to its chain for the fields the rule leaves open), then variants move one field at a time to
a boundary: a prefix's network and broadcast address and one below and above, a port
range's ends and their neighbours, the neighbouring ICMP code and type, the other protocol,
an interface that matches a `+` wildcard and one that does not, each TCP flag of a
`--tcp-flags` mask flipped. Random packets over the harvested pools and over the whole
space fill the rest. Everything is deterministic for a given seed.
"""

from __future__ import annotations

import ipaddress
import random
import shlex
import zlib
from dataclasses import dataclass, field

from linter.model import PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, Packet, default_state

from .netns import _COUNTERS_RE, IFNAMSIZ, Probe, concrete_ok

BUILTIN = ("INPUT", "FORWARD", "OUTPUT")

PROTOS = {
    "tcp": 6, "udp": 17, "icmp": 1, "gre": 47, "esp": 50, "ah": 51, "igmp": 2, "ospf": 89,
    "ipv6": 41, "ipip": 4, "vrrp": 112, "pim": 103, "ipencap": 4, "l2tp": 115, "rsvp": 46,
    "ipv6-icmp": 58, "icmpv6": 58, "icmp6": 58, "sctp": 132, "dccp": 33, "udplite": 136,
}
# no probe builder for these (extension headers, port protocols with checksums of their own)
UNBUILT = {4: {0, 132, 33, 136}, 6: {0, 43, 44, 51, 59, 60, 135, 139, 140, 132, 33, 136}}
OTHER_PROTOS = {4: (47, 50, 51, 89, 112, 4, 41), 6: (47, 50, 89, 112, 4, 41)}

ICMP_NAMES: dict[str, tuple[int, int | None]] = {
    "echo-reply": (0, None), "pong": (0, None), "destination-unreachable": (3, None),
    "network-unreachable": (3, 0), "host-unreachable": (3, 1), "protocol-unreachable": (3, 2),
    "port-unreachable": (3, 3), "fragmentation-needed": (3, 4), "source-route-failed": (3, 5),
    "network-unknown": (3, 6), "host-unknown": (3, 7), "network-prohibited": (3, 9),
    "host-prohibited": (3, 10), "TOS-network-unreachable": (3, 11), "TOS-host-unreachable": (3, 12),
    "communication-prohibited": (3, 13), "host-precedence-violation": (3, 14),
    "precedence-cutoff": (3, 15), "source-quench": (4, None), "redirect": (5, None),
    "network-redirect": (5, 0), "host-redirect": (5, 1), "TOS-network-redirect": (5, 2),
    "TOS-host-redirect": (5, 3), "echo-request": (8, None), "ping": (8, None),
    "router-advertisement": (9, None), "router-solicitation": (10, None),
    "time-exceeded": (11, None), "ttl-exceeded": (11, None), "ttl-zero-during-transit": (11, 0),
    "ttl-zero-during-reassembly": (11, 1), "parameter-problem": (12, None),
    "ip-header-bad": (12, 0), "required-option-missing": (12, 1), "timestamp-request": (13, None),
    "timestamp-reply": (14, None), "address-mask-request": (17, None), "address-mask-reply": (18, None),
}
ICMP_COMMON = {4: (0, 3, 4, 5, 8, 11, 12, 13, 14, 17, 18, 9, 10),
               6: (1, 2, 3, 4, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 143, 139, 140)}
ICMP6_NAMES: dict[str, tuple[int, int | None]] = {
    "destination-unreachable": (1, None), "no-route": (1, 0), "communication-prohibited": (1, 1),
    "beyond-scope": (1, 2), "address-unreachable": (1, 3), "port-unreachable": (1, 4),
    "failed-policy": (1, 5), "reject-route": (1, 6), "packet-too-big": (2, None),
    "time-exceeded": (3, None), "ttl-exceeded": (3, None), "ttl-zero-during-transit": (3, 0),
    "ttl-zero-during-reassembly": (3, 1), "parameter-problem": (4, None), "bad-header": (4, 0),
    "unknown-header-type": (4, 1), "unknown-option": (4, 2), "echo-request": (128, None),
    "ping": (128, None), "echo-reply": (129, None), "pong": (129, None),
    "mld-listener-query": (130, None), "mld-listener-report": (131, None),
    "mld-listener-done": (132, None), "mld-listener-reduction": (132, None),
    "router-solicitation": (133, None), "router-advertisement": (134, None),
    "neighbour-solicitation": (135, None), "neighbor-solicitation": (135, None),
    "neighbour-advertisement": (136, None), "neighbor-advertisement": (136, None),
    "redirect": (137, None),
}
COMMON_ADDRS = {
    4: (0x0A000001, 0xC0A80101, 0x7F000001, 0xAC100001, 0x08080808),
    6: (0x20010DB8 << 96 | 1, 0xFE80 << 112 | 1, 1, 0xFC00 << 112 | 1, 0x2A001450 << 96 | 0x4001,
        0xFF02 << 112 | 1, 0xFF02 << 112 | 0x1FF000001, 0x20010DB8_00010000 << 64 | 0x53),
}
FLAG_BITS = {"FIN": 1, "SYN": 2, "RST": 4, "PSH": 8, "ACK": 16, "URG": 32, "ECE": 64, "CWR": 128}


def _flags(text: str) -> int:
    if text == "ALL":  # libxt_tcp: FIN,SYN,RST,PSH,ACK,URG (ECE and CWR have no name)
        return 0x3F
    if text == "NONE":
        return 0
    return sum(FLAG_BITS.get(t, 0) for t in text.split(","))


@dataclass
class RuleFacts:
    """What one `-A` line constrains, as value pools (negation does not change the boundaries)."""

    chain: str
    target: str = ""
    src: list[tuple[int, int]] = field(default_factory=list)  # closed ranges
    dst: list[tuple[int, int]] = field(default_factory=list)
    proto: int | None = None
    sports: list[tuple[int, int]] = field(default_factory=list)
    dports: list[tuple[int, int]] = field(default_factory=list)
    icmp: list[tuple[int, int | None]] = field(default_factory=list)
    in_iface: list[str] = field(default_factory=list)
    out_iface: list[str] = field(default_factory=list)
    flags: list[tuple[int, int]] = field(default_factory=list)
    states: set[str] = field(default_factory=set)
    negated: set[str] = field(default_factory=set)


def _addr_range(text: str, family: int = 4) -> tuple[int, int] | None:
    cls, bits = (ipaddress.IPv4Address, 32) if family == 4 else (ipaddress.IPv6Address, 128)
    full = (1 << bits) - 1
    try:
        if "/" in text:
            a, m = text.split("/", 1)
            addr = int(cls(a))
            if not m.isdigit():
                mask = int(cls(m))
            else:
                n = int(m)
                mask = (full << (bits - n)) & full if n else 0
            lo = addr & mask
            return lo, lo | (~mask & full)
        a = int(cls(text))
        return a, a
    except ValueError:
        return None


def _port_range(text: str) -> tuple[int, int] | None:
    try:
        if ":" in text:
            a, b = text.split(":", 1)
            lo, hi = int(a or 0), int(b or 65535)
            return min(lo, hi), max(lo, hi)
        v = int(text)
        return v, v
    except ValueError:
        return None


def parse_rules(block: str, family: int = 4) -> tuple[list[RuleFacts], dict[str, list[int]]]:
    """Rule facts of every `-A` line and, per chain, the indexes of its rules."""
    rules: list[RuleFacts] = []
    chains: dict[str, list[int]] = {}
    for line in block.splitlines():
        line = _COUNTERS_RE.sub("", line)
        if not line.startswith("-A "):
            continue
        try:
            words = shlex.split(line)
        except ValueError:
            continue
        r = RuleFacts(chain=words[1])
        neg = False
        i = 2
        while i < len(words):
            w = words[i]
            arg = words[i + 1] if i + 1 < len(words) else ""
            if w == "!":
                neg = True
                i += 1
                continue
            if arg == "!":  # old style: -s ! 1.2.3.4
                neg = True
                i += 1
                arg = words[i + 1] if i + 1 < len(words) else ""
            n = 2
            if w in ("-s", "--source", "--src"):
                r.src += [x for x in (_addr_range(a, family) for a in arg.split(",")) if x]
                neg and r.negated.add("src")
            elif w in ("-d", "--destination", "--dst"):
                r.dst += [x for x in (_addr_range(a, family) for a in arg.split(",")) if x]
                neg and r.negated.add("dst")
            elif w in ("--src-range", "--dst-range"):
                if "-" in arg:
                    a, b = arg.split("-", 1)
                    lo, hi = _addr_range(a, family), _addr_range(b, family)
                    if lo and hi:
                        (r.src if w == "--src-range" else r.dst).append((lo[0], hi[0]))
            elif w in ("-p", "--protocol"):
                r.proto = PROTOS.get(arg.lower(), int(arg) if arg.isdigit() else None)
                neg and r.negated.add("proto")
            elif w in ("--sport", "--source-port", "--sports", "--source-ports", "--dport", "--destination-port", "--dports", "--destination-ports", "--ports"):
                rs = [x for x in (_port_range(a) for a in arg.split(",")) if x]
                if w.startswith("--s"):
                    r.sports += rs
                elif w == "--ports":
                    r.sports += rs
                    r.dports += rs
                else:
                    r.dports += rs
            elif w in ("--icmp-type", "--icmpv6-type"):
                names = ICMP_NAMES if w == "--icmp-type" else ICMP6_NAMES
                if "/" in arg:
                    t, c = arg.split("/", 1)
                    if t.isdigit() and c.isdigit():
                        r.icmp.append((int(t), int(c)))
                elif arg.isdigit():
                    r.icmp.append((int(arg), None))
                elif arg in names:
                    r.icmp.append(names[arg])
            elif w in ("-i", "--in-interface"):
                r.in_iface.append(arg)
            elif w in ("-o", "--out-interface"):
                r.out_iface.append(arg)
            elif w == "--tcp-flags":
                r.flags.append((_flags(arg), _flags(words[i + 2] if i + 2 < len(words) else "")))
                n = 3
            elif w == "--syn":
                r.flags.append((0x17, 0x02))
                n = 1
            elif w in ("--state", "--ctstate"):
                r.states |= set(arg.split(","))
            elif w in ("-j", "--jump", "-g", "--goto"):
                r.target = ("goto:" if w in ("-g", "--goto") else "") + arg
                break  # target options follow; nothing to harvest there
            elif w.startswith("-") and (not arg or arg.startswith("-")):
                n = 1
            neg = False
            i += n
        chains.setdefault(r.chain, []).append(len(rules))
        rules.append(r)
    return rules, chains


def concrete_interfaces(rules: list[RuleFacts]) -> list[str]:
    """Concrete interface names: every exact name, and for `P+` one name that matches
    (`P` itself and `P` + a suffix) and one that does not, plus two defaults and `lo`."""
    names: list[str] = ["lo", "eth0", "dflt1"]
    for r in rules:
        for n in r.in_iface + r.out_iface:
            if n.endswith("+"):
                p = n[:-1]
                cands = [p + "w", p + "w7"] if p else []
                if p:
                    cands.append(p)
                    cands.append(p[:-1] + ("q" if p[-1] != "q" else "r"))
                for c in cands:
                    c = c[:IFNAMSIZ]
                    if concrete_ok(c):
                        names.append(c)
            elif concrete_ok(n):
                names.append(n)
    return list(dict.fromkeys(names))


def _matching_names(pattern: str, names: list[str]) -> list[str]:
    if pattern.endswith("+"):
        return [n for n in names if n.startswith(pattern[:-1])]
    return [n for n in names if n == pattern]


def _hooks_of_chains(rules: list[RuleFacts], chains: dict[str, list[int]]) -> dict[str, list[tuple[str, list[int]]]]:
    """For each chain: up to six (hook, path of jump-rule indexes) ways to reach it from a built-in chain."""
    out: dict[str, list[tuple[str, list[int]]]] = {h: [(h, [])] for h in BUILTIN}
    frontier = list(BUILTIN)
    while frontier:
        c = frontier.pop()
        ways = list(out.get(c, []))
        for idx in chains.get(c, []):
            t = rules[idx].target.removeprefix("goto:")
            if t not in chains or t in BUILTIN:
                continue  # a verdict, an extension target, or an empty user chain
            known = out.setdefault(t, [])
            added = False
            for hook, path in ways:
                way = (hook, path + [idx])
                if len(known) < 6 and way not in known and idx not in path and len(path) < 8:
                    known.append(way)
                    added = True
            if added:
                frontier.append(t)
    return out


def _pick_addr(rng: random.Random, ranges: list[tuple[int, int]], boundary: bool, family: int = 4) -> int:
    lo, hi = rng.choice(ranges)
    if boundary:
        return rng.choice([lo - 1, lo, hi, hi + 1]) & ((1 << (32 if family == 4 else 128)) - 1)
    return rng.randint(lo, hi)


def _pick_port(rng: random.Random, ranges: list[tuple[int, int]], boundary: bool) -> int:
    lo, hi = rng.choice(ranges)
    if boundary:
        return min(65535, max(0, rng.choice([lo - 1, lo, lo + 1, hi - 1, hi, hi + 1])))
    return rng.randint(lo, hi)


class ProbeMaker:
    def __init__(self, block: str, seed: str, family: int = 4):
        self.family = family
        self.bits = 32 if family == 4 else 128
        self.icmp_proto = PROTO_ICMP if family == 4 else PROTO_ICMPV6
        self.rules, self.chains = parse_rules(block, family)
        self.ifaces = concrete_interfaces(self.rules)
        self.rng = random.Random(zlib.crc32(seed.encode()))
        self.reach = _hooks_of_chains(self.rules, self.chains)
        self.addr_pool: list[tuple[int, int]] = []
        self.sport_pool: list[tuple[int, int]] = []
        self.dport_pool: list[tuple[int, int]] = []
        self.icmp_pool: list[tuple[int, int | None]] = []
        self.proto_pool: list[int] = []
        for r in self.rules:
            self.addr_pool += r.src + r.dst
            self.sport_pool += r.sports
            self.dport_pool += r.dports
            self.icmp_pool += r.icmp
            if r.proto is not None and r.proto != 0:
                self.proto_pool.append(r.proto)

    # -- building blocks

    def _iface(self, patterns: list[str], match: bool = True) -> str:
        rng = self.rng
        if patterns:
            pat = rng.choice(patterns)
            hits = _matching_names(pat, self.ifaces)
            if match and hits:
                return rng.choice(hits)
            misses = [n for n in self.ifaces if n not in hits]
            if not match and misses:
                return rng.choice(misses)
        return rng.choice(self.ifaces)

    def _random_addr(self) -> int:
        rng = self.rng
        x = rng.random()
        if self.addr_pool and x < 0.5:
            return _pick_addr(rng, self.addr_pool, rng.random() < 0.5, self.family)
        if x < 0.6:
            return rng.choice(COMMON_ADDRS[self.family]) + rng.randint(0, 3)
        if self.family == 6 and x < 0.9:
            return (0x2 << 125) | rng.getrandbits(125)  # global unicast 2000::/3
        return rng.getrandbits(self.bits)

    def _is_mcast_or_bcast(self, a: int) -> bool:
        if self.family == 4:
            return a >> 28 == 0xE or a == 0xFFFFFFFF
        return a >> 120 == 0xFF

    def _finish(self, hook: str, fields: dict, kind: str) -> Probe:
        """Fill unset fields at random and make the Packet (state from default_state)."""
        rng = self.rng
        proto = fields.get("proto")
        if proto is None:
            x = rng.random()
            proto = PROTO_TCP if x < 0.4 else PROTO_UDP if x < 0.7 else self.icmp_proto if x < 0.9 else (
                rng.choice(self.proto_pool) if self.proto_pool and rng.random() < 0.5 else rng.choice(OTHER_PROTOS[self.family]))
        if proto in UNBUILT[self.family]:  # no probe builder for these: plain tcp instead
            proto = PROTO_TCP
        src = fields["src"] if "src" in fields else self._random_addr()
        dst = fields["dst"] if "dst" in fields else self._random_addr()
        for _ in range(3):  # multicast/broadcast sources never reach a hook: keep only a few
            if self._is_mcast_or_bcast(src) and "src" not in fields and rng.random() < 0.8:
                src = self._random_addr()
        if hook == "OUTPUT":
            # a raw packet with source 0 gets the route's source; one to 0.0.0.0 goes to lo
            src, dst = src or 1, dst or 1
        sport = dport = itype = icode = flags = None
        if proto in (PROTO_TCP, PROTO_UDP):
            sport = fields.get("sport")
            if sport is None:
                sport = _pick_port(rng, self.sport_pool, rng.random() < 0.5) if self.sport_pool and rng.random() < 0.4 else rng.choice([rng.randint(1024, 65535), rng.randint(0, 1023)])
            dport = fields.get("dport")
            if dport is None:
                dport = _pick_port(rng, self.dport_pool, rng.random() < 0.5) if self.dport_pool and rng.random() < 0.6 else rng.choice([rng.randint(0, 1023), rng.randint(0, 65535), 22, 80, 443, 53])
        if proto == PROTO_TCP:
            flags = fields.get("flags", 0x02)
        if proto == self.icmp_proto:
            if "icmp" in fields:
                itype, icode = fields["icmp"]
            elif self.icmp_pool and rng.random() < 0.5:
                itype, icode = rng.choice(self.icmp_pool)
                icode = icode if icode is not None else rng.choice([0, 0, 1, 3])
            else:
                itype = rng.choice(ICMP_COMMON[self.family]) if rng.random() < 0.9 else rng.randint(0, 255)
                icode = 0 if rng.random() < 0.7 else rng.randint(0, 15)
            icode = icode or 0
        in_iface = out_iface = ""
        if hook in ("INPUT", "FORWARD"):
            in_iface = fields.get("in_iface") or rng.choice(self.ifaces)
        if hook in ("OUTPUT", "FORWARD"):
            out_iface = fields.get("out_iface") or rng.choice(self.ifaces)
            if hook == "FORWARD" and out_iface == "lo":  # the kernel never forwards to lo
                out_iface = rng.choice([n for n in self.ifaces if n != "lo"])
        full = (1 << self.bits) - 1
        p = Packet(family=self.family, src=src & full, dst=dst & full, proto=proto, sport=sport, dport=dport,
                   icmp_type=itype, icmp_code=icode, tcp_flags=flags, in_iface=in_iface, out_iface=out_iface)
        state, _exact = default_state(p)
        if state != p.state:
            p = Packet(**{**p.__dict__, "state": state})
        return Probe(hook, p, kind)

    def _inside(self, r: RuleFacts, f: dict) -> None:
        """Set fields so that the packet satisfies `r`'s (positive) conditions, where unset."""
        rng = self.rng
        if r.src and "src" not in f:
            f["src"] = _pick_addr(rng, r.src, False, self.family) if "src" not in r.negated else self._random_addr()
        if r.dst and "dst" not in f:
            f["dst"] = _pick_addr(rng, r.dst, False, self.family) if "dst" not in r.negated else self._random_addr()
        if r.proto is not None and r.proto != 0 and "proto" not in f and "proto" not in r.negated:
            f["proto"] = r.proto
        if r.sports and "sport" not in f:
            f["sport"] = _pick_port(rng, r.sports, False)
        if r.dports and "dport" not in f:
            f["dport"] = _pick_port(rng, r.dports, False)
        if r.icmp and "icmp" not in f:
            t, c = rng.choice(r.icmp)
            f["icmp"] = (t, c if c is not None else rng.choice([0, 0, 1]))
        if r.in_iface and "in_iface" not in f:
            f["in_iface"] = self._iface(r.in_iface, True)
        if r.out_iface and "out_iface" not in f:
            f["out_iface"] = self._iface(r.out_iface, True)
        if r.flags and "flags" not in f:
            mask, comp = rng.choice(r.flags)
            f["flags"] = comp
        if r.states and "state" not in f:
            want = rng.choice(sorted(r.states))
            f["state"] = want
            if want == "INVALID":
                proto = f.get("proto")
                if proto == PROTO_TCP or proto is None:
                    f.setdefault("proto", PROTO_TCP)
                    f.setdefault("flags", rng.choice([0x10, 0x01, 0x12, 0x04, 0x00]))
                elif proto == self.icmp_proto:
                    f.setdefault("icmp", (rng.choice([0, 3, 11, 14] if self.family == 4 else [129, 1, 3, 135]), 0))

    def _variants(self, r: RuleFacts, base: dict) -> list[dict]:
        """One field at a time at a boundary (or just outside)."""
        rng = self.rng
        out = []
        for name, ranges in (("src", r.src), ("dst", r.dst)):
            for lo, hi in ranges[:3]:
                for v in (lo - 1, lo, hi, hi + 1):
                    out.append({**base, name: v & ((1 << self.bits) - 1)})
        for name, ranges in (("sport", r.sports), ("dport", r.dports)):
            for lo, hi in ranges[:4]:
                for v in {lo - 1, lo, lo + 1, hi - 1, hi, hi + 1}:
                    if 0 <= v <= 65535:
                        out.append({**base, name: v})
        if r.proto is not None:
            other = {PROTO_TCP: PROTO_UDP, PROTO_UDP: PROTO_TCP}.get(r.proto, PROTO_TCP)
            out.append({**base, "proto": other})
            out.append({**base, "proto": self.icmp_proto})
        for t, c in r.icmp[:3]:
            cs = [c, c + 1, c - 1] if c is not None else [0, 1, 4]
            for cc in cs:
                if cc is not None and 0 <= cc <= 255:
                    out.append({**base, "icmp": (t, cc)})
            for tt in (t - 1, t + 1):
                if 0 <= tt <= 255:
                    out.append({**base, "icmp": (tt, 0)})
        for name, pats in (("in_iface", r.in_iface), ("out_iface", r.out_iface)):
            if pats:
                for pat in pats:
                    for n in _matching_names(pat, self.ifaces)[:3]:
                        out.append({**base, name: n})
                out.append({**base, name: self._iface(pats, False)})
        for mask, comp in r.flags[:2]:
            bits = [b for b in FLAG_BITS.values() if mask & b] or [2]
            for b in rng.sample(bits, min(3, len(bits))):
                out.append({**base, "proto": PROTO_TCP, "flags": comp ^ b})
            # ECE and CWR lie outside every mask iptables can name (ALL is 0x3f)
            out.append({**base, "proto": PROTO_TCP, "flags": comp | 0x40})
            out.append({**base, "proto": PROTO_TCP, "flags": comp | 0x80})
            out.append({**base, "proto": PROTO_TCP, "flags": 0x02})
        if r.states:
            out.append({**base, "proto": PROTO_TCP, "flags": 0x02})
            out.append({**base, "proto": PROTO_TCP, "flags": 0x10})
            reply, request = (0, 8) if self.family == 4 else (129, 128)
            out.append({**base, "proto": self.icmp_proto, "icmp": (reply, 0)})
            out.append({**base, "proto": self.icmp_proto, "icmp": (request, 0)})
            if self.family == 6:  # neighbour discovery and MLD: conntrack leaves them untracked
                out.append({**base, "proto": self.icmp_proto, "icmp": (rng.choice([133, 134, 135, 136, 130, 143]), 0)})
            out.append({**base, "proto": PROTO_UDP})
        return out

    # -- the probe list

    def make(self, budget: int, rule_share: float = 0.75) -> list[Probe]:
        rng = self.rng
        directed: list[Probe] = []
        order = list(range(len(self.rules)))
        for idx in order:
            r = self.rules[idx]
            ways = self.reach.get(r.chain)
            if not ways:
                continue  # a chain no built-in chain reaches
            hook, path = rng.choice(ways)
            base: dict = {}
            self._inside(r, base)
            for j in reversed(path):
                self._inside(self.rules[j], base)
            if hook == "INPUT":
                base.pop("out_iface", None)
            if hook == "OUTPUT":
                base.pop("in_iface", None)
            directed.append(self._finish(hook, dict(base), f"rule:{idx}"))
            for v in self._variants(r, base):
                if hook == "INPUT":
                    v.pop("out_iface", None)
                if hook == "OUTPUT":
                    v.pop("in_iface", None)
                directed.append(self._finish(hook, v, f"edge:{idx}"))
        limit = int(budget * rule_share)
        if len(directed) > limit:
            directed = rng.sample(directed, limit)
        probes = directed
        while len(probes) < budget:
            hook = rng.choice(BUILTIN)
            probes.append(self._finish(hook, {}, "random"))
        rng.shuffle(probes)
        return probes


def make_probes(block: str, seed: str, budget: int, family: int = 4) -> tuple[list[Probe], list[str]]:
    """`budget` probes for the ruleset `block`, and the concrete interface names they use."""
    pm = ProbeMaker(block, seed, family)
    return pm.make(budget), pm.ifaces
