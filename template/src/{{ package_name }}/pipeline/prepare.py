"""DVC stage `prepare`: validate the raw data, drop unusable rows, split train and test."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from ..config import PARAMS_FILE, load_params
from ..data import storage
from ..data.contract import load_contract
from ..data.split import SPLIT, SplitCheck, assign_split
from ..data.validation import ROW, RowValidator, check_columns, raise_for, usable
from ._stage import stage, step

app = typer.Typer(add_completion=False)


@app.command()
@stage
def prepare(
    raw: Annotated[Path, typer.Argument(help=f"The raw data: {storage.FORMATS}")],
    output: Annotated[Path, typer.Argument(help="Folder for the split, validated rows")],
    params_file: Path = PARAMS_FILE,
) -> None:
    """Validate the raw rows against the schema, clean them and split them reproducibly.

    One streaming pass: each batch is validated, then cleaned, split and buffered for
    writing. Any problem discards the new output, so the last good one stays in place.
    """
    params = load_params(params_file)
    contract = load_contract(params.data.task)
    numeric, categorical = contract.numeric_features(), contract.categorical_features()
    raise_for(check_columns(storage.header(raw), list(contract.raw.columns), True), str(raw))
    validator = RowValidator(contract.raw)
    labelled = pl.col(contract.target).is_not_null()
    split = SplitCheck(contract.target, classes=params.data.task == "classification")
    settings = params.prepare
    step_name = f"Validating and splitting {raw} in batches of {settings.batch_rows} rows"
    with step(step_name), storage.replacing(output) as staged:
        writer = storage.PartitionedWriter(staged, key=SPLIT, rows_per_file=settings.rows_per_file)
        for batch in storage.iter_batches(raw, settings.batch_rows):
            rows = validator.validate(batch)
            if not validator.problems:  # keep scanning to report every problem
                rows = rows.filter(labelled & usable(numeric, categorical))
                rows = assign_split(rows, settings.test_fraction, settings.seed).drop(ROW)
                split.add(rows)
                writer.write(rows)
        raise_for(validator.problems, str(raw))
        if not validator.rows_seen:
            raise storage.RawDataError(f"{raw} has a header but no rows")
        split.raise_for_problems(
            str(raw),
            f"each of its {validator.rows_seen} row(s) lacks a value in all of "
            f"{', '.join(numeric or categorical)}",
        )
        writer.close()
    train, test = split.rows["train"], split.rows["test"]
    typer.echo(
        f"Prepared {train + test} of {validator.rows_seen} rows ({train} train, {test} test) "
        f"into {output}",
        err=True,
    )


if __name__ == "__main__":
    app()
