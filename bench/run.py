#!/usr/bin/env python3
"""Benchmark fwlint against iptables-restore --test: issue 12's targets, or one large file.

Usage:
  python bench/run.py --targets --json-out F.json  # every row of issue 12's target table
  python bench/run.py --targets --only version,tum  # some rows (ids or groups)
  python bench/run.py                       # 100,000 rules: fwlint check, iptables-restore --test
  python bench/run.py --rules 20000 --parse # another size; also time `fwlint parse --json`
  python bench/run.py --sizes 1000,10000,100000   # a scaling table
  python bench/run.py --strict              # exit 1 when a target is missed
  python bench/run.py --validate-only       # only check that the kernel accepts the file

--targets: the rows, their targets and how each is measured are in bench/README.md
(`bench/table.py F.json` writes the README's table from the JSON). Without --targets the
target is that of 100,000 rules: `fwlint check FILE --format json` under 20 s of wall time
and under 2 GiB of peak resident memory. Targets are enforced (exit status 1) only with
--strict; a benchmark is a measurement, not a test.

Each command runs as a child process; its wall time is measured around it and its peak
resident set size is read from the rusage of that one child (os.wait4), so one
measurement never leaks into the next. `iptables-restore --test` runs in a fresh network
namespace (root and `ip netns` needed; otherwise it is reported as not available).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import inspect
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import gen_iptables  # noqa: E402  (bench/ is not a package)

TARGET_SECONDS = 20.0
TARGET_BYTES = 2 * 1024 ** 3
DEFAULT_DIR = Path(tempfile.gettempdir()) / "fwlint-bench"


@dataclass
class Run:
    """One child process: what it was, how long, how much memory, how it ended."""

    label: str
    argv: list[str]
    seconds: float | None = None
    peak_bytes: int | None = None
    returncode: int | None = None
    stdout_bytes: int = 0
    error: str = ""  # why it was not run, or the tail of its standard error when it failed

    @property
    def ok(self) -> bool:
        return self.returncode is not None and not self.error

    def to_json(self) -> dict:
        return {"label": self.label, "argv": self.argv, "seconds": self.seconds, "peak_bytes": self.peak_bytes,
                "returncode": self.returncode, "stdout_bytes": self.stdout_bytes, "error": self.error}


def run_child(label: str, argv: list[str], stdin_path: Path | None = None, ok_codes=(0,),
              env: dict | None = None, timeout: float | None = None, cwd: Path = REPO) -> Run:
    """Run argv, timing it and reading the peak RSS of that child alone.

    The child gets its own process group, so a timeout kills it with every worker it
    started. wait4 blocks (no polling), so a 0.1 s command is timed to the millisecond; a
    timer thread does the killing. ru_maxrss covers the child and the children it reaped:
    with worker processes it is the largest single process, not their sum."""
    r = Run(label, argv)
    killed = threading.Event()

    def kill_group(pgid: int) -> None:
        killed.set()
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:  # it ended in the meantime
            pass

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        try:
            start = time.perf_counter()
            try:
                proc = subprocess.Popen(argv, stdin=stdin, stdout=out, stderr=err, env=env, cwd=cwd,
                                        start_new_session=True)
            except OSError as e:
                r.error = f"cannot start: {e}"
                return r
            timer = threading.Timer(timeout, kill_group, (proc.pid,)) if timeout else None
            if timer:
                timer.daemon = True  # an interrupted run must not leave it waiting to fire
                timer.start()
            _, status, usage = os.wait4(proc.pid, 0)
            r.seconds = time.perf_counter() - start
            if timer:
                timer.cancel()
            if killed.is_set():
                r.error = f"timed out after {timeout:g} s"
            else:
                _reap_stragglers(proc.pid)
            r.returncode = os.waitstatus_to_exitcode(status)
            proc.returncode = r.returncode  # already reaped: keep Popen from waiting again
            # ru_maxrss is in KiB on Linux, in bytes on macOS
            r.peak_bytes = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
        finally:
            if stdin_path:
                stdin.close()
        r.stdout_bytes = out.seek(0, os.SEEK_END)
        if r.returncode not in ok_codes and not r.error:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace").strip().splitlines()[-5:]
            r.error = f"exit status {r.returncode}: " + " | ".join(tail)
    return r


def _reap_stragglers(pgid: int) -> None:
    """Kill what the child left running in its group (a worker it did not wait for), so the
    next measurement does not share the cores with it."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# --------------------------------------------------------------------------- the commands


def fwlint_argv(repo: Path = REPO) -> tuple[list[str] | None, str]:
    """How to run the fwlint command line of the checkout `repo` (or why it cannot be run)."""
    if not (repo / "linter" / "cli.py").exists():
        return None, f"not available ({repo}/linter/cli.py does not exist)"
    if not (repo / "linter" / "__main__.py").exists():
        return None, f"not available ({repo}/linter/__main__.py does not exist)"
    return [sys.executable, "-m", "linter"], ""


