"""The copy task with the real tools: a failure shows the tool's own error; recopy is safe.

Slow: installs the generated project's environment, or recopies the session's generated
project.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import choice_values, copier_cli, git, python_bin_dir, questions, render, run

pytestmark = pytest.mark.slow


def assert_set_up_and_committed(project: Path) -> None:
    """The state a copy's setup ends in: the copy and the pipeline's results committed."""
    assert git(project, "status", "--porcelain") == ""
    subjects = git(project, "log", "--format=%s").splitlines()
    assert subjects[0] == "Run the pipeline once (dvc repro)"
    assert subjects[1].startswith("Start My ML Project from copier-mlops ")
    assert "dvc.lock" in git(project, "ls-files").splitlines()


def test_setup_finishes_a_copy_whose_dvc_step_failed(kit: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    # params.yaml is the team's (`_skip_if_exists`): copier keeps this broken one, and DVC,
    # which reads it with dvc.yaml, fails on it when setup tracks the sample data.
    (project / "params.yaml").write_text("data: [unclosed\n", encoding="utf-8")
    result = copier_cli(kit, project, "--quiet")
    assert result.returncode == 0, result.stderr
    printed = result.stdout
    assert "setup stopped: `uv run --frozen nox --session setup` exited 1" in printed
    assert "ERROR: unable to read: 'params.yaml', YAML file structure is corrupted" in printed
    assert printed.rstrip().endswith(
        "Your files are all in place. Fix the cause, then cd into the project and run "
        "`uv run nox -s setup`."
    )
    assert (project / "dvc.yaml").is_file()
    assert git(project, "rev-list", "--all") == ""  # stopped before the first commit

    shutil.copy(render(kit, tmp_path / "fresh") / "params.yaml", project / "params.yaml")
    resumed = run(project, "uv", "run", "nox", "-s", "setup")
    assert "nox > Session setup was successful" in resumed.stderr
    assert_set_up_and_committed(project)


def test_a_missing_python_is_named_before_anything_runs(kit: Path, tmp_path: Path) -> None:
    version = choice_values(questions()["python_version"])[-1]
    # Neither on PATH nor among uv's own Pythons, and uv may not download one.
    path = os.pathsep.join(
        folder
        for folder in os.environ["PATH"].split(os.pathsep)
        if not (Path(folder) / f"python{version}").exists()
    )
    assert shutil.which("git", path=path), f"git must stay on PATH without python{version}"
    without = {
        **os.environ,
        "PATH": path,
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_PYTHON_INSTALL_DIR": str(tmp_path / "no-pythons"),
    }
    project = tmp_path / "project"
    copied = copier_cli(kit, project, f"--data=python_version={version}", "--quiet", env=without)

    assert copied.returncode == 0, copied.stderr
    assert (
        f"setup stopped: Python {version} (the project's python_version, in .python-version) "
        "is not installed"
    ) in copied.stdout
    assert f"`uv python install {version}`" in copied.stdout
    assert (project / ".python-version").read_text(encoding="utf-8") == f"{version}\n"
    assert not (project / ".git").exists()  # nothing else ran
    assert not (project / ".venv").exists()

    provided = {**without, "PATH": f"{python_bin_dir(version)}{os.pathsep}{path}"}
    resumed = subprocess.run(
        ["uv", "run", "nox", "-s", "setup"],
        cwd=project,
        env=provided,
        capture_output=True,
        text=True,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr[-4000:]
    assert_set_up_and_committed(project)
    python = run(project, "uv", "run", "python", "-c", "import sys; print(sys.version)")
    assert python.stdout.startswith(f"{version}.")


def test_recopy_keeps_the_teams_history_and_work(generated_project: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    git(tmp_path, "clone", "--quiet", str(generated_project), str(project))
    params = project / "params.yaml"
    params.write_text(params.read_text("utf-8") + "# the team's note\n", encoding="utf-8")
    (project / "NOTES.md").write_text("# Team notes\n", encoding="utf-8")
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", "the team's work")
    team_commit = git(project, "rev-parse", "HEAD").strip()
    (project / "scratch.txt").write_text("not committed yet\n", encoding="utf-8")

    recopy = subprocess.run(
        [sys.executable, "-m", "copier", "recopy", "--trust", "--defaults", "--overwrite"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )

    assert recopy.returncode == 0, recopy.stderr
    assert "setup skipped" in recopy.stdout, recopy.stdout
    assert git(project, "rev-parse", "HEAD").strip() == team_commit  # no commit by the task
    git(project, "merge-base", "--is-ancestor", team_commit, "HEAD")
    # The same kit version and answers render the committed files again: only the
    # team's uncommitted file shows, and the task installed nothing.
    assert git(project, "status", "--porcelain", "--untracked-files=all") == "?? scratch.txt\n"
    assert params.read_text("utf-8").endswith("# the team's note\n")
    assert not (project / ".venv").exists()
