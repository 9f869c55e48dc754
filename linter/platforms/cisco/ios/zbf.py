"""The zone-based policy firewall: `zone security`, `zone-pair security`, `class-map type
inspect`, `policy-map type inspect` (read), and their conversion into filters bound on the
zone members (`ZoneFirewall`).

Layer: platforms (left of the model).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .... import model as m
from .... import names
from ....limits import MAX_CLASS_MAP_DEPTH
from ....ranges import merge
from ..common import NestedReader, Refused, words
from .conditions import NOTHING, acl_predicate, any_of, negation
from .object_groups import nested_members_budget
from .vendor import ClassMap, PolicyMap, ZonePair
from .vocab import L4_PROTOCOLS, PAM

if TYPE_CHECKING:
    from .convert import Converter

# a packet of a session the firewall has seen (the replies of inspected sessions)
ESTABLISHED_SESSION = m.IntCond(m.STATE, ((m.STATE_NUMBER["ESTABLISHED"], m.STATE_NUMBER["RELATED"]),))


def zone_pair(r, lineno: int, ws, lw) -> None:
    r.relevant(lineno)
    try:
        i_src = lw.index("source")
        i_dst = lw.index("destination")
        name = ws[2][0]
        src, dst = ws[i_src + 1], ws[i_dst + 1]
    except (ValueError, IndexError):
        r.diag(lineno, ws[0][1], "error", "syntax", "`zone-pair security NAME source Z1 destination Z2`",
               "zone-pair")
        return
    zp = ZonePair(name, src[0], dst[0], lineno, r.lines[lineno - 1].strip(), (src[1], dst[1]))
    r.config.zone_pairs.append(zp)

    def handler(ln: int, line: str, zp=zp) -> None:
        r.relevant(ln)
        w2 = words(line)
        l2 = [w.lower() for w, _ in w2]
        if l2[:3] == ["service-policy", "type", "inspect"] and len(w2) == 4:
            zp.policy = (w2[3][0], ln, w2[3][1])
        elif l2[0] != "description":
            r.diag(ln, w2[0][1], "warning", "unsupported", f"`{line.strip()}` in a zone-pair is not read",
                   "zone-pair")

    r.open_block(lineno, handler)


def class_map(r, lineno: int, ws, lw) -> None:
    r.relevant(lineno)
    rest = ws[3:]
    how = "match-all"
    if rest and rest[0][0].lower() in ("match-any", "match-all"):
        how = rest[0][0].lower()
        rest = rest[1:]
    if not rest:
        r.diag(lineno, ws[0][1], "error", "syntax", "a class-map needs a name", "class-map type inspect")
        return
    name = rest[0][0]
    cm = r.config.class_maps.get(name)
    if cm is None:
        cm = r.config.class_maps[name] = ClassMap(name, how, lineno, r.lines[lineno - 1].strip())

    def handler(ln: int, line: str, cm=cm) -> None:
        r.relevant(ln)
        w2 = words(line)
        l2 = [w.lower() for w, _ in w2]
        if l2[0] == "description":
            return
        if l2[0] != "match" or len(w2) < 3:
            r.diag(ln, w2[0][1], "error", "syntax", f"expected `match ...` in class-map {cm.name}",
                   "class-map type inspect")
            return
        negated = l2[1] == "not"
        a, la = (w2[2:], l2[2:]) if negated else (w2[1:], l2[1:])
        if la[0] == "access-group" and len(a) >= 2:
            ref = a[2] if la[1] == "name" and len(a) > 2 else a[1]
            cm.matches.append(("acl", ref[0], ln, ref[1], negated))
        elif la[0] == "protocol" and len(a) >= 2:
            if len(a) > 2:
                r.diag(ln, a[2][1], "note", "approximate",
                       f"`{' '.join(w for w, _ in a[2:])}` after the protocol is not read", "match protocol")
            cm.matches.append(("protocol", a[1][0], ln, a[1][1], negated))
        elif la[0] == "class-map" and len(a) == 2:
            cm.matches.append(("class", a[1][0], ln, a[1][1], negated))
        else:
            r.diag(ln, a[0][1], "warning", "unsupported", f"`{line.strip()}` is not modelled (matches unknown)",
                   "class-map match")
            cm.matches.append(("opaque", line.strip(), ln, a[0][1], negated))

    r.open_block(lineno, handler)


def policy_map(r, lineno: int, ws, lw) -> None:
    r.relevant(lineno)
    if len(ws) < 4:
        r.diag(lineno, ws[0][1], "error", "syntax", "a policy-map needs a name", "policy-map type inspect")
        return
    name = ws[3][0]
    pm = r.config.policy_maps.get(name)
    if pm is None:
        pm = r.config.policy_maps[name] = PolicyMap(name, lineno, r.lines[lineno - 1].strip())

    def handler(ln: int, line: str, pm=pm) -> None:
        r.relevant(ln)
        w2 = words(line)
        l2 = [w.lower() for w, _ in w2]
        if l2[0] == "description":
            return
        if l2[0] == "class":
            if l2[1:] == ["class-default"]:
                cname, col = "class-default", w2[1][1]
            elif l2[1:3] == ["type", "inspect"] and len(w2) == 4:
                cname, col = w2[3][0], w2[3][1]
            else:
                r.diag(ln, w2[0][1], "error", "syntax", "`class type inspect NAME` or `class class-default`",
                       "policy-map type inspect")
                return
            pm.classes.append({"name": cname, "line": ln, "col": col, "action": None, "aline": 0})
            return
        if not pm.classes:
            r.diag(ln, w2[0][1], "error", "syntax", "an action before any class", "policy-map type inspect")
            return
        cls = pm.classes[-1]
        if l2[0] in ("inspect", "pass", "drop"):
            if cls["action"] is not None:
                r.diag(ln, w2[0][1], "error", "invalid",
                       f"class {cls['name']} already has the action {cls['action']}", "policy-map type inspect")
                return
            cls["action"], cls["aline"] = l2[0], ln
            if l2[0] == "pass" and len(l2) > 1 and l2[1] != "log":
                r.diag(ln, w2[1][1], "note", "approximate", f"`{w2[1][0]}` after pass is not read",
                       "policy-map type inspect")
            return
        if l2[0] in ("police", "urlfilter", "service-policy", "log"):
            r.diag(ln, w2[0][1], "note", "approximate",
                   f"`{w2[0][0]}` in an inspect class is not modelled (the class's action decides)",
                   "policy-map type inspect")
            return
        r.diag(ln, w2[0][1], "warning", "unsupported", f"`{line.strip()}` in an inspect policy is not read",
               "policy-map type inspect")

    r.open_block(lineno, handler)


class _ClassMapReader(NestedReader):
    """The conditions of an inspect class-map with those it nests (`match class-map`)."""

    def __init__(self, zbf: "ZoneFirewall") -> None:
        super().__init__(MAX_CLASS_MAP_DEPTH, nested_members_budget())
        self.z = zbf

    def entries(self, name: str) -> list:
        return self.z.c.config.class_maps[name].matches

    def nested(self, name: str, match) -> str | None:
        kind, value, ln, col, _negated_match = match
        if kind != "class":
            return None
        c = self.z.c
        c.uses.class_maps.add(value)
        if value not in c.config.class_maps:
            c.diag(ln, col, "error", "undefined-reference", f"class-map {value} is not defined",
                   "class-map match class-map")
            return None
        return value

    @staticmethod
    def _negated(match, conds: tuple) -> tuple:
        if not match[4]:
            return conds
        return (negation(conds),) if conds else NOTHING

    def part(self, name: str, match) -> tuple:
        kind, value, ln, col, _negated_match = match
        return self._negated(match, self.z.match_conds(self.z.c.config.class_maps[name], kind, value, ln, col))

    def included(self, match, value) -> tuple:
        return self._negated(match, value)

    def cycle(self, name: str, match) -> tuple:
        _kind, value, ln, col, _negated_match = match
        self.z.c.diag(ln, col, "error", "invalid", f"class-map {value} contains itself", "class-map match class-map")
        return self._negated(match, NOTHING)

    def too_deep(self, name: str, match) -> int:
        return self._refuse(name, match, "nesting-limit", f"it would nest class-maps more than {self.limit} deep "
                            "(linter/limits.py MAX_CLASS_MAP_DEPTH)")

    def too_large(self, name: str, match, size: int) -> int:
        return self._refuse(name, match, "expansion-limit",
                            f"the {size} conditions of class-map {match[1]} would bring the conditions class-maps take "
                            f"from nested ones in this file past {self.budget} (linter/limits.py "
                            "MAX_NESTED_GROUP_MEMBERS)")

    def _refuse(self, name: str, match, code: str, why: str) -> int:
        _kind, value, ln, col, _negated_match = match
        self.z.c.diag(ln, col, "error", code,
                      f"match class-map {value}: class-map {name} is not resolved: {why}; it and the class-maps "
                      "that include it match as an unknown condition", "class-map match class-map")
        return ln

    def combine(self, name: str, parts: list) -> tuple:
        return self.z.combine_matches(self.z.c.config.class_maps[name], parts)


class ZoneFirewall:
    """Zone-based policy firewall as filters bound inbound on the member interfaces.

    - `zone-pair NAME` (source Z1, destination Z2): the classes of its inspect policy-map in
      order (inspect and pass accept, drop drops), each with the egress interface in Z2; then
      class-default (drop unless it says otherwise). Packets that do not leave through Z2 are
      not its business: default accept. When a zone-pair Z2 -> Z1 inspects, a first rule lets
      the packets of established sessions through (the replies of inspected sessions).
    - `zone Z`, bound on Z's members: replies of sessions inspected towards Z pass; traffic to
      every interface that is neither in Z (intra-zone) nor in a zone Z has a zone-pair to
      (another zone without a zone-pair, or an interface in no zone) is dropped; the rest
      passes on by default (to the zone-pair's filter, intra-zone, or to the router itself).
    - `zone (none)`, bound on interfaces in no zone: traffic to a zone member is dropped.
    """

    def __init__(self, conv: Converter, used: set) -> None:
        self.c = conv
        self.used = used
        self.inspect_notes: set[int] = set()
        self.pm_cache: dict[str, tuple] = {}
        self.cm_reader = _ClassMapReader(self)

    def build(self) -> tuple[list[m.Filter], list[m.Binding]]:
        c = self.c
        members = self.zone_members()
        pairs = self.modelled_pairs()
        zoned = {i for v in members.values() for i in v}
        for z, ln in c.config.zones.items():
            if not members[z] and not any(z in (zp.src, zp.dst) for zp in c.config.zone_pairs):
                c.diag(ln, 1, "note", "unused", f"zone {z} has no member interface and no zone-pair", "zone security")
        filters: list[m.Filter] = []
        bindings: list[m.Binding] = []
        # every policy-map and class-map is read once, used or not (undefined references are
        # reported wherever they are)
        for name in c.config.policy_maps:
            self.policy_map_rules(name)
        for cm in list(c.config.class_maps.values()):
            self.class_conds(cm)
        policies = {zp.name: self.policy_rules(zp) for zp in pairs}
        inspected = {(zp.src, zp.dst) for zp in pairs if policies[zp.name][1]}
        for zp in pairs:
            f = self.pair_filter(zp, members, policies[zp.name][0], inspected)
            filters.append(f)
            bindings.extend(m.Binding(f.name, "in", i) for i in members[zp.src])
        if zoned:
            for z, mem in members.items():
                if mem:
                    filters.append(self.zone_filter(z, members, pairs, inspected))
                    bindings.extend(m.Binding(filters[-1].name, "in", i) for i in mem)
        all_ifaces = list(c.config.ifaces)
        free = [i for i in all_ifaces if i not in zoned]
        if zoned and free:
            first = min(c.config.zones.values())
            origin = c.origin(first)
            rule = m.Rule(m.Match((m.IfaceCond(m.OUT_IFACE, tuple(sorted(zoned, key=all_ifaces.index))),)),
                          m.Action("drop"), origin, 0,
                          comment="interfaces in no zone: traffic to a zone member is dropped")
            filters.append(m.Filter("zone (none)", (rule,), m.Action("accept"), "first-match", "", True, None, origin))
            bindings.extend(m.Binding("zone (none)", "in", i) for i in free)
        return filters, bindings

    def zone_members(self) -> dict[str, list[str]]:
        """zone -> its member interfaces (the zone `default` takes the interfaces of no zone)."""
        c = self.c
        members: dict[str, list[str]] = {z: [] for z in c.config.zones}
        for itf in c.config.ifaces.values():
            if itf.zone:
                z, ln, col = itf.zone
                if z not in c.config.zones:
                    c.diag(ln, col, "error", "undefined-reference",
                           f"zone {z} is not defined (no `zone security {z}`): IOS rejects this zone-member",
                           "zone-member security")
                    continue
                members[z].append(itf.name)
        if "default" in c.config.zones:
            members["default"].extend(i.name for i in c.config.ifaces.values()
                                      if not any(i.name in v for v in members.values()))
        return members

    def modelled_pairs(self) -> list[ZonePair]:
        """The zone-pairs between defined zones, without the self zone (reported)."""
        c = self.c
        pairs: list[ZonePair] = []
        for zp in c.config.zone_pairs:
            ok = True
            for z, col in ((zp.src, zp.cols[0]), (zp.dst, zp.cols[1])):
                if z != "self" and z not in c.config.zones:
                    c.diag(zp.line, col, "error", "undefined-reference", f"zone {z} is not defined", "zone-pair")
                    ok = False
            if zp.policy is not None:
                c.uses.policy_maps.add(zp.policy[0])
                if zp.policy[0] not in c.config.policy_maps:
                    c.diag(zp.policy[1], zp.policy[2], "error", "undefined-reference",
                           f"policy-map type inspect {zp.policy[0]} is not defined: the zone-pair drops everything",
                           "service-policy type inspect")
            if not ok:
                continue
            if "self" in (zp.src, zp.dst):
                c.diag(zp.line, zp.cols[0] if zp.src == "self" else zp.cols[1], "warning", "unsupported",
                       "zone-pairs with the self zone (traffic to or from the router itself) are not modelled",
                       "zone-pair self")
                continue
            pairs.append(zp)
        return pairs

    def pair_filter(self, zp: ZonePair, members: dict, policy: list, inspected: set) -> m.Filter:
        """`zone-pair NAME`: the replies of the reverse pair's inspected sessions, then its classes."""
        out_c = m.IfaceCond(m.OUT_IFACE, tuple(members[zp.dst]))
        origin = self.c.origin(zp.line)
        rules: list[m.Rule] = []
        if (zp.dst, zp.src) in inspected:
            rules.append(m.Rule(m.Match((ESTABLISHED_SESSION, out_c)), m.Action("accept"), origin, 0,
                                comment=f"replies of sessions inspected from zone {zp.dst} to zone {zp.src}"))
        for conds, action, rorigin, comment in policy:
            rules.append(m.Rule(m.Match(tuple(conds) + (out_c,)), m.Action(action), rorigin, len(rules),
                                comment=comment))
        return m.Filter(f"zone-pair {zp.name}", tuple(rules), m.Action("accept"), "first-match", "", False, None,
                        origin)

    def zone_filter(self, z: str, members: dict, pairs: list[ZonePair], inspected: set) -> m.Filter:
        """`zone Z`: traffic to interfaces Z has no zone-pair to is dropped (replies excepted)."""
        c = self.c
        mem = members[z]
        origin = c.origin(c.config.zones[z])
        allowed = list(dict.fromkeys(mem + [i for zp in pairs if zp.src == z for i in members[zp.dst]]))
        replies = [i for zp in pairs if zp.dst == z and (zp.src, z) in inspected for i in members[zp.src]
                   if i not in allowed]
        others = [i for i in c.config.ifaces if i not in allowed]
        # no accept rule for the allowed interfaces: the default passes them on (to the
        # zone-pair's filter, or intra-zone), and traffic to the router itself
        rules: list[m.Rule] = []
        if replies and others:
            rules.append(m.Rule(m.Match((ESTABLISHED_SESSION, m.IfaceCond(m.OUT_IFACE, tuple(dict.fromkeys(replies))))),
                                m.Action("accept"), origin, len(rules),
                                comment=f"zone {z}: replies of inspected sessions"))
        if others:
            rules.append(m.Rule(m.Match((m.IfaceCond(m.OUT_IFACE, tuple(others)),)), m.Action("drop"), origin,
                                len(rules), comment=f"zone {z}: no zone-pair to these interfaces"))
        return m.Filter(f"zone {z}", tuple(rules), m.Action("accept"), "first-match", "", True, None, origin)

    def policy_rules(self, zp: ZonePair) -> tuple[list, bool]:
        """[(conds, action, origin, comment)] of the zone-pair's policy (class-default last), and
        whether it inspects."""
        c = self.c
        if zp.policy is None:
            c.diag(zp.line, 1, "note", "approximate",
                   f"zone-pair {zp.name} has no service-policy: every packet from zone {zp.src} to zone {zp.dst} "
                   "is dropped", "zone-pair")
        if zp.policy is None or zp.policy[0] not in c.config.policy_maps:
            return [((), "drop", c.origin(zp.line), "class-default")], False
        rules, inspects, default = self.policy_map_rules(zp.policy[0])
        if default is None:
            default = ((), "drop", c.origin(zp.line), "class-default")
        return rules + [default], inspects

    def policy_map_rules(self, name: str) -> tuple[list, bool, tuple | None]:
        if name in self.pm_cache:
            return self.pm_cache[name]
        c = self.c
        pm = c.config.policy_maps[name]
        out: list = []
        inspects = False
        default = None
        for cls in pm.classes:
            action = cls["action"]
            if cls["name"] == "class-default":
                act = "accept" if action in ("pass", "inspect") else "drop"
                inspects = inspects or action == "inspect"
                default = ((), act, c.origin(cls["line"]), f"class-default: {action or 'drop'}")
                continue
            cm = c.config.class_maps.get(cls["name"])
            c.uses.class_maps.add(cls["name"])
            if cm is None:
                c.diag(cls["line"], cls["col"], "error", "undefined-reference",
                       f"class-map type inspect {cls['name']} is not defined", "policy-map type inspect")
                continue
            if action is None:
                c.diag(cls["line"], cls["col"], "note", "approximate",
                       f"class {cls['name']} has no action: read as drop", "policy-map type inspect")
                action = "drop"
            if action == "inspect":
                inspects = True
                c.diag(cls["aline"], 1, "note", "approximate",
                       "inspect: modelled as accept, with the replies of the session let back through; "
                       "application inspection is not modelled", "inspect")
            conds = self.class_conds(cm)
            refused = self.cm_reader.done.get(cm.name)
            if isinstance(refused, Refused):
                c.diag(cls["line"], cls["col"], "error", refused.code,
                       f"class-map {cm.name} is not resolved (linter/limits.py: the limit is crossed at line "
                       f"{refused.line}): this class matches as an unknown condition", "policy-map type inspect")
            out.append((conds, "drop" if action == "drop" else "accept", c.origin(cls["line"]),
                        f"class {cls['name']}: {action}"))
        self.pm_cache[name] = (out, inspects, default)
        return self.pm_cache[name]

    def class_conds(self, cm: ClassMap) -> tuple:
        """The conditions of a class-map with the class-maps it nests (`_ClassMapReader`); an
        unknown condition when it nests too deep (reported at the line that crosses the limit)."""
        res = self.cm_reader.resolve(cm.name)
        if isinstance(res, Refused):
            return (m.Opaque(f"ios:class-map {cm.name}", f"class-map {cm.name} (nested too deep: not resolved)"),)
        return res.value  # type: ignore[return-value]

    def match_conds(self, cm: ClassMap, kind: str, value: str, ln: int, col: int) -> tuple:
        """The conditions of one `match` line that nests no class-map."""
        c = self.c
        if kind == "acl":
            f = c.filters_by_key.get((4, value))
            fam = 4
            if f is None:
                f, fam = c.filters_by_key.get((6, value)), 6
            if f is None:
                c.diag(ln, col, "error", "undefined-reference", f"access list {value} is not defined",
                       "class-map match access-group")
                return (m.Opaque(f"ios:acl {value}", f"access list {value} (undefined)"),)
            self.used.add((fam, value))
            return acl_predicate(c, f, "class-map match access-group", ln, col)
        if kind == "protocol":
            return self.protocol_conds(value, ln, col)
        if kind == "class":  # an undefined class-map (reported by _ClassMapReader.nested)
            return (m.Opaque(f"ios:class-map {value}", f"class-map {value} (undefined)"),)
        return (m.Opaque(f"ios:class-map {cm.name} line {ln}", value),)

    def combine_matches(self, cm: ClassMap, parts: list) -> tuple:
        if not parts:
            if cm.line not in self.inspect_notes:
                self.inspect_notes.add(cm.line)
                self.c.diag(cm.line, 1, "note", "approximate", f"class-map {cm.name} has no match statement: it "
                            "matches nothing", "class-map type inspect")
            return NOTHING
        if cm.how == "match-any":
            return any_of(list(parts))
        return tuple(x for p in parts for x in p)

    def protocol_conds(self, value: str, ln: int, col: int) -> tuple:
        v = value.lower()
        if v in L4_PROTOCOLS:
            n = L4_PROTOCOLS[v]
            return (m.IntCond(m.PROTO, ((n, n),)),)
        if v in PAM:
            protos, port = PAM[v]
            self.c.diag(ln, col, "note", "approximate",
                        f"match protocol {value}: modelled by its default port "
                        f"({'/'.join(names.proto_name(p) for p in protos)} {port}); ip port-map and application "
                        "inspection are not modelled", "match protocol")
            return (m.IntCond(m.PROTO, merge((p, p) for p in protos)), m.IntCond(m.DPORT, ((port, port),)))
        self.c.diag(ln, col, "note", "approximate",
                    f"match protocol {value}: an application fwlint does not know: an unknown condition",
                    "match protocol")
        return (m.Opaque(f"ios:protocol {v}", f"application protocol {value}"),)
