"""Lines -> the tables, chains and rules of the file (vendor.py), with diagnostics.

Layer: platform (iptables)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from lark import Lark, Transformer

from ... import model as m
from ... import parsers
from ...limits import (
    MAX_IPTABLES_DIAGNOSTICS_PER_LINE,
    MAX_IPTABLES_LINE_LENGTH,
    MAX_IPTABLES_LINE_WORDS,
)
from ...names import read_int
from ..common.diagnostics import Diagnostics, SyntaxFailure
from ..common.lark_glue import IndexLexer, parse_tokens, token_index
from .rule import RuleReader
from .vendor import Chain, Rule, Ruleset, Table, frozen_chains, unreadable_rule
from .vocab import BUILTIN_CHAINS
from .words import _classify, cut_line, shown_name, _split_words, Words

# --------------------------------------------------------------------------- address family

# the header iptables-save writes (also iptables-nft-save, iptables-legacy-save)
_HEADER_RE = re.compile(r"^#[^\n]*?\b(ip6?)tables(?:-nft|-legacy)?-save\b", re.M)
_ICMPV6_RE = re.compile(r"(?:^|\s)-p\s+(?:ipv6-icmp|icmpv6)\b|-m\s+icmp6\b|--icmpv6-type", re.M)
_ADDR_RE = re.compile(r"(?:^|\s)(?:-s|-d|--source|--destination|--src|--dst|--src-range|--dst-range)"
                      r"\s+(?:!\s+)?([0-9A-Fa-f.:]+)", re.M)


def guess_family(text: str) -> int:
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


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return parsers.lalr("iptables.lark", lexer=IndexLexer)


# --------------------------------------------------------------------------- plans

# A plan is the parse of one terminal sequence, reduced to plain tuples of word indices:
#   ("table", i) ("chain", i, policy_i|-1) ("commit",)
#   ("append", chain_i, items) ("insert", chain_i, pos_i|-1, items) ("new", i)
#   ("policy", chain_i, target_i, items) ("flush", i|-1) ("zero",) ("other", opt_i, items)
# items: (kind, negated, opt_i, args) with args = ((inner_negated, word_i), ...)


def _first(children: list) -> int:
    return token_index(children[0])


class _Planner(Transformer):
    """The tree of one line's terminal sequence -> its plan (word indices only, so that one
    plan serves every line of the same sequence). A method per rule of grammars/iptables.lark."""

    def start(self, children: list) -> tuple:
        return children[-1]  # (an iptables-save counter before a command is not kept)

    def table_header(self, children: list) -> tuple:
        return ("table", _first(children))

    def chain_decl(self, children: list) -> tuple:
        policy = next((c for c in children[1:] if isinstance(c, int)), -1)
        return ("chain", _first(children), policy)

    def policy_word(self, children: list) -> int:
        return _first(children)

    def commit(self, _children: list) -> tuple:
        return ("commit",)

    def append(self, children: list) -> tuple:
        return ("append", token_index(children[1]), children[2])

    def insert(self, children: list) -> tuple:
        position = children[2] if len(children) == 4 else -1
        return ("insert", token_index(children[1]), position, children[-1])

    def position(self, children: list) -> int:
        return _first(children)

    def new_chain(self, children: list) -> tuple:
        return ("new", token_index(children[1]))

    def set_policy(self, children: list) -> tuple:
        return ("policy", token_index(children[1]), token_index(children[2]), children[3])

    def flush(self, children: list) -> tuple:
        return ("flush", token_index(children[1]) if len(children) > 1 else -1)

    def zero(self, _children: list) -> tuple:
        return ("zero",)

    def other_command(self, children: list) -> tuple:
        return ("other", _first(children), children[-1])

    def spec(self, children: list) -> tuple:
        return tuple(children)

    def negatable(self, children: list) -> tuple:
        kind, _negated, opt, args = children[-1]
        return (kind, len(children) == 2, opt, args)

    def arg(self, children: list) -> tuple[bool, int]:
        return (len(children) == 2, token_index(children[-1]))

    def _condition(self, kind: str, children: list) -> tuple:
        return (kind, False, _first(children), tuple(children[1:]))

    def _word_item(self, kind: str, children: list) -> tuple:
        return (kind, False, _first(children), tuple((False, token_index(t)) for t in children[1:]))

    def __default__(self, data, children, meta):  # the conditions and the items of words
        if data in _CONDITIONS:
            return self._condition(str(data), children)
        if data in _WORD_ITEMS:
            return self._word_item(str(data), children)
        return super().__default__(data, children, meta)  # pragma: no cover - every rule has a method


_CONDITIONS = frozenset({"protocol", "source", "destination", "in_interface", "out_interface", "fragment",
                         "family", "option"})
_WORD_ITEMS = frozenset({"module", "jump", "goto", "set_counters"})
_PLANNER = _Planner()
_plan_cache: dict[tuple[str, ...], tuple] = {}


def _plan(sig: tuple[str, ...]) -> tuple:
    """The plan of a terminal sequence (cached: a large file has a few hundred); raises
    SyntaxFailure where the grammar refuses it."""
    plan = _plan_cache.get(sig)
    if plan is not None:
        return plan
    plan = _PLANNER.transform(parse_tokens(_parser(), sig))
    if len(_plan_cache) < 20000 and len(sig) <= 512:  # (a long line's sequence is its own)
        _plan_cache[sig] = plan
    return plan


@dataclass
class _ChainState:
    """A chain while the file is read (its rules change with -A, -I, -F, -P)."""

    name: str
    builtin: bool
    origin: m.Origin | None
    policy: str = "ACCEPT"
    policy_origin: m.Origin | None = None
    rules: list[Rule] = field(default_factory=list)

    def frozen(self) -> Chain:
        return Chain(self.name, self.builtin, self.origin, self.policy, self.policy_origin, tuple(self.rules))


@dataclass
class _TableState:
    """A table while the file is read."""

    name: str
    origin: m.Origin
    chains: dict[str, _ChainState] = field(default_factory=dict)
    committed: bool = False
    implicit: bool = False  # made for rules given before any `*table` line

    def frozen(self) -> Table:
        return Table(self.name, self.origin, frozen_chains({n: c.frozen() for n, c in self.chains.items()}))


_MAX_MESSAGE = 400  # characters of a message or construct (a message quoting a megabyte word stays short)
_MAX_CHAIN_NAME = 28  # iptables: XT_EXTENSION_MAXNAMELEN (29) less the NUL


class Reader:
    """Reads a file line by line as iptables-restore replays it (tables, chains, -A/-I/-F/-P),
    reporting through `diagnostics`; `finish` hands over the frozen `vendor.Ruleset`."""

    def __init__(self, path: str, family: int) -> None:
        self.path = path
        self.family = family
        self.diagnostics = Diagnostics(path, max_text=_MAX_MESSAGE,
                                       per_line=(MAX_IPTABLES_DIAGNOSTICS_PER_LINE,
                                                 "MAX_IPTABLES_DIAGNOSTICS_PER_LINE"))
        self.diag = self.diagnostics.report  # (line, column, text, severity, code, message, construct)
        self.bad_lines = self.diagnostics.bad_lines()
        self.tables: list[_TableState] = []
        self.table: _TableState | None = None
        self.unknown_table = False
        self.no_table_reported = False

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
            text = cut_line(text)
            self.diag(lineno, 1, text, "error", "syntax",
                      f"line of {len(sig)} words: more than fwlint parses (linter/limits.py "
                      f"MAX_IPTABLES_LINE_WORDS = {MAX_IPTABLES_LINE_WORDS}; iptables-restore itself takes "
                      "at most 255): not read")
            self.keep_unreadable_rule(lineno, text, ws, sig)
            return
        try:
            plan = _plan(sig)
        except SyntaxFailure as e:
            self.syntax_error(lineno, text, ws, sig, e)
            return
        getattr(self, "do_" + plan[0])(lineno, text, ws, plan)

    def too_long(self, lineno: int, text: str) -> None:
        """A line too long to read: reported, not split into words; a rule it appends to a
        chain is kept as not understood (its first words say which chain). Their origins
        hold the line's beginning only: reports and fingerprints stay small."""
        length = len(text)
        text = cut_line(text)
        self.diag(lineno, 1, text, "error", "syntax",
                  f"line of {length} characters: longer than fwlint reads (linter/limits.py "
                  f"MAX_IPTABLES_LINE_LENGTH = {MAX_IPTABLES_LINE_LENGTH}; iptables-restore itself reads "
                  "at most 10239 bytes per line): not read")
        head = text.lstrip()[:256].split()[:3]
        ws = Words(head, None, None, text)
        self.keep_unreadable_rule(lineno, text, ws, _classify(ws))

    # generic options iptables takes once per rule ("multiple -s flags not allowed"); -j and
    # -g name one target between them
    _ONCE = {"PROTO": "PROTO", "SRC": "SRC", "DST": "DST", "IN": "IN", "OUT": "OUT", "FRAG": "FRAG",
             "JUMP": "TARGET", "GOTO": "TARGET"}

    def repeated_option(self, lineno: int, text: str, ws: Words, sig: tuple[str, ...]) -> bool:
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

    def syntax_error(self, lineno: int, text: str, ws: Words, sig: tuple[str, ...],
                     e: SyntaxFailure) -> None:
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

    def keep_unreadable_rule(self, lineno: int, text: str, ws: Words, sig: tuple[str, ...]) -> None:
        """Keep the rule of an -A/-I line that cannot be read as an unknown action, so that
        evaluation stays sound (every answer through it is approximate) and the indices of
        the rules after it stay those of the kernel."""
        k = 1 if sig and sig[0] == "COUNTER" else 0
        if len(sig) > k + 1 and sig[k] in ("APPEND", "INSERT") and sig[k + 1] == "WORD":
            chain = self.chain_for_rule(lineno, text, ws, ws.words[k + 1], k)
            if chain is not None:
                rule = unreadable_rule(m.Origin(self.path, lineno, ws.column(k), text), chain.name)
                if sig[k] == "INSERT":
                    chain.rules.insert(0, rule)
                else:
                    chain.rules.append(rule)

    def ensure_table(self, lineno: int, text: str) -> _TableState:
        if self.table is None:
            if not self.no_table_reported:
                self.no_table_reported = True
                self.diag(lineno, 1, text, "warning", "no-table",
                          "rule outside a table (no *filter line before it): read as table filter")
            t = self.find_table("filter")
            if t is None:
                t = _TableState("filter", m.Origin(self.path, lineno, 1, text), implicit=True)
                self.add_builtins(t)
                self.tables.append(t)
            self.table = t
        return self.table

    def find_table(self, name: str) -> _TableState | None:
        for t in self.tables:
            if t.name == name:
                return t
        return None

    def add_builtins(self, t: _TableState) -> None:
        for c in BUILTIN_CHAINS[t.name]:
            t.chains.setdefault(c, _ChainState(c, True, None))

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
        t = _TableState(name, m.Origin(self.path, lineno, 1, text))
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
            ch = _ChainState(name, builtin, origin)
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
                      f"chain {shown_name(name)} already exists")
            return
        self.check_chain_name(lineno, ws.column(plan[1]), text, name)
        t.chains[name] = _ChainState(name, False, m.Origin(self.path, lineno, ws.column(plan[1] - 1), text))

    def check_chain_name(self, lineno: int, col: int, text: str, name: str) -> None:
        """iptables refuses a chain name longer than 28 characters (XT_EXTENSION_MAXNAMELEN
        less its NUL): "chain name too long (must be under 29 chars)". Reported once, where
        the chain is declared; the chain is still analysed."""
        if len(name) > _MAX_CHAIN_NAME:
            self.diag(lineno, col, text, "warning", "invalid",
                      f"chain name of {len(name)} characters ({shown_name(name)}): iptables allows at most "
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
            ch = _ChainState(name, True, None)
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

    def chain_for_rule(self, lineno, text, ws, name, cmd_i) -> _ChainState | None:
        t = self.ensure_table(lineno, text)
        ch = t.chains.get(name)
        if ch is None:
            if name in BUILTIN_CHAINS[t.name]:
                ch = _ChainState(name, True, None)
            else:
                origin = m.Origin(self.path, lineno, ws.column(cmd_i), text)
                self.diag(lineno, ws.column(cmd_i + 1), text, "error", "undeclared-chain",
                          f"chain {shown_name(name)} is not declared in table {t.name} (created to analyse it)")
                ch = _ChainState(name, False, origin)
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
        rule = RuleReader(self, lineno, ws, chain_i - 1).build(items, chain.name)
        if insert_at is None:
            chain.rules.append(rule)
        else:
            if insert_at > len(chain.rules) + 1:
                self.diag(lineno, ws.column(chain_i + 1), text, "warning", "invalid",
                          f"rule number {insert_at} is past the end of chain {chain.name}")
            chain.rules.insert(insert_at - 1, rule)

    # ----------------------------------------------------------------- the end of the file

    def finish(self, last_line: int, last_text: str) -> Ruleset:
        """The tables read (each with its built-in chains), once the last line is read."""
        if self.table is not None and not self.table.committed:
            self.diag(last_line, 1, last_text, "warning", "truncated",
                      f"end of file before COMMIT of table {self.table.name}: its rules are analysed as read")
        for t in self.tables:
            self.add_builtins(t)
        return Ruleset(self.family, tuple(t.frozen() for t in self.tables))
