"""What fwlint may read and write, and how: confinement to the repository root, regular
files only, bounded reads, output files opened as a shell redirection would, and the paths
shown in every output.

Layer: infrastructure (used by the api, the cli, the configuration, the policy loaders and
the pf reader of `include` files). fwlint runs on pull requests: every file of the checkout,
its symbolic links included, may have been written by an attacker. So:

- a file is read only when it lies inside the repository root (the folder holding `.git`
  above the working directory, or the working directory), or when the user named it on the
  command line; a path that a file of the checkout names (an inventory's devices, a
  configuration's inventory and packs, a pf `include`) and every symbolic link met on the way
  are resolved first, and refused when they lead outside. Only `--allow-outside-root` (a
  flag, never a file in the checkout) lifts this.
- only regular files are read (a FIFO would block forever, /dev/zero never ends), in one read
  bounded by a size limit (linter/limits.py);
- an output file is written in full or not at all, through a symbolic link as a shell
  redirection writes (unless the link leads outside the root), never replacing a device or
  a link, with the permissions the umask gives.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from . import limits


class InputError(Exception):
    """A file that cannot or may not be read (missing, refused, too large, not a regular
    file); the message names the file and why, and quotes nothing of its content."""


class OutsideRoot(InputError):
    """Refused: the path, or a link on its way, leads outside the repository root."""


class TooLarge(InputError):
    """Past the size limit of its kind of file."""


# --------------------------------------------------------------------------- the root


def find_root(start: Path | None = None) -> Path:
    """The repository root: the nearest folder at or above `start` (default: the working
    directory) that holds `.git`; else `start` itself. Resolved."""
    base = Path(os.path.abspath(start if start is not None else os.getcwd()))
    d = base
    while True:
        if (d / ".git").exists():
            return Path(os.path.realpath(d))
        if d.parent == d:
            return Path(os.path.realpath(base))
        d = d.parent


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


@dataclass(frozen=True)
class Confinement:
    """Where reads may go. `root` is resolved; `allow_outside` is --allow-outside-root."""

    root: Path
    allow_outside: bool = False

    def contains(self, path: str | Path) -> bool:
        """Does the name `path` lie under the root, its last component not followed (a link
        in the checkout is inside, wherever it points)?"""
        lexical = Path(os.path.abspath(path))
        return _within(lexical, self.root) or _within(Path(os.path.realpath(lexical.parent)) / lexical.name, self.root)

    def for_file(self, named_file: str | Path) -> "Confinement":
        """The confinement for the paths a file names (an inventory, a configuration): this
        one when the file lies inside the root; for a file named on the command line outside
        it, the repository of that file, or its own folder when it is in none."""
        if self.contains(named_file):
            return self
        folder = Path(os.path.abspath(named_file)).parent
        return Confinement(find_root(folder), self.allow_outside)

    def for_folder(self, named_folder: str | Path) -> "Confinement":
        """The confinement of a folder's walk: this one when the folder lies inside the root;
        for a folder named on the command line outside it, the folder's repository, or the
        folder itself when it is in none (not its parent: `for_file` on the folder would
        give that, since `Path(folder) / "."` is the folder)."""
        if self.contains(named_folder):
            return self
        return Confinement(find_root(Path(os.path.abspath(named_folder))), self.allow_outside)

    def resolve(self, path: str | Path, *, named: bool = False, what: str = "file") -> Path:
        """The real path to open, after the checks. `named`: given on the command line (a
        file named there and lying outside the root is the user's to read). Raises
        InputError naming `path` and, on refusal, the rule (never the target)."""
        shown = display(path)
        # outside first, existing or not: a refusal must not tell whether a file out there exists
        if not self.allows(Path(os.path.realpath(path)), path, named):
            raise OutsideRoot(f"{shown}: refused: the {what} resolves outside the repository root "
                             f"{display(self.root)} (fwlint reads only files inside it and files named on the "
                             "command line; --allow-outside-root lifts this)")
        try:
            return Path(os.path.realpath(path, strict=True))
        except FileNotFoundError:
            if os.path.islink(path):
                raise InputError(f"{shown}: a symbolic link to a file that does not exist") from None
            raise InputError(f"{shown}: no such file or directory") from None
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise InputError(f"{shown}: a loop of symbolic links") from None
            raise InputError(f"{shown}: cannot read: {e.strerror or e}") from None

    def allows(self, real: Path, path: str | Path, named: bool) -> bool:
        return self.allow_outside or _within(real, self.root) or (named and not self.contains(path))


_CURRENT: contextvars.ContextVar[Confinement | None] = contextvars.ContextVar("fwlint_confinement", default=None)


def current() -> Confinement:
    """The confinement of this run (set by `confined`), else the working directory's
    repository, confined."""
    got = _CURRENT.get()
    return got if got is not None else Confinement(find_root())


@contextlib.contextmanager
def confined(confinement: Confinement) -> Iterator[Confinement]:
    token = _CURRENT.set(confinement)
    try:
        yield confinement
    finally:
        _CURRENT.reset(token)


# --------------------------------------------------------------------------- reading

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def kind_of(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_file(path: str | Path, *, limit: int | None = None, named: bool = False, what: str = "file",
              confinement: Confinement | None = None) -> bytes:
    """The bytes of a regular file, after the confinement checks, in one read of at most
    `limit` bytes (default: limits.MAX_FILE_BYTES)."""
    conf = confinement or current()
    real = conf.resolve(path, named=named, what=what)
    return _read_regular(real, display(path), limits.MAX_FILE_BYTES if limit is None else limit)


def _read_regular(real: Path, shown: str, limit: int, head: bool = False) -> bytes:
    """At most `limit` bytes of a regular file; past them an error, or with `head` the first
    `limit` bytes (platform detection in a walk)."""
    fd = _open_regular(real, shown)
    try:
        size = os.fstat(fd).st_size
        if size > limit and not head:
            raise TooLarge(_too_large(shown, size, limit))
        chunks, got = [], 0
        while got <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        data = b"".join(chunks)
        if head:
            return data[:limit]
        if got > limit:  # (it grew while read)
            raise TooLarge(_too_large(shown, got, limit))
        return data
    except OSError as e:
        raise InputError(f"{shown}: cannot read: {e.strerror or e}") from None
    finally:
        os.close(fd)


def _open_regular(real: Path, shown: str) -> int:
    """A descriptor open for reading on a regular file, or InputError."""
    _refuse_special(real, shown)  # (opening a socket fails, a device may have effects)
    # O_NONBLOCK: opening a FIFO must not wait for a writer (fstat then refuses it);
    # O_NOFOLLOW: `real` has no link left, and none may appear between the check and the open
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(real, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise InputError(f"{shown}: a symbolic link appeared while it was read") from None
        if e.errno == errno.EISDIR:
            raise InputError(f"{shown}: is a directory") from None
        raise InputError(f"{shown}: cannot read: {e.strerror or e}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise InputError(f"{shown}: not read: {kind_of(mode)}, not a regular file")
    return fd


def _refuse_special(real: Path, shown: str) -> None:
    try:
        mode = os.stat(real).st_mode
    except OSError:
        return  # (said by the open that follows)
    if not stat.S_ISREG(mode):
        raise InputError(f"{shown}: not read: {kind_of(mode)}, not a regular file")


def _too_large(shown: str, size: int, limit: int) -> str:
    return (f"{shown}: {size} bytes is larger than the {human_size(limit)} fwlint reads "
            "(--max-file-size raises the limit for configurations)")


def human_size(n: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor and n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n} bytes"


def parse_size(text: str) -> int:
    """`65536`, `64K`, `64M`, `1G` (powers of 1024) -> bytes; ValueError otherwise."""
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    factor = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(t[-1:], 1)
    digits = t[:-1] if factor > 1 else t
    if not digits.isdigit() or int(digits) <= 0:
        raise ValueError(f"{text!r}: expected a size such as 65536, 512K, 64M or 1G")
    return int(digits) * factor


def open_head(path: Path, size: int = 65536, named: bool = False, confinement: Confinement | None = None) -> bytes:
    """The first `size` bytes of a file (platform detection in a walk), with every check of
    read_file but the size limit."""
    real = (confinement or current()).resolve(path, named=named)
    return _read_regular(real, display(path), size, head=True)


# --------------------------------------------------------------------------- globs

_MAGIC = re.compile(r"[*?\[]")


def glob_files(base: Path, pattern: str, what: str = "path", confinement: Confinement | None = None) -> list[str]:
    """The regular files (or links to them) that `pattern` matches, relative to `base`:
    `*` and `?` within a name, `**` across folders, `[...]` a class. Folders are walked
    without following links (a link loop cannot multiply the walk), the walk never starts
    outside the root, and every match is confined like a read: a match that leads outside
    raises InputError. At most limits.MAX_GLOB_FILES matches."""
    conf = confinement or current()
    full = os.path.normpath(os.path.join(os.path.abspath(base), pattern))
    parts = Path(full).parts
    first = next((i for i, part in enumerate(parts) if _MAGIC.search(part)), None)
    if first is None:  # a plain path
        if not os.path.lexists(full):
            return []
        real = conf.resolve(full, what=what)
        return [full] if real.is_file() else []
    start = Path(*parts[:first])
    if not conf.allow_outside and not conf.contains(start):
        raise OutsideRoot(f"{pattern!r}: refused: the {what} leads outside the repository root {display(conf.root)} "
                         "(--allow-outside-root lifts this)")
    matcher = _glob_regex("/".join(parts[first:]))
    found: list[str] = []
    for folder, dirs, names in os.walk(start):  # (os.walk follows no link to a folder)
        dirs.sort()
        for name in sorted(names + [d for d in dirs if os.path.islink(os.path.join(folder, d))]):
            candidate = os.path.join(folder, name)
            if not matcher.fullmatch(Path(os.path.relpath(candidate, start)).as_posix()):
                continue
            real = conf.resolve(candidate, what=what)
            if real.is_file():
                found.append(candidate)
                if len(found) > limits.MAX_GLOB_FILES:
                    raise InputError(f"{pattern!r}: matches more than {limits.MAX_GLOB_FILES} files")
    return found


def _glob_regex(pattern: str) -> re.Pattern:
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[" and "]" in pattern[i + 2:] or c == "[" and pattern[i + 1:i + 2] == "]":
            end = pattern.index("]", i + 2)
            body = pattern[i + 1:end]
            neg = body[:1] in ("!", "^")
            out.append("[" + ("^" if neg else "") + re.escape(body[1:] if neg else body).replace("\\-", "-") + "]")
            i = end + 1
            continue
        elif c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


# --------------------------------------------------------------------------- text

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def transcode(data: bytes) -> bytes:
    """A configuration's bytes as UTF-8 without a byte order mark. UTF-16 with a BOM is
    decoded (Windows tools write it; exactly, so nothing to report); UTF-8 with a BOM loses
    the BOM; UTF-16 without a BOM is one clear error (not one per line); anything else is
    left to the platform's own decoder."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            if codec == "utf-8":
                return data[len(bom):]
            try:
                text = data[len(bom):].decode(codec)
            except UnicodeDecodeError as e:
                raise InputError(f"starts with a {codec.upper()} byte order mark but is not {codec.upper()} "
                                 f"(byte {e.start + len(bom)})") from None
            return text.encode("utf-8")
    odd, even = data[1:4:2], data[0:4:2]
    if len(data) >= 4 and (odd == b"\x00\x00") != (even == b"\x00\x00"):  # ASCII as UTF-16, LE or BE
        raise InputError("looks like UTF-16 without a byte order mark: save it as UTF-8")
    return data


# --------------------------------------------------------------------------- display


def display(path: str | Path, confinement: Confinement | None = None) -> str:
    """A path as every output shows it: relative to the repository root with '/' when it
    lies under it (whatever the working directory), else absolute. Bytes of a file name that
    are not UTF-8 stay surrogate escapes (os.fsdecode) until an output shows them:
    `printable` for text, percent-encoding for SARIF URIs."""
    root = (confinement or current()).root
    p = Path(os.path.abspath(path))
    if _within(p, root):
        text = p.relative_to(root).as_posix() or "."
    else:
        real_parent = Path(os.path.realpath(p.parent))
        text = (real_parent / p.name).relative_to(root).as_posix() if _within(real_parent, root) else p.as_posix()
    return text


def locate(shown: str, confinement: Confinement | None = None) -> Path:
    """The file behind a path as `display` shows it (root-relative, or absolute)."""
    p = Path(shown)
    return p if p.is_absolute() else (confinement or current()).root / p


def printable(text: str) -> str:
    """Surrogate-escaped bytes of a file name (os.fsdecode) as \\xNN."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


# --------------------------------------------------------------------------- writing


def write_file(path: str | Path, text: str, confinement: Confinement | None = None) -> None:
    """Write `text` to `path` as `> path` would, but in full or not at all.

    A symbolic link is written through (its target replaced, the link kept), unless it leads
    outside the root (a link in the checkout must not aim fwlint's output at a file outside
    it). A device or a FIFO is written to in place (`-o /dev/null`, `-o /dev/stdout`), never
    replaced. A regular file is replaced by a complete new one (written beside it, then
    renamed), keeping its permission bits; a new file gets 0666 less the umask."""
    conf = confinement or current()
    shown = display(path)
    data = text.encode("utf-8")
    lexical = Path(os.path.abspath(path))
    try:
        real = Path(os.path.realpath(lexical))
    except OSError as e:
        raise InputError(f"cannot write {shown}: {e.strerror or e}") from None
    if os.path.islink(lexical) and not conf.allow_outside and conf.contains(lexical) and not _within(real, conf.root):
        raise OutsideRoot(f"cannot write {shown}: refused: it is a symbolic link that leads outside the repository "
                          f"root {display(conf.root)} (--allow-outside-root lifts this)")
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise InputError(f"cannot write {shown}: {e.strerror or e}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise InputError(f"cannot write {shown}: is a directory")
    if st is not None and not stat.S_ISREG(st.st_mode):
        _write_in_place(real, shown, data, st.st_mode)
        return
    folder = real.parent
    if not folder.is_dir():
        raise InputError(f"cannot write {shown}: directory {display(folder)} does not exist")
    _replace(real, shown, data, None if st is None else stat.S_IMODE(st.st_mode))


def _write_in_place(real: Path, shown: str, data: bytes, mode: int) -> None:
    # a FIFO without a reader would block: O_NONBLOCK makes that an error (ENXIO)
    try:
        fd = os.open(real, os.O_WRONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as e:
        why = "a named pipe that nobody reads" if e.errno == errno.ENXIO else (e.strerror or str(e))
        raise InputError(f"cannot write {shown}: {why}") from None
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
    except OSError as e:
        raise InputError(f"cannot write {shown} ({kind_of(mode)}): {e.strerror or e}") from None
    finally:
        os.close(fd)


def _replace(real: Path, shown: str, data: bytes, keep_mode: int | None) -> None:
    import secrets  # (here, not at the top: every command imports this module, few write a file)

    tmp = None
    try:
        # a name of our own beside the target, created exclusively with 0666: the umask applies
        for _ in range(100):
            candidate = real.parent / f".{real.name}.{secrets.token_hex(4)}.tmp"
            try:
                fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
            except FileExistsError:
                continue
            tmp = candidate
            break
        else:  # pragma: no cover - a hundred name collisions
            raise InputError(f"cannot write {shown}: no free temporary name beside it")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if keep_mode is not None:
            os.chmod(tmp, keep_mode)
        os.replace(tmp, real)
        tmp = None
    except OSError as e:
        raise InputError(f"cannot write {shown}: {e.strerror or e}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
