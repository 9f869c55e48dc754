"""The GitHub Actions example (examples/github-actions/fwlint.yml) runs as written: every
`fwlint` command of its steps works on a repository laid out as the workflow expects, the
annotation step fails on an error and the SARIF step writes a valid log whatever the
findings, and the upload step reads the file the SARIF step writes."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import jsonschema
import yaml
from click.testing import CliRunner

from linter.cli import main

from tests.shared import REPO as ROOT, shared_dir

WORKFLOW = ROOT / "examples" / "github-actions" / "fwlint.yml"


def _steps() -> list[dict]:
    wf = yaml.safe_load(WORKFLOW.read_text())
    (job,) = wf["jobs"].values()
    return job["steps"]


def _repository(tmp_path: Path) -> Path:
    """A repository as the workflow expects it: firewalls/ and inventory.yaml at the root
    (the exchange-no-edge example, whose router drops mail from the internet: EX errors)."""
    src = ROOT / "examples" / "exchange-no-edge"
    (tmp_path / "firewalls").mkdir(parents=True)
    shutil.copy(src / "router.rules", tmp_path / "firewalls" / "router.rules")
    inv = yaml.safe_load((src / "inventory.yaml").read_text())
    for d in inv["devices"]:
        d["path"] = "firewalls/" + d["path"]
    (tmp_path / "inventory.yaml").write_text(yaml.safe_dump(inv, sort_keys=False))
    return tmp_path


def test_workflow_commands_run_as_written(tmp_path, monkeypatch):
    repo = _repository(tmp_path / "checkout")
    runner_temp = tmp_path / "runner-temp"  # (the report is written outside the checkout)
    runner_temp.mkdir()
    monkeypatch.chdir(repo)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    steps = _steps()
    assert steps[0]["uses"].startswith("actions/checkout@") and steps[0]["with"]["persist-credentials"] is False
    commands = [s["run"].replace("${{ runner.temp }}", str(runner_temp))
                for s in steps if s.get("run", "").startswith("fwlint ")]
    assert len(commands) == 2
    annotate, sarif = (shlex.split(c) for c in commands)
    # the annotation step: GitHub workflow commands (the default under Actions), failing the
    # job because the example's router breaks requirements with severity error
    res = CliRunner().invoke(main, annotate[1:])
    lines = res.output.splitlines()
    assert res.exit_code == 1, res.output
    assert lines and all(ln.startswith("::") for ln in lines)
    assert any(ln.startswith("::error file=firewalls/router.rules,") for ln in lines)
    # the SARIF step: exit 0 whatever the findings, a valid log where the upload step reads it
    res = CliRunner().invoke(main, sarif[1:])
    assert res.exit_code == 0, res.output
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    out = Path(upload["with"]["sarif_file"].replace("${{ runner.temp }}", str(runner_temp)))
    log = json.loads(out.read_text())
    jsonschema.validate(log, json.loads((shared_dir("schemas") / "sarif-schema-2.1.0.json").read_text()))
    results = log["runs"][0]["results"]
    assert any(r["level"] == "error" and r["ruleId"].startswith("EX") for r in results)
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "firewalls/router.rules"
               for r in results)
    # both steps that must run after a failure say so
    assert all(s.get("if") == "always()" for s in steps[steps.index(upload) - 1:steps.index(upload) + 1])
