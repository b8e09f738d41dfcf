"""Preparation: validate raw rows against the schema, clean them, split them reproducibly."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandera.polars as pa
import polars as pl

from ..errors import PipelineError
from .schema import column_names

SPLIT = "split"
# Knuth's multiplicative hash spreads consecutive row numbers evenly over [0, 2**32).
_GOLDEN = 2_654_435_761
_RANGE = 2**32
# Spreads seeds far apart, so neighbouring seeds give unrelated splits.
_SEED_SPREAD = 2_246_822_519
EXAMPLES_PER_PROBLEM = 3


@dataclass
class Problem:
    """One broken rule in one column, with a few example rows."""

    column: str
    rule: str
    count: int = 0
    examples: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for the error message."""
        shown = ", ".join(self.examples)
        more = (
            f" and {self.count - len(self.examples)} more"
            if self.count > len(self.examples)
            else ""
        )
        return f"  column '{self.column}': {self.rule}: {shown}{more}"


class DataValidationError(PipelineError):
    """Raw data broke the schema: the message names each column, rule and example rows."""


def check_columns(found: list[str], schema: type[pa.DataFrameModel], strict: bool) -> list[Problem]:
    """Missing (and, for a strict schema, unexpected) columns, before any row is read."""
    expected = column_names(schema)
    problems = [
        Problem(name, "missing column", 1, ["expected in the header"])
        for name in expected
        if name not in found
    ]
    if strict:
        problems += [
            Problem(name, "unexpected column", 1, [f"expected only {expected}"])
            for name in found
            if name not in expected
        ]
    return problems


def check_rows(
    batches: Iterable[pl.DataFrame], schema: type[pa.DataFrameModel], first_line: int = 2
) -> list[Problem]:
    """Validate batches one at a time (bounded memory); line numbers count the CSV header."""
    problems: dict[tuple[str, str], Problem] = {}

    def record(column: str, rule: str, row: int | None, value: object) -> None:
        problem = problems.setdefault((column, rule), Problem(column, rule))
        problem.count += 1
        if len(problem.examples) < EXAMPLES_PER_PROBLEM:
            line = "?" if row is None else row + first_line
            problem.examples.append(f"line {line}: {value!r}")

    offset = 0
    for batch in batches:
        typed_rows = _cast_or_record(batch, schema, offset, record)
        try:
            schema.validate(typed_rows.drop("_row"), lazy=True)
        except pa.errors.SchemaErrors as errors:
            for case in errors.failure_cases.iter_rows(named=True):
                row = None if case["index"] is None else typed_rows["_row"][case["index"]]
                record(str(case["column"]), str(case["check"]), row, case["failure_case"])
        offset += batch.height
    return list(problems.values())


def _cast_or_record(
    batch: pl.DataFrame,
    schema: type[pa.DataFrameModel],
    offset: int,
    record: Callable[[str, str, int | None, object], None],
) -> pl.DataFrame:
    """Cast text to the schema's types, recording values that do not convert.

    Rows with such values are left out of the rule checks, so each bad value is reported
    once, as a type problem, rather than again by every rule on its column.
    """
    columns = {n: c.dtype.type for n, c in schema.to_schema().columns.items() if n in batch.columns}
    rows = batch.with_row_index("_row", offset=offset)
    cast = rows.with_columns(
        pl.col(n).cast(t, strict=False).alias(f"_cast_{n}") for n, t in columns.items()
    )
    unconverted = [pl.col(n).is_not_null() & pl.col(f"_cast_{n}").is_null() for n in columns]
    for name, dtype in columns.items():
        failed = cast.filter(pl.col(name).is_not_null() & pl.col(f"_cast_{name}").is_null())
        for row, value in failed.select("_row", name).iter_rows():
            record(name, f"not a valid {dtype}", row, value)
    clean_rows = cast.filter(~pl.any_horizontal(unconverted)) if unconverted else cast
    return clean_rows.select(
        "_row",
        *(pl.col(f"_cast_{n}").alias(n) for n in columns),
        *(n for n in batch.columns if n not in columns),
    )


def raise_for(problems: list[Problem], source: str) -> None:
    """Raise one error that lists every problem, or return if there is none."""
    if problems:
        details = "\n".join(problem.describe() for problem in problems)
        raise DataValidationError(
            f"{source} failed validation ({len(problems)} problem(s)); "
            f"fix the rows or the schema in data/schema.py:\n{details}"
        )


def typed(frame: pl.LazyFrame, schema: type[pa.DataFrameModel]) -> pl.LazyFrame:
    """Cast text columns to the schema's types (safe once the rows have been validated)."""
    columns = schema.to_schema().columns
    return frame.select(
        pl.col(name).cast(column.dtype.type, strict=True) for name, column in columns.items()
    )


def clean(frame: pl.LazyFrame, measurements: list[str]) -> pl.LazyFrame:
    """Drop rows that carry no measurement at all: nothing can be learned from them."""
    return frame.filter(pl.any_horizontal(pl.col(measurements).is_not_null()))


def assign_split(frame: pl.LazyFrame, test_fraction: float, seed: int) -> pl.LazyFrame:
    """Label each row train or test, reproducibly for a given seed and row order."""
    offset = seed * _SEED_SPREAD % _RANGE
    position = (pl.col("_row").cast(pl.Int64) * _GOLDEN + offset) % _RANGE
    return (
        frame.with_row_index("_row")
        .with_columns(
            pl.when(position < int(test_fraction * _RANGE))
            .then(pl.lit("test"))
            .otherwise(pl.lit("train"))
            .alias(SPLIT)
        )
        .drop("_row")
    )
