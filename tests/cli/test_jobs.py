"""`fwlint check -j N`: files (and the devices of an inventory) checked in worker processes
give the report one process gives, byte for byte, in every format; the progress callback
counts every file once; a worker that dies or fails is one line, never a traceback or a
hang; Ctrl-C stops the workers."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from linter import api
from linter.cli import main
from linter.policy import load_inventory, load_pack
from linter.policy import evaluate as ev_mod

from tests.policy import test_exchange_pack as ex_ipt
from tests.policy import test_exchange_pack_asa as ex_asa
from tests.policy import test_exchange_pack_ios as ex_ios
from tests.policy import test_exchange_pack_pf as ex_pf
from tests.policy.exchange_cases import NO_EDGE, ex_ids
from tests.policy.exchange_cases import inventory as exchange_inventory
from tests.shared import REPO as ROOT, shared_dir

BENCH = ROOT / "bench"

# a few real configurations of every platform (small ones: the test is about the plumbing)
CORPUS_PICKS = {
    "iptables": ["net-network", "netfilter"],
    "pf": ["openbsd-examples", "freebsd-examples"],
    "cisco-ios": ["batfish", "fwbuilder"],
    "cisco-asa": ["batfish", "fwbuilder"],
}


def _corpus_files(limit_per_folder: int = 2) -> list[Path]:
    out = []
    for platform, folders in CORPUS_PICKS.items():
        for folder in folders:
            base = shared_dir("corpus", platform) / folder
            picks = sorted((p for p in base.rglob("*") if p.is_file() and p.stat().st_size < 20_000
                            and p.suffix.lower() not in (".md", ".txt", ".json", ".yaml", ".yml")),
                           key=lambda p: str(p))
            out.extend(picks[:limit_per_folder])
    return out


@pytest.fixture
def mixed_folder(tmp_path: Path, tmp_path_factory) -> Path:
    """A folder of every platform, with a file partly not understood, a suppression, a
    FIFO (not a regular file), a link out of the folder (refused), and a pf include out of
    the folder (refused inside the reader)."""
    folder = tmp_path / "fw"
    folder.mkdir()
    picks = _corpus_files()
    assert len(picks) >= 12, picks
    for n, src in enumerate(picks):
        shutil.copyfile(src, folder / f"{n:02d}-{src.parent.name}-{src.name}")
    outside = tmp_path_factory.mktemp("outside")  # (a walk of fw/ outside any repository is confined to tmp_path)
    (outside / "secret.rules").write_text("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n")
    (outside / "extra.conf").write_text("pass in all\n")
    (folder / "link.rules").symlink_to(outside / "secret.rules")
    os.mkfifo(folder / "pipe.rules")
    (folder / "half.rules").write_text("*filter\n:INPUT DROP [0:0]\nthis is not a rule\n"
                                       "-A INPUT -p tcp --dport 22 -j ACCEPT\n"
                                       "-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n")
    (folder / "suppressed.rules").write_text(
        "*filter\n:INPUT DROP [0:0]\n-A INPUT -j ACCEPT\n"
        "# fwlint: disable=FW001 -- kept on purpose\n-A INPUT -p tcp --dport 80 -j ACCEPT\nCOMMIT\n")
    (folder / "pf.conf").write_text(f'include "{outside / "extra.conf"}"\nblock all\npass in proto tcp to port 22\n'
                                    "pass in proto tcp to port 22\n")
    (folder / "README.md").write_text("not a configuration\n")
    (folder / "notes.txt").write_text("nothing to see\n")
    return folder


def _cli(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_same_output_with_and_without_workers(mixed_folder, fmt):
    one = _cli("check", str(mixed_folder), "--format", fmt, "-v", "-j", "1")
    assert one[0] == 2  # the FIFO and the link are errors: the answer is incomplete
    assert "refused" in one[2] and "named pipe" in one[2]
    for jobs in ("2", "3"):
        assert _cli("check", str(mixed_folder), "--format", fmt, "-v", "-j", jobs) == one


def test_same_output_with_select_severities_baseline_and_exit_codes(mixed_folder, tmp_path):
    (mixed_folder / "pipe.rules").unlink()
    (mixed_folder / "link.rules").unlink()
    config = tmp_path / "fwlint.yaml"
    config.write_text("severity:\n  FW002: error\n  FW006: 'off'\nfail-on: error\n")
    baseline = tmp_path / "baseline.json"
    code, _, _ = _cli("check", str(mixed_folder), "--write-baseline", str(baseline), "-j", "1")
    assert code == 0 and baseline.exists()
    (mixed_folder / "new.rules").write_text("*filter\n:INPUT DROP [0:0]\n-A INPUT -j ACCEPT\n"
                                            "-A INPUT -p udp -j ACCEPT\nCOMMIT\n")
    variants = [
        ("--select", "FW001,FW002,FW007"),
        ("--config", str(config)),
        ("--baseline", str(baseline)),
        ("--ignore", "FW007", "--fail-on", "note"),
    ]
    for extra in variants:
        one = _cli("check", str(mixed_folder), "--format", "json", *extra, "-j", "1")
        two = _cli("check", str(mixed_folder), "--format", "json", *extra, "-j", "2")
        assert one == two, extra
        assert one[0] in (0, 1)
    assert _cli("check", str(mixed_folder), "--baseline", str(baseline), "-j", "2")[1].count("new.rules") >= 1


def test_progress_counts_every_file_across_workers(mixed_folder):
    calls: list[tuple[str, int]] = []
    named = mixed_folder / "half.rules"
    report = api.lint([mixed_folder, named], api.LintOptions(jobs=2, progress=lambda p, n: calls.append((p, n))))
    walked = [p for p, _explicit, _c in api.iter_files([mixed_folder])]
    assert sorted(p for p, _ in calls) == sorted([str(p) for p in walked] + [str(named)])
    assert {n for _, n in calls} == {len(walked) + 1}
    assert report.devices and report.errors


def test_confinement_holds_in_workers(mixed_folder):
    """The refusals are made inside the workers, from the confinement they are given; with
    --allow-outside-root the link is read there too."""
    (mixed_folder / "pipe.rules").unlink()
    code, out, err = _cli("check", str(mixed_folder), "--format", "json", "-j", "2")
    assert code == 2 and "link.rules: refused" in err
    code2, out2, err2 = _cli("check", str(mixed_folder), "--format", "json", "-j", "2", "--allow-outside-root")
    assert "refused" not in err2 and '"link.rules"' not in out2
    assert (code2, out2, err2) == _cli("check", str(mixed_folder), "--format", "json", "-j", "1",
                                       "--allow-outside-root")


# --------------------------------------------------------------------------- the packs


def _merged(cases: dict, profile: dict) -> dict:
    """Every modification of the platform's Exchange cases for this profile, in one."""
    out: dict = {}
    for case_profile, mods, _severity in cases.values():
        if case_profile != profile:
            continue
        for key, value in mods.items():
            if isinstance(value, dict):
                for acl, entries in value.items():
                    out.setdefault(key, {}).setdefault(acl, []).extend(entries)
            elif isinstance(value, str):
                out[key] = out.get(key, "") + value
            else:
                out.setdefault(key, []).extend(value)
    return out


