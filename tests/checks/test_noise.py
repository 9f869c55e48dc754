"""Noise control (issue 13, point 6): notes given once, repeated FW007 notes grouped, the
boilerplate chains of ufw, firewalld, docker and fail2ban, Cisco show-output trailers, and
the display flags (--statistics, --quiet, --show-severity)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from linter.api import LintOptions, lint
from linter.checks._generated import generated_chains
from linter.cli import main
from linter.platforms.cisco import ios as cisco_ios
from linter.platforms.cisco import asa as cisco_asa
from linter.platforms import iptables as ipt

from tests.shared import shared_dir
from tests.policy.test_exchange_pack import EDGE_P, MBX
from tests.policy.test_exchange_pack import run as run_exchange


def _ex409_accepts(n: int) -> list[str]:
    """n rules that each let SMTP from the Internet reach the Mailbox server past the Edge:
    one EX409 finding each."""
    return [f"-A FORWARD -i eth0 -d {MBX} -s 203.0.{k}.0/24 -p tcp --dport 25 -j ACCEPT" for k in range(n)]


def test_cut_note_given_once_per_requirement(tmp_path: Path):
    # EX409 is judged in several jobs (each direction and pair of roles); the note that its
    # findings were cut at the bound used to be added after every job past the bound
    rep = run_exchange(tmp_path, EDGE_P, accept=_ex409_accepts(30))
    assert [f.id for f in rep.findings].count("EX409") == 20
    assert rep.notes.count("EX409: more than 20 open flows; the first are reported") == 1
    assert len(rep.notes) == len(set(rep.notes))


def test_no_cut_note_when_nothing_was_left_out(tmp_path: Path):
    rep = run_exchange(tmp_path, EDGE_P, accept=_ex409_accepts(20))
    assert [f.id for f in rep.findings].count("EX409") == 20
    assert not [n for n in rep.notes if "open flows" in n]


# --------------------------------------------------------------------------- Cisco show output

_ASA_SHOWN = """\
: Saved
:
: Serial Number: JMX1234X0AB
: Hardware:   ASA5506, 4096 MB RAM, CPU Atom C2000 series 1250 MHz, 1 CPU (4 cores)
: Written by enable_15 at 10:33:12.459 UTC Tue Mar 5 2019
!
ASA Version 9.8(2)
!
hostname fw1
banner motd Authorised access only
banner motd access-list OUTSIDE_IN extended permit ip any any
interface GigabitEthernet1/1
 nameif outside
 security-level 0
!
access-list OUTSIDE_IN extended permit tcp any host 10.0.0.5 eq 443
access-group OUTSIDE_IN in interface outside
Cryptochecksum:3ab4a1b2c3d4e5f60718293a4b5c6d7e
: end
"""

# `write memory` (or `copy running-config startup-config`) as captured with the configuration
_ASA_WRITTEN = """\
Building configuration...
Cryptochecksum: 1a2b3c4d 5e6f7a8b 9c0d1e2f 3a4b5c6d

