"""iptables-save / ip6tables-save / iptables-restore input -> the normalized model.

Layer: platform (parser + converter). Reads `grammars/iptables.lark` (LALR) and produces a
`linter.model.Device`; nothing to the right of the model imports this module.

How a file is read:

1. The bytes are split into lines and decoded as UTF-8 (a line that is not valid UTF-8 is
   decoded with replacement characters and gets an `encoding` diagnostic at the column of
   the first bad byte).
2. Each line is split into shell words as iptables-restore does (quotes, backslashes) and
   each word is classified into a terminal of the grammar (`-A` -> APPEND, `-p` -> PROTO,
   `--dport` -> LONGOPT, `!` -> BANG, values -> WORD ...).
3. The lark LALR parser parses the sequence of terminals. The parse depends only on that
   sequence, so it is cached: a 100k-rule file has a few hundred distinct sequences.
4. The parse tree is turned into a small plan (commands, items) and executed against the
   table state; match options are attributed to their module (the last `-m` that owns
   them, else the implicit protocol match of `-p`), converted to model conditions, and the
   target becomes an `Action` (and an `Alteration` for NAT and mangling targets).

Conventions (see docs/iptables-support.md for the full support table):

- Every chain of every table becomes a `Filter` (built-ins of a table that appears in the
  file exist even when not declared; their policy is then ACCEPT, origin None).
- `-s a,b` is one `AddrCond` with the alternatives (iptables expands it into one rule
  per address; the union is the same packet set).
- Alterations: one `Alteration` per built-in chain of the table from which the rule is
  reachable (following jumps and gotos); stage "" when it is reachable from none.
- A jump that closes a loop of chains a built-in chain reaches (iptables-restore refuses
  the table): `error jump-loop` at it (`model.jump_loops` says which jump closes a loop).
- Bounded work: a line longer than MAX_IPTABLES_LINE_LENGTH, or of more than
  MAX_IPTABLES_LINE_WORDS words (linter/limits.py), is one diagnostic, not parsed; a
  repeated generic option is found by one scan of the words, before parsing.
- Every line not understood is a located `Diagnostic`; nothing is dropped silently.
"""

from __future__ import annotations

import gc
import ipaddress
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterator

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedInput
from lark.lexer import Lexer

from .. import model as m
from ..names import read_int
from .. import names
from ..limits import MAX_IPTABLES_DIAGNOSTICS_PER_LINE, MAX_IPTABLES_LINE_LENGTH, MAX_IPTABLES_LINE_WORDS
from .. import parsers
from .detection import iptables as detect  # noqa: F401 - each platform's `detect`

__all__ = ["detect", "parse", "PLATFORM", "BUILTIN_CHAINS"]

PLATFORM = "iptables"

BUILTIN_CHAINS: dict[str, tuple[str, ...]] = {
    "filter": ("INPUT", "FORWARD", "OUTPUT"),
    "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
    "mangle": ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"),
    "raw": ("PREROUTING", "OUTPUT"),
    "security": ("INPUT", "FORWARD", "OUTPUT"),
}
HOOK_ORDER = ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING")

# --------------------------------------------------------------------------- address family

# the header iptables-save writes (also iptables-nft-save, iptables-legacy-save)
_HEADER_RE = re.compile(r"^#[^\n]*?\b(ip6?)tables(?:-nft|-legacy)?-save\b", re.M)
_ICMPV6_RE = re.compile(r"(?:^|\s)-p\s+(?:ipv6-icmp|icmpv6)\b|-m\s+icmp6\b|--icmpv6-type", re.M)
_ADDR_RE = re.compile(r"(?:^|\s)(?:-s|-d|--source|--destination|--src|--dst|--src-range|--dst-range)"
                      r"\s+(?:!\s+)?([0-9A-Fa-f.:]+)", re.M)


def _guess_family(text: str) -> int:
    """The family of a dump: what its header says (ip6tables-save / iptables-save), else
    ICMPv6 words, else the family most of its addresses are in (IPv4 on a tie). One stray
    IPv6 address in an iptables file is then one located error, not an error on every IPv4
    address of the file."""
    head = _HEADER_RE.search(text)
    if head:
        return 6 if head.group(1) == "ip6" else 4
    if _ICMPV6_RE.search(text):
        return 6
    v6 = v4 = 0
    for a in _ADDR_RE.findall(text):
        if ":" in a:
            v6 += 1
        else:
            v4 += 1
    return 6 if v6 > v4 else 4


# --------------------------------------------------------------------------- words and terminals

_OPTION_TERMINALS = {
    "-A": "APPEND", "--append": "APPEND",
    "-I": "INSERT", "--insert": "INSERT",
    "-N": "NEWCHAIN", "--new-chain": "NEWCHAIN", "--new": "NEWCHAIN",
    "-P": "POLICY", "--policy": "POLICY",
    "-F": "FLUSH", "--flush": "FLUSH",
    "-Z": "ZERO", "--zero": "ZERO",
    "-D": "OTHERCMD", "--delete": "OTHERCMD", "-R": "OTHERCMD", "--replace": "OTHERCMD",
    "-X": "OTHERCMD", "--delete-chain": "OTHERCMD", "-E": "OTHERCMD", "--rename-chain": "OTHERCMD",
    "-C": "OTHERCMD", "--check": "OTHERCMD", "-L": "OTHERCMD", "--list": "OTHERCMD",
    "-S": "OTHERCMD", "--list-rules": "OTHERCMD", "-h": "OTHERCMD", "--help": "OTHERCMD",
    "-V": "OTHERCMD", "--version": "OTHERCMD",
    "-p": "PROTO", "--protocol": "PROTO",
    "-s": "SRC", "--source": "SRC", "--src": "SRC",
    "-d": "DST", "--destination": "DST", "--dst": "DST",
    "-i": "IN", "--in-interface": "IN",
    "-o": "OUT", "--out-interface": "OUT",
    "-f": "FRAG", "--fragment": "FRAG",
    "-4": "FAMILYOPT", "--ipv4": "FAMILYOPT", "-6": "FAMILYOPT", "--ipv6": "FAMILYOPT",
    "-c": "SETCOUNTERS", "--set-counters": "SETCOUNTERS",
    "-m": "MATCH", "--match": "MATCH",
    "-j": "JUMP", "--jump": "JUMP",
    "-g": "GOTO", "--goto": "GOTO",
}
_COUNTER_RE = re.compile(r"\[\d+:\d+\]\Z")
# The pieces of shell words: plain text, "..." (backslash escapes), '...', a backslash and
# the character it escapes, and blanks between words. Each piece is one match (a word is
# the pieces between blanks), and the quoted ones are unrolled loops (`[^"\\]*` runs, not
# one alternation per character): a megabyte of quotes costs no regex backtracking stack.
_PIECE_RE = re.compile(r"""[^\s"'\\]+|"[^"\\]*(?:\\.[^"\\]*)*"|'[^']*'|\\.?|\s+""", re.S)
_DQ_ESCAPE_RE = re.compile(r"\\(.)", re.S)


def _shell_words(line: str) -> tuple[list[str], list[int], set[int], tuple[int, str] | None]:
    """Words as iptables-restore splits them: (words unquoted, their columns, indices of the
    quoted ones, (column, message) of the first unterminated quote or None). Text no piece
    matches (a quote without its end) separates words and is left out, as before."""
    words: list[str] = []
    cols: list[int] = []
    quoted: set[int] = set()
    error = None
    cur: list[str] | None = None
    pos = 0
    for mt in _PIECE_RE.finditer(line):
        start = mt.start()
        piece = mt.group()
        c = piece[0]
        if start != pos or c.isspace():
            if start != pos and error is None:
                error = (pos + 1, "unterminated quote")
            if cur is not None:
                words.append("".join(cur))
                cur = None
        pos = mt.end()
        if c.isspace():
            continue
        if cur is None:
            cur = []
            cols.append(start + 1)
        if c == '"':
            cur.append(_DQ_ESCAPE_RE.sub(r"\1", piece[1:-1]))
            quoted.add(len(words))
        elif c == "'":
            cur.append(piece[1:-1])
            quoted.add(len(words))
        elif c == "\\":
            cur.append(piece[1:])
            quoted.add(len(words))
        else:
            cur.append(piece)
    if cur is not None:
        words.append("".join(cur))
    if pos != len(line) and error is None:
        error = (pos + 1, "unterminated quote")
    return words, cols, quoted, error


