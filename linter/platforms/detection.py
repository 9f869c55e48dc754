"""Which platform a configuration is written for, told from its structure.

Layer: platform. Apart from the parsers: `api.detect` imports no parser to tell the
platforms apart, only the parser of the platform found. Each platform module re-exports its
own yes/no function as `detect`.

How a file is told (`decide`): each platform scores the text on markers of structure that
only it has (iptables-save's `*filter` table headers, `:CHAIN POLICY [p:b]` lines, `-A`
rules and `COMMIT`; pf's rule grammar `pass|block|match` followed by what pf expects there,
`\\` continuations included, macros, `table <name>`, `set` options, anchors; IOS's `version
15.x`, `ip access-list`, numbered `access-list N`, interface sub-commands such as `ip
access-group`; the ASA's `ASA Version`, `nameif`, `security-level`, `access-group ...
interface`, `access-list NAME extended`, `network-object`), and on the file's name (`.ios`,
`.asa`, `.pf`, `pf.conf`, `rules.v4`, `rules.v6`, `.iptables`). A marker counts by its weight
for each line it is on, up to `MAX_COUNTED` lines, so that one kind of line, however often
repeated, cannot outweigh the other kinds. The platform with the highest score wins; a tie
or no marker at all is no answer (`Decision.platform` is None): fwlint never guesses.
Words alone (`any`, `permit`, `drop`) are no marker: an IOS `class-map` with ` match any`
is not a pf `match` rule, since pf expects a direction, `log`, `quick`, `on`, an address
family, `proto`, `from`, `to` or `all` after the action.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..limits import DETECT_HEAD_BYTES

# a marker counts once per line it is on, up to this many lines
MAX_COUNTED = 5
# how much of a text is looked at (the caller passes the head of a large file, and its tail)
MAX_TEXT = 400_000
# the head and the tail of a file that are looked at (a hostile or generated file may hold a
# megabyte of names or VLANs first: its end tells the platform too)
HEAD_BYTES = DETECT_HEAD_BYTES

STRONG = 4  # a line that only this platform writes
MEDIUM = 2  # a line this platform writes, that another platform's text could hold rarely
WEAK = 1  # a hint: shared by two platforms, or common in text that is no configuration
HEADER = 10  # the version line a device writes at the top of its configuration
NAME = 4  # the file's name or suffix


@dataclass(frozen=True)
class Marker:
    """One kind of marker seen in a text: what it is, the first line it is on (0: the file's
    name), on how many lines, and what it counts."""

    platform: str
    what: str
    line: int
    lines: int
    score: int

    def describe(self) -> str:
        where = "file name" if self.line == 0 else f"line {self.line}"
        more = f" and {self.lines - 1} more" if self.lines > 1 else ""
        return f"{self.what} ({where}{more})"


@dataclass(frozen=True)
class Decision:
    """The platform of a text (None: not told) and the markers that decided it."""

    platform: str | None
    scores: dict[str, int] = field(default_factory=dict)
    markers: tuple[Marker, ...] = ()  # every platform's, by platform, best first
    binary: bool = False

    def deciding(self) -> tuple[Marker, ...]:
        """The markers of the platform found (all markers when none was found)."""
        if self.platform is None:
            return self.markers
        return tuple(mk for mk in self.markers if mk.platform == self.platform)

    def explain(self) -> str:
        """Why: the deciding markers, and the score of the runner-up."""
        if self.binary and not self.markers:
            return "it is not text (NUL bytes), and no iptables-save marker is in it"
        if not self.markers:
            return "no marker of iptables-save, pf.conf, Cisco IOS or Cisco ASA in it"
        if self.platform is None:
            best = max(self.scores.values())
            tied = sorted(name for name, s in self.scores.items() if s == best)
            return "its markers score the same for " + " and ".join(tied) + ": " + _listed(self.markers)
        others = {n: s for n, s in self.scores.items() if n != self.platform and s}
        runner = f" against {', '.join(f'{n} {s}' for n, s in sorted(others.items()))}" if others else ""
        return (f"{self.platform} scores {self.scores[self.platform]}{runner}, by "
                + "; ".join(mk.describe() for mk in self.deciding()))

    def to_json(self) -> dict:
        return {"platform": self.platform, "scores": dict(sorted(self.scores.items())),
                "markers": [{"platform": mk.platform, "marker": mk.what, "line": mk.line, "lines": mk.lines,
                             "score": mk.score} for mk in self.markers]}


def _listed(markers) -> str:
    return "; ".join(f"{mk.platform}: {mk.describe()}" for mk in markers)


# --------------------------------------------------------------------------- markers

# whitespace inside a pf rule: blanks, or a backslash that continues the line
_WS = r"(?:[ \t]|\\\r?\n)"
_EOL = r"[ \t]*\r?$"

# what pf expects right after pass / block / match (pf.conf(5): action, then direction,
# log, quick, on, address family, protocol, hosts or `all`; block's return options)
# and the filter options that may come first when those are left out; not `tag`, which an IOS
# route-map's ` match tag 5` has)
_PF_AFTER_ACTION = (r"(?:in|out|log|quick|on|inet6?|proto|from|to|all|drop|return|return-rst|return-icmp6?"
                    r"|received-on|rdomain|scrub|keep|modulate|synproxy|no[ \t]+state|flags|icmp6?-type|label"
                    r"|tagged|allow-opts|once|probability|rtable|max-pkt-rate|af-to|nat-to|rdr-to|binat-to"
                    r"|route-to|reply-to|dup-to|divert-(?:to|reply|packet))\b")

# (platform, what the marker is, pattern (re.M), weight per line)
_MARKERS: dict[str, tuple[tuple[str, str, int], ...]] = {
    "iptables": (
        ("`*filter` table header", r"^\*(?:filter|nat|mangle|raw|security)" + _EOL, STRONG),
        ("`:CHAIN POLICY [p:b]` line", r"^:[^\s:]+[ \t]+(?:ACCEPT|DROP|RETURN|QUEUE|-)(?:[ \t]+\[\d+:\d+\])?" + _EOL,
         STRONG),
        ("`-A CHAIN` rule", r"^(?:\[\d+:\d+\][ \t]+)?(?:-A|--append|-I|--insert|-N|--new-chain|-P|--policy"
                            r"|-D|--delete|-R|--replace|-F|--flush|-X|--delete-chain)[ \t]+\S", STRONG),
        ("`COMMIT` line", r"^COMMIT" + _EOL, MEDIUM),
        ("`# Generated by iptables-save` comment", r"^#[^\n]*\bip6?tables(?:-nft|-legacy)?-(?:save|restore)\b", STRONG),
        # rule options without `-A` (netfilter's extension tests, fragments): no other
        # platform starts a line with an option
        ("iptables rule options (`-p`, `-m`, `-j`)", r"^(?:![ \t]+)?-(?:[psdiomjg46]|-[a-z][a-z-]+)[ \t=]\S*",
         WEAK),
    ),
    "pf": (
        ("`pass`/`block`/`match` rule", rf"^[ \t]*(?:pass|block|match){_WS}+{_PF_AFTER_ACTION}", STRONG),
        ("`pass`/`block` alone on a line", r"^[ \t]*(?:pass|block)" + _EOL, WEAK),
        ("`table <name>`", r"^[ \t]*table[ \t]+<[^>\s]+>", STRONG),
        ("`set` option", r"^set[ \t]+(?:skip|block-policy|state-policy|optimization|limit|timeout|loginterface"
                         r"|hostid|require-order|fingerprints|debug|reassemble|ruleset-optimization|syncookies"
                         r"|state-defaults|prio|keepcounters)\b", STRONG),
        ("anchor", r"^[ \t]*(?:(?:nat|rdr|binat)-)?anchor[ \t]+[\"']?[\w/*-]|^[ \t]*load[ \t]+anchor\b", STRONG),
        ("`scrub`, `antispoof`, `altq` or `queue` rule",
         r"^[ \t]*(?:scrub[ \t]+(?:in|out|on|all|log)\b|antispoof\b|altq[ \t]+on\b"
         r"|queue[ \t]+\S+[ \t]+(?:on|parent|bandwidth|priority)\b)", STRONG),
        ("`nat`/`rdr`/`binat` rule", r"^[ \t]*(?:no[ \t]+)?(?:nat|rdr|binat)(?:[ \t]+pass)?[ \t]+"
                                     r"(?:on|from|inet6?|log|proto)\b", STRONG),
        ("macro definition", r"^[ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*=[ \t]*(?:\"[^\"\n]*\"|'[^'\n]*'|\{[^}\n]*\}?|\S+)",
         MEDIUM),
        ("`include \"file\"`", r"^include[ \t]+[\"']", MEDIUM),
    ),
    "cisco-ios": (
        ("`version 15.x` line", r"^version[ \t]+\d+\.\d+" + r"[ \t]*\r?$", HEADER),
        ("`ip access-list` header", r"^ip[ \t]+access-list[ \t]+(?:standard|extended|resequence|logging|role-based)\b",
         STRONG),
        ("`ipv6 access-list NAME` header", r"^ipv6[ \t]+access-list[ \t]+\S+" + _EOL, STRONG),
        ("numbered `access-list N`", r"^access-list[ \t]+(?:[1-9]\d?|1\d\d|1[3-9]\d\d|2[0-6]\d\d)[ \t]+"
                                     r"(?:permit|deny|remark|dynamic)\b", STRONG),
        ("interface sub-command of IOS (`ip access-group`, `ip nat inside`...)",
         r"^[ \t]+(?:ip[ \t]+(?:access-group|nat[ \t]+(?:inside|outside|enable)|virtual-reassembly|helper-address"
         r"|inspect|verify|unreachables|redirects|proxy-arp|route-cache|directed-broadcast|ospf|pim)"
         r"|ipv6[ \t]+traffic-filter|zone-member[ \t]+security|encapsulation[ \t]+dot1[Qq]"
         r"|service-policy[ \t]+(?:input|output|type)|switchport[ \t]+mode|match[ \t]+access-group)\b", MEDIUM),
        ("filtering command of IOS (`mac access-list`, `zone-pair security`, `ip nat inside`...)",
         r"^(?:mac[ \t]+access-list|zone[ \t]+security|zone-pair[ \t]+security|(?:class|policy)-map[ \t]+type"
         r"[ \t]+inspect|ip[ \t]+(?:nat[ \t]+(?:inside|outside|pool)|inspect[ \t]+name))\b", STRONG),
        ("global command of IOS (`ip route`, `line vty`, `service timestamps`...)",
         r"^(?:ip[ \t]+(?:route|cef|http[ \t]+server|domain[ \t-]name|name-server|dhcp|ssh|classless|subnet-zero"
         r"|forward-protocol|finger|bootp)"
         r"|line[ \t]+(?:vty|con|aux)|service[ \t]+(?:timestamps|password-encryption|config|pad)"
         r"|boot-(?:start|end)-marker|aaa[ \t]+new-model|ipv6[ \t]+unicast-routing"
         r"|spanning-tree|vtp[ \t]+mode|control-plane|vlan[ \t]+\d+[ \t]*\r?\n[ \t]+name[ \t])\b", MEDIUM),
        # IOS's object-groups: members written without `network-object`, and `object-group ip`
        ("object-group of IOS (`object-group ip port`, members without `network-object`)",
         r"^object-group[ \t]+ip[ \t]+(?:port|address)\b|^object-group[ \t]+network[ \t]+\S+[ \t]*\r?\n"
         r"(?:[ \t]+(?:description|group-object)[^\n]*\n)*[ \t]+(?:host[ \t]+\d+\.\d+\.\d+\.\d+"
         r"|\d+\.\d+\.\d+\.\d+[ \t]+\d+\.\d+\.\d+\.\d+)[ \t]*\r?$", STRONG),
        # an inverse (wildcard) mask: only IOS writes them (the ASA writes netmasks)
        # (the entry's start is fixed, and the lazy scan for the mask tests a bounded address at
        # each place: linear in the line, whatever a hostile line repeats)
        ("wildcard mask in an access-list entry (`10.0.0.0 0.0.0.255`)",
         r"^(?:[ \t]+(?:\d+[ \t]+)?|access-list[ \t]+\S+[ \t]+(?:extended[ \t]+)?)(?:permit|deny)[ \t][^\n]*?"
         r"[ \t]\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}[ \t]+0\.\d{1,3}\.\d{1,3}\.(?:[1-9]\d{0,2}|0)\b"
         r"(?<!0\.0\.0\.0)", STRONG),
        ("banner delimited by `^C`", r"^banner[ \t]+[a-z-]+[ \t]+\^C?", STRONG),
        ("`no access-list N` (a numbered list)", r"^no[ \t]+access-list[ \t]+(?:[1-9]\d?|1\d\d|1[3-9]\d\d|2[0-6]\d\d)"
                                                 + _EOL, MEDIUM),
        ("`end` line closing a running-config", r"^end" + _EOL, MEDIUM),
        ("interface of a type only IOS has (`FastEthernet`, `Serial`, `Dialer`...)",
         r"^interface[ \t]+(?:FastEthernet|Serial|Dialer|ATM|Cellular|Virtual-Template|Multilink|Async|BRI"
         r"|TwentyFiveGigE|FortyGigabitEthernet|HundredGigE|Fa\d|Se\d)", MEDIUM),
        ("`hostname`", r"^hostname[ \t]+\S", WEAK),
        ("`interface`", r"^interface[ \t]+\S", WEAK),
    ),
    "cisco-asa": (
        ("`ASA Version` line", r"^(?::[ \t]*)?(?:ASA|PIX|FWSM)[ \t]+Version[ \t]", HEADER),
        ("`: Saved` / `: Hardware:` / `Cryptochecksum:` framing",
         r"^:[ \t]+(?:Saved|Hardware:|Written by|end)\b|^Cryptochecksum:", STRONG),
        ("`nameif`", r"^[ \t]+nameif[ \t]+\S|^nameif[ \t]+\S+[ \t]+\S+[ \t]+security\d", STRONG),
        ("`security-level`", r"^[ \t]+security-level[ \t]+\d", STRONG),
        ("`access-group ... interface`", r"^access-group[ \t]+\S+[ \t]+(?:(?:in|out)[ \t]+interface[ \t]+\S|global\b)",
         STRONG),
        ("`access-list NAME extended`", r"^access-list[ \t]+\S+[ \t]+(?:line[ \t]+\d+[ \t]+)?"
                                        r"(?:extended|standard|webtype|ethertype)[ \t]", STRONG),
        ("`ipv6 access-list NAME permit` entry", r"^ipv6[ \t]+access-list[ \t]+\S+[ \t]+(?:line[ \t]+\d+[ \t]+)?"
                                                 r"(?:permit|deny|remark)\b", STRONG),
        ("`network-object` / `port-object` member", r"^[ \t]+(?:network|port|service|protocol|icmp)-object[ \t]",
         STRONG),
        ("`object network|service`", r"^object[ \t]+(?:network|service)[ \t]+\S+" + _EOL, STRONG),
        ("command of the ASA (`nat (in,out)`, `same-security-traffic`, `fixup`...)",
         r"^(?:nat[ \t]+\(\S+\)|same-security-traffic[ \t]|fixup[ \t]+protocol[ \t]|failover[ \t]+lan[ \t]"
         r"|asdm[ \t]+(?:image|history)|global[ \t]+\(\S+\)|static[ \t]+\(\S+\)|icmp[ \t]+(?:permit|deny)[ \t]"
         r"|threat-detection[ \t]|dns[ \t]+(?:server-group|domain-lookup)|pager[ \t]+lines"
         r"|service-policy[ \t]+\S+[ \t]+(?:global|interface[ \t]+\S+)" + _EOL + r")", MEDIUM),
        ("`route IF` or management access by interface (`ssh A M IF`)",
         r"^(?:route[ \t]+[A-Za-z]\S*[ \t]+\d+\.\d+\.\d+\.\d+|(?:ssh|telnet|http)[ \t]+\d+\.\d+\.\d+\.\d+[ \t]+"
         r"\d+\.\d+\.\d+\.\d+[ \t]+\S+" + _EOL + ")", MEDIUM),
        ("interface of a type only the ASA has (`Management0/0`, `Redundant1`, PIX `ethernet0`)",
         r"^interface[ \t]+(?:Management\d|Redundant\d|ethernet\d)", MEDIUM),
        ("`hostname`", r"^hostname[ \t]+\S", WEAK),
        ("`interface`", r"^interface[ \t]+\S", WEAK),
    ),
}

# the file names of each platform: suffixes, and ends of names
_NAMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "iptables": ("`rules.v4` / `.iptables` name", ("rules.v4", "rules.v6", ".iptables", ".ip6tables")),
    "pf": ("`pf.conf` / `.pf` name", ("pf.conf", ".pf")),
    "cisco-ios": ("`.ios` name", (".ios",)),
    "cisco-asa": ("`.asa` name", (".asa",)),
}


class _Compiled:
    """Each platform's markers as one pattern of named alternatives, compiled on first use
    (a few milliseconds a run that reads a file without --platform)."""

    patterns: dict[str, tuple[re.Pattern[str], dict[str, tuple[str, int]]]] | None = None

    @classmethod
    def get(cls) -> dict[str, tuple[re.Pattern[str], dict[str, tuple[str, int]]]]:
        if cls.patterns is None:
            out = {}
            for platform, markers in _MARKERS.items():
                groups: dict[str, tuple[str, int]] = {}
                parts = []
                for k, (what, pattern, weight) in enumerate(markers):
                    groups[f"m{k}"] = (what, weight)
                    parts.append(f"(?P<m{k}>{_unanchored(pattern)})")
                # one `^` for all: elsewhere than at a line's start each position costs one
                # test, not one per marker (a 128 KiB text: 4 ms, not 90)
                out[platform] = (re.compile("^(?:" + "|".join(parts) + ")", re.M), groups)
            cls.patterns = out
        return cls.patterns


def _unanchored(pattern: str) -> str:
    """A marker's pattern without the `^` that starts it and each of its alternatives (every
    marker is anchored at a line's start; the compiled pattern anchors them all at once)."""
    assert pattern.startswith("^"), pattern
    return pattern[1:].replace("|^", "|")


