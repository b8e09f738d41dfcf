"""Validation: raw rows against the data contract, with the line and column of each problem."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar

import pandera.polars as pa
import polars as pl

from ..errors import PipelineError
from . import schema

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


def merge_problems(found: Iterable[Problem]) -> list[Problem]:
    """Problems found in parts of one file, in the file's order: one per column and rule."""
    merged: dict[tuple[str, str], Problem] = {}
    for problem in found:
        total = merged.setdefault(
            (problem.column, problem.rule), Problem(problem.column, problem.rule)
        )
        total.count += problem.count
        total.examples += problem.examples[: EXAMPLES_PER_PROBLEM - len(total.examples)]
    return list(merged.values())


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


# Rows, eager (a batch) or lazy (a whole file, streamed): the checks take either.
Rows = TypeVar("Rows", pl.DataFrame, pl.LazyFrame)
# Columns the checks add beside the rows, and drop again: a value's text, each rule's verdict.
HELPER = "_check_"
CONVERTS = f"{HELPER}converts"  # true where every value converts to the schema's type
ROWS = f"{HELPER}rows"  # in a tally: the number of rows


def _text(column: str) -> str:
    return f"{HELPER}text_{column}"


def _keeps(rule: int) -> str:
    return f"{HELPER}keeps_{rule}"


@dataclass(frozen=True)
class Rule:
    """One rule on one column, as a Polars expression: true where a row keeps it."""

    column: str
    name: str  # as the error message names it
    keeps: pl.Expr
    shown: pl.Expr  # the value an example shows: the text, for a value that does not convert


# pandera's built-in row checks, as the expressions pandera.polars evaluates for them
# (pandera/backends/polars/builtin_checks.py); a unit test holds them to pandera's verdicts.
BUILTIN_CHECKS: dict[str, Callable[..., pl.Expr]] = {
    "equal_to": lambda c, value: c.eq(value),
    "not_equal_to": lambda c, value: c.ne(value),
    "greater_than": lambda c, min_value: c.gt(min_value),
    "greater_than_or_equal_to": lambda c, min_value: c.ge(min_value),
    "less_than": lambda c, max_value: c.lt(max_value),
    "less_than_or_equal_to": lambda c, max_value: c.le(max_value),
    "in_range": lambda c, min_value, max_value, include_min=True, include_max=True: (
        (c.ge(min_value) if include_min else c.gt(min_value))
        & (c.le(max_value) if include_max else c.lt(max_value))
    ),
    "isin": lambda c, allowed_values: c.is_in(list(allowed_values)),
    "notin": lambda c, forbidden_values: c.is_in(list(forbidden_values)).not_(),
    "str_matches": lambda c, pattern: c.str.contains(_anchored(_pattern(pattern))),
    "str_contains": lambda c, pattern: c.str.contains(_pattern(pattern)),
    "str_startswith": lambda c, string: c.str.starts_with(string),
    "str_endswith": lambda c, string: c.str.ends_with(string),
    "str_length": lambda c, min_value=None, max_value=None, exact_value=None: (
        c.str.len_chars().eq(exact_value)
        if exact_value is not None
        else c.str.len_chars().ge(min_value if min_value is not None else 0)
        & c.str.len_chars().le(max_value if max_value is not None else 2**63 - 1)
    ),
}


def _pattern(pattern: str | re.Pattern[str]) -> str:
    return pattern.pattern if isinstance(pattern, re.Pattern) else pattern


def _anchored(pattern: str) -> str:
    return pattern if pattern.startswith("^") else f"^{pattern}"


def is_builtin(check: pa.Check) -> bool:
    """Whether a check is one of pandera's built-in row checks, not one of your own."""
    return check.name in BUILTIN_CHECKS and bool(check.statistics)


