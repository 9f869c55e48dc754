"""The one entry point for callers: load configurations, lint them, trace packets.

Layer: api. Knows the platforms by name (imported lazily) and the checks; the command line
(cli.py) is a thin shell around these functions.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from . import model as m
from .checks import run_checks
from .findings import Report
from .graph import Trace, TraceError, trace
from .names import proto_number
from .policy.pack import PolicyError, builtin_packs, load_pack  # noqa: F401 - PolicyError is re-exported for the CLI

# platform name -> module with detect(text) -> bool and parse(path, data, ...) -> Device
PLATFORMS: dict[str, str] = {
    "iptables": "linter.platforms.iptables",
    "pf": "linter.platforms.pf",
    "cisco-ios": "linter.platforms.cisco_ios",
    "cisco-asa": "linter.platforms.cisco_asa",
}

MAX_FILE_BYTES = 64 * 1024 * 1024
_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox"}
# in a directory walk, files that are documentation or data, never a firewall configuration
# (a file named on the command line is always read)
_SKIP_SUFFIXES = {".md", ".rst", ".yaml", ".yml", ".json", ".jsonl", ".py", ".sarif", ".html", ".csv"}


class InputError(Exception):
    """A file that cannot be read at all (missing, a directory of nothing, too large)."""


def platform_module(name: str):
    try:
        return importlib.import_module(PLATFORMS[name])
    except KeyError:
        raise InputError(f"unknown platform {name!r} (known: {', '.join(sorted(PLATFORMS))})") from None


def detect(text: str) -> str | None:
    for name in PLATFORMS:
        try:
            mod = platform_module(name)
        except ImportError:  # pragma: no cover - a platform not built yet
            continue
        if mod.detect(text):
            return name
    return None


def display_path(path: Path) -> str:
    """Paths in findings: relative to the working directory where possible, with '/'."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        rel = str(path)
    if rel.startswith(".."):
        rel = str(path)
    return rel.replace(os.sep, "/")


def read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path}: {size} bytes is larger than the {MAX_FILE_BYTES // (1024 * 1024)} MiB fwlint reads")
    try:
        return path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from None


def load(path: str | Path, platform: str | None = None) -> m.Device:
    """Parse one configuration file into the normalized model."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p}: is a directory (give a file, or use `fwlint check DIR`)")
    data = read_bytes(p)
    name = platform or detect(data[:65536].decode("utf-8", "replace"))
    if name is None:
        # not recognised: let the most likely parser report located diagnostics
        name = "iptables"
    return platform_module(name).parse(display_path(p), data)


def iter_files(paths: Iterable[str | Path], excluded: Callable[[Path], bool] | None = None
               ) -> Iterator[tuple[Path, bool]]:
    """(file, named explicitly). Directories are walked; hidden and VCS folders, and
    documentation and data files (by suffix), are skipped, and so is what `excluded` says
    (files and folders of the walk only: a file named explicitly is always yielded)."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".")
                                 and not (excluded and excluded(Path(root) / d)))
                for fname in sorted(files):
                    if not fname.startswith(".") and Path(fname).suffix.lower() not in _SKIP_SUFFIXES \
                            and not (excluded and excluded(Path(root) / fname)):
                        yield Path(root) / fname, False
        else:
            yield p, True


@dataclass
class LintOptions:
    platform: str | None = None
    select: set[str] | None = None  # check ids to run (None: all)
    ignore: set[str] = field(default_factory=set)
    policies: list[str] = field(default_factory=list)  # pack ids or files (--policy)
    inventory: str | None = None  # --inventory FILE
    # project configuration (linter/config.py): severity overrides (id -> error|warning|note),
    # platform per glob and globs excluded from directory walks, relative to `root` (default:
    # the working directory)
    severity: dict[str, str] = field(default_factory=dict)
    platforms: list[tuple[str, str]] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    root: str | Path | None = None
    # called once per file of the run (walked, named or from the inventory) when it is done
    # with: progress(path, total files)
    progress: Callable[[str, int], None] | None = None

    def _rel(self, path: Path) -> str | None:
        from .config import relative_to_root

        return relative_to_root(path, Path(self.root) if self.root is not None else Path.cwd())

    def excluded(self, path: Path) -> bool:
        from .config import glob_matches

        rel = self._rel(path) if self.exclude else None
        if rel is not None and path.is_dir():
            rel += "/"  # (as git: `legacy/` names folders only, and a walk prunes them whole)
        return rel is not None and any(glob_matches(rel, g) for g in self.exclude)

    def platform_for(self, path: Path) -> str | None:
        """--platform, else the first `platforms` glob that matches, else None (detect)."""
        if self.platform or not self.platforms:
            return self.platform
        from .config import glob_matches

        rel = self._rel(path)
        return next((name for g, name in self.platforms if rel is not None and glob_matches(rel, g)), None)


