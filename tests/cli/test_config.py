"""Project configuration (.fwlint.yaml, [tool.fwlint]): discovery, every key, flags winning,
strict reading (unknown keys and wrong types: one line, exit 2), and the progress bar."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter import api
from linter import config as cf
from linter.cli import _progress, main

from tests.shared import REPO as ROOT

# one finding: FW003 (warning) on line 7
ANY_ANY = """*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT DROP [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -i eth1 -s 10.0.0.0/8 -p tcp --dport 22 -j ACCEPT
-A FORWARD -j ACCEPT
-A OUTPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
"""
# ASA syntax with no marker of the ASA beyond it: detected as cisco-asa (FW003)
ASA_ACL = "access-list OUTSIDE_IN extended permit ip any any\naccess-group OUTSIDE_IN in interface outside\n"


@pytest.fixture()
def repo(tmp_path, monkeypatch) -> Path:
    """A repository root (it has .git) as the working directory, with one configuration."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "fw").mkdir()
    (tmp_path / "fw" / "edge.rules").write_text(ANY_ANY)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(main, ["check", *args], catch_exceptions=False)


def ids(res) -> list[str]:
    return [f["id"] for f in json.loads(res.stdout)["findings"]]


def one_line_error(res, *words: str) -> None:
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fwlint: error: "), res.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert "Traceback" not in res.output


# --------------------------------------------------------------------------- discovery


def test_no_configuration_keeps_the_defaults(repo):
    res = run("fw")
    assert res.exit_code == 1 and "warning FW003" in res.stdout


def test_yaml_found_from_a_subdirectory(repo, monkeypatch):
    (repo / ".fwlint.yaml").write_text("severity:\n  FW003: note\n")
    monkeypatch.chdir(repo / "fw")
    res = run("edge.rules")
    assert res.exit_code == 0 and "note FW003" in res.stdout
    assert cf.discover()[0] == repo / ".fwlint.yaml"


def test_pyproject_table_found(repo):
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.fwlint]\nfail-on = "error"\n')
    res = run("fw")
    assert res.exit_code == 0 and "warning FW003" in res.stdout
    cfg = cf.find()
    assert cfg.path == repo / "pyproject.toml" and cfg.fail_on == "error"


def test_pyproject_without_the_table_is_not_a_configuration(repo, tmp_path):
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.ruff]\nline-length = 100\n')
    assert cf.discover() == (None, [])
    assert run("fw").exit_code == 1


def test_search_stops_at_the_repository_root(tmp_path, monkeypatch):
    (tmp_path / ".fwlint.yaml").write_text("fail-on: never\n")
    inner = tmp_path / "inner"
    (inner / ".git").mkdir(parents=True)
    (inner / "edge.rules").write_text(ANY_ANY)
    monkeypatch.chdir(inner)
    assert cf.discover() == (None, [])
    assert run("edge.rules").exit_code == 1
    monkeypatch.chdir(tmp_path)  # above the inner repository: the file applies
    assert run("inner/edge.rules").exit_code == 0


def test_yaml_wins_over_pyproject_with_a_warning(repo):
    (repo / "pyproject.toml").write_text('[tool.fwlint]\nfail-on = "never"\n')
    (repo / ".fwlint.yaml").write_text("fail-on: warning\n")
    res = run("fw")
    assert res.exit_code == 1
    assert "fwlint: warning: pyproject.toml: [tool.fwlint] ignored: .fwlint.yaml takes precedence" in res.stderr


def test_config_option_names_the_file_and_no_config_ignores_it(repo):
    (repo / ".fwlint.yaml").write_text("fail-on: never\n")
    (repo / "strict.yaml").write_text("fail-on: warning\nseverity: {FW003: error}\n")
    assert run("fw").exit_code == 0
    res = run("fw", "--config", "strict.yaml")
    assert res.exit_code == 1 and "error FW003" in res.stdout
    res = run("fw", "--no-config")
    assert res.exit_code == 1 and "warning FW003" in res.stdout
    (repo / "other.toml").write_text('[tool.fwlint]\nseverity = { FW003 = "note" }\n')
    res = run("fw", "--config", "other.toml")
    assert res.exit_code == 0 and "note FW003" in res.stdout


