"""pf.conf (OpenBSD / FreeBSD packet filter) -> the normalized model.

Layer: platform (parser + converter). Reads `grammars/pf.lark` (LALR) and produces a
`linter.model.Device`; nothing to the right of the model imports this module.

How a file is read (as pfctl reads it, sbin/pfctl/parse.y):

1. A lexer that follows pfctl's `yylex` turns the text into tokens: `#` comments, `\\`
   continuations (joined without a space), quoted strings (a newline inside quotes is
   dropped), words, numbers, keywords, operators (`!=`, `<=`, `<>`, `><`, `->`). A `$name`
   at the start of a token is replaced by the macro's text, which is lexed again, so that
   `$if:network` and `{ $list }` work as in pfctl. Tokens from a macro carry the position
   of the `$`.
2. A splitter cuts the token stream into statements at newlines outside `{ }` (lists may
   span lines) and recognises an anchor's `{ ... }` body (the `{` ends its line).
3. Each statement is parsed by the lark LALR grammar (`pf.lark`); the order of a rule's
   parts is checked here, with pfctl's messages where pfctl has one.
4. A rule becomes an intermediate `_Spec` with its lists (interfaces, protocols, hosts,
   ports, ICMP types, users); pfctl's expansion of the lists is counted and checked
   combination by combination (address family, ports only with tcp/udp, ICMP type and
   protocol), see `expansions()`.
5. At the end, tables are resolved, anchors are put in place, and every `_Spec` becomes one
   `model.Rule` (the union of its combinations, the same packet set as pfctl's expanded
   rules) and its `model.Alteration`s.

Conventions (docs/pf-support.md has the support table):

- One `Filter("pf")`, last match, default accept, bound in and out.
- Rule 0 is a quick accept of packets of existing states (STATE ESTABLISHED or RELATED)
  when a pass rule keeps state; `set skip on IF` adds a quick accept on IF.
- Everything not understood or only approximated is a located `Diagnostic`.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import string
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterator

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedInput, UnexpectedToken
from lark.lexer import Lexer

from .. import files, limits
from .. import model as m
from ..names import read_int
from ..ranges import merge, merge3
from ._text import decode_utf8
from .. import names
from .. import parsers
from .detection import pf as detect, PF_KEYWORDS  # noqa: F401 - each platform's `detect`

__all__ = ["PLATFORM", "detect", "parse", "expansions"]

PLATFORM = "pf"

# --------------------------------------------------------------------------- vocabulary

_KEYWORDS = PF_KEYWORDS  # (in detection.py: recognising pf text needs the vocabulary too)

_PUNCT_TYPES = {"{": "LBRACE", "}": "RBRACE", "(": "LPAREN", ")": "RPAREN", ",": "COMMA",
                "/": "SLASH", "=": "EQ"}
_ALNUM = frozenset(string.ascii_letters + string.digits)
# operators: two characters first (`!=` before `!`); `-` alone starts a word or number
_PAIR_OPS = {"!=": "NE", "<>": "XRANGE", "<=": "LE", "><": "RANGE", ">=": "GE", "->": "ARROW"}
_SINGLE_OPS = {"!": "BANG", "<": "LT", ">": "GT"}
_IN_STRING = _ALNUM | frozenset(c for c in string.punctuation if c not in "(){}<>!=/#,")
_WORD_START = _ALNUM | frozenset(":_*")
_NUM_END = frozenset(" \t\r\n\f\v),/}=")
_SPACE = frozenset(" \t\r\f\v")
_BLANKS_RE = re.compile(r"[ \t\r\f\v]*")
_DIGIT_RUN_RE = re.compile("[0-9]*")
_WORD_RUN_RE = re.compile("[" + re.escape("".join(sorted(c for c in _IN_STRING if c != "\\"))) + "]*")

# statements a line can start with (to recover from an unclosed `{`)
_STMT_START_RE = re.compile(
    r"[ \t]*(?:(?:pass|block|match|anchor|table|set|scrub|nat|rdr|binat|antispoof|altq|queue|"
    r"nat-anchor|rdr-anchor|binat-anchor|load|include|no)[ \t]|[A-Za-z_][A-Za-z0-9_]*[ \t]*=)")

# tokens after which `{` opens a list, never an anchor's body
_LIST_OPENERS = frozenset({"PORT", "FROM", "TO", "PROTO", "ON", "ICMP_TYPE", "ICMP6_TYPE", "USER",
                           "GROUP", "OS", "BANG", "COMMA", "LBRACE", "EQ", "ROUTE_TO", "REPLY_TO",
                           "DUP_TO", "NAT_TO", "RDR_TO", "BINAT_TO", "LIMIT", "TIMEOUT", "QUEUE",
                           "FOR", "SKIP"})

# ICMP names as pfctl knows them (sbin/pfctl/pfctl_parser.c)
ICMP_TYPES = {
    "echoreq": 8, "echorep": 0, "unreach": 3, "squench": 4, "redir": 5, "althost": 6,
    "routeradv": 9, "routersol": 10, "timex": 11, "paramprob": 12, "timereq": 13,
    "timerep": 14, "inforeq": 15, "inforep": 16, "maskreq": 17, "maskrep": 18, "trace": 30,
    "dataconv": 31, "mobredir": 32, "ipv6-where": 33, "ipv6-here": 34, "mobregreq": 35,
    "mobregrep": 36, "skip": 39, "photuris": 40,
}
ICMP6_TYPES = {
    "unreach": 1, "toobig": 2, "timex": 3, "paramprob": 4, "echoreq": 128, "echorep": 129,
    "groupqry": 130, "listqry": 130, "grouprep": 131, "listenrep": 131, "groupterm": 132,
    "listendone": 132, "routersol": 133, "routeradv": 134, "neighbrsol": 135,
    "neighbradv": 136, "redir": 137, "routrrenum": 138, "wrureq": 139, "wrurep": 140,
    "fqdnreq": 139, "fqdnrep": 140, "niqry": 139, "nirep": 140, "mtraceresp": 200,
    "mtrace": 201, "listenrepv2": 143,
}
ICMP_CODES = {
    "net-unr": (3, 0), "host-unr": (3, 1), "proto-unr": (3, 2), "port-unr": (3, 3),
    "needfrag": (3, 4), "srcfail": (3, 5), "net-unk": (3, 6), "host-unk": (3, 7),
    "isolate": (3, 8), "net-prohib": (3, 9), "host-prohib": (3, 10), "net-tos": (3, 11),
    "host-tos": (3, 12), "filter-prohib": (3, 13), "host-preced": (3, 14),
    "cutoff-preced": (3, 15), "redir-net": (5, 0), "redir-host": (5, 1),
    "redir-tos-net": (5, 2), "redir-tos-host": (5, 3), "normal-adv": (9, 0),
    "common-adv": (9, 16), "transit": (11, 0), "reassemb": (11, 1), "badhead": (12, 0),
    "optmiss": (12, 1), "badlen": (12, 2), "unknown-ind": (40, 1), "auth-fail": (40, 2),
    "decrypt-fail": (40, 3),
}
ICMP6_CODES = {
    "admin-unr": (1, 1), "noroute-unr": (1, 0), "notnbr-unr": (1, 2), "beyond-unr": (1, 2),
    "addr-unr": (1, 3), "port-unr": (1, 4), "transit": (3, 0), "reassemb": (3, 1),
    "badhead": (4, 0), "nxthdr": (4, 1), "redironlink": (137, 0), "redirrouter": (137, 1),
}
_TCP_FLAG_LETTERS = {"F": 1, "S": 2, "R": 4, "P": 8, "A": 16, "U": 32, "E": 64, "W": 128}
# protocol names OpenBSD's /etc/protocols knows and netbase spells differently
_PF_PROTOS = {"icmp6": 58, "ipv6-icmp": 58, "carp": 112, "pfsync": 240, "vrrp": 112, "ipip": 4,
              "ipencap": 4, "etherip": 97, "divert": 258}
_TOS_NAMES = {"lowdelay": 0x10, "throughput": 0x08, "reliability": 0x04, "critical": 0xa0,
              "inetcontrol": 0xc0, "netcontrol": 0xe0}
_IFACE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*?[0-9]+(?::(?:network|broadcast|peer|0))*\Z")
_IFACE_MOD_RE = re.compile(r"(.+?)((?::(?:network|broadcast|peer|0))+)\Z")
# driver names: the interface group a driver's interfaces belong to (lo: lo0, lo1, ...)
_DRIVER_GROUPS = frozenset("""
lo em igb igc ix ixl ixv re rge bge bnx bnxt fxp xl dc vr sis sk msk nfe age ale alc jme vio
vmx hvn vnet xnf mcx iavf aq ure axe axen cdce urndis athn iwm iwn iwx ral rum run urtwn
wpi bwfm vlan svlan carp tun tap wg gif gre egre gretap mgre eoip pppoe pppx pflog pfsync
enc bridge veb vport trunk aggr lagg bond enc ipsec le pcn ep ne ed lmc wi ath mtw otus
rtwn mwx qwx bwi epair ue ng ppp sl stf faith vxlan genet cpsw dwge fec mvneta mvpp
""".split())

_STATE_KINDS = ("keep", "modulate", "synproxy")


# --------------------------------------------------------------------------- tokens and lexer


@dataclass(slots=True)
class _Tok:
    type: str
    value: str
    path: str
    line: int
    col: int
    quoted: bool = False
    macro: str | None = None


class _FileSrc:
    __slots__ = ("text", "pos", "line", "col", "path", "real", "lines")
    is_macro = False

    def __init__(self, text: str, path: str, real: str | None) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.col = 1
        self.path = path
        self.real = real
        self.lines = text.split("\n")


class _MacroSrc:
    __slots__ = ("text", "pos", "name", "path", "line", "col", "names")
    is_macro = True

    def __init__(self, text: str, name: str, path: str, line: int, col: int) -> None:
        self.text = text
        self.pos = 0
        self.name = name
        self.path = path
        self.line = line
        self.col = col
        self.names = 1  # the names of _PfLexer.macro_names this source ends when it is popped


@dataclass
class _Stmt:
    tokens: list[_Tok]
    path: str
    kind: str = "stmt"  # stmt | close
    opens_body: bool = False
    failed: bool = False  # a lexical error was already reported
    limited: bool = False  # its macros crossed an expansion bound (reported)
    unclosed: _Tok | None = None
    first_line: int = 0
    last_line: int = 0


class _LexError(Exception):
    pass


class _PfLexer:
    """pfctl's lexer, token by token, with macro expansion and nested files."""

    def __init__(self, conv: "_Conv") -> None:
        self.conv = conv
        self.stack: list = []
        self.files: list[_FileSrc] = []
        # the macros being expanded, outermost first (their sources are the top of the stack);
        # a list and a set so that the recursion check costs the same at any depth
        self.macro_names: list[str] = []
        self.macro_set: set[str] = set()
        # `{` nesting of the statement being read (by statements()), and its value when the
        # outermost expansion in progress began: abandoning an expansion abandons its braces
        self.depth = 0
        self.depth_at_use = 0
        self.new_statement()

    def new_statement(self) -> None:
        """Reset what is counted per statement: macro text expanded, the bound crossed."""
        self.expanded = 0
        self.use_start = 0
        self.limit_hit = False
        self.nested_reported: set[tuple[str, str]] = set()

    # -- sources

    def push_file(self, text: str, path: str, real: str | None) -> None:
        src = _FileSrc(text, path, real)
        self.stack.append(src)
        self.files.append(src)
        self.conv.file_lines.setdefault(path, src.lines)

    def file_src(self) -> _FileSrc:
        for s in reversed(self.stack):
            if not s.is_macro:
                return s
        raise _LexError("no file")

    def push_macro(self, src: "_MacroSrc") -> None:
        # the sources read to their end under it leave the stack now (a chain `a = "$b"`,
        # `b = "$c"`... would otherwise make every peek walk down the whole chain), but their
        # names stay in the expansion until this one ends: `c = "$a"` is still a recursion
        while self.stack and self.stack[-1].is_macro and self.stack[-1].pos >= len(self.stack[-1].text):
            src.names += self.stack.pop().names
        self.stack.append(src)
        self.macro_names.append(src.name)
        self.macro_set.add(src.name)

    def pop_macro(self) -> None:
        """Drop the macro source on top of the stack (read to its end, or abandoned), and the
        names of the expansion that end with it."""
        for _ in range(self.stack.pop().names):
            self.macro_set.discard(self.macro_names.pop())

    def drop_macros(self) -> None:
        """Abandon every expansion in progress: back to the text of the file."""
        while self.stack and self.stack[-1].is_macro:
            self.pop_macro()

    def pop_file(self) -> bool:
        """End of the current file: back to the including file (True) or the end (False)."""
        self.drop_macros()
        if len(self.stack) > 1:
            self.stack.pop()
            self.files.pop()
            self.conv.file_popped()
            return True
        return False

    # -- characters

    def _peek_at(self, k: int = 0) -> tuple[str, int]:
        """The next character (after continuations) and the stack depth it comes from."""
        for depth in range(len(self.stack) - 1, -1, -1):
            s = self.stack[depth]
            if s.is_macro:
                if s.pos < len(s.text):
                    return s.text[s.pos], depth
                continue
            p = s.pos
            t = s.text
            while True:
                if p >= len(t):
                    return "", depth
                c = t[p]
                if c == "\\" and t.startswith("\n", p + 1):
                    p += 2
                    continue
                if c == "\\" and t.startswith("\r\n", p + 1):
                    p += 3
                    continue
                return c, depth
        return "", -1

    def peek(self) -> str:
        return self._peek_at()[0]

    def getc(self) -> str:
        while self.stack:
            s = self.stack[-1]
            if s.pos >= len(s.text):
                if s.is_macro:
                    self.pop_macro()
                    continue
                return ""
            c = s.text[s.pos]
            s.pos += 1
            if s.is_macro:
                return c
            if c == "\\":
                if s.text.startswith("\n", s.pos):
                    s.pos += 1
                    s.line += 1
                    s.col = 1
                    continue
                if s.text.startswith("\r\n", s.pos):
                    s.pos += 2
                    s.line += 1
                    s.col = 1
                    continue
            if c == "\n":
                s.line += 1
                s.col = 1
            else:
                s.col += 1
            return c
        return ""

    def getc_raw(self) -> str:
        """A character inside quotes: no continuation handling."""
        while self.stack:
            s = self.stack[-1]
            if s.pos >= len(s.text):
                if s.is_macro:
                    self.pop_macro()
                    continue
                return ""
            c = s.text[s.pos]
            s.pos += 1
            if not s.is_macro:
                if c == "\n":
                    s.line += 1
                    s.col = 1
                else:
                    s.col += 1
            return c
        return ""

    def position(self) -> tuple[str, int, int, str | None]:
        # a macro source that is exhausted does not give the position; the next one does
        for d in range(len(self.stack) - 1, -1, -1):
            s = self.stack[d]
            if s.is_macro and s.pos >= len(s.text):
                continue
            if s.is_macro:
                return s.path, s.line, s.col, s.name
            return s.path, s.line, s.col, None
        s = self.stack[0]
        return s.path, s.line, s.col, None

    def at_line_end(self) -> bool:
        """Only blanks (and maybe a comment) before the end of the line."""
        s = self.stack[-1]
        if s.is_macro:
            return False
        t, p = s.text, s.pos
        while p < len(t) and t[p] in _SPACE:
            p += 1
        return p >= len(t) or t[p] in "\n#"

    def next_line_starts_statement(self) -> bool:
        s = self.stack[-1]
        if s.is_macro:
            return False
        return _STMT_START_RE.match(s.text, s.pos) is not None

    # -- tokens

    def token(self) -> _Tok:
        while True:
            src = self.stack[-1] if self.stack else None
            if src is not None and not src.is_macro:
                mo = _BLANKS_RE.match(src.text, src.pos)
                if mo.end() > src.pos:
                    src.col += mo.end() - src.pos
                    src.pos = mo.end()
            while self.peek() in _SPACE and self.peek() != "":
                self.getc()
            self._skip_continuations()
            path, line, col, macro = self.position()
            c = self.getc()
            if c == "":
                return _Tok("EOF", "", path, line, col)
            if c == "#":
                while self.peek() not in ("\n", ""):
                    self.getc()
                continue
            if c == "\n":
                return _Tok("NL", "\n", path, line, col)
            if c == "$":
                name = ""
                while self.peek() in _ALNUM or self.peek() == "_":
                    if self.peek() == "":
                        break
                    name += self.getc()
                if not name:
                    return _Tok("CHAR", "$", path, line, col, macro=macro)
                refused = self.expand_macro(name, path, line, col)
                if refused is not None:
                    return refused
                continue
            if c in "\"'":
                return self._quoted(c, path, line, col, macro)
            if c in "!<>-":
                pair = c + (self.peek() or "")
                if pair in _PAIR_OPS:
                    self.getc()
                    return _Tok(_PAIR_OPS[pair], pair, path, line, col, macro=macro)
                if c in _SINGLE_OPS:
                    return _Tok(_SINGLE_OPS[c], c, path, line, col, macro=macro)
            if c == "-" or c.isdigit() and c in _ALNUM:
                buf = c + self._word_run(_DIGIT_RUN_RE)
                while self.peek() in string.digits and self.peek() != "":
                    buf += self.getc()
                nxt = self.peek()
                if buf != "-" and (nxt == "" or nxt in _NUM_END):
                    return _Tok("NUMBER", buf, path, line, col, macro=macro)
                if buf[0] == "-":
                    if len(buf) > 1:
                        # pfctl pushes the digits back and returns '-': read them as a word next
                        self._unget(buf[1:])
                    return _Tok("MINUS", "-", path, line, col, macro=macro)
                buf += self._word_run()
                while self.peek() in _IN_STRING and self.peek() != "":
                    buf += self.getc()
                return self._word(buf, path, line, col, macro)
            if c in _WORD_START:
                buf = c + self._word_run()
                while self.peek() in _IN_STRING and self.peek() != "":
                    buf += self.getc()
                return self._word(buf, path, line, col, macro)
            if c == "\\":
                # pfctl drops a backslash that does not end a line
                continue
            t = _PUNCT_TYPES.get(c, "CHAR")
            return _Tok(t, c, path, line, col, macro=macro)

    def expand_macro(self, name: str, path: str, line: int, col: int) -> _Tok | None:
        """Push the value of $name, to be read in place; an ERROR token when it cannot be.

        The bound is applied before each push, on the text pushed so far: the work of a
        statement is at most MAX_MACRO_BYTES of macro text, however the macros nest or double
        (a use costs its value's length plus one, so that empty values count too).
        """
        if self.limit_hit:
            return None  # the statement already crossed a bound (reported): read on to its end
        if name in self.macro_set:
            chain = " -> ".join("$" + a for a in self.macro_names + [name])
            return _Tok("ERROR", f"macro ${name} refers to itself (through {chain}): it cannot be expanded",
                        path, line, col, macro="recursive-macro")
        value = self.conv.macros.get(name)
        if value is None:
            refused = self.conv.unexpandable.get(name)
            if refused is not None:
                self.limit_hit = True
                return _Tok("ERROR", f"macro ${name} is not expanded: its definition ({refused.path}:{refused.line}) "
                            f"expands to more than {limits.MAX_MACRO_BYTES} bytes (linter/limits.py "
                            f"MAX_MACRO_BYTES); this statement is not analysed", path, line, col,
                            macro="expansion-limit")
            return _Tok("ERROR", f"macro ${name} is not defined", path, line, col, macro="undefined-macro")
        self.conv.macro_used.add(name)
        cost = len(value) + 1
        crossed = self.crossed_bound(name, cost)
        if crossed is not None:
            self.limit_hit = True
            if self.macro_names:
                self.depth = self.depth_at_use
            self.drop_macros()
            return _Tok("ERROR", crossed, path, line, col, macro="expansion-limit")
        if not self.macro_names:
            self.use_start = self.expanded
            self.depth_at_use = self.depth
        self.expanded += cost
        self.conv.expanded_total += cost
        if self.macro_names and (self.macro_names[-1], name) not in self.nested_reported:
            outer = self.macro_names[-1]
            self.nested_reported.add((outer, name))
            self.conv.diag(path, line, col, "error", "nested-macro",
                           f"${name} inside the value of ${outer}: pfctl does not expand a macro "
                           f"inside another macro's value when it is used (it reads '$' as a syntax "
                           f"error); define ${outer} with ${name} outside quotes",
                           "macro", understood=True)
        self.push_macro(_MacroSrc(value, name, path, line, col))
        return None

    def crossed_bound(self, name: str, cost: int) -> str | None:
        """The message when pushing `cost` more bytes of $name crosses an expansion bound."""
        outer = self.macro_names[0] if self.macro_names else name
        if self.expanded + cost > limits.MAX_MACRO_BYTES:
            alone = (self.use_start if self.macro_names else self.expanded) == 0
            whose = f"macro ${outer} expands" if alone else f"the macros of this statement expand (at ${outer})"
            return (f"{whose} to more than {limits.MAX_MACRO_BYTES} bytes (linter/limits.py MAX_MACRO_BYTES): "
                    f"not expanded; this statement is not analysed")
        if self.conv.expanded_total + cost > limits.MAX_MACRO_BYTES_TOTAL:
            return (f"the macros of this configuration expand to more than {limits.MAX_MACRO_BYTES_TOTAL} bytes "
                    f"in all (linter/limits.py MAX_MACRO_BYTES_TOTAL): ${outer} is not expanded; this statement "
                    f"is not analysed")
        return None

    def _word_run(self, run: re.Pattern | None = None) -> str:
        """The rest of a word (or of a number) in the current source, fast (no backslash, no
        end of source: the character loops after it handle those)."""
        src = self.stack[-1]
        mo = (run or _WORD_RUN_RE).match(src.text, src.pos)
        n = mo.end() - src.pos
        if n == 0:
            return ""
        if not src.is_macro:
            src.col += n
        src.pos = mo.end()
        return mo.group()

    def _skip_continuations(self) -> None:
        s = self.stack[-1] if self.stack else None
        while s is not None and not s.is_macro and s.text.startswith("\\", s.pos):
            if s.text.startswith("\n", s.pos + 1):
                s.pos += 2
            elif s.text.startswith("\r\n", s.pos + 1):
                s.pos += 3
            else:
                return
            s.line += 1
            s.col = 1

    def _unget(self, text: str) -> None:
        s = self.stack[-1]
        if s.is_macro:
            s.pos -= len(text)
        else:
            s.pos -= len(text)
            s.col -= len(text)

    def _word(self, buf: str, path: str, line: int, col: int, macro: str | None) -> _Tok:
        if buf in _KEYWORDS:
            return _Tok(buf.upper().replace("-", "_"), buf, path, line, col, macro=macro)
        return _Tok("STRING", buf, path, line, col, macro=macro)

    def _quoted(self, q: str, path: str, line: int, col: int, macro: str | None) -> _Tok:
        out = []
        while True:
            c = self.getc_raw()
            if c == "":
                return _Tok("ERROR", "end of file inside a quoted string", path, line, col, macro="syntax")
            if c == "\n":
                continue
            if c == "\\":
                n = self.getc_raw()
                if n == "":
                    return _Tok("ERROR", "end of file inside a quoted string", path, line, col,
                                macro="syntax")
                if n in (q, " ", "\t"):
                    out.append(n)
                elif n == "\n":
                    continue
                else:
                    out.append("\\")
                    out.append(n)
                continue
            if c == q:
                return _Tok("STRING", "".join(out), path, line, col, quoted=True, macro=macro)
            if c == "\x00":
                return _Tok("ERROR", "NUL byte inside a quoted string", path, line, col, macro="syntax")
            out.append(c)

    # -- statements

    def statements(self) -> Iterator[_Stmt]:
        while self.stack:
            self.new_statement()
            toks: list[_Tok] = []
            self.depth = 0
            failed = False
            opens = False
            unclosed: _Tok | None = None
            first_open: _Tok | None = None
            path = self.file_src().path
            first_line = last_line = 0
            too_long: _Tok | None = None
            while True:
                t = self.token()
                if t.type not in ("EOF", "NL", "ERROR") and t.path == path:
                    first_line = first_line or t.line
                    last_line = max(last_line, t.line)
                if t.type == "EOF":
                    if self.depth > 0:
                        unclosed = first_open
                    if toks or failed:
                        break
                    if self.pop_file():
                        path = self.file_src().path
                        continue
                    self.stack.clear()
                    break
                if t.type == "ERROR":
                    code = t.macro or "syntax"
                    self.conv.diag(t.path, t.line, t.col, "error", code, t.value,
                                   "macro" if "macro" in code else "")
                    failed = True
                    continue
                if t.type == "NL":
                    if self.depth == 0:
                        if toks or failed:
                            break
                        continue
                    if self.next_line_starts_statement():
                        unclosed = first_open
                        break
                    continue
                if t.type == "LBRACE":
                    if (self.depth == 0 and toks and toks[0].type == "ANCHOR"
                            and toks[-1].type not in _LIST_OPENERS and self.at_line_end()):
                        opens = True
                        break
                    if self.depth == 0:
                        first_open = t
                    self.depth += 1
                elif t.type == "RBRACE":
                    if self.depth == 0:
                        if not toks and not failed:
                            # an anchor's closing brace; the rest of the line must be empty
                            extra: _Tok | None = None  # the first word after it (the only one reported)
                            while True:
                                u = self.token()
                                if u.type in ("NL", "EOF"):
                                    break
                                extra = extra or u
                            st = _Stmt([t], path, "close", first_line=t.line, last_line=t.line)
                            if extra is not None:
                                self.conv.diag(extra.path, extra.line, extra.col, "error", "syntax",
                                               f"unexpected {extra.value!r} after '}}'", "anchor")
                            yield st
                            if u.type == "EOF" and not self.pop_file():
                                self.stack.clear()
                            toks = []
                            break
                    else:
                        self.depth -= 1
                if len(toks) < limits.MAX_STATEMENT_TOKENS:
                    toks.append(t)
                elif too_long is None:
                    # read on to the statement's end, keeping nothing more (bounded memory)
                    too_long = t
            if not toks and not failed:
                continue
            if too_long is not None:
                self.conv.diag(toks[0].path, toks[0].line, toks[0].col, "error", "expansion-limit",
                               f"this statement has more than {limits.MAX_STATEMENT_TOKENS} words (linter/limits.py "
                               f"MAX_STATEMENT_TOKENS; its lists are longer than any pf rule or table fwlint "
                               f"analyses): it is not analysed", toks[0].value)
                failed = True
            if not first_line:
                first_line = last_line = toks[0].line if toks else 0
            yield _Stmt(toks, toks[0].path if toks else path, "stmt", opens, failed, self.limit_hit, unclosed,
                        first_line, last_line)


