"""Witnesses replay (issue 13, point 7): every witness of every finding, on the shared corpus
and the bundled examples, is taken by `fwlint trace` as it is (the JSON report's `witness`
through the `trace --packets` reader, and the text form through the compact reader), and the
trace shows what the finding says:

- FW001: the rule never matches the packet; where the finding names every rule that covers
  or overrides it (fewer than ten), one of them is on the packet's way;
- FW002: the rule decides the packet, and the device without the rule gives it the same
  verdict;
- FW003: the rule accepts it;
- FW004: the filter's default accepts it;
- EX findings: an `allow` finding's packet is dropped at the rule the finding names, a
  `restrict`/`note-if-open` finding's packet is accepted by the rule it names.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path

import pytest

from linter import api, graph
from linter import model as m
from linter.checks import run_checks
from linter.files import InputError
from linter.findings import Finding
from linter.graph import Trace
from linter.output.json_format import finding_data
from tests.shared import REPO as ROOT, shared_dir

EXAMPLES = ROOT / "examples"
PLATFORMS = ("iptables", "pf", "cisco-ios", "cisco-asa")
# FW findings that have no packet to show: a match no packet meets, a device without any
# filter table (every packet passes: there is no rule to show it at)
_NO_PACKET = ("its conditions contradict each other", "no filter table")


def _at(step, origin: m.Origin) -> bool:
    return step.origin is not None and (step.origin.path, step.origin.line) == (origin.path, origin.line)


def _without_rule(device: m.Device, origin: m.Origin) -> m.Device:
    """The device with the rule at `origin` taken out of every filter that holds it."""
    filters = tuple(dataclasses.replace(f, rules=tuple(r for r in f.rules if r.origin != origin))
                    for f in device.filters)
    return dataclasses.replace(device, filters=filters)


def _trace(device: m.Device, record: dict) -> tuple[Trace | None, str | None]:
    ans = next(api.trace_records(device, [record]))
    return ans.trace, ans.error


def _fw001(device: m.Device, f: Finding, t: Trace, record: dict) -> str | None:
    if any(_at(s, f.origin) for s in t.steps):
        return "the rule matches its own witness"
    if "sent to chain" in f.message:
        return None  # never sent to the rule's chain: not reaching the rule is the claim
    if f.related and len(f.related) < 10 and not any(_at(s, r.origin) for r in f.related for s in t.steps):
        return "none of the covering or overriding rules is on the packet's way"
    return None


def _fw002(device: m.Device, f: Finding, t: Trace, record: dict) -> str | None:
    if not any(_at(s, f.origin) for s in t.steps):
        return "the rule does not decide its own witness"
    other, error = _trace(_without_rule(device, f.origin), record)
    if other is None:
        return f"without the rule, trace refuses the packet: {error}"
    if other.verdict != t.verdict:
        return f"without the rule the packet is {other.verdict}, with it {t.verdict}"
    return None


def _fw003(device: m.Device, f: Finding, t: Trace, record: dict) -> str | None:
    if t.verdict != "accept" or not any(_at(s, f.origin) and s.action == "accept" for s in t.steps):
        return f"not accepted by the rule ({t.verdict})"
    return None


def _fw004(device: m.Device, f: Finding, t: Trace, record: dict) -> str | None:
    if f.message.startswith("no access list or zone-pair is applied"):
        # an IOS device with nothing applied to its interfaces: no filter at all decides
        return None if t.verdict == "accept" and not t.steps else f"not forwarded unfiltered ({t.verdict})"
    if t.verdict != "accept" or not t.steps or t.steps[-1].rule is not None:
        return f"not accepted by the default ({t.verdict}, {[s.describe() for s in t.steps[-1:]]})"
    return None


def _ex(device: m.Device, f: Finding, t: Trace, record: dict) -> str | None:
    if " drops " in f.message:  # allow: the rule or default the finding names drops it
        if t.verdict not in ("drop", "reject") or not t.steps or t.steps[-1].origin is None \
                or t.steps[-1].origin.line != f.origin.line:
            return f"not dropped at line {f.origin.line}: {t.verdict}, {[s.describe() for s in t.steps]}"
        return None
    if " accepts, for example" in f.message:  # restrict, note-if-open: the rule accepts it
        if t.verdict != "accept" or not any(s.origin is not None and s.origin.line == f.origin.line
                                            for s in t.steps):
            return f"not accepted at line {f.origin.line}: {t.verdict}, {[s.describe() for s in t.steps]}"
        return None
    if " alters " in f.message:  # unaltered: the alteration is not applied by trace; it answers
        return None
    return "an EX finding of a kind this test does not know"


CLAIMS = {"FW001": _fw001, "FW002": _fw002, "FW003": _fw003, "FW004": _fw004}


def replay(device: m.Device, f: Finding) -> str | None:
    """What is wrong with f's witness (None: it replays as the finding says)."""
    data = json.loads(json.dumps(finding_data(f)["witness"]))  # the JSON report's witness
    t, error = _trace(device, data)
    if t is None:
        return f"trace refuses the witness: {error}"
    # the JSON reads back as the witness itself, and the text as the same record
    packet, _ = api.packet_from_dict(data)
    if packet != dataclasses.replace(f.witness, hook="", filter=""):
        return f"the JSON witness reads back as another packet: {packet!r}"
    text = api.parse_packet_spec(str(f.witness))
    if api.packet_from_dict(text)[0] != packet or \
            (text.get("hook"), text.get("filter")) != (data.get("hook"), data.get("filter")):
        return f"the text witness {f.witness} reads back as another packet: {text}"
    claim = CLAIMS.get(f.id, _ex if f.id.startswith("EX") else None)
    return claim(device, f, t, data) if claim else None


