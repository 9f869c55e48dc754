"""The lark glue of pf: a statement's tokens (from the lexer) fed to the LALR grammar
(grammars/pf.lark), and the way back from the parse tree to the tokens (their positions).

Layer: platforms/pf.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Iterator

from lark import Lark, Token, Tree
from lark.lexer import Lexer

from ... import limits, parsers
from .lexer import Tok


class StatementTokens(Lexer):
    """Feeds the parser the statement's tokens; a token's start_pos is its index."""

    def __init__(self, _lexer_conf) -> None:  # lark's interface: the configuration is not needed
        pass

    def lex(self, data) -> Iterator[Token]:  # type: ignore[override]
        for i, t in enumerate(data):
            yield Token(t.type, t.value, start_pos=i, line=t.line, column=t.col)


@lru_cache(maxsize=1)
def parser() -> Lark:
    return parsers.lalr("pf.lark", lexer=StatementTokens)


def token_at(toks: list[Tok], t: Token) -> Tok:
    """The statement's token that a parse tree's token stands for."""
    return toks[t.start_pos]


def first_token(node: Tree | Token, toks: list[Tok]) -> Tok:
    """The statement's token where a part of the parse tree starts."""
    if isinstance(node, Token):
        return token_at(toks, node)
    for t in node.scan_values(lambda v: isinstance(v, Token)):
        return token_at(toks, t)
    return toks[0]


def is_macro_definition(toks: list[Tok]) -> bool:
    return len(toks) >= 2 and toks[0].type == "STRING" and not toks[0].quoted and toks[1].type == "EQ"


def first_too_deep(toks: list[Tok]) -> Tok | None:
    """The first `{` or `(` nested deeper than MAX_LIST_DEPTH, if any (one pass, no recursion)."""
    depth = 0
    for t in toks:
        if t.type in ("LBRACE", "LPAREN"):
            depth += 1
            if depth > limits.MAX_LIST_DEPTH:
                return t
        elif t.type in ("RBRACE", "RPAREN") and depth > 0:
            depth -= 1
    return None


def join_tokens(node) -> str:
    """The tokens of a parse tree as pf.conf text (no blanks inside <table>, a/b, (x))."""
    out = ""
    prev = ""
    for t in node.scan_values(lambda v: isinstance(v, Token)):
        v = t.value
        if out and prev not in ("<", "(", "/", "!") and v not in (">", ")", ",", "/"):
            out += " "
        out += v
        prev = v
    return out
