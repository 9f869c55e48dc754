"""Cisco ASA (and PIX 6.x / FWSM) configurations -> the normalized model.

Layer: platform. Text -> `AsaConfig` (vendor.py, by reader.py and the `*Commands` classes
beside it) -> `linter.model.Device` (convert.py and the converters beside it); access-list
entries are parsed by `grammars/cisco_asa.lark` (LALR, lexer.py). Nothing to the right of the
model imports this package.

The modules: vocab.py (names and tables), vendor.py (what the file says), report.py
(diagnostics and line categories), reader.py (lines, blocks, the walk, simple commands),
edits.py (`clear configure`, `no`), addresses.py, services.py (protocols, ports, ICMP,
services, match alternatives), objects.py (objects and object-groups, their resolution),
lexer.py and acl.py (access lists and their entries), security_levels.py (interfaces,
nameifs, security levels, bindings), nat.py, inspection.py, convert.py.

How a file is read:

1. The bytes are decoded (NUL bytes: not a text file; bytes that are not UTF-8: a warning
   per line) and cut into lines (CRLF endings are read as LF, with a note).
2. ciscoconfparse (syntax "asa") gives the block structure: which lines belong to an
   `interface`, `object`, `object-group`, `class-map`, `policy-map`. Banners are hidden from
   it (an ASA banner is one line; ciscoconfparse would look for an IOS delimiter), and its
   loguru messages are silenced.
3. The lines are read in order, as the CLI executes them: a script's `clear configure
   access-list X` empties X, `access-list X line N` inserts at position N, a second
   `access-group ... in interface IF` replaces the first, a command indented under a block
   it does not belong to is run at the top level (the CLI leaves a sub-mode for a global
   command), a sub-command written without indentation joins the block above it.
4. Each access-list entry (from `permit`/`deny` on) is classified word by word (keywords,
   addresses, and the kind of each object-group it names, which fixes the group's place in
   the entry) and parsed by the LALR grammar.
5. At the end every entry becomes one `model.Rule`: groups are resolved into unions (an
   `AddrCond` with several ranges, an `IntCond` with several ranges, an `AnyCond` for the
   protocol-and-port alternatives of a service group), never into the cross product of
   their members.

Conventions (docs/cisco-asa-support.md has the support table):

- One first-match `Filter` per access-list, default drop, whose rule 0 accepts packets of
  established connections (the ASA is stateful); these filters are not bound.
- For each interface with a `nameif`, a filter `in:<nameif>`: the state rule, the rules of its
  inbound access-group, then the global access-group's, then the implicit deny; without an
  inbound access-group, the global rules, then the security-level implicit permits
  (to lower levels; to equal levels with `same-security-traffic permit inter-interface`,
  back out the same interface with `intra-interface`). It is bound `in` on the nameif.
  Outbound access-groups bind their access-list `out`; the global one is also bound `global`.
- Interfaces are named by their nameif everywhere in the model.
- NAT, inspection and `sysopt connection tcpmss` are `model.Alteration`s.
- Everything not understood or only approximated is a located `Diagnostic`; commands that
  do not concern filtering (routing, AAA, logging, management access, ...) are understood
  as not relevant and counted apart (`relevance`).
"""


from __future__ import annotations

import os
from typing import NamedTuple

from .... import model as m
from ....limits import MAX_NESTED_GROUP_MEMBERS
from ...common.decoding import decode_utf8, looks_binary
from ...detection import cisco_asa as detect  # noqa: F401 - each platform's `detect`
from .addresses import Addresses
from .convert import Converter
from .lexer import entry_parser as _parser  # noqa: F401 - the entry parser (tests ask for it)
from .reader import Reader
from .report import Report
from .services import Services
from .vendor import AsaConfig
from .vocab import PLATFORM

__all__ = ["PLATFORM", "detect", "parse", "relevance"]


