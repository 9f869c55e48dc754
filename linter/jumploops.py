"""The jumps and gotos that close a loop of filters (`jump_loops`), chosen the same way
every time, so that the rule graph never follows them and the readers can report them.

Layer: model (`linter.model` offers both names: `m.jump_loops`, `m.JumpLoop`). It reads
filters and rules by their fields only, so it imports nothing of the model at run time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .model import Filter, Rule


@dataclass(frozen=True)
class JumpLoop:
    """A jump or goto that closes a loop of filters (see `jump_loops`)."""

    table: str
    filter: str  # the filter the closing rule stands in
    rule: Rule  # the closing jump or goto
    cycle: tuple[str, ...]  # the filters round the loop, from the jump's target back to it
    reachable: bool  # whether a built-in filter reaches the loop

    def describe(self) -> str:
        """`A -> B -> A`"""
        return " -> ".join(self.cycle)


def jump_loops(filters: tuple[Filter, ...] | list[Filter]) -> list[JumpLoop]:
    """The jumps and gotos that close a loop, chosen the same way every time.

    A depth-first walk follows each filter's jumps and gotos in rule order, from the
    built-in filters in the order of `filters`, then from the filters nothing jumps to,
    then from any filter not yet visited (a loop nothing outside it enters); the edges it
    meets back to a filter still on its path are the closing ones. Without them the jumps
    form no loop (every loop holds such an edge), so every walk that leaves them out ends.
    `reachable` says whether the loop was met from a built-in filter: iptables-restore
    refuses those (ELOOP); a loop no built-in chain reaches is loaded, and never runs.

    Targets resolve as `Device.filter` does: in the filter's own table, or by name alone
    for filters without a table. Iterative: thousands of nested jumps need no stack."""
    by_key: dict[tuple[str, str], Filter] = {}
    by_name: dict[str, Filter] = {}
    for f in filters:
        by_key.setdefault((f.table, f.name), f)
        by_name.setdefault(f.name, f)

    def key(f: Filter) -> tuple[str, str]:
        return (f.table, f.name)

    edges: dict[tuple[str, str], list[tuple[Rule, Filter]]] = {}
    targeted: set[tuple[str, str]] = set()
    for f in by_key.values():
        out = []
        for r in f.rules:
            if r.action.kind in ("jump", "goto") and r.action.target:
                t = by_key.get((f.table, r.action.target)) if f.table else by_name.get(r.action.target)
                if t is not None:
                    out.append((r, t))
                    targeted.add(key(t))
        edges[key(f)] = out
    roots = [f for f in by_key.values() if f.builtin]
    roots += [f for f in by_key.values() if not f.builtin and key(f) not in targeted]
    roots += list(by_key.values())
    found: list[JumpLoop] = []
    done: set[tuple[str, str]] = set()
    for root in roots:
        if key(root) in done:
            continue
        reachable = root.builtin
        path = [root]
        on_path = {key(root): 0}
        stack = [iter(edges[key(root)])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                f = path.pop()
                stack.pop()
                del on_path[key(f)]
                done.add(key(f))
                continue
            rule, t = nxt
            tk = key(t)
            if tk in on_path:
                names = tuple(g.name for g in path[on_path[tk]:]) + (t.name,)
                found.append(JumpLoop(path[-1].table, path[-1].name, rule, names, reachable))
            elif tk not in done:
                on_path[tk] = len(path)
                path.append(t)
                stack.append(iter(edges[tk]))
    return found
