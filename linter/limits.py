"""Every bound fwlint puts on its input and on its own work, in one place.

Layer: infrastructure (imported by the readers, the platforms and the cli). fwlint runs on
pull requests whose every file an attacker may have written; each number here caps what one
file can make fwlint read, expand or walk. Exceeding one is never a traceback nor a hang: a
one-line error naming the file (exit 2), or a located `expansion-limit` / `nesting-limit`
diagnostic (reported by FW007 as an error) with the rest of the file still analysed.
SECURITY.md lists them for users; keep the two in step.
"""

from __future__ import annotations

MiB = 1024 * 1024

# --------------------------------------------------------------------------- files read

# a firewall configuration (adjustable with --max-file-size); read in one bounded read
MAX_FILE_BYTES = 64 * MiB
# files fwlint reads for itself: .fwlint.yaml, pyproject.toml, inventories, packs,
# baselines, --packets files, pf `include` and table `file` targets
MAX_SIDE_FILE_BYTES = 4 * MiB
# files one glob of an inventory may match
MAX_GLOB_FILES = 10_000
# nesting of YAML, TOML and JSON documents (mappings and lists inside each other)
MAX_DOCUMENT_DEPTH = 64

# --------------------------------------------------------------------------- expansion

# pf: the text of one macro after expansion (a macro of macros can double at each level)
MAX_MACRO_BYTES = 1 * MiB
# pf: rules one statement expands to (the cross product of its lists)
MAX_RULES_PER_STATEMENT = 100_000

# --------------------------------------------------------------------------- nesting

# pf: anchors inside anchors (pf's own evaluation stops at PF_ANCHOR_STACK_MAX)
MAX_ANCHOR_DEPTH = 64
# Cisco IOS and ASA: object-groups inside object-groups
MAX_OBJECT_GROUP_DEPTH = 64
# pf `include` files including others
MAX_INCLUDE_DEPTH = 16

# --------------------------------------------------------------------------- iptables

# One line of iptables-save / iptables-restore input. iptables-restore itself reads a line
# into a 10 KiB buffer and takes at most 255 words (MAX_ARGC), and a rule the kernel holds
# (64 KiB of matches and target) prints as a few thousand words at most; iptables -A has
# no such limits, so fwlint reads lines well past them. A longer line is one located
# `syntax` error, not split into words (length) or not parsed (words): the work per line
# stays linear and its memory small. A rule in such a line is kept as not understood.
MAX_IPTABLES_LINE_LENGTH = 2 * MiB  # characters
MAX_IPTABLES_LINE_WORDS = 16_384
# diagnostics of one line (then one saying how many more): a line of thousands of distinct
# unknown options would otherwise make thousands of findings, each quoting the line
MAX_IPTABLES_DIAGNOSTICS_PER_LINE = 16
