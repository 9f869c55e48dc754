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
# nesting of YAML, TOML and JSON documents (mappings and lists inside each other)
MAX_DOCUMENT_DEPTH = 64

# --------------------------------------------------------------------------- expansion

# pf: the text of one macro after expansion (a macro of macros can double at each level)
MAX_MACRO_BYTES = 1 * MiB
# pf: rules one statement expands to (the cross product of its lists)
MAX_RULES_PER_STATEMENT = 100_000
# Cisco ASA: an entry that names undefined object-groups is parsed once per guess of their
# kinds (up to 4**3 parses); only entries of at most this many words are guessed (a real entry
# has fewer than 40), so a 10 MB entry is parsed once, not 64 times
MAX_GUESSED_ENTRY_WORDS = 64
# Cisco IOS and ASA: the members object-groups take from the groups they nest, summed over a
# file. Each group is flattened once, but a thousand groups that each nest the same group of
# 100,000 hosts would copy it a thousand times (quadratic time and memory); about 2 s of work
# per million members
MAX_NESTED_GROUP_MEMBERS = 4_000_000

# --------------------------------------------------------------------------- nesting

# pf: anchors inside anchors (pf's own evaluation stops at PF_ANCHOR_STACK_MAX)
MAX_ANCHOR_DEPTH = 64
# Cisco IOS and ASA: object-groups inside object-groups (levels of `group-object` below a
# group). The ASA's configuration guides forbid loops but give no depth; Cisco's FMC allows 10
# levels. 64 is far above that and above what configurations use, so real configurations are
# not refused, while a hostile one cannot make fwlint walk or merge thousands of levels.
MAX_OBJECT_GROUP_DEPTH = 64
# Cisco IOS: inspect class-maps inside class-maps (`match class-map`). IOS XE supports three
# levels of class-map hierarchy; 16 leaves room for other IOS trains.
MAX_CLASS_MAP_DEPTH = 16
# pf `include` files including others
MAX_INCLUDE_DEPTH = 16
