"""What Cisco IOS and ASA share: reading addresses (netmasks, wildcards, prefixes), the
walk that resolves things that include each other by name (object-groups, class-maps), and
ciscoconfparse's block structure.

Layer: platforms (left of the model). Used by linter/platforms/cisco/ios/ and asa/ (the ASA
takes its zone-id check and ciscoconfparse setup from here); addresses are
linter/platforms/common's, under IOS's names, and IOS's port operators are `common.ports`'.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from functools import lru_cache

from ...names import read_int
from ...ranges import merge
from ..common.addresses import ipv4_value, netmask_length, prefix_range

MAX_WILDCARD_RANGES = 256  # non-contiguous wildcards expand to at most this many ranges

# --------------------------------------------------------------------------- words and lines


WORD_RE = re.compile(r"\S+")


def words(text: str, offset: int = 0) -> list[tuple[str, int]]:
    """The words of a line with their 1-based columns."""
    return [(mm.group(), mm.start() + 1 + offset) for mm in WORD_RE.finditer(text)]


def split_lines(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


# --------------------------------------------------------------------------- addresses


def has_zone_id(text: str) -> bool:
    """An IPv6 address written with a zone (scope) id, `fe80::1%Gi0/0`: IOS access lists and
    object-groups take none; Python's ipaddress would read it and drop the zone silently."""
    return ":" in text and "%" in text


def ipv6(text: str) -> int | None:
    if "%" in text:
        return None  # a zone id: not an address IOS takes here (see has_zone_id)
    try:
        return read_int(ipaddress.IPv6Address(text))
    except ValueError:
        return None


# IOS's names for common.addresses': a dotted quad's value; `2001:db8::/32` or `10.0.0.0/8`
# -> (family, lo, hi), host bits ignored as IOS does (None with a zone id, see has_zone_id);
# a contiguous IPv4 netmask -> its prefix length
ipv4 = ipv4_value
prefix = prefix_range
mask_len = netmask_length


def wildcard_ranges(addr: int, wild: int, limit: int = MAX_WILDCARD_RANGES) -> list[tuple[int, int]] | None:
    """The IPv4 ranges an `ADDRESS WILDCARD` pair matches (None when more than `limit`).

    A wildcard bit set means "any value"; the address bits under it are ignored, as IOS does.
    """
    base = addr & ~wild & 0xFFFFFFFF
    low = (wild ^ (wild + 1)) >> 1 if wild & 1 else 0  # the trailing run of ones
    high = wild & ~low
    n = bin(high).count("1")
    if (1 << n) > limit:
        return None
    bits = [1 << i for i in range(32) if high & (1 << i)]
    out = []
    for k in range(1 << n):
        s = 0
        for j, b in enumerate(bits):
            if k & (1 << j):
                s |= b
        lo = base | s
        out.append((lo, lo | low))
    return list(merge(out))


# --------------------------------------------------------------------------- nesting by name


@dataclass
class Resolved:
    value: object
    height: int  # the longest chain of nested references below it (0: it includes nothing)


@dataclass
class Refused:
    code: str  # nesting-limit | expansion-limit
    line: int  # where the limit is crossed (reported there)


@dataclass
class Frame:
    name: str
    entries: list
    via: object = None  # the entry of the including one that names this one
    index: int = 0
    parts: list = field(default_factory=list)
    height: int = 0
    refused: Refused | None = None


