"""Fixtures: a hermetic environment, a tagged git copy of the kit, and a default render;
and which tests share an xdist worker (`nox -s e2e` runs one worker per core)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from copier_mlops.tasks.first_run import FOREIGN_ENVIRONMENT

from support import render, snapshot_kit

# Where xdist's workers write which tests share a fixture, for the controller's scheduler.
GROUPS_FOLDER = "COPIER_MLOPS_TEST_GROUPS"


def shared_fixture_group(item: pytest.Item) -> str | None:
    """The group of a test that uses a fixture its own module makes once (module or session
    scope), or None. A group runs in one xdist worker, so that fixture is made once; a
    parametrized one (an answer-matrix row) gives each of its values a group of its own.
    The conftest's session fixtures are made once per worker; other tests spread one by one.
    """
    info, module = getattr(item, "_fixtureinfo", None), getattr(item, "module", None)
    if info is None or module is None:
        return None
    shared = sorted(
        name
        for name, definitions in info.name2fixturedefs.items()
        if definitions[-1].scope in ("module", "session")
        and definitions[-1].func.__module__ == module.__name__
    )
    if not shared:
        return None
    indices = getattr(getattr(item, "callspec", None), "indices", {})
    return "::".join([module.__name__, *(f"{n}={indices[n]}" for n in shared if n in indices)])


def pytest_configure(config: pytest.Config) -> None:
    """The controller of an xdist run makes the folder its workers write their groups to."""
    if config.getoption("numprocesses", None) and not hasattr(config, "workerinput"):
        os.environ[GROUPS_FOLDER] = tempfile.mkdtemp(prefix="copier-mlops-test-groups-")


def pytest_unconfigure(config: pytest.Config) -> None:
    """The controller removes the groups' folder."""
    if os.environ.get(GROUPS_FOLDER) and not hasattr(config, "workerinput"):
        shutil.rmtree(os.environ.pop(GROUPS_FOLDER), ignore_errors=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """An xdist worker writes each grouped test's group (see shared_fixture_group)."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput and os.environ.get(GROUPS_FOLDER):
        groups = {item.nodeid: shared_fixture_group(item) for item in items}
        found = {nodeid: group for nodeid, group in groups.items() if group}
        path = Path(os.environ[GROUPS_FOLDER], f"{workerinput['workerid']}.json")
        path.write_text(json.dumps(found), encoding="utf-8")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist's load scheduling, a group at a time: each group's tests go to one worker.

    (xdist's own `--dist loadgroup` reads a node id suffix that pytest 9 no longer keeps.)
    """
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):
        groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.groups is None:  # the workers wrote them while collecting
                folder = Path(os.environ[GROUPS_FOLDER])
                self.groups = {}
                for written in sorted(folder.glob("*.json")):
                    self.groups.update(json.loads(written.read_text(encoding="utf-8")))
            return self.groups.get(nodeid, nodeid)

    return SharedFixtureScheduling(config, log)


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
        # As on most users' machines, Python caches bytecode: with the variable set (as on
        # some CI runners) every process in every generated project recompiles its imports.
        # The copy task's answer to it is tested in test_first_run.py.
        patch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
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
