"""The Exchange 2013 pack: every requirement on a configuration that breaks it and one that
keeps it (a Linux router with iptables between the roles).

The topology: eth0 the Internet (and the resolver and proxy out there), eth1 the Client
Access server, eth4 the Mailbox server, eth5 Lync, eth3 the domain controllers, eth2 the
internal clients, eth6 the perimeter network with the Edge Transport server.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from linter.api import LintOptions, lint

from tests.policy.exchange_cases import (CAS, DNS, EDGE, EDGE_P, MBX, NO_EDGE, PROFILES, PROXY,
                             assert_broken_and_kept, ex_ids, profile_id)
from tests.policy.exchange_cases import inventory as _inventory
from tests.policy.exchange_cases import run as _run
INTERNAL_IFACES = ("eth1", "eth4", "eth5", "eth3")


def good_rules(profile: dict) -> list[str]:
    """FORWARD rules that keep every requirement under the profile."""
    edge = profile.get("edge_transport", False)
    r = ["-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
         "-A FORWARD -m conntrack --ctstate INVALID -j DROP"]
    # Exchange, Lync and the DCs talk freely (EX100-EX102)
    for i in INTERNAL_IFACES:
        for o in INTERNAL_IFACES:
            if i != o and not (i in ("eth5", "eth3") and o in ("eth5", "eth3")):
                r.append(f"-A FORWARD -i {i} -o {o} -j ACCEPT")
    client_ports = ["443"]
    if profile.get("smtp_client_submission", True):
        client_ports.append("587")
    if profile.get("http"):
        client_ports.append("80")
    if profile.get("imap4"):
        client_ports.append("993")
    if profile.get("pop3"):
        client_ports.append("995")
    if not edge:
        client_ports.append("25")
    r.append(f"-A FORWARD -i eth0 -o eth1 -d {CAS} -p tcp -m multiport --dports {','.join(client_ports)} -j ACCEPT")
    if not edge:
        sender = CAS if profile.get("frontend_proxy") else MBX
        out_if = "eth1" if profile.get("frontend_proxy") else "eth4"
        r.append(f"-A FORWARD -i {out_if} -o eth0 -s {sender} -p tcp --dport 25 -j ACCEPT")
        for s, i in ((CAS, "eth1"), (MBX, "eth4")):
            for p in ("udp", "tcp"):
                r.append(f"-A FORWARD -i {i} -o eth0 -s {s} -d {DNS} -p {p} --dport 53 -j ACCEPT")
    else:
        r += [f"-A FORWARD -i eth0 -o eth6 -d {EDGE} -p tcp --dport 25 -j ACCEPT",
              f"-A FORWARD -i eth6 -o eth4 -s {EDGE} -d {MBX} -p tcp --dport 25 -j ACCEPT",
              f"-A FORWARD -i eth4 -o eth6 -s {MBX} -d {EDGE} -p tcp -m multiport --dports 25,50636 -j ACCEPT",
              f"-A FORWARD -i eth6 -o eth0 -s {EDGE} -p tcp --dport 25 -j ACCEPT",
              f"-A FORWARD -i eth6 -o eth0 -s {EDGE} -d {DNS} -p udp --dport 53 -j ACCEPT",
              f"-A FORWARD -i eth6 -o eth0 -s {EDGE} -d {DNS} -p tcp --dport 53 -j ACCEPT"]
        if profile.get("sender_reputation_proxy_port"):
            r.append(f"-A FORWARD -i eth6 -o eth0 -s {EDGE} -d {PROXY} -p tcp "
                     f"--dport {profile['sender_reputation_proxy_port']} -j ACCEPT")
    # internal clients reach the client ports; restricting them is allowed (EX501)
    r.append(f"-A FORWARD -i eth2 -o eth1 -d {CAS} -p tcp -m multiport --dports 443,587 -j ACCEPT")
    return r


def ruleset(profile: dict, drop: list[str] = (), accept: list[str] = (), mangle: list[str] = ()) -> str:
    rules = good_rules(profile)
    # drops go right after the state rules (before the accepts they defeat), accepts at the end
    body = rules[:2] + list(drop) + rules[2:] + list(accept)
    return "\n".join(["*mangle", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]",
                      ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]", *mangle, "COMMIT",
                      "*filter", ":INPUT DROP [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]",
                      *body, "COMMIT", ""])


NAMES = {"internet": "eth0", "cas": "eth1", "clients": "eth2", "dcs": "eth3", "mbx": "eth4", "lync": "eth5",
         "edge": "eth6"}


def inventory(profile: dict) -> dict:
    return _inventory(profile, "router.rules", NAMES)


def run(tmp_path: Path, profile: dict, **mods):
    return _run(tmp_path, "router.rules", ruleset(profile, **mods), inventory(profile))


# id -> (profile, modification that breaks it, severity of the finding)
CASES = {
    "EX100": (NO_EDGE, {"drop": ["-A FORWARD -i eth1 -o eth4 -p tcp --dport 135 -j DROP"]}, "error"),
    "EX101": (NO_EDGE, {"drop": ["-A FORWARD -i eth5 -o eth4 -p udp -j DROP"]}, "error"),
    "EX102": (NO_EDGE, {"drop": ["-A FORWARD -i eth4 -o eth3 -p tcp --dport 445 -j REJECT"]}, "error"),
    "EX103": (NO_EDGE, {"mangle": ["-A FORWARD -i eth1 -o eth3 -p tcp --tcp-flags SYN,RST SYN "
                                   "-j TCPMSS --clamp-mss-to-pmtu"]}, "error"),
    "EX200": (NO_EDGE, {"drop": [f"-A FORWARD -d {CAS} -p tcp --dport 443 -s 203.0.113.0/24 -j DROP"]}, "error"),
    "EX201": (NO_EDGE, {"accept": [f"-A FORWARD -i eth0 -d {CAS} -p tcp --dport 80 -j ACCEPT"]}, "note"),
    "EX202": ({**NO_EDGE, "imap4": True}, {"drop": [f"-A FORWARD -d {CAS} -p tcp --dport 993 -j DROP"]}, "warning"),
    "EX203": (NO_EDGE, {"accept": [f"-A FORWARD -i eth0 -d {CAS} -p tcp --dport 143 -j ACCEPT"]}, "warning"),
    "EX204": ({**NO_EDGE, "pop3": True}, {"drop": [f"-A FORWARD -d {CAS} -p tcp --dport 995 -j DROP"]}, "warning"),
    "EX205": (NO_EDGE, {"accept": [f"-A FORWARD -i eth0 -d {CAS} -p tcp --dport 110 -j ACCEPT"]}, "warning"),
    "EX206": (NO_EDGE, {"drop": [f"-A FORWARD -d {CAS} -p tcp --dport 587 -j DROP"]}, "error"),
    "EX207": (EDGE_P, {"accept": [f"-A FORWARD -i eth0 -d {EDGE} -p tcp --dport 443 -j ACCEPT"]}, "warning"),
    "EX300": (NO_EDGE, {"drop": [f"-A FORWARD -i eth0 -d {CAS} -p tcp --dport 25 -j DROP"]}, "error"),
    "EX301": (NO_EDGE, {"drop": [f"-A FORWARD -s {MBX} -o eth0 -p tcp --dport 25 -j DROP"]}, "error"),
    "EX302": ({**NO_EDGE, "frontend_proxy": True},
              {"drop": [f"-A FORWARD -s {CAS} -o eth0 -p tcp --dport 25 -j DROP"]}, "error"),
    "EX303": (NO_EDGE, {"drop": [f"-A FORWARD -d {DNS} -p tcp --dport 53 -j DROP"]}, "error"),
    "EX400": (EDGE_P, {"drop": [f"-A FORWARD -d {EDGE} -p tcp --dport 25 -i eth0 -j DROP"]}, "error"),
    "EX401": (EDGE_P, {"drop": [f"-A FORWARD -s {EDGE} -d {MBX} -p tcp --dport 25 -j DROP"]}, "error"),
    "EX402": (EDGE_P, {"drop": [f"-A FORWARD -s {MBX} -d {EDGE} -p tcp --dport 25 -j DROP"]}, "error"),
    "EX403": (EDGE_P, {"drop": [f"-A FORWARD -s {EDGE} -o eth0 -p tcp --dport 25 -j DROP"]}, "error"),
    "EX404": (EDGE_P, {"drop": [f"-A FORWARD -d {EDGE} -p tcp --dport 50636 -j DROP"]}, "error"),
    "EX405": (EDGE_P, {"drop": [f"-A FORWARD -s {EDGE} -d {DNS} -p udp --dport 53 -j DROP"]}, "error"),
    "EX406": (EDGE_P, {"drop": [f"-A FORWARD -s {EDGE} -d {PROXY} -j DROP"]}, "error"),
    "EX407": (EDGE_P, {"accept": [f"-A FORWARD -i eth0 -d {EDGE} -p tcp --dport 22 -j ACCEPT"]}, "warning"),
    "EX408": (EDGE_P, {"accept": [f"-A FORWARD -i eth2 -o eth6 -d {EDGE} -p tcp --dport 3389 -j ACCEPT"]},
              "warning"),
    "EX409": (EDGE_P, {"accept": [f"-A FORWARD -i eth0 -d {MBX} -p tcp --dport 25 -j ACCEPT"]}, "warning"),
    "EX500": (NO_EDGE, {"accept": [f"-A FORWARD -i eth0 -d {CAS} -p tcp --dport 3389 -j ACCEPT"]}, "warning"),
}

def test_fw_checks_can_be_left_out(tmp_path):
    """(select= keeps the tests on the pack; the FW checks run in test_checks_annotated)"""
    rep = run(tmp_path, NO_EDGE, accept=[f"-A FORWARD -i eth0 -d {CAS} -p tcp --dport 3389 -j ACCEPT"])
    assert {f.id for f in rep.findings} == {"EX500"}


def test_every_requirement_has_a_case():
    assert set(ex_ids()) - {"EX501"} == set(CASES)


@pytest.mark.parametrize("profile", PROFILES, ids=profile_id)
def test_good_configurations_keep_every_requirement(kept_report, profile):
    rep = kept_report(run, profile)
    ex = [f for f in rep.findings if f.id.startswith("EX")]
    assert ex == [], [f"{f.id} {f.message}" for f in ex]
    assert rep.policies == ["exchange-2013"]


@pytest.mark.parametrize("rid", sorted(CASES))
def test_requirement_broken_and_kept(tmp_path, kept_report, rid):
    profile, mods, severity = CASES[rid]
    added = [*mods.get("drop", ()), *mods.get("accept", ()), *mods.get("mangle", ())]
    assert_broken_and_kept(rid, kept_report(run, profile), run(tmp_path, profile, **mods), severity, added)


def test_ex501_restricting_clients_is_never_a_finding(tmp_path):
    rep = run(tmp_path, NO_EDGE, drop=[f"-A FORWARD -i eth2 -d {CAS} -j DROP"])
    assert not [f for f in rep.findings if f.id.startswith("EX")]


def test_flows_no_device_judges_are_not_checked(tmp_path):
    """Lync sits behind no interface of its own here: both roles behind eth1."""
    profile = dict(NO_EDGE)
    (tmp_path / "router.rules").write_text(ruleset(profile))
    inv = inventory(profile)
    inv["roles"]["lync"] = ["10.0.1.30"]
    (tmp_path / "inv.yaml").write_text(yaml.safe_dump(inv))
    rep = lint([], LintOptions(policies=["exchange-2013"], inventory=str(tmp_path / "inv.yaml"),
                               select=set(ex_ids())))
    nc = [x for x in rep.not_checked if x["requirement"] == "EX101"]
    assert {x["flow"] for x in nc} == {"client_access -> lync any protocol", "lync -> client_access any protocol"}
    assert all("no device" in x["reason"] for x in nc)
    # the Mailbox server (eth4) <-> Lync (now eth1) is still judged: break it
    (tmp_path / "router.rules").write_text(ruleset(profile, drop=["-A FORWARD -i eth4 -o eth1 -p udp -j DROP"]))
    rep = lint([], LintOptions(policies=["exchange-2013"], inventory=str(tmp_path / "inv.yaml"),
                               select=set(ex_ids())))
    hits = [f for f in rep.findings if f.id == "EX101"]
    assert hits and all("mailbox -> lync" in f.message for f in hits)
