"""Mutation fuzz test (issue 11, part 7): corpus files mutated at the byte, line and token
level (tests/fuzzing.py) go through the real command line in-process (`check --format
json`, and for every fourth input `parse --json` too). Whatever the input, fwlint must
answer within a per-input budget, with exit code 0, 1 or 2, no exception escaping, no
traceback printed (nor one from a destructor), JSON that parses when it reports (exit 0 or
1), and no `internal` diagnostic: the platforms turn their own exceptions into one, which
hides a crash as a warning and drops the line, the statement or the whole file.

The inputs are fixed (base seed FUZZ_SEED, FUZZ_COUNT inputs per platform) so CI is
deterministic; explore further locally with

    FWLINT_FUZZ_SEED=7 FWLINT_FUZZ_COUNT=3000 python3 -m pytest -q tests/cli/test_fuzz.py

A failure lists every failing input of the platform, each saved under pytest's tmp_path,
with its mutation chain and the command that rebuilds it (python3 -m tests.fuzzing ...).
"""

from __future__ import annotations

import gc
import json
import os
import random
import re
import signal
import sys
import time
import traceback
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from linter.cli import main
from tests.fuzzing import (
    FAMILIES,
    MUTATORS,
    PLATFORM_DIRS,
    Context,
    Corpus,
    CorpusFile,
    cases,
    iptables_t_as_save,
    load_corpus,
    make_case,
    mutate,
    window,
)
from tests.shared import shared_dir

# 400 inputs per platform (and every fourth through `parse --json` too): the whole file
# takes 35 s on a 2-core machine (measured: 27 s of CPU); FWLINT_FUZZ_COUNT raises it locally
FUZZ_COUNT = int(os.environ.get("FWLINT_FUZZ_COUNT", "400"))
FUZZ_SEED = int(os.environ.get("FWLINT_FUZZ_SEED", "1"))
# per-input budgets against hangs. CPU time is what an input costs whatever else the machine
# runs (a 150-line window, some 350 lines after a line is repeated 200 times, mostly takes
# well under a second; ten is generous and still catches anything exponential); the wall-clock budget
# catches a hang that waits rather than computes (a read that blocks)
CPU_BUDGET_SECONDS = 10.0
WALL_BUDGET_SECONDS = 60.0
# every PARSE_EVERY-th input also goes through `parse --json` (the model dump, another path)
PARSE_EVERY = 4
ALLOWED_EXIT_CODES = {0, 1, 2}


# --------------------------------------------------------------------------- running one input


class BudgetExceeded(BaseException):
    """Raised by SIGPROF (CPU budget) or SIGALRM (wall-clock budget) when an input runs past
    its budget. A BaseException, so that an `except Exception` inside fwlint cannot swallow it."""


