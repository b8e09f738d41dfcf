"""Feature transforms: pure functions from a lazy frame to a lazy frame.

They use narwhals, so the same code runs on Polars (streaming, on one machine) or on a
Dask or DuckDB frame: wrap any frame narwhals supports with `narwhals.from_native`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import narwhals as nw

from ..config import FeaturizeParams
from ..data.contract import Contract
from ..errors import PipelineError


class FeatureError(PipelineError):
    """params.yaml's featurize section names columns the data contract does not have."""


@dataclass(frozen=True)
class FeatureSpec:
    """The model's inputs: numeric and categorical columns, and ratios derived from them.

    Saved with the model, so a model always scores with the features it was trained on.
    """

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    ratios: tuple[tuple[str, str, str], ...] = ()  # (name, numerator, denominator)

    @property
    def inputs(self) -> list[str]:
        """The raw columns the features are computed from."""
        operands = [column for _, *pair in self.ratios for column in pair]
        return list(dict.fromkeys([*self.numeric, *operands, *self.categorical]))

    @property
    def numeric_columns(self) -> list[str]:
        """The model's numeric columns: the numeric inputs, then the ratios."""
        return [*self.numeric, *(name for name, _, _ in self.ratios)]

    @property
    def columns(self) -> list[str]:
        """Every column the model sees, in order."""
        return [*self.numeric_columns, *self.categorical]

    def to_dict(self) -> dict[str, Any]:
        """Plain lists, as saved inside the model file."""
        return {
            "numeric": list(self.numeric),
            "categorical": list(self.categorical),
            "ratios": [list(ratio) for ratio in self.ratios],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureSpec:
        """The spec saved by to_dict."""
        return cls(
            tuple(data["numeric"]),
            tuple(data["categorical"]),
            tuple((name, top, bottom) for name, top, bottom in data["ratios"]),
        )


def feature_spec(contract: Contract, params: FeaturizeParams) -> FeatureSpec:
    """The features params.yaml asks for, checked against the data contract."""
    features = contract.feature_names
    unknown = [name for name in params.exclude if name not in features]
    if unknown:
        raise FeatureError(
            f"params.yaml: featurize.exclude names {unknown}, which are not features in "
            f"data/schema.py (features: {', '.join(features)})"
        )
    numeric = contract.numeric_features()
    for name, operands in params.ratios.items():
        if name in contract.raw.columns:
            raise FeatureError(
                f"params.yaml: featurize.ratios.{name} would replace the column {name!r}; "
                "give the ratio another name"
            )
        if bad := [column for column in operands if column not in numeric]:
            raise FeatureError(
                f"params.yaml: featurize.ratios.{name} divides {bad}, which are not numeric "
                f"features in data/schema.py (numeric features: {', '.join(numeric) or 'none'})"
            )
    return FeatureSpec(
        tuple(contract.numeric_features(params.exclude)),
        tuple(contract.categorical_features(params.exclude)),
        tuple((name, top, bottom) for name, (top, bottom) in params.ratios.items()),
    )


def add_ratios(
    frame: nw.LazyFrame[Any], ratios: tuple[tuple[str, str, str], ...]
) -> nw.LazyFrame[Any]:
    """Add each ratio; a missing or zero denominator gives a missing value."""
    if not ratios:
        return frame
    return frame.with_columns(
        nw.when(nw.col(bottom) != 0).then(nw.col(top) / nw.col(bottom)).alias(name)
        for name, top, bottom in ratios
    )


def build_features(
    frame: nw.LazyFrame[Any], spec: FeatureSpec, keep: tuple[str, ...] = ()
) -> nw.LazyFrame[Any]:
    """The model's inputs with stable types and order, plus `keep` columns (e.g. the target)."""
    return add_ratios(frame, spec.ratios).select(
        *(nw.col(name).cast(nw.Float64) for name in spec.numeric_columns),
        *(nw.col(name).cast(nw.String) for name in spec.categorical),
        *(nw.col(name) for name in keep),
    )
