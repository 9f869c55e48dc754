"""Cisco IOS and ASA on hostile input (issue 11): deep and cyclic nesting, blow-ups, huge lines.

Each input is generated here. Each test runs the command line as CI would
(`fwlint check FILE --format json`) and asserts: the located diagnostic (path, line, code);
the exit code; no traceback; a generous time budget (against hangs, not a benchmark); and that
the rest of the file is still analysed: a shadowed entry elsewhere in the file is still found
(FW001 at its line).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter.cli import main
from linter.limits import MAX_CLASS_MAP_DEPTH, MAX_GUESSED_ENTRY_WORDS, MAX_OBJECT_GROUP_DEPTH
from linter.platforms.cisco import ios as cisco_ios
from linter.platforms.cisco import asa as cisco_asa

# far above the depth limits, and above Python's recursion limit (1000): the old recursive
# resolution raised RecursionError and dropped the whole file
DEEP = 1200
BUDGET_S = 120.0  # per input, against hangs (every input here takes seconds)


# --------------------------------------------------------------------------- configurations


class Config:
    """A configuration being written, with the line number of each line that matters."""

    def __init__(self, head: list[str]) -> None:
        self.lines: list[str] = list(head)
        self.marks: dict[str, int] = {}

    def add(self, text: str, mark: str | None = None) -> None:
        self.lines.append(text)
        if mark is not None:
            self.marks[mark] = len(self.lines)

    def write(self, path: Path) -> Path:
        path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")
        return path


ASA_HEAD = ["ASA Version 9.8(4)", "hostname hostile",
            "interface GigabitEthernet0/0", " nameif outside", " security-level 0",
            " ip address 198.51.100.2 255.255.255.0",
            "interface GigabitEthernet0/1", " nameif inside", " security-level 100",
            " ip address 10.0.0.1 255.0.0.0"]


def asa_tail(cfg: Config) -> None:
    """An entry shadowed by the one before it: FW001 at the mark `shadowed`."""
    cfg.add("access-list OUT extended deny tcp any any eq 23")
    cfg.add("access-list OUT extended permit tcp any host 192.0.2.9 eq 23", "shadowed")
    cfg.add("access-group OUT in interface outside")


def ios_tail(cfg: Config) -> None:
    cfg.add("ip access-list extended OUT")
    cfg.add(" deny tcp any any eq 23")
    cfg.add(" permit tcp any host 192.0.2.9 eq 23", "shadowed")
    cfg.add("interface GigabitEthernet0/0")
    cfg.add(" ip access-group OUT in")


# --------------------------------------------------------------------------- running the command line


@dataclass
class Run:
    path: Path
    exit_code: int
    report: dict
    seconds: float

    def diagnostics(self, code: str) -> list[tuple[int, int]]:
        """(line, column) of the diagnostics with this code, each in this file."""
        out = []
        for d in self.report["diagnostics"]:
            if d["code"] == code:
                assert Path(d["path"]).name == self.path.name
                out.append((d["line"], d["column"]))
        return out

    def finding_lines(self, check: str, severity: str | None = None) -> set[int]:
        return {f["location"]["line"] for f in self.report["findings"]
                if f["id"] == check and (severity is None or f["severity"] == severity)}


def check(path: Path, *args: str, fail_on: str = "error") -> Run:
    t0 = time.monotonic()
    res = CliRunner().invoke(main, ["check", str(path), "--format", "json", "--no-config", "--fail-on", fail_on,
                                    *args])
    seconds = time.monotonic() - t0
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    assert seconds < BUDGET_S, f"{path.name}: {seconds:.1f} s"
    report = json.loads(res.stdout)
    assert not [d for d in report["diagnostics"] if d["code"] == "internal"], "the parser gave up"
    return Run(path, res.exit_code, report, seconds)


def assert_rest_analysed(run: Run, cfg: Config) -> None:
    assert cfg.marks["shadowed"] in run.finding_lines("FW001")


# --------------------------------------------------------------------------- ASA: object-group nesting

ASA_KINDS = {
    # kind: (header, member, entry using G0)
    "network": ("object-group network {}", " network-object host 10.1.1.1",
                "access-list OUT extended permit ip object-group G0 any"),
    "service": ("object-group service {}", " service-object tcp destination eq 80",
                "access-list OUT extended permit object-group G0 any any"),
    "port": ("object-group service {} tcp", " port-object eq 80",
             "access-list OUT extended permit tcp any any object-group G0"),
    "protocol": ("object-group protocol {}", " protocol-object udp",
                 "access-list OUT extended permit object-group G0 any any"),
    "icmp-type": ("object-group icmp-type {}", " icmp-object echo",
                  "access-list OUT extended permit icmp any any object-group G0"),
}


def asa_chain(kind: str, depth: int) -> Config:
    """G0 nests G1 ... nests G{depth}, written leaves first (the ASA wants a group defined
    before a group-object names it); the mark `crossing` is the group-object line that makes
    a group nest more than MAX_OBJECT_GROUP_DEPTH levels."""
    header, member, entry = ASA_KINDS[kind]
    cfg = Config(ASA_HEAD)
    cfg.add(header.format(f"G{depth}"))
    cfg.add(member)
    for i in range(depth - 1, -1, -1):
        cfg.add(header.format(f"G{i}"))
        cfg.add(f" group-object G{i + 1}", "crossing" if i == depth - MAX_OBJECT_GROUP_DEPTH - 1 else None)
    cfg.add(entry, "entry")
    asa_tail(cfg)
    return cfg


@pytest.mark.parametrize("kind", sorted(ASA_KINDS))
def test_asa_object_group_nesting_past_the_limit(tmp_path: Path, kind: str) -> None:
    cfg = asa_chain(kind, DEEP)
    run = check(cfg.write(tmp_path / "deep.cfg"))
    entry = cfg.lines[cfg.marks["entry"] - 1]
    # once, at the group-object line that crosses the limit (column of the group's name) ...
    assert run.diagnostics("nesting-limit") == [(cfg.marks["crossing"], 15),
                                                (cfg.marks["entry"], entry.index(" G0") + 2)]
    # ... and at the entry that uses a group above it: an error finding, exit 1
    assert run.finding_lines("FW007", "error") == {cfg.marks["crossing"], cfg.marks["entry"]}
    assert run.exit_code == 1
    assert_rest_analysed(run, cfg)


def test_asa_nesting_within_the_limit_is_resolved(tmp_path: Path) -> None:
    cfg = asa_chain("network", MAX_OBJECT_GROUP_DEPTH)
    run = check(cfg.write(tmp_path / "ok.cfg"))
    assert run.diagnostics("nesting-limit") == []
    assert run.exit_code == 0
    assert_rest_analysed(run, cfg)


def test_asa_object_group_cycles(tmp_path: Path) -> None:
    cfg = Config(ASA_HEAD)
    cfg.add("object-group network A")
    cfg.add(" group-object B")
    cfg.add("object-group network B")
    cfg.add(" group-object A", "closes A")
    cfg.add(" network-object host 10.9.9.9")
    cfg.add("object-group network SELF")
    cfg.add(" group-object SELF", "closes SELF")
    cfg.add("access-list OUT extended deny ip object-group A any")
    cfg.add("access-list OUT extended permit tcp host 10.9.9.9 any eq 80", "shadowed by A")
    asa_tail(cfg)
    run = check(cfg.write(tmp_path / "cycle.cfg"), fail_on="warning")
    assert sorted(run.diagnostics("invalid")) == [(cfg.marks["closes A"], 15), (cfg.marks["closes SELF"], 15)]
    assert run.exit_code == 1
    # the group is read without the line that closes the loop (the ASA refuses that line)
    assert cfg.marks["shadowed by A"] in run.finding_lines("FW001")
    assert_rest_analysed(run, cfg)


@pytest.mark.slow
def test_asa_deep_indentation(tmp_path: Path) -> None:
    """10,000 levels of increasing indentation: each line is a global command indented under
    the one before (run at the top level), the last a member under a member."""
    cfg = Config(ASA_HEAD)
    for i in range(10_000):
        cfg.add(" " * i + f"object-group network I{i}")
    cfg.add(" " * 10_000 + "network-object host 10.0.0.300", "bad member")
    cfg.add(" " * 10_001 + "network-object host 10.0.0.400", "bad member below it")
    asa_tail(cfg)
    run = check(cfg.write(tmp_path / "indent.cfg"), fail_on="warning")
    assert run.diagnostics("invalid") == [(cfg.marks["bad member"], 10_021),
                                          (cfg.marks["bad member below it"], 10_022)]
    assert run.exit_code == 1
    assert_rest_analysed(run, cfg)


# --------------------------------------------------------------------------- ASA: expansion


def test_asa_entries_over_large_groups_are_unions(tmp_path: Path) -> None:
    """Entries over source x destination x service groups whose product would be 10^9
    entries per entry: one rule each, no limit hit."""
    cfg = Config(ASA_HEAD)
    for g in range(4):
        cfg.add(f"object-group network N{g}")
        for h in range(1000):
            cfg.add(f" network-object host 10.{g}.{h // 256}.{h % 256}")
    cfg.add("object-group service S tcp")
    for p in range(1000):
        cfg.add(f" port-object eq {1000 + p}")
    for i in range(200):
        cfg.add(f"access-list OUT extended permit tcp object-group N{i % 4} object-group N{(i + 1) % 4} "
                "object-group S")
    asa_tail(cfg)
    run = check(cfg.write(tmp_path / "cross.cfg"))
    assert run.diagnostics("expansion-limit") == []
    assert run.exit_code == 0
    assert run.report["summary"]["rules"] < 1000
    assert_rest_analysed(run, cfg)


# the budget on members copied from nested groups, lowered so that the tests below stay fast
# (at the real MAX_NESTED_GROUP_MEMBERS the same input takes seconds, not minutes: bench figures
# in the docs)
SMALL_BUDGET = 100_000


def test_asa_many_groups_nesting_one_large_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Groups that each nest the same large group copy its members: bounded per file."""
    monkeypatch.setattr(cisco_asa, "MAX_NESTED_GROUP_MEMBERS", SMALL_BUDGET)
    size = SMALL_BUDGET // 20
    cfg = Config(ASA_HEAD)
    cfg.add("object-group network BIG")
    for h in range(0, 2 * size, 2):  # every other address: the ranges do not merge
        cfg.add(f" network-object host 10.{h >> 16}.{(h >> 8) & 255}.{h & 255}")
    for k in range(25):
        cfg.add(f"object-group network W{k}")
        cfg.add(" group-object BIG", "crossing" if k == 20 else None)
        cfg.add(f" network-object host 172.16.0.{k}")
    cfg.add("access-list OUT extended permit ip object-group W0 any")
    cfg.add("access-list OUT extended permit ip object-group W24 any", "entry")
    asa_tail(cfg)
    run = check(cfg.write(tmp_path / "wide.cfg"))
    crossings = run.diagnostics("expansion-limit")
    assert crossings[0] == (cfg.marks["crossing"], 15)  # the 21st copy crosses the limit
    assert len(crossings) == 5 + 1  # W20..W24 at their group-object line, the entry using W24
    assert crossings[-1][0] == cfg.marks["entry"]
    assert run.exit_code == 1
    assert_rest_analysed(run, cfg)


