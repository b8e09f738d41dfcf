"""The floor `prepare` is measured against: Polars' own streaming CSV-to-parquet sink.

    python bare_sink.py RAW.csv OUTPUT.parquet

Reads and writes the same file as the stage, with the same missing-value markers, and
nothing else: no validation, no split, one output file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

raw, output = map(Path, sys.argv[1:3])
output.parent.mkdir(parents=True, exist_ok=True)
pl.scan_csv(raw, null_values=["NA", ""]).sink_parquet(output)
