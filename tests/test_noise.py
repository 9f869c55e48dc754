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
