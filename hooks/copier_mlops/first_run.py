"""Copier task, run once after `copier copy`: make the new project green.

Steps: git init, the environment (uv), sample data into DVC, the first commit, then the
project's own `nox -s setup` (git hooks, pipeline), and a commit of the pipeline's results.
Every step is idempotent, so running the task again finishes an interrupted setup.

It runs under copier's Python, so it uses the standard library only. A failing step
never fails copier: copier would delete the freshly rendered project. Instead the task
says what failed and how to resume, and leaves every file in place.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

SAMPLE_DATA = "data/raw/penguins.csv"
RESUME = "cd into the project and run `uv run nox -s setup`"


class StepFailed(Exception):
    """A setup step failed; the message says which and why."""


def say(message: str) -> None:
    """Progress output, visibly the kit's and not copier's."""
    print(f"[copier-mlops] {message}", flush=True)


# Variables that point uv at another environment (an activated venv, a nox session's):
# the new project must get its own `.venv`.
FOREIGN_ENVIRONMENT = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "UV_PYTHON")


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command in the project; raise StepFailed with its output when it fails."""
    env = {k: v for k, v in os.environ.items() if k not in FOREIGN_ENVIRONMENT}
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if check and result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise StepFailed(f"`{' '.join(command)}` exited {result.returncode}:\n{output}")
    return result


def git_identity(author_name: str, author_email: str) -> list[str]:
    """`-c` options naming the project's author, only where git has no identity of its own."""
    options = []
    if not run("git", "config", "user.name", check=False).stdout.strip():
        options += ["-c", f"user.name={author_name}"]
    if not run("git", "config", "user.email", check=False).stdout.strip():
        options += ["-c", f"user.email={author_email}"]
    return options


def commit(message: str, identity: Sequence[str]) -> None:
    """Commit everything, if anything changed. Hooks are skipped: the setup installs them."""
    run("git", "add", "-A")
    if run("git", "diff", "--cached", "--quiet", check=False).returncode != 0:
        run("git", *identity, "commit", "--quiet", "--no-verify", "-m", message)


def first_run(project_name: str, version: str, author_name: str, author_email: str) -> None:
    """Every step from a rendered folder to a committed, green project."""
    toplevel = run("git", "rev-parse", "--show-toplevel", check=False).stdout.strip()
    # A project inside another repository (a monorepo, a scratch folder) gets its own:
    # DVC and the git hooks work on the project's repository, not the enclosing one.
    if not toplevel or Path(toplevel).resolve() != Path.cwd().resolve():
        say("1/5 git init")
        run("git", "init", "--quiet", "--initial-branch=main")  # the branch CI files name
    identity = git_identity(author_name, author_email)
    say("2/5 creating the environment with uv (first run downloads packages)")
    run("uv", "sync", "--quiet")
    say(f"3/5 tracking {SAMPLE_DATA} with DVC")
    run("uv", "run", "--frozen", "dvc", "add", "--quiet", SAMPLE_DATA)
    commit(f"Start {project_name} from copier-mlops {version}", identity)
    say("4/5 uv run nox -s setup: git hooks, then the pipeline (dvc repro)")
    run("uv", "run", "--frozen", "nox", "--session", "setup")
    say("5/5 committing the pipeline's results")
    commit("Run the pipeline once (dvc repro)", identity)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for copier's task; always exits 0 so copier keeps the files."""
    parser = argparse.ArgumentParser(description=__doc__)
    for option in ("--project-name", "--version", "--author-name", "--author-email"):
        parser.add_argument(option, required=True)
    args = parser.parse_args(argv)
    if shutil.which("uv") is None:
        say(
            "uv is not installed, so the environment, data and pipeline were not set up. "
            "Install uv (`pipx install uv` or `pip install uv`), then "
            f"{RESUME}. Your files are all in place."
        )
        return 0
    try:
        first_run(args.project_name, args.version, args.author_name, args.author_email)
    except StepFailed as failure:
        say(f"setup stopped: {failure}\nYour files are all in place. Fix the cause, then {RESUME}.")
        return 0
    say("done: the pipeline has run and everything is committed. Next: `uv run nox`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
