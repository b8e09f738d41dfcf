"""mkdocs hook: fill the model card with the latest metrics and figures from the pipeline.

The figures live in reports/figures (written by `dvc repro`), outside docs/, so this hook
adds them to the site; before the first run the card says how to produce them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

METRICS = Path("reports/metrics/metrics.json")
METADATA = Path("models/metadata.json")
FIGURES = Path("reports/figures")
PLACEHOLDER = "<!-- model-card -->"


def on_files(files: Files, config: Any) -> Files:
    """Publish the pipeline's PNG figures under figures/ in the site."""
    if FIGURES.is_dir():
        for figure in sorted(FIGURES.glob("*.png")):
            files.append(
                File.generated(config, f"figures/{figure.name}", abs_src_path=str(figure.resolve()))
            )
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    """Replace the placeholder on the model card page with metrics, provenance and figures."""
    if PLACEHOLDER not in markdown:
        return markdown
    return markdown.replace(PLACEHOLDER, _card())


def _card() -> str:
    if not METRICS.is_file():
        return "No metrics yet: run `uv run dvc repro`, then rebuild the docs."
    metrics = json.loads(METRICS.read_text(encoding="utf-8"))
    rows = [f"| {name} | {value} |" for name, value in metrics.items()]
    lines = ["## Metrics (test split)", "", "| metric | value |", "| --- | --- |", *rows, ""]
    if METADATA.is_file():
        metadata = json.loads(METADATA.read_text(encoding="utf-8"))
        lines += [
            "## Provenance",
            "",
            f"- git revision: `{metadata['git_revision']}`",
            f"- created: {metadata['created_at']}",
            "- libraries: " + ", ".join(f"{k} {v}" for k, v in metadata["libraries"].items()),
            "",
        ]
    lines += ["## Figures", ""]
    lines += [
        f"![{f.stem.replace('_', ' ')}](figures/{f.name})" for f in sorted(FIGURES.glob("*.png"))
    ]
    return "\n".join(lines)
