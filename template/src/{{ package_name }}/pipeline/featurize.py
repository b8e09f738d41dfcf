"""DVC stage `featurize`: turn prepared rows into the model's inputs, streaming.

It runs on Polars or on Dask (params.yaml's compute section, DASK_SCHEDULER_ADDRESS):
the same transforms, the same feature values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import narwhals as nw
import typer

from ..compute import on_polars
from ..compute.engine import choose_engine, featurize_on_dask
from ..config import PARAMS_FILE, load_params
from ..data import storage
from ..data.contract import load_contract
from ..data.split import SPLIT
from ..features.transforms import build_features, feature_spec
from ._stage import stage, step

app = typer.Typer(add_completion=False)


@app.command()
@stage
def featurize(
    prepared: Annotated[Path, typer.Argument(help="Folder of prepared rows")],
    output: Annotated[Path, typer.Argument(help="Folder for the features")],
    params_file: Path = PARAMS_FILE,
) -> None:
    """Select and derive the model's input columns for both splits."""
    params = load_params(params_file)
    contract = load_contract(params.data.task)
    spec = feature_spec(contract, params.featurize)
    engine = choose_engine(params.compute)

    def transform(rows: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
        return build_features(rows, spec, keep=(contract.target, SPLIT))

    writing = f"Writing {len(spec.columns)} features to {output} ({engine.describe()})"
    with step(writing, unit="files") as progress, storage.replacing(output) as staged:
        if engine.name == "dask":
            featurize_on_dask(engine, prepared, staged, transform)
        else:
            on_polars.featurize(prepared, staged, transform, progress)


if __name__ == "__main__":
    app()
