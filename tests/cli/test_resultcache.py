"""Per-file results kept between runs (linter/resultcache.py): a second run of an unchanged
file takes them instead of parsing and checking it again, with the same output; any change
of the file, of fwlint or of an option that changes the result is a miss; a result that
depends on other files, or a run with an inventory, is never kept; a damaged or foreign
entry is a miss; the folder is bounded; --no-cache and FWLINT_NO_CACHE keep nothing."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter import api, limits, resultcache
from linter.cli import main

from tests.shared import REPO

PKG = REPO / "linter"
RULES = ("*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n"
         "-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j ACCEPT\nCOMMIT\n")


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("FWLINT_CACHE_DIR", str(folder))
    monkeypatch.delenv("FWLINT_NO_CACHE", raising=False)
    return folder / "results"


@pytest.fixture
def checked(monkeypatch) -> list[str]:
    """The devices the FW checks actually ran on (a cache hit runs none)."""
    calls: list[str] = []
    real = api.run_checks

    def counting(device, enabled=None, analysis=None):
        calls.append(device.name)
        return real(device, enabled, analysis)

    monkeypatch.setattr(api, "run_checks", counting)
    return calls


def _cli(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, ["check", *args, "-j", "1"], catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.result")) if folder.is_dir() else []


def test_second_run_takes_the_kept_result(tmp_path, cache, checked):
    cfg = tmp_path / "fw.rules"
    cfg.write_text(RULES)
    for fmt in ("text", "json", "sarif"):
        first = _cli(str(cfg), "--format", fmt)
        assert first[0] == 1
        assert _cli(str(cfg), "--format", fmt) == first
    assert len(_entries(cache)) == 1
    assert checked == ["fw.rules"]  # parsed and checked once, for every format


def test_same_output_as_without_the_cache_on_the_corpus_sample(tmp_path, cache):
    from tests.cli.test_jobs import _corpus_files

    folder = tmp_path / "fw"
    folder.mkdir()
    for n, src in enumerate(_corpus_files()):
        (folder / f"{n:02d}-{src.name}").write_bytes(src.read_bytes())
    without = _cli(str(folder), "--format", "json", "--no-cache")
    assert not _entries(cache)
    assert _cli(str(folder), "--format", "json") == without  # (kept)
    assert _entries(cache)
    assert _cli(str(folder), "--format", "json") == without  # (taken)


def test_a_change_of_the_file_or_the_options_is_a_miss(tmp_path, cache, checked):
    cfg = tmp_path / "fw.rules"
    cfg.write_text(RULES)
    _cli(str(cfg))
    cfg.write_text(RULES.replace("22", "23"))
    assert "23" in _cli(str(cfg), "--format", "json")[1]
    _cli(str(cfg), "--select", "FW001")
    _cli(str(cfg), "--platform", "iptables")
    _cli(str(cfg), "--allow-outside-root")
    assert len(checked) == 5 and len(_entries(cache)) == 5
    _cli(str(cfg), "--select", "FW001")
    assert len(checked) == 5


def test_the_key_follows_fwlint_code(monkeypatch):
    run = resultcache.RunKey("/repo", False, ("FW001",))
    before = resultcache.key(b"x", "fw.rules", None, run)
    assert resultcache.key(b"x", "fw.rules", None, run) == before
    assert resultcache.key(b"y", "fw.rules", None, run) != before
    assert resultcache.key(b"x", "other.rules", None, run) != before
    assert resultcache.key(b"x", "fw.rules", None, resultcache.RunKey("/repo", False, ("FW002",))) != before
    monkeypatch.setattr(resultcache, "code_fingerprint", lambda: "another fwlint")
    assert resultcache.key(b"x", "fw.rules", None, run) != before


def test_the_code_fingerprint_sees_a_changed_file(tmp_path, monkeypatch):
    """A development checkout: a package file touched changes the fingerprint."""
    pkg = tmp_path / "linter"
    pkg.mkdir()
    (pkg / "a.py").write_text("x = 1\n")
    fake = pkg / "resultcache.py"
    fake.write_text("")
    monkeypatch.setattr(resultcache, "__file__", str(fake))
    resultcache.code_fingerprint.cache_clear()
    try:
        one = resultcache.code_fingerprint()
        (pkg / "a.py").write_text("x = 22\n")
        resultcache.code_fingerprint.cache_clear()
        assert resultcache.code_fingerprint() != one
    finally:
        resultcache.code_fingerprint.cache_clear()


def test_pf_files_that_read_other_files_are_never_kept(tmp_path, cache):
    inc = tmp_path / "extra.conf"
    inc.write_text("pass in proto tcp to port 80\n")
    main_conf = tmp_path / "pf.conf"
    main_conf.write_text(f'block all\ninclude "{inc}"\n')
    before = _cli(str(main_conf), "--allow-outside-root", "--format", "json")[1]
    alone = tmp_path / "alone.conf"
    alone.write_text("block all\npass in proto tcp to port 22\n")
    _cli(str(alone))
    assert len(_entries(cache)) == 1  # alone.conf only
    # the included file changes (a rule made redundant): the result follows it
    inc.write_text("pass in proto tcp to port 80\npass in proto tcp to port 80\n")
    after = _cli(str(main_conf), "--allow-outside-root", "--format", "json")[1]
    assert '"FW001"' in after and '"FW001"' not in before


def test_only_platforms_that_read_nothing_else_are_cached_whole():
    """resultcache.SELF_CONTAINED names the platforms whose reader opens no other file: a
    platform module that uses linter.files (pf: include, table files) must not be in it."""
    readers = set()
    for path in (PKG / "platforms").rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
        if "files" in names:
            # a platform module, or a platform package (any of its modules)
            readers.add(path.relative_to(PKG / "platforms").with_suffix("").parts[0])
    assert "pf" in readers  # (the test would pass vacuously if it found none)
    from linter.platforms import PLATFORMS

    modules = {name: PLATFORMS[name].rsplit(".", 1)[-1] for name in PLATFORMS}
    assert not {name for name in resultcache.SELF_CONTAINED if modules[name] in readers}
    assert resultcache.SELF_CONTAINED | {"pf"} == set(PLATFORMS)


def test_a_run_with_an_inventory_keeps_nothing(tmp_path, cache):
    from tests.cli.test_jobs import _exchange_inventory

    inv = _exchange_inventory(tmp_path)
    _cli("--policy", "exchange-2013", "--inventory", str(inv))
    assert not _entries(cache)


def test_no_cache_flag_and_environment_keep_nothing(tmp_path, cache, monkeypatch):
    cfg = tmp_path / "fw.rules"
    cfg.write_text(RULES)
    _cli(str(cfg), "--no-cache")
    assert not cache.exists() or not _entries(cache)
    monkeypatch.setenv("FWLINT_NO_CACHE", "1")
    _cli(str(cfg))
    assert not cache.exists() or not _entries(cache)


def test_a_damaged_or_foreign_entry_is_a_miss(tmp_path, cache, checked):
    cfg = tmp_path / "fw.rules"
    cfg.write_text(RULES)
    first = _cli(str(cfg), "--format", "json")
    (entry,) = _entries(cache)
    entry.write_bytes(entry.read_bytes()[:100])  # truncated
    assert _cli(str(cfg), "--format", "json") == first
    assert len(checked) == 2
    entry.chmod(0o666)  # writable by others: not loaded (and replaced)
    os.chmod(entry, 0o666)
    assert _cli(str(cfg), "--format", "json") == first
    assert len(checked) == 3
    target = tmp_path / "elsewhere.result"
    target.write_bytes(entry.read_bytes())
    entry.unlink()
    entry.symlink_to(target)  # a link: not followed
    assert _cli(str(cfg), "--format", "json") == first
    assert len(checked) == 4


def test_the_folder_is_bounded(tmp_path, cache, monkeypatch):
    def write(i: int) -> Path:
        cfg = tmp_path / f"fw{i}.rules"
        cfg.write_text(RULES.replace("22", str(1000 + i)))
        _cli(str(cfg))
        return cfg

    write(0)
    (first,) = _entries(cache)
    # room for four entries and a half (an entry larger than a quarter of the bound is not kept)
    bound = first.stat().st_size * 9 // 2
    monkeypatch.setattr(limits, "MAX_RESULT_CACHE_BYTES", bound)
    for i in range(1, 12):
        write(i)
        assert sum(p.stat().st_size for p in _entries(cache)) <= bound
    assert 3 <= len(_entries(cache)) <= 4
    assert not first.exists()  # the oldest went first
    before = set(_entries(cache))
    write(11)  # the last one is still there: taken, nothing written
    assert set(_entries(cache)) == before


def test_workers_keep_results_and_unchanged_files_need_none(tmp_path, cache, monkeypatch):
    for i in range(4):
        (tmp_path / f"fw{i}.rules").write_text(RULES.replace("22", str(2000 + i)))
    r1 = CliRunner().invoke(main, ["check", str(tmp_path), "-j", "2", "--format", "json"])
    kept = set(_entries(cache))
    assert len(kept) == 4  # (written by the workers)
    from linter import parallel

    def no_workers(*args, **kwargs):  # pragma: no cover - called only on failure
        raise AssertionError("a worker was started for files whose results are kept")

    monkeypatch.setattr(parallel, "_Worker", no_workers)
    r2 = CliRunner().invoke(main, ["check", str(tmp_path), "-j", "2", "--format", "json"])
    assert (r1.exit_code, r1.stdout) == (r2.exit_code, r2.stdout)
    assert set(_entries(cache)) == kept
