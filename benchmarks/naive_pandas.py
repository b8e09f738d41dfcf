"""Baseline for pipeline_scale.py: prepare and featurize done the naive way, eagerly in pandas.

The same steps as the generated project's stages, for the same task, written as a
notebook would: read the whole CSV, validate it in one go, drop the rows the model cannot
use, split, write; then read it all back, derive the features, write. Run inside the
generated project:

    python naive_pandas.py prepare TASK RAW OUTPUT
    python naive_pandas.py featurize TASK PREPARED OUTPUT

TASK is classification (target species) or regression (target body_mass_g); RAW is the
penguins CSV, the outputs are single parquet files with a `split` column.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

MEASUREMENTS = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
# What the generated project's data/schema.py and params.yaml say, per ml_task: the
# target, the model's numeric and categorical inputs, and the derived ratios.
TASKS = {
    "classification": {
        "target": "species",
        "numeric": MEASUREMENTS,
        "categorical": ["island", "sex"],
        "ratios": {
            "bill_length_to_depth": ("bill_length_mm", "bill_depth_mm"),
            "body_mass_per_flipper_mm": ("body_mass_g", "flipper_length_mm"),
        },
    },
    "regression": {
        "target": "body_mass_g",
        "numeric": MEASUREMENTS[:3],
        "categorical": ["species", "island", "sex"],
        "ratios": {"bill_length_to_depth": ("bill_length_mm", "bill_depth_mm")},
    },
}
# The raw rows' rules are the same for both tasks.
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
TEST_FRACTION, SEED = 0.2, 42  # params.yaml's prepare section
NULL_MARKERS = ["NA", ""]  # what the stage reads as missing (data/storage.py)


def prepare(task: str, raw: Path, output: Path) -> None:
    """Validate, drop unusable rows and split the whole table in memory."""
    spec = TASKS[task]
    frame = SCHEMA.validate(
        pd.read_csv(raw, na_values=NULL_MARKERS, keep_default_na=False), lazy=True
    )
    # The split hashes each row's position in the file, as the stage does, with the
    # stage's hash and seed spreading, so both write the same rows to the same split.
    position = (np.arange(len(frame), dtype=np.int64) * 2_654_435_761) + (
        SEED * 2_246_822_519 % 2**32
    )
    frame["split"] = np.where(position % 2**32 < int(TEST_FRACTION * 2**32), "test", "train")
    usable = frame[spec["target"]].notna() & frame[spec["numeric"]].notna().any(axis=1)
    output.parent.mkdir(parents=True, exist_ok=True)
    frame[usable].reset_index(drop=True).to_parquet(output)


def featurize(task: str, prepared: Path, output: Path) -> None:
    """Derive the ratio features for every row in memory; keep the target and split."""
    spec = TASKS[task]
    frame = pd.read_parquet(prepared)
    for name, (top, bottom) in spec["ratios"].items():
        frame[name] = frame[top] / frame[bottom].where(frame[bottom] != 0)
    columns = [*spec["numeric"], *spec["ratios"], *spec["categorical"], spec["target"], "split"]
    output.parent.mkdir(parents=True, exist_ok=True)
    frame[columns].to_parquet(output)


if __name__ == "__main__":
    step, task, source, target = sys.argv[1:]
    {"prepare": prepare, "featurize": featurize}[step](task, Path(source), Path(target))
