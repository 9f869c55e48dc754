"""The tables read -> the model: filters (one per chain), alterations, bindings.

Layer: platform (iptables)."""

from __future__ import annotations

from ... import model as m
from ..common.diagnostics import Diagnostics
from .values import cached_action
from .vendor import Rule, Ruleset, Table
from .vocab import (
    ALTERATION_TARGETS,
    CONTINUE_TARGETS,
    NAT_TARGETS,
    OTHER_KNOWN_TARGETS,
    QUEUE_TARGETS,
    TERMINAL_TARGETS,
    BUILTIN_CHAINS,
    HOOK_ORDER,
    KNOWN_TARGETS,
)
from .words import shown_name, _split_words


def convert(ruleset: Ruleset, diagnostics: Diagnostics) -> tuple[list[m.Filter], list[m.Alteration], list[m.Binding]]:
    """The model of `ruleset`: a Filter per chain, an Alteration per NAT or mangling rule and
    built-in chain it is reachable from, the filter table's hooks as bindings."""
    filters: list[m.Filter] = []
    alterations: list[m.Alteration] = []
    pending: dict[int, Rule] = {}  # id of each rule -> what it was read from
    for t in ruleset.tables:
        built = {}
        for ch in t.chains.values():
            rules = []
            for i, pr in enumerate(ch.rules):
                try:
                    action, alt = rule_action(diagnostics, t, pr)
                except Exception as e:  # never raise on input: report it at the rule
                    diagnostics.report(pr.origin.line, pr.origin.column, pr.origin.text, "error", "internal",
                                       f"could not read this rule's target: {type(e).__name__}: {e}")
                    action, alt = cached_action("unknown", detail=pr.target_text), None
                rule = m.Rule(pr.match, action, pr.origin, i, comment=pr.comment)
                rules.append(rule)
                pending[id(rule)] = pr
                if alt is not None:
                    alterations.append(alt)
            built[ch.name] = rules
        stages = _reachability(t.name, {n: rs for n, rs in built.items()})
        expanded: list[m.Alteration] = []
        for alt in alterations:
            if alt.table != t.name or alt.stage != "?":
                expanded.append(alt)
                continue
            sts = stages.get(alt.chain, ())
            if not sts:
                expanded.append(_replace_stage(alt, ""))
            for s in sts:
                expanded.append(_replace_stage(alt, s))
        alterations = expanded
        for ch in t.chains.values():
            if ch.builtin:
                default = cached_action("accept" if ch.policy == "ACCEPT" else "drop")
                filters.append(m.Filter(ch.name, tuple(built[ch.name]), default, table=t.name, builtin=True,
                                        family=ruleset.family, origin=ch.origin,
                                        default_origin=ch.policy_origin or ch.origin))
            else:
                filters.append(m.Filter(ch.name, tuple(built[ch.name]), m.Action("return"), table=t.name,
                                        builtin=False, family=ruleset.family, origin=ch.origin))
    report_jump_loops(diagnostics, filters, pending)
    table_order = {t.name: i for i, t in enumerate(ruleset.tables)}
    alterations.sort(key=lambda a: (table_order.get(a.table, 99), a.origin.line,
                                    HOOK_ORDER.index(a.stage) if a.stage in HOOK_ORDER else 9))
    bindings: list[m.Binding] = []
    if any(t.name == "filter" for t in ruleset.tables):
        for hook in ("INPUT", "FORWARD", "OUTPUT"):
            bindings.append(m.Binding(hook, hook, family=ruleset.family))
    return filters, alterations, bindings

def report_jump_loops(diagnostics: Diagnostics, filters: list[m.Filter], pending: dict[int, Rule]) -> None:
    """An error at the jump that closes each loop of chains a built-in chain reaches
    (`model.jump_loops` says which jump: the first edge back to a chain on the path of
    a depth-first walk from the built-in chains, in file order). The kernel refuses
    such a table: iptables-nft-restore at that rule ("Too many links"), the legacy
    iptables-restore at COMMIT (ELOOP, "Too many levels of symbolic links"). A loop no
    built-in chain reaches is loaded and never runs: FW006 reports its chains."""
    for loop in m.jump_loops(filters):
        if not loop.reachable:
            continue
        diagnostics.restart_line_count()  # (never left out by the cap on a line's diagnostics)
        o = loop.rule.origin
        pr = pending.get(id(loop.rule))
        col = _split_words(o.text).column(pr.target_word - 1) if pr is not None and pr.target_word else o.column
        opt = "-g" if loop.rule.action.kind == "goto" else "-j"
        cycle = " -> ".join(shown_name(c) for c in loop.cycle)
        diagnostics.report(o.line, col, o.text, "error", "jump-loop",
                           f"{opt} {shown_name(loop.cycle[0])} closes the jump loop {cycle} in table {loop.table}: "
                           "iptables-restore refuses the table (ELOOP); fwlint does not follow this jump, "
                           "and answers that depend on it are approximate", construct="jump loop")

