"""The rulesets the differential test loads: corpus files, aerleon's oracle, generated ones.

(a) every file of ../shared/corpus/iptables (not netfilter-t/, which holds extension unit
    tests, not iptables-save files) with a `*filter` table, IPv4 and IPv6 (ip6tables).
(b) the iptables-save files of ../shared/oracle/aerleon/generated/iptables-save/.
(c) generated rulesets, written here in iptables-save form: one fixed ruleset that uses
    every construct the test must cover at least once, and seeded random ones that combine
    them (addresses with masks and negation, interface wildcards and negation, port ranges,
    TCP flags, ICMP types by name and number, multiport, conntrack/state, iprange, user
    chains with jump/goto/RETURN/fall-off, policies, REJECT, LOG, comment, all three hooks).

Whether the kernel accepts a ruleset is decided by loading it (tests/kernel/netns.py).
"""

from __future__ import annotations

import ipaddress
import random
import re
from dataclasses import dataclass
from pathlib import Path

from .netns import filter_block


@dataclass(frozen=True)
class Ruleset:
    name: str  # short, for reports
    path: str  # what fwlint is told the file is called
    data: bytes  # the whole file, as fwlint reads it
    source: str  # corpus | aerleon | generated
    family: int = 4  # 6: an ip6tables ruleset

    @property
    def filter_text(self) -> str | None:
        return filter_block(self.data.decode("utf-8", "replace"))

    @property
    def kernel_text(self) -> str | None:
        """The filter block as the kernel is given it: anonymised MAC addresses
        (`XX:XX:XX:XX:XX:XX` in the TUM dumps) become a documentation MAC no probe carries.
        fwlint reads the file as it is; `-m mac` is opaque to it either way."""
        block = self.filter_text
        if block is None:
            return None
        return _ANON_MAC.sub("00:00:5e:00:53:01", block)


_ANON_MAC = re.compile(r"(?<=--mac-source )(?:! )?XX:XX:XX:XX:XX:XX")


_V6_HINT = re.compile(r"(?:-p|--protocol) (?:ipv6-icmp|icmpv6|58)\b|--icmpv6-type|--reject-with icmp6-"
                      r"|(?:-s|-d|--source|--destination)\s+(?:!\s+)?[0-9a-fA-F.]*:[0-9a-fA-F:.]*(?:/\d+)?\s")


def is_ipv6(name: str, text: str) -> bool:
    """An ip6tables ruleset: IPv6 addresses, ICMPv6 or icmp6 rejects in its rules (or its name says so)."""
    return "ip6tables" in name or name.endswith(".v6") or bool(_V6_HINT.search(text))


def corpus_rulesets(shared: Path) -> tuple[list[Ruleset], list[tuple[str, str]]]:
    """(a): corpus files with a filter table, and the (file, reason) pairs left out."""
    root = shared / "corpus" / "iptables"
    out, skipped = [], []
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = f.relative_to(root).as_posix()
        if rel.startswith("netfilter-t/"):
            continue
        data = f.read_bytes()
        text = data.decode("utf-8", "replace")
        if filter_block(text) is None:
            skipped.append((rel, "no *filter table"))
            continue
        family = 6 if is_ipv6(rel, filter_block(text) or "") else 4
        out.append(Ruleset(f"corpus/{rel}", str(f), data, "corpus", family))
    return out, skipped


def aerleon_rulesets(shared: Path) -> list[Ruleset]:
    root = shared / "oracle" / "aerleon" / "generated" / "iptables-save"
    return [Ruleset(f"aerleon/{f.name}", str(f), f.read_bytes(), "aerleon") for f in sorted(root.glob("*.rules"))]


# --------------------------------------------------------------------------- generated

