"""The diagnostics of one pf configuration, and the lines they make "not understood".

Layer: platforms/pf. One builder for every part of the reading (lexer, reader, checks,
expansion, conversion): `diag` at a position, `at` at a token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ... import model as m
from ..common.diagnostics import NOTE, Diagnostics

if TYPE_CHECKING:
    from .lexer import Statement, Tok


class Report:
    """pf's adapter over `common.Diagnostics`: several files (the configuration and those it
    includes), a diagnostic quotes its line, and one that is not a note leaves every line of
    the statement being read not understood."""

    def __init__(self) -> None:
        self.diagnostics = Diagnostics("")  # (every diagnostic names its path)
        self.diags: list[m.Diagnostic] = self.diagnostics.items  # (the same list)
        # path -> lines not understood (every line of a statement a diagnostic refuses; the same dict)
        self.bad: dict[str, set[int]] = self.diagnostics.bad
        self.file_lines: dict[str, list[str]] = {}
        self.stmt: Statement | None = None  # the statement being read (its lines)
        self.sources: list[str] = []  # the files read, the configuration first
        self.lines_read: dict[str, int] = {}

    def diag(self, path: str, line: int, col: int, severity: str, code: str, message: str,
             construct: str = "", understood: bool | None = None, text: str | None = None) -> None:
        if text is None:
            text = self.line_text(path, line)
        if understood is None:
            understood = severity == NOTE
        self.diagnostics.report(line, col, text, severity, code, message, construct, understood, path)
        st = self.stmt
        if not understood and st is not None and st.path == path and st.first_line <= line <= st.last_line:
            self.not_understood(path, st.first_line, st.last_line)

    def at(self, tok: Tok, severity: str, code: str, message: str, construct: str = "",
           understood: bool | None = None) -> None:
        """A diagnostic at a token."""
        self.diag(tok.path, tok.line, tok.col, severity, code, message, construct, understood)

    def at_origin(self, o: m.Origin, severity: str, code: str, message: str, construct: str = "") -> None:
        """A diagnostic at the first column of a statement read earlier (its text as recorded)."""
        self.diag(o.path, o.line, 1, severity, code, message, construct, text=o.text)

    def not_understood(self, path: str, first: int, last: int) -> None:
        self.bad.setdefault(path, set()).update(range(first, last + 1))

    def line_text(self, path: str, line: int) -> str:
        lines = self.file_lines.get(path)
        if lines and 1 <= line <= len(lines):
            return lines[line - 1].rstrip("\r")
        return ""

    def origin(self, toks: list[Tok]) -> m.Origin:
        """Where a statement is: its first line, column 1, and the text of all its lines."""
        st = self.stmt
        path = toks[0].path
        first = toks[0].line
        last = first
        if st is not None and st.path == path:
            first, last = st.first_line, st.last_line
        lines = []
        for ln in range(first, last + 1):
            lines.append(self.line_text(path, ln))
        return m.Origin(path, first, 1, "\n".join(lines))


def short(text: str, width: int = 60) -> str:
    """A long name (an anchor path 1,000 levels deep) cut for a message."""
    return text if len(text) <= width else text[:width // 2 - 2] + "..." + text[-(width // 2 - 1):]


def count_lines(text: str) -> int:
    if not text:
        return 0
    n = text.count("\n")
    return n if text.endswith("\n") else n + 1
