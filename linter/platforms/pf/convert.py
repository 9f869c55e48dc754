"""pf's vendor objects -> the normalized model: one `Filter("pf")`, last match, default
accept, bound in and out; each rule the union of its pfctl combinations (the same packet set
as pfctl's expanded rules) and its `Alteration`s.

Layer: platforms/pf. Conventions (docs/pf-support.md has the support table):

- Rule 0 is a quick accept of packets of existing states (STATE ESTABLISHED or RELATED)
  when a pass rule keeps state; `set skip on IF` adds a quick accept on IF.
- Tables are resolved here (an anchor's own tables first), anchors are put in place (their
  rules carry the anchor rule's conditions), and what is never used is noted.
"""

from __future__ import annotations

import dataclasses
import re

from ... import limits
from ... import model as m
from ...ranges import merge, merge3
from . import checks
from .diagnostics import Report, short
from .lexer import Macros
from .vendor import Host, PfConfig, RuleSpec, Ruleset, effects
from .vocab import DRIVER_GROUPS, KIND_WORDS


class Converter:
    def __init__(self, config: PfConfig, macros: Macros, report: Report) -> None:
        self.config = config
        self.macros = macros
        self.report = report
        self.tables_used: set[tuple[str, str]] = set()  # (anchor, name) of the tables rules use
        # each reported once: tables used and not defined, tables only approximated
        self.undefined_tables: set[str] = set()
        self.approximate_tables: set[tuple[str, str]] = set()

    def finish(self):
        checks.check_queues(self.report, self.config)
        rules_specs = self.flatten("", [], set())
        filters, alterations = self.to_model(rules_specs)
        called = {e[2] for rs in self.config.rulesets.values() for e in rs.entries if isinstance(e, tuple)}
        for path, fname, origin, _tok in self.config.load_anchors:
            if path not in called and self.config.rulesets.get(path) is not None and self.config.rulesets[path].filled:
                self.report.at_origin(origin, "note", "unused-anchor",
                                      f"anchor {path!r} is loaded from {fname!r} but no anchor rule calls "
                                      "it: its rules never "
                                      f"apply", "anchor")
        for name, origin in self.macros.defined_at.items():
            if name not in self.macros.used:
                self.report.at_origin(origin, "note", "unused-macro",
                                      f"macro {name} is defined and never used",
                                      "macro")
        for key, t in self.config.tables.items():
            if key not in self.tables_used and key[1] not in self.config.overload_tables:
                o = t["origin"]
                self.report.at_origin(o, "note", "unused-table", f"table <{key[1]}> is defined and never used",
                                      "table")
        return filters, alterations

    def flatten(self, path: str, anchor_specs: list[RuleSpec],
                active: set[str]) -> list[tuple[RuleSpec, list[RuleSpec]]]:
        """The rules of a ruleset in evaluation order, each with the anchor rules around it.

        A walk with its own stack (anchors may be called from anchors up to pf's limit, and
        further in a hostile file): each frame is a ruleset's entries, the anchor rules
        around it and the rulesets being evaluated (to find an anchor that calls itself).
        """
        out: list[tuple[RuleSpec, list[RuleSpec]]] = []
        rs = self.config.rulesets.get(path)
        if rs is None:
            return out
        frames = [(iter(rs.entries), anchor_specs, active)]
        while frames:
            entries, around, calling = frames[-1]
            e = next(entries, None)
            if e is None:
                frames.pop()
                continue
            if isinstance(e, RuleSpec):
                out.append((e, around))
                continue
            _, aspec, child = e
            crs = self.called_ruleset(aspec, child, calling)
            if crs is None:
                continue
            if len(around) + 1 >= limits.MAX_ANCHOR_DEPTH:
                self.anchor_call_too_deep(aspec, child, len(around) + 1)
                continue
            frames.append((iter(crs.entries), around + [aspec], calling | {child}))
        return out

    def called_ruleset(self, aspec: RuleSpec, child: str, calling: set[str]) -> Ruleset | None:
        """The ruleset an anchor rule evaluates, or None (reported) when its rules are not known."""
        name = aspec.anchor_name or child
        o = aspec.origin
        if "*" in child:
            self.report.at_origin(o, "warning", "anchor-rules-unavailable",
                                  f"anchor {name!r}: its sub-anchors are filled at run time; their rules are "
                                  "not known and "
                                  f"fwlint analyses as if they were empty", "anchor")
            return None
        if child in calling:
            self.report.diag(o.path, o.line, 1, "error", "anchor-loop", f"anchor {name!r} calls itself", "anchor",
                             text=o.text)
            return None
        crs = self.config.rulesets.get(child)
        if crs is None or not crs.filled:
            self.report.at_origin(o, "warning", "anchor-rules-unavailable",
                                  f"anchor {name!r} has no rules in this configuration (no body, no readable "
                                  "'load anchor'): "
                                  f"they are loaded at run time and fwlint analyses as if it were empty", "anchor")
            return None
        return crs

    def anchor_call_too_deep(self, aspec: RuleSpec, child: str, depth: int) -> None:
        """An anchor called past MAX_ANCHOR_DEPTH (anchors naming others by absolute path, or
        loaded files): reported at the anchor rule; its rules, and those of the anchors it
        calls, are not analysed and their lines count as not understood."""
        o = aspec.origin
        self.report.at_origin(o, "error", "nesting-limit",
                              f"anchor {short(aspec.anchor_name or child)!r} is called {depth} anchors deep: "
                              "pf evaluates at "
                              f"most {limits.MAX_ANCHOR_DEPTH - 1} nested anchors (linter/limits.py "
                              "MAX_ANCHOR_DEPTH, pf's "
                              f"PF_ANCHOR_STACK_MAX): its rules are not analysed", "anchor")
        seen = {child}
        todo = [child]
        while todo:
            rs = self.config.rulesets.get(todo.pop())
            for e in rs.entries if rs is not None else ():
                spec = e if isinstance(e, RuleSpec) else e[1]
                first = spec.origin.line
                self.report.not_understood(spec.origin.path, first, first + spec.origin.text.count("\n"))
                if not isinstance(e, RuleSpec) and e[2] not in seen:
                    seen.add(e[2])
                    todo.append(e[2])

    def to_model(self, flat: list[tuple[RuleSpec, list[RuleSpec]]]):
        rules: list[m.Rule] = []
        front: list[m.Rule] = []
        alterations: list[m.Alteration] = []
        first_state: m.Origin | None = None
        for origin, ifs, _anchor in self.config.skips:
            cond = self.iface_conds(None, ifs)
            front.append(m.Rule(m.Match(tuple(cond)), m.Action("accept"), origin, quick=True,
                                comment="set skip on: pf does not filter on this interface"))
        natpass: list[m.Rule] = []
        for spec, anchors in flat:
            try:
                built = self.spec_model(spec, anchors)
            except Exception as e:  # pragma: no cover - defensive
                o = spec.origin
                self.report.diag(o.path, o.line, 1, "error", "internal",
                                 f"could not convert this rule: {type(e).__name__}: {e}",
                                 text=o.text)
                continue
            if built is None:
                continue
            rlist, alts = built
            alterations.extend(alts)
            for r in rlist:
                if spec.kind in ("nat", "rdr", "binat"):
                    natpass.append(r)
                else:
                    rules.append(r)
                if first_state is None and r.action.kind == "accept" and (spec.keeps_state or spec.natpass):
                    first_state = r.origin
        if first_state is None:
            for r in natpass:
                first_state = r.origin
                break
        head: list[m.Rule] = []
        if first_state is not None:
            head.append(m.Rule(m.Match((m.IntCond(m.STATE, ((1, 2),)),)), m.Action("accept"), first_state, quick=True,
                               comment="state table: packets of connections a pass rule admitted", synthetic=True))
        allrules = head + front + natpass + rules
        allrules = [_reindex(r, i) for i, r in enumerate(allrules)]
        filt = m.Filter(name="pf", rules=tuple(allrules), default=m.Action("accept"), discipline="last-match",
                        table="", builtin=True, family=None)
        return [filt], alterations

    def spec_model(self, spec: RuleSpec, anchors: list[RuleSpec]):
        """A rule's model rules and alterations (None: it matches nothing)."""
        anchor_conds: list = []
        for a in anchors:
            anchor_conds.extend(self.match_conds(a, for_anchor=True))
        if spec.kind == "antispoof":
            return self.antispoof_rules(spec, tuple(anchor_conds)), []
        conds = self.match_conds(spec)
        if conds is None:
            return None
        match = m.Match(tuple(anchor_conds) + tuple(conds))
        o = spec.origin
        rules: list[m.Rule] = []
        if spec.kind in ("pass", "block", "match"):
            rules.append(m.Rule(match, _filter_action(spec), o, quick=spec.quick, comment=spec.label,
                                anchor=spec.anchor, effects=effects(spec)))
        elif spec.kind in ("nat", "rdr", "binat") and spec.natpass:
            rules.append(m.Rule(match, m.Action("accept"), o, quick=True,
                                comment=f"{spec.kind} pass: translated packets skip the filter rules",
                                anchor=spec.anchor))
        return rules, _alterations(spec, match)

    def antispoof_rules(self, spec: RuleSpec, anchor_conds: tuple) -> list[m.Rule]:
        out = []
        o = spec.origin
        for neg, name in spec.ifaces or []:
            if neg:
                continue
            base = name[1:-1] if name.startswith("(") and name.endswith(")") else name
            fam = [m.IntCond(m.FAMILY, ((spec.af, spec.af),))] if spec.af else []
            inbound = m.IntCond(m.DIRECTION, ((0, 0),))
            other_if = self.iface_cond(m.IN_IFACE, [(True, base)])
            net = m.Opaque(f"src {base}:network", f"from {base}:network (the networks of interface {base})")
            own = m.Opaque(f"src {base}", f"from {base} (the addresses of interface {base})")
            match = m.Match(anchor_conds + (inbound,) + tuple(other_if) + tuple(fam) + (net,))
            out.append(m.Rule(match, m.Action("drop"), o,
                              quick=spec.quick, comment=f"antispoof for {name}: from its network on another interface",
                              anchor=spec.anchor))
            if not _is_loopback(base):
                out.append(m.Rule(m.Match(anchor_conds + (inbound,) + tuple(fam) + (own,)), m.Action("drop"), o,
                                  quick=spec.quick, comment=f"antispoof for {name}: from its own addresses",
                                  anchor=spec.anchor))
        return out

    def match_conds(self, spec: RuleSpec, for_anchor: bool = False) -> list | None:
        """The conditions of a rule: the union of its pfctl combinations."""
        combos = spec.combos
        if not combos:
            return [] if for_anchor else None
        dir_cond = []
        if spec.direction == "in":
            dir_cond = [m.IntCond(m.DIRECTION, ((0, 0),))]
        elif spec.direction == "out":
            dir_cond = [m.IntCond(m.DIRECTION, ((1, 1),))]
        ifs = [c[0] for c in combos if c[0] is not None]
        ifs = list(dict.fromkeys(ifs))
        common: list = []
        if ifs:
            common.extend(self.iface_conds(spec.direction, ifs))
        else:
            common.extend(dir_cond)
        # groups by (af, proto)
        groups: dict[tuple, list] = {}
        for c in combos:
            pnum = c[1][0] if c[1] else None
            groups.setdefault((c[9], pnum), []).append(c)
        alts: list[list] = []
        for (af, pnum), cs in groups.items():
            gc: list = []
            if pnum is not None:
                gc.append(m.IntCond(m.PROTO, ((pnum, pnum),)))
            src = self.addr_conds(m.SRC, cs, 3, spec)
            dst = self.addr_conds(m.DST, cs, 4, spec)
            implied = any(len(x) == 1 and isinstance(x[0], m.AddrCond) and not x[0].negated
                          and all(r[0] == af for r in x[0].ranges) for x in (src, dst))
            if af and (spec.af or not implied):
                gc.append(m.IntCond(m.FAMILY, ((af, af),)))
            gc.extend(src)
            gc.extend(dst)
            gc.extend(_port_conds(m.SPORT, [c[5] for c in cs]))
            gc.extend(_port_conds(m.DPORT, [c[6] for c in cs]))
            icmps = list(dict.fromkeys(c[2] for c in cs if c[2] is not None))
            if icmps:
                rs = []
                for t, code in icmps:
                    rs.append((t << 8, (t << 8) | 255) if code is None else ((t << 8) | code, (t << 8) | code))
                gc.append(m.IntCond(m.ICMP, merge(rs)))
            alts.append(gc)
        alts = _merge_alternatives(alts)
        if len(alts) == 1:
            body = alts[0]
        else:
            shared = [c for c in alts[0] if all(c in a for a in alts[1:])]
            rest = [tuple(c for c in a if c not in shared) for a in alts]
            body = shared + [m.AnyCond(tuple(m.Match(r) for r in rest))]
        extra = []
        if not for_anchor:
            extra.extend(self.flag_conds(spec))
        if spec.users:
            extra.append(m.Opaque("user " + ", ".join(spec.users), "user " + ", ".join(spec.users)))
        if spec.groups:
            extra.append(m.Opaque("group " + ", ".join(spec.groups), "group " + ", ".join(spec.groups)))
        extra.extend(spec.conds)
        return common + body + extra

    def flag_conds(self, spec: RuleSpec) -> list:
        protos = [n for n, _ in spec.protos] if spec.protos else None
        may_tcp = protos is None or 6 in protos
        if not may_tcp or spec.kind not in ("pass", "block", "match"):
            return []
        if spec.flags == "any":
            return []
        if spec.flags is None:
            if spec.kind != "pass" or spec.state == "no" or spec.fragment:
                return []
            comp, mask = 0x02, 0x12
        else:
            comp, mask = spec.flags
            if protos == [6]:
                return [m.FlagsCond(mask, comp)]
        return [m.AnyCond((m.Match((m.IntCond(m.PROTO, ((6, 6),), negated=True),)),
                           m.Match((m.FlagsCond(mask, comp),))))]

    def iface_conds(self, direction: str | None, ifs: list[tuple[bool, str]]) -> list:
        if direction == "in":
            return [m.IntCond(m.DIRECTION, ((0, 0),))] + self.iface_cond(m.IN_IFACE, ifs)
        if direction == "out":
            return [m.IntCond(m.DIRECTION, ((1, 1),))] + self.iface_cond(m.OUT_IFACE, ifs)
        a = m.Match(tuple([m.IntCond(m.DIRECTION, ((0, 0),))] + self.iface_cond(m.IN_IFACE, ifs)))
        b = m.Match(tuple([m.IntCond(m.DIRECTION, ((1, 1),))] + self.iface_cond(m.OUT_IFACE, ifs)))
        return [m.AnyCond((a, b))]

    def iface_cond(self, fieldname: str, ifs: list[tuple[bool, str]]) -> list:
        pos_names: list[str] = []
        others: list = []
        for neg, name in ifs:
            if name == "any":
                if not neg:
                    return []
                others.append(m.IntCond(m.DIRECTION, (), False))  # matches nothing
                continue
            c = _iface_atom(fieldname, name, neg)
            if isinstance(c, m.IfaceCond) and not neg:
                pos_names.extend(c.names)
            else:
                others.append(c)
        atoms: list = []
        if pos_names:
            atoms.append(m.IfaceCond(fieldname, tuple(dict.fromkeys(pos_names))))
        atoms.extend(others)
        if len(atoms) == 1:
            return atoms
        return [m.AnyCond(tuple(m.Match((a,)) for a in atoms))]

    def addr_conds(self, fieldname: str, cs: list, k: int, spec: RuleSpec) -> list:
        hosts = list({id(c[k]): c[k] for c in cs}.values())
        if any(h.kind == "any" for h in hosts):
            return []
        pos_ranges: list = []
        has_pos = False
        atoms: list = []
        for h in hosts:
            got = self.host_cond(fieldname, h, spec)
            if isinstance(got, m.AddrCond) and not got.negated:
                pos_ranges.extend(got.ranges)
                has_pos = True
            else:
                atoms.append(got)
        out: list = []
        if has_pos and (pos_ranges or not atoms):
            out.append(m.AddrCond(fieldname, merge3(pos_ranges)))
        out.extend(atoms)
        if len(out) <= 1:
            return out
        return [m.AnyCond(tuple(m.Match((a,)) for a in out))]

    def host_cond(self, fieldname: str, h: Host, spec: RuleSpec):
        which = "src" if fieldname == m.SRC else "dst"
        if h.kind == "addr":
            return m.AddrCond(fieldname, h.ranges, h.neg)
        if h.kind == "table":
            return self.table_cond(fieldname, h, spec)
        key, description = _OPAQUE_HOSTS.get(h.kind, _HOST_NAME)
        words = {"which": which, "kw": "from" if which == "src" else "to", "text": h.text, "name": h.name}
        return m.Opaque(key.format(**words), description.format(**words), h.neg)

    def table_key(self, anchor: str, name: str) -> tuple[str, str] | None:
        """The table <name> a rule of `anchor` uses: the anchor's own, else its parents'."""
        scope = anchor
        while True:
            if (scope, name) in self.config.tables:
                return scope, name
            if not scope:
                return None
            scope = scope.rpartition("/")[0]

    def table_cond(self, fieldname: str, h: Host, spec: RuleSpec):
        which = "src" if fieldname == m.SRC else "dst"
        name = h.name
        key = self.table_key(spec.anchor, name)
        t = self.config.tables[key] if key is not None else None
        o = spec.origin
        if t is None:
            if name not in self.undefined_tables:
                self.undefined_tables.add(name)
                self.report.diag(o.path, o.line, 1, "warning", "undefined-table",
                                 f"table <{name}> is used but never defined: pfctl creates it empty, and "
                                 "fwlint analyses "
                                 f"it as empty (only 'pfctl -t {name} -T add' can fill it, at run time)", "table",
                                 text=o.text)
            return m.AddrCond(fieldname, (), h.neg)
        self.tables_used.add(key)
        exact = not t["opaque"] and all(x.kind == "addr" and not x.neg for x in t["hosts"])
        if exact and not t["hosts"] and "persist" in t["flags"]:
            exact = False
        if name in self.config.overload_tables:
            exact = False
        if exact:
            rs = []
            for x in t["hosts"]:
                rs.extend(x.ranges)
            return m.AddrCond(fieldname, merge3(rs), h.neg)
        why = _unknown_because(t, name in self.config.overload_tables)
        if key not in self.approximate_tables:
            self.approximate_tables.add(key)
            self.report.at_origin(o, "note", "approximate",
                                  f"table <{name}>: {'; '.join(why)}: an unknown set of addresses", "table")
        return m.Opaque(f"table <{name}> {which}", f"table <{name}> ({'; '.join(why)})", h.neg)


