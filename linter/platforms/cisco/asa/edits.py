"""`clear configure X` and `no X`: commands of a CLI script that remove what the lines above
configured.

Layer: platform (Cisco ASA).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .vendor import Line
from .vocab import NOT_RELEVANT

if TYPE_CHECKING:  # pragma: no cover
    from .reader import Reader


class EditCommands:
    COMMANDS = ("clear", "no")

    def __init__(self, reader: "Reader") -> None:
        self.report = reader.report
        config = reader.config
        self.objects = config.objects
        self.access = config.access
        self.interfaces = config.interfaces
        self.translations = config.translations
        self.inspection = config.inspection

    def cmd_clear(self, node: Line) -> None:
        """`clear configure X [NAME]` in a CLI script: empties what is configured so far."""
        w = [x.lower() for x in node.words]
        if len(w) < 3 or w[1] not in ("configure", "config", "conf"):
            self.report.other(node)
            return
        what = w[2]
        arg = node.words[3] if len(node.words) > 3 else None
        if what == "access-list":
            self.report.relevant(node)
            gone = [arg] if arg else list(self.access.acls)
            for name in gone:
                if name in self.access.acls:
                    del self.access.acls[name]
                self.access.access_groups = [g for g in self.access.access_groups if g.acl != name]
        elif what == "access-group":
            self.report.relevant(node)
            self.access.access_groups = []
        elif what == "object-group":
            self.report.relevant(node)
            kinds = {"network", "service", "protocol", "icmp-type", "user", "security"}
            a = arg.lower() if arg else None
            for name, g in list(self.objects.groups.items()):
                kind = "service" if g.kind == "port" else g.kind
                if a is None or (a in kinds and kind == a) or name == arg:
                    del self.objects.groups[name]
        elif what == "object":
            self.report.relevant(node)
            if arg is None or arg.lower() == "network":
                self.objects.net_objs.clear()
            if arg is None or arg.lower() == "service":
                self.objects.svc_objs.clear()
            self.translations.nats = [n for n in self.translations.nats if n[0] != "object"]
        elif what in ("nat", "static", "global"):
            self.report.relevant(node)
            if what == "global":
                self.translations.globals_ = []
            else:
                keep = {"nat": ("static",), "static": ("twice", "object", "legacy")}[what]
                self.translations.nats = [n for n in self.translations.nats if n[0] in keep]
        elif what in ("policy-map", "class-map", "service-policy"):
            self.report.relevant(node)
            {"policy-map": self.inspection.policy_maps, "class-map": self.inspection.class_maps}.get(what, {}).clear()
            if what == "service-policy":
                self.inspection.service_policies = []
        elif what in ("name", "names"):
            self.report.relevant(node)
            self.objects.names.clear()
        elif what == "fixup":
            self.report.relevant(node)
            self.inspection.fixups = []
        else:
            self.report.other(node)
    def cmd_no(self, node: Line) -> None:
        w = node.words
        if len(w) < 2:
            self.report.unknown(node, "`no` without a command")
            return
        k = w[1].lower()
        h = " ".join(x.lower() for x in w[1:4])
        if k == "access-list" and len(w) >= 3:
            self.report.relevant(node)
            name = w[2]
            acl = self.access.acls.get(name)
            if acl is None:
                self.report.diag(node, node.col(2), "error", "undefined-reference",
                                 f"no access-list: access-list {name} is not defined", "access-list")
            elif len(w) == 3:
                del self.access.acls[name]
            else:
                body = [x.lower() for x in w[3:]]
                if body[:1] == ["line"] and len(body) > 1:
                    body = body[2:]
                if body[:1] in (["extended"], ["standard"]):
                    body = body[1:]
                for e in acl.entries:
                    eb = [x.lower() for x in e.line.words[e.start:]]
                    if e.kind == "remark":
                        eb = ["remark"] + eb
                    if eb == body:
                        acl.entries.remove(e)
                        break
                else:
                    self.report.diag(node, node.col(3), "warning", "unsupported",
                                     f"no access-list: no entry of {name} reads like this one; nothing removed",
                                     "access-list")
        elif k == "access-group":
            self.report.relevant(node)
            rest = [x.lower() for x in w[2:]]
            before = len(self.access.access_groups)
            self.access.access_groups = [g for g in self.access.access_groups
                                         if not (g.acl == (w[2] if len(w) > 2 else "") and
                                          (g.hook == "global" and rest[1:2] == ["global"] or
                                           g.hook in rest[1:2] and g.iface == (w[-1] if len(w) > 4 else None)))]
            if len(self.access.access_groups) == before:
                self.report.diag(node, node.col(1), "warning", "unsupported", "no access-group: no such access-group",
                                 "access-group")
        elif k in ("object", "object-group") and len(w) >= 4:
            self.report.relevant(node)
            (self.objects.groups if k == "object-group" else
             self.objects.net_objs if w[2].lower() == "network" else self.objects.svc_objs).pop(w[3], None)
        elif k == "fixup" and len(w) >= 4:
            self.report.relevant(node)
            proto = w[3].lower()
            self.inspection.fixups = [f for f in self.inspection.fixups if f.words[2].lower() != proto]
        elif h.startswith("sysopt connection tcpmss"):
            self.report.relevant(node)
            self.inspection.mss = []
        elif k == "same-security-traffic":
            self.report.relevant(node)
            if "inter-interface" in h:
                self.interfaces.same_inter = None
            if "intra-interface" in h:
                self.interfaces.same_intra = None
        elif k == "service-policy" and len(w) >= 3:
            self.report.relevant(node)
            self.inspection.service_policies = [s for s in self.inspection.service_policies if s[0] != w[2]]
        elif k == "name" and len(w) >= 4:
            self.report.relevant(node)
            self.objects.names.pop(w[3], None)
        elif k in ("nat", "static", "global"):
            self.report.relevant(node)
            self.report.diag(node, node.indent + 1, "warning", "unsupported",
                             f"no {k}: removing a translation is not modelled; the translation stays", k)
        elif k in NOT_RELEVANT or k in ("names", "ip", "ipv6", "service", "sysopt", "established", "conduit"):
            self.report.other(node)
        else:
            self.report.unknown(node, f"unknown command `no {w[1]}`: not read")

