"""What each platform's devices are like, for the code right of the model (`model.Traits`).

Layer: platforms. The registry (`__init__.py`) declares these to the model when the platform
package is imported, so that every device a platform parses carries its traits. One table for
now, while the platforms move into packages; each package can later declare its own.
"""

from __future__ import annotations

from ..traits import Traits, Wording

_CISCO_COMMENTS = dict(comment="!", numbered_entries=True, defines_interfaces=True, self_contained=True)

TRAITS: dict[str, Traits] = {
    "iptables": Traits(
        per_interface=False, real_addresses=True, comment="#", inline_comments="rule-comment",
        self_contained=True,
        words=Wording(file="an iptables-save file", statement="a table, chain or rule",
                      no_deciding_filter="no filter table: every packet is accepted at INPUT, FORWARD and OUTPUT")),
    "pf": Traits(
        comment="#", inline_comments="trailing", includes=(b"include", b"file", b"load"),
        words=Wording(file="a pf.conf ruleset", statement="a pf rule, option, table or macro")),
    "cisco-ios": Traits(
        own_traffic_filters=("zone ", "zone-pair "), **_CISCO_COMMENTS,
        words=Wording(file="a Cisco IOS configuration", statement="an IOS command",
                      nothing_bound=("no access list or zone-pair is applied to any interface ({names}): IOS "
                                     "forwards every packet {between}, any source, destination, protocol and port"),
                      missing_interface="{shown} has no `interface {name}` (its interfaces: {listed})")),
    "cisco-asa": Traits(
        drops_unnamed_interfaces=True, real_addresses=True, **_CISCO_COMMENTS,
        words=Wording(file="a Cisco ASA configuration", statement="an ASA command",
                      missing_interface="{shown} has no interface with nameif {name} (its nameif names: {listed})",
                      hardware_name_hint="the inventory names an ASA's interfaces by nameif, not by hardware name",
                      unnamed_interface=("{name} is no interface with a nameif on {device} (nameifs: {known}): an "
                                         "ASA passes no traffic through an interface without one; name interfaces "
                                         "by their nameif"))),
}
