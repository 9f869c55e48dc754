"""The generator oracle: aerleon-generated pf.conf files give the labelled verdicts."""

from __future__ import annotations

import json
import subprocess
import sys

from linter import api
from linter.graph import trace

from tests.shared import shared_dir


def test_oracle_pf(tmp_path) -> None:
    root = shared_dir("oracle", "aerleon")
    verdicts = []
    problems = []
    for truth in sorted((root / "truth").glob("*.jsonl")):
        policy = truth.stem
        cfg = root / "generated" / "packetfilter" / f"{policy}.pf"
        device = api.load(cfg, "pf")
        assert not [d for d in device.diagnostics if d.severity == "error"], device.diagnostics
        for line in truth.read_text().splitlines():
            rec = json.loads(line)
            want = rec["expected_by_target"].get("packetfilter")
            if want is None:
                continue
            packet, _ = api.packet_from_dict({
                "src": rec["src"], "dst": rec["dst"], "proto": rec["proto"], "sport": rec["sport"],
                "dport": rec["dport"], "icmp_type": rec["icmp_type"], "icmp_code": rec["icmp_code"],
                "in_iface": rec["iface"] or "em0", "out_iface": "", "direction": "in",
                # every probe is the first packet of a new flow
                "state": "NEW",
            })
            t = trace(device, packet, "in")
            got = "accept" if t.verdict == "accept" else "deny"
            verdicts.append({"id": rec["id"], "target": "packetfilter", "verdict": got})
            if got != want:
                problems.append(f"{rec['id']}: fwlint {got}, oracle {want} ({[s.describe() for s in t.steps]})")
    assert len(verdicts) > 1500
    assert not problems, f"{len(problems)} disagreements:\n" + "\n".join(problems[:20])
    out = tmp_path / "verdicts.jsonl"
    out.write_text("".join(json.dumps(v) + "\n" for v in verdicts))
    res = subprocess.run([sys.executable, str(root / "tools" / "score.py"), "--root", str(root), str(out)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "disagree" not in res.stdout
