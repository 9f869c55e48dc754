"""Reporters: one module per format behind one function, `render(report) -> str`.

Layer: output. Reads findings and the report only.
"""

from __future__ import annotations

from . import github, json_format, sarif, text

FORMATS = {
    "text": text.render,
    "json": json_format.render,
    "sarif": sarif.render,
    "github": github.render,
}
