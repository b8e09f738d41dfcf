"""DVC stage `prepare`: validate data/raw, clean it, split it into train and test."""

from __future__ import annotations

from pathlib import Path

import typer

from ..config import PARAMS_FILE, PATHS, load_params
from ..data import io
from ..data.prepare import SPLIT, assign_split, check_columns, check_rows, clean, raise_for, typed
from ..data.schema import MEASUREMENTS, RawPenguins
from ._stage import stage, step

app = typer.Typer(add_completion=False)


@app.command()
@stage
def prepare(
    raw: Path = PATHS.raw, output: Path = PATHS.prepared, params_file: Path = PARAMS_FILE
) -> None:
    """Validate the raw rows against the schema, clean them and split them reproducibly."""
    params = load_params(params_file).prepare
    source = io.scan_table(raw)
    raise_for(check_columns(source.collect_schema().names(), RawPenguins, strict=True), str(raw))
    with step(f"Validating {raw} in batches of {params.batch_rows} rows"):
        raise_for(check_rows(io.iter_batches(source, params.batch_rows), RawPenguins), str(raw))
    rows = clean(typed(source, RawPenguins), list(MEASUREMENTS))
    with step(f"Writing train/test partitions to {output}"):
        io.write_partitioned(
            assign_split(rows, params.test_fraction, params.seed),
            output,
            key=SPLIT,
            rows_per_file=params.rows_per_file,
        )


if __name__ == "__main__":
    app()