14346 bytes copied in 1.230 secs (14346 bytes/sec)
[OK]
"""


def _asa(text: str):
    return cisco_asa.parse("fw1.cfg", text.encode())


def test_asa_show_running_config_trailers_are_understood():
    dev = _asa(_ASA_SHOWN)
    assert [d for d in dev.diagnostics if d.severity != "note"] == []
    assert dev.stats[0].lines_understood == dev.stats[0].lines_read
    # the banner's text is no access-list entry
    acl = next(f for f in dev.filters if f.name == "OUTSIDE_IN")
    assert [r.origin.line for r in acl.rules if not r.synthetic] == [16]


def test_asa_write_memory_output_is_understood():
    dev = _asa(_ASA_SHOWN.replace("Cryptochecksum:3ab4a1b2c3d4e5f60718293a4b5c6d7e\n: end\n", _ASA_WRITTEN))
    assert [d for d in dev.diagnostics if d.severity != "note"] == []
    assert dev.stats[0].lines_understood == dev.stats[0].lines_read


def test_asa_trailer_words_in_other_places_are_still_reported():
    # only the lines as the ASA prints them: a command that merely starts the same way is
    # still an unknown command
    dev = _asa(_ASA_SHOWN + "Cryptochecksum:not-hex\nBuilding the firewall\n[OK] go\n")
    bad = sorted(d.origin.line for d in dev.diagnostics if d.code == "unknown-command")
    assert bad == [20, 21, 22]


def test_cryptochecksum_does_not_fail_the_build(tmp_path: Path):
    cfg = tmp_path / "fw1.cfg"
    cfg.write_text(_ASA_SHOWN.replace("permit tcp any host 10.0.0.5 eq 443", "deny ip any any"))
    r = CliRunner().invoke(main, ["check", "--no-config", "--no-cache", "--select", "FW007", str(cfg)])
    assert r.exit_code == 0, r.output
    assert "FW007" not in r.output


_IOS_SHOWN = """\
Building configuration...

Current configuration : 1234 bytes
!
! Last configuration change at 10:00:00 UTC Mon Mar 4 2019 by admin
!
version 15.2
hostname r1
!
banner motd ^C
Authorised access only.
access-list 5 permit any
ip access-list extended EVIL
 permit ip any any
interface GigabitEthernet0/9
 ip access-group EVIL in
^C
banner login #one line#
banner exec \x03
interface GigabitEthernet0/8
\x03
!
interface GigabitEthernet0/0
 ip address 192.0.2.1 255.255.255.0
 ip access-group 101 in
!
access-list 101 permit tcp any host 192.0.2.10 eq 22
!
line vty 0 4
 transport input ssh
