"""Save and load models with skops (never pickle): the fitted pipeline and what it needs.

A model file is self-sufficient: it holds the task, the target's name and the feature
spec next to the pipeline, so scoring never depends on today's params.yaml. The same
model always makes the same bytes: DVC's run cache, the service's model version and the
model registry all tell models apart by their files' hashes.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, get_args

import skops.io as sio
from sklearn.pipeline import Pipeline
from skops.io.exceptions import UntrustedTypesFoundException

from ..config import Task
from ..data.storage import replacing
from ..errors import PipelineError
from ..features.transforms import FeatureSpec
from .estimators import TRUSTED_TYPES
from .integrity import MalformedModelError, check_boosters, check_pipeline, quoted, read_schema

FORMAT = 1  # bump when the saved layout changes, so old files fail clearly
# Every zip entry's time: the earliest a zip can hold, so saving time leaves no trace.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
T = TypeVar("T")


class UntrustedModelError(PipelineError):
    """A model file holds types no model of ours needs, or is not one this code saved."""


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
        staged.write_bytes(canonical(sio.dumps(content)))


def canonical(saved: bytes) -> bytes:
    """The bytes skops saved, with what varies between runs made fixed; they load the same.

    skops names each object by its address in memory (`__id__`, and the array files
    named after it) and stamps each zip entry with the current time. Here ids count
    from 1 in the order the schema meets them, files are named after that count,
    and every entry has the same time and attributes, in a fixed order.
    """
    with zipfile.ZipFile(io.BytesIO(saved)) as source:
        members = {name: source.read(name) for name in source.namelist()}
    schema = json.loads(members.pop("schema.json"))
    ids: dict[int, int] = {}
    files: dict[str, str] = {}

    def renumber(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                renumber(item)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key == "__id__" and value:  # skops reads 0 as "no id": start at 1
                    node[key] = ids.setdefault(value, len(ids) + 1)
                elif key == "file" and value in members:
                    node[key] = files.setdefault(value, f"{len(files) + 1}{Path(value).suffix}")
                else:
                    renumber(value)

    renumber(schema)
    renamed = {files.get(name, name): content for name, content in members.items()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as target:
        entries = [("schema.json", json.dumps(schema).encode()), *sorted(renamed.items())]
        for name, content in entries:
            entry = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            entry.create_system = 3  # Unix, whatever system saved it
            entry.external_attr = 0o644 << 16
            target.writestr(entry, content)
    return out.getvalue()


def load_model(path: Path) -> SavedModel:
    """Load a skops model, once the file proves whole, of trusted types and safe to use.

    Any file that is not one is refused with one line naming it and why (integrity.py).
    """
    if not path.is_file():
        raise PipelineError(f"{path} not found: train a model first (`uv run dvc repro`)")
    check_boosters(path, read_schema(path))
    needed = set(_skops(path, lambda: sio.get_untrusted_types(file=path)))
    trusted = next((types for types in TRUSTED_TYPES.values() if needed <= set(types)), None)
    if trusted is None:
        closest = min(TRUSTED_TYPES.values(), key=lambda types: len(needed - set(types)))
        raise UntrustedModelError(
            f"{path} contains types that no model of this project needs: "
            f"{sorted(needed - set(closest))}. If you changed a model and trust these "
            "types, add them to its TRUSTED_TYPES list in models/estimators.py."
        )
    content: Any = _skops(path, lambda: sio.load(path, trusted=trusted))
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise UntrustedModelError(
            f"{path} is not a model saved by this project's code (format {FORMAT}); "
            "retrain it with `uv run dvc repro`"
        )
    if not isinstance(content.get("pipeline"), Pipeline):
        raise UntrustedModelError(f"{path} does not hold a scikit-learn Pipeline")
    task, target = content.get("task"), content.get("target")
    if task not in get_args(Task) or not isinstance(target, str) or not target:
        raise MalformedModelError(f"{path} does not say which task and target it is for")
    features = _features(path, content.get("features"))
    try:
        check_pipeline(path, content["pipeline"], task, features)  # type: ignore[arg-type]
    except (AttributeError, TypeError, ValueError, IndexError, KeyError) as error:
        if isinstance(error, PipelineError):
            raise
        raise MalformedModelError(f"{path} holds a malformed model ({quoted(error)})") from None
    return SavedModel(content["pipeline"], task, target, features)  # type: ignore[arg-type]


def _skops(path: Path, read: Callable[[], T]) -> T:
    """What skops reads from the file; whatever fails in a file it did not write, one line."""
    try:
        return read()
    except UntrustedTypesFoundException as error:  # a type the first look at the file missed
        raise UntrustedModelError(f"{path} holds a type no model needs ({quoted(error)})") from None
    except Exception as error:  # skops raises what its parsers do on a file it did not write
        raise MalformedModelError(f"{path} is not a valid skops file ({quoted(error)})") from None


def _features(path: Path, saved: object) -> FeatureSpec:
    """The feature spec saved with the model, refused unless it is one to_dict writes."""
    try:
        features = FeatureSpec.from_dict(saved)  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError):
        features = None
    names = [] if features is None else [*features.inputs, *features.columns]
    if features is None or not features.columns or not all(isinstance(n, str) for n in names):
        raise MalformedModelError(f"{path} does not name the features it was trained on")
    return features
