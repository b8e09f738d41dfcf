"""How training scales: each model's `train` and its test metrics on N synthetic rows.

Generates a project from this checkout for the task (`ml_task`), writes N penguin-like
rows (pipeline_scale.py's generator) as its raw data, runs its `prepare` and `featurize`
once, then its `train` and `evaluate` stages once per model, each with a params.yaml of
its own. The baseline is the model every project trained before train.model existed: the
random forest (200 trees, depth 8) on one core. Prints wall time and peak memory (RSS) of
each `train`, its ratio to the baseline, and the test metrics `evaluate` wrote.

    uv run python benchmarks/train_scale.py --rows 2000000 --task classification
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import yaml
from generated_project import project_environment, render_and_sync
from pipeline_scale import PACKAGE, RAW, measure, synthesize

# (label, changes to params.yaml's train section); the first is the baseline.
RUNS = (
    ("random_forest, 1 core (before)", {"model": "random_forest", "n_jobs": 1}),
    ("random_forest, all cores", {"model": "random_forest", "n_jobs": -1}),
    ("hist_gradient_boosting (default)", {"model": "hist_gradient_boosting", "n_jobs": -1}),
    ("lightgbm", {"model": "lightgbm", "n_jobs": -1}),
)
SHOWN_METRICS = {
    "classification": ("accuracy", "balanced_accuracy", "f1_macro"),
    "regression": ("rmse", "mae", "r2"),
}


def stage(project: Path, python: str, name: str, *args: str) -> tuple[float, float]:
    """Run one of the project's stage commands; (wall seconds, peak RSS in MiB)."""
    return measure(project, python, f"{PACKAGE}.pipeline.{name}", *args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="raw rows to synthesize")
    parser.add_argument(
        "--task", choices=("classification", "regression"), default="classification"
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated project")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="train-scale-"))
    project = workdir / "project"
    env = project_environment()
    print(f"Generating a {args.task} project in {project}", file=sys.stderr)
    render_and_sync(project, {"ml_task": args.task}, env)
    python = str(project / ".venv/bin/python")
    print(f"Writing {args.rows:,} rows to {RAW}", file=sys.stderr)
    synthesize(project / RAW, args.rows)
    stage(project, python, "prepare", RAW, "data/prepared")
    stage(project, python, "featurize", "data/prepared", "data/features")

    base = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    rows = []
    for number, (label, changes) in enumerate(RUNS):
        params = {**base, "train": {**base["train"], **changes}}
        params_file = project / f"params-{number}.yaml"
        params_file.write_text(yaml.safe_dump(params), encoding="utf-8")
        model, results = f"models/{number}.skops", f"reports/{number}"
        print(f"Training {label}", file=sys.stderr)
        seconds, peak = stage(
            project, python, "train", "data/features", model, f"--params-file={params_file}"
        )
        stage(
            project,
            python,
            "evaluate",
            "data/features",
            model,
            results,
            f"reports/{number}-metadata.json",
            f"--params-file={params_file}",
        )
        found = json.loads((project / results / "metrics.json").read_text(encoding="utf-8"))
        rows.append((label, seconds, peak, found))

    cores = len(os.sched_getaffinity(0))
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\n{args.rows:,} rows, {args.task}; {cores} cores, load average {load}\n")
    names = SHOWN_METRICS[args.task]
    print(f"| model | train s | vs baseline | peak MiB | {' | '.join(names)} |")
    print(f"| --- | --- | --- | --- |{' --- |' * len(names)}")
    baseline = rows[0][1]
    for label, seconds, peak, found in rows:
        shown = " | ".join(f"{found[name]:.4f}" for name in names)
        print(
            f"| {label} | {seconds:.1f} | {baseline / seconds:.1f}x faster | {peak:.0f} | {shown} |"
        )
    if args.keep:
        print(f"\nKept {project}", file=sys.stderr)
    else:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