def _decides_a_first_packet(device: m.Device, origin: m.Origin) -> bool:
    """Whether the rule at `origin` decides some first packet of a new connection (the
    packets FW003 speaks of) in a filter that holds it."""
    from linter.graph import Analysis

    a = Analysis(device, valid_only=True)
    s = a.space
    tcp = s.cond(m.IntCond(m.PROTO, ((m.PROTO_TCP, m.PROTO_TCP),)))
    syn = m.TCP_FLAG_BITS["SYN"]
    first = ~tcp | s.cond(m.FlagsCond(syn | m.TCP_FLAG_BITS["ACK"] | m.TCP_FLAG_BITS["RST"] | m.TCP_FLAG_BITS["FIN"], syn))
    new = s.cond(m.IntCond(m.STATE, ((m.STATE_NUMBER["NEW"],) * 2,))) & first
    for f in device.filters:
        for i, r in enumerate(f.rules):
            if r.origin == origin and not s.is_empty(a.facts(f)[i].decided & new):
                return True
    return False


def _check(device: m.Device, findings, replayed: Counter, failures: list[str]) -> None:
    for f in findings:
        if f.witness is None:
            if f.id in ("FW001", "FW002", "FW004") and not any(w in f.message for w in _NO_PACKET):
                failures.append(f"{f.origin}: {f.id} without a witness: {f.message}")
            if f.id == "FW003" and _decides_a_first_packet(device, f.origin):
                # (only a rule that decides no new connection has none to show accepting)
                failures.append(f"{f.origin}: FW003 without a witness on a rule that accepts some")
            continue
        problem = replay(device, f)
        replayed[f.id] += 1
        if problem is not None:
            failures.append(f"{f.origin}: {f.id} {f.message[:80]}... witness {f.witness}: {problem}")


def _corpus_files(platform: str) -> list[Path]:
    return sorted(p for p in shared_dir("corpus", platform).rglob("*") if p.is_file())


@pytest.mark.parametrize("platform,by_runs", [(p, False) for p in PLATFORMS] + [("iptables", True)],
                         ids=lambda x: x if isinstance(x, str) else ("by-runs" if x else ""))
def test_corpus_witnesses_replay(platform, by_runs, monkeypatch):
    """`by_runs`: chains' witnesses looked for by concrete runs first, as on devices of
    `graph.WITNESS_BY_RUNS` rules and more (the corpus has none that big)."""
    if by_runs:
        monkeypatch.setattr(graph, "WITNESS_BY_RUNS", 0)
    replayed: Counter = Counter()
    failures: list[str] = []
    unread = []
    for path in _corpus_files(platform):
        try:
            device = api.load(path, platform)
        except InputError:
            unread.append(path.name)  # a file fwlint refuses as a whole has no finding
            continue
        _check(device, run_checks(device), replayed, failures)
    assert not failures, f"{len(failures)} witnesses do not replay:\n" + "\n".join(failures[:30])
    assert len(unread) <= 1, unread  # (one IOS file is UTF-16 without a byte order mark)
    # every check with a witness is exercised on every platform's corpus
    assert all(replayed[i] >= 10 for i in ("FW001", "FW002", "FW003")), replayed
    if platform in ("iptables", "pf"):
        assert replayed["FW004"] >= 10, replayed


