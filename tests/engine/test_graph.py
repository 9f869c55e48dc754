"""Netfilter semantics of the rule graph: trace and set evaluation, and their agreement."""

from __future__ import annotations

import ipaddress
import random
from pathlib import Path

import pytest

from linter import model as m
from linter.api import packet_from_dict
from linter.graph import Analysis, TraceError, trace
from linter.platforms.iptables import parse

from tests.shared import corpus_folder, shared_dir


def dev(text: str):
    return parse("t.rules", text.encode())


def pkt(spec: dict) -> m.Packet:
    return packet_from_dict(spec)[0]


RULES = """*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:A - [0:0]
:B - [0:0]
:G - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A INPUT -p tcp -j A
-A INPUT -p udp -g G
-A INPUT -p udp --dport 53 -j ACCEPT
-A A -s 10.0.0.0/8 -j B
-A A -p tcp --dport 22 -j ACCEPT
-A A -p tcp --dport 23 -j REJECT --reject-with tcp-reset
-A B -p tcp --dport 80 -j RETURN
-A B -p tcp --dport 8080 -j DROP
-A B -j ACCEPT
-A G -p udp --dport 123 -j ACCEPT
-A G -p udp --dport 500 -j RETURN
COMMIT
"""


@pytest.mark.parametrize("spec, verdict, last_line", [
    # jump, chain B accepts everything else from 10/8
    ({"proto": "tcp", "src": "10.1.1.1", "dst": "192.0.2.1", "dport": 443, "in_iface": "eth0"}, "accept", 18),
    # RETURN from B goes back to A, which does not match port 80: falls off A back to INPUT: policy
    ({"proto": "tcp", "src": "10.1.1.1", "dst": "192.0.2.1", "dport": 80, "in_iface": "eth0"}, "drop", 2),
    ({"proto": "tcp", "src": "10.1.1.1", "dst": "192.0.2.1", "dport": 8080, "in_iface": "eth0"}, "drop", 17),
    ({"proto": "tcp", "src": "192.0.2.9", "dst": "192.0.2.1", "dport": 22, "in_iface": "eth0"}, "accept", 14),
    ({"proto": "tcp", "src": "192.0.2.9", "dst": "192.0.2.1", "dport": 23, "in_iface": "eth0"}, "reject", 15),
    # goto G: G's RETURN (and falling off G) returns to INPUT's caller: the policy, not line 12
    ({"proto": "udp", "src": "192.0.2.9", "dst": "192.0.2.1", "dport": 53, "in_iface": "eth0"}, "drop", 2),
    ({"proto": "udp", "src": "192.0.2.9", "dst": "192.0.2.1", "dport": 500, "in_iface": "eth0"}, "drop", 2),
    ({"proto": "udp", "src": "192.0.2.9", "dst": "192.0.2.1", "dport": 123, "in_iface": "eth0"}, "accept", 19),
    ({"proto": "udp", "src": "192.0.2.9", "dst": "192.0.2.1", "dport": 9, "in_iface": "lo"}, "accept", 8),
    # ESTABLISHED never admits a lone first packet...
    ({"proto": "icmp", "src": "192.0.2.9", "dst": "192.0.2.1", "icmp_type": 8, "in_iface": "eth0"}, "drop", 2),
    # ...but a packet said to be ESTABLISHED is admitted
    ({"proto": "icmp", "src": "192.0.2.9", "dst": "192.0.2.1", "icmp_type": 0, "in_iface": "eth0",
      "state": "ESTABLISHED"}, "accept", 9),
])
def test_netfilter_semantics(spec, verdict, last_line):
    d = dev(RULES)
    t = trace(d, pkt(spec), "INPUT")
    assert t.verdict == verdict, [s.describe() for s in t.steps]
    assert not t.approximate
    assert t.steps[-1].origin.line == last_line


def test_policy_only_on_builtin_and_filter_directly():
    d = dev(RULES)
    t = trace(d, pkt({"proto": "udp", "src": "192.0.2.9", "dst": "192.0.2.1", "dport": 9}), filter_name="G")
    assert t.verdict == "return"
    t = trace(d, pkt({"proto": "udp", "src": "192.0.2.9", "dst": "192.0.2.1", "dport": 123}), filter_name="G")
    assert t.verdict == "accept"
    with pytest.raises(TraceError):
        trace(d, pkt({"proto": "udp", "src": "192.0.2.9", "dst": "192.0.2.1"}), filter_name="NOPE")
    with pytest.raises(TraceError):
        trace(d, pkt({"proto": "udp", "src": "2001:db8::1", "dst": "2001:db8::2"}), "INPUT")


