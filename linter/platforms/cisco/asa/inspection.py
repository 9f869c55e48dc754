"""Inspection and MSS: class-map, policy-map, service-policy (the modular policy framework),
PIX `fixup protocol`, and `sysopt connection tcpmss`; each a `model.Alteration`.

Layer: platform (Cisco ASA).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable, Iterator

from .... import model as m
from ....names import read_int
from .report import Drop, Report
from .services import Services, alts_conds, merge_alternatives, proto_cond
from .vendor import AsaConfig, Line, descendants
from .vocab import FIXUP_TRANSPORT, INSPECT_DEFAULTS

if TYPE_CHECKING:  # pragma: no cover
    from .acl import AclConverter
    from .reader import Reader
    from .security_levels import SecurityLevels


class InspectionCommands:
    def commands(self) -> dict[str, Callable[[Line], Iterator[Line] | None]]:
        """The commands this object reads: word -> handler."""
        return {"class-map": self.cmd_class_map, "policy-map": self.cmd_policy_map,
                "service-policy": self.cmd_service_policy, "fixup": self.cmd_fixup}

    def __init__(self, reader: "Reader") -> None:
        self.reader = reader
        self.report = reader.report
        self.inspection = reader.config.inspection

    def cmd_class_map(self, node: Line) -> Iterator[Line]:
        w = node.words
        if len(w) >= 2 and w[1].lower() == "type":
            self.report.other(node)  # inspection class maps: parameters of an engine
            return
        self.report.relevant(node)
        if len(w) != 2:
            self.report.diag(node, node.col(min(2, len(w) - 1)), "error", "syntax",
                             "class-map: expected a name", "class-map")
            self.report.not_read(node, "relevant")
            return
        name = w[1]
        self.inspection.class_maps[name] = []
        self.inspection.class_map_origin[name] = self.report.origin(node)

        def child(c: Line) -> None:
            self.report.relevant(c)
            if c.words[0].lower() == "match":
                self.inspection.class_maps[name].append(c)
            elif c.words[0].lower() != "description":
                self.report.diag(c, c.indent + 1, "error", "syntax", f"class-map {name}: expected match or description",
                                 "class-map")

        yield from self.reader.children(node, child, "class-map")

    def cmd_policy_map(self, node: Line) -> Iterator[Line]:
        w = node.words
        if len(w) >= 2 and w[1].lower() == "type":
            self.report.other(node)
            self.reader.last_block = ("policy-map-inspect", lambda c: self.report.other(c))
            return
        self.report.relevant(node)
        if len(w) != 2:
            self.report.diag(node, node.col(min(2, len(w) - 1)), "error", "syntax", "policy-map: expected a name",
                             "policy-map")
            self.report.not_read(node, "relevant")
            return
        name = w[1]
        classes = self.inspection.policy_maps.setdefault(name, [])
        self.inspection.policy_map_origin.setdefault(name, self.report.origin(node))

        def child(c: Line) -> None:
            cw = c.words
            k = cw[0].lower()
            if k == "class" and len(cw) == 2:
                self.report.relevant(c)
                actions: list[Line] = []
                classes.append((cw[1], c, actions))
                for a in descendants(c):  # the class's mode: every line under it, at any depth
                    ak = a.words[0].lower()
                    if ak == "inspect":
                        self.report.relevant(a)
                        actions.append(a)
                    elif ak in ("set", "police"):
                        self.report.relevant(a)
                        self.report.diag(a, a.indent + 1, "note", "approximate",
                                         f"{a.head(3)}: connection limits and policing drop packets at run time; not "
                                         f"modelled", "policy-map")
                    elif ak in ("ips", "csc", "cxsc", "sfr"):
                        self.report.relevant(a)
                        self.report.diag(a, a.indent + 1, "warning", "unsupported",
                                         f"{ak}: traffic sent to a service module (which may drop it) is not modelled",
                                         "policy-map")
                    else:
                        self.report.other(a)
            elif k in ("description", "parameters"):
                self.report.other(c)
            else:
                self.report.relevant(c)
                self.report.diag(c, c.indent + 1, "error", "syntax",
                                 f"policy-map {name}: expected class or description",
                                 "policy-map")

        yield from self.reader.children(node, child, "policy-map", handler_reads_children=True)

    def cmd_service_policy(self, node: Line) -> None:
        self.report.relevant(node)
        w = node.words
        lw = [x.lower() for x in w]
        if len(w) == 3 and lw[2] == "global":
            self.inspection.service_policies = [s for s in self.inspection.service_policies if s[1] is not None]
            self.inspection.service_policies.append((w[1], None, node))
        elif len(w) == 4 and lw[2] == "interface":
            self.inspection.service_policies = [s for s in self.inspection.service_policies if s[1] != w[3]]
            self.inspection.service_policies.append((w[1], w[3], node))
        else:
            self.report.diag(node, node.col(min(2, len(w) - 1)), "error", "syntax",
                             "service-policy: expected `service-policy NAME global` or `... interface IF`",
                             "service-policy")


# --------------------------------------------------------------------------- converter: addresses, services, groups

    def cmd_fixup(self, node: Line) -> None:
        self.report.relevant(node)
        if len(node.words) < 3 or node.words[1].lower() != "protocol":
            self.report.diag(node, node.col(1), "error", "syntax",
                             "fixup: expected `fixup protocol NAME [PORT]`", "fixup")
            return
        self.inspection.fixups.append(node)


class InspectionConverter:
    def __init__(self, report: Report, config: AsaConfig, services: Services, acl: "AclConverter",
                 levels: "SecurityLevels") -> None:
        self.report = report
        self.inspection = config.inspection
        self.services = services
        self.acl = acl
        self.levels = levels

    def _inspect_conds(self, key: str, line: Line, col: int) -> tuple:
        spec = INSPECT_DEFAULTS.get(key) or INSPECT_DEFAULTS.get(key.split()[0])
        if spec is None:
            self.report.diag(line, col, "note", "approximate",
                             f"inspect {key}: fwlint does not know the default traffic of this engine; matched as an "
                             f"unknown condition", "inspect")
            return (m.Opaque(f"inspect {key} default traffic", f"default traffic of inspect {key}"),)
        alts = []
        for proto, lo, hi in spec:
            a: tuple = (proto_cond((proto,)),)
            if lo is not None:
                a += (m.IntCond(m.DPORT, ((lo, hi),)),)
            alts.append(a)
        return alts_conds(merge_alternatives(alts))

    def _class_conds(self, cname: str, cline: Line) -> tuple[bool, list]:
        """(uses default-inspection-traffic, the other conditions of the class)."""
        default = False
        conds: list = []
        for ml in self.inspection.class_maps[cname]:
            w = ml.words
            lw = [x.lower() for x in w]
            k = lw[1] if len(w) > 1 else ""
            try:
                if k == "default-inspection-traffic":
                    default = True
                elif k == "any":
                    pass
                elif k == "access-list" and len(w) == 3:
                    conds.extend(self.acl.match(w[2], ml, ml.col(2), "class-map"))
                elif k == "port" and len(w) >= 5 and lw[2] in ("tcp", "udp"):
                    _j, c = self.services.port_op(ml, 3, m.DPORT, (lw[2],))
                    conds.extend([proto_cond((6 if lw[2] == "tcp" else 17,)), c])
                else:
                    what = " ".join(w[1:])
                    self.report.diag(ml, ml.col(1), "note", "approximate",
                                     f"class-map {cname}: `match {what}` is matched as an unknown condition",
                                     "class-map")
                    conds.append(m.Opaque(f"class-map {cname} match {what}", f"match {what}"))
            except Drop as d:
                self.report.drop(ml, d)
                conds.append(m.AnyCond(()))
        return default, conds

    def inspect_alterations(self) -> list[m.Alteration]:
        out: list[m.Alteration] = []
        for pm, iface, sline in self.inspection.service_policies:
            classes = self.inspection.policy_maps.get(pm)
            if classes is None:
                self.report.diag(sline, sline.col(1), "error", "undefined-reference", f"policy-map {pm} is not defined",
                                 "service-policy")
                continue
            base: list = []
            if iface is not None:
                self.levels.check_nameif(iface, sline, sline.col(3))
                base.append(m.IfaceCond(m.IN_IFACE, (iface,)))
            for cname, cline, actions in classes:
                if cname == "class-default":
                    default, conds = False, []
                elif cname not in self.inspection.class_maps:
                    self.report.diag(cline, cline.col(1), "error", "undefined-reference",
                                     f"class-map {cname} is not defined",
                                     "policy-map")
                    continue
                else:
                    default, conds = self._class_conds(cname, cline)
                for a in actions:
                    aw = [x.lower() for x in a.words]
                    if len(aw) < 2:
                        self.report.diag(a, a.col(0), "error", "syntax", "inspect: the engine is missing", "inspect")
                        continue
                    key = aw[1]
                    if len(aw) > 2 and (aw[1], aw[2]) in (("h323", "h225"), ("h323", "ras"), ("icmp", "error")):
                        key = f"{aw[1]} {aw[2]}"
                    match = list(base) + list(conds)
                    if default:
                        match.extend(self._inspect_conds(key, a, a.col(1)))
                    params = (("inspect", key), ("policy-map", pm), ("class", cname),
                              ("service-policy", iface or "global"))
                    out.append(m.Alteration("inspect", m.Match(tuple(match)), self.report.origin(a), "in",
                                            params=params,
                                            description=a.text.strip()))
        for f in self.inspection.fixups:
            w = [x.lower() for x in f.words[2:]]
            key = w[0]
            i = 1
            if len(w) > 1 and (w[0], w[1]) in (("h323", "h225"), ("h323", "ras"), ("sip", "udp"), ("icmp", "error")):
                key = f"{w[0]} {w[1]}"
                i = 2
            conds: tuple
            if i < len(w) and re.fullmatch(r"\d+(-\d+)?", w[i]):
                lo, _, hi = w[i].partition("-")
                proto = FIXUP_TRANSPORT.get(key, 6)
                conds = (proto_cond((proto,)), m.IntCond(m.DPORT, ((read_int(lo), read_int(hi or lo)),)))
            else:
                conds = self._inspect_conds(key.replace("sip udp", "sip"), f, f.col(2))
            params = (("inspect", key), ("fixup", " ".join(f.words[2:])))
            out.append(m.Alteration("inspect", m.Match(conds), self.report.origin(f), "in", params=params,
                                    description=f.text.strip()))
        return out

    def mss_alterations(self) -> list[m.Alteration]:
        out = []
        for line in self.inspection.mss:
            w = line.words
            params = (("minimum", w[4]),) if w[3].lower() == "minimum" else (("mss", w[3]),)
            out.append(m.Alteration("mss", m.Match((proto_cond((6,)),)), self.report.origin(line), "in", params=params,
                                    description=line.text.strip()))
        return out

    # -- what is defined and never used
