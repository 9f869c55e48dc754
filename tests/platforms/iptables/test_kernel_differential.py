"""fwlint's trace against the Linux kernel: the same packets, the same verdicts.

Each ruleset (corpus, aerleon oracle, generated; tests/kernel/rulesets.py) is loaded into
network namespaces of the test's own (tests/kernel/netns.py), real IPv4 packets chosen at
the rules' boundaries (tests/kernel/probes.py) are sent through veth pairs, and the
kernel's fate of each at its hook (accept, drop, reject) is compared with
`linter.graph.trace` on the file as fwlint parses it. Every answer fwlint does not mark
approximate must agree. Probes the kernel never delivers to the hook (martian or multicast
sources, multicast destinations, ...) are "not reached" and left out, and counted.

Needs root, `ip netns`, nft and iptables-restore. Skips with a message without them, except
when CI=true: there the tools are installed and their absence is a failure.
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest

from linter.model import Packet, flags_text

from tests.kernel.netns import (
    ACCEPT, DROP, MISROUTED, NOT_REACHED, REJECT, HarnessError, KernelLab, Probe, missing_tools,
    rewrite_reject, sigterm_cleanup,
)
from tests.kernel.probes import make_probes, parse_rules
from tests.kernel.rulesets import Ruleset, all_rulesets
from tests.shared import SHARED

pytestmark = [pytest.mark.kernel]

IN_CI = os.environ.get("CI", "").lower() == "true"

MIN_RULESETS = 20
MIN_COMPARED = 20_000


def _skip_or_fail(message: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true, so this is a failure, not a skip: {message}")
    pytest.skip(message)


def probe_budget(rs: Ruleset, n_rules: int) -> int:
    """Probes per ruleset: a floor for tiny ones, more for big and generated ones."""
    if rs.source == "generated":
        return 1500
    return min(1500, max(500, 4 * n_rules))


@dataclass
class Disagreement:
    ruleset: str
    hook: str
    packet: str
    kernel: str
    fwlint: str
    rule: str

    def __str__(self) -> str:
        return (f"{self.ruleset}: {self.hook} {self.packet}: kernel {self.kernel}, fwlint {self.fwlint}"
                f" (deciding: {self.rule})")


@dataclass
class Figures:
    rulesets: int = 0
    sent: int = 0
    compared: int = 0
    agreed: int = 0
    not_reached: int = 0
    approximate: int = 0
    misrouted: int = 0
    unloadable: int = 0
    seconds: float = 0.0
    by_kind: Counter = field(default_factory=Counter)  # compared probes by hook, family, kernel fate

    def breakdown(self) -> str:
        k = self.by_kind
        return ("compared by hook: " + ", ".join(f"{h} {k[h]}" for h in ("INPUT", "FORWARD", "OUTPUT"))
                + "; by family: " + ", ".join(f"IPv{f} {k[f'IPv{f}']}" for f in (4, 6))
                + "; by kernel fate: " + ", ".join(f"{v} {k[v]}" for v in ("accept", "drop", "reject")))

    def line(self) -> str:
        pct = 100.0 * self.agreed / self.compared if self.compared else 0.0
        return (f"kernel differential: {self.rulesets} rulesets, {self.sent} probes sent, "
                f"{self.compared} compared, {self.not_reached} not reached, "
                f"{self.approximate} approximate (excluded), {self.misrouted} misrouted, "
                f"agreement {self.agreed}/{self.compared} = {pct:.2f}%, {self.seconds:.1f} s")


def _describe(probe) -> str:
    p = probe.packet
    text = str(p)
    if p.proto == 6 and p.tcp_flags not in (None, 0x02):
        text += f" flags {flags_text(p.tcp_flags)}"
    return text


def _deciding(t) -> str:
    rules = getattr(t, "rules", None) or ()
    if not rules:
        return "policy/default"
    r = rules[-1]
    o = getattr(r, "origin", None)
    text = (getattr(o, "text", "") or "").strip()
    return f"{o} {text}" if o else repr(r)


def run_differential(rulesets: list[Ruleset], parse, trace, report) -> tuple[Figures, list[Disagreement], list[str]]:
    """Send every ruleset's probes through the kernel and through fwlint; compare."""
    figs = Figures()
    bad: list[Disagreement] = []
    problems: list[str] = []
    start = time.monotonic()
    with sigterm_cleanup():
        for rs in rulesets:
            block = rs.kernel_text
            if block is None:
                continue
            n_rules = len(parse_rules(block, rs.family)[0])
            probes, ifaces = make_probes(block, rs.name, probe_budget(rs, n_rules), rs.family)
            try:
                with KernelLab(ifaces, rs.family) as lab:
                    loaded = lab.load_filter(rewrite_reject(block))
                    if not loaded.ok:
                        figs.unloadable += 1
                        report(f"  not loadable, left out: {rs.name}: {loaded.message.splitlines()[0] if loaded.message else ''}")
                        continue
                    fates = lab.run(probes)
            except HarnessError as e:
                problems.append(f"{rs.name}: harness: {e}")
                continue
            try:
                device = parse(rs.path, rs.data)
            except Exception as e:  # noqa: BLE001 - a parser crash is a finding of this test
                problems.append(f"{rs.name}: fwlint parse raised {type(e).__name__}: {e}")
                continue
            figs.rulesets += 1
            figs.sent += len(probes)
            counts: Counter[str] = Counter()
            nr0, ap0 = figs.not_reached, figs.approximate
            for probe, fate in zip(probes, fates, strict=False):
                if fate == NOT_REACHED:
                    figs.not_reached += 1
                    continue
                if fate == MISROUTED:
                    figs.misrouted += 1
                    problems.append(f"{rs.name}: {probe.hook} {probe.packet}: the kernel saw it on other interfaces")
                    continue
                try:
                    t = trace(device, probe.packet, probe.hook)
                except Exception as e:  # noqa: BLE001
                    figs.compared += 1
                    bad.append(Disagreement(rs.name, probe.hook, _describe(probe), fate, f"raised {type(e).__name__}: {e}", "-"))
                    continue
                if t.approximate:
                    figs.approximate += 1
                    continue
                figs.compared += 1
                counts[fate] += 1
                figs.by_kind.update((probe.hook, f"IPv{probe.packet.family}", fate))
                if t.verdict == fate:
                    figs.agreed += 1
                else:
                    bad.append(Disagreement(rs.name, probe.hook, _describe(probe), fate, t.verdict, _deciding(t)))
            report(f"  {rs.name}: {len(probes)} probes, compared {dict(counts)}, not reached {figs.not_reached - nr0},"
                   f" approximate {figs.approximate - ap0} ({lab.loaded_with})")
    figs.seconds = time.monotonic() - start
    return figs, bad, problems


