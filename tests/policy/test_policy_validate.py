"""An inventory checked against the devices it names (linter/policy/validate.py): an interface,
nameif or zone the device does not have, a declared platform the file is not of, a role
address behind no interface: one clear error naming the inventory, the key and the value
(exit 2); where the device cannot tell, a note and the inventory taken as given."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from linter import api, files
from linter.cli import main
from linter.policy import PolicyError, load_inventory, load_pack
from linter.policy.validate import SHOWN_NAMES, known_interfaces, validate

from tests.shared import REPO as ROOT

PACK = {
    "schema_version": 1, "id": "svc", "prefix": "SV", "title": "A service",
    "roles": {"web": "web servers", "dns": "resolvers", "admin": "admin workstations"},
    "profile": {"resolvers": {"type": "boolean", "default": True}},
    "requirements": [
        {"id": "SV001", "title": "HTTPS in", "severity": "error", "expect": "allow",
         "message": "HTTPS to the web servers must pass.",
         "flows": [{"from": ["internet"], "to": ["web"], "protocols": ["tcp"], "ports": [443]}]},
        {"id": "SV002", "title": "DNS out", "severity": "error", "expect": "allow",
         "message": "The web servers resolve names.", "when": {"resolvers": True},
         "flows": [{"from": ["web"], "to": ["dns"], "protocols": ["udp"], "ports": [53]}]},
    ],
}

PF = """ext_if = "fxp0"
int_if = "fxp1"
block all
pass out keep state
pass in on $ext_if proto tcp to 10.0.1.10 port 443
pass in on $int_if proto udp from 10.0.1.10 to 198.51.100.53 port 53
"""

IPTABLES = """*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT
-A FORWARD -i eth0 -o eth1 -d 10.0.1.10 -p tcp --dport 443 -j ACCEPT
-A FORWARD -i eth1 -o eth0 -s 10.0.1.10 -d 198.51.100.53 -p udp --dport 53 -j ACCEPT
COMMIT
"""

IOS = """hostname r1
zone security OUTSIDE
zone security INSIDE
interface GigabitEthernet0/0
 ip address 198.51.100.2 255.255.255.252
 zone-member security OUTSIDE
interface GigabitEthernet0/1
 ip address 10.0.1.1 255.255.255.0
 zone-member security INSIDE
class-map type inspect match-any WEB
 match protocol https
policy-map type inspect OUT2IN
 class type inspect WEB
  inspect
zone-pair security OUT2IN source OUTSIDE destination INSIDE
 service-policy type inspect OUT2IN
ip route 0.0.0.0 0.0.0.0 198.51.100.1
"""

ASA = """ASA Version 9.8(4)
hostname asa1
interface GigabitEthernet0/0
 nameif outside
 security-level 0
 ip address 198.51.100.2 255.255.255.252
interface GigabitEthernet0/1
 nameif inside
 security-level 100
 ip address 10.0.1.1 255.255.255.0
