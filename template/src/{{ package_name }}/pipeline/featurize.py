"""DVC stage `featurize`: turn prepared rows into the model's inputs, streaming."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import narwhals as nw
import typer

from ..config import PARAMS_FILE, load_params
from ..data import storage
from ..data.contract import load_contract
from ..data.split import SPLIT
from ..features.transforms import build_features, feature_spec
from ._stage import stage, step

app = typer.Typer(add_completion=False)


@app.command()
@stage
def featurize(
    prepared: Annotated[Path, typer.Argument(help="Folder of prepared rows")],
    output: Annotated[Path, typer.Argument(help="Folder for the features")],
    params_file: Path = PARAMS_FILE,
) -> None:
    """Select and derive the model's input columns for both splits."""
    params = load_params(params_file)
    contract = load_contract(params.data.task)
    spec = feature_spec(contract, params.featurize)
    rows = nw.from_native(storage.scan_table(prepared))
    features = build_features(rows, spec, keep=(contract.target, SPLIT))
    with step(f"Writing {len(spec.columns)} features to {output}"):
        storage.write_partitioned(
            features.to_native(), output, key=SPLIT, rows_per_file=params.prepare.rows_per_file
        )


if __name__ == "__main__":
    app()
