"""Helpers shared by checks: describing rules and sets of packets."""

from __future__ import annotations

from ..findings import Related
from ..model import Filter, Rule


def shown(name: str, limit: int = 40) -> str:
    """A name as messages show it: a hostile 100,000-character chain name is cut."""
    return name if len(name) <= limit else name[:limit - 3] + "..."


def rule_ref(f: Filter, rule: Rule) -> str:
    where = f"{f.table} " if f.table and f.table != "filter" else ""
    return f"{where}{shown(f.name)} rule {rule.index + 1} (line {rule.origin.line})"


def related_rule(f: Filter, rule: Rule, what: str) -> Related:
    return Related(rule.origin, f"{what}: {rule_ref(f, rule)}: {rule.origin.text.strip()}")

