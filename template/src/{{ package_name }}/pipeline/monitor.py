"""`monitor BATCH`: has the data drifted from the rows the model was trained on.

Compares a batch of rows (a raw-format file or folder, or the service's prediction log)
with the prepared train split, feature by feature and on the model's predictions, with
the tests and thresholds of params.yaml's `monitor` section. Writes drift.json and
report.html under the output folder, in a folder named after the batch. Exit status: 0
no drift, 3 drift found, 1 the batch could not be checked (docs/monitoring.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..config import PARAMS_FILE, ParamsError, load_params
from ..data import storage
from ..data.split import SPLIT
from ..data.validation import ROW, ROWS, check_columns, inputs_validator, raise_for
from ..errors import PipelineError
from ..models.persistence import load_model
from ..monitoring.drift import Drift, feature_drift, prediction_drift
from ..monitoring.profile import missing_counts, predictions, profile
from ..monitoring.report import distribution_figure, summary, write_report
from ._stage import stage, step

app = typer.Typer(add_completion=False)

DRIFT_FOUND = 3  # the exit status when a feature or the predictions drifted


@app.command()
@stage
def monitor(
    batch: Annotated[
        Path, typer.Argument(help=f"Rows to check: {storage.FORMATS}, with the raw columns")
    ],
    reference: Annotated[
        Path, typer.Option(help="The prepared rows; their train split is what the model saw")
    ],
    model_path: Annotated[Path, typer.Option("--model", help="The model in service (.skops)")],
    output: Annotated[Path, typer.Option(help="Reports go to OUTPUT/<batch name>/")],
    params_file: Path = PARAMS_FILE,
) -> None:
    """Measure drift of a batch from the train split; exit 3 if there is any."""
    settings = load_params(params_file).monitor
    if settings is None:
        raise ParamsError(
            f"{params_file} has no monitor section: copy the kit's (docs/monitoring.md "
            "shows it), or `copier update` adds it"
        )
    if not batch.exists():
        raise PipelineError(
            f"{batch} not found: give a file or folder of rows ({storage.FORMATS}), or the "
            "service's prediction log"
        )
    model = load_model(model_path)
    needed, columns = model.features.inputs, storage.header(batch)
    raise_for(check_columns(columns, needed, strict=False), str(batch))
    if ignored := [name for name in columns if name not in needed]:
        typer.echo(f"Not compared (the model does not use them): {', '.join(ignored)}", err=True)
    categorical = list(model.features.categorical)
    numeric = [name for name in needed if name not in categorical]
    validator = inputs_validator(needed, storage.row_places(batch))
    with step(f"Checking {batch} against data/schema.py"):
        rows = validator.checked(storage.scan_raw(batch).select(needed).with_row_index(ROW))
        # The rows' missing values are counted in the same pass (profile's first).
        counting = rows.select(*validator.tally(), *missing_counts(needed))
        tally = counting.collect(engine="streaming")
        validator.record(rows, tally)
    raise_for(validator.problems, str(batch))
    total = int(tally[ROWS].item())
    if not total:
        raise PipelineError(f"{batch} has no rows to check")
    if total < settings.min_rows:
        raise PipelineError(
            f"{batch} has {total} row(s): too few to tell drift from chance (monitor.min_rows "
            f"in {params_file} is {settings.min_rows}); check a larger batch"
        )
    train = storage.read_partition(reference, SPLIT, "train").with_row_index(ROW)
    with step(f"Comparing {total:,} rows with the train split of {reference}"):
        seen = profile(train, numeric, categorical, settings.sample_rows, settings.seed)
        now = profile(
            validator.typed(rows), numeric, categorical, settings.sample_rows, settings.seed, tally
        )
        features = feature_drift(seen, now, numeric, settings)
        classes = model.task == "classification"
        prediction = prediction_drift(
            predictions(model, seen), predictions(model, now), classes, settings
        )
    sources = {"batch": str(batch), "reference": f"{reference} (train)", "model": str(model_path)}
    found = summary(sources, seen, now, features, prediction)
    figures = {name: distribution_figure(name, seen, now, name in numeric) for name in features}
    folder = output / (batch.stem if batch.is_file() else batch.name)
    write_report(folder, found, figures)
    report(features, prediction, folder)
    if found["drift"]:
        raise typer.Exit(DRIFT_FOUND)


def report(features: dict[str, Drift], prediction: Drift, folder: Path) -> None:
    """Say on stderr what drifted and by how much, and where the report is."""
    drifted = {name: drift for name, drift in features.items() if drift.drift}
    if prediction.drift:
        drifted["(predictions)"] = prediction
    where = folder / "report.html"
    if not drifted:
        typer.echo(f"No drift in {len(features)} features or the predictions: {where}", err=True)
    else:
        shifted = len(drifted) - prediction.drift
        also = ", and in the predictions" if prediction.drift else ""
        typer.echo(f"Drift in {shifted} of {len(features)} features{also}: {where}", err=True)
    width = max(map(len, drifted), default=0)
    for name, drift in drifted.items():
        line = f"  {name:<{width}}  {drift.test} {drift.score:.3f} (threshold {drift.threshold})"
        if drift.missing_moved:
            before, after = drift.missing
            line += f"; missing values {before:.1%} -> {after:.1%}"
        if drift.new_category_rows:
            line += f"; {drift.new_category_rows:,} row(s) in new categories"
        typer.echo(line, err=True)


if __name__ == "__main__":
    app()
