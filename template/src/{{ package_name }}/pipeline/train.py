"""DVC stage `train`: fit the model on the train split and save it with skops."""

from __future__ import annotations

from pathlib import Path

import typer

from ..config import PARAMS_FILE, PATHS, load_params
from ..data import io
from ..data.prepare import SPLIT
from ..data.schema import TARGET
from ..features.transforms import numeric_columns
from ..models.persistence import save_model
from ..models.train import build_model, fit
from ._stage import stage, step

app = typer.Typer(add_completion=False)


@app.command()
@stage
def train(
    features: Path = PATHS.features, model_path: Path = PATHS.model, params_file: Path = PARAMS_FILE
) -> None:
    """Fit the pipeline from params.yaml on the train split."""
    params = load_params(params_file)
    rows = io.read_partition(features, SPLIT, "train").collect()
    numeric, categorical = numeric_columns(params.featurize), list(params.featurize.categorical)
    model = build_model(params.train, numeric, categorical)
    with step(f"Training on {rows.height} rows"):
        fit(model, rows.select(*numeric, *categorical), rows[TARGET].to_numpy())
    save_model(model, model_path)
    typer.echo(f"Saved {model_path}", err=True)


if __name__ == "__main__":
    app()
