#!/usr/bin/env python3
"""Start-up cost of fwlint's light commands and of a check of one small file.

Usage:
  python bench/startup.py               # each command 5 times, the best wall and CPU time
  python bench/startup.py --runs 10     # more runs (a shared machine is noisy: take the best)
  python bench/startup.py --json out.json
  python bench/startup.py --repo /tmp/old   # another checkout (e.g. `git archive` of an older commit)

Each run is a child process (`python -m linter ...` from this checkout, so the checkout's
code is measured, not an installed fwlint); its wall time is measured around it and its CPU
time (user + system) read from its own rusage (os.wait4). CPU time moves less than wall time
when other processes share the cores. The parser cache (linter/parsers.py) is measured both
ways: "first run" in an empty cache folder (the parser is built and written), "warm" with
the cache already written, and "no cache" with FWLINT_NO_CACHE=1.

The environment's PYTHONDONTWRITEBYTECODE is kept as it is (it makes every run compile
fwlint's modules from source); `--bytecode` runs with bytecode cached in a private
folder (PYTHONPYCACHEPREFIX), as an installed fwlint has it.
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
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

ONE_RULE = "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n"
ONE_PF_RULE = "block all\npass in proto tcp to port 22\n"
ONE_IOS_ACL = ("hostname r1\n!\nip access-list extended IN\n permit tcp any any eq 22\n!\n"
               "interface GigabitEthernet0/0\n ip access-group IN in\n!\n")


def run_once(argv: list[str], env: dict[str, str], repo: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = 0  # (reaped by wait4 above)
    return wall, usage.ru_utime + usage.ru_stime


def measure(label: str, args: list[str], env: dict[str, str], runs: int, repo: Path, before=None,
            warm_up: bool = False) -> dict:
    """The best (and median) of `runs` runs of `fwlint ARGS`; `before` is called before each
    run, and `warm_up` runs the command once unmeasured first (to write the parser cache)."""
    if warm_up:
        run_once([sys.executable, "-m", "linter", *args], env, repo)
    walls, cpus = [], []
    for _ in range(runs):
        if before is not None:
            before()
        wall, cpu = run_once([sys.executable, "-m", "linter", *args], env, repo)
        walls.append(wall)
        cpus.append(cpu)
    walls.sort()
    return {"label": label, "best_s": round(walls[0], 3), "median_s": round(walls[len(walls) // 2], 3),
            "best_cpu_s": round(min(cpus), 3), "runs": runs}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", dest="json_out", help="also write the figures to this file")
    ap.add_argument("--bytecode", action="store_true", help="cache bytecode (as an installed fwlint has it)")
    ap.add_argument("--repo", type=Path, default=REPO, help="the checkout to measure [default: this one]")
    args = ap.parse_args()
    repo = args.repo.resolve()

    work = Path(tempfile.mkdtemp(prefix="fwlint-startup-"))
    try:
        one = work / "one.rules"
        one.write_text(ONE_RULE)
        pf = work / "one.pf"
        pf.write_text(ONE_PF_RULE)
        ios = work / "r1.cfg"
        ios.write_text(ONE_IOS_ACL)
        cache = work / "cache"
        env = {k: v for k, v in os.environ.items() if not k.startswith("FWLINT_")}
        env["FWLINT_CACHE_DIR"] = str(cache)
        if args.bytecode:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(work / "pyc")
            for cfg in (one, pf, ios):  # every module of the measured paths compiled once, before measuring
                run_once([sys.executable, "-m", "linter", "check", str(cfg)], env, repo)
        no_cache = {**env, "FWLINT_NO_CACHE": "1"}

        def empty_cache() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        rows = [
            measure("fwlint --version", ["--version"], env, args.runs, repo),
            measure("fwlint --help", ["--help"], env, args.runs, repo),
            measure("fwlint explain FW001", ["explain", "FW001"], env, args.runs, repo),
            measure("check, 1 iptables rule, first run (empty cache)", ["check", str(one)], env, args.runs, repo,
                    before=empty_cache),
            measure("check, 1 iptables rule, warm cache", ["check", str(one)], env, args.runs, repo, warm_up=True),
            measure("check, 1 iptables rule, FWLINT_NO_CACHE=1", ["check", str(one)], no_cache, args.runs, repo),
            measure("check, 2 pf rules, first run (empty cache)", ["check", str(pf)], env, args.runs, repo,
                    before=empty_cache),
            measure("check, 2 pf rules, warm cache", ["check", str(pf)], env, args.runs, repo, warm_up=True),
            measure("check, 1 IOS ACL entry, warm cache", ["check", str(ios)], env, args.runs, repo, warm_up=True),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    width = max(len(r["label"]) for r in rows)
    print(f"{'command':<{width}}  best wall  median wall  best CPU   ({args.runs} runs each"
          f"{', bytecode cached' if args.bytecode else ''})")
    for r in rows:
        print(f"{r['label']:<{width}}  {r['best_s']:>7.3f} s  {r['median_s']:>9.3f} s  {r['best_cpu_s']:>6.3f} s")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"bytecode": args.bytecode, "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