def test_example_witnesses_replay():
    replayed: Counter = Counter()
    failures: list[str] = []
    reports = [api.lint([EXAMPLES / "linux-router" / "router.rules"])]
    for name in ("exchange-no-edge", "exchange-edge-pf", "exchange-ios", "exchange-asa"):
        inventory = EXAMPLES / name / "inventory.yaml"
        reports.append(api.lint([], api.LintOptions(policies=["exchange-2013"], inventory=str(inventory))))
    for report in reports:
        by_source = {src: d for d in report.devices for src in d.sources}
        for path in sorted({f.origin.path for f in report.findings}):
            device = by_source[path]
            _check(device, [f for f in report.findings if f.origin.path == path], replayed, failures)
    assert not failures, "\n".join(failures)
    assert replayed["FW001"] and replayed["FW003"] and replayed["FW004"]
    assert sum(n for i, n in replayed.items() if i.startswith("EX")) >= 15, replayed


def test_witness_interfaces_are_the_devices_or_marked():
    """A witness names interfaces the device has; where any other interface will do, it says
    `*` (an interface the configuration does not name), never an invented name."""
    text = b"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n" \
           b"-A INPUT -i lo -j ACCEPT\n-A FORWARD -i eth0 -o eth1 -j ACCEPT\nCOMMIT\n"
    from linter.platforms import iptables

    device = iptables.parse("r.rules", text)
    report = run_checks(device)
    fw004 = next(f for f in report if f.id == "FW004" and "INPUT" in f.message)
    w = fw004.witness
    # INPUT's default takes what comes in on anything but lo: the device names only lo, eth0
    # and eth1 (all of them may come in at INPUT), so the witness uses one of those
    assert w.hook == "INPUT" and w.in_iface in ("eth0", "eth1") and w.out_iface == ""
    assert str(w).endswith(f"in {w.in_iface} flags SYN state NEW hook INPUT")
    only_lo = iptables.parse("h.rules", b"*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n")
    w = next(f for f in run_checks(only_lo) if f.id == "FW004").witness
    assert w.in_iface == "*"  # any interface but lo, which the host does not name
    t, _ = _trace(only_lo, w.to_json())
    assert t is not None and t.verdict == "accept" and t.steps[-1].rule is None


def test_witness_addresses_are_hosts():
    """From 10.0.0.0/8 a witness takes 10.0.0.1, not the network address; a /31 gives its
    host-looking address, a /32 the address itself."""
    from linter.platforms import iptables

    rules = (b"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
             b"-A INPUT -s 10.0.0.0/8 -d 192.0.2.0/24 -j DROP\n"
             b"-A INPUT -s 10.0.0.0/8 -d 192.0.2.0/24 -j DROP\n"
             b"-A INPUT -s 198.51.100.4/31 -d 192.0.2.8/32 -p udp -j DROP\n"
             b"-A INPUT -s 198.51.100.4/31 -d 192.0.2.8/32 -p udp -j DROP\n"
             b"COMMIT\n")
    device = iptables.parse("r.rules", rules)
    found = {f.origin.line: f.witness for f in run_checks(device) if f.id == "FW001"}
    assert (found[6].src_ip, found[6].dst_ip) == ("10.0.0.1", "192.0.2.1")
    assert (found[8].src_ip, found[8].dst_ip) == ("198.51.100.5", "192.0.2.8")


def test_witness_holds_the_opaque_conditions_it_needs():
    """A rule shadowed by an earlier one with the same unmodelled condition: its packets
    are in it only while the condition holds, the witness says so (`holds`), and trace
    follows that branch first, so the covering rule decides."""
    from linter.platforms import iptables

    rules = (b"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
             b"-A INPUT -m mac --mac-source 00:11:22:33:44:55 -j DROP\n"
             b"-A INPUT -p tcp -m mac --mac-source 00:11:22:33:44:55 -j ACCEPT\n"
             b"COMMIT\n")
    device = iptables.parse("r.rules", rules)
    f = next(f for f in run_checks(device) if f.id == "FW001")
    assert f.witness.holds and "mac" in f.witness.holds[0]
    assert f'holds "{f.witness.holds[0]}"' in str(f.witness)
    assert replay(device, f) is None
    t, _ = _trace(device, api.parse_packet_spec(str(f.witness)))
    assert t.verdict == "drop" and t.steps[-1].origin.line == 5


