"""The files a configuration names (`include`, `load anchor ... from`, `table ... file`):
read confined to the configuration's repository (linter/files.py), within the budget of
files and bytes read besides it (limits.py), and the stack of those being read.

Layer: platforms/pf.
"""

from __future__ import annotations

import os

from ... import files, limits
from .diagnostics import Report
from .expand import Budget
from .lexer import Tok


class SourceFiles:
    def __init__(self, report: Report, budget: Budget, real: str | None) -> None:
        self.report = report
        self.budget = budget
        self.real = real  # the configuration's own file
        self.stack: list[str] = []  # real paths of the files being read (includes)
        # where the files it names may lie: the repository of this configuration
        self.confinement = files.current().for_file(real) if real else files.current()

    def file_popped(self) -> None:
        if len(self.stack) > 1:
            self.stack.pop()

    def read_file(self, name: str, origin_tok: Tok, what: str) -> tuple[str, str, str] | None:
        """(text, display path, real path) of a file named in the configuration, or None
        after a located warning. Confined (linter/files.py) to the repository of the
        configuration (its own folder when it is in none): an `include` of a file outside,
        directly or through a link, is refused and nothing of it is read."""
        base_real = self.stack[-1] if self.stack else self.real
        base_dir = os.path.dirname(base_real) if base_real else os.getcwd()
        target = os.path.join(base_dir, name)
        try:
            real = str(self.confinement.resolve(target, what=what))
        except files.InputError as e:
            code = "outside-repository" if isinstance(e, files.OutsideRoot) else "missing-file"
            self.report.at(origin_tok, "warning", code, f"{what} {name!r}: {str(e).split(': ', 1)[-1]}: not read", what)
            return None
        try:
            data = files.read_file(real, limit=limits.MAX_SIDE_FILE_BYTES, named=True, what=what)
        except files.InputError as e:
            code = "file-too-large" if isinstance(e, files.TooLarge) else "missing-file"
            self.report.at(origin_tok, "warning", code, f"{what} {name!r}: {str(e).split(': ', 1)[-1]}: not read", what)
            return None
        if b"\x00" in data:
            self.report.at(origin_tok, "warning", "binary-file", f"{what} {name!r} is not a text file: not read", what)
            return None
        text = data.decode("utf-8", "replace")
        return text, files.display(real), real

    def read_bounded(self, name: str, origin_tok: Tok, what: str) -> tuple[str, str, str] | None:
        """read_file, within the configuration's budget of files read besides itself.

        Without it, includes that each include a file twice (no loop) read 2**depth files, and
        a line `table <t> file "big"` repeated reads the big file once per line.
        """
        if self.budget.files_read >= limits.MAX_INCLUDED_FILES or self.budget.bytes_read >= limits.MAX_FILE_BYTES:
            self.report.at(origin_tok, "error", "expansion-limit",
                           f"{what} {name!r}: not read: this configuration already read {self.budget.files_read} files "
                           f"({self.budget.bytes_read} bytes) besides itself (linter/limits.py MAX_INCLUDED_FILES = "
                           f"{limits.MAX_INCLUDED_FILES}, MAX_FILE_BYTES = {limits.MAX_FILE_BYTES})", what)
            return None
        self.budget.files_read += 1
        got = self.read_file(name, origin_tok, what)
        if got is not None:
            self.budget.bytes_read += len(got[0])
        return got
