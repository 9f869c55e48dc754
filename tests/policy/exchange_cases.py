"""Shared by the per-platform Exchange pack tests (tests/policy/test_exchange_pack*.py): the roles,
the inventory for a router with one interface per network, running the pack, and the
"broken and kept" assertion."""

from __future__ import annotations

from pathlib import Path

import yaml

from linter.api import LintOptions, lint
from linter.policy import load_pack

CAS, MBX, LYNC, DC, EDGE = "10.0.1.10", "10.0.4.20", "10.0.5.30", "10.0.3.5", "192.0.2.25"
DNS, PROXY = "198.51.100.53", "198.51.100.80"
NO_EDGE: dict = {"edge_transport": False}
EDGE_P: dict = {"edge_transport": True, "sender_reputation_proxy_port": 8080}
PROFILES = [NO_EDGE, EDGE_P, {**NO_EDGE, "imap4": True, "pop3": True, "http": True},
            {**NO_EDGE, "frontend_proxy": True}]


def profile_id(p: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in p.items())


def ex_ids() -> list[str]:
    return sorted({r.id for r in load_pack("exchange-2013").requirements})


def inventory(profile: dict, path: str, names: dict[str, str]) -> dict:
    """`names` maps the networks (internet, cas, clients, dcs, mbx, lync, edge) to the
    configuration's interface names."""
    return {
        "internal": ["10.0.0.0/8"],
        "roles": {"client_access": [CAS], "mailbox": [MBX], "lync": [LYNC], "domain_controllers": [DC],
                  "edge_transport": [EDGE], "dns": [DNS], "sender_reputation_proxy": [PROXY],
                  "internal_clients": ["10.0.2.0/24"]},
        "profile": profile,
        "devices": [{"path": path,
                     "interfaces": {names["internet"]: ["internet", "dns", "sender_reputation_proxy"],
                                    names["cas"]: ["10.0.1.0/24"], names["clients"]: ["internal_clients"],
                                    names["dcs"]: ["10.0.3.0/24"], names["mbx"]: ["10.0.4.0/24"],
                                    names["lync"]: ["10.0.5.0/24"], names["edge"]: ["edge_transport"]}}],
    }


def run(tmp_path: Path, config_name: str, text: str, inv: dict):
    (tmp_path / config_name).write_text(text)
    (tmp_path / "inv.yaml").write_text(yaml.safe_dump(inv))
    return lint([], LintOptions(policies=["exchange-2013"], inventory=str(tmp_path / "inv.yaml"),
                                select=set(ex_ids())))


def assert_broken_and_kept(rid: str, kept, broken, severity: str, added: list[str]) -> None:
    """The good configuration has no finding of rid; the broken one has, with the severity,
    a located origin, and at one of the lines the modification added."""
    assert not [f for f in kept.findings if f.id == rid], [f.message for f in kept.findings if f.id == rid]
    hits = [f for f in broken.findings if f.id == rid]
    assert hits, f"{rid} not reported; got {[f.id for f in broken.findings]}"
    assert any(f.severity == severity for f in hits), [(f.severity, f.message) for f in hits]
    for f in hits:
        assert f.origin.line > 0
        assert f.witness is not None or rid == "EX103"
    assert any(f.origin.text.strip() in added for f in hits), [f.origin.text for f in hits]


def assert_keeps_everything(rep) -> None:
    """A good configuration: read without errors, and no EX finding at all."""
    assert not [d for d in rep.diagnostics if d.severity == "error"], rep.diagnostics
    ex = [f for f in rep.findings if f.id.startswith("EX")]
    assert ex == [], [f"{f.id} {f.message}" for f in ex]


def assert_cases_cover_the_pack(cases: dict) -> None:
    assert set(ex_ids()) - {"EX501"} == set(cases)
