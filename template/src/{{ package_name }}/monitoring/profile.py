"""What the monitor knows of a table: its rows, missing values, categories and a sample.

A table is read as a lazy query, streamed: counts cover every row, and only the sample
(at most `sample_rows` rows, spread over the whole table) is held in memory, so a batch
of any size fits.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..data.split import sample
from ..data.validation import ROWS
from ..models.persistence import SavedModel
from ..models.predict import score


@dataclass(frozen=True)
class Profile:
    """A table's rows, per feature its missing values and categories, and a sample."""

    rows: int
    missing: dict[str, int]  # feature: rows without a value
    categories: dict[str, dict[str, int]]  # categorical feature: value -> rows
    sample: pl.DataFrame  # every feature column, for numbers and predictions

    def missing_share(self, feature: str) -> float:
        """The share of rows without a value for the feature."""
        return self.missing[feature] / self.rows if self.rows else 0.0

    def numbers(self, feature: str) -> pl.Series:
        """The sample's values of a numeric feature, missing ones left out."""
        return self.sample[feature].drop_nulls().cast(pl.Float64)


def missing_counts(features: list[str]) -> list[pl.Expr]:
    """Aggregations counting each feature's missing values, as `profile` reads them.

    Taken beside the rows' count (ROWS) in another pass over the same rows (the check
    against the contract), they save `profile` a pass.
    """
    return [pl.col(name).null_count().alias(name) for name in features]


def profile(
    rows: pl.LazyFrame,
    numeric: list[str],
    categorical: list[str],
    sample_rows: int,
    seed: int,
    counted: pl.DataFrame | None = None,
) -> Profile:
    """Profile the rows, numbered in a ROW column, in streaming passes.

    One pass counts (unless the rows were `counted` already: ROWS and `missing_counts`),
    one samples, one counts the categories by their combinations. The passes run one
    after another: queries collected together share their rows by holding them in memory.
    """
    features = [*numeric, *categorical]
    if counted is None:
        counting = [pl.len().alias(ROWS), *missing_counts(features)]
        counted = rows.select(counting).collect(engine="streaming")
    total = int(counted[ROWS].item())
    sampled = sample(rows, sample_rows / max(total, 1), seed).select(features)
    categories: dict[str, dict[str, int]] = {}
    if categorical:
        combinations = rows.group_by(categorical).len().collect(engine="streaming")
        categories = _per_feature(combinations, categorical)
    return Profile(
        rows=total,
        missing={name: int(counted[name].item()) for name in features},
        categories=categories,
        sample=sampled.collect(engine="streaming").head(sample_rows),
    )


def _per_feature(combinations: pl.DataFrame, categorical: list[str]) -> dict[str, dict[str, int]]:
    """Each categorical feature's rows per value, from rows per combination of values."""
    return {
        name: {
            str(value): int(rows)
            for value, rows in combinations.group_by(name).agg(pl.col("len").sum()).iter_rows()
            if value is not None
        }
        for name in categorical
    }


def predictions(model: SavedModel, table: Profile) -> pl.Series:
    """The model's prediction for each sampled row that has a feature value to go on."""
    return score(model, table.sample)[model.prediction_column].drop_nulls()
