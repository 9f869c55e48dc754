"""Baselines: accept today's findings, fail only on new ones.

An entry is keyed by the finding's id, its file (repository-relative) and the normalised text
of the rule it points at — never by line numbers, so that moving or inserting lines does not
turn old findings into new ones. The file is sorted, diff-friendly JSON.

A grouped finding (FW007 notes about one construct in one file) is one entry whose text names
the construct (`every line with `mac``): lines with that construct added or removed later are
the same finding. A grouped finding is also in a baseline that holds each of its lines (one
written before the notes were grouped), and a construct noted on one line only is also in a
baseline that holds its group."""

from __future__ import annotations

import json
from collections import Counter

from . import files, limits
from .findings import Finding, Report, group_text, normalise_text

VERSION = 1


class BaselineError(ValueError):
    pass


def key(f: Finding) -> tuple[str, str, str]:
    # the path as every output shows it: relative to the repository root, whatever the
    # working directory (a baseline written at the root matches from a subfolder)
    if f.places:
        return (f.id, f.origin.path, group_text(f.group))
    return (f.id, f.origin.path, normalise_text(f.origin.text))


def _other_keys(f: Finding) -> list[tuple[str, str, str]]:
    """The entries that also hold f: each line of a grouped finding; the group of a
    construct noted once."""
    if f.places:
        return [(f.id, p.origin.path, normalise_text(p.origin.text)) for p in f.places]
    if f.group:
        return [(f.id, f.origin.path, group_text(f.group))]
    return []


def render(report: Report) -> str:
    counts = Counter(key(f) for f in report.findings)
    entries = [{"id": i, "path": p, "text": t, **({"count": n} if n > 1 else {})}
               for (i, p, t), n in sorted(counts.items())]
    return json.dumps({"fwlint_baseline": VERSION, "findings": entries}, indent=1, sort_keys=True) + "\n"


def load(path: str) -> Counter:
    """A baseline file named on the command line (a regular file of at most
    limits.MAX_SIDE_FILE_BYTES)."""
    try:
        data = json.loads(files.read_file(path, limit=limits.MAX_SIDE_FILE_BYTES, named=True,
                                          what="baseline").decode("utf-8-sig"))
    except files.InputError as e:
        raise BaselineError(f"cannot read the baseline: {e}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BaselineError(f"{path}: the baseline is not JSON ({e})") from None
    except RecursionError:
        raise BaselineError(f"{path}: the baseline is nested too deeply to be a baseline") from None
    if not isinstance(data, dict) or data.get("fwlint_baseline") != VERSION \
            or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{path}: not an fwlint baseline "
                            f"(expected {{\"fwlint_baseline\": {VERSION}, \"findings\": [...]}})")
    out: Counter = Counter()
    for i, e in enumerate(data["findings"]):
        if not isinstance(e, dict) or not all(isinstance(e.get(k), str) for k in ("id", "path", "text")):
            raise BaselineError(f"{path}: findings/{i}: expected id, path and text")
        count = e.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise BaselineError(f"{path}: findings/{i}/count: expected a whole number of at least 1")
        out[(e["id"], e["path"], e["text"])] += count
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
            continue
        others = Counter(_other_keys(f))
        if others and all(left[o] >= n for o, n in others.items()):
            left.subtract(others)
            dropped += 1
        else:
            kept.append(f)
    report.findings = kept
    return dropped
