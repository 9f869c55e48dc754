"""A rule's addresses, ports, users and translation targets as pfctl reads them (its
`host()`, `getservice()`...): parse-tree parts to vendor objects (`Host`, `Port`), each
refusal reported where pfctl reports it.

Layer: platforms/pf. Functions of the statement's tokens and the report.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from functools import lru_cache

from lark import Token, Tree

from ... import names
from ...names import read_int
from .diagnostics import Report
from .grammar import first_token, token_at
from .lexer import Tok
from .vendor import ANY_HOST, Host, Port
from .vocab import DRIVER_GROUPS, IFACE_MOD_RE, IFACE_RE


def ipspec(report: Report, node: Tree, toks: list[Tok], which: str) -> list[Host] | None:
    out: list[Host] = []
    d = node.data
    if d == "ip_any":
        return [ANY_HOST]
    if d == "ip_list":
        for c in node.children:
            if isinstance(c, Tree):
                got = ipspec(report, c, toks, which)
                if got is None:
                    return None
                out.extend(got)
        return out
    neg = isinstance(node.children[0], Token) and node.children[0].type == "BANG"
    if d == "xhost_noroute":
        return [Host("noroute", "no-route", neg)]
    if d == "xhost_urpf":
        if which == "dst":
            report.at(first_token(node, toks), "error", "invalid", "urpf-failed applies only to the source",
                      "urpf-failed")
            return None
        return [Host("urpf", "urpf-failed", neg)]
    if d == "xhost_route":
        return [Host("route", f"route {node.children[1].value}", False, name=node.children[1].value)]
    hs = host(report, node.children[-1], toks, neg)
    if hs is None or any(h.kind == "error" for h in hs):
        return None
    return hs


def host(report: Report, node, toks: list[Tok], neg: bool, in_table: bool = False) -> list[Host] | None:
    d = node.data
    ch = node.children
    t0 = first_token(node, toks)
    if d == "host_table":
        name = ch[1].value
        if in_table:
            report.at(t0, "error", "invalid", "a table cannot contain a table", "table")
            return [Host("error", "table in table")]
        return [Host("table", f"<{name}>", neg, name=name)]
    if d == "host_dynamic":
        name = ch[1].value
        base = IFACE_MOD_RE.match(name)
        return [Host("dyn", f"({name})", neg, name=base.group(1) if base else name)]
    if d == "host_range":
        return [_address_range(report, ch[0].value, ch[2].value, t0, neg)]
    return _host_word(report, node, toks, t0, neg)


def _address_range(report: Report, a: str, b: str, t0: Tok, neg: bool) -> Host:
    """`a - b`: both addresses of one family, in order."""
    try:
        x, y = ipaddress.ip_address(a), ipaddress.ip_address(b)
    except ValueError:
        report.at(t0, "error", "invalid", f"could not parse host specification {a} - {b}", "address range")
        return Host("error", "bad range")
    if x.version != y.version or read_int(x) > read_int(y):
        report.at(t0, "error", "invalid", f"invalid address range {a} - {b}", "address range")
        return Host("error", "bad range")
    return Host("addr", f"{x} - {y}", neg, x.version, ((x.version, read_int(x), read_int(y)),))


def _host_word(report: Report, node: Tree, toks: list[Tok], t0: Tok, neg: bool) -> list[Host]:
    """A host written as a word (an address, a network, an interface, a host name), with its
    mask (`/24` or a dotted `netmask`) and a pool's `weight`."""
    d = node.data
    ch = node.children
    text = ch[0].value
    quoted = token_at(toks, ch[0]).quoted
    mask = None
    if d == "host_dotted_mask":
        mtext = ch[2].value
        try:
            mask = str(ipaddress.IPv4Network(f"0.0.0.0/{mtext}").prefixlen)
        except ValueError:
            report.at(t0, "error", "invalid", f"invalid netmask {mtext}", "address")
            return [Host("error", "bad mask")]
    elif len(ch) >= 3 and isinstance(ch[1], Token) and ch[1].type == "SLASH":
        mask = ch[2].value
    if any(isinstance(c, Token) and c.type == "WEIGHT" for c in ch):
        report.at(t0, "note", "approximate", "weight: only for load balancing pools", "weight")
    out = []
    for h in parse_host_text(text, mask, quoted):
        if h.kind == "error":
            report.at(t0, "error", "invalid", h.text, "address")
            return [h]
        out.append(dataclasses.replace(h, neg=neg))
    for h in out:
        if h.kind == "name":
            report.at(t0, "note", "approximate",
                      f"{h.text}: a host name is resolved when the rules are loaded (an unknown set of addresses)",
                      "hostname")
        note_zone(report, h, t0)
    if any(h.name == "localhost" for h in out):
        report.at(t0, "note", "approximate", "localhost: read as 127.0.0.1 and ::1 (as /etc/hosts usually says)",
                  "hostname")
    return out


