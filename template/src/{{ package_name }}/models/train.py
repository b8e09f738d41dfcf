"""Fit the chosen model on every allowed core, reporting progress as it goes."""

from __future__ import annotations

import contextlib
import io
import os
import re
import warnings
from collections.abc import Callable
from typing import Any

from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from .estimators import MODEL, PREPROCESS

# Called with (units done, units in all) as training goes: trees or boosting rounds.
Progress = Callable[[int, int], None]
# A random forest is grown in this many steps, so progress can be told between them;
# the trees and their random draws are the same as in one step.
FOREST_STEPS = 20


def cores(n_jobs: int) -> int:
    """The number of cores `n_jobs` asks for: -1 is every core this process may use."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    available = available or os.cpu_count() or 1
    return available if n_jobs == -1 else min(n_jobs, available)


def fit(
    model: Pipeline,
    features: Any,
    target: Any,
    *,
    n_jobs: int = 1,
    progress: Progress | None = None,
) -> Pipeline:
    """Fit model on an in-memory frame (pandas or polars) on n_jobs cores and return it.

    The frame holds the model's columns in `FeatureSpec.columns` order, as `predict` gets
    them. The fitted model is the same for any n_jobs and with or without progress.
    """
    learner = model.named_steps[MODEL]
    threads = cores(n_jobs)
    report = progress or (lambda done, total: None)
    with threadpool_limits(limits=threads):  # OpenMP and BLAS: what boosting runs on
        if isinstance(learner, RandomForestClassifier | RandomForestRegressor):
            return _fit_forest(model, features, target, threads, report)
        if isinstance(learner, HistGradientBoostingClassifier | HistGradientBoostingRegressor):
            return _fit_boosting(model, features, target, report)
        return _fit_lightgbm(model, features, target, report)


def _fit_forest(
    model: Pipeline, features: Any, target: Any, threads: int, report: Progress
) -> Pipeline:
    forest = model.named_steps[MODEL]
    total = forest.n_estimators
    encoded = model[:-1].fit_transform(features, target)
    forest.set_params(n_jobs=threads, warm_start=True)
    with warnings.catch_warnings():
        # Each step sees the same rows, so "balanced" class weights are the same in each.
        warnings.filterwarnings("ignore", "class_weight presets", UserWarning)
        for step in range(1, FOREST_STEPS + 1):
            grown = max(1, total * step // FOREST_STEPS)
            if grown > len(getattr(forest, "estimators_", [])):
                forest.set_params(n_estimators=grown).fit(encoded, target)
            report(grown, total)
    # Saved as if grown in one step: the file does not depend on how it was trained.
    forest.set_params(n_jobs=None, warm_start=False)
    return model


_ROUND = re.compile(r"\[(\d+)/(\d+)\]")


class _RoundWatcher(io.TextIOBase):
    """Reads scikit-learn's boosting log (verbose=2, "[k/N] ...") as progress."""

    def __init__(self, report: Progress) -> None:
        self.report = report

    def write(self, text: str) -> int:
        for done, total in _ROUND.findall(text):
            self.report(int(done), int(total))
        return len(text)


def _fit_boosting(model: Pipeline, features: Any, target: Any, report: Progress) -> Pipeline:
    boosting = model.named_steps[MODEL]
    boosting.set_params(verbose=2)
    try:
        with contextlib.redirect_stdout(_RoundWatcher(report)):
            model.fit(features, target)
    finally:
        boosting.set_params(verbose=0)
    # The binner keeps the thread count it ran with; scoring picks its own (None: all).
    boosting._bin_mapper.n_threads = None
    report(boosting.n_iter_, boosting.n_iter_)  # early stopping may end before max_iter
    return model


def _fit_lightgbm(model: Pipeline, features: Any, target: Any, report: Progress) -> Pipeline:
    # Cores bounded by the caller's thread pool limits: a thread count passed to LightGBM
    # itself would be saved in the model and make the file differ from core to core.
    def each_round(env: Any) -> None:
        report(env.iteration + 1, env.end_iteration)

    return model.fit(features, target, **fit_params(model), **{f"{MODEL}__callbacks": [each_round]})


def fit_params(model: Pipeline) -> dict[str, Any]:
    """What the model's fit needs beside the rows: LightGBM, which columns are categories."""
    if type(model.named_steps[MODEL]).__module__.startswith("lightgbm"):
        return {f"{MODEL}__categorical_feature": _categorical_inputs(model) or "auto"}
    return {}


def _categorical_inputs(model: Pipeline) -> list[int]:
    """Positions of the categorical columns: the encoder keeps each column's place."""
    transformers = model.named_steps[PREPROCESS].transformers
    return next(list(columns) for name, _, columns in transformers if name == "categorical")
