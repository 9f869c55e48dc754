"""The BDD backend of the packet-space engine (`linter.space`): dd's CUDD backend where it is
installed, its pure-Python one elsewhere, imported without networkx, and managers made with
fwlint's settings.

Layer: engine."""

from __future__ import annotations

import sys
from typing import Any

Node = Any


def _import_bdd_backend():
    """dd's CUDD backend (fast), else its pure-Python one (same interface), imported without
    networkx. dd imports networkx at start-up (`dd._utils`: `try: import networkx except
    ImportError`) only for conversions and plots fwlint never calls, and networkx costs more
    than half of dd's import time (0.08 s of a one-file check). An entry of None in
    sys.modules makes `import networkx` raise ImportError (the import system's documented
    way to block a module), and dd then carries on without it. The entry is set only when
    networkx is not loaded already (a program that imported it keeps it, and so does dd),
    and only while dd is being imported: a later `import networkx` works as usual."""
    blocked = "networkx" not in sys.modules
    if blocked:
        sys.modules["networkx"] = None  # type: ignore[assignment]
    try:
        try:
            from dd import cudd as backend  # type: ignore
        except ImportError:  # pragma: no cover - exercised only where the wheel is missing
            from dd import autoref as backend  # type: ignore
    finally:
        if blocked and "networkx" in sys.modules and sys.modules["networkx"] is None:
            del sys.modules["networkx"]
    return backend


_bdd_mod = _import_bdd_backend()

# CUDD's computed table ("cache") may grow to this many entries. Its default bound grows it
# with the node table until it is most of the process's memory (1.26 GiB of a 15,000-rule
# check), and a cache that large is slower, not faster (cache lines that miss): 2**20
# entries (24 MiB) measured 640 MiB and 16% less CPU on the same check, same results.
_CACHE_ENTRIES = 1 << 20
_MEMORY_ESTIMATE = 1 << 28  # CUDD sizes its first tables from it: a small manager starts in 0.3 ms, not 9


def new_manager():
    """A BDD manager: dynamic reordering off (fwlint chooses the order: `order_for`), the
    cache bounded (`_CACHE_ENTRIES`), started small."""
    try:
        bdd = _bdd_mod.BDD(memory_estimate=_MEMORY_ESTIMATE, initial_cache_size=1 << 12)
    except TypeError:  # pragma: no cover - the pure-Python backend takes no sizes
        bdd = _bdd_mod.BDD()
    try:
        bdd.configure(reordering=False)
        bdd.configure(max_cache_hard=_CACHE_ENTRIES)
    except Exception:  # pragma: no cover - backends without the options
        pass
    return bdd



def export_sets(roots: list) -> tuple[list[tuple[str, int, int]], list[int]]:
    """BDDs as plain data: a table of nodes, each (variable, high edge, low edge), children
    before parents, and an edge per root. An edge is 0 (true), 1 (false), or 2 * (k + 1) for
    node k, plus 1 when complemented. A node stands for its regular (uncomplemented) function,
    as both dd backends give children: a complemented edge complements the node's function.
    Iterative (a BDD is as deep as it has variables: hundreds)."""
    nodes: list[tuple[str, int, int]] = []
    ids: dict[int, int] = {}  # regular node -> its index in `nodes`

    def edge_of(u) -> int | None:
        """The edge for u when its node is already in the table (or u is a constant)."""
        if u == u.bdd.true:
            return 0
        if u == u.bdd.false:
            return 1
        k = ids.get(int(~u if u.negated else u))
        return None if k is None else 2 * (k + 1) + (1 if u.negated else 0)

    out = []
    for root in roots:
        stack = [root]
        while stack:
            u = stack[-1]
            if edge_of(u) is not None:
                stack.pop()
                continue
            high, low = edge_of(u.high), edge_of(u.low)
            if high is None or low is None:
                stack.extend(x for x, e in ((u.high, high), (u.low, low)) if e is None)
                continue
            ids[int(~u if u.negated else u)] = len(nodes)
            nodes.append((u.var, high, low))
            stack.pop()
        out.append(edge_of(root))
    return nodes, out


def import_sets(bdd, table: tuple[list[tuple[str, int, int]], list[int]]) -> list:
    """The sets of export_sets, rebuilt in this manager (`bdd`; the variables have the same names;
    the sets sent are of header fields only, never of an opaque condition's variable, which
    this manager may not have: that would be a bug, and bdd.var says so)."""
    nodes, roots = table
    built: list = []

    def edge(e: int):
        if e < 2:
            return bdd.true if e == 0 else bdd.false
        u = built[e // 2 - 1]
        return ~u if e % 2 else u

    for var, high, low in nodes:
        built.append(bdd.ite(bdd.var(var), edge(high), edge(low)))
    return [edge(e) for e in roots]
