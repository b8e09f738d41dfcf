"""Read dvc.lock and params files into plain data: the values behind what DVC reports."""

from __future__ import annotations

import posixpath
import sys
from pathlib import Path
from typing import Any

from copier_mlops.precommit.strict_yaml import load_strict


class PipelineError(ValueError):
    """dvc.yaml, dvc.lock or a params file that cannot be read as DVC would."""


def normalize_path(path: str) -> str:
    """A dvc.yaml path as DVC compares it: posix, no trailing slash, no `./`."""
    return posixpath.normpath(str(path).replace("\\", "/"))


def lookup(data: Any, dotted: str) -> Any:
    """Select `a.b.0` (or `a.b[0]`) in nested mappings and lists; KeyError when absent."""
    current = data
    for part in dotted.replace("[", ".").replace("]", "").split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise KeyError(dotted)
    return current


def load_params_file(path: Path) -> Any:
    """A params file's content (YAML, JSON or TOML), as DVC reads it."""
    if path.suffix == ".toml":
        if sys.version_info < (3, 11):  # pragma: no cover - Python 3.10 has no tomllib
            raise PipelineError(f"{path}: TOML params need Python 3.11+ in this hook")
        import tomllib

        return tomllib.loads(path.read_text(encoding="utf-8"))
    if path.suffix == ".py":
        raise PipelineError(f"{path}: Python params files are not supported by this hook")
    return load_strict(path)  # YAML, and JSON (a subset of YAML)


def load_lock(dvc_lock: Path) -> dict[str, dict[str, Any]]:
    """dvc.lock's stages by name; an absent lock file means nothing has run yet."""
    if not dvc_lock.is_file():
        return {}
    document = load_strict(dvc_lock) or {}
    if not isinstance(document, dict):
        raise PipelineError(f"{dvc_lock}: expected a mapping")
    stages = document.get("stages", {}) if "schema" in document else document  # 1.x: flat
    if not isinstance(stages, dict):
        raise PipelineError(f"{dvc_lock}: `stages` must be a mapping")
    return {str(name): stage for name, stage in stages.items() if isinstance(stage, dict)}
