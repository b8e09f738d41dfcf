"""How long `dvc-pipeline-fresh` takes, against the bare `dvc status` it asks.

The hook runs on `git push`, so it must stay close to DVC's own time. Measured on a
pipeline whose stage depends on a folder of many files (`--files`, default 200), and on a
generated project when one is given (`--project PATH`, where DVC runs from its uv.lock).
Prints the median of `--repeat` runs of each and their ratio; asserts nothing.

    uvx nox -s benchmark-hooks -- --project .demo/my-ml-project
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOOK = [sys.executable, "-m", "copier_mlops.precommit.dvc_pipeline_fresh"]
QUIET = {**os.environ, "DVC_NO_ANALYTICS": "1"}


def run(folder: Path, *command: str) -> None:
    subprocess.run(command, cwd=folder, env=QUIET, check=True, capture_output=True)


def many_file_pipeline(folder: Path, files: int) -> Path:
    """A one-stage DVC pipeline over a folder of `files` small files, reproduced once."""
    source = folder / "src" / "pkg"
    source.mkdir(parents=True)
    for index in range(files):
        (source / f"module_{index:04d}.py").write_text(f"VALUE = {index}\n", encoding="utf-8")
    (folder / "params.yaml").write_text("train:\n  seed: 42\n", encoding="utf-8")
    (folder / "dvc.yaml").write_text(
        "stages:\n  count:\n    cmd: ls src/pkg | wc -l > count.txt\n"
        "    deps: [src/pkg]\n    params: [train.seed]\n    outs: [count.txt]\n",
        encoding="utf-8",
    )
    run(folder, "git", "init", "--quiet")
    run(folder, "dvc", "init", "--quiet")
    run(folder, "dvc", "repro", "--quiet")
    return folder


def median_seconds(folder: Path, command: list[str], repeat: int) -> float:
    """Median wall time; a stale pipeline (the hook's exit 1) is timed like a fresh one."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        finished = subprocess.run(command, cwd=folder, env=QUIET, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if finished.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(command)} failed in {folder}:\n{finished.stdout}")
    return statistics.median(times)


def report(label: str, folder: Path, dvc: list[str], repeat: int) -> None:
    bare = median_seconds(folder, [*dvc, "status", "--json"], repeat)
    hook = median_seconds(folder, HOOK, repeat)
    print(f"| {label} | {bare:.2f} s | {hook:.2f} s | {hook / bare:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200, help="files in the dependency folder")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each, median reported")
    parser.add_argument("--project", type=Path, help="a generated project, set up")
    args = parser.parse_args()
    print("| pipeline | `dvc status` | dvc-pipeline-fresh | ratio |")
    print("| --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory(prefix="hook-speed-") as scratch:
        folder = many_file_pipeline(Path(scratch), args.files)
        report(f"one stage over {args.files} files, DVC on PATH", folder, ["dvc"], args.repeat)
    if args.project:
        uv_dvc = ["uv", "run", "--frozen", "--quiet", "dvc"]
        report(
            f"generated project {args.project.name}", args.project.resolve(), uv_dvc, args.repeat
        )


if __name__ == "__main__":
    main()
