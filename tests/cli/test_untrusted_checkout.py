"""fwlint on a checkout written by an attacker (issue 11): it reads only inside the repository
root and what the command line names, only regular files and within bounds; it writes its
outputs as a shell redirection would; it quotes nothing from outside; its exit code says
when a file could not or may not be read."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from linter import files
from linter.cli import main

from tests.shared import REPO as ROOT, shared_dir

SENTINEL = "SENTINEL-c0ffee-outside-the-checkout"
GOOD = "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n"
# a configuration fwlint would happily quote, line by line, if it read it
SECRET = f"*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m {SENTINEL} -j ACCEPT\n{SENTINEL}: x\nCOMMIT\n"


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click 8.1
    except TypeError:
        return CliRunner()


def run(*args: str, cwd: Path | None = None):
    """fwlint in-process with `cwd` as the working directory; (exit code, stdout, stderr)."""
    old = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        res = _runner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)
    return res.exit_code, res.stdout, res.stderr


@pytest.fixture
def layout(tmp_path):
    """tmp/repo (a repository: .git, fw/gw.rules) and tmp/outside/secret.rules."""
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    (repo / ".git").mkdir(parents=True)
    (repo / "fw").mkdir()
    (repo / "fw" / "gw.rules").write_text(GOOD)
    outside.mkdir()
    (outside / "secret.rules").write_text(SECRET)
    return repo, outside


def _inventory(repo: Path, device_path: str, name: str = "inventory.yaml") -> Path:
    inv = repo / name
    inv.write_text("internal: [10.0.0.0/8]\nroles: {mailbox: [10.0.1.10]}\n"
                   f"devices:\n  - path: {json.dumps(device_path)}\n    interfaces: {{eth0: [internet], eth1: [mailbox]}}\n")
    return inv


def assert_quiet(*texts: str) -> None:
    for t in texts:
        assert SENTINEL not in t, t


# --------------------------------------------------------------------------- confinement


@pytest.mark.parametrize("how", ["absolute", "climbing", "glob"])
def test_inventory_device_paths_outside_are_refused(layout, how):
    repo, outside = layout
    path = {"absolute": str(outside / "secret.rules"), "climbing": "../outside/secret.rules",
            "glob": "../outside/*.rules"}[how]
    _inventory(repo, path)
    code, out, err = run("check", "--policy", "exchange-2013", "--inventory", "inventory.yaml", cwd=repo)
    assert code == 2
    assert "inventory.yaml: devices/0/path:" in err and "outside the repository root" in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert_quiet(out, err)
    # the flag (never a file of the checkout) lifts it
    code, out, err = run("check", "--policy", "exchange-2013", "--inventory", "inventory.yaml",
                         "--allow-outside-root", cwd=repo)
    assert code in (0, 1) and "outside the repository root" not in err


def test_configuration_cannot_aim_outside(layout):
    repo, outside = layout
    (repo / ".fwlint.yaml").write_text(f"inventory: {outside / 'inv.yaml'}\npolicies: [exchange-2013]\n")
    _inventory(outside, str(outside / "secret.rules"), "inv.yaml")
    code, out, err = run("check", "fw", cwd=repo)
    assert code == 2 and ".fwlint.yaml: inventory: refused" in err, err
    assert_quiet(out, err)
    (repo / ".fwlint.yaml").write_text("policies: [../outside/secret.rules]\n")
    code, out, err = run("check", "fw", cwd=repo)
    assert code == 2 and ".fwlint.yaml: policies[0]: refused" in err, err
    assert_quiet(out, err)
    # a checkout cannot grant itself the flag
    (repo / ".fwlint.yaml").write_text("allow-outside-root: true\n")
    code, _, err = run("check", "fw", cwd=repo)
    assert code == 2 and "unknown key 'allow-outside-root'" in err


def test_a_configuration_that_is_a_link_out_is_refused(layout):
    repo, outside = layout
    (outside / "cfg.yaml").write_text("fail-on: never\n")
    (repo / ".fwlint.yaml").symlink_to(outside / "cfg.yaml")
    code, _, err = run("check", "fw", cwd=repo)
    assert code == 2 and ".fwlint.yaml: refused" in err, err


def test_a_configuration_named_outside_any_repository_confines_to_its_folder(tmp_path):
    cfgdir, elsewhere, work = tmp_path / "cfg", tmp_path / "elsewhere", tmp_path / "work"
    for d in (cfgdir, elsewhere, work):
        d.mkdir()
    (elsewhere / "secret.rules").write_text(SECRET)
    (cfgdir / "gw.rules").write_text(GOOD)
    _inventory(cfgdir, "../elsewhere/secret.rules", "inv.yaml")
    (cfgdir / ".fwlint.yaml").write_text("inventory: inv.yaml\npolicies: [exchange-2013]\n")
    code, out, err = run("check", "--config", str(cfgdir / ".fwlint.yaml"), cwd=work)
    assert code == 2 and "devices/0/path" in err and "outside the repository root" in err, err
    assert_quiet(out, err)
    _inventory(cfgdir, "gw.rules", "inv.yaml")  # beside it: read
    code, out, err = run("check", "--config", str(cfgdir / ".fwlint.yaml"), cwd=work)
    assert code in (0, 1), err


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_a_walk_refuses_links_out_and_reads_the_rest(layout, fmt):
    repo, outside = layout
    (repo / "fw" / "linked.rules").symlink_to(outside / "secret.rules")
    (repo / "fw" / "linkdir").symlink_to(outside)
    (repo / "fw" / "inside.rules").symlink_to(repo / "fw" / "gw.rules")  # a link inside: fine
    (repo / ".fwlint.yaml").write_text("platforms:\n  'fw/*': iptables\n")  # would force a parse
    code, out, err = run("check", "fw", "--format", fmt, cwd=repo)
    assert code == 2
    assert "fw/linked.rules: refused" in err and "fw/linkdir: refused" in err, err
    assert "fw/gw.rules" in out  # the rest is still analysed (FW004 of OUTPUT ACCEPT)
    assert_quiet(out, err)


def test_a_link_named_on_the_command_line_is_confined_too(layout):
    """The workflow names fw/gw.rules; the pull request made it a link to a file outside."""
    repo, outside = layout
    (repo / "fw" / "gw.rules").unlink()
    (repo / "fw" / "gw.rules").symlink_to(outside / "secret.rules")
    code, out, err = run("check", "fw/gw.rules", cwd=repo)
    assert code == 2 and "fw/gw.rules: refused" in err
    assert_quiet(out, err)
    # a file the user names outside the repository is theirs to read
    code, out, _ = run("check", str(outside / "secret.rules"), cwd=repo)
    assert code == 1 and SENTINEL in out


def test_policy_file_errors_quote_nothing(layout):
    repo, outside = layout
    code, out, err = run("check", "fw", "--policy", str(outside / "secret.rules"), "--inventory", "inv.yaml",
                         cwd=repo)
    assert code == 2 and "secret.rules" in err, err
    assert_quiet(out, err)
    (outside / "kv.yaml").write_text(f"password: {SENTINEL}\n")
    code, out, err = run("check", "fw", "--policy", str(outside / "kv.yaml"), "--inventory", "inv.yaml", cwd=repo)
    assert code == 2 and "kv.yaml" in err
    assert_quiet(out, err)


def test_pf_include_through_a_link_out_is_refused(layout):
    repo, outside = layout
    (outside / "secret.conf").write_text(f"pass in on {SENTINEL} all\n")
    (repo / "fw" / "inc.conf").symlink_to(outside / "secret.conf")
    (repo / "fw" / "pf.conf").write_text('block all\ninclude "inc.conf"\n')
    code, out, err = run("check", "fw/pf.conf", "--format", "json", cwd=repo)
    data = json.loads(out)
    assert [d["code"] for d in data["diagnostics"]] == ["outside-repository"]
    assert_quiet(out, err)


# --------------------------------------------------------------------------- what is read


def test_fifo_named_or_walked_is_refused_without_waiting(layout):
    repo, _ = layout
    os.mkfifo(repo / "fw" / "pipe.rules")
    # a subprocess with a timeout: a regression would block forever on open()
    proc = subprocess.run([sys.executable, "-m", "linter", "check", "fw/pipe.rules"], cwd=repo,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "fw/pipe.rules: not read: a named pipe (FIFO)" in proc.stderr, proc.stderr
    proc = subprocess.run([sys.executable, "-m", "linter", "check", "fw"], cwd=repo,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "fw/pipe.rules: not read: a named pipe (FIFO)" in proc.stderr
    assert "fw/gw.rules" in proc.stdout  # the rest of the walk


def test_side_files_that_are_fifos_are_refused(layout):
    """An inventory, a configuration or a baseline that is a FIFO: one line, no wait."""
    repo, _ = layout
    os.mkfifo(repo / "pipe")
    for args in (["check", "fw", "--policy", "exchange-2013", "--inventory", "pipe"], ["check", "fw", "--config", "pipe"],
                 ["check", "fw", "--baseline", "pipe"], ["check", "fw", "--policy", "./pipe", "--inventory", "pipe"],
                 ["trace", "fw/gw.rules", "--packets", "pipe"]):
        proc = subprocess.run([sys.executable, "-m", "linter", *args], cwd=repo, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 2 and "pipe" in proc.stderr and "named pipe (FIFO)" in proc.stderr, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_devices_and_sockets_are_refused(layout):
    repo, _ = layout
    code, _, err = run("check", "/dev/zero", cwd=repo)
    assert code == 2 and "/dev/zero: not read: a character device" in err
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(repo / "fw" / "s.rules"))
        code, _, err = run("check", "fw", cwd=repo)
        assert code == 2 and "fw/s.rules: not read: a socket" in err
    finally:
        sock.close()


def test_size_limit_and_its_flag(layout):
    repo, _ = layout
    big = repo / "fw" / "big.rules"
    big.write_text(GOOD + "#" * 3000 + "\n")
    code, _, err = run("check", "fw/big.rules", "--max-file-size", "2K", cwd=repo)
    assert code == 2 and "fw/big.rules:" in err and "larger than the 2 KiB fwlint reads" in err
    assert run("check", "fw/big.rules", "--max-file-size", "4K", cwd=repo)[0] == 1
    code, _, err = run("check", "fw/big.rules", "--max-file-size", "lots", cwd=repo)
    assert code == 2 and "--max-file-size" in err


def test_a_missing_file_beside_a_good_one_exits_2_and_says_so_in_sarif(layout):
    repo, _ = layout
    code, out, err = run("check", "fw/gw.rules", "fw/nothing.rules", "--format", "sarif", cwd=repo)
    assert code == 2 and "fw/nothing.rules: no such file or directory" in err
    log = json.loads(out)
    jsonschema.validate(log, json.loads((shared_dir("schemas") / "sarif-schema-2.1.0.json").read_text()))
    inv = log["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    assert any("fw/nothing.rules" in n["message"]["text"] for n in inv["toolExecutionNotifications"])
    assert log["runs"][0]["results"]  # the good file's findings are there


def test_a_symlink_loop_is_named_as_such(layout):
    repo, _ = layout
    (repo / "fw" / "a.rules").symlink_to(repo / "fw" / "b.rules")
    (repo / "fw" / "b.rules").symlink_to(repo / "fw" / "a.rules")
    code, _, err = run("check", "fw/a.rules", cwd=repo)
    assert code == 2 and "fw/a.rules: a loop of symbolic links" in err


# --------------------------------------------------------------------------- outputs


def test_output_through_a_link_keeps_the_link(layout):
    repo, _ = layout
    (repo / "reports").mkdir()
    (repo / "out.sarif").symlink_to(repo / "reports" / "fwlint.sarif")
    run("check", "fw", "--format", "sarif", "-o", "out.sarif", cwd=repo)
    assert (repo / "out.sarif").is_symlink()
    assert json.loads((repo / "reports" / "fwlint.sarif").read_text())["version"] == "2.1.0"


def test_output_link_out_of_the_checkout_is_refused(layout):
    repo, outside = layout
    victim = outside / "victim"
    victim.write_text("precious\n")
    (repo / "fwlint.sarif").symlink_to(victim)
    code, _, err = run("check", "fw", "--format", "sarif", "-o", "fwlint.sarif", cwd=repo)
    assert code == 2 and "cannot write fwlint.sarif: refused" in err
    assert victim.read_text() == "precious\n"
    code, _, err = run("check", "fw", "--write-baseline", "fwlint.sarif", cwd=repo)
    assert code == 2 and victim.read_text() == "precious\n"


def test_output_to_a_device_writes_to_it(layout):
    repo, _ = layout
    before = os.stat("/dev/null")
    code, _, _ = run("check", "fw", "-o", "/dev/null", cwd=repo)
    after = os.stat("/dev/null")
    assert code == 1 and stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_output_to_a_fifo_without_reader_is_an_error_not_a_hang(layout):
    repo, _ = layout
    os.mkfifo(repo / "out.fifo")
    proc = subprocess.run([sys.executable, "-m", "linter", "check", "fw", "-o", "out.fifo"], cwd=repo,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "cannot write out.fifo: a named pipe that nobody reads" in proc.stderr


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_output_mode_follows_the_umask(layout, umask, mode):
    repo, _ = layout
    old = os.umask(umask)
    try:
        run("check", "fw", "-o", "report.txt", cwd=repo)
        run("check", "fw", "--write-baseline", "baseline.json", cwd=repo)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(repo / "report.txt").st_mode) == mode
    assert stat.S_IMODE(os.stat(repo / "baseline.json").st_mode) == mode


def test_an_existing_report_keeps_its_mode(layout):
    repo, _ = layout
    (repo / "report.txt").write_text("old\n")
    os.chmod(repo / "report.txt", 0o640)
    run("check", "fw", "-o", "report.txt", cwd=repo)
    assert stat.S_IMODE(os.stat(repo / "report.txt").st_mode) == 0o640
    assert "fw/gw.rules" in (repo / "report.txt").read_text()


def test_a_failed_write_leaves_the_old_file_and_no_partial_one(layout, monkeypatch):
    repo, _ = layout
    (repo / "report.txt").write_text("old\n")

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", failing_replace)
    code, _, err = run("check", "fw", "-o", "report.txt", cwd=repo)
    assert code == 2 and err.strip() == "fwlint: error: cannot write report.txt: No space left on device"
    assert (repo / "report.txt").read_text() == "old\n"
    assert sorted(p.name for p in repo.iterdir()) == [".git", "fw", "report.txt"]


def test_unwritable_output_is_one_line(layout):
    repo, _ = layout
    for target, why in (("fw/gw.rules/x.txt", "Not a directory"), ("missing/x.txt", "does not exist")):
        code, _, err = run("check", "fw", "-o", target, cwd=repo)
        assert code == 2 and len(err.strip().splitlines()) == 1 and why in err, (target, err)
    code, _, err = run("check", "fw", "-o", "fw", cwd=repo)  # (click's usage error)
    assert code == 2 and "is a directory" in err


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("name,text,needle", [
    ("inventory.yaml", "roles:\n  ? [1, 2]\n  : x\n", "inventory.yaml: line 2: a key that is a list or a mapping"),
    ("inventory.yaml", "roles: " + "[" * 500 + "]" * 500 + "\n", "inventory.yaml: line 1: nested deeper than 64 levels"),
    (".fwlint.yaml", "exclude:\n  ? {a: 1}\n  : x\n", ".fwlint.yaml: line 2: a key that is a list or a mapping"),
    (".fwlint.yaml", "severity: " + "{a: " * 300 + "1" + "}" * 300 + "\n", ".fwlint.yaml: line 1: nested deeper"),
    (".fwlint.yaml", "exclude: ['\\']\n", ".fwlint.yaml: exclude[0]: not a glob"),
    (".fwlint.yaml", "platforms: {'\\': iptables}\n", ".fwlint.yaml: platforms.\\: not a glob"),
    ("pyproject.toml", "[tool.fwlint]\nexclude = " + "[" * 2000 + "]" * 2000 + "\n", "pyproject.toml: nested deeper"),
    ("pyproject.toml", "[tool.fwlint]\nx = " + "[" * 40 + "]" * 40 + "\n", "pyproject.toml: [tool.fwlint]: unknown key 'x'"),
])
def test_bad_configuration_files_are_one_line_errors(layout, name, text, needle):
    repo, _ = layout
    (repo / name).write_text(text)
    args = ["check", "fw"] + (["--policy", "exchange-2013", "--inventory", name] if name == "inventory.yaml" else [])
    code, out, err = run(*args, cwd=repo)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in out + err


def test_deep_json_baseline_is_an_error(layout):
    repo, _ = layout
    (repo / "b.json").write_text('{"fwlint_baseline": 1, "findings": ' + "[" * 100000 + "]" * 100000 + "}")
    code, _, err = run("check", "fw", "--baseline", "b.json", cwd=repo)
    assert code == 2 and "b.json" in err and "nested too deeply" in err
    (repo / "b.json").write_text('{"fwlint_baseline": 1, "findings": [{"id": "FW004", "path": "x", "text": "", '
                                 '"count": [1]}]}')
    code, _, err = run("check", "fw", "--baseline", "b.json", cwd=repo)
    assert code == 2 and "findings/0/count" in err


@pytest.mark.parametrize("lines,needle", [
    (None, "probes.jsonl: no such file or directory"),
    (['{"src": "10.0.0.1", "dst": "10.0.0.2", "dport": [22]}'], "probes.jsonl:1: field 'dport': expected a number"),
    (['[1, 2]'], "probes.jsonl:1: expected a JSON object"),
    (["[" * 100000], "probes.jsonl:1:"),
])
def test_bad_packets_files(layout, lines, needle):
    repo, _ = layout
    if lines is not None:
        (repo / "probes.jsonl").write_text("\n".join(lines) + "\n")
    code, out, err = run("trace", "fw/gw.rules", "--packets", "probes.jsonl", cwd=repo)
    assert code == 2 and needle in err and "Traceback" not in out + err, err


@pytest.mark.parametrize("packet,needle", [
    ("tcp 1.2.3.4:abc -> 10.0.0.1:22 in eth0", "source port 'abc': expected a number"),
    ("tcp 1.2.3.4:1 -> 10.0.0.1:99999 in eth0", "destination port '99999'"),
    ("tcp [fe80::1%eth0]:1 -> [fe80::2]:22 in eth0", "a zone id (%eth0) is no part of a packet"),
    ("icmp 1.2.3.4 -> 10.0.0.1 type x", "type 'x' is not a number"),
])
def test_bad_packets_on_the_command_line(layout, packet, needle):
    repo, _ = layout
    code, out, err = run("trace", "fw/gw.rules", packet, cwd=repo)
    assert code == 2 and needle in err and "Traceback" not in out + err, err


def test_zone_ids_in_an_inventory_are_refused(layout):
    repo, _ = layout
    (repo / "inventory.yaml").write_text("roles: {mailbox: ['fe80::1%eth0']}\n"
                                         "devices: [{path: fw/gw.rules}]\n")
    code, _, err = run("check", "--policy", "exchange-2013", "--inventory", "inventory.yaml", cwd=repo)
    assert code == 2 and "roles/mailbox/0" in err and "zone id" in err, err


def test_a_file_name_that_is_not_utf8(layout):
    repo, _ = layout
    name = os.fsdecode(b"fw/caf\xe9.rules")
    Path(repo / name).write_text(GOOD)
    code, out, err = run("check", "fw", cwd=repo)
    assert code == 1 and "fw/caf\\xe9.rules:" in out and "Traceback" not in out + err
    code, out, _ = run("check", "fw", "--format", "sarif", cwd=repo)
    assert "fw/caf%E9.rules" in out


def test_utf16_is_decoded_or_refused_in_one_line(layout):
    repo, _ = layout
    (repo / "fw" / "u16.rules").write_bytes(GOOD.encode("utf-16"))  # with its byte order mark
    code8, out8, _ = run("check", "fw/gw.rules", "--format", "json", cwd=repo)
    code16, out16, _ = run("check", "fw/u16.rules", "--format", "json", cwd=repo)
    f8, f16 = json.loads(out8), json.loads(out16)
    assert code16 == code8 == 1
    assert [(f["id"], f["location"]["line"]) for f in f16["findings"]] == \
           [(f["id"], f["location"]["line"]) for f in f8["findings"]]
    assert f16["diagnostics"] == []
    (repo / "fw" / "bare.rules").write_bytes(GOOD.encode("utf-16-le"))  # no byte order mark
    code, _, err = run("check", "fw/bare.rules", cwd=repo)
    assert code == 2 and err.strip() == ("fwlint: error: fw/bare.rules: looks like UTF-16 without a byte order mark: "
                                         "save it as UTF-8")
    (repo / "fw" / "bom8.rules").write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert json.loads(run("check", "fw/bom8.rules", "--format", "json", cwd=repo)[1])["diagnostics"] == []


# --------------------------------------------------------------------------- identities


def test_paths_and_baselines_do_not_depend_on_the_working_directory(layout):
    repo, _ = layout
    code, _, _ = run("check", "fw", "--write-baseline", "baseline.json", cwd=repo)
    assert code == 0
    data = json.loads((repo / "baseline.json").read_text())
    assert {e["path"] for e in data["findings"]} == {"fw/gw.rules"}
    # from a subfolder: the same paths, the same fingerprints, and the baseline matches
    _, at_root, _ = run("check", "fw", "--format", "sarif", cwd=repo)
    _, in_sub, _ = run("check", ".", "--format", "sarif", cwd=repo / "fw")
    assert at_root == in_sub
    code, out, err = run("check", "gw.rules", "--baseline", "../baseline.json", cwd=repo / "fw")
    assert code == 0 and "findings are in the baseline" in err, out
    _, text, _ = run("check", "gw.rules", cwd=repo / "fw")
    assert text.startswith("fw/gw.rules:")


def test_sarif_uris_are_percent_encoded_with_a_base(layout):
    repo, _ = layout
    odd = repo / "fw" / "a b#c?d%.rules"
    odd.write_text(GOOD)
    _, out, _ = run("check", str(odd.relative_to(repo)), "--format", "sarif", cwd=repo)
    log = json.loads(out)
    loc = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc == {"uri": "fw/a%20b%23c%3Fd%25.rules", "uriBaseId": "%SRCROOT%"}
    assert log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"


# --------------------------------------------------------------------------- a hostile checkout


def test_a_hostile_checkout_as_ci_runs_it(layout):
    """Everything at once, as a CI job runs fwlint on a pull request: links out (a file, a
    folder, the configuration's inventory, an output file), an inventory aiming outside, a
    FIFO. fwlint ends (exit 2), refuses each, and no output holds a byte of the outside."""
    repo, outside = layout
    (outside / "victim.sarif").write_text("precious\n")
    fw = repo / "fw"
    (fw / "shadow.rules").symlink_to(outside / "secret.rules")
    (fw / "etc").symlink_to(outside)
    os.mkfifo(fw / "wait.rules")
    (repo / "fwlint.sarif").symlink_to(outside / "victim.sarif")
    _inventory(repo, "../outside/*.rules", "inv.yaml")
    (repo / ".fwlint.yaml").write_text("inventory: inv.yaml\npolicies: [exchange-2013]\nplatforms: {'**': iptables}\n")
    outs = []
    for args in (["check", "."], ["check", ".", "--format", "github"], ["check", "fw", "--no-config"],
                 ["check", ".", "--format", "sarif", "-o", "fwlint.sarif"],
                 ["check", "fw", "--no-config", "--format", "sarif", "-o", "report.sarif"]):
        proc = subprocess.run([sys.executable, "-m", "linter", *args], cwd=repo, capture_output=True, text=True,
                              timeout=300, env={**os.environ, "GITHUB_ACTIONS": ""})
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        outs += [proc.stdout, proc.stderr]
    outs.append((repo / "report.sarif").read_text())
    assert_quiet(*outs)
    assert (outside / "victim.sarif").read_text() == "precious\n"
    log = json.loads((repo / "report.sarif").read_text())
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_security_md_names_every_limit():
    """SECURITY.md and linter/limits.py stay in step: every bound is documented for users."""
    from linter import limits

    text = (ROOT / "SECURITY.md").read_text()
    names = [n for n in vars(limits) if n.startswith("MAX_")]
    assert len(names) >= 20
    undocumented = sorted(n for n in names if f"`{n}`" not in text)
    assert not undocumented, undocumented
    assert "--max-file-size" in text and f"{limits.MAX_FILE_BYTES // limits.MiB} MiB" in text


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_folder_named_outside_any_repository_confines_its_walk_to_itself(tmp_path, jobs):
    """A folder walked outside every repository is its own root, not its parent: a link in
    it to a file of a sibling folder is refused (with and without workers)."""
    walked, sibling, work = tmp_path / "walked", tmp_path / "sibling", tmp_path / "work"
    for d in (walked, sibling, work):
        d.mkdir()
    (sibling / "secret.rules").write_text(SECRET)
    (walked / "gw.rules").write_text(GOOD)
    (walked / "linked.rules").symlink_to(sibling / "secret.rules")
    code, out, err = run("check", "-j", jobs, "--no-cache", str(walked), cwd=work)
    assert code == 2 and "linked.rules" in err and "outside the repository root" in err, err
    assert_quiet(out, err)
    assert files.current().for_folder(walked).root == walked.resolve()