@pytest.mark.slow
def test_asa_group_of_many_members(tmp_path: Path) -> None:
    cfg = Config(ASA_HEAD)
    cfg.add("object-group network BIG")
    for h in range(200_000):
        cfg.add(f" network-object host 10.{h >> 16}.{(h >> 8) & 255}.{h & 255}")
    cfg.add(" network-object host 10.300.0.1", "bad member")
    cfg.add("access-list OUT extended permit ip object-group BIG any")
    asa_tail(cfg)
    run = check(cfg.write(tmp_path / "big.cfg"), fail_on="warning")
    assert run.diagnostics("invalid") == [(cfg.marks["bad member"], 22)]
    assert_rest_analysed(run, cfg)


def test_asa_line_of_ten_megabytes(tmp_path: Path) -> None:
    cfg = Config(ASA_HEAD)
    cfg.add("access-list OUT extended permit tcp any any eq " + "x" * (10 * 1024 * 1024), "long")
    asa_tail(cfg)
    run = check(cfg.write(tmp_path / "long.cfg"), fail_on="warning")
    assert run.diagnostics("invalid") == [(cfg.marks["long"], 48)]  # not a port
    assert run.exit_code == 1
    assert_rest_analysed(run, cfg)


def test_asa_long_entry_naming_undefined_groups(tmp_path: Path) -> None:
    """The kinds of undefined groups are guessed only in entries of a sane length: a long entry
    is parsed once, not 4**3 times."""
    words = 3 * MAX_GUESSED_ENTRY_WORDS + 300_000
    cfg = Config(ASA_HEAD)
    cfg.add("access-list OUT extended permit tcp object-group U1 object-group U2 object-group U3 log "
            + " ".join(["x"] * words), "long")
    asa_tail(cfg)
    run = check(cfg.write(tmp_path / "guess.cfg"), fail_on="warning")
    assert [line for line, _col in run.diagnostics("syntax")] == [cfg.marks["long"]]
    assert run.seconds < 30
    assert_rest_analysed(run, cfg)


