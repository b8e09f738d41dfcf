"""PNG figures for people: confusion matrix, per-class ROC curves, feature importance.

Figures are built with matplotlib's object API (no pyplot), so no display is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay


def confusion_matrix_figure(truth: Sequence[str], predicted: Sequence[str]) -> Figure:
    """Counts of each true class (rows) against each predicted class (columns)."""
    figure = Figure(figsize=(5, 4), layout="constrained")
    axes = figure.add_subplot()
    ConfusionMatrixDisplay.from_predictions(truth, predicted, ax=axes, colorbar=False)
    axes.set_title("Confusion matrix (test split)")
    return figure


def roc_curves_figure(truth: Sequence[str], probabilities: Any, classes: Sequence[str]) -> Figure:
    """One ROC curve per class, one-vs-rest."""
    figure = Figure(figsize=(5, 4), layout="constrained")
    axes = figure.add_subplot()
    for index, label in enumerate(classes):
        positives = [value == label for value in truth]
        RocCurveDisplay.from_predictions(positives, probabilities[:, index], name=label, ax=axes)
    axes.set_title("ROC curves, one class vs the rest (test split)")
    return figure


def feature_importance_figure(importance: dict[str, float]) -> Figure:
    """Horizontal bars, most important feature on top."""
    figure = Figure(figsize=(6, 0.4 * len(importance) + 1.2), layout="constrained")
    axes = figure.add_subplot()
    names = list(importance)[::-1]
    axes.barh(names, [importance[name] for name in names])
    axes.set_xlabel("mean decrease in impurity")
    axes.set_title("Feature importance")
    return figure
