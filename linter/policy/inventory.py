"""Inventories: where the roles live and which configurations stand between them."""

from __future__ import annotations

import ipaddress
import os
import json
from dataclasses import dataclass, field
from pathlib import Path

from .. import files, resources
from ..ranges import merge3
from .pack import PSEUDO_ROLES, Pack, PolicyError
from .yamlsafe import YamlError, load_yaml, schema_errors

Range = tuple[int, int, int]  # family, first, last

# decision 1 of the Exchange requirements: never Internet hosts
NOT_INTERNET = ("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
                "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
                "::/128", "::1/128", "fe80::/10", "fc00::/7", "ff00::/8")
# addresses that cannot be a server of a role
NOT_A_HOST = ("0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
              "::/128", "::1/128", "fe80::/10", "ff00::/8")


def parse_address(text: str) -> Range:
    """A host, a prefix or a range `A-B`, IPv4 or IPv6 -> (family, first, last)."""
    t = str(text).strip()
    if "%" in t:  # (ipaddress accepts fe80::1%eth0 and drops the zone from the number)
        raise ValueError(f"{t!r}: a zone id (%{t.split('%', 1)[1]}) names an interface, not addresses: "
                         "give the address alone")
    try:
        if "-" in t:
            a, b = (ipaddress.ip_address(x.strip()) for x in t.split("-", 1))
            if a.version != b.version:
                raise ValueError("the two ends of the range are of different families")
            if int(b) < int(a):
                raise ValueError("the range ends before it starts")
            return (a.version, int(a), int(b))
        if "/" in t:
            n = ipaddress.ip_network(t, strict=True)
            return (n.version, int(n.network_address), int(n.broadcast_address))
        a = ipaddress.ip_address(t)
        return (a.version, int(a), int(a))
    except ValueError as e:
        msg = str(e)
        if "has host bits set" in msg:
            msg = "a prefix with host bits set (write the network address, or the host alone)"
        elif "does not appear to be" in msg:
            msg = "not an IPv4 or IPv6 address, prefix or range"
        raise ValueError(f"{t!r}: {msg}") from None


def normalise(ranges) -> list[Range]:
    """Sorted, merged (family, first, last) ranges."""
    return list(merge3(ranges))


def subtract(a, b) -> list[Range]:
    """a minus b (both lists of ranges)."""
    out: list[Range] = []
    b = normalise(b)
    for fam, lo, hi in normalise(a):
        pieces = [(lo, hi)]
        for f2, l2, h2 in b:
            if f2 != fam:
                continue
            nxt = []
            for x, y in pieces:
                if h2 < x or l2 > y:
                    nxt.append((x, y))
                    continue
                if l2 > x:
                    nxt.append((x, l2 - 1))
                if h2 < y:
                    nxt.append((h2 + 1, y))
            pieces = nxt
        out.extend((fam, x, y) for x, y in pieces)
    return out


def intersect(a, b) -> list[Range]:
    out = []
    for fam, lo, hi in normalise(a):
        for f2, l2, h2 in normalise(b):
            if f2 == fam and l2 <= hi and h2 >= lo:
                out.append((fam, max(lo, l2), min(hi, h2)))
    return normalise(out)


ALL = [(4, 0, 2**32 - 1), (6, 0, 2**128 - 1)]


@dataclass(frozen=True)
class DeviceEntry:
    paths: tuple[str, ...]  # the files the entry's path or glob matched
    pattern: str
    platform: str | None = None
    interfaces: tuple[tuple[str, tuple[str, ...]], ...] = ()  # iface -> roles or prefixes
    host: str | None = None
    index: int = 0  # its place in the inventory's `devices` (errors name devices/INDEX)
    # interfaces of the `interfaces` map that the configuration never names, declared to
    # exist (iptables, pf: the file names interfaces in rules, it does not define them)
    unnamed_interfaces: tuple[str, ...] = ()


@dataclass
class Inventory:
    path: str
    internal: list[Range]
    roles: dict[str, list[Range]]
    profile: dict
    devices: list[DeviceEntry] = field(default_factory=list)

    def addresses(self, role: str) -> list[Range]:
        if role == "internal":
            return list(self.internal)
        if role == "internet":
            taken = list(self.internal) + [r for rs in self.roles.values() for r in rs]
            return subtract(subtract(ALL, taken), [parse_address(x) for x in NOT_INTERNET])
        return list(self.roles.get(role, ()))

    def has(self, role: str) -> bool:
        return role in PSEUDO_ROLES or bool(self.roles.get(role))


_SCHEMA: dict | None = None


def inventory_schema() -> dict:
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = json.loads((resources.rules_dir() / "schema" / "inventory.schema.json").read_text())
    return _SCHEMA


def load_inventory(path: str, packs: list[Pack]) -> Inventory:
    """Read and check an inventory against the packs it is used with. Every error names
    the file and the key; nothing is half-applied (the caller gets an Inventory or an error)."""
    p = Path(path)
    path = files.display(p)
    if not os.path.lexists(p):
        raise PolicyError(f"{path}: no such inventory file")
    try:
        data = load_yaml(p)
    except YamlError as e:
        raise PolicyError(f"{path}: {e}") from None
    errs = schema_errors(data, inventory_schema())
    if errs:
        raise PolicyError(f"{path}: {errs[0]}" + (f" (and {len(errs) - 1} more)" if len(errs) > 1 else ""))
    known_roles = set().union(*(pk.role_names() for pk in packs)) if packs else set()
    internal = _addr_list(path, "internal", data.get("internal") or [])
    roles = _roles(path, data.get("roles") or {}, packs, known_roles)
    profile = _profile(path, data.get("profile") or {}, packs)
    # the devices' paths are confined like the inventory: to the repository root, or to the
    # inventory's own folder when it was named outside any repository
    confinement = files.current().for_file(p)
    known = roles.keys() | (known_roles if packs else set())
    devices = [_device(path, i, d, p.parent, confinement, known, roles.keys() | known_roles)
               for i, d in enumerate(data.get("devices") or [])]
    return Inventory(str(p), normalise(internal), roles, profile, devices)


