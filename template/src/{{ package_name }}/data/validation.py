"""Validation: raw rows against the data contract, with the line and column of each problem."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandera.polars as pa
import polars as pl

from ..errors import PipelineError

ROW = "_row"  # a row's position in its file, from 0: the stable key of the split
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


def check_columns(found: list[str], expected: list[str], strict: bool) -> list[Problem]:
    """Missing (and, when strict, unexpected) columns, before any row is read."""
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


class RowValidator:
    """Checks batches of rows against a schema, one batch at a time (bounded memory).

    Problems accumulate across batches, with line numbers counted from the file's header.
    """

    def __init__(self, schema: pa.DataFrameSchema, first_line: int = 2) -> None:
        self.schema = schema
        self.first_line = first_line
        self.rows_seen = 0
        self._problems: dict[tuple[str, str], Problem] = {}

    @property
    def problems(self) -> list[Problem]:
        """Every problem found so far."""
        return list(self._problems.values())

    def validate(self, batch: pl.DataFrame) -> pl.DataFrame:
        """The batch's rows that convert to the schema's types, typed, with their ROW number."""
        typed_rows = self._cast(batch)
        try:
            self.schema.validate(typed_rows.drop(ROW), lazy=True)
        except pa.errors.SchemaErrors as errors:
            for case in errors.failure_cases.iter_rows(named=True):
                row = None if case["index"] is None else typed_rows[ROW][case["index"]]
                self._record(str(case["column"]), str(case["check"]), row, case["failure_case"])
        self.rows_seen += batch.height
        return typed_rows

    def _cast(self, batch: pl.DataFrame) -> pl.DataFrame:
        """Cast values to the schema's types, recording values that do not convert.

        Rows with such values are left out of the rule checks, so each bad value is
        reported once, as a type problem, rather than again by every rule on its column.
        """
        columns = self.schema.columns
        types = {name: column.dtype.type for name, column in columns.items() if name in batch}
        rows = batch.with_row_index(ROW, offset=self.rows_seen).with_columns(
            converted(pl.col(name), batch.schema[name], dtype).alias(f"_cast_{name}")
            for name, dtype in types.items()
        )
        unconverted = {
            name: pl.col(name).is_not_null() & pl.col(f"_cast_{name}").is_null() for name in types
        }
        for name, failed in unconverted.items():
            for row, value in rows.filter(failed).select(ROW, name).iter_rows():
                self._record(name, f"not a valid {types[name]}", row, value)
        if unconverted:
            rows = rows.filter(~pl.any_horizontal(unconverted.values()))
        return rows.select(
            ROW,
            *(pl.col(f"_cast_{name}").alias(name) for name in types),
            *(name for name in batch.columns if name not in types),
        )

    def _record(self, column: str, rule: str, row: int | None, value: object) -> None:
        problem = self._problems.setdefault((column, rule), Problem(column, rule))
        problem.count += 1
        if len(problem.examples) < EXAMPLES_PER_PROBLEM:
            line = "?" if row is None else row + self.first_line
            problem.examples.append(f"line {line}: {value!r}")


# Text a CSV may hold for a boolean, lower-cased.
BOOLEANS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


def converted(column: pl.Expr, source: Any, target: Any) -> pl.Expr:
    """A column converted to the schema's type; null where a value does not convert.

    Text becomes booleans, dates and times by parsing (Polars casts no text to them);
    everything else by casting.
    """
    if source == pl.String and target == pl.Boolean:
        return column.str.to_lowercase().replace_strict(
            BOOLEANS, default=None, return_dtype=pl.Boolean
        )
    if source == pl.String and target == pl.Date:
        return column.str.to_date(strict=False)
    if source == pl.String and target == pl.Datetime:
        return column.str.to_datetime(strict=False)
    return column.cast(target, strict=False)


def check_rows(batches: Iterable[pl.DataFrame], schema: pa.DataFrameSchema) -> list[Problem]:
    """Every problem in the batches (for callers that need no typed rows)."""
    validator = RowValidator(schema)
    for batch in batches:
        validator.validate(batch)
    return validator.problems


def raise_for(problems: list[Problem], source: str) -> None:
    """Raise one error that lists every problem, or return if there is none."""
    if problems:
        details = "\n".join(problem.describe() for problem in problems)
        raise DataValidationError(
            f"{source} failed validation ({len(problems)} problem(s)); "
            f"fix the rows or the schema in data/schema.py:\n{details}"
        )


def usable(numeric: list[str], categorical: list[str]) -> pl.Expr:
    """True for rows the model can use: a value in some numeric feature.

    A row with no measurement at all teaches nothing and predicts only the average.
    Tables with no numeric feature need a value in some categorical one instead.
    """
    return pl.any_horizontal(pl.col(numeric or categorical).is_not_null())
