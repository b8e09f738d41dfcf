"""Splitting: a reproducible train/test label per row, and the checks a split must pass."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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
# With more classes than this, rows are split by their place in the file alone: each
# class costs the stream one running count.
MAX_STRATA = 100


class SplitError(PipelineError):
    """The split cannot train and test a model: too few rows or classes."""


@dataclass(frozen=True)
class Strata:
    """Split each class of `column` in proportion (classification targets).

    `before` holds, per class, its rows that came earlier in the file: the Dask engine
    splits a partition at a time, and its rows keep their place in the whole file.
    """

    column: str
    before: dict[object, int] = field(default_factory=dict)

    def place(self) -> pl.Expr:
        """Each row's place among the rows of its class in the file, from 0."""
        value = pl.col(self.column)
        return pl.coalesce(
            pl.when(value.eq(label)).then(value.eq(label).cum_sum() - 1 + earlier)
            for label, earlier in self.before.items()
        )


def stratify(column: str, counts: Sequence[Mapping[Any, int]]) -> list[Strata | None]:
    """Strata for consecutive parts of the rows, from each part's rows per class.

    None for every part when there is no class, or more than MAX_STRATA.
    """
    classes = {label for part in counts for label in part}
    if not classes or len(classes) > MAX_STRATA:
        return [None] * len(counts)
    strata: list[Strata | None] = []
    before = dict.fromkeys(classes, 0)
    for part in counts:
        strata.append(Strata(column, dict(before)))
        for label, count in part.items():
            before[label] += count
    return strata


def assign_split(
    frame: Rows, test_fraction: float, seed: int, strata: Strata | None = None
) -> Rows:
    """Label each row train or test, reproducibly for a given seed and row order.

    A row's key is its place in the file, or with strata its place among its class's rows.
    Knuth's hash spreads consecutive keys evenly, so the test split holds test_fraction of
    the rows (of each class, with strata) to within a row or two, however many there are.
    """
    key = pl.col(ROW) if strata is None else strata.place()
    offset = seed * _SEED_SPREAD % _RANGE
    position = (key.cast(pl.Int64) * _GOLDEN + offset) % _RANGE
    label = pl.when(position < int(test_fraction * _RANGE)).then(pl.lit("test"))
    return frame.with_columns(label.otherwise(pl.lit("train")).alias(SPLIT))


def sample(frame: Rows, fraction: float, seed: int) -> Rows:
    """About fraction of the rows, spread evenly over the file (by ROW), the same for a seed.

    Streams: no row is held beyond those kept.
    """
    if fraction >= 1:
        return frame
    offset = seed * _SEED_SPREAD % _RANGE
    position = (pl.col(ROW).cast(pl.Int64) * _GOLDEN + offset) % _RANGE
    return frame.filter(position < int(fraction * _RANGE))


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
