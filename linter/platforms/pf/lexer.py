"""pfctl's lexer (sbin/pfctl/parse.y `yylex`): text to tokens, macros expanded in place,
included files read in place, tokens cut into statements.

Layer: platforms/pf. How a file is read:

1. `#` comments, `\\` continuations (joined without a space), quoted strings (a newline
   inside quotes is dropped), words, numbers, keywords, operators (`!=`, `<=`, `<>`, `><`,
   `->`). A `$name` at the start of a token is replaced by the macro's text, which is lexed
   again, so that `$if:network` and `{ $list }` work as in pfctl. Tokens from a macro carry
   the position of the `$`.
2. The token stream is cut into statements at newlines outside `{ }` (lists may span lines);
   an anchor's `{ ... }` body is recognised (the `{` ends its line).

grammar.py feeds each statement's tokens to the grammar.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import Callable, Iterator

from ... import limits
from ... import model as m
from ..detection import PF_KEYWORDS
from .diagnostics import Report

# --------------------------------------------------------------------------- vocabulary

_KEYWORDS = PF_KEYWORDS  # (in detection.py: recognising pf text needs the vocabulary too)

PUNCT_TYPES = {"{": "LBRACE", "}": "RBRACE", "(": "LPAREN", ")": "RPAREN", ",": "COMMA",
                "/": "SLASH", "=": "EQ"}
_ALNUM = frozenset(string.ascii_letters + string.digits)
# operators: two characters first (`!=` before `!`); `-` alone starts a word or number
_PAIR_OPS = {"!=": "NE", "<>": "XRANGE", "<=": "LE", "><": "RANGE", ">=": "GE", "->": "ARROW"}
_SINGLE_OPS = {"!": "BANG", "<": "LT", ">": "GT"}
_IN_STRING = _ALNUM | frozenset(c for c in string.punctuation if c not in "(){}<>!=/#,")
_WORD_START = _ALNUM | frozenset(":_*")
_NUM_END = frozenset(" \t\r\n\f\v),/}=")
_SPACE = frozenset(" \t\r\f\v")
_BLANKS_RE = re.compile(r"[ \t\r\f\v]*")
_DIGIT_RUN_RE = re.compile("[0-9]*")
_WORD_RUN_RE = re.compile("[" + re.escape("".join(sorted(c for c in _IN_STRING if c != "\\"))) + "]*")

# statements a line can start with (to recover from an unclosed `{`)
_STMT_START_RE = re.compile(
    r"[ \t]*(?:(?:pass|block|match|anchor|table|set|scrub|nat|rdr|binat|antispoof|altq|queue|"
    r"nat-anchor|rdr-anchor|binat-anchor|load|include|no)[ \t]|[A-Za-z_][A-Za-z0-9_]*[ \t]*=)")

# tokens after which `{` opens a list, never an anchor's body
_LIST_OPENERS = frozenset({"PORT", "FROM", "TO", "PROTO", "ON", "ICMP_TYPE", "ICMP6_TYPE", "USER",
                           "GROUP", "OS", "BANG", "COMMA", "LBRACE", "EQ", "ROUTE_TO", "REPLY_TO",
                           "DUP_TO", "NAT_TO", "RDR_TO", "BINAT_TO", "LIMIT", "TIMEOUT", "QUEUE",
                           "FOR", "SKIP"})



@dataclass
class Macros:
    """The macros defined so far, and the work their expansion did (against limits.py)."""

    values: dict[str, str] = field(default_factory=dict)
    defined_at: dict[str, m.Origin] = field(default_factory=dict)
    # macros whose definition crossed MAX_MACRO_BYTES: their uses are refused, located
    refused: dict[str, m.Origin] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    expanded_total: int = 0  # bytes of macro text expanded in the whole configuration

    def define(self, name: str, value: str, origin: m.Origin) -> None:
        self.values[name] = value
        self.defined_at[name] = origin
        self.refused.pop(name, None)

    def refuse(self, name: str, origin: m.Origin) -> None:
        """$name crossed MAX_MACRO_BYTES where it is defined: each use is refused, at the use."""
        self.values.pop(name, None)
        self.defined_at.pop(name, None)
        self.refused[name] = origin

# --------------------------------------------------------------------------- tokens and lexer


@dataclass(slots=True)  # (not frozen: a frozen __init__ costs 5% of a parse, one per token)
class Tok:
    type: str
    value: str
    path: str
    line: int
    col: int
    quoted: bool = False
    macro: str | None = None


class FileSource:
    __slots__ = ("text", "pos", "line", "col", "path", "real", "lines")
    is_macro = False

    def __init__(self, text: str, path: str, real: str | None) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.col = 1
        self.path = path
        self.real = real
        self.lines = text.split("\n")


class MacroSource:
    __slots__ = ("text", "pos", "name", "path", "line", "col", "names")
    is_macro = True

    def __init__(self, text: str, name: str, path: str, line: int, col: int) -> None:
        self.text = text
        self.pos = 0
        self.name = name
        self.path = path
        self.line = line
        self.col = col
        self.names = 1  # the names of PfLexer.macro_names this source ends when it is popped


@dataclass(frozen=True)
class Statement:
    tokens: list[Tok]
    path: str
    kind: str = "stmt"  # stmt | close
    opens_body: bool = False
    failed: bool = False  # a lexical error was already reported
    limited: bool = False  # its macros crossed an expansion bound (reported)
    unclosed: Tok | None = None
    first_line: int = 0
    last_line: int = 0


@dataclass
class _Cut:
    """One statement being cut from the token stream (`PfLexer.statements`)."""

    path: str
    toks: list[Tok] = field(default_factory=list)
    failed: bool = False
    opens: bool = False  # ends with an anchor's opening brace
    unclosed: Tok | None = None  # the brace left open when the statement ended
    first_open: Tok | None = None
    first_line: int = 0
    last_line: int = 0
    too_long: Tok | None = None  # the first token past MAX_STATEMENT_TOKENS


# what a token does to the statement being cut (`PfLexer._step`)
_END, _SKIP, _KEEP = object(), object(), object()


class LexError(Exception):
    pass


class PfLexer:
    """pfctl's lexer, token by token, with macro expansion and nested files."""

    def __init__(self, macros: Macros, report: Report, on_file_end: Callable[[], None]) -> None:
        self.macros = macros
        self.report = report
        self.on_file_end = on_file_end  # an included file was read to its end
        self.stack: list = []
        self.files: list[FileSource] = []
        # the macros being expanded, outermost first (their sources are the top of the stack);
        # a list and a set so that the recursion check costs the same at any depth
        self.macro_names: list[str] = []
        self.macro_set: set[str] = set()
        # `{` nesting of the statement being read (by statements()), and its value when the
        # outermost expansion in progress began: abandoning an expansion abandons its braces
        self.depth = 0
        self.depth_at_use = 0
        self.new_statement()

    def new_statement(self) -> None:
        """Reset what is counted per statement: macro text expanded, the bound crossed."""
        self.expanded = 0
        self.use_start = 0
        self.limit_hit = False
        self.nested_reported: set[tuple[str, str]] = set()

    # -- sources

    def push_file(self, text: str, path: str, real: str | None) -> None:
        src = FileSource(text, path, real)
        self.stack.append(src)
        self.files.append(src)
        self.report.file_lines.setdefault(path, src.lines)

    def file_src(self) -> FileSource:
        for s in reversed(self.stack):
            if not s.is_macro:
                return s
        raise LexError("no file")

    def push_macro(self, src: "MacroSource") -> None:
        # the sources read to their end under it leave the stack now (a chain `a = "$b"`,
        # `b = "$c"`... would otherwise make every peek walk down the whole chain), but their
        # names stay in the expansion until this one ends: `c = "$a"` is still a recursion
        while self.stack and self.stack[-1].is_macro and self.stack[-1].pos >= len(self.stack[-1].text):
            src.names += self.stack.pop().names
        self.stack.append(src)
        self.macro_names.append(src.name)
        self.macro_set.add(src.name)

    def pop_macro(self) -> None:
        """Drop the macro source on top of the stack (read to its end, or abandoned), and the
        names of the expansion that end with it."""
        for _ in range(self.stack.pop().names):
            self.macro_set.discard(self.macro_names.pop())

    def drop_macros(self) -> None:
        """Abandon every expansion in progress: back to the text of the file."""
        while self.stack and self.stack[-1].is_macro:
            self.pop_macro()

    def pop_file(self) -> bool:
        """End of the current file: back to the including file (True) or the end (False)."""
        self.drop_macros()
        if len(self.stack) > 1:
            self.stack.pop()
            self.files.pop()
            self.on_file_end()
            return True
        return False

    # -- characters

    def _peek_at(self, k: int = 0) -> tuple[str, int]:
        """The next character (after continuations) and the stack depth it comes from."""
        for depth in range(len(self.stack) - 1, -1, -1):
            s = self.stack[depth]
            if s.is_macro:
                if s.pos < len(s.text):
                    return s.text[s.pos], depth
                continue
            p = s.pos
            t = s.text
            while True:
                if p >= len(t):
                    return "", depth
                c = t[p]
                if c == "\\" and t.startswith("\n", p + 1):
                    p += 2
                    continue
                if c == "\\" and t.startswith("\r\n", p + 1):
                    p += 3
                    continue
                return c, depth
        return "", -1

    def peek(self) -> str:
        return self._peek_at()[0]

    def getc(self, raw: bool = False) -> str:
        """The next character; raw (inside quotes): a backslash-newline is not a continuation."""
        while self.stack:
            s = self.stack[-1]
            if s.pos >= len(s.text):
                if s.is_macro:
                    self.pop_macro()
                    continue
                return ""
            c = s.text[s.pos]
            s.pos += 1
            if s.is_macro:
                return c
            if c == "\\" and not raw:
                if s.text.startswith("\n", s.pos):
                    s.pos += 1
                    s.line += 1
                    s.col = 1
                    continue
                if s.text.startswith("\r\n", s.pos):
                    s.pos += 2
                    s.line += 1
                    s.col = 1
                    continue
            if c == "\n":
                s.line += 1
                s.col = 1
            else:
                s.col += 1
            return c
        return ""

    def position(self) -> tuple[str, int, int, str | None]:
        # a macro source that is exhausted does not give the position; the next one does
        for d in range(len(self.stack) - 1, -1, -1):
            s = self.stack[d]
            if s.is_macro and s.pos >= len(s.text):
                continue
            if s.is_macro:
                return s.path, s.line, s.col, s.name
            return s.path, s.line, s.col, None
        s = self.stack[0]
        return s.path, s.line, s.col, None

    def at_line_end(self) -> bool:
        """Only blanks (and maybe a comment) before the end of the line."""
        s = self.stack[-1]
        if s.is_macro:
            return False
        t, p = s.text, s.pos
        while p < len(t) and t[p] in _SPACE:
            p += 1
        return p >= len(t) or t[p] in "\n#"

    def next_line_starts_statement(self) -> bool:
        s = self.stack[-1]
        if s.is_macro:
            return False
        return _STMT_START_RE.match(s.text, s.pos) is not None

    # -- tokens

    def token(self) -> Tok:
        while True:
            self._skip_blanks()
            path, line, col, macro = self.position()
            c = self.getc()
            if c == "":
                return Tok("EOF", "", path, line, col)
            if c == "#":
                while self.peek() not in ("\n", ""):
                    self.getc()
                continue
            if c == "\n":
                return Tok("NL", "\n", path, line, col)
            if c == "$":
                name = self._macro_name()
                if not name:
                    return Tok("CHAR", "$", path, line, col, macro=macro)
                refused = self.expand_macro(name, path, line, col)
                if refused is not None:
                    return refused
                continue
            if c in "\"'":
                return self._quoted(c, path, line, col, macro)
            if c in "!<>-":
                op = self._operator(c, path, line, col, macro)
                if op is not None:
                    return op
            if c == "-" or c.isdigit() and c in _ALNUM:
                return self._number(c, path, line, col, macro)
            if c in _WORD_START:
                return self._word(self._rest_of_word(c), path, line, col, macro)
            if c == "\\":
                # pfctl drops a backslash that does not end a line
                continue
            t = PUNCT_TYPES.get(c, "CHAR")
            return Tok(t, c, path, line, col, macro=macro)

    def _operator(self, c: str, path: str, line: int, col: int, macro: str | None) -> Tok | None:
        """`!=`, `<>`, `<=`, `><`, `>=`, `->`, `!`, `<`, `>` (None: a '-' that starts a number or word)."""
        pair = c + (self.peek() or "")
        if pair in _PAIR_OPS:
            self.getc()
            return Tok(_PAIR_OPS[pair], pair, path, line, col, macro=macro)
        if c in _SINGLE_OPS:
            return Tok(_SINGLE_OPS[c], c, path, line, col, macro=macro)
        return None

    def _skip_blanks(self) -> None:
        src = self.stack[-1] if self.stack else None
        if src is not None and not src.is_macro:
            mo = _BLANKS_RE.match(src.text, src.pos)
            if mo.end() > src.pos:
                src.col += mo.end() - src.pos
                src.pos = mo.end()
        while self.peek() in _SPACE and self.peek() != "":
            self.getc()
        self._skip_continuations()

    def _macro_name(self) -> str:
        name = ""
        while self.peek() in _ALNUM or self.peek() == "_":
            if self.peek() == "":
                break
            name += self.getc()
        return name

    def _number(self, c: str, path: str, line: int, col: int, macro: str | None) -> Tok:
        """A number, a '-' alone, or a word that starts with a digit."""
        buf = c + self._word_run(_DIGIT_RUN_RE)
        while self.peek() in string.digits and self.peek() != "":
            buf += self.getc()
        nxt = self.peek()
        if buf != "-" and (nxt == "" or nxt in _NUM_END):
            return Tok("NUMBER", buf, path, line, col, macro=macro)
        if buf[0] == "-":
            if len(buf) > 1:
                # pfctl pushes the digits back and returns '-': read them as a word next
                self._unget(buf[1:])
            return Tok("MINUS", "-", path, line, col, macro=macro)
        return self._word(self._rest_of_word(buf), path, line, col, macro)

    def _rest_of_word(self, buf: str) -> str:
        buf += self._word_run()
        while self.peek() in _IN_STRING and self.peek() != "":
            buf += self.getc()
        return buf

    def expand_macro(self, name: str, path: str, line: int, col: int) -> Tok | None:
        """Push the value of $name, to be read in place; an ERROR token when it cannot be.

        The bound is applied before each push, on the text pushed so far: the work of a
        statement is at most MAX_MACRO_BYTES of macro text, however the macros nest or double
        (a use costs its value's length plus one, so that empty values count too).
        """
        if self.limit_hit:
            return None  # the statement already crossed a bound (reported): read on to its end
        if name in self.macro_set:
            chain = " -> ".join("$" + a for a in self.macro_names + [name])
            return Tok("ERROR", f"macro ${name} refers to itself (through {chain}): it cannot be expanded",
                        path, line, col, macro="recursive-macro")
        value = self.macros.values.get(name)
        if value is None:
            refused = self.macros.refused.get(name)
            if refused is not None:
                self.limit_hit = True
                return Tok("ERROR", f"macro ${name} is not expanded: its definition ({refused.path}:{refused.line}) "
                            f"expands to more than {limits.MAX_MACRO_BYTES} bytes (linter/limits.py "
                            f"MAX_MACRO_BYTES); this statement is not analysed", path, line, col,
                            macro="expansion-limit")
            return Tok("ERROR", f"macro ${name} is not defined", path, line, col, macro="undefined-macro")
        self.macros.used.add(name)
        cost = len(value) + 1
        crossed = self.crossed_bound(name, cost)
        if crossed is not None:
            self.limit_hit = True
            if self.macro_names:
                self.depth = self.depth_at_use
            self.drop_macros()
            return Tok("ERROR", crossed, path, line, col, macro="expansion-limit")
        if not self.macro_names:
            self.use_start = self.expanded
            self.depth_at_use = self.depth
        self.expanded += cost
        self.macros.expanded_total += cost
        if self.macro_names and (self.macro_names[-1], name) not in self.nested_reported:
            outer = self.macro_names[-1]
            self.nested_reported.add((outer, name))
            self.report.diag(path, line, col, "error", "nested-macro",
                             f"${name} inside the value of ${outer}: pfctl does not expand a macro "
                             f"inside another macro's value when it is used (it reads '$' as a syntax "
                             f"error); define ${outer} with ${name} outside quotes",
                             "macro", understood=True)
        self.push_macro(MacroSource(value, name, path, line, col))
        return None

    def crossed_bound(self, name: str, cost: int) -> str | None:
        """The message when pushing `cost` more bytes of $name crosses an expansion bound."""
        outer = self.macro_names[0] if self.macro_names else name
        if self.expanded + cost > limits.MAX_MACRO_BYTES:
            alone = (self.use_start if self.macro_names else self.expanded) == 0
            whose = f"macro ${outer} expands" if alone else f"the macros of this statement expand (at ${outer})"
            return (f"{whose} to more than {limits.MAX_MACRO_BYTES} bytes (linter/limits.py MAX_MACRO_BYTES): "
                    f"not expanded; this statement is not analysed")
        if self.macros.expanded_total + cost > limits.MAX_MACRO_BYTES_TOTAL:
            return (f"the macros of this configuration expand to more than {limits.MAX_MACRO_BYTES_TOTAL} bytes "
                    f"in all (linter/limits.py MAX_MACRO_BYTES_TOTAL): ${outer} is not expanded; this statement "
                    f"is not analysed")
        return None

    def _word_run(self, run: re.Pattern | None = None) -> str:
        """The rest of a word (or of a number) in the current source, fast (no backslash, no
        end of source: the character loops after it handle those)."""
        src = self.stack[-1]
        mo = (run or _WORD_RUN_RE).match(src.text, src.pos)
        n = mo.end() - src.pos
        if n == 0:
            return ""
        if not src.is_macro:
            src.col += n
        src.pos = mo.end()
        return mo.group()

    def _skip_continuations(self) -> None:
        s = self.stack[-1] if self.stack else None
        while s is not None and not s.is_macro and s.text.startswith("\\", s.pos):
            if s.text.startswith("\n", s.pos + 1):
                s.pos += 2
            elif s.text.startswith("\r\n", s.pos + 1):
                s.pos += 3
            else:
                return
            s.line += 1
            s.col = 1

    def _unget(self, text: str) -> None:
        s = self.stack[-1]
        if s.is_macro:
            s.pos -= len(text)
        else:
            s.pos -= len(text)
            s.col -= len(text)

    def _word(self, buf: str, path: str, line: int, col: int, macro: str | None) -> Tok:
        if buf in _KEYWORDS:
            return Tok(buf.upper().replace("-", "_"), buf, path, line, col, macro=macro)
        return Tok("STRING", buf, path, line, col, macro=macro)

    def _quoted(self, q: str, path: str, line: int, col: int, macro: str | None) -> Tok:
        out = []
        while True:
            c = self.getc(raw=True)
            if c == "":
                return Tok("ERROR", "end of file inside a quoted string", path, line, col, macro="syntax")
            if c == "\n":
                continue
            if c == "\\":
                n = self.getc(raw=True)
                if n == "":
                    return Tok("ERROR", "end of file inside a quoted string", path, line, col,
                                macro="syntax")
                if n in (q, " ", "\t"):
                    out.append(n)
                elif n == "\n":
                    continue
                else:
                    out.append("\\")
                    out.append(n)
                continue
            if c == q:
                return Tok("STRING", "".join(out), path, line, col, quoted=True, macro=macro)
            if c == "\x00":
                return Tok("ERROR", "NUL byte inside a quoted string", path, line, col, macro="syntax")
            out.append(c)

    # -- statements

    def statements(self) -> Iterator[Statement]:
        while self.stack:
            self.new_statement()
            cut = _Cut(self.file_src().path)
            self.depth = 0
            close = self._read_statement(cut)
            if close is not None:
                statement, at_end = close
                yield statement
                if at_end and not self.pop_file():
                    self.stack.clear()
                continue
            if not cut.toks and not cut.failed:
                continue
            toks = cut.toks
            if cut.too_long is not None:
                self.report.at(toks[0], "error", "expansion-limit",
                               f"this statement has more than {limits.MAX_STATEMENT_TOKENS} words (linter/limits.py "
                               f"MAX_STATEMENT_TOKENS; its lists are longer than any pf rule or table fwlint "
                               f"analyses): it is not analysed", toks[0].value)
                cut.failed = True
            first_line, last_line = cut.first_line, cut.last_line
            if not first_line:
                first_line = last_line = toks[0].line if toks else 0
            yield Statement(toks, toks[0].path if toks else cut.path, "stmt", cut.opens, cut.failed, self.limit_hit,
                            cut.unclosed, first_line, last_line)

    def _read_statement(self, cut: _Cut) -> tuple[Statement, bool] | None:
        """Read one statement's tokens into `cut`, up to its end (a newline outside braces, an
        anchor's opening brace, the end of the input). A lone closing brace is a statement of
        its own: returned with whether its line ends the file (None otherwise)."""
        while True:
            t = self.token()
            if t.type not in ("EOF", "NL", "ERROR") and t.path == cut.path:
                cut.first_line = cut.first_line or t.line
                cut.last_line = max(cut.last_line, t.line)
            step = self._step(t, cut)
            if step is _END:
                return None
            if step is _SKIP:
                continue
            if step is not _KEEP:
                return step  # type: ignore[return-value]
            if len(cut.toks) < limits.MAX_STATEMENT_TOKENS:
                cut.toks.append(t)
            elif cut.too_long is None:
                # read on to the statement's end, keeping nothing more (bounded memory)
                cut.too_long = t

    def _step(self, t: Tok, cut: _Cut):
        """What a token does to the statement being cut: _END, _SKIP, _KEEP, or a closing
        brace's own statement (with whether the file ends on its line)."""
        if t.type == "EOF":
            return self._at_eof(cut)
        if t.type == "ERROR":
            code = t.macro or "syntax"  # (an ERROR token carries its code there)
            self.report.at(t, "error", code, t.value, "macro" if "macro" in code else "")
            cut.failed = True
            return _SKIP
        if t.type == "NL":
            if self.depth == 0:
                return _END if cut.toks or cut.failed else _SKIP
            if self.next_line_starts_statement():
                cut.unclosed = cut.first_open
                return _END
            return _SKIP
        if t.type == "LBRACE":
            return self._at_open(t, cut)
        if t.type == "RBRACE":
            if self.depth > 0:
                self.depth -= 1
            elif not cut.toks and not cut.failed:
                at_end = self._rest_of_closing_line()
                return Statement([t], cut.path, "close", first_line=t.line, last_line=t.line), at_end
        return _KEEP

    def _at_eof(self, cut: _Cut):
        if self.depth > 0:
            cut.unclosed = cut.first_open
        if cut.toks or cut.failed:
            return _END
        if self.pop_file():
            cut.path = self.file_src().path
            return _SKIP
        self.stack.clear()
        return _END

    def _at_open(self, t: Tok, cut: _Cut):
        if (self.depth == 0 and cut.toks and cut.toks[0].type == "ANCHOR"
                and cut.toks[-1].type not in _LIST_OPENERS and self.at_line_end()):
            cut.opens = True
            return _END
        if self.depth == 0:
            cut.first_open = t
        self.depth += 1
        return _KEEP

    def _rest_of_closing_line(self) -> bool:
        """After an anchor's closing brace: the rest of its line must be empty (the first word
        on it is reported). True when the file ends there."""
        extra: Tok | None = None
        while True:
            u = self.token()
            if u.type in ("NL", "EOF"):
                break
            extra = extra or u
        if extra is not None:
            self.report.at(extra, "error", "syntax", f"unexpected {extra.value!r} after '}}'", "anchor")
        return u.type == "EOF"
