"""Platform detection by structure (issue 13, point 1), and what fwlint does with a file once
its platform is known (point 4): every valid configuration is read, a file that is none is
refused in its platform's words, a file whose platform cannot be told is an error."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter import api
from linter.cli import main
from linter.platforms.detection import HEAD_BYTES, MAX_COUNTED, decide, decide_bytes, statement_lines

from tests.shared import REPO, shared_dir

PLATFORMS = ("iptables", "pf", "cisco-ios", "cisco-asa")


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def head(path: Path) -> str:
    return path.read_bytes()[:HEAD_BYTES].decode("utf-8", "replace")


# --------------------------------------------------------------------------- the corpus

# pfctl's own messages: a pfailN.ok file is what pfctl prints for the invalid pfailN.in
# (MANIFEST.md: "expected error messages"), with the rules it could print before it gave up.
# The messages are no pf.conf; a file of messages only is no configuration at all.
_PFCTL_MESSAGE = re.compile(r"^(?:stdin:\d+: |pfctl: |no IP address found for |netmask \d+ invalid for )")


def expected_platform(root: Path, path: Path) -> str | None:
    """The platform a corpus file is written for: its folder (MANIFEST.md lists each file
    under its platform); None for pfctl's error output that holds no rule."""
    platform = path.relative_to(root).parts[0]
    if path.name.startswith("pfail") and path.suffix == ".ok":
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
        if all(_PFCTL_MESSAGE.match(ln) for ln in lines):
            return None
    return platform


def corpus_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != "MANIFEST.md")


def test_every_corpus_file_is_told_right(capsys) -> None:
    """Every file of the shared corpus, as fwlint reads it (its head and its name): the right
    platform, no mistake; pfctl's message files are refused, never given a platform."""
    root = shared_dir("corpus")
    files = corpus_files(root)
    assert len(files) >= 380
    mistakes = []
    counts = dict.fromkeys((*PLATFORMS, None), 0)
    margins = []
    for p in files:
        want = expected_platform(root, p)
        got = decide_bytes(p.read_bytes(), p.name)  # (as api._platform: head, tail and name)
        counts[want] += 1
        if got.platform != want:
            mistakes.append(f"{p.relative_to(root)}: {got.platform} ({got.explain()}), not {want}")
        elif want is not None:
            margins.append(got.scores[want] - max((s for n, s in got.scores.items() if n != want), default=0))
    assert not mistakes, "\n".join(mistakes)
    assert counts[None] >= 20 and all(counts[p] >= 35 for p in PLATFORMS), counts
    with capsys.disabled():
        print(f"\ndetection: {len(files)} corpus files, 0 mistakes ({counts}); "
              f"smallest margins {sorted(margins)[:5]}")


def test_the_content_alone_never_names_another_platform() -> None:
    """Without the file's name, the text alone: right, or no answer (a file of comments only,
    such as FreeBSD's pf.conf, has no marker but its name); never another platform."""
    root = shared_dir("corpus")
    unnamed = []
    for p in corpus_files(root):
        want = expected_platform(root, p)
        got = decide_bytes(p.read_bytes()).platform
        assert got in (want, None), (p, got, want)
        if got is None and want is not None:
            unnamed.append(p.relative_to(root).as_posix())
    assert unnamed == ["pf/freebsd-examples/pf.conf"]


def test_the_deciding_markers_are_on_the_lines_they_name() -> None:
    """Each marker's line holds what the marker says (a sample of each platform)."""
    root = shared_dir("corpus")
    for rel, word in (("iptables/misc/ustclug-liimstrap__rules.v4", "*filter"),
                      ("pf/openbsd-regress/pfail39.in", "match on lo0"),
                      ("cisco-asa/batfish/asa-interface", "ASA Version"),
                      ("cisco-ios/fwbuilder/c3620.fw", "ip access-list")):
        p = root / rel
        d = decide(head(p), p.name)
        lines = p.read_text(errors="replace").splitlines()
        assert any(mk.line and word in lines[mk.line - 1] for mk in d.deciding()), (rel, d.explain())
        assert all(mk.platform == d.platform for mk in d.deciding())


