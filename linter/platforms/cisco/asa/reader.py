"""The reader: an ASA configuration's lines -> an `AsaConfig` (vendor.py), run in order as the
CLI runs them. ciscoconfparse gives the block structure; each command is handed to the
object that reads its kind (`*Commands` in acl.py, objects.py, security_levels.py, nat.py,
inspection.py, edits.py; the simple ones are read here).

Layer: platform (Cisco ASA).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Callable, Iterator

from .... import model as m
from ....names import read_int
from ..common import ccp_class
from .acl import AccessListCommands
from .addresses import IPV4_RE, Addresses, mask_bits, zone_id_drop
from .edits import EditCommands
from .inspection import InspectionCommands
from .nat import NatCommands
from .objects import ObjectCommands
from .report import Report
from .security_levels import InterfaceCommands
from .services import Services
from .vendor import AsaConfig, Line, is_comment
from .vocab import ASA_PROTOCOLS, IOS_ONLY, NOT_RELEVANT, SUBCOMMANDS, TOP_COMMANDS, UNSUPPORTED

# --------------------------------------------------------------------------- lines and blocks


_BANNER_RE = re.compile(r"^\s*(?:banner\s|aaa authentication fail-message)", re.I)

# What `show running-config`, `more system:running-config` and `write memory` print around
# the configuration and the ASA does not take as a command: the checksum of the saved
# configuration (`Cryptochecksum:3ab4...`, `Cryptochecksum (unchanged): 1a2b 3c4d ...`),
# `Building configuration...`, `N bytes copied in T secs (...)`, `[OK]`. (`: Saved`,
# `: Written by ...`, `: end` and the other `:` lines are comments; `end` is a command.)
_SHOW_OUTPUT_RE = re.compile(
    r"^\s*(?:Cryptochecksum(?:\s*\(\w+\))?\s*:\s*[0-9a-f][0-9a-f ]*"
    r"|Building configuration\.*"
    r"|\d+ bytes copied in [\d.]+ secs(?: \(\d+ bytes/sec\))?"
    r"|\[OK\])\s*$", re.I)


def _blocks(lines: list[str]) -> list[Line]:
    """The top-level lines with their children, by ciscoconfparse (syntax "asa")."""
    sanitized = []
    for t in lines:
        if _BANNER_RE.match(t):
            t = "x-banner-line"  # one ASA line; hidden from the IOS banner heuristics
        elif "\t" in t:
            t = t.expandtabs(1)
        sanitized.append(t)
    try:
        parsed = ccp_class()(sanitized, syntax="asa", ignore_blank_lines=False, factory=False)
        objs = list(parsed.objs)
        if len(objs) != len(lines):
            raise ValueError("ciscoconfparse changed the number of lines")
        nodes = [Line(i + 1, lines[i], objs[i].indent) for i in range(len(lines))]
        roots = []
        for o in objs:
            node = nodes[o.linenum]
            parent = o.parent
            if parent is None or parent is o:
                roots.append(node)
            else:
                nodes[parent.linenum].children.append(node)
        return roots
    except Exception:  # pragma: no cover - fall back to indentation
        return _blocks_by_indent(lines)


def _blocks_by_indent(lines: list[str]) -> list[Line]:
    roots: list[Line] = []
    stack: list[Line] = []
    for i, t in enumerate(lines):
        ind = len(t) - len(t.lstrip(" \t"))
        node = Line(i + 1, t, ind)
        if is_comment(t):
            (stack[-1].children if stack and ind > 0 else roots).append(node)
            continue
        while stack and stack[-1].indent >= ind:
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


# --------------------------------------------------------------------------- the entry lexer and grammar


def is_sub(kind: str, w: list[str]) -> bool:
    """Whether a line is a sub-command of a block of this kind (the CLI stays in the block's
    mode for it; anything else leaves the mode)."""
    k = w[0].lower()
    if k not in SUBCOMMANDS.get(kind, ()):
        return False
    second = w[1].lower() if len(w) > 1 else ""
    if k == "nat":
        return second.startswith("(") or second in ("static", "dynamic")
    if k == "service":
        return second in ASA_PROTOCOLS or second == "tcp-udp" or second.isdigit()
    if k == "nameif":
        return len(w) == 2
    return True


# --------------------------------------------------------------------------- the walk


class Reader:
    """Runs the lines of one file into `config`; what it cannot read goes to `report`."""

    def __init__(self, report: Report, config: AsaConfig, addresses: Addresses, services: Services) -> None:
        self.report = report
        self.config = config
        self.objects = config.objects
        self.interfaces = config.interfaces
        self.inspection = config.inspection
        # the block whose sub-commands a line typed without indentation may still belong to
        self.last_block: tuple[str, Callable[[Line], None]] | None = None
        self.acl_commands = AccessListCommands(self)
        readers = (self.acl_commands, ObjectCommands(self, addresses, services), InterfaceCommands(self),
                   NatCommands(self), InspectionCommands(self), EditCommands(self), self)
        # command word -> its handler (a generator of the global lines under it for a block)
        self.handlers = {k: h for r in readers for k, h in r.commands().items()}

    def commands(self) -> dict[str, Callable[[Line], Iterator[Line] | None]]:
        """The commands this object reads: word -> handler."""
        return {"hostname": self.cmd_hostname, "names": self.cmd_names, "time-range": self.cmd_time_range,
                "name": self.cmd_name, "sysopt": self.cmd_sysopt, "ip": self.cmd_ip, "ipv6": self.cmd_ipv6}

    def run(self, text: str) -> None:
        raw = text.split("\n")
        if raw and raw[-1] == "":
            raw.pop()
        crlf = [i for i, t in enumerate(raw) if t.endswith("\r")]
        self.report.lines = [t[:-1] if t.endswith("\r") else t for t in raw]
        if crlf:
            self.report.diag(crlf[0] + 1, 1, "note", "line-endings",
                             f"CRLF (Windows) line endings on {len(crlf)} of {len(raw)} lines: read as LF", "file")
        for node in _blocks(self.report.lines):
            self.walk(node)

    def walk(self, node: Line) -> None:
        """Run a top-level command. A block yields the lines indented under it that the CLI
        runs as global commands; each runs (with its own block) before the rest of the block,
        as in the file. An explicit stack of these steps, not recursion: indentation can nest
        thousands deep."""
        stack = [self.top(node)]
        while stack:
            nested = next(stack[-1], None)
            if nested is None:
                stack.pop()
            else:
                stack.append(self.top(nested))

    def top(self, node: Line) -> Iterator[Line]:
        """Run one command; yields the lines under it to run as global commands (`walk`)."""
        if is_comment(node.text):
            yield from node.children
            return
        if _SHOW_OUTPUT_RE.match(node.text):
            self.report.other(node, collect=False)  # printed around the configuration: no command
            return
        w = node.words
        k = w[0].lower()
        if self.last_block is not None:
            kind, handler = self.last_block
            if is_sub(kind, w):
                handler(node)  # a sub-command of the block above, typed without indentation
                return
        self.last_block = None
        if k in self.handlers:
            steps = self.handlers[k](node)
            if steps is not None:  # a command with a block: a generator of its global lines
                yield from steps
        elif k in UNSUPPORTED:
            self.report.relevant(node)
            self.report.diag(node, node.indent + 1, "warning", "unsupported", UNSUPPORTED[k], k)
            self.report.not_read(node, "relevant")
        elif k in ("asa", "pix", "fwsm") and node.head(2).endswith(" version") and len(w) > 2:
            self.report.other(node, collect=False)
            mo = re.match(r"(\d+)", w[2])
            # before ASA 9.0, IPv4 and IPv6 access lists are separate: `any` is IPv4
            self.config.any_is_ipv4 = k != "asa" or (mo is not None and read_int(mo.group(1)) < 9)
        elif k == "route":
            self.report.other(node)
            self._route(w, node)
        elif k in NOT_RELEVANT or k in ("asa", "pix", "fwsm"):
            self.report.other(node)
        elif node.head(2) in IOS_ONLY or node.head(3) in IOS_ONLY:
            self.report.unknown(node, f"`{node.head(3)}` is an IOS command, not an ASA one: ignored", "ios-command")
        else:
            self.report.unknown(node, f"unknown command `{w[0]}`: not read")

    def children(self, node: Line, handler: Callable[[Line], None], kind: str,
                 handler_reads_children: bool = False) -> Iterator[Line]:
        """Run a block's sub-commands; a global command indented under it is yielded, to run at
        the top level (`walk`) before the next sub-command. A line indented under a sub-command
        is read next in the same mode (the CLI ignores indentation), unless the handler reads a
        sub-command's own lines (a policy-map's class)."""
        stack = list(reversed(node.children))
        while stack:
            c = stack.pop()
            if is_comment(c.text):
                stack.extend(reversed(c.children))  # lines under a comment: still in the block
                continue
            k = c.words[0].lower()
            if not is_sub(kind, c.words) and k in TOP_COMMANDS and k not in ("no", "ip", "ipv6"):
                yield c  # a global command indented under the block: the CLI runs it globally
                continue
            handler(c)
            if not handler_reads_children:
                stack.extend(reversed(c.children))
        self.last_block = (kind, handler)

    # -- simple commands

    def cmd_hostname(self, node: Line) -> None:
        self.report.other(node, collect=False)
        if len(node.words) > 1:
            self.config.hostname = node.words[1]

    def cmd_names(self, node: Line) -> None:
        self.report.relevant(node)

    def cmd_time_range(self, node: Line) -> None:
        self.report.relevant(node)
        if len(node.words) > 1:
            self.objects.time_ranges[node.words[1]] = self.report.origin(node)
        for c in node.children:
            if not is_comment(c.text):
                self.report.relevant(c)

    def cmd_name(self, node: Line) -> None:
        """PIX/ASA `name ADDRESS NAME [description TEXT]`."""
        self.report.relevant(node)
        w = node.words
        if len(w) < 3:
            self.report.diag(node, node.col(len(w) - 1), "error", "syntax",
                             "name: expected an address and a name", "name")
            return
        zoned = zone_id_drop(w[1], node.col(1))
        if zoned is not None:
            self.report.drop(node, zoned)
            return
        try:
            a = ipaddress.ip_address(w[1])
        except ValueError:
            self.report.diag(node, node.col(1), "error", "invalid", f"name: {w[1]!r} is not an IP address", "name")
            return
        if w[2] in self.objects.names and self.objects.names[w[2]][:2] != (a.version, read_int(a)):
            prev = self.objects.names[w[2]][2]
            self.report.diag(node, node.col(2), "warning", "redefined",
                             f"name {w[2]} was {self._show_addr(*self.objects.names[w[2]][:2])} "
                             f"(line {prev.line}); this line replaces it", "name")
        self.objects.names[w[2]] = (a.version, read_int(a), self.report.origin(node))

    @staticmethod
    def _show_addr(fam: int, v: int) -> str:
        return str(ipaddress.IPv4Address(v) if fam == 4 else ipaddress.IPv6Address(v))

    def cmd_sysopt(self, node: Line) -> None:
        if node.head(3) == "sysopt connection tcpmss":
            self.report.relevant(node)
            w = node.words
            if len(w) >= 4 and (w[3].isdigit() or (w[3].lower() == "minimum" and len(w) >= 5 and w[4].isdigit())):
                self.inspection.mss.append(node)
            else:
                self.report.diag(node, node.col(3), "error", "syntax",
                                 "sysopt connection tcpmss: expected a size", "sysopt")
        elif node.head(3) == "sysopt connection permit-vpn":
            self.report.relevant(node)
            self.report.diag(node, node.indent + 1, "note", "approximate",
                             "sysopt connection permit-vpn: traffic from VPN tunnels bypasses the interface access "
                             "lists; fwlint does not model tunnels", "sysopt")
        else:
            self.report.other(node)

    def cmd_ip(self, node: Line) -> None:
        h = node.head(2)
        w = node.words
        if h == "ip address" and len(w) >= 4 and not IPV4_RE.match(w[2]):
            # PIX 6: ip address NAMEIF ADDRESS MASK
            self.report.relevant(node)
            self.interfaces.pending_ip.append((w[2], " ".join(w[3:5]), node))
        elif h == "ip verify":
            self.report.relevant(node)
            self.report.diag(node, node.indent + 1, "warning", "unsupported",
                             "ip verify reverse-path (unicast RPF, drops spoofed sources) is not modelled", "ip verify")
        elif h in IOS_ONLY:
            self.report.unknown(node, f"`{h}` is an IOS command, not an ASA one: ignored", "ios-command")
        else:
            self.report.other(node)

    def cmd_ipv6(self, node: Line) -> Iterator[Line]:
        w = node.words
        if node.head(2) == "ipv6 access-list" and len(w) >= 4:
            yield from self.acl_commands.cmd_access_list(node, 2, "ipv6")
        elif node.head(2) == "ipv6 route":
            self.report.other(node)
            self._route(w[1:], node)
        elif node.head(2) in ("ipv6 access-list", "ipv6 traffic-filter"):
            self.report.unknown(node, f"`{node.head(2)}` in this form is an IOS command, not an ASA one: ignored",
                                "ios-command")
        else:
            self.report.other(node)

    def _route(self, w: list[str], node: Line) -> None:
        """`route IF NETWORK MASK GATEWAY [METRIC] ...` (PIX: `0 0` for 0.0.0.0 0.0.0.0),
        `ipv6 route IF PREFIX GATEWAY ...`: a static route of the model (not filtering)."""
        try:
            if len(w) >= 4 and "/" in w[2]:
                prefix = str(ipaddress.IPv6Network(w[2], strict=False))
                hop = str(ipaddress.ip_address(w[3]))
            elif len(w) >= 5:
                a, mask = ("0.0.0.0" if w[2] == "0" else w[2]), ("0.0.0.0" if w[3] == "0" else w[3])
                bits = mask_bits(mask)
                if bits is None:
                    return
                prefix = str(ipaddress.IPv4Network(f"{a}/{bits}", strict=False))
                hop = str(ipaddress.ip_address(w[4]))
            else:
                return
        except ValueError:
            return
        gateway = None if hop in ("0.0.0.0", "::") else hop
        self.config.routes.append(m.Route(prefix, w[1], gateway, self.report.origin(node)))