def custom_checks(schema: pa.DataFrameSchema) -> pa.DataFrameSchema | None:
    """The schema less what RowValidator checks itself: your own checks, for pandera to run.

    None when nothing is left: no `@pa.check`, no `@pa.dataframe_check`, no `unique`.
    """
    own = {
        name: [check for check in column.checks if not is_builtin(check)]
        for name, column in schema.columns.items()
    }
    unique = schema.unique or any(column.unique for column in schema.columns.values())
    if not (any(own.values()) or schema.checks or unique):
        return None
    return schema.update_columns(
        {name: {"checks": checks, "nullable": True} for name, checks in own.items()}
    )


class RowValidator:
    """Checks rows against a schema: a batch at a time, or a whole file as one lazy stream.

    Converting each value to the schema's type, `nullable` and pandera's built-in checks
    (`ge`, `isin`, ...) are Polars expressions, all evaluated in one pass over the rows.
    Checks of your own (`@pa.check`, dataframe checks, `unique`) run through pandera, a
    batch at a time (`validate_custom`). Problems accumulate, each example named by
    `locate` (a row's place in the table, from 0 -> "line N", or "FILE line N" in a folder
    of CSV files: storage.row_places); by default the line, counted from the header.
    """

    def __init__(
        self, schema: pa.DataFrameSchema, locate: Callable[[int], str] | None = None
    ) -> None:
        self.schema = schema
        self.locate = locate or (lambda row: f"line {row + 2}")
        self.rows_seen = 0  # and so the position of the next batch's first row
        self.types = {name: column.dtype.type for name, column in schema.columns.items()}
        self.custom = custom_checks(schema)
        self.rules: list[Rule] = []
        self._problems: dict[tuple[str, str], Problem] = {}

    @property
    def problems(self) -> list[Problem]:
        """Every problem found so far."""
        return list(self._problems.values())

    def validate(self, batch: pl.DataFrame) -> pl.DataFrame:
        """The batch's rows that convert to the schema's types, typed, with their ROW number."""
        rows = self.checked(batch.with_row_index(ROW, offset=self.rows_seen))
        self.record(rows)
        typed = self.typed(rows)
        self.validate_custom(typed)
        self.rows_seen += batch.height
        return typed

    def checked(self, rows: Rows) -> Rows:
        """The rows, typed, with each rule's verdict beside them (see `tally`, `typed`).

        A value that does not convert becomes null, and its row is checked for that alone:
        each bad value is reported once, as a type problem, not again by its column's rules.
        """
        source = rows.collect_schema()
        converting = {
            name: dtype
            for name, dtype in self.types.items()
            if name in source and source[name] != dtype
        }
        rows = rows.with_columns(
            *(pl.col(name).alias(_text(name)) for name in converting),
            *(converted(pl.col(name), source[name], dtype) for name, dtype in converting.items()),
        )
        self.rules = [
            Rule(name, f"not a valid {dtype}", _converts(name), pl.col(_text(name)))
            for name, dtype in converting.items()
        ]
        checked_alone = pl.col(CONVERTS).not_()
        for name, column in self.schema.columns.items():
            if name not in source:
                continue  # check_columns names it
            value = pl.col(name)
            if not column.nullable:
                rule = Rule(name, "not_nullable", value.is_not_null() | checked_alone, value)
                self.rules.append(rule)
            for check in filter(is_builtin, column.checks):
                keeps = BUILTIN_CHECKS[check.name](value, **check.statistics)
                keeps = (keeps | keeps.is_null()) if check.ignore_na else keeps.fill_null(False)
                self.rules.append(Rule(name, str(check.error), keeps | checked_alone, value))
        rows = rows.with_columns(
            pl.all_horizontal(pl.lit(True), *map(_converts, converting)).alias(CONVERTS)
        )
        return rows.with_columns(rule.keeps.alias(_keeps(i)) for i, rule in enumerate(self.rules))

    def typed(self, checked: Rows) -> Rows:
        """The checked rows that convert to the schema's types, without the verdicts."""
        return checked.filter(pl.col(CONVERTS)).select(pl.exclude(f"^{HELPER}.*$"))

    def tally(self) -> list[pl.Expr]:
        """Aggregations of checked rows: how many there are (ROWS), how many break each rule."""
        breaking = (pl.col(_keeps(i)).not_().sum() for i in range(len(self.rules)))
        return [pl.len().alias(ROWS), *breaking]

    def record(
        self, checked: pl.DataFrame | pl.LazyFrame, tally: pl.DataFrame | None = None
    ) -> None:
        """Record the problems in checked rows: how many rows break each rule, and a few.

        Pass their `tally` if it is taken already (prepare takes it as it streams the rows):
        then checked is read again only for the examples of the rules some row breaks.
        """
        rows = checked.lazy()
        counts = rows.select(self.tally()).collect() if tally is None else tally
        for i, rule in enumerate(self.rules):
            count = counts[_keeps(i)].item()
            if count:
                broken = rows.filter(pl.col(_keeps(i)).not_())
                examples = broken.head(EXAMPLES_PER_PROBLEM).select(ROW, rule.shown).collect()
                self._record(rule.column, rule.name, count, examples.iter_rows())

    def validate_custom(self, typed: pl.DataFrame) -> None:
        """Run your own checks (see `custom_checks`) on typed rows, recording what fails."""
        if self.custom is None:
            return
        try:
            self.custom.validate(typed.drop(ROW), lazy=True)
        except pa.errors.SchemaErrors as errors:
            for case in errors.failure_cases.iter_rows(named=True):
                row = None if case["index"] is None else typed[ROW][case["index"]]
                example = (row, case["failure_case"])
                self._record(str(case["column"]), str(case["check"]), 1, [example])

    def _record(
        self, column: str, rule: str, count: int, examples: Iterable[tuple[int | None, object]]
    ) -> None:
        problem = self._problems.setdefault((column, rule), Problem(column, rule))
        problem.count += count
        for row, value in islice(examples, EXAMPLES_PER_PROBLEM - len(problem.examples)):
            where = "line ?" if row is None else self.locate(row)
            problem.examples.append(f"{where}: {value!r}")


