"""A rule's options (what follows `from ... to ...`): state and its options, scrub,
translation (nat-to, rdr-to, binat-to, af-to), route-to, divert, tags, queues, priorities,
labels, and the conditions fwlint does not model (tos, prio, probability...) as opaque
ones, each with the note that says so.

Layer: platforms/pf. Each reader takes the rule reader, the rule, the part's parse tree,
the statement's tokens and the part's first token; False when pfctl refuses the part
(reported).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lark import Token, Tree

from ... import model as m
from ...names import read_int
from . import addresses, checks
from .grammar import join_tokens
from .lexer import Tok
from .vendor import RuleSpec
from .vocab import tos_value

if TYPE_CHECKING:
    from .rules import RuleReader


def tos(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    ch = p.children
    v = tos_value(ch[1].value)
    if v is None:
        rules.report.at(ptok, "error", "invalid", f"illegal tos value {ch[1].value}", "tos")
        return False
    spec.conds.append(m.Opaque(f"tos 0x{v:02x}", f"tos 0x{v:02x}"))
    rules.report.at(ptok, "note", "approximate", "tos: the IP TOS field is not modelled (an unknown condition)",
                    "tos")
    return True


def state_spec(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    ch = p.children
    kw = ch[0].value
    spec.state = "no" if kw == "no" else kw
    for sub in ch:
        if isinstance(sub, Tree) and sub.data == "state_opt_list":
            for so in sub.children:
                if isinstance(so, Tree):
                    spec.state_opts.append(join_tokens(so))
                    for t in so.scan_values(lambda v: isinstance(v, Token)):
                        if t.type == "OVERLOAD":
                            rules.config.overload_tables.add(so.children[2].value)
    if spec.state == "no" and spec.state_opts:
        rules.report.at(ptok, "error", "syntax", "state options without keeping state", "state")
        return False
    if spec.state_opts:
        limits = [o for o in spec.state_opts if o.split()[0] in ("max", "max-src-nodes", "max-src-states",
                                                                 "max-src-conn", "max-src-conn-rate", "overload")]
        if any(o.startswith("max-src-nodes") for o in spec.state_opts) and "source-track global" in spec.state_opts:
            rules.report.at(ptok, "error", "invalid", "'max-src-nodes' is incompatible with 'source-track global'",
                            "state")
            return False
        if limits:
            rules.report.at(ptok, "note", "approximate",
                            f"state limits ({', '.join(limits)}): a packet over a limit is dropped; "
                            f"fwlint assumes the limits are not reached", "state limits")
    return True


def fragment(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    spec.fragment = True
    if spec.kind != "scrub":
        spec.conds.append(m.Opaque("fragment", "fragment (IP fragments)"))
        rules.report.at(ptok, "note", "approximate",
                        "fragment: IP fragments are not modelled (an unknown condition)", "fragment")
    return True


def scrub(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    ch = p.children
    opts = [" ".join(t.value for t in sc.scan_values(lambda v: isinstance(v, Token)))
            for sc in ch[2:-1] if isinstance(sc, Tree) and sc.data == "sc"]
    if not checks.scrub_options_ok(rules.report, opts, ptok):
        return False
    spec.alters.append(("scrub", None, tuple(("option", o) for o in opts), f"scrub ({' '.join(opts)})"))
    return True


def scrub_word(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    o = " ".join(t.value for t in p.scan_values(lambda v: isinstance(v, Token)))
    spec.alters.append(("scrub", None, (("option", o),), o))
    return True


def divert_to(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    d = p.data
    ch = p.children
    if any(a[0] == "divert" for a in spec.alters):
        rules.report.at(ptok, "error", "invalid", "more than one divert option", "divert")
        return False
    desc = " ".join(t.value for t in p.scan_values(lambda v: isinstance(v, Token)))
    if d == "divert_to":
        hs = addresses.host(rules.report, ch[1], toks, False)
        if not hs or hs[0].kind == "error":
            return False
        spec.divert_af = {h.af for h in hs if h.af}
        if spec.direction == "out":
            rules.report.at(ptok, "error", "invalid", "divert-to used with outgoing rule", "divert-to")
            return False
    spec.alters.append(("divert", spec.direction, (("to", desc),), desc))
    return True


def nat_to(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    d = p.data
    ch = p.children
    k = d.replace("_", "-")
    if spec.redirect:
        rules.report.at(ptok, "error", "invalid", f"{k} together with {', '.join(spec.redirect)}", k)
        return False
    got = addresses.redir_spec(rules.report, ch[1], toks, k)
    if got is None:
        return False
    spec.redirect[k] = got
    return True


def af_to(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    ch = p.children
    af = 4 if ch[1].type == "INET" else 6
    frm = addresses.redir_hosts(rules.report, ch[3], toks)
    to = addresses.redir_hosts(rules.report, ch[5], toks) if len(ch) > 5 else None
    if frm is None or (len(ch) > 5 and to is None):
        return False
    spec.afto = (af, frm, to)
    return True


def route_spec(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    ch = p.children
    if ch[0].type == "FASTROUTE":
        spec.route = ("fastroute", [], "")
    else:
        hosts = []
        pool = []
        for c in ch[1:]:
            if isinstance(c, Tree) and c.data == "route_hosts":
                for rh in c.children:
                    if isinstance(rh, Tree):
                        got = addresses.route_host(rules.report, rh, toks)
                        if got is None:
                            return False
                        hosts.extend(got)
            elif isinstance(c, Token):
                pool.append(c.value)
            elif isinstance(c, Tree):
                pool.append(" ".join(t.value for t in c.scan_values(lambda v: isinstance(v, Token))))
        spec.route = (ch[0].value, hosts, " ".join(pool))
    return True


def dummynet(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    spec.alters.append(("dummynet", None, (("to", join_tokens(p)),), join_tokens(p)))
    rules.report.at(ptok, "note", "approximate", f"{ptok.value}: dummynet shaping (FreeBSD) is not modelled "
                    f"(no effect on which packets pass)", ptok.value)
    return True


def max_pkt_size(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    ch = p.children
    spec.conds.append(m.Opaque(f"max-pkt-size {ch[1].value}", f"max-pkt-size {ch[1].value} (packet length)"))
    rules.report.at(ptok, "note", "approximate",
                    "max-pkt-size: packet lengths are not modelled (an unknown condition)",
                    "max-pkt-size")
    return True


def label(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    vals = _values(p)
    if _too_long(rules, vals[0], ptok, "rule label too long (max 63 chars)", "label"):
        return False
    spec.label = vals[0]
    return True


def tag(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    vals = _values(p)
    if _too_long(rules, vals[0], ptok, "tag too long, max 63 chars", "tag"):
        return False
    spec.alters.append(("tag", None, (("tag", vals[0]),), f"tag {vals[0]}"))
    return True


def tagged(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    vals = _values(p)
    neg = isinstance(p.children[0], Token) and p.children[0].type == "BANG"
    if _too_long(rules, vals[0], ptok, "tag too long, max 63 chars", "tagged"):
        return False
    spec.conds.append(m.Opaque(f"tagged {vals[0]}", f"tagged {vals[0]} (set by an earlier matching rule)", neg))
    rules.report.at(ptok, "note", "approximate", f"tagged {vals[0]}: tags set by other rules are not followed "
                    f"(an unknown condition)", "tagged")
    return True


def received_on(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    vals = _values(p)
    neg = isinstance(p.children[0], Token) and p.children[0].type == "BANG"
    spec.conds.append(m.Opaque(f"received-on {vals[0]}", f"received-on {vals[0]}", neg))
    rules.report.at(ptok, "note", "approximate",
                    "received-on: the interface a packet first arrived on is not modelled", "received-on")
    return True


def once(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    spec.conds.append(m.Opaque(f"once@{ptok.path}:{ptok.line}", "once (the rule is removed after its first match)"))
    rules.report.at(ptok, "note", "approximate",
                    "once: the rule applies to one packet only (an unknown condition)", "once")
    return True


def probability(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    vals = _values(p)
    spec.conds.append(m.Opaque(f"probability@{ptok.path}:{ptok.line}", f"probability {vals[0]}"))
    rules.report.at(ptok, "note", "approximate", f"probability {vals[0]}: a random condition", "probability")
    return True


def max_pkt_rate(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    vals = _values(p)
    spec.conds.append(m.Opaque(f"max-pkt-rate@{ptok.path}:{ptok.line}", f"max-pkt-rate {'/'.join(vals)}"))
    rules.report.at(ptok, "note", "approximate", "max-pkt-rate: a rate limit (an unknown condition)", "max-pkt-rate")
    return True


def prio(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    vals = _values(p)
    v = read_int(vals[0])
    if not 0 <= v <= 7:
        rules.report.at(ptok, "error", "invalid", "prio must be 0 - 7", "prio")
        return False
    spec.conds.append(m.Opaque(f"prio {v}", f"prio {v}"))
    rules.report.at(ptok, "note", "approximate",
                    "prio: the packet's priority is not modelled (an unknown condition)", "prio")
    return True


def set_prio(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    vals = _values(p)
    for v in vals:
        if not 0 <= read_int(v) <= 7:
            rules.report.at(ptok, "error", "invalid", "prio must be 0 - 7", "set prio")
            return False
    spec.alters.append(("prio", None, (("prio", " ".join(vals)),), "set prio " + " ".join(vals)))
    return True


def set_queue(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    vals = _values(p)
    for v in vals:
        rules.config.queue_refs.append((v, spec.origin, len(rules.report.diags)))
    spec.alters.append(("queue", None, (("queue", ", ".join(vals)),), "queue " + ", ".join(vals)))
    return True


def set_tos(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    vals = _values(p)
    v = tos_value(vals[0])
    if v is None:
        rules.report.at(ptok, "error", "invalid", f"illegal tos value {vals[0]}", "set tos")
        return False
    spec.alters.append(("tos", None, (("tos", f"0x{v:02x}"),), f"set tos 0x{v:02x}"))
    return True


def set_delay(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    vals = _values(p)
    spec.alters.append(("delay", None, (("delay", vals[0]),), f"set delay {vals[0]}"))
    return True


def rtable(rules: RuleReader, spec: RuleSpec, p: Tree, toks: list[Tok], ptok: Tok) -> bool:
    vals = _values(p)
    spec.alters.append(("rtable", None, (("rtable", vals[0]),), f"rtable {vals[0]}"))
    return True


def _values(p: Tree) -> list[str]:
    """The words and numbers of an option (its keywords and punctuation left out)."""
    return [c.value for c in p.children if isinstance(c, Token) and c.type in ("STRING", "NUMBER")]


def _too_long(rules: RuleReader, value: str, ptok: Tok, message: str, construct: str) -> bool:
    """A label or tag longer than pf keeps (PF_TAG_NAME_SIZE, 64 with its NUL): reported."""
    if len(value) < 64:
        return False
    rules.report.at(ptok, "error", "invalid", message, construct)
    return True


# the reader of each option of a rule (parse tree node name -> function)
OPTION_PARTS = {
    "tos": tos,
    "state_spec": state_spec,
    "fragment": fragment,
    "scrub": scrub,
    "scrub_word": scrub_word,
    "divert_to": divert_to,
    "divert_reply": divert_to,
    "divert_packet": divert_to,
    "nat_to": nat_to,
    "rdr_to": nat_to,
    "binat_to": nat_to,
    "af_to": af_to,
    "route_spec": route_spec,
    "dummynet": dummynet,
    "max_pkt_size": max_pkt_size,
    "label": label,
    "tag": tag,
    "tagged": tagged,
    "received_on": received_on,
    "once": once,
    "probability": probability,
    "max_pkt_rate": max_pkt_rate,
    "prio": prio,
    "set_prio": set_prio,
    "set_queue": set_queue,
    "queue": set_queue,
    "set_tos": set_tos,
    "set_delay": set_delay,
    "rtable": rtable,
}
