"""A light start (issue 12, part 4): `fwlint --version`, `--help`, `explain` and `rules` import
neither the engine (linter.graph, dd and the networkx it pulls in) nor the parsers (lark and
the platform modules). Import sets, not times: timings live in bench/ and the README."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("dd", "networkx", "lark", "linter.graph", "linter.space", "linter.api", "linter.platforms.iptables",
         "linter.platforms.pf", "linter.platforms.cisco_ios", "linter.platforms.cisco_asa")


def _imported_after(args: list[str]) -> list[str]:
    code = ("import sys\nfrom linter.cli import main\ntry:\n    main(%r)\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in %r if m in sys.modules), file=sys.stderr)" % (args, HEAVY))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    return eval(res.stderr.strip().splitlines()[-1])  # noqa: S307 - our own print of a list of names


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["check", "--help"], ["explain", "FW002"]])
def test_light_commands_import_no_engine_and_no_parser(args):
    assert _imported_after(args) == []


def test_the_check_path_still_imports_what_it_needs(tmp_path):
    cfg = tmp_path / "one.rules"
    cfg.write_text("*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n")
    got = _imported_after(["check", str(cfg)])
    # (the assertion above would pass vacuously if the subprocess imported nothing at all)
    assert {"dd", "linter.graph", "linter.platforms.iptables"} <= set(got)
    assert "linter.platforms.pf" not in got  # only the platform of the file
