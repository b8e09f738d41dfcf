"""Score rows with a fitted pipeline."""

from __future__ import annotations

from typing import Any

import polars as pl
from sklearn.pipeline import Pipeline

PREDICTION = "predicted_species"


def predict(model: Pipeline, features: pl.DataFrame) -> pl.DataFrame:
    """The predicted class of each row, and the probability of every class."""
    probabilities: Any = model.predict_proba(features)
    classes = [str(label) for label in model.classes_]
    return pl.DataFrame(
        {
            PREDICTION: [classes[i] for i in probabilities.argmax(axis=1)],
            **{f"probability_{label}": probabilities[:, i] for i, label in enumerate(classes)},
        }
    )
