"""One rule's specification (its items) -> conditions, comments and the target as written.

Layer: platform (iptables)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ... import model as m
from ... import names
from ..common.ports import port_value
from .values import (
    ZONE_ID_RE,
    address_ranges,
    BadValue,
    shared,
    exact_condition,
    module_cache,
    shell_quote,
)
from .vendor import Rule, unreadable_rule
from .vocab import (
    CACHED_OPTIONS,
    EXACT_MODULE_OPTIONS,
    FLAG_OPTIONS,
    IMPLICIT_MODULE,
    IMPLICIT_OPTIONS,
    MODULE_OPTIONS,
    MODULE_PROTOS,
    OPT_ALIASES,
    KNOWN_MODULES,
    STATEFUL_MODULES,
)
from .words import Words

if TYPE_CHECKING:  # pragma: no cover - the reader builds rules
    from .reader import Reader

class RuleReader:
    def __init__(self, reader: Reader, lineno: int, ws: Words, cmd_i: int) -> None:
        self.reader = reader
        self.lineno = lineno
        self.ws = ws
        self.cmd_i = cmd_i
        self.conds: list[m.Cond] = []
        self.proto: int | None = None
        self.proto_neg = False
        self.comments: list[str] = []
        self.extra_words: list[str] = []
        self.occurrence = 0  # stateful matches of this rule so far (for their Opaque keys)
        self.recording: list | None = None  # diagnostics of a module conversion being cached
        # an option iptables takes once per match, given twice: it refuses the line
        self.refused = False
        self.said: set[tuple[str, str, str]] = set()  # the diagnostics given for this line

    def diag(self, i: int, severity: str, code: str, message: str, construct: str = "") -> None:
        if self.recording is not None:
            self.recording.append((i, (severity, code, message, construct)))
            return
        # the same message once per line: a line repeating an option thousands of times is
        # one diagnostic, not one per repetition
        said = (severity, code, message)
        if said in self.said:
            return
        self.said.add(said)
        self.reader.diag(self.lineno, self.ws.column(i), self.ws.line, severity, code, message, construct)

    def build(self, items: tuple, chain: str) -> Rule:
        """The rule of `items` (a plan's items) in `chain`."""
        words = self.ws.words
        fam = self.reader.family
        modules: list[list] = []  # [name, word_i, options]; options: [neg, opt, args(list of word idx), opt_i]
        implicit: list = []
        target: str | None = None
        goto = False
        target_i = -1
        target_opts: list = []
        section = None  # None, "target" or a module record
        for kind, neg, oi, args in items:
            if kind == "option":
                opt = words[oi]
                argv = [a for _n, a in args]
                inner = any(n for n, _a in args)
                if inner:
                    neg = not neg
                rec = [neg, opt, argv, oi]
                if section == "target":
                    target_opts.append(rec)
                    continue
                if "=" in opt:
                    o, _, v = opt.partition("=")
                    rec = [neg, o, argv, oi]
                    argv.insert(0, -1 - len(self.extra_words))
                    self.extra_words.append(v)
                self.attribute(rec, section, modules, implicit)
            elif kind == "module":
                name = words[args[0][1]]
                rec = [name, args[0][1], []]
                modules.append(rec)
                section = rec
            elif kind in ("jump", "goto"):
                # (a second target never gets here: `Reader.repeated_option`)
                target = words[args[0][1]]
                goto = kind == "goto"
                target_i = oi
                section = "target"
            elif kind == "set_counters":
                continue
            else:
                # (each generic option comes once: `Reader.repeated_option`)
                self.generic(kind, neg, oi, args, fam)
        if implicit:
            self.implicit_match(implicit, modules)
        for rec in modules:
            self.module(rec[0], rec[1], rec[2])
        origin = m.Origin(self.reader.path, self.lineno, self.ws.command_column(self.cmd_i), self.ws.line)
        if self.refused:
            return unreadable_rule(origin, chain)
        return Rule(m.Match(tuple(self.conds)), target, goto,
                    tuple((neg, opt, tuple(self.word(a) for a in argv)) for neg, opt, argv, _ in target_opts),
                    self.target_text(target, target_opts), origin, "; ".join(self.comments), target_i + 1, chain)

    def attribute(self, rec: list, section, modules: list[list], implicit: list) -> None:
        """Give a match option `rec` to its module: the current section's when it owns the
        option, else the last loaded module that owns it, else an approximated or unknown
        module being read (they swallow what follows them), else the implicit match of `-p`."""
        opt = rec[1]
        owner = None
        if section is not None:
            own = MODULE_OPTIONS.get(section[0])
            if own is not None and opt in own:
                owner = section
        if owner is None:
            for mod in reversed(modules):
                own = MODULE_OPTIONS.get(mod[0])
                if own is not None and opt in own:
                    owner = mod
                    break
        if owner is None:
            if section is not None and section[0] not in MODULE_OPTIONS and not (
                    opt in IMPLICIT_OPTIONS.get(self.proto, ()) and not self.proto_neg):
                owner = section  # approximated and unknown modules swallow their options
            else:
                implicit.append(rec)
                return
        owner[2].append(rec)

    def implicit_match(self, implicit: list, modules: list[list]) -> None:
        """The options no `-m` took: the match `-p` loads (first), else each is unknown."""
        words = self.ws.words
        iname = IMPLICIT_MODULE.get(self.proto) if self.proto is not None and not self.proto_neg else None
        if iname is not None:
            modules.insert(0, [iname, -1, implicit])
            return
        for rec in implicit:
            self.diag(rec[3], "warning", "unknown-option",
                      f"unknown option {words[rec[3]]} (no module loaded that takes it)",
                      construct=words[rec[3]])
            self.conds.append(m.Opaque(f"unknown-option {self.canon([rec])}", self.canon([rec]), False))

    def target_text(self, target: str | None, target_opts: list) -> str:
        """The target and its options as written (values quoted where the shell needs it)."""
        if target is None:
            return ""
        return f"{target} {self.canon(target_opts)}" if target_opts else target

    def word(self, i: int) -> str:
        if i < 0:
            return self.extra_words[-1 - i]
        return self.ws.words[i]

    # ----------------------------------------------------------------- generic options

    def generic(self, kind: str, neg: bool, oi: int, args: tuple, fam: int) -> None:
        """One generic option (-p, -s, -d, -i, -o, -f, -4/-6) -> its condition."""
        words = self.ws.words
        if args and args[0][0]:
            neg = not neg
        val_i = args[0][1] if args else -1
        val = words[val_i] if args else ""
        if kind == "protocol":
            self.protocol(neg, val_i, val)
        elif kind in ("source", "destination"):
            self.address(m.SRC if kind == "source" else m.DST, neg, val_i, val, fam)
        elif kind in ("in_interface", "out_interface"):
            field_ = m.IN_IFACE if kind == "in_interface" else m.OUT_IFACE
            if len(val) > 15 or not val:
                self.diag(val_i, "warning", "invalid", f"bad interface name {val!r}")
            self.conds.append(shared(m.IfaceCond, field_, (val,), neg))
        elif kind == "fragment":
            self.conds.append(m.Opaque("fragment", "-f (second and later fragments)", neg))
            self.diag(oi, "note", "approximate", "-f (fragments) is not modelled exactly", construct="-f")
        elif kind == "family":
            want = 4 if words[oi] in ("-4", "--ipv4") else 6
            if want != fam:
                self.conds.append(m.IntCond(m.FAMILY, ((want, want),), False))

    def protocol(self, neg: bool, val_i: int, val: str) -> None:
        """-p: the protocol condition, and the protocol whose implicit match later options use."""
        n = names.proto_number(val)
        if n is None:
            self.diag(val_i, "warning", "invalid", f"unknown protocol {val!r}")
            self.conds.append(m.Opaque(f"proto {val}", f"-p {val}", neg))
            return
        if n == 0:
            if neg:
                self.diag(val_i, "warning", "invalid", "! -p all matches no packet")
                self.conds.append(m.IntCond(m.PROTO, ((0, 255),), True))
            self.proto = None
            return
        self.proto = n
        self.proto_neg = neg
        self.conds.append(shared(m.IntCond, m.PROTO, ((n, n),), neg))

    def address(self, field_: str, neg: bool, val_i: int, val: str, fam: int) -> None:
        """-s / -d: an address condition (an Opaque one where the value is only approximable)."""
        if "%" in val and fam == 6:
            val = self.without_zone_ids(val_i, val)
        try:
            r = address_ranges(val, fam)
        except BadValue as e:
            self.diag(val_i, "warning", "invalid", str(e))
            self.conds.append(m.Opaque(f"{field_} {val}", f"{'-s' if field_ == m.SRC else '-d'} {val}", neg))
            return
        if isinstance(r, str):
            self.diag(val_i, "note", "approximate", f"{val}: {r} is not modelled exactly", construct=r)
            self.conds.append(m.Opaque(f"{field_} {val}", f"{'-s' if field_ == m.SRC else '-d'} {val}", neg))
            return
        if neg and "," in val:
            self.diag(val_i, "warning", "invalid",
                      "! is not allowed with several addresses (iptables refuses it)")
        self.conds.append(shared(m.AddrCond, field_, r, neg))

    def without_zone_ids(self, val_i: int, val: str) -> str:
        """`fe80::1%eth0` -> `fe80::1`, said aloud. ip6tables resolves the address with
        getaddrinfo on the machine that loads the rules: it refuses the line there when no
        interface has that name, and otherwise drops the zone (ip6tables-save prints
        `fe80::1/128`: the rule matches the address on every interface). fwlint reads the
        rule as loaded, and warns, since where it loads is not in the file."""
        zones = ZONE_ID_RE.findall(val)
        if not zones:
            return val  # (a `%` that is not a zone id: the address is reported as bad)
        names_ = ", ".join(dict.fromkeys(f"%{z}" for z in zones))
        self.diag(val_i, "warning", "zone-id",
                  f"{val}: ip6tables drops the zone id {names_} (the rule then matches the address on every "
                  "interface), and refuses the line on a machine without such an interface; read without it",
                  construct="zone id")
        return ZONE_ID_RE.sub("", val)

    # ----------------------------------------------------------------- modules

    def canon(self, opts: list) -> str:
        """Options as written: `! --opt value ...` (values quoted where the shell needs it)."""
        parts = []
        for neg, opt, argv, _oi in opts:
            if neg:
                parts.append("!")
            parts.append(opt)
            parts.extend(shell_quote(self.word(a)) for a in argv)
        return " ".join(parts)

    def opaque(self, module: str, opts: list, at: int, code_severity=("note", "approximate"),
               construct: str | None = None) -> None:
        negated = False
        if len(opts) == 1 and opts[0][0]:
            negated = True
            body = self.canon([[False, *opts[0][1:]]])
        else:
            body = self.canon(opts)
        desc = f"-m {module} {body}".rstrip()
        if module in STATEFUL_MODULES:
            self.occurrence += 1
            key = f"{module}@{self.reader.path}:{self.lineno}#{self.occurrence} {body}".rstrip()
        else:
            key = f"{module} {body}".rstrip()
        self.conds.append(m.Opaque(key, desc, negated))
        sev, code = code_severity
        if sev == "warning":
            msg = f"unknown match module {module!r}: treated as an unknown condition"
        else:
            msg = f"-m {module} {body}: not modelled exactly".replace("  ", " ")
        self.diag(at, sev, code, msg, construct if construct is not None else module)

    def module(self, name: str, mi: int, opts: list) -> None:
        """Convert one match module occurrence (cached for modules that are pure predicates)."""
        if name in STATEFUL_MODULES:
            self.convert_module(name, mi, opts)
            return
        word = self.word
        key = (name, self.proto, self.proto_neg, mi < 0,
               tuple((neg, opt, tuple(word(a) for a in argv)) for neg, opt, argv, _oi in opts))
        hit = module_cache.get(key)
        if hit is None:
            # record the conditions, comments and diagnostics, with word positions made relative
            where: dict[int, tuple] = {mi: ("m",)}
            for k, (_neg, _opt, argv, oi) in enumerate(opts):
                where.setdefault(oi, ("o", k))
                if argv:
                    where.setdefault(argv[0], ("a", k))
            n_conds = len(self.conds)
            n_comments = len(self.comments)
            self.recording = []
            refused_before, self.refused = self.refused, False
            try:
                self.convert_module(name, mi, opts)
                diags = tuple((where.get(i, ("m",)), rest) for i, rest in self.recording)
            finally:
                self.recording = None
            refused, self.refused = self.refused, self.refused or refused_before
            hit = (tuple(self.conds[n_conds:]), tuple(self.comments[n_comments:]), diags, refused)
            if len(module_cache) < 50_000:
                module_cache[key] = hit
            for pos, rest in diags:
                self.diag(self.position(pos, mi, opts), *rest)
            return
        conds, comments, diags, refused = hit
        self.refused = self.refused or refused
        if conds:
            self.conds.extend(conds)
        if comments:
            self.comments.extend(comments)
        for pos, rest in diags:
            self.diag(self.position(pos, mi, opts), *rest)

    @staticmethod
    def position(pos: tuple, mi: int, opts: list) -> int:
        if pos[0] == "o":
            return opts[pos[1]][3]
        if pos[0] == "a":
            argv = opts[pos[1]][2]
            return argv[0] if argv else opts[pos[1]][3]
        return mi if mi >= 0 else (opts[0][3] if opts else 0)

    def convert_module(self, name: str, mi: int, opts: list) -> None:
        at = mi if mi >= 0 else (opts[0][3] if opts else 0)
        if name not in EXACT_MODULE_OPTIONS:
            if name in KNOWN_MODULES:
                self.opaque(name, opts, at)
            else:
                self.opaque(name, opts, at, ("warning", "unknown-match"))
            return
        protos = MODULE_PROTOS.get(name)
        if protos is not None and (self.proto not in protos or self.proto_neg):
            needed = "/".join(sorted(names.proto_name(p) for p in protos))
            self.diag(at, "warning", "invalid", f"-m {name} needs -p {needed}")
        if not opts and name not in ("tcp", "udp", "udplite", "sctp", "dccp"):
            self.diag(at, "warning", "invalid", f"-m {name} without options")
        proto_name = names.proto_name(self.proto) if self.proto is not None else "tcp"
        seen: set[str] = set()
        own = EXACT_MODULE_OPTIONS[name]
        for rec in opts:
            neg, opt, argv, oi = rec
            if opt not in own:
                self.diag(oi, "warning", "unknown-option", f"-m {name} has no option {opt}", construct=opt)
                self.conds.append(m.Opaque(f"{name} {self.canon([rec])}", f"-m {name} {self.canon([rec])}", neg))
                continue
            base = OPT_ALIASES.get(opt, opt)
            once = "--tcp-flags" if base == "--syn" else base  # ("only one of --syn or --tcp-flags")
            if once in seen:
                self.diag(oi, "error", "invalid",
                          f"-m {name}: {opt} given twice: iptables refuses this line; its rule is not analysed")
                self.refused = True
                return  # (the rest of this match does not matter: the rule is not kept)
            seen.add(once)
            want = 0 if opt in FLAG_OPTIONS else (2 if opt == "--tcp-flags" else 1)
            if len(argv) != want:
                self.diag(oi, "warning", "invalid", f"{opt} takes {want} value{'s' if want != 1 else ''}")
                self.conds.append(m.Opaque(f"{name} {self.canon([rec])}", f"-m {name} {self.canon([rec])}", False))
                continue
            vals = [self.word(a) for a in argv]
            try:
                self.option(name, base, neg, vals, proto_name, rec, oi)
            except BadValue as e:
                self.diag(argv[0] if argv else oi, "warning", "invalid", str(e))
                self.conds.append(m.Opaque(f"{name} {self.canon([rec])}", f"-m {name} {self.canon([rec])}", neg))

    def option(self, module: str, opt: str, neg: bool, vals: list[str], proto: str, rec, oi: int) -> None:
        if opt in ("--sport", "--dport") and ":" in vals[0]:
            a, _, b = vals[0].partition(":")
            if a and b and port_value(a, proto) > port_value(b, proto):
                # the kernel keeps such a range (old iptables-save printed it): it matches no port
                self.diag(rec[2][0], "warning", "invalid",
                          f"reversed port range {vals[0]!r} matches no port (iptables-restore refuses it)")
                self.conds.append(m.IntCond(m.SPORT if opt == "--sport" else m.DPORT, (), neg))
                return
        if opt in CACHED_OPTIONS:
            cond = exact_condition(opt, neg, tuple(vals), proto, self.reader.family)
            if isinstance(cond, str):
                self.opaque("conntrack", [rec], oi, construct=f"conntrack --ctstate {cond}")
            elif cond is not None:
                self.conds.append(cond)
            return
        if opt == "--comment":
            if len(vals[0]) > 255:
                raise BadValue("comment longer than 255 characters")
            self.comments.append(vals[0])
            return
        # the options of exact modules fwlint does not model (tcp-option, ctproto, ...)
        self.opaque(module, [rec], oi, construct=f"{module} {opt}")
