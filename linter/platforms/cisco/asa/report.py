"""What the reading of one ASA file reports: its located diagnostics, the lines not understood,
and what each line is (relevant to filtering, not relevant, unknown) for `relevance`.

Layer: platform (Cisco ASA). One `Report` per file, shared by the reader and the converter.
"""

from __future__ import annotations

from .... import model as m
from ...common.diagnostics import Diagnostics
from .vendor import Line, descendants


class Drop(Exception):
    """An entry or member that cannot be modelled (the ASA would reject it, or it names
    something undefined): reported and left out."""

    def __init__(self, col: int, severity: str, code: str, message: str, construct: str = "") -> None:
        super().__init__(message)
        self.col = col
        self.severity = severity
        self.code = code
        self.message = message
        self.construct = construct


class Report:
    """The ASA's adapter over `common.Diagnostics`: a diagnostic is placed at a `Line` (or a
    line number) and quotes that line as written; plus each line's category."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lines: list[str] = []
        self.diagnostics = Diagnostics(path)
        self.diags: list[m.Diagnostic] = self.diagnostics.items  # (the same list)
        self.bad: set[int] = self.diagnostics.bad_lines()  # lines not understood (the same set)
        self.category: dict[int, str] = {}  # line -> relevant | other | unknown (blank lines absent)
        # the words of commands that do not concern filtering: an access-list or object named
        # there (a route-map, a VPN filter, ...) is not reported as unused
        self.other_words: set[str] = set()

    def origin(self, line: Line, col: int = 0) -> m.Origin:
        return m.Origin(self.path, line.no, col or (line.indent + 1), line.text)

    def diag(self, line: Line | int, col: int, severity: str, code: str, message: str,
             construct: str = "", understood: bool | None = None) -> None:
        no = line.no if isinstance(line, Line) else line
        text = self.lines[no - 1] if 1 <= no <= len(self.lines) else ""
        self.diagnostics.report(no, max(col, 1), text, severity, code, message, construct, understood)

    def drop(self, line: Line, d: Drop) -> None:
        self.diag(line, d.col, d.severity, d.code, d.message, d.construct)

    def relevant(self, line: Line) -> None:
        self.category[line.no] = "relevant"

    def other(self, line: Line, collect: bool = True) -> None:
        """A command that does not concern filtering, with its block (walked with a stack:
        indentation can nest thousands deep)."""
        self.category[line.no] = "other"
        if collect:
            self.other_words.update(line.words)
        for node in descendants(line):
            self.category[node.no] = "other"
            if collect:
                self.other_words.update(node.words)

    def unknown(self, line: Line, message: str, code: str = "unknown-command", construct: str = "") -> None:
        self.category[line.no] = "unknown"
        self.diag(line, line.indent + 1, "warning", code, message, construct)
        self.not_read(line, "unknown")

    def not_read(self, line: Line, category: str) -> None:
        """The block of a command that is not read: its lines are not understood."""
        for node in descendants(line):
            self.category[node.no] = category
            self.bad.add(node.no)
