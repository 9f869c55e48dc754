"""Where the shared material lives, and how tests behave without it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_dir(*parts: str) -> Path:
    """A folder of ../shared; skips the test when it is absent, except in CI (then fails)."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{p} is missing in CI")
        pytest.skip(f"{p} is not present (the shared material sits beside the repository)")
    return p
