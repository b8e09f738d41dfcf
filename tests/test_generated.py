"""The generated project builds and installs with uv (slow: installs packages)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow


def test_default_project_installs_and_imports(default_project: Path, tmp_path: Path) -> None:
    project = shutil.copytree(default_project, tmp_path / "project")
    package = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))[
        "package_name"
    ]
    subprocess.run(["uv", "sync", "--quiet", "--python", sys.executable], cwd=project, check=True)
    imported = subprocess.run(
        ["uv", "run", "--frozen", "python", "-c", f"import {package}; print({package}.__doc__)"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "my-ml-project" in imported.stdout
    assert (project / "uv.lock").is_file(), "uv.lock is created at setup, never templated"
