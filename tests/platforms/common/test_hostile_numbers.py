"""Numbers of thousands of digits (found by tests/cli/test_fuzz.py): Python's int() refuses more
than 4,300 digits, and the ValueError used to drop the line, the statement or the whole file.
Now each is an ordinary out-of-range value, reported where it stands, and the rest is read."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from linter.cli import main
from linter.names import read_int

HUGE = "9" * 5000

CASES = {
    "iptables": ("*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport " + HUGE + " -j ACCEPT\n"
                 "-A INPUT -p " + HUGE + " -j ACCEPT\n-A INPUT -j ACCEPT\nCOMMIT\n", {3, 4}),
    "pf": ("block all\npass in proto tcp to port " + HUGE + "\npass in proto " + HUGE + "\n"
           "pass in inet proto icmp icmp-type " + HUGE + "\npass in all\n", {2, 3, 4}),
    "cisco-ios": ("ip access-list extended IN\n permit tcp any any eq " + HUGE + "\n permit " + HUGE
                  + " any any\n permit ip any any\ninterface Gi0/0\n ip access-group IN in\n", {2, 3}),
    "cisco-asa": ("ASA Version 9.8\ninterface Gi0/0\n nameif outside\n security-level 0\n"
                  "access-list OUT extended permit tcp any any eq " + HUGE + "\n"
                  "access-list OUT extended permit icmp any any " + HUGE + "\n"
                  "access-list OUT extended permit ip any any\naccess-group OUT in interface outside\n", {5, 6}),
}


@pytest.mark.parametrize("platform", sorted(CASES))
def test_huge_numbers_are_out_of_range_values(tmp_path, platform):
    text, bad_lines = CASES[platform]
    f = tmp_path / "cfg"
    f.write_text(text)
    res = CliRunner().invoke(main, ["check", "--no-config", "--platform", platform, str(f), "--format", "json"])
    assert res.exit_code == 1, res.output
    data = json.loads(res.stdout)
    assert not [d for d in data["diagnostics"] if d["code"] == "internal"]
    located = {d["line"] for d in data["diagnostics"] if d["severity"] in ("error", "warning")}
    assert bad_lines <= located, (located, data["diagnostics"])
    # the rest of the file is read: the any-any accept at the end is still FW003
    assert any(fd["id"] == "FW003" for fd in data["findings"]), data["findings"]


def test_read_int():
    assert read_int("42") == 42 and read_int("0x1f", 0) == 31 and read_int(7) == 7
    assert read_int(HUGE) > 2**128 and read_int("-" + HUGE) < -(2**128)
    with pytest.raises(ValueError):
        read_int(HUGE + "x")
    with pytest.raises(ValueError):
        read_int("x")
