"""Noise control (issue 13, point 6): notes given once, repeated FW007 notes grouped, the
boilerplate chains of ufw, firewalld, docker and fail2ban, Cisco show-output trailers, and
the display flags (--statistics, --quiet, --show-severity)."""

from __future__ import annotations

from pathlib import Path

from .test_exchange_pack import EDGE_P, MBX
from .test_exchange_pack import run as run_exchange


def _ex409_accepts(n: int) -> list[str]:
    """n rules that each let SMTP from the Internet reach the Mailbox server past the Edge:
    one EX409 finding each."""
    return [f"-A FORWARD -i eth0 -d {MBX} -s 203.0.{k}.0/24 -p tcp --dport 25 -j ACCEPT" for k in range(n)]


def test_cut_note_given_once_per_requirement(tmp_path: Path):
    # EX409 is judged in several jobs (each direction and pair of roles); the note that its
    # findings were cut at the bound used to be added after every job past the bound
    rep = run_exchange(tmp_path, EDGE_P, accept=_ex409_accepts(30))
    assert [f.id for f in rep.findings].count("EX409") == 20
    assert rep.notes.count("EX409: more than 20 open flows; the first are reported") == 1
    assert len(rep.notes) == len(set(rep.notes))


def test_no_cut_note_when_nothing_was_left_out(tmp_path: Path):
    rep = run_exchange(tmp_path, EDGE_P, accept=_ex409_accepts(20))
    assert [f.id for f in rep.findings].count("EX409") == 20
    assert not [n for n in rep.notes if "open flows" in n]


# --------------------------------------------------------------------------- Cisco show output

_ASA_SHOWN = """\
: Saved
:
: Serial Number: JMX1234X0AB
: Hardware:   ASA5506, 4096 MB RAM, CPU Atom C2000 series 1250 MHz, 1 CPU (4 cores)
: Written by enable_15 at 10:33:12.459 UTC Tue Mar 5 2019
!
ASA Version 9.8(2)
!
hostname fw1
banner motd Authorised access only
banner motd access-list OUTSIDE_IN extended permit ip any any
interface GigabitEthernet1/1
 nameif outside
 security-level 0
!
access-list OUTSIDE_IN extended permit tcp any host 10.0.0.5 eq 443
access-group OUTSIDE_IN in interface outside
Cryptochecksum:3ab4a1b2c3d4e5f60718293a4b5c6d7e
: end
"""

# `write memory` (or `copy running-config startup-config`) as captured with the configuration
_ASA_WRITTEN = """\
Building configuration...
Cryptochecksum: 1a2b3c4d 5e6f7a8b 9c0d1e2f 3a4b5c6d

14346 bytes copied in 1.230 secs (14346 bytes/sec)
[OK]
"""


def _asa(text: str):
    from linter.platforms import cisco_asa

    return cisco_asa.parse("fw1.cfg", text.encode())


def test_asa_show_running_config_trailers_are_understood():
    dev = _asa(_ASA_SHOWN)
    assert [d for d in dev.diagnostics if d.severity != "note"] == []
    assert dev.stats[0].lines_understood == dev.stats[0].lines_read
    # the banner's text is no access-list entry
    acl = next(f for f in dev.filters if f.name == "OUTSIDE_IN")
    assert [r.origin.line for r in acl.rules if not r.synthetic] == [16]


def test_asa_write_memory_output_is_understood():
    dev = _asa(_ASA_SHOWN.replace("Cryptochecksum:3ab4a1b2c3d4e5f60718293a4b5c6d7e\n: end\n", _ASA_WRITTEN))
    assert [d for d in dev.diagnostics if d.severity != "note"] == []
    assert dev.stats[0].lines_understood == dev.stats[0].lines_read


def test_asa_trailer_words_in_other_places_are_still_reported():
    # only the lines as the ASA prints them: a command that merely starts the same way is
    # still an unknown command
    dev = _asa(_ASA_SHOWN + "Cryptochecksum:not-hex\nBuilding the firewall\n[OK] go\n")
    bad = sorted(d.origin.line for d in dev.diagnostics if d.code == "unknown-command")
    assert bad == [20, 21, 22]


def test_cryptochecksum_does_not_fail_the_build(tmp_path: Path):
    from click.testing import CliRunner

    from linter.cli import main

    cfg = tmp_path / "fw1.cfg"
    cfg.write_text(_ASA_SHOWN.replace("permit tcp any host 10.0.0.5 eq 443", "deny ip any any"))
    r = CliRunner().invoke(main, ["check", "--no-config", "--no-cache", "--select", "FW007", str(cfg)])
    assert r.exit_code == 0, r.output
    assert "FW007" not in r.output


_IOS_SHOWN = """\
Building configuration...

Current configuration : 1234 bytes
!
! Last configuration change at 10:00:00 UTC Mon Mar 4 2019 by admin
!
version 15.2
hostname r1
!
banner motd ^C
Authorised access only.
access-list 5 permit any
ip access-list extended EVIL
 permit ip any any
interface GigabitEthernet0/9
 ip access-group EVIL in
^C
banner login #one line#
banner exec \x03
interface GigabitEthernet0/8
\x03
!
interface GigabitEthernet0/0
 ip address 192.0.2.1 255.255.255.0
 ip access-group 101 in
!
access-list 101 permit tcp any host 192.0.2.10 eq 22
!
line vty 0 4
 transport input ssh
!
end
"""


def test_ios_show_running_config_header_banners_and_end_are_understood():
    from linter.platforms import cisco_ios

    dev = cisco_ios.parse("r1.cfg", _IOS_SHOWN.encode())
    assert [d for d in dev.diagnostics if d.severity != "note"] == []
    assert dev.stats[0].lines_understood == dev.stats[0].lines_read
    # nothing of the banners is read as configuration: one ACL, one interface binding it
    assert [f.name for f in dev.filters] == ["101"]
    assert {(b.filter, b.interface) for b in dev.bindings} == {("101", "GigabitEthernet0/0")}
