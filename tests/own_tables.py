"""The teams' own tables that the own-data tests bring to generated projects.

Each walk is what one team writes following docs/own-data.md: its table (made by
MAKE_TABLE in the project's environment), data/schema.py and params.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass

# Synthetic tables, made with numpy in the generated project's own environment (the kit's
# test environment has no numpy): `python make_table.py KIND TABLE NEW_ROWS` writes the
# team's table, then other rows to score, without the target (it goes to
# NEW_ROWS.truth.csv). Each is a .csv or .parquet file, or else a folder of parquet files.
MAKE_TABLE = """
import sys
from pathlib import Path

import numpy as np
import polars as pl

# Wine-like measurements: (mean for cultivar 0, 1, 2), spread.
WINE = {
    "alcohol": ((13.7, 12.3, 13.1), 0.5),
    "malic_acid": ((2.0, 1.9, 3.3), 0.7),
    "ash": ((2.45, 2.25, 2.44), 0.2),
    "alcalinity_of_ash": ((17.0, 20.2, 21.4), 2.5),
    "magnesium": ((106.0, 94.5, 99.3), 12.0),
    "total_phenols": ((2.84, 2.26, 1.68), 0.35),
    "flavanoids": ((2.98, 2.08, 0.78), 0.4),
    "nonflavanoid_phenols": ((0.29, 0.36, 0.45), 0.1),
    "proanthocyanins": ((1.9, 1.63, 1.15), 0.4),
    "color_intensity": ((5.5, 3.1, 7.4), 1.2),
    "hue": ((1.06, 1.06, 0.68), 0.12),
    "od280/od315_of_diluted_wines": ((3.16, 2.79, 1.68), 0.35),
    "proline": ((1116.0, 520.0, 630.0), 150.0),
}
DISTRICTS = {"north": 40000.0, "south": -20000.0, "east": 0.0, "west": 15000.0}


def wine(rng, rows):
    cultivar = rng.integers(0, 3, rows)
    columns = {}
    for name, (means, spread) in WINE.items():
        values = np.asarray(means)[cultivar] + rng.normal(0, spread, rows)
        columns[name] = np.round(np.clip(values, 0.01, None), 2)
    return pl.DataFrame({**columns, "cultivar": cultivar}), "cultivar"


def houses(rng, rows):
    area = np.round(rng.uniform(30, 250, rows), 1)
    rooms = np.clip(np.round(area / 30 + rng.normal(0, 1, rows)), 1, 12).astype(np.int64)
    age = np.round(rng.uniform(0, 80, rows))
    district = rng.choice(list(DISTRICTS), rows)
    price = (
        60000 + 2500 * area + 8000 * rooms - 600 * age
        + np.array([DISTRICTS[d] for d in district]) + rng.normal(0, 15000, rows)
    )
    frame = pl.DataFrame({
        "listing_id": [f"L{row:05d}" for row in range(rows)],
        "area_m2": area,
        "rooms": rooms,
        "age_years": pl.Series("age_years", [None if rng.random() < 0.05 else a for a in age]),
        "district": district,
        "price": np.round(price),
    })
    return frame, "price"


def churn(rng, rows):
    # One customer in ten leaves; tenure and the monthly bill only hint at who.
    left = rng.random(rows) < 0.1
    tenure = np.round(np.clip(rng.normal(30 - 15 * left, 12, rows), 0, 120))
    charges = np.round(rng.normal(60 + 15 * left, 12, rows), 2)
    plan = rng.choice(["basic", "plus", "pro"], rows)
    frame = pl.DataFrame({
        "tenure_months": tenure,
        "monthly_charges": charges,
        "plan": plan,
        "churned": left.astype(np.int64),
    })
    return frame, "churned"


def write(frame, out):
    if out.suffix == ".csv":
        frame.write_csv(out)
    elif out.suffix == ".parquet":
        frame.write_parquet(out)
    else:
        out.mkdir(parents=True)
        half = frame.height // 2
        frame[:half].write_parquet(out / "part-0.parquet")
        frame[half:].write_parquet(out / "part-1.parquet")


kind, table, new_rows = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
make, rows = {"wine": (wine, 400), "houses": (houses, 400), "churn": (churn, 4000)}[kind]
frame, target = make(np.random.default_rng(1), rows)
write(frame, table)
frame, target = make(np.random.default_rng(2), 60)
frame.select(target).write_csv(f"{new_rows}.truth.csv")
write(frame.drop(target), new_rows)
"""

WINE_SCHEMA = '''\
"""The data contract: wine measurements, and the cultivar each wine comes from."""

from __future__ import annotations

import pandera.polars as pa

# The column the model learns to predict; params.yaml's `data.task` says how.
TARGET = "cultivar"


class Features(pa.DataFrameModel):
    """The model's inputs: chemical measurements of a wine."""

    alcohol: float = pa.Field(ge=0, le=100)
    malic_acid: float = pa.Field(ge=0)
    ash: float = pa.Field(ge=0)
    alcalinity_of_ash: float = pa.Field(ge=0)
    magnesium: float = pa.Field(ge=0, le=1000)
    total_phenols: float = pa.Field(ge=0)
    flavanoids: float = pa.Field(ge=0)
    nonflavanoid_phenols: float = pa.Field(ge=0)
    proanthocyanins: float = pa.Field(ge=0)
    color_intensity: float = pa.Field(ge=0)
    hue: float = pa.Field(ge=0)
    od280: float = pa.Field(alias="od280/od315_of_diluted_wines", ge=0)
    proline: float = pa.Field(ge=0)

    class Config:
        coerce = True


