"""The generated project, end to end (slow: installs it and runs its pipeline).

One project is generated per session with the copy tasks on, exactly as a user gets it;
tests that change files work on git clones of it, set up through its own `nox -s setup`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support import git, run

pytestmark = pytest.mark.slow

NOX_SESSIONS = ["lint", "typecheck", "tests", "docs", "pipeline"]


@pytest.fixture(scope="session")
def project(generated_project: Path) -> Path:
    """The default project, rendered with its copy tasks (they run `nox -s setup`)."""
    return generated_project


def uv_run(project: Path, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command in the project's locked environment."""
    return run(project, "uv", "run", "--frozen", *command, check=check)


def use_remote(project: Path, storage: Path) -> None:
    """Point the project's DVC remote at storage, for this clone only (.dvc/config.local)."""
    uv_run(project, "dvc", "remote", "modify", "--local", "local", "url", str(storage))


@pytest.fixture(scope="session")
def remote(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DVC remote in a temp dir holding the project's data, pushed with `dvc push`."""
    storage = tmp_path_factory.mktemp("dvc-remote")
    use_remote(project, storage)
    uv_run(project, "dvc", "push")
    return storage


def clone(project: Path, remote: Path, destination: Path) -> Path:
    """A teammate's fresh clone, set up with the project's own `nox -s setup`."""
    git(project.parent, "clone", "--quiet", str(project), str(destination))
    use_remote(destination, remote)
    run(destination, "uv", "run", "nox", "-s", "setup")
    return destination


def test_copy_tasks_commit_a_green_project(project: Path) -> None:
    assert git(project, "status", "--porcelain") == ""
    assert len(git(project, "log", "--oneline").splitlines()) == 2
    assert (project / "uv.lock").is_file()
    assert (project / "dvc.lock").is_file()
    assert (project / "models/model.skops").is_file()


def test_sample_data_is_tracked_by_dvc_not_git(project: Path) -> None:
    assert "data/raw/penguins.csv.dvc" in git(project, "ls-files")
    assert "data/raw/penguins.csv\n" not in git(project, "ls-files")
    run(project, "git", "check-ignore", "--quiet", "data/raw/penguins.csv")


@pytest.mark.parametrize("session", NOX_SESSIONS)
def test_nox_session_passes(project: Path, session: str) -> None:
    uv_run(project, "nox", "-s", session)


def test_pipeline_is_already_reproduced(project: Path) -> None:
    repro = uv_run(project, "dvc", "repro")
    assert "Data and pipelines are up to date." in repro.stdout
    assert "Running stage" not in repro.stdout


def test_pre_commit_leaves_the_tree_unchanged(project: Path) -> None:
    uv_run(project, "pre-commit", "run", "--all-files")
    assert git(project, "status", "--porcelain") == ""


def test_fresh_clone_pulls_data_and_reproduces_nothing(
    project: Path, remote: Path, tmp_path: Path
) -> None:
    teammate = clone(project, remote, tmp_path / "teammate")
    assert (teammate / "data/raw/penguins.csv").is_file()
    assert (teammate / "models/model.skops").is_file()
    repro = uv_run(teammate, "dvc", "repro")
    assert "Running stage" not in repro.stdout
    assert git(teammate, "status", "--porcelain") == ""


BAD_ROWS = {
    "missing column": (
        lambda header, row: (header.replace(",year", ""), row.rsplit(",", 1)[0]),
        ["column 'year'", "missing column"],
    ),
    "wrong type": (
        lambda header, row: (header, row.replace(",181,", ",long,")),
        ["column 'flipper_length_mm'", "not a valid Float64", "'long'"],
    ),
    "out of range": (
        lambda header, row: (header, row.replace(",3750,", ",90000,")),
        ["column 'body_mass_g'", "less_than_or_equal_to(7000)", "line 2"],
    ),
    "unknown category": (
        lambda header, row: (header, row.replace("Torgersen", "Atlantis")),
        ["column 'island'", "isin", "'Atlantis'"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_bad_raw_data_fails_repro_and_keeps_last_good_output(
    project: Path, remote: Path, tmp_path: Path, case: str
) -> None:
    teammate = clone(project, remote, tmp_path / "teammate")
    raw = teammate / "data/raw/penguins.csv"
    header, first, *rest = raw.read_text(encoding="utf-8").splitlines()
    change, expected = BAD_ROWS[case]
    new_header, new_first = change(header, first)
    if new_header != header:  # a dropped column goes from every row
        rest = [line.rsplit(",", 1)[0] for line in rest]
    raw.write_text("\n".join([new_header, new_first, *rest]) + "\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in (teammate / "data/prepared").rglob("*.parquet")}

    repro = uv_run(teammate, "dvc", "repro", check=False)

    assert repro.returncode != 0
    for words in expected:
        assert words in repro.stderr + repro.stdout, words
    assert before
    assert {p: p.read_bytes() for p in (teammate / "data/prepared").rglob("*.parquet")} == before


def test_params_typo_fails_before_any_work(project: Path, remote: Path, tmp_path: Path) -> None:
    teammate = clone(project, remote, tmp_path / "teammate")
    params = teammate / "params.yaml"
    params.write_text(
        params.read_text(encoding="utf-8").replace("test_fraction:", "test_fractoin:")
    )
    before = {p: p.read_bytes() for p in (teammate / "data/prepared").rglob("*.parquet")}

    repro = uv_run(teammate, "dvc", "repro", check=False)

    assert repro.returncode != 0
    assert "prepare.test_fractoin: unknown key" in repro.stderr + repro.stdout
    assert "prepare.test_fraction: missing" in repro.stderr + repro.stdout
    assert {p: p.read_bytes() for p in (teammate / "data/prepared").rglob("*.parquet")} == before
