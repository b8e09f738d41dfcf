"""Fixtures: a hermetic environment, a tagged git copy of the kit, and a default render."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from copier_mlops.first_run import FOREIGN_ENVIRONMENT

from support import render, snapshot_kit


@pytest.fixture(scope="session", autouse=True)
def hermetic_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the user's git config and copier settings out of every test."""
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / "gitconfig"
    gitconfig.write_text(
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n"
        "[tag]\n\tgpgsign = false\n[user]\n\tname = Kit Tests\n\temail = kit@example.com\n",
        encoding="utf-8",
    )
    settings = home / "copier-settings.yml"
    settings.write_text("{}\n", encoding="utf-8")  # no defaults, no trusted templates
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        patch.setenv("COPIER_SETTINGS_PATH", str(settings))
        patch.setenv("DVC_NO_ANALYTICS", "1")
        # The generated project's `uv run` must use its own environment, not the suite's:
        # nox points uv at the session's venv, and uv would install there.
        for variable in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", *FOREIGN_ENVIRONMENT):
            patch.delenv(variable, raising=False)
        yield


@pytest.fixture(scope="session")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git copy of the kit's work tree, tagged as the version under test."""
    return snapshot_kit(tmp_path_factory.mktemp("kit") / "copier-mlops")


@pytest.fixture(scope="session")
def default_project(kit: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project rendered with every default answer; shared, so tests must only read it."""
    return render(kit, tmp_path_factory.mktemp("default") / "my-ml-project")


@pytest.fixture(scope="session")
def generated_project(kit: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default project with its copy tasks run (uv sync, dvc repro, two commits).

    Slow to make, so made once: tests read it, or work on git clones of it.
    """
    return render(kit, tmp_path_factory.mktemp("generated") / "my-ml-project", tasks=True)
