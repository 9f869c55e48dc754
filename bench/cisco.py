#!/usr/bin/env python3
"""Benchmark fwlint on large Cisco configurations (issue #5's targets: under 30 s and 2 GiB
each on a 2-core machine, without expanding object-groups into their cross product).

  python bench/cisco.py            # both: a 20,000-entry ASA ACL over object-groups whose
                                   # expansion exceeds 1,000,000 entries; a 50,000-line IOS config
  python bench/cisco.py --json

Each `fwlint check FILE --format json` runs as a child process (wall time, peak RSS).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import DEFAULT_DIR, fmt_bytes, fwlint_argv, fwlint_env, run_child  # noqa: E402


def asa_config(entries: int = 20_000) -> tuple[str, int]:
    """ACL entries over network and service object-groups; returns the text and the number
    of entries a cross-product expansion would give."""
    nets, hosts, svcs, ports = 50, 100, 20, 25
    lines = ["ASA Version 9.8(4)", "hostname big-asa",
             "interface GigabitEthernet0/0", " nameif outside", " security-level 0", " ip address 198.51.100.2 255.255.255.0",
             "interface GigabitEthernet0/1", " nameif inside", " security-level 100", " ip address 10.0.0.1 255.0.0.0"]
    for g in range(nets):
        lines.append(f"object-group network NET{g}")
        lines.extend(f" network-object host 10.{g}.{h // 256}.{h % 256}" for h in range(hosts))
    for s in range(svcs):
        lines.append(f"object-group service SVC{s} tcp")
        lines.extend(f" port-object eq {1000 + s * ports + p}" for p in range(ports))
    expanded = 0
    for i in range(entries):
        lines.append(f"access-list OUTSIDE_IN extended permit tcp object-group NET{i % nets} "
                     f"object-group NET{(i + 7) % nets} object-group SVC{i % svcs}")
        expanded += hosts * hosts * ports
    lines.append("access-group OUTSIDE_IN in interface outside")
    return "\n".join(lines) + "\n", expanded


def ios_config(n_lines: int = 50_000) -> str:
    out = ["hostname big-ios", "!"]
    for g in range(50):
        out.append(f"object-group network NET{g}")
        out.extend(f" host 10.{g}.{k}.1" for k in range(5))
    for a in range(250):
        out.append(f"ip access-list extended ACL{a}")
        for i in range(160):
            k = i % 5
            if k == 0:
                out.append(f" permit tcp 10.{a % 250}.{i % 250}.0 0.0.0.255 host 192.0.2.{i % 250} eq {1000 + i}")
            elif k == 1:
                out.append(f" deny udp any range 1000 {2000 + i} 172.16.{i % 250}.0 0.0.0.255 log")
            elif k == 2:
                out.append(" permit icmp any any echo")
            elif k == 3:
                out.append(f" permit tcp object-group NET{i % 50} any established")
            else:
                out.append(f" deny ip host 198.51.100.{i % 250} any")
        out.append("!")
    for i in range(500):
        out += [f"interface GigabitEthernet0/{i}", f" ip address 10.200.{i % 250}.1 255.255.255.0",
                f" ip access-group ACL{i % 250} in", " no shutdown", "!"]
    while len(out) < n_lines:
        out.append(f"ntp server 10.9.{len(out) % 250}.1")
    return "\n".join(out[:n_lines]) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    base, why = fwlint_argv()
    if base is None:
        raise SystemExit(why)
    asa_text, expanded = asa_config()
    files = {"asa-20000-entries.cfg": asa_text, "ios-50000-lines.cfg": ios_config()}
    results = []
    for name, text in files.items():
        path = args.dir / name
        path.write_text(text)
        r = run_child(f"fwlint check {name}", base + ["check", str(path), "--format", "json"], ok_codes=(0, 1),
                      env=fwlint_env(), timeout=args.timeout)
        t = f"{r.seconds:.2f} s" if r.seconds is not None else "-"
        extra = f" (object-groups would expand to {expanded:,} entries)" if name.startswith("asa") else ""
        print(f"{name}: {t}, peak RSS {fmt_bytes(r.peak_bytes)}{extra}" + (f"  {r.error}" if r.error else ""))
        results.append(r.to_json())
    if args.json:
        print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