# --------------------------------------------------------------------------- the cases


def ios_with_class_maps(entries: int = 50) -> str:
    """An IOS configuration with a QoS `class-map` whose ` match any` made the old
    detector read it as pf (`match` followed by a pf word); `entries` ACL entries."""
    acl = "\n".join(f" {'permit' if i % 5 else 'deny'} tcp 10.{i}.0.0 0.0.255.255 any eq {1000 + i}"
                    for i in range(1, entries))
    return f"""!
! Last configuration change at 10:12:44 UTC Tue Mar 5 2024
!
version 15.2
service timestamps debug datetime msec
no service password-encryption
!
hostname branch-r1
!
class-map match-any VOICE
 match ip dscp ef
class-map match-any BULK
 match any
!
policy-map WAN-OUT
 class VOICE
  priority percent 20
 class BULK
  bandwidth remaining percent 10
 class class-default
  fair-queue
!
interface GigabitEthernet0/0
 description WAN
 ip address 192.0.2.2 255.255.255.252
 ip access-group WAN-IN in
 service-policy output WAN-OUT
!
interface GigabitEthernet0/1
 description LAN
 ip address 10.1.0.1 255.255.0.0
!
ip access-list extended WAN-IN
 permit tcp any any established
{acl}
!
ip route 0.0.0.0 0.0.0.0 192.0.2.1
!
line vty 0 4
 transport input ssh
!
end
"""


def test_ios_with_match_any_is_ios_and_all_its_rules_are_read(tmp_path) -> None:
    text = ios_with_class_maps()
    d = decide(text)
    assert d.platform == "cisco-ios" and "pf" not in d.scores, d.explain()
    # ` match any` alone, in a class-map, is no pf rule either
    assert decide("class-map match-any BULK\n match any\n").scores.get("pf") is None
    cfg = tmp_path / "branch-r1.cfg"
    cfg.write_text(text)
    r = run("check", str(cfg), "--format", "json", "--no-cache")
    data = json.loads(r.stdout)
    assert r.exit_code in (0, 1) and data["summary"]["rules"] == 50, r.output
    assert not [x for x in data["diagnostics"] if x["severity"] == "error"]


def test_pf_rule_continued_with_backslashes(tmp_path) -> None:
    """A file whose only rule is continued over lines (pfctl's regress does that): pf, by its
    rule grammar across the continuations; it was read as iptables."""
    text = "# one rule over three lines\nblock \\\n\tin quick \\\n\ton lo0 all\n"
    d = decide(text)
    assert d.platform == "pf" and [mk.line for mk in d.deciding()] == [2], d.explain()
    cfg = tmp_path / "continued.conf"
    cfg.write_text(text)
    r = run("check", str(cfg), "--format", "json", "--no-cache")
    data = json.loads(r.stdout)
    assert data["summary"]["rules"] >= 1 and not data["diagnostics"], r.output
    root = shared_dir("corpus", "pf", "openbsd-regress")
    for name in ("pfail39.in", "pfail48.in"):  # the corpus's rules continued with `\`
        assert decide(head(root / name)).platform == "pf", name


