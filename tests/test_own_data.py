"""Both tasks, and a team's own data, end to end (slow: installs and runs generated projects).

A project generated for regression must be as green as the default one. Then two teams
bring their own table to the default (classification) project, following the project's
docs/own-data.md step by step: a wine-like CSV of measurements with integer classes and a
column name that is no Python name, and a folder of parquet files with a continuous target
(a task switch). Each walk may touch only what the page says, then `dvc repro`,
`nox` and scoring new rows must work with no other change.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import copy_project, git, render, run

pytestmark = pytest.mark.slow

PACKAGE = "my_ml_project"  # the default answers' package_name
SCHEMA = f"src/{PACKAGE}/data/schema.py"
CLASSIFICATION_METRICS = {"accuracy", "balanced_accuracy", "f1_macro", "roc_auc_ovr"}
REGRESSION_METRICS = {"rmse", "mae", "r2"}
METRICS = "reports/evaluation/metrics.json"
FIGURES = Path("reports/evaluation/plots/images")


def uv_run(project: Path, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command in the project's locked environment."""
    return run(project, "uv", "run", "--frozen", *command, check=check)


def metrics(project: Path) -> dict[str, float]:
    """The evaluate stage's metrics."""
    return json.loads((project / METRICS).read_text(encoding="utf-8"))


# --- A project generated for regression ---------------------------------------------------


