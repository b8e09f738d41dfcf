"""pre-commit hook `dvc-pipeline-fresh`: dvc.lock matches the code and params it was run with.

Asks the real DVC (`dvc status --json`), from the project's own environment: `uv run
--frozen dvc` where the project has a uv.lock, `dvc` on PATH otherwise. A stage is stale
when DVC would rerun it for a reason of its own (its command, a dependency's content, a
tracked param, an output edited by hand) or because a stage upstream of it is. What is not
on disk (data or outputs not pulled) is skipped: only what is present can be compared.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copier_mlops.precommit.dvc_pipeline import (
    PipelineError,
    load_lock,
    load_params_file,
    lookup,
    normalize_path,
)
from copier_mlops.precommit.strict_yaml import YamlFileError, load_strict

MISSING = object()
DVC_TIMEOUT_SECONDS = 300
# The environment of the hook (pre-commit's virtualenv), which is not the project's.
HOOK_VARIABLES = ("VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH")


class DvcUnavailable(RuntimeError):
    """Neither the project's environment nor PATH has DVC."""


@dataclass
class StageVerdict:
    """Why one stage must be re-run (no reasons: it is fresh)."""

    name: str
    reasons: list[str] = field(default_factory=list)


def dvc_command(folder: Path) -> list[str]:
    """How to run the project's DVC: its locked environment first, then PATH."""
    if uv_project(folder) is not None:
        if shutil.which("uv") is None:
            raise DvcUnavailable(
                "dvc-pipeline-fresh runs DVC from the project's environment (uv.lock), but "
                "uv is not on PATH: install uv, then run `uv sync`"
            )
        return ["uv", "run", "--frozen", "--quiet", "dvc"]
    if shutil.which("dvc") is None:
        raise DvcUnavailable(
            "dvc-pipeline-fresh needs DVC: add it to the project's environment "
            "(`uv add dvc`), or install it on PATH (`pipx install dvc`)"
        )
    return ["dvc"]


def uv_project(folder: Path) -> Path | None:
    """The folder of the uv.lock that `uv run` in folder would use, up to the git root."""
    for candidate in (folder.absolute(), *folder.absolute().parents):
        if (candidate / "uv.lock").is_file():
            return candidate
        if (candidate / ".git").exists():
            return None
    return None


def dvc_status(command: Sequence[str], dvc_yaml: Path) -> dict[str, list[Any]]:
    """`dvc status --json` of one pipeline file, run beside it: stage name -> what changed."""
    environment = {k: v for k, v in os.environ.items() if k not in HOOK_VARIABLES}
    environment["DVC_NO_ANALYTICS"] = "1"  # a hook must not reach out to the network
    result = subprocess.run(
        [*command, "status", "--json", dvc_yaml.name],
        cwd=dvc_yaml.parent,
        capture_output=True,
        text=True,
        check=False,
        timeout=DVC_TIMEOUT_SECONDS,
        env=environment,
    )
    output = result.stdout.strip()
    if result.returncode != 0 or not output.startswith("{"):
        said = "\n".join((result.stderr + result.stdout).strip().splitlines()[-10:])
        raise PipelineError(f"`{' '.join(command)} status` failed on {dvc_yaml}:\n{said}")
    status = json.loads(output)
    return {str(name): items for name, items in status.items() if isinstance(items, list)}


def _short(value: Any, limit: int = 60) -> str:
    text = "(absent)" if value is MISSING else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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


def _current_param(path: Path, key: str) -> Any:
    try:
        return lookup(load_params_file(path) or {}, key)
    except KeyError:
        return MISSING
    except (PipelineError, YamlFileError, OSError) as error:
        raise PipelineError(f"cannot read params file {path}: {error}") from error


def param_reasons(
    file_name: str, changes: dict[str, str], locked: dict[str, Any] | None, root: Path
) -> list[str]:
    """DVC's verdict on a stage's params, with the values behind each change."""
    recorded = ((locked or {}).get("params") or {}).get(file_name) or {}
    reasons = []
    for key, state in changes.items():
        if state == "new":
            reasons.append(f"param {key} is newly tracked")
        elif state == "deleted":
            reasons.append(f"param {key} was removed from {file_name}")
        else:
            before = recorded.get(key, MISSING)
            after = _current_param(root / file_name, key)
            named = [
                f"param {name} changed ({_short(old)} in dvc.lock, {_short(new)} in {file_name})"
                for name, old, new in value_changes(key, before, after)
            ]
            reasons += named or [f"param {key} changed in {file_name}"]
    return reasons


