"""Where the service finds its model, how many rows a request may hold, how long it may take.

Each setting is an environment variable (a container sets them); the paths default to the
champion's (models/champion.py): the model the `promote` stage let into service, never a
challenger it turned down.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import PipelineError
from ..models.champion import DVC_FILE, champion_paths, read_pipeline

MODEL_PATH = "SERVING_MODEL_PATH"
MODEL_NAME = "SERVING_MODEL_NAME"
METADATA_PATH = "SERVING_METADATA_PATH"
MAX_BATCH_ROWS = "SERVING_MAX_BATCH_ROWS"
PREDICTION_LOG = "SERVING_PREDICTION_LOG"
PREDICTION_LOG_ROWS = "SERVING_PREDICTION_LOG_ROWS"
PREDICTION_LOG_FILES = "SERVING_PREDICTION_LOG_FILES"
SCORING_SECONDS = "SERVING_SCORING_SECONDS"
HOST = "SERVING_HOST"
PORT = "SERVING_PORT"
DEFAULT_MAX_BATCH_ROWS = 1000
DEFAULT_LOG_ROWS, DEFAULT_LOG_FILES = 10_000, 1_000
# A full batch scores in well under a second, but a loaded machine can stall it for
# seconds; past 30 (gunicorn's worker timeout), the client has likely given up.
DEFAULT_SCORING_SECONDS = 30


def model_name(dvc_file: Path = DVC_FILE) -> str:
    """The model's name: its artifact's in dvc.yaml, or the project's folder name."""
    artifacts = read_pipeline(dvc_file).get("artifacts")
    models = [
        str(name)
        for name, artifact in (artifacts if isinstance(artifacts, dict) else {}).items()
        if isinstance(artifact, dict) and artifact.get("type") == "model"
    ]
    return models[0] if models else Path.cwd().name


@dataclass(frozen=True)
class Settings:
    """What the service needs to start."""

    model_path: Path
    metadata_path: Path
    model_name: str = "model"
    max_batch_rows: int = DEFAULT_MAX_BATCH_ROWS
    prediction_log: Path | None = None  # off unless a folder is named
    prediction_log_rows: int = DEFAULT_LOG_ROWS  # rows per file
    prediction_log_files: int = DEFAULT_LOG_FILES  # files kept; the oldest go
    scoring_seconds: int = DEFAULT_SCORING_SECONDS  # the longest a request waits for answers

    def __post_init__(self) -> None:
        whole = ("max_batch_rows", "prediction_log_rows", "prediction_log_files", "scoring_seconds")
        for name in whole:
            if getattr(self, name) < 1:
                raise PipelineError(f"{name} must be at least 1; got {getattr(self, name)}")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Settings from the environment variables, dvc.yaml's paths where they are unset."""
        paths = champion_paths()
        log = environ.get(PREDICTION_LOG, "").strip()
        return cls(
            model_path=Path(environ.get(MODEL_PATH, paths["champion"])),
            metadata_path=Path(environ.get(METADATA_PATH, paths["champion_metadata"])),
            model_name=environ.get(MODEL_NAME) or model_name(),
            max_batch_rows=_whole(environ, MAX_BATCH_ROWS, DEFAULT_MAX_BATCH_ROWS),
            prediction_log=Path(log) if log else None,
            prediction_log_rows=_whole(environ, PREDICTION_LOG_ROWS, DEFAULT_LOG_ROWS),
            prediction_log_files=_whole(environ, PREDICTION_LOG_FILES, DEFAULT_LOG_FILES),
            scoring_seconds=_whole(environ, SCORING_SECONDS, DEFAULT_SCORING_SECONDS),
        )


def _whole(environ: Mapping[str, str], variable: str, default: int) -> int:
    value = environ.get(variable, str(default))
    if not value.strip().isdigit():
        raise PipelineError(f"{variable} must be a whole number; got {value!r}")
    return int(value)
