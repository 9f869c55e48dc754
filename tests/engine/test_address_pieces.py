"""Addresses encoded by pieces (issue 12, part 3) change no finding.

`order_for(device)` gives the engine the device's address bounds, and the engine then
encodes an address by the number of its piece of the device's address partition (see
`linter.space`); without bounds it uses the address's plain bits, the encoding fwlint had
before. Both are exact, so every finding must be the same, witnesses and the shares policy
findings quote included: each run here lints the same input both ways and compares the
whole reports. The inputs: generated IPv6 and IPv4 rulesets (bench/gen_iptables.py, both
profiles), the TUM ruleset of the corpus and its IPv6 image (bench/to_ipv6.py, converted
here from the shared corpus), every iptables file of the corpus, and the example
inventories with their policy packs (shares of flows counted by `PacketSpace.count`).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from linter import api, space
from linter import model as m
from linter.space import PacketSpace, order_for

from tests.shared import REPO, shared_dir



def bench_module(name: str):
    """A script of bench/ (not a package) as a module."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # (its dataclasses look their module up while defined)
    spec.loader.exec_module(mod)
    return mod


def lint_both(monkeypatch, paths=(), options=None):
    """(report with plain address bits, report with pieces) of the same run."""
    with monkeypatch.context() as mp:
        mp.setattr(space, "address_bounds", lambda device: {})
        plain = api.lint([str(p) for p in paths], options)
    pieces = api.lint([str(p) for p in paths], options)
    return plain, pieces


def assert_same(plain, pieces) -> None:
    assert pieces.findings == plain.findings
    assert pieces.diagnostics == plain.diagnostics
    assert pieces.not_checked == plain.not_checked


@pytest.mark.parametrize("family,profile", [(6, "realistic"), (6, "adversarial"), (4, "realistic")])
def test_generated_rulesets(tmp_path, monkeypatch, family, profile):
    path = tmp_path / "gen.rules"
    bench_module("gen_iptables").generate(1000, str(path), 2013, profile, family=family)
    plain, pieces = lint_both(monkeypatch, [path])
    assert len(plain.findings) > 50  # enough shadowed and redundant rules to compare
    assert_same(plain, pieces)


def tum() -> Path:
    return shared_dir("corpus", "iptables", "iptables-semantics") / "tum-net__iptables-save-2015-09-03"


@pytest.mark.slow
def test_tum_ruleset_and_its_ipv6_image(tmp_path, monkeypatch):
    six = tmp_path / "tum6.rules"
    six.write_text(bench_module("to_ipv6").convert(tum().read_text(encoding="utf-8")), encoding="utf-8")
    reports = []
    for path in (tum(), six):
        plain, pieces = lint_both(monkeypatch, [path])
        assert len(plain.findings) > 300
        assert_same(plain, pieces)
        reports.append(pieces)
    # the IPv6 image keeps the IPv4 ruleset's findings, rule for rule
    v4, v6 = reports
    assert [(f.id, f.origin.line) for f in v6.findings] == [(f.id, f.origin.line) for f in v4.findings]
    assert {f.witness.family for f in v6.findings if f.witness} == {6}


@pytest.mark.slow  # the TUM rulesets, 4,000-5,000 rules each
def test_iptables_corpus(monkeypatch):
    # (the TUM ruleset above is left out here: it is the slowest file)
    files = sorted(p for p in shared_dir("corpus", "iptables").rglob("*")
                   if p.is_file() and p.suffix != ".md" and p != tum())
    assert len(files) > 10
    for path in files:
        plain, pieces = lint_both(monkeypatch, [path])
        assert_same(plain, pieces)


@pytest.mark.parametrize("example", ["exchange-no-edge", "exchange-edge-pf", "exchange-asa", "exchange-ios"])
def test_policy_examples(monkeypatch, example):
    inventory = REPO / "examples" / example / "inventory.yaml"
    options = api.LintOptions(policies=["exchange-2013"], inventory=str(inventory))
    plain, pieces = lint_both(monkeypatch, (), options)
    assert plain.findings
    assert_same(plain, pieces)


def test_policy_share_counts_by_pieces(tmp_path, monkeypatch):
    """A flow of which part passes: the share in the message is counted over pieces (the
    device's 198.51.100.0/24 and 10.0.1.10 are bounds; the inventory's networks cut pieces)."""
    from tests.policy.test_policy_eval import HEAD, ROUTER, run

    text = HEAD + ("-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT\n"
                   "-A FORWARD -s 198.51.100.0/24 -j DROP\n"
                   "-A FORWARD -s 198.51.100.64/26 -d 10.0.1.0/28 -j ACCEPT\n"
                   "-A FORWARD -i eth0 -o eth1 -d 10.0.1.10 -p tcp --dport 443 -j ACCEPT\nCOMMIT\n")
    with monkeypatch.context() as mp:
        mp.setattr(space, "address_bounds", lambda device: {})
        plain = run(tmp_path, {"fw.rules": text}, [ROUTER])
    pieces = run(tmp_path, {"fw.rules": text}, [ROUTER])
    assert any("% of it passes" in f.message for f in plain.findings)
    assert_same(plain, pieces)


def test_layout_carries_the_bounds():
    """order_for gives the bounds of every address range of the rules and alterations, and a
    space built from it encodes those families by pieces (the others by plain bits)."""
    rule = m.Rule(m.Match((m.AddrCond(m.SRC, ((6, 0x20010DB8 << 96, (0x20010DB8 << 96) | ((1 << 96) - 1)),)),)),
                  m.Action("accept"), m.Origin("x", 1, 1, ""))
    flt = m.Filter("INPUT", (rule,), m.Action("drop"), table="filter", builtin=True)
    dev = m.Device(name="d", platform="iptables", sources=("x",), filters=(flt,))
    layout = order_for(dev)
    assert layout.addresses == {6: frozenset({0x20010DB8 << 96, (0x20010DB8 << 96) + (1 << 96)})}
    s = PacketSpace(order=layout)
    assert s.pieces["src6"] is not None and s.pieces["dst6"] is not None
    assert s.pieces["src4"] is None
    # the rule's range is a range of whole pieces: no address bit tested, piece numbers only
    support = s.bdd.support(s.match(rule.match))
    assert not any(v.startswith("src6_") and not v.startswith("src6_p") for v in support)
