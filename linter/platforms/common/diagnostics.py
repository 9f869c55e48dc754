"""One way for a platform reader to report what it did not understand.

Layer: platforms. Every reader reports through a `Diagnostics` (one method, one signature)
and every syntax error reaches it as a `SyntaxFailure` (`lark_glue.parse_tokens` turns
lark's exceptions into one). A diagnostic that is not a note makes its line "not
understood": FW007 and the file statistics count those lines.
"""

from __future__ import annotations

from ... import model as m

NOTE = "note"


class SyntaxFailure(Exception):
    """A statement the grammar does not accept.

    `index`: the position of the offending token among the tokens given to the parser
    (`len(tokens)` when the statement ended too early); `at_end`: it ended too early;
    `token_type`/`token_value`: the offending token (empty at the end); `expected`: the
    terminal names the parser would have taken there (may be empty). The reader words the
    message: it knows what its tokens stand for.
    """

    def __init__(self, index: int, at_end: bool, token_type: str = "", token_value: str = "",
                 expected: frozenset[str] = frozenset(), detail: str = "") -> None:
        super().__init__(detail or ("unexpected end" if at_end else f"unexpected {token_type}"))
        self.index = index
        self.at_end = at_end
        self.token_type = token_type
        self.token_value = token_value
        self.expected = expected


class BadValue(ValueError):
    """A value the platform's own tool refuses (a bad port, a reversed range, an unknown
    name); its message says why, in words a diagnostic can quote."""


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending in "..." when cut (a message quoting a
    megabyte word stays short)."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


class Diagnostics:
    """The diagnostics of one parse, in the order given, and the lines they leave not understood.

    `max_text`: messages and constructs longer than this are cut (None: never).
    `per_line`: (limit, name of the limit in linter/limits.py) - after `limit` diagnostics on
    one line, one `too-many-problems` warning and then silence for that line (the lines are
    still counted as not understood). None: no cap.
    """

    def __init__(self, path: str, max_text: int | None = None,
                 per_line: tuple[int, str] | None = None) -> None:
        self.path = path
        self.items: list[m.Diagnostic] = []
        self.bad: dict[str, set[int]] = {}
        self.max_text = max_text
        self.per_line = per_line
        self.counted_line, self.count = 0, 0  # the line being counted for `per_line`, and its count

    def bad_lines(self, path: str | None = None) -> set[int]:
        """The lines of `path` (default: the parsed file) not understood so far (a live set:
        a reader may add or discard lines of its own)."""
        return self.bad.setdefault(self.path if path is None else path, set())

    def report(self, line: int, column: int, text: str, severity: str, code: str, message: str,
               construct: str = "", understood: bool | None = None, path: str | None = None) -> None:
        """Record a diagnostic at `path` (default: the parsed file) `line`:`column` whose
        origin quotes `text`. `understood` (default: only notes are) says whether the line
        still counts as understood."""
        if understood is None:
            understood = severity == NOTE
        path = self.path if path is None else path
        if self.max_text is not None:
            message = shorten(message, self.max_text)
            construct = shorten(construct, self.max_text)
        if self.per_line is not None and self.capped(path, line, column, text, understood):
            return
        self.items.append(m.Diagnostic(m.Origin(path, line, column, text), severity, code, message,  # type: ignore[arg-type]
                                       construct))
        if not understood:
            self.bad_lines(path).add(line)

    def capped(self, path: str, line: int, column: int, text: str, understood: bool) -> bool:
        """Count a diagnostic of `line`; True when it is past the line's cap (and then left out)."""
        limit, name = self.per_line  # type: ignore[misc]
        if line != self.counted_line:
            self.counted_line, self.count = line, 0
        self.count += 1
        if self.count <= limit:
            return False
        if not understood:
            self.bad_lines(path).add(line)
        if self.count == limit + 1:
            self.items.append(m.Diagnostic(
                m.Origin(path, line, column, text), "warning", "too-many-problems",
                f"more than {limit} problems on this line: the others are not listed (linter/limits.py {name})"))
        return True

    def restart_line_count(self) -> None:
        """The next diagnostic starts a new count for its line (one never to be left out)."""
        self.counted_line = 0

    def sorted(self) -> tuple[m.Diagnostic, ...]:
        """The diagnostics by line and column (stable: the order given within a position)."""
        return tuple(sorted(self.items, key=lambda d: (d.origin.line, d.origin.column)))
