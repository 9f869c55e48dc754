"""The command line: parse options, call the library, pick an exit code.

Layer: cli. Thin on purpose; everything it does is available from `linter.api`.
Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage error,
unreadable input, a file whose platform its markers do not tell, or a file of a known
platform of which no statement is understood.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

import click

from . import __version__, files, limits
from .cli_text import echo_trace, explain_requirement  # noqa: F401 - explain_requirement: docs_gen reads it here
from .output import FORMATS
from .platforms import PLATFORMS


class _Lazy:
    """A module imported on first use: `fwlint --version` and `--help` must not pay for the
    engine (dd pulls in networkx) nor the parsers."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        return getattr(importlib.import_module(self._name), attr)


api = _Lazy("linter.api")
checks = _Lazy("linter.checks")


class _Group(click.Group):
    def main(self, *args, **kwargs):  # one-line errors, never a traceback
        try:
            return super().main(*args, **kwargs)
        except files.InputError as e:
            click.echo(f"fwlint: error: {files.printable(str(e))}", err=True)
            sys.exit(2)
        except RecursionError:  # a bug (every walk over input is meant to be iterative)
            if os.environ.get("FWLINT_DEBUG"):
                raise
            _recursion_error()
        except Exception as e:  # a bug: one line that says so, exit 2 (FWLINT_DEBUG=1 shows the traceback)
            _from_a_worker(e)
            if os.environ.get("FWLINT_DEBUG"):
                raise
            tb = e.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            where = f" at {os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno}" if tb is not None else ""
            click.echo(f"fwlint: internal error: {type(e).__name__}{where} (please report it; "
                       "FWLINT_DEBUG=1 shows the traceback)", err=True)
            sys.exit(2)


def _recursion_error():
    click.echo("fwlint: internal error: RecursionError: input nested deeper than fwlint could follow "
               "(please report it; FWLINT_DEBUG=1 shows where)", err=True)
    sys.exit(2)


def _from_a_worker(e: Exception) -> None:
    """What a worker process of `check -j N` ran into (linter/parallel.py), in the words this
    process would use: a worker that died names its file; a bug in a worker is an internal
    error like one here (FWLINT_DEBUG=1: the worker's traceback)."""
    parallel = sys.modules.get("linter.parallel")  # (imported only when workers ran)
    if parallel is None:
        return
    if isinstance(e, parallel.WorkerDied):
        click.echo(f"fwlint: error: {files.printable(str(e))}", err=True)
        sys.exit(2)
    if isinstance(e, parallel.WorkerFailed):
        if os.environ.get("FWLINT_DEBUG"):
            click.echo(e.remote_traceback, err=True, nl=False)
        elif e.recursion:
            _recursion_error()
        click.echo(f"fwlint: internal error: {e.type_name}{e.where} (in a worker process; please report it; "
                   "FWLINT_DEBUG=1 shows the traceback)", err=True)
        sys.exit(2)


def _confinement_options(command):
    """--allow-outside-root and --max-file-size: the two flags that widen what fwlint reads
    (a flag, never a file of the checkout: linter/files.py)."""
    command = click.option("--max-file-size", "max_file_size", metavar="SIZE", default=None,
                           help=f"Largest configuration file read (e.g. 512K, 64M) [default: "
                                f"{files.human_size(limits.MAX_FILE_BYTES).replace(' ', '')}].")(command)
    return click.option("--allow-outside-root", is_flag=True,
                        help="Read files outside the repository root that the checkout's files or links "
                             "name (never on untrusted pull requests: SECURITY.md).")(command)


class _Display:
    """What `check` displays (never what fails: the exit status is --fail-on's on the whole
    report): --show-severity, --quiet, --statistics, each a flag or, when not given, the
    configuration's key of the same name."""

    def __init__(self, show_severity: str | None, quiet: bool | None, statistics: bool | None):
        self.show_severity = show_severity
        self.quiet = quiet
        self.statistics = statistics

    def merge(self, cfg) -> None:
        """The configuration's settings where no flag was given."""
        if self.show_severity is None:
            self.show_severity = cfg.show_severity
        if self.quiet is None:
            self.quiet = cfg.quiet
        if self.statistics is None:
            self.statistics = cfg.statistics


