"""The normalized model as JSON (for `fwlint parse --json` and golden files).

Layer: model. Deterministic: the same model always gives the same text.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from . import model as m


def to_data(obj: Any) -> Any:
    """Dataclasses -> dicts (with a `kind` for conditions), tuples -> lists."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        if isinstance(obj, (m.IntCond, m.AddrCond, m.IfaceCond, m.FlagsCond, m.Opaque, m.AnyCond)):
            out["kind"] = type(obj).__name__
        for f in dataclasses.fields(obj):
            if not f.metadata.get("json", True):
                continue
            out[f.name] = to_data(getattr(obj, f.name))
        return out
    if isinstance(obj, (list, tuple)):
        return [to_data(x) for x in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted(to_data(x) for x in obj)
    return obj


def device_json(device: m.Device, indent: int | None = 1) -> str:
    return json.dumps(to_data(device), indent=indent, sort_keys=True)
