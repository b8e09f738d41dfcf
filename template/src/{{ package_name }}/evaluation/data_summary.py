"""The data a model learnt from, for its card: each split's rows and target.

The target as each class's rows (classification) or its range and mean (regression).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from ..config import Task
from ..data import storage
from ..data.split import SPLIT, SPLITS


def summarise_splits(features: Path, target: str, task: Task) -> dict[str, Any]:
    """Per split: its rows, and each class's rows or the target's min, mean and max."""
    summary: dict[str, Any] = {}
    for split in SPLITS:
        values = storage.read_partition(features, SPLIT, split).select(target)
        if task == "classification":
            counts = values.group_by(target).len().sort(target).collect()
            classes = {str(label): int(rows) for label, rows in counts.iter_rows()}
            summary[split] = {"rows": sum(classes.values()), "classes": classes}
        else:
            column = pl.col(target)
            stats = values.select(
                pl.len().alias("rows"),
                column.min().alias("min"),
                column.mean().alias("mean"),
                column.max().alias("max"),
            )
            found = stats.collect().row(0, named=True)
            summary[split] = {"rows": found.pop("rows"), "target": found}
    return summary
