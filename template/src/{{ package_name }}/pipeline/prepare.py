"""DVC stage `prepare`: validate data/raw, clean it, split it into train and test."""

from __future__ import annotations

from pathlib import Path

import typer

from ..config import PARAMS_FILE, PATHS, load_params
from ..data import io
from ..data.prepare import (
    ROW,
    SPLIT,
    RowValidator,
    assign_split,
    check_columns,
    clean,
    raise_for,
)
from ..data.schema import MEASUREMENTS, RawPenguins
from ._stage import stage, step

app = typer.Typer(add_completion=False)


@app.command()
@stage
def prepare(
    raw: Path = PATHS.raw, output: Path = PATHS.prepared, params_file: Path = PARAMS_FILE
) -> None:
    """Validate the raw rows against the schema, clean them and split them reproducibly.

    One streaming pass: each batch is validated, then cleaned, split and buffered for
    writing. Any problem discards the new output, so the last good one stays in place.
    """
    params = load_params(params_file).prepare
    raise_for(check_columns(io.header(raw), RawPenguins, strict=True), str(raw))
    validator = RowValidator(RawPenguins)
    step_name = f"Validating and splitting {raw} in batches of {params.batch_rows} rows"
    with step(step_name), io.replacing(output) as staged:
        writer = io.PartitionedWriter(staged, key=SPLIT, rows_per_file=params.rows_per_file)
        for batch in io.iter_batches(raw, params.batch_rows):
            rows = validator.validate(batch)
            if not validator.problems:  # keep scanning to report every problem
                rows = clean(rows, list(MEASUREMENTS))
                writer.write(assign_split(rows, params.test_fraction, params.seed).drop(ROW))
        raise_for(validator.problems, str(raw))
        writer.close()
    typer.echo(f"Prepared {validator.rows_seen} rows into {output}", err=True)


if __name__ == "__main__":
    app()
