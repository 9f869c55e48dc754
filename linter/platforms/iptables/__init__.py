

"""iptables-save / ip6tables-save / iptables-restore input -> the normalized model.

Layer: platform (reader + vendor model + converter). Reads `grammars/iptables.lark` (LALR)
and produces a `linter.model.Device`; nothing to the right of the model imports this package.

How a file is read:

1. The bytes are split into lines and decoded as UTF-8 (`common.decoding`: a line that is
   not valid UTF-8 is decoded with replacement characters and gets an `encoding`
   diagnostic at the column of the first bad byte).
2. Each line is split into shell words as iptables-restore does (quotes, backslashes) and
   each word is classified into a terminal of the grammar (`words.py`: `-A` -> APPEND,
   `-p` -> PROTO, `--dport` -> LONGOPT, `!` -> BANG, values -> WORD ...).
3. The lark LALR parser parses the sequence of terminals and a Transformer makes it a small
   plan of word indices (`reader.py`). The parse depends only on that sequence, so the
   plan is cached: a 100k-rule file has a few hundred distinct sequences.
4. The plan is executed against the table state (`reader.Reader`); a rule's match options
   are attributed to their module (the last `-m` that owns them, else the implicit
   protocol match of `-p`) and converted to model conditions (`rule.py`, `values.py`).
   At the end of the file the reader hands over a frozen `vendor.Ruleset`.
5. `convert.py` makes each chain a `Filter`, each target an `Action` (and an `Alteration`
   for NAT and mangling targets), and the filter table's hooks bindings.

Conventions (see docs/iptables-support.md for the full support table):

- Every chain of every table becomes a `Filter` (built-ins of a table that appears in the
  file exist even when not declared; their policy is then ACCEPT, origin None).
- `-s a,b` is one `AddrCond` with the alternatives (iptables expands it into one rule
  per address; the union is the same packet set).
- Alterations: one `Alteration` per built-in chain of the table from which the rule is
  reachable (following jumps and gotos); stage "" when it is reachable from none.
- A jump that closes a loop of chains a built-in chain reaches (iptables-restore refuses
  the table): `error jump-loop` at it (`model.jump_loops` says which jump closes a loop).
- Bounded work: a line longer than MAX_IPTABLES_LINE_LENGTH, or of more than
  MAX_IPTABLES_LINE_WORDS words (linter/limits.py), is one diagnostic, not parsed; a
  repeated generic option is found by one scan of the words, before parsing.
- Every line not understood is a located `Diagnostic`; nothing is dropped silently.
"""

from __future__ import annotations

import gc
import os

from ... import model as m
from ..detection import iptables as detect  # noqa: F401 - each platform's `detect`
from ..common.decoding import decoded_lines
from .convert import convert
from .reader import Reader, guess_family, _parser
from .vocab import BUILTIN_CHAINS
from .words import _classify, _split_words

__all__ = ["detect", "parse", "PLATFORM", "BUILTIN_CHAINS", "_classify", "_split_words", "_parser"]

PLATFORM = "iptables"

# --------------------------------------------------------------------------- entry point


def parse(path: str, data: bytes, family: int | None = None) -> m.Device:
    """Parse iptables-save / ip6tables-save / iptables-restore input into a Device."""
    # The parse allocates millions of small acyclic objects: the cyclic garbage collector
    # would walk the growing heap again and again (more than half the time on 100k rules).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse(path, data, family)
    finally:
        if gc_was_enabled:
            gc.enable()


def _parse(path: str, data: bytes, family: int | None) -> m.Device:
    if family is None:
        family = guess_family(data[:4_000_000].decode("utf-8", "replace"))
    reader = Reader(path, family)
    n = 0
    last_text = ""
    nul_lines = 0
    for text, bad_byte in decoded_lines(data):
        n += 1
        if "\0" in text:
            # iptables-restore reads a line as a C string: up to its first NUL byte. So does
            # fwlint, and it says so once for the file (a UTF-16 file has NULs on every line)
            cut = text.index("\0")
            text = text[:cut]
            nul_lines += 1
            reader.bad_lines.add(n)  # (what follows the NUL is not read: not understood)
            if nul_lines == 1:
                nul_at = (n, cut + 1, text)
        last_text = text
        if bad_byte is not None:
            reader.diag(n, bad_byte.column, text, "warning", "encoding", f"byte 0x{bad_byte.byte:02x} is not UTF-8")
        try:
            reader.line(n, text)
        except Exception as e:  # never raise on input: report it at the line
            reader.diag(n, 1, text, "error", "internal", f"could not read this line: {type(e).__name__}: {e}")
    if nul_lines:
        line, col, text = nul_at
        more = f" (and on {nul_lines - 1} more line{'s' if nul_lines > 2 else ''})" if nul_lines > 1 else ""
        reader.diag(line, col, text, "warning", "encoding",
                    f"NUL byte{more}: iptables-restore reads each line only up to its first NUL byte, and so "
                    "does fwlint (is this file UTF-16, or binary?)", construct="NUL")
    filters, alterations, bindings = convert(reader.finish(n, last_text), reader.diagnostics)
    if not filters and not reader.diagnostics.items:
        # an empty file (or only comments): valid, and says so rather than report a clean
        # ruleset (iptables-restore of it changes nothing)
        reader.diag(1, 1, "", "note", "empty",
                    "no table, chain or rule in this file: nothing to analyse", construct="file")
        reader.bad_lines.discard(1)  # its blank lines and comments were read well enough
    stats = (m.FileStats(path, n, n - len({ln for ln in reader.bad_lines if 1 <= ln <= n})),)
    return m.Device(
        name=os.path.basename(path),
        platform=PLATFORM,
        sources=(path,),
        filters=tuple(filters),
        bindings=tuple(bindings),
        alterations=tuple(alterations),
        diagnostics=reader.diagnostics.sorted(),
        stats=stats,
        family=family,
    )
