"""PNG figures for people: per task, how the predictions compare with the truth.

Figures are built with matplotlib's object API (no pyplot), so no display is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from sklearn.metrics import ConfusionMatrixDisplay, PredictionErrorDisplay, RocCurveDisplay

ErrorKind = Literal["actual_vs_predicted", "residual_vs_predicted"]


def confusion_matrix_figure(truth: Sequence[Any], predicted: Sequence[Any]) -> Figure:
    """Counts of each true class (rows) against each predicted class (columns)."""
    figure = Figure(figsize=(5, 4), layout="constrained")
    axes = figure.add_subplot()
    ConfusionMatrixDisplay.from_predictions(truth, predicted, ax=axes, colorbar=False)
    axes.set_title("Confusion matrix (test split)")
    return figure


def roc_curves_figure(truth: Sequence[Any], probabilities: Any, classes: Sequence[Any]) -> Figure:
    """One ROC curve per class, one-vs-rest; classes absent from the truth are left out."""
    figure = Figure(figsize=(5, 4), layout="constrained")
    axes = figure.add_subplot()
    for index, label in enumerate(classes):
        positives = [value == label for value in truth]
        if any(positives) and not all(positives):
            RocCurveDisplay.from_predictions(
                positives, probabilities[:, index], name=str(label), ax=axes
            )
    # scikit-learn's labels name a positive label (True): here each curve has its own class.
    axes.set_xlabel("False positive rate (rows of other classes taken for the class)")
    axes.set_ylabel("True positive rate (rows of the class found)")
    axes.set_title("ROC curves, one class vs the rest (test split)")
    return figure


def predicted_vs_actual_figure(truth: Sequence[float], predicted: Sequence[float]) -> Figure:
    """Each prediction against its true value; perfect predictions lie on the diagonal."""
    return _prediction_errors(truth, predicted, "actual_vs_predicted", "Predicted against actual")


def residuals_figure(truth: Sequence[float], predicted: Sequence[float]) -> Figure:
    """Each residual (actual - predicted) against the prediction; no pattern is good."""
    return _prediction_errors(
        truth, predicted, "residual_vs_predicted", "Residuals against predicted"
    )


def _prediction_errors(
    truth: Sequence[float], predicted: Sequence[float], kind: ErrorKind, title: str
) -> Figure:
    figure = Figure(figsize=(5, 4), layout="constrained")
    axes = figure.add_subplot()
    PredictionErrorDisplay.from_predictions(
        np.asarray(truth, float),
        np.asarray(predicted, float),
        kind=kind,
        random_state=0,  # large test splits show the same 1,000 points every run
        ax=axes,
    )
    axes.set_title(f"{title} (test split)")
    return figure


def feature_importance_figure(importance: dict[str, float], score: str) -> Figure:
    """Horizontal bars, most important feature on top: the score lost when shuffled."""
    figure = Figure(figsize=(6, 0.4 * len(importance) + 1.2), layout="constrained")
    axes = figure.add_subplot()
    names = list(importance)[::-1]
    axes.barh(names, [importance[name] for name in names])
    axes.set_xlabel(f"drop in {score} when the feature is shuffled (test split)")
    axes.set_title("Feature importance")
    return figure


def optimisation_history_figure(scores: Sequence[float], metric: str) -> Figure:
    """Each trial's cross-validated score, in the order they ran, and the best so far."""
    figure = Figure(figsize=(6, 4), layout="constrained")
    axes = figure.add_subplot()
    trials = range(1, len(scores) + 1)
    axes.scatter(trials, scores, s=14, label="trial")
    axes.step(
        trials, np.maximum.accumulate(np.asarray(scores, float)), where="post", label="best so far"
    )
    axes.set_xlabel("trial")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel(f"{metric} (cross-validated, train split)")
    axes.set_title("Tuning history")
    axes.legend()
    return figure
