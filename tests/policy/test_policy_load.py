"""Packs and inventories: the schemas, and bad input (a clear error naming file and key,
exit code 2, nothing half-applied)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from linter.cli import main
from linter.policy import PolicyError, load_inventory, load_pack
from linter.policy.inventory import parse_address, subtract
from linter.resources import rules_dir

from tests.shared import REPO as ROOT

ROUTER = ROOT / "examples" / "exchange-no-edge" / "router.rules"

PACK = {
    "schema_version": 1, "id": "web-tier", "prefix": "WEB", "title": "A web tier",
    "roles": {"web": "web servers", "db": "database servers"},
    "profile": {"tls_only": {"type": "boolean", "default": True}},
    "requirements": [
        {"id": "WEB001", "title": "HTTPS in", "severity": "error", "expect": "allow",
         "message": "HTTPS to the web servers must pass.",
         "flows": [{"from": ["internet"], "to": ["web"], "protocols": ["tcp"], "ports": [443]}]},
        {"id": "WEB002", "title": "only HTTPS", "severity": "warning", "expect": "restrict",
         "message": "Nothing but HTTPS from the Internet.",
         "flows": [{"from": ["internet"], "to": ["web", "db"]}],
         "except": [{"from": ["internet"], "to": ["web"], "protocols": ["tcp"], "ports": [443]},
                    {"from": ["internet"], "to": ["web"], "protocols": ["tcp"], "ports": [80],
                     "when": {"tls_only": False}}]},
    ],
}


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def write(tmp_path: Path, name: str, data) -> Path:
    # the inventories name the router beside them: a file outside the inventory's folder (it
    # is outside any repository) would be refused (linter/files.py)
    if not (tmp_path / "router.rules").exists():
        shutil.copy(ROUTER, tmp_path / "router.rules")
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else yaml.dump(data, Dumper=_NoAliases, sort_keys=False))
    return p


def inv_data(**over):
    d = {"internal": ["10.0.0.0/8"], "roles": {"web": ["10.0.1.10"], "db": ["10.0.3.5"]},
         "devices": [{"path": "router.rules", "interfaces": {"eth0": ["internet"], "eth1": ["10.0.1.0/24"],
                                                          "eth3": ["10.0.3.0/24"]}}]}
    d.update(over)
    return d


def test_builtin_pack_and_schemas_validate():
    pack_schema = json.loads((rules_dir() / "schema" / "pack.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(pack_schema)
    for p in rules_dir().glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(p.read_text()), pack_schema)
    inv_schema = json.loads((rules_dir() / "schema" / "inventory.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(inv_schema)
    for p in (ROOT / "examples").rglob("inventory.yaml"):
        jsonschema.validate(yaml.safe_load(p.read_text()), inv_schema)


def test_a_users_own_pack(tmp_path):
    """The small non-Exchange pack of docs/policy-packs.md works end to end."""
    pack = write(tmp_path, "web.yaml", PACK)
    inv = write(tmp_path, "inv.yaml", inv_data())
    res = CliRunner().invoke(main, ["check", "--policy", str(pack), "--inventory", str(inv),
                                    "--format", "json", "--select", "WEB001,WEB002"])
    data = json.loads(res.output)
    ids = sorted({(f["id"], f["location"]["line"]) for f in data["findings"]})
    # the router accepts 25, 80, 143, 587 and RDP from the Internet beyond 443
    assert ("WEB002", 32) in ids and ("WEB002", 29) in ids
    assert not [i for i in ids if i[0] == "WEB001"]  # 443 passes
    assert res.exit_code == 1
    assert data["summary"]["policies"] == ["web-tier"]


def test_address_forms():
    assert parse_address("10.0.0.5-10.0.0.6") == (4, 0x0A000005, 0x0A000006)
    assert parse_address("2001:db8::/32")[0] == 6
    assert parse_address("192.0.2.25") == (4, 0xC0000219, 0xC0000219)
    for bad in ("10.0.0.300", "10.0.1.1/24", "10.0.0.9-10.0.0.1", "10.0.0.1-2001:db8::1", "web01"):
        with pytest.raises(ValueError):
            parse_address(bad)
    assert subtract([(4, 0, 9)], [(4, 3, 4)]) == [(4, 0, 2), (4, 5, 9)]


BAD_PACKS = [
    ({**PACK, "requirements": [{**PACK["requirements"][0], "expect": "forbid"}]},
     "requirement WEB001: expect"),
    ({**PACK, "requirements": [{**PACK["requirements"][0],
                                "flows": [{"from": ["internet"], "to": ["webservers"]}]}]},
     "requirement WEB001: flows/0/to: unknown role 'webservers'"),
    ({**PACK, "requirements": [{**PACK["requirements"][0], "when": {"tls": True}}]},
     "requirement WEB001: when/tls: unknown profile setting"),
    ({**PACK, "requirements": [{**PACK["requirements"][0], "id": "EX001"}]},
     "requirement EX001: id: does not start with the pack's prefix"),
    ({**PACK, "colour": "red"}, "(top): unknown key 'colour'"),
    ({**PACK, "requirements": [PACK["requirements"][0], dict(PACK["requirements"][0])]},
     "requirement WEB001: when: an id given twice"),
]


@pytest.mark.parametrize("data,needle", BAD_PACKS, ids=[n for _, n in BAD_PACKS])
def test_bad_packs(tmp_path, data, needle):
    p = write(tmp_path, "pack.yaml", data)
    with pytest.raises(PolicyError) as e:
        load_pack(str(p))
    assert str(p) in str(e.value) and needle in str(e.value), str(e.value)


def test_yaml_aliases_and_duplicate_keys_are_refused(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n" \
           "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nroles: {}\n"
    p = write(tmp_path, "inv.yaml", bomb)
    with pytest.raises(PolicyError, match="aliases"):
        load_inventory(str(p), [load_pack("exchange-2013")])
    p = write(tmp_path, "inv2.yaml", "roles: {}\nroles: {web: [10.0.0.1]}\n")
    with pytest.raises(PolicyError, match="'roles' given twice"):
        load_inventory(str(p), [])


BAD_INVENTORIES = [
    (inv_data(roles={"web": ["10.0.1.10"], "mailservers": ["10.0.1.20"]}), "roles/mailservers: unknown role"),
    (inv_data(roles={"web": ["10.0.1.300"]}), "roles/web/0: '10.0.1.300'"),
    (inv_data(roles={"web": ["127.0.0.1"]}), "roles/web/0: '127.0.0.1' lies in a special-purpose range"),
    (inv_data(roles={"web": ["224.0.0.5"]}), "special-purpose range"),
    (inv_data(devices=[{"path": "nothing-*.rules", "interfaces": {"eth0": ["internet"]}}]),
     "devices/0/path: 'nothing-*.rules' matches no file"),
    (inv_data(profile={"tls": True}), "profile/tls: unknown profile setting"),
    (inv_data(profile={"tls_only": "yes"}), "profile/tls_only: "),
    (inv_data(profile={"tls_only": 3}), "profile/tls_only: expected true or false"),
    (inv_data(devices=[{"path": "router.rules", "interfaces": {"eth0": ["intranet"]}}]),
     "devices/0/interfaces/eth0/0: neither a role nor an address"),
    (inv_data(roles={"internet": ["192.0.2.1"]}), "roles/internet"),
    ("roles: [1, 2\n", "inv.yaml: line"),
]


@pytest.mark.parametrize("data,needle", BAD_INVENTORIES, ids=[n for _, n in BAD_INVENTORIES])
def test_bad_inventories(tmp_path, data, needle):
    pack = write(tmp_path, "web.yaml", PACK)
    inv = write(tmp_path, "inv.yaml", data)
    with pytest.raises(PolicyError) as e:
        load_inventory(str(inv), [load_pack(str(pack))])
    assert str(inv) in str(e.value) and needle in str(e.value), str(e.value)
    # on the command line: one line on stderr, exit 2, no report
    res = CliRunner().invoke(main, ["check", "--policy", str(pack), "--inventory", str(inv)])
    assert res.exit_code == 2
    assert res.stdout == ""
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("fwlint: error: ") and needle in res.stderr


def test_policy_needs_inventory_and_inventory_needs_policy(tmp_path):
    res = CliRunner().invoke(main, ["check", str(ROUTER), "--policy", "exchange-2013"])
    assert res.exit_code == 2 and "--inventory" in res.stderr
    inv = write(tmp_path, "inv.yaml", inv_data())
    res = CliRunner().invoke(main, ["check", "--inventory", str(inv)])
    assert res.exit_code == 2 and "--policy" in res.stderr
    res = CliRunner().invoke(main, ["check", str(ROUTER), "--policy", "exchange-2099", "--inventory", str(inv)])
    assert res.exit_code == 2 and "built-in: exchange-2013" in res.stderr


def test_rules_and_explain_list_requirements():
    res = CliRunner().invoke(main, ["rules"])
    assert res.exit_code == 0
    assert "pack exchange-2013" in res.output and "EX100" in res.output and "FW001" in res.output
    ids = {line.split()[0] for line in res.output.splitlines() if line.startswith("EX")}
    assert len(ids) == 28
    res = CliRunner().invoke(main, ["explain", "EX100"])
    assert res.exit_code == 0
    for part in ("## What it demands", "## Why", "## Example that breaks it", "## Example that keeps it",
                 "## Source", "client_access+mailbox -> client_access+mailbox"):
        assert part in res.output, part
    res = CliRunner().invoke(main, ["explain", "EX999"])
    assert res.exit_code == 2
