"""Feature transforms: pure functions from a lazy frame to a lazy frame.

They use narwhals, so the same code runs on Polars (streaming, on one machine) or on a
Dask or DuckDB frame: wrap any frame narwhals supports with `narwhals.from_native`.
"""

from __future__ import annotations

from typing import Any

import narwhals as nw

from ..config import FeaturizeParams

# Derived features: name -> (numerator, denominator).
RATIOS = {
    "bill_length_to_depth": ("bill_length_mm", "bill_depth_mm"),
    "body_mass_per_flipper_mm": ("body_mass_g", "flipper_length_mm"),
}


def add_ratios(frame: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """Add each ratio in RATIOS; a missing or zero denominator gives a missing value."""
    return frame.with_columns(
        nw.when(nw.col(denominator) != 0).then(nw.col(numerator) / nw.col(denominator)).alias(name)
        for name, (numerator, denominator) in RATIOS.items()
    )


def numeric_columns(params: FeaturizeParams) -> list[str]:
    """The model's numeric inputs: measurements, then derived ratios."""
    return [*params.numeric, *(RATIOS if params.add_ratios else ())]


def build_features(
    frame: nw.LazyFrame[Any], params: FeaturizeParams, keep: tuple[str, ...] = ()
) -> nw.LazyFrame[Any]:
    """The model's inputs with stable types and order, plus `keep` columns (e.g. the target)."""
    if params.add_ratios:
        frame = add_ratios(frame)
    return frame.select(
        *(nw.col(name).cast(nw.Float64) for name in numeric_columns(params)),
        *(nw.col(name).cast(nw.String) for name in params.categorical),
        *(nw.col(name) for name in keep),
    )
