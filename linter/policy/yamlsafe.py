"""YAML loading for packs and inventories: safe loading, no aliases, no duplicate keys."""

from __future__ import annotations

from pathlib import Path

import yaml


class YamlError(ValueError):
    pass


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses aliases (a few lines of anchors can expand to gigabytes)
    and keys given twice (the second would silently win)."""

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            ev = self.peek_event()
            raise YamlError(f"line {ev.start_mark.line + 1}: YAML aliases (*{ev.anchor}) are not allowed")
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, bool)) and key in seen:
                raise YamlError(f"line {key_node.start_mark.line + 1}: key {key!r} given twice")
            seen.add(key)
        return super().construct_mapping(node, deep)


def load_yaml(path: Path, text: str | None = None):
    if text is None:
        try:
            data = path.read_bytes()
        except OSError as e:
            raise YamlError(f"cannot read: {e.strerror}") from None
        if len(data) > 4 * 1024 * 1024:
            raise YamlError("file larger than 4 MiB")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise YamlError(f"not UTF-8 (byte {e.start})") from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except YamlError:
        raise
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise YamlError(f"{where}{getattr(e, 'problem', None) or e}") from None


def schema_errors(data, schema: dict) -> list[str]:
    """Schema violations, each as 'key path: message', most specific first."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    out = []
    for err in sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        path = "/".join(str(p) for p in err.absolute_path) or "(top)"
        out.append(f"{path}: {err.message}")
    return out
