"""Read dvc.yaml and dvc.lock into plain data, without importing DVC (too slow for a hook)."""

from __future__ import annotations

import posixpath
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copier_mlops.strict_yaml import load_strict

DEFAULT_PARAMS_FILE = "params.yaml"
# DVC's interpolation syntax: `${key.path}`, with `\${` as an escape.
INTERPOLATION = re.compile(r"(?<!\\)\$\{(?P<inner>.*?)\}")
PRIMITIVES = (str, int, float, bool, type(None))


class PipelineError(ValueError):
    """dvc.yaml, dvc.lock or a params file that cannot be read as DVC would."""


@dataclass
class StageSpec:
    """One stage as dvc.yaml declares it; paths are relative to the stage's working dir."""

    name: str
    cmd: Any  # a string or a list of strings, after interpolation; None when unresolved
    deps: list[str] = field(default_factory=list)
    # params file -> declared keys; an empty list tracks the whole file.
    params: dict[str, list[str]] = field(default_factory=dict)
    outs: list[str] = field(default_factory=list)
    wdir: Path = Path()
    skip_reason: str | None = None  # set for stages this checker cannot judge


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


def _interpolate(text: str, context: dict[str, Any]) -> str | None:
    """Resolve `${...}` in text from context; None when a value is missing or not a scalar."""
    result, index = "", 0
    for match in INTERPOLATION.finditer(text):
        try:
            value = lookup(context, match["inner"].strip())
        except KeyError:
            return None
        if not isinstance(value, PRIMITIVES):
            return None  # dicts expand to CLI flags in DVC; not worth mirroring here
        rendered = ("true" if value else "false") if isinstance(value, bool) else str(value)
        result += text[index : match.start()] + rendered
        index = match.end()
    return (result + text[index:]).replace("\\${", "${")


def _vars_context(entries: Any, base: Path, context: dict[str, Any]) -> dict[str, Any]:
    """Merge dvc.yaml `vars` (inline mappings and whole files) into the interpolation context."""
    merged = dict(context)
    for entry in entries or []:
        if isinstance(entry, dict):
            merged.update(entry)
        elif isinstance(entry, str):
            name, _, keys = entry.partition(":")
            path = base / name
            if path.is_file():
                content = load_params_file(path) or {}
                if keys:
                    content = {key: content[key] for key in keys.split(",") if key in content}
                merged.update(content)
    return merged


def _paths(entries: Any, context: dict[str, Any]) -> list[str]:
    """Paths of deps/outs/metrics/plots entries: plain strings or `{path: options}`."""
    raw = []
    for entry in entries or []:
        if isinstance(entry, str):
            raw.append(entry)
        elif isinstance(entry, dict):
            raw.extend(str(key) for key in entry)
    return [normalize_path(_interpolate(path, context) or path) for path in raw]


def _declared_params(entries: Any) -> dict[str, list[str]]:
    """dvc.yaml `params`: bare keys belong to params.yaml; `{file: [keys]}` to that file."""
    params: dict[str, list[str]] = {}
    for entry in entries or []:
        if isinstance(entry, str):
            params.setdefault(DEFAULT_PARAMS_FILE, []).append(entry)
        elif isinstance(entry, dict):
            for file_name, keys in entry.items():
                params.setdefault(normalize_path(file_name), []).extend(keys or [])
    return params


def _cmd(raw: Any, context: dict[str, Any]) -> Any:
    """The stage's command with interpolation resolved (None if it cannot be)."""
    if isinstance(raw, list):
        resolved = [_interpolate(str(part), context) for part in raw]
        return None if None in resolved else resolved
    return _interpolate(str(raw), context)


def load_stage_specs(dvc_yaml: Path) -> list[StageSpec]:
    """Every stage of a dvc.yaml, in file order."""
    document = load_strict(dvc_yaml) or {}
    if not isinstance(document, dict) or not isinstance(document.get("stages", {}), dict):
        raise PipelineError(f"{dvc_yaml}: expected a mapping with a `stages` mapping")
    base = dvc_yaml.parent
    defaults = base / DEFAULT_PARAMS_FILE  # DVC interpolates from params.yaml unasked
    loaded = load_params_file(defaults) if defaults.is_file() else {}
    context = _vars_context(document.get("vars"), base, loaded if isinstance(loaded, dict) else {})
    specs = []
    for name, stage in (document.get("stages") or {}).items():
        if not isinstance(stage, dict):
            raise PipelineError(f"{dvc_yaml}: stage {name!r} must be a mapping")
        wdir = Path(stage.get("wdir", "."))
        spec = StageSpec(name=str(name), cmd=None, wdir=wdir)
        if "foreach" in stage or "matrix" in stage:
            spec.skip_reason = "foreach/matrix stages are not checked; run `dvc status`"
        elif stage.get("frozen"):
            spec.skip_reason = "frozen: dvc repro never reruns it"
        elif stage.get("always_changed"):
            spec.skip_reason = "always_changed: dvc repro reruns it every time"
        else:
            stage_context = _vars_context(stage.get("vars"), base / wdir, context)
            spec.cmd = _cmd(stage.get("cmd"), stage_context)
            spec.deps = _paths(stage.get("deps"), stage_context)
            spec.params = _declared_params(stage.get("params"))
            spec.outs = [
                *_paths(stage.get("outs"), stage_context),
                *_paths(stage.get("metrics"), stage_context),
                *_paths(stage.get("plots"), stage_context),
            ]
        specs.append(spec)
    return specs


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
