"""Golden files: compare a text with a stored file; regenerate on request.

Regenerate with `FWLINT_UPDATE_GOLDEN=1 pytest ...` (or `pytest --update-golden` when the
option is registered). Golden files are never edited by hand.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"


def update_requested(request: pytest.FixtureRequest | None = None) -> bool:
    if os.environ.get("FWLINT_UPDATE_GOLDEN", "") not in ("", "0"):
        return True
    if request is not None:
        try:
            return bool(request.config.getoption("--update-golden", default=False))
        except ValueError:  # pragma: no cover - option not registered
            return False
    return False


def check_golden(path: Path, actual: str, request: pytest.FixtureRequest | None = None) -> None:
    """Assert `actual` equals the golden file `path` (or write it when an update is requested)."""
    if update_requested(request):
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != actual:
            path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"golden file {path} is missing: run with FWLINT_UPDATE_GOLDEN=1 to create it")
    expected = path.read_text(encoding="utf-8")
    if expected != actual:
        diff = "".join(list(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                                 str(path), "actual", n=2))[:200])
        pytest.fail(f"{path} differs (regenerate with FWLINT_UPDATE_GOLDEN=1 if intended):\n{diff}")