# --------------------------------------------------------------------------- grammar


class _TokLexer(Lexer):
    """Feeds the parser the statement's tokens; a token's start_pos is its index."""

    def __init__(self, lexer_conf) -> None:  # noqa: D401 - lark interface
        pass

    def lex(self, data) -> Iterator[Token]:  # type: ignore[override]
        for i, t in enumerate(data):
            yield Token(t.type, t.value, start_pos=i, line=t.line, column=t.col)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return parsers.lalr("pf.lark", lexer=_TokLexer)


# --------------------------------------------------------------------------- intermediate form


@dataclass
class _Host:
    kind: str  # any addr table dyn iface self noroute urpf route name
    text: str
    neg: bool = False
    af: int | None = None
    ranges: tuple = ()
    name: str = ""
    zone: str = ""  # an IPv6 address's scope (`fe80::1%em0`): kept for a note, not a condition

    def shown(self) -> str:
        return ("!" if self.neg else "") + self.text


_ANY_HOST = _Host("any", "any")


@dataclass
class _Port:
    op: str  # = != < <= > >= >< <> :
    a: int
    b: int = 0

    def ranges(self) -> tuple[tuple[int, int], ...]:
        a, b = self.a, self.b
        top = 65535
        if self.op == "=":
            return ((a, a),)
        if self.op == "!=":
            return tuple(r for r in ((0, a - 1), (a + 1, top)) if r[0] <= r[1])
        if self.op == "<":
            return ((0, a - 1),) if a > 0 else ()
        if self.op == "<=":
            return ((0, a),)
        if self.op == ">":
            return ((a + 1, top),) if a < top else ()
        if self.op == ">=":
            return ((a, top),)
        if self.op == "><":
            return ((a + 1, b - 1),) if a + 1 <= b - 1 else ()
        if self.op == "<>":
            return tuple(r for r in ((0, a - 1), (b + 1, top)) if r[0] <= r[1])
        return ((a, b),) if a <= b else ()

    def shown(self) -> str:
        if self.op in ("><", "<>"):
            return f"{self.a} {self.op} {self.b}"
        if self.op == ":":
            return f"{self.a}:{self.b}"
        return f"{self.op} {self.a}"


@dataclass
class _Spec:
    kind: str  # pass block match anchor scrub nat rdr binat antispoof
    origin: m.Origin
    anchor: str = ""
    no: bool = False
    natpass: bool = False
    block: str | None = None  # drop return return-rst return-icmp return-icmp6 (explicit)
    block_detail: str = ""
    policy: str = "drop"  # the block-policy in force
    direction: str | None = None
    log: bool = False
    quick: bool = False
    ifaces: list | None = None  # [(neg, name)]
    rdomain: str | None = None
    af: int | None = None
    protos: list | None = None  # [(number, name)]
    src: list | None = None
    sports: list | None = None
    dst: list | None = None
    dports: list | None = None
    flags: object = None  # None | "any" | (comp, mask)
    icmp: list | None = None  # [(type, code|None)]
    icmp_v6: bool = False
    state: str | None = None  # no keep modulate synproxy
    state_opts: list = field(default_factory=list)
    users: list | None = None
    groups: list | None = None
    conds: list = field(default_factory=list)  # extra conditions (Opaque)
    alters: list = field(default_factory=list)  # (kind, stage, params, description)
    redirect: dict = field(default_factory=dict)  # nat-to/rdr-to/binat-to -> (hosts, port, pool)
    route: tuple | None = None  # (kind, [hosts], pool)
    afto: tuple | None = None
    label: str = ""
    anchor_name: str | None = None
    fragment: bool = False
    combos: list = field(default_factory=list)
    parts_text: dict = field(default_factory=dict)

    @property
    def keeps_state(self) -> bool:
        return self.kind == "pass" and self.state != "no"


def _effects(spec: "_Spec") -> tuple[str, ...]:
    """What a filter rule does besides deciding (FW002 counts them): `log`, a `label` (pf
    counts packets per label), the alterations it assigns (`tag`, `queue`, `rtable`, `set
    prio`, `set tos`, ...), `route-to`/`reply-to`/`dup-to`, and state options (`max`,
    `max-src-conn`, `overload`, `source-track`, timeouts ...)."""
    out: list[str] = []
    if spec.log:
        out.append("log")
    if spec.label:
        out.append(f"label {spec.label}")
    out.extend(desc for _kind, _stage, _params, desc in spec.alters)
    if spec.route is not None:
        kind, hosts, pool = spec.route
        out.append(" ".join(x for x in (str(kind), ", ".join(getattr(h, "text", str(h)) for h in hosts), pool) if x))
    out.extend(str(o) for o in spec.state_opts)
    return tuple(dict.fromkeys(out))


@dataclass
class _Ruleset:
    name: str
    entries: list = field(default_factory=list)  # _Spec | ("anchor", _Spec, child path)
    filled: bool = False  # has a body or a loaded file


# --------------------------------------------------------------------------- converter


