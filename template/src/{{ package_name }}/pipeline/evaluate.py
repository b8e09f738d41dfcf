"""DVC stage `evaluate`: score the test split; log metrics, figures and provenance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from dvclive.live import Live

from ..config import PARAMS_FILE, load_params
from ..data import storage
from ..data.split import SPLIT
from ..evaluation.results import evaluate as measure
from ..models.metadata import file_digest, git_revision, model_metadata
from ..models.persistence import load_model
from ._stage import stage, step

app = typer.Typer(add_completion=False)


@app.command()
@stage
def evaluate(
    features: Annotated[Path, typer.Argument(help="Folder of features")],
    model_path: Annotated[Path, typer.Argument(help="The model to evaluate")],
    results_dir: Annotated[Path, typer.Argument(help="Folder for metrics and figures")],
    metadata_path: Annotated[Path, typer.Argument(help="Where to write the model's provenance")],
    params_file: Path = PARAMS_FILE,
) -> None:
    """Measure the model on the test split; write metrics, figures and metadata.

    The results folder is replaced as a whole, so nothing of an earlier task or of a
    figure no longer made lingers.
    """
    params = load_params(params_file)
    model = load_model(model_path)
    rows = storage.read_partition(features, SPLIT, "test").collect()
    with step(f"Scoring {rows.height} test rows"):
        results = measure(model, rows, params.evaluate.top_features)
    # dvc.yaml declares the metrics and plots; the run is a stage of `dvc repro`, not its own.
    with (
        storage.replacing(results_dir) as staged,
        Live(str(staged), dvcyaml=None, save_dvc_exp=False) as live,
    ):
        for name, value in results.metrics.items():
            live.log_metric(name, value, plot=False)
        for filename, figure in results.figures.items():
            live.log_image(filename, figure)
    storage.write_json(
        model_metadata(
            params=params.model_dump(mode="json"),
            data={str(features): file_digest(features), str(model_path): file_digest(model_path)},
            git_revision=git_revision(),
            metrics=results.metrics,
        ),
        metadata_path,
    )
    typer.echo(f"Metrics: {results.metrics}", err=True)


if __name__ == "__main__":
    app()