def rule_action(diagnostics: Diagnostics, t: Table, pr: Rule) -> tuple[m.Action, m.Alteration | None]:
    """The action of a rule's target (and the alteration it makes, if any)."""
    name = pr.target
    o = pr.origin
    if pr.target_text == "?":
        return cached_action("unknown", detail="rule not understood"), None
    if name is None:
        return cached_action("continue"), None
    detail = pr.target_text
    if pr.target_opts and (name in ("ACCEPT", "DROP", "RETURN") or (name in t.chains and name not in KNOWN_TARGETS)
                           or (name == "REJECT" and any(o != "--reject-with" for _n, o, _a in pr.target_opts))):
        diagnostics.report(o.line, pr.target_col, o.text, "warning", "unknown-option",
                           f"target {name} takes no option {' '.join(o for _n, o, _a in pr.target_opts)}",
                           construct=name)
    if name in t.chains and name not in KNOWN_TARGETS:
        if t.chains[name].builtin:
            diagnostics.report(o.line, pr.target_col, o.text, "warning", "invalid",
                               f"cannot jump to built-in chain {name}")
            return cached_action("unknown", detail=detail), None
        return cached_action("goto" if pr.goto else "jump", target=name, detail=detail), None
    if pr.goto:
        diagnostics.report(o.line, pr.target_col, o.text, "error", "undefined-reference",
                           f"-g to chain {name}, which is not declared in table {t.name}", construct="chain")
        return cached_action("goto", target=name, detail=detail), None
    if name in TERMINAL_TARGETS:
        return cached_action(TERMINAL_TARGETS[name], detail=detail if name == "REJECT" else ""), None  # type: ignore[arg-type]
    return _target_action(diagnostics, t, pr, name, detail)


def _target_action(diagnostics: Diagnostics, t: Table, pr: Rule, name: str,
                   detail: str) -> tuple[m.Action, m.Alteration | None]:
    """The action of a target that is neither a chain nor a verdict: continue, an
    alteration, an approximation, or a target fwlint does not know."""
    o = pr.origin
    params = tuple((opt.lstrip("-"), " ".join(args)) for _neg, opt, args in pr.target_opts)
    if name in CONTINUE_TARGETS:
        return cached_action("continue", detail=detail), None
    if name in ALTERATION_TARGETS:
        alt = m.Alteration(ALTERATION_TARGETS[name], pr.match, o, "?", t.name, pr.chain, params, detail)
        return cached_action("continue", detail=detail), alt
    if name in NAT_TARGETS:
        alt = m.Alteration(NAT_TARGETS[name], pr.match, o, "?", t.name, pr.chain, params, detail)
        if t.name != "nat":
            diagnostics.report(o.line, pr.target_col, o.text, "warning", "invalid",
                               f"{name} is only valid in table nat")
            return cached_action("unknown", detail=detail), alt
        return cached_action("accept", detail=detail), alt
    if name in QUEUE_TARGETS:
        diagnostics.report(o.line, pr.target_col, o.text, "note", "approximate",
                           f"{name} hands packets to userspace: verdict unknown", construct=name)
        return cached_action("unknown", detail=detail), None
    if name in ("TPROXY",):
        diagnostics.report(o.line, pr.target_col, o.text, "note", "approximate",
                           f"{name}: verdict depends on a local socket", construct=name)
        alt = m.Alteration("tproxy", pr.match, o, "?", t.name, pr.chain, params, detail)
        return cached_action("unknown", detail=detail), alt
    if name in OTHER_KNOWN_TARGETS:
        diagnostics.report(o.line, pr.target_col, o.text, "note", "approximate", f"target {name} is not modelled",
                           construct=name)
        return cached_action("unknown", detail=detail), None
    if not pr.target_opts:
        # iptables cannot tell a missing chain from a missing extension either; without
        # options it reads as a jump to a chain that was never declared
        diagnostics.report(o.line, pr.target_col, o.text, "error", "undefined-reference",
                           f"-j to chain {name}, which is not declared in table {t.name} "
                           "(nor is it a known target)", construct="chain")
        return cached_action("jump", target=name, detail=detail), None
    diagnostics.report(o.line, pr.target_col, o.text, "warning", "unknown-target",
                       f"unknown target {name} (no such chain in table {t.name})", construct=name)
    return cached_action("unknown", detail=detail), None

def _replace_stage(alt: m.Alteration, stage: str) -> m.Alteration:
    return m.Alteration(alt.kind, alt.match, alt.origin, stage, alt.table, alt.chain, alt.params, alt.description)


def _reachability(table: str, rules: dict[str, list[m.Rule]]) -> dict[str, tuple[str, ...]]:
    """chain -> built-in chains (hook order) from which it is reachable by jumps/gotos."""
    edges: dict[str, set[str]] = {}
    for name, rs in rules.items():
        edges[name] = {r.action.target for r in rs if r.action.kind in ("jump", "goto") and r.action.target}
    reach: dict[str, list[str]] = {}
    for b in HOOK_ORDER:
        if b not in BUILTIN_CHAINS[table] or b not in rules:
            continue
        seen = {b}
        stack = [b]
        while stack:
            c = stack.pop()
            for n in edges.get(c, ()):
                if n not in seen:
                    seen.add(n)
                    stack.append(n)
        for c in seen:
            reach.setdefault(c, []).append(b)
    return {c: tuple(v) for c, v in reach.items()}
