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
# a saved parser in the user's cache folder (linter/parsers.py; 20 KiB to 400 KiB): a larger
# file is not one fwlint wrote, and is not loaded (the parser is built again)
MAX_PARSER_CACHE_BYTES = 16 * MiB
# per-file results kept in the user's cache folder (linter/resultcache.py): past this the
# entries used longest ago are removed; an entry larger than a quarter of it is neither kept
# nor loaded (a 5,000-rule file's entry is about 1 MiB)
MAX_RESULT_CACHE_BYTES = 256 * MiB

# how much of a file tells its platform (linter/platforms/detection.py): its first and its
# last this many bytes (a walk reads only the first); each marker pattern is linear in a line
DETECT_HEAD_BYTES = 64 * 1024

# --------------------------------------------------------------------------- expansion

# pf: the text of one macro after expansion (a macro of macros can double at each level),
# and all the macro text one statement expands to; counted as it is expanded. 64 KiB is
# some 7,000 addresses in one rule, far beyond real macros (large sets are tables); fwlint
# reads about 10,000 addresses a second, so 1 MiB in one statement took 13 s
MAX_MACRO_BYTES = 64 * 1024
# pf: all the macro text one configuration expands to (many uses of a large macro): the
# work of reading a 4 MiB configuration
MAX_MACRO_BYTES_TOTAL = 4 * MiB
# pf: rules one statement expands to (the cross product of its lists)
MAX_RULES_PER_STATEMENT = 100_000
# pf: rules all the statements of one configuration expand to
MAX_RULES_TOTAL = 1_000_000
# pf: entries of all the tables of one configuration: pf's own default limit
# (PFR_KENTRY_HIWAT, `set limit table-entries`); a table past it is an unknown set
MAX_TABLE_ENTRIES = 200_000
# pf: the words (tokens) of one statement kept in memory. A longer one cannot be analysed
# anyway: its lists pass MAX_RULES_PER_STATEMENT or MAX_TABLE_ENTRIES (an entry is at most
# five tokens, `! 10.0.0.0 / 8 ,`); it is read to its end and reported
MAX_STATEMENT_TOKENS = 5 * MAX_TABLE_ENTRIES + 1024
# pf: files one configuration reads besides itself (include, load anchor and table file
# targets; a file read twice counts twice); their bytes in all are bounded by MAX_FILE_BYTES
MAX_INCLUDED_FILES = 1024
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

# pf: anchors inside anchors. pf's own value: PF_ANCHOR_STACK_MAX is 64 (net/pfvar.h, OpenBSD
# and FreeBSD); OpenBSD's kernel evaluates at most 63 nested anchor calls (one frame of its
# stack is a sentinel) and pfctl refuses the 64th nested `{` body ("anchors too deep",
# PFCTL_ANCHOR_STACK_DEPTH 64): an anchor 64 deep or more is reported
MAX_ANCHOR_DEPTH = 64
# pf: `{ }` lists and `( )` inside each other in one statement (lists nest through macros);
# real configurations nest two or three; lark's trees recurse once per level
MAX_LIST_DEPTH = 64
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

# --------------------------------------------------------------------------- inventories

# Interface names compared by similarity for an inventory error's "did you mean" (difflib is
# quadratic in the name's length per candidate; a file may name a million interfaces): past
# this many, the error lists names without a guess.
MAX_INTERFACE_HINT_CANDIDATES = 5_000
