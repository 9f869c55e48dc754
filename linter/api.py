"""The one entry point for callers: load configurations, lint them, trace packets.

Layer: api. Knows the platforms by name (imported lazily) and the checks; the command line
(cli.py) is a thin shell around these functions.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from . import files
from . import model as m
from .checks import run_checks
from .files import InputError  # noqa: F401 - re-exported: the error of every file fwlint cannot or may not read
from .findings import Report
from .limits import DETECT_HEAD_BYTES
from .platforms import PLATFORMS  # noqa: F401 - re-exported: the platforms by name
from .packets import packet_from_dict, parse_packet_spec, read_jsonl  # noqa: F401 - re-exported: trace's packets
from .policy.pack import PolicyError, builtin_packs, load_pack  # noqa: F401 - PolicyError is re-exported for the CLI
from .tracing import trace_records  # noqa: F401 - re-exported: trace for callers
from .walk import iter_files

if TYPE_CHECKING:  # pragma: no cover
    from .platforms.detection import Decision

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