def _unknown_because(t: dict, overloaded: bool) -> list[str]:
    """Why a table's addresses are not known (each reason in words)."""
    why = list(t["opaque"])
    if any(x.neg for x in t["hosts"]):
        why.append("negated entries")
    kinds = sorted({x.kind for x in t["hosts"] if x.kind != "addr"})
    if kinds:
        why.append("entries known only at load time: " + ", ".join(KIND_WORDS.get(k, k) for k in kinds))
    if overloaded:
        why.append("filled at run time by 'overload'")
    elif not t["hosts"] and not t["opaque"]:
        why.append("no addresses in the configuration (a persist table, filled at run time)")
    return why


def _filter_action(spec: RuleSpec) -> m.Action:
    if spec.kind == "pass":
        return m.Action("accept")
    if spec.kind == "match":
        return m.Action("continue")
    b = spec.block if spec.block is not None else spec.policy
    if b == "drop":
        return m.Action("drop")
    detail = spec.block_detail or b
    if spec.block is None:
        detail = "return (set block-policy return)"
    return m.Action("reject", detail=detail)


def _alterations(spec: RuleSpec, match: m.Match) -> list[m.Alteration]:
    """What a rule changes in the packets it matches: translations, af-to, route-to, and its
    other alterations (tag, queue, scrub...)."""
    o = spec.origin
    kind = spec.kind

    def alteration(akind: str, stage: str, params: list | tuple, desc: str) -> m.Alteration:
        return m.Alteration(akind, match, o, stage, "", "pf", tuple(params), desc)

    alts = [alteration(*_redirect_words(spec, k, got)) for k, got in spec.redirect.items()]
    if spec.no and not spec.redirect:
        alts.append(alteration("no-" + kind, {"nat": "out", "rdr": "in"}.get(kind, ""), (),
                               f"no {kind}: these packets are not translated"))
    if spec.afto is not None:
        af, frm, to = spec.afto
        params = [("af", "inet6" if af == 6 else "inet"), ("from", ", ".join(h.shown() for h in frm))]
        if to:
            params.append(("to", ", ".join(h.shown() for h in to)))
        alts.append(alteration("af-to", "in", params, "af-to " + " ".join(f"{k} {v}" for k, v in params)))
    if spec.route is not None:
        rk, hosts, pool = spec.route
        params = [("kind", rk), ("to", ", ".join(_route_shown(h) for h in hosts))]
        if pool:
            params.append(("pool", pool))
        alts.append(alteration("route", spec.direction or "", params,
                               f"{rk} " + ", ".join(_route_shown(h) for h in hosts) + (f" {pool}" if pool else "")))
    for akind, stage, params, desc in spec.alters:
        alts.append(alteration(akind, stage or spec.direction or "", params, desc))
    if kind == "scrub" and not any(a[0] == "scrub" for a in spec.alters):
        alts.append(alteration("scrub", spec.direction or "", (), "scrub"))
    return alts