def _prepared(text: str) -> tuple[str, tuple[str, ...]]:
    """The text to look at, and the platforms whose markers count in it. UTF-16 read as UTF-8
    (a NUL after every character) is read without its NULs. Other NUL bytes: only iptables
    reads such a file (iptables-restore reads each line up to its first NUL, and so does
    fwlint); pf's and the Cisco readers refuse it as binary."""
    head = text[:MAX_TEXT]
    sample = head[:8192]
    if "\x00" not in sample:
        return head, tuple(_MARKERS)
    if sample.count("\x00") >= len(sample) // 3:
        return head.replace("\x00", ""), tuple(_MARKERS)
    return _AFTER_NUL.sub("", head), ("iptables",)


_AFTER_NUL = re.compile(r"\x00[^\n]*")


def markers(text: str, name: str | None = None, tail: tuple[str, int] | None = None) -> tuple[list[Marker], bool]:
    """Every marker in `text` (and in the file name `name`, and in `tail`: the end of a long
    file and the number of its first line), and whether it holds NUL bytes that only
    iptables would read."""
    head, platforms = _prepared(text)
    pieces = [(head, 1)]
    if tail is not None:
        pieces.append((_prepared(tail[0])[0], tail[1]))
    found: list[Marker] = []
    for platform, (pattern, groups) in _Compiled.get().items():
        if platform not in platforms:
            continue
        first: dict[str, int] = {}
        lines: dict[str, set[int]] = {}
        for piece, first_line in pieces:
            for mo in pattern.finditer(piece):
                key = mo.lastgroup
                assert key is not None
                seen = lines.setdefault(key, set())
                if len(seen) >= MAX_COUNTED:
                    continue
                line = piece.count("\n", 0, mo.start()) + first_line
                seen.add(line)
                first.setdefault(key, line)
        for key, line in first.items():
            what, weight = groups[key]
            found.append(Marker(platform, what, line, len(lines[key]), weight * len(lines[key])))
        if name:
            what, ends = _NAMES[platform]
            if name.lower().endswith(ends):
                found.append(Marker(platform, what, 0, 1, NAME))
    return found, len(platforms) == 1