def test_fwlint_trace_agrees_with_the_kernel(capsys):
    missing = missing_tools()
    if missing:
        _skip_or_fail("kernel differential test needs " + ", ".join(missing))
    if not SHARED.is_dir():
        _skip_or_fail(f"shared corpus not found at {SHARED}")
    try:
        from linter.graph import trace
        from linter.platforms.iptables import parse
    except ImportError as e:
        pytest.fail(f"fwlint's iptables parser or trace is missing: {e}")

    rulesets, skipped = all_rulesets(SHARED)
    lines: list[str] = [f"  left out: {name}: {why}" for name, why in skipped]
    figs, bad, problems = run_differential(rulesets, parse, trace, lines.append)
    with capsys.disabled():
        print()
        if os.environ.get("FWLINT_KERNEL_VERBOSE"):
            print("\n".join(lines))
        print(figs.line())
        print(figs.breakdown())

    message = [figs.line()]
    if problems:
        message.append(f"{len(problems)} harness/parse problems, first ones:")
        message += ["  " + p for p in problems[:20]]
    if bad:
        groups: dict[tuple[str, str, str], list[Disagreement]] = {}
        for d in bad:
            groups.setdefault((d.kernel, d.fwlint, d.rule), []).append(d)
        message.append(f"{len(bad)} disagreements in {len(groups)} groups (kernel, fwlint, deciding rule);"
                       " the first of each, most frequent first:")
        for (_k, _f, _r), ds in sorted(groups.items(), key=lambda kv: -len(kv[1]))[:30]:
            message.append(f"  [{len(ds)}x] {ds[0]}")
        message.append("first disagreements in order:")
        message += ["  " + str(d) for d in bad[:10]]
    failures = []
    if bad:
        failures.append("fwlint and the kernel disagree")
    if problems:
        failures.append("harness or parser problems")
    if figs.rulesets < MIN_RULESETS:
        failures.append(f"only {figs.rulesets} rulesets loaded (want >= {MIN_RULESETS})")
    if figs.compared < MIN_COMPARED:
        failures.append(f"only {figs.compared} probes compared (want >= {MIN_COMPARED})")
    if failures:
        pytest.fail("; ".join(failures) + "\n" + "\n".join(message), pytrace=False)


