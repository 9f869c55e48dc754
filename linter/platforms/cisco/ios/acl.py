"""Access lists: `access-list N ...` (numbered), `ip access-list standard|extended NAME` and
`ipv6 access-list NAME` (named) with their entries, as IOS applies them (sequence numbers,
`no` entries, `resequence`, remarks); each permit/deny entry is parsed by the LALR grammar
grammars/cisco_ios.lark into an AceSpec.

Layer: platforms (left of the model). The reader's handlers take the Reader as first argument.
How an entry is parsed: the words are classified into token types here (`_classify`), the
LALR parse depends on the types alone (cached by `_template`), and the tree becomes a template
of token indices that `_spec_of` fills with the entry's words and columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lark import Lark, Token, Transformer

from .... import parsers
from ....names import read_int
from ...common.diagnostics import SyntaxFailure
from ...common.lark_glue import IndexLexer, parse_tokens
from ..common import has_zone_id, words
from .vendor import Ace, AceSpec, Acl, renumbered


_KEYWORDS = {
    "permit": "PERMIT", "deny": "DENY", "any": "ANY", "host": "HOST", "object-group": "OBJECT_GROUP",
    "eq": "EQ", "neq": "NEQ", "lt": "LT", "gt": "GT", "range": "RANGE", "established": "ESTABLISHED",
    "log": "LOG", "log-input": "LOG_INPUT", "fragments": "FRAGMENTS", "time-range": "TIME_RANGE",
    "dscp": "DSCP", "precedence": "PRECEDENCE", "tos": "TOS", "ttl": "TTL", "option": "OPTION",
    "match-any": "MATCH_ANY", "match-all": "MATCH_ALL", "reflect": "REFLECT", "timeout": "TIMEOUT",
    "packet-length": "PACKET_LENGTH",
    "ack": "FLAG", "fin": "FLAG", "psh": "FLAG", "rst": "FLAG", "syn": "FLAG", "urg": "FLAG",
}
_IPV4_RE = re.compile(r"\d+\.\d+\.\d+\.\d+\Z")
_IPV6_RE = re.compile(r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\Z")
_IPV6_PREFIX_RE = re.compile(r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*/\d+\Z")
_SFLAG_RE = re.compile(r"[+-](?:ack|fin|psh|rst|syn|urg)\Z", re.I)

_TOKEN_NAMES = {
    "PERMIT": "permit", "DENY": "deny", "IPV4": "an IPv4 address", "IPV6": "an IPv6 address",
    "IPV6_PREFIX": "an IPv6 prefix", "NUMBER": "a number", "WORD": "a word", "ANY": "any", "HOST": "host",
    "OBJECT_GROUP": "object-group", "$END": "the end of the line",
}


@dataclass(frozen=True)
class _Tok:
    type: str
    value: str
    col: int


@lru_cache(maxsize=65536)
def _classify(word: str) -> str:
    kw = _KEYWORDS.get(word.lower())
    if kw:
        return kw
    if word.isdigit():
        return "NUMBER"
    if _IPV4_RE.match(word):
        return "IPV4"
    if _SFLAG_RE.match(word):
        return "SFLAG"
    if ":" in word:
        if _IPV6_PREFIX_RE.match(word):
            return "IPV6_PREFIX"
        if _IPV6_RE.match(word):
            return "IPV6"
    return "WORD"


def _tokens(words: list[tuple[str, int]]) -> list[_Tok]:
    return [_Tok(_classify(w), w, c) for w, c in words]


@lru_cache(maxsize=1)
def _parser() -> Lark:
    """The entry parser; fed an entry's token types (names alone) through `IndexLexer`."""
    return parsers.lalr("cisco_ios.lark", lexer=IndexLexer, start=["ext_ace", "std_ace"])


@lru_cache(maxsize=16384)
def _template(start: str, types: tuple[str, ...]) -> tuple:
    """Parse one entry's token types (the LALR parse depends on nothing else) into a template
    of token indices: ("ok", template) or ("error", index of the offending token, expected)."""
    try:
        tree = parse_tokens(_parser(), types, start)
    except SyntaxFailure as e:
        if not (e.at_end or e.token_type):  # pragma: no cover - not a token lark refused
            return ("error", len(types), str(e))
        expected = sorted(_TOKEN_NAMES.get(t, t.lower().replace("_", "-")) for t in e.expected)
        return ("error", e.index, ", ".join(expected[:8]))
    return ("ok", _TemplateOf().transform(tree))


