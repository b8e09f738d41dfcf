"""Read raw and prepared tables in bounded memory; write outputs atomically.

Raw data may be a CSV file, a parquet file, or a folder of either (one file per batch,
read in the order of their paths). Every output is written beside its target and
swapped in only when complete, so a failed stage keeps the last good output.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from itertools import accumulate, islice
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import PipelineError

# Missing values in CSV files: R's NA (the penguins data) and empty cells.
NULL_MARKERS = ["NA", ""]
FORMATS = "a .csv or .parquet file, or a folder of .csv files or of .parquet files"
# Rows per parquet row group in partitioned outputs: each open file buffers one group, so
# smaller groups hold less memory (20 M rows prepared: ~20 MiB less than Polars' default).
ROW_GROUP_ROWS = 65_536


class RawDataError(PipelineError):
    """A raw file cannot be read as a table: the message names the file and the line."""


def csv_files(path: Path) -> list[Path]:
    """The CSV files a raw path holds, in the order their rows count: none for parquet."""
    if path.suffix == ".csv":
        return [path]
    if not path.is_dir():
        return []
    found = sorted(path.rglob("*.csv"))
    if found and any(path.rglob("*.parquet")):
        raise RawDataError(
            f"{path} holds both .csv and .parquet files; keep one format in a folder of batches"
        )
    return found


def _parquet_source(path: Path) -> pl.LazyFrame:
    if path.is_dir():
        if not any(path.rglob("*.parquet")):
            raise RawDataError(f"{path} holds no .parquet file; expected {FORMATS}")
        return pl.scan_parquet(path)
    if path.suffix == ".parquet":
        return pl.scan_parquet(path)
    raise RawDataError(f"{path}: unsupported file type {path.suffix!r}; use {FORMATS}")


def scan_table(path: Path) -> pl.LazyFrame:
    """A lazy view of a parquet file, or of a folder of (hive-partitioned) parquet files."""
    if not path.exists():
        raise RawDataError(f"{path} not found")
    return _parquet_source(path)


def header(path: Path) -> list[str]:
    """The column names of a table, without reading its rows; a folder's files must agree."""
    files = csv_files(path)
    if not files:
        return scan_table(path).collect_schema().names()
    columns = _csv_header(files[0])
    for file in files[1:]:
        if (found := _csv_header(file)) != columns:
            missing = [name for name in columns if name not in found]
            extra = [name for name in found if name not in columns]
            raise RawDataError(
                f"{file}: its header differs from {files[0].name}'s (missing: "
                f"{', '.join(missing) or 'none'}; extra: {', '.join(extra) or 'none'}; or in "
                f"another order): every file in {path} needs the same columns"
            )
    return columns


def _csv_header(path: Path) -> list[str]:
    with path.open("rb") as file:
        first_line = file.readline()
    if not first_line.strip():
        raise RawDataError(f"{path} is empty: expected a header line, then one row per line")
    return _parse(path, first_line, [], 1).columns


def estimated_rows(path: Path, sample_lines: int = 1_000) -> int:
    """About how many rows a table holds: a CSV's size over its first lines' mean length."""
    files = csv_files(path)
    if not files:
        return int(scan_table(path).select(pl.len()).collect().item())  # from the footers
    return sum(_estimated_csv_rows(file, sample_lines) for file in files)


def _estimated_csv_rows(path: Path, sample_lines: int) -> int:
    with path.open("rb") as file:
        header_bytes = len(file.readline())
        sample = [len(line) for line in islice(file, sample_lines)]
    if not sample:
        return 0
    return round((path.stat().st_size - header_bytes) * len(sample) / sum(sample))


def iter_batches(path: Path, rows: int) -> Iterator[pl.DataFrame]:
    """Stream a table in batches of `rows` rows; CSV columns arrive as text.

    CSV files are cut into batches of `rows` lines here, so memory stays bounded by the
    batch size, whatever the file's size. A CSV row must therefore fit on one line.
    """
    files = csv_files(path)
    if not files:
        yield from scan_table(path).collect_batches(chunk_size=rows)
        return
    header(path)  # an empty file, or files that disagree, say so before anything else
    for file in files:
        yield from csv_batches(file, rows)


def csv_batches(
    path: Path, rows: int, start: int | None = None, line: int = 2, count: int | None = None
) -> Iterator[pl.DataFrame]:
    """A CSV's lines as text columns, `rows` lines at a time; a broken line is named.

    From byte `start` (the first byte of a line, which is line number `line`; by default
    the line after the header), and `count` lines at most (by default, to the end).
    """
    with path.open("rb") as file:
        first_line = file.readline()
        if start is not None:
            file.seek(start)
        while count != 0 and (lines := list(islice(file, min(rows, count or rows)))):
            yield _parse(path, first_line, lines, line)
            line += len(lines)
            count = None if count is None else count - len(lines)


def scan_raw(path: Path, types: Mapping[str, Any] | None = None) -> pl.LazyFrame:
    """A lazy view of the raw table, streamed when collected; CSV columns arrive as text.

    CSV columns named in `types` are parsed as those types as they are read instead (the
    fast way; collecting fails if a value does not parse). Collect inside
    `naming_broken_lines(path)`. Messages count one row per line: a CSV row must fit on one.
    """
    files = csv_files(path)
    if not files:
        return scan_table(path)
    header(path)  # an empty file, or files that disagree, say so before anything else
    return pl.scan_csv(files, infer_schema=False, schema_overrides=types, null_values=NULL_MARKERS)


