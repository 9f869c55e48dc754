"""Cisco IOS running-config (and IOS config scripts) -> the normalized model.

Layer: platform (parser + converter). Text -> IosConfig (reader.py, with acl.py,
object_groups.py, interfaces.py, zbf.py, nat.py for the sections; vendor.py the objects) ->
`linter.model.Device` (convert.py, conditions.py). Reads `grammars/cisco_ios.lark` (LALR, one
access-control entry per parse); nothing to the right of the model imports this package.

How a file is read:

1. The bytes are decoded (UTF-8, UTF-16 with or without a byte-order mark, else UTF-8 with
   each bad byte reported); CRLF and CR line endings are accepted.
2. ciscoconfparse gives the block structure (which line belongs to which `interface`,
   `ip access-list`, `object-group`, `class-map`, `policy-map`, banner, ...). Its loguru
   logging is disabled so that nothing reaches stdout or stderr.
3. The lines are read in order, as IOS applies a configuration script: `no ip access-list`
   deletes, re-entering `ip access-list extended X` appends, a second `ip access-group` on an
   interface replaces the first, entries written flush left after an ACL header still belong
   to it (IOS stays in the ACL mode until a global command).
4. Each access-control entry is tokenized here and parsed by the LALR grammar; object-groups,
   ACL references, zones and NAT are resolved at the end of the file.

Conventions (docs/cisco-ios-support.md has the support table):

- One first-match `Filter` per IP access list (numbered or named; `ipv6 access-list` gives a
  family-6 filter), default drop (the implicit deny), rules in sequence-number order. An ACL
  without entries permits everything when applied, so its default is accept.
- `ip access-group NAME in|out` / `ipv6 traffic-filter NAME in|out` -> `Binding(NAME, dir,
  interface)`. IOS ACLs are stateless: nothing is added for replies.
- Zone-based firewall: one filter per zone-pair (`zone-pair NAME`) and one per zone
  (`zone Z`, and `zone (none)` for interfaces outside every zone) that carries the rules
  between zones (intra-zone traffic passes, traffic to a zone without a zone-pair or between
  a zone member and a non-member is dropped); see zbf.ZoneFirewall.
- NAT and `ip tcp adjust-mss` are `Alteration`s.
- Lines that do not concern filtering (routing, AAA, crypto, logging, SNMP, lines, banners,
  QoS, ...) are understood as "not relevant"; `relevance()` counts them apart. Every
  construct that concerns filtering and is not modelled exactly has a located Diagnostic:
  note for approximations, warning for unsupported, error for invalid input.
"""


from __future__ import annotations

import gc
import os

from .... import model as m
from ....limits import MAX_NESTED_GROUP_MEMBERS  # noqa: F401 - read at each parse (object_groups), lowered by tests
from ...detection import cisco_ios as detect  # noqa: F401 - each platform's `detect`
from ..common import MAX_WILDCARD_RANGES, split_lines, wildcard_ranges  # noqa: F401 - public names
from .acl import _parser  # noqa: F401 - tests/platforms/common/test_parsers.py builds it
from .convert import Converter, static_routes
from .reader import SEVERITY_RANK, Reader, Report, decode
from .vendor import IosConfig

__all__ = ["PLATFORM", "detect", "parse", "relevance"]

PLATFORM = "cisco-ios"



def _run(path: str, data: bytes) -> tuple[Report, IosConfig, list, list, list, list]:
    # the parse allocates many small objects that live until it ends (ciscoconfparse's line
    # objects, entries, conditions): the cyclic collector would walk them again and again
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_file(path, data)
    finally:
        if enabled:
            gc.enable()


def _run_file(path: str, data: bytes) -> tuple[Report, IosConfig, list, list, list, list]:
    report = Report(path)
    reader = Reader(report)
    text = decode(path, data, report)
    if text is None:
        lines = split_lines(data.decode("latin-1"))
        report.lines = lines
        report.cat = ["relevant"] * len(lines)
        report.diag(1, 1, "error", "binary", "this is not a text file (it contains NUL bytes): nothing is read", "file")
        report.bad.update(range(1, len(lines) + 1))
        return report, reader.config, [], [], [], []
    lines = split_lines(text)
    report.lines = lines
    report.cat = ["irrelevant"] * len(lines)
    for ln, sev, code, msg in report.early:
        report.diag(min(ln, max(len(lines), 1)), 1, sev, code, msg, "file", understood=True)
    try:
        reader.run(lines)
        filters, bindings, alterations, interfaces = Converter(report, reader.config).finish()
    except Exception as e:  # never raise on input
        report.diag(1, 1, "error", "internal", f"could not read this file: {type(e).__name__}: {e}", "file")
        return report, reader.config, [], [], [], []
    if not filters and not bindings and not alterations:
        report.diag(1, 1, "note", "empty", "no access list, zone-pair or NAT rule in this file: nothing to analyse"
                    + (f" (IOS forwards every packet between its {len(interfaces)} interfaces unfiltered: FW004)"
                       if len(interfaces) > 1 else " (IOS passes every packet on its interface unfiltered: FW004)"
                       if interfaces else ""),
                    "file")
    return report, reader.config, filters, bindings, alterations, interfaces


def parse(path: str, data: bytes, family: int | None = None) -> m.Device:
    """Parse a Cisco IOS configuration into a Device (never raises on any input)."""
    try:
        report, config, filters, bindings, alterations, interfaces = _run(path, data)
    except Exception as e:  # pragma: no cover - _run catches everything it can
        diag = m.Diagnostic(m.Origin(path, 1, 1, ""), "error", "internal",
                            f"could not read this file: {type(e).__name__}: {e}", "file")
        return m.Device(os.path.basename(path) or path, PLATFORM, (path,), diagnostics=(diag,),
                        stats=(m.FileStats(path, 0, 0),))
    n = len(report.lines)
    bad = {ln for ln in report.bad if 1 <= ln <= n}
    diags = sorted(report.diags, key=lambda d: (d.origin.line, d.origin.column, -SEVERITY_RANK[d.severity], d.code))
    return m.Device(
        name=config.hostname or os.path.basename(path) or path,
        platform=PLATFORM,
        sources=(path,),
        filters=tuple(filters),
        bindings=tuple(bindings),
        interfaces=tuple(interfaces),
        alterations=tuple(alterations),
        diagnostics=tuple(diags),
        stats=(m.FileStats(path, n, n - len(bad)),),
        family=None,
        routes=static_routes(report),
    )


def relevance(path: str, data: bytes) -> dict:
    """How the lines of a file divide: blank, comment, not relevant to filtering (routing,
    AAA, logging, ... understood by being ignored), relevant; and how many relevant lines are
    understood (no warning or error on them)."""
    report, *_ = _run(path, data)
    n = len(report.lines)
    cats = report.cat
    relevant = [i + 1 for i in range(n) if cats[i] == "relevant"]
    bad = {ln for ln in report.bad if 1 <= ln <= n}
    understood = [ln for ln in relevant if ln not in bad]
    return {
        "lines": n,
        "blank": cats.count("blank"),
        "comment": cats.count("comment"),
        "not_relevant": cats.count("irrelevant"),
        "relevant": len(relevant),
        "relevant_understood": len(understood),
        "not_understood": len(bad),
    }