def fwlint_env(repo: Path = REPO, cache_dir: Path | None = None) -> dict:
    """The environment of a fwlint child: `repo` first on the path; its cache folder
    `cache_dir` when given (FWLINT_CACHE_DIR, see linter/cachedir.py)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(repo) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if cache_dir is not None:
        env["FWLINT_CACHE_DIR"] = str(cache_dir)
    return env


def time_fwlint_check(path: Path, timeout: float) -> Run:
    base, why = fwlint_argv()
    if base is None:
        return Run("fwlint check --format json", ["fwlint", "check", str(path), "--format", "json"], error=why)
    # exit status 1 means "findings at or above --fail-on": a normal outcome here
    return run_child("fwlint check --format json", base + ["check", str(path), "--format", "json"],
                     ok_codes=(0, 1), env=fwlint_env(), timeout=timeout)


def time_fwlint_parse(path: Path, timeout: float) -> Run:
    base, why = fwlint_argv()
    if base is None:
        return Run("fwlint parse --json", ["fwlint", "parse", str(path), "--json"], error=why)
    return run_child("fwlint parse --json", base + ["parse", str(path), "--json"], ok_codes=(0, 1),
                     env=fwlint_env(), timeout=timeout)


def namespace_support(tool: str = "iptables-restore") -> str:
    """'' when `tool` can run in a fresh network namespace, else the reason."""
    if not sys.platform.startswith("linux"):
        return "not available (not Linux)"
    if os.geteuid() != 0:
        return "not available (needs root for a network namespace)"
    for needed in ("ip", tool):
        if shutil.which(needed) is None:
            return f"not available ({needed} is not installed)"
    return ""


class Namespace:
    """A fresh network namespace, deleted on exit."""

    def __init__(self) -> None:
        self.name = f"fwlint-bench-{os.getpid()}-{time.monotonic_ns() % 100000}"
        self.error = ""

    def __enter__(self) -> "Namespace":
        p = subprocess.run(["ip", "netns", "add", self.name], capture_output=True, text=True)
        if p.returncode != 0:
            self.error = f"not available (ip netns add: {p.stderr.strip()})"
        return self

    def __exit__(self, *exc) -> None:
        if not self.error:
            subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


def time_iptables_restore(path: Path, test: bool = True, tool: str = "iptables-restore") -> Run:
    label = f"{tool} --test" if test else f"{tool} (load)"
    why = namespace_support(tool)
    argv = [tool] + (["--test"] if test else [])
    if why:
        return Run(label, argv, error=why)
    if shutil.which(tool) is None:
        return Run(label, argv, error=f"not available ({tool} is not installed)")
    with Namespace() as ns:
        if ns.error:
            return Run(label, argv, error=ns.error)
        # `ip netns exec` enters the namespace and execs the tool: the rusage is the tool's
        r = run_child(label, ["ip", "netns", "exec", ns.name] + argv, stdin_path=path)
        r.argv = argv
        if not test and r.ok:
            save = subprocess.run(["ip", "netns", "exec", ns.name, tool.replace("-restore", "-save")],
                                  capture_output=True, text=True)
            loaded = sum(1 for ln in save.stdout.splitlines() if ln.startswith("-A "))
            expected = sum(1 for ln in path.open(encoding="utf-8") if ln.startswith("-A "))
            if loaded != expected:
                r.error = f"the kernel holds {loaded} rules after loading, the file has {expected}"
        return r


# --------------------------------------------------------------------------- reporting


def fmt_seconds(r: Run) -> str:
    return f"{r.seconds:.2f} s" if r.seconds is not None else "-"


def fmt_bytes(n: int | None) -> str:
    if n is None:
        return "-"
    return f"{n / 1024 ** 2:.0f} MiB" if n < 1024 ** 3 else f"{n / 1024 ** 3:.2f} GiB"


def ensure_file(n: int, directory: Path, seed: int, explicit: Path | None, profile: str = "realistic",
                family: int = 4, quiet: bool = False) -> Path:
    """The generated file of n rules (made once, then reused: its name holds every input of
    the generator and the generator's VERSION). family=6 needs a generator that has it."""
    if explicit is not None:
        path = explicit
    else:
        ipv6 = "-ipv6" if family == 6 else ""
        path = directory / f"iptables-{n}-{profile}{ipv6}-seed{seed}-v{gen_iptables.VERSION}.rules"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        tmp = path.with_suffix(".tmp")
        if family == 4:
            gen_iptables.generate(n, str(tmp), seed, profile)
        else:
            gen_iptables.generate(n, str(tmp), seed, profile, family=family)
        os.replace(tmp, path)
        if not quiet:
            print(f"generated {path} ({n} rules) in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return path


def count_rules(path: Path) -> int:
    with path.open(encoding="utf-8", errors="replace") as fh:
        return sum(1 for ln in fh if ln.startswith("-A "))


def measure(path: Path, args) -> dict:
    runs: dict[str, Run] = {}
    runs["restore"] = time_iptables_restore(path, test=True)
    if args.load:
        runs["load"] = time_iptables_restore(path, test=False)
    if args.parse:
        runs["parse"] = time_fwlint_parse(path, args.timeout)
    runs["check"] = time_fwlint_check(path, args.timeout)
    return {"file": str(path), "bytes": path.stat().st_size, "rules": count_rules(path),
            "runs": {k: v for k, v in runs.items()}}


def print_single(res: dict) -> list[str]:
    runs: dict[str, Run] = res["runs"]
    print(f"file: {res['file']}")
    print(f"      {res['rules']} rules, {res['bytes'] / 1024 ** 2:.1f} MiB")
    width = max(len(r.label) for r in runs.values())
    for r in runs.values():
        if r.seconds is None:
            print(f"  {r.label:<{width}}  {r.error}")
        else:
            status = "" if r.ok else f"  FAILED: {r.error}"
            rc = f"  (exit {r.returncode})" if r.returncode not in (0, None) else ""
            print(f"  {r.label:<{width}}  {fmt_seconds(r):>10}  peak RSS {fmt_bytes(r.peak_bytes):>9}{rc}{status}")
    check, restore = runs["check"], runs["restore"]
    if check.ok and restore.ok and restore.seconds:
        print(f"  ratio fwlint check / iptables-restore --test: {check.seconds / restore.seconds:.1f}x")
    else:
        print("  ratio fwlint check / iptables-restore --test: not available")
    return missed_targets(runs)


def missed_targets(runs: dict[str, Run]) -> list[str]:
    check = runs["check"]
    missed = []
    if not check.ok:
        missed.append(f"fwlint check did not complete: {check.error}")
        return missed
    if check.seconds is not None and check.seconds >= TARGET_SECONDS:
        missed.append(f"fwlint check took {check.seconds:.1f} s (target < {TARGET_SECONDS:.0f} s)")
    if check.peak_bytes is not None and check.peak_bytes >= TARGET_BYTES:
        missed.append(f"fwlint check peaked at {fmt_bytes(check.peak_bytes)} (target < 2 GiB)")
    return missed


def print_table(results: list[dict]) -> None:
    with_parse = any("parse" in r["runs"] for r in results)
    cols = ["rules", "MiB", "restore --test"] + (["parse", "parse RSS"] if with_parse else []) + \
        ["check", "check RSS", "ratio"]
    rows = []
    for res in results:
        runs = res["runs"]
        check, restore = runs["check"], runs["restore"]
        row = [str(res["rules"]), f"{res['bytes'] / 1024 ** 2:.1f}", fmt_seconds(restore) if restore.ok else "n/a"]
        if with_parse:
            p = runs.get("parse")
            row += [fmt_seconds(p) if p and p.ok else "n/a", fmt_bytes(p.peak_bytes) if p and p.ok else "n/a"]
        row += [fmt_seconds(check) if check.ok else "n/a",
                fmt_bytes(check.peak_bytes) if check.ok else "n/a",
                f"{check.seconds / restore.seconds:.0f}x" if check.ok and restore.ok and restore.seconds else "n/a"]
        rows.append(row)
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    print("  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=False)))
    for r in rows:
        print("  ".join(v.rjust(w) for v, w in zip(r, widths, strict=False)))
    for res in results:
        for run in res["runs"].values():
            if run.error:
                print(f"  note: {res['rules']} rules, {run.label}: {run.error}")


# --------------------------------------------------------------------------- the targets of issue 12
#
# `--targets` runs one row per line of the target table. A row is prepared (its
# input generated or found; or the reason it cannot run), then fwlint is timed on it, then
# the reference tool (`iptables-restore --test` / `ip6tables-restore --test`) on the same
# input, and the row is judged against its target.

MIB = 1024 ** 2
GIB = 1024 ** 3
JSON_SCHEMA = 1
TUM_PARTS = ("corpus", "iptables", "iptables-semantics")
EXCHANGE_DEVICES = 200
EXCHANGE_JOBS = 2
# The anonymised corpus writes MAC addresses as XX:XX:XX:XX:XX:XX, which iptables-restore
# refuses; the reference tool reads a copy with a valid locally administered address instead
# (fwlint reads the original).
ANONYMISED_MAC = "XX:XX:XX:XX:XX:XX"
STAND_IN_MAC = "02:00:00:00:00:00"

ONE_RULE_FILE = """*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
"""
# Run once, untimed, before the rows: fills the cache folder (built parsers) the way an
# earlier commit's pre-commit run would. Another rule than ONE_RULE_FILE, so a cache of
# per-file results cannot answer the timed one-rule run.
WARM_UP_FILE = ONE_RULE_FILE.replace("--dport 22", "--dport 443")


@dataclass
class Target:
    """A line of the issue's target table: at most `seconds`, at most `peak_bytes`."""

    text: str
    seconds: float
    peak_bytes: int | None = None
    stretch_ratio: float | None = None  # stretch: at most this many times the reference tool
    stretch_text: str = ""


@dataclass
class Workload:
    """What a row runs: fwlint's arguments, and the files the reference tool reads."""

    fwlint_args: list[str]
    rules: int | None = None
    files: list[Path] = field(default_factory=list)
    reference_tool: str | None = None  # iptables-restore, ip6tables-restore, or none
    reference_files: list[Path] = field(default_factory=list)
    note: str = ""
    unavailable: str = ""  # set: the row cannot run, and says why


@dataclass
class Row:
    id: str
    group: str
    title: str
    target: Target
    prepare: Callable[["Context"], Workload]


@dataclass
class Context:
    """Options of a --targets run and what it shares between rows."""

    repo: Path
    directory: Path
    shared: Path
    seed: int
    timeout: float
    repeat: int
    repeat_below: float
    cache_root: Path
    fwlint_help: dict = field(default_factory=dict)  # subcommand -> its --help text, read once

    @property
    def cache_template(self) -> Path:
        return self.cache_root / "warm"


def light_row(row_id: str, title: str, args: list[str]) -> Row:
    # the issue gives 0.15 s for --version; --help and explain belong to the same light
    # start (part 4: they import neither the engine nor the parsers), so they get it too
    text = "≤ 0.15 s" if row_id == "version" else "≤ 0.15 s (as --version)"
    return Row(row_id, row_id, title, Target(text, 0.15), lambda ctx: Workload(args))


def one_rule(ctx: Context) -> Workload:
    path = write_once(ctx.directory / "one-rule.rules", ONE_RULE_FILE)
    return Workload(["check", str(path), "--format", "json"], rules=1, files=[path],
                    reference_tool="iptables-restore", reference_files=[path])


def tum_files(shared: Path) -> list[Path]:
    folder = shared.joinpath(*TUM_PARTS)
    return sorted(folder.glob("tum-net__*")) if folder.is_dir() else []


def tum_row(path: Path) -> Row:
    name = path.name.removeprefix("tum-net__iptables-save-")

    def prepare(ctx: Context) -> Workload:
        stand_in = ctx.directory / "reference" / path.name
        text = path.read_text(encoding="utf-8", errors="replace")
        write_once(stand_in, text.replace(ANONYMISED_MAC, STAND_IN_MAC), replace=True)
        note = (f"{ANONYMISED_MAC} replaced by {STAND_IN_MAC} for {'iptables-restore'} (it refuses the "
                "anonymised addresses)") if ANONYMISED_MAC in text else ""
        return Workload(["check", str(path), "--format", "json"], rules=count_rules(path), files=[path],
                        reference_tool="iptables-restore", reference_files=[stand_in], note=note)

    return Row(f"tum-{name}", "tum", f"TUM ruleset {name}", Target("≤ 1.5 s, ≤ 300 MiB", 1.5, 300 * MIB),
               prepare)


def tum_missing_row(shared: Path) -> Row:
    where = shared.joinpath(*TUM_PARTS)
    return Row("tum", "tum", "TUM rulesets of the corpus", Target("≤ 1.5 s, ≤ 300 MiB", 1.5, 300 * MIB),
               lambda ctx: Workload([], unavailable=f"corpus not available (no tum-net__* in {where})"))


def generator_has_ipv6(generate: Callable = None) -> bool:
    """Whether gen_iptables.generate takes `family` (the IPv6 profile of issue 12)."""
    fn = generate or gen_iptables.generate
    try:
        return "family" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def generated_row(row_id: str, title: str, n: int, profile: str, target: Target, family: int = 4) -> Row:
    def prepare(ctx: Context) -> Workload:
        if family == 6 and not generator_has_ipv6():
            return Workload([], rules=n, unavailable="not available (generator has no IPv6 profile)")
        path = ensure_file(n, ctx.directory, ctx.seed, None, profile, family)
        tool = "ip6tables-restore" if family == 6 else "iptables-restore"
        return Workload(["check", str(path), "--format", "json"], rules=count_rules(path), files=[path],
                        reference_tool=tool, reference_files=[path])

    return Row(row_id, row_id, title, target, prepare)


def lists_jobs_option(help_text: str) -> bool:
    """Whether `fwlint check --help` offers -j (worker processes, issue 12 part 5)."""
    return re.search(r"(^|[\s,])-j\b", help_text, re.MULTILINE) is not None


def exchange(ctx: Context) -> Workload:
    help_text = fwlint_help(ctx, "check")
    if not lists_jobs_option(help_text):
        return Workload([], unavailable="not available (`fwlint check --help` lists no -j)")
    import policy  # bench/policy.py: the inventory of the Exchange benchmark (imported late: it imports run)

    paths = [ensure_file(1000, ctx.directory / "devices", 3000 + i, None, quiet=True)
             for i in range(EXCHANGE_DEVICES)]
    inv = policy.inventory(paths, ctx.directory / f"inventory-{EXCHANGE_DEVICES}-devices.yaml")
    args = ["check", "--policy", "exchange-2013", "--inventory", str(inv), "--format", "json",
            "-j", str(EXCHANGE_JOBS)]
    return Workload(args, rules=sum(count_rules(p) for p in paths), files=paths,
                    reference_tool="iptables-restore", reference_files=paths,
                    note=f"reference: the {EXCHANGE_DEVICES} files one after the other, times summed; "
                         "fwlint's peak memory is its largest process, not the sum of its workers")


def target_rows(shared: Path) -> list[Row]:
    """Every row of the issue's target table, in its order."""
    rows = [light_row("version", "`fwlint --version`", ["--version"]),
            light_row("help", "`fwlint --help`", ["--help"]),
            light_row("explain", "`fwlint explain FW001`", ["explain", "FW001"]),
            Row("one-rule", "one-rule", "`fwlint check`, a 1-rule iptables file", Target("≤ 0.4 s", 0.4),
                one_rule)]
    tum = tum_files(shared)
    rows += [tum_row(p) for p in tum] if tum else [tum_missing_row(shared)]
    rows += [
        generated_row("ipv6-6000", "IPv6 ruleset, 6,000 rules (realistic profile)", 6000, "realistic",
                      Target("≤ 2 s", 2.0), family=6),
        generated_row("realistic-30000", "realistic, 30,000 rules", 30_000, "realistic", Target("≤ 5 s", 5.0)),
        generated_row("realistic-100000", "realistic, 100,000 rules", 100_000, "realistic",
                      Target("≤ 20 s, ≤ 2 GiB", 20.0, 2 * GIB, stretch_ratio=10.0,
                             stretch_text="≤ 10× iptables-restore --test")),
        generated_row("adversarial-10000", "adversarial, 10,000 rules", 10_000, "adversarial",
                      Target("≤ 30 s", 30.0)),
        Row("exchange-200", "exchange-200",
            f"Exchange pack, {EXCHANGE_DEVICES} devices of 1,000 rules, `-j {EXCHANGE_JOBS}`",
            Target("≤ 70 s (half of 140 s)", 70.0), exchange),
    ]
    return rows


def select_rows(rows: list[Row], only: str | None) -> list[Row]:
    """The rows named by --only (ids or groups, comma-separated); ValueError on an unknown name."""
    if not only:
        return rows
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    known = {r.id for r in rows} | {r.group for r in rows}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise ValueError(f"unknown row {', '.join(unknown)} (rows: {', '.join(sorted(known))})")
    return [r for r in rows if r.id in wanted or r.group in wanted]


def write_once(path: Path, text: str, replace: bool = False) -> Path:
    if replace or not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    return path


def fwlint_help(ctx: Context, command: str) -> str:
    """`fwlint COMMAND --help` of the measured checkout ('' when it cannot be run)."""
    if command not in ctx.fwlint_help:
        base, _ = fwlint_argv(ctx.repo)
        text = ""
        if base is not None:
            p = subprocess.run(base + [command, "--help"], capture_output=True, text=True, cwd=ctx.repo,
                               env=fwlint_env(ctx.repo), timeout=ctx.timeout)
            text = p.stdout
        ctx.fwlint_help[command] = text
    return ctx.fwlint_help[command]


# ----------------------------------------------------------- measuring a row


def warm_cache(ctx: Context) -> str:
    """Fill the template cache folder with one untimed check (see WARM_UP_FILE); '' or why not."""
    ctx.cache_template.mkdir(mode=0o700, parents=True, exist_ok=True)
    base, why = fwlint_argv(ctx.repo)
    if base is None:
        return why
    path = write_once(ctx.directory / "warm-up.rules", WARM_UP_FILE)
    r = run_child("warm-up", base + ["check", str(path), "--format", "json"], ok_codes=(0, 1),
                  env=fwlint_env(ctx.repo, ctx.cache_template), timeout=ctx.timeout, cwd=ctx.repo)
    return r.error


def time_fwlint(ctx: Context, args: list[str], label: str) -> Run:
    """One timed fwlint run, with a fresh copy of the warm cache folder (built parsers, no
    result of this input), so repeated runs never answer from each other's results."""
    base, why = fwlint_argv(ctx.repo)
    if base is None:
        return Run(label, ["fwlint", *args], error=why)
    cache = Path(tempfile.mkdtemp(prefix="run-", dir=ctx.cache_root))
    try:
        shutil.copytree(ctx.cache_template, cache, dirs_exist_ok=True)
        return run_child(label, base + args, ok_codes=(0, 1), env=fwlint_env(ctx.repo, cache),
                         timeout=ctx.timeout, cwd=ctx.repo)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def time_reference(tool: str, files: list[Path]) -> Run:
    """`TOOL --test` on each file in one fresh namespace: seconds summed, the largest peak."""
    label = f"{tool} --test"
    why = namespace_support(tool)
    if why:
        return Run(label, [tool, "--test"], error=why)
    total = Run(label, [tool, "--test"], seconds=0.0, peak_bytes=0, returncode=0)
    with Namespace() as ns:
        if ns.error:
            total.error = ns.error
            return total
        for path in files:
            r = run_child(label, ["ip", "netns", "exec", ns.name, tool, "--test"], stdin_path=path)
            if not r.ok:
                total.error = f"{path.name}: {r.error}"
                total.returncode = r.returncode
                return total
            total.seconds += r.seconds
            total.peak_bytes = max(total.peak_bytes, r.peak_bytes or 0)
    return total


def best_of(run_once: Callable[[], Run], repeat: int, repeat_below: float) -> dict:
    """Run up to `repeat` times (once when a run takes `repeat_below` s or more: the slow rows
    would take too long), stopping at a failure. The best time, the largest peak."""
    runs = [run_once()]
    while len(runs) < repeat and runs[-1].ok and runs[-1].seconds < repeat_below:
        runs.append(run_once())
    bad = next((r for r in runs if not r.ok), None)
    summary = {"label": runs[0].label, "argv": runs[0].argv, "samples": [r.to_json() for r in runs]}
    if bad is not None:
        status = ("timed out" if bad.error.startswith("timed out") else
                  "not available" if bad.error.startswith("not available") else "failed")
        return {**summary, "status": status, "seconds": bad.seconds if status == "timed out" else None,
                "peak_bytes": bad.peak_bytes if status == "timed out" else None, "error": bad.error}
    return {**summary, "status": "ok", "seconds": min(r.seconds for r in runs),
            "peak_bytes": max(r.peak_bytes or 0 for r in runs), "error": ""}


def judge(target: Target, fw: dict) -> tuple[str, list[str]]:
    """met / missed / timed out / failed / not available, and what was missed."""
    if fw["status"] == "timed out":
        # what it held when it was killed is a lower bound of its peak
        over = target.peak_bytes is not None and (fw["peak_bytes"] or 0) > target.peak_bytes
        return "timed out", [fw["error"]] + ([f"≥ {fmt_bytes(fw['peak_bytes'])} > {fmt_bytes(target.peak_bytes)}"]
                                             if over else [])
    if fw["status"] != "ok":
        return fw["status"], [fw["error"]]
    missed = []
    if fw["seconds"] > target.seconds:
        missed.append(f"{fw['seconds']:.2f} s > {target.seconds:g} s")
    if target.peak_bytes is not None and fw["peak_bytes"] > target.peak_bytes:
        missed.append(f"{fmt_bytes(fw['peak_bytes'])} > {fmt_bytes(target.peak_bytes)}")
    return ("missed" if missed else "met"), missed


def judge_stretch(target: Target, ratio: float | None) -> dict | None:
    if target.stretch_ratio is None:
        return None
    if ratio is None:
        verdict = "not available"
    else:
        verdict = "met" if ratio <= target.stretch_ratio else "missed"
    return {"text": target.stretch_text, "ratio": target.stretch_ratio, "verdict": verdict}


def measure_row(row: Row, ctx: Context) -> dict:
    out = {"id": row.id, "group": row.group, "title": row.title,
           "target": {"text": row.target.text, "seconds": row.target.seconds,
                      "peak_bytes": row.target.peak_bytes}}
    try:
        wl = row.prepare(ctx)
    except Exception as e:  # a generator that refuses its arguments, an unreadable corpus file
        wl = Workload([], unavailable=f"not available (preparing the input failed: {type(e).__name__}: {e})")
    out.update({"rules": wl.rules, "files": [str(f) for f in wl.files[:3]], "file_count": len(wl.files),
                "bytes": sum(f.stat().st_size for f in wl.files) if not wl.unavailable else None,
                "note": wl.note})
    if wl.unavailable:
        na = {"status": "not available", "seconds": None, "peak_bytes": None, "error": wl.unavailable,
              "samples": []}
        return {**out, "fwlint": na, "reference": None, "ratio": None, "verdict": "not available",
                "missed": [wl.unavailable], "stretch": judge_stretch(row.target, None)}
    fw = best_of(lambda: time_fwlint(ctx, wl.fwlint_args, "fwlint " + " ".join(wl.fwlint_args[:1])),
                 ctx.repeat, ctx.repeat_below)
    fw["argv"] = ["fwlint", *wl.fwlint_args]
    ref = None
    if wl.reference_tool:
        ref = best_of(lambda: time_reference(wl.reference_tool, wl.reference_files), ctx.repeat,
                      ctx.repeat_below)
    ratio = None
    if fw["status"] == "ok" and ref and ref["status"] == "ok" and ref["seconds"]:
        ratio = fw["seconds"] / ref["seconds"]
    verdict, missed = judge(row.target, fw)
    return {**out, "fwlint": fw, "reference": ref, "ratio": ratio, "verdict": verdict, "missed": missed,
            "stretch": judge_stretch(row.target, ratio)}


# ----------------------------------------------------------- the machine


def machine_info(repo: Path) -> dict:
    """What the figures depend on, for the JSON and the README's machine line."""
    return {
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "dd": package_version("dd"),
        "lark": package_version("lark"),
        "iptables": command_version(["iptables", "--version"]),
        "fwlint": pyproject_version(repo),
        "generator_version": gen_iptables.VERSION,
        "git_commit": git_commit(repo),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "load_average": load_average(),
    }


def cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def package_version(name: str) -> str | None:
    """The installed version, without importing the package (dd imports networkx)."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def command_version(argv: list[str]) -> str | None:
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (p.stdout or p.stderr).strip().splitlines()[0] if p.returncode == 0 and (p.stdout or p.stderr) else None


def pyproject_version(repo: Path) -> str | None:
    try:
        m = re.search(r'^version\s*=\s*"([^"]+)"', (repo / "pyproject.toml").read_text(), re.MULTILINE)
    except OSError:
        return None
    return m.group(1) if m else None


def git_commit(repo: Path) -> str | None:
    """HEAD of the measured checkout, with '+changes' when its work tree differs from it."""
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10)
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


# ----------------------------------------------------------- the run


def run_targets(args, rows: list[Row], shared: Path) -> dict:
    args.dir.mkdir(parents=True, exist_ok=True)
    cache_root = Path(tempfile.mkdtemp(prefix="fwlint-bench-cache-"))
    ctx = Context(repo=args.repo, directory=args.dir, shared=shared, seed=args.seed, timeout=args.timeout,
                  repeat=args.repeat, repeat_below=args.repeat_below, cache_root=cache_root)
    report = {"schema": JSON_SCHEMA, "machine": machine_info(args.repo),
              "options": {"timeout": args.timeout, "repeat": args.repeat, "repeat_below": args.repeat_below,
                          "only": args.only, "seed": args.seed, "repo": str(args.repo),
                          "cache": "a fresh copy of a cache folder warmed by one untimed check of another file"},
              "note": args.note or "", "rows": []}
    try:
        warm = warm_cache(ctx)
        if warm:
            report["options"]["warm_up_error"] = warm
        for k, row in enumerate(rows, 1):
            print(f"[{k}/{len(rows)}] {row.id} ...", file=sys.stderr, flush=True)
            result = measure_row(row, ctx)
            report["rows"].append(result)
            print(f"        {row_summary(result)}", file=sys.stderr, flush=True)
            if args.json_out:  # after every row: a run cut short keeps what it measured
                write_json(args.json_out, report)
    finally:
        shutil.rmtree(cache_root, ignore_errors=True)
    report["machine"]["load_average_end"] = load_average()
    if args.json_out:
        write_json(args.json_out, report)
    return report


def write_json(path: Path, report: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.3f} s" if seconds < 1 else f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s"


def row_summary(row: dict) -> str:
    fw = row["fwlint"]
    if fw["status"] == "ok":
        return f"{fmt_time(fw['seconds'])}, {fmt_bytes(fw['peak_bytes'])}: {row['verdict']}"
    return fw["error"] if fw["error"].startswith(row["verdict"]) else f"{row['verdict']}: {fw['error']}"


def print_targets(report: dict) -> None:
    cols = ["row", "rules", "fwlint", "peak", "reference", "ratio", "target", "result"]
    lines = []
    for row in report["rows"]:
        fw, ref = row["fwlint"], row["reference"]
        ok = fw["status"] == "ok"
        result = row["verdict"]
        if row.get("stretch") and row["stretch"]["verdict"] != "not available":
            result += f"; stretch {row['stretch']['verdict']}"
        lines.append([
            row["id"], f"{row['rules']:,}" if row["rules"] else "-",
            fmt_time(fw["seconds"]) if ok else fw["status"],
            fmt_bytes(fw["peak_bytes"]) if ok else f"≥ {fmt_bytes(fw['peak_bytes'])}" if fw["peak_bytes"] else "-",
            (fmt_time(ref["seconds"]) if ref["status"] == "ok" else ref["status"]) if ref else "-",
            f"{row['ratio']:.0f}x" if row["ratio"] is not None else "-",
            row["target"]["text"], result])
    widths = [max(len(c), *(len(ln[i]) for ln in lines)) if lines else len(c) for i, c in enumerate(cols)]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=False)))
    for ln in lines:
        print("  ".join(v.ljust(w) for v, w in zip(ln, widths, strict=False)))
    for row in report["rows"]:
        for what, m in (("fwlint", row["fwlint"]), ("reference", row["reference"])):
            if m and m["status"] != "ok":
                print(f"  note: {row['id']}, {what}: {m['error']}")
    notes = {row["note"]: [r["id"] for r in report["rows"] if r["note"] == row["note"]]
             for row in report["rows"] if row["note"]}
    for note, ids in notes.items():  # one note shared by several rows (the TUM files) once
        print(f"  note: {', '.join(ids)}: {note}")
    m = report["machine"]
    print(f"machine: {m['cores']} cores, {m['cpu']}, Python {m['python']}, dd {m['dd']}, lark {m['lark']}, "
          f"{m['iptables']}; commit {m['git_commit']}; load average {m['load_average']}")


def targets_missed(report: dict) -> list[str]:
    return [f"{row['id']}: {', '.join(row['missed'])}" for row in report["rows"]
            if row["verdict"] in ("missed", "timed out", "failed")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark fwlint against iptables-restore --test.")
    ap.add_argument("--rules", type=int, default=100_000, help="rules in the generated file (default 100000)")
    ap.add_argument("--sizes", help="comma-separated sizes: print a scaling table (e.g. 1000,10000,100000)")
    ap.add_argument("--file", type=Path, help="benchmark this iptables-save file (generated there if absent)")
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"where generated files go (default {DEFAULT_DIR})")
    ap.add_argument("--seed", type=int, default=2013)
    ap.add_argument("--profile", choices=gen_iptables.PROFILES, default="realistic",
                    help="generator profile (adversarial: every field random, a BDD worst case)")
    ap.add_argument("--parse", action="store_true", help="also time `fwlint parse FILE --json`")
    ap.add_argument("--load", action="store_true",
                    help="also load the file for real into the namespace (the kernel's own checks)")
    ap.add_argument("--validate-only", action="store_true",
                    help="only check that iptables-restore --test and a real load accept the file")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds before a fwlint run is killed")
    ap.add_argument("--json", action="store_true", help="print the measurements as JSON")
    ap.add_argument("--strict", action="store_true", help="exit 1 when the targets are missed")
    ap.add_argument("--targets", action="store_true",
                    help="run every row of issue 12's target table (see bench/README.md)")
    ap.add_argument("--only", metavar="ROW[,ROW]", help="with --targets: only these rows (ids or groups)")
    ap.add_argument("--json-out", type=Path, metavar="FILE",
                    help="with --targets: write every figure and the machine to FILE (bench/table.py reads it)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="with --targets: runs per figure, the best reported (default 3)")
    ap.add_argument("--repeat-below", type=float, default=60.0, metavar="SECONDS",
                    help="with --targets: repeat only runs shorter than this (default 60)")
    ap.add_argument("--repo", type=Path, default=REPO,
                    help="with --targets: the checkout whose fwlint is measured (default this one)")
    ap.add_argument("--shared", type=Path, help="with --targets: the shared material (default ../shared of --repo)")
    ap.add_argument("--note", help="with --targets: a remark kept in the JSON (e.g. 'machine shared')")
    args = ap.parse_args(argv)

    if args.targets:
        if args.repeat < 1:
            ap.error("--repeat must be at least 1")
        args.repo = args.repo.resolve()
        shared = args.shared or args.repo.parent / "shared"  # as tests/shared.py finds it
        try:
            rows = select_rows(target_rows(shared), args.only)
        except ValueError as e:
            ap.error(str(e))
        report = run_targets(args, rows, shared)
        print_targets(report)
        missed = targets_missed(report)
        for m in missed:
            print(f"target missed: {m}", file=sys.stderr)
        return 1 if (args.strict and missed) else 0

    if args.validate_only:
        path = ensure_file(args.rules, args.dir, args.seed, args.file, args.profile)
        bad = 0
        for test in (True, False):
            r = time_iptables_restore(path, test=test)
            print(f"{r.label}: " + (f"accepted in {r.seconds:.2f} s" if r.ok else r.error))
            bad |= not r.ok
        return 1 if bad else 0

    if args.sizes:
        try:
            sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
        except ValueError:
            ap.error("--sizes takes comma-separated integers")
        if any(n < gen_iptables.MIN_RULES for n in sizes):
            ap.error(f"sizes must be at least {gen_iptables.MIN_RULES}")
        results = [measure(ensure_file(n, args.dir, args.seed, None, args.profile), args) for n in sizes]
        if args.json:
            print(json.dumps([{**r, "runs": {k: v.to_json() for k, v in r["runs"].items()}} for r in results], indent=2))
        else:
            print_table(results)
        largest = results[-1] if results else None
        missed = missed_targets(largest["runs"]) if largest and largest["rules"] >= 100_000 else []
    else:
        res = measure(ensure_file(args.rules, args.dir, args.seed, args.file, args.profile), args)
        if args.json:
            print(json.dumps({**res, "runs": {k: v.to_json() for k, v in res["runs"].items()}}, indent=2))
            missed = missed_targets(res["runs"])
        else:
            missed = print_single(res)
    for m in missed:
        print(f"target missed: {m}", file=sys.stderr)
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
