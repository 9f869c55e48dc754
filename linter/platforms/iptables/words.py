"""One line of iptables-restore input as shell words, each classified into a terminal of
grammars/iptables.lark.

Layer: platform (iptables)."""

from __future__ import annotations

import re

# --------------------------------------------------------------------------- words and terminals

_OPTION_TERMINALS = {
    "-A": "APPEND", "--append": "APPEND",
    "-I": "INSERT", "--insert": "INSERT",
    "-N": "NEWCHAIN", "--new-chain": "NEWCHAIN", "--new": "NEWCHAIN",
    "-P": "POLICY", "--policy": "POLICY",
    "-F": "FLUSH", "--flush": "FLUSH",
    "-Z": "ZERO", "--zero": "ZERO",
    "-D": "OTHERCMD", "--delete": "OTHERCMD", "-R": "OTHERCMD", "--replace": "OTHERCMD",
    "-X": "OTHERCMD", "--delete-chain": "OTHERCMD", "-E": "OTHERCMD", "--rename-chain": "OTHERCMD",
    "-C": "OTHERCMD", "--check": "OTHERCMD", "-L": "OTHERCMD", "--list": "OTHERCMD",
    "-S": "OTHERCMD", "--list-rules": "OTHERCMD", "-h": "OTHERCMD", "--help": "OTHERCMD",
    "-V": "OTHERCMD", "--version": "OTHERCMD",
    "-p": "PROTO", "--protocol": "PROTO",
    "-s": "SRC", "--source": "SRC", "--src": "SRC",
    "-d": "DST", "--destination": "DST", "--dst": "DST",
    "-i": "IN", "--in-interface": "IN",
    "-o": "OUT", "--out-interface": "OUT",
    "-f": "FRAG", "--fragment": "FRAG",
    "-4": "FAMILYOPT", "--ipv4": "FAMILYOPT", "-6": "FAMILYOPT", "--ipv6": "FAMILYOPT",
    "-c": "SETCOUNTERS", "--set-counters": "SETCOUNTERS",
    "-m": "MATCH", "--match": "MATCH",
    "-j": "JUMP", "--jump": "JUMP",
    "-g": "GOTO", "--goto": "GOTO",
}
_COUNTER_RE = re.compile(r"\[\d+:\d+\]\Z")
# The pieces of shell words: plain text, "..." (backslash escapes), '...', a backslash and
# the character it escapes, and blanks between words. Each piece is one match (a word is
# the pieces between blanks), and the quoted ones are unrolled loops (`[^"\\]*` runs, not
# one alternation per character): a megabyte of quotes costs no regex backtracking stack.
_PIECE_RE = re.compile(r"""[^\s"'\\]+|"[^"\\]*(?:\\.[^"\\]*)*"|'[^']*'|\\.?|\s+""", re.S)
_DQ_ESCAPE_RE = re.compile(r"\\(.)", re.S)


def _shell_words(line: str) -> tuple[list[str], list[int], set[int], tuple[int, str] | None]:
    """Words as iptables-restore splits them: (words unquoted, their columns, indices of the
    quoted ones, (column, message) of the first unterminated quote or None). Text no piece
    matches (a quote without its end) separates words and is left out, as before."""
    words: list[str] = []
    cols: list[int] = []
    quoted: set[int] = set()
    error = None
    cur: list[str] | None = None
    pos = 0
    for mt in _PIECE_RE.finditer(line):
        start = mt.start()
        piece = mt.group()
        c = piece[0]
        if start != pos or c.isspace():
            if start != pos and error is None:
                error = (pos + 1, "unterminated quote")
            if cur is not None:
                words.append("".join(cur))
                cur = None
        pos = mt.end()
        if c.isspace():
            continue
        if cur is None:
            cur = []
            cols.append(start + 1)
        if c == '"':
            cur.append(_DQ_ESCAPE_RE.sub(r"\1", piece[1:-1]))
            quoted.add(len(words))
        elif c == "'":
            cur.append(piece[1:-1])
            quoted.add(len(words))
        elif c == "\\":
            cur.append(piece[1:])
            quoted.add(len(words))
        else:
            cur.append(piece)
    if cur is not None:
        words.append("".join(cur))
    if pos != len(line) and error is None:
        error = (pos + 1, "unterminated quote")
    return words, cols, quoted, error


