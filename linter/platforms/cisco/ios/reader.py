"""Text -> IosConfig: the lines of an IOS configuration read in order, as IOS applies a
configuration script.

Layer: platforms (left of the model). ciscoconfparse gives the block structure (which line
belongs to which `interface`, `ip access-list`, `object-group`, `class-map`, banner, ...);
`Reader.top` dispatches each top-level command to the module of its section (acl,
object_groups, interfaces, zbf, nat), which fills the IosConfig and opens the block whose
lines follow. `Report` collects the diagnostics and how each line is classified (blank,
comment, not relevant, relevant) for both the reader and the converter.
"""

from __future__ import annotations

from codecs import BOM_UTF8

from .... import model as m
from ...common.diagnostics import NOTE, Diagnostics
from ...common.decoding import decode_utf8, looks_binary, utf16_encoding
from ..common import structure, words
from . import acl, interfaces, nat, object_groups, zbf
from .acl import scan_refs
from .vendor import Acl, IosConfig

SEVERITY_RANK = {"note": 0, "warning": 1, "error": 2}


class Report:
    """The diagnostics of one file and the class of each line (`cat`): blank, comment,
    irrelevant, relevant; `bad` are the relevant lines not understood (a warning or error).
    IOS's adapter over `common.Diagnostics`: a diagnostic quotes its line stripped, and a
    line outside the file is never counted as not understood."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lines: list[str] = []
        self.diagnostics = Diagnostics(path)
        self.diags: list[m.Diagnostic] = self.diagnostics.items  # (the same list)
        self.bad: set[int] = self.diagnostics.bad_lines()  # (the same set)
        self.cat: list[str] = []
        self.early: list = []  # (line, severity, code, message) found while decoding, before the lines exist

    def diag(self, line: int, col: int, severity: str, code: str, message: str, construct: str = "",
             understood: bool | None = None) -> None:
        inside = 1 <= line <= len(self.lines)
        if understood is None:
            understood = severity == NOTE
        self.diagnostics.report(line, col, self.lines[line - 1].strip() if inside else "", severity, code, message,
                                construct, understood or not inside)
        if inside and self.cat[line - 1] != "blank":
            self.cat[line - 1] = "relevant"

    def origin(self, line: int, col: int = 0) -> m.Origin:
        raw = self.lines[line - 1] if 1 <= line <= len(self.lines) else ""
        if not col:
            col = len(raw) - len(raw.lstrip()) + 1
        return m.Origin(self.path, line, col, raw.strip())

    def relevant(self, line: int) -> None:
        self.cat[line - 1] = "relevant"


class Reader:
    """Reads the lines into `config`; each block's lines go to the handler its header opened."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.config = IosConfig()
        self.diag = report.diag
        self.origin = report.origin
        self.relevant = report.relevant
        self.block = None  # the handler of the open block: fn(lineno, line)
        self.block_line = -1  # its header (0-based)
        self.acl_mode: Acl | None = None  # ACL whose mode is open (flush-left entries belong to it)

    @property
    def lines(self) -> list[str]:
        return self.report.lines

    def run(self, lines: list[str]) -> None:
        self.report.lines = lines
        self.report.cat = ["irrelevant"] * len(lines)
        parents, _ok = structure(lines)
        skip = [not ln.strip() or ln.lstrip().startswith("!") for ln in lines]
        for i, ln in enumerate(lines):
            if skip[i]:
                self.report.cat[i] = "blank" if not ln.strip() else "comment"
                continue
            j = parents[i]
            top = -1
            while j >= 0:
                if not skip[j]:
                    top = j
                j = parents[j]
            lineno = i + 1
            try:
                if top < 0:
                    if ln[:1] in (" ", "\t") and self.block is not None:
                        self.block(lineno, ln)  # indented: still inside the open block
                    else:
                        self.top(lineno, ln)
                elif top == self.block_line and self.block is not None:
                    self.block(lineno, ln)
                else:
                    self.config.other_refs.update(scan_refs(ln.strip()))
            except Exception as e:  # never raise on input
                self.diag(lineno, 1, "error", "internal", f"could not read this line: {type(e).__name__}: {e}")

    def open_block(self, lineno: int, handler, acl: Acl | None = None) -> None:
        self.block = handler
        self.block_line = lineno - 1
        self.acl_mode = acl

    def irrelevant_line(self, lineno: int, line: str) -> None:
        self.config.other_refs.update(scan_refs(line.strip()))

    def unmodelled_line(self, lineno: int, line: str) -> None:
        """Lines of a block whose header was reported as unsupported."""
        self.relevant(lineno)
        self.report.bad.add(lineno)

    def understood_line(self, lineno: int, line: str) -> None:
        self.relevant(lineno)

    def top(self, lineno: int, line: str) -> None:
        ws = words(line)
        lw = [w.lower() for w, _ in ws]
        k0 = lw[0]
        k1 = lw[1] if len(lw) > 1 else ""
        # an access-list entry written flush left after its header: IOS is still in ACL mode
        if self.acl_mode is not None and (k0 in ("permit", "deny", "remark", "sequence", "evaluate", "dynamic")
                                          or (k0.isdigit() and k1 in ("permit", "deny", "remark", "evaluate",
                                                                      "dynamic"))):
            self.block(lineno, line)  # type: ignore[misc]
            return
        self.block = None
        self.block_line = -1
        self.acl_mode = None
        # a command is named by its first two words, or its first (no line matches both tables)
        command = _BY_TWO_WORDS.get((k0, k1)) or _BY_FIRST_WORD.get(k0)
        if command is None or command(self, lineno, line, ws, lw) is NOT_MINE:
            self.not_relevant(lineno, line)

    def not_relevant(self, lineno: int, line: str) -> None:
        """A command that does not concern filtering (routing, AAA, logging, banners, lines,
        SNMP, QoS class-maps and policy-maps, crypto, ...): its lines are understood as not
        relevant; names of access lists it mentions count as uses."""
        self.config.other_refs.update(scan_refs(line.strip()))
        self.open_block(lineno, self.irrelevant_line)

    def open_understood_block(self, lineno: int) -> None:
        """A relevant header whose block is understood and has no effect on the model."""
        self.relevant(lineno)
        self.open_block(lineno, self.understood_line)

    def asa_line(self, lineno: int, ws) -> None:
        self.diag(lineno, ws[0][1], "warning", "asa-syntax",
                  "this is Cisco ASA syntax, not IOS: IOS rejects it; the line is not read", "ASA command in IOS")

    def top_no(self, lineno: int, ws, lw) -> None:
        """`no ...` at the top level: deletions in configuration scripts."""
        k1 = lw[1] if len(lw) > 1 else ""
        if k1 == "access-list" and len(ws) > 2:
            self.relevant(lineno)
            self.delete_acl(4, ws[2][0])
            return
        if k1 in ("ip", "ipv6") and len(lw) > 2 and lw[2] == "access-list":
            fam = 4 if k1 == "ip" else 6
            rest = ws[3:]
            if rest and rest[0][0].lower() in ("standard", "extended"):
                rest = rest[1:]
            self.relevant(lineno)
            if rest and rest[0][0].lower() not in ("logging", "log-update", "persistent", "resequence",
                                                   "role-based", "helper", "counter"):
                self.delete_acl(fam, rest[0][0])
            return
        if k1 == "object-group" and len(ws) > 3:
            self.relevant(lineno)
            self.config.groups.pop(ws[3][0], None)
            return
        if k1 == "ip" and len(lw) > 2 and lw[2] == "nat":
            self.relevant(lineno)
            return
        if k1 in ("zone", "zone-pair", "class-map", "policy-map", "time-range"):
            self.relevant(lineno)
            self.diag(lineno, ws[0][1], "note", "approximate",
                      f"`no {ws[1][0]} ...` is not applied (deletions of ZBF objects are not followed)",
                      "no " + ws[1][0])
            return
        self.config.other_refs.update(scan_refs(" ".join(w for w, _ in ws)))

    def delete_acl(self, fam: int, name: str) -> None:
        self.config.acls[fam].pop(name, None)