class _Conv:
    def __init__(self, path: str, real: str | None) -> None:
        self.path = path
        self.real = real
        self.diags: list[m.Diagnostic] = []
        self.bad: dict[str, set[int]] = {}
        self.macros: dict[str, str] = {}
        self.macro_def: dict[str, m.Origin] = {}
        # macros whose definition crossed MAX_MACRO_BYTES: their uses are refused, located
        self.unexpandable: dict[str, m.Origin] = {}
        # work done so far on the whole configuration, against the per-file bounds
        self.expanded_total = 0  # bytes of macro text expanded
        self.rules_total = 0  # rules the statements expanded to
        self.files_read = 0  # include, load anchor and table file targets read
        self.bytes_read = 0
        self.table_entries = 0  # entries of all tables
        self.macro_used: set[str] = set()
        self.tables: dict[tuple[str, str], dict] = {}
        self.table_used: set[tuple[str, str]] = set()
        self.rulesets: dict[str, _Ruleset] = {"": _Ruleset("", filled=True)}
        self.anchor_stack: list[tuple[str, _Spec | None]] = []
        self.block_policy = "drop"
        self.skips: list[tuple[m.Origin, list]] = []
        self.queues: dict[str, dict] = {}
        self.queue_list: list[dict] = []
        self.options_seen = 0
        self.overload_tables: set[str] = set()
        self.queue_refs: list[tuple[str, m.Origin, int]] = []
        self.old_syntax: m.Origin | None = None
        self.new_syntax: m.Origin | None = None
        self.load_anchors: list[tuple[str, str, m.Origin, str]] = []
        self.sources: list[str] = [path]
        self.lines_read: dict[str, int] = {}
        self.file_stack: list[str] = []
        # where the files it names may lie: the repository of this configuration
        self.confinement = files.current().for_file(real) if real else files.current()
        self.anon = 0
        self.lexer = _PfLexer(self)
        self.stmt: _Stmt | None = None
        self.file_lines: dict[str, list[str]] = {}

    # -- diagnostics

    def diag(self, path: str, line: int, col: int, severity: str, code: str, message: str,
             construct: str = "", understood: bool | None = None, text: str | None = None) -> None:
        if text is None:
            text = self.line_text(path, line)
        self.diags.append(m.Diagnostic(m.Origin(path, line, col, text), severity, code, message, construct))
        if understood is None:
            understood = severity == "note"
        if not understood:
            st = self.stmt
            if st is not None and st.path == path and st.first_line <= line <= st.last_line:
                self.bad.setdefault(path, set()).update(range(st.first_line, st.last_line + 1))
            else:
                self.bad.setdefault(path, set()).add(line)

    def line_text(self, path: str, line: int) -> str:
        lines = self.file_lines.get(path)
        if lines and 1 <= line <= len(lines):
            return lines[line - 1].rstrip("\r")
        return ""

    def file_popped(self) -> None:
        if len(self.file_stack) > 1:
            self.file_stack.pop()

    def tdiag(self, tok: _Tok, severity: str, code: str, message: str, construct: str = "",
              understood: bool | None = None) -> None:
        self.diag(tok.path, tok.line, tok.col, severity, code, message, construct, understood)

    # -- files

    def read_file(self, name: str, origin_tok: _Tok, what: str) -> tuple[str, str, str] | None:
        """(text, display path, real path) of a file named in the configuration, or None
        after a located warning. Confined (linter/files.py) to the repository of the
        configuration (its own folder when it is in none): an `include` of a file outside,
        directly or through a link, is refused and nothing of it is read."""
        base_real = self.file_stack[-1] if self.file_stack else self.real
        base_dir = os.path.dirname(base_real) if base_real else os.getcwd()
        target = os.path.join(base_dir, name)
        try:
            real = str(self.confinement.resolve(target, what=what))
        except files.InputError as e:
            code = "outside-repository" if isinstance(e, files.OutsideRoot) else "missing-file"
            self.tdiag(origin_tok, "warning", code, f"{what} {name!r}: {str(e).split(': ', 1)[-1]}: not read", what)
            return None
        try:
            data = files.read_file(real, limit=limits.MAX_SIDE_FILE_BYTES, named=True, what=what)
        except files.InputError as e:
            code = "file-too-large" if isinstance(e, files.TooLarge) else "missing-file"
            self.tdiag(origin_tok, "warning", code, f"{what} {name!r}: {str(e).split(': ', 1)[-1]}: not read", what)
            return None
        if b"\x00" in data:
            self.tdiag(origin_tok, "warning", "binary-file", f"{what} {name!r} is not a text file: not read", what)
            return None
        text = data.decode("utf-8", "replace")
        return text, files.display(real), real

    def read_bounded(self, name: str, origin_tok: _Tok, what: str) -> tuple[str, str, str] | None:
        """read_file, within the configuration's budget of files read besides itself.

        Without it, includes that each include a file twice (no loop) read 2**depth files, and
        a line `table <t> file "big"` repeated reads the big file once per line.
        """
        if self.files_read >= limits.MAX_INCLUDED_FILES or self.bytes_read >= limits.MAX_FILE_BYTES:
            self.tdiag(origin_tok, "error", "expansion-limit",
                       f"{what} {name!r}: not read: this configuration already read {self.files_read} files "
                       f"({self.bytes_read} bytes) besides itself (linter/limits.py MAX_INCLUDED_FILES = "
                       f"{limits.MAX_INCLUDED_FILES}, MAX_FILE_BYTES = {limits.MAX_FILE_BYTES})", what)
            return None
        self.files_read += 1
        got = self.read_file(name, origin_tok, what)
        if got is not None:
            self.bytes_read += len(got[0])
        return got

    # -- the run

    def run(self, text: str) -> None:
        self.lexer.push_file(text, self.path, self.real)
        self.file_stack = [self.real] if self.real else []
        self.lines_read[self.path] = _count_lines(text)
        for st in self.lexer.statements():
            self.stmt = st
            try:
                self.statement(st)
            except Exception as e:  # never raise on input: report it at the statement
                t = st.tokens[0] if st.tokens else None
                if t is not None:
                    self.tdiag(t, "error", "internal", f"could not read this statement: {type(e).__name__}: {e}")
            self.stmt = None
        self.unclosed_anchors()
        self.finish_loads()

    def unclosed_anchors(self) -> None:
        for path, spec in reversed(self.anchor_stack):
            if spec is not None:
                o = spec.origin
                self.diag(o.path, o.line, 1, "error", "unbalanced-brace",
                          f"anchor {spec.anchor_name!r}: its '{{' is never closed (its rules are read up to the end "
                          f"of the file)", "anchor", text=o.text)
            else:
                self.diag(self.path, max(1, self.lines_read.get(self.path, 1)), 1, "error", "unbalanced-brace",
                          "an anchor's '{' is never closed", "anchor")
        self.anchor_stack = []

    def statement(self, st: _Stmt) -> None:
        if self.in_refused_body():
            self.skip_in_refused_body(st)
            return
        toks = st.tokens
        if st.kind == "close":
            if not self.anchor_stack:
                self.tdiag(toks[0], "error", "unbalanced-brace", "'}' without an anchor to close", "anchor")
                return
            self.anchor_stack.pop()
            return
        if st.unclosed is not None:
            self.tdiag(st.unclosed, "error", "unbalanced-brace",
                       "'{' is never closed: this statement is not read", "list")
            return
        if st.failed:
            if st.tokens:
                self.bad.setdefault(st.path, set()).update(range(st.first_line, st.last_line + 1))
            if st.limited and _is_macro_definition(toks):
                self.refuse_macro(toks[0].value, self.origin(toks))
            if st.opens_body:
                # keep the anchor's structure so that its closing brace matches
                self.anchor_stack.append(("#failed", None))
            return
        if _is_macro_definition(toks):
            self.macro_def_stmt(toks)
            return
        if toks[0].type == "STRING" and toks[0].value in _UNSUPPORTED_STATEMENTS:
            self.tdiag(toks[0], "warning", "unsupported",
                       f"{toks[0].value}: {_UNSUPPORTED_STATEMENTS[toks[0].value]} are not supported: this statement "
                       f"is not analysed", toks[0].value)
            if st.opens_body:
                self.anchor_stack.append(("#failed", None))
            return
        deep = _first_too_deep(toks)
        if deep is not None:
            # lark's parse trees and the walks over them recurse once per level: a statement
            # nested deeper than this never reaches the parser
            self.tdiag(deep, "error", "nesting-limit",
                       f"lists nested more than {limits.MAX_LIST_DEPTH} deep ('{{' or '(' inside another) "
                       f"(linter/limits.py MAX_LIST_DEPTH): this statement is not analysed", toks[0].value)
            if st.opens_body:
                self.anchor_stack.append(("#failed", None))
            return
        try:
            tree = _parser().parse(toks)
        except UnexpectedInput as e:
            self.syntax_error(toks, e)
            if st.opens_body:
                self.anchor_stack.append(("#failed", None))
            return
        except LarkError as e:  # pragma: no cover - defensive
            self.tdiag(toks[0], "error", "syntax", f"syntax error: {e}")
            return
        node = tree.children[0]
        handler = getattr(self, "do_" + node.data, None)
        if handler is None:  # pragma: no cover - every statement has a handler
            self.tdiag(toks[0], "warning", "unsupported", f"{toks[0].value}: not supported", toks[0].value)
            return
        handler(node, toks, st)

    def syntax_error(self, toks: list[_Tok], e: UnexpectedInput) -> None:
        if isinstance(e, UnexpectedToken) and e.token.type != "$END":
            i = e.token.start_pos
            t = toks[i]
            shown = t.value if len(t.value) <= 40 else t.value[:37] + "..."
            if t.type == "CHAR":
                msg = f"syntax error: unexpected character {shown!r}"
            else:
                msg = f"syntax error: unexpected {shown!r}"
            if t.macro:
                msg += f" (from ${t.macro})"
            self.tdiag(t, "error", "syntax", msg, toks[0].value)
        else:
            t = toks[-1]
            self.diag(t.path, t.line, t.col + len(t.value), "error", "syntax",
                      f"syntax error: the statement ends too early (after {t.value!r})", toks[0].value)

    # -- macros

    def macro_def_stmt(self, toks: list[_Tok]) -> None:
        name = toks[0].value
        vals = toks[2:]
        for t in vals:
            if t.type not in ("STRING", "NUMBER"):
                self.tdiag(t, "error", "syntax", f"syntax error: {t.value!r} in the value of macro {name}"
                           + (" (a keyword must be quoted)" if t.type not in _PUNCT_TYPES.values() else ""), "macro")
                return
        if not re.fullmatch(r"[A-Za-z0-9_]+", name):
            self.tdiag(toks[0], "error", "syntax", f"macro name {name!r}: only letters, digits and '_'", "macro")
            return
        value = " ".join(t.value for t in vals)
        if len(value) > limits.MAX_MACRO_BYTES:
            self.tdiag(toks[0], "error", "expansion-limit",
                       f"macro ${name} is {len(value)} bytes long, more than {limits.MAX_MACRO_BYTES} "
                       f"(linter/limits.py MAX_MACRO_BYTES): not expanded; the statements that use it are not "
                       f"analysed", "macro")
            self.refuse_macro(name, self.origin(toks))
            return
        self.macros[name] = value
        self.macro_def[name] = self.origin(toks)
        self.unexpandable.pop(name, None)

    def refuse_macro(self, name: str, origin: m.Origin) -> None:
        """$name crossed MAX_MACRO_BYTES where it is defined: each use is refused, at the use."""
        self.macros.pop(name, None)
        self.macro_def.pop(name, None)
        self.unexpandable[name] = origin

    # -- origins

    def origin(self, toks: list[_Tok]) -> m.Origin:
        st = self.stmt
        path = toks[0].path
        first = toks[0].line
        last = first
        if st is not None and st.path == path:
            first, last = st.first_line, st.last_line
        lines = []
        for ln in range(first, last + 1):
            lines.append(self.line_text(path, ln))
        return m.Origin(path, first, 1, "\n".join(lines))

    # -- options

    def do_option(self, node: Tree, toks: list[_Tok], st: _Stmt) -> None:
        self.options_seen += 1
        item = node.children[1]
        name = item.data
        if name == "set_block_policy":
            self.block_policy = "return" if item.children[1].type == "RETURN" else "drop"
            return
        if name == "set_skip":
            ifs = self.if_list(item.children[2])
            self.note_ifaces(ifs, toks[0])
            self.skips.append((self.origin(toks), ifs, self.anchor_path()))
            return
        if name == "set_hostid":
            v = read_int(item.children[1])
            if v == 0:
                self.tdiag(self.tok(toks, item.children[1]), "error", "invalid", "hostid must be non-zero",
                           "set hostid")
            return
        if name == "set_reassemble":
            v = item.children[1].children[0]
            if v.type != "NO" and v.value not in ("yes", "no"):
                self.tdiag(self.tok(toks, v), "error", "invalid", f"set reassemble {v.value}: yes or no",
                           "set reassemble")
            return
        if name == "set_require_order":
            return
        if name in ("set_timeout", "set_limit"):
            specs = [c for c in item.iter_subtrees() if c.data in ("timeout_spec", "limit_spec")]
            for sp in specs:
                key = sp.children[0]
                known = _TIMEOUTS if name == "set_timeout" else _LIMITS
                if key.value not in known:
                    self.tdiag(self.tok(toks, key), "warning", "invalid",
                               f"unknown {'timeout' if name == 'set_timeout' else 'limit'} {key.value!r}", name.replace("_", " "))
            return
        if name == "set_optimization":
            v = item.children[1]
            if v.value not in ("default", "normal", "high-latency", "satellite", "aggressive", "conservative"):
                self.tdiag(self.tok(toks, v), "warning", "invalid", f"unknown optimization {v.value!r}",
                           "set optimization")
            return
        # (counted for the empty-file check below)
        # loginterface, debug, state-policy, state-defaults, fingerprints, syncookies,
        # ruleset-optimization, keepcounters: no effect on which packets pass

    # -- tables

    def do_table_def(self, node: Tree, toks: list[_Tok], st: _Stmt) -> None:
        name_tok = node.children[2]
        name = name_tok.value
        if len(name) >= 32:
            self.tdiag(self.tok(toks, name_tok), "error", "invalid", f"table name {name!r} too long (max 31 chars)",
                       "table")
            return
        key = (self.anchor_path(), name)
        if key in self.tables:
            self.tdiag(toks[0], "error", "invalid", f"table <{name}> defined twice", "table")
            return
        entry = {"origin": self.origin(toks), "hosts": [], "opaque": [], "flags": set(), "files": [],
                 "tok": self.tok(toks, name_tok)}
        for opt in node.children[4:]:
            if opt.data == "table_flag":
                entry["flags"].add(opt.children[0].value)
            elif opt.data == "table_file":
                fname_tok = opt.children[1]
                entry["files"].append(fname_tok.value)
                got = self.read_bounded(fname_tok.value, self.tok(toks, fname_tok), "table file")
                if got is None:
                    entry["opaque"].append(f"file {fname_tok.value!r} not read")
                    continue
                words = sum(len(ln.split("#", 1)[0].split()) for ln in got[0].splitlines())
                if self.table_entries_fit(entry, words, self.tok(toks, fname_tok), name):
                    self.table_file(entry, got, self.tok(toks, fname_tok))
            elif opt.data == "table_addrs":
                addrs = [ta for sub in opt.children if isinstance(sub, Tree) and sub.data == "table_addrs"
                         for ta in sub.children if isinstance(ta, Tree)]
                if self.table_entries_fit(entry, len(addrs), toks[0], name):
                    for ta in addrs:
                        self.table_addr(entry, ta, toks)
        self.tables[key] = entry

    def table_entries_fit(self, entry: dict, n: int, tok: _Tok, name: str) -> bool:
        """Do n more entries fit in MAX_TABLE_ENTRIES (all tables together, as pf counts)?
        When not, reported at tok, and the table is an unknown set of addresses."""
        if self.table_entries + n <= limits.MAX_TABLE_ENTRIES:
            self.table_entries += n
            return True
        self.tdiag(tok, "error", "expansion-limit",
                   f"table <{name}>: {n} more entries make more than {limits.MAX_TABLE_ENTRIES} table entries in "
                   f"this configuration (linter/limits.py MAX_TABLE_ENTRIES, pf's default 'set limit "
                   f"table-entries'): its addresses are not modelled (an unknown set)", "table")
        entry["opaque"].append(f"more than {limits.MAX_TABLE_ENTRIES} table entries: not read")
        return False

    def table_addr(self, entry: dict, ta: Tree, toks: list[_Tok]) -> None:
        neg = isinstance(ta.children[0], Token) and ta.children[0].type == "BANG"
        h = self.host(ta.children[-1], toks, neg, in_table=True)
        for x in h:
            if x.kind == "error":
                continue
            entry["hosts"].append(x)

    def table_file(self, entry: dict, got: tuple[str, str, str], tok: _Tok) -> None:
        text, shown, _real = got
        unreadable = 0
        for i, raw in enumerate(text.splitlines(), 1):
            ln = raw.split("#", 1)[0]
            for word in ln.split():
                neg = word.startswith("!")
                w = word[1:] if neg else word
                mask = None
                if "/" in w:
                    w, mask = w.split("/", 1)
                hs = _parse_host_text(w, mask, quoted=False)
                for h in hs:
                    if h.kind == "error":
                        # the first is reported; the others are counted (a file of garbage is one warning)
                        unreadable += 1
                        if unreadable == 1:
                            self.tdiag(tok, "warning", "invalid", f"{shown}:{i}: {h.text}", "table file")
                            entry["opaque"].append(f"unreadable entry {word!r}")
                        continue
                    h.neg = neg
                    self.note_zone(h, tok, f"{shown}:{i}: ")
                    entry["hosts"].append(h)
        if unreadable > 1:
            self.tdiag(tok, "warning", "invalid", f"{shown}: {unreadable - 1} more unreadable entries", "table file")
            entry["opaque"].append(f"{unreadable - 1} more unreadable entries")

    # -- anchors

    def anchor_path(self) -> str:
        return self.anchor_stack[-1][0] if self.anchor_stack else ""

    def in_refused_body(self) -> bool:
        """Inside the body of an anchor nested past MAX_ANCHOR_DEPTH (reported at the anchor)."""
        return bool(self.anchor_stack) and self.anchor_stack[-1][0] == "#toodeep"

    def skip_in_refused_body(self, st: _Stmt) -> None:
        """A statement of a refused body: not analysed (its lines count as not understood);
        only the braces are followed, so that the body's end is found."""
        if st.kind == "close":
            self.anchor_stack.pop()
            return
        self.bad.setdefault(st.path, set()).update(range(st.first_line, st.last_line + 1))
        if st.opens_body:
            self.anchor_stack.append(("#toodeep", None))

    def anchor_too_deep(self, path: str, tok: _Tok, what: str) -> bool:
        """Is the anchor at `path` nested past MAX_ANCHOR_DEPTH? (reported at tok)

        pfctl refuses the 64th nested anchor body ("anchors too deep", PFCTL_ANCHOR_STACK_DEPTH)
        and OpenBSD's kernel evaluates at most 63 nested anchor calls (PF_ANCHOR_STACK_MAX); an
        anchor's depth is the number of names in its path (`a/b/c` is 3 deep).
        """
        depth = path.count("/") + 1
        if depth < limits.MAX_ANCHOR_DEPTH:
            return False
        self.tdiag(tok, "error", "nesting-limit",
                   f"{what} {_short(path)!r} is nested {depth} deep: pf evaluates at most "
                   f"{limits.MAX_ANCHOR_DEPTH - 1} nested anchors (linter/limits.py MAX_ANCHOR_DEPTH, pf's "
                   f"PF_ANCHOR_STACK_MAX): its rules are not analysed", "anchor")
        return True

    def ruleset(self) -> _Ruleset:
        path = self.anchor_path()
        if path == "#failed":
            return _Ruleset("#failed")
        return self.rulesets[path]

    def child_path(self, name: str) -> str:
        parent = self.anchor_path()
        if name.startswith("/"):
            return name.strip("/")
        return f"{parent}/{name}" if parent and parent != "#failed" else name

    def do_anchor_rule(self, node: Tree, toks: list[_Tok], st: _Stmt) -> None:
        ch = node.children
        name = None
        rest = ch[1:]
        if rest and isinstance(rest[0], Token):
            name = rest[0].value
            rest = rest[1:]
        spec = self.build(("anchor", toks[0]), rest, toks)
        if spec is None:
            if st.opens_body:
                self.anchor_stack.append(("#failed", None))
            return
        if name is None:
            if not st.opens_body:
                self.tdiag(toks[0], "error", "syntax", "an anchor without a name needs a '{ ... }' body", "anchor")
                return
            self.anon += 1
            name = f"_{self.anon}"
        spec.anchor_name = name
        if spec.state is not None:
            self.tdiag(toks[0], "error", "invalid", "cannot specify state handling on anchors", "anchor")
            if st.opens_body:
                self.anchor_stack.append(("#failed", None))
            return
        path = self.child_path(name)
        if self.anchor_too_deep(path, toks[0], "anchor"):
            if st.opens_body:
                self.anchor_stack.append(("#toodeep", None))
            return
        if not self.expand(spec, toks):
            if st.opens_body:
                self.anchor_stack.append(("#failed", None))
            return
        rs = self.rulesets.setdefault(path, _Ruleset(path))
        self.ruleset().entries.append(("anchor", spec, path))
        if spec.quick:
            self.tdiag(toks[0], "note", "approximate",
                       f"anchor {name!r} is quick: pf stops after the anchor when one of its rules matched; "
                       f"fwlint evaluates the rules after it as if the anchor were not quick", "anchor quick")
        if st.opens_body:
            if "*" in name:
                self.tdiag(toks[0], "error", "invalid", f"anchor {name!r}: a wildcard anchor cannot have a body",
                           "anchor")
            rs.filled = True
            self.anchor_stack.append((path, spec))

    def do_load_anchor(self, node: Tree, toks: list[_Tok], st: _Stmt) -> None:
        name_tok, file_tok = node.children[2], node.children[4]
        path = self.child_path(name_tok.value)
        if self.anchor_too_deep(path, toks[0], "load anchor"):
            return
        self.load_anchors.append((path, file_tok.value, self.origin(toks), self.tok(toks, file_tok)))

    def finish_loads(self) -> None:
        done: set[tuple[str, str]] = set()
        i = 0
        while i < len(self.load_anchors):
            path, fname, origin, tok = self.load_anchors[i]
            i += 1
            key = (path, fname)
            if key in done:
                continue
            done.add(key)
            got = self.read_bounded(fname, tok, "anchor file")
            if got is None:
                continue
            text, shown, real = got
            rs = self.rulesets.setdefault(path, _Ruleset(path))
            rs.filled = True
            self.sources.append(shown) if shown not in self.sources else None
            self.lines_read[shown] = _count_lines(text)
            saved = (self.anchor_stack, self.file_stack)
            self.anchor_stack = [(path, None)]
            self.file_stack = [real]
            self.lexer = _PfLexer(self)
            self.lexer.push_file(text, shown, real)
            for st in self.lexer.statements():
                self.stmt = st
                try:
                    self.statement(st)
                except Exception as e:  # pragma: no cover - defensive
                    if st.tokens:
                        self.tdiag(st.tokens[0], "error", "internal", f"could not read this statement: {e}")
                self.stmt = None
            self.anchor_stack = self.anchor_stack[1:]
            self.unclosed_anchors()
            self.anchor_stack, self.file_stack = saved

    def do_include(self, node: Tree, toks: list[_Tok], st: _Stmt) -> None:
        ftok = self.tok(toks, node.children[1])
        # the files being read: the configuration (or a loaded anchor file) and its includes
        depth = len(self.lexer.files)
        if depth > limits.MAX_INCLUDE_DEPTH:
            self.tdiag(ftok, "error", "nesting-limit",
                       f"include {ftok.value!r}: files included more than {limits.MAX_INCLUDE_DEPTH} deep "
                       f"(linter/limits.py MAX_INCLUDE_DEPTH): not read", "include")
            return
        got = self.read_bounded(ftok.value, ftok, "include")
        if got is None:
            return
        text, shown, real = got
        if real in self.file_stack or real == self.real:
            self.tdiag(ftok, "error", "include-loop", f"include {ftok.value!r}: the file includes itself "
                       f"(through {' -> '.join(os.path.basename(p) for p in self.file_stack + [real])})", "include")
            return
        if shown not in self.sources:
            self.sources.append(shown)
        self.lines_read[shown] = _count_lines(text)
        self.file_stack.append(real)
        self.lexer.push_file(text, shown, real)

    # -- antispoof

    def do_antispoof(self, node: Tree, toks: list[_Tok], st: _Stmt) -> None:
        ch = node.children
        i = next(k for k, c in enumerate(ch) if isinstance(c, Token) and c.type == "FOR")
        before, iflist, after = ch[1:i], ch[i + 1], ch[i + 2:]
        spec = self.build(("antispoof", toks[0]), list(before) + list(after), toks)
        if spec is None:
            return
        ifs = []
        for it in iflist.children:
            if isinstance(it, Tree) and it.data == "if_item":
                ifs.append((False, it.children[-1].value))
            elif isinstance(it, Tree) and it.data == "antispoof_dyn":
                ifs.append((False, "(" + it.children[1].children[-1].value + ")"))
        spec.ifaces = ifs
        self.ruleset().entries.append(spec)
        self.tdiag(toks[0], "note", "approximate",
                   "antispoof: modelled as blocking packets that arrive on another interface from the "
                   "interface's network, and packets from its own addresses (unknown: opaque conditions)",
                   "antispoof")

    # -- queues

    def do_queue_rule(self, node: Tree, toks: list[_Tok], st: _Stmt) -> None:
        name = node.children[1].value
        q = {"name": name, "tok": toks[0], "parent": None, "bandwidth": False, "default": False, "on": None,
             "children": [], "flows": False, "old": False}
        for opt in node.children[2:]:
            d = opt.data
            if d == "q_parent":
                q["parent"] = opt.children[1].value
            elif d == "q_bandwidth":
                q["bandwidth"] = True
            elif d == "q_default":
                q["default"] = True
            elif d == "q_on":
                q["on"] = ", ".join(n for _neg, n in self.if_list(opt.children[1]))
            elif d == "q_flows":
                q["flows"] = True
            elif d in ("q_sched", "q_children"):
                q["old"] = True
            elif d == "q_other":
                if opt.children[0].type in ("PRIORITY", "TBRSIZE"):
                    q["old"] = True
        if q["old"] or (q["parent"] is None and q["on"] is None):
            q["old"] = True
        if q["parent"] is not None and not q["old"]:
            q["parent_q"] = next((x for x in reversed(self.queue_list) if x["name"] == q["parent"]), None)
        self.queues[name] = q
        self.queue_list.append(q)

    def do_altq_rule(self, node: Tree, toks: list[_Tok], st: _Stmt) -> None:
        for opt in node.children[1:]:
            if opt.data == "q_children":
                for c in opt.children:
                    if isinstance(c, Token) and c.type in ("STRING", "NUMBER"):
                        self.queues.setdefault(c.value, {"tok": toks[0], "old": True, "default": False})

    # -- old translation and scrub rules

    def do_nat_rule(self, node: Tree, toks: list[_Tok], st: _Stmt) -> None:
        self.old_translation("nat", node, toks)

    def do_rdr_rule(self, node: Tree, toks: list[_Tok], st: _Stmt) -> None:
        self.old_translation("rdr", node, toks)

    def do_binat_rule(self, node: Tree, toks: list[_Tok], st: _Stmt) -> None:
        self.old_translation("binat", node, toks)

    def old_translation(self, kind: str, node: Tree, toks: list[_Tok]) -> None:
        ch = list(node.children)
        no = isinstance(ch[0], Token) and ch[0].type == "NO"
        if no:
            ch = ch[1:]
        ch = ch[1:]
        natpass = bool(ch) and isinstance(ch[0], Token) and ch[0].type == "PASS"
        if natpass:
            ch = ch[1:]
        arrow = None
        if ch and isinstance(ch[-1], Tree) and ch[-1].data == "redir_spec":
            arrow = ch[-1]
            ch = ch[:-2]
        self.note_old(toks)
        spec = self.build((kind, toks[0]), ch, toks)
        if spec is None:
            return
        spec.no = no
        spec.natpass = natpass
        if spec.direction is not None:
            self.tdiag(toks[0], "error", "syntax", f"{kind} rules take no direction", kind)
            return
        spec.direction = {"nat": "out", "rdr": "in"}.get(kind)
        if arrow is None and not no:
            self.tdiag(toks[0], "error", "syntax", f"{kind} rule without '->' and a translation address", kind)
            return
        if arrow is not None:
            if no:
                self.tdiag(toks[0], "error", "syntax", f"'no {kind}' takes no translation address", kind)
                return
            got = self.redir_spec(arrow, toks, kind)
            if got is None:
                return
            spec.redirect[kind + "-to"] = got
        if not self.expand(spec, toks):
            return
        self.ruleset().entries.append(spec)
        if not no and kind in ("nat", "rdr", "binat"):
            self.tdiag(toks[0], "note", "approximate",
                       f"{kind}: the filter rules see the translated packet; fwlint matches them against the packet "
                       f"as it arrives (the translation is an alteration)", "translation")
        if natpass:
            self.tdiag(toks[0], "note", "approximate",
                       f"'{kind} pass': the translated packets skip the filter rules; modelled as a quick pass "
                       f"rule ahead of them (keeping state)", f"{kind} pass")

    def note_old(self, toks: list[_Tok]) -> None:
        if self.old_syntax is None:
            self.old_syntax = self.origin(toks)
            self.check_mixing()

    def note_new(self, toks: list[_Tok]) -> None:
        if self.new_syntax is None:
            self.new_syntax = self.origin(toks)
            self.check_mixing()

    def check_mixing(self) -> None:
        if self.old_syntax is not None and self.new_syntax is not None:
            later = max(self.old_syntax, self.new_syntax, key=lambda o: (o.path != self.path, o.line))
            earlier = self.new_syntax if later is self.old_syntax else self.old_syntax
            self.diag(later.path, later.line, 1, "warning", "mixed-syntax",
                      f"old translation/scrub syntax (nat, rdr, binat, scrub rules; FreeBSD and OpenBSD before "
                      f"4.7) and the new one (nat-to, rdr-to, binat-to, match scrub) are mixed: no pfctl accepts "
                      f"both (the other kind is at {earlier.path}:{earlier.line})", "syntax version", understood=True)

    def do_scrub_rule(self, node: Tree, toks: list[_Tok], st: _Stmt) -> None:
        self.note_old(toks)
        spec = self.build(("scrub", toks[0]), node.children[1:], toks)
        if spec is None:
            return
        if not self.expand(spec, toks):
            return
        self.ruleset().entries.append(spec)

    def do_trans_anchor(self, node: Tree, toks: list[_Tok], st: _Stmt) -> None:
        self.note_old(toks)
        kind = node.children[0].value
        name = node.children[1].value
        self.tdiag(toks[0], "warning", "anchor-rules-unavailable",
                   f"{kind} {name!r}: its translation rules are loaded at run time and are not known; "
                   f"fwlint analyses as if it were empty", kind)

    # -- filter rules

    def do_filter_rule(self, node: Tree, toks: list[_Tok], st: _Stmt) -> None:
        kind = node.children[0].value
        spec = self.build((kind, toks[0]), node.children[1:], toks)
        if spec is None:
            return
        if not self.expand(spec, toks):
            return
        self.ruleset().entries.append(spec)
        if kind == "match" and (spec.redirect or spec.afto):
            what = ", ".join(list(spec.redirect) + (["af-to"] if spec.afto else []))
            self.tdiag(toks[0], "note", "approximate",
                       f"match ... {what}: the rules after this one see the translated packet; fwlint matches them "
                       f"against the packet as it arrives (the translation is an alteration)", "translation")

    def do_macro_def(self, node: Tree, toks: list[_Tok], st: _Stmt) -> None:  # pragma: no cover
        self.macro_def_stmt(toks)

    # ------------------------------------------------------------------ building a rule

    def tok(self, toks: list[_Tok], t: Token) -> _Tok:
        return toks[t.start_pos]

    def first_tok(self, node, toks: list[_Tok]) -> _Tok:
        if isinstance(node, Token):
            return self.tok(toks, node)
        for t in node.scan_values(lambda v: isinstance(v, Token)):
            return self.tok(toks, t)
        return toks[0]

    _RANKS = {"block_drop": 0, "block_return": 0, "block_return_rst": 0, "block_return_icmp": 0,
              "block_return_icmp6": 0, "direction": 1, "log": 2, "quick": 2, "on_iface": 3,
              "on_rdomain": 3, "af": 4, "proto": 5, "all": 6, "from_part": 6, "to_part": 7}

    def build(self, head: tuple[str, _Tok], parts: list, toks: list[_Tok]) -> _Spec | None:
        kind, head_tok = head
        spec = _Spec(kind, self.origin(toks), anchor=self.anchor_path() if self.anchor_path() != "#failed" else "")
        spec.policy = self.block_policy
        rank = -1.0
        prev = None
        seen: set[str] = set()
        parts = [p for p in parts if isinstance(p, Tree)]
        ok = True
        for i, p in enumerate(parts):
            d = p.data
            if d == "comma":
                continue
            r = self._RANKS.get(d, 8.0)
            if d == "route_spec" and rank < 4 and any(self._RANKS.get(q.data, 8) in (4, 5, 6, 7) for q in parts[i + 1:]):
                r = 3.5  # FreeBSD: route-to before the address family
            ptok = self.first_tok(p, toks)
            if r < rank or (r < 8 and d in seen and d not in ("log", "quick")) or (d in ("log", "quick") and d in seen):
                where = f"after {prev!r}" if r < rank else "twice"
                self.tdiag(ptok, "error", "syntax", f"syntax error: {ptok.value!r} {where}"
                           + (" (pfctl's order: action, in/out, log, quick, on, inet/inet6, proto, from, to, options)" if r < rank else ""),
                           kind)
                return None
            if r == 6 and ("all" in seen or "from_part" in seen) or (d == "to_part" and "all" in seen):
                self.tdiag(ptok, "error", "syntax", f"syntax error: {ptok.value!r} after 'all'", kind)
                return None
            if r < 8:
                rank = r
            else:
                rank = max(rank, 8.0)
            seen.add(d)
            prev = ptok.value
            if d.startswith("block_") and kind != "block":
                self.tdiag(ptok, "error", "syntax", f"syntax error: {ptok.value!r} only follows 'block'", kind)
                return None
            if not self.part(spec, p, toks, ptok):
                ok = False
        if not ok:
            return None
        if kind in ("pass", "match", "block", "anchor", "scrub", "nat", "rdr", "binat"):
            if kind != "scrub" and any(p.data == "scrub_word" for p in parts):
                t = next(self.first_tok(p, toks) for p in parts if p.data == "scrub_word")
                self.tdiag(t, "error", "syntax", f"syntax error: {t.value!r} outside a scrub rule "
                           f"(write 'scrub ({t.value} ...)')", kind)
                return None
        if kind in ("nat", "rdr", "binat", "antispoof", "scrub", "anchor"):
            allowed = {"nat": {"log", "on_iface", "af", "proto", "all", "from_part", "to_part", "tag", "tagged", "on_rdomain"},
                       "antispoof": {"log", "quick", "af", "label", "on_rdomain"},
                       "scrub": {"direction", "log", "quick", "on_iface", "af", "proto", "all", "from_part",
                                 "to_part", "scrub_word", "fragment", "on_rdomain"},
                       "anchor": None}
            allow = allowed.get(kind, allowed["nat"])
            if allow is not None:
                for p in parts:
                    if p.data != "comma" and p.data not in allow:
                        t = self.first_tok(p, toks)
                        self.tdiag(t, "error", "syntax", f"syntax error: {t.value!r} is not valid in {kind} rules",
                                   kind)
                        return None
        if kind in ("pass", "match", "block"):
            self.note_new_if_needed(spec, toks)
        if not self.consistent(spec, toks, head_tok):
            return None
        return spec

    def note_new_if_needed(self, spec: _Spec, toks: list[_Tok]) -> None:
        if spec.redirect or spec.kind == "match" and any(a[0] == "scrub" for a in spec.alters):
            self.note_new(toks)

    def part(self, spec: _Spec, p: Tree, toks: list[_Tok], ptok: _Tok) -> bool:
        d = p.data
        ch = p.children
        if d == "block_drop":
            spec.block = "drop"
        elif d == "block_return":
            spec.block = "return"
        elif d == "block_return_rst":
            spec.block = "return-rst"
            spec.block_detail = " ".join(c.value for c in ch)
        elif d == "block_return_icmp":
            spec.block = "return-icmp"
            spec.block_detail = "".join(c.value + (" " if c.type == "COMMA" else "") for c in ch)
            for c in ch[1:]:
                if isinstance(c, Token) and c.type in ("STRING", "NUMBER"):
                    if not self.icmp_code_ok(c.value, ch.index(c) > 2):
                        self.tdiag(self.tok(toks, c), "error", "invalid", f"unknown icmp code {c.value}", "return-icmp")
                        return False
        elif d == "block_return_icmp6":
            spec.block = "return-icmp6"
            spec.block_detail = "".join(c.value for c in ch)
        elif d == "direction":
            spec.direction = ch[0].value
        elif d == "log":
            spec.log = True
        elif d == "quick":
            spec.quick = True
        elif d == "on_iface":
            spec.ifaces = self.if_list(ch[1])
            self.note_ifaces(spec.ifaces, ptok)
            if any(n == "any" for _neg, n in spec.ifaces) and len(spec.ifaces) == 1 and not spec.ifaces[0][0]:
                spec.ifaces = None
        elif d == "on_rdomain":
            spec.rdomain = ch[2].value
            spec.conds.append(m.Opaque(f"rdomain {ch[2].value}", f"on rdomain {ch[2].value}"))
            self.tdiag(ptok, "note", "approximate", f"on rdomain {ch[2].value}: routing domains are not modelled",
                       "rdomain")
        elif d == "af":
            spec.af = 4 if ch[0].type == "INET" else 6
        elif d == "proto":
            items = [c for c in ch[1].children if isinstance(c, Token) and c.type in ("STRING", "NUMBER")]
            protos = []
            for it in items:
                n = _proto_number(it.value)
                if n is None:
                    self.tdiag(self.tok(toks, it), "error", "invalid", f"unknown protocol {it.value}", "proto")
                    return False
                protos.append((n, it.value))
            spec.protos = protos
            if any(n == 0 for n, _ in protos):
                spec.protos = [x for x in protos if x[0] != 0] or None
        elif d == "all":
            spec.src = None
            spec.dst = None
        elif d in ("from_part", "to_part"):
            which = "src" if d == "from_part" else "dst"
            hosts = None
            ports = None
            for c in ch[1:]:
                if isinstance(c, Tree) and c.data in ("ip_any", "xhost", "xhost_noroute", "xhost_urpf",
                                                       "xhost_route", "ip_list"):
                    hosts = self.ipspec(c, toks, which)
                    if hosts is None:
                        return False
                elif isinstance(c, Tree) and c.data == "port_spec":
                    ports = self.port_spec(c, toks)
                    if ports is None:
                        return False
                elif isinstance(c, Tree) and c.data == "os_spec":
                    osn = [t.value for t in c.children if isinstance(t, Token) and t.type in ("STRING", "NUMBER")]
                    spec.conds.append(m.Opaque("os " + " ".join(osn), "os " + ", ".join(osn)))
                    self.tdiag(self.first_tok(c, toks), "note", "approximate",
                               "os: the passive OS fingerprint is not modelled", "os")
            if len(ch) == 1:
                self.tdiag(ptok, "error", "syntax", f"syntax error: {ptok.value!r} without an address or port",
                           spec.kind)
                return False
            if which == "src":
                spec.src, spec.sports = hosts, ports
            else:
                spec.dst, spec.dports = hosts, ports
        elif d in ("user", "group"):
            items = self.uid_spec(ch[1], toks)
            if d == "user":
                spec.users = items
            else:
                spec.groups = items
            self.tdiag(ptok, "note", "approximate",
                       f"{d}: the owner of the local socket is not modelled (an unknown condition)", d)
        elif d == "flags":
            vals = [c for c in ch if isinstance(c, Token) and c.type in ("STRING", "NUMBER")]
            slash_at = next(k for k, c in enumerate(ch) if isinstance(c, Token) and c.type == "SLASH")
            comp_s = ch[1].value if slash_at == 2 else ""
            mask_s = vals[-1].value
            comp = _flag_bits(comp_s)
            mask = _flag_bits(mask_s)
            if comp is None or mask is None:
                bad = comp_s if comp is None else mask_s
                self.tdiag(ptok, "error", "invalid", f"flags {bad!r}: letters F S R P A U E W only", "flags")
                return False
            spec.flags = (comp, mask)
        elif d == "flags_any":
            spec.flags = "any"
        elif d in ("icmp_type", "icmp6_type"):
            v6 = d == "icmp6_type"
            if spec.icmp is not None:
                self.tdiag(ptok, "error", "syntax", "icmp-type given twice", d)
                return False
            items = []
            for it in ch[1].children:
                if not isinstance(it, Tree):
                    continue
                vals = [c for c in it.children if isinstance(c, Token) and c.type in ("STRING", "NUMBER")]
                t = _icmp_type(vals[0].value, v6)
                if t is None:
                    self.tdiag(self.tok(toks, vals[0]), "error", "invalid",
                               f"unknown {'icmp6' if v6 else 'icmp'}-type {vals[0].value}", d)
                    return False
                code = None
                if len(vals) > 1:
                    code = _icmp_code(vals[1].value, t, v6)
                    if code is None:
                        self.tdiag(self.tok(toks, vals[1]), "error", "invalid",
                                   f"unknown {'icmp6' if v6 else 'icmp'}-code {vals[1].value}", d)
                        return False
                items.append((t, code))
            spec.icmp = items
            spec.icmp_v6 = v6
        elif d == "tos":
            v = _tos(ch[1].value)
            if v is None:
                self.tdiag(ptok, "error", "invalid", f"illegal tos value {ch[1].value}", "tos")
                return False
            spec.conds.append(m.Opaque(f"tos 0x{v:02x}", f"tos 0x{v:02x}"))
            self.tdiag(ptok, "note", "approximate", "tos: the IP TOS field is not modelled (an unknown condition)",
                       "tos")
        elif d == "state_spec":
            kw = ch[0].value
            spec.state = "no" if kw == "no" else kw
            for sub in ch:
                if isinstance(sub, Tree) and sub.data == "state_opt_list":
                    for so in sub.children:
                        if isinstance(so, Tree):
                            spec.state_opts.append(_join(so))
                            for t in so.scan_values(lambda v: isinstance(v, Token)):
                                if t.type == "OVERLOAD":
                                    self.overload_tables.add(so.children[2].value)
            if spec.state == "no" and spec.state_opts:
                self.tdiag(ptok, "error", "syntax", "state options without keeping state", "state")
                return False
            if spec.state_opts:
                limits = [o for o in spec.state_opts if o.split()[0] in ("max", "max-src-nodes", "max-src-states",
                                                                         "max-src-conn", "max-src-conn-rate", "overload")]
                if any(o.startswith("max-src-nodes") for o in spec.state_opts) and "source-track global" in spec.state_opts:
                    self.tdiag(ptok, "error", "invalid", "'max-src-nodes' is incompatible with 'source-track global'",
                               "state")
                    return False
                if limits:
                    self.tdiag(ptok, "note", "approximate",
                               f"state limits ({', '.join(limits)}): a packet over a limit is dropped; "
                               f"fwlint assumes the limits are not reached", "state limits")
        elif d == "fragment":
            spec.fragment = True
            if spec.kind != "scrub":
                spec.conds.append(m.Opaque("fragment", "fragment (IP fragments)"))
                self.tdiag(ptok, "note", "approximate",
                           "fragment: IP fragments are not modelled (an unknown condition)", "fragment")
        elif d in ("allow_opts", "label", "tag", "once", "rtable", "prio", "set_prio", "set_queue",
                   "set_tos", "set_delay", "queue", "probability", "max_pkt_rate", "tagged", "received_on"):
            return self.simple_opt(spec, d, ch, toks, ptok)
        elif d == "set_multi":
            for so in ch[2:-1]:
                if isinstance(so, Tree) and not self.simple_opt(spec, so.data, so.children, toks, ptok):
                    return False
        elif d == "scrub":
            opts = [" ".join(t.value for t in sc.scan_values(lambda v: isinstance(v, Token)))
                    for sc in ch[2:-1] if isinstance(sc, Tree) and sc.data == "sc"]
            if not self.scrub_opts(opts, ptok):
                return False
            spec.alters.append(("scrub", None, tuple(("option", o) for o in opts), f"scrub ({' '.join(opts)})"))
        elif d == "scrub_word":
            o = " ".join(t.value for t in p.scan_values(lambda v: isinstance(v, Token)))
            spec.alters.append(("scrub", None, (("option", o),), o))
        elif d in ("divert_to", "divert_reply", "divert_packet"):
            if any(a[0] == "divert" for a in spec.alters):
                self.tdiag(ptok, "error", "invalid", "more than one divert option", "divert")
                return False
            desc = " ".join(t.value for t in p.scan_values(lambda v: isinstance(v, Token)))
            if d == "divert_to":
                hs = self.host(ch[1], toks, False)
                if not hs or hs[0].kind == "error":
                    return False
                spec.parts_text["divert_af"] = {h.af for h in hs if h.af}
                if spec.direction == "out":
                    self.tdiag(ptok, "error", "invalid", "divert-to used with outgoing rule", "divert-to")
                    return False
            spec.alters.append(("divert", spec.direction, (("to", desc),), desc))
        elif d in ("nat_to", "rdr_to", "binat_to"):
            k = d.replace("_", "-")
            if spec.redirect:
                self.tdiag(ptok, "error", "invalid", f"{k} together with {', '.join(spec.redirect)}", k)
                return False
            got = self.redir_spec(ch[1], toks, k)
            if got is None:
                return False
            spec.redirect[k] = got
        elif d == "af_to":
            af = 4 if ch[1].type == "INET" else 6
            frm = self.redir_hosts(ch[3], toks)
            to = self.redir_hosts(ch[5], toks) if len(ch) > 5 else None
            if frm is None or (len(ch) > 5 and to is None):
                return False
            spec.afto = (af, frm, to)
        elif d == "route_spec":
            if ch[0].type == "FASTROUTE":
                spec.route = ("fastroute", [], "")
            else:
                hosts = []
                pool = []
                for c in ch[1:]:
                    if isinstance(c, Tree) and c.data == "route_hosts":
                        for rh in c.children:
                            if isinstance(rh, Tree):
                                got = self.route_host(rh, toks)
                                if got is None:
                                    return False
                                hosts.extend(got)
                    elif isinstance(c, Token):
                        pool.append(c.value)
                    elif isinstance(c, Tree):
                        pool.append(" ".join(t.value for t in c.scan_values(lambda v: isinstance(v, Token))))
                spec.route = (ch[0].value, hosts, " ".join(pool))
        elif d == "dummynet":
            spec.alters.append(("dummynet", None, (("to", _join(p)),), _join(p)))
            self.tdiag(ptok, "note", "approximate", f"{ptok.value}: dummynet shaping (FreeBSD) is not modelled "
                       f"(no effect on which packets pass)", ptok.value)
        elif d == "max_pkt_size":
            spec.conds.append(m.Opaque(f"max-pkt-size {ch[1].value}", f"max-pkt-size {ch[1].value} (packet length)"))
            self.tdiag(ptok, "note", "approximate",
                       "max-pkt-size: packet lengths are not modelled (an unknown condition)",
                       "max-pkt-size")
        elif d in ("ridentifier", "allow_related"):
            pass  # no effect on which packets a rule matches
        elif d == "comma":
            pass
        else:  # pragma: no cover - every part of the grammar is handled above
            self.tdiag(ptok, "warning", "unsupported", f"{ptok.value}: not supported", ptok.value)
        return True

    def simple_opt(self, spec: _Spec, d: str, ch: list, toks: list[_Tok], ptok: _Tok) -> bool:
        vals = [c.value for c in ch if isinstance(c, Token) and c.type in ("STRING", "NUMBER")]
        if d == "label":
            if len(vals[0]) >= 64:
                self.tdiag(ptok, "error", "invalid", "rule label too long (max 63 chars)", "label")
                return False
            spec.label = vals[0]
        elif d == "tag":
            if len(vals[0]) >= 64:
                self.tdiag(ptok, "error", "invalid", "tag too long, max 63 chars", "tag")
                return False
            spec.alters.append(("tag", None, (("tag", vals[0]),), f"tag {vals[0]}"))
        elif d == "tagged":
            neg = isinstance(ch[0], Token) and ch[0].type == "BANG"
            if len(vals[0]) >= 64:
                self.tdiag(ptok, "error", "invalid", "tag too long, max 63 chars", "tagged")
                return False
            spec.conds.append(m.Opaque(f"tagged {vals[0]}", f"tagged {vals[0]} (set by an earlier matching rule)", neg))
            self.tdiag(ptok, "note", "approximate", f"tagged {vals[0]}: tags set by other rules are not followed "
                       f"(an unknown condition)", "tagged")
        elif d == "received_on":
            neg = isinstance(ch[0], Token) and ch[0].type == "BANG"
            spec.conds.append(m.Opaque(f"received-on {vals[0]}", f"received-on {vals[0]}", neg))
            self.tdiag(ptok, "note", "approximate",
                       "received-on: the interface a packet first arrived on is not modelled", "received-on")
        elif d == "once":
            spec.conds.append(m.Opaque(f"once@{ptok.path}:{ptok.line}", "once (the rule is removed after its first match)"))
            self.tdiag(ptok, "note", "approximate",
                       "once: the rule applies to one packet only (an unknown condition)", "once")
        elif d == "probability":
            spec.conds.append(m.Opaque(f"probability@{ptok.path}:{ptok.line}", f"probability {vals[0]}"))
            self.tdiag(ptok, "note", "approximate", f"probability {vals[0]}: a random condition", "probability")
        elif d == "max_pkt_rate":
            spec.conds.append(m.Opaque(f"max-pkt-rate@{ptok.path}:{ptok.line}", f"max-pkt-rate {'/'.join(vals)}"))
            self.tdiag(ptok, "note", "approximate", "max-pkt-rate: a rate limit (an unknown condition)", "max-pkt-rate")
        elif d == "prio":
            v = read_int(vals[0])
            if not 0 <= v <= 7:
                self.tdiag(ptok, "error", "invalid", "prio must be 0 - 7", "prio")
                return False
            spec.conds.append(m.Opaque(f"prio {v}", f"prio {v}"))
            self.tdiag(ptok, "note", "approximate",
                       "prio: the packet's priority is not modelled (an unknown condition)", "prio")
        elif d == "set_prio":
            for v in vals:
                if not 0 <= read_int(v) <= 7:
                    self.tdiag(ptok, "error", "invalid", "prio must be 0 - 7", "set prio")
                    return False
            spec.alters.append(("prio", None, (("prio", " ".join(vals)),), "set prio " + " ".join(vals)))
        elif d in ("set_queue", "queue"):
            for v in vals:
                self.queue_refs.append((v, spec.origin, len(self.diags)))
            spec.alters.append(("queue", None, (("queue", ", ".join(vals)),), "queue " + ", ".join(vals)))
        elif d == "set_tos":
            v = _tos(vals[0])
            if v is None:
                self.tdiag(ptok, "error", "invalid", f"illegal tos value {vals[0]}", "set tos")
                return False
            spec.alters.append(("tos", None, (("tos", f"0x{v:02x}"),), f"set tos 0x{v:02x}"))
        elif d == "set_delay":
            spec.alters.append(("delay", None, (("delay", vals[0]),), f"set delay {vals[0]}"))
        elif d == "rtable":
            spec.alters.append(("rtable", None, (("rtable", vals[0]),), f"rtable {vals[0]}"))
        # allow-opts: packets with IP options are passed by this rule; IP options are not modelled
        return True

    def scrub_opts(self, opts: list[str], tok: _Tok) -> bool:
        seen = set()
        for o in opts:
            words = o.split()
            k = words[0]
            if k in seen:
                self.tdiag(tok, "error", "invalid", f"{k} cannot be respecified", "scrub")
                return False
            seen.add(k)
            if k == "min-ttl" and not 0 <= read_int(words[1]) <= 255:
                self.tdiag(tok, "error", "invalid", f"illegal min-ttl value {words[1]}", "scrub")
                return False
            if k == "max-mss" and not 0 <= read_int(words[1]) <= 65535:
                self.tdiag(tok, "error", "invalid", f"illegal max-mss value {words[1]}", "scrub")
                return False
            if k == "reassemble" and words[1] != "tcp":
                self.tdiag(tok, "error", "invalid", f"reassemble {words[1]}: only 'reassemble tcp'", "scrub")
                return False
        return True

    def icmp_code_ok(self, v: str, v6: bool) -> bool:
        if v.isdigit():
            return read_int(v) <= 255
        return v in (ICMP6_CODES if v6 else ICMP_CODES)

    # -- interfaces

    def if_list(self, node: Tree) -> list[tuple[bool, str]]:
        out = []
        for it in node.children:
            if isinstance(it, Tree) and it.data == "if_item":
                neg = isinstance(it.children[0], Token) and it.children[0].type == "BANG"
                out.append((neg, it.children[-1].value))
        return out

    def note_ifaces(self, ifs: list[tuple[bool, str]], tok: _Tok) -> None:
        for _neg, name in ifs:
            if name == "any" or re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*[0-9]", name):
                continue
            if name in _DRIVER_GROUPS:
                self.tdiag(tok, "note", "approximate",
                           f"interface group {name!r}: modelled as every interface whose name starts with "
                           f"{name!r} (the group of the {name} driver's interfaces)", "interface group")
            else:
                self.tdiag(tok, "note", "approximate",
                           f"interface group {name!r}: its members are known at run time (an unknown condition)",
                           "interface group")

    # -- addresses

    def ipspec(self, node: Tree, toks: list[_Tok], which: str) -> list[_Host] | None:
        out: list[_Host] = []
        d = node.data
        if d == "ip_any":
            return [_ANY_HOST]
        if d == "ip_list":
            for c in node.children:
                if isinstance(c, Tree):
                    got = self.ipspec(c, toks, which)
                    if got is None:
                        return None
                    out.extend(got)
            return out
        neg = isinstance(node.children[0], Token) and node.children[0].type == "BANG"
        if d == "xhost_noroute":
            return [_Host("noroute", "no-route", neg)]
        if d == "xhost_urpf":
            if which == "dst":
                self.tdiag(self.first_tok(node, toks), "error", "invalid", "urpf-failed applies only to the source",
                           "urpf-failed")
                return None
            return [_Host("urpf", "urpf-failed", neg)]
        if d == "xhost_route":
            return [_Host("route", f"route {node.children[1].value}", False, name=node.children[1].value)]
        hs = self.host(node.children[-1], toks, neg)
        if hs is None or any(h.kind == "error" for h in hs):
            return None
        return hs

    def host(self, node, toks: list[_Tok], neg: bool, in_table: bool = False) -> list[_Host] | None:
        d = node.data
        ch = node.children
        t0 = self.first_tok(node, toks)
        if d == "host_table":
            name = ch[1].value
            if in_table:
                self.tdiag(t0, "error", "invalid", "a table cannot contain a table", "table")
                return [_Host("error", "table in table")]
            return [_Host("table", f"<{name}>", neg, name=name)]
        if d == "host_dynamic":
            name = ch[1].value
            base = _IFACE_MOD_RE.match(name)
            return [_Host("dyn", f"({name})", neg, name=base.group(1) if base else name)]
        if d == "host_range":
            a, b = ch[0].value, ch[2].value
            try:
                x, y = ipaddress.ip_address(a), ipaddress.ip_address(b)
            except ValueError:
                self.tdiag(t0, "error", "invalid", f"could not parse host specification {a} - {b}", "address range")
                return [_Host("error", "bad range")]
            if x.version != y.version or read_int(x) > read_int(y):
                self.tdiag(t0, "error", "invalid", f"invalid address range {a} - {b}", "address range")
                return [_Host("error", "bad range")]
            return [_Host("addr", f"{x} - {y}", neg, x.version, ((x.version, read_int(x), read_int(y)),))]
        text = ch[0].value
        quoted = self.tok(toks, ch[0]).quoted
        mask = None
        if d == "host_dotted_mask":
            mtext = ch[2].value
            try:
                mask = str(ipaddress.IPv4Network(f"0.0.0.0/{mtext}").prefixlen)
            except ValueError:
                self.tdiag(t0, "error", "invalid", f"invalid netmask {mtext}", "address")
                return [_Host("error", "bad mask")]
        elif len(ch) >= 3 and isinstance(ch[1], Token) and ch[1].type == "SLASH":
            mask = ch[2].value
        if any(isinstance(c, Token) and c.type == "WEIGHT" for c in ch):
            self.tdiag(t0, "note", "approximate", "weight: only for load balancing pools", "weight")
        hs = _parse_host_text(text, mask, quoted)
        out = []
        for h in hs:
            if h.kind == "error":
                self.tdiag(t0, "error", "invalid", h.text, "address")
                return [h]
            h.neg = neg
            out.append(h)
        for h in out:
            if h.kind == "name":
                self.tdiag(t0, "note", "approximate",
                           f"{h.text}: a host name is resolved when the rules are loaded (an unknown set of addresses)",
                           "hostname")
            self.note_zone(h, t0)
        if any(h.name == "localhost" for h in out):
            self.tdiag(t0, "note", "approximate", "localhost: read as 127.0.0.1 and ::1 (as /etc/hosts usually says)",
                       "hostname")
        return out

    def note_zone(self, h: _Host, tok: _Tok, where: str = "") -> None:
        """An IPv6 address with a scope: the address is modelled, the scope is not (a note)."""
        if h.zone:
            self.tdiag(tok, "note", "approximate",
                       f"{where}{h.text}%{h.zone}: the scope %{h.zone} of this IPv6 address is not modelled: "
                       f"fwlint matches {h.text} on every interface", "scoped address")

    def port_spec(self, node: Tree, toks: list[_Tok]) -> list[_Port] | None:
        out = []
        for it in node.children:
            if not isinstance(it, Tree):
                continue
            got = self.port_item(it, toks)
            if got is None:
                return None
            out.append(got)
        return out

    def port_item(self, it: Tree, toks: list[_Tok]) -> _Port | None:
        d = it.data
        vals = [c for c in it.children if isinstance(c, Token) and c.type in ("STRING", "NUMBER")]
        t0 = self.first_tok(it, toks)
        if d == "port_eq":
            v = vals[0].value
            if ":" in v:
                a, _, b = v.partition(":")
                pa, pb = self.port_value(a, t0), self.port_value(b, t0)
                if pa is None or pb is None:
                    return None
                return _Port(":", pa, pb)
            p = self.port_value(v, t0)
            return None if p is None else _Port("=", p)
        if d == "port_unary":
            op = it.children[0].children[0].value
            p = self.port_value(vals[0].value, t0)
            return None if p is None else _Port(op, p)
        a = self.port_value(vals[0].value, t0)
        b = self.port_value(vals[1].value, t0)
        if a is None or b is None:
            return None
        return _Port("<>" if d == "port_outside" else "><", a, b)

    def port_value(self, text: str, tok: _Tok) -> int | None:
        t = text.strip()
        n: int | None
        if re.fullmatch(r"-?[0-9]+", t):
            n = read_int(t)
        elif re.fullmatch(r"0[xX][0-9a-fA-F]+", t):
            n = read_int(t, 16)
        else:
            n = names.port_number(t, "")
            if n is None:
                self.tdiag(tok, "error", "invalid", f"unknown port {t}", "port")
                return None
        if not 0 <= n <= 65535:
            self.tdiag(tok, "error", "invalid", f"illegal port value {n}", "port")
            return None
        return n

    def uid_spec(self, node: Tree, toks: list[_Tok]) -> list[str]:
        out = []
        for it in node.children:
            if isinstance(it, Tree):
                out.append(" ".join(t.value for t in it.scan_values(lambda v: isinstance(v, Token))))
        return out

    def redir_hosts(self, node: Tree, toks: list[_Tok]) -> list[_Host] | None:
        out = []
        for c in node.children:
            if isinstance(c, Tree):
                hs = self.host(c, toks, False)
                if hs is None or any(h.kind == "error" for h in hs):
                    return None
                out.extend(hs)
        return out

    def redir_spec(self, node: Tree, toks: list[_Tok], kind: str) -> tuple | None:
        hosts = self.redir_hosts(node.children[0], toks)
        if hosts is None:
            return None
        port = None
        pool = []
        ch = node.children[1:]
        k = 0
        while k < len(ch):
            c = ch[k]
            if isinstance(c, Token) and c.type == "PORT":
                port = ch[k + 1].value
                k += 2
                continue
            if isinstance(c, Token):
                pool.append(c.value)
            else:
                pool.append(" ".join(t.value for t in c.scan_values(lambda v: isinstance(v, Token))))
            k += 1
        if port is not None:
            a, _, b = port.partition(":")
            tok = self.first_tok(node, toks)
            if self.port_value(a, tok) is None or (b and b != "*" and self.port_value(b, tok) is None):
                return None
        return hosts, port, " ".join(pool)

    def route_host(self, node, toks: list[_Tok]) -> list[_Host] | None:
        if node.data == "route_iface_host":
            vals = [c.value for c in node.children if isinstance(c, Token) and c.type in ("STRING", "NUMBER")]
            iface, addr = vals[0], vals[1]
            mask = vals[2] if len(vals) > 2 else None
            if mask is not None and not mask.isdigit():
                try:
                    mask = str(ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen)
                except ValueError:
                    self.tdiag(self.first_tok(node, toks), "error", "invalid", f"invalid netmask {mask}", "route-to")
                    return None
            hs = _parse_host_text(addr, mask, False)
            for h in hs:
                if h.kind == "error":
                    self.tdiag(self.first_tok(node, toks), "error", "invalid", h.text, "route-to")
                    return None
                self.note_zone(h, self.first_tok(node, toks))
                h.name = iface
            return hs
        hs = self.host(node, toks, False)
        if hs is None or any(h.kind == "error" for h in hs):
            return None
        return hs

    # ------------------------------------------------------------------ consistency (pfctl's checks)

    def consistent(self, spec: _Spec, toks: list[_Tok], head: _Tok) -> bool:
        kind = spec.kind
        if spec.flags not in (None, "any") and spec.protos is not None and all(n != 6 for n, _ in spec.protos):
            self.tdiag(head, "error", "invalid", "flags only apply to tcp", "flags")
            return False
        if spec.route is not None:
            if kind == "block":
                self.tdiag(head, "error", "invalid", "route-to, reply-to and dup-to are not supported on block rules",
                           spec.route[0])
                return False
            if spec.state == "no" and kind == "pass":
                self.tdiag(head, "error", "invalid", "route-to, reply-to and dup-to require keep state", spec.route[0])
                return False
            if spec.afto is not None:
                self.tdiag(head, "error", "invalid", "af-to cannot be used together with route-to, reply-to, dup-to",
                           "af-to")
                return False
        if spec.afto is not None:
            if spec.af is None:
                self.tdiag(head, "error", "invalid", "af-to: the rule must name its address family (inet or inet6)",
                           "af-to")
                return False
            if spec.afto[0] == spec.af:
                self.tdiag(head, "error", "invalid", "af-to: the translation must change the address family", "af-to")
                return False
            if spec.direction == "out":
                self.tdiag(head, "error", "invalid", "af-to can only be used with inbound rules", "af-to")
                return False
        daf = spec.parts_text.get("divert_af")
        if daf and spec.af is not None and spec.af not in daf:
            self.tdiag(head, "error", "invalid", "divert-to address family mismatch", "divert-to")
            return False
        if kind != "pass" and any(a[0] == "divert" for a in spec.alters):
            self.tdiag(head, "error", "invalid", "divert options only apply to pass rules", "divert")
            return False
        if spec.redirect and kind == "block":
            self.tdiag(head, "error", "invalid", f"{', '.join(spec.redirect)} cannot be used on block rules",
                       next(iter(spec.redirect)))
            return False
        if "nat-to" in spec.redirect and spec.direction == "in" and kind in ("pass", "match"):
            self.tdiag(head, "error", "invalid", "nat-to can only be used with outbound rules", "nat-to")
            return False
        if "rdr-to" in spec.redirect and spec.direction == "out" and kind in ("pass", "match"):
            self.tdiag(head, "error", "invalid", "rdr-to can only be used with inbound rules", "rdr-to")
            return False
        if "binat-to" in spec.redirect and spec.direction == "in" and kind in ("pass", "match"):
            self.tdiag(head, "error", "invalid", "binat-to can only be used with outbound rules", "binat-to")
            return False
        if spec.icmp is not None and spec.af is None:
            fams = {h.af for h in (spec.src or []) + (spec.dst or []) if h.af}
            if not fams:
                if not spec.protos or all(n not in (1, 58) for n, _ in spec.protos):
                    pass
                else:
                    spec.af = 6 if spec.icmp_v6 else 4
                    self.tdiag(head, "warning", "invalid",
                               "must indicate address family with icmp-type/code (read as "
                               f"{'inet6' if spec.icmp_v6 else 'inet'})", "icmp-type")
        return True

    # ------------------------------------------------------------------ expansion (as pfctl's expand_rule)

    def expand(self, spec: _Spec, toks: list[_Tok]) -> bool:
        head = toks[0]
        ifaces = spec.ifaces or [None]
        protos = spec.protos or [None]
        icmps = spec.icmp or [None]
        srcs = spec.src or [_ANY_HOST]
        dsts = spec.dst or [_ANY_HOST]
        sports = spec.sports or [None]
        dports = spec.dports or [None]
        users = spec.users or [None]
        groups = spec.groups or [None]
        lists = {"interfaces": ifaces, "protocols": protos, "ICMP types": icmps, "sources": srcs,
                 "destinations": dsts, "source ports": sports, "destination ports": dports, "users": users,
                 "groups": groups}
        if not self.within_rule_bounds(lists, head, spec.kind):
            return False
        pool_af = None
        for k, (hosts, _port, _pool) in spec.redirect.items():
            fams = {h.af for h in hosts if h.af}
            if len(fams) == 1:
                pool_af = fams.pop()
        route_af = None
        if spec.route and spec.route[1]:
            fams = {h.af for h in spec.route[1] if h.af}
            if len(fams) == 1:
                route_af = next(iter(fams))
        errors: list[str] = []
        combos = []
        total = 0
        for i_ in ifaces:
            for p in protos:
                for ic in icmps:
                    for s in srcs:
                        for dh in dsts:
                            for sp in sports:
                                for dp in dports:
                                    for u in users:
                                        for g in groups:
                                            total += 1
                                            af = spec.af
                                            if (af and s.af and af != s.af) or (af and dh.af and af != dh.af) or (
                                                    s.af and dh.af and s.af != dh.af):
                                                continue
                                            af = af or s.af or dh.af
                                            pnum = p[0] if p else None
                                            bad = []
                                            if (sp is not None or dp is not None) and pnum not in (6, 17):
                                                bad.append("port only applies to tcp/udp")
                                            if ic is not None:
                                                want = 58 if spec.icmp_v6 else 1
                                                if pnum is None or pnum != want:
                                                    if pnum in (1, 58):
                                                        bad.append("icmp-type mismatch")
                                                    else:
                                                        bad.append("icmp-type/code only applies to icmp")
                                            if pnum == 58 and af == 4 or pnum == 1 and af == 6:
                                                bad.append(f"proto {p[1]} doesn't match address family inet{'6' if af == 6 else ''}")
                                            if ic is not None and af and (af == 6) != spec.icmp_v6:
                                                bad.append("icmp-type mismatch")
                                            if route_af and af and route_af != af and spec.route[0] != "fastroute":
                                                bad.append("af mismatch in routing spec")
                                            if pool_af and af and pool_af != af and spec.afto is None:
                                                bad.append(f"{'/'.join(spec.redirect)}: no translation address of the rule's address family")
                                            if bad:
                                                errors.extend(bad)
                                                continue
                                            if not af:
                                                af = route_af or (pool_af if spec.afto is None else None)
                                            combos.append((i_, p, ic, s, dh, sp, dp, u, g, af))
        for msg in dict.fromkeys(errors):
            self.tdiag(head, "error", "invalid", msg, spec.kind)
        if errors or not combos:
            if not combos:
                self.tdiag(head, "error", "invalid", "rule expands to no valid combination", spec.kind)
                return False
        spec.combos = combos
        return True

    def within_rule_bounds(self, lists: dict[str, list], head: _Tok, kind: str) -> bool:
        """Is the cross product of a rule's lists within MAX_RULES_PER_STATEMENT, and the
        configuration's rules so far within MAX_RULES_TOTAL? (reported at the rule when not)

        Checked on the lengths, before any combination is built.
        """
        product = 1
        for values in lists.values():
            product *= len(values)
        factors = " x ".join(f"{len(v)} {what}" for what, v in lists.items() if len(v) > 1)
        if product > limits.MAX_RULES_PER_STATEMENT:
            self.tdiag(head, "error", "expansion-limit",
                       f"this rule expands to {product} rules ({factors}), more than "
                       f"{limits.MAX_RULES_PER_STATEMENT} (linter/limits.py MAX_RULES_PER_STATEMENT): it is not "
                       f"modelled", kind)
            return False
        if self.rules_total + product > limits.MAX_RULES_TOTAL:
            self.tdiag(head, "error", "expansion-limit",
                       f"the rules of this configuration expand to more than {limits.MAX_RULES_TOTAL} in all "
                       f"(linter/limits.py MAX_RULES_TOTAL): this rule ({product} rules) is not modelled", kind)
            return False
        self.rules_total += product
        return True

    # ------------------------------------------------------------------ the end: tables, anchors, model

    def finish(self):
        self.check_queues()
        rules_specs = self.flatten("", [], set())
        filters, alterations = self.to_model(rules_specs)
        called = {e[2] for rs in self.rulesets.values() for e in rs.entries if isinstance(e, tuple)}
        for path, fname, origin, _tok in self.load_anchors:
            if path not in called and self.rulesets.get(path) is not None and self.rulesets[path].filled:
                self.diag(origin.path, origin.line, 1, "note", "unused-anchor",
                          f"anchor {path!r} is loaded from {fname!r} but no anchor rule calls it: its rules never "
                          f"apply", "anchor", text=origin.text)
        for name, origin in self.macro_def.items():
            if name not in self.macro_used:
                self.diag(origin.path, origin.line, 1, "note", "unused-macro",
                          f"macro {name} is defined and never used",
                          "macro", text=origin.text)
        for key, t in self.tables.items():
            if key not in self.table_used and key[1] not in self.overload_tables:
                o = t["origin"]
                self.diag(o.path, o.line, 1, "note", "unused-table", f"table <{key[1]}> is defined and never used",
                          "table", text=o.text)
        return filters, alterations

    def check_queues(self) -> None:
        for name, origin, _k in self.queue_refs:
            if self.queues and name not in self.queues:
                self.diag(origin.path, origin.line, 1, "error", "invalid", f"queue {name} is not defined", "queue",
                          text=origin.text)
        new = [q for q in self.queue_list if not q.get("old")]
        has_children = {id(q["parent_q"]) for q in new if q.get("parent_q") is not None}
        for q in new:
            t = q["tok"]
            n = q["name"]
            is_root = q.get("parent") is None
            if not is_root and q.get("parent_q") is None:
                self.tdiag(t, "error", "invalid", f"queue {n}: parent {q['parent']} is not defined", "queue")
            if q.get("default") and not q.get("bandwidth") and not is_root:
                self.tdiag(t, "error", "invalid", f"queue {n}: no bandwidth was specified", "queue")
            if q.get("default") and id(q) in has_children:
                self.tdiag(t, "error", "invalid", f"default queue {n} is not a leaf queue", "queue")
        for root in (q for q in new if q.get("parent") is None):
            if id(root) not in has_children:
                continue  # a lone root queue (flow queueing on the interface)
            tree = [root]
            k = 0
            while k < len(tree):
                tree.extend(q for q in new if q.get("parent_q") is tree[k])
                k += 1
            if not any(q.get("default") for q in tree):
                self.tdiag(root["tok"], "error", "invalid",
                           f"no default queue specified (queues under {root['name']} on {root.get('on')})", "queue")

    def flatten(self, path: str, anchor_specs: list[_Spec], active: set[str]) -> list[tuple[_Spec, list[_Spec]]]:
        """The rules of a ruleset in evaluation order, each with the anchor rules around it.

        A walk with its own stack (anchors may be called from anchors up to pf's limit, and
        further in a hostile file): each frame is a ruleset's entries, the anchor rules
        around it and the rulesets being evaluated (to find an anchor that calls itself).
        """
        out: list[tuple[_Spec, list[_Spec]]] = []
        rs = self.rulesets.get(path)
        if rs is None:
            return out
        frames = [(iter(rs.entries), anchor_specs, active)]
        while frames:
            entries, around, calling = frames[-1]
            e = next(entries, None)
            if e is None:
                frames.pop()
                continue
            if isinstance(e, _Spec):
                out.append((e, around))
                continue
            _, aspec, child = e
            crs = self.called_ruleset(aspec, child, calling)
            if crs is None:
                continue
            if len(around) + 1 >= limits.MAX_ANCHOR_DEPTH:
                self.anchor_call_too_deep(aspec, child, len(around) + 1)
                continue
            frames.append((iter(crs.entries), around + [aspec], calling | {child}))
        return out

    def called_ruleset(self, aspec: _Spec, child: str, calling: set[str]) -> _Ruleset | None:
        """The ruleset an anchor rule evaluates, or None (reported) when its rules are not known."""
        name = aspec.anchor_name or child
        o = aspec.origin
        if "*" in child:
            self.diag(o.path, o.line, 1, "warning", "anchor-rules-unavailable",
                      f"anchor {name!r}: its sub-anchors are filled at run time; their rules are not known and "
                      f"fwlint analyses as if they were empty", "anchor", text=o.text)
            return None
        if child in calling:
            self.diag(o.path, o.line, 1, "error", "anchor-loop", f"anchor {name!r} calls itself", "anchor",
                      text=o.text)
            return None
        crs = self.rulesets.get(child)
        if crs is None or not crs.filled:
            self.diag(o.path, o.line, 1, "warning", "anchor-rules-unavailable",
                      f"anchor {name!r} has no rules in this configuration (no body, no readable 'load anchor'): "
                      f"they are loaded at run time and fwlint analyses as if it were empty", "anchor", text=o.text)
            return None
        return crs

    def anchor_call_too_deep(self, aspec: _Spec, child: str, depth: int) -> None:
        """An anchor called past MAX_ANCHOR_DEPTH (anchors naming others by absolute path, or
        loaded files): reported at the anchor rule; its rules, and those of the anchors it
        calls, are not analysed and their lines count as not understood."""
        o = aspec.origin
        self.diag(o.path, o.line, 1, "error", "nesting-limit",
                  f"anchor {_short(aspec.anchor_name or child)!r} is called {depth} anchors deep: pf evaluates at "
                  f"most {limits.MAX_ANCHOR_DEPTH - 1} nested anchors (linter/limits.py MAX_ANCHOR_DEPTH, pf's "
                  f"PF_ANCHOR_STACK_MAX): its rules are not analysed", "anchor", text=o.text)
        seen = {child}
        todo = [child]
        while todo:
            rs = self.rulesets.get(todo.pop())
            for e in rs.entries if rs is not None else ():
                spec = e if isinstance(e, _Spec) else e[1]
                first = spec.origin.line
                self.bad.setdefault(spec.origin.path, set()).update(
                    range(first, first + spec.origin.text.count("\n") + 1))
                if not isinstance(e, _Spec) and e[2] not in seen:
                    seen.add(e[2])
                    todo.append(e[2])

    # -- model

    def to_model(self, flat: list[tuple[_Spec, list[_Spec]]]):
        rules: list[m.Rule] = []
        front: list[m.Rule] = []
        alterations: list[m.Alteration] = []
        first_state: m.Origin | None = None
        for origin, ifs, _anchor in self.skips:
            cond = self.iface_conds(None, ifs)
            front.append(m.Rule(m.Match(tuple(cond)), m.Action("accept"), origin, quick=True,
                                comment="set skip on: pf does not filter on this interface"))
        natpass: list[m.Rule] = []
        for spec, anchors in flat:
            try:
                built = self.spec_model(spec, anchors)
            except Exception as e:  # pragma: no cover - defensive
                o = spec.origin
                self.diag(o.path, o.line, 1, "error", "internal",
                          f"could not convert this rule: {type(e).__name__}: {e}",
                          text=o.text)
                continue
            if built is None:
                continue
            rlist, alts = built
            alterations.extend(alts)
            for r in rlist:
                if spec.kind in ("nat", "rdr", "binat"):
                    natpass.append(r)
                else:
                    rules.append(r)
                if first_state is None and r.action.kind == "accept" and (spec.keeps_state or spec.natpass):
                    first_state = r.origin
        if first_state is None:
            for r in natpass:
                first_state = r.origin
                break
        head: list[m.Rule] = []
        if first_state is not None:
            head.append(m.Rule(m.Match((m.IntCond(m.STATE, ((1, 2),)),)), m.Action("accept"), first_state, quick=True,
                               comment="state table: packets of connections a pass rule admitted", synthetic=True))
        allrules = head + front + natpass + rules
        allrules = [_reindex(r, i) for i, r in enumerate(allrules)]
        filt = m.Filter(name="pf", rules=tuple(allrules), default=m.Action("accept"), discipline="last-match",
                        table="", builtin=True, family=None)
        return [filt], alterations

    def spec_model(self, spec: _Spec, anchors: list[_Spec]):
        anchor_conds: list = []
        for a in anchors:
            anchor_conds.extend(self.match_conds(a, for_anchor=True))
        if spec.kind == "antispoof":
            return self.antispoof_rules(spec, tuple(anchor_conds)), []
        conds = self.match_conds(spec)
        if conds is None:
            return None
        match = m.Match(tuple(anchor_conds) + tuple(conds))
        alts: list[m.Alteration] = []
        o = spec.origin
        rules: list[m.Rule] = []
        kind = spec.kind
        if kind in ("pass", "block", "match"):
            if kind == "pass":
                act = m.Action("accept")
            elif kind == "match":
                act = m.Action("continue")
            else:
                b = spec.block
                if b is None:
                    b = spec.policy
                if b == "drop":
                    act = m.Action("drop")
                else:
                    detail = spec.block_detail or b
                    if spec.block is None:
                        detail = "return (set block-policy return)"
                    act = m.Action("reject", detail=detail)
            rules.append(m.Rule(match, act, o, quick=spec.quick, comment=spec.label, anchor=spec.anchor,
                                effects=_effects(spec)))
        elif kind in ("nat", "rdr", "binat") and spec.natpass:
            rules.append(m.Rule(match, m.Action("accept"), o, quick=True,
                                comment=f"{kind} pass: translated packets skip the filter rules", anchor=spec.anchor))
        # alterations
        stage_of = {"nat-to": "out", "rdr-to": "in", "binat-to": "", "af-to": "in"}
        for k, (hosts, port, pool) in spec.redirect.items():
            akind = k[:-3]
            if spec.no:
                akind = "no-" + akind
            params = [("to", ", ".join(h.shown() for h in hosts))]
            if port:
                params.append(("port", port))
            if pool:
                params.append(("pool", pool))
            desc = f"{k} " + ", ".join(h.shown() for h in hosts) + (f" port {port}" if port else "") + (f" {pool}" if pool else "")
            if kind in ("nat", "rdr", "binat"):
                desc = f"{'no ' if spec.no else ''}{kind}" + (" -> " + ", ".join(h.shown() for h in hosts) if hosts else "")
            alts.append(m.Alteration(akind, match, o, stage_of.get(k, spec.direction or ""), "", "pf", tuple(params), desc))
        if spec.no and not spec.redirect:
            alts.append(m.Alteration("no-" + kind, match, o, {"nat": "out", "rdr": "in"}.get(kind, ""), "", "pf", (),
                                     f"no {kind}: these packets are not translated"))
        if spec.afto is not None:
            af, frm, to = spec.afto
            params = [("af", "inet6" if af == 6 else "inet"), ("from", ", ".join(h.shown() for h in frm))]
            if to:
                params.append(("to", ", ".join(h.shown() for h in to)))
            alts.append(m.Alteration("af-to", match, o, "in", "", "pf", tuple(params),
                                     "af-to " + " ".join(f"{k} {v}" for k, v in params)))
        if spec.route is not None:
            rk, hosts, pool = spec.route
            params = [("kind", rk), ("to", ", ".join(_route_shown(h) for h in hosts))]
            if pool:
                params.append(("pool", pool))
            alts.append(m.Alteration("route", match, o, spec.direction or "", "", "pf", tuple(params),
                                     f"{rk} " + ", ".join(_route_shown(h) for h in hosts) + (f" {pool}" if pool else "")))
        for akind, stage, params, desc in spec.alters:
            alts.append(m.Alteration(akind, match, o, stage or spec.direction or "", "", "pf", tuple(params), desc))
        if kind == "scrub" and not any(a[0] == "scrub" for a in spec.alters):
            alts.append(m.Alteration("scrub", match, o, spec.direction or "", "", "pf", (), "scrub"))
        return rules, alts

    def antispoof_rules(self, spec: _Spec, anchor_conds: tuple) -> list[m.Rule]:
        out = []
        o = spec.origin
        for neg, name in spec.ifaces or []:
            if neg:
                continue
            base = name[1:-1] if name.startswith("(") and name.endswith(")") else name
            fam = [m.IntCond(m.FAMILY, ((spec.af, spec.af),))] if spec.af else []
            inbound = m.IntCond(m.DIRECTION, ((0, 0),))
            other_if = self.iface_cond(m.IN_IFACE, [(True, base)])
            net = m.Opaque(f"src {base}:network", f"from {base}:network (the networks of interface {base})")
            own = m.Opaque(f"src {base}", f"from {base} (the addresses of interface {base})")
            out.append(m.Rule(m.Match(anchor_conds + (inbound,) + tuple(other_if) + tuple(fam) + (net,)), m.Action("drop"), o,
                              quick=spec.quick, comment=f"antispoof for {name}: from its network on another interface",
                              anchor=spec.anchor))
            if not _is_loopback(base):
                out.append(m.Rule(m.Match(anchor_conds + (inbound,) + tuple(fam) + (own,)), m.Action("drop"), o,
                                  quick=spec.quick, comment=f"antispoof for {name}: from its own addresses",
                                  anchor=spec.anchor))
        return out

    # -- conditions

    def match_conds(self, spec: _Spec, for_anchor: bool = False) -> list | None:
        """The conditions of a rule: the union of its pfctl combinations."""
        combos = spec.combos
        if not combos:
            return [] if for_anchor else None
        dir_cond = []
        if spec.direction == "in":
            dir_cond = [m.IntCond(m.DIRECTION, ((0, 0),))]
        elif spec.direction == "out":
            dir_cond = [m.IntCond(m.DIRECTION, ((1, 1),))]
        ifs = [c[0] for c in combos if c[0] is not None]
        ifs = list(dict.fromkeys(ifs))
        common: list = []
        if ifs:
            common.extend(self.iface_conds(spec.direction, ifs))
        else:
            common.extend(dir_cond)
        # groups by (af, proto)
        groups: dict[tuple, list] = {}
        for c in combos:
            pnum = c[1][0] if c[1] else None
            groups.setdefault((c[9], pnum), []).append(c)
        alts: list[list] = []
        for (af, pnum), cs in groups.items():
            gc: list = []
            if pnum is not None:
                gc.append(m.IntCond(m.PROTO, ((pnum, pnum),)))
            src = self.addr_conds(m.SRC, cs, 3, spec)
            dst = self.addr_conds(m.DST, cs, 4, spec)
            implied = any(len(x) == 1 and isinstance(x[0], m.AddrCond) and not x[0].negated
                          and all(r[0] == af for r in x[0].ranges) for x in (src, dst))
            if af and (spec.af or not implied):
                gc.append(m.IntCond(m.FAMILY, ((af, af),)))
            gc.extend(src)
            gc.extend(dst)
            gc.extend(_port_conds(m.SPORT, [c[5] for c in cs]))
            gc.extend(_port_conds(m.DPORT, [c[6] for c in cs]))
            icmps = list(dict.fromkeys(c[2] for c in cs if c[2] is not None))
            if icmps:
                rs = []
                for t, code in icmps:
                    rs.append((t << 8, (t << 8) | 255) if code is None else ((t << 8) | code, (t << 8) | code))
                gc.append(m.IntCond(m.ICMP, merge(rs)))
            alts.append(gc)
        alts = _merge_alternatives(alts)
        if len(alts) == 1:
            body = alts[0]
        else:
            shared = [c for c in alts[0] if all(c in a for a in alts[1:])]
            rest = [tuple(c for c in a if c not in shared) for a in alts]
            body = shared + [m.AnyCond(tuple(m.Match(r) for r in rest))]
        extra = []
        if not for_anchor:
            extra.extend(self.flag_conds(spec))
        if spec.users:
            extra.append(m.Opaque("user " + ", ".join(spec.users), "user " + ", ".join(spec.users)))
        if spec.groups:
            extra.append(m.Opaque("group " + ", ".join(spec.groups), "group " + ", ".join(spec.groups)))
        extra.extend(spec.conds)
        return common + body + extra

    def flag_conds(self, spec: _Spec) -> list:
        protos = [n for n, _ in spec.protos] if spec.protos else None
        may_tcp = protos is None or 6 in protos
        if not may_tcp or spec.kind not in ("pass", "block", "match"):
            return []
        if spec.flags == "any":
            return []
        if spec.flags is None:
            if spec.kind != "pass" or spec.state == "no" or spec.fragment:
                return []
            comp, mask = 0x02, 0x12
        else:
            comp, mask = spec.flags
            if protos == [6]:
                return [m.FlagsCond(mask, comp)]
        return [m.AnyCond((m.Match((m.IntCond(m.PROTO, ((6, 6),), negated=True),)),
                           m.Match((m.FlagsCond(mask, comp),))))]

    def iface_conds(self, direction: str | None, ifs: list[tuple[bool, str]]) -> list:
        if direction == "in":
            return [m.IntCond(m.DIRECTION, ((0, 0),))] + self.iface_cond(m.IN_IFACE, ifs)
        if direction == "out":
            return [m.IntCond(m.DIRECTION, ((1, 1),))] + self.iface_cond(m.OUT_IFACE, ifs)
        a = m.Match(tuple([m.IntCond(m.DIRECTION, ((0, 0),))] + self.iface_cond(m.IN_IFACE, ifs)))
        b = m.Match(tuple([m.IntCond(m.DIRECTION, ((1, 1),))] + self.iface_cond(m.OUT_IFACE, ifs)))
        return [m.AnyCond((a, b))]

    def iface_cond(self, fieldname: str, ifs: list[tuple[bool, str]]) -> list:
        pos_names: list[str] = []
        others: list = []
        for neg, name in ifs:
            if name == "any":
                if not neg:
                    return []
                others.append(m.IntCond(m.DIRECTION, (), False))  # matches nothing
                continue
            c = _iface_atom(fieldname, name, neg)
            if isinstance(c, m.IfaceCond) and not neg:
                pos_names.extend(c.names)
            else:
                others.append(c)
        atoms: list = []
        if pos_names:
            atoms.append(m.IfaceCond(fieldname, tuple(dict.fromkeys(pos_names))))
        atoms.extend(others)
        if len(atoms) == 1:
            return atoms
        return [m.AnyCond(tuple(m.Match((a,)) for a in atoms))]

    def addr_conds(self, fieldname: str, cs: list, k: int, spec: _Spec) -> list:
        hosts = list({id(c[k]): c[k] for c in cs}.values())
        if any(h.kind == "any" for h in hosts):
            return []
        pos_ranges: list = []
        has_pos = False
        atoms: list = []
        for h in hosts:
            got = self.host_cond(fieldname, h, spec)
            if isinstance(got, m.AddrCond) and not got.negated:
                pos_ranges.extend(got.ranges)
                has_pos = True
            else:
                atoms.append(got)
        out: list = []
        if has_pos and (pos_ranges or not atoms):
            out.append(m.AddrCond(fieldname, merge3(pos_ranges)))
        out.extend(atoms)
        if len(out) <= 1:
            return out
        return [m.AnyCond(tuple(m.Match((a,)) for a in out))]

    def host_cond(self, fieldname: str, h: _Host, spec: _Spec):
        which = "src" if fieldname == m.SRC else "dst"
        kw = "from" if which == "src" else "to"
        if h.kind == "addr":
            return m.AddrCond(fieldname, h.ranges, h.neg)
        if h.kind == "table":
            return self.table_cond(fieldname, h, spec)
        if h.kind == "dyn":
            return m.Opaque(f"{which} {h.text}", f"{kw} {h.text} (the current addresses of interface {h.name})", h.neg)
        if h.kind == "iface":
            return m.Opaque(f"{which} {h.text}", f"{kw} {h.text} (the addresses of interface {h.name} when the rules "
                            f"are loaded)", h.neg)
        if h.kind == "self":
            return m.Opaque(f"{which} self", f"{kw} self (the addresses of this machine)", h.neg)
        if h.kind == "noroute":
            return m.Opaque(f"{which} no-route", f"{kw} no-route (no route to the address)", h.neg)
        if h.kind == "urpf":
            return m.Opaque(f"{which} urpf-failed", f"{kw} urpf-failed (the source fails the unicast reverse path "
                            f"check)", h.neg)
        if h.kind == "route":
            return m.Opaque(f"{which} {h.text}", f"{kw} {h.text} (addresses routed with label {h.name})", h.neg)
        return m.Opaque(f"{which} host {h.text}", f"{kw} {h.text} (a host name resolved when the rules are loaded)",
                        h.neg)

    def table_cond(self, fieldname: str, h: _Host, spec: _Spec):
        which = "src" if fieldname == m.SRC else "dst"
        name = h.name
        t = None
        scope = spec.anchor
        key = None
        while True:
            if (scope, name) in self.tables:
                key = (scope, name)
                t = self.tables[key]
                break
            if not scope:
                break
            scope = scope.rpartition("/")[0]
        o = spec.origin
        if t is None:
            if ("#undef", name) not in self.table_used:
                self.table_used.add(("#undef", name))
                self.diag(o.path, o.line, 1, "warning", "undefined-table",
                          f"table <{name}> is used but never defined: pfctl creates it empty, and fwlint analyses "
                          f"it as empty (only 'pfctl -t {name} -T add' can fill it, at run time)", "table",
                          text=o.text)
            return m.AddrCond(fieldname, (), h.neg)
        self.table_used.add(key)
        exact = not t["opaque"] and all(x.kind == "addr" and not x.neg for x in t["hosts"])
        if exact and not t["hosts"] and "persist" in t["flags"]:
            exact = False
        if name in self.overload_tables:
            exact = False
        if exact:
            rs = []
            for x in t["hosts"]:
                rs.extend(x.ranges)
            return m.AddrCond(fieldname, merge3(rs), h.neg)
        why = []
        if t["opaque"]:
            why.extend(t["opaque"])
        if any(x.neg for x in t["hosts"]):
            why.append("negated entries")
        kinds = sorted({x.kind for x in t["hosts"] if x.kind != "addr"})
        if kinds:
            why.append("entries known only at load time: " + ", ".join(_KIND_WORDS.get(k, k) for k in kinds))
        if name in self.overload_tables:
            why.append("filled at run time by 'overload'")
        elif not t["hosts"] and not t["opaque"]:
            why.append("no addresses in the configuration (a persist table, filled at run time)")
        if ("#note", key) not in self.table_used:
            self.table_used.add(("#note", key))
            self.diag(o.path, o.line, 1, "note", "approximate",
                      f"table <{name}>: {'; '.join(why)}: an unknown set of addresses", "table", text=o.text)
        return m.Opaque(f"table <{name}> {which}", f"table <{name}> ({'; '.join(why)})", h.neg)