access-list OUTSIDE_IN extended permit tcp any host 10.0.1.10 eq https
access-group OUTSIDE_IN in interface outside
"""

ROLES = {"web": ["10.0.1.10"], "dns": ["198.51.100.53"]}


def setup(tmp_path: Path, config_name: str, text: str, device: dict, roles=None, profile=None) -> Path:
    (tmp_path / config_name).write_text(text)
    (tmp_path / "pack.yaml").write_text(yaml.safe_dump(PACK))
    inv = {"internal": ["10.0.0.0/8"], "roles": roles or ROLES, "devices": [{"path": config_name, **device}]}
    if profile:
        inv["profile"] = profile
    path = tmp_path / "inv.yaml"
    path.write_text(yaml.safe_dump(inv, sort_keys=False))
    return path


def shown(tmp_path: Path, name: str) -> str:
    return files.display(tmp_path / name)


def lint(inv: Path):
    return api.lint([], api.LintOptions(policies=[str(inv.parent / "pack.yaml")], inventory=str(inv)))


def error_of(inv: Path) -> str:
    with pytest.raises(PolicyError) as e:
        lint(inv)
    message = str(e.value)
    assert "\n" not in message and message.startswith(f"{inv}: "), message
    return message


# ------------------------------------------------------------------ interfaces: pf and iptables


def test_pf_interface_the_ruleset_never_names_is_an_error_naming_inventory_key_and_value(tmp_path):
    """The issue's case: `fxp9` where the pf device has `fxp1`. Today the flows through fxp9
    meet none of the rules written for fxp1, and the findings that rest on them vanish."""
    inv = setup(tmp_path, "pf.conf", PF, {"interfaces": {"fxp0": ["internet", "dns"], "fxp9": ["10.0.1.0/24"]}})
    message = error_of(inv)
    assert "devices/0/interfaces/fxp9: 'fxp9': " in message
    assert "pf.conf never names interface fxp9, and names fxp1, which the map leaves out" in message
    assert "did you mean fxp1?" in message and "devices/0/unnamed_interfaces" in message
    res = CliRunner().invoke(main, ["check", "--policy", str(tmp_path / "pack.yaml"), "--inventory", str(inv)])
    assert res.exit_code == 2 and "fwlint: error: " in res.output and "devices/0/interfaces/fxp9" in res.output
    assert "Traceback" not in res.output


def test_the_right_map_gives_the_finding_the_typo_hid(tmp_path):
    """With fxp1 mapped, the DNS rule on fxp1 is judged; breaking it gives SV002 (with fxp9,
    an error instead of silence)."""
    broken = PF.replace("port 53", "port 54")
    inv = setup(tmp_path, "pf.conf", broken, {"interfaces": {"fxp0": ["internet", "dns"], "fxp1": ["10.0.1.0/24"]}})
    assert [f.id for f in lint(inv).findings if f.id.startswith("SV")] == ["SV002"]


def test_an_interface_the_rules_do_not_name_is_a_note_when_every_named_one_is_mapped(tmp_path):
    """A third interface whose traffic only `block all` decides is a real interface the
    ruleset has no reason to name (an inventory shared by profiles): a note, and judged."""
    inv = setup(tmp_path, "pf.conf", PF, {"interfaces": {"fxp0": ["internet", "dns"], "fxp1": ["10.0.1.0/24"],
                                                         "fxp2": ["10.0.9.0/24"]}})
    report = lint(inv)
    [note] = [n for n in report.notes if "fxp2" in n]
    assert note.startswith(f"{inv}: ") and "pf.conf never names interface fxp2" in note
    # declared: no note
    inv = setup(tmp_path, "pf.conf", PF, {"interfaces": {"fxp0": ["internet", "dns"], "fxp1": ["10.0.1.0/24"],
                                                         "fxp2": ["10.0.9.0/24"]},
                                          "unnamed_interfaces": ["fxp2"]})
    assert not [n for n in lint(inv).notes if "fxp2" in n]


def test_unnamed_interfaces_declares_an_interface_beside_a_left_out_one(tmp_path):
    """The error's own remedy: the device has both (pflog0 named, nothing behind it)."""
    text = PF + "pass on pflog0\n"
    device = {"interfaces": {"fxp0": ["internet", "dns"], "fxp1": ["10.0.1.0/24"], "fxp2": ["10.0.9.0/24"]}}
    assert "devices/0/interfaces/fxp2: 'fxp2'" in error_of(setup(tmp_path, "pf.conf", text, device))
    lint(setup(tmp_path, "pf.conf", text, {**device, "unnamed_interfaces": ["fxp2"]}))


def test_what_a_pf_ruleset_names(tmp_path):
    """Interfaces in `on`, in address forms, in antispoof, in unused macros; driver groups
    as families; groups known at run time apart."""
    from linter.platforms import pf

    device = pf.parse("t.conf", b'int_if = "em3"\nlan = "{ em4, em5 }"\nblock all\n'
                                b"pass in on em0 proto tcp to (em1) port 22\npass in from em2:network\n"
                                b"antispoof for em8\npass out on vio keep state\npass in on egress\nset skip on lo\n")
    known = known_interfaces(device)
    assert {"em0", "em1", "em2", "em3", "em4", "em5", "em8"} <= known.names
    assert known.has("vio7") and known.has("lo0") and not known.has("em9")
    assert known.groups == ("egress",) and not known.defines