def test_text_that_is_no_configuration_is_an_error_not_iptables(tmp_path) -> None:
    notes = tmp_path / "notes"
    notes.write_text("hello world\nthis is no firewall\n")
    r = run("check", str(notes))
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines()[-1] == (
        f"fwlint: error: cannot tell the platform of {notes}; give --platform or a `platforms` glob "
        "(no marker of iptables-save, pf.conf, Cisco IOS or Cisco ASA in it)")
    assert "unexpected 'hello'" not in r.output and "FW004" not in r.output
    r = run("parse", str(notes))
    assert r.exit_code == 2 and "cannot tell the platform" in r.stderr
    r = run("trace", str(notes), "tcp 10.0.0.1:1000 -> 10.0.0.2:22 in eth0")
    assert r.exit_code == 2 and "cannot tell the platform" in r.stderr
    # given a platform, it is refused in that platform's words, naming the first reason
    r = run("check", str(notes), "--platform", "iptables")
    assert r.exit_code == 2 and (f"{notes}: not an iptables-save file: none of its 2 lines "
                                 "is a table, chain or rule fwlint understands (line 1: unexpected 'hello')"
                                 ) in r.stderr
    # (its lines not understood are still located findings; nothing is analysed)
    assert "warning FW007 unexpected 'this'" in r.stdout and "FW004" not in r.stdout
    r = run("check", str(notes), "--platform", "cisco-asa")
    assert r.exit_code == 2 and "not a Cisco ASA configuration" in r.stderr
    assert "table, chain or rule" not in r.stderr


def test_a_file_of_which_nothing_is_understood_exits_2_without_fw004(tmp_path) -> None:
    """pf text of which no line is understood: no FW004 about a default that no file sets."""
    cfg = tmp_path / "broken.conf"
    cfg.write_text("# broken\npass in frobnicate\nblock out wibble\n")
    r = run("check", str(cfg))
    assert r.exit_code == 2 and "FW004" not in r.output
    assert "broken.conf: not a pf.conf ruleset: none of its 2 lines (besides comments and blank lines)" in r.stderr
    assert [ln.split()[1:3] for ln in r.stdout.splitlines() if "FW007" in ln] == [["warning", "FW007"]] * 2
    r = run("parse", str(cfg))
    assert r.exit_code == 2 and "syntax error" in r.stdout and "not a pf.conf ruleset" in r.stderr
    # one line understood: the file is read, the other line is a located diagnostic
    cfg.write_text("pass in frobnicate\nblock in all\n")
    r = run("check", str(cfg), "--format", "json")
    assert r.exit_code == 1 and json.loads(r.stdout)["summary"]["rules"] >= 1


def test_a_tie_is_an_error_naming_both_platforms(tmp_path) -> None:
    cfg = tmp_path / "router1"
    cfg.write_text("hostname router1\n!\ninterface GigabitEthernet0/0\n shutdown\n")
    d = decide(cfg.read_text())
    assert d.platform is None and d.scores == {"cisco-ios": 2, "cisco-asa": 2}
    r = run("check", str(cfg))
    assert r.exit_code == 2
    assert "cannot tell the platform" in r.stderr and "cisco-asa and cisco-ios" in r.stderr
    # the name tells it; so does --platform
    named = tmp_path / "router1.ios"
    named.write_text(cfg.read_text())
    assert run("check", str(named)).exit_code in (0, 1)
    assert run("check", str(cfg), "--platform", "cisco-ios").exit_code in (0, 1)


@pytest.mark.parametrize("name,platform", [
    ("pf.conf", "pf"), ("edge.pf", "pf"), ("rules.v4", "iptables"), ("rules.v6", "iptables"),
    ("host.iptables", "iptables"), ("core.ios", "cisco-ios"), ("dmz.asa", "cisco-asa")])
def test_names_and_suffixes(name, platform) -> None:
    d = decide("# nothing but a comment\n", name)
    assert d.platform == platform and [mk.line for mk in d.markers] == [0]
    assert decide("# nothing but a comment\n", f"some/folder/{name}").platform == platform
    # the text outweighs a misleading name
    assert decide("*filter\n:INPUT DROP [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n", name).platform == "iptables"


def test_a_marker_counts_for_a_bounded_number_of_lines() -> None:
    """One kind of line repeated (a macro file) cannot outweigh the other kinds."""
    many = "".join(f"m{i} = \"x\"\n" for i in range(100))
    d = decide(many)
    assert d.platform == "pf" and d.markers[0].lines == MAX_COUNTED


