"""iptables' vocabulary: tables and built-in chains, match modules and the options each
owns, targets (what fwlint models exactly, approximates, or does not know).

Layer: platform (iptables). Data only."""

from __future__ import annotations

from ... import model as m

BUILTIN_CHAINS: dict[str, tuple[str, ...]] = {
    "filter": ("INPUT", "FORWARD", "OUTPUT"),
    "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
    "mangle": ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"),
    "raw": ("PREROUTING", "OUTPUT"),
    "security": ("INPUT", "FORWARD", "OUTPUT"),
}
HOOK_ORDER = ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING")

# --------------------------------------------------------------------------- modules and targets

# Exact match modules and the options each owns.
EXACT_MODULE_OPTIONS: dict[str, frozenset[str]] = {
    "tcp": frozenset({"--sport", "--source-port", "--dport", "--destination-port", "--tcp-flags",
                      "--syn", "--tcp-option"}),
    "udp": frozenset({"--sport", "--source-port", "--dport", "--destination-port"}),
    "udplite": frozenset({"--sport", "--source-port", "--dport", "--destination-port"}),
    "sctp": frozenset({"--sport", "--source-port", "--dport", "--destination-port", "--chunk-types"}),
    "dccp": frozenset({"--sport", "--source-port", "--dport", "--destination-port", "--dccp-types",
                       "--dccp-option"}),
    "icmp": frozenset({"--icmp-type"}),
    "icmp6": frozenset({"--icmpv6-type"}),
    "multiport": frozenset({"--sports", "--source-ports", "--dports", "--destination-ports", "--ports"}),
    "state": frozenset({"--state"}),
    "conntrack": frozenset({"--ctstate", "--ctproto", "--ctorigsrc", "--ctorigdst", "--ctreplsrc",
                            "--ctrepldst", "--ctorigsrcport", "--ctorigdstport", "--ctreplsrcport",
                            "--ctrepldstport", "--ctstatus", "--ctexpire", "--ctdir"}),
    "iprange": frozenset({"--src-range", "--dst-range"}),
    "comment": frozenset({"--comment"}),
}
# Options that take no value.
FLAG_OPTIONS = frozenset({"--syn"})
# Modules needing a protocol: module -> protocol numbers accepted.
MODULE_PROTOS = {
    "tcp": {6}, "udp": {17}, "udplite": {136}, "sctp": {132}, "dccp": {33},
    "icmp": {1}, "icmp6": {58}, "multiport": {6, 17, 33, 132, 136},
}
# The match iptables loads implicitly for `-p PROTO` options given without `-m`.
IMPLICIT_MODULE = {6: "tcp", 17: "udp", 136: "udplite", 132: "sctp", 33: "dccp", 1: "icmp", 58: "icmp6"}

# Known modules fwlint approximates with an Opaque condition whose key is the predicate
# (the same options in two rules are the same key).
PURE_MODULES = frozenset({
    "addrtype", "mac", "owner", "set", "length", "ttl", "hl", "tos", "dscp", "mark", "connmark",
    "pkttype", "physdev", "policy", "rpfilter", "string", "u32", "frag", "ipv6header", "hbh",
    "dst", "rt", "mh", "ah", "esp", "ecn", "helper", "tcpmss", "cgroup", "cluster", "connlabel",
    "cpu", "devgroup", "eui64", "ipcomp", "ipvs", "osf", "realm", "socket", "srh", "bpf",
    "l2tp", "conntrack", "sctp", "dccp", "tcp", "iprange", "geoip", "condition",
    "account", "ipp2p", "psd", "fuzzy", "nth", "random", "opts", "dnsmasq", "ipv4options",
})
# Known modules whose outcome depends on state kept per rule: the key is per occurrence.
STATEFUL_MODULES = frozenset({
    "limit", "hashlimit", "recent", "connlimit", "quota", "statistic", "time", "connbytes",
    "rateest", "nfacct", "quota2",
})
KNOWN_MODULES = frozenset(EXACT_MODULE_OPTIONS) | PURE_MODULES | STATEFUL_MODULES


def _opts(text: str) -> frozenset[str]:
    return frozenset("--" + o for o in text.split())


