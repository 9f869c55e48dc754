"""The files a run reads: the paths given, directories walked (`iter_files`).

Layer: infrastructure (what `linter.api.lint` reads; `linter.files` says what may be read)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable, Iterator

from . import files

_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox"}
# in a directory walk, files that are documentation or data, never a firewall configuration
# (a file named on the command line is always read)
# documentation, data and code files: never a device's configuration (a grammar for pf reads
# like pf to the detector)
_SKIP_SUFFIXES = {".md", ".rst", ".yaml", ".yml", ".json", ".jsonl", ".py", ".sarif", ".html", ".csv", ".lark",
                  ".toml"}


def iter_files(paths: Iterable[str | Path], excluded: Callable[[Path], bool] | None = None
               ) -> Iterator[tuple[Path, bool, files.Confinement]]:
    """(file, named explicitly, where its reads are confined). A directory named outside the
    repository root confines its walk to its own repository, or to itself
    (`Confinement.for_folder`). Directories are walked without following symbolic links to
    folders (a link to a folder is yielded as it is, for the caller to refuse or skip);
    hidden and VCS folders, and documentation and data files (by suffix), are skipped, and
    so is what `excluded` says (files and folders of the walk only: a file named explicitly
    is always yielded)."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir() and not p.is_symlink():
            confinement = files.current().for_folder(p)
            for root, dirs, names in os.walk(p):
                links = sorted(d for d in dirs if os.path.islink(os.path.join(root, d)))
                dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".") and d not in links
                                 and not (excluded and excluded(Path(root) / d)))
                for fname in sorted(names + links):
                    if not fname.startswith(".") and Path(fname).suffix.lower() not in _SKIP_SUFFIXES \
                            and not (excluded and excluded(Path(root) / fname)):
                        yield Path(root) / fname, False, confinement
        else:
            yield p, True, files.current()