def test_asa_very_long_names(tmp_path: Path) -> None:
    name = "N" * 1_000_000
    cfg = Config(ASA_HEAD)
    cfg.add(f"object-group network {name}")
    cfg.add(" network-object host 10.1.1.1")
    cfg.add(f"object-group network {name}X")
    cfg.add(f" group-object {name}Y", "undefined")
    cfg.add(f"access-list OUT extended permit ip object-group {name} any")
    asa_tail(cfg)
    run = check(cfg.write(tmp_path / "names.cfg"), fail_on="warning")
    assert run.diagnostics("undefined-reference") == [(cfg.marks["undefined"], 15)]
    assert_rest_analysed(run, cfg)


def test_asa_ipv6_zone_ids(tmp_path: Path) -> None:
    cfg = Config(ASA_HEAD)
    cfg.add("access-list OUT extended permit ip host fe80::1%outside any", "entry")
    cfg.add("object network SCOPED")
    cfg.add(" host fe80::1%inside", "object")
    cfg.add("object-group network SG")
    cfg.add(" network-object host fe80::2%inside", "host member")
    cfg.add(" network-object fe80::%inside/64", "prefix member")
    cfg.add("name fe80::3%inside LINKLOCAL", "name")
    asa_tail(cfg)
    run = check(cfg.write(tmp_path / "zone.cfg"), fail_on="warning")
    got = {d["line"]: (d["column"], d["construct"]) for d in run.report["diagnostics"] if d["code"] == "invalid"}
    assert got == {cfg.marks["entry"]: (41, "ipv6 zone id"), cfg.marks["object"]: (7, "ipv6 zone id"),
                   cfg.marks["host member"]: (22, "ipv6 zone id"), cfg.marks["prefix member"]: (17, "ipv6 zone id"),
                   cfg.marks["name"]: (6, "ipv6 zone id")}
    assert run.exit_code == 1
    assert_rest_analysed(run, cfg)


