"""Splitting: a reproducible train/test label per row, and the checks a split must pass."""

from __future__ import annotations

import polars as pl

from ..errors import PipelineError
from .validation import ROW, Rows

SPLIT = "split"
SPLITS = ("train", "test")
# Knuth's multiplicative hash spreads consecutive row numbers evenly over [0, 2**32).
_GOLDEN = 2_654_435_761
_RANGE = 2**32
# Spreads seeds far apart, so neighbouring seeds give unrelated splits.
_SEED_SPREAD = 2_246_822_519


class SplitError(PipelineError):
    """The split cannot train and test a model: too few rows or classes."""


def assign_split(frame: Rows, test_fraction: float, seed: int) -> Rows:
    """Label each row train or test from its ROW number: reproducible for a given seed."""
    offset = seed * _SEED_SPREAD % _RANGE
    position = (pl.col(ROW).cast(pl.Int64) * _GOLDEN + offset) % _RANGE
    label = pl.when(position < int(test_fraction * _RANGE)).then(pl.lit("test"))
    return frame.with_columns(label.otherwise(pl.lit("train")).alias(SPLIT))


class SplitCheck:
    """Counts rows per split and, for classification, the classes seen in training."""

    def __init__(self, target: str, classes: bool) -> None:
        self.target = target
        self.rows = dict.fromkeys(SPLITS, 0)
        self.train_classes: set[object] | None = set() if classes else None

    def add(self, split_rows: pl.DataFrame | pl.LazyFrame) -> None:
        """Count rows labelled by assign_split: a batch, or a whole lazy table."""
        rows = split_rows.lazy()
        for split, count in rows.group_by(SPLIT).len().collect().iter_rows():
            self.rows[split] += count
        # Two classes are enough to train on; counting more would only cost time.
        if self.train_classes is not None and len(self.train_classes) < 2:
            train = rows.filter(pl.col(SPLIT) == "train").select(pl.col(self.target).unique())
            self.train_classes.update(train.collect().to_series().to_list())

    def merge(self, part: SplitCheck) -> None:
        """Add the counts of a check on another part of the same rows (a Dask partition)."""
        for split in SPLITS:
            self.rows[split] += part.rows[split]
        if self.train_classes is not None and part.train_classes is not None:
            self.train_classes.update(part.train_classes)

    def raise_for_problems(self, source: str, usable_rows: str) -> None:
        """Fail, saying why and what to change, unless both splits can do their job."""
        total = sum(self.rows.values())
        if total == 0:
            raise SplitError(f"{source} has no usable rows: {usable_rows}")
        for split, count in self.rows.items():
            if count == 0:
                raise SplitError(
                    f"{source}: the {split} split is empty ({total} usable row(s) in all); "
                    "add rows, or change prepare.test_fraction in params.yaml"
                )
        if self.train_classes is not None and len(self.train_classes) < 2:
            found = ", ".join(repr(label) for label in self.train_classes)
            raise SplitError(
                f"{source}: the target '{self.target}' has one class in the train split "
                f"({found}); classification needs at least two. Add rows of other classes, "
                "or set data.task: regression in params.yaml for a numeric target"
            )