def test_pf_interface_group_known_at_run_time_makes_unknown_names_a_note(tmp_path):
    text = "block all\npass in on egress proto tcp to 10.0.1.10 port 443\npass in on fxp1\n"
    inv = setup(tmp_path, "pf.conf", text, {"interfaces": {"fxp0": ["internet", "dns"], "fxp1": ["10.0.1.0/24"]}})
    [note] = [n for n in lint(inv).notes if "fxp0" in n]
    assert "never names interface fxp0; they may be members of interface group(s) egress" in note


def test_iptables_wildcards_name_interface_families(tmp_path):
    text = IPTABLES.replace("-i eth0 -o eth1", "-i ppp+ -o eth1").replace("-i eth1 -o eth0", "-i eth1 -o ppp+")
    inv = setup(tmp_path, "fw.rules", text, {"interfaces": {"ppp0": ["internet", "dns"], "eth1": ["10.0.1.0/24"]}})
    report = lint(inv)
    assert not [n for n in report.notes if "ppp0" in n]


def test_iptables_map_naming_an_interface_the_rules_do_not(tmp_path):
    inv = setup(tmp_path, "fw.rules", IPTABLES, {"interfaces": {"eth0": ["internet", "dns"], "eth2": ["10.0.1.0/24"]}})
    message = error_of(inv)
    assert "devices/0/interfaces/eth2: 'eth2': " in message and "names eth1, which the map leaves out" in message
    assert "did you mean eth1?" in message


def test_a_ruleset_that_names_no_interface_cannot_tell(tmp_path):
    """Only loopback named: the device cannot tell which interfaces it has; a note, and the
    inventory is taken as given (valid input is not refused)."""
    text = ("*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n"
            "-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT\n-A FORWARD -d 10.0.1.10 -p tcp --dport 443 "
            "-j ACCEPT\nCOMMIT\n")
    inv = setup(tmp_path, "fw.rules", text, {"interfaces": {"eth0": ["internet", "dns"], "eth1": ["10.0.1.0/24"]}})
    report = lint(inv)
    [note] = [n for n in report.notes if "names no interface but loopback" in n]
    assert note.startswith(f"{inv}: ") and note.endswith("interfaces eth0, eth1 taken as given")
    assert [f.id for f in report.findings if f.id.startswith("SV")] == ["SV002"]  # the DNS flow is dropped


def validate_only(inv_path: Path) -> list[str]:
    """validate() on the devices as parsed, without the FW checks a full run makes (the
    hostile files below are slow for the engine, not for the inventory's check)."""
    packs = [load_pack(str(inv_path.parent / "pack.yaml"))]
    inv = load_inventory(str(inv_path), packs)
    devices = {p: api.load(p, e.platform) for e in inv.devices for p in e.paths}
    return validate(inv, packs, devices, lambda _p: None)


def test_error_lists_are_bounded(tmp_path):
    """A hostile file naming thousands of interfaces: the error stays one short line."""
    rules = "".join(f"-A FORWARD -i eth{n} -j DROP\n" for n in range(2000))
    text = "*filter\n:FORWARD DROP [0:0]\n" + rules + "COMMIT\n"
    inv = setup(tmp_path, "fw.rules", text, {"interfaces": {"wan0": ["internet", "dns"], "eth1": ["10.0.1.0/24"]}})
    with pytest.raises(PolicyError) as e:
        validate_only(inv)
    message = str(e.value)
    assert f"and {2000 - 1 - SHOWN_NAMES} more" in message and len(message) < 1000
    # many wildcard families and a large map: each name checked by its own prefixes; every
    # unknown name counted, one shown
    rules = "".join(f"-A FORWARD -i x{n}y+ -j DROP\n" for n in range(3000))
    text = "*filter\n:FORWARD DROP [0:0]\n-A FORWARD -i eth1 -j DROP\n" + rules + "COMMIT\n"
    mapped = {f"x{n}y0": ["10.1.0.0/16"] for n in range(0, 3000, 3)}
    inv = setup(tmp_path, "fw.rules", text, {"interfaces": {"eth0": ["internet", "dns"], **mapped,
                                                            "web0": ["10.0.1.0/24"]}})
    with pytest.raises(PolicyError) as e:
        validate_only(inv)
    message = str(e.value)
    assert "devices/0/interfaces/eth0: 'eth0'" in message and message.endswith("(and 1 more)")


