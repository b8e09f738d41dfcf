"""The pull-request report: metrics and params against a base revision, and a verdict."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .gate import (
    Regression,
    Tolerance,
    ToleranceError,
    metric_changes,
    regressions,
    unknown_metrics,
)


def gate(
    diff: Mapping[str, Any], tolerances: Mapping[str, Tolerance], source: Path
) -> list[Regression]:
    """The regressions in `dvc metrics diff --all --json` output; typos in tolerances fail."""
    changes = metric_changes(diff)
    if unknown := unknown_metrics(changes, tolerances):
        names = ", ".join(sorted({change.name for change in changes})) or "none"
        raise ToleranceError(
            f"{source} names metrics that exist in neither revision: "
            f"{', '.join(unknown)} (metrics: {names}); fix or remove them"
        )
    return regressions(changes, tolerances)


def table_or(markdown: str, empty: str) -> str:
    """DVC's markdown table, or a sentence when it has no rows (header and rule only)."""
    lines = markdown.strip().splitlines()
    return "\n".join(lines) if len(lines) > 2 else empty


def verdict(found: Sequence[Regression], gated: int, tolerances_file: Path) -> str:
    """One line when every gated metric is within tolerance; otherwise each regression."""
    if not found:
        return (
            f"**Pass**: no metric got worse than its tolerance "
            f"({gated} gated by `{tolerances_file}`)."
        )
    lines = [f"**Fail**: {len(found)} metric(s) got worse than `{tolerances_file}` allows:", ""]
    return "\n".join(lines + [f"- {regression}" for regression in found])


def report_markdown(base: str, verdict_text: str, metrics_table: str, params_table: str) -> str:
    """The report: the verdict, then the metrics and params that changed since `base`."""
    return "\n\n".join(
        [
            f"## Metrics and params against `{base}`",
            verdict_text,
            "### Metrics",
            table_or(metrics_table, "No metric changed."),
            "### Params",
            table_or(params_table, "No param changed."),
        ]
    )
