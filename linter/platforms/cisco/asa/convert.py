"""The converter: an `AsaConfig` (vendor.py) -> the filters, bindings, interfaces and
alterations of a `model.Device`, by one object per part (objects.py, acl.py,
security_levels.py, nat.py, inspection.py), composed here; and the `unused` notes.

Layer: platform (Cisco ASA).
"""

from __future__ import annotations

from .... import model as m
from .acl import AclConverter
from .addresses import Addresses
from .inspection import InspectionConverter
from .nat import NatConverter
from .objects import ObjectResolver
from .report import Report
from .security_levels import SecurityLevels
from .services import Services
from .vendor import AsaConfig


class Converter:
    def __init__(self, report: Report, config: AsaConfig, addresses: Addresses, services: Services,
                 budget: int) -> None:
        self.report = report
        self.objects = config.objects
        self.access = config.access
        self.translations = config.translations
        self.resolver = ObjectResolver(report, config.objects, addresses, services, budget)
        self.acl = AclConverter(report, config, self.resolver, addresses, services)
        self.levels = SecurityLevels(report, config, self.acl)
        self.nat = NatConverter(report, config, self.resolver, addresses, services, self.acl, self.levels)
        self.inspection = InspectionConverter(report, config, services, self.acl, self.levels)

    def convert(self) -> tuple[list[m.Filter], list[m.Binding], list[m.Interface], list[m.Alteration]]:
        for g in list(self.objects.groups.values()):
            self.resolver.validate_group(g)
        acls = self.access.acls
        filters = [self.acl.acl_filter(acls[n]) for n in dict.fromkeys(self.access.acl_order) if n in acls]
        by_name = {f.name: f for f in filters}
        ifaces = self.levels.named_interfaces()
        bindings, in_filters = self.levels.bindings(by_name, ifaces)
        alterations = self.nat.alterations() + self.inspection.inspect_alterations() + self.inspection.mss_alterations()
        self._unused(bindings)
        model_ifaces = [m.Interface(i.nameif, tuple(i.addresses), None, i.level) for i in ifaces]  # type: ignore[arg-type]
        return filters + in_filters, bindings, model_ifaces, alterations

    def _unused(self, bindings: list[m.Binding]) -> None:
        def note(origin: m.Origin, message: str, construct: str) -> None:
            self.report.diag(origin.line, origin.column, "note", "unused", message, construct)

        for name in dict.fromkeys(self.access.acl_order):
            acl = self.access.acls.get(name)
            if acl is None or name in self.levels.applied or name in self.report.other_words:
                continue
            if acl.used:
                if any(ag.acl == name for ag in self.access.access_groups):
                    note(acl.origin, f"access-list {name} is not applied: each of its access-groups is replaced "
                                     f"by a later one", "access-list")
                continue
            note(acl.origin, f"access-list {name} is never applied (no access-group or other feature uses it)",
                 "access-list")
        for obj in self.objects.net_objs.values():
            if not obj.used and obj.name not in self.report.other_words and not any(
                    n[0] == "object" and n[2] == obj.name for n in self.translations.nats):
                note(obj.origin, f"object network {obj.name} is never used", "object network")
        for sobj in self.objects.svc_objs.values():
            if not sobj.used and sobj.name not in self.report.other_words:
                note(sobj.origin, f"object service {sobj.name} is never used", "object service")
        for g in self.objects.groups.values():
            if not g.used and g.name not in self.report.other_words:
                kind = "service" if g.kind == "port" else g.kind
                note(g.origin, f"object-group {kind} {g.name} is never used", f"object-group {kind}")
