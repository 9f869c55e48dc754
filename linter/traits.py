"""What differs between platforms that the code right of the model needs to know, as data
(`model.Traits`, on `Device.traits`): nothing right of the model compares a platform's name.

Layer: model (re-exported by `linter.model`). The platform side declares each platform's
traits (linter/platforms/traits.py, through `declare_traits`); a device of a platform that
declares nothing has the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Wording:
    """How messages name what differs between platforms ("": no such message, or the
    generic words)."""

    file: str = ""  # what a file of the platform is ("an iptables-save file")
    statement: str = ""  # what one of its statements is ("a table, chain or rule")
    # FW004 when the device has filters and none of them decides (iptables: no filter table)
    no_deciding_filter: str = ""
    # FW004 when the device has interfaces and nothing bound to them ({names}, {between})
    nothing_bound: str = ""
    # policy validation: an interface of the inventory the configuration does not define
    # ({shown}: the file, {name}, {listed}: its interfaces)
    missing_interface: str = ""
    # ... when that name looks like a hardware name
    hardware_name_hint: str = ""
    # trace: why a packet on an interface the model does not name is dropped ({name},
    # {device}, {known}: the interfaces it names)
    unnamed_interface: str = ""


@dataclass(frozen=True)
class Traits:
    """What differs between platforms that the code right of the model needs to know, as
    data: nothing right of the model compares a platform's name. Declared by the platform
    side (linter/platforms/traits.py, through `declare_traits`); a device of a platform that
    declares nothing has these defaults."""

    # filters apply per interface and direction (SIDES); False: at the HOST_HOOKS
    per_interface: bool = True
    # a packet on an interface the model does not name is dropped, not left to the filters
    # (the ASA passes traffic only through interfaces with a nameif)
    drops_unnamed_interfaces: bool = False
    # the filters see the real addresses: an address translation on the path changes no
    # answer about the roles' real addresses (iptables FORWARD, ASA 8.3+ access lists)
    real_addresses: bool = False
    # the configuration defines its interfaces (rather than naming them in rules)
    defines_interfaces: bool = False
    # rules are numbered as entries of their access lists (packet-tracer's numbering)
    numbered_entries: bool = False
    # name prefixes of filters whose default is no policy anyone wrote (each restricts
    # only its own traffic and lets the rest on: IOS zone-pairs)
    own_traffic_filters: tuple[str, ...] = ()
    # the comment marker in which suppressions are read ("#", "!" with ACL remarks; "":
    # none), and the comments inside a statement that also hold them ("rule-comment":
    # iptables' `-m comment`, covering its rule; "trailing": a `#` ending the statement)
    comment: str = ""
    inline_comments: str = ""
    # the reader opens nothing but the file it is given; `includes`: the words of the
    # statements by which it reads other files (a file without any is self-contained)
    self_contained: bool = False
    includes: tuple[bytes, ...] = ()
    words: Wording = Wording()


_DECLARED: dict[str, Traits] = {}


def declare_traits(platform: str, traits: Traits) -> None:
    """What the devices of `platform` are like (called by the platform side)."""
    _DECLARED[platform] = traits


def traits_of(platform: str) -> Traits:
    return _DECLARED.get(platform) or Traits()


def declared_traits() -> dict[str, Traits]:
    """platform -> its traits, for the platforms declared so far."""
    return dict(_DECLARED)