KNOWN = {
    4: ("""*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 23 -j REJECT --reject-with tcp-reset
-A FORWARD -i eth0 -o eth1 -j DROP
-A OUTPUT -o eth1 -p udp -j REJECT
COMMIT
""", "10.0.0.1", "192.0.2.1", "224.0.0.9"),
    6: ("""*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 23 -j REJECT --reject-with tcp-reset
-A FORWARD -i eth0 -o eth1 -j DROP
-A OUTPUT -o eth1 -p udp -j REJECT
COMMIT
""", "2001:db8::1", "2001:db8:1::1", "ff02::9"),
}


@pytest.mark.parametrize("family", [4, 6])
def test_harness_sees_known_fates(family):
    """The harness alone, on a ruleset whose fates are obvious: a broken harness fails here,
    not as a mysterious disagreement with fwlint."""
    missing = missing_tools()
    if missing:
        _skip_or_fail("kernel differential test needs " + ", ".join(missing))
    block, a, b, mcast_src = KNOWN[family]
    A, B, M = (int(ipaddress.ip_address(x)) for x in (a, b, mcast_src))

    def tcp(hook, dport, i="", o="", src=A):
        return Probe(hook, Packet(family=family, src=src, dst=B, proto=6, sport=40000, dport=dport,
                                  tcp_flags=2, in_iface=i, out_iface=o))

    def udp(hook, i="", o=""):
        return Probe(hook, Packet(family=family, src=A, dst=B, proto=17, sport=5353, dport=53, in_iface=i, out_iface=o))

    cases = [
        (tcp("INPUT", 22, i="eth0"), ACCEPT), (tcp("INPUT", 23, i="eth1"), REJECT),
        (tcp("INPUT", 24, i="eth0"), DROP), (tcp("INPUT", 22, i="lo"), ACCEPT),
        (tcp("FORWARD", 22, i="eth0", o="eth1"), DROP), (tcp("FORWARD", 22, i="eth1", o="eth0"), ACCEPT),
        (udp("OUTPUT", o="eth1"), REJECT), (udp("OUTPUT", o="eth0"), ACCEPT),
        (tcp("INPUT", 22, i="eth0", src=M), NOT_REACHED),  # a multicast source never reaches the hook
    ]
    with sigterm_cleanup(), KernelLab(["eth0", "eth1", "lo"], family) as lab:
        loaded = lab.load_filter(rewrite_reject(block))
        assert loaded.ok, loaded.message
        fates = lab.run([p for p, _ in cases])
    assert [(p.hook, str(p.packet), f) for (p, _), f in zip(cases, fates, strict=False)] == [
        (p.hook, str(p.packet), want) for p, want in cases]
