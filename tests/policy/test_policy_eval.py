"""Evaluation semantics of the expectations, on small hand-written packs and rulesets:
replies, hosts (INPUT/OUTPUT), IPv6, end-to-end restriction across two devices, and
opaque conditions."""

from __future__ import annotations

from pathlib import Path

import yaml

from linter.api import LintOptions, lint

PACK = {
    "schema_version": 1, "id": "svc", "prefix": "SV", "title": "A service",
    "roles": {"web": "web servers", "admin": "admin workstations"},
    "requirements": [
        {"id": "SV001", "title": "HTTPS in", "severity": "error", "expect": "allow",
         "message": "HTTPS to the web servers must pass.",
         "flows": [{"from": ["internet"], "to": ["web"], "protocols": ["tcp"], "ports": [443]}]},
        {"id": "SV002", "title": "SSH only from admins", "severity": "warning", "expect": "note-if-open",
         "message": "SSH to the web servers is open from the Internet.",
         "flows": [{"from": ["internet"], "to": ["web"], "protocols": ["tcp"], "ports": [22]}]},
        {"id": "SV003", "title": "nothing else", "severity": "warning", "expect": "restrict",
         "message": "Only HTTPS reaches the web servers from the Internet.",
         "flows": [{"from": ["internet"], "to": ["web"]}],
         "except": [{"from": ["internet"], "to": ["web"], "protocols": ["tcp"], "ports": [443]}]},
    ],
}

HEAD = "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"


def run(tmp_path: Path, files: dict[str, str], devices: list[dict], roles=None):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "pack.yaml").write_text(yaml.safe_dump(PACK))
    inv = {"internal": ["10.0.0.0/8", "2001:db8:10::/48"],
           "roles": roles or {"web": ["10.0.1.10"], "admin": ["10.0.9.0/24"]}, "devices": devices}
    (tmp_path / "inv.yaml").write_text(yaml.safe_dump(inv))
    return lint([], LintOptions(policies=[str(tmp_path / "pack.yaml")], inventory=str(tmp_path / "inv.yaml"),
                                select={"SV001", "SV002", "SV003"}))


ROUTER = {"path": "fw.rules", "interfaces": {"eth0": ["internet"], "eth1": ["10.0.1.0/24"]}}


def ids(rep):
    return sorted((f.id, f.origin.line) for f in rep.findings)


def test_replies_need_an_established_rule(tmp_path):
    no_state = HEAD + "-A FORWARD -i eth0 -o eth1 -d 10.0.1.10 -p tcp --dport 443 -j ACCEPT\nCOMMIT\n"
    rep = run(tmp_path, {"fw.rules": no_state}, [ROUTER])
    [f] = rep.findings
    assert f.id == "SV001" and "replies" in f.message and f.origin.line == 3  # FORWARD policy DROP
    assert f.witness.state == "ESTABLISHED" and f.witness.sport == 443 and f.witness.src == 0x0A00010A
    stateful = HEAD + ("-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT\n"
                       "-A FORWARD -i eth0 -o eth1 -d 10.0.1.10 -p tcp --dport 443 -j ACCEPT\nCOMMIT\n")
    assert run(tmp_path, {"fw.rules": stateful}, [ROUTER]).findings == []
    # explicit rules for the replies work as well as conntrack
    explicit = HEAD + ("-A FORWARD -i eth0 -o eth1 -d 10.0.1.10 -p tcp --dport 443 -j ACCEPT\n"
                       "-A FORWARD -i eth1 -o eth0 -s 10.0.1.10 -p tcp --sport 443 -j ACCEPT\nCOMMIT\n")
    assert run(tmp_path, {"fw.rules": explicit}, [ROUTER]).findings == []


