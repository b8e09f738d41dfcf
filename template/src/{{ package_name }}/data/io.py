"""Read tables lazily; write them atomically, so a failed stage keeps the last good output."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

# Missing values in CSV files: R's NA (the penguins data) and empty cells.
NULL_MARKERS = ["NA", ""]


def scan_table(path: Path) -> pl.LazyFrame:
    """A lazy view of a CSV (every column as text, for the schema to coerce) or parquet file."""
    if path.suffix == ".parquet" or path.is_dir():
        return pl.scan_parquet(path, hive_partitioning=path.is_dir())
    if path.suffix in {".csv", ".txt"}:
        return pl.scan_csv(path, infer_schema=False, null_values=NULL_MARKERS)
    raise ValueError(f"{path}: unsupported file type {path.suffix!r}; use .csv or .parquet")


def iter_batches(frame: pl.LazyFrame, rows: int) -> Iterator[pl.DataFrame]:
    """Stream a lazy frame in batches of at most `rows` rows."""
    yield from frame.collect_batches(chunk_size=rows)


@contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """Yield a scratch path; on success it replaces target, on error target is untouched."""
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    staged = scratch / target.name
    try:
        yield staged
        previous = scratch / "previous"
        if target.exists():
            target.rename(previous)
        staged.rename(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def write_partitioned(frame: pl.LazyFrame, directory: Path, key: str, rows_per_file: int) -> None:
    """Stream frame into hive-style parquet partitions (`key=value/…`) under directory."""
    with replacing(directory) as staged:
        frame.sink_parquet(
            pl.PartitionBy(staged, key=key, include_key=False, max_rows_per_file=rows_per_file),
            mkdir=True,
        )


def read_partition(directory: Path, key: str, value: str) -> pl.LazyFrame:
    """The rows of one partition written by write_partitioned, without the key column."""
    return pl.scan_parquet(directory / f"{key}={value}", hive_partitioning=False)


def write_json(data: Any, path: Path) -> None:
    """Write data as indented JSON, atomically."""
    with replacing(path) as staged:
        staged.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_table(frame: pl.DataFrame, path: Path) -> None:
    """Write a small result table as CSV or parquet (by suffix), atomically."""
    with replacing(path) as staged:
        if path.suffix == ".parquet":
            frame.write_parquet(staged)
        elif path.suffix == ".csv":
            frame.write_csv(staged)
        else:
            raise ValueError(f"{path}: unsupported file type {path.suffix!r}; use .csv or .parquet")
