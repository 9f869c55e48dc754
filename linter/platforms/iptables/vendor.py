"""The tables, chains and rules of a file as read (before conversion to the model).

Layer: platform (iptables)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ... import model as m
from .words import _split_words

# --------------------------------------------------------------------------- table state


@dataclass
class Rule:
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
class Chain:
    name: str
    builtin: bool
    origin: m.Origin | None
    policy: str = "ACCEPT"
    policy_origin: m.Origin | None = None
    rules: list[Rule] = field(default_factory=list)


@dataclass
class Table:
    name: str
    origin: m.Origin
    chains: dict[str, Chain] = field(default_factory=dict)
    committed: bool = False
    implicit: bool = False


def unreadable_rule(origin: m.Origin) -> Rule:
    """A rule fwlint cannot read (or iptables refuses): it matches on a condition of its
    own, and does what is not known."""
    match = m.Match((m.Opaque(f"unparsed@{origin.path}:{origin.line}", "rule not understood"),))
    return Rule(match, None, False, [], "?", origin, "", 0)
