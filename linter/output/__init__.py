"""Reporters: one module per format behind one function, `render(report) -> str`.

Layer: output. Reads findings and the report only.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Callable

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
