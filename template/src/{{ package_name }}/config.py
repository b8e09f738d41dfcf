"""Pipeline parameters (params.yaml) as frozen, strict models.

Paths are not here: dvc.yaml names each stage's inputs and outputs once and passes them
to the stage's command, and params.yaml's `data.raw` names the raw data.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, model_validator

from .errors import PipelineError

PARAMS_FILE = Path("params.yaml")
Task = Literal["classification", "regression"]


class _Params(BaseModel):
    # A typo in params.yaml must be an error, not a silently ignored key.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class DataParams(_Params):
    """Where the raw data is, and what to learn from it."""

    raw: str = Field(min_length=1)
    task: Task


class PrepareParams(_Params):
    """How raw rows become validated, split rows."""

    test_fraction: float = Field(gt=0, lt=1)
    seed: int
    stratify: bool  # classification: test_fraction of each class, not of all rows
    batch_rows: int = Field(gt=0)
    rows_per_file: int = Field(gt=0)


class ComputeParams(_Params):
    """Where prepare and featurize run: the engine, and the local Dask cluster's size.

    Not a DVC param of any stage: both engines write the same rows, so switching does not
    make DVC rerun them.
    """

    engine: Literal["auto", "polars", "dask"] = "auto"
    workers: int = Field(default=2, gt=0)


class FeaturizeParams(_Params):
    """Which of the schema's features the model sees, and which ratios to derive."""

    exclude: tuple[str, ...] = Field(strict=False)
    # YAML has lists, not tuples: `name: [numerator, denominator]`.
    ratios: dict[str, Annotated[tuple[str, str], Strict(False)]]


class HistGradientBoostingParams(_Params):
    """scikit-learn's histogram gradient boosting: native missing values and categories."""

    max_iter: int = Field(gt=0)
    learning_rate: float = Field(gt=0)
    max_leaf_nodes: int = Field(ge=2)
    min_samples_leaf: int = Field(ge=1)
    l2_regularization: float = Field(ge=0)


class RandomForestParams(_Params):
    """scikit-learn's random forest."""

    n_estimators: int = Field(gt=0)
    max_depth: int | None = Field(gt=0)
    min_samples_leaf: int = Field(ge=1)


class LightGBMParams(_Params):
    """LightGBM's gradient boosting."""

    n_estimators: int = Field(gt=0)
    learning_rate: float = Field(gt=0)
    num_leaves: int = Field(ge=2)
    min_child_samples: int = Field(ge=1)


ModelName = Literal["hist_gradient_boosting", "random_forest", "lightgbm"]


class TrainParams(_Params):
    """Which model to train, how, and each model's hyperparameters (its own section).

    Only the chosen model's section is required: a params.yaml may drop the others.
    """

    model: ModelName
    class_weight: Literal["balanced"] | None
    # -1: every core this process may use. The model is the same for any value.
    n_jobs: int = Field(ge=-1)
    seed: int
    hist_gradient_boosting: HistGradientBoostingParams | None = None
    random_forest: RandomForestParams | None = None
    lightgbm: LightGBMParams | None = None

    @model_validator(mode="after")
    def _chosen_model_configured(self) -> TrainParams:
        if self.n_jobs == 0:
            raise ValueError("n_jobs must be -1 (every core) or a number of cores (got 0)")
        if self.hyperparameters is None:
            raise ValueError(
                f"train.model is {self.model} but train.{self.model} is missing: add the "
                "section with its hyperparameters (docs/modelling.md lists them)"
            )
        return self

    @property
    def hyperparameters(
        self,
    ) -> HistGradientBoostingParams | RandomForestParams | LightGBMParams | None:
        """The chosen model's section."""
        chosen: HistGradientBoostingParams | RandomForestParams | LightGBMParams | None
        chosen = getattr(self, self.model)
        return chosen


MODEL_PARAMS: dict[ModelName, type[_Params]] = {
    "hist_gradient_boosting": HistGradientBoostingParams,
    "random_forest": RandomForestParams,
    "lightgbm": LightGBMParams,
}


class SearchRange(_Params):
    """Where tuning looks for one hyperparameter: from low to high, on a log scale or not."""

    low: int | float
    high: int | float
    log: bool = False

    @model_validator(mode="after")
    def _not_empty(self) -> SearchRange:
        if not self.low < self.high:
            raise ValueError(
                f"empty search range: low ({self.low}) must be below high ({self.high})"
            )
        if self.log and self.low <= 0:
            raise ValueError(f"a log range must start above 0 (low is {self.low})")
        return self


class TuneParams(_Params):
    """How `tune` searches the chosen model's hyperparameters, and where (ranges per model)."""

    trials: int = Field(gt=0)
    timeout_seconds: float = Field(gt=0)
    folds: int = Field(ge=2)
    # A scikit-learn scorer (higher is better); None: the task's (models/tuning.py).
    metric: str | None = Field(min_length=1)
    seed: int
    hist_gradient_boosting: dict[str, SearchRange] | None = None
    random_forest: dict[str, SearchRange] | None = None
    lightgbm: dict[str, SearchRange] | None = None

    @model_validator(mode="after")
    def _ranges_name_hyperparameters(self) -> TuneParams:
        for model, hyperparameters in MODEL_PARAMS.items():
            unknown = set(getattr(self, model) or {}) - set(hyperparameters.model_fields)
            if unknown:
                raise ValueError(
                    f"tune.{model} names {sorted(unknown)}, which {model} does not take "
                    f"(it takes {', '.join(hyperparameters.model_fields)})"
                )
        return self