class NestedReader:
    """Things that include each other by name (object-groups through `group-object`, class-maps
    through `match class-map`): each is resolved once, the included ones first, with an
    explicit stack, not recursion (an attacker's configuration can nest thousands deep). A
    reference that closes a cycle is reported and left out; one that would nest deeper than
    `limit`, or copy more than `budget` members from included ones (summed over the file), is
    reported once, and everything that includes it is refused (`Refused`)."""

    def __init__(self, limit: int, budget: int) -> None:
        self.limit = limit
        self.budget = budget
        self.copied = 0  # members taken from included ones so far
        self.done: dict[str, Resolved | Refused] = {}

    # -- what a subclass says

    def entries(self, name: str) -> list:
        raise NotImplementedError

    def nested(self, name: str, entry) -> str | None:
        """The defined name an entry includes, None for any other entry (or a bad reference,
        reported here)."""
        raise NotImplementedError

    def part(self, name: str, entry):
        """What an entry that includes nothing gives (None: nothing)."""
        raise NotImplementedError

    def included(self, entry, value):
        """What an entry that includes a resolved one gives."""
        return value

    def cycle(self, name: str, entry):
        """Report an entry that closes a cycle; what it gives (None: nothing)."""
        raise NotImplementedError

    def too_deep(self, name: str, entry) -> int:
        """Report an entry that crosses the depth limit; its line."""
        raise NotImplementedError

    def too_large(self, name: str, entry, size: int) -> int:
        """Report an entry whose included value (of `size` members) crosses the budget; its line."""
        raise NotImplementedError

    @staticmethod
    def size(value) -> int:
        return len(value)

    def combine(self, name: str, parts: list):
        raise NotImplementedError

    # -- the walk

    def resolve(self, name: str) -> Resolved | Refused:
        got = self.done.get(name)
        if got is not None:
            return got
        frames = [Frame(name, self.entries(name))]
        on_path = {name}
        while True:
            f = frames[-1]
            if f.index < len(f.entries):
                entry = f.entries[f.index]
                f.index += 1
                sub = self.nested(f.name, entry)
                if sub is None:
                    self._add(f, self.part(f.name, entry))
                elif sub in self.done:
                    self._absorb(f, self.done[sub], entry)
                elif sub in on_path:
                    self._add(f, self.cycle(f.name, entry))
                else:
                    frames.append(Frame(sub, self.entries(sub), entry))
                    on_path.add(sub)
                continue
            frames.pop()
            on_path.discard(f.name)
            res = f.refused or Resolved(self.combine(f.name, f.parts), f.height)
            self.done[f.name] = res
            if not frames:
                return res
            self._absorb(frames[-1], res, f.via)

    @staticmethod
    def _add(f: Frame, part) -> None:
        if part is not None:
            f.parts.append(part)

    def _absorb(self, f: Frame, res: Resolved | Refused, entry) -> None:
        if f.refused is not None:
            return
        if isinstance(res, Refused):
            f.refused = res
        elif res.height + 1 > self.limit:
            f.refused = Refused("nesting-limit", self.too_deep(f.name, entry))
        elif self.copied + self.size(res.value) > self.budget:
            f.refused = Refused("expansion-limit", self.too_large(f.name, entry, self.size(res.value)))
        else:
            self.copied += self.size(res.value)
            self._add(f, self.included(entry, res.value))
            f.height = max(f.height, res.height + 1)


# --------------------------------------------------------------------------- block structure


@lru_cache(maxsize=1)
def ccp_class():
    """ciscoconfparse's parser class, with its logging silenced (it adds a loguru handler on
    stdout at import and logs at INFO on every parse)."""
    import contextlib
    import io

    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        from loguru import logger

        import ciscoconfparse  # noqa: F401
        from ciscoconfparse import CiscoConfParse
        from ciscoconfparse import ciscoconfparse as ccp_module
    logger.disable("ciscoconfparse")
    for hid in list(getattr(ccp_module, "ACTIVE_LOGURU_HANDLERS", None) or []):
        try:
            logger.remove(hid)
        except (ValueError, TypeError):
            pass
    try:
        ccp_module.ACTIVE_LOGURU_HANDLERS = []
    except Exception:  # pragma: no cover
        pass
    return CiscoConfParse


def indent_parents(lines: list[str]) -> list[int]:
    """The parent of each line by indentation (used when ciscoconfparse cannot be used)."""
    parents = [-1] * len(lines)
    stack: list[tuple[int, int]] = []
    for i, ln in enumerate(lines):
        s = ln.lstrip()
        if not s or s.startswith("!"):
            continue
        ind = len(ln) - len(s)
        while stack and stack[-1][0] >= ind:
            stack.pop()
        parents[i] = stack[-1][1] if stack else -1
        stack.append((ind, i))
    return parents


def structure(lines: list[str], syntax: str = "ios") -> tuple[list[int], bool]:
    """Parent line index of every line (-1 at top level) from ciscoconfparse (`syntax` "ios" or
    "asa"), and whether ciscoconfparse gave it (else the indentation did)."""
    if not lines:
        return [], True
    try:
        ccp = ccp_class()
        import contextlib
        import io

        sink = io.StringIO()
        with contextlib.redirect_stdout(sink):
            p = ccp(list(lines), syntax=syntax, factory=False, ignore_blank_lines=False)
        objs = p.ConfigObjs
        if len(objs) != len(lines):
            return indent_parents(lines), False
        parents = [-1] * len(lines)
        for o in objs:
            par = o.parent
            if par is not None and par is not o and 0 <= o.linenum < len(lines):
                parents[o.linenum] = par.linenum
        return parents, True
    except Exception:  # ciscoconfparse failed on this text: fall back to indentation
        return indent_parents(lines), False
