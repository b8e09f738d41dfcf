"""How the generated pipeline scales: prepare and featurize on N synthetic penguin rows.

Generates a project from this checkout, writes N penguin-like rows (with missing values)
as its raw data, then runs the project's own `prepare` and `featurize` stages and, in the
same run on the same file, a naive eager-pandas version of the same steps
(naive_pandas.py). Prints wall time and peak memory (RSS) of each, and their ratios.

    uv run python benchmarks/pipeline_scale.py --rows 5000000
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from copier import Settings, run_copy
from copier_mlops.first_run import FOREIGN_ENVIRONMENT

KIT = Path(__file__).resolve().parents[1]
PACKAGE = "my_ml_project"
SPECIES_MEANS = {  # bill length, bill depth, flipper length, body mass
    "Adelie": (38.8, 18.3, 190.0, 3700.0),
    "Chinstrap": (48.8, 18.4, 196.0, 3733.0),
    "Gentoo": (47.5, 15.0, 217.0, 5076.0),
}
CHUNK_ROWS = 500_000


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated project")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="pipeline-scale-"))
    project = workdir / "my-ml-project"
    print(f"Generating a project in {project}", flush=True)
    run_copy(
        str(KIT),
        project,
        vcs_ref="HEAD",
        defaults=True,
        unsafe=True,
        skip_tasks=True,
        quiet=True,
        settings=Settings(),
    )
    # The project's own .venv, not the one nox or an activated venv points uv at.
    env = {key: value for key, value in os.environ.items() if key not in FOREIGN_ENVIRONMENT}
    subprocess.run(["uv", "sync", "--quiet"], cwd=project, check=True, env=env)
    # The baseline's libraries, in the same environment, so both run the same interpreter.
    subprocess.run(
        ["uv", "pip", "install", "--quiet", "pandas", "pyarrow"], cwd=project, check=True, env=env
    )
    print(f"Writing {args.rows:,} synthetic rows", flush=True)
    started = time.perf_counter()
    synthesize(project / "data/raw/penguins.csv", args.rows)
    size = (project / "data/raw/penguins.csv").stat().st_size / 2**20
    print(f"  {size:.0f} MiB in {time.perf_counter() - started:.1f}s", flush=True)
    shutil.copy(Path(__file__).with_name("naive_pandas.py"), project / "naive_pandas.py")

    python = str(project / ".venv/bin/python")  # not `uv run`: measure the stage, not uv
    results = {}
    for step in ("prepare", "featurize"):
        print(f"Running {step}: kit stage, then naive pandas", flush=True)
        results[step] = (
            measure(project, python, f"{PACKAGE}.pipeline.{step}"),
            measure(project, python, "naive_pandas.py", step),
        )

    print(f"\n{args.rows:,} rows, {size:.0f} MiB of CSV; ratio = naive / kit (>1: kit better)")
    header = ("step", "kit s", "naive s", "ratio", "kit MiB", "naive MiB", "ratio")
    print("{:<10} {:>8} {:>8} {:>6} {:>8} {:>10} {:>6}".format(*header))
    for step, ((kit_s, kit_mb), (naive_s, naive_mb)) in results.items():
        print(
            f"{step:<10} {kit_s:>8.1f} {naive_s:>8.1f} {naive_s / kit_s:>6.2f} "
            f"{kit_mb:>8.0f} {naive_mb:>10.0f} {naive_mb / kit_mb:>6.2f}"
        )
    if args.keep:
        print(f"\nProject kept in {project}")
    else:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    sys.exit(main())
