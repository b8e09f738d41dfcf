"""mkdocs hook: fill the model card with the latest metrics, promotion and figures.

The figures live in the evaluate stage's results folder (written by `dvc repro`), outside
docs/, so this hook adds them to the site; before the first run the card says how to
produce them. Paths come from dvc.yaml's `vars`, where the pipeline names them once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from mkdocs.structure.files import File, Files

PLACEHOLDER = "<!-- model-card -->"


def _paths() -> dict[str, Path]:
    """The pipeline's output paths, as dvc.yaml's `vars` name them."""
    pipeline = yaml.safe_load(Path("dvc.yaml").read_text(encoding="utf-8"))
    named = {
        name: Path(value) for entry in pipeline["vars"] for name, value in entry["paths"].items()
    }
    return {
        "metrics": named["evaluation"] / "metrics.json",
        "figures": named["evaluation"] / "plots" / "images",
        "metadata": named["metadata"],
        "promotion": named["promotion"],
        "champion": named["champion"],
        "champion_metadata": named["champion_metadata"],
    }


def on_files(files: Files, config: Any) -> Files:
    """Publish the pipeline's PNG figures under figures/ in the site."""
    for figure in sorted(_paths()["figures"].glob("*.png")):
        files.append(
            File.generated(config, f"figures/{figure.name}", abs_src_path=str(figure.resolve()))
        )
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    """Replace the placeholder on the model card page with metrics, provenance and figures."""
    if PLACEHOLDER not in markdown:
        return markdown
    return markdown.replace(PLACEHOLDER, _card(_paths()))


def _card(paths: dict[str, Path]) -> str:
    if not paths["metrics"].is_file():
        return "No metrics yet: run `uv run dvc repro`, then rebuild the docs."
    metrics = json.loads(paths["metrics"].read_text(encoding="utf-8"))
    rows = [f"| {name} | {value} |" for name, value in metrics.items()]
    lines = ["## Metrics (test split)", "", "| metric | value |", "| --- | --- |", *rows, ""]
    if paths["metadata"].is_file():
        metadata = json.loads(paths["metadata"].read_text(encoding="utf-8"))
        lines += [
            "## Provenance",
            "",
            f"- task: {metadata['params']['data']['task']}",
            *_model_line(metadata["params"]["train"]),
            f"- git revision: `{metadata['git_revision']}`",
            f"- created: {metadata['created_at']}",
            "- libraries: " + ", ".join(f"{k} {v}" for k, v in metadata["libraries"].items()),
            "",
        ]
    lines += _promotion(paths)
    lines += ["## Figures", ""]
    lines += [
        f"![{f.stem.replace('_', ' ')}](figures/{f.name})"
        for f in sorted(paths["figures"].glob("*.png"))
    ]
    return "\n".join(lines)


def _model_line(train: dict[str, Any]) -> list[str]:
    """The model and its settings, as params.yaml chose them (none in older metadata)."""
    if "model" not in train:
        return []
    settings = ", ".join(f"{key} {value}" for key, value in train[train["model"]].items())
    weights = train["class_weight"] or "none"
    return [f"- model: {train['model']} ({settings}; class weights {weights})"]


def _promotion(paths: dict[str, Path]) -> list[str]:
    """The promote stage's latest decision, both models' metrics, and the champion's record."""
    if not paths["promotion"].is_file():
        return []
    decision = json.loads(paths["promotion"].read_text(encoding="utf-8"))
    lines = [
        "## In service",
        "",
        f"Latest decision: **{decision['decision']}**, {decision['reason']}.",
        *(f"- {regression}" for regression in decision["regressions"]),
        "",
    ]
    champion = decision.get("champion") or {}
    if champion.get("metrics"):
        challenger = decision["challenger"]["metrics"]
        lines += ["| metric | champion | challenger |", "| --- | --- | --- |"]
        lines += [
            f"| {name} | {value} | {challenger.get(name, '')} |"
            for name, value in champion["metrics"].items()
        ]
        lines.append("")
    if paths["champion_metadata"].is_file():
        record = json.loads(paths["champion_metadata"].read_text(encoding="utf-8"))
        promotion = record.get("promotion", {})
        lines += [
            f"The champion (`{paths['champion']}`) was "
            f"promoted {promotion.get('promoted_at', 'at an unknown time')}: "
            f"{promotion.get('reason', 'no reason recorded')}.",
            "",
        ]
    return lines
