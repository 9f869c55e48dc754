"""Where jumps lead: a device's filters by name, and the jumps that close a loop
(`model.jump_loops`), for the concrete evaluator."""

from __future__ import annotations

import weakref

from .. import model as m


class _Jumps:
    """Where a trace's jumps lead: `Device.filter`'s lookup as dicts, and the jumps that
    close a loop (model.jump_loops: the ones the parser reports and `Analysis` cuts)."""

    def __init__(self, device: m.Device) -> None:
        self.by_key: dict[tuple[str, str], m.Filter] = {}
        self.by_name: dict[str, m.Filter] = {}
        for f in device.filters:
            self.by_key.setdefault((f.table, f.name), f)
            self.by_name.setdefault(f.name, f)
        self.loops = {(lp.table, lp.filter, id(lp.rule)): lp for lp in m.jump_loops(device.filters)}
        # without those jumps no path enters a chain twice: a deeper stack is a bug, and
        # is stopped rather than followed forever
        self.max_depth = len(device.filters) + 1

    def target(self, f: m.Filter, rule: m.Rule) -> m.Filter | None:
        name = rule.action.target or ""
        return self.by_key.get((f.table, name)) if f.table else self.by_name.get(name)

    def loop(self, f: m.Filter, rule: m.Rule) -> m.JumpLoop | None:
        return self.loops.get((f.table, f.name, id(rule))) if self.loops else None


_JUMPS: dict[int, tuple[weakref.ref, _Jumps]] = {}


def _jumps_of(device: m.Device) -> _Jumps:
    """The device's `_Jumps`, kept while the device lives (`trace --packets` and the packs
    trace many packets through one device; finding its loops is a walk over all its rules)."""
    hit = _JUMPS.get(id(device))
    if hit is not None and hit[0]() is device:
        return hit[1]
    jumps = _Jumps(device)
    key = id(device)
    # (forgotten when the device goes, before its id can be another object's)
    _JUMPS[key] = (weakref.ref(device, lambda _ref: _JUMPS.pop(key, None)), jumps)
    return jumps