# ------------------------------------------------------------------ interfaces: Cisco


def test_ios_interfaces_are_its_interface_blocks(tmp_path):
    device = {"interfaces": {"GigabitEthernet0/0": ["internet", "dns"], "Gi0/1": ["10.0.1.0/24"]}}
    message = error_of(setup(tmp_path, "r1.cfg", IOS, device))
    assert f"devices/0/interfaces/Gi0/1: 'Gi0/1': {shown(tmp_path, 'r1.cfg')} has no `interface Gi0/1`" in message
    assert "did you mean GigabitEthernet0/1?" in message
    device = {"interfaces": {"GigabitEthernet0/0": ["internet", "dns"], "GigabitEthernet0/1": ["10.0.1.0/24"]}}
    lint(setup(tmp_path, "r1.cfg", IOS, device))


def test_ios_zone_named_for_an_interface(tmp_path):
    device = {"interfaces": {"OUTSIDE": ["internet", "dns"], "GigabitEthernet0/1": ["10.0.1.0/24"]}}
    message = error_of(setup(tmp_path, "r1.cfg", IOS, device))
    assert "devices/0/interfaces/OUTSIDE: 'OUTSIDE'" in message
    assert "OUTSIDE is a security zone: name its member interfaces (GigabitEthernet0/0)" in message


def test_ios_interface_the_configuration_does_not_define_even_when_the_rest_is_mapped(tmp_path):
    """A Cisco configuration defines every interface: an extra one is an error, and
    `unnamed_interfaces` is refused there."""
    device = {"interfaces": {"GigabitEthernet0/0": ["internet", "dns"], "GigabitEthernet0/1": ["10.0.1.0/24"],
                             "GigabitEthernet0/7": ["10.0.9.0/24"], "GigabitEthernet0/8": ["10.0.8.0/24"]}}
    message = error_of(setup(tmp_path, "r1.cfg", IOS, device))
    assert "devices/0/interfaces/GigabitEthernet0/7" in message and message.endswith("(and 1 more)")
    message = error_of(setup(tmp_path, "r1.cfg", IOS, {**device, "unnamed_interfaces": ["GigabitEthernet0/7"]}))
    assert (f"devices/0/unnamed_interfaces: ['GigabitEthernet0/7']: {shown(tmp_path, 'r1.cfg')} is a cisco-ios "
            "configuration, which defines its interfaces") in message


def test_asa_interfaces_are_nameif_names(tmp_path):
    device = {"interfaces": {"outside": ["internet", "dns"], "GigabitEthernet0/1": ["10.0.1.0/24"]}}
    message = error_of(setup(tmp_path, "asa1.cfg", ASA, device))
    assert (f"devices/0/interfaces/GigabitEthernet0/1: 'GigabitEthernet0/1': {shown(tmp_path, 'asa1.cfg')} has no "
            "interface with nameif GigabitEthernet0/1 (its nameif names: inside, outside)") in message
    assert "by nameif, not by hardware name" in message
    device = {"interfaces": {"outside": ["internet", "dns"], "insde": ["10.0.1.0/24"]}}
    assert "did you mean inside?" in error_of(setup(tmp_path, "asa1.cfg", ASA, device))
    device = {"interfaces": {"outside": ["internet", "dns"], "inside": ["10.0.1.0/24"]}}
    lint(setup(tmp_path, "asa1.cfg", ASA, device))


