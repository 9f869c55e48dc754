"""ruff and vulture report nothing (their configuration: pyproject.toml; CI runs them too,
from .ci/run, before the tests). Skipped only where they are not installed: the test extra
installs both, so CI never skips."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.shared import REPO as ROOT


@pytest.mark.parametrize("tool", [["ruff", "check", "--no-cache"], ["vulture"]], ids=["ruff", "vulture"])
def test_lint_reports_nothing(tool: list[str]) -> None:
    pytest.importorskip(tool[0])
    done = subprocess.run([sys.executable, "-m", *tool], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