def note_zone(report: Report, h: Host, tok: Tok, where: str = "") -> None:
    """An IPv6 address with a scope: the address is modelled, the scope is not (a note)."""
    if h.zone:
        report.at(tok, "note", "approximate",
                  f"{where}{h.text}%{h.zone}: the scope %{h.zone} of this IPv6 address is not modelled: "
                  f"fwlint matches {h.text} on every interface", "scoped address")


def port_spec(report: Report, node: Tree, toks: list[Tok]) -> list[Port] | None:
    out = []
    for it in node.children:
        if not isinstance(it, Tree):
            continue
        got = port_item(report, it, toks)
        if got is None:
            return None
        out.append(got)
    return out


def port_item(report: Report, it: Tree, toks: list[Tok]) -> Port | None:
    d = it.data
    vals = [c for c in it.children if isinstance(c, Token) and c.type in ("STRING", "NUMBER")]
    t0 = first_token(it, toks)
    if d == "port_eq":
        v = vals[0].value
        if ":" in v:
            a, _, b = v.partition(":")
            pa, pb = port_value(report, a, t0), port_value(report, b, t0)
            if pa is None or pb is None:
                return None
            return Port(":", pa, pb)
        p = port_value(report, v, t0)
        return None if p is None else Port("=", p)
    if d == "port_unary":
        op = it.children[0].children[0].value
        p = port_value(report, vals[0].value, t0)
        return None if p is None else Port(op, p)
    a = port_value(report, vals[0].value, t0)
    b = port_value(report, vals[1].value, t0)
    if a is None or b is None:
        return None
    return Port("<>" if d == "port_outside" else "><", a, b)


def port_value(report: Report, text: str, tok: Tok) -> int | None:
    t = text.strip()
    n: int | None
    if re.fullmatch(r"-?[0-9]+", t):
        n = read_int(t)
    elif re.fullmatch(r"0[xX][0-9a-fA-F]+", t):
        n = read_int(t, 16)
    else:
        n = names.port_number(t, "")
        if n is None:
            report.at(tok, "error", "invalid", f"unknown port {t}", "port")
            return None
    if not 0 <= n <= 65535:
        report.at(tok, "error", "invalid", f"illegal port value {n}", "port")
        return None
    return n


def uid_spec(report: Report, node: Tree, toks: list[Tok]) -> list[str]:
    out = []
    for it in node.children:
        if isinstance(it, Tree):
            out.append(" ".join(t.value for t in it.scan_values(lambda v: isinstance(v, Token))))
    return out


def redir_hosts(report: Report, node: Tree, toks: list[Tok]) -> list[Host] | None:
    out = []
    for c in node.children:
        if isinstance(c, Tree):
            hs = host(report, c, toks, False)
            if hs is None or any(h.kind == "error" for h in hs):
                return None
            out.extend(hs)
    return out


def redir_spec(report: Report, node: Tree, toks: list[Tok], kind: str) -> tuple | None:
    hosts = redir_hosts(report, node.children[0], toks)
    if hosts is None:
        return None
    port = None
    pool = []
    ch = node.children[1:]
    k = 0
    while k < len(ch):
        c = ch[k]
        if isinstance(c, Token) and c.type == "PORT":
            port = ch[k + 1].value
            k += 2
            continue
        if isinstance(c, Token):
            pool.append(c.value)
        else:
            pool.append(" ".join(t.value for t in c.scan_values(lambda v: isinstance(v, Token))))
        k += 1
    if port is not None:
        a, _, b = port.partition(":")
        tok = first_token(node, toks)
        if port_value(report, a, tok) is None or (b and b != "*" and port_value(report, b, tok) is None):
            return None
    return hosts, port, " ".join(pool)


