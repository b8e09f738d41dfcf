"""Score rows with a saved model: the one code path for batch files and, later, HTTP."""

from __future__ import annotations

from typing import Any

import narwhals as nw
import numpy as np
import polars as pl

from ..data.validation import usable
from ..errors import PipelineError
from ..features.transforms import build_features
from .persistence import SavedModel

_POSITION = "_position"
# scikit-learn's tree models compute in float32: a larger number, or one a ratio makes
# larger, would become infinity inside the model, which then refuses the whole batch.
LARGEST_NUMBER = float(np.finfo(np.float32).max)
SHOWN_PROBLEMS = 5


def predict(model: SavedModel, features: pl.DataFrame) -> pl.DataFrame:
    """The prediction for each row of model inputs; class probabilities for classification."""
    inputs = features.select(model.features.columns)  # the model reads columns by position
    if inputs.is_empty():  # scikit-learn refuses no rows: the columns of a row of nulls
        return predict(model, inputs.clear(1)).clear()
    if model.task == "regression":
        predicted = pl.Series(model.prediction_column, model.pipeline.predict(inputs))
        return predicted.cast(pl.Float64).to_frame()
    # The likeliest class, as each classifier's own predict takes it: one pass through the
    # pipeline for labels and probabilities, not two.
    probabilities: Any = model.pipeline.predict_proba(inputs)
    labels = model.pipeline.classes_[np.argmax(probabilities, axis=1)]
    predicted = pl.Series(model.prediction_column, labels)
    return pl.DataFrame(
        [
            predicted,
            *(
                pl.Series(f"probability_{label}", probabilities[:, index], pl.Float64)
                for index, label in enumerate(model.pipeline.classes_)
            ),
        ]
    )


def score(model: SavedModel, rows: pl.DataFrame) -> pl.DataFrame:
    """Predictions for raw rows, one per row, in order; null for a row the model cannot score.

    That is a row with no value in any numeric feature (data/validation.py: `usable`):
    `prepare` drops such rows from training, so the model never learned from one, and what
    it would answer is an artefact of how it fills in missing numbers, not a prediction.
    """
    spec = model.features
    features = build_features(nw.from_native(rows.lazy()), spec).to_native().collect()
    features = features.with_row_index(_POSITION)
    usable_rows = features.filter(usable(list(spec.numeric), list(spec.categorical)))
    check_in_range(usable_rows, spec.numeric_columns)
    predictions = predict(model, usable_rows.drop(_POSITION)).with_columns(usable_rows[_POSITION])
    aligned: pl.DataFrame = (
        features.select(_POSITION)
        .join(predictions, on=_POSITION, how="left")
        .sort(_POSITION)
        .drop(_POSITION)
    )
    return aligned


def check_in_range(features: pl.DataFrame, numeric: list[str]) -> None:
    """Refuse numbers the model cannot compute with, naming each row (from 0) and column."""
    problems = [
        f"row {position}: {column} = {value:g}"
        for column in numeric
        for position, value in features.filter(~(pl.col(column).abs() <= LARGEST_NUMBER))
        .select(_POSITION, column)
        .iter_rows()
    ]
    if problems:
        shown = "; ".join(problems[:SHOWN_PROBLEMS])
        if len(problems) > SHOWN_PROBLEMS:
            shown += f" (and {len(problems) - SHOWN_PROBLEMS} more)"
        raise PipelineError(
            f"{shown}: beyond ±{LARGEST_NUMBER:.3g}, the largest number the model "
            "computes with (ratios included); check these values"
        )
