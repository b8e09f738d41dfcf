"""Which features the model relies on: how much its score falls when one is shuffled."""

from __future__ import annotations

import polars as pl

from ..models.persistence import SavedModel

SAMPLE_ROWS = 5_000  # rows scored per shuffle: enough to rank features, cheap on big splits
REPEATS = 5  # shuffles per feature, averaged
SEED = 0  # the same rows and shuffles every run, so the figure changes only with the model


def permutation_importances(model: SavedModel, rows: pl.DataFrame) -> dict[str, float]:
    """Each input feature's mean drop in the model's score (accuracy or R²) when shuffled.

    Works for every model alike, on the features as the data contract names them (not
    their encodings), on held-out rows.
    """
    sample = rows.sample(n=SAMPLE_ROWS, seed=SEED) if rows.height > SAMPLE_ROWS else rows
    inputs = sample.select(model.features.columns)
    truth = sample[model.target].to_numpy()
    baseline = model.pipeline.score(inputs, truth)
    importances = {}
    for column in model.features.columns:
        drops = [
            baseline
            - model.pipeline.score(
                inputs.with_columns(inputs[column].shuffle(seed=SEED + repeat)), truth
            )
            for repeat in range(REPEATS)
        ]
        importances[column] = sum(drops) / REPEATS
    return importances
