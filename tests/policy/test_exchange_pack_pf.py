"""The Exchange 2013 pack on a pf firewall: every requirement on a pf.conf that breaks it and
one that keeps it. The same roles and topology as tests/policy/test_exchange_pack.py, with pf's
interface names (em0 the Internet, em1 Client Access, em4 Mailbox, em5 Lync, em3 domain
controllers, em2 internal clients, em6 the perimeter network with the Edge).

pf filters a forwarded packet twice (inbound on em-in, outbound on em-out); these rulesets
pass everything outbound (`pass out`) and decide inbound, the usual pf style.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.policy.exchange_cases import (CAS, DNS, EDGE, EDGE_P, MBX, NO_EDGE, PROFILES, PROXY, assert_broken_and_kept,
                             assert_cases_cover_the_pack, assert_keeps_everything, inventory, profile_id)
from tests.policy.exchange_cases import run as _run

INTERNAL_IFACES = ("em1", "em4", "em5", "em3")


def good_rules(profile: dict) -> list[str]:
    edge = profile.get("edge_transport", False)
    r = ["block log all", "pass out all keep state"]
    # Exchange, Lync and the DCs talk freely (EX100-EX102): every protocol, inbound on
    # each of their interfaces toward the others
    r.append("pass in on { em1 em4 em5 em3 } from { 10.0.1.0/24 10.0.4.0/24 10.0.5.0/24 10.0.3.0/24 } "
             "to { 10.0.1.0/24 10.0.4.0/24 10.0.5.0/24 10.0.3.0/24 }")
    client_ports = ["443"]
    if profile.get("smtp_client_submission", True):
        client_ports.append("587")
    for key, port in (("http", "80"), ("imap4", "993"), ("pop3", "995")):
        if profile.get(key):
            client_ports.append(port)
    if not edge:
        client_ports.append("25")
    r.append(f"pass in on em0 proto tcp to {CAS} port {{ {' '.join(client_ports)} }}")
    if not edge:
        sender, if_ = (CAS, "em1") if profile.get("frontend_proxy") else (MBX, "em4")
        r.append(f"pass in on {if_} proto tcp from {sender} to ! 10.0.0.0/8 port 25")
        r.append(f"pass in on {{ em1 em4 }} proto {{ tcp udp }} from {{ {CAS} {MBX} }} to {DNS} port 53")
    else:
        r += [f"pass in on em0 proto tcp to {EDGE} port 25",
              f"pass in on em6 proto tcp from {EDGE} to {MBX} port 25",
              f"pass in on em4 proto tcp from {MBX} to {EDGE} port {{ 25 50636 }}",
              f"pass in on em6 proto tcp from {EDGE} to ! 10.0.0.0/8 port 25",
              f"pass in on em6 proto {{ tcp udp }} from {EDGE} to {DNS} port 53"]
        if profile.get("sender_reputation_proxy_port"):
            r.append(f"pass in on em6 proto tcp from {EDGE} to {PROXY} port {profile['sender_reputation_proxy_port']}")
    r.append(f"pass in on em2 proto tcp from 10.0.2.0/24 to {CAS} port {{ 443 587 }}")
    return r


def ruleset(profile: dict, drop=(), accept=(), scrub=()) -> str:
    # scrub first (pf wants translation and scrub before filtering), quick drops next
    return "\n".join([*scrub, *good_rules(profile)[:2], *drop, *good_rules(profile)[2:], *accept, ""])


NAMES = {"internet": "em0", "cas": "em1", "clients": "em2", "dcs": "em3", "mbx": "em4", "lync": "em5",
         "edge": "em6"}


def run(tmp_path: Path, profile: dict, **mods):
    return _run(tmp_path, "pf.conf", ruleset(profile, **mods), inventory(profile, "pf.conf", NAMES))


CASES = {
    "EX100": (NO_EDGE, {"drop": ["block in quick on em1 proto tcp to 10.0.4.0/24 port 135"]}, "error"),
    "EX101": (NO_EDGE, {"drop": ["block in quick on em5 proto udp to 10.0.4.0/24"]}, "error"),
    "EX102": (NO_EDGE, {"drop": ["block return in quick on em4 proto tcp to 10.0.3.0/24 port 445"]}, "error"),
    "EX103": (NO_EDGE, {"scrub": ["match in on em1 scrub (max-mss 1400)"]}, "error"),
    "EX200": (NO_EDGE, {"drop": [f"block in quick proto tcp from 203.0.113.0/24 to {CAS} port 443"]}, "error"),
    "EX201": (NO_EDGE, {"accept": [f"pass in on em0 proto tcp to {CAS} port 80"]}, "note"),
    "EX202": ({**NO_EDGE, "imap4": True}, {"drop": [f"block in quick proto tcp to {CAS} port 993"]}, "warning"),
    "EX203": (NO_EDGE, {"accept": [f"pass in on em0 proto tcp to {CAS} port 143"]}, "warning"),
    "EX204": ({**NO_EDGE, "pop3": True}, {"drop": [f"block in quick proto tcp to {CAS} port 995"]}, "warning"),
    "EX205": (NO_EDGE, {"accept": [f"pass in on em0 proto tcp to {CAS} port 110"]}, "warning"),
    "EX206": (NO_EDGE, {"drop": [f"block in quick proto tcp to {CAS} port 587"]}, "error"),
    "EX207": (EDGE_P, {"accept": [f"pass in on em0 proto tcp to {EDGE} port 443"]}, "warning"),
    "EX300": (NO_EDGE, {"drop": [f"block in quick on em0 proto tcp to {CAS} port 25"]}, "error"),
    "EX301": (NO_EDGE, {"drop": [f"block in quick proto tcp from {MBX} to ! 10.0.0.0/8 port 25"]}, "error"),
    "EX302": ({**NO_EDGE, "frontend_proxy": True},
              {"drop": [f"block in quick proto tcp from {CAS} to ! 10.0.0.0/8 port 25"]}, "error"),
    "EX303": (NO_EDGE, {"drop": [f"block in quick proto tcp to {DNS} port 53"]}, "error"),
    "EX400": (EDGE_P, {"drop": [f"block in quick on em0 proto tcp to {EDGE} port 25"]}, "error"),
    "EX401": (EDGE_P, {"drop": [f"block in quick proto tcp from {EDGE} to {MBX} port 25"]}, "error"),
    "EX402": (EDGE_P, {"drop": [f"block in quick proto tcp from {MBX} to {EDGE} port 25"]}, "error"),
    "EX403": (EDGE_P, {"drop": [f"block in quick proto tcp from {EDGE} to ! 10.0.0.0/8 port 25"]}, "error"),
    "EX404": (EDGE_P, {"drop": [f"block in quick proto tcp to {EDGE} port 50636"]}, "error"),
    "EX405": (EDGE_P, {"drop": [f"block in quick proto udp from {EDGE} to {DNS} port 53"]}, "error"),
    "EX406": (EDGE_P, {"drop": [f"block in quick from {EDGE} to {PROXY}"]}, "error"),
    "EX407": (EDGE_P, {"accept": [f"pass in on em0 proto tcp to {EDGE} port 22"]}, "warning"),
    "EX408": (EDGE_P, {"accept": [f"pass in on em2 proto tcp to {EDGE} port 3389"]}, "warning"),
    "EX409": (EDGE_P, {"accept": [f"pass in on em0 proto tcp to {MBX} port 25"]}, "warning"),
    "EX500": (NO_EDGE, {"accept": [f"pass in on em0 proto tcp to {CAS} port 3389"]}, "warning"),
}

def test_every_requirement_has_a_pf_case():
    assert_cases_cover_the_pack(CASES)


@pytest.mark.parametrize("profile", PROFILES, ids=profile_id)
def test_good_pf_configurations_keep_every_requirement(kept_report, profile):
    assert_keeps_everything(kept_report(run, profile))


@pytest.mark.parametrize("rid", sorted(CASES))
def test_requirement_broken_and_kept_on_pf(tmp_path, kept_report, rid):
    profile, mods, severity = CASES[rid]
    added = [*mods.get("drop", ()), *mods.get("accept", ()), *mods.get("scrub", ())]
    assert_broken_and_kept(rid, kept_report(run, profile), run(tmp_path, profile, **mods), severity, added)


def test_a_translation_on_the_path_makes_the_finding_approximate(tmp_path):
    """pf redirects before filtering; fwlint reads roles in their real addresses and does not
    apply the redirection, so a finding about packets it may touch is approximate."""
    profile, mods, _ = CASES["EX200"]
    rep = run(tmp_path, profile, **mods)
    hits = [f for f in rep.findings if f.id == "EX200"]
    assert hits and all(not f.approximate for f in hits)
    rdr = [f"pass in on em0 proto tcp to 198.51.100.10 port 443 rdr-to {CAS}"]
    rep = run(tmp_path, profile, scrub=rdr, **mods)
    hits = [f for f in rep.findings if f.id == "EX200"]
    assert hits and all(f.approximate and "translates" in f.message for f in hits)