class _Read(NamedTuple):
    report: Report
    config: AsaConfig
    filters: list
    bindings: list
    interfaces: list
    alterations: list


def _decode(data: bytes, report: Report) -> str | None:
    if looks_binary(data):
        report.lines = [""]
        report.diag(1, 1, "error", "binary", "this is not a text file (it contains NUL bytes): nothing is read", "file")
        return None
    text, bad = decode_utf8(data)
    if not bad:
        return text
    report.lines = [t.rstrip("\r") for t in text.split("\n")]
    for b in bad:
        report.diag(b.line, b.column, "warning", "encoding", f"byte 0x{b.byte:02x} is not UTF-8 (read as U+FFFD)",
                    "file", understood=True)
    return text


def _run(path: str, data: bytes) -> _Read:
    report, config = Report(path), AsaConfig()
    text = _decode(data, report)
    if text is None:
        n = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
        report.bad.update(range(1, n + 1))
        report.lines = [""] * n
        return _Read(report, config, [], [], [], [])
    try:
        addresses, services = Addresses(report, config.objects), Services(report)
        Reader(report, config, addresses, services).run(text)
        # (the budget read here, at each parse: tests lower MAX_NESTED_GROUP_MEMBERS on this package)
        converted = Converter(report, config, addresses, services, MAX_NESTED_GROUP_MEMBERS).convert()
    except Exception as e:  # never raise on input
        report.diag(1, 1, "error", "internal", f"could not read this file: {type(e).__name__}: {e}", "file")
        return _Read(report, config, [], [], [], [])
    return _Read(report, config, *converted)


def parse(path: str, data: bytes, family: int | None = None) -> m.Device:
    """Parse a Cisco ASA / PIX / FWSM configuration into a Device (see the module docstring)."""
    read = _run(path, data)
    report, filters = read.report, read.filters
    n = len(report.lines)
    if not report.category and not report.diags:
        report.diag(1, 1, "note", "empty", "no command in this file: nothing to analyse", "file")
    elif not filters and report.category:
        # objects, NAT, management commands, interfaces without a nameif: a valid
        # configuration, whose device passes no traffic (an interface without a nameif
        # passes none)
        report.diag(1, 1, "note", "empty", "no access list and no interface with a nameif in this file: "
                    "the ASA passes no traffic through it; nothing to analyse", "file")
    bad = {ln for ln in report.bad if 1 <= ln <= n}
    diags = sorted(report.diags, key=lambda d: (d.origin.line, d.origin.column))
    return m.Device(
        name=read.config.hostname or os.path.basename(path),
        platform=PLATFORM,
        sources=(path,),
        filters=tuple(filters),
        bindings=tuple(read.bindings),
        interfaces=tuple(read.interfaces),
        alterations=tuple(read.alterations),
        diagnostics=tuple(diags),
        stats=(m.FileStats(path, n, n - len(bad)),),
        family=None,
        routes=tuple(read.config.routes),
    )


def relevance(path: str, data: bytes) -> dict:
    """How the lines of a file were read: `lines`; `blank` (empty or comments); `relevant` (they
    concern filtering: access lists, objects, interfaces' names and levels, NAT, inspection) and,
    of those, `relevant_understood` (no warning or error on them); `not_relevant` (routing, AAA,
    logging, management access, ...: understood, not modelled); `unknown` (not recognised)."""
    report = _run(path, data).report
    n = len(report.lines)
    counts = {"lines": n, "blank": 0, "relevant": 0, "relevant_understood": 0, "not_relevant": 0, "unknown": 0}
    for no in range(1, n + 1):
        category = report.category.get(no)
        if category is None:
            if no in report.bad:
                counts["unknown"] += 1
            else:
                counts["blank"] += 1
        elif category == "relevant":
            counts["relevant"] += 1
            if no not in report.bad:
                counts["relevant_understood"] += 1
        elif category == "other":
            counts["not_relevant"] += 1
        else:
            counts["unknown"] += 1
    return counts
