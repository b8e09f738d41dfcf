"""The project a benchmark measures: rendered from this work tree, its environment synced."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from copier import Settings, run_copy

from copier_mlops.tasks.first_run import FOREIGN_ENVIRONMENT

KIT = Path(__file__).resolve().parents[1]


def project_environment() -> dict[str, str]:
    """This shell's environment, less what would point uv at another venv than the project's."""
    return {key: value for key, value in os.environ.items() if key not in FOREIGN_ENVIRONMENT}


def render_and_sync(project: Path, answers: dict[str, str], env: dict[str, str]) -> None:
    """The default answers but `answers`, rendered without copy tasks, then `uv sync`.

    Bytecode is compiled up front, as a first import would leave it: otherwise, where
    PYTHONDONTWRITEBYTECODE is set, every measured run spends seconds compiling imports.
    """
    run_copy(
        str(KIT),
        project,
        data=answers,
        vcs_ref="HEAD",  # the work tree, uncommitted changes included
        defaults=True,
        unsafe=True,
        skip_tasks=True,
        quiet=True,
        settings=Settings(),
    )
    subprocess.run(
        ["uv", "sync", "--quiet", "--compile-bytecode"], cwd=project, check=True, env=env
    )
