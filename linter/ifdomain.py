"""Interface names as a finite domain (`IfaceDomain`), the packet-space engine's encoding of
interfaces (`linter.space`): exact for wildcards (`eth+`) and negations (`! -o eth0`).

Layer: engine."""

from __future__ import annotations

import math
from typing import Iterable


class IfaceDomain:
    """Interface names as a finite domain.

    Elements: every concrete name mentioned; for each wildcard prefix `p` one element `p+`
    standing for every other name that starts with `p` (and with no longer wildcard prefix);
    `""` for "no interface" (INPUT has no egress interface); `*` for any other name.
    """

    def __init__(self, names: Iterable[str]) -> None:
        concrete = set()
        prefixes = set()
        for n in names:
            if n.endswith("+"):
                prefixes.add(n[:-1])
            elif n:
                concrete.add(n)
        self.concrete = sorted(concrete)
        self.prefixes = sorted(prefixes)
        self.elements: list[str] = ["", "*"] + self.concrete + [p + "+" for p in self.prefixes]
        self.index = {e: i for i, e in enumerate(self.elements)}
        self.bits = max(1, math.ceil(math.log2(len(self.elements))))

    def element_of(self, name: str) -> int:
        """The domain element a concrete interface name falls in."""
        if name in self.index and not name.endswith("+") and name != "*":
            return self.index[name]
        if name == "":
            return self.index[""]
        best = None
        for p in self.prefixes:
            if name.startswith(p) and (best is None or len(p) > len(best)):
                best = p
        if best is None:
            return self.index["*"]
        return self.index[best + "+"]

    def matches(self, element: str, pattern: str) -> bool:
        """Whether every name of `element` matches `pattern` (the domain makes it all or none)."""
        if pattern.endswith("+"):
            prefix = pattern[:-1]
            if element == "":
                return prefix == ""
            if element == "*":
                return prefix == ""
            if element.endswith("+"):
                return element[:-1].startswith(prefix)
            return element.startswith(prefix)
        return element == pattern

    def witness_name(self, i: int) -> str:
        """How a witness names element i: a name the device uses as it is; for the others
        the element itself, `*` (an interface the device does not name) or `eth+` (one whose
        name starts with eth, other than those named), never an invented name shown as if
        it existed. `trace` reads them back as the same element: `*` and `eth+` as names
        match exactly the patterns their element matches (`eth+` starts with eth and with
        no longer prefix the device uses, `*` with none but the bare `+`)."""
        return self.elements[i]

    def representative(self, i: int) -> str:
        """A concrete name that falls in element i (for the box layer's concrete runs;
        witnesses name elements with `witness_name`)."""
        e = self.elements[i]
        if e == "" or not (e == "*" or e.endswith("+")):
            return e
        base = "" if e == "*" else e[:-1]
        for k in range(10000):
            cand = f"{base}{'x' if e == '*' else ''}{k}" if base or e == "*" else f"if{k}"
            if self.element_of(cand) == i:
                return cand
        return base + "?"

