"""SARIF 2.1.0 output: valid against the official schema, every check and requirement
described, results located, deterministic."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from linter.cli import main

from .shared import shared_dir

ROOT = Path(__file__).resolve().parents[1]


def _schema() -> dict:
    return json.loads((shared_dir("schemas") / "sarif-schema-2.1.0.json").read_text())


def _sarif(*args: str, cwd: Path = ROOT) -> tuple[dict, str]:
    import os
    old = os.getcwd()
    os.chdir(cwd)
    try:
        res = CliRunner().invoke(main, ["check", "--format", "sarif", *args])
    finally:
        os.chdir(old)
    return json.loads(res.output), res.output


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
