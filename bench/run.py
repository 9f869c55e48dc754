#!/usr/bin/env python3
"""Benchmark fwlint on a large generated iptables-save ruleset, against iptables-restore.

Usage:
  python bench/run.py                       # 100,000 rules: fwlint check, iptables-restore --test
  python bench/run.py --rules 20000 --parse # another size; also time `fwlint parse --json`
  python bench/run.py --sizes 1000,10000,100000   # a scaling table
  python bench/run.py --strict              # exit 1 when a target is missed
  python bench/run.py --validate-only       # only check that the kernel accepts the file

Targets (for 100,000 rules): `fwlint check FILE --format json` under 20 s of wall time and
under 2 GiB of peak resident memory. They are enforced (exit status 1) only with --strict;
a benchmark is a measurement, not a test.

Each command runs as a child process; its wall time is measured around it and its peak
resident set size is read from the rusage of that one child (os.wait4), so one
measurement never leaks into the next. `iptables-restore --test` runs in a fresh network
namespace (root and `ip netns` needed; otherwise it is reported as not available).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

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
              env: dict | None = None, timeout: float | None = None) -> Run:
    """Run argv, timing it and reading the peak RSS of that child alone."""
    r = Run(label, argv)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        try:
            start = time.perf_counter()
            try:
                proc = subprocess.Popen(argv, stdin=stdin, stdout=out, stderr=err, env=env, cwd=REPO)
            except OSError as e:
                r.error = f"cannot start: {e}"
                return r
            deadline = None if timeout is None else start + timeout
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG if deadline else 0)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    proc.kill()
                    pid, status, usage = os.wait4(proc.pid, 0)
                    r.error = f"timed out after {timeout:.0f} s"
                    break
                time.sleep(0.01)
            r.seconds = time.perf_counter() - start
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


# --------------------------------------------------------------------------- the commands


def fwlint_argv() -> tuple[list[str] | None, str]:
    """How to run the fwlint command line from this checkout (or why it cannot be run)."""
    if not (REPO / "linter" / "cli.py").exists():
        return None, "not available (linter/cli.py does not exist yet)"
    if not (REPO / "linter" / "__main__.py").exists():
        return None, "not available (linter/__main__.py does not exist yet)"
    return [sys.executable, "-m", "linter"], ""


def fwlint_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
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


def namespace_support() -> str:
    """'' when iptables-restore can run in a fresh network namespace, else the reason."""
    if not sys.platform.startswith("linux"):
        return "not available (not Linux)"
    if os.geteuid() != 0:
        return "not available (needs root for a network namespace)"
    for tool in ("ip", "iptables-restore"):
        if shutil.which(tool) is None:
            return f"not available ({tool} is not installed)"
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
    why = namespace_support()
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


def ensure_file(n: int, directory: Path, seed: int, explicit: Path | None, profile: str = "realistic") -> Path:
    if explicit is not None:
        path = explicit
    else:
        path = directory / f"iptables-{n}-{profile}-seed{seed}-v{gen_iptables.VERSION}.rules"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        tmp = path.with_suffix(".tmp")
        gen_iptables.generate(n, str(tmp), seed, profile)
        os.replace(tmp, path)
        print(f"generated {path} ({n} rules) in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return path


def count_rules(path: Path) -> int:
    with path.open(encoding="utf-8") as fh:
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
    print("  ".join(c.rjust(w) for c, w in zip(cols, widths)))
    for r in rows:
        print("  ".join(v.rjust(w) for v, w in zip(r, widths)))
    for res in results:
        for run in res["runs"].values():
            if run.error:
                print(f"  note: {res['rules']} rules, {run.label}: {run.error}")


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
    args = ap.parse_args(argv)

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