def route_host(report: Report, node, toks: list[Tok]) -> list[Host] | None:
    if node.data == "route_iface_host":
        vals = [c.value for c in node.children if isinstance(c, Token) and c.type in ("STRING", "NUMBER")]
        iface, addr = vals[0], vals[1]
        mask = vals[2] if len(vals) > 2 else None
        if mask is not None and not mask.isdigit():
            try:
                mask = str(ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen)
            except ValueError:
                report.at(first_token(node, toks), "error", "invalid", f"invalid netmask {mask}", "route-to")
                return None
        out = []
        for h in parse_host_text(addr, mask, False):
            if h.kind == "error":
                report.at(first_token(node, toks), "error", "invalid", h.text, "route-to")
                return None
            note_zone(report, h, first_token(node, toks))
            out.append(dataclasses.replace(h, name=iface))
        return out
    hs = host(report, node, toks, False)
    if hs is None or any(h.kind == "error" for h in hs):
        return None
    return hs


def parse_host_text(text: str, mask: str | None, quoted: bool) -> tuple[Host, ...]:
    """A host word (with its `/mask`) as pfctl's host() reads it, shared by every use of
    the word: the callers make their own (dataclasses.replace with neg or name), one object
    per use (the conversion tells a rule's hosts apart by identity)."""
    return _read_host_text(text, mask, quoted)


@lru_cache(maxsize=1 << 16)
def _read_host_text(text: str, mask: str | None, quoted: bool) -> tuple[Host, ...]:
    """pfctl's host(), once per distinct word: a list macro used in many rules, or expanded
    many times in one, repeats the same addresses."""
    return tuple(_host_from_text(text, mask, quoted))


def _host_from_text(text: str, mask: str | None, quoted: bool) -> list[Host]:
    t = text
    if mask is not None:
        if not re.fullmatch(r"[0-9]+", mask):
            return [Host("error", f"invalid netmask /{mask}")]
        bits = read_int(mask)
    else:
        bits = None
    if t == "self" and not quoted:
        return [Host("self", "self")]
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+){0,3}", t):
        return [_ipv4_host(t, bits)]
    if re.fullmatch(r"[0-9.]+", t):
        return [Host("error", f"no IP address found for {t}: could not parse host specification")]
    if ":" in t and re.fullmatch(r"[0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.]+)?", t):
        # pfctl reads it with getaddrinfo(AI_NUMERICHOST), which takes a scope (`%em0`)
        addr_text, _, zone = t.partition("%")
        try:
            addr6 = ipaddress.IPv6Address(addr_text)
        except ValueError:
            return [Host("error", f"could not parse host specification {t}")]
        if bits is not None and bits > 128:
            return [Host("error", f"netmask {bits} invalid for IPv6 address")]
        net6 = ipaddress.IPv6Network(f"{addr6}/{128 if bits is None else bits}", strict=False)
        return [dataclasses.replace(_net_host(net6), zone=zone)]
    mod = IFACE_MOD_RE.match(t)
    base = mod.group(1) if mod else t
    if t == "localhost":
        return [Host("addr", "127.0.0.1", af=4, ranges=((4, 0x7F000001, 0x7F000001),), name="localhost"),
                Host("addr", "::1", af=6, ranges=((6, 1, 1),), name="localhost")]
    if mod or IFACE_RE.fullmatch(t) or base == "egress" or base in DRIVER_GROUPS:
        if bits is not None:
            text_shown = f"{t}/{bits}"
        else:
            text_shown = t
        return [Host("iface", text_shown, name=base)]
    if re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?", t):
        return [Host("name", t + (f"/{bits}" if bits is not None else ""), name=t)]
    return [Host("error", f"could not parse host specification {t!r}")]


def _ipv4_host(t: str, bits: int | None) -> Host:
    """IPv4, with pfctl's short forms when a mask is given (10/8, 172.16/12)."""
    parts = t.split(".")
    if len(parts) != 4 and bits is None:
        return Host("error", f"could not parse host specification {t}")
    if any(read_int(p) > 255 for p in parts):
        return Host("error", f"no IP address found for {t}")
    parts = parts + ["0"] * (4 - len(parts))
    if bits is not None and bits > 32:
        return Host("error", f"netmask {bits} invalid for IPv4 address")
    octets = [read_int(p) for p in parts]
    if bits is None or bits == 32:
        # one address (most entries of a large table): no ipaddress objects needed
        n = (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]
        return Host("addr", ".".join(map(str, octets)), False, 4, ((4, n, n),))
    addr = ipaddress.IPv4Address(".".join(map(str, octets)))
    return _net_host(ipaddress.IPv4Network(f"{addr}/{bits}", strict=False))


def _net_host(net) -> Host:
    fam = net.version
    if net.prefixlen == net.max_prefixlen:
        text = str(net.network_address)
    else:
        text = str(net)
    return Host("addr", text, False, fam, ((fam, read_int(net.network_address), read_int(net.broadcast_address)),))


# --------------------------------------------------------------------------- entry points