# --------------------------------------------------------------------------- top-level commands

# what a command handler returns when the line is not the command it reads after all (too
# few words, a QoS class-map): the line is then read as not relevant
NOT_MINE = object()


def _at_least(n: int, read):
    """A command of at least `n` words (fewer: not this command, not relevant)."""
    def command(r: Reader, lineno: int, line: str, ws, lw):
        if len(ws) < n:
            return NOT_MINE
        read(r, lineno, line, ws)
        return None
    return command


def _hostname(r: Reader, lineno: int, line: str, ws) -> None:
    r.config.hostname = ws[1][0]


def _zone(r: Reader, lineno: int, line: str, ws) -> None:
    r.config.zones.setdefault(ws[2][0], lineno)
    r.open_understood_block(lineno)


def _time_range(r: Reader, lineno: int, line: str, ws) -> None:
    r.config.time_ranges.setdefault(ws[1][0], lineno)
    r.open_understood_block(lineno)


def _inspect_map(read):
    """`class-map|policy-map|parameter-map type inspect ...`; other types (QoS) are not relevant."""
    def command(r: Reader, lineno: int, line: str, ws, lw):
        if len(lw) < 3 or lw[2] != "inspect":
            return NOT_MINE
        read(r, lineno, ws, lw)
        return None
    return command


