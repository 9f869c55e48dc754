"""Helpers shared by checks: describing rules and sets of packets."""

from __future__ import annotations

from ..findings import Related
from ..model import Filter, Rule


def rule_ref(f: Filter, rule: Rule) -> str:
    where = f"{f.table} " if f.table and f.table != "filter" else ""
    return f"{where}{f.name} rule {rule.index + 1} (line {rule.origin.line})"


def related_rule(f: Filter, rule: Rule, what: str) -> Related:
    return Related(rule.origin, f"{what}: {rule_ref(f, rule)}: {rule.origin.text.strip()}")


# the rules platforms add for a state or connection table (pf `keep state`, the ASA): not
# written by the user, so never a finding of their own
_TABLE_COMMENTS = ("state table:", "connection table:")


def synthetic(rule) -> bool:
    return rule.comment.startswith(_TABLE_COMMENTS)