def _addr_list(path: str, key: str, items) -> list[Range]:
    out = []
    for i, x in enumerate(items):
        try:
            out.append(parse_address(x))
        except ValueError as e:
            raise PolicyError(f"{path}: {key}/{i}: {e}") from None
    return out


def _roles(path: str, data: dict, packs: list[Pack], known_roles: set[str]) -> dict[str, list[Range]]:
    """The inventory's roles (the packs' roles only, when packs are given), none of whose
    addresses lies in a range that cannot hold a server."""
    roles: dict[str, list[Range]] = {}
    special = [parse_address(x) for x in NOT_A_HOST]
    for role, items in data.items():
        if role in PSEUDO_ROLES:
            raise PolicyError(f"{path}: roles/{role}: `{role}` is defined by the inventory's `internal` list, "
                              "not as a role")
        if packs and role not in known_roles:
            raise PolicyError(f"{path}: roles/{role}: unknown role "
                              f"(the pack defines: {', '.join(sorted(known_roles))})")
        rs = _addr_list(path, f"roles/{role}", items)
        for i, r in enumerate(rs):
            bad = intersect([r], special)
            if bad:
                raise PolicyError(f"{path}: roles/{role}/{i}: {items[i]!r} lies in a special-purpose range that "
                                  "cannot hold a server (unspecified, loopback, link-local, multicast or reserved)")
        roles[role] = rs
    return roles


def _profile(path: str, data: dict, packs: list[Pack]) -> dict:
    """The packs' profile defaults, with the inventory's settings (checked by their type)."""
    types: dict[str, str] = {}
    profile: dict = {}
    for pk in packs:
        types.update(pk.profile_types())
        for k, v in pk.profile_defaults().items():
            profile.setdefault(k, v)
    for k, v in data.items():
        if k not in types:
            raise PolicyError(f"{path}: profile/{k}: unknown profile setting "
                              f"(known: {', '.join(sorted(types)) or 'none'})")
        if types[k] == "boolean" and not isinstance(v, bool):
            raise PolicyError(f"{path}: profile/{k}: expected true or false, got {v!r}")
        if types[k] == "port" and not (v is None or (isinstance(v, int) and not isinstance(v, bool) and 0 < v < 65536)):
            raise PolicyError(f"{path}: profile/{k}: expected a TCP port (1-65535) or null, got {v!r}")
        profile[k] = v
    return profile


def _device(path: str, i: int, d: dict, base: Path, confinement: files.Confinement, mapped_roles,
            host_roles) -> DeviceEntry:
    """devices/i: its files (a glob from the inventory's folder), interface map (roles or
    addresses: `mapped_roles` are the names taken as roles), host role (one of `host_roles`)."""
    pattern = d["path"]
    try:
        matched = files.glob_files(base, pattern, "device path", confinement)
    except files.InputError as e:
        raise PolicyError(f"{path}: devices/{i}/path: {e}") from None
    if not matched:
        raise PolicyError(f"{path}: devices/{i}/path: {pattern!r} matches no file")
    ifaces = []
    for name, items in (d.get("interfaces") or {}).items():
        for j, x in enumerate(items):
            if x in PSEUDO_ROLES or x in mapped_roles:
                continue
            try:
                parse_address(x)
            except ValueError as e:
                raise PolicyError(f"{path}: devices/{i}/interfaces/{name}/{j}: "
                                  f"neither a role nor an address: {e}") from None
        ifaces.append((name, tuple(items)))
    host = d.get("host")
    if host is not None and host not in host_roles:
        raise PolicyError(f"{path}: devices/{i}/host: unknown role {host!r}")
    if host is not None and ifaces:
        # a host is judged at its hooks to and from the host: a map beside it would be silently unused
        raise PolicyError(f"{path}: devices/{i}/interfaces: a device with `host` ({host!r}) is judged as that "
                          "host (INPUT and OUTPUT); its interface map would not be used: give one or the other")
    platform = d.get("platform")  # (one of the platforms: the schema's enum)
    unnamed = _unnamed_interfaces(path, i, d.get("unnamed_interfaces") or [], [n for n, _ in ifaces])
    # neither interfaces nor host: the mapping is inferred from the configuration's own
    # interface addresses and static routes (Cisco), where it has them
    return DeviceEntry(tuple(matched), pattern, platform, tuple(ifaces), host, i, unnamed)


def _unnamed_interfaces(path: str, i: int, names: list, mapped: list[str]) -> tuple[str, ...]:
    """devices/i/unnamed_interfaces: each one an interface of the device's own `interfaces`
    map (a name there that maps nothing would be a second typo, silently declaring nothing)."""
    for j, name in enumerate(names):
        if name not in mapped:
            raise PolicyError(f"{path}: devices/{i}/unnamed_interfaces/{j}: {name!r}: not an interface of "
                              f"devices/{i}/interfaces ({', '.join(mapped) or 'none is mapped'})")
    return tuple(names)