def test_opaque_conditions_make_answers_approximate():
    d = dev("""*filter
:INPUT DROP [0:0]
-A INPUT -p icmp -m limit --limit 1/s -j ACCEPT
-A INPUT -p tcp -m limit --limit 1/s -j DROP
COMMIT
""")
    t = trace(d, pkt({"proto": "icmp", "src": "192.0.2.9", "dst": "192.0.2.1", "in_iface": "eth0"}), "INPUT")
    assert t.approximate and set(t.alternatives) | {t.verdict} == {"accept", "drop"}
    # both outcomes drop: the answer does not depend on the limit
    t = trace(d, pkt({"proto": "tcp", "src": "192.0.2.9", "dst": "192.0.2.1", "in_iface": "eth0"}), "INPUT")
    assert t.verdict == "drop" and not t.approximate


def test_interface_wildcards_and_negation():
    d = dev("""*filter
:FORWARD DROP [0:0]
-A FORWARD -i eth+ ! -o eth1 -j ACCEPT
COMMIT
""")
    base = {"proto": "tcp", "src": "192.0.2.9", "dst": "192.0.2.1", "dport": 1}
    assert trace(d, pkt({**base, "in_iface": "eth7", "out_iface": "eth0"}), "FORWARD").verdict == "accept"
    assert trace(d, pkt({**base, "in_iface": "eth", "out_iface": "wlan0"}), "FORWARD").verdict == "accept"
    assert trace(d, pkt({**base, "in_iface": "eth7", "out_iface": "eth1"}), "FORWARD").verdict == "drop"
    assert trace(d, pkt({**base, "in_iface": "wlan0", "out_iface": "eth0"}), "FORWARD").verdict == "drop"


def _random_packet(rng: random.Random, d: m.Device, hook: str, names: list[str], fam: int) -> m.Packet:
    proto = rng.choice([6, 6, 17, 17, 1, 47, 58 if fam == 6 else 1])
    bits = 32 if fam == 4 else 128
    def addr() -> int:
        if rng.random() < .5:
            return rng.getrandbits(bits)
        return int(ipaddress.ip_address(rng.choice(["10.0.0.1", "192.168.1.1", "127.0.0.1"] if fam == 4
                                                   else ["::1", "fe80::1"])))
    ports = proto in (6, 17)
    icmp = proto in (1, 58)
    p = m.Packet(family=fam, src=addr(), dst=addr(), proto=proto,
                 sport=rng.choice([rng.randrange(65536), 53, 1024, 40000]) if ports else None,
                 dport=rng.choice([rng.randrange(65536), 22, 25, 53, 80, 443, 3128]) if ports else None,
                 icmp_type=rng.choice([0, 3, 8, 11, 128, 129]) if icmp else None, icmp_code=0 if icmp else None,
                 tcp_flags=rng.choice([2, 2, 16, 18, 1]) if proto == 6 else None,
                 state=rng.choice(m.STATES),
                 in_iface="" if hook == "OUTPUT" else rng.choice(names),
                 out_iface="" if hook == "INPUT" else rng.choice(names))
    return p


def corpus_files() -> list[Path]:
    found = corpus_folder("iptables")
    if found is None:
        return []
    root = found[0]
    # files without a filter table have no hook to compare at
    return sorted(p for p in root.rglob("*") if p.is_file() and "netfilter" not in p.parts
                  and b"*filter" in p.read_bytes())


@pytest.mark.parametrize("path", corpus_files() or [None], ids=lambda p: p.name if p else "none")
def test_trace_agrees_with_set_evaluation(path):
    """For random and witness packets, the concrete tracer and the BDD evaluation agree
    wherever neither depends on an opaque condition."""
    if path is None:
        shared_dir("corpus")  # skips without ../shared, fails in CI
    d = parse(str(path), path.read_bytes())
    a = Analysis(d)
    s = a.space
    rng = random.Random(path.name)
    names = sorted(n for n in d.interface_names() if not n.endswith("+"))[:6] + ["eth0", "zz9"]
    fam = d.family or 4
    checked = 0
    for hook in ("INPUT", "FORWARD", "OUTPUT"):
        f = d.filter(hook, "filter")
        if f is None:
            continue
        o = a.outcome(f)
        packets = [_random_packet(rng, d, hook, names, fam) for _ in range(150)]
        for fate in (o.accept, o.drop, o.reject):
            w = s.witness(fate & a.hook_set(hook))
            if w is not None:
                packets.append(w)
        for p in packets:
            t = trace(d, p, hook)
            if t.approximate:
                continue
            sets = {"accept": o.accept, "drop": o.drop, "reject": o.reject}
            member = s.contains(sets[t.verdict], p)
            unk = s.contains(o.unknown, p)
            if member is None or unk:
                continue
            assert member, f"{hook} {p}: trace says {t.verdict} ({[x.describe() for x in t.steps]})"
            checked += 1
    assert checked > 0