# --------------------------------------------------------------------------- keys


def test_severity_override_changes_exit_code_and_sarif_level(repo):
    (repo / ".fwlint.yaml").write_text("severity:\n  FW003: error\n")
    res = run("fw", "--fail-on", "error")
    assert res.exit_code == 1 and "error FW003" in res.stdout
    res = run("fw", "--format", "sarif")
    levels = {r["ruleId"]: r["level"] for r in json.loads(res.stdout)["runs"][0]["results"]}
    assert levels == {"FW003": "error"}
    (repo / ".fwlint.yaml").write_text("severity:\n  fw003: note\n")
    res = run("fw")
    assert res.exit_code == 0 and "note FW003" in res.stdout


def test_severity_off_disables_even_bare_yaml_off(repo):
    (repo / ".fwlint.yaml").write_text("severity:\n  FW003: off\n")  # YAML 1.1 reads `off` as false
    res = run("fw", "--format", "json")
    assert res.exit_code == 0 and ids(res) == []


def test_disable_removes_a_check_and_select_brings_it_back(repo):
    (repo / ".fwlint.yaml").write_text("disable: [FW003]\n")
    res = run("fw", "--format", "json")
    assert res.exit_code == 0 and "FW003" not in ids(res)
    res = run("fw", "--format", "json", "--select", "FW003")
    assert res.exit_code == 1 and ids(res) == ["FW003"]


def test_platform_glob_forces_a_platform(repo):
    (repo / "fw" / "edge.rules").unlink()
    (repo / "fw" / "acl.cfg").write_text(ASA_ACL)
    res = run("fw", "--format", "json")
    assert ids(res) == ["FW003"]  # detected as ASA
    (repo / ".fwlint.yaml").write_text("platforms:\n  'fw/*.cfg': cisco-ios\n")
    res = run("fw", "--format", "json")
    # read as IOS: ASA syntax, nothing read: refused in IOS's words, with the first reason
    assert res.exit_code == 2 and "FW003" not in res.stdout
    assert "fw/acl.cfg: not a Cisco IOS configuration: none of its 2 lines" in res.stderr
    assert "(line 1: " in res.stderr and "table, chain or rule" not in res.stderr
    report = api.lint(["fw"], api.LintOptions(platforms=[("*.cfg", "cisco-ios")], root=repo))
    assert report.devices == [] and [e.split(":")[:2] for e in report.errors] == [["fw/acl.cfg", " not a Cisco IOS configuration"]]
    # --platform wins over the file
    res = run("fw", "--format", "json", "--platform", "cisco-asa")
    assert res.exit_code == 1 and ids(res) == ["FW003"]


def test_platform_glob_reads_a_file_detection_would_skip(repo):
    # comments only: no marker of any platform, so a walk skips it; a glob makes it a pf
    # file, valid and empty (a note)
    (repo / "fw" / "notes.txt").write_text("# nothing to see here yet\n")
    res = run("fw", "-v")
    assert "skipped fw/notes.txt" in res.stderr
    (repo / ".fwlint.yaml").write_text("platforms:\n  notes.txt: pf\n")
    res = run("fw", "-v", "--format", "json")
    assert "skipped" not in res.stderr
    assert "fw/notes.txt" in json.loads(res.stdout)["summary"]["files"]
    # prose read as pf is no pf.conf: refused in pf's words, exit 2
    (repo / "fw" / "notes.txt").write_text("nothing to see here\n")
    res = run("fw", "--format", "json")
    assert res.exit_code == 2 and "fw/notes.txt: not a pf.conf ruleset" in res.stderr


