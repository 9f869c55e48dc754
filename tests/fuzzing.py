"""Deterministic mutators for the fuzz test (tests/cli/test_fuzz.py).

Every input is a pure function of (platform, base seed, index) and of the corpus: the same
three numbers give the same bytes and the same mutation chain on every machine, so a failure
printed by CI can be rebuilt locally with

    python3 -m tests.fuzzing --platform pf --seed 1 --index 17 -o /tmp/pf-17.conf

Mutations come in three families, as a hostile pull request might write them:
  bytes   flip bits; insert NUL, 0xff, CR, invalid UTF-8, a BOM or random bytes; delete a
          range; truncate at a random point
  lines   duplicate, delete, swap; repeat one line 200 times; splice a line from another
          file of the same platform or from another platform
  tokens  replace a whitespace-separated token by another token of the corpus, a huge
          number, one of `{ } ( \\ "`, a very long string, an IPv6 address with a zone id,
          or the token inside deeply nested braces
Each input applies one to three of them to a window of at most MAX_SEED_LINES lines of a
corpus file (small windows keep each run fast; many windows cover the large files).

No hypothesis here on purpose: a plain random.Random seeded by a string is reproducible
across Python versions and processes (str seeds are hashed with SHA-512, not hash()).
"""

from __future__ import annotations

import argparse
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

# corpus folder (under ../shared/corpus) and file extension of each platform's inputs
PLATFORM_DIRS = {"iptables": "iptables", "pf": "pf", "cisco-ios": "cisco-ios", "cisco-asa": "cisco-asa"}
EXTENSIONS = {"iptables": "rules", "pf": "conf", "cisco-ios": "ios", "cisco-asa": "asa"}

MAX_SEED_LINES = 150  # a larger file contributes a random window of this many lines
MAX_CHAIN = 3  # mutations applied to one input
REPEAT_LINE = 200  # "repeat a line 200 times"
MAX_TOKENS_PER_PLATFORM = 5000  # the token pool, sorted and capped for memory and speed

# the netfilter extension tests are `rule;result;OK` lines, not iptables-save files: as seeds
# they are wrapped into a save file (one rule per line), see iptables_t_as_save
NETFILTER_T_DIR = "netfilter-t"


# --------------------------------------------------------------------------- corpus


@dataclass(frozen=True)
class CorpusFile:
    platform: str
    name: str  # path relative to the corpus root, for messages
    data: bytes