# the stage of each translation (binat-to both ways)
_STAGE_OF = {"nat-to": "out", "rdr-to": "in", "binat-to": "", "af-to": "in"}


def _redirect_words(spec: RuleSpec, k: str, got: tuple) -> tuple[str, str, list, str]:
    """(kind, stage, params, description) of a translation (nat-to, rdr-to, binat-to; the old
    nat, rdr and binat rules, and their `no` forms)."""
    hosts, port, pool = got
    akind = ("no-" if spec.no else "") + k[:-3]
    targets = ", ".join(h.shown() for h in hosts)
    params = [("to", targets)]
    if port:
        params.append(("port", port))
    if pool:
        params.append(("pool", pool))
    desc = f"{k} " + targets + (f" port {port}" if port else "") + (f" {pool}" if pool else "")
    if spec.kind in ("nat", "rdr", "binat"):
        desc = f"{'no ' if spec.no else ''}{spec.kind}" + (" -> " + targets if hosts else "")
    return akind, _STAGE_OF.get(k, spec.direction or ""), params, desc


# the hosts known only when the rules are loaded or a packet is seen: (condition key,
# description) of their opaque condition
_OPAQUE_HOSTS = {
    "dyn": ("{which} {text}", "{kw} {text} (the current addresses of interface {name})"),
    "iface": ("{which} {text}", "{kw} {text} (the addresses of interface {name} when the rules are loaded)"),
    "self": ("{which} self", "{kw} self (the addresses of this machine)"),
    "noroute": ("{which} no-route", "{kw} no-route (no route to the address)"),
    "urpf": ("{which} urpf-failed", "{kw} urpf-failed (the source fails the unicast reverse path check)"),
    "route": ("{which} {text}", "{kw} {text} (addresses routed with label {name})"),
}
_HOST_NAME = ("{which} host {text}", "{kw} {text} (a host name resolved when the rules are loaded)")


