"""Fast feedback: time to first green, the tests session, and a no-op `dvc repro`.

Each run generates the default project from this checkout as a user does (`copier copy
--trust --defaults`, copy task included: the Python check, git init, uv sync, then `nox
-s setup` with its dvc add, commits and `dvc repro`), then runs `uv run nox` (lint,
typecheck, the fast tests, docs) in it, then `uv run nox -s all-tests` (every test, as CI
runs them), then a no-op `uv run dvc repro` three times. It prints the median of the
runs for each step next to its target, and the machine's load average. Assumes a warm uv
cache (run once to warm it); the environment is this shell's, minus the variables that
would point uv at another environment.

    uv run python benchmarks/first_green.py --runs 3
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from medians import print_medians

from copier_mlops.tasks.first_run import FOREIGN_ENVIRONMENT

KIT = Path(__file__).resolve().parents[1]
COPY_STEP = "[copier-mlops] "  # how the copy task's progress lines start
NOX_SESSION = "nox > Running session "
NOOP_REPEATS = 3


def timed_lines(
    command: list[str], cwd: Path, env: dict[str, str], starts: Callable[[str], str | None]
) -> tuple[float, dict[str, float]]:
    """Run command; its wall time, and how long each step lasted (from its output lines).

    starts(line) names the step a line starts, or None; a step lasts until the next one.
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    marks: list[tuple[str, float]] = []
    output = []
    for line in process.stdout or ():
        output.append(line)
        if (step := starts(line)) is not None:
            marks.append((step, time.perf_counter()))
    ended = time.perf_counter()
    if process.wait() != 0:
        sys.exit(f"`{' '.join(command)}` exited {process.returncode}:\n{''.join(output)}")
    steps = {
        name: (marks[i + 1][1] if i + 1 < len(marks) else ended) - at
        for i, (name, at) in enumerate(marks)
    }
    return ended - started, steps


def copy_step(line: str) -> str | None:
    """The copy task's step a progress line starts (`[copier-mlops] 3/4 creating the
    environment with uv (...)` names `3/4 creating the environment with uv`), or None."""
    step = re.match(r"(\d+/\d+ [^(:]+)", line.removeprefix(COPY_STEP))
    return step.group(1).strip() if line.startswith(COPY_STEP) and step else None


def nox_session(line: str) -> str | None:
    """The session a `nox > Running session NAME` line starts."""
    return line.removeprefix(NOX_SESSION).strip() if line.startswith(NOX_SESSION) else None


def one_run(workdir: Path, env: dict[str, str]) -> dict[str, float]:
    """Copy, then `uv run nox`, then no-op repros: seconds per measured step."""
    project = workdir / "my-ml-project"
    copier = [sys.executable, "-m", "copier", "copy", "--trust", "--defaults"]
    copy_s, copy_steps = timed_lines(
        [*copier, "--vcs-ref=HEAD", str(KIT), str(project)], workdir, env, copy_step
    )
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True, check=True
    )
    last = list(copy_steps)[-1] if copy_steps else ""
    if re.match(r"(\d+)/\1 ", last) is None or status.stdout.strip():
        sys.exit(f"the copy task did not finish with a clean tree:\n{status.stdout}")
    nox_s, sessions = timed_lines(["uv", "run", "nox"], project, env, nox_session)
    all_tests_s, _ = timed_lines(["uv", "run", "nox", "-s", "all-tests"], project, env, nox_session)
    noop = []
    for _ in range(NOOP_REPEATS):
        started = time.perf_counter()
        repro = subprocess.run(
            ["uv", "run", "dvc", "repro"], cwd=project, env=env, capture_output=True, text=True
        )
        noop.append(time.perf_counter() - started)
        if repro.returncode != 0 or "up to date" not in repro.stdout:
            sys.exit(f"the no-op repro did something:\n{repro.stdout}{repro.stderr}")
    return {
        "time to first green": copy_s + nox_s,
        "copier copy (tasks included)": copy_s,
        **{f"  {step}": seconds for step, seconds in copy_steps.items()},
        "uv run nox": nox_s,
        **{f"  nox -s {session}": seconds for session, seconds in sessions.items()},
        "nox -s tests": sessions["tests"],
        "nox -s all-tests": all_tests_s,
        "no-op dvc repro": statistics.median(noop),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs to take the median of")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in FOREIGN_ENVIRONMENT}
    runs = []
    for number in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="first-green-") as workdir:
            print(f"run {number}/{args.runs} in {workdir}", flush=True)
            runs.append(one_run(Path(workdir), env))
    print_medians(runs)


if __name__ == "__main__":
    main()