class _TemplateOf(Transformer):
    """An entry's parse tree -> its template: the token indices of each part, in the shape
    `_spec_of` fills with the entry's words (the parse depends on the token types alone, so a
    template serves every entry of the same types). Addresses become tuples, port operators
    lists of indices, option items (kind, [indices of its arguments], index of its keyword)."""

    # -- the action and the protocol

    def action(self, ch) -> str:
        return ch[0].type

    def proto_name(self, ch) -> tuple:
        return ("name", ch[0].start_pos)

    def proto_number(self, ch) -> tuple:
        return ("number", ch[0].start_pos)

    def proto_group(self, ch) -> tuple:
        return ("group", ch[1].start_pos, ch[0].start_pos)

    # -- addresses

    def addr_any(self, ch) -> tuple:
        return ("any",)

    def addr_host(self, ch) -> tuple:
        return ("host", ch[1].start_pos)

    def addr_group(self, ch) -> tuple:
        return ("group", ch[1].start_pos)

    def addr_wild(self, ch) -> tuple:
        return ("wild", ch[0].start_pos, ch[1].start_pos)

    def addr_bare(self, ch) -> tuple:
        return ("bare", ch[0].start_pos)

    def addr_prefix(self, ch) -> tuple:
        return ("prefix", ch[0].start_pos)

    # -- ports: the operator's index, then its values'

    def port_value(self, ch) -> Token:
        return ch[0]

    def _port(self, ch) -> list[int]:
        return _indices(ch)

    port_eq = port_neq = port_lt = port_gt = port_range = _port

    # -- option items

    def value(self, ch) -> Token:
        # both the `value` rule and the item `value -> value` (which wraps it): the word
        return ch[0]

    def flag(self, ch) -> tuple:
        return ("flag", [ch[0].start_pos], ch[0].start_pos)

    def compare(self, ch) -> list[int]:
        return _indices(ch)

    reflect_timeout = compare

    def __default__(self, data, children, _meta) -> tuple:
        # every other rule is an option item: its keyword, then its arguments
        ts = _indices(children)
        return (str(data), ts[1:], ts[0])

    # -- the entry

    def ext_ace(self, ch) -> tuple:
        action, proto, src, *rest = ch
        sport = rest.pop(0) if isinstance(rest[0], list) else None
        dst = rest.pop(0)
        dport = rest.pop(0) if rest and isinstance(rest[0], list) else None
        return (action, proto, src, sport, dst, dport, _items(rest))

    def std_ace(self, ch) -> tuple:
        action, src, *rest = ch
        return (action, None, src, None, None, None, _items(rest))


def _indices(parts) -> list[int]:
    """The token indices of a rule's children (tokens, or lists of indices), in order."""
    out: list[int] = []
    for p in parts:
        if isinstance(p, Token):
            out.append(p.start_pos)  # type: ignore[arg-type]
        else:
            out.extend(p)
    return out


def _items(parts: list) -> tuple:
    # a bare word is the item `value`; the others are (kind, arguments, keyword) already
    return tuple(("value", [p.start_pos], p.start_pos) if isinstance(p, Token) else p for p in parts)


def _spec_of(tpl: tuple, toks: list[_Tok], std: bool) -> AceSpec:
    """A template of token indices and the entry's tokens -> the entry as written."""
    action_type, proto_t, src_t, sport_t, dst_t, dport_t, items_t = tpl

    def addr(t: tuple | None) -> tuple | None:
        if t is None:
            return None
        k = t[0]
        if k == "any":
            return ("any",)
        if k == "wild":
            a, w = toks[t[1]], toks[t[2]]
            return ("wild", a.value, w.value, a.col, w.col)
        tok = toks[t[1]]
        return (k, tok.value, tok.col)

    def port(t: list | None) -> tuple | None:
        if t is None:
            return None
        op = toks[t[0]]
        return (op.value.lower(), [(toks[j].value, toks[j].col) for j in t[1:]], op.col)

    proto = None
    if proto_t is not None:
        if proto_t[0] == "group":
            proto = ("group", toks[proto_t[1]].value, toks[proto_t[2]].col)
        else:
            proto = (proto_t[0], toks[proto_t[1]].value, toks[proto_t[1]].col)
    items = [(kind, [(toks[j].value, toks[j].col) for j in idxs], toks[first].col) for kind, idxs, first in items_t]
    return AceSpec(std, "accept" if action_type == "PERMIT" else "drop", proto, addr(src_t),  # type: ignore[arg-type]
                   port(sport_t), addr(dst_t), port(dport_t), items)