CONSTRUCTS = """*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:GOTO_T - [0:0]
:JUMP_T - [0:0]
:NESTED - [0:0]
:FALLOFF - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp -m tcp --tcp-flags ALL NONE -j REJECT --reject-with tcp-reset
-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,PSH,ACK,URG FIN,PSH,URG -j REJECT --reject-with icmp-port-unreachable
-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,PSH,ACK,URG SYN,ACK -j REJECT
-A INPUT -m conntrack --ctstate INVALID -j DROP
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -s 192.0.2.0/24 ! -d 192.0.2.128/25 -p tcp -m tcp --dport 22 -m comment --comment "ssh from the lab" -j ACCEPT
-A INPUT ! -s 10.0.0.0/8 -p udp -m udp --sport 1024:65535 --dport 53 -j ACCEPT
-A INPUT -s 10.1.0.0/255.255.0.0 -p tcp -m tcp ! --dport 1000:2000 -j LOG --log-prefix "not-1000-2000: "
-A INPUT -s 10.1.0.0/16 -p tcp -m tcp ! --sport 1:1023 --dport 1000:2000 -j ACCEPT
-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -m multiport --dports 80,443,8000:8080 -j JUMP_T
-A INPUT -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -j REJECT --reject-with tcp-reset
-A INPUT -p icmp -m icmp --icmp-type echo-request -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type 3/4 -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type 11 -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type host-unreachable -j DROP
-A INPUT -p icmp -m icmp ! --icmp-type 3 -j REJECT --reject-with icmp-host-prohibited
-A INPUT -i eth+ -p udp -m multiport --sports 67,68 -j ACCEPT
-A INPUT ! -i eth+ -p udp -m multiport --ports 500,4500,6000:6010 -j GOTO_T
-A INPUT -m iprange --src-range 172.16.5.10-172.16.5.20 -j JUMP_T
-A INPUT -p udp -m iprange ! --dst-range 198.51.100.0-198.51.100.99 -m udp --dport 161:162 -j FALLOFF
-A INPUT -p udp -j REJECT --reject-with icmp-port-unreachable
-A INPUT -p tcp -m tcp --syn -j REJECT
-A FORWARD -i eth0 -o eth1 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -i eth1 ! -o eth1 -s 10.0.0.0/8 -j NESTED
-A FORWARD -i ppp+ -o eth+ -p tcp -m multiport ! --dports 25,110:143 -j ACCEPT
-A FORWARD -o ppp+ -p tcp -m tcp --sport 0:1023 -j DROP
-A FORWARD -m state ! --state NEW -j REJECT --reject-with icmp-net-prohibited
-A FORWARD -p 47 -j ACCEPT
-A FORWARD -p esp -j ACCEPT
-A OUTPUT -o lo -j ACCEPT
-A OUTPUT -d 203.0.113.7/32 -p tcp -m tcp --dport 25 -j REJECT --reject-with tcp-reset
-A OUTPUT ! -o eth+ -p udp -m udp ! --dport 53 -j DROP
-A OUTPUT -d 198.51.100.0/22 -g GOTO_T
-A OUTPUT -p icmp -m icmp --icmp-type 0 -j DROP
-A OUTPUT -m conntrack ! --ctstate NEW,ESTABLISHED -j LOG
-A OUTPUT -m conntrack --ctstate INVALID -j DROP
-A GOTO_T -s 198.18.0.0/15 -j RETURN
-A GOTO_T -p udp -m udp --dport 4500 -j ACCEPT
-A GOTO_T -j DROP
-A JUMP_T -s 172.16.5.16/30 -j RETURN
-A JUMP_T -p tcp -m tcp --dport 443 -j ACCEPT
-A JUMP_T -p tcp -j NESTED
-A JUMP_T -m comment --comment "falls off the end otherwise" -j LOG --log-prefix "JUMP_T "
-A NESTED -d 10.0.0.0/9 -j RETURN
-A NESTED -p tcp -m tcp --dport 8080 -j ACCEPT
-A NESTED -j REJECT --reject-with icmp-admin-prohibited
-A FALLOFF -s 0.0.0.0/1 -j LOG
-A FALLOFF -d 198.51.100.200 -j ACCEPT
COMMIT
"""