def test_cisco_excerpt_without_interfaces_cannot_tell(tmp_path):
    text = "hostname r1\nip access-list extended IN\n permit tcp any host 10.0.1.10 eq 443\n"
    device = {"interfaces": {"Gi0/0": ["internet", "dns"], "Gi0/1": ["10.0.1.0/24"]}}
    [note] = [n for n in lint(setup(tmp_path, "r1.cfg", text, device)).notes if "defines no interface" in n]
    assert note.endswith("defines no interface (an excerpt of a configuration?): interfaces Gi0/0, Gi0/1 "
                         "taken as given")


# ------------------------------------------------------------------ platforms


def test_declared_platform_the_file_is_not(tmp_path):
    inv = setup(tmp_path, "fw.rules", IPTABLES, {"platform": "pf",
                                                 "interfaces": {"eth0": ["internet", "dns"], "eth1": ["10.0.1.0/24"]}})
    # (not one of its lines is pf: the file is refused as no pf configuration (api.refusal),
    # and the inventory is named as the mistake: its key, the value, what the file reads as)
    assert (f"devices/0/platform: 'pf': {shown(tmp_path, 'fw.rules')} is not a pf configuration: "
            "it reads as iptables (as pf: 0 of 9 lines understood, 0 rules)") in error_of(inv)
    inv = setup(tmp_path, "r1.cfg", IOS, {"platform": "cisco-asa",
                                          "interfaces": {"GigabitEthernet0/0": ["internet", "dns"]}})
    assert (f"devices/0/platform: 'cisco-asa': {shown(tmp_path, 'r1.cfg')} is not a cisco-asa configuration: "
            "it reads as cisco-ios") in error_of(inv)
    inv = setup(tmp_path, "fw.rules", IPTABLES, {"platform": "iptables",
                                                 "interfaces": {"eth0": ["internet", "dns"], "eth1": ["10.0.1.0/24"]}})
    lint(inv)


def test_a_detector_that_disagrees_with_a_file_read_well_is_not_an_error(tmp_path):
    """Detection is a heuristic: a file the declared parser reads well (rules, few errors)
    is of the declared platform whatever the detector thinks."""
    inv_path = setup(tmp_path, "r1.cfg", IOS, {"platform": "cisco-ios", "interfaces": {
        "GigabitEthernet0/0": ["internet", "dns"], "GigabitEthernet0/1": ["10.0.1.0/24"]}})
    packs = [load_pack(str(tmp_path / "pack.yaml"))]
    inv = load_inventory(str(inv_path), packs)
    path = inv.devices[0].paths[0]
    device = api.load(path, "cisco-ios")
    assert validate(inv, packs, {path: device}, lambda _p: "pf") == []
    rules_less = api.load(path, "cisco-asa")  # the ASA parser finds no rule in an IOS file
    with pytest.raises(PolicyError, match="it reads as pf"):
        validate(inv, packs, {path: rules_less}, lambda _p: "pf")
    # a detector that cannot tell never makes a platform error (the misread file defines no
    # interface: the device cannot tell, a note)
    [note] = validate(inv, packs, {path: rules_less}, lambda _p: None)
    assert "defines no interface" in note


def test_the_schema_knows_every_platform():
    from linter.platforms import PLATFORMS
    from linter.policy.inventory import inventory_schema

    declared = inventory_schema()["properties"]["devices"]["items"]["properties"]["platform"]["enum"]
    assert sorted(declared) == sorted(PLATFORMS)


def test_unknown_platform_name_and_host_with_a_map_are_load_errors(tmp_path):
    inv = setup(tmp_path, "fw.rules", IPTABLES, {"platform": "iptable"})
    packs = [load_pack(str(tmp_path / "pack.yaml"))]
    with pytest.raises(PolicyError, match=r"devices/0/platform: expected one of cisco-asa, cisco-ios, iptables, pf, "
                                          r"got 'iptable'"):
        load_inventory(str(inv), packs)
    inv = setup(tmp_path, "fw.rules", IPTABLES, {"host": "web", "interfaces": {"eth0": ["internet"]}})
    with pytest.raises(PolicyError, match="devices/0/interfaces: a device with `host` .* give one or the other"):
        load_inventory(str(inv), packs)
    inv = setup(tmp_path, "fw.rules", IPTABLES, {"interfaces": {"eth0": ["internet"]}, "unnamed_interfaces": ["eth9"]})
    with pytest.raises(PolicyError, match=r"devices/0/unnamed_interfaces/0: 'eth9': not an interface of "
                                          r"devices/0/interfaces \(eth0\)"):
        load_inventory(str(inv), packs)


