"""Classification metrics, computed from labels and class probabilities."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, roc_auc_score


def classification_metrics(
    truth: Sequence[str], predicted: Sequence[str], probabilities: Any, classes: Sequence[str]
) -> dict[str, float]:
    """Accuracy, balanced accuracy, macro F1 and one-vs-rest ROC AUC, rounded for diffs."""
    scores = {
        "accuracy": accuracy_score(truth, predicted),
        "balanced_accuracy": balanced_accuracy_score(truth, predicted),
        "f1_macro": f1_score(truth, predicted, average="macro"),
    }
    if len(set(truth)) == len(classes) > 1:  # AUC needs every class present in truth
        scores["roc_auc_ovr"] = roc_auc_score(
            truth, probabilities, multi_class="ovr", labels=list(classes)
        )
    return {name: round(float(value), 4) for name, value in scores.items()}


def feature_importance(
    names: Sequence[str], importances: Sequence[float], top: int
) -> dict[str, float]:
    """The `top` most important features, most important first."""
    ranked = sorted(zip(names, importances, strict=True), key=lambda pair: -pair[1])
    return {name: round(float(value), 4) for name, value in ranked[:top]}
