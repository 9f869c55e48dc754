"""Hostile pf.conf input (issue 11): every bound of linter/limits.py that pf has, one case each.

Each input is generated. Each test runs the command line as CI does (`check --format json`),
within a generous time budget against hangs, and asserts: the located diagnostic (file, line,
code), the exit code (a crossed bound is an error finding of FW007: exit 1), no traceback, and
that the rest of the file is still analysed: every file starts with `block all` and ends with
`pass in on em0 all`, so a lost `block all` shows as FW004 and the last rule must give FW003.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter import limits
from linter import model as m
from linter.cli import main
from linter.platforms import pf

# seconds one input may take (they took minutes, or exhausted memory, before the bounds)
BUDGET = 60.0
BOUND_CODES = ("expansion-limit", "nesting-limit")
HEAD = "block all\n"
TAIL = "pass in on em0 all\n"


# --------------------------------------------------------------------------- helpers


def write(folder: Path, name: str, text: str) -> Path:
    p = folder / name
    p.write_text(text)
    return p


def lint(path: Path) -> tuple[int, dict]:
    """fwlint's exit code and JSON report for one file, within the budget."""
    start = time.monotonic()
    r = CliRunner().invoke(main, ["check", "--format", "json", str(path)], catch_exceptions=False)
    elapsed = time.monotonic() - start
    assert elapsed < BUDGET, f"{path.name}: {elapsed:.1f} s"
    assert "Traceback" not in r.output
    return r.exit_code, json.loads(r.stdout)


def diagnostics(report: dict, code: str) -> list[tuple[str, int]]:
    return [(Path(d["path"]).name, d["line"]) for d in report["diagnostics"] if d["code"] == code]


def assert_located(report: dict, name: str, line: int, code: str) -> None:
    """A diagnostic with that code at that file and line; a crossed bound is an FW007 error there."""
    assert (name, line) in diagnostics(report, code), (name, line, code, report["diagnostics"][:5])
    if code in BOUND_CODES:
        assert any(f["id"] == "FW007" and f["severity"] == "error" and Path(f["location"]["path"]).name == name
                   and f["location"]["line"] == line for f in report["findings"]), (name, line)


def assert_rest_analysed(report: dict, pass_line: int, name: str = "pf.conf") -> None:
    """`block all` at the top was seen (no FW004) and the last rule was analysed (FW003)."""
    ids = [(f["id"], Path(f["location"]["path"]).name, f["location"]["line"]) for f in report["findings"]]
    assert not any(i == "FW004" for i, _, _ in ids), ids
    assert ("FW003", name, pass_line) in ids, ids
    assert not diagnostics(report, "internal")


def lines_of(text: str) -> int:
    return text.count("\n")


# --------------------------------------------------------------------------- macros


def _first_definition_over_the_bound(first_len: int) -> int:
    """k of the first `m{k} = $m{k-1} $m{k-1}` whose expansion crosses MAX_MACRO_BYTES, when
    m0 is first_len bytes: each use costs its value's length plus one, counted as it grows."""
    length, k = first_len, 0
    while True:
        k += 1
        if 2 * (length + 1) > limits.MAX_MACRO_BYTES:
            return k
        length = 2 * length + 1


def test_macros_that_double_at_each_definition(tmp_path: Path) -> None:
    # `b = $a $a` expands where it is defined (pfctl's lexer): thirty levels is 2**31 words
    text = HEAD + 'm0 = "10.0.0.1 10.0.0.2"\n' + "".join(f"m{i} = $m{i - 1} $m{i - 1}\n" for i in range(1, 31))
    text += "pass in proto tcp from { $m30 } to any port 22\n" + TAIL
    conf = write(tmp_path, "pf.conf", text)
    code, report = lint(conf)
    assert code == 1
    k = _first_definition_over_the_bound(len("10.0.0.1 10.0.0.2"))
    # the definition that crosses the bound, each later one (they use a refused macro), the rule
    expected = [("pf.conf", 2 + i) for i in range(k, 31)] + [("pf.conf", 33)]
    assert diagnostics(report, "expansion-limit") == expected
    for name, line in expected:
        assert_located(report, name, line, "expansion-limit")
    assert_rest_analysed(report, 34)


