"""DVC stage `evaluate`: score the test split; log metrics, plots, figures and provenance."""

from __future__ import annotations

import subprocess
from pathlib import Path

import typer
from dvclive.live import Live

from ..config import PARAMS_FILE, PATHS, load_params
from ..data import io
from ..data.prepare import SPLIT
from ..data.schema import TARGET
from ..evaluation.figures import (
    confusion_matrix_figure,
    feature_importance_figure,
    roc_curves_figure,
)
from ..evaluation.metrics import classification_metrics, feature_importance
from ..features.transforms import numeric_columns
from ..models.metadata import file_digest, model_metadata
from ..models.persistence import load_model
from ..models.predict import PREDICTION, predict
from ._stage import stage, step

app = typer.Typer(add_completion=False)


def git_revision() -> str:
    """The commit the workspace is at, marked `-dirty` when it has uncommitted changes."""
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--exclude=*"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:  # no git on this machine (a slim CI image): provenance says so
        return "unknown"
    return described.stdout.strip() or "unknown"


@app.command()
@stage
def evaluate(
    features: Path = PATHS.features,
    model_path: Path = PATHS.model,
    metrics_dir: Path = PATHS.metrics,
    figures_dir: Path = PATHS.figures,
    metadata_path: Path = PATHS.model_metadata,
    params_file: Path = PARAMS_FILE,
) -> None:
    """Measure the model on the test split; write metrics, plots, figures and metadata."""
    params = load_params(params_file)
    model = load_model(model_path)
    rows = io.read_partition(features, SPLIT, "test").collect()
    columns = [*numeric_columns(params.featurize), *params.featurize.categorical]
    with step(f"Scoring {rows.height} test rows"):
        scored = predict(model, rows.select(columns))
    classes = [str(label) for label in model.classes_]
    truth, predicted = rows[TARGET].to_list(), scored[PREDICTION].to_list()
    probabilities = scored.select(f"probability_{label}" for label in classes).to_numpy()
    metrics = classification_metrics(truth, predicted, probabilities, classes)
    forest = model.named_steps["classify"]
    names = [str(n) for n in model.named_steps["preprocess"].get_feature_names_out()]
    importance = feature_importance(
        names, forest.feature_importances_, params.evaluate.top_features
    )

    with Live(str(metrics_dir), dvcyaml=None, save_dvc_exp=False) as live:
        for name, value in metrics.items():
            live.log_metric(name, value, plot=False)
        live.log_sklearn_plot("confusion_matrix", truth, predicted, name="confusion_matrix.json")

    figures_dir.mkdir(parents=True, exist_ok=True)
    figures = {
        "confusion_matrix.png": confusion_matrix_figure(truth, predicted),
        "roc_curves.png": roc_curves_figure(truth, probabilities, classes),
        "feature_importance.png": feature_importance_figure(importance),
    }
    for filename, figure in figures.items():
        with io.replacing(figures_dir / filename) as staged:
            figure.savefig(staged, format="png", dpi=100, metadata={"Software": None})

    io.write_json(
        model_metadata(
            params=params.model_dump(mode="json"),
            data={str(features): file_digest(features), str(model_path): file_digest(model_path)},
            git_revision=git_revision(),
            metrics=metrics,
        ),
        metadata_path,
    )
    typer.echo(f"Metrics: {metrics}", err=True)


if __name__ == "__main__":
    app()
