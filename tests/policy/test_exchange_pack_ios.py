"""The Exchange 2013 pack on a Cisco IOS router with interface ACLs: every requirement on a
configuration that breaks it and one that keeps it. Same roles and networks as the other
platforms; one inbound ACL per interface. IOS ACLs are stateless: the replies need their own
permits (`established` for TCP, the resolver's answers for UDP)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.policy.exchange_cases import (CAS, DNS, EDGE, EDGE_P, MBX, NO_EDGE, PROFILES, PROXY, assert_broken_and_kept,
                             assert_cases_cover_the_pack, assert_keeps_everything, inventory, profile_id)
from tests.policy.exchange_cases import run as _run

NAMES = {"internet": "GigabitEthernet0/0", "cas": "GigabitEthernet0/1", "clients": "GigabitEthernet0/2",
         "dcs": "GigabitEthernet0/3", "mbx": "GigabitEthernet0/4", "lync": "GigabitEthernet0/5",
         "edge": "GigabitEthernet0/6"}
ACL_OF = {"internet": "OUTSIDE_IN", "cas": "SERVERS_IN", "dcs": "SERVERS_IN", "mbx": "SERVERS_IN",
          "lync": "SERVERS_IN", "clients": "CLIENTS_IN", "edge": "EDGE_IN"}


def acls(profile: dict) -> dict[str, list[str]]:
    edge = profile.get("edge_transport", False)
    outside = []
    ports = ["443"] + (["587"] if profile.get("smtp_client_submission", True) else [])
    ports += [p for k, p in (("http", "80"), ("imap4", "993"), ("pop3", "995")) if profile.get(k)]
    if not edge:
        ports.append("25")
    outside += [f"permit tcp any host {CAS} eq {p}" for p in ports]
    outside += ["permit tcp any any established",
                f"permit udp host {DNS} eq 53 10.0.0.0 0.255.255.255",
                f"permit udp host {DNS} eq 53 host {EDGE}"]
    if edge:
        outside.append(f"permit tcp any host {EDGE} eq 25")
    servers = ["permit ip 10.0.0.0 0.255.255.255 10.0.0.0 0.255.255.255",
               "permit tcp any any established"]
    if not edge:
        sender = CAS if profile.get("frontend_proxy") else MBX
        servers.append(f"permit tcp host {sender} any eq 25")
        for s in (CAS, MBX):
            servers += [f"permit udp host {s} host {DNS} eq 53", f"permit tcp host {s} host {DNS} eq 53"]
    else:
        servers += [f"permit tcp host {MBX} host {EDGE} eq 25", f"permit tcp host {MBX} host {EDGE} eq 50636"]
    edge_in = ["permit tcp any any established"]
    if edge:
        # mail to the Internet, but not to the inside (EX408): the deny before the broad permit
        edge_in += [f"permit tcp host {EDGE} host {MBX} eq 25", f"deny ip host {EDGE} 10.0.0.0 0.255.255.255",
                    f"permit tcp host {EDGE} any eq 25",
                    f"permit udp host {EDGE} host {DNS} eq 53", f"permit tcp host {EDGE} host {DNS} eq 53"]
        if profile.get("sender_reputation_proxy_port"):
            edge_in.append(f"permit tcp host {EDGE} host {PROXY} eq {profile['sender_reputation_proxy_port']}")
    clients = [f"permit tcp 10.0.2.0 0.0.0.255 host {CAS} eq 443", f"permit tcp 10.0.2.0 0.0.0.255 host {CAS} eq 587"]
    return {"OUTSIDE_IN": outside, "SERVERS_IN": servers, "EDGE_IN": edge_in, "CLIENTS_IN": clients}


def config(profile: dict, first=None, last=None, extra: str = "") -> str:
    """`first`/`last`: {ACL: [entries]} put before / after the good entries."""
    first, last = first or {}, last or {}
    out = ["hostname r1"]
    for net, ifname in NAMES.items():
        out += [f"interface {ifname}", f" ip access-group {ACL_OF[net]} in"]
    for name, entries in acls(profile).items():
        out.append(f"ip access-list extended {name}")
        out += [f" {e}" for e in (*first.get(name, ()), *entries, *last.get(name, ()))]
    return "\n".join(out) + "\n" + extra


def run(tmp_path: Path, profile: dict, **mods):
    return _run(tmp_path, "r1.cfg", config(profile, **mods), inventory(profile, "r1.cfg", NAMES))


CASES = {
    "EX100": (NO_EDGE, {"first": {"SERVERS_IN": ["deny tcp 10.0.1.0 0.0.0.255 10.0.4.0 0.0.0.255 eq 135"]}}, "error"),
    "EX101": (NO_EDGE, {"first": {"SERVERS_IN": ["deny udp 10.0.5.0 0.0.0.255 10.0.4.0 0.0.0.255"]}}, "error"),
    "EX102": (NO_EDGE, {"first": {"SERVERS_IN": ["deny tcp 10.0.4.0 0.0.0.255 10.0.3.0 0.0.0.255 eq 445"]}}, "error"),
    "EX103": (NO_EDGE, {"extra": "interface GigabitEthernet0/1\n ip tcp adjust-mss 1360\n"}, "error"),
    "EX200": (NO_EDGE, {"first": {"OUTSIDE_IN": [f"deny tcp 203.0.113.0 0.0.0.255 host {CAS} eq 443"]}}, "error"),
    "EX201": (NO_EDGE, {"last": {"OUTSIDE_IN": [f"permit tcp any host {CAS} eq 80"]}}, "note"),
    "EX202": ({**NO_EDGE, "imap4": True}, {"first": {"OUTSIDE_IN": [f"deny tcp any host {CAS} eq 993"]}}, "warning"),
    "EX203": (NO_EDGE, {"last": {"OUTSIDE_IN": [f"permit tcp any host {CAS} eq 143"]}}, "warning"),
    "EX204": ({**NO_EDGE, "pop3": True}, {"first": {"OUTSIDE_IN": [f"deny tcp any host {CAS} eq 995"]}}, "warning"),
    "EX205": (NO_EDGE, {"last": {"OUTSIDE_IN": [f"permit tcp any host {CAS} eq 110"]}}, "warning"),
    "EX206": (NO_EDGE, {"first": {"OUTSIDE_IN": [f"deny tcp any host {CAS} eq 587"]}}, "error"),
    "EX207": (EDGE_P, {"last": {"OUTSIDE_IN": [f"permit tcp any host {EDGE} eq 443"]}}, "warning"),
    "EX300": (NO_EDGE, {"first": {"OUTSIDE_IN": [f"deny tcp any host {CAS} eq 25"]}}, "error"),
    "EX301": (NO_EDGE, {"first": {"SERVERS_IN": [f"deny tcp host {MBX} any eq 25"]}}, "error"),
    "EX302": ({**NO_EDGE, "frontend_proxy": True}, {"first": {"SERVERS_IN": [f"deny tcp host {CAS} any eq 25"]}},
              "error"),
    "EX303": (NO_EDGE, {"first": {"SERVERS_IN": [f"deny tcp any host {DNS} eq 53"]}}, "error"),
    "EX400": (EDGE_P, {"first": {"OUTSIDE_IN": [f"deny tcp any host {EDGE} eq 25"]}}, "error"),
    "EX401": (EDGE_P, {"first": {"EDGE_IN": [f"deny tcp host {EDGE} host {MBX} eq 25"]}}, "error"),
    "EX402": (EDGE_P, {"first": {"SERVERS_IN": [f"deny tcp host {MBX} host {EDGE} eq 25"]}}, "error"),
    "EX403": (EDGE_P, {"first": {"EDGE_IN": [f"deny tcp host {EDGE} 198.51.100.0 0.0.0.255 eq 25"]}}, "error"),
    "EX404": (EDGE_P, {"first": {"SERVERS_IN": [f"deny tcp any host {EDGE} eq 50636"]}}, "error"),
    "EX405": (EDGE_P, {"first": {"EDGE_IN": [f"deny udp host {EDGE} host {DNS} eq 53"]}}, "error"),
    "EX406": (EDGE_P, {"first": {"EDGE_IN": [f"deny ip host {EDGE} host {PROXY}"]}}, "error"),
    "EX407": (EDGE_P, {"last": {"OUTSIDE_IN": [f"permit tcp any host {EDGE} eq 22"]}}, "warning"),
    "EX408": (EDGE_P, {"last": {"CLIENTS_IN": [f"permit tcp 10.0.2.0 0.0.0.255 host {EDGE} eq 3389"]}}, "warning"),
    "EX409": (EDGE_P, {"last": {"OUTSIDE_IN": [f"permit tcp any host {MBX} eq 25"]}}, "warning"),
    "EX500": (NO_EDGE, {"last": {"OUTSIDE_IN": [f"permit tcp any host {CAS} eq 3389"]}}, "warning"),
}


def test_every_requirement_has_an_ios_case():
    assert_cases_cover_the_pack(CASES)


@pytest.mark.parametrize("profile", PROFILES, ids=profile_id)
def test_good_ios_configurations_keep_every_requirement(kept_report, profile):
    assert_keeps_everything(kept_report(run, profile))


@pytest.mark.parametrize("rid", sorted(CASES))
def test_requirement_broken_and_kept_on_ios(tmp_path, kept_report, rid):
    profile, mods, severity = CASES[rid]
    added = [e for where in ("first", "last") for es in mods.get(where, {}).values() for e in es]
    added += [ln.strip() for ln in mods.get("extra", "").splitlines()]
    assert_broken_and_kept(rid, kept_report(run, profile), run(tmp_path, profile, **mods), severity, added)
