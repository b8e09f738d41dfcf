"""Score a CSV or parquet file of penguin measurements with a saved model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import narwhals as nw
import polars as pl
import typer

from ..config import PARAMS_FILE, PATHS, load_params
from ..data import io
from ..data.prepare import check_columns, check_rows, raise_for, typed
from ..data.schema import PenguinMeasurements
from ..features.transforms import build_features
from ..models.persistence import load_model
from ..models.predict import predict as score
from ._stage import stage, step

app = typer.Typer(add_completion=False)


@app.command()
@stage
def predict(
    source: Annotated[Path, typer.Argument(help="CSV or parquet file of measurements")],
    output: Annotated[Path, typer.Argument(help="Where to write predictions (.csv or .parquet)")],
    model_path: Annotated[Path, typer.Option("--model", help="skops model to score with")] = (
        PATHS.model
    ),
    params_file: Path = PARAMS_FILE,
) -> None:
    """Validate the rows against the schema, then write each row with its prediction."""
    params = load_params(params_file)
    rows = io.scan_table(source)
    raise_for(
        check_columns(rows.collect_schema().names(), PenguinMeasurements, strict=False), str(source)
    )
    raise_for(
        check_rows(io.iter_batches(rows, params.prepare.batch_rows), PenguinMeasurements),
        str(source),
    )
    model = load_model(model_path)
    measurements = typed(rows, PenguinMeasurements)
    features = build_features(nw.from_native(measurements), params.featurize).to_native().collect()
    with step(f"Scoring {features.height} rows with {model_path}"):
        predictions = score(model, features)
    io.write_table(pl.concat([rows.collect(), predictions], how="horizontal"), output)
    typer.echo(f"Wrote {output}", err=True)


if __name__ == "__main__":
    app()