class _Words:
    """The shell words of one line, their columns (1-based) and which were quoted."""

    __slots__ = ("words", "quoted", "columns", "line", "error")

    def __init__(self, words: list[str], quoted: set[int] | None, columns: list[int] | None, line: str,
                 error: tuple[int, str] | None = None) -> None:
        self.words = words
        self.quoted = quoted  # indices of quoted words (None: none)
        self.columns = columns  # None: computed on demand (fast path)
        self.line = line
        self.error = error  # (column, message) of a tokenising error

    def command_column(self, i: int) -> int:
        """Column of word i when it is one of the first two words (fast path)."""
        if self.columns is None and i <= 1:
            line = self.line
            col = len(line) - len(line.lstrip())
            if i == 1:
                col = line.find(self.words[1], col + len(self.words[0]))
            return col + 1
        return self.column(i)

    def column(self, i: int) -> int:
        if self.columns is None:
            cols = []
            line = self.line
            if self.quoted is None:
                pos = 0
                find = line.find
                for w in self.words:
                    pos = find(w, pos)
                    cols.append(pos + 1)
                    pos += len(w)
            else:
                cols = _shell_words(line)[1]
            self.columns = cols
        if 0 <= i < len(self.columns):
            return self.columns[i]
        return len(self.line) + 1


def _split_words(line: str) -> _Words:
    if "'" not in line and "\\" not in line:
        if '"' not in line:
            return _Words(line.split(), None, None, line)
        # iptables-save quotes comments and log prefixes: "..." between blanks, no escapes
        parts = line.split('"')
        if len(parts) % 2 == 1:
            words: list[str] = []
            quoted: set[int] = set()
            ok = True
            for k, part in enumerate(parts):
                if k % 2 == 0:
                    if (k > 0 and part[:1] not in ("", " ", "\t")) or (
                            k < len(parts) - 1 and part[-1:] not in (" ", "\t")):
                        ok = False
                        break
                    words.extend(part.split())
                else:
                    quoted.add(len(words))
                    words.append(part)
            if ok:
                return _Words(words, quoted, None, line)
    words, cols, quoted, error = _shell_words(line)
    return _Words(words, quoted, cols, line, error)


_SPECIAL_FIRST = frozenset("-!*:[C")


def _classify(ws: _Words) -> tuple[str, ...]:
    words = ws.words
    out: list[str] = []
    n = len(words)
    get = _OPTION_TERMINALS.get
    quoted = ws.quoted
    for i, w in enumerate(words):
        if quoted and i in quoted:
            out.append("WORD")
            continue
        t = get(w)
        if t is None:
            c = w[:1]
            if c not in _SPECIAL_FIRST:
                t = "WORD"  # the common case: a value
            elif c == "-" and len(w) > 1 and (w[1].isalpha() or w[1] == "-"):
                if w[1] == "-" and len(w) > 2:
                    t = "LONGOPT"
                elif w[1] != "-":
                    t = "SHORTOPT"  # not a terminal of the grammar: a syntax error
                else:
                    t = "WORD"
            elif w == "!":
                nxt = out_next = words[i + 1] if i + 1 < n else None
                if out_next is not None and quoted and (i + 1) in quoted:
                    t = "INNERBANG"
                elif nxt is not None and get(nxt) is None and not (nxt.startswith("-") and len(nxt) > 1 and (nxt[1].isalpha() or nxt[1] == "-")) and nxt != "!":
                    t = "INNERBANG"
                else:
                    t = "BANG"
            elif i == 0 and c == "*":
                t = "TABLE"
            elif i == 0 and c == ":":
                t = "CHAINDECL"
            elif i == 0 and w == "COMMIT":
                t = "COMMIT"
            elif c == "[" and _COUNTER_RE.match(w):
                t = "COUNTER"
            else:
                t = "WORD"
        out.append(t)
    return tuple(out)


class _WordLexer(Lexer):
    """Feeds the parser one token per classified word; the token's value is the word index."""

    def __init__(self, lexer_conf) -> None:  # noqa: D401 - lark interface
        pass

    def lex(self, data) -> Iterator[Token]:  # type: ignore[override]
        for i, t in enumerate(data):
            yield Token(t, str(i))


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return parsers.lalr("iptables.lark", lexer=_WordLexer)


# --------------------------------------------------------------------------- plans

# A plan is the parse of one terminal sequence, reduced to plain tuples:
#   ("table", i) ("chain", i, policy_i|-1) ("commit",)
#   ("append", chain_i, items) ("insert", chain_i, pos_i|-1, items) ("new", i)
#   ("policy", chain_i, target_i, items) ("flush", i|-1) ("zero",) ("other", opt_i, items)
# items: (kind, negated, opt_i, args) with args = ((inner_negated, word_i), ...)


class _SyntaxFailure(Exception):
    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.message = message


def _idx(tok) -> int:
    return read_int(tok.value)


def _items(spec: Tree) -> tuple:
    items = []
    for it in spec.children:
        if it.data == "negatable":
            ch = it.children
            neg = len(ch) == 2
            cond = ch[-1]
            toks = cond.children
            opt = _idx(toks[0])
            args = tuple((len(a.children) == 2, _idx(a.children[-1])) for a in toks[1:])
            items.append((str(cond.data), neg, opt, args))
        elif it.data in ("module", "jump", "goto", "set_counters"):
            toks = it.children
            items.append((str(it.data), False, _idx(toks[0]), tuple((False, _idx(t)) for t in toks[1:])))
    return tuple(items)


_plan_cache: dict[tuple[str, ...], tuple] = {}


def _plan(sig: tuple[str, ...]) -> tuple:
    plan = _plan_cache.get(sig)
    if plan is not None:
        return plan
    try:
        tree = _parser().parse(sig)
    except UnexpectedInput as e:
        tok = getattr(e, "token", None)
        if tok is not None and getattr(tok, "type", "") != "$END" and str(tok.value).isdigit():
            i = read_int(tok.value)
            raise _SyntaxFailure(i, f"unexpected {sig[i] if i < len(sig) else 'end of line'}") from None
        raise _SyntaxFailure(len(sig), "unexpected end of line") from None
    except LarkError as e:  # pragma: no cover - defensive
        raise _SyntaxFailure(0, str(e)) from None
    ch = tree.children
    cmd = ch[-1]
    kind = cmd.data
    t = cmd.children
    if kind == "table_header":
        plan = ("table", _idx(t[0]))
    elif kind == "chain_decl":
        pol = -1
        for c in t[1:]:
            if isinstance(c, Tree) and c.data == "policy_word":
                pol = _idx(c.children[0])
        plan = ("chain", _idx(t[0]), pol)
    elif kind == "commit":
        plan = ("commit",)
    elif kind == "append":
        plan = ("append", _idx(t[1]), _items(t[2]))
    elif kind == "insert":
        pos = -1
        if len(t) == 4:
            pos = _idx(t[2].children[0])
        plan = ("insert", _idx(t[1]), pos, _items(t[-1]))
    elif kind == "new_chain":
        plan = ("new", _idx(t[1]))
    elif kind == "set_policy":
        plan = ("policy", _idx(t[1]), _idx(t[2]), _items(t[3]))
    elif kind == "flush":
        plan = ("flush", _idx(t[1]) if len(t) > 1 else -1)
    elif kind == "zero":
        plan = ("zero",)
    else:  # other_command
        plan = ("other", _idx(t[0]), _items(t[-1]))
    if len(_plan_cache) < 20000 and len(sig) <= 512:  # (a long line's sequence is its own)
        _plan_cache[sig] = plan
    return plan


# --------------------------------------------------------------------------- modules and targets

