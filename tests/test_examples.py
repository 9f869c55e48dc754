"""The bundled examples produce exactly the findings their README promises."""

from __future__ import annotations

from pathlib import Path

from linter import api

ROOT = Path(__file__).resolve().parents[1] / "examples"


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
