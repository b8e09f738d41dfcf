"""How the generated pipeline scales: prepare and featurize on N synthetic penguin rows.

Generates two projects from this checkout for each task (the `ml_task` answer:
classification predicts species, regression body_mass_g): one with the default
`compute=polars`, one with `compute=dask`. Writes N penguin-like rows (with missing
values) as their raw data, then runs the project's own `prepare` and `featurize` stages:
Polars streaming in the first, Dask on a local cluster of 2 workers in the second; and,
on the same file, a naive eager-pandas version of the same steps for the same task
(naive_pandas.py) and a bare Polars sink. Checks that all wrote the same rows and
columns, then prints wall time and peak memory (RSS) of each.

Each engine runs in the project made for it, as a team would run it: the baselines need
pandas, and pandera imports pandas whenever it is installed (a Dask project has it), which
adds about 75 MiB to every stage's memory. The baselines run in the Dask project.

Each measurement is one process: the Dask engine's local cluster (scheduler and 2
workers, one thread each) runs inside the stage's process, so its peak RSS covers the
scheduler and both workers.

    uv run python benchmarks/pipeline_scale.py --rows 1000000 5000000 --task both
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from generated_project import project_environment, render_and_sync

NAIVE = Path(__file__).with_name("naive_pandas.py")
BARE = Path(__file__).with_name("bare_sink.py")  # prepare's floor: read and write, no more
PACKAGE = "my_ml_project"
TASKS = ("classification", "regression")
SPECIES_MEANS = {  # bill length, bill depth, flipper length, body mass
    "Adelie": (38.8, 18.3, 190.0, 3700.0),
    "Chinstrap": (48.8, 18.4, 196.0, 3733.0),
    "Gentoo": (47.5, 15.0, 217.0, 5076.0),
}
CHUNK_ROWS = 500_000
# The paths the project's dvc.yaml hands its stages, and the baseline's.
RAW = "data/raw/penguins.csv"
PREPARED, FEATURES = "data/prepared", "data/features"
NAIVE_PREPARED, NAIVE_FEATURES = "naive/prepared.parquet", "naive/features.parquet"


def synthesize(path: Path, rows: int, seed: int = 0) -> None:
    """Write rows penguin-like CSV rows in chunks (bounded memory), ~2% missing values."""
    rng = np.random.default_rng(seed)
    names, means = list(SPECIES_MEANS), np.array(list(SPECIES_MEANS.values()))
    with path.open("w", encoding="utf-8") as out:
        out.write(
            "species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year\n"
        )
        for start in range(0, rows, CHUNK_ROWS):
            size = min(CHUNK_ROWS, rows - start)
            kind = rng.integers(0, 3, size)
            spread = means[kind] * 0.04
            # Clipped at 4 standard deviations: every value stays within the schema's ranges.
            noise = np.clip(rng.normal(0, 1, spread.shape), -4, 4)
            values = (means[kind] + noise * spread).round(1).astype(str)
            values[rng.random(values.shape) < 0.02] = "NA"
            islands = rng.choice(["Biscoe", "Dream", "Torgersen"], size)
            sexes = rng.choice(["female", "male", "NA"], size, p=[0.49, 0.49, 0.02])
            years = rng.choice(["2007", "2008", "2009"], size)
            species = np.array(names)[kind]
            lines = [
                ",".join((s, i, *v, x, y))
                for s, i, v, x, y in zip(species, islands, values, sexes, years, strict=True)
            ]
            out.write("\n".join(lines) + "\n")


# Runs a module or script, then prints its own peak RSS. VmHWM belongs to the process's
# memory map, which exec starts afresh; ru_maxrss from wait4 would not do: Linux carries
# it over from the forking parent, here a Python holding the synthesized data.
PEAK_REPORTER = """
import runpy, sys
target, sys.argv = sys.argv[1], sys.argv[1:]
try:
    if target.endswith(".py"):
        runpy.run_path(target, run_name="__main__")
    else:
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    code = 0
except SystemExit as stop:
    code = stop.code or 0
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print("peak-kib", peak.split()[1], file=sys.stderr)
sys.exit(code)
"""

# Compares the stage's output (hive-partitioned by split) with the baseline's (one file
# with a split column): the same columns (in the same order, for features), and per split
# the same row count, missing values and column sums. Exits 1, saying what differs.
SAME_OUTPUT = """
import math, sys
import polars as pl
kit, naive = pl.scan_parquet(sys.argv[1]), pl.scan_parquet(sys.argv[2])
ordered = sys.argv[3] == "ordered"
def columns(frame):
    names = [name for name in frame.collect_schema().names() if name != "split"]
    return names if ordered else sorted(names)
