"""What an iptables-restore file says, as read: tables, their chains, their rules (frozen,
with their origins), after the file's commands have been replayed (-F, -I, -P, a table
given twice) the way iptables-restore replays them. convert.py turns a `Ruleset` into the
model.

Layer: platform (iptables). A rule's match is already in model conditions (the option
values are read into conditions where the line is read, so that a value's diagnostic
points at its word); its target is kept as written, for convert.py to decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping, NamedTuple

from ... import model as m
from .words import _split_words


class Rule(NamedTuple):
    """One -A/-I rule: its conditions, its target as written (None: no target), where.

    Immutable like the classes below, but a NamedTuple: a large file has one per line, and
    a NamedTuple is built several times faster than a frozen dataclass (whose fields are
    set through object.__setattr__)."""

    match: m.Match
    target: str | None
    goto: bool  # -g rather than -j
    target_opts: tuple[tuple[bool, str, tuple[str, ...]], ...]  # (negated, --option, values)
    target_text: str  # the target and its options as a rule's detail shows them ("?": not understood)
    origin: m.Origin
    comment: str
    target_word: int  # index of the target's name among the line's words (0: none)
    chain: str

    @property
    def target_col(self) -> int:
        """The column of the target's name (of the command when there is none)."""
        return _split_words(self.origin.text).column(self.target_word) if self.target_word else self.origin.column


@dataclass(frozen=True)
class Chain:
    name: str
    builtin: bool
    origin: m.Origin | None  # its declaration (None: a built-in chain the file never declares)
    policy: str  # ACCEPT or DROP (a user chain: ACCEPT, unused)
    policy_origin: m.Origin | None
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Table:
    name: str
    origin: m.Origin  # its `*name` line
    chains: Mapping[str, Chain]  # by name, in the order declared (built-ins missing from the file last)


@dataclass(frozen=True)
class Ruleset:
    family: int  # 4: iptables-save, 6: ip6tables-save
    tables: tuple[Table, ...]  # in file order (a table given again is where it was given last)


def frozen_chains(chains: dict[str, Chain]) -> Mapping[str, Chain]:
    """A read-only view of `chains` (the reader's dict is not used after)."""
    return MappingProxyType(chains)


def unreadable_rule(origin: m.Origin, chain: str) -> Rule:
    """A rule fwlint cannot read (or iptables refuses): it matches on a condition of its
    own, and does what is not known."""
    match = m.Match((m.Opaque(f"unparsed@{origin.path}:{origin.line}", "rule not understood"),))
    return Rule(match, None, False, (), "?", origin, "", 0, chain)
