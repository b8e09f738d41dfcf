"""Read tables lazily; write them atomically, so a failed stage keeps the last good output."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import PipelineError

# Missing values in CSV files: R's NA (the penguins data) and empty cells.
NULL_MARKERS = ["NA", ""]


def scan_table(path: Path) -> pl.LazyFrame:
    """A lazy view of a parquet file or of a directory of hive-partitioned parquet files."""
    if path.suffix == ".parquet" or path.is_dir():
        return pl.scan_parquet(path, hive_partitioning=path.is_dir())
    raise PipelineError(f"{path}: unsupported file type {path.suffix!r}; use .csv or .parquet")


def header(path: Path) -> list[str]:
    """The column names of a CSV or parquet file, without reading its rows."""
    if path.suffix == ".csv":
        with path.open("rb") as file:
            return pl.read_csv(file.readline(), infer_schema=False).columns
    return scan_table(path).collect_schema().names()


def iter_batches(path: Path, rows: int) -> Iterator[pl.DataFrame]:
    """Stream a CSV (every column as text, for the schema to coerce) or parquet file.

    CSV files are cut into batches of `rows` lines here, so memory stays bounded by the
    batch size, whatever the file's size. A CSV row must therefore fit on one line.
    """
    if path.suffix != ".csv":
        yield from scan_table(path).collect_batches(chunk_size=rows)
        return
    with path.open("rb") as file:
        first_line = file.readline()
        while lines := list(islice(file, rows)):
            yield pl.read_csv(
                first_line + b"".join(lines), infer_schema=False, null_values=NULL_MARKERS
            )


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


class PartitionedWriter:
    """Write batches into hive-style parquet partitions (`key=value/part-N.parquet`).

    Rows are buffered per partition and written `rows_per_file` at a time, so memory is
    bounded by that buffer, and files are neither huge nor tiny.
    """

    def __init__(self, directory: Path, key: str, rows_per_file: int) -> None:
        self.directory, self.key, self.rows_per_file = directory, key, rows_per_file
        self._buffers: dict[str, list[pl.DataFrame]] = {}
        self._files: dict[str, int] = {}

    def write(self, batch: pl.DataFrame) -> None:
        """Add a batch; write out every partition whose buffer is full."""
        for (value,), rows in batch.partition_by(self.key, as_dict=True).items():
            buffer = self._buffers.setdefault(str(value), [])
            buffer.append(rows.drop(self.key))
            if sum(frame.height for frame in buffer) >= self.rows_per_file:
                self._flush(str(value))

    def close(self) -> None:
        """Write out what is left in every buffer."""
        for value in list(self._buffers):
            self._flush(value)

    def _flush(self, value: str) -> None:
        buffer = self._buffers.pop(value, [])
        if buffer:
            number = self._files[value] = self._files.get(value, -1) + 1
            folder = self.directory / f"{self.key}={value}"
            folder.mkdir(parents=True, exist_ok=True)
            pl.concat(buffer).write_parquet(folder / f"part-{number:05d}.parquet")


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
            raise PipelineError(
                f"{path}: unsupported file type {path.suffix!r}; use .csv or .parquet"
            )
