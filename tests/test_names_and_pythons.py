"""Long and non-ASCII names, and the oldest Python offered, give a green project on first copy.

Rendered Python must already be clean under the project's own ruff for any valid
package_name (formatting it in a copy task would make every later update noisy), and a
`python_version: 3.10` project must run on 3.10. The fast tests lint the rendered Python with
the kit's pinned ruff and the project's ruff.toml; the slow one sets a project up on
Python 3.10 and runs its checks.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from support import copier_cli, git, render, run

# The longest package_name and project_slug the validators accept (40 and 60 characters).
LONG_PACKAGE = "penguin_classifier_for_the_northern_team"
LONG_SLUG = "ueberpruefung-der-pinguin-klassifikation-forschungsteam-nord"
LONG_NAME = "Überprüfung der Pinguin-Klassifikation für das Forschungsteam Nord"
LONG_DESCRIPTION = (
    "Klassifiziert Pinguine anhand ihrer Körpermaße, damit das Forschungsteam Nord jede "
    "Beobachtung der Saison ohne Handarbeit einer Art zuordnen kann: reproduzierbar, geprüft."
)
OLDEST_PYTHON = "3.10"


def long_answers(**answers: str) -> dict[str, Any]:
    """Answers with the longest names and a long, non-ASCII project name and description."""
    return {
        "project_name": LONG_NAME,
        "project_slug": LONG_SLUG,
        "package_name": LONG_PACKAGE,
        "description": LONG_DESCRIPTION,
        **answers,
    }


def test_the_long_names_are_the_longest_valid_ones() -> None:
    assert len(LONG_PACKAGE) == 40
    assert len(LONG_SLUG) == 60
    assert re.fullmatch(r"[a-z][a-z0-9_]*", LONG_PACKAGE)


# --- Fast: the rendered Python passes the project's own ruff, with no install ------------


# Every python_version (ruff's target-version, so its UP rules, follow it), both tasks and
# every CI provider (GitLab's renders a Python script).
@pytest.mark.parametrize(
    ("python_version", "ml_task", "ci_provider"),
    [
        ("3.10", "regression", "github"),
        ("3.11", "classification", "none"),
        ("3.12", "regression", "gitlab"),
        ("3.13", "classification", "gitlab"),
    ],
)
def test_rendered_python_is_clean_under_the_projects_ruff(
    kit: Path, tmp_path: Path, python_version: str, ml_task: str, ci_provider: str
) -> None:
    answers = long_answers(python_version=python_version, ml_task=ml_task, ci_provider=ci_provider)
    project = render(kit, tmp_path / "project", answers)
    assert (project / "src" / LONG_PACKAGE / "__init__.py").is_file()
    ruff = [sys.executable, "-m", "ruff"]
    config = f"--config={project / 'ruff.toml'}"
    run(project, *ruff, "check", config, "--no-cache", "--output-format=concise", ".")
    run(project, *ruff, "format", config, "--no-cache", "--check", "--diff", ".")


# --- Slow: a long-named project on Python 3.10, set up and checked end to end -------------


def python_bin_dir(version: str) -> Path:
    """The folder of an installed, working CPython `version`, found without downloading.

    uv finds it when it is on PATH; otherwise pyenv's versions are tried, since a pyenv shim
    for a version that is installed but not selected fails, and uv then stops looking.
    """
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    found = subprocess.run(
        ["uv", "python", "find", version], capture_output=True, text=True, check=False, env=env
    )
    candidates = [Path(found.stdout.strip())] if found.returncode == 0 else []
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = Path(run(Path.cwd(), pyenv, "root").stdout.strip())
        installed = (root / "versions").glob(f"{version}.*/bin/python{version}")
        candidates += sorted(installed, key=lambda p: [int(n) for n in p.parts[-3].split(".")])
    for candidate in candidates:
        probe = [str(candidate), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
        ran = subprocess.run(probe, capture_output=True, text=True, check=False)
        if ran.returncode == 0 and ran.stdout.strip() == version:
            return candidate.parent
    raise AssertionError(
        f"no working Python {version} found (`uv python find {version}`: "
        f"{(found.stdout + found.stderr).strip()}); install one, e.g. `uv python install {version}`"
    )


@pytest.fixture(scope="module")
def oldest_python_project(kit: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with every long answer on Python 3.10, copied by copier's CLI, tasks included.

    Python 3.10 comes first on PATH, as for a user whose python3 is 3.10; the project's
    environment is made by the copy task's own `uv sync`. (The CLI, since copier's API runs
    tasks with the environment of its import time, not of the call.)
    """
    destination = tmp_path_factory.mktemp("names-and-pythons") / "pinguin-nord"
    answers = long_answers(python_version=OLDEST_PYTHON, ml_task="regression")
    path = f"{python_bin_dir(OLDEST_PYTHON)}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, "PATH": path, "UV_PYTHON_DOWNLOADS": "never"}
    options = [f"--data={name}={value}" for name, value in answers.items()]
    copied = copier_cli(kit, destination, *options, env=env)
    assert copied.returncode == 0, f"copier copy failed:\n{copied.stdout}\n{copied.stderr}"
    return destination


@pytest.mark.slow
def test_copy_tasks_commit_a_clean_tree(oldest_python_project: Path) -> None:
    assert git(oldest_python_project, "status", "--porcelain") == ""
    assert git(oldest_python_project, "log", "--oneline").strip()
    tracked = git(oldest_python_project, "ls-files").splitlines()
    assert f"src/{LONG_PACKAGE}/__init__.py" in tracked
    assert "dvc.lock" in tracked


@pytest.mark.slow
def test_the_environment_runs_the_oldest_python(oldest_python_project: Path) -> None:
    version = "import sys; print('%d.%d' % sys.version_info[:2])"
    ran = run(oldest_python_project, "uv", "run", "--frozen", "python", "-c", version)
    assert ran.stdout.strip() == OLDEST_PYTHON


@pytest.mark.slow
def test_every_check_passes_on_the_oldest_python(oldest_python_project: Path) -> None:
    run(oldest_python_project, "uv", "run", "nox", "-s", "lint", "typecheck", "tests", "docs")
    assert git(oldest_python_project, "status", "--porcelain") == ""
