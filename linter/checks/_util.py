"""Helpers shared by checks: describing rules and sets of packets."""

from __future__ import annotations

from ..findings import Related
from ..model import Filter, Rule, rule_label


def shown(name: str, limit: int = 40) -> str:
    """A name as messages show it: a hostile 100,000-character chain name is cut."""
    return name if len(name) <= limit else name[:limit - 3] + "..."


def rule_ref(f: Filter, rule: Rule) -> str:
    """The rule as messages name it (`model.rule_label`: its line first)."""
    return rule_label(f, rule)


def related_rule(f: Filter, rule: Rule, what: str) -> Related:
    return Related(rule.origin, f"{what}: {rule_ref(f, rule)}: {rule.origin.text.strip()}")

