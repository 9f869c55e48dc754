"""FW003 accept any-any: a rule that accepts every new connection.

## What it does
Finds accepting rules that let every new connection through: any source, any destination,
any protocol and port, in the context where the rule stands (a user chain counts with the
packets its callers send it). Rules limited to the loopback interface are not reported; a
rule limited to an interface is reported, since it opens everything arriving there.
An ASA interface without an inbound access-group is reported at its `security-level` line
when the level's implicit permit lets every new connection out to the lower interfaces.
The witness is a new connection the rule itself accepts: traced, it stops at that rule
(none when earlier rules take every such packet).

## Why is this bad?
An any-any accept turns a firewall into a router: everything behind it is exposed, and every
rule after it is dead. It is usually a debugging leftover or a shortcut that outlived its
reason.

## Example
```
-A FORWARD -j ACCEPT
```

## Use instead
```
-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A FORWARD -d 192.0.2.10 -p tcp --dport 443 -j ACCEPT
```

## References
- CIS Distribution Independent Linux benchmark: ensure a default deny firewall policy.
"""

from __future__ import annotations

from typing import Iterator

from .. import model as m
from ..findings import Result
from ._util import rule_ref

ID = "FW003"
NAME = "accept-any-any"
SEVERITY = "warning"
SUMMARY = "Rule accepts every new connection (any source, destination, protocol and port)"
TAGS = ("security",)

_LOOPBACK = ("lo", "lo0", "lo+")  # (pf: `on lo` is the group of the lo driver's interfaces)


def check_filter(ctx, f) -> Iterator[Result]:
    a = ctx.analysis
    s = a.space
    # the first packets of new connections: NEW, and for TCP a SYN without ACK, RST or FIN
    # (pf's `pass` keeps state with `flags S/SA`: it admits exactly those)
    tcp = s.cond(m.IntCond(m.PROTO, ((m.PROTO_TCP, m.PROTO_TCP),)))
    syn = m.TCP_FLAG_BITS["SYN"]
    first = ~tcp | s.cond(m.FlagsCond(syn | m.TCP_FLAG_BITS["ACK"] | m.TCP_FLAG_BITS["RST"] | m.TCP_FLAG_BITS["FIN"],
                                      syn))
    new = s.cond(m.IntCond(m.STATE, ((m.STATE_NUMBER["NEW"],) * 2,))) & first
    iface_vars = list(s.blocks[m.IN_IFACE].vars) + list(s.blocks[m.OUT_IFACE].vars) + \
        list(s.blocks[m.DIRECTION].vars)
    for rule in f.rules:
        if rule.action.kind != "accept":
            continue
        if _loopback_only(rule.match) or not _could_be_any(rule.match):
            continue
        if f.builtin or f.discipline == "last-match" or not f.table:
            ctx_set = s.universe & a.family_set(f)
        else:
            ctx_set = a.entry(f) if a.prober.enabled else a.entries().get(a.key(f), s.false)
            if s.is_empty(ctx_set):
                continue
        accepted = s.must(s.match(rule.match) & ctx_set)
        # project away interfaces: the question is about addresses, protocols and ports
        proj = s.bdd.exist(iface_vars, accepted)
        everything = s.bdd.exist(iface_vars, new & a.family_set(f) & s.universe)
        if s.subset(everything, proj):
            if _outbound_only(rule.match):
                # pf `pass out`: filtering is left to the inbound rules (the common style);
                # the host's own connections are open, as with an iptables OUTPUT policy
                yield Result(rule.origin,
                             f"{rule_ref(f, rule)} accepts every new connection leaving the interface: "
                             "only the inbound rules restrict forwarded traffic, and the firewall's own "
                             "connections are not restricted",
                             witness=_witness(a, f, rule, accepted & new), context=f.name, severity="note")
                continue
            yield Result(rule.origin,
                         f"{rule_ref(f, rule)} accepts every new connection: any source, "
                         "destination, protocol and port",
                         witness=_witness(a, f, rule, accepted & new), context=f.name)


def _witness(a, f: m.Filter, rule: m.Rule, packets):
    """A packet of `packets` that the rule itself decides (earlier rules may take some of
    them): traced, it shows the rule accepting. None when the rule decides none of them
    (later or earlier rules take them all): no packet could show it accepting."""
    position = next((i for i, r in enumerate(f.rules) if r is rule), None)
    if position is None:  # pragma: no cover - a filter's rules are its own
        return None
    return a.witness(f, packets & a.facts(f)[position].decided, rule)


def _could_be_any(match: m.Match) -> bool:
    """Cheap pre-test: a rule that tests an address, protocol or port (other than the whole
    range) cannot accept every connection."""
    for c in match.conds:
        if isinstance(c, m.AddrCond):
            full = {(4, 0, (1 << 32) - 1), (6, 0, (1 << 128) - 1)}
            if c.negated or not any(r in full for r in c.ranges):
                return False
        elif isinstance(c, m.IntCond) and c.field in (m.PROTO, m.SPORT, m.DPORT, m.ICMP):
            if c.negated or not any(lo == 0 and hi >= (255 if c.field == m.PROTO else 65535)
                                    for lo, hi in c.ranges):
                return False
        elif isinstance(c, m.FlagsCond):
            return False
    return True


def _loopback_only(match: m.Match) -> bool:
    for c in match.conds:
        if isinstance(c, m.IfaceCond) and not c.negated and c.names and all(n in _LOOPBACK for n in c.names):
            return True
        if isinstance(c, m.AnyCond) and not c.negated and c.alternatives \
                and all(_loopback_only(alt) for alt in c.alternatives):
            return True  # pf `set skip on lo`, `pass on lo`: in on lo, or out on lo
    return False


def _outbound_only(match: m.Match) -> bool:
    return any(isinstance(c, m.IntCond) and c.field == m.DIRECTION and not c.negated and c.ranges == ((1, 1),)
               for c in match.conds)