# The options of approximated modules, where they are well known (iptables-extensions(8)):
# options are attributed to their module, and an option no loaded module takes is reported.
# Modules not listed here take every option that follows them.
_APPROX_MODULE_OPTIONS: dict[str, frozenset[str]] = {
    "addrtype": _opts("src-type dst-type limit-iface-in limit-iface-out"),
    "mac": _opts("mac-source"),
    "owner": _opts("uid-owner gid-owner socket-exists suppl-groups pid-owner sid-owner cmd-owner"),
    "set": _opts("match-set set return-nomatch update-counters update-subcounters packets-eq packets-lt "
                 "packets-gt bytes-eq bytes-lt bytes-gt"),
    "length": _opts("length"),
    "ttl": _opts("ttl-eq ttl-gt ttl-lt"),
    "hl": _opts("hl-eq hl-gt hl-lt"),
    "tos": _opts("tos"),
    "dscp": _opts("dscp dscp-class"),
    "mark": _opts("mark"),
    "connmark": _opts("mark"),
    "pkttype": _opts("pkt-type"),
    "physdev": _opts("physdev-in physdev-out physdev-is-in physdev-is-out physdev-is-bridged"),
    "policy": _opts("dir pol strict reqid spi proto mode tunnel-src tunnel-dst next"),
    "rpfilter": _opts("loose validmark accept-local invert"),
    "string": _opts("algo from to string hex-string icase"),
    "u32": _opts("u32"),
    "helper": _opts("helper"),
    "tcpmss": _opts("mss"),
    "ecn": _opts("ecn-tcp-cwr ecn-tcp-ece ecn-ip-ect"),
    "realm": _opts("realm"),
    "cpu": _opts("cpu"),
    "devgroup": _opts("src-group dst-group"),
    "cgroup": _opts("path cgroup"),
    "socket": _opts("transparent nowildcard restore-skmark"),
    "limit": _opts("limit limit-burst"),
    "hashlimit": _opts("hashlimit hashlimit-upto hashlimit-above hashlimit-burst hashlimit-mode hashlimit-srcmask "
                       "hashlimit-dstmask hashlimit-name hashlimit-htable-size hashlimit-htable-max "
                       "hashlimit-htable-expire hashlimit-htable-gcinterval hashlimit-rate-match "
                       "hashlimit-rate-interval"),
    "recent": _opts("name set rsource rdest mask rcheck update remove seconds reap hitcount rttl"),
    "connlimit": _opts("connlimit-upto connlimit-above connlimit-mask connlimit-saddr connlimit-daddr"),
    "quota": _opts("quota"),
    "statistic": _opts("mode probability every packet"),
    "time": _opts("datestart datestop timestart timestop monthdays weekdays kerneltz contiguous utc localtz"),
    "connbytes": _opts("connbytes connbytes-dir connbytes-mode"),
    "nfacct": _opts("nfacct-name"),
}
MODULE_OPTIONS = {**_APPROX_MODULE_OPTIONS, **EXACT_MODULE_OPTIONS}

TERMINAL_TARGETS = {"ACCEPT": "accept", "DROP": "drop", "REJECT": "reject", "RETURN": "return"}
CONTINUE_TARGETS = frozenset({"LOG", "NFLOG", "ULOG", "TRACE", "AUDIT", "NFACCT"})
ALTERATION_TARGETS = {
    "MARK": "mark", "CONNMARK": "connmark", "CT": "ct", "NOTRACK": "notrack", "TCPMSS": "mss",
    "TOS": "mangle", "TTL": "mangle", "HL": "mangle", "DSCP": "mangle", "ECN": "mangle",
    "TCPOPTSTRIP": "mangle", "CHECKSUM": "checksum", "CLASSIFY": "classify",
    "SECMARK": "secmark", "CONNSECMARK": "secmark", "SET": "set", "TEE": "tee",
    "IDLETIMER": "timer", "LED": "led", "RATEEST": "rateest", "HMARK": "mark",
    "SNPT": "snpt", "DNPT": "dnpt",
}
NAT_TARGETS = {"SNAT": "snat", "DNAT": "dnat", "MASQUERADE": "masquerade", "REDIRECT": "redirect",
                "NETMAP": "netmap"}
QUEUE_TARGETS = frozenset({"QUEUE", "NFQUEUE"})
OTHER_KNOWN_TARGETS = frozenset({"TPROXY", "SYNPROXY", "MIRROR", "CLUSTERIP", "TARPIT", "DELUDE",
                                   "CHAOS"})
KNOWN_TARGETS = (frozenset(TERMINAL_TARGETS) | CONTINUE_TARGETS | frozenset(ALTERATION_TARGETS)
                 | frozenset(NAT_TARGETS) | QUEUE_TARGETS | OTHER_KNOWN_TARGETS)

STATE_NUMBERS = {s: i for i, s in enumerate(m.STATES)}
ALL_TCP_FLAGS = 0x3F  # iptables' ALL: FIN SYN RST PSH ACK URG (not ECE, CWR)
TCP_FLAG_NAMES = ("FIN", "SYN", "RST", "PSH", "ACK", "URG")  # the names libxt_tcp accepts

CACHED_OPTIONS = frozenset({"--sport", "--dport", "--sports", "--dports", "--ports", "--tcp-flags", "--syn",
                             "--icmp-type", "--icmpv6-type", "--state", "--ctstate", "--src-range",
                             "--dst-range"})


IMPLICIT_OPTIONS = {p: EXACT_MODULE_OPTIONS[name] for p, name in IMPLICIT_MODULE.items()}

OPT_ALIASES = {
    "--source-port": "--sport", "--destination-port": "--dport",
    "--source-ports": "--sports", "--destination-ports": "--dports",
}
