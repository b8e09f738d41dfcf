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
from pathlib import Path

import pytest

from own_tables import MAKE_TABLE, WALKS, OwnData
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
    # Every test, the integration tests of the stages and the service on this table too.
    uv_run(project, "nox", "-s", "lint", "typecheck", "all-tests", "docs")

    expected_metrics = REGRESSION_METRICS
    if own.task == "classification":  # the wine's cultivars are 0, 1 and 2
        per_class = {f"{kind}_{label}" for kind in ("precision", "recall") for label in range(3)}
        expected_metrics = CLASSIFICATION_METRICS | per_class
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

    # The model scores rows it has never seen, given without their target: the champion,
    # since the penguins' model could not be scored on the new table and was replaced.
    promotion = json.loads((project / "reports/promotion.json").read_text(encoding="utf-8"))
    assert promotion["reason"].startswith("the champion cannot be scored any more"), promotion
    scored = tmp_path / "predictions.csv"
    uv_run(project, "python", "-m", f"{PACKAGE}.pipeline.predict", str(new_rows), str(scored))
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
