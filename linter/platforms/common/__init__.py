"""What every platform reader needs, written once.

Layer: platforms (left of the normalized model). A platform package imports these modules;
nothing outside linter/platforms/ does.

- `diagnostics`: one `Diagnostics` collector (one signature for a located message, the lines
  a parse did not understand) and one syntax-error value, `SyntaxFailure`.
- `lark_glue`: one lexer adapter (`IndexLexer`: a list of classified words in, lark tokens
  out, each token's `start_pos` its index) and `parse_tokens`, the one path from lark's
  exceptions to a `SyntaxFailure`. Parsers are built and cached by `linter.parsers.lalr`.
- `decoding`: bytes to text (UTF-8, bad lines read with U+FFFD and reported), line by line.
- `ports`: port operators (eq, neq, lt, gt, range) to ranges; `neq` is the complement.
- `addresses`: dotted quads, netmasks, prefixes and address ranges as integers.
"""
