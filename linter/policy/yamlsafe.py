"""YAML loading for packs, inventories and the configuration: safe loading, no aliases, no
duplicate or unhashable keys, bounded size and nesting; schema errors that quote nothing but
short values."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .. import files, limits


class YamlError(ValueError):
    pass


@lru_cache(maxsize=1)
def _loader() -> type:
    """The loader class, made on first use: PyYAML is imported only when a YAML file is read
    (a check without packs, inventory or .fwlint.yaml never needs it)."""
    import yaml

    class _Loader(yaml.SafeLoader):
        """SafeLoader that refuses aliases (a few lines of anchors can expand to gigabytes),
        keys given twice (the second would silently win), keys that are lists or mappings, and
        nesting deeper than limits.MAX_DOCUMENT_DEPTH (PyYAML composes recursively: 1,000
        levels would exhaust Python's stack)."""

        depth = 0

        def compose_node(self, parent, index):  # type: ignore[override]
            if self.check_event(yaml.AliasEvent):
                ev = self.peek_event()
                raise YamlError(f"line {ev.start_mark.line + 1}: YAML aliases (*{ev.anchor}) are not allowed")
            if self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent):
                if self.depth >= limits.MAX_DOCUMENT_DEPTH:
                    ev = self.peek_event()
                    raise YamlError(f"line {ev.start_mark.line + 1}: nested deeper than "
                                    f"{limits.MAX_DOCUMENT_DEPTH} levels")
                self.depth += 1
                try:
                    return super().compose_node(parent, index)
                finally:
                    self.depth -= 1
            return super().compose_node(parent, index)

        def construct_mapping(self, node, deep=False):  # type: ignore[override]
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    raise YamlError(f"line {key_node.start_mark.line + 1}: a key that is a list or a mapping") from None
                if isinstance(key, (str, int, bool)) and key in seen:
                    raise YamlError(f"line {key_node.start_mark.line + 1}: key {_short(key)} given twice")
                seen.add(key)
            return super().construct_mapping(node, deep)

    return _Loader


def load_yaml(path: Path, text: str | None = None):
    """The document of a YAML file (read with the checks of linter/files.py: a regular file,
    at most limits.MAX_SIDE_FILE_BYTES; the caller has confined the path)."""
    if text is None:
        try:
            data = files.read_file(path, limit=limits.MAX_SIDE_FILE_BYTES, named=True)
        except files.InputError as e:
            raise YamlError(str(e).split(": ", 1)[-1]) from None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise YamlError(f"not UTF-8 (byte {e.start})") from None
    import yaml

    try:
        return yaml.load(text, Loader=_loader())  # noqa: S506 - a SafeLoader subclass
    except YamlError:
        raise
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise YamlError(f"{where}{getattr(e, 'problem', None) or 'not YAML'}") from None
    except RecursionError:  # pragma: no cover - bounded by the depth check above
        raise YamlError(f"nested deeper than {limits.MAX_DOCUMENT_DEPTH} levels") from None


def _kind(v) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(v), type(v).__name__)


def _short(v) -> str:
    """A value of the file, quoted only when it is a short scalar on one line (an error
    names the bad value of a setting, never a file's content)."""
    r = repr(v)
    if isinstance(v, (str, int, float, bool)) and len(r) <= 40 and "\n" not in str(v):
        return r
    return _kind(v)


_TYPES = {"object": "a mapping", "array": "a list", "string": "a string", "integer": "a whole number",
          "number": "a number", "boolean": "true or false", "null": "null"}


def _message(err) -> str:
    v, want = err.validator, err.validator_value
    inst = err.instance
    if v == "type":
        wanted = " or ".join(_TYPES.get(t, t) for t in (want if isinstance(want, list) else [want]))
        return f"expected {wanted}, got {_kind(inst)}"
    if v == "enum":
        return f"expected one of {', '.join(map(str, want))}, got {_short(inst)}"
    if v == "const":
        return f"expected {want!r}, got {_short(inst)}"
    if v == "required":
        missing = [k for k in want if isinstance(inst, dict) and k not in inst]
        return f"missing {', '.join(repr(k) for k in missing)}"
    if v == "additionalProperties" and isinstance(inst, dict):
        allowed = set((err.schema.get("properties") or {}))
        extra = sorted(str(k) for k in inst if k not in allowed)
        return "unknown key" + ("s " if len(extra) > 1 else " ") + ", ".join(_short(k) for k in extra[:5])
    if v == "pattern":
        return f"{_short(inst)} does not match {want}"
    if v in ("minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum", "minProperties"):
        return f"{v} is {want}, got {_short(inst) if not isinstance(inst, (list, dict)) else _kind(inst)}"
    return f"does not satisfy the schema ({v})"


def schema_errors(data, schema: dict) -> list[str]:
    """Schema violations, each as 'key path: message', most specific first. Messages quote
    only short scalar values of the document (never a whole document or a long string)."""
    import jsonschema

    if not isinstance(data, dict):
        return [f"(top): expected a mapping, got {_kind(data)}"]
    validator = jsonschema.Draft202012Validator(schema)
    out = []
    for err in sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        path = "/".join(str(p)[:40] for p in err.absolute_path) or "(top)"
        out.append(f"{path}: {_message(err)}")
    return out
