"""An access-list entry -> model conditions (protocols, object-groups, addresses, wildcards,
ports, TCP flags, ICMP types, the options fwlint models as unknown conditions); an access
list as a match predicate (class-maps, NAT).

Layer: platforms (left of the model). Each function takes the Converter first (diagnostics,
object-group resolution).
"""

from __future__ import annotations

import dataclasses

from .... import model as m
from ....ranges import merge, merge3
from ..common import MAX_WILDCARD_RANGES, ipv4, ipv6, mask_len, prefix, wildcard_ranges
from .vendor import Ace, AceSpec, Acl
from .vocab import FLAG_BITS, PORT_PROTOS, V6_OPTIONS, icmp_cond, port_ranges, proto_value

MAX_PREDICATE_CONDS = 20000  # an ACL used as a match (class-map, NAT) larger than this is opaque


def negation(match_conds: tuple) -> m.Cond:
    """NOT (a conjunction)."""
    if len(match_conds) == 1 and not isinstance(match_conds[0], m.AnyCond):
        c = match_conds[0]
        return dataclasses.replace(c, negated=not c.negated)
    return m.AnyCond((m.Match(tuple(match_conds)),), negated=True)


def any_of(alts: list[tuple]) -> tuple:
    """The conditions of a disjunction of conjunctions (a tuple of conditions)."""
    if any(len(a) == 0 for a in alts):
        return ()
    if len(alts) == 1:
        return tuple(alts[0])
    return (m.AnyCond(tuple(m.Match(tuple(a)) for a in alts)),)


NOTHING = (m.AnyCond(()),)  # a condition no packet satisfies
# TCP `established`: ACK or RST set
ESTABLISHED = m.AnyCond((m.Match((m.FlagsCond(0x10, 0x10),)), m.Match((m.FlagsCond(0x04, 0x04),))))


def _protocol(cv, spec: AceSpec, fam: int, ln: int, conds: list):
    """The protocol of an extended entry (a name, a number, a protocol or service object-group):
    its conditions appended to `conds`; returns (protos, service): the protocol numbers (None:
    every protocol; ("?",): unknown), whether a service group gave them; None when IOS rejects
    the entry (after an error diagnostic)."""
    protos: tuple | None = None  # None: every protocol
    service = False
    if spec.std or spec.proto is None:
        return protos, service
    kind, text, col = spec.proto
    if kind == "group":
        g = cv.group_ref(text, ln, col, ("protocol", "service"))
        if g is None:
            conds.append(m.Opaque(f"ios:object-group {text}", f"object-group {text} (undefined)"))
            protos = ("?",)
        elif g.kind == "protocol":
            members = cv.group_members(g, ln, col)
            if members is None:
                return None
            ps = None if None in members else sorted(set(members))
            if ps is not None:
                protos = tuple(ps)
                conds.append(m.IntCond(m.PROTO, merge((p, p) for p in ps)))
                if not ps:
                    cv.diag(ln, col, "note", "approximate",
                            f"object-group {text} is empty: this entry matches nothing", "object-group")
        else:
            members = cv.group_members(g, ln, col)
            if members is None:
                return None
            alts = cv.flat_services(g, fam, members)
            service = True
            if not alts:
                cv.diag(ln, col, "note", "approximate",
                        f"object-group {text} is empty: this entry matches nothing", "object-group")
                conds.extend(NOTHING)
            else:
                conds.extend(any_of(alts))
    else:
        p = proto_value(text, fam)
        if p is False:
            cv.diag(ln, col, "error", "invalid",
                    f"unknown protocol `{text}` for an IPv{fam} access list; IOS rejects this entry",
                    "protocol")
            return None
        if p is not None:
            protos = (p,)
            conds.append(m.IntCond(m.PROTO, ((p, p),)))
    return protos, service


