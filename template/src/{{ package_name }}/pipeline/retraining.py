"""The body of a scheduled retraining's pull request: drift, metrics and the promotion.

`uv run nox -s retrain` runs the monitor, `dvc repro` and the metrics report, then this
command on what they wrote: both verdicts first (promoted or kept; drift or none), then
the features that drifted, the metrics and params diff, and both models' metrics.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ._stage import stage

app = typer.Typer(add_completion=False)

DRIFT_ROWS = 30  # the drifted features the summary lists; drift.json has them all


@app.command()
@stage
def summarise(
    base: Annotated[str, typer.Argument(help="The revision the metrics were compared with")],
    drift_file: Annotated[Path, typer.Argument(help="The monitor's drift.json")],
    metrics_file: Annotated[Path, typer.Argument(help="The report's metrics-diff.md")],
    output: Annotated[Path, typer.Argument(help="Where to write the summary (markdown)")],
    promotion_file: Annotated[
        Path | None, typer.Option("--promotion", help="promotion.json, if promote ran")
    ] = None,
) -> None:
    """Write the summary of a retraining to OUTPUT, and show it."""
    text = summary(base, drift_file, promotion_file, metrics_file)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text + "\n", encoding="utf-8")
    typer.echo(text)


def summary(base: str, drift_file: Path, promotion_file: Path | None, metrics_file: Path) -> str:
    """A retraining's pull-request body: both verdicts, then drift, metrics, promotion.

    promotion_file is None when `promote` did not run again: there is no new decision.
    """
    drift, promotion = read_json(drift_file), read_json(promotion_file)
    metrics = (
        metrics_file.read_text(encoding="utf-8").strip()
        if metrics_file.is_file()
        else f"## Metrics and params against `{base}`\n\n`nox -s report` wrote none: see above."
    )
    return "\n".join(
        [
            f"Retrained by `uv run nox -s retrain` on the data in the DVC remote, from `{base}`.",
            "",
            f"- {promotion_verdict(promotion)}",
            f"- {drift_verdict(drift, drift_file)}",
            "",
            *drift_details(drift, drift_file),
            metrics,
            "",
            *promotion_details(promotion),
        ]
    )


def read_json(path: Path | None) -> dict[str, Any]:
    """A JSON report, or {} when there is none."""
    return json.loads(path.read_text(encoding="utf-8")) if path and path.is_file() else {}


def promotion_verdict(promotion: dict[str, Any]) -> str:
    """What `promote` decided, and why."""
    if not promotion:
        return "**No new decision**: `promote` did not run again; the champion stays in service."
    if promotion["decision"] == "promoted":
        return f"**Promoted**: the retrained model is the new champion; {promotion['reason']}."
    return f"**Kept**: the champion stays in service; {promotion['reason']}."


def drifted(drift: dict[str, Any]) -> list[str]:
    """The features that drifted, then `(predictions)` if the predictions did."""
    names = list(drift.get("drifted_features", []))
    return [*names, "(predictions)"] if drift.get("prediction", {}).get("drift") else names


def drift_verdict(drift: dict[str, Any], path: Path) -> str:
    """Whether the raw data drifted, and where."""
    if not drift:
        return f"**Drift not measured**: the monitor wrote no `{path}` (its output says why)."
    features, found = len(drift["features"]), drift.get("drifted_features", [])
    named = [f"`{name}`" for name in found]
    if drift.get("prediction", {}).get("drift"):
        named.append("the predictions")
    if named:
        listed = " and ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)
        return f"**Drift** in {listed} ({len(found)} of {features} features)."
    return f"**No drift** in {features} features or the predictions."


def drift_details(drift: dict[str, Any], path: Path) -> list[str]:
    """What was compared, and a row per drifted feature (drift.json has every feature)."""
    lines = ["## Drift of the raw data from the champion's training data", ""]
    if not drift:
        return [*lines, "The monitor could not check the batch: its output says why.", ""]
    rows = drift["rows"]
    lines += [
        f"`{drift['batch']}` ({rows['batch']:,} rows) against {drift['reference']}"
        f" ({rows['reference']:,} rows), with the model `{drift['model']}`. Every feature's"
        f" scores are in `{path}`, their distributions in `report.html` beside it.",
        "",
    ]
    found = drifted(drift)
    if not found:
        return lines
    verdicts = {**drift["features"], "(predictions)": drift["prediction"]}
    lines += ["| drifted | test | score | threshold | also |", "| --- | --- | ---: | ---: | --- |"]
    for name in found[:DRIFT_ROWS]:
        verdict = verdicts[name]
        also = []
        before, after = verdict["missing_share"]["reference"], verdict["missing_share"]["batch"]
        if abs(after - before) >= verdict["missing_threshold"]:
            also.append(f"missing values {before:.1%} -> {after:.1%}")
        if verdict.get("new_category_rows"):
            also.append(f"{verdict['new_category_rows']:,} rows in new categories")
        lines.append(
            f"| `{name}` | {verdict['test']} | {verdict['score']:.4g} | {verdict['threshold']}"
            f" | {'; '.join(also)} |"
        )
    if len(found) > DRIFT_ROWS:
        lines.append(f"| and {len(found) - DRIFT_ROWS} more | | | | |")
    return [*lines, ""]


def promotion_details(promotion: dict[str, Any]) -> list[str]:
    """Both models' metrics on the test split, and what kept the retrained one out."""
    lines = ["## Promotion", ""]
    if not promotion:
        return [*lines, "`promote` did not run again: its inputs did not change."]
    notes = [f"- {regression}" for regression in promotion.get("regressions", [])]
    if forced := promotion.get("forced"):
        notes.append(f"- Forced by {forced['by']}: {forced['why']}")
    before = (promotion.get("champion") or {}).get("metrics") or {}
    after = promotion["challenger"]["metrics"]
    lines += [*notes, *([""] if notes else [])]
    lines += ["| metric (test split) | champion | retrained |", "| --- | ---: | ---: |"]
    for name in sorted({*before, *after}):
        lines.append(f"| {name} | {shown(before.get(name))} | {shown(after.get(name))} |")
    return lines


def shown(value: object) -> str:
    """A metric as the summary shows it: 4 significant digits, or a dash when missing."""
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    app()