class Words:
    """The shell words of one line, their columns (1-based) and which were quoted."""

    __slots__ = ("words", "quoted", "columns", "line", "error")

    def __init__(self, words: list[str], quoted: set[int] | None, columns: list[int] | None, line: str,
                 error: tuple[int, str] | None = None) -> None:
        self.words = words
        self.quoted = quoted  # indices of quoted words (None: none)
        self.columns = columns  # None: computed on demand (fast path)
        self.line = line
        self.error = error  # (column, message) of a tokenising error

    def command_column(self, i: int) -> int:
        """Column of word i when it is one of the first two words (fast path)."""
        if self.columns is None and i <= 1:
            line = self.line
            col = len(line) - len(line.lstrip())
            if i == 1:
                col = line.find(self.words[1], col + len(self.words[0]))
            return col + 1
        return self.column(i)

    def column(self, i: int) -> int:
        if self.columns is None:
            cols = []
            line = self.line
            if self.quoted is None:
                pos = 0
                find = line.find
                for w in self.words:
                    pos = find(w, pos)
                    cols.append(pos + 1)
                    pos += len(w)
            else:
                cols = _shell_words(line)[1]
            self.columns = cols
        if 0 <= i < len(self.columns):
            return self.columns[i]
        return len(self.line) + 1


def _split_words(line: str) -> Words:
    if "'" not in line and "\\" not in line:
        if '"' not in line:
            return Words(line.split(), None, None, line)
        # iptables-save quotes comments and log prefixes: "..." between blanks, no escapes
        parts = line.split('"')
        if len(parts) % 2 == 1:
            words: list[str] = []
            quoted: set[int] = set()
            ok = True
            for k, part in enumerate(parts):
                if k % 2 == 0:
                    if (k > 0 and part[:1] not in ("", " ", "\t")) or (
                            k < len(parts) - 1 and part[-1:] not in (" ", "\t")):
                        ok = False
                        break
                    words.extend(part.split())
                else:
                    quoted.add(len(words))
                    words.append(part)
            if ok:
                return Words(words, quoted, None, line)
    words, cols, quoted, error = _shell_words(line)
    return Words(words, quoted, cols, line, error)


_SPECIAL_FIRST = frozenset("-!*:[C")


def _classify(ws: Words) -> tuple[str, ...]:
    words = ws.words
    out: list[str] = []
    n = len(words)
    get = _OPTION_TERMINALS.get
    quoted = ws.quoted
    for i, w in enumerate(words):
        if quoted and i in quoted:
            out.append("WORD")
            continue
        t = get(w)
        if t is None:
            c = w[:1]
            if c not in _SPECIAL_FIRST:
                t = "WORD"  # the common case: a value
            elif c == "-" and len(w) > 1 and (w[1].isalpha() or w[1] == "-"):
                if w[1] == "-" and len(w) > 2:
                    t = "LONGOPT"
                elif w[1] != "-":
                    t = "SHORTOPT"  # not a terminal of the grammar: a syntax error
                else:
                    t = "WORD"
            elif w == "!":
                nxt = out_next = words[i + 1] if i + 1 < n else None
                if out_next is not None and quoted and (i + 1) in quoted:
                    t = "INNERBANG"
                elif nxt is not None and get(nxt) is None and not _looks_like_option(nxt) and nxt != "!":
                    t = "INNERBANG"
                else:
                    t = "BANG"
            elif i == 0 and c == "*":
                t = "TABLE"
            elif i == 0 and c == ":":
                t = "CHAINDECL"
            elif i == 0 and w == "COMMIT":
                t = "COMMIT"
            elif c == "[" and _COUNTER_RE.match(w):
                t = "COUNTER"
            else:
                t = "WORD"
        out.append(t)
    return tuple(out)


def cut_line(text: str, limit: int = 1000) -> str:
    """The beginning of a line too long to read, as its origins quote it."""
    return text if len(text) <= limit else text[:limit] + " ..."


def shown_name(name: str, limit: int = 40) -> str:
    """A name as messages show it: a hostile 100,000-character chain name is cut."""
    return name if len(name) <= limit else name[:limit - 3] + "..."


def _looks_like_option(word: str) -> bool:
    """`-x` or `--xyz` (an option of iptables), as opposed to a negative number or `-`."""
    return word.startswith("-") and len(word) > 1 and (word[1].isalpha() or word[1] == "-")
