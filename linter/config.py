"""Project configuration: `.fwlint.yaml` or `[tool.fwlint]` in pyproject.toml.

Layer: config (read by the cli, between it and the api). Finds the file, reads it strictly
(an unknown key or a wrong type is an error naming the file and the key), and holds what it
says; the cli merges it with the command line (flags win) into `api.LintOptions`.

Discovery: from the working directory upwards, the first directory that holds `.fwlint.yaml`
or a pyproject.toml with a `[tool.fwlint]` table; the search stops at a directory holding
`.git` (the repository root) and at the filesystem root. Where both files are in the same
directory, `.fwlint.yaml` is read and the pyproject table is ignored (with a warning).
Relative paths in the file (inventory, policy files) and every glob are relative to the
directory of the file read.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from . import files, limits

if TYPE_CHECKING:  # pragma: no cover
    import pathspec

YAML_NAME = ".fwlint.yaml"
PYPROJECT = "pyproject.toml"
SEVERITY_VALUES = ("error", "warning", "note", "off")
FAIL_ON_VALUES = ("error", "warning", "note", "never")
SHOW_SEVERITY_VALUES = ("error", "warning", "note")
# the keys, in one spelling (kebab-case, as in pyproject.toml tables)
KEYS = ("disable", "exclude", "fail-on", "inventory", "platforms", "policies", "quiet", "severity",
        "show-severity", "statistics")


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file (and the key)."""


@dataclass
class Config:
    path: Path | None = None  # the file read; None: no configuration
    root: Path = field(default_factory=Path.cwd)  # where paths and globs are relative to
    inventory: str | None = None  # resolved against root
    policies: list[str] = field(default_factory=list)  # names, or files resolved against root
    severity: dict[str, str] = field(default_factory=dict)  # id -> error|warning|note|off
    disable: set[str] = field(default_factory=set)
    platforms: list[tuple[str, str]] = field(default_factory=list)  # (glob, platform), first match wins
    exclude: list[str] = field(default_factory=list)
    fail_on: str | None = None
    # what is displayed (never what fails): as --show-severity, --quiet, --statistics
    show_severity: str | None = None
    quiet: bool | None = None
    statistics: bool | None = None
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- globs


@lru_cache(maxsize=512)
def _spec(pattern: str) -> pathspec.GitIgnoreSpec:
    # imported on the first glob: pathspec's import takes longer than a one-file check spends
    # reading its file (its deprecation decorators import asyncio), and most runs have no glob
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines([pattern])


def glob_matches(rel: str, pattern: str) -> bool:
    """gitignore matching (pathspec's) of a root-relative '/'-separated path: a pattern
    without '/' matches a file or directory name at any depth; one with '/' matches from the
    root; a matching directory matches everything below it. `*` and `?` stay within a name,
    `**` crosses directories. Case-sensitive. A leading `./` is allowed."""
    pat = pattern[2:] if pattern.startswith("./") else pattern
    if not pat.strip("/") or not rel:
        return False
    return _spec(pat).match_file(rel)


def relative_to_root(path: Path, root: Path) -> str | None:
    """`path` relative to `root` with '/', or None when it lies outside."""
    try:
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    except ValueError:  # pragma: no cover - another drive on Windows
        return None
    if rel == ".." or rel.startswith(".." + os.sep):
        return None
    return rel.replace(os.sep, "/")


# --------------------------------------------------------------------------- reading


def _display(path: Path) -> str:
    return files.display(path)


def _read(path: Path, named: bool = False) -> bytes:
    """A configuration file's bytes (linter/files.py: confined, a regular file, bounded)."""
    try:
        return files.read_file(path, limit=limits.MAX_SIDE_FILE_BYTES, named=named, what="configuration file")
    except files.InputError as e:
        raise ConfigError(str(e)) from None


def _parse_toml(raw: bytes, path: Path) -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise ConfigError(f"{_display(path)}: not UTF-8 (byte {e.start})") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{_display(path)}: not TOML: {e}") from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise ConfigError(f"{_display(path)}: nested deeper than fwlint reads") from None
    if _depth(data) > limits.MAX_DOCUMENT_DEPTH:
        raise ConfigError(f"{_display(path)}: nested deeper than {limits.MAX_DOCUMENT_DEPTH} levels")
    return data


