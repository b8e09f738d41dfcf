"""Search the chosen model's hyperparameters with Optuna, scored by cross-validation.

Only the rows given (the train split) are seen: each trial fits on all folds but one
and scores on the one left out. Trials run one after another with a seeded sampler, so
a seed gives the same study on any machine; each trial's folds run in parallel, one per
core, each model on one thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_args

import optuna
from sklearn.metrics import get_scorer_names
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

from ..config import MODEL_PARAMS, SearchRange, Task, TrainParams, TuneParams
from ..errors import PipelineError
from ..features.transforms import FeatureSpec
from .estimators import MODEL, build_model
from .train import cores, fit_params


class TuningError(PipelineError):
    """The tune section cannot search the chosen model: the message names the key."""


@dataclass(frozen=True)
class Trial:
    """One finished trial: its number (from 1), hyperparameters, cross-validated score, time."""

    number: int
    params: dict[str, Any]
    score: float
    seconds: float


@dataclass(frozen=True)
class Study:
    """Every trial, in the order they ran, and the best one."""

    metric: str
    trials: list[Trial]

    @property
    def best(self) -> Trial:
        """The trial with the highest score (the first of equals)."""
        return max(self.trials, key=lambda trial: trial.score)


# What a study maximises when tune.metric is null.
DEFAULT_METRIC: dict[Task, str] = {"classification": "balanced_accuracy", "regression": "r2"}


def metric(task: Task, tune: TuneParams) -> str:
    """The scorer a study maximises: tune.metric, else the task's default."""
    return tune.metric or DEFAULT_METRIC[task]


def search_space(task: Task, train: TrainParams, tune: TuneParams) -> dict[str, SearchRange]:
    """The ranges for train.model, checked (with the metric) before any work."""
    ranges: dict[str, SearchRange] | None = getattr(tune, train.model)
    if not ranges:
        raise TuningError(
            f"tune.{train.model} is missing or empty: add the ranges to search for "
            f"train.model {train.model} (docs/modelling.md shows them)"
        )
    if metric(task, tune) not in get_scorer_names():
        raise TuningError(
            f"tune.metric: {tune.metric!r} is not a scikit-learn scorer; use one such as "
            "balanced_accuracy, roc_auc_ovr, f1_macro, r2 or neg_root_mean_squared_error"
        )
    return ranges


def tune(
    task: Task,
    train: TrainParams,
    tune_params: TuneParams,
    features: FeatureSpec,
    inputs: Any,
    target: Any,
    *,
    trials: int | None = None,
    timeout_seconds: float | None = None,
    on_trial: Callable[[Trial, int], None] | None = None,
) -> Study:
    """Run the study on inputs and target (the train split): the best of its trials.

    trials and timeout_seconds override the tune section's. The study stops after the
    trials, or at the first trial that ends past the timeout. on_trial gets each finished
    trial and the trial budget.
    """
    ranges = search_space(task, train, tune_params)
    scoring = metric(task, tune_params)
    budget = trials or tune_params.trials
    folds = (
        StratifiedKFold(tune_params.folds, shuffle=True, random_state=tune_params.seed)
        if task == "classification"
        else KFold(tune_params.folds, shuffle=True, random_state=tune_params.seed)
    )
    integer = _integer_hyperparameters(train)
    finished: list[Trial] = []

    def objective(trial: optuna.Trial) -> float:
        chosen = {
            name: (
                trial.suggest_int(name, int(span.low), int(span.high), log=span.log)
                if name in integer
                else trial.suggest_float(name, float(span.low), float(span.high), log=span.log)
            )
            for name, span in ranges.items()
        }
        started = time.perf_counter()
        model = build_model(task, with_hyperparameters(train, chosen), features)
        if "n_jobs" in model.named_steps[MODEL].get_params():  # the folds share the cores
            model.set_params(**{f"{MODEL}__n_jobs": 1})
        scores = cross_val_score(
            model,
            inputs,
            target,
            cv=folds,
            scoring=scoring,
            n_jobs=min(cores(train.n_jobs), tune_params.folds),
            params=fit_params(model),
            error_score="raise",
        )
        done = Trial(trial.number + 1, chosen, float(scores.mean()), time.perf_counter() - started)
        finished.append(done)
        if on_trial is not None:
            on_trial(done, budget)
        return done.score

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the caller reports each trial
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=tune_params.seed)
    )
    study.optimize(
        objective, n_trials=budget, timeout=timeout_seconds or tune_params.timeout_seconds
    )
    return Study(scoring, finished)


def with_hyperparameters(train: TrainParams, chosen: dict[str, Any]) -> TrainParams:
    """The train section with the chosen model's hyperparameters set to chosen's values."""
    current = train.hyperparameters
    if current is None:  # config requires the chosen model's section
        raise TuningError(f"train.{train.model} is missing")
    return train.model_copy(update={train.model: current.model_copy(update=chosen)})


def _integer_hyperparameters(train: TrainParams) -> set[str]:
    """The chosen model's hyperparameters that take whole numbers."""
    fields = MODEL_PARAMS[train.model].model_fields
    return {
        name
        for name, field in fields.items()
        if field.annotation is int or int in get_args(field.annotation)
    }
