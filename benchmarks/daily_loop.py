"""The daily loop on a generated project: a commit's hooks, `uv run nox`, a no-op repro.

Each run times a no-op `uv run dvc repro`, then makes a one-module change (a new function
at the end of the package's features/transforms.py, another in each run), commits it
with every git hook (`git commit`), and runs `uv run nox` (the default sessions) and its
`nox -s tests` alone; the commit is undone after the run. Prints the median of the
runs next to each target (issue 28's, for an idle 2-core machine) and the machine's load
average; asserts nothing. The project must be set up (`nox -s setup`, as the copy task
does) with a clean work tree; it is left at the commit it was at.

    uvx nox -s benchmark-daily-loop -- --project .demo/my-ml-project
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path

from medians import print_medians


def git(project: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def timed(project: Path, *command: str) -> float:
    """Seconds `command` took in the project; exits with its output if it failed."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=project, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"`{' '.join(command)}` exited {done.returncode}:\n{done.stdout}{done.stderr}"
        )
    return seconds


def one_run(project: Path, module: Path, number: int) -> dict[str, float]:
    """A no-op repro, then change the module, commit it, run the checks; seconds of each."""
    times = {"no-op dvc repro": timed(project, "uv", "run", "dvc", "repro")}
    with module.open("a", encoding="utf-8") as source:
        source.write(f"\n\ndef _daily_loop_{number}() -> int:\n    return {number}\n")
    git(project, "add", str(module.relative_to(project)))
    commit = ("git", "commit", "-qm", f"daily loop {number}")
    times["git commit, all hooks"] = timed(project, *commit)
    times["uv run nox"] = timed(project, "uv", "run", "nox")
    times["nox -s tests"] = timed(project, "uv", "run", "nox", "-s", "tests")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, required=True, help="a generated project, set up")
    parser.add_argument("--runs", type=int, default=3, help="runs to take the median of")
    args = parser.parse_args()
    project = args.project.resolve()
    if git(project, "status", "--porcelain"):
        raise SystemExit(f"{project} has uncommitted changes: commit or stash them first")
    modules = sorted(project.glob("src/*/features/transforms.py"))
    if len(modules) != 1:
        raise SystemExit(f"{project}: no src/<package>/features/transforms.py")
    start = git(project, "rev-parse", "HEAD")
    runs = []
    try:
        for number in range(1, args.runs + 1):
            print(f"run {number}/{args.runs}", flush=True)
            runs.append(one_run(project, modules[0], number))
            git(project, "reset", "--quiet", "--hard", start)
    finally:
        git(project, "reset", "--quiet", "--hard", start)
    print_medians(runs, f" in {project}")


if __name__ == "__main__":
    main()
