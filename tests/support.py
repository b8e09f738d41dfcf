"""Helpers the kit's tests share: the kit's questions, git, and rendering through copier."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Literal

import yaml
from copier import Settings, VcsRef, run_copy, run_update

KIT_ROOT = Path(__file__).resolve().parents[1]
COPIER_YML = KIT_ROOT / "copier.yml"
# Greater than any real release, so copier's "latest tag" resolution picks the work tree.
TEST_VERSION = "999.0.0"


def kit_config() -> dict[str, Any]:
    """copier.yml as a mapping: settings start with an underscore, questions don't."""
    return yaml.safe_load(COPIER_YML.read_text(encoding="utf-8"))


def questions() -> dict[str, dict[str, Any]]:
    """The questions of copier.yml, in the order copier asks them."""
    return {name: spec for name, spec in kit_config().items() if not name.startswith("_")}


# `_exclude` entries of copier.yml that apply on update only: the seed-once paths.
SEED_ONCE_ENTRY = re.compile(r"^\{% if _copier_operation == 'update' %\}(.+)\{% endif %\}$")
ANSWERS_FILE = ".copier-answers.yml"


def seed_once_paths() -> list[str]:
    """Paths rendered on copy only (copier.yml `_exclude` on update)."""
    entries = [SEED_ONCE_ENTRY.match(entry) for entry in kit_config().get("_exclude", [])]
    return [entry.group(1) for entry in entries if entry]


def user_owned_paths() -> list[str]:
    """Paths the team owns but the project needs (copier.yml `_skip_if_exists`)."""
    return list(kit_config().get("_skip_if_exists", []))


def managed_files(project: Path) -> list[str]:
    """The rendered files `copier update` merges: all but seed-once, user-owned, answers."""
    others = {*seed_once_paths(), *user_owned_paths(), ANSWERS_FILE}
    return [name for name in tree_bytes(project) if name not in others]


def choice_values(spec: dict[str, Any]) -> list[Any]:
    """The values (not the labels) a choice question accepts; copier stores values."""
    choices = spec.get("choices") or []
    return list(choices.values()) if isinstance(choices, dict) else list(choices)


def git(cwd: Path, *args: str) -> str:
    """Run git in cwd and return its stdout; fail loudly with stderr on error."""
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed in {cwd}:\n{result.stderr}")
    return result.stdout


def snapshot_kit(destination: Path, tag: str = TEST_VERSION) -> Path:
    """Make a git repo at destination holding the kit's work tree, committed and tagged.

    The kit's history (and so its real release tags) is kept when the kit is a git
    checkout, so update tests can start from a real previous release.
    """
    if (KIT_ROOT / ".git").exists():
        git(KIT_ROOT.parent, "clone", "--quiet", "--no-local", str(KIT_ROOT), str(destination))
        git(destination, "rm", "-rq", "--ignore-unmatch", ".")
        listed = git(KIT_ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        files = [name for name in listed.split("\0") if name]
    else:
        destination.mkdir(parents=True)
        git(destination, "init", "--quiet")
        files = [str(p.relative_to(KIT_ROOT)) for p in KIT_ROOT.rglob("*") if p.is_file()]
    for name in files:
        source = KIT_ROOT / name
        if source.is_file():  # deleted but still indexed files are left out
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(destination, "add", "-A")
    git(destination, "commit", "--quiet", "--allow-empty", "-m", f"kit work tree as {tag}")
    git(destination, "tag", tag)
    return destination


def render(
    kit: Path,
    destination: Path,
    answers: dict[str, Any] | None = None,
    *,
    tasks: bool = False,
    version: str = TEST_VERSION,
) -> Path:
    """Render the kit at version (default TEST_VERSION) into destination, via copier's API.

    With tasks=True the copy-time tasks run too (git init, uv sync, dvc, nox -s setup).
    """
    run_copy(
        str(kit),
        destination,
        data=answers or {},
        vcs_ref=version,
        defaults=True,
        unsafe=True,
        skip_tasks=not tasks,
        quiet=True,
        settings=Settings(),
    )
    return destination


def copier_cli(
    kit: Path, destination: Path, *options: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`copier copy --trust --defaults` of the kit at TEST_VERSION, as a user runs it."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "copier",
            "copy",
            "--trust",
            "--defaults",
            f"--vcs-ref={TEST_VERSION}",
            *options,
            str(kit),
            str(destination),
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def update_project(
    project: Path,
    answers: dict[str, Any] | None = None,
    *,
    version: str | VcsRef = VcsRef.CURRENT,
    conflict: Literal["inline", "rej"] = "inline",
) -> None:
    """Run copier update on project, by default at the version it already records."""
    run_update(
        project,
        data=answers or {},
        vcs_ref=version,
        conflict=conflict,
        defaults=True,
        overwrite=True,
        unsafe=True,
        skip_tasks=True,
        quiet=True,
        settings=Settings(),
    )


def run(cwd: Path, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command in cwd, capturing output; on failure show it in the assertion."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {result.returncode} in {cwd}:\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result


def commit_all(project: Path, message: str = "generated") -> None:
    """Make project a git repo (if needed) and commit everything in it."""
    if not (project / ".git").exists():
        git(project, "init", "--quiet")
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", message)


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under root (outside .git) by relative path, with its content."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def copy_project(source: Path, destination: Path) -> Path:
    """A copy of a set-up generated project (git, DVC cache, data, outputs) at destination.

    Faster than setting up another clone. Everything is copied as it is except `.venv`,
    whose scripts name their own location; `uv sync --frozen` rebuilds it from uv's cache.
    """
    shutil.copytree(source, destination, symlinks=True, ignore=shutil.ignore_patterns(".venv"))
    run(destination, "uv", "sync", "--frozen", "--quiet")
    return destination