class RawRow(Features):
    """A row of the raw data: the measurements and the cultivar."""

    cultivar: int = pa.Field(isin=(0, 1, 2))

    class Config:
        coerce = True
        strict = True
'''

WINE_PARAMS = """\
# Every knob of the pipeline, grouped by DVC stage.

data:
  raw: data/raw/wine.csv
  task: classification

prepare:
  test_fraction: 0.2
  seed: 42
  stratify: true
  batch_rows: 100000
  rows_per_file: 1000000

featurize:
  exclude: [ash] # measured, but not trusted
  ratios: {}

train:
  model: random_forest
  class_weight: balanced
  n_jobs: -1
  seed: 42
  random_forest:
    n_estimators: 100
    max_depth: 8
    min_samples_leaf: 2

evaluate:
  top_features: 10
"""

HOUSES_SCHEMA = '''\
"""The data contract: homes sold, and the price each sold for."""

from __future__ import annotations

import pandera.polars as pa

# The column the model learns to predict; params.yaml's `data.task` says how.
TARGET = "price"


class Features(pa.DataFrameModel):
    """The model's inputs: the size, age and place of a home."""

    area_m2: float = pa.Field(ge=10, le=1000)
    rooms: int = pa.Field(ge=1, le=20)
    age_years: float = pa.Field(ge=0, le=300, nullable=True)
    district: str = pa.Field(isin=("north", "south", "east", "west"))

    class Config:
        coerce = True


class RawRow(Features):
    """A row of the raw data: the features, the price, and the listing (not used)."""

    listing_id: str
    price: float = pa.Field(ge=0)

    class Config:
        coerce = True
        strict = True
'''

HOUSES_PARAMS = """\
# Every knob of the pipeline, grouped by DVC stage.

data:
  raw: data/raw/houses
  task: regression

prepare:
  test_fraction: 0.2
  seed: 7
  stratify: true
  batch_rows: 100000
  rows_per_file: 1000000

featurize:
  exclude: []
  ratios:
    area_per_room: [area_m2, rooms]

train:
  model: lightgbm
  class_weight: null
  n_jobs: 1
  seed: 7
  lightgbm:
    n_estimators: 100
    learning_rate: 0.1
    num_leaves: 15
    min_child_samples: 10

evaluate:
  top_features: 10
"""

# The task changed (the project was generated for classification): own-data.md says to
# rename the metrics here too.
HOUSES_TOLERANCES = """\
# How far each metric may get worse before `uv run nox -s report` fails.
rmse: {max_rise: 5000}
mae: {max_rise: 5000}
r2: {max_drop: 0.02}
"""


# An imbalanced table (10% churn), kept out of WALKS: the modelling tests use it.
CHURN_SCHEMA = '''\
"""The data contract: customers, and whether each left."""

from __future__ import annotations

import pandera.polars as pa

# The column the model learns to predict; params.yaml's `data.task` says how.
TARGET = "churned"


class Features(pa.DataFrameModel):
    """The model's inputs: what the customer has and pays."""

    tenure_months: float = pa.Field(ge=0)
    monthly_charges: float
    plan: str = pa.Field(isin=("basic", "plus", "pro"))

    class Config:
        coerce = True


class RawRow(Features):
    """A row of the raw data: the customer and whether they left."""

    churned: int = pa.Field(isin=(0, 1))

    class Config:
        coerce = True
        strict = True
'''

CHURN_PARAMS = """\
data:
  raw: data/raw/churn.csv
  task: classification

prepare:
  test_fraction: 0.2
  seed: 42
  stratify: true
  batch_rows: 100000
  rows_per_file: 1000000

featurize:
  exclude: []
  ratios: {}

train:
  model: hist_gradient_boosting
  class_weight: null
  n_jobs: -1
  seed: 42
  hist_gradient_boosting:
    max_iter: 200
    learning_rate: 0.1
    max_leaf_nodes: 31
    min_samples_leaf: 20
    l2_regularization: 0.0

evaluate:
  top_features: 10
"""


@dataclass(frozen=True)
class OwnData:
    """One team's table and what they write, following docs/own-data.md."""

    kind: str  # which table make_table.py makes
    raw: str  # where it goes: params.yaml's data.raw
    schema: str
    params: str
    target: str
    task: str
    new_rows: str  # the file of rows to score, by its suffix
    remove_sample: bool  # the page's optional `dvc remove --outs` of the penguins
    tolerances: str | None = None  # metric-tolerances.yaml, when the task changed


WALKS = {
    "wine-csv-classification": OwnData(
        kind="wine",
        raw="data/raw/wine.csv",
        schema=WINE_SCHEMA,
        params=WINE_PARAMS,
        target="cultivar",
        task="classification",
        new_rows="new-wines.csv",
        remove_sample=False,
    ),
    "houses-parquet-regression": OwnData(
        kind="houses",
        raw="data/raw/houses",
        schema=HOUSES_SCHEMA,
        params=HOUSES_PARAMS,
        target="price",
        task="regression",
        new_rows="new-houses.parquet",
        remove_sample=True,
        tolerances=HOUSES_TOLERANCES,
    ),
}

CHURN = OwnData(
    kind="churn",
    raw="data/raw/churn.csv",
    schema=CHURN_SCHEMA,
    params=CHURN_PARAMS,
    target="churned",
    task="classification",
    new_rows="new-customers.csv",
    remove_sample=False,
)
