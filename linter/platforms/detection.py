"""Which platform a configuration is written for, told from its text.

Layer: platform. One function per platform, apart from the parsers: `api.detect` tries them
in the order of `platforms.PLATFORMS` and imports only the parser of the platform found (an
ASA configuration no longer imports the iptables, pf and IOS modules to be told apart from
them). Each platform module re-exports its function as `detect`.
"""

from __future__ import annotations

import re


class _Pattern:
    """A regular expression compiled on its first use: telling an iptables file apart costs
    only the iptables pattern, not the compilation of every platform's (IOS and ASA have
    large ones; compiling all of them took 8 ms of a one-rule check)."""

    __slots__ = ("_args", "_compiled")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    def _get(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(*self._args)
        return self._compiled

    def search(self, text: str) -> re.Match[str] | None:
        return self._get().search(text)

    def match(self, text: str) -> re.Match[str] | None:
        return self._get().match(text)

    def finditer(self, text: str):
        return self._get().finditer(text)

# --------------------------------------------------------------------------- iptables

_IPTABLES_SAVE_RE = _Pattern(
    r"^(?:\*(?:filter|nat|mangle|raw|security)[ \t]*\r?$"
    r"|:[^\s:]+[ \t]+(?:ACCEPT|DROP|-)(?:[ \t]+\[\d+:\d+\])?[ \t]*\r?$"
    r"|(?:\[\d+:\d+\][ \t]+)?(?:-A|--append|-I|--insert|-N|--new-chain|-P|--policy)[ \t]+\S+"
    r"|#[^\n]*ip6?tables-save)",
    re.M,
)


def iptables(text: str) -> bool:
    """Is this iptables-save / ip6tables-save / iptables-restore input?"""
    return _IPTABLES_SAVE_RE.search(text[:200_000]) is not None


# --------------------------------------------------------------------------- pf

_PF_NOT_IPTABLES_RE = _Pattern(
    r"^(?:\*(?:filter|nat|mangle|raw|security)\s*$|:[^\s:]+\s+(?:ACCEPT|DROP|-)\b|-A\s+\S|COMMIT\s*$)", re.M)
# the start of a pf statement: a keyword and what pf expects after it (prose such as
# "pass: ..." or "set to block" in a README is not pf); a macro definition alone is not enough
_PF_LINE_RE = _Pattern(
    r"^[ \t]*(?:"
    r"(?:pass|block|match)[ \t]*$"
    r"|table[ \t]+<"
    r"|set[ \t]+(?:skip|block-policy|state-policy|optimization|limit|timeout|loginterface|hostid|require-order"
    r"|fingerprints|debug|reassemble|ruleset-optimization|syncookies|state-defaults|prio|keepcounters)\b"
    r"|anchor[ \t]+[\"']?[\w/*-]"
    r"|scrub[ \t]+(?:in|out|on|all|log)\b"
    r"|(?:nat|rdr|binat)[ \t]+(?:pass[ \t]+)?(?:on|from|inet6?|log|proto)\b"
    r"|antispoof[ \t]|altq[ \t]+on\b|queue[ \t]+\S"
    r"|(?:nat|rdr|binat)-anchor[ \t]|load[ \t]+anchor\b|include[ \t]+[\"']"
    r")", re.M)


def pf(text: str) -> bool:
    """Is this pf.conf text? (iptables-save text, which starts with `*filter`, `:CHAIN`, `-A`, is not.)"""
    head = text[:200_000]
    if "\x00" in head[:8192]:
        return False
    if _PF_NOT_IPTABLES_RE.search(head):
        return False
    if _PF_LINE_RE.search(head) is not None:
        return True
    # pass / block / match followed by a word of pf's vocabulary
    for mt in _PF_RULE_START_RE.finditer(head):
        if mt.group(1).split("(")[0] in PF_KEYWORDS:
            return True
    # a file of macro definitions only (pfctl's regress has some)
    lines = [ln.strip() for ln in head.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return bool(lines) and all(_PF_MACRO_RE.match(ln) for ln in lines)


_PF_RULE_START_RE = _Pattern(r"^[ \t]*(?:pass|block|match)[ \t]+([a-z][a-z0-9-]*)", re.M)
_PF_MACRO_RE = _Pattern(r"[A-Za-z_][A-Za-z0-9_]*[ \t]*=[ \t]*\S")

# pf's keywords (also the lexer's vocabulary: pf.py)
PF_KEYWORDS = frozenset("""
af-to all allow-opts altq anchor antispoof any bandwidth binat binat-anchor binat-to bitmask
block block-policy burst cbq code const counters crop debug default delay divert-packet
divert-reply divert-to drop drop-ovl dup-to fairq fastroute file fingerprints flags floating
flows flush for fragment from global group hfsc hostid icmp-type icmp6-type if-bound in
include inet inet6 keep keepcounters label least-states limit linkshare load log loginterface
match matches max max-mss max-pkt-rate max-src-conn max-src-conn-rate max-src-nodes
max-src-states min min-ttl modulate nat nat-anchor nat-to no no-df no-route no-sync on once
optimization os out overload parent pass persist pflow port prio priority priq probability
proto qlimit quantum queue quick random random-id rdomain rdr rdr-anchor rdr-to realtime
reassemble received-on reply-to require-order return return-icmp return-icmp6 return-rst
round-robin route route-to rtable rule ruleset-optimization scrub set set-tos skip sloppy
source-hash source-track state state-defaults state-policy static-port sticky-address
syncookies synproxy table tag tagged tbrsize timeout to tos ttl upperlimit urpf-failed user
weight dnpipe dnqueue ridentifier max-pkt-size allow-related
""".split())


# --------------------------------------------------------------------------- Cisco IOS

_IOS_NOT_ASA_RE = _Pattern(
    r"^(?::\s*)?(?:ASA|PIX|FWSM)\s+Version\s|^[ \t]+nameif\s|^[ \t]+security-level\s"
    r"|^access-group\s+\S+\s+(?:in|out)\s+interface\s|^access-group\s+\S+\s+global\b"
    r"|^object\s+(?:network|service)\s+\S|^same-security-traffic\s|^nat\s+\(\S+,\S+\)"
    r"|^failover\s+lan\s|^asdm\s+image\s|^(?:ssh|telnet|http)\s+\d+\.\d+\.\d+\.\d+\s+\d+\.\d+\.\d+\.\d+\s+\S"
    r"|^icmp\s+(?:permit|deny)\s", re.M)
_IOS_ASA_WEAK_RE = _Pattern(
    r"^access-list\s+\S+\s+(?:extended|standard|webtype|ethertype)\s|^[ \t]+(?:network|port|service|icmp)-object\s",
    re.M)
_IOS_NUMBERED = r"(?:[1-9]\d?|1\d\d|1[3-9]\d\d|2[0-6]\d\d)"
_IOS_STATEMENT_RE = _Pattern(
    r"^(?:ip\s+access-list\s+(?:standard|extended|resequence|logging)\s|ipv6\s+access-list\s"
    rf"|access-list\s+{_IOS_NUMBERED}\s+(?:permit|deny|remark|dynamic)\s"
    r"|interface\s+(?:GigabitEthernet|FastEthernet|TenGigabitEthernet|TwentyFiveGigE|FortyGigabitEthernet"
    r"|HundredGigE|Ethernet|Serial|Loopback|Vlan|Tunnel|Dialer|Port-channel|BVI|Virtual-Template|Cellular"
    r"|ATM|Multilink|Gi|Fa|Te)\S*\s*$"
    r"|[ \t]+ip\s+access-group\s|[ \t]+ipv6\s+traffic-filter\s|ip\s+route\s|router\s+(?:ospf|bgp|eigrp|rip|isis)\b"
    r"|line\s+(?:vty|con|aux)\s|version\s+1[0-7]\.\d|mac\s+access-list\s|zone-pair\s+security\s"
    r"|zone\s+security\s|class-map\s+type\s+inspect\s|policy-map\s+type\s+inspect\s|ip\s+nat\s+(?:inside|outside)\s"
    r"|boot-start-marker|service\s+timestamps\s|ip\s+cef\b|ip\s+inspect\s+name\s|vlan\s+\d+\s*\n[ \t]+name\s)", re.M)
_IOS_HOSTNAME_RE = _Pattern(r"^hostname\s+\S+", re.M)
_IOS_OTHER_RE = _Pattern(r"^(?:\*(?:filter|nat|mangle|raw|security)\s*$|:[^\s:]+\s+(?:ACCEPT|DROP|-)\b|-A\s+\S"
                         r"|(?:pass|block)\s+(?:in|out|quick|all|log)\b)", re.M)


def cisco_ios(text: str) -> bool:
    """Is this a Cisco IOS configuration? (Not ASA, iptables-save or pf.conf.)"""
    head = text[:400_000]
    if "\x00" in head[:8192]:
        # UTF-16 text read as UTF-8: every other character is a NUL
        if head[:8192].count("\x00") < len(head[:8192]) // 3:
            return False
        head = head.replace("\x00", "")
    head = head.replace("\r\n", "\n").replace("\r", "\n")
    if _IOS_NOT_ASA_RE.search(head) or _IOS_OTHER_RE.search(head):
        return False
    if _IOS_STATEMENT_RE.search(head):
        return True
    if _IOS_ASA_WEAK_RE.search(head):
        return False
    return _IOS_HOSTNAME_RE.search(head) is not None


# --------------------------------------------------------------------------- Cisco ASA

_ASA_STRONG_RE = _Pattern(
    r"^(?:: Saved\s*$|: Hardware:|(?:ASA|PIX|FWSM) Version\s|\s*nameif\s|\s*security-level\s+\d)", re.M)
_ASA_NOT_IOS_RE = _Pattern(
    r"^(?:\s*ip access-list\s|\s*ip access-group\s|mac access-list\s|\s*match access-group\s|"
    r"ip route\s|\s*ip nat\s|ip inspect\s|zone security\s|zone-pair\s|line (?:vty|con)\s|"
    r"ipv6 access-list\s+\S+\s*$|\s*ipv6 traffic-filter\s|version 1[0-9]\.)", re.M)
_ASA_OTHER_RE = _Pattern(r"^(?:\*(?:filter|nat|mangle|raw)\s*$|:[A-Z]+ (?:ACCEPT|DROP)|-A \S|COMMIT\s*$|"
                         r"(?:pass|block)\s+(?:in|out|quick|all|log)\b)", re.M)
_ASA_WEAK_RE = _Pattern(
    r"^(?:access-list\s+\S+\s+(?:line\s+\d+\s+)?(?:extended|standard|webtype|ethertype)\s"
    r"|access-list\s+\S+;\s+\d+\s+elements"
    r"|access-group\s+\S+\s+(?:(?:in|out)\s+interface\s+\S+|global)\s*$"
    r"|object\s+(?:network|service)\s+\S+\s*$"
    r"|object-group\s+(?:network|service|protocol|icmp-type)\s+\S+(?:\s+(?:tcp|udp|tcp-udp))?\s*\n"
    r"\s+(?:network-object|port-object|service-object|protocol-object|icmp-object|group-object|description)\s"
    r"|same-security-traffic\s+permit\s"
    r"|service-policy\s+\S+\s+(?:global|interface\s+\S+)\s*$"
    r"|(?:ssh|telnet|http)\s+\d+\.\d+\.\d+\.\d+\s+\d+\.\d+\.\d+\.\d+\s+\S+\s*$"
    r"|fixup\s+protocol\s)", re.M)


def cisco_asa(text: str) -> bool:
    """Is this a Cisco ASA / PIX / FWSM configuration (not IOS, iptables or pf)?"""
    head = text[:400_000].replace("\r\n", "\n")
    if "\x00" in head[:8192]:
        return False
    if _ASA_STRONG_RE.search(head):
        return True
    if _ASA_NOT_IOS_RE.search(head) or _ASA_OTHER_RE.search(head):
        return False
    return _ASA_WEAK_RE.search(head) is not None


# platform name (as in platforms.PLATFORMS) -> its detector
DETECTORS = {
    "iptables": iptables,
    "pf": pf,
    "cisco-ios": cisco_ios,
    "cisco-asa": cisco_asa,
}
