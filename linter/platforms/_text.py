"""Bytes to text for the platform parsers: UTF-8, and where a line is not, that line read
with U+FFFD in place of the bad bytes (the rest of the file is still read).

Layer: platforms. Each parser reports the bad bytes as its own diagnostics.
"""

from __future__ import annotations

from typing import NamedTuple


class BadByte(NamedTuple):
    line: int  # 1-based
    column: int  # 1-based, in characters of the decoded line
    byte: int  # the first byte that is not UTF-8
    text: str  # the decoded line (with U+FFFD)


def decode_utf8(data: bytes) -> tuple[str, list[BadByte]]:
    """The text, and the lines that are not UTF-8 (none when the whole file is)."""
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
            bad.append(BadByte(i, len(raw[:e.start].decode("utf-8", "replace")) + 1, raw[e.start], s))
    return "\n".join(out), bad
