"""YAML loading that refuses duplicate keys, which PyYAML silently resolves to the last one."""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml

MERGE_KEY_TAG = "tag:yaml.org,2002:merge"


class YamlFileError(ValueError):
    """A YAML file that does not parse, or parses only by dropping a duplicate key."""


def key_path_text(parts: tuple[Any, ...]) -> str:
    """Render a key path the way people write it: `train.model[0].lr`."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "<document>"


def _check_duplicates(
    loader: yaml.SafeLoader, node: yaml.Node, path: tuple[Any, ...], seen: set[int]
) -> None:
    """Walk the composed node tree, raising on the first mapping that repeats a key."""
    if id(node) in seen:  # an alias to a node already checked (or a recursive one)
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first_lines: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_KEY_TAG:
                continue
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, Hashable):
                continue  # construct_document refuses unhashable keys with its own message
            if key not in first_lines:
                first_lines[key] = line
            else:
                first = first_lines[key]
                raise YamlFileError(
                    f"duplicate key {key_path_text((*path, key))!r} on lines {first} and "
                    f"{line}; YAML keeps only the last one, so the first is silently ignored. "
                    "Fix: delete or merge one of them."
                )
            _check_duplicates(loader, value_node, (*path, key), seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _check_duplicates(loader, item, (*path, index), seen)


def loads_strict(text: str) -> Any:
    """Parse one YAML document with the safe loader; duplicate keys raise YamlFileError."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_duplicates(loader, node, (), set())
        return loader.construct_document(node)
    except yaml.YAMLError as error:
        raise YamlFileError(f"is not valid YAML: {error}") from error
    finally:
        loader.dispose()


def load_strict(path: Path) -> Any:
    """Read and parse a YAML file strictly; errors name the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise YamlFileError(f"{path}: cannot be read: {error}") from error
    try:
        return loads_strict(text)
    except YamlFileError as error:
        raise YamlFileError(f"{path}: {error}") from error
