"""The service's model: loaded once, checked against the contract, scoring as `predict` does.

Scoring goes through models.predict.score, the one path the batch `predict` command
takes too, so a row gets the same answer over HTTP as in a file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandera.polars as pa
import polars as pl

from ..data.contract import is_numeric
from ..errors import PipelineError
from ..models.metadata import file_digest
from ..models.persistence import SavedModel, load_model
from ..models.predict import score
from .prediction_log import PredictionLog
from .schemas import Health, ModelInfo, Prediction, Row, to_frame
from .settings import Settings

VERSION_DIGITS = 12


class InvalidRowsError(PipelineError):
    """Rows that passed the request model but break the data contract, or cannot be scored."""

    def __init__(
        self, message: str, rows: int, problems: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.rows = rows  # in the refused request
        self.problems = problems or []


@dataclass(frozen=True)
class Service:
    """A loaded model, what it is, and the contract its rows are checked against."""

    model: SavedModel
    info: ModelInfo
    health: Health
    features: pa.DataFrameSchema
    check_with_pandera: bool
    prediction_deciles: tuple[float, ...] = ()  # regression: the test split's, from metadata
    log: PredictionLog | None = None  # with SERVING_PREDICTION_LOG

    def predict(self, rows: Sequence[Row]) -> list[Prediction]:
        """One prediction per row, in order."""
        try:
            frame = to_frame(rows, self.features)
        except (pl.exceptions.PolarsError, TypeError, ValueError, OverflowError) as error:
            raise InvalidRowsError(
                f"the rows do not fit the data contract's types: {error}", len(rows)
            ) from None
        if self.check_with_pandera:
            self._check(frame)
        try:
            scored = score(self.model, frame)
        except PipelineError as error:
            raise InvalidRowsError(str(error), len(rows)) from None
        if self.log is not None:
            self.log.add(frame, scored[self.model.prediction_column])
        return answers(self.model, scored)

    def _check(self, frame: pl.DataFrame) -> None:
        """The contract's checks that the request model could not state (pandera's)."""
        try:
            self.features.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as errors:
            problems = [
                {
                    "loc": ["body", "rows", *_position(case["index"]), str(case["column"])],
                    "msg": f"fails {case['check']}: {case['failure_case']!r}",
                    "type": "data_contract",
                }
                for case in errors.failure_cases.iter_rows(named=True)
            ]
            raise InvalidRowsError("rows break the data contract", frame.height, problems) from None


def _position(index: int | None) -> list[int]:
    return [] if index is None else [index]


def answers(model: SavedModel, scored: pl.DataFrame) -> list[Prediction]:
    """The scored frame as one Prediction per row.

    Built without validation: score's columns already hold what Prediction declares.
    """
    predicted = scored[model.prediction_column].to_list()
    if model.task == "regression":
        return [Prediction.model_construct(prediction=value) for value in predicted]
    probabilities = scored.drop(model.prediction_column)
    labels = [name.removeprefix("probability_") for name in probabilities.columns]
    return [
        Prediction.model_construct(
            prediction=value,
            probabilities=None if value is None else dict(zip(labels, row, strict=True)),
        )
        for value, row in zip(predicted, probabilities.iter_rows(), strict=True)
    ]


def check_model_against_contract(model: SavedModel, features: pa.DataFrameSchema) -> None:
    """Refuse to serve a model whose inputs the contract no longer declares, or retyped."""
    columns = features.columns
    missing = [name for name in model.features.inputs if name not in columns]
    if missing:
        raise PipelineError(
            f"the model reads {missing}, which data/schema.py's Features no longer declares: "
            "retrain it (`uv run dvc repro`), or declare them again"
        )
    numeric = {*model.features.numeric, *(c for _, *pair in model.features.ratios for c in pair)}
    retyped = [name for name in numeric if not is_numeric(columns[name].dtype.type)]
    if retyped:
        raise PipelineError(
            f"the model reads {retyped} as numbers, which data/schema.py's Features now "
            "declares otherwise: retrain it (`uv run dvc repro`)"
        )


def read_metadata(path: Path, model_digest: str) -> dict[str, Any]:
    """The pipeline's metadata for this model file; empty if missing or another model's."""
    if not path.is_file():
        return {}
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(metadata, dict):
        return {}
    digests = metadata.get("data_md5")
    if not isinstance(digests, dict) or model_digest not in digests.values():
        return {}  # written for another model file: its metrics would not be this model's
    return metadata


def load_service(
    settings: Settings, features: pa.DataFrameSchema, check_with_pandera: bool
) -> Service:
    """Load the model, check it against the contract, and read its provenance."""
    model = load_model(settings.model_path)
    check_model_against_contract(model, features)
    digest = file_digest(settings.model_path)
    info = ModelInfo(
        name=settings.model_name,
        version=digest[:VERSION_DIGITS],
        task=model.task,
        target=model.target,
    )
    metadata = read_metadata(settings.metadata_path, digest)
    metrics = metadata.get("metrics")
    health = Health(
        model=info,
        git_revision=metadata.get("git_revision"),
        trained_at=metadata.get("created_at"),
        metrics=metrics if isinstance(metrics, dict) else {},
    )
    deciles = metadata.get("prediction_deciles")
    buckets = tuple(float(value) for value in deciles) if isinstance(deciles, list) else ()
    log = None
    if settings.prediction_log is not None:
        log = PredictionLog(
            settings.prediction_log,
            info.version,
            settings.prediction_log_rows,
            settings.prediction_log_files,
        )
    return Service(model, info, health, features, check_with_pandera, buckets, log)
