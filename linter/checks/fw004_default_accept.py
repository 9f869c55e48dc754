"""FW004 default accept: packets that no rule decides are accepted.

## What it does
Reports each filter bound to traffic (an iptables built-in chain of the filter table, a pf
ruleset) whose default accepts, when some packets really reach that default: there is no
catch-all drop or reject before it. The witness is a packet that the default accepts. A
configuration with no filter table at all accepts everything and is reported too, and so is
a Cisco IOS device with interfaces and no access list or zone-pair applied to any of them:
IOS then forwards every packet between its interfaces. An IOS device that filters some of
its interfaces and not others is not reported: a router that filters at its edge and
forwards freely inside is a common design, not a mistake in itself; what its bare
interfaces let through is what a policy pack judges, and `fwlint trace` shows it ("no
filter bound in on Gi0/1"). (An ASA without access-groups is filtered by its security
levels: its implicit permits are FW003's.) A file of comments only,
such as a pf anchor not written yet, sets no default: it is not reported (FW007 notes that
it is empty).

## Why is this bad?
A default-accept firewall only blocks what somebody thought of. Anything new (a service
started by mistake, a port opened by an update) is exposed at once. Default deny, with
explicit accepts, fails closed.

## Example
```
:INPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 23 -j DROP
```

## Use instead
```
:INPUT DROP [0:0]
-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A INPUT -p tcp --dport 22 -j ACCEPT
```

## References
- NIST SP 800-41 rev. 1, section 4.1: firewalls should deny by default.
"""

from __future__ import annotations

from typing import Iterator

from .. import model as m
from ..findings import Result
from ..model import Origin
from ._util import shown

ID = "FW004"
NAME = "default-accept"
SEVERITY = "warning"
SUMMARY = "Filter accepts by default the packets no rule decides"
TAGS = ("security",)

# accepting by default what leaves the host is the norm for hosts; reported as a note.
_NOTE_HOOKS = (m.FROM_HOST, "out")


def check(ctx) -> Iterator[Result]:
    from ..graph import deciding

    a = ctx.analysis
    s = a.space
    dev = ctx.device
    words = dev.traits.words
    if words.no_deciding_filter and dev.filters and not any(deciding(f) for f in dev.filters):
        path = dev.sources[0] if dev.sources else dev.name
        yield Result(Origin(path, 1, 1, ""), words.no_deciding_filter, context="filter")
    if words.nothing_bound and dev.interfaces and not dev.bindings:
        yield _unfiltered(ctx)
    for f in ctx.decision_filters():
        hooks = a.bound_hooks(f)
        if not hooks or f.default.kind != "accept":
            continue
        if dev.traits.own_traffic_filters and f.name.startswith(dev.traits.own_traffic_filters):
            # the zone-based firewall's filters: each restricts only the traffic of its zone
            # pair and lets the rest through to the others (they are ANDed); their default is
            # not a policy anyone wrote
            continue
        reach = a.rest(f)
        hook_set = s.false
        for h in hooks:
            hook_set |= a.hook_set(h)
        reach = reach & hook_set
        if s.is_empty(s.may(reach)):
            continue
        origin = f.default_origin or f.origin or Origin(dev.sources[0] if dev.sources else dev.name, 1, 1, "")
        approximate = s.is_empty(s.must(reach))
        sev = "note" if all(h in _NOTE_HOOKS for h in hooks) else None
        yield Result(origin,
                     f"{shown(f.name)} accepts by default: packets that no rule decides are accepted"
                     + (" (only if the rate limits or other unmodelled conditions let them through)"
                        if approximate else ""),
                     witness=a.witness(f, reach), approximate=approximate, severity=sev, context=f.name)


def _unfiltered(ctx) -> Result:
    """A device with interfaces and nothing applied to them (IOS: no `ip access-group`,
    `ipv6 traffic-filter` or zone-pair) whose platform forwards every packet then, as `trace`
    says."""
    dev = ctx.device
    s = ctx.analysis.space
    names = [i.name for i in dev.interfaces]
    through = s.iface(m.IN_IFACE, (names[0],)) & s.iface(m.OUT_IFACE, (names[1] if len(names) > 1 else names[0],))
    shown_names = ", ".join(shown(n) for n in names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    path = dev.sources[0] if dev.sources else dev.name
    between = "between them" if len(names) > 1 else "through it"
    return Result(Origin(path, 1, 1, ""),
                  dev.traits.words.nothing_bound.format(names=shown_names, between=between),
                  witness=s.witness(s.universe & through), context="interfaces")
