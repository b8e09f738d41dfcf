"""Copier task, run once after `copier copy`: make the new project green.

Steps: the project's Python (.python-version) is there, git init, the environment (uv),
then the project's own `nox -s setup`: git hooks, sample data into DVC, the first commit,
the pipeline, and a commit of its results. Meanwhile mypy fills its cache, so the first
`uv run nox` is quick too. The task checks what only it can check; the rest is setup's,
so that `uv run nox -s setup` finishes a copy wherever the task stopped.

It acts on a fresh copy only. copier also runs copy tasks on `copier recopy`, and a
copy can land in a folder that a repository already tracks: there the history is the
team's, so the task makes no commit, changes no file, and says so.

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

RESUME = "cd into the project and run `uv run nox -s setup`"
# How much of a failing tool's output to show: its error is at the end.
TAIL_LINES = 20


class StepFailed(Exception):
    """A setup step failed; the message says which and why."""


def say(message: str) -> None:
    """Progress output, visibly the kit's and not copier's."""
    print(f"[copier-mlops] {message}", flush=True)


# Variables that point uv at another environment (an activated venv, a nox session's):
# the new project must get its own `.venv`.
FOREIGN_ENVIRONMENT = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "UV_PYTHON")


def project_env() -> dict[str, str]:
    """This environment without the variables that would point uv elsewhere."""
    return {k: v for k, v in os.environ.items() if k not in FOREIGN_ENVIRONMENT}


def run(
    *command: str, check: bool = True, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command in the project; raise StepFailed with its output when it fails."""
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        errors="replace",
        check=False,
        env={**project_env(), **(extra_env or {})},
    )
    if check and result.returncode != 0:
        # Tools write their error last, usually on stderr: it ends what is shown.
        output = tail(f"{result.stdout.rstrip()}\n{result.stderr}")
        said = f", the last lines it wrote:\n{output}" if output else " without a message"
        raise StepFailed(f"`{' '.join(command)}` exited {result.returncode}{said}")
    return result


def tail(output: str, lines: int = TAIL_LINES) -> str:
    """The last lines of a tool's output, indented, where its error usually is."""
    kept = output.strip().splitlines()[-lines:]
    return "\n".join(f"    {line}".rstrip() for line in kept)


def tracked_here() -> bool:
    """Whether a git repository already tracks files in this folder (not a fresh copy).

    True after `copier recopy` of a committed project, and for a copy into a folder that
    a repository (the project's own or an enclosing one) already tracks.
    """
    result = run("git", "ls-files", "--cached", "--", ".", check=False)
    return result.returncode == 0 and bool(result.stdout.strip())


def bytecode_setting() -> dict[str, str]:
    """uv's setting to compile the environment's bytecode, where Python would not cache it.

    Python caches what it compiles on first import, unless PYTHONDONTWRITEBYTECODE is set:
    then every process (each DVC stage, each check) compiles every library it imports
    again, seconds each time. There, compiling once at install time pays for itself
    within the first pipeline run; elsewhere the first imports leave the cache behind.
    """
    return {"UV_COMPILE_BYTECODE": "1"} if os.environ.get("PYTHONDONTWRITEBYTECODE") else {}


def python_version() -> str:
    """The Python the project runs on: its .python-version, from the python_version answer."""
    return Path(".python-version").read_text(encoding="utf-8").strip()


def check_python(version: str) -> None:
    """Stop, before anything else runs, when uv finds no Python `version` and cannot get it.

    uv downloads a missing Python where it may (a laptop online); where it may not, or
    cannot reach the download, its own error is long and names no way out.
    """
    if run("uv", "python", "find", version, check=False).returncode == 0:
        return
    installed = run("uv", "python", "install", version, check=False)
    if installed.returncode == 0:
        return
    raise StepFailed(
        f"Python {version} (the project's python_version, in .python-version) is not "
        f"installed, and uv could not download it:\n{tail(installed.stderr, lines=3)}\n"
        f"Install it: `uv python install {version}` where uv can download, "
        f"`pyenv install {version}`, or your system's python{version} package"
    )


def first_run() -> None:
    """Every step from a freshly rendered folder to a committed, green project."""
    version = python_version()
    say(f"1/4 looking for Python {version}")
    check_python(version)
    toplevel = run("git", "rev-parse", "--show-toplevel", check=False).stdout.strip()
    # A project inside another repository (a monorepo, a scratch folder) gets its own:
    # DVC and the git hooks work on the project's repository, not the enclosing one.
    if not toplevel or Path(toplevel).resolve() != Path.cwd().resolve():
        say("2/4 git init")
        run("git", "init", "--quiet", "--initial-branch=main")  # the branch CI files name
    say("3/4 creating the environment with uv (first run downloads packages)")
    run("uv", "sync", "--quiet", extra_env=bytecode_setting())
    # mypy's cache, built on another core while DVC works, so that the first `uv run nox`
    # type-checks only what changed since. Its findings are the typecheck session's to show.
    typecheck = subprocess.Popen(
        ["uv", "run", "--frozen", "mypy"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=project_env(),
    )
    try:
        say("4/4 uv run nox -s setup: git hooks, data, first commit, pipeline (dvc repro)")
        run("uv", "run", "--frozen", "nox", "--session", "setup")
    finally:
        typecheck.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for copier's task; always exits 0 so copier keeps the files."""
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    if tracked_here():
        say(
            "this folder is already tracked by git (a `copier recopy`, or a copy into an "
            "existing repository), so setup skipped: no commit made, no file changed. "
            "Review what copier rendered with `git status` and `git diff`; to set up the "
            f"environment and pipeline, {RESUME}."
        )
        return 0
    if shutil.which("uv") is None:
        say(
            "uv is not installed, so the environment, data and pipeline were not set up. "
            "Install uv (`pipx install uv` or `pip install uv`), then "
            f"{RESUME}. Your files are all in place."
        )
        return 0
    try:
        first_run()
    except StepFailed as failure:
        say(f"setup stopped: {failure}\nYour files are all in place. Fix the cause, then {RESUME}.")
        return 0
    say("done: the pipeline has run and everything is committed. Next: `uv run nox`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