def test_exclude_skips_files_and_folders_of_a_walk(repo):
    (repo / "fw" / "legacy").mkdir()
    (repo / "fw" / "legacy" / "old.rules").write_text(ANY_ANY)
    (repo / "fw" / "tmp.rules").write_text(ANY_ANY)
    files = json.loads(run(".", "--format", "json").stdout)["summary"]["files"]
    assert files == ["fw/edge.rules", "fw/legacy/old.rules", "fw/tmp.rules"]
    (repo / ".fwlint.yaml").write_text("exclude: [legacy/, 'fw/tmp.*']\n")
    files = json.loads(run(".", "--format", "json").stdout)["summary"]["files"]
    assert files == ["fw/edge.rules"]
    # -v says what the configuration excluded (a folder once, not each file in it)
    said = [ln for ln in run(".", "-v").stderr.splitlines() if "excluded by the configuration" in ln]
    assert said == ["fwlint: skipped fw/legacy: excluded by the configuration",
                    "fwlint: skipped fw/tmp.rules: excluded by the configuration"], said
    # a file named on the command line is read, unless --force-exclude
    res = run("fw/legacy/old.rules", "--format", "json")
    assert res.exit_code == 1 and ids(res) == ["FW003"]
    res = run("fw/legacy/old.rules", "fw/tmp.rules", "--force-exclude")
    assert res.exit_code == 0 and res.stdout == ""
    res = run("fw/legacy/old.rules", "fw/edge.rules", "--force-exclude", "--format", "json")
    assert res.exit_code == 1 and json.loads(res.stdout)["summary"]["files"] == ["fw/edge.rules"]


def test_fail_on_and_the_flag_that_wins(repo):
    (repo / ".fwlint.yaml").write_text("fail-on: error\n")
    assert run("fw").exit_code == 0
    assert run("fw", "--fail-on", "warning").exit_code == 1


def test_policies_and_inventory_from_the_file(tmp_path, monkeypatch):
    ex = ROOT / "examples" / "exchange-no-edge"
    proj = tmp_path / "proj"
    (proj / ".git").mkdir(parents=True)
    for name in ("router.rules", "inventory.yaml"):
        shutil.copy(ex / name, proj / name)
    (proj / ".fwlint.yaml").write_text("policies: [exchange-2013]\ninventory: inventory.yaml\n"
                                       "severity: {EX102: note}\n")
    sub = proj / "sub"
    sub.mkdir()
    monkeypatch.chdir(sub)  # the inventory is relative to the file, not to the working directory
    res = run("--format", "json")
    data = json.loads(res.stdout)
    assert data["summary"]["policies"] == ["exchange-2013"]
    sev = {f["id"]: f["severity"] for f in data["findings"] if f["id"].startswith("EX")}
    assert sev.get("EX102") == "note"
    # --policy on the command line without --inventory: the file's inventory still applies
    res = run("--format", "json", "--policy", "exchange-2013", "--select", "EX102")
    assert [f["id"] for f in json.loads(res.stdout)["findings"]] and res.exit_code == 0
    res = run("--format", "json", "--select", "EX102", "--fail-on", "note")
    assert res.exit_code == 1


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("text, words", [
    ("severty:\n  FW003: note\n", [".fwlint.yaml", "unknown key 'severty'", "known: disable"]),
    ("severity:\n  FW999: note\n", [".fwlint.yaml", "severity.FW999", "unknown check id"]),
    ("severity:\n  FW003: fatal\n", ["severity.FW003", "error, warning, note, off", "'fatal'"]),
    ("platforms:\n  '*.cfg': juniper\n", ["platforms.*.cfg", "unknown platform 'juniper'"]),
    ("disable: FW003\n", ["disable: expected a list of strings, got a string"]),
    ("disable: [FW003, 7]\n", ["disable[1]: expected a non-empty string, got a number"]),
    ("exclude: [[a]]\n", ["exclude[0]"]),
    ("fail-on: sometimes\n", ["fail-on", "'sometimes'"]),
    ("inventory: [a.yaml]\n", ["inventory: expected a non-empty string, got a list"]),
    ("fail_on: error\n", ["unknown key 'fail_on'"]),  # one spelling
    ("- FW003\n", ["expected a mapping of settings, got a list"]),
    ("severity: {FW003: note\n", [".fwlint.yaml: line"]),  # YAML syntax
    ("fail-on: error\nfail-on: note\n", ["given twice"]),
])
def test_bad_yaml_is_one_line_exit_2(repo, text, words):
    (repo / ".fwlint.yaml").write_text(text)
    one_line_error(run("fw"), *words)


