"""An inventory checked against the devices it names, once their configurations are read.

Layer: policy. `load_inventory` checks what the inventory says on its own (addresses, roles,
paths); what it says about the devices can only be checked once they are parsed: that each
interface of an `interfaces` map is one the device has, that a declared `platform` is the
platform of the file, and that every address of a role the requirements use lies behind
some interface of some device. A mistake there does not fail loudly in the evaluation: a
flow through an interface the device does not have meets none of the rules written for the
real one, and findings vanish. So each is an error naming the inventory, the key and the
value (the CLI exits 2); where the device cannot tell, a note says so and the inventory is
taken as given.

What "the device has the interface" means depends on what the configuration can tell:

- Cisco IOS: the `interface` blocks (names as written: `GigabitEthernet0/1`, not `Gi0/1`).
- Cisco ASA: the `nameif` names (access groups are bound to them, not to hardware names).
- iptables and pf: a ruleset names interfaces, it does not define them. The names its rules,
  NAT and options use (`-i eth1`, `on em0`, `set skip on lo`, `(em0)`, `em0:network`), the
  interface families of wildcards (iptables `eth+`, pf driver groups such as `em`), and, for
  pf, interface names held by macros defined and never used. An interface the rules never
  name may still exist (the rules that name no interface decide there), so it is an error
  only when the ruleset names an interface the map leaves out (most likely the one meant:
  `fxp9` for `fxp1`), else a note; `unnamed_interfaces` declares it (no note, no error).
- A configuration that names no interface (only loopback), a pf ruleset that uses an
  interface group whose members are known at run time (`egress`), a Cisco excerpt without
  interfaces: the device cannot tell; a note says the inventory's names are taken as given.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Callable

from .. import files
from .. import model as m
from ..limits import MAX_INTERFACE_HINT_CANDIDATES
from .crossing import infer_interfaces, mapped_covers
from .inventory import DeviceEntry, Inventory, Range, normalise, subtract
from .pack import PSEUDO_ROLES, Pack, PolicyError, flow_applies

SHOWN_NAMES = 8  # names listed in one error before "and N more" (a file may name thousands)
_LOOPBACK_RE = re.compile(r"lo[0-9]*\+?\Z")
# pf's descriptions of the opaque conditions that stand for an interface's addresses
_PF_IFACE_ADDRESS_RE = re.compile(r"of interface ([^\s()]+)")
_PF_GROUP_KEY_RE = re.compile(r"(?:in|out)_iface group (\S+)\Z")
# an unused pf macro's definition: `name = "em0"` or `name = "{ em1 em2 }"`
_PF_MACRO_RE = re.compile(r"\s*[A-Za-z_][A-Za-z0-9_]*\s*=\s*(.*)\Z")
_PF_IFACE_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*[0-9]\Z")
# an ASA hardware interface name (the inventory names the ASA's interfaces by nameif)
_HARDWARE_RE = re.compile(r"[A-Za-z][A-Za-z-]*[0-9]+(?:/[0-9]+)*(?:\.[0-9]+)?\Z")


@dataclass(frozen=True)
class KnownInterfaces:
    """What one configuration says about its interfaces."""

    names: frozenset[str]  # the interfaces it defines (Cisco) or names (iptables, pf)
    families: frozenset[str] = frozenset()  # prefixes its wildcards cover (iptables `eth+`, pf `em`)
    groups: tuple[str, ...] = ()  # pf interface groups whose members are known at run time
    zones: dict[str, tuple[str, ...]] = field(default_factory=dict)  # IOS zone -> member interfaces
    defines: bool = False  # Cisco: the configuration defines its interfaces

    def has(self, name: str) -> bool:
        # (by the name's own prefixes: a file may have thousands of families)
        return name in self.names or any(name[:k] in self.families for k in range(len(name) + 1))

    def tells(self) -> bool:
        """Whether the configuration says anything about its interfaces beyond loopback."""
        real = [n for n in self.names if not _LOOPBACK_RE.match(n)]
        real += [p for p in self.families if not _LOOPBACK_RE.match(p + "0")]
        return bool(real)


def known_interfaces(device: m.Device) -> KnownInterfaces:
    if device.traits.defines_interfaces:
        zones: dict[str, list[str]] = {}
        for itf in device.interfaces:
            if itf.zone:
                zones.setdefault(itf.zone, []).append(itf.name)
        return KnownInterfaces(frozenset(i.name for i in device.interfaces),
                               zones={z: tuple(ms) for z, ms in zones.items()}, defines=True)
    names: set[str] = set()
    groups: set[str] = set()
    for cond in _conditions(device):
        if isinstance(cond, m.IfaceCond):
            names.update(cond.names)
        elif isinstance(cond, m.Opaque):
            group = _PF_GROUP_KEY_RE.match(cond.key)
            if group:
                groups.add(group.group(1))
            names.update(_PF_IFACE_ADDRESS_RE.findall(cond.description))
    names.update(i.name for i in device.interfaces)
    names.update(b.interface for b in device.bindings if b.interface)
    names.update(_unused_macro_interfaces(device))
    families = frozenset(n[:-1] for n in names if n.endswith("+") and len(n) > 1)
    exact = frozenset(n for n in names if n and not n.endswith("+"))
    return KnownInterfaces(exact, families, tuple(sorted(groups)))


def _conditions(device: m.Device):
    """Every condition of the device's rules and alterations, alternatives included."""
    stack = [c for f in device.filters for r in f.rules for c in r.match.conds]
    stack += [c for a in device.alterations for c in a.match.conds]
    while stack:
        c = stack.pop()
        if isinstance(c, m.AnyCond):
            stack.extend(cc for alt in c.alternatives for cc in alt.conds)
        else:
            yield c


