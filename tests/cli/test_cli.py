"""The command line: formats, exit codes, one-line errors, trace input and output."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from linter.cli import main

from tests.shared import REPO as ROOT

EXAMPLE = str(ROOT / "examples" / "linux-router" / "router.rules")


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_check_text_and_exit_codes():
    r = run("check", EXAMPLE)
    assert r.exit_code == 1
    assert "warning FW001" in r.output and "witness:" in r.output
    assert run("check", EXAMPLE, "--fail-on", "error").exit_code == 0
    assert run("check", EXAMPLE, "--fail-on", "never").exit_code == 0
    assert run("check", EXAMPLE, "--select", "FW005").exit_code == 0


def test_check_json_shape():
    r = run("check", EXAMPLE, "--format", "json")
    data = json.loads(r.output)
    assert set(data) == {"findings", "suppressed", "diagnostics", "summary"}
    f = next(x for x in data["findings"] if x["id"] == "FW001")
    assert f["severity"] == "warning" and f["location"]["line"] > 0 and f["location"]["column"] >= 1
    assert f["witness"]["proto"] == "tcp"
    assert data["summary"]["findings"]["warning"] >= 3


def test_output_file_is_written_atomically(tmp_path):
    out = tmp_path / "report.json"
    r = run("check", EXAMPLE, "--format", "json", "-o", str(out))
    assert r.exit_code == 1 and json.loads(out.read_text())["findings"]
    assert not list(tmp_path.glob(".*.tmp"))
    r = run("check", EXAMPLE, "-o", str(tmp_path / "missing" / "r.json"))
    assert r.exit_code == 2 and "does not exist" in r.output
    # a SARIF log into a directory that does not exist: one line, exit 2, nothing written
    r = run("check", EXAMPLE, "--format", "sarif", "-o", str(tmp_path / "missing" / "fwlint.sarif"))
    assert r.exit_code == 2 and r.output.count("\n") == 1 and r.output.startswith("fwlint: error: cannot write")
    assert not (tmp_path / "missing").exists()


def test_unknown_check_id_is_a_usage_error():
    r = run("check", EXAMPLE, "--select", "FW999")
    assert r.exit_code == 2 and "FW999" in r.output


def test_missing_file_is_a_one_line_error(tmp_path):
    r = run("check", str(tmp_path / "nope.rules"))
    assert r.exit_code == 2
    assert "Traceback" not in r.output


def test_nothing_readable_exits_2(tmp_path):
    p = tmp_path / "garbage.rules"
    p.write_bytes(bytes(range(256)) * 20)
    r = run("check", str(p))
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_partly_readable_still_analysed(tmp_path):
    p = tmp_path / "half.rules"
    p.write_text("*filter\n:INPUT ACCEPT [0:0]\nthis is not a rule\n-A INPUT -j ACCEPT\nCOMMIT\n")
    r = run("check", str(p), "--format", "json")
    data = json.loads(r.output)
    assert r.exit_code == 1
    assert any(d["line"] == 3 for d in data["diagnostics"])
    assert any(f["id"] == "FW007" and f["location"]["line"] == 3 for f in data["findings"])


def test_trace_compact_and_json():
    r = run("trace", EXAMPLE, "tcp 203.0.113.5:40000 -> 10.0.1.10:443 in eth0 out eth1")
    assert r.exit_code == 0 and "ACCEPT" in r.output and "SERVERS" in r.output
    r = run("trace", EXAMPLE, "--json", "tcp 10.0.2.5:40000 -> 10.0.1.10:25 in eth2 out eth0")
    data = json.loads(r.output)
    assert data["verdict"] == "accept" and data["approximate"] is False
    assert data["rules"][-1]["line"] == 24


def test_trace_batch_keeps_order(tmp_path):
    recs = [
        {"hook": "FORWARD", "in_iface": "eth0", "out_iface": "eth1", "src": "203.0.113.5", "dst": "10.0.1.10",
         "proto": "tcp", "sport": 40000, "dport": 443, "icmp_type": None, "icmp_code": None},
        {"hook": "INPUT", "in_iface": "eth0", "out_iface": None, "src": "203.0.113.5", "dst": "10.0.0.1",
         "proto": 6, "sport": 40000, "dport": 22},
        {"hook": "INPUT", "in_iface": "eth2", "src": "10.0.2.5", "dst": "10.0.0.1", "proto": "tcp", "sport": 1,
         "dport": 22},
        {"filter": "SERVERS", "src": "10.0.2.5", "dst": "10.0.1.99", "proto": "udp", "sport": 1, "dport": 9},
    ]
    f = tmp_path / "p.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in recs))
    r = run("trace", EXAMPLE, "--packets", str(f), "--json")
    out = [json.loads(x) for x in r.output.splitlines()]
    assert [o["verdict"] for o in out] == ["accept", "drop", "accept", "accept"]
    assert [o["dport"] for o in out] == [443, 22, 22, 9]
    assert all("rules" in o and "approximate" in o for o in out)


def test_trace_bad_packet_is_a_usage_error():
    r = run("trace", EXAMPLE, "tcp nonsense")
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_explain_and_rules():
    r = run("explain", "FW001")
    assert r.exit_code == 0
    for section in ("What it does", "Why is this bad?", "Example", "Use instead"):
        assert section in r.output
    assert run("explain", "FW999").exit_code == 2
    assert "FW007" in run("rules").output


def test_parse_json_reports_lines():
    r = run("parse", EXAMPLE, "--json")
    data = json.loads(r.output)
    assert data["platform"] == "iptables"
    assert data["files"][0]["lines_read"] == data["files"][0]["lines_understood"] > 20


@pytest.mark.parametrize("check_id", ["FW001", "FW002", "FW003", "FW004", "FW005", "FW006", "FW007", "FW008"])
def test_every_check_documents_its_sections(check_id):
    from linter.checks import BY_ID, SECTIONS, doc_sections

    sections = doc_sections(BY_ID[check_id])
    for s in SECTIONS:
        assert sections.get(s), f"{check_id} lacks '{s}'"


def test_nothing_but_the_report_is_printed(tmp_path):
    """Libraries must not leak messages: stderr stays empty on a normal run (a ruleset with
    opaque conditions exercised dd's witness picking, which can warn)."""
    import subprocess
    import sys

    cfg = tmp_path / "limit.rules"
    cfg.write_text("*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp -j DROP\n"
                   "-A INPUT -p tcp -m limit --limit 1/sec -j ACCEPT\nCOMMIT\n")
    res = subprocess.run([sys.executable, "-m", "linter", "check", str(cfg), "--format", "json"],
                         capture_output=True, text=True)
    assert res.returncode == 1
    assert res.stderr == ""
    data = json.loads(res.stdout)
    assert any(f["id"] == "FW001" and f.get("witness") for f in data["findings"])


def test_trace_pf_names_anchor_path_and_both_directions(tmp_path):
    conf = tmp_path / "pf.conf"
    conf.write_text('block all\npass out keep state\nanchor "web" {\n  anchor "admin" {\n'
                    '    pass in quick proto tcp to 10.0.1.10 port 22\n  }\n}\n'
                    'block out on em2 proto tcp to 10.0.1.10 port 22\n')
    res = run("trace", str(conf), "tcp 192.0.2.1:40000 -> 10.0.1.10:22 in em0", "--json")
    rec = json.loads(res.output)
    assert rec["verdict"] == "accept" and rec["rules"][-1]["anchor"] == "web/admin" and rec["hook"] == "in"
    # through the firewall: passes inbound (the anchor's quick rule), dropped outbound on em2
    res = run("trace", str(conf), "tcp 192.0.2.1:40000 -> 10.0.1.10:22 in em0 out em2")
    # rules named by their lines, as `check` names them (issue 13), with the side they act on
    assert "DROP" in res.output and "line 5 (anchor web/admin) in: accept" in res.output
    assert "line 8 out: drop" in res.output
    res = run("trace", str(conf), "tcp 192.0.2.1:40000 -> 10.0.1.10:22 in em0 out em1")
    assert "ACCEPT" in res.output


def test_directory_walk_reads_configurations_not_documentation(tmp_path):
    (tmp_path / "pf.conf").write_text("block all\npass in on em0 proto tcp to 10.0.1.10 port 443\n")
    (tmp_path / "README.md").write_text("The firewall\npass: every rule below\nset to block\n")
    (tmp_path / "notes.txt").write_text("pass: a note that looks like pf\nset to block\n")
    (tmp_path / "inventory.yaml").write_text("roles: {}\n")
    res = run("check", str(tmp_path), "--format", "json")
    files = json.loads(res.output)["summary"]["files"]
    assert files == [str(tmp_path / "pf.conf")]


def test_trace_names_cisco_entries_like_packet_tracer():
    asa = ROOT / "examples" / "exchange-asa" / "asa1.cfg"
    res = run("trace", str(asa), "tcp 203.0.113.5:40000 -> 192.0.2.25:3389 in outside out dmz")
    # the file's line first, then the entry's place in its list (as `check` names it)
    assert "line 45 (OUTSIDE_IN entry 4) in: accept" in res.output and "ACCEPT" in res.output
    res = run("trace", str(asa), "tcp 203.0.113.5:40000 -> 192.0.2.25:22 in outside out dmz", "--json")
    rec = json.loads(res.output)
    assert rec["verdict"] == "drop" and rec["hook"] == "forward"


def test_verbose_lists_skipped_files(tmp_path):
    (tmp_path / "pf.conf").write_text("block all\npass in on em0 proto tcp to 10.0.1.10 port 443\n")
    (tmp_path / "notes.txt").write_text("nothing to see here\n")
    res = run("check", str(tmp_path), "-v")
    assert f"skipped {tmp_path / 'notes.txt'}: not a firewall configuration" in res.stderr
    assert "skipped" not in run("check", str(tmp_path)).stderr
