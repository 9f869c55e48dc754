"""Range arithmetic shared by the platforms and the inventory: merging unions of ranges.

Layer: vocabulary (beside names): imports nothing of fwlint."""

from __future__ import annotations


def merge(rs) -> tuple[tuple[int, int], ...]:
    """Sorted, non-overlapping, non-adjacent (lo, hi) ranges covering the same values."""
    out: list[list[int]] = []
    for lo, hi in sorted(rs):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((a, b) for a, b in out)


def merge3(rs) -> tuple[tuple[int, int, int], ...]:
    """The same for (family, lo, hi) address ranges, family by family."""
    out: list[list[int]] = []
    for fam, lo, hi in sorted(rs):
        if out and out[-1][0] == fam and lo <= out[-1][2] + 1:
            out[-1][2] = max(out[-1][2], hi)
        else:
            out.append([fam, lo, hi])
    return tuple((a, b, c) for a, b, c in out)
