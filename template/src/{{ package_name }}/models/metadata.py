"""Provenance saved beside a model: what it was trained on, with what, and how well it does."""

from __future__ import annotations

import hashlib
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

# The libraries whose versions decide whether a saved model loads and behaves the same.
TRACKED_LIBRARIES = (
    "scikit-learn",
    "lightgbm",
    "skops",
    "numpy",
    "polars",
    "narwhals",
    "pandera",
)


def file_digest(path: Path) -> str:
    """md5 of a file, or of a directory's files in path order: the data's fingerprint."""
    digest = hashlib.md5(usedforsecurity=False)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(file.relative_to(path).as_posix().encode() if path.is_dir() else b"")
        digest.update(file.read_bytes())
    return digest.hexdigest()


def library_versions(names: tuple[str, ...] = TRACKED_LIBRARIES) -> dict[str, str]:
    """Installed versions of the given distributions."""
    return {name: metadata.version(name) for name in names}


def model_metadata(
    *,
    params: dict[str, Any],
    data: dict[str, str],
    git_revision: str,
    metrics: dict[str, float],
    splits: dict[str, Any] | None = None,
    prediction_deciles: list[float] | None = None,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """Everything needed to trust, compare or reproduce a model, as JSON-ready data.

    splits: each split's rows and target (evaluation/data_summary.py), for the model card.
    prediction_deciles (regression): the test split's, for the service's metrics.
    """
    found: dict[str, Any] = {
        "created_at": (created_at or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "git_revision": git_revision,
        "params": params,
        "data_md5": data,
        "libraries": library_versions(),
        "metrics": metrics,
    }
    optional = {"splits": splits, "prediction_deciles": prediction_deciles}
    found.update({key: value for key, value in optional.items() if value})
    return found


def git_revision() -> str:
    """The commit the workspace is at, marked `-dirty` when it has uncommitted changes."""
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--exclude=*"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:  # no git on this machine (a slim CI image): provenance says so
        return "unknown"
    return described.stdout.strip() or "unknown"
