"""Answers meet the real tools: the refused names are those the project installs, and
escaped answers pass `mkdocs build --strict` and DVC (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reserved_names import OUTPUT, editable_package, installed_modules, jinja_file, site_packages
from support import git, render, run

pytestmark = pytest.mark.slow

NAME = 'Penguins [x](missing.md) <img src="missing.png"> & `code` #1 ${HOME}'
DESCRIPTION = "Uses ${HOME} and \\${x}: [docs](missing.md), <b>bold</b>, *em* # not a comment"


def test_refused_package_names_are_what_the_project_installs(generated_project: Path) -> None:
    packages = site_packages(generated_project)
    derived = jinja_file(installed_modules(packages, editable_package(packages)))
    assert OUTPUT.read_text(encoding="utf-8") == derived, (
        f"{OUTPUT.name} is stale: run `uvx nox -s reserved-names`"
    )


def test_markup_and_interpolation_in_answers_pass_mkdocs_and_dvc(
    kit: Path, generated_project: Path, tmp_path: Path
) -> None:
    project = render(
        kit,
        tmp_path / "project",
        {"project_name": NAME, "project_slug": "penguins", "description": DESCRIPTION},
    )
    tools = generated_project / ".venv" / "bin"  # same locked dependencies, already installed
    # mkdocstrings reads src/ statically (`paths: [src]`): no install needed.
    run(project, str(tools / "mkdocs"), "build", "--strict", "--site-dir", str(tmp_path / "site"))
    git(project, "init", "--quiet")
    run(project, str(tools / "dvc"), "add", "data/raw/penguins.csv")  # what the copy task runs
    artifacts = run(
        project,
        str(tools / "python"),
        "-c",
        "import json; from dvc.repo import Repo;"
        "print(json.dumps({n: a.desc for n, a in Repo('.').artifacts.read()['dvc.yaml'].items()}))",
    )
    assert json.loads(artifacts.stdout) == {"penguins": DESCRIPTION}