def test_bad_pyproject_names_the_table(repo):
    (repo / "pyproject.toml").write_text('[tool.fwlint]\nexclude = ["a"]\n[tool.fwlint.severity]\nFW003 = 1\n')
    one_line_error(run("fw"), "pyproject.toml: [tool.fwlint]: severity.FW003", "got 1")
    (repo / "pyproject.toml").write_text('[tool.fwlint]\nplatform = "pf"\n')
    one_line_error(run("fw"), "pyproject.toml: [tool.fwlint]: unknown key 'platform'")
    (repo / "pyproject.toml").write_text('[tool.fwlint\nplatform = "pf"\n')
    one_line_error(run("fw"), "pyproject.toml: not TOML")


def test_missing_config_file(repo):
    one_line_error(run("fw", "--config", "nope.yaml"), "nope.yaml: no such configuration file")
    (repo / "x.toml").write_text('[tool.other]\na = 1\n')
    one_line_error(run("fw", "--config", "x.toml"), "x.toml: no [tool.fwlint] table")


@pytest.mark.parametrize("args, words", [
    (["--config", "a.yaml", "--no-config"], ["--config and --no-config"]),
    (["--select", "FW001,FW003", "--ignore", "fw003"], ["--select and --ignore both name FW003"]),
])
def test_conflicting_flags_are_one_line_exit_2(repo, args, words):
    one_line_error(run("fw", *args), *words)


# --------------------------------------------------------------------------- globs


@pytest.mark.parametrize("rel, pattern, hit", [
    ("fw/legacy/old.rules", "legacy", True),
    ("fw/legacy/old.rules", "legacy/", True),
    ("fw/legacy/old.rules", "fw/legacy", True),
    ("fw/legacy/old.rules", "legacy/old.rules", False),  # with '/': from the root
    ("fw/legacy/old.rules", "**/legacy/old.rules", True),
    ("fw/legacy/old.rules", "fw/*.rules", False),  # '*' stays within a name
    ("fw/legacy/old.rules", "fw/**/*.rules", True),
    ("fw/legacy/old.rules", "*.rules", True),
    ("fw/legacy/old.rules", "old.rule?", True),
    ("fw/legacy/old.rules", "[!o]ld.rules", False),
    ("fw/legacy/old.rules", "./fw/legacy", True),
    ("fw/legacy/old.rules", "Legacy", False),  # case-sensitive
    ("edge.rules", "edge", False),
    ("fw/legacy/", "legacy/", True),  # a folder (the walk asks with a trailing '/')
    ("fw/legacy", "legacy/", False),  # `legacy/` names folders only, as in git
])
def test_glob_matches(rel, pattern, hit):
    assert cf.glob_matches(rel, pattern) is hit


# --------------------------------------------------------------------------- progress


def test_progress_callback_once_per_file(tmp_path):
    for i in range(5):
        (tmp_path / f"r{i}.rules").write_text(ANY_ANY)
    (tmp_path / "notes.txt").write_text("nothing\n")
    calls: list[tuple[str, int]] = []
    report = api.lint([tmp_path, tmp_path / "r0.rules"], api.LintOptions(progress=lambda p, n: calls.append((p, n))))
    assert len(report.devices) == 5
    assert sorted(p for p, _ in calls) == sorted([str(tmp_path / f"r{i}.rules") for i in range(5)]
                                                 + [str(tmp_path / "notes.txt"), str(tmp_path / "r0.rules")])
    assert {n for _, n in calls} == {7}


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal_with_many_files():
    tty = _Tty()
    with _progress(tty, min_files=3) as cb:
        assert cb is not None
        for i in range(4):
            cb(f"f{i}.rules", 4)
    assert "4/4" in tty.getvalue() and "fwlint" in tty.getvalue()
    few = _Tty()
    with _progress(few, min_files=3) as cb:
        cb("a.rules", 2)
        cb("b.rules", 2)
    assert few.getvalue() == ""
    with _progress(io.StringIO(), min_files=1) as cb:
        assert cb is None  # not a terminal: no callback at all


