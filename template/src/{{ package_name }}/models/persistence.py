"""Save and load models with skops (never pickle): the fitted pipeline and what it needs.

A model file is self-sufficient: it holds the task, the target's name and the feature
spec next to the pipeline, so scoring never depends on today's params.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import skops.io as sio
from sklearn.pipeline import Pipeline

from ..config import Task
from ..data.storage import replacing
from ..errors import PipelineError
from ..features.transforms import FeatureSpec

# Types beyond skops' defaults that our pipeline contains. Loading refuses anything else:
# a model file that needs more was not made by this code. Review changes to this list.
TRUSTED_TYPES = ["numpy.dtype", "sklearn.tree._tree.Tree"]
FORMAT = 1  # bump when the saved layout changes, so old files fail clearly


class UntrustedModelError(PipelineError):
    """A model file holds types outside TRUSTED_TYPES, or is not one this code saved."""


@dataclass(frozen=True)
class SavedModel:
    """A fitted pipeline with the task, target and features it was trained with."""

    pipeline: Pipeline
    task: Task
    target: str
    features: FeatureSpec

    @property
    def prediction_column(self) -> str:
        """The name of the predicted value's column."""
        return f"predicted_{self.target}"


def save_model(model: SavedModel, path: Path) -> None:
    """Write the model to path atomically in skops format."""
    content = {
        "format": FORMAT,
        "pipeline": model.pipeline,
        "task": model.task,
        "target": model.target,
        "features": model.features.to_dict(),
    }
    with replacing(path) as staged:
        sio.dump(content, staged)


def load_model(path: Path) -> SavedModel:
    """Load a skops model, refusing any type that is not trusted."""
    if not path.is_file():
        raise PipelineError(f"{path} not found: train a model first (`uv run dvc repro`)")
    unknown = sorted(set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES))
    if unknown:
        raise UntrustedModelError(
            f"{path} contains types that are not trusted: {unknown}. If you changed the "
            "model and trust these types, add them to TRUSTED_TYPES in models/persistence.py."
        )
    content: Any = sio.load(path, trusted=TRUSTED_TYPES)
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise UntrustedModelError(
            f"{path} is not a model saved by this project's code (format {FORMAT}); "
            "retrain it with `uv run dvc repro`"
        )
    if not isinstance(content["pipeline"], Pipeline):
        raise UntrustedModelError(f"{path} does not hold a scikit-learn Pipeline")
    return SavedModel(
        content["pipeline"],
        content["task"],
        content["target"],
        FeatureSpec.from_dict(content["features"]),
    )
