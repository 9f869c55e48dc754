"""pf.conf (OpenBSD / FreeBSD packet filter) -> the normalized model.

Layer: platform. Text -> vendor objects -> `linter.model.Device`, as pfctl reads it
(sbin/pfctl/parse.y); nothing to the right of the model imports this package.

- lexer.py: pfctl's lexer (macros expanded in place, included files read in place) and the
  statements it cuts; grammar.py: the lark glue (one LALR parse per statement,
  grammars/pf.lark).
- reader.py: each statement to vendor objects (vendor.py): macros, options, tables
  (tables.py), anchors, queues, files named (sources.py), rules (rules.py: what a rule
  matches; options.py: its options; addresses.py: its hosts and ports); checks.py: what
  pfctl refuses; expand.py: pfctl's expansion of a rule's lists.
- convert.py: the vendor objects to the model (one `Filter("pf")`, last match).
- Everything not understood or only approximated is a located `Diagnostic` (diagnostics.py).
"""

from __future__ import annotations

import os

from ... import files
from ... import model as m
from ..common.decoding import decode_utf8, looks_binary
from ..detection import pf as detect  # noqa: F401 - each platform's `detect`
from .convert import Converter
from .diagnostics import count_lines
from .expand import expansion_dicts
from .grammar import parser
from .reader import Reader
from .vocab import ICMP6_CODES, ICMP6_TYPES, ICMP_CODES, ICMP_TYPES  # noqa: F401 - tests use them

__all__ = ["PLATFORM", "detect", "parse", "expansions"]

PLATFORM = "pf"

_parser = parser  # the grammar's parser (tests watch what it receives)


def _empty_filter() -> m.Filter:
    return m.Filter("pf", (), m.Action("accept"), "last-match", "", True, None)


def _decode(path: str, data: bytes, reader: Reader) -> str | None:
    report = reader.report
    if looks_binary(data):
        report.diag(path, 1, 1, "error", "binary", "this is not a text file (it contains NUL bytes): nothing is read",
                    "file", text="")
        return None
    text, bad = decode_utf8(data)
    for b in bad:
        report.diag(path, b.line, b.column, "warning", "encoding", f"byte 0x{b.byte:02x} is not UTF-8", "file",
                    understood=True, text=b.text.rstrip("\r"))
    return text


def _run(path: str, data: bytes) -> tuple[Reader, Converter, list, list]:
    real = str(files.locate(path)) if path else None
    reader = Reader(path, real)
    converter = Converter(reader.config, reader.macros, reader.report)
    text = _decode(path, data, reader)
    if text is None:
        lines = count_lines(data.decode("latin-1"))
        reader.report.lines_read[path] = lines
        reader.report.not_understood(path, 1, lines)
        return reader, converter, [_empty_filter()], []
    filters: list = []
    alterations: list = []
    try:
        reader.run(text)
        filters, alterations = converter.finish()
    except Exception as e:  # never raise on input
        reader.report.diag(path, 1, 1, "error", "internal", f"could not read this file: {type(e).__name__}: {e}",
                           text="")
        filters = [_empty_filter()]
    return reader, converter, filters, alterations


def parse(path: str, data: bytes, family: int | None = None) -> m.Device:
    """Parse pf.conf text into a Device (one last-match filter "pf", bound in and out)."""
    reader, _converter, filters, alterations = _run(path, data)
    report, config = reader.report, reader.config
    has_rules = any(f.rules for f in filters) or alterations
    empty = not has_rules and not report.diags and not config.tables and not reader.macros.values \
        and not config.options_seen and not config.queue_list
    if empty:
        # comments only (an anchor file not written yet, a ruleset kept for later): a valid
        # file that filters nothing; it gives no ruleset, so no default is reported for it
        report.diag(path, 1, 1, "note", "empty", "no rule, table or option in this file: nothing to analyse "
                    "(loaded as an anchor it decides nothing; as the main ruleset pf would pass every packet)",
                    "file", understood=True, text="")
        filters = []
    stats = []
    for p in report.sources:
        n = report.lines_read.get(p, 0)
        bad = {ln for ln in report.bad.get(p, set()) if 1 <= ln <= n}
        stats.append(m.FileStats(p, n, n - len(bad)))
    diags = sorted(report.diags, key=lambda d: (d.origin.path != path, d.origin.path, d.origin.line, d.origin.column))
    return m.Device(
        name=os.path.basename(path),
        platform=PLATFORM,
        sources=tuple(report.sources),
        filters=tuple(filters),
        bindings=(m.Binding("pf", "in"), m.Binding("pf", "out")) if filters else (),
        alterations=tuple(alterations),
        diagnostics=tuple(diags),
        stats=tuple(stats),
        family=None,
    )


def expansions(path: str, data: bytes) -> list[dict]:
    """The filter rules (pass, block, match) as pfctl expands them, one dict per expanded rule.

    Keys: path, line, anchor, action (pass/block/match), block (drop, return, return-rst,
    return-icmp, return-icmp6 or None), direction, log, quick, interface ("em0", "!em0" or
    None), af (4, 6 or None), proto (number or None), src/dst ("any", "10.0.0.0/8",
    "!10.1.2.3", "<table>", "(em0)", ...), sport/dport (tuple of inclusive ranges or None),
    flags ((flags, mask) or None), icmp ((type, code or None) or None), state ("keep",
    "modulate", "synproxy", "no"; None for block and match rules).
    """
    _reader, converter, _filters, _alts = _run(path, data)
    out = []
    for spec, _anchors in converter.flatten("", [], set()):
        if spec.kind not in ("pass", "block", "match"):
            continue
        for c in spec.combos:
            out.extend(expansion_dicts(spec, c))
    return out
