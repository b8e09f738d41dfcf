"""The Polars engine's featurize: streaming, in the stage's process, in bounded memory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import narwhals as nw
import polars as pl

from ..data.split import SPLIT, SPLITS
from ..errors import PipelineError
from .engine import Transform


def featurize(
    prepared: Path,
    output: Path,
    transform: Transform,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write transform(prepared rows) into output (a new folder), one prepared file at a time.

    progress, if given, hears (files written, files in all) after each file.

    Each prepared file becomes one features file, in the same order. File by file, memory
    stays flat as files are added; one scan over all of them held more the more files
    there were (with Polars 2.1, 306 MiB at 2 M rows, 510 MiB at 8 M).
    """
    files = {split: sorted((prepared / f"{SPLIT}={split}").glob("*.parquet")) for split in SPLITS}
    if empty := [split for split, found in files.items() if not found]:
        raise PipelineError(
            f"{prepared} holds no {empty[0]} rows: run the stages before this one first"
        )
    total, done = sum(len(found) for found in files.values()), 0
    for split, found in files.items():
        folder = output / f"{SPLIT}={split}"
        folder.mkdir(parents=True)
        for number, file in enumerate(found):
            rows = pl.scan_parquet(file).with_columns(pl.lit(split).alias(SPLIT))
            features = transform(nw.from_native(rows)).to_native().drop(SPLIT)
            features.sink_parquet(folder / f"part-{number:05d}.parquet")
            done += 1
            if progress is not None:
                progress(done, total)