def _depth(value) -> int:
    """How deeply lists and tables nest in a parsed document (iteratively)."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        v, d = todo.pop()
        deepest = max(deepest, d)
        if isinstance(v, dict):
            todo.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            todo.extend((x, d + 1) for x in v)
    return deepest


def _has_tool_table(path: Path) -> bool:
    data = _read(path)
    if b"fwlint" not in data:  # cheap: do not parse every pyproject.toml on the way up
        return False
    return "fwlint" in (_parse_toml(data, path).get("tool") or {})


def discover(start: Path | None = None) -> tuple[Path | None, list[str]]:
    """The configuration file that applies in `start` (default: the working directory), or
    None; and warnings (a pyproject table shadowed by .fwlint.yaml)."""
    d = (start or Path.cwd()).resolve()
    while True:
        yml, pyp = d / YAML_NAME, d / PYPROJECT
        has_yaml = yml.is_file()
        has_pyp = pyp.is_file() and _has_tool_table(pyp)
        if has_yaml:
            warn = [f"{_display(pyp)}: [tool.fwlint] ignored: {_display(yml)} takes precedence"] if has_pyp else []
            return yml, warn
        if has_pyp:
            return pyp, []
        if (d / ".git").exists() or d.parent == d:
            return None, []
        d = d.parent


def load(path: str | Path, named: bool = True) -> Config:
    """Read one configuration file: `.fwlint.yaml` (or any .yaml/.yml) or a TOML file with
    a `[tool.fwlint]` table. `named`: given with --config (a discovered one is confined to
    the repository root like any file of the checkout)."""
    p = Path(path)
    where = _display(p)
    if not os.path.lexists(p):
        raise ConfigError(f"{where}: no such configuration file")
    raw = _read(p, named)  # (a link out of the checkout, a FIFO: refused before anything is parsed)
    if p.suffix == ".toml":
        table = (_parse_toml(raw, p).get("tool") or {}).get("fwlint")
        if table is None:
            raise ConfigError(f"{where}: no [tool.fwlint] table")
        where_key = f"{where}: [tool.fwlint]"
    else:
        from .policy.yamlsafe import YamlError, load_yaml

        try:
            table = load_yaml(p, text=raw.decode("utf-8-sig"))
        except UnicodeDecodeError as e:
            raise ConfigError(f"{where}: not UTF-8 (byte {e.start})") from None
        except YamlError as e:
            raise ConfigError(f"{where}: {e}") from None
        if table is None:
            table = {}
        where_key = where
    return from_data(table, p.resolve().parent, where_key, p)


def find(config_file: str | None = None, no_config: bool = False) -> Config:
    """The configuration for this run: `--config FILE`, else the one discovered, else none."""
    if no_config:
        return Config()
    if config_file:
        return load(config_file)
    found, warnings = discover()
    if found is None:
        return Config()
    cfg = load(found, named=False)
    cfg.warnings.extend(warnings)
    return cfg


def from_data(data, root: Path, where: str, path: Path | None = None) -> Config:
    """Validate the table and build a Config; every error names `where` and the key."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping of settings, got {_kind(data)}")
    for k in data:
        if k not in KEYS:
            raise ConfigError(f"{where}: unknown key {k!r} (known: {', '.join(KEYS)})")
    cfg = Config(path=path, root=root)
    # the files it names are confined to the repository root, or to the file's own folder
    # when it was named outside any repository (linter/files.py)
    reader = _Settings(cfg, where, files.current().for_file(path if path is not None else root / YAML_NAME))
    for key, read in reader.readers():
        if key in data:
            read(data[key])
    return cfg


def _kind(v) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number"}.get(type(v), type(v).__name__)


