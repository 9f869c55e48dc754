#!/usr/bin/env python3
"""Generate a large, realistic iptables-save ruleset for benchmarking fwlint.

Usage: python bench/gen_iptables.py [N] [OUT] [--seed S] [--profile P] [--family 4|6]

N (default 100,000) is the number of `-A` rules written, over two tables:

- filter: INPUT/FORWARD (policy DROP) and OUTPUT (ACCEPT), a few hundred to a few thousand
  user chains reached by jumps (a tree: every chain is jumped to from a built-in chain or
  from a chain created before it, so there are no loops), conntrack states, multiport
  lists, port ranges, prefixes of every length drawn from a pool that repeats (as real
  configurations do), negations, interfaces and wildcards, ICMP types, TCP flags, quoted
  comments, LOG, REJECT (with and without --reject-with), DROP, ACCEPT and RETURN;
- nat: PREROUTING DNAT, POSTROUTING SNAT and MASQUERADE (about 3% of the rules).

`--family 6` writes an ip6tables-save file of the same shape: prefixes from /16 to /128
(mostly /48 sites, /56 and /64 subnets and /128 hosts of a few ULA and documentation sites
that repeat), `-p ipv6-icmp` with ICMPv6 types, `--reject-with icmp6-*`, the neighbour
discovery rules every IPv6 INPUT chain has, and an IPv6 nat table (SNAT, DNAT to
`[address]:port`, MASQUERADE).

The output is deterministic for a given N, seed, profile and family, and is accepted by
`iptables-restore --test` (`ip6tables-restore --test` for family 6; check: `python
bench/run.py --validate-only`).
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import sys
from dataclasses import dataclass, field
from typing import TextIO

VERSION = 5  # bump when the output changes (run.py keys its cached files on it)

IFACES = ["eth0", "eth1", "eth2", "ens3", "bond0", "bond0.100", "bond0.200", "br-lan",
          "wg0", "docker0"]
IFACE_WILDCARDS = ["vlan+", "tun+", "veth+", "eth+"]
COMMON_TCP = [22, 25, 53, 80, 110, 135, 143, 389, 443, 445, 465, 587, 636, 993, 995, 1433,
              2049, 3268, 3306, 3389, 5432, 5985, 5986, 6379, 8080, 8443, 9090, 9200, 27017]
COMMON_UDP = [53, 67, 68, 123, 137, 138, 161, 162, 500, 514, 1194, 1812, 1813, 4500, 5353, 51820]
ICMP_TYPES = ["echo-request", "echo-reply", "destination-unreachable", "time-exceeded",
              "parameter-problem", "fragmentation-needed", "port-unreachable"]
REJECT_WITH = ["icmp-port-unreachable", "icmp-host-prohibited", "icmp-net-unreachable",
               "icmp-admin-prohibited"]
# IPv6 counterparts (ip6tables spells ICMPv6 types and reject messages its own way)
ICMP6_TYPES = ["echo-request", "echo-reply", "destination-unreachable", "time-exceeded",
               "parameter-problem", "packet-too-big", "port-unreachable"]
REJECT6_WITH = ["icmp6-port-unreachable", "icmp6-adm-prohibited", "icmp6-no-route",
                "icmp6-addr-unreachable"]
# the sites IPv6 addresses are drawn from: a few ULA /48s and documentation /48s, so that
# prefixes and hosts repeat and nest as they do in a real IPv6 deployment
ULA_SITES = [0xFD00_0000_0000 | (0x1C3A_55 << 16) | k for k in range(8)] + \
    [0xFD7E_2B91_0400 | k for k in range(4)]
DOC_SITES = [0x2001_0DB8_0000 | k for k in range(0, 0x40, 4)]
FAMILIES = (4, 6)

TEAMS = ["web", "db", "mail", "dns", "backup", "mon", "ldap", "vpn", "ci", "k8s", "storage", "voip"]
WORDS = ["allow", "permit", "legacy", "temp", "migration", "vendor", "audit", "ops", "ticket",
         "review", "partner", "lab", "prod", "staging"]


class Pools:
    """Addresses and ports drawn from pools, so that values repeat as in real rulesets."""

    def __init__(self, rng: random.Random, n: int, family: int = 4) -> None:
        self.rng = rng
        size = max(50, min(20000, n // 5))
        if family == 6:
            self._init6(size)
            return
        nets = set()
        # mostly hosts and small subnets; broad prefixes are rare (as in real rulesets,
        # where a /8 early in a chain would shadow most of what follows)
        lengths = [8] + [12] + [16] * 3 + [20] * 3 + [22] * 3 + [24] * 24 + [26, 27, 28, 29, 30] * 2 + [32] * 30
        while len(nets) < size:
            plen = rng.choice(lengths)
            r = rng.random()
            if r < 0.4:
                value = (10 << 24) | rng.getrandbits(24)
            elif r < 0.55:
                value = (172 << 24) | ((16 + rng.getrandbits(4)) << 16) | rng.getrandbits(16)
            elif r < 0.7:
                value = (192 << 24) | (168 << 16) | rng.getrandbits(16)
            elif r < 0.75:
                value = (100 << 24) | ((64 + rng.getrandbits(6)) << 16) | rng.getrandbits(16)
            else:
                value = (rng.randint(1, 223) << 24) | rng.getrandbits(24)
            net = ipaddress.IPv4Network((value & ~((1 << (32 - plen)) - 1) & 0xFFFFFFFF, plen))
            if net.network_address.packed[0] in (0, 127):
                continue
            nets.add(net)
        self.nets = sorted(nets)
        self.hosts = [str(ipaddress.IPv4Address(rng.getrandbits(24) | (10 << 24))) for _ in range(max(20, size // 4))]

    def _init6(self, size: int) -> None:
        """IPv6 pools: /48 sites that repeat, subnets with small ids (as people number
        them), hosts with small or random interface ids; broad prefixes rare."""
        rng = self.rng
        # the IPv4 pools' shape one level down: /16 and /32 (all of a ULA's or the
        # documentation sites) as rare as the IPv4 /8 and /12, sites and their /52 and /56
        # as /16 to /22, a /64 for each /24, hosts for hosts
        lengths = [16] + [32] + [40] + [48] * 3 + [52] * 3 + [56] * 3 + [64] * 24 + \
            [96, 112, 120, 124, 126] * 2 + [128] * 30
        nets = set()
        while len(nets) < size:
            plen = rng.choice(lengths)
            r = rng.random()
            if r < 0.55:
                site = rng.choice(ULA_SITES)
            elif r < 0.75:
                site = rng.choice(DOC_SITES)
            else:  # somebody else's global site, in 2000::/5
                site = ((0x2000 + rng.getrandbits(11)) << 32) | rng.getrandbits(32)
            value = (site << 80) | self.host_bits()
            nets.add(ipaddress.IPv6Network((value & ~((1 << (128 - plen)) - 1), plen)))
        self.nets = sorted(nets)
        self.hosts = [str(ipaddress.IPv6Address((rng.choice(ULA_SITES) << 80) | self.host_bits()))
                      for _ in range(max(20, size // 4))]

    def host_bits(self) -> int:
        """The low 80 bits of an address: a subnet id (mostly small) and an interface id
        (small, as numbered by hand, or random, as SLAAC picks)."""
        rng = self.rng
        subnet = rng.randrange(256) if rng.random() < 0.5 else rng.getrandbits(16)
        iid = rng.randrange(1, 4096) if rng.random() < 0.6 else rng.getrandbits(64)
        return (subnet << 64) | iid

    def net(self) -> str:
        net = self.rng.choice(self.nets)
        return str(net.network_address) + "/" + str(net.prefixlen)

    def host(self) -> str:
        return self.rng.choice(self.hosts)


@dataclass
class Scope:
    """What the jump into a user chain restricts: the chain's rules stay inside it (as they
    do in real rulesets, where a chain per subnet or per interface holds that subnet's rules)."""

    root: str  # the built-in chain the jumps start from
    src: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    dst: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    iface: str | None = None
    proto: str | None = None
    subnets: list = field(default_factory=list)  # the addresses this chain's rules use

    def jump_conditions(self) -> list[str]:
        parts = []
        if self.src:
            parts.append(f"-s {self.src}")
        if self.dst:
            parts.append(f"-d {self.dst}")
        if self.iface:
            parts.append(f"{'-o' if self.root == 'OUTPUT' else '-i'} {self.iface}")
        if self.proto:
            parts.append(f"-p {self.proto}")
        return parts


