"""Baseline for pipeline_scale.py: prepare and featurize done the naive way, eagerly in pandas.

The same steps as the generated project's stages, written as a notebook would: read the
whole CSV, validate it in one go, clean, split, write; then read it all back, derive the
features, write. Run inside the generated project: `python naive_pandas.py prepare|featurize`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

RAW = Path("data/raw/penguins.csv")
PREPARED = Path("naive/prepared.parquet")
FEATURES = Path("naive/features.parquet")
MEASUREMENTS = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]

SCHEMA = pa.DataFrameSchema(
    {
        "species": pa.Column(str, pa.Check.isin(["Adelie", "Chinstrap", "Gentoo"])),
        "island": pa.Column(str, pa.Check.isin(["Biscoe", "Dream", "Torgersen"])),
        "bill_length_mm": pa.Column(float, pa.Check.in_range(20, 80), nullable=True),
        "bill_depth_mm": pa.Column(float, pa.Check.in_range(10, 30), nullable=True),
        "flipper_length_mm": pa.Column(float, pa.Check.in_range(150, 260), nullable=True),
        "body_mass_g": pa.Column(float, pa.Check.in_range(2000, 7000), nullable=True),
        "sex": pa.Column(str, pa.Check.isin(["female", "male"]), nullable=True),
        "year": pa.Column(int, pa.Check.in_range(1900, 2100)),
    },
    strict=True,
    coerce=True,
)


def prepare() -> None:
    """Validate, clean and split the whole table in memory."""
    frame = SCHEMA.validate(pd.read_csv(RAW, na_values=["NA"]), lazy=True)
    frame = frame[frame[MEASUREMENTS].notna().any(axis=1)].reset_index(drop=True)
    position = (np.arange(len(frame), dtype=np.int64) * 2_654_435_761 + 42) % 2**32
    frame["split"] = np.where(position < int(0.2 * 2**32), "test", "train")
    PREPARED.parent.mkdir(exist_ok=True)
    frame.to_parquet(PREPARED)


def featurize() -> None:
    """Derive the ratio features for every row in memory."""
    frame = pd.read_parquet(PREPARED)
    frame["bill_length_to_depth"] = frame["bill_length_mm"] / frame["bill_depth_mm"]
    frame["body_mass_per_flipper_mm"] = frame["body_mass_g"] / frame["flipper_length_mm"]
    columns = [*MEASUREMENTS, "bill_length_to_depth", "body_mass_per_flipper_mm"]
    frame[[*columns, "island", "sex", "species", "split"]].to_parquet(FEATURES)


if __name__ == "__main__":
    {"prepare": prepare, "featurize": featurize}[sys.argv[1]]()