def _converts(column: str) -> pl.Expr:
    """True where the column's text is missing or converts to the schema's type."""
    return pl.col(_text(column)).is_null() | pl.col(column).is_not_null()


# Text a CSV may hold for a boolean, lower-cased.
BOOLEANS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


def converted(column: pl.Expr, source: Any, target: Any) -> pl.Expr:
    """A column converted to the schema's type; null where a value does not convert.

    Text becomes booleans, dates and times by parsing (Polars casts no text to them);
    everything else by casting, numbers after leading spaces, as Polars' CSV reader does.
    """
    if source == pl.String and target == pl.Boolean:
        return column.str.to_lowercase().replace_strict(
            BOOLEANS, default=None, return_dtype=pl.Boolean
        )
    if source == pl.String and target == pl.Date:
        return column.str.to_date(strict=False)
    if source == pl.String and target == pl.Datetime:
        return column.str.to_datetime(strict=False)
    if source == pl.String and target.is_numeric():
        return column.str.strip_chars_start().cast(target, strict=False)
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


def needed_for_use(numeric: list[str], categorical: list[str]) -> list[str]:
    """The features a row needs a value in (one at least) to be used: the numeric ones.

    Tables with no numeric feature need a value in some categorical one instead.
    """
    return numeric or categorical


def usable(numeric: list[str], categorical: list[str]) -> pl.Expr:
    """True for rows the model can use: a value in some numeric feature (`needed_for_use`).

    A row with no measurement at all teaches nothing, and nothing is predicted for it: a
    model trained without such rows would answer from how it fills in missing numbers.
    """
    return pl.any_horizontal(pl.col(needed_for_use(numeric, categorical)).is_not_null())


def inputs_validator(needed: list[str], locate: Callable[[int], str] | None = None) -> RowValidator:
    """A validator of new rows for a model: today's Features checks of the columns it reads.

    Columns the schema no longer declares go unchecked: the model knows their types.
    """
    accepted = schema.Features.to_schema()
    columns = accepted.select_columns([n for n in needed if n in accepted.columns])
    return RowValidator(columns, locate)
