"""Whether a retrained model (the challenger) replaces the model in service (the champion).

Both are scored on the same, current test split. The challenger is promoted when no
metric gated by metric-tolerances.yaml is worse than the champion's by more than its
tolerance: the rules of the pull-request report (gate.py), with the champion as the base.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .gate import MetricChange, Regression, Tolerance, regressions

PROMOTED, KEPT = "promoted", "kept"
WHERE = "test split"  # where both models' metrics come from, as the regressions name it


@dataclass(frozen=True)
class Decision:
    """Promote or keep, why, and the metrics that got worse (when kept for them)."""

    promoted: bool
    reason: str
    regressions: tuple[Regression, ...] = ()

    @property
    def outcome(self) -> str:
        """`promoted` or `kept`."""
        return PROMOTED if self.promoted else KEPT

    def to_dict(self) -> dict[str, Any]:
        """The decision as JSON-ready data."""
        return {
            "decision": self.outcome,
            "reason": self.reason,
            "regressions": [str(found) for found in self.regressions],
        }


def decide(
    challenger: Mapping[str, float],
    champion: Mapping[str, float],
    tolerances: Mapping[str, Tolerance],
) -> Decision:
    """Promote unless a gated metric of the challenger is worse than tolerated."""
    changes = [
        MetricChange(WHERE, name, champion.get(name), challenger.get(name))
        for name in sorted({*champion, *challenger})
    ]
    found = regressions(changes, tolerances)
    if found:
        return Decision(
            False,
            f"{len(found)} metric(s) of the challenger are worse than the champion's by more "
            "than metric-tolerances.yaml allows",
            tuple(found),
        )
    gated = sorted(name for name in tolerances if name in champion)
    return Decision(
        True,
        f"no gated metric ({', '.join(gated) or 'none'}) is worse than the champion's by more "
        "than metric-tolerances.yaml allows",
    )