_UNSUPPORTED_STATEMENTS = {
    "ether": "layer-2 (ether) rules of FreeBSD's pf",
    "dummynet": "dummynet pipes",
}
_KIND_WORDS = {"iface": "interface addresses", "dyn": "dynamic interface addresses", "self": "self",
               "name": "host names"}
_TIMEOUTS = frozenset("""tcp.first tcp.opening tcp.established tcp.closing tcp.finwait tcp.closed tcp.tsdiff
udp.first udp.single udp.multiple icmp.first icmp.error other.first other.single other.multiple frag interval
adaptive.start adaptive.end src.track sctp.first sctp.opening sctp.established sctp.closing sctp.closed""".split())
_LIMITS = frozenset("states frags src-nodes tables table-entries pktdelay-pkts anchors eth-anchors".split())


# --------------------------------------------------------------------------- helpers


def _join(node) -> str:
    """The tokens of a parse tree as pf.conf text (no blanks inside <table>, a/b, (x))."""
    out = ""
    prev = ""
    for t in node.scan_values(lambda v: isinstance(v, Token)):
        v = t.value
        if out and prev not in ("<", "(", "/", "!") and v not in (">", ")", ",", "/"):
            out += " "
        out += v
        prev = v
    return out


def _is_macro_definition(toks: list[_Tok]) -> bool:
    return len(toks) >= 2 and toks[0].type == "STRING" and not toks[0].quoted and toks[1].type == "EQ"


