"""Per-file results kept between runs: pre-commit checks the same files commit after commit,
and most of them have not changed.

Layer: infrastructure (used by the api). What is kept for a file is what it gives alone: its
device (the model, with its diagnostics) and the findings of the FW checks on it. An entry's
name is a hash of everything that result depends on:

- the file's bytes (SHA-256);
- fwlint itself: its version, and the name, size and modification time of every file of the
  package and its grammars (a development checkout changes code without changing the
  version), and the Python version;
- the run: the platform asked for (--platform or a `platforms` glob), the path as the
  outputs show it (findings carry it), the repository root and --allow-outside-root (they
  decide what a pf `include` may read), and the checks run.

Never kept: a run with an inventory (the packs look across devices), and a file that reads,
or may try to read, other files: pf's `include`, table `file` and `load anchor ... from` name
files whose content is not in the key, so a pf file that mentions them is never kept (the
other platforms read nothing but their file: a test keeps that true).

The folder is `cachedir.cache_dir("results")`: the user's own, 0700, never in the checkout.
An entry is a pickle (code, when loaded), so it is loaded only when it is a regular file of
the user that nobody else may write, through no link; a damaged entry is a miss. Entries are
written beside their name and renamed (two processes writing one entry leave one whole
entry). The folder is bounded: past limits.MAX_RESULT_CACHE_BYTES the entries used longest
ago are removed at the end of a run.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from . import __version__, cachedir, limits
from .model import Traits, declared_traits

FORMAT = 1  # of an entry: (device, findings)
_SUFFIX = ".result"


@dataclass(frozen=True)
class RunKey:
    """What, besides a file's bytes, its result depends on in this run."""

    root: str
    allow_outside: bool
    checks: tuple[str, ...]


@functools.cache
def code_fingerprint() -> str:
    """fwlint's version and the name, size and modification time of each file of its package
    and grammars (a few dozen stat calls, once per process)."""
    from .resources import grammars_dir

    h = hashlib.sha256(f"{FORMAT}\0{__version__}\0{sys.version_info[:2]}\0".encode())
    package = Path(__file__).resolve().parent
    for base in (package, grammars_dir()):
        for folder, dirs, names in os.walk(base):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(names):
                if name.endswith((".pyc", ".pyo")):
                    continue
                p = os.path.join(folder, name)
                try:
                    st = os.stat(p)
                except OSError:
                    continue
                stamp = f"{os.path.relpath(p, base)}\0{st.st_size}\0{st.st_mtime_ns}\0"
                h.update(stamp.encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def key(data: bytes, shown: str, platform: str | None, run: RunKey) -> str:
    h = hashlib.sha256()
    for part in (code_fingerprint(), shown, platform or "", run.root, "1" if run.allow_outside else "0",
                 ",".join(run.checks)):
        h.update(part.encode("utf-8", "surrogateescape"))
        h.update(b"\0")
    h.update(hashlib.sha256(data).digest())
    return h.hexdigest()


def cacheable(traits: Traits, data: bytes) -> bool:
    """Whether a file's result depends on its bytes alone (see the module docstring): its
    platform's reader opens nothing else, or it has none of the statements by which that
    reader opens other files (their content is not part of the key). A platform that says
    neither is never kept."""
    if traits.self_contained:
        return True
    if traits.includes:
        lowered = data.lower()
        return not any(word in lowered for word in traits.includes)
    return False


def __getattr__(name: str) -> frozenset[str]:
    """SELF_CONTAINED: the platforms whose reader opens nothing but the file it is given (as
    their traits say; known once the platforms are imported)."""
    if name == "SELF_CONTAINED":
        return frozenset(p for p, t in declared_traits().items() if t.self_contained)
    raise AttributeError(name)


def get(folder: Path, name: str):
    """The (device, findings) kept under `name`, or None (none, or not one fwlint wrote)."""
    path = folder / (name + _SUFFIX)
    blob = _read_private(path)
    if blob is None:
        return None
    try:
        value = pickle.loads(blob)
    except Exception:  # damaged or from another fwlint: a miss, written again  # noqa: BLE001
        return None
    if not (isinstance(value, tuple) and len(value) == 3 and value[0] == FORMAT):
        return None
    try:
        os.utime(path)  # (used now: the last to go when the folder is trimmed)
    except OSError:
        pass
    return value[1], value[2]


def put(folder: Path, name: str, device, findings: list) -> None:
    """Keep (device, findings) under `name`; nothing when it cannot be written or is larger
    than a quarter of the folder's bound."""
    blob = pickle.dumps((FORMAT, device, findings), protocol=pickle.HIGHEST_PROTOCOL)
    if len(blob) > limits.MAX_RESULT_CACHE_BYTES // 4:
        return
    tmp = folder / f".{name}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        os.replace(tmp, folder / (name + _SUFFIX))
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def trim(folder: Path, bound: int | None = None) -> None:
    """Remove the entries used longest ago until the folder holds at most 3/4 of `bound`
    (default limits.MAX_RESULT_CACHE_BYTES), when it holds more than `bound`."""
    bound = limits.MAX_RESULT_CACHE_BYTES if bound is None else bound
    entries = []
    total = 0
    try:
        with os.scandir(folder) as it:
            for e in it:
                if e.name.endswith((_SUFFIX, ".tmp")) and e.is_file(follow_symlinks=False):
                    st = e.stat(follow_symlinks=False)
                    entries.append((st.st_mtime_ns, st.st_size, e.path))
                    total += st.st_size
    except OSError:
        return
    if total <= bound:
        return
    for _mtime, size, path in sorted(entries):
        try:
            os.unlink(path)
        except OSError:
            continue
        total -= size
        if total <= bound * 3 // 4:
            break


def _read_private(path: Path) -> bytes | None:
    return cachedir.read_private(path, limits.MAX_RESULT_CACHE_BYTES // 4)
