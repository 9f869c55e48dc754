"""A rule's parts (`pass in log quick on em0 inet proto tcp from ... to ... port ... keep
state ...`) -> a `RuleSpec`: pfctl's order of the parts, each part's values, and the
refusals pfctl makes while reading them.

Layer: platforms/pf. Used by the reader for every rule-like statement (filter, anchor,
antispoof, scrub and the old nat/rdr/binat rules).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lark import Token, Tree

from ... import model as m
from . import addresses, checks
from .options import OPTION_PARTS
from .grammar import first_token, token_at
from .lexer import Tok
from .vendor import RuleSpec
from .vocab import DRIVER_GROUPS, flag_bits, icmp_code, icmp_type, is_icmp_code, proto_number

if TYPE_CHECKING:
    from .reader import Reader


BLOCK_MODES = {"block_drop": "drop", "block_return": "return", "block_return_rst": "return-rst",
               "block_return_icmp": "return-icmp", "block_return_icmp6": "return-icmp6"}

# parts that change nothing a rule matches: `allow-opts` (IP options are not modelled),
# `ridentifier`, `allow-related`, and the commas between options
NO_EFFECT = frozenset({"comma", "allow_opts", "ridentifier", "allow_related"})


class RuleReader:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.report = reader.report
        self.config = reader.config

    # pfctl's order of a rule's parts
    RANKS = {"block_drop": 0, "block_return": 0, "block_return_rst": 0, "block_return_icmp": 0,
              "block_return_icmp6": 0, "direction": 1, "log": 2, "quick": 2, "on_iface": 3,
              "on_rdomain": 3, "af": 4, "proto": 5, "all": 6, "from_part": 6, "to_part": 7}

    def build(self, head: tuple[str, Tok], parts: list, toks: list[Tok]) -> RuleSpec | None:
        """The rule of a statement from its parts; None when pfctl refuses it (reported)."""
        kind, head_tok = head
        spec = RuleSpec(kind, self.report.origin(toks), anchor=self.reader.rules_anchor())
        spec.policy = self.config.block_policy
        parts = [p for p in parts if isinstance(p, Tree)]
        if not self.read_parts(spec, parts, toks) or not self.parts_allowed(kind, parts, toks):
            return None
        if kind in ("pass", "match", "block"):
            self.note_new_if_needed(spec, toks)
        if not checks.consistent(self.report, spec, head_tok):
            return None
        return spec

    def read_parts(self, spec: RuleSpec, parts: list[Tree], toks: list[Tok]) -> bool:
        """Read each part in pfctl's order; False when one is refused (out of order, twice, or
        by its reader)."""
        rank = -1.0
        prev = None
        seen: set[str] = set()
        ok = True
        for i, p in enumerate(parts):
            d = p.data
            if d == "comma":
                continue
            r = self.RANKS.get(d, 8.0)
            if d == "route_spec" and rank < 4 and any(self.RANKS.get(q.data, 8) in (4, 5, 6, 7) for q in parts[i + 1:]):
                r = 3.5  # FreeBSD: route-to before the address family
            ptok = first_token(p, toks)
            refused = _order_refusal(spec.kind, d, (r, rank), seen, prev, ptok.value)
            if refused is not None:
                self.report.at(ptok, "error", "syntax", refused, spec.kind)
                return False
            rank = r if r < 8 else max(rank, 8.0)
            seen.add(d)
            prev = ptok.value
            if not self.part(spec, p, toks, ptok):
                ok = False
        return ok

    def parts_allowed(self, kind: str, parts: list[Tree], toks: list[Tok]) -> bool:
        """Are the parts all of the kind of rule? (reported at the first that is not)"""
        if kind != "antispoof" and kind != "scrub" and any(p.data == "scrub_word" for p in parts):
            t = next(first_token(p, toks) for p in parts if p.data == "scrub_word")
            self.report.at(t, "error", "syntax", f"syntax error: {t.value!r} outside a scrub rule "
                           f"(write 'scrub ({t.value} ...)')", kind)
            return False
        allow = _ALLOWED_PARTS.get(kind)
        if allow is None:
            return True
        for p in parts:
            if p.data != "comma" and p.data not in allow:
                t = first_token(p, toks)
                self.report.at(t, "error", "syntax", f"syntax error: {t.value!r} is not valid in {kind} rules", kind)
                return False
        return True

    def note_new_if_needed(self, spec: RuleSpec, toks: list[Tok]) -> None:
        if spec.redirect or spec.kind == "match" and any(a[0] == "scrub" for a in spec.alters):
            self.reader.syntax.note_new(self.report.origin(toks))

    def part(self, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
        """Read one part of a rule into spec: False when pfctl refuses it (reported)."""
        read = self.PARTS.get(p.data)
        if read is not None:
            return read(self, spec, p, toks, ptok)
        if p.data not in NO_EFFECT:  # pragma: no cover - every part of the grammar has a reader
            self.report.at(ptok, "warning", "unsupported", f"{ptok.value}: not supported", ptok.value)
        return True

    def _set_multi(self, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
        # `set (prio 1, queue q)`: each is read as the part it would be alone
        return all(self.part(spec, so, toks, ptok) for so in p.children[2:-1] if isinstance(so, Tree))

    def _block_mode(self, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
        """How a block rule blocks: drop, return, return-rst (ttl), return-icmp (codes), return-icmp6."""
        ch = p.children
        spec.block = BLOCK_MODES[p.data]
        if p.data == "block_return_rst":
            spec.block_detail = " ".join(c.value for c in ch)
        elif p.data == "block_return_icmp6":
            spec.block_detail = "".join(c.value for c in ch)
        elif p.data == "block_return_icmp":
            spec.block_detail = "".join(c.value + (" " if c.type == "COMMA" else "") for c in ch)
            for c in ch[1:]:
                named = isinstance(c, Token) and c.type in ("STRING", "NUMBER")
                if named and not is_icmp_code(c.value, ch.index(c) > 2):
                    self.report.at(token_at(toks, c), "error", "invalid", f"unknown icmp code {c.value}", "return-icmp")
                    return False
        return True

    def _direction(self, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
        spec.direction = p.children[0].value
        return True

    def _switch(self, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
        """A word that says it all: log, quick, all (any source, any destination), flags any."""
        if p.data == "log":
            spec.log = True
        elif p.data == "quick":
            spec.quick = True
        elif p.data == "flags_any":
            spec.flags = "any"
        else:
            spec.src = None
            spec.dst = None
        return True

    def _on_iface(self, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
        ch = p.children
        spec.ifaces = interface_list(ch[1])
        self.note_interfaces(spec.ifaces, ptok)
        if any(n == "any" for _neg, n in spec.ifaces) and len(spec.ifaces) == 1 and not spec.ifaces[0][0]:
            spec.ifaces = None
        return True

    def _on_rdomain(self, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
        ch = p.children
        spec.conds.append(m.Opaque(f"rdomain {ch[2].value}", f"on rdomain {ch[2].value}"))
        self.report.at(ptok, "note", "approximate", f"on rdomain {ch[2].value}: routing domains are not modelled",
                       "rdomain")
        return True

    def _af(self, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
        ch = p.children
        spec.af = 4 if ch[0].type == "INET" else 6
        return True

    def _proto(self, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
        ch = p.children
        items = [c for c in ch[1].children if isinstance(c, Token) and c.type in ("STRING", "NUMBER")]
        protos = []
        for it in items:
            n = proto_number(it.value)
            if n is None:
                self.report.at(token_at(toks, it), "error", "invalid", f"unknown protocol {it.value}", "proto")
                return False
            protos.append((n, it.value))
        spec.protos = protos
        if any(n == 0 for n, _ in protos):
            spec.protos = [x for x in protos if x[0] != 0] or None
        return True

    def _from_part(self, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
        d = p.data
        ch = p.children
        which = "src" if d == "from_part" else "dst"
        hosts = None
        ports = None
        for c in ch[1:]:
            if isinstance(c, Tree) and c.data in ("ip_any", "xhost", "xhost_noroute", "xhost_urpf",
                                                   "xhost_route", "ip_list"):
                hosts = addresses.ipspec(self.report, c, toks, which)
                if hosts is None:
                    return False
            elif isinstance(c, Tree) and c.data == "port_spec":
                ports = addresses.port_spec(self.report, c, toks)
                if ports is None:
                    return False
            elif isinstance(c, Tree) and c.data == "os_spec":
                osn = [t.value for t in c.children if isinstance(t, Token) and t.type in ("STRING", "NUMBER")]
                spec.conds.append(m.Opaque("os " + " ".join(osn), "os " + ", ".join(osn)))
                self.report.at(first_token(c, toks), "note", "approximate",
                               "os: the passive OS fingerprint is not modelled", "os")
        if len(ch) == 1:
            self.report.at(ptok, "error", "syntax", f"syntax error: {ptok.value!r} without an address or port",
                           spec.kind)
            return False
        if which == "src":
            spec.src, spec.sports = hosts, ports
        else:
            spec.dst, spec.dports = hosts, ports
        return True

    def _user(self, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
        d = p.data
        ch = p.children
        items = addresses.uid_spec(self.report, ch[1], toks)
        if d == "user":
            spec.users = items
        else:
            spec.groups = items
        self.report.at(ptok, "note", "approximate",
                       f"{d}: the owner of the local socket is not modelled (an unknown condition)", d)
        return True

    def _flags(self, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
        ch = p.children
        vals = [c for c in ch if isinstance(c, Token) and c.type in ("STRING", "NUMBER")]
        slash_at = next(k for k, c in enumerate(ch) if isinstance(c, Token) and c.type == "SLASH")
        comp_s = ch[1].value if slash_at == 2 else ""
        mask_s = vals[-1].value
        comp = flag_bits(comp_s)
        mask = flag_bits(mask_s)
        if comp is None or mask is None:
            bad = comp_s if comp is None else mask_s
            self.report.at(ptok, "error", "invalid", f"flags {bad!r}: letters F S R P A U E W only", "flags")
            return False
        spec.flags = (comp, mask)
        return True

    def _icmp_type(self, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
        d = p.data
        ch = p.children
        v6 = d == "icmp6_type"
        if spec.icmp is not None:
            self.report.at(ptok, "error", "syntax", "icmp-type given twice", d)
            return False
        items = []
        for it in ch[1].children:
            if not isinstance(it, Tree):
                continue
            vals = [c for c in it.children if isinstance(c, Token) and c.type in ("STRING", "NUMBER")]
            t = icmp_type(vals[0].value, v6)
            if t is None:
                self.report.at(token_at(toks, vals[0]), "error", "invalid",
                               f"unknown {'icmp6' if v6 else 'icmp'}-type {vals[0].value}", d)
                return False
            code = None
            if len(vals) > 1:
                code = icmp_code(vals[1].value, t, v6)
                if code is None:
                    self.report.at(token_at(toks, vals[1]), "error", "invalid",
                                   f"unknown {'icmp6' if v6 else 'icmp'}-code {vals[1].value}", d)
                    return False
            items.append((t, code))
        spec.icmp = items
        spec.icmp_v6 = v6
        return True

    # the reader of each part of a rule (parse tree node name -> method or options.py function)
    PARTS = {
        "block_drop": _block_mode,
        "block_return": _block_mode,
        "block_return_rst": _block_mode,
        "block_return_icmp": _block_mode,
        "block_return_icmp6": _block_mode,
        "direction": _direction,
        "log": _switch,
        "quick": _switch,
        "on_iface": _on_iface,
        "on_rdomain": _on_rdomain,
        "af": _af,
        "proto": _proto,
        "all": _switch,
        "from_part": _from_part,
        "to_part": _from_part,
        "user": _user,
        "group": _user,
        "flags": _flags,
        "flags_any": _switch,
        "icmp_type": _icmp_type,
        "icmp6_type": _icmp_type,
        "set_multi": _set_multi,
        **OPTION_PARTS,
    }

    def note_interfaces(self, ifs: list[tuple[bool, str]], tok: Tok) -> None:
        for _neg, name in ifs:
            if name == "any" or re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*[0-9]", name):
                continue
            if name in DRIVER_GROUPS:
                self.report.at(tok, "note", "approximate",
                               f"interface group {name!r}: modelled as every interface whose name starts with "
                               f"{name!r} (the group of the {name} driver's interfaces)", "interface group")
            else:
                self.report.at(tok, "note", "approximate",
                               f"interface group {name!r}: its members are known at run time (an unknown condition)",
                               "interface group")


def _order_refusal(kind: str, d: str, ranks: tuple[float, float], seen: set[str], prev: str | None,
                   word: str) -> str | None:
    """pfctl's message when a part comes out of its order, twice, after `all`, or is a block
    mode in another rule; None when it is in its place."""
    r, rank = ranks
    if r < rank or (r < 8 and d in seen and d not in ("log", "quick")) or (d in ("log", "quick") and d in seen):
        where = f"after {prev!r}" if r < rank else "twice"
        return (f"syntax error: {word!r} {where}"
                + (" (pfctl's order: action, in/out, log, quick, on, inet/inet6, proto, from, to, options)"
                   if r < rank else ""))
    if r == 6 and ("all" in seen or "from_part" in seen) or (d == "to_part" and "all" in seen):
        return f"syntax error: {word!r} after 'all'"
    if d.startswith("block_") and kind != "block":
        return f"syntax error: {word!r} only follows 'block'"
    return None


# the parts each kind of rule may have (the filter rules and anchors: all of them)
_NAT_PARTS = frozenset({"log", "on_iface", "af", "proto", "all", "from_part", "to_part", "tag", "tagged", "on_rdomain"})
_ALLOWED_PARTS = {
    "nat": _NAT_PARTS, "rdr": _NAT_PARTS, "binat": _NAT_PARTS,
    "antispoof": frozenset({"log", "quick", "af", "label", "on_rdomain"}),
    "scrub": frozenset({"direction", "log", "quick", "on_iface", "af", "proto", "all", "from_part", "to_part",
                        "scrub_word", "fragment", "on_rdomain"}),
}


def interface_list(node: Tree) -> list[tuple[bool, str]]:
    out = []
    for it in node.children:
        if isinstance(it, Tree) and it.data == "if_item":
            neg = isinstance(it.children[0], Token) and it.children[0].type == "BANG"
            out.append((neg, it.children[-1].value))
    return out
