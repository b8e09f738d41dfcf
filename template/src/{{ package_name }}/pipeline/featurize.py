"""DVC stage `featurize`: turn prepared rows into the model's inputs, streaming."""

from __future__ import annotations

from pathlib import Path

import narwhals as nw
import typer

from ..config import PARAMS_FILE, PATHS, load_params
from ..data import io
from ..data.prepare import SPLIT
from ..data.schema import TARGET
from ..features.transforms import build_features
from ._stage import stage, step

app = typer.Typer(add_completion=False)


@app.command()
@stage
def featurize(
    prepared: Path = PATHS.prepared, output: Path = PATHS.features, params_file: Path = PARAMS_FILE
) -> None:
    """Select and derive the model's input columns for both splits."""
    params = load_params(params_file)
    rows = nw.from_native(io.scan_table(prepared))
    features = build_features(rows, params.featurize, keep=(TARGET, SPLIT))
    with step(f"Writing features to {output}"):
        io.write_partitioned(
            features.to_native(), output, key=SPLIT, rows_per_file=params.prepare.rows_per_file
        )


if __name__ == "__main__":
    app()
