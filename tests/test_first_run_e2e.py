"""The copy task with the real tools: a failure shows the tool's own error; recopy is safe.

Slow: installs the generated project's environment, or recopies the session's generated
project.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from support import copier_cli, git

pytestmark = pytest.mark.slow


def test_a_failing_dvc_step_shows_dvcs_own_error(kit: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    # params.yaml is the team's (`_skip_if_exists`): copier keeps this broken one, and DVC,
    # which reads it with dvc.yaml, fails on it when the task tracks the sample data.
    (project / "params.yaml").write_text("data: [unclosed\n", encoding="utf-8")
    result = copier_cli(kit, project, "--quiet")
    assert result.returncode == 0, result.stderr
    printed = result.stdout
    assert "setup stopped: `uv run --frozen dvc add data/raw/penguins.csv` exited 1" in printed
    assert "ERROR: unable to read: 'params.yaml', YAML file structure is corrupted" in printed
    assert printed.rstrip().endswith(
        "Your files are all in place. Fix the cause, then cd into the project and run "
        "`uv run nox -s setup`."
    )
    assert (project / "dvc.yaml").is_file()
    assert git(project, "rev-list", "--all") == ""  # stopped before the first commit


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
