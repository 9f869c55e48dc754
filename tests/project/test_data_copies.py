"""tests/data: the permissively licensed part of ../shared, copied so that a fresh clone tests
with it. Its MANIFEST names every file with its source, licence and copyright; the copies stay
identical to ../shared."""

from __future__ import annotations

import re
from pathlib import Path

from tests.shared import DATA, SHARED, WHOLE_COPIES, shared_dir

# what may be copied (../shared/corpus/MANIFEST.md, "Using these files")
COPYABLE = re.compile(r"^(Apache-2\.0|BSD|ISC|MIT)")


def _rows(manifest: Path) -> dict[str, list[str]]:
    """The corpus table of a MANIFEST: file -> its cells (file, repository, path, commit, licence, ...)."""
    out = {}
    for line in manifest.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) >= 6 and "/" in cells[0] and not cells[0].startswith(("`", "---")):
            out[cells[0]] = cells
    return out


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _copyable(cells: list[str]) -> bool:
    # the Iptables_Semantics dumps name BSD-2-Clause for the repository and CC BY-NC-SA for the data
    return bool(COPYABLE.match(cells[4])) and "CC BY-NC-SA" not in cells[4]


def test_the_manifest_names_every_file_with_its_licence() -> None:
    rows = _rows(DATA / "MANIFEST.md")
    assert set(rows) == _files(DATA / "corpus")
    for name, cells in rows.items():
        assert _copyable(cells), (name, cells[4])
        assert cells[5], name  # the copyright line
        assert (DATA / cells[6]).is_file(), (name, cells[6])  # the licence text
    assert len(rows) > 200
    assert (DATA / "oracle" / "aerleon" / "README.md").is_file()


def test_the_copies_are_the_shared_files() -> None:
    """Byte for byte what ../shared holds, every copyable corpus file copied, the folders
    read from tests/data copied whole."""
    shared_dir("corpus")  # skips without ../shared (fails in CI)
    upstream = _rows(SHARED / "corpus" / "MANIFEST.md")
    ours = _rows(DATA / "MANIFEST.md")
    assert set(ours) == {name for name, cells in upstream.items() if _copyable(cells)}
    for name, cells in ours.items():
        assert cells[:5] == upstream[name][:5], name
        assert (DATA / "corpus" / name).read_bytes() == (SHARED / "corpus" / name).read_bytes(), name
    for parts in WHOLE_COPIES:
        here, there = DATA.joinpath(*parts), SHARED.joinpath(*parts)
        assert _files(here) == _files(there), parts
        for rel in _files(here):
            assert (here / rel).read_bytes() == (there / rel).read_bytes(), (parts, rel)
