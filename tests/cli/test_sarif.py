"""SARIF 2.1.0 output: valid against the official schema, every check and requirement
described, results located, deterministic."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from linter.cli import main

from tests.shared import REPO as ROOT, shared_dir



def _schema() -> dict:
    return json.loads((shared_dir("schemas") / "sarif-schema-2.1.0.json").read_text())


def _check_output(fmt: str, *args: str, cwd: Path = ROOT) -> str:
    """`fwlint check --format FMT ARGS` run in `cwd` (paths in the report are relative to it)."""
    import os
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, ["check", "--format", fmt, *args]).output
    finally:
        os.chdir(old)


def _sarif(*args: str, cwd: Path = ROOT) -> tuple[dict, str]:
    out = _check_output("sarif", *args, cwd=cwd)
    return json.loads(out), out


def test_sarif_validates_and_describes_every_id(tmp_path):
    schema = _schema()
    log, text = _sarif("--policy", "exchange-2013", "--inventory", "examples/exchange-edge-pf/inventory.yaml")
    jsonschema.validate(log, schema)
    run = log["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert {"FW001", "FW007", "EX100", "EX501"} <= set(ids) and len(ids) == len(set(ids))
    for r in run["tool"]["driver"]["rules"]:
        assert float(r["properties"]["security-severity"]) > 0 and r["helpUri"] and r["help"]["markdown"]
    results = run["results"]
    assert {r["ruleId"] for r in results} >= {"EX405", "EX407", "EX408", "EX409"}
    for r in results:
        assert ids[r["ruleIndex"]] == r["ruleId"]
        loc = r["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == "examples/exchange-edge-pf/pf.conf"
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%" and loc["region"]["startLine"] > 0
        assert r["partialFingerprints"]["fwlint/v1"]
    # identical input, identical bytes
    assert _sarif("--policy", "exchange-2013", "--inventory", "examples/exchange-edge-pf/inventory.yaml")[1] == text


def test_sarif_when_clean_and_with_diagnostics(tmp_path):
    schema = _schema()
    clean = tmp_path / "ok.rules"
    clean.write_text("*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT DROP [0:0]\n"
                     "-A INPUT -p tcp --dport 22 -s 192.0.2.0/24 -j ACCEPT\n"
                     "-A INPUT -m bogusmodule --whatever 1 -j ACCEPT\nCOMMIT\n")
    log, _ = _sarif(str(clean), cwd=tmp_path)
    jsonschema.validate(log, schema)
    run = log["runs"][0]
    assert run["invocations"][0]["executionSuccessful"] is True
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert notes and notes[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 6
    empty = tmp_path / "empty.rules"
    empty.write_text("*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT DROP [0:0]\nCOMMIT\n")
    log, _ = _sarif(str(empty), cwd=tmp_path)
    jsonschema.validate(log, schema)
    assert log["runs"][0]["results"] == []


def test_github_annotations_escape_and_default_in_actions(tmp_path, monkeypatch):
    cfg = tmp_path / "fw.rules"
    cfg.write_text("*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT DROP [0:0]\n"
                   "-A INPUT -j ACCEPT\n-A INPUT -m comment --comment \"100%, a:b\" -p tcp --dport 22 -j ACCEPT\n"
                   "COMMIT\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    res = CliRunner().invoke(main, ["check", "fw.rules"])
    lines = res.output.splitlines()
    assert res.exit_code == 1 and lines and all(ln.startswith("::") for ln in lines)
    fw001 = next(ln for ln in lines if "title=fwlint FW001" in ln)
    assert fw001.startswith("::warning file=fw.rules,line=6,col=1,endLine=6,title=fwlint FW001::")
    assert "\n" not in fw001 and "%25" not in fw001.split("::", 2)[1]
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert CliRunner().invoke(main, ["check", "fw.rules"]).output.startswith("fw.rules:")


SUPPRESSED_RULES = ("*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                    "-A INPUT -p tcp --dport 22 -j ACCEPT\n"
                    "# fwlint: disable=FW001 -- kept for the audit trail (CHG-1)\n"
                    "-A INPUT -p tcp --dport 22 -s 192.0.2.0/24 -j ACCEPT\n"
                    "-A INPUT -p tcp --dport 80 -j ACCEPT\n"
                    "-A INPUT -p tcp --dport 80 -s 192.0.2.0/24 "
                    "-m comment --comment \"fwlint: disable=FW001 -- legacy monitoring\" -j ACCEPT\n"
                    "-A INPUT -p tcp --dport 443 -j ACCEPT\n"
                    "-A INPUT -p tcp --dport 443 -s 192.0.2.0/24 -j ACCEPT\n"
                    "COMMIT\n")


def test_sarif_include_suppressed(tmp_path):
    schema = _schema()
    (tmp_path / "fw.rules").write_text(SUPPRESSED_RULES)
    plain, _ = _sarif("fw.rules", cwd=tmp_path)
    jsonschema.validate(plain, schema)
    results = plain["runs"][0]["results"]
    # without the flag: only what is not suppressed, and no suppressions property at all
    assert sorted((r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results) \
        == [("FW001", 11), ("FW004", 4)]
    assert all("suppressions" not in r for r in results)

    log, text = _sarif("fw.rules", "--sarif-include-suppressed", cwd=tmp_path)
    jsonschema.validate(log, schema)
    results = log["runs"][0]["results"]
    lines = [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results]
    assert lines == [("FW004", 4), ("FW001", 7), ("FW001", 9), ("FW001", 11)]
    sup = {ln: r["suppressions"] for (_, ln), r in zip(lines, results, strict=False)}
    assert sup[4] == [] and sup[11] == []
    assert [(s["kind"], s["justification"]) for s in sup[7]] == [("inSource", "kept for the audit trail (CHG-1)")]
    assert [(s["kind"], s["justification"]) for s in sup[9]] == [("inSource", "legacy monitoring")]
    where = sup[7][0]["location"]["physicalLocation"]
    assert where["artifactLocation"]["uri"] == "fw.rules" and where["region"]["startLine"] == 6
    where = sup[9][0]["location"]["physicalLocation"]["region"]
    assert where["startLine"] == 9 and where["startColumn"] == SUPPRESSED_RULES.split("\n")[8].index("--comment") + 1
    # deterministic
    assert _sarif("fw.rules", "--sarif-include-suppressed", cwd=tmp_path)[1] == text


def test_fw008_is_described_in_the_sarif_rules(tmp_path):
    (tmp_path / "fw.rules").write_text(SUPPRESSED_RULES.replace("-- legacy monitoring", ""))
    log, _ = _sarif("fw.rules", cwd=tmp_path)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    fw008 = next(r for r in rules if r["id"] == "FW008")
    assert fw008["name"] == "bad-suppression" and fw008["defaultConfiguration"]["level"] == "warning"
    res = [r for r in log["runs"][0]["results"] if r["ruleId"] == "FW008"]
    assert len(res) == 1 and rules[res[0]["ruleIndex"]]["id"] == "FW008"
    assert "malformed suppression" in res[0]["message"]["text"]


def _sarif_tools_counts(path: Path, *args: str) -> dict[str, int]:
    """`sarif summary` (sarif-tools, an independent SARIF consumer): the count per level."""
    import re
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "sarif", "summary", *args, str(path)], capture_output=True,
                         text=True, check=True).stdout
    counts = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(error|warning|note): (\d+)$", out, re.M)}
    assert set(counts) == {"error", "warning", "note"}, out
    return counts


def _json_summary(*args: str, cwd: Path) -> dict:
    return json.loads(_check_output("json", *args, cwd=cwd))["summary"]


def test_sarif_tools_reads_back_the_counts(tmp_path):
    """sarif-tools' `sarif summary` counts fwlint's SARIF results by level; its counts equal
    fwlint's own JSON summary, on bundled examples and on a file with suppressions (with
    --sarif-include-suppressed its counts include the suppressed results, and a sarif-tools
    filter that excludes inSource suppressions brings them back to fwlint's counts)."""
    (tmp_path / "fw.rules").write_text(SUPPRESSED_RULES)
    cases = [
        ([str(ROOT / "examples/linux-router/router.rules")], ROOT),
        (["--policy", "exchange-2013", "--inventory", "examples/exchange-no-edge/inventory.yaml"], ROOT),
        ([str(ROOT / "examples/exchange-ios/r1.cfg")], ROOT),
        (["fw.rules"], tmp_path),
    ]
    seen_nonzero = set()
    for n, (args, cwd) in enumerate(cases):
        summary = _json_summary(*args, cwd=cwd)
        _, text = _sarif(*args, cwd=cwd)
        out = tmp_path / f"case{n}.sarif"
        out.write_text(text)
        assert _sarif_tools_counts(out) == summary["findings"], args
        seen_nonzero |= {k for k, v in summary["findings"].items() if v}
    assert seen_nonzero == {"error", "warning", "note"}

    summary = _json_summary("fw.rules", cwd=tmp_path)
    assert summary["suppressed"] == 2
    _, text = _sarif("fw.rules", "--sarif-include-suppressed", cwd=tmp_path)
    out = tmp_path / "with-suppressed.sarif"
    out.write_text(text)
    counts = _sarif_tools_counts(out)
    assert counts == dict(summary["findings"], warning=summary["findings"]["warning"] + 2)
    flt = tmp_path / "unsuppressed.yaml"
    flt.write_text("description: not suppressed\nconfiguration:\n  default-include: false\n"
                   "  check-line-number: false\nexclude:\n  - suppression: inSource\n")
    assert _sarif_tools_counts(out, "--filter", str(flt)) == summary["findings"]