CONSTRUCTS6 = """*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:ICMP6 - [0:0]
:SVC - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p ipv6-icmp -m conntrack --ctstate UNTRACKED -m icmp6 --icmpv6-type 143 -j REJECT
-A INPUT -m conntrack --ctstate INVALID -j DROP
-A INPUT -p ipv6-icmp -j ICMP6
-A INPUT -s 2001:db8:10::/48 ! -d 2001:db8:10:8000::/49 -p tcp -m tcp --dport 22 -m comment --comment "ssh from the lab" -j ACCEPT
-A INPUT ! -s fe80::/10 -i eth+ -p udp -m udp --sport 547 --dport 546 -j ACCEPT
-A INPUT -s fe80::/10 -p udp -m udp --dport 546 -j ACCEPT
-A INPUT -d ff02::fb/128 -p udp -m udp --dport 5353 -j ACCEPT
-A INPUT -p tcp -m multiport --dports 80,443,8000:8080 -j SVC
-A INPUT -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -j REJECT --reject-with tcp-reset
-A INPUT -p udp -j REJECT --reject-with icmp6-port-unreachable
-A INPUT -j REJECT --reject-with icmp6-adm-prohibited
-A FORWARD -i eth0 -o eth1 -m state --state NEW -j ACCEPT
-A FORWARD -i eth1 ! -o ppp+ -s 2001:db8:1::/64 -p tcp -m tcp ! --dport 1024:65535 -j ACCEPT
-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type 1 -j ACCEPT
-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type packet-too-big -j ACCEPT
-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type 3/1 -j ACCEPT
-A FORWARD -m iprange --src-range 2001:db8::10-2001:db8::1f -j REJECT
-A FORWARD -p esp -j ACCEPT
-A OUTPUT -o lo -j ACCEPT
-A OUTPUT -d 2001:db8:dead::/48 -p tcp -m tcp --dport 25 -j REJECT --reject-with tcp-reset
-A OUTPUT ! -o eth+ -p udp -m udp ! --dport 53 -j DROP
-A OUTPUT -p ipv6-icmp -m icmp6 --icmpv6-type echo-reply -j DROP
-A ICMP6 -p ipv6-icmp -m icmp6 --icmpv6-type echo-request -j ACCEPT
-A ICMP6 -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation -j ACCEPT
-A ICMP6 -p ipv6-icmp -m icmp6 --icmpv6-type 136 -j ACCEPT
-A ICMP6 -p ipv6-icmp -m icmp6 --icmpv6-type router-advertisement -j ACCEPT
-A ICMP6 -p ipv6-icmp -m icmp6 ! --icmpv6-type 2 -j RETURN
-A ICMP6 -j ACCEPT
-A SVC -s 2001:db8:bad::/48 -j RETURN
-A SVC -p tcp -m tcp --dport 443 -j ACCEPT
-A SVC -p tcp -m tcp --sport 0:1023 -j DROP
COMMIT
"""

# the most common IPv6 host ruleset shape: drop INVALID, then accept all ICMPv6
HOST6 = """*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m state --state INVALID -j DROP
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -i lo -j ACCEPT
-A INPUT -p ipv6-icmp -j ACCEPT
-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT
-A INPUT -j REJECT --reject-with icmp6-adm-prohibited
-A OUTPUT -m conntrack --ctstate INVALID -j DROP
COMMIT
"""

# a ruleset with constructs fwlint holds as opaque: its answers must come back approximate
OPAQUE = """*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p icmp -m limit --limit 1/sec --limit-burst 3 -j ACCEPT
-A INPUT -p icmp -j DROP
-A INPUT -p tcp -m tcp --dport 22 -m recent --set --name SSH --rsource
-A INPUT -p tcp -m tcp --dport 22 -m recent --update --seconds 60 --hitcount 4 --name SSH --rsource -j DROP
-A INPUT -s 10.0.0.0/8 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 80 -m connlimit --connlimit-above 20 --connlimit-mask 32 -j REJECT --reject-with tcp-reset
-A INPUT -j DROP
-A FORWARD -m statistic --mode random --probability 0.5 -j DROP
-A FORWARD -s 192.168.0.0/16 -j DROP
-A OUTPUT -m owner --uid-owner 0 -j ACCEPT
-A OUTPUT -p udp -m hashlimit --hashlimit-upto 5/sec --hashlimit-name out -j ACCEPT
-A OUTPUT -p udp -j DROP
COMMIT
"""

_ICMP_NAMED = ["echo-request", "echo-reply", "destination-unreachable", "port-unreachable",
               "host-unreachable", "fragmentation-needed", "time-exceeded", "parameter-problem",
               "timestamp-request", "redirect", "source-quench", "network-prohibited"]
_IFACE_WORDS = ["eth0", "eth1", "eth+", "ppp+", "wlan0", "br-lan", "tun+", "eth0.100", "vlan+", "bond0", "+"]


_ICMP6_NAMED = ["echo-request", "echo-reply", "destination-unreachable", "port-unreachable",
                "packet-too-big", "time-exceeded", "parameter-problem", "neighbour-solicitation",
                "neighbour-advertisement", "router-solicitation", "router-advertisement", "redirect"]


def _prefix6(rng: random.Random) -> str:
    n = rng.choice([16, 32, 48, 56, 64, 64, 96, 112, 127, 128, 0, 1, 10])
    a = rng.getrandbits(128)
    if rng.random() < 0.6:
        a = rng.choice([0x20010DB8 << 96, 0xFE80 << 112, 0xFC00 << 112, 0xFF02 << 112, 0x2A001450 << 96]) | rng.getrandbits(40)
    mask = ((1 << 128) - 1) ^ ((1 << (128 - n)) - 1) if n else 0
    text = str(ipaddress.IPv6Address(a & mask))
    return f"{text}/{n}"


