"""The lexer and LALR parser of one access-list entry (grammars/cisco_asa.lark): each word of
the entry is classified (keywords, addresses, and the kind of each object-group it names,
which fixes the group's place in the entry) and the tokens are fed to the parser.

Layer: platform (Cisco ASA).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from lark import Lark, Token, Tree

from .... import parsers
from ...common.diagnostics import SyntaxFailure
from ...common.lark_glue import IndexLexer
from .addresses import IPV4_RE
from .report import Drop
from .vendor import Ace, AceAddress, AceIcmp, AceIdentity, AceOption, AcePort, AceProtocol
from .vocab import LOG_LEVELS

_KW = {
    "permit": "PERMIT", "deny": "DENY", "any": "ANY", "any4": "ANY4", "any6": "ANY6", "host": "HOST",
    "object": "OBJECT", "object-group": "OBJECT_GROUP", "interface": "INTERFACE", "eq": "EQ",
    "neq": "NEQ", "lt": "LT", "gt": "GT", "range": "RANGE", "log": "LOG", "interval": "INTERVAL",
    "time-range": "TIME_RANGE", "inactive": "INACTIVE", "user": "USER", "user-group": "USER_GROUP",
    "object-group-user": "OBJECT_GROUP_USER", "security-group": "SECURITY_GROUP",
    "object-group-security": "OBJECT_GROUP_SECURITY",
}
_NAME_AFTER = frozenset({"OBJECT", "INTERFACE", "TIME_RANGE", "USER", "USER_GROUP", "OBJECT_GROUP_USER",
                         "OBJECT_GROUP_SECURITY", "NAME"})
_PORT_OPS = {"EQ": 1, "NEQ": 1, "LT": 1, "GT": 1, "RANGE": 2}
GROUP_TOKEN = {"network": "G_NET", "port": "G_PORT", "service": "G_SVC", "protocol": "G_PROTO",
                "icmp-type": "G_ICMP", "user": "G_USER", "security": "G_SEC"}
_TERMINAL_TEXT = {
    "PERMIT": "permit", "DENY": "deny", "WORD": "a word", "NUMBER": "a number", "IPV4": "an IPv4 address",
    "IPV6": "an IPv6 address", "IPV6PFX": "an IPv6 prefix", "ANY": "any", "ANY4": "any4", "ANY6": "any6",
    "HOST": "host", "OBJECT": "object", "OBJECT_GROUP": "object-group", "INTERFACE": "interface",
    "EQ": "eq", "NEQ": "neq", "LT": "lt", "GT": "gt", "RANGE": "range", "LOG": "log",
    "TIME_RANGE": "time-range", "INACTIVE": "inactive", "G_NET": "a network object-group",
    "G_PORT": "a port object-group", "G_ICMP": "an icmp-type object-group",
}


@dataclass
class _Tok:
    type: str
    value: str
    col: int


def _addr_kind(w: str) -> str:
    if IPV4_RE.match(w):
        return "IPV4"
    if ":" in w:
        try:
            if "/" in w:
                ipaddress.IPv6Network(w, strict=False)
                return "IPV6PFX"
            ipaddress.IPv6Address(w)
            return "IPV6"
        except ValueError:
            return "WORD"
    return "WORD"


def classify(words: list[str], cols: list[int], group_token: Callable[[str], str | None],
             guess: dict[str, str]) -> list[_Tok]:
    out: list[_Tok] = []
    prev = ""
    pending = 0
    for w, c in zip(words, cols, strict=True):
        lw = w.lower()
        if pending:
            t = "NUMBER" if w.isdigit() else "WORD"
            pending -= 1
        elif prev == "OBJECT_GROUP":
            t = group_token(w) or guess.get(w, "G_NET")
        elif prev in _NAME_AFTER:
            t = "WORD"
        elif prev == "HOST":
            t = _addr_kind(w)
        elif prev == "SECURITY_GROUP":
            t = {"name": "NAME", "tag": "TAG"}.get(lw, "WORD")
        elif prev == "TAG":
            t = "NUMBER" if w.isdigit() else "WORD"
        elif prev == "LOG" and (lw in ("disable", "default") or lw in LOG_LEVELS or w.isdigit()):
            t = "DISABLE" if lw == "disable" else "DEFAULT" if lw == "default" else "LEVEL"
        elif prev == "INTERVAL":
            t = "NUMBER" if w.isdigit() else "WORD"
        elif lw in _KW:
            t = _KW[lw]
        elif w.isdigit():
            t = "NUMBER"
        else:
            t = _addr_kind(w)
        if t in _PORT_OPS:
            pending = _PORT_OPS[t]
        out.append(_Tok(t, w, c))
        prev = t
    return out


@lru_cache(maxsize=1)
def entry_parser() -> Lark:
    """The entry parser; fed the classified words (`classify`) through `IndexLexer`."""
    return parsers.lalr("cisco_asa.lark", lexer=IndexLexer, start=["extended", "standard"])


# --------------------------------------------------------------------------- intermediate form


def syntax_drop(e: SyntaxFailure | None, words: list[str], cols: list[int]) -> Drop:
    """A parse error of an entry as a diagnostic: where, and what the grammar expected."""
    def expected(names_) -> str:
        shown = sorted({_TERMINAL_TEXT.get(n, "") for n in names_} - {""})
        return ", ".join(shown[:8]) + (", ..." if len(shown) > 8 else "")

    if e is None or not (e.at_end or e.token_type):  # pragma: no cover - not a token lark refused
        return Drop(cols[0], "error", "syntax", f"cannot read this entry: {e}", "access-list")
    if e.at_end:
        return Drop(cols[-1], "error", "syntax",
                    f"the entry ends too early after {words[-1]!r}; expected {expected(e.expected)}",
                    "access-list")
    return Drop(cols[e.index] or cols[0], "error", "syntax",
                f"unexpected {e.token_value!r}; expected {expected(e.expected)}", "access-list")


# the grammar's aliases, by prefix: `addr_host` is AceAddress("host", ...)
_RECORDS = {"proto": AceProtocol, "ident": AceIdentity, "addr": AceAddress, "port": AcePort, "icmp": AceIcmp,
            "opt": AceOption}
_ONE_OF = frozenset({"src_ident", "dst_ident", "tail"})  # rules whose one child is an alias's node


def _words(t: Tree) -> tuple:
    """The tokens under a node, in order."""
    out: list = []
    for c in t.children:
        if isinstance(c, Token):
            out.append(c)
        else:
            out.extend(_words(c))
    return tuple(out)


def read_entry(tree: Tree) -> Ace:
    """The parse tree of one entry -> an `Ace` (vendor.py). A walk of the entry's top-level
    nodes, not a lark `Transformer`: its dispatch costs about ten times this walk (20,000
    entries: a second more to read a file)."""
    children = tree.children
    protocol = None
    body: list = []
    options: list = []
    for t in children[1:]:
        while t.data in _ONE_OF:
            t = t.children[0]
        prefix, _, kind = t.data.partition("_")
        node = _RECORDS[prefix](kind, _words(t))
        if prefix == "opt":
            options.append(node)
        elif prefix == "proto":
            protocol = node
        else:
            body.append(node)
    return Ace(children[0].data, protocol, tuple(body), tuple(options))