@dataclass
class Corpus:
    """The files of each platform, and the lines and tokens mutations splice in."""

    files: dict[str, list[CorpusFile]]
    lines: dict[str, list[bytes]] = field(default_factory=dict)
    tokens: dict[str, list[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for platform, files in self.files.items():
            lines = sorted({ln for f in files for ln in f.data.split(b"\n") if ln.strip()})
            self.lines[platform] = lines
            toks = sorted({t for ln in lines for t in ln.split() if len(t) <= 64})
            if len(toks) > MAX_TOKENS_PER_PLATFORM:  # an even sample, still deterministic
                step = len(toks) / MAX_TOKENS_PER_PLATFORM
                toks = [toks[int(i * step)] for i in range(MAX_TOKENS_PER_PLATFORM)]
            self.tokens[platform] = toks

    def platforms(self) -> list[str]:
        return sorted(self.files)


def load_corpus(root: Path) -> Corpus:
    """Every regular file under root/<platform dir>, sorted by path (MANIFEST.md excluded)."""
    files: dict[str, list[CorpusFile]] = {}
    for platform, folder in PLATFORM_DIRS.items():
        base = root / folder
        found = sorted(p for p in base.rglob("*") if p.is_file() and not p.is_symlink())
        files[platform] = [CorpusFile(platform, str(p.relative_to(root)), _seed_bytes(platform, p)) for p in found]
    return Corpus(files)


def _seed_bytes(platform: str, path: Path) -> bytes:
    data = path.read_bytes()
    if platform == "iptables" and path.parent.name == NETFILTER_T_DIR:
        return iptables_t_as_save(data)
    return data


def iptables_t_as_save(data: bytes) -> bytes:
    """An iptables-test.py `.t` file as an iptables-save file: `*table` and `:CHAIN[,CHAIN]`
    headers select where the rules go, each `rule;result;verdict` line becomes
    `-A CHAIN rule` (the expected FAIL rules too: they are what the option parser must
    refuse without a traceback)."""
    tables: dict[bytes, dict[bytes, list[bytes]]] = {}
    table, chain = b"filter", b"INPUT"
    for line in data.split(b"\n"):
        line = line.strip()
        if not line or line.startswith(b"#"):
            continue
        if line.startswith(b"*"):
            table = line[1:].strip() or b"filter"
        elif line.startswith(b":"):
            chain = line[1:].split(b",")[0].strip() or b"INPUT"
        else:
            rule = line.split(b";")[0]
            tables.setdefault(table, {}).setdefault(chain, []).append(b"-A " + chain + b" " + rule)
    out: list[bytes] = []
    for name, chains in tables.items():
        out.append(b"*" + name)
        out += [b":" + c + b" ACCEPT [0:0]" for c in chains]
        for rules in chains.values():
            out += rules
        out.append(b"COMMIT")
    return b"\n".join(out) + b"\n"


# --------------------------------------------------------------------------- mutators

Mutator = Callable[[random.Random, bytes, "Context"], "tuple[bytes, str]"]


@dataclass(frozen=True)
class Context:
    """What a mutator may splice in: the corpus, and the platform of the input."""

    corpus: Corpus
    platform: str


def _short(b: bytes, n: int = 40) -> str:
    """A mutation's argument for the chain description: repr, cut to n characters."""
    s = repr(b)
    return s if len(s) <= n else f"{s[:n]}...({len(b)} bytes)"


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _join(lines: list[bytes]) -> bytes:
    return b"\n".join(lines)


def _nonblank_index(rng: random.Random, lines: list[bytes]) -> int:
    """A random line index, preferring lines with content (blank lines mutate to nothing)."""
    full = [i for i, ln in enumerate(lines) if ln.strip()]
    return rng.choice(full) if full else rng.randrange(len(lines))


# ---- bytes

# bytes a configuration should never hold, or that decoders trip on
SPECIAL_BYTES = [
    b"\x00", b"\xff", b"\r", b"\r\n", b"\xc3\x28",  # NUL, 0xff, CR, CRLF, invalid 2-byte UTF-8
    b"\xed\xa0\x80",  # a UTF-16 surrogate encoded in UTF-8 (invalid)
    b"\xf4\x90\x80\x80",  # beyond U+10FFFF
    b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff",  # BOMs (UTF-8, UTF-16 LE/BE)
    b"\xe2\x80\xae",  # RIGHT-TO-LEFT OVERRIDE: valid UTF-8, hostile in logs
    b"\x1b[31m",  # an ANSI escape
    b"\t", b"\x0b", b"\x0c", b"\x85", b"\xe2\x80\xa8",  # other whitespace and line breaks
]


def byte_flip(rng: random.Random, data: bytes, ctx: Context) -> tuple[bytes, str]:
    if not data:
        return b"\xff", "byte.flip(empty -> 0xff)"
    buf = bytearray(data)
    flips = rng.randint(1, 8)
    for _ in range(flips):
        i = rng.randrange(len(buf))
        buf[i] ^= 1 << rng.randrange(8)
    return bytes(buf), f"byte.flip({flips} bits)"


def byte_insert(rng: random.Random, data: bytes, ctx: Context) -> tuple[bytes, str]:
    if rng.random() < 0.7:
        piece = rng.choice(SPECIAL_BYTES) * rng.choice([1, 1, 2, 16])
    else:
        piece = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    at = rng.randint(0, len(data))
    return data[:at] + piece + data[at:], f"byte.insert(@{at} {_short(piece)})"


def byte_delete(rng: random.Random, data: bytes, ctx: Context) -> tuple[bytes, str]:
    if not data:
        return data, "byte.delete(empty)"
    at = rng.randrange(len(data))
    n = rng.randint(1, min(64, len(data) - at))
    return data[:at] + data[at + n:], f"byte.delete(@{at} {n} bytes)"


def byte_truncate(rng: random.Random, data: bytes, ctx: Context) -> tuple[bytes, str]:
    at = rng.randint(0, max(0, len(data) - 1))
    return data[:at], f"byte.truncate(@{at} of {len(data)})"


# ---- lines


def line_duplicate(rng: random.Random, data: bytes, ctx: Context) -> tuple[bytes, str]:
    lines = _lines(data)
    i = _nonblank_index(rng, lines)
    return _join(lines[:i + 1] + [lines[i]] + lines[i + 1:]), f"line.duplicate({i + 1})"


def line_delete(rng: random.Random, data: bytes, ctx: Context) -> tuple[bytes, str]:
    lines = _lines(data)
    i = _nonblank_index(rng, lines)
    return _join(lines[:i] + lines[i + 1:]), f"line.delete({i + 1})"


def line_swap(rng: random.Random, data: bytes, ctx: Context) -> tuple[bytes, str]:
    lines = _lines(data)
    i, j = _nonblank_index(rng, lines), _nonblank_index(rng, lines)
    lines[i], lines[j] = lines[j], lines[i]
    return _join(lines), f"line.swap({i + 1},{j + 1})"


def line_repeat(rng: random.Random, data: bytes, ctx: Context) -> tuple[bytes, str]:
    lines = _lines(data)
    i = _nonblank_index(rng, lines)
    return _join(lines[:i] + [lines[i]] * REPEAT_LINE + lines[i + 1:]), f"line.repeat({i + 1} x{REPEAT_LINE})"


def line_splice_same(rng: random.Random, data: bytes, ctx: Context) -> tuple[bytes, str]:
    return _splice(rng, data, ctx, ctx.platform, "line.splice")


def line_splice_other(rng: random.Random, data: bytes, ctx: Context) -> tuple[bytes, str]:
    others = [p for p in ctx.corpus.platforms() if p != ctx.platform and ctx.corpus.lines.get(p)]
    return _splice(rng, data, ctx, rng.choice(others) if others else ctx.platform, "line.splice-other")


def _splice(rng: random.Random, data: bytes, ctx: Context, source: str, name: str) -> tuple[bytes, str]:
    pool = ctx.corpus.lines.get(source) or [b"# empty pool"]
    piece = rng.choice(pool)
    lines = _lines(data)
    at = rng.randint(0, len(lines))
    return _join(lines[:at] + [piece] + lines[at:]), f"{name}({source} @{at + 1} {_short(piece)})"


# ---- tokens

HUGE_NUMBERS = [
    b"99999999999999999999999999999999999999", b"4294967296", b"4294967295", b"18446744073709551616",
    b"65536", b"-1", b"-0", b"2147483648", b"1e309", b"0x7fffffffffffffffffff", b"256.256.256.256",
    b"1.2.3.4/33", b"::/129", b"65535-0", b"0:99999999", b"1" * 5000,
]
SPECIAL_TOKENS = [b"{", b"}", b"(", b")", b"\\", b'"', b"'", b"!", b"$", b"<", b">", b"#", b";", b",", b"-", b"--"]
IPV6_ZONE_IDS = [b"fe80::1%eth0", b"fe80::1%eth0/64", b"ff02::1%1", b"fe80::%25en0", b"fe80::1%", b"fe80::1%%"]
LONG_LENGTHS = [300, 4096, 65536]
NEST_DEPTHS = [2, 10, 200, 2000]


def _replace_token(rng: random.Random, data: bytes, new: Callable[[bytes], bytes], name: str) -> tuple[bytes, str]:
    """Replace one whitespace-separated token of a random line by new(old)."""
    lines = _lines(data)
    i = _nonblank_index(rng, lines)
    spans = [m.span() for m in re.finditer(rb"\S+", lines[i])]
    if not spans:
        lines[i] = new(b"")
        return _join(lines), f"{name}(line {i + 1}: {_short(lines[i])})"
    k = rng.randrange(len(spans))
    a, b = spans[k]
    old = lines[i][a:b]
    repl = new(old)
    lines[i] = lines[i][:a] + repl + lines[i][b:]
    return _join(lines), f"{name}(line {i + 1} token {k + 1} {_short(old, 24)} -> {_short(repl)})"


def token_corpus(rng: random.Random, data: bytes, ctx: Context) -> tuple[bytes, str]:
    pool = ctx.corpus.tokens.get(ctx.platform) or [b"x"]
    return _replace_token(rng, data, lambda old: rng.choice(pool), "token.corpus")


def token_huge_number(rng: random.Random, data: bytes, ctx: Context) -> tuple[bytes, str]:
    return _replace_token(rng, data, lambda old: rng.choice(HUGE_NUMBERS), "token.number")


def token_special(rng: random.Random, data: bytes, ctx: Context) -> tuple[bytes, str]:
    return _replace_token(rng, data, lambda old: rng.choice(SPECIAL_TOKENS), "token.special")


def token_long(rng: random.Random, data: bytes, ctx: Context) -> tuple[bytes, str]:
    def longer(old: bytes) -> bytes:
        unit = old or b"A"
        return (unit * (rng.choice(LONG_LENGTHS) // len(unit) + 1))

    return _replace_token(rng, data, longer, "token.long")


def token_ipv6_zone(rng: random.Random, data: bytes, ctx: Context) -> tuple[bytes, str]:
    return _replace_token(rng, data, lambda old: rng.choice(IPV6_ZONE_IDS), "token.ipv6-zone")


def token_nest(rng: random.Random, data: bytes, ctx: Context) -> tuple[bytes, str]:
    def nested(old: bytes) -> bytes:
        depth = rng.choice(NEST_DEPTHS)
        opening, closing = rng.choice([(b"{ ", b" }"), (b"(", b")"), (b"{", b"}")])
        return opening * depth + (old or b"x") + closing * depth

    return _replace_token(rng, data, nested, "token.nest")


FAMILIES: dict[str, list[Mutator]] = {
    "byte": [byte_flip, byte_insert, byte_delete, byte_truncate],
    "line": [line_duplicate, line_delete, line_swap, line_repeat, line_splice_same, line_splice_other],
    "token": [token_corpus, token_huge_number, token_special, token_long, token_ipv6_zone, token_nest],
}
MUTATORS: list[Mutator] = [m for ms in FAMILIES.values() for m in ms]


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    platform: str
    seed: int  # the base seed of the run
    index: int  # the input's number in the run
    source: str  # corpus file and window the input started from
    chain: tuple[str, ...]  # the mutations applied, in order
    data: bytes

    @property
    def name(self) -> str:
        return f"{self.platform}-{self.index}.{EXTENSIONS[self.platform]}"

    def describe(self) -> str:
        return (f"platform {self.platform}, seed {self.seed}, index {self.index}, from {self.source}, "
                f"mutations: {' | '.join(self.chain)}")

    def regenerate_command(self) -> str:
        return (f"python3 -m tests.fuzzing --platform {self.platform} --seed {self.seed} "
                f"--index {self.index} -o {self.name}")


def window(rng: random.Random, data: bytes, max_lines: int = MAX_SEED_LINES) -> tuple[bytes, int, int]:
    """At most max_lines consecutive lines of data, from a random start: (bytes, first, last),
    lines numbered from 1."""
    lines = _lines(data)
    if len(lines) <= max_lines:
        return data, 1, len(lines)
    start = rng.randrange(len(lines) - max_lines + 1)
    return _join(lines[start:start + max_lines]), start + 1, start + max_lines


def mutate(rng: random.Random, data: bytes, ctx: Context, steps: int) -> tuple[bytes, tuple[str, ...]]:
    """Apply `steps` random mutations; when they happen to give back the input (a swap of two
    equal lines, a token replaced by itself), a few more are tried so the input does change."""
    chain: list[str] = []
    out = data
    for _ in range(steps):
        out, what = rng.choice(MUTATORS)(rng, out, ctx)
        chain.append(what)
    for _ in range(5):
        if out != data:
            break
        out, what = rng.choice(MUTATORS)(rng, out, ctx)
        chain.append(what)
    return out, tuple(chain)


def make_case(corpus: Corpus, platform: str, seed: int, index: int) -> Case:
    """The index-th input of a run with this base seed: a pure function of its arguments."""
    rng = random.Random(f"fwlint-fuzz:{platform}:{seed}:{index}")
    source = rng.choice(corpus.files[platform])
    data, first, last = window(rng, source.data)
    out, chain = mutate(rng, data, Context(corpus, platform), rng.randint(1, MAX_CHAIN))
    return Case(platform, seed, index, f"{source.name} lines {first}-{last}", chain, out)


def cases(corpus: Corpus, platform: str, seed: int, count: int) -> Iterator[Case]:
    for index in range(count):
        yield make_case(corpus, platform, seed, index)


# --------------------------------------------------------------------------- command line


def _main(argv: list[str] | None = None) -> int:
    """Rebuild one input of a run (the reproducer a failing fuzz test prints)."""
    from .shared import SHARED

    ap = argparse.ArgumentParser(prog="python3 -m tests.fuzzing", description=_main.__doc__)
    ap.add_argument("--platform", required=True, choices=sorted(PLATFORM_DIRS))
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--index", type=int, required=True)
    ap.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    ap.add_argument("-o", "--output", type=Path, help="where to write the input [default: its name, here]")
    args = ap.parse_args(argv)
    case = make_case(load_corpus(args.corpus), args.platform, args.seed, args.index)
    out = args.output or Path(case.name)
    out.write_bytes(case.data)
    print(f"{out}: {case.describe()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
