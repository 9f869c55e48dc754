"""Inline suppressions (`fwlint: disable=ID -- reason`) in each platform's comment syntax, and
FW008 for directives that are malformed, name an unknown id or suppress nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter.api import LintOptions, lint
from linter.cli import main
from linter.suppress import parse_directive

from tests.shared import REPO as ROOT


def runner() -> CliRunner:
    """stdout and stderr apart (click 8.1 mixes them unless told; 8.2 keeps them apart)."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()

# each configuration's only finding is FW001 on the line marked SHADOWED; {d} is where a
# directive goes (a line of its own, or nothing)
IPTABLES = """*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT DROP [0:0]
-A INPUT -p tcp --dport 22 -j ACCEPT
{d}
-A INPUT -p tcp --dport 22 -s 192.0.2.0/24 {c}-j ACCEPT
COMMIT
"""
PF = """block all
pass in quick proto tcp to port 22
{d}
pass in quick proto tcp from 192.0.2.0/24 to port 22{c}
"""
IOS_NAMED = """hostname r1
!
interface GigabitEthernet0/0
 ip address 198.51.100.2 255.255.255.252
 ip access-group OUTSIDE_IN in
!
ip access-list extended OUTSIDE_IN
 permit tcp any any eq 22
{d}
 permit tcp 192.0.2.0 0.0.0.255 any eq 22
!
end
"""
IOS_NUMBERED = """hostname r1
!
interface GigabitEthernet0/0
 ip address 198.51.100.2 255.255.255.252
 ip access-group 101 in
!
access-list 101 permit tcp any any eq 80
{d}
access-list 101 permit tcp 192.0.2.0 0.0.0.255 any eq 80
!
end
"""
ASA = """ASA Version 9.8(4)
hostname asa1
!
interface GigabitEthernet0/0
 nameif outside
 security-level 0
 ip address 198.51.100.2 255.255.255.252
!
interface GigabitEthernet0/1
 nameif inside
 security-level 100
 ip address 10.0.0.1 255.255.255.0
!
access-list INSIDE_IN extended permit tcp 10.0.0.0 255.255.255.0 any eq 443
access-list OUTSIDE_IN extended permit tcp any any eq 22
{d}
access-list OUTSIDE_IN extended permit tcp 192.0.2.0 255.255.255.0 any eq 22
access-group OUTSIDE_IN in interface outside
access-group INSIDE_IN in interface inside
"""
SHADOWED = {"fw.rules": "-s 192.0.2.0/24", "pf.conf": "from 192.0.2.0/24", "r1.cfg": "192.0.2.0 0.0.0.255",
            "asa1.cfg": "192.0.2.0 255.255.255.0"}


def fill(template: str, d: str = "", c: str = "") -> str:
    lines = template.replace("{c}", c).split("\n")
    out = []
    for ln in lines:
        if ln == "{d}":
            out.extend(d.split("\n") if d else [])
        else:
            out.append(ln)
    return "\n".join(out)


