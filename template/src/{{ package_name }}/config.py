"""Pipeline parameters (params.yaml) as frozen, strict models.

Paths are not here: dvc.yaml names each stage's inputs and outputs once and passes them
to the stage's command, and params.yaml's `data.raw` names the raw data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError

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


class TrainParams(_Params):
    """The random forest's hyperparameters."""

    n_estimators: int = Field(gt=0)
    max_depth: int | None = Field(gt=0)
    min_samples_leaf: int = Field(ge=1)
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
        return f"  {key}: unknown key; check its spelling"
    return f"  {key}: {issue['msg']} (got {issue['input']!r})"


def load_params(path: Path = PARAMS_FILE) -> Params:
    """Read and validate params.yaml before any stage does work."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParamsError(f"{path} not found: run from the project root") from None
    except yaml.YAMLError as error:
        raise ParamsError(f"{path} is not valid YAML: {error}") from None
    return parse_params(raw, str(path))


if __name__ == "__main__":
    # `python -m <package>.config [params.yaml]`: the schema check of the params-valid hook.
    import sys

    try:
        load_params(Path(sys.argv[1]) if len(sys.argv) > 1 else PARAMS_FILE)
    except ParamsError as error:
        sys.exit(f"error: {error}")