def stage_reasons(
    items: list[Any], locked: dict[str, Any] | None, root: Path
) -> tuple[list[str], list[str]]:
    """One stage's reasons to rerun from DVC's status entries, and notes on what was skipped."""
    if locked is None:
        return ["not in dvc.lock: it has never run (or was renamed)"], []
    reasons: list[str] = []
    notes: list[str] = []
    locked_deps = set(_paths(locked.get("deps")))
    for item in items:
        if item == "changed command":
            reasons.append(f"cmd changed (dvc.lock has {_short(locked.get('cmd'))})")
        elif isinstance(item, str):
            reasons.append(item)  # e.g. "always changed"
        elif isinstance(item, dict):
            for kind, changes in item.items():
                role = "dep" if kind == "changed deps" else "out"
                for path, state in (changes or {}).items():
                    if isinstance(state, dict):
                        reasons += param_reasons(path, state, locked, root)
                    elif state == "not in cache":
                        continue  # on disk as dvc.lock records it; only the cache lacks it
                    elif state == "deleted":
                        notes.append(f"{role} {path} is not on disk (not pulled?)")
                    elif role == "dep" and normalize_path(path) not in locked_deps:
                        reasons.append(f"dep {path}: new, not in dvc.lock")
                    elif role == "dep":
                        reasons.append(f"dep {path}: {describe(state)}")
                    else:
                        reasons.append(f"out {path}: {describe(state)} since dvc repro wrote it")
    return reasons, notes


def describe(state: str) -> str:
    return {"modified": "content changed", "new": "new, not in dvc.lock"}.get(state, state)


def _overlaps(dep: str, out: str) -> bool:
    """True when a dependency path is an output, lies inside one, or contains one."""
    return dep == out or dep.startswith(out + "/") or out.startswith(dep + "/")


def _paths(entries: Any) -> list[str]:
    return [
        normalize_path(entry["path"])
        for entry in entries or []
        if isinstance(entry, dict) and "path" in entry
    ]


def propagate_downstream(
    names: Sequence[str], lock: dict[str, dict[str, Any]], verdicts: dict[str, StageVerdict]
) -> None:
    """Mark stages that consume the outputs of a stale stage as stale too (`dvc repro`
    reruns them; `dvc status` only lists a stage once its own inputs differ)."""
    changed = True
    while changed:
        changed = False
        for name in names:
            if verdicts[name].reasons or name not in lock:
                continue
            for upstream in names:
                if upstream == name or not verdicts[upstream].reasons or upstream not in lock:
                    continue
                shared = [
                    out
                    for out in _paths(lock[upstream].get("outs"))
                    for dep in _paths(lock[name].get("deps"))
                    if _overlaps(dep, out)
                ]
                if shared:
                    verdicts[name].reasons.append(
                        f"upstream stage {upstream} is stale (this stage uses its out {shared[0]})"
                    )
                    changed = True
                    break


def check_pipeline(
    dvc_yaml: Path, command: Sequence[str] | None = None
) -> tuple[list[StageVerdict], list[str]]:
    """Stale stages of one dvc.yaml (in file order), and notes about what was skipped."""
    root = dvc_yaml.parent
    document = load_strict(dvc_yaml) or {}
    stages = document.get("stages") if isinstance(document, dict) else None
    if not isinstance(stages, dict):
        raise PipelineError(f"{dvc_yaml}: expected a mapping with a `stages` mapping")
    names = [str(name) for name in stages]
    lock = load_lock(root / "dvc.lock")
    status = dvc_status(command or dvc_command(root), dvc_yaml)
    verdicts = {name: StageVerdict(name) for name in names}
    notes = []
    for name, items in status.items():
        if name in verdicts:
            reasons, skipped = stage_reasons(items, lock.get(name), root)
            verdicts[name].reasons = reasons
            notes += [f"stage {name}: {note}" for note in skipped]
    propagate_downstream(names, lock, verdicts)
    return [verdict for verdict in verdicts.values() if verdict.reasons], notes


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
        except DvcUnavailable as error:
            print(error)
            return 1
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
