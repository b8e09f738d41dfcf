"""The Polars engine's featurize: streaming, in the stage's process, in bounded memory."""

from __future__ import annotations

from pathlib import Path

import narwhals as nw
import polars as pl

from ..data.split import SPLIT, SPLITS
from ..errors import PipelineError
from .engine import Transform


def featurize(prepared: Path, output: Path, transform: Transform) -> None:
    """Write transform(prepared rows) into output (a new folder), one prepared file at a time.

    Each prepared file becomes one features file, in the same order. File by file, memory
    stays flat as files are added; one scan over all of them held more the more files
    there were (with Polars 2.1, 306 MiB at 2 M rows, 510 MiB at 8 M).
    """
    for split in SPLITS:
        files = sorted((prepared / f"{SPLIT}={split}").glob("*.parquet"))
        if not files:
            raise PipelineError(
                f"{prepared} holds no {split} rows: run the stages before this one first"
            )
        folder = output / f"{SPLIT}={split}"
        folder.mkdir(parents=True)
        for number, file in enumerate(files):
            rows = pl.scan_parquet(file).with_columns(pl.lit(split).alias(SPLIT))
            features = transform(nw.from_native(rows)).to_native().drop(SPLIT)
            features.sink_parquet(folder / f"part-{number:05d}.parquet")