def _exchange_inventory(tmp_path: Path) -> Path:
    """Devices of four platforms in series between the same roles: every Exchange case of the
    profile in each (drops, accepts, translations), and one more that only opens flows, so
    that allow, unaltered and restrict findings rest on several devices."""
    profile = NO_EDGE
    builders = [("router.rules", ex_ipt.ruleset, ex_ipt.CASES, ex_ipt.NAMES),
                ("pf.conf", ex_pf.ruleset, ex_pf.CASES, ex_pf.NAMES),
                ("r1.cfg", ex_ios.config, ex_ios.CASES, ex_ios.NAMES),
                ("asa1.cfg", ex_asa.config, ex_asa.CASES, ex_asa.NAMES),
                ("open.rules", ex_ipt.ruleset, {k: (p, {"accept": m["accept"]}, sev) for k, (p, m, sev)
                                                in ex_ipt.CASES.items() if "accept" in m}, ex_ipt.NAMES)]
    devices = []
    inv: dict = {}
    for name, build, cases, names in builders:
        (tmp_path / name).write_text(build(profile, **_merged(cases, profile)))
        inv = exchange_inventory(profile, name, names)
        devices += inv["devices"]
    inv["devices"] = devices
    (tmp_path / "inv.yaml").write_text(yaml.safe_dump(inv))
    return tmp_path / "inv.yaml"


def test_pack_results_equal_with_workers(tmp_path):
    inv = _exchange_inventory(tmp_path)
    reports = [api.lint([], api.LintOptions(policies=["exchange-2013"], inventory=str(inv), jobs=jobs))
               for jobs in (1, 2)]
    one, two = reports
    kinds = {load_pack("exchange-2013").by_id(f.id)[0].expect for f in one.findings if f.id.startswith("EX")}
    # the test means something only if every kind of expectation found something
    assert {"allow", "unaltered", "note-if-open"} <= kinds, kinds
    assert one.findings == two.findings
    assert one.suppressed == two.suppressed
    assert (one.not_checked, one.notes, one.diagnostics, one.errors) == (two.not_checked, two.notes,
                                                                         two.diagnostics, two.errors)
    assert one.devices == two.devices


def test_pack_output_equal_on_the_command_line(tmp_path):
    inv = _exchange_inventory(tmp_path)
    for fmt in ("text", "sarif"):
        one = _cli("check", "--policy", "exchange-2013", "--inventory", str(inv), "--format", fmt, "-j", "1")
        assert one[0] == 1 and "EX" in one[1]
        assert _cli("check", "--policy", "exchange-2013", "--inventory", str(inv), "--format", fmt, "-j", "2") == one


def test_pack_progress_counts_each_device_once(tmp_path):
    inv = _exchange_inventory(tmp_path)
    calls: list[str] = []
    api.lint([], api.LintOptions(policies=["exchange-2013"], inventory=str(inv), jobs=2,
                                 select=set(ex_ids()), progress=lambda p, n: calls.append(p)))
    paths = [p for e in yaml.safe_load(inv.read_text())["devices"] for p in [e["path"]]]
    assert len(calls) == len(paths) and {Path(p).name for p in calls} == set(paths)


