"""NAT: `ip nat pool`, `ip nat inside|outside source|destination ...` (read as statements,
converted at the end of the file into Alterations between the inside and outside interfaces).

Layer: platforms (left of the model).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .... import model as m
from ....names import read_int
from ..common import ipv4, mask_len, words
from .conditions import acl_predicate


def nat_global(r, lineno: int, ws, lw) -> None:
    r.relevant(lineno)
    k = lw[2] if len(lw) > 2 else ""
    if k == "pool" and len(ws) > 3:
        name = ws[3][0]
        pool = {"line": lineno, "start": None, "end": None}
        if len(ws) > 5 and ipv4(ws[4][0]) is not None and ipv4(ws[5][0]) is not None:
            pool["start"], pool["end"] = ws[4][0], ws[5][0]
        r.config.nat_pools[name] = pool

        def handler(ln: int, line: str, pool=pool) -> None:
            r.relevant(ln)
            w2 = words(line)
            if w2[0][0].lower() == "address" or w2[0][0].lower() == "range":
                if len(w2) > 2 and pool["start"] is None:
                    pool["start"], pool["end"] = w2[1][0], w2[2][0]

        r.open_block(lineno, handler)
        return
    if k in ("inside", "outside"):
        r.config.nat_stmts.append((lineno, " ".join(w for w, _ in ws)))
        return
    # timeouts, logging, translation limits, `ip nat service`: understood, no effect on filtering


def build_nat(cv, used: set) -> list[m.Alteration]:
    inside = tuple(i.name for i in cv.config.ifaces.values() if i.nat == "inside")
    outside = tuple(i.name for i in cv.config.ifaces.values() if i.nat == "outside")
    out: list[m.Alteration] = []
    for ln, _text in cv.config.nat_stmts:
        try:
            out.extend(nat_stmt(cv, ln, inside, outside, used))
        except (IndexError, ValueError):
            cv.diag(ln, 1, "error", "syntax", "an `ip nat` rule fwlint cannot read", "ip nat")
    return out


@dataclass(frozen=True)
class _NatStatement:
    """What the forms of `ip nat inside|outside source|destination` share."""

    line: int
    words: list
    what: str  # source | destination
    stage: str  # out: translated on the way out (inside source), else in
    origin: m.Origin
    text: str
    base_params: list
    ifc: tuple  # the interface conditions of the translation
    back: tuple  # and of its reverse


def nat_stmt(cv, ln: int, inside: tuple, outside: tuple, used: set) -> list[m.Alteration]:
    """The Alterations of one `ip nat inside|outside source|destination ...` line."""
    ws = words(cv.lines[ln - 1])
    lw = [w.lower() for w, _ in ws]
    side, what = lw[2], lw[3] if len(lw) > 3 else ""
    origin = cv.origin(ln)
    text = cv.lines[ln - 1].strip()
    if what not in ("source", "destination") or len(ws) < 6:
        cv.diag(ln, ws[2][1], "error", "syntax", "`ip nat inside|outside source|destination ...`", "ip nat")
        return []
    stage = "out" if (side, what) == ("inside", "source") else "in"
    base_params = [("side", side), ("translates", what)]
    if not inside or not outside:
        cv.diag(ln, ws[0][1], "note", "approximate",
                "no interface has both `ip nat inside` and `ip nat outside` configured: this translation "
                "never applies", "ip nat")
    if inside:
        base_params.append(("inside_interfaces", ",".join(inside)))
    if outside:
        base_params.append(("outside_interfaces", ",".join(outside)))
    # translation happens between an inside and an outside interface only (with none of
    # either, the interface conditions match nothing, as NAT then does nothing)
    if stage == "out":
        ifc = (m.IfaceCond(m.IN_IFACE, inside), m.IfaceCond(m.OUT_IFACE, outside))
        back = (m.IfaceCond(m.IN_IFACE, outside), m.IfaceCond(m.OUT_IFACE, inside))
    else:
        ifc = (m.IfaceCond(m.IN_IFACE, outside), m.IfaceCond(m.OUT_IFACE, inside))
        back = (m.IfaceCond(m.IN_IFACE, inside), m.IfaceCond(m.OUT_IFACE, outside))
    st = _NatStatement(ln, ws, what, stage, origin, text, base_params, ifc, back)
    k = lw[4]
    if k in ("list", "route-map"):
        return _dynamic_rule(cv, st, k, used)
    if k == "static":
        return _static_rule(cv, st)
    cv.diag(ln, ws[4][1], "error", "syntax", f"unknown NAT form `{ws[4][0]}`", "ip nat")
    return []


def _dynamic_rule(cv, st: _NatStatement, k: str, used: set) -> list[m.Alteration]:
    """`... source list ACL|route-map RM pool P|interface I [overload]`: one translation."""
    ln, ws, what, stage, origin, text, base_params, ifc = (st.line, st.words, st.what, st.stage, st.origin, st.text,
                                                           st.base_params, st.ifc)
    name, ncol = ws[5][0], ws[5][1]
    params = base_params + [("list" if k == "list" else "route-map", name)]
    if k == "list":
        f = cv.filters_by_key.get((4, name))
        if f is None:
            cv.diag(ln, ncol, "error", "undefined-reference", f"access list {name} is not defined: this "
                    "rule translates nothing", "ip nat")
            match: tuple = (m.Opaque(f"ios:acl {name}", f"access list {name} (undefined)"),)
        else:
            used.add((4, name))
            match = acl_predicate(cv, f, "ip nat", ln, ncol)
            if what == "destination":
                match = tuple(swap_src_dst(c) for c in match)
    else:
        cv.uses.acl_names.add(name)
        cv.diag(ln, ncol, "note", "approximate",
                f"route-map {name}: the packets it selects are not modelled (an unknown condition)", "ip nat")
        match = (m.Opaque(f"ios:route-map {name}", f"route-map {name} matches"),)
    rest = ws[6:]
    i = 0
    while i < len(rest):
        w = rest[i][0].lower()
        if w in ("pool", "interface", "vrf") and i + 1 < len(rest):
            params.append((w, rest[i + 1][0]))
            pool = cv.config.nat_pools.get(rest[i + 1][0]) if w == "pool" else None
            if w == "pool" and pool is None:
                cv.diag(ln, rest[i + 1][1], "error", "undefined-reference",
                        f"NAT pool {rest[i + 1][0]} is not defined", "ip nat")
            elif pool is not None and pool["start"]:
                params.append(("pool_range", f"{pool['start']}-{pool['end']}"))
            i += 2
            continue
        if w in ("overload", "reversible", "no-payload", "oer", "redundancy", "mapping-id"):
            params.append((w, "yes"))
        i += 1
    return [m.Alteration("nat", m.Match(tuple(match) + ifc), origin, stage, params=tuple(params),
                         description=text)]


def _static_rule(cv, st: _NatStatement) -> list[m.Alteration]:
    """`... source static [tcp|udp] [network] A [PORT] B [PORT] [MASK]`: the translation and its reverse."""
    ln, ws, stage, origin, text, base_params, ifc, back = (st.line, st.words, st.stage, st.origin, st.text,
                                                           st.base_params, st.ifc, st.back)
    args = ws[5:]
    proto = None
    if args[0][0].lower() in ("tcp", "udp"):
        proto = 6 if args[0][0].lower() == "tcp" else 17
        args = args[1:]
    network = False
    if args[0][0].lower() == "network":
        network = True
        args = args[1:]
    a_text = args[0][0]
    if proto:
        a_port, b_text, b_port = args[1][0], args[2][0], args[3][0]
        rest = args[4:]
    else:
        a_port = b_port = None
        b_text = args[1][0]
        rest = args[2:]
    plen = 32
    if network and rest:
        mtext = rest[0][0]
        if mtext.startswith("/") and mtext[1:].isdigit():
            plen = read_int(mtext[1:])
        else:
            mk = ipv4(mtext)
            plen = mask_len(mk) if mk is not None else None  # type: ignore[assignment]
        rest = rest[1:]
    a, b = ipv4(a_text), ipv4(b_text)
    if a is None or b is None or plen is None or not 0 <= plen <= 32:
        cv.diag(ln, args[0][1], "error", "invalid", "static NAT needs two IPv4 addresses (and a valid mask)",
                "ip nat")
        return []
    size = (1 << (32 - plen)) - 1
    ra = (4, a & ~size & 0xFFFFFFFF, (a & ~size & 0xFFFFFFFF) | size)
    rb = (4, b & ~size & 0xFFFFFFFF, (b & ~size & 0xFFFFFFFF) | size)
    params = base_params + [("static", "yes"), ("from", a_text), ("to", b_text)]
    if network:
        params.append(("prefix-length", str(plen)))
    pc = (m.IntCond(m.PROTO, ((proto, proto),)),) if proto else ()
    fwd = pc + (m.AddrCond(m.SRC, (ra,)),)
    rev = pc + (m.AddrCond(m.DST, (rb,)),)
    if proto:
        pa, pb = read_int(a_port), read_int(b_port)  # type: ignore[arg-type]
        params += [("from_port", str(pa)), ("to_port", str(pb))]
        fwd += (m.IntCond(m.SPORT, ((pa, pa),)),)
        rev += (m.IntCond(m.DPORT, ((pb, pb),)),)
    extra = ()
    for j, (w, c) in enumerate(rest):
        wl = w.lower()
        if wl in ("vrf", "route-map") and j + 1 < len(rest):
            params.append((wl, rest[j + 1][0]))
            if wl == "route-map":
                cv.uses.acl_names.add(rest[j + 1][0])
                cv.diag(ln, c, "note", "approximate",
                        f"route-map {rest[j + 1][0]}: the packets it selects are not modelled", "ip nat")
                extra = (m.Opaque(f"ios:route-map {rest[j + 1][0]}", f"route-map {rest[j + 1][0]} matches"),)
        elif wl in ("extendable", "no-alias", "add-route", "no-payload", "redundancy", "reversible"):
            params.append((wl, "yes"))
    rev_stage = "in" if stage == "out" else "out"
    return [
        m.Alteration("nat", m.Match(fwd + extra + ifc), origin, stage, params=tuple(params), description=text),
        m.Alteration("nat", m.Match(rev + extra + back), origin, rev_stage,
                     params=tuple(params) + (("reverse", "yes"),),
                     description=text + " (the reverse translation)"),
    ]


def swap_src_dst(c):
    if isinstance(c, m.AddrCond):
        return dataclasses.replace(c, field=m.DST if c.field == m.SRC else m.SRC if c.field == m.DST else c.field)
    if isinstance(c, m.AnyCond):
        return dataclasses.replace(c, alternatives=tuple(m.Match(tuple(swap_src_dst(x) for x in a.conds))
                                                         for a in c.alternatives))
    return c
