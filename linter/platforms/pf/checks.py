"""What pfctl refuses in a rule read whole, in a scrub option list, in the queues, and a
configuration that mixes the old and the new translation syntax: pfctl's messages, located.

Layer: platforms/pf. The checks made while a part is read are where it is read (rules.py,
addresses.py); the bounds of fwlint's own (limits.py) are where the work is done.
"""

from __future__ import annotations

from ... import model as m
from ...names import read_int
from .diagnostics import Report
from .lexer import Tok
from .vendor import PfConfig, RuleSpec


def consistent(report: Report, spec: RuleSpec, head: Tok) -> bool:
    """pfctl's refusals of a rule as a whole (its parts together), reported at its first word."""
    for check in (_flags_refusal, _route_refusal, _afto_refusal, _divert_refusal, _redirect_refusal):
        refused = check(spec)
        if refused is not None:
            message, construct = refused
            report.at(head, "error", "invalid", message, construct)
            return False
    _icmp_family(report, spec, head)
    return True


# each: the message and construct of pfctl's refusal, or None

def _flags_refusal(spec: RuleSpec) -> tuple[str, str] | None:
    if spec.flags not in (None, "any") and spec.protos is not None and all(n != 6 for n, _ in spec.protos):
        return "flags only apply to tcp", "flags"
    return None


def _route_refusal(spec: RuleSpec) -> tuple[str, str] | None:
    if spec.route is None:
        return None
    if spec.kind == "block":
        return "route-to, reply-to and dup-to are not supported on block rules", spec.route[0]
    if spec.state == "no" and spec.kind == "pass":
        return "route-to, reply-to and dup-to require keep state", spec.route[0]
    if spec.afto is not None:
        return "af-to cannot be used together with route-to, reply-to, dup-to", "af-to"
    return None


def _afto_refusal(spec: RuleSpec) -> tuple[str, str] | None:
    if spec.afto is None:
        return None
    if spec.af is None:
        return "af-to: the rule must name its address family (inet or inet6)", "af-to"
    if spec.afto[0] == spec.af:
        return "af-to: the translation must change the address family", "af-to"
    if spec.direction == "out":
        return "af-to can only be used with inbound rules", "af-to"
    return None


def _divert_refusal(spec: RuleSpec) -> tuple[str, str] | None:
    if spec.divert_af and spec.af is not None and spec.af not in spec.divert_af:
        return "divert-to address family mismatch", "divert-to"
    if spec.kind != "pass" and any(a[0] == "divert" for a in spec.alters):
        return "divert options only apply to pass rules", "divert"
    return None


# the direction a translation of a pass or match rule cannot take
_WRONG_DIRECTION = {"nat-to": ("in", "outbound"), "rdr-to": ("out", "inbound"), "binat-to": ("in", "outbound")}


def _redirect_refusal(spec: RuleSpec) -> tuple[str, str] | None:
    if spec.redirect and spec.kind == "block":
        return f"{', '.join(spec.redirect)} cannot be used on block rules", next(iter(spec.redirect))
    if spec.kind in ("pass", "match"):
        for k, (wrong, right) in _WRONG_DIRECTION.items():
            if k in spec.redirect and spec.direction == wrong:
                return f"{k} can only be used with {right} rules", k
    return None


def _icmp_family(report: Report, spec: RuleSpec, head: Tok) -> None:
    """An ICMP type without an address family: pfctl warns and takes the family of the type."""
    if spec.icmp is None or spec.af is not None or not spec.protos:
        return
    if any(h.af for h in (spec.src or []) + (spec.dst or [])) or all(n not in (1, 58) for n, _ in spec.protos):
        return
    spec.af = 6 if spec.icmp_v6 else 4
    report.at(head, "warning", "invalid",
              f"must indicate address family with icmp-type/code (read as {'inet6' if spec.icmp_v6 else 'inet'})",
              "icmp-type")


def scrub_options_ok(report: Report, opts: list[str], tok: Tok) -> bool:
    seen = set()
    for o in opts:
        words = o.split()
        k = words[0]
        if k in seen:
            report.at(tok, "error", "invalid", f"{k} cannot be respecified", "scrub")
            return False
        seen.add(k)
        if k == "min-ttl" and not 0 <= read_int(words[1]) <= 255:
            report.at(tok, "error", "invalid", f"illegal min-ttl value {words[1]}", "scrub")
            return False
        if k == "max-mss" and not 0 <= read_int(words[1]) <= 65535:
            report.at(tok, "error", "invalid", f"illegal max-mss value {words[1]}", "scrub")
            return False
        if k == "reassemble" and words[1] != "tcp":
            report.at(tok, "error", "invalid", f"reassemble {words[1]}: only 'reassemble tcp'", "scrub")
            return False
    return True


def check_queues(report: Report, config: PfConfig) -> None:
    """pfctl's refusals of the queues (a queue named and not defined, a tree without its default)."""
    for name, origin, _k in config.queue_refs:
        if config.queues and name not in config.queues:
            report.at_origin(origin, "error", "invalid", f"queue {name} is not defined", "queue")
    new = [q for q in config.queue_list if not q.old]
    has_children = {id(q.parent_queue) for q in new if q.parent_queue is not None}
    for q in new:
        is_root = q.parent is None
        if not is_root and q.parent_queue is None:
            report.at(q.tok, "error", "invalid", f"queue {q.name}: parent {q.parent} is not defined", "queue")
        if q.default and not q.bandwidth and not is_root:
            report.at(q.tok, "error", "invalid", f"queue {q.name}: no bandwidth was specified", "queue")
        if q.default and id(q) in has_children:
            report.at(q.tok, "error", "invalid", f"default queue {q.name} is not a leaf queue", "queue")
    for root in (q for q in new if q.parent is None):
        if id(root) not in has_children:
            continue  # a lone root queue (flow queueing on the interface)
        tree = [root]
        k = 0
        while k < len(tree):
            tree.extend(q for q in new if q.parent_queue is tree[k])
            k += 1
        if not any(q.default for q in tree):
            report.at(root.tok, "error", "invalid",
                      f"no default queue specified (queues under {root.name} on {root.on})", "queue")


class SyntaxVersions:
    """Where the old translation/scrub syntax and the new one are first used: no pfctl takes both."""

    def __init__(self, report: Report, path: str) -> None:
        self.report = report
        self.path = path
        self.old_syntax: m.Origin | None = None
        self.new_syntax: m.Origin | None = None

    def note_old(self, origin: m.Origin) -> None:
        if self.old_syntax is None:
            self.old_syntax = origin
            self.check_mixing()

    def note_new(self, origin: m.Origin) -> None:
        if self.new_syntax is None:
            self.new_syntax = origin
            self.check_mixing()

    def check_mixing(self) -> None:
        if self.old_syntax is not None and self.new_syntax is not None:
            later = max(self.old_syntax, self.new_syntax, key=lambda o: (o.path != self.path, o.line))
            earlier = self.new_syntax if later is self.old_syntax else self.old_syntax
            self.report.diag(later.path, later.line, 1, "warning", "mixed-syntax",
                             f"old translation/scrub syntax (nat, rdr, binat, scrub rules; FreeBSD and OpenBSD before "
                             "4.7) and the new one (nat-to, rdr-to, binat-to, match scrub) are mixed: no "
                             "pfctl accepts "
                             f"both (the other kind is at {earlier.path}:{earlier.line})", "syntax version",
                             understood=True)
