"""Where the champion is: the model in service, which the `promote` stage keeps.

The service, the batch `predict` command and the monitor load it by default. Its paths
are dvc.yaml's `vars`, where the pipeline names its outputs once; the defaults below
serve where there is no dvc.yaml (an installed package, a container sets its own).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DVC_FILE = Path("dvc.yaml")
DEFAULT_PATHS = {"champion": "models/champion.skops", "champion_metadata": "models/champion.json"}


def read_pipeline(dvc_file: Path = DVC_FILE) -> dict[str, Any]:
    """dvc.yaml's content; empty when there is none."""
    if not dvc_file.is_file():
        return {}
    pipeline = yaml.safe_load(dvc_file.read_text(encoding="utf-8"))
    return pipeline if isinstance(pipeline, dict) else {}


def champion_paths(dvc_file: Path = DVC_FILE) -> dict[str, Path]:
    """The champion's and its metadata's paths, as dvc.yaml's `vars` name them."""
    named: dict[str, str] = {}
    for entry in read_pipeline(dvc_file).get("vars", []):
        if isinstance(entry, dict) and isinstance(entry.get("paths"), dict):
            named.update({str(k): str(v) for k, v in entry["paths"].items()})
    return {name: Path(named.get(name, default)) for name, default in DEFAULT_PATHS.items()}