def decide(text: str, name: str | None = None, tail: tuple[str, int] | None = None) -> Decision:
    """The platform `text` is written for, by its markers (and the name of its file, the
    last part of a path; and `tail`, the end of a long file: its text and the number of its
    first line), or no platform on a tie or without a marker."""
    found, binary = markers(text, name.replace("\\", "/").rsplit("/", 1)[-1] if name else None, tail)
    scores: dict[str, int] = {}
    for mk in found:
        scores[mk.platform] = scores.get(mk.platform, 0) + mk.score
    ranked = sorted(found, key=lambda mk: (-scores[mk.platform], mk.platform, -mk.score, mk.line))
    if not scores:
        return Decision(None, {}, (), binary)
    best = max(scores.values())
    winners = [p for p, s in scores.items() if s == best]
    return Decision(winners[0] if len(winners) == 1 else None, scores, tuple(ranked), binary)


# --------------------------------------------------------------------------- statements

# a line that holds a statement: not blank, and not a comment in the platform's syntax
# (Cisco: `!`, and the ASA's `:` lines that `show running-config` writes)
_STATEMENT = {
    "#": re.compile(rb"^[ \t]*[^ \t\r\n#]", re.M),
    "!": re.compile(rb"^[ \t]*[^ \t\r\n!]", re.M),
    "!:": re.compile(rb"^[ \t]*[^ \t\r\n!:]", re.M),
}
_COMMENT_OF = {"iptables": "#", "pf": "#", "cisco-ios": "!", "cisco-asa": "!:"}