class _Settings:
    """Reads the settings of one configuration file into `cfg`, one key at a time (in the
    order of `readers`: the first error found is the one reported)."""

    def __init__(self, cfg: Config, where: str, confinement: files.Confinement) -> None:
        self.cfg = cfg
        self.root = cfg.root
        self.where = where
        self.confinement = confinement

    def readers(self):
        return (("inventory", self.inventory), ("policies", self.policies), ("severity", self.severity),
                ("disable", self.disable), ("platforms", self.platforms), ("exclude", self.exclude),
                ("fail-on", self.fail_on), ("show-severity", self.show_severity),
                ("quiet", lambda v: self.flag("quiet", v)), ("statistics", lambda v: self.flag("statistics", v)))

    # ------------------------------------------------------------------ the keys

    def inventory(self, v) -> None:
        self.cfg.inventory = self.confined("inventory", self.want_str("inventory", v))

    def policies(self, v) -> None:
        from .policy.pack import builtin_packs, is_pack_name

        for i, name in enumerate(self.want_list("policies", v)):
            # a built-in pack's name is the built-in pack, whatever files the checkout holds
            builtin = is_pack_name(name) and name in builtin_packs()
            self.cfg.policies.append(name if builtin or not (self.root / name).exists()
                                     else self.confined(f"policies[{i}]", name))

    def severity(self, v) -> None:
        for rid, level in self.want_map("severity", v).items():
            u = self.check_id(f"severity.{rid}", rid)
            if level is False:  # YAML 1.1 reads a bare `off` as false
                level = "off"
            if level not in SEVERITY_VALUES:
                self.fail(f"severity.{rid}: expected one of {', '.join(SEVERITY_VALUES)}, got {level!r}")
            self.cfg.severity[u] = level

    def disable(self, v) -> None:
        self.cfg.disable = {self.check_id(f"disable[{i}]", x) for i, x in enumerate(self.want_list("disable", v))}

    def platforms(self, v) -> None:
        from .api import PLATFORMS

        for glob, name in self.want_map("platforms", v).items():
            self.glob_of(f"platforms.{glob}", glob)
            if name not in PLATFORMS:
                self.fail(f"platforms.{glob}: unknown platform {name!r} (known: {', '.join(sorted(PLATFORMS))})")
            self.cfg.platforms.append((glob, name))

    def exclude(self, v) -> None:
        self.cfg.exclude = [self.glob_of(f"exclude[{i}]", g) for i, g in enumerate(self.want_list("exclude", v))]

    def fail_on(self, v) -> None:
        if v not in FAIL_ON_VALUES:
            self.fail(f"fail-on: expected one of {', '.join(FAIL_ON_VALUES)}, got {v!r}")
        self.cfg.fail_on = v

    def show_severity(self, v) -> None:
        if v not in SHOW_SEVERITY_VALUES:
            self.fail(f"show-severity: expected one of {', '.join(SHOW_SEVERITY_VALUES)}, got {v!r}")
        self.cfg.show_severity = v

    def flag(self, key: str, v) -> None:
        if not isinstance(v, bool):
            self.fail(f"{key}: expected true or false, got {_kind(v)}")
        setattr(self.cfg, key, v)

    # ------------------------------------------------------------------ values

    def fail(self, msg: str):
        raise ConfigError(f"{self.where}: {msg}")

    def want_str(self, key: str, v) -> str:
        if not isinstance(v, str) or not v.strip():
            self.fail(f"{key}: expected a non-empty string, got {_kind(v)}")
        return v

    def want_list(self, key: str, v) -> list[str]:
        if not isinstance(v, list):
            self.fail(f"{key}: expected a list of strings, got {_kind(v)}")
        return [self.want_str(f"{key}[{i}]", x) for i, x in enumerate(v)]

    def want_map(self, key: str, v) -> dict:
        if not isinstance(v, dict):
            self.fail(f"{key}: expected a mapping, got {_kind(v)}")
        for k in v:
            if not isinstance(k, str):
                self.fail(f"{key}: key {k!r} is not a string")
        return v

    def check_id(self, key: str, rid: str) -> str:
        from .checks import BY_ID

        u = rid.strip().upper()
        if u in BY_ID or (re.fullmatch(r"[A-Z]{2,8}[0-9]{3}", u) and not u.startswith("FW")):
            return u
        self.fail(f"{key}: unknown check id {rid!r} (known: {', '.join(sorted(BY_ID))}, "
                  "and the requirement ids of the packs: fwlint rules)")

    def confined(self, key: str, name: str) -> str:
        f = self.root / name
        if not os.path.lexists(f):  # (said by the reader of the file, with its own words)
            return str(f)
        try:
            self.confinement.resolve(f, what=key)
        except files.InputError as e:
            self.fail(f"{key}: {str(e).split(': ', 1)[-1]}")
        return str(f)

    def glob_of(self, key: str, pattern: str) -> str:
        try:
            _spec(pattern[2:] if pattern.startswith("./") else pattern)
        except Exception as e:  # noqa: BLE001 - pathspec raises several kinds for a bad pattern
            self.fail(f"{key}: not a glob pathspec reads: {pattern!r} ({type(e).__name__})")
        return pattern
