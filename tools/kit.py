"""The kit as its maintainer tools and its tests see it.

copier.yml's questions, and a committed, tagged snapshot of the kit's work tree rendered
through copier. tools/*.py import it as a sibling; the tests get it through tests/support.py
(pytest puts tools/ on sys.path: pyproject.toml, `pythonpath`).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml
from copier import Settings, run_copy

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
