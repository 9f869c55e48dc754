"""Advice that can be followed (issue 13, points 2 and 3): no pair of findings whose fixes
together change what the device does, and side effects count.

- Duplicates: two identical (or mutually covering) rules give one finding, FW001 on the later
  one naming the first; FW002 asks whether a rule is redundant in the filter without the
  rules FW001 reports, so it never tells the user to delete the rule FW001's advice keeps.
- Side effects (`Rule.effects`: logging, labels, queues, tags, routes, state options) make a
  rule redundant only when the rules that would take its packets do the same things.
"""

from __future__ import annotations

from pathlib import Path

from linter import api
from linter.platforms import pf
from linter.platforms.cisco import ios as cisco_ios
from linter.platforms.cisco import asa as cisco_asa


def lint(tmp_path: Path, name: str, text: str, platform: str | None = None):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return api.lint([str(path)], api.LintOptions(platform=platform) if platform else None)


def by_line(report, ids=("FW001", "FW002")) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for f in report.findings:
        if f.id in ids:
            out.setdefault(f.origin.line, set()).add(f.id)
    return out


IOS_HEAD = "hostname r1\ninterface GigabitEthernet0/0\n ip access-group EDGE in\nip access-list extended EDGE\n"


def test_identical_cisco_entries_get_one_finding(tmp_path):
    report = lint(tmp_path, "r1.ios", IOS_HEAD + (
        " permit tcp any host 192.0.2.10 eq 443\n"
        " permit tcp any host 192.0.2.10 eq 443\n"
        " deny ip any any\n"))
    assert by_line(report) == {6: {"FW001"}, 7: {"FW002"}}
    shadowed = next(f for f in report.findings if f.id == "FW001")
    assert "line 5" in shadowed.message and [r.origin.line for r in shadowed.related] == [5]


def test_mutually_covering_pf_rules_get_one_finding(tmp_path):
    # the same packets written two ways: the later rule decides (last match), the earlier
    # never does; FW002 on the later would remove the pass altogether
    report = lint(tmp_path, "pf.conf", (
        "block all\n"
        "pass in on em0 proto tcp to 192.0.2.10 port 80\n"
        "pass in on em0 proto tcp to 192.0.2.10/32 port www\n"), platform="pf")
    assert by_line(report) == {2: {"FW001"}}
    finding = next(f for f in report.findings if f.id == "FW001")
    assert [r.origin.line for r in finding.related] == [3] and finding.witness is not None


def test_a_duplicate_that_a_broader_rule_covers_is_still_redundant(tmp_path):
    report = lint(tmp_path, "fw.rules", (
        "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
        "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
        "-A INPUT -p tcp -m tcp --dport 1:1024 -j ACCEPT\n"
        "COMMIT\n"))
    assert by_line(report) == {5: {"FW002"}, 6: {"FW001"}}
    redundant = next(f for f in report.findings if f.id == "FW002")
    assert "line 7" in redundant.message  # not the duplicate FW001 tells the user to delete


def test_a_logging_last_line_is_not_redundant(tmp_path):
    report = lint(tmp_path, "r1.ios", IOS_HEAD + (
        " permit tcp any host 192.0.2.10 eq 443\n"
        " deny ip any any log\n"))
    assert by_line(report) == {}
    # without `log` it only repeats the implicit deny
    report = lint(tmp_path, "r1.ios", IOS_HEAD + (
        " permit tcp any host 192.0.2.10 eq 443\n"
        " deny ip any any\n"))
    assert by_line(report) == {6: {"FW002"}}


def test_pf_rules_that_queue_tag_or_route_are_not_redundant(tmp_path):
    rules = ("block all\n"
             "pass in quick on em0 proto tcp to 192.0.2.10 port 22 queue ssh\n"
             "pass in on em0 proto tcp to 192.0.2.10 port 80 tag WEB\n"
             "pass in on em0 proto tcp to 192.0.2.10 port 443 label https\n"
             "pass in on em0 proto tcp to 192.0.2.0/24 port { 22 80 443 }\n")
    report = lint(tmp_path, "pf.conf", "queue ssh on em0 bandwidth 10M default\n" + rules, platform="pf")
    assert not [f for f in report.findings if f.id == "FW002" and f.origin.line in (3, 4, 5)]
    # the same rules without their side effects are redundant
    plain = rules.replace(" queue ssh", "").replace(" tag WEB", "").replace(" label https", "")
    report = lint(tmp_path, "pf.conf", plain, platform="pf")
    assert {f.origin.line for f in report.findings if f.id == "FW002"} >= {2}


def test_platforms_record_side_effects(tmp_path):
    ios = tmp_path / "r.ios"
    ios.write_text(IOS_HEAD + " permit tcp any any eq 22 log-input\n permit ip any any\n", encoding="utf-8")
    dev = cisco_ios.parse(str(ios), ios.read_bytes())
    edge = next(f for f in dev.filters if f.name == "EDGE")
    assert [r.effects for r in edge.rules] == [("log",), ()]  # (log-input logs too)

    asa = tmp_path / "fw.asa"
    asa.write_text("ASA Version 9.8(1)\nhostname fw\ninterface GigabitEthernet0/0\n nameif outside\n"
                   " security-level 0\n ip address 192.0.2.1 255.255.255.0\n"
                   "access-list OUT extended permit tcp any any eq 22 log\n"
                   "access-list OUT extended permit tcp any any eq 23 log disable\n"
                   "access-list OUT extended deny ip any any log 6 interval 300\n"
                   "access-group OUT in interface outside\n", encoding="utf-8")
    dev = cisco_asa.parse(str(asa), asa.read_bytes())
    out = next(f for f in dev.filters if f.name == "OUT")
    assert [r.effects for r in out.rules if not r.synthetic] == [("log",), (), ("log",)]

    conf = tmp_path / "pf.conf"
    conf.write_text("pass in log on em0 proto tcp to port 22 tag SSH label ssh "
                    "keep state (max-src-conn 10)\npass out\n", encoding="utf-8")
    dev = pf.parse(str(conf), conf.read_bytes())
    user = [r for f in dev.filters for r in f.rules if not r.synthetic]
    assert user[0].effects == ("log", "label ssh", "tag SSH", "max-src-conn 10")
    assert user[1].effects == ()
