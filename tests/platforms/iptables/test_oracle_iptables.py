"""The generator oracle: aerleon-generated iptables-save files give the labelled verdicts."""

from __future__ import annotations

import json
import subprocess
import sys

from linter import api
from linter.graph import trace

from tests.shared import shared_dir

TARGETS = {"iptables": "iptables.rules", "speedway": "speedway.rules"}


def test_oracle_iptables(tmp_path) -> None:
    root = shared_dir("oracle", "aerleon")
    verdicts = []
    problems = []
    for truth in sorted((root / "truth").glob("*.jsonl")):
        policy = truth.stem
        for target, suffix in TARGETS.items():
            cfg = root / "generated" / "iptables-save" / f"{policy}.{suffix}"
            if not cfg.exists():
                continue
            device = api.load(cfg, "iptables")
            for line in truth.read_text().splitlines():
                rec = json.loads(line)
                want = rec["expected_by_target"].get(target)
                if want is None:
                    continue
                chain = rec["filter_by_target"][target]
                packet, _ = api.packet_from_dict({
                    "src": rec["src"], "dst": rec["dst"], "proto": rec["proto"], "sport": rec["sport"],
                    "dport": rec["dport"], "icmp_type": rec["icmp_type"], "icmp_code": rec["icmp_code"],
                    "in_iface": rec["iface"] or "eth0", "out_iface": "" if chain == "INPUT" else "eth1",
                    # the oracle's packet model: every probe is the first packet of a new flow
                    "state": "NEW",
                })
                t = trace(device, packet, chain)
                got = "accept" if t.verdict == "accept" else "deny"
                verdicts.append({"id": rec["id"], "target": target, "verdict": got})
                if got != want:
                    problems.append(f"{rec['id']} {target}: fwlint {got}, oracle {want} "
                                    f"({[s.describe() for s in t.steps]})")
    assert len(verdicts) > 3000
    assert not problems, "\n".join(problems[:20])
    out = tmp_path / "verdicts.jsonl"
    out.write_text("".join(json.dumps(v) + "\n" for v in verdicts))
    res = subprocess.run([sys.executable, str(root / "tools" / "score.py"), "--root", str(root), str(out)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "disagree" not in res.stdout
