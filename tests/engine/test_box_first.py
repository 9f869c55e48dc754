"""The box-first layer (issue 12, parts 1 and 2) changes no finding.

`linter.probe` proves with concrete packets, found by interval arithmetic on boxes and run
through the concrete evaluator, that most rules have no FW001/FW002 finding; `LocalFacts`
computes a filter's per-rule sets only for the rules a check still asks about, and
`Analysis.entry` a chain's entry from its callers only. The findings must be the exact
engine's, byte for byte: each run here lints the same input with the layer off
(`probe.ENABLED = False`) and on for every size (`probe.MIN_RULES = 0`) and compares the
whole reports, on generated rulesets of both profiles and families, the TUM ruleset and
every iptables file of the corpus, and the annotated check files. The parts are tested on
their own too: the rule narrowing of the concrete evaluator against plain evaluation,
`LocalFacts` against the sets computed for the whole filter, `entry` against `entries`, and
each proof the layer gives against the sets.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from linter import api, graph, probe
from linter import model as m
from linter.boxes import OverlapIndex
from linter.checks import CheckContext
from linter.platforms import iptables

from tests.shared import REPO, shared_dir
from tests.engine.test_address_pieces import bench_module, tum



def lint_both(monkeypatch, paths, options=None):
    """(report with the sets alone, report with the box layer first) of the same run."""
    with monkeypatch.context() as mp:
        mp.setattr(probe, "ENABLED", False)
        exact = api.lint([str(p) for p in paths], options)
    with monkeypatch.context() as mp:
        mp.setattr(probe, "MIN_RULES", 0)
        boxed = api.lint([str(p) for p in paths], options)
    return exact, boxed


def assert_same(exact, boxed) -> None:
    assert boxed.findings == exact.findings
    assert boxed.diagnostics == exact.diagnostics
    assert boxed.not_checked == exact.not_checked


def generated(tmp_path, n: int, profile: str, family: int) -> Path:
    path = tmp_path / f"gen-{n}-{profile}-{family}.rules"
    bench_module("gen_iptables").generate(n, str(path), 2013, profile, family=family)
    return path


@pytest.mark.parametrize("n,profile,family", [pytest.param(10000, "realistic", 4, marks=pytest.mark.slow),
                                              (3000, "realistic", 4),
                                              (1500, "realistic", 6), (1000, "adversarial", 4),
                                              (1000, "adversarial", 6)])
def test_generated_rulesets(tmp_path, monkeypatch, n, profile, family):
    exact, boxed = lint_both(monkeypatch, [generated(tmp_path, n, profile, family)])
    ids = {f.id for f in exact.findings}
    assert {"FW001", "FW002"} <= ids  # shadowed, unentered and redundant rules to compare
    assert_same(exact, boxed)


@pytest.mark.slow
def test_tum_ruleset(monkeypatch):
    exact, boxed = lint_both(monkeypatch, [tum()])
    assert len(exact.findings) > 300
    assert_same(exact, boxed)


@pytest.mark.slow  # the TUM rulesets, 4,000-5,000 rules each
def test_iptables_corpus(monkeypatch):
    files = sorted(p for p in shared_dir("corpus", "iptables").rglob("*")
                   if p.is_file() and p.suffix != ".md" and p != tum())
    assert len(files) > 10
    for path in files:
        exact, boxed = lint_both(monkeypatch, [path])
        assert_same(exact, boxed)


def test_annotated_check_files(monkeypatch):
    files = sorted((REPO / "tests" / "checks" / "cases").rglob("*"))
    files = [p for p in files if p.is_file() and p.suffix not in (".md", ".yaml", ".yml", ".py")]
    assert len(files) >= 7
    exact, boxed = lint_both(monkeypatch, files)
    assert exact.findings
    assert_same(exact, boxed)


def test_small_devices_are_left_to_the_sets(tmp_path):
    """Below `MIN_RULES` rules the checks do not ask the layer (it costs more than it saves)."""
    dev = _device(generated(tmp_path, 500, "realistic", 4))
    a = graph.Analysis(dev, valid_only=True)
    assert probe.MIN_RULES > 500 and not a.prober.enabled


# --------------------------------------------------------------------------- the parts


def _device(path: Path) -> m.Device:
    return iptables.parse(str(path), path.read_bytes())


def _packets(dev: m.Device, rng: random.Random, n: int):
    """Packets that meet the device's rules: from points of rule boxes, then scrambled."""
    s = graph.Analysis(dev).space
    names = [s.ifaces.representative(i) for i in range(len(s.ifaces.elements))]
    rules = [(f, r) for f in dev.filters for r in f.rules]
    for _ in range(n):
        f, r = rng.choice(rules)
        box = probe._refined(r.match, dict(OverlapIndex([r.match]).normal_boxes()[0]), f.family, names)
        p = probe._point(box, f.family, [r.match], names) if box is not None else None
        if p is None:
            continue
        yield m.Packet(family=p.family, src=p.src ^ rng.choice((0, 1, 255)), dst=p.dst, proto=p.proto,
                       sport=p.sport, dport=p.dport, icmp_type=p.icmp_type, icmp_code=p.icmp_code,
                       tcp_flags=p.tcp_flags, state=rng.choice(m.STATES[:4]), in_iface=rng.choice(names),
                       out_iface=rng.choice(names))


