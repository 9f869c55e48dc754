"""The box algebra against the packet space: every operation on boxes gives exactly the
set the BDDs give (the box-first checks rest on it)."""

from __future__ import annotations

import random

import pytest

from linter import boxes as B
from linter import model as m
from linter.platforms.iptables import parse
from linter.space import PacketSpace

_NETS4 = ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3", "192.0.2.0/25", "0.0.0.0/1"]
_NETS6 = ["2001:db8::/32", "2001:db8:1::/48", "2001:db8:1::5", "fe80::/10"]


def _rule(rng, six):
    parts = ["-A INPUT"]
    nets = _NETS6 if six else _NETS4
    if rng.random() < 0.6:
        parts.append("-s " + rng.choice(nets))
    if rng.random() < 0.4:
        parts.append("-d " + rng.choice(nets))
    if rng.random() < 0.3:
        parts.append("-i " + rng.choice(["eth0", "eth1", "wg0"]))
    if rng.random() < 0.3:
        parts.append("-o " + rng.choice(["eth0", "eth1"]))
    proto = rng.choice(["tcp", "udp", "icmp" if not six else "ipv6-icmp", None, None])
    if proto in ("tcp", "udp"):
        parts.append(f"-p {proto}")
        if rng.random() < 0.6:
            lo = rng.choice([0, 22, 53, 1000, 1024])
            parts.append(f"--dport {lo}:{lo + rng.choice([0, 10, 5000])}")
        if rng.random() < 0.2:
            parts.append("--sport 1024:65535")
    elif proto:
        parts.append(f"-p {proto}")
    if rng.random() < 0.3:
        parts.append("-m conntrack --ctstate " + rng.choice(["NEW", "ESTABLISHED,RELATED", "INVALID"]))
    parts.append("-j ACCEPT")
    return " ".join(parts)


def _boxes(seed, n=40):
    rng = random.Random(seed)
    six = seed % 2 == 1
    text = "*filter\n:INPUT ACCEPT [0:0]\n" + "\n".join(_rule(rng, six) for _ in range(n)) + "\nCOMMIT\n"
    d = parse("r.rules", text.encode())
    rules = d.filter("INPUT").rules
    space = PacketSpace(d.interface_names())
    out = [(B.normal(B.box_of(r.match)), space.match(r.match)) for r in rules if B.is_exact(r.match)]
    return space, out, (6 if six else 4)


@pytest.mark.parametrize("seed", range(6))
def test_exact_box_is_the_match(seed):
    space, bs, _ = _boxes(seed)
    assert bs
    for box, mt in bs:
        assert B.to_set(space, box) == mt


@pytest.mark.parametrize("seed", range(6))
def test_operations_equal_the_sets(seed):
    space, bs, fam = _boxes(seed)
    u = space.universe & space.family(fam)
    pairs = 0
    for a, sa in bs[:20]:
        assert B.valid(a, fam) == ((sa & u) != space.false)
        for b, sb in bs[:20]:
            pairs += 1
            got = B.meet(a, b)
            assert (space.false if got is None else B.to_set(space, got)) == sa & sb
            pieces = B.minus(a, b)
            union = space.false
            for p in pieces:
                ps = B.to_set(space, p)
                assert (ps & union) == space.false  # disjoint
                union |= ps
            # (exact among valid packets: a free state field means the known states)
            assert (union & u) == (sa & ~sb & u)
            if B.subset(a, b):
                assert (sa & ~sb) == space.false
    assert pairs


@pytest.mark.parametrize("seed", range(6))
def test_subtract_is_the_difference_of_valid_packets(seed):
    space, bs, fam = _boxes(seed, 60)
    u = space.universe & space.family(fam)
    rng = random.Random(seed)
    for _ in range(30):
        a, sa = rng.choice(bs)
        others = rng.sample(bs, min(len(bs), rng.randrange(1, 8)))
        pieces = B.subtract(a, [b for b, _ in others], fam, budget=10_000)
        want = sa & u
        for _, sb in others:
            want &= ~sb
        got = space.false
        for p in pieces:
            assert B.valid(p, fam)
            got |= B.to_set(space, p)
        assert (got & u) == want


def test_subtract_gives_up_past_its_budget():
    space, bs, fam = _boxes(3, 60)
    a = {}
    assert B.subtract(a, [b for b, _ in bs], fam, budget=2) is None


def test_interfaces_all_but():
    space = PacketSpace(["eth0", "eth1"])
    a = {m.IN_IFACE: B.AllBut({"eth0"})}
    b = {m.IN_IFACE: frozenset({"eth1"})}
    assert B.to_set(space, B.meet(a, b)) == space.iface(m.IN_IFACE, ("eth1",))
    rest = B.minus(a, b)
    assert B.to_set(space, rest[0]) == ~space.iface(m.IN_IFACE, ("eth0", "eth1"))
    assert B.subset(b, a) and not B.subset(a, b)
    assert not B.hook_allows({m.OUT_IFACE: frozenset({"eth0"})}, "INPUT")
    assert B.hook_allows({m.OUT_IFACE: B.AllBut({"eth0"})}, "INPUT")
