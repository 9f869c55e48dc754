"""pf.conf text -> pf's vendor objects (vendor.py): statements read one by one, each parsed
by the LALR grammar (grammars/pf.lark) and handed to the handler of its kind.

Layer: platforms/pf. The lexer (lexer.py) cuts the text into statements, expanding macros
and reading included files in place; a rule's parts are read by rules.py, tables by
tables.py; pfctl's refusals are checked by checks.py, its expansion of a rule's lists by
expand.py.
"""

from __future__ import annotations

import os
import re

from lark import Token, Transformer, Tree

from ... import limits
from ...names import read_int
from ..common.diagnostics import SyntaxFailure
from ..common.lark_glue import parse_tokens
from . import addresses
from .checks import SyntaxVersions
from .diagnostics import Report, count_lines, short
from .expand import Budget, expand_rule
from .grammar import first_too_deep, is_macro_definition, parser, token_at
from .lexer import PUNCT_TYPES, Macros, PfLexer, Statement, Tok
from .rules import RuleReader, interface_list
from .sources import SourceFiles
from .tables import TableReader
from .vendor import PfConfig, Queue, RuleSpec, Ruleset
from .vocab import LIMITS, TIMEOUTS, UNSUPPORTED_STATEMENTS

# the anchor paths of the bodies that belong to no anchor: the body of an anchor rule that
# was refused (its statements are read, its rules go nowhere, its tables are kept apart)
# and a body nested past MAX_ANCHOR_DEPTH (not read; its braces are followed so that its end
# is found, its lines count as not understood). Neither can be an anchor's path.
FAILED_BODY = "#failed"
TOO_DEEP_BODY = "#toodeep"


class QueueOptions(Transformer):
    """The options of a `queue` statement -> the fields of its `Queue` they set."""

    def q_parent(self, ch: list) -> dict:
        return {"parent": ch[1].value}

    def q_bandwidth(self, ch: list) -> dict:
        return {"bandwidth": True}

    def q_default(self, ch: list) -> dict:
        return {"default": True}

    def q_on(self, ch: list) -> dict:
        return {"on": ", ".join(n for _neg, n in interface_list(ch[1]))}

    def q_sched(self, ch: list) -> dict:
        return {"old": True}  # a scheduler (cbq, priq, hfsc, fairq) or child queues: ALTQ

    q_children = q_sched

    def q_other(self, ch: list) -> dict:
        return {"old": True} if ch[0].type in ("PRIORITY", "TBRSIZE") else {}

    def q_min(self, ch: list) -> dict:
        return {}  # min, max, flows, quantum, qlimit: no effect on which packets pass

    q_max = q_flows = q_min


_QUEUE_OPTIONS = QueueOptions()


