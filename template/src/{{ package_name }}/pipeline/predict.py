"""Score a table of new rows with a saved model: `predict SOURCE OUTPUT [--model MODEL]`.

The model is the champion (the model in service) unless `--model` names another file.
Needs only the model file and this package (no params.yaml, no checkout): the model
carries the features it was trained with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from ..data import storage
from ..data.validation import check_columns, inputs_validator, needed_for_use, raise_for
from ..errors import PipelineError
from ..models.champion import champion_paths
from ..models.persistence import load_model
from ..models.predict import score
from ._stage import stage, step

app = typer.Typer(add_completion=False)


@app.command()
@stage
def predict(
    source: Annotated[Path, typer.Argument(help=f"Rows to score: {storage.FORMATS}")],
    output: Annotated[Path, typer.Argument(help="Where to write predictions (.csv or .parquet)")],
    model_path: Annotated[
        Path | None,
        typer.Option("--model", help="The model to score with (.skops); default: the champion"),
    ] = None,
    batch_rows: Annotated[int, typer.Option(min=1, help="Rows validated at a time")] = 100_000,
) -> None:
    """Validate the rows against the model's inputs, then write each row with its prediction.

    A row with no value in any numeric feature gets no prediction (prepare drops such rows
    from training too).
    """
    model_path = model_path or champion_paths()["champion"]
    model = load_model(model_path)
    needed, columns = model.features.inputs, storage.header(source)
    raise_for(check_columns(columns, needed, strict=False), str(source))
    validator = inputs_validator(needed, storage.row_places(source))
    rows = [validator.validate(batch) for batch in storage.iter_batches(source, batch_rows)]
    raise_for(validator.problems, str(source))
    if not validator.rows_seen:
        raise PipelineError(f"{source} has no rows to score")
    inputs = pl.concat(rows).select(columns)  # the input's own column order
    with step(f"Scoring {inputs.height} rows with {model_path}"):
        predictions = score(model, inputs)
    unscored = predictions[model.prediction_column].null_count()
    storage.write_table(pl.concat([inputs, predictions], how="horizontal"), output)
    skipped = ""
    if unscored:
        spec = model.features
        required = ", ".join(needed_for_use(list(spec.numeric), list(spec.categorical)))
        skipped = f" ({unscored} row(s) not scored: no value in any of {required})"
    typer.echo(f"Wrote {output}{skipped}", err=True)


if __name__ == "__main__":
    app()
