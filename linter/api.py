"""The one entry point for callers: load configurations, lint them, trace packets.

Layer: api. Knows the platforms by name (imported lazily) and the checks; the command line
(cli.py) is a thin shell around these functions.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import importlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from . import files
from . import model as m
from .checks import run_checks
from .files import InputError  # noqa: F401 - re-exported: the error of every file fwlint cannot or may not read
from .findings import Report
from .limits import DETECT_HEAD_BYTES
from .names import proto_number, read_int
from .platforms import PLATFORMS  # noqa: F401 - re-exported: the platforms by name
from .policy.pack import PolicyError, builtin_packs, load_pack  # noqa: F401 - PolicyError is re-exported for the CLI

if TYPE_CHECKING:  # pragma: no cover
    from .graph import Trace
    from .platforms.detection import Decision

_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox"}
# in a directory walk, files that are documentation or data, never a firewall configuration
# (a file named on the command line is always read)
_SKIP_SUFFIXES = {".md", ".rst", ".yaml", ".yml", ".json", ".jsonl", ".py", ".sarif", ".html", ".csv"}


def platform_module(name: str):
    try:
        return importlib.import_module(PLATFORMS[name])
    except KeyError:
        raise InputError(f"unknown platform {name!r} (known: {', '.join(sorted(PLATFORMS))})") from None


def detect(text: str, name: str | None = None) -> str | None:
    """The platform `text` is written for (`name`: its file's name, a hint), or None when its
    markers do not tell. (platforms/detection.py: no parser is imported to tell them apart.)"""
    from .platforms.detection import decide

    return decide(text, name).platform


def display_path(path: str | Path) -> str:
    """Paths in findings: relative to the repository root (linter/files.py), with '/'."""
    return files.display(path)


def load(path: str | Path, platform: str | None = None, *, named: bool = True,
         max_bytes: int | None = None, confinement: files.Confinement | None = None) -> m.Device:
    """Parse one configuration file into the normalized model. `named`: the user gave this
    path (a path that a file of the checkout or a walk found is confined to the root).
    Raises InputError when no platform is given and the file's markers do not tell one."""
    return load_detected(path, platform, named=named, max_bytes=max_bytes, confinement=confinement).device


@dataclass(frozen=True)
class Loaded:
    """A file read: its device, how its platform was decided (None: it was given), and why it
    is no configuration of that platform (None: it is one; see `refusal`)."""

    device: m.Device
    decision: "Decision | None"
    refused: str | None


def load_detected(path: str | Path, platform: str | None = None, *, named: bool = True,
                  max_bytes: int | None = None, confinement: files.Confinement | None = None) -> Loaded:
    """`load`, with the markers that decided the platform (for `fwlint parse`) and the refusal."""
    shown, data = _read_config(path, named=named, max_bytes=max_bytes, confinement=confinement)
    name, decision = _platform(shown, data, platform)
    device = platform_module(name).parse(shown, data)
    return Loaded(device, decision, refusal(device, data))


def _read_config(path: str | Path, *, named: bool, max_bytes: int | None,
                 confinement: files.Confinement | None) -> tuple[str, bytes]:
    """(the path as outputs show it, the bytes of the configuration as UTF-8)."""
    p = Path(path)
    if p.is_dir() and not p.is_symlink():
        raise InputError(f"{display_path(p)}: is a directory (give a file, or use `fwlint check DIR`)")
    data = files.read_file(p, limit=max_bytes, named=named, what="configuration", confinement=confinement)
    shown = display_path(p)
    try:
        data = files.transcode(data)  # (UTF-16 with its byte order mark is read exactly)
    except InputError as e:
        raise InputError(f"{shown}: {e}") from None
    return shown, data


def _parse(shown: str, data: bytes, platform: str | None) -> m.Device:
    name, _ = _platform(shown, data, platform)
    return platform_module(name).parse(shown, data)


def _platform(shown: str, data: bytes, platform: str | None) -> tuple[str, "Decision | None"]:
    """The platform given, else the one the file's markers and name tell (never a guess: a
    file they do not tell is an InputError)."""
    if platform:
        return platform, None
    from .platforms.detection import decide_bytes

    decision = decide_bytes(data, shown)
    if decision.platform is None:
        raise InputError(f"cannot tell the platform of {shown}; give --platform or a `platforms` glob "
                         f"({decision.explain()})")
    return decision.platform, decision


def refusal(device: m.Device, data: bytes) -> str | None:
    """Why `device`'s file is no configuration of its platform, or None. A file is refused
    when it has statements (lines that are neither blank nor a comment) and not one of them
    is understood: a file of comments only is a valid, empty configuration, and a file of
    which part is understood is read (its other lines are located diagnostics)."""
    if not device.stats:
        return None
    main = device.stats[0]
    if main.lines_understood >= main.lines_read:
        return None
    from .platforms.detection import statement_lines

    statements = statement_lines(data, device.platform)
    # comment and blank lines are never marked as not understood
    if statements == 0 or main.lines_understood > main.lines_read - statements:
        return None
    words = device.traits.words
    what = words.file or f"a {device.platform} configuration"
    unit = words.statement or "a statement"
    first = next((d for d in device.diagnostics if d.origin.path == main.path and d.severity != "note"), None)
    why = f" (line {first.origin.line}: {first.message})" if first is not None else ""
    besides = " (besides comments and blank lines)" if main.lines_read > statements else ""
    lines = f"its one line{besides} is not" if statements == 1 else f"none of its {statements} lines{besides} is"
    return f"{main.path}: not {what}: {lines} {unit} fwlint understands{why}"


def iter_files(paths: Iterable[str | Path], excluded: Callable[[Path], bool] | None = None
               ) -> Iterator[tuple[Path, bool, files.Confinement]]:
    """(file, named explicitly, where its reads are confined). A directory named outside the
    repository root confines its walk to its own repository, or to itself
    (`Confinement.for_folder`). Directories are walked without following symbolic links to
    folders (a link to a folder is yielded as it is, for the caller to refuse or skip);
    hidden and VCS folders, and documentation and data files (by suffix), are skipped, and
    so is what `excluded` says (files and folders of the walk only: a file named explicitly
    is always yielded)."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir() and not p.is_symlink():
            confinement = files.current().for_folder(p)
            for root, dirs, names in os.walk(p):
                links = sorted(d for d in dirs if os.path.islink(os.path.join(root, d)))
                dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".") and d not in links
                                 and not (excluded and excluded(Path(root) / d)))
                for fname in sorted(names + links):
                    if not fname.startswith(".") and Path(fname).suffix.lower() not in _SKIP_SUFFIXES \
                            and not (excluded and excluded(Path(root) / fname)):
                        yield Path(root) / fname, False, confinement
        else:
            yield p, True, files.current()


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
    # the largest configuration read (--max-file-size; default limits.MAX_FILE_BYTES)
    max_file_bytes: int | None = None
    # called once per file of the run (walked, named or from the inventory) when it is done
    # with: progress(path, total files)
    progress: Callable[[str, int], None] | None = None
    # worker processes for the files and the packs' per-device work (1: none, in this
    # process; the command line's -j defaults to the usable cores)
    jobs: int = 1
    # keep per-file results between runs (linter/resultcache.py; the command line's default,
    # --no-cache turns it off)
    cache: bool = False

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


@dataclass(frozen=True)
class _FileTask:
    """One file to read: as the walk or the command line gave it. Everything a worker process
    needs is here or in _RunSettings (the run's confinement is a context variable, which does
    not cross processes)."""

    path: Path
    explicit: bool  # named on the command line or by the inventory (not found by a walk)
    platform: str | None
    confinement: files.Confinement  # where its reads are confined


@dataclass(frozen=True)
class _RunSettings:
    confinement: files.Confinement  # the run's (display paths, the platforms' own reads)
    max_bytes: int | None
    checks: tuple[str, ...]  # the FW checks to run on each device
    cache: Path | None = None  # the results kept between runs (linter/resultcache.py), or none


@dataclass
class FileResult:
    """What one file gave: an error (it cannot or may not be read), a skip (a walk found
    something that is no configuration), or a device and the findings of its FW checks."""

    error: str | None = None
    skipped: str | None = None  # its display path
    device: m.Device | None = None
    findings: list = field(default_factory=list)
    # a file read and refused (api.refusal): its diagnostics, and their FW007 findings, are
    # reported with the error; it is no device of the report
    refused: m.Device | None = None


def _read_one(task: _FileTask, max_bytes: int | None) -> FileResult | tuple[str, bytes]:
    """Read one file: (its display path, its bytes), or the FileResult of a file that gives
    no device. Every file that cannot or may not be read is an error of the report (exit 2);
    the other files are still read."""
    path, confinement = task.path, task.confinement
    try:
        if not task.explicit:
            if path.is_symlink() and path.is_dir():
                confinement.resolve(path, what="symbolic link")  # refused when it leads outside
                return FileResult(skipped=display_path(path))  # (its folder is walked where it lies)
            head = files.open_head(path, DETECT_HEAD_BYTES, confinement=confinement).decode("utf-8", "replace")
            if task.platform is None and detect(head, path.name) is None:
                return FileResult(skipped=display_path(path))  # not a firewall configuration
        return _read_config(path, named=task.explicit, max_bytes=max_bytes, confinement=confinement)
    except InputError as e:
        return FileResult(error=str(e))


def _size(task: _FileTask) -> int:
    try:
        return task.path.stat().st_size
    except OSError:  # (said when it is read)
        return 0


def _check_file(item: tuple[_RunSettings, _FileTask]) -> FileResult:
    """Read one file and run the FW checks on its device (in a worker process, or in this
    one), or take both from the results kept for the same bytes in the same setting."""
    settings, task = item
    with files.confined(settings.confinement):
        got = _read_one(task, settings.max_bytes)
        if isinstance(got, FileResult):
            return got
        shown, data = got
        entry, kept = _kept(settings, task, shown, data)
        if kept is not None:
            return kept
        try:
            device = _parse(shown, data, task.platform)
        except InputError as e:  # (no platform given, and its markers do not tell one)
            return FileResult(error=str(e))
        refused = refusal(device, data)
        if refused is not None:
            # no configuration: no analysis (no FW004 about a default that no file sets), but
            # every line not understood is still a located FW007 finding
            fw007 = [c for c in settings.checks if c == "FW007"]
            return FileResult(error=refused, findings=run_checks(device, fw007) if fw007 else [],
                              refused=device)
        # each device with a packet space of its own: its memory is let go before the next
        findings = run_checks(device, settings.checks)
        if entry is not None:
            from . import resultcache

            if resultcache.cacheable(device.traits, data):
                resultcache.put(settings.cache, entry, device, findings)
        return FileResult(device=device, findings=findings)


def _without_work(item: tuple[_RunSettings, _FileTask]) -> FileResult | None:
    """A file's result when it takes no parsing nor checking: an error, a skip, or a result
    kept from an earlier run; None for a file to give a worker."""
    settings, task = item
    with files.confined(settings.confinement):
        got = _read_one(task, settings.max_bytes)
        if isinstance(got, FileResult):
            return got
        return _kept(settings, task, *got)[1]


def _kept(settings: _RunSettings, task: _FileTask, shown: str, data: bytes) -> tuple[str | None, FileResult | None]:
    """(the cache entry of the file's result, the result kept there or None); (None, None)
    without a cache."""
    if settings.cache is None:
        return None, None
    from . import resultcache

    conf = settings.confinement
    entry = resultcache.key(data, shown, task.platform,
                            resultcache.RunKey(str(conf.root), conf.allow_outside, settings.checks))
    kept = resultcache.get(settings.cache, entry)
    return entry, (FileResult(device=kept[0], findings=kept[1]) if kept is not None else None)


def _results_folder(opts: LintOptions, inventory) -> Path | None:
    """Where this run keeps per-file results: nowhere when asked so, with an inventory (the
    packs look across devices), or where `cachedir.cache_dir` says none."""
    if not opts.cache or inventory is not None:
        return None
    from .cachedir import cache_dir

    return cache_dir("results")


class _SetAside:
    """What a run keeps to its end (every file's device and findings) is set aside from the
    cyclic garbage collector as it arrives (gc.freeze). Without it every full collection walks
    all the devices read so far, a cost that grows with their number: the parent of a -j run
    spent most of its time there (50 devices: 0.9 s of its 1.0 s), and one process checking
    50 devices with the Exchange pack some 15% of its time. Each file's own cyclic garbage is
    collected before it is set aside; all is handed back (gc.unfreeze) at the end of the run.
    Not done when the process has set objects aside itself, nor for one file (nothing else is
    held; a full collection costs some 20 ms)."""

    def __init__(self, files: int) -> None:
        self.active = files > 1 and hasattr(gc, "freeze") and gc.get_freeze_count() == 0

    def hold(self) -> None:
        if self.active:
            gc.collect()
            gc.freeze()

    def release(self) -> None:
        if self.active:
            gc.unfreeze()


def lint(paths: Iterable[str | Path], options: LintOptions | None = None) -> Report:
    """Read every configuration under `paths` (and the inventory's devices), run the checks
    and the policy packs, and return the report. A pack or inventory that cannot be used
    raises PolicyError before anything is read, and an inventory that does not match the
    devices it names (policy/validate.py) once they are read, before any pack is evaluated:
    nothing is half-applied. With
    `options.jobs` > 1 the files (and the packs' per-device work) are spread over worker
    processes (linter/parallel.py); the report is the same."""
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

    def excluded(path: Path) -> bool:
        if opts.excluded(path):
            report.excluded.append(str(path))  # (said with -v)
            return True
        return False

    todo = [_FileTask(path, explicit, opts.platform_for(path), confinement)
            for path, explicit, confinement in iter_files(paths, excluded if opts.exclude else None)]
    if inventory is not None:  # (its paths were confined when it was read)
        todo += [_FileTask(Path(p), True, entry.platform or opts.platform_for(Path(p)), files.current())
                 for entry in inventory.devices for p in entry.paths]
    progress = _Progress(opts.progress, len(todo),
                         {p for e in inventory.devices for p in e.paths} if inventory is not None else set())
    aside = _SetAside(len(todo))
    try:
        refused: dict[str, m.Device] = {}
        seen = _read_and_check(todo, opts, enabled, _results_folder(opts, inventory), report, progress, aside,
                               refused)
        evaluated_paths: set[str] = set()
        if inventory is not None:
            evaluated_paths = _evaluate_packs(packs, inventory, seen, report, opts, progress, refused)
        for _device, findings in seen.values():
            report.findings.extend(findings)
        if opts.severity:  # the project's severity overrides, after every finding is made
            report.findings = [f if opts.severity.get(f.id, f.severity) == f.severity
                               else dataclasses.replace(f, severity=opts.severity[f.id]) for f in report.findings]
        report.sorted()
        _suppress(report, opts, packs, enabled, evaluated_paths)
        # (after the suppressions: a directive covers its own line of a repeated note)
        from .checks.fw007_not_understood import grouped

        report.findings = grouped(report.findings)
        return report.sorted()
    finally:
        aside.release()


class _Progress:
    """LintOptions.progress, once per file of the run when it is done: when its checks have
    run, and, for a device of the inventory, its part of the packs too."""

    def __init__(self, callback: Callable[[str, int], None] | None, total: int, pack_paths: set[str]) -> None:
        self.callback = callback
        self.total = total
        self.pack_paths = pack_paths
        self.waiting: dict[str, int] = {}  # device files whose pack part is still to come (how often named)

    def read(self, path: Path, device: m.Device | None) -> None:
        if device is not None and str(path) in self.pack_paths:
            self.waiting[str(path)] = self.waiting.get(str(path), 0) + 1
        else:
            self.tick(path)

    def evaluated(self, path: str) -> None:
        for _ in range(self.waiting.pop(path, 0)):
            self.tick(path)

    def rest(self) -> None:
        for path in list(self.waiting):  # (devices that no flow crosses)
            self.evaluated(path)

    def tick(self, path) -> None:
        if self.callback is not None:
            self.callback(str(path), self.total)


def _read_and_check(todo: list[_FileTask], opts: LintOptions, enabled: list[str], cache: Path | None,
                    report: Report, progress: _Progress, aside: _SetAside,
                    refused: dict[str, m.Device]) -> dict[str, tuple[m.Device, list]]:
    """Every file read and FW-checked (in workers with opts.jobs > 1), then entered in the
    report in the order given, as one process reading them one after the other would: the
    devices, their diagnostics, the errors and the skipped files. Returns each device and its
    findings by the path that named it, in that order; the files refused as no configuration
    of their platform (`refusal`) go to `refused`, path -> what their platform read."""
    from . import parallel

    tasks = list(dict.fromkeys(todo))  # (a file given twice the same way is read once)
    entries: dict[_FileTask, int] = {}
    for t in todo:
        entries[t] = entries.get(t, 0) + 1

    def arrived(task: _FileTask, result: FileResult) -> None:
        aside.hold()
        for _ in range(entries[task]):
            progress.read(task.path, result.device)

    settings = _RunSettings(files.current(), opts.max_file_bytes, tuple(enabled), cache)
    results: dict[_FileTask, FileResult] = {}
    work = tasks
    if opts.jobs > 1 and cache is not None:
        # what needs no worker is done here first (a run over unchanged files starts none)
        work = []
        for t in tasks:
            done = _without_work((settings, t))
            if done is None:
                work.append(t)
            else:
                results[t] = done
                arrived(t, done)
    if opts.jobs > 1:  # the largest files first: a large file last would leave the other workers idle
        work = sorted(work, key=_size, reverse=True)
    results.update(zip(work, parallel.run(_check_file, [(settings, t) for t in work], opts.jobs,
                                          label=lambda item: display_path(item[1].path),
                                          on_result=lambda i, result: arrived(work[i], result)), strict=False))
    if cache is not None:
        from . import resultcache

        resultcache.trim(cache)
    seen: dict[str, tuple[m.Device, list]] = {}
    for task in todo:
        key = str(task.path)
        if key in seen:
            continue
        result = results[task]
        if result.error is not None:
            report.errors.append(result.error)
            if result.refused is not None:
                refused[key] = result.refused
                report.diagnostics.extend(result.refused.diagnostics)
                report.findings.extend(result.findings)
        elif result.skipped is not None:
            report.skipped.append(result.skipped)
        else:
            seen[key] = (result.device, result.findings)
            report.devices.append(result.device)
            report.diagnostics.extend(result.device.diagnostics)
    return seen


def _evaluate_packs(packs: list, inventory, seen: dict[str, tuple[m.Device, list]], report: Report,
                    opts: LintOptions, progress: _Progress, refused: dict[str, m.Device]) -> set[str]:
    """The packs on the inventory's devices that were read; returns the files they judged.
    A device file refused as no configuration of the platform the inventory declares for it
    is the inventory's mistake when it reads as another platform (`validate` names the key)."""
    from .policy.evaluate import evaluate
    from .policy.validate import validate

    wanted = {p for e in inventory.devices for p in e.paths}
    evaluated = {p: device for p, (device, _findings) in seen.items() if p in wanted}
    report.notes.extend(validate(inventory, packs, evaluated, _platform_of_file,
                                 {p: d for p, d in refused.items() if p in wanted}))
    evaluation = evaluate(packs, inventory, evaluated, workers=opts.jobs, on_device=progress.evaluated)
    report.findings.extend(f for f in evaluation.findings if _wanted(opts, f.id))
    report.not_checked.extend(evaluation.not_checked)
    report.notes.extend(evaluation.notes)
    report.policies.extend(pk.id for pk in packs)
    progress.rest()
    return {s.path for d in evaluated.values() for s in d.stats}


def _platform_of_file(path: str) -> str | None:
    """The platform a file's text looks like (None: none, or the file cannot be read again)."""
    try:
        head = files.open_head(Path(path), named=True, confinement=files.current())
        return detect(files.transcode(head).decode("utf-8", "replace"))
    except (InputError, ValueError):  # (a head that cuts a UTF-16 file mid-character)
        return None


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
    `state ESTABLISHED`, `dir out`, `filter NAME`, `holds KEY` (repeated)) -> a dict in the
    JSON-lines form. A value with blanks is written as a JSON string (`filter "zone-pair a
    b"`). A witness's text (`Packet.__str__`) reads back as the same packet."""
    head, arrow, tail = text.partition("->")
    words = head.split()
    if not arrow or len(words) != 2:
        raise ValueError(f"cannot read packet {text!r}: expected 'PROTO SRC[:PORT] -> DST[:PORT] [in IF] [out IF]'")
    rest = _spec_words(tail, text)
    if not rest:
        raise ValueError(f"cannot read packet {text!r}: expected 'PROTO SRC[:PORT] -> DST[:PORT]'")
    out: dict = {"proto": words[0]}
    out["src"], out["sport"] = _addr_port(words[1], "source")
    out["dst"], out["dport"] = _addr_port(rest.pop(0), "destination")
    keys = {"in": "in_iface", "out": "out_iface", "hook": "hook", "type": "icmp_type", "code": "icmp_code",
            "flags": "tcp_flags", "state": "state", "dir": "direction", "direction": "direction",
            "filter": "filter", "holds": "holds"}
    while rest:
        k = rest.pop(0)
        if k not in keys or not rest:
            raise ValueError(f"cannot read packet {text!r}: unexpected {k!r}")
        v = rest.pop(0)
        if keys[k] in ("icmp_type", "icmp_code") and not v.isdigit():
            raise ValueError(f"cannot read packet {text!r}: {k} {v!r} is not a number")
        if k == "holds":
            out.setdefault("holds", []).append(v)
            continue
        out[keys[k]] = read_int(v) if keys[k] in ("icmp_type", "icmp_code") else v
    return out


_SPEC_WORD = re.compile(r'"(?:[^"\\]|\\.)*"|[^\s"]+|"')


def _spec_words(text: str, whole: str) -> list[str]:
    """The words of the compact form after its arrow: plain words, and JSON strings for
    values with blanks or quotes."""
    out = []
    for w in _SPEC_WORD.findall(text):
        if w.startswith('"'):
            try:
                w = json.loads(w)
            except json.JSONDecodeError:
                raise ValueError(f"cannot read packet {whole!r}: unterminated quoted value") from None
        out.append(w)
    return out


def _addr_port(text: str, side: str = "source") -> tuple[str, int | None]:
    if text.startswith("["):
        addr, _, port = text[1:].partition("]")
        port = port.lstrip(":")
        return addr, _port(port, side) if port else None
    if text.count(":") == 1:
        addr, port = text.split(":")
        return addr, _port(port, side)
    return text, None


def _port(text: str, side: str) -> int:
    if not text.isdigit() or read_int(text) > 65535:
        raise ValueError(f"{side} port {text[:20]!r}: expected a number from 0 to 65535")
    return int(text)


def _address(value, key: str):
    """An IPv4 or IPv6 host address of a packet; a zone id (fe80::1%eth0) names an interface,
    not part of the packet, and is refused rather than dropped."""
    import ipaddress

    text = str(value)
    if "%" in text:
        raise ValueError(f"{key} {text!r}: a zone id (%{text.split('%', 1)[1]}) is no part of a packet; "
                         "give the address alone and the interface with `in`/`out`")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(f"{key} {text!r}: not an IPv4 or IPv6 address") from None


def packet_from_dict(d: dict) -> tuple[m.Packet, bool]:
    """A JSON-lines record -> (packet, state given explicitly)."""
    _check_fields(d)
    src = _address(d["src"], "src")
    dst = _address(d["dst"], "dst")
    if src.version != dst.version:
        raise ValueError("source and destination are of different address families")
    proto = _protocol(d, src.version)
    flags = _tcp_flags(d.get("tcp_flags"))
    ports = proto in m.PORT_PROTOCOLS
    icmp = proto in (m.PROTO_ICMP, m.PROTO_ICMPV6)

    pkt = m.Packet(
        family=src.version,
        src=int(src),
        dst=int(dst),
        proto=proto,
        sport=(_whole(d, "sport", 65535) if d.get("sport") is not None else 40000) if ports else None,
        dport=(_whole(d, "dport", 65535) if d.get("dport") is not None else 0) if ports else None,
        icmp_type=(_whole(d, "icmp_type", 255) if d.get("icmp_type") is not None else 8) if icmp else None,
        icmp_code=(_whole(d, "icmp_code", 255) or 0) if icmp else None,
        tcp_flags=flags if proto == m.PROTO_TCP else None,
        in_iface=str(d.get("in_iface") or ""),
        out_iface=str(d.get("out_iface") or ""),
        # (a side of a per-interface device, `hook in|out`, is the packet's direction too)
        direction=str(d.get("direction") or (d["hook"] if d.get("hook") in ("in", "out") else "in")),
        holds=_holds(d.get("holds")),
    )
    state = d.get("state")
    if state:
        state = str(state).upper()
        if state not in m.STATES:
            raise ValueError(f"unknown state {state!r} (one of {', '.join(m.STATES)})")
        return dataclasses.replace(pkt, state=state), True
    st, _exact = m.default_state(pkt)
    return dataclasses.replace(pkt, state=st), False


def _check_fields(d: dict) -> None:
    """Both addresses given; every field a number or a string (`holds` also a list of them)."""
    for key in ("src", "dst"):
        if key not in d or d[key] is None:
            raise ValueError(f"missing field {key!r}")
    for key, value in d.items():
        if key == "holds" and _strings(value):
            continue
        if isinstance(value, (dict, list)):
            raise ValueError(f"field {key!r}: expected a number or a string, got {type(value).__name__}")


def _protocol(d: dict, version: int) -> int:
    """The record's protocol number (default tcp; icmp of an IPv6 packet is ICMPv6)."""
    proto_raw = d.get("proto", "tcp")
    proto = proto_number(str(proto_raw)) if proto_raw is not None else 6
    if proto is None:
        raise ValueError(f"unknown protocol {proto_raw!r}")
    if proto == m.PROTO_ICMP and version == 6:
        proto = m.PROTO_ICMPV6
    return proto


def _tcp_flags(flags) -> int | None:
    """TCP flags given by names (`SYN,ACK`, `SYN|ACK`, `NONE`) or as a number."""
    if isinstance(flags, str):
        bits = 0
        for name in flags.upper().replace("|", ",").split(","):
            name = name.strip()
            if name and name != "NONE":
                if name not in m.TCP_FLAG_BITS:
                    raise ValueError(f"unknown TCP flag {name!r}")
                bits |= m.TCP_FLAG_BITS[name]
        return bits
    if flags is not None and (isinstance(flags, bool) or not isinstance(flags, int) or not 0 <= flags <= 255):
        raise ValueError(f"tcp_flags {flags!r}: expected names (SYN,ACK) or a number from 0 to 255")
    return flags


def _whole(d: dict, key: str, hi: int) -> int | None:
    """The whole number d[key] (from 0 to hi), or None when it is not given."""
    v = d.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not (isinstance(v, int) or (isinstance(v, str) and v.strip().isdigit())):
        raise ValueError(f"{key} {v!r}: expected a whole number from 0 to {hi}")
    v = read_int(v)
    if not 0 <= v <= hi:
        raise ValueError(f"{key} out of range (0 to {hi})")
    return v


def _strings(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _holds(value) -> tuple[str, ...]:
    """The opaque conditions a packet takes as holding (a witness's `holds`): a list of
    their keys, or one key."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    if not _strings(value):
        raise ValueError(f"holds {value!r}: expected the keys of opaque conditions (strings)")
    return tuple(dict.fromkeys(value))


def default_hook(device: m.Device, d: dict) -> str | None:
    if d.get("hook"):
        return str(d["hook"])
    if not device.traits.per_interface:
        i, o = d.get("in_iface"), d.get("out_iface")
        if i and o:
            return m.THROUGH
        if o:
            return m.FROM_HOST
        return m.TO_HOST
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
    if not device.traits.numbered_entries:
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
    trace: "Trace | None"
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
    from .graph import TraceError, trace  # (the engine, only when a packet is traced)

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
    """The packets of a JSON Lines file (a regular file named on the command line, bounded
    like a configuration). A line that is not a JSON object of scalars is an error naming the
    file and the line; the values themselves are checked by packet_from_dict."""
    shown = display_path(path)
    data = files.read_file(path, named=True, what="packets file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{shown}: not UTF-8 (byte {e.start})") from None
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"{shown}:{n}: not JSON: {e.msg}") from None
            except RecursionError:
                raise InputError(f"{shown}:{n}: nested too deeply to be a packet") from None
            if not isinstance(rec, dict):
                raise InputError(f"{shown}:{n}: expected a JSON object, got {type(rec).__name__}")
            for key, value in rec.items():
                if key == "holds" and _strings(value):
                    continue  # (the one list a packet has: the opaque conditions it holds)
                if isinstance(value, (dict, list)):
                    raise InputError(f"{shown}:{n}: field {key!r}: expected a number or a string, "
                                     f"got {'a list' if isinstance(value, list) else 'an object'}")
            yield rec