def _display_options(command):
    command = click.option("--statistics/--no-statistics", default=None,
                           help="Show how many findings of each id and severity (text or json) "
                                "instead of the findings.")(command)
    command = click.option("-q", "--quiet/--no-quiet", default=None,
                           help="Show the findings alone: no summary, no policy notes, no messages "
                                "on stderr but errors.")(command)
    return click.option("--show-severity", type=click.Choice(["error", "warning", "note"]), default=None,
                        help="Lowest severity shown (the exit status is still --fail-on's) "
                             "[default: show-severity of the configuration, else note].")(command)


def _max_bytes(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return files.parse_size(value)
    except ValueError as e:
        raise click.UsageError(f"--max-file-size: {e}") from None


def _confined(allow_outside_root: bool):
    return files.confined(files.Confinement(files.find_root(), allow_outside_root))


def _ids(value: str | None) -> set[str] | None:
    if not value:
        return None
    ids = {v.strip().upper() for v in value.split(",") if v.strip()}
    unknown = sorted(i for i in ids if i not in checks.BY_ID and not _is_requirement_id(i))
    if unknown:
        raise click.BadParameter(f"unknown check id {', '.join(unknown)} (known: {', '.join(sorted(checks.BY_ID))}, "
                                 "and the requirement ids of the packs: fwlint rules)")
    return ids


def _is_requirement_id(rid: str) -> bool:
    """Requirement ids of packs (EX100): any id of the pack format's shape is accepted, since
    a user's own pack may define it."""
    import re

    return re.fullmatch(r"[A-Z]{2,8}[0-9]{3}", rid) is not None and not rid.startswith("FW")


def write_output(text: str, output: str | None) -> None:
    """Write to stdout, or to a file in full or not at all (linter/files.py: through a link
    as `>` would, never replacing a device; a one-line error when it cannot be written)."""
    text = files.printable(text)  # (a file name that is not UTF-8: \xNN, not an encoding error)
    if not output or output == "-":
        sys.stdout.write(text)
        return
    files.write_file(output, text)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fwlint")
def main() -> None:
    """fwlint: lint firewall configurations (iptables-save, pf.conf, Cisco IOS and ASA)."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default=None,
              help="Output format [default: github when GITHUB_ACTIONS=true, else text].")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE (atomically).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "note", "never"]), default=None,
              help="Lowest severity that makes the exit code 1 [default: fail-on of the configuration, else warning].")
@click.option("--select", help="Run only these checks (comma-separated ids).")
@click.option("--ignore", help="Skip these checks (comma-separated ids).")
@click.option("--platform", type=click.Choice(sorted(PLATFORMS)), help="Read every file as this platform.")
@click.option("-v", "--verbose", is_flag=True,
              help="More related locations in text output; list the files a directory walk skips.")
@click.option("--policy", "policies", multiple=True, metavar="NAME|FILE",
              help="Evaluate a policy pack (built-in by name, e.g. exchange-2013, or a YAML file); repeatable.")
@click.option("--inventory", type=click.Path(dir_okay=False),
              help="Inventory (YAML): where the pack's roles live and which configurations stand between them.")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False),
              help="Report (and fail on) only the findings that are not in this baseline.")
@click.option("--write-baseline", "write_baseline", type=click.Path(dir_okay=False),
              help="Write today's findings to FILE as a baseline and exit 0.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Read this configuration (.fwlint.yaml or a pyproject.toml) instead of discovering one.")
@click.option("--no-config", is_flag=True, help="Read no configuration file.")
@click.option("--force-exclude", is_flag=True,
              help="Apply the configuration's exclude also to files named on the command line (pre-commit).")
@click.option("--sarif-include-suppressed", "sarif_include_suppressed", is_flag=True,
              help="With --format sarif: also the findings inline `fwlint: disable` directives suppress, "
                   "as results with their suppression and justification.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Worker processes for the files (and the devices of an inventory) [default: the usable "
                   "cores; 1: none]. The report is the same.")
@click.option("--no-cache", is_flag=True,
              help="Neither use nor keep per-file results in the user's cache folder (also: FWLINT_NO_CACHE=1).")
@_display_options
@_confinement_options
def check(paths, fmt, output, fail_on, select, ignore, platform, verbose, policies, inventory,
          baseline_file, write_baseline, config_file, no_config, force_exclude, sarif_include_suppressed,
          jobs, no_cache, show_severity, quiet, statistics, allow_outside_root, max_file_size):
    """Check firewall configurations: files, or directories to walk (optional with --inventory,
    whose devices are read). Settings come from .fwlint.yaml or [tool.fwlint] in pyproject.toml
    (see README: Configuration); flags win. Reads only inside the repository root and what
    is named here (SECURITY.md)."""
    with _confined(allow_outside_root):
        _check(paths, fmt, output, fail_on, select, ignore, platform, verbose, policies, inventory,
               baseline_file, write_baseline, config_file, no_config, force_exclude, sarif_include_suppressed,
               _max_bytes(max_file_size), jobs, no_cache, _Display(show_severity, quiet, statistics))


def _check(paths, fmt, output, fail_on, select, ignore, platform, verbose, policies, inventory,
           baseline_file, write_baseline, config_file, no_config, force_exclude, sarif_include_suppressed, max_bytes,
           jobs, no_cache, display):
    try:
        sel = _ids(select)
        ign = _ids(ignore) or set()
    except click.BadParameter as e:
        raise click.UsageError(str(e)) from None
    opts, fail_on, paths = _configured(paths, fail_on, sel, ign, platform, policies, inventory,
                                       config_file, no_config, force_exclude, display)
    if paths is None:  # every file named is excluded by the configuration (--force-exclude)
        if verbose:
            click.echo("fwlint: every file given is excluded by the configuration", err=True)
        sys.exit(0)
    if not paths and not opts.inventory:
        raise click.UsageError("give configuration files or directories, or --inventory FILE")
    fmt = _check_format(fmt, baseline_file, write_baseline, sarif_include_suppressed, display)
    opts.max_file_bytes = max_bytes
    if jobs is None:
        from .parallel import usable_cores

        jobs = usable_cores()
    opts.jobs = jobs
    opts.cache = not no_cache
    try:
        with _progress() as opts.progress:
            report = api.lint(paths, opts)
    except api.PolicyError as e:
        click.echo(f"fwlint: error: {e}", err=True)
        sys.exit(2)
    if verbose:
        for path in report.skipped:
            click.echo(files.printable(f"fwlint: skipped {path}: not a firewall configuration fwlint reads"), err=True)
        for path in report.excluded:
            click.echo(files.printable(f"fwlint: skipped {path}: excluded by the configuration"), err=True)
    _baseline(report, baseline_file, write_baseline, display)
    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    write_output(_rendered(report, fmt, verbose, sarif_include_suppressed, display), output)
    for e in report.errors:
        click.echo(f"fwlint: error: {files.printable(e)}", err=True)
    if report.errors:  # a file that could not or may not be read: the answer is incomplete
        sys.exit(2)
    if not report.devices:
        click.echo("fwlint: error: no firewall configuration found in " + " ".join(map(str, paths)), err=True)
        sys.exit(2)
    # (a device without filters is a configuration too: comments only, or a Cisco device that
    # filters nothing; a file that is none was refused as it was read: api.refusal)
    sys.exit(report.exit_code(fail_on))


def _check_format(fmt, baseline_file, write_baseline, sarif_include_suppressed, display: _Display):
    """The output format (None: decided once the report is made), after refusing the options
    that do not go together."""
    if baseline_file and write_baseline:
        raise click.UsageError("--baseline and --write-baseline do not go together")
    if sarif_include_suppressed and fmt != "sarif":
        click.echo("fwlint: error: --sarif-include-suppressed goes with --format sarif", err=True)
        sys.exit(2)
    if display.statistics and (fmt or "text") not in ("text", "json"):
        click.echo("fwlint: error: --statistics goes with --format text or json", err=True)
        sys.exit(2)
    if display.statistics and fmt is None:
        fmt = "text"  # (a table, also in GitHub Actions)
    return fmt


def _baseline(report, baseline_file, write_baseline, display: _Display) -> None:
    """--write-baseline: write the report's findings as the baseline, and exit; --baseline:
    drop the findings it holds from the report."""
    from . import baseline as bl

    if write_baseline:
        write_output(bl.render(report), write_baseline)
        if not display.quiet:
            click.echo(f"fwlint: wrote a baseline of {len(report.findings)} findings to {write_baseline}", err=True)
        sys.exit(0)
    if baseline_file:
        try:
            known = bl.load(baseline_file)
        except bl.BaselineError as e:
            click.echo(f"fwlint: error: {e}", err=True)
            sys.exit(2)
        dropped = bl.apply(report, known)
        if dropped and not display.quiet:
            click.echo(f"fwlint: {dropped} findings are in the baseline {baseline_file}", err=True)


def _rendered(report, fmt: str, verbose: bool, include_suppressed: bool, display: _Display) -> str:
    """The report in the format asked, with what --show-severity leaves out taken away."""
    from .output import displayed

    shown, hidden = displayed(report, display.show_severity)
    if display.statistics:
        from .output import statistics

        return statistics.render(shown, fmt, quiet=bool(display.quiet))
    if include_suppressed:
        from .output import sarif

        return sarif.render(shown, verbose=verbose, include_suppressed=True)
    if fmt == "text":
        return FORMATS[fmt](shown, verbose=verbose, quiet=bool(display.quiet), hidden=hidden)
    return FORMATS[fmt](shown, verbose=verbose)


def _configured(paths, fail_on, sel, ign, platform, policies, inventory, config_file, no_config, force_exclude,
                display: _Display | None = None):
    """The project configuration merged with the flags (flags win): LintOptions, the
    --fail-on threshold, and the paths (None when --force-exclude excludes every one);
    `display` takes the configuration's display settings where no flag was given."""
    from . import config as cf

    def fail(msg: str):  # one line, exit 2
        click.echo(f"fwlint: error: {msg}", err=True)
        sys.exit(2)

    if config_file and no_config:
        fail("--config and --no-config do not go together")
    both = sorted((sel or set()) & ign)
    if both:
        fail(f"--select and --ignore both name {', '.join(both)}")
    try:
        cfg = cf.find(config_file, no_config)
    except cf.ConfigError as e:
        fail(str(e))
    for w in cfg.warnings:
        click.echo(f"fwlint: warning: {w}", err=True)
    if display is not None:
        display.merge(cfg)
    off = {i for i, level in cfg.severity.items() if level == "off"}
    opts = api.LintOptions(
        platform=platform, select=sel,
        # the file's disabled checks, except those --select asks for by name, and --ignore
        ignore=((cfg.disable | off) - (sel or set())) | ign,
        policies=list(policies) or cfg.policies, inventory=inventory or cfg.inventory,
        severity={i: level for i, level in cfg.severity.items() if level != "off"},
        platforms=cfg.platforms, exclude=cfg.exclude, root=cfg.root)
    if force_exclude and cfg.exclude and paths:
        kept = tuple(p for p in paths if not opts.excluded(Path(p)))
        paths = kept if kept or opts.inventory else None
    return opts, fail_on or cfg.fail_on or "warning", paths


PROGRESS_MIN_FILES = 20  # fewer files than this: no progress bar


class _progress:
    """A progress bar on stderr while `api.lint` works through many files, only when stderr
    is a terminal (never in CI, pre-commit or tests); the callback for LintOptions.progress."""

    def __init__(self, stream=None, min_files: int = PROGRESS_MIN_FILES):
        self.stream = stream if stream is not None else sys.stderr
        self.min_files = min_files
        self.bar = None

    def __enter__(self):
        return self if _isatty(self.stream) else None

    def __call__(self, path: str, total: int) -> None:
        if self.bar is None and total >= self.min_files:
            self.bar = click.progressbar(length=total, label="fwlint", file=self.stream,
                                         show_pos=True, item_show_func=lambda p: p)
            self.bar.__enter__()
        if self.bar is not None:
            self.bar.update(1, path)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@main.command()
@click.argument("config", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the normalized model as JSON.")
@click.option("--platform", type=click.Choice(sorted(PLATFORMS)))
@_confinement_options
def parse(config, as_json, platform, allow_outside_root, max_file_size):
    """Print the normalized model of CONFIG and, per file, lines read and understood."""
    from .serialize import to_data  # (imports the model: not on the path of the light commands)

    with _confined(allow_outside_root):
        loaded = api.load_detected(config, platform, max_bytes=_max_bytes(max_file_size))
    device = loaded.device
    if as_json:
        data = to_data(device)
        data["files"] = [{"path": s.path, "lines_read": s.lines_read, "lines_understood": s.lines_understood,
                          "diagnostics": [to_data(d) for d in device.diagnostics if d.origin.path == s.path]}
                         for s in device.stats]
        data["detection"] = loaded.decision.to_json() if loaded.decision is not None else \
            {"platform": device.platform, "given": "--platform"}
        click.echo(json.dumps(data, indent=1, sort_keys=True))
    else:
        click.echo(f"{device.name}: {device.platform}, IPv{device.family or '4/6'}")
        if loaded.decision is not None:
            click.echo(f"  platform: {loaded.decision.explain()}")
        for f in device.filters:
            tag = f"{f.table}/" if f.table else ""
            click.echo(f"  {tag}{f.name}: {len(f.rules)} rules, default {f.default.kind}")
        for s in device.stats:
            click.echo(f"  {s.path}: {s.lines_understood} of {s.lines_read} lines understood")
        for d in device.diagnostics:
            click.echo(f"  {d.origin}: {d.severity} {d.code}: {d.message}")
    if loaded.refused is not None:
        click.echo(f"fwlint: error: {files.printable(loaded.refused)}", err=True)
        sys.exit(2)
    sys.exit(0)


@main.command()
@click.argument("config", type=click.Path())
@click.argument("packet", nargs=-1)
@click.option("--packets", "packets_file", type=click.Path(), help="JSON Lines file, one packet per line.")
@click.option("--filter", "filter_name", help="Evaluate this filter (chain, ACL) directly.")
@click.option("--hook", help="INPUT, FORWARD or OUTPUT (iptables); default from the interfaces given.")
@click.option("--proto", default=None)
@click.option("--src")
@click.option("--dst")
@click.option("--sport", type=int)
@click.option("--dport", type=int)
@click.option("--in", "in_iface")
@click.option("--out", "out_iface")
@click.option("--icmp-type", type=int)
@click.option("--icmp-code", type=int)
@click.option("--flags", "tcp_flags", help="TCP flags, e.g. SYN or ACK,PSH (default SYN).")
@click.option("--state", help="Connection state (default: what a lone packet is: NEW, or INVALID).")
@click.option("--direction", type=click.Choice(["in", "out"]))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per packet.")
@click.option("--platform", type=click.Choice(sorted(PLATFORMS)))
@_confinement_options
def trace(config, packet, packets_file, filter_name, hook, proto, src, dst, sport, dport, in_iface, out_iface,
          icmp_type, icmp_code, tcp_flags, state, direction, as_json, platform, allow_outside_root, max_file_size):
    """Decide what CONFIG does to a packet.

    PACKET in compact form: tcp 203.0.113.5:40000 -> 10.0.1.10:443 in eth0
    """
    with _confined(allow_outside_root):
        loaded = api.load_detected(config, platform, max_bytes=_max_bytes(max_file_size))
        if loaded.refused is not None:
            raise files.InputError(loaded.refused)
        device = loaded.device
        records: list[dict] = []
        if packets_file:
            records.extend(api.read_jsonl(packets_file))
    if packet:
        try:
            records.append(api.parse_packet_spec(" ".join(packet)))
        except ValueError as e:
            raise click.UsageError(str(e)) from None
    if src or dst:
        if not (src and dst):
            raise click.UsageError("give both --src and --dst")
        rec = {"src": src, "dst": dst, "proto": proto or "tcp", "sport": sport, "dport": dport,
               "icmp_type": icmp_type, "icmp_code": icmp_code, "in_iface": in_iface, "out_iface": out_iface,
               "tcp_flags": tcp_flags, "state": state, "direction": direction}
        records.append({k: v for k, v in rec.items() if v is not None})
    if not records:
        raise click.UsageError("give a packet (compact form, --src/--dst, or --packets FILE)")
    if hook:
        for r in records:
            r.setdefault("hook", hook)
    failed = 0
    for ans in api.trace_records(device, records, filter_name):
        if ans.trace is None:
            failed += 1
        if as_json:
            click.echo(json.dumps(ans.to_json(), sort_keys=False))
        elif ans.trace is None:
            click.echo(f"fwlint: error: {ans.error}", err=True)
        else:
            echo_trace(ans)
    sys.exit(2 if failed else 0)


@main.command()
@click.argument("rule_id")
@click.option("--policy", "policies", multiple=True, metavar="NAME|FILE",
              help="Also look in this pack (the built-in packs are always searched).")
def explain(rule_id, policies):
    """Explain a check (FW001 ...) or a requirement of a policy pack (EX100 ...)."""
    rid = rule_id.upper()
    check_mod = checks.BY_ID.get(rid)
    if check_mod is not None:
        click.echo(f"{check_mod.ID} {check_mod.NAME} ({check_mod.SEVERITY})\n")
        click.echo(check_mod.SUMMARY + "\n")
        sections = checks.doc_sections(check_mod)
        for title in (*checks.SECTIONS, "References"):
            if title in sections:
                click.echo(f"## {title}\n{sections[title]}\n")
        return
    for pack in _packs(policies):
        reqs = pack.by_id(rid)
        if reqs:
            click.echo(explain_requirement(pack, reqs))
            return
    raise click.UsageError(f"unknown id {rule_id!r}: not a check ({', '.join(sorted(checks.BY_ID))}) "
                           "nor a requirement of a pack (fwlint rules)")


def _packs(extra=()):
    """The packs named on the command line, then the built-in ones (a pack that cannot be
    loaded: a one-line error, exit 2)."""
    from .policy import builtin_packs, load_pack

    names = list(extra) + [n for n in builtin_packs() if n not in extra]
    try:
        return [load_pack(n) for n in names]
    except api.PolicyError as e:
        click.echo(f"fwlint: error: {e}", err=True)
        sys.exit(2)


@main.command(name="rules")
@click.option("--policy", "policies", multiple=True, metavar="NAME|FILE", help="Also list this pack.")
def list_rules(policies):
    """List the built-in checks and the requirements of the policy packs."""
    for c in checks.CHECKS:
        click.echo(f"{c.ID}  {c.SEVERITY:<8} {c.NAME:<22} {c.SUMMARY}")
    for pack in _packs(policies):
        click.echo(f"\npack {pack.id}: {pack.title} ({len({r.id for r in pack.requirements})} requirements)")
        for r in pack.requirements:
            cond = f"  [when {', '.join(f'{k}={v}' for k, v in r.when)}]" if r.when else ""
            click.echo(f"{r.id}  {r.severity:<8} {r.expect:<13} {r.title}{cond}")


if __name__ == "__main__":  # pragma: no cover
    main()
