"""DVC stage `prepare`: validate the raw data, drop unusable rows, split train and test."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from ..compute.engine import PrepareOutcome, choose_engine, prepare_on_dask
from ..config import PARAMS_FILE, PrepareParams, load_params
from ..data import storage
from ..data.contract import Contract, is_numeric, load_contract
from ..data.split import MAX_STRATA, SPLIT, SplitCheck, Strata, assign_split, stratify
from ..data.validation import (
    ROW,
    ROWS,
    RowValidator,
    check_columns,
    converted,
    raise_for,
    usable,
)
from ._stage import Progress, stage, step

app = typer.Typer(add_completion=False)


@app.command()
@stage
def prepare(
    raw: Annotated[Path, typer.Argument(help=f"The raw data: {storage.FORMATS}")],
    output: Annotated[Path, typer.Argument(help="Folder for the split, validated rows")],
    params_file: Path = PARAMS_FILE,
) -> None:
    """Validate the raw rows against the schema, clean them and split them reproducibly.

    One streaming pass reads, validates, cleans, splits and writes the rows, and counts
    every problem (checks of your own in data/schema.py take a second pass). For
    classification, a quick pass over the target first finds its classes, so that the
    split holds out test_fraction of each (prepare.stratify). Any problem discards the
    new output: the last good one stays.
    """
    params = load_params(params_file)
    contract = load_contract(params.data.task)
    raise_for(check_columns(storage.header(raw), list(contract.raw.columns), True), str(raw))
    types = {name: column.dtype.type for name, column in contract.raw.columns.items()}
    numbers = {name: dtype for name, dtype in types.items() if is_numeric(dtype)}
    engine = choose_engine(params.compute)
    places = storage.row_places(raw)  # where a problem's row is: file and line
    validating = f"Validating and splitting {raw} ({engine.describe()})"
    with (
        step(validating, "rows written (estimate)") as progress,
        storage.replacing(output) as staged,
    ):
        if engine.name == "dask":
            found = prepare_on_dask(engine, raw, staged, params.data.task, params.prepare)
        else:
            try:  # numbers parsed as they are read: the fast way, when every value is a number
                with showing_rows_written(staged, raw, params.prepare, progress):
                    found = validate_and_split(
                        storage.scan_raw(raw, numbers), contract, params.prepare, staged, places
                    )
            except pl.exceptions.PolarsError:
                if not storage.csv_files(raw):
                    raise
                # Some value is no number, or a line is broken: read text, to say which.
                shutil.rmtree(staged, ignore_errors=True)
                with storage.naming_broken_lines(raw):
                    found = validate_and_split(
                        storage.scan_raw(raw), contract, params.prepare, staged, places
                    )
        raise_for(found.problems, str(raw))
        rows_seen, split = found.rows_seen, found.split
        if not rows_seen:
            raise storage.RawDataError(f"{raw} has a header but no rows")
        usable_columns = contract.numeric_features() or contract.categorical_features()
        split.raise_for_problems(
            str(raw),
            f"each of its {rows_seen} row(s) lacks a value in all of {', '.join(usable_columns)}",
        )
    train, test = split.rows["train"], split.rows["test"]
    typer.echo(
        f"Prepared {train + test:,} of {rows_seen:,} rows ({train:,} train, {test:,} test) "
        f"into {output}",
        err=True,
    )
    if contract.task == "classification" and params.prepare.stratify and not found.stratified:
        typer.echo(
            f"The target '{contract.target}' has more than {MAX_STRATA} classes: rows were "
            "split by their place in the file, not class by class",
            err=True,
        )


def validate_and_split(
    raw: pl.LazyFrame,
    contract: Contract,
    settings: PrepareParams,
    staged: Path,
    places: Callable[[int], str] | None = None,
) -> PrepareOutcome:
    """Write raw's usable rows, split, under staged; find every problem on the way.

    One streaming pass writes the rows and counts those that break each rule (only then
    are a few of those read again, as examples); checks of your own take a second pass.
    """
    validator = RowValidator(contract.raw, places)
    rows = validator.checked(raw.with_row_index(ROW))
    usable_rows = pl.col(contract.target).is_not_null() & usable(
        contract.numeric_features(), contract.categorical_features()
    )
    kept = validator.typed(rows).filter(usable_rows)
    strata = classes(raw, contract) if settings.stratify else None
    kept = assign_split(kept, settings.test_fraction, settings.seed, strata).drop(ROW)
    *_, tally = pl.collect_all(
        [
            storage.partitioned_sink(kept, staged, SPLIT, settings.rows_per_file),
            rows.select(validator.tally()),
        ]
    )
    validator.rows_seen = tally[ROWS].item()
    validator.record(rows, tally)
    if validator.custom is not None:
        for batch in validator.typed(rows).collect_batches(chunk_size=settings.batch_rows):
            validator.validate_custom(batch)
    split = SplitCheck(contract.target, classes=contract.task == "classification")
    if staged.exists():
        split.add(pl.scan_parquet(staged, hive_partitioning=True))
    return PrepareOutcome(validator.rows_seen, split, validator.problems, strata is not None)


@contextmanager
def showing_rows_written(
    staged: Path, raw: Path, settings: PrepareParams, progress: Progress, every: float = 0.5
) -> Iterator[None]:
    """While the stream runs, show about how many rows it has written: on a terminal only.

    A streaming query reports no progress; its sink closes a split's file every
    rows_per_file rows, so the files closed so far tell how far it is.
    """
    if not progress.live:
        yield
        return
    total, stop = storage.estimated_rows(raw), threading.Event()

    def watch() -> None:
        while not stop.wait(every):
            progress(min(rows_written(staged, settings.rows_per_file), total), total)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()


def rows_written(staged: Path, rows_per_file: int) -> int:
    """Rows in the files a partitioned sink has closed: all but the last of each split."""
    folders = staged.glob(f"{SPLIT}=*")
    return sum(max(0, len(list(folder.glob("*.parquet"))) - 1) for folder in folders) * (
        rows_per_file
    )


def classes(raw: pl.LazyFrame, contract: Contract) -> Strata | None:
    """For classification, the target's classes, each to be split in proportion.

    A quick pass reads the target alone: the split's stream keeps a count per class.
    """
    if contract.task != "classification":
        return None
    target = contract.target
    source, dtype = raw.collect_schema()[target], contract.raw.columns[target].dtype.type
    value = pl.col(target) if source == dtype else converted(pl.col(target), source, dtype)
    found = raw.select(value.drop_nulls().unique()).collect(engine="streaming").to_series()
    return stratify(target, [dict.fromkeys(found, 0)])[0]


if __name__ == "__main__":
    app()