def _first_too_deep(toks: list[_Tok]) -> _Tok | None:
    """The first `{` or `(` nested deeper than MAX_LIST_DEPTH, if any (one pass, no recursion)."""
    depth = 0
    for t in toks:
        if t.type in ("LBRACE", "LPAREN"):
            depth += 1
            if depth > limits.MAX_LIST_DEPTH:
                return t
        elif t.type in ("RBRACE", "RPAREN") and depth > 0:
            depth -= 1
    return None


def _short(text: str, width: int = 60) -> str:
    """A long name (an anchor path 1,000 levels deep) cut for a message."""
    return text if len(text) <= width else text[:width // 2 - 2] + "..." + text[-(width // 2 - 1):]


def _count_lines(text: str) -> int:
    if not text:
        return 0
    n = text.count("\n")
    return n if text.endswith("\n") else n + 1


def _reindex(r: m.Rule, i: int) -> m.Rule:
    return dataclasses.replace(r, index=i)


def _merge_alternatives(alts: list[list]) -> list[list]:
    """Union of conjunctions: two that differ in one condition on the same field, both
    positive ranges (protocol, addresses), become one with the union of the ranges."""
    alts = [list(a) for a in alts]
    changed = True
    while changed and len(alts) > 1:
        changed = False
        for i in range(len(alts)):
            for j in range(i + 1, len(alts)):
                a, b = alts[i], alts[j]
                if len(a) != len(b):
                    continue
                diff = [k for k in range(len(a)) if a[k] != b[k]]
                if len(diff) != 1:
                    continue
                x, y = a[diff[0]], b[diff[0]]
                if type(x) is not type(y) or x.field != y.field or getattr(x, "negated", True) or y.negated:
                    continue
                if isinstance(x, m.IntCond):
                    a[diff[0]] = m.IntCond(x.field, merge(list(x.ranges) + list(y.ranges)))
                elif isinstance(x, m.AddrCond):
                    a[diff[0]] = m.AddrCond(x.field, merge3(list(x.ranges) + list(y.ranges)))
                else:
                    continue
                del alts[j]
                changed = True
                break
            if changed:
                break
    return alts


def _port_conds(fieldname: str, ports: list) -> list:
    ps = list(dict.fromkeys(p.shown() for p in ports if p is not None))
    objs = {p.shown(): p for p in ports if p is not None}
    if not ps:
        return []
    if len(ps) == 1 and objs[ps[0]].op == "!=":
        a = objs[ps[0]].a
        return [m.IntCond(fieldname, ((a, a),), negated=True)]
    rs: list = []
    for s in ps:
        rs.extend(objs[s].ranges())
    return [m.IntCond(fieldname, merge(rs))]


def _flag_bits(text: str) -> int | None:
    v = 0
    for ch in text:
        b = _TCP_FLAG_LETTERS.get(ch)
        if b is None:
            return None
        v |= b
    return v


def _icmp_type(text: str, v6: bool) -> int | None:
    if text.isdigit():
        n = read_int(text)
        return n if n <= 255 else None
    return (ICMP6_TYPES if v6 else ICMP_TYPES).get(text)


def _icmp_code(text: str, t: int, v6: bool) -> int | None:
    if text.isdigit():
        n = read_int(text)
        return n if n <= 255 else None
    got = (ICMP6_CODES if v6 else ICMP_CODES).get(text)
    if got is None or got[0] != t:
        return None
    return got[1]


def _tos(text: str) -> int | None:
    if text in _TOS_NAMES:
        return _TOS_NAMES[text]
    try:
        v = read_int(text, 0)
    except ValueError:
        return None
    return v if 0 <= v <= 255 else None


def _proto_number(text: str) -> int | None:
    t = text.lower()
    if t in _PF_PROTOS:
        n = _PF_PROTOS[t]
        return n if n <= 255 else None
    if t == "all":
        return None
    return names.proto_number(t)


def _is_loopback(name: str) -> bool:
    return re.fullmatch(r"lo[0-9]*", name) is not None


def _iface_atom(fieldname: str, name: str, neg: bool):
    base = name
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*[0-9]", base):
        return m.IfaceCond(fieldname, (base,), neg)
    if base in _DRIVER_GROUPS:
        return m.IfaceCond(fieldname, (base + "+",), neg)
    return m.Opaque(f"{fieldname} group {base}",
                    f"{'in' if fieldname == m.IN_IFACE else 'out'} on interface group {base} (members known at run time)",
                    neg)


def _route_shown(h: _Host) -> str:
    if h.name and h.kind == "addr":
        return f"({h.name} {h.text})"
    return h.shown()


def _parse_host_text(text: str, mask: str | None, quoted: bool) -> list[_Host]:
    """A host word (with its `/mask`) as pfctl's host() reads it: fresh _Host objects (the
    callers set neg and name on them) copied from the cached reading."""
    return [dataclasses.replace(h) for h in _read_host_text(text, mask, quoted)]


@lru_cache(maxsize=1 << 16)
def _read_host_text(text: str, mask: str | None, quoted: bool) -> tuple[_Host, ...]:
    """pfctl's host(), once per distinct word: a list macro used in many rules, or expanded
    many times in one, repeats the same addresses."""
    return tuple(_host_from_text(text, mask, quoted))


def _host_from_text(text: str, mask: str | None, quoted: bool) -> list[_Host]:
    t = text
    if mask is not None:
        if not re.fullmatch(r"[0-9]+", mask):
            return [_Host("error", f"invalid netmask /{mask}")]
        bits = read_int(mask)
    else:
        bits = None
    if t == "self" and not quoted:
        return [_Host("self", "self")]
    # IPv4, with pfctl's short forms when a mask is given (10/8, 172.16/12)
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+){0,3}", t):
        parts = t.split(".")
        if len(parts) != 4 and bits is None:
            return [_Host("error", f"could not parse host specification {t}")]
        if any(read_int(p) > 255 for p in parts):
            return [_Host("error", f"no IP address found for {t}")]
        parts = parts + ["0"] * (4 - len(parts))
        if bits is not None and bits > 32:
            return [_Host("error", f"netmask {bits} invalid for IPv4 address")]
        octets = [read_int(p) for p in parts]
        if bits is None or bits == 32:
            # one address (most entries of a large table): no ipaddress objects needed
            n = (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]
            return [_Host("addr", ".".join(map(str, octets)), False, 4, ((4, n, n),))]
        addr = ipaddress.IPv4Address(".".join(map(str, octets)))
        net = ipaddress.IPv4Network(f"{addr}/{bits}", strict=False)
        return [_net_host(net)]
    if re.fullmatch(r"[0-9.]+", t):
        return [_Host("error", f"no IP address found for {t}: could not parse host specification")]
    if ":" in t and re.fullmatch(r"[0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.]+)?", t):
        # pfctl reads it with getaddrinfo(AI_NUMERICHOST), which takes a scope (`%em0`)
        addr_text, _, zone = t.partition("%")
        try:
            addr6 = ipaddress.IPv6Address(addr_text)
        except ValueError:
            return [_Host("error", f"could not parse host specification {t}")]
        if bits is not None and bits > 128:
            return [_Host("error", f"netmask {bits} invalid for IPv6 address")]
        net6 = ipaddress.IPv6Network(f"{addr6}/{128 if bits is None else bits}", strict=False)
        h6 = _net_host(net6)
        h6.zone = zone
        return [h6]
    mod = _IFACE_MOD_RE.match(t)
    base = mod.group(1) if mod else t
    if t == "localhost":
        return [_Host("addr", "127.0.0.1", af=4, ranges=((4, 0x7F000001, 0x7F000001),), name="localhost"),
                _Host("addr", "::1", af=6, ranges=((6, 1, 1),), name="localhost")]
    if mod or _IFACE_RE.fullmatch(t) or base == "egress" or base in _DRIVER_GROUPS:
        if bits is not None:
            text_shown = f"{t}/{bits}"
        else:
            text_shown = t
        return [_Host("iface", text_shown, name=base)]
    if re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?", t):
        return [_Host("name", t + (f"/{bits}" if bits is not None else ""), name=t)]
    return [_Host("error", f"could not parse host specification {t!r}")]