def test_the_end_of_a_long_file_counts_with_its_lines() -> None:
    """A file whose head holds no marker (a megabyte of names, of VLANs): its end tells,
    and each marker names its own line of the file."""
    body = "hostname r1\n" + "".join(f"! filler line {i} {'x' * 60}\n" for i in range(3000))
    tail = "ip access-list extended OUT\n deny tcp any any eq 23\ninterface Serial0/0\n ip access-group OUT in\nend\n"
    data = (body + tail).encode()
    assert len(data) > 2 * HEAD_BYTES and decide(data[:HEAD_BYTES].decode()).platform is None
    d = decide_bytes(data, "r1.cfg")
    assert d.platform == "cisco-ios", d.explain()
    first = body.count("\n") + 1
    lines = data.decode().splitlines()
    assert {mk.what: mk.line for mk in d.deciding()}["`ip access-list` header"] == first
    assert all(mk.line == 0 or lines[mk.line - 1].strip() for mk in d.markers)


def test_binary_and_utf16() -> None:
    assert decide("\x7fELF\x00\x01\x02" * 100).platform is None and decide("\x7fELF\x00\x01\x02").binary
    ios = "hostname r1\ninterface Serial0/0\n ip access-group 101 in\naccess-list 101 permit ip any any\n"
    assert decide(ios.encode("utf-16-le").decode("utf-8", "replace")).platform == "cisco-ios"


def test_statement_lines_by_comment_syntax() -> None:
    assert statement_lines(b"# c\n\n  # c\nx\n", "pf") == 1
    assert statement_lines(b"! c\n: Saved\nhostname x\n", "cisco-asa") == 1
    assert statement_lines(b"! c\n: Saved\nhostname x\n", "cisco-ios") == 2


# --------------------------------------------------------------------------- parse says why


def test_parse_names_the_markers_that_decided(tmp_path) -> None:
    cfg = tmp_path / "fw.rules"
    cfg.write_text("# Generated by iptables-save v1.8.7\n*filter\n:INPUT DROP [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n")
    r = run("parse", str(cfg))
    assert r.exit_code == 0
    line = next(ln for ln in r.stdout.splitlines() if ln.strip().startswith("platform:"))
    assert line.startswith("  platform: iptables scores ")
    for what in ("`*filter` table header (line 2)", "`-A CHAIN` rule (line 4)", "`COMMIT` line (line 5)"):
        assert what in line, line
    data = json.loads(run("parse", str(cfg), "--json").stdout)["detection"]
    assert data["platform"] == "iptables" and data["scores"]["iptables"] > 0
    assert {"platform": "iptables", "marker": "`*filter` table header", "line": 2, "lines": 1,
            "score": 4} in data["markers"]
    data = json.loads(run("parse", str(cfg), "--json", "--platform", "iptables").stdout)["detection"]
    assert data == {"platform": "iptables", "given": "--platform"}


# --------------------------------------------------------------------------- valid, and read


def test_comments_only_files_are_valid_and_empty(tmp_path) -> None:
    anchor = tmp_path / "anchor.pf"
    anchor.write_text("# rules for this anchor are loaded by the deploy script\n\n# (none yet)\n")
    r = run("check", str(anchor), "--format", "json")
    data = json.loads(r.stdout)
    assert r.exit_code == 0, r.output
    assert [(f["id"], f["severity"]) for f in data["findings"]] == [("FW007", "note")]
    assert "nothing to analyse" in data["findings"][0]["message"]
    rules = tmp_path / "rules.v4"
    rules.write_text("# Generated by iptables-save v1.8.7 on Tue Mar  5 10:12:44 2024\n# (flushed)\n")
    r = run("check", str(rules))
    assert r.exit_code == 0 and "note FW007 no table, chain or rule in this file" in r.output
    # (a pf file of comments only gives no ruleset: trace passes the packet, as pf would)
    r = run("trace", str(anchor), "tcp 10.0.0.1:1000 -> 10.0.0.2:22 in em0")
    assert r.exit_code == 0 and ": ACCEPT" in r.stdout