def get_acl(r, fam: int, name: str, kind: str, lineno: int, numbered: bool) -> Acl:
    acl = r.config.acls[fam].get(name)
    if acl is None:
        acl = Acl(name, fam, kind, lineno, r.lines[lineno - 1].strip(), numbered)
        r.config.acls[fam][name] = acl
    return acl


def numbered(r, lineno: int, line: str, ws, lw) -> None:
    """`access-list N permit|deny|remark|dynamic ...`"""
    r.relevant(lineno)
    if len(ws) < 3:
        r.diag(lineno, ws[0][1], "error", "syntax", "`access-list` needs a number and an entry",
               "access-list")
        return
    num = ws[1][0]
    if not num.isdigit():
        if num.lower() in ("compiled", "dynamic-extend", "rate-limit"):
            return
        r.asa_line(lineno, ws)
        return
    n = read_int(num)
    if 1 <= n <= 99 or 1300 <= n <= 1999:
        kind = "standard"
    elif 100 <= n <= 199 or 2000 <= n <= 2699:
        kind = "extended"
    else:
        what = ("protocol type-code" if 200 <= n <= 299 else "MAC address" if 700 <= n <= 799 else
                "extended MAC" if 1100 <= n <= 1199 else "non-IP")
        r.diag(lineno, ws[1][1], "warning", "unsupported",
               f"access list {n} is a {what} access list; fwlint models IP access lists only",
               "non-IP numbered access list")
        return
    acl = r.config.acls[4].get(num)
    if acl is not None and acl.kind != kind:
        r.diag(lineno, ws[1][1], "error", "invalid",
               f"access list {num} is a {acl.kind} list; this {kind} entry is rejected", "access-list")
        return
    acl = get_acl(r, 4, num, kind, lineno, True)
    entry(r, acl, lineno, ws[2:], append_only=True)


def named_acl(r, lineno: int, ws, lw, fam: int) -> None:
    """`ip access-list standard|extended NAME`, `ipv6 access-list NAME`."""
    r.relevant(lineno)
    rest = ws[2:]
    lrest = lw[2:]
    if not rest:
        r.diag(lineno, ws[0][1], "error", "syntax", "an access list needs a name", "ip access-list")
        return
    if fam == 4:
        kw = lrest[0]
        if kw in ("logging", "log-update", "persistent", "helper", "counter", "compiled"):
            return
        if kw == "resequence":
            resequence(r, lineno, ws)
            return
        if kw == "role-based":
            r.diag(lineno, rest[0][1], "warning", "unsupported",
                   "role-based (TrustSec) access lists are not modelled", "ip access-list role-based")
            r.open_block(lineno, r.unmodelled_line)
            return
        if kw in ("standard", "extended"):
            if len(rest) < 2:
                r.diag(lineno, rest[0][1], "error", "syntax", "an access list needs a name", "ip access-list")
                return
            kind, name, extra = kw, rest[1][0], rest[2:]
        else:
            kind, name, extra = "extended", rest[0][0], rest[1:]
            r.diag(lineno, rest[0][1], "note", "approximate",
                   "`ip access-list NAME` without standard/extended is read as an extended list",
                   "ip access-list NAME")
    else:
        kw = lrest[0]
        if kw in ("log-update", "cache", "logging"):
            return
        if kw == "standard" and len(rest) > 1:
            kind, name, extra = "standard", rest[1][0], rest[2:]
        else:
            kind, name, extra = "extended", rest[0][0], rest[1:]
    if fam == 4 and not _number_fits_kind(r, lineno, rest, name, kind):
        r.open_block(lineno, r.unmodelled_line)
        return
    acl = r.config.acls[fam].get(name)
    if acl is not None and acl.kind != kind:
        r.diag(lineno, ws[0][1], "error", "invalid",
               f"a {acl.kind} access list named {name} already exists (line {acl.line}); IOS rejects "
               f"this header and its entries", "ip access-list")
        r.open_block(lineno, r.unmodelled_line)
        return
    acl = get_acl(r, fam, name, kind, lineno, False)

    def handler(ln: int, line: str, acl=acl) -> None:
        r.relevant(ln)
        ws2 = words(line)
        if ws2:
            entry(r, acl, ln, ws2)

    r.open_block(lineno, handler, acl)
    if extra:  # one-line form: `ipv6 access-list standard NAME permit ...`
        entry(r, acl, lineno, extra)


