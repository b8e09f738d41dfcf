"""Preparation: validate raw rows against the schema, clean them, split them reproducibly."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandera.polars as pa
import polars as pl

from .schema import column_names

SPLIT = "split"
# Knuth's multiplicative hash spreads consecutive row numbers evenly over [0, 2**32).
_GOLDEN = 2_654_435_761
_RANGE = 2**32
EXAMPLES_PER_PROBLEM = 3


@dataclass
class Problem:
    """One broken rule in one column, with a few example rows."""

    column: str
    rule: str
    count: int = 0
    examples: list[str] = field(default_factory=list)

    def describe(self) -> str:
        shown = ", ".join(self.examples)
        more = f" and {self.count - len(self.examples)} more" if self.count > len(self.examples) else ""
        return f"  column '{self.column}': {self.rule}: {shown}{more}"


class DataValidationError(ValueError):
    """Raw data broke the schema: the message names each column, rule and example rows."""


def check_columns(found: list[str], schema: type[pa.DataFrameModel], strict: bool) -> list[Problem]:
    """Missing (and, for a strict schema, unexpected) columns, before any row is read."""
    expected = column_names(schema)
    problems = [Problem(name, "missing column", 1, ["expected in the header"])
                for name in expected if name not in found]
    if strict:
        problems += [Problem(name, "unexpected column", 1, [f"expected only {expected}"])
                     for name in found if name not in expected]
    return problems


def check_rows(
    batches: Iterable[pl.DataFrame], schema: type[pa.DataFrameModel], first_line: int = 2
) -> list[Problem]:
    """Validate batches one at a time (bounded memory); line numbers count the CSV header."""
    problems: dict[tuple[str, str], Problem] = {}
    offset = 0
    for batch in batches:
        try:
            schema.validate(batch, lazy=True)
        except pa.errors.SchemaErrors as errors:
            for case in errors.failure_cases.iter_rows(named=True):
                rule = str(case["check"])
                problem = problems.setdefault(
                    (str(case["column"]), rule), Problem(str(case["column"]), rule)
                )
                problem.count += 1
                if len(problem.examples) < EXAMPLES_PER_PROBLEM:
                    line = "?" if case["index"] is None else case["index"] + offset + first_line
                    problem.examples.append(f"line {line}: {case['failure_case']!r}")
        offset += batch.height
    return list(problems.values())


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
    position = (pl.col("_row").cast(pl.Int64) * _GOLDEN + seed) % _RANGE
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
