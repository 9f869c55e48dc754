"""Reporters: one module per format behind one function, `render(report) -> str`; what is
displayed (`displayed`: --show-severity) and `statistics` (--statistics).

Layer: output. Reads findings and the report only.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # pragma: no cover
    from ..findings import Report

# format name -> module of this package; a reporter is imported when its format is used
# (`fwlint --version` and `--help` need the names alone, and a check only its own format)
_MODULES = {
    "text": "text",
    "json": "json_format",
    "sarif": "sarif",
    "github": "github",
}


class _Renderers(Mapping):
    """Format name -> its module's `render`, the module imported on first lookup."""

    def __getitem__(self, name: str) -> Callable[..., str]:
        return importlib.import_module(f"{__name__}.{_MODULES[name]}").render

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


FORMATS: Mapping[str, Callable[..., str]] = _Renderers()


def displayed(report: "Report", lowest: str | None) -> tuple["Report", dict[str, int]]:
    """The report as displayed with `--show-severity lowest`: its findings of that severity
    or above, and how many of each severity are not shown. The exit status is the whole
    report's (the caller keeps it)."""
    from ..findings import SEVERITY_RANK

    if lowest is None:
        return report, {}
    floor = SEVERITY_RANK[lowest]
    shown = copy.copy(report)
    shown.findings = [f for f in report.findings if SEVERITY_RANK[f.severity] >= floor]
    hidden: dict[str, int] = {}
    for f in report.findings:
        if SEVERITY_RANK[f.severity] < floor:
            hidden[f.severity] = hidden.get(f.severity, 0) + 1
    return shown, hidden