def test_partial_pass_names_the_dropping_rule_and_the_share(tmp_path):
    text = HEAD + ("-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT\n"
                   "-A FORWARD -s 198.51.100.0/24 -j DROP\n"
                   "-A FORWARD -i eth0 -o eth1 -d 10.0.1.10 -p tcp --dport 443 -j ACCEPT\nCOMMIT\n")
    [f] = run(tmp_path, {"fw.rules": text}, [ROUTER]).findings
    assert f.origin.line == 6 and "% of it passes" in f.message and "none" not in f.message
    assert (f.witness.src >> 8) == 0xC63364  # a packet from 198.51.100.0/24


def test_host_device_is_judged_at_input_and_output(tmp_path):
    host = ("*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT DROP [0:0]\n"
            "-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT\n"
            "-A INPUT -p tcp --dport 22 -j ACCEPT\n"
            "-A OUTPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT\nCOMMIT\n")
    rep = run(tmp_path, {"web01.rules": host}, [{"path": "web01.rules", "host": "web"}])
    got = ids(rep)
    assert ("SV001", 2) in got  # 443 falls to the INPUT policy
    assert ("SV002", 6) in got and ("SV003", 6) in got  # SSH is open, and beyond the exception
    host_ok = host.replace("--dport 22", "--dport 443")
    assert ids(run(tmp_path, {"web01.rules": host_ok}, [{"path": "web01.rules", "host": "web"}])) == []


def test_restrict_is_judged_end_to_end(tmp_path):
    """A port the border opens but the inner firewall closes is not open."""
    border = HEAD + ("-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT\n"
                     "-A FORWARD -i eth0 -o eth1 -d 10.0.1.0/24 -j ACCEPT\nCOMMIT\n")
    inner = HEAD + ("-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT\n"
                    "-A FORWARD -i ext -o dmz -p tcp --dport 443 -j ACCEPT\nCOMMIT\n")
    devices = [ROUTER, {"path": "inner.rules", "interfaces": {"ext": ["internet"], "dmz": ["web"]}}]
    rep = run(tmp_path, {"fw.rules": border, "inner.rules": inner}, devices)
    assert ids(rep) == []
    inner_open = inner.replace("--dport 443", "-m multiport --dports 443,8443")
    rep = run(tmp_path, {"fw.rules": border, "inner.rules": inner_open}, devices)
    [f] = rep.findings
    assert f.id == "SV003" and f.witness.dport == 8443
    # the primary location is one device's accepting rule, the other device's is related
    assert {f.origin.path.rsplit("/", 1)[1]} | {r.origin.path.rsplit("/", 1)[1] for r in f.related} \
        == {"fw.rules", "inner.rules"}


def test_ipv6_roles_on_an_ip6tables_device(tmp_path):
    v6 = HEAD + ("-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT\n"
                 "-A FORWARD -i eth0 -o eth1 -d 2001:db8:10::10/128 -p tcp --dport 8443 -j ACCEPT\nCOMMIT\n")
    dev = {"path": "fw6.rules", "interfaces": {"eth0": ["internet"], "eth1": ["2001:db8:10::/64"]}}
    rep = run(tmp_path, {"fw6.rules": v6}, [dev], roles={"web": ["2001:db8:10::10"], "admin": ["10.0.9.0/24"]})
    got = ids(rep)
    assert ("SV001", 3) in got  # 443 over IPv6 falls to the policy
    f = next(f for f in rep.findings if f.id == "SV003")
    assert f.witness.family == 6 and f.witness.dport == 8443


def test_an_iptables_file_is_not_judged_for_the_other_family(tmp_path):
    v4 = HEAD + "-A FORWARD -j DROP\nCOMMIT\n"
    dev = {"path": "fw.rules", "interfaces": {"eth0": ["internet"], "eth1": ["2001:db8:10::/64"]}}
    rep = run(tmp_path, {"fw.rules": v4}, [dev], roles={"web": ["2001:db8:10::10"], "admin": ["10.0.9.0/24"]})
    assert rep.findings == []
    assert {x["requirement"] for x in rep.not_checked} == {"SV001", "SV002", "SV003"}


