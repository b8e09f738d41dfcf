"""Answers meet the real tools: the refused names are those the project installs (issue 11).

Escaped answers meet mkdocs, DVC, git and the package build in test_answer_matrix.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from reserved_names import OUTPUT, editable_package, installed_modules, site_packages

pytestmark = pytest.mark.slow


def test_refused_package_names_cover_what_the_project_installs(generated_project: Path) -> None:
    # Equality is checked on the project with every option (tests/test_tracking.py).
    packages = site_packages(generated_project)
    installed = installed_modules(packages, editable_package(packages))
    refused = OUTPUT.read_text(encoding="utf-8")
    missing = [name for name in installed if f'"{name}",' not in refused]
    assert not missing, f"{OUTPUT.name} is stale: run `uvx nox -s reserved-names` ({missing})"
