"""A light start (issue 12, part 4): `fwlint --version`, `--help`, `explain` and `rules` import
neither the engine (linter.graph, dd and the networkx it pulls in) nor the parsers (lark and
the platform modules); a check imports the parser of its file's platform and no other, and
dd without networkx. Import sets, not times: timings live in bench/startup.py and the README."""

from __future__ import annotations

import subprocess
import sys

import pytest

PARSERS = ("lark", "linter.parsers", "linter.platforms.iptables", "linter.platforms.pf",
           "linter.platforms.cisco.ios", "linter.platforms.cisco.asa", "ciscoconfparse")
ENGINE = ("dd", "networkx", "linter.graph", "linter.space", "linter.api")
# needed only by what a light command never does: YAML packs, gitignore globs, schemas
ON_DEMAND = ("yaml", "pathspec", "jsonschema", "asyncio")
WATCHED = PARSERS + ENGINE + ON_DEMAND


def _imported_after(args: list[str]) -> set[str]:
    """The modules of WATCHED that `fwlint ARGS` has imported by its end (in a fresh process)."""
    code = ("import sys\nfrom linter.cli import main\ntry:\n    main(%r)\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in %r if m in sys.modules), file=sys.stderr)" % (args, WATCHED))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    return set(eval(res.stderr.strip().splitlines()[-1]))  # noqa: S307 - our own print of a list of names


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["check", "--help"], ["explain", "FW001"],
                                  ["explain", "FW002"]])
def test_light_commands_import_no_engine_and_no_parser(args):
    assert _imported_after(args) == set()


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["check", "--help"]])
def test_version_and_help_do_not_load_the_model(args):
    """The platforms' names come from linter.platforms, which declares their traits to the
    model's `linter.traits`; that must not load the model itself (10 ms of a 120 ms start)."""
    code = ("import sys\nfrom linter.cli import main\ntry:\n    main(%r)\nexcept SystemExit:\n    pass\n"
            "print('linter.model' in sys.modules, 'linter.platforms' in sys.modules, file=sys.stderr)" % (args,))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.stderr.strip().splitlines()[-1] == "False True", res.stderr


def test_rules_imports_no_engine_and_no_parser():
    # (it reads the built-in packs: YAML and their schema, but nothing that reads a configuration)
    assert _imported_after(["rules"]) & set(PARSERS + ENGINE) == set()


IPTABLES = "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n"
PF = "block all\npass in proto tcp to port 22\n"
IOS = "hostname r1\n!\nip access-list extended IN\n permit tcp any any eq 22\n!\n" \
      "interface GigabitEthernet0/0\n ip access-group IN in\n!\n"
ASA = "ASA Version 9.8(2)\n!\ninterface GigabitEthernet0/0\n nameif outside\n security-level 0\n" \
      "!\naccess-list OUT extended permit tcp any any eq 22\naccess-group OUT in interface outside\n"
PLATFORM_MODULES = {"iptables": "linter.platforms.iptables", "pf": "linter.platforms.pf",
                    "cisco-ios": "linter.platforms.cisco.ios", "cisco-asa": "linter.platforms.cisco.asa"}


@pytest.mark.parametrize("platform,text", [("iptables", IPTABLES), ("pf", PF), ("cisco-ios", IOS), ("cisco-asa", ASA)])
def test_a_check_imports_its_platform_only_and_dd_without_networkx(tmp_path, platform, text):
    cfg = tmp_path / "device.conf"
    cfg.write_text(text)
    got = _imported_after(["check", "--no-config", str(cfg)])
    # what a check needs (so that the assertions below cannot pass on a process that did nothing)
    assert {"dd", "linter.graph", "lark", PLATFORM_MODULES[platform]} <= got
    others = set(PLATFORM_MODULES.values()) - {PLATFORM_MODULES[platform]}
    assert got & others == set(), f"a {platform} file imported other platforms' parsers"
    assert "networkx" not in got
    assert ("ciscoconfparse" in got) == platform.startswith("cisco")
    # no YAML, no globs, no schema for a file checked without packs or configuration (the
    # Cisco parsers' ciscoconfparse imports YAML and asyncio for its own ends)
    if not platform.startswith("cisco"):
        assert got & set(ON_DEMAND) == set()
    assert got & {"pathspec", "jsonschema"} == set()


def test_dd_still_works_without_networkx_and_networkx_can_still_be_imported():
    code = ("import sys\nfrom linter.space import PacketSpace\nimport dd\n"
            "assert 'networkx' not in sys.modules\n"
            "import networkx\n"  # (a later import is not blocked)
            "print(networkx.__name__)\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "networkx"


def test_a_program_that_imported_networkx_keeps_it_for_dd():
    code = ("import networkx\nimport linter.space\nimport dd._utils\n"
            "print(dd._utils._nx is networkx)\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.stdout.strip() == "True", res.stderr
