"""Whether a metric got worse than its tolerance allows, between a base revision and now.

Tolerances come from metric-tolerances.yaml: for each metric, how far it may fall
(`max_drop`, when higher is better) or rise (`max_rise`, when lower is better). Metrics
come from `dvc metrics diff --all --json`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from ..errors import PipelineError

EXAMPLE = "accuracy: {max_drop: 0.02}"
TOLERANCES_FILE = Path("metric-tolerances.yaml")


class Tolerance(BaseModel):
    """How much worse one metric may get: exactly one of `max_drop` or `max_rise`."""

    # A typo (`max_dorp`) must be an error, not a metric that silently stops being checked.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    max_drop: float | None = Field(default=None, ge=0)
    max_rise: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_direction(self) -> Tolerance:
        if (self.max_drop is None) == (self.max_rise is None):
            raise ValueError(
                "give exactly one of max_drop (higher is better) or max_rise (lower is better)"
            )
        return self

    @property
    def allowed(self) -> float:
        """The largest change in the bad direction that still passes."""
        return self.max_drop if self.max_drop is not None else self.max_rise or 0.0

    def worsening(self, old: float, new: float) -> float:
        """How much worse `new` is than `old`; negative when it got better."""
        return old - new if self.max_drop is not None else new - old


class ToleranceError(PipelineError):
    """metric-tolerances.yaml is malformed or names a metric that does not exist."""


_TOLERANCES = TypeAdapter(dict[str, Tolerance])


def parse_tolerances(raw: Any, source: str) -> dict[str, Tolerance]:
    """Validate already-loaded tolerances, naming every offending entry."""
    if raw is None:
        return {}  # an empty file gates nothing: every metric is only reported
    if not isinstance(raw, dict):
        raise ToleranceError(f"{source} must map metric names to tolerances (e.g. {EXAMPLE})")
    try:
        return _TOLERANCES.validate_python(raw)
    except ValidationError as error:
        problems = [
            f"  {'.'.join(str(part) for part in issue['loc'])}: {issue['msg']}"
            for issue in error.errors(include_url=False)
        ]
        raise ToleranceError(
            f"{source} is invalid (expected entries like {EXAMPLE}):\n" + "\n".join(problems)
        ) from None


def load_tolerances(path: Path) -> dict[str, Tolerance]:
    """Read and validate the tolerances file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ToleranceError(
            f"{path} not found: it sets how far each metric may get worse. "
            "Run from the project root, or create it (see docs/ci.md)."
        ) from None
    except yaml.YAMLError as error:
        raise ToleranceError(f"{path} is not valid YAML: {error}") from None
    return parse_tolerances(raw, str(path))


@dataclass(frozen=True)
class MetricChange:
    """One metric in the base revision and now; None where it is absent or not a number."""

    path: str
    name: str
    old: float | None
    new: float | None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None  # booleans are ints to Python, but not metrics
    return float(value)


def metric_changes(diff: Mapping[str, Mapping[str, Mapping[str, object]]]) -> list[MetricChange]:
    """Flatten `dvc metrics diff --all --json` output: {path: {metric: {old, new}}}."""
    changes = [
        MetricChange(path, name, _number(values.get("old")), _number(values.get("new")))
        for path, metrics in diff.items()
        for name, values in metrics.items()
    ]
    return sorted(changes, key=lambda change: (change.name, change.path))


@dataclass(frozen=True)
class Regression:
    """A gated metric that got worse than its tolerance allows, or disappeared."""

    change: MetricChange
    tolerance: Tolerance

    def __str__(self) -> str:
        old, new, name = self.change.old, self.change.new, self.change.name
        where = f"`{name}` ({self.change.path})"
        if new is None or old is None:
            return f"{where} was {old} in the base and is missing now"
        direction = "dropped" if self.tolerance.max_drop is not None else "rose"
        return (
            f"{where} {direction} from {old:g} to {new:g}, by {abs(new - old):.4g}; "
            f"the tolerance is {self.tolerance.allowed:g}"
        )


def unknown_metrics(
    changes: Iterable[MetricChange], tolerances: Mapping[str, Tolerance]
) -> list[str]:
    """Tolerance entries that match no metric in either revision: most likely typos."""
    known = {change.name for change in changes}
    return sorted(set(tolerances) - known)


def regressions(
    changes: Iterable[MetricChange], tolerances: Mapping[str, Tolerance]
) -> list[Regression]:
    """The gated metrics that got worse by more than their tolerance, or went missing.

    A metric new in this revision has nothing to be compared with, so it passes.
    """
    found = []
    for change in changes:
        tolerance = tolerances.get(change.name)
        if tolerance is None or change.old is None:
            continue
        if change.new is None:
            found.append(Regression(change, tolerance))
            continue
        worse = tolerance.worsening(change.old, change.new)
        # Metrics are rounded, so 0.97 -> 0.96 must pass a tolerance of 0.01 exactly.
        if worse > tolerance.allowed and not math.isclose(worse, tolerance.allowed, abs_tol=1e-9):
            found.append(Regression(change, tolerance))
    return found