def test_restrict_sets_cross_processes_unchanged(tmp_path):
    """The per-device sets a worker sends back (a table of nodes) are the same functions in
    the parent's space: exported again from there, the table is the same."""
    inv_path = _exchange_inventory(tmp_path)
    packs = [load_pack("exchange-2013")]
    inv = load_inventory(str(inv_path), packs)
    devices = {p: api.load(p) for e in inv.devices for p in e.paths}
    worker, parent = ev_mod.Evaluator(inv, devices), ev_mod.Evaluator(inv, devices)
    s = worker.space
    some = [s.false, s.true, s.universe, ~s.universe,
            s.addr_range("dst", 4, 0x0A000100, 0x0A0001FF) & ~s.cond(api.m.IntCond(api.m.DPORT, ((25, 25),))),
            s.iface(api.m.IN_IFACE, ("eth1",)) | s.family(6)]
    table = ev_mod._export_sets(some)
    back = ev_mod._import_sets(parent.space, table)
    assert ev_mod._export_sets(back) == table
    assert [parent.space.count(x) for x in back] == [s.count(x) for x in some]
    assert back[0] == parent.space.false and back[1] == parent.space.true and back[2] == parent.space.universe


def test_an_alteration_is_reported_once_across_devices():
    """(unaltered) two devices sharing a file (a pf include) report its alteration once, at
    the first device, as one pass over the devices does."""
    origin = api.m.Origin("shared.conf", 3, 1, "scrub in all")
    finding = ev_mod.stamp("EX103", "error", ev_mod.Result(origin, "alters"))
    other = dataclasses.replace(finding, message="alters too")
    parts = [ev_mod._DevicePart(findings=[(finding, ("EX103", origin))]),
             ev_mod._DevicePart(findings=[(other, ("EX103", origin)), (other, None)])]
    out = ev_mod.Evaluation()
    ev_mod._merge(parts, ["a", "b"], [], out)
    assert out.findings == [finding, other]


# --------------------------------------------------------------------------- failures


def _dies_on_half(item):
    settings, task = item
    if task.path.name == "half.rules":
        os.kill(os.getpid(), signal.SIGKILL)
    return _real_check_file(item)


def _fails_on_half(item):
    settings, task = item
    if task.path.name == "half.rules":
        raise ValueError("a bug")
    return _real_check_file(item)


_real_check_file = api._check_file


def test_a_worker_that_dies_is_one_line_naming_its_file(mixed_folder, monkeypatch):
    monkeypatch.setattr(api, "_check_file", _dies_on_half)  # (the workers are forked: they see it)
    code, out, err = _cli("check", str(mixed_folder), "-j", "2")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "half.rules: not checked" in err and "SIGKILL" in err


def test_a_bug_in_a_worker_is_an_internal_error_in_one_line(mixed_folder, monkeypatch):
    monkeypatch.setattr(api, "_check_file", _fails_on_half)
    code, out, err = _cli("check", str(mixed_folder), "-j", "2")
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("fwlint: internal error: ValueError at test_jobs.py:")
    monkeypatch.setenv("FWLINT_DEBUG", "1")
    code, out, err = _cli("check", str(mixed_folder), "-j", "2")
    assert code == 2 and "Traceback" in err and "a bug" in err


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc (Linux) to find the workers")
def test_ctrl_c_stops_the_workers(tmp_path):
    sys.path.insert(0, str(BENCH))
    try:
        import gen_iptables
    finally:
        sys.path.remove(str(BENCH))
    for seed in range(8):  # enough work that the workers are still busy when Ctrl-C comes
        gen_iptables.generate(4000, str(tmp_path / f"r{seed}.rules"), seed, "realistic")
    # (--no-cache: results kept by an earlier run of the same files would leave no work to stop)
    proc = subprocess.Popen([sys.executable, "-m", "linter", "check", str(tmp_path), "-j", "2", "--no-cache"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(_children(proc.pid)) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        workers = _children(proc.pid)
        assert len(workers) == 2, "the workers did not start"
        time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the whole process group
        out, err = proc.communicate(timeout=30)  # budget against a hang, not a timing
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 1 and "Aborted!" in err.decode()
    assert "Traceback" not in err.decode()
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()


def test_one_file_needs_no_worker(monkeypatch, tmp_path):
    cfg = tmp_path / "one.rules"
    cfg.write_text("*filter\n:INPUT DROP [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n")
    from linter import parallel

    def no_workers(*args, **kwargs):  # pragma: no cover - called only on failure
        raise AssertionError("a worker was started for one file")

    monkeypatch.setattr(parallel, "_Worker", no_workers)
    assert _cli("check", str(cfg), "-j", "4")[0] == 1


def test_the_pre_commit_hook_leaves_the_cores_to_fwlint():
    """pre-commit's own parallel batches would each start -j workers: the hook is serial."""
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["fwlint"]["require_serial"] is True and "-j" not in hooks["fwlint"]["entry"]
