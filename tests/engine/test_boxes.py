"""Boxes over-approximate matches: the overlap index never misses a pair of rules whose
matches meet (the local evaluation of a chain relies on it)."""

from __future__ import annotations

import pytest

from linter.boxes import OverlapIndex, box_of, boxes_meet
from linter.graph import Analysis
from linter.platforms.iptables import parse

from tests.shared import shared_dir
from tests.engine.test_graph import corpus_files


@pytest.mark.parametrize("path", corpus_files() or [None], ids=lambda p: p.name if p else "none")
def test_index_finds_every_overlapping_pair(path):
    if path is None:
        shared_dir("corpus")
    d = parse(str(path), path.read_bytes())
    s = Analysis(d).space
    pairs = 0
    for f in d.filters:
        rules = f.rules[:150]
        if len(rules) < 2:
            continue
        idx = OverlapIndex([r.match for r in rules])
        mts = [s.match(r.match) for r in rules]
        for i in range(len(rules)):
            nb = set(idx.neighbours(i))
            for j in range(len(rules)):
                if j == i:
                    continue
                pairs += 1
                if (mts[i] & mts[j] & s.universe) != s.false:
                    assert j in nb, (f.name, rules[i].origin.text, rules[j].origin.text)
                    assert boxes_meet(box_of(rules[i].match), box_of(rules[j].match))
    assert pairs > 0 or not any(len(f.rules) > 1 for f in d.filters)


def test_boxes_by_hand():
    d = parse("t.rules", b"""*filter
:INPUT DROP [0:0]
-A INPUT -s 10.0.0.0/8 -p tcp --dport 22 -j ACCEPT
-A INPUT -s 192.168.0.0/16 -p tcp --dport 22 -j ACCEPT
-A INPUT -p tcp -m multiport --dports 20:25 -j DROP
-A INPUT ! -s 10.0.0.0/8 -p udp -j DROP
-A INPUT -i eth0 -j DROP
-A INPUT -i eth1 -j DROP
-A INPUT -i eth+ -j DROP
COMMIT
""")
    idx = OverlapIndex([r.match for r in d.filter("INPUT").rules])
    assert idx.neighbours(0) == [2, 4, 5, 6]  # not the other source net, not udp
    assert idx.neighbours(4) == [0, 1, 2, 3, 6]  # not eth1
    assert idx.neighbours(6) == [0, 1, 2, 3, 4, 5]  # a wildcard constrains nothing


def _random_rules(rng, n):
    """Rules over a few fields with values from small pools (so that boxes meet often),
    intervals that span buckets, negations, wildcards and IPv6."""
    lines = ["*filter", ":INPUT DROP [0:0]"]
    nets4 = ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3", "192.0.2.0/24", "0.0.0.0/1"]
    ifaces = ["eth0", "eth1", "eth+", "wg0"]
    for _ in range(n):
        parts = ["-A INPUT"]
        if rng.random() < 0.6:
            parts.append(("! " if rng.random() < 0.1 else "") + "-s " + rng.choice(nets4))
        if rng.random() < 0.5:
            parts.append("-d " + rng.choice(nets4))
        if rng.random() < 0.4:
            parts.append("-i " + rng.choice(ifaces))
        proto = rng.choice(["tcp", "udp", None])
        if proto:
            parts.append(f"-p {proto}")
            r = rng.random()
            if r < 0.3:
                parts.append(f"--dport {rng.choice([22, 53, 80, 443])}")
            elif r < 0.5:
                lo = rng.randrange(0, 65000)
                parts.append(f"--dport {lo}:{lo + rng.choice([1, 100, 5000])}")
            elif r < 0.6:
                parts.append("-m multiport --dports 22,80,1000:2000")
        parts.append(rng.choice(["-j ACCEPT", "-j DROP"]))
        lines.append(" ".join(parts))
    lines.append("COMMIT")
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("seed", range(8))
def test_index_equals_every_pair_compared(seed):
    """The bitset index gives exactly the pairs that comparing every pair of boxes gives."""
    import random

    rng = random.Random(seed)
    d = parse("r.rules", _random_rules(rng, 120))
    rules = d.filter("INPUT").rules
    idx = OverlapIndex([r.match for r in rules])
    boxes = [box_of(r.match) for r in rules]
    for i in range(len(rules)):
        brute = [j for j in range(len(rules)) if j != i and boxes_meet(boxes[i], boxes[j])]
        assert idx.neighbours(i) == brute
        assert idx.before(i) == [j for j in brute if j < i]