def _parameter_map(r: Reader, lineno: int, ws, lw) -> None:
    r.open_understood_block(lineno)


def _ip_inspect(r: Reader, lineno: int, line: str, ws, lw) -> None:
    # CBAC rule definitions: inert until applied with `ip inspect NAME in|out` on an
    # interface, which is reported there
    r.relevant(lineno)
    r.config.other_refs.update(scan_refs(line.strip()))


def _mac_access_list(r: Reader, lineno: int, line: str, ws, lw) -> None:
    r.diag(lineno, ws[0][1], "warning", "unsupported",
           "MAC access lists filter frames by Ethernet address; fwlint does not model them", "mac access-list")
    r.open_block(lineno, r.unmodelled_line)


def _entry_outside_acl(r: Reader, lineno: int, line: str, ws, lw) -> None:
    r.diag(lineno, ws[0][1], "error", "syntax",
           f"`{ws[0][0]}` outside an access list (no `ip access-list` header before it)", "access list")


def _access_group_outside_interface(r: Reader, lineno: int, line: str, ws, lw) -> None:
    r.diag(lineno, ws[0][1], "error", "syntax", "`ip access-group` belongs under an interface", "ip access-group")


def _port_map(r: Reader, lineno: int, line: str, ws, lw) -> None:
    r.diag(lineno, ws[0][1], "note", "approximate",
           "port-to-application maps are not read: inspect class-maps use the default ports", "ip port-map")


def _asa(r: Reader, lineno: int, line: str, ws, lw) -> None:
    r.asa_line(lineno, ws)


_BY_TWO_WORDS = {
    ("ip", "access-list"): lambda r, lineno, line, ws, lw: acl.named_acl(r, lineno, ws, lw, 4),
    ("ipv6", "access-list"): lambda r, lineno, line, ws, lw: acl.named_acl(r, lineno, ws, lw, 6),
    ("zone", "security"): _at_least(3, _zone),
    ("zone-pair", "security"): lambda r, lineno, line, ws, lw: zbf.zone_pair(r, lineno, ws, lw),
    ("class-map", "type"): _inspect_map(zbf.class_map),
    ("policy-map", "type"): _inspect_map(zbf.policy_map),
    ("parameter-map", "type"): _inspect_map(_parameter_map),
    ("ip", "nat"): lambda r, lineno, line, ws, lw: nat.nat_global(r, lineno, ws, lw),
    ("ip", "inspect"): _ip_inspect,
    ("mac", "access-list"): _mac_access_list,
    ("asa", "version"): _asa,
    ("pix", "version"): _asa,
    ("ip", "access-group"): _access_group_outside_interface,
    ("ip", "traffic-filter"): _access_group_outside_interface,
    ("ip", "port-map"): _port_map,
    ("ipv6", "port-map"): _port_map,
}
_BY_FIRST_WORD = {
    "exit": lambda r, lineno, line, ws, lw: None,
    "end": lambda r, lineno, line, ws, lw: None,
    "hostname": _at_least(2, _hostname),
    "no": lambda r, lineno, line, ws, lw: r.top_no(lineno, ws, lw),
    "access-list": lambda r, lineno, line, ws, lw: acl.numbered(r, lineno, line, ws, lw),
    "object-group": lambda r, lineno, line, ws, lw: object_groups.object_group(r, lineno, ws, lw),
    "interface": _at_least(2, interfaces.interface),
    "time-range": _at_least(2, _time_range),
    **{k: _asa for k in ("access-group", "object", "nameif", "same-security-traffic", "nat")},
    **{k: _entry_outside_acl for k in ("permit", "deny", "remark", "sequence", "evaluate")},
}


def decode(path: str, data: bytes, report: Report) -> str | None:
    utf16 = utf16_encoding(data)
    if utf16 is not None:
        enc, bom = utf16
        if bom:
            report.early.append((1, "note", "encoding", "the file is UTF-16 (with a byte-order mark): read as such"))
            return data.decode(enc, "replace")
        report.early.append((1, "note", "encoding",
                             f"the file is {enc.upper()} without a byte-order mark: read as such"))
        return data[: len(data) - (len(data) % 2)].decode(enc, "replace")
    if looks_binary(data):
        return None
    if data.startswith(BOM_UTF8):
        data = data[3:]
    text, bad = decode_utf8(data)
    for b in bad:
        report.early.append((b.line, "warning", "encoding", f"byte 0x{b.byte:02x} is not UTF-8 (read as U+FFFD)"))
    return text
