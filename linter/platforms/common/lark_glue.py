"""The one bridge between a platform's own tokenizer and lark.

Layer: platforms. A reader classifies its words itself (the classification depends on the
position and on what came before, which a regular-expression lexer cannot say) and hands
lark the classified tokens through `IndexLexer`; `parse_tokens` is the one place lark's
exceptions become a `SyntaxFailure`. Parsers come from `linter.parsers.lalr` (built once
per process and cached on disk), with `IndexLexer` as their `lexer=`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator, Sequence

from lark import Token
from lark.exceptions import LarkError, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import Lexer

from .diagnostics import SyntaxFailure

if TYPE_CHECKING:  # pragma: no cover
    from lark import Lark, Tree


class IndexLexer(Lexer):
    """Feeds lark a sequence of classified tokens, one lark `Token` each, whose `start_pos`
    is its index in the sequence (a transformer maps a token back to its word by it).

    An item is either a terminal name (str: the token's value is then its index as text,
    so a parse depends on the sequence of names alone and can be cached by it), or an object
    with `.type` and `.value` (and optionally `.line` and `.col`), kept as they are."""

    def __init__(self, _lexer_conf: Any) -> None:  # lark passes its lexer configuration: not needed
        pass

    def lex(self, data: Sequence[Any]) -> Iterator[Token]:  # type: ignore[override]
        for i, item in enumerate(data):
            if isinstance(item, str):
                yield Token(item, str(i), start_pos=i)
            else:
                yield Token(item.type, item.value, start_pos=i, line=getattr(item, "line", 1),
                            column=getattr(item, "col", None))


def token_index(token: Token) -> int:
    """The index of `token` in the sequence given to `IndexLexer`."""
    return token.start_pos  # type: ignore[return-value]


def parse_tokens(parser: "Lark", tokens: Sequence[Any], start: str | None = None) -> "Tree":
    """The tree of `tokens` (see `IndexLexer`); raises `SyntaxFailure` where the grammar
    refuses them, never a lark exception."""
    try:
        return parser.parse(tokens, start=start) if start is not None else parser.parse(tokens)
    except UnexpectedToken as e:
        tok = e.token
        expected = frozenset(e.expected or ())
        if tok.type == "$END" or not isinstance(tok.start_pos, int):
            raise SyntaxFailure(len(tokens), True, expected=expected) from None
        raise SyntaxFailure(tok.start_pos, False, tok.type, str(tok.value), expected) from None
    except UnexpectedEOF as e:
        raise SyntaxFailure(len(tokens), True, expected=frozenset(e.expected or ())) from None
    except (UnexpectedInput, LarkError) as e:  # pragma: no cover - a classified-token lexer never fails
        raise SyntaxFailure(0, False, detail=str(e)) from None
