"""The pre-commit hooks of .pre-commit-hooks.yaml, run by the real pre-commit client: the
per-file `fwlint` hook fails a commit that adds a bad configuration and lets a good one
through; `fwlint-sarif` (manual stage) writes a SARIF log of the repository.

pre-commit builds the hooks' environment with pip (from the package index), once per test
session (PRE_COMMIT_HOME in a temporary directory)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.shared import REPO as ROOT, shared_dir


GOOD = """*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT DROP [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -i eth1 -s 10.0.0.0/8 -p tcp --dport 22 -j ACCEPT
-A OUTPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A OUTPUT -o eth0 -p udp --dport 53 -j ACCEPT
COMMIT
"""
# the same, plus a rule that accepts everything forwarded (FW003)
BAD = GOOD.replace("COMMIT\n", "-A FORWARD -j ACCEPT\nCOMMIT\n")


def git(cwd: Path, *args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env)


@pytest.fixture(scope="session")
def env(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("pre-commit-home")
    e = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    e.update(PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never", NO_COLOR="1",
             GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
             GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org")
    return e


@pytest.fixture(scope="session")
def hooks_repo(tmp_path_factory, env) -> tuple[Path, str]:
    """This checkout as it is on disk (committed or not), committed into a repository of its
    own: what a user's `repo:`/`rev:` would fetch."""
    src = tmp_path_factory.mktemp("fwlint-hooks")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        f = ROOT / name
        if f.is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, src / name)
    assert (src / ".pre-commit-hooks.yaml").is_file()
    for args in (("init", "-q"), ("add", "-A"), ("commit", "-q", "-m", "snapshot")):
        assert git(src, *args, env=env).returncode == 0
    return src, git(src, "rev-parse", "HEAD", env=env).stdout.strip()


def pre_commit(cwd: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, capture_output=True,
                          text=True, env=env, timeout=1200)


@pytest.fixture()
def project(tmp_path, env, hooks_repo) -> Path:
    """A repository with a good configuration and a .pre-commit-config.yaml using the hooks."""
    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "-q", env=env)
    src, rev = hooks_repo
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(
        {"repos": [{"repo": str(src), "rev": rev, "hooks": [{"id": "fwlint"}, {"id": "fwlint-sarif"}]}]}))
    (repo / "firewalls").mkdir()
    (repo / "firewalls" / "edge.rules").write_text(GOOD)
    (repo / "README.md").write_text("the firewalls of this project\n")
    assert git(repo, "add", "-A", env=env).returncode == 0
    res = pre_commit(repo, env, "install")
    assert res.returncode == 0, res.stdout + res.stderr
    return repo


def test_hook_fails_a_bad_commit_and_passes_a_good_one(project, env):
    first = git(project, "commit", "-q", "-m", "a good firewall", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "fwlint" in first.stdout + first.stderr and "Passed" in first.stdout + first.stderr

    (project / "firewalls" / "edge.rules").write_text(BAD)
    git(project, "add", "-A", env=env)
    bad = git(project, "commit", "-q", "-m", "accept everything", env=env)
    out = bad.stdout + bad.stderr
    assert bad.returncode != 0, out
    assert "Failed" in out and "FW003" in out and "firewalls/edge.rules:" in out
    assert git(project, "rev-list", "--count", "HEAD", env=env).stdout.strip() == "1"  # not committed

    (project / "firewalls" / "edge.rules").write_text(GOOD.replace("10.0.0.0/8", "10.1.0.0/16"))
    git(project, "add", "-A", env=env)
    fixed = git(project, "commit", "-q", "-m", "fixed", env=env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert git(project, "rev-list", "--count", "HEAD", env=env).stdout.strip() == "2"


def test_hook_reads_only_configuration_names(project, env):
    """The `files:` pattern: a README change does not run fwlint; the configuration's
    exclude applies to the files pre-commit names."""
    (project / "README.md").write_text("changed\n")
    res = pre_commit(project, env, "run", "fwlint", "--files", "README.md")
    assert res.returncode == 0 and "no files to check" in (res.stdout + res.stderr).lower()
    (project / "firewalls" / "old.rules").write_text(BAD)
    (project / ".fwlint.yaml").write_text("exclude: [old.rules]\n")
    res = pre_commit(project, env, "run", "fwlint", "--files", "firewalls/old.rules")
    assert res.returncode == 0, res.stdout + res.stderr
    res = pre_commit(project, env, "run", "fwlint", "--files", "firewalls/old.rules", "firewalls/edge.rules")
    assert res.returncode == 0, res.stdout + res.stderr
    (project / ".fwlint.yaml").unlink()
    res = pre_commit(project, env, "run", "fwlint", "--files", "firewalls/old.rules")
    assert res.returncode == 1 and "FW003" in res.stdout


def test_try_repo_sarif_hook_writes_a_valid_log(tmp_path, env):
    """`pre-commit try-repo` against this checkout: fwlint-sarif on the manual stage."""
    import jsonschema

    schema_file = shared_dir("schemas") / "sarif-schema-2.1.0.json"  # skips without ../shared
    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "-q", env=env)
    (repo / "edge.rules").write_text(BAD)
    (repo / "notes.txt").write_text("not a firewall\n")
    git(repo, "add", "-A", env=env)
    res = pre_commit(repo, env, "try-repo", str(ROOT), "fwlint-sarif", "--hook-stage", "manual", "--all-files")
    assert res.returncode == 1, res.stdout + res.stderr  # the findings gate, and the log is written
    log = json.loads((repo / "fwlint.sarif").read_text())
    schema = json.loads(schema_file.read_text())
    jsonschema.validate(log, schema)
    results = log["runs"][0]["results"]
    assert any(r["ruleId"] == "FW003" for r in results)
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {"edge.rules"}
    # the manual stage: an ordinary run does not write it
    (repo / "fwlint.sarif").unlink()
    pre_commit(repo, env, "try-repo", str(ROOT), "fwlint-sarif", "--all-files")
    assert not (repo / "fwlint.sarif").exists()
