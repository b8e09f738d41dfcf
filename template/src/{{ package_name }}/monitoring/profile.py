"""What the monitor knows of a table: its rows, missing values, categories and a sample.

A table is read as a lazy query, streamed: counts cover every row, and only the sample
(at most `sample_rows` rows, spread over the whole table) is held in memory, so a batch
of any size fits.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..data.split import sample
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


def profile(
    rows: pl.LazyFrame,
    numeric: list[str],
    categorical: list[str],
    sample_rows: int,
    seed: int,
    total: int | None = None,
) -> Profile:
    """Profile the rows, numbered in a ROW column, in one streaming pass.

    The rows are counted first, unless their total is given.
    """
    if total is None:
        total = int(rows.select(pl.len()).collect(engine="streaming").item())
    features = [*numeric, *categorical]
    counts, sampled, *tables = pl.collect_all(
        [
            rows.select(pl.col(name).null_count() for name in features),
            sample(rows, sample_rows / max(total, 1), seed).select(features),
            *(rows.group_by(name).len().drop_nulls(name) for name in categorical),
        ],
        engine="streaming",
    )
    return Profile(
        rows=total,
        missing={name: int(counts[name].item()) for name in features},
        categories={
            name: {str(value): int(rows_of) for value, rows_of in table.iter_rows()}
            for name, table in zip(categorical, tables, strict=True)
        },
        sample=sampled.head(sample_rows),
    )


def predictions(model: SavedModel, table: Profile) -> pl.Series:
    """The model's prediction for each sampled row that has a feature value to go on."""
    return score(model, table.sample)[model.prediction_column].drop_nulls()
