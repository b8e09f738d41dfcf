"""Where the service finds its model, and how many rows a request may hold.

Each setting is an environment variable (a container sets them); the paths default to
dvc.yaml's `vars`, where the pipeline names its outputs once, so the service serves the
model `uv run dvc repro` trained.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import PipelineError

MODEL_PATH = "SERVING_MODEL_PATH"
MODEL_NAME = "SERVING_MODEL_NAME"
METADATA_PATH = "SERVING_METADATA_PATH"
MAX_BATCH_ROWS = "SERVING_MAX_BATCH_ROWS"
PREDICTION_LOG = "SERVING_PREDICTION_LOG"
PREDICTION_LOG_ROWS = "SERVING_PREDICTION_LOG_ROWS"
PREDICTION_LOG_FILES = "SERVING_PREDICTION_LOG_FILES"
HOST = "SERVING_HOST"
PORT = "SERVING_PORT"
DVC_FILE = Path("dvc.yaml")
# dvc.yaml's names for the model and its metadata, and their paths where it is absent.
DEFAULT_PATHS = {"model": "models/model.skops", "metadata": "models/metadata.json"}
DEFAULT_MAX_BATCH_ROWS = 1000
DEFAULT_LOG_ROWS, DEFAULT_LOG_FILES = 10_000, 1_000


def _pipeline(dvc_file: Path) -> dict[str, Any]:
    if not dvc_file.is_file():
        return {}
    pipeline = yaml.safe_load(dvc_file.read_text(encoding="utf-8"))
    return pipeline if isinstance(pipeline, dict) else {}


def pipeline_paths(dvc_file: Path = DVC_FILE) -> dict[str, Path]:
    """The model's and its metadata's paths, as dvc.yaml's `vars` name them."""
    named: dict[str, str] = {}
    for entry in _pipeline(dvc_file).get("vars", []):
        if isinstance(entry, dict) and isinstance(entry.get("paths"), dict):
            named.update({str(k): str(v) for k, v in entry["paths"].items()})
    return {name: Path(named.get(name, default)) for name, default in DEFAULT_PATHS.items()}


def model_name(dvc_file: Path = DVC_FILE) -> str:
    """The model's name: its artifact's in dvc.yaml, or the project's folder name."""
    artifacts = _pipeline(dvc_file).get("artifacts")
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

    def __post_init__(self) -> None:
        for name in ("max_batch_rows", "prediction_log_rows", "prediction_log_files"):
            if getattr(self, name) < 1:
                raise PipelineError(f"{name} must be at least 1; got {getattr(self, name)}")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Settings from the environment variables, dvc.yaml's paths where they are unset."""
        paths = pipeline_paths()
        log = environ.get(PREDICTION_LOG, "").strip()
        return cls(
            model_path=Path(environ.get(MODEL_PATH, paths["model"])),
            metadata_path=Path(environ.get(METADATA_PATH, paths["metadata"])),
            model_name=environ.get(MODEL_NAME) or model_name(),
            max_batch_rows=_whole(environ, MAX_BATCH_ROWS, DEFAULT_MAX_BATCH_ROWS),
            prediction_log=Path(log) if log else None,
            prediction_log_rows=_whole(environ, PREDICTION_LOG_ROWS, DEFAULT_LOG_ROWS),
            prediction_log_files=_whole(environ, PREDICTION_LOG_FILES, DEFAULT_LOG_FILES),
        )


def _whole(environ: Mapping[str, str], variable: str, default: int) -> int:
    value = environ.get(variable, str(default))
    if not value.strip().isdigit():
        raise PipelineError(f"{variable} must be a whole number; got {value!r}")
    return int(value)