!
end
"""


def test_ios_show_running_config_header_banners_and_end_are_understood():
    dev = cisco_ios.parse("r1.cfg", _IOS_SHOWN.encode())
    assert [d for d in dev.diagnostics if d.severity != "note"] == []
    assert dev.stats[0].lines_understood == dev.stats[0].lines_read
    # nothing of the banners is read as configuration: one ACL, one interface binding it
    assert [f.name for f in dev.filters] == ["101"]
    assert {(b.filter, b.interface) for b in dev.bindings} == {("101", "GigabitEthernet0/0")}


# --------------------------------------------------------------------------- FW007 grouping


HEAD = "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
MACS = [f"-A INPUT -m mac --mac-source 00:00:5e:00:53:{k:02x} -p tcp --dport {22 + k} -j ACCEPT" for k in range(7)]


def _mac_rules(macs=MACS, extra: str = "") -> str:
    # seven `-m mac` notes (lines 5-11), one `-m limit` note (line 12), two unknown matches
    # (lines 13-14: warnings, never grouped)
    return (HEAD + "\n".join(macs) + "\n"
            "-A INPUT -m limit --limit 3/min -p udp --dport 53 -j ACCEPT\n"
            "-A INPUT -m bogus --x 1 -p tcp --dport 1 -j ACCEPT\n"
            "-A INPUT -m bogus --x 1 -p tcp --dport 2 -j ACCEPT\n" + extra + "COMMIT\n")


def _check(tmp_path: Path, *args: str, text: str | None = None):
    (tmp_path / "fw.rules").write_text(text if text is not None else _mac_rules())
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        return CliRunner().invoke(main, ["check", "--no-config", "--no-cache", "--select", "FW007", *args, "fw.rules"])
    finally:
        os.chdir(old)


def test_repeated_notes_of_one_construct_are_one_finding_with_every_place(tmp_path: Path):
    res = _check(tmp_path, "--format", "json")
    findings = json.loads(res.stdout)["findings"]
    mac = [f for f in findings if "-m mac" in f["message"]]
    assert len(mac) == 1
    (g,) = mac
    assert g["occurrences"] == 7 and [p["line"] for p in g["locations"]] == list(range(5, 12))
    assert g["location"]["line"] == 5 and g["severity"] == "note"
    assert g["message"].endswith("(and 6 more lines with `mac` in this file)")
    # each place keeps its own message (its own address)
    assert g["locations"][3]["message"] == "-m mac --mac-source 00:00:5e:00:53:03: not modelled exactly"
    # a construct noted once is a finding as before; lines not read are never grouped
    single = [f for f in findings if "-m limit" in f["message"]]
    assert len(single) == 1 and "locations" not in single[0] and "more line" not in single[0]["message"]
    assert [f["location"]["line"] for f in findings if f["severity"] == "warning"] == [13, 14]
    assert json.loads(res.stdout)["summary"]["findings"] == {"error": 0, "warning": 2, "note": 2}


def test_grouped_finding_in_text_shows_the_count_and_first_lines(tmp_path: Path):
    out = _check(tmp_path, "--fail-on", "never").output
    head = next(ln for ln in out.splitlines() if "-m mac" in ln)
    assert head.startswith("fw.rules:5:") and "(and 6 more lines with `mac` in this file)" in head
    assert "    7 lines: 5, 6, 7, 8, 9 and 2 more (every line: --format json)" in out.splitlines()
    assert "4 notes" not in out and "2 notes" in out.splitlines()[-1]
    verbose = _check(tmp_path, "--fail-on", "never", "-v").output
    assert "    7 lines: 5, 6, 7, 8, 9, 10, 11" in verbose.splitlines()


def test_grouped_finding_in_sarif_is_one_result_with_related_locations(tmp_path: Path):
    log = json.loads(_check(tmp_path, "--format", "sarif").stdout)
    jsonschema.validate(log, json.loads((shared_dir("schemas") / "sarif-schema-2.1.0.json").read_text()))
    results = [r for r in log["runs"][0]["results"] if "-m mac" in r["message"]["text"]]
    assert len(results) == 1
    (r,) = results
    assert [loc["physicalLocation"]["region"]["startLine"] for loc in r["locations"]] == [5]
    related = r["relatedLocations"]
    assert [loc["physicalLocation"]["region"]["startLine"] for loc in related] == list(range(6, 12))
    assert [loc["id"] for loc in related] == list(range(6))
    assert related[0]["message"]["text"] == "-m mac --mac-source 00:00:5e:00:53:01: not modelled exactly"
    assert r["properties"]["occurrences"] == 7


def test_grouped_fingerprint_does_not_depend_on_its_lines(tmp_path: Path):
    def fingerprint(text: str) -> str:
        out = json.loads(_check(tmp_path, "--format", "json", text=text).stdout)["findings"]
        return next(f["fingerprint"] for f in out if "-m mac" in f["message"])

    before = fingerprint(_mac_rules())
    assert fingerprint(_mac_rules(MACS[2:])) == before  # the first lines removed
    assert fingerprint(_mac_rules(["-A INPUT -i lo -j ACCEPT"] + MACS)) == before  # lines moved


def test_inline_disable_covers_its_own_line_of_a_group(tmp_path: Path):
    # a directive covers the line after it, as everywhere: that line is suppressed alone and
    # the group holds the others
    lines = _mac_rules().splitlines()
    lines.insert(5, "# fwlint: disable=FW007 -- the MAC filter on this port is intended")
    res = _check(tmp_path, "--format", "json", text="\n".join(lines) + "\n")
    data = json.loads(res.stdout)
    (g,) = [f for f in data["findings"] if "-m mac" in f["message"]]
    assert [p["line"] for p in g["locations"]] == [5, 8, 9, 10, 11, 12]
    assert [f["location"]["line"] for f in data["suppressed"]] == [7]
    assert not [f for f in data["findings"] if f["id"] == "FW008"]


def test_baseline_holds_a_grouped_finding_by_its_construct(tmp_path: Path):
    assert _check(tmp_path, "--write-baseline", "base.json").exit_code == 0
    entries = json.loads((tmp_path / "base.json").read_text())["findings"]
    assert {"id": "FW007", "path": "fw.rules", "text": "every line with `mac`"} in entries
    assert _check(tmp_path, "--baseline", "base.json", "--fail-on", "note").exit_code == 0
    # more lines of the same construct: the same finding, still in the baseline
    more = MACS + ["-A INPUT -m mac --mac-source 00:00:5e:00:53:99 -p tcp --dport 99 -j ACCEPT"]
    res = _check(tmp_path, "--baseline", "base.json", "--fail-on", "note", "--format", "json", text=_mac_rules(more))
    assert res.exit_code == 0 and json.loads(res.stdout)["findings"] == []
    # another construct is new
    res = _check(tmp_path, "--baseline", "base.json", "--fail-on", "note", "--format", "json",
                 text=_mac_rules(extra="-A INPUT -m owner --uid-owner 0 -j ACCEPT\n"))
    assert res.exit_code == 1
    assert [f["message"] for f in json.loads(res.stdout)["findings"]] == ["-m owner --uid-owner 0: not modelled exactly"]


def test_baseline_written_line_by_line_still_holds_the_group(tmp_path: Path):
    # a baseline from before the notes were grouped: one entry per line
    entries = [{"id": "FW007", "path": "fw.rules", "text": m} for m in MACS]
    entries += [{"id": "FW007", "path": "fw.rules", "text": ln} for ln in _mac_rules().splitlines()[11:14]]
    (tmp_path / "old.json").write_text(json.dumps({"fwlint_baseline": 1, "findings": entries}))
    res = _check(tmp_path, "--baseline", "old.json", "--fail-on", "note", "--format", "json")
    assert res.exit_code == 0, res.stdout
    # one line of the group missing from it: the group is not in it
    (tmp_path / "old.json").write_text(json.dumps({"fwlint_baseline": 1, "findings": entries[1:]}))
    res = _check(tmp_path, "--baseline", "old.json", "--fail-on", "note", "--format", "json")
    assert [f["occurrences"] for f in json.loads(res.stdout)["findings"]] == [7]


def test_the_tum_ruleset_has_one_mac_finding():
    path = shared_dir("corpus", "iptables", "iptables-semantics") / "tum-net__iptables-save-2015-09-03"
    rep = lint([path], LintOptions(select={"FW007"}))
    mac_lines = [n for n, ln in enumerate(path.read_text().splitlines(), 1) if " -m mac " in ln]
    mac = [f for f in rep.findings if f.group == "mac"]
    assert len(mac) == 1 and len(mac_lines) > 1000
    assert [p.origin.line for p in mac[0].places] == mac_lines
    assert len(rep.findings) == len({(f.origin.path, f.group or f.message) for f in rep.findings})


# --------------------------------------------------------------------------- generated chains


def _lint_text(tmp_path: Path, text: str, select=("FW002", "FW006")):
    p = tmp_path / "fw.rules"
    p.write_text(text)
    return lint([p], LintOptions(select=set(select)))


def _at(rep, rid: str) -> list[int]:
    return sorted(f.origin.line for f in rep.findings if f.id == rid)


UFW = """\
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:ufw-before-input - [0:0]
:ufw-after-input - [0:0]
:ufw-user-input - [0:0]
:ufw-user-limit - [0:0]
:ufw-user-limit-accept - [0:0]
:ufw-logging-allow - [0:0]
:f2b-sshd - [0:0]
-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd
-A INPUT -j ufw-before-input
-A INPUT -j ufw-after-input
-A ufw-before-input -i lo -j ACCEPT
-A ufw-before-input -j ufw-user-input
-A ufw-user-input -p tcp --dport 22 -s 192.0.2.0/24 -j ACCEPT
-A ufw-user-input -p tcp --dport 22 -j ACCEPT
-A ufw-user-limit -j REJECT
-A ufw-user-limit-accept -j ACCEPT
-A f2b-sshd -s 198.51.100.7/32 -j REJECT --reject-with icmp-port-unreachable
-A f2b-sshd -j RETURN
COMMIT
"""


def test_ufw_and_fail2ban_chains_are_neither_unused_nor_redundant_plumbing(tmp_path: Path):
    rep = _lint_text(tmp_path, UFW)
    # the skeleton's unused chains, the jumps into its empty hooks (ufw-after-input, f2b-sshd
    # returning what it does not ban) and fail2ban's RETURN: not reported
    assert _at(rep, "FW006") == []
    # the user's own rules in ufw-user-input are still checked: line 17 is redundant
    assert _at(rep, "FW002") == [17]
    chains = generated_chains(ipt.parse("fw.rules", UFW.encode()))
    assert chains == {("filter", n): t for n, t in [
        ("ufw-before-input", "ufw"), ("ufw-after-input", "ufw"), ("ufw-user-input", "ufw"),
        ("ufw-user-limit", "ufw"), ("ufw-user-limit-accept", "ufw"), ("ufw-logging-allow", "ufw"),
        ("f2b-sshd", "fail2ban")]}


def test_tool_names_without_the_tools_structure_are_reported(tmp_path: Path):
    # no built-in chain jumps into a ufw skeleton: `ufw-*` is a name like any other; a chain
    # named like fail2ban's that accepts is no ban list
    text = UFW.replace("-A INPUT -j ufw-before-input\n-A INPUT -j ufw-after-input\n", "") \
        .replace("-A f2b-sshd -s 198.51.100.7/32 -j REJECT", "-A f2b-sshd -s 198.51.100.7/32 -j ACCEPT")
    rep = _lint_text(tmp_path, text)
    unused = sorted(f.message.split()[1] for f in rep.findings if f.id == "FW006")
    assert unused == ["ufw-after-input", "ufw-before-input", "ufw-logging-allow", "ufw-user-limit",
                      "ufw-user-limit-accept"]
    assert "f2b-sshd" not in {c for _t, c in generated_chains(ipt.parse("fw.rules", text.encode()))}


DOCKER_AND_FIREWALLD = """\
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-USER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:INPUT_direct - [0:0]
:INPUT_ZONES - [0:0]
:IN_public - [0:0]
:IN_public_log - [0:0]
:IN_public_deny - [0:0]
:IN_public_allow - [0:0]
:IN_custom - [0:0]
-A INPUT -j INPUT_direct
-A INPUT -j INPUT_ZONES
-A INPUT -p tcp --dport 23 -j IN_custom
-A INPUT -j REJECT
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -j DOCKER
-A DOCKER-USER -j RETURN
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A INPUT_ZONES -g IN_public
-A IN_public -j IN_public_log
-A IN_public -j IN_public_deny
-A IN_public -j IN_public_allow
-A IN_public -p icmp -j ACCEPT
-A IN_public_allow -p tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT
-A IN_public_allow -p tcp --dport 22 -m conntrack --ctstate NEW,UNTRACKED -j ACCEPT
-A IN_custom -j RETURN
COMMIT
"""


def test_docker_and_firewalld_hooks_are_not_redundant(tmp_path: Path):
    rep = _lint_text(tmp_path, DOCKER_AND_FIREWALLD)
    # still reported: the jump into a chain of the user's that does nothing (17), its RETURN
    # (31), and the zone's services the user configured (29, a narrower copy of 30)
    assert _at(rep, "FW002") == [17, 29, 31]
    assert _at(rep, "FW006") == []
    chains = generated_chains(ipt.parse("fw.rules", DOCKER_AND_FIREWALLD.encode()))
    assert {c for (_t, c), tool in chains.items() if tool == "docker"} == {"DOCKER", "DOCKER-USER",
                                                                           "DOCKER-ISOLATION-STAGE-1"}
    assert {c for (_t, c), tool in chains.items() if tool == "firewalld"} == {
        "INPUT_direct", "INPUT_ZONES", "IN_public", "IN_public_log", "IN_public_deny", "IN_public_allow"}


def _tool_findings(rep, tools: dict) -> list:
    """FW002 findings on the plumbing of generated chains and FW006 findings on them."""
    out = []
    for f in rep.findings:
        for dev in rep.devices:
            chains = tools[id(dev)]
            for flt in dev.filters:
                for r in flt.rules:
                    if r.origin != f.origin:
                        continue
                    into = (flt.table, r.action.target or "") in chains and r.action.kind in ("jump", "goto")
                    back = r.action.kind == "return" and (flt.table, flt.name) in chains
                    if f.id == "FW002" and (into or back):
                        out.append(f)
            if f.id == "FW006" and any((flt.table, flt.name) in chains and flt.origin == f.origin
                                       for flt in dev.filters):
                out.append(f)
    return out


def test_corpus_ufw_firewalld_docker_dumps(request):
    corpus = shared_dir("corpus", "iptables")
    files = {"ufw": corpus / "net-network" / "vsrv__iptables-save",
             "firewalld": corpus / "netfilter" / "dumps" / "fedora27-iptables",
             "docker": corpus / "iptables-semantics" / "containern-topos1__iptables-save"}
    rep = lint(list(files.values()), LintOptions(select={"FW002", "FW006"}))
    tools = {id(d): generated_chains(d) for d in rep.devices}
    by_path = {d.stats[0].path: set(tools[id(d)].values()) for d in rep.devices}
    for tool, path in files.items():
        assert tool in by_path[str(path)], (tool, by_path)
    assert _tool_findings(rep, tools) == []
    # what the tools generate is plumbing; the rest of the ruleset is still checked: the
    # firewalld zone's own redundant service (mDNS inside the 1025-65535 range it also opens)
    fedora = [f.origin.line for f in rep.findings if f.origin.path == str(files["firewalld"])]
    assert 132 in fedora


# --------------------------------------------------------------------------- display flags

# warnings: FW002 (line 6), FW006 (the unused chain, line 5); notes: FW007 (lines 8-9, one
# grouped finding), FW004 on OUTPUT's ACCEPT policy; nothing at error
DISPLAYED = """\
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:UNUSED - [0:0]
-A INPUT -p tcp --dport 22 -s 192.0.2.0/24 -j ACCEPT
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -m limit --limit 3/min -p udp --dport 53 -j ACCEPT
-A INPUT -m limit --limit 5/min -p udp --dport 54 -j ACCEPT
-A UNUSED -j DROP
COMMIT
"""


def _cli(tmp_path: Path, *args: str, config: str | None = None):
    (tmp_path / "fw.rules").write_text(DISPLAYED)
    (tmp_path / ".git").mkdir(exist_ok=True)  # (the configuration is looked for up to here)
    if config is not None:
        (tmp_path / ".fwlint.yaml").write_text(config)
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        return CliRunner().invoke(main, ["check", "--no-cache", *args, "fw.rules"])
    finally:
        os.chdir(old)


def _severities(out: str) -> list[str]:
    return [ln.split()[1] for ln in out.splitlines() if ln.startswith("fw.rules:")]


def test_statistics_count_per_id_and_severity(tmp_path: Path):
    full = json.loads(_cli(tmp_path, "--format", "json").stdout)["findings"]
    res = _cli(tmp_path, "--statistics")
    assert res.exit_code == 1  # (--fail-on decides, as without the flag)
    rows = [ln.split() for ln in res.stdout.splitlines()[:-1]]
    expected = {}
    for f in full:
        expected[(f["id"], f["severity"])] = expected.get((f["id"], f["severity"]), 0) + 1
    assert {(r[1], r[2]): int(r[0]) for r in rows} == expected
    assert [int(r[0]) for r in rows] == sorted((int(r[0]) for r in rows), reverse=True)
    assert res.stdout.splitlines()[-1] == f"Found {len(full)} findings."
    assert {r[3] for r in rows if r[1] == "FW002"} == {"redundant-rule"}
    data = json.loads(_cli(tmp_path, "--statistics", "--format", "json").stdout)
    assert {(d["id"], d["severity"]): d["count"] for d in data} == expected
    fw007 = next(d for d in data if d["id"] == "FW007")
    assert fw007["count"] == 1 and fw007["occurrences"] == 2  # one grouped finding, two lines
    assert "Found" not in _cli(tmp_path, "--statistics", "-q").stdout
    bad = _cli(tmp_path, "--statistics", "--format", "sarif")
    assert bad.exit_code == 2 and "--statistics goes with --format text or json" in bad.stderr


def test_quiet_prints_the_findings_alone(tmp_path: Path):
    loud = _cli(tmp_path).stdout.splitlines()
    quiet = _cli(tmp_path, "--quiet")
    assert quiet.exit_code == 1
    assert quiet.stdout.splitlines() == [ln for ln in loud[:-1] if ln]  # no summary, no blank lines
    assert "lines understood" not in quiet.stdout
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "fw.rules").write_text("*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT DROP [0:0]\n"
                                    "-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n")
    (clean / ".git").mkdir()
    old = Path.cwd()
    os.chdir(clean)
    try:
        res = CliRunner().invoke(main, ["check", "--no-cache", "-q", "fw.rules"])
    finally:
        os.chdir(old)
    assert res.exit_code == 0 and res.stdout == ""
    # the baseline's message is no finding either
    _cli(tmp_path, "--write-baseline", "base.json")
    res = _cli(tmp_path, "-q", "--baseline", "base.json")
    assert res.exit_code == 0 and res.stdout == "" and res.stderr == ""


def test_show_severity_filters_the_display_not_the_exit_status(tmp_path: Path):
    assert set(_severities(_cli(tmp_path).stdout)) == {"warning", "note"}
    res = _cli(tmp_path, "--show-severity", "warning")
    assert set(_severities(res.stdout)) == {"warning"} and res.exit_code == 1
    notes = len([s for s in _severities(_cli(tmp_path).stdout) if s == "note"])
    assert res.stdout.splitlines()[-1].startswith(f"0 errors, 2 warnings, {notes} notes (not shown) in 1 file")
    res = _cli(tmp_path, "--show-severity", "error")
    assert _severities(res.stdout) == [] and res.exit_code == 1  # the warnings still fail
    assert _cli(tmp_path, "--show-severity", "error", "--fail-on", "error").exit_code == 0
    # JSON and SARIF display the same selection
    data = json.loads(_cli(tmp_path, "--show-severity", "warning", "--format", "json").stdout)
    assert {f["severity"] for f in data["findings"]} == {"warning"}
    log = json.loads(_cli(tmp_path, "--show-severity", "warning", "--format", "sarif").stdout)
    assert {r["level"] for r in log["runs"][0]["results"]} == {"warning"}


def test_display_settings_as_configuration_keys(tmp_path: Path):
    res = _cli(tmp_path, config="show-severity: warning\nquiet: true\n")
    assert set(_severities(res.stdout)) == {"warning"} and "lines understood" not in res.stdout
    assert res.exit_code == 1
    # flags win over the file
    res = _cli(tmp_path, "--show-severity", "note", "--no-quiet", config="show-severity: warning\nquiet: true\n")
    assert "note" in _severities(res.stdout) and "lines understood" in res.stdout
    res = _cli(tmp_path, config="statistics: true\n")
    assert res.stdout.splitlines()[-1].startswith("Found ")
    assert _cli(tmp_path, "--no-statistics", config="statistics: true\n").stdout.splitlines()[-1].startswith("0 errors")
    # wrong values are one-line errors naming the file and the key
    for text, key in (("show-severity: never\n", "show-severity"), ("quiet: yes please\n", "quiet"),
                      ("statistics: 1\n", "statistics")):
        res = _cli(tmp_path, config=text)
        assert res.exit_code == 2 and f".fwlint.yaml: {key}: expected" in res.stderr, res.stderr