def check(tmp_path: Path, monkeypatch, name: str, text: str, *args: str) -> tuple[int, dict]:
    (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    res = runner().invoke(main, ["check", name, "--format", "json", *args])
    assert "Traceback" not in res.output
    return res.exit_code, json.loads(res.stdout)


def line_of(text: str, needle: str) -> int:
    return next(n for n, ln in enumerate(text.split("\n"), 1) if needle in ln)


def ids_at(data: dict, key: str = "findings") -> list[tuple[str, int]]:
    return [(f["id"], f["location"]["line"]) for f in data[key]]


CASES = [
    ("fw.rules", IPTABLES, "# fwlint: disable=FW001 -- kept for the audit trail", ""),
    ("fw.rules", IPTABLES, "# fwlint: disable=FW001 -- kept for the audit trail\n# an ordinary comment\n", ""),
    ("fw.rules", IPTABLES, "", '-m comment --comment "fwlint: disable=FW001 -- kept for the audit trail" '),
    ("pf.conf", PF, "# fwlint: disable=FW001 -- kept for the audit trail", ""),
    ("pf.conf", PF, "", "  # fwlint: disable=FW001 -- kept for the audit trail"),
    ("r1.cfg", IOS_NAMED, " remark fwlint: disable=FW001 -- kept for the audit trail", ""),
    ("r1.cfg", IOS_NAMED, "! fwlint: disable=FW001 -- kept for the audit trail", ""),
    ("r1.cfg", IOS_NUMBERED, "access-list 101 remark fwlint: disable=FW001 -- kept for the audit trail", ""),
    ("r1.cfg", IOS_NUMBERED, "! fwlint: disable=FW001 -- kept for the audit trail", ""),
    ("asa1.cfg", ASA, "access-list OUTSIDE_IN remark fwlint: disable=FW001 -- kept for the audit trail", ""),
    ("asa1.cfg", ASA, "! fwlint: disable=FW001 -- kept for the audit trail", ""),
    ("fw.rules", IPTABLES, "# fwlint: disable-file=FW001 -- kept for the audit trail", ""),
    ("pf.conf", PF, "# fwlint: disable-file=FW001 -- kept for the audit trail", ""),
    ("asa1.cfg", ASA, "! fwlint: disable-file=FW001 -- kept for the audit trail", ""),
    ("r1.cfg", IOS_NAMED, "! fwlint: disable-file=FW001 -- kept for the audit trail", ""),
]


@pytest.mark.parametrize("name,template,directive,comment", CASES)
def test_each_directive_form_suppresses_the_finding(tmp_path, monkeypatch, name, template, directive, comment):
    bare = fill(template, c="")
    code, data = check(tmp_path, monkeypatch, name, bare)
    target = line_of(bare, SHADOWED[name])
    assert code == 1 and ids_at(data) == [("FW001", target)]

    text = fill(template, directive, comment)
    code, data = check(tmp_path, monkeypatch, name, text)
    target = line_of(text, SHADOWED[name])
    assert code == 0, data["findings"]
    assert data["findings"] == [] and data["diagnostics"] == []
    assert ids_at(data, "suppressed") == [("FW001", target)]
    sup = data["suppressed"][0]["suppression"]
    assert sup["kind"] == "inSource" and sup["justification"] == "kept for the audit trail"
    assert sup["location"]["line"] == line_of(text, "fwlint:")
    assert data["summary"]["suppressed"] == 1 and data["summary"]["findings"]["warning"] == 0


def test_directive_lines_are_understood_not_diagnosed(tmp_path, monkeypatch):
    """No platform turns a directive (comment, remark) into a 'not understood' diagnostic."""
    for name, template, directive, comment in CASES:
        text = fill(template, directive, comment)
        (tmp_path / name).write_text(text)
        monkeypatch.chdir(tmp_path)
        report = lint([name])
        assert report.diagnostics == [], (name, directive)
        s = report.devices[0].stats[0]
        assert s.lines_read == s.lines_understood, (name, directive)


def test_a_directive_covers_only_its_id_and_its_line(tmp_path, monkeypatch):
    # the directive names another check: FW001 stays, and the directive is unused
    text = fill(IPTABLES, "# fwlint: disable=FW002 -- not this one")
    code, data = check(tmp_path, monkeypatch, "fw.rules", text)
    assert code == 1
    assert sorted(ids_at(data)) == [("FW001", 7), ("FW008", 6)]
    # a directive before an earlier rule does not reach the shadowed one
    text = IPTABLES.replace("-A INPUT -p tcp --dport 22 -j ACCEPT",
                            "# fwlint: disable=FW001 -- wrong line\n-A INPUT -p tcp --dport 22 -j ACCEPT")
    code, data = check(tmp_path, monkeypatch, "fw.rules", fill(text))
    assert code == 1 and sorted(ids_at(data)) == [("FW001", 7), ("FW008", 5)]


def test_stacked_directives_and_several_ids(tmp_path, monkeypatch):
    base = ("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT DROP [0:0]\n"
            "-A INPUT -p tcp --dport 22 -j ACCEPT\n{d}\n-A INPUT -j ACCEPT\nCOMMIT\n")
    code, data = check(tmp_path, monkeypatch, "fw.rules", fill(base))
    assert sorted(ids_at(data)) == [("FW002", 5), ("FW002", 6), ("FW003", 6)]
    stacked = fill(base, "# fwlint: disable=FW003 -- the lab host\n# fwlint: disable=FW002 -- kept explicit")
    code, data = check(tmp_path, monkeypatch, "fw.rules", stacked)
    assert ids_at(data) == [("FW002", 5)]
    assert sorted(ids_at(data, "suppressed")) == [("FW002", 8), ("FW003", 8)]
    just = {f["id"]: f["suppression"]["justification"] for f in data["suppressed"]}
    assert just == {"FW003": "the lab host", "FW002": "kept explicit"}
    both = fill(base, "# fwlint: disable=FW002,FW003 -- both")
    code, data = check(tmp_path, monkeypatch, "fw.rules", both)
    assert ids_at(data) == [("FW002", 5)] and len(data["suppressed"]) == 2
    # a line directive wins over a file directive for the justification it reports
    mixed = fill(base, "# fwlint: disable=FW003 -- this rule") + "# fwlint: disable-file=FW003,FW002 -- whole file\n"
    code, data = check(tmp_path, monkeypatch, "fw.rules", mixed)
    assert code == 0 and data["findings"] == []
    just = {(f["id"], f["location"]["line"]): f["suppression"]["justification"] for f in data["suppressed"]}
    assert just == {("FW003", 7): "this rule", ("FW002", 7): "whole file", ("FW002", 5): "whole file"}


@pytest.mark.parametrize("directive,why", [
    ("# fwlint: disable=FW001", "no reason"),
    ("# fwlint: disable=FW001 --   ", "empty reason"),
    ("# fwlint: disable= -- no ids", "no ids"),
    ("# fwlint: disable=FW001,,FW002 -- x", "empty id"),
    ("# fwlint: disable=FW 001 -- x", "is not an id"),
    ("# fwlint: enable=FW001 -- x", "unknown keyword"),
    ("# fwlint: disable-next-line=FW001 -- x", "unknown keyword"),
    ("# fwlint: FW001 -- x", "expected `disable=`"),
])
def test_malformed_directive_is_fw008_at_its_line(tmp_path, monkeypatch, directive, why):
    text = fill(IPTABLES, directive)
    code, data = check(tmp_path, monkeypatch, "fw.rules", text)
    assert code == 1
    fw008 = [f for f in data["findings"] if f["id"] == "FW008"]
    assert len(fw008) == 1 and fw008[0]["location"]["line"] == 6 and fw008[0]["severity"] == "warning"
    assert "malformed suppression" in fw008[0]["message"] and why in fw008[0]["message"]
    # it suppresses nothing
    assert ("FW001", 7) in ids_at(data) and data["suppressed"] == []


def test_unknown_ids_are_fw008(tmp_path, monkeypatch):
    text = fill(IPTABLES, "# fwlint: disable=FW001,FW999,EX999,all -- x")
    code, data = check(tmp_path, monkeypatch, "fw.rules", text)
    msgs = sorted(f["message"] for f in data["findings"])
    assert code == 1 and all(f["id"] == "FW008" and f["location"]["line"] == 6 for f in data["findings"])
    assert len(msgs) == 3
    assert any("unknown id FW999" in m for m in msgs) and any("unknown id EX999" in m for m in msgs)
    assert any("unknown id ALL" in m for m in msgs)
    # the known id of the directive still applies
    assert ids_at(data, "suppressed") == [("FW001", 7)]
    # a requirement id of the built-in pack is known even when no pack is evaluated
    code, data = check(tmp_path, monkeypatch, "fw.rules", fill(IPTABLES, "# fwlint: disable=FW001,EX102 -- x"))
    assert code == 0 and data["findings"] == []


def test_unused_directive_is_fw008_only_when_its_check_ran(tmp_path, monkeypatch):
    text = fill(IPTABLES, "# fwlint: disable=FW001 -- x") + "# fwlint: disable-file=FW005 -- none here\n"
    text = text.replace("-A INPUT -p tcp --dport 22 -j ACCEPT\n", "# fwlint: disable=FW003 -- not any-any\n"
                        "-A INPUT -p tcp --dport 22 -j ACCEPT\n", 1)
    code, data = check(tmp_path, monkeypatch, "fw.rules", text)
    unused = {(f["location"]["line"], f["message"]) for f in data["findings"]}
    assert code == 1 and all(f["id"] == "FW008" for f in data["findings"])
    assert unused == {(5, "suppression of FW003 suppresses nothing: no FW003 finding on line 6"),
                      (10, "suppression of FW005 suppresses nothing: no FW005 finding in this file")}
    assert ids_at(data, "suppressed") == [("FW001", 8)]
    # checks left out by --ignore/--select: their directives are not judged unused
    code, data = check(tmp_path, monkeypatch, "fw.rules", text, "--ignore", "FW003,FW005")
    assert code == 0 and data["findings"] == []
    code, data = check(tmp_path, monkeypatch, "fw.rules", text, "--select", "FW001,FW008")
    assert code == 0 and data["findings"] == []
    # and FW008 itself left out: nothing reported, the suppression still applies
    code, data = check(tmp_path, monkeypatch, "fw.rules", text, "--ignore", "FW008")
    assert code == 0 and data["findings"] == [] and len(data["suppressed"]) == 1
    # a directive after the last rule covers nothing
    code, data = check(tmp_path, monkeypatch, "fw.rules", IPTABLES.replace("{d}\n", "").replace("{c}", "")
                       + "# fwlint: disable=FW001 -- dangling\n")
    assert sorted(ids_at(data)) == [("FW001", 6), ("FW008", 8)]
    assert "after it" in next(f["message"] for f in data["findings"] if f["id"] == "FW008")


def test_fw008_is_suppressed_only_for_a_whole_file(tmp_path, monkeypatch):
    text = fill(IPTABLES, "# fwlint: disable=FW008 -- line\n# fwlint: disable=FW001")
    code, data = check(tmp_path, monkeypatch, "fw.rules", text)
    msgs = sorted(f["message"] for f in data["findings"] if f["id"] == "FW008")
    assert len(msgs) == 2 and any("cannot be suppressed for one line" in m for m in msgs)
    text = fill(IPTABLES, "# fwlint: disable=FW001") + "# fwlint: disable-file=FW008 -- migrating\n"
    code, data = check(tmp_path, monkeypatch, "fw.rules", text)
    assert ids_at(data) == [("FW001", 7)]
    assert [(f["id"], f["suppression"]["justification"]) for f in data["suppressed"]] == [("FW008", "migrating")]


def test_requirement_suppression_on_a_policy_finding(tmp_path, monkeypatch):
    work = tmp_path / "ex"
    shutil.copytree(ROOT / "examples" / "exchange-no-edge", work)
    monkeypatch.chdir(work)
    before = lint([], LintOptions(policies=["exchange-2013"], inventory="inventory.yaml"))
    ex102 = [f for f in before.findings if f.id == "EX102"]
    assert [f.origin.line for f in ex102] == [37]
    rules = (work / "router.rules").read_text().split("\n")
    assert "--dport 445 -j DROP" in rules[36]
    rules.insert(36, "# fwlint: disable=EX102 -- SMB to the DCs is blocked on purpose (CHG-1234)")
    (work / "router.rules").write_text("\n".join(rules))
    after = lint([], LintOptions(policies=["exchange-2013"], inventory="inventory.yaml"))
    assert not [f for f in after.findings if f.id in ("EX102", "FW008")]
    assert [(f.id, f.origin.line, s.justification, s.origin.line) for f, s in after.suppressed] == [
        ("EX102", 38, "SMB to the DCs is blocked on purpose (CHG-1234)", 37)]
    assert len(after.findings) == len(before.findings) - 1
    # without the pack, the EX directive cannot be judged: neither unused nor unknown
    plain = lint(["router.rules"])
    assert not [f for f in plain.findings if f.id == "FW008"] and plain.suppressed == []
    # with the pack, a directive for a requirement that does not fail there is unused
    rules[36] = "# fwlint: disable=EX100 -- not failing here"
    (work / "router.rules").write_text("\n".join(rules))
    again = lint([], LintOptions(policies=["exchange-2013"], inventory="inventory.yaml"))
    fw008 = [f for f in again.findings if f.id == "FW008"]
    assert [(f.origin.line, "EX100" in f.message) for f in fw008] == [(37, True)]
    # and --ignore EX100 takes it out of judgement
    again = lint([], LintOptions(policies=["exchange-2013"], inventory="inventory.yaml", ignore={"EX100"}))
    assert not [f for f in again.findings if f.id == "FW008"]


def test_text_summary_and_baseline_after_suppressions(tmp_path, monkeypatch):
    text = fill(IPTABLES, "# fwlint: disable=FW001 -- kept")
    (tmp_path / "fw.rules").write_text(text)
    monkeypatch.chdir(tmp_path)
    res = runner().invoke(main, ["check", "fw.rules"])
    assert res.exit_code == 0 and "FW001" not in res.stdout
    assert "0 errors, 0 warnings, 0 notes, 1 suppressed in 1 file" in res.stdout
    # a baseline written with the directive in place does not hold the suppressed finding ...
    res = runner().invoke(main, ["check", "fw.rules", "--write-baseline", "base.json"])
    assert json.loads((tmp_path / "base.json").read_text())["findings"] == []
    # ... so removing the directive makes the finding new
    (tmp_path / "fw.rules").write_text(fill(IPTABLES))
    res = runner().invoke(main, ["check", "fw.rules", "--baseline", "base.json"])
    assert res.exit_code == 1 and "FW001" in res.stdout
    # and a baseline applies to what suppressions leave
    (tmp_path / "fw.rules").write_text(text.replace("-A INPUT -p tcp --dport 22 -j ACCEPT\n",
                                                    "-A INPUT -p tcp --dport 22 -j ACCEPT\n"
                                                    "-A INPUT -p tcp --dport 22 -s 198.51.100.0/24 -j ACCEPT\n"))
    res = runner().invoke(main, ["check", "fw.rules", "--write-baseline", "base.json"])
    assert len(json.loads((tmp_path / "base.json").read_text())["findings"]) == 1
    res = runner().invoke(main, ["check", "fw.rules", "--baseline", "base.json", "--format", "json"])
    data = json.loads(res.stdout)
    assert res.exit_code == 0 and data["findings"] == [] and len(data["suppressed"]) == 1


def test_sarif_include_suppressed_needs_sarif(tmp_path, monkeypatch):
    (tmp_path / "fw.rules").write_text(fill(IPTABLES, "# fwlint: disable=FW001 -- kept"))
    monkeypatch.chdir(tmp_path)
    for fmt in ([], ["--format", "json"], ["--format", "text"], ["--format", "github"]):
        res = runner().invoke(main, ["check", "fw.rules", "--sarif-include-suppressed", *fmt])
        assert res.exit_code == 2 and res.stdout == ""
        assert res.stderr == "fwlint: error: --sarif-include-suppressed goes with --format sarif\n"


@pytest.mark.parametrize("text,expect", [
    ("disable=FW001 -- why", ("line", ("FW001",), "why")),
    ("disable-file = fw001 , EX100 -- a -- b", ("file", ("FW001", "EX100"), "a -- b")),
    ("disable=FW001,FW001 -- twice", ("line", ("FW001",), "twice")),
    ("disable=FW001--tight", ("line", ("FW001",), "tight")),
])
def test_directive_grammar(text, expect):
    assert parse_directive(text) == expect


def test_odd_bytes_and_quotes_never_crash(tmp_path, monkeypatch):
    # a Latin-1 reason: the file is read as Latin-1 when it is not UTF-8
    text = fill(IPTABLES, "# fwlint: disable=FW001 -- caf\xe9 ok")
    (tmp_path / "fw.rules").write_bytes(text.encode("latin-1"))
    monkeypatch.chdir(tmp_path)
    res = runner().invoke(main, ["check", "fw.rules", "--format", "json"])
    data = json.loads(res.stdout)
    assert [(f["id"], f["suppression"]["justification"]) for f in data["suppressed"]] == [("FW001", "caf\xe9 ok")]
    # an unterminated quote in a rule's comment: the parser reports the line, the directive
    # reader skips it
    text = fill(IPTABLES, c='-m comment --comment "fwlint: disable=FW001 -- unbalanced ')
    code, data = check(tmp_path, monkeypatch, "fw.rules", text)
    assert code == 1 and data["suppressed"] == []
    assert [(f["id"], f["location"]["line"]) for f in data["findings"]] == [("FW007", 6)]


def test_comment_directive_on_a_rule_with_counters(tmp_path, monkeypatch):
    """iptables-save -c writes `[packets:bytes]` before each rule."""
    text = fill(IPTABLES, c='-m comment --comment "fwlint: disable=FW001 -- counted" ').replace(
        "-A INPUT", "[12:720] -A INPUT")
    code, data = check(tmp_path, monkeypatch, "fw.rules", text)
    assert code == 0 and data["findings"] == []
    assert [(f["id"], f["location"]["line"], f["suppression"]["justification"]) for f in data["suppressed"]] == [
        ("FW001", 6, "counted")]


def test_bang_directive_inside_an_interface_block(tmp_path, monkeypatch):
    """The ASA's security-level permit (FW003 at `security-level 100`) is suppressed by a `!`
    line inside the interface block, which stays read as before."""
    plain = ASA.replace("{d}\n", "").replace("access-group INSIDE_IN in interface inside\n", "")
    text = plain.replace(" security-level 100\n", " ! fwlint: disable=FW003 -- by design\n security-level 100\n")
    code, data = check(tmp_path, monkeypatch, "asa1.cfg", plain, "--select", "FW003,FW008")
    assert ids_at(data) == [("FW003", 11)]
    code, data = check(tmp_path, monkeypatch, "asa1.cfg", text, "--select", "FW003,FW008")
    assert code == 0 and data["findings"] == [] and ids_at(data, "suppressed") == [("FW003", 12)]
    assert data["summary"]["lines_read"] == data["summary"]["lines_understood"]


def test_pf_trailing_directive_on_a_continued_statement(tmp_path, monkeypatch):
    """A comment at the end of a pf statement continued over lines covers the statement
    (whose findings stand at its first line); a `#` inside a quoted string is no comment."""
    text = ("block all\n"
            "pass in quick proto tcp to port 22\n"
            "pass in quick proto tcp \\\n"
            "  from 192.0.2.0/24 to port 22  # fwlint: disable=FW001 -- kept for the audit trail\n")
    code, data = check(tmp_path, monkeypatch, "pf.conf", text)
    assert code == 0 and data["findings"] == [], data["findings"]
    assert ids_at(data, "suppressed") == [("FW001", 3)]
    assert data["suppressed"][0]["suppression"]["location"]["line"] == 4
    quoted = ('block all\npass in quick proto tcp to port 22\n'
              'pass in quick proto tcp from 192.0.2.0/24 to port 22 label "x # fwlint: disable=FW001 -- no"\n')
    code, data = check(tmp_path, monkeypatch, "pf.conf", quoted)
    assert code == 1 and ids_at(data) == [("FW001", 3)] and data["suppressed"] == []
