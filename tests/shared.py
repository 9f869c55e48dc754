"""Where the shared material lives, and how tests behave without it.

The shared material (`../shared`, beside the repository) holds the corpus, the aerleon oracle,
schemas and notes. Its permissively licensed part (Apache-2.0, BSD, ISC, MIT) is copied into
`tests/data` (tests/data/MANIFEST.md): the folders copied whole are read from there, always, so
that CI tests the copies a fresh clone runs with; the rest is read from `../shared`. A test
that needs what only `../shared` holds skips without it, except in CI (where it fails).
"""

from __future__ import annotations

import atexit
import functools
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]  # the checkout; tests anywhere below tests/ compute their paths from it
SHARED = REPO.parent / "shared"
DATA = REPO / "tests" / "data"

# the folders of ../shared that tests/data holds whole (every file's licence allows the copy);
# tests/project/test_data_copies.py checks that they stay identical to ../shared
WHOLE_COPIES = frozenset({
    ("oracle", "aerleon"),
    ("corpus", "cisco-asa", "aerleon"), ("corpus", "cisco-asa", "batfish"),
    ("corpus", "cisco-ios", "aerleon"), ("corpus", "cisco-ios", "batfish"),
    ("corpus", "cisco-ios", "lab-validation"), ("corpus", "cisco-ios", "netutils"),
    ("corpus", "iptables", "aerleon"), ("corpus", "iptables", "batfish"),
    ("corpus", "pf", "aerleon"), ("corpus", "pf", "antlr-grammars-v4"), ("corpus", "pf", "freebsd-examples"),
    ("corpus", "pf", "lsfw"), ("corpus", "pf", "openbsd-examples"), ("corpus", "pf", "openbsd-regress"),
})

# the licences whose files the corpus goldens hold in full (the others as a digest)
PERMISSIVE = re.compile(r"^(Apache-2\.0|MIT|ISC|BSD-[23]-Clause)\b")


def _in_ci() -> bool:
    return os.environ.get("CI") == "true"


def locate(*parts: str) -> Path:
    """Where a path of the shared material is read from (whether or not it exists): tests/data
    when it lies in a folder copied whole, ../shared otherwise."""
    if any(parts[:n] in WHOLE_COPIES for n in range(1, len(parts) + 1)):
        return DATA.joinpath(*parts)
    return SHARED.joinpath(*parts)


def shared_dir(*parts: str) -> Path:
    """A folder of the shared material (see locate); skips the test when it is absent, except in
    CI (then fails)."""
    p = locate(*parts)
    if not p.exists():
        if _in_ci():
            pytest.fail(f"{p} is missing in CI")
        pytest.skip(f"{p} is not present (the shared material sits beside the repository; "
                    "tests/data holds only its permissively licensed part)")
    return p


def corpus_folder(*parts: str) -> tuple[Path, bool] | None:
    """A folder of the corpus for a test that reads whatever part of it is there, and whether
    that is the whole of it: ../shared's when present (or tests/data's copy of a folder copied
    whole); without ../shared (a fresh clone), the permissively licensed files copied into
    tests/data, except in CI. None when there is nothing to read (usable when collecting)."""
    p = locate("corpus", *parts)
    if p.is_relative_to(DATA) or (SHARED / "corpus").is_dir():
        return (p, True) if p.exists() else None
    if _in_ci() or not DATA.joinpath("corpus", *parts).exists():
        return None
    return _corpus_outside_the_checkout().joinpath(*parts), False


@functools.cache
def _corpus_outside_the_checkout() -> Path:
    """tests/data/corpus copied once outside any repository, where ../shared lies: fwlint
    confines what a file names to the file's repository, the checkout for tests/data, the
    file's own folder for ../shared; the goldens record the latter."""
    folder = Path(tempfile.mkdtemp(prefix="fwlint-corpus-"))
    atexit.register(shutil.rmtree, folder, True)
    shutil.copytree(DATA / "corpus", folder / "corpus")
    return folder / "corpus"


def corpus_root(*parts: str) -> tuple[Path, bool]:
    """corpus_folder, or the test skips (fails in CI) when there is nothing to read."""
    return corpus_folder(*parts) or (shared_dir("corpus", *parts), True)


def corpus_licences(platform: str) -> dict[str, str]:
    """The licence of each corpus file of a platform (path under corpus/<platform>/ -> licence,
    as the corpus MANIFEST says): ../shared's MANIFEST, or tests/data's (the same first five
    columns) without ../shared."""
    manifest = SHARED / "corpus" / "MANIFEST.md"
    if not manifest.exists() and not _in_ci():
        manifest = DATA / "MANIFEST.md"
    out = {}
    for line in manifest.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 6 and cells[1].startswith(platform + "/"):
            out[cells[1][len(platform) + 1:]] = cells[5]
    return out
