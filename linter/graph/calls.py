"""The jump graph of a device: where each jump or goto leads (`Device.filter`'s lookup as
dicts: a scan of thousands of filters per jump would make a long chain of jumps
quadratic), the jumps that close a loop of chains (`model.jump_loops`, the same ones the
parser reports: never followed, so that every walk over the jumps ends), and the walks
over the other jumps (callers, callees, topological order). One per device, kept while it
lives, shared by `trace` and `Analysis`. Every walk is iterative (explicit stacks)."""

from __future__ import annotations

import weakref

from .. import model as m


def filter_key(f: m.Filter) -> tuple[str, str]:
    return (f.table, f.name)


class CallGraph:
    """Where a device's jumps lead, and the walks over them that do not close a loop."""

    def __init__(self, device: m.Device) -> None:
        # (the filters, not the device: `calls_of` keeps this while the device lives)
        self.filters = device.filters
        self.by_key: dict[tuple[str, str], m.Filter] = {}
        self.by_name: dict[str, m.Filter] = {}
        for f in device.filters:
            self.by_key.setdefault((f.table, f.name), f)
            self.by_name.setdefault(f.name, f)
        self.loops: dict[tuple[str, str, int], m.JumpLoop] = {
            (lp.table, lp.filter, id(lp.rule)): lp for lp in m.jump_loops(device.filters)}
        # without those jumps no path enters a chain twice: a deeper stack is a bug, and
        # is stopped rather than followed forever
        self.max_depth = len(device.filters) + 1
        self._callers: dict[tuple[str, str], list[tuple[m.Filter, m.Rule]]] | None = None
        self._callees: dict[tuple[str, str], list[m.Filter]] = {}
        self._rank: dict[tuple[str, str], int] | None = None

    def filter(self, table: str, name: str) -> m.Filter | None:
        """The filter of that name (in that table, when the device has tables)."""
        return self.by_key.get((table, name)) if table else self.by_name.get(name)

    def callee(self, f: m.Filter, rule: m.Rule) -> m.Filter | None:
        """The filter named by a jump or goto, loop or not (as `Device.filter` finds it)."""
        return self.filter(f.table, rule.action.target or "")

    def loop_at(self, f: m.Filter, rule: m.Rule) -> m.JumpLoop | None:
        """The loop this jump closes, if it closes one."""
        return self.loops.get((f.table, f.name, id(rule))) if self.loops else None

    def target(self, f: m.Filter, rule: m.Rule) -> m.Filter | None:
        """The filter a jump or goto calls: None when it is not defined, and for a jump
        that closes a loop (which is not followed: see `loop_at`)."""
        if self.loops and (f.table, f.name, id(rule)) in self.loops:
            return None
        return self.callee(f, rule)

    def callees(self, f: m.Filter) -> list[m.Filter]:
        """The filters f's jumps and gotos call, in rule order (not through a jump that
        closes a loop: these edges form no loop)."""
        k = filter_key(f)
        out = self._callees.get(k)
        if out is None:
            out = self._callees[k] = []
            for r in f.rules:
                if r.action.kind in ("jump", "goto"):
                    t = self.target(f, r)
                    if t is not None:
                        out.append(t)
        return out

    def callers(self, f: m.Filter) -> list[tuple[m.Filter, m.Rule]]:
        """The rules that jump or go to f (with their filters), in file order."""
        if self._callers is None:
            self._callers = {}
            for g in self.filters:
                for r in g.rules:
                    if r.action.kind in ("jump", "goto") and r.action.target:
                        self._callers.setdefault((g.table, r.action.target), []).append((g, r))
        return self._callers.get(filter_key(f), [])

    def post_order(self, f: m.Filter, skip) -> list[m.Filter]:
        """f and the filters its jumps reach (`skip(key)` ones left out, with what only they
        reach), callees before callers, with a stack of our own. The jumps without those
        that close a loop form no loop."""
        out: list[m.Filter] = []
        seen = {filter_key(f)}
        stack = [(f, iter(self.callees(f)))]
        while stack:
            g, todo = stack[-1]
            t = next(todo, None)
            if t is None:
                stack.pop()
                out.append(g)
                continue
            tk = filter_key(t)
            if tk in seen or skip(tk):
                continue
            seen.add(tk)
            stack.append((t, iter(self.callees(t))))
        return out

    def reached_from(self, roots) -> list[m.Filter]:
        """The roots and every filter their jumps lead to."""
        seen: dict[tuple[str, str], m.Filter] = {}
        stack = list(roots)
        while stack:
            f = stack.pop()
            if filter_key(f) in seen:
                continue
            seen[filter_key(f)] = f
            stack.extend(self.callees(f))
        return list(seen.values())

    def loop_targets(self) -> list[m.Filter]:
        """The filters the jumps that close a loop lead to."""
        out = []
        for lp in self.loops.values():
            t = self.filter(lp.table, lp.cycle[0])
            if t is not None:
                out.append(t)
        return out

    def topological(self) -> list[m.Filter]:
        """Every filter, callers before the filters they call (not through a jump that closes
        a loop: `model.jump_loops`).

        A depth-first walk with a stack of its own: no recursion limit for deep call chains,
        and no recursive closure (a closure that refers to itself and to the analysis is a
        reference cycle: the analysis, its sets and their BDD manager would be freed by the
        garbage collector in any order, and dd complains when the manager goes first)."""
        seen: set[tuple[str, str]] = set()
        out: list[m.Filter] = []
        for root in self.filters:
            if filter_key(root) in seen:
                continue
            on_path = {filter_key(root)}
            # (filter, iterator over the filters it calls)
            stack = [(root, iter(self.callees(root)))]
            while stack:
                f, todo = stack[-1]
                t = next(todo, None)
                if t is None:
                    stack.pop()
                    on_path.discard(filter_key(f))
                    seen.add(filter_key(f))
                    out.append(f)
                    continue
                tk = filter_key(t)
                if tk in seen or tk in on_path:
                    continue
                on_path.add(tk)
                stack.append((t, iter(self.callees(t))))
        out.reverse()  # callers first
        return out

    def rank(self, f: m.Filter) -> int:
        """f's place in `topological` order."""
        if self._rank is None:
            self._rank = {filter_key(g): n for n, g in enumerate(self.topological())}
        return self._rank[filter_key(f)]


_CALLS: dict[int, tuple[weakref.ref, CallGraph]] = {}


def calls_of(device: m.Device) -> CallGraph:
    """The device's `CallGraph`, kept while the device lives (`trace --packets` and the packs
    trace many packets through one device; finding its loops is a walk over all its rules)."""
    hit = _CALLS.get(id(device))
    if hit is not None and hit[0]() is device:
        return hit[1]
    calls = CallGraph(device)
    key = id(device)
    # (forgotten when the device goes, before its id can be another object's)
    _CALLS[key] = (weakref.ref(device, lambda _ref: _CALLS.pop(key, None)), calls)
    return calls