def summary(frame):
    numeric = [name for name, kind in frame.collect_schema().items() if kind.is_numeric()]
    stats = frame.group_by("split").agg(
        pl.len().alias("rows"),
        *(pl.col(name).null_count().alias(f"missing {name}") for name in columns(frame)),
        *(pl.col(name).sum().alias(f"sum {name}") for name in numeric),
    )
    return {row.pop("split"): row for row in stats.collect().iter_rows(named=True)}
problems = []
if columns(kit) != columns(naive):
    problems.append(f"columns: {columns(kit)} (stage) != {columns(naive)} (naive)")
else:
    ours, theirs = summary(kit), summary(naive)
    for split in sorted(set(ours) | set(theirs)):
        a, b = ours.get(split, {}), theirs.get(split, {})
        problems += [
            f"{split} {key}: {a.get(key)} (stage) != {b.get(key)} (naive)"
            for key in sorted(set(a) | set(b))
            if not (a.get(key) == b.get(key) or (
                isinstance(a.get(key), float) and isinstance(b.get(key), float)
                and math.isclose(a[key], b[key], rel_tol=1e-9)))
        ]
sys.exit("\\n".join(problems) or None)
"""


def measure(project: Path, python: str, *target: str) -> tuple[float, float]:
    """Run a module or script with the project's python; (wall seconds, peak RSS in MiB)."""
    started = time.perf_counter()
    result = subprocess.run(
        [python, "-c", PEAK_REPORTER, *target],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    lines = result.stderr.splitlines()
    sys.stderr.write("".join(f"  {line}\n" for line in lines if not line.startswith("peak-kib")))
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(target)} failed in {project}")
    peak_kib = next(int(line.split()[1]) for line in lines if line.startswith("peak-kib"))
    return elapsed, peak_kib / 1024


