"""The user's cache folder for fwlint: built parsers and per-file results.

Layer: infrastructure. The folder is `$FWLINT_CACHE_DIR`, else `$XDG_CACHE_HOME/fwlint`,
else `~/.cache/fwlint`. It holds pickles, which run code when loaded, so it must belong to
the user and be writable by nobody else: it is created with mode 0700, and a folder that
is a link, is owned by someone else, or is writable by group or others is not used (fwlint
then works without a cache). `FWLINT_NO_CACHE` (any non-empty value) turns every cache off.
Nothing here is ever inside the checkout fwlint reads: the cache never holds what an
attacker's pull request wrote, only what fwlint computed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def disabled() -> bool:
    return bool(os.environ.get("FWLINT_NO_CACHE"))


def location() -> Path:
    """Where the cache folder is (whether or not it exists)."""
    explicit = os.environ.get("FWLINT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    if base and os.path.isabs(base):
        return Path(base) / "fwlint"
    return Path.home() / ".cache" / "fwlint"


def cache_dir(sub: str | None = None, create: bool = True) -> Path | None:
    """The cache folder (or its subfolder `sub`), created 0700 when `create`; None when
    caching is off, the folder is not safe to use (see the module docstring), or files
    have no owner to check."""
    if disabled() or not hasattr(os, "getuid"):
        # (no os.getuid, as on Windows: a file's owner cannot be checked, so no cache rather
        # than one that others might have written)
        return None
    try:
        path = location()
        if sub:
            path = path / sub
        if create:
            old = os.umask(0o077)
            try:
                path.mkdir(parents=True, exist_ok=True, mode=0o700)
            finally:
                os.umask(old)
        st = os.lstat(path)
    except (OSError, RuntimeError):  # no home, read-only file system, ...
        return None
    if not _safe(st):
        return None
    if sub and not _safe_parent(path.parent):
        return None
    return path


def _safe(st: os.stat_result) -> bool:
    return (stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid()
            and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def _safe_parent(path: Path) -> bool:
    try:
        return _safe(os.lstat(path))
    except OSError:
        return False


def read_private(path: Path, limit: int) -> bytes | None:
    """The bytes of a cache file when it is a regular file of this user that nobody else can
    write, opened through no link, of at most `limit` bytes; None otherwise (missing, too
    large, someone else's). Cache files are pickles: only such files are ever loaded."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if (not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid()
                or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) or st.st_size > limit):
            return None
        chunks = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks) if size <= limit else None
    except OSError:
        return None
    finally:
        os.close(fd)