def test_no_progress_bar_when_stderr_is_not_a_terminal(repo):
    for i in range(25):
        (repo / "fw" / f"r{i:02}.rules").write_text(ANY_ANY)
    res = run("fw", "--format", "json")
    assert res.exit_code == 1 and len(json.loads(res.stdout)["summary"]["files"]) == 26
    assert res.stderr == ""


def test_readme_examples_are_valid_configurations(tmp_path):
    """The README's .fwlint.yaml and [tool.fwlint] examples read without error and say the same."""
    import re

    readme = (ROOT / "README.md").read_text()
    yaml_text = re.search(r"```yaml\n# \.fwlint\.yaml\n(.*?)```", readme, re.S).group(1)
    toml_text = re.search(r"```toml\n# pyproject\.toml\n(.*?)```", readme, re.S).group(1)
    (tmp_path / ".fwlint.yaml").write_text(yaml_text)
    (tmp_path / "pyproject.toml").write_text(toml_text)
    y, t = cf.load(tmp_path / ".fwlint.yaml"), cf.load(tmp_path / "pyproject.toml")
    assert y.severity == {"FW006": "note", "EX401": "off"} and t.severity == {"FW006": "note"}
    assert y.platforms == t.platforms == [("cisco/*.cfg", "cisco-ios")]
    assert y.disable == t.disable == {"FW002"} and y.fail_on == t.fail_on == "error"
    assert y.inventory == t.inventory == str(tmp_path / "inventory.yaml")
    # the hooks' file pattern matches the names the README lists, and not others
    import yaml

    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    rx = re.compile(hooks["fwlint"]["files"])
    for name in ("border.rules", "etc/iptables/rules.v4", "rules.v6", "iptables.conf", "ip6tables-save",
                 "pf.conf", "fw/pf.conf.local", "edge.pf", "running-config", "startup-config.txt",
                 "r1-confg", "core.ios", "fw/asa1.asa"):
        assert rx.search(name), name
    for name in ("setup.cfg", "nginx.conf", "README.md", "x.rules.bak", "pyproject.toml", "rules.v4.md"):
        assert not rx.search(name), name
    assert hooks["fwlint"]["pass_filenames"] is True
    sarif = hooks["fwlint-sarif"]
    assert (sarif["pass_filenames"], sarif["require_serial"], sarif["stages"]) == (False, True, ["manual"])


def test_published_schema_agrees_with_the_reader(tmp_path):
    import jsonschema
    import yaml

    schema = json.loads((ROOT / "rules" / "schema" / "config.schema.json").read_text())
    assert sorted(schema["properties"]) == sorted(cf.KEYS)
    assert sorted(schema["properties"]["platforms"]["additionalProperties"]["enum"]) == sorted(api.PLATFORMS)
    import re

    text = re.search(r"```yaml\n# \.fwlint\.yaml\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    jsonschema.validate(yaml.safe_load(text), schema)
    jsonschema.validate(yaml.safe_load("severity: {FW003: off}\n"), schema)
    for bad in ("severty: {}\n", "fail-on: sometimes\n", "exclude: legacy\n", "platforms: {'*.cfg': juniper}\n"):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(yaml.safe_load(bad), schema)
        with pytest.raises(cf.ConfigError):
            cf.from_data(yaml.safe_load(bad), tmp_path, ".fwlint.yaml")