def _net_host(net) -> _Host:
    fam = net.version
    if net.prefixlen == net.max_prefixlen:
        text = str(net.network_address)
    else:
        text = str(net)
    return _Host("addr", text, False, fam, ((fam, read_int(net.network_address), read_int(net.broadcast_address)),))


# --------------------------------------------------------------------------- entry points


def _decode(path: str, data: bytes, conv: _Conv) -> str | None:
    if b"\x00" in data[:65536]:
        conv.diag(path, 1, 1, "error", "binary", "this is not a text file (it contains NUL bytes): nothing is read",
                  "file", text="")
        return None
    text, bad = decode_utf8(data)
    for b in bad:
        conv.diag(path, b.line, b.column, "warning", "encoding", f"byte 0x{b.byte:02x} is not UTF-8", "file",
                  understood=True, text=b.text.rstrip("\r"))
    return text


def _run(path: str, data: bytes) -> tuple[_Conv, list, list]:
    real = str(files.locate(path)) if path else None
    conv = _Conv(path, real)
    text = _decode(path, data, conv)
    filters: list = []
    alterations: list = []
    if text is None:
        conv.lines_read[path] = _count_lines(data.decode("latin-1"))
        conv.bad.setdefault(path, set()).update(range(1, conv.lines_read[path] + 1))
        return conv, [m.Filter("pf", (), m.Action("accept"), "last-match", "", True, None)], []
    try:
        conv.run(text)
        filters, alterations = conv.finish()
    except Exception as e:  # never raise on input
        conv.diag(path, 1, 1, "error", "internal", f"could not read this file: {type(e).__name__}: {e}", text="")
        filters = [m.Filter("pf", (), m.Action("accept"), "last-match", "", True, None)]
    return conv, filters, alterations


