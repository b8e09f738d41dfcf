"""The project's one entry point for checks: CI runs these same sessions.

Run `uv run nox` for the default checks, or `uv run nox -s NAME` for one session.
Every tool comes from the locked environment (uv.lock), so local runs, git hooks and CI agree.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "none"  # sessions run in the project's own uv environment
nox.options.sessions = ["lint", "typecheck", "tests", "docs"]


def uv_run(session: nox.Session, *args: str) -> None:
    """Run a command inside the locked environment."""
    session.run("uv", "run", "--frozen", *args, external=True)


@nox.session
def setup(session: nox.Session) -> None:
    """Prepare a fresh clone: install the environment, the git hooks, and the data."""
    session.run("uv", "sync", external=True)
    uv_run(session, "pre-commit", "install")
    # Fetch what the remote has, then run whatever is still missing or stale.
    uv_run(session, "dvc", "pull", "--allow-missing")
    uv_run(session, "dvc", "repro")


@nox.session
def lint(session: nox.Session) -> None:
    """Lint and format-check the code; check the package's layer contract."""
    uv_run(session, "ruff", "check", ".")
    uv_run(session, "ruff", "format", "--check", ".")
    uv_run(session, "lint-imports")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check the package and its tests with mypy --strict."""
    uv_run(session, "mypy")


@nox.session
def tests(session: nox.Session) -> None:
    """Run the tests with coverage (the gate is in .coveragerc)."""
    uv_run(session, "pytest", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation; warnings are errors."""
    uv_run(session, "mkdocs", "build", "--strict")


@nox.session
def pipeline(session: nox.Session) -> None:
    """Reproduce the DVC pipeline and show its metrics."""
    uv_run(session, "dvc", "repro", *session.posargs)
    uv_run(session, "dvc", "metrics", "show")
