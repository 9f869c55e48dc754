"""Files that ship with fwlint: grammars and policy packs.

Layer: infrastructure. In the wheel they are the packages `linter.grammars` and
`linter.rules` (mapped from the top-level grammars/ and rules/ folders); in a source
checkout they are read from those folders directly.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


def _dir(package: str, folder: str) -> Path:
    try:
        p = Path(str(resources.files(package)))
        if p.is_dir():
            return p
    except (ModuleNotFoundError, TypeError):
        pass
    return _SOURCE_ROOT / folder


def grammars_dir() -> Path:
    return _dir("linter.grammars", "grammars")


def rules_dir() -> Path:
    return _dir("linter.rules", "rules")


@lru_cache(maxsize=None)
def grammar_text(name: str) -> str:
    """The text of grammars/NAME (e.g. `iptables.lark`)."""
    return (grammars_dir() / name).read_text(encoding="utf-8")
