"""The models params.yaml can choose (`train.model`): each a pipeline, encode then learn.

Each model comes with the types its saved file holds beyond skops' defaults: loading
trusts those and nothing else (models/persistence.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from ..config import (
    HistGradientBoostingParams,
    LightGBMParams,
    ModelName,
    RandomForestParams,
    Task,
    TrainParams,
)
from ..features.transforms import FeatureSpec

PREPROCESS = "preprocess"  # the pipeline step that encodes the features
MODEL = "model"  # the pipeline step that learns

# Types beyond skops' defaults that each model's file holds. A file that needs any other
# type was not made by this code and is refused. Review every change to these lists:
# scikit-learn's tree types are not trusted by skops by default because a crafted file can
# hold node indices that crash `predict`. models/integrity.py checks every tree of these
# models before use: a model added here needs its trees checked there too.
# numpy.dtype: what the imputers record of the numbers they saw.
TRUSTED_TYPES: dict[ModelName, list[str]] = {
    "hist_gradient_boosting": [
        "numpy.dtype",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        # How the encoder checks categorical columns: a function, stored by reference.
        "functools.partial",
        "sklearn.utils.validation.check_array",
    ],
    "random_forest": ["numpy.dtype", "sklearn.tree._tree.Tree"],
    "lightgbm": [
        "numpy.dtype",
        "collections.OrderedDict",
        "lightgbm.basic.Booster",
        "lightgbm.sklearn.LGBMClassifier",
        "lightgbm.sklearn.LGBMRegressor",
    ],
}
# Gradient boosting splits on categories directly; more distinct values than this in a
# column are grouped as "infrequent" (the histogram's bins bound it).
MAX_CATEGORIES = 250


def build_model(task: Task, params: TrainParams, features: FeatureSpec) -> Pipeline:
    """The chosen model for the task, with its hyperparameters from params."""
    hyperparameters = params.hyperparameters
    if isinstance(hyperparameters, HistGradientBoostingParams):
        return _hist_gradient_boosting(task, params, hyperparameters, features)
    if isinstance(hyperparameters, RandomForestParams):
        return _random_forest(task, params, hyperparameters, features)
    if isinstance(hyperparameters, LightGBMParams):
        return _lightgbm(task, params, hyperparameters, features)
    raise AssertionError(f"no builder for train.model {params.model}")  # config validates


def _columns(features: FeatureSpec) -> tuple[list[int], list[int]]:
    # Numeric columns first, then categorical; encoding keeps each column's position.
    # Columns by position in `features.columns` order, which is how callers pass them
    # (`frame.select(spec.columns)`): scikit-learn 1.7, the last release for Python 3.10,
    # cannot select polars columns by name.
    numeric_count = len(features.numeric_columns)
    return list(range(numeric_count)), list(range(numeric_count, len(features.columns)))


def _ordinal(features: FeatureSpec) -> ColumnTransformer:
    """Numbers as they are (missing values included); each category as a number."""
    numeric, categorical = _columns(features)
    encode = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,  # a category unseen in training counts as missing
        encoded_missing_value=np.nan,
        max_categories=MAX_CATEGORIES,
    )
    # Numbers as they are, missing values included: filling the missing with "missing"
    # is the identity. ("passthrough" fails on polars frames in scikit-learn 1.7, the last
    # release for Python 3.10.)
    as_they_are = SimpleImputer(strategy="constant", fill_value=np.nan, keep_empty_features=True)
    return ColumnTransformer(
        [("numeric", as_they_are, numeric), ("categorical", encode, categorical)]
    )


def _one_hot(features: FeatureSpec) -> ColumnTransformer:
    """Imputed, scaled numbers; imputed, one-hot encoded categories."""
    numeric, categorical = _columns(features)
    numbers = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    categories = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("encode", OneHotEncoder(handle_unknown="ignore")),
        ]
    )
    return ColumnTransformer(
        [("numeric", numbers, numeric), ("categorical", categories, categorical)]
    )


def _hist_gradient_boosting(
    task: Task, params: TrainParams, chosen: HistGradientBoostingParams, features: FeatureSpec
) -> Pipeline:
    settings: dict[str, Any] = {
        "max_iter": chosen.max_iter,
        "learning_rate": chosen.learning_rate,
        "max_leaf_nodes": chosen.max_leaf_nodes,
        "min_samples_leaf": chosen.min_samples_leaf,
        "l2_regularization": chosen.l2_regularization,
        "categorical_features": _columns(features)[1] or None,
        "random_state": params.seed,
    }
    model = (
        HistGradientBoostingClassifier(class_weight=params.class_weight, **settings)
        if task == "classification"
        else HistGradientBoostingRegressor(**settings)
    )
    return Pipeline([(PREPROCESS, _ordinal(features)), (MODEL, model)])


def _random_forest(
    task: Task, params: TrainParams, chosen: RandomForestParams, features: FeatureSpec
) -> Pipeline:
    settings: dict[str, Any] = {
        "n_estimators": chosen.n_estimators,
        "max_depth": chosen.max_depth,
        "min_samples_leaf": chosen.min_samples_leaf,
        "random_state": params.seed,
    }
    model = (
        RandomForestClassifier(class_weight=params.class_weight, **settings)
        if task == "classification"
        else RandomForestRegressor(**settings)
    )
    return Pipeline([(PREPROCESS, _one_hot(features)), (MODEL, model)])


def _lightgbm(
    task: Task, params: TrainParams, chosen: LightGBMParams, features: FeatureSpec
) -> Pipeline:
    import lightgbm  # imported only when chosen: it loads its own native library

    settings: dict[str, Any] = {
        "n_estimators": chosen.n_estimators,
        "learning_rate": chosen.learning_rate,
        "num_leaves": chosen.num_leaves,
        "min_child_samples": chosen.min_child_samples,
        "random_state": params.seed,
        # The same model for any number of threads (LightGBM's docs: both are needed).
        "deterministic": True,
        "force_row_wise": True,
        "verbose": -1,
    }
    model = (
        lightgbm.LGBMClassifier(class_weight=params.class_weight, **settings)
        if task == "classification"
        else lightgbm.LGBMRegressor(**settings)
    )
    return Pipeline([(PREPROCESS, _ordinal(features)), (MODEL, model)])
