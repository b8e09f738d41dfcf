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
# The first bytes of a CSV file, read to tell what it is; the longest header line read.
SNIFF_BYTES = 4_096
MAX_HEADER_BYTES = 1 << 20


class RawDataError(PipelineError):
    """A raw file cannot be read as a table: the message names the file and the line."""


def csv_files(path: Path) -> list[Path]:
    """The CSV files a raw path holds, in the order their rows count: none for parquet."""
    if path.suffix == ".csv" and not path.is_dir():
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
        columns = scan_table(path).collect_schema().names()
        if problem := _unprintable(columns):
            raise RawDataError(f"{path} {problem}")
        return columns
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
    """A CSV file's column names, once its first bytes show it is UTF-8 text (_sniff)."""
    with path.open("rb") as file:
        start = file.read(SNIFF_BYTES)
        file.seek(0)
        first_line = file.readline(MAX_HEADER_BYTES + 1)
    if problem := _sniff(start):
        raise RawDataError(f"{path} {problem}")
    if not first_line.strip():
        raise RawDataError(f"{path} is empty: expected a header line, then one row per line")
    if len(first_line) > MAX_HEADER_BYTES:
        raise RawDataError(
            f"{path}: line 1 is longer than {MAX_HEADER_BYTES:,} bytes, too long for a header: "
            "is this a CSV file (one row per line)?"
        )
    if problem := _find_broken_line(path, [(1, first_line)]):  # Polars decodes it lossily
        raise RawDataError(problem)
    columns = _parse(path, first_line, [], 1).columns
    # A table has a target and a feature: one column means another separator.
    if len(columns) == 1 and (separator := next((s for s in ";\t|" if s in columns[0]), None)):
        raise RawDataError(
            f"{path}: line 1 has one column, {columns[0]!r}: its fields look separated by "
            f"{separator!r}, not commas; export it as CSV (comma-separated, UTF-8)"
        )
    if problem := _unprintable(columns):
        raise RawDataError(f"{path}: line 1 {problem}")
    return columns


def _unprintable(columns: list[str]) -> str | None:
    """A column name a terminal would act on, or that is invisible: shown escaped."""
    for name in columns:
        if not name.isprintable():
            return (
                f"names a column {name!r}, with a control or invisible character (shown "
                "escaped); rename the column"
            )
    return None


