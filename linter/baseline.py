"""Baselines: accept today's findings, fail only on new ones.

An entry is keyed by the finding's id, its file (repository-relative) and the normalised text
of the rule it points at — never by line numbers, so that moving or inserting lines does not
turn old findings into new ones. The file is sorted, diff-friendly JSON."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from .findings import Finding, Report, normalise_text
from .output.sarif import repo_uri

VERSION = 1


class BaselineError(ValueError):
    pass


def key(f: Finding) -> tuple[str, str, str]:
    return (f.id, repo_uri(f.origin.path), normalise_text(f.origin.text))


def render(report: Report) -> str:
    counts = Counter(key(f) for f in report.findings)
    entries = [{"id": i, "path": p, "text": t, **({"count": n} if n > 1 else {})}
               for (i, p, t), n in sorted(counts.items())]
    return json.dumps({"fwlint_baseline": VERSION, "findings": entries}, indent=1, sort_keys=True) + "\n"


def load(path: str) -> Counter:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise BaselineError(f"{path}: cannot read the baseline: {e.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BaselineError(f"{path}: the baseline is not JSON ({e})") from None
    if not isinstance(data, dict) or data.get("fwlint_baseline") != VERSION or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{path}: not an fwlint baseline (expected {{\"fwlint_baseline\": {VERSION}, \"findings\": [...]}})")
    out: Counter = Counter()
    for i, e in enumerate(data["findings"]):
        if not isinstance(e, dict) or not all(isinstance(e.get(k), str) for k in ("id", "path", "text")):
            raise BaselineError(f"{path}: findings/{i}: expected id, path and text")
        out[(e["id"], e["path"], e["text"])] += int(e.get("count", 1))
    return out


def apply(report: Report, baseline: Counter) -> int:
    """Drop the findings the baseline holds (as many of each as it counts); return how many."""
    left = Counter(baseline)
    kept = []
    dropped = 0
    for f in report.findings:
        k = key(f)
        if left[k] > 0:
            left[k] -= 1
            dropped += 1
        else:
            kept.append(f)
    report.findings = kept
    return dropped
