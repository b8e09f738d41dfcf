"""The contract for raw rows: pandera models checked at the pipeline's front door.

Bringing your own data starts here: describe its columns, types and allowed values.
"""

from __future__ import annotations

import pandera.polars as pa

TARGET = "species"
SPECIES = ("Adelie", "Chinstrap", "Gentoo")
ISLANDS = ("Biscoe", "Dream", "Torgersen")
SEXES = ("female", "male")
MEASUREMENTS = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")


class PenguinMeasurements(pa.DataFrameModel):
    """What the model needs to score one penguin: the input of `predict`."""

    island: str = pa.Field(isin=ISLANDS)
    bill_length_mm: float = pa.Field(ge=20, le=80, nullable=True)
    bill_depth_mm: float = pa.Field(ge=10, le=30, nullable=True)
    flipper_length_mm: float = pa.Field(ge=150, le=260, nullable=True)
    body_mass_g: float = pa.Field(ge=2000, le=7000, nullable=True)
    sex: str = pa.Field(isin=SEXES, nullable=True)

    class Config:
        coerce = True  # raw files arrive as text; a value that won't convert is a failure


class RawPenguins(PenguinMeasurements):
    """A labelled row of data/raw: measurements, the species to learn, the survey year."""

    species: str = pa.Field(isin=SPECIES)
    year: int = pa.Field(ge=1900, le=2100)

    class Config:
        coerce = True
        strict = True  # an unexpected column is probably a renamed one


def column_names(model: type[pa.DataFrameModel]) -> list[str]:
    """The columns a schema model declares, in order."""
    return list(model.to_schema().columns)