PROFILES = ("realistic", "adversarial")


class Generator:
    """`realistic`: the rules of a chain combine a few client networks, servers and services
    of that chain (as per-server or per-service chains in real large rulesets do), mostly
    single destination ports and ACCEPT. `adversarial`: every field drawn independently for
    every rule (random source-port lists, interfaces and states everywhere): the worst case
    for a BDD, kept for the scaling table."""

    def __init__(self, n: int, seed: int, profile: str = "realistic", family: int = 4) -> None:
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}")
        if family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}")
        self.n = n
        self.rng = random.Random(seed)
        self.family = family
        self.pools = Pools(self.rng, n, family)
        self.profile = profile
        # the words that differ between iptables and ip6tables
        self.icmp = "icmp" if family == 4 else "ipv6-icmp"
        self.icmp_match = "-m icmp --icmp-type" if family == 4 else "-m icmp6 --icmpv6-type"
        self.icmp_types = ICMP_TYPES if family == 4 else ICMP6_TYPES
        self.reject_with = REJECT_WITH if family == 4 else REJECT6_WITH
        self.bits = 32 if family == 4 else 128
        self._chain_pools: dict[str, tuple[list[str], list[str], list[str]]] = {}

    def chain_pool(self, chain: str, scope: Scope | None) -> tuple[list[str], list[str], list[str]]:
        """(sources, destinations, port options) a realistic chain keeps reusing."""
        pool = self._chain_pools.get(chain)
        if pool is None:
            rng = self.rng
            inside = [str(net) for kind, net in scope.subnets] if scope and scope.subnets else []
            srcs = ([n for k, n in (scope.subnets if scope else []) if k == "s"] and
                    [str(n) for k, n in scope.subnets if k == "s"]) or \
                [self.pools.net() for _ in range(rng.randint(10, 30))]
            dsts = ([str(n) for k, n in (scope.subnets if scope else []) if k == "d"]
                    or [self.pools.host() for _ in range(rng.randint(5, 15))])
            if scope and scope.src is not None:
                dsts = [self.pools.host() for _ in range(rng.randint(5, 15))]
            ports = []
            for _ in range(rng.randint(6, 16)):
                proto = scope.proto if scope and scope.proto else rng.choice(["tcp", "tcp", "tcp", "udp"])
                common = COMMON_TCP if proto == "tcp" else COMMON_UDP
                r = rng.random()
                if r < 0.75:
                    ports.append(f"-p {proto} -m {proto} --dport {rng.choice(common)}")
                elif r < 0.93:
                    ps = rng.sample(common, rng.randint(2, 5))
                    ports.append(f"-p {proto} -m multiport --dports {','.join(map(str, ps))}")
                else:
                    lo = rng.choice([1024, 5000, 8000, 49152])
                    ports.append(f"-p {proto} -m {proto} --dport {lo}:{lo + rng.choice([9, 99, 999])}")
            del inside
            pool = self._chain_pools[chain] = (srcs, dsts, ports)
        return pool

    def realistic_rule(self, chain: str, builtin: bool, scope: Scope | None) -> str:
        rng = self.rng
        srcs, dsts, ports = self.chain_pool(chain, scope)
        parts = [f"-A {chain}"]
        has_src = rng.random() < 0.96
        if has_src:
            # mostly the chain's own client networks; sometimes a one-off host
            parts.append(f"-s {rng.choice(srcs) if rng.random() < 0.7 else self.pools.host()}")
        if rng.random() < 0.9 or not has_src:
            parts.append(f"-d {rng.choice(dsts)}")
        root = scope.root if scope else chain
        if builtin and root != "OUTPUT" and rng.random() < 0.3:
            parts.append(f"-i {rng.choice(IFACES)}")
        r = rng.random()
        if r < 0.9:
            parts.append(rng.choice(ports))
        elif r < 0.95:
            parts.append(f"-p {self.icmp} {self.icmp_match} echo-request")
        if rng.random() < 0.3:
            parts.append("-m conntrack --ctstate NEW")
        if rng.random() < 0.4:
            parts.append(self.comment())
        r = rng.random()
        if r < 0.78:
            parts.append("-j ACCEPT")
        elif r < 0.88:
            parts.append("-j DROP")
        elif r < 0.93:
            parts.append(f"-j REJECT --reject-with {self.reject_with[0]}")
        else:
            parts.append(f'-j LOG --log-prefix "{rng.choice(TEAMS)}-seen: "')
        return " ".join(parts)

    # ------------------------------------------------------------------ pieces of a rule

    def network(self, value: int, plen: int) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        """The prefix of this family holding value, of length plen."""
        full = (1 << self.bits) - 1
        value &= ~((1 << (self.bits - plen)) - 1) & full
        return ipaddress.IPv4Network((value, plen)) if self.family == 4 else ipaddress.IPv6Network((value, plen))

    def subnet_of(self, net, min_extra: int = 0):
        """A random subnet of net, mostly hosts and /24-/30 (never shorter than net + min_extra);
        IPv6: the same shares one level down (a /64 for each /24, /96-/126 for /26-/30)."""
        if self.family == 6:
            lengths = [p for p in (52, 56, 64, 64, 64, 96, 112, 120, 124, 126, 128, 128, 128, 128)
                       if p >= net.prefixlen + min_extra] or [128]
            plen = self.rng.choice(lengths)
            value = int(net.network_address) | (self.rng.getrandbits(128 - net.prefixlen) if net.prefixlen < 128 else 0)
            return self.network(value, plen)
        lengths = [p for p in (20, 22, 24, 24, 24, 26, 27, 28, 29, 30, 32, 32, 32, 32)
                   if p >= net.prefixlen + min_extra] or [32]
        plen = self.rng.choice(lengths)
        value = int(net.network_address) | (self.rng.getrandbits(32 - net.prefixlen) if net.prefixlen < 32 else 0)
        return ipaddress.IPv4Network((value & ~((1 << (32 - plen)) - 1) & 0xFFFFFFFF, plen))

    def scope_for(self, parent: str, parent_scope: Scope | None) -> Scope:
        """The scope of a new chain jumped to from `parent` (narrower than the parent's)."""
        rng = self.rng
        if parent_scope is None:
            sc = Scope(root=parent)
            r = rng.random()
            if self.profile == "realistic":
                # a chain per server network (or per zone interface), as real large rulesets
                # are organised: every top-level chain is entered for its own networks
                r = 0.5 if r < 0.8 else 0.8
            if self.family == 6:
                self.scope6(sc, r)
            elif r < 0.4:
                net = ipaddress.IPv4Network(self.pools.net())
                if rng.random() < 0.5 and net.prefixlen >= 16:
                    sc.src = net.supernet(new_prefix=16)
                else:
                    sc.src = ipaddress.IPv4Network(((10 << 24) | (rng.getrandbits(8) << 16), 16))
            elif r < 0.7:
                sc.dst = self.subnet_of(ipaddress.IPv4Network(rng.choice(["10.0.0.0/8", "172.16.0.0/12",
                                                                          "192.168.0.0/16"])), 4)
                if sc.dst.prefixlen > 20:
                    sc.dst = sc.dst.supernet(new_prefix=20)
            elif r < 0.85:
                sc.iface = rng.choice(IFACES + IFACE_WILDCARDS)
        else:
            sc = Scope(parent_scope.root, parent_scope.src, parent_scope.dst, parent_scope.iface,
                       parent_scope.proto)
            # a nested chain narrows its parent's prefix by 4 bits (IPv4 down to /28, IPv6 /68)
            narrowest = 24 if self.family == 4 else 64
            if sc.src is not None and sc.src.prefixlen <= narrowest and rng.random() < 0.6:
                sc.src = self.network(int(sc.src.network_address) |
                                      (rng.getrandbits(4) << (self.bits - 4 - sc.src.prefixlen)),
                                      sc.src.prefixlen + 4)
            elif sc.dst is not None and sc.dst.prefixlen <= narrowest and rng.random() < 0.6:
                sc.dst = self.network(int(sc.dst.network_address) |
                                      (rng.getrandbits(4) << (self.bits - 4 - sc.dst.prefixlen)),
                                      sc.dst.prefixlen + 4)
            elif sc.proto is None:
                sc.proto = rng.choice(["tcp", "tcp", "udp"])
        # the addresses this chain's rules use: a few, repeated
        sc.subnets = []
        for _ in range(rng.randint(8, 30)):
            if sc.src is not None:
                sc.subnets.append(("s", self.subnet_of(sc.src)))
            elif sc.dst is not None:
                sc.subnets.append(("d", self.subnet_of(sc.dst)))
        return sc

    def scope6(self, sc: Scope, r: float) -> None:
        """The scope of a top-level IPv6 chain: a client site (/48), a server network (/56 of
        one of our sites) or an interface, in the IPv4 scopes' proportions."""
        rng = self.rng
        if r < 0.4:
            net = ipaddress.IPv6Network(self.pools.net())
            if rng.random() < 0.5 and net.prefixlen >= 48:
                sc.src = net.supernet(new_prefix=48)
            else:
                sc.src = self.network(rng.choice(ULA_SITES) << 80, 48)
        elif r < 0.7:
            site = self.network(rng.choice(ULA_SITES + DOC_SITES) << 80, 48)
            sc.dst = self.subnet_of(site, 4)
            if sc.dst.prefixlen > 56:
                sc.dst = sc.dst.supernet(new_prefix=56)
        elif r < 0.85:
            sc.iface = rng.choice(IFACES + IFACE_WILDCARDS)

    def addr(self, flag: str) -> str:
        neg = "! " if self.rng.random() < 0.01 else ""
        a = self.pools.net()
        return f"{neg}{flag} {a}"

    def iface(self, flag: str) -> str:
        r = self.rng.random()
        name = self.rng.choice(IFACE_WILDCARDS) if r < 0.15 else self.rng.choice(IFACES)
        neg = "! " if self.rng.random() < 0.05 else ""
        return f"{neg}{flag} {name}"

    def ports(self, proto: str) -> str:
        rng = self.rng
        common = COMMON_TCP if proto == "tcp" else COMMON_UDP
        r = rng.random()
        if r < 0.45:
            return f"-m {proto} --dport {rng.choice(common)}"
        if r < 0.60:
            lo = rng.choice([1024, 3000, 5000, 8000, 10000, 30000, 49152, rng.randint(1, 60000)])
            hi = min(65535, lo + rng.choice([1, 9, 99, 1000, 5535, rng.randint(1, 4000)]))
            neg = "! " if rng.random() < 0.05 else ""
            return f"-m {proto} {neg}--dport {lo}:{hi}"
        if r < 0.85:
            k = rng.randint(2, 12)
            items = []
            slots = 0  # multiport takes at most 15 ports, a range counting as two
            for p in rng.sample(common, min(k, len(common))):
                if rng.random() < 0.1 and slots <= 13:
                    items.append(f"{p}:{min(65535, p + rng.randint(1, 20))}")
                    slots += 2
                elif slots <= 14:
                    items.append(str(p))
                    slots += 1
            which = rng.choice(["--dports", "--dports", "--dports", "--sports", "--ports"])
            return f"-m multiport {which} {','.join(items)}"
        if r < 0.93:
            return (f"-m {proto} --sport {rng.randint(1024, 65535)} "
                    f"--dport {rng.choice(common)}")
        return f"-m {proto} --sport {rng.choice(common)}"

    def comment(self) -> str:
        rng = self.rng
        team = rng.choice(TEAMS)
        text = f"{team} {rng.choice(WORDS)} {rng.choice(WORDS)} (FW-{rng.randint(100, 99999)})"
        if rng.random() < 0.2:
            text = f"{team}: {rng.choice(WORDS)} - owner {rng.choice(TEAMS)}-team"
        return f'-m comment --comment "{text}"'

    def state(self, builtin: bool) -> str:
        # ESTABLISHED/RELATED/INVALID are decided at the head of INPUT and FORWARD; only user
        # chains (also reached from OUTPUT) mention them again
        if builtin:
            return "-m conntrack --ctstate NEW"
        return "-m conntrack --ctstate " + self.rng.choice(
            ["NEW"] * 12 + ["ESTABLISHED,RELATED", "RELATED,ESTABLISHED", "INVALID", "NEW,ESTABLISHED"])

    def verdict(self, proto: str, can_return: bool) -> str:
        r = self.rng.random()
        if r < 0.55:
            return "-j ACCEPT"
        if r < 0.72:
            return "-j DROP"
        if r < 0.84:
            if proto == "tcp" and self.rng.random() < 0.5:
                return "-j REJECT --reject-with tcp-reset"
            if self.rng.random() < 0.3:
                return "-j REJECT"
            return f"-j REJECT --reject-with {self.rng.choice(self.reject_with)}"
        if r < 0.94:
            prefix = f"{self.rng.choice(TEAMS)}-{self.rng.choice(['drop', 'acc', 'rej', 'seen'])}: "
            return f'-j LOG --log-prefix "{prefix}" --log-level {self.rng.choice([4, 6, 7])}'
        return "-j RETURN" if can_return else "-j DROP"

    def filter_rule(self, chain: str, builtin: bool, scope: Scope | None = None) -> str:
        if self.profile == "realistic":
            return self.realistic_rule(chain, builtin, scope)
        rng = self.rng
        parts = [f"-A {chain}"]
        root = scope.root if scope else chain
        # most rules of a large ruleset are specific: a rule with neither address is rare
        has_src = rng.random() < 0.85
        has_dst = rng.random() < 0.8 or (not has_src and rng.random() < 0.9)
        inside = [net for kind, net in scope.subnets] if scope and scope.subnets else []
        if scope and scope.src is not None:
            parts.append(f"-s {rng.choice(inside)}" if has_src and inside else "")
            if has_dst:
                parts.append(self.addr("-d"))
        elif scope and scope.dst is not None:
            if has_src:
                parts.append(self.addr("-s"))
            parts.append(f"-d {rng.choice(inside)}" if has_dst and inside else "")
        else:
            if has_src:
                parts.append(self.addr("-s"))
            if has_dst:
                parts.append(self.addr("-d"))
        if root != "OUTPUT" and not (scope and scope.iface) and rng.random() < 0.3:
            parts.append(self.iface("-i"))
        if root != "INPUT" and not (scope and scope.iface and root == "OUTPUT") and rng.random() < 0.2:
            parts.append(self.iface("-o"))
        if scope and scope.proto:
            proto = scope.proto
        else:
            r = rng.random()
            proto = "tcp" if r < 0.6 else "udp" if r < 0.82 else self.icmp if r < 0.92 else ""
        if proto:
            parts.append(f"-p {proto}")
        if proto in ("tcp", "udp") and rng.random() < 0.9:
            parts.append(self.ports(proto))
            if proto == "tcp" and rng.random() < 0.05:
                parts.append("-m tcp --tcp-flags FIN,SYN,RST,ACK SYN")
        elif proto == self.icmp and rng.random() < 0.7:
            parts.append(f"{self.icmp_match} {rng.choice(self.icmp_types)}")
        if rng.random() < 0.35:
            parts.append(self.state(builtin))
        if rng.random() < 0.4:
            parts.append(self.comment())
        parts.append(self.verdict(proto, can_return=not builtin))
        return " ".join(p for p in parts if p)

    # ------------------------------------------------------------------ the tables

    def write(self, out: TextIO) -> None:
        rng = self.rng
        n_nat = max(3, self.n * 3 // 100)
        n_filter = self.n - n_nat
        n_chains = max(3, n_filter // 100)
        chains = [f"{rng.choice(TEAMS).upper()}-{i:05d}" for i in range(n_chains)]
        body: dict[str, list[str]] = {c: [] for c in ["INPUT", "FORWARD", "OUTPUT"] + chains}

        # the head of the built-in chains: what every real ruleset starts with
        head = {
            "INPUT": ["-A INPUT -i lo -j ACCEPT",
                      "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
                      "-A INPUT -m conntrack --ctstate INVALID -j DROP",
                      "-A INPUT -p icmp -m icmp --icmp-type 8 -m limit --limit 5/sec -j ACCEPT"],
            "FORWARD": ["-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
                        "-A FORWARD -m conntrack --ctstate INVALID -j DROP"],
            "OUTPUT": ["-A OUTPUT -o lo -j ACCEPT"],
        }
        if self.family == 6:
            # ICMPv6 echo (type 128), and neighbour and router discovery, without which an
            # IPv6 host is cut off
            head["INPUT"][3:] = [
                "-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128 -m limit --limit 5/sec -j ACCEPT",
                *(f"-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type {t} -m hl --hl-eq 255 -j ACCEPT"
                  for t in ("neighbour-solicitation", "neighbour-advertisement", "router-advertisement"))]
        tail = {
            "INPUT": ['-A INPUT -m limit --limit 10/min -j LOG --log-prefix "INPUT drop: " --log-level 4',
                      "-A INPUT -j REJECT --reject-with "
                      + ("icmp-host-prohibited" if self.family == 4 else "icmp6-adm-prohibited")],
            "FORWARD": ['-A FORWARD -j LOG --log-prefix "FORWARD drop: "', "-A FORWARD -j DROP"],
            "OUTPUT": [],
        }
        fixed = sum(len(v) for v in head.values()) + sum(len(v) for v in tail.values())

        # the jump tree: chain i is entered from a built-in chain or from an earlier chain,
        # under conditions (its scope) that its own rules stay inside
        scopes: dict[str, Scope] = {}
        jumps = 0
        for i, c in enumerate(chains):
            if i < 8 or rng.random() < 0.4:
                parent = rng.choice(["INPUT", "FORWARD", "FORWARD", "OUTPUT"])
                scopes[c] = self.scope_for(parent, None)
            else:
                parent = chains[rng.randrange(max(0, i - 50), i)]
                scopes[c] = self.scope_for(parent, scopes[parent])
            parts = [f"-A {parent}"] + scopes[c].jump_conditions()
            parts.append(f"-j {c}" if rng.random() < 0.9 else f"-g {c}")
            body[parent].append(" ".join(parts))
            jumps += 1

        remaining = max(0, n_filter - fixed - jumps)
        names = list(body)
        # the built-in chains hold about 8% of the rules, the user chains the rest
        share = (0.03, 0.04, 0.01) if self.profile != "realistic" else (0.005, 0.01, 0.003)
        weights = [n_chains * w / (1 - sum(share)) for w in share] + [1.0] * n_chains
        tot = sum(weights)
        for name, w in zip(names, weights, strict=False):
            k = int(remaining * w / tot)
            builtin = name in ("INPUT", "FORWARD", "OUTPUT")
            body[name].extend(self.filter_rule(name, builtin, scopes.get(name)) for _ in range(k))
        # round-off goes to the last chain
        written = fixed + sum(len(v) for v in body.values())
        body[names[-1]].extend(self.filter_rule(names[-1], False, scopes.get(names[-1]))
                               for _ in range(n_filter - written))
        jump_targets = {f"-j {c}" for c in chains} | {f"-g {c}" for c in chains}
        for name in names:
            rng.shuffle(body[name])  # jumps between ordinary rules, not all at the top
            rules = body[name]
            if (name not in ("INPUT", "FORWARD", "OUTPUT") and rules and rng.random() < 0.3
                    and not any(rules[-1].endswith(t) for t in jump_targets)):
                # a conditional early return in place of the last rule (the count stays N)
                rules[-1] = f"-A {name} -s {self.pools.net()} -j RETURN"

        tool = "bench/gen_iptables.py" + (" --family 6, ip6tables-save" if self.family == 6 else "")
        out.write(f"# Generated by fwlint {tool} (seeded; not a real configuration)\n")
        out.write("*filter\n")
        out.write(":INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n")
        for c in chains:
            out.write(f":{c} - [0:0]\n")
        for name in ["INPUT", "FORWARD", "OUTPUT"]:
            for line in head[name] + body[name] + tail[name]:
                out.write(line + "\n")
        for c in chains:
            for line in body[c]:
                out.write(line + "\n")
        out.write("COMMIT\n")
        self.write_nat(out, n_nat)

    def write_nat(self, out: TextIO, n: int) -> None:
        rng = self.rng
        out.write("*nat\n")
        out.write(":PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                  ":POSTROUTING ACCEPT [0:0]\n")
        n_masq = max(1, n // 20)
        n_snat = max(1, n // 4)
        n_dnat = max(1, n - n_masq - n_snat)
        for _ in range(n_dnat):
            proto = rng.choice(["tcp", "tcp", "udp"])
            port = rng.choice(COMMON_TCP if proto == "tcp" else COMMON_UDP)
            ext = rng.choice([port, rng.randint(1024, 65535)])
            parts = ["-A PREROUTING"]
            if rng.random() < 0.3:
                parts.append(f"-s {self.pools.net()}")
            parts.append(f"-d {self.pools.host()}/{self.bits}")
            if rng.random() < 0.6:
                parts.append(f"-i {rng.choice(['eth0', 'eth1', 'bond0'])}")
            parts.append(f"-p {proto} -m {proto} --dport {ext}")
            if rng.random() < 0.3:
                parts.append(self.comment())
            to = f"{self.pools.host()}:{port}" if self.family == 4 else f"[{self.pools.host()}]:{port}"
            parts.append(f"-j DNAT --to-destination {to}")
            out.write(" ".join(parts) + "\n")
        for _ in range(n_snat):
            parts = ["-A POSTROUTING", f"-s {self.pools.net()}"]
            if rng.random() < 0.5:
                parts.append(f"-d {self.pools.net()}")
            parts.append(f"-o {rng.choice(['eth0', 'eth1', 'bond0'])}")
            parts.append(f"-j SNAT --to-source {self.pools.host()}")
            out.write(" ".join(parts) + "\n")
        for _ in range(n_masq):
            parts = ["-A POSTROUTING", f"-s {self.pools.net()}", f"-o {rng.choice(['eth0', 'wg0', 'ppp0'])}",
                     "-j MASQUERADE"]
            out.write(" ".join(parts) + "\n")
        out.write("COMMIT\n")


MIN_RULES = 50  # below this the fixed head and tail of the chains would not fit


def generate(n: int, path: str, seed: int = 2013, profile: str = "realistic", family: int = 4) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        Generator(n, seed, profile, family).write(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=100_000, help="number of rules (default 100000)")
    ap.add_argument("out", nargs="?", default="-", help="output file (default: standard output)")
    ap.add_argument("--seed", type=int, default=2013)
    ap.add_argument("--profile", choices=PROFILES, default="realistic",
                    help="realistic (default) or adversarial (every field random: a BDD worst case)")
    ap.add_argument("--family", type=int, choices=FAMILIES, default=4,
                    help="4 (default): iptables-save; 6: ip6tables-save of the same shape")
    args = ap.parse_args(argv)
    if args.n < MIN_RULES:
        ap.error(f"N must be at least {MIN_RULES}")
    if args.out == "-":
        Generator(args.n, args.seed, args.profile, args.family).write(sys.stdout)
    else:
        generate(args.n, args.out, args.seed, args.profile, args.family)
    return 0


if __name__ == "__main__":
    sys.exit(main())
