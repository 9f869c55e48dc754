"""Built-in hygiene checks (FW...): one module each, metadata first, docs in the docstring.

Layer: checks. A check reads the normalized model and the analysis (graph + engine) and
yields `Result`s; `run_checks` stamps id, severity and fingerprint. The registry is a literal
list: importing a check has no side effects.

A check defines either `check(ctx)` (the whole device) or `check_filter(ctx, f)` (one
deciding filter at a time: the driver runs those filter by filter and lets the analysis
forget each filter's per-rule sets when they are done).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Iterable

from ..findings import Finding, Result, stamp
from ..model import Device, Filter
from . import (
    fw001_shadowed,
    fw002_redundant,
    fw003_accept_any,
    fw004_default_accept,
    fw005_undefined_reference,
    fw006_unused,
    fw007_not_understood,
    fw008_bad_suppression,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..graph import Analysis

# (the engine, linter.graph and dd, is imported when a check runs, not when the registry is
# read: `fwlint explain`, `rules` and the docs need the checks' metadata only)

CHECKS: tuple[ModuleType, ...] = (
    fw001_shadowed,
    fw002_redundant,
    fw003_accept_any,
    fw004_default_accept,
    fw005_undefined_reference,
    fw006_unused,
    fw007_not_understood,
    fw008_bad_suppression,
)

BY_ID = {c.ID: c for c in CHECKS}

SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")


@dataclass
class CheckContext:
    device: Device
    _analysis: Analysis | None = field(default=None, repr=False)
    # what a check computes once per device and reuses from filter to filter, by check id
    memo: dict = field(default_factory=dict, repr=False)

    @property
    def analysis(self) -> Analysis:
        if self._analysis is None:
            from ..graph import Analysis

            self._analysis = Analysis(self.device, valid_only=True)
        return self._analysis

    @property
    def space(self):
        return self.analysis.space

    def decision_filters(self) -> list[Filter]:
        """Filters that decide packets (iptables: the filter table; others: all)."""
        from ..graph import deciding

        return [f for f in self.device.filters if deciding(f)]


def run_checks(device: Device, enabled: Iterable[str] | None = None,
               analysis: Analysis | None = None) -> list[Finding]:
    ctx = CheckContext(device, analysis)
    wanted = set(enabled) if enabled is not None else None
    active = [c for c in CHECKS if wanted is None or c.ID in wanted]
    per_filter = [c for c in active if hasattr(c, "check_filter")]
    out: list[Finding] = []
    # filter by filter: each filter's per-rule sets are forgotten once its checks are done,
    # so the manager holds one filter's worth of them, not the whole device's
    by_check: dict[str, list[Result]] = {c.ID: [] for c in active}
    if per_filter:
        # called chains before their callers: a chain's per-rule sets are computed once,
        # with its checks, and its callers then reuse the outcome kept from that run
        bound = _bound_filters(device)
        deciding_keys = {(f.table, f.name) for f in ctx.decision_filters() if not _contained(device, f, bound)}
        order = [f for f in reversed(ctx.analysis.topological()) if (f.table, f.name) in deciding_keys]
        for f in order:
            for check in per_filter:
                by_check[check.ID].extend(check.check_filter(ctx, f))
            ctx.analysis.release(f)
    for check in active:
        if check not in per_filter:
            by_check[check.ID].extend(check.check(ctx))
        out.extend(stamp(check.ID, check.SEVERITY, r) for r in _once_per_rule(device, by_check[check.ID]))
    return out


def _bound_filters(device: Device) -> list[Filter]:
    names = {b.filter for b in device.bindings}
    return [g for g in device.filters if g.name in names]


def _contained(device: Device, f: Filter, bound: list[Filter]) -> bool:
    """An unbound filter whose rules all stand, in order, in a bound filter (an ASA interface
    ACL inside the interface's effective inbound filter): checking the bound one covers it.
    (`bound`: the device's bound filters, found once: thousands of chains would make
    looking for them per filter quadratic.)"""
    if not f.rules or any(g.name == f.name for g in bound):
        return False
    # (the rules the platform adds, such as a connection-table rule of its own, do not count)
    mine = [id(r) for r in f.rules if not r.synthetic]
    if not mine:
        return False
    for g in bound:
        if g is f or len(g.rules) < len(f.rules):
            continue
        pos = {id(r): i for i, r in enumerate(g.rules)}
        idx = [pos.get(k) for k in mine]
        if None not in idx and idx == sorted(idx):
            return True
    return False


def _once_per_rule(device: Device, results: list[Result]) -> list[Result]:
    """One result of a check per place: a rule that stands in several filters (an ASA
    interface ACL inside the interface's effective inbound filter) is reported once, from
    the filter that comes first in the device. Results that are not about a filter (FW007's
    diagnostics: their context is a construct) are told apart by their message too, so that
    two different problems at one place (a nested macro and the expansion bound it crosses)
    are both reported."""
    order = {f.name: i for i, f in reversed(list(enumerate(device.filters)))}
    best: dict[tuple, tuple[int, int]] = {}
    for n, r in enumerate(results):
        key = (r.origin.path, r.origin.line, r.origin.column, r.origin.text,
               None if r.context in order else r.message)
        rank = order.get(r.context, len(order))
        if key not in best or rank < best[key][0]:
            best[key] = (rank, n)
    keep = {n for _, n in best.values()}
    return [r for n, r in enumerate(results) if n in keep]


def doc_sections(check: ModuleType) -> dict[str, str]:
    """The docstring's `## Section` parts, by title."""
    text = check.__doc__ or ""
    parts: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            parts[current] = ""
        elif current is not None:
            parts[current] += line + "\n"
    return {k: v.strip("\n") for k, v in parts.items()}
