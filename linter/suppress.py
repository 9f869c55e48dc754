"""Inline suppressions: `fwlint: disable=ID[,ID...] -- reason` in each platform's own comments.

Layer: findings. Platform-independent: it reads a file's raw lines (by the comment syntax
its device's `traits` give) and the findings' origins (path and line), never the rules.

Where a directive is read, and what it covers:

- iptables-save, pf: a comment line `# fwlint: disable=...` covers the next line that is not
  blank and not a comment (consecutive directive lines stack); on iptables also
  `-m comment --comment "fwlint: disable=..."`, which covers its own rule; on pf also a
  comment at the end of a statement (`pass ... # fwlint: disable=...`), which covers that
  statement (from its first line, when it is continued with a backslash).
- Cisco IOS, ASA: a comment line `! fwlint: disable=...` covers the next line that is not
  blank, a comment or an ACL remark; an ACL remark `remark fwlint: disable=...` (inside a
  named IOS ACL) covers the next line that is not a remark or comment, and
  `access-list NAME remark fwlint: disable=...` (ASA, IOS numbered ACLs) the next entry of
  ACL NAME.
- `fwlint: disable-file=...` in any of these forms covers the whole file.

A directive must give a reason after `--`. Ids are check ids (FW001) or requirement ids of the
policy packs (EX100); `all` is not accepted (every suppression names what it hides). FW008
(bad suppression) can be suppressed only with `disable-file=FW008`. A covered finding moves
from `report.findings` to `report.suppressed`, with a `Suppression` (the reason, the
directive's place); problems with directives are FW008 findings.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Callable, Iterator

from . import files
from .checks import fw008_bad_suppression as fw008
from .findings import Finding, Report, Result, Suppression, stamp
from .model import Origin, Traits

PREFIX = "fwlint:"
_ID = re.compile(r"[A-Za-z]{2,8}[0-9]{3}")
_KEYWORD = re.compile(r"([A-Za-z][A-Za-z-]*)\s*=")
# `access-list NAME [line N] remark ...` (ASA, IOS numbered and `access-list NAME remark`)
_ACL_REMARK = re.compile(r"\s*access-list\s+(\S+)\s+(?:line\s+\d+\s+)?remark(?:\s+(.*))?$", re.I)
_ACL_ENTRY = re.compile(r"\s*access-list\s+(\S+)\s+(?:line\s+\d+\s+)?(\S+)", re.I)
# a remark inside a named IOS ACL: ` remark ...` or ` 15 remark ...`
_BLOCK_REMARK = re.compile(r"\s*(?:\d+\s+)?remark(?:\s+(.*))?$", re.I)
# an iptables-save rule, with or without its `[packets:bytes]` counters
_RULE = re.compile(r"\s*(?:\[\d+:\d+\]\s*)?(?:-A|-I|--append|--insert)\s")


@dataclass(frozen=True)
class Directive:
    origin: Origin  # the directive's line
    scope: str  # "line" or "file"
    ids: tuple[str, ...]
    reason: str
    target: int | None = None  # the line a "line" directive covers (None: no line follows)


@dataclass
class Scope:
    """What ran, so that an unused directive is reported only when it could have been used."""

    check_ids: frozenset[str]  # every FW check id
    checks_run: frozenset[str]  # the FW checks that ran (after --select/--ignore)
    requirements_run: frozenset[str] = frozenset()  # requirement ids evaluated (and wanted)
    evaluated_paths: frozenset[str] = frozenset()  # the files the packs evaluated
    packs_evaluated: bool = False
    # every requirement id fwlint knows (evaluated and built-in packs), loaded on first need
    known_requirements: Callable[[], frozenset[str]] = field(default=lambda: frozenset())
    report_fw008: bool = True  # FW008 selected


# --------------------------------------------------------------------------- reading


def read_lines(path: str) -> list[str] | None:
    """The lines of a configuration already read for its findings (`path` as findings show
    it), with the same checks and bounds (linter/files.py)."""
    try:
        data = files.transcode(files.read_file(files.locate(path), named=True))
    except files.InputError:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return [ln.rstrip("\r") for ln in text.split("\n")]


def _hash_comment(line: str) -> str | None:
    s = line.lstrip()
    return s[1:].strip() if s.startswith("#") else None


def _trailing_comment(line: str) -> tuple[str, int] | None:
    """pf: (text, column) of a `#` comment that follows a statement on its line (a `#`
    inside a quoted string is no comment)."""
    if not line.strip() or line.lstrip().startswith("#"):
        return None
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            return line[i + 1:].strip(), i + 1
    return None


def _statement_start(lines: list[str], i: int) -> int:
    """pf: the 1-based line where the statement on line index i begins (a line ending in
    a backslash continues on the next)."""
    while i > 0 and lines[i - 1].rstrip().endswith("\\"):
        i -= 1
    return i + 1


def _bang_comment(line: str) -> str | None:
    s = line.lstrip()
    return s[1:].strip() if s.startswith("!") else None


def _remark(line: str) -> tuple[str | None, str] | None:
    """(ACL name or None for a remark inside a named ACL block, remark text) or None."""
    m = _ACL_REMARK.match(line)
    if m:
        return m.group(1), (m.group(2) or "").strip()
    if line[:1].isspace():
        m = _BLOCK_REMARK.match(line)
        if m:
            return None, (m.group(1) or "").strip()
    return None


def _iptables_comments(line: str) -> Iterator[tuple[str, int]]:
    """(comment text, column) of each `--comment` of an iptables rule."""
    if "--comment" not in line or not _RULE.match(line):
        return
    try:
        words = shlex.split(line, comments=False, posix=True)
    except ValueError:
        return
    col = line.find("--comment") + 1
    for i, w in enumerate(words[:-1]):
        if w == "--comment":
            yield words[i + 1].strip(), col


def _next_line(lines: list[str], start: int, skip: Callable[[str], bool]) -> int | None:
    """The 1-based number of the first line at or after index `start` that `skip` does not
    pass over."""
    for j in range(start, len(lines)):
        if lines[j].strip() and not skip(lines[j]):
            return j + 1
    return None


def _next_acl_entry(lines: list[str], start: int, acl: str) -> int | None:
    for j in range(start, len(lines)):
        m = _ACL_ENTRY.match(lines[j])
        if m and m.group(1) == acl and m.group(2).lower() != "remark":
            return j + 1
    return None


def parse_directive(text: str) -> tuple[str, tuple[str, ...], str] | str:
    """`disable=FW001,FW002 -- reason` (the text after `fwlint:`) -> (scope, ids, reason), or
    the reason it cannot be read."""
    m = _KEYWORD.match(text)
    if not m:
        return "expected `disable=` or `disable-file=` after `fwlint:`"
    kw = m.group(1).lower()
    if kw not in ("disable", "disable-file"):
        return f"unknown keyword `{m.group(1)}` (only `disable` and `disable-file`)"
    rest = text[m.end():]
    ids_text, sep, reason = rest.partition("--")
    if not sep:
        return "no reason: write ` -- reason` after the ids"
    reason = reason.strip()
    if not reason:
        return "empty reason after `--`"
    raw = [w.strip() for w in ids_text.split(",")]
    if not any(raw):
        return "no ids"
    ids = []
    for w in raw:
        if not w:
            return "an empty id between commas"
        if not (_ID.fullmatch(w) or w.lower() == "all"):
            return f"`{w}` is not an id"
        ids.append(w.upper())
    return ("file" if kw == "disable-file" else "line"), tuple(dict.fromkeys(ids)), reason


def scan(path: str, lines: list[str], traits: Traits) -> tuple[list[Directive], list[Result]]:
    """The directives of one file (its platform's comment syntax: `traits`), and the FW008
    results for those that cannot be read."""
    directives: list[Directive] = []
    problems: list[Result] = []
    comments = _hash_comments if traits.comment == "#" else _bang_comments
    for i, line in enumerate(lines):
        if PREFIX not in line:
            continue  # (every directive has it: most lines are passed over here)
        n = i + 1
        for col, text, target in comments(lines, i, traits.inline_comments):
            if not text.startswith(PREFIX):
                continue
            origin = Origin(path, n, col, line[col - 1:])  # from the directive's comment on
            parsed = parse_directive(text[len(PREFIX):].strip())
            if isinstance(parsed, str):
                problems.append(fw008.malformed(origin, parsed))
                continue
            scope, ids, reason = parsed
            directives.append(Directive(origin, scope, ids, reason, target() if scope == "line" else None))
    return directives, problems


# (column, comment text, the line a directive there covers: called only for a "line" one)
_Comment = tuple[int, str, Callable[[], "int | None"]]


def _is_hash_comment(line: str) -> bool:
    return _hash_comment(line) is not None


def _is_bang_comment(line: str) -> bool:
    return _bang_comment(line) is not None or _remark(line) is not None


def _hash_comments(lines: list[str], i: int, inline: str) -> Iterator[_Comment]:
    """The comments of line i in `#` syntax: a comment line, else the comments inside its
    statement (`inline`: "rule-comment", iptables' `-m comment`; "trailing", pf's `#` at the
    end of a statement)."""
    line = lines[i]
    col = len(line) - len(line.lstrip()) + 1
    c = _hash_comment(line)
    if c is not None:
        yield col, c, lambda: _next_line(lines, i + 1, _is_hash_comment)
    elif inline == "rule-comment":
        for text, ccol in _iptables_comments(line):
            yield ccol, text, lambda: i + 1
    elif inline == "trailing":
        trailing = _trailing_comment(line)
        if trailing is not None:  # covers the statement it ends
            yield trailing[1], trailing[0], lambda: _statement_start(lines, i)


def _bang_comments(lines: list[str], i: int, inline: str) -> Iterator[_Comment]:
    """The comment of line i in Cisco syntax: a `!` line or an ACL remark."""
    line = lines[i]
    col = len(line) - len(line.lstrip()) + 1
    c = _bang_comment(line)
    if c is not None:
        yield col, c, lambda: _next_line(lines, i + 1, _is_bang_comment)
        return
    r = _remark(line)
    if r is not None:
        acl, text = r
        if acl is None:
            yield col, text, lambda: _next_line(lines, i + 1, _is_bang_comment)
        else:
            yield col, text, lambda: _next_acl_entry(lines, i + 1, acl)


# --------------------------------------------------------------------------- applying


def _files(report: Report) -> dict[str, Traits]:
    """Each file read -> the traits of its device's platform."""
    out: dict[str, Traits] = {}
    for d in report.devices:
        for s in d.stats:
            out.setdefault(s.path, d.traits)
        for src in d.sources:
            out.setdefault(src, d.traits)
    return out


def _could_be_used(rid: str, path: str, scope: Scope) -> bool:
    if rid in scope.check_ids:
        return rid in scope.checks_run and rid != fw008.ID
    return rid in scope.requirements_run and path in scope.evaluated_paths


def _known(rid: str, scope: Scope) -> bool:
    if rid in scope.check_ids:
        return True
    if rid == "ALL" or rid.startswith("FW"):
        return False
    known = scope.known_requirements()
    if rid in known:
        return True
    # an id of a pack not loaded in this run cannot be judged: unknown only when it has the
    # prefix of a pack fwlint knows (EX999) or when packs were evaluated (all of them are known)
    prefixes = {re.sub(r"[0-9]+$", "", k) for k in known}
    return not (scope.packs_evaluated or re.sub(r"[0-9]+$", "", rid) in prefixes)


def apply(report: Report, scope: Scope) -> None:
    """Move the findings the files' directives cover to `report.suppressed` and add FW008
    findings for malformed, unknown and unused directives."""
    by_file, problems = _directives(report, scope)
    used: set[tuple[int, str]] = set()  # (id(directive), rule id)
    kept: list[Finding] = []
    for f in report.findings:
        s = _cover(by_file, f, used)
        if s is None:
            kept.append(f)
        else:
            report.suppressed.append((f, s))
    problems.extend(_unused(by_file, used, scope))
    if scope.report_fw008:
        for r in problems:
            f = stamp(fw008.ID, fw008.SEVERITY, r)
            s = _cover(by_file, f, used)
            if s is None:
                kept.append(f)
            else:
                report.suppressed.append((f, s))
    report.findings = kept


def _directives(report: Report, scope: Scope) -> tuple[dict[str, list[Directive]], list[Result]]:
    """The directives of each file read (path -> those of the file, for files that have
    some), and the FW008 results for the malformed and unknown ones."""
    problems: list[Result] = []
    by_file: dict[str, list[Directive]] = {}
    for path, traits in sorted(_files(report).items(), key=lambda item: item[0]):
        if not traits.comment:
            continue
        lines = read_lines(path)
        if lines is None:
            continue
        directives, bad = scan(path, lines, traits)
        problems.extend(bad)
        for d in directives:
            for rid in d.ids:
                if not _known(rid, scope):
                    problems.append(fw008.unknown(d.origin, rid))
                elif rid == fw008.ID and d.scope == "line":
                    problems.append(fw008.line_level_fw008(d.origin))
        if directives:
            by_file[path] = directives
    return by_file, problems


def _cover(by_file: dict[str, list[Directive]], f: Finding, used: set[tuple[int, str]]) -> Suppression | None:
    """The directive that covers f (a line directive before a file one), marking it used."""
    found = None
    for d in by_file.get(f.origin.path, ()):
        if f.id not in d.ids:
            continue
        if d.scope == "line" and (d.target != f.origin.line or f.id == fw008.ID):
            continue
        used.add((id(d), f.id))
        if found is None or (found[0].scope == "file" and d.scope == "line"):
            found = (d, Suppression(d.reason, d.origin))
    return found[1] if found else None


def _unused(by_file: dict[str, list[Directive]], used: set[tuple[int, str]], scope: Scope) -> Iterator[Result]:
    """FW008 for each id of a directive that covered nothing and could have."""
    for path, directives in by_file.items():
        for d in directives:
            for rid in d.ids:
                if (id(d), rid) in used or not _known(rid, scope) or not _could_be_used(rid, path, scope):
                    continue
                where = (f"on line {d.target}" if d.target is not None else "after it") if d.scope == "line" \
                    else "in this file"
                yield fw008.unused(d.origin, rid, where)