# --------------------------------------------------------------------------- IOS


IOS_KINDS = {
    # kind: (header, member, entry using G0, the word the entry's diagnostic points at)
    "network": ("object-group network {}", " host 10.1.1.1", " permit ip object-group G0 any", "G0"),
    "service": ("object-group service {}", " tcp eq 80", " permit object-group G0 any any", "object-group"),
    "protocol": ("object-group protocol {}", " udp", " permit object-group G0 any any", "object-group"),
}


def ios_chain(kind: str, depth: int) -> Config:
    header, member, entry, _at = IOS_KINDS[kind]
    cfg = Config(["hostname hostile"])
    cfg.add(header.format(f"G{depth}"))
    cfg.add(member)
    for i in range(depth - 1, -1, -1):
        cfg.add(header.format(f"G{i}"))
        cfg.add(f" group-object G{i + 1}", "crossing" if i == depth - MAX_OBJECT_GROUP_DEPTH - 1 else None)
    ios_tail(cfg)
    cfg.add("ip access-list extended DEEP")
    cfg.add(entry, "entry")
    cfg.add("interface GigabitEthernet0/1")
    cfg.add(" ip access-group DEEP in")
    return cfg


@pytest.mark.parametrize("kind", sorted(IOS_KINDS))
def test_ios_object_group_nesting_past_the_limit(tmp_path: Path, kind: str) -> None:
    cfg = ios_chain(kind, DEEP)
    run = check(cfg.write(tmp_path / "deep.cfg"))
    entry = cfg.lines[cfg.marks["entry"] - 1]
    assert run.diagnostics("nesting-limit") == [(cfg.marks["crossing"], 15),
                                                (cfg.marks["entry"], entry.index(IOS_KINDS[kind][3]) + 1)]
    assert run.finding_lines("FW007", "error") == {cfg.marks["crossing"], cfg.marks["entry"]}
    assert run.exit_code == 1
    assert_rest_analysed(run, cfg)