def _wanted(opts: LintOptions, rid: str) -> bool:
    return (opts.select is None or rid in opts.select) and rid not in opts.ignore


def lint(paths: Iterable[str | Path], options: LintOptions | None = None) -> Report:
    """Read every configuration under `paths` (and the inventory's devices), run the checks
    and the policy packs, and return the report. A pack or inventory that cannot be used
    raises PolicyError before anything is read: nothing is half-applied."""
    opts = options or LintOptions()
    report = Report()
    from .checks import CHECKS
    from .policy import load_inventory, load_pack

    packs = [load_pack(p) for p in opts.policies]
    inventory = None
    if packs and opts.inventory is None:
        raise PolicyError("a policy pack is evaluated on the devices of an inventory: give --inventory FILE")
    if opts.inventory is not None:
        if not packs:
            raise PolicyError("an inventory is read for a policy pack: give --policy NAME (built-in: "
                              + ", ".join(sorted(builtin_packs())) + ")")
        inventory = load_inventory(opts.inventory, packs)

    enabled = [c.ID for c in CHECKS if _wanted(opts, c.ID)]
    seen: dict[str, m.Device] = {}
    def excluded(path: Path) -> bool:
        if opts.excluded(path):
            report.excluded.append(str(path))  # (said with -v)
            return True
        return False

    todo = [(path, explicit, opts.platform_for(path))
            for path, explicit in iter_files(paths, excluded if opts.exclude else None)]
    if inventory is not None:
        todo += [(Path(p), True, entry.platform or opts.platform_for(Path(p)))
                 for entry in inventory.devices for p in entry.paths]

    def tick(path) -> None:
        if opts.progress is not None:
            opts.progress(str(path), len(todo))

    def read(path: Path, explicit: bool, platform: str | None) -> bool:
        """Read one file; False when it gives no (new) device."""
        key = str(path)
        if key in seen:
            return False
        if not path.exists():
            report.errors.append(f"{path}: no such file or directory")
            return False
        if not explicit:
            try:
                head = path.open("rb").read(65536).decode("utf-8", "replace")
            except OSError as e:
                report.errors.append(f"{path}: cannot read: {e.strerror}")
                return False
            if platform is None and detect(head) is None:
                report.skipped.append(str(path))  # not a firewall configuration
                return False
        try:
            device = load(path, platform)
        except InputError as e:
            report.errors.append(str(e))
            return False
        seen[key] = device
        report.devices.append(device)
        report.diagnostics.extend(device.diagnostics)
        return True

    for path, explicit, platform in todo:
        if not read(path, explicit, platform):
            tick(path)  # (a device's file is done when its checks have run)
    evaluated_paths: set[str] = set()
    if inventory is not None:
        from .policy.evaluate import evaluate

        evaluated = {p: d for p, d in seen.items() if any(p in e.paths for e in inventory.devices)}
        evaluated_paths = {s.path for d in evaluated.values() for s in d.stats}
        evaluation = evaluate(packs, inventory, evaluated)
        report.findings.extend(f for f in evaluation.findings if _wanted(opts, f.id))
        report.not_checked.extend(evaluation.not_checked)
        report.notes.extend(evaluation.notes)
        report.policies.extend(pk.id for pk in packs)
    for key, device in seen.items():
        # each device with a packet space of its own: its memory is let go before the next
        report.findings.extend(run_checks(device, enabled))
        tick(key)
    if opts.severity:  # the project's severity overrides, after every finding is made
        report.findings = [f if opts.severity.get(f.id, f.severity) == f.severity
                           else dataclasses.replace(f, severity=opts.severity[f.id]) for f in report.findings]
    report.sorted()
    _suppress(report, opts, packs, enabled, evaluated_paths)
    return report.sorted()


