"""pre-commit hook `dvc-pipeline-fresh`: dvc.lock matches the code and params it was run with.

A stage is stale when its command, a dependency's content, a tracked param, or its declared
deps/params/outs changed since `dvc repro` last wrote dvc.lock. Dependencies that are not
on disk (data not pulled) are skipped: only what is present can be compared.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copier_mlops.dvc_hashes import IgnoreCheck, dir_md5, file_md5
from copier_mlops.dvc_pipeline import (
    PipelineError,
    StageSpec,
    load_lock,
    load_params_file,
    load_stage_specs,
    lookup,
    normalize_path,
)
from copier_mlops.dvcignore import DvcIgnore
from copier_mlops.strict_yaml import YamlFileError

MISSING = object()


@dataclass
class StageVerdict:
    """Why one stage must be re-run (no reasons: it is fresh)."""

    name: str
    reasons: list[str] = field(default_factory=list)


def _short(value: Any, limit: int = 60) -> str:
    text = "(absent)" if value is MISSING else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def dep_change(path: Path, locked: dict[str, Any], ignored: IgnoreCheck | None) -> str | None:
    """How a present dependency differs from its dvc.lock entry (None: same, or absent)."""
    if not path.exists():
        return None  # not pulled or not produced yet: nothing to compare
    expected = locked.get("md5")
    hash_name = locked.get("hash")
    if not isinstance(expected, str) or hash_name not in (None, "md5"):
        return None  # another hash (etag, blake3, ...) cannot be recomputed here
    legacy = hash_name is None  # DVC 2 lock entries: md5 after dos2unix on text
    if expected.endswith(".dir"):
        if not path.is_dir():
            return "was a directory, now a file"
        actual = dir_md5(path, legacy, ignored)
        if actual.md5 == expected:
            return None
        before = locked.get("nfiles")
        if before is None or before == actual.nfiles:
            return "directory content changed (a file in it was edited or renamed)"
        return f"directory content changed ({before} files in dvc.lock, {actual.nfiles} now)"
    if not path.is_file():
        return "was a file, now a directory"
    if not legacy and locked.get("size") not in (None, path.stat().st_size):
        return "content changed (size differs)"  # no need to hash
    actual_md5 = file_md5(path, legacy)
    return None if actual_md5 == expected else "content changed (md5 differs)"


def _current_params(path: Path) -> Any:
    try:
        return load_params_file(path)
    except (PipelineError, YamlFileError, OSError) as error:
        raise PipelineError(f"cannot read params file {path}: {error}") from error


def params_changes(
    declared: dict[str, list[str]], locked: dict[str, dict[str, Any]], wdir: Path
) -> list[str]:
    """Declared params that are new, removed or changed compared with dvc.lock."""
    reasons = []
    locked = {normalize_path(name): values or {} for name, values in (locked or {}).items()}
    for file_name in sorted(set(locked) - set(declared)):
        reasons.append(f"params of {file_name} are no longer tracked")
    for file_name, keys in declared.items():
        if file_name not in locked:
            reasons.append(f"params of {file_name} are newly tracked")
            continue
        path = wdir / file_name
        if not path.is_file():
            reasons.append(f"params file {file_name} is missing")
            continue
        current = _current_params(path) or {}
        recorded = locked[file_name]
        # An empty key list tracks the whole file: every top-level key counts.
        names = keys or list(dict.fromkeys([*current, *recorded]))
        for key in names:
            try:
                value = lookup(current, key)
            except KeyError:
                value = MISSING
            before = recorded.get(key, MISSING)
            if before is MISSING:
                reasons.append(f"param {key} is newly tracked")
            elif value is MISSING:
                reasons.append(f"param {key} was removed from {file_name}")
            else:
                reasons += [
                    f"param {name} changed ({_short(old)} in dvc.lock, {_short(new)} in "
                    f"{file_name})"
                    for name, old, new in value_changes(key, before, value)
                ]
    return reasons


def value_changes(key: str, before: Any, after: Any) -> list[tuple[str, Any, Any]]:
    """The leaves that differ between two param values, by dotted key (a section's members)."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes = []
        for name in dict.fromkeys([*before, *after]):
            changes += value_changes(
                f"{key}.{name}", before.get(name, MISSING), after.get(name, MISSING)
            )
        return changes
    if before == after or (isinstance(after, tuple) and list(after) == before):
        return []
    return [(key, before, after)]


def stage_reasons(
    spec: StageSpec, locked: dict[str, Any] | None, root: Path, ignored: IgnoreCheck | None
) -> list[str]:
    """Every reason why one stage's dvc.lock entry no longer matches the workspace."""
    if locked is None:
        return ["not in dvc.lock: it has never run (or was renamed)"]
    wdir = root / spec.wdir
    reasons = []
    if spec.cmd is not None and spec.cmd != locked.get("cmd"):
        reasons.append(
            f"cmd changed ({_short(locked.get('cmd'))} in dvc.lock, {_short(spec.cmd)} now)"
        )
    locked_deps = {
        normalize_path(entry["path"]): entry
        for entry in locked.get("deps") or []
        if isinstance(entry, dict) and "path" in entry
    }
    reasons += [f"dep {path} is new" for path in spec.deps if path not in locked_deps]
    reasons += [f"dep {path} was removed" for path in locked_deps if path not in spec.deps]
    for path in spec.deps:
        if path in locked_deps:
            change = dep_change(wdir / path, locked_deps[path], ignored)
            if change:
                reasons.append(f"dep {path}: {change}")
    reasons += params_changes(spec.params, locked.get("params") or {}, wdir)
    locked_outs = {
        normalize_path(entry["path"])
        for entry in locked.get("outs") or []
        if isinstance(entry, dict) and "path" in entry
    }
    reasons += [f"out {path} is new" for path in spec.outs if path not in locked_outs]
    reasons += [f"out {path} was removed" for path in sorted(locked_outs - set(spec.outs))]
    return reasons


def _overlaps(dep: str, out: str) -> bool:
    """True when a dependency path is an output, lies inside one, or contains one."""
    return dep == out or dep.startswith(out + "/") or out.startswith(dep + "/")


def propagate_downstream(specs: Sequence[StageSpec], verdicts: dict[str, StageVerdict]) -> None:
    """Mark stages that consume the outputs of a stale stage as stale too."""
    changed = True
    while changed:
        changed = False
        for spec in specs:
            if spec.skip_reason or verdicts[spec.name].reasons:
                continue
            for upstream in specs:
                if upstream is spec or not verdicts[upstream.name].reasons:
                    continue
                shared = [
                    out
                    for out in upstream.outs
                    for dep in spec.deps
                    if _overlaps(
                        normalize_path(str(spec.wdir / dep)),
                        normalize_path(str(upstream.wdir / out)),
                    )
                ]
                if shared:
                    verdicts[spec.name].reasons.append(
                        f"upstream stage {upstream.name} is stale (this stage uses its out "
                        f"{shared[0]})"
                    )
                    changed = True
                    break


def check_pipeline(dvc_yaml: Path) -> tuple[list[StageVerdict], list[str]]:
    """Stale stages of one dvc.yaml (in file order), and notes about stages not checked."""
    root = dvc_yaml.parent
    specs = load_stage_specs(dvc_yaml)
    lock = load_lock(root / "dvc.lock")
    ignore = DvcIgnore.load(dvc_root(root))
    ignored = ignore.ignores if ignore.rules else None
    verdicts = {spec.name: StageVerdict(spec.name) for spec in specs}
    notes = []
    for spec in specs:
        if spec.skip_reason:
            notes.append(f"stage {spec.name} not checked: {spec.skip_reason}")
            continue
        if spec.cmd is None:
            notes.append(f"stage {spec.name}: cmd not compared (interpolation not resolved)")
        verdicts[spec.name].reasons = stage_reasons(spec, lock.get(spec.name), root, ignored)
    propagate_downstream(specs, verdicts)
    return [verdict for verdict in verdicts.values() if verdict.reasons], notes


def dvc_root(start: Path) -> Path:
    """The DVC repository root (the folder holding .dvc/), where .dvcignore lives."""
    for folder in (start.absolute(), *start.absolute().parents):
        if (folder / ".dvc").is_dir():
            return folder
    return start


def format_report(dvc_yaml: Path, stale: Sequence[StageVerdict]) -> str:
    """The hook's message: each stale stage with its reasons, and the command to run."""
    lock = dvc_yaml.parent / "dvc.lock"
    lines = [f"{lock} is stale: {len(stale)} stage(s) changed since `dvc repro` last ran:"]
    for verdict in stale:
        lines.append(f"  {verdict.name}:")
        lines += [f"    - {reason}" for reason in verdict.reasons]
    names = " ".join(verdict.name for verdict in stale)
    target = "" if dvc_yaml.parent == Path() else f" (in {dvc_yaml.parent})"
    lines.append(f"Fix: run `dvc repro {names}`{target}, then commit dvc.lock.")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="dvc-pipeline-fresh", description=__doc__)
    parser.add_argument(
        "--dvc-yaml",
        action="append",
        dest="pipelines",
        metavar="PATH",
        help="pipeline file to check; repeat for several (default: dvc.yaml)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print notes")
    parser.add_argument("filenames", nargs="*", help="ignored: the whole pipeline is checked")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Check each pipeline; print the stale stages and how to refresh dvc.lock."""
    args = parse_args(argv)
    failed = False
    for name in args.pipelines or ["dvc.yaml"]:
        dvc_yaml = Path(name)
        if not dvc_yaml.is_file():
            if args.pipelines:  # asked for explicitly: a missing file is a mistake
                print(f"{name}: not found; fix the --dvc-yaml argument")
                failed = True
            continue
        try:
            stale, notes = check_pipeline(dvc_yaml)
        except (PipelineError, YamlFileError) as error:
            print(f"{error}\nFix the file so that `dvc status` can read it.")
            failed = True
            continue
        if stale:
            print(format_report(dvc_yaml, stale))
            failed = True
        if notes and (stale or args.verbose):
            print("\n".join(f"note: {note}" for note in notes))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
