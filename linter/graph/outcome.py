"""A filter's partition of packets by fate (`Outcome`), its pieces united when first asked."""

from __future__ import annotations

from typing import Iterator

from ..space import Node, PacketSpace

class Outcome:
    """A partition of the packets entering a filter by their fate.

    Each fate is the union of pieces (one per deciding rule); the union, and the pieces
    that come from called chains, are computed when first asked for: a built-in chain that
    calls hundreds of chains is asked for what it returns and lets through by default far
    more often than for its accepted set."""

    def __init__(self, space: PacketSpace, parts: dict[str, list]) -> None:
        self._space = space
        self._parts = parts
        self._done: dict[str, Node] = {}

    def _get(self, kind: str) -> Node:
        v = self._done.get(kind)
        if v is None:
            # the called chains' sets that this one is made of first, deepest first, with a
            # stack of our own (a chain of thousands of jumps needs no recursion)
            for o, k in self._pending(kind):
                o._unite(k)
            v = self._done[kind]
        return v

    def _pending(self, kind: str) -> list[tuple["Outcome", str]]:
        """(outcome, fate) pairs not yet united that this fate needs, needed ones first."""
        out: list[tuple[Outcome, str]] = []
        seen = {(id(self), kind)}
        stack: list[tuple[Outcome, str, Iterator]] = [(self, kind, iter(self._parts.get(kind, ())))]
        while stack:
            o, k, todo = stack[-1]
            p = next(todo, None)
            if p is None:
                stack.pop()
                out.append((o, k))
                continue
            if isinstance(p, _Meet) and p.fate not in p.outcome._done:
                key = (id(p.outcome), p.fate)
                if key not in seen:
                    seen.add(key)
                    stack.append((p.outcome, p.fate, iter(p.outcome._parts.get(p.fate, ()))))
        return out

    def _unite(self, kind: str) -> None:
        if kind in self._done:
            return
        pieces = [p() if callable(p) else p for p in self._parts.get(kind, ())]
        self._done[kind] = _union(self._space, pieces)
        self._parts[kind] = []

    @property
    def accept(self) -> Node:
        return self._get("accept")

    @property
    def drop(self) -> Node:
        return self._get("drop")

    @property
    def reject(self) -> Node:
        return self._get("reject")

    @property
    def ret(self) -> Node:
        return self._get("return")

    @property
    def unknown(self) -> Node:
        return self._get("unknown")

    def fate(self, kind: str) -> Node:
        return self._get(kind)


class _Lazy:
    """A set computed when first needed (and then once)."""

    def __init__(self, make) -> None:
        self._make = make
        self._value = None

    def __call__(self):
        if self._value is None:
            self._value = self._make()
        return self._value


class _Meet:
    """The packets `hit` that the called chain's outcome gives `fate`, when asked (an
    `Outcome` computes the fates it depends on first: see `Outcome._get`)."""

    __slots__ = ("hit", "outcome", "fate")

    def __init__(self, hit: Node, outcome: "Outcome", fate: str) -> None:
        self.hit = hit
        self.outcome = outcome
        self.fate = fate

    def __call__(self) -> Node:
        return self.hit & self.outcome.fate(self.fate)



def _union(space: PacketSpace, sets: list[Node]) -> Node:
    """The union of many sets, pairwise (a balanced tree of ORs)."""
    items = [x for x in sets if x != space.false]
    if not items:
        return space.false
    while len(items) > 1:
        items = [items[i] | items[i + 1] if i + 1 < len(items) else items[i] for i in range(0, len(items), 2)]
    return items[0]
