"""Lark parsers built once and kept (linter/parsers.py): the saved parser is used the second
time, a damaged or foreign cache file is rebuilt without a word, FWLINT_NO_CACHE writes
nothing, concurrent writers leave one whole file, and results are the same with and without
the cache."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from linter import parsers
from linter.platforms import iptables, pf
from linter.platforms.cisco import ios as cisco_ios
from linter.platforms.cisco import asa as cisco_asa

from tests.shared import REPO as ROOT

# each platform's parser, asked for as the platform asks (its lru-cached _parser, unwrapped
# so that every call goes through linter.parsers) with a statement it must parse
PLATFORMS = {
    "iptables": (iptables, "iptables.lark"),
    "pf": (pf, "pf.lark"),
    "cisco_ios": (cisco_ios, "cisco_ios.lark"),
    "cisco_asa": (cisco_asa, "cisco_asa.lark"),
}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder of this test, and no parser kept in memory."""
    monkeypatch.setenv("FWLINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("FWLINT_NO_CACHE", raising=False)
    parsers.forget()
    yield tmp_path / "cache" / "parsers"
    parsers.forget()


def _parser(name: str):
    return PLATFORMS[name][0]._parser.__wrapped__()


def _saved(folder: Path, name: str) -> list[Path]:
    return sorted(folder.glob(Path(PLATFORMS[name][1]).stem + "-*.pickle"))


def _table(parser) -> dict:
    """The LALR table as plain text: state -> terminal -> (Shift, state) or (Reduce, rule).
    (A built parser names rules with lark Tokens, a loaded one with plain strings: equal as
    strings, so the text of a rule is compared, not its repr.)"""
    table = parser.parser.parser.parser.parse_table
    return {s: {k: (str(action), str(arg)) for k, (action, arg) in row.items()} for s, row in table.states.items()}


def _same_tables(a, b) -> bool:
    """Two LALR parsers with the same terminals, rules and parse table."""
    return (sorted(t.name for t in a.terminals) == sorted(t.name for t in b.terminals)
            and sorted(map(str, a.rules)) == sorted(map(str, b.rules))
            and _table(a) == _table(b))


@pytest.mark.parametrize("name", sorted(PLATFORMS))
def test_built_once_then_loaded_from_the_cache(cache, name):
    before = parsers.builds
    built = _parser(name)
    assert parsers.builds == before + 1
    [saved] = _saved(cache, name)
    assert saved.stat().st_mode & 0o777 == 0o600
    assert _parser(name) is built  # the same process keeps it in memory
    parsers.forget()  # as a new process would: nothing in memory, the file on disk
    loaded = _parser(name)
    assert parsers.builds == before + 1, "the saved parser was not used"
    assert loaded is not built and _same_tables(loaded, built)


def test_another_grammar_text_gets_a_file_of_its_own(cache, monkeypatch):
    _parser("iptables")
    original = parsers.grammar_text("iptables.lark")
    monkeypatch.setattr(parsers, "grammar_text", lambda name: original + "\n// edited\n")
    before = parsers.builds
    _parser("iptables")
    assert parsers.builds == before + 1  # the old file is not loaded for the edited grammar
    assert len(_saved(cache, "iptables")) == 2


def _damage_truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _damage_garbage(path: Path) -> None:
    data = path.read_bytes()
    header = data[: data.index(b"\n") + 1]
    path.write_bytes(header + b"\x80\x05not a pickle at all" * 50)


def _damage_empty(path: Path) -> None:
    path.write_bytes(b"")


def _damage_other_version(path: Path) -> None:
    # a file of an older layout under the same name (its header names another format)
    data = path.read_bytes()
    path.write_bytes(data.replace(parsers.FORMAT, b"fwlint-parser 0", 1))


def _damage_valid_pickle_of_something_else(path: Path) -> None:
    data = path.read_bytes()
    header = data[: data.index(b"\n") + 1]
    path.write_bytes(header + pickle.dumps({"data": {}, "memo": {}}))


@pytest.mark.parametrize("damage", [_damage_truncated, _damage_garbage, _damage_empty, _damage_other_version,
                                    _damage_valid_pickle_of_something_else])
def test_a_damaged_cache_file_is_rebuilt_silently(cache, damage, capfd):
    first = _parser("iptables")
    [saved] = _saved(cache, "iptables")
    damage(saved)
    parsers.forget()
    before = parsers.builds
    rebuilt = _parser("iptables")
    assert parsers.builds == before + 1
    # (two builds may number their LALR states differently: compare what they parse)
    for line in ("*filter", ":INPUT DROP [0:0]", "-A INPUT -p tcp -m multiport --dports 22,80 -j ACCEPT",
                 "-A INPUT ! -s 10.0.0.0/8 -m conntrack --ctstate NEW -j LOG --log-prefix x", "COMMIT"):
        sig = iptables._classify(iptables._split_words(line))
        assert rebuilt.parse(sig) == first.parse(sig)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    parsers.forget()  # the rebuilt parser was written back whole: the next process loads it
    _parser("iptables")
    assert parsers.builds == before + 1


def test_a_file_others_can_write_or_a_link_is_not_loaded(cache, tmp_path):
    _parser("iptables")
    [saved] = _saved(cache, "iptables")
    before = parsers.builds
    saved.chmod(0o666)
    parsers.forget()
    _parser("iptables")
    assert parsers.builds == before + 1
    elsewhere = tmp_path / "elsewhere.pickle"
    os.replace(_saved(cache, "iptables")[0], elsewhere)
    saved.symlink_to(elsewhere)
    parsers.forget()
    _parser("iptables")
    assert parsers.builds == before + 2


def test_a_file_larger_than_the_bound_is_not_loaded(cache, monkeypatch):
    _parser("iptables")
    [saved] = _saved(cache, "iptables")
    monkeypatch.setattr(parsers, "MAX_PARSER_CACHE_BYTES", saved.stat().st_size - 1)
    parsers.forget()
    before = parsers.builds
    _parser("iptables")
    assert parsers.builds == before + 1


def test_a_pickle_under_a_wrong_header_is_never_unpickled(cache, tmp_path):
    """A pickle runs code when it is loaded: a file whose header does not match the key is
    not opened as a pickle at all."""
    _parser("iptables")
    [saved] = _saved(cache, "iptables")
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    saved.write_bytes(b"fwlint-parser 1 0000\n" + pickle.dumps(Payload()))
    parsers.forget()
    _parser("iptables")
    assert not marker.exists()


def test_no_cache_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("FWLINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FWLINT_NO_CACHE", "1")
    parsers.forget()
    before = parsers.builds
    _parser("iptables")
    parsers.forget()
    _parser("iptables")
    assert parsers.builds == before + 2  # built each time: nothing kept on disk
    assert not (tmp_path / "cache").exists()
    # and the command line: a check writes no cache folder either
    cfg = tmp_path / "one.rules"
    cfg.write_text("*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n")
    env = {**os.environ, "FWLINT_CACHE_DIR": str(tmp_path / "cache"), "FWLINT_NO_CACHE": "1"}
    res = subprocess.run([sys.executable, "-m", "linter", "check", str(cfg)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert "FW004" in res.stdout
    assert not (tmp_path / "cache").exists()


def test_no_owner_to_check_no_cache(cache, monkeypatch):
    """Without os.getuid (Windows) a file's owner cannot be checked: parsers are built, and
    nothing is read or written."""
    monkeypatch.delattr(os, "getuid")
    before = parsers.builds
    _parser("iptables")
    parsers.forget()
    _parser("iptables")
    assert parsers.builds == before + 2
    assert not cache.exists()


def test_concurrent_writers_leave_one_whole_file(tmp_path):
    """Several processes building the same parser at once (pre-commit runs fwlint in
    parallel): every one gets a working parser, one whole file remains, no temporary file."""
    env = {**os.environ, "FWLINT_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("FWLINT_NO_CACHE", None)
    code = ("from linter.platforms.cisco import asa as cisco_asa\n"
            "p = cisco_asa._parser()\n"
            "print(type(p).__name__)\n")
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [o for o, _ in outs] == ["Lark\n"] * 4, [e for _, e in outs]
    folder = tmp_path / "cache" / "parsers"
    assert [p.name for p in folder.iterdir() if p.name.startswith(".tmp")] == []
    [saved] = folder.glob("cisco_asa-*.pickle")
    assert saved.stat().st_size > 1000
    # and the file is whole: a new process loads it without building
    res = subprocess.run([sys.executable, "-c", "from linter import parsers\nfrom linter.platforms.cisco import asa as cisco_asa\n"
                          "cisco_asa._parser()\nprint(parsers.builds)"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert res.stdout.strip() == "0", res.stderr


def test_stale_files_of_other_keys_are_removed(cache):
    _parser("iptables")
    cache.mkdir(parents=True, exist_ok=True)
    old = cache / ("iptables-" + "0" * 32 + ".pickle")
    recent = cache / ("iptables-" + "1" * 32 + ".pickle")
    tmp = cache / ".tmp-abandoned.pickle"
    for p in (old, recent, tmp):
        p.write_bytes(b"x")
    month_ago = os.stat(old).st_mtime - parsers.STALE_SECONDS - 60
    os.utime(old, (month_ago, month_ago))
    os.utime(tmp, (month_ago, month_ago))
    [current] = [p for p in _saved(cache, "iptables") if p not in (old, recent)]
    current.unlink()  # the next build writes it again, and sweeps
    parsers.forget()
    _parser("iptables")
    assert not old.exists() and not tmp.exists()
    assert recent.exists() and current.exists()


# the configurations of the examples and the annotated checks: every platform's grammar
CONFIGS = sorted(
    [p for p in (ROOT / "examples").rglob("*") if p.suffix in (".rules", ".conf", ".cfg")]
    + [p for p in (ROOT / "tests" / "checks" / "cases").rglob("*") if p.is_file()])

_DUMP = """
import json, sys
from linter import api, parsers
from linter.serialize import to_data
paths = sys.argv[1:]
models = {p: to_data(api.load(p)) for p in paths}
report = api.lint(paths)
findings = [(f.id, f.origin.path, f.origin.line, f.message, [r.origin.line for r in f.related],
             str(f.witness)) for f in report.findings]
print(json.dumps({"models": models, "findings": findings, "builds": parsers.builds}, sort_keys=True, default=str))
"""


def test_results_are_the_same_with_and_without_the_cache(tmp_path):
    assert {p.suffix for p in CONFIGS} >= {".rules", ".conf", ".cfg"}
    platforms = set()

    def run(**env_extra) -> dict:
        env = {**os.environ, "FWLINT_CACHE_DIR": str(tmp_path / "cache"), **env_extra}
        if "FWLINT_NO_CACHE" not in env_extra:
            env.pop("FWLINT_NO_CACHE", None)
        res = subprocess.run([sys.executable, "-c", _DUMP, *map(str, CONFIGS)], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stderr[-2000:]
        return json.loads(res.stdout)

    without = run(FWLINT_NO_CACHE="1")
    cold = run()  # builds and writes
    written = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache" / "parsers").glob("*.pickle")}
    warm = run()  # loads
    platforms = {m["platform"] for m in without["models"].values()}
    assert platforms == {"iptables", "pf", "cisco-ios", "cisco-asa"}
    assert len(written) == 4
    assert without["builds"] == cold["builds"] == 4 and warm["builds"] == 0
    assert {p: p.stat().st_mtime_ns for p in written} == written  # read, not rewritten
    assert without["findings"], "no findings at all: the comparison would be vacuous"
    for mode in (cold, warm):
        assert mode["models"] == without["models"]
        assert mode["findings"] == without["findings"]
