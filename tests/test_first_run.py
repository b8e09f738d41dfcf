"""The copy task never loses the rendered project: without uv, or when a step fails.

It acts on a fresh copy only, and a project names the kit it came from so that
pre-commit and copier can reach it from anywhere.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from jinja2 import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment

from copier_mlops.tasks.first_run import bytecode_setting

from support import KIT_ROOT, commit_all, copier_cli, fake_uv, git, render


def copy_with_tasks(kit: Path, destination: Path, path: str) -> str:
    """`copier copy --trust` in a subprocess with the given PATH; its output."""
    result = copier_cli(kit, destination, "--quiet", env={**os.environ, "PATH": path})
    assert result.returncode == 0, result.stderr
    return result.stdout


def _path_with(tmp_path: Path, uv_script: str | None) -> str:
    """This PATH without any uv; with a fake uv running uv_script, if one is given."""
    kept = [d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / "uv").exists()]
    if uv_script is not None:
        kept.insert(0, str(fake_uv(tmp_path / "fake-bin", uv_script).parent))
    return os.pathsep.join(kept)


def test_without_uv_the_task_says_how_to_get_it_and_keeps_the_files(
    kit: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    printed = copy_with_tasks(kit, project, _path_with(tmp_path, uv_script=None))
    assert "uv is not installed" in printed
    assert "uv run nox -s setup" in printed
    assert (project / "dvc.yaml").is_file()
    assert (project / "data/raw/penguins.csv").is_file()


def test_a_failing_step_is_reported_and_the_files_stay(kit: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    printed = copy_with_tasks(
        kit, project, _path_with(tmp_path, uv_script="echo 'no network' >&2; exit 3")
    )
    assert "setup stopped: `uv sync --quiet` exited 3" in printed
    assert "no network" in printed
    assert (project / "params.yaml").is_file()
    assert git(project, "rev-parse", "--show-toplevel").strip() == str(project)


def test_a_project_inside_another_repository_gets_its_own(kit: Path, tmp_path: Path) -> None:
    outer = tmp_path / "monorepo"
    outer.mkdir()
    git(outer, "init", "--quiet")
    project = outer / "project"
    copy_with_tasks(kit, project, _path_with(tmp_path, uv_script="exit 3"))
    assert Path(git(project, "rev-parse", "--show-toplevel").strip()) == project
    assert git(outer, "log", "--all", "--oneline") == ""


def test_a_failing_step_shows_the_last_lines_the_tool_wrote(kit: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    lines = "for i in $(seq 10 40); do echo out-$i; done; echo 'uv: the real cause' >&2; exit 2"
    printed = copy_with_tasks(kit, project, _path_with(tmp_path, uv_script=lines))
    assert "`uv sync --quiet` exited 2, the last lines it wrote:" in printed
    assert "    out-40\n    uv: the real cause\n" in printed
    assert "out-22" in printed
    assert "out-21" not in printed  # 20 lines: the tool's error, not its whole log
    assert "Fix the cause, then cd into the project and run `uv run nox -s setup`" in printed


def test_a_copy_into_a_folder_git_already_tracks_changes_no_history(
    kit: Path, tmp_path: Path
) -> None:
    project = render(kit, tmp_path / "project")
    commit_all(project, "the team's work")
    head = git(project, "rev-parse", "HEAD")
    (project / "notes.txt").write_text("the team's work in progress\n", encoding="utf-8")
    # The fake uv fails loudly if the task gets as far as calling it.
    path = _path_with(tmp_path, uv_script="echo 'uv was called' >&2; exit 3")
    result = copier_cli(kit, project, "--overwrite", env={**os.environ, "PATH": path})
    assert result.returncode == 0, result.stderr
    assert "already tracked by git" in result.stdout
    assert "setup skipped" in result.stdout
    assert "uv was called" not in result.stdout
    assert git(project, "rev-parse", "HEAD") == head
    assert git(project, "status", "--porcelain") == "?? notes.txt\n"


def test_a_relative_kit_path_is_recorded_as_its_absolute_path(
    kit: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(kit.parent)  # `copier copy copier-mlops dst`, as a user types it
    project = tmp_path / "project"
    result = copier_cli(Path(kit.name), project, "--quiet", "--skip-tasks")
    assert result.returncode == 0, result.stderr
    hooks_repo = yaml.safe_load((project / ".pre-commit-config.yaml").read_text("utf-8"))
    repo = hooks_repo["repos"][0]["repo"]
    assert Path(repo).is_absolute()
    assert Path(repo).samefile(kit)
    # pre-commit fetches it with git, from the project.
    assert "refs/tags/999.0.0" in git(project, "ls-remote", "--tags", repo)
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text("utf-8"))
    assert answers["_src_path"] == repo
    # copier finds the kit again from the project folder (it resolves a relative path there).
    monkeypatch.chdir(project)
    commit_all(project)
    recopy = subprocess.run(
        [
            *(sys.executable, "-m", "copier", "recopy"),
            *("--trust", "--defaults", "--overwrite", "--skip-tasks", "--quiet"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert recopy.returncode == 0, recopy.stderr
    assert git(project, "status", "--porcelain") == ""


def _kit_repository(src_path: str) -> tuple[str, str]:
    """The hooks' repo in .pre-commit-config.yaml and `_src_path` in the answers file."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(KIT_ROOT),  # as copier's: templates import includes/
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
        keep_trailing_newline=True,
    )
    context = {
        "_copier_answers": {"_src_path": src_path, "_commit": "v1.0.0"},
        "package_name": "pkg",
    }
    template = KIT_ROOT / "template"
    config = (template / ".pre-commit-config.yaml.jinja").read_text("utf-8")
    answers = (template / "{{ _copier_conf.answers_file }}.jinja").read_text("utf-8")
    repo = yaml.safe_load(env.from_string(config).render(context))["repos"][0]["repo"]
    recorded = yaml.safe_load(env.from_string(answers).render(context))["_src_path"]
    return repo, recorded