def parse(path: str, data: bytes, family: int | None = None) -> m.Device:
    """Parse pf.conf text into a Device (one last-match filter "pf", bound in and out)."""
    conv, filters, alterations = _run(path, data)
    has_rules = any(f.rules for f in filters) or alterations
    empty = not has_rules and not conv.diags and not conv.tables and not conv.macros and not conv.options_seen \
        and not conv.queue_list
    if empty:
        # comments only (an anchor file not written yet, a ruleset kept for later): a valid
        # file that filters nothing; it gives no ruleset, so no default is reported for it
        conv.diag(path, 1, 1, "note", "empty", "no rule, table or option in this file: nothing to analyse "
                  "(loaded as an anchor it decides nothing; as the main ruleset pf would pass every packet)",
                  "file", understood=True, text="")
        filters = []
    stats = []
    for p in conv.sources:
        n = conv.lines_read.get(p, 0)
        bad = {ln for ln in conv.bad.get(p, set()) if 1 <= ln <= n}
        stats.append(m.FileStats(p, n, n - len(bad)))
    diags = sorted(conv.diags, key=lambda d: (d.origin.path != path, d.origin.path, d.origin.line, d.origin.column))
    return m.Device(
        name=os.path.basename(path),
        platform=PLATFORM,
        sources=tuple(conv.sources),
        filters=tuple(filters),
        bindings=(m.Binding("pf", "in"), m.Binding("pf", "out")) if filters else (),
        alterations=tuple(alterations),
        diagnostics=tuple(diags),
        stats=tuple(stats),
        family=None,
    )


