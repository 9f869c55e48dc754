"""The normalized model as JSON (for `fwlint parse --json` and golden files).

Layer: model. Deterministic: the same model always gives the same text.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from typing import Any

from . import model as m


def to_data(obj: Any) -> Any:
    """Dataclasses -> dicts (with a `kind` for conditions), tuples -> lists."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        if isinstance(obj, (m.IntCond, m.AddrCond, m.IfaceCond, m.FlagsCond, m.Opaque, m.AnyCond)):
            out["kind"] = type(obj).__name__
        for name in _json_fields(type(obj)):
            out[name] = to_data(getattr(obj, name))
        return out
    if isinstance(obj, (list, tuple)):
        return [to_data(x) for x in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted(to_data(x) for x in obj)
    return obj


@functools.cache
def _json_fields(cls: type) -> tuple[str, ...]:
    """The fields of a dataclass that its JSON holds (not those marked `json: False`, such as
    `Device.traits`: the platform says them)."""
    return tuple(f.name for f in dataclasses.fields(cls) if f.metadata.get("json", True))


def device_json(device: m.Device, indent: int | None = 1) -> str:
    return json.dumps(to_data(device), indent=indent, sort_keys=True)