@contextmanager
def time_budget(cpu_seconds: float, wall_seconds: float):
    def on_timer(signum, frame):
        raise BudgetExceeded(f"more than {cpu_seconds:g} s of CPU" if signum == signal.SIGPROF
                             else f"more than {wall_seconds:g} s of wall-clock time")

    previous = {sig: signal.signal(sig, on_timer) for sig in (signal.SIGPROF, signal.SIGALRM)}
    signal.setitimer(signal.ITIMER_PROF, cpu_seconds)
    signal.setitimer(signal.ITIMER_REAL, wall_seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@dataclass
class Problem:
    command: str
    what: str  # one line: "exit code 3", "exception ValueError: ...", "hang", ...
    detail: str  # the last lines of the traceback, or of the output


def check_args(platform: str, path: Path) -> list[str]:
    return ["check", "--platform", platform, str(path), "--format", "json", "--no-config"]


def parse_args(platform: str, path: Path) -> list[str]:
    return ["parse", "--json", "--platform", platform, str(path)]


def run_cli(args: list[str], json_on: set[int]) -> list[Problem]:
    """Run fwlint in-process with args; the problems found (an empty list: all is well).
    json_on: the exit codes after which stdout must be JSON."""
    command = " ".join(["fwlint", *args])
    with unraisable_caught() as unraisable:
        problems = _run_and_check(command, args, json_on)
        if problems:  # what a crash left half-built is collected now, and counted for this input
            gc.collect()
    for u in unraisable:
        problems.append(Problem(command, f"unraisable exception {type(u.exc_value).__name__} in {u.object!r}",
                                _first_line(str(u.exc_value))))
    return problems


@contextmanager
def unraisable_caught():
    """Exceptions Python can only print ("Exception ignored in ...: Traceback"), e.g. in a
    destructor of the BDD library after a crash; the real command prints them on stderr."""
    caught: list = []
    previous = sys.unraisablehook
    sys.unraisablehook = caught.append
    try:
        yield caught
    finally:
        sys.unraisablehook = previous


def _run_and_check(command: str, args: list[str], json_on: set[int]) -> list[Problem]:
    start, start_cpu = time.monotonic(), time.process_time()
    try:
        with time_budget(CPU_BUDGET_SECONDS, WALL_BUDGET_SECONDS):
            result = CliRunner().invoke(main, args)
    except BudgetExceeded as e:
        stack = "".join(traceback.format_tb(e.__traceback__)[-4:])
        return [Problem(command, f"hang: {e}", stack)]
    cpu, wall = time.process_time() - start_cpu, time.monotonic() - start
    whats = (_over_budget(cpu, wall) + _escaped_exception(result) + _bad_exit_code(result)
             + _tracebacks_printed(result) + _report_problems(result, json_on))
    return [Problem(command, what, detail) for what, detail in whats]


def _over_budget(cpu: float, wall: float) -> list[tuple[str, str]]:
    """Work in C code (a regular expression, a big integer) is not interrupted by the signal
    until it returns: the budgets are checked again."""
    if cpu > CPU_BUDGET_SECONDS or wall > WALL_BUDGET_SECONDS:
        return [(f"hang: {cpu:.1f} s of CPU, {wall:.1f} s wall clock", "")]
    return []


def _escaped(result) -> bool:
    return result.exception is not None and not isinstance(result.exception, SystemExit)


def _escaped_exception(result) -> list[tuple[str, str]]:
    if not _escaped(result):
        return []
    exc = result.exception
    tb = "".join(traceback.format_exception(*result.exc_info)) if result.exc_info else repr(exc)
    return [(f"exception {type(exc).__name__}: {_first_line(str(exc))}", _tail(tb, 6))]


def _bad_exit_code(result) -> list[tuple[str, str]]:
    if result.exit_code in ALLOWED_EXIT_CODES:
        return []
    return [(f"exit code {result.exit_code}", _tail(result.stderr, 4))]


def _tracebacks_printed(result) -> list[tuple[str, str]]:
    return [(f"a traceback on {name}", _tail(text, 6))
            for name, text in (("stdout", result.stdout), ("stderr", result.stderr)) if "Traceback" in text]


def _report_problems(result, json_on: set[int]) -> list[tuple[str, str]]:
    """A JSON report is due after the json_on exit codes; after exit 2 one may still come
    (nothing could be read) and its diagnostics say why. An escaped exception exits 1 with
    no report: that is reported once, as the exception."""
    if _escaped(result) or (result.exit_code not in json_on and not result.stdout.strip()):
        return []
    try:
        report = json.loads(result.stdout)
    except ValueError as e:
        if result.exit_code in json_on:
            return [(f"exit {result.exit_code} but stdout is not JSON: {e}", _tail(result.stdout, 3))]
        return []
    return [(f"swallowed exception: {_first_line(d.get('message', ''))}",
             f"line {d.get('line', (d.get('origin') or {}).get('line'))}: {_first_line(str(d))}")
            for d in internal_diagnostics(report)]


def internal_diagnostics(report) -> list[dict]:
    """The `internal` diagnostics of a check or parse JSON report. The platforms turn any
    exception of their own into such a diagnostic ("could not read this line/file:
    KeyError: ..."), so no traceback escapes; each one is still a crash, often with the rest
    of the file dropped, and the fuzz test reports it like one."""
    if not isinstance(report, dict):
        return []
    found = list(report.get("diagnostics") or [])
    for f in report.get("files") or []:  # parse --json: per file, and again at the top
        found += [d for d in f.get("diagnostics") or [] if d not in found]
    return [d for d in found if isinstance(d, dict) and d.get("code") == "internal"]


def _first_line(text: str) -> str:
    line = text.strip().split("\n")[0] if text.strip() else ""
    return line if len(line) <= 160 else line[:160] + "..."


def _tail(text: str, n: int) -> str:
    lines = [ln if len(ln) <= 200 else ln[:200] + "..." for ln in text.rstrip().split("\n")[-n:]]
    return "\n".join(lines)


# --------------------------------------------------------------------------- the fuzz test


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(shared_dir("corpus"))


@dataclass
class Failure:
    path: Path
    describe: str
    rebuild: str
    problems: list[Problem]

    def report(self) -> str:
        lines = [f"{self.path}", f"    {self.describe}", f"    rebuild: {self.rebuild}"]
        for p in self.problems:
            lines.append(f"    {p.what}  [{p.command.replace(str(self.path), 'FILE')}]")
            lines += [f"        {ln}" for ln in p.detail.split("\n") if ln.strip()]
        return "\n".join(lines)


def fuzz_platform(corpus: Corpus, platform: str, seed: int, count: int, workdir: Path) -> list[Failure]:
    """Run `count` inputs of the platform; every failing input stays in workdir."""
    failures: list[Failure] = []
    for case in cases(corpus, platform, seed, count):
        path = workdir / case.name
        path.write_bytes(case.data)
        problems = run_cli(check_args(platform, path), json_on={0, 1})
        if case.index % PARSE_EVERY == 0:
            problems += run_cli(parse_args(platform, path), json_on={0})
        if problems:
            failures.append(Failure(path, case.describe(), case.regenerate_command(), problems))
        else:
            path.unlink()
    return failures


def problem_kind(what: str) -> str:
    """A problem's kind for the summary: "hang", "exception KeyError", "swallowed
    RecursionError", "exit code 3"..."""
    if what.startswith("swallowed"):
        m = re.search(r"could not read this (\w+)[^:]*: (\w+)", what)
        return f"swallowed {m.group(2)} ({m.group(1)} dropped)" if m else "swallowed exception"
    return what.split(":")[0]


def summary(platform: str, seed: int, count: int, failures: list[Failure]) -> str:
    """The failures grouped by kind (most first), then every failing input with its reproducer."""
    kinds = Counter(problem_kind(p.what) for f in failures for p in f.problems)
    head = [f"{len(failures)} of {count} {platform} inputs failed (seed {seed}, "
            f"budget {CPU_BUDGET_SECONDS:g} s of CPU, {WALL_BUDGET_SECONDS:g} s wall clock):"]
    head += [f"  {n} x {kind}" for kind, n in kinds.most_common()]
    return "\n".join(head + [""] + [f.report() for f in failures])


@pytest.mark.slow
@pytest.mark.parametrize("platform", sorted(PLATFORM_DIRS))
def test_mutated_corpus_never_crashes_nor_hangs(platform, corpus, tmp_path):
    shared_dir("corpus", PLATFORM_DIRS[platform])  # the platform's own folder must be there too
    assert corpus.files[platform], f"no corpus file for {platform}"
    failures = fuzz_platform(corpus, platform, FUZZ_SEED, FUZZ_COUNT, tmp_path)
    if failures:  # the summary is the whole message: no repr of the list after it
        pytest.fail(summary(platform, FUZZ_SEED, FUZZ_COUNT, failures), pytrace=False)


# --------------------------------------------------------------------------- the mutator itself

# a small corpus written here, so that these tests run without ../shared
SAMPLE = {
    "iptables": b"*filter\n:INPUT DROP [0:0]\n-A INPUT -s 10.0.0.0/8 -p tcp --dport 22 -j ACCEPT\n"
                b"-A INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT\nCOMMIT\n",
    "pf": b"ext_if = \"em0\"\nset skip on lo\nblock all\npass in on $ext_if proto tcp to port { 22 80 }\n"
          b"pass out keep state\n",
    "cisco-ios": b"ip access-list extended OUT\n permit tcp any host 10.1.1.1 eq 443\n deny ip any any\n"
                 b"interface Gi0/1\n ip access-group OUT out\n",
    "cisco-asa": b"object-group network WEB\n network-object host 10.2.2.2\n"
                 b"access-list outside_in extended permit tcp any object-group WEB eq www\n"
                 b"access-group outside_in in interface outside\n",
}


@pytest.fixture(scope="module")
def sample_corpus() -> Corpus:
    return Corpus({p: [CorpusFile(p, f"sample/{p}", data)] for p, data in SAMPLE.items()})


def test_mutator_is_deterministic(sample_corpus):
    for platform in SAMPLE:
        for index in range(50):
            a = make_case(sample_corpus, platform, 3, index)
            b = make_case(sample_corpus, platform, 3, index)
            assert (a.data, a.chain, a.source) == (b.data, b.chain, b.source), a.describe()


def test_different_seeds_give_different_inputs(sample_corpus):
    one = [make_case(sample_corpus, "pf", 1, i).data for i in range(100)]
    two = [make_case(sample_corpus, "pf", 2, i).data for i in range(100)]
    assert sum(a != b for a, b in zip(one, two, strict=False)) >= 90
    assert len(set(one)) >= 90, "inputs of one run should be (nearly all) different from each other"


def test_mutated_input_differs_from_its_seed(sample_corpus):
    for platform, original in SAMPLE.items():
        changed = sum(make_case(sample_corpus, platform, 5, i).data != original for i in range(200))
        assert changed >= 195, f"{platform}: only {changed} of 200 inputs differ from the seed"


@pytest.mark.parametrize("mutator", MUTATORS, ids=lambda m: m.__name__)
def test_each_mutator_changes_its_input(mutator, sample_corpus):
    """Each operator alone changes a typical file for nearly every random state (a swap may
    draw the same line twice, a corpus token may replace itself)."""
    ctx = Context(sample_corpus, "iptables")
    original = SAMPLE["iptables"]
    changed = 0
    for i in range(100):
        out, what = mutator(random.Random(i), original, ctx)
        assert what.startswith(mutator.__name__.split("_")[0]), what  # the chain names the family
        changed += out != original
    assert changed >= 75, f"{mutator.__name__} changed only {changed} of 100 inputs"


def test_every_mutator_is_used_and_chains_are_recorded(sample_corpus):
    names = Counter()
    for i in range(600):
        case = make_case(sample_corpus, "cisco-asa", 11, i)
        assert 1 <= len(case.chain), case.describe()
        names.update(step.split("(")[0] for step in case.chain)
    expected = {"byte.flip", "byte.insert", "byte.delete", "byte.truncate", "line.duplicate", "line.delete",
                "line.swap", "line.repeat", "line.splice", "line.splice-other", "token.corpus", "token.number",
                "token.special", "token.long", "token.ipv6-zone", "token.nest"}
    assert set(names) == expected
    assert sum(len(ms) for ms in FAMILIES.values()) == len(expected)


def test_specific_mutations_do_what_they_say(sample_corpus):
    ctx = Context(sample_corpus, "pf")
    original = SAMPLE["pf"]
    rng = random.Random(0)
    repeated, _ = FAMILIES["line"][3](rng, original, ctx)  # line_repeat
    assert len(repeated.split(b"\n")) == len(original.split(b"\n")) + 199
    spliced, what = FAMILIES["line"][5](rng, original, ctx)  # line_splice_other
    assert "pf" not in what.split("(")[1].split()[0] and len(spliced) > len(original)
    truncated, _ = FAMILIES["byte"][3](rng, original, ctx)
    assert original.startswith(truncated) and len(truncated) < len(original)


def test_window_keeps_at_most_the_line_limit():
    data = b"\n".join(b"line %d" % i for i in range(1000))
    for s in range(20):
        part, first, last = window(random.Random(s), data, 150)
        lines = part.split(b"\n")
        assert len(lines) == 150 and lines[0] == b"line %d" % (first - 1) and last - first == 149
    small = b"a\nb\n"
    assert window(random.Random(0), small, 150) == (small, 1, 3)


def test_mutate_reports_every_step(sample_corpus):
    out, chain = mutate(random.Random(4), SAMPLE["cisco-ios"], Context(sample_corpus, "cisco-ios"), 3)
    assert len(chain) >= 3 and out != SAMPLE["cisco-ios"]


def test_netfilter_unit_tests_become_a_save_file():
    t = b":INPUT,FORWARD\n-p tcp --dport 22;=;OK\n*nat\n:POSTROUTING\n-j MASQUERADE;=;OK\n"
    assert iptables_t_as_save(t) == (b"*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22\nCOMMIT\n"
                                     b"*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -j MASQUERADE\nCOMMIT\n")


def test_budget_interrupts_a_computing_hang():
    """The CPU budget that turns a hang into a failure does fire inside Python code."""
    start = time.monotonic()
    with pytest.raises(BudgetExceeded, match="CPU"):
        with time_budget(0.2, 30):
            while True:
                pass
    assert time.monotonic() - start < 10


def test_budget_interrupts_a_waiting_hang():
    """The wall-clock budget fires when the input waits instead of computing."""
    start = time.monotonic()
    with pytest.raises(BudgetExceeded, match="wall-clock"):
        with time_budget(30, 0.2):
            time.sleep(20)
    assert time.monotonic() - start < 10


# --------------------------------------------------------------------------- the checks themselves


def _result(exit_code=0, stdout="", stderr="", exception=None):
    """A stand-in for click's Result with the fields the checks read."""
    exc_info = (type(exception), exception, None) if exception is not None else None
    return SimpleNamespace(exit_code=exit_code, stdout=stdout, stderr=stderr, exception=exception, exc_info=exc_info)


def test_checks_accept_a_clean_report():
    ok = _result(1, stdout=json.dumps({"findings": [], "diagnostics": [{"code": "syntax", "message": "x"}]}))
    assert (_escaped_exception(ok) + _bad_exit_code(ok) + _tracebacks_printed(ok) + _report_problems(ok, {0, 1})) == []
    usage = _result(2, stderr="fwlint: error: no such file")  # exit 2 with no report is allowed
    assert _bad_exit_code(usage) + _report_problems(usage, {0, 1}) == []


def test_checks_catch_each_kind_of_failure():
    assert _escaped_exception(_result(1, exception=KeyError("k")))[0][0].startswith("exception KeyError")
    assert _escaped_exception(_result(2, exception=SystemExit(2))) == []
    assert _bad_exit_code(_result(3))[0][0] == "exit code 3"
    assert _tracebacks_printed(_result(2, stderr="Traceback (most recent call last):\n  ..."))[0][0] == \
        "a traceback on stderr"
    assert "not JSON" in _report_problems(_result(1, stdout="3 findings"), {0, 1})[0][0]
    internal = {"code": "internal", "line": 4, "message": "could not read this line: ValueError: too many digits"}
    swallowed = _report_problems(_result(1, stdout=json.dumps({"diagnostics": [internal]})), {0, 1})
    assert swallowed[0][0].startswith("swallowed exception: could not read this line: ValueError")
    # parse --json puts diagnostics per file; after exit 2 a report is still read for them
    parsed = json.dumps({"files": [{"diagnostics": [internal]}], "diagnostics": [internal]})
    assert len(_report_problems(_result(2, stdout=parsed), {0})) == 1
    assert _over_budget(CPU_BUDGET_SECONDS + 1, 1)[0][0].startswith("hang")
    assert problem_kind("swallowed exception: could not read this file: RecursionError: deep") == \
        "swallowed RecursionError (file dropped)"