def test_last_match_semantics_trace_and_sets_agree():
    """pf's discipline on a hand-built filter: the last matching rule wins unless an earlier
    quick rule matched; nothing matched passes. Trace and set evaluation agree."""
    o = m.Origin("pf.conf", 1)
    tcp = m.IntCond(m.PROTO, ((6, 6),))
    ssh = m.IntCond(m.DPORT, ((22, 22),))
    web = m.IntCond(m.DPORT, ((443, 443),))
    net = m.AddrCond(m.SRC, ((4, 0x0A000000, 0x0AFFFFFF),))
    rules = (
        m.Rule(m.Match((tcp,)), m.Action("drop"), o, 0),                    # block proto tcp
        m.Rule(m.Match((tcp, ssh, net)), m.Action("accept"), o, 1, quick=True),  # pass quick from 10/8 port 22
        m.Rule(m.Match((tcp, web)), m.Action("accept"), o, 2),               # pass port 443
        m.Rule(m.Match((tcp, ssh)), m.Action("drop"), o, 3),                 # block port 22 (too late for 10/8)
    )
    f = m.Filter("pf", rules, m.Action("accept"), "last-match")
    d = m.Device("pf", "test", ("pf.conf",), (f,), (m.Binding("pf", "in"),), family=4)
    cases = [
        ({"proto": "tcp", "src": "10.1.1.1", "dst": "192.0.2.1", "dport": 22}, "accept"),
        ({"proto": "tcp", "src": "192.0.2.9", "dst": "192.0.2.1", "dport": 22}, "drop"),
        ({"proto": "tcp", "src": "192.0.2.9", "dst": "192.0.2.1", "dport": 443}, "accept"),
        ({"proto": "tcp", "src": "192.0.2.9", "dst": "192.0.2.1", "dport": 80}, "drop"),
        ({"proto": "udp", "src": "192.0.2.9", "dst": "192.0.2.1", "dport": 53}, "accept"),
    ]
    a = Analysis(d)
    out = a.outcome(f)
    for spec, verdict in cases:
        p = pkt(spec)
        assert trace(d, p, filter_name="pf").verdict == verdict, spec
        assert a.space.contains(out.fate(verdict), p) is True, spec
    # the late `block port 22` decides only what the quick rule left
    late = a.facts(f)[3]
    assert a.space.contains(late.decided, pkt(cases[1][0])) is True
    assert a.space.contains(late.decided, pkt(cases[0][0])) is False


@pytest.mark.parametrize("path", corpus_files() or [None], ids=lambda p: p.name if p else "none")
def test_local_and_cumulative_evaluation_agree(path, monkeypatch):
    """The two ways of computing a first-match filter's sets (from the packets that get
    past each rule, or rule by rule from the earlier rules that overlap it) give the same
    outcome, per-rule sets and findings."""
    if path is None:
        shared_dir("corpus")
    from linter import graph
    from linter.checks import run_checks

    d = parse(str(path), path.read_bytes())
    filters = [f for f in d.filters if f.discipline == "first-match" and f.rules]
    runs = []
    space = None
    for calls, local in ((10**9, False), (0, True)):
        monkeypatch.setattr(graph, "LOCAL_CALLS", calls)
        a = Analysis(d, space)
        space = a.space
        findings = sorted((x.id, x.origin.line, x.message) for x in run_checks(d, analysis=a))
        sets = {}
        for f in filters:
            assert a.is_local(f) is local
            o = a.outcome(f)
            sets[f.name, f.table] = ([o.fate(k) for k in ("accept", "drop", "reject", "return", "unknown")]
                                     + [a.rest(f)]
                                     + [x for fact in a.facts(f) for x in (fact.hit, fact.decided)])
        runs.append((findings, sets))
    (f1, s1), (f2, s2) = runs
    assert f1 == f2
    compared = 0
    for k, sets in s1.items():
        assert len(sets) == len(s2[k])
        for i, (x, y) in enumerate(zip(sets, s2[k], strict=False)):
            assert space.equal(x, y), (k, i)
            compared += 1
    assert compared > 0 or not any(f.rules for f in filters)


