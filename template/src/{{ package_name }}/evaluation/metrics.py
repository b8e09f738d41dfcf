"""Metrics for each task, computed from the truth and the model's predictions."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    mean_absolute_error,
    precision_recall_fscore_support,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

DIGITS = 4  # metrics are rounded, so diffs show real changes, not float noise


def classification_metrics(
    truth: Sequence[Any], predicted: Sequence[Any], probabilities: Any, classes: Sequence[Any]
) -> dict[str, float]:
    """Accuracy, balanced accuracy, macro F1, ROC AUC, and precision and recall per class.

    ROC AUC is one-vs-rest; per class: `precision_<class>` and `recall_<class>`. With two
    classes, `average_precision` scores the second (positive) class's probabilities.
    """
    scores = {
        "accuracy": accuracy_score(truth, predicted),
        "balanced_accuracy": balanced_accuracy_score(truth, predicted),
        "f1_macro": f1_score(truth, predicted, average="macro"),
    }
    precision, recall, _, _ = precision_recall_fscore_support(
        truth, predicted, labels=list(classes), zero_division=0
    )
    for label, class_precision, class_recall in zip(classes, precision, recall, strict=True):
        scores[f"precision_{metric_label(label)}"] = class_precision
        scores[f"recall_{metric_label(label)}"] = class_recall
    if len(set(truth)) == len(classes) > 1:  # AUC needs every class present in truth
        if len(classes) == 2:  # binary: the positive class's probability
            scores["roc_auc_ovr"] = roc_auc_score(truth, probabilities[:, 1])
            positive = [value == classes[1] for value in truth]
            scores["average_precision"] = average_precision_score(positive, probabilities[:, 1])
        else:
            scores["roc_auc_ovr"] = roc_auc_score(
                truth, probabilities, multi_class="ovr", labels=list(classes)
            )
    return {name: round(float(value), DIGITS) for name, value in scores.items()}


def metric_label(label: Any) -> str:
    """A class label as part of a metric's name: letters, digits, `_` and `-` only."""
    return re.sub(r"[^\w-]", "_", str(label))


def regression_metrics(truth: Sequence[float], predicted: Sequence[float]) -> dict[str, float]:
    """Root mean squared error, mean absolute error (the target's units) and R²."""
    scores = {
        "rmse": root_mean_squared_error(truth, predicted),
        "mae": mean_absolute_error(truth, predicted),
        "r2": r2_score(truth, predicted),
    }
    return {name: round(float(value), DIGITS) for name, value in scores.items()}


def top_features(importances: Mapping[str, float], top: int) -> dict[str, float]:
    """The `top` most important features, most important first."""
    ranked = sorted(importances.items(), key=lambda pair: -pair[1])
    return {name: round(float(value), DIGITS) for name, value in ranked[:top]}
