"""Baselines: today's findings accepted, new ones fail; keys survive moved lines."""

from __future__ import annotations

import json

from click.testing import CliRunner

from linter.cli import main

HEAD = "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT DROP [0:0]\n"


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_baseline_accepts_old_findings_and_fails_new_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fw.rules").write_text(HEAD + "-A INPUT -p tcp -j ACCEPT\n-A INPUT -p tcp --dport 22 -j DROP\nCOMMIT\n")
    res = run("check", "fw.rules")
    assert res.exit_code == 1
    res = run("check", "fw.rules", "--write-baseline", "base.json")
    assert res.exit_code == 0
    data = json.loads((tmp_path / "base.json").read_text())
    assert data["fwlint_baseline"] == 1 and data["findings"] == sorted(data["findings"], key=lambda e: (e["id"], e["path"], e["text"]))
    assert all(e["path"] == "fw.rules" and "line" not in e for e in data["findings"])
    assert run("check", "fw.rules", "--baseline", "base.json").exit_code == 0
    # lines move (a comment and a new harmless rule above): still nothing new
    (tmp_path / "fw.rules").write_text(HEAD + "# moved\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp -j ACCEPT\n"
                                       "-A INPUT -p tcp --dport 22 -j DROP\nCOMMIT\n")
    res = run("check", "fw.rules", "--baseline", "base.json", "--format", "json")
    assert res.exit_code == 0 and json.loads(res.stdout)["findings"] == []
    # a new problem fails
    (tmp_path / "fw.rules").write_text(HEAD + "-A INPUT -p tcp -j ACCEPT\n-A INPUT -p tcp --dport 22 -j DROP\n"
                                       "-A INPUT -p tcp --dport 23 -j DROP\nCOMMIT\n")
    res = run("check", "fw.rules", "--baseline", "base.json", "--format", "json")
    assert res.exit_code == 1
    assert [f["location"]["line"] for f in json.loads(res.stdout)["findings"]] == [7]


def test_bad_baselines_are_one_line_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fw.rules").write_text(HEAD + "-A INPUT -p tcp -j ACCEPT\nCOMMIT\n")
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "other.json").write_text('{"findings": []}')
    for f, needle in (("bad.json", "not JSON"), ("other.json", "not an fwlint baseline"), ("missing.json", "cannot read")):
        res = run("check", "fw.rules", "--baseline", f)
        assert res.exit_code == 2 and res.stderr.count("\n") == 1 and needle in res.stderr, res.stderr
    res = run("check", "fw.rules", "--baseline", "a.json", "--write-baseline", "b.json")
    assert res.exit_code == 2
