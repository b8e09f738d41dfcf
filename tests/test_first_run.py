"""The copy task never loses the rendered project: without uv, or when a step fails."""

from __future__ import annotations

import os
from pathlib import Path

from support import copier_cli, git


def copy_with_tasks(kit: Path, destination: Path, path: str) -> str:
    """`copier copy --trust` in a subprocess with the given PATH; its output."""
    result = copier_cli(kit, destination, "--quiet", env={**os.environ, "PATH": path})
    assert result.returncode == 0, result.stderr
    return result.stdout


def _path_with(tmp_path: Path, uv_script: str | None) -> str:
    """This PATH without any uv; with a fake uv running uv_script, if one is given."""
    kept = [d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / "uv").exists()]
    if uv_script is not None:
        bin_dir = tmp_path / "fake-bin"
        bin_dir.mkdir()
        uv = bin_dir / "uv"
        uv.write_text(f"#!/bin/sh\n{uv_script}\n", encoding="utf-8")
        uv.chmod(0o755)
        kept.insert(0, str(bin_dir))
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