def ace_conds(cv, acl: Acl, e: Ace) -> list | None:
    """The conditions of one entry; None when IOS rejects it (after an error diagnostic)."""
    if e.kind == "evaluate":
        cv.diag(e.line, e.col, "note", "approximate",
                f"evaluate {e.evaluate}: the reflexive entries are modelled as packets of established "
                "sessions (whether the session was reflected is unknown)", "reflexive access list")
        est = m.STATE_NUMBER["ESTABLISHED"], m.STATE_NUMBER["RELATED"]
        return [m.IntCond(m.STATE, ((min(est), max(est)),)),
                m.Opaque(f"ios:reflexive {e.evaluate}", f"a session recorded by `reflect {e.evaluate}`")]
    spec = e.spec
    assert spec is not None
    fam = acl.family
    ln = e.line
    conds: list = []
    got = _protocol(cv, spec, fam, ln, conds)
    if got is None:
        return None
    protos, service = got
    for side, fieldname in ((spec.src, m.SRC), (spec.dst, m.DST)):
        if side is None:
            continue
        c = addr_conds(cv, side, fieldname, fam, ln)
        if c is None:
            return None
        conds.extend(c)
    for port, fieldname in ((spec.sport, m.SPORT), (spec.dport, m.DPORT)):
        if port is None:
            continue
        op, vals, col = port
        if service or protos is None or "?" in protos or not set(protos) <= PORT_PROTOS or not protos:
            if protos is not None and "?" in protos:
                continue
            cv.diag(ln, col, "error", "invalid",
                    "port numbers need the protocol tcp, udp or sctp; IOS rejects this entry", "port")
            return None
        ptext = "udp" if protos == (17,) else "tcp"
        r = port_ranges(cv.diag, [(op, col)] + list(vals), ptext, ln, col, "port", protos)
        if r is None:
            return None
        conds.append(m.IntCond(fieldname, r))
    ok = item_conds(cv, spec, protos, fam, ln, conds, e)
    if not ok:
        return None
    if e.dynamic:
        cv.diag(ln, e.col, "note", "approximate",
                f"dynamic (lock-and-key) entry {e.dynamic}: it applies only after a user authenticates; "
                "modelled as an unknown condition", "dynamic access list")
        conds.append(m.Opaque(f"ios:dynamic {acl.name} {e.dynamic}", f"lock-and-key entry {e.dynamic} activated"))
    return conds


def item_conds(cv, spec: AceSpec, protos, fam: int, ln: int, conds: list, e: Ace) -> bool:
    """The conditions of the words after the addresses and ports (appended to `conds`); False
    when IOS rejects the entry (after an error diagnostic)."""
    if not spec.items:
        return True
    tcp_only = protos == (6,)
    icmp_vals: list[tuple[str, int]] = []
    flags: list[tuple[str, int]] = []
    prev = ""

    def need_tcp(what: str, col: int) -> bool:
        if protos is not None and "?" in protos:
            return True
        if not tcp_only:
            cv.diag(ln, col, "error", "invalid", f"`{what}` needs the protocol tcp; IOS rejects this entry",
                    what)
            return False
        return True

    for kind, vals, col in spec.items:
        if kind == "value":
            if prev == "log":
                prev = "logtag"
                continue  # `log WORD`: a log cookie
            icmp_vals.append((vals[0][0], col))
            prev = kind
            continue
        prev = kind
        if kind == "log":
            continue
        if kind in ("established", "flag", "match_any", "match_all"):
            if not _tcp_item(kind, vals, col, need_tcp, conds, flags):
                return False
        else:
            _unmodelled_item(cv, ln, kind, vals, col, conds)
    if flags:
        _flag_keywords(cv, ln, flags, conds)
    if icmp_vals and fam == 6:
        icmp_vals = ipv6_options(cv, icmp_vals, ln, conds)
    return not icmp_vals or _icmp_item(cv, ln, fam, protos, icmp_vals, conds)


def _tcp_item(kind: str, vals: list, col: int, need_tcp, conds: list, flags: list) -> bool:
    """`established`, a flag keyword, `match-any`/`match-all`: TCP's alone (False: IOS rejects
    the entry, said by `need_tcp`). Flag keywords are gathered in `flags`, read together."""
    what = vals[0][0].lower() if kind == "flag" else kind.replace("_", "-")
    if not need_tcp(what, col):
        return False
    if kind == "established":
        conds.append(ESTABLISHED)
    elif kind == "flag":
        flags.append((what, col))
    else:
        conds.extend(_flag_match(kind, [(x[0].lower(), x[1]) for x in vals]))
    return True


def _flag_match(kind: str, fl: list) -> tuple:
    """`match-all +syn -ack` (each flag as given), `match-any +syn +fin` (any of them as given)."""
    if kind == "match_all":
        mask = comp = 0
        for f, _c in fl:
            bit = FLAG_BITS[f[1:]]
            mask |= bit
            if f[0] == "+":
                comp |= bit
        return (m.FlagsCond(mask, comp),)
    alts = [(m.FlagsCond(FLAG_BITS[f[1:]], FLAG_BITS[f[1:]] if f[0] == "+" else 0),) for f, _c in fl]
    return any_of(alts)