def test_macros_that_double_at_each_use_sixty_levels(tmp_path: Path) -> None:
    # a quoted value is expanded where it is used: 2**60 words if nothing stopped it
    text = HEAD + 'm0 = "10.0.0.1 10.0.0.2"\n' + "".join(f'm{i} = "$m{i - 1} $m{i - 1}"\n' for i in range(1, 61))
    text += "pass in proto tcp from { $m60 } to any port 22\n" + TAIL
    conf = write(tmp_path, "pf.conf", text)
    code, report = lint(conf)
    assert code == 1
    assert diagnostics(report, "expansion-limit") == [("pf.conf", 63)]
    assert_located(report, "pf.conf", 63, "expansion-limit")
    d = next(d for d in report["diagnostics"] if d["code"] == "expansion-limit")
    assert d["column"] == text.splitlines()[62].index("$m60") + 1 and "MAX_MACRO_BYTES" in d["message"]
    assert_rest_analysed(report, 64)


def test_the_expansion_is_bounded_as_it_grows(monkeypatch: pytest.MonkeyPatch) -> None:
    # the lexer never pushes more macro text than the bound, whatever the nesting promises
    pushed: list[int] = []
    original = pf.lexer.PfLexer.push_macro

    def counting(self, src):
        pushed.append(len(src.text) + 1)
        original(self, src)

    monkeypatch.setattr(pf.lexer.PfLexer, "push_macro", counting)
    text = 'm0 = "x"\n' + "".join(f'm{i} = "$m{i - 1} $m{i - 1}"\n' for i in range(1, 61)) + "pass from $m60\n"
    d = pf.parse("pf.conf", text.encode())
    assert sum(pushed) <= limits.MAX_MACRO_BYTES
    assert [(x.code, x.origin.line) for x in d.diagnostics if x.code == "expansion-limit"] == [("expansion-limit", 62)]


def test_a_chain_of_twenty_thousand_nested_macros(tmp_path: Path) -> None:
    # `m1 = "$m0"`, `m2 = "$m1"`, ...: each use one step, whatever the depth of the chain
    n = 20_000
    text = HEAD + 'm0 = "10.0.0.1"\n' + "".join(f'm{i} = "$m{i - 1}"\n' for i in range(1, n))
    text += f"pass in proto tcp from $m{n - 1} to any port 22\n" + TAIL
    conf = write(tmp_path, "pf.conf", text)
    code, report = lint(conf)
    assert code == 1
    assert diagnostics(report, "expansion-limit") == [("pf.conf", n + 2)]
    assert_located(report, "pf.conf", n + 2, "expansion-limit")
    assert_rest_analysed(report, n + 3)