def _unused_macro_interfaces(device: m.Device) -> set[str]:
    """Interface names held by pf macros that are defined and never used (a used macro's
    names are in the rules already). pf reports each such macro with its definition line."""
    out: set[str] = set()
    for d in device.diagnostics:
        if d.code != "unused-macro":
            continue
        found = _PF_MACRO_RE.match(d.origin.text)
        if found:
            words = found.group(1).replace('"', " ").replace("{", " ").replace("}", " ").replace(",", " ").split()
            out.update(w for w in words if _PF_IFACE_WORD_RE.match(w))
    return out


# ------------------------------------------------------------------ the checks


@dataclass
class _Findings:
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def validate(inv: Inventory, packs: list[Pack], devices: dict[str, m.Device],
             platform_of: Callable[[str], str | None], refused: dict[str, m.Device] | None = None) -> list[str]:
    """Check the inventory against its devices (path -> the device read from it; a file that
    could not be read is not here, and its error is already in the report). `platform_of(path)`
    is the platform the file's text looks like, or None. `refused`: the files read with their
    declared platform of which not one line was understood (`api.refusal`), checked for their
    platform only. Returns the notes for the report; raises PolicyError naming the inventory,
    the key and the value of the first mistake."""
    shown_inv = files.display(inv.path)
    found = _Findings()
    for entry in inv.devices:
        for path in entry.paths:
            device = devices.get(path)
            if device is None:
                if entry.platform and refused and path in refused:
                    _wrong_platform(entry, path, refused[path], platform_of, found)
                continue
            if entry.platform and _wrong_platform(entry, path, device, platform_of, found):
                continue  # (its interfaces would only repeat that the file was misread)
            if entry.interfaces:
                _check_interfaces(entry, path, device, found)
            elif entry.host is None:
                _check_inferred(entry, path, device, found)
    if not found.errors:
        _check_roles(inv, packs, devices, found)
    if found.errors:
        more = len(found.errors) - 1
        raise PolicyError(f"{shown_inv}: {found.errors[0]}" + (f" (and {more} more)" if more else ""))
    return [f"{shown_inv}: {n}" for n in dict.fromkeys(found.notes)]