def _number_fits_kind(r, lineno: int, rest, name: str, kind: str) -> bool:
    """A numbered list named in `ip access-list standard|extended N`: IOS refuses a number of
    the other kind (reported here)."""
    if not name.isdigit():
        return True
    n = read_int(name)
    want = ("standard" if 1 <= n <= 99 or 1300 <= n <= 1999 else
            "extended" if 100 <= n <= 199 or 2000 <= n <= 2699 else None)
    if want is None or want == kind:
        return True
    r.diag(lineno, rest[1][1] if len(rest) > 1 else rest[0][1], "error", "invalid",
           f"access list number {n} is a {want} list number, not {kind}", "ip access-list")
    return False


def resequence(r, lineno: int, ws) -> None:
    if len(ws) < 4:
        r.diag(lineno, ws[0][1], "error", "syntax", "`ip access-list resequence NAME START STEP`",
               "ip access-list resequence")
        return
    name = ws[3][0]
    try:
        start = read_int(ws[4][0]) if len(ws) > 4 else 10
        step = read_int(ws[5][0]) if len(ws) > 5 else 10
    except ValueError:
        r.diag(lineno, ws[0][1], "error", "syntax", "resequence takes numbers", "ip access-list resequence")
        return
    acl = r.config.acls[4].get(name)
    if acl is None:
        r.diag(lineno, ws[3][1], "error", "undefined-reference", f"access list {name} is not defined",
               "ip access-list resequence")
        return
    for i, e in enumerate(sorted(acl.entries, key=lambda e: e.seq)):
        e.seq = start + i * step
    renumbered(acl)


def entry(r, acl: Acl, lineno: int, ws, append_only: bool = False) -> None:
    """One line of an access list (after `access-list N` or inside the ACL's block)."""
    line = r.lines[lineno - 1]
    lw0 = ws[0][0].lower()
    col0 = ws[0][1]
    if lw0 == "remark":
        acl.pending.append(line[ws[1][1] - 1:].strip() if len(ws) > 1 else "")
        return
    if lw0 == "no":
        delete_entry(r, acl, lineno, ws[1:])
        return
    if lw0 in ("statistics", "exit"):
        return
    seq = None
    if lw0 == "sequence" and len(ws) > 1 and ws[1][0].isdigit():
        seq, ws = read_int(ws[1][0]), ws[2:]
    elif lw0.isdigit() and not append_only:
        seq, ws = read_int(lw0), ws[1:]
    if not ws:
        r.diag(lineno, col0, "error", "syntax", "a sequence number without an entry", "access list")
        return
    w = ws[0][0].lower()
    if w == "remark":
        acl.pending.append(line[ws[1][1] - 1:].strip() if len(ws) > 1 else "")
        return
    dynamic = ""
    if w == "dynamic":
        got = _dynamic_entry(r, lineno, col0, ws)
        if got is None:
            return
        dynamic, ws = got
        w = ws[0][0].lower()
    if w == "evaluate":
        if acl.kind != "extended" or len(ws) != 2:
            r.diag(lineno, ws[0][1], "error", "syntax", "`evaluate NAME` in an extended access list",
                   "evaluate")
            return
        add_entry(r, acl, Ace(0, lineno, col0, line.strip(), "accept", None, kind="evaluate",
                              evaluate=ws[1][0]), seq, lineno, col0)
        return
    if w not in ("permit", "deny"):
        r.diag(lineno, ws[0][1], "error", "syntax",
               f"expected permit, deny or remark in access list {acl.name}, not `{ws[0][0]}`", "access list")
        return
    spec = parse_ace(r, acl, lineno, ws)
    if spec is None:
        return
    ace = Ace(0, lineno, col0, line.strip(), spec.action, spec, dynamic=dynamic,
              words=tuple(x.lower() for x, _ in ws))
    add_entry(r, acl, ace, seq, lineno, col0)


def _dynamic_entry(r, lineno: int, col0: int, ws) -> tuple[str, list] | None:
    """`dynamic NAME [timeout N] permit ...`: the name and the words of the entry; None when
    IOS rejects the line (reported)."""
    if len(ws) < 3:
        r.diag(lineno, ws[0][1], "error", "syntax", "`dynamic NAME permit ...`", "dynamic access list")
        return None
    dynamic = ws[1][0]
    ws = ws[2:]
    if ws and ws[0][0].lower() == "timeout" and len(ws) > 1:
        ws = ws[2:]
    if not ws:
        r.diag(lineno, col0, "error", "syntax", "`dynamic NAME permit ...`", "dynamic access list")
        return None
    return dynamic, ws