class MonitorParams(_Params):
    """How `monitor` tells drift of a batch from the training split (docs/monitoring.md)."""

    numeric_test: Literal["wasserstein", "ks", "psi"]
    numeric_threshold: float = Field(gt=0)
    categorical_test: Literal["jensen_shannon", "psi"]
    categorical_threshold: float = Field(gt=0)
    missing_threshold: float = Field(gt=0, le=1)
    min_rows: int = Field(gt=0)
    sample_rows: int = Field(gt=0)
    seed: int


class EvaluateParams(_Params):
    """What the evaluation reports."""

    top_features: int = Field(gt=0)


class Params(_Params):
    """Every knob of the pipeline, grouped by stage like params.yaml."""

    data: DataParams
    prepare: PrepareParams
    # Optional: params.yaml files from before it get the defaults.
    compute: ComputeParams = ComputeParams()
    featurize: FeaturizeParams
    train: TrainParams
    evaluate: EvaluateParams
    # Optional: a params.yaml from before tuning has none, and only `tune` needs it.
    tune: TuneParams | None = None
    # Optional, as tune: only `monitor` needs it.
    monitor: MonitorParams | None = None

    @model_validator(mode="after")
    def _class_weights_need_classes(self) -> Params:
        if self.data.task == "regression" and self.train.class_weight is not None:
            raise ValueError(
                "train.class_weight weighs classes, and data.task is regression: set it to null"
            )
        return self


class ParamsError(PipelineError):
    """params.yaml is malformed: the message names each bad key and the rule it breaks."""


def parse_params(raw: Any, source: str = str(PARAMS_FILE)) -> Params:
    """Validate already-loaded params, naming every offending key."""
    try:
        return Params.model_validate(raw)
    except ValidationError as error:
        problems = [_describe(issue) for issue in error.errors(include_url=False)]
        raise ParamsError(f"{source} is invalid:\n" + "\n".join(problems)) from None


def _describe(issue: Any) -> str:
    key = ".".join(str(part) for part in issue["loc"]) or "(top level)"
    if issue["type"] == "missing":
        return f"  {key}: missing; add it"
    if issue["type"] == "extra_forbidden":
        known = _known_keys(issue["loc"][:-1])
        return f"  {key}: unknown key; check its spelling" + (
            f" ({'.'.join(map(str, issue['loc'][:-1]))} takes {', '.join(known)})" if known else ""
        )
    if issue["type"] == "value_error":  # a rule across keys: its message says it all
        return f"  {key}: {issue['ctx']['error']}"
    return f"  {key}: {issue['msg']} (got {issue['input']!r})"


def _known_keys(location: tuple[Any, ...]) -> list[str]:
    """The keys params.yaml may hold at a location (a section), or none if unknown."""
    section: Any = Params
    for part in location:
        field = section.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            return []
        section = next(
            (
                kind
                for kind in get_args(field.annotation) or (field.annotation,)
                if isinstance(kind, type) and issubclass(kind, BaseModel)
            ),
            None,
        )
        if section is None:
            return []
    return list(section.model_fields)


def load_params(path: Path = PARAMS_FILE) -> Params:
    """Read and validate params.yaml before any stage does work."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParamsError(f"{path} not found: run from the project root") from None
    except yaml.YAMLError as error:
        raise ParamsError(f"{path} is not valid YAML: {error}") from None
    return parse_params(raw, str(path))


def with_hyperparameters_text(text: str, model: str, values: dict[str, Any]) -> str:
    """params.yaml's text with train.<model>'s keys set to values, comments and all kept.

    Each value replaces the one on its key's line; a key the section lacks is added at
    its end. Raises ParamsError when the section is not one key per line.
    """
    lines = text.splitlines(keepends=True)
    start = next((n for n, line in enumerate(lines) if line.rstrip() == "train:"), None)
    header = re.compile(rf"^(\s+){re.escape(model)}:\s*(#.*)?$")
    section = (
        next(
            (n for n in range(start + 1, len(lines)) if header.match(lines[n].rstrip("\r\n"))),
            None,
        )
        if start is not None
        else None
    )
    if section is None:
        raise ParamsError(f"params.yaml has no train.{model} section written one key per line")
    indent = len(lines[section]) - len(lines[section].lstrip(" "))
    end = section + 1
    while end < len(lines) and (
        not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip(" ")) > indent
    ):
        end += 1
    pad = next(
        (
            line[: len(line) - len(line.lstrip(" "))]
            for line in lines[section + 1 : end]
            if line.strip()
        ),
        " " * (indent + 2),
    )
    nl = "\r\n" if "\r\n" in text else "\n"
    for key, value in values.items():
        written = yaml.safe_dump(value).splitlines()[0]
        entry = re.compile(rf"^{pad}{re.escape(key)}:[ \t]*([^#\r\n]*?)([ \t]+#.*)?$")
        found = next(
            (n for n in range(section + 1, end) if entry.match(lines[n].rstrip("\r\n"))), None
        )
        if found is None:
            lines.insert(end, f"{pad}{key}: {written}{nl}")
            end += 1
        else:
            comment = entry.match(lines[found].rstrip("\r\n")).group(2) or ""  # type: ignore[union-attr]
            lines[found] = f"{pad}{key}: {written}{comment}{nl}"
    return "".join(lines)


if __name__ == "__main__":
    # `python -m <package>.config [params.yaml]`: the schema check of the params-valid hook.
    import sys

    try:
        load_params(Path(sys.argv[1]) if len(sys.argv) > 1 else PARAMS_FILE)
    except ParamsError as error:
        sys.exit(f"error: {error}")
