"""Policy packs: YAML requirements validated against rules/schema/pack.schema.json."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .. import files, resources
from .yamlsafe import YamlError, load_yaml, schema_errors

PSEUDO_ROLES = ("internet", "internal")
PROTOCOLS = {"tcp": 6, "udp": 17}


class PolicyError(ValueError):
    """A pack or inventory that cannot be used: the message names the file and the key."""


@dataclass(frozen=True)
class FlowSpec:
    src: tuple[str, ...]
    dst: tuple[str, ...]
    protocols: tuple[str, ...] = ("any",)
    ports: tuple = ()  # () = every port; items: int, "lo-hi", {"profile": name}
    both_ways: bool = False
    when: tuple[tuple[str, object], ...] = ()

    def port_ranges(self, profile: dict) -> list[tuple[int, int]] | None:
        """Destination port ranges under the profile; [] when a profile port is unset
        (the flow does not apply), None for every port."""
        if not self.ports:
            return None
        out = []
        for p in self.ports:
            if isinstance(p, dict):
                v = profile.get(p["profile"])
                if v is None:
                    return []
                out.append((int(v), int(v)))
            elif isinstance(p, int):
                out.append((p, p))
            else:
                lo, _, hi = str(p).partition("-")
                out.append((int(lo), int(hi or lo)))
        return out

    def directions(self) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        out = [(self.src, self.dst)]
        if self.both_ways:
            out.append((self.dst, self.src))
        return out


@dataclass(frozen=True)
class Requirement:
    id: str
    title: str
    severity: str
    expect: str
    message: str
    flows: tuple[FlowSpec, ...]
    excepts: tuple[FlowSpec, ...] = ()
    when: tuple[tuple[str, object], ...] = ()
    source: str = ""  # document title and section
    url: str = ""
    explain: tuple[tuple[str, str], ...] = ()
    pack: str = ""

    def applies(self, profile: dict) -> bool:
        return _holds(self.when, profile)

    def roles(self) -> set[str]:
        return {r for f in (*self.flows, *self.excepts) for r in (*f.src, *f.dst)}


@dataclass(frozen=True)
class Pack:
    id: str
    prefix: str
    title: str
    path: str
    description: str = ""
    roles: tuple[tuple[str, str], ...] = ()
    profile: tuple[tuple[str, str, object, str], ...] = ()  # name, type, default, description
    requirements: tuple[Requirement, ...] = ()
    sources: tuple[tuple[str, str, str], ...] = ()  # key, title, url

    def profile_defaults(self) -> dict:
        return {name: default for name, _, default, _ in self.profile}

    def profile_types(self) -> dict:
        return {name: typ for name, typ, _, _ in self.profile}

    def role_names(self) -> set[str]:
        return {r for r, _ in self.roles}

    def by_id(self, rid: str) -> list[Requirement]:
        return [r for r in self.requirements if r.id == rid]


def _holds(when, profile: dict) -> bool:
    for key, want in when:
        have = profile.get(key)
        if want == "set":
            if have is None:
                return False
        elif want == "unset":
            if have is not None:
                return False
        elif have != want:
            return False
    return True


def flow_applies(f: FlowSpec, profile: dict) -> bool:
    return _holds(f.when, profile)


# --------------------------------------------------------------------------- loading


_SCHEMA: dict | None = None


def pack_schema() -> dict:
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = json.loads((resources.rules_dir() / "schema" / "pack.schema.json").read_text())
    return _SCHEMA


def builtin_packs() -> dict[str, Path]:
    """The packs shipped in rules/, by id (their file name)."""
    return {p.stem: p for p in sorted(resources.rules_dir().glob("*.yaml"))}


def is_pack_name(text: str) -> bool:
    """A pack id (`exchange-2013`), as opposed to a file path (`packs/web.yaml`)."""
    return re.fullmatch(r"[a-z0-9][a-z0-9-]*", text) is not None


def load_pack(name_or_path: str) -> Pack:
    """A built-in pack by id (`exchange-2013`; a file of that name in the checkout does not
    replace it) or a pack file by path."""
    p = Path(name_or_path)
    packs = builtin_packs()
    if is_pack_name(name_or_path) and name_or_path in packs:
        p = packs[name_or_path]
    elif not p.exists():
        known = ", ".join(sorted(packs)) or "none"
        raise PolicyError(f"{name_or_path}: no such pack file and no built-in pack of that name "
                          f"(built-in: {known})")
    try:
        data = load_yaml(p)
    except YamlError as e:
        raise PolicyError(f"{files.display(p)}: {e}") from None
    return pack_from_data(data, files.display(p))


def pack_from_data(data, path: str) -> Pack:
    errs = schema_errors(data, pack_schema())
    if errs:
        more = f" (and {len(errs) - 1} more)" if len(errs) > 1 else ""
        raise PolicyError(f"{path}: {_name_req(data, errs[0])}{more}")
    reader = _PackReader(data, path)
    reqs: list[Requirement] = []
    for r in data["requirements"]:
        reqs.append(reader.requirement(r, reqs))
    for name, spec in reader.profile.items():
        d = spec["default"]
        if spec["type"] == "boolean" and not isinstance(d, bool):
            raise PolicyError(f"{path}: profile/{name}/default: expected true or false")
        if spec["type"] == "port" and d is not None and not (isinstance(d, int) and 0 < d < 65536):
            raise PolicyError(f"{path}: profile/{name}/default: expected a port or null")
    return Pack(id=data["id"], prefix=data["prefix"], title=data["title"], path=path,
                description=data.get("description", ""),
                roles=tuple(reader.roles.items()),
                profile=tuple((k, v["type"], v["default"], v.get("description", ""))
                              for k, v in reader.profile.items()),
                requirements=tuple(reqs),
                sources=tuple((k, v["title"], v.get("url", "")) for k, v in reader.sources.items()))


class _PackReader:
    """Checks the requirements of one pack (valid by its schema) for meaning: known roles,
    profile settings and sources, port ranges; every error names the file and requirement."""

    def __init__(self, data: dict, path: str) -> None:
        self.data = data
        self.path = path
        self.roles = dict(data["roles"])
        self.profile = data.get("profile") or {}
        self.sources = data.get("sources") or {}
        self.known_roles = set(self.roles) | set(PSEUDO_ROLES)

    def fail(self, rid: str, key: str, msg: str):
        raise PolicyError(f"{self.path}: requirement {rid}: {key}: {msg}")

    def requirement(self, r: dict, earlier: list[Requirement]) -> Requirement:
        rid = r["id"]
        if not rid.startswith(self.data["prefix"]):
            self.fail(rid, "id", f"does not start with the pack's prefix {self.data['prefix']}")
        same = [q for q in earlier if q.id == rid]
        if any(q.expect == r["expect"] and dict(q.when) == (r.get("when") or {}) for q in same):
            self.fail(rid, "when", "an id given twice needs entries that differ in `when` or `expect`")
        doc, section, url = "", "", ""
        if r.get("source"):
            key = r["source"]["doc"]
            if key not in self.sources:
                self.fail(rid, "source/doc",
                          f"unknown source {key!r} (the pack lists: {', '.join(sorted(self.sources)) or 'none'})")
            doc = self.sources[key]["title"]
            url = self.sources[key].get("url", "")
            section = r["source"].get("section", "")
        if r["expect"] == "restrict" and not r["flows"]:
            self.fail(rid, "flows", "a restrict requirement needs the flows it restricts")
        if r.get("except") and r["expect"] != "restrict":
            self.fail(rid, "except", "only a restrict requirement has exceptions")
        return Requirement(
            id=rid, title=r["title"], severity=r["severity"], expect=r["expect"], message=r["message"],
            flows=tuple(self.flow(rid, f"flows/{j}", f) for j, f in enumerate(r["flows"])),
            excepts=tuple(self.flow(rid, f"except/{j}", f) for j, f in enumerate(r.get("except") or ())),
            when=self.check_when(rid, "when", r.get("when")),
            source=f"{doc}, {section}" if section and section != doc else doc, url=url,
            explain=tuple((r.get("explain") or {}).items()), pack=self.data["id"])

    def check_when(self, rid, key, when):
        for k, v in (when or {}).items():
            if k not in self.profile:
                self.fail(rid, f"{key}/{k}",
                          f"unknown profile setting (known: {', '.join(sorted(self.profile)) or 'none'})")
            typ = self.profile[k]["type"]
            if typ == "boolean" and not isinstance(v, bool):
                self.fail(rid, f"{key}/{k}", f"expected true or false, got {v!r}")
            if typ == "port" and not (v in ("set", "unset", None) or isinstance(v, int)):
                self.fail(rid, f"{key}/{k}", f"expected a port, set or unset, got {v!r}")
        return tuple(sorted((when or {}).items(), key=lambda kv: kv[0]))

    def flow(self, rid, key, d) -> FlowSpec:
        for side in ("from", "to"):
            for r in d[side]:
                if r not in self.known_roles:
                    self.fail(rid, f"{key}/{side}",
                              f"unknown role {r!r} (the pack defines: {', '.join(sorted(self.roles))})")
        ports = tuple(d.get("ports") or ())
        for p in ports:
            if isinstance(p, dict):
                if self.profile.get(p["profile"], {}).get("type") != "port":
                    self.fail(rid, f"{key}/ports", f"{p['profile']!r} is not a port setting of the profile")
            elif isinstance(p, str):
                lo, _, hi = p.partition("-")
                if int(lo) > 65535 or int(hi or lo) > 65535 or int(hi or lo) < int(lo):
                    self.fail(rid, f"{key}/ports", f"bad port range {p!r}")
        protos = tuple(d.get("protocols") or ("any",))
        return FlowSpec(tuple(d["from"]), tuple(d["to"]), protos, ports, bool(d.get("both_ways", False)),
                        self.check_when(rid, f"{key}/when", d.get("when")))


def _name_req(data, err: str) -> str:
    """'requirements/3/expect: ...' -> 'requirement EX201: expect: ...'."""
    parts = err.split("/", 2)
    if len(parts) >= 3 and parts[0] == "requirements" and parts[1].isdigit() and isinstance(data, dict):
        reqs = data.get("requirements")
        if isinstance(reqs, list) and int(parts[1]) < len(reqs) and isinstance(reqs[int(parts[1])], dict):
            rid = reqs[int(parts[1])].get("id", f"#{parts[1]}")
            return f"requirement {rid}: {parts[2]}"
    if len(parts) == 2 and parts[0] == "requirements" and parts[1].split(":")[0].isdigit():
        i = int(parts[1].split(":")[0])
        reqs = data.get("requirements") if isinstance(data, dict) else None
        if isinstance(reqs, list) and i < len(reqs) and isinstance(reqs[i], dict):
            return f"requirement {reqs[i].get('id', '#' + str(i))}:{parts[1].split(':', 1)[1]}"
    return err