def test_ios_object_group_cycles_and_diamonds(tmp_path: Path) -> None:
    """A cycle is reported where it closes; a chain of diamonds (each group nests the next one
    twice) is flattened once per group, not 2**60 times."""
    cfg = Config(["hostname hostile"])
    cfg.add("object-group network A")
    cfg.add(" group-object B")
    cfg.add("object-group network B")
    cfg.add(" group-object A", "closes A")
    cfg.add(" host 10.9.9.9")
    cfg.add("object-group network D60")
    cfg.add(" host 10.8.8.8")
    for i in range(59, -1, -1):
        cfg.add(f"object-group network D{i}")
        cfg.add(f" group-object D{i + 1}")
        cfg.add(f" group-object D{i + 1}")
    cfg.add("ip access-list extended X")
    cfg.add(" deny ip object-group A any")
    cfg.add(" permit tcp host 10.9.9.9 any eq 80", "shadowed by A")
    cfg.add(" deny ip object-group D0 any")
    cfg.add(" permit tcp host 10.8.8.8 any eq 80", "shadowed by D0")
    cfg.add("interface GigabitEthernet0/1")
    cfg.add(" ip access-group X in")
    ios_tail(cfg)
    run = check(cfg.write(tmp_path / "cycle.cfg"), fail_on="warning")
    assert run.diagnostics("invalid") == [(cfg.marks["closes A"], 15)]
    assert run.exit_code == 1
    assert {cfg.marks["shadowed by A"], cfg.marks["shadowed by D0"]} <= run.finding_lines("FW001")
    assert_rest_analysed(run, cfg)


def zbf_config() -> Config:
    cfg = Config(["hostname hostile", "zone security in", "zone security out",
                  "interface GigabitEthernet0/1", " zone-member security in",
                  "interface GigabitEthernet0/2", " zone-member security out"])
    return cfg


def test_ios_class_map_nesting_past_the_limit(tmp_path: Path) -> None:
    cfg = zbf_config()
    cfg.add(f"class-map type inspect match-any C{DEEP}")
    cfg.add(" match protocol http")
    for i in range(DEEP - 1, -1, -1):
        cfg.add(f"class-map type inspect match-any C{i}")
        cfg.add(f" match class-map C{i + 1}", "crossing" if i == DEEP - MAX_CLASS_MAP_DEPTH - 1 else None)
    cfg.add("class-map type inspect match-any LOOP1")
    cfg.add(" match class-map LOOP2")
    cfg.add("class-map type inspect match-any LOOP2")
    cfg.add(" match class-map LOOP1", "closes LOOP1")
    cfg.add("policy-map type inspect P")
    cfg.add(" class type inspect C0", "class")
    cfg.add("  inspect")
    cfg.add(" class type inspect LOOP1")
    cfg.add("  drop")
    cfg.add(" class class-default")
    cfg.add("  drop")
    cfg.add("zone-pair security ZP source in destination out")
    cfg.add(" service-policy type inspect P")
    ios_tail(cfg)
    run = check(cfg.write(tmp_path / "classmaps.cfg"), "--platform", "cisco-ios")
    assert run.diagnostics("nesting-limit") == [(cfg.marks["crossing"], 18), (cfg.marks["class"], 21)]
    assert run.diagnostics("invalid") == [(cfg.marks["closes LOOP1"], 18)]
    assert run.exit_code == 1
    assert_rest_analysed(run, cfg)


