"""Score a CSV or parquet file of penguin measurements with a saved model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import narwhals as nw
import polars as pl
import typer

from ..config import PARAMS_FILE, PATHS, load_params
from ..data import io
from ..data.prepare import ROW, RowValidator, check_columns, raise_for
from ..data.schema import PenguinMeasurements
from ..errors import PipelineError
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
    raise_for(check_columns(io.header(source), PenguinMeasurements, strict=False), str(source))
    validator = RowValidator(PenguinMeasurements)
    rows = [
        validator.validate(batch) for batch in io.iter_batches(source, params.prepare.batch_rows)
    ]
    raise_for(validator.problems, str(source))
    if not validator.rows_seen:
        raise PipelineError(f"{source} has no rows to score")
    model = load_model(model_path)
    measurements = pl.concat(rows).drop(ROW)
    features = build_features(nw.from_native(measurements.lazy()), params.featurize)
    with step(f"Scoring {measurements.height} rows with {model_path}"):
        predictions = score(model, features.to_native().collect())
    io.write_table(pl.concat([measurements, predictions], how="horizontal"), output)
    typer.echo(f"Wrote {output}", err=True)


if __name__ == "__main__":
    app()
