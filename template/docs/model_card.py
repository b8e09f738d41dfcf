"""mkdocs hook: fill the model card with what the pipeline knows and the team wrote.

From the pipeline: the model and its provenance, the data (its DVC md5 in dvc.lock, each
split's rows and classes), the metrics overall and per class, the promotion, the figures.
From the team: docs/model-card.yml (owners, intended use, limitations, ethics); a
section still holding the kit's TODO is flagged as unfilled.

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
TEAM_FILE = Path("docs/model-card.yml")
UNFILLED = "TODO"


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
    team = yaml.safe_load(TEAM_FILE.read_text(encoding="utf-8")) if TEAM_FILE.is_file() else {}
    lines = _team_section("Owners", team, "owners")
    lines += _team_section("Intended use", team, "intended_use")
    lines += _team_section("Out of scope", team, "out_of_scope")
    if not paths["metrics"].is_file():
        lines.append("No metrics yet: run `uv run dvc repro`, then rebuild the docs.")
        return "\n".join(lines)
    metrics = json.loads(paths["metrics"].read_text(encoding="utf-8"))
    metadata = (
        json.loads(paths["metadata"].read_text(encoding="utf-8"))
        if paths["metadata"].is_file()
        else {}
    )
    splits = metadata.get("splits", {})
    if metadata:
        lines += _provenance(metadata)
        lines += _data(metadata["params"]["data"]["raw"], splits)
    lines += _metrics(metrics, splits)
    lines += _promotion(paths)
    lines += _team_section("Limitations", team, "limitations")
    lines += _team_section("Ethical considerations", team, "ethical_considerations")
    lines += ["## Figures", ""]
    lines += [
        f"![{f.stem.replace('_', ' ')}](figures/{f.name})"
        for f in sorted(paths["figures"].glob("*.png"))
    ]
    return "\n".join(lines)


def _team_section(title: str, team: dict[str, Any], key: str) -> list[str]:
    """A section the team writes in docs/model-card.yml, flagged while it is unfilled."""
    text = str(team.get(key) or UNFILLED).strip()
    lines = [f"## {title}", ""]
    if text.startswith(UNFILLED):
        lines += [
            '!!! warning "Unfilled"',
            f"    Write `{key}` in `{TEAM_FILE}`: it still holds the kit's placeholder.",
            "",
        ]
    return [*lines, text, ""]


def _provenance(metadata: dict[str, Any]) -> list[str]:
    """The model, its settings, and where and when it was made."""
    registered = metadata.get("mlflow")
    return [
        "## Provenance",
        "",
        f"- task: {metadata['params']['data']['task']}",
        *_model_line(metadata["params"]["train"]),
        f"- git revision: `{metadata['git_revision']}`",
        f"- created: {metadata['created_at']}",
        "- libraries: " + ", ".join(f"{k} {v}" for k, v in metadata["libraries"].items()),
        *(
            [
                f"- MLflow: registered model `{registered['registered_model']}` version "
                f"{registered['version']}, run `{registered['run_id']}`"
            ]
            if registered
            else []
        ),
        "",
    ]


def _data(raw: str, splits: dict[str, Any]) -> list[str]:
    """The raw data's source and DVC md5, then each split's rows and target."""
    lines = ["## Training data", "", f"- source: `{raw}`, tracked by DVC"]
    md5 = _dvc_md5(raw)
    lines += [f"- DVC md5: `{md5}`" if md5 else "- DVC md5: not in dvc.lock yet"]
    if not splits:
        return [*lines, ""]
    train, test = splits["train"], splits["test"]
    lines += [
        f"- rows used: {train['rows'] + test['rows']} (train {train['rows']}, test "
        f"{test['rows']}), after `prepare` dropped the rows it cannot use",
        "",
    ]
    if "classes" in train:
        labels = sorted({*train["classes"], *test["classes"]})
        lines += ["| class | train rows | test rows |", "| --- | --- | --- |"]
        lines += [
            f"| {label} | {train['classes'].get(label, 0)} | {test['classes'].get(label, 0)} |"
            for label in labels
        ]
    else:
        lines += ["| split | min | mean | max |", "| --- | --- | --- | --- |"]
        lines += [
            f"| {name} | {split['target']['min']} | {split['target']['mean']:.4g} | "
            f"{split['target']['max']} |"
            for name, split in splits.items()
        ]
    return [*lines, ""]


def _dvc_md5(raw: str) -> str | None:
    """The md5 dvc.lock records for the raw data, as the prepare stage last read it."""
    lock = Path("dvc.lock")
    stages = yaml.safe_load(lock.read_text(encoding="utf-8"))["stages"] if lock.is_file() else {}
    deps = stages.get("prepare", {}).get("deps", [])
    return next((str(dep["md5"]) for dep in deps if dep["path"] == raw), None)


def _metrics(metrics: dict[str, Any], splits: dict[str, Any]) -> list[str]:
    """The test split's metrics: overall, then per class where evaluate wrote them."""
    classes = sorted(splits.get("test", {}).get("classes", {}))
    per_class = {f"{kind}_{label}" for label in classes for kind in ("precision", "recall")}
    overall = [f"| {name} | {value} |" for name, value in metrics.items() if name not in per_class]
    lines = ["## Metrics (test split)", "", "| metric | value |", "| --- | --- |", *overall, ""]
    if classes and per_class <= set(metrics):
        test_rows = splits["test"]["classes"]
        lines += ["| class | precision | recall | test rows |", "| --- | --- | --- | --- |"]
        lines += [
            f"| {label} | {metrics[f'precision_{label}']} | {metrics[f'recall_{label}']} | "
            f"{test_rows[label]} |"
            for label in classes
        ]
        lines.append("")
    return lines


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