def statement_lines(data: bytes, platform: str) -> int:
    """How many lines of `data` hold a statement of `platform` (not blank, not a comment)."""
    return sum(1 for _ in _STATEMENT[_COMMENT_OF.get(platform, "#")].finditer(data))


# --------------------------------------------------------------------------- one platform


def iptables(text: str) -> bool:
    """Is this iptables-save / ip6tables-save / iptables-restore input (by its markers)?"""
    return decide(text).platform == "iptables"


def pf(text: str) -> bool:
    """Is this pf.conf text (by its markers)?"""
    return decide(text).platform == "pf"


def cisco_ios(text: str) -> bool:
    """Is this a Cisco IOS configuration (by its markers)?"""
    return decide(text).platform == "cisco-ios"


def cisco_asa(text: str) -> bool:
    """Is this a Cisco ASA / PIX / FWSM configuration (by its markers)?"""
    return decide(text).platform == "cisco-asa"


# pf's keywords (also the lexer's vocabulary: pf/lexer.py)
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


# platform name (as in platforms.PLATFORMS) -> its yes/no function
DETECTORS = {
    "iptables": iptables,
    "pf": pf,
    "cisco-ios": cisco_ios,
    "cisco-asa": cisco_asa,
}


def decide_bytes(data: bytes, name: str | None = None) -> Decision:
    """`decide` on a whole file's bytes: its first HEAD_BYTES, and its last HEAD_BYTES from
    the first whole line there when the file is longer."""
    head = data[:HEAD_BYTES].decode("utf-8", "replace")
    if len(data) <= HEAD_BYTES:
        return decide(head, name)
    start = max(HEAD_BYTES, len(data) - HEAD_BYTES)
    start = data.find(b"\n", start - 1) + 1  # (the first whole line: a fragment is no line)
    if start == 0 or start >= len(data):
        return decide(head, name)
    tail = data[start:].decode("utf-8", "replace")
    return decide(head, name, (tail, data.count(b"\n", 0, start) + 1))