def _wrong_platform(entry: DeviceEntry, path: str, device: m.Device,
                    platform_of: Callable[[str], str | None], found: _Findings) -> bool:
    """A file declared of one platform that reads as another: detection names another platform
    and the declared parser made little of it (no rule, or errors on most lines). Both, so
    that neither a detector's doubt on a file the declared parser reads well nor a file that is
    simply broken is called the wrong platform."""
    looks = platform_of(path)
    if looks is None or looks == entry.platform:
        return False
    rules = sum(1 for f in device.filters for r in f.rules if not r.synthetic)
    read = sum(s.lines_read for s in device.stats)
    understood = sum(s.lines_understood for s in device.stats)
    if rules and 2 * understood >= read:
        return False
    found.errors.append(
        f"devices/{entry.index}/platform: {entry.platform!r}: {files.display(path)} is not a {entry.platform} "
        f"configuration: it reads as {looks} (as {entry.platform}: {understood} of {read} lines understood, "
        f"{rules} rules)")
    return True


def _check_interfaces(entry: DeviceEntry, path: str, device: m.Device, found: _Findings) -> None:
    known = known_interfaces(device)
    shown = files.display(path)
    base = f"devices/{entry.index}"
    if known.defines and entry.unnamed_interfaces:
        found.errors.append(f"{base}/unnamed_interfaces: {list(entry.unnamed_interfaces)!r}: {shown} is a "
                            f"{device.platform} configuration, which defines its interfaces: name them as it does")
        return
    mapped = [n for n, _ in entry.interfaces]
    unknown = [n for n in mapped if not known.has(n) and n not in entry.unnamed_interfaces]
    if not unknown:
        return
    if not known.tells():
        found.notes.append(f"{shown} {_names_nothing(device)}: {_names(unknown)} taken as given")
        return
    # the interfaces the ruleset names that the map leaves out (loopback never has roles behind it)
    left_out = sorted(n for n in known.names if n not in mapped and not _LOOPBACK_RE.match(n))
    if not known.defines and known.groups:
        found.notes.append(f"{shown} never names {_names(unknown)}; they may be members of interface group(s) "
                           f"{', '.join(known.groups)} (known at run time): taken as given")
    elif known.defines or left_out:
        # only the first error is shown: its hint is worked out, the others are counted
        first = unknown[0]
        found.errors.append(f"{base}/interfaces/{first}: {first!r}: "
                            + _not_an_interface(entry, first, shown, device, known, left_out))
        found.errors.extend(f"{base}/interfaces/{name}" for name in unknown[1:])
    else:
        found.notes.append(f"{shown} never names {_names(unknown)} and names no interface the inventory leaves "
                           f"out: taken as interfaces its rules do not name (those that name no interface decide "
                           f"there)")


def _names(names: list[str]) -> str:
    return ("interface " if len(names) == 1 else "interfaces ") + _listed(names)


def _names_nothing(device: m.Device) -> str:
    if device.traits.defines_interfaces:
        return "defines no interface (an excerpt of a configuration?)"
    return "names no interface but loopback (the device cannot tell which it has)"


def _not_an_interface(entry: DeviceEntry, name: str, shown: str, device: m.Device, known: KnownInterfaces,
                      left_out: list[str]) -> str:
    listed = _listed(sorted(known.names) + sorted(p + "+" for p in known.families))
    hint = _hint(name, known, left_out)
    words = device.traits.words
    if words.missing_interface:
        why = words.missing_interface.format(shown=shown, name=name, listed=listed)
        if not hint and words.hardware_name_hint and _HARDWARE_RE.match(name):
            hint = words.hardware_name_hint
        return why + (f"; {hint}" if hint else "")
    return (f"{shown} never names interface {name}, and names {_listed(left_out)}, which the map leaves out "
            f"(it names: {listed})" + (f"; {hint}" if hint else "")
            + f". If the device has {name} and its rules that name no interface are to decide there, "
            f"list it in devices/{entry.index}/unnamed_interfaces")