def test_per_direction_devices_filter_in_then_out_and_fw002_under_last_match():
    """A packet through a device whose filters apply per direction passes inbound on its
    ingress interface, then outbound on its egress interface; FW002 under last match."""
    from linter.checks import run_checks

    tcp = m.IntCond(m.PROTO, ((6, 6),))
    inbound = m.IntCond(m.DIRECTION, ((0, 0),))
    outbound = m.IntCond(m.DIRECTION, ((1, 1),))
    smtp = m.IntCond(m.DPORT, ((25, 25),))
    on_dmz = m.IfaceCond(m.OUT_IFACE, ("em1",))
    rules = (
        m.Rule(m.Match((tcp, smtp)), m.Action("drop"), m.Origin("pf.conf", 1), 0),
        m.Rule(m.Match((inbound, tcp, smtp)), m.Action("accept"), m.Origin("pf.conf", 2), 1),
        m.Rule(m.Match((outbound, on_dmz, tcp, smtp)), m.Action("drop"), m.Origin("pf.conf", 3), 2),
        # redundant: without it the default passes the same packets (and line 3 is redundant
        # too: line 1 blocks smtp outbound anyway)
        m.Rule(m.Match((tcp, m.IntCond(m.DPORT, ((443, 443),)))), m.Action("accept"), m.Origin("pf.conf", 4), 3),
    )
    f = m.Filter("pf", rules, m.Action("accept"), "last-match", builtin=True)
    d = m.Device("pf", "test", ("pf.conf",), (f,), (m.Binding("pf", "in"), m.Binding("pf", "out")), family=4)
    through_dmz = pkt({"proto": "tcp", "src": "192.0.2.9", "dst": "10.0.1.25", "dport": 25,
                       "in_iface": "em0", "out_iface": "em1"})
    through_lan = pkt({"proto": "tcp", "src": "192.0.2.9", "dst": "10.0.2.25", "dport": 25,
                       "in_iface": "em0", "out_iface": "em2"})
    t = trace(d, through_dmz, "forward")
    assert t.verdict == "drop" and [s.rule.index for s in t.steps if s.rule] == [1, 2]
    t = trace(d, through_lan, "forward")
    # inbound: rule 2 passes; outbound: only rule 1 matches (block), so it is dropped there
    assert t.verdict == "drop" and t.steps[-1].rule.index == 0
    assert trace(d, through_lan, "in").verdict == "accept"
    findings = run_checks(d)
    assert sorted((x.id, x.origin.line) for x in findings if x.id == "FW002") == [("FW002", 3), ("FW002", 4)]


def test_bindings_per_interface_choose_the_filter():
    """Cisco-style: an ACL bound `in` on one interface applies to packets arriving there
    only; an interface without a filter on a side passes the packet on that side."""
    o = m.Origin("r1.cfg", 1)
    web = m.IntCond(m.DPORT, ((443, 443),))
    outside = m.Filter("OUTSIDE_IN", (m.Rule(m.Match((web,)), m.Action("accept"), o, 0),), m.Action("drop"),
                       "first-match")
    inside = m.Filter("INSIDE_IN", (m.Rule(m.Match(()), m.Action("accept"), o, 0),), m.Action("drop"),
                      "first-match")
    d = m.Device("r1", "test", ("r1.cfg",), (outside, inside),
                 (m.Binding("OUTSIDE_IN", "in", "Gi0/0"), m.Binding("INSIDE_IN", "in", "Gi0/1")), family=4)
    ssh_in = pkt({"proto": "tcp", "src": "192.0.2.9", "dst": "10.0.1.10", "dport": 22,
                  "in_iface": "Gi0/0", "out_iface": "Gi0/1"})
    ssh_out = pkt({"proto": "tcp", "src": "10.0.1.10", "dst": "192.0.2.9", "dport": 22,
                   "in_iface": "Gi0/1", "out_iface": "Gi0/0"})
    t = trace(d, ssh_in, "forward")
    assert t.verdict == "drop" and t.steps[-1].filter == "OUTSIDE_IN in"
    t = trace(d, ssh_out, "forward")
    assert t.verdict == "accept" and [s.filter for s in t.steps] == ["INSIDE_IN in"]
    # on an interface nothing is bound to, the packet passes
    other = pkt({"proto": "tcp", "src": "10.9.0.1", "dst": "10.0.1.10", "dport": 22, "in_iface": "Gi0/2"})
    assert trace(d, other, "in").verdict == "accept"