# Exact match modules and the options each owns.
_EXACT_MODULE_OPTIONS: dict[str, frozenset[str]] = {
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
_FLAG_OPTIONS = frozenset({"--syn"})
# Modules needing a protocol: module -> protocol numbers accepted.
_MODULE_PROTOS = {
    "tcp": {6}, "udp": {17}, "udplite": {136}, "sctp": {132}, "dccp": {33},
    "icmp": {1}, "icmp6": {58}, "multiport": {6, 17, 33, 132, 136},
}
# The match iptables loads implicitly for `-p PROTO` options given without `-m`.
_IMPLICIT_MODULE = {6: "tcp", 17: "udp", 136: "udplite", 132: "sctp", 33: "dccp", 1: "icmp", 58: "icmp6"}

# Known modules fwlint approximates with an Opaque condition whose key is the predicate
# (the same options in two rules are the same key).
PURE_MODULES = frozenset({
    "addrtype", "mac", "owner", "set", "length", "ttl", "hl", "tos", "dscp", "mark", "connmark",
    "pkttype", "physdev", "policy", "rpfilter", "string", "u32", "frag", "ipv6header", "hbh",
    "dst", "rt", "mh", "ah", "esp", "ecn", "helper", "tcpmss", "cgroup", "cluster", "connlabel",
    "cpu", "devgroup", "eui64", "ipcomp", "ipvs", "osf", "realm", "socket", "srh", "bpf",
    "l2tp", "addrtype", "conntrack", "sctp", "dccp", "tcp", "iprange", "geoip", "condition",
    "account", "ipp2p", "psd", "fuzzy", "nth", "random", "opts", "ah", "dnsmasq", "ipv4options",
})
# Known modules whose outcome depends on state kept per rule: the key is per occurrence.
STATEFUL_MODULES = frozenset({
    "limit", "hashlimit", "recent", "connlimit", "quota", "statistic", "time", "connbytes",
    "rateest", "nfacct", "quota2",
})
KNOWN_MODULES = frozenset(_EXACT_MODULE_OPTIONS) | PURE_MODULES | STATEFUL_MODULES


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
_MODULE_OPTIONS = {**_APPROX_MODULE_OPTIONS, **_EXACT_MODULE_OPTIONS}

_TERMINAL_TARGETS = {"ACCEPT": "accept", "DROP": "drop", "REJECT": "reject", "RETURN": "return"}
_CONTINUE_TARGETS = frozenset({"LOG", "NFLOG", "ULOG", "TRACE", "AUDIT", "NFACCT"})
_ALTERATION_TARGETS = {
    "MARK": "mark", "CONNMARK": "connmark", "CT": "ct", "NOTRACK": "notrack", "TCPMSS": "mss",
    "TOS": "mangle", "TTL": "mangle", "HL": "mangle", "DSCP": "mangle", "ECN": "mangle",
    "TCPOPTSTRIP": "mangle", "CHECKSUM": "checksum", "CLASSIFY": "classify",
    "SECMARK": "secmark", "CONNSECMARK": "secmark", "SET": "set", "TEE": "tee",
    "IDLETIMER": "timer", "LED": "led", "RATEEST": "rateest", "HMARK": "mark",
    "SNPT": "snpt", "DNPT": "dnpt",
}
_NAT_TARGETS = {"SNAT": "snat", "DNAT": "dnat", "MASQUERADE": "masquerade", "REDIRECT": "redirect",
                "NETMAP": "netmap"}
_QUEUE_TARGETS = frozenset({"QUEUE", "NFQUEUE"})
_OTHER_KNOWN_TARGETS = frozenset({"TPROXY", "SYNPROXY", "MIRROR", "CLUSTERIP", "TARPIT", "DELUDE",
                                   "CHAOS"})
KNOWN_TARGETS = (frozenset(_TERMINAL_TARGETS) | _CONTINUE_TARGETS | frozenset(_ALTERATION_TARGETS)
                 | frozenset(_NAT_TARGETS) | _QUEUE_TARGETS | _OTHER_KNOWN_TARGETS)

_STATE_WORDS = {s: i for i, s in enumerate(m.STATES)}
_ALL_FLAGS = 0x3F  # iptables' ALL: FIN SYN RST PSH ACK URG (not ECE, CWR)
_IPT_FLAG_NAMES = ("FIN", "SYN", "RST", "PSH", "ACK", "URG")  # the names libxt_tcp accepts


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


# --------------------------------------------------------------------------- table state


@dataclass
class _PendingRule:
    match: m.Match
    target: str | None
    goto: bool
    target_opts: list[tuple[bool, str, list[str]]]
    target_text: str
    origin: m.Origin
    comment: str
    target_word: int  # index of the target's name among the line's words (0: none)
    chain: str = ""

    @property
    def target_col(self) -> int:
        return _split_words(self.origin.text).column(self.target_word) if self.target_word else self.origin.column


@dataclass
class _Chain:
    name: str
    builtin: bool
    origin: m.Origin | None
    policy: str = "ACCEPT"
    policy_origin: m.Origin | None = None
    rules: list[_PendingRule] = field(default_factory=list)


@dataclass
class _Table:
    name: str
    origin: m.Origin
    chains: dict[str, _Chain] = field(default_factory=dict)
    committed: bool = False
    implicit: bool = False


_MAX_MESSAGE = 400
# an IPv6 zone id after an address (before a prefix length or the next address of a list)
_ZONE_RE = re.compile(r"%([^%/,\s]+)(?=$|[/,])")
_MAX_CHAIN_NAME = 28  # iptables: XT_EXTENSION_MAXNAMELEN (29) less the NUL


class _Converter:
    def __init__(self, path: str, family: int) -> None:
        self.path = path
        self.family = family
        self.diags: list[m.Diagnostic] = []
        self.bad_lines: set[int] = set()
        self.diag_line, self.diag_count = 0, 0  # diagnostics of the line being read, so far
        self.tables: list[_Table] = []
        self.table: _Table | None = None
        self.unknown_table = False
        self.no_table_reported = False
        self.opaque_memo: dict = {}

    # ----------------------------------------------------------------- diagnostics

    def diag(self, line: int, col: int, text: str, severity: str, code: str, message: str,
             construct: str = "") -> None:
        if len(message) > _MAX_MESSAGE:  # (a message quoting a megabyte word stays short)
            message = message[:_MAX_MESSAGE - 3] + "..."
        if len(construct) > _MAX_MESSAGE:
            construct = construct[:_MAX_MESSAGE - 3] + "..."
        if line != self.diag_line:
            self.diag_line, self.diag_count = line, 0
        self.diag_count += 1
        if self.diag_count > MAX_IPTABLES_DIAGNOSTICS_PER_LINE:
            if severity != "note":
                self.bad_lines.add(line)
            if self.diag_count == MAX_IPTABLES_DIAGNOSTICS_PER_LINE + 1:
                self.diags.append(m.Diagnostic(
                    m.Origin(self.path, line, col, text), "warning", "too-many-problems",
                    f"more than {MAX_IPTABLES_DIAGNOSTICS_PER_LINE} problems on this line: the others are not "
                    f"listed (linter/limits.py MAX_IPTABLES_DIAGNOSTICS_PER_LINE)"))
            return
        self.diags.append(m.Diagnostic(m.Origin(self.path, line, col, text), severity, code, message,
                                       construct))  # type: ignore[arg-type]
        if severity != "note":
            self.bad_lines.add(line)

    # ----------------------------------------------------------------- lines

    def line(self, lineno: int, text: str) -> None:
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            return
        if self.unknown_table:
            if stripped.startswith("*"):
                self.unknown_table = False
            else:
                self.bad_lines.add(lineno)
                if stripped == "COMMIT":
                    self.unknown_table = False
                return
        if len(text) > MAX_IPTABLES_LINE_LENGTH:
            self.too_long(lineno, text)
            return
        ws = _split_words(text)
        if ws.error is not None:
            col, msg = ws.error
            self.diag(lineno, col, text, "error", "syntax", msg)
            self.keep_unreadable_rule(lineno, text, ws, _classify(ws))
            return
        sig = _classify(ws)
        if self.repeated_option(lineno, text, ws, sig):
            return
        if len(sig) > MAX_IPTABLES_LINE_WORDS:
            text = _cut(text)
            self.diag(lineno, 1, text, "error", "syntax",
                      f"line of {len(sig)} words: more than fwlint parses (linter/limits.py "
                      f"MAX_IPTABLES_LINE_WORDS = {MAX_IPTABLES_LINE_WORDS}; iptables-restore itself takes "
                      "at most 255): not read")
            self.keep_unreadable_rule(lineno, text, ws, sig)
            return
        try:
            plan = _plan(sig)
        except _SyntaxFailure as e:
            self.syntax_error(lineno, text, ws, sig, e)
            return
        getattr(self, "do_" + plan[0])(lineno, text, ws, plan)

    def too_long(self, lineno: int, text: str) -> None:
        """A line too long to read: reported, not split into words; a rule it appends to a
        chain is kept as not understood (its first words say which chain). Their origins
        hold the line's beginning only: reports and fingerprints stay small."""
        length = len(text)
        text = _cut(text)
        self.diag(lineno, 1, text, "error", "syntax",
                  f"line of {length} characters: longer than fwlint reads (linter/limits.py "
                  f"MAX_IPTABLES_LINE_LENGTH = {MAX_IPTABLES_LINE_LENGTH}; iptables-restore itself reads "
                  "at most 10239 bytes per line): not read")
        head = text.lstrip()[:256].split()[:3]
        ws = _Words(head, None, None, text)
        self.keep_unreadable_rule(lineno, text, ws, _classify(ws))

    # generic options iptables takes once per rule ("multiple -s flags not allowed"); -j and
    # -g name one target between them
    _ONCE = {"PROTO": "PROTO", "SRC": "SRC", "DST": "DST", "IN": "IN", "OUT": "OUT", "FRAG": "FRAG",
             "JUMP": "TARGET", "GOTO": "TARGET"}

    def repeated_option(self, lineno: int, text: str, ws: _Words, sig: tuple[str, ...]) -> bool:
        """A generic option given twice: iptables-restore refuses the line, and so does
        fwlint, before parsing it (one scan of the words: a line that repeats `-s` a
        million times costs one pass, and one diagnostic)."""
        once = self._ONCE
        seen: set[str] = set()
        for i, t in enumerate(sig):
            kind = once.get(t)
            if kind is None:
                continue
            if kind in seen:
                what = "-j/-g" if kind == "TARGET" else ws.words[i]
                self.diag(lineno, ws.column(i), text, "error", "invalid",
                          f"multiple {what} options are not allowed: iptables-restore refuses this line; "
                          "its rule is not analysed")
                self.keep_unreadable_rule(lineno, text, ws, sig)
                return True
            seen.add(kind)
        return False

    def syntax_error(self, lineno: int, text: str, ws: _Words, sig: tuple[str, ...],
                     e: _SyntaxFailure) -> None:
        i = e.index
        if i < len(ws.words):
            w = ws.words[i]
            shown = w if len(w) <= 60 else w[:57] + "..."
            msg = f"unexpected {shown!r}"
            if sig[i] == "SHORTOPT":
                msg = f"unknown option {shown!r}"
        else:
            msg = "unexpected end of line"
        self.diag(lineno, ws.column(i), text, "error", "syntax", msg)
        self.keep_unreadable_rule(lineno, text, ws, sig)

    def keep_unreadable_rule(self, lineno: int, text: str, ws: _Words, sig: tuple[str, ...]) -> None:
        """Keep the rule of an -A/-I line that cannot be read as an unknown action, so that
        evaluation stays sound (every answer through it is approximate) and the indices of
        the rules after it stay those of the kernel."""
        k = 1 if sig and sig[0] == "COUNTER" else 0
        if len(sig) > k + 1 and sig[k] in ("APPEND", "INSERT") and sig[k + 1] == "WORD":
            chain = self.chain_for_rule(lineno, text, ws, ws.words[k + 1], k)
            if chain is not None:
                rule = _unreadable_rule(m.Origin(self.path, lineno, ws.column(k), text))
                rule.chain = chain.name
                if sig[k] == "INSERT":
                    chain.rules.insert(0, rule)
                else:
                    chain.rules.append(rule)

    def ensure_table(self, lineno: int, text: str) -> _Table:
        if self.table is None:
            if not self.no_table_reported:
                self.no_table_reported = True
                self.diag(lineno, 1, text, "warning", "no-table",
                          "rule outside a table (no *filter line before it): read as table filter")
            t = self.find_table("filter")
            if t is None:
                t = _Table("filter", m.Origin(self.path, lineno, 1, text), implicit=True)
                self.add_builtins(t)
                self.tables.append(t)
            self.table = t
        return self.table

    def find_table(self, name: str) -> _Table | None:
        for t in self.tables:
            if t.name == name:
                return t
        return None

    def add_builtins(self, t: _Table) -> None:
        for c in BUILTIN_CHAINS[t.name]:
            t.chains.setdefault(c, _Chain(c, True, None))

    def do_table(self, lineno, text, ws, plan) -> None:
        name = ws.words[plan[1]][1:]
        if self.table is not None and not self.table.committed and not self.table.implicit:
            self.diag(lineno, 1, text, "warning", "missing-commit",
                      f"table {self.table.name} has no COMMIT before this table")
        self.table = None
        if name not in BUILTIN_CHAINS:
            self.diag(lineno, 1, text, "warning", "unknown-table", f"unknown table {name!r}: its lines are skipped",
                      construct=f"*{name}")
            self.unknown_table = True
            return
        old = self.find_table(name)
        if old is not None:
            self.diag(lineno, 1, text, "note", "duplicate-table",
                      f"table {name} appears again: it replaces the earlier one (as iptables-restore does)")
            self.tables.remove(old)
        t = _Table(name, m.Origin(self.path, lineno, 1, text))
        self.tables.append(t)
        self.table = t

    def do_commit(self, lineno, text, ws, plan) -> None:
        if self.table is None:
            self.diag(lineno, 1, text, "warning", "syntax", "COMMIT outside a table")
            return
        self.table.committed = True
        self.add_builtins(self.table)
        self.table = None

    def do_chain(self, lineno, text, ws, plan) -> None:
        t = self.ensure_table(lineno, text)
        name = ws.words[0][1:]
        origin = m.Origin(self.path, lineno, 1, text)
        if not name:
            self.diag(lineno, 1, text, "error", "syntax", "chain declaration without a name")
            return
        policy = ws.words[plan[2]] if plan[2] >= 0 else None
        builtin = name in BUILTIN_CHAINS[t.name]
        ch = t.chains.get(name)
        if ch is None:
            self.check_chain_name(lineno, 2, text, name)
            ch = _Chain(name, builtin, origin)
            t.chains[name] = ch
        else:
            ch.origin = ch.origin or origin
            if not builtin:
                self.diag(lineno, 1, text, "warning", "duplicate-chain", f"chain {name} declared twice")
        if policy is None:
            if builtin:
                self.diag(lineno, 1, text, "warning", "syntax", f"built-in chain {name} declared without a policy")
            return
        col = ws.column(plan[2])
        if builtin:
            if policy in ("ACCEPT", "DROP"):
                ch.policy = policy
                ch.policy_origin = origin
            elif policy == "-":
                ch.policy_origin = origin
                self.diag(lineno, col, text, "note", "approximate",
                          f"built-in chain {name} with policy '-' keeps the kernel's policy: assumed ACCEPT",
                          construct="policy -")
            else:
                self.diag(lineno, col, text, "warning", "invalid", f"bad policy {policy!r} for {name}")
        elif policy != "-":
            self.diag(lineno, col, text, "warning", "invalid",
                      f"user chain {name} cannot have a policy ({policy}): it returns to its caller")

    def do_new(self, lineno, text, ws, plan) -> None:
        t = self.ensure_table(lineno, text)
        name = ws.words[plan[1]]
        if name in t.chains:
            self.diag(lineno, ws.column(plan[1]), text, "warning", "duplicate-chain",
                      f"chain {_shown(name)} already exists")
            return
        self.check_chain_name(lineno, ws.column(plan[1]), text, name)
        t.chains[name] = _Chain(name, False, m.Origin(self.path, lineno, ws.column(plan[1] - 1), text))

    def check_chain_name(self, lineno: int, col: int, text: str, name: str) -> None:
        """iptables refuses a chain name longer than 28 characters (XT_EXTENSION_MAXNAMELEN
        less its NUL): "chain name too long (must be under 29 chars)". Reported once, where
        the chain is declared; the chain is still analysed."""
        if len(name) > _MAX_CHAIN_NAME:
            self.diag(lineno, col, text, "warning", "invalid",
                      f"chain name of {len(name)} characters ({_shown(name)}): iptables allows at most "
                      f"{_MAX_CHAIN_NAME} and refuses this line")

    def do_policy(self, lineno, text, ws, plan) -> None:
        t = self.ensure_table(lineno, text)
        name = ws.words[plan[1]]
        policy = ws.words[plan[2]]
        origin = m.Origin(self.path, lineno, ws.column(plan[1] - 1), text)
        if name not in BUILTIN_CHAINS[t.name]:
            self.diag(lineno, ws.column(plan[1]), text, "warning", "invalid",
                      f"-P on {name}: only built-in chains have a policy")
            return
        if policy not in ("ACCEPT", "DROP"):
            self.diag(lineno, ws.column(plan[2]), text, "warning", "invalid", f"bad policy {policy!r}")
            return
        ch = t.chains.get(name)
        if ch is None:
            ch = _Chain(name, True, None)
            t.chains[name] = ch
        ch.policy = policy
        ch.policy_origin = origin

    def do_flush(self, lineno, text, ws, plan) -> None:
        t = self.ensure_table(lineno, text)
        if plan[1] < 0:
            for ch in t.chains.values():
                ch.rules.clear()
            return
        name = ws.words[plan[1]]
        ch = t.chains.get(name)
        if ch is None:
            self.diag(lineno, ws.column(plan[1]), text, "warning", "undeclared-chain", f"-F of unknown chain {name}")
            return
        ch.rules.clear()

    def do_zero(self, lineno, text, ws, plan) -> None:
        self.ensure_table(lineno, text)

    def do_other(self, lineno, text, ws, plan) -> None:
        self.ensure_table(lineno, text)
        opt = ws.words[plan[1]]
        self.diag(lineno, ws.column(plan[1]), text, "warning", "unsupported-command",
                  f"command {opt} is not supported in a ruleset file", construct=opt)

    def chain_for_rule(self, lineno, text, ws, name, cmd_i) -> _Chain | None:
        t = self.ensure_table(lineno, text)
        ch = t.chains.get(name)
        if ch is None:
            if name in BUILTIN_CHAINS[t.name]:
                ch = _Chain(name, True, None)
            else:
                origin = m.Origin(self.path, lineno, ws.column(cmd_i), text)
                self.diag(lineno, ws.column(cmd_i + 1), text, "error", "undeclared-chain",
                          f"chain {_shown(name)} is not declared in table {t.name} (created to analyse it)")
                ch = _Chain(name, False, origin)
            t.chains[name] = ch
        return ch

    def do_append(self, lineno, text, ws, plan) -> None:
        self.add_rule(lineno, text, ws, plan[1], plan[2], None)

    def do_insert(self, lineno, text, ws, plan) -> None:
        pos = 1
        if plan[2] >= 0:
            w = ws.words[plan[2]]
            if w.isdigit() and read_int(w) >= 1:
                pos = read_int(w)
            else:
                self.diag(lineno, ws.column(plan[2]), text, "error", "syntax", f"bad rule number {w!r}")
                return
        self.add_rule(lineno, text, ws, plan[1], plan[3], pos)

    # ----------------------------------------------------------------- rules

    def add_rule(self, lineno, text, ws, chain_i, items, insert_at) -> None:
        chain = self.chain_for_rule(lineno, text, ws, ws.words[chain_i], chain_i - 1)
        if chain is None:
            return
        rule = _RuleBuilder(self, lineno, text, ws, chain_i - 1).build(items)
        rule.chain = chain.name
        if insert_at is None:
            chain.rules.append(rule)
        else:
            if insert_at > len(chain.rules) + 1:
                self.diag(lineno, ws.column(chain_i + 1), text, "warning", "invalid",
                          f"rule number {insert_at} is past the end of chain {chain.name}")
            chain.rules.insert(insert_at - 1, rule)

    # ----------------------------------------------------------------- finish

    def finish(self, last_line: int, last_text: str) -> tuple[list[m.Filter], list[m.Alteration], list[m.Binding]]:
        if self.table is not None and not self.table.committed:
            self.diag(last_line, 1, last_text, "warning", "truncated",
                      f"end of file before COMMIT of table {self.table.name}: its rules are analysed as read")
        filters: list[m.Filter] = []
        alterations: list[m.Alteration] = []
        pending: dict[int, _PendingRule] = {}  # id of each rule -> what it was read from
        for t in self.tables:
            self.add_builtins(t)
            built = {}
            for ch in t.chains.values():
                rules = []
                for i, pr in enumerate(ch.rules):
                    try:
                        action, alt = self.action(t, pr)
                    except Exception as e:  # never raise on input: report it at the rule
                        self.diag(pr.origin.line, pr.origin.column, pr.origin.text, "error", "internal",
                                  f"could not read this rule's target: {type(e).__name__}: {e}")
                        action, alt = _act("unknown", detail=pr.target_text), None
                    rule = m.Rule(pr.match, action, pr.origin, i, comment=pr.comment)
                    rules.append(rule)
                    pending[id(rule)] = pr
                    if alt is not None:
                        alterations.append(alt)
                built[ch.name] = rules
            stages = _reachability(t.name, {n: rs for n, rs in built.items()})
            expanded: list[m.Alteration] = []
            for alt in alterations:
                if alt.table != t.name or alt.stage != "?":
                    expanded.append(alt)
                    continue
                sts = stages.get(alt.chain, ())
                if not sts:
                    expanded.append(_replace_stage(alt, ""))
                for s in sts:
                    expanded.append(_replace_stage(alt, s))
            alterations = expanded
            for ch in t.chains.values():
                if ch.builtin:
                    default = _act("accept" if ch.policy == "ACCEPT" else "drop")
                    filters.append(m.Filter(ch.name, tuple(built[ch.name]), default, table=t.name, builtin=True,
                                            family=self.family, origin=ch.origin,
                                            default_origin=ch.policy_origin or ch.origin))
                else:
                    filters.append(m.Filter(ch.name, tuple(built[ch.name]), m.Action("return"), table=t.name,
                                            builtin=False, family=self.family, origin=ch.origin))
        self.report_jump_loops(filters, pending)
        table_order = {t.name: i for i, t in enumerate(self.tables)}
        alterations.sort(key=lambda a: (table_order.get(a.table, 99), a.origin.line,
                                        HOOK_ORDER.index(a.stage) if a.stage in HOOK_ORDER else 9))
        bindings: list[m.Binding] = []
        if self.find_table("filter") is not None:
            for hook in ("INPUT", "FORWARD", "OUTPUT"):
                bindings.append(m.Binding(hook, hook, family=self.family))
        return filters, alterations, bindings

    def report_jump_loops(self, filters: list[m.Filter], pending: dict[int, _PendingRule]) -> None:
        """An error at the jump that closes each loop of chains a built-in chain reaches
        (`model.jump_loops` says which jump: the first edge back to a chain on the path of
        a depth-first walk from the built-in chains, in file order). The kernel refuses
        such a table: iptables-nft-restore at that rule ("Too many links"), the legacy
        iptables-restore at COMMIT (ELOOP, "Too many levels of symbolic links"). A loop no
        built-in chain reaches is loaded and never runs: FW006 reports its chains."""
        for loop in m.jump_loops(filters):
            if not loop.reachable:
                continue
            self.diag_line = 0  # (never left out by the cap on a line's diagnostics)
            o = loop.rule.origin
            pr = pending.get(id(loop.rule))
            col = _split_words(o.text).column(pr.target_word - 1) if pr is not None and pr.target_word else o.column
            opt = "-g" if loop.rule.action.kind == "goto" else "-j"
            cycle = " -> ".join(_shown(c) for c in loop.cycle)
            self.diag(o.line, col, o.text, "error", "jump-loop",
                      f"{opt} {_shown(loop.cycle[0])} closes the jump loop {cycle} in table {loop.table}: "
                      "iptables-restore refuses the table (ELOOP); fwlint does not follow this jump, "
                      "and answers that depend on it are approximate", construct="jump loop")

    def action(self, t: _Table, pr: _PendingRule) -> tuple[m.Action, m.Alteration | None]:
        name = pr.target
        o = pr.origin
        if pr.target_text == "?":
            return _act("unknown", detail="rule not understood"), None
        if name is None:
            return _act("continue"), None
        detail = pr.target_text
        if pr.target_opts and (name in ("ACCEPT", "DROP", "RETURN") or (name in t.chains and name not in KNOWN_TARGETS)
                               or (name == "REJECT" and any(o != "--reject-with" for _n, o, _a in pr.target_opts))):
            self.diag(o.line, pr.target_col, o.text, "warning", "unknown-option",
                      f"target {name} takes no option {' '.join(o for _n, o, _a in pr.target_opts)}",
                      construct=name)
        if name in t.chains and name not in KNOWN_TARGETS:
            if t.chains[name].builtin:
                self.diag(o.line, pr.target_col, o.text, "warning", "invalid",
                          f"cannot jump to built-in chain {name}")
                return _act("unknown", detail=detail), None
            return _act("goto" if pr.goto else "jump", target=name, detail=detail), None
        if pr.goto:
            self.diag(o.line, pr.target_col, o.text, "error", "undefined-reference",
                      f"-g to chain {name}, which is not declared in table {t.name}", construct="chain")
            return _act("goto", target=name, detail=detail), None
        if name in _TERMINAL_TARGETS:
            return _act(_TERMINAL_TARGETS[name], detail=detail if name == "REJECT" else ""), None  # type: ignore[arg-type]
        params = tuple((opt.lstrip("-"), " ".join(args)) for _neg, opt, args in pr.target_opts)
        if name in _CONTINUE_TARGETS:
            return _act("continue", detail=detail), None
        if name in _ALTERATION_TARGETS:
            alt = m.Alteration(_ALTERATION_TARGETS[name], pr.match, o, "?", t.name, self.chain_of(t, pr), params, detail)
            return _act("continue", detail=detail), alt
        if name in _NAT_TARGETS:
            alt = m.Alteration(_NAT_TARGETS[name], pr.match, o, "?", t.name, self.chain_of(t, pr), params, detail)
            if t.name != "nat":
                self.diag(o.line, pr.target_col, o.text, "warning", "invalid", f"{name} is only valid in table nat")
                return _act("unknown", detail=detail), alt
            return _act("accept", detail=detail), alt
        if name in _QUEUE_TARGETS:
            self.diag(o.line, pr.target_col, o.text, "note", "approximate",
                      f"{name} hands packets to userspace: verdict unknown", construct=name)
            return _act("unknown", detail=detail), None
        if name in ("TPROXY",):
            self.diag(o.line, pr.target_col, o.text, "note", "approximate",
                      f"{name}: verdict depends on a local socket", construct=name)
            alt = m.Alteration("tproxy", pr.match, o, "?", t.name, self.chain_of(t, pr), params, detail)
            return _act("unknown", detail=detail), alt
        if name in _OTHER_KNOWN_TARGETS:
            self.diag(o.line, pr.target_col, o.text, "note", "approximate", f"target {name} is not modelled",
                      construct=name)
            return _act("unknown", detail=detail), None
        if not pr.target_opts:
            # iptables cannot tell a missing chain from a missing extension either; without
            # options it reads as a jump to a chain that was never declared
            self.diag(o.line, pr.target_col, o.text, "error", "undefined-reference",
                      f"-j to chain {name}, which is not declared in table {t.name} "
                      "(nor is it a known target)", construct="chain")
            return _act("jump", target=name, detail=detail), None
        self.diag(o.line, pr.target_col, o.text, "warning", "unknown-target",
                  f"unknown target {name} (no such chain in table {t.name})", construct=name)
        return _act("unknown", detail=detail), None

    def chain_of(self, t: _Table, pr: _PendingRule) -> str:
        return pr.chain


def _unreadable_rule(origin: m.Origin) -> _PendingRule:
    """A rule fwlint cannot read (or iptables refuses): it matches on a condition of its
    own, and does what is not known."""
    match = m.Match((m.Opaque(f"unparsed@{origin.path}:{origin.line}", "rule not understood"),))
    return _PendingRule(match, None, False, [], "?", origin, "", 0)


def _cut(text: str, limit: int = 1000) -> str:
    """The beginning of a line too long to read, as its origins quote it."""
    return text if len(text) <= limit else text[:limit] + " ..."


def _shown(name: str, limit: int = 40) -> str:
    """A name as messages show it: a hostile 100,000-character chain name is cut."""
    return name if len(name) <= limit else name[:limit - 3] + "..."


def _replace_stage(alt: m.Alteration, stage: str) -> m.Alteration:
    return m.Alteration(alt.kind, alt.match, alt.origin, stage, alt.table, alt.chain, alt.params, alt.description)


def _reachability(table: str, rules: dict[str, list[m.Rule]]) -> dict[str, tuple[str, ...]]:
    """chain -> built-in chains (hook order) from which it is reachable by jumps/gotos."""
    edges: dict[str, set[str]] = {}
    for name, rs in rules.items():
        edges[name] = {r.action.target for r in rs if r.action.kind in ("jump", "goto") and r.action.target}
    reach: dict[str, list[str]] = {}
    for b in HOOK_ORDER:
        if b not in BUILTIN_CHAINS[table] or b not in rules:
            continue
        seen = {b}
        stack = [b]
        while stack:
            c = stack.pop()
            for n in edges.get(c, ()):
                if n not in seen:
                    seen.add(n)
                    stack.append(n)
        for c in seen:
            reach.setdefault(c, []).append(b)
    return {c: tuple(v) for c, v in reach.items()}


# --------------------------------------------------------------------------- one rule


class _RuleBuilder:
    def __init__(self, conv: _Converter, lineno: int, text: str, ws: _Words, cmd_i: int) -> None:
        self.conv = conv
        self.lineno = lineno
        self.text = text
        self.ws = ws
        self.cmd_i = cmd_i
        self.conds: list[m.Cond] = []
        self.proto: int | None = None
        self.proto_neg = False
        self.comments: list[str] = []
        self.extra_words: list[str] = []
        self.occurrence = 0  # stateful matches of this rule so far (for their Opaque keys)
        self.recording: list | None = None  # diagnostics of a module conversion being cached
        # an option iptables takes once per match, given twice: it refuses the line
        self.refused = False
        self.said: set[tuple[str, str, str]] = set()  # the diagnostics given for this line

    def diag(self, i: int, severity: str, code: str, message: str, construct: str = "") -> None:
        if self.recording is not None:
            self.recording.append((i, (severity, code, message, construct)))
            return
        # the same message once per line: a line repeating an option thousands of times is
        # one diagnostic, not one per repetition
        said = (severity, code, message)
        if said in self.said:
            return
        self.said.add(said)
        self.conv.diag(self.lineno, self.ws.column(i), self.text, severity, code, message, construct)

    def build(self, items: tuple) -> _PendingRule:
        words = self.ws.words
        fam = self.conv.family
        modules: list[list] = []  # [name, word_i, options]; options: [neg, opt, args(list of word idx), opt_i]
        implicit: list = []
        target: str | None = None
        goto = False
        target_i = -1
        target_opts: list = []
        section = None  # None, "target" or a module record
        for kind, neg, oi, args in items:
            if kind == "option":
                opt = words[oi]
                argv = [a for _n, a in args]
                inner = any(n for n, _a in args)
                if inner:
                    neg = not neg
                rec = [neg, opt, argv, oi]
                if section == "target":
                    target_opts.append(rec)
                    continue
                if "=" in opt:
                    o, _, v = opt.partition("=")
                    rec = [neg, o, argv, oi]
                    argv.insert(0, -1 - len(self.extra_words))
                    self.extra_words.append(v)
                    opt = o
                owner = None
                if section is not None:
                    own = _MODULE_OPTIONS.get(section[0])
                    if own is not None and opt in own:
                        owner = section
                if owner is None:
                    for mod in reversed(modules):
                        own = _MODULE_OPTIONS.get(mod[0])
                        if own is not None and opt in own:
                            owner = mod
                            break
                if owner is None:
                    if section is not None and section[0] not in _MODULE_OPTIONS and not (
                            opt in _IMPLICIT_OPTIONS.get(self.proto, ()) and not self.proto_neg):
                        owner = section  # approximated and unknown modules swallow their options
                    else:
                        implicit.append(rec)
                        continue
                owner[2].append(rec)
            elif kind == "module":
                name = words[args[0][1]]
                rec = [name, args[0][1], []]
                modules.append(rec)
                section = rec
            elif kind in ("jump", "goto"):
                # (a second target never gets here: `_Converter.repeated_option`)
                target = words[args[0][1]]
                goto = kind == "goto"
                target_i = oi
                section = "target"
            elif kind == "set_counters":
                continue
            else:
                # (each generic option comes once: `_Converter.repeated_option`)
                self.generic(kind, neg, oi, args, fam)
        # the implicit protocol match
        if implicit:
            iname = _IMPLICIT_MODULE.get(self.proto) if self.proto is not None and not self.proto_neg else None
            if iname is None:
                for rec in implicit:
                    self.diag(rec[3], "warning", "unknown-option",
                              f"unknown option {words[rec[3]]} (no module loaded that takes it)",
                              construct=words[rec[3]])
                    self.conds.append(m.Opaque(f"unknown-option {self.canon([rec])}", self.canon([rec]), False))
            else:
                modules.insert(0, [iname, -1, implicit])
        for rec in modules:
            self.module(rec[0], rec[1], rec[2])
        target_text = ""
        if target is not None:
            parts = [target]
            for neg, opt, argv, _oi in target_opts:
                if neg:
                    parts.append("!")
                parts.append(opt)
                parts.extend(_shell_quote(self.word(a)) for a in argv)
            target_text = " ".join(parts)
        origin = m.Origin(self.conv.path, self.lineno, self.ws.command_column(self.cmd_i), self.text)
        if self.refused:
            return _unreadable_rule(origin)
        return _PendingRule(m.Match(tuple(self.conds)), target, goto,
                            [(neg, opt, [self.word(a) for a in argv]) for neg, opt, argv, _ in target_opts],
                            target_text, origin, "; ".join(self.comments), target_i + 1)

    def word(self, i: int) -> str:
        if i < 0:
            return self.extra_words[-1 - i]
        return self.ws.words[i]

    # ----------------------------------------------------------------- generic options

    def generic(self, kind: str, neg: bool, oi: int, args: tuple, fam: int) -> None:
        words = self.ws.words
        if args and args[0][0]:
            neg = not neg
        val_i = args[0][1] if args else -1
        val = words[val_i] if args else ""
        if kind == "protocol":
            n = names.proto_number(val)
            if n is None:
                self.diag(val_i, "warning", "invalid", f"unknown protocol {val!r}")
                self.conds.append(m.Opaque(f"proto {val}", f"-p {val}", neg))
                return
            if n == 0:
                if neg:
                    self.diag(val_i, "warning", "invalid", "! -p all matches no packet")
                    self.conds.append(m.IntCond(m.PROTO, ((0, 255),), True))
                self.proto = None
                return
            self.proto = n
            self.proto_neg = neg
            self.conds.append(_cached(m.IntCond, m.PROTO, ((n, n),), neg))
        elif kind in ("source", "destination"):
            field_ = m.SRC if kind == "source" else m.DST
            if "%" in val and fam == 6:
                val = self.without_zone_ids(val_i, val)
            try:
                r = _addr_ranges(val, fam)
            except _Bad as e:
                self.diag(val_i, "warning", "invalid", str(e))
                self.conds.append(m.Opaque(f"{field_} {val}", f"{'-s' if field_ == m.SRC else '-d'} {val}", neg))
                return
            if isinstance(r, str):
                self.diag(val_i, "note", "approximate", f"{val}: {r} is not modelled exactly", construct=r)
                self.conds.append(m.Opaque(f"{field_} {val}", f"{'-s' if field_ == m.SRC else '-d'} {val}", neg))
                return
            if neg and "," in val:
                self.diag(val_i, "warning", "invalid",
                          "! is not allowed with several addresses (iptables refuses it)")
            self.conds.append(_cached(m.AddrCond, field_, r, neg))
        elif kind in ("in_interface", "out_interface"):
            field_ = m.IN_IFACE if kind == "in_interface" else m.OUT_IFACE
            if len(val) > 15 or not val:
                self.diag(val_i, "warning", "invalid", f"bad interface name {val!r}")
            self.conds.append(_cached(m.IfaceCond, field_, (val,), neg))
        elif kind == "fragment":
            self.conds.append(m.Opaque("fragment", "-f (second and later fragments)", neg))
            self.diag(oi, "note", "approximate", "-f (fragments) is not modelled exactly", construct="-f")
        elif kind == "family":
            want = 4 if words[oi] in ("-4", "--ipv4") else 6
            if want != fam:
                self.conds.append(m.IntCond(m.FAMILY, ((want, want),), False))

    def without_zone_ids(self, val_i: int, val: str) -> str:
        """`fe80::1%eth0` -> `fe80::1`, said aloud. ip6tables resolves the address with
        getaddrinfo on the machine that loads the rules: it refuses the line there when no
        interface has that name, and otherwise drops the zone (ip6tables-save prints
        `fe80::1/128`: the rule matches the address on every interface). fwlint reads the
        rule as loaded, and warns, since where it loads is not in the file."""
        zones = _ZONE_RE.findall(val)
        if not zones:
            return val  # (a `%` that is not a zone id: the address is reported as bad)
        names_ = ", ".join(dict.fromkeys(f"%{z}" for z in zones))
        self.diag(val_i, "warning", "zone-id",
                  f"{val}: ip6tables drops the zone id {names_} (the rule then matches the address on every "
                  "interface), and refuses the line on a machine without such an interface; read without it",
                  construct="zone id")
        return _ZONE_RE.sub("", val)

    # ----------------------------------------------------------------- modules

    def canon(self, opts: list) -> str:
        parts = []
        for neg, opt, argv, _oi in opts:
            if neg:
                parts.append("!")
            parts.append(opt)
            parts.extend(_shell_quote(self.word(a)) for a in argv)
        return " ".join(parts)

    def opaque(self, module: str, opts: list, at: int, code_severity=("note", "approximate"),
               construct: str | None = None) -> None:
        negated = False
        if len(opts) == 1 and opts[0][0]:
            negated = True
            body = self.canon([[False, *opts[0][1:]]])
        else:
            body = self.canon(opts)
        desc = f"-m {module} {body}".rstrip()
        if module in STATEFUL_MODULES:
            self.occurrence += 1
            key = f"{module}@{self.conv.path}:{self.lineno}#{self.occurrence} {body}".rstrip()
        else:
            key = f"{module} {body}".rstrip()
        self.conds.append(m.Opaque(key, desc, negated))
        sev, code = code_severity
        if sev == "warning":
            msg = f"unknown match module {module!r}: treated as an unknown condition"
        else:
            msg = f"-m {module} {body}: not modelled exactly".replace("  ", " ")
        self.diag(at, sev, code, msg, construct if construct is not None else module)

    def module(self, name: str, mi: int, opts: list) -> None:
        """Convert one match module occurrence (cached for modules that are pure predicates)."""
        if name in STATEFUL_MODULES:
            self.convert_module(name, mi, opts)
            return
        word = self.word
        key = (name, self.proto, self.proto_neg, mi < 0,
               tuple((neg, opt, tuple(word(a) for a in argv)) for neg, opt, argv, _oi in opts))
        hit = _module_cache.get(key)
        if hit is None:
            # record the conditions, comments and diagnostics, with word positions made relative
            where: dict[int, tuple] = {mi: ("m",)}
            for k, (_neg, _opt, argv, oi) in enumerate(opts):
                where.setdefault(oi, ("o", k))
                if argv:
                    where.setdefault(argv[0], ("a", k))
            n_conds = len(self.conds)
            n_comments = len(self.comments)
            self.recording = []
            refused_before, self.refused = self.refused, False
            try:
                self.convert_module(name, mi, opts)
                diags = tuple((where.get(i, ("m",)), rest) for i, rest in self.recording)
            finally:
                self.recording = None
            refused, self.refused = self.refused, self.refused or refused_before
            hit = (tuple(self.conds[n_conds:]), tuple(self.comments[n_comments:]), diags, refused)
            if len(_module_cache) < 50_000:
                _module_cache[key] = hit
            for pos, rest in diags:
                self.diag(self.position(pos, mi, opts), *rest)
            return
        conds, comments, diags, refused = hit
        self.refused = self.refused or refused
        if conds:
            self.conds.extend(conds)
        if comments:
            self.comments.extend(comments)
        for pos, rest in diags:
            self.diag(self.position(pos, mi, opts), *rest)

    @staticmethod
    def position(pos: tuple, mi: int, opts: list) -> int:
        if pos[0] == "o":
            return opts[pos[1]][3]
        if pos[0] == "a":
            argv = opts[pos[1]][2]
            return argv[0] if argv else opts[pos[1]][3]
        return mi if mi >= 0 else (opts[0][3] if opts else 0)

    def convert_module(self, name: str, mi: int, opts: list) -> None:
        at = mi if mi >= 0 else (opts[0][3] if opts else 0)
        if name not in _EXACT_MODULE_OPTIONS:
            if name in KNOWN_MODULES:
                self.opaque(name, opts, at)
            else:
                self.opaque(name, opts, at, ("warning", "unknown-match"))
            return
        protos = _MODULE_PROTOS.get(name)
        if protos is not None and (self.proto not in protos or self.proto_neg):
            self.diag(at, "warning", "invalid", f"-m {name} needs -p {'/'.join(sorted(names.proto_name(p) for p in protos))}")
        if not opts and name not in ("tcp", "udp", "udplite", "sctp", "dccp"):
            self.diag(at, "warning", "invalid", f"-m {name} without options")
        proto_name = names.proto_name(self.proto) if self.proto is not None else "tcp"
        seen: set[str] = set()
        own = _EXACT_MODULE_OPTIONS[name]
        for rec in opts:
            neg, opt, argv, oi = rec
            if opt not in own:
                self.diag(oi, "warning", "unknown-option", f"-m {name} has no option {opt}", construct=opt)
                self.conds.append(m.Opaque(f"{name} {self.canon([rec])}", f"-m {name} {self.canon([rec])}", neg))
                continue
            base = _OPT_ALIASES.get(opt, opt)
            once = "--tcp-flags" if base == "--syn" else base  # ("only one of --syn or --tcp-flags")
            if once in seen:
                self.diag(oi, "error", "invalid",
                          f"-m {name}: {opt} given twice: iptables refuses this line; its rule is not analysed")
                self.refused = True
                return  # (the rest of this match does not matter: the rule is not kept)
            seen.add(once)
            want = 0 if opt in _FLAG_OPTIONS else (2 if opt == "--tcp-flags" else 1)
            if len(argv) != want:
                self.diag(oi, "warning", "invalid", f"{opt} takes {want} value{'s' if want != 1 else ''}")
                self.conds.append(m.Opaque(f"{name} {self.canon([rec])}", f"-m {name} {self.canon([rec])}", False))
                continue
            vals = [self.word(a) for a in argv]
            try:
                self.option(name, base, neg, vals, proto_name, rec, oi)
            except _Bad as e:
                self.diag(argv[0] if argv else oi, "warning", "invalid", str(e))
                self.conds.append(m.Opaque(f"{name} {self.canon([rec])}", f"-m {name} {self.canon([rec])}", neg))

    def option(self, module: str, opt: str, neg: bool, vals: list[str], proto: str, rec, oi: int) -> None:
        if opt in ("--sport", "--dport") and ":" in vals[0]:
            a, _, b = vals[0].partition(":")
            if a and b and _port(a, proto) > _port(b, proto):
                # the kernel keeps such a range (old iptables-save printed it): it matches no port
                self.diag(rec[2][0], "warning", "invalid",
                          f"reversed port range {vals[0]!r} matches no port (iptables-restore refuses it)")
                self.conds.append(m.IntCond(m.SPORT if opt == "--sport" else m.DPORT, (), neg))
                return
        if opt in _CACHED_OPTIONS:
            cond = _exact_cond(opt, neg, tuple(vals), proto, self.conv.family)
            if isinstance(cond, str):
                self.opaque("conntrack", [rec], oi, construct=f"conntrack --ctstate {cond}")
            elif cond is not None:
                self.conds.append(cond)
            return
        if opt == "--comment":
            if len(vals[0]) > 255:
                raise _Bad("comment longer than 255 characters")
            self.comments.append(vals[0])
            return
        # the options of exact modules fwlint does not model (tcp-option, ctproto, ...)
        self.opaque(module, [rec], oi, construct=f"{module} {opt}")


_CACHED_OPTIONS = frozenset({"--sport", "--dport", "--sports", "--dports", "--ports", "--tcp-flags", "--syn",
                             "--icmp-type", "--icmpv6-type", "--state", "--ctstate", "--src-range",
                             "--dst-range"})


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


_IMPLICIT_OPTIONS = {p: _EXACT_MODULE_OPTIONS[name] for p, name in _IMPLICIT_MODULE.items()}

_OPT_ALIASES = {
    "--source-port": "--sport", "--destination-port": "--dport",
    "--source-ports": "--sports", "--destination-ports": "--dports",
}


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


# --------------------------------------------------------------------------- entry point


def _decode_lines(data: bytes) -> Iterator[tuple[str, tuple[int, str] | None]]:
    """(text, encoding problem (column, message) or None) for each line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for ln in lines:
            yield (ln[:-1] if ln.endswith("\r") else ln), None
        return
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    for raw in raw_lines:
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        try:
            yield raw.decode("utf-8"), None
        except UnicodeDecodeError as e:
            col = len(raw[:e.start].decode("utf-8", "replace")) + 1
            yield raw.decode("utf-8", "replace"), (col, f"byte 0x{raw[e.start]:02x} is not UTF-8")


def parse(path: str, data: bytes, family: int | None = None) -> m.Device:
    """Parse iptables-save / ip6tables-save / iptables-restore input into a Device."""
    # The parse allocates millions of small acyclic objects: the cyclic garbage collector
    # would walk the growing heap again and again (more than half the time on 100k rules).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse(path, data, family)
    finally:
        if gc_was_enabled:
            gc.enable()


def _parse(path: str, data: bytes, family: int | None) -> m.Device:
    if family is None:
        family = _guess_family(data[:4_000_000].decode("utf-8", "replace"))
    conv = _Converter(path, family)
    n = 0
    last_text = ""
    nul_lines = 0
    for text, enc in _decode_lines(data):
        n += 1
        if "\0" in text:
            # iptables-restore reads a line as a C string: up to its first NUL byte. So does
            # fwlint, and it says so once for the file (a UTF-16 file has NULs on every line)
            cut = text.index("\0")
            text = text[:cut]
            nul_lines += 1
            conv.bad_lines.add(n)  # (what follows the NUL is not read: not understood)
            if nul_lines == 1:
                nul_at = (n, cut + 1, text)
        last_text = text
        if enc is not None:
            conv.diag(n, enc[0], text, "warning", "encoding", enc[1])
        try:
            conv.line(n, text)
        except Exception as e:  # never raise on input: report it at the line
            conv.diag(n, 1, text, "error", "internal", f"could not read this line: {type(e).__name__}: {e}")
    if nul_lines:
        line, col, text = nul_at
        more = f" (and on {nul_lines - 1} more line{'s' if nul_lines > 2 else ''})" if nul_lines > 1 else ""
        conv.diag(line, col, text, "warning", "encoding",
                  f"NUL byte{more}: iptables-restore reads each line only up to its first NUL byte, and so "
                  "does fwlint (is this file UTF-16, or binary?)", construct="NUL")
    filters, alterations, bindings = conv.finish(n, last_text)
    if not filters and not conv.diags:
        # an empty file (or only comments): valid, and says so rather than report a clean
        # ruleset (iptables-restore of it changes nothing)
        conv.diag(1, 1, "", "note", "empty",
                  "no table, chain or rule in this file: nothing to analyse", construct="file")
        conv.bad_lines.discard(1)  # its blank lines and comments were read well enough
    stats = (m.FileStats(path, n, n - len({ln for ln in conv.bad_lines if 1 <= ln <= n})),)
    diags = sorted(conv.diags, key=lambda d: (d.origin.line, d.origin.column))
    return m.Device(
        name=os.path.basename(path),
        platform=PLATFORM,
        sources=(path,),
        filters=tuple(filters),
        bindings=tuple(bindings),
        alterations=tuple(alterations),
        diagnostics=tuple(diags),
        stats=stats,
        family=family,
    )