def _hint(name: str, known: KnownInterfaces, left_out: list[str]) -> str:
    """The interface the inventory probably meant: a zone's members, the same name in other
    case, an IOS abbreviation, or a close name (one the map leaves out first)."""
    members = known.zones.get(name)
    if members:
        return f"{name} is a security zone: name its member interfaces ({_listed(members)})"
    names = sorted(known.names)
    lower = [n for n in names if n.lower() == name.lower()]
    abbreviated = [n for n in names if _abbreviates(name, n)]
    close: list[str] = []
    for candidates in (left_out, names):
        if not close and len(candidates) <= MAX_INTERFACE_HINT_CANDIDATES:
            close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    meant = (lower or abbreviated or close)[:1]
    return f"did you mean {meant[0]}?" if meant else ""


def _abbreviates(short: str, full: str) -> bool:
    """`Gi0/1` for `GigabitEthernet0/1` (IOS accepts such abbreviations on its command line;
    the configuration, and so fwlint, keeps the full name)."""
    a = re.match(r"([A-Za-z-]+)(.*)\Z", short)
    b = re.match(r"([A-Za-z-]+)(.*)\Z", full)
    return bool(a and b and a.group(2) == b.group(2) and a.group(1) != b.group(1)
                and b.group(1).lower().startswith(a.group(1).lower()))


def _listed(names) -> str:
    names = list(names)
    if not names:
        return "none"
    extra = len(names) - SHOWN_NAMES
    return ", ".join(names[:SHOWN_NAMES]) + (f" and {extra} more" if extra > 0 else "")


def _check_inferred(entry: DeviceEntry, path: str, device: m.Device, found: _Findings) -> None:
    """A device with neither `interfaces` nor `host` gets its map from its interface addresses
    and static routes; a configuration with none of them (iptables, pf) crosses no flow."""
    covers, _how = infer_interfaces(device)
    if any(covers.values()):
        return
    found.errors.append(
        f"devices/{entry.index}/path: {entry.pattern!r}: {files.display(path)} has no interface address or "
        f"static route to tell which networks lie behind which interface, and the inventory gives no "
        f"`interfaces` map nor `host`: no flow could cross it")


def _check_roles(inv: Inventory, packs: list[Pack], devices: dict[str, m.Device], found: _Findings) -> None:
    """Every address of a role that an applicable requirement uses lies behind an interface of
    some device, or is the host of one: else its flows silently cross nothing there."""
    placed: list[Range] = []
    for entry in inv.devices:
        if entry.host is not None:
            placed.extend(inv.addresses(entry.host))
        elif entry.interfaces:  # (the map says it, whether the file could be read or not)
            placed.extend(r for rs in mapped_covers(inv, entry).values() for r in rs)
        else:
            for path in entry.paths:
                device = devices.get(path)
                if device is None:
                    return  # a map to infer from a file that could not be read: its error says so
                placed.extend(r for rs in infer_interfaces(device)[0].values() for r in rs)
    placed = normalise(placed)
    for role in sorted(_used_roles(packs, inv.profile)):
        if role in PSEUDO_ROLES or role not in inv.roles:
            continue
        for k, rng in enumerate(inv.roles[role]):
            missing = subtract([rng], placed)
            if missing:
                part = "" if missing == normalise([rng]) else f" (of it, {_range_text(missing[0])})"
                found.errors.append(
                    f"roles/{role}/{k}: {_range_text(rng)!r}{part} lies behind no interface of any device of the "
                    f"inventory: map `{role}` or a network holding it to the interface it is reached through")


def _used_roles(packs: list[Pack], profile: dict) -> set[str]:
    out: set[str] = set()
    for pack in packs:
        for req in pack.requirements:
            if req.expect == "never" or not req.applies(profile):
                continue
            for flow in (*req.flows, *req.excepts):
                if flow_applies(flow, profile):
                    out.update(flow.src)
                    out.update(flow.dst)
    return out


def _range_text(rng: Range) -> str:
    """A range as the inventory would write it: a host, a prefix, or A-B."""
    fam, lo, hi = rng
    address = ipaddress.IPv4Address if fam == 4 else ipaddress.IPv6Address
    first, last = address(lo), address(hi)
    if lo == hi:
        return str(first)
    nets = list(ipaddress.summarize_address_range(first, last))
    return str(nets[0]) if len(nets) == 1 else f"{first}-{last}"
