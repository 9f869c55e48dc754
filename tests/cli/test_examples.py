"""The bundled examples produce exactly the findings their README promises."""

from __future__ import annotations

from linter import api

from tests.shared import REPO

ROOT = REPO / "examples"


def test_linux_router_findings():
    report = api.lint([ROOT / "linux-router" / "router.rules"])
    got = sorted((f.origin.line, f.id, f.severity) for f in report.findings)
    assert got == [
        (15, "FW004", "note"),
        (17, "FW006", "warning"),
        (21, "FW007", "note"),
        (24, "FW003", "warning"),
        (25, "FW001", "warning"),
        (27, "FW001", "warning"),
    ]
    fw001 = next(f for f in report.findings if f.origin.line == 25)
    assert [r.origin.line for r in fw001.related] == [22, 24]


def test_exchange_no_edge_findings():
    d = ROOT / "exchange-no-edge"
    report = api.lint([], api.LintOptions(policies=["exchange-2013"], inventory=str(d / "inventory.yaml")))
    got = sorted((f.origin.line, f.id, f.severity) for f in report.findings)
    assert got == [
        (10, "EX103", "error"),
        (21, "EX303", "error"),
        (22, "FW004", "note"),
        (29, "EX201", "note"),
        (30, "EX203", "note"),
        (30, "EX203", "warning"),
        (32, "EX500", "warning"),
        (37, "EX102", "error"),
        (38, "FW003", "warning"),
        (39, "FW003", "warning"),
        (42, "FW003", "warning"),
    ]
    assert sorted({x["requirement"] for x in report.not_checked}) == ["EX101", "EX103", "EX207"]
    ex303 = next(f for f in report.findings if f.id == "EX303")
    assert ex303.witness is not None and ex303.witness.proto == 6 and ex303.witness.dport == 53


def test_exchange_edge_pf_findings():
    d = ROOT / "exchange-edge-pf"
    report = api.lint([], api.LintOptions(policies=["exchange-2013"], inventory=str(d / "inventory.yaml")))
    got = sorted((f.origin.line, f.id, f.severity) for f in report.findings)
    assert got == [
        (15, "FW007", "note"),
        (18, "EX405", "error"),
        (19, "FW003", "note"),
        (32, "EX407", "warning"),
        (34, "EX409", "warning"),
        (36, "EX408", "warning"),
    ]
    assert sorted({x["requirement"] for x in report.not_checked}) == ["EX100", "EX101", "EX102", "EX103", "EX207"]
    assert not [x for x in report.diagnostics if x.severity != "note"]


def test_exchange_ios_findings():
    d = ROOT / "exchange-ios"
    report = api.lint([], api.LintOptions(policies=["exchange-2013"], inventory=str(d / "inventory.yaml")))
    got = sorted((f.origin.line, f.id, f.severity) for f in report.findings)
    assert got == [
        (17, "EX103", "error"),
        (38, "EX201", "note"),
        (40, "EX500", "warning"),
        (42, "EX303", "error"),
        (49, "FW002", "warning"),
    ]
    assert sorted({x["requirement"] for x in report.not_checked}) == ["EX101", "EX103", "EX207"]
    assert any("inferred from 4 interface address(es) and 1 static route(s)" in n for n in report.notes)
    assert not report.diagnostics


def test_exchange_asa_findings():
    d = ROOT / "exchange-asa"
    report = api.lint([], api.LintOptions(policies=["exchange-2013"], inventory=str(d / "inventory.yaml")))
    got = sorted((f.origin.line, f.id, f.severity) for f in report.findings)
    assert got == [
        (45, "EX407", "warning"),
        (46, "FW002", "warning"),
        (47, "EX408", "warning"),
        (50, "FW002", "warning"),
        (61, "EX103", "error"),
        (67, "EX103", "error"),
        (68, "EX103", "error"),
    ]
    assert sorted({x["requirement"] for x in report.not_checked}) == ["EX100", "EX101", "EX103", "EX207"]
    assert not [x for x in report.diagnostics if x.severity != "note"]
