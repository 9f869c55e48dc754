"""Files that ship with fwlint: grammars and policy packs.

Layer: infrastructure. In the wheel they are the packages `linter.grammars` and
`linter.rules` (mapped from the top-level grammars/ and rules/ folders); in a source
checkout they are read from those folders directly.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


def _dir(folder: str) -> Path:
    installed = Path(__file__).resolve().parent / folder  # linter/grammars inside a wheel
    if installed.is_dir():
        return installed
    return _SOURCE_ROOT / folder  # a source checkout (also an editable install)


def grammars_dir() -> Path:
    return _dir("grammars")


def rules_dir() -> Path:
    return _dir("rules")


@lru_cache(maxsize=None)
def grammar_text(name: str) -> str:
    """The text of grammars/NAME (e.g. `iptables.lark`)."""
    return (grammars_dir() / name).read_text(encoding="utf-8")
