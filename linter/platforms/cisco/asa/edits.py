"""`clear configure X` and `no X`: commands of a CLI script that remove what the lines above
configured.

Layer: platform (Cisco ASA).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterator

from .vendor import Line
from .vocab import NOT_RELEVANT

if TYPE_CHECKING:  # pragma: no cover
    from .reader import Reader


class EditCommands:
    def commands(self) -> dict[str, Callable[[Line], Iterator[Line] | None]]:
        """The commands this object reads: word -> handler."""
        return {"clear": self.cmd_clear, "no": self.cmd_no}

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
        clear = self._clears.get(w[2])
        if clear is None:
            self.report.other(node)
            return
        self.report.relevant(node)
        clear(w[2], node.words[3] if len(node.words) > 3 else None)

    @property
    def _clears(self) -> dict[str, Callable[[str, str | None], None]]:
        """What each `clear configure X [NAME]` empties (X -> a function of X and NAME)."""
        return {"access-list": self._clear_access_lists, "access-group": self._clear_access_groups,
                "object-group": self._clear_groups, "object": self._clear_objects,
                "nat": self._clear_translations, "static": self._clear_translations,
                "global": self._clear_translations, "policy-map": self._clear_policies,
                "class-map": self._clear_policies, "service-policy": self._clear_policies,
                "name": self._clear_names, "names": self._clear_names, "fixup": self._clear_fixups}

    def _clear_access_lists(self, _what: str, arg: str | None) -> None:
        gone = [arg] if arg else list(self.access.acls)
        for name in gone:
            if name in self.access.acls:
                del self.access.acls[name]
            self.access.access_groups = [g for g in self.access.access_groups if g.acl != name]

    def _clear_access_groups(self, _what: str, _arg: str | None) -> None:
        self.access.access_groups = []

    def _clear_groups(self, _what: str, arg: str | None) -> None:
        kinds = {"network", "service", "protocol", "icmp-type", "user", "security"}
        a = arg.lower() if arg else None
        for name, g in list(self.objects.groups.items()):
            kind = "service" if g.kind == "port" else g.kind
            if a is None or (a in kinds and kind == a) or name == arg:
                del self.objects.groups[name]

    def _clear_objects(self, _what: str, arg: str | None) -> None:
        if arg is None or arg.lower() == "network":
            self.objects.net_objs.clear()
        if arg is None or arg.lower() == "service":
            self.objects.svc_objs.clear()
        self.translations.nats = [n for n in self.translations.nats if n[0] != "object"]

    def _clear_translations(self, what: str, _arg: str | None) -> None:
        if what == "global":
            self.translations.globals_ = []
        else:
            keep = {"nat": ("static",), "static": ("twice", "object", "legacy")}[what]
            self.translations.nats = [n for n in self.translations.nats if n[0] in keep]

    def _clear_policies(self, what: str, _arg: str | None) -> None:
        {"policy-map": self.inspection.policy_maps, "class-map": self.inspection.class_maps}.get(what, {}).clear()
        if what == "service-policy":
            self.inspection.service_policies = []

    def _clear_names(self, _what: str, _arg: str | None) -> None:
        self.objects.names.clear()

    def _clear_fixups(self, _what: str, _arg: str | None) -> None:
        self.inspection.fixups = []

    def cmd_no(self, node: Line) -> None:
        w = node.words
        if len(w) < 2:
            self.report.unknown(node, "`no` without a command")
            return
        k = w[1].lower()
        undo = self._undos.get(k)
        if undo is not None and len(w) >= undo[0] and undo[1](node, w) is not False:
            self.report.relevant(node)
        elif k in NOT_RELEVANT or k in ("names", "ip", "ipv6", "service", "sysopt", "established", "conduit"):
            self.report.other(node)
        else:
            self.report.unknown(node, f"unknown command `no {w[1]}`: not read")

    @property
    def _undos(self) -> dict[str, tuple[int, Callable[[Line, list[str]], bool | None]]]:
        """`no X ...`: X -> (the words the command needs, what it removes; False: not this form)."""
        return {"access-list": (3, self._no_access_list), "access-group": (2, self._no_access_group),
                "object": (4, self._no_object), "object-group": (4, self._no_object), "fixup": (4, self._no_fixup),
                "sysopt": (2, self._no_sysopt), "same-security-traffic": (2, self._no_same_security),
                "service-policy": (3, self._no_service_policy), "name": (4, self._no_name),
                "nat": (2, self._no_translation), "static": (2, self._no_translation),
                "global": (2, self._no_translation)}

    def _no_access_list(self, node: Line, w: list[str]) -> None:
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

    def _no_access_group(self, node: Line, w: list[str]) -> None:
        rest = [x.lower() for x in w[2:]]
        before = len(self.access.access_groups)
        self.access.access_groups = [g for g in self.access.access_groups
                                     if not (g.acl == (w[2] if len(w) > 2 else "") and
                                             (g.hook == "global" and rest[1:2] == ["global"] or
                                              g.hook in rest[1:2] and g.iface == (w[-1] if len(w) > 4 else None)))]
        if len(self.access.access_groups) == before:
            self.report.diag(node, node.col(1), "warning", "unsupported", "no access-group: no such access-group",
                             "access-group")

    def _no_object(self, _node: Line, w: list[str]) -> None:
        (self.objects.groups if w[1].lower() == "object-group" else
         self.objects.net_objs if w[2].lower() == "network" else self.objects.svc_objs).pop(w[3], None)

    def _no_fixup(self, _node: Line, w: list[str]) -> None:
        proto = w[3].lower()
        self.inspection.fixups = [f for f in self.inspection.fixups if f.words[2].lower() != proto]

    def _no_sysopt(self, _node: Line, w: list[str]) -> bool:
        if not " ".join(x.lower() for x in w[1:4]).startswith("sysopt connection tcpmss"):
            return False  # another sysopt: not relevant
        self.inspection.mss = []
        return True

    def _no_same_security(self, _node: Line, w: list[str]) -> None:
        h = " ".join(x.lower() for x in w[1:4])
        if "inter-interface" in h:
            self.interfaces.same_inter = None
        if "intra-interface" in h:
            self.interfaces.same_intra = None

    def _no_service_policy(self, _node: Line, w: list[str]) -> None:
        self.inspection.service_policies = [s for s in self.inspection.service_policies if s[0] != w[2]]

    def _no_name(self, _node: Line, w: list[str]) -> None:
        self.objects.names.pop(w[3], None)

    def _no_translation(self, node: Line, w: list[str]) -> None:
        k = w[1].lower()
        self.report.diag(node, node.indent + 1, "warning", "unsupported",
                         f"no {k}: removing a translation is not modelled; the translation stays", k)
