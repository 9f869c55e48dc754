"""Table definitions (`table <name> { ... }`, `file "..."`): their addresses as read,
within pf's limit on table entries.

Layer: platforms/pf. Called by the reader for each `table` statement.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from lark import Token, Tree

from ... import limits
from . import addresses
from .grammar import token_at
from .lexer import Tok

if TYPE_CHECKING:
    from .reader import Reader


class TableReader:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.report = reader.report
        self.config = reader.config
        self.budget = reader.budget

    def define(self, node: Tree, toks: list[Tok]) -> None:
        name_tok = node.children[2]
        name = name_tok.value
        if len(name) >= 32:
            self.report.at(token_at(toks, name_tok), "error", "invalid", f"table name {name!r} too long (max 31 chars)",
                           "table")
            return
        key = (self.reader.anchor_path(), name)
        if key in self.config.tables:
            self.report.at(toks[0], "error", "invalid", f"table <{name}> defined twice", "table")
            return
        entry = {"origin": self.report.origin(toks), "hosts": [], "opaque": [], "flags": set(), "files": [],
                 "tok": token_at(toks, name_tok)}
        for opt in node.children[4:]:
            if opt.data == "table_flag":
                entry["flags"].add(opt.children[0].value)
            elif opt.data == "table_file":
                fname_tok = opt.children[1]
                entry["files"].append(fname_tok.value)
                got = self.reader.files.read_bounded(fname_tok.value, token_at(toks, fname_tok), "table file")
                if got is None:
                    entry["opaque"].append(f"file {fname_tok.value!r} not read")
                    continue
                words = sum(len(ln.split("#", 1)[0].split()) for ln in got[0].splitlines())
                if self.entries_fit(entry, words, token_at(toks, fname_tok), name):
                    self.add_file(entry, got, token_at(toks, fname_tok))
            elif opt.data == "table_addrs":
                addrs = [ta for sub in opt.children if isinstance(sub, Tree) and sub.data == "table_addrs"
                         for ta in sub.children if isinstance(ta, Tree)]
                if self.entries_fit(entry, len(addrs), toks[0], name):
                    for ta in addrs:
                        self.add_address(entry, ta, toks)
        self.config.tables[key] = entry

    def entries_fit(self, entry: dict, n: int, tok: Tok, name: str) -> bool:
        """Do n more entries fit in MAX_TABLE_ENTRIES (all tables together, as pf counts)?
        When not, reported at tok, and the table is an unknown set of addresses."""
        if self.budget.table_entries + n <= limits.MAX_TABLE_ENTRIES:
            self.budget.table_entries += n
            return True
        self.report.at(tok, "error", "expansion-limit",
                       f"table <{name}>: {n} more entries make more than {limits.MAX_TABLE_ENTRIES} table entries in "
                       f"this configuration (linter/limits.py MAX_TABLE_ENTRIES, pf's default 'set limit "
                       f"table-entries'): its addresses are not modelled (an unknown set)", "table")
        entry["opaque"].append(f"more than {limits.MAX_TABLE_ENTRIES} table entries: not read")
        return False

    def add_address(self, entry: dict, ta: Tree, toks: list[Tok]) -> None:
        neg = isinstance(ta.children[0], Token) and ta.children[0].type == "BANG"
        h = addresses.host(self.report, ta.children[-1], toks, neg, in_table=True)
        for x in h:
            if x.kind == "error":
                continue
            entry["hosts"].append(x)

    def add_file(self, entry: dict, got: tuple[str, str, str], tok: Tok) -> None:
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
                hs = addresses.parse_host_text(w, mask, quoted=False)
                for h in hs:
                    if h.kind == "error":
                        # the first is reported; the others are counted (a file of garbage is one warning)
                        unreadable += 1
                        if unreadable == 1:
                            self.report.at(tok, "warning", "invalid", f"{shown}:{i}: {h.text}", "table file")
                            entry["opaque"].append(f"unreadable entry {word!r}")
                        continue
                    if neg:  # (a table's entries may share the cached reading: nothing tells them apart)
                        h = dataclasses.replace(h, neg=True)
                    addresses.note_zone(self.report, h, tok, f"{shown}:{i}: ")
                    entry["hosts"].append(h)
        if unreadable > 1:
            self.report.at(tok, "warning", "invalid", f"{shown}: {unreadable - 1} more unreadable entries",
                           "table file")
            entry["opaque"].append(f"{unreadable - 1} more unreadable entries")

