"""The lark glue of pf: a statement's tokens (from the lexer) fed to the LALR grammar
(grammars/pf.lark) through `common.lark_glue.IndexLexer`, and the way back from the parse
tree to the tokens (their indices).

Layer: platforms/pf.
"""

from __future__ import annotations

from functools import lru_cache

from lark import Lark, Token, Tree

from ... import limits, parsers
from ..common.lark_glue import IndexLexer, token_index
from .lexer import Tok


@lru_cache(maxsize=1)
def parser() -> Lark:
    return parsers.lalr("pf.lark", lexer=IndexLexer)


def token_at(toks: list[Tok], t: Token) -> Tok:
    """The statement's token that a parse tree's token stands for."""
    return toks[token_index(t)]


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
