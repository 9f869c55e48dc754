"""The layering of DESIGN.md: nothing right of the model imports a platform, and platforms
know nothing of checks, policies or reporters."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.shared import REPO

PKG = REPO / "linter"
RIGHT_OF_MODEL = ("space.py", "bdd.py", "pieces.py", "ifdomain.py", "witness.py", "boxes.py", "boxpoints.py", "probe.py",
                  "graph", "findings.py", "checks", "output", "policy", "suppress.py")
LEFT_FORBIDDEN = ("linter.checks", "linter.graph", "linter.findings", "linter.output", "linter.policy",
                  "linter.api", "linter.cli", "linter.space")


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    pkg = "linter." + ".".join(path.relative_to(PKG).with_suffix("").parts[:-1])
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.rstrip(".").split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                mod = ".".join(base + ([node.module] if node.module else []))
                out.add(mod)
                out.update(f"{mod}.{a.name}" for a in node.names)
            elif node.module:
                out.add(node.module)
    return out


def files(*names: str) -> list[Path]:
    out = []
    for n in names:
        p = PKG / n
        out.extend(sorted(p.rglob("*.py")) if p.is_dir() else [p] if p.exists() else [])
    return out


def test_nothing_right_of_the_model_imports_a_platform() -> None:
    bad = [(str(f.relative_to(PKG)), i) for f in files(*RIGHT_OF_MODEL) for i in imports(f)
           if i.startswith("linter.platforms")]
    assert not bad


def test_platforms_know_nothing_of_checks_or_reporters() -> None:
    bad = [(str(f.relative_to(PKG)), i) for f in files("platforms") for i in imports(f)
           if i.startswith(LEFT_FORBIDDEN)]
    assert not bad


def _string_literals(path: Path) -> set[str]:
    return {n.value for n in ast.walk(ast.parse(path.read_text()))
            if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def test_nothing_outside_the_platforms_names_a_platform() -> None:
    """What differs between platforms is data on the model (`model.Traits`, declared by
    linter/platforms/traits.py): no module outside linter/platforms/ compares a platform's
    name, so none holds one as a string literal. (The command line's choices and the
    configuration's check come from `platforms.PLATFORMS`; messages name `device.platform`.)
    No exceptions."""
    from linter.platforms import PLATFORMS

    outside = [f for f in PKG.rglob("*.py") if "platforms" not in f.relative_to(PKG).parts]
    assert len(outside) > 30  # (the test would pass vacuously if it found none)
    bad = [(str(f.relative_to(PKG)), s) for f in outside for s in _string_literals(f) if s in PLATFORMS]
    assert not bad


def test_the_host_hooks_are_named_by_the_model_only() -> None:
    """The hooks of a host (INPUT, FORWARD, OUTPUT) are the model's vocabulary
    (`model.TO_HOST`, `THROUGH`, `FROM_HOST`): the modules right of it use those names."""
    from linter import model

    outside = [f for f in PKG.rglob("*.py")
               if "platforms" not in f.relative_to(PKG).parts and f != PKG / "model.py"]
    bad = [(str(f.relative_to(PKG)), s) for f in outside for s in _string_literals(f) if s in model.HOST_HOOKS]
    assert not bad
