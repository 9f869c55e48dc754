"""The built wheel carries grammars/ and rules/ and works outside the source tree."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.shared import REPO as ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True)
    wheels = list(out.glob("fwlint-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def test_wheel_contains_grammars_and_rules(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "linter/grammars/iptables.lark" in names
    assert "linter/rules/exchange-2013.yaml" in names
    assert "linter/rules/schema/pack.schema.json" in names
    assert "linter/rules/schema/inventory.schema.json" in names
    assert "linter/data/services.tsv" in names
    assert not any(n.startswith("tests/") for n in names)


def test_wheel_runs_in_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True,
                   text=True, cwd=tmp_path)
    example = tmp_path / "router.rules"
    shutil.copy(ROOT / "examples" / "linux-router" / "router.rules", example)
    res = subprocess.run([str(venv / "bin" / "fwlint"), "check", "--format", "json", str(example)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 1, res.stderr  # the example has findings on purpose
    assert '"FW003"' in res.stdout
    # the installed package is the one in the venv, not the source tree
    where = subprocess.run([str(py), "-c", "import linter, sys; print(linter.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path).stdout
    assert str(venv) in where
    # the built-in pack and its schemas are found from the wheel
    for name in ("router.rules", "inventory.yaml"):
        shutil.copy(ROOT / "examples" / "exchange-no-edge" / name, tmp_path / name)
    res = subprocess.run([str(venv / "bin" / "fwlint"), "check", "--policy", "exchange-2013",
                          "--inventory", "inventory.yaml", "--format", "json"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    assert '"EX102"' in res.stdout and '"not_checked"' in res.stdout