def test_witnesses_replay_through_the_command_line(tmp_path):
    """`check --format json`'s witnesses, written one a line, are read by `trace --packets`
    as they are and give the verdicts the findings say (here, every FW001 witness is dropped
    or rejected by a covering rule before its rule)."""
    from click.testing import CliRunner

    from linter.cli import main

    example = str(EXAMPLES / "linux-router" / "router.rules")
    out = CliRunner().invoke(main, ["check", example, "--format", "json"], catch_exceptions=False)
    findings = [f for f in json.loads(out.output)["findings"] if f.get("witness")]
    packets = tmp_path / "witnesses.jsonl"
    packets.write_text("".join(json.dumps(f["witness"]) + "\n" for f in findings))
    out = CliRunner().invoke(main, ["trace", example, "--packets", str(packets), "--json"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    answers = [json.loads(line) for line in out.output.splitlines()]
    assert len(answers) == len(findings) >= 4
    for f, ans in zip(findings, answers, strict=False):
        lines = [r["line"] for r in ans["rules"]]
        if f["id"] == "FW001":
            assert f["location"]["line"] not in lines
            assert {r["line"] for r in f["related"]} & set(lines), (f, ans)
        if f["id"] == "FW003":
            assert ans["verdict"] == "accept" and lines[-1] == f["location"]["line"]


def test_a_witness_that_holds_replays_through_the_command_line(tmp_path):
    """A JSON witness with `holds` (a list) is read by `trace --packets` as it is, and its
    text by the compact form, both giving the verdict of the rule that covers it."""
    from click.testing import CliRunner

    from linter.cli import main

    rules = tmp_path / "mac.rules"
    rules.write_text("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                     "-A INPUT -m mac --mac-source 00:11:22:33:44:55 -j DROP\n"
                     "-A INPUT -p tcp -m mac --mac-source 00:11:22:33:44:55 -j ACCEPT\nCOMMIT\n")
    out = CliRunner().invoke(main, ["check", str(rules), "--format", "json"], catch_exceptions=False)
    witness = next(f["witness"] for f in json.loads(out.output)["findings"] if f["id"] == "FW001")
    assert isinstance(witness["holds"], list) and witness["hook"] == "INPUT"
    packets = tmp_path / "w.jsonl"
    packets.write_text(json.dumps(witness) + "\n")
    out = CliRunner().invoke(main, ["trace", str(rules), "--packets", str(packets), "--json"], catch_exceptions=False)
    ans = json.loads(out.output)
    assert out.exit_code == 0 and ans["verdict"] == "drop" and [r["line"] for r in ans["rules"]] == [5]
    lines = CliRunner().invoke(main, ["check", str(rules)], catch_exceptions=False).output.splitlines()
    at = next(i for i, line in enumerate(lines) if " FW001 " in line)
    shown = lines[at + 1].split("witness: ", 1)[1]
    assert 'holds "mac --mac-source 00:11:22:33:44:55"' in shown
    out = CliRunner().invoke(main, ["trace", str(rules), shown], catch_exceptions=False)
    assert out.exit_code == 0 and ": DROP" in out.output.splitlines()[0], out.output


def test_host_addresses_by_pieces_and_plain():
    """A witness's source is the next host address after the lowest one of the set (last two
    bits 01 or 10) where the set holds it, and the same packet in either encoding of
    addresses, in pieces of every size (/31 and /32 pieces hold their own last bits in
    their piece number)."""
    from linter.space import PacketSpace

    bounds = {4: [0xC0000200, 0xC0000201, 0xC0000203, 0xC0000206, 0xC0000208, 0xC0000209, 0xC000020E,
                  0xC0000210, 0xC0000300]}
    by_pieces = PacketSpace(["eth0"], addresses=bounds)
    plain = PacketSpace(["eth0"])
    assert by_pieces.pieces["src4"] is not None and plain.pieces["src4"] is None
    for lo in range(0xC00001FE, 0xC0000212):
        for hi in range(lo, min(lo + 6, 0xC0000212)):
            w = by_pieces.witness(by_pieces.addr_range(m.SRC, 4, lo, hi))
            assert w == plain.witness(plain.addr_range(m.SRC, 4, lo, hi)), (hex(lo), hex(hi))
            ups = {0: (1, 2), 3: (2, 3)}.get(lo & 3, ())
            assert w.src == next((lo + u for u in ups if lo + u <= hi), lo), (hex(lo), hex(hi), w)
