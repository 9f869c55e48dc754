"""linter.platforms.common: the pieces every platform reader shares (their contracts)."""

from __future__ import annotations

import pytest

from linter import model as m
from linter import parsers
from linter.platforms.common import addresses, decoding, ports
from linter.platforms.common.diagnostics import BadValue, Diagnostics, SyntaxFailure
from linter.platforms.common.lark_glue import IndexLexer, parse_tokens, token_index


# ------------------------------------------------------------------ diagnostics

def test_a_note_leaves_its_line_understood_and_a_warning_does_not() -> None:
    d = Diagnostics("f")
    d.report(3, 2, "x", "note", "approximate", "read as ...")
    d.report(5, 1, "y", "warning", "invalid", "bad")
    d.report(7, 1, "z", "warning", "encoding", "byte", understood=True)
    assert d.bad_lines() == {5}
    assert [x.origin for x in d.items] == [m.Origin("f", 3, 2, "x"), m.Origin("f", 5, 1, "y"),
                                           m.Origin("f", 7, 1, "z")]
    d.report(1, 1, "", "error", "syntax", "in an included file", path="g")
    assert d.bad_lines("g") == {1} and d.items[-1].origin.path == "g"


def test_long_messages_are_cut_and_diagnostics_sort_by_position() -> None:
    d = Diagnostics("f", max_text=10)
    d.report(2, 5, "", "error", "syntax", "x" * 50, construct="y" * 50)
    d.report(2, 1, "", "error", "syntax", "short")
    assert d.items[0].message == "x" * 7 + "..." and d.items[0].construct == "y" * 7 + "..."
    assert [x.origin.column for x in d.sorted()] == [1, 5]


def test_the_cap_per_line_says_so_once_and_still_counts_the_line() -> None:
    d = Diagnostics("f", per_line=(2, "MAX_X"))
    for _ in range(5):
        d.report(4, 1, "t", "warning", "invalid", "w")
    assert [x.code for x in d.items] == ["invalid", "invalid", "too-many-problems"]
    assert "more than 2 problems on this line" in d.items[-1].message and "MAX_X" in d.items[-1].message
    d.restart_line_count()
    d.report(4, 1, "t", "error", "jump-loop", "never left out")
    assert d.items[-1].code == "jump-loop"


# ------------------------------------------------------------------ lark glue

def _ipt():
    return parsers.lalr("iptables.lark", lexer=IndexLexer)


def test_classified_words_parse_and_tokens_know_their_index() -> None:
    tree = parse_tokens(_ipt(), ("APPEND", "WORD", "JUMP", "WORD"))
    assert [token_index(t) for t in tree.scan_values(lambda v: True)] == [0, 1, 2, 3]


def test_a_syntax_error_is_one_value_with_its_position() -> None:
    with pytest.raises(SyntaxFailure) as e:
        parse_tokens(_ipt(), ("APPEND", "JUMP"))
    assert (e.value.index, e.value.at_end, e.value.token_type) == (1, False, "JUMP")
    assert "WORD" in e.value.expected
    with pytest.raises(SyntaxFailure) as e:
        parse_tokens(_ipt(), ("APPEND",))
    assert (e.value.index, e.value.at_end) == (1, True)


def test_tokens_with_type_and_value_keep_them() -> None:
    class Tok:
        def __init__(self, type_, value, col):
            self.type, self.value, self.col = type_, value, col

    toks = list(IndexLexer(None).lex([Tok("WORD", "x", 7)]))
    assert (toks[0].type, toks[0].value, toks[0].start_pos, toks[0].column) == ("WORD", "x", 0, 7)


# ------------------------------------------------------------------ decoding

def test_decoding_reports_the_first_bad_byte_of_each_line() -> None:
    text, bad = decoding.decode_utf8(b"ok\n\xc3\xa9\xff x\nend")
    assert text == "ok\n\u00e9\ufffd x\nend"
    assert bad == [decoding.BadByte(2, 2, 0xFF, "\u00e9\ufffd x")]
    assert decoding.decode_utf8(b"fine\n") == ("fine\n", [])


def test_decoded_lines_drop_cr_and_the_empty_last_line() -> None:
    assert list(decoding.decoded_lines(b"a\r\nb\n")) == [("a", None), ("b", None)]
    lines = list(decoding.decoded_lines(b"a\r\n\xffb\n"))
    assert lines == [("a", None), ("\ufffdb", decoding.BadByte(2, 1, 0xFF, "\ufffdb"))]
    assert decoding.looks_binary(b"x\x00y") and not decoding.looks_binary(b"xy")


# ------------------------------------------------------------------ ports

@pytest.mark.parametrize("op,vals,want", [
    ("eq", [80], ((80, 80),)),
    ("eq", [443, 80, 81], ((80, 81), (443, 443))),
    ("neq", [80], ((0, 79), (81, 65535))),
    ("neq", [0], ((1, 65535),)),
    ("lt", [1024], ((0, 1023),)),
    ("lt", [0], ()),
    ("gt", [1023], ((1024, 65535),)),
    ("gt", [65535], ()),
    ("range", [10, 20], ((10, 20),)),
    ("range", [20, 10], ()),
])
def test_port_operators(op, vals, want) -> None:
    assert ports.operator_ranges(op, vals) == want
    assert ports.operator_condition(m.DPORT, op, vals) == m.IntCond(m.DPORT, want)


@pytest.mark.parametrize("op,vals", [("lt", [1, 2]), ("range", [1]), ("eq", []), ("le", [1])])
def test_port_operators_refuse_a_wrong_arity(op, vals) -> None:
    with pytest.raises(ValueError):
        ports.operator_ranges(op, vals)


def test_port_spans_and_names() -> None:
    assert ports.port_span("22", "tcp") == (22, 22)
    assert ports.port_span("ssh", "tcp") == (22, 22)
    assert ports.port_span(":1023", "tcp") == (0, 1023)
    assert ports.port_span("1024:", "udp") == (1024, 65535)
    for bad in ("70000", "nosuchservice", "20:10"):
        with pytest.raises(BadValue):
            ports.port_span(bad, "tcp")
    assert ports.complement(((0, 10), (20, 65535))) == ((11, 19),)


# ------------------------------------------------------------------ addresses

def test_addresses_netmasks_and_prefixes() -> None:
    assert addresses.ipv4_value("10.0.0.1") == 0x0A000001
    for bad in ("10.0.1", "256.0.0.1", "1.2.3.0001", "a.b.c.d"):
        assert addresses.ipv4_value(bad) is None
    assert addresses.address_value("::1") == (6, 1)
    assert addresses.address_value("fe80::1%eth0") is None
    assert addresses.netmask_length(0xFFFFFF00) == 24
    assert addresses.netmask_length(0xFF00FF00) is None
    assert addresses.prefix_mask(8, 4) == 0xFF000000 and addresses.prefix_mask(0, 6) == 0
    assert addresses.masked_range(4, 0x0A0000FF, 0xFF000000) == (4, 0x0A000000, 0x0AFFFFFF)
    assert addresses.prefix_range("10.1.2.3/8") == (4, 0x0A000000, 0x0AFFFFFF)
    assert addresses.prefix_range("2001:db8::/32")[0] == 6
    assert addresses.prefix_range("fe80::/10%eth0") is None
    assert addresses.prefix_range("nonsense") is None
