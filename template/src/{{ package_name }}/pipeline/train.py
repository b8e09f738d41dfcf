"""DVC stage `train`: fit the model on the train split and save it with skops."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..config import PARAMS_FILE, load_params
from ..data import storage
from ..data.contract import load_contract
from ..data.split import SPLIT
from ..features.transforms import feature_spec
from ..models.persistence import SavedModel, save_model
from ..models.train import build_model, fit
from ._stage import stage, step

app = typer.Typer(add_completion=False)


@app.command()
@stage
def train(
    features: Annotated[Path, typer.Argument(help="Folder of features")],
    model_path: Annotated[Path, typer.Argument(help="Where to save the model (.skops)")],
    params_file: Path = PARAMS_FILE,
) -> None:
    """Fit the pipeline from params.yaml on the train split."""
    params = load_params(params_file)
    contract = load_contract(params.data.task)
    spec = feature_spec(contract, params.featurize)
    rows = storage.read_partition(features, SPLIT, "train").collect()
    pipeline = build_model(contract.task, params.train, spec)
    with step(f"Training a {contract.task} model on {rows.height} rows"):
        fit(pipeline, rows.select(spec.columns), rows[contract.target].to_numpy())
    save_model(SavedModel(pipeline, contract.task, contract.target, spec), model_path)
    typer.echo(f"Saved {model_path}", err=True)


if __name__ == "__main__":
    app()