class Reader:
    """Reads a configuration (and the files it includes or loads) into a `PfConfig`."""

    def __init__(self, path: str, real: str | None) -> None:
        self.path = path
        self.report = Report()
        self.report.sources.append(path)
        self.macros = Macros()
        self.config = PfConfig()
        self.budget = Budget()  # work done so far on the whole configuration, against limits.py
        self.syntax = SyntaxVersions(self.report, path)
        self.rules = RuleReader(self)
        self.tables = TableReader(self)
        # (anchor path, its anchor rule) of each body being read, outermost first
        self.anchor_stack: list[tuple[str, RuleSpec | None]] = []
        self.files = SourceFiles(self.report, self.budget, real)
        self.anon = 0  # anchors without a name, numbered
        self.lexer = self.new_lexer()

    def new_lexer(self) -> PfLexer:
        return PfLexer(self.macros, self.report, self.files.file_popped)

    def do_table_def(self, node: Tree, toks: list[Tok], st: Statement) -> None:
        self.tables.define(node, toks)

    def expand(self, spec: RuleSpec, toks: list[Tok]) -> bool:
        return expand_rule(spec, toks[0], self.report, self.budget)

    def run(self, text: str) -> None:
        self.lexer.push_file(text, self.path, self.files.real)
        self.files.stack = [self.files.real] if self.files.real else []
        self.report.lines_read[self.path] = count_lines(text)
        self.read_statements()
        self.unclosed_anchors()
        self.finish_loads()

    def read_statements(self) -> None:
        for st in self.lexer.statements():
            self.report.stmt = st
            try:
                self.statement(st)
            except Exception as e:  # never raise on input: report it at the statement
                t = st.tokens[0] if st.tokens else None
                if t is not None:
                    self.report.at(t, "error", "internal", f"could not read this statement: {type(e).__name__}: {e}")
            self.report.stmt = None

    def unclosed_anchors(self) -> None:
        for _path, spec in reversed(self.anchor_stack):
            if spec is not None:
                o = spec.origin
                self.report.at_origin(o, "error", "unbalanced-brace",
                                      f"anchor {spec.anchor_name!r}: its '{{' is never closed (its rules are "
                                      "read up to the end of the file)", "anchor")
            else:
                last = max(1, self.report.lines_read.get(self.path, 1))
                self.report.diag(self.path, last, 1, "error", "unbalanced-brace",
                                 "an anchor's '{' is never closed", "anchor")
        self.anchor_stack = []

    def statement(self, st: Statement) -> None:
        if self.in_refused_body():
            self.skip_in_refused_body(st)
            return
        toks = st.tokens
        if st.kind == "close":
            if not self.anchor_stack:
                self.report.at(toks[0], "error", "unbalanced-brace", "'}' without an anchor to close", "anchor")
                return
            self.anchor_stack.pop()
            return
        if st.unclosed is not None:
            self.report.at(st.unclosed, "error", "unbalanced-brace",
                           "'{' is never closed: this statement is not read", "list")
            return
        if st.failed:
            if st.tokens:
                self.report.not_understood(st.path, st.first_line, st.last_line)
            if st.limited and is_macro_definition(toks):
                self.macros.refuse(toks[0].value, self.report.origin(toks))
        elif is_macro_definition(toks):
            self.macro_def_stmt(toks)
            return
        else:
            tree = self.parse_statement(toks)
            if tree is not None:
                node = tree.children[0]
                getattr(self, "do_" + node.data)(node, toks, st)  # (every statement of the grammar has one)
                return
        if st.opens_body:
            # a refused anchor rule's body: kept apart, so that its closing brace matches
            self.anchor_stack.append((FAILED_BODY, None))

    def parse_statement(self, toks: list[Tok]) -> Tree | None:
        """The statement's parse tree, or None when it is not read (reported)."""
        if toks[0].type == "STRING" and toks[0].value in UNSUPPORTED_STATEMENTS:
            self.report.at(toks[0], "warning", "unsupported",
                           f"{toks[0].value}: {UNSUPPORTED_STATEMENTS[toks[0].value]} are not supported: this "
                           f"statement is not analysed", toks[0].value)
            return None
        deep = first_too_deep(toks)
        if deep is not None:
            # lark's parse trees and the walks over them recurse once per level: a statement
            # nested deeper than this never reaches the parser
            self.report.at(deep, "error", "nesting-limit",
                           f"lists nested more than {limits.MAX_LIST_DEPTH} deep ('{{' or '(' inside another) "
                           f"(linter/limits.py MAX_LIST_DEPTH): this statement is not analysed", toks[0].value)
            return None
        try:
            return parse_tokens(parser(), toks)
        except SyntaxFailure as e:
            self.syntax_error(toks, e)
        return None

    def syntax_error(self, toks: list[Tok], e: SyntaxFailure) -> None:
        if not e.at_end and not e.token_type:  # pragma: no cover - defensive: not a token lark refused
            self.report.at(toks[0], "error", "syntax", f"syntax error: {e}")
        elif not e.at_end:
            t = toks[e.index]
            shown = t.value if len(t.value) <= 40 else t.value[:37] + "..."
            if t.type == "CHAR":
                msg = f"syntax error: unexpected character {shown!r}"
            else:
                msg = f"syntax error: unexpected {shown!r}"
            if t.macro:
                msg += f" (from ${t.macro})"
            self.report.at(t, "error", "syntax", msg, toks[0].value)
        else:
            t = toks[-1]
            self.report.diag(t.path, t.line, t.col + len(t.value), "error", "syntax",
                             f"syntax error: the statement ends too early (after {t.value!r})", toks[0].value)

    def macro_def_stmt(self, toks: list[Tok]) -> None:
        name = toks[0].value
        vals = toks[2:]
        for t in vals:
            if t.type not in ("STRING", "NUMBER"):
                self.report.at(t, "error", "syntax", f"syntax error: {t.value!r} in the value of macro {name}"
                               + (" (a keyword must be quoted)" if t.type not in PUNCT_TYPES.values() else ""), "macro")
                return
        if not re.fullmatch(r"[A-Za-z0-9_]+", name):
            self.report.at(toks[0], "error", "syntax", f"macro name {name!r}: only letters, digits and '_'", "macro")
            return
        value = " ".join(t.value for t in vals)
        if len(value) > limits.MAX_MACRO_BYTES:
            self.report.at(toks[0], "error", "expansion-limit",
                           f"macro ${name} is {len(value)} bytes long, more than {limits.MAX_MACRO_BYTES} "
                           f"(linter/limits.py MAX_MACRO_BYTES): not expanded; the statements that use it are not "
                           f"analysed", "macro")
            self.macros.refuse(name, self.report.origin(toks))
            return
        self.macros.define(name, value, self.report.origin(toks))

    def do_option(self, node: Tree, toks: list[Tok], st: Statement) -> None:
        self.config.options_seen += 1
        item = node.children[1]
        name = item.data
        if name == "set_block_policy":
            self.config.block_policy = "return" if item.children[1].type == "RETURN" else "drop"
            return
        if name == "set_skip":
            ifs = interface_list(item.children[2])
            self.rules.note_interfaces(ifs, toks[0])
            self.config.skips.append((self.report.origin(toks), ifs, self.anchor_path()))
            return
        if name == "set_hostid":
            v = read_int(item.children[1])
            if v == 0:
                self.report.at(token_at(toks, item.children[1]), "error", "invalid", "hostid must be non-zero",
                               "set hostid")
            return
        if name == "set_reassemble":
            v = item.children[1].children[0]
            if v.type != "NO" and v.value not in ("yes", "no"):
                self.report.at(token_at(toks, v), "error", "invalid", f"set reassemble {v.value}: yes or no",
                               "set reassemble")
            return
        if name == "set_require_order":
            return
        if name in ("set_timeout", "set_limit"):
            specs = [c for c in item.iter_subtrees() if c.data in ("timeout_spec", "limit_spec")]
            for sp in specs:
                key = sp.children[0]
                known = TIMEOUTS if name == "set_timeout" else LIMITS
                if key.value not in known:
                    self.report.at(token_at(toks, key), "warning", "invalid",
                                   f"unknown {'timeout' if name == 'set_timeout' else 'limit'} {key.value!r}",
                                   name.replace("_", " "))
            return
        if name == "set_optimization":
            v = item.children[1]
            if v.value not in ("default", "normal", "high-latency", "satellite", "aggressive", "conservative"):
                self.report.at(token_at(toks, v), "warning", "invalid", f"unknown optimization {v.value!r}",
                               "set optimization")
            return
        # (counted for the empty-file check below)
        # loginterface, debug, state-policy, state-defaults, fingerprints, syncookies,
        # ruleset-optimization, keepcounters: no effect on which packets pass

    def anchor_path(self) -> str:
        return self.anchor_stack[-1][0] if self.anchor_stack else ""

    def rules_anchor(self) -> str:
        """The anchor the rules read now belong to ("" in the body of a refused anchor rule)."""
        path = self.anchor_path()
        return "" if path == FAILED_BODY else path

    def in_refused_body(self) -> bool:
        """Inside the body of an anchor nested past MAX_ANCHOR_DEPTH (reported at the anchor)."""
        return bool(self.anchor_stack) and self.anchor_stack[-1][0] == TOO_DEEP_BODY

    def skip_in_refused_body(self, st: Statement) -> None:
        """A statement of a refused body: not analysed (its lines count as not understood);
        only the braces are followed, so that the body's end is found."""
        if st.kind == "close":
            self.anchor_stack.pop()
            return
        self.report.not_understood(st.path, st.first_line, st.last_line)
        if st.opens_body:
            self.anchor_stack.append((TOO_DEEP_BODY, None))

    def anchor_too_deep(self, path: str, tok: Tok, what: str) -> bool:
        """Is the anchor at `path` nested past MAX_ANCHOR_DEPTH? (reported at tok)

        pfctl refuses the 64th nested anchor body ("anchors too deep", PFCTL_ANCHOR_STACK_DEPTH)
        and OpenBSD's kernel evaluates at most 63 nested anchor calls (PF_ANCHOR_STACK_MAX); an
        anchor's depth is the number of names in its path (`a/b/c` is 3 deep).
        """
        depth = path.count("/") + 1
        if depth < limits.MAX_ANCHOR_DEPTH:
            return False
        self.report.at(tok, "error", "nesting-limit",
                       f"{what} {short(path)!r} is nested {depth} deep: pf evaluates at most "
                       f"{limits.MAX_ANCHOR_DEPTH - 1} nested anchors (linter/limits.py MAX_ANCHOR_DEPTH, pf's "
                       f"PF_ANCHOR_STACK_MAX): its rules are not analysed", "anchor")
        return True

    def ruleset(self) -> Ruleset:
        path = self.anchor_path()
        if path == FAILED_BODY:
            return Ruleset(FAILED_BODY)
        return self.config.rulesets[path]

    def child_path(self, name: str) -> str:
        parent = self.anchor_path()
        if name.startswith("/"):
            return name.strip("/")
        return f"{parent}/{name}" if parent and parent != FAILED_BODY else name

    def do_anchor_rule(self, node: Tree, toks: list[Tok], st: Statement) -> None:
        ch = node.children
        name = None
        rest = ch[1:]
        if rest and isinstance(rest[0], Token):
            name = rest[0].value
            rest = rest[1:]
        spec = self.rules.build(("anchor", toks[0]), rest, toks)
        if spec is None:
            if st.opens_body:
                self.anchor_stack.append((FAILED_BODY, None))
            return
        if name is None:
            if not st.opens_body:
                self.report.at(toks[0], "error", "syntax", "an anchor without a name needs a '{ ... }' body", "anchor")
                return
            self.anon += 1
            name = f"_{self.anon}"
        spec.anchor_name = name
        if spec.state is not None:
            self.report.at(toks[0], "error", "invalid", "cannot specify state handling on anchors", "anchor")
            if st.opens_body:
                self.anchor_stack.append((FAILED_BODY, None))
            return
        path = self.child_path(name)
        if self.anchor_too_deep(path, toks[0], "anchor"):
            if st.opens_body:
                self.anchor_stack.append((TOO_DEEP_BODY, None))
            return
        if not self.expand(spec, toks):
            if st.opens_body:
                self.anchor_stack.append((FAILED_BODY, None))
            return
        rs = self.config.rulesets.setdefault(path, Ruleset(path))
        self.ruleset().entries.append(("anchor", spec, path))
        if spec.quick:
            self.report.at(toks[0], "note", "approximate",
                           f"anchor {name!r} is quick: pf stops after the anchor when one of its rules matched; "
                           f"fwlint evaluates the rules after it as if the anchor were not quick", "anchor quick")
        if st.opens_body:
            if "*" in name:
                self.report.at(toks[0], "error", "invalid", f"anchor {name!r}: a wildcard anchor cannot have a body",
                               "anchor")
            rs.filled = True
            self.anchor_stack.append((path, spec))

    def do_load_anchor(self, node: Tree, toks: list[Tok], st: Statement) -> None:
        name_tok, file_tok = node.children[2], node.children[4]
        path = self.child_path(name_tok.value)
        if self.anchor_too_deep(path, toks[0], "load anchor"):
            return
        self.config.load_anchors.append((path, file_tok.value, self.report.origin(toks), token_at(toks, file_tok)))

    def finish_loads(self) -> None:
        done: set[tuple[str, str]] = set()
        i = 0
        while i < len(self.config.load_anchors):
            path, fname, origin, tok = self.config.load_anchors[i]
            i += 1
            key = (path, fname)
            if key in done:
                continue
            done.add(key)
            got = self.files.read_bounded(fname, tok, "anchor file")
            if got is None:
                continue
            text, shown, real = got
            rs = self.config.rulesets.setdefault(path, Ruleset(path))
            rs.filled = True
            self.report.sources.append(shown) if shown not in self.report.sources else None
            self.report.lines_read[shown] = count_lines(text)
            saved = (self.anchor_stack, self.files.stack)
            self.anchor_stack = [(path, None)]
            self.files.stack = [real]
            self.lexer = self.new_lexer()
            self.lexer.push_file(text, shown, real)
            self.read_statements()
            self.anchor_stack = self.anchor_stack[1:]
            self.unclosed_anchors()
            self.anchor_stack, self.files.stack = saved

    def do_include(self, node: Tree, toks: list[Tok], st: Statement) -> None:
        ftok = token_at(toks, node.children[1])
        # the files being read: the configuration (or a loaded anchor file) and its includes
        depth = len(self.lexer.files)
        if depth > limits.MAX_INCLUDE_DEPTH:
            self.report.at(ftok, "error", "nesting-limit",
                           f"include {ftok.value!r}: files included more than {limits.MAX_INCLUDE_DEPTH} deep "
                           f"(linter/limits.py MAX_INCLUDE_DEPTH): not read", "include")
            return
        got = self.files.read_bounded(ftok.value, ftok, "include")
        if got is None:
            return
        text, shown, real = got
        if real in self.files.stack or real == self.files.real:
            through = " -> ".join(os.path.basename(p) for p in self.files.stack + [real])
            self.report.at(ftok, "error", "include-loop", f"include {ftok.value!r}: the file includes itself "
                           f"(through {through})", "include")
            return
        if shown not in self.report.sources:
            self.report.sources.append(shown)
        self.report.lines_read[shown] = count_lines(text)
        self.files.stack.append(real)
        self.lexer.push_file(text, shown, real)

    def do_antispoof(self, node: Tree, toks: list[Tok], st: Statement) -> None:
        ch = node.children
        i = next(k for k, c in enumerate(ch) if isinstance(c, Token) and c.type == "FOR")
        before, iflist, after = ch[1:i], ch[i + 1], ch[i + 2:]
        spec = self.rules.build(("antispoof", toks[0]), list(before) + list(after), toks)
        if spec is None:
            return
        ifs = []
        for it in iflist.children:
            if isinstance(it, Tree) and it.data == "if_item":
                ifs.append((False, it.children[-1].value))
            elif isinstance(it, Tree) and it.data == "antispoof_dyn":
                ifs.append((False, "(" + it.children[1].children[-1].value + ")"))
        spec.ifaces = ifs
        self.ruleset().entries.append(spec)
        self.report.at(toks[0], "note", "approximate",
                       "antispoof: modelled as blocking packets that arrive on another interface from the "
                       "interface's network, and packets from its own addresses (unknown: opaque conditions)",
                       "antispoof")

    def do_queue_rule(self, node: Tree, toks: list[Tok], st: Statement) -> None:
        name = node.children[1].value
        fields: dict = {}
        for opt in node.children[2:]:
            fields.update(_QUEUE_OPTIONS.transform(opt))
        # ALTQ's queues (before OpenBSD 5.5, and FreeBSD's): not checked as a tree
        old = fields.pop("old", False) or (fields.get("parent") is None and fields.get("on") is None)
        parent = None
        if fields.get("parent") is not None and not old:
            parent = next((x for x in reversed(self.config.queue_list) if x.name == fields["parent"]), None)
        q = Queue(name, toks[0], old=old, parent_queue=parent, **fields)
        self.config.queues[name] = q
        self.config.queue_list.append(q)

    def do_altq_rule(self, node: Tree, toks: list[Tok], st: Statement) -> None:
        for opt in node.children[1:]:
            if opt.data == "q_children":
                for c in opt.children:
                    if isinstance(c, Token) and c.type in ("STRING", "NUMBER"):
                        self.config.queues.setdefault(c.value, Queue(c.value, toks[0], old=True))

    def do_nat_rule(self, node: Tree, toks: list[Tok], st: Statement) -> None:
        self.old_translation("nat", node, toks)

    def do_rdr_rule(self, node: Tree, toks: list[Tok], st: Statement) -> None:
        self.old_translation("rdr", node, toks)

    def do_binat_rule(self, node: Tree, toks: list[Tok], st: Statement) -> None:
        self.old_translation("binat", node, toks)

    def old_translation(self, kind: str, node: Tree, toks: list[Tok]) -> None:
        ch = list(node.children)
        no = isinstance(ch[0], Token) and ch[0].type == "NO"
        if no:
            ch = ch[1:]
        ch = ch[1:]
        natpass = bool(ch) and isinstance(ch[0], Token) and ch[0].type == "PASS"
        if natpass:
            ch = ch[1:]
        arrow = None
        if ch and isinstance(ch[-1], Tree) and ch[-1].data == "redir_spec":
            arrow = ch[-1]
            ch = ch[:-2]
        self.syntax.note_old(self.report.origin(toks))
        spec = self.rules.build((kind, toks[0]), ch, toks)
        if spec is None:
            return
        spec.no = no
        spec.natpass = natpass
        if spec.direction is not None:
            self.report.at(toks[0], "error", "syntax", f"{kind} rules take no direction", kind)
            return
        spec.direction = {"nat": "out", "rdr": "in"}.get(kind)
        if arrow is None and not no:
            self.report.at(toks[0], "error", "syntax", f"{kind} rule without '->' and a translation address", kind)
            return
        if arrow is not None:
            if no:
                self.report.at(toks[0], "error", "syntax", f"'no {kind}' takes no translation address", kind)
                return
            got = addresses.redir_spec(self.report, arrow, toks, kind)
            if got is None:
                return
            spec.redirect[kind + "-to"] = got
        if not self.expand(spec, toks):
            return
        self.ruleset().entries.append(spec)
        if not no and kind in ("nat", "rdr", "binat"):
            self.report.at(toks[0], "note", "approximate",
                           f"{kind}: the filter rules see the translated packet; fwlint matches them against "
                           "the packet "
                           f"as it arrives (the translation is an alteration)", "translation")
        if natpass:
            self.report.at(toks[0], "note", "approximate",
                           f"'{kind} pass': the translated packets skip the filter rules; modelled as a quick pass "
                           f"rule ahead of them (keeping state)", f"{kind} pass")

    def do_scrub_rule(self, node: Tree, toks: list[Tok], st: Statement) -> None:
        self.syntax.note_old(self.report.origin(toks))
        spec = self.rules.build(("scrub", toks[0]), node.children[1:], toks)
        if spec is None:
            return
        if not self.expand(spec, toks):
            return
        self.ruleset().entries.append(spec)

    def do_trans_anchor(self, node: Tree, toks: list[Tok], st: Statement) -> None:
        self.syntax.note_old(self.report.origin(toks))
        kind = node.children[0].value
        name = node.children[1].value
        self.report.at(toks[0], "warning", "anchor-rules-unavailable",
                       f"{kind} {name!r}: its translation rules are loaded at run time and are not known; "
                       f"fwlint analyses as if it were empty", kind)

    def do_filter_rule(self, node: Tree, toks: list[Tok], st: Statement) -> None:
        kind = node.children[0].value
        spec = self.rules.build((kind, toks[0]), node.children[1:], toks)
        if spec is None:
            return
        if not self.expand(spec, toks):
            return
        self.ruleset().entries.append(spec)
        if kind == "match" and (spec.redirect or spec.afto):
            what = ", ".join(list(spec.redirect) + (["af-to"] if spec.afto else []))
            self.report.at(toks[0], "note", "approximate",
                           f"match ... {what}: the rules after this one see the translated packet; fwlint matches them "
                           f"against the packet as it arrives (the translation is an alteration)", "translation")

