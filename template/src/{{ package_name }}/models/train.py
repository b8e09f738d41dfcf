"""Build the scikit-learn pipeline for the task from params, fit it, and read what it learned."""

from __future__ import annotations

from typing import Any

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ..config import Task, TrainParams
from ..features.transforms import FeatureSpec

ESTIMATOR = "forest"  # the pipeline step that holds the random forest


def build_model(task: Task, params: TrainParams, features: FeatureSpec) -> Pipeline:
    """Impute and scale numbers, impute and one-hot encode categories, then a random forest."""
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("encode", OneHotEncoder(handle_unknown="ignore")),
        ]
    )
    # Columns by position in `features.columns` order, which is how callers pass them
    # (`frame.select(spec.columns)`): scikit-learn 1.7, the last release for Python 3.10,
    # cannot select polars columns by name.
    numeric_count = len(features.numeric_columns)
    preprocess = ColumnTransformer(
        [
            ("numeric", numeric, list(range(numeric_count))),
            ("categorical", categorical, list(range(numeric_count, len(features.columns)))),
        ]
    )
    forest_type = RandomForestClassifier if task == "classification" else RandomForestRegressor
    forest = forest_type(
        n_estimators=params.n_estimators,
        max_depth=params.max_depth,
        min_samples_leaf=params.min_samples_leaf,
        random_state=params.seed,
        n_jobs=1,  # deterministic and polite on shared machines
    )
    return Pipeline([("preprocess", preprocess), (ESTIMATOR, forest)])


def fit(model: Pipeline, features: Any, target: Any) -> Pipeline:
    """Fit model on an in-memory frame (pandas or polars) and return it.

    The frame holds the model's columns in `FeatureSpec.columns` order, as `predict` gets them.
    """
    return model.fit(features, target)


def feature_importances(model: Pipeline, features: FeatureSpec) -> dict[str, float]:
    """Each encoded feature's mean decrease in impurity, as the fitted forest reports it."""
    # The input names come from the spec: scikit-learn 1.7 does not read them from polars.
    preprocess = model.named_steps["preprocess"]
    names = [str(name) for name in preprocess.get_feature_names_out(features.columns)]
    values = model.named_steps[ESTIMATOR].feature_importances_
    return {name: float(value) for name, value in zip(names, values, strict=True)}