IOS_NO_ACL = """hostname branch-r2
!
interface GigabitEthernet0/0
 ip address 192.0.2.2 255.255.255.252
!
interface GigabitEthernet0/1
 ip address 10.1.0.1 255.255.0.0
!
ip route 0.0.0.0 0.0.0.0 192.0.2.1
end
"""


def test_ios_without_access_lists_forwards_everything(tmp_path) -> None:
    cfg = tmp_path / "branch-r2.cfg"
    cfg.write_text(IOS_NO_ACL)
    r = run("check", str(cfg), "--format", "json")
    data = json.loads(r.stdout)
    assert r.exit_code == 1, r.output  # a warning: the device filters nothing
    by_id = {f["id"]: f for f in data["findings"]}
    assert set(by_id) == {"FW004", "FW007"} and by_id["FW007"]["severity"] == "note"
    assert "IOS forwards every packet between its 2 interfaces" in by_id["FW007"]["message"]
    fw004 = by_id["FW004"]
    assert fw004["severity"] == "warning" and "GigabitEthernet0/0, GigabitEthernet0/1" in fw004["message"]
    assert "table, chain or rule" not in r.output
    # the witness replays: trace forwards it
    w = fw004["witness"]
    assert (w["in_iface"], w["out_iface"]) == ("GigabitEthernet0/0", "GigabitEthernet0/1")
    packets = tmp_path / "w.jsonl"
    packets.write_text(json.dumps(w) + "\n")
    r = run("trace", str(cfg), "--packets", str(packets), "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["verdict"] == "accept"
    # an IOS file with nothing about filtering and no interface: a note, exit 0
    other = tmp_path / "objects.ios"
    other.write_text("hostname r3\n!\nip domain-name example.com\n!\nline vty 0 4\n transport input ssh\n!\nend\n")
    r = run("check", str(other))
    assert r.exit_code == 0 and "nothing to analyse" in r.output and "FW004" not in r.output


def test_ios_filtering_some_interfaces_is_not_default_accept(tmp_path) -> None:
    """An access list on the edge interface and none inside is a design, not FW004 (the
    check's page says so); trace still shows the bare interface forwarding."""
    cfg = tmp_path / "edge.cfg"
    cfg.write_text(IOS_NO_ACL.replace(" ip address 192.0.2.2 255.255.255.252\n",
                                      " ip address 192.0.2.2 255.255.255.252\n ip access-group EDGE in\n")
                   .replace("end\n", "ip access-list extended EDGE\n permit tcp any host 10.1.0.10 eq 443\nend\n"))
    r = run("check", str(cfg), "--format", "json")
    ids = [f["id"] for f in json.loads(r.stdout)["findings"]]
    assert "FW004" not in ids and r.exit_code == 0, r.output
    r = run("trace", str(cfg), "tcp 10.1.0.5:40000 -> 192.0.2.9:25 in GigabitEthernet0/1 out GigabitEthernet0/0")
    assert ": ACCEPT" in r.stdout and "no filter bound" in r.stdout, r.stdout
    r = run("trace", str(cfg), "tcp 192.0.2.9:40000 -> 10.1.0.5:25 in GigabitEthernet0/0 out GigabitEthernet0/1")
    assert ": DROP" in r.stdout, r.stdout


ASA_NO_ACL = """ASA Version 9.8(2)
hostname fw
interface GigabitEthernet0/0
 nameif outside
 security-level 0
 ip address 192.0.2.1 255.255.255.0
interface GigabitEthernet0/1
 nameif inside
 security-level 100
 ip address 10.0.0.1 255.255.255.0
"""


def test_asa_without_access_lists_is_filtered_by_security_levels(tmp_path) -> None:
    cfg = tmp_path / "fw.cfg"
    cfg.write_text(ASA_NO_ACL)
    r = run("check", str(cfg), "--format", "json")
    data = json.loads(r.stdout)
    assert r.exit_code == 1, r.output
    # higher to lower is allowed: inside to outside accepts any-any (FW003, from the level)
    [f] = data["findings"]
    assert f["id"] == "FW003" and f["location"]["line"] == 9
    packets = tmp_path / "p.jsonl"
    packets.write_text(json.dumps({"proto": "tcp", "src": "10.0.0.5", "sport": 40000, "dst": "192.0.2.7",
                                   "dport": 443, "in_iface": "inside", "out_iface": "outside"}) + "\n"
                       + json.dumps({"proto": "tcp", "src": "192.0.2.7", "sport": 40000, "dst": "10.0.0.5",
                                     "dport": 443, "in_iface": "outside", "out_iface": "inside"}) + "\n")
    r = run("trace", str(cfg), "--packets", str(packets), "--json")
    assert [json.loads(ln)["verdict"] for ln in r.stdout.splitlines()] == ["accept", "drop"]
    # no interface with a nameif, no access list: the ASA passes no traffic; a note, exit 0
    objects = tmp_path / "objects.cfg"
    objects.write_text("ASA Version 9.8(2)\nhostname fw\ninterface GigabitEthernet0/0\n shutdown\nlogging enable\n")
    r = run("check", str(objects))
    assert r.exit_code == 0 and "the ASA passes no traffic" in r.output
    assert "table, chain or rule" not in r.output + r.stderr
    # and trace says the same: a packet on an interface without a nameif is dropped, never
    # accepted for want of a filter (the hardware name of a nameif'd interface neither)
    packets.write_text(json.dumps({"proto": "tcp", "src": "10.0.0.5", "sport": 40000, "dst": "192.0.2.7",
                                   "dport": 443, "in_iface": "GigabitEthernet0/0"}) + "\n")
    for where in (["--hook", "in"], ["--hook", "forward"], []):
        r = run("trace", str(objects), "--packets", str(packets), "--json", *where)
        answer = json.loads(r.stdout)
        assert answer["verdict"] == "drop" and "no interface with a nameif" in answer["reasons"][0], r.stdout
    r = run("trace", str(cfg), "--packets", str(packets), "--json")
    assert json.loads(r.stdout)["verdict"] == "drop", r.stdout


def test_a_walk_reads_what_the_markers_or_names_tell_and_skips_the_rest(tmp_path, monkeypatch) -> None:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fw").mkdir()
    (tmp_path / "fw" / "notes.txt").write_text("hello world\n")
    (tmp_path / "fw" / "anchor.pf").write_text("# empty for now\n")
    (tmp_path / "fw" / "branch.cfg").write_text(ios_with_class_maps(10))
    # a grammar for pf reads like pf to the detector: code, never a configuration
    (tmp_path / "fw" / "pf.lark").write_text((REPO / "grammars" / "pf.lark").read_text())
    r = run("check", "fw", "-v", "--format", "json")
    assert "skipped fw/notes.txt" in r.stderr
    assert "pf.lark" not in r.stderr and r.exit_code != 2, r.stderr
    assert json.loads(r.stdout)["summary"]["files"] == ["fw/anchor.pf", "fw/branch.cfg"]
    assert [d.platform for d in api.lint(["fw"]).devices] == ["pf", "cisco-ios"]


def test_hostile_texts_are_told_in_one_pass() -> None:
    """Texts built to make a backtracking pattern explode (a line of 20,000 `permit`, a
    group of 20,000 members, 30,000 continuations): every marker pattern is linear in its
    line, so each of these returns (a regression would hang here)."""
    cases = {
        " permit" * 20000 + "\n": None,
        " permit " + "10.0.0.0 " * 8000 + "0.0.0.255\n": "cisco-ios",
        "object-group network X\n" + " group-object Y\n" * 20000: None,
        "pass " + "\\\n" * 30000: None,
        "#" + " iptables" * 8000 + "\n": None,
        " " * 60000 + "x\n": None,
    }
    for text, platform in cases.items():
        assert decide(text).platform == platform, text[:40]
        # (as a file: its head and tail, which may cut a 72 KB line before its mask)
        assert decide_bytes(text.encode() * 3).platform in (platform, None), text[:40]