@pytest.mark.parametrize(
    ("src_path", "repo"),
    [
        ("gh:org/kit", "https://github.com/org/kit"),
        ("gl:group/kit", "https://gitlab.com/group/kit"),
        ("https://git.example.com/org/kit.git", "https://git.example.com/org/kit.git"),
        ("git+https://git.example.com/org/kit", "https://git.example.com/org/kit"),
        ("git@git.example.com:org/kit.git", "git@git.example.com:org/kit.git"),
        ("ssh://git@git.example.com/org/kit.git", "ssh://git@git.example.com/org/kit.git"),
        ("/srv/kits/copier-mlops", "/srv/kits/copier-mlops"),
    ],
)
def test_a_kit_url_or_absolute_path_stays_as_given(src_path: str, repo: str) -> None:
    rendered, recorded = _kit_repository(src_path)
    assert rendered == repo
    assert recorded == src_path


@pytest.mark.parametrize("src_path", ["kit", "./kit", "../there/kit", "kit.git"])
def test_a_relative_kit_path_becomes_absolute(
    src_path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    expected = str((tmp_path / "here" / src_path).resolve())
    assert _kit_repository(src_path) == (expected, expected)
    # Rendering again from the recorded answers (copier update) gives the same.
    monkeypatch.chdir(tmp_path)
    assert _kit_repository(expected) == (expected, expected)


def test_a_kit_in_the_home_folder_is_expanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    expected = str(tmp_path / "kits" / "copier-mlops")
    assert _kit_repository("~/kits/copier-mlops") == (expected, expected)


def test_uv_compiles_bytecode_only_where_python_would_not_cache_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    assert bytecode_setting() == {"UV_COMPILE_BYTECODE": "1"}
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE")
    assert bytecode_setting() == {}