def _prefix(rng: random.Random) -> str:
    n = rng.choice([8, 12, 16, 20, 23, 24, 25, 28, 30, 31, 32, 0, 1])
    a = rng.getrandbits(32)
    if rng.random() < 0.5:
        a = rng.choice([0x0A000000, 0xC0A80000, 0xAC100000, 0xC0000200, 0xC6336400]) | rng.getrandbits(12)
    mask = (0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF if n else 0
    a &= mask
    text = ".".join(str((a >> s) & 255) for s in (24, 16, 8, 0))
    if rng.random() < 0.15 and n not in (0, 32):
        m = ".".join(str((mask >> s) & 255) for s in (24, 16, 8, 0))
        return f"{text}/{m}"
    return text if n == 32 and rng.random() < 0.5 else f"{text}/{n}"


def _prange(rng: random.Random) -> str:
    a = rng.choice([rng.randint(0, 1023), rng.randint(1024, 65535), 0, 1, 1023, 1024, 65535])
    if rng.random() < 0.5:
        return str(a)
    b = min(65535, a + rng.choice([1, 2, 10, 100, 5000]))
    return f"{a}:{b}" if b > a else str(a)  # multiport refuses 65535:65535


def _neg(rng: random.Random, p: float = 0.25) -> str:
    return "! " if rng.random() < p else ""


def random_ruleset(seed: int, n_rules: int = 45, family: int = 4) -> str:
    rng = random.Random(seed if family == 4 else 1000 + seed)
    v6 = family == 6
    prefix = _prefix6 if v6 else _prefix
    icmp_p = "ipv6-icmp" if v6 else "icmp"
    users = [f"U{seed}_{i}" for i in range(rng.randint(2, 5))]
    lines = ["*filter"]
    for b in ("INPUT", "FORWARD", "OUTPUT"):
        lines.append(f":{b} {rng.choice(['ACCEPT', 'DROP'])} [0:0]")
    for u in users:
        lines.append(f":{u} - [0:0]")
    body: list[str] = []
    chains = ["INPUT", "FORWARD", "OUTPUT"] + users
    for k in range(n_rules):
        ci = rng.randrange(len(chains))
        chain = chains[ci]
        parts = [f"-A {chain}"]
        if rng.random() < 0.35:
            parts.append(f"{_neg(rng)}-s {prefix(rng)}")
        if rng.random() < 0.35:
            parts.append(f"{_neg(rng)}-d {prefix(rng)}")
        if chain != "OUTPUT" and rng.random() < 0.3:
            parts.append(f"{_neg(rng)}-i {rng.choice(_IFACE_WORDS)}")
        if chain != "INPUT" and rng.random() < 0.3:
            parts.append(f"{_neg(rng)}-o {rng.choice(_IFACE_WORDS)}")
        proto = rng.choice(["tcp", "tcp", "udp", "udp", icmp_p, None, None, "47", "esp"])
        if proto:
            parts.append(f"{_neg(rng, 0.1) if proto not in ('tcp', 'udp', icmp_p) else ''}-p {proto}")
        if proto in ("tcp", "udp"):
            if rng.random() < 0.6:
                m = [f"-m {proto}"]
                if rng.random() < 0.4:
                    m.append(f"{_neg(rng)}--sport {_prange(rng)}")
                if rng.random() < 0.7:
                    m.append(f"{_neg(rng)}--dport {_prange(rng)}")
                if proto == "tcp" and rng.random() < 0.3:
                    if rng.random() < 0.5:
                        m.append(f"{_neg(rng)}--syn")
                    else:
                        mask = rng.choice(["FIN,SYN,RST,ACK", "SYN,ACK", "ALL", "FIN,SYN", "SYN,RST,ACK,FIN,URG"])
                        comp = rng.choice(["SYN", "ACK", "NONE", "SYN,ACK", "FIN"])
                        m.append(f"{_neg(rng)}--tcp-flags {mask} {comp}")
                parts += m
            elif rng.random() < 0.7:
                opt = rng.choice(["--dports", "--sports", "--ports"])
                ports = ",".join(_prange(rng) for _ in range(rng.randint(1, 5)))
                parts.append(f"-m multiport {_neg(rng)}{opt} {ports}")
        if proto == "icmp" and rng.random() < 0.8:
            x = rng.random()
            t = rng.choice(_ICMP_NAMED) if x < 0.4 else str(rng.choice([0, 3, 8, 11, 12, 13, 5])) if x < 0.7 else f"{rng.choice([3, 5, 11, 12])}/{rng.randint(0, 5)}"
            parts.append(f"-m icmp {_neg(rng)}--icmp-type {t}")
        if proto == "ipv6-icmp" and rng.random() < 0.8:
            x = rng.random()
            t = rng.choice(_ICMP6_NAMED) if x < 0.4 else str(rng.choice([1, 2, 3, 4, 128, 129, 133, 134, 135, 136, 137, 143])) if x < 0.7 else f"{rng.choice([1, 3, 4])}/{rng.randint(0, 6)}"
            parts.append(f"-m icmp6 {_neg(rng)}--icmpv6-type {t}")
        if rng.random() < 0.12 and v6:
            lo = (0x20010DB8 << 96) | rng.getrandbits(16) << 16
            hi = lo + rng.randint(0, 300)
            parts.append(f"-m iprange {_neg(rng)}--{rng.choice(['src', 'dst'])}-range {ipaddress.IPv6Address(lo)}-{ipaddress.IPv6Address(hi)}")
        elif rng.random() < 0.12 and not v6:
            lo = rng.getrandbits(32) & 0xFFFFFF00 | rng.randint(0, 100)
            hi = lo + rng.randint(0, 150)
            ip = lambda v: ".".join(str((v >> s) & 255) for s in (24, 16, 8, 0))  # noqa: E731
            parts.append(f"-m iprange {_neg(rng)}--{rng.choice(['src', 'dst'])}-range {ip(lo)}-{ip(hi)}")
        if rng.random() < 0.15:
            states = ",".join(sorted(rng.sample(["NEW", "ESTABLISHED", "RELATED", "INVALID"], rng.randint(1, 2))))
            if rng.random() < 0.5:
                parts.append(f"-m conntrack {_neg(rng)}--ctstate {states}")
            else:
                parts.append(f"-m state {_neg(rng)}--state {states}")
        if rng.random() < 0.15:
            parts.append(f'-m comment --comment "rule {k} of seed {seed}"')
        later = [u for u in users if ci < 3 or users.index(u) > ci - 3]
        x = rng.random()
        if x < 0.25:
            tgt = "-j ACCEPT"
        elif x < 0.45:
            tgt = "-j DROP"
        elif x < 0.55:
            withs = ["", " --reject-with icmp6-port-unreachable", " --reject-with icmp6-adm-prohibited"] if v6 else [
                "", " --reject-with icmp-port-unreachable", " --reject-with icmp-host-prohibited"]
            tgt = "-j REJECT" + rng.choice(withs + ([" --reject-with tcp-reset"] if proto == "tcp" and "! -p" not in " ".join(parts) else []))
        elif x < 0.62:
            tgt = '-j LOG --log-prefix "gen: "'
        elif x < 0.7 and ci >= 3:
            tgt = "-j RETURN"
        elif later:
            tgt = f"{rng.choice(['-j', '-j', '-g'])} {rng.choice(later)}"
        else:
            tgt = "-j ACCEPT"
        parts.append(tgt)
        body.append(" ".join(parts))
    # keep the order of chains in the file as iptables-save prints them (built-ins first)
    order = {c: i for i, c in enumerate(chains)}
    body.sort(key=lambda line: order[line.split()[1]])
    return "\n".join(lines + body + ["COMMIT"]) + "\n"


def generated_rulesets(count: int = 10, count6: int = 4) -> list[Ruleset]:
    out = [Ruleset("generated/constructs.rules", "generated/constructs.rules", CONSTRUCTS.encode(), "generated"),
           Ruleset("generated/opaque.rules", "generated/opaque.rules", OPAQUE.encode(), "generated"),
           Ruleset("generated/constructs6.rules", "generated/constructs6.rules", CONSTRUCTS6.encode(), "generated", 6),
           Ruleset("generated/host6.rules", "generated/host6.rules", HOST6.encode(), "generated", 6)]
    for seed in range(1, count + 1):
        text = random_ruleset(seed)
        out.append(Ruleset(f"generated/random-{seed}.rules", f"generated/random-{seed}.rules", text.encode(), "generated"))
    for seed in range(1, count6 + 1):
        text = random_ruleset(seed, family=6)
        out.append(Ruleset(f"generated/random6-{seed}.rules", f"generated/random6-{seed}.rules", text.encode(), "generated", 6))
    return out


def all_rulesets(shared: Path) -> tuple[list[Ruleset], list[tuple[str, str]]]:
    corpus, skipped = corpus_rulesets(shared)
    return corpus + aerleon_rulesets(shared) + generated_rulesets(), skipped
