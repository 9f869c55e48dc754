"""Findings, severities, locations and the report.

Layer: findings. Checks and policy evaluation produce `Result`s (what and where); the driver
stamps the id, the severity and a fingerprint on each, making a `Finding`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from .model import Diagnostic, Device, Origin, Packet

SEVERITIES = ("error", "warning", "note")
SEVERITY_RANK = {"error": 3, "warning": 2, "note": 1, "never": 4}


@dataclass(frozen=True)
class Related:
    origin: Origin
    message: str


@dataclass(frozen=True)
class Result:
    """What a check reports: a message at a place, with evidence. No id, no severity."""

    origin: Origin
    message: str
    related: tuple[Related, ...] = ()
    witness: Packet | None = None
    approximate: bool = False
    severity: str | None = None  # a check may lower or raise its default for one result
    context: str = ""  # filter/chain name, for fingerprints
    # results of one check with the same group in one file are reported as one finding with
    # every location (FW007 notes: the construct approximated; "": never grouped)
    group: str = ""


@dataclass(frozen=True)
class Finding:
    id: str
    severity: str
    message: str
    origin: Origin
    related: tuple[Related, ...] = ()
    witness: Packet | None = None
    approximate: bool = False
    fingerprint: str = ""
    group: str = ""  # Result.group
    # a grouped finding (checks/fw007_not_understood.py, `grouped`): every place it stands
    # for, in line order, each with its own message (the first is `origin`; `message` is the
    # first one's with the count); empty for a finding of one place
    places: tuple[Related, ...] = ()

    def sort_key(self) -> tuple:
        return (self.origin.path, self.origin.line, self.origin.column, self.id, self.message)

    @property
    def occurrences(self) -> int:
        """How many places the finding stands for (1, or more when grouped)."""
        return len(self.places) or 1


@dataclass(frozen=True)
class Suppression:
    """Why a finding is not reported: an inline `fwlint: disable=...` directive (SARIF's
    `inSource` suppression), its reason and where it stands."""

    justification: str
    origin: Origin  # the directive's line
    kind: str = "inSource"


def normalise_text(text: str) -> str:
    """Rule text with counters and runs of blanks removed: stable under cosmetic edits."""
    t = re.sub(r"^\[\d+:\d+\]\s*", "", text.strip())
    return re.sub(r"\s+", " ", t)


def fingerprint(check_id: str, origin: Origin, context: str = "") -> str:
    """Independent of line numbers: id, file, context and the rule's normalised text."""
    h = hashlib.sha256()
    for part in (check_id, origin.path, context, normalise_text(origin.text)):
        h.update(part.encode("utf-8", "surrogateescape"))
        h.update(b"\0")
    return h.hexdigest()[:32]


def stamp(check_id: str, default_severity: str, r: Result) -> Finding:
    return Finding(
        id=check_id,
        severity=r.severity or default_severity,
        message=r.message,
        origin=r.origin,
        related=r.related,
        witness=r.witness,
        approximate=r.approximate,
        fingerprint=fingerprint(check_id, r.origin, r.context),
        group=r.group,
    )


def group_text(group: str) -> str:
    """What stands for a grouped finding's rule text in its fingerprint and baseline entry:
    the group, not one of its lines (lines come and go; the finding stays the same)."""
    return f"every line with `{group}`"


@dataclass
class Report:
    devices: list[Device] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # files that could not or may not be read (exit 2)
    # policy evaluation: requirement flows that no device of the inventory judges
    not_checked: list[dict] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)  # the packs evaluated
    notes: list[str] = field(default_factory=list)  # how the evaluation read the inventory
    skipped: list[str] = field(default_factory=list)  # files of a walk that are no configuration
    excluded: list[str] = field(default_factory=list)  # files and folders the configuration excludes
    # findings an inline directive suppresses (linter/suppress.py): not counted, not reported
    # except by `--sarif-include-suppressed` and the JSON report's "suppressed" list
    suppressed: list[tuple[Finding, Suppression]] = field(default_factory=list)

    def sorted(self) -> "Report":
        seen = set()
        unique = []
        for f in sorted(self.findings, key=Finding.sort_key):
            k = (f.id, f.origin, f.message)
            if k not in seen:
                seen.add(k)
                unique.append(f)
        self.findings = unique
        self.suppressed.sort(key=lambda fs: fs[0].sort_key())
        self.diagnostics.sort(key=lambda d: (d.origin.path, d.origin.line, d.origin.column, d.code))
        return self

    def counts(self) -> dict[str, int]:
        c = {s: 0 for s in SEVERITIES}
        for f in self.findings:
            c[f.severity] += 1
        return c

    def exit_code(self, fail_on: str = "warning") -> int:
        if self.errors:  # a file that could not or may not be read: the answer is incomplete
            return 2
        if fail_on == "never":
            return 0
        threshold = SEVERITY_RANK[fail_on]
        return 1 if any(SEVERITY_RANK[f.severity] >= threshold for f in self.findings) else 0
