"""The benchmark's own machinery: bench/run.py --targets and bench/table.py.

No timing is asserted (timings are measurements, not tests): these check that a target run
writes the JSON table.py reads, that rows whose inputs are missing say "not available"
instead of failing, and that the README section is a deterministic, idempotent function of
the JSON. The run.py tests start real child processes (fwlint --version, a one-rule check,
iptables-restore when root) and take a few seconds."""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.shared import REPO

BENCH = REPO / "bench"


def load_bench(name: str):
    """bench/NAME.py as a module (bench/ is not a package; run.py puts bench/ on the path)."""
    spec = importlib.util.spec_from_file_location(f"fwlint_bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


table = load_bench("table")
run = load_bench("run")


def sample_report() -> dict:
    """A report as run.py --targets writes it, with one row of each kind."""
    def measured(status, seconds=None, peak=None, error="", label="fwlint check"):
        return {"label": label, "argv": ["fwlint"], "samples": [], "status": status, "seconds": seconds,
                "peak_bytes": peak, "error": error}

    def row(id_, title, target, fw, ref=None, ratio=None, verdict="met", group=None, rules=None, note="",
            stretch=None):
        return {"id": id_, "group": group or id_, "title": title, "target": target, "rules": rules,
                "files": [], "file_count": 0, "bytes": 0, "note": note, "fwlint": fw, "reference": ref,
                "ratio": ratio, "verdict": verdict, "missed": [], "stretch": stretch}

    return {
        "schema": 1,
        "machine": {"cores": 2, "cpu": "AMD EPYC", "system": "Linux 6.1", "python": "3.11.7", "dd": "0.6.0",
                    "lark": "1.3.1", "iptables": "iptables v1.8.9 (nf_tables)", "fwlint": "0.1.0",
                    "generator_version": 5, "git_commit": "050fd1fa52ef9198941971c63ffb2654d97d11ed+changes",
                    "date": "2026-12-07T21:42:11Z", "load_average": [0.5, 0.4, 0.3]},
        "options": {"timeout": 300.0, "repeat": 3, "repeat_below": 60.0, "seed": 2013},
        "note": "2-core machine shared with other sessions",
        "rows": [
            row("version", "`fwlint --version`", {"text": "≤ 0.15 s", "seconds": 0.15, "peak_bytes": None},
                measured("ok", 0.12, 22 * 2 ** 20)),
            row("tum-2014-07-25", "TUM ruleset 2014-07-25", {"text": "≤ 1.5 s, ≤ 300 MiB", "seconds": 1.5,
                                                              "peak_bytes": 300 * 2 ** 20},
                measured("ok", 3.9, 160 * 2 ** 20),
                measured("ok", 0.07, 8 * 2 ** 20, label="iptables-restore --test"), ratio=55.7,
                verdict="missed", group="tum", rules=4140, note="MAC addresses replaced for iptables-restore"),
            row("ipv6-6000", "IPv6 ruleset, 6,000 rules", {"text": "≤ 2 s", "seconds": 2.0, "peak_bytes": None},
                measured("ok", 1.5, 100 * 2 ** 20),
                measured("ok", 0.3, 9 * 2 ** 20, label="ip6tables-restore --test"), ratio=5.0),
            row("realistic-100000", "realistic, 100,000 rules | big",
                {"text": "≤ 20 s, ≤ 2 GiB", "seconds": 20.0, "peak_bytes": 2 * 2 ** 30},
                measured("timed out", 300.2, 5 * 2 ** 30, error="timed out after 300 s"),
                measured("ok", 1.25, 30 * 2 ** 20, label="iptables-restore --test"), verdict="timed out",
                stretch={"text": "≤ 10× iptables-restore --test", "ratio": 10.0, "verdict": "not available"}),
            row("exchange-200", "Exchange pack, 200 devices", {"text": "≤ 70 s", "seconds": 70.0,
                                                               "peak_bytes": None},
                measured("not available", error="not available (`fwlint check --help` lists no -j)"),
                verdict="not available"),
        ],
    }


README_TEXT = f"""# project

## Performance

Intro that stays.

{table.BEGIN}
an old table
{table.END}

After the table.
"""


def test_table_renders_every_kind_of_row_between_the_markers():
    section = table.render(sample_report())
    new = table.replace_section(README_TEXT, section)
    head, rest = new.split(table.BEGIN)
    generated, tail = rest.split(table.END)
    assert head == README_TEXT.split(table.BEGIN)[0]
    assert tail == README_TEXT.split(table.END)[1]
    assert "an old table" not in new
    lines = generated.splitlines()
    assert "| `fwlint --version` | 0.120 s | 22 MiB | — | — | ≤ 0.15 s | met |" in lines
    assert ("| TUM ruleset 2014-07-25 (4,140 rules) | 3.90 s | 160 MiB | 0.070 s | 56× | ≤ 1.5 s, ≤ 300 MiB "
            "| **missed** |") in lines
    assert "| IPv6 ruleset, 6,000 rules | 1.50 s | 100 MiB | 0.300 s (ip6tables-restore) | 5× | ≤ 2 s | met |" \
        in lines
    # a | in a title must not split the row; a timed-out row says after how long
    assert ("| realistic, 100,000 rules \\| big | timed out (> 300 s) | ≥ 5.00 GiB | 1.25 s | — | ≤ 20 s, ≤ 2 GiB "
            "(stretch ≤ 10× iptables-restore --test) | **timed out** |") in lines
    assert ("| Exchange pack, 200 devices | not available | — | — | — | ≤ 70 s | not available "
            "(`fwlint check --help` lists no -j) |") in lines
    machine = next(ln for ln in lines if ln.startswith("Measured "))
    assert "2026-12-07 on 2 cores (AMD EPYC)" in machine
    assert "commit `050fd1fa52ef+changes`" in machine and "generator version 5" in machine
    assert machine.endswith("2-core machine shared with other sessions.")
    assert "Note: MAC addresses replaced for iptables-restore." in lines


def test_table_is_deterministic_and_idempotent():
    report = sample_report()
    once = table.replace_section(README_TEXT, table.render(report))
    assert table.render(copy.deepcopy(report)) == table.render(report)
    assert table.replace_section(once, table.render(report)) == once


def test_table_command_updates_the_readme_once(tmp_path):
    data = tmp_path / "targets.json"
    data.write_text(json.dumps(sample_report()), encoding="utf-8")
    readme = tmp_path / "README.md"
    readme.write_text(README_TEXT, encoding="utf-8")
    assert table.main([str(data), "--readme", str(readme)]) == 0
    first = readme.read_text(encoding="utf-8")
    assert first != README_TEXT and "| `fwlint --version` | 0.120 s" in first
    assert table.main([str(data), "--readme", str(readme)]) == 0
    assert readme.read_text(encoding="utf-8") == first


@pytest.mark.parametrize("text", ["no markers at all\n",
                                  f"{table.END}\nreversed\n{table.BEGIN}\n",
                                  f"{table.BEGIN}\n{table.END}\n{table.BEGIN}\n{table.END}\n"])
def test_table_refuses_a_readme_without_one_pair_of_markers(tmp_path, text):
    with pytest.raises(table.MarkerError):
        table.replace_section(text, "x\n")
    data = tmp_path / "targets.json"
    data.write_text(json.dumps(sample_report()), encoding="utf-8")
    readme = tmp_path / "README.md"
    readme.write_text(text, encoding="utf-8")
    assert table.main([str(data), "--readme", str(readme)]) == 2
    assert readme.read_text(encoding="utf-8") == text


def test_the_readme_has_the_markers_in_its_performance_section():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    table.replace_section(text, "x\n")  # raises without exactly one pair
    performance = text.split("## Performance", 1)[1].split("\n## ", 1)[0]
    assert table.BEGIN in performance and table.END in performance


def run_targets(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "targets.json"
    p = subprocess.run([sys.executable, str(BENCH / "run.py"), "--targets", "--json-out", str(out),
                        "--dir", str(tmp_path / "files"), "--repeat", "1", *args],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return p, json.loads(out.read_text(encoding="utf-8"))


MACHINE_KEYS = {"cores", "cpu", "system", "python", "dd", "lark", "iptables", "fwlint", "generator_version",
                "git_commit", "date", "load_average", "load_average_end"}
ROW_KEYS = {"id", "group", "title", "target", "rules", "files", "file_count", "bytes", "note", "fwlint",
            "reference", "ratio", "verdict", "missed", "stretch"}


def test_targets_run_of_two_rows_writes_the_json_table_py_reads(tmp_path):
    _, report = run_targets(tmp_path, "--only", "version,one-rule", "--timeout", "60")
    assert MACHINE_KEYS <= set(report["machine"])
    assert report["machine"]["cores"] >= 1
    assert report["machine"]["generator_version"] == run.gen_iptables.VERSION
    assert [r["id"] for r in report["rows"]] == ["version", "one-rule"]
    for row in report["rows"]:
        assert ROW_KEYS <= set(row)
        assert row["fwlint"]["status"] == "ok", row["fwlint"]
        assert row["fwlint"]["seconds"] > 0 and row["fwlint"]["peak_bytes"] > 0
        assert row["verdict"] in ("met", "missed")
    version, one_rule = report["rows"]
    assert version["reference"] is None
    assert one_rule["rules"] == 1
    assert one_rule["reference"]["status"] in ("ok", "not available")
    section = table.render(report)
    assert section.count("\n| ") == 3  # the header and two rows


def test_a_row_over_its_timeout_is_killed_and_the_run_goes_on(tmp_path):
    # 10 ms: no Python starts that fast, so the run must be killed, and still reported
    _, report = run_targets(tmp_path, "--only", "version,help", "--timeout", "0.01")
    assert [r["verdict"] for r in report["rows"]] == ["timed out", "timed out"]
    assert report["rows"][0]["fwlint"]["error"].startswith("timed out after")


def test_rows_without_their_corpus_say_not_available(tmp_path):
    p, report = run_targets(tmp_path, "--only", "tum", "--shared", str(tmp_path / "no-shared"))
    (row,) = report["rows"]
    assert row["verdict"] == "not available"
    assert row["fwlint"]["error"].startswith("corpus not available")
    assert "corpus not available" in p.stdout


def context(tmp_path: Path, help_text: str | None = None):
    ctx = run.Context(repo=REPO, directory=tmp_path, shared=tmp_path / "shared", seed=2013, timeout=30,
                      repeat=1, repeat_below=60, cache_root=tmp_path / "cache")
    if help_text is not None:
        ctx.fwlint_help["check"] = help_text
    return ctx


def test_ipv6_row_without_the_generators_family_is_not_available(tmp_path, monkeypatch):
    def generate_ipv4_only(n, path, seed=2013, profile="realistic"):
        raise AssertionError("must not be called without family")

    def generate_with_family(n, path, seed=2013, profile="realistic", family=4):
        pass

    assert not run.generator_has_ipv6(generate_ipv4_only)
    assert run.generator_has_ipv6(generate_with_family)
    monkeypatch.setattr(run.gen_iptables, "generate", generate_ipv4_only)
    (row,) = [r for r in run.target_rows(tmp_path) if r.id == "ipv6-6000"]
    result = run.measure_row(row, context(tmp_path))
    assert result["verdict"] == "not available"
    assert result["fwlint"]["error"] == "not available (generator has no IPv6 profile)"


def test_exchange_row_without_jobs_option_is_not_available(tmp_path):
    real_help = subprocess.run([sys.executable, "-m", "linter", "check", "--help"], capture_output=True,
                               text=True, cwd=REPO).stdout
    assert "--format" in real_help
    with_jobs = real_help + "  -j, --jobs N                    Worker processes.\n"
    assert run.lists_jobs_option(with_jobs)
    assert not run.lists_jobs_option("  --json  Output.\n  --max-jobs N\n")
    (row,) = [r for r in run.target_rows(tmp_path) if r.id == "exchange-200"]
    result = run.measure_row(row, context(tmp_path, help_text="  --format [json|text]\n"))
    assert result["verdict"] == "not available"
    assert "lists no -j" in result["fwlint"]["error"]


def test_only_refuses_an_unknown_row(tmp_path):
    rows = run.target_rows(tmp_path)
    assert [r.id for r in run.select_rows(rows, "version,tum")] == ["version", "tum"]
    with pytest.raises(ValueError, match="unknown row nope"):
        run.select_rows(rows, "version,nope")