def _unmodelled_item(cv, ln: int, kind: str, vals: list, col: int, conds: list) -> None:
    """What fwlint reads as an unknown condition (with a note): fragments, time-ranges, IP
    header fields; `reflect` (a note only)."""
    if kind == "fragments":
        cv.diag(ln, col, "note", "approximate",
                "`fragments` matches non-initial fragments only; fwlint's packets are not fragments: "
                "modelled as an unknown condition", "fragments")
        conds.append(m.Opaque("ios:fragments", "a non-initial fragment"))
    elif kind == "time_range":
        name = vals[0][0]
        cv.uses.time_ranges.add(name)
        if name not in cv.config.time_ranges:
            cv.diag(ln, vals[0][1], "error", "undefined-reference",
                    f"time-range {name} is not defined", "time-range")
        else:
            cv.diag(ln, col, "note", "approximate",
                    f"time-range {name}: whether the entry is active depends on the time; "
                    "modelled as an unknown condition", "time-range")
        conds.append(m.Opaque(f"ios:time-range {name}", f"time-range {name} is active"))
    elif kind in ("dscp", "precedence", "tos", "option"):
        v = vals[0][0]
        cv.diag(ln, col, "note", "approximate",
                f"`{kind} {v}` tests an IP header field fwlint does not model: an unknown condition", kind)
        conds.append(m.Opaque(f"ios:{kind} {v.lower()}", f"IP {kind} {v}"))
    elif kind in ("ttl", "packet_length"):
        text = " ".join(v for v, _ in vals)
        what = kind.replace("_", "-")
        cv.diag(ln, col, "note", "approximate",
                f"`{what} {text}` tests an IP header field fwlint does not model: an unknown condition", what)
        conds.append(m.Opaque(f"ios:{what} {text.lower()}", f"IP {what} {text}"))
    elif kind == "reflect":
        cv.diag(ln, col, "note", "approximate",
                f"reflect {vals[0][0]}: the entry matches as written, and its sessions open reflexive "
                "entries that `evaluate` tests (modelled as established sessions)", "reflexive access list")


def _flag_keywords(cv, ln: int, flags: list, conds: list) -> None:
    """`syn`, `ack`, ... without match-any/match-all: one is that flag set, several any of them."""
    if len(flags) == 1:
        bit = FLAG_BITS[flags[0][0]]
        conds.append(m.FlagsCond(bit, bit))
    else:
        cv.diag(ln, flags[1][1], "note", "approximate",
                "several TCP flag keywords without match-any/match-all: read as any of them set",
                "tcp flags")
        conds.extend(any_of([(m.FlagsCond(FLAG_BITS[f], FLAG_BITS[f]),) for f, _c in flags]))


def _icmp_item(cv, ln: int, fam: int, protos, icmp_vals: list, conds: list) -> bool:
    """The ICMP (or IGMP) message words of an entry; False when IOS rejects them."""
    icmp_proto = 58 if fam == 6 else 1
    words = [v for v, _ in icmp_vals]
    if protos == (icmp_proto,):
        c = icmp_cond(words, fam == 6)
        if c is None:
            cv.diag(ln, icmp_vals[0][1], "error", "invalid",
                    f"unknown ICMP{'v6' if fam == 6 else ''} message `{' '.join(words)}`; "
                    "IOS rejects this entry",
                    "icmp type")
            return False
        conds.append(c)
    elif protos == (2,) and fam == 4:
        cv.diag(ln, icmp_vals[0][1], "note", "approximate",
                f"IGMP type `{' '.join(words)}` is not modelled: an unknown condition", "igmp type")
        conds.append(m.Opaque(f"ios:igmp {' '.join(words).lower()}", f"IGMP type {' '.join(words)}"))
    elif protos is not None and "?" in protos:
        pass
    else:
        cv.diag(ln, icmp_vals[0][1], "error", "syntax",
                f"unexpected `{words[0]}` in this entry", "access-list entry")
        return False
    return True


def ipv6_options(cv, vals: list, ln: int, conds: list) -> list:
    """IPv6 extension-header and flow tests (`routing`, `hbh`, `flow-label N`, ...): unknown
    conditions with a note; the other words are returned."""
    rest = []
    i = 0
    while i < len(vals):
        w, col = vals[i]
        lw = w.lower()
        if lw in V6_OPTIONS:
            arg = ""
            if V6_OPTIONS[lw] and i + 1 < len(vals):
                arg = " " + vals[i + 1][0]
                i += 1
            cv.diag(ln, col, "note", "approximate",
                    f"`{w}{arg}` tests an IPv6 header fwlint does not model: an unknown condition", "ipv6 option")
            conds.append(m.Opaque(f"ios:ipv6 {lw}{arg.lower()}", f"IPv6 {w}{arg}"))
        else:
            rest.append((w, col))
        i += 1
    return rest


