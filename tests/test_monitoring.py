"""Drift monitoring on a real project, by the commands docs/monitoring.md shows (slow).

A batch resampled from the project's own rows shows no drift; the same batch with one
number moved and one category's share changed shows drift in exactly those two, and
the command's exit status says so. The live service's prediction log is a batch too.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from support import copy_project, doc_commands, run, serving

pytestmark = pytest.mark.slow

BATCH = "data/batches/week-49.csv"
REPORT = "reports/monitoring/week-49/drift.json"
DRIFT_FOUND = 3
# Run in the project's environment: a batch of 2,000 rows drawn from the sample, moved
# (bill length +6 mm, a third of the penguins seen on Biscoe) when asked.
MAKE_BATCH = """
import sys
import polars as pl
raw = pl.read_csv("data/raw/penguins.csv", null_values="NA", infer_schema=False)
batch = raw.sample(2_000, with_replacement=True, seed=1)
if sys.argv[1] == "moved":
    batch = batch.with_columns(
        (pl.col("bill_length_mm").cast(pl.Float64) + 6).round(1).cast(pl.String),
        pl.when(pl.int_range(pl.len()) % 3 == 0)
        .then(pl.lit("Biscoe"))
        .otherwise(pl.col("island"))
        .alias("island"),
    )
batch.write_csv(sys.argv[2], null_value="NA")
"""


def make_batch(project: Path, kind: str) -> None:
    (project / BATCH).parent.mkdir(parents=True, exist_ok=True)
    run(project, "uv", "run", "--frozen", "python", "-c", MAKE_BATCH, kind, BATCH)


def monitor(project: Path, command: str) -> tuple[int, str, dict[str, object]]:
    """Run a documented command; its exit status, output and the drift.json it wrote."""
    done = subprocess.run(
        shlex.split(command), cwd=project, capture_output=True, text=True, check=False
    )
    report = json.loads((project / REPORT).read_text(encoding="utf-8"))
    return done.returncode, done.stdout + done.stderr, report


def test_the_monitoring_docs_commands_tell_drift_by_exit_status(
    generated_project: Path, tmp_path: Path
) -> None:
    project = copy_project(generated_project, tmp_path / "project")
    session, pull, repro, script = doc_commands(project, "monitoring.md")
    assert session == f"uv run nox -s monitor -- {BATCH}"
    assert script.startswith(f"uv run my-ml-project-monitor {BATCH} ")
    # How the page says to bring the train split: both work (and change nothing here).
    assert (pull, repro) == ("uv run dvc pull", "uv run dvc repro prepare")
    for command in (pull, repro):
        run(project, *shlex.split(command))

    make_batch(project, "same")
    for command in (session, script):
        status, output, report = monitor(project, command)
        assert status == 0, output
        assert report["drift"] is False, report
    assert (project / REPORT).with_name("report.html").is_file()

    make_batch(project, "moved")
    for command in (session, script):
        status, output, report = monitor(project, command)
        assert status == DRIFT_FOUND, output
        assert report["drifted_features"] == ["bill_length_mm", "island"], report
        assert "Drift in 2 of 6 features" in output


# Run in the project's environment: 1,200 rows drawn from the sample, as the service's
# requests hold them (the contract's feature columns, typed), in JSON.
MAKE_REQUESTS = """
import sys
import polars as pl
from my_ml_project.data import schema
from my_ml_project.data.validation import ROW, RowValidator
raw = pl.read_csv("data/raw/penguins.csv", null_values="NA", infer_schema=False)
features = schema.Features.to_schema()
rows = RowValidator(features).validate(raw.select(list(features.columns))).drop(ROW)
rows.sample(1_200, with_replacement=True, seed=2).write_json(sys.argv[1])
"""
LOG = "logs/predictions"
CHUNK = 300


def post(url: str, rows: list[object]) -> int:
    sent = urllib.request.Request(  # noqa: S310
        f"{url}/predict", json.dumps(rows).encode(), {"content-type": "application/json"}
    )
    with urllib.request.urlopen(sent, timeout=60) as answer:  # noqa: S310
        return int(answer.status)


def test_the_live_services_prediction_log_is_a_batch_the_monitor_reads(
    generated_project: Path, tmp_path: Path
) -> None:
    project = copy_project(generated_project, tmp_path / "project")
    requests = tmp_path / "rows.json"
    run(project, "uv", "run", "--frozen", "python", "-c", MAKE_REQUESTS, str(requests))
    rows = json.loads(requests.read_text(encoding="utf-8"))
    output = tmp_path / "serve.log"
    with serving(project, output, {"SERVING_PREDICTION_LOG": LOG}) as url:
        for start in range(0, len(rows), CHUNK):
            assert post(url, rows[start : start + CHUNK]) == 200
    assert "Application shutdown complete" in output.read_text(encoding="utf-8")

    done = run(project, "uv", "run", "nox", "-s", "monitor", "--", LOG, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((project / "reports/monitoring/predictions/drift.json").read_text("utf-8"))
    assert report["rows"]["batch"] == len(rows)
    assert report["drift"] is False, report
    said = done.stdout + done.stderr
    assert "Not compared (the model does not use them): " in said
    assert "predicted_at" in said
