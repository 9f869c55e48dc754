"""pfctl's expansion of a rule's lists (sbin/pfctl/parse.y `expand_rule`): one rule per
combination of its interfaces, protocols, ICMP types, sources, destinations, ports, users
and groups, each combination checked as pfctl checks it (address family, ports only with
tcp/udp, ICMP type and protocol); bounded by limits.py.

Layer: platforms/pf. `expand_rule` keeps the valid combinations on the `RuleSpec`;
`expansions` lists them as pfctl prints them (the regress tests compare).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from ... import limits
from .diagnostics import Report
from .lexer import Tok
from .vendor import ANY_HOST, RuleSpec


@dataclass
class Budget:
    """Work done so far on the whole configuration, against limits.py's per-file bounds."""

    rules_total: int = 0  # rules the statements expanded to
    files_read: int = 0  # include, load anchor and table file targets read
    bytes_read: int = 0
    table_entries: int = 0  # entries of all tables


def expand_rule(spec: RuleSpec, head: Tok, report: Report, budget: Budget) -> bool:
    """Keep on spec the combinations of its lists pfctl keeps (spec.combos); False when the
    rule is refused (reported at head): over a bound, or no valid combination."""
    lists = {"interfaces": spec.ifaces or [None], "protocols": spec.protos or [None],
             "ICMP types": spec.icmp or [None], "sources": spec.src or [ANY_HOST],
             "destinations": spec.dst or [ANY_HOST], "source ports": spec.sports or [None],
             "destination ports": spec.dports or [None], "users": spec.users or [None],
             "groups": spec.groups or [None]}
    if not within_rule_bounds(lists, head, spec.kind, report, budget):
        return False
    route_af, pool_af = _target_families(spec)
    errors: list[str] = []
    combos = []
    # in pfctl's order (interfaces outermost): the order of the expanded rules
    for combo in itertools.product(*lists.values()):
        _iface, proto, icmp, src, dst, sport, dport, _user, _group = combo
        if spec.af and src.af and spec.af != src.af or spec.af and dst.af and spec.af != dst.af or (
                src.af and dst.af and src.af != dst.af):
            continue  # pfctl skips the combinations of two address families silently
        af = spec.af or src.af or dst.af
        bad = _combination_errors(spec, proto, icmp, sport is not None or dport is not None, af, route_af, pool_af)
        if bad:
            errors.extend(bad)
            continue
        if not af:
            af = route_af or (pool_af if spec.afto is None else None)
        combos.append(combo + (af,))
    for msg in dict.fromkeys(errors):
        report.at(head, "error", "invalid", msg, spec.kind)
    if not combos:
        report.at(head, "error", "invalid", "rule expands to no valid combination", spec.kind)
        return False
    spec.combos = combos
    return True


def _target_families(spec: RuleSpec) -> tuple[int | None, int | None]:
    """The address family of the rule's route-to hosts and of its translation pool, when
    each has one."""
    pool_af = None
    for hosts, _port, _pool in spec.redirect.values():
        fams = {h.af for h in hosts if h.af}
        if len(fams) == 1:
            pool_af = fams.pop()
    route_af = None
    if spec.route and spec.route[1]:
        fams = {h.af for h in spec.route[1] if h.af}
        if len(fams) == 1:
            route_af = next(iter(fams))
    return route_af, pool_af


def _combination_errors(spec: RuleSpec, proto: tuple | None, icmp: tuple | None, has_ports: bool, af: int | None,
                        route_af: int | None, pool_af: int | None) -> list[str]:
    """pfctl's refusals of one combination (its messages)."""
    pnum = proto[0] if proto else None
    bad = []
    if has_ports and pnum not in (6, 17):
        bad.append("port only applies to tcp/udp")
    if icmp is not None:
        want = 58 if spec.icmp_v6 else 1
        if pnum is None or pnum != want:
            bad.append("icmp-type mismatch" if pnum in (1, 58) else "icmp-type/code only applies to icmp")
    if pnum == 58 and af == 4 or pnum == 1 and af == 6:
        bad.append(f"proto {proto[1]} doesn't match address family inet{'6' if af == 6 else ''}")
    if icmp is not None and af and (af == 6) != spec.icmp_v6:
        bad.append("icmp-type mismatch")
    if route_af and af and route_af != af and spec.route[0] != "fastroute":
        bad.append("af mismatch in routing spec")
    if pool_af and af and pool_af != af and spec.afto is None:
        bad.append(f"{'/'.join(spec.redirect)}: no translation address of the rule's address family")
    return bad


def within_rule_bounds(lists: dict[str, list], head: Tok, kind: str, report: Report, budget: Budget) -> bool:
    """Is the cross product of a rule's lists within MAX_RULES_PER_STATEMENT, and the
    configuration's rules so far within MAX_RULES_TOTAL? (reported at the rule when not)

    Checked on the lengths, before any combination is built.
    """
    product = 1
    for values in lists.values():
        product *= len(values)
    factors = " x ".join(f"{len(v)} {what}" for what, v in lists.items() if len(v) > 1)
    if product > limits.MAX_RULES_PER_STATEMENT:
        report.at(head, "error", "expansion-limit",
                  f"this rule expands to {product} rules ({factors}), more than "
                  f"{limits.MAX_RULES_PER_STATEMENT} (linter/limits.py MAX_RULES_PER_STATEMENT): it is not "
                  f"modelled", kind)
        return False
    if budget.rules_total + product > limits.MAX_RULES_TOTAL:
        report.at(head, "error", "expansion-limit",
                  f"the rules of this configuration expand to more than {limits.MAX_RULES_TOTAL} in all "
                  f"(linter/limits.py MAX_RULES_TOTAL): this rule ({product} rules) is not modelled", kind)
        return False
    budget.rules_total += product
    return True


def expansion_dicts(spec: RuleSpec, c: tuple) -> list[dict]:
    i_, p, ic, s, dh, sp, dp, _u, _g, af = c
    pnum = p[0] if p else None
    flags = None
    if pnum in (None, 6):
        if spec.flags == "any":
            flags = None
        elif spec.flags is not None:
            flags = spec.flags
        elif spec.kind == "pass" and spec.state != "no" and not spec.fragment:
            flags = (0x02, 0x12)
    state = None
    if spec.kind == "pass":
        state = spec.state or "keep"
    block = None
    if spec.kind == "block":
        block = spec.block or spec.policy
    d = {
        "path": spec.origin.path, "line": spec.origin.line, "anchor": spec.anchor,
        "action": spec.kind, "block": block, "direction": spec.direction, "log": spec.log,
        "quick": spec.quick, "interface": None if i_ is None else ("!" if i_[0] else "") + i_[1],
        "af": af, "proto": pnum, "src": s.shown(), "dst": dh.shown(),
        "sport": sp.ranges() if sp is not None else None, "dport": dp.ranges() if dp is not None else None,
        "flags": flags, "icmp": ic, "state": state,
    }
    out = [d]
    if "binat-to" in spec.redirect:
        hosts = spec.redirect["binat-to"][0]
        back = dict(d)
        back.update({"direction": "in", "src": dh.shown(), "dst": hosts[0].shown() if hosts else "any",
                     "sport": d["dport"], "dport": d["sport"]})
        d["direction"] = "out"
        out.append(back)
    return out