@pytest.mark.slow
def test_ios_deep_indentation(tmp_path: Path) -> None:
    """10,000 levels of increasing indentation under an access list: every line is read in
    the list's mode (IOS ignores indentation), the deepest one located."""
    cfg = Config(["hostname hostile"])
    cfg.add("ip access-list extended DEEP")
    for i in range(1, 10_000):
        cfg.add(" " * i + f"remark level {i}")
    cfg.add(" " * 10_000 + "permit tcp any any eq 70000", "deepest")
    cfg.add("interface GigabitEthernet0/1")
    cfg.add(" ip access-group DEEP in")
    ios_tail(cfg)
    run = check(cfg.write(tmp_path / "indent.cfg"), fail_on="warning")
    assert [line for line, _col in run.diagnostics("invalid")] == [cfg.marks["deepest"]]
    assert run.exit_code == 1
    assert_rest_analysed(run, cfg)


def test_ios_many_groups_nesting_one_large_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cisco_ios, "MAX_NESTED_GROUP_MEMBERS", SMALL_BUDGET)
    size = SMALL_BUDGET // 20
    cfg = Config(["hostname hostile"])
    cfg.add("object-group network BIG")
    for h in range(0, 2 * size, 2):  # every other address: the ranges do not merge
        cfg.add(f" host 10.{h >> 16}.{(h >> 8) & 255}.{h & 255}")
    for k in range(25):
        cfg.add(f"object-group network W{k}")
        cfg.add(" group-object BIG", "crossing" if k == 20 else None)
        cfg.add(f" host 172.16.0.{k}")
    cfg.add("ip access-list extended WIDE")
    for k in range(25):
        cfg.add(f" deny ip object-group W{k} host 192.0.2.{k}", "entry" if k == 24 else None)
    cfg.add("interface GigabitEthernet0/1")
    cfg.add(" ip access-group WIDE in")
    ios_tail(cfg)
    run = check(cfg.write(tmp_path / "wide.cfg"))
    crossings = run.diagnostics("expansion-limit")
    assert crossings[0] == (cfg.marks["crossing"], 15)
    assert len(crossings) == 5 + 5  # W20..W24 at their group-object line, the entries using them
    assert crossings[-1][0] == cfg.marks["entry"]
    assert run.exit_code == 1
    assert_rest_analysed(run, cfg)


@pytest.mark.slow
def test_ios_group_of_many_members_long_line_long_names(tmp_path: Path) -> None:
    name = "N" * 1_000_000
    cfg = Config(["hostname hostile"])
    cfg.add(f"object-group network {name}")
    for h in range(200_000):
        cfg.add(f" host 10.{h >> 16}.{(h >> 8) & 255}.{h & 255}")
    cfg.add(f"ip access-list extended {name}")
    cfg.add(f" permit ip object-group {name} any")
    cfg.add(" permit tcp any any eq " + "x" * (10 * 1024 * 1024), "long")
    cfg.add("interface GigabitEthernet0/1")
    cfg.add(f" ip access-group {name} in")
    ios_tail(cfg)
    run = check(cfg.write(tmp_path / "big.cfg"), fail_on="warning")
    assert [line for line, _col in run.diagnostics("invalid")] == [cfg.marks["long"]]
    assert run.exit_code == 1
    assert_rest_analysed(run, cfg)


def test_ios_ipv6_zone_ids(tmp_path: Path) -> None:
    cfg = Config(["hostname hostile"])
    cfg.add("ipv6 access-list V6")
    cfg.add(" permit ipv6 host FE80::1%GigabitEthernet0/0 any", "entry")
    cfg.add(" permit ipv6 FE80::%Gi0/0/64 any", "prefix")
    cfg.add("object-group network SG")
    cfg.add(" host FE80::2%eth0", "member")
    cfg.add("interface GigabitEthernet0/1")
    cfg.add(" ipv6 traffic-filter V6 in")
    ios_tail(cfg)
    run = check(cfg.write(tmp_path / "zone.cfg"), fail_on="warning")
    zone = {d["line"]: (d["code"], d["column"]) for d in run.report["diagnostics"] if "zone id" in d["message"]}
    assert zone == {cfg.marks["entry"]: ("syntax", 19), cfg.marks["prefix"]: ("syntax", 14),
                    cfg.marks["member"]: ("invalid", 7)}
    assert run.exit_code == 1
    assert_rest_analysed(run, cfg)
