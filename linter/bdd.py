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