@contextmanager
def naming_broken_lines(path: Path) -> Iterator[None]:
    """Turn an error reading a CSV into one naming the broken line, not a traceback."""
    try:
        yield
    except pl.exceptions.PolarsError as error:
        files = csv_files(path)
        if not files:
            raise
        for file in files:
            with file.open("rb") as lines:
                if problem := _find_broken_line(enumerate(lines, start=1)):
                    raise RawDataError(f"{file}: {problem}") from None
        raise RawDataError(f"{path}: {error}") from None


def _parse(path: Path, first_line: bytes, lines: list[bytes], line: int) -> pl.DataFrame:
    """Read a header and lines as text columns; a broken line is named, not a traceback."""
    try:
        return pl.read_csv(
            first_line + b"".join(lines), infer_schema=False, null_values=NULL_MARKERS
        )
    except pl.exceptions.PolarsError as error:
        problem = _find_broken_line([(1, first_line), *enumerate(lines, start=line)])
        raise RawDataError(f"{path}: {problem or error}") from None


def _find_broken_line(numbered_lines: Iterable[tuple[int, bytes]]) -> str | None:
    """The first line that is not UTF-8 or has more fields than the header (the first line)."""
    header_fields = None
    for number, raw in numbered_lines:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            byte = raw[error.start : error.start + 1]
            return f"line {number}: byte {error.start + 1} ({byte!r}) is not UTF-8; save as UTF-8"
        fields = len(next(csv.reader([text]), []))
        if header_fields is None:
            header_fields = fields
        elif fields > header_fields:
            return f"line {number} has {fields} fields, the header has {header_fields}"
    return None


@dataclass(frozen=True)
class RowPlaces:
    """Where a row of raw data is (counted from 0), for messages: its line, and its file.

    Lines count from the header (line 1); in a folder of CSV files, each file's own.
    """

    root: Path
    files: tuple[Path, ...] = ()  # a folder's CSV files, in order
    first_rows: tuple[int, ...] = ()  # the position of each file's first row in the table

    def __call__(self, row: int) -> str:
        """Where the row is: `line N`, or `FILE line N` in a folder of CSV files."""
        if len(self.files) <= 1:  # one file: its lines are the table's
            return f"line {row + 2}"
        index = bisect_right(self.first_rows, row) - 1
        file = self.files[index].relative_to(self.root)
        return f"{file} line {row - self.first_rows[index] + 2}"


def row_places(path: Path) -> Callable[[int], str]:
    """How messages name a raw row: the files' rows are counted on the first call only."""
    files = csv_files(path)
    if len(files) <= 1:  # one file: its lines are the rows' places, nothing to count
        return RowPlaces(path)

    @cache
    def places() -> RowPlaces:
        counts = [count_rows(file) for file in files[:-1]]
        return RowPlaces(path, tuple(files), tuple(accumulate(counts, initial=0)))

    return lambda row: places()(row)


def count_rows(path: Path, start: int = 0, end: int | None = None) -> int:
    """The rows in bytes [start, end) of a CSV (from `start`: after the header if 0)."""
    lines, last = 0, b"\n"
    with path.open("rb") as file:
        if start == 0:
            file.readline()
        else:
            file.seek(start)
        remaining = (end if end is not None else path.stat().st_size) - file.tell()
        while remaining > 0:
            chunk = file.read(min(remaining, 1 << 24))
            if not chunk:
                break
            remaining -= len(chunk)
            lines += chunk.count(b"\n")
            last = chunk[-1:] or last
    return lines + (last != b"\n")


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


def partitioned_sink(
    frame: pl.LazyFrame, directory: Path, key: str, rows_per_file: int
) -> pl.LazyFrame:
    """A query writing frame into hive-style parquet partitions under directory, when run.

    Run it with `pl.collect_all` beside other queries on the same rows: they share one read.
    """
    partitions = pl.PartitionBy(
        directory, key=key, include_key=False, max_rows_per_file=rows_per_file
    )
    return frame.sink_parquet(partitions, row_group_size=ROW_GROUP_ROWS, mkdir=True, lazy=True)


def read_partition(directory: Path, key: str, value: str) -> pl.LazyFrame:
    """The rows of one partition written by partitioned_sink, without the key column."""
    partition = directory / f"{key}={value}"
    if not partition.is_dir():
        raise PipelineError(f"{partition} not found: run the stages before this one first")
    return pl.scan_parquet(partition, hive_partitioning=False)


def write_json(data: Any, path: Path) -> None:
    """Write data as indented JSON, atomically."""
    with replacing(path) as staged:
        staged.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_table(frame: pl.DataFrame, path: Path) -> None:
    """Write a small result table as CSV or parquet (by suffix), atomically."""
    if path.suffix not in (".csv", ".parquet"):
        raise PipelineError(f"{path}: unsupported file type {path.suffix!r}; use .csv or .parquet")
    with replacing(path) as staged:
        if path.suffix == ".parquet":
            frame.write_parquet(staged)
        else:
            frame.write_csv(staged)
