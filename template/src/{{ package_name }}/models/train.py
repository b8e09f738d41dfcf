"""Build the scikit-learn pipeline from params and fit it."""

from __future__ import annotations

from typing import Any

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ..config import TrainParams


def build_model(params: TrainParams, numeric: list[str], categorical: list[str]) -> Pipeline:
    """Impute and scale numbers, impute and one-hot encode categories, then a random forest."""
    preprocess = ColumnTransformer(
        [
            (
                "numeric",
                Pipeline(
                    [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
                ),
                numeric,
            ),
            (
                "categorical",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="most_frequent")),
                        ("encode", OneHotEncoder(handle_unknown="ignore")),
                    ]
                ),
                categorical,
            ),
        ]
    )
    forest = RandomForestClassifier(
        n_estimators=params.n_estimators,
        max_depth=params.max_depth,
        min_samples_leaf=params.min_samples_leaf,
        random_state=params.seed,
        n_jobs=1,  # deterministic and polite on shared machines
    )
    return Pipeline([("preprocess", preprocess), ("classify", forest)])


def fit(model: Pipeline, features: Any, target: Any) -> Pipeline:
    """Fit model on an in-memory frame (pandas or polars) and return it."""
    return model.fit(features, target)