def test_narrowed_runs_are_the_plain_runs(tmp_path):
    """Skipping the rules whose boxes leave a packet out changes no run: same outcome, same
    steps (and `OverlapIndex.holding` never leaves out a rule that matches)."""
    dev = _device(generated(tmp_path, 2000, "realistic", 4))
    a = graph.Analysis(dev)
    prober = probe.Prober(a)
    starts = [f for f in dev.filters if f.table == "filter"]
    rng = random.Random(7)
    compared = 0
    for p in _packets(dev, rng, 400):
        values = probe._values(p)
        for f in rng.sample(starts, 3):
            held = a.overlaps(f).holding(values)
            for i, r in enumerate(f.rules):
                if graph.match_packet(r.match, p) is not False:
                    assert held >> i & 1, (f.name, i)
            assert prober.run(f, p) == graph.exact_run(dev, f, p)
            compared += 1
    assert compared > 500


@pytest.mark.parametrize("family", [4, 6])
def test_local_facts_are_the_whole_filters_sets(tmp_path, family):
    dev = _device(generated(tmp_path, 1500, "realistic", family))
    lazy = graph.Analysis(dev, valid_only=True)
    whole = graph.Analysis(dev, valid_only=True, space=lazy.space)
    checked = 0
    for f in dev.filters:
        if f.table != "filter" or not lazy.is_local(f):
            continue
        whole._run(f, keep_facts=True)
        eager = whole._facts[whole.key(f)]
        facts = graph.LocalFacts(lazy, f)
        # backwards, so that each rule is computed on its own first, with what it rests on
        for i in reversed(range(len(f.rules))):
            assert facts[i].hit == eager[i].hit and facts[i].decided == eager[i].decided, (f.name, i)
            checked += 1
    assert checked > 1000
    # asked for a few rules, a filter whose sets no run has computed yet gets them rule by
    # rule; asked for all, in one pass
    inp = next(f for f in dev.filters if f.name == "INPUT")
    assert isinstance(graph.Analysis(dev, valid_only=True).facts(inp, few=True), graph.LocalFacts)
    assert isinstance(graph.Analysis(dev, valid_only=True).facts(inp), list)


def test_entry_from_the_callers_is_the_devices_entries(tmp_path):
    dev = _device(generated(tmp_path, 2000, "realistic", 4))
    per_chain = graph.Analysis(dev, valid_only=True)
    whole = graph.Analysis(dev, valid_only=True, space=per_chain.space)
    entries = whole.entries()
    chains = [f for f in dev.filters if f.table == "filter"]
    for f in reversed(chains):  # callees first: each computes what it needs on its own
        assert per_chain.entry(f) == entries.get(whole.key(f), whole.space.false), f.name
    assert any(per_chain.entry(f) != whole.space.false for f in chains if not f.builtin)


def test_every_proof_holds_in_the_sets(tmp_path):
    """What the layer proves (a rule gets packets, is entered, matters; a rule is covered
    by these rules; a chain never gets a rule's packets) the sets confirm."""
    dev = _device(generated(tmp_path, 2500, "realistic", 4))
    a = graph.Analysis(dev, valid_only=True)
    s = a.space
    entries = graph.Analysis(dev, valid_only=True, space=s).entries()
    ctx = CheckContext(dev, a)
    counts = {"live": 0, "entered": 0, "useful": 0, "covered": 0, "outside": 0}
    for f in ctx.decision_filters():
        fp = a.prober.of(f)
        facts = a.facts(f)
        after = a.fates_after(f)
        entry = entries.get(a.key(f), s.false)
        for i, rule in enumerate(f.rules):
            live, entered, useful = fp.proofs(i)
            fact = facts[i]
            if live:
                counts["live"] += 1
                assert not fact.hit_empty(a), (f.name, i)
            if entered and not f.builtin:
                counts["entered"] += 1
                assert (fact.hit & entry) != s.false, (f.name, i)
            if useful:
                counts["useful"] += 1
                kind = rule.action.kind
                if kind in ("accept", "drop", "reject", "return"):
                    assert not s.is_empty(fact.hit & ~after[i][kind]), (f.name, i)
            covered = fp.covering(i)
            if covered is not None:
                counts["covered"] += 1
                assert fact.hit_empty(a), (f.name, i)
                assert covered and all(j < i for j in covered)
            if not f.builtin and fp.outside_entries(i):
                counts["outside"] += 1
                assert (s.match(rule.match) & entry) == s.false, (f.name, i)
    assert all(v > 10 for v in counts.values()), counts