@pytest.fixture(scope="module")
def regression_project(kit: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`copier copy -d ml_task=regression`, copy tasks included (uv sync, dvc repro, commits)."""
    destination = tmp_path_factory.mktemp("regression") / "my-ml-project"
    return render(kit, destination, {"ml_task": "regression"}, tasks=True)


def test_regression_copy_tasks_leave_a_clean_committed_tree(regression_project: Path) -> None:
    assert git(regression_project, "status", "--porcelain") == ""
    assert len(git(regression_project, "log", "--oneline").splitlines()) == 2
    assert "dvc.lock" in git(regression_project, "ls-files").splitlines()


def test_regression_checks_pass(regression_project: Path) -> None:
    uv_run(regression_project, "nox", "-s", "lint", "typecheck", "tests", "docs")


def test_regression_pipeline_is_already_reproduced(regression_project: Path) -> None:
    repro = uv_run(regression_project, "dvc", "repro")
    assert "Data and pipelines are up to date." in repro.stdout
    assert "Running stage" not in repro.stdout


def test_regression_reports_regression_metrics_and_figures(regression_project: Path) -> None:
    assert set(metrics(regression_project)) == REGRESSION_METRICS
    figures = {path.name for path in (regression_project / FIGURES).iterdir()}
    assert {"predicted_vs_actual.png", "residuals.png"} <= figures
    assert "confusion_matrix.png" not in figures


# --- Bringing your own data, as docs/own-data.md says -------------------------------------

# Synthetic tables, made with numpy in the generated project's own environment (the kit's
# test environment has no numpy): `python make_table.py KIND TABLE NEW_ROWS` writes the
# team's table, then other rows to score, without the target (it goes to
# NEW_ROWS.truth.csv). Each is a .csv or .parquet file, or else a folder of parquet files.
MAKE_TABLE = """
import sys
from pathlib import Path

import numpy as np
import polars as pl

# Wine-like measurements: (mean for cultivar 0, 1, 2), spread.
WINE = {
    "alcohol": ((13.7, 12.3, 13.1), 0.5),
    "malic_acid": ((2.0, 1.9, 3.3), 0.7),
    "ash": ((2.45, 2.25, 2.44), 0.2),
    "alcalinity_of_ash": ((17.0, 20.2, 21.4), 2.5),
    "magnesium": ((106.0, 94.5, 99.3), 12.0),
    "total_phenols": ((2.84, 2.26, 1.68), 0.35),
    "flavanoids": ((2.98, 2.08, 0.78), 0.4),
    "nonflavanoid_phenols": ((0.29, 0.36, 0.45), 0.1),
    "proanthocyanins": ((1.9, 1.63, 1.15), 0.4),
    "color_intensity": ((5.5, 3.1, 7.4), 1.2),
    "hue": ((1.06, 1.06, 0.68), 0.12),
    "od280/od315_of_diluted_wines": ((3.16, 2.79, 1.68), 0.35),
    "proline": ((1116.0, 520.0, 630.0), 150.0),
}
DISTRICTS = {"north": 40000.0, "south": -20000.0, "east": 0.0, "west": 15000.0}


def wine(rng, rows):
    cultivar = rng.integers(0, 3, rows)
    columns = {}
    for name, (means, spread) in WINE.items():
        values = np.asarray(means)[cultivar] + rng.normal(0, spread, rows)
        columns[name] = np.round(np.clip(values, 0.01, None), 2)
    return pl.DataFrame({**columns, "cultivar": cultivar}), "cultivar"


def houses(rng, rows):
    area = np.round(rng.uniform(30, 250, rows), 1)
    rooms = np.clip(np.round(area / 30 + rng.normal(0, 1, rows)), 1, 12).astype(np.int64)
    age = np.round(rng.uniform(0, 80, rows))
    district = rng.choice(list(DISTRICTS), rows)
    price = (
        60000 + 2500 * area + 8000 * rooms - 600 * age
        + np.array([DISTRICTS[d] for d in district]) + rng.normal(0, 15000, rows)
    )
    frame = pl.DataFrame({
        "listing_id": [f"L{row:05d}" for row in range(rows)],
        "area_m2": area,
        "rooms": rooms,
        "age_years": pl.Series("age_years", [None if rng.random() < 0.05 else a for a in age]),
        "district": district,
        "price": np.round(price),
    })
    return frame, "price"


def write(frame, out):
    if out.suffix == ".csv":
        frame.write_csv(out)
    elif out.suffix == ".parquet":
        frame.write_parquet(out)
    else:
        out.mkdir(parents=True)
        half = frame.height // 2
        frame[:half].write_parquet(out / "part-0.parquet")
        frame[half:].write_parquet(out / "part-1.parquet")


kind, table, new_rows = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
make = {"wine": wine, "houses": houses}[kind]
frame, target = make(np.random.default_rng(1), 400)
write(frame, table)
frame, target = make(np.random.default_rng(2), 60)
frame.select(target).write_csv(f"{new_rows}.truth.csv")
write(frame.drop(target), new_rows)
"""

WINE_SCHEMA = '''\
"""The data contract: wine measurements, and the cultivar each wine comes from."""

from __future__ import annotations

import pandera.polars as pa

# The column the model learns to predict; params.yaml's `data.task` says how.
TARGET = "cultivar"


class Features(pa.DataFrameModel):
    """The model's inputs: chemical measurements of a wine."""

    alcohol: float = pa.Field(ge=0, le=100)
    malic_acid: float = pa.Field(ge=0)
    ash: float = pa.Field(ge=0)
    alcalinity_of_ash: float = pa.Field(ge=0)
    magnesium: float = pa.Field(ge=0, le=1000)
    total_phenols: float = pa.Field(ge=0)
    flavanoids: float = pa.Field(ge=0)
    nonflavanoid_phenols: float = pa.Field(ge=0)
    proanthocyanins: float = pa.Field(ge=0)
    color_intensity: float = pa.Field(ge=0)
    hue: float = pa.Field(ge=0)
    od280: float = pa.Field(alias="od280/od315_of_diluted_wines", ge=0)
    proline: float = pa.Field(ge=0)

    class Config:
        coerce = True


class RawRow(Features):
    """A row of the raw data: the measurements and the cultivar."""

    cultivar: int = pa.Field(isin=(0, 1, 2))

    class Config:
        coerce = True
        strict = True
'''

WINE_PARAMS = """\
# Every knob of the pipeline, grouped by DVC stage.

data:
  raw: data/raw/wine.csv
  task: classification

prepare:
  test_fraction: 0.2
  seed: 42
  batch_rows: 100000
  rows_per_file: 1000000

featurize:
  exclude: [ash] # measured, but not trusted
  ratios: {}

train:
  n_estimators: 100
  max_depth: 8
  min_samples_leaf: 2
  seed: 42

evaluate:
  top_features: 10
"""

HOUSES_SCHEMA = '''\
"""The data contract: homes sold, and the price each sold for."""

from __future__ import annotations

import pandera.polars as pa

# The column the model learns to predict; params.yaml's `data.task` says how.
TARGET = "price"


class Features(pa.DataFrameModel):
    """The model's inputs: the size, age and place of a home."""

    area_m2: float = pa.Field(ge=10, le=1000)
    rooms: int = pa.Field(ge=1, le=20)
    age_years: float = pa.Field(ge=0, le=300, nullable=True)
    district: str = pa.Field(isin=("north", "south", "east", "west"))

    class Config:
        coerce = True


class RawRow(Features):
    """A row of the raw data: the features, the price, and the listing (not used)."""

    listing_id: str
    price: float = pa.Field(ge=0)

    class Config:
        coerce = True
        strict = True
'''

HOUSES_PARAMS = """\
# Every knob of the pipeline, grouped by DVC stage.

data:
  raw: data/raw/houses
  task: regression

prepare:
  test_fraction: 0.2
  seed: 7
  batch_rows: 100000
  rows_per_file: 1000000

featurize:
  exclude: []
  ratios:
    area_per_room: [area_m2, rooms]

train:
  n_estimators: 100
  max_depth: 12
  min_samples_leaf: 2
  seed: 7

evaluate:
  top_features: 10
"""

# The task changed (the project was generated for classification): own-data.md says to
# rename the metrics here too.
HOUSES_TOLERANCES = """\
# How far each metric may get worse before `uv run nox -s report` fails.
rmse: {max_rise: 5000}
mae: {max_rise: 5000}
r2: {max_drop: 0.02}
"""


@dataclass(frozen=True)
class OwnData:
    """One team's table and what they write, following docs/own-data.md."""

    kind: str  # which table make_table.py makes
    raw: str  # where it goes: params.yaml's data.raw
    schema: str
    params: str
    target: str
    task: str
    new_rows: str  # the file of rows to score, by its suffix
    remove_sample: bool  # the page's optional `dvc remove --outs` of the penguins
    tolerances: str | None = None  # metric-tolerances.yaml, when the task changed


WALKS = {
    "wine-csv-classification": OwnData(
        kind="wine",
        raw="data/raw/wine.csv",
        schema=WINE_SCHEMA,
        params=WINE_PARAMS,
        target="cultivar",
        task="classification",
        new_rows="new-wines.csv",
        remove_sample=False,
    ),
    "houses-parquet-regression": OwnData(
        kind="houses",
        raw="data/raw/houses",
        schema=HOUSES_SCHEMA,
        params=HOUSES_PARAMS,
        target="price",
        task="regression",
        new_rows="new-houses.parquet",
        remove_sample=True,
        tolerances=HOUSES_TOLERANCES,
    ),
}


def make_tables(project: Path, script: Path, own: OwnData, table: Path, new_rows: Path) -> None:
    """The team's table and rows to score, made with numpy in the project's environment."""
    uv_run(project, "python", str(script), own.kind, str(table), str(new_rows))


def edited_paths(project: Path) -> set[str]:
    """Every path git status reports (staged or not, untracked too)."""
    status = git(project, "status", "--porcelain", "--untracked-files=all")
    return {line[3:] for line in status.splitlines()}


def r_squared(truth: list[float], predicted: list[float]) -> float:
    mean = sum(truth) / len(truth)
    residual = sum((t - p) ** 2 for t, p in zip(truth, predicted, strict=True))
    return 1 - residual / sum((t - mean) ** 2 for t in truth)


@pytest.mark.parametrize("walk", list(WALKS))
def test_own_data_needs_only_the_pages_edits(
    generated_project: Path, tmp_path: Path, walk: str
) -> None:
    own = WALKS[walk]
    project = copy_project(generated_project, tmp_path / "project")
    script = tmp_path / "make_table.py"
    script.write_text(MAKE_TABLE, encoding="utf-8")
    (tmp_path / "exports").mkdir()
    export = tmp_path / "exports" / Path(own.raw).name
    new_rows = tmp_path / own.new_rows
    make_tables(project, script, own, export, new_rows)

    # 1. The data under data/raw/, tracked by DVC (the sample left, or removed).
    if own.remove_sample:
        uv_run(project, "dvc", "remove", "--outs", "data/raw/penguins.csv.dvc")
        assert not (project / "data/raw/penguins.csv").exists()
    if export.is_dir():
        shutil.copytree(export, project / own.raw)
    else:
        shutil.copy(export, project / own.raw)
    uv_run(project, "dvc", "add", own.raw)
    # 2. The columns, in schema.py. 3. params.yaml (and the tolerances, on a task switch).
    (project / SCHEMA).write_text(own.schema, encoding="utf-8")
    (project / "params.yaml").write_text(own.params, encoding="utf-8")
    if own.tolerances is not None:
        (project / "metric-tolerances.yaml").write_text(own.tolerances, encoding="utf-8")

    # Nothing else changed: the schema, params, and in data/raw/ only the new pointer and
    # the ignore line that keeps the data out of git (and the sample's pointer, if removed).
    pointer = f"{own.raw}.dvc"
    expected = {SCHEMA, "params.yaml", pointer, "data/raw/.gitignore"}
    expected |= {"data/raw/penguins.csv.dvc"} if own.remove_sample else set()
    expected |= {"metric-tolerances.yaml"} if own.tolerances is not None else set()
    assert edited_paths(project) == expected
    ignored = (project / "data/raw/.gitignore").read_text(encoding="utf-8").split()
    name = Path(own.raw).name
    assert ignored == ([f"/{name}"] if own.remove_sample else ["/penguins.csv", f"/{name}"])
    assert f"path: {name}" in (project / pointer).read_text(encoding="utf-8")

    uv_run(project, "dvc", "repro")
    uv_run(project, "nox")

    expected_metrics = REGRESSION_METRICS if own.task == "regression" else CLASSIFICATION_METRICS
    found = metrics(project)
    assert set(found) == expected_metrics
    # The tables are learnable: the model must have learnt them.
    assert found["r2" if own.task == "regression" else "balanced_accuracy"] > 0.8

    if own.tolerances is not None:
        # A task switch: with the renamed tolerances, the pull request's report passes;
        # the sample's fail it, on the metrics the pipeline no longer writes.
        uv_run(project, "nox", "-s", "report", "--", "main")
        sample_tolerances = tmp_path / "sample-tolerances.yaml"
        sample_tolerances.write_text(
            git(project, "show", "HEAD:metric-tolerances.yaml"), encoding="utf-8"
        )
        stale = uv_run(
            project,
            "python",
            "-m",
            f"{PACKAGE}.pipeline.report",
            "main",
            f"--tolerances={sample_tolerances}",
            f"--output={tmp_path / 'stale-report.md'}",
            check=False,
        )
        assert stale.returncode == 1
        assert "`accuracy`" in stale.stdout
        assert "missing now" in stale.stdout

    # The model scores rows it has never seen, given without their target.
    scored = tmp_path / "predictions.csv"
    uv_run(
        project,
        "python",
        "-m",
        f"{PACKAGE}.pipeline.predict",
        "models/model.skops",
        str(new_rows),
        str(scored),
    )
    with scored.open(encoding="utf-8", newline="") as file:
        predictions = list(csv.DictReader(file))
    with Path(f"{new_rows}.truth.csv").open(encoding="utf-8", newline="") as file:
        truth = [row[own.target] for row in csv.DictReader(file)]
    assert len(predictions) == len(truth)
    predicted = [row[f"predicted_{own.target}"] for row in predictions]
    if own.task == "regression":
        assert r_squared([float(t) for t in truth], [float(p) for p in predicted]) > 0.7
    else:
        assert {f"probability_{label}" for label in (0, 1, 2)} <= set(predictions[0])
        for row in predictions:
            assert math.isclose(sum(float(row[f"probability_{k}"]) for k in (0, 1, 2)), 1)
        agree = sum(p == t for p, t in zip(predicted, truth, strict=True)) / len(truth)
        assert agree > 0.8