def _suppress(report: Report, opts: LintOptions, packs: list, enabled: list[str], evaluated_paths: set[str]) -> None:
    """Inline `fwlint: disable=...` directives (linter/suppress.py), after every finding is known."""
    from . import suppress
    from .checks import BY_ID

    def known_requirements() -> frozenset[str]:
        ids = {r.id for pk in packs for r in pk.requirements}
        for name in builtin_packs():
            try:
                ids.update(r.id for r in load_pack(name).requirements)
            except PolicyError:  # pragma: no cover - a built-in pack is validated by its tests
                continue
        return frozenset(ids)

    suppress.apply(report, suppress.Scope(
        check_ids=frozenset(BY_ID),
        checks_run=frozenset(enabled),
        requirements_run=frozenset(r.id for pk in packs for r in pk.requirements if _wanted(opts, r.id)),
        evaluated_paths=frozenset(evaluated_paths),
        packs_evaluated=bool(packs),
        known_requirements=functools.cache(known_requirements),
        report_fw008=_wanted(opts, "FW008"),
    ))


# --------------------------------------------------------------------------- packets


def parse_packet_spec(text: str) -> dict:
    """The compact form `tcp 203.0.113.5:40000 -> 10.0.1.10:443 in eth0 [out eth1]`
    (also `icmp A -> B type 8 code 0`, `[2001:db8::1]:443`, `hook FORWARD`, `flags SYN,ACK`,
    `state ESTABLISHED`) -> a dict in the JSON-lines form."""
    words = text.replace("->", " -> ").split()
    if len(words) < 4 or "->" not in words:
        raise ValueError(f"cannot read packet {text!r}: expected 'PROTO SRC[:PORT] -> DST[:PORT] [in IF] [out IF]'")
    out: dict = {"proto": words[0]}
    arrow = words.index("->")
    if arrow != 2 or len(words) < 4:
        raise ValueError(f"cannot read packet {text!r}: expected 'PROTO SRC[:PORT] -> DST[:PORT]'")
    out["src"], out["sport"] = _addr_port(words[1])
    out["dst"], out["dport"] = _addr_port(words[3])
    rest = words[4:]
    keys = {"in": "in_iface", "out": "out_iface", "hook": "hook", "type": "icmp_type", "code": "icmp_code",
            "flags": "tcp_flags", "state": "state", "dir": "direction", "direction": "direction"}
    while rest:
        k = rest.pop(0)
        if k not in keys or not rest:
            raise ValueError(f"cannot read packet {text!r}: unexpected {k!r}")
        v = rest.pop(0)
        out[keys[k]] = int(v) if keys[k] in ("icmp_type", "icmp_code") else v
    return out


def _addr_port(text: str) -> tuple[str, int | None]:
    if text.startswith("["):
        addr, _, port = text[1:].partition("]")
        port = port.lstrip(":")
        return addr, int(port) if port else None
    if text.count(":") == 1:
        addr, port = text.split(":")
        return addr, int(port)
    return text, None


def packet_from_dict(d: dict) -> tuple[m.Packet, bool]:
    """A JSON-lines record -> (packet, state given explicitly)."""
    import ipaddress

    try:
        src = ipaddress.ip_address(str(d["src"]))
        dst = ipaddress.ip_address(str(d["dst"]))
    except KeyError as e:
        raise ValueError(f"missing field {e.args[0]!r}") from None
    if src.version != dst.version:
        raise ValueError("source and destination are of different address families")
    proto_raw = d.get("proto", "tcp")
    proto = proto_number(str(proto_raw)) if proto_raw is not None else 6
    if proto is None:
        raise ValueError(f"unknown protocol {proto_raw!r}")
    if proto == m.PROTO_ICMP and src.version == 6:
        proto = m.PROTO_ICMPV6
    flags = d.get("tcp_flags")
    if isinstance(flags, str):
        bits = 0
        for name in flags.upper().replace("|", ",").split(","):
            name = name.strip()
            if name and name != "NONE":
                if name not in m.TCP_FLAG_BITS:
                    raise ValueError(f"unknown TCP flag {name!r}")
                bits |= m.TCP_FLAG_BITS[name]
        flags = bits
    ports = proto in m.PORT_PROTOCOLS
    icmp = proto in (m.PROTO_ICMP, m.PROTO_ICMPV6)

    def _int(key: str, hi: int) -> int | None:
        v = d.get(key)
        if v is None:
            return None
        v = int(v)
        if not 0 <= v <= hi:
            raise ValueError(f"{key} {v} out of range")
        return v

    pkt = m.Packet(
        family=src.version,
        src=int(src),
        dst=int(dst),
        proto=proto,
        sport=(_int("sport", 65535) if d.get("sport") is not None else 40000) if ports else None,
        dport=(_int("dport", 65535) if d.get("dport") is not None else 0) if ports else None,
        icmp_type=(_int("icmp_type", 255) if d.get("icmp_type") is not None else 8) if icmp else None,
        icmp_code=(_int("icmp_code", 255) or 0) if icmp else None,
        tcp_flags=flags if proto == m.PROTO_TCP else None,
        in_iface=d.get("in_iface") or "",
        out_iface=d.get("out_iface") or "",
        direction=d.get("direction") or "in",
    )
    state = d.get("state")
    if state:
        state = str(state).upper()
        if state not in m.STATES:
            raise ValueError(f"unknown state {state!r} (one of {', '.join(m.STATES)})")
        return dataclasses.replace(pkt, state=state), True
    st, _exact = m.default_state(pkt)
    return dataclasses.replace(pkt, state=st), False