def add_entry(r, acl: Acl, ace: Ace, seq: int | None, lineno: int, col: int) -> None:
    if seq is None:
        seq = acl.max_seq + 10
    elif seq in acl.seqs:
        r.diag(lineno, col, "error", "invalid",
               f"sequence number {seq} is already used in access list {acl.name}: IOS rejects this entry",
               "sequence number")
        return
    ace.seq = seq
    acl.seqs.add(seq)
    acl.max_seq = max(acl.max_seq, seq)
    if acl.pending:
        ace.remark = " ".join(text for text in acl.pending if text)
        acl.pending = []
    acl.entries.append(ace)


def delete_entry(r, acl: Acl, lineno: int, ws) -> None:
    if not ws:
        return
    w = ws[0][0].lower()
    if w == "sequence" and len(ws) > 1:
        ws = ws[1:]
        w = ws[0][0].lower()
    if w.isdigit() and len(ws) == 1:
        n = read_int(w)
        before = len(acl.entries)
        acl.entries = [e for e in acl.entries if e.seq != n]
        renumbered(acl)
        if len(acl.entries) == before:
            r.diag(lineno, ws[0][1], "note", "approximate",
                   f"no entry {n} in access list {acl.name} to delete", "no entry")
        return
    if w == "remark":
        return
    key = tuple(x.lower() for x, _ in ws)
    if w.isdigit():
        key = key[1:]
    for e in acl.entries:
        if e.words == key:
            acl.entries.remove(e)
            renumbered(acl)
            return
    r.diag(lineno, ws[0][1], "note", "approximate",
           f"no such entry in access list {acl.name} to delete", "no entry")


def parse_ace(r, acl: Acl, lineno: int, ws) -> AceSpec | None:
    toks = _tokens(ws)
    std = acl.kind == "standard"
    res = _template("std_ace" if std else "ext_ace", tuple(t.type for t in toks))
    if res[0] == "error":
        _e, idx, expected = res
        if idx < len(toks):
            col = toks[idx].col
            got = f"`{toks[idx].value}`"
        else:
            col = toks[-1].col + len(toks[-1].value)
            got = "the end of the line"
        what = "standard" if std else ("IPv6" if acl.family == 6 else "extended")
        hint = ""
        if idx < len(toks) and re.match(r"\d+\.\d+\.\d+\.\d+/\d+\Z", toks[idx].value):
            hint = " (IOS writes an address and a wildcard, `10.0.0.0 0.255.255.255`, not a prefix)"
        elif idx < len(toks) and has_zone_id(toks[idx].value):
            hint = " (an IPv6 address with a zone id after `%`: IOS access lists take none)"
        r.diag(lineno, col, "error", "syntax",
               f"unexpected {got} in this {what} access-list entry{hint}"
               + (f"; expected {expected}" if expected else ""), "access-list entry")
        return None
    return _spec_of(res[1], toks, std)


# commands outside the filtering model that name an access list (routing, management, QoS,
# crypto, multicast): the list counts as used, nothing else is checked
_REF_RES = (
    re.compile(r"\bmatch\s+ipv?6?\s*address\s+(?!prefix-list\b)(.+)$", re.I),
    re.compile(r"^snmp-server\s+community\s+(.+)$", re.I),
)
# a keyword followed by an access list's name, perhaps after a word or two (`ntp access-group
# peer 10`, `distribute-list 5 in`, `match access-group name X`)
_REF_KEYWORD_RE = re.compile(
    r"\b(?:access-class|access-group|traffic-filter|redirect-list|group-list|java-list|distribute-list|boundary|"
    r"filter-list|list|address|access)\s+(\S+)(?:\s+(\S+))?(?:\s+(\S+))?", re.I)


def scan_refs(text: str) -> set[str]:
    """Words that may name an access list (over-collecting is harmless: only defined names count)."""
    out: set[str] = set()
    for rx in _REF_RES:
        for mm in rx.finditer(text):
            out.update(mm.group(1).split())
    for mm in _REF_KEYWORD_RE.finditer(text):
        out.update(g for g in mm.groups() if g)
    return out
