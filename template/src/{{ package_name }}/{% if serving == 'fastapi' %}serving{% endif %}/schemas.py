"""The API's messages: a row model derived from the data contract, and the answers.

The row model is made from `Features` in data/schema.py, so the API follows the team's
own columns: each column is a field named as in the data (aliases included), with its
type, whether it may be missing, and the checks JSON Schema can state (bounds, allowed
values, lengths). Checks it cannot state are run by pandera on the typed rows.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal

import pandera.polars as pa
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, create_model

from ..config import Task

INT64 = {"ge": -(2**63), "le": 2**63 - 1}  # what a polars Int64 column holds


class Row(BaseModel):
    """Base of the row model: a column the contract does not declare is refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _python_type(dtype: Any) -> Any:
    """The JSON-facing type of a polars data type."""
    if dtype.is_integer():
        return int
    if dtype.is_numeric():
        return float
    if dtype == pl.Boolean:
        return bool
    if dtype == pl.Datetime:
        return datetime
    if dtype == pl.Date:
        return date
    return str


# pandera's built-in checks that JSON Schema states, and the pydantic constraint for each.
_BOUNDS = {
    "greater_than_or_equal_to": (("min_value", "ge"),),
    "greater_than": (("min_value", "gt"),),
    "less_than_or_equal_to": (("max_value", "le"),),
    "less_than": (("max_value", "lt"),),
    "str_length": (("min_value", "min_length"), ("max_value", "max_length")),
}


def _field(column: pa.Column) -> tuple[Any, dict[str, Any], bool]:
    """A column's annotation, its pydantic constraints, and whether pandera must check it."""
    annotation, constraints, unstated = _python_type(column.dtype.type), {}, False
    if annotation is int:
        constraints.update(INT64)
    for check in column.checks:
        stats = check.statistics or {}
        if check.name in _BOUNDS and (annotation is not str) == (check.name != "str_length"):
            for statistic, constraint in _BOUNDS[check.name]:
                if stats.get(statistic) is not None:
                    constraints[constraint] = stats[statistic]
        elif check.name == "in_range":
            constraints["ge" if stats.get("include_min", True) else "gt"] = stats["min_value"]
            constraints["le" if stats.get("include_max", True) else "lt"] = stats["max_value"]
        elif check.name == "isin":
            annotation = Literal[tuple(stats["allowed_values"])]
        elif check.name == "equal_to":
            annotation = Literal[stats["value"]]
        else:
            unstated = True
    return annotation, constraints, unstated


def _identifier(name: str, index: int, taken: set[str]) -> str:
    """A Python name for the field; the column's own name where it can be one."""
    candidate = re.sub(r"\W", "_", name)
    usable = (
        candidate.isidentifier()
        and not keyword.iskeyword(candidate)
        and not candidate.startswith(("_", "model_"))
        and not hasattr(BaseModel, candidate)
        and candidate not in taken
    )
    return candidate if usable else f"column_{index}"


def row_model(features: pa.DataFrameSchema) -> tuple[type[Row], bool]:
    """The model of one row of inputs, and whether pandera must check what it cannot."""
    fields: dict[str, Any] = {}
    needs_pandera = bool(features.checks)
    for index, (name, column) in enumerate(features.columns.items()):
        annotation, constraints, unstated = _field(column)
        needs_pandera |= unstated
        if column.nullable:
            field = Field(None, alias=name, **constraints)
            annotation = annotation | None
        else:
            field = Field(alias=name, **constraints)
        fields[_identifier(name, index, set(fields))] = (annotation, field)
    model: type[Row] = create_model("Row", __base__=Row, **fields)
    return model, needs_pandera


def to_frame(rows: Sequence[Row], features: pa.DataFrameSchema) -> pl.DataFrame:
    """The rows as a frame with the contract's column names and types."""
    types = {name: column.dtype.type for name, column in features.columns.items()}
    return pl.DataFrame([row.model_dump(by_alias=True) for row in rows], schema=types)


Label = str | int | float | bool


class ModelInfo(BaseModel):
    """Which model answers: `version` changes whenever the model file does."""

    name: str
    version: str = Field(description="The first 12 hex digits of the model file's md5")
    task: Task
    target: str


class Prediction(BaseModel):
    """The answer for one row; null for a row with no value in any numeric feature.

    The model never learned from such rows (`prepare` leaves them out of training).
    """

    prediction: Label | None = Field(description="The predicted class, or value")
    probabilities: Annotated[
        dict[str, float] | None, Field(description="Each class's probability (classification)")
    ] = None


class PredictionResponse(BaseModel):
    """One prediction per row, in the order of the rows."""

    model: ModelInfo
    predictions: list[Prediction]


class Health(BaseModel):
    """The model being served, and the provenance the pipeline recorded for it.

    The provenance comes from the metadata `evaluate` writes; it is left empty when that
    file is missing or describes another model file.
    """

    status: Literal["ok"] = "ok"
    model: ModelInfo
    git_revision: str | None = None
    trained_at: str | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)


class Problem(BaseModel):
    """One reason a request was refused."""

    loc: list[str | int] = Field(description="Where: body, row or rows (and the row), field")
    msg: str
    type: str


class Refusal(BaseModel):
    """Why a request was refused: a message, or the problems with each field."""

    detail: str | list[Problem]
