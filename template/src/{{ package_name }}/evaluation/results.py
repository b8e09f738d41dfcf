"""A model's results on held-out rows: metrics and figures for its task."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from matplotlib.figure import Figure

from ..models.persistence import SavedModel
from ..models.predict import predict
from .figures import (
    confusion_matrix_figure,
    feature_importance_figure,
    predicted_vs_actual_figure,
    residuals_figure,
    roc_curves_figure,
)
from .importance import permutation_importances
from .metrics import classification_metrics, regression_metrics, top_features


@dataclass(frozen=True)
class Results:
    """Metrics (name -> value) and figures (file name -> figure) of one evaluation.

    For regression, also the predictions' deciles: the service's histogram of predicted
    values is bucketed on them.
    """

    metrics: dict[str, float]
    figures: dict[str, Figure]
    prediction_deciles: list[float] = field(default_factory=list)


def evaluate(model: SavedModel, rows: pl.DataFrame, top: int) -> Results:
    """Score rows (model inputs and the target) and measure the predictions."""
    scored = predict(model, rows.select(model.features.columns))
    truth = rows[model.target].to_list()
    predicted = scored[model.prediction_column].to_list()
    metrics = task_metrics(model, truth, scored)
    importances = permutation_importances(model, rows)
    importance = feature_importance_figure(
        top_features(importances, top), "accuracy" if model.task == "classification" else "R²"
    )
    if model.task == "regression":
        return Results(
            metrics,
            {
                "predicted_vs_actual.png": predicted_vs_actual_figure(truth, predicted),
                "residuals.png": residuals_figure(truth, predicted),
                "feature_importance.png": importance,
            },
            [round(float(q), 6) for q in np.quantile(predicted, np.linspace(0.1, 0.9, 9))],
        )
    classes = list(model.pipeline.classes_)
    probabilities = scored.drop(model.prediction_column).to_numpy()
    return Results(
        metrics,
        {
            "confusion_matrix.png": confusion_matrix_figure(truth, predicted),
            "roc_curves.png": roc_curves_figure(truth, probabilities, classes),
            "feature_importance.png": importance,
        },
    )


def task_metrics(model: SavedModel, truth: list[Any], scored: pl.DataFrame) -> dict[str, float]:
    """The task's metrics of predictions (`predict`'s or `score`'s columns) against the truth."""
    predicted = scored[model.prediction_column].to_list()
    if model.task == "regression":
        return regression_metrics(truth, predicted)
    probabilities = scored.drop(model.prediction_column).to_numpy()
    return classification_metrics(truth, predicted, probabilities, list(model.pipeline.classes_))
