"""Access lists: `access-list` and `access-group` as read, and each entry (ACE) as one rule of
a first-match filter per access-list.

Layer: platform (Cisco ASA).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator

from .... import model as m
from ....limits import MAX_GUESSED_ENTRY_WORDS
from ....names import read_int
from ...common.diagnostics import SyntaxFailure
from ...common.lark_glue import parse_tokens
from .addresses import MAX4, MAX6, Addresses, addr_conds
from .lexer import GROUP_TOKEN, classify, entry_parser, read_entry, syntax_drop
from .objects import ObjectResolver
from .report import Drop, Report
from .services import Services, alts_conds, merge_alternatives, port_cond, proto_cond
from .vendor import (AccessGroup, AccessList, Ace, AceAddress, AceIcmp, AceIdentity, AceOption, AcePort,
                     AceProtocol, AclEntry, AsaConfig, Line, is_comment)
from .vocab import STATE_COMMENT, STATE_MATCH

if TYPE_CHECKING:  # pragma: no cover
    from .reader import Reader


class AccessListCommands:
    """`access-list NAME [line N] extended|standard|remark ...`, `ipv6 access-list`, `access-list
    NAME rename NEW`, `access-group NAME in|out interface IF | global`."""

    def commands(self) -> dict[str, Callable[[Line], Iterator[Line] | None]]:
        """The commands this object reads: word -> handler."""
        return {"access-list": self.cmd_access_list, "access-group": self.cmd_access_group}

    def __init__(self, reader: "Reader") -> None:
        self.reader = reader
        self.report = reader.report
        self.access = reader.config.access

    def cmd_access_list(self, node: Line, i: int = 1, typ_default: str = "") -> Iterator[Line]:
        w = node.words
        if len(w) <= i:
            self.report.relevant(node)
            self.report.diag(node, node.col(len(w) - 1), "error", "syntax",
                             "access-list: a name is missing", "access-list")
            return
        name = w[i]
        low = name.lower()
        if not typ_default and (low in ("alert-interval", "deny-flow-max", "compiled", "mode", "commit", "cached",
                                        "object-group-search", "log-update")):
            self.report.other(node)
            return
        if name.endswith(";") and re.match(r"\s*access-list\s+\S+;\s+\d+\s+elements", node.text):
            self.report.relevant(node)  # `show access-list` header of NAME
            return
        j = i + 1
        pos = None
        if j + 1 < len(w) and w[j].lower() == "line" and w[j + 1].isdigit():
            pos = read_int(w[j + 1])
            j += 2
        show = "(hitcnt=" in node.text
        self.report.relevant(node)
        form = self._entry_form(node, i, j, typ_default)
        if form is None:
            return
        entry = self._add_entry(node, name, j, pos, show, form, typ_default)
        if entry is None:
            return
        for c in node.children:
            if is_comment(c.text):
                continue
            if show and c.words[0].lower() == "access-list":
                self.report.relevant(c)  # the expansion of an object-group entry in `show access-list`
                entry.expansions.append(c)
            else:
                yield c  # a global command indented under the entry

    def _entry_form(self, node: Line, i: int, j: int, typ_default: str) -> tuple[str, int, str] | None:
        """What follows `access-list NAME [line N]` (word j): (type, first word of the entry, ace |
        remark); None when the line is read (rename) or refused here."""
        w = node.words
        name = w[i]
        kw = w[j].lower() if j < len(w) else ""
        if kw == "remark":
            return "", j + 1, "remark"
        if kw in ("extended", "standard") and not typ_default:
            return kw, j + 1, "ace"
        if kw in ("permit", "deny"):
            return (typ_default or "extended"), j, "ace"
        if kw in ("webtype", "ethertype", "advanced"):
            self.report.diag(node, node.col(j), "warning", "unsupported",
                             f"{kw} access-lists are not modelled: entry ignored", f"access-list {kw}")
        elif kw == "rename" and j + 1 < len(w):
            self._rename(node, i, w[j + 1])
        elif not kw:
            self.report.diag(node, node.col(len(w) - 1), "error", "syntax",
                             f"access-list {name}: the entry is missing", "access-list")
        else:
            self.report.diag(node, node.col(j), "error", "syntax",
                             f"access-list {name}: expected extended, standard, remark, permit or deny, not {w[j]!r}",
                             "access-list")
        return None

    def _rename(self, node: Line, i: int, new: str) -> None:
        name = node.words[i]
        if name in self.access.acls:
            acl = self.access.acls.pop(name)
            acl.name = new
            self.access.acls[new] = acl
            self.access.acl_order.append(new)
            for g in self.access.access_groups:
                if g.acl == name:
                    g.acl = new
        else:
            self.report.diag(node, node.col(i), "error", "undefined-reference",
                             f"access-list {name} is not defined: nothing to rename", "access-list")

    def _add_entry(self, node: Line, name: str, j: int, pos: int | None, show: bool, form: tuple[str, int, str],
                   typ_default: str) -> AclEntry | None:
        """The entry joins access-list NAME (created by its first entry), at line `pos` if given."""
        typ, start, kind = form
        acl = self.access.acls.get(name)
        if acl is None:
            acl = AccessList(name, self.report.origin(node), kind=typ or ("ipv6" if typ_default else "extended"))
            self.access.acls[name] = acl
            self.access.acl_order.append(name)
        elif typ and acl.kind != typ and any(e.kind == "ace" for e in acl.entries):
            self.report.diag(node, node.col(j), "error", "invalid",
                             f"access-list {name} is {acl.kind} (line {acl.origin.line}): a {typ} entry cannot be "
                             f"added to it (the ASA refuses it)", "access-list")
            return None
        if typ and not any(e.kind == "ace" for e in acl.entries):
            acl.kind = typ
        entry = AclEntry(node, kind, start, typ or acl.kind, show)
        if pos is not None and 1 <= pos <= len(acl.entries):
            acl.entries.insert(pos - 1, entry)
        else:
            acl.entries.append(entry)
        return entry

    def cmd_access_group(self, node: Line) -> None:
        self.report.relevant(node)
        w = node.words
        lw = [x.lower() for x in w]
        if len(w) >= 3 and lw[2] == "global" and len(w) == 3:
            self.access.access_groups.append(AccessGroup(w[1], "global", None, self.report.origin(node)))
            return
        if len(w) >= 5 and lw[2] in ("in", "out") and lw[3] == "interface":
            extra = lw[5:]
            if "control-plane" in extra:
                self.report.diag(node, node.col(5), "warning", "unsupported",
                                 "a control-plane access-group filters traffic to the ASA itself: not modelled",
                                 "access-group control-plane")
                return
            if "per-user-override" in extra:
                self.report.diag(node, node.col(5), "note", "approximate",
                                 "per-user-override: downloadable per-user ACLs replace this one for authenticated "
                                 "users; not modelled", "access-group")
            self.access.access_groups.append(AccessGroup(w[1], lw[2], w[4], self.report.origin(node)))
            return
        self.report.diag(node, node.col(min(2, len(w) - 1)), "error", "syntax",
                         "access-group: expected `access-group NAME in|out interface IF` or `access-group NAME global`",
                         "access-group")

    # -- interfaces


# --------------------------------------------------------------------------- entries -> rules


_SHOW_NOISE = re.compile(r"\(hitcnt=\d+\)\Z")
_SHOW_HASH = re.compile(r"0x[0-9a-fA-F]+\Z")


@dataclass
class EntryProtocol:
    kind: str  # any | protos | service
    protos: tuple[int, ...] = ()
    alts: list[tuple] = field(default_factory=list)
    text: str = ""


class AclConverter:
    """Each access-list's entries -> the rules of its filter (`rules`: by access-list name,
    without the state rule, for the interfaces' filters, NAT and class-maps)."""

    def __init__(self, report: Report, config: AsaConfig, resolver: ObjectResolver, addresses: Addresses,
                 services: Services) -> None:
        self.report = report
        self.config = config
        self.objects = config.objects
        self.access = config.access
        self.resolver = resolver
        self.addresses = addresses
        self.services = services
        self.rules: dict[str, list[m.Rule]] = {}
        self._memo: dict[tuple, object] = {}  # shared conditions (`_shared`)

    def _group_token(self, name: str) -> str | None:
        g = self.objects.groups.get(name)
        return GROUP_TOKEN[g.kind] if g is not None else None

    def _parse_entry(self, line: Line, start: int, typ: str, show: bool) -> tuple[Ace, bool]:
        words = line.words[start:]
        cols = line.cols[start:]
        inactive = False
        if show:
            pairs = [(w, c) for w, c in zip(words, cols, strict=True) if not _SHOW_NOISE.match(w)]
            if any(w == "(inactive)" for w, _ in pairs):
                inactive = True
                pairs = [(w, c) for w, c in pairs if w != "(inactive)"]
            if pairs and _SHOW_HASH.match(pairs[-1][0]):
                pairs.pop()
            words = [w for w, _ in pairs]
            cols = [c for _, c in pairs]
        if not words:
            raise Drop(line.col(len(line.words) - 1), "error", "syntax", "the entry is empty")
        # undefined groups: their kind is unknown, so their place in the entry is tried (in an
        # entry of a sane length: a longer one is parsed once, see MAX_GUESSED_ENTRY_WORDS)
        undefined = []
        for k in range(1, len(words) if len(words) <= MAX_GUESSED_ENTRY_WORDS else 0):
            if (words[k - 1].lower() == "object-group" and words[k] not in self.objects.groups
                    and words[k] not in undefined):
                undefined.append(words[k])
        choices = [{}]
        for name in undefined[:3]:
            choices = [dict(c, **{name: t}) for c in choices for t in ("G_NET", "G_PORT", "G_ICMP", "G_SVC")]
        first_error: SyntaxFailure | None = None
        start_sym = "standard" if typ == "standard" else "extended"
        for guess in choices:
            toks = classify(words, cols, self._group_token, guess)
            try:
                tree = parse_tokens(entry_parser(), toks, start_sym)
            except SyntaxFailure as e:
                if first_error is None:
                    first_error = e
                continue
            return read_entry(tree), inactive
        raise syntax_drop(first_error, words, cols)

    def _entry(self, line: Line, start: int, typ: str, show: bool) -> tuple[str, tuple, bool, list]:
        """An entry -> (action, conditions, inactive, notes); raises Drop."""
        ace, inactive = self._parse_entry(line, start, typ, show)
        notes: list[tuple[int, str, str]] = []
        conds: list = []
        if typ == "ipv6":
            conds.append(m.IntCond(m.FAMILY, ((6, 6),)))
        if ace.protocol is None:  # a standard entry: a destination
            conds.extend(self._ace_addr(ace.body[0], m.DST, notes))
        else:
            conds.extend(self._extended(ace, ace.protocol, line, typ, notes))
        if self._options(ace.options, conds, notes):
            inactive = True
        if self.config.any_is_ipv4 and typ != "ipv6" and not any(isinstance(c, m.AddrCond) for c in conds):
            # before ASA 9.0 an access-list is IPv4 only (IPv6 has `ipv6 access-list`)
            conds.insert(0, m.IntCond(m.FAMILY, ((4, 4),)))
        return ("accept" if ace.action == "permit" else "drop"), tuple(conds), inactive, notes

    def _extended(self, ace: Ace, protocol: AceProtocol, line: Line, typ: str, notes: list) -> list:
        """The conditions of an extended entry: protocol, identities, addresses, ports, ICMP."""
        proto = self._ace_proto(protocol, line)
        body: list = []
        addrs = 0
        for t in ace.body:
            if isinstance(t, AceIdentity):
                body.append(self._ace_ident(t, notes))
            elif isinstance(t, AceAddress):
                body.extend(self._ace_addr(t, m.SRC if addrs == 0 else m.DST, notes))
                addrs += 1
            elif isinstance(t, AcePort):
                body.append(self._ace_port(t, m.SPORT if addrs == 1 else m.DPORT, proto, line))
            else:
                body.append(self._ace_icmp(t, proto))
        conds: list = []
        if proto.kind == "protos":
            conds.append(proto_cond(proto.protos))
        elif proto.kind == "service":
            conds.extend(self._shared(("svc", proto.text), lambda: alts_conds(proto.alts)))
        return conds + body

    def _options(self, options: tuple[AceOption, ...], conds: list, notes: list) -> bool:
        """An entry's options (log, time-range, inactive); whether it is inactive."""
        inactive = False
        for t in options:
            if t.kind in ("log", "log_default", "log_interval"):
                notes.append((0, "effect", "log"))  # (not a diagnostic: read back by `rules`)
            if t.kind == "inactive":
                inactive = True
            elif t.kind == "time_range":
                tok = t.words[1]
                self.objects.time_range_used.add(tok.value)
                if tok.value not in self.objects.time_ranges:
                    raise Drop(tok.column, "error", "undefined-reference", f"time-range {tok.value} is not defined",
                               "time-range")
                conds.append(m.Opaque(f"time-range {tok.value}", f"time-range {tok.value} is active"))
                notes.append((tok.column, "approximate",
                              f"time-range {tok.value}: the entry applies only while the time range is active; "
                              f"matched as an unknown condition"))
        return inactive

    def _ace_proto(self, t: AceProtocol, line: Line) -> EntryProtocol:
        toks = t.words
        if t.kind == "name":
            n = self.services.proto_number(toks[0].value, toks[0].column, line)
            if n is None:
                return EntryProtocol("any", text=toks[0].value)
            return EntryProtocol("protos", (n,), text=toks[0].value)
        name, col = toks[1].value, toks[1].column
        if t.kind == "object":
            return EntryProtocol("service", alts=self.resolver.svc_object_alts(name, col), text=f"object {name}")
        g = self.resolver.group(name, col, ("protocol", "service"), "the protocol of an entry")
        if g.kind == "protocol":
            ps = self.resolver.proto_group(name, col)
            return EntryProtocol("any") if ps is None else EntryProtocol("protos", ps, text=f"object-group {name}")
        return EntryProtocol("service", alts=self.resolver.svc_group(name, col), text=f"object-group {name}")

    def _shared(self, key: tuple, make: Callable[[], object]):
        """One condition object per (field, object or group): 20,000 entries naming the same
        group share its conditions."""
        key = ("shared",) + key
        got = self._memo.get(key)
        if got is None:
            got = self._memo[key] = make()
        return got

    def _ace_ident(self, t: AceIdentity, notes: list) -> m.Opaque:
        toks = t.words
        what = " ".join(x.value for x in toks)
        notes.append((toks[0].column, "approximate",
                      f"`{what}`: identity-based matching (users, security groups) is known only at run time; "
                      f"matched as an unknown condition"))
        return m.Opaque(what, f"the packet belongs to {what}")

    def _ace_addr(self, t: AceAddress, fieldname: str, notes: list) -> tuple:
        d = t.kind
        toks = t.words
        if d == "any":
            return ()
        if d == "any4":
            return (m.AddrCond(fieldname, ((4, 0, MAX4),)),)
        if d == "any6":
            return (m.AddrCond(fieldname, ((6, 0, MAX6),)),)
        if d == "host":
            fam, v = self.addresses.ip(toks[1].value, toks[1].column)
            return (m.AddrCond(fieldname, ((fam, v, v),)),)
        if d in ("mask", "name_mask"):
            return (m.AddrCond(fieldname, (self.addresses.addr_mask(toks[0].value, toks[1].value, toks[0].column,
                                                                    toks[1].column),)),)
        if d == "prefix":
            return (m.AddrCond(fieldname, (self.addresses.prefix(toks[0].value, toks[0].column),)),)
        if d == "object":
            ranges, opq = self.resolver.net_object_set(toks[1].value, toks[1].column)
            return self._shared(("obj", fieldname, toks[1].value), lambda: addr_conds(fieldname, ranges, opq))
        if d == "group":
            self.resolver.group(toks[1].value, toks[1].column, ("network",), "an address")
            ranges, opq = self.resolver.net_group(toks[1].value, toks[1].column)
            return self._shared(("grp", fieldname, toks[1].value), lambda: addr_conds(fieldname, ranges, opq))
        # interface
        name = toks[1].value
        side = "source" if fieldname == m.SRC else "destination"
        notes.append((toks[0].column, "approximate",
                      f"`interface {name}`: the addresses of interface {name} (the ASA itself); matched as an "
                      f"unknown condition"))
        return (m.Opaque(f"{fieldname} interface {name}", f"{side} is an address of interface {name}"),)

    def _ace_port(self, t: AcePort, fieldname: str, proto: EntryProtocol, line: Line) -> m.IntCond:
        toks = t.words
        col = toks[0].column
        if proto.kind == "service":
            raise Drop(col, "error", "invalid", f"ports cannot follow a service ({proto.text}): the service names them")
        if proto.kind == "any" or not set(proto.protos) <= {6, 17, 132}:
            raise Drop(col, "error", "invalid",
                       f"ports need protocol tcp, udp or sctp, not {proto.text or 'ip'}")
        pnames = tuple({6: "tcp", 17: "udp", 132: "sctp"}[p] for p in proto.protos)
        if t.kind == "group":
            name = toks[1].value
            g = self.resolver.group(name, toks[1].column, ("port",), "a port")
            if g.proto != "tcp-udp" and any(p in ("tcp", "udp") and p != g.proto for p in pnames):
                raise Drop(toks[1].column, "error", "invalid",
                           f"object-group {name} is a {g.proto} port group: it cannot be used with {'/'.join(pnames)}")
            ranges = self.resolver.port_group(name, toks[1].column)
            return self._shared(("ports", fieldname, name), lambda: m.IntCond(fieldname, ranges))
        op = t.kind
        vals = [self.services.port(x.value, x.column, pnames, line) for x in toks[1:]]
        return port_cond(fieldname, op, vals, col)

    def _ace_icmp(self, t: AceIcmp, proto: EntryProtocol) -> m.IntCond:
        toks = t.words
        if proto.kind != "protos" or proto.protos not in ((1,), (58,)):
            raise Drop(toks[0].column, "error", "invalid",
                       f"{toks[0].value!r}: an ICMP type needs protocol icmp or icmp6, not {proto.text or 'ip'}")
        v6 = proto.protos == (58,)
        if t.kind == "group":
            self.resolver.group(toks[1].value, toks[1].column, ("icmp-type",), "ICMP types")
            return m.IntCond(m.ICMP, self.resolver.icmp_group(toks[1].value, v6, toks[1].column))
        ty = self.services.icmp_value(toks[0].value, toks[0].column, v6)
        lo, hi = 0, 255
        if len(toks) > 1:
            code = read_int(toks[1].value)
            if code > 255:
                raise Drop(toks[1].column, "error", "invalid", f"ICMP code {code} is out of range (0-255)")
            lo = hi = code
        return m.IntCond(m.ICMP, (((ty << 8) | lo, (ty << 8) | hi),))

    # -- one filter per access-list

    def acl_filter(self, acl: AccessList) -> m.Filter:
        rules: list[m.Rule] = [m.Rule(STATE_MATCH, m.Action("accept"), acl.origin, 0, comment=STATE_COMMENT,
                                      synthetic=True)]
        remarks: list[str] = []
        for e in acl.entries:
            line = e.line
            if e.kind == "remark":
                remarks.append(line.rest(e.start))
                continue
            try:
                action, conds, inactive, notes = self._entry(line, e.start, e.typ, e.show)
            except Drop as d:
                if d.code == "undefined-reference" and e.expansions:
                    got = self._from_expansions(e, d)
                    if got is None:
                        remarks = []
                        continue
                    action, conds, inactive, notes = got
                else:
                    d.construct = d.construct or "access-list"
                    self.report.drop(line, d)
                    remarks = []
                    continue
            effects = tuple(msg for _col, code, msg in notes if code == "effect")
            for col, code, msg in notes:
                if code != "effect":
                    self.report.diag(line, col, "note", code, msg, "access-list")
            if inactive:
                self.report.diag(line, line.indent + 1, "note", "inactive",
                                 f"inactive entry of access-list {acl.name}: it does not filter", "access-list")
                remarks = []
                continue
            word = "permit" if action == "accept" else "deny"
            rules.append(m.Rule(m.Match(conds), m.Action(action, detail=word), self.report.origin(line), len(rules),
                                comment=" ".join(remarks), effects=effects))
            remarks = []
        self.rules[acl.name] = rules[1:]
        return m.Filter(acl.name, tuple(rules), m.Action("drop"), "first-match", "", False, None, acl.origin)

    def _from_expansions(self, e: AclEntry, why: Drop) -> tuple | None:
        """`show access-list` prints an entry with an object-group followed by its expansion: an
        entry that names a group this file does not define is read from the expansion."""
        alts = []
        action = None
        for x in e.expansions:
            w = [t.lower() for t in x.words]
            k = 4 if len(w) > 3 and w[2] == "line" else 2
            if k < len(w) and w[k] in ("extended", "standard"):
                k += 1
            try:
                act, conds, _inactive, _notes = self._entry(x, k, e.typ, True)
            except Drop as d:
                self.report.drop(x, d)
                self.report.drop(e.line, why)
                return None
            action = action or act
            alts.append(tuple(conds))
        self.report.diag(e.line, why.col, "note", "approximate",
                         f"{why.message}: read from the {len(alts)} expansion line(s) that `show access-list` prints "
                         f"below the entry", "access-list")
        return action, alts_conds(merge_alternatives(alts)), False, []


# --------------------------------------------------------------------------- converter: the device

    def match(self, name: str, line: Line, col: int, what: str) -> tuple:
        """A NAT rule's or class-map's `access-list NAME`: the union of its permit entries."""
        acl = self.access.acls.get(name)
        if acl is None:
            raise Drop(col, "error", "undefined-reference", f"access-list {name} is not defined", what)
        acl.used = True
        rules = self.rules.get(name, [])
        permits = [r.match for r in rules if r.action.kind == "accept"]
        if any(r.action.kind != "accept" for r in rules):
            self.report.diag(line, col, "note", "approximate",
                             f"access-list {name} has deny entries: the {what} is modelled as matching its permit "
                             f"entries only", what)
        return alts_conds(merge_alternatives([p.conds for p in permits]))
