"""What the pipeline reads from the data contract in data/schema.py, checked once.

The schema is the one place a team describes its data; this module derives the rest
(feature columns and their kinds, the target) and says clearly when the schema and
params.yaml disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandera.polars as pa
import polars as pl

from ..config import Task
from ..errors import PipelineError
from . import schema


class ContractError(PipelineError):
    """data/schema.py contradicts itself or params.yaml: the message says what to change."""


@dataclass(frozen=True)
class Contract:
    """The raw rows' schema, the model's input schema, the target and the task."""

    raw: pa.DataFrameSchema
    features: pa.DataFrameSchema
    target: str
    task: Task

    @property
    def feature_names(self) -> list[str]:
        """The model's input columns, in schema order."""
        return list(self.features.columns)

    def numeric_features(self, exclude: tuple[str, ...] = ()) -> list[str]:
        """Input columns holding numbers (scaled by the model), less those excluded."""
        return [name for name in self.feature_names if name not in exclude and self._numeric(name)]

    def categorical_features(self, exclude: tuple[str, ...] = ()) -> list[str]:
        """Input columns holding anything else (one-hot encoded), less those excluded."""
        return [
            name for name in self.feature_names if name not in exclude and not self._numeric(name)
        ]

    def _numeric(self, name: str) -> bool:
        return is_numeric(self.features.columns[name].dtype.type)


def is_numeric(dtype: Any) -> bool:
    """Whether a polars data type (class or instance) holds numbers; booleans do not."""
    return bool(dtype.is_numeric())


def load_contract(
    task: Task,
    raw: type[pa.DataFrameModel] = schema.RawRow,
    features: type[pa.DataFrameModel] = schema.Features,
    target: str = schema.TARGET,
) -> Contract:
    """The project's contract, checked against the task params.yaml asks for."""
    contract = Contract(raw.to_schema(), features.to_schema(), target, task)
    where = "src/<package>/data/schema.py"
    if target not in contract.raw.columns:
        raise ContractError(
            f"{where}: TARGET is {target!r}, which is not a column of the raw rows "
            f"({', '.join(contract.raw.columns)}); declare it there or fix TARGET"
        )
    if target in contract.features.columns:
        raise ContractError(
            f"{where}: the target {target!r} is also a feature; move it out of Features"
        )
    if not contract.feature_names:
        raise ContractError(f"{where}: Features declares no column; the model needs at least one")
    missing = [name for name in contract.feature_names if name not in contract.raw.columns]
    if missing:
        raise ContractError(f"{where}: features {missing} are not columns of the raw rows")
    target_type = contract.raw.columns[target].dtype.type
    if task == "regression" and not is_numeric(target_type):
        raise ContractError(
            f"params.yaml asks for regression, but the target {target!r} holds {target_type}, "
            "not numbers: pick a numeric TARGET in data/schema.py, or set "
            "data.task: classification"
        )
    if task == "classification" and target_type in (pl.Float32, pl.Float64):
        raise ContractError(
            f"params.yaml asks for classification, but the target {target!r} holds "
            f"{target_type}: continuous values are not classes. Set data.task: regression, "
            "or declare the target as int or str in data/schema.py"
        )
    return contract