def _reindex(r: m.Rule, i: int) -> m.Rule:
    return dataclasses.replace(r, index=i)


def _merge_alternatives(alts: list[list]) -> list[list]:
    """Union of conjunctions: two that differ in one condition on the same field, both
    positive ranges (protocol, addresses), become one with the union of the ranges.

    (ASA's `services.merge_alternatives` merges the same way but field by field, in a fixed
    order of fields, and puts the merged alternatives first: one algorithm for both would
    reorder the alternatives of some rules, `pass from { (em0) 10.0.0.0/8 } to { ::1 (em1) }`
    here or a service group there, and so change the model. Left as two until the goldens
    may change.)"""
    alts = [list(a) for a in alts]
    changed = True
    while changed and len(alts) > 1:
        changed = False
        for i in range(len(alts)):
            for j in range(i + 1, len(alts)):
                a, b = alts[i], alts[j]
                if len(a) != len(b):
                    continue
                diff = [k for k in range(len(a)) if a[k] != b[k]]
                if len(diff) != 1:
                    continue
                x, y = a[diff[0]], b[diff[0]]
                if type(x) is not type(y) or x.field != y.field or getattr(x, "negated", True) or y.negated:
                    continue
                if isinstance(x, m.IntCond):
                    a[diff[0]] = m.IntCond(x.field, merge(list(x.ranges) + list(y.ranges)))
                elif isinstance(x, m.AddrCond):
                    a[diff[0]] = m.AddrCond(x.field, merge3(list(x.ranges) + list(y.ranges)))
                else:
                    continue
                del alts[j]
                changed = True
                break
            if changed:
                break
    return alts


def _port_conds(fieldname: str, ports: list) -> list:
    ps = list(dict.fromkeys(p.shown() for p in ports if p is not None))
    objs = {p.shown(): p for p in ports if p is not None}
    if not ps:
        return []
    if len(ps) == 1 and objs[ps[0]].op == "!=":
        a = objs[ps[0]].a
        return [m.IntCond(fieldname, ((a, a),), negated=True)]
    rs: list = []
    for s in ps:
        rs.extend(objs[s].ranges())
    return [m.IntCond(fieldname, merge(rs))]


def _is_loopback(name: str) -> bool:
    return re.fullmatch(r"lo[0-9]*", name) is not None


def _iface_atom(fieldname: str, name: str, neg: bool):
    base = name
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*[0-9]", base):
        return m.IfaceCond(fieldname, (base,), neg)
    if base in DRIVER_GROUPS:
        return m.IfaceCond(fieldname, (base + "+",), neg)
    return m.Opaque(f"{fieldname} group {base}",
                    f"{'in' if fieldname == m.IN_IFACE else 'out'} on interface group {base} (members known "
                    "at run time)",
                    neg)


def _route_shown(h: Host) -> str:
    if h.name and h.kind == "addr":
        return f"({h.name} {h.text})"
    return h.shown()