def test_opaque_conditions_make_findings_approximate(tmp_path):
    text = HEAD + ("-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT\n"
                   "-A FORWARD -i eth0 -o eth1 -d 10.0.1.10 -p tcp --dport 443 -m limit --limit 50/s -j ACCEPT\n"
                   "COMMIT\n")
    [f] = run(tmp_path, {"fw.rules": text}, [ROUTER]).findings
    assert f.id == "SV001" and f.approximate


def test_interface_mapping_inferred_from_addresses_and_routes(tmp_path):
    """A device without an interface mapping in the inventory: connected networks and static
    routes say which addresses lie behind which interface (longest prefix wins), and the
    report says so."""
    from linter import model as m
    from linter.policy import load_inventory, load_pack
    from linter.policy.evaluate import evaluate, infer_interfaces
    from linter.platforms.iptables import parse

    dev = parse("fw.rules", (HEAD + "-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT\n"
                             "COMMIT\n").encode())
    dev = m.Device(dev.name, "test", dev.sources, dev.filters, dev.bindings,
                   (m.Interface("eth0", ("198.51.100.2 255.255.255.252",)), m.Interface("eth1", ("10.0.1.1/24",))),
                   dev.alterations, dev.diagnostics, dev.stats, 4,
                   routes=(m.Route("0.0.0.0/0", next_hop="198.51.100.1"), m.Route("10.0.0.0/8", interface="eth1")))
    covers, how = infer_interfaces(dev)
    assert covers["eth1"] == [(4, 0x0A000000, 0x0AFFFFFF)]
    assert any(lo <= 0xC6336401 <= hi for _, lo, hi in covers["eth0"])  # 198.51.100.1: the default route
    assert "2 interface address(es) and 2 static route(s)" in how
    (tmp_path / "pack.yaml").write_text(yaml.safe_dump(PACK))
    (tmp_path / "fw.rules").write_text("")
    (tmp_path / "inv.yaml").write_text(yaml.safe_dump({"internal": ["10.0.0.0/8"], "roles": {"web": ["10.0.1.10"]},
                                                       "devices": [{"path": "fw.rules"}]}))
    inv = load_inventory(str(tmp_path / "inv.yaml"), [load_pack(str(tmp_path / "pack.yaml"))])
    ev = evaluate([load_pack(str(tmp_path / "pack.yaml"))], inv, {inv.devices[0].paths[0]: dev})
    # nothing is accepted toward the web server: SV001 is reported, through eth0 -> eth1
    assert [f.id for f in ev.findings] == ["SV001"] and "eth0 -> eth1" in ev.findings[0].message
    assert any("no interface mapping in the inventory" in n for n in ev.notes)


def test_cisco_ios_router_without_a_mapping(tmp_path):
    """IOS: no interface map in the inventory; it is inferred from the interface addresses
    and static routes, and the ACL bound inbound on the outside interface decides."""
    cfg = ("hostname r1\ninterface GigabitEthernet0/0\n ip address 198.51.100.2 255.255.255.252\n"
           " ip access-group OUTSIDE_IN in\ninterface GigabitEthernet0/1\n ip address 10.0.1.1 255.255.255.0\n"
           "ip access-list extended OUTSIDE_IN\n permit tcp any host 10.0.1.10 eq 443\n{extra}"
           "ip route 0.0.0.0 0.0.0.0 198.51.100.1\n")
    dev = {"path": "r1.cfg"}
    rep = run(tmp_path, {"r1.cfg": cfg.format(extra="")}, [dev])
    assert ids(rep) == [] and any("inferred from 2 interface address(es) and 1 static route(s)" in n
                                  for n in rep.notes)
    rep = run(tmp_path, {"r1.cfg": cfg.format(extra=" permit tcp any host 10.0.1.10 eq 22\n")}, [dev])
    assert ids(rep) == [("SV002", 9), ("SV003", 9)]