def check_same_output(python: str, stage: Path, naive: Path, ordered: bool) -> None:
    """Fail unless the stage and the baseline wrote the same table (see SAME_OUTPUT)."""
    result = subprocess.run(
        [python, "-c", SAME_OUTPUT, stage, naive, "ordered" if ordered else "any order"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(
            f"{stage} and {naive} differ; the baseline no longer does what the stage does:\n"
            f"{result.stderr}"
        )


def generate(workdir: Path, task: str, engine: str, env: dict[str, str]) -> Path:
    """A project with the default answers but ml_task=task and compute=engine, synced.

    The Dask project also gets the baselines' libraries, so they run the same interpreter.
    """
    project = workdir / task / engine / "my-ml-project"
    print(f"Generating a {task} project with compute={engine} in {project}", flush=True)
    render_and_sync(project, {"ml_task": task, "compute": engine}, env)
    python = str(project / ".venv/bin/python")
    if engine == BASELINES_ENGINE:
        subprocess.run(
            ["uv", "pip", "install", "--quiet", "--compile-bytecode", "pandas", "pyarrow"],
            cwd=project,
            check=True,
            env=env,
        )
        shutil.copy(NAIVE, project / NAIVE.name)
        shutil.copy(BARE, project / BARE.name)
    subprocess.run([python, "-m", "compileall", "-q", "src"], cwd=project, check=True, env=env)
    return project


def place(source: Path, destination: Path) -> None:
    """Put the raw file at destination: a hard link, so N rows take the disk once."""
    destination.unlink(missing_ok=True)
    try:
        destination.hardlink_to(source)
    except OSError:
        shutil.copy(source, destination)


ENGINES = ("polars", "dask")  # the `compute` answers: one project each
BASELINES_ENGINE = "dask"  # the project that has pandas: the baselines run in it
VARIANTS = (*ENGINES, "naive")  # the stage on each engine, then the baseline
Result = tuple[int, str, str, dict[str, tuple[float, float]]]  # rows, task, step, figures


def run_steps(projects: dict[str, Path], task: str, rows: int) -> list[Result]:
    """Prepare then featurize: the baselines, then the stage on each engine, checked."""
    steps = {
        "prepare": ((RAW, PREPARED), (RAW, NAIVE_PREPARED)),
        "featurize": ((PREPARED, FEATURES), (NAIVE_PREPARED, NAIVE_FEATURES)),
    }
    figures: dict[str, dict[str, tuple[float, float]]] = {step: {} for step in steps}
    baselines = projects[BASELINES_ENGINE]
    python = str(baselines / ".venv/bin/python")  # not `uv run`: measure the step, not uv
    for step, (_, (naive_source, naive_output)) in steps.items():
        print(f"{rows:,} rows, {task}, {step}: naive pandas", flush=True)
        naive = (NAIVE.name, step, task, naive_source, naive_output)
        figures[step]["naive"] = measure(baselines, python, *naive)
        if step == "prepare":
            print(f"{rows:,} rows, {task}, prepare: a bare Polars sink", flush=True)
            bare = (BARE.name, naive_source, "bare/raw.parquet")
            figures[step]["bare sink"] = measure(baselines, python, *bare)
    for engine, project in projects.items():
        python = str(project / ".venv/bin/python")
        for step, ((source, output), (_, naive_output)) in steps.items():
            print(f"{rows:,} rows, {task}, {step}: the stage on {engine}", flush=True)
            module = f"{PACKAGE}.pipeline.{step}"
            figures[step][engine] = measure(project, python, module, source, output)
            # The model's inputs come in a fixed order; prepared rows need only the columns.
            ordered = step == "featurize"
            check_same_output(python, project / output, baselines / naive_output, ordered)
    return [(rows, task, step, figures[step]) for step in steps]


def print_table(results: list[Result]) -> None:
    """One line per (rows, task, step): wall seconds and peak MiB of each variant."""
    print("\nwall time in seconds, peak RSS in MiB (one process each; Dask's local cluster")
    print("of 2 workers runs inside the stage's process); ratio = naive / Polars")
    header = ["rows", "task", "step"]
    for variant in VARIANTS:
        header += [f"{variant} s", f"{variant} MiB"]
    header += ["ratio s", "ratio MiB"]
    line = "{:>10} {:<15} {:<10}" + " {:>11}" * (len(header) - 3)
    print(line.format(*header))
    for rows, task, step, figures in results:
        cells = []
        for variant in VARIANTS:
            seconds, mib = figures[variant]
            cells += [f"{seconds:.1f}", f"{mib:.0f}"]
        (polars_s, polars_mib), (naive_s, naive_mib) = figures["polars"], figures["naive"]
        cells += [f"{naive_s / polars_s:.2f}", f"{naive_mib / polars_mib:.2f}"]
        print(line.format(f"{rows:,}", task, step, *cells))


def print_floor(results: list[Result]) -> None:
    """Prepare on Polars against a bare Polars CSV-to-parquet sink of the same file."""
    print("\nprepare (Polars) against a bare Polars sink of the same CSV (target: <= 1.5x)")
    line = "{:>10} {:<15} {:>10} {:>10} {:>8} {:>12} {:>10}"
    print(line.format("rows", "task", "prepare s", "bare s", "ratio", "prepare MiB", "bare MiB"))
    for rows, task, step, figures in results:
        if step == "prepare" and "bare sink" in figures:
            (stage_s, stage_mib), (bare_s, bare_mib) = figures["polars"], figures["bare sink"]
            cells = (f"{stage_s:.1f}", f"{bare_s:.1f}", f"{stage_s / bare_s:.2f}")
            print(line.format(f"{rows:,}", task, *cells, f"{stage_mib:.0f}", f"{bare_mib:.0f}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, nargs="+", default=[5_000_000], help="row counts, each run in turn"
    )
    parser.add_argument(
        "--task",
        choices=[*TASKS, "both"],
        default="both",
        help="the ml_task the project is generated with (default: both, one after the other)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated projects")
    args = parser.parse_args()
    tasks = TASKS if args.task == "both" else (args.task,)

    workdir = Path(tempfile.mkdtemp(prefix="pipeline-scale-"))
    # The project's own .venv, not the one nox or an activated venv points uv at.
    env = project_environment()
    projects = {
        task: {engine: generate(workdir, task, engine, env) for engine in ENGINES} for task in tasks
    }
    results: list[Result] = []
    for rows in args.rows:
        raw = workdir / f"penguins-{rows}.csv"
        print(f"Writing {rows:,} synthetic rows", flush=True)
        started = time.perf_counter()
        synthesize(raw, rows)
        size = raw.stat().st_size / 2**20
        print(f"  {size:.0f} MiB of CSV in {time.perf_counter() - started:.1f}s", flush=True)
        for task, by_engine in projects.items():
            for project in by_engine.values():
                place(raw, project / RAW)
            results += run_steps(by_engine, task, rows)
        raw.unlink()
    print_table(results)
    print_floor(results)
    if args.keep:
        print(f"\nProjects kept in {workdir}")
    else:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    sys.exit(main())
