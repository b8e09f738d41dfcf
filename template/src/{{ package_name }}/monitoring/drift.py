"""Drift scores: how far a batch's distribution of a feature is from the reference's.

Every score is a distance (0: the same distribution), so a feature drifts when its score
reaches the threshold params.yaml sets for its kind. Numbers are compared on samples,
categories on their counts over every row (a new category is never missed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import stats
from scipy.spatial import distance

from ..config import MonitorParams
from .profile import Profile

NumericTest = Literal["wasserstein", "ks", "psi"]
CategoricalTest = Literal["jensen_shannon", "psi"]
Numbers = npt.NDArray[np.float64]
# PSI's bins: the reference's deciles. Empty bins get this share, so the log is finite.
PSI_BINS = 10
PSI_FLOOR = 1e-4
NEW_CATEGORIES_SHOWN = 10


@dataclass(frozen=True)
class Drift:
    """One feature's verdict: its score by a test, against a threshold, and its missing share."""

    test: str
    score: float
    threshold: float
    missing: tuple[float, float]  # share of missing values: reference, batch
    missing_threshold: float
    new_categories: dict[str, int] = field(default_factory=dict)  # the first few: rows
    new_category_rows: int = 0  # rows holding a category the reference never had

    @property
    def shifted(self) -> bool:
        """Whether the values' distribution moved as far as the threshold."""
        return self.score >= self.threshold

    @property
    def missing_moved(self) -> bool:
        """Whether the share of missing values moved as far as its threshold."""
        return abs(self.missing[1] - self.missing[0]) >= self.missing_threshold

    @property
    def drift(self) -> bool:
        """Whether either moved: the verdict."""
        return self.shifted or self.missing_moved


def numeric_score(test: NumericTest, reference: Numbers, batch: Numbers) -> float:
    """Distance between two samples of numbers (missing values left out)."""
    if test == "ks":  # the largest gap between the two cumulative distributions
        return float(stats.ks_2samp(reference, batch).statistic)
    if test == "psi":
        edges = np.unique(np.quantile(reference, np.linspace(0, 1, PSI_BINS + 1)[1:-1]))
        bins = np.concatenate(([-np.inf], edges, [np.inf]))
        expected = np.histogram(reference, bins)[0] / len(reference)
        actual = np.histogram(batch, bins)[0] / len(batch)
        return psi(expected, actual)
    # Wasserstein: how far values had to move, in standard deviations of the reference.
    spread = float(np.std(reference)) or 1.0
    return float(stats.wasserstein_distance(reference, batch)) / spread


def categorical_score(
    test: CategoricalTest, reference: Mapping[str, int], batch: Mapping[str, int]
) -> float:
    """Distance between two count tables of categories (a category missing from one is 0)."""
    labels = sorted({*reference, *batch})
    expected = np.array([reference.get(label, 0) for label in labels], dtype=float)
    actual = np.array([batch.get(label, 0) for label in labels], dtype=float)
    expected, actual = expected / expected.sum(), actual / actual.sum()
    if test == "psi":
        return psi(expected, actual)
    return float(distance.jensenshannon(expected, actual, base=2))


def psi(expected: Numbers, actual: Numbers) -> float:
    """Population stability index of two share vectors over the same bins."""
    expected, actual = np.maximum(expected, PSI_FLOOR), np.maximum(actual, PSI_FLOOR)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def new_categories(reference: Mapping[str, int], batch: Mapping[str, int]) -> dict[str, int]:
    """The batch's categories the reference never had, most rows first, with their rows."""
    unseen = sorted(
        ((label, rows) for label, rows in batch.items() if label not in reference),
        key=lambda item: (-item[1], item[0]),
    )
    return dict(unseen[:NEW_CATEGORIES_SHOWN])


def feature_drift(
    reference: Profile, batch: Profile, numeric: list[str], settings: MonitorParams
) -> dict[str, Drift]:
    """Each feature's drift: numbers by settings.numeric_test, the rest by the categorical."""
    found = {}
    for name in reference.missing:
        missing = (reference.missing_share(name), batch.missing_share(name))
        if name in numeric:
            values = reference.numbers(name).to_numpy(), batch.numbers(name).to_numpy()
            scored = numeric_score(settings.numeric_test, *values) if all(map(len, values)) else 0
            found[name] = Drift(
                settings.numeric_test,
                scored,
                settings.numeric_threshold,
                missing,
                settings.missing_threshold,
            )
            continue
        seen, now = reference.categories[name], batch.categories[name]
        unseen = {label: rows for label, rows in now.items() if label not in seen}
        found[name] = Drift(
            settings.categorical_test,
            categorical_score(settings.categorical_test, seen, now) if seen and now else 0.0,
            settings.categorical_threshold,
            missing,
            settings.missing_threshold,
            new_categories(seen, now),
            sum(unseen.values()),
        )
    return found


def prediction_drift(
    reference: pl.Series, batch: pl.Series, classes: bool, settings: MonitorParams
) -> Drift:
    """Drift of the model's predictions: class shares, or the numbers it predicts."""
    test: str
    if classes:
        score = categorical_score(settings.categorical_test, _counts(reference), _counts(batch))
        test, threshold = settings.categorical_test, settings.categorical_threshold
    else:
        score = numeric_score(settings.numeric_test, reference.to_numpy(), batch.to_numpy())
        test, threshold = settings.numeric_test, settings.numeric_threshold
    return Drift(test, score, threshold, (0.0, 0.0), 1.0)


def _counts(labels: pl.Series) -> dict[str, int]:
    return {str(label): int(rows) for label, rows in labels.value_counts().iter_rows()}