# ------------------------------------------------------------------ roles


def test_role_address_behind_no_interface(tmp_path):
    """`dns` left out of the map: `internet` does not hold a role's addresses, so the
    resolver lies behind no interface and the DNS flow would silently cross nothing."""
    device = {"interfaces": {"eth0": ["internet"], "eth1": ["10.0.1.0/24"]}}
    message = error_of(setup(tmp_path, "fw.rules", IPTABLES, device))
    assert "roles/dns/0: '198.51.100.53' lies behind no interface of any device of the inventory" in message
    # partly placed: the part that is not
    roles = {"web": ["10.0.0.0/23"], "dns": ["198.51.100.53"]}
    device = {"interfaces": {"eth0": ["internet", "dns"], "eth1": ["10.0.1.0/24"]}}
    message = error_of(setup(tmp_path, "fw.rules", IPTABLES, device, roles=roles))
    assert "roles/web/0: '10.0.0.0/23' (of it, 10.0.0.0/24) lies behind no interface" in message


def test_roles_no_applicable_requirement_uses_are_not_asked_to_be_placed(tmp_path):
    device = {"interfaces": {"eth0": ["internet"], "eth1": ["10.0.1.0/24"]}}
    roles = {**ROLES, "admin": ["10.0.9.0/24"]}
    lint(setup(tmp_path, "fw.rules", IPTABLES, device, roles=roles, profile={"resolvers": False}))


def test_a_host_device_places_its_role(tmp_path):
    host = "*filter\n:INPUT DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 443 -j ACCEPT\nCOMMIT\n"
    lint(setup(tmp_path, "web.rules", host, {"host": "web"}, profile={"resolvers": False}))


def test_a_device_with_nothing_to_infer_a_map_from(tmp_path):
    """No `interfaces`, no `host`, and an iptables file has no interface addresses or routes:
    no flow could cross it. Documented before as "not checked"; now an error naming the device."""
    message = error_of(setup(tmp_path, "fw.rules", IPTABLES, {}))
    assert "devices/0/path: 'fw.rules': " in message and "no flow could cross it" in message


# ------------------------------------------------------------------ the bundled examples


@pytest.mark.parametrize("example", sorted(p.parent.name for p in (ROOT / "examples").glob("*/inventory.yaml")))
def test_every_bundled_example_inventory_passes(example):
    inv_path = ROOT / "examples" / example / "inventory.yaml"
    packs = [load_pack("exchange-2013")]
    inv = load_inventory(str(inv_path), packs)
    devices = {p: api.load(p, e.platform) for e in inv.devices for p in e.paths}
    assert validate(inv, packs, devices, api._platform_of_file) == []
    report = api.lint([], api.LintOptions(policies=["exchange-2013"], inventory=str(inv_path)))
    assert report.findings and not [n for n in report.notes if "inventory.yaml: " in n]


def test_a_device_that_cannot_be_read_is_reported_as_such(tmp_path):
    """The read error, not an inventory error about the roles its inferred map would have
    placed (here `dns`, behind the IOS router whose file is not UTF-16 as it claims)."""
    inv = setup(tmp_path, "fw.rules", IPTABLES, {"interfaces": {"eth0": ["internet"], "eth1": ["web"]}})
    data = yaml.safe_load(inv.read_text())
    data["devices"].append({"path": "r1.cfg"})
    inv.write_text(yaml.safe_dump(data))
    (tmp_path / "r1.cfg").write_bytes(b"\xff\xfe" + b"x" * 3)
    report = lint(inv)
    assert report.errors and "r1.cfg" in report.errors[0]
    (tmp_path / "r1.cfg").write_text(IOS)
    lint(inv)  # read: its default route places dns behind GigabitEthernet0/0
