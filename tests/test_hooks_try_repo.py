"""Each kit hook as users run it: installed by pre-commit from a git copy of the kit.

`pre-commit try-repo` runs a hook with the defaults of .pre-commit-hooks.yaml; the last
test uses a .pre-commit-config.yaml with `args`, as the README shows. pre-commit builds
the hooks package from PyPI's hatchling, so these tests are slow.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import TEST_VERSION, commit_all, git

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pre-commit's cache, shared by this module so the hook env is built once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def pre_commit(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"},
        timeout=600,
    )


def try_repo(kit: Path, repo: Path, home: Path, hook: str, *args: str):
    """Run one kit hook on repo; returns (passed, output)."""
    result = pre_commit(repo, home, "try-repo", str(kit), hook, "--ref", TEST_VERSION, *args)
    return result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def generated(default_project: Path, tmp_path: Path) -> Path:
    """A committed git repo of the default render, as a team starts with."""
    project = shutil.copytree(default_project, tmp_path / "generated")
    commit_all(project)
    return project


def test_data_not_in_git_passes_a_generated_project_and_refuses_forced_data(
    kit: Path, generated: Path, pre_commit_home: Path
) -> None:
    passed, output = try_repo(kit, generated, pre_commit_home, "data-not-in-git", "--all-files")
    assert passed, output

    git(generated, "add", "--force", "data/raw/penguins.csv")
    passed, output = try_repo(kit, generated, pre_commit_home, "data-not-in-git")
    assert not passed
    assert "data/raw/penguins.csv" in output
    assert "git rm --cached data/raw/penguins.csv && dvc add data/raw/penguins.csv" in output


def test_copier_answers_intact_passes_untouched_answers_and_refuses_hand_edits(
    kit: Path, generated: Path, pre_commit_home: Path
) -> None:
    hook = "copier-answers-intact"
    passed, output = try_repo(kit, generated, pre_commit_home, hook, "--all-files")
    assert passed, output

    answers = generated / ".copier-answers.yml"
    answers.write_text(
        answers.read_text(encoding="utf-8").replace("license: MIT", "license: GPL"),
        encoding="utf-8",
    )
    git(generated, "add", ".copier-answers.yml")
    passed, output = try_repo(kit, generated, pre_commit_home, hook)
    assert not passed
    assert "license: 'GPL' is not one of the template's choices" in output
    assert "copier update --trust -d key=value" in output


def test_copier_answers_intact_checks_a_kit_at_a_url_with_its_shipped_questions(
    kit: Path, generated: Path, pre_commit_home: Path
) -> None:
    """A team's kit lives at a URL: the hook compares against the copier.yml it ships."""
    answers = generated / ".copier-answers.yml"
    text = answers.read_text(encoding="utf-8")
    source = next(line for line in text.splitlines() if line.startswith("_src_path:"))
    text = text.replace(source, "_src_path: https://example.com/org/copier-mlops.git")
    answers.write_text(text.replace("license: MIT", "license: GPL"), encoding="utf-8")
    git(generated, "add", ".copier-answers.yml")
    passed, output = try_repo(kit, generated, pre_commit_home, "copier-answers-intact")
    assert not passed
    assert "license: 'GPL' is not one of the template's choices" in output


def test_params_valid_passes_generated_params_and_refuses_a_duplicate_key(
    kit: Path, generated: Path, pre_commit_home: Path
) -> None:
    passed, output = try_repo(kit, generated, pre_commit_home, "params-valid", "--all-files")
    assert passed, output

    with (generated / "params.yaml").open("a", encoding="utf-8") as params:
        params.write("\ntrain:\n  n_estimators: 10\n")
    git(generated, "add", "params.yaml")
    passed, output = try_repo(kit, generated, pre_commit_home, "params-valid")
    assert not passed
    assert "params.yaml: duplicate key 'train' on lines" in output


def test_dvc_pipeline_fresh_runs_at_pre_push_and_names_stale_stages(
    kit: Path, generated: Path, tmp_path: Path, pre_commit_home: Path
) -> None:
    hook, at_push = "dvc-pipeline-fresh", ("--hook-stage", "pre-push", "--all-files")
    recorded = shutil.copytree(FIXTURES / "dvc_project", tmp_path / "recorded")
    commit_all(recorded)
    passed, output = try_repo(kit, recorded, pre_commit_home, hook, *at_push)
    assert passed, output

    params = recorded / "params.yaml"
    params.write_text(
        params.read_text(encoding="utf-8").replace("seed: 42", "seed: 7"), encoding="utf-8"
    )
    passed, output = try_repo(kit, recorded, pre_commit_home, hook, *at_push)
    assert not passed
    assert "param prepare.seed changed (42 in dvc.lock, 7 in params.yaml)" in output
    assert "dvc repro prepare train evaluate" in output

    # A fresh render has not run its pipeline yet: every stage is waiting for `dvc repro`.
    passed, output = try_repo(kit, generated, pre_commit_home, hook, *at_push)
    assert not passed
    assert "dvc repro prepare featurize train evaluate" in output


def test_hooks_take_their_args_from_a_config_like_the_readme_shows(
    kit: Path, tmp_path: Path, pre_commit_home: Path
) -> None:
    repo = tmp_path / "any-ml-repo"
    repo.mkdir()
    (repo / ".pre-commit-config.yaml").write_text(
        f"""repos:
  - repo: {kit}
    rev: {TEST_VERSION}
    hooks:
      - id: data-not-in-git
        args: [--data-dir, data, --data-dir, models, --max-kb, "100"]
      - id: params-valid
        args: ["--schema-command=python check_params.py {{params_file}}"]
""",
        encoding="utf-8",
    )
    (repo / "check_params.py").write_text(
        "import sys\nimport yaml\n\n"
        "lr = yaml.safe_load(open(sys.argv[1]))['train']['lr']\n"
        "sys.exit(0 if lr > 0 else f'params.yaml: train.lr must be > 0 (got {lr})')\n",
        encoding="utf-8",
    )
    (repo / "params.yaml").write_text("train:\n  lr: 0.1\n", encoding="utf-8")
    git(repo, "init", "--quiet")
    git(repo, "add", "-A")
    result = pre_commit(repo, pre_commit_home, "run")
    assert result.returncode == 0, result.stdout + result.stderr

    (repo / "models").mkdir()
    (repo / "models" / "model.skops").write_bytes(b"\x00" * 10)
    (repo / "params.yaml").write_text("train:\n  lr: -1\n", encoding="utf-8")
    git(repo, "add", "-A")
    result = pre_commit(repo, pre_commit_home, "run")
    assert result.returncode == 1
    assert "models/model.skops (10 B) is under the data folder models/" in result.stdout
    assert "train.lr must be > 0 (got -1)" in result.stdout