def default_hook(device: m.Device, d: dict) -> str | None:
    if d.get("hook"):
        return str(d["hook"])
    if device.platform == "iptables":
        i, o = d.get("in_iface"), d.get("out_iface")
        if i and o:
            return "FORWARD"
        if o:
            return "OUTPUT"
        return "INPUT"
    if d.get("direction"):
        return str(d["direction"])
    # per interface and direction (pf, Cisco): through the device when both interfaces are
    # given (inbound, then outbound), else the side that is given
    i, o = d.get("in_iface"), d.get("out_iface")
    if i and o:
        return "forward"
    return "out" if o else "in"


def acl_entries(device: m.Device) -> dict[int, tuple[str, int]]:
    """For Cisco devices: each rule (by identity) -> (access list, entry number), as the
    ASA's packet-tracer names them (`access-list OUTSIDE_IN line 3`), counting the list's
    own entries only (not the rules fwlint adds for the connection table or the security
    levels). The first filter holding the rule names it."""
    if not device.platform.startswith("cisco"):
        return {}
    out: dict[int, tuple[str, int]] = {}
    for f in device.filters:
        n = 0
        for r in f.rules:
            if r.synthetic or r.origin is None or not r.origin.text:
                continue
            n += 1
            out.setdefault(id(r), (f.name, n))
    return out


@dataclass
class TraceAnswer:
    record: dict
    trace: Trace | None
    error: str | None = None
    acl: dict = field(default_factory=dict)  # acl_entries() of the device

    def to_json(self) -> dict:
        out = dict(self.record)
        if self.trace is None:
            out.update({"verdict": None, "approximate": True, "rules": [], "error": self.error})
            return out
        t = self.trace
        out["verdict"] = t.verdict
        out["approximate"] = t.approximate
        out["rules"] = [{"path": s.origin.path, "line": s.origin.line, "chain": s.filter,
                         "table": s.table, "action": s.action,
                         "text": s.origin.text.strip(),
                         **({"anchor": s.rule.anchor} if s.rule is not None and s.rule.anchor else {}),
                         **({"acl": self.acl[id(s.rule)][0], "entry": self.acl[id(s.rule)][1]}
                            if s.rule is not None and id(s.rule) in self.acl else {})}
                        for s in t.steps if s.origin is not None]
        if t.hook:
            out.setdefault("hook", t.hook)
        if t.reasons:
            out["reasons"] = list(t.reasons)
        if t.alternatives:
            out["alternatives"] = list(t.alternatives)
        return out


def trace_records(device: m.Device, records: Iterable[dict], filter_name: str | None = None) -> Iterator[TraceAnswer]:
    acls = acl_entries(device)
    for rec in records:
        try:
            pkt, _ = packet_from_dict(rec)
            fname = filter_name or rec.get("filter")
            hook = None if fname else default_hook(device, rec)
            yield TraceAnswer(rec, trace(device, pkt, hook, fname), acl=acls)
        except (ValueError, TraceError) as e:
            yield TraceAnswer(rec, None, str(e))


def read_jsonl(path: str | Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as e:
                    raise InputError(f"{path}:{n}: not JSON: {e.msg}") from None
                if not isinstance(rec, dict):
                    raise InputError(f"{path}:{n}: expected a JSON object")
                yield rec