def expansions(path: str, data: bytes) -> list[dict]:
    """The filter rules (pass, block, match) as pfctl expands them, one dict per expanded rule.

    Keys: path, line, anchor, action (pass/block/match), block (drop, return, return-rst,
    return-icmp, return-icmp6 or None), direction, log, quick, interface ("em0", "!em0" or
    None), af (4, 6 or None), proto (number or None), src/dst ("any", "10.0.0.0/8",
    "!10.1.2.3", "<table>", "(em0)", ...), sport/dport (tuple of inclusive ranges or None),
    flags ((flags, mask) or None), icmp ((type, code or None) or None), state ("keep",
    "modulate", "synproxy", "no"; None for block and match rules).
    """
    conv, _filters, _alts = _run(path, data)
    out = []
    for spec, _anchors in conv.flatten("", [], set()):
        if spec.kind not in ("pass", "block", "match"):
            continue
        for c in spec.combos:
            out.extend(_expansion_dicts(spec, c))
    return out


def _expansion_dicts(spec: _Spec, c: tuple) -> list[dict]:
    i_, p, ic, s, dh, sp, dp, _u, _g, af = c
    pnum = p[0] if p else None
    flags = None
    if pnum in (None, 6):
        if spec.flags == "any":
            flags = None
        elif spec.flags is not None:
            flags = spec.flags
        elif spec.kind == "pass" and spec.state != "no" and not spec.fragment:
            flags = (0x02, 0x12)
    state = None
    if spec.kind == "pass":
        state = spec.state or "keep"
    block = None
    if spec.kind == "block":
        block = spec.block or spec.policy
    d = {
        "path": spec.origin.path, "line": spec.origin.line, "anchor": spec.anchor,
        "action": spec.kind, "block": block, "direction": spec.direction, "log": spec.log,
        "quick": spec.quick, "interface": None if i_ is None else ("!" if i_[0] else "") + i_[1],
        "af": af, "proto": pnum, "src": s.shown(), "dst": dh.shown(),
        "sport": sp.ranges() if sp is not None else None, "dport": dp.ranges() if dp is not None else None,
        "flags": flags, "icmp": ic, "state": state,
    }
    out = [d]
    if "binat-to" in spec.redirect:
        hosts = spec.redirect["binat-to"][0]
        back = dict(d)
        back.update({"direction": "in", "src": dh.shown(), "dst": hosts[0].shown() if hosts else "any",
                     "sport": d["dport"], "dport": d["sport"]})
        d["direction"] = "out"
        out.append(back)
    return out