def test_a_macro_longer_than_the_bound_is_refused_where_defined_and_where_used(tmp_path: Path) -> None:
    words = " ".join(f"10.{i // 256 % 256}.{i % 256}.1" for i in range(limits.MAX_MACRO_BYTES // 8))
    assert len(words) > limits.MAX_MACRO_BYTES
    text = HEAD + f'big = "{words}"\npass in proto tcp from $big to any port 22\nok = "10.0.0.1"\n'
    text += "pass in proto tcp from $ok to any port 25\n" + TAIL
    conf = write(tmp_path, "pf.conf", text)
    code, report = lint(conf)
    assert code == 1
    assert diagnostics(report, "expansion-limit") == [("pf.conf", 2), ("pf.conf", 3)]
    assert_located(report, "pf.conf", 3, "expansion-limit")
    assert_rest_analysed(report, 6)
    # the rule with the small macro is in the model
    d = pf.parse(str(conf), conf.read_bytes())
    assert 5 in [r.origin.line for r in d.filters[0].rules]


def test_many_uses_of_a_large_macro_stop_at_the_total_bound(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # the bound of a configuration, scaled down so that the test reads few addresses
    words = " ".join(f"10.0.{i // 250}.{i % 250 + 1}" for i in range(500))
    monkeypatch.setattr(limits, "MAX_MACRO_BYTES_TOTAL", 10 * (len(words) + 1) + 1)
    text = HEAD + f'big = "{words}"\n' + "".join(
        f"pass in proto tcp from {{ $big }} to any port {1000 + i}\n" for i in range(20)) + TAIL
    conf = write(tmp_path, "pf.conf", text)
    code, report = lint(conf)
    assert code == 1
    # ten uses fit; the eleventh and later statements are refused, each at its `$big`
    assert diagnostics(report, "expansion-limit") == [("pf.conf", 3 + i) for i in range(10, 20)]
    assert "MAX_MACRO_BYTES_TOTAL" in report["diagnostics"][0]["message"]
    assert_rest_analysed(report, 23)


# --------------------------------------------------------------------------- lists


def test_cross_product_of_three_lists_of_a_thousand(tmp_path: Path) -> None:
    a = " ".join(f"10.{i // 250}.{i % 250}.1" for i in range(1000))
    b = " ".join(f"192.168.{i // 250}.{i % 250}" for i in range(1000))
    p = " ".join(str(1000 + i) for i in range(1000))
    text = HEAD + f"pass in proto tcp from {{ {a} }} to {{ {b} }} port {{ {p} }}\n" + TAIL
    conf = write(tmp_path, "pf.conf", text)
    code, report = lint(conf)
    assert code == 1
    assert_located(report, "pf.conf", 2, "expansion-limit")
    msg = next(d["message"] for d in report["diagnostics"] if d["code"] == "expansion-limit")
    assert "1000000000 rules" in msg and "MAX_RULES_PER_STATEMENT" in msg and "not modelled" in msg
    assert_rest_analysed(report, 3)


def test_cross_product_of_lists_from_macros(tmp_path: Path) -> None:
    a = " ".join(f"10.{i // 250}.{i % 250}.1" for i in range(1000))
    p = " ".join(str(1000 + i) for i in range(1000))
    text = HEAD + f'src = "{{ {a} }}"\nports = "{{ {p} }}"\n'
    text += "pass in proto { tcp udp } from $src to $src port $ports\n" + TAIL
    conf = write(tmp_path, "pf.conf", text)
    code, report = lint(conf)
    assert code == 1
    assert_located(report, "pf.conf", 4, "expansion-limit")
    assert_rest_analysed(report, 5)


def test_rules_of_a_configuration_stop_at_the_total_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_RULES_TOTAL", 1000)
    hosts = " ".join(f"10.0.0.{i}" for i in range(1, 21))
    text = HEAD + "".join(f"pass in proto tcp from {{ {hosts} }} to {{ {hosts} }} port {1000 + i}\n"
                          for i in range(4)) + TAIL  # 400 rules each
    conf = write(tmp_path, "pf.conf", text)
    code, report = lint(conf)
    assert code == 1
    assert diagnostics(report, "expansion-limit") == [("pf.conf", 4), ("pf.conf", 5)]
    assert "MAX_RULES_TOTAL" in report["diagnostics"][0]["message"]
    assert_rest_analysed(report, 6)


@pytest.mark.slow
def test_a_table_with_an_enormous_inline_list(tmp_path: Path) -> None:
    n = limits.MAX_TABLE_ENTRIES + 50_000
    addrs = " ".join(f"10.{(2 * i) >> 16 & 255}.{(2 * i) >> 8 & 255}.{(2 * i) & 255}" for i in range(n))
    text = HEAD + f"table <big> {{ {addrs} }}\npass in proto tcp from <big> to any port 22\n" + TAIL
    conf = write(tmp_path, "pf.conf", text)
    code, report = lint(conf)
    assert code == 1
    assert_located(report, "pf.conf", 2, "expansion-limit")
    assert "MAX_TABLE_ENTRIES" in report["diagnostics"][0]["message"]
    assert_rest_analysed(report, 4)
    # the rule that uses it is analysed, with the table as an unknown set of addresses
    d = pf.parse(str(conf), conf.read_bytes())
    (rule,) = [r for r in d.filters[0].rules if r.origin.line == 3 and not r.synthetic]
    assert any(isinstance(c, m.Opaque) and c.key == "table <big> src" for c in rule.match.conds)


def test_a_statement_longer_than_any_list_is_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # scaled down: past MAX_STATEMENT_TOKENS the statement is read to its end, keeping nothing
    monkeypatch.setattr(limits, "MAX_STATEMENT_TOKENS", 1000)
    kept: list[int] = []
    original = pf.reader.Reader.statement

    def watching(self, st):
        kept.append(len(st.tokens))
        original(self, st)

    monkeypatch.setattr(pf.reader.Reader, "statement", watching)
    addrs = " ".join(f"10.0.{i // 250}.{i % 250 + 1}" for i in range(5000))
    text = HEAD + f"table <big> {{ {addrs} }}\npass in proto tcp from <big> to any port 22\n" + TAIL
    conf = write(tmp_path, "pf.conf", text)
    code, report = lint(conf)
    assert code == 1 and max(kept) <= 1000
    assert_located(report, "pf.conf", 2, "expansion-limit")
    assert "MAX_STATEMENT_TOKENS" in report["diagnostics"][0]["message"]
    assert_rest_analysed(report, 4)


def test_braces_nested_ten_thousand_deep(tmp_path: Path) -> None:
    n = 10_000
    line = "pass in proto tcp from " + "{ " * n + "10.0.0.1" + " }" * n + " to any port 22\n"
    conf = write(tmp_path, "pf.conf", HEAD + line + TAIL)
    code, report = lint(conf)
    assert code == 1
    assert_located(report, "pf.conf", 2, "nesting-limit")
    d = next(d for d in report["diagnostics"] if d["code"] == "nesting-limit")
    # at the first brace past the bound
    assert d["column"] == len("pass in proto tcp from ") + 2 * limits.MAX_LIST_DEPTH + 1
    assert_rest_analysed(report, 3)


def test_parentheses_nested_ten_thousand_deep(tmp_path: Path) -> None:
    n = 10_000
    text = HEAD + "altq on em0 cbq bandwidth 10Mb queue { q1 }\nqueue q1 cbq" + "(" * n + "default" + ")" * n
    conf = write(tmp_path, "pf.conf", text + "\n" + TAIL)
    code, report = lint(conf)
    assert code == 1
    assert_located(report, "pf.conf", 3, "nesting-limit")
    assert_rest_analysed(report, 4)


def test_lists_nested_through_macros(tmp_path: Path) -> None:
    # `l1 = "{ $l0 }"` is expanded where it is used (with a nested-macro error: pfctl would not):
    # each level adds a brace
    levels = limits.MAX_LIST_DEPTH + 10
    text = HEAD + 'l0 = "10.0.0.1"\n' + "".join(f'l{i} = "{{ $l{i - 1} }}"\n' for i in range(1, levels + 1))
    text += f"pass in proto tcp from $l{levels} to any port 22\n" + TAIL
    conf = write(tmp_path, "pf.conf", text)
    code, report = lint(conf)
    assert code == 1
    assert_located(report, "pf.conf", 3 + levels, "nesting-limit")
    assert_rest_analysed(report, 4 + levels)


def test_lists_at_the_bound_are_read(tmp_path: Path) -> None:
    # the bound is safe: lists exactly MAX_LIST_DEPTH deep go through lark and the walks
    n = limits.MAX_LIST_DEPTH
    line = "pass in proto tcp from " + "{ " * n + "10.0.0.1 10.0.0.2" + " }" * n + " to any port 22\n"
    d = pf.parse("pf.conf", (HEAD + line).encode())
    assert not [x for x in d.diagnostics if x.severity != "note"]
    (rule,) = [r for r in d.filters[0].rules if r.origin.line == 2 and not r.synthetic]
    assert m.AddrCond(m.SRC, ((4, 0x0A000001, 0x0A000002),)) in rule.match.conds


def test_lark_never_receives_a_statement_nested_past_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    # every construct that nests, written directly or through macros, braces and parentheses mixed
    deepest: list[int] = []
    real = pf._parser()

    class Watching:
        def parse(self, toks):
            depth = top = 0
            for t in toks:
                depth += t.type in ("LBRACE", "LPAREN")
                depth -= t.type in ("RBRACE", "RPAREN")
                top = max(top, depth)
            deepest.append(top)
            return real.parse(toks)

    monkeypatch.setattr(pf.reader, "parser", lambda: Watching())
    n = 5_000
    text = "\n".join([
        "pass from " + "{ " * n + "10.0.0.1" + " }" * n,
        "pass from " + "{ (" * n + "em0" + ") }" * n,
        'deep = "' + "{ " * n + '10.0.0.1' + " }" * n + '"',
        "pass from $deep",
        "altq on em0 cbq bandwidth 10Mb queue { q1 }",
        "queue q1 cbq" + "(" * n + "default" + ")" * n,
        "table <t> {" + "{ " * n + "10.0.0.1" + " }" * n + "}",
        "pass out all",
    ]) + "\n"
    d = pf.parse("pf.conf", text.encode())
    assert deepest and max(deepest) <= limits.MAX_LIST_DEPTH
    assert sorted({x.origin.line for x in d.diagnostics if x.code == "nesting-limit"}) == [1, 2, 4, 6, 7]
    assert not [x for x in d.diagnostics if x.code == "internal"]


# --------------------------------------------------------------------------- anchors


def test_anchors_nested_a_thousand_deep_inline(tmp_path: Path) -> None:
    n = 1000
    text = HEAD + "".join(f"anchor a{i} {{\npass in proto tcp to any port {1000 + i}\n" for i in range(n))
    text += "}\n" * n + TAIL
    conf = write(tmp_path, "pf.conf", text)
    code, report = lint(conf)
    assert code == 1
    # the anchor 64 deep (a63) is refused; its body, and all the deeper ones, are not analysed
    depth = limits.MAX_ANCHOR_DEPTH
    assert diagnostics(report, "nesting-limit") == [("pf.conf", 2 + 2 * (depth - 1))]
    assert_located(report, "pf.conf", 2 + 2 * (depth - 1), "nesting-limit")
    assert_rest_analysed(report, lines_of(text))
    # the rules of the 63 anchors above it are in the model, each with its anchor path
    d = pf.parse(str(conf), conf.read_bytes())
    anchors = [r.anchor for r in d.filters[0].rules if r.anchor]
    assert len(anchors) == depth - 1 and anchors[-1].count("/") == depth - 2
    assert d.stats[0].lines_read - d.stats[0].lines_understood == 2 * (n - depth + 1)


def test_an_anchor_path_a_thousand_names_deep(tmp_path: Path) -> None:
    path = "/".join(f"a{i}" for i in range(1000))
    text = HEAD + f'anchor "{path}" {{\npass in proto tcp to any port 22\n}}\nanchor "x/y" {{\n'
    text += "pass in proto tcp to any port 25\n}\n" + TAIL
    conf = write(tmp_path, "pf.conf", text)
    code, report = lint(conf)
    assert code == 1
    assert_located(report, "pf.conf", 2, "nesting-limit")
    assert_rest_analysed(report, 8)
    d = pf.parse(str(conf), conf.read_bytes())
    assert [r.anchor for r in d.filters[0].rules if r.anchor] == ["x/y"]


def test_load_anchor_chain_a_thousand_files_deep(tmp_path: Path) -> None:
    n = 1000
    conf = write(tmp_path, "pf.conf", HEAD + 'anchor a0\nload anchor a0 from "a0.conf"\n' + TAIL)
    for i in range(n):
        write(tmp_path, f"a{i}.conf",
              f'pass in proto tcp to any port {1000 + i}\nanchor a{i + 1}\nload anchor a{i + 1} from "a{i + 1}.conf"\n')
    code, report = lint(conf)
    assert code == 1
    last = limits.MAX_ANCHOR_DEPTH - 2  # a62.conf names a63, 64 deep: refused, and not loaded
    assert diagnostics(report, "nesting-limit") == [(f"a{last}.conf", 2), (f"a{last}.conf", 3)]
    assert_located(report, f"a{last}.conf", 2, "nesting-limit")
    assert_rest_analysed(report, 4)
    # pf.conf and the files of the 63 anchors, not the thousand
    assert len(report["summary"]["files"]) == limits.MAX_ANCHOR_DEPTH


def test_anchors_calling_anchors_by_absolute_path(tmp_path: Path) -> None:
    # each name is one level deep, but each call is one more anchor on pf's stack
    n = 100
    conf = write(tmp_path, "pf.conf", HEAD + 'anchor x0\nload anchor x0 from "x0.conf"\n' + TAIL)
    for i in range(n):
        write(tmp_path, f"x{i}.conf",
              f'pass in proto tcp to any port {1000 + i}\nanchor "/x{i + 1}"\nload anchor "/x{i + 1}" from "x{i + 1}.conf"\n')
    write(tmp_path, f"x{n}.conf", "pass in proto tcp to any port 9\n")
    code, report = lint(conf)
    assert code == 1
    last = limits.MAX_ANCHOR_DEPTH - 2
    assert diagnostics(report, "nesting-limit") == [(f"x{last}.conf", 2)]
    assert_located(report, f"x{last}.conf", 2, "nesting-limit")
    assert_rest_analysed(report, 4)
    d = pf.parse(str(conf), conf.read_bytes())
    assert len([r for r in d.filters[0].rules if r.anchor]) == limits.MAX_ANCHOR_DEPTH - 1


# --------------------------------------------------------------------------- includes


def test_a_file_that_includes_itself(tmp_path: Path) -> None:
    write(tmp_path, "a.conf", 'include "a.conf"\npass in proto tcp to any port 22\n')
    conf = write(tmp_path, "pf.conf", HEAD + 'include "a.conf"\n' + TAIL)
    code, report = lint(conf)
    assert code == 1
    assert_located(report, "a.conf", 1, "include-loop")
    assert_rest_analysed(report, 3)


def test_two_files_that_include_each_other(tmp_path: Path) -> None:
    write(tmp_path, "a.conf", 'include "b.conf"\n')
    write(tmp_path, "b.conf", 'include "a.conf"\n')
    conf = write(tmp_path, "pf.conf", HEAD + 'include "a.conf"\n' + TAIL)
    code, report = lint(conf)
    assert code == 1
    assert diagnostics(report, "include-loop") == [("b.conf", 1)]
    assert_rest_analysed(report, 3)


def test_includes_a_thousand_deep(tmp_path: Path) -> None:
    for i in range(1000):
        write(tmp_path, f"i{i}.conf", f'include "i{i + 1}.conf"\n')
    conf = write(tmp_path, "pf.conf", HEAD + 'include "i0.conf"\n' + TAIL)
    code, report = lint(conf)
    assert code == 1
    last = limits.MAX_INCLUDE_DEPTH - 1
    assert diagnostics(report, "nesting-limit") == [(f"i{last}.conf", 1)]
    assert_located(report, f"i{last}.conf", 1, "nesting-limit")
    assert_rest_analysed(report, 3)
    # pf.conf and the 16 it includes, not the thousand
    assert len(report["summary"]["files"]) == 1 + limits.MAX_INCLUDE_DEPTH


def test_includes_that_double_at_each_level(tmp_path: Path) -> None:
    # no loop: each file includes the next one twice, 2**30 reads if nothing stopped it
    for i in range(30):
        write(tmp_path, f"d{i}.conf", f'include "d{i + 1}.conf"\ninclude "d{i + 1}.conf"\n')
    write(tmp_path, "d30.conf", "pass in proto tcp to any port 22\n")
    conf = write(tmp_path, "pf.conf", HEAD + 'include "d0.conf"\n' + TAIL)
    code, report = lint(conf)
    assert code == 1
    refused = diagnostics(report, "expansion-limit")
    assert refused and all(name.startswith("d") for name, _ in refused)
    assert_located(report, *refused[0], "expansion-limit")
    assert "MAX_INCLUDED_FILES" in next(d["message"] for d in report["diagnostics"] if d["code"] == "expansion-limit")
    assert_rest_analysed(report, 3)


# --------------------------------------------------------------------------- addresses


def test_scoped_ipv6_address(tmp_path: Path) -> None:
    text = HEAD + "pass in inet6 proto tcp from fe80::1%em0 to any port 22\n" + TAIL
    conf = write(tmp_path, "pf.conf", text)
    code, report = lint(conf)
    assert code == 1  # FW003 on the last line
    assert_located(report, "pf.conf", 2, "approximate")
    d = next(d for d in report["diagnostics"] if d["code"] == "approximate")
    assert d["column"] == text.splitlines()[1].index("fe80::1%em0") + 1
    assert "%em0" in d["message"] and d["construct"] == "scoped address"
    assert_rest_analysed(report, 3)
    # the address is modelled (the scope is the documented approximation)
    dev = pf.parse(str(conf), conf.read_bytes())
    (rule,) = [r for r in dev.filters[0].rules if r.origin.line == 2 and not r.synthetic]
    assert m.AddrCond(m.SRC, ((6, 0xFE80 << 112 | 1, 0xFE80 << 112 | 1),)) in rule.match.conds


def test_scoped_ipv6_address_in_a_table_and_a_bad_scope(tmp_path: Path) -> None:
    text = HEAD + "table <ll> { fe80::1%em0 fe80::2 }\npass in inet6 from <ll>\npass in inet6 from fe80::1%\n" + TAIL
    conf = write(tmp_path, "pf.conf", text)
    code, report = lint(conf)
    assert code == 1
    assert_located(report, "pf.conf", 2, "approximate")
    assert_located(report, "pf.conf", 4, "invalid")  # an empty scope is not an address
    assert_rest_analysed(report, 5)


def test_two_problems_at_one_place_are_both_reported():
    """FW007 keeps one result per place and message, not per place: a bound crossed at the
    same `$` as another problem is not hidden behind it."""
    from linter import model as m
    from linter.checks import _once_per_rule
    from linter.findings import Result

    o = m.Origin("pf.conf", 3, 7, "pass in to $c")
    dev = m.Device(name="pf.conf", platform="pf", sources=("pf.conf",), filters=(), bindings=(), alterations=(),
                   diagnostics=(), stats=(), family=None)
    results = [Result(o, "macro c is nested in itself", context="macro"),
               Result(o, "macro c expands past the bound", context="macro"),
               Result(o, "macro c expands past the bound", context="macro")]
    assert [r.message for r in _once_per_rule(dev, results)] == ["macro c is nested in itself",
                                                                  "macro c expands past the bound"]
