"""What the command line prints beyond a report: a traced packet's answer as text
(`echo_trace`), a requirement as `fwlint explain` and the generated docs show it
(`explain_requirement`).

Layer: cli. Imports nothing of the engine nor the parsers at start-up (`fwlint --help`
stays light: tests/test_startup.py)."""

from __future__ import annotations

import click


def echo_trace(ans) -> None:
    """One answer of `trace` as text: the packet and verdict, the steps, the reasons."""
    from .packets import packet_from_dict

    t = ans.trace
    pkt, _ = packet_from_dict(ans.record)
    where = t.hook or t.filter
    approx = " (approximate)" if t.approximate else ""
    click.echo(f"{pkt} at {where}: {t.verdict.upper()}{approx}")
    for s in t.steps:
        where = s.describe()
        if s.rule is not None and id(s.rule) in ans.acl:
            acl, n = ans.acl[id(s.rule)]
            side = s.filter.rsplit(" ", 1)[-1] if s.filter.endswith((" in", " out")) else ""
            # (as `check` names it: `model.rule_label`)
            where = f"{s.origin} line {s.origin.line} ({acl} entry {n}){' ' + side if side else ''}: {s.action}"
        click.echo(f"  {where}" + (f"  | {s.origin.text.strip()}" if s.origin and s.rule else ""))
    for r in t.reasons:
        click.echo(f"  {'approximate' if t.approximate else 'why'}: {r}")
    if t.alternatives:
        click.echo(f"  could also be: {', '.join(t.alternatives)}")


def explain_requirement(pack, reqs, markdown: bool = False) -> str:
    """A requirement as `fwlint explain` prints it: what it demands, why, and examples
    (with `markdown`, the examples are fenced code blocks)."""
    from .policy.evaluate import flow_text

    r0 = reqs[0]
    lines = [f"{r0.id} {r0.title} (pack {pack.id}: {pack.title})", ""]
    for r in reqs:
        cond = ", ".join(f"{k} = {v}" for k, v in r.when) if r.when else "always"
        lines.append(f"## What it demands ({r.severity}; applies: {cond})")
        lines.append(r.message)
        verb = {"allow": "must pass (first packets and replies)", "unrestricted": "must pass, every protocol and port",
                "unaltered": "must not be translated or rewritten", "restrict": "is restricted to the exceptions below",
                "note-if-open": "is reported where open", "never": "is never a finding"}[r.expect]
        shown = set()
        for f in r.flows:
            ports = f.port_ranges({k: (d if d is not None else 0) for k, _, d, _ in pack.profile})
            for src, dst in f.directions():
                line = f"  - {flow_text(src, dst, f, ports if ports != [] else None)} {verb}"
                if line not in shown:  # (both ways between the same roles: once)
                    shown.add(line)
                    lines.append(line)
        for f in r.excepts:
            ports = f.port_ranges({k: (d if d is not None else 0) for k, _, d, _ in pack.profile})
            for src, dst in f.directions():
                lines.append(f"  - except {flow_text(src, dst, f, ports if ports != [] else None)}")
        lines.append("")
    explain = dict(r0.explain)
    for r in reqs[1:]:
        for k, v in r.explain:
            explain.setdefault(k, v)
    if explain.get("why"):
        lines += ["## Why", explain["why"].strip(), ""]
    fence = (["```"], ["```"]) if markdown else ([], [])
    if explain.get("breaks"):
        lines += ["## Example that breaks it", *fence[0], explain["breaks"].rstrip(), *fence[1], ""]
    if explain.get("keeps"):
        lines += ["## Example that keeps it", *fence[0], explain["keeps"].rstrip(), *fence[1], ""]
    if r0.source:
        lines += ["## Source", r0.source + (f"\n{r0.url}" if r0.url else ""), ""]
    return "\n".join(lines)
