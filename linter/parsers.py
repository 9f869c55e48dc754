"""Lark parsers, built once and kept: in memory per process, and pickled in the user's cache.

Layer: platform infrastructure. Every platform asks `lalr(grammar, **options)` for its
parser instead of constructing `Lark(...)` itself. Building an LALR parser (reading the
grammar, compiling its terminals, computing the tables) takes 25-40 ms for the iptables and
Cisco grammars and about 0.4 s for pf's; loading a saved one takes 2-5 ms (pf's: 80 ms).

The saved parser lives in `cachedir.cache_dir("parsers")` (a private folder, or None when
caching is off or the folder is not safe: then the parser is built and nothing is
written), one file per grammar and key. The key is a hash of the grammar text, the options,
lark's version, the Python version and this file's format, so an edited grammar, another
lark or another Python never loads an old file: it gets a file of its own. A file is written
beside its final name and renamed over it (pre-commit runs several fwlint processes at
once: a reader sees a whole file or none). A file that cannot be read back (truncated,
corrupt, written by another lark) is rebuilt and rewritten without a word.

Why not lark's own `cache=`: it writes the cache file in place (a concurrent reader can see
half of it) and unpickles a part of the file before it compares the hash. A pickle runs
code when loaded, so this module loads one only from the private cache folder, only a
regular file that belongs to the user and that nobody else can write, and only after its
header has matched the key; never from the checkout fwlint reads.
"""

from __future__ import annotations

import hashlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import cachedir
from .limits import MAX_PARSER_CACHE_BYTES
from .resources import grammar_text

if TYPE_CHECKING:  # pragma: no cover
    from lark import Lark

FORMAT = b"fwlint-parser 1"  # the header's first word: bump it when the file layout changes
STALE_SECONDS = 30 * 24 * 3600  # files of other keys (older grammars, lark versions) untouched this long are removed

_parsers: dict[str, "Lark"] = {}  # key -> parser, for this process
builds = 0  # parsers this process built from their grammar (the tests read it)


def lalr(grammar: str, **options: Any) -> "Lark":
    """The LALR parser of grammars/`grammar` with lark's keyword `options` (lexer, start...):
    from this process's memory, else the user's cache, else built (and then saved)."""
    text = grammar_text(grammar)
    key = cache_key(text, options)
    parser = _parsers.get(key)
    if parser is None:
        parser = _parsers[key] = _load_or_build(grammar, text, key, options)
    return parser


def forget() -> None:
    """Drop the parsers kept in memory (the next `lalr` reads the cache again)."""
    _parsers.clear()


def cache_key(text: str, options: dict[str, Any]) -> str:
    import lark

    described = sorted((name, _describe(value)) for name, value in options.items())
    material = "\0".join([FORMAT.decode(), text, repr(described), lark.__version__,
                          sys.implementation.name, "%d.%d" % sys.version_info[:2]])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _describe(value: Any) -> str:
    """An option as text that is the same in every process (a class by its qualified name,
    not by its address)."""
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    return repr(value)


def cache_file(grammar: str, key: str, folder: Path) -> Path:
    return folder / f"{Path(grammar).stem}-{key[:32]}.pickle"


def _folder() -> Path | None:
    """The private folder of saved parsers, or None (`cachedir.cache_dir`: also where files
    have no owner to check)."""
    return cachedir.cache_dir("parsers")


def _load_or_build(grammar: str, text: str, key: str, options: dict[str, Any]) -> "Lark":
    folder = _folder()
    if folder is not None:
        parser = _read(cache_file(grammar, key, folder), key)
        if parser is not None:
            return parser
    parser = _build(text, options)
    if folder is not None:
        _write(parser, grammar, key, folder)
    return parser


def _build(text: str, options: dict[str, Any]) -> "Lark":
    global builds
    from lark import Lark

    builds += 1
    return Lark(text, parser="lalr", **options)


def _header(key: str) -> bytes:
    return FORMAT + b" " + key.encode("ascii") + b"\n"


def _read(path: Path, key: str) -> "Lark | None":
    """The parser saved at `path` for `key`, or None (missing, not ours, or unreadable)."""
    data = _read_private(path)
    header = _header(key)
    if data is None or not data.startswith(header):
        return None
    from lark import Lark

    try:
        return Lark.load(io.BytesIO(data[len(header):]))
    except Exception:  # noqa: BLE001 - a truncated or corrupt pickle fails in many ways; it is rebuilt
        return None


def _read_private(path: Path) -> bytes | None:
    return cachedir.read_private(path, MAX_PARSER_CACHE_BYTES)


def _write(parser: "Lark", grammar: str, key: str, folder: Path) -> None:
    """Save `parser` under its key: a temporary file in the same folder renamed over the
    final name. Failing to write (a full disk, a read-only folder) only costs the next run
    a build: it is not reported."""
    buf = io.BytesIO()
    buf.write(_header(key))
    try:
        parser.save(buf)
    except Exception:  # noqa: BLE001 - an option lark cannot save: keep the parser, skip the cache
        return
    final = cache_file(grammar, key, folder)
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".pickle")  # created 0600
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(buf.getvalue())
        os.replace(tmp, final)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return
    _remove_stale(grammar, final, folder)


def _remove_stale(grammar: str, keep: Path, folder: Path) -> None:
    """Files of the same grammar under other keys (an older grammar, another lark) and
    temporary files of interrupted writes, none written for STALE_SECONDS: the folder does
    not grow with every edit of a grammar."""
    now = time.time()
    try:
        candidates = [*folder.glob(f"{Path(grammar).stem}-{'?' * 32}.pickle"), *folder.glob(".tmp-*.pickle")]
    except OSError:
        return
    for path in candidates:
        if path == keep:
            continue
        try:
            if now - os.lstat(path).st_mtime > STALE_SECONDS:
                os.unlink(path)
        except OSError:
            pass