# Leading bytes of files a CSV is not, what they are, and what to do instead.
NOT_CSV = [
    (b"PK\x03\x04", "an Excel workbook (XLSX) or another zip archive", "export it as CSV (UTF-8)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel workbook (XLS)", "export it as CSV (UTF-8)"),
    (b"\x1f\x8b", "gzip-compressed data", "decompress it first (gunzip)"),
    (b"\xfd7zXZ\x00", "xz-compressed data", "decompress it first (unxz)"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data", "decompress it first (unzstd)"),
]
# Byte order marks of text that is not UTF-8 (UTF-32's first: it starts like UTF-16's).
BOMS = [
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
]


def _sniff(start: bytes) -> str | None:
    """What a file is, from its first bytes, when it is not UTF-8 text; else None."""
    for magic, what, fix in NOT_CSV:
        if start.startswith(magic):
            return f"is not a CSV file: it looks like {what}; {fix}"
    for bom, encoding in BOMS:
        if start.startswith(bom):
            return f"is {encoding} text, not UTF-8; re-save it as UTF-8 (CSV UTF-8)"
    if b"\r" in start and b"\n" not in start:
        return "ends its lines with a carriage return alone (\\r); re-save it with \\n or \\r\\n"
    if (nuls := start.count(0)) == 0:
        return None
    # Mostly-ASCII UTF-16 text without a byte order mark: every other byte is 0.
    if max(start[0::2].count(0), start[1::2].count(0)) >= 0.9 * nuls >= 0.2 * len(start):
        return "is UTF-16 text, not UTF-8; re-save it as UTF-8 (CSV UTF-8)"
    return f"is not a CSV file: it holds binary data (a zero byte at byte {start.index(0) + 1})"


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
    check_csv(path)  # a file that is no CSV, or a broken line, says so before any row
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
    check_csv(path)  # a file that is no CSV, or a broken line, says so before any row
    return pl.scan_csv(files, infer_schema=False, schema_overrides=types, null_values=NULL_MARKERS)


def check_csv(path: Path) -> None:
    """Refuse CSV files that are no CSV, or hold a line that is no row of their table.

    That is a line with more or fewer fields than the header (Polars would fill a short
    row's last columns with nulls), or with a quoted value that goes on past the line.
    One streaming pass per file, in Polars: a line of text each, its fields counted.
    """
    fields = len(header(path))  # a file that is no CSV, or files that disagree, say so first
    for file in csv_files(path):
        with naming_broken_lines(file):  # not UTF-8: found and named line by line
            found = _broken_lines(pl.scan_lines(file), fields).head(1).collect(engine="streaming")
        for number, line, has, open_quote in found.iter_rows():
            if open_quote:
                problem = "opens a quoted value it does not close: a value must not span lines"
            elif not line:
                problem = f"is empty, the header has {fields} fields"
            else:
                problem = f"has {has} fields, the header has {fields}"
            raise RawDataError(f"{file}: line {number} {problem}")


def _broken_lines(lines: pl.LazyFrame, fields: int) -> pl.LazyFrame:
    """The lines after the first without `fields` fields: NUMBER, LINE, FIELDS, OPEN_QUOTE.

    Commas are counted on every line; only lines holding a quote pay for counting the
    commas outside quoted values, and a quote left unpaired opens a value not closed.
    """
    line = pl.col("line")
    quotes = line.str.count_matches('"', literal=True)
    commas = line.str.count_matches(",", literal=True)
    # Each match is a quoted value ("" inside one pairs up too) or a comma outside one.
    outside = line.str.count_matches('"[^"]*"|,') - quotes // 2
    numbered = lines.with_row_index("number", offset=1).filter(pl.col("number") > 1)
    suspects = numbered.filter((quotes > 0) | (commas != fields - 1))
    checked = suspects.with_columns(fields=outside + 1, open_quote=quotes % 2 == 1)
    broken = pl.col("open_quote") | (pl.col("fields") != fields)
    return checked.filter(broken).select("number", "line", "fields", "open_quote")


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
                if problem := _find_broken_line(file, enumerate(lines, start=1)):
                    raise RawDataError(problem) from None
        raise RawDataError(f"{path}: {shown(str(error))}") from None


def _parse(path: Path, first_line: bytes, lines: list[bytes], line: int) -> pl.DataFrame:
    """Read a header and lines as text columns; a broken line is named, not a traceback."""
    try:
        return pl.read_csv(
            first_line + b"".join(lines), infer_schema=False, null_values=NULL_MARKERS
        )
    except pl.exceptions.PolarsError as error:
        problem = _find_broken_line(path, [(1, first_line), *enumerate(lines, start=line)])
        raise RawDataError(problem or f"{path}: {shown(str(error))}") from None


def _find_broken_line(path: Path, numbered_lines: Iterable[tuple[int, bytes]]) -> str | None:
    """The message naming the first line not UTF-8 or with other fields than the first."""
    header_fields = None
    for number, raw in numbered_lines:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            return (
                f"{path} is not UTF-8 text: byte 0x{raw[error.start]:02X} at line {number} "
                f"(its byte {error.start + 1}); re-save it as UTF-8 (CSV UTF-8)"
            )
        try:
            fields = len(next(csv.reader([text]), []))
        except csv.Error as error:  # a carriage return inside a field, say
            return f"{path}: line {number} is no CSV row: {error}"
        if header_fields is None:
            header_fields = fields
        elif not fields and header_fields > 1:  # in a table of one column: a missing value
            return f"{path}: line {number} is empty, the header has {header_fields} fields"
        elif fields and fields != header_fields:
            return f"{path}: line {number} has {fields} fields, the header has {header_fields}"
    return None


def shown(text: str) -> str:
    """Text from a data file, fit to print: control and invisible characters escaped."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


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
