"""How drift monitoring scales: `monitor` on a batch of N rows, against reading it whole.

Generates the default project from this checkout, writes 200,000 penguin-like rows
(pipeline_scale.py's generator) as its raw data and runs the pipeline's first three
stages, so the monitor has a train split and a model. Then writes a batch of N rows from
the same generator (another seed) and runs the project's `monitor` on it. The baseline,
in the same run on the same file, is what a monitor that holds the batch in memory must
at least do: read the whole CSV into one Polars frame. Prints wall time and peak memory
(RSS) of each, and their ratios.

    uv run python benchmarks/monitor_scale.py --rows 20000000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from generated_project import project_environment, render_and_sync
from pipeline_scale import PACKAGE, RAW, measure, synthesize

REFERENCE_ROWS = 200_000
BATCH = "data/batches/batch.csv"
# The baseline: the batch read whole, as pandas or Polars' eager read_csv would hold it.
READ_WHOLE = """
import sys
import polars as pl
frame = pl.read_csv(sys.argv[1], infer_schema=False, null_values=["NA", ""])
print(frame.height, file=sys.stderr)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000, help="rows in the batch")
    parser.add_argument("--keep", action="store_true", help="keep the generated project")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="monitor-scale-"))
    project = workdir / "project"
    env = project_environment()
    print(f"Generating the default project in {project}", file=sys.stderr)
    render_and_sync(project, {}, env)
    python = str(project / ".venv/bin/python")
    synthesize(project / RAW, REFERENCE_ROWS)
    for stage, *paths in (
        ("prepare", RAW, "data/prepared"),
        ("featurize", "data/prepared", "data/features"),
        ("train", "data/features", "models/model.skops"),
    ):
        measure(project, python, f"{PACKAGE}.pipeline.{stage}", *paths)
    print(f"Writing a batch of {args.rows:,} rows to {BATCH}", file=sys.stderr)
    (project / BATCH).parent.mkdir(parents=True)
    synthesize(project / BATCH, args.rows, seed=1)
    script = workdir / "read_whole.py"
    script.write_text(READ_WHOLE, encoding="utf-8")

    whole = measure(project, python, str(script), BATCH)
    monitored = measure(
        project,
        python,
        f"{PACKAGE}.pipeline.monitor",
        BATCH,
        "--reference=data/prepared",
        "--model=models/model.skops",
        "--output=reports/monitoring",
    )
    report = json.loads((project / "reports/monitoring/batch/drift.json").read_text("utf-8"))
    if report["rows"]["batch"] != args.rows:
        raise SystemExit(f"monitor counted {report['rows']['batch']:,} rows, not {args.rows:,}")

    cores = len(os.sched_getaffinity(0))
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\n{args.rows:,} rows in the batch; {cores} cores, load average {load}\n")
    print("| run | wall s | peak MiB |")
    print("| --- | --- | --- |")
    print(f"| read the batch whole (baseline) | {whole[0]:.1f} | {whole[1]:.0f} |")
    print(f"| `monitor` | {monitored[0]:.1f} | {monitored[1]:.0f} |")
    print(
        f"\nmonitor / baseline: {monitored[0] / whole[0]:.2f}x the time, "
        f"{monitored[1] / whole[1]:.2f}x the memory; drift found: {report['drift']}"
    )
    if args.keep:
        print(f"\nKept {project}", file=sys.stderr)
    else:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