def addr_conds(cv, side: tuple, fieldname: str, fam: int, ln: int) -> list | None:
    kind = side[0]
    if kind == "any":
        return []
    if kind in ("host", "bare"):
        text, col = side[1], side[2]
        a = ipv4(text) if fam == 4 else (ipv6(text) if ":" in text else None)
        if a is None:
            cv.diag(ln, col, "error", "invalid", f"`{text}` is not an IPv{fam} address; IOS rejects this entry",
                    "address")
            return None
        return [m.AddrCond(fieldname, ((fam, a, a),))]
    if kind == "wild":
        return _wildcard_conds(cv, side, fieldname, fam, ln)
    if kind == "prefix":
        text, col = side[1], side[2]
        p = prefix(text)
        if p is None or p[0] != fam:
            cv.diag(ln, col, "error", "invalid", f"`{text}` is not an IPv{fam} prefix; IOS rejects this entry",
                    "address")
            return None
        return [m.AddrCond(fieldname, (p,))]
    if kind == "group":
        name, col = side[1], side[2]
        g = cv.group_ref(name, ln, col, ("network",))
        if g is None:
            return [m.Opaque(f"ios:object-group {name}", f"object-group {name} (undefined)")]
        members = cv.group_members(g, ln, col)
        if members is None:
            return None
        rs = [r for r in members if r[0] == fam]
        if not rs:
            cv.diag(ln, col, "note", "approximate",
                    f"object-group {name} has no IPv{fam} address: this entry matches nothing", "object-group")
        return [m.AddrCond(fieldname, merge3(rs))]
    raise ValueError(kind)  # pragma: no cover


def _wildcard_conds(cv, side: tuple, fieldname: str, fam: int, ln: int) -> list | None:
    """`ADDRESS WILDCARD`: the address ranges it matches (an unknown condition past
    MAX_WILDCARD_RANGES); None when IOS rejects it."""
    a_text, w_text, col, wcol = side[1], side[2], side[3], side[4]
    if fam == 6:
        cv.diag(ln, col, "error", "syntax",
                "IPv6 access lists take prefixes (`2001:db8::/32`), not wildcards", "address")
        return None
    a = ipv4(a_text)
    if a is None:
        cv.diag(ln, col, "error", "invalid", f"`{a_text}` is not an IPv4 address; IOS rejects this entry",
                "address")
        return None
    w = ipv4(w_text)
    if w is None:
        cv.diag(ln, wcol, "error", "invalid", f"malformed wildcard `{w_text}`; IOS rejects this entry",
                "wildcard")
        return None
    rs = wildcard_ranges(a, w)
    if rs is None:
        hint = ""
        if mask_len(w) is not None:
            hint = (f" (it looks like a netmask: IOS reads `{w_text}` as a wildcard, so only the last "
                    f"{32 - (mask_len(w) or 0)} bits are compared)")
        cv.diag(ln, wcol, "note", "approximate",
                f"non-contiguous wildcard {a_text} {w_text} matches more than {MAX_WILDCARD_RANGES} address "
                f"ranges: modelled as an unknown condition{hint}", "non-contiguous wildcard")
        return [m.Opaque(f"ios:wildcard {fieldname} {a_text} {w_text}",
                         f"{'source' if fieldname == m.SRC else 'destination'} matches {a_text} {w_text}")]
    return [m.AddrCond(fieldname, tuple((4, lo, hi) for lo, hi in rs))]


def acl_predicate(cv, f: m.Filter, construct: str, ln: int, col: int) -> tuple:
    """The packets an access list permits, as conditions: permit i and none of the denies
    before it (first match). Empty list: nothing."""
    fam = (m.IntCond(m.FAMILY, ((f.family, f.family),)),) if f.family else ()
    alts: list[tuple] = []
    denies: list[tuple] = []
    size = 0
    for r in f.rules:
        if r.action.kind == "accept":
            alts.append(tuple(r.match.conds) + tuple(negation(d) for d in denies))
            size += len(denies) + 1
            if not r.match.conds and not denies:
                break
        else:
            if not r.match.conds:
                break
            denies.append(tuple(r.match.conds))
        if size > MAX_PREDICATE_CONDS:
            cv.diag(ln, col, "note", "approximate",
                    f"access list {f.name} is too large to use as a match here: an unknown condition", construct)
            return fam + (m.Opaque(f"ios:acl-match {f.name}", f"access list {f.name} permits the packet"),)
    if not alts:
        return NOTHING
    return fam + any_of(alts)
