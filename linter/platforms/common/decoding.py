"""Bytes to text for the platform readers: UTF-8, and where a line is not, that line read
with U+FFFD in place of the bad bytes (the rest of the file is still read).

Layer: platforms. The reader reports each bad line as its own `encoding` diagnostic (the
wording is the platform's: it says what the platform's tool does with such a byte).
"""

from __future__ import annotations

import codecs
from typing import Iterator, NamedTuple


class BadByte(NamedTuple):
    line: int  # 1-based
    column: int  # 1-based, in characters of the decoded line
    byte: int  # the first byte that is not UTF-8
    text: str  # the decoded line (with U+FFFD)


def decode_utf8(data: bytes) -> tuple[str, list[BadByte]]:
    """The whole text (lines joined by "\\n" as they were), and the lines that are not UTF-8
    (none when the whole file is)."""
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    out: list[str] = []
    bad: list[BadByte] = []
    for i, raw in enumerate(data.split(b"\n"), 1):
        try:
            out.append(raw.decode("utf-8"))
        except UnicodeDecodeError as e:
            s = raw.decode("utf-8", "replace")
            out.append(s)
            bad.append(BadByte(i, _column(raw, e.start), raw[e.start], s))
    return "\n".join(out), bad


def _column(raw: bytes, start: int) -> int:
    """The 1-based column, in decoded characters, of the byte at `start`."""
    return len(raw[:start].decode("utf-8", "replace")) + 1


def decoded_lines(data: bytes) -> Iterator[tuple[str, BadByte | None]]:
    """Each line of `data` (split on "\\n", one "\\r" before it dropped, no empty last line
    after a final newline) and, when it is not UTF-8, its first bad byte (else None).

    Line by line, so a large UTF-8 file is decoded once and never copied whole again."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for ln in lines:
            yield (ln[:-1] if ln.endswith("\r") else ln), None
        return
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    for no, raw in enumerate(raw_lines, 1):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        try:
            yield raw.decode("utf-8"), None
        except UnicodeDecodeError as e:
            s = raw.decode("utf-8", "replace")
            yield s, BadByte(no, _column(raw, e.start), raw[e.start], s)


def looks_binary(data: bytes, head: int = 65536) -> bool:
    """A NUL byte in the first `head` bytes: not a text file (or UTF-16, which a reader may
    then try)."""
    return b"\x00" in data[:head]


def utf16_encoding(data: bytes) -> tuple[str, bool] | None:
    """When `data` looks like UTF-16: (the codec to read it with, whether it starts with a
    byte-order mark); None otherwise (UTF-8, or binary: NUL bytes in no UTF-16 pattern).
    Without a mark, the NUL bytes of the first 64 KiB say the byte order (ASCII text in
    UTF-16-LE has them at odd offsets)."""
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16", True
    sample = data[:65536]
    if b"\x00" not in sample:
        return None
    half = len(sample) // 2 or 1
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    if odd >= half * 0.4 and even <= half * 0.05:
        return "utf-16-le", False
    if even >= half * 0.4 and odd <= half * 0.05:
        return "utf-16-be", False
    return None
